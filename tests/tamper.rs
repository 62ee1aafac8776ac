use std::collections::BTreeMap;
use std::path::Path;

use vrm_vault::{BrandInput, Error, NewRecord, RecordFilter, RecordId, RecordKind, Vault};

use crate::util::*;

fn note(vault: &mut Vault, text: &str) -> RecordId {
    vault
        .add_record(&NewRecord {
            kind: RecordKind::Note,
            brand: None,
            fields: BTreeMap::from([("text".to_string(), text.to_string())]),
            tags: vec![],
        })
        .unwrap()
        .id
}

#[test]
fn a_ciphertext_copied_to_another_row_is_detected_and_the_rest_stays_readable() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let a = note(&mut vault, "record A");
    let b = note(&mut vault, "record B");
    let c = note(&mut vault, "record C");
    drop(vault);
    raw_sql(
        &dir,
        &format!(
            "UPDATE records SET body = (SELECT body FROM records WHERE id = '{a}') WHERE id = '{b}'"
        ),
    );

    let mut vault = reopen(&dir);
    let err = vault.record(&b).unwrap_err();
    assert!(
        matches!(&err, Error::Tampered { table: "records", id } if *id == b),
        "{err:?}"
    );
    assert_eq!(err.code(), "vault.tampered");
    assert_eq!(vault.record(&a).unwrap().fields["text"], "record A");
    let listed: Vec<RecordId> = vault
        .list_records(&RecordFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert!(
        listed.contains(&a) && listed.contains(&c) && !listed.contains(&b),
        "{listed:?}"
    );
    assert_eq!(vault.damaged_records().unwrap(), vec![b.clone()]);
    // Deleting the damaged row is allowed, and then all is well.
    vault.delete_record(&b).unwrap();
    assert!(vault.damaged_records().unwrap().is_empty());
}

#[test]
fn moving_a_record_to_another_brand_behind_our_back_is_detected() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    let other = vault.add_brand(&BrandInput::named("Globex")).unwrap();
    let id = vault
        .add_record(&NewRecord {
            kind: RecordKind::Note,
            brand: Some("Acme".into()),
            fields: BTreeMap::from([("text".to_string(), "x".to_string())]),
            tags: vec![],
        })
        .unwrap()
        .id;
    drop(vault);
    raw_sql(
        &dir,
        &format!(
            "UPDATE records SET brand_id = '{}' WHERE id = '{id}'",
            other.id
        ),
    );
    let mut vault = reopen(&dir);
    assert_eq!(vault.record(&id).unwrap_err().code(), "vault.tampered");
}

#[test]
fn a_swapped_brand_row_is_left_out_and_the_others_stay_usable() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let a = vault.add_brand(&BrandInput::named("Acme")).unwrap();
    let b = vault.add_brand(&BrandInput::named("Globex")).unwrap();
    drop(vault);
    raw_sql(
        &dir,
        &format!(
            "UPDATE brands SET body = (SELECT body FROM brands WHERE id = '{}') WHERE id = '{}'",
            a.id, b.id
        ),
    );
    let mut vault = reopen(&dir);
    assert_eq!(
        vault
            .brands()
            .unwrap()
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Acme"]
    );
    assert_eq!(vault.damaged_brands().unwrap(), vec![b.id.clone()]);
    assert_eq!(vault.brand(&b.id).unwrap_err().code(), "vault.tampered");
}

#[test]
fn a_rolled_back_version_counter_is_detected() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let id = note(&mut vault, "v1");
    drop(vault);
    raw_sql(
        &dir,
        &format!("UPDATE records SET version = 7 WHERE id = '{id}'"),
    );
    let mut vault = reopen(&dir);
    assert_eq!(vault.record(&id).unwrap_err().code(), "vault.tampered");
}

#[test]
fn a_truncated_vault_file_gives_a_clear_error_not_a_panic() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    for i in 0..300 {
        note(
            &mut vault,
            &format!(
                "record number {i} with some padding to fill pages {}",
                "x".repeat(200)
            ),
        );
    }
    drop(vault);
    let db = dir.join("vault.db");
    let full = std::fs::read(&db).unwrap();
    for keep in [0, 100, 4096, full.len() / 2, full.len() - 1000] {
        std::fs::write(&db, &full[..keep]).unwrap();
        let result = Vault::open(&dir)
            .and_then(|l| l.unlock(&pass()))
            .and_then(|mut v| {
                v.check_integrity()?;
                v.list_records(&RecordFilter::default()).map(|_| ())
            });
        let err = result.expect_err(&format!("a file cut to {keep} bytes must not open cleanly"));
        assert_eq!(err.code(), "vault.damaged", "cut to {keep} bytes: {err}");
    }
}

#[test]
fn a_row_whose_columns_are_not_text_or_integers_is_reported_not_fatal_to_the_list() {
    // Found by the byte-flip harness: an id that is no longer UTF-8, or a
    // version that is no longer an integer, made the whole list fail with a
    // database error. Now such a row is one damaged row like any other.
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let a = note(&mut vault, "record A");
    let b = note(&mut vault, "record B");
    let c = note(&mut vault, "record C");
    drop(vault);
    raw_sql(
        &dir,
        &format!(
            "UPDATE records SET id = CAST(X'FF41' AS TEXT) WHERE id = '{b}';
             UPDATE records SET version = 'one' WHERE id = '{c}';"
        ),
    );
    // Searching first builds the index straight from the rows (no records
    // listed): the same rows must read as damaged there too.
    let mut vault = reopen(&dir);
    let hits = vault.search("record", &RecordFilter::default()).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let damaged = vault.damaged_records().unwrap();
    assert_eq!(damaged.len(), 2, "{damaged:?}");
    drop(vault);

    let mut vault = reopen(&dir);
    let listed: Vec<RecordId> = vault
        .list_records(&RecordFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, vec![a.clone()]);
    let damaged = vault.damaged_records().unwrap();
    assert_eq!(damaged.len(), 2, "{damaged:?}");
    assert!(damaged.contains(&c) && damaged.contains(&RecordId::from("\u{fffd}A")));
    assert_eq!(vault.record(&c).unwrap_err().code(), "vault.tampered");
    assert_eq!(vault.record(&a).unwrap().fields["text"], "record A");
}

#[test]
fn a_damaged_schema_or_file_header_refuses_to_open_as_damage() {
    // Found by the byte-flip harness: a renamed column failed later as a
    // "database error", a schema version that no longer matches the tables
    // failed in the migration, and an unknown file format number was not
    // called damage. All are damage to the file, said at open.
    type Damage = fn(&Path);
    let cases: [(&str, Damage); 3] = [
        ("a renamed column", |dir| {
            raw_sql(
                dir,
                "PRAGMA writable_schema = ON;
                 UPDATE sqlite_master SET sql = replace(sql, 'version INTEGER', 'versiom INTEGER')
                 WHERE name = 'records';",
            )
        }),
        ("schema version 1 with the tables of 2", |dir| {
            raw_sql(dir, "PRAGMA user_version = 1;")
        }),
        ("an unknown schema format number", |dir| {
            let db = dir.join("vault.db");
            let mut bytes = std::fs::read(&db).unwrap();
            bytes[47] ^= 0x69;
            std::fs::write(&db, bytes).unwrap();
        }),
    ];
    for (what, damage) in cases {
        let (tmp, mut vault) = new_vault();
        let dir = vault_dir(&tmp);
        note(&mut vault, "x");
        drop(vault);
        damage(&dir);
        let err = Vault::open(&dir)
            .and_then(|l| l.unlock(&pass()))
            .expect_err(what);
        assert_eq!(err.code(), "vault.damaged", "{what}: {err}");
    }
}

#[test]
fn a_row_the_index_lost_reads_as_damage_not_as_a_silently_missing_record() {
    // Found by the byte-flip harness: a flipped cell count or cell pointer
    // in a page can hide or repeat a row without SQLite noticing on a plain
    // read. Here the primary-key index's only page loses its last cell.
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    for i in 0..3 {
        note(&mut vault, &format!("record {i}"));
    }
    drop(vault);
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    let (page_size, root): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT page_size FROM pragma_page_size), rootpage FROM sqlite_master
             WHERE name = 'sqlite_autoindex_records_1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    drop(conn);
    let db = dir.join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let page = ((root - 1) * page_size) as usize;
    assert_eq!(bytes[page], 0x0a, "a leaf index page");
    assert_eq!(bytes[page + 4], 3, "three cells");
    bytes[page + 4] = 2;
    std::fs::write(&db, bytes).unwrap();

    let mut vault = reopen(&dir);
    let err = vault.list_records(&RecordFilter::default()).unwrap_err();
    assert_eq!(err.code(), "vault.damaged", "{err}");
    assert!(err.to_string().contains("records table"), "{err}");
    // Also when searching builds the index straight from the rows.
    let mut vault = reopen(&dir);
    let err = vault
        .search("record", &RecordFilter::default())
        .unwrap_err();
    assert_eq!(err.code(), "vault.damaged", "{err}");
}

/// Issue 13, 1: whoever can write the file once could plant schema objects
/// that run inside the vault's own statements (a trigger that puts a
/// deleted record back, one that undoes a revocation). Any object the vault
/// did not make refuses to open, named, and the file is left as it was.
#[test]
fn a_planted_trigger_view_index_or_table_refuses_to_open_and_changes_nothing() {
    let cases: [(&str, &str, &str); 6] = [
        (
            "CREATE TRIGGER k AFTER DELETE ON records BEGIN
                 INSERT INTO records VALUES (old.id, old.brand_id, old.version, old.body);
             END;",
            "trigger k on records",
            "a trigger that resurrects deleted records",
        ),
        (
            "CREATE TRIGGER undo AFTER UPDATE ON documents BEGIN
                 UPDATE documents SET body = old.body, version = old.version
                 WHERE kind = old.kind AND id = old.id;
             END;",
            "trigger undo on documents",
            "a trigger that undoes revocations",
        ),
        (
            "CREATE VIEW v AS SELECT id FROM records;",
            "view v",
            "a view",
        ),
        (
            "CREATE INDEX spy ON records(version);",
            "index spy on records",
            "an index",
        ),
        ("CREATE TABLE stash (x BLOB);", "table stash", "a table"),
        (
            "DROP INDEX records_by_brand;
             CREATE INDEX records_by_brand ON records(brand_id, version);",
            "index records_by_brand on records was changed",
            "an index of ours made again differently",
        ),
    ];
    for (sql, named, what) in cases {
        let (tmp, mut vault) = new_vault();
        let dir = vault_dir(&tmp);
        note(&mut vault, "x");
        drop(vault);
        raw_sql(&dir, sql);
        let before = std::fs::read(dir.join("vault.db")).unwrap();
        let err = Vault::open(&dir)
            .and_then(|l| l.unlock(&pass()))
            .expect_err(what);
        assert_eq!(err.code(), "vault.damaged", "{what}: {err}");
        assert!(err.to_string().contains(named), "{what}: {err}");
        assert_eq!(
            std::fs::read(dir.join("vault.db")).unwrap(),
            before,
            "{what}: the file changed"
        );
    }
}

/// A trigger that got in anyway (planted while the vault was open, so the
/// check at open never saw it) does not run: the vault's connections run
/// no trigger at all.
#[test]
fn a_trigger_planted_while_open_does_not_run() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let a = note(&mut vault, "record A");
    raw_sql(
        &dir,
        "CREATE TRIGGER k AFTER DELETE ON records BEGIN
             INSERT INTO records VALUES (old.id, old.brand_id, old.version, old.body);
         END;",
    );
    vault.delete_record(&a).unwrap();
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT count(*) FROM records WHERE id = ?1",
            [a.as_ref()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "the trigger ran and put the record back");
}

/// The sealed manifest, through `vrm`: a row deleted behind the vault's
/// back is named by `vrm status` and `vrm integrity check`; the rest reads.
#[test]
fn a_record_deleted_by_sql_is_named_by_status_and_integrity_check() {
    let (_tmp, dir, _code) = cli_vault();
    let gone = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=gone"],
    );
    let kept = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=kept"],
    );
    vrm_ok(&dir, &["integrity", "check"]);
    raw_sql(&dir, &format!("DELETE FROM records WHERE id = '{gone}'"));

    let status = vrm(&dir).arg("status").output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr),
    );
    assert!(out.contains("1 row(s) differ from the manifest"), "{out}");
    assert!(err.contains(&format!("records {gone} is missing")), "{err}");
    let check = vrm(&dir).args(["integrity", "check"]).output().unwrap();
    assert!(!check.status.success());
    assert!(
        String::from_utf8_lossy(&check.stdout).contains(&format!("records {gone} is missing")),
        "{check:?}"
    );
    let json = vrm(&dir)
        .args(["integrity", "check", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["rows"][0]["id"], gone.as_str());
    assert_eq!(report["rows"][0]["problem"]["kind"], "missing");
    // The other record reads as before, and the vault still writes.
    assert!(vrm_ok(&dir, &["record", "show", &kept]).contains("kept"));
    vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=more"],
    );
}

/// An older copy of the whole file put in place is a rollback: it reads,
/// refuses to write, and `vrm integrity accept` takes it as it is.
#[test]
fn an_older_copy_put_in_place_is_a_rollback_until_accepted_through_vrm() {
    let (tmp, dir, _code) = cli_vault();
    vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=one"],
    );
    let copy = tmp.path().join("copy.db");
    std::fs::copy(dir.join("vault.db"), &copy).unwrap();
    vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=two"],
    );
    std::fs::copy(&copy, dir.join("vault.db")).unwrap();
    let before = snapshot(&dir);

    let add = vrm(&dir)
        .args(["record", "add", "--kind", "note", "--field", "text=three"])
        .output()
        .unwrap();
    assert!(!add.status.success());
    let err = String::from_utf8_lossy(&add.stderr);
    assert!(err.contains("older copy"), "{err}");
    assert!(err.contains("vrm integrity accept"), "{err}");
    assert_eq!(snapshot(&dir), before, "a refused write changes nothing");
    assert!(
        vrm_ok(&dir, &["record", "list"]).contains("one"),
        "it reads"
    );
    let check = vrm(&dir).args(["integrity", "check"]).output().unwrap();
    assert!(!check.status.success());

    vrm_ok(&dir, &["integrity", "accept"]);
    vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=three"],
    );
    vrm_ok(&dir, &["integrity", "check"]);
}

#[test]
fn a_new_recovery_code_replaces_the_old_one() {
    let (tmp, dir, old) = cli_vault();
    let new = vrm_ok(&dir, &["recovery-code", "new"]);
    assert_ne!(new, old);
    let recover = |code: &str| {
        let file = tmp.path().join("code.txt");
        std::fs::write(&file, code).unwrap();
        vrm(&dir)
            .args(["recover", "--recovery-code-file"])
            .arg(&file)
            .env("VRM_NEW_PASSPHRASE", "a new passphrase")
            .output()
            .unwrap()
    };
    let with_old = recover(&old);
    assert!(!with_old.status.success());
    assert!(
        String::from_utf8_lossy(&with_old.stderr).contains("recovery code"),
        "{with_old:?}"
    );
    assert!(recover(&new).status.success());
}
