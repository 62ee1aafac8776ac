//! Whose mail is it: a sender's organisational domain (the public-suffix
//! list's registrable domain: `news.email.shop.co.uk` → `shop.co.uk`), and
//! whether that domain is a mail provider whose addresses are people's.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The organisational domain of an address or host, lower case; `None` for
/// an IP literal, a bare suffix (`co.uk`) or something that is not a host
/// name.
pub fn org_domain(address_or_host: &str) -> Option<String> {
    let host = match address_or_host.rsplit_once('@') {
        Some((_, host)) => host,
        None => address_or_host,
    };
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty()
        || host.len() > 253
        || host.starts_with('[')
        || host.parse::<std::net::IpAddr>().is_ok()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        || host
            .split('.')
            .any(|label| label.is_empty() || label.len() > 63)
    {
        return None;
    }
    psl::domain_str(&host).map(str::to_string)
}

/// The label that names the organisation: `shop` for `shop.co.uk`.
pub fn org_label(org_domain: &str) -> &str {
    let suffix_len = psl::suffix_str(org_domain).map_or(0, str::len);
    let head = &org_domain[..org_domain.len().saturating_sub(suffix_len)];
    head.trim_end_matches('.')
        .rsplit('.')
        .next()
        .filter(|l| !l.is_empty())
        .unwrap_or(org_domain)
}

/// Whether the organisational domain is a mail provider's whose addresses
/// belong to people (gmail.com, outlook.com…: the kept list in
/// `webmail.txt`).
pub fn is_personal_mail_domain(org_domain: &str) -> bool {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("webmail.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
    .contains(org_domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_fold_into_the_registrable_domain() {
        for (given, want) in [
            ("news@news.email.shop.co.uk", "shop.co.uk"),
            ("orders@orders.shop.co.uk", "shop.co.uk"),
            ("a@Mail.Example.COM.", "example.com"),
            ("x@deals.acme.com.au", "acme.com.au"),
            ("x@www.tax.service.gov.uk", "tax.service.gov.uk"),
            ("x@mail.hmrc.gov.uk", "hmrc.gov.uk"),
            ("x@b.a.github.io", "a.github.io"),
            ("shop.co.uk", "shop.co.uk"),
        ] {
            assert_eq!(org_domain(given).as_deref(), Some(want), "{given}");
        }
    }

    #[test]
    fn what_is_not_a_host_has_no_organisation() {
        for bad in [
            "",
            "x@",
            "x@co.uk",
            "x@service.gov.uk",
            "x@[127.0.0.1]",
            "x@127.0.0.1",
            "x@localhost",
            "x@exa mple.com",
            "x@a..b.com",
            "x@ex\u{e4}mple.com",
        ] {
            assert_eq!(org_domain(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_label_is_the_part_before_the_suffix() {
        assert_eq!(org_label("shop.co.uk"), "shop");
        assert_eq!(org_label("acme.com"), "acme");
        assert_eq!(org_label("a.github.io"), "a");
    }

    #[test]
    fn webmail_is_people() {
        for d in [
            "gmail.com",
            "outlook.com",
            "yahoo.co.uk",
            "proton.me",
            "web.de",
        ] {
            assert!(is_personal_mail_domain(d), "{d}");
        }
        assert!(!is_personal_mail_domain("shop.co.uk"));
        assert!(!is_personal_mail_domain("google.com"));
    }
}
