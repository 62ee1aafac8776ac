//! In-memory full-text search over decrypted values.
//!
//! Every document (a brand, or a record with its brand's name) is lowercased
//! and split at whitespace into tokens. Each distinct token is kept once, in
//! one contiguous buffer (tokens separated by NUL), with the ascending list
//! of the documents that hold it. A query is split into words; every word
//! must occur (as a substring) in the document. A word without whitespace
//! occurs in a document exactly when it occurs in one of its tokens, so
//! each word is found with a SIMD substring search over the distinct tokens
//! only (a few MB, where the documents' text of a 1M-record vault is over
//! 100 MB), and the documents of the tokens it is in are intersected. The
//! buffer holds plaintext, so it is zeroized when dropped, and a token no
//! document holds any more is wiped at once.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use hashbrown::{DefaultHashBuilder, HashTable};
use memchr::memmem;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::model::{Brand, BrandId, Record, RecordFilter, RecordId, RecordKind};

/// A search index over documents identified by `K`.
pub struct SearchIndex<K> {
    /// Every distinct token once, each followed by NUL; in token order.
    vocab: Zeroizing<Vec<u8>>,
    tokens: Vec<Token>,
    /// Token ids by their text (hashed from `vocab`: no second copy of it).
    lookup: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// By slot, in insertion order; `None` once removed.
    docs: Vec<Option<K>>,
    /// By slot, each document's [`DocRank::rank`] (0 once removed): ordering
    /// many hits reads this dense array, not a key (a cache miss) per hit.
    ranks: Vec<u128>,
    live: usize,
    /// The document being added, lowercased: reused, wiped when it grows.
    scratch: Zeroizing<Vec<u8>>,
}

#[derive(Debug)]
struct Token {
    start: usize,
    len: usize,
    /// Slots of the documents holding it, ascending, each once. Empty once
    /// every one is removed (its text is wiped then).
    docs: Vec<u32>,
}

/// Counts only: the buffer is plaintext.
impl<K> std::fmt::Debug for SearchIndex<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("documents", &self.live)
            .field("tokens", &self.tokens.len())
            .field("bytes", &self.vocab.len())
            .finish_non_exhaustive()
    }
}

/// Where a document's hits go in search order, as one integer: ascending,
/// equal ranks ordered by the full key. 0 is "not ranked": such a document
/// (a brand) is looked at by its key.
pub trait DocRank {
    /// This document's rank.
    fn rank(&self) -> u128;
}

impl<K: Clone + PartialEq + DocRank> Default for SearchIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// Whitespace as `str::split_whitespace` sees it, for ASCII text.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Call `f` with each token (maximal run without whitespace) of `text`, a
/// lowercased document.
fn for_each_token(text: &[u8], mut f: impl FnMut(&[u8])) {
    if text.is_ascii() {
        for t in text.split(|b| is_ascii_space(*b)) {
            if !t.is_empty() {
                f(t);
            }
        }
    } else {
        match std::str::from_utf8(text) {
            Ok(s) => s.split_whitespace().for_each(|t| f(t.as_bytes())),
            // Never: the text was built from `str`s. Kept whole rather than lost.
            Err(_) => f(text),
        }
    }
}

impl<K: Clone + PartialEq + DocRank> SearchIndex<K> {
    /// An empty index.
    pub fn new() -> Self {
        SearchIndex {
            vocab: Zeroizing::new(Vec::new()),
            tokens: Vec::new(),
            lookup: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            docs: Vec::new(),
            ranks: Vec::new(),
            live: 0,
            scratch: Zeroizing::new(Vec::new()),
        }
    }

    /// Add a document made of `parts` (each is lowercased and searched as one
    /// text; parts are joined by a space). Returns its slot.
    pub fn add<'a>(&mut self, key: K, parts: impl IntoIterator<Item = &'a str>) -> usize {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        push_document(&mut scratch, parts);
        let slot = self.add_lowered(key, &scratch);
        // Wiped now: it held this document's plaintext.
        scratch.fill(0);
        scratch.clear();
        self.scratch = scratch;
        slot
    }

    /// Add every document of a batch lowered elsewhere (by
    /// [`LoweredDocs::push`], as [`SearchIndex::add`] would), in order.
    pub(super) fn add_batch(&mut self, batch: LoweredDocs<K>) {
        let LoweredDocs { text, docs } = batch;
        for (key, range) in docs {
            self.add_lowered(key, &text[range]);
        }
    }

    /// Add a document whose text is lowercased already. Returns its slot.
    fn add_lowered(&mut self, key: K, text: &[u8]) -> usize {
        let slot = self.docs.len();
        // Slots are u32 to halve the lists; 4 billion documents is far past
        // what a vault holds.
        let slot32 = u32::try_from(slot).expect("fewer than 2^32 documents");
        for_each_token(text, |t| self.add_token(t, slot32));
        self.ranks.push(key.rank());
        self.docs.push(Some(key));
        self.live += 1;
        slot
    }

    fn token_text(&self, id: u32) -> &[u8] {
        let t = &self.tokens[id as usize];
        &self.vocab[t.start..t.start + t.len]
    }

    fn add_token(&mut self, text: &[u8], slot: u32) {
        let hash = self.hasher.hash_one(text);
        let (vocab, tokens) = (&self.vocab, &self.tokens);
        let found = self.lookup.find(hash, |&id| {
            let t = &tokens[id as usize];
            &vocab[t.start..t.start + t.len] == text
        });
        if let Some(&id) = found {
            let docs = &mut self.tokens[id as usize].docs;
            if docs.last() != Some(&slot) {
                docs.push(slot);
            }
            return;
        }
        let id = u32::try_from(self.tokens.len()).expect("fewer than 2^32 tokens");
        reserve_wiping(&mut self.vocab, text.len() + 1);
        let start = self.vocab.len();
        self.vocab.extend_from_slice(text);
        self.vocab.push(0);
        self.tokens.push(Token {
            start,
            len: text.len(),
            docs: vec![slot],
        });
        let (vocab, tokens, hasher) = (&self.vocab, &self.tokens, &self.hasher);
        self.lookup.insert_unique(hash, id, |&id| {
            let t = &tokens[id as usize];
            hasher.hash_one(&vocab[t.start..t.start + t.len])
        });
    }

    /// Remove every document with this key, wiping the tokens no other
    /// document holds.
    pub fn remove<Q: ?Sized>(&mut self, key: &Q)
    where
        K: PartialEq<Q>,
    {
        let mut gone = Vec::new();
        for (slot, doc) in self.docs.iter_mut().enumerate() {
            if doc.as_ref().is_some_and(|k| k == key) {
                *doc = None;
                self.ranks[slot] = 0;
                self.live -= 1;
                gone.push(slot as u32);
            }
        }
        if gone.is_empty() {
            return;
        }
        for id in 0..self.tokens.len() {
            let t = &mut self.tokens[id];
            let before = t.docs.len();
            if before == 0 {
                continue;
            }
            for slot in &gone {
                if let Ok(i) = t.docs.binary_search(slot) {
                    t.docs.remove(i);
                }
            }
            if t.docs.is_empty() {
                t.docs = Vec::new();
                self.forget_token(id as u32);
            }
        }
        if self.docs.len() > 64 && self.live * 2 < self.docs.len() {
            self.compact();
        }
    }

    /// Wipe a token no document holds and take it out of the lookup.
    fn forget_token(&mut self, id: u32) {
        let hash = self.hasher.hash_one(self.token_text(id));
        if let Ok(entry) = self.lookup.find_entry(hash, |&x| x == id) {
            entry.remove();
        }
        let t = &self.tokens[id as usize];
        self.vocab[t.start..t.start + t.len].fill(0);
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
        self.docs.iter().filter_map(Option::as_ref)
    }

    /// Renumber the live documents and drop the wiped tokens.
    fn compact(&mut self) {
        let mut renumber = vec![u32::MAX; self.docs.len()];
        let mut docs = Vec::with_capacity(self.live);
        let mut ranks = Vec::with_capacity(self.live);
        for (slot, doc) in self.docs.drain(..).enumerate() {
            if let Some(key) = doc {
                renumber[slot] = docs.len() as u32;
                ranks.push(self.ranks[slot]);
                docs.push(Some(key));
            }
        }
        self.docs = docs;
        self.ranks = ranks;
        let mut vocab = Zeroizing::new(Vec::with_capacity(self.vocab.len()));
        let mut tokens = Vec::new();
        for t in self.tokens.drain(..) {
            if t.docs.is_empty() {
                continue;
            }
            let start = vocab.len();
            vocab.extend_from_slice(&self.vocab[t.start..t.start + t.len]);
            vocab.push(0);
            tokens.push(Token {
                start,
                len: t.len,
                docs: t.docs.iter().map(|&s| renumber[s as usize]).collect(),
            });
        }
        self.vocab = vocab;
        self.tokens = tokens;
        self.lookup.clear();
        for id in 0..self.tokens.len() {
            let hash = self.hasher.hash_one(self.token_text(id as u32));
            let (vocab, tokens, hasher) = (&self.vocab, &self.tokens, &self.hasher);
            self.lookup.insert_unique(hash, id as u32, |&x| {
                let t = &tokens[x as usize];
                hasher.hash_one(&vocab[t.start..t.start + t.len])
            });
        }
    }

    /// The documents holding `word`: those of every token it occurs in.
    fn documents_with(&self, word: &[u8]) -> Slots<'_> {
        let finder = memmem::Finder::new(word);
        let mut found: Vec<&[u32]> = Vec::new();
        let mut total = 0;
        let mut pos = 0;
        let mut t = 0;
        while pos < self.vocab.len() {
            let Some(at) = finder.find(&self.vocab[pos..]) else {
                break;
            };
            let at = pos + at;
            // A word has no NUL, so the match lies inside one token.
            t = token_at(&self.tokens, t, at);
            let token = &self.tokens[t];
            pos = token.start + token.len + 1;
            if !token.docs.is_empty() {
                total += token.docs.len();
                found.push(&token.docs);
            }
        }
        match found.len() {
            0 => Slots::List(Vec::new()),
            1 => Slots::Borrowed(found[0]),
            // Many documents: a bitmap, cheaper than merging the lists.
            _ if total * 16 > self.docs.len() => {
                let mut bits = vec![0u64; self.docs.len().div_ceil(64)];
                for list in found {
                    for &s in list {
                        bits[s as usize / 64] |= 1u64 << (s % 64);
                    }
                }
                Slots::Bits(bits, total)
            }
            _ => {
                let mut all: Vec<u32> = Vec::with_capacity(total);
                for list in found {
                    all.extend_from_slice(list);
                }
                all.sort_unstable();
                all.dedup();
                Slots::List(all)
            }
        }
    }

    /// Keys of the documents containing every word of `query`, in insertion
    /// order. An empty query matches nothing.
    pub fn search(&self, query: &str) -> Vec<K> {
        self.search_slots(query)
            .into_iter()
            .filter_map(|slot| self.get(slot).cloned())
            .collect()
    }

    /// The [`DocRank::rank`] of the document in `slot` (0 once removed).
    pub fn rank(&self, slot: u32) -> u128 {
        self.ranks.get(slot as usize).copied().unwrap_or(0)
    }

    /// The key of the document in `slot`, unless it was removed.
    pub fn get(&self, slot: u32) -> Option<&K> {
        self.docs.get(slot as usize).and_then(Option::as_ref)
    }

    /// Slots of the documents containing every word of `query`, ascending
    /// (insertion order); [`SearchIndex::get`] gives their keys. An empty
    /// query matches nothing.
    pub fn search_slots(&self, query: &str) -> Vec<u32> {
        let mut words: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        for word in query.split_whitespace() {
            let mut w = Zeroizing::new(Vec::with_capacity(lowercase_len(word)));
            push_lowercase(&mut w, word);
            // push_lowercase turns NUL into a space: split there too.
            for_each_token(&w, |part| {
                if !words.iter().any(|x| **x == *part) {
                    words.push(Zeroizing::new(part.to_vec()));
                }
            });
        }
        if words.is_empty() {
            return Vec::new();
        }
        let mut sets: Vec<Slots<'_>> = Vec::with_capacity(words.len());
        for w in &words {
            let set = self.documents_with(w);
            if set.is_empty() {
                return Vec::new();
            }
            sets.push(set);
        }
        // Walk the smallest set and look each of its documents up in the rest.
        sets.sort_by_key(Slots::size);
        let rest = sets.split_off(1);
        let first = sets.pop().expect("one set per word");
        let mut cursors = vec![0usize; rest.len()];
        let mut hits = Vec::with_capacity(first.size().min(self.live));
        // Looking each document up costs a cache miss per hit (a million
        // hits: tens of ms); it only matters once one was removed.
        let none_removed = self.live == self.docs.len();
        first.for_each(|slot| {
            let all = rest
                .iter()
                .zip(cursors.iter_mut())
                .all(|(set, at)| set.contains(slot, at));
            if all && (none_removed || self.get(slot).is_some()) {
                hits.push(slot);
            }
        });
        hits
    }
}

/// The documents a word occurs in.
enum Slots<'a> {
    Borrowed(&'a [u32]),
    List(Vec<u32>),
    /// A bitmap over slots, with an upper bound of how many are set.
    Bits(Vec<u64>, usize),
}

impl Slots<'_> {
    fn size(&self) -> usize {
        match self {
            Slots::Borrowed(l) => l.len(),
            Slots::List(l) => l.len(),
            Slots::Bits(_, n) => *n,
        }
    }

    fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// Each slot, ascending.
    fn for_each(&self, mut f: impl FnMut(u32)) {
        match self {
            Slots::Borrowed(l) => l.iter().for_each(|&s| f(s)),
            Slots::List(l) => l.iter().for_each(|&s| f(s)),
            Slots::Bits(bits, _) => {
                for (i, &word) in bits.iter().enumerate() {
                    let mut w = word;
                    while w != 0 {
                        let b = w.trailing_zeros();
                        f(i as u32 * 64 + b);
                        w &= w - 1;
                    }
                }
            }
        }
    }

    /// Whether `slot` is in the set, given ascending calls: `at` is where
    /// the previous call left off in a list.
    fn contains(&self, slot: u32, at: &mut usize) -> bool {
        let list = match self {
            Slots::Borrowed(l) => *l,
            Slots::List(l) => l.as_slice(),
            Slots::Bits(bits, _) => {
                return bits
                    .get(slot as usize / 64)
                    .is_some_and(|w| w & (1u64 << (slot % 64)) != 0);
            }
        };
        *at += gallop(&list[(*at).min(list.len())..], |&s| s < slot);
        list.get(*at) == Some(&slot)
    }
}

/// How many elements at the start of `list` satisfy `before` (which holds
/// for a prefix): galloping, as the answer is usually near the start.
fn gallop<T>(list: &[T], before: impl Fn(&T) -> bool) -> usize {
    let mut step = 1;
    let mut lo = 0;
    while lo < list.len() && before(&list[lo]) {
        lo += step;
        step *= 2;
    }
    let from = lo.saturating_sub(step / 2).min(list.len());
    let to = lo.min(list.len());
    // The answer is in [from, to] (0 when the first fails).
    if from == to {
        return from;
    }
    from + list[from..to].partition_point(&before)
}

/// Index of the token holding vocabulary offset `at`, given that it is not
/// before `from` (tokens are in vocabulary order; the first starts at 0).
fn token_at(tokens: &[Token], from: usize, at: usize) -> usize {
    (from + gallop(&tokens[from..], |t| t.start <= at)).saturating_sub(1)
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

/// Documents lowercased for [`SearchIndex::add_batch`] away from the index:
/// on another thread while the index is being built. The text is
/// plaintext, so it is wiped when the batch drops.
pub(super) struct LoweredDocs<K> {
    text: Zeroizing<Vec<u8>>,
    docs: Vec<(K, std::ops::Range<usize>)>,
}

impl<K> LoweredDocs<K> {
    pub(super) fn new() -> Self {
        LoweredDocs {
            text: Zeroizing::new(Vec::new()),
            docs: Vec::new(),
        }
    }

    /// Lower a document made of `parts`, as [`SearchIndex::add`] does.
    pub(super) fn push<'a>(&mut self, key: K, parts: impl IntoIterator<Item = &'a str>) {
        let start = self.text.len();
        push_document(&mut self.text, parts);
        self.docs.push((key, start..self.text.len()));
    }
}

/// Append the lowercase form of `parts`, joined by a space, growing `out`
/// only by [`reserve_wiping`].
fn push_document<'a>(out: &mut Zeroizing<Vec<u8>>, parts: impl IntoIterator<Item = &'a str>) {
    for (i, part) in parts.into_iter().enumerate() {
        reserve_wiping(out, lowercase_len(part) + 1);
        if i > 0 {
            out.push(b' ');
        }
        push_lowercase(out, part);
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

    pub(super) fn hit(&self) -> Hit {
        match self {
            IndexKey::Brand(id) => Hit::Brand(id.clone()),
            IndexKey::Record { id, .. } => Hit::Record(id.clone()),
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

/// Hits in search order ([`HitOrder`]): brands by name, then records newest
/// first. Records sort on their date and creation time packed into one
/// integer, their ids compared only between equal ones, and only the hits'
/// ids are copied: a query matching a million records must not clone and
/// compare a million keys.
pub(super) fn ordered_hits(
    index: &SearchIndex<IndexKey>,
    slots: &[u32],
    brands: &BTreeMap<BrandId, Brand>,
) -> Vec<Hit> {
    let (brand_keys, mut keyed) = ranked(index, slots, brands);
    keyed.sort_unstable_by_key(|&(rank, _)| rank);
    let mut from = 0;
    while from < keyed.len() {
        let rank = keyed[from].0;
        // Runs of equal ranks are short: a scan, not a binary search of the rest.
        let to = from
            + keyed[from..]
                .iter()
                .take_while(|&&(r, _)| r == rank)
                .count();
        if to - from > 1 {
            keyed[from..to].sort_unstable_by(|a, b| by_key(index, brands, a.1, b.1));
        }
        from = to;
    }
    brand_keys
        .into_iter()
        .map(IndexKey::hit)
        .chain(
            keyed
                .into_iter()
                .filter_map(|(_, s)| index.get(s).map(IndexKey::hit)),
        )
        .collect()
}

/// The brands among `slots`, in order, and every record's slot with its
/// rank (unordered). Ranks come from the index's dense array; only a slot
/// ranked 0 (a brand, or a record that packs to 0) has its key read.
fn ranked<'a>(
    index: &'a SearchIndex<IndexKey>,
    slots: &[u32],
    brands: &BTreeMap<BrandId, Brand>,
) -> (Vec<&'a IndexKey>, Vec<(u128, u32)>) {
    let mut brand_keys: Vec<&IndexKey> = Vec::new();
    let mut keyed: Vec<(u128, u32)> = Vec::with_capacity(slots.len());
    for &slot in slots {
        match index.rank(slot) {
            0 => match index.get(slot) {
                Some(key @ IndexKey::Brand(_)) => brand_keys.push(key),
                Some(IndexKey::Record { .. }) => keyed.push((0, slot)),
                None => {}
            },
            rank => keyed.push((rank, slot)),
        }
    }
    brand_keys.sort_unstable_by(|a, b| a.order(brands).cmp(&b.order(brands)));
    (brand_keys, keyed)
}

/// Two slots in the full search order, for records of equal rank.
fn by_key(
    index: &SearchIndex<IndexKey>,
    brands: &BTreeMap<BrandId, Brand>,
    a: u32,
    b: u32,
) -> std::cmp::Ordering {
    let order = |s| index.get(s).map(|k| k.order(brands));
    order(a).cmp(&order(b))
}

/// One page of [`ordered_hits`]' order, and how many hits there are in
/// all: the records of the page are selected, not the whole list sorted
/// (O(n + page), where a search with a million hits spent most of its time
/// making and sorting a `Hit` for each).
pub(super) fn ordered_hits_page(
    index: &SearchIndex<IndexKey>,
    slots: &[u32],
    brands: &BTreeMap<BrandId, Brand>,
    page: crate::model::PageRequest,
) -> (Vec<Hit>, usize) {
    let (brand_keys, mut keyed) = ranked(index, slots, brands);
    let total = brand_keys.len() + keyed.len();
    let end = page.end(total);
    let start = page.offset.min(end);
    let nb = brand_keys.len();
    let mut hits: Vec<Hit> = brand_keys[start.min(nb)..end.min(nb)]
        .iter()
        .map(|k| k.hit())
        .collect();
    let (from, to) = (start.saturating_sub(nb), end.saturating_sub(nb));
    if to > from {
        let records = crate::model::PageRequest {
            offset: from,
            limit: to - from,
        };
        // The rank, then the full order on a tie: a total order, as
        // select_page needs.
        let cmp = |a: &(u128, u32), b: &(u128, u32)| {
            a.0.cmp(&b.0).then_with(|| by_key(index, brands, a.1, b.1))
        };
        let chosen = crate::model::select_page(&mut keyed, records, cmp);
        hits.extend(
            chosen
                .iter()
                .filter_map(|&(_, s)| index.get(s).map(IndexKey::hit)),
        );
    }
    (hits, total)
}

impl DocRank for IndexKey {
    /// A record's place newest first (date, then creation time, both
    /// descending) as one integer; a brand's is 0.
    fn rank(&self) -> u128 {
        self.newest_first_rank()
    }
}

impl IndexKey {
    /// A record's place newest first (date, then creation time, both
    /// descending) as one integer; a brand's is 0.
    fn newest_first_rank(&self) -> u128 {
        let IndexKey::Record {
            date, created_at, ..
        } = self
        else {
            return 0;
        };
        // Each part flipped into an unsigned that orders as it does, then
        // complemented: larger (newer) first.
        let d = (date.num_days_from_ce() as u32) ^ (1 << 31);
        let s = (created_at.timestamp() as u64) ^ (1 << 63);
        let n = created_at.timestamp_subsec_nanos();
        (u128::from(!d) << 96) | (u128::from(!s) << 32) | u128::from(!n)
    }
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

    /// Tests index plain numbers: the rank is the number, plus one (0 is
    /// "not ranked").
    impl DocRank for usize {
        fn rank(&self) -> u128 {
            *self as u128 + 1
        }
    }

    #[test]
    fn ranks_stay_beside_their_documents_through_removal_and_compaction() {
        let mut ix = SearchIndex::new();
        for i in 0..200usize {
            ix.add(i, [format!("doc{i} common").as_str()]);
        }
        // Remove three in four: the index compacts (slots renumbered).
        for i in (0..200usize).filter(|i| i % 4 != 0) {
            ix.remove(&i);
        }
        assert!(ix.docs.len() < 200, "compacted");
        for slot in 0..ix.docs.len() as u32 {
            assert_eq!(ix.rank(slot), ix.get(slot).map_or(0, DocRank::rank));
        }
        let found = ix.search_slots("common");
        assert_eq!(found.len(), 50);
        assert!(
            found
                .iter()
                .all(|&s| ix.rank(s) == *ix.get(s).unwrap() as u128 + 1)
        );
        // One more removed: its slot ranks 0, or the index compacted again.
        ix.remove(&0usize);
        for slot in 0..ix.docs.len() as u32 {
            assert_eq!(ix.rank(slot), ix.get(slot).map_or(0, DocRank::rank));
        }
        assert_eq!(ix.search_slots("common").len(), 49);
    }

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
            // A new token each time, so the buffer keeps growing.
            let n = format!("n{i}");
            ix.add(i, ["Grüße aus MÜNCHEN", "ΣΊΣΥΦΟΣ", "plain ascii text", &n]);
            let cap = ix.vocab.capacity();
            assert!(cap >= ix.vocab.len());
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
        assert!(
            memmem::find(&ix.vocab, b"canary").is_none(),
            "text is wiped"
        );
        assert!(
            memmem::find(&ix.vocab, b"secret").is_none(),
            "text is wiped"
        );
        assert_eq!(ix.search("other"), vec![1]);
        assert_eq!(ix.len(), 1);
    }

    #[test]
    fn a_token_stays_while_a_document_holds_it() {
        let mut ix = index(&["secret canary", "canary two", "tab\there\u{a0}nbsp"]);
        ix.remove(&0);
        assert_eq!(ix.search("canary"), vec![1]);
        assert!(
            memmem::find(&ix.vocab, b"secret").is_none(),
            "text is wiped"
        );
        assert!(memmem::find(&ix.vocab, b"canary").is_some());
        // Words match inside tokens, never across whitespace of any kind.
        assert_eq!(ix.search("nbsp TAB"), vec![2]);
        assert!(ix.search("tabhere").is_empty());
        assert_eq!(ix.search("ere bs"), vec![2]);
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
