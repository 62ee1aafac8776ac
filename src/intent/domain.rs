//! What an intent and an offer are, the checks a new intent passes, and
//! what a stored one may still do.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::money::check_amount;
use crate::model::money::{Decimal, parse_amount, parse_currency};
use crate::model::{Brand, BrandId, IntentId, OfferId};

use super::MAX_INTENT_DAYS;

/// What the person wants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct IntentInput {
    /// What kind of thing (e.g. `lunch`, `bicycle`).
    pub category: String,
    /// In the person's words.
    pub description: String,
    /// How many.
    pub quantity: Option<u32>,
    /// The most the person will pay (a decimal amount; a string in JSON).
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "ts", specta(type = Option<String>))]
    pub budget_max: Option<Decimal>,
    /// The currency of the budget (ISO 4217, e.g. `EUR`).
    pub currency: Option<String>,
    /// Where.
    pub location: Option<String>,
    /// By when it is needed.
    pub needed_by: Option<NaiveDate>,
    /// Until when offers are welcome.
    pub expires_at: DateTime<Utc>,
    /// The PDC-INTENT terms version it is under (number, id or `latest`);
    /// none: the latest PDC-INTENT version, if any.
    pub terms: Option<String>,
    /// The brands to send it to (ids, names or prefixes).
    pub brands: Vec<String>,
}

/// The app's form for an intent, as typed: every value a string, days as
/// `YYYY-MM-DD` (date inputs), empty for none. [`IntentForm::check`] makes it
/// the [`IntentInput`] to create, or says what is wrong; the app asks before
/// making an intent, so that nothing is made from a form that does not hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct IntentForm {
    /// What kind of thing.
    pub category: String,
    /// In the person's words.
    pub description: String,
    /// How many: a whole number, 1 or more; empty for none.
    pub quantity: String,
    /// The most the person will pay: an amount like `24.50`; empty for none.
    pub budget_max: String,
    /// Its currency (ISO 4217, any case); needed with a budget.
    pub currency: String,
    /// Where; empty for nowhere in particular.
    pub location: String,
    /// By which day it is needed; empty for none.
    pub needed_by: String,
    /// The last day offers are welcome: until the end of that day, UTC (as
    /// `vrm intent create --expires YYYY-MM-DD` reads a day).
    pub valid_until: String,
    /// The brands to send it to (ids); at least one, as the form makes and
    /// sends at once, unless it is broadcast.
    pub brands: Vec<String>,
    /// Broadcast it to the person's relays too, where any seller may
    /// answer: then it needs no brand.
    #[serde(default)]
    pub broadcast: bool,
}

/// One delivery of an intent (or its withdrawal) to one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Delivery {
    /// The brand.
    pub brand: BrandId,
    /// `sent` or `failed`.
    pub status: DeliveryStatus,
    /// Where it went: a file path or an inbox URL.
    pub to: String,
    /// Why it failed.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// How a delivery went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum DeliveryStatus {
    /// Written to a file, or accepted by the brand's inbox.
    Sent,
    /// Not delivered.
    Failed,
}

/// An intent as the vault keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Intent {
    /// Random id (the credential is `urn:uuid:<id>`).
    pub id: IntentId,
    /// What was asked.
    pub input: IntentInput,
    /// The brands it is for (ids).
    pub brands: Vec<BrandId>,
    /// The intent's own `did:key`.
    pub did: String,
    /// Where offers may be encrypted to (`age1…`).
    pub reply_to: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The signed `IntentRequest` (JSON).
    pub document: String,
    /// Deliveries of the intent, newest last.
    pub deliveries: Vec<Delivery>,
    /// Set once withdrawn.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Deliveries of the withdrawal.
    pub withdrawal_deliveries: Vec<Delivery>,
    /// The signed `IntentWithdrawal` (JSON), once withdrawn: kept so that a
    /// brand not reached the first time is handed the very same document.
    /// (Vault-side bookkeeping; the app does not show it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", specta(skip))]
    pub withdrawal: Option<String>,
    /// The offer accepted, if any.
    pub accepted_offer: Option<OfferId>,
    /// The intent's relay key (secp256k1, x-only, hex), which its credential
    /// names as where offers go; none for intents made before intents could
    /// be broadcast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_key: Option<String>,
    /// Its listing and, once withdrawn, its deletion request, as published
    /// to relays, newest last.
    #[serde(default)]
    pub broadcasts: Vec<Broadcast>,
}

/// What a broadcast published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum BroadcastKind {
    /// The intent's listing.
    Listing,
    /// The deletion request of the listing, with the signed withdrawal.
    Deletion,
}

/// One round of publishing an intent's event to relays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Broadcast {
    /// What was published.
    pub kind: BroadcastKind,
    /// The event's id (hex).
    pub event_id: String,
    /// The coarse location it carried, if any.
    pub geohash: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Each relay's outcome.
    pub relays: Vec<crate::relay::Publish>,
    /// The event (JSON), kept so a retry publishes the very same one.
    /// (Vault-side bookkeeping; the app does not show it.)
    #[cfg_attr(feature = "ts", specta(skip))]
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub event: String,
}

/// Where an offer that came over relays came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct MarketSource {
    /// The seller's relay key (hex): where an acceptance goes.
    pub seller_key: String,
    /// The relays it was found on.
    pub relays: Vec<crate::relay::RelayUrl>,
    /// The name the seller claims in its offer, if any: unverified.
    pub claimed_name: Option<String>,
    /// The signed acceptance sent back (JSON), kept so that it can be sent
    /// again, unchanged, when no relay took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance: Option<String>,
    /// How the last sending of the acceptance went, per relay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acceptance_sent: Vec<crate::relay::Publish>,
}

impl MarketSource {
    /// Whether the acceptance must be sent (again): accepted, and no relay
    /// has taken it yet.
    pub fn acceptance_unsent(&self) -> bool {
        self.acceptance.is_some()
            && !self
                .acceptance_sent
                .iter()
                .any(|p| matches!(p.status, crate::relay::PublishStatus::Accepted { .. }))
    }
}

/// Where an intent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum IntentStatus {
    /// Made, not sent to anyone yet.
    Draft,
    /// Sent to at least one brand.
    Sent,
    /// Offers came in.
    HasOffers,
    /// The person accepted an offer.
    Accepted,
    /// Ran out.
    Expired,
    /// The person withdrew it.
    Withdrawn,
}

impl IntentStatus {
    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::Draft => "draft",
            IntentStatus::Sent => "sent",
            IntentStatus::HasOffers => "has-offers",
            IntentStatus::Accepted => "accepted",
            IntentStatus::Expired => "expired",
            IntentStatus::Withdrawn => "withdrawn",
        }
    }
}

/// An intent with its status and offer count, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct IntentView {
    /// The intent.
    pub intent: Intent,
    /// Where it stands now.
    pub status: IntentStatus,
    /// Offers received.
    pub offers: usize,
    /// Offers may still be taken, and it may be sent ([`Intent::is_live`]).
    pub is_live: bool,
    /// It may be sent (again) now ([`Intent::can_resend`]).
    pub can_resend: bool,
    /// It may be withdrawn ([`Intent::can_withdraw`]).
    pub can_withdraw: bool,
}

/// What the person decided about an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum OfferDecision {
    /// Not decided.
    Open,
    /// Accepted.
    Accepted,
    /// Declined.
    Declined,
}

/// A brand's offer as the vault keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Offer {
    /// Local id (from the offer's `urn:uuid:`).
    pub id: OfferId,
    /// The intent it answers.
    pub intent: IntentId,
    /// The brand, among those the intent was sent to, whose known `did:key`
    /// signed it; `None` when the signer is not one of them (shown as
    /// unverified, never trusted silently).
    pub brand: Option<BrandId>,
    /// The signer's `did:key`.
    pub signer: String,
    /// The price (a decimal amount; a string in JSON).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ts", specta(type = String))]
    pub price: Decimal,
    /// The currency.
    pub currency: String,
    /// What the brand offers.
    pub description: Option<String>,
    /// Until when it stands.
    pub valid_until: Option<DateTime<Utc>>,
    /// When it was imported.
    pub received_at: DateTime<Utc>,
    /// What the person decided.
    pub decision: OfferDecision,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// The signed offer as received (JSON).
    pub document: String,
    /// Set when it came over relays, answering a broadcast intent: on an
    /// open market, a seller the person does not know yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketSource>,
}

/// An offer with the brand's name and whether it still stands, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct OfferView {
    /// The offer.
    pub offer: Offer,
    /// The brand's name, when the offer is verified.
    pub brand_name: Option<String>,
    /// Signed by the key of a brand the intent was sent to.
    pub verified: bool,
    /// Why it is not verified (signed by a brand the intent was not sent
    /// to, or by a key no brand has).
    pub unverified_reason: Option<String>,
    /// Past its validity.
    pub expired: bool,
    /// The lowest price among its intent's offers in its currency.
    pub cheapest: bool,
    /// How much more it costs than the cheapest of its intent's offers in
    /// its currency (zero for the cheapest; a string in JSON).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ts", specta(type = String))]
    pub above_cheapest: Decimal,
    /// It may be accepted now: open, verified, unexpired, and its intent
    /// live (what `Intents::accept_offer` checks).
    pub can_accept: bool,
    /// It may be declined now: still open.
    pub can_decline: bool,
    /// It came over relays, was accepted, and no relay took the acceptance
    /// yet: it may be sent again (`Intents::send_acceptance`).
    pub can_resend_acceptance: bool,
}

/// `what` is the field's name, in the message and for [`Error::field`].
pub(super) fn check_text(
    what: &str,
    s: &str,
    max: usize,
    required: bool,
) -> Result<Option<String>> {
    let t = s.trim();
    if t.is_empty() {
        return if required {
            Err(Error::invalid_field(
                what,
                format!("the intent needs a {what}"),
            ))
        } else {
            Ok(None)
        };
    }
    if t.chars().count() > max {
        return Err(Error::invalid_field(
            what,
            format!("the {what} may be at most {max} characters"),
        ));
    }
    Ok(Some(t.to_string()))
}

/// A calendar day written `YYYY-MM-DD`.
pub(super) fn parse_day(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if shape {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    } else {
        None
    }
}

/// The last second of a day, UTC: until when something running "until"
/// that day runs.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(23, 59, 59)
        .expect("23:59:59 is a time")
        .and_utc()
}

impl IntentForm {
    /// The intent to make from this form, checked as [`Intents::create`](crate::Intents::create)
    /// checks it (and as at `now`), or the first thing wrong with it, in the
    /// form's order.
    pub fn check_at(&self, now: DateTime<Utc>) -> Result<IntentInput> {
        let opt = |s: &str| Some(s.trim()).filter(|t| !t.is_empty()).map(str::to_string);
        check_text("category", &self.category, 100, true)?;
        check_text("description", &self.description, 2000, true)?;
        let quantity = match opt(&self.quantity) {
            None => None,
            Some(q) => Some(
                q.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| q.parse::<u32>().ok())
                    .flatten()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        Error::invalid_field(
                            "quantity",
                            format!("{q:?} is not a quantity (a whole number, 1 or more)"),
                        )
                    })?,
            ),
        };
        let budget_max = opt(&self.budget_max)
            .map(|b| parse_amount(&b))
            .transpose()
            .map_err(|e| e.for_field("budget_max"))?;
        let currency = opt(&self.currency);
        let needed_by = match opt(&self.needed_by) {
            None => None,
            Some(d) => Some(parse_day(&d).ok_or_else(|| {
                Error::invalid_field("needed_by", format!("{d:?} is not a day (like 2026-05-20)"))
            })?),
        };
        let expires_at = match opt(&self.valid_until) {
            None => {
                return Err(Error::invalid_field(
                    "valid_until",
                    "say until which day offers are welcome",
                ));
            }
            Some(d) => end_of_day(parse_day(&d).ok_or_else(|| {
                Error::invalid_field(
                    "valid_until",
                    format!("{d:?} is not a day (like 2026-05-20)"),
                )
            })?),
        };
        let input = checked(
            IntentInput {
                category: self.category.clone(),
                description: self.description.clone(),
                quantity,
                budget_max,
                currency,
                location: opt(&self.location),
                needed_by,
                expires_at,
                terms: None,
                brands: self.brands.clone(),
            },
            now,
        )
        // The form calls the intent's end its last day.
        .map_err(|e| match e.field() {
            Some("expires") => e.for_field("valid_until"),
            _ => e,
        })?;
        if input.brands.is_empty() && !self.broadcast {
            return Err(Error::invalid_field(
                "brands",
                "choose at least one brand to send it to, or broadcast it to your relays",
            ));
        }
        Ok(input)
    }

    /// [`IntentForm::check_at`] now.
    pub fn check(&self) -> Result<IntentInput> {
        self.check_at(Utc::now())
    }
}

/// `input` with its values checked and tidied (trimmed, the currency
/// upper-cased, the end to the second): what [`Intents::create`](crate::Intents::create) makes.
/// The brands are not looked up here.
pub(super) fn checked(input: IntentInput, now: DateTime<Utc>) -> Result<IntentInput> {
    let mut input = input;
    input.category = check_text("category", &input.category, 100, true)?.unwrap_or_default();
    // A category is a name, shown in lists and sent to brands: no
    // controls, no bidi or invisible characters (the description may).
    if input.category.chars().any(crate::model::text::is_hidden) {
        return Err(Error::invalid_field(
            "category",
            "the category cannot contain control characters or invisible formatting",
        ));
    }
    input.description =
        check_text("description", &input.description, 2000, true)?.unwrap_or_default();
    input.location = match &input.location {
        Some(l) => check_text("location", l, 200, false)?,
        None => None,
    };
    if input.quantity == Some(0) {
        return Err(Error::invalid_field(
            "quantity",
            "the quantity must be at least 1",
        ));
    }
    match (&input.budget_max, &input.currency) {
        (Some(b), Some(c)) => {
            input.budget_max = Some(check_amount(*b).map_err(|e| e.for_field("budget_max"))?);
            input.currency = Some(parse_currency(c).map_err(|e| e.for_field("currency"))?);
        }
        (None, None) => {}
        (None, Some(c)) => {
            input.currency = Some(parse_currency(c).map_err(|e| e.for_field("currency"))?)
        }
        (Some(_), None) => {
            return Err(Error::invalid_field(
                "currency",
                "a budget needs a currency (--currency EUR)",
            ));
        }
    }
    input.expires_at = secs(input.expires_at);
    if input.expires_at <= now {
        return Err(Error::invalid_field(
            "expires",
            "the intent must expire in the future",
        ));
    }
    if input.expires_at > now + chrono::Duration::days(MAX_INTENT_DAYS) {
        return Err(Error::invalid_field(
            "expires",
            "an intent may run at most a year",
        ));
    }
    Ok(input)
}

/// Why an offer is not verified; `None` when it is.
pub(super) fn unverified_reason(offer: &Offer, known: Option<&Brand>) -> Option<String> {
    if offer.brand.is_some() {
        return None;
    }
    Some(match known {
        Some(b) => format!(
            "signed by {}, a brand of yours this intent was not sent to",
            b.name
        ),
        None => match &offer.market {
            Some(m) => format!(
                "a seller on the open market you do not know yet: signed by {}{}",
                offer.signer,
                m.claimed_name
                    .as_deref()
                    .map(|n| format!(", which says it is \"{n}\" (unverified)"))
                    .unwrap_or_default()
            ),
            None => format!(
                "signed by {}, which is not the did:key of any brand of yours",
                offer.signer
            ),
        },
    })
}

pub(super) fn secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

impl Intent {
    /// Where it stands at `now`, given how many offers it has.
    pub fn status(&self, now: DateTime<Utc>, offers: usize) -> IntentStatus {
        if self.withdrawn_at.is_some() {
            IntentStatus::Withdrawn
        } else if self.accepted_offer.is_some() {
            IntentStatus::Accepted
        } else if now >= self.input.expires_at {
            IntentStatus::Expired
        } else if offers > 0 {
            IntentStatus::HasOffers
        } else if self
            .deliveries
            .iter()
            .any(|d| d.status == DeliveryStatus::Sent)
            || self.is_broadcast()
        {
            IntentStatus::Sent
        } else {
            IntentStatus::Draft
        }
    }

    /// Whether offers may still be taken.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.withdrawn_at.is_none() && self.accepted_offer.is_none() && now < self.input.expires_at
    }

    /// Whether to offer sending it (again) at `now`, given how many offers
    /// it has: live, and not sent yet or with a failed delivery.
    pub fn can_resend(&self, now: DateTime<Utc>, offers: usize) -> bool {
        self.is_live(now)
            && (self.status(now, offers) == IntentStatus::Draft
                || self
                    .deliveries
                    .iter()
                    .any(|d| d.status == DeliveryStatus::Failed))
    }

    /// Whether to offer withdrawing it: not withdrawn yet.
    pub fn can_withdraw(&self) -> bool {
        self.withdrawn_at.is_none()
    }

    /// Whether a relay holds its listing.
    pub fn is_broadcast(&self) -> bool {
        self.broadcasts.iter().any(|b| {
            b.kind == BroadcastKind::Listing && b.relays.iter().any(|r| r.status.is_accepted())
        })
    }
}

impl Offer {
    /// Whether it may be accepted at `now`, answering `intent`: open,
    /// signed by a brand the intent was sent to, unexpired, and the intent
    /// live. An offer that came over relays may be accepted from a seller the
    /// person does not know (shown unverified): on an open market most are
    /// new. [`Intents::accept_offer`](crate::Intents::accept_offer) refuses every other.
    pub fn can_accept(&self, intent: &Intent, now: DateTime<Utc>) -> bool {
        self.decision == OfferDecision::Open
            && (self.brand.is_some() || self.market.is_some())
            && !self.is_expired(now)
            && intent.is_live(now)
    }

    /// Whether it may be declined: not decided yet.
    pub fn can_decline(&self) -> bool {
        self.decision == OfferDecision::Open
    }

    /// Past its validity at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.valid_until.is_some_and(|u| now >= u)
    }
}
