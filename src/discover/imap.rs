//! Reading the person's own mail over IMAP, read-only and incrementally.
//!
//! [`fetch`] logs in over TLS (implicit, or STARTTLS before anything else
//! is said), opens each folder with `EXAMINE` (never `SELECT`), finds the
//! messages it has not seen (`UID SEARCH`, against the [`FolderState`]s
//! kept from the last run) and hands them to an [`ImapSink`] in ascending
//! UID order: each message's header block (`BODY.PEEK[HEADER]`), and the
//! whole message (`BODY.PEEK[]`, cut at [`MAX_MESSAGE_BYTES`]) only when
//! the sink wants it. `PEEK` leaves `\Seen` alone; nothing is ever stored,
//! copied, appended or expunged: the only commands sent are `CAPABILITY`,
//! `STARTTLS`, `LOGIN`, `EXAMINE`, `UID SEARCH`, `UID FETCH` and `LOGOUT`.
//!
//! The protocol is this small subset of IMAP4rev1 (RFC 3501), written here
//! rather than taken from an IMAP crate so that every read is bounded (one
//! response line, one literal, one batch), the STARTTLS upgrade refuses
//! bytes sent before it, and a server's garbage is an error, never a panic.
//!
//! TLS is rustls with ring. With [`ImapAccount::ca_file`] exactly the
//! certificates of that PEM file are trusted (a private CA); without it the
//! public roots of `webpki-roots` (Mozilla's list, built in: the same on
//! every machine, as ureq uses them). There is no way to accept a
//! certificate that does not verify.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The most of one message fetched whole: a longer one arrives cut there
/// (`BODY.PEEK[]<0.MAX_MESSAGE_BYTES>`), marked `truncated`.
pub const MAX_MESSAGE_BYTES: u32 = 4 * 1024 * 1024;

/// The most of one header block fetched (`BODY.PEEK[HEADER]<0.…>`); a
/// longer one arrives cut, marked `truncated` when it is delivered alone.
const MAX_HEADER_BYTES: u32 = 256 * 1024;
/// UIDs per `UID FETCH` of headers: memory is bounded by a batch.
const BATCH: usize = 200;
/// The most of whole messages (each counted at most [`MAX_MESSAGE_BYTES`])
/// asked for in one `UID FETCH`; a single larger message goes alone.
const BODY_GROUP_BYTES: u64 = 16 * 1024 * 1024;
/// Messages delivered between two checkpoints within a folder.
const CHECKPOINT_EVERY: usize = 500;
/// Connecting, and every read and write on the socket.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest response line outside literals (a `SEARCH` of a large
/// folder is one line: 16 MiB holds about two million UIDs).
const MAX_LINE: usize = 16 * 1024 * 1024;
/// The largest response as a whole (its lines and literals).
const MAX_RESPONSE: usize = MAX_LINE + MAX_MESSAGE_BYTES as usize;
/// Nesting of parenthesised lists in a response.
const MAX_DEPTH: usize = 32;

/// How the connection is secured; there is no plaintext.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// TLS from the first byte (IMAPS, port 993 unless given).
    #[default]
    Tls,
    /// A plain connection upgraded with `STARTTLS` before anything else is
    /// said (port 143 unless given); a server that does not offer it is
    /// refused.
    StartTls,
}

impl Security {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::StartTls => 143,
        }
    }
}

/// One mail account to read. Its `Debug` never shows the password.
#[derive(Clone)]
pub struct ImapAccount {
    /// The server's host name or IP address; also the name its certificate
    /// must carry.
    pub host: String,
    /// The port; `None` for [`Security::default_port`].
    pub port: Option<u16>,
    /// The user name given to `LOGIN`.
    pub user: String,
    /// The password given to `LOGIN` (and nowhere else).
    pub password: SecretString,
    /// The folders to read, as the person names them (UTF-8; sent in IMAP's
    /// modified UTF-7); empty for `INBOX` alone.
    pub folders: Vec<String>,
    /// Implicit TLS or STARTTLS.
    pub security: Security,
    /// A PEM file whose certificates are the only ones trusted (a private
    /// CA); `None` for the public roots.
    pub ca_file: Option<PathBuf>,
    /// Only messages received on or after this day (`SEARCH SINCE`, the
    /// server's internal date).
    pub since: Option<chrono::NaiveDate>,
    /// How long to wait for the server to connect, and then for each of
    /// its answers; `None` for 30 s.
    pub timeout: Option<Duration>,
}

impl fmt::Debug for ImapAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapAccount")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .field("folders", &self.folders)
            .field("security", &self.security)
            .field("ca_file", &self.ca_file)
            .field("since", &self.since)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Where a folder was read up to: the messages with UIDs up to `last_uid`
/// under this `uidvalidity` have been handed to the sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderState {
    /// The folder's UIDVALIDITY when it was read; another value means its
    /// UIDs were renumbered and it is read again from the start.
    pub uidvalidity: u32,
    /// The highest UID handed to the sink (0 for none).
    pub last_uid: u32,
}

/// What [`fetch`] hands the messages to, and how the caller keeps its
/// progress.
///
/// Calls come in this order, folder by folder: for each batch of new
/// messages (up to 200), [`ImapSink::wants_body`] for every header of the
/// batch in ascending UID order, then [`ImapSink::message`] for each of
/// them in the same order; [`ImapSink::checkpoint`] now and then between
/// batches and once at the end of the folder.
pub trait ImapSink {
    /// The header block of one new message; true to fetch the whole message too.
    fn wants_body(&mut self, header: &[u8]) -> bool;
    /// One message: its header block alone (when the body was not wanted) or
    /// the whole message, `truncated` if it was cut at [`MAX_MESSAGE_BYTES`]
    /// (or, for a header alone, at 256 KiB).
    fn message(
        &mut self,
        folder: &str,
        uid: u32,
        raw: &[u8],
        header_only: bool,
        truncated: bool,
    ) -> Result<()>;
    /// A folder is done up to `state` (called after the folder's messages, and
    /// also periodically, every 500 messages, so that progress is kept if the
    /// run is killed; the caller commits its work and the state together).
    /// Called once at the end of every folder read, even with no new
    /// message, and before returning [`Error::Cancelled`] for what was
    /// delivered until then.
    fn checkpoint(&mut self, folder: &str, state: FolderState) -> Result<()>;
    /// Checked between messages; true stops with [`Error::Cancelled`].
    fn cancelled(&self) -> bool {
        false
    }
}

/// What one run of [`fetch`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapReport {
    /// One entry per folder, in the order they were read.
    pub folders: Vec<FolderReport>,
}

/// What one run of [`fetch`] did in one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderReport {
    /// The folder, as [`ImapAccount::folders`] names it.
    pub name: String,
    /// Its UIDVALIDITY now.
    pub uidvalidity: u32,
    /// New messages handed to the sink (whole or header alone).
    pub new_messages: usize,
    /// Of those, the ones fetched whole.
    pub fetched_whole: usize,
    /// Of those fetched whole, the ones cut at [`MAX_MESSAGE_BYTES`].
    pub truncated: usize,
    /// True when the known UIDVALIDITY had changed, so the folder was read
    /// again from the start (a folder read for the first time is not a
    /// reset).
    pub reset: bool,
    /// The state the last checkpoint recorded.
    pub state: FolderState,
}

/// Read the new messages of the account's folders into `sink`.
///
/// `known` holds each folder's state from the last run (by the folder's
/// name as the account gives it); a folder missing from it, or whose
/// UIDVALIDITY changed, is read from the start.
///
/// Errors: [`Error::Invalid`] for a value that cannot be sent (`host`,
/// `user`, `password` or `folders` with a line break or NUL) or a `ca_file`
/// with no certificate; [`Error::Io`] for a `ca_file` that cannot be read;
/// [`Error::ImapLogin`] when the server refuses the user name or password;
/// [`Error::Imap`] when the server cannot be reached, its certificate does
/// not verify, it does not offer STARTTLS, a folder does not exist, or it
/// breaks the protocol; [`Error::Cancelled`]; and any error of the sink.
pub fn fetch(
    account: &ImapAccount,
    known: &BTreeMap<String, FolderState>,
    sink: &mut dyn ImapSink,
) -> Result<ImapReport> {
    let folders = check_account(account)?;
    let tls = tls_config(account)?;
    let mut session = connect(account, tls)?;
    let mut report = ImapReport::default();
    for (name, encoded) in &folders {
        let folder = read_folder(&mut session, account, name, encoded, known.get(name), sink)?;
        report.folders.push(folder);
    }
    session.logout();
    Ok(report)
}

// ---------------------------------------------------------------------------
// Checks before anything is sent.

/// The folders to read (INBOX when none is given), each with its name as
/// sent (a quoted string in modified UTF-7).
fn check_account(account: &ImapAccount) -> Result<Vec<(String, Vec<u8>)>> {
    let host = account.host.trim();
    if host.is_empty() || host.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid_field("host", "not a host name"));
    }
    if account.user.is_empty() {
        return Err(Error::invalid_field("user", "empty"));
    }
    if forbidden(account.user.as_bytes()) {
        return Err(Error::invalid_field("user", "contains a line break or NUL"));
    }
    if account
        .timeout
        .is_some_and(|t| t < Duration::from_millis(100))
    {
        return Err(Error::invalid_field("timeout", "at least 0.1 s"));
    }
    if forbidden(account.password.expose_secret().as_bytes()) {
        return Err(Error::invalid_field(
            "password",
            "contains a line break or NUL, which IMAP cannot carry",
        ));
    }
    let names: Vec<String> = if account.folders.is_empty() {
        vec!["INBOX".to_string()]
    } else {
        account.folders.clone()
    };
    let mut out: Vec<(String, Vec<u8>)> = Vec::with_capacity(names.len());
    for name in names {
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(Error::invalid_field(
                "folders",
                format!("not a folder name: {:?}", name),
            ));
        }
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let encoded = quoted(mutf7(&name).as_bytes());
        out.push((name, encoded));
    }
    Ok(out)
}

/// CR, LF or NUL: what no IMAP string can carry.
fn forbidden(s: &[u8]) -> bool {
    s.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0))
}

/// A string argument of a command.
#[derive(Debug, PartialEq, Eq)]
enum Arg<'a> {
    /// Sent as it is (atoms, quoted strings, the command's words).
    Raw(Vec<u8>),
    /// Sent as a synchronising literal (`{n}`, the server's `+`, the
    /// bytes): for 8-bit text, which a quoted string cannot carry.
    Literal(&'a [u8]),
}

/// `s` as an IMAP string: quoted, with `"` and `\` escaped, when it is
/// 7-bit; a literal otherwise. The caller has refused CR, LF and NUL.
fn astring(s: &[u8]) -> Arg<'_> {
    if s.is_ascii() {
        Arg::Raw(quoted(s))
    } else {
        Arg::Literal(s)
    }
}

/// A 7-bit string as a quoted string.
fn quoted(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'"');
    for &b in s {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// A mailbox name in IMAP's modified UTF-7 (RFC 3501, 5.1.3): printable
/// ASCII as it is (`&` as `&-`), anything else as `&`, modified base64 of
/// its UTF-16, `-`.
fn mutf7(name: &str) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    fn flush(out: &mut String, units: &mut Vec<u16>) {
        if units.is_empty() {
            return;
        }
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let n = chunk.len();
            let v = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..=n {
                out.push(char::from(B64[((v >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out.push('-');
        units.clear();
    }
    let mut out = String::with_capacity(name.len());
    let mut units = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut units);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut units);
    out
}

// ---------------------------------------------------------------------------
// TLS and connecting.

fn tls_config(account: &ImapAccount) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    match &account.ca_file {
        Some(path) => {
            let pem = crate::proof::read_foreign_file(path)?;
            let bad =
                |why: String| Error::invalid_field("ca_file", format!("{}: {why}", path.display()));
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| bad(format!("not a PEM certificate file ({e})")))?;
                roots
                    .add(cert)
                    .map_err(|e| bad(format!("a certificate that cannot be trusted ({e})")))?;
            }
            if roots.is_empty() {
                return Err(bad("no certificate in it".to_string()));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Imap(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// A logged-in session over TLS.
struct Session {
    conn: Conn<TlsStream>,
}

impl Session {
    fn logout(mut self) {
        let _ = self
            .conn
            .run(&[Arg::Raw(b"LOGOUT".to_vec())], &mut |_| Ok(()));
    }
}

fn connect(account: &ImapAccount, tls: Arc<ClientConfig>) -> Result<Session> {
    let host = account.host.trim();
    let port = account.port.unwrap_or(account.security.default_port());
    let server_name = ServerName::try_from(host.to_string())
        .map_err(|_| Error::invalid_field("host", "not a host name or IP address"))?;
    let tcp = connect_tcp(host, port, account.timeout.unwrap_or(DEFAULT_TIMEOUT))?;
    let (mut conn, greeting) = match account.security {
        Security::Tls => {
            let mut conn = Conn::new(tls_handshake(tcp, host, server_name, tls)?);
            let greeting = conn.greeting()?;
            (conn, greeting)
        }
        Security::StartTls => {
            let mut plain = Conn::new(tcp);
            match plain.greeting()? {
                Greeting::Ok => {}
                // Logged in before TLS: nothing could be trusted after it.
                Greeting::PreAuth => {
                    return Err(Error::Imap(
                        "the server logged in before STARTTLS (PREAUTH): refused".into(),
                    ));
                }
            }
            if !plain.capabilities()?.iter().any(|c| c == "STARTTLS") {
                return Err(Error::Imap(format!(
                    "{host}:{port} does not offer STARTTLS"
                )));
            }
            plain.ok(&[Arg::Raw(b"STARTTLS".to_vec())], "STARTTLS", &mut |_| {
                Ok(())
            })?;
            let tcp = plain.into_inner()?;
            let conn = Conn::new(tls_handshake(tcp, host, server_name, tls)?);
            (conn, Greeting::Ok)
        }
    };
    if greeting == Greeting::Ok {
        // After STARTTLS, capabilities are asked again (RFC 3501, 6.2.1).
        if conn.capabilities()?.iter().any(|c| c == "LOGINDISABLED") {
            return Err(Error::Imap("the server does not allow LOGIN".into()));
        }
        login(&mut conn, &account.user, &account.password)?;
    }
    Ok(Session { conn })
}

fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::Imap(format!("cannot resolve {host}: {e}")))?;
    let mut last: Option<io::Error> = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(tcp) => {
                let setup = tcp
                    .set_read_timeout(Some(timeout))
                    .and_then(|()| tcp.set_write_timeout(Some(timeout)))
                    .and_then(|()| tcp.set_nodelay(true));
                setup.map_err(|e| Error::Imap(format!("{host}:{port}: {e}")))?;
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(Error::Imap(match last {
        Some(e) if is_timeout(&e) => format!(
            "cannot connect to {host}:{port}: no answer within {} s",
            timeout.as_secs_f64()
        ),
        Some(e) => format!("cannot connect to {host}:{port}: {e}"),
        None => format!("cannot resolve {host}"),
    }))
}

fn tls_handshake(
    mut tcp: TcpStream,
    host: &str,
    name: ServerName<'static>,
    config: Arc<ClientConfig>,
) -> Result<TlsStream> {
    let mut tls =
        ClientConnection::new(config, name).map_err(|e| Error::Imap(format!("TLS: {e}")))?;
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp).map_err(|e| {
            let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
            match inner {
                Some(rustls::Error::InvalidCertificate(why)) => Error::Imap(format!(
                    "the server's certificate for {host} does not verify ({why:?}): refused"
                )),
                Some(other) => Error::Imap(format!("TLS with {host} failed: {other}")),
                None => net_error(&e),
            }
        })?;
    }
    Ok(StreamOwned::new(tls, tcp))
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn net_error(e: &io::Error) -> Error {
    if is_timeout(e) {
        Error::Imap("the server stopped answering (nothing within the timeout)".into())
    } else if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::Imap("the server closed the connection".into())
    } else {
        Error::Imap(format!("connection failed: {e}"))
    }
}

fn login(conn: &mut Conn<TlsStream>, user: &str, password: &SecretString) -> Result<()> {
    let secret = password.expose_secret();
    let args = [
        Arg::Raw(b"LOGIN".to_vec()),
        astring(user.as_bytes()),
        astring(secret.as_bytes()),
    ];
    let done = conn.run(&args, &mut |_| Ok(()));
    // Whatever the server says back is shown; never the password, even if
    // a server were to echo it.
    let scrub = |text: String| {
        if secret.is_empty() {
            text
        } else {
            text.replace(secret, "…")
        }
    };
    match done {
        Ok(t) if t.status == Status::Ok => Ok(()),
        Ok(t) if t.status == Status::No => Err(Error::ImapLogin),
        Ok(t) => Err(Error::Imap(format!(
            "the server refused the LOGIN command: {}",
            scrub(t.text)
        ))),
        Err(Error::Imap(text)) => Err(Error::Imap(scrub(text))),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------
// One folder.

fn read_folder(
    session: &mut Session,
    account: &ImapAccount,
    name: &str,
    encoded: &[u8],
    known: Option<&FolderState>,
    sink: &mut dyn ImapSink,
) -> Result<FolderReport> {
    let conn = &mut session.conn;
    let (uidvalidity, exists) = examine(conn, name, encoded)?;
    let same = known.filter(|k| k.uidvalidity == uidvalidity);
    let mut report = FolderReport {
        name: name.to_string(),
        uidvalidity,
        reset: known.is_some() && same.is_none(),
        state: FolderState {
            uidvalidity,
            last_uid: same.map_or(0, |k| k.last_uid),
        },
        ..FolderReport::default()
    };
    let uids = match report.state.last_uid.checked_add(1) {
        Some(from) if exists > 0 => search(conn, from, account.since)?,
        _ => Vec::new(),
    };
    let mut since_checkpoint = 0usize;
    for batch in uids.chunks(BATCH) {
        let plan: Vec<Planned> = fetch_headers(conn, batch)?
            .into_iter()
            .map(|(uid, header)| Planned {
                uid,
                size: header.size.unwrap_or(0),
                want: sink.wants_body(&header.bytes),
                header: header.bytes,
            })
            .collect();
        let mut i = 0;
        while i < plan.len() {
            // A run of consecutive wanted messages, up to the group's bytes.
            let mut j = i;
            let mut bytes = 0u64;
            while j < plan.len() && plan[j].want {
                let cost = u64::from(plan[j].size.min(MAX_MESSAGE_BYTES));
                if j > i && bytes + cost > BODY_GROUP_BYTES {
                    break;
                }
                bytes += cost;
                j += 1;
            }
            let mut bodies = if j > i {
                let uids: Vec<u32> = plan[i..j].iter().map(|m| m.uid).collect();
                fetch_bodies(conn, &uids)?
            } else {
                j = i + 1;
                BTreeMap::new()
            };
            for m in &plan[i..j] {
                if sink.cancelled() {
                    if since_checkpoint > 0 {
                        sink.checkpoint(name, report.state)?;
                    }
                    return Err(Error::Cancelled);
                }
                if m.want {
                    // Expunged since its header came: nothing to hand over.
                    let Some(body) = bodies.remove(&m.uid) else {
                        continue;
                    };
                    let size = body.size.unwrap_or(m.size);
                    let truncated =
                        size > MAX_MESSAGE_BYTES || body.bytes.len() >= MAX_MESSAGE_BYTES as usize;
                    sink.message(name, m.uid, &body.bytes, false, truncated)?;
                    report.fetched_whole += 1;
                    report.truncated += usize::from(truncated);
                } else {
                    let truncated = m.header.len() >= MAX_HEADER_BYTES as usize;
                    sink.message(name, m.uid, &m.header, true, truncated)?;
                }
                report.new_messages += 1;
                report.state.last_uid = m.uid;
                since_checkpoint += 1;
            }
            i = j;
        }
        if since_checkpoint >= CHECKPOINT_EVERY {
            sink.checkpoint(name, report.state)?;
            since_checkpoint = 0;
        }
    }
    sink.checkpoint(name, report.state)?;
    Ok(report)
}

/// A new message of a batch: its header, and whether the sink wants it whole.
struct Planned {
    uid: u32,
    size: u32,
    header: Vec<u8>,
    want: bool,
}

/// `EXAMINE` (read-only): the folder's UIDVALIDITY and message count.
fn examine<S: Read + Write>(conn: &mut Conn<S>, name: &str, encoded: &[u8]) -> Result<(u32, u32)> {
    let mut uidvalidity = None;
    let mut exists = 0u32;
    let done = conn.run(
        &[Arg::Raw([b"EXAMINE ".as_slice(), encoded].concat())],
        &mut |resp| {
            let mut p = Parser::new(resp);
            if p.word_is("OK") {
                p.sp();
                if p.eat(b'[') && p.word_is("UIDVALIDITY") {
                    p.sp();
                    uidvalidity = p.number().and_then(|n| u32::try_from(n).ok());
                }
            } else if let Some(n) = p.number() {
                p.sp();
                if p.word_is("EXISTS") {
                    exists = u32::try_from(n).unwrap_or(u32::MAX);
                }
            }
            Ok(())
        },
    )?;
    if done.status != Status::Ok {
        return Err(Error::Imap(format!(
            "folder {name:?} cannot be opened: {}",
            done.text
        )));
    }
    match uidvalidity {
        Some(v) if v != 0 => Ok((v, exists)),
        _ => Err(Error::Imap(format!(
            "folder {name:?}: the server gave no UIDVALIDITY"
        ))),
    }
}

/// `UID SEARCH UID from:*` (and `SINCE`): the UIDs from `from` on, ascending.
fn search<S: Read + Write>(
    conn: &mut Conn<S>,
    from: u32,
    since: Option<chrono::NaiveDate>,
) -> Result<Vec<u32>> {
    let mut cmd = format!("UID SEARCH UID {from}:*");
    if let Some(day) = since {
        cmd.push_str(&day.format(" SINCE %-d-%b-%Y").to_string());
    }
    let mut found = Vec::new();
    conn.ok(&[Arg::Raw(cmd.into_bytes())], "UID SEARCH", &mut |resp| {
        let mut p = Parser::new(resp);
        if p.word_is("SEARCH") {
            loop {
                p.sp();
                match p.number() {
                    Some(n) => found.push(u32::try_from(n).map_err(|_| bad_response(resp))?),
                    None if p.at_end() => break,
                    None => return Err(bad_response(resp)),
                }
            }
        }
        Ok(())
    })?;
    Ok(new_uids(found, from))
}

/// The UIDs at `from` or above, ascending, once each: `from:*` also
/// matches the folder's last message when its UID is below `from`.
fn new_uids(mut found: Vec<u32>, from: u32) -> Vec<u32> {
    found.retain(|&uid| uid >= from);
    found.sort_unstable();
    found.dedup();
    found
}

/// `1:3,5,7:9` for ascending UIDs.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let mut j = i;
        while j + 1 < uids.len() && uids[j + 1] == uids[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            out.push_str(&format!("{}:{}", uids[i], uids[j]));
        } else {
            out.push_str(&uids[i].to_string());
        }
        i = j + 1;
    }
    out
}

/// One fetched section of a message, with the message's size when the
/// server gave it (`RFC822.SIZE`).
#[derive(Debug)]
struct Part {
    bytes: Vec<u8>,
    size: Option<u32>,
}

/// The header blocks of `uids` (cut at [`MAX_HEADER_BYTES`]), by UID.
fn fetch_headers<S: Read + Write>(conn: &mut Conn<S>, uids: &[u32]) -> Result<BTreeMap<u32, Part>> {
    let item = format!("BODY.PEEK[HEADER]<0.{MAX_HEADER_BYTES}>");
    fetch_parts(conn, uids, &item, |f| f.header.take())
}

/// The whole messages of `uids` (cut at [`MAX_MESSAGE_BYTES`]), by UID.
fn fetch_bodies<S: Read + Write>(conn: &mut Conn<S>, uids: &[u32]) -> Result<BTreeMap<u32, Part>> {
    let item = format!("BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>");
    fetch_parts(conn, uids, &item, |f| f.body.take())
}

/// `UID FETCH uids (UID RFC822.SIZE item)`: what `pick` takes of each
/// response about one of `uids` (ascending); others (unsolicited flag
/// changes) are passed over.
fn fetch_parts<S: Read + Write>(
    conn: &mut Conn<S>,
    uids: &[u32],
    item: &str,
    pick: fn(&mut Fetch) -> Option<Str>,
) -> Result<BTreeMap<u32, Part>> {
    let cmd = format!("UID FETCH {} (UID RFC822.SIZE {item})", uid_set(uids));
    let mut out = BTreeMap::new();
    conn.ok(&[Arg::Raw(cmd.into_bytes())], "UID FETCH", &mut |resp| {
        if let Some(mut f) = parse_fetch(resp)?
            && let Some(uid) = f.uid
            && uids.binary_search(&uid).is_ok()
            && let Some(part) = pick(&mut f)
        {
            let bytes = part.bytes(resp).to_vec();
            out.insert(
                uid,
                Part {
                    bytes,
                    size: f.size,
                },
            );
        }
        Ok(())
    })?;
    Ok(out)
}

// ---------------------------------------------------------------------------
// The connection: commands out, responses in, every read bounded.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    No,
    Bad,
}

/// The tagged response that ends a command.
#[derive(Debug)]
struct Tagged {
    status: Status,
    /// What the server said, made printable and short.
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Greeting {
    Ok,
    PreAuth,
}

struct Conn<S> {
    stream: S,
    buf: Vec<u8>,
    pos: usize,
    tag: u32,
}

impl<S: Read + Write> Conn<S> {
    fn new(stream: S) -> Self {
        Conn {
            stream,
            buf: Vec::new(),
            pos: 0,
            tag: 0,
        }
    }

    /// The stream back, for STARTTLS: refused if the server sent anything
    /// after its answer (bytes that would otherwise pass for protected).
    fn into_inner(self) -> Result<S> {
        if self.pos < self.buf.len() {
            return Err(Error::Imap(
                "the server sent data before the TLS handshake of STARTTLS".into(),
            ));
        }
        Ok(self.stream)
    }

    fn fill(&mut self) -> Result<()> {
        if self.pos < self.buf.len() {
            return Ok(());
        }
        self.buf.clear();
        self.pos = 0;
        self.buf.resize(64 * 1024, 0);
        let n = loop {
            match self.stream.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.clear();
                    return Err(net_error(&e));
                }
            }
        };
        self.buf.truncate(n);
        if n == 0 {
            return Err(Error::Imap(
                "the server closed the connection in the middle of a response".into(),
            ));
        }
        Ok(())
    }

    /// One response: its lines and literals (`{n}` CRLF and the n bytes kept
    /// in place), without the final CRLF.
    fn read_response(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let line_start = out.len();
            // One line, up to LF (a CR before it dropped).
            loop {
                self.fill()?;
                let avail = &self.buf[self.pos..];
                match avail.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        out.extend_from_slice(&avail[..i]);
                        self.pos += i + 1;
                        break;
                    }
                    None => {
                        out.extend_from_slice(avail);
                        self.pos = self.buf.len();
                    }
                }
                if out.len() - line_start > MAX_LINE {
                    return Err(Error::Imap("the server sent a line too long".into()));
                }
            }
            if out.last() == Some(&b'\r') {
                out.pop();
            }
            if out.len() - line_start > MAX_LINE {
                return Err(Error::Imap("the server sent a line too long".into()));
            }
            let Some(n) = literal_len(&out[line_start..])? else {
                return Ok(out);
            };
            if n > MAX_MESSAGE_BYTES as usize || out.len() + n > MAX_RESPONSE {
                return Err(Error::Imap(format!(
                    "the server sent a string of {n} bytes, more than was asked for"
                )));
            }
            out.extend_from_slice(b"\r\n");
            let mut left = n;
            while left > 0 {
                self.fill()?;
                let take = left.min(self.buf.len() - self.pos);
                out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
                self.pos += take;
                left -= take;
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream
            .write_all(bytes)
            .and_then(|()| self.stream.flush())
            .map_err(|e| net_error(&e))
    }

    /// Send one command and read up to its tagged response, passing each
    /// untagged response (without its `* `) to `untagged`.
    fn run(
        &mut self,
        args: &[Arg<'_>],
        untagged: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Tagged> {
        self.tag += 1;
        let tag = format!("v{}", self.tag);
        // Zeroised when dropped: it may hold the password.
        let mut line = Zeroizing::new(tag.clone().into_bytes());
        for arg in args {
            line.push(b' ');
            match arg {
                Arg::Raw(bytes) => line.extend_from_slice(bytes),
                Arg::Literal(bytes) => {
                    line.extend_from_slice(format!("{{{}}}\r\n", bytes.len()).as_bytes());
                    self.send(&line)?;
                    line.clear();
                    // Wait for the server's go-ahead (`+`), or its refusal.
                    loop {
                        let resp = self.read_response()?;
                        if resp.starts_with(b"+") {
                            break;
                        }
                        if !resp.starts_with(b"* ") {
                            return self.finish(&tag, resp, untagged);
                        }
                        let mut p = Parser::new(&resp[2..]);
                        if p.word_is("BYE") {
                            return self.finish(&tag, resp, untagged);
                        }
                        untagged(&resp[2..])?;
                    }
                    line.extend_from_slice(bytes);
                }
            }
        }
        line.extend_from_slice(b"\r\n");
        self.send(&line)?;
        drop(line);
        let resp = self.read_response()?;
        self.finish(&tag, resp, untagged)
    }

    /// Read responses from `resp` on until the one tagged `tag`.
    fn finish(
        &mut self,
        tag: &str,
        mut resp: Vec<u8>,
        untagged: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<Tagged> {
        loop {
            if let Some(rest) = resp.strip_prefix(b"* ") {
                let mut p = Parser::new(rest);
                if p.word_is("BYE") {
                    return Err(Error::Imap(format!(
                        "the server ended the session: {}",
                        server_text(p.rest())
                    )));
                }
                untagged(rest)?;
            } else if let Some(rest) = resp
                .strip_prefix(tag.as_bytes())
                .and_then(|r| r.strip_prefix(b" "))
            {
                let mut p = Parser::new(rest);
                let status = if p.word_is("OK") {
                    Status::Ok
                } else if p.word_is("NO") {
                    Status::No
                } else if p.word_is("BAD") {
                    Status::Bad
                } else {
                    return Err(bad_response(&resp));
                };
                p.sp();
                return Ok(Tagged {
                    status,
                    text: server_text(p.rest()),
                });
            } else {
                return Err(bad_response(&resp));
            }
            resp = self.read_response()?;
        }
    }

    /// [`Conn::run`], with anything but `OK` an error naming `what`.
    fn ok(
        &mut self,
        args: &[Arg<'_>],
        what: &str,
        untagged: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let done = self.run(args, untagged)?;
        if done.status != Status::Ok {
            return Err(Error::Imap(format!(
                "the server refused {what}: {}",
                done.text
            )));
        }
        Ok(())
    }

    fn greeting(&mut self) -> Result<Greeting> {
        let resp = self.read_response()?;
        let mut p = Parser::new(resp.strip_prefix(b"* ").unwrap_or(&[]));
        if p.word_is("OK") {
            Ok(Greeting::Ok)
        } else if p.word_is("PREAUTH") {
            Ok(Greeting::PreAuth)
        } else if p.word_is("BYE") {
            p.sp();
            Err(Error::Imap(format!(
                "the server refused the connection: {}",
                server_text(p.rest())
            )))
        } else {
            Err(Error::Imap(format!(
                "not an IMAP server (it said {})",
                server_text(&resp)
            )))
        }
    }

    /// The server's capabilities, upper-cased.
    fn capabilities(&mut self) -> Result<Vec<String>> {
        let mut caps = Vec::new();
        self.ok(
            &[Arg::Raw(b"CAPABILITY".to_vec())],
            "CAPABILITY",
            &mut |resp| {
                let mut p = Parser::new(resp);
                if p.word_is("CAPABILITY") {
                    caps.extend(
                        String::from_utf8_lossy(p.rest())
                            .split_ascii_whitespace()
                            .map(str::to_ascii_uppercase),
                    );
                }
                Ok(())
            },
        )?;
        Ok(caps)
    }
}

/// `{n}` at the end of a line: a literal of n bytes follows.
/// Errors for a length no literal can have.
fn literal_len(line: &[u8]) -> Result<Option<usize>> {
    let Some(body) = line.strip_suffix(b"}") else {
        return Ok(None);
    };
    let Some(open) = body.iter().rposition(|&b| b == b'{') else {
        return Ok(None);
    };
    let digits = &body[open + 1..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        // Text that happens to end in braces (`* OK hello {there}`).
        return Ok(None);
    }
    if digits.len() > 10 {
        return Err(bad_response(line));
    }
    let n: u64 = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| bad_response(line))?;
    usize::try_from(n).map(Some).map_err(|_| bad_response(line))
}

/// What the server said, for an error: printable, one line, at most 200
/// characters.
fn server_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(200).is_some() {
        out.push('…');
    }
    out.trim().to_string()
}

fn bad_response(resp: &[u8]) -> Error {
    Error::Imap(format!(
        "the server broke the protocol (it said {})",
        server_text(&resp[..resp.len().min(200)])
    ))
}

// ---------------------------------------------------------------------------
// Parsing the few responses read.

/// A string value of a response: a span of it (a literal) or unescaped text
/// (a quoted string).
#[derive(Debug, PartialEq, Eq)]
enum Str {
    Span(Range<usize>),
    Owned(Vec<u8>),
}

impl Str {
    fn bytes<'a>(&'a self, resp: &'a [u8]) -> &'a [u8] {
        match self {
            Str::Span(r) => &resp[r.clone()],
            Str::Owned(v) => v,
        }
    }
}

/// The parts of a `FETCH` response read here.
#[derive(Debug, Default, PartialEq, Eq)]
struct Fetch {
    uid: Option<u32>,
    size: Option<u32>,
    header: Option<Str>,
    body: Option<Str>,
}

/// `n FETCH (…)` (an untagged response without its `* `); `None` for any
/// other response.
fn parse_fetch(resp: &[u8]) -> Result<Option<Fetch>> {
    let mut p = Parser::new(resp);
    if p.number().is_none() {
        return Ok(None);
    }
    p.sp();
    if !p.word_is("FETCH") {
        return Ok(None);
    }
    p.sp();
    if !p.eat(b'(') {
        return Err(bad_response(resp));
    }
    let mut fetch = Fetch::default();
    loop {
        p.sp();
        if p.eat(b')') {
            break;
        }
        let key = p.atom().ok_or_else(|| bad_response(resp))?;
        let key = resp[key].to_ascii_uppercase();
        p.sp();
        let value = p.value(0).ok_or_else(|| bad_response(resp))?;
        let number = |v: &Value| match v {
            Value::Atom(r) => std::str::from_utf8(&resp[r.clone()])
                .ok()
                .and_then(|s| s.parse::<u32>().ok()),
            _ => None,
        };
        let string = |v: Value| match v {
            Value::Str(s) => Some(s),
            // An atom where a string was expected: taken as the string.
            Value::Atom(r) => Some(Str::Span(r)),
            _ => None,
        };
        if key == b"UID" {
            fetch.uid = Some(number(&value).ok_or_else(|| bad_response(resp))?);
        } else if key == b"RFC822.SIZE" {
            fetch.size = Some(number(&value).ok_or_else(|| bad_response(resp))?);
        } else if key.starts_with(b"BODY[HEADER]") {
            fetch.header = string(value);
        } else if key.starts_with(b"BODY[]") {
            fetch.body = string(value);
        }
    }
    if !p.at_end() {
        return Err(bad_response(resp));
    }
    Ok(Some(fetch))
}

#[derive(Debug)]
enum Value {
    Nil,
    Atom(Range<usize>),
    Str(Str),
    List,
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn new(b: &'a [u8]) -> Self {
        Parser { b, i: 0 }
    }

    fn at_end(&self) -> bool {
        self.i >= self.b.len()
    }

    fn rest(&self) -> &'a [u8] {
        &self.b[self.i.min(self.b.len())..]
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn sp(&mut self) {
        while self.eat(b' ') {}
    }

    /// The next word is `word` (any case), followed by a space, `]` or the end.
    fn word_is(&mut self, word: &str) -> bool {
        let end = self.i + word.len();
        let Some(got) = self.b.get(self.i..end) else {
            return false;
        };
        if got.eq_ignore_ascii_case(word.as_bytes())
            && matches!(self.b.get(end), None | Some(b' ' | b']'))
        {
            self.i = end;
            true
        } else {
            false
        }
    }

    fn number(&mut self) -> Option<u64> {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty() || digits.len() > 19 {
            self.i = start;
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    }

    /// An atom; `[…]` within it (`BODY[HEADER.FIELDS (A B)]`) may hold
    /// spaces and parentheses, and `<n>` may follow.
    fn atom(&mut self) -> Option<Range<usize>> {
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'[' => {
                    let close = self.b[self.i..].iter().position(|&b| b == b']')?;
                    self.i += close + 1;
                }
                b' ' | b'(' | b')' | b'{' | b'"' | b'\r' | b'\n' => break,
                c if c < 0x20 || c == 0x7f => break,
                _ => self.i += 1,
            }
        }
        (self.i > start).then_some(start..self.i)
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        match *self.b.get(self.i)? {
            b'"' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    match *self.b.get(self.i)? {
                        b'"' => {
                            self.i += 1;
                            return Some(Value::Str(Str::Owned(out)));
                        }
                        b'\\' => {
                            out.push(*self.b.get(self.i + 1)?);
                            self.i += 2;
                        }
                        c => {
                            out.push(c);
                            self.i += 1;
                        }
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let n = usize::try_from(self.number()?).ok()?;
                if !(self.eat(b'}') && self.eat(b'\r') && self.eat(b'\n')) {
                    return None;
                }
                let start = self.i;
                let end = start.checked_add(n).filter(|&e| e <= self.b.len())?;
                self.i = end;
                Some(Value::Str(Str::Span(start..end)))
            }
            b'(' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                loop {
                    self.sp();
                    if self.eat(b')') {
                        return Some(Value::List);
                    }
                    self.value(depth + 1)?;
                }
            }
            _ => {
                let atom = self.atom()?;
                if self.b[atom.clone()].eq_ignore_ascii_case(b"NIL") {
                    Some(Value::Nil)
                } else {
                    Some(Value::Atom(atom))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server's side of a conversation: what it sends, and what it was sent.
    struct Script {
        input: io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Script {
        fn conn(input: &[u8]) -> Conn<Script> {
            Conn::new(Script {
                input: io::Cursor::new(input.to_vec()),
                output: Vec::new(),
            })
        }
    }

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            // A few bytes at a time, to cross every boundary.
            let n = buf.len().min(7);
            self.input.read(&mut buf[..n])
        }
    }

    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn imap_text(e: Error) -> String {
        match e {
            Error::Imap(text) => text,
            other => panic!("not Error::Imap: {other:?}"),
        }
    }

    #[test]
    fn strings_are_quoted_with_quote_and_backslash_escaped() {
        assert_eq!(astring(b"jane"), Arg::Raw(b"\"jane\"".to_vec()));
        assert_eq!(
            astring(br#"pa"ss\word"#),
            Arg::Raw(br#""pa\"ss\\word""#.to_vec())
        );
        assert_eq!(astring(b""), Arg::Raw(b"\"\"".to_vec()));
        assert_eq!(astring(b"a b{3}*%"), Arg::Raw(b"\"a b{3}*%\"".to_vec()));
        // 8-bit text cannot be quoted: a literal.
        assert_eq!(
            astring("pässword".as_bytes()),
            Arg::Literal("pässword".as_bytes())
        );
        assert!(forbidden(b"a\rb") && forbidden(b"a\nb") && forbidden(b"a\0b"));
        assert!(!forbidden(b"a\tb\"\\"));
    }

    #[test]
    fn a_password_with_a_line_break_is_refused_before_connecting() {
        let account = ImapAccount {
            host: "192.0.2.1".into(),
            port: Some(1),
            user: "jane".into(),
            password: SecretString::from("two\r\nlines"),
            folders: vec![],
            security: Security::Tls,
            ca_file: None,
            since: None,
            timeout: None,
        };
        let e = fetch(&account, &BTreeMap::new(), &mut NoSink).unwrap_err();
        assert_eq!(e.field(), Some("password"));
        assert!(!format!("{e} {e:?}").contains("lines"));
        let debug = format!("{account:?}");
        assert!(!debug.contains("two") && debug.contains("[redacted]"));
    }

    struct NoSink;
    impl ImapSink for NoSink {
        fn wants_body(&mut self, _: &[u8]) -> bool {
            false
        }
        fn message(&mut self, _: &str, _: u32, _: &[u8], _: bool, _: bool) -> Result<()> {
            Ok(())
        }
        fn checkpoint(&mut self, _: &str, _: FolderState) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn login_sends_8bit_passwords_as_literals_after_the_go_ahead() {
        let mut conn = Script::conn(b"+ go ahead\r\nv1 OK done\r\n");
        let args = [
            Arg::Raw(b"LOGIN".to_vec()),
            astring(b"jane"),
            astring("pä\"ss".as_bytes()),
        ];
        let done = conn.run(&args, &mut |_| Ok(())).unwrap();
        assert_eq!(done.status, Status::Ok);
        assert_eq!(
            conn.stream.output,
            "v1 LOGIN \"jane\" {6}\r\npä\"ss\r\n".as_bytes()
        );
        // A refusal instead of the go-ahead ends the command there.
        let mut conn = Script::conn(b"v1 NO [AUTHENTICATIONFAILED] no\r\n");
        let done = conn.run(&args, &mut |_| Ok(())).unwrap();
        assert_eq!(done.status, Status::No);
        assert_eq!(conn.stream.output, b"v1 LOGIN \"jane\" {6}\r\n");
    }

    #[test]
    fn search_from_n_drops_the_last_message_below_n() {
        // `UID SEARCH UID 11:*` when the last message has UID 7: `* SEARCH 7`.
        assert_eq!(new_uids(vec![7], 11), Vec::<u32>::new());
        assert_eq!(new_uids(vec![12, 11, 7, 12, 30], 11), vec![11, 12, 30]);
        assert_eq!(new_uids(vec![], 1), Vec::<u32>::new());

        let mut conn = Script::conn(b"* SEARCH 7\r\nv1 OK done\r\n");
        assert_eq!(search(&mut conn, 11, None).unwrap(), Vec::<u32>::new());
        assert_eq!(conn.stream.output, b"v1 UID SEARCH UID 11:*\r\n");

        let mut conn = Script::conn(b"* SEARCH 14 12 9\r\nv1 OK done\r\n");
        let day = chrono::NaiveDate::from_ymd_opt(2024, 2, 3).unwrap();
        assert_eq!(search(&mut conn, 10, Some(day)).unwrap(), vec![12, 14]);
        assert_eq!(
            conn.stream.output,
            b"v1 UID SEARCH UID 10:* SINCE 3-Feb-2024\r\n"
        );

        let mut conn = Script::conn(b"* SEARCH\r\nv1 OK done\r\n");
        assert!(search(&mut conn, 1, None).unwrap().is_empty());
        let mut conn = Script::conn(b"* SEARCH 1 x\r\nv1 OK done\r\n");
        imap_text(search(&mut conn, 1, None).unwrap_err());
    }

    #[test]
    fn uid_sets_are_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 5, 7, 8, 10]), "1:3,5,7:8,10");
        assert_eq!(uid_set(&[4]), "4");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), "4294967294:4294967295");
    }

    #[test]
    fn folder_names_are_modified_utf7() {
        assert_eq!(mutf7("INBOX"), "INBOX");
        assert_eq!(mutf7("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(mutf7("Tom & Jerry"), "Tom &- Jerry");
        // RFC 3501's example.
        assert_eq!(
            mutf7("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(mutf7("😀"), "&2D3eAA-");
    }

    #[test]
    fn fetch_responses_are_parsed_in_any_order_and_form() {
        let resp =
            b"12 FETCH (UID 34 RFC822.SIZE 99 BODY[HEADER]<0> {5}\r\nab\r\nc FLAGS (\\Seen $x))";
        let f = parse_fetch(resp).unwrap().unwrap();
        assert_eq!((f.uid, f.size), (Some(34), Some(99)));
        assert_eq!(f.header.unwrap().bytes(resp), b"ab\r\nc");
        assert!(f.body.is_none());

        let resp = br#"1 FETCH (FLAGS () BODY[]<0> "a \"q\" \\ b" UID 2)"#;
        let f = parse_fetch(resp).unwrap().unwrap();
        assert_eq!(f.uid, Some(2));
        assert_eq!(f.body.unwrap().bytes(resp), br#"a "q" \ b"#);

        let resp = b"1 FETCH (BODY[HEADER.FIELDS (FROM TO)] {0}\r\n BODY[] NIL UID 5)";
        let f = parse_fetch(resp).unwrap().unwrap();
        assert_eq!((f.uid, f.body), (Some(5), None));

        assert!(parse_fetch(b"3 EXISTS").unwrap().is_none());
        assert!(parse_fetch(b"OK [UIDNEXT 4] x").unwrap().is_none());
        for bad in [
            &b"1 FETCH (UID x)"[..],
            b"1 FETCH (UID 1",
            b"1 FETCH UID 1",
            b"1 FETCH (BODY[] {9}\r\nab)",
            b"1 FETCH (UID 99999999999)",
            b"1 FETCH (UID 1) trailing",
            b"1 FETCH (X (((((((((((((((((((((((((((((((((((((((())))))))))))))))))))))))))))))))))))))))",
        ] {
            imap_text(parse_fetch(bad).unwrap_err());
        }
    }

    #[test]
    fn garbage_and_early_close_are_errors_not_panics() {
        let text = imap_text(
            Script::conn(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                .greeting()
                .unwrap_err(),
        );
        assert!(text.contains("not an IMAP server"), "{text}");
        let text = imap_text(Script::conn(b"* BYE go away\r\n").greeting().unwrap_err());
        assert!(text.contains("go away"), "{text}");
        let text = imap_text(Script::conn(b"").greeting().unwrap_err());
        assert!(text.contains("closed"), "{text}");
        // Closed in the middle of a literal.
        let mut conn = Script::conn(b"* 1 FETCH (UID 1 BODY[] {100}\r\nonly this");
        let text = imap_text(
            conn.ok(&[Arg::Raw(b"NOOP".to_vec())], "NOOP", &mut |_| Ok(()))
                .unwrap_err(),
        );
        assert!(text.contains("closed"), "{text}");
        // A literal larger than anything asked for.
        let mut conn = Script::conn(b"* 1 FETCH (UID 1 BODY[] {999999999}\r\n");
        imap_text(
            conn.run(&[Arg::Raw(b"NOOP".to_vec())], &mut |_| Ok(()))
                .unwrap_err(),
        );
        // A bad literal length, a stray tag, an unknown status.
        for input in [
            &b"* 1 FETCH (BODY[] {1x}\r\n"[..],
            b"v9 OK not ours\r\n",
            b"v1 MAYBE\r\n",
            b"+ unasked\r\n",
        ] {
            let mut conn = Script::conn(input);
            imap_text(
                conn.run(&[Arg::Raw(b"NOOP".to_vec())], &mut |_| Ok(()))
                    .unwrap_err(),
            );
        }
        // Braces that end a line of text are no literal; a length too long is.
        assert_eq!(literal_len(b"OK hello {there}").unwrap(), None);
        assert_eq!(literal_len(b"1 FETCH (BODY[] {12}").unwrap(), Some(12));
        imap_text(literal_len(b"1 FETCH (BODY[] {99999999999}").unwrap_err());
        // BYE in the middle of a command.
        let mut conn = Script::conn(b"* BYE shutting down\r\n");
        let text = imap_text(
            conn.run(&[Arg::Raw(b"NOOP".to_vec())], &mut |_| Ok(()))
                .unwrap_err(),
        );
        assert!(text.contains("shutting down"), "{text}");
    }

    #[test]
    fn starttls_refuses_bytes_sent_before_the_handshake() {
        let mut conn = Script::conn(b"v1 OK Begin TLS\r\n* OK injected\r\n");
        conn.ok(&[Arg::Raw(b"STARTTLS".to_vec())], "STARTTLS", &mut |_| {
            Ok(())
        })
        .unwrap();
        imap_text(conn.into_inner().err().unwrap());
        let mut conn = Script::conn(b"v1 OK Begin TLS\r\n");
        conn.ok(&[Arg::Raw(b"STARTTLS".to_vec())], "STARTTLS", &mut |_| {
            Ok(())
        })
        .unwrap();
        assert!(conn.into_inner().is_ok());
    }

    #[test]
    fn examine_reads_uidvalidity_and_exists() {
        let mut conn = Script::conn(
            b"* FLAGS (\\Seen)\r\n* 3 EXISTS\r\n* OK [UIDVALIDITY 1234] UIDs valid\r\nv1 OK [READ-ONLY] done\r\n",
        );
        assert_eq!(
            examine(&mut conn, "INBOX", b"\"INBOX\"").unwrap(),
            (1234, 3)
        );
        assert_eq!(conn.stream.output, b"v1 EXAMINE \"INBOX\"\r\n");
        let mut conn = Script::conn(b"v1 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
        let text = imap_text(examine(&mut conn, "Nope", b"\"Nope\"").unwrap_err());
        assert!(
            text.contains("\"Nope\"") && text.contains("exist"),
            "{text}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_server_bytes_never_panic(input in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let mut conn = Script::conn(&input);
            let _ = conn.greeting();
            let _ = conn.run(&[Arg::Raw(b"NOOP".to_vec())], &mut |resp| parse_fetch(resp).map(|_| ()));
            let _ = parse_fetch(&input);
        }

        #[test]
        fn mutated_fetch_responses_never_panic(
            cut in 0usize..80,
            byte in proptest::num::u8::ANY,
            at in 0usize..80,
        ) {
            let mut resp = b"1 FETCH (UID 3 RFC822.SIZE 5 BODY[HEADER]<0> {5}\r\nab\r\nc FLAGS (\\Seen))".to_vec();
            if at < resp.len() { resp[at] = byte; }
            resp.truncate(cut.max(1).min(resp.len()));
            let _ = parse_fetch(&resp);
        }
    }
}
