//! Command-line flags and messages (issue 10): `--out FILE` never replaces a
//! file without `--force`, `--out DIR` is made, a bare group prints its help,
//! usage errors point to the subcommand's help, `verify` of an expired
//! document still judges the signature, `--fields` says what it left out,
//! and a withdrawal can be handed to the brands it did not reach.

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use predicates::prelude::*;
use serde_json::{Value, json};
use vrm_vault::crypto::did::SigningKey;
use vrm_vault::proof;

use crate::util::*;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A vault with Acme (its keys in `acme.key`) and a profile record with an
/// email and a phone; returns (temp, vault dir, key file, record id).
fn acme_vault() -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    let (tmp, dir, _) = cli_vault();
    let key = tmp.path().join("acme.key");
    let out = vrm_ok(&dir, &["brand-kit", "keygen", "--out", p(&key)]);
    let mut lines = out.lines();
    let (did, age) = (lines.next().unwrap(), lines.next().unwrap());
    vrm_ok(
        &dir,
        &["brand", "add", "Acme", "--did", did, "--age-recipient", age],
    );
    let record = vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "profile",
            "--field",
            "email=ana@example.org",
            "--field",
            "phone=+33 6 00 00 00 00",
        ],
    );
    (tmp, dir, key, record)
}

fn share_args<'a>(records: &[&'a str], fields: &'a str, out: &'a str) -> Vec<&'a str> {
    let mut args = vec!["share", "create", "--brand", "acme"];
    for r in records {
        args.extend(["--record", r]);
    }
    args.extend([
        "--fields",
        fields,
        "--purpose",
        "delivery",
        "--expires",
        "30d",
        "--out",
        out,
    ]);
    args
}

fn shares(dir: &Path) -> usize {
    let list: Value = serde_json::from_str(&vrm_ok(dir, &["share", "list", "--json"])).unwrap();
    list.as_array().unwrap().len()
}

#[test]
fn out_files_are_never_replaced_without_force_and_nothing_changes_when_refused() {
    let (tmp, dir, key, record) = acme_vault();
    let at = |name: &str| {
        let f = tmp.path().join(name);
        std::fs::write(&f, "keep me").unwrap();
        f
    };
    let kept = |f: &Path| assert_eq!(std::fs::read_to_string(f).unwrap(), "keep me");
    let refused = |args: &[&str]| {
        vrm(&dir)
            .args(args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "exists; not overwriting it (pass --force",
            ));
    };

    let backup = at("backup.age");
    refused(&["export", "--passphrase", "--out", p(&backup)]);
    kept(&backup);
    vrm(&dir)
        .env("VRM_BACKUP_PASSPHRASE", "backup pass")
        .args(["export", "--passphrase", "--out", p(&backup), "--force"])
        .assert()
        .success();
    assert_ne!(std::fs::read(&backup).unwrap(), b"keep me");

    let bundle = at("share.age");
    refused(&share_args(&[&record], "email", p(&bundle)));
    kept(&bundle);
    assert_eq!(shares(&dir), 0, "a refused share is not recorded");
    let mut forced = share_args(&[&record], "email", p(&bundle));
    forced.push("--force");
    let share = vrm_ok(&dir, &forced);

    vrm_ok(&dir, &["terms", "new", "--template", "SD-BASE"]);
    let terms = at("terms.json");
    refused(&[
        "terms",
        "export",
        "latest",
        "--brand",
        "acme",
        "--out",
        p(&terms),
    ]);
    kept(&terms);
    vrm_ok(
        &dir,
        &[
            "terms",
            "export",
            "latest",
            "--brand",
            "acme",
            "--out",
            p(&terms),
            "--force",
        ],
    );
    let answer = at("answer.json");
    refused(&[
        "brand-kit",
        "agree",
        p(&terms),
        "--identity",
        p(&key),
        "--out",
        p(&answer),
    ]);
    kept(&answer);

    let revocation = at("revocation.json");
    refused(&["share", "revoke", &share, "--out", p(&revocation)]);
    kept(&revocation);
    let list: Value = serde_json::from_str(&vrm_ok(&dir, &["share", "list", "--json"])).unwrap();
    assert_eq!(
        list[0]["status"], "live",
        "a refused revocation revokes nothing"
    );
    vrm_ok(
        &dir,
        &[
            "share",
            "revoke",
            &share,
            "--out",
            p(&revocation),
            "--force",
        ],
    );
    let ack = at("ack.json");
    refused(&[
        "brand-kit",
        "ack",
        p(&revocation),
        "--identity",
        p(&key),
        "--out",
        p(&ack),
    ]);
    kept(&ack);

    let letter = at("letter.txt");
    refused(&[
        "rights",
        "request",
        "--brand",
        "acme",
        "--right",
        "gdpr-access",
        "--letter",
        p(&letter),
    ]);
    kept(&letter);
    let requests: Value =
        serde_json::from_str(&vrm_ok(&dir, &["rights", "list", "--json"])).unwrap();
    assert!(
        requests.as_array().unwrap().is_empty(),
        "a refused request is not recorded"
    );

    // No temporary file is left beside any of them.
    let strays: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".vrm-out-"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

#[test]
fn out_folders_are_made_when_missing() {
    let (tmp, dir, _key, record) = acme_vault();
    vrm_ok(&dir, &["brand", "add", "Bistro"]);
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "lunch",
            "--description",
            "soup",
            "--expires",
            "2d",
            "--brand",
            "bistro",
        ],
    );
    let outbox = tmp.path().join("not/there/yet");
    vrm_ok(&dir, &["intent", "send", &id, "--out", p(&outbox)]);
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 1);
    let withdrawals = tmp.path().join("withdrawals");
    vrm_ok(&dir, &["intent", "withdraw", &id, "--out", p(&withdrawals)]);
    assert_eq!(std::fs::read_dir(&withdrawals).unwrap().count(), 1);

    let bundle = tmp.path().join("share.age");
    vrm_ok(&dir, &share_args(&[&record], "email", p(&bundle)));
    let revocations = tmp.path().join("revocations/email");
    vrm_ok(
        &dir,
        &["exposure", "revoke", "email", "--out-dir", p(&revocations)],
    );
    assert_eq!(std::fs::read_dir(&revocations).unwrap().count(), 1);

    // A file where a folder is wanted is still refused.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    vrm(&dir)
        .args(["intent", "send", &id, "--out", p(&file)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a folder"));
}

#[test]
fn a_group_alone_prints_its_help() {
    let tmp = tempfile::tempdir().unwrap();
    for (group, a_subcommand) in [
        ("brand", "add"),
        ("record", "edit"),
        ("terms", "export"),
        ("share", "revoke"),
        ("rights", "request"),
        ("contact", "violations"),
        ("audit", "verify"),
        ("intent", "withdraw"),
        ("offer", "accept"),
        ("brand-kit", "serve"),
    ] {
        let out = vrm(tmp.path()).arg(group).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "vrm {group}: {err}");
        assert!(
            err.contains(&format!("Usage: vrm {group} ")) && err.contains("Commands:"),
            "vrm {group} prints its help: {err}"
        );
        assert!(err.contains(a_subcommand), "vrm {group}: {err}");
        assert!(!err.contains("vrm: "), "help, not an error line: {err}");
    }
}

#[test]
fn usage_errors_point_to_the_subcommands_help() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, help) in [
        (vec!["record", "add", "--bogus"], "vrm record add --help"),
        // A global option's value that looks like a subcommand is skipped.
        (
            vec!["--passphrase-file", "record", "record", "add", "--bogus"],
            "vrm record add --help",
        ),
        (
            vec!["brand-kit", "offer", "x.json"],
            "vrm brand-kit offer --help",
        ),
        (vec!["record", "frobnicate"], "vrm record --help"),
        (vec!["frobnicate"], "vrm --help"),
    ] {
        vrm(tmp.path())
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("(see `{help}`)")));
    }
}

#[test]
fn verify_of_an_expired_document_still_says_whether_its_signature_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let key = SigningKey::generate().unwrap();
    let from = Utc::now() - Duration::days(10);
    let doc = proof::issue_credential(
        "ShareGrant",
        &key,
        uuid::Uuid::new_v4(),
        from,
        Some(from + Duration::days(1)),
        json!({"purpose": "x"}),
    )
    .unwrap();
    let file = tmp.path().join("old.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    vrm(tmp.path())
        .arg("verify")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "the signature is valid (signed by {}), but the document is EXPIRED",
            key.did()
        )));

    let mut altered = doc.clone();
    altered["credentialSubject"]["purpose"] = json!("y");
    std::fs::write(&file, serde_json::to_vec(&altered).unwrap()).unwrap();
    vrm(tmp.path())
        .arg("verify")
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the signature is INVALID"));
}

#[test]
fn fields_are_shared_where_present_and_a_field_no_record_has_is_refused() {
    let (tmp, dir, _key, full) = acme_vault();
    let email_only = vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "profile",
            "--field",
            "email=other@example.org",
        ],
    );
    let bundle = tmp.path().join("share.age");

    // Named, but in none of the chosen records: refused, naming it, alone
    // or beside a field the record has.
    for fields in ["phone", "email,phone"] {
        vrm(&dir)
            .args(share_args(&[&email_only], fields, p(&bundle)))
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "none of the chosen records has the field(s) phone; nothing was shared",
            ));
        assert!(!bundle.exists());
    }
    assert_eq!(shares(&dir), 0);

    // In some: shared where present, and the rest said.
    vrm(&dir)
        .args(share_args(&[&full, &email_only], "email,phone", p(&bundle)))
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "note: record {} has no phone; shared without it",
            &email_only[..8]
        )))
        .stderr(predicate::str::contains(format!("record {} has", &full[..8])).not());
    let share: Value = serde_json::from_str(&vrm_ok(&dir, &["share", "list", "--json"])).unwrap();
    let items = share[0]["share"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let fields_of = |id: &str| items.iter().find(|i| i["record"] == id).unwrap()["fields"].clone();
    assert_eq!(fields_of(&full), json!(["email", "phone"]));
    assert_eq!(fields_of(&email_only), json!(["email"]));
}

#[test]
fn help_names_the_limits() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, wanted) in [
        (
            vec!["record", "add", "--help"],
            vec!["64 KiB", "200 fields", "50 tags"],
        ),
        (vec!["record", "edit", "--help"], vec!["64 KiB", "50 tags"]),
        (
            vec!["brand", "add", "--help"],
            vec!["200 characters", "64 KiB"],
        ),
    ] {
        let out = vrm(tmp.path()).args(&args).output().unwrap();
        assert!(out.status.success());
        let help = String::from_utf8(out.stdout).unwrap();
        for w in wanted {
            assert!(help.contains(w), "{args:?} names {w}: {help}");
        }
    }
}

/// An intent for Acme (an inbox nothing listens on) and Bistro (no inbox),
/// sent as files; returns (temp, vault dir, intent id).
fn sent_to_two_brands() -> (tempfile::TempDir, PathBuf, String) {
    let (tmp, dir, _) = cli_vault();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    vrm_ok(
        &dir,
        &[
            "brand",
            "add",
            "Acme",
            "--inbox",
            &format!("http://127.0.0.1:{port}/"),
        ],
    );
    vrm_ok(&dir, &["brand", "add", "Bistro"]);
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "lunch",
            "--description",
            "soup",
            "--expires",
            "2d",
            "--brand",
            "acme",
            "--brand",
            "bistro",
        ],
    );
    // Folders made here, so that this test is about withdrawals alone.
    let sent = tmp.path().join("sent");
    std::fs::create_dir(&sent).unwrap();
    std::fs::create_dir(tmp.path().join("withdrawals")).unwrap();
    vrm_ok(
        &dir,
        &["intent", "send", &id, "--out", p(&sent), "--no-http"],
    );
    (tmp, dir, id)
}

#[test]
fn a_withdrawal_that_reached_no_one_fails_and_can_be_handed_over_later() {
    let (tmp, dir, id) = sent_to_two_brands();
    // Acme's inbox is unreachable, Bistro has none: nobody is told.
    vrm(&dir)
        .args(["intent", "withdraw", &id])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("failed"))
        .stderr(predicate::str::contains(format!(
            "2 brand(s) could not be told; the withdrawal stands: write it for them to hand over with `vrm intent withdraw {} --out DIR`",
            &id[..8]
        )));
    let show = vrm_ok(&dir, &["intent", "show", &id]);
    assert!(show.contains("withdrawn:"), "{show}");
    assert_eq!(
        show.lines()
            .skip_while(|l| !l.contains("withdrawn:"))
            .filter(|l| l.trim_start().starts_with("failed"))
            .count(),
        2,
        "intent show lists the withdrawal's deliveries: {show}"
    );

    // Later: the very same signed withdrawal, as a file for each brand.
    let out = tmp.path().join("withdrawals");
    vrm_ok(
        &dir,
        &["intent", "withdraw", &id, "--out", p(&out), "--no-http"],
    );
    let kept: Value = serde_json::from_str(&vrm_ok(&dir, &["intent", "show", &id, "--json"]))
        .map(|v: Value| serde_json::from_str(v["withdrawal"].as_str().unwrap()).unwrap())
        .unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2);
    for f in &files {
        let doc: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        assert_eq!(doc, kept, "{} is the withdrawal kept", f.display());
        assert_eq!(proof::verify(&doc).unwrap().signer, {
            let shown: Value =
                serde_json::from_str(&vrm_ok(&dir, &["intent", "show", &id, "--json"])).unwrap();
            shown["did"].as_str().unwrap().to_string()
        });
    }
    let show = vrm_ok(&dir, &["intent", "show", &id]);
    assert_eq!(
        show.lines()
            .skip_while(|l| !l.contains("withdrawn:"))
            .filter(|l| l.trim_start().starts_with("sent"))
            .count(),
        2,
        "{show}"
    );

    // Everyone told: nothing more to hand over.
    vrm(&dir)
        .args(["intent", "withdraw", &id, "--out", p(&out)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("every brand it reached was told"));
}
