//! The vault folder on disk: made private, checked empty, a new file linked
//! into place atomically.

use std::path::Path;

use crate::error::{Error, Result};

/// File name of the database inside a vault folder.
pub const DB_FILE: &str = "vault.db";

/// Name prefix of a vault file being built (see [`Vault::create_with`]).
pub(super) const CREATING_PREFIX: &str = ".vault.db.creating-";

/// Make the folder a new vault goes in: created owner-only (0700 on Unix), or
/// an existing folder made so. A vault gets a folder of its own, so an
/// existing one must be empty (but for other vaults being created in it):
/// making it private must hide nothing else of the person's, and a stray
/// `vault.db-wal` would be read as part of the new vault.
pub(super) fn prepare_vault_dir(dir: &Path) -> Result<()> {
    if !check_vault_dir(dir)? {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Whether `dir` exists, if a new vault may go there (see
/// [`prepare_vault_dir`]); reads only.
pub(super) fn check_vault_dir(dir: &Path) -> Result<bool> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(Error::invalid_field(
            "vault",
            format!("{} is a file, not a folder", dir.display()),
        )),
        Ok(_) => {
            for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
                let name = entry.map_err(|e| Error::io(dir, e))?.file_name();
                let name = name.to_string_lossy();
                if name == DB_FILE {
                    return Err(Error::VaultExists(dir.to_path_buf()));
                }
                if !name.starts_with(CREATING_PREFIX) {
                    return Err(Error::invalid_field(
                        "vault",
                        format!(
                            "{} is not empty (it holds {name}); a vault needs a new or empty folder",
                            dir.display()
                        ),
                    ));
                }
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Give the finished file `tmp` the name `db`, failing with `AlreadyExists`
/// if `db` exists: a hard link is created atomically or not at all, where a
/// rename would silently replace a vault another process just made.
pub(super) fn link_new(tmp: &Path, db: &Path) -> std::io::Result<()> {
    match std::fs::hard_link(tmp, db) {
        // File systems without hard links (FAT, some network shares): check,
        // then rename, which leaves a window but no half-made vault.
        Err(e) if matches!(e.kind(), std::io::ErrorKind::Unsupported) => {
            if db.exists() {
                return Err(std::io::ErrorKind::AlreadyExists.into());
            }
            std::fs::rename(tmp, db)
        }
        other => other,
    }
}

/// Make a new name in `dir` durable (best effort: not every platform can
/// open a folder).
pub(super) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Owner-only permissions for a vault file (SQLite gives its -wal and -shm
/// files the same permissions as the database).
pub(super) fn make_private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(path, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
