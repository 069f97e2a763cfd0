//! What each path answers: `/livez`, `/readyz`, `/metrics`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use ginkgo::State;

use super::http::Response;
use super::metrics;
use super::probe::Probe;
use crate::procstat;
use crate::tree::{MAX_SERVICES, Tree};

/// How long the runtime has to run a `/livez` probe task. Well under the second orchestrators
/// give a probe by default (Kubernetes' `timeoutSeconds: 1`), long enough for a busy runtime.
pub(crate) const LIVENESS_LIMIT: Duration = Duration::from_millis(500);

/// The answers, from the tree and a probe of its runtime.
pub(crate) struct Endpoints {
    pub(crate) tree: Arc<Tree>,
    pub(crate) probe: Probe,
}

impl Endpoints {
    pub(crate) fn respond(&self, path: &str) -> Response {
        match path {
            "/livez" => self.livez(),
            "/readyz" => self.readyz(),
            "/metrics" => Response {
                status: 200,
                content_type: metrics::CONTENT_TYPE,
                body: metrics::render(self.tree.look().as_ref(), self.tree.uptime(), procstat::read()),
            },
            _ => Response::text(404, "not found: /livez, /readyz and /metrics are\n"),
        }
    }

    /// 200 while a task on the tree's runtime runs within [`LIVENESS_LIMIT`], 503 otherwise.
    fn livez(&self) -> Response {
        let Some(runtime) = self.tree.root().and_then(|root| root.async_manager().cloned()) else {
            return Response::text(503, "not live: the service tree is not built yet\n");
        };
        match self.probe.runtime_answers(&runtime, LIVENESS_LIMIT) {
            true => Response::text(200, "live\n"),
            false => Response::text(
                503,
                format!(
                    "not live: the runtime that runs the tree did not run a probe task within {} ms\n",
                    LIVENESS_LIMIT.as_millis()
                ),
            ),
        }
    }

    /// 200 while the root is ready; otherwise 503 and the services that are not ready, one a
    /// line: its path and state.
    fn readyz(&self) -> Response {
        let Some(look) = self.tree.look() else {
            return Response::text(503, "not ready: the service tree is not built yet\n");
        };
        if look.snapshot.state == State::Ready {
            return Response::text(200, "ready\n");
        }
        let mut body = String::from("not ready:\n");
        let not_ready = look.services().filter(|view| view.snapshot.state != State::Ready);
        let mut left_out = 0;
        for (count, view) in not_ready.enumerate() {
            match count < MAX_SERVICES {
                true => {
                    let _ = writeln!(body, "{} {}", view.snapshot.path, view.snapshot.state);
                }
                false => left_out += 1,
            }
        }
        if left_out > 0 {
            let _ = writeln!(body, "({left_out} more not shown)");
        }
        Response::text(503, body)
    }
}
