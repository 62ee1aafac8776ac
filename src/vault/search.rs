//! Search over every decrypted field of brands and records.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::{Arc, mpsc};

use super::Vault;
use crate::crypto::Cipher;
use crate::error::{Error, Result};
use crate::model::{Brand, BrandId, Page, PageRequest, RecordFilter, RecordId, RecordView};
use crate::vault::brands::BrandPage;
use crate::vault::index::{
    Hit, IndexKey, LoweredDocs, SearchIndex, SearchItem, index_brand, index_record, ordered_hits,
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
            let damaged = index_sealed_records(&self.conn, &self.data, brands, &mut index)?;
            self.records.damaged = Some(damaged);
        }
        self.records.index = Some(index);
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

/// Rows the reader hands the opening thread at a time: enough that the
/// channel costs nothing, few enough that both threads are busy at once.
/// Tests use small batches, so a few dozen rows cross several.
const BATCH_ROWS: usize = if cfg!(test) { 7 } else { 256 };

/// Index every record row straight from its sealed JSON; returns the ids of
/// the rows that fail to open. Two threads share the work: this one reads
/// the rows from SQLite and adds lowered text to the index, while the other
/// decrypts, parses and lowercases (about half of the time each), so
/// unlocking to searchable takes little more than the longer half on a
/// machine with two cores. Batches go round in order, so the slots are the
/// ones a single thread would give.
fn index_sealed_records(
    conn: &rusqlite::Connection,
    data: &Cipher,
    brands: &BTreeMap<BrandId, Brand>,
    index: &mut SearchIndex<IndexKey>,
) -> Result<Vec<RecordId>> {
    // Brand id -> (name, the id shared by every key of that brand).
    let names: HashMap<&str, (&str, Arc<str>)> = brands
        .iter()
        .map(|(id, b)| (id.as_str(), (b.name.as_str(), Arc::from(id.as_str()))))
        .collect();
    let mut damaged = Vec::new();
    std::thread::scope(|scope| {
        let (to_opener, sealed) = mpsc::sync_channel::<SealedRows>(2);
        // Unbounded, so neither thread can wait on the other in a circle;
        // this thread drains it after every batch it sends.
        let (opened_tx, opened) = mpsc::channel::<OpenedRows>();
        let names = &names;
        let opener = scope.spawn(move || {
            for batch in sealed {
                if opened_tx.send(open_rows(data, names, &batch)).is_err() {
                    break;
                }
            }
        });
        let mut take = |batch: OpenedRows| {
            index.add_batch(batch.docs);
            damaged.extend(batch.damaged);
        };
        let mut batch = SealedRows::default();
        let read = store::for_each_row(conn, Table::Records, |row| {
            batch.push(row);
            if batch.rows.len() >= BATCH_ROWS {
                // Only fails if the opener is gone, which its join reports.
                let _ = to_opener.send(std::mem::take(&mut batch));
                while let Ok(done) = opened.try_recv() {
                    take(done);
                }
            }
            Ok(())
        });
        if !batch.rows.is_empty() {
            let _ = to_opener.send(batch);
        }
        drop(to_opener);
        for done in opened {
            take(done);
        }
        opener
            .join()
            .map_err(|_| Error::Database("indexing stopped unexpectedly".into()))?;
        read
    })?;
    Ok(damaged)
}

/// Record rows copied out of SQLite (ciphertext and ids only) into one
/// buffer, so another thread can open them.
#[derive(Default)]
struct SealedRows {
    bytes: Vec<u8>,
    rows: Vec<SealedRow>,
}

struct SealedRow {
    id: Range<usize>,
    brand_id: Option<Range<usize>>,
    version: i64,
    body: Range<usize>,
}

impl SealedRows {
    fn push(&mut self, row: &store::RowRef<'_>) {
        let mut put = |b: &[u8]| {
            let start = self.bytes.len();
            self.bytes.extend_from_slice(b);
            start..self.bytes.len()
        };
        let id = put(row.id.as_bytes());
        let brand_id = row.brand_id.as_deref().map(|b| put(b.as_bytes()));
        let body = put(row.body);
        self.rows.push(SealedRow {
            id,
            brand_id,
            version: row.version,
            body,
        });
    }

    /// The text at `range`: put there from a `&str` by [`SealedRows::push`].
    fn text(&self, range: &Range<usize>) -> &str {
        std::str::from_utf8(&self.bytes[range.clone()]).unwrap_or_default()
    }
}

/// What the opening thread hands back: the lowered documents and the rows
/// that did not open.
struct OpenedRows {
    docs: LoweredDocs<IndexKey>,
    damaged: Vec<RecordId>,
}

/// Open each row and lower it from a `RecordView` (no `Record` is built).
fn open_rows(
    data: &Cipher,
    names: &HashMap<&str, (&str, Arc<str>)>,
    batch: &SealedRows,
) -> OpenedRows {
    let mut out = OpenedRows {
        docs: LoweredDocs::new(),
        damaged: Vec::new(),
    };
    let mut aad = Vec::with_capacity(128);
    for row in &batch.rows {
        let id = batch.text(&row.id);
        let brand_id = row.brand_id.as_ref().map(|r| batch.text(r));
        Vault::aad_into(&mut aad, Table::Records, id, row.version, brand_id);
        let Some(plain) = data.open(&aad, &batch.bytes[row.body.clone()]) else {
            out.damaged.push(RecordId::from(id));
            continue;
        };
        let Ok(view) = serde_json::from_slice::<RecordView<'_>>(&plain) else {
            out.damaged.push(RecordId::from(id));
            continue;
        };
        let (name, brand) = match brand_id {
            Some(b) => match names.get(b) {
                Some((name, id)) => (Some(*name), Some(id.clone())),
                None => (None, Some(Arc::from(b))),
            },
            None => (None, None),
        };
        let key = IndexKey::Record {
            id: RecordId::from(id),
            date: view.date(),
            created_at: view.created_at,
            kind: view.kind,
            brand,
        };
        let parts = std::iter::once(view.kind.as_str())
            .chain(name)
            .chain(view.values());
        out.docs.push(key, parts);
    }
    out
}
