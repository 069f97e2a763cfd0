//! The ZeroMQ chapter's examples, `zmq::{Ticker, Listener, Replier, Requester}`: each pair run
//! by two `ginkgo` processes talking over TCP, whose logs show the messages.

mod support;

use support::{Home, Running, SIGTERM, ginkgo};

/// Runs `ginkgo` on a configuration of `service` and the `[zmq]` settings `settings`.
fn run(home: &Home, file: &str, service: &str, settings: &str) -> Running {
    let conf = home.write(file, &format!("service = \"{service}\"\n[zmq]\n{settings}\n"));
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    Running::start(command)
}

/// The endpoint a process's ZeroMQ socket was bound to, from its log.
fn bound_endpoint(run: &Running, kind: &str) -> String {
    let marker = format!("ZeroMQ {kind} socket bound to ");
    let line = run.stderr.wait_contains(&marker);
    run.stderr.all()[line].rsplit(&marker).next().unwrap().trim().to_string()
}

fn stop(mut run: Running) {
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0, "{}", run.stderr.all().join("\n"));
}

#[test]
fn the_listener_logs_the_tickers_ticks() {
    let home = Home::new();
    let ticker = run(&home, "ticker.toml", "zmq.Ticker", "pubsub_endpoint = \"tcp://127.0.0.1:0\"\ntick_every = 0.01");
    let endpoint = bound_endpoint(&ticker, "PUB");
    let listener = run(&home, "listener.toml", "zmq.Listener", &format!("pubsub_endpoint = \"{endpoint}\""));
    listener.stderr.wait_contains(&format!("ZeroMQ SUB socket connected to {endpoint}"));
    let first = listener.stderr.wait_contains("heard tick ");
    listener.stderr.wait_from(first + 1, "a second tick", |line| line.contains("heard tick "));
    stop(listener);
    stop(ticker);
}

#[test]
fn the_requester_logs_the_repliers_answers() {
    let home = Home::new();
    let replier = run(&home, "replier.toml", "zmq.Replier", "reqrep_endpoint = \"tcp://127.0.0.1:0\"");
    let endpoint = bound_endpoint(&replier, "REP");
    let requester =
        run(&home, "requester.toml", "zmq.Requester", &format!("reqrep_endpoint = \"{endpoint}\"\nask_every = 0.01"));
    requester.stderr.wait_contains("asked hello 0, got world 0");
    requester.stderr.wait_contains("asked hello 1, got world 1");
    stop(requester);
    stop(replier);
}
