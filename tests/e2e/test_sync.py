"""Sync through the app: two app instances, each on its own vault, config
folder and driver. The first sets up a folder to sync through and saves an
invitation from Settings → Sync (its code shown once); the second joins
from its first-run screen with that file and code; an edit in either
appears in the other, each device's log entries show on the other's
Activity screen with the device's name, and a device is revoked from the
first. Both apps' dialogs answer in one shared folder (`files`): the
folder `sync` in it is the store, `vault-invitation.json` the invitation.
VRM_SYNC_INTERVAL_SECS makes the background sync come every few seconds."""

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

from conftest import App
from test_app import add_record, create_vault

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
    a.wait_text("Saved.")
    shows(b, "Edited on the laptop after the join")

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
