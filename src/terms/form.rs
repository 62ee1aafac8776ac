//! The app's terms editor as typed: [`TermsForm`] holds the values the way
//! the editor has them (numbers as the person typed them) and makes the
//! [`Clauses`], or says what is wrong beside the form's own field, so the
//! app keeps no number parsing and no rule of its own.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rights::contact::{Channel, ContactRules};
use crate::terms::{Clauses, Purpose, Template, TermsPreview, ThirdParty, check_title, preview};

/// The app's terms editor, as typed: every number a string (what is in its
/// input), lists as chosen, the prose empty for none. Its fields are those
/// of [`Clauses`], flattened (`contact.max_contacts` is `max_contacts`),
/// with the template and title. [`TermsForm::clauses`] reads it,
/// [`TermsForm::check`] also checks it as
/// [`Terms::create`](crate::Terms::create) does; both name the form's fields
/// in their errors (`retention_days`, not the clause key `retentionDays`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct TermsForm {
    /// The template the terms start from.
    pub template: Template,
    /// The title.
    pub title: String,
    /// What the brand may use the data for.
    pub purposes: Vec<Purpose>,
    /// Days the brand may keep data after its purpose ends: a whole number.
    pub retention_days: String,
    /// Whether the brand may pass data on.
    pub third_party_sharing: ThirdParty,
    /// No tracking by the brand itself beyond what the service needs.
    pub no_tracking_first_party: bool,
    /// No tracking by others.
    pub no_tracking_third_party: bool,
    /// No profiling.
    pub no_profiling: bool,
    /// Days within which data is erased on request: a whole number.
    pub deletion_on_request_days: String,
    /// Data handed over in a portable form on request.
    pub portability: bool,
    /// The channels the brand may use.
    pub channels: Vec<Channel>,
    /// The most contacts per window: a whole number (0: none).
    pub max_contacts: String,
    /// The contact window, in days: a whole number.
    pub per_days: String,
    /// Whether the brand may send marketing.
    pub marketing_allowed: bool,
    /// Whether the brand may offer what the person did not ask for.
    pub cross_offers_allowed: bool,
    /// The law the terms are read under.
    pub jurisdiction: String,
    /// The person's own words; empty (or only white space) for none.
    pub prose: String,
}

impl TermsForm {
    /// The form showing `clauses` (a template's defaults, or a version to
    /// copy): what the editor starts from. [`TermsForm::clauses`] gives the
    /// clauses back.
    pub fn new(template: Template, title: &str, clauses: &Clauses) -> TermsForm {
        let c = clauses;
        TermsForm {
            template,
            title: title.to_string(),
            purposes: c.purposes.clone(),
            retention_days: c.retention_days.to_string(),
            third_party_sharing: c.third_party_sharing,
            no_tracking_first_party: c.no_tracking_first_party,
            no_tracking_third_party: c.no_tracking_third_party,
            no_profiling: c.no_profiling,
            deletion_on_request_days: c.deletion_on_request_days.to_string(),
            portability: c.portability,
            channels: c.contact.channels.clone(),
            max_contacts: c.contact.max_contacts.to_string(),
            per_days: c.contact.per_days.to_string(),
            marketing_allowed: c.contact.marketing_allowed,
            cross_offers_allowed: c.contact.cross_offers_allowed,
            jurisdiction: c.jurisdiction.clone(),
            prose: c.prose.clone().unwrap_or_default(),
        }
    }

    /// The clauses the form makes, its numbers read (whole numbers, white
    /// space around them ignored), the prose left out when blank; or the
    /// first number that is not one, naming its field. The ranges are not
    /// checked here ([`TermsForm::check`] does), so that terms out of range
    /// can still be previewed.
    pub fn clauses(&self) -> Result<Clauses> {
        let retention_days = whole("retention_days", &self.retention_days)?;
        let deletion_on_request_days =
            whole("deletion_on_request_days", &self.deletion_on_request_days)?;
        let max_contacts = whole("max_contacts", &self.max_contacts)?;
        let per_days = whole("per_days", &self.per_days)?;
        Ok(Clauses {
            purposes: self.purposes.clone(),
            retention_days,
            third_party_sharing: self.third_party_sharing,
            no_tracking_first_party: self.no_tracking_first_party,
            no_tracking_third_party: self.no_tracking_third_party,
            no_profiling: self.no_profiling,
            deletion_on_request_days,
            portability: self.portability,
            contact: ContactRules {
                channels: self.channels.clone(),
                max_contacts,
                per_days,
                marketing_allowed: self.marketing_allowed,
                cross_offers_allowed: self.cross_offers_allowed,
            },
            jurisdiction: self.jurisdiction.clone(),
            prose: (!self.prose.trim().is_empty()).then(|| self.prose.clone()),
        })
    }

    /// [`TermsForm::clauses`], checked as [`Terms::create`](crate::Terms::create)
    /// checks them with the form's template and title: the first thing
    /// wrong, naming the form's field.
    pub fn check(&self) -> Result<Clauses> {
        let clauses = self.clauses()?;
        clauses
            .validate_for(self.template)
            .and_then(|()| check_title(&self.title).map(drop))
            .map_err(own_field)?;
        Ok(clauses)
    }

    /// The text the terms would have, and what saving would refuse in
    /// them (see [`preview`]); an error when a number is not one, as there
    /// are no clauses to show then.
    pub fn preview(&self) -> Result<TermsPreview> {
        Ok(preview(self.template, &self.title, &self.clauses()?))
    }
}

/// The form's field for a value the checks of [`Clauses`] name (by its key
/// in a terms document, e.g. `contact.maxContacts`) or the title; `None`
/// for a name the form does not have.
pub fn form_field(core: &str) -> Option<&'static str> {
    Some(match core {
        "template" => "template",
        "title" => "title",
        "purposes" => "purposes",
        "retentionDays" => "retention_days",
        "thirdPartySharing" => "third_party_sharing",
        "noTrackingFirstParty" => "no_tracking_first_party",
        "noTrackingThirdParty" => "no_tracking_third_party",
        "noProfiling" => "no_profiling",
        "deletionOnRequestDays" => "deletion_on_request_days",
        "portability" => "portability",
        "contact.channels" => "channels",
        "contact.maxContacts" => "max_contacts",
        "contact.perDays" => "per_days",
        "contact.marketingAllowed" => "marketing_allowed",
        "contact.crossOffersAllowed" => "cross_offers_allowed",
        "jurisdiction" => "jurisdiction",
        "prose" => "prose",
        _ => return None,
    })
}

/// `e` naming the form's field for the clause it names.
fn own_field(e: Error) -> Error {
    match e.field().and_then(form_field) {
        Some(f) => e.for_field(f),
        None => e,
    }
}

/// A whole number typed into the form's `field`. The value is not repeated
/// in the message: it is shown beside the field, which has it.
fn whole(field: &str, text: &str) -> Result<u32> {
    let (what, kind) = match field {
        "retention_days" => ("retention", "a whole number of days"),
        "deletion_on_request_days" => ("deletion on request", "a whole number of days"),
        "max_contacts" => ("the most contacts per window", "a whole number (0: none)"),
        // per_days
        _ => ("the contact window", "a whole number of days"),
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::invalid_field(field, format!("{what}: enter {kind}")));
    }
    // Digits only: no sign, no decimal point, no exponent, no inner space.
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_field(field, format!("{what} is {kind}")));
    }
    // Only digits: the parse fails only past u32::MAX.
    t.parse()
        .map_err(|_| Error::invalid_field(field, format!("{what}: the number is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terms::clauses::CLAUSE_KEYS;

    fn form() -> TermsForm {
        TermsForm::new(Template::SdBase, "My terms", &Template::SdBase.clauses())
    }

    fn refused(f: &TermsForm) -> (String, String) {
        let e = f.clauses().expect_err("the form must be refused");
        assert_eq!(e.code(), "input.invalid", "{e}");
        (e.field().unwrap_or_default().to_string(), e.to_string())
    }

    // The editor's reading of its numbers, moved here from the app
    // (ui/tests/relations_format.test.ts): the same cases, the same outcomes.

    #[test]
    fn a_template_round_trips_through_the_form() {
        for t in Template::ALL {
            let c = t.clauses();
            let f = TermsForm::new(t, "My terms", &c);
            assert_eq!(f.retention_days, c.retention_days.to_string());
            assert_eq!(f.prose, "");
            assert_eq!(f.clauses().unwrap(), c, "{t:?}");
            assert_eq!(f.check().unwrap(), c, "{t:?}");
        }
    }

    #[test]
    fn every_input_makes_its_clause_and_the_prose_only_when_written() {
        let f = TermsForm {
            template: Template::SdBaseDp,
            purposes: vec![Purpose::ServiceDelivery, Purpose::Marketing],
            retention_days: " 90 ".into(),
            third_party_sharing: ThirdParty::OnlyWithConsent,
            no_profiling: false,
            deletion_on_request_days: "14".into(),
            portability: true,
            channels: vec![Channel::Email, Channel::Letter],
            max_contacts: "0".into(),
            per_days: "007".into(),
            marketing_allowed: true,
            jurisdiction: "US-CA (CCPA/CPRA)".into(),
            prose: "No calls before 9.".into(),
            ..form()
        };
        let c = f.clauses().unwrap();
        let base = Template::SdBase.clauses();
        assert_eq!(
            c,
            Clauses {
                purposes: vec![Purpose::ServiceDelivery, Purpose::Marketing],
                retention_days: 90,
                third_party_sharing: ThirdParty::OnlyWithConsent,
                no_profiling: false,
                deletion_on_request_days: 14,
                portability: true,
                contact: ContactRules {
                    channels: vec![Channel::Email, Channel::Letter],
                    max_contacts: 0,
                    per_days: 7,
                    marketing_allowed: true,
                    ..base.contact.clone()
                },
                jurisdiction: "US-CA (CCPA/CPRA)".into(),
                prose: Some("No calls before 9.".into()),
                ..base
            }
        );
        let blank = TermsForm {
            prose: "  \n".into(),
            ..f
        };
        assert_eq!(blank.clauses().unwrap().prose, None);
    }

    #[test]
    fn a_number_that_is_not_whole_is_refused_beside_its_field() {
        let cases: [(TermsForm, &str, &str); 10] = [
            (
                TermsForm {
                    retention_days: String::new(),
                    ..form()
                },
                "retention_days",
                "retention: enter a whole number of days",
            ),
            (
                TermsForm {
                    retention_days: " \t ".into(),
                    ..form()
                },
                "retention_days",
                "retention: enter a whole number of days",
            ),
            (
                TermsForm {
                    per_days: "1.5".into(),
                    ..form()
                },
                "per_days",
                "the contact window is a whole number of days",
            ),
            (
                TermsForm {
                    max_contacts: "-1".into(),
                    ..form()
                },
                "max_contacts",
                "the most contacts per window is a whole number (0: none)",
            ),
            (
                TermsForm {
                    max_contacts: "+1".into(),
                    ..form()
                },
                "max_contacts",
                "the most contacts per window is a whole number (0: none)",
            ),
            (
                TermsForm {
                    deletion_on_request_days: "3 0".into(),
                    ..form()
                },
                "deletion_on_request_days",
                "deletion on request is a whole number of days",
            ),
            (
                TermsForm {
                    deletion_on_request_days: "1e3".into(),
                    ..form()
                },
                "deletion_on_request_days",
                "deletion on request is a whole number of days",
            ),
            (
                TermsForm {
                    retention_days: "thirty".into(),
                    ..form()
                },
                "retention_days",
                "retention is a whole number of days",
            ),
            (
                TermsForm {
                    // Not ASCII digits: Arabic-Indic three, zero.
                    per_days: "\u{663}\u{660}".into(),
                    ..form()
                },
                "per_days",
                "the contact window is a whole number of days",
            ),
            (
                TermsForm {
                    retention_days: "4294967296".into(),
                    ..form()
                },
                "retention_days",
                "retention: the number is too large",
            ),
        ];
        for (f, field, message) in cases {
            assert_eq!(refused(&f), (field.to_string(), message.to_string()));
            // Nothing to preview either: the preview says the same.
            assert_eq!(f.preview().unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn the_first_bad_number_in_the_forms_order_is_named() {
        let f = TermsForm {
            per_days: "x".into(),
            deletion_on_request_days: "".into(),
            ..form()
        };
        assert_eq!(refused(&f).0, "deletion_on_request_days");
    }

    #[test]
    fn out_of_range_numbers_are_read_then_refused_by_the_check_beside_their_field() {
        // The largest u32 is read; its range is the check's.
        let f = TermsForm {
            retention_days: "4294967295".into(),
            ..form()
        };
        assert_eq!(f.clauses().unwrap().retention_days, u32::MAX);
        let f = TermsForm {
            retention_days: "99999".into(),
            ..form()
        };
        assert_eq!(f.clauses().unwrap().retention_days, 99999);
        let e = f.check().unwrap_err();
        assert_eq!(
            (e.field(), e.to_string().as_str()),
            (Some("retention_days"), "retention is 1 to 3650 days")
        );
        // Still previewed, with the problem saving would meet.
        let p = f.preview().unwrap();
        assert!(p.text.contains("99999 days"), "{}", p.text);
        assert_eq!(p.problem.as_deref(), Some("retention is 1 to 3650 days"));

        for (f, field) in [
            (
                TermsForm {
                    deletion_on_request_days: "0".into(),
                    ..form()
                },
                "deletion_on_request_days",
            ),
            (
                TermsForm {
                    max_contacts: "1001".into(),
                    ..form()
                },
                "max_contacts",
            ),
            (
                TermsForm {
                    per_days: "0".into(),
                    ..form()
                },
                "per_days",
            ),
            (
                TermsForm {
                    purposes: vec![Purpose::Support],
                    ..form()
                },
                "purposes",
            ),
            (
                TermsForm {
                    channels: vec![Channel::Email, Channel::Email],
                    ..form()
                },
                "channels",
            ),
            (
                TermsForm {
                    template: Template::SdBaseDp,
                    portability: false,
                    ..form()
                },
                "portability",
            ),
            (
                TermsForm {
                    jurisdiction: " ".into(),
                    ..form()
                },
                "jurisdiction",
            ),
            (
                TermsForm {
                    prose: "a\u{7}b".into(),
                    ..form()
                },
                "prose",
            ),
            (
                TermsForm {
                    title: "  ".into(),
                    ..form()
                },
                "title",
            ),
        ] {
            let e = f.check().unwrap_err();
            assert_eq!(e.code(), "input.invalid", "{e}");
            assert_eq!(e.field(), Some(field), "{e}");
            assert_eq!(f.preview().unwrap().problem, Some(e.to_string()));
        }
    }

    #[test]
    fn every_clause_the_core_names_is_a_field_of_the_form() {
        let json = serde_json::to_value(form()).unwrap();
        for key in CLAUSE_KEYS.iter().chain(&["title", "template"]) {
            let field = form_field(key).unwrap_or_else(|| panic!("{key} has no field"));
            assert!(json.get(field).is_some(), "{key} → {field}");
        }
        assert_eq!(form_field("contact.maxContacts"), Some("max_contacts"));
        assert_eq!(form_field("retentionDays"), Some("retention_days"));
        assert_eq!(form_field("unknown"), None);
    }
}
