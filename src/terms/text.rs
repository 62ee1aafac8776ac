//! The terms' wording: the MiniJinja template `templates/terms.txt.j2`,
//! compiled into the program. Rust formats the values (day counts, lists,
//! one-line title and jurisdiction); the template holds every word.
//!
//! The values the template sees: `title` (on one line) and `underline` (as
//! many `=`), `template`, `template_title` and `summary` (the agreement's id,
//! name and what it means), `purposes` (each with `description` and `id`, in
//! display order), `retention` and `deletion` (`30 days`),
//! `third_party_sharing` (`never` or `only-with-consent`), the booleans
//! `no_tracking_first_party`, `no_tracking_third_party`, `no_profiling`,
//! `portability`, `marketing_allowed` and `cross_offers_allowed`,
//! `channels` (`email, letter`; empty for none), `max_contacts`, `times`
//! (`once`, `twice`, `3 times`), `per_days`, `jurisdiction` (on one line)
//! and `prose` (the person's lines; none when blank).

use std::sync::LazyLock;

use minijinja::{Environment, Value, context};

use super::{Clauses, Template, display_title, list};
use crate::model::text::{one_line, plain_text_templates, render, text_lines};
use crate::rights::contact::days;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = plain_text_templates();
    env.add_template("terms.txt.j2", include_str!("templates/terms.txt.j2"))
        .unwrap_or_else(|e| panic!("the template terms.txt.j2 does not parse: {e:#}"));
    env
});

/// See [`super::render_text`].
pub(super) fn render_text(template: Template, title: &str, clauses: &Clauses) -> String {
    let title = display_title(template, title);
    let purposes = clauses.sorted_purposes().into_iter().map(|p| {
        context! {
            description => p.description(),
            id => p.as_str(),
        }
    });
    let rules = &clauses.contact;
    let ctx = context! {
        underline => "=".repeat(title.chars().count()),
        title,
        template => template.id(),
        template_title => template.title(),
        summary => template.summary(),
        purposes => Value::from_iter(purposes),
        retention => days(clauses.retention_days),
        third_party_sharing => clauses.third_party_sharing.as_str(),
        no_tracking_first_party => clauses.no_tracking_first_party,
        no_tracking_third_party => clauses.no_tracking_third_party,
        no_profiling => clauses.no_profiling,
        deletion => days(clauses.deletion_on_request_days),
        portability => clauses.portability,
        channels => if rules.channels.is_empty() {
            String::new()
        } else {
            list(&clauses.sorted_channels(), |c| c.label())
        },
        max_contacts => rules.max_contacts,
        times => times(rules.max_contacts),
        per_days => rules.per_days,
        marketing_allowed => rules.marketing_allowed,
        cross_offers_allowed => rules.cross_offers_allowed,
        jurisdiction => one_line(&clauses.jurisdiction),
        prose => Value::from_iter(clauses.prose_text().into_iter().flat_map(text_lines)),
    };
    render(&TEMPLATES, "terms.txt.j2", ctx)
}

fn times(n: u32) -> String {
    match n {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}
