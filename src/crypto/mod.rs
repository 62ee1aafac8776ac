//! Keys, the passphrase KDF, the AEAD envelope and recovery codes.
//!
//! Key hierarchy: passphrase → Argon2id → key-encryption key (KEK) → unwraps a
//! random 256-bit vault key. The recovery code (160 random bits) wraps the same
//! vault key through HKDF. Row data is sealed with a data key derived from the
//! vault key by HKDF, so the vault key itself never touches row data.
//!
//! Limits worth knowing: ring keeps its expanded AES key schedule in memory it
//! does not zeroize; the raw key bytes we hold are zeroized on drop.

pub mod bundle;
pub mod did;

use std::fmt;
use std::time::{Duration, Instant};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Length of every symmetric key, in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the AES-GCM tag appended to every ciphertext.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext (nonce + tag).
pub const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// A 256-bit symmetric key. Not `Clone`, not `Serialize`; zeroized on drop;
/// `Debug` prints stars. Reach the bytes only through
/// [`SecretKey::expose_secret_bytes`], so every use stands out in review.
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    /// A fresh key from the system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(bytes.as_mut())?;
        Ok(SecretKey(bytes))
    }

    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        SecretKey(bytes)
    }

    /// The raw key bytes. Every call site is a place a key is used.
    pub fn expose_secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Derive an independent subkey for one purpose (HKDF-SHA256).
    pub fn derive(&self, purpose: &[u8]) -> SecretKey {
        hkdf_sha256(self.expose_secret_bytes(), b"vrm-vault v1", purpose)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

fn hkdf_sha256(ikm: &[u8], salt: &[u8], info: &[u8]) -> SecretKey {
    struct Len32;
    impl ring::hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            KEY_LEN
        }
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, salt).extract(ikm);
    let info = [info];
    let okm = prk
        .expand(&info, Len32)
        .expect("HKDF-SHA256 can always produce 32 bytes");
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    okm.fill(out.as_mut())
        .expect("HKDF-SHA256 can always produce 32 bytes");
    SecretKey(out)
}

/// Fill `buf` from the operating system's CSPRNG.
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    thread_rng().fill(buf).map_err(|_| Error::Random)
}

fn thread_rng() -> &'static SystemRandom {
    static RNG: std::sync::OnceLock<SystemRandom> = std::sync::OnceLock::new();
    RNG.get_or_init(SystemRandom::new)
}

/// Authenticated encryption (AES-256-GCM) under one key. Every sealed value is
/// `nonce ‖ ciphertext ‖ tag` with a random 96-bit nonce; the associated data
/// binds it to where it lives.
pub struct Cipher {
    key: LessSafeKey,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(***)")
    }
}

impl Cipher {
    /// A cipher keyed with `key`.
    pub fn new(key: &SecretKey) -> Self {
        let unbound = UnboundKey::new(&AES_256_GCM, key.expose_secret_bytes())
            .expect("a 32-byte key is valid for AES-256-GCM");
        Cipher {
            key: LessSafeKey::new(unbound),
        }
    }

    /// Seal `plaintext` bound to `aad`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut out[NONCE_LEN..],
            )
            .map_err(|_| Error::invalid("value too large to encrypt"))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Open a value sealed with [`Cipher::seal`] under the same `aad`. `None`
    /// when it does not authenticate (wrong key, altered, or moved).
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < SEAL_OVERHEAD {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = Zeroizing::new(body.to_vec());
        let len = self
            .key
            .open_in_place(nonce, Aad::from(aad), buf.as_mut_slice())
            .ok()?
            .len();
        buf.truncate(len);
        Some(buf)
    }

    /// [`Cipher::open`] over `sealed` itself, for large values: where the
    /// plaintext now is in it, or `None` (and `sealed` unspecified) when it
    /// does not authenticate.
    pub fn open_in_place(&self, aad: &[u8], sealed: &mut [u8]) -> Option<std::ops::Range<usize>> {
        if sealed.len() < SEAL_OVERHEAD {
            return None;
        }
        let (nonce, body) = sealed.split_at_mut(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let len = self
            .key
            .open_in_place(nonce, Aad::from(aad), body)
            .ok()?
            .len();
        Some(NONCE_LEN..NONCE_LEN + len)
    }
}

/// Minimum Argon2id memory, KiB (64 MiB).
pub const KDF_MIN_M_KIB: u32 = 64 * 1024;
/// Minimum Argon2id passes.
pub const KDF_MIN_T: u32 = 3;
/// Largest memory calibration will choose, KiB (256 MiB).
const KDF_MAX_M_KIB: u32 = 256 * 1024;
/// Most passes calibration will choose.
const KDF_MAX_T: u32 = 64;
/// Most lanes accepted (calibration uses one; lanes share the memory, so
/// they add no work, but there is no reason for more).
const KDF_MAX_P: u32 = 4;

/// Argon2id parameters, stored in the vault header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Always `argon2id`.
    pub algorithm: String,
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// 16 random bytes, base64.
    pub salt: String,
}

impl KdfParams {
    /// The floor every vault gets: 64 MiB, 3 passes, one lane, fresh salt.
    pub fn minimum() -> Result<Self> {
        let mut salt = [0u8; 16];
        fill_random(&mut salt)?;
        Ok(KdfParams {
            algorithm: "argon2id".into(),
            m_kib: KDF_MIN_M_KIB,
            t: KDF_MIN_T,
            p: 1,
            salt: data_encoding::BASE64.encode(&salt),
        })
    }

    /// Parameters tuned so one derivation on this machine takes about
    /// `target`, never below the floor. Memory grows first (up to 256 MiB),
    /// then passes.
    pub fn calibrate(target: Duration) -> Result<Self> {
        let mut params = Self::minimum()?;
        if target.is_zero() {
            return Ok(params);
        }
        let probe = SecretString::from("calibration probe");
        let start = Instant::now();
        derive_kek(&probe, &params)?;
        let base = start.elapsed().max(Duration::from_millis(1));
        // Argon2 time is close to linear in memory × passes.
        let budget = target.as_secs_f64() / base.as_secs_f64();
        let mut scale = budget;
        while scale >= 2.0 && params.m_kib * 2 <= KDF_MAX_M_KIB {
            params.m_kib *= 2;
            scale /= 2.0;
        }
        params.t = ((KDF_MIN_T as f64) * scale).floor().max(KDF_MIN_T as f64) as u32;
        params.t = params.t.min(KDF_MAX_T);
        Ok(params)
    }

    fn check(&self) -> Result<argon2::Params> {
        let bad = |why: &str| Error::Damaged(format!("the key-derivation parameters {why}"));
        if self.algorithm != "argon2id" {
            return Err(bad("name an unknown algorithm"));
        }
        if self.m_kib < KDF_MIN_M_KIB || self.t < KDF_MIN_T || self.p == 0 {
            return Err(bad("are below the minimum"));
        }
        // Nothing beyond what calibration ever chooses: an edited header
        // must not make unlocking allocate gigabytes or run for hours.
        if self.m_kib > KDF_MAX_M_KIB || self.t > KDF_MAX_T || self.p > KDF_MAX_P {
            return Err(bad("are beyond what this app ever chooses"));
        }
        argon2::Params::new(self.m_kib, self.t, self.p, Some(KEY_LEN))
            .map_err(|_| bad("are not valid Argon2 parameters"))
    }

    fn salt_bytes(&self) -> Result<Vec<u8>> {
        let salt = data_encoding::BASE64
            .decode(self.salt.as_bytes())
            .map_err(|_| Error::Damaged("the key-derivation salt is not base64".into()))?;
        if salt.len() < 16 {
            return Err(Error::Damaged(
                "the key-derivation salt is too short".into(),
            ));
        }
        Ok(salt)
    }
}

/// Derive the key-encryption key from a passphrase (Argon2id).
pub fn derive_kek(passphrase: &SecretString, params: &KdfParams) -> Result<SecretKey> {
    let argon_params = params.check()?;
    let salt = params.salt_bytes()?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(
            passphrase.expose_secret().as_bytes(),
            &salt,
            out.as_mut_slice(),
        )
        .map_err(|_| {
            Error::invalid_field("passphrase", "the passphrase cannot be used with Argon2")
        })?;
    Ok(SecretKey(out))
}

/// A recovery code: 160 random bits shown as eight groups of four base32
/// characters (`ABCD-EFGH-…`). It is a secret: not `Clone`, zeroized on drop.
pub struct RecoveryCode(SecretString);

const RECOVERY_BYTES: usize = 20;

impl RecoveryCode {
    /// A fresh random code.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; RECOVERY_BYTES]);
        fill_random(bytes.as_mut())?;
        let text = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(bytes.as_ref()));
        let grouped: String = text
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("base32 is ASCII"))
            .collect::<Vec<_>>()
            .join("-");
        Ok(RecoveryCode(SecretString::from(grouped)))
    }

    /// Parse a code as typed: case, spaces and dashes do not matter.
    pub fn parse(typed: &str) -> Result<Self> {
        let normal: Zeroizing<String> = Zeroizing::new(
            typed
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let ok = data_encoding::BASE32_NOPAD
            .decode(normal.as_bytes())
            .map(|b| b.len() == RECOVERY_BYTES)
            .unwrap_or(false);
        if !ok {
            return Err(Error::invalid_field(
                "recovery_code",
                "that is not a recovery code (expected 32 letters and digits in groups of four)",
            ));
        }
        let grouped = normal
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("ASCII"))
            .collect::<Vec<_>>()
            .join("-");
        Ok(RecoveryCode(SecretString::from(grouped)))
    }

    /// The code as shown to the person, once.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The key this code wraps the vault key with. The code is already 160
    /// random bits, so HKDF suffices (no password stretching needed).
    pub(crate) fn wrapping_key(&self, vault_id: &str) -> Result<SecretKey> {
        let normal: Zeroizing<String> = Zeroizing::new(self.0.expose_secret().replace('-', ""));
        let bytes = Zeroizing::new(
            data_encoding::BASE32_NOPAD
                .decode(normal.as_bytes())
                .map_err(|_| Error::invalid_field("recovery_code", "bad recovery code"))?,
        );
        Ok(hkdf_sha256(
            &bytes,
            b"vrm-vault v1 recovery",
            vault_id.as_bytes(),
        ))
    }
}

/// A one-time code for an invitation: a recovery code's shape (160 random
/// bits in groups of four), said aloud or typed on the new device, never
/// written in the invitation file.
pub struct OneTimeCode(RecoveryCode);

impl OneTimeCode {
    /// A fresh random code.
    pub fn generate() -> Result<Self> {
        RecoveryCode::generate().map(OneTimeCode)
    }

    /// Parse a code as typed: case, spaces and dashes do not matter.
    pub fn parse(typed: &str) -> Result<Self> {
        RecoveryCode::parse(typed).map(OneTimeCode).map_err(|_| {
            Error::invalid_field(
                "code",
                "that is not an invitation code (expected 32 letters and digits in groups of four)",
            )
        })
    }

    /// The code as shown to the person, once.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The key an invitation is sealed under, for the invitation's `salt`.
    pub(crate) fn key(&self, salt: &[u8]) -> Result<SecretKey> {
        let normal: Zeroizing<String> = Zeroizing::new(self.0.expose_secret().replace('-', ""));
        let bytes = Zeroizing::new(
            data_encoding::BASE32_NOPAD
                .decode(normal.as_bytes())
                .map_err(|_| Error::invalid_field("code", "bad invitation code"))?,
        );
        Ok(hkdf_sha256(&bytes, salt, b"vrm-vault v1 invitation"))
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(***)")
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(***)")
    }
}

/// A keyed digest (HMAC-SHA256) for recognising a value seen before without
/// keeping it: discovery keeps the digest of each message's Message-ID, not
/// the id. The key is derived from the vault key for one purpose, so digests
/// mean nothing outside this vault.
pub struct Digester(ring::hmac::Key);

impl Digester {
    /// A digester under `key`.
    pub fn new(key: &SecretKey) -> Self {
        Digester(ring::hmac::Key::new(
            ring::hmac::HMAC_SHA256,
            key.expose_secret_bytes(),
        ))
    }

    /// The digest of `parts` (each length-prefixed, so `["ab", "c"]` and
    /// `["a", "bc"]` differ), as `hex_len` lower-case hex digits (at most 64).
    pub fn hex(&self, parts: &[&[u8]], hex_len: usize) -> String {
        let mut ctx = ring::hmac::Context::with_key(&self.0);
        for part in parts {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
        let tag = ctx.sign();
        let mut out = data_encoding::HEXLOWER.encode(tag.as_ref());
        out.truncate(hex_len.min(64));
        out
    }
}

impl fmt::Debug for Digester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digester(***)")
    }
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::generate().unwrap()
    }

    #[test]
    fn digests_are_keyed_and_framed() {
        let k = key();
        let d = Digester::new(&k.derive(b"a"));
        assert_eq!(d.hex(&[b"x"], 32), d.hex(&[b"x"], 32));
        assert_eq!(d.hex(&[b"x"], 32).len(), 32);
        assert_ne!(d.hex(&[b"ab", b"c"], 64), d.hex(&[b"a", b"bc"], 64));
        assert_ne!(
            d.hex(&[b"x"], 64),
            Digester::new(&k.derive(b"b")).hex(&[b"x"], 64)
        );
        assert_eq!(format!("{d:?}"), "Digester(***)");
    }

    #[test]
    fn sealed_value_opens_only_with_the_same_associated_data() {
        let c = Cipher::new(&key());
        let sealed = c.seal(b"records|id1|1", b"hello").unwrap();
        assert_eq!(sealed.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(
            c.open(b"records|id1|1", &sealed).unwrap().as_slice(),
            b"hello"
        );
        assert!(
            c.open(b"records|id2|1", &sealed).is_none(),
            "moved row must fail"
        );
        assert!(
            c.open(b"records|id1|2", &sealed).is_none(),
            "other version must fail"
        );
    }

    #[test]
    fn opening_in_place_finds_what_open_finds_and_refuses_what_it_refuses() {
        let c = Cipher::new(&SecretKey::generate().unwrap());
        let sealed = c.seal(b"here", b"a large value").unwrap();
        let mut buf = sealed.clone();
        let at = c.open_in_place(b"here", &mut buf).unwrap();
        assert_eq!(&buf[at], b"a large value");
        let mut moved = sealed.clone();
        assert!(c.open_in_place(b"there", &mut moved).is_none());
        let mut altered = sealed.clone();
        altered[NONCE_LEN + 1] ^= 1;
        assert!(c.open_in_place(b"here", &mut altered).is_none());
        assert!(c.open_in_place(b"here", &mut [0u8; 10]).is_none());
    }

    #[test]
    fn sealed_value_does_not_open_under_another_key_or_when_altered() {
        let c = Cipher::new(&key());
        let mut sealed = c.seal(b"a", b"secret value").unwrap();
        assert!(Cipher::new(&key()).open(b"a", &sealed).is_none());
        sealed[NONCE_LEN + 2] ^= 1;
        assert!(c.open(b"a", &sealed).is_none());
        assert!(c.open(b"a", &sealed[..10]).is_none(), "short input");
    }

    #[test]
    fn two_seals_of_the_same_value_differ() {
        let c = Cipher::new(&key());
        assert_ne!(c.seal(b"a", b"x").unwrap(), c.seal(b"a", b"x").unwrap());
    }

    #[test]
    fn kdf_is_deterministic_and_depends_on_passphrase_and_salt() {
        let p = KdfParams::minimum().unwrap();
        let a = derive_kek(&SecretString::from("correct horse"), &p).unwrap();
        let b = derive_kek(&SecretString::from("correct horse"), &p).unwrap();
        let c = derive_kek(&SecretString::from("correct horsf"), &p).unwrap();
        assert_eq!(a.expose_secret_bytes(), b.expose_secret_bytes());
        assert_ne!(a.expose_secret_bytes(), c.expose_secret_bytes());
        let p2 = KdfParams::minimum().unwrap();
        let d = derive_kek(&SecretString::from("correct horse"), &p2).unwrap();
        assert_ne!(a.expose_secret_bytes(), d.expose_secret_bytes());
    }

    #[test]
    fn kdf_refuses_parameters_below_the_floor_or_absurdly_high() {
        let mut p = KdfParams::minimum().unwrap();
        p.m_kib = 1024;
        assert!(matches!(
            derive_kek(&SecretString::from("x"), &p),
            Err(Error::Damaged(_))
        ));
        let mut p = KdfParams::minimum().unwrap();
        p.t = 2;
        assert!(derive_kek(&SecretString::from("x"), &p).is_err());
        let mut p = KdfParams::minimum().unwrap();
        p.m_kib = u32::MAX;
        assert!(derive_kek(&SecretString::from("x"), &p).is_err());
    }

    /// Issue 13, 7: the ceiling is calibration's own, not 4 GiB and 1,000
    /// passes.
    #[test]
    fn kdf_refuses_anything_beyond_what_calibration_chooses() {
        let x = SecretString::from("x");
        for (m_kib, t, p) in [
            (KDF_MAX_M_KIB * 2, KDF_MIN_T, 1),
            (KDF_MIN_M_KIB, KDF_MAX_T + 1, 1),
            (KDF_MIN_M_KIB, KDF_MIN_T, KDF_MAX_P + 1),
        ] {
            let params = KdfParams {
                m_kib,
                t,
                p,
                ..KdfParams::minimum().unwrap()
            };
            // Refused by the check that runs before Argon2 is set up.
            assert!(matches!(params.check(), Err(Error::Damaged(_))));
            let err = derive_kek(&x, &params).unwrap_err();
            assert!(matches!(err, Error::Damaged(_)), "{m_kib} {t} {p}: {err}");
        }
        let top = KdfParams {
            m_kib: KDF_MAX_M_KIB,
            t: KDF_MIN_T,
            ..KdfParams::minimum().unwrap()
        };
        assert!(top.check().is_ok());
    }

    #[test]
    fn calibration_never_goes_below_the_floor() {
        let p = KdfParams::calibrate(Duration::from_millis(1)).unwrap();
        assert!(p.m_kib >= KDF_MIN_M_KIB && p.t >= KDF_MIN_T);
        let p = KdfParams::calibrate(Duration::ZERO).unwrap();
        assert_eq!((p.m_kib, p.t), (KDF_MIN_M_KIB, KDF_MIN_T));
    }

    #[test]
    fn recovery_code_round_trips_however_it_is_typed() {
        let code = RecoveryCode::generate().unwrap();
        let shown = code.expose_secret().to_string();
        assert_eq!(shown.len(), 32 + 7, "eight groups of four: {shown}");
        let typed = shown.to_lowercase().replace('-', " ");
        let parsed = RecoveryCode::parse(&typed).unwrap();
        assert_eq!(parsed.expose_secret(), shown);
        assert_eq!(
            code.wrapping_key("v").unwrap().expose_secret_bytes(),
            parsed.wrapping_key("v").unwrap().expose_secret_bytes()
        );
        assert!(RecoveryCode::parse("not-a-code").is_err());
    }

    #[test]
    fn secrets_never_print() {
        let k = key();
        assert_eq!(format!("{k:?}"), "SecretKey(***)");
        let code = RecoveryCode::generate().unwrap();
        assert!(!format!("{code:?}").contains(&code.expose_secret()[..4]));
    }
}
