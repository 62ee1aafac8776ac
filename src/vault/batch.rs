//! A batch of changes a feature makes in one transaction: new brands, new
//! records, documents put, and one line in the activity log. Discovery's
//! acceptance uses it, so a proposal enters the vault whole or not at all.

use serde::Serialize;

use super::Vault;
use super::audit::AuditAction;
use super::store::{self, Table};
use crate::error::Result;
use crate::model::{Brand, Record};

/// The changes under way inside [`Vault::write_batch`].
#[derive(Debug)]
pub(crate) struct Batch<'v> {
    vault: &'v mut Vault,
}

impl Batch<'_> {
    /// Add a brand (already checked by the model); its name must still be
    /// free, also against brands another process added a moment ago.
    pub(crate) fn add_brand(&mut self, brand: &Brand) -> Result<()> {
        self.vault.ensure_unique_name(&brand.name, None)?;
        let row = self.vault.seal(Table::Brands, &brand.id, 1, None, brand)?;
        store::insert_brand(&self.vault.conn, &row)?;
        self.vault
            .load_brands()?
            .insert(brand.id.clone(), brand.clone());
        Ok(())
    }

    /// Add a record (its fields and tags already checked by the model).
    pub(crate) fn add_record(&mut self, record: &Record) -> Result<()> {
        let row = self.vault.seal(
            Table::Records,
            &record.id,
            1,
            record.brand.as_deref(),
            record,
        )?;
        store::insert_record(&self.vault.conn, &row)
    }

    /// Insert a document, or replace it if one of this kind and id exists
    /// (its brand stays the one it was filed under).
    pub(crate) fn put_doc<T: Serialize>(
        &mut self,
        kind: &str,
        id: &str,
        brand: Option<&str>,
        value: &T,
    ) -> Result<()> {
        if store::doc(&self.vault.conn, kind, id)?.is_some() {
            self.vault.replace_doc(&self.vault.conn, kind, id, value)
        } else {
            self.vault
                .insert_doc(&self.vault.conn, kind, id, brand, value)
        }
    }

    /// The document of this kind and id, if there is one that opens.
    pub(crate) fn doc<T: for<'de> serde::Deserialize<'de>>(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<T>> {
        self.vault.exact_doc(kind, id)
    }

    /// One line in the activity log.
    pub(crate) fn audit(
        &mut self,
        action: AuditAction,
        brand: Option<&str>,
        summary: impl Into<String>,
    ) -> Result<()> {
        self.vault
            .append_audit(&self.vault.conn, action, brand, None, summary)
    }
}

impl Vault {
    /// Run `changes` in one write transaction: all of them or, on any
    /// error, none. The caches are reloaded afterwards.
    pub(crate) fn write_batch<T>(
        &mut self,
        changes: impl FnOnce(&mut Batch<'_>) -> Result<T>,
    ) -> Result<T> {
        let out = self.in_write_tx(|vault| changes(&mut Batch { vault }))?;
        self.forget_caches();
        Ok(out)
    }

    /// The ids of every document of a kind (none is opened).
    pub(crate) fn doc_ids(&self, kind: &str) -> Result<Vec<String>> {
        store::doc_ids_of_kind(&self.conn, kind)
    }
}
