//! Signed documents: W3C Verifiable Credentials 2.0 secured with a Data
//! Integrity proof, cryptosuite `eddsa-jcs-2022` (RFC 8785 JCS + Ed25519), as
//! the 2025 W3C Recommendation defines it. Every document that leaves the vault
//! is one of these.
//!
//! Two layers on [`serde_json::Value`]:
//! - the cryptosuite: [`create_proof`] / [`sign`] add a proof, [`verify`]
//!   checks one, [`jcs`] / [`jcs_sha256`] canonicalize and hash;
//! - credentials: [`issue_credential`] builds and signs one,
//!   [`verify_credential`] checks the proof and the credential's shape, issuer
//!   and validity period; [`parse_document`] reads untrusted bytes first;
//! - files: [`read_foreign_file`] reads what a brand sent under the one limit
//!   for foreign files, [`MAX_FOREIGN_FILE_BYTES`].
//!
//! The signed bytes are `SHA-256(JCS(proof config)) ‖ SHA-256(JCS(document
//! without its proof))`, where the proof config is the proof without
//! `proofValue`, carrying the document's `@context`.

use chrono::{DateTime, Datelike, SecondsFormat, TimeDelta, Utc};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value, json};

use crate::crypto::did::{
    PUBLIC_KEY_LEN, SIGNATURE_LEN, SigningKey, public_key_from_did, verify_signature,
};
use crate::error::{Error, Result};

mod file;
pub(crate) use file::pretty_json;
pub use file::{MAX_FOREIGN_FILE_BYTES, read_foreign_file};

/// Largest document [`parse_document`] reads, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// The first `@context` of every Verifiable Credential 2.0.
pub const CREDENTIALS_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The `type` every credential carries besides its kind.
pub const VERIFIABLE_CREDENTIAL: &str = "VerifiableCredential";
/// The proof `type`.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The proof `cryptosuite`.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// The one proof purpose we sign and accept.
pub const ASSERTION_METHOD: &str = "assertionMethod";
/// How far in the future a `validFrom` may lie and still be accepted, for
/// clocks that disagree a little.
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// The largest integer an IEEE double holds exactly. JCS writes numbers as
/// doubles, so a larger integer would be signed as a different value than the
/// one written (I-JSON, RFC 7493, which RFC 8785 requires of its input).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// Longest proofValue we try to decode: 64 bytes are at most 88 base58
/// characters; the bound keeps base58 decoding (quadratic) cheap.
const MAX_PROOF_VALUE_LEN: usize = 100;
/// Longest kind name [`issue_credential`] accepts.
const MAX_KIND_LEN: usize = 64;
/// How much of a foreign value an error message repeats.
const SHOWN_LEN: usize = 80;

/// The options of a new proof (everything in it but `type`, `cryptosuite`,
/// `@context` and the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// When the proof was made, RFC 3339 (`2026-01-01T00:00:00Z`).
    pub created: String,
    /// The signing key's verification method, `did:key:z6Mk…#z6Mk…`.
    pub verification_method: String,
    /// What the proof is for; [`verify`] accepts only `assertionMethod`.
    pub proof_purpose: String,
}

/// What a valid proof says about who signed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifiedProof {
    /// The proof's `verificationMethod` (`did:key:z6Mk…#z6Mk…`).
    pub verification_method: String,
    /// The signer's `did:key:z6Mk…`.
    pub signer: String,
    /// The proof's `created` time, as written.
    pub created: String,
}

/// A credential whose proof, shape, issuer and validity period all check out.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VerifiedCredential {
    /// The credential's `id` (ours are `urn:uuid:…`).
    pub id: String,
    /// Its kind: the one `type` besides `VerifiableCredential`.
    pub kind: String,
    /// The issuer's DID (equal to [`VerifiedCredential::signer`]).
    pub issuer: String,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity, if it has one.
    pub valid_until: Option<DateTime<Utc>>,
    /// The `credentialSubject`, as written.
    pub subject: Value,
    /// The `did:key` whose key made the proof.
    pub signer: String,
}

/// RFC 8785 (JCS) canonical form of `value`. Refuses integers beyond ±(2^53 −
/// 1), which JCS cannot carry exactly.
pub fn jcs(value: &Value) -> Result<Vec<u8>> {
    if check_numbers(value)? {
        // Already canonical as serde_json writes it (see `check_numbers`):
        // the same bytes, several times faster on large documents.
        return serde_json::to_vec(value)
            .map_err(|e| Error::Document(format!("it cannot be canonicalized: {e}")));
    }
    serde_json_canonicalizer::to_vec(value)
        .map_err(|e| Error::Document(format!("it cannot be canonicalized: {e}")))
}

/// SHA-256 of the JCS form of `value`: how a document (a terms version, say)
/// is referenced by hash.
pub fn jcs_sha256(value: &Value) -> Result<[u8; 32]> {
    let digest = ring::digest::digest(&ring::digest::SHA256, &jcs(value)?);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    Ok(out)
}

/// Refuses integers JCS cannot carry, and says whether `serde_json::to_vec`
/// already writes `value` in its canonical form: no floating-point numbers
/// (JCS prints them as ECMAScript does) and every object's keys ASCII and in
/// ascending order as iterated (byte order is then UTF-16 order, as RFC 8785
/// sorts). Strings are escaped alike by both: the two-character escapes,
/// `\u00xx` in lower case for other control characters, nothing else.
/// Walks without recursion: a caller-built value may be deeper than the stack.
fn check_numbers(value: &Value) -> Result<bool> {
    let mut plain = true;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Number(n) if n.is_f64() => plain = false,
            Value::Number(n) => {
                let too_big = match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => u > MAX_SAFE_INTEGER,
                    (None, Some(i)) => i.unsigned_abs() > MAX_SAFE_INTEGER,
                    (None, None) => false,
                };
                if too_big {
                    return Err(Error::Document(
                        "it holds an integer beyond ±(2^53 − 1), which a signature cannot cover exactly"
                            .into(),
                    ));
                }
            }
            Value::Array(a) => stack.extend(a),
            Value::Object(m) => {
                if plain {
                    let mut prev: Option<&str> = None;
                    for k in m.keys() {
                        if !k.is_ascii() || prev.is_some_and(|p| p >= k.as_str()) {
                            plain = false;
                            break;
                        }
                        prev = Some(k);
                    }
                }
                stack.extend(m.values());
            }
            _ => {}
        }
    }
    Ok(plain)
}

/// The bytes Ed25519 signs: proof config hash ‖ document hash.
fn hash_data(proof_config: &Value, document: &Value) -> Result<[u8; 64]> {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&jcs_sha256(proof_config)?);
    out[32..].copy_from_slice(&jcs_sha256(document)?);
    Ok(out)
}

/// Secure `unsecured` with an `eddsa-jcs-2022` proof made with `key` and
/// `options`, exactly as the Recommendation's "Create Proof" says; returns the
/// secured document. The document must be a JSON object without a proof, and
/// the verification method must be `key`'s own.
pub fn create_proof(unsecured: &Value, key: &SigningKey, options: ProofOptions) -> Result<Value> {
    secure(unsecured.clone(), key, options)
}

/// [`create_proof`] on a document the caller gives up, so a large one is not
/// copied.
fn secure(unsecured: Value, key: &SigningKey, options: ProofOptions) -> Result<Value> {
    let Value::Object(mut doc) = unsecured else {
        return Err(Error::invalid("a document to sign must be a JSON object"));
    };
    if doc.contains_key("proof") {
        return Err(Error::invalid(
            "the document already has a proof; a document carries exactly one",
        ));
    }
    parse_time("the proof's created time", &options.created)
        .map_err(|_| Error::invalid("the proof's created time is not an RFC 3339 date-time"))?;
    if options.verification_method != key.verification_method() {
        return Err(Error::invalid(
            "the verification method must be the signing key's own did:key",
        ));
    }
    if options.proof_purpose.is_empty() {
        return Err(Error::invalid("the proof purpose is empty"));
    }

    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert("created".into(), options.created.into());
    proof.insert(
        "verificationMethod".into(),
        options.verification_method.into(),
    );
    proof.insert("proofPurpose".into(), options.proof_purpose.into());
    // The proof carries the document's @context, and so does the proof
    // config it is hashed as (the 2025 Recommendation's Create Proof step 2).
    if let Some(context) = doc.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let proof_config = Value::Object(proof);
    let unsecured = Value::Object(doc);
    let signature = key.sign(&hash_data(&proof_config, &unsecured)?);
    let (Value::Object(mut proof), Value::Object(d)) = (proof_config, unsecured) else {
        unreachable!("both were built as objects above");
    };
    doc = d;
    proof.insert("proofValue".into(), encode_proof_value(&signature).into());
    doc.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(doc))
}

/// Secure `unsecured` with a proof by `key` for `assertionMethod`, created
/// `now` (whole seconds, UTC).
pub fn sign(unsecured: &Value, key: &SigningKey, now: DateTime<Utc>) -> Result<Value> {
    create_proof(
        unsecured,
        key,
        ProofOptions {
            created: format_time(now)?,
            verification_method: key.verification_method(),
            proof_purpose: ASSERTION_METHOD.into(),
        },
    )
}

fn encode_proof_value(signature: &[u8; SIGNATURE_LEN]) -> String {
    format!("z{}", bs58::encode(signature).into_string())
}

fn decode_proof_value(s: &str) -> Option<[u8; SIGNATURE_LEN]> {
    let body = s.strip_prefix('z')?;
    if body.len() > MAX_PROOF_VALUE_LEN {
        return None;
    }
    let bytes = bs58::decode(body).into_vec().ok()?;
    <[u8; SIGNATURE_LEN]>::try_from(bytes.as_slice()).ok()
}

/// Check the one `eddsa-jcs-2022` proof of `secured`, as the Recommendation's
/// "Verify Proof" says: a `DataIntegrityProof` for `assertionMethod` with a
/// `created` time, whose `did:key` verification method signed this document.
/// If the proof has an `@context`, the document's must start with it.
///
/// A malformed document or proof is [`Error::Document`]; a signature that
/// does not match is [`Error::Signature`].
pub fn verify(secured: &Value) -> Result<VerifiedProof> {
    let doc = secured
        .as_object()
        .ok_or_else(|| Error::Document("it is not a JSON object".into()))?;
    let proof = single_proof(doc)?;

    expect_str(proof, "type", PROOF_TYPE)?;
    expect_str(proof, "cryptosuite", CRYPTOSUITE)?;
    expect_str(proof, "proofPurpose", ASSERTION_METHOD)?;
    if proof.contains_key("previousProof") {
        return Err(Error::Document(
            "its proof is part of a proof chain (previousProof), which is not supported".into(),
        ));
    }
    let created = str_field(proof, "created", "the proof")?;
    parse_time("the proof's created time", created)?;
    if let Some(expires) = proof.get("expires") {
        let expires = expires
            .as_str()
            .ok_or_else(|| Error::Document("the proof's expires is not a string".into()))?;
        parse_time("the proof's expires time", expires)?;
    }
    let verification_method = str_field(proof, "verificationMethod", "the proof")?;
    let (signer, _) = verification_method.split_once('#').ok_or_else(|| {
        Error::Document("the proof's verificationMethod is a DID, not a key of it (#…)".into())
    })?;
    let public: [u8; PUBLIC_KEY_LEN] = public_key_from_did(verification_method)
        .map_err(|e| Error::Document(format!("the proof's verificationMethod is unusable: {e}")))?;
    let proof_value = str_field(proof, "proofValue", "the proof")?;
    let signature = decode_proof_value(proof_value).ok_or_else(|| {
        Error::Signature("the proofValue is not a base58btc (z…) Ed25519 signature".into())
    })?;

    let mut unsecured = doc.clone();
    unsecured.remove("proof");
    let mut proof_config = proof.clone();
    proof_config.remove("proofValue");
    if let Some(proof_context) = proof_config.get("@context") {
        // Verify Proof step 4: the document's @context must start with the
        // proof's, and the proof's is what was signed. A mismatch is an
        // alteration, so it fails as a signature would.
        let starts_with = doc
            .get("@context")
            .is_some_and(|doc_context| as_set(doc_context).starts_with(as_set(proof_context)));
        if !starts_with {
            return Err(Error::Signature(
                "the document's @context is not the one that was signed".into(),
            ));
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    // Proof Configuration: the config carries the (unsecured) document's
    // @context, whether or not the proof spelled it out.
    match unsecured.get("@context") {
        Some(context) => proof_config.insert("@context".into(), context.clone()),
        None => proof_config.remove("@context"),
    };

    let data = hash_data(&Value::Object(proof_config), &Value::Object(unsecured))?;
    if !verify_signature(&public, &data, &signature) {
        return Err(Error::Signature(format!(
            "the document was altered after signing, or {} did not sign it",
            shown(signer)
        )));
    }
    Ok(VerifiedProof {
        verification_method: verification_method.to_owned(),
        signer: signer.to_owned(),
        created: created.to_owned(),
    })
}

/// The document's one proof: an object, or a set holding exactly one.
fn single_proof(doc: &Map<String, Value>) -> Result<&Map<String, Value>> {
    let proof = match doc.get("proof") {
        None => return Err(Error::Document("it is not signed (no proof)".into())),
        Some(Value::Array(set)) => match set.as_slice() {
            [one] => one,
            _ => {
                return Err(Error::Document(
                    "it must carry exactly one proof (proof sets are not supported)".into(),
                ));
            }
        },
        Some(one) => one,
    };
    proof
        .as_object()
        .ok_or_else(|| Error::Document("its proof is not a JSON object".into()))
}

/// A JSON-LD set as a slice: a lone value counts as a set of one.
fn as_set(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    }
}

fn str_field<'a>(map: &'a Map<String, Value>, name: &str, whose: &str) -> Result<&'a str> {
    match map.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Error::Document(format!("{whose}'s {name} is not a string"))),
        None => Err(Error::Document(format!("{whose} has no {name}"))),
    }
}

fn expect_str(proof: &Map<String, Value>, name: &str, expected: &str) -> Result<()> {
    let found = str_field(proof, name, "the proof")?;
    if found != expected {
        return Err(Error::Document(format!(
            "the proof's {name} is {}, not {expected}",
            shown(found)
        )));
    }
    Ok(())
}

/// A foreign value, quoted and cut short, for an error message.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(SHOWN_LEN).collect();
    if cut.len() < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

/// An XML Schema `dateTimeStamp` as RFC 3339: a `T` between date and time
/// (chrono also takes a space) and an explicit offset.
fn parse_time(what: &str, s: &str) -> Result<DateTime<Utc>> {
    let has_t = s.as_bytes().get(10) == Some(&b'T');
    DateTime::parse_from_rfc3339(s)
        .ok()
        .filter(|_| has_t)
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Error::Document(format!("{what} {} is not an RFC 3339 date-time", shown(s))))
}

/// RFC 3339, UTC, whole seconds: `2026-01-01T00:00:00Z`.
fn format_time(t: DateTime<Utc>) -> Result<String> {
    // Outside these years RFC 3339 has no spelling.
    if !(0..=9999).contains(&t.year()) {
        return Err(Error::invalid("a date must lie in the years 0000 to 9999"));
    }
    Ok(t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Build and sign a credential of `kind` (`PersonalTerms`, `ShareGrant`, …)
/// issued by `key`: context v2, id `urn:uuid:<id>`, issuer `key`'s did,
/// validity in whole UTC seconds, the proof created at `valid_from` — so the
/// same credential issued twice is the same bytes (Ed25519 is deterministic),
/// and a reference to it by digest stays valid.
pub fn issue_credential(
    kind: &str,
    key: &SigningKey,
    id: uuid::Uuid,
    valid_from: DateTime<Utc>,
    valid_until: Option<DateTime<Utc>>,
    subject: Value,
) -> Result<Value> {
    let kind_ok = kind.len() <= MAX_KIND_LEN
        && kind.starts_with(|c: char| c.is_ascii_alphabetic())
        && kind.chars().all(|c| c.is_ascii_alphanumeric())
        && kind != VERIFIABLE_CREDENTIAL;
    if !kind_ok {
        return Err(Error::invalid(format!(
            "{} is not a credential kind (a letter, then letters and digits)",
            shown(kind)
        )));
    }
    if !subject.is_object() {
        return Err(Error::invalid(
            "a credential's subject must be a JSON object",
        ));
    }
    let from = format_time(valid_from)?;
    let mut doc = json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "id": format!("urn:uuid:{id}"),
        "type": [VERIFIABLE_CREDENTIAL, kind],
        "issuer": key.did(),
        "validFrom": from,
        "credentialSubject": subject,
    });
    if let Some(until) = valid_until {
        // Compared as written (whole seconds), as a verifier will see them.
        let until_s = format_time(until)?;
        if until.timestamp() <= valid_from.timestamp() {
            return Err(Error::invalid(
                "a credential must end after it starts (validUntil after validFrom)",
            ));
        }
        if let Some(map) = doc.as_object_mut() {
            map.insert("validUntil".into(), until_s.into());
        }
    }
    let created = format_time(valid_from)?;
    secure(
        doc,
        key,
        ProofOptions {
            created,
            verification_method: key.verification_method(),
            proof_purpose: ASSERTION_METHOD.into(),
        },
    )
}

/// Verify a credential at time `now`: its proof ([`verify`]), then that it is
/// a Verifiable Credential 2.0 (`@context` starting with the v2 context, an
/// `id`, `type` = `VerifiableCredential` plus exactly one kind, a subject)
/// issued by the key that signed it, and valid at `now`: `validFrom` at most
/// [`MAX_CLOCK_SKEW`] ahead, before `validUntil` and the proof's `expires`.
pub fn verify_credential(secured: &Value, now: DateTime<Utc>) -> Result<VerifiedCredential> {
    let proof = verify(secured)?;
    let doc = secured
        .as_object()
        .ok_or_else(|| Error::Document("it is not a JSON object".into()))?;
    let proof_object = single_proof(doc)?;

    // Stricter than the cryptosuite: it lets contexts be appended after
    // signing (the proof's need only be a prefix); we read only what was
    // signed.
    if let Some(proof_context) = proof_object.get("@context")
        && doc.get("@context") != Some(proof_context)
    {
        return Err(Error::Signature(
            "the document's @context was extended after signing".into(),
        ));
    }
    let context = doc
        .get("@context")
        .ok_or_else(|| Error::Document("it has no @context".into()))?;
    if as_set(context).first().and_then(Value::as_str) != Some(CREDENTIALS_V2_CONTEXT) {
        return Err(Error::Document(format!(
            "its @context does not start with {CREDENTIALS_V2_CONTEXT}"
        )));
    }

    let id = str_field(doc, "id", "the credential")?;
    if id.is_empty() {
        return Err(Error::Document("the credential's id is empty".into()));
    }
    let kind = credential_kind(doc)?;

    let issuer = match doc.get("issuer") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => str_field(o, "id", "the issuer")?,
        Some(_) => {
            return Err(Error::Document(
                "the credential's issuer is neither a string nor an object with an id".into(),
            ));
        }
        None => return Err(Error::Document("the credential has no issuer".into())),
    };
    if issuer != proof.signer {
        return Err(Error::Signature(format!(
            "it names {} as its issuer but was signed by {}",
            shown(issuer),
            shown(&proof.signer)
        )));
    }

    let valid_from = parse_time("validFrom", str_field(doc, "validFrom", "the credential")?)?;
    let valid_until = match doc.get("validUntil") {
        None => None,
        Some(v) => {
            let s = v.as_str().ok_or_else(|| {
                Error::Document("the credential's validUntil is not a string".into())
            })?;
            Some(parse_time("validUntil", s)?)
        }
    };
    if valid_until.is_some_and(|until| until <= valid_from) {
        return Err(Error::Document(
            "its validUntil is not after its validFrom".into(),
        ));
    }
    let subject = match doc.get("credentialSubject") {
        Some(s @ Value::Object(_)) => s.clone(),
        Some(s @ Value::Array(items))
            if !items.is_empty() && items.iter().all(Value::is_object) =>
        {
            s.clone()
        }
        Some(_) => {
            return Err(Error::Document(
                "its credentialSubject is not an object (or a list of objects)".into(),
            ));
        }
        None => return Err(Error::Document("it has no credentialSubject".into())),
    };

    // Subtracting from a parsed time (years 0 to 9999) cannot overflow;
    // adding to the caller's `now` could.
    if valid_from - MAX_CLOCK_SKEW > now {
        return Err(Error::NotYetValid(format!(
            "it is valid from {}",
            format_time(valid_from).unwrap_or_default()
        )));
    }
    if let Some(until) = valid_until
        && now >= until
    {
        return Err(Error::Expired(format!(
            "it was valid until {}",
            format_time(until).unwrap_or_default()
        )));
    }
    if let Some(expires) = proof_object.get("expires").and_then(Value::as_str) {
        let expires = parse_time("the proof's expires time", expires)?;
        if now >= expires {
            return Err(Error::Expired(format!(
                "its proof expired at {}",
                format_time(expires).unwrap_or_default()
            )));
        }
    }

    Ok(VerifiedCredential {
        id: id.to_owned(),
        kind,
        issuer: issuer.to_owned(),
        valid_from,
        valid_until,
        subject,
        signer: proof.signer,
    })
}

/// `type`: `VerifiableCredential` and exactly one other, distinct kind.
fn credential_kind(doc: &Map<String, Value>) -> Result<String> {
    let bad = || {
        Error::Document(
            "its type must be VerifiableCredential and exactly one kind of credential".into(),
        )
    };
    let types = doc.get("type").and_then(Value::as_array).ok_or_else(bad)?;
    let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
    match names.as_slice() {
        [a, b] if names.len() == types.len() && a != b => {
            if *a == VERIFIABLE_CREDENTIAL && !b.is_empty() {
                Ok((*b).to_owned())
            } else if *b == VERIFIABLE_CREDENTIAL && !a.is_empty() {
                Ok((*a).to_owned())
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

/// Read an untrusted signed document: at most [`MAX_DOCUMENT_BYTES`], UTF-8,
/// one JSON object, no key twice in any object (which of two values was
/// signed would be ambiguous), nesting as deep as serde_json allows (128).
pub fn parse_document(bytes: &[u8]) -> Result<Value> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::Document(format!(
            "it is larger than {} MiB",
            MAX_DOCUMENT_BYTES / (1024 * 1024)
        )));
    }
    let text =
        std::str::from_utf8(bytes).map_err(|_| Error::Document("it is not UTF-8 text".into()))?;
    let StrictValue(value) = serde_json::from_str(text)
        .map_err(|e| Error::Document(format!("it is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(Error::Document("it is not a JSON object".into()));
    }
    Ok(value)
}

/// Read and verify a signed document file's bytes now: what `vrm verify FILE`
/// reports.
pub fn verify_file_bytes(bytes: &[u8]) -> Result<VerifiedCredential> {
    verify_credential(&parse_document(bytes)?, Utc::now())
}

fn beyond_safe_integers<E: de::Error>() -> E {
    E::custom("a number is beyond 2^53 - 1, which not every reader holds exactly")
}

/// A JSON value read with duplicate keys refused (serde_json's own `Value`
/// silently keeps the last) and numbers beyond [`MAX_SAFE_INTEGER`] refused.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        if v.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(beyond_safe_integers());
        }
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        if v > MAX_SAFE_INTEGER {
            return Err(beyond_safe_integers());
        }
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // Integers too big for a u64 arrive here, as floats, and cannot be
        // told from a float written as such; no document of ours holds a
        // number that big either way. (JCS itself takes any double.)
        if v.abs() > MAX_SAFE_INTEGER as f64 {
            return Err(beyond_safe_integers());
        }
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number is not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {}", shown(&key))));
            }
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Issue 13, 7: integers JSON readers do not all hold exactly are
    /// refused wherever a signed document is read.
    #[test]
    fn numbers_beyond_two_to_the_53_are_refused_in_a_document() {
        for n in [
            "9007199254740992",
            "-9007199254740992",
            "18446744073709551615",
            "18446744073709551616",
            "1e300",
            "-1.5e16",
        ] {
            let doc = format!(r#"{{"a": {{"b": [1, {n}]}}}}"#);
            let err = parse_document(doc.as_bytes()).unwrap_err();
            assert!(matches!(err, Error::Document(_)), "{n}: {err}");
            assert!(err.to_string().contains("2^53"), "{n}: {err}");
        }
        for n in ["9007199254740991", "-9007199254740991", "0.5", "-3", "1e15"] {
            let doc = format!(r#"{{"a": {n}}}"#);
            assert!(parse_document(doc.as_bytes()).is_ok(), "{n}");
        }
    }

    fn vector(name: &str) -> String {
        let path = format!(
            "{}/tests/vectors/vc-di-eddsa/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn vector_json(name: &str) -> Value {
        serde_json::from_str(&vector(name)).unwrap()
    }

    fn vector_key() -> SigningKey {
        let pair = vector_json("keyPair.json");
        SigningKey::from_multibase_private(pair["privateKeyMultibase"].as_str().unwrap()).unwrap()
    }

    fn hex(bytes: &[u8]) -> String {
        data_encoding::HEXLOWER.encode(bytes)
    }

    /// The vector's proof options, as `proofConfigJCS.json` gives them.
    fn vector_options() -> ProofOptions {
        let config = vector_json("proofConfigJCS.json");
        ProofOptions {
            created: config["created"].as_str().unwrap().into(),
            verification_method: config["verificationMethod"].as_str().unwrap().into(),
            proof_purpose: config["proofPurpose"].as_str().unwrap().into(),
        }
    }

    fn key(n: u8) -> SigningKey {
        SigningKey::from_seed(&[n; 32])
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn issued(key: &SigningKey) -> Value {
        issue_credential(
            "ShareGrant",
            key,
            uuid::Uuid::from_u128(0x1234),
            t("2026-03-01T10:00:00Z"),
            Some(t("2026-04-01T10:00:00Z")),
            json!({"id": "did:key:brand", "records": ["a", "b"], "count": 2, "ok": true}),
        )
        .unwrap()
    }

    const DURING: &str = "2026-03-15T00:00:00Z";

    // --- the W3C vectors ---------------------------------------------------

    #[test]
    fn jcs_of_the_vector_document_matches_canon_doc() {
        let canon = jcs(&vector_json("unsigned.json")).unwrap();
        assert_eq!(String::from_utf8(canon).unwrap(), vector("canonDocJCS.txt"));
    }

    #[test]
    fn jcs_of_the_vector_proof_config_matches_proof_canon() {
        let canon = jcs(&vector_json("proofConfigJCS.json")).unwrap();
        assert_eq!(
            String::from_utf8(canon).unwrap(),
            vector("proofCanonJCS.txt")
        );
    }

    #[test]
    fn the_vector_hashes_are_reproduced() {
        // The *.txt hashes are lowercase hex without a newline; the combined
        // hash is the proof config's hash followed by the document's.
        let doc_hash = jcs_sha256(&vector_json("unsigned.json")).unwrap();
        let proof_hash = jcs_sha256(&vector_json("proofConfigJCS.json")).unwrap();
        assert_eq!(hex(&doc_hash), vector("docHashJCS.txt"));
        assert_eq!(hex(&proof_hash), vector("proofHashJCS.txt"));
        let combined = hash_data(
            &vector_json("proofConfigJCS.json"),
            &vector_json("unsigned.json"),
        )
        .unwrap();
        assert_eq!(hex(&combined), vector("combinedHashJCS.txt"));
    }

    #[test]
    fn signing_the_vector_document_reproduces_the_vector_proof() {
        let secured = create_proof(
            &vector_json("unsigned.json"),
            &vector_key(),
            vector_options(),
        )
        .unwrap();
        let proof_value = secured["proof"]["proofValue"].as_str().unwrap();
        assert_eq!(proof_value, vector("sigBTC58JCS.txt"));
        assert_eq!(
            proof_value,
            vector_json("signedJCS.json")["proof"]["proofValue"]
        );
        let signature = decode_proof_value(proof_value).unwrap();
        assert_eq!(hex(&signature), vector("sigHexJCS.txt"));
        assert_eq!(
            secured,
            vector_json("signedJCS.json"),
            "the whole secured document, proof @context included, must equal the vector's"
        );
        let mut proof = secured["proof"].clone();
        proof.as_object_mut().unwrap().remove("proofValue");
        assert_eq!(proof, vector_json("proofConfigJCS.json"));
    }

    #[test]
    fn verify_accepts_the_vector() {
        let verified = verify(&vector_json("signedJCS.json")).unwrap();
        let did = vector_key().did();
        assert_eq!(verified.signer, did);
        assert_eq!(
            verified.verification_method,
            vector_key().verification_method()
        );
        assert_eq!(verified.created, "2023-02-24T23:36:38Z");
        // Parsed as untrusted bytes it verifies too.
        let parsed = parse_document(vector("signedJCS.json").as_bytes()).unwrap();
        assert!(verify(&parsed).is_ok());
    }

    #[test]
    fn the_vector_is_not_a_credential_of_ours_since_its_issuer_is_not_the_signer() {
        let err = verify_credential(&vector_json("signedJCS.json"), t("2024-01-01T00:00:00Z"))
            .unwrap_err();
        assert_eq!(err.code(), "document.bad_signature", "{err}");
        assert!(err.to_string().contains("https://vc.example/issuers/5678"));
    }

    /// Every string in `v` (object keys excluded), by JSON pointer.
    fn string_leaves(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::String(_) => out.push(at),
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    string_leaves(x, format!("{at}/{i}"), out);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    string_leaves(
                        x,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            _ => {}
        }
    }

    fn flip_char(s: &str, i: usize) -> String {
        s.chars()
            .enumerate()
            .map(|(j, c)| match (j == i, c) {
                (false, c) => c,
                (true, 'x') => 'y',
                (true, _) => 'x',
            })
            .collect()
    }

    #[test]
    fn flipping_any_character_of_the_signed_vector_fails_as_a_bad_signature() {
        let signed = vector_json("signedJCS.json");
        let mut pointers = Vec::new();
        let mut body = signed.clone();
        body.as_object_mut().unwrap().remove("proof");
        string_leaves(&body, String::new(), &mut pointers);
        pointers.push("/proof/proofValue".into());
        assert!(pointers.len() > 10);
        let mut tried = 0;
        for pointer in &pointers {
            let original = signed
                .pointer(pointer)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned();
            for i in 0..original.chars().count() {
                let mut altered = signed.clone();
                *altered.pointer_mut(pointer).unwrap() = flip_char(&original, i).into();
                let err = verify(&altered).unwrap_err();
                assert_eq!(
                    err.code(),
                    "document.bad_signature",
                    "{pointer} with character {i} flipped: {err}"
                );
                tried += 1;
            }
        }
        assert!(tried > 400, "only {tried} alterations tried");
    }

    // --- the cryptosuite on documents of ours ------------------------------

    #[test]
    fn a_signed_document_verifies_whatever_its_key_order_and_whitespace() {
        let secured = sign(
            &json!({"b": 1, "a": [1.5, "x"], "@context": [CREDENTIALS_V2_CONTEXT]}),
            &key(1),
            t(DURING),
        )
        .unwrap();
        let pretty = serde_json::to_string_pretty(&secured).unwrap();
        let reread = parse_document(pretty.as_bytes()).unwrap();
        assert_eq!(verify(&reread).unwrap().signer, key(1).did());
        // Hand-written with another key order and a number spelled otherwise.
        let proof = serde_json::to_string(&secured["proof"]).unwrap();
        let text = format!(
            r#"{{ "proof": {proof}, "a": [ 15e-1, "x" ], "b": 1.0, "@context": ["{CREDENTIALS_V2_CONTEXT}"] }}"#
        );
        let reread = parse_document(text.as_bytes()).unwrap();
        assert!(verify(&reread).is_ok(), "JCS makes spelling irrelevant");
    }

    #[test]
    fn altering_a_proof_field_fails_with_a_clear_error() {
        let secured = issued(&key(1));
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "/proof/created",
                "2026-03-01T10:00:01Z".into(),
                "document.bad_signature",
            ),
            (
                "/proof/verificationMethod",
                key(2).verification_method().into(),
                "document.bad_signature",
            ),
            (
                "/proof/verificationMethod",
                key(1).did().into(),
                "document.invalid",
            ),
            (
                "/proof/verificationMethod",
                "https://example.com/keys#1".into(),
                "document.invalid",
            ),
            (
                "/proof/proofPurpose",
                "authentication".into(),
                "document.invalid",
            ),
            (
                "/proof/cryptosuite",
                "eddsa-rdfc-2022".into(),
                "document.invalid",
            ),
            (
                "/proof/type",
                "Ed25519Signature2020".into(),
                "document.invalid",
            ),
            ("/proof/created", "yesterday".into(), "document.invalid"),
            (
                "/proof/created",
                "2026-03-01 10:00:00Z".into(),
                "document.invalid",
            ),
            ("/proof/created", 5.into(), "document.invalid"),
            (
                "/proof/proofValue",
                "u3q2-bad".into(),
                "document.bad_signature",
            ),
            ("/proof/proofValue", "z".into(), "document.bad_signature"),
            (
                "/proof/proofValue",
                format!("z{}", "2".repeat(200)).into(),
                "document.bad_signature",
            ),
            (
                "/proof/@context",
                json!(["https://example.org/other"]),
                "document.bad_signature",
            ),
            ("/proof", json!("a proof"), "document.invalid"),
            ("/proof", json!([]), "document.invalid"),
        ];
        for (pointer, value, code) in cases {
            let mut altered = secured.clone();
            *altered.pointer_mut(pointer).unwrap() = value.clone();
            let err = verify(&altered).unwrap_err();
            assert_eq!(err.code(), code, "{pointer} = {value}: {err}");
        }
    }

    #[test]
    fn adding_or_removing_fields_fails() {
        let secured = issued(&key(1));
        let mut extra_option = secured.clone();
        extra_option["proof"]["nonce"] = "1".into();
        assert_eq!(
            verify(&extra_option).unwrap_err().code(),
            "document.bad_signature"
        );
        let mut extra_field = secured.clone();
        extra_field["name"] = "added".into();
        assert_eq!(
            verify(&extra_field).unwrap_err().code(),
            "document.bad_signature"
        );
        let mut removed = secured.clone();
        removed.as_object_mut().unwrap().remove("validUntil");
        assert_eq!(
            verify(&removed).unwrap_err().code(),
            "document.bad_signature"
        );
        for field in [
            "proofValue",
            "created",
            "verificationMethod",
            "type",
            "cryptosuite",
            "proofPurpose",
        ] {
            let mut altered = secured.clone();
            altered["proof"].as_object_mut().unwrap().remove(field);
            let err = verify(&altered).unwrap_err();
            assert_eq!(err.code(), "document.invalid", "without {field}: {err}");
        }
        let mut unsigned = secured.clone();
        unsigned.as_object_mut().unwrap().remove("proof");
        assert_eq!(verify(&unsigned).unwrap_err().code(), "document.invalid");
        let mut chained = secured.clone();
        chained["proof"]["previousProof"] = "urn:uuid:1".into();
        assert_eq!(verify(&chained).unwrap_err().code(), "document.invalid");
        let mut two = secured.clone();
        two["proof"] = json!([secured["proof"], secured["proof"]]);
        assert_eq!(verify(&two).unwrap_err().code(), "document.invalid");
        let mut set_of_one = secured.clone();
        set_of_one["proof"] = json!([secured["proof"]]);
        assert!(
            verify(&set_of_one).is_ok(),
            "a proof set of one is the same proof"
        );
        assert_eq!(verify(&json!([1])).unwrap_err().code(), "document.invalid");
    }

    #[test]
    fn proof_context_follows_the_recommendation() {
        let secured = issued(&key(1));
        // Without @context in the proof, the document's is still covered.
        let mut no_proof_context = secured.clone();
        no_proof_context["proof"]
            .as_object_mut()
            .unwrap()
            .remove("@context");
        assert!(verify(&no_proof_context).is_ok());
        let mut changed = no_proof_context.clone();
        changed["@context"] = json!([CREDENTIALS_V2_CONTEXT, "https://example.org/x"]);
        assert_eq!(
            verify(&changed).unwrap_err().code(),
            "document.bad_signature"
        );
        // A context appended after signing passes the cryptosuite (the proof's
        // need only be a prefix) but not the credential check.
        let mut appended = secured.clone();
        appended["@context"]
            .as_array_mut()
            .unwrap()
            .push("https://example.org/x".into());
        assert!(
            verify(&appended).is_ok(),
            "the Recommendation allows a longer document context"
        );
        let err = verify_credential(&appended, t(DURING)).unwrap_err();
        assert_eq!(err.code(), "document.bad_signature", "{err}");
        // A context taken away is an alteration.
        let mut removed = secured.clone();
        removed.as_object_mut().unwrap().remove("@context");
        assert_eq!(
            verify(&removed).unwrap_err().code(),
            "document.bad_signature"
        );
    }

    #[test]
    fn create_proof_refuses_what_it_cannot_sign_honestly() {
        let k = key(1);
        let opts = || ProofOptions {
            created: "2026-01-01T00:00:00Z".into(),
            verification_method: k.verification_method(),
            proof_purpose: ASSERTION_METHOD.into(),
        };
        assert!(create_proof(&json!({"a": 1}), &k, opts()).is_ok());
        let signed = create_proof(&json!({"a": 1}), &k, opts()).unwrap();
        let cases = [
            (json!([1]), opts()),
            (signed, opts()),
            (
                json!({"a": 1}),
                ProofOptions {
                    created: "now".into(),
                    ..opts()
                },
            ),
            (
                json!({"a": 1}),
                ProofOptions {
                    verification_method: key(2).verification_method(),
                    ..opts()
                },
            ),
            (
                json!({"a": 1}),
                ProofOptions {
                    verification_method: k.did(),
                    ..opts()
                },
            ),
            (
                json!({"a": 1}),
                ProofOptions {
                    proof_purpose: String::new(),
                    ..opts()
                },
            ),
            (json!({"a": 9_007_199_254_740_992u64}), opts()),
        ];
        for (doc, options) in cases {
            let err = create_proof(&doc, &k, options.clone()).unwrap_err();
            assert!(
                matches!(err.code(), "input.invalid" | "document.invalid"),
                "{doc} {options:?}: {err}"
            );
        }
    }

    // --- JCS -----------------------------------------------------------------

    #[test]
    fn jcs_follows_rfc_8785_examples() {
        // RFC 8785 §3.2.2.3 (numbers), §3.2.2.2 (strings), §3.2.3 (sorting by
        // UTF-16 code units: the emoji's surrogates sort before U+FB33).
        let numbers: Value = serde_json::from_str(
            "[333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001, -0, 9007199254740991]",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(jcs(&numbers).unwrap()).unwrap(),
            "[333333333.3333333,1e+30,4.5,0.002,1e-27,0,9007199254740991]"
        );
        let strings: Value =
            serde_json::from_str(r#"{"s": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"}"#)
                .unwrap();
        assert_eq!(
            String::from_utf8(jcs(&strings).unwrap()).unwrap(),
            "{\"s\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
        );
        let keys: Value = serde_json::from_str(
            r#"{"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7}"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(jcs(&keys).unwrap()).unwrap(),
            "{\"\\r\":2,\"1\":4,\"\u{80}\":6,\"ö\":7,\"€\":1,\"😀\":5,\"\u{fb33}\":3}"
        );
    }

    #[test]
    fn jcs_refuses_integers_a_double_cannot_hold() {
        for v in [
            json!(9_007_199_254_740_992u64),
            json!({"a": [-9_007_199_254_740_992i64]}),
        ] {
            assert_eq!(jcs(&v).unwrap_err().code(), "document.invalid", "{v}");
        }
        assert!(
            jcs(&json!([
                9_007_199_254_740_991u64,
                -9_007_199_254_740_991i64
            ]))
            .is_ok()
        );
    }

    #[test]
    fn jcs_hash_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "b": {"d": 3, "c": 2}, "a": 1 }"#).unwrap();
        assert_eq!(jcs_sha256(&a).unwrap(), jcs_sha256(&b).unwrap());
        assert_ne!(
            jcs_sha256(&a).unwrap(),
            jcs_sha256(&json!({"a": 2})).unwrap()
        );
    }

    // --- credentials ---------------------------------------------------------

    #[test]
    fn an_issued_credential_verifies_and_says_what_it_is() {
        let k = key(1);
        let doc = issued(&k);
        assert_eq!(doc["@context"], json!([CREDENTIALS_V2_CONTEXT]));
        assert_eq!(doc["id"], "urn:uuid:00000000-0000-0000-0000-000000001234");
        assert_eq!(doc["type"], json!(["VerifiableCredential", "ShareGrant"]));
        assert_eq!(doc["issuer"], k.did());
        assert_eq!(doc["validFrom"], "2026-03-01T10:00:00Z");
        assert_eq!(doc["validUntil"], "2026-04-01T10:00:00Z");
        assert_eq!(doc["proof"]["verificationMethod"], k.verification_method());
        let created = doc["proof"]["created"].as_str().unwrap();
        assert!(created.ends_with('Z') && created.len() == 20, "{created}");

        let v = verify_credential(&doc, t(DURING)).unwrap();
        assert_eq!(v.id, "urn:uuid:00000000-0000-0000-0000-000000001234");
        assert_eq!(v.kind, "ShareGrant");
        assert_eq!(v.issuer, k.did());
        assert_eq!(v.signer, k.did());
        assert_eq!(v.valid_from, t("2026-03-01T10:00:00Z"));
        assert_eq!(v.valid_until, Some(t("2026-04-01T10:00:00Z")));
        assert_eq!(v.subject["records"], json!(["a", "b"]));

        let bytes = serde_json::to_vec(&doc).unwrap();
        let reread = parse_document(&bytes).unwrap();
        assert_eq!(verify_credential(&reread, t(DURING)).unwrap(), v);
    }

    #[test]
    fn issued_times_are_whole_utc_seconds() {
        let from = t("2026-03-01T12:00:00.987654+02:00");
        let doc =
            issue_credential("Offer", &key(1), uuid::Uuid::nil(), from, None, json!({})).unwrap();
        assert_eq!(doc["validFrom"], "2026-03-01T10:00:00Z");
        assert!(doc.get("validUntil").is_none());
        let v = verify_credential(&doc, from).unwrap();
        assert_eq!(v.valid_until, None);
        // No expiry: valid long after.
        assert!(verify_credential(&doc, t("2099-01-01T00:00:00Z")).is_ok());
    }

    #[test]
    fn a_tampered_credential_fails() {
        let doc = issued(&key(1));
        for (pointer, value) in [
            ("/credentialSubject/records/0", json!("c")),
            ("/credentialSubject/count", json!(3)),
            ("/credentialSubject/ok", json!(false)),
            ("/validUntil", json!("2027-04-01T10:00:00Z")),
            ("/type/1", json!("Offer")),
        ] {
            let mut altered = doc.clone();
            *altered.pointer_mut(pointer).unwrap() = value;
            let err = verify_credential(&altered, t(DURING)).unwrap_err();
            assert_eq!(err.code(), "document.bad_signature", "{pointer}: {err}");
        }
    }

    #[test]
    fn validity_is_checked_with_five_minutes_of_skew_for_the_start_only() {
        let doc = issued(&key(1));
        let ok = |now: &str| verify_credential(&doc, t(now));
        assert!(ok("2026-03-01T10:00:00Z").is_ok());
        assert!(
            ok("2026-03-01T09:55:00Z").is_ok(),
            "5 minutes early is clock skew"
        );
        let err = ok("2026-03-01T09:54:59Z").unwrap_err();
        assert_eq!(err.code(), "document.not_yet_valid", "{err}");
        assert!(ok("2026-04-01T09:59:59Z").is_ok());
        let err = ok("2026-04-01T10:00:00Z").unwrap_err();
        assert_eq!(err.code(), "document.expired", "{err}");
        assert!(err.to_string().contains("2026-04-01T10:00:00Z"));
        assert_eq!(
            ok("2030-01-01T00:00:00Z").unwrap_err().code(),
            "document.expired"
        );
        // The caller's clock may be anything; no time panics.
        assert_eq!(
            verify_credential(&doc, DateTime::<Utc>::MAX_UTC)
                .unwrap_err()
                .code(),
            "document.expired"
        );
        assert_eq!(
            verify_credential(&doc, DateTime::<Utc>::MIN_UTC)
                .unwrap_err()
                .code(),
            "document.not_yet_valid"
        );
    }

    #[test]
    fn an_expired_proof_fails() {
        let k = key(1);
        let mut doc = issued(&k);
        let proof = doc.as_object_mut().unwrap().remove("proof").unwrap();
        let mut options = proof.as_object().unwrap().clone();
        options.remove("proofValue");
        // Re-sign by hand with an `expires` among the proof options.
        options.insert("expires".into(), "2026-03-10T00:00:00Z".into());
        let data = hash_data(&Value::Object(options.clone()), &doc).unwrap();
        options.insert(
            "proofValue".into(),
            encode_proof_value(&k.sign(&data)).into(),
        );
        doc["proof"] = Value::Object(options);
        assert!(verify_credential(&doc, t("2026-03-05T00:00:00Z")).is_ok());
        let err = verify_credential(&doc, t(DURING)).unwrap_err();
        assert_eq!(err.code(), "document.expired", "{err}");
        doc["proof"]["expires"] = "soon".into();
        assert_eq!(verify(&doc).unwrap_err().code(), "document.invalid");
    }

    /// A credential-shaped document, signed by `key` whatever it says.
    fn signed_as_is(doc: Value, key: &SigningKey) -> Value {
        sign(&doc, key, t(DURING)).unwrap()
    }

    fn base(key: &SigningKey) -> Value {
        json!({
            "@context": [CREDENTIALS_V2_CONTEXT],
            "id": "urn:uuid:00000000-0000-0000-0000-000000000001",
            "type": ["VerifiableCredential", "Offer"],
            "issuer": key.did(),
            "validFrom": "2026-03-01T10:00:00Z",
            "credentialSubject": {"price": "10 EUR"},
        })
    }

    #[test]
    fn issuer_must_be_the_signer() {
        let (a, b) = (key(1), key(2));
        let mut doc = base(&a);
        doc["issuer"] = b.did().into();
        let err = verify_credential(&signed_as_is(doc, &a), t(DURING)).unwrap_err();
        assert_eq!(err.code(), "document.bad_signature", "{err}");
        assert!(err.to_string().contains(&b.did()) && err.to_string().contains(&a.did()));

        let mut as_object = base(&a);
        as_object["issuer"] = json!({"id": a.did(), "name": "Me"});
        let v = verify_credential(&signed_as_is(as_object, &a), t(DURING)).unwrap();
        assert_eq!(v.issuer, a.did());
    }

    #[test]
    fn a_credential_of_the_wrong_shape_is_refused_even_when_signed() {
        let k = key(1);
        let variants: Vec<(&str, Value)> = vec![
            (
                "/@context",
                json!(["https://www.w3.org/2018/credentials/v1"]),
            ),
            ("/@context", json!([])),
            ("/type", json!(["VerifiableCredential"])),
            (
                "/type",
                json!(["VerifiableCredential", "Offer", "ShareGrant"]),
            ),
            ("/type", json!(["Offer", "ShareGrant"])),
            (
                "/type",
                json!(["VerifiableCredential", "VerifiableCredential"]),
            ),
            ("/type", json!(["VerifiableCredential", 3])),
            ("/type", json!(["VerifiableCredential", ""])),
            ("/type", json!("VerifiableCredential")),
            ("/id", json!("")),
            ("/id", json!(7)),
            ("/issuer", json!(42)),
            ("/issuer", json!({"name": "no id"})),
            ("/validFrom", json!("2026-03-01")),
            ("/validFrom", json!(null)),
            ("/validUntil", json!("2026-03-01T10:00:00Z")),
            ("/validUntil", json!("2026-02-01T10:00:00Z")),
            ("/validUntil", json!(1)),
            ("/credentialSubject", json!("me")),
            ("/credentialSubject", json!([])),
            ("/credentialSubject", json!([{"a": 1}, 2])),
        ];
        for (pointer, value) in variants {
            let mut doc = base(&k);
            let field = &pointer[1..];
            doc[field] = value.clone();
            let err = verify_credential(&signed_as_is(doc, &k), t(DURING)).unwrap_err();
            assert_eq!(err.code(), "document.invalid", "{pointer} = {value}: {err}");
        }
        for field in [
            "@context",
            "id",
            "type",
            "issuer",
            "validFrom",
            "credentialSubject",
        ] {
            let mut doc = base(&k);
            doc.as_object_mut().unwrap().remove(field);
            let err = verify_credential(&signed_as_is(doc, &k), t(DURING)).unwrap_err();
            assert_eq!(err.code(), "document.invalid", "without {field}: {err}");
        }
        // Accepted variants: kind listed first, a list of subjects.
        let mut doc = base(&k);
        doc["type"] = json!(["Offer", "VerifiableCredential"]);
        doc["credentialSubject"] = json!([{"a": 1}, {"b": 2}]);
        assert_eq!(
            verify_credential(&signed_as_is(doc, &k), t(DURING))
                .unwrap()
                .kind,
            "Offer"
        );
    }

    #[test]
    fn issue_credential_refuses_bad_input() {
        let k = key(1);
        let from = t("2026-03-01T10:00:00Z");
        let id = uuid::Uuid::nil();
        for kind in [
            "",
            "VerifiableCredential",
            "Share Grant",
            "1Offer",
            "Offer\"",
            &"A".repeat(65),
        ] {
            let err = issue_credential(kind, &k, id, from, None, json!({})).unwrap_err();
            assert_eq!(err.code(), "input.invalid", "{kind:?}");
        }
        let err = issue_credential("Offer", &k, id, from, None, json!("x")).unwrap_err();
        assert_eq!(err.code(), "input.invalid");
        for until in [from, t("2026-03-01T10:00:00.9Z"), t("2026-02-01T10:00:00Z")] {
            let err = issue_credential("Offer", &k, id, from, Some(until), json!({})).unwrap_err();
            assert_eq!(err.code(), "input.invalid", "{until}");
        }
        let far = t("9999-12-31T23:59:59Z") + TimeDelta::days(2);
        assert_eq!(
            issue_credential("Offer", &k, id, far, None, json!({}))
                .unwrap_err()
                .code(),
            "input.invalid"
        );
    }

    // --- untrusted bytes -----------------------------------------------------

    #[test]
    fn parse_document_refuses_bad_input() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_DOCUMENT_BYTES));
        let nested = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let nested = format!("{{\"a\":{nested}}}");
        let cases: Vec<&[u8]> = vec![
            b"",
            b"   ",
            b"\xff\xfe{}",
            b"\xef\xbb\xbf{}",
            b"[]",
            b"\"text\"",
            b"null",
            b"{",
            b"{} {}",
            b"{\"a\":1,\"a\":1}",
            b"{\"a\":{\"b\":1,\"c\":2,\"b\":3}}",
            b"{\"a\":[{\"x\":1},{\"x\":1,\"x\":2}]}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":1e400}",
            b"{\"a\":NaN}",
            big.as_bytes(),
            nested.as_bytes(),
        ];
        for bytes in cases {
            let err = parse_document(bytes).unwrap_err();
            assert_eq!(
                err.code(),
                "document.invalid",
                "{:?}: {err}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
            );
        }
        let err = parse_document(b"{\"k\":1,\"k\":2}").unwrap_err();
        assert!(err.to_string().contains("duplicate key \"k\""), "{err}");
        let ok =
            parse_document(b" {\"a\": [1, -2, 3.5, true, null, {\"a\": \"\\u00e9\"}]}\n").unwrap();
        assert_eq!(ok, json!({"a": [1, -2, 3.5, true, null, {"a": "é"}]}));
    }

    #[test]
    fn verify_file_bytes_reads_and_verifies_a_credential() {
        let k = key(3);
        let doc = issue_credential(
            "PersonalTerms",
            &k,
            uuid::Uuid::from_u128(7),
            Utc::now() - TimeDelta::hours(1),
            Some(Utc::now() + TimeDelta::days(1)),
            json!({"terms": "SD-BASE"}),
        )
        .unwrap();
        let bytes = serde_json::to_vec_pretty(&doc).unwrap();
        let v = verify_file_bytes(&bytes).unwrap();
        assert_eq!((v.kind.as_str(), v.signer), ("PersonalTerms", k.did()));
        assert_eq!(
            verify_file_bytes(b"{}").unwrap_err().code(),
            "document.invalid"
        );
        let mut altered = bytes.clone();
        let at = altered.windows(7).position(|w| w == b"SD-BASE").unwrap();
        altered[at] = b'X';
        assert_eq!(
            verify_file_bytes(&altered).unwrap_err().code(),
            "document.bad_signature"
        );
    }

    /// JSON values with any strings (control characters, quotes, non-ASCII,
    /// astral planes), keys that are sometimes non-ASCII, integers and
    /// floats: the fast path must give exactly the canonicalizer's bytes.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(Value::from),
            (-1e6f64..1e6)
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x1f\"\\\\/a\u{7f}\u{2028}\u{e000}\u{ffff}\u{10000}]{0,8}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        "[a-zA-Z@_]{0,6}",
                        any::<String>(),
                        "[\u{e000}\u{10000}a]{1,3}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn jcs_fast_path_gives_the_canonicalizers_bytes(v in json_value()) {
            prop_assert_eq!(jcs(&v).unwrap(), serde_json_canonicalizer::to_vec(&v).unwrap());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(v) = parse_document(&bytes) {
                let _ = verify(&v);
                let _ = verify_credential(&v, t(DURING));
            }
            let _ = verify_file_bytes(&bytes);
        }

        #[test]
        fn arbitrary_json_objects_never_panic(text in r#"\{("[a-zA-Z@]{1,12}": ?("[a-z0-9:#]{0,20}"|-?[0-9]{1,20}|\[\]|\{\}|null|true),? ?){0,8}\}"#) {
            if let Ok(v) = parse_document(text.as_bytes()) {
                let _ = verify(&v);
                let _ = verify_credential(&v, t(DURING));
            }
        }

        #[test]
        fn mutated_documents_never_panic_and_never_verify_as_something_else(
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>(), 0u8..3), 1..6)
        ) {
            let original = issued(&key(1));
            let mut bytes = serde_json::to_vec(&original).unwrap();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ if i < bytes.len() => { bytes.remove(i); }
                    _ => {}
                }
            }
            if let Ok(v) = parse_document(&bytes) {
                let _ = verify(&v);
                if verify_credential(&v, t(DURING)).is_ok() {
                    // Only a change JCS erases (spelling, not content) may pass.
                    prop_assert_eq!(jcs(&v).unwrap(), jcs(&original).unwrap());
                }
            }
        }

        #[test]
        fn mutated_values_never_verify(pick in any::<proptest::sample::Index>(), new in ".{0,8}") {
            let original = issued(&key(1));
            let mut pointers = Vec::new();
            string_leaves(&original, String::new(), &mut pointers);
            let pointer = pick.get(&pointers);
            let mut altered = original.clone();
            let current = altered.pointer(pointer).unwrap().as_str().unwrap().to_owned();
            prop_assume!(current != new);
            *altered.pointer_mut(pointer).unwrap() = new.into();
            prop_assert!(verify_credential(&altered, t(DURING)).is_err());
        }
    }
}
