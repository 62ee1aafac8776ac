//! One message's facts: who wrote to whom, when, about what, whether it was
//! bulk mail and how to leave the list; and, only when asked, its HTML body
//! for the structured data in it. Values are cleaned for display (control
//! characters out, whitespace collapsed, length capped) before anything
//! else sees them.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Utc};
use mail_parser::{Address, HeaderValue, Message, MessageParser, PartType};

use crate::model::Unsubscribe;

/// The longest subject or display name kept, in characters.
const MAX_TEXT_CHARS: usize = 200;
/// The longest address kept, in bytes (RFC 5321's path limit).
const MAX_ADDRESS_BYTES: usize = 254;
/// Most recipients looked at in one message.
const MAX_RECIPIENTS: usize = 100;

/// A mailbox: an address (lower case) and the display name with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mailbox {
    pub address: String,
    pub name: Option<String>,
}

/// What the headers of one message say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Headers {
    /// The Message-ID, without angle brackets (only ever digested).
    pub message_id: Option<String>,
    /// The first message of its thread (References, else In-Reply-To, else
    /// itself; only ever digested).
    pub thread_root: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub from: Option<Mailbox>,
    /// To, Cc, Delivered-To and X-Original-To.
    pub recipients: Vec<Mailbox>,
    pub subject: String,
    /// List-Unsubscribe, List-Id or `Precedence: bulk|list|junk`.
    pub bulk: bool,
    pub unsubscribe: Option<Unsubscribe>,
    /// It may carry an HTML part (text/html or multipart).
    pub may_have_html: bool,
}

fn parser() -> MessageParser {
    MessageParser::default()
}

/// The headers of `raw` (a whole message or its header block); `None` if
/// nothing in it reads as a header. (IMAP fetches the headers first.)
#[cfg(any(test, feature = "imap"))]
pub(crate) fn headers(raw: &[u8]) -> Option<Headers> {
    let msg = parser().parse_headers(raw)?;
    if msg.headers().is_empty() {
        return None;
    }
    Some(headers_of(&msg))
}

fn headers_of(msg: &Message<'_>) -> Headers {
    let message_id = msg.message_id().and_then(clean_id);
    let thread_root = first_id(msg.references())
        .or_else(|| first_id(msg.in_reply_to()))
        .or_else(|| message_id.clone());
    let date = msg.date().filter(|d| d.is_valid()).and_then(|d| {
        DateTime::<Utc>::from_timestamp(d.to_timestamp(), 0)
            .filter(|t| (1980..=2100).contains(&t.year()))
    });
    let from = msg.from().and_then(|a| mailboxes(a).next());
    let mut recipients: Vec<Mailbox> = Vec::new();
    let mut add = |m: Mailbox| {
        if recipients.len() < MAX_RECIPIENTS && !recipients.iter().any(|r| r.address == m.address) {
            recipients.push(m);
        }
    };
    for a in msg.to().into_iter().chain(msg.cc()) {
        mailboxes(a).for_each(&mut add);
    }
    for name in ["Delivered-To", "X-Original-To"] {
        if let Some(address) = msg
            .header_raw(name)
            .and_then(|raw| clean_address(raw.trim().trim_matches(['<', '>'])))
        {
            add(Mailbox {
                address,
                name: None,
            });
        }
    }
    let subject = msg.subject().map(clean_text).unwrap_or_default();
    let unsubscribe = msg.header_raw("List-Unsubscribe").and_then(|raw| {
        let post = msg.header_raw("List-Unsubscribe-Post").unwrap_or("");
        parse_unsubscribe(raw, post)
    });
    let precedence = msg
        .header_raw("Precedence")
        .map(|p| p.trim().to_ascii_lowercase());
    let bulk = msg.header_raw("List-Unsubscribe").is_some()
        || msg.header_raw("List-Id").is_some()
        || precedence.is_some_and(|p| matches!(p.as_str(), "bulk" | "list" | "junk"));
    let may_have_html = match msg.root_part().headers.iter().find_map(|h| match &h.value {
        HeaderValue::ContentType(ct) if h.name.as_str().eq_ignore_ascii_case("content-type") => {
            Some(ct)
        }
        _ => None,
    }) {
        Some(ct) => {
            let main = ct.ctype().to_ascii_lowercase();
            let sub = ct.subtype().unwrap_or("").to_ascii_lowercase();
            main == "multipart" || (main == "text" && sub == "html")
        }
        None => false,
    };
    Headers {
        message_id,
        thread_root,
        date,
        from,
        recipients,
        subject,
        bulk,
        unsubscribe,
        may_have_html,
    }
}

/// A message parsed once, whole: its headers now, its HTML when asked (a
/// second parse for the body would cost as much again).
pub(crate) struct Parsed<'x>(Message<'x>);

impl<'x> Parsed<'x> {
    /// Parse `raw`; `None` if nothing in it reads as a header.
    pub(crate) fn new(raw: &'x [u8]) -> Option<Self> {
        let msg = parser().parse(raw)?;
        (!msg.headers().is_empty()).then_some(Parsed(msg))
    }

    pub(crate) fn headers(&self) -> Headers {
        headers_of(&self.0)
    }

    /// The first text/html part, cut at `max` bytes on a character boundary.
    pub(crate) fn html(&self, max: usize) -> Option<Cow<'_, str>> {
        self.0.html_bodies().find_map(|part| match &part.body {
            PartType::Html(html) => Some(cut(html, max)),
            _ => None,
        })
    }
}

/// The headers and the first text/html part of `raw` (the tests' way in).
#[cfg(test)]
pub(crate) fn headers_and_html(raw: &[u8], max_html: usize) -> Option<(Headers, Option<String>)> {
    let p = Parsed::new(raw)?;
    let html = p.html(max_html).map(Cow::into_owned);
    Some((p.headers(), html))
}

fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Borrowed(&s[..end])
}

fn mailboxes<'a>(a: &'a Address<'_>) -> impl Iterator<Item = Mailbox> + 'a {
    a.iter().filter_map(|addr| {
        let address = clean_address(addr.address()?)?;
        let name = addr
            .name()
            .map(clean_text)
            .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(&address));
        Some(Mailbox { address, name })
    })
}

/// A plausible address, lower case: one `@`, something each side, no
/// spaces, controls or angle brackets.
pub(crate) fn clean_address(a: &str) -> Option<String> {
    let a = a.trim();
    let (local, host) = a.rsplit_once('@')?;
    let ok = !local.is_empty()
        && !host.is_empty()
        && a.len() <= MAX_ADDRESS_BYTES
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ','))
        && !host.contains('@')
        && !local.contains('@');
    ok.then(|| a.to_lowercase())
}

/// Display text: controls (and bidi overrides) out, whitespace collapsed,
/// at most [`MAX_TEXT_CHARS`] characters.
pub(crate) fn clean_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_TEXT_CHARS * 4));
    let mut count = 0;
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if crate::model::text::is_hidden(c) {
            continue;
        }
        if space {
            if count + 1 >= MAX_TEXT_CHARS {
                break;
            }
            out.push(' ');
            count += 1;
            space = false;
        }
        if count >= MAX_TEXT_CHARS {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

fn clean_id(id: &str) -> Option<String> {
    let id = id.trim().trim_matches(['<', '>']).trim();
    (!id.is_empty() && id.len() <= 998).then(|| id.to_string())
}

fn first_id(v: &HeaderValue<'_>) -> Option<String> {
    match v {
        HeaderValue::Text(t) => clean_id(t),
        HeaderValue::TextList(l) => l.iter().find_map(|t| clean_id(t)),
        _ => None,
    }
}

/// The `<…>` targets of a List-Unsubscribe header: the first `mailto:` and
/// the first `https:` (plain http is not offered: it would leak who is
/// leaving over the wire). One-click when the Post header says so.
pub(crate) fn parse_unsubscribe(raw: &str, post: &str) -> Option<Unsubscribe> {
    let mut u = Unsubscribe::default();
    for part in raw.split('<').skip(1).take(10) {
        let Some((target, _)) = part.split_once('>') else {
            continue;
        };
        let target: String = target.chars().filter(|c| !c.is_whitespace()).collect();
        if target.len() > 2000 || target.chars().any(char::is_control) {
            continue;
        }
        let Ok(url) = url::Url::parse(&target) else {
            continue;
        };
        match url.scheme() {
            "mailto" if u.mailto.is_none() && url.path().contains('@') => {
                u.mailto = Some(url.to_string());
            }
            "https" if u.https.is_none() && url.host_str().is_some() => {
                u.https = Some(url.to_string());
            }
            // Plain http only to this machine (nothing crosses a wire).
            "http" if u.https.is_none() && crate::model::is_loopback_url(&url) => {
                u.https = Some(url.to_string());
            }
            _ => {}
        }
    }
    u.one_click = u.https.is_some()
        && post
            .split(';')
            .any(|p| p.trim().eq_ignore_ascii_case("List-Unsubscribe=One-Click"));
    (u.mailto.is_some() || u.https.is_some()).then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_and_cleaned() {
        let raw = b"From: =?ISO-8859-1?Q?Caf=E9_Cr=E8me?= <News@Mail.Cafe.Example>\r\n\
To: Jane <jane@example.org>, bob@example.net\r\n\
Delivered-To: jane+shop@example.org\r\n\
Subject: =?UTF-8?B?T3JkZXIg4pyTIHNoaXBwZWQ=?=\r\n\
Date: Tue, 3 Mar 2026 10:00:00 +0100\r\n\
Message-ID: <abc@mail.cafe.example>\r\n\
References: <root@x> <mid@x>\r\n\
List-Unsubscribe: <mailto:leave@cafe.example?subject=unsubscribe>, <https://cafe.example/u/1>\r\n\
List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\
Content-Type: multipart/alternative; boundary=b\r\n\r\n--b--\r\n";
        let h = headers(raw).unwrap();
        let from = h.from.unwrap();
        assert_eq!(from.address, "news@mail.cafe.example");
        assert_eq!(from.name.as_deref(), Some("Café Crème"));
        assert_eq!(h.subject, "Order ✓ shipped");
        assert_eq!(h.message_id.as_deref(), Some("abc@mail.cafe.example"));
        assert_eq!(h.thread_root.as_deref(), Some("root@x"));
        assert_eq!(h.date.unwrap().to_rfc3339(), "2026-03-03T09:00:00+00:00");
        let rcpt: Vec<_> = h.recipients.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(
            rcpt,
            [
                "jane@example.org",
                "bob@example.net",
                "jane+shop@example.org"
            ]
        );
        assert!(h.bulk && h.may_have_html);
        let u = h.unsubscribe.unwrap();
        assert!(u.one_click);
        assert_eq!(u.https.as_deref(), Some("https://cafe.example/u/1"));
        assert!(u.mailto.unwrap().starts_with("mailto:leave@cafe.example"));
    }

    #[test]
    fn text_is_cleaned_and_capped() {
        assert_eq!(clean_text("  a\u{7}\r\n\t b \u{202e}c  "), "a b c");
        assert_eq!(clean_text("x\u{202e}y"), "xy");
        assert_eq!(clean_text(&"é".repeat(500)).chars().count(), MAX_TEXT_CHARS);
        assert_eq!(
            clean_address("Jane@Example.ORG"),
            Some("jane@example.org".into())
        );
        for bad in ["", "a", "@b", "a@", "a b@c", "a@b@c", "<a@b>"] {
            assert_eq!(clean_address(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn unsubscribe_keeps_mailto_and_https_only() {
        assert_eq!(parse_unsubscribe("<http://x.example/u>", ""), None);
        assert!(parse_unsubscribe("<http://127.0.0.1:9/u>", "").is_some());
        assert_eq!(parse_unsubscribe("junk", ""), None);
        let u = parse_unsubscribe("<https://x.example/u>", "").unwrap();
        assert!(!u.one_click);
        assert_eq!(parse_unsubscribe("<javascript:alert(1)>", ""), None);
    }

    #[test]
    fn a_plain_text_message_has_no_html() {
        let raw = b"From: a@shop.example\r\nSubject: hi\r\nContent-Type: text/plain\r\n\r\nhello <b>x</b>\r\n";
        let (h, html) = headers_and_html(raw, 1000).unwrap();
        assert!(!h.may_have_html);
        assert_eq!(html, None);
        assert!(!h.bulk);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Any bytes: read or refused, never a panic; what is read is clean.
        #[test]
        fn any_bytes_are_read_or_refused(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
            if let Some((h, _)) = headers_and_html(&raw, 1000) {
                proptest::prop_assert!(h.subject.chars().count() <= MAX_TEXT_CHARS);
                proptest::prop_assert!(!h.subject.chars().any(crate::model::text::is_hidden));
            }
            let _ = headers(&raw);
        }

        /// Header-shaped text with encoded words, odd charsets and folding.
        #[test]
        fn header_soup_is_read_or_refused(
            lines in proptest::collection::vec(
                proptest::string::string_regex(
                    "(From|To|Cc|Subject|Date|Message-ID|References|List-Unsubscribe|Content-Type): \\
                     ([ -~]|=\\?[a-z0-9-]{0,12}\\?[BQbq]\\?[A-Za-z0-9=+/_]{0,20}\\?=|<|>|@|\t|\r\n ){0,40}"
                ).unwrap(),
                0..12,
            ),
            body in "[ -~\r\n]{0,200}",
        ) {
            let raw = format!("{}\r\n\r\n{body}", lines.join("\r\n"));
            if let Some((h, _)) = headers_and_html(raw.as_bytes(), 1000) {
                for r in &h.recipients {
                    proptest::prop_assert!(clean_address(&r.address).is_some());
                }
            }
        }
    }

    #[test]
    fn garbage_is_not_a_message() {
        assert_eq!(headers(b""), None);
        assert!(headers(b"\0\0\0\xff\xfe").is_none_or(|h| h.from.is_none()));
    }
}
