//! One WebSocket to one relay. `wss://` (rustls with ring, Mozilla's roots
//! from webpki-roots, as for IMAP) to public addresses; `ws://` only to this
//! machine (a relay the person or the tests run here). Every read waits at
//! most until a deadline, so a slow or silent relay costs its timeout and
//! nothing more.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use super::RelayUrl;
use crate::error::{Error, Result};

/// The largest message read from a relay. Events we take are far smaller
/// ([`super::MAX_EVENT_BYTES`]); this bounds what a hostile relay can make
/// us buffer.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// An open WebSocket to a relay.
pub(crate) struct Socket {
    ws: WebSocket<Stream>,
    relay: String,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Socket({})", self.relay)
    }
}

fn tls_config() -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Database(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

impl Socket {
    /// Connect and upgrade, within `timeout`.
    pub(crate) fn open(url: &RelayUrl, timeout: Duration) -> Result<Socket> {
        let relay = url.as_str().to_string();
        let fail = |reason: String| Error::Relay {
            relay: relay.clone(),
            reason,
        };
        let deadline = Instant::now() + timeout;
        let parsed = url.parsed();
        let host = parsed
            .host_str()
            .ok_or_else(|| fail("no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| fail("no port".into()))?;
        let addrs: Vec<SocketAddr> = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| fail(format!("cannot resolve {host}: {e}")))?
            .collect();
        // The addresses checked are the ones connected to: no second lookup.
        if let Some(bad) = addrs.iter().find(|a| !url.may_connect(a.ip())) {
            return Err(fail(format!(
                "{host} is an address on a private or local network ({}); relays are reached \
                 on the internet, or on this machine",
                bad.ip()
            )));
        }
        let mut last = None;
        let mut tcp = None;
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, timeout) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let tcp = tcp.ok_or_else(|| {
            fail(match last {
                Some(e) => format!("cannot connect: {e}"),
                None => format!("{host} has no address"),
            })
        })?;
        tcp.set_nodelay(true).ok();
        tcp.set_read_timeout(Some(timeout))
            .and_then(|()| tcp.set_write_timeout(Some(timeout)))
            .map_err(|e| fail(e.to_string()))?;
        let stream = if parsed.scheme() == "wss" {
            let name = ServerName::try_from(host.clone())
                .map_err(|_| fail("not a host name or IP address".into()))?;
            let conn = ClientConnection::new(tls_config()?, name)
                .map_err(|e| fail(format!("TLS: {e}")))?;
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
        } else {
            Stream::Plain(tcp)
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let (ws, _) = tungstenite::client::client_with_config(url.as_str(), stream, Some(config))
            .map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => fail(describe(&e)),
            tungstenite::HandshakeError::Interrupted(_) => fail("the handshake timed out".into()),
        })?;
        let mut socket = Socket { ws, relay };
        socket.set_deadline(deadline)?;
        Ok(socket)
    }

    fn fail(&self, reason: impl Into<String>) -> Error {
        Error::Relay {
            relay: self.relay.clone(),
            reason: reason.into(),
        }
    }

    fn set_deadline(&mut self, deadline: Instant) -> Result<()> {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        self.ws
            .get_ref()
            .tcp()
            .set_read_timeout(Some(left))
            .map_err(|e| self.fail(e.to_string()))
    }

    /// Send one text message.
    pub(crate) fn send(&mut self, text: String) -> Result<()> {
        self.ws
            .send(Message::text(text))
            .map_err(|e| self.fail(describe(&e)))
    }

    /// The next text message, or `None` once `deadline` passes. A closed
    /// connection is an error (the relay dropped it).
    pub(crate) fn next_text(&mut self, deadline: Instant) -> Result<Option<String>> {
        loop {
            if Instant::now() >= deadline {
                return Ok(None);
            }
            self.set_deadline(deadline)?;
            match self.ws.read() {
                Ok(Message::Text(t)) => return Ok(Some(t.as_str().to_string())),
                // Pings are answered by tungstenite on the next read or write.
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                Ok(Message::Binary(_)) => continue,
                Ok(Message::Close(_)) => return Err(self.fail("the relay closed the connection")),
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Ok(None);
                }
                Err(e) => return Err(self.fail(describe(&e))),
            }
        }
    }

    /// Close politely; errors do not matter any more.
    pub(crate) fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}

/// A tungstenite error in words, without the request (which holds nothing
/// secret here, but may be long).
fn describe(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            "the relay closed the connection".into()
        }
        tungstenite::Error::Io(e) => format!("connection: {e}"),
        tungstenite::Error::Tls(e) => format!("TLS: {e}"),
        tungstenite::Error::Capacity(_) => "the relay sent a message too large".into(),
        tungstenite::Error::Protocol(p) => format!("WebSocket protocol: {p}"),
        tungstenite::Error::Http(r) => format!("the relay answered HTTP {}", r.status()),
        other => other.to_string(),
    }
}
