//! ZeroMQ REQ/REP round trips over TCP on 127.0.0.1: a `ginkgo::zmq::ZmqService` replier and
//! requester (the sockets through `ZmqSocket`, the services on the tokio backend) against the
//! same `zeromq` sockets used by hand (the replier's loop a tokio task).
//!
//! A round binds the replier, connects the requester, then times N round trips of a 64-byte
//! message, one after the other (REQ/REP takes turns), and closes both. Setting up and closing
//! are not timed. The figure is round trips a second.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::channel::oneshot;
use ginkgo::backends::TokioManager;
use ginkgo::zmq::{RepSocket, ReqSocket, ZmqMessage, ZmqService, ZmqSocket};
use ginkgo::{ServiceHandle, TaskResult};
use tokio::runtime::Runtime;
use zeromq::{Socket, SocketRecv, SocketSend};

use crate::Mode;
use crate::cases::runtime::tokio_runtime;
use crate::measure::{Rounds, alternate};
use crate::report::{Row, Target, Unit, count};

/// Ginkgo's round trips a second over the baseline's must be at least this.
pub const TARGET: f64 = 0.95;

/// What each request carries.
const PAYLOAD: [u8; 64] = [b'z'; 64];

/// Runs the case: 20,000 round trips a round (2,000 in quick mode).
pub fn run(mode: Mode) -> Vec<Row> {
    let trips = mode.pick(2_000, 20_000);
    let rounds = mode.pick(Rounds { warmup: 1, measured: 5 }, Rounds { warmup: 2, measured: 11 });
    let runtime = tokio_runtime();
    let [rate] = alternate(rounds, || [ginkgo(&runtime, trips)], || [by_hand(&runtime, trips)]);
    vec![Row::compared(
        format!("ZeroMQ REQ/REP, ginkgo::zmq::ZmqService: round trips/s ({} a round)", count(trips)),
        &rate,
        Unit::Rate("msg/s"),
        Target::AtLeast(TARGET),
    )]
}

/// Ginkgo: a bound REP service echoing, a connected REQ service whose handler times `trips`
/// round trips. Returns round trips a second.
///
/// # Panics
///
/// If a service fails or an answer is wrong.
pub fn ginkgo(runtime: &Runtime, trips: u64) -> f64 {
    runtime.block_on(async {
        let manager = || TokioManager::with_handle(runtime.handle().clone());
        let replier = ServiceHandle::new(ZmqService::bind("tcp://127.0.0.1:0", echo)).with_manager(manager());
        replier.start().await.expect("the replier starts");
        let endpoint = replier.service().endpoint().expect("bound");
        let (tell, told) = oneshot::channel();
        let tell = Mutex::new(Some(tell));
        let requester = ServiceHandle::new(ZmqService::connect(endpoint, move |socket: ZmqSocket<ReqSocket>, ctx| {
            let tell = tell.lock().unwrap().take();
            async move {
                let began = Instant::now();
                for _ in 0..trips {
                    socket.send(PAYLOAD.to_vec()).await?;
                    check(&socket.recv().await?);
                }
                if let Some(tell) = tell {
                    let _ = tell.send(began.elapsed());
                }
                ctx.stopping().await;
                Ok(())
            }
        }))
        .with_manager(manager());
        requester.start().await.expect("the requester starts");
        let took = told.await.expect("the requester's handler ran");
        requester.stop().await.expect("the requester stops");
        replier.stop().await.expect("the replier stops");
        per_second(trips, took)
    })
}

/// The replier's handler: answers each request with itself.
async fn echo(socket: ZmqSocket<RepSocket>, _ctx: ginkgo::Context) -> TaskResult {
    loop {
        let request = socket.recv().await?;
        socket.send(request).await?;
    }
}

/// The baseline: the same sockets by hand, the replier's loop a tokio task. Returns round trips
/// a second.
///
/// # Panics
///
/// If a socket fails or an answer is wrong.
pub fn by_hand(runtime: &Runtime, trips: u64) -> f64 {
    runtime.block_on(async {
        let mut replier = RepSocket::new();
        let endpoint = replier.bind("tcp://127.0.0.1:0").await.expect("the replier binds").to_string();
        let echoing = tokio::spawn(async move {
            for _ in 0..trips {
                let request = replier.recv().await.expect("a request");
                replier.send(request).await.expect("the answer goes");
            }
            replier.close().await;
        });
        let mut requester = ReqSocket::new();
        requester.connect(&endpoint).await.expect("the requester connects");
        let began = Instant::now();
        for _ in 0..trips {
            requester.send(PAYLOAD.to_vec().into()).await.expect("the request goes");
            check(&requester.recv().await.expect("an answer"));
        }
        let took = began.elapsed();
        echoing.await.expect("the replier's loop ends");
        requester.close().await;
        per_second(trips, took)
    })
}

/// An answer is the request echoed.
fn check(answer: &ZmqMessage) {
    assert_eq!(answer.get(0).map(|frame| &frame[..]), Some(&PAYLOAD[..]), "the answer echoes the request");
}

fn per_second(trips: u64, took: Duration) -> f64 {
    trips as f64 / took.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_make_their_round_trips() {
        let runtime = tokio_runtime();
        assert!(ginkgo(&runtime, 20) > 0.0);
        assert!(by_hand(&runtime, 20) > 0.0);
    }
}
