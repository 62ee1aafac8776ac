//! Intentcasting: the person says what they want — signed, under a fresh
//! identity, sent only to the brands they choose — and brands answer with
//! signed offers that the person verifies, compares, accepts or declines.
//!
//! Each intent has its own Ed25519 key (its own `did:key`) and its own age
//! identity for encrypted replies, never the person's pairwise brand keys, so
//! brands cannot join an intent to what else they know. Nothing personal goes
//! in unless the person writes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto::bundle::{self, AgeIdentity};
use crate::crypto::did::SigningKey;
use crate::error::{Error, Result};
use crate::model::money::check_amount;
use crate::model::{Brand, BrandId, IntentId, OfferId};
use crate::proof;
use crate::terms::Template;
use crate::terms::agreement::{derived_uuid, urn_uuid};
use crate::vault::Vault;
use crate::vault::audit::AuditAction;
use crate::vault::features::Intents;
use crate::vault::fs::{AtomicFile, FileMode, OutFile, write_file};
use crate::vault::store;

const INTENT_KIND: &str = "intent";
const INTENT_KEY_KIND: &str = "intent-key";
const OFFER_KIND: &str = "offer";

/// The credential type of an intent.
pub const INTENT_REQUEST: &str = "IntentRequest";
/// The credential type of an intent's withdrawal.
pub const INTENT_WITHDRAWAL: &str = "IntentWithdrawal";
/// The credential type of a brand's offer.
pub const OFFER: &str = "Offer";
/// The credential type of the person's acceptance of an offer.
pub const OFFER_ACCEPTANCE: &str = "OfferAcceptance";
/// The credential type of the person's declining of an offer.
pub const OFFER_DECLINE: &str = "OfferDecline";

/// Longest an intent may run.
pub const MAX_INTENT_DAYS: i64 = 366;
/// How many times one delivery is tried over HTTP.
pub const DELIVERY_ATTEMPTS: u32 = 3;
/// Timeout of one HTTP delivery attempt.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// sends at once.
    pub brands: Vec<String>,
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
    /// live (what [`Intents::accept_offer`] checks).
    pub can_accept: bool,
    /// It may be declined now: still open.
    pub can_decline: bool,
}

#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct IntentKeys {
    /// Ed25519 seed, hex.
    seed: String,
    /// `AGE-SECRET-KEY-1…`.
    age: String,
}

impl std::fmt::Debug for IntentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntentKeys(***)")
    }
}

pub use crate::model::money::{Decimal, parse_amount, parse_currency};

/// `what` is the field's name, in the message and for [`Error::field`].
fn check_text(what: &str, s: &str, max: usize, required: bool) -> Result<Option<String>> {
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
fn parse_day(s: &str) -> Option<NaiveDate> {
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
    /// The intent to make from this form, checked as [`Intents::create`]
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
        if input.brands.is_empty() {
            return Err(Error::invalid_field(
                "brands",
                "choose at least one brand to send it to",
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
/// upper-cased, the end to the second): what [`Intents::create`] makes.
/// The brands are not looked up here.
fn checked(input: IntentInput, now: DateTime<Utc>) -> Result<IntentInput> {
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
fn unverified_reason(offer: &Offer, known: Option<&Brand>) -> Option<String> {
    if offer.brand.is_some() {
        return None;
    }
    Some(match known {
        Some(b) => format!(
            "signed by {}, a brand of yours this intent was not sent to",
            b.name
        ),
        None => format!(
            "signed by {}, which is not the did:key of any brand of yours",
            offer.signer
        ),
    })
}

fn secs(t: DateTime<Utc>) -> DateTime<Utc> {
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
}

impl Offer {
    /// Whether it may be accepted at `now`, answering `intent`: open,
    /// signed by a brand the intent was sent to, unexpired, and the intent
    /// live. [`Intents::accept_offer`] refuses every other.
    pub fn can_accept(&self, intent: &Intent, now: DateTime<Utc>) -> bool {
        self.decision == OfferDecision::Open
            && self.brand.is_some()
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

/// How an inbox took a posted document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// It stored it (2xx).
    Stored,
    /// It answered 409: it holds a document of this id already (a
    /// `vrm brand-kit serve` intake answers a replay so). Typically an
    /// earlier attempt reached it but its answer did not reach us (a
    /// timeout), so the document is delivered.
    AlreadyHeld,
}

/// The note kept with a delivery the inbox already held.
pub const ALREADY_HELD: &str = "already held by the inbox (it answered 409 to a repeat)";

/// Post a document to an inbox: [`DELIVERY_ATTEMPTS`] tries with backoff;
/// a 5xx or a network error is tried again; a 409 means the inbox holds it
/// already ([`Posted::AlreadyHeld`]); any other 4xx is final (the brand
/// refused it) and is the `Err`, with the inbox's answer.
///
/// Without the `http` feature, nothing is posted: the `Err` says so.
pub fn post_document(url: &str, body: &[u8]) -> std::result::Result<Posted, String> {
    #[cfg(not(feature = "http"))]
    {
        let _ = (url, body);
        Err(
            "this build of VRM Vault cannot post to an inbox (built without its `http` feature)"
                .into(),
        )
    }
    #[cfg(feature = "http")]
    post_with_retries(url, body)
}

#[cfg(feature = "http")]
fn post_with_retries(url: &str, body: &[u8]) -> std::result::Result<Posted, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(DELIVERY_TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut last = String::new();
    for attempt in 0..DELIVERY_ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(300 << attempt));
        }
        match agent
            .post(url)
            .header("Content-Type", "application/json")
            .send(body)
        {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                if (200..300).contains(&status) {
                    return Ok(Posted::Stored);
                }
                if status == 409 {
                    return Ok(Posted::AlreadyHeld);
                }
                let text = resp
                    .body_mut()
                    .with_config()
                    .limit(4096)
                    .read_to_string()
                    .unwrap_or_default();
                let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
                last = format!(
                    "the inbox answered {status}{}",
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(": {text}")
                    }
                );
                if (400..500).contains(&status) {
                    return Err(last);
                }
            }
            Err(e) => last = format!("cannot reach the inbox: {e}"),
        }
    }
    Err(last)
}

fn check_inbox(url: &str) -> Result<()> {
    if crate::model::is_http_url(url) {
        Ok(())
    } else {
        Err(Error::invalid_field(
            "inbox",
            format!("{url:?} is not an http(s) URL"),
        ))
    }
}

/// One brand to deliver to.
#[derive(Debug, Clone)]
struct Addressee {
    brand: BrandId,
    name: String,
    inbox: Option<String>,
    /// Its inbox took this document already.
    posted: bool,
}

/// An intent or withdrawal ready to deliver, taken out of the vault: the
/// delivery itself (HTTP may wait ~30 s for an unreachable brand) needs no
/// vault, so the app can lock meanwhile. [`Intents::prepare_send`] or
/// [`Intents::prepare_withdrawal`], then [`Outbox::deliver`], then
/// [`Intents::record_deliveries`].
#[derive(Debug, Clone)]
pub struct Outbox {
    intent: IntentId,
    /// Set for a withdrawal: when it was signed.
    withdrawal_at: Option<DateTime<Utc>>,
    document: String,
    addressees: Vec<Addressee>,
}

impl Outbox {
    /// Deliver: a file per brand into `out_dir` and/or an HTTP POST to each
    /// brand's inbox (when `http`). Every brand gets a line in the round.
    pub fn deliver(&self, out_dir: Option<&Path>, http: bool) -> Result<Vec<Delivery>> {
        if let Some(d) = out_dir
            && !d.is_dir()
        {
            return Err(Error::invalid_field(
                "out",
                format!("{} is not a folder", d.display()),
            ));
        }
        let (label, short) = (
            if self.withdrawal_at.is_some() {
                "withdrawal"
            } else {
                "intent"
            },
            self.intent.chars().take(8).collect::<String>(),
        );
        let mut out = Vec::new();
        for brand in &self.addressees {
            let mut any = false;
            if let Some(dir) = out_dir {
                any = true;
                let path: PathBuf =
                    dir.join(format!("{label}-{short}-{}.json", file_safe(&brand.name)));
                let result = write_file(
                    OutFile::replace(&path),
                    FileMode::Private,
                    self.document.as_bytes(),
                );
                out.push(Delivery {
                    brand: brand.brand.clone(),
                    status: if result.is_ok() {
                        DeliveryStatus::Sent
                    } else {
                        DeliveryStatus::Failed
                    },
                    to: path.display().to_string(),
                    reason: result.err().map(|e| e.to_string()),
                    at: Utc::now(),
                });
            }
            if http && let Some(url) = &brand.inbox {
                any = true;
                if brand.posted {
                    out.push(Delivery {
                        brand: brand.brand.clone(),
                        status: DeliveryStatus::Sent,
                        to: url.clone(),
                        reason: Some("its inbox has it already; not posted again".into()),
                        at: Utc::now(),
                    });
                } else {
                    let result = check_inbox(url)
                        .map_err(|e| e.to_string())
                        .and_then(|_| post_document(url, self.document.as_bytes()));
                    let (status, reason) = match result {
                        Ok(Posted::Stored) => (DeliveryStatus::Sent, None),
                        Ok(Posted::AlreadyHeld) => {
                            (DeliveryStatus::Sent, Some(ALREADY_HELD.to_string()))
                        }
                        Err(why) => (DeliveryStatus::Failed, Some(why)),
                    };
                    out.push(Delivery {
                        brand: brand.brand.clone(),
                        status,
                        to: url.clone(),
                        reason,
                        at: Utc::now(),
                    });
                }
            }
            if !any {
                out.push(Delivery {
                    brand: brand.brand.clone(),
                    status: DeliveryStatus::Failed,
                    to: String::new(),
                    reason: Some(format!(
                        "{} has no inbox URL; write a file to hand over instead",
                        brand.name
                    )),
                    at: Utc::now(),
                });
            }
        }
        Ok(out)
    }
}

fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "brand".into()
    } else {
        s.chars().take(40).collect()
    }
}

impl Intents<'_> {
    fn intent_keys(&self, intent_id: &str) -> Result<(SigningKey, AgeIdentity)> {
        let row = store::doc(self.vault.conn(), INTENT_KEY_KIND, intent_id)?
            .ok_or_else(|| Error::Corrupt(format!("the keys of intent {intent_id} are missing")))?;
        let keys: IntentKeys = self.vault.open_doc(&row)?;
        let seed = zeroize::Zeroizing::new(
            data_encoding::HEXLOWER
                .decode(keys.seed.as_bytes())
                .map_err(|_| Error::Corrupt("a stored intent key is malformed".into()))?,
        );
        let seed: &[u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| Error::Corrupt("a stored intent key is malformed".into()))?;
        Ok((SigningKey::from_seed(seed), AgeIdentity::parse(&keys.age)?))
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
        let mut subject = json!({
            "intentId": format!("urn:uuid:{id}"),
            "category": input.category,
            "description": input.description,
            "replyTo": { "ageRecipient": reply.recipient() },
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
            input,
        };
        let keys = IntentKeys {
            seed: data_encoding::HEXLOWER.encode(key.seed()),
            age: {
                use secrecy::ExposeSecret;
                reply.to_secret_string().expose_secret().to_string()
            },
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
                    (None, None) => "unverified signer",
                }
            ),
        )?;
        tx.commit()?;
        // As listed: compared with the intent's other offers.
        self.offers(Some(&intent.id))?
            .into_iter()
            .find(|v| v.offer.id == id)
            .ok_or_else(|| Error::Corrupt(format!("offer {id} is missing once imported")))
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
                    offer: offer.clone(),
                }
            })
            .collect();
        Ok(views)
    }

    fn offer(&self, id: &str) -> Result<Offer> {
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
            if offer.brand.is_none() {
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
    let offer =
        proof::issue_credential(OFFER, key, uuid::Uuid::new_v4(), secs(now), until, subject)?;
    Ok((offer, reply_to))
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The app's clock in these tests: 10 May 2026, noon UTC.
    fn now() -> DateTime<Utc> {
        at("2026-05-10T12:00:00Z")
    }

    /// A form that holds: a bicycle, for brand b1, offers welcome for a week.
    fn form() -> IntentForm {
        IntentForm {
            category: "bicycle".into(),
            description: "A city bike, 54 cm frame".into(),
            currency: "EUR".into(),
            valid_until: "2026-05-17".into(),
            brands: vec!["b1".into()],
            ..Default::default()
        }
    }

    fn refused(f: IntentForm) -> String {
        f.check_at(now())
            .expect_err("the form must be refused")
            .to_string()
    }

    // The compose form's checks, moved here from the app (ui/tests):
    // the same cases, the same outcomes.

    #[test]
    fn a_filled_form_is_trimmed_upper_cased_and_runs_to_the_end_of_its_last_day() {
        let input = IntentForm {
            quantity: " 2 ".into(),
            budget_max: "300.5".into(),
            currency: "eur".into(),
            location: " Lyon ".into(),
            needed_by: "2026-05-20".into(),
            ..form()
        }
        .check_at(now())
        .unwrap();
        assert_eq!(
            input,
            IntentInput {
                category: "bicycle".into(),
                description: "A city bike, 54 cm frame".into(),
                quantity: Some(2),
                budget_max: Some(parse_amount("300.5").unwrap()),
                currency: Some("EUR".into()),
                location: Some("Lyon".into()),
                needed_by: Some(NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()),
                expires_at: at("2026-05-17T23:59:59Z"),
                terms: None,
                brands: vec!["b1".into()],
            }
        );
        assert_eq!(input.budget_max.unwrap().to_string(), "300.5");
    }

    #[test]
    fn empty_optional_values_are_left_out_and_a_lone_currency_is_kept() {
        let input = form().check_at(now()).unwrap();
        assert_eq!(
            (
                input.quantity,
                input.budget_max,
                &input.location,
                input.needed_by
            ),
            (None, None, &None, None)
        );
        // A currency with no budget is harmless; it is kept.
        assert_eq!(input.currency.as_deref(), Some("EUR"));
        let none = IntentForm {
            currency: String::new(),
            ..form()
        };
        assert_eq!(none.check_at(now()).unwrap().currency, None);
    }

    #[test]
    fn what_is_missing_or_malformed_is_refused_and_said() {
        let cases: [(IntentForm, &str); 9] = [
            (
                IntentForm {
                    category: " ".into(),
                    ..form()
                },
                "needs a category",
            ),
            (
                IntentForm {
                    description: String::new(),
                    ..form()
                },
                "needs a description",
            ),
            (
                IntentForm {
                    quantity: "0".into(),
                    ..form()
                },
                "not a quantity",
            ),
            (
                IntentForm {
                    quantity: "1.5".into(),
                    ..form()
                },
                "not a quantity",
            ),
            (
                IntentForm {
                    budget_max: "12,50".into(),
                    ..form()
                },
                "not an amount",
            ),
            (
                IntentForm {
                    budget_max: "10".into(),
                    currency: "EU".into(),
                    ..form()
                },
                "not an ISO 4217 currency code",
            ),
            (
                IntentForm {
                    needed_by: "2026-02-30".into(),
                    ..form()
                },
                "not a day",
            ),
            (
                IntentForm {
                    valid_until: String::new(),
                    ..form()
                },
                "until which day",
            ),
            (
                IntentForm {
                    brands: vec![],
                    ..form()
                },
                "at least one brand",
            ),
        ];
        for (f, said) in cases {
            let e = refused(f.clone());
            assert!(e.contains(said), "{f:?}: {e:?} should say {said:?}");
        }
        // All at once: the first, in the form's order.
        let empty = IntentForm {
            quantity: "0".into(),
            budget_max: "12,50".into(),
            currency: "EU".into(),
            needed_by: "2026-02-30".into(),
            ..Default::default()
        };
        assert!(refused(empty).contains("needs a category"));
    }

    #[test]
    fn a_refused_form_names_the_form_field_at_fault() {
        let field = |f: IntentForm| {
            f.check_at(now())
                .expect_err("the form must be refused")
                .field()
                .map(str::to_string)
        };
        for (f, name) in [
            (
                IntentForm {
                    category: " ".into(),
                    ..form()
                },
                "category",
            ),
            (
                IntentForm {
                    quantity: "1.5".into(),
                    ..form()
                },
                "quantity",
            ),
            (
                IntentForm {
                    budget_max: "12,50".into(),
                    ..form()
                },
                "budget_max",
            ),
            (
                IntentForm {
                    budget_max: "10".into(),
                    currency: "XYZ".into(),
                    ..form()
                },
                "currency",
            ),
            (
                IntentForm {
                    needed_by: "2026-02-30".into(),
                    ..form()
                },
                "needed_by",
            ),
            (
                IntentForm {
                    valid_until: String::new(),
                    ..form()
                },
                "valid_until",
            ),
            (
                IntentForm {
                    valid_until: "2026-05-09".into(),
                    ..form()
                },
                "valid_until",
            ),
            (
                IntentForm {
                    brands: vec![],
                    ..form()
                },
                "brands",
            ),
        ] {
            assert_eq!(field(f.clone()).as_deref(), Some(name), "{f:?}");
        }
    }

    #[test]
    fn a_budget_needs_a_currency_and_the_end_is_from_today_to_a_year() {
        let e = refused(IntentForm {
            budget_max: "10".into(),
            currency: " ".into(),
            ..form()
        });
        assert!(e.contains("needs a currency"), "{e}");
        // A made-up code is not a currency.
        let e = refused(IntentForm {
            budget_max: "10".into(),
            currency: "XYZ".into(),
            ..form()
        });
        assert!(e.contains("ISO 4217"), "{e}");
        let past = refused(IntentForm {
            valid_until: "2026-05-09".into(),
            ..form()
        });
        assert!(past.contains("future"), "{past}");
        let today = IntentForm {
            valid_until: "2026-05-10".into(),
            ..form()
        };
        assert_eq!(
            today.check_at(now()).unwrap().expires_at,
            at("2026-05-10T23:59:59Z")
        );
        let long = refused(IntentForm {
            valid_until: "2027-06-01".into(),
            ..form()
        });
        assert_eq!(long, "an intent may run at most a year");
    }

    // What the app may offer to do, moved here from the app's canResend,
    // isLive and offer cards.

    fn delivery(brand: &str, status: DeliveryStatus) -> Delivery {
        Delivery {
            brand: brand.into(),
            status,
            to: "http://127.0.0.1:9/".into(),
            reason: None,
            at: at("2026-05-10T10:00:00Z"),
        }
    }

    fn intent(deliveries: Vec<Delivery>) -> Intent {
        Intent {
            id: "i1".into(),
            input: IntentInput {
                expires_at: at("2026-05-17T23:59:59Z"),
                ..Default::default()
            },
            brands: vec!["b1".into(), "b2".into()],
            did: "did:key:z6MkIntent".into(),
            reply_to: "age1reply".into(),
            created_at: at("2026-05-10T09:00:00Z"),
            document: "{}".into(),
            deliveries,
            withdrawn_at: None,
            withdrawal_deliveries: vec![],
            withdrawal: None,
            accepted_offer: None,
        }
    }

    #[test]
    fn a_resend_is_offered_only_for_a_live_intent_not_sent_yet_or_with_a_failed_delivery() {
        let sent = intent(vec![delivery("b1", DeliveryStatus::Sent)]);
        assert_eq!(sent.status(now(), 0), IntentStatus::Sent);
        assert!(!sent.can_resend(now(), 0));
        let draft = intent(vec![]);
        assert_eq!(draft.status(now(), 0), IntentStatus::Draft);
        assert!(draft.can_resend(now(), 0));
        let failed = intent(vec![
            delivery("b1", DeliveryStatus::Sent),
            delivery("b2", DeliveryStatus::Failed),
        ]);
        assert_eq!(failed.status(now(), 0), IntentStatus::Sent);
        assert!(failed.can_resend(now(), 0));
        let withdrawn = Intent {
            withdrawn_at: Some(now()),
            ..failed.clone()
        };
        assert_eq!(withdrawn.status(now(), 0), IntentStatus::Withdrawn);
        assert!(!withdrawn.can_resend(now(), 0));
        assert!(!withdrawn.can_withdraw() && failed.can_withdraw());
    }

    #[test]
    fn an_intent_is_live_only_while_draft_sent_or_with_offers() {
        let sent = intent(vec![delivery("b1", DeliveryStatus::Sent)]);
        let accepted = Intent {
            accepted_offer: Some("o1".into()),
            ..sent.clone()
        };
        let withdrawn = Intent {
            withdrawn_at: Some(now()),
            ..sent.clone()
        };
        let later = at("2026-05-18T00:00:00Z");
        for (i, when, offers, status) in [
            (intent(vec![]), now(), 0, IntentStatus::Draft),
            (sent.clone(), now(), 0, IntentStatus::Sent),
            (sent.clone(), now(), 2, IntentStatus::HasOffers),
            (accepted, now(), 2, IntentStatus::Accepted),
            (sent, later, 0, IntentStatus::Expired),
            (withdrawn, now(), 0, IntentStatus::Withdrawn),
        ] {
            assert_eq!(i.status(when, offers), status);
            assert_eq!(
                i.is_live(when),
                matches!(
                    status,
                    IntentStatus::Draft | IntentStatus::Sent | IntentStatus::HasOffers
                ),
                "{status:?}"
            );
        }
    }

    fn offer(brand: Option<&str>) -> Offer {
        Offer {
            id: "o1".into(),
            intent: "i1".into(),
            brand: brand.map(BrandId::from),
            signer: "did:key:z6MkBrand".into(),
            price: parse_amount("5").unwrap(),
            currency: "EUR".into(),
            description: None,
            valid_until: Some(at("2026-05-17T21:59:59Z")),
            received_at: at("2026-05-11T08:00:00Z"),
            decision: OfferDecision::Open,
            decided_at: None,
            document: "{}".into(),
        }
    }

    #[test]
    fn only_an_open_verified_unexpired_offer_of_a_live_intent_can_be_accepted() {
        let live = intent(vec![delivery("b1", DeliveryStatus::Sent)]);
        let ok = offer(Some("b1"));
        assert!(ok.can_accept(&live, now()) && ok.can_decline());
        // Signed by a key of no brand the intent was sent to.
        let unverified = offer(None);
        assert!(!unverified.can_accept(&live, now()) && unverified.can_decline());
        // Expired.
        let late = at("2026-05-17T22:00:00Z");
        assert!(ok.is_expired(late) && !ok.can_accept(&live, late));
        // Decided, and an intent that no longer takes offers.
        let accepted_intent = Intent {
            accepted_offer: Some("o2".into()),
            ..live.clone()
        };
        assert!(!ok.can_accept(&accepted_intent, now()) && ok.can_decline());
        let decided = Offer {
            decision: OfferDecision::Accepted,
            ..offer(Some("b1"))
        };
        assert!(!decided.can_accept(&accepted_intent, now()) && !decided.can_decline());
    }

    fn input() -> IntentInput {
        IntentInput {
            category: "bicycle".into(),
            description: "a city bike".into(),
            quantity: None,
            budget_max: Some(parse_amount("400").unwrap()),
            currency: Some("EUR".into()),
            location: None,
            needed_by: None,
            expires_at: Utc::now() + chrono::Duration::days(7),
            terms: None,
            brands: vec![],
        }
    }

    #[test]
    fn an_invalid_intent_names_the_field_at_fault() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut vault, _) = Vault::create(
            &tmp.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let now = Utc::now();
        for (change, field) in [
            (
                (|i: &mut IntentInput| i.budget_max = Some(Decimal::new(-1, 0)))
                    as fn(&mut IntentInput),
                "budget_max",
            ),
            (|i| i.currency = Some("EURO".into()), "currency"),
            (|i| i.currency = None, "currency"),
            (|i| i.category = " ".into(), "category"),
            (|i| i.description = "x".repeat(2001), "description"),
            (|i| i.quantity = Some(0), "quantity"),
        ] {
            let mut i = input();
            change(&mut i);
            let e = vault.intents().create(&i).unwrap_err();
            assert_eq!(e.code(), "input.invalid", "{e}");
            assert_eq!(e.field(), Some(field), "{e}");
        }
        for expires_at in [
            now - chrono::Duration::hours(1),
            now + chrono::Duration::days(400),
        ] {
            let e = vault
                .intents()
                .create(&IntentInput {
                    expires_at,
                    ..input()
                })
                .unwrap_err();
            assert_eq!(e.field(), Some("expires"), "{e}");
        }
        // The intent as given is fine: the checks above failed on their field.
        let made = vault.intents().create(&input()).unwrap();
        let e = vault.intents().prepare_send(&made.id).unwrap_err();
        assert_eq!(e.field(), Some("brand"), "{e}");
    }
}
