//! Processes racing over one vault (issue 10, defects 1 and 5): two `init`s,
//! two `restore`s, two adds of one brand name, concurrent edits of one
//! record, and a long-lived vault (the app) that another process writes to.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use secrecy::SecretString;
use vrm_vault::crypto::KdfParams;
use vrm_vault::transfer::{self, BackupKey, BackupTo};
use vrm_vault::{BrandInput, NewRecord, RecordKind, RecordPatch, Vault};

use crate::util::*;

/// Start `n` copies of `vrm ARGS` as close together as processes start,
/// then wait for all of them.
fn race(n: usize, dir: &Path, args: &[&str]) -> Vec<Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            vrm_process(dir)
                .args(args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

#[test]
fn of_two_inits_at_once_exactly_one_succeeds_and_its_recovery_code_works() {
    for round in 0..4 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = vault_dir(&tmp);
        let outs = race(2, &dir, &["init"]);
        let winners: Vec<&Output> = outs.iter().filter(|o| o.status.success()).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: exactly one init succeeds: {:?}",
            outs.iter().map(|o| text(&o.stderr)).collect::<Vec<_>>()
        );
        let loser = outs.iter().find(|o| !o.status.success()).unwrap();
        assert_eq!(loser.status.code(), Some(1));
        assert!(
            text(&loser.stderr).contains("already exists"),
            "round {round}: {}",
            text(&loser.stderr)
        );
        // Only the vault is left: no temporary file of the loser.
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("vault.db"))
            .collect();
        assert!(names.is_empty(), "round {round}: left behind: {names:?}");
        // The code the winner printed is the vault's.
        let code = text(&winners[0].stdout);
        let locked = Vault::open(&dir).unwrap();
        let code = vrm_vault::crypto::RecoveryCode::parse(&code).unwrap();
        locked
            .recover(
                &code,
                &SecretString::from("a new passphrase"),
                KdfParams::minimum().unwrap(),
            )
            .unwrap_or_else(|e| panic!("round {round}: the winner's code does not work: {e}"));
    }
}

#[test]
fn of_threads_creating_one_vault_exactly_one_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = vault_dir(&tmp);
    let barrier = std::sync::Barrier::new(4);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    Vault::create(&dir, &pass(), KdfParams::minimum().unwrap())
                        .map(|(v, code)| (v.info().unwrap().vault_id, code))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(ok.len(), 1, "exactly one create succeeds");
    for r in &results {
        if let Err(e) = r {
            assert_eq!(e.code(), "vault.exists", "{e}");
        }
    }
    let vault = reopen(&dir);
    assert_eq!(
        vault.info().unwrap().vault_id,
        ok[0].0,
        "the winner's vault"
    );
}

#[test]
fn a_new_vault_in_an_existing_empty_folder_makes_it_private_and_a_full_folder_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    vrm_ok(&dir, &["init"]);
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the README promises an owner-only folder");

    let full = tmp.path().join("documents");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("letter.txt"), "dear").unwrap();
    std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = vrm_process(&full).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    let mode = std::fs::metadata(&full).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755, "a refused folder keeps its permissions");
    let names: Vec<_> = std::fs::read_dir(&full).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing was added");
}

#[test]
fn of_two_restores_into_one_new_folder_one_succeeds_and_a_failed_restore_leaves_nothing() {
    let (tmp, mut vault) = new_vault();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    let backup = tmp.path().join("backup.age");
    let to = BackupTo::Passphrase(SecretString::from("backup passphrase"));
    transfer::export(&mut vault, &backup, &to).unwrap();
    std::fs::write(tmp.path().join("bp"), "backup passphrase").unwrap();

    let target = tmp.path().join("restored");
    let bp = tmp.path().join("bp");
    let args = [
        "restore",
        backup.to_str().unwrap(),
        "--backup-passphrase-file",
        bp.to_str().unwrap(),
    ];
    let outs = race(2, &target, &args);
    let ok = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        outs.iter().map(|o| text(&o.stderr)).collect::<Vec<_>>()
    );
    assert_eq!(reopen(&target).brands().unwrap().len(), 1);

    // A backup that opens but holds a document for a brand it lacks: the
    // restore fails half-way, and no vault (nor a temporary file) remains.
    let mut doc = transfer::export_document(&mut vault).unwrap();
    doc.documents
        .push(vrm_vault::vault::documents::ExportedDocument {
            kind: "terms".into(),
            id: "x".into(),
            brand: Some(uuid::Uuid::new_v4().to_string()),
            value: serde_json::json!({}),
        });
    let bad = tmp.path().join("bad.age");
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut out = encryptor
        .wrap_output(std::fs::File::create(&bad).unwrap())
        .unwrap();
    serde_json::to_writer(&mut out, &doc).unwrap();
    out.finish().unwrap();
    let key_file = tmp.path().join("key.txt");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&key_file, identity.to_string().expose_secret()).unwrap();
    }
    let failed = tmp.path().join("failed");
    let err = transfer::restore(
        &bad,
        &BackupKey::IdentityFile(key_file),
        &failed,
        &pass(),
        KdfParams::minimum().unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "input.invalid", "{err}");
    let left: Vec<_> = std::fs::read_dir(&failed)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a failed restore left {left:?}");
    assert!(!Vault::exists(&failed));
}

#[test]
fn of_concurrent_adds_of_one_brand_name_exactly_one_succeeds() {
    let (_tmp, dir, _) = cli_vault();
    let outs = race(6, &dir, &["brand", "add", "Dup 4"]);
    let ok = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        outs.iter().map(|o| text(&o.stderr)).collect::<Vec<_>>()
    );
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert!(
            text(&o.stderr).contains("already exists"),
            "{}",
            text(&o.stderr)
        );
    }
    let list = vrm_ok(&dir, &["brand", "list", "--json"]);
    let brands: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    assert_eq!(brands.len(), 1, "one brand of that name: {list}");
    vrm_ok(&dir, &["brand", "show", "Dup 4"]);
}

#[test]
fn concurrent_edits_of_one_record_all_land_and_none_fails() {
    let (_tmp, dir, _) = cli_vault();
    let id = vrm_ok(
        &dir,
        &["record", "add", "--kind", "note", "--field", "text=x"],
    );
    let children: Vec<_> = (0..12)
        .map(|i| {
            vrm_process(&dir)
                .args(["record", "edit", &id, "--field", &format!("f{i}=v{i}")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "an edit failed: {}",
            text(&out.stderr)
        );
    }
    let shown: serde_json::Value =
        serde_json::from_str(&vrm_ok(&dir, &["record", "show", &id, "--json"])).unwrap();
    for i in 0..12 {
        assert_eq!(
            shown["fields"][format!("f{i}")],
            format!("v{i}"),
            "edit {i} was lost: {shown}"
        );
    }
}

/// Two open vaults on one file, as the app and `vrm` are: each sees the
/// other's writes, and rules are checked against the file, not a stale copy.
#[test]
fn a_long_lived_vault_sees_what_another_process_wrote() {
    let (tmp, mut app) = new_vault();
    let dir = vault_dir(&tmp);
    let mut cli = reopen(&dir);
    // The app has read its brands and records.
    assert!(app.brands().unwrap().is_empty());
    let note = app
        .add_record(&NewRecord {
            kind: RecordKind::Note,
            brand: None,
            fields: BTreeMap::from([("text".into(), "first".into())]),
            tags: vec![],
        })
        .unwrap();

    cli.add_brand(&BrandInput::named("Dup")).unwrap();
    let err = app.add_brand(&BrandInput::named("dup")).unwrap_err();
    assert_eq!(err.code(), "brand.exists", "{err}");
    assert_eq!(app.brands().unwrap().len(), 1, "the app lists it");
    assert_eq!(app.brand("dup").unwrap().name, "Dup");

    // Both edit one record, each from what it read before: neither is lost.
    app.record(&note.id).unwrap();
    cli.update_record(
        &note.id,
        &RecordPatch {
            set: BTreeMap::from([("by".into(), "cli".into())]),
            ..Default::default()
        },
    )
    .unwrap();
    let edited = app
        .update_record(
            &note.id,
            &RecordPatch {
                set: BTreeMap::from([("also".into(), "app".into())]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(edited.fields["by"], "cli", "the other edit was kept");
    assert_eq!(edited.fields["also"], "app");
    assert_eq!(cli.record(&note.id).unwrap().fields["also"], "app");

    // A record deleted elsewhere leaves the app's lists.
    cli.delete_record(&note.id).unwrap();
    assert!(
        app.list_records(&Default::default()).unwrap().is_empty(),
        "the app no longer lists a deleted record"
    );
}
