"""Intents on the open market through the real app: a Nostr relay
(`nostr-relay`, Python, as tests/relay_server.rs runs it) on a free loopback
port, added in Settings → Relays; an intent broadcast from the compose form
and again from its page with an area, each relay's outcome shown (a dead
relay reported, then retried); a seller (`vrm brand-kit watch --once` and `brand-kit offer --relay`) answers,
the offer shows up while the page is open (by "Check for offers", and by
the page's own periodic check), is accepted, and the seller reads the
gift-wrapped acceptance back (`vrm brand-kit decisions`); the withdrawal
reaches the seller as a deletion request.
"""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, TARGET, App
from test_app import create_vault
from test_intents import intake, vrm  # noqa: F401 (intake is a fixture)

RELAY_BIN = next(
    (p for p in (ROOT / "target" / "relay-venv" / "bin" / "nostr-relay",
                 TARGET / "relay-venv" / "bin" / "nostr-relay") if p.exists()),
    ROOT / "target" / "relay-venv" / "bin" / "nostr-relay",
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def relay(tmp_path):
    """A real relay on a free loopback port (events up to 64 KiB: an intent
    with its terms is a few KiB, the default 4 KiB is too small)."""
    if not RELAY_BIN.exists():
        pytest.skip(f"no relay: scripts/setup installs nostr-relay in {RELAY_BIN.parent.parent}")
    folder = tmp_path / "relay"
    folder.mkdir()
    port = _free_port()
    config = folder / "config.yaml"
    config.write_text(
        "storage:\n"
        f"  sqlalchemy.url: sqlite+aiosqlite:///{folder / 'relay.sqlite3'}\n"
        "  validators:\n"
        "    - nostr_relay.validators.is_not_too_large\n"
        "    - nostr_relay.validators.is_signed\n"
        "max_event_size: 65536\n"
        f"gunicorn:\n  bind: 127.0.0.1:{port}\n  workers: 1\n  loglevel: warning\n"
        f"purple:\n  host: 127.0.0.1\n  port: {port}\n  workers: 1\n  disable_compression: true\n"
        "authentication:\n  enabled: false\n"
    )
    proc = subprocess.Popen(
        [str(RELAY_BIN), "-c", str(config), "serve"],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, "the relay did not start"
            assert time.time() < deadline, "the relay did not listen in time"
            time.sleep(0.2)
        yield f"ws://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def app(tmp_path):
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


def wait_text(app, needle, timeout=15):
    """app.wait_text, saying what the page showed when it never came."""
    try:
        app.wait_text(needle, timeout=timeout)
    except Exception:
        raise AssertionError(f"{needle!r} never showed; the page says:\n{app.text()}") from None


def relay_rows(app, n):
    """The relays listed in Settings, once there are `n`."""
    WebDriverWait(app.driver, 15).until(lambda d: len(app.all("relay-row")) == n)
    return app.all("relay-row")


def kit(*args):
    """`vrm brand-kit …` (the seller, no vault); stdout."""
    return vrm("brand-kit", *args)


def test_an_intent_is_broadcast_answered_on_the_relay_and_accepted_back(app, relay, intake, tmp_path):
    inbox, _ = intake
    dead = f"ws://127.0.0.1:{_free_port()}"  # nothing listens there
    create_vault(app)

    # Settings → Relays: the core checks each URL, its message at the field.
    app.click("nav-settings")
    app.el("relays-empty")
    app.type("relay-url", "ws://192.168.1.5:7000")
    app.click("relay-add")
    assert "only to this machine" in app.el("relay-error").text
    app.type("relay-url", relay + "/")
    app.click("relay-add")
    wait_text(app, f"Added {relay}.")
    app.type("relay-url", dead)
    app.click("relay-add")
    wait_text(app, f"Added {dead}.")
    rows = relay_rows(app, 2)
    # In the order added (the same second: by URL).
    assert sorted(r.find_element("css selector", "code").text for r in rows) == sorted([relay, dead])

    # PDC-INTENT terms (sellers on the open market check the intent carries
    # them), and a brand the intent is also sent to directly.
    app.click("nav-terms")
    app.click("terms-new")
    app.click("terms-template-PDC-INTENT")
    app.type("terms-title", "My terms for intents")
    app.click("terms-save")
    wait_text(app, "Saved your terms as version 1")
    app.click("nav-brands")
    app.click("add-brand")
    app.type("brand-name", "Acme Bikes")
    app.type("brand-inbox", inbox)
    app.click("brand-save")
    wait_text(app, "Added Acme Bikes")

    app.click("nav-intents")
    app.click("new-intent")
    app.type("intent-category", "bicycle")
    app.type("intent-description", "A city bike, 54 cm frame")
    app.type("intent-budget", "300")
    app.type("intent-currency", "EUR")
    app.click("intent-brand-Acme Bikes")
    app.click("intent-broadcast-too")
    app.click("intent-send")
    app.el("intent-page", timeout=60)
    wait_text(app, "Acme Bikes: sent to", timeout=60)

    # Sent to the brand and broadcast at once: each relay's outcome, the
    # dead one unreachable, and a retry offered.
    market = app.el("open-market")
    assert "1 of 2 relays took the intent; 1 could not be reached." in market.text, market.text
    assert app.el("intent-broadcast").text == "Retry the broadcast"

    # Again with an area: a bad one is the core's error at the field.
    app.type("broadcast-geohash", "a!")
    app.click("intent-broadcast")
    assert "geohash" in app.el("broadcast-geohash-error").text
    app.type("broadcast-geohash", "U09")
    app.click("intent-broadcast")
    wait_text(app, "Broadcast (area u09): 1 of 2 relays took the intent; 1 could not be reached.", timeout=40)
    lines = sorted(e.text for e in app.all("broadcast-relay"))
    assert f"{relay}: accepted" in lines, lines
    assert any(x.startswith(f"{dead}: unreachable — cannot connect") for x in lines), lines
    assert app.el("intent-broadcast").text == "Retry the broadcast"

    # Without the dead relay, the retry (the very same event) is whole.
    app.click("nav-settings")
    row = next(r for r in relay_rows(app, 2) if r.find_element("css selector", "code").text == dead)
    row.find_element("css selector", "[data-testid='relay-remove']").click()
    wait_text(app, f"Removed {dead}.")
    app.click("nav-intents")
    app.click("intent-row")
    app.el("intent-page")
    app.click("intent-broadcast")
    wait_text(app, "1 relay took the intent.", timeout=40)
    assert app.el("intent-broadcast").text == "Broadcast again"
    assert "(area u09)" in app.el("open-market").text

    # The seller watches the relay and answers there.
    seller = tmp_path / "seller"
    watched = [json.loads(line) for line in kit(
        "watch", "--relay", relay, "--category", "bicycle", "--geohash", "u0",
        "--out", seller, "--once", "--json").splitlines() if line.strip()]
    assert [w["outcome"] for w in watched] == ["stored"], watched
    intent_id = watched[0]["intent"]
    intent_file = seller / "intents" / f"{intent_id}.json"
    key = tmp_path / "seller.key"
    seller_did = kit("keygen", "--out", key).split()[0]
    kit("offer", intent_file, "--identity", key, "--price", "249.90", "--currency", "EUR",
        "--description", "Gazelle, 54 cm", "--name", "Velo Shop", "--relay", relay)

    # "Check for offers": it is there, by the name it claims, unverified.
    app.click("offers-fetch")
    wait_text(app, "1 new offer from the relays.", timeout=40)
    card = app.el("offer-card")
    assert "“Velo Shop” (claimed, UNVERIFIED)" in card.text, card.text
    assert app.el("offer-signer").text == seller_did
    assert "249.90 EUR" in card.text
    assert app.el("intent-status").text == "1 offer received"

    # A second seller answers; the open page finds it by itself (every 30 s).
    key2 = tmp_path / "seller2.key"
    kit("keygen", "--out", key2)
    kit("offer", intent_file, "--identity", key2, "--price", "239", "--currency", "EUR",
        "--description", "Used, serviced", "--relay", relay)
    wait_text(app, "UNVERIFIED seller on the open market", timeout=45)
    assert app.el("intent-status").text == "2 offers received"
    cards = app.all("offer-card")
    assert "239 EUR" in cards[0].text and "Velo Shop" in cards[1].text, [c.text for c in cards]

    # Accept Velo Shop's: the signed acceptance goes back over the relay.
    cards[1].find_element("css selector", "[data-testid='offer-accept']").click()
    wait_text(app, "Accepted. 1 relay took the acceptance.", timeout=40)
    assert app.el("acceptance-publish").text == f"{relay}: accepted"
    assert app.el("intent-status").text == "Accepted"
    assert app.all("offers-fetch") == [], "an accepted intent is not checked any more"

    decisions = json.loads(kit("decisions", "--identity", key, "--relay", relay))
    assert len(decisions) == 1, decisions
    assert "OfferAcceptance" in decisions[0]["type"]
    assert decisions[0]["credentialSubject"]["price"] == "249.90"
    # The other seller got nothing.
    assert json.loads(kit("decisions", "--identity", key2, "--relay", relay)) == []

    # Withdrawn: the deletion request reaches the relay, and the seller.
    app.click("intent-withdraw")
    app.click("intent-withdraw")
    # To the vault's relays and every relay the listing went to, the dead
    # one of the first round too.
    wait_text(app, "Withdrawn. Delivered 1 time. 1 of 2 relays took the deletion request; 1 could not be reached.",
              timeout=60)
    lines = sorted(e.text for e in app.all("deletion-relay"))
    assert f"{relay}: accepted" in lines, lines
    assert any(x.startswith(f"{dead}: unreachable") for x in lines), lines
    watched = [json.loads(line) for line in kit(
        "watch", "--relay", relay, "--out", seller, "--once", "--json").splitlines() if line.strip()]
    assert any(w["outcome"] == "withdrawn" and w["intent"] == intent_id for w in watched), watched
