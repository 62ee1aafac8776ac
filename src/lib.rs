//! # VRM Vault core
//!
//! A person's own vault of relationship data with companies ("brands"): brands,
//! accounts, purchases, warranties, every interaction, kept in one SQLite file
//! where every user-supplied value is sealed with AES-256-GCM.
//!
//! Where to start (ARCHITECTURE.md draws the whole map):
//! - [`vault`]: create ([`Vault::create`]), open and unlock
//!   ([`Vault::open`] → [`LockedVault::unlock`]), then brands and records;
//!   the sealed documents features keep, and the activity log
//!   ([`Vault::audit`]).
//! - The features, each a handle over an unlocked vault:
//!   [`Vault::terms`] ([`terms`]: personal terms of service and brands'
//!   answers), [`Vault::shares`] ([`share`]: records shared with a brand,
//!   revocations, exposure), [`Vault::rights`] ([`rights`]: GDPR/CCPA
//!   requests, letters, contact rules), [`Vault::intents`] ([`intent`]:
//!   intents and offers).
//! - [`model`]: what a brand and a record are, and the checks values pass;
//!   [`model::text`]: values escaped for a terminal.
//! - [`crypto`]: the key hierarchy and the sealed-value format;
//!   [`crypto::did`] signing keys (`did:key`); [`crypto::bundle`]
//!   age-encrypted share bundles exchanged with brands.
//! - [`proof`]: the signed documents (W3C Verifiable Credentials with an
//!   `eddsa-jcs-2022` proof) that leave the vault.
//! - [`transfer`]: import (JSON, CSV), export to an age file, restore.
//! - [`brandkit`]: the brand's side of every exchange.
//!
//! Every failure is an [`Error`] with a stable [`Error::code`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod brandkit;
pub mod crypto;
pub mod discover;
pub mod error;
pub mod intent;
pub mod model;
#[cfg(feature = "http")]
pub(crate) mod net;
pub mod proof;
pub mod relay;
pub mod rights;
pub mod share;
pub mod sync;
pub mod terms;
pub mod transfer;
pub mod vault;

pub use error::{Error, Result};
pub use model::{
    AgreementId, BrandId, IntentId, OfferId, RecordId, RequestId, ShareId, TermsVersionId,
};
pub use model::{Brand, BrandInput, NewRecord, Record, RecordFilter, RecordKind, RecordPatch};
pub use vault::audit::Audit;
pub use vault::brands::BrandPage;
pub use vault::features::{Discovery, Intents, Relays, Rights, Shares, Syncing, Terms};
pub use vault::health::{DamagedDocument, Health};
pub use vault::index::{Hit, SearchItem};
pub use vault::manifest::{Integrity, RowFinding, RowProblem, VaultProblem};
pub use vault::paging::BrandTimeline;
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

/// Who a `did:key` is to the person, as far as the vault knows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "is", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Signer {
    /// A brand in the vault: its `did` is this key.
    Brand {
        /// The brand's id.
        id: model::BrandId,
        /// Its name.
        name: String,
    },
    /// The person: their pairwise key for a brand.
    You {
        /// The brand the key is for.
        brand: model::BrandId,
        /// Its name.
        name: String,
    },
    /// The person: the key of one of their intents.
    YourIntent {
        /// The intent's id.
        intent: String,
    },
    /// A key the vault does not know.
    Unknown,
}

/// Who signed with `did`: a known brand, the person (a pairwise key, an
/// intent's key), or an unknown key (`vrm verify` says which).
pub fn signer_of(vault: &mut Vault, did: &str) -> Result<Signer> {
    if let Some(b) = vault
        .brands()?
        .into_iter()
        .find(|b| b.did.as_deref() == Some(did))
    {
        return Ok(Signer::Brand {
            id: b.id,
            name: b.name,
        });
    }
    if let Some(brand) = vault.pairwise_owner(did)? {
        let name = vault.brand(&brand).map(|b| b.name).unwrap_or_default();
        return Ok(Signer::You {
            brand: model::BrandId::from(brand.as_str()),
            name,
        });
    }
    if let Some(intent) = intent::intent_of_did(vault, did)? {
        return Ok(Signer::YourIntent { intent });
    }
    Ok(Signer::Unknown)
}
