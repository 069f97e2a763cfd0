//! The signals a running service process answers, delivered as an async stream.

use futures::channel::mpsc;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::Failure;

/// What a signal asks of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    /// SIGTERM: stop gracefully.
    Terminate,
    /// SIGINT: stop gracefully; a second one during the stop exits at once.
    Interrupt,
    /// SIGHUP: reload configuration, logging and the tree.
    Reload,
}

/// Starts listening for SIGTERM, SIGINT and SIGHUP; from now on they no longer have their
/// default effect. A thread forwards them to the returned stream.
pub(crate) fn listen() -> Result<mpsc::UnboundedReceiver<Request>, Failure> {
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGHUP])
        .map_err(|err| Failure::failed(format!("cannot install signal handlers: {err}")))?;
    let (sender, receiver) = mpsc::unbounded();
    std::thread::Builder::new()
        .name("ginkgo-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let request = match signal {
                    SIGTERM => Request::Terminate,
                    SIGINT => Request::Interrupt,
                    _ => Request::Reload,
                };
                if sender.unbounded_send(request).is_err() {
                    break;
                }
            }
        })
        .map_err(|err| Failure::failed(format!("cannot start the signal thread: {err}")))?;
    Ok(receiver)
}
