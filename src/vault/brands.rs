//! Brands: the companies the person has a relationship with.

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::Connection;
use serde::Serialize;

use super::{Vault, is_id_prefix};
use crate::error::{Error, Result};
use crate::model::{Brand, BrandId, BrandInput, Record, RecordId};
use crate::vault::audit::AuditAction;
use crate::vault::index::{brand_search_parts, index_brand};
use crate::vault::store::{self, Table};
/// A brand with its whole timeline of records, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct BrandPage {
    /// The brand.
    pub brand: Brand,
    /// Its records across every kind and channel, newest first.
    pub records: Vec<Record>,
}

/// A feature's part in deleting a brand (see [`Vault::delete_brand_with`]):
/// forget the brand's id, given as the last argument, in what the feature
/// keeps, writing through the given transaction.
pub(crate) type ForgetBrand = fn(&Vault, &Connection, &str) -> Result<()>;

impl Vault {
    pub(super) fn load_brands(&mut self) -> Result<&mut BTreeMap<BrandId, Brand>> {
        if self.brands.is_none() {
            let mut brands = BTreeMap::new();
            let mut damaged = Vec::new();
            for row in store::all_rows(&self.conn, Table::Brands)? {
                match self.open_brand(&row) {
                    Ok(b) => {
                        brands.insert(b.id.clone(), b);
                    }
                    // Left out, and reported; the other brands stay usable.
                    Err(Error::Tampered { .. }) => damaged.push(BrandId::from(row.id)),
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
    pub fn damaged_brands(&mut self) -> Result<Vec<BrandId>> {
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
        let mut brand = Brand::new(String::new(), now);
        if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(Error::invalid_field("name", "a brand needs a name"));
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

    pub(super) fn ensure_unique_name(&mut self, name: &str, except: Option<&str>) -> Result<()> {
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
                .ok_or_else(|| Error::BrandNotFound(id.to_string()))?;
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
    ///
    /// This is the extension point for features that name a brand in
    /// documents not filed under it (the person's own intents list the
    /// brands they went to): each `forget` runs inside the deleting
    /// transaction, so the brand is gone everywhere or nowhere. The public
    /// operation, with every feature's part, is `vrm_vault::delete_brand` (in lib.rs).
    pub(crate) fn delete_brand_with(
        &mut self,
        id_or_name: &str,
        forget: &[ForgetBrand],
    ) -> Result<usize> {
        let brand = self.brand(id_or_name)?;
        let tx = self.write_tx()?;
        let record_ids: Vec<RecordId> = store::record_ids_of_brand(&tx, &brand.id)?
            .into_iter()
            .map(RecordId::from)
            .collect();
        let n = store::delete_records_of_brand(&tx, &brand.id)?;
        // Its pairwise identity, terms issued to it, shares, agreements and
        // requests go with it; the activity log keeps that it happened.
        store::delete_docs_of_brand(&tx, &brand.id)?;
        for forget in forget {
            forget(self, &tx, &brand.id)?;
        }
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

    /// The brand whose `did:key` signed a document.
    pub(crate) fn brand_by_did(&mut self, did: &str) -> Result<Brand> {
        let matching: Vec<Brand> = self
            .brands()?
            .into_iter()
            .filter(|b| b.did.as_deref() == Some(did))
            .collect();
        match matching.len() {
            1 => Ok(matching.into_iter().next().expect("one")),
            0 => Err(Error::UnknownSigner(format!(
                "signed by {did}, which is not the did:key of any brand; if you trust it, set it with `vrm brand edit BRAND --did {did}`"
            ))),
            _ => Err(Error::UnknownSigner(format!(
                "{did} is the did:key of more than one brand; fix the brands first"
            ))),
        }
    }
}
