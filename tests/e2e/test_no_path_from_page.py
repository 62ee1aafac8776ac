"""No path from the web view: a script in the page calls every command that
reads or writes a file, straight through the IPC, with paths (and tokens)
no dialog gave. Each fails with `file.not_chosen` (or, for a dialog's answer
used for another purpose, `file.wrong_purpose`) and changes nothing: no
file written, none replaced, nothing imported. A dialog's answer works once;
a backup to a new age recipient the person refuses in the native
confirmation is not written."""

import pytest

from test_app import create_vault

# Call a command as a script in the page could; "CHANNEL" stands for a
# progress channel the page makes.
_INVOKE = """
const [cmd, args, done] = arguments;
const internals = window.__TAURI_INTERNALS__;
for (const k of Object.keys(args)) {
  if (args[k] === "CHANNEL") args[k] = "__CHANNEL__:" + internals.transformCallback(() => {});
}
internals.invoke(cmd, args).then((ok) => done({ok}), (err) => done({err}));
"""

RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"


def invoke(app, cmd, args):
    app.driver.set_script_timeout(30)
    return app.driver.execute_async_script(_INVOKE, cmd, args)


def refused(app, cmd, args, code="file.not_chosen"):
    got = invoke(app, cmd, args)
    assert "err" in got, f"{cmd} accepted {args}: {got}"
    assert got["err"]["code"] == code, f"{cmd}: {got['err']}"
    return got["err"]


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def unlocked(app):
    create_vault(app)
    return app


def test_every_file_command_refuses_a_path_the_dialog_did_not_give(unlocked):
    app = unlocked
    tmp = app.tmp
    victim = tmp / "bashrc"
    victim.write_text("echo hello\n")
    evil = tmp / "evil"
    evil.mkdir()
    csv = tmp / "records.csv"
    csv.write_text("kind,brand,name,email\nprofile,,Jane,jane@example.org\n")
    doc = tmp / "doc.json"
    doc.write_text("{}")
    mbox = tmp / "mail.mbox"
    mbox.write_text("From a@b Mon Mar  2 09:00:00 2026\nFrom: Shop <news@shop.example>\nSubject: x\n\nx\n")
    before = files_under(tmp)
    share = {"brand": "b1", "records": ["r1"], "fields": ["email"], "purpose": "delivery",
             "expires_at": "2030-06-30T23:59:59Z", "terms": None}

    # A path where a token goes: for each command that writes or reads.
    for forged in [str(victim), str(evil / "out.json"), "../../.bashrc", ""]:
        refused(app, "export_backup", {"file": forged, "recipient": None, "passphrase": "known to the attacker"})
        refused(app, "export_backup", {"file": forged, "recipient": RECIPIENT, "passphrase": None})
        refused(app, "terms_export", {"version": "1", "brand": "Acme", "file": forged})
        refused(app, "share_create", {"request": share, "file": forged})
        refused(app, "share_revoke", {"id": "s1", "reason": None, "file": forged})
        refused(app, "rights_create", {"brand": "Acme", "right": "gdpr-access", "sentOn": "2026-01-02",
                                       "details": None, "file": forged})
        refused(app, "offer_accept", {"id": "o1", "file": forged})
        refused(app, "exposure_revoke_item", {"item": "email", "folder": str(evil)})
        refused(app, "intent_send", {"id": "i1", "outDir": str(evil)})
        refused(app, "intent_withdraw", {"id": "i1", "outDir": str(evil)})
        refused(app, "sync_setup_folder", {"folder": forged or str(evil), "deviceName": "laptop"})
        refused(app, "device_invite", {"name": "desktop", "file": forged})
        refused(app, "device_join", {"file": forged, "code": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH",
                                     "passphrase": "known to the attacker"})
    refused(app, "import_file", {"file": str(csv), "onProgress": "CHANNEL"})
    refused(app, "terms_import", {"file": str(doc)})
    refused(app, "share_import_ack", {"file": str(doc)})
    refused(app, "offer_import", {"file": str(doc)})
    refused(app, "discover_files", {"files": str(mbox), "me": [], "onProgress": "CHANNEL"})
    refused(app, "discover_imap", {
        "account": {"host": "127.0.0.1", "port": "1", "user": "u", "password": "p", "folders": [],
                    "starttls": False, "ca_file": str(doc)},
        "me": [], "onProgress": "CHANNEL"})

    # Nothing changed: no file written or replaced, nothing imported.
    assert files_under(tmp / "files") == []
    assert [p for p in files_under(tmp) if p not in before and not p.startswith(("vault", "files"))] == []
    assert victim.read_text() == "echo hello\n"
    assert invoke(app, "records_list", {"filter": {}})["ok"] == []
    assert invoke(app, "discover_list", {})["ok"] == []


def test_a_dialog_answer_is_for_its_purpose_and_works_once(unlocked):
    app = unlocked
    # An "open" answer is never a place to save: the brand's answer file
    # chosen to be read, then given to the commands that write.
    chosen = invoke(app, "choose_file", {"choice": "answer-in"})["ok"]
    assert chosen["name"] == "terms-answer.json", chosen
    assert str(app.files) not in str(chosen), "the page sees the name, not the folders"
    refused(app, "share_create", {"request": {"brand": "b1", "records": [], "fields": [], "purpose": "x",
                                              "expires_at": "2030-01-01T00:00:00Z", "terms": None},
                                  "file": chosen["token"]}, code="file.wrong_purpose")
    # Spent by the wrong use.
    refused(app, "terms_import", {"file": chosen["token"]})
    # The import dialog's answer is no backup target either.
    open_token = invoke(app, "choose_import_file", {})["ok"]["token"]
    refused(app, "export_backup", {"file": open_token, "recipient": None, "passphrase": "p"},
            code="file.wrong_purpose")
    assert not (app.tmp / "backup.age").exists()
    # An invitation chosen to be read is no place to write one, nor is a
    # folder to sync through.
    invitation_in = invoke(app, "choose_file", {"choice": "invitation-in"})["ok"]["token"]
    refused(app, "device_invite", {"name": "desktop", "file": invitation_in}, code="file.wrong_purpose")
    invitation_out = invoke(app, "choose_file", {"choice": "invitation-out"})["ok"]["token"]
    refused(app, "sync_setup_folder", {"folder": invitation_out, "deviceName": "laptop"},
            code="file.wrong_purpose")
    assert not (app.files / "vault-invitation.json").exists()

    # The save dialog's answer: once.
    save = invoke(app, "choose_export_file", {})["ok"]
    assert save["name"] == "backup.age"
    done = invoke(app, "export_backup", {"file": save["token"], "recipient": None, "passphrase": "a backup passphrase"})
    assert "ok" in done, done
    written = (app.tmp / "backup.age").read_bytes()
    assert written.startswith(b"age-encryption.org/v1\n")
    refused(app, "export_backup", {"file": save["token"], "recipient": None, "passphrase": "another backup passphrase"})
    assert (app.tmp / "backup.age").read_bytes() == written


def test_a_backup_to_a_new_recipient_refused_in_the_native_dialog_is_not_written(app):
    app.stop()
    app.env["VRM_E2E_CONFIRM"] = "no"
    app.start()
    create_vault(app)
    save = invoke(app, "choose_export_file", {})["ok"]
    err = refused(app, "export_backup", {"file": save["token"], "recipient": RECIPIENT, "passphrase": None},
                  code="export.not_confirmed")
    assert RECIPIENT in err["message"]
    assert not (app.tmp / "backup.age").exists()


def test_a_save_dialog_answer_that_is_a_link_is_not_written_through(app):
    # The dialog answers a symbolic link to another file: the backup is
    # refused, and neither the link nor the file it points to changes.
    victim = app.tmp / "bashrc"
    victim.write_text("echo hello\n")
    link = app.tmp / "link.age"
    link.symlink_to(victim)
    app.stop()
    app.env["VRM_E2E_DIALOG_PATH"] = str(link)
    app.start()
    create_vault(app)
    save = invoke(app, "choose_export_file", {})["ok"]
    err = refused(app, "export_backup", {"file": save["token"], "recipient": None,
                                         "passphrase": "a backup passphrase"}, code="input.invalid")
    assert "symbolic link" in err["message"], err
    assert link.is_symlink() and victim.read_text() == "echo hello\n"
