//! What goes over the relays, and the checks on what comes back: an intent
//! as a NIP-99 listing event, its NIP-09 deletion with the signed
//! withdrawal, and signed documents (offers, acceptances) in NIP-59 gift
//! wraps. No network here.

use nostr::nips::nip59::{GiftWrapBuilder, UnwrappedGift};
use nostr::prelude::{
    Event, EventBuilder, FinalizeEvent, FinalizeUnsignedEvent, Keys, Kind, PublicKey, SecretKey,
    Tag,
};
use serde_json::Value;

use super::MAX_EVENT_BYTES;
use crate::error::{Error, Result};
use crate::proof;

/// NIP-99's classified listing: an addressable event, one per intent (its
/// `d` tag is the intent's id), so a relay keeps the latest.
pub const INTENT_EVENT_KIND: u16 = 30402;
/// The `t` tag every broadcast intent carries besides its category: what a
/// seller filters on to tell demand-side intents from ordinary listings.
pub const INTENT_HASHTAG: &str = "intentcasting";
/// NIP-32 label namespace and label: the intent is under IEEE 7012
/// (machine-readable personal privacy terms), PDC-INTENT.
pub const LABEL_NAMESPACE: &str = "IEEE7012";
/// See [`LABEL_NAMESPACE`].
pub const LABEL: &str = "PDC-INTENT";
/// The kind of the rumor inside a gift wrap: NIP-17's private direct
/// message, whose content here is a signed document (JSON).
pub const RUMOR_KIND: u16 = 14;
/// The longest geohash a broadcast may carry (about 150 m); the person
/// chooses how coarse.
pub const MAX_GEOHASH_LEN: usize = 7;

const GEOHASH_ALPHABET: &str = "0123456789bcdefghjkmnpqrstuvwxyz";

/// A geohash as the person gave it, checked and lower-cased: 1 to
/// [`MAX_GEOHASH_LEN`] characters of the geohash alphabet.
pub fn check_geohash(g: &str) -> Result<String> {
    let g = g.trim().to_ascii_lowercase();
    let bad = |why: &str| Error::invalid_field("geohash", format!("geohash {why}"));
    if g.is_empty() || g.len() > MAX_GEOHASH_LEN {
        return Err(bad(&format!(
            "must be 1 to {MAX_GEOHASH_LEN} characters (fewer is coarser)"
        )));
    }
    if !g.chars().all(|c| GEOHASH_ALPHABET.contains(c)) {
        return Err(bad("takes only 0-9 and b-z without a, i, l and o"));
    }
    Ok(g)
}

/// The key an intent's listing is signed with, and offers are wrapped to,
/// from its stored secret (hex).
pub fn keys_from_hex(secret: &str) -> Result<Keys> {
    let sk = SecretKey::from_hex(secret)
        .map_err(|_| Error::Damaged("a stored relay key is malformed".into()))?;
    Ok(Keys::new(sk))
}

/// A seller's relay key, derived from its brand-kit signing seed (HKDF-SHA256
/// with its own label), so a seller has one key file and always the same
/// relay key: acceptances come back to it.
pub fn seller_keys(signing_seed: &[u8; 32]) -> Keys {
    let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"vrm brand-kit relay key v1");
    let prk = salt.extract(signing_seed);
    for counter in 0u8..=255 {
        let mut okm = zeroize::Zeroizing::new([0u8; 32]);
        let info = [&[counter][..]];
        if prk
            .expand(&info, ring::hkdf::HKDF_SHA256)
            .and_then(|o| o.fill(&mut okm[..]))
            .is_ok()
            && let Ok(sk) = SecretKey::from_slice(&okm[..])
        {
            return Keys::new(sk);
        }
    }
    // 256 candidates all outside the curve's order: impossible in practice
    // (each fails with probability about 2^-128).
    unreachable!("no valid secp256k1 key among 256 HKDF outputs")
}

pub(crate) fn event_error(e: impl std::fmt::Display) -> Error {
    Error::RelayEvent(e.to_string())
}

pub(crate) fn subject_str<'a>(doc: &'a Value, pointer: &str) -> Option<&'a str> {
    doc.pointer(pointer).and_then(Value::as_str)
}

/// The NIP-09 deletion request of an intent's listing, its content the
/// signed `IntentWithdrawal` (JSON), signed by the intent's relay key.
pub fn deletion_event(
    keys: &Keys,
    listing_id: &str,
    intent_id: &str,
    withdrawal: &str,
) -> Result<Event> {
    let listing = nostr::prelude::EventId::from_hex(listing_id)
        .map_err(|_| Error::Damaged("a stored event id is malformed".into()))?;
    let coordinate = format!(
        "{INTENT_EVENT_KIND}:{}:{intent_id}",
        keys.public_key().to_hex()
    );
    EventBuilder::new(Kind::EventDeletion, withdrawal)
        .tags([
            Tag::event(listing),
            Tag::custom("a", [coordinate]),
            Tag::custom("k", [INTENT_EVENT_KIND.to_string()]),
        ])
        .finalize(keys)
        .map_err(event_error)
}

/// A signed document (JSON) to `receiver`, sealed by `sender` and gift
/// wrapped (NIP-59, NIP-44 v2) under a one-time key. `refs` are tags of
/// the rumor (say, the listing it answers).
pub fn wrap_document(
    sender: &Keys,
    receiver: &PublicKey,
    document: &Value,
    refs: Vec<Tag>,
) -> Result<Event> {
    let json = serde_json::to_string(document).map_err(event_error)?;
    let mut tags = vec![Tag::public_key(*receiver)];
    tags.extend(refs);
    let rumor = EventBuilder::new(Kind::Custom(RUMOR_KIND), json)
        .tags(tags)
        .finalize_unsigned(sender.public_key());
    GiftWrapBuilder::new(*receiver, rumor)
        .finalize(sender)
        .map_err(event_error)
}

/// A document out of a gift wrap to `receiver`.
#[derive(Debug, Clone)]
pub struct Unwrapped {
    /// The relay key of whoever sealed it (where an answer goes).
    pub sender: PublicKey,
    /// The signed document it holds.
    pub document: Value,
}

/// Open a gift wrap addressed to `receiver`: the wrap's signature, that it
/// is addressed to this key, the seal's signature and that the rumor is its
/// sealer's, and that it holds a signed document (not yet verified: the
/// caller knows what it expects).
pub fn unwrap_document(receiver: &Keys, wrap: &Event) -> Result<Unwrapped> {
    if wrap.as_json().len() > MAX_EVENT_BYTES {
        return Err(event_error(format!("over {MAX_EVENT_BYTES} bytes")));
    }
    if wrap.kind != Kind::GiftWrap {
        return Err(event_error("not a gift wrap"));
    }
    let to_us = wrap
        .tags
        .public_keys()
        .any(|pk| pk == receiver.public_key());
    if !to_us {
        return Err(event_error("a gift wrap to another key"));
    }
    let gift = UnwrappedGift::from_gift_wrap(receiver, wrap)
        .map_err(|e| event_error(format!("the gift wrap does not open ({e})")))?;
    if gift.rumor.kind != Kind::Custom(RUMOR_KIND) {
        return Err(event_error("the gift wrap holds something else"));
    }
    let document = proof::parse_document(gift.rumor.content.as_bytes())
        .map_err(|e| event_error(format!("the gift wrap holds no signed document ({e})")))?;
    Ok(Unwrapped {
        sender: gift.sender,
        document,
    })
}
