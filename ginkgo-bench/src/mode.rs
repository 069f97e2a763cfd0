//! Quick or full: how much work each case does.

/// How long a run should take.
///
/// ```
/// use ginkgo_bench::Mode;
///
/// assert_eq!(Mode::Quick.pick(100, 1_000), 100);
/// assert_eq!(Mode::Full.pick(100, 1_000), 1_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A few seconds per case, for routine use: smaller rounds and fewer of them.
    Quick,
    /// The sizes the targets are stated for, with enough rounds for stable medians: the run
    /// whose figures go into `docs/benchmarks.md`.
    Full,
}

impl Mode {
    /// `quick` in quick mode, `full` in full mode.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        match self {
            Mode::Quick => quick,
            Mode::Full => full,
        }
    }

    /// `quick` or `full`.
    pub fn name(self) -> &'static str {
        self.pick("quick", "full")
    }
}
