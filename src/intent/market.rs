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

use super::domain::{Broadcast, BroadcastKind, Intent, MarketSource, Offer, OfferView, secs};
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

/// An event to publish and the relays to publish it to: what the network
/// step needs, made under the vault, sent without it.
#[derive(Debug, Clone)]
pub struct RelayOutbox {
    /// The signed event.
    pub event: Event,
    /// Where it goes (never empty).
    pub relays: Vec<RelayUrl>,
}

/// What to ask relays for offers, and which relays.
#[derive(Debug, Clone)]
pub struct OfferQuery {
    /// Gift wraps to the broadcast intents' keys ([`Intents::offer_filter`]).
    pub filter: Filter,
    /// Every relay of the vault's.
    pub relays: Vec<RelayUrl>,
}

fn no_relay() -> Error {
    Error::invalid_field(
        "relay",
        "no relay: add one first (in the app: Settings, Relays; or vrm relay add wss://…)",
    )
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

    /// [`Intents::prepare_broadcast`], to every relay of the vault's.
    pub fn prepare_broadcast_to(&mut self, id: &str, geohash: Option<&str>) -> Result<RelayOutbox> {
        let relays: Vec<RelayUrl> = self.vault.relays().urls()?;
        if relays.is_empty() {
            return Err(no_relay());
        }
        let event = self.prepare_broadcast(id, geohash)?;
        Ok(RelayOutbox { event, relays })
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

    /// [`Intents::prepare_deletion`], to every relay of the vault's and every
    /// relay the listing was sent to; `None` when it was never broadcast.
    pub fn prepare_deletion_to(&mut self, id: &str) -> Result<Option<RelayOutbox>> {
        let Some(event) = self.prepare_deletion(id)? else {
            return Ok(None);
        };
        let mut relays: Vec<RelayUrl> = self.vault.relays().urls()?;
        for b in &self.get(id)?.broadcasts {
            for p in &b.relays {
                if !relays.contains(&p.relay) {
                    relays.push(p.relay.clone());
                }
            }
        }
        Ok(Some(RelayOutbox { event, relays }))
    }

    /// [`Intents::offer_filter`] and the vault's relays to ask; `None` when
    /// no live intent (of this one, or any) was broadcast.
    pub fn prepare_offer_query(&mut self, intent: Option<&str>) -> Result<Option<OfferQuery>> {
        let Some(filter) = self.offer_filter(intent)? else {
            return Ok(None);
        };
        let relays: Vec<RelayUrl> = self.vault.relays().urls()?;
        if relays.is_empty() {
            return Err(no_relay());
        }
        Ok(Some(OfferQuery { filter, relays }))
    }

    /// Accept an offer that came over relays ([`Intents::accept_offer`]):
    /// returns the offer, the signed acceptance, and the acceptance gift
    /// wrapped to the seller with the relays to send it to (those the offer
    /// came from and the vault's). An offer that did not come over relays is
    /// refused before anything is decided.
    pub fn accept_market_offer(&mut self, id: &str) -> Result<(Offer, Value, RelayOutbox)> {
        if self.offer(id)?.market.is_none() {
            return Err(Error::invalid(
                "this offer did not come over relays: save the signed acceptance for the brand instead",
            ));
        }
        let (offer, doc) = self.accept_offer(id)?;
        let out = self.acceptance_outbox(&offer.id, &[])?;
        Ok((offer, doc, out))
    }

    /// The kept acceptance of a market offer, gift wrapped anew, to send
    /// (again) on the relays the offer came from, the vault's and `more`;
    /// after sending, [`Intents::record_acceptance_sent`].
    pub fn acceptance_outbox(&mut self, offer_id: &str, more: &[RelayUrl]) -> Result<RelayOutbox> {
        let (event, mut relays) = self.wrap_acceptance(offer_id)?.ok_or_else(|| {
            Error::invalid(
                "this offer did not come over relays: save the signed acceptance for the brand instead",
            )
        })?;
        let vault_relays: Vec<RelayUrl> = self.vault.relays().urls()?;
        for r in vault_relays.into_iter().chain(more.iter().cloned()) {
            if !relays.contains(&r) {
                relays.push(r);
            }
        }
        Ok(RelayOutbox { event, relays })
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
    use crate::relay::{RelayQuery, publish_all, query_all};

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
            self.take_query(query_all(relays, &[filter], timeout))
        }

        /// What reading relays for offers gave ([`crate::relay::query_all`]
        /// with [`Intents::prepare_offer_query`]'s filter): the offers
        /// imported ([`Intents::take_offers`]), with the events refused and
        /// the relays that could not be read.
        pub fn take_query(&mut self, got: RelayQuery) -> Result<MarketFetch> {
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
        /// back to its seller ([`Intents::acceptance_outbox`]) and keep how
        /// it went. Sending again sends the same signed acceptance.
        pub fn send_acceptance(
            &mut self,
            offer_id: &str,
            more: &[RelayUrl],
            timeout: Duration,
        ) -> Result<Vec<Publish>> {
            let out = self.acceptance_outbox(offer_id, more)?;
            let sent = publish_all(&out.relays, &out.event, timeout);
            self.record_acceptance_sent(offer_id, sent.clone())?;
            Ok(sent)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration as Days;
    use nostr::prelude::Keys;
    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;
    use crate::crypto::did::SigningKey;
    use crate::intent::{IntentInput, make_offer_as};
    use crate::relay::{Publish, PublishStatus};
    use crate::vault::Vault;

    const A: &str = "ws://127.0.0.1:7001";
    const B: &str = "ws://127.0.0.1:7002";
    const C: &str = "ws://127.0.0.1:7003";

    fn url(u: &str) -> RelayUrl {
        RelayUrl::parse(u).unwrap()
    }

    fn took(u: &str) -> Publish {
        Publish {
            relay: url(u),
            status: PublishStatus::Accepted { message: None },
        }
    }

    fn down(u: &str) -> Publish {
        Publish {
            relay: url(u),
            status: PublishStatus::Unreachable {
                reason: "connection refused".into(),
            },
        }
    }

    /// A vault with a bicycle intent to no brand (to be broadcast).
    fn vault_with_intent() -> (tempfile::TempDir, Vault, String) {
        let tmp = tempfile::tempdir().unwrap();
        let (mut vault, _) = Vault::create(
            &tmp.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let intent = vault
            .intents()
            .create(&IntentInput {
                category: "bicycle".into(),
                description: "A city bike".into(),
                quantity: None,
                budget_max: None,
                currency: Some("EUR".into()),
                location: None,
                needed_by: None,
                expires_at: Utc::now() + Days::days(7),
                terms: None,
                brands: vec![],
            })
            .unwrap();
        (tmp, vault, intent.id.to_string())
    }

    /// Broadcast as the app does, with the relays' outcomes given.
    fn broadcast(vault: &mut Vault, id: &str, outcomes: Vec<Publish>) {
        let out = vault
            .intents()
            .prepare_broadcast_to(id, Some("u09"))
            .unwrap();
        vault
            .intents()
            .record_broadcast(id, BroadcastKind::Listing, &out.event, outcomes)
            .unwrap();
    }

    #[test]
    fn a_broadcast_goes_to_every_relay_of_the_vault_and_none_is_an_error_about_the_relay() {
        let (_tmp, mut vault, id) = vault_with_intent();
        let e = vault.intents().prepare_broadcast_to(&id, None).unwrap_err();
        assert_eq!(e.field(), Some("relay"), "{e}");
        vault.relays().add(A).unwrap();
        vault.relays().add(B).unwrap();
        let out = vault
            .intents()
            .prepare_broadcast_to(&id, Some("U09"))
            .unwrap();
        assert_eq!(out.relays, vec![url(A), url(B)]);
        assert_eq!(out.event.kind.as_u16(), 30402);
        // A bad geohash is the core's error about that field.
        let e = vault
            .intents()
            .prepare_broadcast_to(&id, Some("a!"))
            .unwrap_err();
        assert_eq!(e.field(), Some("geohash"), "{e}");
        // Kept, and a retry with the same area is the very same event.
        vault
            .intents()
            .record_broadcast(&id, BroadcastKind::Listing, &out.event, vec![down(A)])
            .unwrap();
        let again = vault
            .intents()
            .prepare_broadcast_to(&id, Some("u09"))
            .unwrap();
        assert_eq!(again.event.id, out.event.id);
    }

    #[test]
    fn offers_are_asked_for_only_once_broadcast_and_from_the_vaults_relays() {
        let (_tmp, mut vault, id) = vault_with_intent();
        vault.relays().add(A).unwrap();
        assert!(
            vault
                .intents()
                .prepare_offer_query(Some(&id))
                .unwrap()
                .is_none()
        );
        broadcast(&mut vault, &id, vec![took(A)]);
        let q = vault
            .intents()
            .prepare_offer_query(Some(&id))
            .unwrap()
            .unwrap();
        assert_eq!(q.relays, vec![url(A)]);
        assert!(
            q.filter
                .kinds
                .as_ref()
                .is_some_and(|k| k.contains(&Kind::GiftWrap))
        );
        vault.relays().remove(A).unwrap();
        let e = vault.intents().prepare_offer_query(Some(&id)).unwrap_err();
        assert_eq!(e.field(), Some("relay"), "{e}");
    }

    #[test]
    fn a_deletion_goes_to_the_vaults_relays_and_to_every_relay_the_listing_went_to() {
        let (_tmp, mut vault, id) = vault_with_intent();
        vault.relays().add(A).unwrap();
        // Never broadcast: nothing to delete.
        let (_tmp2, mut other, other_id) = vault_with_intent();
        other.intents().withdraw(&other_id, None, false).unwrap();
        assert!(
            other
                .intents()
                .prepare_deletion_to(&other_id)
                .unwrap()
                .is_none()
        );

        broadcast(&mut vault, &id, vec![took(A), down(B)]);
        vault.relays().remove(A).unwrap();
        vault.relays().add(C).unwrap();
        vault.intents().withdraw(&id, None, false).unwrap();
        let out = vault.intents().prepare_deletion_to(&id).unwrap().unwrap();
        assert_eq!(out.relays, vec![url(C), url(A), url(B)]);
        assert_eq!(out.event.kind.as_u16(), 5, "a NIP-09 deletion request");
    }

    #[cfg(feature = "relays")]
    #[test]
    fn a_market_offer_is_taken_once_and_accepted_back_to_the_seller_on_its_relays() {
        use crate::relay::{RelayQuery, RelayedEvent};

        let (_tmp, mut vault, id) = vault_with_intent();
        vault.relays().add(A).unwrap();
        broadcast(&mut vault, &id, vec![took(A)]);
        vault.relays().add(C).unwrap();
        let intent = vault.intents().get(&id).unwrap();
        let to = PublicKey::from_hex(intent.relay_key.as_deref().unwrap()).unwrap();

        // A seller's signed offer, gift wrapped to the intent's key.
        let seller_signing = SigningKey::generate().unwrap();
        let seller = Keys::generate();
        let (offer_doc, _) = make_offer_as(
            intent.document.as_bytes(),
            &seller_signing,
            Some("Velo Shop"),
            "229",
            "EUR",
            Some("Gazelle"),
            None,
            Utc::now(),
        )
        .unwrap();
        let wrap = wire::wrap_document(&seller, &to, &offer_doc, vec![]).unwrap();
        let event = |relays: &[&str]| RelayedEvent {
            event: wrap.clone(),
            relays: relays.iter().map(|r| url(r)).collect(),
        };
        let got = vault
            .intents()
            .take_query(RelayQuery {
                events: vec![event(&[A, B])],
                failed: vec![(url(C), "connection refused".into())],
                refused: vec![(url(A), "a forged event".into())],
            })
            .unwrap();
        assert_eq!(got.imported.len(), 1);
        assert_eq!(got.failed.len(), 1);
        assert_eq!(got.refused.len(), 1);
        let view = &got.imported[0];
        assert!(!view.verified && view.can_accept);
        let market = view.offer.market.as_ref().unwrap();
        assert_eq!(market.claimed_name.as_deref(), Some("Velo Shop"));
        assert_eq!(market.relays, vec![url(A), url(B)]);
        // Fetched again: once.
        let again = vault
            .intents()
            .take_query(RelayQuery {
                events: vec![event(&[A])],
                ..Default::default()
            })
            .unwrap();
        assert_eq!((again.imported.len(), again.duplicates), (0, 1));

        let (offer, doc, out) = vault.intents().accept_market_offer(&view.offer.id).unwrap();
        assert_eq!(offer.decision, crate::intent::OfferDecision::Accepted);
        assert!(
            doc["type"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "OfferAcceptance")
        );
        // Where it came from, then the vault's own.
        assert_eq!(out.relays, vec![url(A), url(B), url(C)]);
        let opened = wire::unwrap_document(&seller, &out.event).unwrap();
        assert_eq!(opened.document, doc);
        assert_eq!(
            vault.intents().get(&id).unwrap().accepted_offer,
            Some(offer.id)
        );
    }

    #[test]
    fn an_offer_that_did_not_come_over_relays_is_not_accepted_as_one() {
        let (_tmp, mut vault, id) = vault_with_intent();
        let intent = vault.intents().get(&id).unwrap();
        let (offer_doc, _) = make_offer_as(
            intent.document.as_bytes(),
            &SigningKey::generate().unwrap(),
            None,
            "10",
            "EUR",
            None,
            None,
            Utc::now(),
        )
        .unwrap();
        let view = vault
            .intents()
            .import_offer(&serde_json::to_vec(&offer_doc).unwrap())
            .unwrap();
        let e = vault
            .intents()
            .accept_market_offer(&view.offer.id)
            .unwrap_err();
        assert!(e.to_string().contains("did not come over relays"), "{e}");
        let offer = vault.intents().offer(&view.offer.id).unwrap();
        assert_eq!(offer.decision, crate::intent::OfferDecision::Open);
    }
}
