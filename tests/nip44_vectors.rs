//! The NIP-44 v2 test vectors (tests/vectors/nip44, from the NIP) against the
//! NIP-44 the vault's gift wraps use (the `nostr` crate's): conversation
//! keys, encryption with the vectors' nonces, decryption, and the invalid
//! keys and payloads refused.

use std::str::FromStr;

use nostr::nips::nip44;
use nostr::nips::nip44::v2::{ConversationKey, decrypt_to_bytes, encrypt_to_bytes_with_nonce};
use nostr::prelude::{Keys, PublicKey, SecretKey};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/nip44/nip44.vectors.json"
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn list<'a>(v: &'a Value, which: &str, name: &str) -> &'a Vec<Value> {
    v["v2"][which][name].as_array().unwrap()
}

fn hex(s: &Value) -> Vec<u8> {
    data_encoding::HEXLOWER
        .decode(s.as_str().unwrap().as_bytes())
        .unwrap()
}

#[test]
fn valid_conversation_keys() {
    let v = vectors();
    let cases = list(&v, "valid", "get_conversation_key");
    // The crate's copy holds 3 of the NIP's (the rest are covered by the
    // encrypt_decrypt cases, which derive their keys too).
    assert_eq!(cases.len(), 3);
    for c in cases {
        let sec1 = SecretKey::from_str(c["sec1"].as_str().unwrap()).unwrap();
        let pub2 = PublicKey::from_str(c["pub2"].as_str().unwrap()).unwrap();
        let key = ConversationKey::derive(&sec1, &pub2).unwrap();
        assert_eq!(key.as_bytes(), hex(&c["conversation_key"]), "{}", c["note"]);
    }
}

#[test]
fn valid_encryptions_and_decryptions() {
    let v = vectors();
    let cases = list(&v, "valid", "encrypt_decrypt");
    assert_eq!(cases.len(), 10);
    for (i, c) in cases.iter().enumerate() {
        let sec1 = SecretKey::from_str(c["sec1"].as_str().unwrap()).unwrap();
        let sec2 = SecretKey::from_str(c["sec2"].as_str().unwrap()).unwrap();
        let pub2 = Keys::new(sec2.clone()).public_key();
        let key = ConversationKey::from_slice(&hex(&c["conversation_key"])).unwrap();
        assert_eq!(
            ConversationKey::derive(&sec1, &pub2).unwrap().as_bytes(),
            key.as_bytes(),
            "#{i}"
        );
        let nonce: [u8; 32] = hex(&c["nonce"]).try_into().unwrap();
        let plaintext = c["plaintext"].as_str().unwrap();
        let ciphertext = c["ciphertext"].as_str().unwrap();
        let made = encrypt_to_bytes_with_nonce(&key, plaintext.as_bytes(), nonce).unwrap();
        assert_eq!(data_encoding::BASE64.encode(&made), ciphertext, "#{i}");
        // And the other way, from either side.
        assert_eq!(
            nip44::decrypt(&sec1, &pub2, ciphertext).unwrap(),
            plaintext,
            "#{i}"
        );
        let pub1 = Keys::new(sec1.clone()).public_key();
        assert_eq!(
            nip44::decrypt(&sec2, &pub1, ciphertext).unwrap(),
            plaintext,
            "#{i}"
        );
    }
}

#[test]
fn invalid_conversation_keys_and_payloads_are_refused() {
    let v = vectors();
    for c in list(&v, "invalid", "get_conversation_key") {
        let refused = SecretKey::from_str(c["sec1"].as_str().unwrap())
            .ok()
            .zip(PublicKey::from_str(c["pub2"].as_str().unwrap()).ok())
            .is_none_or(|(s, p)| ConversationKey::derive(&s, &p).is_err());
        assert!(refused, "{}", c["note"]);
    }
    let cases = list(&v, "invalid", "decrypt");
    assert!(!cases.is_empty());
    for c in cases {
        let key = ConversationKey::from_slice(&hex(&c["conversation_key"])).unwrap();
        let refused =
            match data_encoding::BASE64.decode(c["ciphertext"].as_str().unwrap().as_bytes()) {
                Ok(bytes) => decrypt_to_bytes(&key, &bytes).is_err(),
                Err(_) => true,
            };
        assert!(refused, "{}", c["note"]);
    }
}
