use std::collections::BTreeMap;

use vrm_vault::{BrandInput, Error, NewRecord, RecordFilter, RecordKind, Vault};

use crate::util::*;

fn note(vault: &mut Vault, text: &str) -> String {
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
    let listed: Vec<String> = vault
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
        assert_eq!(err.code(), "vault.corrupt", "cut to {keep} bytes: {err}");
    }
}
