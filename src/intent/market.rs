//! Intents on the open market: broadcasting an intent's listing to Nostr
//! relays, taking the offers that come back in gift wraps, the deletion
//! request on withdrawal, and the acceptance back to a seller
//! ([`crate::relay`] has the events and the wire). Each step is a prepare
//! (under the vault), the network (without it), and a record (under it
//! again), so the app can keep the vault free while relays are slow; the
//! `relays` feature adds the three in one call for the command line.

use chrono::{DateTime, Utc};
use nostr::prelude::{Event, Filter, Keys, Kind, PublicKey, Tag, Timestamp};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::OfferId;
use crate::relay::market as wire;
use crate::relay::{Publish, RelayUrl, RelayedEvent};
use crate::terms::agreement::urn_uuid;
use crate::vault::audit::AuditAction;
use crate::vault::features::Intents;
use crate::vault::store;

use super::domain::{Broadcast, BroadcastKind, Intent, MarketSource, OfferView, secs};
use super::{INTENT_KIND, OFFER, OFFER_KIND};

/// Gift wraps are dated up to two days back (NIP-59 hides when they were
/// made): offers are asked for from that long before the intent.
const GIFT_WRAP_BACKDATE_SECS: i64 = 2 * 24 * 3600;

/// An event from a relay that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RefusedEvent {
    /// The relay that sent it.
    pub relay: RelayUrl,
    /// Why it was refused.
    pub reason: String,
}

/// What fetching offers from relays did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct MarketFetch {
    /// Offers imported now.
    pub imported: Vec<OfferView>,
    /// Offers already in the vault (from another relay, or an earlier
    /// fetch), not imported again.
    pub duplicates: usize,
    /// Events refused (forged, to another key, not an offer for this
    /// intent…).
    pub refused: Vec<RefusedEvent>,
    /// Relays that could not be read.
    pub failed: Vec<RefusedEvent>,
}

fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp::from_secs(t.timestamp().max(0) as u64)
}

impl Intents<'_> {
    fn relay_keys_of(&self, intent: &Intent) -> Result<Keys> {
        self.relay_keys(&intent.id)?.ok_or_else(|| {
            Error::invalid(
                "this intent was made before intents could be broadcast (it has no relay key); \
                 make a new one to broadcast",
            )
        })
    }

    /// The listing event to publish for an intent: the one published before
    /// when it carried the same geohash (a retry sends the very same event),
    /// else a new one. Only a live intent is broadcast.
    pub fn prepare_broadcast(&mut self, id: &str, geohash: Option<&str>) -> Result<Event> {
        let intent = self.get(id)?;
        let now = Utc::now();
        if !intent.is_live(now) {
            return Err(Error::invalid(
                "this intent is expired, withdrawn or accepted; it cannot be broadcast",
            ));
        }
        let geohash = geohash.map(wire::check_geohash).transpose()?;
        let keys = self.relay_keys_of(&intent)?;
        let last = intent
            .broadcasts
            .iter()
            .rev()
            .find(|b| b.kind == BroadcastKind::Listing && !b.event.is_empty());
        if let Some(b) = last
            && (geohash.is_none() || b.geohash == geohash)
            && let Ok(event) = Event::from_json(&b.event)
        {
            return Ok(event);
        }
        super::listing::intent_event(&intent.document, &keys, geohash.as_deref(), secs(now))
    }

    /// Keep what publishing an intent's event did (each relay's outcome).
    pub fn record_broadcast(
        &mut self,
        id: &str,
        kind: BroadcastKind,
        event: &Event,
        relays: Vec<Publish>,
    ) -> Result<Broadcast> {
        let mut intent = self.get(id)?;
        let geohash = event
            .tags
            .iter()
            .filter(|t| t.kind() == "g")
            .filter_map(|t| t.content())
            .max_by_key(|g| g.len())
            .map(str::to_string);
        let broadcast = Broadcast {
            kind,
            event_id: event.id.to_hex(),
            geohash,
            at: secs(Utc::now()),
            relays,
            event: event.as_json(),
        };
        intent.broadcasts.push(broadcast.clone());
        let accepted = broadcast
            .relays
            .iter()
            .filter(|r| r.status.is_accepted())
            .count();
        let tx = self.vault.write_tx()?;
        self.vault
            .replace_doc(&tx, INTENT_KIND, &intent.id, &intent)?;
        self.vault.append_audit(
            &tx,
            if kind == BroadcastKind::Listing {
                AuditAction::IntentSent
            } else {
                AuditAction::IntentWithdrawn
            },
            None,
            Some(&intent.id),
            format!(
                "{} published to relays: {accepted} of {} took it",
                if kind == BroadcastKind::Listing {
                    "intent listing"
                } else {
                    "deletion request of the listing"
                },
                broadcast.relays.len()
            ),
        )?;
        tx.commit()?;
        self.vault.purge_wal()?;
        Ok(broadcast)
    }

    /// The deletion request (NIP-09) of a withdrawn intent's listing, with
    /// its signed withdrawal as content; `None` when it was never broadcast.
    /// Withdraw it first ([`Intents::prepare_withdrawal`] and
    /// [`Intents::record_deliveries`]).
    pub fn prepare_deletion(&mut self, id: &str) -> Result<Option<Event>> {
        let intent = self.get(id)?;
        let Some(listing) = intent
            .broadcasts
            .iter()
            .rev()
            .find(|b| b.kind == BroadcastKind::Listing)
        else {
            return Ok(None);
        };
        let withdrawal = intent
            .withdrawal
            .as_deref()
            .ok_or_else(|| Error::invalid("this intent is not withdrawn"))?;
        let keys = self.relay_keys_of(&intent)?;
        if let Some(b) = intent
            .broadcasts
            .iter()
            .rev()
            .find(|b| b.kind == BroadcastKind::Deletion && !b.event.is_empty())
            && let Ok(event) = Event::from_json(&b.event)
        {
            return Ok(Some(event));
        }
        wire::deletion_event(&keys, &listing.event_id, &intent.id, withdrawal).map(Some)
    }

    /// What to ask relays for: gift wraps to the relay keys of the person's
    /// broadcast intents that are live (of one intent, or all).
    pub fn offer_filter(&mut self, intent: Option<&str>) -> Result<Option<Filter>> {
        let now = Utc::now();
        let only = intent.map(|i| self.get(i)).transpose()?;
        let (all, _) = self.vault.docs::<Intent>(INTENT_KIND)?;
        let mut keys = Vec::new();
        let mut since: Option<DateTime<Utc>> = None;
        for i in all {
            if only.as_ref().is_some_and(|o| o.id != i.id) {
                continue;
            }
            if !i.is_live(now) || i.broadcasts.is_empty() {
                continue;
            }
            let Some(k) = i.relay_key.as_deref() else {
                continue;
            };
            let pk = PublicKey::from_hex(k)
                .map_err(|_| Error::Damaged("a stored relay key is malformed".into()))?;
            keys.push(pk);
            since = Some(since.map_or(i.created_at, |s| s.min(i.created_at)));
        }
        let Some(since) = since else {
            return Ok(None);
        };
        let from = since - chrono::Duration::seconds(GIFT_WRAP_BACKDATE_SECS);
        Ok(Some(
            Filter::new()
                .kind(Kind::GiftWrap)
                .pubkeys(keys)
                .since(ts(from)),
        ))
    }

    /// Take the offers among gift wraps from relays: each is opened with the
    /// key of the intent it is addressed to, must hold a signed `Offer`
    /// answering that very intent, and is imported once however many relays
    /// had it ([`Intents::import_offer`]'s checks; a seller the person does
    /// not know is kept, shown unverified).
    pub fn take_offers(&mut self, events: &[RelayedEvent]) -> Result<MarketFetch> {
        let (intents, _) = self.vault.docs::<Intent>(INTENT_KIND)?;
        let mut keys: Vec<(Intent, Keys)> = Vec::new();
        for i in intents {
            if i.relay_key.is_some()
                && let Some(k) = self.relay_keys(&i.id)?
            {
                keys.push((i, k));
            }
        }
        let mut out = MarketFetch::default();
        for got in events {
            let relay = got.relays[0].clone();
            let refuse = |out: &mut MarketFetch, reason: String| {
                out.refused.push(RefusedEvent {
                    relay: relay.clone(),
                    reason,
                })
            };
            let addressed = got
                .event
                .tags
                .public_keys()
                .find_map(|pk| keys.iter().find(|(_, k)| k.public_key() == pk));
            let Some((intent, k)) = addressed else {
                refuse(&mut out, "a gift wrap to another key".into());
                continue;
            };
            let opened = match wire::unwrap_document(k, &got.event) {
                Ok(o) => o,
                Err(e) => {
                    refuse(&mut out, e.to_string());
                    continue;
                }
            };
            // Already here (from another relay, or fetched before)?
            let offer_id = opened
                .document
                .get("id")
                .and_then(Value::as_str)
                .and_then(urn_uuid)
                .map(OfferId::from);
            if let Some(id) = &offer_id
                && store::doc(self.vault.conn(), OFFER_KIND, id)?.is_some()
            {
                out.duplicates += 1;
                continue;
            }
            if opened
                .document
                .get("type")
                .and_then(Value::as_array)
                .is_none_or(|t| !t.iter().any(|v| v.as_str() == Some(OFFER)))
            {
                refuse(&mut out, "the gift wrap holds no Offer".into());
                continue;
            }
            let source = MarketSource {
                seller_key: opened.sender.to_hex(),
                relays: got.relays.clone(),
                claimed_name: None,
                acceptance: None,
                acceptance_sent: Vec::new(),
            };
            let bytes =
                serde_json::to_vec(&opened.document).map_err(|e| Error::Database(e.to_string()))?;
            match self.import_offer_from(&bytes, Some((&intent.id, source))) {
                Ok(view) => out.imported.push(view),
                // Bad input from a stranger: refused and reported, the
                // vault unchanged; the vault's own failures stop the fetch.
                Err(
                    e @ (Error::Invalid { .. }
                    | Error::Document(_)
                    | Error::Signature(_)
                    | Error::Expired(_)
                    | Error::NotYetValid(_)
                    | Error::Did(_)
                    | Error::UnknownSigner(_)),
                ) => refuse(&mut out, e.to_string()),
                Err(e) => return Err(e),
            }
        }

        Ok(out)
    }

    /// The gift-wrapped acceptance kept with an offer that came over relays,
    /// to the seller's relay key, and the relays it came from; `None` for
    /// an offer that did not. A new wrap each time (its throwaway key is
    /// fresh) of the same signed acceptance.
    pub fn wrap_acceptance(&mut self, offer_id: &str) -> Result<Option<(Event, Vec<RelayUrl>)>> {
        let offer = self.offer(offer_id)?;
        let Some(market) = &offer.market else {
            return Ok(None);
        };
        let Some(kept) = &market.acceptance else {
            return Err(Error::invalid(
                "this offer is not accepted: there is nothing to send",
            ));
        };
        let acceptance: Value = serde_json::from_str(kept)
            .map_err(|_| Error::Damaged("a kept offer acceptance".into()))?;
        let intent = self.get(&offer.intent)?;
        let keys = self.relay_keys_of(&intent)?;
        let seller = PublicKey::from_hex(&market.seller_key)
            .map_err(|_| Error::Damaged("a stored relay key is malformed".into()))?;
        let refs = intent
            .broadcasts
            .iter()
            .rev()
            .find(|b| b.kind == BroadcastKind::Listing)
            .and_then(|b| nostr::prelude::EventId::from_hex(&b.event_id).ok())
            .map(Tag::event)
            .into_iter()
            .collect();
        let wrap = wire::wrap_document(&keys, &seller, &acceptance, refs)?;
        Ok(Some((wrap, market.relays.clone())))
    }

    /// Keeps how sending an offer's acceptance went
    /// ([`Intents::wrap_acceptance`]), so that the offer shows whether it
    /// must be sent again.
    pub fn record_acceptance_sent(&mut self, offer_id: &str, sent: Vec<Publish>) -> Result<()> {
        let mut offer = self.offer(offer_id)?;
        let Some(market) = &mut offer.market else {
            return Ok(());
        };
        market.acceptance_sent = sent;
        let tx = self.vault.write_tx()?;
        self.vault.replace_doc(&tx, OFFER_KIND, &offer.id, &offer)?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(feature = "relays")]
mod network {
    use std::time::Duration;

    use super::*;
    use crate::relay::{publish_all, query_all};

    impl Intents<'_> {
        /// Broadcast an intent to `relays`: its listing, signed by its relay
        /// key; each relay's outcome is kept with the intent.
        pub fn broadcast(
            &mut self,
            id: &str,
            geohash: Option<&str>,
            relays: &[RelayUrl],
            timeout: Duration,
        ) -> Result<Broadcast> {
            let event = self.prepare_broadcast(id, geohash)?;
            let outcomes = publish_all(relays, &event, timeout);
            self.record_broadcast(id, BroadcastKind::Listing, &event, outcomes)
        }

        /// After [`Intents::withdraw`]: the deletion request of the listing
        /// to `relays`; `None` when the intent was never broadcast.
        pub fn broadcast_deletion(
            &mut self,
            id: &str,
            relays: &[RelayUrl],
            timeout: Duration,
        ) -> Result<Option<Broadcast>> {
            let Some(event) = self.prepare_deletion(id)? else {
                return Ok(None);
            };
            let outcomes = publish_all(relays, &event, timeout);
            self.record_broadcast(id, BroadcastKind::Deletion, &event, outcomes)
                .map(Some)
        }

        /// Fetch offers for broadcast intents (one, or all live ones) from
        /// `relays` and import them ([`Intents::take_offers`]).
        pub fn fetch_offers(
            &mut self,
            intent: Option<&str>,
            relays: &[RelayUrl],
            timeout: Duration,
        ) -> Result<MarketFetch> {
            let Some(filter) = self.offer_filter(intent)? else {
                return Err(Error::invalid(
                    "no live intent was broadcast: broadcast one first (vrm intent broadcast ID)",
                ));
            };
            let got = query_all(relays, &[filter], timeout);
            let mut out = self.take_offers(&got.events)?;
            out.refused.extend(
                got.refused
                    .into_iter()
                    .map(|(relay, reason)| RefusedEvent { relay, reason }),
            );
            out.failed = got
                .failed
                .into_iter()
                .map(|(relay, reason)| RefusedEvent { relay, reason })
                .collect();
            Ok(out)
        }

        /// Send the signed acceptance of an offer that came over relays
        /// back to its seller, gift wrapped, on the relays it came from and
        /// `more`, and keep how it went; `None` for an offer that did not
        /// come over relays. Sending again sends the same acceptance.
        pub fn send_acceptance(
            &mut self,
            offer_id: &str,
            more: &[RelayUrl],
            timeout: Duration,
        ) -> Result<Option<Vec<Publish>>> {
            let Some((wrap, mut relays)) = self.wrap_acceptance(offer_id)? else {
                return Ok(None);
            };
            for r in more {
                if !relays.contains(r) {
                    relays.push(r.clone());
                }
            }
            let sent = publish_all(&relays, &wrap, timeout);
            self.record_acceptance_sent(offer_id, sent.clone())?;
            Ok(Some(sent))
        }
    }
}
