//! The letters' wording: MiniJinja templates in `letters/`, compiled into
//! the program. `letter.txt.j2` is every letter's frame (letterhead and
//! sign-off); `request.txt.j2` and `follow_up.txt.j2` fill it in. Rust
//! formats the values (dates as the law's readers write them, day counts,
//! one-line names); the templates hold every word of the letters.
//!
//! The values a template sees:
//!
//! - every letter: `sender` and `recipient` (their lines: name, address,
//!   email; blanks left out), `date` (the letter's), `name` (the sender's,
//!   signed), `right` and `regime` (stable ids: `gdpr-access`, `gdpr`),
//!   `title` and `title_lower` (the right's name, and with its first letter
//!   in lower case), `citation` (`Article 15 GDPR`), `reference`, `email`
//!   (the sender's, to reply to; empty when there is none);
//! - a request: `number` (the article or section alone: `15`,
//!   `1798.110`), `details` (the person's lines; none when blank), `due`;
//! - a follow-up: `sent_on`, `due`, `days_left` (negative when past),
//!   `days` (`1 day`, `12 days`: how far from the deadline either way).

use std::sync::LazyLock;

use chrono::NaiveDate;
use minijinja::{Environment, Value, context};

use super::{LetterParty, Right, days_left, due_date, long_date};
use crate::model::text::{one_line, plain_text_templates, render, text_lines};

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = plain_text_templates();
    for (name, source) in [
        ("letter.txt.j2", include_str!("letters/letter.txt.j2")),
        ("request.txt.j2", include_str!("letters/request.txt.j2")),
        ("follow_up.txt.j2", include_str!("letters/follow_up.txt.j2")),
    ] {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("the template {name} does not parse: {e:#}"));
    }
    env
});

/// See [`super::request_letter`].
pub(super) fn request(
    right: Right,
    person: &LetterParty,
    brand: &LetterParty,
    sent_on: NaiveDate,
    details: Option<&str>,
    reference: &str,
) -> String {
    let regime = right.regime();
    let details: Vec<&str> = details
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| text_lines(d).collect())
        .unwrap_or_default();
    let ctx = context! {
        number => right.number(),
        details => Value::from_iter(details),
        due => long_date(regime, due_date(right, sent_on, false)),
        ..common(right, person, brand, sent_on, reference)
    };
    render(&TEMPLATES, "request.txt.j2", ctx)
}

/// See [`super::follow_up_letter`].
pub(super) fn follow_up(
    right: Right,
    person: &LetterParty,
    brand: &LetterParty,
    original_sent_on: NaiveDate,
    due: NaiveDate,
    today: NaiveDate,
    reference: &str,
) -> String {
    let regime = right.regime();
    let left = days_left(due, today);
    let ctx = context! {
        sent_on => long_date(regime, original_sent_on),
        due => long_date(regime, due),
        days_left => left,
        days => day_count(left),
        ..common(right, person, brand, today, reference)
    };
    render(&TEMPLATES, "follow_up.txt.j2", ctx)
}

/// The values every letter has.
fn common(
    right: Right,
    person: &LetterParty,
    brand: &LetterParty,
    date: NaiveDate,
    reference: &str,
) -> Value {
    let regime = right.regime();
    context! {
        sender => Value::from_iter(block(person)),
        date => long_date(regime, date),
        recipient => Value::from_iter(block(brand)),
        name => one_line(&person.name),
        right => right.as_str(),
        regime => regime.as_str(),
        title => right.title(),
        title_lower => lower_first(right.title()),
        citation => right.citation(),
        reference => one_line(reference),
        email => person.email.as_deref().map(one_line).unwrap_or_default(),
    }
}

/// Name, address lines and email, each on its own line, blanks left out.
fn block(party: &LetterParty) -> Vec<String> {
    let mut out = vec![one_line(&party.name)];
    if let Some(a) = &party.address {
        out.extend(text_lines(a).map(one_line));
    }
    if let Some(e) = &party.email {
        out.push(one_line(e));
    }
    out.retain(|l| !l.is_empty());
    out
}

/// "1 day", "12 days".
fn day_count(n: i64) -> String {
    match n.unsigned_abs() {
        1 => "1 day".to_string(),
        n => format!("{n} days"),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
