//! The example services under the names the `ginkgo` and `ginkgoctl` binaries know them by.

use ginkgo_runner::Registry;

use crate::{hello, quickstart, service, supervision, udp, zmq};

/// Every example service, by target name.
pub fn registry() -> Registry {
    Registry::new()
        .register("hello.HelloWorld", || hello::HelloWorld)
        .register("service.HelloWorld", || service::HelloWorld)
        .register("quickstart.HelloWorldServer", quickstart::HelloWorldServer::new)
        .register("quickstart.HelloWorldClient", quickstart::HelloWorldClient::new)
        .register("quickstart.HelloWorldWebServer", quickstart::HelloWorldWebServer::new)
        .register("quickstart.HelloWorld", quickstart::HelloWorld::new)
        .register("quickstart.AppServer", quickstart::AppServer::new)
        .register("supervision.Relay", supervision::Relay::new)
        .register("udp.Counter", udp::Counter::new)
        .register("zmq.Ticker", zmq::ticker)
        .register("zmq.Listener", zmq::listener)
        .register("zmq.Replier", zmq::replier)
        .register("zmq.Requester", zmq::requester)
}
