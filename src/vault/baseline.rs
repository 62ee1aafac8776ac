//! The plaintext baseline the benchmarks measure the vault against: the
//! vault's own file format (its pragmas, schema and prepared statements) with
//! each brand's and record's JSON stored as it is, unsealed. Nothing here
//! encrypts: it exists so that "how much does sealing cost" is measured
//! against the same SQLite work, not against a guess.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::model::{Brand, Record};
use crate::vault::store::{self, SealedRow, Table};

/// The stored bodies of every brand and every record, in that order.
pub type Bodies = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// A database in the vault's format holding plaintext JSON bodies.
#[derive(Debug)]
pub struct PlaintextStore {
    conn: Connection,
}

impl PlaintextStore {
    /// A new database at `path` with the vault's pragmas and schema.
    pub fn create(path: &Path) -> Result<Self> {
        let conn = store::open(path, true)?;
        store::create_schema(&conn)?;
        Ok(Self { conn })
    }

    /// Open a database made by [`PlaintextStore::create`].
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            conn: store::open(path, false)?,
        })
    }

    /// Insert brands, one statement each, outside any transaction.
    pub fn insert_brands(&self, brands: &[Brand]) -> Result<()> {
        for b in brands {
            store::insert_brand(&self.conn, &plain_row(&b.id, None, b)?)?;
        }
        Ok(())
    }

    /// Insert records in one transaction, with the statement the vault uses.
    pub fn insert_records(&self, records: &[Record]) -> Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        for r in records {
            store::insert_record(&tx, &plain_row(&r.id, r.brand.as_deref(), r)?)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every brand's and every record's stored body (JSON), as the vault
    /// reads its rows.
    pub fn read_all(&self) -> Result<Bodies> {
        let bodies = |t| -> Result<Vec<Vec<u8>>> {
            Ok(store::all_rows(&self.conn, t)?
                .into_iter()
                .map(|r| r.body)
                .collect())
        };
        Ok((bodies(Table::Brands)?, bodies(Table::Records)?))
    }
}

fn plain_row<T: serde::Serialize>(id: &str, brand: Option<&str>, value: &T) -> Result<SealedRow> {
    Ok(SealedRow {
        id: id.to_string(),
        brand_id: brand.map(str::to_string),
        version: 1,
        body: serde_json::to_vec(value).map_err(|e| Error::Database(e.to_string()))?,
    })
}
