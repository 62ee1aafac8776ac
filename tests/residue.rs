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
fn deleting_a_brand_leaves_no_trace_of_it_or_its_records() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let brand = vault
        .add_brand(&BrandInput::named("DoomedBrand5a5a"))
        .unwrap();
    let mut rec = note("DoomedRecord1b1b", "x");
    rec.brand = Some(brand.id.clone());
    let rid = vault.add_record(&rec).unwrap().id;
    let bodies = [
        raw_body(&dir, "brands", &brand.id),
        raw_body(&dir, "records", &rid),
    ];
    vault.delete_brand(&brand.id).unwrap();
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
