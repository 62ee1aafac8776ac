//! Search over every decrypted field of brands and records.

use std::collections::HashMap;
use std::sync::Arc;

use super::Vault;
use crate::error::{Error, Result};
use crate::model::{Page, PageRequest, RecordFilter, RecordId, RecordView};
use crate::vault::brands::BrandPage;
use crate::vault::index::{
    Hit, IndexKey, SearchIndex, SearchItem, index_brand, index_record, ordered_hits,
    ordered_hits_page,
};
use crate::vault::store::{self, Table};
impl Vault {
    /// Build the search index now (it is otherwise built on first search).
    ///
    /// When the records are not decrypted yet, this reads each row's JSON
    /// into a borrowing `RecordView` and indexes that: no `Record` is
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
            for c in by_id.values() {
                let name = c
                    .record
                    .brand
                    .as_ref()
                    .and_then(|b| brands.get(b))
                    .map(|b| b.name.as_str());
                index_record(&mut index, c, name);
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
                    Err(Error::Tampered { .. }) => damaged.push(RecordId::from(row.id.as_ref())),
                    Err(e) => return Err(e),
                }
                Ok(())
            })?;
            self.records.damaged = Some(damaged);
        }
        self.records.index = Some(index);
        Ok(())
    }

    /// Open one record row and index it from a `RecordView`.
    pub(super) fn index_sealed_record(
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
            id: RecordId::from(row.id.as_ref()),
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
        let found = self.search_slots(query, filter)?;
        let index = self.records.index.as_ref().expect("built");
        // Brands first (by name), then records newest first. Records carry
        // their sort key in the index, so ordering even 1M hits needs no
        // lookups.
        let brands = self.brands.as_ref().expect("loaded");
        Ok(ordered_hits(index, &found, brands))
    }

    /// The index slots of what matches `query` and `filter`, in no order;
    /// the index is built and the brands loaded after it.
    fn search_slots(&mut self, query: &str, filter: &RecordFilter) -> Result<Vec<u32>> {
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
        let mut found = index.search_slots(query);
        if only_records {
            found.retain(|&slot| {
                index.get(slot).is_some_and(|key| {
                    key.matches(filter, brand_id.as_deref(), cache.by_id.as_ref())
                })
            });
        }
        Ok(found)
    }

    /// One page of [`Vault::search_items`]: the same hits in the same
    /// order, only `page` of them opened, with the count of all. What a
    /// screen asks for: a query matching a million records costs the
    /// matching and one selection, not a million hits sorted and opened.
    pub fn search_page(
        &mut self,
        query: &str,
        filter: &RecordFilter,
        page: PageRequest,
    ) -> Result<Page<SearchItem>> {
        let page = page.checked()?;
        let found = self.search_slots(query, filter)?;
        let index = self.records.index.as_ref().expect("built");
        let brands = self.brands.as_ref().expect("loaded");
        let (hits, total) = ordered_hits_page(index, &found, brands, page);
        let items = self.open_hits(hits)?;
        Ok(Page {
            items,
            offset: page.offset,
            limit: page.limit,
            total,
        })
    }

    /// [`Vault::search`] with each hit's brand or record.
    pub fn search_items(&mut self, query: &str, filter: &RecordFilter) -> Result<Vec<SearchItem>> {
        let hits = self.search(query, filter)?;
        // Until records are listed, each is read on its own: for many hits,
        // decrypting them all at once is cheaper.
        if hits.iter().filter(|h| matches!(h, Hit::Record(_))).count() > 64 {
            self.load_records()?;
        }
        self.open_hits(hits)
    }

    /// Each hit's brand or record.
    fn open_hits(&mut self, hits: Vec<Hit>) -> Result<Vec<SearchItem>> {
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
            brand: Some(brand.id.to_string()),
            ..Default::default()
        })?;
        Ok(BrandPage { brand, records })
    }
}
