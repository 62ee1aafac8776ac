//! Invitations: the vault key, for a new device of the same vault, sealed
//! under a one-time code that is never in the file. The sync feature says
//! what else the new device needs (its key, the store); the base seals it
//! with the key, and opens it on the other side.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::Vault;
use super::header::{b64, unb64};
use crate::crypto::{Cipher, KEY_LEN, OneTimeCode, SecretKey, fill_random};
use crate::error::{Error, Result};

const FORMAT: &str = "vrm-vault-invitation";
const VERSION: u32 = 1;
/// An invitation is a few hundred bytes; anything much larger is not one.
pub(crate) const MAX_INVITATION_LEN: usize = 64 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationFile {
    format: String,
    version: u32,
    salt: String,
    sealed: String,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    vault_key: String,
    details: Value,
}

impl Drop for Payload {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.vault_key.zeroize();
    }
}

fn aad(salt: &[u8]) -> Vec<u8> {
    let mut aad = b"vrm-vault/invitation/1\0".to_vec();
    aad.extend_from_slice(salt);
    aad
}

impl Vault {
    /// An invitation holding the vault key and `details`, sealed under
    /// `code`: the file's bytes.
    pub(crate) fn seal_invitation(&self, details: Value, code: &OneTimeCode) -> Result<Vec<u8>> {
        let mut salt = [0u8; 16];
        fill_random(&mut salt)?;
        let payload = Payload {
            vault_key: b64(self.vault_key.expose_secret_bytes()),
            details,
        };
        let plain = Zeroizing::new(
            serde_json::to_vec(&payload).map_err(|e| Error::Database(e.to_string()))?,
        );
        let sealed = Cipher::new(&code.key(&salt)?).seal(&aad(&salt), &plain)?;
        let file = InvitationFile {
            format: FORMAT.into(),
            version: VERSION,
            salt: b64(&salt),
            sealed: b64(&sealed),
        };
        let mut bytes =
            serde_json::to_vec_pretty(&file).map_err(|e| Error::Database(e.to_string()))?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// Opens an invitation with its code: the vault key and the details.
pub(crate) fn open_invitation(bytes: &[u8], code: &OneTimeCode) -> Result<(SecretKey, Value)> {
    let not_one = || Error::invalid_field("file", "that file is not a VRM Vault invitation");
    if bytes.len() > MAX_INVITATION_LEN {
        return Err(not_one());
    }
    let file: InvitationFile = serde_json::from_slice(bytes).map_err(|_| not_one())?;
    if file.format != FORMAT {
        return Err(not_one());
    }
    if file.version != VERSION {
        return Err(Error::invalid_field(
            "file",
            format!(
                "this invitation is of version {} (this VRM Vault reads version {VERSION})",
                file.version
            ),
        ));
    }
    let salt = unb64(&file.salt, "invitation").map_err(|_| not_one())?;
    let sealed = unb64(&file.sealed, "invitation").map_err(|_| not_one())?;
    let plain = Cipher::new(&code.key(&salt)?)
        .open(&aad(&salt), &sealed)
        .ok_or_else(|| {
            Error::invalid_field(
                "code",
                "that code does not open this invitation (a typo, or another invitation's code)",
            )
        })?;
    let payload: Payload = serde_json::from_slice(&plain).map_err(|_| not_one())?;
    let key_bytes = Zeroizing::new(unb64(&payload.vault_key, "invitation").map_err(|_| not_one())?);
    let key: [u8; KEY_LEN] = key_bytes.as_slice().try_into().map_err(|_| not_one())?;
    Ok((
        SecretKey::from_bytes(Zeroizing::new(key)),
        payload.details.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;

    #[test]
    fn an_invitation_opens_with_its_code_only_and_never_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) = Vault::create(
            dir.path(),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let code = OneTimeCode::generate().unwrap();
        let bytes = vault
            .seal_invitation(serde_json::json!({"device": "x"}), &code)
            .unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(!text.contains(code.expose_secret()));
        assert!(!text.contains(&code.expose_secret().replace('-', "")));
        let (key, details) = open_invitation(&bytes, &code).unwrap();
        assert_eq!(
            key.expose_secret_bytes(),
            vault.vault_key.expose_secret_bytes()
        );
        assert_eq!(details["device"], "x");

        let other = OneTimeCode::generate().unwrap();
        let e = open_invitation(&bytes, &other).unwrap_err();
        assert!(e.to_string().contains("does not open"), "{e}");
        let mut altered = bytes.clone();
        let i = text.find("sealed").unwrap() + 12;
        altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
        assert!(open_invitation(&altered, &code).is_err());
        assert!(open_invitation(b"{}", &code).is_err());
        assert!(open_invitation(&vec![b' '; MAX_INVITATION_LEN + 1], &code).is_err());
    }
}
