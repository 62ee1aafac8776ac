//! Records: what the vault keeps of each relationship, how a record is
//! added, changed and filtered, and the borrowed view search indexes from.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::dates::{parse_date, parse_timestamp};
use super::kinds::{RecordKind, check_fields, check_tags};
use super::{BrandId, RecordId};
use crate::error::{Error, Result};

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Record {
    /// Random id (UUID v4).
    pub id: RecordId,
    /// What kind of record this is.
    pub kind: RecordKind,
    /// The brand it belongs to, if any.
    pub brand: Option<BrandId>,
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
    pub(crate) fn apply(&self, record: &mut Record, brand: Option<Option<BrandId>>) -> Result<()> {
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
    use crate::model::test_util::fields;

    #[test]
    fn a_patch_tells_absent_null_and_a_brand_apart() {
        let p: RecordPatch = serde_json::from_str("{}").unwrap();
        assert_eq!(p.brand, None);
        let p: RecordPatch = serde_json::from_str(r#"{"brand": null}"#).unwrap();
        assert_eq!(p.brand, Some(None));
        let p: RecordPatch = serde_json::from_str(r#"{"brand": "Acme"}"#).unwrap();
        assert_eq!(p.brand, Some(Some("Acme".into())));
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
            id: r.id.into(),
            kind: r.kind,
            brand: r.brand.map(String::from),
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
}
