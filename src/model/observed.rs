//! What a brand is seen to hold of the person, by observation rather than
//! by a share: the person's addresses it writes to (from their mail), when
//! first and last seen, and how to unsubscribe from its bulk mail. Kept per
//! brand, as a document filed under the brand (so it goes when the brand
//! goes); discovery writes it, the exposure map reads it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The kind of the document that keeps a brand's [`Observed`] (its id is
/// the brand's id).
pub(crate) const OBSERVED_DOC: &str = "observed";

/// What was observed of one brand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Observed {
    /// The person's data items the brand holds, by observation.
    #[serde(default)]
    pub holdings: Vec<ObservedItem>,
    /// How to leave its mailing list, from the newest bulk mail that said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<Unsubscribe>,
}

/// One data item a brand holds by observation, such as the address it
/// writes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ObservedItem {
    /// The data item, named like a record field (`email`).
    pub item: String,
    /// Its value (the address).
    pub value: String,
    /// The first message that showed it.
    pub first_seen: NaiveDate,
    /// The last message that showed it.
    pub last_seen: NaiveDate,
    /// How many messages showed it.
    pub messages: u32,
}

/// A brand's `List-Unsubscribe` targets (RFC 2369), and whether it offers
/// RFC 8058 one-click unsubscription on the https one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Unsubscribe {
    /// A `mailto:` URL to write to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailto: Option<String>,
    /// An `https:` URL to open (or POST to, with one-click).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https: Option<String>,
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` was present.
    #[serde(default)]
    pub one_click: bool,
}

impl Observed {
    /// Note that the brand showed `value` as `item` on `date`.
    pub fn saw(&mut self, item: &str, value: &str, date: NaiveDate) {
        match self
            .holdings
            .iter_mut()
            .find(|h| h.item == item && h.value.eq_ignore_ascii_case(value))
        {
            Some(h) => {
                h.first_seen = h.first_seen.min(date);
                h.last_seen = h.last_seen.max(date);
                h.messages = h.messages.saturating_add(1);
            }
            None => self.holdings.push(ObservedItem {
                item: item.to_string(),
                value: value.to_string(),
                first_seen: date,
                last_seen: date,
                messages: 1,
            }),
        }
        self.holdings
            .sort_by(|a, b| (&a.item, &a.value).cmp(&(&b.item, &b.value)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn seeing_again_widens_the_span_and_counts() {
        let mut o = Observed::default();
        o.saw("email", "jane@example.org", day(10));
        o.saw("email", "Jane@Example.org", day(3));
        o.saw("email", "jane@example.org", day(20));
        o.saw("email", "j@work.example", day(5));
        assert_eq!(o.holdings.len(), 2);
        let h = &o.holdings[1];
        assert_eq!(
            (h.first_seen, h.last_seen, h.messages),
            (day(3), day(20), 3)
        );
    }
}
