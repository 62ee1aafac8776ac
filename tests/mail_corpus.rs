//! A mail corpus the tests and benchmarks generate (no mail from anyone is
//! shipped): every message is written here, in the shapes real senders use.
//! Sources for the shapes: RFC 5322/2045–2047 (headers, MIME, encoded
//! words), RFC 2369 and 8058 (List-Unsubscribe, one-click), RFC 4155 (mbox),
//! and the schema.org email markup Google documents for orders, invoices,
//! parcel deliveries and reservations.
//!
//! The person is Jane: jane@example.org (and jane+shop@example.org).
#![allow(dead_code)]

use std::fmt::Write as _;

pub const ME: &str = "jane@example.org";
/// A canary placed in bodies: it must never reach a vault file.
pub const BODY_CANARY: &str = "CANARY-BODY-7f3e2a";

/// One message, built as text with CRLF line ends.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Mail {
    pub fn new(from: &str, to: &str, subject: &str, date: &str, id: &str) -> Mail {
        Mail {
            headers: vec![
                ("From".into(), from.into()),
                ("To".into(), to.into()),
                ("Subject".into(), subject.into()),
                ("Date".into(), date.into()),
                ("Message-ID".into(), format!("<{id}>")),
                ("MIME-Version".into(), "1.0".into()),
            ],
            body: String::new(),
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Mail {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn without(mut self, name: &str) -> Mail {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }
    pub fn text(mut self, text: &str) -> Mail {
        self.headers
            .push(("Content-Type".into(), "text/plain; charset=utf-8".into()));
        self.body = format!("{text}\r\n{BODY_CANARY}\r\n");
        self
    }
    /// multipart/alternative: a text part and an HTML part in
    /// quoted-printable or base64.
    pub fn html(mut self, html: &str, base64: bool) -> Mail {
        let b = "=_alt_boundary_42";
        self.headers.push((
            "Content-Type".into(),
            format!("multipart/alternative; boundary=\"{b}\""),
        ));
        let (enc, body) = if base64 {
            ("base64", wrap76(&b64(html.as_bytes())))
        } else {
            ("quoted-printable", qp(html))
        };
        self.body = format!(
            "--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the HTML part. {BODY_CANARY}\r\n\
--{b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: {enc}\r\n\r\n{body}\r\n--{b}--\r\n"
        );
        self
    }
    /// Add an attachment of `size` bytes (base64), making the message
    /// multipart/mixed around what it had.
    pub fn attachment(mut self, size: usize, seed: u64) -> Mail {
        let outer = "=_mixed_boundary_7";
        let inner_type = self
            .headers
            .iter()
            .position(|(n, _)| n == "Content-Type")
            .map(|i| self.headers.remove(i).1)
            .unwrap_or_else(|| "text/plain; charset=utf-8".into());
        let mut data = vec![0u8; size];
        let mut x = seed | 1;
        for byte in &mut data {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *byte = x as u8;
        }
        self.headers.push((
            "Content-Type".into(),
            format!("multipart/mixed; boundary=\"{outer}\""),
        ));
        self.body = format!(
            "--{outer}\r\nContent-Type: {inner_type}\r\n\r\n{}\r\n--{outer}\r\nContent-Type: application/pdf; name=\"receipt.pdf\"\r\n\
Content-Disposition: attachment; filename=\"receipt.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{outer}--\r\n",
            self.body,
            wrap76(&b64(&data))
        );
        self
    }
    pub fn bytes(&self) -> Vec<u8> {
        let mut s = String::new();
        for (n, v) in &self.headers {
            let _ = write!(s, "{n}: {v}\r\n");
        }
        s.push_str("\r\n");
        s.push_str(&self.body);
        s.into_bytes()
    }
}

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + 4);
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= n {
                out.push(T[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn wrap76(s: &str) -> String {
    s.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Quoted-printable, soft-wrapped at 76 characters (so markup is split
/// across lines, as real senders do).
fn qp(s: &str) -> String {
    let mut out = String::new();
    let mut line = 0;
    for b in s.bytes() {
        let piece = if b == b'\n' {
            out.push_str("\r\n");
            line = 0;
            continue;
        } else if (b == b' ' || (33..=126).contains(&b)) && b != b'=' {
            (b as char).to_string()
        } else {
            format!("={b:02X}")
        };
        if line + piece.len() > 75 {
            out.push_str("=\r\n");
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

/// An mbox (mboxrd) of `mails`: `From ` lines, and `>`-quoted body lines
/// that begin with `From `.
pub fn mbox(mails: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in mails {
        out.extend_from_slice(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n");
        for line in m.split_inclusive(|&b| b == b'\n') {
            let hashes = line.iter().take_while(|&&b| b == b'>').count();
            if line[hashes..].starts_with(b"From ") {
                out.push(b'>');
            }
            out.extend_from_slice(line);
        }
        if !m.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out
}

fn order_jsonld(number: &str, item: &str, price: &str, currency: &str, date: &str) -> String {
    format!(
        r#"<html><head><script type="application/ld+json">
{{"@context": "http://schema.org", "@type": "Order",
  "merchant": {{"@type": "Organization", "name": "Shop Ltd"}},
  "orderNumber": "{number}", "orderDate": "{date}T10:00:00+00:00",
  "acceptedOffer": {{"@type": "Offer", "itemOffered": {{"@type": "Product", "name": "{item}"}},
    "price": "{price}", "priceCurrency": "{currency}"}}}}
</script></head><body><p>Thanks for your order {number}! {BODY_CANARY}</p></body></html>"#
    )
}

fn order_microdata(number: &str, item: &str, price: &str, currency: &str, date: &str) -> String {
    format!(
        r#"<html><body><div itemscope itemtype="http://schema.org/Order">
<div itemprop="merchant" itemscope itemtype="http://schema.org/Organization"><span itemprop="name">Café Crème</span></div>
<span itemprop="orderNumber">{number}</span>
<meta itemprop="orderDate" content="{date}">
<div itemprop="acceptedOffer" itemscope itemtype="http://schema.org/Offer">
  <div itemprop="itemOffered" itemscope itemtype="http://schema.org/Product"><span itemprop="name">{item}</span></div>
  <meta itemprop="price" content="{price}"><meta itemprop="priceCurrency" content="{currency}">
</div></div><p>Merci ! {BODY_CANARY}</p></body></html>"#
    )
}

fn invoice_jsonld(number: &str, plan: &str, price: &str, date: &str) -> String {
    format!(
        r#"<html><head><script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "Invoice",
  "provider": {{"@type": "Organization", "name": "Tunes"}},
  "confirmationNumber": "{number}", "description": "{plan}", "paymentDueDate": "{date}",
  "totalPaymentDue": {{"@type": "PriceSpecification", "price": "{price}", "priceCurrency": "EUR"}}}}
</script></head><body>Your receipt. {BODY_CANARY}</body></html>"#
    )
}

/// The corpus the tests use: every case the issue names, as (label, bytes).
pub fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let to = "Jane Doe <jane@example.org>";
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        (
            "shop order (JSON-LD, quoted-printable)",
            Mail::new(
                "Shop Orders <orders@orders.shop.co.uk>",
                to,
                "Your order 1001 is confirmed",
                "Mon, 02 Mar 2026 09:00:00 +0000",
                "o1001@orders.shop.co.uk",
            )
            .html(&order_jsonld("1001", "Blue Kettle", "34.99", "GBP", "2026-03-02"), false)
            .bytes(),
        ),
        (
            "shop newsletter (bulk, one-click unsubscribe, subdomain)",
            Mail::new(
                "Shop News <news@news.email.shop.co.uk>",
                "jane+shop@example.org",
                "Spring sale: 20% off",
                "Tue, 03 Mar 2026 08:00:00 +0000",
                "n1@news.email.shop.co.uk",
            )
            .header(
                "List-Unsubscribe",
                "<mailto:leave@news.email.shop.co.uk?subject=unsubscribe>, <https://shop.co.uk/unsub/abc>",
            )
            .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
            .header("List-Id", "Shop news <news.shop.co.uk>")
            .text("Big sale this week.")
            .bytes(),
        ),
        (
            "shop newsletter again",
            Mail::new(
                "Shop News <news@news.email.shop.co.uk>",
                "jane+shop@example.org",
                "Last chance: sale ends",
                "Fri, 06 Mar 2026 08:00:00 +0000",
                "n2@news.email.shop.co.uk",
            )
            .header("Precedence", "bulk")
            .header("List-Unsubscribe", "<https://shop.co.uk/unsub/abc>")
            .text("From now on, prices go up.\n>From the team")
            .bytes(),
        ),
        (
            "jane writes to shop support (outbound reply)",
            Mail::new(
                "Jane Doe <jane@example.org>",
                "Shop Support <support@shop.co.uk>",
                "Re: Your order 1001 is confirmed",
                "Wed, 04 Mar 2026 12:00:00 +0000",
                "jane-r1@example.org",
            )
            .header("In-Reply-To", "<o1001@orders.shop.co.uk>")
            .header("References", "<o1001@orders.shop.co.uk>")
            .text("Where is my kettle?")
            .bytes(),
        ),
        (
            "shop support answers (same thread)",
            Mail::new(
                "Shop Support <support@shop.co.uk>",
                to,
                "Re: Your order 1001 is confirmed",
                "Thu, 05 Mar 2026 09:30:00 +0000",
                "s1@shop.co.uk",
            )
            .header("In-Reply-To", "<jane-r1@example.org>")
            .header(
                "References",
                "<o1001@orders.shop.co.uk> <jane-r1@example.org>",
            )
            .text("It ships tomorrow.")
            .bytes(),
        ),
        (
            "café order (Microdata, base64, ISO-8859-1 encoded-word name)",
            Mail::new(
                "=?ISO-8859-1?Q?Caf=E9_Cr=E8me?= <commandes@cafe-creme.fr>",
                to,
                "=?UTF-8?B?Q29tbWFuZGUgbsKwIEExNyBjb25maXJtw6ll?=",
                "Sat, 07 Mar 2026 15:00:00 +0100",
                "a17@cafe-creme.fr",
            )
            .html(&order_microdata("A17", "Café moulu 1 kg", "18.50", "EUR", "2026-03-07"), true)
            .bytes(),
        ),
        (
            "a friend at gmail (a person, not a brand)",
            Mail::new(
                "Bob <bob.friend@gmail.com>",
                to,
                "Dinner on Friday?",
                "Sun, 08 Mar 2026 18:00:00 +0000",
                "bob1@mail.gmail.com",
            )
            .text("Are you free?")
            .bytes(),
        ),
        (
            "acme sign-up (multi-label public suffix)",
            Mail::new(
                "ACME Australia <hello@deals.acme.com.au>",
                to,
                "Welcome to ACME!",
                "Mon, 09 Mar 2026 07:00:00 +0000",
                "w1@deals.acme.com.au",
            )
            .text("Your account is ready.")
            .bytes(),
        ),
        (
            "no Message-ID",
            Mail::new(
                "Acme Deals <deals@deals.acme.com.au>",
                to,
                "Deals of the week",
                "Tue, 10 Mar 2026 07:00:00 +0000",
                "unused",
            )
            .without("Message-ID")
            .header("List-Id", "<deals.acme.com.au>")
            .text("Deals.")
            .bytes(),
        ),
    ];
    for (i, (month, day)) in [(1, 5), (2, 5), (3, 5)].into_iter().enumerate() {
        v.push((
            "tunes monthly receipt (Invoice)",
            Mail::new(
                "Tunes Billing <billing@tunes.example>",
                to,
                "Your Tunes receipt",
                &format!(
                    "Thu, {day:02} {} 2026 06:00:00 +0000",
                    ["Jan", "Feb", "Mar"][i]
                ),
                &format!("r{i}@tunes.example"),
            )
            .html(
                &invoice_jsonld(
                    &format!("INV-{i}"),
                    "Tunes Premium",
                    "9.99",
                    &format!("2026-{month:02}-{day:02}"),
                ),
                false,
            )
            .bytes(),
        ));
    }
    v.push((
        "not a message at all",
        b"\0\0\0 garbage \xff\xfe\r\n".to_vec(),
    ));
    v
}

/// A mailbox of `n` realistic messages from `brands` brands (about 15 KB a
/// message on average: HTML newsletters and receipts, one in twenty with a
/// 100–300 KB attachment), for benchmarks.
pub fn big_mbox(n: usize, brands: usize) -> Vec<u8> {
    big_mbox_part(0, n, brands)
}

/// Messages `start..start + n` of the big mailbox (to write one too big to
/// hold in memory a part at a time).
pub fn big_mbox_part(start: usize, n: usize, brands: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let filler: String = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(40);
    for i in start..start + n {
        let b = i % brands;
        let day = 1 + (i % 28);
        let month = 1 + (i / 28) % 12;
        let date = format!(
            "{day:02} {} 2025 10:{:02}:00 +0000",
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
            ][month - 1],
            i % 60
        );
        let mut mail = Mail::new(
            &format!("Brand {b} <news@mail.brand{b}.example>"),
            ME,
            &format!("Message {i} from brand {b}"),
            &format!("Mon, {date}"),
            &format!("m{i}@brand{b}.example"),
        );
        mail = if i % 4 == 0 {
            mail.html(
                &format!(
                    "{}<div>{filler}{filler}</div>",
                    order_jsonld(
                        &format!("{i}"),
                        &format!("Item {i}"),
                        "12.50",
                        "EUR",
                        "2025-05-01"
                    )
                ),
                i % 8 == 0,
            )
        } else {
            mail.header("List-Unsubscribe", &format!("<https://brand{b}.example/u>"))
                .html(
                    &format!(
                        "<html><body><p>{filler}</p><p>{filler}</p><p>{filler}</p></body></html>"
                    ),
                    false,
                )
        };
        if i % 20 == 0 {
            mail = mail.attachment(100_000 + (i % 5) * 50_000, i as u64);
        }
        let bytes = mail.bytes();
        out.extend_from_slice(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n");
        out.extend_from_slice(&bytes);
        out.extend_from_slice(b"\n");
    }
    out
}
