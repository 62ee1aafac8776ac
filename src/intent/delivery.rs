//! Delivering an intent or its withdrawal: a file per brand, an HTTP POST to
//! each brand's inbox, retried, with the vault out of the way.

use std::path::{Path, PathBuf};
#[cfg(feature = "http")]
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::model::{BrandId, IntentId};
use crate::vault::fs::{FileMode, OutFile, write_file};

use super::domain::{Delivery, DeliveryStatus};
#[cfg(feature = "http")]
use super::{DELIVERY_ATTEMPTS, DELIVERY_TIMEOUT};

/// How an inbox took a posted document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// It stored it (2xx).
    Stored,
    /// It answered 409 with the digest of this very document: it holds it
    /// already (a `vrm brand-kit serve` intake answers a replay so).
    /// Typically an earlier attempt reached it but its answer did not reach
    /// us (a timeout), so the document is delivered.
    AlreadyHeld,
}

/// The note kept with a delivery the inbox already held.
pub const ALREADY_HELD: &str = "already held by the inbox (it answered 409 to a repeat)";

/// Post a document to an inbox: [`DELIVERY_ATTEMPTS`] tries with backoff;
/// a 5xx or a network error is tried again; a 409 whose `digest` is this
/// document's means the inbox holds it already ([`Posted::AlreadyHeld`]),
/// any other 409 is a refusal; any other 4xx is final (the brand
/// refused it) and is the `Err`, with the inbox's answer.
///
/// Without the `http` feature, nothing is posted: the `Err` says so.
///
/// `allow_private`: the brand's inbox may be on the person's own network (a
/// private or link-local address); else only public addresses and this
/// machine are reached.
pub fn post_document(
    url: &str,
    body: &[u8],
    allow_private: bool,
) -> std::result::Result<Posted, String> {
    #[cfg(not(feature = "http"))]
    {
        let _ = (url, body, allow_private);
        Err(
            "this build of VRM Vault cannot post to an inbox (built without its `http` feature)"
                .into(),
        )
    }
    #[cfg(feature = "http")]
    post_with_retries(url, body, allow_private)
}

#[cfg(feature = "http")]
pub(super) fn post_with_retries(
    url: &str,
    body: &[u8],
    allow_private: bool,
) -> std::result::Result<Posted, String> {
    let agent = crate::net::agent(DELIVERY_TIMEOUT, allow_private);
    let mut last = String::new();
    for attempt in 0..DELIVERY_ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(300 << attempt));
        }
        match agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(body)
        {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                if (200..300).contains(&status) {
                    return Ok(Posted::Stored);
                }
                let text = resp
                    .body_mut()
                    .with_config()
                    .limit(4096)
                    .read_to_string()
                    .unwrap_or_default();
                if status == 409 {
                    // Delivered only if what it holds is what we sent: a
                    // 409 for another document of this id (one a third
                    // party posted first) is a refusal, not a delivery.
                    return held_digest_matches(&text, body)
                        .then_some(Posted::AlreadyHeld)
                        .ok_or_else(|| {
                            "the inbox answered 409 but does not hold this document (another document with its id, or no digest to show it)".to_string()
                        });
                }
                let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
                last = format!(
                    "the inbox answered {status}{}",
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(": {text}")
                    }
                );
                if (400..500).contains(&status) {
                    return Err(last);
                }
            }
            // Refused by the address rule: trying again changes nothing.
            Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(format!("not sent: {e}"));
            }
            Err(e) => last = format!("cannot reach the inbox: {e}"),
        }
    }
    Err(last)
}

/// Whether a 409 answer's `digest` is the SHA-256 of `sent`.
#[cfg(feature = "http")]
fn held_digest_matches(answer: &str, sent: &[u8]) -> bool {
    let digest = serde_json::from_str::<serde_json::Value>(answer)
        .ok()
        .and_then(|v| v.get("digest")?.as_str().map(str::to_owned));
    digest.is_some_and(|d| d.eq_ignore_ascii_case(&crate::brandkit::document_digest(sent)))
}

/// Checked again when sending: a brand kept from before the rule (or an
/// imported one) may hold a plain-http inbox on the network.
pub(super) fn check_inbox(url: &str) -> Result<()> {
    if crate::model::is_inbox_url(url) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            "inbox",
            format!("{url:?}: {}", crate::model::INBOX_RULE),
        ))
    }
}

/// One brand to deliver to.
#[derive(Debug, Clone)]
pub(super) struct Addressee {
    pub(super) brand: BrandId,
    pub(super) name: String,
    pub(super) inbox: Option<String>,
    /// Its inbox may be on the person's own network.
    pub(super) allow_private: bool,
    /// Its inbox took this document already.
    pub(super) posted: bool,
}

/// An intent or withdrawal ready to deliver, taken out of the vault: the
/// delivery itself (HTTP may wait ~30 s for an unreachable brand) needs no
/// vault, so the app can lock meanwhile. [`Intents::prepare_send`](crate::Intents::prepare_send) or
/// [`Intents::prepare_withdrawal`](crate::Intents::prepare_withdrawal), then [`Outbox::deliver`], then
/// [`Intents::record_deliveries`](crate::Intents::record_deliveries).
#[derive(Debug, Clone)]
pub struct Outbox {
    pub(super) intent: IntentId,
    /// Set for a withdrawal: when it was signed.
    pub(super) withdrawal_at: Option<DateTime<Utc>>,
    pub(super) document: String,
    pub(super) addressees: Vec<Addressee>,
}

impl Outbox {
    /// Deliver: a file per brand into `out_dir` and/or an HTTP POST to each
    /// brand's inbox (when `http`). Every brand gets a line in the round.
    pub fn deliver(&self, out_dir: Option<&Path>, http: bool) -> Result<Vec<Delivery>> {
        if let Some(d) = out_dir
            && !d.is_dir()
        {
            return Err(Error::invalid_field(
                "out",
                format!("{} is not a folder", d.display()),
            ));
        }
        let (label, short) = (
            if self.withdrawal_at.is_some() {
                "withdrawal"
            } else {
                "intent"
            },
            self.intent.chars().take(8).collect::<String>(),
        );
        let mut out = Vec::new();
        for brand in &self.addressees {
            let mut any = false;
            if let Some(dir) = out_dir {
                any = true;
                let path: PathBuf =
                    dir.join(format!("{label}-{short}-{}.json", file_safe(&brand.name)));
                let result = write_file(
                    OutFile::replace(&path),
                    FileMode::Private,
                    self.document.as_bytes(),
                );
                out.push(Delivery {
                    brand: brand.brand.clone(),
                    status: if result.is_ok() {
                        DeliveryStatus::Sent
                    } else {
                        DeliveryStatus::Failed
                    },
                    to: path.display().to_string(),
                    reason: result.err().map(|e| e.to_string()),
                    at: Utc::now(),
                });
            }
            if http && let Some(url) = &brand.inbox {
                any = true;
                if brand.posted {
                    out.push(Delivery {
                        brand: brand.brand.clone(),
                        status: DeliveryStatus::Sent,
                        to: url.clone(),
                        reason: Some("its inbox has it already; not posted again".into()),
                        at: Utc::now(),
                    });
                } else {
                    let result = check_inbox(url).map_err(|e| e.to_string()).and_then(|_| {
                        post_document(url, self.document.as_bytes(), brand.allow_private)
                    });
                    let (status, reason) = match result {
                        Ok(Posted::Stored) => (DeliveryStatus::Sent, None),
                        Ok(Posted::AlreadyHeld) => {
                            (DeliveryStatus::Sent, Some(ALREADY_HELD.to_string()))
                        }
                        Err(why) => (DeliveryStatus::Failed, Some(why)),
                    };
                    out.push(Delivery {
                        brand: brand.brand.clone(),
                        status,
                        to: url.clone(),
                        reason,
                        at: Utc::now(),
                    });
                }
            }
            if !any {
                out.push(Delivery {
                    brand: brand.brand.clone(),
                    status: DeliveryStatus::Failed,
                    to: String::new(),
                    reason: Some(format!(
                        "{} has no inbox URL; write a file to hand over instead",
                        brand.name
                    )),
                    at: Utc::now(),
                });
            }
        }
        Ok(out)
    }
}

pub(super) fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "brand".into()
    } else {
        s.chars().take(40).collect()
    }
}
