//! The sealed manifest: what the vault holds as a whole, so that a row
//! deleted, added or put back from an older copy of the file is noticed and
//! named, and an older copy of the whole file is noticed too.
//!
//! Each row authenticates itself (its associated data binds table, id,
//! version and brand), but a row alone cannot say it is missing, or that it
//! is an older version than the one last written. The manifest can: it is a
//! log of sealed entries, one per transaction, each listing the
//! `(table, key, version)` the transaction wrote or deleted (a version of 0
//! is a delete), chained by hash, and every so often folded into one
//! snapshot entry of every row. Its root, sealed too, holds the last entry's
//! sequence number (a counter that only grows), the chain's head and the
//! digest of the vault header, so neither the header nor the log can change
//! without the root disagreeing.
//!
//! - Every row change is seen by SQLite's preupdate hook, whatever code made
//!   it, and a commit hook refuses to commit a change no entry covers: the
//!   entry is written in the same transaction as the rows
//!   (`Vault::seal_manifest`), or nothing is.
//! - At unlock the root, the header's digest and the log's extent are
//!   checked (cheap); the full comparison of every row against the replayed
//!   manifest runs with the vault's health ([`Vault::integrity`]).
//! - The last counter and chain head seen on this machine are kept outside
//!   the vault folder (the per-user config folder): an older copy of the
//!   whole file, manifest and all, is reported as a rollback. Until the
//!   person accepts the vault as it is ([`Vault::accept_integrity`]), a
//!   vault with such a problem reads but refuses to write.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::hooks::{Action, PreUpdateCase};
use rusqlite::types::ValueRef;
use serde::{Deserialize, Serialize};

use super::Vault;
use super::store;
use crate::crypto::{self, Cipher};
use crate::error::{Error, Result};

/// After this many entries since the last snapshot, the next write folds
/// them into a new one (so the log does not grow, and the ids of deleted
/// rows leave it).
const SNAPSHOT_AFTER: u64 = if cfg!(test) { 20 } else { 1000 };

const ENTRY_MAGIC: &[u8; 4] = b"VRMM";
const ENTRY_FORMAT: u8 = 1;
const KIND_SNAPSHOT: u8 = 1;
const KIND_DELTA: u8 = 2;

/// The tables the manifest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Tracked {
    Brands,
    Records,
    Documents,
    AuditLog,
    SyncRows,
}

impl Tracked {
    fn of_table(name: &str) -> Option<Self> {
        Some(match name {
            "brands" => Tracked::Brands,
            "records" => Tracked::Records,
            "documents" => Tracked::Documents,
            "audit_log" => Tracked::AuditLog,
            "sync_rows" => Tracked::SyncRows,
            _ => return None,
        })
    }

    fn code(self) -> u8 {
        match self {
            Tracked::Brands => 1,
            Tracked::Records => 2,
            Tracked::Documents => 3,
            Tracked::AuditLog => 4,
            Tracked::SyncRows => 5,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Tracked::Brands,
            2 => Tracked::Records,
            3 => Tracked::Documents,
            4 => Tracked::AuditLog,
            5 => Tracked::SyncRows,
            _ => return None,
        })
    }

    /// The table's SQL name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tracked::Brands => "brands",
            Tracked::Records => "records",
            Tracked::Documents => "documents",
            Tracked::AuditLog => "audit_log",
            Tracked::SyncRows => "sync_rows",
        }
    }

    /// Where the key and the version are in a row of this table (a
    /// document's key is its kind and id).
    fn key_version(self, col: impl Fn(i32) -> Option<Cell>) -> Option<(String, i64)> {
        let text = |i| match col(i)? {
            Cell::Text(t) => Some(t),
            Cell::Int(n) => Some(n.to_string()),
        };
        let int = |i| match col(i)? {
            Cell::Int(n) => Some(n),
            Cell::Text(_) => None,
        };
        match self {
            Tracked::Brands => Some((text(0)?, int(1)?)),
            Tracked::Records => Some((text(0)?, int(2)?)),
            Tracked::Documents => Some((format!("{}\0{}", text(0)?, text(1)?), int(3)?)),
            Tracked::AuditLog => Some((text(0)?, 1)),
            Tracked::SyncRows => Some((format!("{}\0{}", text(0)?, text(1)?), int(2)?)),
        }
    }
}

/// A key or version column's value, copied out of the hook's call.
enum Cell {
    Text(String),
    Int(i64),
}

fn cell(v: rusqlite::Result<ValueRef<'_>>) -> Option<Cell> {
    match v.ok()? {
        ValueRef::Text(t) => String::from_utf8(t.to_vec()).ok().map(Cell::Text),
        ValueRef::Integer(n) => Some(Cell::Int(n)),
        _ => None,
    }
}

/// What the current transaction changed, as the preupdate hook saw it.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// `(table, key, version)`, version 0 for a delete, in order.
    rows: Vec<(Tracked, String, i64)>,
    /// The header row was written.
    header: bool,
    /// A change whose key could not be read (never from our own writes):
    /// the transaction must not commit.
    unreadable: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.rows.is_empty() && !self.header && !self.unreadable
    }
}

/// The pending changes of one connection, shared with its hooks.
pub(crate) type Shared = Arc<Mutex<Pending>>;

/// Watch every row `conn` changes: the preupdate hook collects them, the
/// commit hook turns a commit with changes no manifest entry covers into a
/// rollback, and a rollback forgets them.
pub(crate) fn track(conn: &mut Connection) -> Result<Shared> {
    let pending = Shared::default();
    let seen = Arc::clone(&pending);
    conn.preupdate_hook(Some(
        move |_: Action, db: &str, table: &str, case: &PreUpdateCase| {
            if db != "main" {
                return;
            }
            let Ok(mut p) = seen.lock() else { return };
            if table == "vault_header" {
                p.header = true;
                return;
            }
            let Some(t) = Tracked::of_table(table) else {
                return;
            };
            let (old, new) = match case {
                PreUpdateCase::Insert(n) => {
                    (None, t.key_version(|i| cell(n.get_new_column_value(i))))
                }
                PreUpdateCase::Delete(o) => {
                    (t.key_version(|i| cell(o.get_old_column_value(i))), None)
                }
                PreUpdateCase::Update {
                    old_value_accessor: o,
                    new_value_accessor: n,
                } => (
                    t.key_version(|i| cell(o.get_old_column_value(i))),
                    t.key_version(|i| cell(n.get_new_column_value(i))),
                ),
                PreUpdateCase::Unknown => {
                    p.unreadable = true;
                    return;
                }
            };
            if matches!(
                case,
                PreUpdateCase::Delete(_) | PreUpdateCase::Update { .. }
            ) && old.is_none()
                || matches!(
                    case,
                    PreUpdateCase::Insert(_) | PreUpdateCase::Update { .. }
                ) && new.is_none()
            {
                p.unreadable = true;
                return;
            }
            match (old, new) {
                (Some((old_key, _)), Some((new_key, v))) if old_key != new_key => {
                    p.rows.push((t, old_key, 0));
                    p.rows.push((t, new_key, v));
                }
                (_, Some((key, v))) => p.rows.push((t, key, v)),
                (Some((key, _)), None) => p.rows.push((t, key, 0)),
                (None, None) => {}
            }
        },
    ))?;
    let guard = Arc::clone(&pending);
    conn.commit_hook(Some(move || {
        // true turns the commit into a rollback.
        guard.lock().map(|p| !p.is_empty()).unwrap_or(true)
    }))?;
    let forget = Arc::clone(&pending);
    conn.rollback_hook(Some(move || {
        if let Ok(mut p) = forget.lock() {
            *p = Pending::default();
        }
    }))?;
    Ok(pending)
}

/// The sealed root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Root {
    /// The last entry's sequence number: it only grows.
    pub(crate) counter: u64,
    /// The first entry kept: a snapshot of every row.
    pub(crate) first: u64,
    /// The chain's value before the first entry kept (the entries before it
    /// were folded into it), hex; empty for the first snapshot ever.
    pub(crate) base: String,
    /// The chain's value after the last entry: SHA-256 over the value
    /// before and the SHA-256 of the sealed entry, hex.
    pub(crate) chain: String,
    /// SHA-256 of the header row's body, hex.
    pub(crate) header: String,
}

/// One row's state in the manifest: its table and key, and its version.
type Expected = HashMap<(Tracked, String), i64>;

/// What is wrong with the vault as a whole. While any is there, the vault
/// reads but does not write, until the person accepts it as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
#[non_exhaustive]
pub enum VaultProblem {
    /// The file is older than the one last seen on this machine (its
    /// counter is lower): an earlier copy was put in its place.
    RolledBack {
        /// The file's counter.
        found: u64,
        /// The counter last seen on this machine.
        seen: u64,
    },
    /// The file has the counter last seen but not the same history: another
    /// copy of the vault, written separately.
    Forked {
        /// The counter both share.
        counter: u64,
    },
    /// The manifest is missing from a vault that had one.
    ManifestMissing,
    /// The manifest fails to authenticate or is incomplete.
    ManifestDamaged {
        /// What fails.
        reason: String,
    },
    /// The header (KDF parameters, wrapped keys) is not the one the
    /// manifest vouches for.
    HeaderChanged,
}

impl std::fmt::Display for VaultProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VaultProblem::RolledBack { found, seen } => write!(
                f,
                "this vault is an older copy than the one last opened on this machine \
                 (its counter is {found}, {seen} was seen)"
            ),
            VaultProblem::Forked { counter } => write!(
                f,
                "this vault is another copy than the one last opened on this machine \
                 (same counter {counter}, different history)"
            ),
            VaultProblem::ManifestMissing => {
                write!(f, "the vault's manifest is missing")
            }
            VaultProblem::ManifestDamaged { reason } => {
                write!(f, "the vault's manifest is damaged: {reason}")
            }
            VaultProblem::HeaderChanged => write!(
                f,
                "the vault header (key wraps, KDF parameters) was changed outside the vault"
            ),
        }
    }
}

/// One row that does not match the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RowFinding {
    /// `brands`, `records`, `documents` or `audit_log`.
    pub table: String,
    /// The row's id (a document's `kind/id`, an activity-log entry's number).
    pub id: String,
    /// What is wrong.
    pub problem: RowProblem,
}

/// How a row differs from the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
#[non_exhaustive]
pub enum RowProblem {
    /// The manifest lists it; the file does not have it (deleted behind the
    /// vault's back).
    Missing,
    /// The file has it; the manifest does not (added behind its back, or
    /// put back after a delete).
    Added,
    /// An older version than the one last written (put back from an
    /// earlier copy of the file).
    RolledBack {
        /// The version in the file.
        found: i64,
        /// The version the manifest lists.
        expected: i64,
    },
    /// A version the vault never wrote.
    Unexpected {
        /// The version in the file.
        found: i64,
        /// The version the manifest lists.
        expected: i64,
    },
}

impl std::fmt::Display for RowFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = format!("{} {}", self.table, self.id);
        match &self.problem {
            RowProblem::Missing => write!(f, "{what} is missing (deleted outside the vault)"),
            RowProblem::Added => write!(f, "{what} was added outside the vault"),
            RowProblem::RolledBack { found, expected } => write!(
                f,
                "{what} was put back to an older version ({found}; the last written is {expected})"
            ),
            RowProblem::Unexpected { found, expected } => write!(
                f,
                "{what} has version {found}, which the vault never wrote (expected {expected})"
            ),
        }
    }
}

/// What the manifest says about the vault: problems with the whole, and
/// rows that differ from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Integrity {
    /// Problems with the vault as a whole; writes wait for
    /// [`Vault::accept_integrity`].
    pub problems: Vec<VaultProblem>,
    /// Rows that differ from the manifest.
    pub rows: Vec<RowFinding>,
}

impl Integrity {
    /// Nothing differs.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.rows.is_empty()
    }
}

/// The manifest's part of an unlocked vault.
pub(crate) struct State {
    cipher: Cipher,
    pending: Shared,
    /// Found at unlock; writes are refused while there is any.
    problems: Vec<VaultProblem>,
    /// Where the last state seen on this machine is kept (`None`: nowhere,
    /// as in unit tests).
    pub(crate) seen_dir: Option<PathBuf>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("manifest::State")
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl State {
    pub(crate) fn new(cipher: Cipher, pending: Shared) -> Self {
        State {
            cipher,
            pending,
            problems: Vec::new(),
            seen_dir: default_seen_dir(),
        }
    }

    /// Seal with another key from now on (a rekey).
    pub(crate) fn set_cipher(&mut self, cipher: Cipher) {
        self.cipher = cipher;
    }

    /// Track a new connection (the vault's was replaced).
    pub(crate) fn retrack(&mut self, conn: &mut Connection) -> Result<()> {
        self.pending = track(conn)?;
        Ok(())
    }

    fn entry_aad(seq: u64) -> Vec<u8> {
        format!("vrm-vault/1\0manifest_log\0{seq}").into_bytes()
    }

    fn root_aad(vault_id: &str) -> Vec<u8> {
        format!("vrm-vault/1\0manifest_root\0{vault_id}").into_bytes()
    }
}

/// Where the last counter seen of each vault is kept: the per-user config
/// folder, outside any vault folder (a copy of the vault folder does not
/// carry it). Unit tests keep none.
pub(crate) fn default_seen_dir() -> Option<PathBuf> {
    if cfg!(test) {
        return None;
    }
    directories::ProjectDirs::from("org", "VRM Vault", "vrm-vault")
        .map(|d| d.config_dir().join("seen"))
}

/// The last state of one vault seen on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    counter: u64,
    chain: String,
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn next_chain(prev: &str, sealed: &[u8]) -> String {
    let mut buf = Vec::with_capacity(prev.len() + 32);
    buf.extend_from_slice(prev.as_bytes());
    buf.extend_from_slice(&crypto::sha256(sealed));
    hex(&crypto::sha256(&buf))
}

/// An entry's plaintext: magic, format, kind, then `(table, version, key)`.
fn encode_entry<'a>(
    kind: u8,
    rows: impl ExactSizeIterator<Item = (Tracked, &'a str, i64)>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(10 + rows.len() * 50);
    out.extend_from_slice(ENTRY_MAGIC);
    out.push(ENTRY_FORMAT);
    out.push(kind);
    out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    for (t, key, version) in rows {
        out.push(t.code());
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
    }
    out
}

/// Apply an entry's plaintext to `state`; its kind.
fn apply_entry(plain: &[u8], state: &mut Expected) -> Option<u8> {
    let rest = plain.strip_prefix(ENTRY_MAGIC)?;
    let (&[format, kind], rest) = rest.split_first_chunk::<2>()?;
    if format != ENTRY_FORMAT || !matches!(kind, KIND_SNAPSHOT | KIND_DELTA) {
        return None;
    }
    let (n, mut rest) = rest.split_first_chunk::<4>()?;
    let n = u32::from_le_bytes(*n);
    if kind == KIND_SNAPSHOT {
        state.clear();
    }
    for _ in 0..n {
        let (&[code], r) = rest.split_first_chunk::<1>()?;
        let (v, r) = r.split_first_chunk::<8>()?;
        let (len, r) = r.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        if r.len() < len {
            return None;
        }
        let (key, r) = r.split_at(len);
        let table = Tracked::from_code(code)?;
        let key = std::str::from_utf8(key).ok()?.to_string();
        let version = i64::from_le_bytes(*v);
        if version == 0 {
            state.remove(&(table, key));
        } else {
            state.insert((table, key), version);
        }
        rest = r;
    }
    rest.is_empty().then_some(kind)
}

/// A row's key as a person reads it (a document's `kind/id`).
fn shown_key(table: Tracked, key: &str) -> String {
    match table {
        Tracked::Documents | Tracked::SyncRows => key.replacen('\0', "/", 1),
        _ => key.to_string(),
    }
}

/// One row an entry lists: table, key, version (0: a delete).
type EntryRow = (Tracked, String, i64);

/// What transactions wrote since an entry: `(table name, key)`.
pub(crate) type WrittenRows = Vec<(&'static str, String)>;

/// The rows an entry's plaintext lists, and whether it is a delta (not a
/// snapshot).
fn entry_rows(plain: &[u8]) -> Option<(bool, Vec<EntryRow>)> {
    let rest = plain.strip_prefix(ENTRY_MAGIC)?;
    let (&[format, kind], rest) = rest.split_first_chunk::<2>()?;
    if format != ENTRY_FORMAT || !matches!(kind, KIND_SNAPSHOT | KIND_DELTA) {
        return None;
    }
    let (n, mut rest) = rest.split_first_chunk::<4>()?;
    let n = u32::from_le_bytes(*n) as usize;
    let mut rows = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        let (&[code], r) = rest.split_first_chunk::<1>()?;
        let (v, r) = r.split_first_chunk::<8>()?;
        let (len, r) = r.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        if r.len() < len {
            return None;
        }
        let (key, r) = r.split_at(len);
        rows.push((
            Tracked::from_code(code)?,
            std::str::from_utf8(key).ok()?.to_string(),
            i64::from_le_bytes(*v),
        ));
        rest = r;
    }
    rest.is_empty().then_some((kind == KIND_DELTA, rows))
}

impl Vault {
    fn header_digest(conn: &Connection) -> Result<String> {
        let (body, _) = store::read_header(conn)?;
        Ok(hex(&crypto::sha256(&body)))
    }

    /// The rows written or deleted by the transactions after entry `after`
    /// of the manifest's log (table name and key: a document's
    /// `kind\0id`), and the log's last entry. `None` for the rows when the
    /// log no longer holds every entry after `after` (folded into a
    /// snapshot since, or made again): the caller compares every row then.
    pub(crate) fn manifest_changes_since(
        &self,
        after: Option<u64>,
    ) -> Result<(u64, Option<WrittenRows>)> {
        let root = self
            .read_root(&self.conn)
            .map_err(|p| Error::Damaged(p.to_string()))?;
        let Some(after) = after.filter(|a| *a + 1 > root.first && *a <= root.counter) else {
            return Ok((root.counter, None));
        };
        let mut rows = Vec::new();
        let mut whole = true;
        let mut expected = after + 1;
        store::for_each_manifest_entry_after(&self.conn, after, |seq, sealed| {
            let seq = u64::try_from(seq).unwrap_or(0);
            let parsed = self
                .manifest
                .cipher
                .open(&State::entry_aad(seq), sealed)
                .and_then(|plain| entry_rows(&plain));
            match parsed {
                Some((true, entry)) if seq == expected => {
                    rows.extend(entry.into_iter().map(|(t, k, _)| (t.name(), k)));
                }
                _ => whole = false,
            }
            expected = seq + 1;
            Ok(())
        })?;
        Ok((root.counter, whole.then_some(rows)))
    }

    pub(crate) fn read_root(&self, conn: &Connection) -> std::result::Result<Root, VaultProblem> {
        let damaged = |reason: &str| VaultProblem::ManifestDamaged {
            reason: reason.into(),
        };
        let sealed = store::manifest_root(conn)
            .map_err(|_| damaged("its root cannot be read"))?
            .ok_or(VaultProblem::ManifestMissing)?;
        let plain = self
            .manifest
            .cipher
            .open(&State::root_aad(&self.header.vault_id), &sealed)
            .ok_or_else(|| damaged("its root fails to authenticate"))?;
        serde_json::from_slice(&plain).map_err(|_| damaged("its root cannot be read"))
    }

    pub(crate) fn write_root(&self, conn: &Connection, root: &Root) -> Result<()> {
        let plain = serde_json::to_vec(root).map_err(|e| Error::Database(e.to_string()))?;
        let sealed = self
            .manifest
            .cipher
            .seal(&State::root_aad(&self.header.vault_id), &plain)?;
        store::write_manifest_root(conn, &sealed)
    }

    fn write_entry(&self, conn: &Connection, seq: u64, prev: &str, plain: &[u8]) -> Result<String> {
        let sealed = self.manifest.cipher.seal(&State::entry_aad(seq), plain)?;
        store::insert_manifest_entry(conn, seq, &sealed)?;
        Ok(next_chain(prev, &sealed))
    }

    /// Start the manifest of a new vault (or of a vault made before it
    /// existed, over the rows it holds then), inside `conn`'s transaction.
    /// The counter starts above `floor` (the last one seen on this machine,
    /// when the manifest is made again).
    pub(crate) fn start_manifest(&self, conn: &Connection, floor: u64) -> Result<Root> {
        let mut rows = Vec::new();
        store::row_versions(conn, |table, key, version| {
            if let Some(t) = Tracked::of_table(table) {
                rows.push((t, key, version));
            }
        })?;
        store::delete_manifest_before(conn, u64::MAX >> 1)?;
        let seq = floor + 1;
        let plain = encode_entry(
            KIND_SNAPSHOT,
            rows.iter().map(|(t, k, v)| (*t, k.as_str(), *v)),
        );
        let chain = self.write_entry(conn, seq, "", &plain)?;
        let root = Root {
            counter: seq,
            first: seq,
            base: String::new(),
            chain,
            header: Self::header_digest(conn)?,
        };
        self.write_root(conn, &root)?;
        self.clear_pending();
        Ok(root)
    }

    fn clear_pending(&self) {
        if let Ok(mut p) = self.manifest.pending.lock() {
            *p = Pending::default();
        }
    }

    /// Write the entry for what the current transaction changed (on `conn`,
    /// the transaction), just before it commits. Nothing changed: nothing
    /// written. Refused while the vault as a whole has a problem the person
    /// has not accepted.
    pub(crate) fn seal_manifest(&self, conn: &Connection) -> Result<Option<Root>> {
        let pending = {
            let mut p = self
                .manifest
                .pending
                .lock()
                .map_err(|_| Error::Database("the manifest's lock is poisoned".into()))?;
            if p.is_empty() {
                return Ok(None);
            }
            std::mem::take(&mut *p)
        };
        if let Some(problem) = self.manifest.problems.first() {
            return Err(Error::IntegrityHold(problem.to_string()));
        }
        if pending.unreadable {
            return Err(Error::Database(
                "a change to the vault could not be read for its manifest".into(),
            ));
        }
        let root = self
            .read_root(conn)
            .map_err(|p| Error::IntegrityHold(p.to_string()))?;
        let seq = root.counter + 1;
        let header = if pending.header {
            Self::header_digest(conn)?
        } else {
            root.header.clone()
        };
        let new_root = if seq - root.first >= SNAPSHOT_AFTER {
            // Fold the log into a snapshot: the state the log vouches for,
            // with this transaction's changes.
            let mut state = self
                .replay(conn, &root)
                .map_err(|p| Error::IntegrityHold(p.to_string()))?;
            for (t, key, v) in pending.rows {
                if v == 0 {
                    state.remove(&(t, key));
                } else {
                    state.insert((t, key), v);
                }
            }
            let plain = encode_entry(
                KIND_SNAPSHOT,
                state.iter().map(|((t, k), v)| (*t, k.as_str(), *v)),
            );
            let chain = self.write_entry(conn, seq, &root.chain, &plain)?;
            store::delete_manifest_before(conn, seq)?;
            Root {
                counter: seq,
                first: seq,
                base: root.chain.clone(),
                chain,
                header,
            }
        } else {
            let plain = encode_entry(
                KIND_DELTA,
                pending.rows.iter().map(|(t, k, v)| (*t, k.as_str(), *v)),
            );
            let chain = self.write_entry(conn, seq, &root.chain, &plain)?;
            Root {
                counter: seq,
                chain,
                header,
                ..root
            }
        };
        self.write_root(conn, &new_root)?;
        // The manifest's own rows are not tracked; nothing else may have
        // been added since the take.
        self.clear_pending();
        Ok(Some(new_root))
    }

    /// Replay the log into the state it vouches for, checking every entry.
    fn replay(
        &self,
        conn: &Connection,
        root: &Root,
    ) -> std::result::Result<Expected, VaultProblem> {
        let damaged = |reason: String| VaultProblem::ManifestDamaged { reason };
        let mut state = Expected::new();
        let mut expected_seq = root.first;
        let mut chain = root.base.clone();
        store::for_each_manifest_entry(conn, |seq, sealed| {
            let seq = u64::try_from(seq).unwrap_or(0);
            if seq < root.first {
                return Ok(());
            }
            if seq != expected_seq {
                return Err(Error::Damaged(format!(
                    "entry {expected_seq} of its log is missing"
                )));
            }
            let plain = self
                .manifest
                .cipher
                .open(&State::entry_aad(seq), sealed)
                .ok_or_else(|| {
                    Error::Damaged(format!("entry {seq} of its log fails to authenticate"))
                })?;
            let kind = apply_entry(&plain, &mut state)
                .ok_or_else(|| Error::Damaged(format!("entry {seq} of its log cannot be read")))?;
            if seq == root.first && kind != KIND_SNAPSHOT {
                return Err(Error::Damaged(format!(
                    "entry {seq} of its log should be a snapshot"
                )));
            }
            chain = next_chain(&chain, sealed);
            expected_seq += 1;
            Ok(())
        })
        .map_err(|e| match e {
            Error::Damaged(reason) => damaged(reason),
            other => damaged(other.to_string()),
        })?;
        if expected_seq != root.counter + 1 {
            return Err(damaged(format!(
                "its log ends at entry {} of {}",
                expected_seq.saturating_sub(1),
                root.counter
            )));
        }
        if chain != root.chain {
            return Err(damaged(
                "its log is not the one its root vouches for".into(),
            ));
        }
        Ok(state)
    }
}

impl Vault {
    /// The manifest's root, the header's digest and the log's extent
    /// (first, last, count) as of one moment, in one read transaction:
    /// another process committing between two of the reads would look
    /// like a log that does not match its root.
    #[allow(clippy::type_complexity)]
    fn manifest_at_one_moment(
        &self,
    ) -> Result<(
        std::result::Result<Root, VaultProblem>,
        String,
        (Option<i64>, Option<i64>, i64),
    )> {
        let read = self.conn.unchecked_transaction()?;
        let found = (
            self.read_root(&read),
            Self::header_digest(&read)?,
            store::manifest_range(&read)?,
        );
        read.commit()?;
        Ok(found)
    }

    /// Check the manifest's root at unlock: it opens, it vouches for this
    /// header, its log is all there, and it is not older than the state last
    /// seen on this machine. A vault made before the manifest existed gets
    /// one, over the rows it holds now. What is found is kept: the vault
    /// then reads but refuses to write ([`Vault::integrity`] says why).
    pub(crate) fn check_manifest_at_unlock(&mut self, had_manifest: bool) -> Result<()> {
        let mut problems = Vec::new();
        let (mut found_root, mut header_digest, mut extent) = self.manifest_at_one_moment()?;
        if !had_manifest && found_root == Err(VaultProblem::ManifestMissing) {
            // Trust on first use, once: the upgrade of a vault written
            // before the manifest. The header's format then says a
            // manifest exists, so removing it later is noticed.
            let tx = store::write_tx(&self.conn)?;
            self.start_manifest(&tx, self.read_seen().map_or(0, |s| s.counter))?;
            tx.commit()?;
            (found_root, header_digest, extent) = self.manifest_at_one_moment()?;
        }
        let (min, max, count) = extent;
        let root = match found_root {
            Ok(root) => Some(root),
            Err(problem) => {
                problems.push(problem);
                None
            }
        };
        if let Some(root) = &root {
            if header_digest != root.header {
                problems.push(VaultProblem::HeaderChanged);
            }
            let extent_ok = min == Some(root.first as i64)
                && max == Some(root.counter as i64)
                && count == (root.counter - root.first + 1) as i64;
            if !extent_ok {
                problems.push(VaultProblem::ManifestDamaged {
                    reason: "its log is incomplete".into(),
                });
            }
            if let Some(seen) = self.read_seen() {
                if seen.counter > root.counter {
                    problems.push(VaultProblem::RolledBack {
                        found: root.counter,
                        seen: seen.counter,
                    });
                } else if seen.counter == root.counter && seen.chain != root.chain {
                    problems.push(VaultProblem::Forked {
                        counter: root.counter,
                    });
                }
            }
            if problems.is_empty() {
                self.note_seen(root);
            }
        } else if let Some(seen) = self.read_seen() {
            problems.push(VaultProblem::RolledBack {
                found: 0,
                seen: seen.counter,
            });
        }
        self.manifest.problems = problems;
        Ok(())
    }

    /// Compare every row with the manifest: what is missing, added or
    /// older than the manifest says, by table and id, and the problems
    /// with the vault as a whole found at unlock. Reads every row's id and
    /// version (not its body).
    pub fn integrity(&self) -> Result<Integrity> {
        // As of one moment (see `manifest_at_one_moment`): the app's sync
        // thread or `vrm` may commit while this reads.
        if !self.conn.is_autocommit() {
            return self.integrity_now();
        }
        let read = self.conn.unchecked_transaction()?;
        let found = self.integrity_now()?;
        read.commit()?;
        Ok(found)
    }

    fn integrity_now(&self) -> Result<Integrity> {
        let mut problems = self.manifest.problems.clone();
        let mut rows = Vec::new();
        let root = match self.read_root(&self.conn) {
            Ok(root) => Some(root),
            Err(p) => {
                if !problems.contains(&p) {
                    problems.push(p);
                }
                None
            }
        };
        if let Some(root) = root {
            match self.replay(&self.conn, &root) {
                Ok(mut expected) => {
                    store::row_versions(&self.conn, |table, key, found| {
                        let Some(t) = Tracked::of_table(table) else {
                            return;
                        };
                        let problem = match expected.remove(&(t, key.clone())) {
                            None => RowProblem::Added,
                            Some(v) if v == found => return,
                            Some(expected) if found < expected => {
                                RowProblem::RolledBack { found, expected }
                            }
                            Some(expected) => RowProblem::Unexpected { found, expected },
                        };
                        rows.push(RowFinding {
                            table: t.name().into(),
                            id: shown_key(t, &key),
                            problem,
                        });
                    })?;
                    rows.extend(expected.into_keys().map(|(t, key)| RowFinding {
                        table: t.name().into(),
                        id: shown_key(t, &key),
                        problem: RowProblem::Missing,
                    }));
                }
                Err(p) => {
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
        }
        rows.sort_by(|a, b| (&a.table, &a.id).cmp(&(&b.table, &b.id)));
        Ok(Integrity { problems, rows })
    }

    /// Check the activity log's extent against the manifest: entries
    /// `1..=count` are there, and its head is there once it has entries.
    /// Once a log exists, it cannot be wiped (entries and head) unnoticed.
    pub(crate) fn check_log_against_manifest(&self, count: u64) -> Result<()> {
        let broken = |why: String| Error::AuditBroken(why);
        let root = self
            .read_root(&self.conn)
            .map_err(|p| broken(format!("the vault's manifest cannot vouch for it: {p}")))?;
        let expected = self
            .replay(&self.conn, &root)
            .map_err(|p| broken(format!("the vault's manifest cannot vouch for it: {p}")))?;
        let mut listed: Vec<u64> = expected
            .keys()
            .filter(|(t, _)| *t == Tracked::AuditLog)
            .filter_map(|(_, k)| k.parse().ok())
            .collect();
        listed.sort_unstable();
        let listed_count = listed.len() as u64;
        if listed_count > count {
            let first_missing = (1..=listed_count).find(|n| *n > count).unwrap_or(count + 1);
            return Err(broken(format!(
                "entries {first_missing} to {listed_count} are missing (the vault's manifest lists \
                 {listed_count} entries, the log has {count})"
            )));
        }
        if listed_count < count || listed.iter().zip(1..).any(|(a, b)| *a != b) {
            return Err(broken(format!(
                "the log has {count} entries, the vault's manifest lists {listed_count}"
            )));
        }
        let head_key = (
            Tracked::Documents,
            format!("{}\0head", super::audit::HEAD_KIND),
        );
        if expected.contains_key(&head_key)
            && store::doc(&self.conn, super::audit::HEAD_KIND, "head")?.is_none()
        {
            return Err(broken(
                "its head is missing (the vault's manifest lists it)".into(),
            ));
        }
        Ok(())
    }

    /// Accept the vault as it is now, after the person has looked at what
    /// [`Vault::integrity`] found (a deliberate restore of an older copy,
    /// say): the manifest is made again over the rows the file holds, with
    /// a counter above any seen, and this state is recorded as the last one
    /// seen on this machine. Writing works again.
    pub fn accept_integrity(&mut self) -> Result<()> {
        let floor = match self.read_root(&self.conn) {
            Ok(root) => root.counter,
            Err(_) => 0,
        }
        .max(self.read_seen().map_or(0, |s| s.counter));
        let tx = store::write_tx(&self.conn)?;
        let root = self.start_manifest(&tx, floor)?;
        tx.commit()?;
        self.manifest.problems.clear();
        self.force_seen(&root);
        Ok(())
    }

    /// Whether writes wait for the person's decision on a problem with
    /// the vault as a whole.
    pub fn integrity_hold(&self) -> Option<&VaultProblem> {
        self.manifest.problems.first()
    }

    fn seen_path(&self) -> Option<PathBuf> {
        let dir = self.manifest.seen_dir.as_ref()?;
        Some(dir.join(format!("{}.json", self.header.vault_id)))
    }

    fn read_seen(&self) -> Option<Seen> {
        let bytes = std::fs::read(self.seen_path()?).ok()?;
        if bytes.len() > 4096 {
            return None;
        }
        serde_json::from_slice(&bytes).ok()
    }

    /// Record `root` as the last state seen on this machine, unless a later
    /// one is recorded (another process wrote since). Best effort: a
    /// config folder that cannot be written weakens rollback detection, and
    /// must not fail the write that already committed.
    pub(crate) fn note_seen(&self, root: &Root) {
        if self
            .read_seen()
            .is_some_and(|seen| seen.counter >= root.counter)
        {
            return;
        }
        self.force_seen(root);
    }

    pub(crate) fn force_seen(&self, root: &Root) {
        let Some(path) = self.seen_path() else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let seen = Seen {
            counter: root.counter,
            chain: root.chain.clone(),
        };
        if let Ok(bytes) = serde_json::to_vec(&seen) {
            let _ = super::fs::write_file(
                super::fs::OutFile::replace(&path),
                super::fs::FileMode::Private,
                &bytes,
            );
        }
    }

    /// Keep the last state seen in `dir` instead of the per-user config
    /// folder (tests; a portable install).
    pub fn keep_seen_in(&mut self, dir: Option<PathBuf>) {
        self.manifest.seen_dir = dir;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;
    use crate::model::{NewRecord, RecordKind, RecordPatch};

    const PASS: &str = "test passphrase";

    fn new_vault(tmp: &tempfile::TempDir) -> (PathBuf, Vault) {
        let dir = tmp.path().join("v");
        let (v, _) = Vault::create(
            &dir,
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        (dir, v)
    }

    fn reopen(dir: &Path, seen: Option<PathBuf>) -> Vault {
        Vault::open(dir)
            .unwrap()
            .keep_seen_in(seen)
            .unlock(&SecretString::from(PASS))
            .unwrap()
    }

    fn note(v: &mut Vault, text: &str) -> String {
        v.add_record(&NewRecord {
            kind: RecordKind::Note,
            brand: None,
            fields: BTreeMap::from([("text".to_string(), text.to_string())]),
            tags: vec![],
        })
        .unwrap()
        .id
        .to_string()
    }

    /// Unlocking and checking while another process writes: the root, the
    /// log and the rows are read at one moment, so a commit between them is
    /// not taken for damage (it was, now and then, with 12 `vrm` at once).
    #[test]
    fn unlocking_while_another_handle_writes_finds_nothing_wrong() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, mut v) = new_vault(&tmp);
        note(&mut v, "first");
        let mut writer = v.second_handle().unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    note(&mut writer, "more");
                }
            });
            // Whatever happens here, the writer is stopped (a panic inside
            // the scope would wait for it forever).
            let found = (0..150).find_map(|i| {
                let problems = v.second_handle().and_then(|h| {
                    let at_unlock = h.manifest.problems.clone();
                    let integrity = h.integrity()?;
                    Ok((at_unlock, integrity.problems, integrity.rows))
                });
                match problems {
                    Ok((a, b, c)) if a.is_empty() && b.is_empty() && c.is_empty() => None,
                    other => Some(format!("unlock {i}: {other:?}")),
                }
            });
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            assert_eq!(found, None);
        });
    }

    fn row_of(conn: &Connection, id: &str) -> (i64, Vec<u8>) {
        conn.query_row(
            "SELECT version, body FROM records WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    fn finding(table: &str, id: &str, problem: RowProblem) -> RowFinding {
        RowFinding {
            table: table.into(),
            id: id.into(),
            problem,
        }
    }

    #[test]
    fn deleted_added_and_rolled_back_rows_are_named_and_the_rest_stay_readable() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, mut v) = new_vault(&tmp);
        let kept = note(&mut v, "kept");
        let deleted = note(&mut v, "deleted behind its back");
        let edited = note(&mut v, "first words");
        let erased = note(&mut v, "erased by the person");
        let outside = v.outside_conn();
        let (old_version, old_body) = row_of(&outside, &edited);
        let (erased_version, erased_body) = row_of(&outside, &erased);
        let patch = RecordPatch {
            set: BTreeMap::from([("text".to_string(), "second words".to_string())]),
            ..Default::default()
        };
        v.update_record(&edited, &patch).unwrap();
        v.delete_record(&erased).unwrap();
        assert!(v.integrity().unwrap().is_intact());
        drop(v);

        // Whoever can write the file: a delete, an edit put back from an
        // earlier copy, a deleted record put back.
        outside
            .execute("DELETE FROM records WHERE id = ?1", [&deleted])
            .unwrap();
        outside
            .execute(
                "UPDATE records SET version = ?1, body = ?2 WHERE id = ?3",
                rusqlite::params![old_version, old_body, edited],
            )
            .unwrap();
        outside
            .execute(
                "INSERT INTO records (id, brand_id, version, body) VALUES (?1, NULL, ?2, ?3)",
                rusqlite::params![erased, erased_version, erased_body],
            )
            .unwrap();
        drop(outside);

        let mut v = reopen(&dir, None);
        let integrity = v.integrity().unwrap();
        assert!(integrity.problems.is_empty(), "{integrity:?}");
        let mut want = vec![
            finding("records", &deleted, RowProblem::Missing),
            finding(
                "records",
                &edited,
                RowProblem::RolledBack {
                    found: 1,
                    expected: 2,
                },
            ),
            finding("records", &erased, RowProblem::Added),
        ];
        want.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(integrity.rows, want);
        assert!(
            integrity.rows[0].to_string().contains("records "),
            "{}",
            integrity.rows[0]
        );
        // Every other row reads as before.
        assert_eq!(v.record(&kept).unwrap().fields["text"], "kept");
        // The health report carries the same findings.
        assert_eq!(v.health().unwrap().integrity, integrity);
    }

    #[test]
    fn wiping_the_activity_log_and_its_head_fails_its_check() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, v) = new_vault(&tmp);
        for _ in 0..2 {
            v.audit()
                .log(super::super::audit::AuditAction::Exported, None, None, "x")
                .unwrap();
        }
        assert_eq!(v.audit().verify().unwrap().entries, 2);
        v.outside_conn()
            .execute_batch(
                "DELETE FROM audit_log; DELETE FROM documents WHERE kind = 'audit-head';",
            )
            .unwrap();
        drop(v);
        let v = reopen(&dir, None);
        let err = v.audit().verify().unwrap_err();
        assert_eq!(err.code(), "audit.broken", "{err}");
        assert!(
            err.to_string().contains("entries 1 to 2 are missing"),
            "{err}"
        );
        // Only the last entry: the manifest still counts it.
        let tmp2 = tempfile::tempdir().unwrap();
        let (dir, v) = new_vault(&tmp2);
        v.audit()
            .log(super::super::audit::AuditAction::Exported, None, None, "x")
            .unwrap();
        v.audit()
            .log(super::super::audit::AuditAction::Exported, None, None, "y")
            .unwrap();
        v.outside_conn()
            .execute_batch(
                "DELETE FROM audit_log WHERE seq = 2; \
                 DELETE FROM documents WHERE kind = 'audit-head';",
            )
            .unwrap();
        drop(v);
        let err = reopen(&dir, None).audit().verify().unwrap_err();
        assert_eq!(err.code(), "audit.broken", "{err}");
    }

    #[test]
    fn a_header_put_back_from_before_is_noticed_and_writes_wait() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, mut v) = new_vault(&tmp);
        let (old_header, _) = store::read_header(&v.outside_conn()).unwrap();
        let old: serde_json::Value = serde_json::from_slice(&old_header).unwrap();
        // A new passphrase and recovery code (the old code may have leaked).
        v.change_passphrase(
            &SecretString::from("another passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        v.new_recovery_code().unwrap();
        drop(v);
        // Put the old recovery wrap back, fixing the header's own digest.
        let outside = Vault::open(&dir).unwrap();
        let (body, _) = store::read_header(&outside.conn).unwrap();
        drop(outside);
        let mut header: serde_json::Value = serde_json::from_slice(&body).unwrap();
        header["wrapped_by_recovery"] = old["wrapped_by_recovery"].clone();
        let body = serde_json::to_vec(&header).unwrap();
        let conn = Connection::open(dir.join(super::super::DB_FILE)).unwrap();
        store::write_header(&conn, &body, &crypto::sha256(&body)).unwrap();
        drop(conn);

        let mut v = Vault::open(&dir)
            .unwrap()
            .unlock(&SecretString::from("another passphrase"))
            .unwrap();
        assert_eq!(
            v.integrity().unwrap().problems,
            vec![VaultProblem::HeaderChanged]
        );
        let before = v.info().unwrap().records;
        let err = v
            .add_record(&NewRecord {
                kind: RecordKind::Note,
                brand: None,
                fields: BTreeMap::from([("text".to_string(), "x".to_string())]),
                tags: vec![],
            })
            .unwrap_err();
        assert_eq!(err.code(), "vault.integrity_hold", "{err}");
        assert_eq!(v.info().unwrap().records, before, "nothing was written");
    }

    #[test]
    fn an_older_copy_of_the_whole_file_is_a_rollback_until_accepted() {
        let tmp = tempfile::tempdir().unwrap();
        let seen = tmp.path().join("seen");
        let (dir, mut v) = new_vault(&tmp);
        v.keep_seen_in(Some(seen.clone()));
        note(&mut v, "one");
        drop(v);
        let db = dir.join(super::super::DB_FILE);
        let copy = tmp.path().join("copy.db");
        std::fs::copy(&db, &copy).unwrap();
        let mut v = reopen(&dir, Some(seen.clone()));
        assert!(v.integrity().unwrap().is_intact());
        note(&mut v, "two");
        drop(v);
        std::fs::copy(&copy, &db).unwrap();

        let mut v = reopen(&dir, Some(seen.clone()));
        let problems = v.integrity().unwrap().problems;
        assert!(
            matches!(problems[..], [VaultProblem::RolledBack { found, seen }] if found < seen),
            "{problems:?}"
        );
        assert_eq!(v.info().unwrap().records, 1, "it still reads");
        let err = v
            .add_record(&NewRecord {
                kind: RecordKind::Note,
                brand: None,
                fields: BTreeMap::from([("text".to_string(), "x".to_string())]),
                tags: vec![],
            })
            .unwrap_err();
        assert_eq!(err.code(), "vault.integrity_hold");
        assert!(err.to_string().contains("older copy"), "{err}");
        // Elsewhere (no state seen) the copy is just a vault.
        assert!(reopen(&dir, None).integrity().unwrap().is_intact());
        // Accepted on purpose: it writes again, and stays accepted.
        v.accept_integrity().unwrap();
        note(&mut v, "three");
        drop(v);
        let v = reopen(&dir, Some(seen));
        assert!(v.integrity().unwrap().is_intact());
        assert_eq!(v.info().unwrap().records, 2);
    }

    #[test]
    fn a_removed_manifest_is_noticed_and_the_header_cannot_be_downgraded_around_it() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, mut v) = new_vault(&tmp);
        note(&mut v, "one");
        v.outside_conn()
            .execute_batch("DELETE FROM manifest_root; DELETE FROM manifest_log;")
            .unwrap();
        drop(v);
        let mut v = reopen(&dir, None);
        assert_eq!(
            v.integrity().unwrap().problems,
            vec![VaultProblem::ManifestMissing]
        );
        assert!(v.audit().verify().is_err());
        let id = note_id(&mut v);
        let err = v.delete_record(&id).unwrap_err();
        assert_eq!(err.code(), "vault.integrity_hold");
        drop(v);

        // Claiming the older format (no manifest) breaks the check value.
        let conn = Connection::open(dir.join(super::super::DB_FILE)).unwrap();
        let (body, _) = store::read_header(&conn).unwrap();
        let mut header: serde_json::Value = serde_json::from_slice(&body).unwrap();
        header["format_version"] = 1.into();
        let body = serde_json::to_vec(&header).unwrap();
        store::write_header(&conn, &body, &crypto::sha256(&body)).unwrap();
        drop(conn);
        let err = Vault::open(&dir)
            .unwrap()
            .unlock(&SecretString::from(PASS))
            .unwrap_err();
        assert_eq!(err.code(), "vault.damaged", "{err}");
    }

    fn note_id(v: &mut Vault) -> String {
        v.list_records(&Default::default()).unwrap()[0]
            .id
            .to_string()
    }

    #[test]
    fn a_damaged_log_entry_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, mut v) = new_vault(&tmp);
        note(&mut v, "one");
        note(&mut v, "two");
        v.outside_conn()
            .execute(
                "DELETE FROM manifest_log WHERE seq = (SELECT max(seq) - 1 FROM manifest_log)",
                [],
            )
            .unwrap();
        drop(v);
        let v = reopen(&dir, None);
        let problems = v.integrity().unwrap().problems;
        assert!(
            matches!(&problems[..], [VaultProblem::ManifestDamaged { .. }, ..]),
            "{problems:?}"
        );
    }

    #[test]
    fn the_log_folds_into_snapshots_and_forgets_deleted_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, mut v) = new_vault(&tmp);
        let mut kept = Vec::new();
        let mut gone = Vec::new();
        for i in 0..3 * SNAPSHOT_AFTER {
            let id = note(&mut v, &format!("note {i}"));
            if i % 3 == 0 {
                v.delete_record(&id).unwrap();
                gone.push(id);
            } else {
                kept.push(id);
            }
        }
        let (_, _, entries) = store::manifest_range(&v.conn).unwrap();
        assert!(entries as u64 <= SNAPSHOT_AFTER, "{entries} entries");
        let root = v.read_root(&v.conn).unwrap();
        assert!(root.first > 1);
        let expected = v.replay(&v.conn, &root).unwrap();
        for id in &gone {
            assert!(!expected.contains_key(&(Tracked::Records, id.clone())));
        }
        assert_eq!(
            expected
                .keys()
                .filter(|(t, _)| *t == Tracked::Records)
                .count(),
            kept.len()
        );
        drop(v);
        assert!(reopen(&dir, None).integrity().unwrap().is_intact());
    }

    #[test]
    fn a_write_that_skips_the_manifest_does_not_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, mut v) = new_vault(&tmp);
        let id = note(&mut v, "one");
        let err = v
            .conn()
            .execute("DELETE FROM records WHERE id = ?1", [&id])
            .unwrap_err();
        assert!(err.to_string().contains("constraint"), "{err}");
        assert_eq!(v.info().unwrap().records, 1);
        assert!(v.integrity().unwrap().is_intact());
    }
}
