//! The one error type of the core.
//!
//! Every variant has a stable [`Error::code`] that the command line and the
//! desktop app switch on; the `Display` text is for a human and never carries a
//! secret (no passphrase, key, recovery code or decrypted value).

use std::path::PathBuf;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the vault core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The passphrase (or recovery code) does not unwrap the vault key. The
    /// vault header itself is intact, so this is not damage.
    #[error("wrong passphrase")]
    WrongPassphrase,

    /// The recovery code does not unwrap the vault key.
    #[error("wrong recovery code")]
    WrongRecoveryCode,

    /// The vault file is damaged: truncated, not a vault, or its header or a
    /// structure fails its integrity check.
    #[error("the vault is damaged: {0}")]
    Damaged(String),

    /// A sync object read from the store was refused: nothing of it was
    /// applied.
    #[error("sync object {object} was refused: {reason}")]
    SyncRefused {
        /// The object's name in the store.
        object: String,
        /// Why (a `sync::object::Refusal`, said for a person; kept as text
        /// so this base module does not depend on the sync feature).
        reason: String,
    },

    /// A sync object by this name is already in the store; objects are
    /// never replaced.
    #[error("sync object {0} is already in the store")]
    SyncObjectExists(String),

    /// The sync store could not be reached or answered what a store does
    /// not (the reason never holds a credential).
    #[error("the sync store {0}")]
    SyncStore(String),

    /// The sync store refused the credentials (or their rights).
    #[error("the sync store refused access: {0}")]
    SyncStoreDenied(String),

    /// Another device revoked this one: it no longer syncs.
    #[error(
        "this device was revoked by device {0}: it no longer syncs (its vault stays readable here)"
    )]
    SyncDeviceRevoked(String),

    /// This vault has no sync set up yet.
    #[error("sync is not set up for this vault (run `vrm sync setup --target DIR`)")]
    SyncNotSetUp,

    /// One row failed authentication: its ciphertext was altered or moved from
    /// another row. The rest of the vault is still readable.
    #[error("{table} {id} is damaged or was tampered with (its ciphertext does not authenticate)")]
    Tampered {
        /// Table the row lives in (`brands`, `records`).
        table: &'static str,
        /// Id of the damaged row.
        id: String,
    },

    /// The vault was written by a newer version of VRM Vault.
    #[error(
        "the vault uses schema version {found}, but this program knows only up to {supported}; upgrade VRM Vault"
    )]
    NewerSchema {
        /// Schema version stored in the file.
        found: i64,
        /// Newest schema version this build understands.
        supported: i64,
    },

    /// No vault exists at the given location.
    #[error("no vault at {}", .0.display())]
    VaultNotFound(PathBuf),

    /// A vault already exists where a new one was to be created.
    #[error("a vault already exists at {}", .0.display())]
    VaultExists(PathBuf),

    /// The vault is locked; unlock it first.
    #[error("the vault is locked")]
    Locked,

    /// Another process holds the vault open for writing.
    #[error("the vault is busy (another VRM Vault process is writing to it); try again")]
    Busy,

    /// A record id (or prefix) matches no record.
    #[error("no record with id {0}")]
    RecordNotFound(String),

    /// A brand id, id prefix or name matches no brand.
    #[error("no brand {0}")]
    BrandNotFound(String),

    /// A reference (a name, an id prefix or a name prefix) could mean more
    /// than one brand: nothing is picked, since a wrong pick may delete.
    #[error(
        "{reference:?} could mean more than one brand: {}; give the whole name or more of the id",
        .matches.join(", ")
    )]
    BrandAmbiguous {
        /// What was given.
        reference: String,
        /// The brands it could mean, as `name (id prefix)`.
        matches: Vec<String>,
    },

    /// An id prefix matches more than one record.
    #[error(
        "{reference} could mean more than one record: {}; give more of the id",
        .matches.join(", ")
    )]
    RecordAmbiguous {
        /// What was given.
        reference: String,
        /// Ids of (some of) the records it matches.
        matches: Vec<String>,
    },

    /// A brand with this name already exists.
    #[error("a brand named {0:?} already exists")]
    BrandExists(String),

    /// A value given by the user is not acceptable.
    ///
    /// `field` names the value the message is about, so that a form can show
    /// the message beside it. See [`Error::field`] for how fields are named.
    #[error("{reason}")]
    Invalid {
        /// The value at fault, named as the person gives it; `None` when the
        /// check is about the input as a whole (or the state of things), not
        /// one value.
        field: Option<String>,
        /// What is wrong, for a human: the whole message.
        reason: String,
    },

    /// A row of an import file is bad; nothing was imported.
    #[error("{file}:{line}: {reason}")]
    ImportRow {
        /// The file being imported (as given).
        file: String,
        /// 1-based line number of the bad row.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// An import file is not in a format we read.
    #[error("{file}: {reason}")]
    ImportFormat {
        /// The file being imported (as given).
        file: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An age-encrypted export could not be read.
    #[error("cannot open the backup: {0}")]
    Backup(String),

    /// The backup passphrase or identity does not open the backup.
    #[error("the backup passphrase or identity does not open this backup")]
    BackupWrongKey,

    /// Reading or writing a file failed.
    #[error("{}: {}", .path.display(), io_text(.source))]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// SQLite reported an error that is not damage.
    #[error("database error: {0}")]
    Database(String),

    /// The activity log fails its check: an entry was altered, removed or
    /// reordered.
    #[error("the activity log is broken: {0}")]
    AuditBroken(String),

    /// The vault as a whole is not the one its manifest or this machine
    /// last saw (an older copy, a removed manifest, a changed header): it
    /// reads, but writes wait until the person accepts it as it is.
    #[error(
        "{0}; nothing was changed. See `vrm integrity`, and run `vrm integrity accept` \
         if you restored this copy on purpose"
    )]
    IntegrityHold(String),

    /// No terms version with this id.
    #[error("no terms version {0}")]
    TermsNotFound(String),

    /// No share with this id.
    #[error("no share {0}")]
    ShareNotFound(String),

    /// No data-rights request with this id.
    #[error("no rights request {0}")]
    RequestNotFound(String),

    /// A document is signed by a key the vault does not know for its brand.
    #[error("{0}")]
    UnknownSigner(String),

    /// A `did:key` (or a key in multibase form) is not a well-formed Ed25519
    /// key.
    #[error("not a valid Ed25519 did:key: {0}")]
    Did(String),

    /// A signed document is malformed: not JSON, too large, or missing or
    /// misusing a field the format requires.
    #[error("the document is not valid: {0}")]
    Document(String),

    /// A signed document's proof does not verify: it was altered after
    /// signing, or was not signed by the key it names.
    #[error("the signature does not verify: {0}")]
    Signature(String),

    /// A signed document (or its proof) is past its end of validity.
    #[error("the document has expired: {0}")]
    Expired(String),

    /// A signed document is not valid yet.
    #[error("the document is not valid yet: {0}")]
    NotYetValid(String),

    /// A share bundle (an age file from or for a brand) is malformed, damaged
    /// or truncated, or uses an age feature we do not read.
    #[error("cannot open the bundle: {0}")]
    Bundle(String),

    /// No identity given (or not the passphrase given) opens the bundle. The
    /// reason says which, e.g. that it wants a passphrase, not an identity.
    #[error("{0}")]
    BundleWrongKey(&'static str),

    /// Input is over one of the limits we put on foreign data.
    #[error("too large: more than {limit} {what}")]
    TooLarge {
        /// What was counted, with its unit (`bytes of bundle input`, `recipient stanzas`).
        what: &'static str,
        /// The limit that was exceeded.
        limit: u64,
    },

    /// A file from outside the vault is larger than
    /// [`MAX_FOREIGN_FILE_BYTES`](crate::proof::MAX_FOREIGN_FILE_BYTES): it
    /// is not read (see [`read_foreign_file`](crate::proof::read_foreign_file)).
    #[error("{}: the file is too large", .path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },

    /// A document with this id was received before (a replay).
    #[error("{0}")]
    Replay(String),

    /// A different document with this id was received before: not a
    /// repeat, and not to be taken for one.
    #[error("{0}")]
    IdTaken(String),

    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,

    /// No discovery proposal with this id (or it was already accepted or
    /// ignored).
    #[error("no proposal {0}")]
    ProposalNotFound(String),

    /// A mail source could not be read as a whole (not an mbox, a folder
    /// that is not a Maildir…). One bad message is never this: it is
    /// skipped and counted.
    #[error("{0}")]
    MailSource(String),

    /// The IMAP server could not be reached, refused the connection's
    /// security, or broke the protocol. Never carries the password.
    #[error("IMAP: {0}")]
    Imap(String),

    /// The IMAP server refused the user name and password.
    #[error("the IMAP server refused the user name or password")]
    ImapLogin,

    /// A Nostr relay could not be reached, broke the protocol or dropped
    /// the connection. Per relay: the others are still used.
    #[error("relay {relay}: {reason}")]
    Relay {
        /// The relay's URL.
        relay: String,
        /// What went wrong.
        reason: String,
    },

    /// An event from a relay was refused: a bad signature, an id that is not
    /// its hash, too large, outside what was asked for, a credential in it
    /// that does not verify or does not match the event.
    #[error("refused event: {0}")]
    RelayEvent(String),

    /// The operation was cancelled by the person; what was committed before
    /// stays.
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// A stable, machine-readable code for the UI and for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongPassphrase => "vault.wrong_passphrase",
            Error::WrongRecoveryCode => "vault.wrong_recovery_code",
            Error::Damaged(_) => "vault.damaged",
            Error::Tampered { .. } => "vault.tampered",
            Error::SyncRefused { .. } => "sync.refused",
            Error::SyncObjectExists(_) => "sync.object_exists",
            Error::SyncNotSetUp => "sync.not_set_up",
            Error::SyncStore(_) => "sync.store",
            Error::SyncDeviceRevoked(_) => "sync.device_revoked",
            Error::SyncStoreDenied(_) => "sync.store_denied",
            Error::NewerSchema { .. } => "vault.newer_schema",
            Error::VaultNotFound(_) => "vault.not_found",
            Error::VaultExists(_) => "vault.exists",
            Error::Locked => "vault.locked",
            Error::Busy => "vault.busy",
            Error::RecordNotFound(_) => "record.not_found",
            Error::RecordAmbiguous { .. } => "record.ambiguous",
            Error::BrandNotFound(_) => "brand.not_found",
            Error::BrandAmbiguous { .. } => "brand.ambiguous",
            Error::BrandExists(_) => "brand.exists",
            Error::Invalid { .. } => "input.invalid",
            Error::ImportRow { .. } => "import.bad_row",
            Error::ImportFormat { .. } => "import.bad_format",
            Error::Backup(_) => "backup.unreadable",
            Error::BackupWrongKey => "backup.wrong_key",
            Error::Io { .. } => "io",
            Error::Database(_) => "vault.database",
            Error::AuditBroken(_) => "audit.broken",
            Error::IntegrityHold(_) => "vault.integrity_hold",
            Error::TermsNotFound(_) => "terms.not_found",
            Error::ShareNotFound(_) => "share.not_found",
            Error::RequestNotFound(_) => "rights.not_found",
            Error::UnknownSigner(_) => "document.unknown_signer",
            Error::Did(_) => "did.invalid",
            Error::Document(_) => "document.invalid",
            Error::Signature(_) => "document.bad_signature",
            Error::Expired(_) => "document.expired",
            Error::NotYetValid(_) => "document.not_yet_valid",
            Error::Bundle(_) => "bundle.unreadable",
            Error::BundleWrongKey(_) => "bundle.wrong_key",
            Error::TooLarge { .. } | Error::FileTooLarge { .. } => "input.too_large",
            Error::Replay(_) => "intake.replay",
            Error::IdTaken(_) => "intake.id_taken",
            Error::Random => "crypto.random",
            Error::ProposalNotFound(_) => "discover.not_found",
            Error::MailSource(_) => "discover.bad_source",
            Error::Imap(_) => "imap.failed",
            Error::ImapLogin => "imap.login",
            Error::Relay { .. } => "relay.failed",
            Error::RelayEvent(_) => "relay.bad_event",
            Error::Cancelled => "cancelled",
        }
    }

    /// True for errors that mean "the secret given was wrong" (exit status 3).
    pub fn is_wrong_secret(&self) -> bool {
        matches!(
            self,
            Error::WrongPassphrase
                | Error::WrongRecoveryCode
                | Error::BackupWrongKey
                | Error::BundleWrongKey(_)
                | Error::ImapLogin
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The input value this error is about, if it is about one; `None` for
    /// every other error, and for an [`Error::Invalid`] about the whole input.
    ///
    /// Fields are named as the person gives the value:
    ///
    /// - a `vrm` option's name without its dashes, `-` written `_`
    ///   (`name`, `domain`, `age_recipient`, `budget_max`, `currency`,
    ///   `expires`, `purpose`, `brand`, `fields`, `reason`, `passphrase`,
    ///   `recipient`, `out`); these are also the keys of the app's input types
    ///   ([`crate::BrandInput`], [`crate::intent::IntentInput`]…), except
    ///   `expires`, which those call `expires_at`;
    /// - one field of a record: `fields.<name>` (`fields.email`); the record's
    ///   fields as a whole (none, too many, a bad field name): `fields`; its
    ///   `tags`; its `kind`;
    /// - a clause of terms: its key in the terms document, as `vrm terms new
    ///   --set` takes it (`retentionDays`, `contact.maxContacts`,
    ///   `jurisdiction`, `prose`), and the terms' `title` and `template`.
    /// - an S3 store to sync through: `target`, `endpoint`, `region` (as
    ///   `vrm sync setup` takes them), `access_key` and `secret_key` (the
    ///   keys themselves, which `vrm` reads from files), as
    ///   [`crate::sync::store::S3Form`] names them.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// An [`Error::Invalid`] about the input as a whole (or the state of
    /// things, such as an intent withdrawn already), not one value.
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: None,
            reason: reason.into(),
        }
    }

    /// This error as about `field`, if it is an [`Error::Invalid`]: for a
    /// check that does not know which value it is given (an amount may be a
    /// budget or a price). Every other error is returned as it is.
    pub(crate) fn for_field(self, field: &str) -> Self {
        match self {
            Error::Invalid { reason, .. } => Error::invalid_field(field, reason),
            other => other,
        }
    }

    /// An [`Error::Invalid`] about one value, named as [`Error::field`] says.
    pub(crate) fn invalid_field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: Some(field.into()),
            reason: reason.into(),
        }
    }
}

/// An I/O error's text without the path tempfile appends to its errors
/// (` at path "/dir/.tmpXXXX"`): [`Error::Io`] names the path already, and
/// the temporary file's name means nothing to the person.
fn io_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" at path \"") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt) | Some(ErrorCode::NotADatabase) => {
                Error::Damaged("the database file is damaged or truncated".into())
            }
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => Error::Busy,
            // A schema format number SQLite does not know: a damaged header
            // field of the file (we only ever write format 4).
            _ if e.to_string().contains("unsupported file format") => {
                Error::Damaged("the database file's header is damaged".into())
            }
            // SQLite messages name tables and constraints, never bound values,
            // so they are safe to show.
            _ => Error::Database(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_value_names_its_field_and_shows_only_its_reason() {
        let e = Error::invalid_field("currency", "\"EURO\" is not a currency code");
        assert_eq!(e.field(), Some("currency"));
        assert_eq!(e.code(), "input.invalid");
        assert_eq!(e.to_string(), "\"EURO\" is not a currency code");

        let whole = Error::invalid("nothing to change");
        assert_eq!(whole.field(), None);
        assert_eq!(whole.code(), "input.invalid");
        assert_eq!(whole.to_string(), "nothing to change");

        assert_eq!(Error::BrandNotFound("x".into()).field(), None);
    }

    #[test]
    fn for_field_names_the_field_of_an_invalid_value_only() {
        let e = Error::invalid("\"x\" is not an amount").for_field("budget_max");
        assert_eq!(e.field(), Some("budget_max"));
        assert_eq!(e.to_string(), "\"x\" is not an amount");
        let e = Error::invalid_field("a", "r").for_field("b");
        assert_eq!(e.field(), Some("b"));
        let other = Error::Locked.for_field("passphrase");
        assert!(matches!(other, Error::Locked));
        assert_eq!(other.field(), None);
    }
}
