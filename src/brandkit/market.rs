//! The seller's side of the open market (`vrm brand-kit watch` and
//! `vrm brand-kit offer --relay`): listening on relays for intents, checking
//! each as a careful seller must ([`check_intent_event`]), storing it as the
//! intake does ([`super::store_received`]), and answering with a gift-wrapped
//! offer. (Feature `relays`.)

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use nostr::prelude::{
    Event, EventId, Filter, Keys, Kind, PublicKey, SingleLetterTag, Tag, Timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{BrandKey, store_received};
use crate::error::{Error, Result};
use crate::intent::{MarketIntent, check_intent_event};
use crate::relay::market::{self as wire, INTENT_EVENT_KIND, INTENT_HASHTAG};
use crate::relay::{Publish, RelayUrl, publish_all, query_all};
use crate::vault::fs::{FileMode, OutFile, write_file};

/// What the seller keeps beside each intent it took from a relay
/// (`dir/market/<intent>.json`): where to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingNote {
    /// The listing event's id (hex).
    pub event_id: String,
    /// The intent's relay key (hex): offers are wrapped to it.
    pub pubkey: String,
    /// The relays it was seen on.
    pub relays: Vec<RelayUrl>,
}

/// What watching did with one event.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Watched {
    /// A new intent, checked and stored.
    Stored {
        /// The intent.
        #[serde(flatten)]
        intent: MarketIntent,
    },
    /// An intent withdrawn by its sender (a deletion request holding the
    /// signed withdrawal), stored.
    Withdrawn {
        /// The intent's id.
        intent: String,
    },
    /// Held already (from another relay, or seen before): not stored again.
    Duplicate {
        /// The intent's id.
        intent: String,
    },
    /// Refused, with why.
    Refused {
        /// The relay that sent it.
        relay: RelayUrl,
        /// Why.
        reason: String,
    },
    /// A relay could not be read (a live watch reconnects).
    RelayDown {
        /// The relay.
        relay: RelayUrl,
        /// Why.
        reason: String,
    },
}

/// What a seller listens for: intent listings in `categories` (any intent
/// when none), near `geohash` when given; and deletion requests of
/// listings.
pub fn watch_filters(categories: &[String], geohash: Option<&str>) -> Result<Vec<Filter>> {
    let mut listings = Filter::new().kind(Kind::Custom(INTENT_EVENT_KIND));
    let tags: Vec<String> = if categories.is_empty() {
        vec![INTENT_HASHTAG.to_string()]
    } else {
        categories
            .iter()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .collect()
    };
    listings = listings.hashtags(tags);
    if let Some(g) = geohash {
        let g = wire::check_geohash(g)?;
        listings = listings.custom_tag(
            SingleLetterTag::from_char('g').expect("g is a tag letter"),
            g,
        );
    }
    let deletions = Filter::new().kind(Kind::EventDeletion).custom_tag(
        SingleLetterTag::from_char('k').expect("k is a tag letter"),
        INTENT_EVENT_KIND.to_string(),
    );
    Ok(vec![listings, deletions])
}

/// The seller's folder: `intents/`, `withdrawals/` (as the intake keeps
/// them) and `market/` (where each listing was seen), made if missing.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    for sub in ["intents", "withdrawals", "market"] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
    }
    Ok(())
}

fn note_path(dir: &Path, intent: &str) -> std::path::PathBuf {
    dir.join("market").join(format!("{intent}.json"))
}

/// Check one event from a relay and store what holds, into `dir`.
pub fn take_event(dir: &Path, relay: &RelayUrl, event: &Event, now: DateTime<Utc>) -> Watched {
    let refused = |reason: String| Watched::Refused {
        relay: relay.clone(),
        reason,
    };
    if event.kind == Kind::EventDeletion {
        return take_deletion(dir, event).unwrap_or_else(|e| refused(e.to_string()));
    }
    let intent = match check_intent_event(event, now) {
        Ok(i) => i,
        Err(e) => return refused(e.to_string()),
    };
    let body = match serde_json::to_vec_pretty(&intent.document) {
        Ok(b) => b,
        Err(e) => return refused(e.to_string()),
    };
    match store_received(dir, &body) {
        Ok(_) => {}
        Err(Error::Replay(_)) => {
            return Watched::Duplicate {
                intent: intent.intent,
            };
        }
        Err(e) => return refused(e.to_string()),
    }
    let note = ListingNote {
        event_id: intent.event_id.clone(),
        pubkey: intent.pubkey.clone(),
        relays: vec![relay.clone()],
    };
    if let Ok(json) = serde_json::to_vec_pretty(&note) {
        // The intent is stored; without the note, an answer finds the key
        // in the intent itself.
        let _ = write_file(
            OutFile::replace(&note_path(dir, &intent.intent)),
            FileMode::Private,
            &json,
        );
    }
    Watched::Stored { intent }
}

/// A deletion request of a listing: its content must be the intent's signed
/// withdrawal, from the key of an intent held here (checked as the intake
/// checks a withdrawal), and the request must come from the intent's relay
/// key.
fn take_deletion(dir: &Path, event: &Event) -> Result<Watched> {
    if event.verify().is_err() {
        return Err(Error::RelayEvent("a bad id or signature".into()));
    }
    let body = event.content.as_bytes();
    let (received, _) = crate::intent::check_received(body, Utc::now())?;
    if received.kind != crate::intent::INTENT_WITHDRAWAL {
        return Err(Error::RelayEvent(
            "a deletion request without a signed withdrawal".into(),
        ));
    }
    let note: ListingNote = serde_json::from_slice(
        &std::fs::read(note_path(dir, &received.intent))
            .map_err(|_| Error::RelayEvent("a withdrawal of an intent never seen here".into()))?,
    )
    .map_err(|_| Error::RelayEvent("a note of this folder is unreadable".into()))?;
    if note.pubkey != event.pubkey.to_hex() {
        return Err(Error::RelayEvent(
            "the deletion request is not from the intent's relay key".into(),
        ));
    }
    match store_received(dir, body) {
        Ok(_) => Ok(Watched::Withdrawn {
            intent: received.intent,
        }),
        Err(Error::Replay(_)) => Ok(Watched::Duplicate {
            intent: received.intent,
        }),
        Err(e) => Err(e),
    }
}

/// Read what `relays` hold for `filters` once, then stop.
pub fn watch_once(
    dir: &Path,
    relays: &[RelayUrl],
    filters: &[Filter],
    timeout: Duration,
    on: &mut dyn FnMut(Watched) -> ControlFlow<()>,
) -> Result<()> {
    prepare_dir(dir)?;
    let got = query_all(relays, filters, timeout);
    let now = Utc::now();
    for (relay, reason) in got.failed {
        if on(Watched::RelayDown { relay, reason }).is_break() {
            return Ok(());
        }
    }
    for (relay, reason) in got.refused {
        if on(Watched::Refused { relay, reason }).is_break() {
            return Ok(());
        }
    }
    // Listings before deletions, so a withdrawal finds its intent.
    let mut events = got.events;
    events.sort_by_key(|e| e.event.kind == Kind::EventDeletion);
    for e in events {
        if on(take_event(dir, &e.relays[0], &e.event, now)).is_break() {
            return Ok(());
        }
    }
    Ok(())
}

/// Watch `relays` live: a thread per relay, each reconnecting after a
/// failure (waiting longer each time, up to a minute), asking again from
/// shortly before it lost the connection; every event checked and stored
/// here, in order of arrival, until `on` breaks.
pub fn watch_live(
    dir: &Path,
    relays: &[RelayUrl],
    filters: &[Filter],
    timeout: Duration,
    on: &mut dyn FnMut(Watched) -> ControlFlow<()>,
) -> Result<()> {
    prepare_dir(dir)?;
    enum Msg {
        Event(RelayUrl, Box<Event>),
        Refused(RelayUrl, String),
        Down(RelayUrl, String),
    }
    let (tx, rx) = mpsc::channel::<Msg>();
    for relay in relays {
        let tx = tx.clone();
        let relay = relay.clone();
        let filters = filters.to_vec();
        // Detached: they end when the receiver is gone (their next send
        // fails) or with the process.
        std::thread::spawn(move || {
            let mut backoff = Duration::from_secs(1);
            let mut since: Option<Timestamp> = None;
            loop {
                let asked: Vec<Filter> = filters
                    .iter()
                    .cloned()
                    .map(|f| match since {
                        Some(s) => f.since(s),
                        None => f,
                    })
                    .collect();
                let started = Instant::now();
                let mut gone = false;
                let r =
                    crate::relay::client::subscribe(&relay, &asked, timeout, true, &mut |got| {
                        let msg = match got {
                            Ok(e) => Msg::Event(relay.clone(), Box::new(e)),
                            Err(why) => Msg::Refused(relay.clone(), why),
                        };
                        if tx.send(msg).is_err() {
                            gone = true;
                            return ControlFlow::Break(());
                        }
                        ControlFlow::Continue(())
                    });
                if gone {
                    return;
                }
                let reason = match r {
                    Ok(()) => "the subscription ended".to_string(),
                    Err(Error::Relay { reason, .. }) => reason,
                    Err(e) => e.to_string(),
                };
                if tx.send(Msg::Down(relay.clone(), reason)).is_err() {
                    return;
                }
                if started.elapsed() > Duration::from_secs(60) {
                    backoff = Duration::from_secs(1);
                }
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(60));
                since = Some(Timestamp::from_secs(
                    (Utc::now().timestamp() - 120).max(0) as u64
                ));
            }
        });
    }
    drop(tx);
    for msg in rx {
        let w = match msg {
            Msg::Event(relay, e) => take_event(dir, &relay, &e, Utc::now()),
            Msg::Refused(relay, reason) => Watched::Refused { relay, reason },
            Msg::Down(relay, reason) => Watched::RelayDown { relay, reason },
        };
        if on(w).is_break() {
            return Ok(());
        }
    }
    Ok(())
}

/// The seller's relay key: derived from its brand key's signing seed.
pub fn relay_keys(key: &BrandKey) -> Keys {
    wire::seller_keys(key.signing.seed())
}

/// Send a signed offer (`offer`, made for the intent `intent_doc`) to the
/// intent's relay key, gift wrapped under the seller's relay key, to
/// `relays`; the listing it answers is named when known (`listing`).
pub fn send_offer(
    key: &BrandKey,
    intent_doc: &Value,
    offer: &Value,
    listing: Option<&str>,
    relays: &[RelayUrl],
    timeout: Duration,
) -> Result<Vec<Publish>> {
    let to = intent_doc
        .pointer("/credentialSubject/replyTo/nostrPubkey")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("the intent names no relay key to answer to"))?;
    let to = PublicKey::from_hex(to)
        .map_err(|_| Error::invalid("the intent's relay key is malformed"))?;
    let refs = listing
        .and_then(|l| EventId::from_hex(l).ok())
        .map(Tag::event)
        .into_iter()
        .collect();
    let wrap = wire::wrap_document(&relay_keys(key), &to, offer, refs)?;
    Ok(publish_all(relays, &wrap, timeout))
}

/// The listing id noted for an intent taken from relays, if any.
pub fn noted_listing(dir: &Path, intent: &str) -> Option<ListingNote> {
    serde_json::from_slice(&std::fs::read(note_path(dir, intent)).ok()?).ok()
}

/// Decisions (acceptances, declines) on the seller's offers, sent back over
/// relays to its relay key: each opened and verified.
pub fn fetch_decisions(
    key: &BrandKey,
    relays: &[RelayUrl],
    since: DateTime<Utc>,
    timeout: Duration,
) -> (Vec<Value>, Vec<(RelayUrl, String)>) {
    let keys = relay_keys(key);
    let filter = Filter::new()
        .kind(Kind::GiftWrap)
        .pubkey(keys.public_key())
        .since(Timestamp::from_secs(
            (since.timestamp() - 2 * 24 * 3600).max(0) as u64,
        ));
    let got = query_all(relays, &[filter], timeout);
    let mut problems: Vec<(RelayUrl, String)> = got.failed;
    problems.extend(got.refused);
    let mut docs: Vec<Value> = Vec::new();
    for e in got.events {
        match wire::unwrap_document(&keys, &e.event) {
            // An acceptance sent again comes in a new wrap: the same
            // signed document, kept once.
            Ok(u) if docs.iter().any(|d| d["id"] == u.document["id"]) => {}
            Ok(u) => match crate::proof::verify_credential(&u.document, Utc::now()) {
                Ok(_) => docs.push(u.document),
                Err(err) => problems.push((e.relays[0].clone(), err.to_string())),
            },
            Err(err) => problems.push((e.relays[0].clone(), err.to_string())),
        }
    }
    (docs, problems)
}
