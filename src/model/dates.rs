//! Days and timestamps as records write them: `YYYY-MM-DD`, or RFC 3339
//! with its offset.

use chrono::{DateTime, NaiveDate, Utc};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
