use secrecy::SecretString;
use vrm_vault::crypto::{KdfParams, RecoveryCode};
use vrm_vault::{RecordFilter, RecordKind, Vault};

use crate::util::snapshot;

const FIXTURE_PASS: &str = "fixture passphrase v1";
const FIXTURE_CODE: &str = "WAKU-GGFW-CVRP-FPMZ-HU7V-VTJA-CTSQ-NVBW";

/// A private copy of the committed first-release vault.
fn fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vault-v1/vault.db");
    std::fs::copy(src, tmp.path().join("vault.db")).unwrap();
    tmp
}

#[test]
fn a_vault_written_by_the_first_release_still_opens_with_its_data() {
    let tmp = fixture();
    let mut vault = Vault::open(tmp.path())
        .unwrap()
        .keep_seen_in(Some(tmp.path().join("seen")))
        .unlock(&SecretString::from(FIXTURE_PASS))
        .unwrap();
    let brands = vault.brands().unwrap();
    assert_eq!(brands.len(), 1);
    assert_eq!(brands[0].name, "Fixture Brand");
    assert_eq!(brands[0].domain.as_deref(), Some("fixture.example"));
    let letter = vault
        .record("940af280-d408-49cd-bd0a-cd54d3e1c3ef")
        .unwrap();
    assert_eq!(letter.kind, RecordKind::Interaction);
    assert_eq!(letter.fields["channel"], "letter");
    assert_eq!(letter.brand.as_deref(), Some(brands[0].id.as_str()));
    assert_eq!(letter.tags, vec!["fixture"]);
    assert_eq!(
        vault.record("2be1c1cb").unwrap().fields["email"],
        "fixture@example.org"
    );
    assert_eq!(
        vault.list_records(&RecordFilter::default()).unwrap().len(),
        2
    );
    vault.check_integrity().unwrap();
}

#[test]
fn the_first_release_vault_recovers_with_its_code() {
    let tmp = fixture();
    let code = RecoveryCode::parse(FIXTURE_CODE).unwrap();
    let (mut vault, _) = Vault::open(tmp.path())
        .unwrap()
        .recover(
            &code,
            &SecretString::from("a new passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
    assert_eq!(vault.brands().unwrap().len(), 1);
}

#[test]
fn the_first_release_vault_refuses_a_wrong_passphrase_without_writing() {
    let tmp = fixture();
    let before = snapshot(tmp.path());
    let err = Vault::open(tmp.path())
        .unwrap()
        .keep_seen_in(Some(tmp.path().join("seen")))
        .unlock(&SecretString::from("fixture passphrase v2"))
        .unwrap_err();
    assert_eq!(err.code(), "vault.wrong_passphrase");
    assert_eq!(before, snapshot(tmp.path()));
}

#[test]
fn a_first_release_vault_is_upgraded_in_place_and_gains_terms_shares_and_the_log() {
    let tmp = fixture();
    let mut vault = Vault::open(tmp.path())
        .unwrap()
        .keep_seen_in(Some(tmp.path().join("seen")))
        .unlock(&SecretString::from(FIXTURE_PASS))
        .unwrap();
    let t = vrm_vault::terms::Template::SdBase;
    vault
        .terms()
        .create(t, "After the upgrade", &t.clauses())
        .unwrap();
    assert_eq!(vault.audit().verify().unwrap().entries, 1);
    drop(vault);
    let conn = rusqlite::Connection::open(tmp.path().join("vault.db")).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, vrm_vault::vault::SCHEMA_VERSION);
    drop(conn);
    // And it opens again with everything in it.
    let mut vault = Vault::open(tmp.path())
        .unwrap()
        .keep_seen_in(Some(tmp.path().join("seen")))
        .unlock(&SecretString::from(FIXTURE_PASS))
        .unwrap();
    assert_eq!(vault.terms().versions().unwrap().len(), 1);
    // It gained a sealed manifest over the rows it had, which agrees with
    // them, and its header now says so: removing the manifest is noticed.
    let integrity = vault.integrity().unwrap();
    assert!(integrity.is_intact(), "{integrity:?}");
    drop(vault);
    let conn = rusqlite::Connection::open(tmp.path().join("vault.db")).unwrap();
    let header: Vec<u8> = conn
        .query_row("SELECT body FROM vault_header", [], |r| r.get(0))
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    assert_eq!(header["format_version"], 2);
    conn.execute("DELETE FROM manifest_root", []).unwrap();
    drop(conn);
    let vault = Vault::open(tmp.path())
        .unwrap()
        .keep_seen_in(None)
        .unlock(&SecretString::from(FIXTURE_PASS))
        .unwrap();
    assert_eq!(
        vault.integrity().unwrap().problems,
        vec![vrm_vault::VaultProblem::ManifestMissing]
    );
}
