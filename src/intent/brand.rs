//! The brand's side of intentcasting: checking what its intake received,
//! and making a signed offer.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::crypto::did::SigningKey;
use crate::error::{Error, Result};
use crate::model::money::{parse_amount, parse_currency};
use crate::proof;
use crate::terms::agreement::urn_uuid;

use super::domain::secs;
use super::{INTENT_REQUEST, INTENT_WITHDRAWAL, OFFER};

/// What a brand's intake makes of a received document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Received {
    /// The document's id.
    pub id: String,
    /// Its kind (`IntentRequest` or `IntentWithdrawal`).
    pub kind: String,
    /// The intent it concerns.
    pub intent: String,
    /// The signer.
    pub signer: String,
}

/// Check a document posted to a brand's intake: a verified, unexpired
/// `IntentRequest` or `IntentWithdrawal` (a withdrawal must be signed by the
/// intent's own key, which the caller checks against what it stored).
pub fn check_received(bytes: &[u8], now: DateTime<Utc>) -> Result<(Received, Value)> {
    let doc = proof::parse_document(bytes)?;
    let vc = proof::verify_credential(&doc, now)?;
    if vc.kind != INTENT_REQUEST && vc.kind != INTENT_WITHDRAWAL {
        return Err(Error::invalid(format!(
            "{} document is not taken here (only {INTENT_REQUEST} and {INTENT_WITHDRAWAL})",
            crate::model::text::a(&vc.kind)
        )));
    }
    if vc.kind == INTENT_REQUEST && vc.valid_until.is_none() {
        return Err(Error::invalid("an intent must say until when it stands"));
    }
    let intent = vc
        .subject
        .get("intentId")
        .and_then(Value::as_str)
        .and_then(urn_uuid)
        .ok_or_else(|| Error::invalid("the document names no intent"))?;
    let id =
        urn_uuid(&vc.id).ok_or_else(|| Error::invalid("the document's id is not a urn:uuid"))?;
    Ok((
        Received {
            id,
            kind: vc.kind,
            intent,
            signer: vc.signer,
        },
        doc,
    ))
}

/// The brand's signed offer for an intent (a verified `IntentRequest`).
#[allow(clippy::too_many_arguments)]
pub fn make_offer(
    intent_bytes: &[u8],
    key: &SigningKey,
    price: &str,
    currency: &str,
    description: Option<&str>,
    valid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(Value, Option<String>)> {
    make_offer_as(
        intent_bytes,
        key,
        None,
        price,
        currency,
        description,
        valid_until,
        now,
    )
}

/// [`make_offer`], saying the seller's name (`sellerName`): on an open
/// market the person does not know the seller yet, and sees the name marked
/// as claimed, not verified.
#[allow(clippy::too_many_arguments)]
pub fn make_offer_as(
    intent_bytes: &[u8],
    key: &SigningKey,
    seller_name: Option<&str>,
    price: &str,
    currency: &str,
    description: Option<&str>,
    valid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(Value, Option<String>)> {
    let doc = proof::parse_document(intent_bytes)?;
    let vc = proof::verify_credential(&doc, now)?;
    if vc.kind != INTENT_REQUEST {
        return Err(Error::invalid(format!(
            "this is {} document, not an {INTENT_REQUEST}",
            crate::model::text::a(&vc.kind)
        )));
    }
    let price = parse_amount(price).map_err(|e| e.for_field("price"))?;
    let currency = parse_currency(currency).map_err(|e| e.for_field("currency"))?;
    let until = valid_until.or(vc.valid_until).map(secs);
    let reply_to = vc
        .subject
        .pointer("/replyTo/ageRecipient")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut subject = json!({
        "id": vc.signer,
        "intentId": vc.id,
        "price": price.to_string(),
        "currency": currency,
    });
    if let Some(d) = description.map(str::trim).filter(|d| !d.is_empty()) {
        subject["description"] = json!(d);
    }
    if let Some(n) = seller_name.map(str::trim).filter(|n| !n.is_empty()) {
        if n.chars().count() > 100 {
            return Err(Error::invalid_field(
                "name",
                "the name may be at most 100 characters",
            ));
        }
        subject["sellerName"] = json!(n);
    }
    let offer =
        proof::issue_credential(OFFER, key, uuid::Uuid::new_v4(), secs(now), until, subject)?;
    Ok((offer, reply_to))
}
