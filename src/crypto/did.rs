//! Ed25519 signing keys and their `did:key` identifiers.
//!
//! A `did:key` for Ed25519 is `did:key:` + multibase base58btc (`z`) of the
//! multicodec prefix `0xed 0x01` (varint of 0xed, `ed25519-pub`) followed by
//! the 32-byte public key, which always reads `did:key:z6Mk…`. Its one
//! verification method is `did:key:z6Mk…#z6Mk…`.
//!
//! Signatures are deterministic (RFC 8032), so the W3C test vectors reproduce
//! byte for byte.
//!
//! Limits worth knowing: ring keeps the expanded private key of a key pair in
//! memory it does not zeroize; we build that key pair only for the duration of
//! one [`SigningKey::sign`] and keep the seed itself zeroized on drop.

use std::fmt;

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use zeroize::Zeroizing;

use crate::crypto::fill_random;
use crate::error::{Error, Result};

/// Length of an Ed25519 seed (private key), in bytes.
pub const SEED_LEN: usize = 32;
/// Length of an Ed25519 public key, in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature, in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// The scheme prefix every `did:key` starts with.
const DID_KEY_PREFIX: &str = "did:key:";
/// Multicodec `ed25519-pub` (0xed) as an unsigned varint.
const ED25519_PUB_CODEC: [u8; 2] = [0xed, 0x01];
/// Multicodec `ed25519-priv` (0x1300) as an unsigned varint.
const ED25519_PRIV_CODEC: [u8; 2] = [0x80, 0x26];
/// Longest multibase key we try to decode. A 34-byte value is at most 47
/// base58 characters; the bound keeps base58 decoding (quadratic) cheap on
/// hostile input.
const MAX_MULTIBASE_LEN: usize = 64;

/// An Ed25519 signing key. Not `Clone`, not `Serialize`; the seed is zeroized
/// on drop and `Debug` prints only the public `did:key`.
pub struct SigningKey {
    seed: Zeroizing<[u8; SEED_LEN]>,
    public: [u8; PUBLIC_KEY_LEN],
}

impl SigningKey {
    /// A fresh key from the system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        fill_random(seed.as_mut())?;
        Ok(Self::from_seed(&seed))
    }

    /// The key with this 32-byte seed (the RFC 8032 private key).
    pub fn from_seed(seed: &[u8; SEED_LEN]) -> Self {
        let seed = Zeroizing::new(*seed);
        let mut public = [0u8; PUBLIC_KEY_LEN];
        public.copy_from_slice(key_pair(&seed).public_key().as_ref());
        SigningKey { seed, public }
    }

    /// A key given as `privateKeyMultibase`: `z` + base58btc of the multicodec
    /// `ed25519-priv` prefix (`0x80 0x26`) and the 32-byte seed, as in the W3C
    /// test vectors.
    pub fn from_multibase_private(s: &str) -> Result<Self> {
        // The message never repeats the input: it is a secret.
        let bad = || Error::Did("not an Ed25519 private key in multibase form".into());
        let bytes = decode_multibase(s).ok_or_else(bad)?;
        let seed = bytes
            .strip_prefix(&ED25519_PRIV_CODEC)
            .and_then(|rest| <&[u8; SEED_LEN]>::try_from(rest).ok())
            .ok_or_else(bad)?;
        Ok(Self::from_seed(seed))
    }

    /// The seed, to store it sealed. Every call site is a place the private
    /// key leaves this type.
    pub fn seed(&self) -> &[u8; SEED_LEN] {
        &self.seed
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public
    }

    /// The key's `did:key:z6Mk…`.
    pub fn did(&self) -> String {
        did_from_public_key(&self.public)
    }

    /// The key's verification method, `did:key:z6Mk…#z6Mk…`.
    pub fn verification_method(&self) -> String {
        let id = multibase_public(&self.public);
        format!("{DID_KEY_PREFIX}{id}#{id}")
    }

    /// Sign `msg` (Ed25519, deterministic).
    pub fn sign(&self, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(key_pair(&self.seed).sign(msg).as_ref());
        out
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.did())
    }
}

fn key_pair(seed: &[u8; SEED_LEN]) -> Ed25519KeyPair {
    // ring refuses a seed only when it is not 32 bytes long, which the type
    // rules out.
    Ed25519KeyPair::from_seed_unchecked(seed).expect("a 32-byte seed is a valid Ed25519 seed")
}

/// `z` + base58btc of the multicodec-prefixed public key (the part after
/// `did:key:`).
fn multibase_public(public: &[u8; PUBLIC_KEY_LEN]) -> String {
    let mut bytes = [0u8; 2 + PUBLIC_KEY_LEN];
    bytes[..2].copy_from_slice(&ED25519_PUB_CODEC);
    bytes[2..].copy_from_slice(public);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The bytes of a base58btc multibase string (`z…`), or `None`. Decoded into
/// zeroizing memory, since private keys come through here too.
fn decode_multibase(s: &str) -> Option<Zeroizing<Vec<u8>>> {
    let body = s.strip_prefix('z')?;
    if body.is_empty() || body.len() > MAX_MULTIBASE_LEN {
        return None;
    }
    bs58::decode(body).into_vec().ok().map(Zeroizing::new)
}

/// The `did:key` of an Ed25519 public key.
pub fn did_from_public_key(public: &[u8; PUBLIC_KEY_LEN]) -> String {
    format!("{DID_KEY_PREFIX}{}", multibase_public(public))
}

/// The Ed25519 public key named by `did:key:z6Mk…`, with or without a
/// `#fragment`; a fragment must repeat the key part (the one verification
/// method a `did:key` has). Strict: only base58btc, only the `ed25519-pub`
/// multicodec, exactly 32 key bytes, and no other DID URL syntax.
pub fn public_key_from_did(s: &str) -> Result<[u8; PUBLIC_KEY_LEN]> {
    let rest = s
        .strip_prefix(DID_KEY_PREFIX)
        .ok_or_else(|| Error::Did("it does not start with did:key:".into()))?;
    let (id, fragment) = match rest.split_once('#') {
        Some((id, fragment)) => (id, Some(fragment)),
        None => (rest, None),
    };
    if fragment.is_some_and(|f| f != id) {
        return Err(Error::Did(
            "the fragment does not name the key itself".into(),
        ));
    }
    if !id.starts_with('z') {
        return Err(Error::Did("the key is not multibase base58btc (z…)".into()));
    }
    let bytes =
        decode_multibase(id).ok_or_else(|| Error::Did("the key is not valid base58btc".into()))?;
    let public = bytes
        .strip_prefix(&ED25519_PUB_CODEC)
        .ok_or_else(|| Error::Did("the key is not an Ed25519 public key".into()))?;
    let public = <[u8; PUBLIC_KEY_LEN]>::try_from(public)
        .map_err(|_| Error::Did("the key is not 32 bytes long".into()))?;
    // Base58 has one spelling per byte string; checking it keeps a second
    // spelling of the same key from ever being accepted.
    if multibase_public(&public) != id {
        return Err(Error::Did("the key is not in canonical form".into()));
    }
    Ok(public)
}

/// True when `s` is a well-formed Ed25519 `did:key` (with or without the
/// key's own fragment).
pub fn is_did_key(s: &str) -> bool {
    public_key_from_did(s).is_ok()
}

/// True when `sig` is a valid Ed25519 signature of `msg` by `public`.
pub fn verify_signature(public: &[u8; PUBLIC_KEY_LEN], msg: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public)
        .verify(msg, sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vector(name: &str) -> String {
        let path = format!(
            "{}/tests/vectors/vc-di-eddsa/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn vector_key_pair() -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(&vector("keyPair.json")).unwrap();
        (
            v["publicKeyMultibase"].as_str().unwrap().to_owned(),
            v["privateKeyMultibase"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn the_vector_private_key_gives_the_vector_public_key() {
        let (public, private) = vector_key_pair();
        let key = SigningKey::from_multibase_private(&private).unwrap();
        assert_eq!(key.did(), format!("did:key:{public}"));
        assert_eq!(
            key.verification_method(),
            format!("did:key:{public}#{public}")
        );
        assert_eq!(
            public_key_from_did(&key.did()).unwrap(),
            key.public_key(),
            "the did must name the key's public key"
        );
    }

    #[test]
    fn the_vector_signature_is_reproduced_and_verifies() {
        let (_, private) = vector_key_pair();
        let key = SigningKey::from_multibase_private(&private).unwrap();
        let data = data_encoding::HEXLOWER
            .decode(vector("combinedHashJCS.txt").as_bytes())
            .unwrap();
        let sig = key.sign(&data);
        assert_eq!(
            data_encoding::HEXLOWER.encode(&sig),
            vector("sigHexJCS.txt"),
            "Ed25519 is deterministic: the vector's signature must come out"
        );
        assert!(verify_signature(&key.public_key(), &data, &sig));
        assert!(!verify_signature(&key.public_key(), b"other", &sig));
        assert!(!verify_signature(&key.public_key(), &data, &sig[..63]));
    }

    #[test]
    fn debug_prints_the_did_and_never_the_seed() {
        let key = SigningKey::from_seed(&[7u8; 32]);
        let shown = format!("{key:?}");
        assert_eq!(shown, format!("SigningKey({})", key.did()));
        let seed_hex = data_encoding::HEXLOWER.encode(key.seed());
        assert!(!shown.contains(&seed_hex));
    }

    #[test]
    fn generated_keys_differ_and_round_trip_through_their_seed() {
        let a = SigningKey::generate().unwrap();
        let b = SigningKey::generate().unwrap();
        assert_ne!(a.public_key(), b.public_key());
        assert_eq!(SigningKey::from_seed(a.seed()).did(), a.did());
        assert!(a.did().starts_with("did:key:z6Mk"));
    }

    #[test]
    fn malformed_dids_are_refused() {
        let key = SigningKey::from_seed(&[1u8; 32]);
        let did = key.did();
        let id = did.strip_prefix("did:key:").unwrap();
        let other = SigningKey::from_seed(&[2u8; 32]).did();
        let other_id = other.strip_prefix("did:key:").unwrap();
        let bad = [
            String::new(),
            "did:key:".into(),
            "did:key:z".into(),
            format!("did:web:{id}"),
            format!("DID:KEY:{id}"),
            format!("did:key:{}", &id[1..]),
            format!("did:key:f{}", &id[1..]),
            format!("did:key:{id}#"),
            format!("did:key:{id}#{other_id}"),
            format!("did:key:{id}#{id}#{id}"),
            format!("did:key:{id}?x=1"),
            format!("did:key:{id}/path"),
            format!("{did}0"),
            format!("did:key:{}", &id[..id.len() - 1]),
            format!("did:key:z{}", "1".repeat(48)),
            // An ed25519-priv multicodec where a public key belongs.
            format!(
                "did:key:z{}",
                bs58::encode([&ED25519_PRIV_CODEC[..], &[0u8; 32]].concat()).into_string()
            ),
            // Right codec, 33 key bytes.
            format!(
                "did:key:z{}",
                bs58::encode([&ED25519_PUB_CODEC[..], &[9u8; 33]].concat()).into_string()
            ),
            // A leading zero byte spelled as an extra '1'.
            format!("did:key:z1{}", &id[1..]),
        ];
        for s in &bad {
            assert!(
                public_key_from_did(s).is_err(),
                "{s:?} must be refused as a did:key"
            );
            assert!(!is_did_key(s));
        }
        assert!(is_did_key(&did));
        assert!(is_did_key(&key.verification_method()));
        let err = public_key_from_did("did:key:nope").unwrap_err();
        assert_eq!(err.code(), "did.invalid");
    }

    #[test]
    fn malformed_private_keys_are_refused_without_echo() {
        let (public, private) = vector_key_pair();
        for s in [
            "",
            "z",
            &private[1..],
            &public,
            &format!("{private}1"),
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjx0",
        ] {
            let err = SigningKey::from_multibase_private(s).unwrap_err();
            assert_eq!(err.code(), "did.invalid");
            if s.len() > 8 {
                assert!(!err.to_string().contains(s), "the key must not be echoed");
            }
        }
    }

    proptest! {
        #[test]
        fn did_parsing_never_panics(s in ".{0,120}") {
            let _ = public_key_from_did(&s);
            let _ = SigningKey::from_multibase_private(&s);
        }

        #[test]
        fn did_key_like_strings_never_panic(s in "did:key:z[1-9A-HJ-NP-Za-km-z]{0,70}(#z[1-9A-HJ-NP-Za-km-z]{0,50})?") {
            let _ = public_key_from_did(&s);
        }

        #[test]
        fn dids_round_trip_for_any_key(seed in proptest::array::uniform32(any::<u8>())) {
            let key = SigningKey::from_seed(&seed);
            prop_assert!(key.did().starts_with("did:key:z6Mk"));
            prop_assert_eq!(public_key_from_did(&key.did()).unwrap(), key.public_key());
            prop_assert_eq!(
                public_key_from_did(&key.verification_method()).unwrap(),
                key.public_key()
            );
            let sig = key.sign(&seed);
            prop_assert!(verify_signature(&key.public_key(), &seed, &sig));
        }
    }
}
