//! What the vault holds: brands and records, and the rules a value must meet
//! before it is stored.
//!
//! A record has a kind, an optional brand, typed fields (a map of name → text,
//! checked against the kind's field types) and tags. Known fields are checked
//! (dates, email, money, the channel of an interaction…); other field names
//! are allowed as free text, so a person can keep what matters to them.

pub mod money;
pub mod text;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest brand name, field value, etc. we accept, in bytes.
pub const MAX_VALUE_LEN: usize = 64 * 1024;
/// Most fields one record may have.
pub const MAX_FIELDS: usize = 200;
/// Most tags one record may have.
pub const MAX_TAGS: usize = 50;

/// A company the person has a relationship with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Brand {
    /// Random id (UUID v4).
    pub id: String,
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
    /// When the brand was added.
    pub created_at: DateTime<Utc>,
    /// When the brand was last changed.
    pub updated_at: DateTime<Utc>,
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

/// `field` names the value for [`Error::field`], `what` for the message.
fn check_text(field: &str, what: &str, v: &str) -> Result<String> {
    if v.len() > MAX_VALUE_LEN {
        return Err(Error::invalid_field(
            field,
            format!("{what} is too long (at most {MAX_VALUE_LEN} bytes)"),
        ));
    }
    if v.contains('\0') {
        return Err(Error::invalid_field(
            field,
            format!("{what} contains a NUL character"),
        ));
    }
    Ok(v.to_string())
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

/// An `http://` or `https://` URL (as written: lower-case scheme) that
/// parses as one, with a host; one line of at most 2000 bytes. The inbox
/// check, the `url` field kind's, and the check before a POST.
pub(crate) fn is_http_url(v: &str) -> bool {
    (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() <= 2000
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(v).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

fn check_inbox(v: &str) -> Result<String> {
    if is_http_url(v) {
        Ok(v.to_string())
    } else {
        Err(Error::invalid_field(
            "inbox",
            "the inbox must be an http:// or https:// URL",
        ))
    }
}

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

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Record {
    /// Random id (UUID v4).
    pub id: String,
    /// What kind of record this is.
    pub kind: RecordKind,
    /// The brand it belongs to, if any.
    pub brand: Option<String>,
    /// Typed fields.
    pub fields: BTreeMap<String, String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// When the record was added.
    #[serde(deserialize_with = "timestamp")]
    #[cfg_attr(feature = "ts", specta(type = DateTime<Utc>))]
    pub created_at: DateTime<Utc>,
    /// When the record was last changed.
    #[serde(deserialize_with = "timestamp")]
    #[cfg_attr(feature = "ts", specta(type = DateTime<Utc>))]
    pub updated_at: DateTime<Utc>,
}

impl Record {
    /// The date the record is about: its `date` field if it has one, else
    /// the day it was added.
    pub fn date(&self) -> NaiveDate {
        self.fields
            .get("date")
            .and_then(|d| parse_date(d))
            .unwrap_or_else(|| self.created_at.date_naive())
    }
}

/// A record's sealed JSON read for the search index without building a
/// [`Record`]: strings borrow from the decrypted bytes (only a value with JSON
/// escapes is copied, and that copy is wiped), and only `created_at` becomes a
/// timestamp. It accepts exactly the JSON that [`Record`] accepts (the other
/// fields are still checked, then dropped), so a row is damaged on both paths
/// or on neither; and [`RecordView::index_parts`] yields what indexing the
/// [`Record`] would.
#[derive(Debug, Deserialize)]
pub(crate) struct RecordView<'a> {
    #[serde(rename = "id")]
    _id: AnyString,
    pub(crate) kind: RecordKind,
    #[serde(rename = "brand")]
    _brand: Option<AnyString>,
    #[serde(borrow, deserialize_with = "view_fields")]
    fields: Vec<(Text<'a>, Text<'a>)>,
    #[serde(borrow, default)]
    tags: Vec<Text<'a>>,
    #[serde(deserialize_with = "timestamp")]
    pub(crate) created_at: DateTime<Utc>,
    #[serde(rename = "updated_at", deserialize_with = "timestamp")]
    _updated_at: DateTime<Utc>,
}

impl<'a> RecordView<'a> {
    /// The field values in the order of [`Record::fields`] (by name), then
    /// the tags.
    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .map(|(_, v)| v.as_str())
            .chain(self.tags.iter().map(Text::as_str))
    }

    /// As [`Record::date`].
    pub(crate) fn date(&self) -> NaiveDate {
        self.fields
            .binary_search_by(|(k, _)| k.as_str().cmp("date"))
            .ok()
            .and_then(|i| parse_date(self.fields[i].1.as_str()))
            .unwrap_or_else(|| self.created_at.date_naive())
    }
}

/// A JSON string, borrowed when it has no escapes. An unescaped copy holds
/// plaintext, so it is wiped when dropped.
#[derive(Debug)]
pub(crate) struct Text<'a>(std::borrow::Cow<'a, str>);

impl Text<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for Text<'_> {
    fn drop(&mut self) {
        if let std::borrow::Cow::Owned(s) = &mut self.0 {
            zeroize::Zeroize::zeroize(s);
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Text(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Text(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Any JSON string, checked and dropped.
#[derive(Debug)]
struct AnyString;

impl<'de> Deserialize<'de> for AnyString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = AnyString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
                Ok(AnyString)
            }
        }
        d.deserialize_str(V)
    }
}

/// A map of strings as `BTreeMap<String, String>` would hold it: sorted by
/// name, a repeated name keeping its last value.
fn view_fields<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<(Text<'a>, Text<'a>)>, D::Error> {
    struct V<'a>(std::marker::PhantomData<&'a ()>);
    impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
        type Value = Vec<(Text<'a>, Text<'a>)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out: Vec<(Text<'a>, Text<'a>)> = Vec::with_capacity(8);
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            // Stable: of equal names, the last one read stays last.
            out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
            let mut i = 0;
            while i + 1 < out.len() {
                if out[i].0.as_str() == out[i + 1].0.as_str() {
                    out.remove(i);
                } else {
                    i += 1;
                }
            }
            Ok(out)
        }
    }
    d.deserialize_map(V(std::marker::PhantomData))
}

/// A timestamp as `DateTime<Utc>`'s own `Deserialize` reads it.
fn timestamp<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<DateTime<Utc>, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an RFC 3339 formatted date and time string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            parse_timestamp(v).map_err(E::custom)
        }
    }
    d.deserialize_str(V)
}

/// Parse a timestamp exactly as `DateTime<Utc>`'s `FromStr` (and so its
/// `Deserialize`) does. That reads a relaxed RFC 3339 (a space for the `T`,
/// …); the strict form, which is what the vault writes, is tried first with
/// chrono's RFC 3339 parser, about five times cheaper, and means the same.
pub(crate) fn parse_timestamp(v: &str) -> std::result::Result<DateTime<Utc>, chrono::ParseError> {
    match DateTime::parse_from_rfc3339(v) {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(_) => v.parse(),
    }
}

/// What the person supplies to add a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct NewRecord {
    /// Kind.
    pub kind: RecordKind,
    /// Brand id, name or id prefix; resolved by the vault.
    #[serde(default)]
    pub brand: Option<String>,
    /// Fields.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Changes to a record. Fields in `set` are added or replaced, those in
/// `remove` dropped; tags likewise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RecordPatch {
    /// New kind (the fields must then suit it).
    #[serde(default)]
    pub kind: Option<RecordKind>,
    /// `Some(None)` detaches the record from its brand; `Some(Some(b))` moves
    /// it. In JSON: absent leaves it, `null` detaches, a string moves it.
    #[serde(
        default,
        deserialize_with = "present_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ts", specta(optional, type = Option<String>))]
    pub brand: Option<Option<String>>,
    /// Fields to add or replace.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Field names to remove.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Tags to add.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

impl RecordPatch {
    /// Apply the patch to `record`, with its brand reference already
    /// resolved to an id (`brand`), and check the result.
    pub(crate) fn apply(&self, record: &mut Record, brand: Option<Option<String>>) -> Result<()> {
        if let Some(kind) = self.kind {
            record.kind = kind;
        }
        if let Some(brand) = brand {
            record.brand = brand;
        }
        for name in &self.remove {
            let name = name.trim().to_ascii_lowercase();
            if record.fields.remove(&name).is_none() {
                return Err(Error::invalid_field(
                    format!("fields.{name}"),
                    format!("the record has no field {name}"),
                ));
            }
        }
        for (k, v) in &self.set {
            record
                .fields
                .insert(k.trim().to_ascii_lowercase(), v.clone());
        }
        record.fields = check_fields(record.kind, &record.fields)?;
        record.tags.retain(|t| !self.remove_tags.contains(t));
        record.tags.extend(self.add_tags.iter().cloned());
        record.tags = check_tags(&record.tags)?;
        record.updated_at = Utc::now();
        Ok(())
    }
}

/// A field that is present (even as `null`) becomes `Some`.
fn present_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
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
            if check_inbox(v).is_ok() {
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

/// What a date should look like, for an error about `v` that is not one: a
/// time without its UTC offset is the usual slip, and is named as such.
pub fn date_expected(v: &str) -> &'static str {
    let v = v.trim();
    let has_time = v.len() > 10
        && v.as_bytes()
            .get(10)
            .is_some_and(|c| matches!(c, b'T' | b't' | b' '));
    // Exactly a `YYYY-MM-DD` day before the time: the date parser also
    // reads other shapes (`+2026-3-14`), so the day must print back as it
    // was written.
    if has_time && parse_ymd(&v[..10]).is_some_and(|d| d.format("%Y-%m-%d").to_string() == v[..10])
    {
        "an RFC 3339 time with its UTC offset, like 2026-03-14T10:00:00Z or 2026-03-14T10:00:00+01:00 (or just the day, 2026-03-14)"
    } else {
        "a date like 2026-03-14, or an RFC 3339 time like 2026-03-14T10:00:00Z"
    }
}

/// Parse `YYYY-MM-DD` or an RFC 3339 timestamp to its date.
pub fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    parse_ymd(v).or_else(|| DateTime::parse_from_rfc3339(v).ok().map(|d| d.date_naive()))
}

/// `%Y-%m-%d` as chrono's format items: what [`NaiveDate::parse_from_str`]
/// makes of that format string on every call, made once.
const YEAR_MONTH_DAY: [chrono::format::Item<'static>; 5] = {
    use chrono::format::{Item, Numeric, Pad};
    [
        Item::Numeric(Numeric::Year, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Month, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Day, Pad::Zero),
    ]
};

/// `NaiveDate::parse_from_str(v, "%Y-%m-%d")`, without parsing the format.
fn parse_ymd(v: &str) -> Option<NaiveDate> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, v, YEAR_MONTH_DAY.iter()).ok()?;
    parsed.to_naive_date().ok()
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

/// Which records to list. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RecordFilter {
    /// Only this brand (id, id prefix or name).
    #[serde(default)]
    pub brand: Option<String>,
    /// Only this kind.
    #[serde(default)]
    pub kind: Option<RecordKind>,
    /// Only records carrying every one of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only records dated on or after this day.
    #[serde(default)]
    pub since: Option<NaiveDate>,
    /// Only records dated on or before this day.
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

impl RecordFilter {
    /// Whether `r`, whose date ([`Record::date`]) is `date`, passes.
    pub(crate) fn matches(&self, r: &Record, date: NaiveDate, brand_id: Option<&str>) -> bool {
        if let Some(b) = brand_id
            && r.brand.as_deref() != Some(b)
        {
            return false;
        }
        if self.kind.is_some_and(|k| k != r.kind) {
            return false;
        }
        if !self.tags.iter().all(|t| r.tags.iter().any(|rt| rt == t)) {
            return false;
        }
        !(self.since.is_some_and(|s| date < s) || self.until.is_some_and(|u| date > u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

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
    fn urls_are_http_or_https_with_a_host() {
        for good in [
            "https://intake.acme-shop.example/inbox",
            "http://127.0.0.1:8700/",
            "http://[::1]:8700/intents",
            "https://xn--bcher-kva.example/a?b=c#d",
        ] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "",
            "https://",
            "http://:80",
            "http://[::1",
            "http://exa mple.com",
            "http://example.com/\u{7}",
            "HTTPS://example.com",
            "https:example.com",
            "ftp://example.com",
            "javascript:alert(1)",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
        assert!(!is_http_url(&format!(
            "https://example.com/{}",
            "a".repeat(2000)
        )));
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

    #[test]
    fn a_patch_tells_absent_null_and_a_brand_apart() {
        let p: RecordPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(p.brand, None);
        let p: RecordPatch = serde_json::from_str(r#"{"brand": null}"#).unwrap();
        assert_eq!(p.brand, Some(None));
        let p: RecordPatch = serde_json::from_str(r#"{"brand": "Acme"}"#).unwrap();
        assert_eq!(p.brand, Some(Some("Acme".into())));
    }

    #[test]
    fn the_date_parser_agrees_with_chrono() {
        let chrono = |v: &str| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        for v in [
            "2026-03-14",
            "0000-01-01",
            "9999-12-31",
            "2024-02-29",
            "2023-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026/01/01",
            "+026-01-01",
            "2026-01-0a",
        ] {
            assert_eq!(parse_ymd(v), chrono(v), "{v}");
            assert_eq!(parse_date(v), chrono(v), "{v}");
        }
        assert_eq!(
            parse_date(" 2026-03-14T10:00:00+01:00 "),
            NaiveDate::from_ymd_opt(2026, 3, 14)
        );
    }

    #[test]
    fn the_date_items_are_the_format_strings() {
        let items: Vec<_> = chrono::format::StrftimeItems::new("%Y-%m-%d").collect();
        assert_eq!(items, YEAR_MONTH_DAY);
    }

    #[test]
    fn a_time_without_its_offset_is_named_only_after_a_plain_day() {
        let offset = date_expected("2026-03-14T10:00");
        assert!(offset.contains("with its UTC offset"), "{offset}");
        assert_eq!(date_expected("2026-03-14 10:00"), offset);
        let plain = date_expected("yesterday");
        assert_ne!(plain, offset);
        // chrono reads these days, but they are not written `YYYY-MM-DD`.
        for v in ["+2026-3-14T10:00", "2026- 3-14T10:00", "-2026-3-14 10:00"] {
            assert!(parse_ymd(&v[..10]).is_some(), "{v}");
            assert_eq!(date_expected(v), plain, "{v}");
        }
        assert_eq!(date_expected("2026-02-30T10:00"), plain);
    }

    proptest::proptest! {
        #[test]
        fn parse_date_matches_chrono_on_date_shaped_text(v in "[0-9+ -]{0,2}[0-9]{4}-[0-9]{1,2}-[0-9]{1,3}") {
            let expected = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
            proptest::prop_assert_eq!(parse_date(&v), expected);
        }
    }

    /// What indexing takes from a record: kind, values in order, tags, date
    /// and creation time.
    type IndexView = (RecordKind, Vec<String>, NaiveDate, DateTime<Utc>);

    fn via_record(json: &str) -> Option<IndexView> {
        let r: Record = serde_json::from_str(json).ok()?;
        let values = r.fields.values().chain(r.tags.iter()).cloned().collect();
        Some((r.kind, values, r.date(), r.created_at))
    }

    /// `Record` as it was before its timestamps took the fast parser.
    #[derive(Debug, Deserialize, PartialEq)]
    struct ChronoRecord {
        id: String,
        kind: RecordKind,
        brand: Option<String>,
        fields: BTreeMap<String, String>,
        #[serde(default)]
        tags: Vec<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }

    fn as_chrono_record(json: &str) -> Option<ChronoRecord> {
        let r: Record = serde_json::from_str(json).ok()?;
        Some(ChronoRecord {
            id: r.id,
            kind: r.kind,
            brand: r.brand,
            fields: r.fields,
            tags: r.tags,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    fn via_view(json: &str) -> Option<IndexView> {
        let v: RecordView<'_> = serde_json::from_str(json).ok()?;
        let values = v.values().map(str::to_string).collect();
        Some((v.kind, values, v.date(), v.created_at))
    }

    /// JSON text for a string value, with escapes when it needs them.
    fn js(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    fn member_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let text = "[a-zA-Z0-9 _\"\\\\é\u{7}ß-]{0,8}";
        let stamp = prop_oneof![
            Just("2026-11-25T04:00:00Z".to_string()),
            Just("2026-11-25T04:00:00.123456789Z".to_string()),
            Just("2026-11-25T04:00:00.5Z".to_string()),
            Just("2026-11-25T04:00:00+01:00".to_string()),
            Just("2026-11-25 04:00:00Z".to_string()),
            Just("2026-02-30T04:00:00Z".to_string()),
            Just("2026-11-25T04:00:60Z".to_string()),
            Just("2026-11-25T24:00:00Z".to_string()),
            Just("2026-11-25T04:00:00.1234567891Z".to_string()),
            Just("2026-11-25T04:00:00z".to_string()),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?Z",
        ]
        .prop_map(|s| js(&s));
        let field_name = prop_oneof![Just("date".to_string()), Just("text".to_string()), text];
        let field_value = prop_oneof![
            Just("2020-01-02".to_string()),
            Just("2020-13-02".to_string()),
            Just(" 2021-03-04T05:06:07+08:00 ".to_string()),
            "[a-zé\"\\\\ ]{0,6}",
        ];
        let fields = prop_oneof![
            8 => proptest::collection::vec(
                (field_name, prop_oneof![9 => field_value.prop_map(|v| js(&v)), 1 => Just("1".to_string())]),
                0..5,
            )
            .prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("{}:{v}", js(k))).collect();
                format!("{{{}}}", body.join(","))
            }),
            1 => Just("null".to_string()),
            1 => Just("[]".to_string()),
        ];
        let tags = prop_oneof![
            8 => proptest::collection::vec("[a-zé\"\\\\]{0,5}", 0..3)
                .prop_map(|t| format!("[{}]", t.iter().map(|s| js(s)).collect::<Vec<_>>().join(","))),
            1 => Just("null".to_string()),
            1 => Just("[1]".to_string()),
        ];
        let kind = prop_oneof![
            Just("\"note\"".to_string()),
            Just("\"interaction\"".to_string()),
            Just("\"Note\"".to_string()),
            Just("3".to_string()),
        ];
        let id = prop_oneof![
            Just("\"x\"".to_string()),
            Just("\"\\u0041\"".to_string()),
            Just("null".to_string())
        ];
        let brand = prop_oneof![
            Just("\"b\"".to_string()),
            Just("null".to_string()),
            Just("7".to_string())
        ];
        prop_oneof![
            id.prop_map(|v| format!("\"id\":{v}")),
            kind.prop_map(|v| format!("\"kind\":{v}")),
            brand.prop_map(|v| format!("\"brand\":{v}")),
            fields.prop_map(|v| format!("\"fields\":{v}")),
            tags.prop_map(|v| format!("\"tags\":{v}")),
            stamp.clone().prop_map(|v| format!("\"created_at\":{v}")),
            stamp.prop_map(|v| format!("\"updated_at\":{v}")),
            Just("\"extra\":[1,{\"a\":null}]".to_string()),
        ]
    }

    proptest::proptest! {
        /// The borrowing view accepts exactly the JSON a `Record` accepts and
        /// yields the same index text, date and creation time.
        #[test]
        fn the_view_reads_what_a_record_reads(
            members in proptest::collection::vec(member_strategy(), 0..9),
            complete in proptest::bool::ANY,
        ) {
            let mut members = members;
            if complete {
                // Usually valid: every required member first, then the rest
                // (a repeated member makes both reject it).
                let mut base = vec![
                    "\"id\":\"x\"".to_string(),
                    "\"kind\":\"note\"".to_string(),
                    "\"fields\":{\"text\":\"t\"}".to_string(),
                    "\"created_at\":\"2026-01-02T03:04:05.678Z\"".to_string(),
                    "\"updated_at\":\"2026-01-02T03:04:05Z\"".to_string(),
                ];
                base.retain(|b| !members.iter().any(|m| m.split(':').next() == b.split(':').next()));
                members.extend(base);
            }
            let json = format!("{{{}}}", members.join(","));
            proptest::prop_assert_eq!(via_view(&json), via_record(&json), "{}", json);
            proptest::prop_assert_eq!(
                as_chrono_record(&json),
                serde_json::from_str::<ChronoRecord>(&json).ok(),
                "{}",
                json
            );
        }

        #[test]
        fn records_as_the_vault_writes_them_read_the_same(
            fields in proptest::collection::btree_map("[a-z_-]{1,8}", "\\PC{1,12}", 1..6),
            tags in proptest::collection::vec("\\PC{1,8}", 0..3),
            date in proptest::option::of("[0-9]{4}-[0-9]{2}-[0-9]{2}"),
            secs in 0i64..4_000_000_000,
            nanos in 0u32..1_000_000_000,
        ) {
            let mut fields = fields;
            if let Some(d) = date { fields.insert("date".into(), d); }
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            let r = Record {
                id: "id".into(), kind: RecordKind::Note, brand: Some("b".into()),
                fields, tags, created_at: t, updated_at: t,
            };
            let json = serde_json::to_string(&r).unwrap();
            proptest::prop_assert!(via_view(&json).is_some());
            proptest::prop_assert_eq!(via_view(&json), via_record(&json));
        }

        #[test]
        fn parse_timestamp_matches_chrono(
            v in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,11})?(Z|z|[+-][0-9]{2}:[0-9]{2})",
        ) {
            proptest::prop_assert_eq!(parse_timestamp(&v).ok(), v.parse::<DateTime<Utc>>().ok(), "{}", v);
        }
    }

    #[test]
    fn record_date_prefers_the_date_field() {
        let r = Record {
            id: "x".into(),
            kind: RecordKind::Note,
            brand: None,
            fields: fields(&[("text", "t"), ("date", "2020-05-06")]),
            tags: vec![],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(r.date(), NaiveDate::from_ymd_opt(2020, 5, 6).unwrap());
    }

    /// The field a failed check names.
    fn field_of<T: std::fmt::Debug>(r: Result<T>) -> Option<String> {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "input.invalid", "{e}");
        e.field().map(str::to_string)
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
