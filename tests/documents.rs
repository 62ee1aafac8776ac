//! Terms, shares, requests and the activity log at rest: sealed like every
//! other value, gone for good when their brand is deleted, tamper detected,
//! and foreign documents that fail to import change nothing.

use chrono::{Duration, Utc};
use proptest::prelude::*;
use secrecy::ExposeSecret;
use std::collections::BTreeMap;
use vrm_vault::brandkit::{self, BrandKey};
use vrm_vault::rights::Right;
use vrm_vault::share::ShareRequest;
use vrm_vault::terms::Template;
use vrm_vault::terms::agreement::Decision;
use vrm_vault::{BrandInput, Error, NewRecord, RecordKind, ShareId, TermsVersionId};

use crate::util::*;

const CANARIES: [&str; 5] = [
    "CanaryPurpose41aa",
    "CanaryTermsTitle93bd",
    "CanaryProse77cc",
    "CanaryDetails20ee",
    "CanaryReason58ff",
];

fn share(w: &mut World, purpose: &str) -> ShareId {
    let out = w.tmp.path().join(format!("{}.age", uuid::Uuid::new_v4()));
    w.vault
        .shares()
        .create(
            &ShareRequest {
                brand: w.brand.clone(),
                records: vec![w.record.clone()],
                fields: vec![],
                purpose: purpose.into(),
                expires_at: Utc::now() + Duration::days(30),
                terms: None,
            },
            &out,
        )
        .unwrap()
        .id
}

fn terms(w: &mut World) -> TermsVersionId {
    let mut clauses = Template::SdBase.clauses();
    clauses.prose = Some(CANARIES[2].into());
    w.vault
        .terms()
        .create(Template::SdBase, CANARIES[1], &clauses)
        .unwrap()
        .id
}

#[test]
fn no_plaintext_of_terms_shares_requests_or_the_log_is_in_any_file() {
    let mut w = world();
    let dir = vault_dir(&w.tmp);
    terms(&mut w);
    let id = share(&mut w, CANARIES[0]);
    let revocation = w.tmp.path().join("revocation.json");
    w.vault
        .shares()
        .revoke(&id, Some(CANARIES[4]), &revocation)
        .unwrap();
    w.vault
        .rights()
        .create(
            &w.brand.clone(),
            Right::GdprAccess,
            Utc::now().date_naive(),
            Some(CANARIES[3]),
        )
        .unwrap();
    let pairwise = w.vault.pairwise_did(&w.brand).unwrap().unwrap();
    let pairwise_key = pairwise.trim_start_matches("did:key:").to_string();
    let own = w.vault.person_age_secret().unwrap();
    for needle in CANARIES
        .iter()
        .map(|c| c.to_string())
        .chain([pairwise_key, own.expose_secret().to_string()])
    {
        assert_nowhere(&dir, needle.as_bytes(), &format!("{needle:?} (open)"));
    }
    drop(w.vault);
    for c in CANARIES {
        assert_nowhere(&dir, c.as_bytes(), &format!("{c:?} (closed)"));
    }
}

#[test]
fn deleting_a_brand_removes_its_shares_keys_and_requests_from_every_file() {
    let mut w = world();
    let dir = vault_dir(&w.tmp);
    let id = share(&mut w, "brand deletion residue");
    w.vault
        .rights()
        .create(
            &w.brand.clone(),
            Right::GdprErasure,
            Utc::now().date_naive(),
            Some("account 42"),
        )
        .unwrap();
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    let bodies: Vec<Vec<u8>> = conn
        .prepare("SELECT body FROM documents WHERE brand_id = ?1")
        .unwrap()
        .query_map([&w.brand], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    drop(conn);
    assert!(bodies.len() >= 3, "share, request and the pairwise key");
    vrm_vault::delete_brand(&mut w.vault, &w.brand).unwrap();
    for body in &bodies {
        // The whole body and 16-byte pieces of it.
        for chunk in std::iter::once(&body[..]).chain(body.chunks_exact(16)) {
            assert_nowhere(&dir, chunk, "ciphertext of a deleted brand's document");
        }
    }
    assert!(matches!(
        w.vault.shares().get(&id),
        Err(Error::ShareNotFound(_))
    ));
    assert!(w.vault.shares().list(None).unwrap().is_empty());
    // The log keeps that it happened, and still verifies.
    let (entries, _) = w.vault.audit().entries().unwrap();
    assert!(entries.iter().any(|e| e.summary.contains("brand deleted")));
}

#[test]
fn a_share_row_copied_over_another_is_detected_and_the_rest_stays_usable() {
    let mut w = world();
    let dir = vault_dir(&w.tmp);
    let a = share(&mut w, "first");
    let b = share(&mut w, "second");
    drop(w.vault);
    raw_sql(
        &dir,
        &format!(
            "UPDATE documents SET body = (SELECT body FROM documents WHERE id = '{a}') WHERE id = '{b}'"
        ),
    );
    let mut vault = reopen(&dir);
    let err = vault.shares().get(&b).unwrap_err();
    assert_eq!(err.code(), "vault.tampered", "{err}");
    assert_eq!(vault.shares().get(&a).unwrap().purpose, "first");
    let listed: Vec<ShareId> = vault
        .shares()
        .list(None)
        .unwrap()
        .into_iter()
        .map(|v| v.share.id)
        .collect();
    assert_eq!(listed, vec![a]);
    // Left out of the list, but not silently: the vault says it is there.
    assert_eq!(
        vault.damaged_documents().unwrap(),
        vec![("share".to_string(), b.to_string())]
    );
    drop(vault);
    // And the command line says so where shares are listed.
    for args in [&["share", "list"][..], &["status"][..]] {
        vrm(&dir)
            .args(args)
            .assert()
            .success()
            .stderr(predicates::str::contains(format!(
                "1 document(s) are damaged or were tampered with and are left out: share {}",
                &b[..8]
            )));
    }
    // `vrm status` says it in its report too, text and JSON (issue 13, 3).
    vrm(&dir)
        .args(["status"])
        .assert()
        .success()
        .stdout(predicates::str::contains("health:   1 damaged document(s)"));
    let out = vrm(&dir).args(["status", "--json"]).output().unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        status["health"]["damaged_documents"],
        serde_json::json!([{ "kind": "share", "id": b.to_string() }])
    );
    assert_eq!(status["health"]["damaged_records"], serde_json::json!([]));
    assert_eq!(status["health"]["wal_residue_pending"], false);
    assert!(
        status["records"].is_number(),
        "the counts are still there: {status}"
    );
}

#[test]
fn removing_a_log_entry_behind_our_back_is_detected() {
    let mut w = world();
    let dir = vault_dir(&w.tmp);
    share(&mut w, "one");
    share(&mut w, "two");
    assert_eq!(w.vault.audit().verify().unwrap().entries, 2);
    drop(w.vault);
    raw_sql(&dir, "DELETE FROM audit_log WHERE seq = 2");
    let vault = reopen(&dir);
    assert_eq!(vault.audit().verify().unwrap_err().code(), "audit.broken");
}

#[test]
fn an_answer_to_terms_never_issued_to_that_brand_is_refused() {
    let mut w = world();
    terms(&mut w);
    // Terms issued to Acme, answered by a second brand's key.
    let other = BrandKey::generate().unwrap();
    w.vault
        .add_brand(&BrandInput {
            name: Some("Other".into()),
            did: Some(other.signing.did()),
            ..Default::default()
        })
        .unwrap();
    let (doc, _) = w.vault.terms().issue("latest", "Acme").unwrap();
    let bytes = serde_json::to_vec(&doc).unwrap();
    let answer =
        brandkit::agree(&bytes, &other, Decision::Accepted, &[], None, Utc::now()).unwrap();
    let err = w
        .vault
        .terms()
        .import_agreement(&serde_json::to_vec(&answer).unwrap())
        .unwrap_err();
    assert!(
        err.to_string().contains("never issued to this brand"),
        "{err}"
    );
    // From the right brand it goes in.
    let answer = brandkit::agree(
        &bytes,
        &w.key,
        Decision::Accepted,
        &[],
        Some("ok"),
        Utc::now(),
    )
    .unwrap();
    let a = w
        .vault
        .terms()
        .import_agreement(&serde_json::to_vec(&answer).unwrap())
        .unwrap();
    assert_eq!(a.decision, Decision::Accepted);
    assert_eq!(a.note.as_deref(), Some("ok"));
}

#[test]
fn terms_issued_twice_to_a_brand_are_the_same_bytes_and_differ_between_brands() {
    let mut w = world();
    terms(&mut w);
    w.vault.add_brand(&BrandInput::named("Other")).unwrap();
    let (a1, r1) = w.vault.terms().issue("latest", "Acme").unwrap();
    let (a2, r2) = w.vault.terms().issue("1", "Acme").unwrap();
    assert_eq!(a1, a2);
    assert_eq!(r1, r2);
    let (b, rb) = w.vault.terms().issue("latest", "Other").unwrap();
    assert_ne!(r1.id, rb.id, "no shared identifier between brands");
    assert_ne!(a1["issuer"], b["issuer"], "pairwise keys");
}

fn valid_answer(w: &mut World) -> Vec<u8> {
    terms(w);
    let (doc, _) = w.vault.terms().issue("latest", "Acme").unwrap();
    let answer = brandkit::agree(
        &serde_json::to_vec(&doc).unwrap(),
        &w.key,
        Decision::Refused,
        &[],
        None,
        Utc::now(),
    )
    .unwrap();
    serde_json::to_vec_pretty(&answer).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_answers_and_acknowledgments_never_panic_and_change_nothing(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        junk in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut w = world();
        let dir = vault_dir(&w.tmp);
        let good = valid_answer(&mut w);
        let mut bad = good.clone();
        for (i, b) in &flips {
            let at = i.index(bad.len());
            bad[at] ^= b | 1;
        }
        let same = |a: &[u8], b: &[u8]| {
            serde_json::from_slice::<serde_json::Value>(a).ok().is_some()
                && serde_json::from_slice::<serde_json::Value>(a).ok()
                    == serde_json::from_slice::<serde_json::Value>(b).ok()
        };
        // A flip inside whitespace may leave the same document.
        prop_assume!(!same(&bad, &good));
        let before = snapshot(&dir);
        for input in [&bad, &junk] {
            prop_assert!(w.vault.terms().import_agreement(input).is_err());
            prop_assert!(w.vault.shares().import_acknowledgment(input).is_err());
        }
        prop_assert_eq!(before, snapshot(&dir));
    }
}

#[test]
fn a_backup_restores_terms_shares_requests_keys_and_the_log() {
    use vrm_vault::transfer::{self, BackupKey, BackupTo};
    let mut w = world();
    terms(&mut w);
    let id = share(&mut w, "kept across a restore");
    w.vault
        .rights()
        .create(
            &w.brand.clone(),
            Right::GdprAccess,
            Utc::now().date_naive(),
            None,
        )
        .unwrap();
    let pairwise = w.vault.pairwise_did(&w.brand).unwrap();
    let backup = w.tmp.path().join("backup.age");
    let pass = secrecy::SecretString::from("backup passphrase");
    // What the backup holds: the log up to (not including) its own export.
    let (entries_before, _) = w.vault.audit().entries().unwrap();
    transfer::export(&mut w.vault, &backup, &BackupTo::Passphrase(pass.clone())).unwrap();

    let (mut restored, _, _) = transfer::restore(
        &backup,
        &BackupKey::Passphrase(pass),
        &w.tmp.path().join("restored"),
        &secrecy::SecretString::from("restored passphrase"),
        vrm_vault::crypto::KdfParams::minimum().unwrap(),
    )
    .unwrap();
    assert_eq!(restored.terms().versions().unwrap().len(), 1);
    assert_eq!(
        restored.shares().get(&id).unwrap().purpose,
        "kept across a restore"
    );
    assert_eq!(
        restored
            .rights()
            .list(Utc::now().date_naive())
            .unwrap()
            .len(),
        1
    );
    // The same key for the brand: revocations of old shares are still signed by it.
    assert_eq!(restored.pairwise_did(&w.brand).unwrap(), pairwise);
    let out = w.tmp.path().join("revocation.json");
    let revoked = restored.shares().revoke(&id, None, &out).unwrap();
    assert!(revoked.revocation.is_some());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["issuer"].as_str(), pairwise.as_deref());
    // The log came back whole, then the restore's own entries follow it.
    let (entries, report) = restored.audit().entries().unwrap();
    assert!(report.entries as usize > entries_before.len());
    for (a, b) in entries_before.iter().zip(&entries) {
        assert_eq!(a, b);
    }
}

/// `--out FILE` without `--force` is `OutFile::new_only`: a file that
/// appeared after the command line's own check (here, one there all along)
/// is never replaced, and the share, revocation or export is not recorded.
#[test]
fn a_new_only_output_never_replaces_a_file_and_records_nothing() {
    use std::io::ErrorKind::AlreadyExists;
    use vrm_vault::transfer::{self, BackupTo};
    use vrm_vault::vault::fs::OutFile;

    let refused =
        |e: Error| matches!(&e, Error::Io { source, .. } if source.kind() == AlreadyExists);
    let mut w = world();
    let theirs = w.tmp.path().join("theirs.json");
    std::fs::write(&theirs, b"someone else's file").unwrap();
    let entries = |w: &mut World| w.vault.audit().entries().unwrap().0.len();
    let before = entries(&mut w);

    let req = ShareRequest {
        brand: w.brand.clone(),
        records: vec![w.record.clone()],
        fields: vec![],
        purpose: "delivery".into(),
        expires_at: Utc::now() + Duration::days(30),
        terms: None,
    };
    let e = w
        .vault
        .shares()
        .create(&req, OutFile::new_only(&theirs))
        .unwrap_err();
    assert!(refused(e));
    assert!(w.vault.shares().list(None).unwrap().is_empty());

    let id = share(&mut w, "delivery");
    let e = w
        .vault
        .shares()
        .revoke(&id, None, OutFile::new_only(&theirs))
        .unwrap_err();
    assert!(refused(e));
    assert!(w.vault.shares().get(&id).unwrap().revocation.is_none());

    let to = BackupTo::Passphrase(secrecy::SecretString::from("a backup passphrase"));
    let e = transfer::export(&mut w.vault, OutFile::new_only(&theirs), &to).unwrap_err();
    assert!(refused(e));

    assert_eq!(std::fs::read(&theirs).unwrap(), b"someone else's file");
    // Only the one share made in between was logged.
    assert_eq!(entries(&mut w), before + 1);
    let strays: Vec<_> = std::fs::read_dir(w.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");

    // Replacing (`--force`) goes through.
    w.vault
        .shares()
        .revoke(&id, None, OutFile::replace(&theirs))
        .unwrap();
    assert_ne!(std::fs::read(&theirs).unwrap(), b"someone else's file");
}

/// Issue 13, 7: the log outlives what it tells of, so it keeps counts and
/// kinds, never the person's own text: a custom field's name shared from a
/// record, then deleted with its brand, is in no entry.
#[test]
fn the_log_keeps_no_custom_field_name_of_a_shared_then_deleted_record() {
    let mut w = world();
    let custom = "my-private-diagnosis-field";
    let record = w
        .vault
        .add_record(&NewRecord {
            kind: RecordKind::Note,
            brand: Some(w.brand.clone()),
            fields: BTreeMap::from([
                ("text".to_string(), "x".to_string()),
                (custom.to_string(), "y".to_string()),
            ]),
            tags: vec![],
        })
        .unwrap()
        .id;
    let out = w.tmp.path().join("share.age");
    w.vault
        .shares()
        .create(
            &ShareRequest {
                brand: w.brand.clone(),
                records: vec![record.to_string()],
                fields: vec![],
                purpose: "care".into(),
                expires_at: Utc::now() + Duration::days(30),
                terms: None,
            },
            &out,
        )
        .unwrap();
    vrm_vault::delete_brand(&mut w.vault, &w.brand).unwrap();
    let (entries, _) = w.vault.audit().entries().unwrap();
    assert!(
        entries.iter().any(|e| e.summary.contains("2 field(s)")),
        "{entries:?}"
    );
    for e in &entries {
        assert!(!e.summary.contains(custom), "{e:?}");
    }
}
