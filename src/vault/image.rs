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

/// Writes an image into a new file, straight to disk where the system
/// allows it (Linux's `O_DIRECT`), else through the page cache. The file
/// must reach the disk before it is used, so the page cache only adds a
/// copy of every page; on a virtual machine whose free memory goes back to
/// the host, that copy cost a join up to 400 ms for 130 MiB (a direct
/// write: ~75 ms, and nothing left for the final sync).
pub(crate) struct ImageWriter {
    path: PathBuf,
    file: std::fs::File,
    /// The same file opened for direct writes, while they work.
    direct: Option<std::fs::File>,
    /// Bytes waiting to be written, from `start` in `stage` (where the
    /// buffer is aligned as direct writes need).
    stage: Vec<u8>,
    start: usize,
    staged: usize,
    /// How much of the file is written.
    written: u64,
}

/// What direct writes are aligned to (addresses, lengths and offsets).
const DIRECT_ALIGN: usize = 4096;
/// How much is written at once.
const STAGE_LEN: usize = 4 << 20;

impl ImageWriter {
    /// A new file at `path` (private to this user), or an error if there
    /// is one.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let file = std::fs::File::create_new(path).map_err(|e| Error::io(path, e))?;
        make_private_file(path)?;
        Ok(Self::with(path, file, open_direct(path)))
    }

    fn with(path: &Path, file: std::fs::File, direct: Option<std::fs::File>) -> Self {
        let stage = vec![0u8; STAGE_LEN + DIRECT_ALIGN];
        let start = (DIRECT_ALIGN - stage.as_ptr() as usize % DIRECT_ALIGN) % DIRECT_ALIGN;
        ImageWriter {
            path: path.to_path_buf(),
            file,
            direct,
            stage,
            start,
            staged: 0,
            written: 0,
        }
    }

    /// Appends `bytes` to the file.
    pub(crate) fn write_all(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let room = STAGE_LEN - self.staged;
            let take = room.min(bytes.len());
            let at = self.start + self.staged;
            self.stage[at..at + take].copy_from_slice(&bytes[..take]);
            self.staged += take;
            bytes = &bytes[take..];
            if self.staged == STAGE_LEN {
                self.write_staged()?;
            }
        }
        Ok(())
    }

    /// Writes what is staged at the file's end: directly while that
    /// works, else (a filesystem that refuses it, a tail not a whole
    /// number of blocks) through the page cache.
    fn write_staged(&mut self) -> Result<()> {
        let bytes = &self.stage[self.start..self.start + self.staged];
        let mut done = false;
        if let Some(direct) = &self.direct
            && bytes.len().is_multiple_of(DIRECT_ALIGN)
        {
            // A direct write is a shortcut: where one fails (a filesystem
            // that takes no direct writes of this shape, or any other
            // reason), the rest go through the page cache, which says what
            // is really wrong, if anything is.
            match write_at(direct, bytes, self.written) {
                Ok(()) => done = true,
                Err(_) => self.direct = None,
            }
        }
        if !done {
            write_at(&self.file, bytes, self.written).map_err(|e| Error::io(&self.path, e))?;
        }
        self.written += bytes.len() as u64;
        self.staged = 0;
        Ok(())
    }

    /// Writes what is left and syncs the file to disk.
    pub(crate) fn finish(mut self) -> Result<()> {
        if self.staged > 0 {
            self.write_staged()?;
        }
        self.file.sync_all().map_err(|e| Error::io(&self.path, e))
    }
}

fn write_at(file: &std::fs::File, bytes: &[u8], at: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.write_all_at(bytes, at)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut file = file;
        file.seek(SeekFrom::Start(at))?;
        file.write_all(bytes)
    }
}

/// The file at `path` opened again for direct writes, where the system and
/// its filesystem take them.
fn open_direct(path: &Path) -> Option<std::fs::File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
            .ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
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
        write: impl FnOnce(&mut ImageWriter) -> Result<()>,
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
            let mut file = ImageWriter::create(&file_path)?;
            // The new passphrase's key is derived while the image comes in.
            let (kek, written) = std::thread::scope(|scope| {
                let kek = scope.spawn(|| crate::crypto::derive_kek(passphrase, &kdf));
                let written = write(&mut file);
                (kek.join(), written)
            });
            written?;
            let kek =
                kek.map_err(|_| Error::Database("deriving the passphrase's key failed".into()))??;
            file.finish()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of every awkward size: smaller than a block, a block short,
    /// a whole stage, across stages, none, and a tail of part of a block.
    fn pieces() -> Vec<Vec<u8>> {
        let mut seed = 7u32;
        [
            1,
            DIRECT_ALIGN - 1,
            STAGE_LEN,
            3,
            2 * STAGE_LEN + 17,
            0,
            5000,
        ]
        .iter()
        .map(|&len| {
            (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect()
        })
        .collect()
    }

    fn write_pieces(writer: &mut ImageWriter) -> Vec<u8> {
        let pieces = pieces();
        for piece in &pieces {
            writer.write_all(piece).unwrap();
        }
        pieces.concat()
    }

    #[test]
    fn an_image_written_in_pieces_of_any_size_is_the_file_directly_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("direct");
        let mut writer = ImageWriter::create(&path).unwrap();
        let direct_at_start = writer.direct.is_some();
        let expected = write_pieces(&mut writer);
        // Where the filesystem takes direct writes, whole stages went that
        // way (the test's folder is on a disk here, not in memory).
        assert_eq!(writer.direct.is_some(), direct_at_start);
        writer.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);

        let path = dir.path().join("through the page cache");
        let file = std::fs::File::create_new(&path).unwrap();
        let mut writer = ImageWriter::with(&path, file, None);
        let expected = write_pieces(&mut writer);
        writer.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);

        // A direct handle whose writes fail (here: opened for reading):
        // the page cache takes over, and nothing is lost or doubled.
        let path = dir.path().join("direct writes fail");
        let file = std::fs::File::create_new(&path).unwrap();
        let refusing = std::fs::File::open(&path).unwrap();
        let mut writer = ImageWriter::with(&path, file, Some(refusing));
        let expected = write_pieces(&mut writer);
        assert!(writer.direct.is_none());
        writer.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[test]
    fn an_image_file_is_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("there");
        std::fs::write(&path, b"kept").unwrap();
        assert!(ImageWriter::create(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
    }
}
