//! `Latencies`: how long each exchange of a load took, kept as a histogram of bounded size.

use std::time::Duration;

/// Sub-buckets per power of two: values are kept to within 1/128 (under 1 %) of what they were.
const SUB_BUCKETS: u64 = 128;

/// Values below this are counted exactly, one bucket each.
const EXACT: u64 = 2 * SUB_BUCKETS;

/// Enough buckets for any `u64` number of nanoseconds.
const BUCKETS: usize = (EXACT + (64 - 8) * SUB_BUCKETS) as usize;

/// A histogram of durations, in nanoseconds, with a relative precision better than 1 %: each
/// power of two is cut into 128 buckets. Its size is fixed (about 58 KiB) whatever the count,
/// so a load generator can record every exchange of a long run.
///
/// ```
/// use std::time::Duration;
/// use ginkgo_bench::load::Latencies;
///
/// let mut latencies = Latencies::new();
/// for micros in 1..=100 {
///     latencies.record(Duration::from_micros(micros));
/// }
/// assert_eq!(latencies.count(), 100);
/// let p99 = latencies.quantile(0.99).as_secs_f64() * 1e6;
/// assert!((p99 - 99.0).abs() < 1.0, "{p99}");
/// ```
#[derive(Clone)]
pub struct Latencies {
    buckets: Box<[u64]>,
    count: u64,
}

impl Latencies {
    /// An empty histogram.
    pub fn new() -> Self {
        Latencies { buckets: vec![0; BUCKETS].into_boxed_slice(), count: 0 }
    }

    /// Counts one exchange that took `latency`.
    pub fn record(&mut self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[bucket(ns)] += 1;
        self.count += 1;
    }

    /// How many exchanges were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Latencies) {
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *mine += theirs;
        }
        self.count += other.count;
    }

    /// The latency that a fraction `q` (0.99 for the 99th percentile) of the exchanges did not
    /// exceed: the middle of the bucket where that rank falls. Zero if nothing was recorded.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let (low, width) = bounds(index);
                return Duration::from_nanos(low + width / 2);
            }
        }
        unreachable!("the ranks add up to the count")
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies::new()
    }
}

impl std::fmt::Debug for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Latencies")
            .field("count", &self.count)
            .field("p50", &self.quantile(0.5))
            .field("p99", &self.quantile(0.99))
            .finish()
    }
}

/// The bucket of `ns`: exact below [`EXACT`], then 128 a power of two.
fn bucket(ns: u64) -> usize {
    if ns < EXACT {
        return ns as usize;
    }
    let bits = 64 - u64::from(ns.leading_zeros());
    let shift = bits - 8;
    let top = ns >> shift;
    (EXACT + (shift - 1) * SUB_BUCKETS + (top - SUB_BUCKETS)) as usize
}

/// The lowest value of bucket `index`, and how many values it holds.
fn bounds(index: usize) -> (u64, u64) {
    let index = index as u64;
    if index < EXACT {
        return (index, 1);
    }
    let shift = (index - EXACT) / SUB_BUCKETS + 1;
    let top = (index - EXACT) % SUB_BUCKETS + SUB_BUCKETS;
    (top << shift, 1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_a_bucket_that_holds_it() {
        for ns in (0..5_000).chain([65_535, 1 << 20, 123_456_789, u64::MAX / 3, u64::MAX]) {
            let (low, width) = bounds(bucket(ns));
            assert!(low <= ns && ns - low < width, "{ns}: [{low}, +{width})");
            assert!(width == 1 || width * 128 <= low, "{ns}: a bucket is within 1/128 of its values");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_of_merged_histograms() {
        let (mut a, mut b) = (Latencies::new(), Latencies::new());
        (0..90).for_each(|_| a.record(Duration::from_nanos(100)));
        (0..10).for_each(|_| b.record(Duration::from_millis(5)));
        a.merge(&b);
        assert_eq!(a.count(), 100);
        assert_eq!(a.quantile(0.5), Duration::from_nanos(100));
        assert_eq!(a.quantile(0.90), Duration::from_nanos(100));
        let p99 = a.quantile(0.99).as_nanos() as f64;
        assert!((p99 / 5e6 - 1.0).abs() < 0.01, "{p99}");
        assert_eq!(Latencies::new().quantile(0.99), Duration::ZERO);
    }
}
