//! A new vault key: every row sealed again under it, in one transaction.
//!
//! Changing the passphrase only re-wraps the vault key, so an old copy of
//! the header with the old passphrase still unwraps it and opens everything
//! written since. A rekey makes a new key, seals every row, document and
//! log entry again (the same versions, so the manifest's history holds),
//! writes a header with the key wrapped under the passphrase and a new
//! recovery code, and starts the manifest again under the new key. It is
//! one SQLite transaction: a crash at any point leaves either the old vault
//! or the new one, each whole and openable with its own header.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::header::{b64, unb64};
use super::store::{self, SEALED_TABLES, Table};
use super::{Vault, check_new_passphrase};
use crate::crypto::{Cipher, Digester, KEY_LEN, KdfParams, RecoveryCode, SecretKey};
use crate::error::{Error, Result};
use secrecy::SecretString;

/// The keys of a vault that was rekeyed that outlive the vault key they
/// were derived from: kept digests (discovery's Message-ID digests, which
/// name staged messages) cannot be computed again without what they
/// digest, and the sync key is held by the vault's other devices, which a
/// rekey here does not reach (its objects must still open there).
pub(super) const DIGEST_KEYS_KIND: &str = "vault.digest-keys";
const DIGEST_KEYS_ID: &str = "keys";

/// The sync key's purpose (see [`Vault::sync_key`]).
pub(crate) const SYNC_KEY_PURPOSE: &str = "vrm-vault/sync/1";

/// The purposes of the keys kept across a rekey: keyed digests (see
/// [`Vault::digester`]) and the sync key.
const DIGEST_PURPOSES: [&str; 2] = ["discovery", SYNC_KEY_PURPOSE];

#[derive(Serialize, Deserialize)]
struct DigestKeys {
    /// Purpose → key, base64.
    keys: BTreeMap<String, String>,
}

impl Drop for DigestKeys {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.keys.values_mut().for_each(Zeroize::zeroize);
    }
}

/// Rows re-sealed per read.
const BATCH: usize = 2000;

impl Vault {
    /// A keyed digester for one purpose (see [`Digester`]): from the vault
    /// key, or from the key kept when the vault was rekeyed.
    pub(crate) fn digester(&self, purpose: &[u8]) -> Digester {
        Digester::new(&self.digester_key(purpose))
    }

    /// Make a new vault key and seal everything again under it, wrapped
    /// under `passphrase` (with `kdf`) and a new recovery code, which is
    /// returned (the old code, and an old copy of the header with the old
    /// passphrase, open nothing written from now on). Refused while the
    /// vault differs from its manifest or a row fails to open: sealing
    /// again would make the differences look like the vault's own.
    pub fn rekey(&mut self, passphrase: &SecretString, kdf: KdfParams) -> Result<RecoveryCode> {
        check_new_passphrase(passphrase)?;
        let integrity = self.integrity()?;
        if let Some(p) = integrity.problems.first() {
            return Err(Error::IntegrityHold(p.to_string()));
        }
        if let Some(row) = integrity.rows.first() {
            return Err(Error::IntegrityHold(format!(
                "{row} (and {} more); a new key would seal that in",
                integrity.rows.len() - 1
            )));
        }
        let root = self
            .read_root(&self.conn)
            .map_err(|p| Error::IntegrityHold(p.to_string()))?;

        let new_key = SecretKey::generate()?;
        let new_data = Cipher::new(&new_key.derive(b"row data"));
        let mut header = self.header.clone();
        header.set_passphrase(&new_key, passphrase, kdf)?;
        let code = header.set_recovery(&new_key)?;
        header.set_check(&new_data)?;
        let (header_body, header_digest) = header.encode()?;

        // The digest keys in use now, kept under the new key.
        let digest_keys = self.kept_keys(None);

        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let resealed = self.reseal_all(&new_data);
        if let Err(e) = resealed {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(e);
        }
        // From here on, the new key seals (the digest keys, the header's
        // place in the manifest, the manifest itself).
        let old = self.swap_keys(new_key);
        let done = (|| {
            let tx = &self.conn;
            if store::doc(tx, DIGEST_KEYS_KIND, DIGEST_KEYS_ID)?.is_some() {
                self.replace_doc(tx, DIGEST_KEYS_KIND, DIGEST_KEYS_ID, &digest_keys)?;
            } else {
                self.insert_doc(tx, DIGEST_KEYS_KIND, DIGEST_KEYS_ID, None, &digest_keys)?;
            }
            store::write_header(tx, &header_body, &header_digest)?;
            // The manifest starts again under the new key, over the rows
            // just checked against the old one, its counter going on.
            let new_root = self.start_manifest(tx, root.counter)?;
            tx.execute_batch("COMMIT")?;
            Ok(new_root)
        })();
        match done {
            Ok(new_root) => {
                self.header = header;
                self.force_seen(&new_root);
                // Nothing sealed under the old key stays in the WAL.
                self.purge_wal()?;
                self.forget_caches();
                Ok(code)
            }
            Err(e) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                self.swap_keys(old);
                Err(e)
            }
        }
    }

    /// Inside the rekey's transaction: every sealed row opened with the
    /// current key and sealed with `new_data`, under the same associated
    /// data.
    fn reseal_all(&self, new_data: &Cipher) -> Result<()> {
        let tx = &self.conn;
        for table in SEALED_TABLES {
            let mut after = 0;
            loop {
                let rows = store::sealed_rows_after(tx, table, after, BATCH)?;
                let Some(last) = rows.last() else { break };
                after = last.rowid;
                for row in &rows {
                    let aad = match table {
                        "brands" => Self::aad(Table::Brands, &row.id, row.version, None),
                        "records" => Self::aad(
                            Table::Records,
                            &row.id,
                            row.version,
                            row.brand_id.as_deref(),
                        ),
                        "documents" => {
                            Self::doc_aad(&row.kind, &row.id, row.version, row.brand_id.as_deref())
                        }
                        "sync_rows" => Self::sync_row_aad_of(row),
                        _ => super::audit::entry_aad(row.id.parse().unwrap_or(0)),
                    };
                    let plain = self.data.open(&aad, &row.body).ok_or_else(|| {
                        Error::IntegrityHold(format!(
                            "{table} {} fails to open; delete or restore it before a rekey",
                            if row.kind.is_empty() {
                                row.id.clone()
                            } else {
                                format!("{}/{}", row.kind, row.id)
                            }
                        ))
                    })?;
                    store::set_body(tx, table, row.rowid, &new_data.seal(&aad, &plain)?)?;
                }
            }
        }
        Ok(())
    }

    /// The key behind [`Vault::digester`] for `purpose`.
    fn digester_key(&self, purpose: &[u8]) -> SecretKey {
        let kept = std::str::from_utf8(purpose).ok().and_then(|p| {
            let keys: DigestKeys = self
                .exact_doc(DIGEST_KEYS_KIND, DIGEST_KEYS_ID)
                .ok()
                .flatten()?;
            let bytes = Zeroizing::new(unb64(keys.keys.get(p)?, "digest key").ok()?);
            let array: [u8; KEY_LEN] = bytes.as_slice().try_into().ok()?;
            Some(SecretKey::from_bytes(Zeroizing::new(array)))
        });
        kept.unwrap_or_else(|| self.vault_key.derive(purpose))
    }

    /// The key sync objects' bodies are sealed under: derived from the
    /// vault key, or kept from before a rekey (here, or on the device that
    /// invited this one), so that every device of the vault holds the same.
    pub(crate) fn sync_key(&self) -> SecretKey {
        self.digester_key(SYNC_KEY_PURPOSE.as_bytes())
    }

    /// Keeps `key` as the sync key, when it is not the one derived from the
    /// vault key (a device joining a vault that was rekeyed elsewhere).
    pub(crate) fn keep_sync_key(&mut self, key: &SecretKey) -> Result<()> {
        if self.sync_key().expose_secret_bytes() == key.expose_secret_bytes() {
            return Ok(());
        }
        let keys = self.kept_keys(Some(key));
        self.in_write_tx(|vault| {
            let tx = &vault.conn;
            if store::doc(tx, DIGEST_KEYS_KIND, DIGEST_KEYS_ID)?.is_some() {
                vault.replace_doc(tx, DIGEST_KEYS_KIND, DIGEST_KEYS_ID, &keys)
            } else {
                vault.insert_doc(tx, DIGEST_KEYS_KIND, DIGEST_KEYS_ID, None, &keys)
            }
        })
    }

    /// The keys to keep: those in use now, the sync key replaced by
    /// `sync` when given.
    fn kept_keys(&self, sync: Option<&SecretKey>) -> DigestKeys {
        DigestKeys {
            keys: DIGEST_PURPOSES
                .iter()
                .map(|p| {
                    let key = match sync {
                        Some(k) if *p == SYNC_KEY_PURPOSE => {
                            SecretKey::from_bytes(Zeroizing::new(*k.expose_secret_bytes()))
                        }
                        _ => self.digester_key(p.as_bytes()),
                    };
                    (p.to_string(), b64(key.expose_secret_bytes()))
                })
                .collect(),
        }
    }

    /// Put `key` in place of the vault key (and the keys derived from it);
    /// returns the old one.
    fn swap_keys(&mut self, key: SecretKey) -> SecretKey {
        self.data = Cipher::new(&key.derive(b"row data"));
        self.manifest
            .set_cipher(Cipher::new(&key.derive(b"manifest")));
        std::mem::replace(&mut self.vault_key, key)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rusqlite::Connection;
    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;
    use crate::model::{BrandInput, NewRecord, RecordFilter, RecordKind};
    use crate::vault::DB_FILE;
    use crate::vault::audit::AuditAction;
    use crate::vault::manifest::VaultProblem;

    fn note(v: &mut Vault, text: &str) {
        v.add_record(&NewRecord {
            kind: RecordKind::Note,
            brand: None,
            fields: BTreeMap::from([("text".to_string(), text.to_string())]),
            tags: vec![],
        })
        .unwrap();
    }

    fn texts(v: &mut Vault) -> Vec<String> {
        let mut t: Vec<String> = v
            .list_records(&RecordFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.fields["text"].clone())
            .collect();
        t.sort();
        t
    }

    /// The other devices of the vault still hold the old sync key: a rekey
    /// keeps it (twice over), and a key kept from elsewhere (an inviter's)
    /// replaces the derived one.
    #[test]
    fn the_sync_key_outlives_rekeys_and_a_kept_one_is_used() {
        let tmp = tempfile::tempdir().unwrap();
        let pass = SecretString::from("a passphrase for sync");
        let kdf = || KdfParams::minimum().unwrap();
        let (mut v, _) = Vault::create(&tmp.path().join("v"), &pass, kdf()).unwrap();
        let before = *v.sync_key().expose_secret_bytes();
        assert_eq!(
            &before,
            v.vault_key
                .derive(SYNC_KEY_PURPOSE.as_bytes())
                .expose_secret_bytes()
        );
        for _ in 0..2 {
            v.rekey(&pass, kdf()).unwrap();
            assert_eq!(v.sync_key().expose_secret_bytes(), &before);
        }
        // Kept again (unchanged): nothing written.
        v.keep_sync_key(&SecretKey::from_bytes(Zeroizing::new(before)))
            .unwrap();
        assert_eq!(v.sync_key().expose_secret_bytes(), &before);

        let (mut w, _) = Vault::create(&tmp.path().join("w"), &pass, kdf()).unwrap();
        assert_ne!(w.sync_key().expose_secret_bytes(), &before);
        w.keep_sync_key(&SecretKey::from_bytes(Zeroizing::new(before)))
            .unwrap();
        assert_eq!(w.sync_key().expose_secret_bytes(), &before);
        // The discovery digests' key is still w's own.
        assert_eq!(
            w.digester_key(b"discovery").expose_secret_bytes(),
            w.vault_key.derive(b"discovery").expose_secret_bytes()
        );
    }

    #[test]
    fn a_rekey_keeps_everything_and_an_old_header_opens_nothing_written_after() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let old_pass = SecretString::from("the old passphrase");
        let (mut v, old_code) =
            Vault::create(&dir, &old_pass, KdfParams::minimum().unwrap()).unwrap();
        v.add_brand(&BrandInput::named("Acme")).unwrap();
        note(&mut v, "before");
        v.audit()
            .log(AuditAction::Exported, None, None, "one")
            .unwrap();
        let digest = v.digester(b"discovery").hex(&[b"<id@example.com>"], 32);
        let outside = Connection::open(dir.join(DB_FILE)).unwrap();
        let (old_header, old_digest) = store::read_header(&outside).unwrap();

        let new_pass = SecretString::from("the new passphrase");
        let _new_code = v.rekey(&new_pass, KdfParams::minimum().unwrap()).unwrap();
        note(&mut v, "after");
        assert_eq!(texts(&mut v), ["after", "before"]);
        assert_eq!(
            v.digester(b"discovery").hex(&[b"<id@example.com>"], 32),
            digest,
            "kept digests still match"
        );
        drop(v);

        let mut v = Vault::open(&dir).unwrap().unlock(&new_pass).unwrap();
        assert_eq!(texts(&mut v), ["after", "before"]);
        assert_eq!(v.brands().unwrap()[0].name, "Acme");
        assert_eq!(v.audit().verify().unwrap().entries, 1);
        assert!(v.integrity().unwrap().is_intact());
        assert!(v.health().unwrap().is_healthy());
        drop(v);
        assert!(matches!(
            Vault::open(&dir).unwrap().unlock(&old_pass),
            Err(Error::WrongPassphrase)
        ));
        assert!(matches!(
            Vault::open(&dir)
                .unwrap()
                .recover(&old_code, &old_pass, KdfParams::minimum().unwrap()),
            Err(Error::WrongRecoveryCode)
        ));

        // An old copy of the header with the old passphrase: the old key
        // opens nothing sealed since.
        store::write_header(&outside, &old_header, &old_digest).unwrap();
        drop(outside);
        // It unwraps the old key, which opens none of the rows, and the
        // manifest (sealed under the new key) says the vault is not whole.
        let mut v = Vault::open(&dir).unwrap().unlock(&old_pass).unwrap();
        assert!(texts(&mut v).is_empty());
        assert_eq!(v.damaged_records().unwrap().len(), 2);
        assert!(v.brands().unwrap().is_empty());
        assert!(matches!(
            v.integrity().unwrap().problems[..],
            [VaultProblem::ManifestDamaged { .. }, ..]
        ));
        assert!(v.audit().verify().is_err());
    }

    #[test]
    fn the_new_recovery_code_of_a_rekey_opens_the_vault() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let pass = SecretString::from("the old passphrase");
        let (mut v, _) = Vault::create(&dir, &pass, KdfParams::minimum().unwrap()).unwrap();
        note(&mut v, "kept");
        let code = v.rekey(&pass, KdfParams::minimum().unwrap()).unwrap();
        drop(v);
        let (mut v, _) = Vault::open(&dir)
            .unwrap()
            .recover(
                &code,
                &SecretString::from("a third passphrase"),
                KdfParams::minimum().unwrap(),
            )
            .unwrap();
        assert_eq!(texts(&mut v), ["kept"]);
    }

    #[test]
    fn a_rekey_is_refused_while_rows_differ_from_the_manifest_and_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let pass = SecretString::from("the old passphrase");
        let (mut v, _) = Vault::create(&dir, &pass, KdfParams::minimum().unwrap()).unwrap();
        note(&mut v, "one");
        note(&mut v, "two");
        v.outside_conn()
            .execute(
                "DELETE FROM records WHERE rowid = (SELECT min(rowid) FROM records)",
                [],
            )
            .unwrap();
        let before = std::fs::read(dir.join(DB_FILE)).unwrap();
        let err = v.rekey(&pass, KdfParams::minimum().unwrap()).unwrap_err();
        assert_eq!(err.code(), "vault.integrity_hold", "{err}");
        assert!(err.to_string().contains("is missing"), "{err}");
        assert_eq!(std::fs::read(dir.join(DB_FILE)).unwrap(), before);
    }
}
