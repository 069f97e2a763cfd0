//! `udp`: a statsd-style counter over UDP (the transports chapter's UDP section).
//!
//! [`Counter`] receives datagrams of counters, `name:value|c`, one or more a datagram on
//! lines of their own (statsd's format for counters), adds them up, and logs the totals every
//! [`REPORT_EVERY`] seconds, `totals: bytes=512 hits=3`, when something was counted since the
//! last report. A line that is not a counter is logged with its sender and dropped; the
//! datagram's other lines still count.
//!
//! ```text
//! $ cargo run -p ginkgo-examples --bin ginkgo -- udp.Counter
//! $ printf 'hits:1|c\nbytes:512|c' | nc -u -w0 127.0.0.1 8125
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ginkgo::net::{Datagram, DatagramServer};
use ginkgo::{BoxError, Context, Readiness, Service, ServiceHandle, TaskResult, async_trait, setting};

setting!(pub static ADDRESS: String {
    name: "udp.address",
    default: "127.0.0.1:8125".to_string(),
    help: "Where Counter receives its datagrams (host:port)",
    restart: true,
});

setting!(pub static REPORT_EVERY: f64 {
    name: "udp.report_every",
    default: 10.0,
    help: "Seconds between two logs of Counter's totals",
    range: 0.001..=86_400.0,
});

/// The totals so far, by counter name.
type Totals = Arc<Mutex<BTreeMap<String, i64>>>;

/// A statsd-style counter: a [`DatagramServer`] child adding up the counters it receives, and
/// a task logging the totals.
///
/// ```no_run
/// use ginkgo::Backend;
/// use ginkgo_examples::udp::Counter;
///
/// Backend::default().serve_forever(Counter::new())?;
/// # Ok::<(), ginkgo::Error>(())
/// ```
pub struct Counter {
    server: ServiceHandle<DatagramServer>,
    totals: Totals,
}

impl Counter {
    /// The counter on [`ADDRESS`].
    pub fn new() -> ServiceHandle<Self> {
        Self::with_address(ADDRESS.get(ginkgo::Config::current()))
    }

    /// The counter on `address`.
    pub fn with_address(address: impl ToString) -> ServiceHandle<Self> {
        let totals = Totals::default();
        let counting = totals.clone();
        let server = DatagramServer::new(address, move |datagram, _ctx| count(counting.clone(), datagram))
            .with_max_datagram_size(1432);
        ServiceHandle::build(|this| Counter { server: this.add_service(server), totals })
    }

    /// The address it receives on, while it does.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.service().local_addr()
    }

    /// The total of the counter `name` so far.
    pub fn total(&self, name: &str) -> i64 {
        lock(&self.totals).get(name).copied().unwrap_or(0)
    }
}

#[async_trait]
impl Service for Counter {
    async fn do_start(&self, ctx: &Context) -> Result<Readiness, BoxError> {
        let totals = self.totals.clone();
        ctx.spawn(move |ctx| async move {
            let every = Duration::from_secs_f64(REPORT_EVERY.get(ctx.config()));
            let mut reported = String::new();
            loop {
                ctx.sleep(every).await?;
                let now = report(&lock(&totals));
                if !now.is_empty() && now != reported {
                    log::info!("totals: {now}");
                    reported = now;
                }
            }
        });
        Ok(Readiness::Ready)
    }
}

/// Adds the datagram's counters to `totals`; fails naming the first line that is not one.
async fn count(totals: Totals, datagram: Datagram) -> TaskResult {
    let text = String::from_utf8_lossy(datagram.data());
    let mut bad = None;
    for line in text.lines().filter(|line| !line.is_empty()) {
        match parse_counter(line) {
            Some((name, value)) => *lock(&totals).entry(name.to_string()).or_insert(0) += value,
            None => bad = bad.or(Some(line.to_string())),
        }
    }
    match bad {
        Some(line) => Err(format!("not a counter (name:value|c): {line:?}").into()),
        None => Ok(()),
    }
}

/// `name:value|c` as its name and value.
fn parse_counter(line: &str) -> Option<(&str, i64)> {
    let (name, rest) = line.split_once(':')?;
    let value = rest.strip_suffix("|c")?.parse().ok()?;
    (!name.is_empty()).then_some((name, value))
}

/// The totals as `name=total` pairs, by name.
fn report(totals: &BTreeMap<String, i64>) -> String {
    let mut text = String::new();
    for (name, total) in totals {
        let _ = write!(text, "{}{name}={total}", if text.is_empty() { "" } else { " " });
    }
    text
}

fn lock<V>(mutex: &Mutex<V>) -> MutexGuard<'_, V> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::parse_counter;

    #[test]
    fn a_counter_line_is_a_name_a_value_and_c() {
        assert_eq!(parse_counter("hits:1|c"), Some(("hits", 1)));
        assert_eq!(parse_counter("queue.depth:-3|c"), Some(("queue.depth", -3)));
        assert_eq!(parse_counter("hits:1|g"), None, "a gauge is not a counter");
        assert_eq!(parse_counter(":1|c"), None);
        assert_eq!(parse_counter("hits"), None);
    }
}
