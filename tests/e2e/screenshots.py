"""Screenshots of the main screens, from the real app under Xvfb, for the
README. Run: xvfb-run -a -s "-screen 0 1280x860x24" target/e2e-venv/bin/python tests/e2e/screenshots.py
"""

import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import conftest  # noqa: E402
from test_app import PASS, add_record, create_vault  # noqa: E402
from test_sharing import add_brand  # noqa: E402

OUT = conftest.ROOT / "docs" / "screenshots"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    files = tmp / "files"
    files.mkdir()
    # The run pauses for minutes on some steps (WebKitWebDriver); the vault
    # must not lock itself in between.
    (tmp / "settings.json").write_text('{"auto_lock_minutes": 0}')
    app = conftest.App({
        "VRM_VAULT": str(tmp / "vault"),
        "VRM_SETTINGS": str(tmp / "settings.json"),
        "VRM_KDF_TARGET_MS": "0",
        "VRM_E2E_DIALOG_PATH": str(tmp / "backup.age"),
        "VRM_E2E_DIALOG_DIR": str(files),
    }).start()
    try:
        app.driver.set_window_size(1100, 760)
        app.el("create-passphrase")
        app.driver.save_screenshot(str(OUT / "create.png"))
        create_vault(app)
        for name, domain in [("Acme Telecom", "acme.example"), ("Northwind Bank", "northwind.example"),
                             ("Contoso Shoes", "contoso.example")]:
            app.click("add-brand")
            app.type("brand-name", name)
            app.type("brand-domain", domain)
            app.click("brand-save")
            app.wait_text(f"Added {name}")
        add_record(app, "interaction", {"channel": "call", "direction": "inbound", "date": "2026-03-01",
                                        "summary": "Promised a refund for the roaming charges"}, brand="Acme Telecom")
        add_record(app, "interaction", {"channel": "email", "direction": "outbound", "date": "2026-03-04",
                                        "summary": "Asked for the refund in writing"}, brand="Acme Telecom", tags="refund")
        add_record(app, "account", {"username": "ana.r", "email": "ana@example.org"}, brand="Acme Telecom")
        add_record(app, "subscription", {"plan": "Unlimited 5G", "price": "29.00 EUR", "period": "monthly",
                                         "date": "2025-09-01"}, brand="Acme Telecom")
        add_record(app, "purchase", {"item": "Trail running shoes", "price": "119.00 EUR", "date": "2026-02-11"},
                   brand="Contoso Shoes", tags="warranty")
        add_record(app, "profile", {"email": "ana@example.org", "phone": "+49 30 1234567"})
        app.click("nav-brands")
        app.click_text("Acme Telecom")
        app.wait_text("Timeline")
        app.driver.save_screenshot(str(OUT / "brand.png"))
        app.click("nav-records")
        app.wait_text("Trail running shoes")
        app.driver.save_screenshot(str(OUT / "records.png"))
        app.type("search", "refund")
        app.el("search-results")
        app.driver.save_screenshot(str(OUT / "search.png"))
        app.type("search", "x")
        app.el("search").clear()
        app.click("nav-records")
        app.click_text("Trail running shoes")
        app.el("record-form")
        app.driver.save_screenshot(str(OUT / "record-form.png"))
        app.click("lock")
        app.el("unlock-form")
        app.driver.save_screenshot(str(OUT / "unlock.png"))
        app.type("unlock-passphrase", PASS)
        app.click("unlock-submit")
        app.click("nav-transfer")
        app.driver.save_screenshot(str(OUT / "transfer.png"))
        app.click("nav-settings")
        app.el("vault-location")
        app.driver.save_screenshot(str(OUT / "settings.png"))
        relations(app, tmp, files)
        intents(app)
    finally:
        app.stop()
    print(f"screenshots in {OUT}")


def relations(app, tmp, files):
    """Terms, a share and a revocation, exposure, an overdue rights request."""
    def vrm(*args):
        return subprocess.run([str(conftest.CLI), *map(str, args)], capture_output=True, text=True,
                              check=True).stdout
    keys = {}
    for name in ["Globex Bank", "Fabrikam Mail"]:
        keys[name] = tmp / f"{name}.key"
        did, recipient = vrm("brand-kit", "keygen", "--out", keys[name]).split()[:2]
        add_brand(app, name, age_recipient=recipient, did=did, contact=f"privacy@{name.split()[0].lower()}.example")
    app.click("nav-terms")
    app.click("terms-new")
    app.type("terms-title", "My terms for shops and banks")
    app.type("terms-retention", "45")
    app.wait_text("no longer than 45 days")
    app.driver.save_screenshot(str(OUT / "terms.png"))
    app.click("terms-save")
    app.wait_text("Saved your terms")
    for brand, fields in [("Globex Bank", ["email", "phone"]), ("Fabrikam Mail", ["email"])]:
        app.click("nav-share")
        app.select("share-brand", brand)
        app.click("share-record")
        for f in fields:
            app.click(f"share-field-{f}")
        app.type("share-purpose", "opening my account" if brand == "Globex Bank" else "delivering parcels")
        app.set_date("share-expires", (date.today() + timedelta(days=90)).isoformat())
        if brand == "Fabrikam Mail":
            app.driver.save_screenshot(str(OUT / "share.png"))
        app.click("share-submit")
        app.el("share-result")
    app.click("nav-shares")
    app.click("share-revoke")
    app.type("share-revoke-reason", "I closed the account")
    app.click("share-revoke-confirm")
    app.click("share-revoke-confirm")
    app.el("shares-result")
    app.click("nav-exposure")
    app.el("exposure-matrix")
    app.driver.save_screenshot(str(OUT / "exposure.png"))
    app.click("nav-rights")
    app.select("rights-brand", "Globex Bank")
    app.set_date("rights-sent-on", (date.today() - timedelta(days=45)).isoformat())
    app.click("rights-submit")
    app.click("rights-made-done")
    app.click("rights-follow-up")
    app.el("rights-follow-up-letter")
    app.driver.execute_script("window.scrollTo(0, 0)")
    app.driver.save_screenshot(str(OUT / "rights.png"))


def intents(app):
    """An intent being composed for two brands."""
    app.click("nav-intents")
    app.click("new-intent")
    app.type("intent-category", "bicycle")
    app.type("intent-description", "A city bike, 54 cm frame, with lights")
    app.type("intent-quantity", "1")
    app.type("intent-budget", "450")
    app.type("intent-currency", "EUR")
    app.type("intent-location", "Lyon")
    app.click("intent-brand-Globex Bank")
    app.click("intent-brand-Contoso Shoes")
    app.driver.execute_script("window.scrollTo(0, 0)")
    app.driver.save_screenshot(str(OUT / "intents.png"))


if __name__ == "__main__":
    main()
