//! The vault: create, open, unlock, change the passphrase, recover; and the
//! brands and records inside, sealed row by row.
//!
//! Start at [`Vault::create`] and [`Vault::open`] → [`LockedVault::unlock`].
//! An unlocked [`Vault`] keeps its keys in zeroizing memory; dropping it
//! locks it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::audit::AuditAction;
use crate::crypto::{self, Cipher, KEY_LEN, KdfParams, RecoveryCode, SecretKey};
use crate::error::{Error, Result};
use crate::model::{
    Brand, BrandInput, NewRecord, Record, RecordFilter, RecordKind, RecordPatch, RecordView,
    check_fields, check_tags,
};
use crate::search::SearchIndex;
use crate::store::{self, SealedRow, Table};

/// File name of the database inside a vault folder.
pub const DB_FILE: &str = "vault.db";
const FORMAT: &str = "vrm-vault";
const FORMAT_VERSION: u32 = 1;
const CHECK_PLAINTEXT: &[u8] = b"vrm-vault check value v1";
/// Shortest id prefix accepted in place of a full id.
pub const MIN_ID_PREFIX: usize = 4;

/// The platform's per-user data folder for the default vault
/// (`~/.local/share/vrm-vault` on Linux).
pub fn default_vault_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "VRM Vault", "vrm-vault").map(|d| d.data_dir().into())
}

/// The vault header: everything needed to unlock, stored as JSON beside its
/// SHA-256 digest (so damage is told apart from a wrong passphrase).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
    vault_id: String,
    created_at: DateTime<Utc>,
    kdf: KdfParams,
    /// Vault key sealed under the passphrase KEK, base64.
    wrapped_by_passphrase: String,
    /// Vault key sealed under the recovery-code key, base64.
    wrapped_by_recovery: String,
    /// A known value sealed under the data key, base64.
    check: String,
}

impl Header {
    fn encode(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        let body = serde_json::to_vec(self).map_err(|e| Error::Database(e.to_string()))?;
        let digest = crypto::sha256(&body).to_vec();
        Ok((body, digest))
    }

    fn decode(body: &[u8], digest: &[u8]) -> Result<Self> {
        // The digest is over public data: it detects damage, not forgery.
        if crypto::sha256(body).as_slice() != digest {
            return Err(Error::Corrupt(
                "the vault header fails its integrity check".into(),
            ));
        }
        let header: Header = serde_json::from_slice(body)
            .map_err(|_| Error::Corrupt("the vault header cannot be parsed".into()))?;
        if header.format != FORMAT {
            return Err(Error::Corrupt("this is not a VRM Vault file".into()));
        }
        if header.format_version > FORMAT_VERSION {
            return Err(Error::NewerSchema {
                found: header.format_version.into(),
                supported: FORMAT_VERSION.into(),
            });
        }
        Ok(header)
    }

    fn wrap_aad(&self, what: &str) -> Vec<u8> {
        format!("vrm-vault v1 wrap {what}\0{}", self.vault_id).into_bytes()
    }

    fn check_aad(&self) -> Vec<u8> {
        format!("vrm-vault v1 check\0{}", self.vault_id).into_bytes()
    }

    fn set_passphrase(
        &mut self,
        vault_key: &SecretKey,
        passphrase: &SecretString,
        kdf: KdfParams,
    ) -> Result<()> {
        let kek = crypto::derive_kek(passphrase, &kdf)?;
        self.kdf = kdf;
        let sealed = Cipher::new(&kek).seal(
            &self.wrap_aad("passphrase"),
            vault_key.expose_secret_bytes(),
        )?;
        self.wrapped_by_passphrase = b64(&sealed);
        Ok(())
    }

    fn set_recovery(&mut self, vault_key: &SecretKey) -> Result<RecoveryCode> {
        let code = RecoveryCode::generate()?;
        let key = code.wrapping_key(&self.vault_id)?;
        let sealed =
            Cipher::new(&key).seal(&self.wrap_aad("recovery"), vault_key.expose_secret_bytes())?;
        self.wrapped_by_recovery = b64(&sealed);
        Ok(code)
    }
}

fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64.encode(bytes)
}

fn unb64(s: &str, what: &str) -> Result<Vec<u8>> {
    data_encoding::BASE64
        .decode(s.as_bytes())
        .map_err(|_| Error::Corrupt(format!("the vault header's {what} is not base64")))
}

fn unwrap_key(
    wrapping: &SecretKey,
    aad: &[u8],
    sealed_b64: &str,
    what: &str,
) -> Result<Option<SecretKey>> {
    let sealed = unb64(sealed_b64, what)?;
    let Some(opened) = Cipher::new(wrapping).open(aad, &sealed) else {
        return Ok(None);
    };
    let bytes: [u8; KEY_LEN] = opened
        .as_slice()
        .try_into()
        .map_err(|_| Error::Corrupt(format!("the {what} has the wrong length")))?;
    Ok(Some(SecretKey::from_bytes(Zeroizing::new(bytes))))
}

/// A vault whose file is open and whose header checks out, not yet unlocked.
#[derive(Debug)]
pub struct LockedVault {
    dir: PathBuf,
    conn: Connection,
    header: Header,
}

impl LockedVault {
    /// The vault folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Run the passphrase KDF (the slow part of unlocking).
    pub fn derive_kek(&self, passphrase: &SecretString) -> Result<SecretKey> {
        crypto::derive_kek(passphrase, &self.header.kdf)
    }

    /// Unlock with a passphrase.
    pub fn unlock(self, passphrase: &SecretString) -> Result<Vault> {
        let kek = self.derive_kek(passphrase)?;
        self.unlock_with_kek(&kek)
    }

    /// Unlock with an already derived key-encryption key (everything in
    /// unlocking but the KDF).
    pub fn unlock_with_kek(self, kek: &SecretKey) -> Result<Vault> {
        let aad = self.header.wrap_aad("passphrase");
        let vault_key = unwrap_key(kek, &aad, &self.header.wrapped_by_passphrase, "wrapped key")?
            .ok_or(Error::WrongPassphrase)?;
        self.into_vault(vault_key)
    }

    /// Unlock with the recovery code, set a new passphrase and issue a new
    /// recovery code (the old one stops working, since it has been typed).
    pub fn recover(
        self,
        code: &RecoveryCode,
        new_passphrase: &SecretString,
        kdf: KdfParams,
    ) -> Result<(Vault, RecoveryCode)> {
        let key = code.wrapping_key(&self.header.vault_id)?;
        let aad = self.header.wrap_aad("recovery");
        let vault_key = unwrap_key(
            &key,
            &aad,
            &self.header.wrapped_by_recovery,
            "recovery wrap",
        )?
        .ok_or(Error::WrongRecoveryCode)?;
        let mut vault = self.into_vault(vault_key)?;
        let mut header = vault.header.clone();
        header.set_passphrase(&vault.vault_key, new_passphrase, kdf)?;
        let new_code = header.set_recovery(&vault.vault_key)?;
        vault.write_header(header)?;
        Ok((vault, new_code))
    }

    fn into_vault(self, vault_key: SecretKey) -> Result<Vault> {
        let data = Cipher::new(&vault_key.derive(b"row data"));
        let check = unb64(&self.header.check, "check value")?;
        match data.open(&self.header.check_aad(), &check) {
            Some(v) if v.as_slice() == CHECK_PLAINTEXT => {}
            _ => {
                return Err(Error::Corrupt(
                    "the vault key does not match this vault's data (check value fails)".into(),
                ));
            }
        }
        // Schema changes happen only once the passphrase is proven.
        store::migrate(&self.conn)?;
        Ok(Vault {
            data_version: store::data_version(&self.conn)?,
            dir: self.dir,
            conn: self.conn,
            header: self.header,
            vault_key,
            data,
            brands: None,
            damaged_brands: Vec::new(),
            records: RecordCache::default(),
            wal_residue: Default::default(),
        })
    }
}

/// What the vault has decrypted of its records. Each part is built when
/// first needed: unlocking builds none of them, searching builds the index
/// (straight from the decrypted JSON, without building `Record`s) and
/// listing builds every `Record`. Either pass also finds the damaged rows.
#[derive(Default)]
struct RecordCache {
    /// Every record that opened ([`Vault::load_records`]).
    by_id: Option<HashMap<String, Record>>,
    /// Ids of the rows that did not. Known once either pass has run.
    damaged: Option<Vec<String>>,
    index: Option<SearchIndex<IndexKey>>,
}

impl Drop for RecordCache {
    fn drop(&mut self) {
        for r in self.by_id.iter_mut().flat_map(HashMap::values_mut) {
            wipe_record(r);
        }
    }
}

fn wipe_record(r: &mut Record) {
    use zeroize::Zeroize;
    for v in r.fields.values_mut() {
        v.zeroize();
    }
    for t in r.tags.iter_mut() {
        t.zeroize();
    }
}

fn wipe_brand(b: &mut Brand) {
    use zeroize::Zeroize;
    b.name.zeroize();
    for v in [&mut b.domain, &mut b.contact, &mut b.notes, &mut b.inbox]
        .into_iter()
        .flatten()
    {
        v.zeroize();
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Hit {
    /// A brand matched.
    Brand(String),
    /// A record matched.
    Record(String),
}

/// A search result with its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SearchItem {
    /// A brand matched.
    Brand {
        /// The brand.
        brand: Brand,
    },
    /// A record matched.
    Record {
        /// The record.
        record: Record,
    },
}

/// A brand with its whole timeline of records, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BrandPage {
    /// The brand.
    pub brand: Brand,
    /// Its records across every kind and channel, newest first.
    pub records: Vec<Record>,
}

/// Summary figures of an unlocked vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VaultInfo {
    /// The vault folder.
    pub dir: PathBuf,
    /// Random id of this vault.
    pub vault_id: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Number of brands.
    pub brands: usize,
    /// Number of records.
    pub records: usize,
    /// Argon2id memory, KiB.
    pub kdf_m_kib: u32,
    /// Argon2id passes.
    pub kdf_t: u32,
}

/// A document as it travels in a backup: its kind, id, brand and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedDocument {
    /// `terms`, `share`, `identity`, …
    pub kind: String,
    /// Its id.
    pub id: String,
    /// The brand it belongs to.
    #[serde(default)]
    pub brand: Option<String>,
    /// Its value, as the vault keeps it.
    pub value: serde_json::Value,
}

/// An unlocked vault. Dropping it locks it: the keys are zeroized, and so are
/// the decrypted values it cached (copies handed to callers are theirs).
pub struct Vault {
    dir: PathBuf,
    conn: Connection,
    header: Header,
    vault_key: SecretKey,
    data: Cipher,
    brands: Option<BTreeMap<String, Brand>>,
    damaged_brands: Vec<String>,
    records: RecordCache,
    /// [`store::data_version`] when the caches were last known fresh.
    data_version: i64,
    /// A delete or rewrite whose old pages are still in the WAL, because
    /// another program held a read open when it was checkpointed.
    wal_residue: std::sync::atomic::AtomicBool,
}

/// Names the folder only: a derived `Debug` would print every decrypted
/// brand, record and the search index's plaintext (in a panic message, say).
impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        if self.wal_residue_pending() {
            // One more try, without waiting: SQLite also checkpoints when the
            // last connection closes, which may be the other program's.
            let _ = self.conn.busy_timeout(std::time::Duration::ZERO);
            let _ = store::checkpoint_truncate(&self.conn);
        }
        if let Some(brands) = self.brands.as_mut() {
            brands.values_mut().for_each(wipe_brand);
        }
    }
}

impl Vault {
    /// Create a new vault in `dir` (created if missing, mode 0700 on Unix),
    /// protected by `passphrase` with the given KDF parameters. Returns the
    /// vault and its recovery code, which the caller shows once.
    ///
    /// Of two processes creating a vault in one folder at once, exactly one
    /// succeeds; the other gets [`Error::VaultExists`] and changes nothing.
    pub fn create(
        dir: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
    ) -> Result<(Vault, RecoveryCode)> {
        Self::create_with(dir, passphrase, kdf, |_| Ok(())).map(|(vault, code, ())| (vault, code))
    }

    /// [`Vault::create`], filled by `populate` before anyone else can see it
    /// (a restore). The file is built under a temporary name and linked into
    /// place only when complete, which fails if a vault appeared there in the
    /// meantime: so a failed `populate` leaves nothing behind, and a vault
    /// that exists is never replaced.
    pub fn create_with<T>(
        dir: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
        populate: impl FnOnce(&mut Vault) -> Result<T>,
    ) -> Result<(Vault, RecoveryCode, T)> {
        check_new_passphrase(passphrase)?;
        let db = dir.join(DB_FILE);
        if db.exists() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        prepare_vault_dir(dir)?;
        let vault_key = SecretKey::generate()?;
        let mut header = Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            vault_id: uuid::Uuid::new_v4().to_string(),
            created_at: Utc::now(),
            kdf: kdf.clone(),
            wrapped_by_passphrase: String::new(),
            wrapped_by_recovery: String::new(),
            check: String::new(),
        };
        header.set_passphrase(&vault_key, passphrase, kdf)?;
        let code = header.set_recovery(&vault_key)?;
        let data = Cipher::new(&vault_key.derive(b"row data"));
        header.check = b64(&data.seal(&header.check_aad(), CHECK_PLAINTEXT)?);
        let (body, digest) = header.encode()?;

        // A name of this process's own: two creators never share a file.
        let tmp = dir.join(format!(
            "{CREATING_PREFIX}{}",
            uuid::Uuid::new_v4().simple()
        ));
        let remove_tmp = || {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = tmp.clone().into_os_string();
                name.push(suffix);
                let _ = std::fs::remove_file(name);
            }
        };
        let built = (|| {
            std::fs::File::create_new(&tmp).map_err(|e| Error::io(&tmp, e))?;
            make_private_file(&tmp)?;
            let conn = store::open(&tmp, true)?;
            store::create_schema(&conn)?;
            store::write_header(&conn, &body, &digest)?;
            let mut vault = Vault {
                dir: dir.to_path_buf(),
                data_version: store::data_version(&conn)?,
                conn,
                header,
                vault_key,
                data,
                brands: Some(BTreeMap::new()),
                damaged_brands: Vec::new(),
                records: RecordCache {
                    by_id: Some(HashMap::new()),
                    damaged: Some(Vec::new()),
                    index: None,
                },
                wal_residue: Default::default(),
            };
            let out = populate(&mut vault)?;
            // Fold the WAL into the file, so the file alone is the vault.
            vault.conn.pragma_update(None, "journal_mode", "DELETE")?;
            let conn = std::mem::replace(&mut vault.conn, Connection::open_in_memory()?);
            conn.close().map_err(|(_, e)| Error::from(e))?;
            Ok((vault, out))
        })();
        let (mut vault, out) = match built {
            Ok(built) => built,
            Err(e) => {
                remove_tmp();
                return Err(e);
            }
        };
        let placed = link_new(&tmp, &db);
        remove_tmp();
        match placed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::VaultExists(dir.to_path_buf()));
            }
            Err(e) => return Err(Error::io(&db, e)),
        }
        sync_dir(dir);
        vault.conn = store::open(&db, false)?;
        vault.data_version = store::data_version(&vault.conn)?;
        Ok((vault, code, out))
    }

    /// Open the vault in `dir` and check its header, without unlocking it.
    /// Nothing is written.
    pub fn open(dir: &Path) -> Result<LockedVault> {
        let db = dir.join(DB_FILE);
        let meta = std::fs::metadata(&db).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::VaultNotFound(dir.to_path_buf()),
            _ => Error::io(&db, e),
        })?;
        if meta.len() < 512 {
            return Err(Error::Corrupt(format!(
                "{} is truncated ({} bytes)",
                db.display(),
                meta.len()
            )));
        }
        let conn = store::open(&db, false)?;
        let version = store::schema_version(&conn)?;
        if version == 0 {
            return Err(Error::Corrupt("this is not a VRM Vault file".into()));
        }
        if version > store::SCHEMA_VERSION {
            return Err(Error::NewerSchema {
                found: version,
                supported: store::SCHEMA_VERSION,
            });
        }
        store::check_schema(&conn, version)?;
        let (body, digest) = store::read_header(&conn)?;
        let header = Header::decode(&body, &digest)?;
        Ok(LockedVault {
            dir: dir.to_path_buf(),
            conn,
            header,
        })
    }

    /// Whether a new vault may be created in `dir` (missing, or an empty
    /// folder), checked before asking for a passphrase; changes nothing.
    /// [`Vault::create`] checks again.
    pub fn check_new_location(dir: &Path) -> Result<()> {
        check_vault_dir(dir).map(|_| ())
    }

    /// Whether a vault exists in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).exists()
    }

    /// The vault folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Counts and parameters, for a status line.
    pub fn info(&self) -> Result<VaultInfo> {
        let (brands, records) = store::counts(&self.conn)?;
        Ok(VaultInfo {
            dir: self.dir.clone(),
            vault_id: self.header.vault_id.clone(),
            created_at: self.header.created_at,
            brands,
            records,
            kdf_m_kib: self.header.kdf.m_kib,
            kdf_t: self.header.kdf.t,
        })
    }

    /// Change the passphrase: re-wraps the vault key; no data is re-encrypted.
    pub fn change_passphrase(
        &mut self,
        new_passphrase: &SecretString,
        kdf: KdfParams,
    ) -> Result<()> {
        check_new_passphrase(new_passphrase)?;
        let mut header = self.header.clone();
        header.set_passphrase(&self.vault_key, new_passphrase, kdf)?;
        self.write_header(header)
    }

    fn write_header(&mut self, header: Header) -> Result<()> {
        let (body, digest) = header.encode()?;
        store::write_header(&self.conn, &body, &digest)?;
        // The old wrap must not linger in the WAL once it is replaced.
        self.purge_wal()?;
        self.header = header;
        Ok(())
    }

    /// Run SQLite's structural check over the whole file.
    pub fn check_integrity(&self) -> Result<()> {
        store::quick_check(&self.conn)
    }

    // ---- sealing ---------------------------------------------------------

    fn aad(table: Table, id: &str, version: i64, brand_id: Option<&str>) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        Self::aad_into(&mut aad, table, id, version, brand_id);
        aad
    }

    /// [`Vault::aad`] into a buffer that is cleared first (and can be reused).
    fn aad_into(aad: &mut Vec<u8>, table: Table, id: &str, version: i64, brand_id: Option<&str>) {
        use std::io::Write;
        aad.clear();
        aad.extend_from_slice(b"vrm-vault/1\0");
        aad.extend_from_slice(table.name().as_bytes());
        aad.push(0);
        aad.extend_from_slice(id.as_bytes());
        aad.push(0);
        let _ = write!(aad, "{version}");
        aad.push(0);
        aad.extend_from_slice(brand_id.unwrap_or("").as_bytes());
    }

    fn seal<T: Serialize>(
        &self,
        table: Table,
        id: &str,
        version: i64,
        brand_id: Option<&str>,
        value: &T,
    ) -> Result<SealedRow> {
        let plain =
            Zeroizing::new(serde_json::to_vec(value).map_err(|e| Error::Database(e.to_string()))?);
        let body = self
            .data
            .seal(&Self::aad(table, id, version, brand_id), &plain)?;
        Ok(SealedRow {
            id: id.to_string(),
            brand_id: brand_id.map(str::to_string),
            version,
            body,
        })
    }

    fn open_row<T: for<'de> Deserialize<'de>>(&self, table: Table, row: &SealedRow) -> Result<T> {
        let tampered = || Error::Tampered {
            table: table.name(),
            id: row.id.clone(),
        };
        let plain = self
            .data
            .open(
                &Self::aad(table, &row.id, row.version, row.brand_id.as_deref()),
                &row.body,
            )
            .ok_or_else(tampered)?;
        serde_json::from_slice(&plain).map_err(|_| tampered())
    }

    fn open_brand(&self, row: &SealedRow) -> Result<Brand> {
        let mut b: Brand = self.open_row(Table::Brands, row)?;
        b.id = row.id.clone();
        Ok(b)
    }

    fn open_record(&self, row: &SealedRow) -> Result<Record> {
        let mut r: Record = self.open_row(Table::Records, row)?;
        r.id = row.id.clone();
        r.brand = row.brand_id.clone();
        Ok(r)
    }

    // ---- documents (terms, shares, requests…) ------------------------------

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// After a delete or rewrite: checkpoint the WAL so the old pages (and
    /// the ciphertext of what was deleted) leave it. If another program's
    /// open read keeps them there, [`Vault::wal_residue_pending`] says so
    /// until a later checkpoint (on the next such write, or on close)
    /// succeeds.
    pub(crate) fn purge_wal(&self) -> Result<()> {
        let done = store::checkpoint_truncate(&self.conn)?;
        self.wal_residue
            .store(!done, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Begin a write transaction holding the write lock from the start (see
    /// [`store::write_tx`]): what it reads stays true until it commits.
    pub(crate) fn write_tx(&self) -> Result<rusqlite::Transaction<'_>> {
        store::write_tx(&self.conn)
    }

    /// Forget what was decrypted if another process wrote to the vault since
    /// (the app stays open while `vrm` adds a brand, say): the next read
    /// decrypts afresh. Cheap: one pragma, no I/O.
    fn refresh_if_changed(&mut self) -> Result<()> {
        let now = store::data_version(&self.conn)?;
        if now != self.data_version {
            self.data_version = now;
            self.forget_caches();
        }
        Ok(())
    }

    fn forget_caches(&mut self) {
        if let Some(brands) = self.brands.as_mut() {
            brands.values_mut().for_each(wipe_brand);
        }
        self.brands = None;
        self.damaged_brands.clear();
        self.records = RecordCache::default();
    }

    /// Run `write` in a write transaction over fresh caches: rules that span
    /// rows (unique brand names) are checked against what is in the file at
    /// that moment, not what this process read earlier, and no other
    /// process can write in between. On failure nothing is written and the
    /// caches are dropped (`write` may have updated them).
    fn in_write_tx<T>(&mut self, write: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let out = self
            .refresh_if_changed()
            .and_then(|()| write(self))
            .and_then(|v| {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            });
        if out.is_err() {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            self.forget_caches();
        }
        out
    }

    /// Whether old pages of something deleted or replaced may still be in
    /// the WAL, because another program (the app, another `vrm`) was reading
    /// the vault; they leave when it stops reading and the vault is written
    /// or closed again.
    pub fn wal_residue_pending(&self) -> bool {
        self.wal_residue.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn doc_aad(kind: &str, id: &str, version: i64, brand_id: Option<&str>) -> Vec<u8> {
        let mut aad = Vec::with_capacity(80);
        aad.extend_from_slice(b"vrm-vault/1\0documents/");
        aad.extend_from_slice(kind.as_bytes());
        aad.push(0);
        aad.extend_from_slice(id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(version.to_string().as_bytes());
        aad.push(0);
        aad.extend_from_slice(brand_id.unwrap_or("").as_bytes());
        aad
    }

    /// Seal `value` as document `kind`/`id` at `version`.
    pub(crate) fn seal_doc<T: Serialize>(
        &self,
        kind: &str,
        id: &str,
        version: i64,
        brand_id: Option<&str>,
        value: &T,
    ) -> Result<store::DocRow> {
        let plain =
            Zeroizing::new(serde_json::to_vec(value).map_err(|e| Error::Database(e.to_string()))?);
        let body = self
            .data
            .seal(&Self::doc_aad(kind, id, version, brand_id), &plain)?;
        Ok(store::DocRow {
            id: id.to_string(),
            kind: kind.to_string(),
            brand_id: brand_id.map(str::to_string),
            version,
            body,
        })
    }

    /// Open a sealed document row; a row that fails to authenticate is
    /// reported as tampered.
    pub(crate) fn open_doc<T: for<'de> Deserialize<'de>>(&self, row: &store::DocRow) -> Result<T> {
        let tampered = || Error::Tampered {
            table: "documents",
            id: row.id.clone(),
        };
        let plain = self
            .data
            .open(
                &Self::doc_aad(&row.kind, &row.id, row.version, row.brand_id.as_deref()),
                &row.body,
            )
            .ok_or_else(tampered)?;
        serde_json::from_slice(&plain).map_err(|_| tampered())
    }

    /// Insert a new document (version 1).
    pub(crate) fn insert_doc<T: Serialize>(
        &self,
        conn: &Connection,
        kind: &str,
        id: &str,
        brand_id: Option<&str>,
        value: &T,
    ) -> Result<()> {
        let row = self.seal_doc(kind, id, 1, brand_id, value)?;
        store::insert_doc(conn, &row)
    }

    /// Replace a document with a new version of its value.
    pub(crate) fn replace_doc<T: Serialize>(
        &self,
        conn: &Connection,
        kind: &str,
        id: &str,
        value: &T,
    ) -> Result<()> {
        let current = store::doc(conn, kind, id)?
            .ok_or_else(|| Error::Database(format!("{kind} {id} is missing")))?;
        let row = self.seal_doc(
            kind,
            id,
            current.version + 1,
            current.brand_id.as_deref(),
            value,
        )?;
        store::update_doc(conn, &row, current.version)
    }

    /// Every document of a kind that opens, and the ids of those that do not.
    pub(crate) fn docs<T: for<'de> Deserialize<'de>>(
        &self,
        kind: &str,
    ) -> Result<(Vec<T>, Vec<String>)> {
        let mut good = Vec::new();
        let mut damaged = Vec::new();
        for row in store::docs_of_kind(&self.conn, kind)? {
            match self.open_doc(&row) {
                Ok(v) => good.push(v),
                Err(Error::Tampered { .. }) => damaged.push(row.id),
                Err(e) => return Err(e),
            }
        }
        Ok((good, damaged))
    }

    /// Documents (terms, shares, requests, keys, the log's head…) whose rows
    /// fail to authenticate, as (kind, id) as stored. Lists leave them out,
    /// like damaged records; this says that they are there.
    pub fn damaged_documents(&self) -> Result<Vec<(String, String)>> {
        let mut damaged = Vec::new();
        for row in store::all_docs(&self.conn)? {
            match self.open_doc::<serde::de::IgnoredAny>(&row) {
                Ok(_) => {}
                Err(Error::Tampered { .. }) => damaged.push((row.kind, row.id)),
                Err(e) => return Err(e),
            }
        }
        Ok(damaged)
    }

    /// One document by id or unique id prefix; `what` names it in errors.
    pub(crate) fn doc_by_id<T: for<'de> Deserialize<'de>>(
        &self,
        kind: &str,
        id: &str,
        not_found: impl Fn(String) -> Error,
    ) -> Result<T> {
        let id = id.trim().to_ascii_lowercase();
        if let Some(row) = store::doc(&self.conn, kind, &id)? {
            return self.open_doc(&row);
        }
        if !is_id_prefix(&id) {
            return Err(not_found(id));
        }
        let ids = store::doc_ids_with_prefix(&self.conn, kind, &id, 5)?;
        match ids.as_slice() {
            [one] => {
                let row = store::doc(&self.conn, kind, one)?.ok_or_else(|| not_found(id))?;
                self.open_doc(&row)
            }
            [] => Err(not_found(id)),
            many => Err(Error::invalid(format!(
                "{id} could mean more than one {kind}: {}; give more of the id",
                many.join(", ")
            ))),
        }
    }

    /// Every document (keys included; the head of the activity log is not a
    /// document to carry: it is rebuilt), for a backup.
    pub fn export_documents(&self) -> Result<Vec<ExportedDocument>> {
        let rows = store::all_docs(&self.conn)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if row.kind == crate::audit::HEAD_KIND {
                continue;
            }
            let value: serde_json::Value = match self.open_doc(&row) {
                Ok(v) => v,
                // A damaged document is left out, like a damaged record.
                Err(Error::Tampered { .. }) => continue,
                Err(e) => return Err(e),
            };
            out.push(ExportedDocument {
                kind: row.kind,
                id: row.id,
                brand: row.brand_id,
                value,
            });
        }
        Ok(out)
    }

    /// Put back the documents and activity log of a backup (into a vault
    /// being restored), in one transaction. The log is re-sealed entry by
    /// entry and must still verify.
    pub fn restore_documents(
        &mut self,
        docs: &[ExportedDocument],
        activity: &[crate::audit::AuditEntry],
    ) -> Result<()> {
        let tx = self.write_tx()?;
        for d in docs {
            if d.kind.is_empty() || d.kind == crate::audit::HEAD_KIND || d.id.is_empty() {
                return Err(Error::invalid("the backup holds a malformed document"));
            }
            if let Some(b) = &d.brand
                && store::row(&tx, Table::Brands, b)?.is_none()
            {
                return Err(Error::invalid(format!(
                    "the backup's {} {} belongs to a brand it does not hold",
                    d.kind, d.id
                )));
            }
            self.insert_doc(&tx, &d.kind, &d.id, d.brand.as_deref(), &d.value)?;
        }
        self.restore_audit(&tx, activity)?;
        tx.commit()?;
        // Everything (the log too) must check out before this vault is used.
        self.verify_audit()?;
        Ok(())
    }

    /// Seal bytes under the data key with `aad` (the activity log uses it).
    pub(crate) fn seal_bytes(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>> {
        self.data.seal(aad, plain)
    }

    /// Open bytes sealed with [`Vault::seal_bytes`].
    pub(crate) fn open_bytes(&self, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        self.data.open(aad, sealed)
    }

    // ---- brands ----------------------------------------------------------

    fn load_brands(&mut self) -> Result<&mut BTreeMap<String, Brand>> {
        if self.brands.is_none() {
            let mut brands = BTreeMap::new();
            let mut damaged = Vec::new();
            for row in store::all_rows(&self.conn, Table::Brands)? {
                match self.open_brand(&row) {
                    Ok(b) => {
                        brands.insert(b.id.clone(), b);
                    }
                    // Left out, and reported; the other brands stay usable.
                    Err(Error::Tampered { .. }) => damaged.push(row.id),
                    Err(e) => return Err(e),
                }
            }
            self.brands = Some(brands);
            self.damaged_brands = damaged;
        }
        Ok(self.brands.as_mut().expect("just loaded"))
    }

    /// Ids of brands whose rows fail to authenticate (damaged or tampered
    /// with). They are left out; their records keep their brand id.
    pub fn damaged_brands(&mut self) -> Result<Vec<String>> {
        self.refresh_if_changed()?;
        self.load_brands()?;
        Ok(self.damaged_brands.clone())
    }

    /// Every brand, sorted by name.
    pub fn brands(&mut self) -> Result<Vec<Brand>> {
        self.refresh_if_changed()?;
        let mut list: Vec<Brand> = self.load_brands()?.values().cloned().collect();
        list.sort_by_cached_key(|b| (b.name.to_lowercase(), b.id.clone()));
        Ok(list)
    }

    /// Find a brand by id, name (case-insensitive), id prefix or name prefix
    /// (`acme` finds "ACME Corp"). A reference that could mean two brands is
    /// [`Error::BrandAmbiguous`], naming both: a whole name does not win over
    /// an id prefix, nor an id prefix over a name prefix. A whole name does
    /// win over a longer name it begins ("Apple" over "Apple Music"), or
    /// "Apple" could never be named.
    pub fn brand(&mut self, id_or_name: &str) -> Result<Brand> {
        let key = id_or_name.trim();
        self.refresh_if_changed()?;
        self.load_brands()?;
        if self.damaged_brands.iter().any(|d| d == key) {
            return Err(Error::Tampered {
                table: Table::Brands.name(),
                id: key.to_string(),
            });
        }
        let brands = self.brands.as_ref().expect("loaded");
        let lower = key.to_lowercase();
        let mut exact: Vec<&Brand> = brands
            .values()
            .filter(|b| b.id == lower || b.name.to_lowercase() == lower)
            .collect();
        let by_id_prefix: Vec<&Brand> = if is_id_prefix(&lower) {
            brands
                .values()
                .filter(|b| b.id != lower && b.id.starts_with(&lower))
                .collect()
        } else {
            Vec::new()
        };
        let by_name_prefix: Vec<&Brand> = brands
            .values()
            .filter(|b| {
                let name = b.name.to_lowercase();
                name != lower && name.starts_with(&lower)
            })
            .collect();
        let pick = |mut candidates: Vec<&Brand>| -> Result<Brand> {
            candidates.sort_by(|a, b| a.id.cmp(&b.id));
            candidates.dedup_by(|a, b| a.id == b.id);
            match candidates.as_slice() {
                [] => Err(Error::BrandNotFound(key.to_string())),
                [one] => Ok((*one).clone()),
                many => Err(Error::BrandAmbiguous {
                    reference: key.to_string(),
                    matches: many
                        .iter()
                        .map(|b| format!("{} ({})", b.name, &b.id[..8.min(b.id.len())]))
                        .collect(),
                }),
            }
        };
        if !exact.is_empty() {
            // Names are unique, so only an id prefix can make this two.
            exact.extend(by_id_prefix);
            return pick(exact);
        }
        if !by_id_prefix.is_empty() {
            let mut candidates = by_id_prefix;
            candidates.extend(by_name_prefix);
            return pick(candidates);
        }
        pick(by_name_prefix)
    }

    /// Add a brand. Names are unique (case-insensitive), also against
    /// brands another process added a moment ago.
    pub fn add_brand(&mut self, input: &BrandInput) -> Result<Brand> {
        let now = Utc::now();
        let mut brand = Brand {
            id: new_id(),
            name: String::new(),
            domain: None,
            contact: None,
            notes: None,
            age_recipient: None,
            did: None,
            inbox: None,
            created_at: now,
            updated_at: now,
        };
        if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(Error::invalid("a brand needs a name"));
        }
        input.apply_to(&mut brand)?;
        let row = self.seal(Table::Brands, &brand.id, 1, None, &brand)?;
        self.in_write_tx(|vault| {
            vault.ensure_unique_name(&brand.name, None)?;
            store::insert_brand(&vault.conn, &row)
        })?;
        self.load_brands()?.insert(brand.id.clone(), brand.clone());
        if let Some(index) = self.records.index.as_mut() {
            index_brand(index, &brand);
        }
        Ok(brand)
    }

    fn ensure_unique_name(&mut self, name: &str, except: Option<&str>) -> Result<()> {
        let lower = name.to_lowercase();
        let clash = self
            .load_brands()?
            .values()
            .any(|b| b.name.to_lowercase() == lower && Some(b.id.as_str()) != except);
        if clash {
            Err(Error::BrandExists(name.to_string()))
        } else {
            Ok(())
        }
    }

    /// Change a brand's details.
    pub fn update_brand(&mut self, id_or_name: &str, input: &BrandInput) -> Result<Brand> {
        let id = self.brand(id_or_name)?.id;
        let (old, brand) = self.in_write_tx(|vault| {
            // Read again inside the transaction: another process may have
            // changed it since it was found.
            let current = store::row(&vault.conn, Table::Brands, &id)?
                .ok_or_else(|| Error::BrandNotFound(id.clone()))?;
            let old = vault.open_brand(&current)?;
            let mut brand = old.clone();
            input.apply_to(&mut brand)?;
            vault.ensure_unique_name(&brand.name, Some(&brand.id))?;
            brand.updated_at = Utc::now();
            let row = vault.seal(Table::Brands, &brand.id, current.version + 1, None, &brand)?;
            store::update_row(&vault.conn, Table::Brands, &row, current.version)?;
            Ok((old, brand))
        })?;
        self.purge_wal()?;
        self.load_brands()?.insert(brand.id.clone(), brand.clone());
        if brand_search_parts(&old) != brand_search_parts(&brand) {
            // Records are indexed with their brand's name: rebuild on demand.
            self.records.index = None;
        }
        Ok(brand)
    }

    /// Delete a brand and every record that belongs to it. Afterwards neither
    /// their plaintext nor their ciphertext is in any file of the vault.
    /// Returns the number of records deleted with it.
    pub fn delete_brand(&mut self, id_or_name: &str) -> Result<usize> {
        let brand = self.brand(id_or_name)?;
        let tx = self.write_tx()?;
        let record_ids = store::record_ids_of_brand(&tx, &brand.id)?;
        let n = store::delete_records_of_brand(&tx, &brand.id)?;
        // Its pairwise identity, terms issued to it, shares, agreements and
        // requests go with it; the activity log keeps that it happened.
        store::delete_docs_of_brand(&tx, &brand.id)?;
        // Intents are the person's own and stay, without the brand's name.
        self.forget_brand_in_intents(&tx, &brand.id)?;
        store::delete_row(&tx, Table::Brands, &brand.id)?;
        self.append_audit(
            &tx,
            AuditAction::BrandDeleted,
            Some(&brand.id),
            Some(&brand.id),
            format!("brand deleted with {n} records"),
        )?;
        tx.commit()?;
        self.purge_wal()?;
        self.load_brands()?.remove(&brand.id);
        let cache = &mut self.records;
        if let Some(by_id) = cache.by_id.as_mut() {
            for id in &record_ids {
                by_id.remove(id);
            }
        }
        if let Some(damaged) = cache.damaged.as_mut() {
            damaged.retain(|d| !record_ids.contains(d));
        }
        cache.index = None;
        Ok(n)
    }

    // ---- records ---------------------------------------------------------

    /// Decrypt every record into the cache now (cheaper than one query per
    /// record when many are about to be read).
    pub(crate) fn preload_records(&mut self) -> Result<()> {
        self.load_records().map(|_| ())
    }

    /// Every record that opens, decrypted into the cache.
    fn load_records(&mut self) -> Result<&HashMap<String, Record>> {
        if self.records.by_id.is_none() {
            let rows = store::all_rows(&self.conn, Table::Records)?;
            let mut by_id = HashMap::with_capacity(rows.len());
            let mut damaged = Vec::new();
            for row in rows {
                match self.open_record(&row) {
                    Ok(r) => {
                        by_id.insert(r.id.clone(), r);
                    }
                    Err(Error::Tampered { .. }) => damaged.push(row.id),
                    Err(e) => return Err(e),
                }
            }
            self.records.by_id = Some(by_id);
            self.records.damaged = Some(damaged);
        }
        Ok(self.records.by_id.as_ref().expect("just loaded"))
    }

    /// Ids of records whose rows fail to authenticate (damaged or tampered
    /// with). They are left out of lists and searches; the rest is usable.
    pub fn damaged_records(&mut self) -> Result<Vec<String>> {
        self.refresh_if_changed()?;
        if self.records.damaged.is_none() {
            // Building the index reads every row, and is the cheaper pass.
            self.prepare_search()?;
        }
        Ok(self.records.damaged.clone().unwrap_or_default())
    }

    /// The full id of a record given by id or unique id prefix. The row is
    /// not opened, so this finds damaged records too (to delete them).
    pub fn resolve_record_id(&mut self, id: &str) -> Result<String> {
        let id = id.trim().to_ascii_lowercase();
        if store::row(&self.conn, Table::Records, &id)?.is_some() {
            return Ok(id);
        }
        if !is_id_prefix(&id) {
            return Err(Error::RecordNotFound(id));
        }
        let ids = store::ids_with_prefix(&self.conn, Table::Records, &id, 5)?;
        match ids.len() {
            0 => Err(Error::RecordNotFound(id)),
            1 => Ok(ids.into_iter().next().expect("one")),
            _ => Err(Error::RecordAmbiguous {
                reference: id,
                matches: ids,
            }),
        }
    }

    /// One record, by id or unique id prefix.
    pub fn record(&mut self, id: &str) -> Result<Record> {
        self.refresh_if_changed()?;
        // A full id already in the cache needs no query.
        let exact = id.trim().to_ascii_lowercase();
        if let Some(r) = self.records.by_id.as_ref().and_then(|m| m.get(&exact)) {
            return Ok(r.clone());
        }
        let id = self.resolve_record_id(id)?;
        if let Some(r) = self.records.by_id.as_ref().and_then(|m| m.get(&id)) {
            return Ok(r.clone());
        }
        let row = store::row(&self.conn, Table::Records, &id)?
            .ok_or_else(|| Error::RecordNotFound(id.clone()))?;
        self.open_record(&row)
    }

    fn resolve_brand_ref(&mut self, brand: Option<&str>) -> Result<Option<String>> {
        match brand.map(str::trim) {
            None | Some("") => Ok(None),
            Some(b) => Ok(Some(self.brand(b)?.id)),
        }
    }

    /// Add a record.
    pub fn add_record(&mut self, new: &NewRecord) -> Result<Record> {
        let brand = self.resolve_brand_ref(new.brand.as_deref())?;
        let now = Utc::now();
        let record = Record {
            id: new_id(),
            kind: new.kind,
            brand,
            fields: check_fields(new.kind, &new.fields)?,
            tags: check_tags(&new.tags)?,
            created_at: now,
            updated_at: now,
        };
        let row = self.seal(
            Table::Records,
            &record.id,
            1,
            record.brand.as_deref(),
            &record,
        )?;
        store::insert_record(&self.conn, &row)?;
        self.cache_record(&record);
        Ok(record)
    }

    fn cache_record(&mut self, record: &Record) {
        let brand_name = record
            .brand
            .as_ref()
            .and_then(|b| self.brands.as_ref().and_then(|m| m.get(b)))
            .map(|b| b.name.clone());
        let cache = &mut self.records;
        if let Some(index) = cache.index.as_mut() {
            let key = Hit::Record(record.id.clone());
            index.remove(&key);
            index_record(index, record, brand_name.as_deref());
        }
        if let Some(by_id) = cache.by_id.as_mut() {
            by_id.insert(record.id.clone(), record.clone());
        }
    }

    /// Change a record. The change applies to the record as it is in the
    /// file when written (inside one write transaction), so an edit another
    /// process made a moment ago is neither lost nor a reason to fail.
    pub fn update_record(&mut self, id: &str, patch: &RecordPatch) -> Result<Record> {
        let id = self.resolve_record_id(id)?;
        let brand = match &patch.brand {
            Some(b) => Some(self.resolve_brand_ref(b.as_deref())?),
            None => None,
        };
        let record = self.in_write_tx(|vault| {
            let current = store::row(&vault.conn, Table::Records, &id)?
                .ok_or_else(|| Error::RecordNotFound(id.clone()))?;
            let mut record = vault.open_record(&current)?;
            patch.apply(&mut record, brand)?;
            let row = vault.seal(
                Table::Records,
                &record.id,
                current.version + 1,
                record.brand.as_deref(),
                &record,
            )?;
            store::update_row(&vault.conn, Table::Records, &row, current.version)?;
            Ok(record)
        })?;
        // The old version's ciphertext must leave the WAL too.
        self.purge_wal()?;
        self.cache_record(&record);
        Ok(record)
    }

    /// Delete a record for good: afterwards neither its plaintext nor its
    /// ciphertext is in any file of the vault folder.
    pub fn delete_record(&mut self, id: &str) -> Result<()> {
        self.delete_records(&[id]).map(|_| ())
    }

    /// Delete records for good, all or none: every reference is resolved
    /// first (a typo in the third deletes nothing), and one given twice is
    /// deleted once. Damaged records are deleted too: their rows need not
    /// open. Returns how many were deleted.
    pub fn delete_records(&mut self, ids: &[&str]) -> Result<usize> {
        let mut resolved = Vec::with_capacity(ids.len());
        for id in ids {
            let id = self.resolve_record_id(id)?;
            if !resolved.contains(&id) {
                resolved.push(id);
            }
        }
        self.in_write_tx(|vault| {
            for id in &resolved {
                let row = store::row(&vault.conn, Table::Records, id)?;
                if !store::delete_row(&vault.conn, Table::Records, id)? {
                    return Err(Error::RecordNotFound(id.clone()));
                }
                let brand = row.and_then(|r| r.brand_id);
                vault.append_audit(
                    &vault.conn,
                    AuditAction::RecordDeleted,
                    brand.as_deref(),
                    Some(id),
                    "record deleted",
                )?;
            }
            Ok(())
        })?;
        self.purge_wal()?;
        let cache = &mut self.records;
        for id in &resolved {
            if let Some(by_id) = cache.by_id.as_mut() {
                by_id.remove(id);
            }
            if let Some(damaged) = cache.damaged.as_mut() {
                damaged.retain(|d| d != id);
            }
            if let Some(index) = cache.index.as_mut() {
                index.remove(&Hit::Record(id.clone()));
            }
        }
        Ok(resolved.len())
    }

    /// Records matching `filter`, newest first.
    pub fn list_records(&mut self, filter: &RecordFilter) -> Result<Vec<Record>> {
        self.refresh_if_changed()?;
        let brand_id = match filter.brand.as_deref() {
            Some(b) => Some(self.brand(b)?.id),
            None => None,
        };
        let mut list: Vec<Record> = self
            .load_records()?
            .values()
            .filter(|r| filter.matches(r, brand_id.as_deref()))
            .cloned()
            .collect();
        sort_records(&mut list);
        Ok(list)
    }

    /// Build the search index now (it is otherwise built on first search).
    ///
    /// When the records are not decrypted yet, this reads each row's JSON
    /// into a borrowing [`RecordView`] and indexes that: no `Record` is
    /// built (listing builds them later). A row that fails to open is
    /// reported by [`Vault::damaged_records`], as when listing.
    pub fn prepare_search(&mut self) -> Result<()> {
        self.refresh_if_changed()?;
        self.load_brands()?;
        if self.records.index.is_some() {
            return Ok(());
        }
        let brands = self.brands.as_ref().expect("loaded");
        let mut index = SearchIndex::new();
        for b in brands.values() {
            index_brand(&mut index, b);
        }
        if let Some(by_id) = &self.records.by_id {
            for r in by_id.values() {
                let name = r
                    .brand
                    .as_ref()
                    .and_then(|b| brands.get(b))
                    .map(|b| b.name.as_str());
                index_record(&mut index, r, name);
            }
        } else {
            // Brand id -> (name, the id shared by every key of that brand).
            let names: HashMap<&str, (&str, Arc<str>)> = brands
                .iter()
                .map(|(id, b)| (id.as_str(), (b.name.as_str(), Arc::from(id.as_str()))))
                .collect();
            let mut damaged = Vec::new();
            let mut aad = Vec::with_capacity(128);
            store::for_each_row(&self.conn, Table::Records, |row| {
                match self.index_sealed_record(&mut index, &names, &mut aad, row) {
                    Ok(()) => {}
                    Err(Error::Tampered { .. }) => damaged.push(row.id.to_string()),
                    Err(e) => return Err(e),
                }
                Ok(())
            })?;
            self.records.damaged = Some(damaged);
        }
        self.records.index = Some(index);
        Ok(())
    }

    /// Open one record row and index it from a [`RecordView`].
    fn index_sealed_record(
        &self,
        index: &mut SearchIndex<IndexKey>,
        names: &HashMap<&str, (&str, Arc<str>)>,
        aad: &mut Vec<u8>,
        row: &store::RowRef<'_>,
    ) -> Result<()> {
        let tampered = || Error::Tampered {
            table: Table::Records.name(),
            id: row.id.to_string(),
        };
        Self::aad_into(
            aad,
            Table::Records,
            &row.id,
            row.version,
            row.brand_id.as_deref(),
        );
        let plain = self.data.open(aad, row.body).ok_or_else(tampered)?;
        let view: RecordView<'_> = serde_json::from_slice(&plain).map_err(|_| tampered())?;
        let (name, brand) = match row.brand_id.as_deref() {
            Some(b) => match names.get(b) {
                Some((name, id)) => (Some(*name), Some(id.clone())),
                None => (None, Some(Arc::from(b))),
            },
            None => (None, None),
        };
        let key = IndexKey::Record {
            id: row.id.to_string(),
            date: view.date(),
            created_at: view.created_at,
            kind: view.kind,
            brand,
        };
        let parts = std::iter::once(view.kind.as_str())
            .chain(name)
            .chain(view.values());
        index.add(key, parts);
        Ok(())
    }

    /// Search every decrypted value of brands and records. Every word of
    /// `query` must occur (case-insensitive); a record also matches on its
    /// brand's name. Narrow with `filter` (brand, kind, tags, dates; a kind
    /// or brand filter leaves brands out of the hits).
    pub fn search(&mut self, query: &str, filter: &RecordFilter) -> Result<Vec<Hit>> {
        let brand_id = match filter.brand.as_deref() {
            Some(b) => Some(self.brand(b)?.id),
            None => None,
        };
        self.prepare_search()?;
        let only_records = filter != &RecordFilter::default();
        // The index keys carry what a filter looks at, but tags.
        if !filter.tags.is_empty() {
            self.load_records()?;
        }
        let cache = &self.records;
        let index = cache.index.as_ref().expect("built");
        let mut found: Vec<IndexKey> = index.search(query);
        if only_records {
            found.retain(|key| key.matches(filter, brand_id.as_deref(), cache.by_id.as_ref()));
        }
        // Brands first (by name), then records newest first. Records carry
        // their sort key in the index, so ordering even 100k hits needs no
        // lookups. Keys end with the id, so an unstable sort is deterministic.
        let brands = self.brands.as_ref().expect("loaded");
        found.sort_unstable_by(|a, b| match (a, b) {
            (IndexKey::Brand(_), IndexKey::Record { .. }) => std::cmp::Ordering::Less,
            (IndexKey::Record { .. }, IndexKey::Brand(_)) => std::cmp::Ordering::Greater,
            _ => a.order(brands).cmp(&b.order(brands)),
        });
        Ok(found.into_iter().map(IndexKey::into_hit).collect())
    }

    /// [`Vault::search`] with each hit's brand or record.
    pub fn search_items(&mut self, query: &str, filter: &RecordFilter) -> Result<Vec<SearchItem>> {
        let hits = self.search(query, filter)?;
        // Until records are listed, each is read on its own: for many hits,
        // decrypting them all at once is cheaper.
        if hits.iter().filter(|h| matches!(h, Hit::Record(_))).count() > 64 {
            self.load_records()?;
        }
        let mut items = Vec::with_capacity(hits.len());
        for hit in hits {
            items.push(match hit {
                Hit::Brand(id) => SearchItem::Brand {
                    brand: self.brand(&id)?,
                },
                Hit::Record(id) => SearchItem::Record {
                    record: self.record(&id)?,
                },
            });
        }
        Ok(items)
    }

    /// A brand and its timeline.
    pub fn brand_page(&mut self, id_or_name: &str) -> Result<BrandPage> {
        let brand = self.brand(id_or_name)?;
        let records = self.list_records(&RecordFilter {
            brand: Some(brand.id.clone()),
            ..Default::default()
        })?;
        Ok(BrandPage { brand, records })
    }

    // ---- bulk ------------------------------------------------------------

    /// Insert many brands and records in one transaction: all or nothing.
    /// Ids and timestamps are kept as given. The values must already have
    /// passed the model's checks ([`crate::transfer`] checks every row before
    /// calling this). `progress(done, total)` is called as it goes.
    pub fn insert_batch(
        &mut self,
        brands: &[Brand],
        records: &[Record],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        let total = brands.len() + records.len();
        self.in_write_tx(|vault| {
            let mut done = 0;
            for b in brands {
                // Checked again here: another process may have added a
                // brand of this name since the import was planned.
                vault.ensure_unique_name(&b.name, None)?;
                let row = vault.seal(Table::Brands, &b.id, 1, None, b)?;
                store::insert_brand(&vault.conn, &row)?;
                done += 1;
            }
            for r in records {
                let row = vault.seal(Table::Records, &r.id, 1, r.brand.as_deref(), r)?;
                store::insert_record(&vault.conn, &row)?;
                done += 1;
                if done % 1000 == 0 {
                    progress(done, total);
                }
            }
            vault.append_audit(
                &vault.conn,
                AuditAction::Imported,
                None,
                None,
                format!(
                    "imported {} brands and {} records",
                    brands.len(),
                    records.len()
                ),
            )
        })?;
        progress(total, total);
        // Reload lazily: cheaper than patching a large cache.
        self.forget_caches();
        Ok(())
    }

    /// Whether a brand or record with this exact id exists.
    pub fn id_exists(&self, id: &str) -> Result<bool> {
        Ok(store::row(&self.conn, Table::Records, id)?.is_some()
            || store::row(&self.conn, Table::Brands, id)?.is_some())
    }
}

/// What the search index keeps for a document: which brand or record it is
/// and, for a record, what it sorts by (see [`newest_first`]), so ordering
/// many hits needs no lookups. A document is removed by its [`Hit`].
#[derive(Debug, Clone, PartialEq)]
enum IndexKey {
    Brand(String),
    Record {
        id: String,
        date: NaiveDate,
        created_at: DateTime<Utc>,
        /// Kept, with `brand`, so that a filter needs no `Record`.
        kind: RecordKind,
        brand: Option<Arc<str>>,
    },
}

impl IndexKey {
    fn record(r: &Record) -> Self {
        IndexKey::Record {
            id: r.id.clone(),
            date: r.date(),
            created_at: r.created_at,
            kind: r.kind,
            brand: r.brand.as_deref().map(Arc::from),
        }
    }

    /// [`RecordFilter::matches`] on the record this key stands for (its tags
    /// are looked up in `records`, which must be loaded when the filter has
    /// tags). A brand never matches.
    fn matches(
        &self,
        filter: &RecordFilter,
        brand_id: Option<&str>,
        records: Option<&HashMap<String, Record>>,
    ) -> bool {
        let IndexKey::Record {
            id,
            date,
            kind,
            brand,
            ..
        } = self
        else {
            return false;
        };
        if brand_id.is_some_and(|b| brand.as_deref() != Some(b)) {
            return false;
        }
        if filter.kind.is_some_and(|k| k != *kind) {
            return false;
        }
        if filter.since.is_some_and(|s| *date < s) || filter.until.is_some_and(|u| *date > u) {
            return false;
        }
        filter.tags.is_empty()
            || records
                .and_then(|m| m.get(id))
                .is_some_and(|r| filter.tags.iter().all(|t| r.tags.contains(t)))
    }

    /// Where its hit goes in search results.
    fn order<'a>(&'a self, brands: &BTreeMap<String, Brand>) -> HitOrder<'a> {
        match self {
            IndexKey::Brand(id) => {
                HitOrder::Brand(brands.get(id).map(|b| b.name.to_lowercase()), id)
            }
            IndexKey::Record {
                id,
                date,
                created_at,
                ..
            } => HitOrder::Record(Reverse(*date), Reverse(*created_at), id),
        }
    }

    fn into_hit(self) -> Hit {
        match self {
            IndexKey::Brand(id) => Hit::Brand(id),
            IndexKey::Record { id, .. } => Hit::Record(id),
        }
    }
}

impl PartialEq<Hit> for IndexKey {
    fn eq(&self, hit: &Hit) -> bool {
        match (self, hit) {
            (IndexKey::Brand(a), Hit::Brand(b)) => a == b,
            (IndexKey::Record { id, .. }, Hit::Record(b)) => id == b,
            _ => false,
        }
    }
}

/// The order of search hits: brands by lowercased name, then records newest
/// first (as [`newest_first`]); ties broken by id.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum HitOrder<'a> {
    Brand(Option<String>, &'a str),
    Record(Reverse<NaiveDate>, Reverse<DateTime<Utc>>, &'a str),
}

fn sort_records(list: &mut [Record]) {
    list.sort_by(newest_first);
}

fn newest_first(a: &Record, b: &Record) -> std::cmp::Ordering {
    b.date()
        .cmp(&a.date())
        .then(b.created_at.cmp(&a.created_at))
        .then(a.id.cmp(&b.id))
}

/// What search finds a brand by: every field it has.
fn brand_search_parts(b: &Brand) -> [Option<&str>; 7] {
    [
        Some(b.name.as_str()),
        b.domain.as_deref(),
        b.contact.as_deref(),
        b.notes.as_deref(),
        b.inbox.as_deref(),
        b.did.as_deref(),
        b.age_recipient.as_deref(),
    ]
}

fn index_brand(index: &mut SearchIndex<IndexKey>, b: &Brand) {
    index.add(
        IndexKey::Brand(b.id.clone()),
        brand_search_parts(b).into_iter().flatten(),
    );
}

fn index_record(index: &mut SearchIndex<IndexKey>, r: &Record, brand_name: Option<&str>) {
    let parts = std::iter::once(r.kind.as_str())
        .chain(brand_name)
        .chain(r.fields.values().map(String::as_str))
        .chain(r.tags.iter().map(String::as_str));
    index.add(IndexKey::record(r), parts);
}

/// A fresh random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn is_id_prefix(s: &str) -> bool {
    s.len() >= MIN_ID_PREFIX
        && s.len() <= 36
        && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// Passphrases shorter than this are refused when set.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

fn check_new_passphrase(p: &SecretString) -> Result<()> {
    use secrecy::ExposeSecret;
    if p.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::invalid(format!(
            "the passphrase is too short (at least {MIN_PASSPHRASE_CHARS} characters)"
        )));
    }
    Ok(())
}

/// Name prefix of a vault file being built (see [`Vault::create_with`]).
const CREATING_PREFIX: &str = ".vault.db.creating-";

/// Make the folder a new vault goes in: created owner-only (0700 on Unix), or
/// an existing folder made so. A vault gets a folder of its own, so an
/// existing one must be empty (but for other vaults being created in it):
/// making it private must hide nothing else of the person's, and a stray
/// `vault.db-wal` would be read as part of the new vault.
fn prepare_vault_dir(dir: &Path) -> Result<()> {
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
fn check_vault_dir(dir: &Path) -> Result<bool> {
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(Error::invalid(format!(
            "{} is a file, not a folder",
            dir.display()
        ))),
        Ok(_) => {
            for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
                let name = entry.map_err(|e| Error::io(dir, e))?.file_name();
                let name = name.to_string_lossy();
                if name == DB_FILE {
                    return Err(Error::VaultExists(dir.to_path_buf()));
                }
                if !name.starts_with(CREATING_PREFIX) {
                    return Err(Error::invalid(format!(
                        "{} is not empty (it holds {name}); a vault needs a new or empty folder",
                        dir.display()
                    )));
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
fn link_new(tmp: &Path, db: &Path) -> std::io::Result<()> {
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
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(f) = std::fs::File::open(dir) {
        let _ = f.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Owner-only permissions for a vault file (SQLite gives its -wal and -shm
/// files the same permissions as the database).
fn make_private_file(path: &Path) -> Result<()> {
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

/// How long `init` aims for one passphrase derivation to take by default.
pub const DEFAULT_KDF_TARGET: Duration = Duration::from_millis(1000);

#[cfg(test)]
mod tests {
    use super::*;

    fn record(vault: &mut Vault, brand: Option<&str>, date: Option<&str>, text: &str) -> Record {
        let mut fields = BTreeMap::from([("text".to_string(), text.to_string())]);
        if let Some(d) = date {
            fields.insert("date".into(), d.into());
        }
        vault
            .add_record(&NewRecord {
                kind: RecordKind::Note,
                brand: brand.map(str::to_string),
                fields,
                tags: vec![],
            })
            .unwrap()
    }

    /// A new vault in a temporary folder (kept alive by the returned guard).
    fn new_vault() -> (tempfile::TempDir, PathBuf, Vault) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let (v, _) = Vault::create(
            &dir,
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        (tmp, dir, v)
    }

    /// Reopen the vault in `dir` (nothing decrypted yet).
    fn reopen(dir: &Path) -> Vault {
        Vault::open(dir)
            .unwrap()
            .unlock(&SecretString::from("test passphrase"))
            .unwrap()
    }

    #[test]
    fn debug_output_of_an_unlocked_vault_holds_no_decrypted_value() {
        let (_tmp, _dir, mut v) = new_vault();
        v.add_brand(&BrandInput::named("DebugBrandCanary")).unwrap();
        record(&mut v, None, None, "DebugRecordCanary");
        v.prepare_search().unwrap();
        v.list_records(&RecordFilter::default()).unwrap();
        let shown = format!("{v:?} {:?}", Some(&v));
        for canary in ["DebugBrandCanary", "debugrecordcanary", "DebugRecordCanary"] {
            assert!(
                !shown.contains(canary),
                "{{:?}} of a vault (as in a panic message) printed {canary}: {shown}"
            );
        }
        assert!(shown.contains("Vault"), "it still says what it is: {shown}");
    }

    #[test]
    fn the_index_built_without_records_matches_the_record_path_and_reports_damage() {
        let (_tmp, dir, mut v) = new_vault();
        let acme = v.add_brand(&BrandInput::named("Acme Shop")).unwrap();
        let mut ids = Vec::new();
        for i in 0..40 {
            let mut fields = BTreeMap::from([
                (
                    "text".to_string(),
                    format!("Note {i} with \"quotes\" and Grüße"),
                ),
                ("zeta".to_string(), format!("last{i}")),
            ]);
            if i % 3 == 0 {
                fields.insert("date".into(), format!("20{:02}-01-0{}", i, 1 + i % 9));
            }
            let r = v
                .add_record(&NewRecord {
                    kind: if i % 2 == 0 {
                        RecordKind::Note
                    } else {
                        RecordKind::Preference
                    },
                    brand: (i % 4 == 0).then(|| acme.id.clone()),
                    fields: if i % 2 == 0 {
                        fields
                    } else {
                        BTreeMap::from([
                            ("topic".to_string(), format!("topic{i}")),
                            ("value".to_string(), "shop".to_string()),
                        ])
                    },
                    tags: if i % 5 == 0 {
                        vec!["tagged".into()]
                    } else {
                        vec![]
                    },
                })
                .unwrap();
            ids.push(r.id);
        }
        // Damage one row's ciphertext behind the vault's back.
        let victim = ids[8].clone();
        v.conn
            .execute(
                "UPDATE records SET body = CAST(substr(body, 1, 20) \
                 || CASE WHEN substr(body, 21, 1) = X'00' THEN X'01' ELSE X'00' END \
                 || substr(body, 22) AS BLOB) WHERE id = ?1",
                [&victim],
            )
            .unwrap();
        drop(v);

        let queries = [
            "shop",
            "note",
            "grüße",
            "\"quotes\"",
            "last8",
            "acme",
            "topic",
            "last1",
        ];
        let filters = [
            RecordFilter::default(),
            RecordFilter {
                brand: Some(acme.id.clone()),
                ..Default::default()
            },
            RecordFilter {
                kind: Some(RecordKind::Note),
                ..Default::default()
            },
            RecordFilter {
                tags: vec!["tagged".into()],
                ..Default::default()
            },
            RecordFilter {
                since: NaiveDate::from_ymd_opt(2010, 1, 1),
                until: NaiveDate::from_ymd_opt(2030, 1, 1),
                ..Default::default()
            },
        ];
        // Index from the sealed rows (no Record built)...
        let mut lazy = reopen(&dir);
        lazy.prepare_search().unwrap();
        assert!(lazy.records.by_id.is_none(), "no Record was built");
        assert_eq!(lazy.damaged_records().unwrap(), vec![victim.clone()]);
        let mut got = Vec::new();
        for q in queries {
            for f in &filters {
                got.push(lazy.search(q, f).unwrap());
            }
        }
        // ...and from the Records, in a vault that listed them first.
        let mut eager = reopen(&dir);
        let listed = eager.list_records(&RecordFilter::default()).unwrap();
        assert_eq!(listed.len(), 39);
        assert!(listed.iter().all(|r| r.id != victim));
        assert_eq!(eager.damaged_records().unwrap(), vec![victim.clone()]);
        let mut want = Vec::new();
        for q in queries {
            for f in &filters {
                want.push(eager.search(q, f).unwrap());
            }
        }
        assert_eq!(got, want);
        assert!(
            got.iter()
                .flatten()
                .all(|h| *h != Hit::Record(victim.clone()))
        );
        assert!(
            got.iter().any(|h| h.len() > 5),
            "the queries find something"
        );
        // The damaged row is still reported once everything is listed.
        lazy.list_records(&RecordFilter::default()).unwrap();
        assert_eq!(lazy.damaged_records().unwrap(), vec![victim.clone()]);
        assert!(matches!(lazy.record(&victim), Err(Error::Tampered { .. })));
        // The damaged list is known without building the index or Records.
        let mut fresh = reopen(&dir);
        assert_eq!(fresh.damaged_records().unwrap(), vec![victim]);
    }

    #[test]
    fn search_puts_brands_by_name_first_then_records_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let (mut v, _) = Vault::create(
            &dir.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let beta = v.add_brand(&BrandInput::named("beta shop")).unwrap();
        let alpha = v.add_brand(&BrandInput::named("Alpha shop")).unwrap();
        let old = record(&mut v, Some(&beta.id), Some("2020-01-01"), "old");
        let new = record(&mut v, None, Some("2025-06-01"), "new shop");
        // Same date: the one added later comes first.
        let same1 = record(&mut v, Some(&alpha.id), Some("2023-03-03"), "same");
        let same2 = record(&mut v, Some(&alpha.id), Some("2023-03-03"), "same");
        // No date field: dated by when it was added (today).
        let undated = record(&mut v, Some(&beta.id), None, "undated");
        record(&mut v, None, Some("2024-01-01"), "unrelated");

        let expected = vec![
            Hit::Brand(alpha.id.clone()),
            Hit::Brand(beta.id.clone()),
            Hit::Record(undated.id.clone()),
            Hit::Record(new.id.clone()),
            Hit::Record(same2.id.clone()),
            Hit::Record(same1.id.clone()),
            Hit::Record(old.id.clone()),
        ];
        let filter = RecordFilter::default();
        assert_eq!(v.search("shop", &filter).unwrap(), expected);
        // The same order as listing, and again once the index is rebuilt.
        let listed: Vec<Hit> = v
            .list_records(&filter)
            .unwrap()
            .into_iter()
            .filter(|r| r.fields["text"] != "unrelated")
            .map(|r| Hit::Record(r.id))
            .collect();
        assert_eq!(listed, expected[2..]);
        v.update_brand(&beta.id, &BrandInput::named("Beta Shop"))
            .unwrap();
        assert_eq!(v.search("SHOP", &filter).unwrap(), expected);
        // A filter leaves the brands out.
        let only_alpha = RecordFilter {
            brand: Some(alpha.id.clone()),
            ..Default::default()
        };
        assert_eq!(
            v.search("shop", &only_alpha).unwrap(),
            vec![Hit::Record(same2.id), Hit::Record(same1.id)]
        );
    }
}
