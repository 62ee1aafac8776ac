//! An S3-compatible bucket as the store (AWS S3, Garage, Ceph, R2, B2,
//! MinIO): each object at `<prefix>/<name>` in the bucket.
//!
//! rusty-s3 signs each request (a SigV4 presigned URL, valid five
//! minutes); ureq sends it. Nothing here signs by hand. The store sees
//! object names (device ids and sequence numbers), sizes and times, and
//! sealed bytes; never a key.
//!
//! A device's clock may be far off (a year ahead, say), and S3 refuses a
//! request signed at a time too far from its own. So when the store
//! refuses one and its `Date` says the clocks differ by more than a few
//! minutes, requests are signed again by the store's time.

use std::io::Read;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use rusty_s3::actions::{ListObjectsV2, ObjectIdentifier};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use super::object::{MAX_OBJECT_LEN, parse_object_name};
use super::store::{S3Settings, Target};
use crate::error::{Error, Result};

/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(300);
/// One request's limit, an object of the largest size included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Tries of a request the store failed (5xx) or never answered.
const ATTEMPTS: u32 = 3;
/// Clocks further apart than this are corrected for.
const SKEW_TOLERATED_SECS: i64 = 120;
/// A listing's answer, at most (1,000 keys of ~90 bytes in XML).
const MAX_LISTING_LEN: u64 = 4 * 1024 * 1024;

/// A bucket (and a prefix in it) as the store of sync objects.
pub struct S3Target {
    bucket: Bucket,
    credentials: Credentials,
    /// `prefix/`, or empty for the bucket's root.
    prefix: String,
    agent: ureq::Agent,
    described: String,
    /// The store's clock less this one's, seconds, once known to differ.
    skew_secs: AtomicI64,
    /// Added to the system clock: see [`S3Target::with_clock_off_by`].
    clock_off_secs: i64,
}

impl std::fmt::Debug for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Target")
            .field("store", &self.described)
            .finish_non_exhaustive()
    }
}

/// What came back from the store for one request.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// A request's HTTP method.
enum Method {
    Get,
    Head,
    Put,
    Delete,
    Post,
}

/// What is done to one object.
#[derive(Clone, Copy)]
enum ObjectAction {
    Get,
    Head,
    Put,
    Delete,
}

impl ObjectAction {
    fn method(self) -> Method {
        match self {
            ObjectAction::Get => Method::Get,
            ObjectAction::Head => Method::Head,
            ObjectAction::Put => Method::Put,
            ObjectAction::Delete => Method::Delete,
        }
    }
}

/// How many objects one batch removal names (S3's limit).
const REMOVE_BATCH: usize = 1000;

impl S3Target {
    /// The store the settings name; the bucket is not contacted yet.
    pub fn new(settings: &S3Settings) -> Result<Self> {
        let endpoint = settings.endpoint_url()?;
        // Virtual-host style where AWS wants it; path style everywhere
        // else (Garage, MinIO, Ceph answer it, and an IP address endpoint
        // has no host name to put a bucket in).
        let style = match endpoint.host_str() {
            Some(h) if h.ends_with(".amazonaws.com") && !settings.bucket.contains('.') => {
                UrlStyle::VirtualHost
            }
            _ => UrlStyle::Path,
        };
        let bucket = Bucket::new(
            endpoint,
            style,
            settings.bucket.clone(),
            settings.region.clone(),
        )
        .map_err(|e| Error::invalid(format!("the S3 endpoint and bucket: {e}")))?;
        let credentials = Credentials::new(
            settings.access_key.clone(),
            settings.secret_key.expose().to_string(),
        );
        Ok(S3Target {
            bucket,
            credentials,
            prefix: settings.key_prefix(),
            // Private and loopback addresses allowed: the person chose this
            // store (a NAS at home, a server on this machine), unlike a
            // brand's address.
            agent: crate::net::agent(REQUEST_TIMEOUT, true),
            described: settings.describe(),
            skew_secs: AtomicI64::new(0),
            clock_off_secs: 0,
        })
    }

    /// The target as a device whose clock is `secs` off (ahead if
    /// positive) would use it: how the tests show a far-off clock does
    /// not stop sync.
    pub fn with_clock_off_by(mut self, secs: i64) -> Self {
        self.clock_off_secs = secs;
        self
    }

    /// This device's clock.
    fn local_now(&self) -> jiff::Timestamp {
        let now = jiff::Timestamp::now();
        now.checked_add(jiff::SignedDuration::from_secs(self.clock_off_secs))
            .unwrap_or(now)
    }

    fn key(&self, name: &str) -> Result<String> {
        if parse_object_name(name).is_none() {
            return Err(Error::invalid(format!(
                "not a sync object's name: {name:?}"
            )));
        }
        Ok(format!("{}{name}", self.prefix))
    }

    /// Signs `action` on the object `key`.
    fn object_request(&self, action: ObjectAction, key: &str, time: &jiff::Timestamp) -> url::Url {
        let creds = Some(&self.credentials);
        match action {
            ObjectAction::Get => self
                .bucket
                .get_object(creds, key)
                .sign_with_time(SIGNED_FOR, time),
            ObjectAction::Head => self
                .bucket
                .head_object(creds, key)
                .sign_with_time(SIGNED_FOR, time),
            ObjectAction::Put => self
                .bucket
                .put_object(creds, key)
                .sign_with_time(SIGNED_FOR, time),
            ObjectAction::Delete => self
                .bucket
                .delete_object(creds, key)
                .sign_with_time(SIGNED_FOR, time),
        }
    }

    /// Sends `action` on the object `key` (see [`Self::send`]).
    fn send_object(
        &self,
        action: ObjectAction,
        key: &str,
        body: &[u8],
        headers: &[(&str, &str)],
        limit: u64,
    ) -> Result<Answer> {
        self.send(
            &action.method(),
            &|time| self.object_request(action, key, time),
            body,
            headers,
            limit,
        )
    }

    fn sign_time(&self) -> jiff::Timestamp {
        let skew = self.skew_secs.load(Ordering::Relaxed);
        let now = self.local_now();
        now.checked_add(jiff::SignedDuration::from_secs(skew))
            .unwrap_or(now)
    }

    /// Sends one request, trying again where the store failed or could
    /// not be reached, and once more signed by the store's clock where
    /// it refused this one's. `limit`: the most of the body to read.
    fn send(
        &self,
        method: &Method,
        sign: &dyn Fn(&jiff::Timestamp) -> url::Url,
        body: &[u8],
        headers: &[(&str, &str)],
        limit: u64,
    ) -> Result<Answer> {
        let mut answer = Vec::new();
        let status = self.send_into(method, sign, body, headers, limit, &mut answer)?;
        Ok(Answer {
            status,
            body: answer,
        })
    }

    /// [`Self::send`], the answer's body read into `into` (cleared first):
    /// its status.
    fn send_into(
        &self,
        method: &Method,
        sign: &dyn Fn(&jiff::Timestamp) -> url::Url,
        body: &[u8],
        headers: &[(&str, &str)],
        limit: u64,
        into: &mut Vec<u8>,
    ) -> Result<u16> {
        let mut last = String::new();
        let mut resigned = false;
        let mut attempt = 0;
        while attempt < ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200 << attempt));
            }
            attempt += 1;
            let url = sign(&self.sign_time());
            let sent = match method {
                Method::Get => self.agent.get(url.as_str()).call(),
                Method::Head => self.agent.head(url.as_str()).call(),
                Method::Delete => self.agent.delete(url.as_str()).call(),
                Method::Put | Method::Post => {
                    let mut request = match method {
                        Method::Put => self
                            .agent
                            .put(url.as_str())
                            .header("Content-Type", "application/octet-stream"),
                        _ => self.agent.post(url.as_str()),
                    };
                    for (name, value) in headers {
                        request = request.header(*name, *value);
                    }
                    request.send(body)
                }
            };
            match sent {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let store_time = resp
                        .headers()
                        .get("date")
                        .and_then(|d| d.to_str().ok())
                        .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
                        .map(|z| z.timestamp());
                    // Room for what the store says it sends (up to the
                    // limit), so a large object is not copied as it grows.
                    let announced = resp
                        .headers()
                        .get("content-length")
                        .and_then(|l| l.to_str().ok())
                        .and_then(|l| l.parse::<u64>().ok())
                        .unwrap_or(0)
                        .min(limit);
                    into.clear();
                    into.reserve(announced as usize);
                    if !matches!(method, Method::Head) {
                        resp.body_mut()
                            .as_reader()
                            .take(limit)
                            .read_to_end(into)
                            .map_err(|e| Error::SyncStore(format!("{}: {e}", self.described)))?;
                    }
                    // AWS says 403 (RequestTimeTooSkewed), Garage 400.
                    if matches!(status, 400 | 403)
                        && !resigned
                        && let Some(theirs) = store_time
                    {
                        let skew = theirs.as_second() - self.local_now().as_second();
                        let known = self.skew_secs.load(Ordering::Relaxed);
                        if (skew - known).abs() > SKEW_TOLERATED_SECS {
                            self.skew_secs.store(skew, Ordering::Relaxed);
                            resigned = true;
                            attempt -= 1;
                            continue;
                        }
                    }
                    if (500..600).contains(&status) {
                        last = format!("{} answered {status}", self.described);
                        continue;
                    }
                    return Ok(status);
                }
                // Refused by the address rule: trying again changes nothing.
                Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    return Err(Error::SyncStore(format!("{}: {e}", self.described)));
                }
                // Said without the URL, which holds a signature.
                Err(e) => last = format!("{} cannot be reached: {}", self.described, why(&e)),
            }
        }
        Err(Error::SyncStore(last))
    }

    /// The error for an answer that is not what a store says.
    fn unexpected(&self, what: &str, answer: &Answer) -> Error {
        let code = s3_error_code(&answer.body);
        let said = code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default();
        if answer.status == 403 || answer.status == 401 {
            return Error::SyncStoreDenied(format!(
                "{} answered {} to {what}{said}: check the access key, the secret key and their rights on the bucket",
                self.described, answer.status
            ));
        }
        if answer.status == 404 && code.as_deref() == Some("NoSuchBucket") {
            return Error::SyncStore(format!(
                "{}: there is no such bucket (make it first)",
                self.described
            ));
        }
        Error::SyncStore(format!(
            "{} answered {} to {what}{said}",
            self.described, answer.status
        ))
    }
}

/// A transport error as a person reads it, without the request's URL.
fn why(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Timeout(_) => "it did not answer in time".into(),
        ureq::Error::HostNotFound => "its host is not found".into(),
        ureq::Error::ConnectionFailed => "the connection failed".into(),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "its TLS certificate is not valid".into(),
        _ => "the request failed".into(),
    }
}

/// The `<Code>` of an S3 error document, if it is one: printable
/// letters only, since it is shown.
fn s3_error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    let code = &text[start..end];
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| code.to_string())
}

/// What a store's answer to a batch removal says.
#[derive(Debug, PartialEq)]
enum BatchRemoval {
    Done,
    /// The store has no batch removal: one request an object.
    OneByOne,
    /// Some were not removed, for this reason.
    NotAll(String),
    Failed,
}

fn batch_removal(answer: &Answer) -> BatchRemoval {
    let code = s3_error_code(&answer.body);
    match answer.status {
        // Quiet: only what was not removed is listed, each an <Error>.
        200 if !answer.body.windows(7).any(|w| w == b"<Error>") => BatchRemoval::Done,
        200 => BatchRemoval::NotAll(code.unwrap_or_else(|| "no reason given".into())),
        405 | 501 => BatchRemoval::OneByOne,
        _ if code.as_deref() == Some("NotImplemented") => BatchRemoval::OneByOne,
        _ => BatchRemoval::Failed,
    }
}

impl Target for S3Target {
    fn list(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
            if !self.prefix.is_empty() {
                action.with_prefix(self.prefix.as_str());
            }
            if let Some(t) = &token {
                action.with_continuation_token(t.as_str());
            }
            let answer = self.send(
                &Method::Get,
                &|time| action.sign_with_time(SIGNED_FOR, time),
                &[],
                &[],
                MAX_LISTING_LEN,
            )?;
            if answer.status != 200 {
                return Err(self.unexpected("a listing", &answer));
            }
            let text = std::str::from_utf8(&answer.body).map_err(|_| {
                Error::SyncStore(format!("{}: its listing is not text", self.described))
            })?;
            let page = ListObjectsV2::parse_response(text).map_err(|_| {
                Error::SyncStore(format!("{}: its listing cannot be read", self.described))
            })?;
            for object in page.contents {
                // Anything else in the bucket is not an object of ours.
                if let Some(name) = object.key.strip_prefix(self.prefix.as_str())
                    && parse_object_name(name).is_some()
                {
                    names.push(name.to_string());
                }
            }
            match page.next_continuation_token {
                // A store that hands back the token it was given would
                // list forever.
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => return Ok(names),
            }
        }
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let mut bytes = Vec::new();
        Ok(self.get_into(name, &mut bytes)?.then_some(bytes))
    }

    fn get_into(&self, name: &str, buf: &mut Vec<u8>) -> Result<bool> {
        let key = self.key(name)?;
        let status = self.send_into(
            &Method::Get,
            &|time| self.object_request(ObjectAction::Get, &key, time),
            &[],
            &[],
            MAX_OBJECT_LEN as u64 + 1,
            buf,
        )?;
        match status {
            200 => Ok(true),
            404 if s3_error_code(buf).as_deref() != Some("NoSuchBucket") => Ok(false),
            _ => Err(self.unexpected(
                "a read",
                &Answer {
                    status,
                    body: std::mem::take(buf),
                },
            )),
        }
    }

    fn put_new(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let key = self.key(name)?;
        // A store that ignores If-None-Match (some do) still does not
        // replace what this sees there; the race left needs two writers of
        // one device's names, which the vault's sync lock rules out.
        let head = self.send_object(ObjectAction::Head, &key, &[], &[], 0)?;
        match head.status {
            200 => return Err(Error::SyncObjectExists(name.to_string())),
            404 => {}
            _ => return Err(self.unexpected("a check", &head)),
        }
        // Never replace an object: the store refuses (412) where one is
        // there already.
        let answer = self.send_object(
            ObjectAction::Put,
            &key,
            bytes,
            &[("If-None-Match", "*")],
            64 * 1024,
        )?;
        match answer.status {
            200 | 201 | 204 => Ok(()),
            // 412: there is one (If-None-Match); 409: another write of it
            // is under way.
            412 | 409 => Err(Error::SyncObjectExists(name.to_string())),
            _ => Err(self.unexpected("a write", &answer)),
        }
    }

    fn remove(&self, name: &str) -> Result<()> {
        let key = self.key(name)?;
        let answer = self.send_object(ObjectAction::Delete, &key, &[], &[], 64 * 1024)?;
        match answer.status {
            200 | 202 | 204 | 404 => Ok(()),
            _ => Err(self.unexpected("a removal", &answer)),
        }
    }

    fn remove_all(&self, names: &[String]) -> Result<()> {
        for batch in names.chunks(REMOVE_BATCH) {
            let objects = batch
                .iter()
                .map(|name| self.key(name).map(ObjectIdentifier::new))
                .collect::<Result<Vec<_>>>()?;
            let mut action = self
                .bucket
                .delete_objects(Some(&self.credentials), objects.iter());
            // Only what was not removed is listed.
            action.set_quiet(true);
            let (body, content_md5) = action.clone().body_with_md5();
            let answer = self.send(
                &Method::Post,
                &|time| action.sign_with_time(SIGNED_FOR, time),
                body.as_bytes(),
                &[
                    ("Content-MD5", content_md5.as_str()),
                    ("Content-Type", "application/xml"),
                ],
                MAX_LISTING_LEN,
            )?;
            match batch_removal(&answer) {
                BatchRemoval::Done => {}
                BatchRemoval::OneByOne => batch.iter().try_for_each(|name| self.remove(name))?,
                BatchRemoval::NotAll(code) => {
                    return Err(Error::SyncStore(format!(
                        "{}: some objects were not removed ({code})",
                        self.described
                    )));
                }
                BatchRemoval::Failed => return Err(self.unexpected("a removal", &answer)),
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_error_code_is_read_and_only_a_plain_one_is_shown() {
        let doc =
            b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>x</Message></Error>";
        assert_eq!(s3_error_code(doc).as_deref(), Some("NoSuchBucket"));
        assert_eq!(
            s3_error_code(b"<Error><Code>a\x1b[31m</Code></Error>"),
            None
        );
        assert_eq!(s3_error_code(b"<Error><Code></Code></Error>"), None);
        assert_eq!(s3_error_code(b"<Code>unterminated"), None);
        assert_eq!(s3_error_code(&[0xff, 0xfe]), None);
    }

    #[test]
    fn a_batch_removal_is_done_partly_done_or_sent_one_by_one() {
        let answer = |status: u16, body: &str| Answer {
            status,
            body: body.as_bytes().to_vec(),
        };
        let quiet_ok = r#"<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></DeleteResult>"#;
        assert_eq!(batch_removal(&answer(200, quiet_ok)), BatchRemoval::Done);
        let denied = "<DeleteResult><Error><Key>p/devices/x/1</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>";
        assert_eq!(
            batch_removal(&answer(200, denied)),
            BatchRemoval::NotAll("AccessDenied".into())
        );
        // Stores without the batch request.
        assert_eq!(batch_removal(&answer(501, "")), BatchRemoval::OneByOne);
        assert_eq!(batch_removal(&answer(405, "")), BatchRemoval::OneByOne);
        assert_eq!(
            batch_removal(&answer(400, "<Error><Code>NotImplemented</Code></Error>")),
            BatchRemoval::OneByOne
        );
        assert_eq!(
            batch_removal(&answer(403, "<Error><Code>AccessDenied</Code></Error>")),
            BatchRemoval::Failed
        );
    }

    #[test]
    fn only_object_names_become_keys_and_under_the_prefix() {
        let settings = S3Settings::new(
            "s3://bkt/p/q",
            "http://127.0.0.1:9",
            None,
            "k",
            crate::sync::store::S3Secret::new("s"),
        )
        .unwrap();
        let t = S3Target::new(&settings).unwrap();
        let name = "devices/0123456789abcdef0123456789abcdef/0000000000000001";
        assert_eq!(t.key(name).unwrap(), format!("p/q/{name}"));
        assert!(t.key("../../other-bucket/x").is_err());
        assert!(t.key("devices/x/1").is_err());
        // Its Debug names the store, never the key.
        assert!(!format!("{t:?}").contains("\"s\""));
    }
}
