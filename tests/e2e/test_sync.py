"""Sync through the app: two app instances, each on its own vault, config
folder and driver. The first sets up a folder to sync through and saves an
invitation from Settings → Sync (its code shown once); the second joins
from its first-run screen with that file and code; an edit in either
appears in the other, each device's log entries show on the other's
Activity screen with the device's name, and a device is revoked from the
first. Both apps' dialogs answer in one shared folder (`files`): the
folder `sync` in it is the store, `vault-invitation.json` the invitation.
VRM_SYNC_INTERVAL_SECS makes the background sync come every few seconds."""

import json
import os
import subprocess

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import CLI, App
from test_app import add_record, create_vault, unlock

B_PASS = "a passphrase for the desktop"


def instance(tmp_path, name, files):
    home = tmp_path / name
    home.mkdir()
    app = App({
        "VRM_VAULT": str(home / "vault"),
        "VRM_SETTINGS": str(home / "settings.json"),
        "VRM_KDF_TARGET_MS": "0",
        "VRM_E2E_DIALOG_DIR": str(files),
        "VRM_SYNC_INTERVAL_SECS": "3",
        # The last state seen of each vault (its manifest) is kept here:
        # each instance its own, as on two machines.
        "XDG_CONFIG_HOME": str(home / "config"),
    })
    app.tmp = home
    app.files = files
    return app


@pytest.fixture
def two(tmp_path):
    files = tmp_path / "files"
    (files / "sync").mkdir(parents=True)
    a = instance(tmp_path, "a", files)
    b = instance(tmp_path, "b", files)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.stop()
        b.stop()


def shows(app, needle, nav="records", timeout=90):
    """Open the screen afresh until it shows `needle` (sync is in the
    background: what it brings shows when a screen is next opened)."""
    other = "brands" if nav != "brands" else "records"

    def look(_):
        app.click(f"nav-{other}")
        app.click(f"nav-{nav}")
        try:
            WebDriverWait(app.driver, 4, poll_frequency=0.2).until(lambda d: needle in app.text())
            return True
        except TimeoutException:
            return False

    WebDriverWait(app.driver, timeout, poll_frequency=1).until(look)


def shows_no_more(app, needle, nav="records", timeout=90):
    other = "brands" if nav != "brands" else "records"

    def look(_):
        app.click(f"nav-{other}")
        app.click(f"nav-{nav}")
        try:
            app.el("record-list", timeout=4)
        except TimeoutException:
            pass
        return needle not in app.text()

    WebDriverWait(app.driver, timeout, poll_frequency=1).until(look)


def vrm_on(app, passphrase, *args):
    """`vrm` on an instance's vault (its config folder too), as its owner."""
    env = {**os.environ, "VRM_VAULT": app.env["VRM_VAULT"], "VRM_PASSPHRASE": passphrase,
           "XDG_CONFIG_HOME": app.env["XDG_CONFIG_HOME"]}
    done = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, f"vrm {' '.join(map(str, args))}: {done.stderr}"
    return done.stdout


def sync_now(app):
    """Sync from the panel, and wait until that sync is over."""
    app.click("nav-settings")
    app.click("sync-now")
    WebDriverWait(app.driver, 60).until(lambda d: app.el("sync-now").text == "Sync now")


def test_two_apps_joined_by_an_invitation_see_each_others_edits(two):
    a, b = two
    files = a.files

    # A: a vault with a record, then sync through the folder, then invite.
    create_vault(a)
    add_record(a, "note", {"text": "Written on the laptop before the invitation"})
    a.click("nav-settings")
    a.type("sync-device-name", "laptop")
    a.click("sync-setup")
    a.el("sync-now", timeout=30)
    assert "sync" in a.el("sync-target").text
    a.click("sync-now")
    WebDriverWait(a.driver, 30).until(lambda d: a.el("sync-last").text != "never")
    a.type("invite-name", "desktop")
    a.click("invite-submit")
    code = a.el("invite-code", timeout=60).text
    assert len(code.split("-")) == 8, code
    invitation = files / "vault-invitation.json"
    assert invitation.exists()
    assert code.encode() not in invitation.read_bytes(), "the code is never in the file"
    a.click("invite-done")
    a.gone("invite-code")
    assert code not in a.text(), "the code is shown once"

    # B: joins from its first-run screen with the file and the code.
    b.click("join-vault")
    b.click("join-choose")
    WebDriverWait(b.driver, 15).until(lambda d: b.el("join-file").text == "vault-invitation.json")
    b.type("join-code", code)
    b.type("join-passphrase", B_PASS)
    b.type("join-passphrase-again", B_PASS)
    b.click("join-submit")
    recovery = b.el("recovery-code", timeout=120).text
    assert len(recovery.split("-")) == 8
    b.click("recovery-saved")
    b.click("recovery-done")
    b.el("nav-brands")
    shows(b, "Written on the laptop before the invitation")

    # An edit in A appears in B.
    a.click("nav-records")
    a.click_text("before the invitation")
    a.type("field-text", "Edited on the laptop after the join")
    a.click("record-save")
    # Saved: the form closes (its notice may be brief on a slow machine).
    a.gone("record-save", timeout=30)
    shows(b, "Edited on the laptop after the join")

    # The same field edited on both at once: B locked (its sync stops) and
    # edited with `vrm` meanwhile, after A's edit was synced; B's edit, stamped
    # later, wins on both, and A's is kept in the record's history, where A
    # puts it back from the record's page.
    b.click("lock")
    b.el("unlock-form")
    a.click("nav-records")
    a.click_text("after the join")
    a.type("field-text", "Kept on the laptop")
    a.click("record-save")
    a.wait_text("Saved.")
    sync_now(a)
    listed = json.loads(vrm_on(b, B_PASS, "record", "list", "--json"))
    rid = next(r["id"] for r in listed if r["fields"].get("text") == "Edited on the laptop after the join")
    vrm_on(b, B_PASS, "record", "edit", rid, "--field", "text=Won on the desktop")
    unlock(b, B_PASS)
    b.el("nav-brands")
    shows(a, "Won on the desktop")
    shows(a, "value(s) in its history", nav="settings")
    a.click("nav-records")
    a.click_text("Won on the desktop")

    def kept(_):
        found = [e for e in a.all("history-entry") if "text: Kept on the laptop" in e.text]
        return found[0] if found else False

    entry = WebDriverWait(a.driver, 15).until(kept)
    entry.find_element(By.CSS_SELECTOR, "[data-testid='history-restore']").click()
    a.wait_text("The value was put back.")
    assert a.el("field-text").get_attribute("value") == "Kept on the laptop"
    shows(b, "Kept on the laptop")

    # And one in B appears in A; a deletion in B (logged) shows in A's
    # activity under B's name.
    add_record(b, "note", {"text": "Written on the desktop"})
    shows(a, "Written on the desktop")
    b.click("nav-records")
    b.click_text("Written on the desktop")
    b.click("record-delete")
    b.click("record-delete")
    b.wait_text("Deleted.")
    shows_no_more(a, "Written on the desktop")
    shows(a, "desktop", nav="activity")
    assert any(e.text == "desktop" for e in a.all("activity-device")), [e.text for e in a.all("activity-device")]

    # A lists both devices, B joined; B's Sync panel says where it syncs.
    shows(a, "(this device)", nav="settings")
    names = [e.text for e in a.all("sync-device")]
    assert any("laptop" in n and "this device" in n for n in names), names
    assert any("desktop" in n and "not joined" not in n for n in names), names
    b.click("nav-settings")
    assert "sync" in b.el("sync-target").text

    # A revokes B (asked twice); B is told at its next sync.
    a.click("device-revoke")
    assert a.all("device-revoke"), "one click only arms it"
    a.click("device-revoke")
    a.wait_text("desktop was revoked", timeout=60)
    shows(a, "(revoked)", nav="settings")
