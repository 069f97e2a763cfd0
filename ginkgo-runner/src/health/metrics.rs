//! `/metrics`: the tree and the process in the Prometheus text format (OpenMetrics 1.0), made
//! by prometheus-client from a registry filled anew at every scrape, since the tree itself
//! changes (services come and go, states change).
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `ginkgo_service_state` | `path`, `state` | 1 for the state each service is in, 0 for the five others |
//! | `ginkgo_service_tasks` | `path` | live tasks |
//! | `ginkgo_service_gauge` | `path`, `gauge` | each gauge's value |
//! | `ginkgo_service_restarts_total` | `path` | times its parent restarted it (supervision) |
//! | `ginkgo_services` | | services in the tree |
//! | `ginkgo_services_omitted` | | services left out (beyond the first 1000) |
//! | `ginkgo_uptime_seconds` | | since the process began to serve |
//! | `process_resident_memory_bytes`, `process_open_fds`, `process_cpu_seconds_total` | | from `/proc/self` |
//!

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use ginkgo::State;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::procstat::ProcessStats;
use crate::tree::{Look, MAX_SERVICES, ServiceView};

/// What `/metrics` answers with: the content type of OpenMetrics text, which Prometheus asks for.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const STATES: [State; 6] = [State::Init, State::Starting, State::Ready, State::Stopping, State::Stopped, State::Failed];

type Labels = Vec<(String, String)>;

/// The exposition: the tree's metrics when it is built, the process's when `/proc` can be read.
pub(crate) fn render(look: Option<&Look>, uptime: Duration, process: Option<ProcessStats>) -> String {
    let mut registry = Registry::default();
    let uptime_gauge = Gauge::<f64, AtomicU64>::default();
    uptime_gauge.set(uptime.as_secs_f64());
    registry.register_with_unit("ginkgo_uptime", "Time since the process began to serve", Unit::Seconds, uptime_gauge);
    if let Some(look) = look {
        tree_metrics(&mut registry, look);
    }
    if let Some(process) = process {
        process_metrics(&mut registry, process);
    }
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}

fn tree_metrics(registry: &mut Registry, look: &Look) {
    let states = Family::<Labels, Gauge>::default();
    let tasks = Family::<Labels, Gauge>::default();
    let gauges = Family::<Labels, Gauge>::default();
    let restarts = Family::<Labels, Counter>::default();
    let mut total = 0;
    for view in look.services() {
        total += 1;
        if total > MAX_SERVICES {
            continue;
        }
        let path = view.snapshot.path.clone();
        for state in STATES {
            let labels = vec![("path".to_string(), path.clone()), ("state".to_string(), state.as_str().to_string())];
            states.get_or_create(&labels).set(i64::from(view.snapshot.state == state));
        }
        tasks.get_or_create(&vec![("path".to_string(), path.clone())]).set(count(view.snapshot.tasks));
        for (name, value) in view.gauges() {
            let labels = vec![("path".to_string(), path.clone()), ("gauge".to_string(), name.clone())];
            gauges.get_or_create(&labels).set(*value);
        }
        supervision_metrics(&view, &restarts);
    }
    registry.register("ginkgo_service_state", "1 for the state each service is in, 0 for the others", states);
    registry.register("ginkgo_service_tasks", "Live tasks of each service", tasks);
    registry.register("ginkgo_service_gauge", "The gauges each service publishes", gauges);
    registry.register("ginkgo_service_restarts", "Times each service was restarted by its parent", restarts);
    let services = Gauge::<i64>::default();
    services.set(count(total));
    registry.register("ginkgo_services", "Services in the tree", services);
    let omitted = Gauge::<i64>::default();
    omitted.set(count(total.saturating_sub(MAX_SERVICES)));
    registry.register(
        "ginkgo_services_omitted",
        "Services left out of these metrics: only the first 1000 are in",
        omitted,
    );
}

/// How often each service's parent has restarted it (`ginkgo_service_restarts_total`).
fn supervision_metrics(view: &ServiceView<'_>, restarts: &Family<Labels, Counter>) {
    restarts.get_or_create(&vec![("path".to_string(), view.snapshot.path.clone())]).inc_by(view.snapshot.restarts);
}

fn process_metrics(registry: &mut Registry, process: ProcessStats) {
    let resident = Gauge::<i64>::default();
    resident.set(i64::try_from(process.resident_bytes).unwrap_or(i64::MAX));
    registry.register_with_unit("process_resident_memory", "Resident memory size", Unit::Bytes, resident);
    let descriptors = Gauge::<i64>::default();
    descriptors.set(i64::try_from(process.open_descriptors).unwrap_or(i64::MAX));
    registry.register("process_open_fds", "Open file descriptors", descriptors);
    let cpu = Counter::<f64, AtomicU64>::default();
    cpu.inc_by(process.cpu_time.as_secs_f64());
    registry.register_with_unit("process_cpu", "User and system CPU time spent", Unit::Seconds, cpu);
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use ginkgo::Snapshot;

    use super::*;

    #[test]
    fn the_tree_and_the_process_in_openmetrics_text() {
        let child = Snapshot {
            name: "Db \"main\"".into(),
            path: "App/Db \"main\"".into(),
            state: State::Starting,
            tasks: 1,
            gauges: vec![("connections".into(), 3)],
            restarts: 4,
            last_failure: None,
            children: vec![],
        };
        let root = Snapshot {
            name: "App".into(),
            path: "App".into(),
            state: State::Ready,
            tasks: 2,
            gauges: vec![],
            restarts: 0,
            last_failure: None,
            children: vec![child],
        };
        let look = Look { snapshot: root, in_state: vec![Duration::ZERO; 2] };
        let process = ProcessStats { resident_bytes: 4096, open_descriptors: 7, cpu_time: Duration::from_millis(1500) };
        let text = render(Some(&look), Duration::from_secs(3), Some(process));
        for line in [
            "# TYPE ginkgo_service_state gauge",
            r#"ginkgo_service_state{path="App",state="ready"} 1"#,
            r#"ginkgo_service_state{path="App",state="starting"} 0"#,
            r#"ginkgo_service_state{path="App/Db \"main\"",state="starting"} 1"#,
            r#"ginkgo_service_tasks{path="App"} 2"#,
            r#"ginkgo_service_gauge{path="App/Db \"main\"",gauge="connections"} 3"#,
            "# TYPE ginkgo_service_restarts counter",
            r#"ginkgo_service_restarts_total{path="App/Db \"main\""} 4"#,
            r#"ginkgo_service_restarts_total{path="App"} 0"#,
            "ginkgo_services 2",
            "ginkgo_services_omitted 0",
            "ginkgo_uptime_seconds 3.0",
            "process_resident_memory_bytes 4096",
            "process_open_fds 7",
            "process_cpu_seconds_total 1.5",
        ] {
            assert!(text.lines().any(|l| l == line), "no line {line:?} in:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
