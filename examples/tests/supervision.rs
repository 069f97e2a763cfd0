//! The guide's supervision example, `supervision::Relay`: in process on every backend, and run by
//! the `ginkgo` binary, whose log shows each restart.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use ginkgo::testing::{each_backend, until, within};
use ginkgo::{Config, Restart, State};
use ginkgo_examples::supervision::{Output, Relay};
use support::{Home, Running, SIGTERM, ginkgo};

/// A configuration in which the upstream drops its connection every 20 ms and the relay may
/// restart it often and at once.
fn quick(home: &Home) -> Config {
    let file = home.write(
        "relay.toml",
        "service = \"supervision.Relay\"\n\
         [supervision]\ndrop_after = 0.02\nreport_every = 0.01\n\
         [supervision.intensity]\nrestarts = 1000\nperiod = 60\nbackoff = { initial_delay = 0.001, max_delay = 0.001, jitter = 0 }\n",
    );
    Config::builder().env(false).file(file).load().expect("the relay's configuration loads")
}

/// What the reporter printed.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<Vec<u8>>>);

impl Printed {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Printed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An output that cannot be written to.
struct Closed;

impl Write for Closed {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_relay_restarts_its_upstream_each_time_the_connection_drops() {
    let home = Home::new();
    let config = quick(&home);
    each_backend(|backend| {
        let config = config.clone();
        async move {
            let printed = Printed::default();
            let output: Output = Arc::new(Mutex::new(printed.clone()));
            let relay = backend.service(Relay::with_output(output).with_config(config));
            within(backend, "start", relay.start()).await.unwrap();
            let upstream = relay.service().upstream().clone();
            assert_eq!(upstream.restart_policy(), Some(Restart::Permanent));
            until(backend, "three restarts", || upstream.snapshot().restarts >= 3).await;
            until(backend, "a report of them", || printed.text().contains("restarts, last failure: Relay/Upstream"))
                .await;
            assert_eq!(relay.state(), State::Ready, "the relay itself never failed");
            assert!(upstream.service().connections() >= 4);
            let report = printed.text();
            assert!(report.contains("Relay ready (0 tasks)\n  Upstream ready (1 task, "), "{report}");
            assert!(report.contains(": task failed: connection 1 reset by the upstream"), "{report}");
            within(backend, "stop", relay.stop()).await.unwrap();
            assert_eq!(relay.state(), State::Stopped);
        }
    });
}

#[test]
fn a_reporter_that_cannot_write_fails_alone() {
    let home = Home::new();
    let config = quick(&home);
    each_backend(|backend| {
        let config = config.clone();
        async move {
            let relay = backend.service(Relay::with_output(Arc::new(Mutex::new(Closed))).with_config(config));
            within(backend, "start", relay.start()).await.unwrap();
            let reporter = relay.children()[1].clone();
            assert_eq!(
                within(backend, "the reporter's end", reporter.wait_stopped(ginkgo::testing::DEADLINE)).await.unwrap(),
                State::Failed
            );
            assert_eq!(reporter.failure().unwrap().chain().to_string(), "Relay/Reporter: task failed: broken pipe");
            let upstream = relay.service().upstream().clone();
            let restarts = upstream.snapshot().restarts;
            until(backend, "the upstream restarted again", || upstream.snapshot().restarts > restarts).await;
            assert_eq!((relay.state(), reporter.state()), (State::Ready, State::Failed));
            within(backend, "stop", relay.stop()).await.unwrap();
        }
    });
}

#[test]
fn under_the_runner_each_restart_is_logged() {
    let home = Home::new();
    let conf = home.write(
        "relay.toml",
        "service = \"supervision.Relay\"\n\
         [supervision]\ndrop_after = 0.05\nreport_every = 0.05\n\
         [supervision.intensity]\nrestarts = 1000\nperiod = 60\nbackoff = { initial_delay = 0.01, jitter = 0 }\n",
    );
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    let mut run = Running::start(command);
    run.stdout.wait_for("the first report", |l| l == "Relay ready (0 tasks)");
    let first = run.stderr.wait_contains("Relay/Upstream: restarting in 10ms (restart 1 of at most 1000 within 60s) after: Relay/Upstream: task failed: connection 1 reset by the upstream");
    run.stderr.wait_from(first, "the second restart", |l| {
        l.contains("Relay/Upstream: restarting in 20ms (restart 2 of at most 1000 within 60s)")
    });
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0, "{}", run.stderr.all().join("\n"));
}
