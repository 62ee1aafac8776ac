//! The brand's side of the exchange (`vrm brand-kit`): a brand's keys, and
//! opening, answering and acknowledging what a person sends. It lets the whole
//! exchange be run and tested end to end; a brand may equally use any age
//! implementation and any eddsa-jcs-2022 verifier.
//!
//! A brand key file is an age identity file (so the stock `age -d -i FILE`
//! opens bundles with it) with the brand's Ed25519 signing seed on a comment
//! line, which age ignores.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::crypto::bundle::{self, AgeIdentity, OpenKey, OpenLimits};
use crate::crypto::did::SigningKey;
use crate::error::{Error, Result};
use crate::proof::{self, VerifiedCredential};
use crate::share::{DELETION_ACKNOWLEDGMENT, SHARE_GRANT, SHARE_REVOCATION};
use crate::terms::agreement::{Decision, PERSONAL_TERMS, TERMS_AGREEMENT};
use crate::terms::{Clauses, diff};
use crate::vault::fs::{FileMode, OutFile, write_file};

#[cfg(feature = "intake")]
mod intake;
#[cfg(feature = "relays")]
pub mod market;
#[cfg(feature = "intake")]
pub use intake::DEFAULT_REQUEST_TIMEOUT;

const SEED_PREFIX: &str = "# vrm-signing-seed: ";

/// A brand's keys: an age identity to receive bundles, and a signing key.
pub struct BrandKey {
    /// Receives bundles.
    pub age: AgeIdentity,
    /// Signs answers and acknowledgments.
    pub signing: SigningKey,
}

impl fmt::Debug for BrandKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BrandKey({}, {})",
            self.signing.did(),
            self.age.recipient()
        )
    }
}

impl BrandKey {
    /// Fresh keys.
    pub fn generate() -> Result<Self> {
        Ok(BrandKey {
            age: AgeIdentity::generate(),
            signing: SigningKey::generate()?,
        })
    }

    /// The key file's text. Secret: write it owner-only.
    pub fn to_file_text(&self) -> SecretString {
        let age_secret = self.age.to_secret_string();
        let seed = Zeroizing::new(data_encoding::HEXLOWER.encode(self.signing.seed()));
        let text = format!(
            "# VRM brand-kit key. Keep it secret.\n# did: {}\n# public key: {}\n{SEED_PREFIX}{}\n{}\n",
            self.signing.did(),
            self.age.recipient(),
            seed.as_str(),
            age_secret.expose_secret()
        );
        SecretString::from(text)
    }

    /// Read a key file written by [`BrandKey::to_file_text`].
    pub fn parse(text: &str) -> Result<Self> {
        let mut seed = None;
        let mut age_lines = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(hex) = line.strip_prefix(SEED_PREFIX.trim_end()) {
                let bytes = Zeroizing::new(
                    data_encoding::HEXLOWER_PERMISSIVE
                        .decode(hex.trim().as_bytes())
                        .map_err(|_| {
                            Error::invalid_field(
                                "identity",
                                "the key file's signing seed is malformed",
                            )
                        })?,
                );
                let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    Error::invalid_field("identity", "the key file's signing seed is malformed")
                })?;
                seed = Some(Zeroizing::new(arr));
            } else if line.starts_with("AGE-SECRET-KEY-") {
                age_lines.push(line);
            }
        }
        let seed = seed.ok_or_else(|| {
            Error::invalid_field(
                "identity",
                "this is not a brand-kit key file (no signing seed); make one with `vrm brand-kit keygen`",
            )
        })?;
        let [age_line] = age_lines.as_slice() else {
            return Err(Error::invalid_field(
                "identity",
                "a brand-kit key file holds exactly one AGE-SECRET-KEY line",
            ));
        };
        Ok(BrandKey {
            age: AgeIdentity::parse(age_line)?,
            signing: SigningKey::from_seed(&seed),
        })
    }
}

/// What a brand finds in a share bundle.
#[derive(Debug, Clone, Serialize)]
pub struct OpenedGrant {
    /// The verified credential.
    pub credential: VerifiedCredential,
    /// The document as received.
    pub document: Value,
}

fn expect_kind(vc: &VerifiedCredential, kind: &str) -> Result<()> {
    if vc.kind == kind {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "this is {} document, not {}",
            crate::model::text::a(&vc.kind),
            crate::model::text::a(kind)
        )))
    }
}

fn stamp(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Decrypt a share bundle with the brand's key and verify the grant in it.
pub fn open_bundle(bytes: &[u8], key: &BrandKey, now: DateTime<Utc>) -> Result<OpenedGrant> {
    let plain = bundle::decrypt(
        bytes,
        &OpenKey::Identities(std::slice::from_ref(&key.age)),
        &OpenLimits::default(),
    )?;
    let document = proof::parse_document(&plain)?;
    let credential = proof::verify_credential(&document, now)?;
    expect_kind(&credential, SHARE_GRANT)?;
    Ok(OpenedGrant {
        credential,
        document,
    })
}

/// Answer a person's `PersonalTerms`: accept, refuse, or counter with
/// changed clauses (`changes` as `clause=value`, clause keys as in the
/// terms document: `retentionDays`, `contact.maxContacts`…).
pub fn agree(
    terms_bytes: &[u8],
    key: &BrandKey,
    decision: Decision,
    changes: &[(String, String)],
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Value> {
    let doc = proof::parse_document(terms_bytes)?;
    let vc = proof::verify_credential(&doc, now)?;
    expect_kind(&vc, PERSONAL_TERMS)?;
    let digest = data_encoding::HEXLOWER.encode(&proof::jcs_sha256(&doc)?);
    let mut subject = json!({
        "id": vc.signer,
        "terms": { "id": vc.id, "digestSHA256": digest },
        "decision": decision.as_str(),
    });
    match decision {
        Decision::Counter => {
            if changes.is_empty() {
                return Err(Error::invalid_field(
                    "change",
                    "a counter-offer needs at least one --change clause=value",
                ));
            }
            let ours = Clauses::from_subject(&vc.subject)?;
            let mut theirs = ours.clone();
            for (k, v) in changes {
                theirs.set(k, v)?;
            }
            theirs.validate()?;
            let list = diff(&ours, &theirs);
            if list.is_empty() {
                return Err(Error::invalid_field(
                    "change",
                    "the changes leave the terms as they are; accept them instead",
                ));
            }
            subject["changes"] =
                serde_json::to_value(list).map_err(|e| Error::invalid(e.to_string()))?;
        }
        _ if !changes.is_empty() => {
            return Err(Error::invalid_field(
                "change",
                "only a counter-offer lists changes",
            ));
        }
        _ => {}
    }
    if let Some(n) = note.map(str::trim).filter(|n| !n.is_empty()) {
        subject["note"] = json!(n);
    }
    proof::issue_credential(
        TERMS_AGREEMENT,
        &key.signing,
        uuid::Uuid::new_v4(),
        stamp(now),
        None,
        subject,
    )
}

/// Acknowledge a person's `ShareRevocation`: the brand states it erased the
/// data at `erased_at`.
pub fn acknowledge(
    revocation_bytes: &[u8],
    key: &BrandKey,
    erased_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Value> {
    let doc = proof::parse_document(revocation_bytes)?;
    let vc = proof::verify_credential(&doc, now)?;
    expect_kind(&vc, SHARE_REVOCATION)?;
    let share_id = vc
        .subject
        .get("shareId")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("the revocation names no share"))?;
    proof::issue_credential(
        DELETION_ACKNOWLEDGMENT,
        &key.signing,
        uuid::Uuid::new_v4(),
        stamp(now),
        None,
        json!({
            "id": vc.signer,
            "shareId": share_id,
            "revocationId": vc.id,
            "erasedAt": stamp(erased_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    )
}

/// How the names of the intake's files being written begin (they end in
/// `.part`); such a file is never a stored document.
pub const INCOMING_PREFIX: &str = crate::vault::fs::TEMP_PREFIX;

fn replay(kind: &str, name: &str) -> Error {
    Error::Replay(format!("{kind} {name} was received before"))
}

/// What a second document under a name already held is: a replay if it is
/// the very same bytes, else a different document claiming the id (which
/// must not read as "delivered" to its sender: it could be a brand that
/// saw an intent posting its own document of that id to another first).
fn held_already(path: &std::path::Path, body: &[u8], kind: &str, name: &str) -> Error {
    match crate::proof::read_foreign_file(path) {
        Ok(held) if held == body => replay(kind, name),
        Ok(_) => Error::IdTaken(format!(
            "a different {kind} with the id {name} was received before"
        )),
        Err(e) => e,
    }
}

/// The SHA-256 of a document, as the intake names what it holds (hex).
pub fn document_digest(body: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(ring::digest::digest(&ring::digest::SHA256, body).as_ref())
}

/// Largest document the intake takes.
pub const MAX_INTAKE_BYTES: usize = 1024 * 1024;

#[cfg(feature = "intake")]
/// A brand's loopback intake for intents (`vrm brand-kit serve`): it
/// verifies each posted document (signature, validity, not a replay of an id
/// already seen) and stores it in its folder; anything else gets a 4xx and is
/// not stored. (Feature `intake`.)
pub struct Intake {
    listener: std::net::TcpListener,
    dir: std::path::PathBuf,
    request_timeout: std::time::Duration,
}

#[cfg(feature = "intake")]
impl fmt::Debug for Intake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Intake({}, {})", self.local_addr(), self.dir.display())
    }
}

#[cfg(feature = "intake")]
/// How the intake answered one request, for its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeAnswer {
    /// HTTP status.
    pub status: u16,
    /// A stable code (`stored`, `document.bad_signature`, `replay`…).
    pub code: String,
    /// For a human.
    pub message: String,
    /// The SHA-256 (hex) of the document it holds, when it stored it (201)
    /// or held these very bytes already (409): a sender trusts a 409 as
    /// "delivered" only if this is the digest of what it sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

#[cfg(feature = "intake")]
impl Intake {
    /// Listen on `addr` (e.g. `127.0.0.1:8700`; port 0 picks a free one),
    /// storing into `dir` (`intents/`, `withdrawals/`).
    pub fn bind(addr: &str, dir: &std::path::Path) -> Result<Self> {
        for sub in ["intents", "withdrawals"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
        }
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| Error::invalid_field("addr", format!("cannot listen on {addr}: {e}")))?;
        Ok(Intake {
            listener,
            dir: dir.to_path_buf(),
            request_timeout: intake::DEFAULT_REQUEST_TIMEOUT,
        })
    }

    /// How long one request may take, from its accept to its last body byte
    /// (at least 0.1 s); a client slower than that is answered 408.
    pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = timeout.max(std::time::Duration::from_millis(100));
        self
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> String {
        self.listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    }

    /// The answer to a posted document's bytes.
    fn answer_post(&self, body: &[u8]) -> IntakeAnswer {
        let answer = |status: u16, code: &str, message: String| IntakeAnswer {
            status,
            code: code.to_string(),
            message,
            digest: None,
        };
        match self.take(body) {
            Ok(r) => IntakeAnswer {
                digest: Some(document_digest(body)),
                ..answer(201, "stored", format!("{} {} stored", r.kind, r.id))
            },
            // 409 only for these very bytes, held already.
            Err(e @ Error::Replay(_)) => IntakeAnswer {
                digest: Some(document_digest(body)),
                ..answer(409, "replay", e.to_string())
            },
            Err(e) => {
                let status = match e.code() {
                    "document.expired" => 410,
                    "intake.id_taken" => 422,
                    "document.bad_signature" | "document.unknown_signer" => 422,
                    "io" | "vault.database" => 500,
                    _ => 400,
                };
                answer(status, e.code(), e.to_string())
            }
        }
    }

    /// Verify and store one document (the intake's rules, without HTTP).
    pub fn take(&self, body: &[u8]) -> Result<crate::intent::Received> {
        store_received(&self.dir, body)
    }
}

/// Verify one document an intent's sender sent (an `IntentRequest` or its
/// `IntentWithdrawal`) and store it in `dir` as the intake does: intents in
/// `dir/intents/<intent>.json`, withdrawals (signed by the intent's own key)
/// in `dir/withdrawals/<id>.json`; a replay of one held already is refused
/// ([`Error::Replay`]), and a different document under a held id too.
pub fn store_received(dir: &std::path::Path, body: &[u8]) -> Result<crate::intent::Received> {
    let (received, _) = crate::intent::check_received(body, Utc::now())?;
    let intent_file = dir
        .join("intents")
        .join(format!("{}.json", received.intent));
    let (folder, name) = if received.kind == crate::intent::INTENT_REQUEST {
        ("intents", received.intent.clone())
    } else {
        // A withdrawal must come from the intent's own key.
        let stored = std::fs::read(&intent_file)
            .map_err(|_| Error::invalid("a withdrawal of an intent this intake never received"))?;
        // It was verified when stored; its signer is all we need now.
        let original = proof::verify(&proof::parse_document(&stored)?)?;
        if original.signer != received.signer {
            return Err(Error::UnknownSigner(
                "the withdrawal is not signed by the intent's key".into(),
            ));
        }
        ("withdrawals", received.id.clone())
    };
    let folder = dir.join(folder);
    let path = folder.join(format!("{name}.json"));
    if path.exists() {
        return Err(held_already(&path, body, &received.kind, &name));
    }
    // Written whole to a temporary file beside it, synced, then renamed
    // into place (and the rename synced): a write that fails (or a
    // crash) leaves at most a `.vrm-out-*.part` file, which is not
    // `<id>.json`, so a resend is not mistaken for a replay of an intent
    // never fully stored. New only: of two copies of one id arriving at
    // once, one is stored and the other is a replay.
    let already = |e: &Error| matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists);
    match write_file(OutFile::new_only(&path), FileMode::Private, body) {
        Ok(()) => {}
        Err(e) if already(&e) => {
            return Err(held_already(&path, body, &received.kind, &name));
        }
        Err(e) => return Err(e),
    }
    Ok(received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_round_trips_and_never_prints_secrets() {
        let key = BrandKey::generate().unwrap();
        let text = key.to_file_text();
        let back = BrandKey::parse(text.expose_secret()).unwrap();
        assert_eq!(back.signing.did(), key.signing.did());
        assert_eq!(back.age.recipient(), key.age.recipient());
        let shown = format!("{key:?}");
        assert!(!shown.contains("AGE-SECRET-KEY"));
        assert!(!shown.contains(&data_encoding::HEXLOWER.encode(key.signing.seed())));
    }

    #[test]
    fn a_key_file_without_a_seed_or_with_two_keys_is_refused() {
        let age = AgeIdentity::generate();
        let only_age = age.to_secret_string();
        assert!(BrandKey::parse(only_age.expose_secret()).is_err());
        let key = BrandKey::generate().unwrap();
        let doubled = format!(
            "{}{}\n",
            key.to_file_text().expose_secret(),
            age.to_secret_string().expose_secret()
        );
        assert!(BrandKey::parse(&doubled).is_err());
    }
}
