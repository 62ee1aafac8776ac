use secrecy::SecretString;
use vrm_vault::crypto::{KdfParams, RecoveryCode};
use vrm_vault::{BrandInput, Error, Vault};

use crate::util::*;

#[test]
fn a_created_vault_reopens_with_its_passphrase() {
    let (tmp, mut vault) = new_vault();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    drop(vault);
    let mut vault = reopen(&vault_dir(&tmp));
    assert_eq!(vault.brands().unwrap()[0].name, "Acme");
}

#[test]
fn kdf_parameters_are_stored_and_never_below_the_floor() {
    let (_tmp, vault) = new_vault();
    let info = vault.info().unwrap();
    assert!(info.kdf_m_kib >= 64 * 1024, "at least 64 MiB");
    assert!(info.kdf_t >= 3, "at least 3 passes");
}

#[test]
fn creating_over_an_existing_vault_is_refused_and_changes_nothing() {
    let (tmp, vault) = new_vault();
    drop(vault);
    let dir = vault_dir(&tmp);
    let before = snapshot(&dir);
    let err = Vault::create(&dir, &pass(), KdfParams::minimum().unwrap()).unwrap_err();
    assert!(matches!(err, Error::VaultExists(_)), "{err:?}");
    assert_eq!(before, snapshot(&dir), "vault files must be untouched");
}

#[test]
fn wrong_passphrase_is_its_own_error_and_writes_nothing() {
    let (tmp, mut vault) = new_vault();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    drop(vault);
    let dir = vault_dir(&tmp);
    let before = snapshot(&dir);
    let err = Vault::open(&dir)
        .unwrap()
        .unlock(&SecretString::from("not the passphrase"))
        .unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err:?}");
    assert_eq!(err.code(), "vault.wrong_passphrase");
    assert_eq!(
        before,
        snapshot(&dir),
        "a failed unlock must not change any file"
    );
}

#[test]
fn a_damaged_header_is_corruption_not_a_wrong_passphrase() {
    let (tmp, vault) = new_vault();
    drop(vault);
    let dir = vault_dir(&tmp);
    // Change one character inside the header's JSON, keep the old digest.
    raw_sql(
        &dir,
        "UPDATE vault_header SET body = CAST(replace(CAST(body AS TEXT), '\"t\":3', '\"t\":4') AS BLOB)",
    );
    let err = Vault::open(&dir).unwrap_err();
    assert!(matches!(err, Error::Damaged(_)), "{err:?}");
    assert_eq!(err.code(), "vault.damaged");
}

#[test]
fn a_vault_from_a_newer_version_is_refused_clearly() {
    let (tmp, vault) = new_vault();
    drop(vault);
    let dir = vault_dir(&tmp);
    raw_sql(&dir, "PRAGMA user_version = 99");
    let err = Vault::open(&dir).unwrap_err();
    assert!(
        matches!(err, Error::NewerSchema { found: 99, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade"), "{err}");
}

#[test]
fn changing_the_passphrase_rewraps_the_key_and_keeps_the_data() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    let new = SecretString::from("a brand new passphrase");
    vault
        .change_passphrase(&new, KdfParams::minimum().unwrap())
        .unwrap();
    drop(vault);
    assert!(matches!(
        Vault::open(&dir).unwrap().unlock(&pass()),
        Err(Error::WrongPassphrase)
    ));
    let mut vault = Vault::open(&dir).unwrap().unlock(&new).unwrap();
    assert_eq!(vault.brands().unwrap().len(), 1);
}

#[test]
fn the_recovery_code_sets_a_new_passphrase_and_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = vault_dir(&tmp);
    let (mut vault, code) = Vault::create(&dir, &pass(), KdfParams::minimum().unwrap()).unwrap();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    drop(vault);
    let typed = RecoveryCode::parse(&code.expose_secret().to_lowercase()).unwrap();
    let new = SecretString::from("recovered passphrase");
    let (mut vault, new_code) = Vault::open(&dir)
        .unwrap()
        .recover(&typed, &new, KdfParams::minimum().unwrap())
        .unwrap();
    assert_eq!(vault.brands().unwrap().len(), 1);
    drop(vault);
    assert_ne!(code.expose_secret(), new_code.expose_secret());
    assert!(Vault::open(&dir).unwrap().unlock(&new).is_ok());
    let err = Vault::open(&dir)
        .unwrap()
        .recover(&code, &new, KdfParams::minimum().unwrap())
        .unwrap_err();
    assert!(
        matches!(err, Error::WrongRecoveryCode),
        "the old code is spent: {err:?}"
    );
}

#[test]
fn a_short_passphrase_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Vault::create(
        &vault_dir(&tmp),
        &SecretString::from("short"),
        KdfParams::minimum().unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "input.invalid");
    assert!(
        !vault_dir(&tmp).join("vault.db").exists(),
        "no vault is left behind"
    );
}

#[test]
fn opening_a_folder_without_a_vault_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Vault::open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "vault.not_found");
}

#[test]
fn a_file_that_is_not_a_vault_is_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("vault.db"), vec![b'x'; 8192]).unwrap();
    let err = Vault::open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "vault.damaged", "{err}");
}

#[cfg(unix)]
#[test]
fn vault_files_are_private_and_an_existing_empty_folder_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, mut vault) = new_vault();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    let dir = vault_dir(&tmp);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "a folder we create is owner-only");
    for (file, _) in snapshot(&dir) {
        assert_eq!(mode(&file), 0o600, "{} is owner-only", file.display());
    }
    drop(vault);

    let shared = tmp.path().join("documents");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    Vault::create(&shared, &pass(), KdfParams::minimum().unwrap()).unwrap();
    // Issue 10: it stayed 0755, though the README promises 0700. A vault
    // gets a folder of its own (a folder with anything else in it is
    // refused: tests/races.rs), so making it private hides nothing else.
    assert_eq!(
        mode(&shared),
        0o700,
        "an existing empty folder is made private"
    );
    assert_eq!(mode(&shared.join("vault.db")), 0o600);
}
