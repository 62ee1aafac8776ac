"""Screenshots of the main screens, from the real app under Xvfb, for the
README, in the light and the dark theme. Run (after `bash scripts/e2e` built
the app and the venv):

    xvfb-run -a -s "-screen 0 1280x860x24" target/e2e-venv/bin/python tests/e2e/screenshots.py [light] [dark]

It writes docs/screenshots/NAME.png (light) and NAME-dark.png (dark). The
app follows the system theme (prefers-color-scheme); WebKitGTK reports dark
when the app's GTK_THEME ends in ":dark", so each theme is a run of the app
with GTK_THEME=Adwaita or Adwaita:dark, and the run checks the page sees the
theme it asked for. Before each shot it waits until no status or error
message from an earlier step is left on the page.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import conftest  # noqa: E402
from test_app import PASS, add_record, create_vault  # noqa: E402
from test_sharing import add_brand  # noqa: E402

OUT = conftest.ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1100, 760
THEMES = {"light": ("Adwaita", ""), "dark": ("Adwaita:dark", "-dark")}

# Messages that say how a step went; none may linger into a later shot.
MESSAGES = "[role=status], [role=alert]"


def vrm(*args):
    return subprocess.run([str(conftest.CLI), *map(str, args)], capture_output=True, text=True, check=True).stdout


class Shots:
    """Saves NAME{suffix}.png once the page holds no message but `keep`."""

    def __init__(self, app, suffix):
        self.app, self.suffix = app, suffix

    def __call__(self, name, keep=(), height=None):
        """`keep`: test ids of messages this step itself shows; `height`: a
        taller window for this shot."""
        d = self.app.driver

        def lingering():
            return d.execute_script(
                "return [...document.querySelectorAll(arguments[0])]"
                ".filter((e) => e.getClientRects().length && !arguments[1].includes(e.dataset.testid))"
                ".map((e) => e.textContent)", MESSAGES, list(keep))

        deadline = time.time() + 10  # the top notice goes after 4 s
        while lingering():
            if time.time() > deadline:
                raise AssertionError(f"{name}: a message from an earlier step is still shown: {lingering()}")
            time.sleep(0.2)
        if height:
            d.set_window_size(WIDTH, height)
        try:
            d.execute_script("window.scrollTo(0, 0)")
            self.app.screenshot(OUT / f"{name}{self.suffix}.png")
        finally:
            if height:
                d.set_window_size(WIDTH, HEIGHT)


def main(theme):
    gtk_theme, suffix = THEMES[theme]
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="vrm-shots-"))
    files = tmp / "files"
    files.mkdir()
    intakes = []
    app = conftest.App({
        "VRM_VAULT": str(tmp / "vault"),
        "VRM_SETTINGS": str(tmp / "settings.json"),
        "VRM_KDF_TARGET_MS": "0",
        # The dialogs of choose_file answer in `files`; the others (here the
        # offer import) answer this path.
        "VRM_E2E_DIALOG_PATH": str(tmp / "offer.json"),
        "VRM_E2E_DIALOG_DIR": str(files),
        "GTK_THEME": gtk_theme,
    }).start()
    try:
        dark = app.driver.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
        assert dark == (theme == "dark"), f"GTK_THEME={gtk_theme} gave prefers-color-scheme dark={dark}"
        shot = Shots(app, suffix)
        app.driver.set_window_size(WIDTH, HEIGHT)
        app.el("create-passphrase")
        shot("create")
        create_vault(app)
        records(app, shot)
        relations(app, shot, tmp)
        intents(app, shot, tmp, intakes)
        app.click("nav-settings")
        app.el("vault-location")
        shot("settings")
    finally:
        app.stop()
        for p in intakes:
            p.kill()
            p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{theme} screenshots in {OUT}")


def records(app, shot):
    """Brands, a brand's timeline, records, search, a record, unlocking,
    import and export."""
    for name, domain in [("Acme Telecom", "acme.example"), ("Northwind Bank", "northwind.example"),
                         ("Contoso Shoes", "contoso.example")]:
        add_brand(app, name, domain=domain)
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
    shot("brand")
    app.click("nav-records")
    app.wait_text("Trail running shoes")
    shot("records")
    app.type("search", "refund")
    app.el("search-results")
    shot("search")
    app.el("search").clear()
    app.click("nav-records")
    app.click_text("Trail running shoes")
    app.el("record-form")
    shot("record-form", height=860)
    app.click("lock")
    app.el("unlock-form")
    shot("unlock")
    app.type("unlock-passphrase", PASS)
    app.click("unlock-submit")
    app.click("nav-transfer")
    app.el("export-passphrase")
    shot("transfer")


def relations(app, shot, tmp):
    """Terms, a share and a revocation, exposure, an overdue rights request,
    the activity log."""
    for name in ["Globex Bank", "Fabrikam Mail"]:
        did, recipient = vrm("brand-kit", "keygen", "--out", tmp / f"{name}.key").split()[:2]
        add_brand(app, name, age_recipient=recipient, did=did, contact=f"privacy@{name.split()[0].lower()}.example")
    app.click("nav-terms")
    app.click("terms-new")
    app.type("terms-title", "My terms for shops and banks")
    app.type("terms-retention", "45")
    app.wait_text("no longer than 45 days")
    shot("terms")
    app.click("terms-save")
    app.wait_text("Saved your terms")
    for brand, fields in [("Globex Bank", ["email", "phone"]), ("Fabrikam Mail", ["email"])]:
        # Through another screen, so the Share screen starts afresh.
        app.click("nav-brands")
        app.click("nav-share")
        app.select("share-brand", brand)
        app.click("share-record")
        for f in fields:
            app.click(f"share-field-{f}")
        app.type("share-purpose", "opening my account" if brand == "Globex Bank" else "delivering parcels")
        app.set_date("share-expires", (date.today() + timedelta(days=90)).isoformat())
        if brand == "Fabrikam Mail":
            shot("share", height=1010)
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
    shot("exposure")
    app.click("nav-rights")
    app.select("rights-brand", "Globex Bank")
    app.set_date("rights-sent-on", (date.today() - timedelta(days=45)).isoformat())
    app.click("rights-submit")
    app.click("rights-made-done")
    app.click("rights-follow-up")
    app.el("rights-follow-up-letter")
    shot("rights", height=1010)
    app.click("nav-activity")
    app.el("activity-timeline")
    app.click("activity-verify")
    app.el("activity-verify-result")
    shot("activity", keep=("activity-verify-result",))


def intents(app, shot, tmp, intakes):
    """An intent composed for two bike shops, sent to their intakes, and
    their signed offers compared."""
    shops = {}
    for name in ["Velo Lyon", "Cycles Martin"]:
        key = tmp / f"{name}.key"
        did, recipient = vrm("brand-kit", "keygen", "--out", key).split()[:2]
        folder = tmp / f"intake-{name}"
        p = subprocess.Popen([str(conftest.CLI), "brand-kit", "serve", "--addr", "127.0.0.1:0", "--dir", str(folder)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        intakes.append(p)
        url = p.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        shops[name] = (key, folder)
        add_brand(app, name, did=did, age_recipient=recipient, inbox=url)
    app.click("nav-intents")
    app.click("new-intent")
    app.type("intent-category", "bicycle")
    app.type("intent-description", "A city bike, 54 cm frame, with lights")
    app.type("intent-quantity", "1")
    app.type("intent-budget", "450")
    app.type("intent-currency", "EUR")
    app.type("intent-location", "Lyon")
    app.set_date("intent-valid-until", (date.today() + timedelta(days=14)).isoformat())
    for name in shops:
        app.click(f"intent-brand-{name}")
    shot("intent-new", height=1010)
    app.click("intent-send")
    app.el("intent-page", timeout=60)
    app.el("offers-empty", timeout=60)
    offer = tmp / "offer.json"
    for (name, (key, folder)), price, what in zip(
            shops.items(), ["429.00", "389.00"],
            ["Urban 54, aluminium frame, dynamo lights", "Martin Ville 54, steel frame, battery lights"]):
        stored = sorted((folder / "intents").glob("*.json"))
        assert len(stored) == 1, stored
        offer.unlink(missing_ok=True)
        vrm("brand-kit", "offer", stored[0], "--identity", key, "--price", price, "--currency", "EUR",
            "--description", what, "--out", offer)
        app.click("offer-import")
        app.wait_text(f"Imported an offer of {price} EUR from {name}")
    # The intent's page afresh, without the last import's message.
    app.click("nav-intents")
    app.click("intent-row")
    app.el("offers")
    assert len(app.all("offer-card")) == 2
    shot("intent-offers", height=800)


if __name__ == "__main__":
    for theme in sys.argv[1:] or list(THEMES):
        main(theme)
