//! The tree as JSON, for the control socket's `status`: one object a service, made from the
//! snapshot's public fields by [`service_fields`], within bounds.
//!
//! A tree of ten thousand services does not make a reply of ten thousand objects: a report
//! names at most [`MAX_SERVICES`] services, depth first, each with at most [`MAX_GAUGES`]
//! gauges, in at most [`MAX_STATUS_BYTES`]; it counts the rest (`omitted`), so that the reader
//! knows the list is cut.

use std::time::{Duration, UNIX_EPOCH};

use ginkgo::Snapshot;
use serde_json::{Map, Value, json};

use super::Look;

/// The most services a report names (`status`, `/readyz`, `/metrics`); the others are counted.
pub(crate) const MAX_SERVICES: usize = 1000;
/// The most gauges a report shows for one service; the others are counted.
pub(crate) const MAX_GAUGES: usize = 64;
/// The most bytes of services a `status` reply carries (`ginkgoctl` reads replies of up to
/// 1 MiB).
const MAX_STATUS_BYTES: usize = 512 * 1024;

/// One service of a [`Look`]: its snapshot, depth (the root's is 0) and time in its state.
pub(crate) struct ServiceView<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) depth: usize,
    pub(crate) in_state: Duration,
}

impl ServiceView<'_> {
    /// Its gauges, at most [`MAX_GAUGES`] of them.
    pub(crate) fn gauges(&self) -> &[(String, i64)] {
        let gauges = &self.snapshot.gauges;
        &gauges[..gauges.len().min(MAX_GAUGES)]
    }
}

/// The fields of a `status` reply: `uptime_seconds`, `services` (each as [`service_fields`]
/// makes it, depth first), `total` and `omitted`.
pub(crate) fn status_reply(look: &Look, uptime: Duration) -> Map<String, Value> {
    let (mut services, mut bytes, mut total) = (Vec::new(), 0, 0);
    for view in look.services() {
        total += 1;
        if services.len() < MAX_SERVICES && bytes < MAX_STATUS_BYTES {
            let service = Value::Object(service_fields(&view));
            bytes += service.to_string().len();
            services.push(service);
        }
    }
    let omitted = total - services.len();
    let fields = json!({ "uptime_seconds": seconds(uptime), "services": services, "total": total, "omitted": omitted });
    match fields {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// One service: `path`, `name`, `depth`, `state`, `seconds_in_state` (whole seconds), `tasks`,
/// `gauges` (an object, name to value) and, when it has more than [`MAX_GAUGES`],
/// `gauges_omitted`; then `restarts` and `last_failure` ([`supervision_fields`]).
pub(crate) fn service_fields(view: &ServiceView<'_>) -> Map<String, Value> {
    let snapshot = view.snapshot;
    let mut fields = Map::new();
    fields.insert("path".into(), snapshot.path.clone().into());
    fields.insert("name".into(), snapshot.name.clone().into());
    fields.insert("depth".into(), view.depth.into());
    fields.insert("state".into(), snapshot.state.as_str().into());
    fields.insert("seconds_in_state".into(), view.in_state.as_secs().into());
    fields.insert("tasks".into(), snapshot.tasks.into());
    let gauges = view.gauges().iter().map(|(name, value)| (name.clone(), Value::from(*value)));
    fields.insert("gauges".into(), Value::Object(gauges.collect()));
    if snapshot.gauges.len() > MAX_GAUGES {
        fields.insert("gauges_omitted".into(), (snapshot.gauges.len() - MAX_GAUGES).into());
    }
    supervision_fields(snapshot, &mut fields);
    fields
}

/// A service's supervision record: `restarts` (how often its parent has restarted it) and,
/// once it has failed, `last_failure`: `{"error": the error and its causes, "at": seconds since
/// the epoch}`, kept across its restarts.
fn supervision_fields(snapshot: &Snapshot, fields: &mut Map<String, Value>) {
    fields.insert("restarts".into(), snapshot.restarts.into());
    if let Some(failure) = &snapshot.last_failure {
        let at = failure.at.duration_since(UNIX_EPOCH).map(seconds).unwrap_or(0.0);
        let failure = json!({ "error": failure.error.chain().to_string(), "at": at });
        fields.insert("last_failure".into(), failure);
    }
}

/// Seconds, to the millisecond.
pub(crate) fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use ginkgo::State;

    use super::*;
    use crate::tree::Look;

    fn service(name: &str, path: &str, state: State, gauges: usize, children: Vec<Snapshot>) -> Snapshot {
        let gauges = (0..gauges).map(|i| (format!("g{i}"), i as i64)).collect();
        Snapshot {
            name: name.into(),
            path: path.into(),
            state,
            tasks: 2,
            gauges,
            restarts: 0,
            last_failure: None,
            children,
        }
    }

    /// A service whose start fails, for a real failure to report.
    struct NoDatabase;

    #[ginkgo::async_trait]
    impl ginkgo::Service for NoDatabase {
        fn name(&self) -> String {
            "Child".into()
        }

        async fn do_start(&self, _: &ginkgo::Context) -> Result<ginkgo::Readiness, ginkgo::BoxError> {
            Err("no database".into())
        }
    }

    #[test]
    fn a_service_is_its_snapshot_s_fields_with_depth_and_time() {
        let mut child = service("Child", "Root/Child", State::Starting, 0, vec![]);
        child.restarts = 3;
        let error = ginkgo::Backend::default().serve_forever(NoDatabase).unwrap_err();
        let at = UNIX_EPOCH + Duration::from_millis(1_764_500_000_250);
        child.last_failure = Some(ginkgo::Failure { error, at });
        let root = service("Root", "Root", State::Ready, 1, vec![child]);
        let look = Look { snapshot: root, in_state: vec![Duration::from_millis(12_900), Duration::from_secs(3)] };
        let reply = Value::Object(status_reply(&look, Duration::from_micros(1_234_567)));
        assert_eq!(
            reply,
            json!({
                "uptime_seconds": 1.235,
                "services": [
                    {"path": "Root", "name": "Root", "depth": 0, "state": "ready", "seconds_in_state": 12, "tasks": 2, "gauges": {"g0": 0}, "restarts": 0},
                    {"path": "Root/Child", "name": "Child", "depth": 1, "state": "starting", "seconds_in_state": 3, "tasks": 2, "gauges": {}, "restarts": 3,
                     "last_failure": {"error": "Child: do_start failed: no database", "at": 1764500000.25}},
                ],
                "total": 2,
                "omitted": 0,
            })
        );
    }

    #[test]
    fn a_huge_tree_makes_a_bounded_reply_that_says_what_it_left_out() {
        let children = (0..10_000)
            .map(|i| service(&format!("S{i}"), &format!("Root/S{i}"), State::Ready, 100, vec![]))
            .collect::<Vec<_>>();
        let look = Look {
            snapshot: service("Root", "Root", State::Ready, 0, children),
            in_state: vec![Duration::ZERO; 10_001],
        };
        let reply = status_reply(&look, Duration::ZERO);
        let shown = reply["services"].as_array().unwrap();
        assert!(shown.len() <= MAX_SERVICES, "{}", shown.len());
        assert_eq!(
            (reply["total"].as_u64(), reply["omitted"].as_u64()),
            (Some(10_001), Some(10_001 - shown.len() as u64))
        );
        assert!(Value::Object(reply.clone()).to_string().len() < 2 * MAX_STATUS_BYTES);
        assert_eq!(shown[1]["gauges"].as_object().unwrap().len(), MAX_GAUGES);
        assert_eq!(shown[1]["gauges_omitted"], 100 - MAX_GAUGES);
    }
}
