//! The table a run prints: one row per figure, Ginkgo next to its baseline.

use std::fmt;
use std::time::Duration;

use crate::measure::{Paired, median};

/// What a row's figures are, which tells how they are shown and which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A time, in nanoseconds (per task, per round, per read): lower is better.
    Time,
    /// A rate, in units of work a second (`msg/s`, `req/s`): higher is better.
    Rate(&'static str),
    /// A size in bytes (memory per connection): lower is better.
    Bytes,
}

impl Unit {
    /// `value` (nanoseconds, units a second or bytes) as the table shows it.
    ///
    /// ```
    /// use ginkgo_bench::report::Unit;
    ///
    /// assert_eq!(Unit::Time.show(1_254.0), "1.25 µs");
    /// assert_eq!(Unit::Rate("msg/s").show(123_456.7), "123,457 msg/s");
    /// assert_eq!(Unit::Bytes.show(2_560.0), "2.50 KiB");
    /// ```
    pub fn show(self, value: f64) -> String {
        match self {
            Unit::Time => duration(value),
            Unit::Rate(what) => format!("{} {what}", count(value.round() as u64)),
            Unit::Bytes => bytes(value),
        }
    }
}

/// What a row is held to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Ginkgo's figure over the baseline's must be at most this (times, sizes).
    AtMost(f64),
    /// Ginkgo's figure over the baseline's must be at least this (rates).
    AtLeast(f64),
    /// No baseline: the figure itself should stay under this many nanoseconds (a goal).
    Under(f64),
    /// No baseline and no goal: the figure is reported.
    Report,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::AtMost(ratio) => write!(f, "≤ {ratio:.2}×"),
            Target::AtLeast(ratio) => write!(f, "≥ {ratio:.2}×"),
            Target::Under(ns) => write!(f, "< {}", duration(*ns)),
            Target::Report => write!(f, "report"),
        }
    }
}

/// One line of the table: a figure of a case, Ginkgo's median, the baseline's and their ratio
/// (or, for a figure with no baseline, Ginkgo's median alone), and the target.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was measured, e.g. `spawn + await, tokio (per task)`.
    pub case: String,
    /// What the two medians are.
    pub unit: Unit,
    /// Ginkgo's median, per unit of work (per task, per tree) for a time.
    pub ginkgo: f64,
    /// The baseline's median, in the same unit; `None` for a figure with no baseline.
    pub baseline: Option<f64>,
    /// The median of the ratios of paired rounds (see [`Paired::ratio`]); `None` without a
    /// baseline.
    pub ratio: Option<f64>,
    /// The smallest and largest ratio of a pair of rounds or, without a baseline, the smallest
    /// and largest run.
    pub spread: (f64, f64),
    /// What the row is held to.
    pub target: Target,
    /// How many pairs of rounds (or runs, without a baseline) were kept.
    pub rounds: usize,
}

impl Row {
    /// The row for timed rounds `paired`, each of which did `units` units of work (tasks,
    /// trees): a time per unit, held to a ratio of at most `target`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ginkgo_bench::measure::Paired;
    /// use ginkgo_bench::report::Row;
    ///
    /// let us = Duration::from_micros;
    /// let paired = Paired { ginkgo: vec![us(300)], baseline: vec![us(200)] };
    /// let row = Row::new("spawn", &paired, 1_000, 1.10);
    /// assert!((row.ginkgo - 300.0).abs() < 1e-6);
    /// assert!((row.ratio.unwrap() - 1.5).abs() < 1e-9);
    /// assert_eq!(row.holds(), Some(false));
    /// ```
    pub fn new(case: impl Into<String>, paired: &Paired, units: u64, target: f64) -> Row {
        let per_unit = |d: Duration| d.as_secs_f64() * 1e9 / units as f64;
        Row {
            case: case.into(),
            unit: Unit::Time,
            ginkgo: per_unit(paired.ginkgo_median()),
            baseline: Some(per_unit(paired.baseline_median())),
            ratio: Some(paired.ratio()),
            spread: paired.ratio_range(),
            target: Target::AtMost(target),
            rounds: paired.ginkgo.len(),
        }
    }

    /// The row for rounds `paired` that each measured a figure in `unit` (nanoseconds for
    /// [`Unit::Time`]), held to `target`.
    ///
    /// ```
    /// use ginkgo_bench::measure::Paired;
    /// use ginkgo_bench::report::{Row, Target, Unit};
    ///
    /// let paired = Paired { ginkgo: vec![95_000.0, 99_000.0], baseline: vec![100_000.0, 100_000.0] };
    /// let row = Row::compared("echo", &paired, Unit::Rate("msg/s"), Target::AtLeast(0.95));
    /// assert!((row.ratio.unwrap() - 0.97).abs() < 1e-9);
    /// assert_eq!(row.holds(), Some(true));
    /// ```
    pub fn compared(case: impl Into<String>, paired: &Paired<f64>, unit: Unit, target: Target) -> Row {
        Row {
            case: case.into(),
            unit,
            ginkgo: paired.ginkgo_median(),
            baseline: Some(paired.baseline_median()),
            ratio: Some(paired.ratio()),
            spread: paired.ratio_range(),
            target,
            rounds: paired.ginkgo.len(),
        }
    }

    /// The row for a figure with no baseline: the median of the timed `runs`, held to `target`
    /// ([`Target::Under`] or [`Target::Report`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ginkgo_bench::report::{Row, Target};
    ///
    /// let ms = Duration::from_millis;
    /// let row = Row::single("stop", &[ms(40), ms(60), ms(50)], Target::Under(100e6));
    /// assert_eq!(row.ginkgo, 50e6);
    /// assert_eq!(row.spread, (40e6, 60e6));
    /// assert_eq!(row.holds(), Some(true));
    /// ```
    pub fn single(case: impl Into<String>, runs: &[Duration], target: Target) -> Row {
        let ns: Vec<f64> = runs.iter().map(|run| run.as_secs_f64() * 1e9).collect();
        let low = ns.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Row {
            case: case.into(),
            unit: Unit::Time,
            ginkgo: median(&ns),
            baseline: None,
            ratio: None,
            spread: (low, high),
            target,
            rounds: runs.len(),
        }
    }

    /// The same row held to `target` instead: a paired figure can be held to a goal of its own
    /// ([`Target::Under`]), its baseline then showing what the goal is up against.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ginkgo_bench::measure::Paired;
    /// use ginkgo_bench::report::{Row, Target};
    ///
    /// let ms = Duration::from_millis;
    /// let paired = Paired { ginkgo: vec![ms(150)], baseline: vec![ms(110)] };
    /// let row = Row::new("exit", &paired, 1, 1.0).with_target(Target::Under(100e6));
    /// assert_eq!(row.holds(), Some(false));
    /// ```
    pub fn with_target(self, target: Target) -> Row {
        Row { target, ..self }
    }

    /// Whether the target holds; `None` for a figure that is only reported.
    pub fn holds(&self) -> Option<bool> {
        match (self.target, self.ratio) {
            (Target::AtMost(most), Some(ratio)) => Some(ratio <= most),
            (Target::AtLeast(least), Some(ratio)) => Some(ratio >= least),
            (Target::Under(ns), _) => Some(self.ginkgo < ns),
            _ => None,
        }
    }
}

/// Rows printed as a Markdown table, with columns padded so it also reads well in a terminal.
///
/// ```
/// use std::time::Duration;
/// use ginkgo_bench::measure::Paired;
/// use ginkgo_bench::report::{Row, Table, Target};
///
/// let ms = Duration::from_millis;
/// let paired = Paired { ginkgo: vec![ms(9)], baseline: vec![ms(10)] };
/// let rows = vec![Row::new("tree start", &paired, 1, 1.0), Row::single("exit", &[ms(120)], Target::Under(100e6))];
/// let table = Table(rows).to_string();
/// assert!(table.starts_with("| case "));
/// assert!(table.contains("| 9.00 ms "));
/// assert!(table.contains("| 0.90× "));
/// assert!(table.contains("| yes "));
/// assert!(table.contains("| 120 ms "));
/// assert!(table.contains("| < 100 ms "));
/// assert!(table.contains("| no "));
/// ```
pub struct Table(pub Vec<Row>);

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["case", "Ginkgo", "baseline", "ratio", "spread (min–max)", "target", "holds"];
        let mut lines = vec![header.map(String::from).to_vec()];
        for row in &self.0 {
            let spread = match row.ratio {
                Some(_) => format!("{:.2}–{:.2}× ({} pairs)", row.spread.0, row.spread.1, row.rounds),
                None => {
                    format!("{}–{} ({} runs)", row.unit.show(row.spread.0), row.unit.show(row.spread.1), row.rounds)
                }
            };
            lines.push(vec![
                row.case.clone(),
                row.unit.show(row.ginkgo),
                row.baseline.map_or_else(|| "—".to_string(), |b| row.unit.show(b)),
                row.ratio.map_or_else(|| "—".to_string(), |r| format!("{r:.2}×")),
                spread,
                row.target.to_string(),
                match row.holds() {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "—",
                }
                .to_string(),
            ]);
        }
        let widths: Vec<usize> =
            (0..header.len()).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
        for (i, line) in lines.iter().enumerate() {
            for (cell, width) in line.iter().zip(&widths) {
                write!(f, "| {cell}{} ", " ".repeat(width - cell.chars().count()))?;
            }
            writeln!(f, "|")?;
            if i == 0 {
                for width in &widths {
                    write!(f, "|{}", "-".repeat(width + 2))?;
                }
                writeln!(f, "|")?;
            }
        }
        Ok(())
    }
}

/// A size in bytes: `712 B`, `2.50 KiB`, `1.20 MiB`.
///
/// ```
/// assert_eq!(ginkgo_bench::report::bytes(712.4), "712 B");
/// assert_eq!(ginkgo_bench::report::bytes(1_258_291.0), "1.20 MiB");
/// ```
pub fn bytes(value: f64) -> String {
    match value {
        v if v.abs() < 1024.0 => format!("{v:.0} B"),
        v if v.abs() < 1024.0 * 1024.0 => format!("{:.2} KiB", v / 1024.0),
        v => format!("{:.2} MiB", v / (1024.0 * 1024.0)),
    }
}

/// A time in nanoseconds with three significant digits and a unit that fits: `312 ns`,
/// `1.25 µs`, `48.1 ms`.
///
/// ```
/// assert_eq!(ginkgo_bench::report::duration(312.4), "312 ns");
/// assert_eq!(ginkgo_bench::report::duration(1_254.0), "1.25 µs");
/// assert_eq!(ginkgo_bench::report::duration(48_100_000.0), "48.1 ms");
/// ```
pub fn duration(ns: f64) -> String {
    let (value, unit) = match ns {
        ns if ns < 1e3 => (ns, "ns"),
        ns if ns < 1e6 => (ns / 1e3, "µs"),
        ns if ns < 1e9 => (ns / 1e6, "ms"),
        ns => (ns / 1e9, "s"),
    };
    let decimals = match value {
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{value:.decimals$} {unit}")
}

/// A count with thousands separated by commas: `1,000,000`.
///
/// ```
/// assert_eq!(ginkgo_bench::report::count(1_000_000), "1,000,000");
/// assert_eq!(ginkgo_bench::report::count(999), "999");
/// ```
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
