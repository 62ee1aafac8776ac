//! Money: amounts as [`Decimal`] (never a float, never a hand-rolled integer
//! of ten-thousandths), currencies as ISO 4217 codes.
//!
//! An amount is written with digits and at most one dot, at most
//! [`MAX_WHOLE_DIGITS`] before it and [`MAX_DECIMALS`] after (`12`, `12.5`,
//! `12.50`), and keeps the scale it was written with: `19.00` reads back as
//! `19.00`. Wherever an amount is written down (signed documents, the vault,
//! the app's IPC) it is a JSON string: fields holding one use
//! `#[serde(with = "rust_decimal::serde::str")]` (or `str_option`).

use std::str::FromStr;

pub use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// Most digits before an amount's dot.
pub const MAX_WHOLE_DIGITS: usize = 15;
/// Most digits after an amount's dot.
pub const MAX_DECIMALS: u32 = 4;

fn not_an_amount(s: &str) -> Error {
    Error::invalid(format!("{s:?} is not an amount (like 12.50)"))
}

/// Read an amount as written (`12`, `12.5`, `12.50`; surrounding spaces
/// ignored): no sign, no exponent, no separators.
pub fn parse_amount(s: &str) -> Result<Decimal> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || whole.len() > MAX_WHOLE_DIGITS
        || frac.len() > MAX_DECIMALS as usize
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || (s.contains('.') && frac.is_empty())
    {
        return Err(not_an_amount(s));
    }
    Decimal::from_str_exact(s).map_err(|_| not_an_amount(s))
}

/// Check an amount that arrived already as a [`Decimal`] (through serde):
/// the same bounds as [`parse_amount`].
pub fn check_amount(d: Decimal) -> Result<Decimal> {
    if d.is_sign_negative()
        || d.scale() > MAX_DECIMALS
        || d.trunc().to_string().len() > MAX_WHOLE_DIGITS
    {
        return Err(not_an_amount(&d.to_string()));
    }
    Ok(d)
}

/// Read a currency code: a code of ISO 4217 (`EUR`, `usd`), upper-cased.
pub fn parse_currency(s: &str) -> Result<String> {
    let c = s.trim().to_ascii_uppercase();
    if c.len() == 3
        && c.bytes().all(|b| b.is_ascii_uppercase())
        && iso_currency::Currency::from_code(&c).is_some()
    {
        Ok(c)
    } else {
        Err(Error::invalid(format!(
            "{s:?} is not an ISO 4217 currency code (three letters, like EUR)"
        )))
    }
}

/// The value of a `money` field of a record: an amount (digits and at most
/// one dot, any number of decimals), optionally a space and an upper-case
/// ISO 4217 code: `12.50`, `12.50 EUR`.
pub fn is_money_field(v: &str) -> bool {
    let (amount, currency) = match v.split_once(' ') {
        Some((a, c)) => (a, Some(c.trim())),
        None => (v, None),
    };
    let amount_ok = amount.chars().any(|c| c.is_ascii_digit())
        && amount.chars().all(|c| c.is_ascii_digit() || c == '.')
        && amount.matches('.').count() <= 1
        && Decimal::from_str(amount).is_ok();
    let currency_ok = currency.is_none_or(|c| {
        c.len() == 3
            && c.bytes().all(|b| b.is_ascii_uppercase())
            && iso_currency::Currency::from_code(c).is_some()
    });
    amount_ok && currency_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_the_scale_they_were_written_with() {
        for s in [
            "12",
            "12.5",
            "12.50",
            "0.0001",
            "999999999999999.9999",
            " 24.50 ",
        ] {
            let d = parse_amount(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!(d.to_string(), s.trim());
        }
        // Leading zeros are the same amount, written plainly.
        assert_eq!(parse_amount("0030").unwrap().to_string(), "30");
        assert_eq!(
            parse_amount("24.5").unwrap(),
            parse_amount("24.50").unwrap()
        );
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for s in [
            "",
            ".",
            "12.",
            ".5",
            "12,50",
            "-1",
            "+1",
            "1e3",
            "1_000",
            "12.50000",
            "1234567890123456",
            "NaN",
            "inf",
            "12 50",
            "١٢",
        ] {
            let e = parse_amount(s).expect_err(s);
            assert!(e.to_string().contains("is not an amount"), "{s:?}: {e}");
        }
    }

    #[test]
    fn amounts_through_serde_meet_the_same_bounds() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert!(check_amount(d("24.50")).is_ok());
        assert!(check_amount(d("999999999999999.9999")).is_ok());
        for bad in ["-1", "0.00001", "1000000000000000"] {
            assert!(check_amount(d(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn currencies_are_iso_4217_codes() {
        assert_eq!(parse_currency("eur").unwrap(), "EUR");
        assert_eq!(parse_currency(" USD ").unwrap(), "USD");
        assert_eq!(parse_currency("chf").unwrap(), "CHF");
        // Three letters are not enough: the code must exist.
        for bad in ["XYZ", "EU", "EURO", "E1R", "", "ÉUR"] {
            let e = parse_currency(bad).expect_err(bad);
            assert!(e.to_string().contains("ISO 4217"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn money_fields() {
        for ok in [
            "12.50",
            "12.50 EUR",
            "59.90 EUR",
            "1",
            "0.123456",
            "1.",
            ".5",
            "16.99  USD",
        ] {
            assert!(is_money_field(ok), "{ok:?}");
        }
        for bad in [
            "ten euros",
            "cheap",
            "12,50",
            "-1",
            "1e3",
            ".",
            "1.2.3",
            "12.50 eur",
            "12.50 XYZ",
            "12.50 EURO",
            "",
        ] {
            assert!(!is_money_field(bad), "{bad:?}");
        }
    }
}
