//! The person's keys, kept sealed in the vault.
//!
//! Each brand relationship gets its own pairwise Ed25519 signing key (its own
//! `did:key`), created the first time something is signed for that brand, so
//! brands cannot join what they hold about the person by a shared
//! identifier. Encryption is separate: one age X25519 identity of the
//! person's own, to which every share bundle is also encrypted so the person
//! can always read what they sent. Signing keys are never derived from
//! encryption keys or the other way round.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::bundle::AgeIdentity;
use crate::crypto::did::SigningKey;
use crate::error::{Error, Result};
use crate::vault::Vault;
use crate::vault::store;

const KIND: &str = "identity";
const PERSON_AGE_ID: &str = "person-age";

/// A stored key: only ever held sealed, and zeroized when dropped.
#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct StoredKey {
    /// `did:key` (signing) or `age1…` (encryption): public, for listing.
    public: String,
    /// The Ed25519 seed (hex) or the `AGE-SECRET-KEY-1…` line.
    secret: String,
    #[zeroize(skip)]
    created_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoredKey({})", self.public)
    }
}

fn pairwise_id(brand_id: &str) -> String {
    format!("pairwise:{brand_id}")
}

impl Vault {
    /// The person's pairwise signing key for one brand, created on first use
    /// inside the caller's transaction.
    pub(crate) fn pairwise_key(&self, conn: &Connection, brand_id: &str) -> Result<SigningKey> {
        let id = pairwise_id(brand_id);
        if let Some(row) = store::doc(conn, KIND, &id)? {
            let stored: StoredKey = self.open_doc(&row)?;
            let seed = data_encoding::HEXLOWER
                .decode(stored.secret.as_bytes())
                .map_err(|_| Error::Damaged("a stored signing key is malformed".into()))?;
            let seed = Zeroizing::new(seed);
            let seed: &[u8; 32] = seed
                .as_slice()
                .try_into()
                .map_err(|_| Error::Damaged("a stored signing key is malformed".into()))?;
            return Ok(SigningKey::from_seed(seed));
        }
        let key = SigningKey::generate()?;
        let stored = StoredKey {
            public: key.did(),
            secret: data_encoding::HEXLOWER.encode(key.seed()),
            created_at: Utc::now(),
        };
        self.insert_doc(conn, KIND, &id, Some(brand_id), &stored)?;
        Ok(key)
    }

    /// The person's `did:key` for a brand, if one was made yet.
    pub fn pairwise_did(&self, brand_id: &str) -> Result<Option<String>> {
        match store::doc(self.conn(), KIND, &pairwise_id(brand_id))? {
            Some(row) => Ok(Some(self.open_doc::<StoredKey>(&row)?.public.clone())),
            None => Ok(None),
        }
    }

    /// The brand whose pairwise key of the person's is `did`, if any.
    pub(crate) fn pairwise_owner(&self, did: &str) -> Result<Option<String>> {
        for row in store::docs_of_kind(self.conn(), KIND)? {
            if !row.id.starts_with("pairwise:") {
                continue;
            }
            if let Ok(stored) = self.open_doc::<StoredKey>(&row)
                && stored.public == did
            {
                return Ok(row.brand_id.clone());
            }
        }
        Ok(None)
    }

    /// The person's own age identity (created on first use), to which every
    /// bundle is also encrypted.
    pub(crate) fn person_age_identity(&self, conn: &Connection) -> Result<AgeIdentity> {
        if let Some(row) = store::doc(conn, KIND, PERSON_AGE_ID)? {
            let stored: StoredKey = self.open_doc(&row)?;
            return AgeIdentity::parse(&stored.secret);
        }
        let identity = AgeIdentity::generate();
        let secret = identity.to_secret_string();
        let stored = StoredKey {
            public: identity.recipient(),
            secret: secret.expose_secret().to_string(),
            created_at: Utc::now(),
        };
        self.insert_doc(conn, KIND, PERSON_AGE_ID, None, &stored)?;
        Ok(identity)
    }

    /// The person's own `age1…` recipient.
    pub fn person_recipient(&mut self) -> Result<String> {
        let tx = self.write_tx()?;
        let identity = self.person_age_identity(&tx)?;
        tx.commit()?;
        Ok(identity.recipient())
    }

    /// The person's own age identity as a key-file line, to open their copy
    /// of a bundle with the stock `age` command. Handle with care.
    pub fn person_age_secret(&mut self) -> Result<SecretString> {
        let tx = self.write_tx()?;
        let identity = self.person_age_identity(&tx)?;
        tx.commit()?;
        Ok(identity.to_secret_string())
    }

    /// The person's own identity, to open a bundle they made.
    pub(crate) fn person_identity(&mut self) -> Result<AgeIdentity> {
        let tx = self.write_tx()?;
        let identity = self.person_age_identity(&tx)?;
        tx.commit()?;
        Ok(identity)
    }
}
