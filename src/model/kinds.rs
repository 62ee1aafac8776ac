//! The kinds of record, the fields each knows, and the checks a record's
//! fields and tags pass.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::dates::{date_expected, parse_date};
use super::{MAX_FIELDS, MAX_TAGS, check_text, is_http_url, money};
use crate::error::{Error, Result};

/// The kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum RecordKind {
    /// A personal fact: email, phone, address, birthday, size…
    Profile,
    /// An account with a brand.
    Account,
    /// Something bought.
    Purchase,
    /// A warranty or guarantee.
    Warranty,
    /// A recurring subscription.
    Subscription,
    /// A preference the person holds (about a brand or in general).
    Preference,
    /// A free-form note.
    Note,
    /// A contact with a brand on any channel (call, chat, email, social,
    /// in-store, letter).
    Interaction,
}

impl RecordKind {
    /// Every kind, in display order.
    pub const ALL: [RecordKind; 8] = [
        RecordKind::Profile,
        RecordKind::Account,
        RecordKind::Purchase,
        RecordKind::Warranty,
        RecordKind::Subscription,
        RecordKind::Preference,
        RecordKind::Note,
        RecordKind::Interaction,
    ];

    /// The kind's name as written on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Profile => "profile",
            RecordKind::Account => "account",
            RecordKind::Purchase => "purchase",
            RecordKind::Warranty => "warranty",
            RecordKind::Subscription => "subscription",
            RecordKind::Preference => "preference",
            RecordKind::Note => "note",
            RecordKind::Interaction => "interaction",
        }
    }

    /// The fields this kind knows, with their types. A field marked required
    /// must be present.
    pub fn fields(self) -> &'static [FieldSpec] {
        use FieldType::*;
        const fn f(name: &'static str, ty: FieldType, required: bool) -> FieldSpec {
            FieldSpec { name, ty, required }
        }
        match self {
            RecordKind::Profile => {
                const F: &[FieldSpec] = &[
                    f("email", Email, false),
                    f("phone", Phone, false),
                    f("address", Text, false),
                    f("birthday", Date, false),
                    f("name", Text, false),
                    f("size", Text, false),
                    f("date", Date, false),
                ];
                F
            }
            RecordKind::Account => {
                const F: &[FieldSpec] = &[
                    f("username", Text, false),
                    f("email", Email, false),
                    f("number", Text, false),
                    f("url", Url, false),
                    f("date", Date, false),
                    f("status", Text, false),
                ];
                F
            }
            RecordKind::Purchase => {
                const F: &[FieldSpec] = &[
                    f("item", Text, true),
                    f("date", Date, false),
                    f("price", Money, false),
                    f("order", Text, false),
                    f("store", Text, false),
                ];
                F
            }
            RecordKind::Warranty => {
                const F: &[FieldSpec] = &[
                    f("item", Text, true),
                    f("date", Date, false),
                    f("expires", Date, false),
                    f("provider", Text, false),
                ];
                F
            }
            RecordKind::Subscription => {
                const F: &[FieldSpec] = &[
                    f("plan", Text, true),
                    f("price", Money, false),
                    f("period", Enum(PERIODS), false),
                    f("date", Date, false),
                    f("renews", Date, false),
                    f("cancelled", Date, false),
                ];
                F
            }
            RecordKind::Preference => {
                const F: &[FieldSpec] = &[
                    f("topic", Text, true),
                    f("value", Text, true),
                    f("date", Date, false),
                ];
                F
            }
            RecordKind::Note => {
                const F: &[FieldSpec] = &[f("text", Text, true), f("date", Date, false)];
                F
            }
            RecordKind::Interaction => {
                const F: &[FieldSpec] = &[
                    f("channel", Enum(CHANNELS), true),
                    f("direction", Enum(DIRECTIONS), true),
                    f("date", Date, true),
                    f("summary", Text, true),
                    f("purpose", Enum(PURPOSES), false),
                    f("contact", Text, false),
                ];
                F
            }
        }
    }
}

/// Channels an interaction can happen on.
pub const CHANNELS: &[&str] = &["call", "chat", "email", "social", "in-store", "letter"];
/// Directions of an interaction.
pub const DIRECTIONS: &[&str] = &["inbound", "outbound"];
/// Why a brand made contact (used by the contact rules of personal terms).
pub const PURPOSES: &[&str] = &[
    "service",
    "support",
    "billing",
    "marketing",
    "sales",
    "other",
];
const PERIODS: &[&str] = &["weekly", "monthly", "quarterly", "yearly", "other"];

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_field(
                    "kind",
                    format!(
                        "unknown record kind {s:?}; use one of: {}",
                        RecordKind::ALL.map(RecordKind::as_str).join(", ")
                    ),
                )
            })
    }
}

/// One known field of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Field name.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Whether a record of the kind must have it.
    pub required: bool,
}

/// A kind and its known fields, for building forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct KindSpec {
    /// The kind.
    pub kind: RecordKind,
    /// Its known fields, in display order.
    pub fields: Vec<FieldSpecView>,
}

/// One known field, as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct FieldSpecView {
    /// Field name.
    pub name: String,
    /// `text`, `date`, `email`, `phone`, `url`, `money` or `choice`.
    pub r#type: String,
    /// Whether a record of the kind must have it.
    pub required: bool,
    /// The allowed values of a `choice` field.
    pub options: Vec<String>,
}

/// Every kind with its known fields.
pub fn kind_specs() -> Vec<KindSpec> {
    RecordKind::ALL
        .into_iter()
        .map(|kind| KindSpec {
            kind,
            fields: kind
                .fields()
                .iter()
                .map(|f| {
                    let (ty, options) = match f.ty {
                        FieldType::Text => ("text", vec![]),
                        FieldType::Date => ("date", vec![]),
                        FieldType::Email => ("email", vec![]),
                        FieldType::Phone => ("phone", vec![]),
                        FieldType::Url => ("url", vec![]),
                        FieldType::Money => ("money", vec![]),
                        FieldType::Enum(words) => {
                            ("choice", words.iter().map(|w| w.to_string()).collect())
                        }
                    };
                    FieldSpecView {
                        name: f.name.to_string(),
                        r#type: ty.to_string(),
                        required: f.required,
                        options,
                    }
                })
                .collect(),
        })
        .collect()
}

/// The type of a known field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldType {
    /// Any text.
    Text,
    /// A date `YYYY-MM-DD` or an RFC 3339 timestamp.
    Date,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// An http(s) URL.
    Url,
    /// An amount, optionally with an ISO 4217 currency: `12.50 EUR`.
    Money,
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
}

/// Check and normalise a record's fields for its kind.
pub fn check_fields(
    kind: RecordKind,
    fields: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    if fields.is_empty() {
        return Err(Error::invalid_field(
            "fields",
            format!(
                "{} record needs at least one field",
                crate::model::text::a(kind.as_str())
            ),
        ));
    }
    if fields.len() > MAX_FIELDS {
        return Err(Error::invalid_field(
            "fields",
            format!("a record has at most {MAX_FIELDS} fields"),
        ));
    }
    let mut out = BTreeMap::new();
    for (name, value) in fields {
        let name = check_field_name(name)?;
        let value = value.trim();
        if value.is_empty() {
            return Err(Error::invalid_field(
                format!("fields.{name}"),
                format!("field {name} is empty"),
            ));
        }
        check_text(&format!("fields.{name}"), &format!("field {name}"), value)?;
        let value = match kind.fields().iter().find(|s| s.name == name) {
            Some(spec) => check_field_value(&name, spec.ty, value)?,
            None => value.to_string(),
        };
        out.insert(name, value);
    }
    for spec in kind.fields().iter().filter(|s| s.required) {
        if !out.contains_key(spec.name) {
            return Err(Error::invalid_field(
                format!("fields.{}", spec.name),
                format!(
                    "{} record needs the field {}",
                    crate::model::text::a(kind.as_str()),
                    spec.name
                ),
            ));
        }
    }
    Ok(out)
}

fn check_field_name(name: &str) -> Result<String> {
    let name = name.trim().to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name)
    } else {
        Err(Error::invalid_field(
            "fields",
            format!("{name:?} is not a field name (letters, digits, _ and -, at most 64)"),
        ))
    }
}

fn check_field_value(name: &str, ty: FieldType, v: &str) -> Result<String> {
    let bad = |expect: &str| {
        Err(Error::invalid_field(
            format!("fields.{name}"),
            format!("field {name}: expected {expect}"),
        ))
    };
    match ty {
        FieldType::Text => Ok(v.to_string()),
        FieldType::Date => match parse_date(v) {
            Some(_) => Ok(v.to_string()),
            None => bad(date_expected(v)),
        },
        FieldType::Email => {
            let ok = v.split_once('@').is_some_and(|(local, host)| {
                !local.is_empty() && host.contains('.') && !host.starts_with('.')
            }) && !v.chars().any(char::is_whitespace);
            if ok {
                Ok(v.to_string())
            } else {
                bad("an email address")
            }
        }
        FieldType::Phone => {
            let digits = v.chars().filter(char::is_ascii_digit).count();
            let ok = (3..=20).contains(&digits)
                && v.chars()
                    .all(|c| c.is_ascii_digit() || " +-().x".contains(c));
            if ok {
                Ok(v.to_string())
            } else {
                bad("a phone number")
            }
        }
        FieldType::Url => {
            if is_http_url(v) {
                Ok(v.to_string())
            } else {
                bad("an http:// or https:// URL")
            }
        }
        FieldType::Money => {
            if money::is_money_field(v) {
                Ok(v.to_string())
            } else {
                bad("an amount like 12.50 or 12.50 EUR")
            }
        }
        FieldType::Enum(words) => {
            let lower = v.to_ascii_lowercase();
            if words.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                bad(&format!("one of {}", words.join(", ")))
            }
        }
    }
}

/// Check and normalise tags: trimmed, no spaces, commas or semicolons,
/// duplicates dropped, order kept.
pub fn check_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > 64
            || tag.chars().any(|c| {
                c.is_whitespace() || crate::model::text::is_hidden(c) || c == ',' || c == ';'
            })
        {
            return Err(Error::invalid_field(
                "tags",
                format!(
                    "{tag:?} is not a tag (no spaces, commas, semicolons, control characters or \
                     invisible formatting; at most 64 characters)"
                ),
            ));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(Error::invalid_field(
            "tags",
            format!("a record has at most {MAX_TAGS} tags"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::model::test_util::{field_of, fields};
    use crate::model::*;

    #[test]
    fn interaction_needs_channel_direction_date_and_summary() {
        let err = check_fields(
            RecordKind::Interaction,
            &fields(&[("channel", "call"), ("direction", "inbound")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("needs the field"), "{err}");
        let ok = check_fields(
            RecordKind::Interaction,
            &fields(&[
                ("channel", "Call"),
                ("direction", "inbound"),
                ("date", "2026-03-01"),
                ("summary", "asked about my order"),
            ]),
        )
        .unwrap();
        assert_eq!(ok["channel"], "call", "enum values are normalised");
    }

    #[test]
    fn typed_fields_are_checked() {
        for (kind, name, bad) in [
            (RecordKind::Interaction, "channel", "pigeon"),
            (RecordKind::Profile, "email", "not-an-email"),
            (RecordKind::Profile, "birthday", "31/02/1990"),
            (RecordKind::Purchase, "price", "ten euros"),
            (RecordKind::Account, "url", "javascript:alert(1)"),
            (RecordKind::Profile, "phone", "call me maybe"),
        ] {
            let mut f = fields(&[(name, bad)]);
            if kind == RecordKind::Interaction {
                f.extend(fields(&[
                    ("direction", "inbound"),
                    ("date", "2026-01-01"),
                    ("summary", "x"),
                ]));
            }
            if kind == RecordKind::Purchase {
                f.insert("item".into(), "shoes".into());
            }
            let err = check_fields(kind, &f).expect_err(&format!("{name}={bad} must fail"));
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn unknown_fields_are_free_text_but_names_are_checked() {
        let ok = check_fields(RecordKind::Profile, &fields(&[("Shoe_Size", "43")])).unwrap();
        assert_eq!(ok["shoe_size"], "43");
        assert!(check_fields(RecordKind::Profile, &fields(&[("bad name", "x")])).is_err());
        assert!(check_fields(RecordKind::Profile, &BTreeMap::new()).is_err());
    }

    #[test]
    fn tags_are_deduplicated_and_checked() {
        let t = check_tags(&["a".into(), " a ".into(), "b".into(), "".into()]).unwrap();
        assert_eq!(t, vec!["a", "b"]);
        assert!(check_tags(&["two words".into()]).is_err());
    }

    #[test]
    fn record_errors_name_the_record_field_at_fault() {
        for (kind, given, field) in [
            (
                RecordKind::Profile,
                fields(&[("email", "not-an-email")]),
                "fields.email",
            ),
            (
                RecordKind::Profile,
                fields(&[("phone", "call me maybe")]),
                "fields.phone",
            ),
            (
                RecordKind::Purchase,
                fields(&[("date", "2026-01-01")]),
                "fields.item",
            ),
            (RecordKind::Note, fields(&[("text", "  ")]), "fields.text"),
            (RecordKind::Note, fields(&[("text", "a\0b")]), "fields.text"),
            (RecordKind::Note, fields(&[]), "fields"),
            (
                RecordKind::Note,
                fields(&[("text", "t"), ("no spaces", "x")]),
                "fields",
            ),
        ] {
            assert_eq!(
                field_of(check_fields(kind, &given)).as_deref(),
                Some(field),
                "{kind:?} {given:?}"
            );
        }
        let too_many: BTreeMap<String, String> = (0..=MAX_FIELDS)
            .map(|i| (format!("f{i}"), "v".to_string()))
            .collect();
        assert_eq!(
            field_of(check_fields(RecordKind::Note, &too_many)).as_deref(),
            Some("fields")
        );
        assert_eq!(
            field_of(check_tags(&["two words".to_string()])).as_deref(),
            Some("tags")
        );
        assert_eq!(
            field_of("diary".parse::<RecordKind>()).as_deref(),
            Some("kind")
        );

        let mut record = Record {
            id: "x".into(),
            kind: RecordKind::Note,
            brand: None,
            fields: fields(&[("text", "t")]),
            tags: vec![],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let patch = RecordPatch {
            remove: vec!["colour".into()],
            ..Default::default()
        };
        assert_eq!(
            field_of(patch.apply(&mut record, None)).as_deref(),
            Some("fields.colour")
        );
    }
}
