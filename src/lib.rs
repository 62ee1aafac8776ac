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

pub mod brandkit;
pub mod crypto;
pub mod error;
pub mod intent;
pub mod model;
pub mod proof;
pub mod rights;
pub mod share;
pub mod terms;
pub mod transfer;
pub mod vault;

pub use error::{Error, Result};
pub use model::{Brand, BrandInput, NewRecord, Record, RecordFilter, RecordKind, RecordPatch};
pub use vault::audit::Audit;
pub use vault::brands::BrandPage;
pub use vault::features::{Intents, Rights, Shares, Terms};
pub use vault::index::{Hit, SearchItem};
pub use vault::{LockedVault, Vault};

/// Delete a brand with everything the vault holds of it, in one transaction:
/// its records; the documents filed under it (its pairwise keys, terms issued
/// to it, shares, its answers, requests to it); and its id and name in the
/// person's own intents, which stay. Neither the plaintext nor the ciphertext
/// of what was deleted remains in any file of the vault. Returns the number
/// of records deleted with it.
///
/// This is where features take part in a brand's deletion (see
/// `Vault::delete_brand_with`): the base never calls into a feature.
pub fn delete_brand(vault: &mut Vault, id_or_name: &str) -> Result<usize> {
    vault.delete_brand_with(id_or_name, &[intent::forget_brand])
}
