//! What is wrong with an unlocked vault, in one place: the rows that fail
//! to authenticate (left out of every list, so a banner or `vrm status`
//! must say they are there) and old pages still waiting in the WAL.

use serde::Serialize;

use super::Vault;
use super::manifest::Integrity;
use crate::error::Result;
use crate::model::{BrandId, RecordId};

/// A document row that fails to authenticate, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct DamagedDocument {
    /// Its kind (`share`, `terms.version`, `discover.message`…).
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// What is wrong with a vault now; all empty and `false` when nothing is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Health {
    /// Brands whose rows fail to authenticate (damaged or tampered with).
    pub damaged_brands: Vec<BrandId>,
    /// Records whose rows fail to authenticate.
    pub damaged_records: Vec<RecordId>,
    /// Documents whose rows fail to authenticate.
    pub damaged_documents: Vec<DamagedDocument>,
    /// Old pages of something deleted or replaced may still be in the WAL,
    /// because another program was reading the vault
    /// ([`Vault::wal_residue_pending`]).
    pub wal_residue_pending: bool,
    /// What the sealed manifest says: problems with the vault as a whole
    /// (an older copy, a changed header) and rows deleted, added or put
    /// back behind the vault's back ([`Vault::integrity`]).
    pub integrity: Integrity,
}

impl Health {
    /// Nothing is wrong.
    pub fn is_healthy(&self) -> bool {
        self.damaged_brands.is_empty()
            && self.damaged_records.is_empty()
            && self.damaged_documents.is_empty()
            && !self.wal_residue_pending
            && self.integrity.is_intact()
    }
}

impl Vault {
    /// What is wrong with the vault now (reads every row once, as the first
    /// search does).
    pub fn health(&mut self) -> Result<Health> {
        Ok(Health {
            damaged_brands: self.damaged_brands()?,
            damaged_records: self.damaged_records()?,
            damaged_documents: self
                .damaged_documents()?
                .into_iter()
                .map(|(kind, id)| DamagedDocument { kind, id })
                .collect(),
            wal_residue_pending: self.wal_residue_pending(),
            integrity: self.integrity()?,
        })
    }
}
