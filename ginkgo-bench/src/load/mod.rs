//! Load generators: our own clients, driving servers on 127.0.0.1 from a runtime of their own,
//! bounded in connections and time, stopping by themselves.
//!
//! * [`closed_loop`]: each connection sends a request, waits for the answer, and sends the next,
//!   until the time is up; it counts exchanges and their [`Latencies`]. [`closed_loop_over_tls`]
//!   is the same over tokio-rustls.
//! * [`Protocol`]: what one exchange is: a 64-byte echo, or an HTTP/1.1 `GET /`.
//! * [`open_idle`]: opens many connections, checks each with one echo, and leaves them idle.

mod closed_loop;
mod echo;
mod http;
mod idle;
mod latencies;

pub use closed_loop::{Outcome, Protocol, Spec, closed_loop, closed_loop_over_tls};
pub use echo::MESSAGE;
pub use idle::open_idle;
pub use latencies::Latencies;
