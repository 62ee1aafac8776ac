use std::collections::BTreeMap;

use vrm_vault::{BrandInput, NewRecord, RecordKind, RecordPatch};

use crate::util::*;

const CANARIES: &[&str] = &[
    "CanaryBrandName7f3a",
    "canary-domain-9c1e.example",
    "CanaryNotes4d2b",
    "canary.mail.5e8f@example.org",
    "CanaryField0a9d",
    "canarytag6b7c",
    "CanaryEdited3f1a",
];

fn note(text: &str, tag: &str) -> NewRecord {
    NewRecord {
        kind: RecordKind::Note,
        brand: None,
        fields: BTreeMap::from([("text".to_string(), text.to_string())]),
        tags: vec![tag.to_string()],
    }
}

#[test]
fn no_plaintext_canary_is_in_any_vault_file_after_writes() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    vault
        .add_brand(&BrandInput {
            name: Some(CANARIES[0].into()),
            domain: Some(CANARIES[1].into()),
            notes: Some(CANARIES[2].into()),
            ..Default::default()
        })
        .unwrap();
    let profile = NewRecord {
        kind: RecordKind::Profile,
        brand: Some(CANARIES[0].into()),
        fields: BTreeMap::from([("email".to_string(), CANARIES[3].to_string())]),
        tags: vec![],
    };
    vault.add_record(&profile).unwrap();
    let id = vault
        .add_record(&note(CANARIES[4], CANARIES[5]))
        .unwrap()
        .id;
    let patch = RecordPatch {
        set: BTreeMap::from([("extra".to_string(), CANARIES[6].to_string())]),
        ..Default::default()
    };
    vault.update_record(&id, &patch).unwrap();
    // While open (db, -wal, -shm all present) and after closing.
    for canary in CANARIES {
        assert_nowhere(
            &dir,
            canary.as_bytes(),
            &format!("plaintext {canary:?} (vault open)"),
        );
        assert_nowhere(
            &dir,
            canary.to_lowercase().as_bytes(),
            "lowercased plaintext (vault open)",
        );
    }
    drop(vault);
    for canary in CANARIES {
        assert_nowhere(
            &dir,
            canary.as_bytes(),
            &format!("plaintext {canary:?} (vault closed)"),
        );
    }
    // And the data is really there.
    let mut vault = reopen(&dir);
    assert_eq!(vault.record(&id).unwrap().fields["extra"], CANARIES[6]);
}

fn chunks_of(body: &[u8]) -> Vec<Vec<u8>> {
    // The whole body and 16-byte pieces of it: none may survive anywhere.
    let mut out = vec![body.to_vec()];
    out.extend(
        body.chunks(16)
            .filter(|c| c.len() == 16)
            .map(<[u8]>::to_vec),
    );
    out
}

#[test]
fn deleting_a_record_leaves_neither_plaintext_nor_ciphertext_in_any_file() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let keep = vault.add_record(&note("kept note", "keep")).unwrap().id;
    let id = vault
        .add_record(&note("DeletedCanary8e2f", "gone"))
        .unwrap()
        .id;
    let body = raw_body(&dir, "records", &id);
    // An edit leaves an old version; it must go too.
    vault
        .update_record(
            &id,
            &RecordPatch {
                set: BTreeMap::from([("text".into(), "DeletedCanary8e2f v2".into())]),
                ..Default::default()
            },
        )
        .unwrap();
    let body_v2 = raw_body(&dir, "records", &id);
    vault.delete_record(&id).unwrap();
    for b in [&body, &body_v2] {
        for chunk in chunks_of(b) {
            assert_nowhere(
                &dir,
                &chunk,
                "ciphertext of the deleted record (vault open)",
            );
        }
    }
    assert_nowhere(
        &dir,
        b"DeletedCanary8e2f",
        "plaintext of the deleted record",
    );
    drop(vault);
    for chunk in chunks_of(&body_v2) {
        assert_nowhere(
            &dir,
            &chunk,
            "ciphertext of the deleted record (vault closed)",
        );
    }
    let mut vault = reopen(&dir);
    assert!(vault.record(&keep).is_ok(), "other records survive");
}

#[test]
fn a_delete_while_another_program_reads_is_reported_and_gone_once_the_vault_closes() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let id = vault
        .add_record(&note("ReaderCanary2c4e", "reader"))
        .unwrap()
        .id;
    let body = raw_body(&dir, "records", &id);
    // Another program (the app, another `vrm`) holds a read open across the
    // delete, so the WAL cannot be emptied yet.
    let reader = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM records", [], |r| r.get(0))
        .unwrap();
    vault.delete_record(&id).unwrap();
    assert!(
        vault.wal_residue_pending(),
        "a checkpoint the reader blocked must not pass for a clean delete"
    );
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    drop(vault);
    for chunk in chunks_of(&body) {
        assert_nowhere(
            &dir,
            &chunk,
            "ciphertext of a record deleted while another program read (vault closed)",
        );
    }
}

#[test]
fn deleting_a_brand_leaves_no_trace_of_it_or_its_records() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let brand = vault
        .add_brand(&BrandInput::named("DoomedBrand5a5a"))
        .unwrap();
    let mut rec = note("DoomedRecord1b1b", "x");
    rec.brand = Some(brand.id.to_string());
    let rid = vault.add_record(&rec).unwrap().id;
    let bodies = [
        raw_body(&dir, "brands", &brand.id),
        raw_body(&dir, "records", &rid),
    ];
    vrm_vault::delete_brand(&mut vault, &brand.id).unwrap();
    for b in &bodies {
        for chunk in chunks_of(b) {
            assert_nowhere(
                &dir,
                &chunk,
                "ciphertext of the deleted brand or its record",
            );
        }
    }
    drop(vault);
    assert_nowhere(&dir, b"DoomedBrand5a5a", "plaintext of the deleted brand");
}

#[test]
fn an_old_passphrase_wrap_does_not_linger_after_passwd() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    let old: Vec<u8> = conn
        .query_row("SELECT body FROM vault_header", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let header: serde_json::Value = serde_json::from_slice(&old).unwrap();
    let old_wrap = header["wrapped_by_passphrase"]
        .as_str()
        .unwrap()
        .to_string();
    vault
        .change_passphrase(
            &secrecy::SecretString::from("another passphrase"),
            vrm_vault::crypto::KdfParams::minimum().unwrap(),
        )
        .unwrap();
    assert_nowhere(
        &dir,
        old_wrap.as_bytes(),
        "the key wrapped under the old passphrase",
    );
}

// ---- every other kind of write, delete, and export -------------------------

use chrono::{Duration, Utc};
use secrecy::ExposeSecret;
use vrm_vault::Vault;
use vrm_vault::brandkit::{self, BrandKey};
use vrm_vault::intent::{self, IntentInput};
use vrm_vault::rights::{RequestStatus, Right};
use vrm_vault::share::ShareRequest;
use vrm_vault::terms::Template;
use vrm_vault::terms::agreement::Decision;
use vrm_vault::transfer::{self, BackupTo};

/// Canaries of the exchange: each goes into exactly one kind of write.
const EXCHANGE: &[&str] = &[
    "CanaryIntentDesc11aa",
    "CanaryIntentWhere22bb",
    "CanaryOfferDesc33cc",
    "CanaryAgreeNote44dd",
    "CanaryRightsWhy55ee",
    "CanaryDenyReason66ff",
    "CanaryBrandNotes77ab",
    "CanaryBrandContact88bc",
    "CanaryShareWhat99cd",
    "CanaryRevokeWhy00de",
];

struct Exchange {
    tmp: tempfile::TempDir,
    vault: Vault,
    key: BrandKey,
    brand: String,
    intent: String,
}

/// A vault that has done one of everything with a brand, canaries in each.
fn exchange() -> Exchange {
    let (tmp, mut vault) = new_vault();
    let key = BrandKey::generate().unwrap();
    let brand = vault
        .add_brand(&BrandInput {
            name: Some("CanaryBrandName12ef".into()),
            age_recipient: Some(key.age.recipient()),
            did: Some(key.signing.did()),
            inbox: Some("http://127.0.0.1:9/canary-inbox-23fa".into()),
            ..Default::default()
        })
        .unwrap()
        .id
        .into_string();
    // A brand edit (contact settings and notes).
    vault
        .update_brand(
            &brand,
            &BrandInput {
                notes: Some(EXCHANGE[6].into()),
                contact: Some(EXCHANGE[7].into()),
                ..Default::default()
            },
        )
        .unwrap();
    let record = vault
        .add_record(&NewRecord {
            kind: RecordKind::Profile,
            brand: Some(brand.clone()),
            fields: BTreeMap::from([("email".to_string(), "canary.share.34ab@example.org".into())]),
            tags: vec![],
        })
        .unwrap()
        .id
        .into_string();
    let outbox = tmp.path().join("outbox");
    std::fs::create_dir(&outbox).unwrap();
    // Share and revoke.
    let bundle = outbox.join("share.age");
    let share = vault
        .shares()
        .create(
            &ShareRequest {
                brand: brand.clone(),
                records: vec![record],
                fields: vec![],
                purpose: EXCHANGE[8].into(),
                expires_at: Utc::now() + Duration::days(30),
                terms: None,
            },
            &bundle,
        )
        .unwrap()
        .id;
    vault
        .shares()
        .revoke(&share, Some(EXCHANGE[9]), &outbox.join("revocation.json"))
        .unwrap();
    // Terms, answered with a note.
    vault
        .terms()
        .create(Template::SdBase, "Mine", &Template::SdBase.clauses())
        .unwrap();
    let (terms, _) = vault.terms().issue("latest", &brand).unwrap();
    let answer = brandkit::agree(
        &serde_json::to_vec(&terms).unwrap(),
        &key,
        Decision::Accepted,
        &[],
        Some(EXCHANGE[3]),
        Utc::now(),
    )
    .unwrap();
    vault
        .terms()
        .import_agreement(&serde_json::to_vec(&answer).unwrap())
        .unwrap();
    // An intent, sent (to a folder), an offer for it.
    let intent = vault
        .intents()
        .create(&IntentInput {
            category: "lunch".into(),
            description: EXCHANGE[0].into(),
            quantity: None,
            budget_max: None,
            currency: None,
            location: Some(EXCHANGE[1].into()),
            needed_by: None,
            expires_at: Utc::now() + Duration::days(7),
            terms: None,
            // By name, as `vrm intent create --brand NAME` gives it.
            brands: vec!["CanaryBrandName12ef".into()],
        })
        .unwrap();
    vault
        .intents()
        .send(&intent.id, Some(&outbox), false)
        .unwrap();
    let (offer, _) = intent::make_offer(
        intent.document.as_bytes(),
        &key.signing,
        "12",
        "EUR",
        Some(EXCHANGE[2]),
        None,
        Utc::now(),
    )
    .unwrap();
    vault
        .intents()
        .import_offer(&serde_json::to_vec(&offer).unwrap())
        .unwrap();
    // A rights request, denied with a reason.
    let request = vault
        .rights()
        .create(
            &brand,
            Right::GdprAccess,
            Utc::now().date_naive(),
            Some(EXCHANGE[4]),
        )
        .unwrap()
        .request
        .id;
    vault
        .rights()
        .update(
            &request,
            Some(RequestStatus::Denied),
            Some(EXCHANGE[5]),
            None,
        )
        .unwrap();
    Exchange {
        tmp,
        vault,
        key,
        brand,
        intent: intent.id.into_string(),
    }
}

fn no_canary(dir: &std::path::Path, canaries: &[&str], when: &str) {
    for c in canaries {
        assert_nowhere(dir, c.as_bytes(), &format!("plaintext {c:?} ({when})"));
        assert_nowhere(
            dir,
            c.to_lowercase().as_bytes(),
            &format!("lowercased {c:?} ({when})"),
        );
    }
}

#[test]
fn no_plaintext_of_brand_edits_intents_offers_answers_or_request_changes_is_in_any_file() {
    let mut x = exchange();
    let dir = vault_dir(&x.tmp);
    no_canary(&dir, EXCHANGE, "vault open");
    x.vault.intents().withdraw(&x.intent, None, false).unwrap();
    no_canary(&dir, EXCHANGE, "after the withdrawal");
    drop(x.vault);
    no_canary(&dir, EXCHANGE, "vault closed");
    // And it is all really there.
    let mut vault = reopen(&dir);
    assert_eq!(
        vault.brand(&x.brand).unwrap().notes.as_deref(),
        Some(EXCHANGE[6])
    );
    assert_eq!(
        vault.terms().agreements().unwrap()[0].note.as_deref(),
        Some(EXCHANGE[3])
    );
    assert_eq!(
        vault.intents().offers(None).unwrap()[0]
            .offer
            .description
            .as_deref(),
        Some(EXCHANGE[2])
    );
    let _ = x.key;
}

#[test]
fn an_edit_that_removes_a_field_or_a_tag_leaves_no_old_ciphertext() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let mut rec = note("kept text", "canaryoldtag4a4a");
    rec.fields
        .insert("extra".into(), "CanaryRemovedField5b5b".into());
    let id = vault.add_record(&rec).unwrap().id;
    let old = raw_body(&dir, "records", &id);
    vault
        .update_record(
            &id,
            &RecordPatch {
                remove: vec!["extra".into()],
                remove_tags: vec!["canaryoldtag4a4a".into()],
                add_tags: vec!["canarynewtag6c6c".into()],
                ..Default::default()
            },
        )
        .unwrap();
    for chunk in chunks_of(&old) {
        assert_nowhere(&dir, &chunk, "ciphertext of the record before the edit");
    }
    let r = vault.record(&id).unwrap();
    assert!(!r.fields.contains_key("extra"));
    assert_eq!(r.tags, vec!["canarynewtag6c6c".to_string()]);
    drop(vault);
    no_canary(
        &dir,
        &[
            "CanaryRemovedField5b5b",
            "canaryoldtag4a4a",
            "canarynewtag6c6c",
        ],
        "closed",
    );
}

#[test]
fn deleting_a_brand_with_shares_intents_offers_and_answers_leaves_no_ciphertext() {
    let mut x = exchange();
    let dir = vault_dir(&x.tmp);
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    let bodies: Vec<Vec<u8>> = conn
        .prepare("SELECT body FROM documents WHERE brand_id = ?1")
        .unwrap()
        .query_map([&x.brand], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let brand_body = raw_body(&dir, "brands", &x.brand);
    drop(conn);
    // Pairwise key, issued terms, share, agreement, offer, request.
    assert!(bodies.len() >= 5, "{}", bodies.len());
    vrm_vault::delete_brand(&mut x.vault, &x.brand).unwrap();
    for body in bodies.iter().chain([&brand_body]) {
        for chunk in chunks_of(body) {
            assert_nowhere(&dir, &chunk, "ciphertext of the deleted brand's documents");
        }
    }
    assert!(x.vault.intents().offers(None).unwrap().is_empty());
    assert!(x.vault.terms().agreements().unwrap().is_empty());
    // Nothing the vault still holds names the brand, its inbox or what was
    // sent to it (the intent stays: it was the person's own).
    let left = serde_json::to_string(&transfer::export_document(&mut x.vault).unwrap()).unwrap();
    for gone in [
        "CanaryBrandName12ef",
        "canary-inbox-23fa",
        EXCHANGE[2],
        EXCHANGE[3],
        EXCHANGE[5],
    ] {
        assert!(
            !left.to_lowercase().contains(&gone.to_lowercase()),
            "{gone:?} is still in the vault after the brand was deleted"
        );
    }
    assert!(left.contains(EXCHANGE[0]), "the intent is kept");
    let kept = x.vault.intents().get(&x.intent).unwrap();
    assert!(kept.brands.is_empty() && kept.input.brands.is_empty());
    assert_eq!(kept.deliveries.len(), 1, "the delivery's outcome stays");
    assert_eq!(
        kept.deliveries[0].status,
        vrm_vault::intent::DeliveryStatus::Sent
    );
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_export_leaves_no_plaintext_in_the_vault_nor_the_backup_and_no_stray_file() {
    let mut x = exchange();
    let dir = vault_dir(&x.tmp);
    let out = x.tmp.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    let identity = vrm_vault::crypto::bundle::AgeIdentity::generate();
    let vault_files = files_in(&dir);
    let to = [
        (
            "by-passphrase.age",
            BackupTo::Passphrase(secrecy::SecretString::from("backup passphrase")),
        ),
        (
            "by-recipient.age",
            BackupTo::Recipients(vec![identity.recipient()]),
        ),
    ];
    for (name, to) in &to {
        transfer::export(&mut x.vault, &out.join(name), to).unwrap();
    }
    assert_eq!(
        files_in(&out),
        vec!["by-passphrase.age", "by-recipient.age"],
        "only the exports"
    );
    assert_eq!(
        files_in(&dir),
        vault_files,
        "no new file in the vault folder"
    );
    let secret = x.vault.person_age_secret().unwrap();
    let mut canaries: Vec<&str> = EXCHANGE.to_vec();
    canaries.extend([
        "CanaryBrandName12ef",
        "canary-inbox-23fa",
        secret.expose_secret(),
    ]);
    no_canary(&dir, &canaries, "after export");
    no_canary(&out, &canaries, "in the export files");
    // A failed export (into a folder that is not there) leaves nothing either.
    let missing = out.join("missing").join("x.age");
    assert!(transfer::export(&mut x.vault, &missing, &to[1].1).is_err());
    assert_eq!(
        files_in(&out),
        vec!["by-passphrase.age", "by-recipient.age"]
    );
    // The backup does hold it all.
    let text = transfer::read_backup(
        &out.join("by-passphrase.age"),
        &transfer::BackupKey::Passphrase(secrecy::SecretString::from("backup passphrase")),
    )
    .unwrap();
    // (The revocation's reason is only in the document given to the brand.)
    for c in &EXCHANGE[..9] {
        assert!(text.contains(c), "{c} is in the backup");
    }
}

/// Run `change` on document `id`; afterwards the ciphertext of its version
/// before is in no file.
fn replaced(dir: &std::path::Path, kind: &str, id: &str, what: &str, change: impl FnOnce()) {
    let body = || -> Vec<u8> {
        let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
        conn.query_row(
            "SELECT body FROM documents WHERE kind = ?1 AND id = ?2",
            [kind, id],
            |r| r.get(0),
        )
        .unwrap()
    };
    let old = body();
    change();
    assert!(old != body(), "{what} was rewritten");
    for chunk in chunks_of(&old) {
        assert_nowhere(dir, &chunk, &format!("ciphertext of the {what} before"));
    }
}

#[test]
fn a_replaced_document_leaves_no_ciphertext_of_its_old_version() {
    let mut x = exchange();
    let dir = vault_dir(&x.tmp);
    let v = std::cell::RefCell::new(&mut x.vault);
    let outbox = x.tmp.path().join("outbox");
    replaced(&dir, "intent", &x.intent, "intent (sent again)", || {
        v.borrow_mut()
            .intents()
            .send(&x.intent, Some(&outbox), false)
            .unwrap();
    });
    let offer = v.borrow_mut().intents().offers(None).unwrap()[0]
        .offer
        .id
        .clone();
    replaced(&dir, "offer", &offer, "offer (declined)", || {
        v.borrow_mut().intents().decline_offer(&offer).unwrap();
    });
    replaced(&dir, "intent", &x.intent, "intent (withdrawn)", || {
        v.borrow_mut()
            .intents()
            .withdraw(&x.intent, None, false)
            .unwrap();
    });
    let request = v
        .borrow_mut()
        .rights()
        .create(&x.brand, Right::GdprErasure, Utc::now().date_naive(), None)
        .unwrap()
        .request
        .id;
    replaced(
        &dir,
        "rights-request",
        &request,
        "rights request (in progress)",
        || {
            v.borrow_mut()
                .rights()
                .update(&request, Some(RequestStatus::InProgress), None, Some(true))
                .unwrap();
        },
    );
    let record = v.borrow_mut().list_records(&Default::default()).unwrap()[0]
        .id
        .clone();
    let share = v
        .borrow_mut()
        .shares()
        .create(
            &ShareRequest {
                brand: x.brand.clone(),
                records: vec![record.into_string()],
                fields: vec![],
                purpose: "again".into(),
                expires_at: Utc::now() + Duration::days(30),
                terms: None,
            },
            &outbox.join("again.age"),
        )
        .unwrap()
        .id;
    let revocation = outbox.join("again-revocation.json");
    replaced(&dir, "share", &share, "share (revoked)", || {
        v.borrow_mut()
            .shares()
            .revoke(&share, None, &revocation)
            .unwrap();
    });
    let ack = brandkit::acknowledge(
        &std::fs::read(&revocation).unwrap(),
        &x.key,
        Utc::now(),
        Utc::now(),
    )
    .unwrap();
    replaced(&dir, "share", &share, "share (acknowledged)", || {
        v.borrow_mut()
            .shares()
            .import_acknowledgment(&serde_json::to_vec(&ack).unwrap())
            .unwrap();
    });
}

#[test]
fn the_command_line_leaves_nothing_in_the_temp_dir() {
    // Every write, delete, import and export through the real binary, with
    // TMPDIR pointed at a folder of our own: nothing may be left there, and
    // certainly no plaintext.
    let tmp = tempfile::tempdir().unwrap();
    let dir = vault_dir(&tmp);
    let temp = tmp.path().join("temp");
    std::fs::create_dir(&temp).unwrap();
    let run = |args: &[&str]| -> String {
        let out = vrm(&dir)
            .env("TMPDIR", &temp)
            .env("VRM_BACKUP_PASSPHRASE", "backup passphrase")
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap().trim().to_string()
    };
    let canary = "TempCanary5c1e";
    let csv = tmp.path().join("in.csv");
    std::fs::write(
        &csv,
        format!("kind,brand,field:text\nnote,{canary}Brand,{canary} imported\n"),
    )
    .unwrap();
    let backup = tmp.path().join("backup.age");
    run(&["init"]);
    run(&["brand", "add", &format!("{canary}Shop")]);
    let id = run(&[
        "record",
        "add",
        "--kind",
        "note",
        "--field",
        &format!("text={canary} typed"),
    ]);
    run(&[
        "record",
        "edit",
        &id,
        "--field",
        &format!("text={canary} edited"),
    ]);
    run(&["import", csv.to_str().unwrap()]);
    run(&["search", canary]);
    run(&["export", "--passphrase", "--out", backup.to_str().unwrap()]);
    run(&["record", "delete", &id]);
    run(&["brand", "delete", &format!("{canary}Shop"), "--yes"]);

    let left: Vec<_> = walk(&temp);
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    assert_nowhere(&dir, canary.as_bytes(), "plaintext canary (vault folder)");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}
