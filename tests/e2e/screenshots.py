"""Screenshots of the main screens, from the real app under Xvfb, for the
README. Run: xvfb-run -a -s "-screen 0 1280x860x24" target/e2e-venv/bin/python tests/e2e/screenshots.py
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import conftest  # noqa: E402
from test_app import PASS, add_record, create_vault  # noqa: E402

OUT = conftest.ROOT / "docs" / "screenshots"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    app = conftest.App({
        "VRM_VAULT": str(tmp / "vault"),
        "VRM_SETTINGS": str(tmp / "settings.json"),
        "VRM_KDF_TARGET_MS": "0",
        "VRM_E2E_DIALOG_PATH": str(tmp / "backup.age"),
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
    finally:
        app.stop()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
