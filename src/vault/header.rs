//! The vault header: the KDF parameters and the vault key, wrapped under the
//! passphrase and under the recovery code, with a check value.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{self, Cipher, KEY_LEN, KdfParams, RecoveryCode, SecretKey};
use crate::error::{Error, Result};

pub(super) const FORMAT: &str = "vrm-vault";
/// 2: the vault has a sealed manifest (`manifest.rs`), which must be there.
pub(super) const FORMAT_VERSION: u32 = 2;
pub(super) const CHECK_PLAINTEXT: &[u8] = b"vrm-vault check value v1";

/// The vault header: everything needed to unlock, stored as JSON beside its
/// SHA-256 digest (so damage is told apart from a wrong passphrase).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Header {
    pub(super) format: String,
    pub(super) format_version: u32,
    pub(super) vault_id: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) kdf: KdfParams,
    /// Vault key sealed under the passphrase KEK, base64.
    pub(super) wrapped_by_passphrase: String,
    /// Vault key sealed under the recovery-code key, base64.
    pub(super) wrapped_by_recovery: String,
    /// A known value sealed under the data key, base64.
    pub(super) check: String,
}

impl Header {
    pub(super) fn encode(&self) -> Result<(Vec<u8>, Vec<u8>)> {
        let body = serde_json::to_vec(self).map_err(|e| Error::Database(e.to_string()))?;
        let digest = crypto::sha256(&body).to_vec();
        Ok((body, digest))
    }

    pub(super) fn decode(body: &[u8], digest: &[u8]) -> Result<Self> {
        // The digest is over public data: it detects damage, not forgery.
        if crypto::sha256(body).as_slice() != digest {
            return Err(Error::Damaged(
                "the vault header fails its integrity check".into(),
            ));
        }
        let header: Header = serde_json::from_slice(body)
            .map_err(|_| Error::Damaged("the vault header cannot be parsed".into()))?;
        if header.format != FORMAT {
            return Err(Error::Damaged("this is not a VRM Vault file".into()));
        }
        if header.format_version > FORMAT_VERSION {
            return Err(Error::NewerSchema {
                found: header.format_version.into(),
                supported: FORMAT_VERSION.into(),
            });
        }
        Ok(header)
    }

    pub(super) fn wrap_aad(&self, what: &str) -> Vec<u8> {
        format!("vrm-vault v1 wrap {what}\0{}", self.vault_id).into_bytes()
    }

    /// Bound to the format, so a header edited to an older format (one
    /// without a manifest) no longer opens.
    pub(super) fn check_aad(&self) -> Vec<u8> {
        match self.format_version {
            1 => format!("vrm-vault v1 check\0{}", self.vault_id).into_bytes(),
            v => format!("vrm-vault v{v} check\0{}", self.vault_id).into_bytes(),
        }
    }

    pub(super) fn set_passphrase(
        &mut self,
        vault_key: &SecretKey,
        passphrase: &SecretString,
        kdf: KdfParams,
    ) -> Result<()> {
        let kek = crypto::derive_kek(passphrase, &kdf)?;
        self.set_passphrase_kek(vault_key, &kek, kdf)
    }

    /// [`Header::set_passphrase`] with the key already derived from the
    /// passphrase under `kdf`.
    pub(super) fn set_passphrase_kek(
        &mut self,
        vault_key: &SecretKey,
        kek: &SecretKey,
        kdf: KdfParams,
    ) -> Result<()> {
        self.kdf = kdf;
        let sealed = Cipher::new(kek).seal(
            &self.wrap_aad("passphrase"),
            vault_key.expose_secret_bytes(),
        )?;
        self.wrapped_by_passphrase = b64(&sealed);
        Ok(())
    }

    /// Seals the check value under the row-data cipher, for this header's
    /// id and format.
    pub(super) fn set_check(&mut self, data: &Cipher) -> Result<()> {
        self.check = b64(&data.seal(&self.check_aad(), CHECK_PLAINTEXT)?);
        Ok(())
    }

    pub(super) fn set_recovery(&mut self, vault_key: &SecretKey) -> Result<RecoveryCode> {
        let code = RecoveryCode::generate()?;
        let key = code.wrapping_key(&self.vault_id)?;
        let sealed =
            Cipher::new(&key).seal(&self.wrap_aad("recovery"), vault_key.expose_secret_bytes())?;
        self.wrapped_by_recovery = b64(&sealed);
        Ok(code)
    }
}

pub(super) fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64.encode(bytes)
}

pub(super) fn unb64(s: &str, what: &str) -> Result<Vec<u8>> {
    data_encoding::BASE64
        .decode(s.as_bytes())
        .map_err(|_| Error::Damaged(format!("the vault header's {what} is not base64")))
}

pub(super) fn unwrap_key(
    wrapping: &SecretKey,
    aad: &[u8],
    sealed_b64: &str,
    what: &str,
) -> Result<Option<SecretKey>> {
    let sealed = unb64(sealed_b64, what)?;
    let Some(opened) = Cipher::new(wrapping).open(aad, &sealed) else {
        return Ok(None);
    };
    let bytes: [u8; KEY_LEN] = opened
        .as_slice()
        .try_into()
        .map_err(|_| Error::Damaged(format!("the {what} has the wrong length")))?;
    Ok(Some(SecretKey::from_bytes(Zeroizing::new(bytes))))
}
