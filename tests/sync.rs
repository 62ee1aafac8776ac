//! Sync through the `vrm` binary over a real folder: setup, an invitation
//! and a join, edits both ways, a conflict kept in history and put back, a
//! delete, an invitation used twice, two processes syncing at once.

use std::path::{Path, PathBuf};

use crate::util::{vrm, vrm_ok, vrm_process};

struct Two {
    _tmp: tempfile::TempDir,
    a: PathBuf,
    b: PathBuf,
    store: PathBuf,
    invitation: PathBuf,
    code: PathBuf,
}

/// Device A with a brand and a record, syncing to a folder; device B
/// joined from A's invitation.
fn two_devices() -> Two {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, store) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("store"),
    );
    std::fs::create_dir(&store).unwrap();
    vrm_ok(&a, &["init"]);
    vrm_ok(&a, &["brand", "add", "Acme"]);
    vrm_ok(
        &a,
        &[
            "sync",
            "setup",
            "--target",
            store.to_str().unwrap(),
            "--name",
            "laptop",
        ],
    );
    let invitation = tmp.path().join("invitation.json");
    let code = vrm_ok(
        &a,
        &[
            "device",
            "invite",
            "--out",
            invitation.to_str().unwrap(),
            "--name",
            "desktop",
        ],
    );
    assert_eq!(code.len(), 39, "the code alone on stdout: {code:?}");
    let code_file = tmp.path().join("code");
    std::fs::write(&code_file, &code).unwrap();
    // The code is not in the invitation.
    let text = std::fs::read_to_string(&invitation).unwrap();
    assert!(!text.contains(&code));
    vrm_ok(
        &b,
        &[
            "device",
            "join",
            invitation.to_str().unwrap(),
            "--code-file",
            code_file.to_str().unwrap(),
        ],
    );
    Two {
        _tmp: tmp,
        a,
        b,
        store,
        invitation,
        code: code_file,
    }
}

fn add_purchase(dir: &Path, item: &str) -> String {
    vrm_ok(
        dir,
        &[
            "record",
            "add",
            "--kind",
            "purchase",
            "--brand",
            "Acme",
            "--field",
            &format!("item={item}"),
            "--field",
            "date=2026-01-02",
        ],
    )
}

fn field(dir: &Path, id: &str, name: &str) -> Option<String> {
    let json: serde_json::Value =
        serde_json::from_str(&vrm_ok(dir, &["record", "show", id, "--json"])).unwrap();
    json["fields"][name].as_str().map(str::to_string)
}

#[test]
fn a_joined_device_has_the_vault_and_edits_go_both_ways() {
    let t = two_devices();
    // B started from A's image, which it then removed from the store.
    assert!(
        walk(&t.store)
            .iter()
            .all(|p| !p.to_string_lossy().contains("/images/")),
        "the image is still in the store"
    );
    // B has A's brand, and both list two devices.
    assert!(vrm_ok(&t.b, &["brand", "list"]).contains("Acme"));
    let devices = vrm_ok(&t.b, &["device", "list"]);
    assert!(
        devices.contains("desktop (this device)") && devices.contains("laptop"),
        "{devices}"
    );

    let id = add_purchase(&t.b, "kettle");
    let out = vrm_ok(&t.b, &["sync", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["pushed"], 1, "{out}");
    vrm_ok(&t.a, &["sync"]);
    assert_eq!(field(&t.a, &id, "item").as_deref(), Some("kettle"));

    vrm_ok(&t.a, &["record", "edit", &id, "--field", "price=20.00"]);
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);
    assert_eq!(field(&t.b, &id, "price").as_deref(), Some("20.00"));

    // The store holds nothing readable.
    for entry in walk(&t.store) {
        let bytes = std::fs::read(&entry).unwrap();
        for needle in [&b"kettle"[..], b"Acme", b"20.00"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{entry:?}"
            );
        }
    }
}

#[test]
fn the_same_field_edited_on_both_keeps_one_and_the_other_can_be_put_back() {
    let t = two_devices();
    let id = add_purchase(&t.a, "kettle");
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["record", "edit", &id, "--field", "item=red kettle"]);
    vrm_ok(
        &t.b,
        &["record", "edit", &id, "--field", "item=blue kettle"],
    );
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["sync"]);
    let on_a = field(&t.a, &id, "item").unwrap();
    assert_eq!(Some(&on_a), field(&t.b, &id, "item").as_ref());
    let other = if on_a == "red kettle" {
        "blue kettle"
    } else {
        "red kettle"
    };
    // The other value is in the history, on both devices.
    for dir in [&t.a, &t.b] {
        let history = vrm_ok(dir, &["record", "history", &id]);
        assert!(history.contains(other), "{history}");
    }
    let history: serde_json::Value =
        serde_json::from_str(&vrm_ok(&t.a, &["record", "history", &id, "--json"])).unwrap();
    let n = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["value"].as_str() == Some(&format!("{other:?}")))
        .expect("the other value")["version"]
        .as_u64()
        .unwrap();
    vrm_ok(
        &t.a,
        &["record", "restore", &id, "--version", &n.to_string()],
    );
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);
    assert_eq!(field(&t.b, &id, "item").as_deref(), Some(other));
}

#[test]
fn a_delete_reaches_the_other_device() {
    let t = two_devices();
    let id = add_purchase(&t.a, "kettle");
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.b, &["record", "delete", &id]);
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["sync"]);
    vrm(&t.a).args(["record", "show", &id]).assert().failure();
    // After a compaction the store holds one snapshot, and both go on.
    let said = vrm_ok(&t.a, &["sync", "compact"]);
    assert!(said.contains("snapshot"), "{said}");
    let objects = walk(&t.store);
    assert_eq!(objects.len(), 1, "{objects:?}");
    let other = add_purchase(&t.b, "teapot");
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["sync"]);
    assert_eq!(field(&t.a, &other, "item").as_deref(), Some("teapot"));
}

#[test]
fn an_invitation_works_once_and_a_wrong_code_opens_nothing() {
    let t = two_devices();
    let again = t.invitation.parent().unwrap().join("c");
    let out = vrm(&again)
        .args([
            "device",
            "join",
            t.invitation.to_str().unwrap(),
            "--code-file",
            t.code.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("used already"));
    assert!(!again.join("vault.db").exists());

    let wrong = t.invitation.parent().unwrap().join("wrong");
    std::fs::write(&wrong, "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA").unwrap();
    let d = t.invitation.parent().unwrap().join("d");
    let out = vrm(&d)
        .args([
            "device",
            "join",
            t.invitation.to_str().unwrap(),
            "--code-file",
            wrong.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not open"));
    assert!(!d.join("vault.db").exists());
}

#[test]
fn an_altered_object_is_refused_and_reported_and_changes_nothing() {
    let t = two_devices();
    let id = add_purchase(&t.a, "kettle");
    vrm_ok(&t.a, &["sync"]);
    let newest = walk(&t.store)
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::remove_file(&newest).unwrap();
    std::fs::write(&newest, &bytes).unwrap();
    let out = vrm(&t.b).args(["sync"]).output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("Refused") && said.contains("signature"),
        "{said}"
    );
    vrm(&t.b).args(["record", "show", &id]).assert().failure();
}

#[test]
fn two_processes_syncing_at_once_lose_nothing() {
    let t = two_devices();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(add_purchase(&t.a, &format!("from a {i}")));
        ids.push(add_purchase(&t.b, &format!("from b {i}")));
    }
    let runs: Vec<_> = [&t.a, &t.b, &t.a, &t.b]
        .iter()
        .map(|d| vrm_process(d).arg("sync").spawn().unwrap())
        .collect();
    for mut r in runs {
        assert!(r.wait().unwrap().success());
    }
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["sync"]);
    for id in &ids {
        assert!(field(&t.a, id, "item").is_some(), "{id} missing on A");
        assert!(field(&t.b, id, "item").is_some(), "{id} missing on B");
    }
}

#[test]
fn an_invitation_whose_image_was_compacted_away_still_joins_by_pulling() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, store) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("store"),
    );
    vrm_ok(&a, &["init"]);
    vrm_ok(&a, &["brand", "add", "Acme"]);
    let id = add_purchase(&a, "kettle");
    vrm_ok(&a, &["sync", "setup", "--target", store.to_str().unwrap()]);
    let invitation = tmp.path().join("invitation.json");
    let code = vrm_ok(
        &a,
        &["device", "invite", "--out", invitation.to_str().unwrap()],
    );
    assert!(
        walk(&store)
            .iter()
            .any(|p| p.to_string_lossy().contains("/images/"))
    );
    vrm_ok(&a, &["sync", "compact"]);
    assert!(
        !walk(&store)
            .iter()
            .any(|p| p.to_string_lossy().contains("/images/"))
    );
    let code_file = tmp.path().join("code");
    std::fs::write(&code_file, code).unwrap();
    vrm_ok(
        &b,
        &[
            "device",
            "join",
            invitation.to_str().unwrap(),
            "--code-file",
            code_file.to_str().unwrap(),
        ],
    );
    assert_eq!(field(&b, &id, "item").as_deref(), Some("kettle"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_revoked_device_is_cut_off_and_a_device_invited_after_joins_under_the_new_key() {
    let t = two_devices();
    let b_id = {
        let list: serde_json::Value =
            serde_json::from_str(&vrm_ok(&t.b, &["device", "list", "--json"])).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "desktop")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let kettle = add_purchase(&t.b, "kettle");
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["sync"]);

    let out = vrm_ok(&t.a, &["device", "revoke", &b_id, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["epoch"], 1, "{out}");
    assert_eq!(report["devices_kept"], 1, "{out}");
    assert!(vrm_ok(&t.a, &["device", "list"]).contains("revoked after"));
    // What B sent before is kept.
    assert_eq!(field(&t.a, &kettle, "item").as_deref(), Some("kettle"));

    // B is told, and what it wrote before it knew reaches nobody.
    let late = add_purchase(&t.b, "late");
    let out = vrm(&t.b).args(["sync"]).output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("this device was revoked by device"), "{said}");
    vrm_ok(&t.a, &["sync"]);
    vrm(&t.a).args(["record", "show", &late]).assert().failure();

    // A device invited now starts from an image under the new key.
    let c = t.a.parent().unwrap().join("c");
    let invitation = t.a.parent().unwrap().join("c.invite");
    let code = vrm_ok(
        &t.a,
        &[
            "device",
            "invite",
            "--out",
            invitation.to_str().unwrap(),
            "--name",
            "phone",
        ],
    );
    let out = vrm(&c)
        .args(["device", "join", invitation.to_str().unwrap()])
        .env("VRM_INVITE_CODE", &code)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(field(&c, &kettle, "item").as_deref(), Some("kettle"));
    let teapot = add_purchase(&c, "teapot");
    vrm_ok(&c, &["sync"]);
    vrm_ok(&t.a, &["sync"]);
    assert_eq!(field(&t.a, &teapot, "item").as_deref(), Some("teapot"));
    let _ = (&t.store, &t.invitation, &t.code);
}

#[test]
fn the_activity_log_shows_the_other_devices_entries_with_their_names() {
    let t = two_devices();
    let id = add_purchase(&t.b, "kettle");
    vrm_ok(&t.b, &["record", "delete", &id]);
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["sync"]);
    let log = vrm_ok(&t.a, &["audit", "list"]);
    assert!(
        log.lines()
            .any(|l| l.contains("desktop") && l.contains("record-deleted")),
        "{log}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&vrm_ok(&t.a, &["audit", "list", "--json"])).unwrap();
    let deleted: Vec<&serde_json::Value> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "record-deleted")
        .collect();
    assert_eq!(deleted.len(), 1, "{json}");
    assert_eq!(deleted[0]["device_name"], "desktop");
    // Each device's own chain still verifies.
    vrm_ok(&t.a, &["audit", "verify"]);
    vrm_ok(&t.b, &["audit", "verify"]);
}

/// Joins `dir` from an invitation `inviter` makes now (`compact`: the
/// image compacted away first, so the join pulls every object instead).
fn join_new(inviter: &Path, dir: &Path, name: &str, compact: bool) {
    let invitation = dir.with_extension("invite");
    let code = vrm_ok(
        inviter,
        &[
            "device",
            "invite",
            "--out",
            invitation.to_str().unwrap(),
            "--name",
            name,
        ],
    );
    if compact {
        vrm_ok(inviter, &["sync", "compact"]);
    }
    let out = vrm(dir)
        .args(["device", "join", invitation.to_str().unwrap()])
        .env("VRM_INVITE_CODE", &code)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A rekey changes the vault key of one device only: its sync key is kept,
/// so the other devices still open what it writes, and devices invited
/// after it (from its image, or by pulling) join.
#[test]
fn a_rekey_on_one_device_does_not_cut_the_others_off() {
    let t = two_devices();
    let kettle = add_purchase(&t.a, "kettle");
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);

    vrm(&t.a)
        .args(["rekey"])
        .env("VRM_NEW_PASSPHRASE", crate::util::PASS)
        .assert()
        .success();
    vrm_ok(&t.a, &["record", "edit", &kettle, "--field", "price=20.00"]);
    let teapot = add_purchase(&t.a, "teapot");
    vrm_ok(&t.a, &["sync"]);
    vrm_ok(&t.b, &["sync"]);
    assert_eq!(field(&t.b, &kettle, "price").as_deref(), Some("20.00"));
    assert_eq!(field(&t.b, &teapot, "item").as_deref(), Some("teapot"));

    // And back, after the other device rekeys too.
    vrm(&t.b)
        .args(["rekey"])
        .env("VRM_NEW_PASSPHRASE", crate::util::PASS)
        .assert()
        .success();
    vrm_ok(&t.b, &["record", "edit", &teapot, "--field", "price=35.00"]);
    vrm_ok(&t.b, &["sync"]);
    vrm_ok(&t.a, &["sync"]);
    assert_eq!(field(&t.a, &teapot, "price").as_deref(), Some("35.00"));

    // A device invited after the rekey, from the image and by pulling.
    let root = t.a.parent().unwrap();
    let (c, d) = (root.join("c"), root.join("d"));
    join_new(&t.a, &c, "phone", false);
    join_new(&t.b, &d, "tablet", true);
    for dir in [&c, &d] {
        assert_eq!(field(dir, &teapot, "price").as_deref(), Some("35.00"));
    }
    let mug = add_purchase(&d, "mug");
    vrm_ok(&d, &["sync"]);
    for dir in [&t.a, &t.b, &c] {
        vrm_ok(dir, &["sync"]);
        assert_eq!(field(dir, &mug, "item").as_deref(), Some("mug"));
    }
    let _ = (&t.store, &t.invitation, &t.code);
}
