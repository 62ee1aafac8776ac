use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use secrecy::ExposeSecret;
use vrm_vault::Error;
use vrm_vault::crypto::bundle::{self, AgeIdentity, OpenKey, OpenLimits};

use crate::util::*;

const PLAIN: &[u8] = b"{\"brand\":\"Acme\",\"records\":[\"BundleCanary\"]}";

fn open(bytes: &[u8], id: &AgeIdentity) -> Result<Vec<u8>, Error> {
    bundle::decrypt(
        bytes,
        &OpenKey::Identities(std::slice::from_ref(id)),
        &OpenLimits::default(),
    )
    .map(|p| p.to_vec())
}

/// A new identity written as `age-keygen` would, and its recipient.
fn keygen(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let key = dir.join("brand.key");
    let out = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&key).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string();
    (key, recipient)
}

/// Where the header ends (just past the `--- MAC` line) in a binary age file.
fn header_len(bytes: &[u8]) -> usize {
    let mac = memchr::memmem::find(bytes, b"\n---").unwrap() + 1;
    mac + memchr::memchr(b'\n', &bytes[mac..]).unwrap() + 1
}

#[test]
fn our_bundles_open_with_the_age_command() {
    need_age();
    let tmp = tempfile::tempdir().unwrap();
    let (key, brand) = keygen(tmp.path());
    let me = AgeIdentity::generate();
    let binary = bundle::encrypt(PLAIN, &[brand.clone(), me.recipient()]).unwrap();
    assert!(memchr::memmem::find(&binary, b"BundleCanary").is_none());
    let armored = bundle::encrypt_armored(PLAIN, &[brand, me.recipient()]).unwrap();
    for (name, bytes) in [("b.age", binary.clone()), ("a.age", armored.into_bytes())] {
        let file = tmp.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let out = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&key)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "age -d {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, PLAIN);
        // The person's own recipient opens it too.
        assert_eq!(open(&bytes, &me).unwrap(), PLAIN);
    }
}

#[test]
fn files_from_the_age_command_open_with_decrypt() {
    need_age();
    let tmp = tempfile::tempdir().unwrap();
    let (key, recipient) = keygen(tmp.path());
    // The identity file as age-keygen wrote it: comments, then the key.
    let id = AgeIdentity::parse(&std::fs::read_to_string(&key).unwrap()).unwrap();
    assert_eq!(id.recipient(), recipient);
    let input = tmp.path().join("plain.json");
    std::fs::write(&input, PLAIN).unwrap();
    for armor in [false, true] {
        let out_file = tmp.path().join(format!("out-{armor}.age"));
        let mut cmd = Command::new("age");
        if armor {
            cmd.arg("-a");
        }
        let out = cmd
            .arg("-r")
            .arg(&recipient)
            .arg("-o")
            .arg(&out_file)
            .arg(&input)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let plain = bundle::decrypt_file(
            &out_file,
            &OpenKey::Identities(std::slice::from_ref(&id)),
            &OpenLimits::default(),
        )
        .unwrap();
        assert_eq!(&plain[..], PLAIN, "armor: {armor}");
    }
}

#[test]
fn a_key_we_generate_works_as_an_age_identity_file() {
    need_age();
    let tmp = tempfile::tempdir().unwrap();
    let id = AgeIdentity::generate();
    let key = tmp.path().join("mine.key");
    std::fs::write(
        &key,
        format!(
            "# public key: {}\n{}\n",
            id.recipient(),
            id.to_secret_string().expose_secret()
        ),
    )
    .unwrap();
    let file = tmp.path().join("b.age");
    std::fs::write(&file, bundle::encrypt(PLAIN, &[id.recipient()]).unwrap()).unwrap();
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, PLAIN);
}

#[test]
fn another_identity_is_wrong_key() {
    let id = AgeIdentity::generate();
    let bytes = bundle::encrypt(PLAIN, &[id.recipient()]).unwrap();
    let err = open(&bytes, &AgeIdentity::generate()).unwrap_err();
    assert_eq!(err.code(), "bundle.wrong_key");
    assert!(err.is_wrong_secret());
}

#[test]
fn too_many_stanzas_are_refused_before_age_parses_them() {
    let ids: Vec<AgeIdentity> = (0..bundle::MAX_RECIPIENTS)
        .map(|_| AgeIdentity::generate())
        .collect();
    let recipients: Vec<String> = ids.iter().map(AgeIdentity::recipient).collect();
    let bytes = bundle::encrypt(PLAIN, &recipients).unwrap();
    // The most we write (plus age's grease stanza) opens under the defaults.
    assert_eq!(open(&bytes, &ids[30]).unwrap(), PLAIN);
    let tight = OpenLimits {
        max_stanzas: 5,
        ..OpenLimits::default()
    };
    let err = bundle::decrypt(&bytes, &OpenKey::Identities(&ids[..1]), &tight).unwrap_err();
    assert_eq!(err.code(), "input.too_large");
    assert!(err.to_string().contains("recipient stanzas"), "{err}");

    // A hand-made header with 33 stanzas: refused as too large, not parsed.
    let mut forged = b"age-encryption.org/v1\n".to_vec();
    for _ in 0..33 {
        forged.extend_from_slice(b"-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n");
        forged.extend_from_slice(b"hjabGXwSLQ9c3S6Lw2i+S2Tu2fiwQHHslbBN6B41FLE\n");
    }
    forged.extend_from_slice(b"--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n");
    forged.extend_from_slice(&[0; 40]);
    let err = open(&forged, &ids[0]).unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 32, .. }), "{err:?}");
}

#[test]
fn oversize_input_is_refused_before_reading_it() {
    let id = AgeIdentity::generate();
    let bytes = bundle::encrypt(&[1u8; 5000], &[id.recipient()]).unwrap();
    let limits = OpenLimits {
        max_input_bytes: 4096,
        ..OpenLimits::default()
    };
    let key = OpenKey::Identities(std::slice::from_ref(&id));
    let err = bundle::decrypt(&bytes, &key, &limits).unwrap_err();
    assert_eq!(err.code(), "input.too_large");

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("big.age");
    std::fs::write(&file, &bytes).unwrap();
    let err = bundle::decrypt_file(&file, &key, &limits).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 4096, .. }),
        "{err:?}"
    );
    assert_eq!(
        bundle::decrypt_file(&file, &key, &OpenLimits::default())
            .unwrap()
            .len(),
        5000
    );
    let err = bundle::decrypt_file(&tmp.path().join("missing.age"), &key, &limits).unwrap_err();
    assert_eq!(err.code(), "io");
}

#[test]
fn every_truncation_is_unreadable() {
    let id = AgeIdentity::generate();
    // Two payload chunks, so cuts land in the header, the nonce, and both chunks.
    let plain = vec![9u8; 64 * 1024 + 100];
    let bytes = bundle::encrypt(&plain, &[id.recipient()]).unwrap();
    let header = header_len(&bytes);
    let cuts = (0..header + 20).chain((header + 20..bytes.len()).step_by(997));
    for cut in cuts {
        let err = open(&bytes[..cut], &id).unwrap_err();
        assert_eq!(err.code(), "bundle.unreadable", "cut at {cut}: {err}");
    }
    let armored = bundle::encrypt_armored(PLAIN, &[id.recipient()]).unwrap();
    let armored = armored.trim_end();
    for cut in 0..armored.len() {
        let err = open(&armored.as_bytes()[..cut], &id).unwrap_err();
        assert_eq!(err.code(), "bundle.unreadable", "armor cut at {cut}: {err}");
    }
}

#[test]
fn every_flipped_byte_is_refused() {
    let id = AgeIdentity::generate();
    let bytes = bundle::encrypt(PLAIN, &[id.recipient()]).unwrap();
    let header = header_len(&bytes);
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        let err = open(&damaged, &id).unwrap_err();
        if at < header {
            // A changed stanza no longer unwraps for our key, which age cannot
            // tell from a stanza for someone else: either code is honest.
            assert!(
                matches!(err.code(), "bundle.unreadable" | "bundle.wrong_key"),
                "flip at {at}: {err}"
            );
        } else {
            assert_eq!(err.code(), "bundle.unreadable", "flip at {at}: {err}");
        }
    }
}

/// `decrypt` of `bytes` under catch_unwind: a panic fails the case; Ok is
/// allowed only when `must_fail` is false, and then only with the original.
fn check(bytes: &[u8], id: &AgeIdentity, must_fail: bool) -> Result<(), TestCaseError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| open(bytes, id)))
        .map_err(|_| TestCaseError::fail(format!("decrypt panicked on {bytes:?}")))?;
    match outcome {
        Ok(plain) => {
            prop_assert!(!must_fail, "a mutated bundle opened");
            prop_assert_eq!(plain, PLAIN);
        }
        Err(e) => prop_assert!(
            matches!(
                e.code(),
                "bundle.unreadable" | "bundle.wrong_key" | "input.too_large"
            ),
            "unexpected error {}: {}",
            e.code(),
            e
        ),
    }
    Ok(())
}

#[test]
fn arbitrary_bytes_never_panic_or_open() {
    let id = AgeIdentity::generate();
    let mut runner = TestRunner::new(Config {
        cases: 500,
        failure_persistence: None,
        ..Config::default()
    });
    let junk = prop::collection::vec(any::<u8>(), 0..400);
    runner.run(&junk, |bytes| check(&bytes, &id, true)).unwrap();
    // Arbitrary tails behind a real version line reach the header parser.
    let tail = prop::collection::vec(
        prop_oneof![Just(b'\n'), Just(b'-'), Just(b'>'), Just(b' '), any::<u8>()],
        0..400,
    );
    runner
        .run(&tail, |t| {
            let mut bytes = b"age-encryption.org/v1\n".to_vec();
            bytes.extend_from_slice(&t);
            check(&bytes, &id, true)
        })
        .unwrap();
}

#[test]
fn mutated_bundles_never_panic_or_open() {
    let id = AgeIdentity::generate();
    let other = AgeIdentity::generate();
    let binary = bundle::encrypt(PLAIN, &[id.recipient(), other.recipient()]).unwrap();
    let armored = bundle::encrypt_armored(PLAIN, &[id.recipient()]).unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    for (valid, is_armored) in [(binary, false), (armored.into_bytes(), true)] {
        let edits =
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..5);
        runner
            .run(&edits, |edits| {
                let mut bytes = valid.clone();
                for (at, value, op) in edits {
                    match op {
                        // Replace, insert, delete one byte.
                        0 if !bytes.is_empty() => {
                            let i = at.index(bytes.len());
                            bytes[i] = value;
                        }
                        1 => {
                            let i = at.index(bytes.len() + 1);
                            bytes.insert(i, value);
                        }
                        _ if !bytes.is_empty() => {
                            let i = at.index(bytes.len());
                            bytes.remove(i);
                        }
                        _ => {}
                    }
                }
                // Armor tolerates whitespace after the end line; anything else
                // changed must not open, and nothing may open to other plaintext.
                let must_fail = bytes != valid && !is_armored;
                check(&bytes, &id, must_fail)
            })
            .unwrap();
    }
}

#[test]
fn the_largest_header_we_accept_is_refused_quickly() {
    // age re-parses the header once per line, so the worst case is the most
    // full-width body lines that fit under MAX_HEADER_BYTES.
    let id = AgeIdentity::generate();
    let mut forged =
        b"age-encryption.org/v1\n-> X25519 TEiF0ypqr+bpvcqXNyCVJpL7OuwPdVwPL7KQEbFDOCc\n".to_vec();
    let line = [b'A'; 64];
    while forged.len() + 65 + 100 < bundle::MAX_HEADER_BYTES {
        forged.extend_from_slice(&line);
        forged.push(b'\n');
    }
    forged.extend_from_slice(b"AAAA\n--- WyJp9F/9FOZh7gJdheq2WIJcwHgYc8NIVh3ddwhrcNg\n");
    forged.extend_from_slice(&[0; 64]);
    let started = std::time::Instant::now();
    let err = open(&forged, &id).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.code(), "bundle.unreadable", "{err}");
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}
