//! In-memory full-text search over decrypted values.
//!
//! Every document (a brand, or a record with its brand's name) is lowercased
//! into one contiguous buffer, documents separated by NUL. A query is split
//! into words; every word must occur (as a substring) in the document. The
//! longest word is found with a SIMD substring search over the whole buffer,
//! and each candidate document is then checked for the other words. The
//! buffer holds plaintext, so it is zeroized when dropped and a removed
//! document's bytes are wiped at once.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use memchr::memmem;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::model::{Brand, BrandId, Record, RecordFilter, RecordId, RecordKind};

/// A search index over documents identified by `K`.
pub struct SearchIndex<K> {
    text: Zeroizing<Vec<u8>>,
    docs: Vec<Doc<K>>,
    live: usize,
}

#[derive(Debug)]
struct Doc<K> {
    start: usize,
    end: usize,
    key: Option<K>,
}

/// Counts only: the buffer is plaintext.
impl<K> std::fmt::Debug for SearchIndex<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("documents", &self.live)
            .field("bytes", &self.text.len())
            .finish_non_exhaustive()
    }
}

impl<K: Clone + PartialEq> Default for SearchIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Clone + PartialEq> SearchIndex<K> {
    /// An empty index.
    pub fn new() -> Self {
        SearchIndex {
            text: Zeroizing::new(Vec::new()),
            docs: Vec::new(),
            live: 0,
        }
    }

    /// Add a document made of `parts` (each is lowercased and searched as one
    /// text; parts are joined by a space). Returns its slot.
    pub fn add<'a>(&mut self, key: K, parts: impl IntoIterator<Item = &'a str>) -> usize {
        let parts: Vec<&str> = parts.into_iter().collect();
        let needed = parts.iter().map(|p| lowercase_len(p) + 1).sum::<usize>() + 1;
        reserve_wiping(&mut self.text, needed);
        let start = self.text.len();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                self.text.push(b' ');
            }
            push_lowercase(&mut self.text, part);
        }
        let end = self.text.len();
        self.text.push(0);
        self.docs.push(Doc {
            start,
            end,
            key: Some(key),
        });
        self.live += 1;
        self.docs.len() - 1
    }

    /// Remove every document with this key, wiping its text.
    pub fn remove<Q: ?Sized>(&mut self, key: &Q)
    where
        K: PartialEq<Q>,
    {
        for doc in self.docs.iter_mut() {
            if doc.key.as_ref().is_some_and(|k| k == key) {
                doc.key = None;
                self.text[doc.start..doc.end].fill(0);
                self.live -= 1;
            }
        }
        if self.docs.len() > 64 && self.live * 2 < self.docs.len() {
            self.compact();
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The key of every document, in insertion order.
    pub(super) fn keys(&self) -> impl Iterator<Item = &K> {
        self.docs.iter().filter_map(|d| d.key.as_ref())
    }

    fn compact(&mut self) {
        let mut text = Zeroizing::new(Vec::with_capacity(self.text.len()));
        let mut docs = Vec::with_capacity(self.live);
        for doc in self.docs.drain(..) {
            if let Some(key) = doc.key {
                let start = text.len();
                text.extend_from_slice(&self.text[doc.start..doc.end]);
                let end = text.len();
                text.push(0);
                docs.push(Doc {
                    start,
                    end,
                    key: Some(key),
                });
            }
        }
        self.text = text;
        self.docs = docs;
    }

    /// Keys of the documents containing every word of `query`, in insertion
    /// order. An empty query matches nothing.
    pub fn search(&self, query: &str) -> Vec<K> {
        let mut words: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        for word in query.split_whitespace() {
            let mut w = Zeroizing::new(Vec::with_capacity(lowercase_len(word)));
            push_lowercase(&mut w, word);
            if !w.is_empty() && !words.iter().any(|x| **x == *w) {
                words.push(w);
            }
        }
        if words.is_empty() {
            return Vec::new();
        }
        // The longest word is usually the rarest: scan for it, check the rest.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let first = memmem::Finder::new(&words[0][..]);
        let rest: Vec<memmem::Finder<'_>> = words[1..]
            .iter()
            .map(|w| memmem::Finder::new(&w[..]))
            .collect();

        let mut hits = Vec::new();
        let text = &self.text[..];
        let mut pos = 0;
        // Matches come in text order, so each one's document is at or after
        // the previous one's: gallop forward from there rather than binary
        // search all documents (a common word hits nearly every document).
        let mut i = 0;
        while pos < text.len() {
            let Some(found) = first.find(&text[pos..]) else {
                break;
            };
            let at = pos + found;
            // The document holding `at`: the last one starting at or before it.
            i = doc_at(&self.docs, i, at);
            let doc = &self.docs[i];
            pos = doc.end + 1;
            let Some(key) = &doc.key else { continue };
            if at + words[0].len() > doc.end {
                continue;
            }
            let body = &text[doc.start..doc.end];
            if rest.iter().all(|f| f.find(body).is_some()) {
                hits.push(key.clone());
            }
        }
        hits
    }
}

/// Index of the last document starting at or before `at`, given that it is
/// not before `from` (documents are sorted by start; the first starts at 0).
fn doc_at<K>(docs: &[Doc<K>], from: usize, at: usize) -> usize {
    let mut step = 1;
    let mut lo = from;
    while lo + step < docs.len() && docs[lo + step].start <= at {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step).min(docs.len());
    lo + docs[lo..hi].partition_point(|d| d.start <= at) - 1
}

/// Bytes the lowercase form of `s` takes.
fn lowercase_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars()
            .flat_map(char::to_lowercase)
            .map(char::len_utf8)
            .sum()
    }
}

/// Make room for `extra` more bytes without letting `Vec` reallocate behind
/// our back: a grown buffer is a new one, and the old one is wiped as it drops,
/// so no copy of decrypted text is left in freed memory.
fn reserve_wiping(buf: &mut Zeroizing<Vec<u8>>, extra: usize) {
    let need = buf.len() + extra;
    if need > buf.capacity() {
        let mut bigger = Zeroizing::new(Vec::with_capacity(need.max(buf.capacity() * 2)));
        bigger.extend_from_slice(buf);
        *buf = bigger;
    }
}

/// Append the lowercase form of `s`, with NUL (our separator) turned into a
/// space so no document can contain it.
fn push_lowercase(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| match b {
            0 => b' ',
            _ => b.to_ascii_lowercase(),
        }));
    } else {
        let mut buf = [0u8; 4];
        for c in s.chars().flat_map(char::to_lowercase) {
            let c = if c == '\0' { ' ' } else { c };
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Hit {
    /// A brand matched.
    Brand(BrandId),
    /// A record matched.
    Record(RecordId),
}

/// A search result with its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SearchItem {
    /// A brand matched.
    Brand {
        /// The brand.
        brand: Brand,
    },
    /// A record matched.
    Record {
        /// The record.
        record: Record,
    },
}

/// What the search index keeps for a document: which brand or record it is
/// and, for a record, what it sorts by (see [`newest_first`]), so ordering
/// many hits needs no lookups. A document is removed by its [`Hit`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum IndexKey {
    Brand(BrandId),
    Record {
        id: RecordId,
        date: NaiveDate,
        created_at: DateTime<Utc>,
        /// Kept, with `brand`, so that a filter needs no `Record`.
        kind: RecordKind,
        brand: Option<Arc<str>>,
    },
}

impl IndexKey {
    pub(super) fn record(r: &CachedRecord) -> Self {
        let CachedRecord { record: r, date } = r;
        IndexKey::Record {
            id: r.id.clone(),
            date: *date,
            created_at: r.created_at,
            kind: r.kind,
            brand: r.brand.as_deref().map(Arc::from),
        }
    }

    /// [`RecordFilter::matches`] on the record this key stands for (its tags
    /// are looked up in `records`, which must be loaded when the filter has
    /// tags). A brand never matches.
    pub(super) fn matches(
        &self,
        filter: &RecordFilter,
        brand_id: Option<&str>,
        records: Option<&HashMap<RecordId, CachedRecord>>,
    ) -> bool {
        let IndexKey::Record {
            id,
            date,
            kind,
            brand,
            ..
        } = self
        else {
            return false;
        };
        if brand_id.is_some_and(|b| brand.as_deref() != Some(b)) {
            return false;
        }
        if filter.kind.is_some_and(|k| k != *kind) {
            return false;
        }
        if filter.since.is_some_and(|s| *date < s) || filter.until.is_some_and(|u| *date > u) {
            return false;
        }
        filter.tags.is_empty()
            || records
                .and_then(|m| m.get(id))
                .is_some_and(|c| filter.tags.iter().all(|t| c.record.tags.contains(t)))
    }

    /// Where its hit goes in search results.
    pub(super) fn order<'a>(&'a self, brands: &BTreeMap<BrandId, Brand>) -> HitOrder<'a> {
        match self {
            IndexKey::Brand(id) => {
                HitOrder::Brand(brands.get(id).map(|b| b.name.to_lowercase()), id)
            }
            IndexKey::Record {
                id,
                date,
                created_at,
                ..
            } => HitOrder::Record(Reverse(*date), Reverse(*created_at), id),
        }
    }

    pub(super) fn into_hit(self) -> Hit {
        match self {
            IndexKey::Brand(id) => Hit::Brand(id),
            IndexKey::Record { id, .. } => Hit::Record(id),
        }
    }
}

impl PartialEq<Hit> for IndexKey {
    fn eq(&self, hit: &Hit) -> bool {
        match (self, hit) {
            (IndexKey::Brand(a), Hit::Brand(b)) => a == b,
            (IndexKey::Record { id, .. }, Hit::Record(b)) => id == b,
            _ => false,
        }
    }
}

/// The order of search hits: brands by lowercased name, then records newest
/// first (as [`newest_first`]); ties broken by id.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum HitOrder<'a> {
    Brand(Option<String>, &'a str),
    Record(Reverse<NaiveDate>, Reverse<DateTime<Utc>>, &'a str),
}

/// What search finds a brand by: every field it has.
pub(super) fn brand_search_parts(b: &Brand) -> [Option<&str>; 7] {
    [
        Some(b.name.as_str()),
        b.domain.as_deref(),
        b.contact.as_deref(),
        b.notes.as_deref(),
        b.inbox.as_deref(),
        b.did.as_deref(),
        b.age_recipient.as_deref(),
    ]
}

pub(super) fn index_brand(index: &mut SearchIndex<IndexKey>, b: &Brand) {
    index.add(
        IndexKey::Brand(b.id.clone()),
        brand_search_parts(b).into_iter().flatten(),
    );
}

pub(super) fn index_record(
    index: &mut SearchIndex<IndexKey>,
    c: &CachedRecord,
    brand_name: Option<&str>,
) {
    let r = &c.record;
    let parts = std::iter::once(r.kind.as_str())
        .chain(brand_name)
        .chain(r.fields.values().map(String::as_str))
        .chain(r.tags.iter().map(String::as_str));
    index.add(IndexKey::record(c), parts);
}

/// A decrypted record as the vault keeps it, with its date
/// ([`Record::date`]) parsed once, when it enters the cache: lists filter
/// and sort on the parsed value, never on the text.
pub(super) struct CachedRecord {
    pub(super) record: Record,
    pub(super) date: NaiveDate,
}

impl CachedRecord {
    pub(super) fn new(record: Record) -> Self {
        let date = record.date();
        CachedRecord { record, date }
    }
}

pub(super) fn sort_records(list: &mut [&CachedRecord]) {
    list.sort_by(|a, b| newest_first(a, b));
}

pub(super) fn newest_first(a: &CachedRecord, b: &CachedRecord) -> std::cmp::Ordering {
    b.date
        .cmp(&a.date)
        .then(b.record.created_at.cmp(&a.record.created_at))
        .then(a.record.id.cmp(&b.record.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn index(docs: &[&str]) -> SearchIndex<usize> {
        let mut ix = SearchIndex::new();
        for (i, d) in docs.iter().enumerate() {
            ix.add(i, [*d]);
        }
        ix
    }

    #[test]
    fn every_word_must_match_case_insensitively() {
        let ix = index(&["Alice at ACME", "Bob at Acme", "Alice at Globex"]);
        assert_eq!(ix.search("acme"), vec![0, 1]);
        assert_eq!(ix.search("ALICE acme"), vec![0]);
        assert_eq!(ix.search("  "), Vec::<usize>::new());
        assert_eq!(ix.search("alice nobody"), Vec::<usize>::new());
    }

    #[test]
    fn words_do_not_match_across_documents() {
        let ix = index(&["abc", "def"]);
        assert!(ix.search("cd").is_empty());
        assert!(ix.search("abc def").is_empty());
    }

    #[test]
    fn the_buffer_never_grows_in_place() {
        // Every growth goes through reserve_wiping, which replaces the buffer
        // (wiping the old one) instead of letting Vec reallocate it.
        let mut ix = SearchIndex::new();
        let mut last_capacity = 0;
        for i in 0..500 {
            ix.add(i, ["Grüße aus MÜNCHEN", "ΣΊΣΥΦΟΣ", "plain ascii text"]);
            let cap = ix.text.capacity();
            assert!(cap >= ix.text.len());
            if cap != last_capacity {
                assert!(
                    cap >= last_capacity * 2 || last_capacity == 0,
                    "grew by doubling"
                );
                last_capacity = cap;
            }
        }
        assert_eq!(ix.search("münchen σίσυφο grüße").len(), 500);
    }

    #[test]
    fn unicode_is_folded() {
        let ix = index(&["Straße in MÜNCHEN", "Ærøskøbing"]);
        assert_eq!(ix.search("münchen"), vec![0]);
        assert_eq!(ix.search("ærø"), vec![1]);
    }

    #[test]
    fn removed_documents_are_wiped_and_not_found() {
        let mut ix = index(&["secret canary", "other"]);
        ix.remove(&0);
        assert!(ix.search("canary").is_empty());
        assert!(memmem::find(&ix.text, b"canary").is_none(), "text is wiped");
        assert_eq!(ix.len(), 1);
    }

    #[test]
    fn compaction_keeps_the_live_documents() {
        let mut ix = SearchIndex::new();
        for i in 0..200 {
            ix.add(i, [format!("doc number {i}").as_str()]);
        }
        for i in 0..150 {
            ix.remove(&i);
        }
        assert_eq!(ix.search("number"), (150..200).collect::<Vec<_>>());
        assert_eq!(ix.search("number 199"), vec![199]);
    }

    #[test]
    fn matches_far_apart_and_close_together_find_their_documents() {
        let mut ix = SearchIndex::new();
        let mut needles = Vec::new();
        for i in 0..5000 {
            let needle = i % 997 == 3 || (2000..2010).contains(&i) || i == 4999;
            let text = if needle {
                needles.push(i);
                format!("x{i} needle")
            } else {
                format!("x{i} hay")
            };
            ix.add(i, [text.as_str()]);
        }
        assert_eq!(ix.search("needle"), needles);
        assert_eq!(ix.search("x"), (0..5000).collect::<Vec<_>>());
        assert_eq!(ix.search("x4999"), vec![4999]);
        assert_eq!(ix.search("x0 hay"), vec![0]);
    }

    proptest! {
        #[test]
        fn search_agrees_with_a_naive_scan(
            docs in proptest::collection::vec("[a-cA-C ]{0,12}", 0..20),
            query in "[a-c ]{0,6}",
        ) {
            let ix = {
                let mut ix = SearchIndex::new();
                for (i, d) in docs.iter().enumerate() { ix.add(i, [d.as_str()]); }
                ix
            };
            let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
            let expected: Vec<usize> = if words.is_empty() { vec![] } else {
                docs.iter().enumerate()
                    .filter(|(_, d)| words.iter().all(|w| d.to_lowercase().contains(w.as_str())))
                    .map(|(i, _)| i).collect()
            };
            prop_assert_eq!(ix.search(&query), expected);
        }
    }
}
