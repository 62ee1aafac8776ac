//! Documents: the sealed rows every feature keeps (terms, shares, requests,
//! intents, keys, the log's head), and the extension point features build on.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Vault, is_id_prefix};
use crate::error::{Error, Result};
use crate::vault::store::{self, Table};

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

/// Documents that open, with their ids, and the ids of those that do not.
pub(crate) type DocsWithIds<T> = (Vec<(String, T)>, Vec<String>);

impl Vault {
    pub(super) fn doc_aad(kind: &str, id: &str, version: i64, brand_id: Option<&str>) -> Vec<u8> {
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

    /// [`Vault::docs`] with each document's id.
    pub(crate) fn docs_with_ids<T: for<'de> Deserialize<'de>>(
        &self,
        kind: &str,
    ) -> Result<DocsWithIds<T>> {
        let mut good = Vec::new();
        let mut damaged = Vec::new();
        for row in store::docs_of_kind(&self.conn, kind)? {
            match self.open_doc(&row) {
                Ok(v) => good.push((row.id, v)),
                Err(Error::Tampered { .. }) => damaged.push(row.id),
                Err(e) => return Err(e),
            }
        }
        Ok((good, damaged))
    }

    /// Every document of a kind that opens, with the brand it is filed
    /// under; those that do not open are left out (as [`Vault::docs`] says).
    pub(crate) fn docs_with_brand<T: for<'de> Deserialize<'de>>(
        &self,
        kind: &str,
    ) -> Result<Vec<(Option<String>, T)>> {
        let mut good = Vec::new();
        for row in store::docs_of_kind(&self.conn, kind)? {
            match self.open_doc(&row) {
                Ok(v) => good.push((row.brand_id.clone(), v)),
                Err(Error::Tampered { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(good)
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

    /// The document of this kind with exactly this id, if there is one.
    pub(crate) fn exact_doc<T: for<'de> Deserialize<'de>>(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<T>> {
        store::doc(&self.conn, kind, id)?
            .map(|row| self.open_doc(&row))
            .transpose()
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
            if row.kind == crate::vault::audit::HEAD_KIND {
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
        activity: &[crate::vault::audit::AuditEntry],
    ) -> Result<()> {
        let tx = self.write_tx()?;
        for d in docs {
            if d.kind.is_empty() || d.kind == crate::vault::audit::HEAD_KIND || d.id.is_empty() {
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
        self.audit().verify()?;
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
}
