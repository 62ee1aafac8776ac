//! A copy of the vault's database for a new device of the same vault to
//! start from: every row is already sealed under the vault key both hold,
//! so the new device needs no work per row. The copy is made by SQLite
//! (`VACUUM INTO`: consistent and compact), stripped of what is this
//! device's own, and made into a vault of its own with the new device's
//! passphrase and recovery code before it takes its place.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::fs::{
    CREATING_PREFIX, DB_FILE, link_new, make_private_file, prepare_vault_dir, sync_dir,
};
use super::{Vault, check_new_passphrase, store};
use crate::crypto::{KdfParams, RecoveryCode, SecretKey};
use crate::error::{Error, Result};

/// A copy of the database in a folder of its own beside the vault,
/// removed when dropped.
#[derive(Debug)]
pub(crate) struct Image {
    dir: PathBuf,
}

impl Image {
    /// The copy's file.
    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(DB_FILE)
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn work_dir(beside: &Path) -> Result<PathBuf> {
    let dir = beside.join(format!(
        "{CREATING_PREFIX}{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(&dir, e))?;
    }
    Ok(dir)
}

fn same_key(key: &SecretKey) -> SecretKey {
    SecretKey::from_bytes(Zeroizing::new(*key.expose_secret_bytes()))
}

impl Vault {
    /// A copy of the database as it is now, without the documents named in
    /// `strip` (kind, id): what is this device's own.
    pub(crate) fn image(&self, strip: &[(&str, &str)]) -> Result<Image> {
        let image = Image {
            dir: work_dir(&self.dir)?,
        };
        store::vacuum_into(&self.conn, &image.path())?;
        make_private_file(&image.path())?;
        let mut copy = Vault::open(&image.dir)?
            .keep_seen_in(None)
            .into_vault(same_key(&self.vault_key))?;
        copy.in_write_tx(|v| {
            for (kind, id) in strip {
                store::delete_doc(&v.conn, kind, id)?;
            }
            Ok(())
        })?;
        copy.close_into_one_file()?;
        Ok(image)
    }

    /// Makes this copy of another device's file a vault of its own: a new
    /// vault id (the state last seen on this machine is kept by id, and
    /// two devices of one vault may share a machine), the new passphrase
    /// under `kek` (derived from it under `kdf`) and a new recovery code,
    /// all in one write with the manifest's root sealed again for the id.
    fn become_own_copy(&mut self, kek: &SecretKey, kdf: KdfParams) -> Result<RecoveryCode> {
        let before = self.header.clone();
        let mut header = before.clone();
        header.vault_id = uuid::Uuid::new_v4().to_string();
        header.set_passphrase_kek(&self.vault_key, kek, kdf)?;
        let code = header.set_recovery(&self.vault_key)?;
        header.set_check(&self.data)?;
        let (body, digest) = header.encode()?;
        let written = self.in_write_tx(|v| {
            let root = v
                .read_root(&v.conn)
                .map_err(|p| Error::IntegrityHold(p.to_string()))?;
            store::write_header(&v.conn, &body, &digest)?;
            v.header = header;
            v.write_root(&v.conn, &root)
        });
        if written.is_err() {
            self.header = before;
        }
        written?;
        // The old wraps must not linger in the WAL.
        self.purge_wal()?;
        Ok(code)
    }

    /// Folds the WAL into the file and closes: the file alone is the vault.
    fn close_into_one_file(mut self) -> Result<()> {
        self.purge_wal()?;
        self.conn.pragma_update(None, "journal_mode", "DELETE")?;
        let conn = std::mem::replace(&mut self.conn, rusqlite::Connection::open_in_memory()?);
        conn.close().map_err(|(_, e)| Error::from(e))
    }

    /// A new vault in `dir` from an image of another device's database
    /// (written by `write` into the file it is given), under the same
    /// vault key, with its own passphrase and recovery code. The image is
    /// checked to be a vault under that key before it takes its place;
    /// nothing is left behind if it is not.
    pub(crate) fn create_from_image(
        dir: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
        vault_key: SecretKey,
        write: impl FnOnce(&mut std::fs::File) -> Result<()>,
    ) -> Result<(Vault, RecoveryCode)> {
        check_new_passphrase(passphrase)?;
        let db = dir.join(DB_FILE);
        if db.exists() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        prepare_vault_dir(dir)?;
        let work = work_dir(dir)?;
        let built = (|| {
            let file_path = work.join(DB_FILE);
            let mut file =
                std::fs::File::create_new(&file_path).map_err(|e| Error::io(&file_path, e))?;
            make_private_file(&file_path)?;
            // The new passphrase's key is derived while the image comes in.
            let (kek, written) = std::thread::scope(|scope| {
                let kek = scope.spawn(|| crate::crypto::derive_kek(passphrase, &kdf));
                let written = write(&mut file);
                (kek.join(), written)
            });
            written?;
            let kek =
                kek.map_err(|_| Error::Database("deriving the passphrase's key failed".into()))??;
            file.sync_all().map_err(|e| Error::io(&file_path, e))?;
            drop(file);
            let mut vault = Vault::open(&work)
                .map_err(|_| Error::invalid_field("file", "the vault image is not a vault"))?
                .keep_seen_in(None)
                .into_vault(same_key(&vault_key))?;
            let code = vault.become_own_copy(&kek, kdf)?;
            vault.close_into_one_file()?;
            Ok(code)
        })();
        let code = match built {
            Ok(code) => code,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&work);
                return Err(e);
            }
        };
        let placed = link_new(&work.join(DB_FILE), &db);
        let _ = std::fs::remove_dir_all(&work);
        match placed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::VaultExists(dir.to_path_buf()));
            }
            Err(e) => return Err(Error::io(&db, e)),
        }
        sync_dir(dir);
        let vault = Vault::open(dir)?.into_vault(vault_key)?;
        Ok((vault, code))
    }
}
