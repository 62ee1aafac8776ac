"""Intentcasting end to end through the real app: a brand's intake (`vrm
brand-kit serve`) on loopback, an intent composed and sent to it from the
Intents screen, the brand's signed offers imported through the open dialog
and compared, one accepted with the acceptance saved through the save dialog.

The file dialogs answer VRM_E2E_DIALOG_PATH, here the offer file: the test
writes each offer there before importing it, and the app writes the signed
acceptance there too.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, App
from test_app import create_vault

TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VRM = Path(os.environ.get("VRM_CLI_BINARY", TARGET / "debug" / "vrm"))


def vrm(*args):
    assert VRM.exists(), f"build the CLI first (cargo build --bin vrm): {VRM} is missing"
    done = subprocess.run([str(VRM), *map(str, args)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"vrm {' '.join(map(str, args))}: {done.stderr}"
    return done.stdout


@pytest.fixture
def intake(tmp_path):
    """A brand's intake on a free loopback port: (url, folder)."""
    folder = tmp_path / "intake"
    proc = subprocess.Popen(
        [str(VRM), "brand-kit", "serve", "--addr", "127.0.0.1:0", "--dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url, folder
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def app(tmp_path):
    # conftest's App with the dialogs answering the offer file.
    a = App({
        "VRM_VAULT": str(tmp_path / "vault"),
        "VRM_SETTINGS": str(tmp_path / "settings.json"),
        "VRM_KDF_TARGET_MS": "0",
        "VRM_E2E_DIALOG_PATH": str(tmp_path / "offer.json"),
    })
    a.tmp = tmp_path
    a.start()
    try:
        yield a
    finally:
        a.stop()


def test_an_intent_is_sent_answered_compared_and_accepted(app, intake, tmp_path):
    url, intake_dir = intake
    did, recipient = vrm("brand-kit", "keygen", "--out", tmp_path / "brand.key").split()
    vrm("brand-kit", "keygen", "--out", tmp_path / "stranger.key")
    dialog = tmp_path / "offer.json"

    create_vault(app)
    app.click("nav-intents")
    app.el("intents-empty")
    assert "No intents yet" in app.text()

    # The brand, with its did:key and its inbox.
    app.click("nav-brands")
    app.click("add-brand")
    app.type("brand-name", "Acme Bikes")
    app.type("brand-did", did)
    app.type("brand-age_recipient", recipient)
    app.type("brand-inbox", url)
    app.click("brand-save")
    app.wait_text("Added Acme Bikes")

    # The form says what is missing before anything is made: the core
    # checks it (IntentForm::check) and says the first thing wrong.
    app.click("nav-intents")
    app.click("new-intent")
    app.click("intent-send")
    app.wait_text("the intent needs a category")

    app.type("intent-category", "bicycle")
    app.type("intent-description", "A city bike, 54 cm frame, with lights")
    app.type("intent-quantity", "1")
    app.type("intent-budget", "30")
    app.type("intent-currency", "XYZ")
    app.type("intent-location", "Lyon")
    app.click("intent-send")
    app.wait_text("not an ISO 4217 currency code")
    app.type("intent-currency", "EUR")
    app.click("intent-send")
    app.wait_text("choose at least one brand to send it to")
    assert not app.all("intent-page"), "nothing was made"
    app.click("intent-brand-Acme Bikes")
    app.click("intent-send")

    # Delivered to the brand's inbox, which stored it.
    app.el("intent-page", timeout=60)
    app.wait_text(f"Acme Bikes: sent to {url}", timeout=60)
    assert app.el("intent-status").text == "Sent, waiting for offers"
    stored = sorted((intake_dir / "intents").glob("*.json"))
    assert len(stored) == 1, stored
    request = json.loads(stored[0].read_text())
    assert "IntentRequest" in request["type"]
    assert request["credentialSubject"]["budget"] == {"max": "30", "currency": "EUR"}
    issuer = request["issuer"] if isinstance(request["issuer"], str) else request["issuer"]["id"]
    assert issuer in app.text(), "signed under the intent's own identity, shown on its page"
    app.el("offers-empty")

    # An offer from a key no brand of ours has: kept, shown UNVERIFIED.
    vrm("brand-kit", "offer", stored[0], "--identity", tmp_path / "stranger.key",
        "--price", "19.00", "--currency", "EUR", "--description", "Used bike", "--out", dialog)
    app.click("offer-import")
    app.wait_text("UNVERIFIED signer")

    # The brand's offer, signed with its key: verified, with its price.
    dialog.unlink()
    vrm("brand-kit", "offer", stored[0], "--identity", tmp_path / "brand.key",
        "--price", "24.50", "--currency", "EUR", "--description", "New city bike", "--out", dialog)
    app.click("offer-import")
    app.wait_text("Imported an offer of 24.50 EUR from Acme Bikes")
    assert app.el("intent-status").text == "2 offers received"

    # Side by side, cheapest first.
    cards = app.all("offer-card")
    assert len(cards) == 2
    assert "UNVERIFIED signer" in cards[0].text and "19.00 EUR" in cards[0].text
    assert "Acme Bikes" in cards[1].text and "24.50 EUR" in cards[1].text
    assert "+5.50 EUR more" in cards[1].text
    assert len(app.all("offer-accept")) == 1, "only the verified offer can be accepted"

    # Accept it: the signed acceptance goes where the save dialog says.
    app.click("offer-accept")
    app.wait_text("Accepted. Send the signed acceptance", timeout=30)
    assert app.el("intent-status").text == "Accepted"
    assert app.el("offer-decision").text == "Accepted"
    out = vrm("verify", dialog)
    assert out.startswith("valid OfferAcceptance signed by did:key:"), out
    acceptance = json.loads(dialog.read_text())
    assert acceptance["credentialSubject"]["price"] == "24.50"
    assert acceptance["credentialSubject"]["id"] == did

    # The list shows it accepted.
    app.click("nav-intents")
    assert app.el("intent-row-status").text == "Accepted"
