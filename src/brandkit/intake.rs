//! The intake's HTTP side: a listener, a bounded pool of workers, and a
//! deadline on every request, so a slow or stalled client (one that sends
//! its headers and `Content-Length: 100000` and then nothing) holds one
//! worker for at most the deadline and never the whole intake. The request
//! head is parsed by `httparse`; only `POST` with a `Content-Length` body is
//! taken, and every connection is closed after its one answer.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::mpsc::{TrySendError, sync_channel};
use std::time::{Duration, Instant};

use super::{Intake, IntakeAnswer, MAX_INTAKE_BYTES};

/// How long one request may take by default, from its accept to its last
/// body byte (`vrm brand-kit serve --request-timeout`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests served at once.
const WORKERS: usize = 8;
/// Connections waiting for a worker; beyond them a new connection is
/// answered 503 at once (a sender tries a 5xx again later).
const WAITING: usize = 32;
/// The longest request head (request line and headers).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most headers read.
const MAX_HEADERS: usize = 64;

fn answer(status: u16, code: &str, message: impl Into<String>) -> IntakeAnswer {
    IntakeAnswer {
        status,
        code: code.to_string(),
        message: message.into(),
        digest: None,
    }
}

impl Intake {
    /// Answer requests until the process ends; `log` sees each answer.
    pub fn run(&self, log: impl FnMut(&IntakeAnswer) + Send) {
        let log = Mutex::new(log);
        let tell = |a: &IntakeAnswer| {
            if let Ok(mut log) = log.lock() {
                (*log)(a);
            }
        };
        let (to_workers, waiting) = sync_channel::<TcpStream>(WAITING);
        let waiting = Mutex::new(waiting);
        std::thread::scope(|scope| {
            for _ in 0..WORKERS {
                scope.spawn(|| {
                    loop {
                        // The lock is held only to take the next connection.
                        let next = waiting.lock().map(|w| w.recv());
                        let Ok(Ok(stream)) = next else { return };
                        tell(&self.serve(stream));
                    }
                });
            }
            for stream in self.listener.incoming() {
                let Ok(stream) = stream else { continue };
                match to_workers.try_send(stream) {
                    Ok(()) => {}
                    Err(TrySendError::Full(mut stream)) => {
                        let busy = answer(503, "busy", "too many requests at once; try again");
                        respond(&mut stream, &busy, Instant::now() + Duration::from_secs(1));
                        tell(&busy);
                    }
                    Err(TrySendError::Disconnected(_)) => break,
                }
            }
        });
    }

    /// Read one request from `stream` within the deadline, answer it, close.
    fn serve(&self, mut stream: TcpStream) -> IntakeAnswer {
        let deadline = Instant::now() + self.request_timeout;
        let out = match read_post(&mut stream, deadline) {
            Ok(body) => self.answer_post(&body),
            Err(refused) => refused,
        };
        respond(&mut stream, &out, deadline + Duration::from_secs(1));
        out
    }
}

/// The body of a `POST /` or `POST /intents`, read whole before `deadline`,
/// or the answer that refuses it.
fn read_post(stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, IntakeAnswer> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (head_len, length) = loop {
        let n = read_some(stream, &mut chunk, deadline)?;
        if n == 0 {
            return Err(answer(400, "unreadable", "the request ended in its head"));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let path = request.path.unwrap_or_default();
                if path != "/" && path != "/intents" {
                    return Err(answer(404, "not_found", "post intents to / or /intents"));
                }
                if request.method != Some("POST") {
                    return Err(answer(405, "method_not_allowed", "only POST is taken"));
                }
                let header = |name: &str| {
                    request
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| h.value)
                };
                if header("transfer-encoding").is_some() {
                    return Err(answer(
                        411,
                        "length_required",
                        "send the document with a Content-Length, not chunked",
                    ));
                }
                let length = header("content-length")
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or_else(|| answer(411, "length_required", "a Content-Length is needed"))?;
                if length > MAX_INTAKE_BYTES {
                    return Err(answer(
                        413,
                        "input.too_large",
                        format!("at most {MAX_INTAKE_BYTES} bytes"),
                    ));
                }
                break (head_len, length);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD_BYTES => {}
            Ok(httparse::Status::Partial) => {
                return Err(answer(
                    431,
                    "head_too_large",
                    "the request head is too large",
                ));
            }
            Err(_) => return Err(answer(400, "unreadable", "not an HTTP request")),
        }
    };
    let mut body = buf.split_off(head_len);
    if body.len() > length {
        return Err(answer(
            400,
            "unreadable",
            "more bytes than its Content-Length",
        ));
    }
    body.reserve_exact(length - body.len());
    while body.len() < length {
        let want = (length - body.len()).min(chunk.len());
        let n = read_some(stream, &mut chunk[..want], deadline)?;
        if n == 0 {
            return Err(answer(
                400,
                "unreadable",
                "the body is shorter than its Content-Length",
            ));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(body)
}

/// One read, given what is left of the deadline; a stall past it is 408.
fn read_some(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<usize, IntakeAnswer> {
    let too_slow = || answer(408, "timeout", "the request did not arrive in time");
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(too_slow());
    }
    stream
        .set_read_timeout(Some(left))
        .map_err(|_| answer(400, "unreadable", "the connection failed"))?;
    loop {
        match stream.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(too_slow());
            }
            Err(_) => return Err(answer(400, "unreadable", "the request could not be read")),
        }
    }
}

/// Write the answer as JSON and close; a client that does not read it in
/// time loses it.
fn respond(stream: &mut TcpStream, a: &IntakeAnswer, deadline: Instant) {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100));
    let _ = stream.set_write_timeout(Some(left));
    let body = serde_json::to_vec(a).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        a.status,
        reason(a.status),
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&body))
        .and_then(|()| stream.flush());
    // Closing with unread bytes waiting would reset the connection, and the
    // client could lose the answer: say we are done, then read a little of
    // what it still sends, briefly, before closing.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}
