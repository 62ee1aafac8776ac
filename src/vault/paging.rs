//! Pages of the record list and of a brand's timeline, for screens that
//! must stay quick on a vault of a million records: one page is built and
//! sent, with the count of every match, never the whole list.
//!
//! [`Vault::list_records`] and [`Vault::brand_page`] still return whole
//! lists (the command line, exports and features use them).

use serde::Serialize;

use super::Vault;
use crate::error::Result;
use crate::model::{Brand, Page, PageRequest, Record, RecordFilter, RecordId, select_page};
use crate::vault::index::{CachedRecord, IndexKey, newest_first};
use crate::vault::store::{self, Table};

/// A brand with one page of its timeline (newest first) and the number of
/// its records: [`Vault::brand_page`] a page at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct BrandTimeline {
    /// The brand.
    pub brand: Brand,
    /// One page of its records across every kind and channel, newest
    /// first; `total` counts them all.
    pub records: Page<Record>,
}

impl Vault {
    /// One page of the records matching `filter`, newest first (the order
    /// of [`Vault::list_records`]), with how many match in all. `limit` is
    /// lowered to [`crate::model::MAX_PAGE_LIMIT`]; a limit of 0 is an
    /// [`crate::Error::Invalid`] about `limit`; an offset past the end gives
    /// an empty page.
    ///
    /// Only the page's records are cloned (or, before anything decrypted
    /// every record, opened): the matches are ordered as references, and
    /// only as far as the page needs (see `select_page`).
    pub fn list_records_page(
        &mut self,
        filter: &RecordFilter,
        page: PageRequest,
    ) -> Result<Page<Record>> {
        let page = page.checked()?;
        self.refresh_if_changed()?;
        let brand_id = match filter.brand.as_deref() {
            Some(b) => Some(self.brand(b)?.id),
            None => None,
        };
        // The search index's keys carry what the filter (but tags) and the
        // order look at, side by side in one vector: a page is cut from
        // them, and only its own rows are opened when the records are not
        // decrypted yet (instead of a `Record` built for each of a million).
        // Even with every record decrypted this is the quicker way: the
        // decrypted records lie scattered in a hash map (see the figures of
        // `paging_at_scale`).
        if filter.tags.is_empty() {
            self.page_from_index(filter, brand_id.as_deref(), page)
        } else {
            self.page_from_records(filter, brand_id.as_deref(), page)
        }
    }

    /// [`Vault::list_records_page`] over every decrypted record (decrypted
    /// now if need be): for a filter on tags, which the index does not keep.
    fn page_from_records(
        &mut self,
        filter: &RecordFilter,
        brand_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Record>> {
        let mut list: Vec<&CachedRecord> = self
            .load_records()?
            .values()
            .filter(|c| filter.matches(&c.record, c.date, brand_id))
            .collect();
        let total = list.len();
        let items = select_page(&mut list, page, |a, b| newest_first(a, b))
            .iter()
            .map(|c| c.record.clone())
            .collect();
        Ok(Page {
            items,
            offset: page.offset,
            limit: page.limit,
            total,
        })
    }

    /// [`Vault::list_records_page`] from the search index (built if need
    /// be); the page's records come from the decrypted cache, or else their
    /// rows are opened one by one. The filter has no tags.
    fn page_from_index(
        &mut self,
        filter: &RecordFilter,
        brand_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Record>> {
        self.prepare_search()?;
        let index = self.records.index.as_ref().expect("built");
        let brands = self.brands.as_ref().expect("loaded");
        let mut keys: Vec<&IndexKey> = index
            .keys()
            .filter(|k| k.matches(filter, brand_id, None))
            .collect();
        let total = keys.len();
        // The order of search hits, which is that of `newest_first`.
        let ids: Vec<RecordId> = select_page(&mut keys, page, |a, b| {
            a.order(brands).cmp(&b.order(brands))
        })
        .iter()
        .filter_map(|k| match k {
            IndexKey::Record { id, .. } => Some(id.clone()),
            IndexKey::Brand(_) => None,
        })
        .collect();
        let mut items = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(c) = self.records.by_id.as_ref().and_then(|m| m.get(id)) {
                items.push(c.record.clone());
                continue;
            }
            // The index is kept in step with this process's changes and
            // dropped on another's (`refresh_if_changed`), so the row is
            // there; were it not, the page is one short rather than failing.
            if let Some(row) = store::row(&self.conn, Table::Records, id)? {
                items.push(self.open_record(&row)?);
            }
        }
        Ok(Page {
            items,
            offset: page.offset,
            limit: page.limit,
            total,
        })
    }

    /// A brand and one page of its timeline, with the count of its records.
    pub fn brand_timeline(&mut self, id_or_name: &str, page: PageRequest) -> Result<BrandTimeline> {
        let page = page.checked()?;
        let brand = self.brand(id_or_name)?;
        let records = self.list_records_page(
            &RecordFilter {
                brand: Some(brand.id.to_string()),
                ..Default::default()
            },
            page,
        )?;
        Ok(BrandTimeline { brand, records })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use chrono::NaiveDate;
    use proptest::prelude::*;
    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;
    use crate::model::{BrandInput, MAX_PAGE_LIMIT, NewRecord, RecordKind};
    use crate::vault::index::SearchItem;

    fn new_vault(dir: &Path) -> Vault {
        Vault::create(
            dir,
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap()
        .0
    }

    /// The vault in `dir` opened afresh: nothing decrypted yet.
    fn reopen(dir: &Path) -> Vault {
        Vault::open(dir)
            .unwrap()
            .unlock(&SecretString::from("test passphrase"))
            .unwrap()
    }

    fn add(v: &mut Vault, kind: RecordKind, brand: Option<&str>, date: &str, tags: &[&str]) {
        let mut fields = BTreeMap::from([("date".to_string(), date.to_string())]);
        if kind == RecordKind::Note {
            fields.insert("text".into(), "x".into());
        } else {
            for (k, v) in [
                ("summary", "x"),
                ("channel", "email"),
                ("direction", "inbound"),
            ] {
                fields.insert(k.into(), v.into());
            }
        }
        v.add_record(&NewRecord {
            kind,
            brand: brand.map(str::to_string),
            fields,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        })
        .unwrap();
    }

    /// A vault of 60 records: 20 of Acme (dated, every third on the same
    /// day), 40 without a brand, half of them tagged.
    fn sample(dir: &Path) -> Vault {
        let mut v = new_vault(dir);
        let acme = v.add_brand(&BrandInput::named("Acme")).unwrap().id;
        for i in 0..60u32 {
            let date = format!("2024-{:02}-{:02}", 1 + i % 12, 1 + (i / 3) % 28);
            let tags: &[&str] = if i % 2 == 0 { &["kept"] } else { &[] };
            let brand = (i % 3 == 0).then_some(acme.as_str());
            let kind = if i % 4 == 0 {
                RecordKind::Interaction
            } else {
                RecordKind::Note
            };
            add(&mut v, kind, brand, &date, tags);
        }
        v
    }

    fn page(offset: usize, limit: usize) -> PageRequest {
        PageRequest { offset, limit }
    }

    fn ids(records: &[Record]) -> Vec<RecordId> {
        records.iter().map(|r| r.id.clone()).collect()
    }

    /// Every page, read one after the other, is the whole list in order.
    fn read_by_pages(v: &mut Vault, filter: &RecordFilter, limit: usize) -> Vec<RecordId> {
        let mut all = Vec::new();
        loop {
            let p = v.list_records_page(filter, page(all.len(), limit)).unwrap();
            assert_eq!(p.offset, all.len());
            all.extend(ids(&p.items));
            if !p.has_more() {
                assert_eq!(all.len(), p.total);
                return all;
            }
            assert_eq!(p.items.len(), limit, "a page before the last is full");
        }
    }

    fn filters(v: &mut Vault) -> Vec<RecordFilter> {
        let acme = v.brand("Acme").unwrap().id.to_string();
        vec![
            RecordFilter::default(),
            RecordFilter {
                brand: Some(acme.clone()),
                ..Default::default()
            },
            RecordFilter {
                kind: Some(RecordKind::Note),
                since: NaiveDate::from_ymd_opt(2024, 3, 1),
                until: NaiveDate::from_ymd_opt(2024, 9, 30),
                ..Default::default()
            },
            RecordFilter {
                brand: Some("acme".into()),
                tags: vec!["kept".into()],
                ..Default::default()
            },
        ]
    }

    #[test]
    fn pages_follow_the_order_of_the_whole_list_under_every_filter() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut v = sample(&dir);
        for filter in filters(&mut v) {
            let whole = ids(&v.list_records(&filter).unwrap());
            assert!(!whole.is_empty(), "{filter:?}");
            for limit in [1, 7, 20, whole.len(), 500] {
                assert_eq!(
                    read_by_pages(&mut v, &filter, limit),
                    whole,
                    "{filter:?}, {limit}"
                );
            }
        }
    }

    #[test]
    fn a_vault_not_yet_decrypted_pages_from_the_index_in_the_same_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut v = sample(&dir);
        let mut expected = Vec::new();
        for filter in filters(&mut v) {
            expected.push(ids(&v.list_records(&filter).unwrap()));
        }
        drop(v);
        let mut fresh = reopen(&dir);
        for (filter, whole) in filters(&mut fresh).iter().zip(&expected) {
            let by_pages = read_by_pages(&mut fresh, filter, 9);
            assert_eq!(&by_pages, whole, "{filter:?}");
            if filter.tags.is_empty() {
                assert!(
                    fresh.records.by_id.is_none(),
                    "no Record was built for every row: {filter:?}"
                );
            }
        }
        // A page's records are whole, as listing gives them.
        let first = fresh
            .list_records_page(&RecordFilter::default(), page(0, 3))
            .unwrap();
        let listed = fresh.list_records(&RecordFilter::default()).unwrap();
        assert_eq!(first.items, listed[..3]);
    }

    #[test]
    fn an_offset_past_the_end_is_an_empty_page_that_still_counts() {
        let tmp = tempfile::tempdir().unwrap();
        let mut v = sample(&tmp.path().join("v"));
        for offset in [60, 61, 10_000, usize::MAX] {
            let p = v
                .list_records_page(&RecordFilter::default(), page(offset, 10))
                .unwrap();
            assert!(p.items.is_empty(), "{offset}");
            assert_eq!((p.offset, p.total, p.has_more()), (offset, 60, false));
        }
        let last = v
            .list_records_page(&RecordFilter::default(), page(55, 10))
            .unwrap();
        assert_eq!(last.items.len(), 5);
    }

    #[test]
    fn the_limit_is_clamped_and_zero_is_refused_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let mut v = new_vault(&tmp.path().join("v"));
        for i in 0..(MAX_PAGE_LIMIT + 3) {
            add(
                &mut v,
                RecordKind::Note,
                None,
                &format!("2020-01-{:02}", 1 + i % 28),
                &[],
            );
        }
        let p = v
            .list_records_page(&RecordFilter::default(), page(0, 100_000))
            .unwrap();
        assert_eq!(
            (p.items.len(), p.limit, p.total),
            (MAX_PAGE_LIMIT, MAX_PAGE_LIMIT, MAX_PAGE_LIMIT + 3)
        );
        assert!(p.has_more());
        let e = v
            .list_records_page(&RecordFilter::default(), page(0, 0))
            .unwrap_err();
        assert_eq!((e.code(), e.field()), ("input.invalid", Some("limit")));
        let e = v.brand_timeline("nobody", page(0, 0)).unwrap_err();
        assert_eq!(e.field(), Some("limit"), "the page is checked first");
    }

    #[test]
    fn the_brand_timeline_is_the_brand_page_a_page_at_a_time() {
        let tmp = tempfile::tempdir().unwrap();
        let mut v = sample(&tmp.path().join("v"));
        let whole = v.brand_page("Acme").unwrap();
        let t = v.brand_timeline("acme", page(0, 4)).unwrap();
        assert_eq!(t.brand, whole.brand);
        assert_eq!(t.records.total, whole.records.len());
        assert_eq!(t.records.items, whole.records[..4]);
        let t = v.brand_timeline(&whole.brand.id, page(18, 4)).unwrap();
        assert_eq!(t.records.items, whole.records[18..]);
        let e = v.brand_timeline("nobody", page(0, 4)).unwrap_err();
        assert_eq!(e.code(), "brand.not_found");
    }

    #[test]
    fn a_change_shows_in_the_next_page() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        drop(sample(&dir));
        let mut v = reopen(&dir);
        let before = v
            .list_records_page(&RecordFilter::default(), page(0, 1))
            .unwrap();
        add(&mut v, RecordKind::Note, None, "2030-01-01", &[]);
        let after = v
            .list_records_page(&RecordFilter::default(), page(0, 1))
            .unwrap();
        assert_eq!(after.total, before.total + 1);
        assert_eq!(after.items[0].fields["date"], "2030-01-01");
        v.delete_record(&after.items[0].id).unwrap();
        let again = v
            .list_records_page(&RecordFilter::default(), page(0, 1))
            .unwrap();
        assert_eq!(again, before);
    }

    /// Times at scale (not a check of speed; run by hand, in release):
    /// `VRM_PAGING_RECORDS=1000000 cargo test --release --lib paging_at_scale
    /// -- --ignored --nocapture`. A tenth of the records are one brand's.
    #[test]
    #[ignore = "long: builds a vault of VRM_PAGING_RECORDS records (default 1,000,000)"]
    fn paging_at_scale() {
        use std::time::Instant;
        let n: usize = std::env::var("VRM_PAGING_RECORDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut v = new_vault(&dir);
        let brand = v.add_brand(&BrandInput::named("Big")).unwrap();
        let now = chrono::Utc::now();
        let records: Vec<Record> = (0..n)
            .map(|i| Record {
                id: RecordId::random(),
                kind: RecordKind::Note,
                brand: (i % 10 == 0).then(|| brand.id.clone()),
                fields: BTreeMap::from([
                    ("text".to_string(), format!("note number {i}")),
                    (
                        "date".to_string(),
                        format!("20{:02}-{:02}-{:02}", i % 25, 1 + i % 12, 1 + i % 28),
                    ),
                ]),
                tags: vec![],
                created_at: now,
                updated_at: now,
            })
            .collect();
        let t = Instant::now();
        v.insert_batch(&[], &records, &mut |_, _| {}).unwrap();
        eprintln!("insert {n}: {:?}", t.elapsed());
        drop((v, records));

        let mut v = reopen(&dir);
        let all = RecordFilter::default();
        let t = Instant::now();
        let first = v.list_records_page(&all, page(0, 200)).unwrap();
        eprintln!("first page, index built on the way: {:?}", t.elapsed());
        assert_eq!((first.items.len(), first.total), (200, n));
        let t = Instant::now();
        v.list_records_page(&all, page(200, 200)).unwrap();
        eprintln!("second page (index): {:?}", t.elapsed());
        let t = Instant::now();
        let last = v.list_records_page(&all, page(n - 100, 200)).unwrap();
        eprintln!("last page (index): {:?}", t.elapsed());
        assert_eq!(last.items.len(), 100);
        let t = Instant::now();
        let b = v.brand_timeline("Big", page(0, 200)).unwrap();
        eprintln!("brand timeline, first page (index): {:?}", t.elapsed());
        assert_eq!(b.records.total, n.div_ceil(10));

        let kept = RecordFilter {
            tags: vec!["kept".into()],
            ..Default::default()
        };
        let t = Instant::now();
        let whole = v.list_records(&all).unwrap();
        eprintln!(
            "list_records, every record (decrypts all): {:?}",
            t.elapsed()
        );
        assert_eq!(whole[..200], first.items[..]);
        drop(whole);
        let t = Instant::now();
        v.list_records_page(&all, page(200, 200)).unwrap();
        eprintln!(
            "second page (index, every record decrypted): {:?}",
            t.elapsed()
        );
        let t = Instant::now();
        v.brand_timeline("Big", page(0, 200)).unwrap();
        eprintln!(
            "brand timeline, first page (index, every record decrypted): {:?}",
            t.elapsed()
        );
        let t = Instant::now();
        let tagged = v.list_records_page(&kept, page(0, 200)).unwrap();
        eprintln!("first page of a tag, through the cache: {:?}", t.elapsed());
        assert_eq!(tagged.total, 0);
        // Every record decrypted: the same page both ways, in turn.
        for _ in 0..3 {
            let t = Instant::now();
            let a = v.page_from_index(&all, None, page(400, 200)).unwrap();
            let index = t.elapsed();
            let t = Instant::now();
            let b = v.page_from_records(&all, None, page(400, 200)).unwrap();
            eprintln!(
                "a page: {index:?} from the index, {:?} from the records",
                t.elapsed()
            );
            assert_eq!(a, b);
        }
    }

    /// A search a page at a time gives the whole search's items, in its
    /// order, with the same total, whatever the page size; brands (which
    /// come first) included, and with a filter.
    #[test]
    fn search_pages_join_up_to_the_whole_search() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = sample(dir.path());
        v.add_brand(&BrandInput::named("Acme Extra")).unwrap();
        let key = |it: &SearchItem| match it {
            SearchItem::Brand { brand } => format!("b{}", brand.id),
            SearchItem::Record { record } => format!("r{}", record.id),
        };
        for (query, filter) in [
            ("x", RecordFilter::default()),
            ("acme", RecordFilter::default()),
            (
                "x",
                RecordFilter {
                    kind: Some(RecordKind::Note),
                    ..Default::default()
                },
            ),
            ("nothing-matches-this", RecordFilter::default()),
        ] {
            let whole: Vec<String> = v
                .search_items(query, &filter)
                .unwrap()
                .iter()
                .map(key)
                .collect();
            for limit in [1, 7, 25, MAX_PAGE_LIMIT] {
                let mut joined = Vec::new();
                let mut offset = 0;
                loop {
                    let p = v.search_page(query, &filter, page(offset, limit)).unwrap();
                    assert_eq!(p.total, whole.len(), "{query} {limit}");
                    if p.items.is_empty() {
                        break;
                    }
                    offset += p.items.len();
                    joined.extend(p.items.iter().map(key));
                }
                assert_eq!(joined, whole, "{query} by {limit}");
            }
        }
        assert_eq!(
            v.search_page("x", &RecordFilter::default(), page(0, 0))
                .unwrap_err()
                .field(),
            Some("limit")
        );
    }

    proptest! {
        /// `select_page` gives what sorting everything and slicing gives.
        #[test]
        fn select_page_is_sort_then_slice(
            mut list in proptest::collection::vec(0u16..50, 0..80),
            offset in 0usize..90,
            limit in 1usize..30,
        ) {
            // A total order, as the record orders are: value, then position.
            let mut keyed: Vec<(u16, usize)> =
                list.drain(..).enumerate().map(|(i, v)| (v, i)).collect();
            let mut sorted = keyed.clone();
            sorted.sort();
            let req = page(offset, limit);
            let want = &sorted[req.offset.min(sorted.len())..req.end(sorted.len())];
            let got = select_page(&mut keyed, req, |a, b| a.cmp(b));
            prop_assert_eq!(got, want);
        }
    }
}
