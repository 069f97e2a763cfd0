//! Alternating rounds of Ginkgo and its baseline, and the medians that sum them up.
//!
//! The machines these run on are shared and noisy, so an absolute figure means little; what
//! means something is how Ginkgo compares with a baseline measured right next to it. Every round
//! of Ginkgo is paired with a round of the baseline run just before or just after it (the order
//! flips from one pair to the next, so a slow drift in the machine's speed favours neither side),
//! and the ratio reported is the median of the ratios of those pairs.
//!
//! A figure is usually a time ([`Duration`]); cases that measure something else (messages a
//! second, bytes per connection) use `f64`. Cases with no baseline (the time a daemon takes to
//! stop, say) only [`repeat`] a run and report its median.

use std::time::Duration;

/// How many rounds a comparison runs, for each side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rounds {
    /// Rounds run first and thrown away: thread pools, allocator and caches warm up.
    pub warmup: usize,
    /// Rounds that are kept.
    pub measured: usize,
}

/// The kept rounds of one figure (such as the start time of the tree case), for both sides.
///
/// `T` is what a round measures: a [`Duration`] by default, or an `f64` (messages a second,
/// bytes per connection).
///
/// ```
/// use std::time::Duration;
/// use ginkgo_bench::measure::Paired;
///
/// let ms = Duration::from_millis;
/// let paired = Paired { ginkgo: vec![ms(15), ms(40), ms(10)], baseline: vec![ms(10), ms(20), ms(8)] };
/// assert_eq!(paired.ginkgo_median(), ms(15));
/// assert_eq!(paired.ratios(), [1.5, 2.0, 1.25]);
/// assert_eq!(paired.ratio(), 1.5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Paired<T = Duration> {
    /// Ginkgo's rounds, in the order they ran.
    pub ginkgo: Vec<T>,
    /// The baseline's rounds; `baseline[i]` ran right next to `ginkgo[i]`.
    pub baseline: Vec<T>,
}

impl<T> Default for Paired<T> {
    fn default() -> Self {
        Paired { ginkgo: Vec::new(), baseline: Vec::new() }
    }
}

impl<T: Figure> Paired<T> {
    /// The median of Ginkgo's rounds.
    pub fn ginkgo_median(&self) -> T {
        median(&self.ginkgo)
    }

    /// The median of the baseline's rounds.
    pub fn baseline_median(&self) -> T {
        median(&self.baseline)
    }

    /// Ginkgo's figure over the baseline's, for each pair of rounds.
    pub fn ratios(&self) -> Vec<f64> {
        self.ginkgo.iter().zip(&self.baseline).map(|(g, b)| g.value() / b.value()).collect()
    }

    /// The median of [`ratios`](Paired::ratios): the figure compared with a target.
    pub fn ratio(&self) -> f64 {
        median(&self.ratios())
    }

    /// The smallest and the largest ratio of a pair, to show how noisy the run was.
    pub fn ratio_range(&self) -> (f64, f64) {
        let ratios = self.ratios();
        let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (low, high)
    }
}

/// Runs `ginkgo` and `baseline` in alternating rounds, warm-up rounds first, and returns the
/// kept rounds of each figure.
///
/// A round returns `N` figures (the tree case measures its start and its stop in one round, so
/// `N` is 2 there; a spawn case measures one).
///
/// ```
/// use std::time::Duration;
/// use ginkgo_bench::measure::{alternate, Rounds};
///
/// let mut order = Vec::new();
/// let order_cell = std::cell::RefCell::new(&mut order);
/// let [paired] = alternate(
///     Rounds { warmup: 1, measured: 2 },
///     || { order_cell.borrow_mut().push('G'); [Duration::from_millis(2)] },
///     || { order_cell.borrow_mut().push('B'); [Duration::from_millis(1)] },
/// );
/// assert_eq!(order, ['G', 'B', 'B', 'G', 'G', 'B']);
/// assert_eq!(paired.ginkgo.len(), 2);
/// assert_eq!(paired.ratio(), 2.0);
/// ```
pub fn alternate<const N: usize, T: Copy>(
    rounds: Rounds,
    mut ginkgo: impl FnMut() -> [T; N],
    mut baseline: impl FnMut() -> [T; N],
) -> [Paired<T>; N] {
    let mut kept: [Paired<T>; N] = std::array::from_fn(|_| Paired::default());
    for pair in 0..rounds.warmup + rounds.measured {
        let (g, b) = if pair % 2 == 0 {
            let g = ginkgo();
            (g, baseline())
        } else {
            let b = baseline();
            (ginkgo(), b)
        };
        if pair < rounds.warmup {
            continue;
        }
        for (figure, paired) in kept.iter_mut().enumerate() {
            paired.ginkgo.push(g[figure]);
            paired.baseline.push(b[figure]);
        }
    }
    kept
}

/// Runs `run` `rounds.warmup + rounds.measured` times, one after the other, and returns what
/// the kept (non-warm-up) runs measured: for figures that have no baseline.
///
/// ```
/// use ginkgo_bench::measure::{repeat, Rounds};
///
/// let mut calls = 0;
/// let kept = repeat(Rounds { warmup: 2, measured: 3 }, || { calls += 1; calls });
/// assert_eq!(kept, [3, 4, 5]);
/// ```
pub fn repeat<T>(rounds: Rounds, mut run: impl FnMut() -> T) -> Vec<T> {
    (0..rounds.warmup + rounds.measured).map(|_| run()).skip(rounds.warmup).collect()
}

/// A figure a round measures: a time, or a plain number (a rate, a size).
pub trait Figure: Copy + PartialOrd + Midpoint {
    /// The figure as a number, for ratios: seconds for a time.
    fn value(self) -> f64;
}

impl Figure for Duration {
    fn value(self) -> f64 {
        self.as_secs_f64()
    }
}

impl Figure for f64 {
    fn value(self) -> f64 {
        self
    }
}

/// The median of `values`: the middle one, or the mean of the two middle ones.
///
/// # Panics
///
/// If `values` is empty.
pub fn median<T: Copy + PartialOrd + Midpoint>(values: &[T]) -> T {
    assert!(!values.is_empty(), "the median of no rounds");
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[middle] } else { sorted[middle - 1].midpoint_with(sorted[middle]) }
}

/// A value halfway between two others, for [`median`].
pub trait Midpoint {
    /// Halfway between `self` and `other`.
    fn midpoint_with(self, other: Self) -> Self;
}

impl Midpoint for Duration {
    fn midpoint_with(self, other: Self) -> Self {
        (self + other) / 2
    }
}

impl Midpoint for f64 {
    fn midpoint_with(self, other: Self) -> Self {
        (self + other) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[Duration::from_nanos(10), Duration::from_nanos(30)]), Duration::from_nanos(20));
    }

    #[test]
    fn warm_up_rounds_are_run_but_not_kept() {
        let calls = std::cell::Cell::new(0);
        let [start, stop] = alternate(
            Rounds { warmup: 2, measured: 3 },
            || {
                calls.set(calls.get() + 1);
                [Duration::from_millis(3), Duration::from_millis(1)]
            },
            || [Duration::from_millis(1), Duration::from_millis(1)],
        );
        assert_eq!(calls.get(), 5);
        assert_eq!(start.ginkgo.len(), 3);
        assert_eq!(start.ratio(), 3.0);
        assert_eq!(stop.ratio_range(), (1.0, 1.0));
    }
}
