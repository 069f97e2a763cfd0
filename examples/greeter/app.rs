//! `greeter`, a daemon of its own built on the runner: the one the guide's chapter "Building
//! your own daemon" builds. A TCP server that greets each client with one line, under its own
//! name, version, environment prefix (`GREETER_`), default target and argument (`--shout`).

use futures::io::AsyncWriteExt;
use ginkgo::net::{Connection, StreamServer};
use ginkgo::{Config, Context, Service, ServiceHandle, TaskResult, setting};
use ginkgo_runner::clap::{Arg, ArgAction};
use ginkgo_runner::{App, Registry};

setting!(pub(crate) static ADDRESS: String {
    name: "greeter.address",
    default: "127.0.0.1:7070".to_string(),
    help: "Where the greeter listens",
});

setting!(pub(crate) static GREETING: String {
    name: "greeter.greeting",
    default: "Hello".to_string(),
    help: "The line each client gets",
});

/// Greets each client with one line, then hangs up.
pub(crate) struct Greeter;

impl Greeter {
    /// The greeter on `address`; in capitals if `shout`.
    pub(crate) fn new(address: impl ToString, shout: bool) -> ServiceHandle<Greeter> {
        ServiceHandle::build(|this| {
            this.add_service(StreamServer::new(address, move |connection, ctx| greet(connection, ctx, shout)));
            Greeter
        })
    }
}

impl Service for Greeter {}

async fn greet(mut connection: Connection, ctx: Context, shout: bool) -> TaskResult {
    // Read at each connection, so a reload changes the greeting at once.
    let greeting = GREETING.get(ctx.config());
    let greeting = if shout { greeting.to_uppercase() } else { greeting };
    connection.write_all(format!("{greeting}\n").as_bytes()).await?;
    log::info!("greeted {}", connection.peer_addr());
    Ok(())
}

/// The `greeter` and `greeterctl` command lines.
pub(crate) fn app() -> App {
    let registry = Registry::new().register("greeter.Greeter", || {
        // The command line's own argument, read as the service is built.
        let shout = ginkgo_runner::arguments().is_some_and(|args| args.get_flag("shout"));
        Greeter::new(ADDRESS.get(Config::current()), shout)
    });
    App::new("greeter", registry)
        .version(env!("CARGO_PKG_VERSION"))
        .about("Greets each client with one line")
        .default_target("greeter.Greeter")
        .arg(Arg::new("shout").long("shout").action(ArgAction::SetTrue).help("Greet in capitals"))
}
