//! Records: accounts, purchases, interactions and the rest, each sealed in
//! its own row and bound to its brand.

use std::collections::HashMap;

use chrono::Utc;

use super::{Vault, is_id_prefix};
use crate::error::{Error, Result};
use crate::model::{Brand, BrandId, RecordId};
use crate::model::{NewRecord, Record, RecordFilter, RecordPatch, check_fields, check_tags};
use crate::vault::audit::AuditAction;
use crate::vault::index::{CachedRecord, Hit, index_record, sort_records};
use crate::vault::store::{self, Table};

impl Vault {
    /// Decrypt every record into the cache now (cheaper than one query per
    /// record when many are about to be read).
    pub(crate) fn preload_records(&mut self) -> Result<()> {
        self.load_records().map(|_| ())
    }

    /// Every record that opens, decrypted into the cache.
    pub(super) fn load_records(&mut self) -> Result<&HashMap<RecordId, CachedRecord>> {
        if self.records.by_id.is_none() {
            let rows = store::all_rows(&self.conn, Table::Records)?;
            let mut by_id = HashMap::with_capacity(rows.len());
            let mut damaged = Vec::new();
            for row in rows {
                match self.open_record(&row) {
                    Ok(r) => {
                        by_id.insert(r.id.clone(), CachedRecord::new(r));
                    }
                    Err(Error::Tampered { .. }) => damaged.push(RecordId::from(row.id)),
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
    pub fn damaged_records(&mut self) -> Result<Vec<RecordId>> {
        self.refresh_if_changed()?;
        if self.records.damaged.is_none() {
            // Building the index reads every row, and is the cheaper pass.
            self.prepare_search()?;
        }
        Ok(self.records.damaged.clone().unwrap_or_default())
    }

    /// The full id of a record given by id or unique id prefix. The row is
    /// not opened, so this finds damaged records too (to delete them).
    pub fn resolve_record_id(&mut self, id: &str) -> Result<RecordId> {
        let id = id.trim().to_ascii_lowercase();
        if store::row(&self.conn, Table::Records, &id)?.is_some() {
            return Ok(RecordId::from(id));
        }
        if !is_id_prefix(&id) {
            return Err(Error::RecordNotFound(id));
        }
        let ids = store::ids_with_prefix(&self.conn, Table::Records, &id, 5)?;
        match ids.len() {
            0 => Err(Error::RecordNotFound(id)),
            1 => Ok(RecordId::from(ids.into_iter().next().expect("one"))),
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
        if let Some(c) = self
            .records
            .by_id
            .as_ref()
            .and_then(|m| m.get(exact.as_str()))
        {
            return Ok(c.record.clone());
        }
        let id = self.resolve_record_id(id)?;
        if let Some(c) = self.records.by_id.as_ref().and_then(|m| m.get(&id)) {
            return Ok(c.record.clone());
        }
        let row = store::row(&self.conn, Table::Records, &id)?
            .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
        self.open_record(&row)
    }

    pub(super) fn resolve_brand_ref(&mut self, brand: Option<&str>) -> Result<Option<BrandId>> {
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
            id: RecordId::random(),
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
        let tx = self.write_tx()?;
        store::insert_record(&tx, &row)?;
        tx.commit()?;
        self.cache_record(&record);
        Ok(record)
    }

    pub(super) fn cache_record(&mut self, record: &Record) {
        let brand_name = record
            .brand
            .as_ref()
            .and_then(|b| self.brands.as_ref().and_then(|m| m.get(b)))
            .map(|b| b.name.clone());
        let cached = CachedRecord::new(record.clone());
        let cache = &mut self.records;
        if let Some(index) = cache.index.as_mut() {
            let key = Hit::Record(record.id.clone());
            index.remove(&key);
            index_record(index, &cached, brand_name.as_deref());
        }
        if let Some(by_id) = cache.by_id.as_mut() {
            by_id.insert(record.id.clone(), cached);
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
                .ok_or_else(|| Error::RecordNotFound(id.to_string()))?;
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
                    return Err(Error::RecordNotFound(id.to_string()));
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
        let mut list: Vec<&CachedRecord> = self
            .load_records()?
            .values()
            .filter(|c| filter.matches(&c.record, c.date, brand_id.as_deref()))
            .collect();
        sort_records(&mut list);
        Ok(list.into_iter().map(|c| c.record.clone()).collect())
    }

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
