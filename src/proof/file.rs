//! Documents crossing the vault's border as files: what a brand sent is read
//! under the one size limit for foreign files. (What goes to a brand is
//! written by the feature that makes it, whole or not at all.)

use std::io::Read;
use std::path::Path;

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

/// A signed document as both shells write it to a file: pretty JSON.
pub(crate) fn pretty_json(doc: &serde_json::Value) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(doc).map_err(|e| Error::Database(e.to_string()))
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
}
