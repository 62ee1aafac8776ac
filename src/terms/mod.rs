//! Personal terms of service: the terms a person offers to brands, in the
//! spirit of IEEE 7012 ("MyTerms", machine-readable personal privacy terms).
//!
//! The person starts from a [`Template`] (named like the agreements Customer
//! Commons publishes for IEEE 7012), edits its [`Clauses`], and offers the
//! result. [`render_text`] writes the human-readable document and
//! [`subject_json`] the stable JSON put in a signed `PersonalTerms`
//! credential; [`diff`] describes what a brand's counter-offer changes.
//! The app's editor sends a [`TermsForm`], values as typed, which the core
//! reads and checks.
//!
//! The wording of the documents is ours, not the official agreement text:
//! the templates borrow the agreements' ids and intent, and a brand reads
//! the clauses as written here.

pub mod agreement;
pub mod clauses;
pub mod form;
#[cfg(test)]
mod snapshot_tests;
mod text;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::model::text::one_line;
use crate::rights::contact::{Channel, ContactRules, days};

pub use form::TermsForm;

/// Longest jurisdiction, in characters.
pub const MAX_JURISDICTION_CHARS: usize = 200;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest prose (the person's own words), in bytes.
pub const MAX_PROSE_BYTES: usize = 16 * 1024;
/// Shortest and longest retention and deletion periods, in days.
pub const DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=3650;

/// A starting point for personal terms.
///
/// The ids follow the agreements of the IEEE 7012 registry kept by Customer
/// Commons: `SD-BASE` (service delivery only), `SD-BASE-DP` (the same, with
/// data portability) and `PDC-INTENT` (personal data contributed for
/// intentcasting). The registry's other agreements (`SD-BASE-A` and up,
/// which progressively allow analytics, tracking, profiling and sharing, and
/// `PDC-AI`, `PDC-GOOD`) are not offered: these templates protect the person,
/// and any of those permissions can still be granted by editing the clauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Template {
    /// `SD-BASE`: data used only to deliver the service the person asked for.
    #[serde(rename = "SD-BASE")]
    SdBase,
    /// `SD-BASE-DP`: `SD-BASE` plus data portability.
    #[serde(rename = "SD-BASE-DP")]
    SdBaseDp,
    /// `PDC-INTENT`: the person's intent may be used only to make an offer
    /// in reply.
    #[serde(rename = "PDC-INTENT")]
    PdcIntent,
}

impl Template {
    /// Every template, in display order.
    pub const ALL: [Template; 3] = [Template::SdBase, Template::SdBaseDp, Template::PdcIntent];

    /// Every template, in display order.
    pub fn all() -> &'static [Template] {
        &Template::ALL
    }

    /// The agreement id: `SD-BASE`, `SD-BASE-DP` or `PDC-INTENT`.
    pub fn id(self) -> &'static str {
        match self {
            Template::SdBase => "SD-BASE",
            Template::SdBaseDp => "SD-BASE-DP",
            Template::PdcIntent => "PDC-INTENT",
        }
    }

    /// A short name.
    pub fn title(self) -> &'static str {
        match self {
            Template::SdBase => "Service delivery only",
            Template::SdBaseDp => "Service delivery only, with data portability",
            Template::PdcIntent => "Intentcasting",
        }
    }

    /// One or two sentences on what the template means.
    pub fn summary(self) -> &'static str {
        match self {
            Template::SdBase => {
                "You use my data only to deliver the service I asked for: no tracking, \
                 no profiling, no sharing and no marketing."
            }
            Template::SdBaseDp => {
                "You use my data only to deliver the service I asked for: no tracking, \
                 no profiling, no sharing and no marketing. When I ask, you give me my \
                 data in a portable form."
            }
            Template::PdcIntent => {
                "I tell you what I am looking for. You may use that only to make me an \
                 offer in reply, and you then forget it."
            }
        }
    }

    /// Whether this is a service-delivery (`SD-…`) template.
    pub fn is_service_delivery(self) -> bool {
        matches!(self, Template::SdBase | Template::SdBaseDp)
    }

    /// The template's default clauses. The jurisdiction defaults to
    /// `EU (GDPR)`; the person is expected to set their own.
    pub fn clauses(self) -> Clauses {
        let sd = Clauses {
            purposes: vec![
                Purpose::ServiceDelivery,
                Purpose::Support,
                Purpose::Billing,
                Purpose::Warranty,
                Purpose::LegalObligation,
            ],
            retention_days: 30,
            third_party_sharing: ThirdParty::Never,
            no_tracking_first_party: true,
            no_tracking_third_party: true,
            no_profiling: true,
            deletion_on_request_days: 30,
            portability: false,
            contact: ContactRules {
                channels: vec![Channel::Email],
                max_contacts: 2,
                per_days: 30,
                marketing_allowed: false,
                cross_offers_allowed: false,
            },
            jurisdiction: "EU (GDPR)".to_string(),
            prose: None,
        };
        match self {
            Template::SdBase => sd,
            Template::SdBaseDp => Clauses {
                portability: true,
                ..sd
            },
            Template::PdcIntent => Clauses {
                purposes: vec![Purpose::IntentResponse],
                retention_days: 30,
                contact: ContactRules {
                    max_contacts: 1,
                    ..sd.contact.clone()
                },
                ..sd
            },
        }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Template {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_uppercase();
        Template::ALL
            .into_iter()
            .find(|t| t.id() == s)
            .ok_or_else(|| {
                Error::invalid_field(
                    "template",
                    format!(
                        "unknown terms template {s:?}; use one of: {}",
                        Template::ALL.map(Template::id).join(", ")
                    ),
                )
            })
    }
}

/// A template as the UI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct TemplateInfo {
    /// The template.
    pub template: Template,
    /// Its short name.
    pub title: String,
    /// What it means.
    pub summary: String,
    /// Its default clauses.
    pub clauses: Clauses,
}

/// Every template with its defaults.
pub fn templates() -> Vec<TemplateInfo> {
    Template::ALL
        .into_iter()
        .map(|t| TemplateInfo {
            template: t,
            title: t.title().to_string(),
            summary: t.summary().to_string(),
            clauses: t.clauses(),
        })
        .collect()
}

/// A purpose as the terms editor offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct PurposeOption {
    /// The purpose.
    pub purpose: Purpose,
    /// Its short name.
    pub name: String,
    /// What it allows, as it reads in the terms.
    pub description: String,
}

/// A contact channel as the terms editor offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ChannelOption {
    /// The channel.
    pub channel: Channel,
    /// A few words for a human.
    pub label: String,
}

/// What the terms editor offers: templates with their defaults, the choices
/// of each list, and the ranges of the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct TermsOptions {
    /// Every template, with its default clauses.
    pub templates: Vec<TemplateInfo>,
    /// Every purpose.
    pub purposes: Vec<PurposeOption>,
    /// Every contact channel.
    pub channels: Vec<ChannelOption>,
    /// Shortest retention and deletion period, in days.
    pub days_min: u32,
    /// Longest retention and deletion period, in days.
    pub days_max: u32,
    /// Most contacts per window.
    pub max_contacts: u32,
    /// Longest contact window, in days.
    pub max_per_days: u32,
}

/// Everything the terms editor offers.
pub fn options() -> TermsOptions {
    TermsOptions {
        templates: templates(),
        purposes: Purpose::ALL
            .into_iter()
            .map(|p| PurposeOption {
                purpose: p,
                name: p.name().to_string(),
                description: p.description().to_string(),
            })
            .collect(),
        channels: Channel::ALL
            .into_iter()
            .map(|c| ChannelOption {
                channel: c,
                label: c.label().to_string(),
            })
            .collect(),
        days_min: *DAYS_RANGE.start(),
        days_max: *DAYS_RANGE.end(),
        max_contacts: crate::rights::contact::MAX_CONTACTS,
        max_per_days: crate::rights::contact::MAX_PER_DAYS,
    }
}

/// The text terms would have, and what would be refused in them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct TermsPreview {
    /// The generated document.
    pub text: String,
    /// Why saving would fail, if it would.
    pub problem: Option<String>,
}

/// Preview terms as the editor has them: their text (rendering never fails)
/// and the first problem [`Terms::create`](crate::Terms::create) would
/// refuse them for (the clauses, then the title).
pub fn preview(template: Template, title: &str, clauses: &Clauses) -> TermsPreview {
    let problem = clauses
        .validate_for(template)
        .and_then(|()| check_title(title).map(drop))
        .err()
        .map(|e| e.to_string());
    TermsPreview {
        text: render_text(template, title, clauses),
        problem,
    }
}

/// What a brand may use the person's data for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Purpose {
    /// Delivering the product or service the person asked for.
    ServiceDelivery,
    /// Support the person asks for.
    Support,
    /// Billing and payment.
    Billing,
    /// Warranties, guarantees and recalls.
    Warranty,
    /// What a law obliges the brand to do.
    LegalObligation,
    /// Keeping the service secure and preventing fraud.
    Security,
    /// Personalising the service.
    Personalisation,
    /// Analytics and research to improve the service.
    Analytics,
    /// Marketing.
    Marketing,
    /// An offer in reply to an intent the person cast (intentcasting).
    IntentResponse,
}

impl Purpose {
    /// Every purpose, in display order.
    pub const ALL: [Purpose; 10] = [
        Purpose::ServiceDelivery,
        Purpose::Support,
        Purpose::Billing,
        Purpose::Warranty,
        Purpose::LegalObligation,
        Purpose::Security,
        Purpose::Personalisation,
        Purpose::Analytics,
        Purpose::Marketing,
        Purpose::IntentResponse,
    ];

    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::ServiceDelivery => "service-delivery",
            Purpose::Support => "support",
            Purpose::Billing => "billing",
            Purpose::Warranty => "warranty",
            Purpose::LegalObligation => "legal-obligation",
            Purpose::Security => "security",
            Purpose::Personalisation => "personalisation",
            Purpose::Analytics => "analytics",
            Purpose::Marketing => "marketing",
            Purpose::IntentResponse => "intent-response",
        }
    }

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::ServiceDelivery => "Service delivery",
            Purpose::Support => "Support",
            Purpose::Billing => "Billing",
            Purpose::Warranty => "Warranty",
            Purpose::LegalObligation => "Legal obligations",
            Purpose::Security => "Security and fraud prevention",
            Purpose::Personalisation => "Personalisation",
            Purpose::Analytics => "Analytics and research",
            Purpose::Marketing => "Marketing",
            Purpose::IntentResponse => "Offers in reply to my intent",
        }
    }

    /// What the purpose allows, as it reads in the terms.
    pub fn description(self) -> &'static str {
        match self {
            Purpose::ServiceDelivery => "delivering the product or service I asked for",
            Purpose::Support => "helping me when I ask for support",
            Purpose::Billing => "billing me and handling my payments and refunds",
            Purpose::Warranty => "honouring warranties and guarantees, and telling me of recalls",
            Purpose::LegalObligation => "meeting an obligation the law places on you",
            Purpose::Security => "keeping the service secure and preventing fraud",
            Purpose::Personalisation => "personalising the service for me",
            Purpose::Analytics => "analytics and research to improve your service",
            Purpose::Marketing => "marketing to me",
            Purpose::IntentResponse => "making me an offer in reply to an intent I have cast",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Purpose {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_field(
                    "purposes",
                    format!(
                        "unknown purpose {s:?}; use one of: {}",
                        Purpose::ALL.map(Purpose::as_str).join(", ")
                    ),
                )
            })
    }
}

/// Whether a brand may pass the person's data on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum ThirdParty {
    /// Never.
    Never,
    /// Only with the person's explicit consent, each time.
    OnlyWithConsent,
}

impl ThirdParty {
    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            ThirdParty::Never => "never",
            ThirdParty::OnlyWithConsent => "only-with-consent",
        }
    }

    fn name(self) -> &'static str {
        match self {
            ThirdParty::Never => "never",
            ThirdParty::OnlyWithConsent => "only with my consent",
        }
    }
}

/// Every clause of personal terms the person can edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Clauses {
    /// What the brand may use the data for.
    pub purposes: Vec<Purpose>,
    /// How long the brand may keep data after its purpose has ended.
    pub retention_days: u32,
    /// Whether the brand may pass data on.
    pub third_party_sharing: ThirdParty,
    /// No tracking by the brand itself beyond what the service needs.
    pub no_tracking_first_party: bool,
    /// No tracking by others on the brand's sites, apps or messages.
    pub no_tracking_third_party: bool,
    /// No profiling.
    pub no_profiling: bool,
    /// Data is erased within this many days of a request (also the deadline
    /// a share revocation demands).
    pub deletion_on_request_days: u32,
    /// The brand hands over the person's data in a portable form on request.
    pub portability: bool,
    /// How the brand may contact the person.
    pub contact: ContactRules,
    /// The law the terms are read under, e.g. `EU (GDPR)`.
    pub jurisdiction: String,
    /// The person's own words, appended to the terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prose: Option<String>,
}

impl Clauses {
    /// Check the values: retention and deletion 1..=3650 days, the contact
    /// rules (see [`ContactRules::validate`]), at least one purpose and none
    /// twice, a jurisdiction of 1..=200 characters on one line, prose of at
    /// most 16 KiB.
    pub fn validate(&self) -> Result<()> {
        if self.purposes.is_empty() {
            return Err(Error::invalid_field(
                "purposes",
                "the terms need at least one purpose",
            ));
        }
        for (i, p) in self.purposes.iter().enumerate() {
            if self.purposes[..i].contains(p) {
                return Err(Error::invalid_field(
                    "purposes",
                    format!("the purpose {p} is listed twice"),
                ));
            }
        }
        for (clause, what, n) in [
            ("retentionDays", "retention", self.retention_days),
            (
                "deletionOnRequestDays",
                "deletion on request",
                self.deletion_on_request_days,
            ),
        ] {
            if !DAYS_RANGE.contains(&n) {
                return Err(Error::invalid_field(
                    clause,
                    format!(
                        "{what} is {} to {} days",
                        DAYS_RANGE.start(),
                        DAYS_RANGE.end()
                    ),
                ));
            }
        }
        self.contact.validate()?;
        let j = self.jurisdiction.trim();
        if j.is_empty() {
            return Err(Error::invalid_field(
                "jurisdiction",
                "the terms need a jurisdiction",
            ));
        }
        if j.chars().count() > MAX_JURISDICTION_CHARS
            || j.chars().any(crate::model::text::is_hidden)
        {
            return Err(Error::invalid_field(
                "jurisdiction",
                format!(
                    "the jurisdiction is one line of at most {MAX_JURISDICTION_CHARS} characters, \
                     without control characters or invisible formatting"
                ),
            ));
        }
        if let Some(prose) = &self.prose {
            if prose.len() > MAX_PROSE_BYTES {
                return Err(Error::invalid_field(
                    "prose",
                    format!("your own words are at most {} KiB", MAX_PROSE_BYTES / 1024),
                ));
            }
            if prose
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err(Error::invalid_field(
                    "prose",
                    "your own words contain a control character",
                ));
            }
        }
        Ok(())
    }

    /// [`Clauses::validate`], and the clauses that make the template what
    /// it is: a service-delivery template allows service delivery,
    /// `SD-BASE-DP` keeps portability, `PDC-INTENT` allows offers in reply.
    pub fn validate_for(&self, template: Template) -> Result<()> {
        self.validate()?;
        let needs = |p: Purpose| {
            if self.purposes.contains(&p) {
                Ok(())
            } else {
                Err(Error::invalid_field(
                    "purposes",
                    format!("{template} terms must allow the purpose {p}"),
                ))
            }
        };
        match template {
            Template::SdBase => needs(Purpose::ServiceDelivery),
            Template::SdBaseDp if !self.portability => Err(Error::invalid_field(
                "portability",
                "SD-BASE-DP terms must keep data portability",
            )),
            Template::SdBaseDp => needs(Purpose::ServiceDelivery),
            Template::PdcIntent => needs(Purpose::IntentResponse),
        }
    }

    /// Purposes in display order, without repeats (the order the person
    /// picked them in does not change the terms).
    fn sorted_purposes(&self) -> Vec<Purpose> {
        let mut v = self.purposes.clone();
        v.sort();
        v.dedup();
        v
    }

    fn sorted_channels(&self) -> Vec<Channel> {
        let mut v = self.contact.channels.clone();
        v.sort();
        v.dedup();
        v
    }

    /// The prose, if there is any beyond white space.
    fn prose_text(&self) -> Option<&str> {
        self.prose
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
    }
}

/// Check a title for terms: 1..=200 characters on one line; returns it
/// trimmed.
pub fn check_title(title: &str) -> Result<String> {
    let t = title.trim();
    if t.is_empty() {
        return Err(Error::invalid_field("title", "the terms need a title"));
    }
    if t.chars().count() > MAX_TITLE_CHARS || t.chars().any(crate::model::text::is_hidden) {
        return Err(Error::invalid_field(
            "title",
            format!(
                "a title is one line of at most {MAX_TITLE_CHARS} characters, without control \
                 characters or invisible formatting"
            ),
        ));
    }
    Ok(t.to_string())
}

/// The title as written in the document: on one line, or the template's
/// name if it is blank (rendering never fails, so an unchecked title is
/// tidied rather than refused).
fn display_title(template: Template, title: &str) -> String {
    let t = one_line(title);
    if t.is_empty() {
        template.title().to_string()
    } else {
        t
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn list<T>(items: &[T], name: impl Fn(&T) -> &'static str) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.iter().map(name).collect::<Vec<_>>().join(", ")
    }
}

/// The terms as a plain-text document, for the brand's lawyer and for the
/// person alike: a title, numbered sections (one per group of clauses), the
/// person's own words last. The same input always gives the same text;
/// purposes and channels are listed in display order.
pub fn render_text(template: Template, title: &str, clauses: &Clauses) -> String {
    text::render_text(template, title, clauses)
}

/// The `credentialSubject` of a signed `PersonalTerms` credential: a stable
/// shape with camelCase keys and kebab-case values.
///
/// ```json
/// { "standard": "IEEE 7012", "template": "SD-BASE", "templateTitle": "…",
///   "title": "…", "version": 1,
///   "clauses": { "purposes": ["service-delivery", …], "retentionDays": 30,
///     "thirdPartySharing": "never", "noTrackingFirstParty": true,
///     "noTrackingThirdParty": true, "noProfiling": true,
///     "deletionOnRequestDays": 30, "portability": false,
///     "contact": { "channels": ["email"], "maxContacts": 2, "perDays": 30,
///       "marketingAllowed": false, "crossOffersAllowed": false },
///     "jurisdiction": "EU (GDPR)", "prose": null },
///   "text": "…the rendered document…" }
/// ```
///
/// Purposes and channels are in display order without repeats, the title
/// and jurisdiction on one line, blank prose is `null`: terms that mean the
/// same give the same subject.
pub fn subject_json(template: Template, title: &str, version: u32, clauses: &Clauses) -> Value {
    let purposes: Vec<&str> = clauses
        .sorted_purposes()
        .into_iter()
        .map(Purpose::as_str)
        .collect();
    let channels: Vec<&str> = clauses
        .sorted_channels()
        .into_iter()
        .map(Channel::as_str)
        .collect();
    let c = &clauses.contact;
    json!({
        "standard": "IEEE 7012",
        "template": template.id(),
        "templateTitle": template.title(),
        "title": display_title(template, title),
        "version": version,
        "clauses": {
            "purposes": purposes,
            "retentionDays": clauses.retention_days,
            "thirdPartySharing": clauses.third_party_sharing.as_str(),
            "noTrackingFirstParty": clauses.no_tracking_first_party,
            "noTrackingThirdParty": clauses.no_tracking_third_party,
            "noProfiling": clauses.no_profiling,
            "deletionOnRequestDays": clauses.deletion_on_request_days,
            "portability": clauses.portability,
            "contact": {
                "channels": channels,
                "maxContacts": c.max_contacts,
                "perDays": c.per_days,
                "marketingAllowed": c.marketing_allowed,
                "crossOffersAllowed": c.cross_offers_allowed,
            },
            "jurisdiction": one_line(&clauses.jurisdiction),
            "prose": clauses.prose_text(),
        },
        "text": render_text(template, title, clauses),
    })
}

/// One clause that differs between two sets of terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ClauseChange {
    /// The clause's key, as in [`subject_json`] (`retentionDays`,
    /// `contact.maxContacts`…).
    pub clause: String,
    /// The clause's name for a human.
    pub label: String,
    /// The value before, for a human.
    pub from: String,
    /// The value after, for a human.
    pub to: String,
}

impl ClauseChange {
    /// One line: `Retention after the purpose ends: 30 days → 90 days`
    /// (line breaks in the person's prose become spaces).
    pub fn describe(&self) -> String {
        format!(
            "{}: {} → {}",
            self.label,
            one_line(&self.from),
            one_line(&self.to)
        )
    }
}

/// What a counter-offer changes in the person's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct TermsChange {
    /// The clauses that differ, in clause order.
    pub changes: Vec<ClauseChange>,
}

impl TermsChange {
    /// The changes from the person's terms `ours` to a brand's `theirs`.
    pub fn between(ours: &Clauses, theirs: &Clauses) -> TermsChange {
        TermsChange {
            changes: diff(ours, theirs),
        }
    }

    /// Whether the two sets of terms mean the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// One line per change, `- ` first; empty when nothing changes.
    pub fn describe(&self) -> String {
        self.changes
            .iter()
            .map(|c| format!("- {}\n", c.describe()))
            .collect()
    }
}

/// The clauses that differ from `a` to `b`, in the order of
/// [`subject_json`]. Purposes and channels are compared as sets, the
/// jurisdiction and prose as they read (on one line, trimmed).
pub fn diff(a: &Clauses, b: &Clauses) -> Vec<ClauseChange> {
    let mut out = Vec::new();
    let mut check = |clause: &str, label: &str, from: String, to: String| {
        if from != to {
            out.push(ClauseChange {
                clause: clause.to_string(),
                label: label.to_string(),
                from,
                to,
            });
        }
    };
    let purposes = |c: &Clauses| list(&c.sorted_purposes(), |p| p.name());
    let channels = |c: &Clauses| list(&c.sorted_channels(), |c| c.label());
    let prose = |c: &Clauses| c.prose_text().unwrap_or("(none)").to_string();
    let (ca, cb) = (&a.contact, &b.contact);
    check("purposes", "Purposes", purposes(a), purposes(b));
    check(
        "retentionDays",
        "Retention after the purpose ends",
        days(a.retention_days),
        days(b.retention_days),
    );
    check(
        "thirdPartySharing",
        "Sharing with third parties",
        a.third_party_sharing.name().to_string(),
        b.third_party_sharing.name().to_string(),
    );
    check(
        "noTrackingFirstParty",
        "No first-party tracking",
        yes_no(a.no_tracking_first_party),
        yes_no(b.no_tracking_first_party),
    );
    check(
        "noTrackingThirdParty",
        "No third-party tracking",
        yes_no(a.no_tracking_third_party),
        yes_no(b.no_tracking_third_party),
    );
    check(
        "noProfiling",
        "No profiling",
        yes_no(a.no_profiling),
        yes_no(b.no_profiling),
    );
    check(
        "deletionOnRequestDays",
        "Deletion after a request",
        days(a.deletion_on_request_days),
        days(b.deletion_on_request_days),
    );
    check(
        "portability",
        "Portability",
        yes_no(a.portability),
        yes_no(b.portability),
    );
    check(
        "contact.channels",
        "Contact channels",
        channels(a),
        channels(b),
    );
    check(
        "contact.maxContacts",
        "Most contacts per window",
        ca.max_contacts.to_string(),
        cb.max_contacts.to_string(),
    );
    check(
        "contact.perDays",
        "Contact window",
        days(ca.per_days),
        days(cb.per_days),
    );
    check(
        "contact.marketingAllowed",
        "Marketing allowed",
        yes_no(ca.marketing_allowed),
        yes_no(cb.marketing_allowed),
    );
    check(
        "contact.crossOffersAllowed",
        "Other offers allowed",
        yes_no(ca.cross_offers_allowed),
        yes_no(cb.cross_offers_allowed),
    );
    check(
        "jurisdiction",
        "Law",
        one_line(&a.jurisdiction),
        one_line(&b.jurisdiction),
    );
    check("prose", "In my own words", prose(a), prose(b));
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn base() -> Clauses {
        Template::SdBase.clauses()
    }

    #[test]
    fn every_template_default_is_valid_for_its_template() {
        for t in Template::all() {
            let c = t.clauses();
            c.validate().unwrap();
            c.validate_for(*t).unwrap();
            assert!(!t.summary().is_empty() && !t.title().is_empty());
        }
        assert!(Template::SdBaseDp.clauses().portability);
        assert!(!Template::SdBase.clauses().portability);
        assert_eq!(
            Template::PdcIntent.clauses().purposes,
            [Purpose::IntentResponse]
        );
        assert_eq!(templates().len(), 3);
    }

    #[test]
    fn template_ids_parse_and_print() {
        for t in Template::ALL {
            assert_eq!(t.to_string().parse::<Template>().unwrap(), t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.id());
        }
        assert_eq!(
            " sd-base-dp ".parse::<Template>().unwrap(),
            Template::SdBaseDp
        );
        let err = "SD-BASE-ATP".parse::<Template>().unwrap_err();
        assert!(err.to_string().contains("PDC-INTENT"), "{err}");
        assert!(Template::SdBase.is_service_delivery());
        assert!(!Template::PdcIntent.is_service_delivery());
    }

    #[test]
    fn purposes_have_stable_kebab_ids() {
        for p in Purpose::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
            assert_eq!(p.as_str().parse::<Purpose>().unwrap(), p);
            assert!(
                p.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-')
            );
        }
        assert_eq!(
            serde_json::to_value(ThirdParty::OnlyWithConsent).unwrap(),
            "only-with-consent"
        );
        assert!("world-domination".parse::<Purpose>().is_err());
    }

    /// A change that makes valid clauses invalid.
    type Spoil = fn(&mut Clauses);

    #[test]
    fn validation_refuses_each_bad_value() {
        let bad: Vec<(&str, Spoil)> = vec![
            ("purpose", |c| c.purposes.clear()),
            ("twice", |c| c.purposes.push(Purpose::ServiceDelivery)),
            ("retention", |c| c.retention_days = 0),
            ("retention", |c| c.retention_days = 3651),
            ("deletion", |c| c.deletion_on_request_days = 0),
            ("deletion", |c| c.deletion_on_request_days = 3651),
            ("window", |c| c.contact.per_days = 0),
            ("window", |c| c.contact.per_days = 366),
            ("contacts", |c| c.contact.max_contacts = 1001),
            ("twice", |c| {
                c.contact.channels = vec![Channel::Call, Channel::Call]
            }),
            ("jurisdiction", |c| c.jurisdiction = "  ".into()),
            ("jurisdiction", |c| c.jurisdiction = "x".repeat(201)),
            ("jurisdiction", |c| c.jurisdiction = "EU\nGDPR".into()),
            ("own words", |c| {
                c.prose = Some("x".repeat(MAX_PROSE_BYTES + 1))
            }),
            ("control", |c| c.prose = Some("a\u{7}b".into())),
        ];
        for (word, change) in bad {
            let mut c = base();
            change(&mut c);
            let err = c.validate().expect_err(word);
            assert_eq!(err.code(), "input.invalid");
            assert!(err.to_string().contains(word), "{word}: {err}");
        }
        // The edges of every range are allowed.
        let mut c = base();
        c.retention_days = 1;
        c.deletion_on_request_days = 3650;
        c.contact.per_days = 365;
        c.contact.max_contacts = 0;
        c.contact.channels.clear();
        c.jurisdiction = "x".repeat(200);
        c.prose = Some(format!("{}\n\tend", "x".repeat(MAX_PROSE_BYTES - 5)));
        c.validate().unwrap();
    }

    #[test]
    fn validate_for_keeps_the_template_honest() {
        let mut c = base();
        c.purposes = vec![Purpose::Billing];
        c.validate().unwrap();
        assert!(c.validate_for(Template::SdBase).is_err());
        let mut dp = Template::SdBaseDp.clauses();
        dp.portability = false;
        assert!(dp.validate_for(Template::SdBaseDp).is_err());
        assert!(dp.validate_for(Template::SdBase).is_ok());
        assert!(base().validate_for(Template::PdcIntent).is_err());
    }

    #[test]
    fn titles_are_checked() {
        assert_eq!(check_title("  My terms ").unwrap(), "My terms");
        assert!(check_title(" ").is_err());
        assert!(check_title("a\nb").is_err());
        assert!(check_title(&"x".repeat(201)).is_err());
    }

    fn everything() -> Clauses {
        Clauses {
            purposes: vec![
                Purpose::Marketing,
                Purpose::ServiceDelivery,
                Purpose::Analytics,
            ],
            retention_days: 90,
            third_party_sharing: ThirdParty::OnlyWithConsent,
            no_tracking_first_party: false,
            no_tracking_third_party: true,
            no_profiling: false,
            deletion_on_request_days: 14,
            portability: true,
            contact: ContactRules {
                channels: vec![Channel::Letter, Channel::Email],
                max_contacts: 3,
                per_days: 7,
                marketing_allowed: true,
                cross_offers_allowed: false,
            },
            jurisdiction: "US-CA (CCPA/CPRA)".into(),
            prose: Some("  No calls before 9.\r\nThank you.  ".into()),
        }
    }

    #[test]
    fn the_text_mentions_every_clause() {
        let text = render_text(Template::SdBaseDp, "My terms for Acme", &everything());
        for needle in [
            "My terms for Acme\n=================\n",
            "SD-BASE-DP",
            "marketing to me (marketing)",
            "analytics and research",
            "delivering the product or service I asked for",
            "no longer than 90 days",
            "only with my prior, explicit consent",
            "First-party tracking: you may track",
            "Third-party tracking: you do not",
            "Profiling: you may profile",
            "within 14 days",
            "machine-readable",
            "only by email, letter.",
            "at most 3 times in any 7 consecutive days.",
            "you may send me marketing",
            "you do not offer me products",
            "US-CA (CCPA/CPRA)",
            "\n9. In my own words\n\nNo calls before 9.\nThank you.\n",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert!(!text.contains('\r'));
        // Sections are numbered in order.
        for n in 1..=9 {
            assert!(text.contains(&format!("\n{n}. ")), "section {n}");
        }
        assert!(!text.contains("\n10. "));
    }

    #[test]
    fn the_text_of_the_defaults_reads_as_promised() {
        let text = render_text(Template::SdBase, " ", &base());
        assert!(text.starts_with("Service delivery only\n=====================\n"));
        for needle in [
            "no longer than 30 days",
            "do not sell, share, rent",
            "Profiling: you do not build a profile",
            "no duty of portability",
            "at most twice in any 30 consecutive days.",
            "you send me no marketing",
            "EU (GDPR)",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert!(!text.contains("In my own words"), "no prose, no section");
        let mut none = base();
        none.contact.max_contacts = 0;
        none.contact.channels.clear();
        let text = render_text(Template::SdBase, "t", &none);
        assert!(text.contains("do not contact me at all"));
        assert!(text.contains("do not contact me on any channel"));
        let mut daily = base();
        daily.contact.max_contacts = 1;
        daily.contact.per_days = 1;
        let text = render_text(Template::SdBase, "t", &daily);
        assert!(text.contains("at most once on any one day."), "{text}");
    }

    #[test]
    fn the_text_is_deterministic_and_ignores_list_order() {
        let a = render_text(Template::SdBase, "T", &everything());
        assert_eq!(a, render_text(Template::SdBase, "T", &everything()));
        let mut shuffled = everything();
        shuffled.purposes.reverse();
        shuffled.contact.channels.reverse();
        assert_eq!(a, render_text(Template::SdBase, "T", &shuffled));
        // A title on several lines stays on one.
        let t = render_text(Template::SdBase, "My\nterms", &base());
        assert!(t.starts_with("My terms\n========\n"));
    }

    #[test]
    fn the_subject_has_a_stable_shape() {
        let c = everything();
        let s = subject_json(Template::SdBaseDp, "  My terms ", 3, &c);
        let expected = json!({
            "standard": "IEEE 7012",
            "template": "SD-BASE-DP",
            "templateTitle": "Service delivery only, with data portability",
            "title": "My terms",
            "version": 3,
            "clauses": {
                "purposes": ["service-delivery", "analytics", "marketing"],
                "retentionDays": 90,
                "thirdPartySharing": "only-with-consent",
                "noTrackingFirstParty": false,
                "noTrackingThirdParty": true,
                "noProfiling": false,
                "deletionOnRequestDays": 14,
                "portability": true,
                "contact": {
                    "channels": ["email", "letter"],
                    "maxContacts": 3,
                    "perDays": 7,
                    "marketingAllowed": true,
                    "crossOffersAllowed": false,
                },
                "jurisdiction": "US-CA (CCPA/CPRA)",
                "prose": "No calls before 9.\r\nThank you.",
            },
            "text": render_text(Template::SdBaseDp, "My terms", &c),
        });
        assert_eq!(s, expected);
        let blank = Clauses {
            prose: Some("   ".into()),
            ..base()
        };
        assert_eq!(
            subject_json(Template::SdBase, "t", 1, &blank)["clauses"]["prose"],
            Value::Null
        );
    }

    #[test]
    fn diff_lists_what_changed_in_clause_order() {
        assert!(diff(&base(), &base()).is_empty());
        let mut reordered = base();
        reordered.purposes.reverse();
        assert!(diff(&base(), &reordered).is_empty(), "sets, not lists");

        let theirs = everything();
        let d = diff(&base(), &theirs);
        let keys: Vec<&str> = d.iter().map(|c| c.clause.as_str()).collect();
        assert_eq!(
            keys,
            [
                "purposes",
                "retentionDays",
                "thirdPartySharing",
                "noTrackingFirstParty",
                "noProfiling",
                "deletionOnRequestDays",
                "portability",
                "contact.channels",
                "contact.maxContacts",
                "contact.perDays",
                "contact.marketingAllowed",
                "jurisdiction",
                "prose",
            ]
        );
        let retention = &d[1];
        assert_eq!(
            (retention.from.as_str(), retention.to.as_str()),
            ("30 days", "90 days")
        );
        assert_eq!(
            retention.describe(),
            "Retention after the purpose ends: 30 days → 90 days"
        );
        assert_eq!(
            d[0].to,
            "Service delivery, Analytics and research, Marketing"
        );
        assert_eq!(d[7].to, "email, letter");
        assert_eq!(d[12].from, "(none)");

        let change = TermsChange::between(&base(), &theirs);
        assert!(!change.is_empty());
        assert_eq!(change.describe().lines().count(), d.len());
        assert!(TermsChange::between(&theirs, &theirs).is_empty());
        assert_eq!(TermsChange::default().describe(), "");
    }

    #[test]
    fn clauses_round_trip_through_json() {
        let c = everything();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Clauses>(&json).unwrap(), c);
        let no_prose = serde_json::to_value(base()).unwrap();
        assert!(no_prose.get("prose").is_none());
        assert_eq!(no_prose["contact"]["channels"], json!(["email"]));
    }

    fn any_clauses() -> impl Strategy<Value = Clauses> {
        (
            proptest::sample::subsequence(Purpose::ALL.to_vec(), 0..=10),
            0u32..4000,
            any::<bool>(),
            any::<(bool, bool, bool, bool)>(),
            0u32..4000,
            proptest::sample::subsequence(Channel::ALL.to_vec(), 0..=6),
            (0u32..1100, 0u32..400, any::<bool>(), any::<bool>()),
            "\\PC{0,20}",
            proptest::option::of("\\PC{0,40}"),
        )
            .prop_map(
                |(
                    purposes,
                    retention,
                    share,
                    (t1, t3, prof, port),
                    deletion,
                    channels,
                    r,
                    j,
                    prose,
                )| {
                    Clauses {
                        purposes,
                        retention_days: retention,
                        third_party_sharing: if share {
                            ThirdParty::Never
                        } else {
                            ThirdParty::OnlyWithConsent
                        },
                        no_tracking_first_party: t1,
                        no_tracking_third_party: t3,
                        no_profiling: prof,
                        deletion_on_request_days: deletion,
                        portability: port,
                        contact: ContactRules {
                            channels,
                            max_contacts: r.0,
                            per_days: r.1,
                            marketing_allowed: r.2,
                            cross_offers_allowed: r.3,
                        },
                        jurisdiction: j,
                        prose,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn anything_renders_and_diffs_without_panicking(a in any_clauses(), b in any_clauses(), title in "\\PC{0,30}") {
            let _ = a.validate();
            let text = render_text(Template::PdcIntent, &title, &a);
            prop_assert!(text.ends_with('\n'));
            prop_assert_eq!(&subject_json(Template::PdcIntent, &title, 1, &a)["text"], &Value::String(text));
            prop_assert!(diff(&a, &a).is_empty());
            let d = diff(&a, &b);
            prop_assert_eq!(d.is_empty(), diff(&b, &a).is_empty());
            prop_assert_eq!(d.is_empty(), subject_json(Template::SdBase, "t", 1, &a)["clauses"] == subject_json(Template::SdBase, "t", 1, &b)["clauses"]);
        }

        #[test]
        fn template_ids_round_trip(t in proptest::sample::select(Template::ALL.to_vec())) {
            prop_assert_eq!(t.id().to_lowercase().parse::<Template>().unwrap(), t);
        }
    }

    #[test]
    fn invalid_terms_name_the_clause_at_fault() {
        let field = |c: &Clauses| c.validate().unwrap_err().field().map(str::to_string);
        let mut c = base();
        c.retention_days = 0;
        assert_eq!(field(&c).as_deref(), Some("retentionDays"));
        let mut c = base();
        c.deletion_on_request_days = 100_000;
        assert_eq!(field(&c).as_deref(), Some("deletionOnRequestDays"));
        let mut c = base();
        c.purposes.clear();
        assert_eq!(field(&c).as_deref(), Some("purposes"));
        let mut c = base();
        c.contact.max_contacts = 5000;
        assert_eq!(field(&c).as_deref(), Some("contact.maxContacts"));
        let mut c = base();
        c.contact.per_days = 0;
        assert_eq!(field(&c).as_deref(), Some("contact.perDays"));
        let mut c = base();
        c.contact.channels = vec![Channel::Email, Channel::Email];
        assert_eq!(field(&c).as_deref(), Some("contact.channels"));
        let mut c = base();
        c.jurisdiction = " ".into();
        assert_eq!(field(&c).as_deref(), Some("jurisdiction"));
        let mut c = base();
        c.prose = Some("bell\u{7}".into());
        assert_eq!(field(&c).as_deref(), Some("prose"));

        let mut c = Template::SdBaseDp.clauses();
        c.portability = false;
        let e = c.validate_for(Template::SdBaseDp).unwrap_err();
        assert_eq!(e.field(), Some("portability"));
        let mut c = Template::PdcIntent.clauses();
        c.purposes = vec![Purpose::ServiceDelivery];
        let e = c.validate_for(Template::PdcIntent).unwrap_err();
        assert_eq!(e.field(), Some("purposes"));

        assert_eq!(check_title("  ").unwrap_err().field(), Some("title"));
        assert_eq!(
            "SD-NOPE".parse::<Template>().unwrap_err().field(),
            Some("template")
        );
    }
}
