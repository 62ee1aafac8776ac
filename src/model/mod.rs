//! What the vault holds: brands and records, and the rules a value must meet
//! before it is stored.
//!
//! A record has a kind, an optional brand, typed fields (a map of name → text,
//! checked against the kind's field types) and tags. Known fields are checked
//! (dates, email, money, the channel of an interaction…); other field names
//! are allowed as free text, so a person can keep what matters to them.

mod brand;
mod dates;
pub mod ids;
mod kinds;
pub mod money;
mod observed;
mod page;
mod record;
pub mod text;

use crate::error::{Error, Result};

pub use brand::{Brand, BrandInput};
pub use dates::{date_expected, parse_date};
pub use ids::{
    AgreementId, BrandId, IntentId, OfferId, RecordId, RequestId, ShareId, TermsVersionId,
};
pub use kinds::{
    CHANNELS, DIRECTIONS, FieldSpec, FieldSpecView, FieldType, KindSpec, PURPOSES, RecordKind,
    check_fields, check_tags, kind_specs,
};
pub(crate) use observed::OBSERVED_DOC;
pub use observed::{Observed, ObservedItem, Unsubscribe};
pub(crate) use page::select_page;
pub use page::{MAX_PAGE_LIMIT, Page, PageRequest};
pub(crate) use record::RecordView;
pub use record::{NewRecord, Record, RecordFilter, RecordPatch};

/// Longest brand name, field value, etc. we accept, in bytes.
pub const MAX_VALUE_LEN: usize = 64 * 1024;
/// Most fields one record may have.
pub const MAX_FIELDS: usize = 200;
/// Most tags one record may have.
pub const MAX_TAGS: usize = 50;

/// `field` names the value for [`Error::field`], `what` for the message.
pub(crate) fn check_text(field: &str, what: &str, v: &str) -> Result<String> {
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

/// An `http://` or `https://` URL (as written: lower-case scheme) that
/// parses as one, with a host; one line of at most 2000 bytes. The inbox
/// check, the `url` field kind's, and the check before a POST.
pub(crate) fn is_http_url(v: &str) -> bool {
    (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() <= 2000
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(v).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// What an inbox URL must be, as the person is told.
pub(crate) const INBOX_RULE: &str =
    "the inbox must be an https:// URL (http:// only to this machine: localhost, 127.0.0.1 or ::1)";

/// An inbox URL we post to: `https://`, or `http://` only to this machine
/// (localhost, 127.0.0.0/8, ::1), where there is no network to read it on.
pub(crate) fn is_inbox_url(v: &str) -> bool {
    is_http_url(v) && url::Url::parse(v).is_ok_and(|u| u.scheme() == "https" || is_loopback_url(&u))
}

/// Whether `url` names this machine: `localhost` or a loopback address.
pub(crate) fn is_loopback_url(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Helpers the model's tests share.
#[cfg(test)]
pub(crate) mod test_util {
    use std::collections::BTreeMap;

    use crate::error::Result;

    /// A record's fields from pairs.
    pub(crate) fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The field a failed check names.
    pub(crate) fn field_of<T: std::fmt::Debug>(r: Result<T>) -> Option<String> {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "input.invalid", "{e}");
        e.field().map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
