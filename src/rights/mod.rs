//! Data-rights requests under the GDPR and the CCPA/CPRA: which rights a
//! person has, the deadline a brand must answer by, where a request stands,
//! and the letters that make and chase a request.
//!
//! # Deadlines
//!
//! The clock runs from `sent_on`, read as the day the brand received the
//! request (true of email; a posted letter arrives later, and the brand's
//! deadline moves with it).
//!
//! - **GDPR** (Art. 12(3)): one month, extendable by two further months.
//!   Calendar months, ending on the same day of the month or, if the month is
//!   shorter, on its last day (31 January → 28 or 29 February). The extended
//!   deadline is three months from receipt, counted the same way. A deadline
//!   that falls on a weekend or public holiday is *not* moved to the next
//!   working day, although Regulation 1182/71 Art. 3(4) would move it: we
//!   know no holiday calendar, so a GDPR deadline here may be up to a few
//!   days early.
//! - **CCPA** know, delete, correct (Civ. Code §1798.130(a)(2)): 45 calendar
//!   days, extendable once by 45 more (90 in all).
//! - **CCPA opt-out of sale/sharing** (Cal. Code Regs. tit. 11, §7026(f)):
//!   no later than 15 business days; no extension. Business days are Monday
//!   to Friday; holidays are not known, so none are skipped.
//!
//! # Status
//!
//! See [`can_move`]: `open` and `in-progress` are live; `fulfilled` is final;
//! `denied` may still become `fulfilled` (a refusal reversed, e.g. after a
//! complaint); `expired` (the deadline passed unanswered) may still become
//! `fulfilled` or `denied` when the brand answers late.

pub mod contact;
mod letters;
pub mod requests;
#[cfg(test)]
mod snapshot_tests;

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::model::text::one_line;

/// Business days a brand has to act on a CCPA opt-out.
pub const CCPA_OPT_OUT_BUSINESS_DAYS: u32 = 15;
/// Calendar days a brand has to answer other CCPA requests (doubled when
/// extended).
pub const CCPA_DAYS: u64 = 45;

/// The law a right comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Regime {
    /// The EU General Data Protection Regulation.
    Gdpr,
    /// The California Consumer Privacy Act, as amended by the California
    /// Privacy Rights Act.
    Ccpa,
}

impl Regime {
    /// The stable id: `gdpr` or `ccpa`.
    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Gdpr => "gdpr",
            Regime::Ccpa => "ccpa",
        }
    }

    /// The short name: `GDPR` or `CCPA/CPRA`.
    pub fn name(self) -> &'static str {
        match self {
            Regime::Gdpr => "GDPR",
            Regime::Ccpa => "CCPA/CPRA",
        }
    }

    /// The law's full name.
    pub fn law(self) -> &'static str {
        match self {
            Regime::Gdpr => "General Data Protection Regulation (Regulation (EU) 2016/679)",
            Regime::Ccpa => {
                "California Consumer Privacy Act of 2018, as amended by the California \
                 Privacy Rights Act (Cal. Civ. Code §1798.100 and following)"
            }
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A data right a person can exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Right {
    /// GDPR Art. 15: access.
    GdprAccess,
    /// GDPR Art. 16: rectification.
    GdprRectification,
    /// GDPR Art. 17: erasure.
    GdprErasure,
    /// GDPR Art. 20: data portability.
    GdprPortability,
    /// GDPR Art. 21: objection.
    GdprObjection,
    /// CCPA §1798.110: know what is collected.
    CcpaKnow,
    /// CCPA §1798.105: delete.
    CcpaDelete,
    /// CCPA §1798.106: correct.
    CcpaCorrect,
    /// CCPA §1798.120: opt out of sale or sharing.
    CcpaOptOut,
}

impl Right {
    /// Every right, GDPR first.
    pub const ALL: [Right; 9] = [
        Right::GdprAccess,
        Right::GdprRectification,
        Right::GdprErasure,
        Right::GdprPortability,
        Right::GdprObjection,
        Right::CcpaKnow,
        Right::CcpaDelete,
        Right::CcpaCorrect,
        Right::CcpaOptOut,
    ];

    /// The stable id, e.g. `gdpr-access`, `ccpa-opt-out`.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::GdprAccess => "gdpr-access",
            Right::GdprRectification => "gdpr-rectification",
            Right::GdprErasure => "gdpr-erasure",
            Right::GdprPortability => "gdpr-portability",
            Right::GdprObjection => "gdpr-objection",
            Right::CcpaKnow => "ccpa-know",
            Right::CcpaDelete => "ccpa-delete",
            Right::CcpaCorrect => "ccpa-correct",
            Right::CcpaOptOut => "ccpa-opt-out",
        }
    }

    /// The law it comes from.
    pub fn regime(self) -> Regime {
        match self {
            Right::GdprAccess
            | Right::GdprRectification
            | Right::GdprErasure
            | Right::GdprPortability
            | Right::GdprObjection => Regime::Gdpr,
            Right::CcpaKnow | Right::CcpaDelete | Right::CcpaCorrect | Right::CcpaOptOut => {
                Regime::Ccpa
            }
        }
    }

    /// The article or section number alone: `15`, `1798.110`.
    fn number(self) -> &'static str {
        match self {
            Right::GdprAccess => "15",
            Right::GdprRectification => "16",
            Right::GdprErasure => "17",
            Right::GdprPortability => "20",
            Right::GdprObjection => "21",
            Right::CcpaKnow => "1798.110",
            Right::CcpaDelete => "1798.105",
            Right::CcpaCorrect => "1798.106",
            Right::CcpaOptOut => "1798.120",
        }
    }

    /// The provision, short: `Art. 15` (GDPR) or `§1798.110` (California
    /// Civil Code).
    pub fn article(self) -> String {
        match self.regime() {
            Regime::Gdpr => format!("Art. {}", self.number()),
            Regime::Ccpa => format!("§{}", self.number()),
        }
    }

    /// The provision with its law: `Article 15 GDPR`, `Cal. Civ. Code
    /// §1798.110`.
    pub fn citation(self) -> String {
        match self.regime() {
            Regime::Gdpr => format!("Article {} GDPR", self.number()),
            Regime::Ccpa => format!("Cal. Civ. Code §{}", self.number()),
        }
    }

    /// The right's name.
    pub fn title(self) -> &'static str {
        match self {
            Right::GdprAccess => "Right of access",
            Right::GdprRectification => "Right to rectification",
            Right::GdprErasure => "Right to erasure",
            Right::GdprPortability => "Right to data portability",
            Right::GdprObjection => "Right to object",
            Right::CcpaKnow => "Right to know what personal information is collected",
            Right::CcpaDelete => "Right to delete personal information",
            Right::CcpaCorrect => "Right to correct inaccurate personal information",
            Right::CcpaOptOut => "Right to opt out of the sale or sharing of personal information",
        }
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Right {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        Right::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_field(
                    "right",
                    format!(
                        "unknown data right {s:?}; use one of: {}",
                        Right::ALL.map(Right::as_str).join(", ")
                    ),
                )
            })
    }
}

/// A right as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RightInfo {
    /// The right.
    pub right: Right,
    /// Its law.
    pub regime: Regime,
    /// `Art. 15`, `§1798.110`.
    pub article: String,
    /// Its name.
    pub title: String,
}

/// Every right, for a picker.
pub fn right_infos() -> Vec<RightInfo> {
    Right::ALL
        .into_iter()
        .map(|r| RightInfo {
            right: r,
            regime: r.regime(),
            article: r.article(),
            title: r.title().to_string(),
        })
        .collect()
}

/// Where a request stands. A refusal's reason is kept with the request, not
/// here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum RequestStatus {
    /// Sent, not yet acknowledged.
    Open,
    /// The brand is working on it.
    InProgress,
    /// Done.
    Fulfilled,
    /// The brand refused.
    Denied,
    /// The deadline passed without an answer.
    Expired,
}

impl RequestStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::Open,
        RequestStatus::InProgress,
        RequestStatus::Fulfilled,
        RequestStatus::Denied,
        RequestStatus::Expired,
    ];

    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::InProgress => "in-progress",
            RequestStatus::Fulfilled => "fulfilled",
            RequestStatus::Denied => "denied",
            RequestStatus::Expired => "expired",
        }
    }

    /// Whether the brand still has to answer (open or in progress): only
    /// these can be overdue.
    pub fn is_pending(self) -> bool {
        matches!(self, RequestStatus::Open | RequestStatus::InProgress)
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        RequestStatus::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_field(
                    "status",
                    format!(
                        "unknown request status {s:?}; use one of: {}",
                        RequestStatus::ALL.map(RequestStatus::as_str).join(", ")
                    ),
                )
            })
    }
}

/// Whether a request may go from `from` to `to`. Staying put is not a move.
///
/// - open → in progress, fulfilled, denied, expired
/// - in progress → fulfilled, denied, expired
/// - expired → fulfilled, denied (the brand answered late)
/// - denied → fulfilled (the refusal was reversed, e.g. after a complaint)
/// - fulfilled → nothing
///
/// Nothing goes back to open or in progress: once answered or overdue, a
/// late "we are working on it" does not change where the request stands.
pub fn can_move(from: RequestStatus, to: RequestStatus) -> bool {
    use RequestStatus::*;
    matches!(
        (from, to),
        (Open, InProgress | Fulfilled | Denied | Expired)
            | (InProgress, Fulfilled | Denied | Expired)
            | (Expired, Fulfilled | Denied)
            | (Denied, Fulfilled)
    )
}

/// The day a brand must answer `right` by, when the request reached it on
/// `sent_on` (see the module docs for each rule). `extended` is the longer
/// period the law allows when the brand extends in time; the CCPA opt-out
/// has none, so it is ignored there. Never earlier than `sent_on`; at the
/// end of the calendar it stops at the last representable day.
pub fn due_date(right: Right, sent_on: NaiveDate, extended: bool) -> NaiveDate {
    let due = match (right.regime(), right) {
        (Regime::Gdpr, _) => sent_on.checked_add_months(Months::new(if extended { 3 } else { 1 })),
        (Regime::Ccpa, Right::CcpaOptOut) => add_business_days(sent_on, CCPA_OPT_OUT_BUSINESS_DAYS),
        (Regime::Ccpa, _) => {
            sent_on.checked_add_days(Days::new(if extended { 2 * CCPA_DAYS } else { CCPA_DAYS }))
        }
    };
    due.unwrap_or(NaiveDate::MAX)
}

/// The `n`th Monday-to-Friday after `from` (no holidays are known).
fn add_business_days(from: NaiveDate, n: u32) -> Option<NaiveDate> {
    let mut d = from;
    let mut left = n;
    while left > 0 {
        d = d.succ_opt()?;
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    Some(d)
}

/// Whether a request is overdue: still pending and `today` is after `due`
/// (the due day itself is still in time).
pub fn is_overdue(due: NaiveDate, today: NaiveDate, status: RequestStatus) -> bool {
    status.is_pending() && today > due
}

/// Days from `today` to `due`: 0 on the day, negative when past.
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    due.signed_duration_since(today).num_days()
}

/// A sender or recipient of a letter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct LetterParty {
    /// Name.
    pub name: String,
    /// Postal address, one or more lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl LetterParty {
    /// A party with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        LetterParty {
            name: name.into(),
            ..Default::default()
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date as people write it where the law applies: `14 March 2026` in the
/// EU, `March 14, 2026` in California. Built by hand so it cannot depend on
/// a locale.
fn long_date(regime: Regime, d: NaiveDate) -> String {
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("");
    match regime {
        Regime::Gdpr => format!("{} {month} {}", d.day(), d.year()),
        Regime::Ccpa => format!("{month} {}, {}", d.day(), d.year()),
    }
}

/// A ready-to-send letter (by email or post) making a request under `right`:
/// who writes to whom, the law and article, what is asked, the person's
/// `details` (what to correct, an account number…), the deadline counted
/// from `sent_on`, a note on identity verification, and the `reference` to
/// quote. The same input always gives the same text.
pub fn request_letter(
    right: Right,
    person: &LetterParty,
    brand: &LetterParty,
    sent_on: NaiveDate,
    details: Option<&str>,
    reference: &str,
) -> String {
    letters::request(right, person, brand, sent_on, details, reference)
}

/// A letter chasing a request sent on `original_sent_on` that was due on
/// `due`, written on `today`: it cites the deadline and how far past it the
/// request is, and names the complaint route (a supervisory authority under
/// the GDPR; the California Privacy Protection Agency and Attorney General
/// under the CCPA). Written before the deadline, it reads as a reminder.
pub fn follow_up_letter(
    right: Right,
    person: &LetterParty,
    brand: &LetterParty,
    original_sent_on: NaiveDate,
    due: NaiveDate,
    today: NaiveDate,
    reference: &str,
) -> String {
    letters::follow_up(
        right,
        person,
        brand,
        original_sent_on,
        due,
        today,
        reference,
    )
}

/// The `credentialSubject` of a signed `DataRightsRequest` credential: a
/// stable shape with camelCase keys; dates as `YYYY-MM-DD`, `due` the
/// unextended deadline, blank `details` as `null`.
///
/// ```json
/// { "right": "gdpr-access", "regime": "gdpr", "law": "General Data …",
///   "article": "Art. 15", "title": "Right of access",
///   "sentOn": "2026-03-14", "due": "2026-04-14", "reference": "…",
///   "details": null, "brand": { "name": "Acme" } }
/// ```
pub fn subject_json(
    right: Right,
    brand_name: &str,
    sent_on: NaiveDate,
    details: Option<&str>,
    reference: &str,
) -> Value {
    json!({
        "right": right.as_str(),
        "regime": right.regime().as_str(),
        "law": right.regime().law(),
        "article": right.article(),
        "title": right.title(),
        "sentOn": sent_on.to_string(),
        "due": due_date(right, sent_on, false).to_string(),
        "reference": one_line(reference),
        "details": details.map(str::trim).filter(|d| !d.is_empty()),
        "brand": { "name": one_line(brand_name) },
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn rights_have_stable_ids_articles_and_regimes() {
        let expected = [
            ("gdpr-access", "Art. 15", Regime::Gdpr),
            ("gdpr-rectification", "Art. 16", Regime::Gdpr),
            ("gdpr-erasure", "Art. 17", Regime::Gdpr),
            ("gdpr-portability", "Art. 20", Regime::Gdpr),
            ("gdpr-objection", "Art. 21", Regime::Gdpr),
            ("ccpa-know", "§1798.110", Regime::Ccpa),
            ("ccpa-delete", "§1798.105", Regime::Ccpa),
            ("ccpa-correct", "§1798.106", Regime::Ccpa),
            ("ccpa-opt-out", "§1798.120", Regime::Ccpa),
        ];
        for (r, (id, article, regime)) in Right::ALL.into_iter().zip(expected) {
            assert_eq!(r.as_str(), id);
            assert_eq!(r.to_string().parse::<Right>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), id);
            assert_eq!(r.article(), article);
            assert_eq!(r.regime(), regime);
            assert!(!r.title().is_empty());
        }
        assert_eq!(Right::GdprAccess.citation(), "Article 15 GDPR");
        assert_eq!(Right::CcpaOptOut.citation(), "Cal. Civ. Code §1798.120");
        assert_eq!(" GDPR-Access ".parse::<Right>().unwrap(), Right::GdprAccess);
        assert!("gdpr-everything".parse::<Right>().is_err());
        assert_eq!(right_infos().len(), 9);
        assert_eq!(serde_json::to_value(Regime::Ccpa).unwrap(), "ccpa");
    }

    #[test]
    fn statuses_parse_and_print() {
        for s in RequestStatus::ALL {
            assert_eq!(s.as_str().parse::<RequestStatus>().unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(
            serde_json::to_value(RequestStatus::InProgress).unwrap(),
            "in-progress"
        );
        assert!("lost".parse::<RequestStatus>().is_err());
    }

    #[test]
    fn status_transitions() {
        use RequestStatus::*;
        let allowed = [
            (Open, InProgress),
            (Open, Fulfilled),
            (Open, Denied),
            (Open, Expired),
            (InProgress, Fulfilled),
            (InProgress, Denied),
            (InProgress, Expired),
            (Expired, Fulfilled),
            (Expired, Denied),
            (Denied, Fulfilled),
        ];
        for from in RequestStatus::ALL {
            for to in RequestStatus::ALL {
                assert_eq!(
                    can_move(from, to),
                    allowed.contains(&(from, to)),
                    "{from} → {to}"
                );
            }
        }
        // Fulfilled is final; nothing returns to open or in progress.
        assert!(
            RequestStatus::ALL
                .iter()
                .all(|&to| !can_move(Fulfilled, to))
        );
        assert!(RequestStatus::ALL.iter().all(|&f| !can_move(f, Open)));
        assert!(!can_move(Expired, InProgress));
    }

    #[test]
    fn gdpr_is_one_calendar_month_clamped_to_the_month_end() {
        let r = Right::GdprAccess;
        assert_eq!(due_date(r, d(2026, 3, 14), false), d(2026, 4, 14));
        assert_eq!(due_date(r, d(2026, 1, 31), false), d(2026, 2, 28));
        assert_eq!(
            due_date(r, d(2024, 1, 31), false),
            d(2024, 2, 29),
            "leap year"
        );
        assert_eq!(due_date(r, d(2024, 1, 30), false), d(2024, 2, 29));
        assert_eq!(due_date(r, d(2026, 3, 31), false), d(2026, 4, 30));
        assert_eq!(
            due_date(r, d(2026, 12, 15), false),
            d(2027, 1, 15),
            "over a year end"
        );
        // A weekend deadline is not moved (2026-02-28 is a Saturday).
        assert_eq!(due_date(r, d(2026, 1, 28), false), d(2026, 2, 28));
    }

    #[test]
    fn gdpr_extension_is_three_months_from_receipt() {
        let r = Right::GdprErasure;
        assert_eq!(due_date(r, d(2026, 3, 14), true), d(2026, 6, 14));
        // Three months from 30 November, not two from the clamped February
        // date: the later of the two readings.
        assert_eq!(due_date(r, d(2025, 11, 30), false), d(2025, 12, 30));
        assert_eq!(due_date(r, d(2025, 11, 30), true), d(2026, 2, 28));
        assert_eq!(due_date(r, d(2023, 11, 30), true), d(2024, 2, 29));
        assert_eq!(due_date(r, d(2026, 1, 31), true), d(2026, 4, 30));
    }

    #[test]
    fn ccpa_is_45_calendar_days_extendable_once() {
        for r in [Right::CcpaKnow, Right::CcpaDelete, Right::CcpaCorrect] {
            assert_eq!(due_date(r, d(2026, 3, 1), false), d(2026, 4, 15));
            assert_eq!(due_date(r, d(2026, 3, 1), true), d(2026, 5, 30));
            assert_eq!(
                due_date(r, d(2024, 2, 1), false),
                d(2024, 3, 17),
                "leap year"
            );
            assert_eq!(due_date(r, d(2026, 12, 1), false), d(2027, 1, 15));
        }
    }

    #[test]
    fn ccpa_opt_out_is_15_business_days() {
        let r = Right::CcpaOptOut;
        // Monday 2026-03-02: three weeks of weekdays later is Monday 03-23.
        assert_eq!(due_date(r, d(2026, 3, 2), false), d(2026, 3, 23));
        // Friday 2026-03-06: counting starts on Monday 03-09; the 15th
        // business day is Friday 03-27.
        assert_eq!(due_date(r, d(2026, 3, 6), false), d(2026, 3, 27));
        // Saturday and Sunday give the same answer as Friday.
        assert_eq!(due_date(r, d(2026, 3, 7), false), d(2026, 3, 27));
        assert_eq!(due_date(r, d(2026, 3, 8), false), d(2026, 3, 27));
        // No extension.
        assert_eq!(due_date(r, d(2026, 3, 2), true), d(2026, 3, 23));
        // Across a month end and a leap day: Wed 2024-02-21 → Wed 03-13.
        assert_eq!(due_date(r, d(2024, 2, 21), false), d(2024, 3, 13));
        for day in 1..=28 {
            let due = due_date(r, d(2026, 2, day), false);
            assert!(!matches!(due.weekday(), Weekday::Sat | Weekday::Sun));
        }
    }

    #[test]
    fn the_end_of_the_calendar_does_not_panic() {
        for r in Right::ALL {
            for ext in [false, true] {
                assert_eq!(due_date(r, NaiveDate::MAX, ext), NaiveDate::MAX);
                assert!(due_date(r, NaiveDate::MIN, ext) > NaiveDate::MIN);
            }
        }
        assert!(days_left(NaiveDate::MAX, NaiveDate::MIN) > 0);
        let p = LetterParty::named("P");
        let _ = request_letter(Right::CcpaKnow, &p, &p, NaiveDate::MAX, None, "r");
        let _ = follow_up_letter(
            Right::GdprAccess,
            &p,
            &p,
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::MIN,
            "r",
        );
    }

    #[test]
    fn overdue_and_days_left() {
        let due = d(2026, 4, 14);
        assert!(
            !is_overdue(due, d(2026, 4, 14), RequestStatus::Open),
            "the due day is in time"
        );
        assert!(is_overdue(due, d(2026, 4, 15), RequestStatus::Open));
        assert!(is_overdue(due, d(2026, 4, 15), RequestStatus::InProgress));
        for s in [
            RequestStatus::Fulfilled,
            RequestStatus::Denied,
            RequestStatus::Expired,
        ] {
            assert!(!is_overdue(due, d(2027, 1, 1), s), "{s}");
        }
        assert_eq!(days_left(due, d(2026, 4, 10)), 4);
        assert_eq!(days_left(due, due), 0);
        assert_eq!(days_left(due, d(2026, 4, 20)), -6);
    }

    fn person() -> LetterParty {
        LetterParty {
            name: "Alex Example".into(),
            address: Some("1 High Street\n  Springfield \n\n".into()),
            email: Some("alex@example.org".into()),
        }
    }

    fn brand() -> LetterParty {
        LetterParty {
            name: "Acme Ltd".into(),
            address: None,
            email: Some("privacy@acme.example".into()),
        }
    }

    #[test]
    fn a_gdpr_letter_cites_the_article_deadline_and_reference() {
        let l = request_letter(
            Right::GdprAccess,
            &person(),
            &brand(),
            d(2026, 1, 31),
            Some("Customer number 12345.\nEmail used: alex@example.org"),
            "VRM-7F3A",
        );
        for needle in [
            "Alex Example\n1 High Street\nSpringfield\nalex@example.org\n\n31 January 2026\n\nAcme Ltd\nprivacy@acme.example\n",
            "Subject: Right of access (Article 15 GDPR), reference VRM-7F3A",
            "my right of access under Article 15 of the General Data Protection Regulation",
            "Article 12(3)",
            "by 28 February 2026 at the latest",
            "two further months",
            "Article 12(6)",
            "Customer number 12345.\nEmail used: alex@example.org\n",
            "quote my reference VRM-7F3A and reply to alex@example.org.",
            "free of charge",
            "Yours faithfully,\n\nAlex Example\n",
        ] {
            assert!(l.contains(needle), "missing {needle:?} in\n{l}");
        }
        assert_eq!(
            l,
            request_letter(
                Right::GdprAccess,
                &person(),
                &brand(),
                d(2026, 1, 31),
                Some("Customer number 12345.\nEmail used: alex@example.org"),
                "VRM-7F3A",
            ),
            "deterministic"
        );
    }

    #[test]
    fn ccpa_letters_cite_their_section_and_clock() {
        let l = request_letter(
            Right::CcpaDelete,
            &person(),
            &brand(),
            d(2026, 3, 1),
            None,
            "R-1",
        );
        for needle in [
            "March 1, 2026",
            "section 1798.105 of the California Civil Code",
            "Cal. Civ. Code §1798.105",
            "45 calendar days",
            "by April 15, 2026 at the latest",
            "verify my identity",
            "R-1",
        ] {
            assert!(l.contains(needle), "missing {needle:?} in\n{l}");
        }
        assert!(!l.contains("Details of my request"));
        let l = request_letter(
            Right::CcpaOptOut,
            &person(),
            &LetterParty::named("Acme"),
            d(2026, 3, 6),
            Some("  "),
            "R-2",
        );
        for needle in [
            "§1798.120",
            "§7026(f)",
            "15 business days",
            "by March 27, 2026 at the latest",
            "does not need to be a verifiable consumer request",
        ] {
            assert!(l.contains(needle), "missing {needle:?} in\n{l}");
        }
        assert!(
            !l.contains("Details of my request"),
            "blank details are left out"
        );
    }

    #[test]
    fn every_right_makes_a_letter_with_its_article() {
        for r in Right::ALL {
            let l = request_letter(r, &person(), &brand(), d(2026, 5, 4), Some("x"), "REF-9");
            assert!(l.contains(&r.citation()), "{r}");
            assert!(l.contains("REF-9"), "{r}");
            let due = long_date(r.regime(), due_date(r, d(2026, 5, 4), false));
            assert!(l.contains(&due), "{r}: {due}");
            assert!(l.ends_with("Alex Example\n"));
        }
    }

    #[test]
    fn follow_ups_cite_the_missed_deadline_and_the_complaint_route() {
        let l = follow_up_letter(
            Right::GdprErasure,
            &person(),
            &brand(),
            d(2026, 1, 31),
            d(2026, 2, 28),
            d(2026, 3, 10),
            "VRM-7F3A",
        );
        for needle in [
            "Subject: Overdue: Right to erasure (Article 17 GDPR), request of 31 January 2026, reference VRM-7F3A",
            "On 31 January 2026",
            "You had to respond by 28 February 2026",
            "Today, 10 March 2026, is 10 days after that deadline",
            "supervisory authority (Article 77 GDPR)",
            "Article 79",
        ] {
            assert!(l.contains(needle), "missing {needle:?} in\n{l}");
        }
        let l = follow_up_letter(
            Right::CcpaKnow,
            &person(),
            &brand(),
            d(2026, 3, 1),
            d(2026, 4, 15),
            d(2026, 4, 16),
            "R-1",
        );
        for needle in [
            "April 15, 2026",
            "is 1 day after that deadline",
            "California Privacy Protection Agency",
            "Attorney General of California",
            "R-1",
        ] {
            assert!(l.contains(needle), "missing {needle:?} in\n{l}");
        }
        let early = follow_up_letter(
            Right::CcpaKnow,
            &person(),
            &brand(),
            d(2026, 3, 1),
            d(2026, 4, 15),
            d(2026, 4, 10),
            "R-1",
        );
        assert!(early.contains("Subject: Reminder"));
        assert!(early.contains("5 days from today"));
        let on_the_day = follow_up_letter(
            Right::CcpaKnow,
            &person(),
            &brand(),
            d(2026, 3, 1),
            d(2026, 4, 15),
            d(2026, 4, 15),
            "R-1",
        );
        assert!(on_the_day.contains("by today, April 15, 2026"));
    }

    #[test]
    fn single_line_fields_stay_on_one_line() {
        let mut p = person();
        p.name = "Alex\nExample".into();
        let l = request_letter(Right::GdprAccess, &p, &brand(), d(2026, 1, 5), None, "A\nB");
        assert!(l.starts_with("Alex Example\n"));
        assert!(l.contains("reference A B\n"));
    }

    #[test]
    fn the_subject_has_a_stable_shape() {
        let s = subject_json(
            Right::GdprAccess,
            " Acme Ltd ",
            d(2026, 1, 31),
            Some(" account 42 "),
            "VRM-7F3A",
        );
        assert_eq!(
            s,
            json!({
                "right": "gdpr-access",
                "regime": "gdpr",
                "law": "General Data Protection Regulation (Regulation (EU) 2016/679)",
                "article": "Art. 15",
                "title": "Right of access",
                "sentOn": "2026-01-31",
                "due": "2026-02-28",
                "reference": "VRM-7F3A",
                "details": "account 42",
                "brand": { "name": "Acme Ltd" },
            })
        );
        let s = subject_json(Right::CcpaOptOut, "Acme", d(2026, 3, 6), None, "R");
        assert_eq!(s["details"], Value::Null);
        assert_eq!(s["due"], "2026-03-27");
        assert_eq!(s["article"], "§1798.120");
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (-3000i32..3000, 1u32..=366).prop_map(|(y, ord)| {
            NaiveDate::from_yo_opt(y, ord)
                .or_else(|| NaiveDate::from_yo_opt(y, 365))
                .unwrap()
        })
    }

    proptest! {
        #[test]
        fn due_dates_are_never_early(r in proptest::sample::select(Right::ALL.to_vec()), sent in any_date()) {
            let base = due_date(r, sent, false);
            let ext = due_date(r, sent, true);
            prop_assert!(base > sent);
            prop_assert!(ext >= base);
            if r == Right::CcpaOptOut {
                prop_assert_eq!(ext, base);
                prop_assert!(!matches!(base.weekday(), Weekday::Sat | Weekday::Sun));
                // 15 business days are three weeks, give or take a weekend.
                prop_assert!((19..=23).contains(&days_left(base, sent)));
            } else {
                prop_assert!(ext > base);
            }
            if r.regime() == Regime::Gdpr {
                prop_assert!((28..=31).contains(&days_left(base, sent)));
            }
        }

        #[test]
        fn ids_round_trip(r in proptest::sample::select(Right::ALL.to_vec()),
                          s in proptest::sample::select(RequestStatus::ALL.to_vec())) {
            prop_assert_eq!(r.as_str().to_uppercase().parse::<Right>().unwrap(), r);
            prop_assert_eq!(s.to_string().parse::<RequestStatus>().unwrap(), s);
        }

        #[test]
        fn letters_never_panic(r in proptest::sample::select(Right::ALL.to_vec()),
                               name in "\\PC{0,20}", details in proptest::option::of("\\PC{0,40}"),
                               reference in "\\PC{0,20}", a in any_date(), b in any_date()) {
            let p = LetterParty { name, address: Some("x\ny".into()), email: None };
            let l = request_letter(r, &p, &brand(), a, details.as_deref(), &reference);
            prop_assert!(l.contains(&r.citation()));
            let f = follow_up_letter(r, &p, &brand(), a, due_date(r, a, false), b, &reference);
            prop_assert!(f.ends_with('\n'));
        }
    }

    #[test]
    fn an_invalid_rights_request_names_the_field_at_fault() {
        use crate::crypto::KdfParams;
        use crate::model::BrandInput;
        use crate::vault::Vault;
        use secrecy::SecretString;

        assert_eq!("fly".parse::<Right>().unwrap_err().field(), Some("right"));
        assert_eq!(
            "lost".parse::<RequestStatus>().unwrap_err().field(),
            Some("status")
        );

        let tmp = tempfile::tempdir().unwrap();
        let (mut vault, _) = Vault::create(
            &tmp.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        vault.add_brand(&BrandInput::named("Shop")).unwrap();
        let today = chrono::Utc::now().date_naive();
        let field = |e: crate::Error| {
            assert_eq!(e.code(), "input.invalid", "{e}");
            e.field().map(str::to_string)
        };
        let e = vault
            .rights()
            .create(
                "Shop",
                Right::GdprAccess,
                today + chrono::Days::new(5),
                None,
            )
            .unwrap_err();
        assert_eq!(field(e).as_deref(), Some("sent_on"));
        let e = vault
            .rights()
            .create("Shop", Right::GdprAccess, today, Some(&"x".repeat(9000)))
            .unwrap_err();
        assert_eq!(field(e).as_deref(), Some("details"));

        let made = vault
            .rights()
            .create("Shop", Right::GdprAccess, today, None)
            .unwrap();
        let id = made.request.id;
        let e = vault
            .rights()
            .update(&id, Some(RequestStatus::Denied), None, None)
            .unwrap_err();
        assert_eq!(field(e).as_deref(), Some("reason"));
        vault
            .rights()
            .update(&id, Some(RequestStatus::Fulfilled), None, None)
            .unwrap();
        let e = vault
            .rights()
            .update(&id, Some(RequestStatus::Open), None, None)
            .unwrap_err();
        assert_eq!(field(e).as_deref(), Some("status"));
        let e = vault.rights().update(&id, None, None, None).unwrap_err();
        assert_eq!(field(e), None, "nothing to change is about no one field");
    }
}
