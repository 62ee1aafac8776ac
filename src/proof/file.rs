//! Documents crossing the vault's border as files: what a brand sent is read
//! under the one size limit for foreign files; what goes to a brand is
//! written whole or not at all.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};

/// The largest file read from outside the vault, in bytes (64 MiB): a
/// brand's signed document or answer, an offer (plain or in an age file), a
/// share bundle, a document to verify. Both shells read every such file
/// through [`read_foreign_file`], so one limit and one error apply
/// everywhere. What the bytes hold is bounded again when it is parsed:
/// [`MAX_DOCUMENT_BYTES`](super::MAX_DOCUMENT_BYTES) for a signed document,
/// [`OpenLimits`](crate::crypto::bundle::OpenLimits) for an age file (whose
/// default input limit is this same size, the largest bundle a vault writes
/// and opens).
pub const MAX_FOREIGN_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Read a file from outside the vault whole, refusing one larger than
/// [`MAX_FOREIGN_FILE_BYTES`] before reading it (and one that grows past it
/// while being read).
///
/// Errors: [`Error::FileTooLarge`] (`input.too_large`) when it is too large,
/// [`Error::Io`] when it cannot be read.
pub fn read_foreign_file(path: &Path) -> Result<Vec<u8>> {
    let too_large = || Error::FileTooLarge {
        path: path.to_path_buf(),
        limit: MAX_FOREIGN_FILE_BYTES,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > MAX_FOREIGN_FILE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_FOREIGN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_FOREIGN_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A file for a brand on its way to `out`: a temporary file beside it,
/// readable by its owner only. Made before the operation that produces what
/// it will hold, so an unwritable place fails before anything is decided;
/// [`Outgoing::place`] renames it over `out` (a file there is replaced);
/// dropped unplaced, it leaves nothing behind.
#[derive(Debug)]
pub(crate) struct Outgoing {
    tmp: tempfile::NamedTempFile,
    out: PathBuf,
}

impl Outgoing {
    /// Prepare to write `out`. Refuses a folder.
    pub(crate) fn new(out: &Path) -> Result<Outgoing> {
        if out.is_dir() {
            return Err(Error::invalid(format!(
                "{} is a folder; give a file name",
                out.display()
            )));
        }
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".vrm-out-")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(&dir, e))?;
        Ok(Outgoing {
            tmp,
            out: out.to_path_buf(),
        })
    }

    /// Write `bytes` into the temporary file and sync it (not placed yet).
    pub(crate) fn write(mut self, bytes: &[u8]) -> Result<Outgoing> {
        self.tmp
            .write_all(bytes)
            .map_err(|e| Error::io(&self.out, e))?;
        self.tmp
            .as_file()
            .sync_all()
            .map_err(|e| Error::io(&self.out, e))?;
        Ok(self)
    }

    /// Put the written file at its place.
    pub(crate) fn place(self) -> Result<()> {
        let out = self.out;
        self.tmp
            .persist(&out)
            .map(drop)
            .map_err(|e| Error::io(&out, e.error))
    }

    /// Write a signed document as pretty JSON (as both shells always have)
    /// and put it at its place.
    pub(crate) fn place_document(self, doc: &Value) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(doc).map_err(|e| Error::Database(e.to_string()))?;
        self.write(&bytes)?.place()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_file_is_read_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.json");
        std::fs::write(&ok, b"{}").unwrap();
        assert_eq!(read_foreign_file(&ok).unwrap(), b"{}");

        let big = dir.path().join("big.age");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_FOREIGN_FILE_BYTES + 1).unwrap();
        let err = read_foreign_file(&big).unwrap_err();
        assert_eq!(err.code(), "input.too_large");
        assert_eq!(
            err.to_string(),
            format!("{}: the file is too large", big.display())
        );

        let missing = read_foreign_file(&dir.path().join("none")).unwrap_err();
        assert_eq!(missing.code(), "io");
    }

    #[test]
    fn the_limit_is_the_largest_bundle_opened() {
        assert_eq!(
            crate::crypto::bundle::OpenLimits::default().max_input_bytes,
            MAX_FOREIGN_FILE_BYTES
        );
        assert!(MAX_FOREIGN_FILE_BYTES >= super::super::MAX_DOCUMENT_BYTES as u64);
    }

    #[test]
    fn an_outgoing_file_appears_only_when_placed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("doc.json");
        drop(Outgoing::new(&out).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        Outgoing::new(&out)
            .unwrap()
            .place_document(&serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\n  \"a\": 1\n}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        let err = Outgoing::new(dir.path()).unwrap_err();
        assert_eq!(err.code(), "input.invalid");
        let err = Outgoing::new(&dir.path().join("no/such/dir/x.json")).unwrap_err();
        assert_eq!(err.code(), "io");
    }
}
