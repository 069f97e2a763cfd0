//! `zmq`: two pairs of ZeroMQ services (the guide's chapter "Using ZeroMQ").
//!
//! | service       | socket | what it does                                                        |
//! |---------------|--------|---------------------------------------------------------------------|
//! | [`Ticker`]    | PUB, binds [`PUBSUB_ENDPOINT`] | publishes `tick 0`, `tick 1`, … every [`TICK_EVERY`] seconds |
//! | [`Listener`]  | SUB, connects to it            | logs each tick it hears: `heard tick 3`                |
//! | [`Replier`]   | REP, binds [`REQREP_ENDPOINT`] | answers each request `hello N` with `world N`          |
//! | [`Requester`] | REQ, connects to it            | asks every [`ASK_EVERY`] seconds, logs each answer     |
//!
//! Each runs as a daemon of its own, on any backend:
//!
//! ```text
//! $ cargo run -p ginkgo-examples --bin ginkgo -- zmq.Ticker      # in one terminal
//! $ cargo run -p ginkgo-examples --bin ginkgo -- zmq.Listener    # in another
//! ```

use std::time::Duration;

use ginkgo::zmq::{PubSocket, RepSocket, ReqSocket, SubSocket, ZmqMessage, ZmqService, ZmqSocket};
use ginkgo::{Config, Context, ServiceHandle, TaskResult, setting};

setting!(pub static PUBSUB_ENDPOINT: String {
    name: "zmq.pubsub_endpoint",
    default: "tcp://127.0.0.1:5556".to_string(),
    help: "Where Ticker publishes (binds) and Listener subscribes (connects)",
    restart: true,
});

setting!(pub static REQREP_ENDPOINT: String {
    name: "zmq.reqrep_endpoint",
    default: "tcp://127.0.0.1:5555".to_string(),
    help: "Where Replier answers (binds) and Requester asks (connects)",
    restart: true,
});

setting!(pub static TICK_EVERY: f64 {
    name: "zmq.tick_every",
    default: 1.0,
    help: "Seconds between two of Ticker's ticks",
    range: 0.001..=86_400.0,
});

setting!(pub static ASK_EVERY: f64 {
    name: "zmq.ask_every",
    default: 1.0,
    help: "Seconds between two of Requester's requests",
    range: 0.001..=86_400.0,
});

/// A PUB socket publishing a numbered tick every [`TICK_EVERY`] seconds.
pub type Ticker = ZmqService<PubSocket>;

/// A SUB socket logging every tick it hears.
pub type Listener = ZmqService<SubSocket>;

/// A REP socket answering `hello N` with `world N`.
pub type Replier = ZmqService<RepSocket>;

/// A REQ socket asking `hello N` every [`ASK_EVERY`] seconds and logging the answers.
pub type Requester = ZmqService<ReqSocket>;

/// The ticker, bound to [`PUBSUB_ENDPOINT`].
pub fn ticker() -> ServiceHandle<Ticker> {
    ServiceHandle::new(ticker_on(PUBSUB_ENDPOINT.get(Config::current())))
}

/// The ticker, bound to `endpoint`.
pub fn ticker_on(endpoint: impl ToString) -> Ticker {
    ZmqService::bind(endpoint, |socket: ZmqSocket<PubSocket>, ctx: Context| async move {
        let every = Duration::from_secs_f64(TICK_EVERY.get(ctx.config()));
        for n in 0u64.. {
            socket.send(format!("tick {n}")).await?;
            ctx.sleep(every).await?;
        }
        Ok(())
    })
}

/// The listener, connected to [`PUBSUB_ENDPOINT`].
pub fn listener() -> ServiceHandle<Listener> {
    ServiceHandle::new(listener_of(PUBSUB_ENDPOINT.get(Config::current())))
}

/// The listener, connected to `endpoint`.
pub fn listener_of(endpoint: impl ToString) -> Listener {
    ZmqService::connect(endpoint, |socket: ZmqSocket<SubSocket>, _ctx| async move {
        socket.subscribe("tick").await?;
        loop {
            log::info!("heard {}", text(&socket.recv().await?));
        }
    })
}

/// The replier, bound to [`REQREP_ENDPOINT`].
pub fn replier() -> ServiceHandle<Replier> {
    ServiceHandle::new(replier_on(REQREP_ENDPOINT.get(Config::current())))
}

/// The replier, bound to `endpoint`.
pub fn replier_on(endpoint: impl ToString) -> Replier {
    ZmqService::bind(endpoint, |socket: ZmqSocket<RepSocket>, _ctx| async move {
        loop {
            let request = text(&socket.recv().await?);
            let answer = match request.strip_prefix("hello ") {
                Some(n) => format!("world {n}"),
                None => format!("what is {request:?}?"),
            };
            socket.send(answer).await?;
        }
    })
}

/// The requester, connected to [`REQREP_ENDPOINT`].
pub fn requester() -> ServiceHandle<Requester> {
    ServiceHandle::new(requester_of(REQREP_ENDPOINT.get(Config::current())))
}

/// The requester, connected to `endpoint`.
pub fn requester_of(endpoint: impl ToString) -> Requester {
    ZmqService::connect(endpoint, ask)
}

/// Asks `hello 0`, `hello 1`, … and logs each answer; numbering starts again after a lost peer.
async fn ask(socket: ZmqSocket<ReqSocket>, ctx: Context) -> TaskResult {
    let every = Duration::from_secs_f64(ASK_EVERY.get(ctx.config()));
    for n in 0u64.. {
        socket.send(format!("hello {n}")).await?;
        log::info!("asked hello {n}, got {}", text(&socket.recv().await?));
        ctx.sleep(every).await?;
    }
    Ok(())
}

/// A message's first frame, as text.
fn text(message: &ZmqMessage) -> String {
    message.get(0).map(|frame| String::from_utf8_lossy(frame).into_owned()).unwrap_or_default()
}
