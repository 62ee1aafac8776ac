//! An intent as a listing on Nostr relays: the event the person publishes
//! for a signed `IntentRequest`, and the checks a seller makes on one
//! ([`crate::relay`] has the protocol; this is what an intent is there).

use chrono::{DateTime, Utc};
use nostr::prelude::{Event, EventBuilder, FinalizeEvent, Keys, Kind, Tag, Timestamp};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::proof;
use crate::relay::MAX_EVENT_BYTES;
use crate::relay::market::{
    INTENT_EVENT_KIND, INTENT_HASHTAG, LABEL, LABEL_NAMESPACE, check_geohash, event_error,
    subject_str,
};
use crate::terms::agreement::urn_uuid;

use super::INTENT_REQUEST;

/// The listing event for a signed `IntentRequest` (`document`, as the vault
/// keeps it), signed by the intent's relay key, which the credential must
/// name (`credentialSubject.replyTo.nostrPubkey`). Tags: `d` (the intent's
/// id), `t` (category, and [`INTENT_HASHTAG`]), `g` (the geohash and each
/// coarser prefix, never finer than given), `price` (the budget, when there
/// is one), `expiration` (the credential's `validUntil`), a NIP-32 label and
/// a NIP-31 `alt` text.
pub fn intent_event(
    document: &str,
    keys: &Keys,
    geohash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Event> {
    let doc = proof::parse_document(document.as_bytes())?;
    let vc = proof::verify_credential(&doc, now)?;
    if vc.kind != INTENT_REQUEST {
        return Err(Error::invalid("only an IntentRequest is broadcast"));
    }
    let until = vc
        .valid_until
        .ok_or_else(|| Error::invalid("an intent must say until when it stands"))?;
    let id = urn_uuid(&vc.id).ok_or_else(|| Error::invalid("the intent's id is not a urn:uuid"))?;
    match subject_str(&vc.subject, "/replyTo/nostrPubkey") {
        Some(pk) if pk == keys.public_key().to_hex() => {}
        _ => {
            return Err(Error::invalid(
                "this intent was made before intents could be broadcast (it names no relay key); \
                 make a new one to broadcast",
            ));
        }
    }
    let category = subject_str(&vc.subject, "/category").unwrap_or_default();
    let mut tags = vec![
        Tag::identifier(id.clone()),
        Tag::hashtag(INTENT_HASHTAG),
        Tag::hashtag(category.to_lowercase()),
        Tag::custom("L", [LABEL_NAMESPACE]),
        Tag::custom("l", [LABEL, LABEL_NAMESPACE]),
        Tag::custom(
            "alt",
            [format!(
                "Purchase intent (IEEE 7012 PDC-INTENT): {category}"
            )],
        ),
        Tag::expiration(Timestamp::from_secs(until.timestamp().max(0) as u64)),
    ];
    if let Some(g) = geohash {
        let g = check_geohash(g)?;
        for n in 1..=g.len() {
            tags.push(Tag::custom("g", [&g[..n]]));
        }
    }
    if let (Some(max), Some(cur)) = (
        subject_str(&vc.subject, "/budget/max"),
        subject_str(&vc.subject, "/budget/currency"),
    ) {
        tags.push(Tag::custom("price", [max, cur]));
    }
    let event = EventBuilder::new(Kind::Custom(INTENT_EVENT_KIND), document)
        .tags(tags)
        .custom_created_at(Timestamp::from_secs(now.timestamp().max(0) as u64))
        .finalize(keys)
        .map_err(event_error)?;
    if event.as_json().len() > MAX_EVENT_BYTES {
        return Err(Error::invalid(format!(
            "the intent is too large to broadcast (over {MAX_EVENT_BYTES} bytes)"
        )));
    }
    Ok(event)
}

/// An intent a seller took from a relay, checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MarketIntent {
    /// The intent's id (the credential's `urn:uuid`).
    pub intent: String,
    /// The listing event's id (hex).
    pub event_id: String,
    /// The intent's relay key (hex), where offers go.
    pub pubkey: String,
    /// Its category.
    pub category: String,
    /// Until when it stands.
    pub valid_until: DateTime<Utc>,
    /// The signed `IntentRequest`.
    #[serde(skip)]
    pub document: Value,
}

/// Check an intent listing from a relay, as a seller must before answering
/// it: the event's id and signature, its size; the credential in it verifies
/// (eddsa-jcs-2022) and is unexpired at `now`; it is an `IntentRequest`
/// under PDC-INTENT terms signed by the same key; and the event matches the
/// credential: the credential names the event's key, the `d` tag is its id,
/// the expiration its `validUntil`.
pub fn check_intent_event(event: &Event, now: DateTime<Utc>) -> Result<MarketIntent> {
    if event.as_json().len() > MAX_EVENT_BYTES {
        return Err(event_error(format!("over {MAX_EVENT_BYTES} bytes")));
    }
    if event.kind != Kind::Custom(INTENT_EVENT_KIND) {
        return Err(event_error("not an intent listing"));
    }
    event
        .verify()
        .map_err(|_| event_error("a bad id or signature"))?;
    let doc = proof::parse_document(event.content.as_bytes())
        .map_err(|e| event_error(format!("its content is not a signed document ({e})")))?;
    let vc = proof::verify_credential(&doc, now).map_err(|e| match e {
        Error::Expired(_) => event_error("the intent has expired"),
        other => event_error(format!("its credential does not verify ({other})")),
    })?;
    if vc.kind != INTENT_REQUEST {
        return Err(event_error(format!("it holds {}, not an intent", vc.kind)));
    }
    let intent =
        urn_uuid(&vc.id).ok_or_else(|| event_error("the intent's id is not a urn:uuid"))?;
    let valid_until = vc
        .valid_until
        .ok_or_else(|| event_error("the intent says not until when it stands"))?;
    let pubkey = event.pubkey.to_hex();
    if subject_str(&vc.subject, "/replyTo/nostrPubkey") != Some(pubkey.as_str()) {
        return Err(event_error(
            "the credential does not name the key that signed the event",
        ));
    }
    if event.tags.identifier().as_deref() != Some(intent.as_str()) {
        return Err(event_error("the event's d tag is not the intent's id"));
    }
    let expiration = event.tags.expiration().map(|t| t.as_secs());
    if expiration != Some(valid_until.timestamp().max(0) as u64) {
        return Err(event_error(
            "the event's expiration is not the intent's validUntil",
        ));
    }
    if event.is_expired_at(Timestamp::from_secs(now.timestamp().max(0) as u64)) {
        return Err(event_error("the intent has expired"));
    }
    // PDC-INTENT terms, signed by the intent's own key.
    let terms = doc
        .pointer("/credentialSubject/terms")
        .ok_or_else(|| event_error("the intent carries no PDC-INTENT terms"))?;
    if terms.get("template").and_then(Value::as_str) != Some("PDC-INTENT") {
        return Err(event_error("the intent's terms are not PDC-INTENT"));
    }
    let terms_doc = terms
        .get("document")
        .ok_or_else(|| event_error("the intent's terms are missing their document"))?;
    let signed = proof::verify(terms_doc)
        .map_err(|e| event_error(format!("the intent's terms do not verify ({e})")))?;
    if signed.signer != vc.signer {
        return Err(event_error(
            "the intent's terms are signed by another key than the intent",
        ));
    }
    let digest = data_encoding::HEXLOWER.encode(&proof::jcs_sha256(terms_doc)?);
    if terms.get("digestSHA256").and_then(Value::as_str) != Some(digest.as_str()) {
        return Err(event_error("the intent's terms digest does not match"));
    }
    Ok(MarketIntent {
        intent,
        event_id: event.id.to_hex(),
        pubkey,
        category: subject_str(&vc.subject, "/category")
            .unwrap_or_default()
            .to_string(),
        valid_until,
        document: doc,
    })
}
