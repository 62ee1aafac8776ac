//! Tamper by random byte flips, as evidence anyone can rerun: one random
//! byte of a closed vault's file is xored with a random non-zero mask, then
//! everything is read the way the app reads it. Each trial must end as one
//! of: harmless (every value identical), or a clear error naming the damage
//! (and every undamaged value still identical). Never silently different
//! data, never a panic.
//!
//! Short form (run by `cargo test`): `VRM_FLIP_TRIALS` trials, 150 unless
//! set. Long form: `VRM_FLIP_TRIALS=1000 cargo test --release --test
//! integration flips -- --nocapture`. The seed is printed; replay a failure
//! with `VRM_FLIP_SEED=<seed>`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use chrono::{Duration, Utc};
use vrm_vault::brandkit::BrandKey;
use vrm_vault::crypto::SecretKey;
use vrm_vault::rights::Right;
use vrm_vault::share::ShareRequest;
use vrm_vault::terms::Template;
use vrm_vault::{
    BrandInput, Error, Hit, NewRecord, Record, RecordFilter, RecordId, RecordKind, Vault,
};

use crate::util::*;

const QUERIES: [&str; 4] = ["acme", "parcel", "row 1", "globex order"];

/// Everything the app shows, read through the public API.
#[derive(Debug, Clone, PartialEq)]
struct Reading {
    brands: Vec<String>,
    records: BTreeMap<RecordId, Record>,
    searches: Vec<Vec<Hit>>,
    terms: Vec<String>,
    shares: BTreeMap<String, (String, String)>,
    requests: BTreeMap<String, (String, String)>,
    log: String,
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A closed vault with brands, records of several kinds, terms, a share, a
/// rights request and a log; and what reading it gives.
fn build() -> (tempfile::TempDir, SecretKey, Reading) {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let key = BrandKey::generate().unwrap();
    let acme = vault
        .add_brand(&BrandInput {
            name: Some("Acme".into()),
            domain: Some("acme.example".into()),
            age_recipient: Some(key.age.recipient()),
            did: Some(key.signing.did()),
            ..Default::default()
        })
        .unwrap()
        .id;
    vault.add_brand(&BrandInput::named("Globex")).unwrap();
    vault.add_brand(&BrandInput::named("Initech")).unwrap();
    let mut first = None;
    for i in 0..120 {
        let (kind, f): (RecordKind, BTreeMap<String, String>) = match i % 5 {
            0 => (
                RecordKind::Note,
                fields(&[("text", &format!("row {i} note"))]),
            ),
            1 => (
                RecordKind::Profile,
                fields(&[("email", &format!("me{i}@example.org"))]),
            ),
            2 => (
                RecordKind::Purchase,
                fields(&[("item", &format!("row {i} order")), ("price", "12.50 EUR")]),
            ),
            3 => (
                RecordKind::Account,
                fields(&[("username", &format!("user{i}"))]),
            ),
            _ => (
                RecordKind::Interaction,
                fields(&[
                    ("channel", "email"),
                    ("direction", "inbound"),
                    ("date", "2026-03-04"),
                    ("summary", &format!("row {i} parcel late {}", "z".repeat(i))),
                ]),
            ),
        };
        let brand = ["Acme", "Globex", "Initech", ""][i % 4];
        let r = vault
            .add_record(&NewRecord {
                kind,
                brand: (!brand.is_empty()).then(|| brand.to_string()),
                fields: f,
                tags: if i % 3 == 0 {
                    vec!["t1".into()]
                } else {
                    vec![]
                },
            })
            .unwrap();
        first.get_or_insert(r.id);
    }
    let mut clauses = Template::SdBase.clauses();
    clauses.prose = Some("Flip test terms".into());
    vault
        .terms()
        .create(Template::SdBase, "Flip terms", &clauses)
        .unwrap();
    vault
        .shares()
        .create(
            &ShareRequest {
                brand: acme.to_string(),
                records: vec![first.unwrap().to_string()],
                fields: vec![],
                purpose: "flip test".into(),
                expires_at: Utc::now() + Duration::days(30),
                terms: None,
            },
            &tmp.path().join("share.age"),
        )
        .unwrap();
    vault
        .rights()
        .create(&acme, Right::GdprAccess, Utc::now().date_naive(), None)
        .unwrap();
    drop(vault);
    let kek = Vault::open(&dir).unwrap().derive_kek(&pass()).unwrap();
    let mut vault = Vault::open(&dir).unwrap().unlock_with_kek(&kek).unwrap();
    let mut errors = Vec::new();
    let reading = read_all(&mut vault, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(vault.damaged_records().unwrap().is_empty());
    drop(vault);
    (tmp, kek, reading)
}

/// Read everything; each error is noted with what was being read, and the
/// reading goes on.
fn read_all(vault: &mut Vault, errors: &mut Vec<(String, Error)>) -> Reading {
    let mut note = |what: &str, e: Error| errors.push((what.to_string(), e));
    let brands = match vault.brands() {
        Ok(b) => b.iter().map(|b| format!("{b:?}")).collect(),
        Err(e) => {
            note("brands", e);
            Vec::new()
        }
    };
    let mut records = BTreeMap::new();
    match vault.list_records(&RecordFilter::default()) {
        Ok(list) => {
            for r in list {
                records.insert(r.id.clone(), r);
            }
        }
        Err(e) => note("list records", e),
    }
    let mut searches = Vec::new();
    for q in QUERIES {
        match vault.search(q, &RecordFilter::default()) {
            Ok(hits) => searches.push(hits),
            Err(e) => {
                note(&format!("search {q:?}"), e);
                searches.push(Vec::new());
            }
        }
    }
    let terms = match vault.terms().versions() {
        Ok(t) => t.iter().map(|t| format!("{t:?}")).collect(),
        Err(e) => {
            note("terms", e);
            Vec::new()
        }
    };
    // A list shows each document with its brand's name; kept apart, since a
    // damaged brand (reported) leaves the name blank.
    let shares = match vault.shares().list(None) {
        Ok(s) => s
            .into_iter()
            .map(|mut s| {
                let name = std::mem::take(&mut s.brand_name);
                (s.share.id.to_string(), (format!("{s:?}"), name))
            })
            .collect(),
        Err(e) => {
            note("shares", e);
            BTreeMap::new()
        }
    };
    let requests = match vault.rights().list(Utc::now().date_naive()) {
        Ok(r) => r
            .into_iter()
            .map(|mut r| {
                let name = std::mem::take(&mut r.brand_name);
                (r.request.id.to_string(), (format!("{r:?}"), name))
            })
            .collect(),
        Err(e) => {
            note("rights requests", e);
            BTreeMap::new()
        }
    };
    let log = match vault.audit().entries() {
        Ok(l) => format!("{l:?}"),
        Err(e) => {
            note("activity log", e);
            String::new()
        }
    };
    Reading {
        brands,
        records,
        searches,
        terms,
        shares,
        requests,
        log,
    }
}

/// Codes that say "this is damaged" (the ones a flipped byte may give).
const CLEAR: [&str; 4] = [
    "vault.damaged",
    "vault.tampered",
    "vault.newer_schema",
    "audit.broken",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Every value read back identical.
    Harmless,
    /// Rows reported damaged, the rest identical.
    Reported,
    /// A read (the list, the search…) refused with a clear error; the rest
    /// identical.
    ReadRefused,
    /// Open or unlock refused with a clear error.
    Refused,
}

/// One trial on `dir` (a copy with one byte flipped): `Ok(outcome, what)` or
/// `Err(why it is a failure)`.
fn trial(dir: &Path, kek: &SecretKey, original: &Reading) -> Result<(Outcome, String), String> {
    let unclear = |e: &Error| !CLEAR.contains(&e.code());
    let mut vault = match Vault::open(dir).and_then(|l| l.unlock_with_kek(kek)) {
        Ok(v) => v,
        Err(e) if unclear(&e) => return Err(format!("open: unclear error {}: {e}", e.code())),
        Err(e) => return Ok((Outcome::Refused, format!("open refused: {}", e.code()))),
    };
    let mut errors = Vec::new();
    let got = read_all(&mut vault, &mut errors);
    if let Some((what, e)) = errors.iter().find(|(_, e)| unclear(e)) {
        return Err(format!("{what}: unclear error {}: {e}", e.code()));
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut why = Vec::new();
    for (what, e) in &errors {
        why.push(format!("{what}: {}", e.code()));
        if let Error::Tampered { id, .. } = e {
            reported.insert(id.clone());
        }
    }
    let damaged_records = vault.damaged_records().unwrap_or_default();
    let damaged_brands = vault.damaged_brands().unwrap_or_default();
    let damaged_documents = match vault.damaged_documents() {
        Ok(d) => d,
        Err(e) if unclear(&e) => {
            return Err(format!(
                "damaged documents: unclear error {}: {e}",
                e.code()
            ));
        }
        Err(e) => {
            why.push(format!("damaged documents: {}", e.code()));
            Vec::new()
        }
    };
    if !damaged_documents.is_empty() {
        why.push(format!(
            "document(s) reported damaged: {}",
            damaged_documents
                .iter()
                .map(|(kind, _)| kind.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    reported.extend(damaged_records.iter().map(RecordId::to_string));
    reported.extend(damaged_brands.iter().map(|b| b.to_string()));
    if !damaged_records.is_empty() {
        why.push(format!(
            "{} record(s) reported damaged",
            damaged_records.len()
        ));
    }
    if !damaged_brands.is_empty() {
        why.push(format!(
            "{} brand(s) reported damaged",
            damaged_brands.len()
        ));
    }
    // Rows reported under an id we never wrote (the id itself was hit).
    let foreign = reported
        .iter()
        .filter(|id| !original.records.contains_key(id.as_str()))
        .count();
    let listing_failed = errors.iter().any(|(w, _)| w == "list records");

    // Records: each one by id, as the app opens one.
    let mut missing = 0;
    for (id, want) in &original.records {
        match vault.record(id) {
            Ok(r) if &r == want => {
                // Left out of the list but whole: its id bytes in the table
                // row were hit (lookups by id read the id from the index),
                // and the row is reported under the damaged id.
                if !listing_failed && !got.records.contains_key(id) {
                    if foreign == 0 {
                        return Err(format!("record {id} opens but is left out of the list"));
                    }
                    why.push("record left out of the list, reported under a damaged id, whole when opened by its id".into());
                }
            }
            Ok(r) => return Err(format!("record {id} reads back different: {r:?}")),
            Err(e) if unclear(&e) && !matches!(e, Error::RecordNotFound(_)) => {
                return Err(format!("record {id}: unclear error {}: {e}", e.code()));
            }
            Err(Error::RecordNotFound(_)) => missing += 1,
            Err(e) => {
                if !matches!(e, Error::Tampered { .. }) {
                    why.push(format!("record: {}", e.code()));
                }
                reported.insert(id.to_string());
            }
        }
    }
    for (id, r) in &got.records {
        if original.records.get(id) != Some(r) {
            return Err(format!("the list shows a record that differs: {r:?}"));
        }
    }
    // A record gone without a word is silent loss, unless a row with an id
    // we never wrote was reported in its place, or reading failed loudly.
    if missing > foreign && errors.is_empty() {
        return Err(format!(
            "{missing} record(s) silently missing (reported: {reported:?})"
        ));
    }
    // Brands: each listed one identical; fewer only if some were reported.
    for b in &got.brands {
        if !original.brands.contains(b) {
            return Err(format!("a brand reads back different: {b}"));
        }
    }
    if got.brands.len() < original.brands.len()
        && damaged_brands.is_empty()
        && !errors.iter().any(|(w, _)| w == "brands")
    {
        return Err("a brand is silently missing".into());
    }
    // Searches: never a hit that was not there; a hit may go only with its
    // row reported (or the search refused).
    for ((q, want), hits) in QUERIES.iter().zip(&original.searches).zip(&got.searches) {
        if errors.iter().any(|(w, _)| w.starts_with("search")) {
            continue;
        }
        for h in hits {
            if !want.contains(h) {
                return Err(format!("search {q:?} finds {h:?}, which it did not"));
            }
        }
        let lost = want.iter().filter(|h| !hits.contains(h)).count();
        if lost > 0 && reported.is_empty() && missing == 0 {
            return Err(format!("search {q:?} silently lost {lost} hit(s)"));
        }
    }
    // Documents: identical, or reported (their readers skip damaged rows;
    // opening one by id must then name the damage).
    for (kind, originals, got) in [
        ("share", &original.shares, &got.shares),
        ("request", &original.requests, &got.requests),
    ] {
        let listing = if kind == "share" {
            "shares"
        } else {
            "rights requests"
        };
        for (id, want) in originals {
            match got.get(id) {
                Some(g) if g == want => {}
                Some(g) if g.0 == want.0 && !damaged_brands.is_empty() => {
                    why.push(format!("{kind} shown without its (damaged) brand's name"));
                }
                Some(g) => return Err(format!("{kind} {id} reads back different: {g:?}")),
                None if errors.iter().any(|(w, _)| w == listing) => {}
                // Left out of the list: only if a document is reported
                // damaged, and never readable as something else by its id.
                None => {
                    let by_id = if kind == "share" {
                        vault.shares().get(id).map(|s| format!("{s:?}"))
                    } else {
                        vault.rights().get(id).map(|r| format!("{r:?}"))
                    };
                    if damaged_documents.is_empty() {
                        return Err(format!("{kind} {id} silently missing: {by_id:?}"));
                    }
                    match by_id {
                        Ok(s) if !want.0.contains(&s) => {
                            return Err(format!("{kind} {id} opens different: {s}"));
                        }
                        Err(e) if unclear(&e) && !e.code().ends_with("not_found") => {
                            return Err(format!("{kind} {id}: unclear error {}", e.code()));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    if !errors.iter().any(|(w, _)| w == "terms") {
        if got.terms.len() > original.terms.len()
            || got.terms.iter().any(|t| !original.terms.contains(t))
        {
            return Err(format!("terms read back different: {:?}", got.terms));
        }
        if got.terms.len() < original.terms.len() {
            if damaged_documents.is_empty() {
                return Err("a terms version is silently missing".into());
            }
            why.push("terms version left out".into());
        }
    }
    if !errors.iter().any(|(w, _)| w == "activity log") && got.log != original.log {
        return Err("the activity log reads back different and verifies".into());
    }

    if why.is_empty() && missing == 0 && got == *original {
        Ok((Outcome::Harmless, "harmless".into()))
    } else if why.is_empty() && missing == 0 {
        // Equal item by item but not as a whole: a hit or document left out
        // without any report.
        Err(format!("data left out without a report: {why:?}"))
    } else {
        if missing > 0 {
            why.push(format!(
                "{missing} record(s) replaced by a row reported damaged"
            ));
        }
        let outcome = if errors.iter().any(|(_, e)| e.code() == "vault.damaged") {
            Outcome::ReadRefused
        } else {
            Outcome::Reported
        };
        Ok((outcome, why.join("; ")))
    }
}

#[test]
fn random_byte_flips_are_harmless_or_reported_never_silent_or_a_panic() {
    let trials = env_number("VRM_FLIP_TRIALS", 150);
    let seed = seed_from("VRM_FLIP_SEED");
    println!("flips: {trials} trials, seed {seed} (replay with VRM_FLIP_SEED={seed})");
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let (tmp, kek, original) = build();
    let dir = vault_dir(&tmp);
    let pristine = std::fs::read(dir.join("vault.db")).unwrap();
    // Closed cleanly: one file, no WAL left.
    assert!(!dir.join("vault.db-wal").exists());
    let work = tempfile::tempdir().unwrap();

    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for t in 0..trials {
        let offset = rng.below(pristine.len() as u64) as usize;
        let mask = 1 + rng.below(255) as u8;
        let copy = work.path().join(format!("flip-{t}"));
        copy_dir(&dir, &copy);
        let mut bytes = pristine.clone();
        bytes[offset] ^= mask;
        std::fs::write(copy.join("vault.db"), &bytes).unwrap();
        let page = offset / 4096 + 1;
        let what = format!("trial {t}: byte {offset} (page {page}) ^= {mask:#04x}");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            trial(&copy, &kek, &original)
        }));
        match result {
            Ok(Ok((outcome, detail))) => {
                *outcomes.entry(outcome).or_default() += 1;
                *counts.entry(detail).or_default() += 1;
            }
            Ok(Err(why)) => failures.push(format!("{what}: {why}")),
            Err(_) => failures.push(format!("{what}: PANIC")),
        }
        let _ = std::fs::remove_dir_all(&copy);
    }
    println!(
        "flips: {trials} trials in {:.1} s, seed {seed}, file {} bytes: {outcomes:?}, failures {}",
        started.elapsed().as_secs_f64(),
        pristine.len(),
        failures.len()
    );
    for (detail, n) in &counts {
        println!("flips:   {n:5}  {detail}");
    }
    assert!(
        failures.is_empty(),
        "{} of {trials} trials failed (seed {seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A row of the file as SQLite holds it: its table, its key as the
/// manifest names it, its version, and every column (to put it back).
#[derive(Debug, Clone)]
struct FileRow {
    table: &'static str,
    key: String,
    version: i64,
    columns: Vec<(String, rusqlite::types::Value)>,
}

fn file_rows(db: &Path) -> Vec<FileRow> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out = Vec::new();
    for (table, key_sql, version_col) in [
        ("brands", "id", "version"),
        ("records", "id", "version"),
        ("documents", "kind || '/' || id", "version"),
        ("audit_log", "seq", "1"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT {key_sql}, {version_col}, * FROM {table}"))
            .unwrap();
        let names: Vec<String> = stmt.column_names().skip(2).map(|s| s.to_string()).collect();
        let rows = stmt
            .query_map([], |r| {
                let key: rusqlite::types::Value = r.get(0)?;
                let key = match key {
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    other => format!("{other:?}"),
                };
                let mut columns = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    columns.push((name.clone(), r.get::<_, rusqlite::types::Value>(i + 2)?));
                }
                Ok(FileRow {
                    table,
                    key,
                    version: r.get(1)?,
                    columns,
                })
            })
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        out.extend(rows);
    }
    out
}

fn where_key(row: &FileRow) -> (String, Vec<rusqlite::types::Value>) {
    let get = |name: &str| {
        row.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    match row.table {
        "documents" => ("kind = ?1 AND id = ?2".into(), vec![get("kind"), get("id")]),
        "audit_log" => ("seq = ?1".into(), vec![get("seq")]),
        _ => ("id = ?1".into(), vec![get("id")]),
    }
}

fn put_row(conn: &rusqlite::Connection, row: &FileRow) {
    let (cond, params) = where_key(row);
    conn.execute(
        &format!("DELETE FROM {} WHERE {cond}", row.table),
        rusqlite::params_from_iter(params),
    )
    .unwrap();
    let names: Vec<&str> = row.columns.iter().map(|(n, _)| n.as_str()).collect();
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    conn.execute(
        &format!(
            "INSERT INTO {} ({}) VALUES ({})",
            row.table,
            names.join(", "),
            marks.join(", ")
        ),
        rusqlite::params_from_iter(row.columns.iter().map(|(_, v)| v.clone())),
    )
    .unwrap();
}

/// Whole rows deleted, rows put back to an earlier version from an earlier
/// copy of the file, and deleted rows put back, by SQL on the closed file:
/// every one is named by the manifest (table, id and what happened), and
/// nothing else is. Short form: `VRM_ROW_TRIALS` trials, 60 unless set;
/// the long form is in BENCHMARKS.md.
#[test]
fn rows_deleted_or_put_back_by_sql_are_all_named_by_the_manifest() {
    let trials = env_number("VRM_ROW_TRIALS", 60);
    let seed = seed_from("VRM_FLIP_SEED");
    println!("rows: {trials} trials, seed {seed} (replay with VRM_FLIP_SEED={seed})");
    let mut rng = Rng::new(seed);
    let (tmp, kek, _) = build();
    let dir = vault_dir(&tmp);
    let earlier = file_rows(&dir.join("vault.db"));
    // A later state: records edited and deleted, a brand renamed, the log
    // (and so its head) longer.
    let mut vault = Vault::open(&dir)
        .unwrap()
        .keep_seen_in(None)
        .unlock_with_kek(&kek)
        .unwrap();
    let ids: Vec<RecordId> = vault
        .list_records(&RecordFilter::default())
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    for id in ids.iter().take(40).skip(20) {
        let patch = vrm_vault::RecordPatch {
            add_tags: vec!["edited".into()],
            ..Default::default()
        };
        vault.update_record(id, &patch).unwrap();
    }
    for id in ids.iter().skip(100) {
        vault.delete_record(id).unwrap();
    }
    vault
        .update_brand("Globex", &BrandInput::named("Globex Corp"))
        .unwrap();
    drop(vault);
    let pristine = std::fs::read(dir.join("vault.db")).unwrap();
    let now = file_rows(&dir.join("vault.db"));

    enum Change {
        Delete(FileRow),
        RollBack(FileRow, i64),
        PutBack(FileRow),
    }
    let mut deletes = Vec::new();
    let mut rollbacks = Vec::new();
    let mut putbacks = Vec::new();
    for row in &now {
        deletes.push(row.clone());
        if let Some(old) = earlier
            .iter()
            .find(|e| e.table == row.table && e.key == row.key && e.version != row.version)
        {
            rollbacks.push((old.clone(), row.version));
        }
    }
    for old in &earlier {
        if !now.iter().any(|r| r.table == old.table && r.key == old.key) {
            putbacks.push(old.clone());
        }
    }
    assert!(!rollbacks.is_empty() && !putbacks.is_empty());
    assert!(rollbacks.iter().any(|(r, _)| r.table == "documents"));

    let work = tempfile::tempdir().unwrap();
    let mut named: BTreeMap<String, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for t in 0..trials {
        let change = match rng.below(3) {
            0 => Change::Delete(deletes[rng.below(deletes.len() as u64) as usize].clone()),
            1 => {
                let (row, v) = rollbacks[rng.below(rollbacks.len() as u64) as usize].clone();
                Change::RollBack(row, v)
            }
            _ => Change::PutBack(putbacks[rng.below(putbacks.len() as u64) as usize].clone()),
        };
        let copy = work.path().join(format!("rows-{t}"));
        std::fs::create_dir_all(&copy).unwrap();
        std::fs::write(copy.join("vault.db"), &pristine).unwrap();
        let conn = rusqlite::Connection::open(copy.join("vault.db")).unwrap();
        // Whoever edits the file need not keep its references.
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        let (row, want) = match &change {
            Change::Delete(row) => {
                let (cond, params) = where_key(row);
                conn.execute(
                    &format!("DELETE FROM {} WHERE {cond}", row.table),
                    rusqlite::params_from_iter(params),
                )
                .unwrap();
                (row, vrm_vault::RowProblem::Missing)
            }
            Change::RollBack(row, expected) => {
                put_row(&conn, row);
                (
                    row,
                    vrm_vault::RowProblem::RolledBack {
                        found: row.version,
                        expected: *expected,
                    },
                )
            }
            Change::PutBack(row) => {
                put_row(&conn, row);
                (row, vrm_vault::RowProblem::Added)
            }
        };
        drop(conn);
        let what = format!("trial {t}: {} {} -> {want:?}", row.table, row.key);
        let found = Vault::open(&copy)
            .map(|l| l.keep_seen_in(None))
            .and_then(|l| l.unlock_with_kek(&kek))
            .and_then(|v| v.integrity());
        match found {
            Ok(i)
                if i.problems.is_empty()
                    && i.rows.len() == 1
                    && i.rows[0].table == row.table
                    && i.rows[0].id == row.key
                    && i.rows[0].problem == want =>
            {
                let kind = format!("{} {:?}", row.table, want)
                    .split([' ', '{'])
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                *named.entry(kind).or_default() += 1;
            }
            other => failures.push(format!("{what}: {other:?}")),
        }
        let _ = std::fs::remove_dir_all(&copy);
    }
    println!(
        "rows: {trials} trials, {} named exactly, {} not: {named:?}",
        trials as usize - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {trials} not named (seed {seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
