//! What sync keeps of each row, and rows read and written as JSON for it.
//!
//! The sync feature (`src/sync/`) merges rows field by field; the base
//! gives it each row as the JSON it is sealed from, writes merged rows back
//! with their checks, and keeps sync's state of each row (the clock of its
//! fields, `sync::merge::RowClock`) sealed in `sync_rows`, one per row,
//! beside the version of the row it describes. Rows whose version differs
//! from that one are what changed here since the last sync
//! ([`Vault::sync_candidates`]): the manifest's hook already sees every
//! write, so sync needs no capture of its own on the write path.

use serde_json::Value;
use zeroize::Zeroizing;

use super::Vault;
use super::store::{self, SyncCandidate, Table};
use crate::error::{Error, Result};
use crate::model::{Brand, BrandId, Record, RecordId, check_fields, check_tags};

/// The field of a document's JSON that carries the brand it is filed
/// under (the row's `brand_id` column), so that it syncs with the rest.
pub(crate) const DOC_BRAND_FIELD: &str = "@brand";

/// One row's sync state to write, with the row itself when it changes.
#[derive(Debug)]
pub(crate) struct SyncWrite {
    /// `brands`, `records` or `documents`.
    pub table: String,
    /// The row's key (a document's `kind\0id`).
    pub key: String,
    /// The row as it is to be: `Some(Some(json))` written, `Some(None)`
    /// deleted, `None` left as it is (only the state changes).
    pub row: Option<Option<Value>>,
    /// The row's version when it was read to make the state (0: no row).
    /// A row written meanwhile (the app, another `vrm`) is not overwritten:
    /// the write fails with [`Error::Busy`] and the sync tries again; a
    /// state is kept as of that version, so the newer edit is captured next.
    pub read_version: i64,
    /// Sync's state of the row (serialized by the feature).
    pub state: Zeroizing<Vec<u8>>,
}

impl Vault {
    fn sync_row_aad(table: &str, key: &str, version: i64, row_version: i64) -> Vec<u8> {
        let mut aad = Vec::with_capacity(64);
        aad.extend_from_slice(b"vrm-vault/1\0sync_rows/");
        aad.extend_from_slice(table.as_bytes());
        aad.push(0);
        aad.extend_from_slice(key.as_bytes());
        aad.push(0);
        aad.extend_from_slice(format!("{version}\0{row_version}").as_bytes());
        aad
    }

    /// The associated data of a `sync_rows` row, for the rekey.
    pub(super) fn sync_row_aad_of(row: &store::AnyRow) -> Vec<u8> {
        Self::sync_row_aad(&row.kind, &row.id, row.version, row.row_version)
    }

    /// The cipher sync objects' bodies are sealed under: every device of
    /// the vault holds its key ([`Vault::sync_key`]), the store never does.
    pub(crate) fn sync_cipher(&self) -> crate::crypto::Cipher {
        crate::crypto::Cipher::new(&self.sync_key())
    }

    /// Holds sync to one run at a time over this vault, across processes
    /// (the app and `vrm sync`): a lock on `sync.lock` in the vault folder,
    /// released when the guard is dropped. Waits up to 30 s for another
    /// run, then fails with [`Error::Busy`].
    pub(crate) fn sync_lock(&self) -> Result<std::fs::File> {
        let path = self.dir.join("sync.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Err(Error::Busy),
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
    }

    /// Rows that changed since sync last saw them, found from the
    /// manifest's log after its entry `after` (what the last capture had
    /// seen): only the rows those transactions wrote are looked at. When
    /// the log no longer reaches back that far, every row is compared
    /// ([`Vault::sync_candidates`]). Returns the log's last entry too.
    pub(crate) fn sync_candidates_since(
        &self,
        after: Option<u64>,
    ) -> Result<(u64, Vec<SyncCandidate>)> {
        let (last, written) = self.manifest_changes_since(after)?;
        let Some(written) = written else {
            return Ok((last, self.sync_candidates()?));
        };
        let mut keys: Vec<(&str, String)> = written
            .into_iter()
            .filter(|(t, k)| match *t {
                "brands" | "records" => true,
                "documents" => !k.starts_with("sync.") && !k.starts_with("audit-head\0"),
                _ => false,
            })
            .collect();
        keys.sort();
        keys.dedup();
        let mut out = Vec::new();
        for (table, key) in keys {
            let version = self.current_version(table, &key)?;
            let seen = store::sync_row(&self.conn, table, &key)?.map(|s| s.1);
            let changed = match seen {
                None => version != 0,
                Some(v) => v != version,
            };
            if changed {
                out.push(SyncCandidate {
                    table: table.to_string(),
                    key,
                    version,
                    seen,
                });
            }
        }
        Ok((last, out))
    }

    /// Every row sync keeps a state of (tombstones included).
    pub(crate) fn sync_keys(&self) -> Result<Vec<(String, String)>> {
        store::sync_row_keys(&self.conn)
    }

    /// Rows that changed since sync last saw them (see the module's comment).
    pub(crate) fn sync_candidates(&self) -> Result<Vec<SyncCandidate>> {
        store::sync_candidates(&self.conn)
    }

    /// Sync's state of a row and the row version it describes.
    pub(crate) fn sync_state(
        &self,
        table: &str,
        key: &str,
    ) -> Result<Option<(i64, Zeroizing<Vec<u8>>)>> {
        let Some((version, row_version, body)) = store::sync_row(&self.conn, table, key)? else {
            return Ok(None);
        };
        let plain = self
            .data
            .open(&Self::sync_row_aad(table, key, version, row_version), &body)
            .ok_or_else(|| Error::Tampered {
                table: "sync_rows",
                id: format!("{table}/{}", key.replacen('\0', "/", 1)),
            })?;
        Ok(Some((row_version, plain)))
    }

    /// A row as the JSON it is sealed from, with its version; `None` if
    /// there is no such row. A document's brand is in [`DOC_BRAND_FIELD`].
    pub(crate) fn row_json(&self, table: &str, key: &str) -> Result<Option<(i64, Value)>> {
        Ok(match table {
            "brands" => match store::row(&self.conn, Table::Brands, key)? {
                Some(row) => Some((row.version, json(&self.open_brand(&row)?)?)),
                None => None,
            },
            "records" => match store::row(&self.conn, Table::Records, key)? {
                Some(row) => Some((row.version, json(&self.open_record(&row)?)?)),
                None => None,
            },
            "documents" => {
                let (kind, id) = split_doc_key(key)?;
                match store::doc(&self.conn, kind, id)? {
                    Some(row) => {
                        let mut value: Value = self.open_doc(&row)?;
                        if let Value::Object(map) = &mut value {
                            map.insert(
                                DOC_BRAND_FIELD.into(),
                                row.brand_id.clone().map_or(Value::Null, Value::String),
                            );
                        }
                        Some((row.version, value))
                    }
                    None => None,
                }
            }
            other => return Err(Error::Database(format!("sync does not carry {other}"))),
        })
    }

    /// Write sync's states, and the rows that change with them, in one
    /// transaction: all or nothing. A row that fails its checks (a record
    /// of another version's shape, a brand that is not there) fails the
    /// whole write, naming the row.
    ///
    /// `docs` are documents of the sync feature written in the same
    /// transaction (this device's state, rows' history): kind, id, value.
    pub(crate) fn write_sync(
        &mut self,
        writes: &[SyncWrite],
        docs: &[(&str, String, Value)],
    ) -> Result<()> {
        let rows_changed = writes.iter().any(|w| w.row.is_some());
        self.in_write_tx(|vault| {
            for (kind, id, value) in docs {
                match store::doc(&vault.conn, kind, id)? {
                    Some(_) => vault.replace_doc(&vault.conn, kind, id, value)?,
                    None => vault.insert_doc(&vault.conn, kind, id, None, value)?,
                }
            }
            // Deletes first (a brand's records before the brand), then
            // brands before the records and documents filed under them.
            let order = |w: &SyncWrite| match (&w.row, w.table.as_str()) {
                (Some(None), "brands") => 3,
                (Some(None), _) => 0,
                (_, "brands") => 4,
                _ => 5,
            };
            let mut sorted: Vec<&SyncWrite> = writes.iter().collect();
            sorted.sort_by_key(|w| order(w));
            for w in sorted {
                let row_version = match &w.row {
                    None => w.read_version,
                    Some(value) => {
                        if vault.current_version(&w.table, &w.key)? != w.read_version {
                            return Err(Error::Busy);
                        }
                        vault.write_row_json(&w.table, &w.key, value.as_ref())?
                    }
                };
                let version =
                    store::sync_row(&vault.conn, &w.table, &w.key)?.map_or(0, |s| s.0) + 1;
                let aad = Self::sync_row_aad(&w.table, &w.key, version, row_version);
                let body = vault.data.seal(&aad, &w.state)?;
                store::put_sync_row(&vault.conn, &w.table, &w.key, version, row_version, &body)?;
            }
            Ok(())
        })?;
        if rows_changed {
            self.purge_wal()?;
            self.forget_caches();
        }
        Ok(())
    }

    fn current_version(&self, table: &str, key: &str) -> Result<i64> {
        Ok(match table {
            "brands" => store::row(&self.conn, Table::Brands, key)?.map_or(0, |r| r.version),
            "records" => store::row(&self.conn, Table::Records, key)?.map_or(0, |r| r.version),
            _ => {
                let (kind, id) = split_doc_key(key)?;
                store::doc(&self.conn, kind, id)?.map_or(0, |r| r.version)
            }
        })
    }

    /// Write (or delete, for `None`) one row from its JSON, inside the
    /// caller's transaction; returns its new version (0: deleted).
    fn write_row_json(&self, table: &str, key: &str, value: Option<&Value>) -> Result<i64> {
        let bad = |why: String| {
            Error::invalid(format!(
                "a synced {table} row ({}) {why}",
                key.replacen('\0', "/", 1)
            ))
        };
        let conn = &self.conn;
        match table {
            "brands" => {
                let current = store::row(conn, Table::Brands, key)?;
                let Some(value) = value else {
                    // A brand deleted on another device goes with what is
                    // filed under it here, as a delete here would: records
                    // or documents this device added to it meanwhile too
                    // (they become tombstones at the next capture).
                    store::delete_records_of_brand(conn, key)?;
                    store::delete_docs_of_brand(conn, key)?;
                    store::delete_row(conn, Table::Brands, key)?;
                    return Ok(0);
                };
                let mut brand: Brand = serde_json::from_value(value.clone())
                    .map_err(|e| bad(format!("is not a brand: {e}")))?;
                brand.id = BrandId::from(key);
                let version = current.as_ref().map_or(1, |r| r.version + 1);
                let row = self.seal(Table::Brands, key, version, None, &brand)?;
                match current {
                    Some(c) => store::update_row(conn, Table::Brands, &row, c.version)?,
                    None => store::insert_brand(conn, &row)?,
                }
                Ok(version)
            }
            "records" => {
                let current = store::row(conn, Table::Records, key)?;
                let Some(value) = value else {
                    store::delete_row(conn, Table::Records, key)?;
                    return Ok(0);
                };
                let mut record: Record = serde_json::from_value(value.clone())
                    .map_err(|e| bad(format!("is not a record: {e}")))?;
                record.id = RecordId::from(key);
                record.fields =
                    check_fields(record.kind, &record.fields).map_err(|e| bad(e.to_string()))?;
                record.tags = check_tags(&record.tags).map_err(|e| bad(e.to_string()))?;
                if let Some(b) = &record.brand
                    && store::row(conn, Table::Brands, b)?.is_none()
                {
                    return Err(bad(format!(
                        "is filed under brand {b}, which this vault does not have yet"
                    )));
                }
                let version = current.as_ref().map_or(1, |r| r.version + 1);
                let row = self.seal(
                    Table::Records,
                    key,
                    version,
                    record.brand.as_deref(),
                    &record,
                )?;
                match current {
                    Some(c) => store::update_row(conn, Table::Records, &row, c.version)?,
                    None => store::insert_record(conn, &row)?,
                }
                Ok(version)
            }
            "documents" => {
                let (kind, id) = split_doc_key(key)?;
                if kind.starts_with("sync.") {
                    return Err(bad("is this device's own".into()));
                }
                let current = store::doc(conn, kind, id)?;
                let Some(value) = value else {
                    store::delete_doc(conn, kind, id)?;
                    return Ok(0);
                };
                let mut value = value.clone();
                let brand = match &mut value {
                    Value::Object(map) => match map.remove(DOC_BRAND_FIELD) {
                        Some(Value::String(b)) => Some(b),
                        Some(Value::Null) | None => None,
                        Some(_) => return Err(bad("names its brand wrongly".into())),
                    },
                    _ => return Err(bad("is not a document".into())),
                };
                if let Some(b) = &brand
                    && store::row(conn, Table::Brands, b)?.is_none()
                {
                    return Err(bad(format!(
                        "is filed under brand {b}, which this vault does not have yet"
                    )));
                }
                let version = current.as_ref().map_or(1, |r| r.version + 1);
                let row = self.seal_doc(kind, id, version, brand.as_deref(), &value)?;
                match current {
                    Some(c) if c.brand_id == brand => store::update_doc(conn, &row, c.version)?,
                    Some(_) => {
                        // Filed under another brand now: the column is bound
                        // into the sealing, so the row is made again.
                        store::delete_doc(conn, kind, id)?;
                        store::insert_doc(conn, &row)?;
                    }
                    None => store::insert_doc(conn, &row)?,
                }
                Ok(version)
            }
            other => Err(Error::Database(format!("sync does not carry {other}"))),
        }
    }
}

/// A document's key, `kind\0id`, in its two parts.
fn split_doc_key(key: &str) -> Result<(&str, &str)> {
    key.split_once('\0')
        .ok_or_else(|| Error::Database(format!("a document key without a kind: {key:?}")))
}

fn json<T: serde::Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Database(e.to_string()))
}
