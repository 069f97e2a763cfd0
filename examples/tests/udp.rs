//! The transports chapter's UDP example, `udp::Counter`: in process on every backend, and run
//! by the `ginkgo` binary, whose log shows the totals.

mod support;

use std::net::{SocketAddr, UdpSocket};

use ginkgo::testing::{each_backend, until, within};
use support::{Home, Running, SIGTERM, ginkgo};

#[test]
fn the_counter_adds_up_each_counter_on_every_backend() {
    each_backend(|backend| async move {
        let counter = backend.service(ginkgo_examples::udp::Counter::with_address("127.0.0.1:0"));
        within(backend, "start", counter.start()).await.unwrap();
        let address = counter.service().local_addr().unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.send_to(b"hits:1|c\nbytes:512|c", address).unwrap();
        client.send_to(b"hits:2|c\nnonsense\nhits:-1|c", address).unwrap();
        until(backend, "the totals", || {
            counter.service().total("hits") == 2 && counter.service().total("bytes") == 512
        })
        .await;
        within(backend, "stop", counter.stop()).await.unwrap();
    });
}

#[test]
fn under_the_runner_the_totals_are_logged() {
    let home = Home::new();
    let conf = home
        .write("counter.toml", "service = \"udp.Counter\"\n[udp]\naddress = \"127.0.0.1:0\"\nreport_every = 0.02\n");
    let mut command = home.command(ginkgo());
    command.arg(&conf);
    let mut run = Running::start(command);
    let bound = run.stderr.wait_contains("receiving datagrams on udp ");
    let line = &run.stderr.all()[bound];
    let address: SocketAddr = line.rsplit("receiving datagrams on udp ").next().unwrap().trim().parse().unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..3 {
        client.send_to(b"hits:1|c", address).unwrap();
    }
    client.send_to(b"bytes:512|c\nbad line", address).unwrap();
    run.stderr.wait_contains("totals: bytes=512 hits=3");
    let from = client.local_addr().unwrap();
    run.stderr.wait_contains(&format!(
        "Counter/DatagramServer: datagram from {from}: handler failed: not a counter (name:value|c): \"bad line\""
    ));
    run.signal(SIGTERM);
    assert_eq!(run.exit_code(), 0, "{}", run.stderr.all().join("\n"));
}
