//! Snapshots of the terms as text: each template's defaults, each template
//! with every clause changed from them (other purposes, sharing with
//! consent, tracking and profiling allowed, other contact rules, the
//! person's own words), and the contact rules' edge wordings. The `.snap`
//! files under `snapshots/` are the documents as a brand reads them; a
//! change to the wording shows there in review. `cargo test` fails on any
//! difference (set `INSTA_UPDATE=always` to rewrite them after a deliberate
//! change).

use super::*;

/// Snapshots named by what they show, in `snapshots/` beside this file.
/// A snapshot ignores white space at the end, so the end is checked here:
/// one line break after the template line.
fn check(name: &str, description: &str, text: &str) {
    assert_eq!(
        &text[text.trim_end().len()..],
        "\n",
        "{name}: what follows the last visible character"
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(description);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Every clause the other way from the defaults.
fn edited(template: Template) -> Clauses {
    let mut c = template.clauses();
    c.purposes
        .extend([Purpose::Marketing, Purpose::Analytics, Purpose::Security]);
    c.purposes.reverse();
    c.retention_days = 1;
    c.third_party_sharing = ThirdParty::OnlyWithConsent;
    c.no_tracking_first_party = false;
    c.no_tracking_third_party = false;
    c.no_profiling = false;
    c.deletion_on_request_days = 14;
    c.portability = !c.portability;
    c.contact = ContactRules {
        channels: vec![Channel::Letter, Channel::Email, Channel::Call],
        max_contacts: 3,
        per_days: 7,
        marketing_allowed: true,
        cross_offers_allowed: true,
    };
    c.jurisdiction = " US-CA\n(CCPA/CPRA) ".into();
    c.prose = Some("\r\n  No calls before 9.\r\n\r\n\tThank you.  \n".into());
    c
}

#[test]
fn every_template_with_its_defaults() {
    for t in Template::ALL {
        check(
            &format!("terms-{}", t.id()),
            &format!("render_text({}, \"My terms\", defaults)", t.id()),
            &render_text(t, "My terms", &t.clauses()),
        );
    }
}

#[test]
fn every_template_with_every_clause_changed() {
    for t in Template::ALL {
        check(
            &format!("terms-{}-edited", t.id()),
            &format!(
                "render_text({}, \"Acme\\n terms\", every clause changed, own words)",
                t.id()
            ),
            &render_text(t, "Acme\n terms", &edited(t)),
        );
    }
}

#[test]
fn contact_rule_wordings() {
    let mut none = Template::SdBase.clauses();
    none.contact.channels.clear();
    none.contact.max_contacts = 0;
    none.prose = Some("   ".into());
    check(
        "terms-contact-none",
        "render_text(SD-BASE, blank title, no channel, no contact, blank own words)",
        &render_text(Template::SdBase, " ", &none),
    );
    let mut daily = Template::PdcIntent.clauses();
    daily.contact.channels = Channel::ALL.to_vec();
    daily.contact.max_contacts = 1;
    daily.contact.per_days = 1;
    check(
        "terms-contact-once-a-day",
        "render_text(PDC-INTENT, every channel, at most once a day)",
        &render_text(Template::PdcIntent, "Daily", &daily),
    );
}
