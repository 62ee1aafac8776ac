use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use vrm_vault::transfer;
use vrm_vault::{RecordFilter, Vault};

use crate::util::*;

/// Import `bytes` as `name`; on success the record count grows by what was
/// added, on failure it is unchanged and the error is an import error.
fn import_cleanly(
    vault: &RefCell<Vault>,
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let mut v = vault.borrow_mut();
    let before = v.list_records(&RecordFilter::default()).unwrap().len();
    match transfer::import_file(&mut v, &file, &mut |_, _| {}) {
        Ok(s) => {
            let after = v.list_records(&RecordFilter::default()).unwrap().len();
            prop_assert_eq!(after, before + s.records_added);
        }
        Err(e) => {
            prop_assert!(
                matches!(e.code(), "import.bad_row" | "import.bad_format"),
                "unexpected error kind {}: {}",
                e.code(),
                e
            );
            let after = v.list_records(&RecordFilter::default()).unwrap().len();
            prop_assert_eq!(after, before, "a failed import changed the vault");
        }
    }
    Ok(())
}

fn csv_file() -> impl Strategy<Value = String> {
    let column = prop_oneof![
        Just("kind".to_string()),
        Just("brand".to_string()),
        Just("date".to_string()),
        Just("tags".to_string()),
        Just("field:text".to_string()),
        Just("field:email".to_string()),
        Just("field:channel".to_string()),
        "[a-z:]{0,8}",
    ];
    let cell = prop_oneof![
        Just("note".to_string()),
        Just("profile".to_string()),
        Just("interaction".to_string()),
        Just("Acme".to_string()),
        Just("2026-01-02".to_string()),
        "[ -~]{0,12}",
        "\"[a-z,\n\"]{0,6}\"",
    ];
    (
        prop::collection::vec(column, 1..5),
        prop::collection::vec(prop::collection::vec(cell, 0..6), 0..6),
    )
        .prop_map(|(header, rows)| {
            let mut out = header.join(",");
            for row in rows {
                out.push('\n');
                out.push_str(&row.join(","));
            }
            out
        })
}

#[test]
fn arbitrary_csv_imports_never_panic_and_fail_without_changes() {
    let (tmp, vault) = new_vault();
    let vault = RefCell::new(vault);
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&csv_file(), |text| {
            import_cleanly(&vault, tmp.path(), "in.csv", text.as_bytes())
        })
        .unwrap();
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..300), |bytes| {
            import_cleanly(&vault, tmp.path(), "in.csv", &bytes)
        })
        .unwrap();
}

#[test]
fn mutated_json_imports_never_panic_and_fail_without_changes() {
    let (tmp, vault) = new_vault();
    let valid = r#"{
  "format": "vrm-vault-export",
  "version": 1,
  "brands": [{"id": "6f1c1b52-3f8e-4a53-9d0c-0a5c4f1f6a11", "name": "Acme", "domain": "acme.example",
              "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}],
  "records": [
    {"id": "0b6e2f0e-8a51-4d1e-9a57-6bb1f6b2c001", "kind": "note", "brand": "6f1c1b52-3f8e-4a53-9d0c-0a5c4f1f6a11",
     "fields": {"text": "hello"}, "tags": ["a"], "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"},
    {"kind": "interaction", "fields": {"channel": "call", "direction": "inbound", "date": "2026-01-01", "summary": "x"}}
  ]
}"#;
    let vault = RefCell::new(vault);
    let mutations = prop::collection::vec((0..valid.len(), any::<u8>()), 1..4);
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(mutations, 0..=valid.len()), |(changes, cut)| {
            let mut bytes = valid.as_bytes().to_vec();
            for (at, b) in changes {
                bytes[at] = b;
            }
            bytes.truncate(cut.max(1));
            // A fresh vault state is not needed: ids already present are skipped.
            import_cleanly(&vault, tmp.path(), "in.json", &bytes)
        })
        .unwrap();
}

proptest! {
    #[test]
    fn recovery_code_parsing_never_panics(s in "\\PC{0,64}") {
        let _ = vrm_vault::crypto::RecoveryCode::parse(&s);
    }
}
