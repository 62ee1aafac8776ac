//! The vault: create, open, unlock, change the passphrase, recover; and the
//! brands and records inside, sealed row by row.
//!
//! Start at [`Vault::create`] and [`Vault::open`] → [`LockedVault::unlock`].
//! An unlocked [`Vault`] keeps its keys in zeroizing memory; dropping it
//! locks it.

pub mod audit;
pub mod baseline;
pub(crate) mod batch;
pub mod brands;
pub mod documents;
pub mod features;
pub mod fs;
mod header;
pub mod health;
pub mod identity;
pub(crate) mod image;
pub mod index;
pub(crate) mod invitation;
pub mod manifest;
pub mod paging;
pub mod records;
mod rekey;
pub mod search;
pub mod session;
pub mod settings;
pub(crate) mod store;
pub(crate) mod sync_rows;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{self, Cipher, KdfParams, RecoveryCode, SecretKey};
use crate::error::{Error, Result};
use crate::model::{Brand, BrandId, Record, RecordId};
use crate::vault::index::{CachedRecord, IndexKey, SearchIndex};
use crate::vault::store::{SealedRow, Table};
use fs::{
    CREATING_PREFIX, check_vault_dir, link_new, make_private_file, prepare_vault_dir, sync_dir,
};
use header::{CHECK_PLAINTEXT, FORMAT, FORMAT_VERSION, Header, unb64, unwrap_key};

/// The newest schema of the vault file this build reads and writes.
pub use store::SCHEMA_VERSION;

pub use fs::DB_FILE;
pub(crate) use rekey::SYNC_KEY_PURPOSE;
/// Shortest id prefix accepted in place of a full id.
pub const MIN_ID_PREFIX: usize = 4;

/// The platform's per-user data folder for the default vault
/// (`~/.local/share/vrm-vault` on Linux).
pub fn default_vault_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "VRM Vault", "vrm-vault").map(|d| d.data_dir().into())
}

/// A vault whose file is open and whose header checks out, not yet unlocked.
#[derive(Debug)]
pub struct LockedVault {
    dir: PathBuf,
    conn: Connection,
    header: Header,
    seen_dir: Option<PathBuf>,
}

impl LockedVault {
    /// The vault folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Keep the last state seen of this vault in `dir` instead of the
    /// per-user config folder (tests; a portable install); `None` keeps none.
    pub fn keep_seen_in(mut self, dir: Option<PathBuf>) -> Self {
        self.seen_dir = dir;
        self
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
                return Err(Error::Damaged(
                    "the vault key does not match this vault's data (check value fails)".into(),
                ));
            }
        }
        // Schema changes happen only once the passphrase is proven.
        store::migrate(&self.conn)?;
        let mut conn = self.conn;
        let pending = manifest::track(&mut conn)?;
        let had_manifest = self.header.format_version >= 2;
        let mut state = manifest::State::new(Cipher::new(&vault_key.derive(b"manifest")), pending);
        state.seen_dir = self.seen_dir;
        let mut vault = Vault {
            data_version: store::data_version(&conn)?,
            dir: self.dir,
            conn,
            header: self.header,
            vault_key,
            data,
            manifest: state,
            brands: None,
            damaged_brands: Vec::new(),
            records: RecordCache::default(),
            wal_residue: Default::default(),
        };
        vault.check_manifest_at_unlock(had_manifest)?;
        if !had_manifest {
            // The header now says a manifest exists (its check value is
            // sealed for this format), so a manifest removed later is
            // missed by no one.
            let mut header = vault.header.clone();
            header.format_version = FORMAT_VERSION;
            header.set_check(&vault.data)?;
            vault.write_header(header)?;
        }
        Ok(vault)
    }
}

/// What the vault has decrypted of its records. Each part is built when
/// first needed: unlocking builds none of them, searching builds the index
/// (straight from the decrypted JSON, without building `Record`s) and
/// listing builds every `Record`. Either pass also finds the damaged rows.
#[derive(Default)]
struct RecordCache {
    /// Every record that opened ([`Vault::load_records`]).
    by_id: Option<HashMap<RecordId, CachedRecord>>,
    /// Ids of the rows that did not. Known once either pass has run.
    damaged: Option<Vec<RecordId>>,
    index: Option<SearchIndex<IndexKey>>,
}

impl Drop for RecordCache {
    fn drop(&mut self) {
        for c in self.by_id.iter_mut().flat_map(HashMap::values_mut) {
            wipe_record(&mut c.record);
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

/// Summary figures of an unlocked vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
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

/// An unlocked vault. Dropping it locks it: the keys are zeroized, and so are
/// the decrypted values it cached (copies handed to callers are theirs).
pub struct Vault {
    dir: PathBuf,
    conn: Connection,
    header: Header,
    vault_key: SecretKey,
    data: Cipher,
    /// The sealed manifest over every row (`manifest.rs`).
    manifest: manifest::State,
    brands: Option<BTreeMap<BrandId, Brand>>,
    damaged_brands: Vec<BrandId>,
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
        Self::create_with_key(dir, passphrase, kdf, SecretKey::generate()?, populate)
    }

    /// [`Vault::create_with`] under a vault key given (another device's of
    /// the same vault, from an invitation) instead of a new one.
    pub(crate) fn create_with_key<T>(
        dir: &Path,
        passphrase: &SecretString,
        kdf: KdfParams,
        vault_key: SecretKey,
        populate: impl FnOnce(&mut Vault) -> Result<T>,
    ) -> Result<(Vault, RecoveryCode, T)> {
        check_new_passphrase(passphrase)?;
        let db = dir.join(DB_FILE);
        if db.exists() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        prepare_vault_dir(dir)?;
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
        header.set_check(&data)?;
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
            let mut conn = store::open(&tmp, true)?;
            store::create_schema(&conn)?;
            store::write_header(&conn, &body, &digest)?;
            let pending = manifest::track(&mut conn)?;
            let manifest =
                manifest::State::new(Cipher::new(&vault_key.derive(b"manifest")), pending);
            let mut vault = Vault {
                dir: dir.to_path_buf(),
                data_version: store::data_version(&conn)?,
                conn,
                header,
                vault_key,
                data,
                manifest,
                brands: Some(BTreeMap::new()),
                damaged_brands: Vec::new(),
                records: RecordCache {
                    by_id: Some(HashMap::new()),
                    damaged: Some(Vec::new()),
                    index: None,
                },
                wal_residue: Default::default(),
            };
            let tx = store::write_tx(&vault.conn)?;
            vault.start_manifest(&tx, 0)?;
            tx.commit()?;
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
        vault.manifest.retrack(&mut vault.conn)?;
        vault.data_version = store::data_version(&vault.conn)?;
        if let Ok(root) = vault.read_root(&vault.conn) {
            vault.note_seen(&root);
        }
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
            return Err(Error::Damaged(format!(
                "{} is truncated ({} bytes)",
                db.display(),
                meta.len()
            )));
        }
        let conn = store::open(&db, false)?;
        let version = store::schema_version(&conn)?;
        if version == 0 {
            return Err(Error::Damaged("this is not a VRM Vault file".into()));
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
            seen_dir: manifest::default_seen_dir(),
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

    /// A second handle on this vault's file, unlocked with the key this one
    /// holds (no passphrase, no second KDF): for a thread of its own (the
    /// app's background sync), which must not wait for this handle, nor
    /// this handle for it. Each handle has its own connection; a write
    /// through one is seen by the other at its next read, as a write by
    /// another process is. Dropping it zeroizes its keys.
    pub fn second_handle(&self) -> Result<Vault> {
        let key = SecretKey::from_bytes(Zeroizing::new(*self.vault_key.expose_secret_bytes()));
        let locked = Vault::open(&self.dir)?.keep_seen_in(self.manifest.seen_dir.clone());
        locked.into_vault(key)
    }

    /// A number that changes whenever another connection (another handle,
    /// another process) commits a write to the vault's file; this handle's
    /// own writes leave it as it is. Cheap: one pragma, no I/O.
    pub fn outside_writes(&self) -> Result<i64> {
        store::data_version(&self.conn)
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

    /// Replace the recovery code (the old one stops working): for a code
    /// that may have been seen. The caller shows the new one once.
    pub fn new_recovery_code(&mut self) -> Result<RecoveryCode> {
        let mut header = self.header.clone();
        let code = header.set_recovery(&self.vault_key)?;
        self.write_header(header)?;
        Ok(code)
    }

    fn write_header(&mut self, header: Header) -> Result<()> {
        let (body, digest) = header.encode()?;
        let tx = self.write_tx()?;
        store::write_header(&tx, &body, &digest)?;
        tx.commit()?;
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
        b.id = BrandId::from(row.id.as_str());
        Ok(b)
    }

    fn open_record(&self, row: &SealedRow) -> Result<Record> {
        let mut r: Record = self.open_row(Table::Records, row)?;
        r.id = RecordId::from(row.id.as_str());
        r.brand = row.brand_id.as_deref().map(BrandId::from);
        Ok(r)
    }

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
    pub(crate) fn write_tx(&self) -> Result<WriteTx<'_>> {
        Ok(WriteTx {
            tx: store::write_tx(&self.conn)?,
            vault: self,
        })
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
                let root = self.seal_manifest(&self.conn)?;
                self.conn.execute_batch("COMMIT")?;
                if let Some(root) = root {
                    self.note_seen(&root);
                }
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
}

/// A write transaction of the vault: its [`WriteTx::commit`] writes the
/// manifest's entry for what changed first, in the same transaction.
/// Dropped without committing, it rolls back.
pub(crate) struct WriteTx<'v> {
    tx: rusqlite::Transaction<'v>,
    vault: &'v Vault,
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

impl WriteTx<'_> {
    /// Seal the manifest's entry, then commit.
    pub(crate) fn commit(self) -> Result<()> {
        let root = self.vault.seal_manifest(&self.tx)?;
        self.tx.commit()?;
        if let Some(root) = root {
            self.vault.note_seen(&root);
        }
        Ok(())
    }
}

#[cfg(test)]
impl Vault {
    /// A connection of its own to the vault's file, without the vault's
    /// hooks: what malware or a sync peer writing the file would use.
    pub(crate) fn outside_conn(&self) -> Connection {
        Connection::open(self.dir.join(DB_FILE)).unwrap()
    }
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
        return Err(Error::invalid_field(
            "passphrase",
            format!("the passphrase is too short (at least {MIN_PASSPHRASE_CHARS} characters)"),
        ));
    }
    Ok(())
}

/// How long `init` aims for one passphrase derivation to take by default.
pub const DEFAULT_KDF_TARGET: Duration = Duration::from_millis(1000);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BrandInput, NewRecord, RecordFilter, RecordKind};
    use crate::vault::index::Hit;
    use chrono::NaiveDate;

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

    #[test]
    fn a_second_handle_shares_the_file_and_sees_the_others_writes() {
        let (_tmp, dir, mut v) = new_vault();
        let mut second = v.second_handle().unwrap();
        assert_eq!(second.dir(), dir.as_path());
        let before = second.outside_writes().unwrap();
        let first = record(&mut v, None, None, "from the first handle");
        assert_ne!(
            second.outside_writes().unwrap(),
            before,
            "a write elsewhere moves it"
        );
        assert_eq!(
            second.record(first.id.as_str()).unwrap().fields["text"],
            "from the first handle"
        );
        let seen = v.outside_writes().unwrap();
        record(&mut second, None, None, "from the second handle");
        assert_ne!(v.outside_writes().unwrap(), seen);
        assert_eq!(v.list_records(&RecordFilter::default()).unwrap().len(), 2);
        // Its own writes do not move its number.
        let own = second.outside_writes().unwrap();
        record(&mut second, None, None, "again");
        assert_eq!(second.outside_writes().unwrap(), own);
        drop(second);
        assert!(v.integrity().unwrap().is_intact());
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
                    brand: (i % 4 == 0).then(|| acme.id.to_string()),
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
        // Damage two rows' ciphertext behind the vault's back (in different
        // batches of the two-thread indexing).
        let victim = ids[8].clone();
        let second = ids[30].clone();
        for id in [&victim, &second] {
            v.outside_conn()
                .execute(
                    "UPDATE records SET body = CAST(substr(body, 1, 20) \
                     || CASE WHEN substr(body, 21, 1) = X'00' THEN X'01' ELSE X'00' END \
                     || substr(body, 22) AS BLOB) WHERE id = ?1",
                    [id.as_str()],
                )
                .unwrap();
        }
        let mut damaged = vec![victim.clone(), second.clone()];
        damaged.sort();
        let sorted = |mut ids: Vec<RecordId>| {
            ids.sort();
            ids
        };
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
                brand: Some(acme.id.to_string()),
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
        assert_eq!(sorted(lazy.damaged_records().unwrap()), damaged);
        let mut got = Vec::new();
        for q in queries {
            for f in &filters {
                got.push(lazy.search(q, f).unwrap());
            }
        }
        // ...and from the Records, in a vault that listed them first.
        let mut eager = reopen(&dir);
        let listed = eager.list_records(&RecordFilter::default()).unwrap();
        assert_eq!(listed.len(), 38);
        assert!(listed.iter().all(|r| !damaged.contains(&r.id)));
        assert_eq!(sorted(eager.damaged_records().unwrap()), damaged);
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
                .all(|h| damaged.iter().all(|d| *h != Hit::Record(d.clone())))
        );
        assert!(
            got.iter().any(|h| h.len() > 5),
            "the queries find something"
        );
        // The damaged row is still reported once everything is listed.
        lazy.list_records(&RecordFilter::default()).unwrap();
        assert_eq!(sorted(lazy.damaged_records().unwrap()), damaged);
        assert!(matches!(lazy.record(&victim), Err(Error::Tampered { .. })));
        // The damaged list is known without building the index or Records.
        let mut fresh = reopen(&dir);
        assert_eq!(sorted(fresh.damaged_records().unwrap()), damaged);
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
            brand: Some(alpha.id.to_string()),
            ..Default::default()
        };
        assert_eq!(
            v.search("shop", &only_alpha).unwrap(),
            vec![Hit::Record(same2.id), Hit::Record(same1.id)]
        );
    }

    #[test]
    fn a_changed_date_moves_the_record_in_lists_and_filters() {
        let (_tmp, _dir, mut v) = new_vault();
        let a = record(&mut v, None, Some("2024-05-01"), "a");
        let b = record(&mut v, None, Some("2024-06-01"), "b");
        let ids = |v: &mut Vault, filter: &RecordFilter| -> Vec<RecordId> {
            v.list_records(filter)
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect()
        };
        let all = RecordFilter::default();
        let june = RecordFilter {
            since: NaiveDate::from_ymd_opt(2024, 6, 1),
            ..Default::default()
        };
        assert_eq!(ids(&mut v, &all), [b.id.clone(), a.id.clone()]);
        assert_eq!(ids(&mut v, &june), std::slice::from_ref(&b.id));
        // The cache holds each record's parsed date: a change must replace it.
        let patch = crate::model::RecordPatch {
            set: BTreeMap::from([("date".to_string(), "2024-07-01T09:00:00+02:00".to_string())]),
            ..Default::default()
        };
        v.update_record(&a.id, &patch).unwrap();
        assert_eq!(ids(&mut v, &all), [a.id.clone(), b.id.clone()]);
        assert_eq!(ids(&mut v, &june), [a.id.clone(), b.id.clone()]);
        assert_eq!(
            v.search("note", &june).unwrap(),
            [Hit::Record(a.id.clone()), Hit::Record(b.id.clone())]
        );
    }
}
