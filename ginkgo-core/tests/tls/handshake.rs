//! A rustls client and server joined in memory: each one's TLS bytes handed to the other until
//! neither has any more to send. No socket, no thread, no runtime.

use std::io::{Read, Write};
use std::sync::Arc;

use ginkgo_core::tls::ClientTls;
use rustls::client::Resumption;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

/// Two ends of one TLS connection.
pub(crate) struct Pair {
    pub(crate) client: Connection,
    pub(crate) server: Connection,
}

/// Connects a client with `client`'s configuration, verifying the server by the name that goes
/// with `address`, to a server with `server`; the handshake's error, the client's or the
/// server's, if it fails. Every connection is a full handshake: no session is resumed, so the
/// server presents its certificate each time.
pub(crate) fn connect(client: &ClientTls, address: &str, server: Arc<ServerConfig>) -> Result<Pair, rustls::Error> {
    let name = client.server_name(address).unwrap();
    join(ClientConnection::new(without_resumption(&client.client_config()), name)?, server)
}

/// `config`, resuming no session.
pub(crate) fn without_resumption(config: &ClientConfig) -> Arc<ClientConfig> {
    let mut config = config.clone();
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

/// Joins `client` to a server with configuration `server`, and runs their handshake.
pub(crate) fn join(client: ClientConnection, server: Arc<ServerConfig>) -> Result<Pair, rustls::Error> {
    let mut pair = Pair { client: client.into(), server: ServerConnection::new(server)?.into() };
    pair.settle()?;
    assert!(!pair.client.is_handshaking() && !pair.server.is_handshaking(), "the handshake did not finish");
    Ok(pair)
}

impl Pair {
    /// What the client was shown: the server's certificate chain.
    pub(crate) fn server_chain(&self) -> Vec<CertificateDer<'static>> {
        self.client.peer_certificates().unwrap().to_vec()
    }

    /// The certificate the server presented, its own.
    pub(crate) fn server_certificate(&self) -> CertificateDer<'static> {
        self.server_chain().remove(0)
    }

    /// The protocol both ends agreed on (ALPN), as each end sees it.
    pub(crate) fn protocols(&self) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        (self.client.alpn_protocol().map(<[u8]>::to_vec), self.server.alpn_protocol().map(<[u8]>::to_vec))
    }

    /// Sends `request` from the client and `response` back from the server; what each end
    /// received.
    pub(crate) fn exchange(&mut self, request: &[u8], response: &[u8]) -> (Vec<u8>, Vec<u8>) {
        self.client.writer().write_all(request).unwrap();
        self.settle().unwrap();
        let received_by_server = read_all(&mut self.server);
        self.server.writer().write_all(response).unwrap();
        self.settle().unwrap();
        (received_by_server, read_all(&mut self.client))
    }

    /// Hands bytes from each end to the other until neither has any to send.
    fn settle(&mut self) -> Result<(), rustls::Error> {
        for _ in 0..32 {
            let client_sent = transfer(&mut self.client, &mut self.server)?;
            let server_sent = transfer(&mut self.server, &mut self.client)?;
            if !client_sent && !server_sent {
                return Ok(());
            }
        }
        panic!("the two ends still had bytes to send after 32 rounds");
    }
}

/// Whatever `from` has to send, read and processed by `to`; false if it had nothing.
fn transfer(from: &mut Connection, to: &mut Connection) -> Result<bool, rustls::Error> {
    let mut bytes = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut bytes).unwrap();
    }
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets()?;
    }
    Ok(!bytes.is_empty())
}

fn read_all(end: &mut Connection) -> Vec<u8> {
    let mut received = Vec::new();
    match end.reader().read_to_end(&mut received) {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(err) => panic!("reading the plaintext: {err}"),
    }
    received
}
