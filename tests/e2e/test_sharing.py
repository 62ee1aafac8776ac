"""End to end through the real app window, with a real brand on the other
side (played by `vrm brand-kit` and the stock `age` tool): terms and a
counter-offer, a share opened by the brand, its revocation and the brand's
acknowledgment, exposure before and after; and an overdue data-rights
request chased with its follow-up letter."""

import json
import subprocess
from datetime import date, timedelta

from test_app import add_record, create_vault


def add_brand(app, name, **details):
    app.click("nav-brands")
    app.click("add-brand")
    app.type("brand-name", name)
    for key, value in details.items():
        app.type(f"brand-{key}", value)
    app.click("brand-save")
    app.wait_text(f"Added {name}")


def credential(path):
    doc = json.loads(path.read_text())
    assert doc["proof"]["cryptosuite"] == "eddsa-jcs-2022", doc
    return doc


def test_terms_share_revoke_and_erasure_with_a_real_brand(app, vrm):
    files = app.files
    key = app.tmp / "acme.key"
    did, recipient = vrm("brand-kit", "keygen", "--out", key).split()[:2]
    assert did.startswith("did:key:") and recipient.startswith("age1")

    create_vault(app)
    add_brand(app, "Acme Telecom", age_recipient=recipient, did=did)
    add_record(app, "profile", {"email": "ana@example.org", "phone": "+33 1 23 45 67 89"})

    # Terms: from a template, one clause changed, the preview following it.
    app.click("nav-terms")
    app.el("terms-empty")
    app.click("terms-new")
    app.type("terms-title", "My terms for shops")
    app.type("terms-retention", "45")
    app.click("terms-channel-letter")
    app.wait_text("no longer than 45 days")
    app.wait_text("only by email, letter.")
    app.click("terms-save")
    app.wait_text("Saved your terms as version 1")
    assert len(app.all("terms-version")) == 1

    # Signed for the brand; the brand answers with a counter-offer.
    app.select("terms-export-brand", "Acme Telecom")
    app.click("terms-export")
    app.el("terms-export-result")
    terms = credential(files / "personal-terms.json")
    assert "PersonalTerms" in terms["type"]
    assert terms["credentialSubject"]["clauses"]["retentionDays"] == 45
    vrm("brand-kit", "agree", files / "personal-terms.json", "--identity", key, "--decision", "counter",
        "--change", "retentionDays=90", "--note", "We keep invoices 90 days", "--out", files / "terms-answer.json")
    app.click("terms-import")
    assert "counter-offer" in app.el("terms-import-result").text
    assert app.el("terms-decision").text == "Counter-offer"
    changes = app.el("terms-changes").text
    assert "45 days" in changes and "90 days" in changes, changes
    assert "We keep invoices 90 days" in app.el("terms-status").text

    # Nothing is exposed yet.
    app.click("nav-exposure")
    app.el("exposure-empty")

    # Share one field of the profile record under those terms.
    app.click("nav-share")
    app.select("share-brand", "Acme Telecom")
    app.click("share-record")
    app.click("share-field-email")
    app.type("share-purpose", "delivering my orders")
    app.set_date("share-expires", (date.today() + timedelta(days=60)).isoformat())
    app.select("share-terms", "v1 — My terms for shops")
    app.click("share-submit")
    assert "share.age" in app.el("share-result").text

    # The brand opens the bundle with the stock age tool: only the email.
    opened = subprocess.run(["age", "-d", "-i", str(key), str(files / "share.age")],
                            capture_output=True, check=True, timeout=30)
    grant = json.loads(opened.stdout)
    assert "ShareGrant" in grant["type"]
    subject = grant["credentialSubject"]
    assert subject["purpose"] == "delivering my orders"
    assert [r["fields"] for r in subject["records"]] == [{"email": "ana@example.org"}]
    assert subject["terms"]["id"] == terms["id"]

    # Exposure: Acme holds the email.
    app.click("nav-exposure")
    row = app.wait_attr("exposure-row", "data-item", "email")
    assert "Acme Telecom" in app.el("exposure-matrix").text
    assert "Live since" in row.text
    assert "phone" not in app.el("exposure-matrix").text

    # Revoke it through the Shares page; the revocation goes to the brand.
    app.click("nav-shares")
    assert app.el("share-status").text == "Live"
    app.click("share-revoke")
    app.type("share-revoke-reason", "I closed my account")
    app.click("share-revoke-confirm")
    app.click("share-revoke-confirm")
    app.wait_attr("share-row", "data-status", "revoked")
    assert "revocation.json" in app.el("shares-result").text
    revocation = credential(files / "revocation.json")
    assert "ShareRevocation" in revocation["type"]
    assert revocation["credentialSubject"]["reason"] == "I closed my account"
    assert app.el("share-erase-by").text == revocation["credentialSubject"]["eraseBy"][:10]

    # Until the brand confirms erasure, it may still hold the email.
    app.click("nav-exposure")
    row = app.wait_attr("exposure-row", "data-item", "email")
    assert "Revoked, awaiting erasure" in row.text
    assert not app.all("exposure-revoke-email"), "nothing live is left to revoke"

    # The brand acknowledges; importing it marks the share erased.
    vrm("brand-kit", "ack", files / "revocation.json", "--identity", key, "--out", files / "acknowledgment.json")
    app.click("nav-shares")
    app.click("shares-import-ack")
    app.el("shares-result")
    app.wait_attr("share-row", "data-status", "erased")
    assert app.el("share-status").text == "Erased"
    assert not app.all("share-revoke")

    # And the email is no longer exposed anywhere.
    app.click("nav-exposure")
    app.el("exposure-empty")
    assert not app.all("exposure-row")

    # The activity log recorded it all, and its chain checks out.
    app.click("nav-activity")
    app.el("activity-timeline")
    actions = [e.get_attribute("data-action") for e in app.all("activity-entry")]
    for action in ["terms-created", "terms-issued", "agreement-imported", "share-created", "share-revoked",
                   "erasure-acknowledged"]:
        assert action in actions, actions
    app.click("activity-verify")
    assert "The log is intact" in app.el("activity-verify-result").text
    app.el("violations-empty")

    # Locking clears it all from the page.
    app.click("lock")
    app.el("unlock-form")
    assert "Acme Telecom" not in app.text()


def test_the_terms_editor_shows_the_cores_word_on_its_numbers_beside_the_field(app):
    create_vault(app)
    app.click("nav-terms")
    app.click("terms-new")
    # Not a whole number: the core says so in the preview and, on saving,
    # beside the field; nothing is saved.
    app.type("terms-per-days", "1.5")
    app.wait_text("the contact window is a whole number of days")
    app.click("terms-save")
    assert app.el("terms-per-days-error").text == "the contact window is a whole number of days"
    assert not app.all("terms-version")
    # A whole number out of range: still previewed, refused beside its field.
    app.type("terms-per-days", "30")
    app.type("terms-retention", "99999")
    app.wait_text("retention is 1 to 3650 days")
    app.click("terms-save")
    assert app.el("terms-retention-error").text == "retention is 1 to 3650 days"
    app.gone("terms-per-days-error")
    app.type("terms-retention", "45")
    app.click("terms-save")
    app.wait_text("Saved your terms as version 1")
    assert len(app.all("terms-version")) == 1


def test_an_overdue_rights_request_is_chased_then_fulfilled(app):
    create_vault(app)
    add_brand(app, "Acme Telecom", contact="privacy@acme.example")
    add_record(app, "profile", {"name": "Ana Example", "email": "ana@example.org"})

    app.click("nav-rights")
    app.el("rights-empty")
    app.select("rights-brand", "Acme Telecom")
    app.select("rights-right", "Right of access (Art. 15)")
    # A day to come is refused by the core, and said beside that field.
    app.set_date("rights-sent-on", (date.today() + timedelta(days=5)).isoformat())
    app.click("rights-submit")
    assert "in the future" in app.el("rights-error-sent-on").text
    assert not app.all("rights-error")
    app.el("rights-empty")
    sent_on = date.today() - timedelta(days=60)
    app.set_date("rights-sent-on", sent_on.isoformat())
    app.type("rights-details", "Customer number 12345")
    app.click("rights-save-signed")
    app.click("rights-submit")

    # The letter to send, with the signed copy saved where the dialog said.
    letter = app.el("rights-letter").text
    for needle in ["Ana Example", "privacy@acme.example", "Article 15", "Customer number 12345"]:
        assert needle in letter, (needle, letter)
    signed = credential(app.files / "rights-request.json")
    assert "DataRightsRequest" in signed["type"]
    assert signed["credentialSubject"]["sentOn"] == sent_on.isoformat()
    app.click("rights-made-done")

    # Sixty days on, a one-month GDPR deadline has passed: flagged overdue.
    row = app.wait_attr("rights-row", "data-overdue", "true")
    assert "Overdue by" in app.el("rights-deadline").text
    assert app.el("rights-status").text == "Open"
    assert "entry overdue" in row.get_attribute("class")
    app.click("rights-follow-up")
    follow_up = app.el("rights-follow-up-letter").text
    assert "Subject: Overdue: Right of access" in follow_up, follow_up
    assert "after that deadline" in follow_up

    # The brand answered: mark it fulfilled; the flag goes.
    app.click("rights-update")
    # Denied needs the brand's reason: asked for beside the reason field.
    app.select("rights-update-status", "Denied")
    app.click("rights-update-save")
    assert "reason" in app.el("rights-update-error-reason").text
    assert app.el("rights-status").text == "Open"
    app.select("rights-update-status", "Fulfilled")
    app.click("rights-update-save")
    app.wait_attr("rights-row", "data-overdue", "false")
    assert app.el("rights-status").text == "Fulfilled"
    assert not app.all("rights-follow-up")
    assert not app.all("rights-deadline")
