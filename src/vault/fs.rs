//! The vault folder on disk: made private, checked empty, a new file linked
//! into place atomically; and every other file the vault writes ([`write_file`],
//! [`AtomicFile`]): whole or not at all, never through a symbolic link.

use std::path::{Path, PathBuf};

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

/// How the names of files being written begin ([`AtomicFile`]; they end in
/// [`TEMP_SUFFIX`]): a file so named beside a target is an unfinished write,
/// never a finished document.
pub const TEMP_PREFIX: &str = ".vrm-out-";
/// How the names of files being written end (see [`TEMP_PREFIX`]).
pub const TEMP_SUFFIX: &str = ".part";

/// A file to write, and whether it may replace a file already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutFile<'a> {
    /// Where the file goes.
    pub path: &'a Path,
    /// Replace a file already at `path`. If false, writing fails with an
    /// [`Error::Io`] of kind `AlreadyExists` whenever a file is there when
    /// it is put in place, even one that appeared after any earlier check.
    pub replace: bool,
}

impl<'a> OutFile<'a> {
    /// A file that may replace one already there.
    pub fn replace(path: &'a Path) -> Self {
        OutFile {
            path,
            replace: true,
        }
    }

    /// A new file only: never replaces one already there.
    pub fn new_only(path: &'a Path) -> Self {
        OutFile {
            path,
            replace: false,
        }
    }
}

/// A bare path may replace a file (what a save dialog that asked gives).
impl<'a> From<&'a Path> for OutFile<'a> {
    fn from(path: &'a Path) -> Self {
        OutFile::replace(path)
    }
}

/// A bare path may replace a file (what a save dialog that asked gives).
impl<'a> From<&'a PathBuf> for OutFile<'a> {
    fn from(path: &'a PathBuf) -> Self {
        OutFile::replace(path)
    }
}

/// Who may read a file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Its owner only (0600 on Unix), whatever was there before: keys,
    /// bundles, backups, documents for a brand.
    Private,
    /// A new file gets the usual permissions (0666 less the umask, as any
    /// new file); a replaced file keeps its own.
    Default,
}

/// A file being written: into a temporary file beside its target
/// ([`TEMP_PREFIX`]…[`TEMP_SUFFIX`]), which [`AtomicFile::commit`] syncs and
/// renames into place (then syncs the folder, so the rename outlives a
/// crash too). Dropped uncommitted, it leaves nothing behind. The target is
/// never a folder or a symbolic link: a link is refused, never written
/// through nor replaced.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    dir: PathBuf,
    replace: bool,
}

impl AtomicFile {
    /// Start writing `out`: checks the target (not a folder, not a symbolic
    /// link, and absent unless `out.replace`) and makes the temporary file,
    /// so a place that cannot be written fails here, before anything else.
    pub fn create(out: OutFile<'_>, mode: FileMode) -> Result<AtomicFile> {
        let path = out.path;
        let existing = match std::fs::symlink_metadata(path) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(path, e)),
        };
        if let Some(meta) = &existing {
            if meta.is_dir() {
                return Err(Error::invalid_field(
                    "out",
                    format!("{} is a folder; give a file name", path.display()),
                ));
            }
            if meta.file_type().is_symlink() {
                return Err(Error::invalid_field(
                    "out",
                    format!(
                        "{} is a symbolic link; not writing through it",
                        path.display()
                    ),
                ));
            }
            if !out.replace {
                return Err(Error::io(path, std::io::ErrorKind::AlreadyExists.into()));
            }
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Created so: a private file is never readable by others, even
            // while it is written (the umask may narrow it, never widen it).
            builder.permissions(std::fs::Permissions::from_mode(match mode {
                FileMode::Private => 0o600,
                FileMode::Default => 0o666,
            }));
        }
        let tmp = builder.tempfile_in(&dir).map_err(|e| Error::io(path, e))?;
        match (mode, &existing) {
            (FileMode::Private, _) => make_private_file(tmp.path())?,
            (FileMode::Default, Some(meta)) => {
                std::fs::set_permissions(tmp.path(), meta.permissions())
                    .map_err(|e| Error::io(path, e))?;
            }
            (FileMode::Default, None) => {}
        }
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
            dir,
            replace: out.replace,
        })
    }

    /// The temporary file, to write to.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Write all of `bytes` (an error names the target).
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        std::io::Write::write_all(self.tmp.as_file_mut(), bytes)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Sync the file, rename it into place (failing with `AlreadyExists`,
    /// and leaving the file there untouched, if it may not replace one and
    /// one is there now), then sync the folder.
    pub fn commit(self) -> Result<()> {
        let AtomicFile {
            tmp,
            path,
            dir,
            replace,
        } = self;
        tmp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
        let placed = if replace {
            tmp.persist(&path)
        } else {
            tmp.persist_noclobber(&path)
        };
        placed.map_err(|e| Error::io(&path, e.error))?;
        #[cfg(unix)]
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(&dir, e))?;
        #[cfg(not(unix))]
        let _ = dir;
        Ok(())
    }
}

/// Write `bytes` to `out` whole or not at all (see [`AtomicFile`]).
pub fn write_file(out: OutFile<'_>, mode: FileMode, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(out, mode)?;
    file.write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_whole_or_not_at_all() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("out.json");
        write_file(OutFile::new_only(&path), FileMode::Default, b"first").unwrap();
        write_file(OutFile::replace(&path), FileMode::Default, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");

        // A write that fails midway leaves the old file, and no other.
        let mut half = AtomicFile::create(OutFile::replace(&path), FileMode::Default).unwrap();
        half.write_all(b"thi").unwrap();
        drop(half);
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(names(tmp.path()), ["out.json"]);

        // Until the commit, the target is the old file; a temporary is beside it.
        let mut file = AtomicFile::create(OutFile::replace(&path), FileMode::Default).unwrap();
        file.write_all(b"third").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let during = names(tmp.path());
        assert_eq!(during.len(), 2, "{during:?}");
        assert!(
            during
                .iter()
                .any(|n| n.starts_with(TEMP_PREFIX) && n.ends_with(TEMP_SUFFIX)),
            "{during:?}"
        );
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"third");
        assert_eq!(names(tmp.path()), ["out.json"]);
    }

    #[test]
    fn new_only_never_replaces_even_a_file_that_appears_meanwhile() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("out.json");
        std::fs::write(&path, b"theirs").unwrap();
        let e = write_file(OutFile::new_only(&path), FileMode::Private, b"ours").unwrap_err();
        assert!(
            matches!(&e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists),
            "{e:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"theirs");

        // Checked absent when started, created before the commit: kept.
        std::fs::remove_file(&path).unwrap();
        let mut file = AtomicFile::create(OutFile::new_only(&path), FileMode::Private).unwrap();
        file.write_all(b"ours").unwrap();
        std::fs::write(&path, b"theirs, just now").unwrap();
        let e = file.commit().unwrap_err();
        assert!(
            matches!(&e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists),
            "{e:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"theirs, just now");
        assert_eq!(names(tmp.path()), ["out.json"]);
    }

    #[test]
    fn refuses_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let e = write_file(OutFile::replace(tmp.path()), FileMode::Default, b"x").unwrap_err();
        assert!(e.to_string().contains("is a folder"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symbolic_link_and_leaves_what_it_points_to() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let link = tmp.path().join("out.json");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        for out in [OutFile::replace(&link), OutFile::new_only(&link)] {
            let e = write_file(out, FileMode::Private, b"ours").unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        // A dangling link too.
        std::fs::remove_file(&victim).unwrap();
        assert!(write_file(OutFile::replace(&link), FileMode::Default, b"x").is_err());
        assert!(!victim.exists());
        assert_eq!(names(tmp.path()), ["out.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only_and_others_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("key");
        write_file(OutFile::new_only(&key), FileMode::Private, b"secret").unwrap();
        assert_eq!(mode(&key), 0o600);
        // Replacing a readable file with a private one makes it private.
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_file(OutFile::replace(&key), FileMode::Private, b"secret 2").unwrap();
        assert_eq!(mode(&key), 0o600);

        let settings = tmp.path().join("settings.json");
        std::fs::write(&settings, b"{}").unwrap();
        std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_file(OutFile::replace(&settings), FileMode::Default, b"{ }").unwrap();
        assert_eq!(mode(&settings), 0o640);
        // A new one: as a new file gets (never more than 0666).
        let new = tmp.path().join("new.json");
        write_file(OutFile::new_only(&new), FileMode::Default, b"{}").unwrap();
        let plain = tmp.path().join("plain");
        std::fs::write(&plain, b"{}").unwrap();
        assert_eq!(mode(&new), mode(&plain));
    }
}
