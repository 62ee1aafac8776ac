//! Brands: what a company is to the person, and the checks its details pass.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BrandId, INBOX_RULE, check_text, is_inbox_url};
use crate::error::{Error, Result};

/// A company the person has a relationship with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Brand {
    /// Random id (UUID v4).
    pub id: BrandId,
    /// Display name, unique in the vault (case-insensitive).
    pub name: String,
    /// Web domain, e.g. `example.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// How to reach them (address, phone, email…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The person's own notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The brand's age recipient (`age1…`), for encrypted shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_recipient: Option<String>,
    /// The brand's `did:key`, to verify what it signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did: Option<String>,
    /// Where the brand receives documents (an http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<String>,
    /// Its inbox may be on the person's own network (a private or
    /// link-local address); without this, only public addresses and this
    /// machine are reached.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_private_inbox: bool,
    /// When the brand was added.
    pub created_at: DateTime<Utc>,
    /// When the brand was last changed.
    pub updated_at: DateTime<Utc>,
}

impl Brand {
    /// A new brand (a fresh random id) with only a name, made at `now`.
    pub fn new(name: impl Into<String>, now: DateTime<Utc>) -> Self {
        Brand {
            id: BrandId::random(),
            name: name.into(),
            domain: None,
            contact: None,
            notes: None,
            age_recipient: None,
            did: None,
            inbox: None,
            allow_private_inbox: false,
            created_at: now,
            updated_at: now,
        }
    }
}

/// What the person supplies to add a brand, or to change one (`None` leaves a
/// value as it is, `Some("")` clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct BrandInput {
    /// Display name (required when adding).
    pub name: Option<String>,
    /// Web domain.
    pub domain: Option<String>,
    /// Contact details.
    pub contact: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// `age1…` recipient.
    pub age_recipient: Option<String>,
    /// `did:key:…`.
    pub did: Option<String>,
    /// Inbox URL.
    pub inbox: Option<String>,
    /// Whether the inbox may be on the person's own network.
    #[serde(default)]
    pub allow_private_inbox: Option<bool>,
}

impl BrandInput {
    /// A new brand with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        BrandInput {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    /// Apply these changes to `brand`, checking every value.
    pub(crate) fn apply_to(&self, brand: &mut Brand) -> Result<()> {
        if let Some(name) = &self.name {
            brand.name = check_brand_name(name)?;
        }
        set_optional(&mut brand.domain, &self.domain, check_domain)?;
        set_optional(&mut brand.contact, &self.contact, |v| {
            check_text("contact", "contact", v)
        })?;
        set_optional(&mut brand.notes, &self.notes, |v| {
            check_text("notes", "notes", v)
        })?;
        set_optional(
            &mut brand.age_recipient,
            &self.age_recipient,
            check_age_recipient,
        )?;
        set_optional(&mut brand.did, &self.did, check_did)?;
        set_optional(&mut brand.inbox, &self.inbox, check_inbox)?;
        if let Some(allow) = self.allow_private_inbox {
            brand.allow_private_inbox = allow;
        }
        Ok(())
    }
}

fn set_optional(
    slot: &mut Option<String>,
    input: &Option<String>,
    check: impl Fn(&str) -> Result<String>,
) -> Result<()> {
    match input.as_deref().map(str::trim) {
        None => {}
        Some("") => *slot = None,
        Some(v) => *slot = Some(check(v)?),
    }
    Ok(())
}

fn check_brand_name(v: &str) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(Error::invalid_field("name", "a brand needs a name"));
    }
    if v.chars().count() > 200 {
        return Err(Error::invalid_field(
            "name",
            "a brand name has at most 200 characters",
        ));
    }
    if v.chars().any(crate::model::text::is_hidden) {
        return Err(Error::invalid_field(
            "name",
            "a brand name cannot contain control characters or invisible formatting \
             (bidi controls such as U+202E, zero-width spaces)",
        ));
    }
    Ok(v.to_string())
}

fn check_domain(v: &str) -> Result<String> {
    let v = v.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !v.is_empty()
        && v.len() <= 253
        && v.contains('.')
        && v.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(v)
    } else {
        Err(Error::invalid_field(
            "domain",
            format!("{v:?} is not a domain name (like example.com)"),
        ))
    }
}

fn check_age_recipient(v: &str) -> Result<String> {
    age::x25519::Recipient::from_str(v)
        .map(|_| v.to_string())
        .map_err(|_| {
            Error::invalid_field(
                "age_recipient",
                "the age recipient must be an X25519 recipient (age1…)",
            )
        })
}

fn check_did(v: &str) -> Result<String> {
    let ok = v.starts_with("did:key:z")
        && v.len() <= 200
        && v["did:key:z".len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !matches!(c, '0' | 'O' | 'I' | 'l'));
    if ok {
        Ok(v.to_string())
    } else {
        Err(Error::invalid_field(
            "did",
            "the DID must be a did:key (did:key:z… in base58btc)",
        ))
    }
}

fn check_inbox(v: &str) -> Result<String> {
    if is_inbox_url(v) {
        Ok(v.to_string())
    } else {
        Err(Error::invalid_field("inbox", INBOX_RULE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MAX_VALUE_LEN;
    use crate::model::test_util::field_of;

    #[test]
    fn brand_values_are_checked() {
        let mut b = Brand {
            id: "x".into(),
            name: "x".into(),
            domain: None,
            contact: None,
            notes: None,
            age_recipient: None,
            did: None,
            inbox: None,
            allow_private_inbox: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let mut input = BrandInput::named("Acme");
        input.domain = Some("Shop.Example.COM".into());
        input.apply_to(&mut b).unwrap();
        assert_eq!(b.domain.as_deref(), Some("shop.example.com"));
        for bad in [
            BrandInput {
                domain: Some("not a domain".into()),
                ..Default::default()
            },
            BrandInput {
                age_recipient: Some("age1nope".into()),
                ..Default::default()
            },
            BrandInput {
                did: Some("did:web:example.com".into()),
                ..Default::default()
            },
            BrandInput {
                inbox: Some("ftp://example.com".into()),
                ..Default::default()
            },
            BrandInput::named("  "),
        ] {
            assert!(bad.apply_to(&mut b.clone()).is_err(), "{bad:?}");
        }
        let clear = BrandInput {
            domain: Some(String::new()),
            ..Default::default()
        };
        clear.apply_to(&mut b).unwrap();
        assert_eq!(b.domain, None, "an empty value clears");
    }

    /// Issue 13, 5: an inbox is https, or plain http only to this machine.
    #[test]
    fn an_inbox_is_https_or_loopback_http() {
        let b = Brand::new("Acme", Utc::now());
        for ok in [
            "https://acme.example/intents",
            "http://127.0.0.1:8700/",
            "http://localhost:8700/intents",
            "http://[::1]:8700/",
        ] {
            let input = BrandInput {
                inbox: Some(ok.into()),
                ..Default::default()
            };
            assert!(input.apply_to(&mut b.clone()).is_ok(), "{ok}");
        }
        for bad in [
            "http://acme.example/intents",
            "http://10.0.0.5:8700/",
            "http://192.168.1.2/",
            "http://127.0.0.1.example.com/",
            "ftp://127.0.0.1/",
        ] {
            let input = BrandInput {
                inbox: Some(bad.into()),
                ..Default::default()
            };
            let err = input.apply_to(&mut b.clone()).unwrap_err();
            assert_eq!(err.field(), Some("inbox"), "{bad}");
            assert!(err.to_string().contains("https://"), "{bad}: {err}");
        }
    }

    #[test]
    fn brand_errors_name_the_brand_field() {
        let mut brand = Brand {
            id: "b".into(),
            name: "Acme".into(),
            domain: None,
            contact: None,
            notes: None,
            age_recipient: None,
            did: None,
            inbox: None,
            allow_private_inbox: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        for (input, field) in [
            (BrandInput::named("  "), "name"),
            (BrandInput::named("x".repeat(201)), "name"),
            (BrandInput::named("Evil\u{202E}Corp"), "name"),
            (
                BrandInput {
                    domain: Some("not a domain".into()),
                    ..Default::default()
                },
                "domain",
            ),
            (
                BrandInput {
                    notes: Some("a\0b".into()),
                    ..Default::default()
                },
                "notes",
            ),
            (
                BrandInput {
                    contact: Some("x".repeat(MAX_VALUE_LEN + 1)),
                    ..Default::default()
                },
                "contact",
            ),
            (
                BrandInput {
                    age_recipient: Some("age1nope".into()),
                    ..Default::default()
                },
                "age_recipient",
            ),
            (
                BrandInput {
                    did: Some("did:web:example.com".into()),
                    ..Default::default()
                },
                "did",
            ),
            (
                BrandInput {
                    inbox: Some("ftp://example.com".into()),
                    ..Default::default()
                },
                "inbox",
            ),
        ] {
            assert_eq!(
                field_of(input.apply_to(&mut brand)).as_deref(),
                Some(field),
                "{input:?}"
            );
        }
    }
}
