//! Datagram services: [`DatagramServer`] and [`DatagramClient`] over UDP, written once over
//! the [`DatagramTransport`] each backend crate implements.

mod client;
mod received;
mod server;
mod transport;

pub use client::DatagramClient;
pub use received::Datagram;
pub use server::{DEFAULT_MAX_IN_FLIGHT, DatagramServer, MAX_UDP_PAYLOAD};
pub use transport::{DatagramTransport, client_bind_address, first_resolved};
