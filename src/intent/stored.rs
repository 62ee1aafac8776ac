//! The person's intents and the offers they received, kept in the vault:
//! [`Intents`], the handle `vault.intents()` returns.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto::bundle::{self, AgeIdentity};
use crate::crypto::did::SigningKey;
use crate::error::{Error, Result};
use crate::model::money::{Decimal, parse_amount, parse_currency};
use crate::model::{Brand, BrandId, IntentId, OfferId};
use crate::proof;
use crate::terms::Template;
use crate::terms::agreement::{derived_uuid, urn_uuid};
use crate::vault::Vault;
use crate::vault::audit::AuditAction;
use crate::vault::features::Intents;
use crate::vault::fs::{AtomicFile, FileMode, OutFile};
use crate::vault::store;

use super::delivery::{Addressee, Outbox};
use super::domain::{
    Delivery, DeliveryStatus, Intent, IntentInput, IntentView, MarketSource, Offer, OfferDecision,
    OfferView, checked, secs, unverified_reason,
};
use super::{
    INTENT_KEY_KIND, INTENT_KIND, INTENT_REQUEST, INTENT_WITHDRAWAL, OFFER, OFFER_ACCEPTANCE,
    OFFER_DECLINE, OFFER_KIND,
};

#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub(super) struct IntentKeys {
    /// Ed25519 seed, hex.
    seed: String,
    /// `AGE-SECRET-KEY-1…`.
    age: String,
    /// The relay key's secret (secp256k1, hex); none for intents made
    /// before intents could be broadcast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nostr: Option<String>,
}

impl std::fmt::Debug for IntentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntentKeys(***)")
    }
}

impl Intents<'_> {
    fn intent_keys(&self, intent_id: &str) -> Result<(SigningKey, AgeIdentity)> {
        let row = store::doc(self.vault.conn(), INTENT_KEY_KIND, intent_id)?
            .ok_or_else(|| Error::Damaged(format!("the keys of intent {intent_id} are missing")))?;
        let keys: IntentKeys = self.vault.open_doc(&row)?;
        let seed = zeroize::Zeroizing::new(
            data_encoding::HEXLOWER
                .decode(keys.seed.as_bytes())
                .map_err(|_| Error::Damaged("a stored intent key is malformed".into()))?,
        );
        let seed: &[u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| Error::Damaged("a stored intent key is malformed".into()))?;
        Ok((SigningKey::from_seed(seed), AgeIdentity::parse(&keys.age)?))
    }

    /// The intent's relay key, if it has one (intents made before intents
    /// could be broadcast do not).
    pub(super) fn relay_keys(&self, intent_id: &str) -> Result<Option<nostr::prelude::Keys>> {
        let row = store::doc(self.vault.conn(), INTENT_KEY_KIND, intent_id)?
            .ok_or_else(|| Error::Damaged(format!("the keys of intent {intent_id} are missing")))?;
        let keys: IntentKeys = self.vault.open_doc(&row)?;
        keys.nostr
            .as_deref()
            .map(crate::relay::market::keys_from_hex)
            .transpose()
    }

    /// Make an intent: signed by a fresh key of its own, with a fresh reply-to
    /// recipient. Not sent yet (see [`Intents::send`]).
    pub fn create(&mut self, input: &IntentInput) -> Result<Intent> {
        let now = secs(Utc::now());
        let mut input = checked(input.clone(), now)?;
        // No brand yet is a draft: they may be named when it is sent
        // (see `add_intent_brands`).
        let brands = self.brand_ids(&input.brands, Vec::new())?;
        // Kept as ids, not as typed (a name): deleting a brand must leave
        // its name nowhere (see `forget_brand`).
        input.brands = brands.iter().map(BrandId::to_string).collect();
        let terms = match input.terms.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => Some(self.vault.terms().version(t)?),
            _ => self
                .vault
                .terms()
                .versions()?
                .into_iter()
                .rev()
                .find(|v| v.template == Template::PdcIntent),
        };
        if let Some(t) = &terms
            && t.template != Template::PdcIntent
        {
            return Err(Error::invalid_field(
                "terms",
                format!(
                    "terms version {} is {}, not PDC-INTENT",
                    t.number,
                    t.template.id()
                ),
            ));
        }

        let id = IntentId::random();
        let key = SigningKey::generate()?;
        let reply = AgeIdentity::generate();
        // Its own relay key too: a broadcast is signed by it and offers are
        // wrapped to it, so two intents cannot be linked by key.
        let relay_keys = nostr::prelude::Keys::generate();
        let relay_key = relay_keys.public_key().to_hex();
        let mut subject = json!({
            "intentId": format!("urn:uuid:{id}"),
            "category": input.category,
            "description": input.description,
            "replyTo": { "ageRecipient": reply.recipient(), "nostrPubkey": relay_key },
        });
        if let Some(q) = input.quantity {
            subject["quantity"] = json!(q);
        }
        if let Some(b) = &input.budget_max {
            subject["budget"] = json!({ "max": b.to_string(), "currency": input.currency });
        }
        if let Some(l) = &input.location {
            subject["location"] = json!(l);
        }
        if let Some(d) = input.needed_by {
            subject["neededBy"] = json!(d.to_string());
        }
        if let Some(t) = &terms {
            // Terms signed under the intent's own key, with an id derived for
            // this intent: no identifier shared with anything else.
            let terms_id = derived_uuid(&["intent terms", &t.id, &id]);
            let mut ts = crate::terms::subject_json(t.template, &t.title, t.number, &t.clauses);
            ts["id"] = json!(key.did());
            let terms_doc = proof::issue_credential(
                crate::terms::agreement::PERSONAL_TERMS,
                &key,
                terms_id,
                now,
                None,
                ts,
            )?;
            subject["terms"] = json!({
                "id": format!("urn:uuid:{terms_id}"),
                "digestSHA256": data_encoding::HEXLOWER.encode(&proof::jcs_sha256(&terms_doc)?),
                "template": t.template.id(),
                "document": terms_doc,
            });
        }
        let uuid = uuid::Uuid::parse_str(&id).map_err(|e| Error::Database(e.to_string()))?;
        let doc = proof::issue_credential(
            INTENT_REQUEST,
            &key,
            uuid,
            now,
            Some(input.expires_at),
            subject,
        )?;
        let intent = Intent {
            id: id.clone(),
            brands,
            did: key.did(),
            reply_to: reply.recipient(),
            created_at: now,
            document: serde_json::to_string(&doc).map_err(|e| Error::Database(e.to_string()))?,
            deliveries: Vec::new(),
            withdrawn_at: None,
            withdrawal_deliveries: Vec::new(),
            withdrawal: None,
            accepted_offer: None,
            relay_key: Some(relay_key),
            broadcasts: Vec::new(),
            input,
        };
        let keys = IntentKeys {
            seed: data_encoding::HEXLOWER.encode(key.seed()),
            age: {
                use secrecy::ExposeSecret;
                reply.to_secret_string().expose_secret().to_string()
            },
            nostr: Some(relay_keys.secret_key().to_secret_hex()),
        };
        let tx = self.vault.write_tx()?;
        self.vault
            .insert_doc(&tx, INTENT_KEY_KIND, &id, None, &keys)?;
        self.vault
            .insert_doc(&tx, INTENT_KIND, &id, None, &intent)?;
        self.vault.append_audit(
            &tx,
            AuditAction::IntentCreated,
            None,
            Some(&id),
            if intent.brands.is_empty() {
                "intent made as a draft, for no brand yet".to_string()
            } else {
                format!("intent made for {} brand(s)", intent.brands.len())
            },
        )?;
        tx.commit()?;
        Ok(intent)
    }

    /// `names` (ids, names or prefixes) as brand ids, after those of `ids`,
    /// each once.
    fn brand_ids(&mut self, names: &[String], mut ids: Vec<BrandId>) -> Result<Vec<BrandId>> {
        for b in names {
            let id = self.vault.brand(b)?.id;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Address a live intent to more brands (ids, names or prefixes), e.g.
    /// a draft made without any, before [`Intents::send`]. Brands it is
    /// addressed to already are left as they are.
    ///
    /// Nothing is signed again: the signed `IntentRequest` does not name its
    /// brands (a brand is not told whom else the person asked), so the list
    /// is the vault's own bookkeeping, and every brand, whenever added, gets
    /// the very document (one id, one signature) the others got. Signing a
    /// new one would put two different documents under one intent id, and
    /// intakes that hold the first would refuse the second as a replay.
    pub fn add_brands(&mut self, id: &str, brands: &[String]) -> Result<Intent> {
        let mut intent = self.get(id)?;
        if !intent.is_live(Utc::now()) {
            return Err(Error::invalid(
                "this intent is expired, withdrawn or accepted; it cannot be sent",
            ));
        }
        let ids = self.brand_ids(brands, intent.brands.clone())?;
        if ids == intent.brands {
            return Ok(intent);
        }
        intent.brands = ids.clone();
        intent.input.brands = ids.iter().map(BrandId::to_string).collect();
        let tx = self.vault.write_tx()?;
        self.vault
            .replace_doc(&tx, INTENT_KIND, &intent.id, &intent)?;
        tx.commit()?;
        // The old version's page images leave the WAL (as for records).
        store::checkpoint_truncate(self.vault.conn())?;
        Ok(intent)
    }

    /// One intent by id or unique prefix.
    pub fn get(&self, id: &str) -> Result<Intent> {
        self.vault.doc_by_id(INTENT_KIND, id, |id| {
            Error::invalid(format!("no intent {id}"))
        })
    }

    /// Every intent, newest first, with its status.
    pub fn list(&mut self) -> Result<Vec<IntentView>> {
        let (mut list, _) = self.vault.docs::<Intent>(INTENT_KIND)?;
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        let offers = self.offers(None)?;
        let now = Utc::now();
        Ok(list
            .into_iter()
            .map(|intent| {
                let n = offers
                    .iter()
                    .filter(|o| o.offer.intent == intent.id)
                    .count();
                IntentView {
                    status: intent.status(now, n),
                    offers: n,
                    is_live: intent.is_live(now),
                    can_resend: intent.can_resend(now, n),
                    can_withdraw: intent.can_withdraw(),
                    intent,
                }
            })
            .collect())
    }

    /// What to send for an intent and to whom (see [`Outbox`]). Brands its
    /// inbox already took it from are not posted to again (their intake
    /// would refuse the repeat as a replay).
    pub fn prepare_send(&mut self, id: &str) -> Result<Outbox> {
        let intent = self.get(id)?;
        if !intent.is_live(Utc::now()) {
            return Err(Error::invalid(
                "this intent is expired, withdrawn or accepted; it cannot be sent",
            ));
        }
        if intent.brands.is_empty() {
            return Err(Error::invalid_field(
                "brand",
                "this intent is addressed to no brand (yet); choose at least one to send it to",
            ));
        }
        let addressees = self.addressees(&intent.brands, &intent.deliveries)?;
        Ok(Outbox {
            intent: intent.id,
            withdrawal_at: None,
            document: intent.document,
            addressees,
        })
    }

    /// What to send to withdraw an intent: a signed `IntentWithdrawal` for
    /// the brands the intent reached. Once withdrawn, the same signed
    /// withdrawal again, for the brands it has not reached yet (say, a brand
    /// without an inbox, whose file is written only now).
    pub fn prepare_withdrawal(&mut self, id: &str) -> Result<Outbox> {
        let intent = self.get(id)?;
        // Only brands it reached hear of the withdrawal.
        let reached = intent.brands.iter().filter(|b| {
            intent
                .deliveries
                .iter()
                .any(|d| &d.brand == *b && d.status == DeliveryStatus::Sent)
        });
        let (document, at, brands): (String, DateTime<Utc>, Vec<BrandId>) =
            match (intent.withdrawn_at, &intent.withdrawal) {
                (None, _) => {
                    let (key, _) = self.intent_keys(&intent.id)?;
                    let now = secs(Utc::now());
                    let doc = proof::issue_credential(
                        INTENT_WITHDRAWAL,
                        &key,
                        uuid::Uuid::new_v4(),
                        now,
                        None,
                        json!({ "intentId": format!("urn:uuid:{}", intent.id) }),
                    )?;
                    let document =
                        serde_json::to_string(&doc).map_err(|e| Error::Database(e.to_string()))?;
                    (document, now, reached.cloned().collect())
                }
                (Some(at), Some(document)) => {
                    let left: Vec<BrandId> = reached
                        .filter(|b| {
                            !intent
                                .withdrawal_deliveries
                                .iter()
                                .any(|d| &d.brand == *b && d.status == DeliveryStatus::Sent)
                        })
                        .cloned()
                        .collect();
                    if left.is_empty() {
                        return Err(Error::invalid(
                            "this intent is withdrawn already, and every brand it reached was told",
                        ));
                    }
                    (document.clone(), at, left)
                }
                // Withdrawn before withdrawals were kept: nothing to hand over again.
                (Some(_), None) => return Err(Error::invalid("this intent is withdrawn already")),
            };
        let addressees = self.addressees(&brands, &intent.withdrawal_deliveries)?;
        Ok(Outbox {
            intent: intent.id,
            withdrawal_at: Some(at),
            document,
            addressees,
        })
    }

    fn addressees(&mut self, brands: &[BrandId], before: &[Delivery]) -> Result<Vec<Addressee>> {
        let mut out = Vec::new();
        for brand_id in brands {
            let brand: Brand = match self.vault.brand(brand_id) {
                Ok(b) => b,
                Err(Error::BrandNotFound(_)) => continue, // deleted since
                Err(e) => return Err(e),
            };
            let posted = brand.inbox.as_ref().is_some_and(|url| {
                before.iter().any(|d| {
                    d.brand == brand.id && d.status == DeliveryStatus::Sent && &d.to == url
                })
            });
            out.push(Addressee {
                brand: brand.id,
                name: brand.name,
                inbox: brand.inbox,
                allow_private: brand.allow_private_inbox,
                posted,
            });
        }
        Ok(out)
    }

    /// Keep a round of deliveries with the intent (and, for a withdrawal,
    /// mark it withdrawn). Returns the round.
    pub fn record_deliveries(
        &mut self,
        outbox: &Outbox,
        round: Vec<Delivery>,
    ) -> Result<Vec<Delivery>> {
        let mut intent = self.get(&outbox.intent)?;
        let sent = round
            .iter()
            .filter(|d| d.status == DeliveryStatus::Sent)
            .count();
        let (action, detail) = match outbox.withdrawal_at {
            None => {
                intent.deliveries.extend(round.iter().cloned());
                (
                    AuditAction::IntentSent,
                    format!(
                        "intent delivered {sent} time(s), {} failed",
                        round.len() - sent
                    ),
                )
            }
            Some(at) => {
                let again = match &intent.withdrawal {
                    // The same withdrawal, handed to brands not reached before.
                    Some(doc) if *doc == outbox.document => true,
                    _ if intent.withdrawn_at.is_some() => {
                        return Err(Error::invalid("this intent is withdrawn already"));
                    }
                    _ => false,
                };
                intent.withdrawn_at = Some(at);
                intent.withdrawal = Some(outbox.document.clone());
                intent.withdrawal_deliveries.extend(round.iter().cloned());
                let told = outbox
                    .addressees
                    .iter()
                    .filter(|a| {
                        round
                            .iter()
                            .any(|d| d.brand == a.brand && d.status == DeliveryStatus::Sent)
                    })
                    .count();
                (
                    AuditAction::IntentWithdrawn,
                    format!(
                        "{}; told {told} of {} brand(s)",
                        if again {
                            "intent withdrawal delivered again"
                        } else {
                            "intent withdrawn"
                        },
                        outbox.addressees.len()
                    ),
                )
            }
        };
        let tx = self.vault.write_tx()?;
        self.vault
            .replace_doc(&tx, INTENT_KIND, &intent.id, &intent)?;
        self.vault
            .append_audit(&tx, action, None, Some(&intent.id), detail)?;
        tx.commit()?;
        // The old version's page images leave the WAL (as for records).
        self.vault.purge_wal()?;
        Ok(round)
    }

    /// Send an intent to its brands: a file per brand into `out_dir` and/or
    /// an HTTP POST to each brand's inbox (when `http`). Returns this round's
    /// deliveries; every one is kept with the intent. (The app runs the three
    /// steps itself, so the vault is free while the network is slow.)
    pub fn send(&mut self, id: &str, out_dir: Option<&Path>, http: bool) -> Result<Vec<Delivery>> {
        let outbox = self.prepare_send(id)?;
        let round = outbox.deliver(out_dir, http)?;
        self.record_deliveries(&outbox, round)
    }

    /// Withdraw an intent: a signed `IntentWithdrawal` to the same brands.
    pub fn withdraw(
        &mut self,
        id: &str,
        out_dir: Option<&Path>,
        http: bool,
    ) -> Result<Vec<Delivery>> {
        let outbox = self.prepare_withdrawal(id)?;
        let round = outbox.deliver(out_dir, http)?;
        self.record_deliveries(&outbox, round)
    }

    /// [`Intents::import_offer`] from a file (a signed Offer, plain JSON or
    /// an age file), read under [`proof::MAX_FOREIGN_FILE_BYTES`].
    pub fn import_offer_file(&mut self, path: &Path) -> Result<OfferView> {
        self.import_offer(&proof::read_foreign_file(path)?)
    }

    /// Import an offer (a signed `Offer`, plain or age-encrypted to one of
    /// the person's intents): the signature must verify, the intent must be
    /// the person's own and live, the offer unexpired. A signer that is not a
    /// known brand's `did:key` is kept as unverified.
    pub fn import_offer(&mut self, bytes: &[u8]) -> Result<OfferView> {
        self.import_offer_from(bytes, None)
    }

    /// [`Intents::import_offer`], for an offer that came over relays: it must
    /// answer `source.0`, the intent whose key its gift wrap opened with.
    pub(super) fn import_offer_from(
        &mut self,
        bytes: &[u8],
        source: Option<(&str, MarketSource)>,
    ) -> Result<OfferView> {
        let now = Utc::now();
        let plain: zeroize::Zeroizing<Vec<u8>> = if bytes.starts_with(b"age-encryption.org/")
            || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
        {
            let (intents, _) = self.vault.docs::<Intent>(INTENT_KIND)?;
            let mut identities = Vec::new();
            for i in intents.iter().filter(|i| i.is_live(now)) {
                identities.push(self.intent_keys(&i.id)?.1);
            }
            if identities.is_empty() {
                return Err(Error::invalid("no live intent could receive this offer"));
            }
            bundle::decrypt(
                bytes,
                &bundle::OpenKey::Identities(&identities),
                &bundle::OpenLimits::default(),
            )?
        } else {
            zeroize::Zeroizing::new(bytes.to_vec())
        };
        let doc = proof::parse_document(&plain)?;
        let vc = proof::verify_credential(&doc, now)?;
        if vc.kind != OFFER {
            return Err(Error::invalid(format!(
                "this is {} document, not an {OFFER}",
                crate::model::text::a(&vc.kind)
            )));
        }
        let s = |k: &str| vc.subject.get(k).and_then(Value::as_str);
        let intent_id = s("intentId")
            .and_then(urn_uuid)
            .ok_or_else(|| Error::invalid("the offer names no intent"))?;
        let intent = match self.get(&intent_id) {
            Ok(i) if i.id == intent_id => i,
            _ => {
                return Err(Error::invalid(
                    "the offer answers an intent that is not yours",
                ));
            }
        };
        if let Some((expected, _)) = &source
            && *expected != intent.id
        {
            return Err(Error::invalid(
                "the offer answers another intent than the one its gift wrap was addressed to",
            ));
        }
        // Present, it must be the intent's key: a null or a number is not
        // "no one".
        if vc
            .subject
            .get("id")
            .is_some_and(|d| d.as_str() != Some(intent.did.as_str()))
        {
            return Err(Error::invalid("the offer is addressed to another key"));
        }
        if !intent.is_live(now) {
            return Err(Error::invalid(
                "the intent it answers is expired, withdrawn or already accepted",
            ));
        }
        let price = s("price").ok_or_else(|| Error::invalid("the offer has no price"))?;
        let price = parse_amount(price)?;
        let currency = parse_currency(
            s("currency").ok_or_else(|| Error::invalid("the offer has no currency"))?,
        )?;
        let description = s("description").map(|d| {
            d.chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .take(2000)
                .collect()
        });
        let id = urn_uuid(&vc.id)
            .map(OfferId::from)
            .ok_or_else(|| Error::invalid("the offer's id is not a urn:uuid"))?;
        if store::doc(self.vault.conn(), OFFER_KIND, &id)?.is_some() {
            return Err(Error::invalid("this offer was imported already"));
        }
        // Verified only when signed by the did:key of a brand this intent
        // was addressed to: a brand the person knows but never asked may
        // still answer (the intent may have been passed on), and its offer
        // is kept, but shown unverified with the reason.
        let known = match self.vault.brand_by_did(&vc.signer) {
            Ok(b) => Some(b),
            Err(Error::UnknownSigner(_)) => None,
            Err(e) => return Err(e),
        };
        let brand = known.clone().filter(|b| intent.brands.contains(&b.id));
        let offer = Offer {
            id: id.clone(),
            intent: intent.id.clone(),
            brand: brand.as_ref().map(|b| b.id.clone()),
            signer: vc.signer.clone(),
            price,
            currency,
            description,
            valid_until: vc.valid_until,
            received_at: now,
            decision: OfferDecision::Open,
            decided_at: None,
            document: serde_json::to_string(&doc).map_err(|e| Error::Database(e.to_string()))?,
            market: source.map(|(_, mut m)| {
                m.claimed_name = s("sellerName").map(|n| {
                    n.chars()
                        .filter(|c| !c.is_control())
                        .take(100)
                        .collect::<String>()
                        .trim()
                        .to_string()
                });
                m
            }),
        };
        // Kept with the known brand that signed it, addressed or not, so it
        // goes when that brand is deleted.
        let signed_by = known.as_ref().map(|b| b.id.as_str());
        let tx = self.vault.write_tx()?;
        self.vault
            .insert_doc(&tx, OFFER_KIND, &id, signed_by, &offer)?;
        self.vault.append_audit(
            &tx,
            AuditAction::OfferImported,
            signed_by,
            Some(&id),
            format!(
                "offer for intent {} ({})",
                &intent.id[..8],
                match (&brand, &known) {
                    (Some(_), _) => "signed by a brand it was sent to",
                    (None, Some(_)) => "unverified: a known brand it was not sent to",
                    (None, None) if offer.market.is_some() => "a seller on the open market",
                    (None, None) => "unverified signer",
                }
            ),
        )?;
        tx.commit()?;
        // As listed: compared with the intent's other offers.
        self.offers(Some(&intent.id))?
            .into_iter()
            .find(|v| v.offer.id == id)
            .ok_or_else(|| Error::Damaged(format!("offer {id} is missing once imported")))
    }

    /// Offers (of one intent, or all), cheapest first within a currency.
    pub fn offers(&mut self, intent: Option<&str>) -> Result<Vec<OfferView>> {
        let intent_id = match intent {
            Some(i) => Some(self.get(i)?.id),
            None => None,
        };
        let (mut list, _) = self.vault.docs::<Offer>(OFFER_KIND)?;
        list.retain(|o| intent_id.as_ref().is_none_or(|i| *i == o.intent));
        list.sort_by(|a, b| {
            a.currency
                .cmp(&b.currency)
                .then(a.price.cmp(&b.price))
                .then(a.id.cmp(&b.id))
        });
        let brands = self.vault.brands()?;
        let names: BTreeMap<&str, &str> = brands
            .iter()
            .map(|b| (b.id.as_str(), b.name.as_str()))
            .collect();
        let (intents, _) = self.vault.docs::<Intent>(INTENT_KIND)?;
        let intents: BTreeMap<&str, &Intent> = intents.iter().map(|i| (i.id.as_str(), i)).collect();
        // The cheapest price of each intent in each currency.
        let mut cheapest: BTreeMap<(&str, &str), Decimal> = BTreeMap::new();
        for o in &list {
            cheapest
                .entry((o.intent.as_str(), o.currency.as_str()))
                .and_modify(|c| *c = (*c).min(o.price))
                .or_insert(o.price);
        }
        let now = Utc::now();
        let views = list
            .iter()
            .map(|offer| {
                let known = brands
                    .iter()
                    .find(|b| b.did.as_deref() == Some(offer.signer.as_str()));
                let best = cheapest[&(offer.intent.as_str(), offer.currency.as_str())];
                OfferView {
                    brand_name: offer
                        .brand
                        .as_deref()
                        .and_then(|b| names.get(b))
                        .map(|n| n.to_string()),
                    verified: offer.brand.is_some(),
                    unverified_reason: unverified_reason(offer, known),
                    expired: offer.is_expired(now),
                    cheapest: offer.price == best,
                    above_cheapest: offer.price - best,
                    can_accept: intents
                        .get(offer.intent.as_str())
                        .is_some_and(|i| offer.can_accept(i, now)),
                    can_decline: offer.can_decline(),
                    can_resend_acceptance: offer
                        .market
                        .as_ref()
                        .is_some_and(MarketSource::acceptance_unsent),
                    offer: offer.clone(),
                }
            })
            .collect();
        Ok(views)
    }

    /// One offer by id or unique prefix.
    pub fn offer(&self, id: &str) -> Result<Offer> {
        self.vault.doc_by_id(OFFER_KIND, id, |id| {
            Error::invalid(format!("no offer {id}"))
        })
    }

    /// Accept an offer: a signed `OfferAcceptance` under the intent's key,
    /// for the brand. Only a verified, unexpired, open offer of a live intent.
    pub fn accept_offer(&mut self, id: &str) -> Result<(Offer, Value)> {
        self.decide_offer(id, OfferDecision::Accepted)
    }

    /// [`Intents::accept_offer`], writing the signed acceptance (pretty JSON)
    /// to `out` for the brand. The file is prepared first, so an unwritable
    /// place fails before the offer is accepted, and nothing is left there
    /// when it is not; a file already at `out` is replaced only if
    /// `out.replace`.
    pub fn accept_offer_to<'o>(&mut self, id: &str, out: impl Into<OutFile<'o>>) -> Result<Offer> {
        let mut file = AtomicFile::create(out.into(), FileMode::Private)?;
        let (offer, doc) = self.accept_offer(id)?;
        file.write_all(&proof::pretty_json(&doc)?)?;
        file.commit()?;
        Ok(offer)
    }

    /// Decline an offer (a signed `OfferDecline` the brand may be sent).
    pub fn decline_offer(&mut self, id: &str) -> Result<(Offer, Value)> {
        self.decide_offer(id, OfferDecision::Declined)
    }

    fn decide_offer(&mut self, id: &str, decision: OfferDecision) -> Result<(Offer, Value)> {
        let mut offer = self.offer(id)?;
        let mut intent = self.get(&offer.intent)?;
        let now = Utc::now();
        if !offer.can_decline() {
            return Err(Error::invalid("this offer was decided already"));
        }
        if decision == OfferDecision::Accepted {
            // Over relays, a seller the person does not know may be
            // accepted: they see it is unverified.
            if offer.brand.is_none() && offer.market.is_none() {
                let known = self.vault.brand_by_did(&offer.signer).ok();
                let why = unverified_reason(&offer, known.as_ref()).unwrap_or_default();
                return Err(Error::UnknownSigner(format!(
                    "the offer is unverified ({why}); only an offer signed by a brand the intent was sent to can be accepted"
                )));
            }
            if offer.is_expired(now) {
                return Err(Error::invalid("the offer has expired"));
            }
            if !intent.is_live(now) {
                return Err(Error::invalid(
                    "the intent is expired, withdrawn or already accepted",
                ));
            }
        }
        let (key, _) = self.intent_keys(&intent.id)?;
        let kind = if decision == OfferDecision::Accepted {
            OFFER_ACCEPTANCE
        } else {
            OFFER_DECLINE
        };
        let doc = proof::issue_credential(
            kind,
            &key,
            uuid::Uuid::new_v4(),
            secs(now),
            None,
            json!({
                "id": offer.signer,
                "intentId": format!("urn:uuid:{}", intent.id),
                "offerId": format!("urn:uuid:{}", offer.id),
                "price": offer.price.to_string(),
                "currency": offer.currency,
            }),
        )?;
        offer.decision = decision;
        offer.decided_at = Some(now);
        if let Some(market) = offer
            .market
            .as_mut()
            .filter(|_| decision == OfferDecision::Accepted)
        {
            market.acceptance =
                Some(serde_json::to_string(&doc).map_err(|e| Error::Database(e.to_string()))?);
        }
        let tx = self.vault.write_tx()?;
        self.vault.replace_doc(&tx, OFFER_KIND, &offer.id, &offer)?;
        if decision == OfferDecision::Accepted {
            intent.accepted_offer = Some(offer.id.clone());
            self.vault
                .replace_doc(&tx, INTENT_KIND, &intent.id, &intent)?;
        }
        self.vault.append_audit(
            &tx,
            if decision == OfferDecision::Accepted {
                AuditAction::OfferAccepted
            } else {
                AuditAction::OfferDeclined
            },
            offer.brand.as_deref(),
            Some(&offer.id),
            format!(
                "offer {} for intent {}",
                if decision == OfferDecision::Accepted {
                    "accepted"
                } else {
                    "declined"
                },
                &intent.id[..8]
            ),
        )?;
        tx.commit()?;
        // The old version's page images leave the WAL (as for records).
        self.vault.purge_wal()?;
        Ok((offer, doc))
    }
}

/// Deleting a brand: its id leaves every intent's brand list, and the
/// deliveries to it keep their outcome but no longer say where they went
/// (a file named after the brand, its inbox URL) nor why they failed.
pub(crate) fn forget_brand(vault: &Vault, tx: &rusqlite::Connection, brand_id: &str) -> Result<()> {
    let (intents, _) = vault.docs::<Intent>(INTENT_KIND)?;
    for mut intent in intents {
        let named = intent.brands.iter().any(|b| b == brand_id)
            || intent.input.brands.iter().any(|b| b == brand_id)
            || intent
                .deliveries
                .iter()
                .chain(&intent.withdrawal_deliveries)
                .any(|d| d.brand == brand_id);
        if !named {
            continue;
        }
        intent.brands.retain(|b| b != brand_id);
        intent.input.brands.retain(|b| b != brand_id);
        for d in intent
            .deliveries
            .iter_mut()
            .chain(intent.withdrawal_deliveries.iter_mut())
            .filter(|d| d.brand == brand_id)
        {
            d.to = String::new();
            d.reason = None;
        }
        vault.replace_doc(tx, INTENT_KIND, &intent.id, &intent)?;
    }
    Ok(())
}

/// The id of the person's intent whose own key is `did`, if any.
pub(crate) fn intent_of_did(vault: &Vault, did: &str) -> Result<Option<String>> {
    let (intents, _) = vault.docs::<Intent>(INTENT_KIND)?;
    Ok(intents
        .into_iter()
        .find(|i| i.did == did)
        .map(|i| i.id.to_string()))
}
