//! The table a run prints: one row per figure, Ginkgo next to its baseline.

use std::fmt;

use crate::measure::Paired;

/// One line of the table: a figure of a case, its two medians, their ratio and the target.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was measured, e.g. `spawn + await, tokio (per task)`.
    pub case: String,
    /// Ginkgo's median, in nanoseconds per unit of work (per task, per tree).
    pub ginkgo_ns: f64,
    /// The baseline's median, in the same unit.
    pub baseline_ns: f64,
    /// The median of the ratios of paired rounds (see [`Paired::ratio`]).
    pub ratio: f64,
    /// The smallest and largest ratio of a pair of rounds.
    pub ratio_range: (f64, f64),
    /// The largest ratio the target allows.
    pub target: f64,
    /// How many pairs of rounds were kept.
    pub rounds: usize,
}

impl Row {
    /// The row for `paired`, whose rounds each did `units` units of work (tasks, trees).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ginkgo_bench::measure::Paired;
    /// use ginkgo_bench::report::Row;
    ///
    /// let us = Duration::from_micros;
    /// let paired = Paired { ginkgo: vec![us(300)], baseline: vec![us(200)] };
    /// let row = Row::new("spawn", &paired, 1_000, 1.10);
    /// assert!((row.ginkgo_ns - 300.0).abs() < 1e-6);
    /// assert!((row.ratio - 1.5).abs() < 1e-9);
    /// assert!(!row.holds());
    /// ```
    pub fn new(case: impl Into<String>, paired: &Paired, units: u64, target: f64) -> Row {
        let per_unit = |d: std::time::Duration| d.as_secs_f64() * 1e9 / units as f64;
        Row {
            case: case.into(),
            ginkgo_ns: per_unit(paired.ginkgo_median()),
            baseline_ns: per_unit(paired.baseline_median()),
            ratio: paired.ratio(),
            ratio_range: paired.ratio_range(),
            target,
            rounds: paired.ginkgo.len(),
        }
    }

    /// True when the median ratio is within the target.
    pub fn holds(&self) -> bool {
        self.ratio <= self.target
    }
}

/// Rows printed as a Markdown table, with columns padded so it also reads well in a terminal.
///
/// ```
/// use std::time::Duration;
/// use ginkgo_bench::measure::Paired;
/// use ginkgo_bench::report::{Row, Table};
///
/// let ms = Duration::from_millis;
/// let paired = Paired { ginkgo: vec![ms(9)], baseline: vec![ms(10)] };
/// let table = Table(vec![Row::new("tree start", &paired, 1, 1.0)]).to_string();
/// assert!(table.starts_with("| case "));
/// assert!(table.contains("| 9.00 ms "));
/// assert!(table.contains("| 0.90× "));
/// assert!(table.contains("| yes "));
/// ```
pub struct Table(pub Vec<Row>);

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = ["case", "Ginkgo", "baseline", "ratio", "pairs min–max", "target", "holds"];
        let mut lines = vec![header.map(String::from).to_vec()];
        for row in &self.0 {
            lines.push(vec![
                row.case.clone(),
                duration(row.ginkgo_ns),
                duration(row.baseline_ns),
                format!("{:.2}×", row.ratio),
                format!("{:.2}–{:.2}× ({} pairs)", row.ratio_range.0, row.ratio_range.1, row.rounds),
                format!("≤ {:.2}×", row.target),
                if row.holds() { "yes" } else { "no" }.to_string(),
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
