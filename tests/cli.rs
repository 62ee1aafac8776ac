use std::process::Command as Std;

use predicates::prelude::*;

use crate::util::*;

fn stdout_json(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&vrm_ok(dir, args))
        .unwrap_or_else(|e| panic!("vrm {args:?} is not JSON: {e}"))
}

#[test]
fn init_prints_the_recovery_code_alone_and_a_second_init_refuses() {
    let (_tmp, dir, code) = cli_vault();
    let groups: Vec<&str> = code.split('-').collect();
    assert_eq!(groups.len(), 8, "eight groups: {code}");
    assert!(groups.iter().all(|g| g.len() == 4));
    let before = snapshot(&dir);
    vrm(&dir)
        .arg("init")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(before, snapshot(&dir), "the second init changed nothing");
}

#[test]
fn ids_are_printed_alone_and_json_has_the_documented_shape() {
    let (_tmp, dir, _) = cli_vault();
    let brand = vrm_ok(&dir, &["brand", "add", "Acme", "--domain", "acme.example"]);
    assert!(
        uuid::Uuid::parse_str(&brand).is_ok(),
        "brand add prints the id alone: {brand:?}"
    );
    let rec = vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "interaction",
            "--brand",
            "Acme",
            "--field",
            "channel=chat",
            "--field",
            "direction=inbound",
            "--field",
            "date=2026-04-01",
            "--field",
            "summary=Parcel late",
            "--tag",
            "delivery",
        ],
    );
    assert!(
        uuid::Uuid::parse_str(&rec).is_ok(),
        "record add prints the id alone: {rec:?}"
    );
    vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "note",
            "--field",
            "text=unrelated",
        ],
    );

    let list = stdout_json(&dir, &["record", "list", "--brand", "Acme", "--json"]);
    let items = list.as_array().expect("an array");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], rec.as_str());
    assert_eq!(items[0]["kind"], "interaction");
    assert_eq!(items[0]["brand"], brand.as_str());
    assert_eq!(items[0]["fields"]["summary"], "Parcel late");

    let show = stdout_json(&dir, &["record", "show", &rec[..8], "--json"]);
    assert!(show.is_object());
    assert_eq!(show["id"], rec.as_str());

    let hits = stdout_json(&dir, &["search", "parcel", "ACME", "--json"]);
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["id"], rec.as_str());
    let hits = stdout_json(&dir, &["search", "unrelated", "--json"]);
    assert_eq!(hits[0]["brand"], serde_json::Value::Null);

    let brands = stdout_json(&dir, &["brand", "list", "--json"]);
    assert_eq!(brands[0]["id"], brand.as_str());
    assert_eq!(brands[0]["name"], "Acme");
    let shown = stdout_json(&dir, &["brand", "show", "acme", "--json"]);
    assert_eq!(
        shown["records"].as_array().unwrap().len(),
        1,
        "a brand's page lists its timeline"
    );
}

#[test]
fn wrong_passphrase_exits_3_changes_nothing_and_never_echoes_the_secret() {
    let (_tmp, dir, _) = cli_vault();
    vrm_ok(&dir, &["brand", "add", "Acme"]);
    let before = snapshot(&dir);
    let out = vrm(&dir)
        .env("VRM_PASSPHRASE", "Hunter2-Secret-Guess")
        .args(["brand", "add", "Globex"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("wrong passphrase"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        !err.contains("Hunter2"),
        "the passphrase must never be echoed"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        before,
        snapshot(&dir),
        "not one byte of any vault file changed"
    );
}

#[test]
fn passphrase_file_passwd_and_recover_work_from_the_command_line() {
    let (tmp, dir, code) = cli_vault();
    let file = tmp.path().join("pass.txt");
    std::fs::write(&file, format!("{PASS}\n")).unwrap();
    let new_file = tmp.path().join("new.txt");
    std::fs::write(&new_file, "second passphrase\n").unwrap();
    vrm(&dir)
        .env_remove("VRM_PASSPHRASE")
        .arg("--passphrase-file")
        .arg(&file)
        .args(["passwd", "--new-passphrase-file"])
        .arg(&new_file)
        .assert()
        .success();
    vrm(&dir).args(["status"]).assert().code(3);
    vrm(&dir)
        .env("VRM_PASSPHRASE", "second passphrase")
        .args(["status"])
        .assert()
        .success();

    let out = vrm(&dir)
        .env("VRM_RECOVERY_CODE", code.to_lowercase())
        .env("VRM_NEW_PASSPHRASE", "third passphrase")
        .arg("recover")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_code = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_ne!(new_code, code);
    vrm(&dir)
        .env("VRM_PASSPHRASE", "third passphrase")
        .args(["status"])
        .assert()
        .success();
    vrm(&dir)
        .env("VRM_RECOVERY_CODE", &code)
        .env("VRM_NEW_PASSPHRASE", "fourth passphrase")
        .arg("recover")
        .assert()
        .code(3)
        .stderr(predicate::str::contains("wrong recovery code"));
}

#[test]
fn usage_errors_exit_2_and_other_errors_exit_1_with_one_line() {
    let (_tmp, dir, _) = cli_vault();
    for (args, says) in [
        (&["record", "add"][..], "--kind"),
        (&["no-such-command"][..], "no-such-command"),
        (&["record", "list", "--bogus"][..], "--bogus"),
        (
            &["record", "add", "--kind", "gizmo", "--field", "a=b"][..],
            "gizmo",
        ),
    ] {
        let out = vrm(&dir).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "usage error for {args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "a usage error is one line, not clap's usage block: {stderr:?}"
        );
        assert!(
            stderr.starts_with("vrm: ") && stderr.contains(says),
            "the line names what was wrong ({says}): {stderr:?}"
        );
    }
    let out = vrm(&dir)
        .args(["record", "show", "ffffffff"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr)
            .unwrap()
            .trim()
            .lines()
            .count(),
        1
    );
    vrm(&dir)
        .args([
            "record",
            "add",
            "--kind",
            "profile",
            "--field",
            "email=nope",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "field email: expected an email address",
        ));
    vrm(&dir)
        .env_remove("VRM_PASSPHRASE")
        .args(["status"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--passphrase-file"));
}

#[test]
fn deleting_a_brand_needs_confirmation_and_then_removes_its_records() {
    let (_tmp, dir, _) = cli_vault();
    vrm_ok(&dir, &["brand", "add", "Acme"]);
    let rec = vrm_ok(
        &dir,
        &[
            "record", "add", "--kind", "note", "--brand", "Acme", "--field", "text=x",
        ],
    );
    vrm(&dir).args(["brand", "delete", "Acme"]).assert().code(2);
    assert_eq!(
        stdout_json(&dir, &["brand", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing deleted"
    );
    vrm(&dir)
        .args(["brand", "delete", "Acme", "--yes"])
        .assert()
        .success();
    assert!(
        stdout_json(&dir, &["brand", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    vrm(&dir).args(["record", "show", &rec]).assert().code(1);
}

#[test]
fn record_edit_and_delete_from_the_command_line() {
    let (_tmp, dir, _) = cli_vault();
    let id = vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "note",
            "--field",
            "text=before",
            "--tag",
            "a",
        ],
    );
    vrm_ok(
        &dir,
        &[
            "record",
            "edit",
            &id,
            "--field",
            "text=after",
            "--untag",
            "a",
            "--tag",
            "b",
        ],
    );
    let r = stdout_json(&dir, &["record", "show", &id, "--json"]);
    assert_eq!(r["fields"]["text"], "after");
    assert_eq!(r["tags"], serde_json::json!(["b"]));
    vrm(&dir).args(["record", "edit", &id]).assert().code(2);
    vrm_ok(&dir, &["record", "delete", &id]);
    assert!(
        stdout_json(&dir, &["record", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn record_list_limit_and_offset_list_one_page_and_say_of_how_many() {
    let (_tmp, dir, _) = cli_vault();
    for day in 1..=5 {
        vrm_ok(
            &dir,
            &[
                "record",
                "add",
                "--kind",
                "note",
                "--field",
                &format!("text=n{day}"),
                "--field",
                &format!("date=2026-01-0{day}"),
            ],
        );
    }
    let texts = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["fields"]["text"].as_str().unwrap().to_string())
            .collect()
    };
    let out = vrm(&dir)
        .args(["record", "list", "--limit", "2", "--offset", "1", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(texts(page), ["n4", "n3"], "newest first, from the second");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "records 2–3 of 5\n");
    let all = stdout_json(&dir, &["record", "list", "--json"]);
    assert_eq!(texts(all).len(), 5, "without --limit, every record");
    let past = vrm(&dir)
        .args(["record", "list", "--limit", "2", "--offset", "9"])
        .output()
        .unwrap();
    assert!(past.status.success() && past.stdout.is_empty());
    assert!(String::from_utf8_lossy(&past.stderr).contains("no records from 10 (of 5)"));
    let zero = vrm(&dir)
        .args(["record", "list", "--limit", "0"])
        .output()
        .unwrap();
    assert_eq!(zero.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("a page holds 1 to 500"));
    vrm(&dir)
        .args(["record", "list", "--offset", "2"])
        .assert()
        .code(2);
}

#[test]
fn a_tampered_row_is_reported_and_the_rest_still_lists() {
    let (_tmp, dir, _) = cli_vault();
    let a = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=A"],
    );
    let b = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=B"],
    );
    raw_sql(
        &dir,
        &format!(
            "UPDATE records SET body = (SELECT body FROM records WHERE id = '{a}') WHERE id = '{b}'"
        ),
    );
    vrm(&dir)
        .args(["record", "list", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains(a.as_str()))
        .stderr(predicate::str::contains("tampered").and(predicate::str::contains(b.as_str())));
    vrm(&dir)
        .args(["record", "show", &b])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("tampered"));
}

#[test]
fn a_truncated_vault_gives_a_clear_error() {
    let (_tmp, dir, _) = cli_vault();
    let db = dir.join("vault.db");
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..bytes.len() / 3]).unwrap();
    vrm(&dir)
        .args(["record", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("damaged").or(predicate::str::contains("truncated")));
}

#[test]
fn export_import_restore_round_trip_through_the_command_line_and_age() {
    need_age();
    let (tmp, dir, _) = cli_vault();
    vrm_ok(&dir, &["brand", "add", "Acme"]);
    let csv = tmp.path().join("in.csv");
    std::fs::write(&csv, "kind,brand,field:item,date\npurchase,Acme,Kettle,2026-01-02\npurchase,Globex,Toaster,2026-01-03\n").unwrap();
    vrm(&dir)
        .arg("import")
        .arg(&csv)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "Imported 2 record(s) and 1 new brand(s)",
        ));

    let key = tmp.path().join("id.key");
    assert!(
        Std::new("age-keygen")
            .arg("-o")
            .arg(&key)
            .output()
            .unwrap()
            .status
            .success()
    );
    let recipient = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();
    let backup = tmp.path().join("backup.age");
    vrm(&dir)
        .args(["export", "--recipient", &recipient, "--out"])
        .arg(&backup)
        .assert()
        .success();
    let plain = Std::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg(&backup)
        .output()
        .unwrap();
    assert!(plain.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(doc["records"].as_array().unwrap().len(), 2);

    // The decrypted export is also an import format.
    let json = tmp.path().join("plain.json");
    std::fs::write(&json, &plain.stdout).unwrap();
    let (_t2, other, _) = cli_vault();
    vrm(&other).arg("import").arg(&json).assert().success();

    let restored = tmp.path().join("restored");
    vrm(&restored)
        .args(["restore", "--identity"])
        .arg(&key)
        .arg(&backup)
        .assert()
        .success();
    let a = stdout_json(&dir, &["record", "list", "--json"]);
    assert_eq!(a, stdout_json(&restored, &["record", "list", "--json"]));
    assert_eq!(a, stdout_json(&other, &["record", "list", "--json"]));
    vrm(&restored)
        .args(["restore", "--identity"])
        .arg(&key)
        .arg(&backup)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));

    let pw_backup = tmp.path().join("pw.age");
    vrm(&dir)
        .env("VRM_BACKUP_PASSPHRASE", "backup passphrase")
        .args(["export", "--passphrase", "--out"])
        .arg(&pw_backup)
        .assert()
        .success();
    vrm(&tmp.path().join("r2"))
        .env("VRM_BACKUP_PASSPHRASE", "not it at all")
        .arg("restore")
        .arg(&pw_backup)
        .assert()
        .code(3);
    vrm(&tmp.path().join("r2"))
        .env("VRM_BACKUP_PASSPHRASE", "backup passphrase")
        .arg("restore")
        .arg(&pw_backup)
        .assert()
        .success();
}

#[test]
fn a_failed_import_names_the_line_and_leaves_the_vault_as_it_was() {
    let (tmp, dir, _) = cli_vault();
    let csv = tmp.path().join("bad.csv");
    std::fs::write(&csv, "kind,field:text\nnote,one\nnote,two\nwidget,three\n").unwrap();
    vrm(&dir)
        .arg("import")
        .arg(&csv)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad.csv:4: unknown record kind \"widget\"",
        ));
    assert!(
        stdout_json(&dir, &["record", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn terms_new_help_names_every_clause_set_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = vrm(tmp.path())
        .args(["terms", "new", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for key in vrm_vault::terms::clauses::CLAUSE_KEYS
        .iter()
        .filter(|k| **k != "prose")
    {
        assert!(
            help.contains(key),
            "`terms new --help` must name the clause {key} that --set takes: {help}"
        );
    }
}

/// Issue 10, defect 6: `record delete` refused a damaged record, so only
/// deleting its whole brand removed it.
#[test]
fn a_damaged_record_is_deleted_through_the_command_line_and_leaves_no_residue() {
    let (_tmp, dir, _) = cli_vault();
    let id = vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "note",
            "--field",
            "text=soon damaged",
        ],
    );
    let keep = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=kept"],
    );
    // Flip the middle byte of the sealed body, as damage or an attacker would.
    let mut body = raw_body(&dir, "records", &id);
    let mid = body.len() / 2;
    body[mid] ^= 0x40;
    let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
    raw_sql(
        &dir,
        &format!("UPDATE records SET body = X'{hex}' WHERE id = '{id}'"),
    );
    vrm(&dir)
        .args(["record", "show", &id])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("damaged"));
    vrm(&dir)
        .args(["record", "delete", &id[..8]])
        .assert()
        .success()
        .stderr(predicate::str::contains("Deleted 1 record(s)."));
    assert_nowhere(&dir, &body, "the damaged record's ciphertext");
    let list = vrm_ok(&dir, &["record", "list", "--json"]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], keep.as_str());
    vrm(&dir)
        .args(["status"])
        .assert()
        .success()
        .stderr(predicate::str::contains("damaged").not());
}

/// Issue 10, defect 7: `record delete ID ID` deleted, then failed (exit 1).
#[test]
fn a_record_given_twice_to_delete_is_deleted_once_and_a_bad_id_deletes_nothing() {
    let (_tmp, dir, _) = cli_vault();
    let a = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=a"],
    );
    let b = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=b"],
    );
    vrm(&dir)
        .args(["record", "delete", &a, &a[..6]])
        .assert()
        .success()
        .stderr(predicate::str::contains("Deleted 1 record(s)."));
    vrm(&dir)
        .args(["record", "delete", &b, "ffffffff"])
        .assert()
        .code(1);
    vrm_ok(&dir, &["record", "show", &b]);
}
