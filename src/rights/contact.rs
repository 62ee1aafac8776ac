//! The contact rules of personal terms (the "recently rule"): on which
//! channels, how often and for what a brand may contact the person, and which
//! logged contacts broke those rules.
//!
//! Contacts are interaction records (see [`crate::model`]), whose `channel`,
//! `direction` and `purpose` fields are plain words there. [`Channel`],
//! [`Direction`] and [`ContactPurpose`] are those words as types; they parse
//! exactly the spellings the record checks accept ([`crate::model::CHANNELS`],
//! [`crate::model::DIRECTIONS`], [`crate::model::PURPOSES`]).
//!
//! # How [`violations`] reads the rules
//!
//! Only inbound contacts (the brand contacting the person) are judged;
//! outbound ones are the person's own business.
//!
//! - **Too many.** Contacts are put in a fixed order: by date, then (on the
//!   same day) by channel, direction, purpose and record id, so the result
//!   does not depend on the order they were logged in. The window of a
//!   contact on day `d` is the `per_days` calendar days ending on `d`,
//!   both ends included: `d - (per_days - 1) ..= d`. A contact breaks the
//!   rule when, counting itself and the inbound contacts before it in that
//!   order, more than `max_contacts` fall in its window. So with 2 per 7
//!   days, contacts on the 1st, 3rd and 7th break it on the 7th, while the
//!   1st, 3rd and 8th do not (the 1st is outside the 8th's window). Every
//!   inbound contact counts, whatever its channel or purpose, and so does
//!   one that breaks another rule.
//! - **Channel.** An inbound contact on a channel the rules do not list.
//! - **Marketing.** `marketing` breaks the rules unless marketing is allowed.
//!   `sales` is selling the person did not ask for, so it needs marketing to
//!   be allowed *and* counts as a cross-offer: with marketing allowed but
//!   cross-offers not, it is a [`ViolationKind::CrossOfferNotAllowed`]. An
//!   offer the person asked for (such as a reply to an intentcast under the
//!   `PDC-INTENT` template) is logged as `service`, not `sales`.
//!
//! One contact can break several rules; each gives its own [`Violation`].

use std::fmt;
use std::str::FromStr;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Record, RecordId, RecordKind};

/// Most contacts per window one may allow.
pub const MAX_CONTACTS: u32 = 1000;
/// Longest window, in days.
pub const MAX_PER_DAYS: u32 = 365;

/// Parse one of a fixed set of words, ignoring case and surrounding space.
/// `what` names the field, in the message and for [`Error::field`].
fn parse_word<T: Copy>(s: &str, all: &[T], word: fn(T) -> &'static str, what: &str) -> Result<T> {
    let s = s.trim().to_ascii_lowercase();
    all.iter().copied().find(|v| word(*v) == s).ok_or_else(|| {
        let words: Vec<&str> = all.iter().map(|v| word(*v)).collect();
        Error::invalid_field(
            what,
            format!("unknown {what} {s:?}; use one of: {}", words.join(", ")),
        )
    })
}

/// Where a contact happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
// In TypeScript `Channel` is Tauri's IPC channel: this one is
// `ContactChannel` there (the name of a unit-variant enum is not in its JSON).
#[cfg_attr(feature = "ts", derive(specta::Type), serde(rename = "ContactChannel"))]
pub enum Channel {
    /// A phone or video call.
    Call,
    /// A chat (web chat, messenger).
    Chat,
    /// An email.
    Email,
    /// A social network (a post, a direct message).
    Social,
    /// In person, in a shop.
    InStore,
    /// A letter by post.
    Letter,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Channel; 6] = [
        Channel::Call,
        Channel::Chat,
        Channel::Email,
        Channel::Social,
        Channel::InStore,
        Channel::Letter,
    ];

    /// The channel's id, as written in interaction records.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Call => "call",
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Social => "social",
            Channel::InStore => "in-store",
            Channel::Letter => "letter",
        }
    }

    /// A few words for a human.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Call => "phone call",
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Social => "social media",
            Channel::InStore => "in person in a shop",
            Channel::Letter => "letter",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        parse_word(s, &Channel::ALL, Channel::as_str, "channel")
    }
}

/// Who started a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Direction {
    /// The brand contacted the person.
    Inbound,
    /// The person contacted the brand.
    Outbound,
}

impl Direction {
    /// Both directions.
    pub const ALL: [Direction; 2] = [Direction::Inbound, Direction::Outbound];

    /// The direction's id, as written in interaction records.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Direction {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        parse_word(s, &Direction::ALL, Direction::as_str, "direction")
    }
}

/// Why a brand made contact (the `purpose` of an interaction record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum ContactPurpose {
    /// About the service the person has or asked for (including an offer the
    /// person asked for).
    Service,
    /// Support the person asked for.
    Support,
    /// A bill, a payment, a refund.
    Billing,
    /// Promotion the person did not ask for.
    Marketing,
    /// Trying to sell something the person did not ask for (a cross-offer).
    Sales,
    /// Anything else.
    Other,
}

impl ContactPurpose {
    /// Every purpose, in display order.
    pub const ALL: [ContactPurpose; 6] = [
        ContactPurpose::Service,
        ContactPurpose::Support,
        ContactPurpose::Billing,
        ContactPurpose::Marketing,
        ContactPurpose::Sales,
        ContactPurpose::Other,
    ];

    /// The purpose's id, as written in interaction records.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactPurpose::Service => "service",
            ContactPurpose::Support => "support",
            ContactPurpose::Billing => "billing",
            ContactPurpose::Marketing => "marketing",
            ContactPurpose::Sales => "sales",
            ContactPurpose::Other => "other",
        }
    }
}

impl fmt::Display for ContactPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContactPurpose {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        parse_word(s, &ContactPurpose::ALL, ContactPurpose::as_str, "purpose")
    }
}

/// How a brand may contact the person (a clause of personal terms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ContactRules {
    /// The channels the brand may use (none: no channel).
    pub channels: Vec<Channel>,
    /// At most this many inbound contacts in any `per_days` days (0: none).
    pub max_contacts: u32,
    /// The length of the window, in days.
    pub per_days: u32,
    /// Whether the brand may send marketing.
    pub marketing_allowed: bool,
    /// Whether the brand may offer what the person did not ask for.
    pub cross_offers_allowed: bool,
}

impl ContactRules {
    /// Check the values: `max_contacts` 0..=1000, `per_days` 1..=365, no
    /// channel twice.
    pub fn validate(&self) -> Result<()> {
        if self.max_contacts > MAX_CONTACTS {
            return Err(Error::invalid_field(
                "contact.maxContacts",
                format!("contact rules: at most {MAX_CONTACTS} contacts per window"),
            ));
        }
        if !(1..=MAX_PER_DAYS).contains(&self.per_days) {
            return Err(Error::invalid_field(
                "contact.perDays",
                format!("contact rules: the window is 1 to {MAX_PER_DAYS} days"),
            ));
        }
        for (i, c) in self.channels.iter().enumerate() {
            if self.channels[..i].contains(c) {
                return Err(Error::invalid_field(
                    "contact.channels",
                    format!("contact rules: the channel {c} is listed twice"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the brand may contact the person on `channel`.
    pub fn allows_channel(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }
}

/// One logged contact between the person and a brand.
///
/// The derived order (date, channel, direction, purpose, record) is the one
/// [`violations`] counts in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ContactEvent {
    /// The day it happened.
    pub at: NaiveDate,
    /// Where.
    pub channel: Channel,
    /// Who started it.
    pub direction: Direction,
    /// Why, if known.
    #[serde(default)]
    pub purpose: Option<ContactPurpose>,
    /// The interaction record it comes from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordId>,
}

impl ContactEvent {
    /// The contact an interaction record logs; `None` for other kinds, or if
    /// its channel or direction is missing or unknown. An unknown purpose is
    /// read as no purpose.
    pub fn from_record(r: &Record) -> Option<ContactEvent> {
        if r.kind != RecordKind::Interaction {
            return None;
        }
        Some(ContactEvent {
            at: r.date(),
            channel: r.fields.get("channel")?.parse().ok()?,
            direction: r.fields.get("direction")?.parse().ok()?,
            purpose: r.fields.get("purpose").and_then(|p| p.parse().ok()),
            record: Some(r.id.clone()),
        })
    }
}

/// Which rule a contact broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum ViolationKind {
    /// More inbound contacts in the window than the rules allow.
    TooMany {
        /// This contact's number in its window.
        count: u32,
        /// The most the rules allow.
        max: u32,
        /// The window, in days.
        per_days: u32,
    },
    /// A channel the rules do not list.
    ChannelNotAllowed {
        /// The channel used.
        channel: Channel,
    },
    /// Marketing or sales when marketing is not allowed.
    MarketingNotAllowed {
        /// `marketing` or `sales`.
        purpose: ContactPurpose,
    },
    /// A sales contact when marketing is allowed but cross-offers are not.
    CrossOfferNotAllowed,
}

/// A contact that broke the person's contact rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Violation {
    /// The day of the contact.
    pub at: NaiveDate,
    /// The rule it broke.
    pub rule: ViolationKind,
    /// The interaction record of the contact, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordId>,
    /// One line for a human.
    pub description: String,
}

impl Violation {
    fn new(e: &ContactEvent, rule: ViolationKind) -> Violation {
        Violation {
            at: e.at,
            rule,
            record: e.record.clone(),
            description: describe(e.at, rule),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

/// "1 day", "7 days".
pub(crate) fn days(n: u32) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

fn describe(at: NaiveDate, rule: ViolationKind) -> String {
    match rule {
        ViolationKind::TooMany {
            count,
            max: 0,
            per_days: _,
        } => format!("{at}: contact number {count}, but your terms allow no contact"),
        ViolationKind::TooMany {
            count,
            max,
            per_days,
        } => format!(
            "{at}: contact number {count} within {}, but your terms allow at most {max}",
            days(per_days)
        ),
        ViolationKind::ChannelNotAllowed { channel } => format!(
            "{at}: contacted you by {}, a channel your terms do not allow",
            channel.label()
        ),
        ViolationKind::MarketingNotAllowed { purpose } => {
            format!("{at}: a {purpose} contact, but your terms do not allow marketing")
        }
        ViolationKind::CrossOfferNotAllowed => {
            format!("{at}: a sales contact, but your terms do not allow cross-offers")
        }
    }
}

/// The contacts in `events` that break `rules` (see the module docs for how
/// each rule is read), in the order the contacts are counted in, and for one
/// contact in the order: too many, channel, marketing.
///
/// Events may come in any order; the result does not depend on it. The rules
/// are not validated here: a window of 0 days is read as 1 day.
pub fn violations(rules: &ContactRules, events: &[ContactEvent]) -> Vec<Violation> {
    let mut inbound: Vec<&ContactEvent> = events
        .iter()
        .filter(|e| e.direction == Direction::Inbound)
        .collect();
    inbound.sort();
    let back = Days::new(u64::from(rules.per_days.max(1) - 1));
    let mut out = Vec::new();
    // Index of the earliest contact inside the current window: windows only
    // move forward, so it only moves forward too.
    let mut first = 0;
    for (i, e) in inbound.iter().enumerate() {
        let start = e.at.checked_sub_days(back).unwrap_or(NaiveDate::MIN);
        // Stops at i at the latest, since e itself is in its own window.
        while first < i && inbound[first].at < start {
            first += 1;
        }
        let count = u32::try_from(i - first + 1).unwrap_or(u32::MAX);
        if count > rules.max_contacts {
            out.push(Violation::new(
                e,
                ViolationKind::TooMany {
                    count,
                    max: rules.max_contacts,
                    per_days: rules.per_days,
                },
            ));
        }
        if !rules.allows_channel(e.channel) {
            out.push(Violation::new(
                e,
                ViolationKind::ChannelNotAllowed { channel: e.channel },
            ));
        }
        let selling = match e.purpose {
            Some(p @ (ContactPurpose::Marketing | ContactPurpose::Sales))
                if !rules.marketing_allowed =>
            {
                Some(ViolationKind::MarketingNotAllowed { purpose: p })
            }
            Some(ContactPurpose::Sales) if !rules.cross_offers_allowed => {
                Some(ViolationKind::CrossOfferNotAllowed)
            }
            _ => None,
        };
        if let Some(rule) = selling {
            out.push(Violation::new(e, rule));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use proptest::prelude::*;

    use super::*;
    use crate::model;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn inbound(d: u32) -> ContactEvent {
        ContactEvent {
            at: day(d),
            channel: Channel::Email,
            direction: Direction::Inbound,
            purpose: None,
            record: None,
        }
    }

    fn rules(max: u32, per_days: u32) -> ContactRules {
        ContactRules {
            channels: vec![Channel::Email],
            max_contacts: max,
            per_days,
            marketing_allowed: false,
            cross_offers_allowed: false,
        }
    }

    fn too_many_days(v: &[Violation]) -> Vec<u32> {
        use chrono::Datelike;
        v.iter()
            .filter(|v| matches!(v.rule, ViolationKind::TooMany { .. }))
            .map(|v| v.at.day())
            .collect()
    }

    #[test]
    fn the_words_are_the_ones_interaction_records_accept() {
        assert_eq!(
            Channel::ALL.map(Channel::as_str).as_slice(),
            model::CHANNELS
        );
        assert_eq!(
            Direction::ALL.map(Direction::as_str).as_slice(),
            model::DIRECTIONS
        );
        assert_eq!(
            ContactPurpose::ALL.map(ContactPurpose::as_str).as_slice(),
            model::PURPOSES
        );
        // serde writes the same words.
        for c in Channel::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for p in ContactPurpose::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert_eq!(serde_json::to_value(Direction::Inbound).unwrap(), "inbound");
        assert_eq!(" In-Store ".parse::<Channel>().unwrap(), Channel::InStore);
        let err = "pigeon".parse::<Channel>().unwrap_err();
        assert_eq!(err.code(), "input.invalid");
        assert!(err.to_string().contains("in-store"), "{err}");
        assert!("sideways".parse::<Direction>().is_err());
        assert!("spam".parse::<ContactPurpose>().is_err());
    }

    #[test]
    fn rules_are_validated() {
        assert!(rules(2, 30).validate().is_ok());
        assert!(rules(0, 1).validate().is_ok());
        assert!(rules(1000, 365).validate().is_ok());
        assert!(rules(1001, 30).validate().is_err());
        assert!(rules(2, 0).validate().is_err());
        assert!(rules(2, 366).validate().is_err());
        let mut twice = rules(2, 30);
        twice.channels = vec![Channel::Email, Channel::Call, Channel::Email];
        let err = twice.validate().unwrap_err();
        assert!(err.to_string().contains("email"), "{err}");
    }

    #[test]
    fn exactly_max_is_allowed_and_one_more_is_not() {
        let r = rules(2, 7);
        assert!(violations(&r, &[inbound(1), inbound(3)]).is_empty());
        let v = violations(&r, &[inbound(1), inbound(3), inbound(5)]);
        assert_eq!(too_many_days(&v), vec![5]);
        assert_eq!(
            v[0].rule,
            ViolationKind::TooMany {
                count: 3,
                max: 2,
                per_days: 7
            }
        );
    }

    #[test]
    fn the_window_is_per_days_long_with_both_ends_included() {
        let r = rules(1, 7);
        // The 1st and the 7th share the window 1..=7.
        assert_eq!(
            too_many_days(&violations(&r, &[inbound(1), inbound(7)])),
            [7]
        );
        // The 8th's window is 2..=8: the 1st has left it.
        assert!(violations(&r, &[inbound(1), inbound(8)]).is_empty());
        // A one-day window only holds that day.
        let r = rules(1, 1);
        assert!(violations(&r, &[inbound(1), inbound(2)]).is_empty());
        assert_eq!(
            too_many_days(&violations(&r, &[inbound(2), inbound(2)])),
            [2]
        );
    }

    #[test]
    fn the_window_slides() {
        // 2 per 7 days: 1, 3 fine; 7 is the third in 1..=7; 9 is the third in
        // 3..=9 (3, 7, 9); 12 has 7, 9, 12 in 6..=12; 20 is alone.
        let r = rules(2, 7);
        let ev: Vec<_> = [1, 3, 7, 9, 12, 20].map(inbound).into();
        assert_eq!(too_many_days(&violations(&r, &ev)), [7, 9, 12]);
    }

    #[test]
    fn same_day_contacts_count_one_after_another() {
        let r = rules(2, 30);
        let v = violations(&r, &[inbound(4), inbound(4), inbound(4), inbound(4)]);
        let counts: Vec<u32> = v
            .iter()
            .filter_map(|v| match v.rule {
                ViolationKind::TooMany { count, .. } => Some(count),
                _ => None,
            })
            .collect();
        assert_eq!(counts, [3, 4], "only the contacts beyond the limit");
    }

    #[test]
    fn zero_allowed_means_every_inbound_contact_is_too_many() {
        let v = violations(&rules(0, 30), &[inbound(1), inbound(20)]);
        assert_eq!(too_many_days(&v), [1, 20]);
        assert!(v[0].description.contains("allow no contact"), "{}", v[0]);
    }

    #[test]
    fn unsorted_input_gives_the_sorted_answer() {
        let r = rules(2, 7);
        let sorted: Vec<_> = [1, 3, 5, 6, 20].map(inbound).into();
        let shuffled: Vec<_> = [20, 5, 1, 6, 3].map(inbound).into();
        assert_eq!(violations(&r, &sorted), violations(&r, &shuffled));
        assert_eq!(too_many_days(&violations(&r, &shuffled)), [5, 6]);
    }

    #[test]
    fn outbound_contacts_are_ignored() {
        let r = rules(1, 7);
        let mut out = inbound(2);
        out.direction = Direction::Outbound;
        out.channel = Channel::Letter;
        out.purpose = Some(ContactPurpose::Marketing);
        assert!(violations(&r, &[inbound(1), out.clone(), out]).is_empty());
    }

    #[test]
    fn channels_not_listed_are_violations() {
        let mut call = inbound(1);
        call.channel = Channel::Call;
        let v = violations(&rules(5, 7), &[call, inbound(2)]);
        assert_eq!(v.len(), 1);
        assert_eq!(
            v[0].rule,
            ViolationKind::ChannelNotAllowed {
                channel: Channel::Call
            }
        );
        assert!(v[0].description.contains("phone call"), "{}", v[0]);
        let mut none = rules(5, 7);
        none.channels.clear();
        assert_eq!(violations(&none, &[inbound(1)]).len(), 1);
    }

    #[test]
    fn marketing_and_sales_follow_the_documented_choice() {
        let with = |p| ContactEvent {
            purpose: Some(p),
            ..inbound(1)
        };
        let rule_of = |r: &ContactRules, p| {
            violations(r, &[with(p)])
                .into_iter()
                .map(|v| v.rule)
                .collect::<Vec<_>>()
        };
        let mut r = rules(5, 7);
        // Neither allowed: both are marketing.
        assert_eq!(
            rule_of(&r, ContactPurpose::Marketing),
            [ViolationKind::MarketingNotAllowed {
                purpose: ContactPurpose::Marketing
            }]
        );
        assert_eq!(
            rule_of(&r, ContactPurpose::Sales),
            [ViolationKind::MarketingNotAllowed {
                purpose: ContactPurpose::Sales
            }]
        );
        for p in [
            ContactPurpose::Service,
            ContactPurpose::Support,
            ContactPurpose::Billing,
            ContactPurpose::Other,
        ] {
            assert!(rule_of(&r, p).is_empty(), "{p}");
        }
        // Marketing allowed, cross-offers not: sales is a cross-offer.
        r.marketing_allowed = true;
        assert!(rule_of(&r, ContactPurpose::Marketing).is_empty());
        assert_eq!(
            rule_of(&r, ContactPurpose::Sales),
            [ViolationKind::CrossOfferNotAllowed]
        );
        // Both allowed.
        r.cross_offers_allowed = true;
        assert!(rule_of(&r, ContactPurpose::Sales).is_empty());
        // Cross-offers alone do not let sales through.
        r.marketing_allowed = false;
        assert_eq!(rule_of(&r, ContactPurpose::Sales).len(), 1);
    }

    #[test]
    fn one_contact_can_break_every_rule() {
        let e = ContactEvent {
            at: day(2),
            channel: Channel::Social,
            direction: Direction::Inbound,
            purpose: Some(ContactPurpose::Marketing),
            record: Some("rec-1".into()),
        };
        let v = violations(&rules(0, 7), &[e]);
        assert_eq!(v.len(), 3);
        assert!(matches!(v[0].rule, ViolationKind::TooMany { .. }));
        assert!(matches!(v[1].rule, ViolationKind::ChannelNotAllowed { .. }));
        assert!(matches!(
            v[2].rule,
            ViolationKind::MarketingNotAllowed { .. }
        ));
        for v in &v {
            assert_eq!(v.record.as_deref(), Some("rec-1"));
            assert!(v.description.starts_with("2026-03-02: "), "{v}");
            assert!(!v.description.contains('\n'));
        }
    }

    #[test]
    fn violations_serialise_with_a_kind_tag() {
        let v = violations(&rules(0, 7), &[inbound(1)]);
        let json = serde_json::to_value(&v[0]).unwrap();
        assert_eq!(json["rule"]["kind"], "too-many");
        assert_eq!(json["rule"]["per_days"], 7);
        assert_eq!(json["at"], "2026-03-01");
        let back: Violation = serde_json::from_value(json).unwrap();
        assert_eq!(back, v[0]);
    }

    #[test]
    fn dates_at_the_ends_of_the_calendar_do_not_panic() {
        let mut first = inbound(1);
        first.at = NaiveDate::MIN;
        let mut last = inbound(1);
        last.at = NaiveDate::MAX;
        let v = violations(&rules(1, 365), &[first.clone(), first, last.clone(), last]);
        assert_eq!(v.len(), 2);
        let v = violations(&rules(0, u32::MAX), &[inbound(1)]);
        assert_eq!(v.len(), 1);
        let v = violations(&rules(1, 0), &[inbound(1), inbound(2)]);
        assert!(v.is_empty(), "a 0-day window is read as 1 day");
    }

    #[test]
    fn an_interaction_record_is_a_contact() {
        let fields: BTreeMap<String, String> = [
            ("channel", "in-store"),
            ("direction", "inbound"),
            ("date", "2026-03-14"),
            ("summary", "pitched a credit card"),
            ("purpose", "sales"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut r = Record {
            id: "r1".into(),
            kind: RecordKind::Interaction,
            brand: Some("b1".into()),
            fields,
            tags: vec![],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let e = ContactEvent::from_record(&r).unwrap();
        assert_eq!(e.at, NaiveDate::from_ymd_opt(2026, 3, 14).unwrap());
        assert_eq!(e.channel, Channel::InStore);
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.purpose, Some(ContactPurpose::Sales));
        assert_eq!(e.record.as_deref(), Some("r1"));
        r.fields.remove("channel");
        assert_eq!(ContactEvent::from_record(&r), None);
        r.kind = RecordKind::Note;
        assert_eq!(ContactEvent::from_record(&r), None);
    }

    fn event() -> impl Strategy<Value = ContactEvent> {
        (
            0u32..60,
            proptest::sample::select(Channel::ALL.to_vec()),
            proptest::sample::select(Direction::ALL.to_vec()),
            proptest::option::of(proptest::sample::select(ContactPurpose::ALL.to_vec())),
            proptest::option::of("[a-c]"),
        )
            .prop_map(|(d, channel, direction, purpose, record)| ContactEvent {
                at: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(u64::from(d)),
                channel,
                direction,
                purpose,
                record: record.map(RecordId::from),
            })
    }

    fn any_rules() -> impl Strategy<Value = ContactRules> {
        (
            proptest::sample::subsequence(Channel::ALL.to_vec(), 0..=6),
            0u32..6,
            0u32..40,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(channels, max_contacts, per_days, m, c)| ContactRules {
                channels,
                max_contacts,
                per_days,
                marketing_allowed: m,
                cross_offers_allowed: c,
            })
    }

    proptest! {
        #[test]
        fn the_order_of_the_input_does_not_matter(
            r in any_rules(),
            (ev, shuffled) in proptest::collection::vec(event(), 0..40)
                .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        ) {
            prop_assert_eq!(violations(&r, &ev), violations(&r, &shuffled));
        }

        #[test]
        fn too_many_agrees_with_counting_by_hand(
            r in any_rules(),
            ev in proptest::collection::vec(event(), 0..40),
        ) {
            let mut inbound: Vec<&ContactEvent> =
                ev.iter().filter(|e| e.direction == Direction::Inbound).collect();
            inbound.sort();
            let window = i64::from(r.per_days.max(1));
            let expected: Vec<(NaiveDate, u32)> = inbound
                .iter()
                .enumerate()
                .filter_map(|(i, e)| {
                    let count = inbound[..=i]
                        .iter()
                        .filter(|f| (e.at - f.at).num_days() < window)
                        .count() as u32;
                    (count > r.max_contacts).then_some((e.at, count))
                })
                .collect();
            let got: Vec<(NaiveDate, u32)> = violations(&r, &ev)
                .into_iter()
                .filter_map(|v| match v.rule {
                    ViolationKind::TooMany { count, .. } => Some((v.at, count)),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn words_round_trip(c in proptest::sample::select(Channel::ALL.to_vec()),
                            p in proptest::sample::select(ContactPurpose::ALL.to_vec()),
                            d in proptest::sample::select(Direction::ALL.to_vec())) {
            prop_assert_eq!(c.to_string().parse::<Channel>().unwrap(), c);
            prop_assert_eq!(p.to_string().to_uppercase().parse::<ContactPurpose>().unwrap(), p);
            prop_assert_eq!(d.to_string().parse::<Direction>().unwrap(), d);
        }
    }

    #[test]
    fn a_bad_contact_word_names_its_option() {
        assert_eq!(
            "pigeon".parse::<Channel>().unwrap_err().field(),
            Some("channel")
        );
        assert_eq!(
            "spam".parse::<ContactPurpose>().unwrap_err().field(),
            Some("purpose")
        );
        assert_eq!(
            rules(1001, 30).validate().unwrap_err().field(),
            Some("contact.maxContacts")
        );
    }
}
