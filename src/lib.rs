//! # VRM Vault core
//!
//! A person's own vault of relationship data with companies ("brands"): brands,
//! accounts, purchases, warranties, every interaction, kept in one SQLite file
//! where every user-supplied value is sealed with AES-256-GCM.
//!
//! Where to start:
//! - [`vault`]: create ([`Vault::create`]), open and unlock
//!   ([`Vault::open`] → [`LockedVault::unlock`]), then brands and records.
//! - [`model`]: what a brand and a record are, and the checks values pass.
//! - [`transfer`]: import (JSON, CSV), export to an age file, restore.
//! - [`bundle`]: age-encrypted share bundles exchanged with brands.
//! - [`crypto`]: the key hierarchy and the sealed-value format.
//! - [`store`]: the only place with SQL.
//! - [`did`] and [`proof`]: signing keys (`did:key`) and the signed documents
//!   (W3C Verifiable Credentials with an `eddsa-jcs-2022` proof) that leave
//!   the vault.
//! - [`terms`], [`contact`], [`rights`]: personal terms of service, the
//!   contact rules in them, and GDPR/CCPA data-rights requests (pure logic).
//! - [`text`]: values escaped for a terminal; the characters names refuse.
//!
//! Every failure is an [`Error`] with a stable [`Error::code`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod agreement;
pub mod audit;
pub mod brandkit;
pub mod bundle;
pub mod clauses;
pub mod contact;
pub mod crypto;
pub mod did;
pub mod error;
pub mod identity;
pub mod intent;
pub mod model;
pub mod proof;
pub mod requests;
pub mod rights;
pub mod search;
pub mod session;
pub mod settings;
pub mod share;
pub mod store;
pub mod terms;
pub mod text;
pub mod transfer;
pub mod vault;

pub use error::{Error, Result};
pub use model::{Brand, BrandInput, NewRecord, Record, RecordFilter, RecordKind, RecordPatch};
pub use vault::{BrandPage, Hit, LockedVault, SearchItem, Vault};
