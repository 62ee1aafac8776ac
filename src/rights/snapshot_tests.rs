//! Snapshots of every letter: the request and the follow-ups (overdue,
//! overdue against an extended deadline, a reminder, on the day) for each
//! right, and the variants of the letterhead and reply line. The `.snap`
//! files under `snapshots/` are the letters as sent; a change to the wording
//! shows there in review. `cargo test` fails on any difference (set
//! `INSTA_UPDATE=always` to rewrite them after a deliberate change).

use chrono::NaiveDate;

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn person() -> LetterParty {
    LetterParty {
        name: "Alex Example".into(),
        address: Some("1 High Street\n  Springfield \n\n".into()),
        email: Some("alex@example.org".into()),
    }
}

fn brand() -> LetterParty {
    LetterParty {
        name: "Acme Ltd".into(),
        address: Some("Privacy Team\n2 Market Square".into()),
        email: Some("privacy@acme.example".into()),
    }
}

/// Snapshots named by what they show, in `snapshots/` beside this file.
/// A snapshot ignores white space at the end, so the end is checked here:
/// one line break after the sender's name.
fn check(name: &str, description: String, letter: &str) {
    check_ending(name, description, letter, "\n");
}

fn check_ending(name: &str, description: String, letter: &str, ending: &str) {
    assert_eq!(
        &letter[letter.trim_end().len()..],
        ending,
        "{name}: what follows the last visible character"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(description);
    settings.bind(|| insta::assert_snapshot!(name, letter));
}

const SENT: (i32, u32, u32) = (2026, 1, 30);
const DETAILS: &str = "Customer number 12345.\n\n  Email used: alex@example.org  ";

#[test]
fn every_request_letter() {
    let sent = d(SENT.0, SENT.1, SENT.2);
    for r in Right::ALL {
        let l = request_letter(r, &person(), &brand(), sent, Some(DETAILS), "VRM-7F3A");
        check(
            &format!("request-{r}"),
            format!("request_letter({r}, sent {sent}, with details, reference VRM-7F3A)"),
            &l,
        );
    }
}

#[test]
fn every_follow_up_letter() {
    let sent = d(SENT.0, SENT.1, SENT.2);
    for r in Right::ALL {
        for extended in [false, true] {
            let due = due_date(r, sent, extended);
            let today = due.checked_add_days(chrono::Days::new(12)).unwrap();
            let l = follow_up_letter(r, &person(), &brand(), sent, due, today, "VRM-7F3A");
            let (name, what) = if extended {
                ("follow-up-extended", "extended deadline")
            } else {
                ("follow-up", "deadline")
            };
            check(
                &format!("{name}-{r}"),
                format!("follow_up_letter({r}, sent {sent}, {what} {due}, today {today})"),
                &l,
            );
        }
    }
}

#[test]
fn reminders_before_and_on_the_deadline() {
    let sent = d(2026, 3, 1);
    for (right, today) in [
        (Right::GdprErasure, d(2026, 3, 31)),
        (Right::CcpaKnow, d(2026, 4, 14)),
    ] {
        let due = due_date(right, sent, false);
        let l = follow_up_letter(right, &person(), &brand(), sent, due, today, "R-1");
        check(
            &format!("reminder-{right}"),
            format!(
                "follow_up_letter({right}, sent {sent}, due {due}, today {today}: a day early)"
            ),
            &l,
        );
        let l = follow_up_letter(right, &person(), &brand(), sent, due, due, "R-1");
        check(
            &format!("on-the-day-{right}"),
            format!("follow_up_letter({right}, sent {sent}, due and today {due})"),
            &l,
        );
    }
}

#[test]
fn letterhead_and_reply_variants() {
    // No details, no email of the person's (reply to the address), a brand
    // with only a name.
    let no_email = LetterParty {
        email: None,
        ..person()
    };
    let l = request_letter(
        Right::GdprPortability,
        &no_email,
        &LetterParty::named("Acme"),
        d(2026, 2, 28),
        Some(" \n "),
        "P-2",
    );
    check(
        "request-no-details-no-email",
        "request_letter(gdpr-portability, no email, brand with only a name, blank details)".into(),
        &l,
    );
    // Values meant for one line stay on one; details keep their lines.
    let messy = LetterParty {
        name: "  Alex\nExample ".into(),
        address: Some("\r\n1 High Street\r\n\tSpringfield\r\n".into()),
        email: Some(" alex@\nexample.org ".into()),
    };
    let l = request_letter(
        Right::CcpaCorrect,
        &messy,
        &LetterParty {
            name: "Acme\u{1b}]0;x\u{7} Inc".into(),
            address: None,
            email: Some("   ".into()),
        },
        d(2026, 7, 4),
        Some("My name is spelt\r\n\r\n    Alex Example.\r\n"),
        "ref\nwith {{ braces }} and {% tags %}",
    );
    check(
        "request-untidy-values",
        "request_letter(ccpa-correct) with line breaks and controls in one-line values".into(),
        &l,
    );
    // Nobody named at all: the letterhead keeps its blank lines.
    let nobody = LetterParty::default();
    let l = follow_up_letter(
        Right::CcpaOptOut,
        &nobody,
        &nobody,
        d(2026, 3, 6),
        d(2026, 3, 27),
        d(2026, 3, 28),
        "",
    );
    check_ending(
        "follow-up-nobody",
        "follow_up_letter(ccpa-opt-out) with empty parties and reference, 1 day late".into(),
        &l,
        "\n\n\n",
    );
}
