//! Clauses by name: read them back from a terms document, and change one by
//! the key it has there (`retentionDays`, `contact.maxContacts`…). The CLI's
//! `terms new --set` and a brand's counter-offer both edit clauses this way.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::rights::contact::Channel;
use crate::terms::{Clauses, Purpose, ThirdParty};

/// Every clause key, as in a terms document.
pub const CLAUSE_KEYS: [&str; 15] = [
    "purposes",
    "retentionDays",
    "thirdPartySharing",
    "noTrackingFirstParty",
    "noTrackingThirdParty",
    "noProfiling",
    "deletionOnRequestDays",
    "portability",
    "contact.channels",
    "contact.maxContacts",
    "contact.perDays",
    "contact.marketingAllowed",
    "contact.crossOffersAllowed",
    "jurisdiction",
    "prose",
];

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(Error::invalid_field(
            key,
            format!("{key}: expected true or false"),
        )),
    }
}

fn parse_u32(key: &str, v: &str) -> Result<u32> {
    v.trim()
        .parse()
        .map_err(|_| Error::invalid_field(key, format!("{key}: expected a whole number")))
}

fn parse_third_party(v: &str) -> Result<ThirdParty> {
    match v.trim().to_ascii_lowercase().as_str() {
        "never" => Ok(ThirdParty::Never),
        "only-with-consent" | "with-consent" | "consent" => Ok(ThirdParty::OnlyWithConsent),
        _ => Err(Error::invalid_field(
            "thirdPartySharing",
            "thirdPartySharing: expected never or only-with-consent",
        )),
    }
}

fn list<T>(v: &str, parse: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse)
        .collect()
}

impl Clauses {
    /// Change one clause by its key; lists are comma-separated (an empty
    /// value empties a list or clears the prose). Call
    /// [`Clauses::validate`] after the last change.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let k = key.trim();
        match k {
            "purposes" => self.purposes = list(value, str::parse::<Purpose>)?,
            "retentionDays" => self.retention_days = parse_u32(k, value)?,
            "thirdPartySharing" => self.third_party_sharing = parse_third_party(value)?,
            "noTrackingFirstParty" => self.no_tracking_first_party = parse_bool(k, value)?,
            "noTrackingThirdParty" => self.no_tracking_third_party = parse_bool(k, value)?,
            "noProfiling" => self.no_profiling = parse_bool(k, value)?,
            "deletionOnRequestDays" => self.deletion_on_request_days = parse_u32(k, value)?,
            "portability" => self.portability = parse_bool(k, value)?,
            "contact.channels" => {
                self.contact.channels = list(value, str::parse::<Channel>)
                    .map_err(|e| e.for_field("contact.channels"))?
            }
            "contact.maxContacts" => self.contact.max_contacts = parse_u32(k, value)?,
            "contact.perDays" => self.contact.per_days = parse_u32(k, value)?,
            "contact.marketingAllowed" => self.contact.marketing_allowed = parse_bool(k, value)?,
            "contact.crossOffersAllowed" => {
                self.contact.cross_offers_allowed = parse_bool(k, value)?
            }
            "jurisdiction" => self.jurisdiction = value.trim().to_string(),
            "prose" => {
                let p = value.trim();
                self.prose = (!p.is_empty()).then(|| p.to_string());
            }
            // Not a clause: the key, not a clause's value, is at fault.
            _ => {
                return Err(Error::invalid(format!(
                    "unknown clause {k:?}; clauses are: {}",
                    CLAUSE_KEYS.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The clauses of a terms document's `credentialSubject` (the shape of
    /// [`crate::terms::subject_json`]), checked.
    pub fn from_subject(subject: &Value) -> Result<Clauses> {
        let c = subject
            .get("clauses")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::Document("the terms have no clauses".into()))?;
        let bad =
            |k: &str| Error::Document(format!("the terms' clause {k} is missing or malformed"));
        let get = |path: &str| -> Option<&Value> {
            match path.split_once('.') {
                Some((a, b)) => c.get(a).and_then(|v| v.get(b)),
                None => c.get(path),
            }
        };
        let text = |k: &str| -> Result<String> {
            match get(k) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(Value::Bool(b)) => Ok(b.to_string()),
                Some(Value::Number(n)) => Ok(n.to_string()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string).ok_or_else(|| bad(k)))
                    .collect::<Result<Vec<_>>>()
                    .map(|v| v.join(",")),
                Some(Value::Null) if k == "prose" => Ok(String::new()),
                _ => Err(bad(k)),
            }
        };
        let mut clauses = crate::terms::Template::SdBase.clauses();
        for k in CLAUSE_KEYS {
            clauses
                .set(k, &text(k)?)
                .map_err(|e| Error::Document(format!("the terms' clause {k}: {e}")))?;
        }
        clauses
            .validate()
            .map_err(|e| Error::Document(format!("the terms' clauses are not valid: {e}")))?;
        Ok(clauses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terms::{Template, subject_json};

    #[test]
    fn clauses_round_trip_through_a_terms_document() {
        for t in Template::ALL {
            let mut c = t.clauses();
            c.set("retentionDays", "45").unwrap();
            c.set("contact.channels", "email, letter").unwrap();
            c.set("prose", "Be kind.").unwrap();
            let subject = subject_json(t, "Mine", 1, &c);
            let back = Clauses::from_subject(&subject).unwrap();
            assert_eq!(crate::terms::diff(&c, &back), vec![], "{t:?}");
        }
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let mut c = Template::SdBase.clauses();
        assert!(c.set("retention", "3").is_err());
        assert!(c.set("retentionDays", "many").is_err());
        assert!(c.set("noProfiling", "perhaps").is_err());
        assert!(c.set("purposes", "world-domination").is_err());
        assert!(c.set("contact.channels", "pigeon").is_err());
        assert!(Clauses::from_subject(&serde_json::json!({"clauses": {}})).is_err());
    }

    #[test]
    fn a_bad_clause_value_names_its_clause() {
        let mut c = Template::SdBase.clauses();
        for (key, value) in [
            ("retentionDays", "many"),
            ("noProfiling", "perhaps"),
            ("thirdPartySharing", "sometimes"),
            ("contact.maxContacts", "-1"),
            ("contact.channels", "pigeon"),
            ("purposes", "world-domination"),
        ] {
            let e = c.set(key, value).unwrap_err();
            assert_eq!(e.code(), "input.invalid", "{e}");
            assert_eq!(e.field(), Some(key), "{key}={value}: {e}");
        }
        // An unknown key is not a clause the form could show it beside.
        assert_eq!(c.set("retention", "3").unwrap_err().field(), None);
    }
}
