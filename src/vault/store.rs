//! The SQLite file: schema, migrations and every query. Nothing here sees a
//! plaintext user value: rows hold ids, version counters and sealed bodies.

use std::borrow::Cow;
use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::error::{Error, Result};

/// Schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 4;

/// One stored row, still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    /// Row id (random UUID).
    pub id: String,
    /// Owning brand, for records.
    pub brand_id: Option<String>,
    /// Bumped on every change; bound into the associated data.
    pub version: i64,
    /// `nonce ‖ ciphertext ‖ tag`.
    pub body: Vec<u8>,
}

/// Open (or create) the database file with the pragmas the vault relies on.
pub fn open(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL for crash safety with concurrent readers; FULL so a commit that was
    // acknowledged survives power loss; secure_delete so freed cells and
    // pages are zeroed; temp data never spills to a file.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // The schema is data in the file, and whoever can write the file can
    // add to it: no function called from it, no trigger or view run (the
    // vault has none of its own), no writing to it ourselves.
    // `check_schema` then refuses a file with any object we did not make.
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
    Ok(conn)
}

/// Create the tables of a new vault.
pub fn create_schema(conn: &Connection) -> Result<()> {
    create_v1(conn)?;
    migrate(conn)
}

/// The tables of schema version 1 (the first step of every vault).
fn create_v1(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "BEGIN;
         CREATE TABLE vault_header (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             body BLOB NOT NULL,
             digest BLOB NOT NULL
         );
         CREATE TABLE brands (
             id TEXT PRIMARY KEY NOT NULL,
             version INTEGER NOT NULL,
             body BLOB NOT NULL
         );
         CREATE TABLE records (
             id TEXT PRIMARY KEY NOT NULL,
             brand_id TEXT REFERENCES brands(id),
             version INTEGER NOT NULL,
             body BLOB NOT NULL
         );
         CREATE INDEX records_by_brand ON records(brand_id);
         PRAGMA user_version = 1;
         COMMIT;",
    )?;
    Ok(())
}

/// The schema version stored in the file.
pub fn schema_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Bring an older schema up to [`SCHEMA_VERSION`]. Refuses newer ones.
pub fn migrate(conn: &Connection) -> Result<()> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Bring an older schema up to `target` (a version this build knows).
fn migrate_to(conn: &Connection, target: i64) -> Result<()> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(Error::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    // Each step runs in its own transaction that also bumps user_version,
    // so a crash between steps leaves a consistent, resumable file.
    if found < 2 && target >= 2 {
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE documents (
                 kind TEXT NOT NULL,
                 id TEXT NOT NULL,
                 brand_id TEXT REFERENCES brands(id),
                 version INTEGER NOT NULL,
                 body BLOB NOT NULL,
                 PRIMARY KEY (kind, id)
             );
             CREATE INDEX documents_by_brand ON documents(brand_id);
             CREATE TABLE audit_log (
                 seq INTEGER PRIMARY KEY NOT NULL,
                 body BLOB NOT NULL
             );
             PRAGMA user_version = 2;
             COMMIT;",
        )?;
    }
    if found < 3 && target >= 3 {
        // The sealed manifest (`vault/manifest.rs`): its root, and the log
        // of what each transaction changed since its last snapshot.
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE manifest_root (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 body BLOB NOT NULL
             );
             CREATE TABLE manifest_log (
                 seq INTEGER PRIMARY KEY NOT NULL,
                 body BLOB NOT NULL
             );
             PRAGMA user_version = 3;
             COMMIT;",
        )?;
    }
    if found < 4 && target >= 4 {
        // Sync's state of each row it has seen (`vault/sync_rows.rs`): the
        // clock of each of its fields, sealed. `version` counts the state's
        // own writes (what the manifest follows); `row_version` is the
        // version of the row it describes, 0 once the row was deleted.
        conn.execute_batch(
            "BEGIN;
             CREATE TABLE sync_rows (
                 tbl TEXT NOT NULL,
                 key TEXT NOT NULL,
                 version INTEGER NOT NULL,
                 row_version INTEGER NOT NULL,
                 body BLOB NOT NULL,
                 PRIMARY KEY (tbl, key)
             );
             -- What a full comparison reads of sync's states, without
             -- their bodies.
             CREATE INDEX sync_rows_versions ON sync_rows(tbl, key, row_version);
             PRAGMA user_version = 4;
             COMMIT;",
        )?;
    }
    Ok(())
}

/// One object of the schema as `sqlite_master` lists it: type, name, the
/// table it belongs to, and the SQL that made it (none for the indexes
/// SQLite makes itself).
type SchemaObject = (String, String, String, Option<String>);

fn schema_objects(conn: &Connection) -> Result<Vec<SchemaObject>> {
    let mut rows = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master")?
        .query_map([], |r| {
            let sql = match r.get_ref(3)? {
                ValueRef::Null => None,
                _ => Some(text_col(r, 3)?),
            };
            Ok((text_col(r, 0)?, text_col(r, 1)?, text_col(r, 2)?, sql))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.sort();
    Ok(rows)
}

/// The schema objects of `version`, exactly as [`create_schema`] and
/// [`migrate`] make them: made again in memory, so there is one source.
fn expected_objects(version: i64) -> Result<Vec<SchemaObject>> {
    let conn = Connection::open_in_memory()?;
    create_v1(&conn)?;
    migrate_to(&conn, version)?;
    schema_objects(&conn)
}

/// Check that the file holds exactly the schema objects of its `version`:
/// every table, index, trigger and view in `sqlite_master`, with the SQL
/// that made it. The schema is text in the file, and whoever can write the
/// file can add to it: a trigger that puts a deleted row back, or undoes a
/// revocation, would run inside our own statements. Anything unexpected
/// (or missing, or changed) is damage, said at open, before any write.
pub fn check_schema(conn: &Connection, version: i64) -> Result<()> {
    let damaged = |what: String| Error::Damaged(format!("in its schema, {what}"));
    let found = schema_objects(conn)?;
    let expected = expected_objects(version)?;
    let describe = |o: &SchemaObject| {
        if o.0 == o.2 || o.1 == o.2 {
            format!("{} {}", o.0, o.1)
        } else {
            format!("{} {} on {}", o.0, o.1, o.2)
        }
    };
    for o in &found {
        match expected.iter().find(|e| e.0 == o.0 && e.1 == o.1) {
            None => return Err(damaged(format!("an unexpected {}", describe(o)))),
            Some(e) if e != o => return Err(damaged(format!("the {} was changed", describe(o)))),
            Some(_) => {}
        }
    }
    if let Some(missing) = expected.iter().find(|e| !found.contains(e)) {
        return Err(damaged(format!(
            "the {} is missing (schema version {version})",
            describe(missing)
        )));
    }
    Ok(())
}

/// The vault header: its body and the SHA-256 digest stored beside it.
pub fn read_header(conn: &Connection) -> Result<(Vec<u8>, Vec<u8>)> {
    conn.query_row(
        "SELECT body, digest FROM vault_header WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(|e| match Error::from(e) {
        Error::Database(_) => Error::Damaged("the vault header cannot be read".into()),
        other => other,
    })?
    .ok_or_else(|| Error::Damaged("the vault header is missing".into()))
}

/// Write (or replace) the vault header.
pub fn write_header(conn: &Connection, body: &[u8], digest: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT INTO vault_header (id, body, digest) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET body = excluded.body, digest = excluded.digest",
        params![body, digest],
    )?;
    Ok(())
}

/// The two tables that hold sealed rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `brands`
    Brands,
    /// `records`
    Records,
}

impl Table {
    /// The table's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Brands => "brands",
            Table::Records => "records",
        }
    }
}

// Column readers for rows of a file that may be damaged. A column that
// does not hold what we wrote (bytes that are not UTF-8, another type after
// a flipped type byte) reads as a value that cannot authenticate, so the row
// is reported as damaged like any other, instead of failing the whole read.

fn text_col(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(match r.get_ref(i)? {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Null => String::new(),
    })
}

fn opt_text_col(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    match r.get_ref(i)? {
        ValueRef::Null => Ok(None),
        _ => text_col(r, i).map(Some),
    }
}

/// An integer column (versions start at 1, so -1 never authenticates).
fn version_col(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<i64> {
    Ok(match r.get_ref(i)? {
        ValueRef::Integer(n) => n,
        _ => -1,
    })
}

fn blob_col(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        _ => Vec::new(),
    })
}

fn row_from(r: &rusqlite::Row<'_>, table: Table) -> rusqlite::Result<SealedRow> {
    Ok(match table {
        Table::Brands => SealedRow {
            id: text_col(r, 0)?,
            brand_id: None,
            version: version_col(r, 1)?,
            body: blob_col(r, 2)?,
        },
        Table::Records => SealedRow {
            id: text_col(r, 0)?,
            brand_id: opt_text_col(r, 1)?,
            version: version_col(r, 2)?,
            body: blob_col(r, 3)?,
        },
    })
}

fn select_sql(table: Table) -> &'static str {
    match table {
        Table::Brands => "SELECT id, version, body FROM brands",
        Table::Records => "SELECT id, brand_id, version, body FROM records",
    }
}

/// Check that a read of every row of `table` (matching `filter`, with
/// `params`) got what the table and its primary-key index both hold: as
/// many rows, no key twice. Damage to a page's structure (a cell pointer, a
/// cell count) can make SQLite skip or repeat a row without noticing; that
/// must read as damage, not as a row silently gone. Both counts walk pages
/// that the read just loaded.
fn check_complete<'k>(
    conn: &Connection,
    table: &str,
    filter: &str,
    params: &[&str],
    keys: impl ExactSizeIterator<Item = (&'k str, &'k str)>,
) -> Result<()> {
    let read = keys.len();
    let distinct = keys.collect::<std::collections::HashSet<_>>().len();
    check_counts(conn, table, filter, params, read, distinct)
}

/// [`check_complete`] once the rows read and their distinct keys are counted.
fn check_counts(
    conn: &Connection,
    table: &str,
    filter: &str,
    params: &[&str],
    read: usize,
    distinct: usize,
) -> Result<()> {
    let count = |how: &str| -> Result<usize> {
        let sql = format!("SELECT count(*) FROM {table} {how} WHERE {filter}");
        let n: i64 = conn.query_row(&sql, rusqlite::params_from_iter(params), |r| r.get(0))?;
        Ok(n as usize)
    };
    let in_table = count("NOT INDEXED")?;
    let in_index = count(&format!("INDEXED BY sqlite_autoindex_{table}_1"))?;
    if distinct != read || in_table != read || in_index != read {
        return Err(Error::Damaged(format!(
            "the {table} table's structure is damaged: {read} rows read ({distinct} distinct), \
             {in_table} in the table, {in_index} in its index"
        )));
    }
    Ok(())
}

/// Every row of a table.
pub fn all_rows(conn: &Connection, table: Table) -> Result<Vec<SealedRow>> {
    let mut stmt = conn.prepare_cached(select_sql(table))?;
    let rows = stmt
        .query_map([], |r| row_from(r, table))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    check_complete(
        conn,
        table.name(),
        "id >= ''",
        &[],
        rows.iter().map(|r| (r.id.as_str(), "")),
    )?;
    Ok(rows)
}

/// A row as SQLite hands it out, borrowed: nothing is copied unless a
/// damaged file put bytes that are not UTF-8 where an id belongs.
#[derive(Debug, Clone)]
pub struct RowRef<'a> {
    /// Row id.
    pub id: Cow<'a, str>,
    /// Owning brand, for records.
    pub brand_id: Option<Cow<'a, str>>,
    /// Version, bound into the associated data.
    pub version: i64,
    /// `nonce ‖ ciphertext ‖ tag`.
    pub body: &'a [u8],
}

// Borrowing twins of the column readers above: what was not written by us
// reads as a value that cannot authenticate.
fn text_ref<'a>(v: ValueRef<'a>) -> Cow<'a, str> {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t),
        ValueRef::Integer(n) => Cow::Owned(n.to_string()),
        ValueRef::Real(f) => Cow::Owned(f.to_string()),
        ValueRef::Null => Cow::Borrowed(""),
    }
}

fn blob_ref(v: ValueRef<'_>) -> &[u8] {
    match v {
        ValueRef::Blob(b) | ValueRef::Text(b) => b,
        _ => &[],
    }
}

/// Call `f` on every row of a table, in turn, without collecting them; then
/// check the read was complete (see [`check_complete`]).
pub fn for_each_row(
    conn: &Connection,
    table: Table,
    mut f: impl FnMut(&RowRef<'_>) -> Result<()>,
) -> Result<()> {
    use std::hash::{BuildHasher, RandomState};
    let mut stmt = conn.prepare_cached(select_sql(table))?;
    let mut rows = stmt.query([])?;
    // Hashes, not copies, of the ids seen: 64-bit keyed hashes of 100k ids
    // do not collide in practice, and a collision would only report damage.
    let hasher = RandomState::new();
    let mut seen = std::collections::HashSet::new();
    let mut read = 0;
    while let Some(r) = rows.next()? {
        let version = |i: usize| -> rusqlite::Result<i64> {
            Ok(match r.get_ref(i)? {
                ValueRef::Integer(n) => n,
                _ => -1,
            })
        };
        let row = match table {
            Table::Brands => RowRef {
                id: text_ref(r.get_ref(0)?),
                brand_id: None,
                version: version(1)?,
                body: blob_ref(r.get_ref(2)?),
            },
            Table::Records => RowRef {
                id: text_ref(r.get_ref(0)?),
                brand_id: match r.get_ref(1)? {
                    ValueRef::Null => None,
                    v => Some(text_ref(v)),
                },
                version: version(2)?,
                body: blob_ref(r.get_ref(3)?),
            },
        };
        read += 1;
        seen.insert(hasher.hash_one(row.id.as_bytes()));
        f(&row)?;
    }
    check_counts(conn, table.name(), "id >= ''", &[], read, seen.len())
}

/// One row by exact id.
pub fn row(conn: &Connection, table: Table, id: &str) -> Result<Option<SealedRow>> {
    let sql = format!("{} WHERE id = ?1", select_sql(table));
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_row([id], |r| row_from(r, table)).optional()?)
}

/// Ids starting with `prefix` (at most `limit`). The caller checks that the
/// prefix holds only id characters, so `LIKE` wildcards cannot appear.
pub fn ids_with_prefix(
    conn: &Connection,
    table: Table,
    prefix: &str,
    limit: usize,
) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT id FROM {} WHERE id >= ?1 AND id < ?1 || '~' ORDER BY id LIMIT ?2",
        table.name()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = stmt
        .query_map(params![prefix, limit as i64], |r| text_col(r, 0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// Insert a new brand row.
pub fn insert_brand(conn: &Connection, row: &SealedRow) -> Result<()> {
    conn.prepare_cached("INSERT INTO brands (id, version, body) VALUES (?1, ?2, ?3)")?
        .execute(params![row.id, row.version, row.body])?;
    Ok(())
}

/// Insert a new record row.
pub fn insert_record(conn: &Connection, row: &SealedRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO records (id, brand_id, version, body) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![row.id, row.brand_id, row.version, row.body])?;
    Ok(())
}

/// Replace a row's sealed body, only if it is still at `expected_version`
/// (so two writers cannot silently overwrite each other).
pub fn update_row(
    conn: &Connection,
    table: Table,
    row: &SealedRow,
    expected_version: i64,
) -> Result<()> {
    let changed = match table {
        Table::Brands => conn
            .prepare_cached("UPDATE brands SET version = ?2, body = ?3 WHERE id = ?1 AND version = ?4")?
            .execute(params![row.id, row.version, row.body, expected_version])?,
        Table::Records => conn
            .prepare_cached(
                "UPDATE records SET brand_id = ?2, version = ?3, body = ?4 WHERE id = ?1 AND version = ?5",
            )?
            .execute(params![row.id, row.brand_id, row.version, row.body, expected_version])?,
    };
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Database(format!(
            "{} {} changed underneath us (another process edited it); reload and try again",
            table.name(),
            row.id
        )))
    }
}

/// Delete one row; true if it existed.
pub fn delete_row(conn: &Connection, table: Table, id: &str) -> Result<bool> {
    let sql = format!("DELETE FROM {} WHERE id = ?1", table.name());
    Ok(conn.prepare_cached(&sql)?.execute([id])? == 1)
}

/// Ids of the records of one brand.
pub fn record_ids_of_brand(conn: &Connection, brand_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM records WHERE brand_id = ?1")?;
    let ids = stmt
        .query_map([brand_id], |r| text_col(r, 0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// Delete every record of a brand; returns how many.
pub fn delete_records_of_brand(conn: &Connection, brand_id: &str) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM records WHERE brand_id = ?1")?
        .execute([brand_id])?)
}

/// Row counts (brands, records).
pub fn counts(conn: &Connection) -> Result<(usize, usize)> {
    let b: i64 = conn.query_row("SELECT count(*) FROM brands", [], |r| r.get(0))?;
    let r: i64 = conn.query_row("SELECT count(*) FROM records", [], |r| r.get(0))?;
    Ok((b as usize, r as usize))
}

/// One sealed row of the `documents` table (terms, shares, identities…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRow {
    /// Row id.
    pub id: String,
    /// What the row holds (`terms`, `share`, …); bound into the associated data.
    pub kind: String,
    /// The brand it belongs to, so deleting a brand deletes it too.
    pub brand_id: Option<String>,
    /// Bumped on every change; bound into the associated data.
    pub version: i64,
    /// `nonce ‖ ciphertext ‖ tag`.
    pub body: Vec<u8>,
}

fn doc_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocRow> {
    Ok(DocRow {
        id: text_col(r, 0)?,
        kind: text_col(r, 1)?,
        brand_id: opt_text_col(r, 2)?,
        version: version_col(r, 3)?,
        body: blob_col(r, 4)?,
    })
}

/// Every document of one kind.
pub fn docs_of_kind(conn: &Connection, kind: &str) -> Result<Vec<DocRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, brand_id, version, body FROM documents WHERE kind = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([kind], doc_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    check_complete(
        conn,
        "documents",
        "kind = ?1",
        &[kind],
        rows.iter().map(|r| (r.kind.as_str(), r.id.as_str())),
    )?;
    Ok(rows)
}

/// Every document, of every kind.
pub fn all_docs(conn: &Connection) -> Result<Vec<DocRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, brand_id, version, body FROM documents ORDER BY kind, id",
    )?;
    let rows = stmt
        .query_map([], doc_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    check_complete(
        conn,
        "documents",
        "kind >= ''",
        &[],
        rows.iter().map(|r| (r.kind.as_str(), r.id.as_str())),
    )?;
    Ok(rows)
}

/// One document by exact id and kind.
pub fn doc(conn: &Connection, kind: &str, id: &str) -> Result<Option<DocRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, brand_id, version, body FROM documents WHERE kind = ?1 AND id = ?2",
    )?;
    Ok(stmt.query_row([kind, id], doc_from).optional()?)
}

/// Every id of one kind (nothing is opened: the ids are not secret).
pub fn doc_ids_of_kind(conn: &Connection, kind: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM documents WHERE kind = ?1 ORDER BY id")?;
    let ids = stmt
        .query_map([kind], |r| text_col(r, 0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// Ids of one kind starting with `prefix` (at most `limit`); the caller
/// checks that the prefix holds only id characters.
pub fn doc_ids_with_prefix(
    conn: &Connection,
    kind: &str,
    prefix: &str,
    limit: usize,
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM documents WHERE kind = ?1 AND id >= ?2 AND id < ?2 || '~' ORDER BY id LIMIT ?3",
    )?;
    let ids = stmt
        .query_map(params![kind, prefix, limit as i64], |r| text_col(r, 0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(ids)
}

/// Insert a new document row.
pub fn insert_doc(conn: &Connection, row: &DocRow) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO documents (id, kind, brand_id, version, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        row.id,
        row.kind,
        row.brand_id,
        row.version,
        row.body
    ])?;
    Ok(())
}

/// Replace a document's body if it is still at `expected_version`.
pub fn update_doc(conn: &Connection, row: &DocRow, expected_version: i64) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE documents SET version = ?3, body = ?4 WHERE kind = ?1 AND id = ?2 AND version = ?5",
        )?
        .execute(params![row.kind, row.id, row.version, row.body, expected_version])?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::Database(format!(
            "{} {} changed underneath us (another process edited it); reload and try again",
            row.kind, row.id
        )))
    }
}

/// Delete one document; true if it existed.
pub fn delete_doc(conn: &Connection, kind: &str, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM documents WHERE kind = ?1 AND id = ?2")?
        .execute([kind, id])?
        == 1)
}

/// Delete every document of a brand; returns how many.
pub fn delete_docs_of_brand(conn: &Connection, brand_id: &str) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM documents WHERE brand_id = ?1")?
        .execute([brand_id])?)
}

/// Append one sealed activity-log entry.
pub fn insert_audit(conn: &Connection, seq: i64, body: &[u8]) -> Result<()> {
    conn.prepare_cached("INSERT INTO audit_log (seq, body) VALUES (?1, ?2)")?
        .execute(params![seq, body])?;
    Ok(())
}

/// Empty the activity log (only to restore a backup's log in its place).
pub fn clear_audit(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM audit_log", [])?;
    Ok(())
}

/// Every activity-log entry, oldest first.
pub fn audit_rows(conn: &Connection) -> Result<Vec<(i64, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached("SELECT seq, body FROM audit_log ORDER BY seq")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, blob_col(r, 1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

// ---- every sealed row, for a rekey (vault/rekey.rs) ----------------------

/// One sealed row of any table, by its rowid, with what its associated
/// data binds.
#[derive(Debug)]
pub struct AnyRow {
    /// SQLite's rowid (for the update).
    pub rowid: i64,
    /// A document's kind; empty elsewhere.
    pub kind: String,
    /// Its id (an activity-log entry's sequence number).
    pub id: String,
    /// Its version (1 for an activity-log entry).
    pub version: i64,
    /// Its brand, for records and documents.
    pub brand_id: Option<String>,
    /// For a sync state, the version of the row it describes; 0 elsewhere.
    pub row_version: i64,
    /// `nonce ‖ ciphertext ‖ tag`.
    pub body: Vec<u8>,
}

/// The tables of sealed rows, each with the columns its rows bind.
pub const SEALED_TABLES: [&str; 5] = ["brands", "records", "documents", "audit_log", "sync_rows"];

/// Up to `limit` rows of `table` (one of [`SEALED_TABLES`]) after `rowid`,
/// in rowid order.
pub fn sealed_rows_after(
    conn: &Connection,
    table: &str,
    rowid: i64,
    limit: usize,
) -> Result<Vec<AnyRow>> {
    let sql = match table {
        "brands" => {
            "SELECT rowid, '', id, version, NULL, body, 0 FROM brands \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        "records" => {
            "SELECT rowid, '', id, version, brand_id, body, 0 FROM records \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        "documents" => {
            "SELECT rowid, kind, id, version, brand_id, body, 0 FROM documents \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        "audit_log" => {
            "SELECT rowid, '', seq, 1, NULL, body, 0 FROM audit_log \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        "sync_rows" => {
            "SELECT rowid, tbl, key, version, NULL, body, row_version FROM sync_rows \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        other => return Err(Error::Database(format!("no sealed table {other}"))),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params![rowid, limit as i64], |r| {
            Ok(AnyRow {
                rowid: r.get(0)?,
                kind: text_col(r, 1)?,
                id: text_col(r, 2)?,
                version: version_col(r, 3)?,
                brand_id: opt_text_col(r, 4)?,
                body: blob_col(r, 5)?,
                row_version: version_col(r, 6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Replace one row's sealed body (same version: a rekey).
pub fn set_body(conn: &Connection, table: &str, rowid: i64, body: &[u8]) -> Result<()> {
    if !SEALED_TABLES.contains(&table) {
        return Err(Error::Database(format!("no sealed table {table}")));
    }
    conn.prepare_cached(&format!("UPDATE {table} SET body = ?1 WHERE rowid = ?2"))?
        .execute(params![body, rowid])?;
    Ok(())
}

// ---- the sealed manifest (vault/manifest.rs) ------------------------------

/// The manifest's sealed root, if there is one.
pub fn manifest_root(conn: &Connection) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT body FROM manifest_root WHERE id = 1", [], |r| {
            blob_col(r, 0)
        })
        .optional()?)
}

/// Write (or replace) the manifest's root.
pub fn write_manifest_root(conn: &Connection, body: &[u8]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO manifest_root (id, body) VALUES (1, ?1)
         ON CONFLICT(id) DO UPDATE SET body = excluded.body",
    )?
    .execute([body])?;
    Ok(())
}

/// Append one sealed entry to the manifest's log.
pub fn insert_manifest_entry(conn: &Connection, seq: u64, body: &[u8]) -> Result<()> {
    conn.prepare_cached("INSERT INTO manifest_log (seq, body) VALUES (?1, ?2)")?
        .execute(params![seq as i64, body])?;
    Ok(())
}

/// Remove the log's entries before `seq` (folded into a snapshot).
pub fn delete_manifest_before(conn: &Connection, seq: u64) -> Result<()> {
    conn.prepare_cached("DELETE FROM manifest_log WHERE seq < ?1")?
        .execute([seq as i64])?;
    Ok(())
}

/// The log's entries after `seq`, oldest first, each handed to `each`.
pub fn for_each_manifest_entry_after(
    conn: &Connection,
    seq: u64,
    mut each: impl FnMut(i64, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("SELECT seq, body FROM manifest_log WHERE seq > ?1 ORDER BY seq")?;
    let mut rows = stmt.query([seq as i64])?;
    while let Some(r) = rows.next()? {
        let seq = version_col(r, 0)?;
        each(seq, blob_ref(r.get_ref(1)?))?;
    }
    Ok(())
}

/// The log's entries, oldest first, each handed to `each` as read.
pub fn for_each_manifest_entry(
    conn: &Connection,
    mut each: impl FnMut(i64, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached("SELECT seq, body FROM manifest_log ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let seq = version_col(r, 0)?;
        each(seq, blob_ref(r.get_ref(1)?))?;
    }
    Ok(())
}

/// The log's lowest and highest sequence numbers and its number of entries.
pub fn manifest_range(conn: &Connection) -> Result<(Option<i64>, Option<i64>, i64)> {
    Ok(conn.query_row(
        "SELECT min(seq), max(seq), count(*) FROM manifest_log",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// Every row's key and version, as stored, of the tables the manifest
/// covers: `(table, key, version)` with a document's key `kind\0id` and an
/// activity-log entry's its sequence number (version 1).
pub fn row_versions(conn: &Connection, mut each: impl FnMut(&str, String, i64)) -> Result<()> {
    for (table, sql) in [
        ("brands", "SELECT id, version FROM brands"),
        ("records", "SELECT id, version FROM records"),
        (
            "documents",
            "SELECT kind || char(0) || id, version FROM documents",
        ),
        ("audit_log", "SELECT seq, 1 FROM audit_log"),
        (
            "sync_rows",
            "SELECT tbl || char(0) || key, version FROM sync_rows",
        ),
    ] {
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(table, text_col(r, 0)?, version_col(r, 1)?);
        }
    }
    Ok(())
}

/// SQLite's count of commits by *other* connections (other processes: the
/// app, another `vrm`) since this one opened: when it changes, what the
/// vault decrypted and cached may be stale.
pub fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
}

/// Begin a write transaction that takes the write lock at once (waiting up
/// to the busy timeout for another writer), so what it reads cannot change
/// before it writes. A deferred transaction that reads first fails with
/// "database is locked" when another process commits in between.
pub fn write_tx(conn: &Connection) -> Result<rusqlite::Transaction<'_>> {
    Ok(rusqlite::Transaction::new_unchecked(
        conn,
        rusqlite::TransactionBehavior::Immediate,
    )?)
}

/// Copy the WAL into the main file and truncate the WAL to zero bytes, so
/// old page images (and the ciphertext of deleted rows) leave the WAL.
/// Returns false when another connection's open read kept it from finishing
/// (after the busy timeout): the old pages are then still in the WAL.
pub fn checkpoint_truncate(conn: &Connection) -> Result<bool> {
    let (busy, _, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    Ok(busy == 0)
}

/// SQLite's own structural check (`PRAGMA quick_check`).
pub fn quick_check(conn: &Connection) -> Result<()> {
    let result: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(Error::Damaged(format!(
            "SQLite integrity check failed: {result}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_lookup_finds_only_matching_ids() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), true).unwrap();
        create_schema(&conn).unwrap();
        for id in ["abc1", "abc2", "abd0"] {
            insert_brand(
                &conn,
                &SealedRow {
                    id: id.into(),
                    brand_id: None,
                    version: 1,
                    body: vec![1],
                },
            )
            .unwrap();
        }
        assert_eq!(
            ids_with_prefix(&conn, Table::Brands, "abc", 10).unwrap(),
            vec!["abc1", "abc2"]
        );
        assert_eq!(
            ids_with_prefix(&conn, Table::Brands, "abd", 10).unwrap(),
            vec!["abd0"]
        );
    }

    #[test]
    fn update_refuses_a_stale_version() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), true).unwrap();
        create_schema(&conn).unwrap();
        let mut row = SealedRow {
            id: "a".into(),
            brand_id: None,
            version: 1,
            body: vec![1],
        };
        insert_brand(&conn, &row).unwrap();
        row.version = 2;
        update_row(&conn, Table::Brands, &row, 1).unwrap();
        row.version = 3;
        assert!(update_row(&conn, Table::Brands, &row, 1).is_err());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), true).unwrap();
        create_schema(&conn).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            migrate(&conn),
            Err(Error::NewerSchema { found: 99, .. })
        ));
    }
}

// ---- sync's state of each row (vault/sync_rows.rs) ------------------------

/// One row sync has to look at: its table, key (a document's `kind\0id`),
/// its version now (0: gone) and the version sync last saw (`None`: never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCandidate {
    /// `brands`, `records` or `documents`.
    pub table: String,
    /// The row's key.
    pub key: String,
    /// Its version now, 0 once deleted.
    pub version: i64,
    /// The version sync's state describes, if it has one.
    pub seen: Option<i64>,
}

/// Every row whose version differs from the one sync last saw: new rows,
/// edited rows, and rows deleted since (a state whose row is gone).
/// Reads keys and versions only. Documents whose kind begins with `sync.`
/// are this device's own and not listed, nor is the head of its activity
/// log (each device keeps its own log).
pub fn sync_candidates(conn: &Connection) -> Result<Vec<SyncCandidate>> {
    let sql = "
        SELECT 'brands', b.id, b.version, s.row_version FROM brands b
          LEFT JOIN sync_rows s INDEXED BY sync_rows_versions ON s.tbl = 'brands' AND s.key = b.id
         WHERE s.row_version IS NOT b.version
        UNION ALL
        SELECT 'records', r.id, r.version, s.row_version FROM records r
          LEFT JOIN sync_rows s INDEXED BY sync_rows_versions ON s.tbl = 'records' AND s.key = r.id
         WHERE s.row_version IS NOT r.version
        UNION ALL
        SELECT 'documents', d.kind || char(0) || d.id, d.version, s.row_version FROM documents d
          LEFT JOIN sync_rows s INDEXED BY sync_rows_versions
            ON s.tbl = 'documents' AND s.key = d.kind || char(0) || d.id
         WHERE s.row_version IS NOT d.version AND substr(d.kind, 1, 5) != 'sync.'
           AND d.kind != 'audit-head'
        UNION ALL
        SELECT s.tbl, s.key, 0, s.row_version FROM sync_rows s
         WHERE s.row_version != 0 AND CASE s.tbl
           WHEN 'brands' THEN NOT EXISTS (SELECT 1 FROM brands WHERE id = s.key)
           WHEN 'records' THEN NOT EXISTS (SELECT 1 FROM records WHERE id = s.key)
           ELSE 0 END";
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(SyncCandidate {
                table: text_col(r, 0)?,
                key: text_col(r, 1)?,
                version: version_col(r, 2)?,
                seen: match r.get_ref(3)? {
                    ValueRef::Null => None,
                    _ => Some(version_col(r, 3)?),
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Documents deleted since: their key is `kind\0id`, which SQLite's
    // text functions cannot split (they stop at the NUL), so the two sets
    // of keys are compared here.
    let mut rows = rows;
    let mut live = std::collections::HashSet::new();
    let mut stmt = conn.prepare_cached("SELECT kind || char(0) || id FROM documents")?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        live.insert(text_col(r, 0)?);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT key, row_version FROM sync_rows WHERE tbl = 'documents' AND row_version != 0",
    )?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        let key = text_col(r, 0)?;
        if !live.contains(&key) {
            rows.push(SyncCandidate {
                table: "documents".into(),
                key,
                version: 0,
                seen: Some(version_col(r, 1)?),
            });
        }
    }
    Ok(rows)
}

/// A consistent, compact copy of the database into a new file at `path`.
pub fn vacuum_into(conn: &Connection, path: &Path) -> Result<()> {
    let path = path
        .to_str()
        .ok_or_else(|| Error::Database("a path that is not UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [path])?;
    Ok(())
}

/// The table and key of every row sync keeps a state of.
pub fn sync_row_keys(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT tbl, key FROM sync_rows ORDER BY tbl, key")?;
    let rows = stmt
        .query_map([], |r| Ok((text_col(r, 0)?, text_col(r, 1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Sync's sealed state of one row: `(version, row_version, body)`.
pub fn sync_row(conn: &Connection, table: &str, key: &str) -> Result<Option<(i64, i64, Vec<u8>)>> {
    Ok(conn
        .prepare_cached(
            "SELECT version, row_version, body FROM sync_rows WHERE tbl = ?1 AND key = ?2",
        )?
        .query_row([table, key], |r| {
            Ok((version_col(r, 0)?, version_col(r, 1)?, blob_col(r, 2)?))
        })
        .optional()?)
}

/// Write sync's state of one row at `version` (the state's previous
/// version + 1, or 1).
pub fn put_sync_row(
    conn: &Connection,
    table: &str,
    key: &str,
    version: i64,
    row_version: i64,
    body: &[u8],
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_rows (tbl, key, version, row_version, body) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(tbl, key) DO UPDATE SET version = excluded.version,
             row_version = excluded.row_version, body = excluded.body",
    )?
    .execute(params![table, key, version, row_version, body])?;
    Ok(())
}
