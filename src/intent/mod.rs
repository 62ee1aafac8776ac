//! Intentcasting: the person says what they want — signed, under a fresh
//! identity, sent only to the brands they choose — and brands answer with
//! signed offers that the person verifies, compares, accepts or declines.
//!
//! Each intent has its own Ed25519 key (its own `did:key`) and its own age
//! identity for encrypted replies, never the person's pairwise brand keys, so
//! brands cannot join an intent to what else they know. Nothing personal goes
//! in unless the person writes it.

use std::time::Duration;

const INTENT_KIND: &str = "intent";
const INTENT_KEY_KIND: &str = "intent-key";
const OFFER_KIND: &str = "offer";

/// The credential type of an intent.
pub const INTENT_REQUEST: &str = "IntentRequest";
/// The credential type of an intent's withdrawal.
pub const INTENT_WITHDRAWAL: &str = "IntentWithdrawal";
/// The credential type of a brand's offer.
pub const OFFER: &str = "Offer";
/// The credential type of the person's acceptance of an offer.
pub const OFFER_ACCEPTANCE: &str = "OfferAcceptance";
/// The credential type of the person's declining of an offer.
pub const OFFER_DECLINE: &str = "OfferDecline";

/// Longest an intent may run.
pub const MAX_INTENT_DAYS: i64 = 366;
/// How many times one delivery is tried over HTTP.
pub const DELIVERY_ATTEMPTS: u32 = 3;
/// Timeout of one HTTP delivery attempt.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

mod brand;
mod delivery;
mod domain;
mod listing;
mod market;
mod stored;

pub use brand::{Received, check_received, make_offer, make_offer_as};
#[cfg(feature = "http")]
pub use delivery::post_document;
pub use delivery::{ALREADY_HELD, Outbox, Posted};
pub use domain::{
    Broadcast, BroadcastKind, Delivery, DeliveryStatus, Intent, IntentForm, IntentInput,
    IntentStatus, IntentView, MarketSource, Offer, OfferDecision, OfferView, end_of_day,
};
pub use listing::{MarketIntent, check_intent_event, intent_event};
pub use market::{MarketFetch, OfferQuery, RefusedEvent, RelayOutbox};
pub(crate) use stored::{forget_brand, intent_of_did};

pub use crate::model::money::{Decimal, parse_amount, parse_currency};

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, Utc};
    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;
    use crate::model::BrandId;
    use crate::vault::Vault;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// The app's clock in these tests: 10 May 2026, noon UTC.
    fn now() -> DateTime<Utc> {
        at("2026-05-10T12:00:00Z")
    }

    /// A form that holds: a bicycle, for brand b1, offers welcome for a week.
    fn form() -> IntentForm {
        IntentForm {
            category: "bicycle".into(),
            description: "A city bike, 54 cm frame".into(),
            currency: "EUR".into(),
            valid_until: "2026-05-17".into(),
            brands: vec!["b1".into()],
            ..Default::default()
        }
    }

    fn refused(f: IntentForm) -> String {
        f.check_at(now())
            .expect_err("the form must be refused")
            .to_string()
    }

    // The compose form's checks, moved here from the app (ui/tests):
    // the same cases, the same outcomes.

    #[test]
    fn a_filled_form_is_trimmed_upper_cased_and_runs_to_the_end_of_its_last_day() {
        let input = IntentForm {
            quantity: " 2 ".into(),
            budget_max: "300.5".into(),
            currency: "eur".into(),
            location: " Lyon ".into(),
            needed_by: "2026-05-20".into(),
            ..form()
        }
        .check_at(now())
        .unwrap();
        assert_eq!(
            input,
            IntentInput {
                category: "bicycle".into(),
                description: "A city bike, 54 cm frame".into(),
                quantity: Some(2),
                budget_max: Some(parse_amount("300.5").unwrap()),
                currency: Some("EUR".into()),
                location: Some("Lyon".into()),
                needed_by: Some(NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()),
                expires_at: at("2026-05-17T23:59:59Z"),
                terms: None,
                brands: vec!["b1".into()],
            }
        );
        assert_eq!(input.budget_max.unwrap().to_string(), "300.5");
    }

    #[test]
    fn empty_optional_values_are_left_out_and_a_lone_currency_is_kept() {
        let input = form().check_at(now()).unwrap();
        assert_eq!(
            (
                input.quantity,
                input.budget_max,
                &input.location,
                input.needed_by
            ),
            (None, None, &None, None)
        );
        // A currency with no budget is harmless; it is kept.
        assert_eq!(input.currency.as_deref(), Some("EUR"));
        let none = IntentForm {
            currency: String::new(),
            ..form()
        };
        assert_eq!(none.check_at(now()).unwrap().currency, None);
    }

    #[test]
    fn what_is_missing_or_malformed_is_refused_and_said() {
        let cases: [(IntentForm, &str); 9] = [
            (
                IntentForm {
                    category: " ".into(),
                    ..form()
                },
                "needs a category",
            ),
            (
                IntentForm {
                    description: String::new(),
                    ..form()
                },
                "needs a description",
            ),
            (
                IntentForm {
                    quantity: "0".into(),
                    ..form()
                },
                "not a quantity",
            ),
            (
                IntentForm {
                    quantity: "1.5".into(),
                    ..form()
                },
                "not a quantity",
            ),
            (
                IntentForm {
                    budget_max: "12,50".into(),
                    ..form()
                },
                "not an amount",
            ),
            (
                IntentForm {
                    budget_max: "10".into(),
                    currency: "EU".into(),
                    ..form()
                },
                "not an ISO 4217 currency code",
            ),
            (
                IntentForm {
                    needed_by: "2026-02-30".into(),
                    ..form()
                },
                "not a day",
            ),
            (
                IntentForm {
                    valid_until: String::new(),
                    ..form()
                },
                "until which day",
            ),
            (
                IntentForm {
                    brands: vec![],
                    ..form()
                },
                "at least one brand",
            ),
        ];
        for (f, said) in cases {
            let e = refused(f.clone());
            assert!(e.contains(said), "{f:?}: {e:?} should say {said:?}");
        }
        // All at once: the first, in the form's order.
        let empty = IntentForm {
            quantity: "0".into(),
            budget_max: "12,50".into(),
            currency: "EU".into(),
            needed_by: "2026-02-30".into(),
            ..Default::default()
        };
        assert!(refused(empty).contains("needs a category"));
    }

    #[test]
    fn a_refused_form_names_the_form_field_at_fault() {
        let field = |f: IntentForm| {
            f.check_at(now())
                .expect_err("the form must be refused")
                .field()
                .map(str::to_string)
        };
        for (f, name) in [
            (
                IntentForm {
                    category: " ".into(),
                    ..form()
                },
                "category",
            ),
            (
                IntentForm {
                    quantity: "1.5".into(),
                    ..form()
                },
                "quantity",
            ),
            (
                IntentForm {
                    budget_max: "12,50".into(),
                    ..form()
                },
                "budget_max",
            ),
            (
                IntentForm {
                    budget_max: "10".into(),
                    currency: "XYZ".into(),
                    ..form()
                },
                "currency",
            ),
            (
                IntentForm {
                    needed_by: "2026-02-30".into(),
                    ..form()
                },
                "needed_by",
            ),
            (
                IntentForm {
                    valid_until: String::new(),
                    ..form()
                },
                "valid_until",
            ),
            (
                IntentForm {
                    valid_until: "2026-05-09".into(),
                    ..form()
                },
                "valid_until",
            ),
            (
                IntentForm {
                    brands: vec![],
                    ..form()
                },
                "brands",
            ),
        ] {
            assert_eq!(field(f.clone()).as_deref(), Some(name), "{f:?}");
        }
    }

    #[test]
    fn a_broadcast_intent_needs_no_brand() {
        let input = IntentForm {
            brands: vec![],
            broadcast: true,
            ..form()
        }
        .check_at(now())
        .unwrap();
        assert!(input.brands.is_empty());
        let e = refused(IntentForm {
            brands: vec![],
            ..form()
        });
        assert!(e.contains("or broadcast it"), "{e}");
    }

    #[test]
    fn a_budget_needs_a_currency_and_the_end_is_from_today_to_a_year() {
        let e = refused(IntentForm {
            budget_max: "10".into(),
            currency: " ".into(),
            ..form()
        });
        assert!(e.contains("needs a currency"), "{e}");
        // A made-up code is not a currency.
        let e = refused(IntentForm {
            budget_max: "10".into(),
            currency: "XYZ".into(),
            ..form()
        });
        assert!(e.contains("ISO 4217"), "{e}");
        let past = refused(IntentForm {
            valid_until: "2026-05-09".into(),
            ..form()
        });
        assert!(past.contains("future"), "{past}");
        let today = IntentForm {
            valid_until: "2026-05-10".into(),
            ..form()
        };
        assert_eq!(
            today.check_at(now()).unwrap().expires_at,
            at("2026-05-10T23:59:59Z")
        );
        let long = refused(IntentForm {
            valid_until: "2027-06-01".into(),
            ..form()
        });
        assert_eq!(long, "an intent may run at most a year");
    }

    // What the app may offer to do, moved here from the app's canResend,
    // isLive and offer cards.

    fn delivery(brand: &str, status: DeliveryStatus) -> Delivery {
        Delivery {
            brand: brand.into(),
            status,
            to: "http://127.0.0.1:9/".into(),
            reason: None,
            at: at("2026-05-10T10:00:00Z"),
        }
    }

    fn intent(deliveries: Vec<Delivery>) -> Intent {
        Intent {
            id: "i1".into(),
            input: IntentInput {
                expires_at: at("2026-05-17T23:59:59Z"),
                ..Default::default()
            },
            brands: vec!["b1".into(), "b2".into()],
            did: "did:key:z6MkIntent".into(),
            reply_to: "age1reply".into(),
            created_at: at("2026-05-10T09:00:00Z"),
            document: "{}".into(),
            deliveries,
            withdrawn_at: None,
            withdrawal_deliveries: vec![],
            withdrawal: None,
            accepted_offer: None,
            relay_key: None,
            broadcasts: Vec::new(),
        }
    }

    #[test]
    fn a_resend_is_offered_only_for_a_live_intent_not_sent_yet_or_with_a_failed_delivery() {
        let sent = intent(vec![delivery("b1", DeliveryStatus::Sent)]);
        assert_eq!(sent.status(now(), 0), IntentStatus::Sent);
        assert!(!sent.can_resend(now(), 0));
        let draft = intent(vec![]);
        assert_eq!(draft.status(now(), 0), IntentStatus::Draft);
        assert!(draft.can_resend(now(), 0));
        let failed = intent(vec![
            delivery("b1", DeliveryStatus::Sent),
            delivery("b2", DeliveryStatus::Failed),
        ]);
        assert_eq!(failed.status(now(), 0), IntentStatus::Sent);
        assert!(failed.can_resend(now(), 0));
        let withdrawn = Intent {
            withdrawn_at: Some(now()),
            ..failed.clone()
        };
        assert_eq!(withdrawn.status(now(), 0), IntentStatus::Withdrawn);
        assert!(!withdrawn.can_resend(now(), 0));
        assert!(!withdrawn.can_withdraw() && failed.can_withdraw());
    }

    #[test]
    fn an_intent_is_live_only_while_draft_sent_or_with_offers() {
        let sent = intent(vec![delivery("b1", DeliveryStatus::Sent)]);
        let accepted = Intent {
            accepted_offer: Some("o1".into()),
            ..sent.clone()
        };
        let withdrawn = Intent {
            withdrawn_at: Some(now()),
            ..sent.clone()
        };
        let later = at("2026-05-18T00:00:00Z");
        for (i, when, offers, status) in [
            (intent(vec![]), now(), 0, IntentStatus::Draft),
            (sent.clone(), now(), 0, IntentStatus::Sent),
            (sent.clone(), now(), 2, IntentStatus::HasOffers),
            (accepted, now(), 2, IntentStatus::Accepted),
            (sent, later, 0, IntentStatus::Expired),
            (withdrawn, now(), 0, IntentStatus::Withdrawn),
        ] {
            assert_eq!(i.status(when, offers), status);
            assert_eq!(
                i.is_live(when),
                matches!(
                    status,
                    IntentStatus::Draft | IntentStatus::Sent | IntentStatus::HasOffers
                ),
                "{status:?}"
            );
        }
    }

    fn offer(brand: Option<&str>) -> Offer {
        Offer {
            id: "o1".into(),
            intent: "i1".into(),
            brand: brand.map(BrandId::from),
            signer: "did:key:z6MkBrand".into(),
            price: parse_amount("5").unwrap(),
            currency: "EUR".into(),
            description: None,
            valid_until: Some(at("2026-05-17T21:59:59Z")),
            received_at: at("2026-05-11T08:00:00Z"),
            decision: OfferDecision::Open,
            decided_at: None,
            market: None,
            document: "{}".into(),
        }
    }

    #[test]
    fn only_an_open_verified_unexpired_offer_of_a_live_intent_can_be_accepted() {
        let live = intent(vec![delivery("b1", DeliveryStatus::Sent)]);
        let ok = offer(Some("b1"));
        assert!(ok.can_accept(&live, now()) && ok.can_decline());
        // Signed by a key of no brand the intent was sent to.
        let unverified = offer(None);
        assert!(!unverified.can_accept(&live, now()) && unverified.can_decline());
        // Expired.
        let late = at("2026-05-17T22:00:00Z");
        assert!(ok.is_expired(late) && !ok.can_accept(&live, late));
        // Decided, and an intent that no longer takes offers.
        let accepted_intent = Intent {
            accepted_offer: Some("o2".into()),
            ..live.clone()
        };
        assert!(!ok.can_accept(&accepted_intent, now()) && ok.can_decline());
        let decided = Offer {
            decision: OfferDecision::Accepted,
            ..offer(Some("b1"))
        };
        assert!(!decided.can_accept(&accepted_intent, now()) && !decided.can_decline());
    }

    fn input() -> IntentInput {
        IntentInput {
            category: "bicycle".into(),
            description: "a city bike".into(),
            quantity: None,
            budget_max: Some(parse_amount("400").unwrap()),
            currency: Some("EUR".into()),
            location: None,
            needed_by: None,
            expires_at: Utc::now() + chrono::Duration::days(7),
            terms: None,
            brands: vec![],
        }
    }

    #[test]
    fn an_invalid_intent_names_the_field_at_fault() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut vault, _) = Vault::create(
            &tmp.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let now = Utc::now();
        for (change, field) in [
            (
                (|i: &mut IntentInput| i.budget_max = Some(Decimal::new(-1, 0)))
                    as fn(&mut IntentInput),
                "budget_max",
            ),
            (|i| i.currency = Some("EURO".into()), "currency"),
            (|i| i.currency = None, "currency"),
            (|i| i.category = " ".into(), "category"),
            (|i| i.description = "x".repeat(2001), "description"),
            (|i| i.quantity = Some(0), "quantity"),
        ] {
            let mut i = input();
            change(&mut i);
            let e = vault.intents().create(&i).unwrap_err();
            assert_eq!(e.code(), "input.invalid", "{e}");
            assert_eq!(e.field(), Some(field), "{e}");
        }
        for expires_at in [
            now - chrono::Duration::hours(1),
            now + chrono::Duration::days(400),
        ] {
            let e = vault
                .intents()
                .create(&IntentInput {
                    expires_at,
                    ..input()
                })
                .unwrap_err();
            assert_eq!(e.field(), Some("expires"), "{e}");
        }
        // The intent as given is fine: the checks above failed on their field.
        let made = vault.intents().create(&input()).unwrap();
        let e = vault.intents().prepare_send(&made.id).unwrap_err();
        assert_eq!(e.field(), Some("brand"), "{e}");
    }
}
