//! Sync objects: what a device writes to the store, sealed and signed.
//!
//! An object is immutable: it is written once under a name no other object
//! has, `devices/<device>/<seq>` (changes) or `snapshots/<device>/<seq>` (a
//! part of a snapshot, in the same sequence), and never rewritten, so a dumb store (a
//! folder a file-sync tool replicates, an S3 bucket) never holds two
//! versions of one file to reconcile. Its layout:
//!
//! ```text
//! magic "VRMSYNC\x01" (8) | kind (1) | device id (16) | seq (8, BE)
//! | hlc ms (8, BE) | hlc count (4, BE) | body length (4, BE)
//! | body: AES-256-GCM under the sync key, the 45 bytes before the body
//!   length as associated data
//! | Ed25519 signature of everything before it by the device (64)
//! ```
//!
//! An image part (`images/<device>/<seq>`: a part of a copy of a device's
//! database, for a device it invites) has the same layout without the
//! signature. Its body is sealed under a key of its own, made for the one
//! image and carried only by the invitation: holding that key is what
//! vouches for it, which costs the joining device one pass of AES-GCM over
//! the image instead of a hash for a signature as well.
//!
//! The store sees the device id, the sequence number, the clock reading and
//! the size; nothing of what changed. The body is sealed under a key every
//! device of the vault holds, so the signature is what says which device
//! wrote it: a device that holds the key but was revoked cannot write
//! objects the others accept. The name is checked against the header, so an
//! object copied under another name (a replay) is refused too.

use zeroize::Zeroizing;

use super::hlc::Hlc;
use crate::crypto::Cipher;
use crate::crypto::did::{SigningKey, verify_signature};

/// The first bytes of every sync object (version 1 of the format).
pub const MAGIC: &[u8; 8] = b"VRMSYNC\x01";

/// The largest object read or written: a store returning more is refused
/// before anything is parsed. Large changes are split into several objects.
pub const MAX_OBJECT_LEN: usize = 32 * 1024 * 1024;

/// The largest body that fits in one object.
pub const MAX_BODY_LEN: usize = MAX_OBJECT_LEN - HEADER_LEN - 4 - TAG_AND_NONCE - SIGNATURE_LEN;

const HEADER_LEN: usize = 8 + 1 + 16 + 8 + 8 + 4;
const SIGNATURE_LEN: usize = 64;
/// What `Cipher::seal` adds to a plaintext (nonce and tag).
const TAG_AND_NONCE: usize = 12 + 16;

/// One device of the vault: 16 random bytes, shown as 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(pub [u8; 16]);

impl DeviceId {
    /// A new random id.
    pub fn generate() -> crate::Result<Self> {
        let mut bytes = [0u8; 16];
        crate::crypto::fill_random(&mut bytes)?;
        Ok(DeviceId(bytes))
    }

    /// Reads the 32 lowercase hex digits of [`DeviceId`]'s `Display`.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 32 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let bytes = data_encoding::HEXLOWER.decode(s.as_bytes()).ok()?;
        Some(DeviceId(bytes.try_into().ok()?))
    }
}

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

/// What an object holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// The changes of one push.
    Changes,
    /// A part of a snapshot: the whole vault as one device saw it, which
    /// replaces the objects it covers.
    Snapshot,
    /// A part of an image of a device's database, for a device it invited
    /// to start from; numbered apart from the device's sequence.
    Image,
    /// A new sync key, made when a device was revoked, sealed to each
    /// device kept (`sync::revoke`); numbered by the key's epoch.
    Keys,
}

impl ObjectKind {
    fn byte(self) -> u8 {
        match self {
            ObjectKind::Changes => 1,
            ObjectKind::Snapshot => 2,
            ObjectKind::Image => 3,
            ObjectKind::Keys => 4,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(ObjectKind::Changes),
            2 => Some(ObjectKind::Snapshot),
            3 => Some(ObjectKind::Image),
            4 => Some(ObjectKind::Keys),
            _ => None,
        }
    }
}

/// The clear part of an object: who wrote it, its place in that device's
/// sequence, and when by the writer's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectHeader {
    /// What the body holds.
    pub kind: ObjectKind,
    /// The device that wrote and signed it.
    pub device: DeviceId,
    /// Its number in the device's sequence, from 1, without gaps.
    pub seq: u64,
    /// The writer's clock when it was written.
    pub hlc: Hlc,
}

impl ObjectHeader {
    /// The object's name in the store.
    pub fn name(&self) -> String {
        match self.kind {
            ObjectKind::Changes => object_name(self.device, self.seq),
            ObjectKind::Snapshot => snapshot_name(self.device, self.seq),
            ObjectKind::Image => image_name(self.device, self.seq),
            ObjectKind::Keys => keys_name(self.device, self.seq),
        }
    }

    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(MAGIC);
        out[8] = self.kind.byte();
        out[9..25].copy_from_slice(&self.device.0);
        out[25..33].copy_from_slice(&self.seq.to_be_bytes());
        out[33..41].copy_from_slice(&self.hlc.ms.to_be_bytes());
        out[41..45].copy_from_slice(&self.hlc.count.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8; HEADER_LEN]) -> Option<Self> {
        if &bytes[..8] != MAGIC {
            return None;
        }
        let be64 = |r: std::ops::Range<usize>| u64::from_be_bytes(bytes[r].try_into().unwrap());
        Some(ObjectHeader {
            kind: ObjectKind::from_byte(bytes[8])?,
            device: DeviceId(bytes[9..25].try_into().unwrap()),
            seq: be64(25..33),
            hlc: Hlc {
                ms: be64(33..41),
                count: u32::from_be_bytes(bytes[41..45].try_into().unwrap()),
            },
        })
    }
}

/// The name of a device's object number `seq`: the hex digits sort as the
/// numbers do, so a listing is in order.
pub fn object_name(device: DeviceId, seq: u64) -> String {
    format!("devices/{device}/{seq:016x}")
}

/// The name of a device's object number `seq` when it is a snapshot's part.
pub fn snapshot_name(device: DeviceId, seq: u64) -> String {
    format!("snapshots/{device}/{seq:016x}")
}

/// The name of part `seq` of a device's images.
pub fn image_name(device: DeviceId, seq: u64) -> String {
    format!("images/{device}/{seq:016x}")
}

/// The name of the key a device made for `epoch` (see [`ObjectKind::Keys`]).
pub fn keys_name(device: DeviceId, epoch: u64) -> String {
    format!("keys/{device}/{epoch:016x}")
}

/// Reads a name made by [`object_name`] or [`snapshot_name`].
pub fn parse_object_name(name: &str) -> Option<(DeviceId, u64)> {
    parse_name(name).map(|(_, d, s)| (d, s))
}

/// Reads a name made by [`object_name`] or [`snapshot_name`], with the
/// kind of object it names.
pub fn parse_name(name: &str) -> Option<(ObjectKind, DeviceId, u64)> {
    let (kind, rest) = if let Some(rest) = name.strip_prefix("devices/") {
        (ObjectKind::Changes, rest)
    } else if let Some(rest) = name.strip_prefix("images/") {
        (ObjectKind::Image, rest)
    } else if let Some(rest) = name.strip_prefix("keys/") {
        (ObjectKind::Keys, rest)
    } else {
        (ObjectKind::Snapshot, name.strip_prefix("snapshots/")?)
    };
    let (device, seq) = rest.split_once('/')?;
    if seq.len() != 16 || !seq.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    Some((
        kind,
        DeviceId::parse(device)?,
        u64::from_str_radix(seq, 16).ok()?,
    ))
}

/// What the reader knows of a device that signs objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceKey {
    /// Its Ed25519 public key.
    pub public: [u8; 32],
    /// Set once the device is revoked: its objects after this sequence
    /// number are refused (those before were accepted while it was trusted).
    pub revoked_after: Option<u64>,
}

/// Why an object read from the store was refused. Nothing of a refused
/// object is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Shorter than the smallest object: truncated.
    #[error("it is truncated")]
    Truncated,
    /// Larger than any object a device writes.
    #[error("it is larger than {MAX_OBJECT_LEN} bytes")]
    TooLarge,
    /// Not a sync object, or of a newer format.
    #[error("it is not a sync object of this version")]
    NotAnObject,
    /// The body's length does not match the object's.
    #[error("its length does not match its header (truncated or extended)")]
    LengthMismatch,
    /// Signed by a device this vault does not know.
    #[error("it was written by a device this vault does not know ({0})")]
    UnknownDevice(DeviceId),
    /// Written by a device after it was revoked.
    #[error("it was written by device {0} after the device was revoked")]
    Revoked(DeviceId),
    /// The signature does not verify: altered, or forged.
    #[error("its signature does not verify (altered or forged)")]
    BadSignature,
    /// Its name is not the one its header gives: copied or replayed.
    #[error("it is stored under another object's name (copied or replayed)")]
    Misnamed,
    /// The body does not open under any sync key this device holds:
    /// another vault's, or sealed under a key this device was not given.
    #[error(
        "it does not open with this vault's sync keys (another vault's object, or a key this device was not given)"
    )]
    Foreign,
    /// An image part that does not open under its image's key: altered,
    /// or a part of another image.
    #[error(
        "it does not open under the invitation's key for the image (altered, or another image's part)"
    )]
    NotThisImage,
}

/// Seals and signs `body` into an object.
pub fn seal_object(
    header: &ObjectHeader,
    body: &[u8],
    cipher: &Cipher,
    signer: &SigningKey,
) -> crate::Result<Vec<u8>> {
    if body.len() > MAX_BODY_LEN {
        return Err(crate::Error::invalid(format!(
            "a sync object's body is limited to {MAX_BODY_LEN} bytes"
        )));
    }
    let mut out = seal_unsigned(header, body, cipher)?;
    let signature = signer.sign(&out);
    out.extend_from_slice(&signature);
    Ok(out)
}

/// Seals `body` into an image part (see the module's comment): under the
/// image's own key, unsigned.
pub fn seal_image_part(
    header: &ObjectHeader,
    body: &[u8],
    image_cipher: &Cipher,
) -> crate::Result<Vec<u8>> {
    if header.kind != ObjectKind::Image || body.len() > MAX_BODY_LEN {
        return Err(crate::Error::invalid(format!(
            "an image part is an image's, of at most {MAX_BODY_LEN} bytes"
        )));
    }
    seal_unsigned(header, body, image_cipher)
}

/// The header, the body's length and the sealed body.
fn seal_unsigned(header: &ObjectHeader, body: &[u8], cipher: &Cipher) -> crate::Result<Vec<u8>> {
    let head = header.encode();
    let sealed = cipher.seal(&head, body)?;
    let mut out = Vec::with_capacity(HEADER_LEN + 4 + sealed.len() + SIGNATURE_LEN);
    out.extend_from_slice(&head);
    // The body's length fits: it is bounded by MAX_BODY_LEN.
    out.extend_from_slice(&(sealed.len() as u32).to_be_bytes());
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Checks an image part read from the store under `name` and opens its
/// body with the image's key, in the bytes read (a part is large): its
/// header and where the body is in `bytes`. The body is pages of the
/// vault's database, whose every value is sealed under the vault key:
/// bytes that go to disk as they are, so the buffer they are in needs no
/// wiping and is used again for the next part (wiping 4 MiB a part cost a
/// join ~35 ms; fresh buffers cost more).
pub fn open_image_part(
    name: &str,
    bytes: &mut [u8],
    image_cipher: &Cipher,
) -> Result<(ObjectHeader, std::ops::Range<usize>), Refusal> {
    let (header, sealed_len) = read_frame(bytes, 0)?;
    if parse_name(name) != Some((header.kind, header.device, header.seq))
        || header.kind != ObjectKind::Image
    {
        return Err(Refusal::Misnamed);
    }
    let head: [u8; HEADER_LEN] = bytes[..HEADER_LEN].try_into().unwrap();
    let sealed = HEADER_LEN + 4..HEADER_LEN + 4 + sealed_len;
    let body = image_cipher
        .open_in_place(&head, &mut bytes[sealed.clone()])
        .ok_or(Refusal::NotThisImage)?;
    Ok((header, sealed.start + body.start..sealed.start + body.end))
}

/// The header and the sealed body's length of an object whose bytes end
/// `trailer` bytes after the body, its size checked.
fn read_frame(bytes: &[u8], trailer: usize) -> Result<(ObjectHeader, usize), Refusal> {
    if bytes.len() > MAX_OBJECT_LEN {
        return Err(Refusal::TooLarge);
    }
    if bytes.len() < HEADER_LEN + 4 + TAG_AND_NONCE + trailer {
        // Too short to be anything; say "not an object" if it does not even
        // begin like one.
        return Err(if bytes.starts_with(MAGIC) {
            Refusal::Truncated
        } else {
            Refusal::NotAnObject
        });
    }
    let header = peek_header(bytes).ok_or(Refusal::NotAnObject)?;
    let body_len =
        u32::from_be_bytes(bytes[HEADER_LEN..HEADER_LEN + 4].try_into().unwrap()) as usize;
    let framed = HEADER_LEN + 4 + body_len + trailer;
    if bytes.len() != framed {
        return Err(if bytes.len() < framed {
            Refusal::Truncated
        } else {
            Refusal::LengthMismatch
        });
    }
    Ok((header, body_len))
}

/// Reads the header alone, unchecked: what a listing may show of an object
/// before it is fetched whole. [`open_object`] is what checks it.
pub fn peek_header(bytes: &[u8]) -> Option<ObjectHeader> {
    ObjectHeader::decode(bytes.get(..HEADER_LEN)?.try_into().ok()?)
}

/// Checks an object read from the store under `name` and opens its body.
/// `device_key` says what this vault knows of the device that wrote it.
pub fn open_object(
    name: &str,
    bytes: &[u8],
    cipher: &Cipher,
    device_key: impl FnOnce(DeviceId) -> Option<DeviceKey>,
) -> Result<(ObjectHeader, Zeroizing<Vec<u8>>), Refusal> {
    open_object_with(name, bytes, std::slice::from_ref(cipher), device_key)
}

/// [`open_object`] with any of several sync keys (the newest first): a
/// vault that revoked a device has a key for each revocation, and objects
/// written before one stay sealed under the key of their time.
pub fn open_object_with(
    name: &str,
    bytes: &[u8],
    ciphers: &[Cipher],
    device_key: impl FnOnce(DeviceId) -> Option<DeviceKey>,
) -> Result<(ObjectHeader, Zeroizing<Vec<u8>>), Refusal> {
    let (header, body_len) = read_frame(bytes, SIGNATURE_LEN)?;
    let signed_len = HEADER_LEN + 4 + body_len;
    let key = device_key(header.device).ok_or(Refusal::UnknownDevice(header.device))?;
    if !verify_signature(&key.public, &bytes[..signed_len], &bytes[signed_len..]) {
        return Err(Refusal::BadSignature);
    }
    if key.revoked_after.is_some_and(|last| header.seq > last) {
        return Err(Refusal::Revoked(header.device));
    }
    if parse_name(name) != Some((header.kind, header.device, header.seq)) {
        return Err(Refusal::Misnamed);
    }
    let body = ciphers
        .iter()
        .find_map(|c| c.open(&bytes[..HEADER_LEN], &bytes[HEADER_LEN + 4..signed_len]))
        .ok_or(Refusal::Foreign)?;
    Ok((header, body))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::crypto::SecretKey;

    struct Fixture {
        cipher: Cipher,
        signer: SigningKey,
        header: ObjectHeader,
    }

    fn fixture() -> Fixture {
        Fixture {
            cipher: Cipher::new(&SecretKey::generate().unwrap()),
            signer: SigningKey::generate().unwrap(),
            header: ObjectHeader {
                kind: ObjectKind::Changes,
                device: DeviceId([7; 16]),
                seq: 3,
                hlc: Hlc {
                    ms: 1_790_000_000_000,
                    count: 2,
                },
            },
        }
    }

    impl Fixture {
        fn key(&self) -> impl Fn(DeviceId) -> Option<DeviceKey> + '_ {
            move |d| {
                (d == self.header.device).then(|| DeviceKey {
                    public: self.signer.public_key(),
                    revoked_after: None,
                })
            }
        }

        fn open(&self, name: &str, bytes: &[u8]) -> Result<(ObjectHeader, Vec<u8>), Refusal> {
            open_object(name, bytes, &self.cipher, self.key()).map(|(h, b)| (h, b.to_vec()))
        }
    }

    #[test]
    fn an_object_opens_under_its_name_with_its_header_and_body() {
        let f = fixture();
        let obj = seal_object(&f.header, b"the changes", &f.cipher, &f.signer).unwrap();
        let name = f.header.name();
        assert_eq!(
            name,
            "devices/07070707070707070707070707070707/0000000000000003"
        );
        assert_eq!(
            f.open(&name, &obj).unwrap(),
            (f.header, b"the changes".to_vec())
        );
        // The store sees nothing of the body.
        assert!(!obj.windows(7).any(|w| w == b"changes"));
    }

    #[test]
    fn every_way_a_store_can_spoil_an_object_is_refused_by_name() {
        let f = fixture();
        let name = f.header.name();
        let obj = seal_object(&f.header, b"body", &f.cipher, &f.signer).unwrap();

        assert_eq!(
            f.open(&name, &obj[..obj.len() - 1]),
            Err(Refusal::Truncated)
        );
        assert_eq!(f.open(&name, &obj[..60]), Err(Refusal::Truncated));
        assert_eq!(f.open(&name, b"hello"), Err(Refusal::NotAnObject));
        let mut longer = obj.clone();
        longer.push(0);
        assert_eq!(f.open(&name, &longer), Err(Refusal::LengthMismatch));
        let big = vec![0u8; MAX_OBJECT_LEN + 1];
        assert_eq!(f.open(&name, &big), Err(Refusal::TooLarge));

        // One byte altered anywhere after the magic: refused, never opened.
        for i in 8..obj.len() {
            let mut bad = obj.clone();
            bad[i] ^= 0x01;
            assert!(
                f.open(&name, &bad).is_err(),
                "byte {i} altered was accepted"
            );
        }

        // Copied under the name of the device's next object: a replay.
        let next = object_name(f.header.device, 4);
        assert_eq!(f.open(&next, &obj), Err(Refusal::Misnamed));
        // Or as a snapshot's part under its own number.
        let as_snapshot = snapshot_name(f.header.device, 3);
        assert_eq!(f.open(&as_snapshot, &obj), Err(Refusal::Misnamed));

        // Signed by a device the vault does not know.
        let stranger = ObjectHeader {
            device: DeviceId([9; 16]),
            ..f.header
        };
        let other = seal_object(&stranger, b"body", &f.cipher, &f.signer).unwrap();
        assert_eq!(
            f.open(&stranger.name(), &other),
            Err(Refusal::UnknownDevice(DeviceId([9; 16])))
        );

        // A known device id, signed by another key: forged.
        let forger = SigningKey::generate().unwrap();
        let forged = seal_object(&f.header, b"body", &f.cipher, &forger).unwrap();
        assert_eq!(f.open(&name, &forged), Err(Refusal::BadSignature));

        // The right device, another vault's sync key.
        let foreign_cipher = Cipher::new(&SecretKey::generate().unwrap());
        let foreign = seal_object(&f.header, b"body", &foreign_cipher, &f.signer).unwrap();
        assert_eq!(f.open(&name, &foreign), Err(Refusal::Foreign));
    }

    #[test]
    fn a_revoked_device_is_believed_up_to_its_last_object_and_no_further() {
        let f = fixture();
        let revoked = |d: DeviceId| {
            (d == f.header.device).then(|| DeviceKey {
                public: f.signer.public_key(),
                revoked_after: Some(3),
            })
        };
        let obj = seal_object(&f.header, b"x", &f.cipher, &f.signer).unwrap();
        assert!(open_object(&f.header.name(), &obj, &f.cipher, revoked).is_ok());
        let later = ObjectHeader { seq: 4, ..f.header };
        let obj = seal_object(&later, b"x", &f.cipher, &f.signer).unwrap();
        assert_eq!(
            open_object(&later.name(), &obj, &f.cipher, revoked).map(|_| ()),
            Err(Refusal::Revoked(f.header.device))
        );
    }

    #[test]
    fn an_image_part_opens_with_its_key_alone_and_every_spoiling_is_refused() {
        let f = fixture();
        let header = ObjectHeader {
            kind: ObjectKind::Image,
            ..f.header
        };
        let name = header.name();
        let part = seal_image_part(&header, b"pages of the database", &f.cipher).unwrap();
        let open = |name: &str, bytes: &[u8]| {
            let mut bytes = bytes.to_vec();
            open_image_part(name, &mut bytes, &f.cipher).map(|(h, body)| (h, bytes[body].to_vec()))
        };
        assert_eq!(
            open(&name, &part).unwrap(),
            (header, b"pages of the database".to_vec())
        );
        assert!(!part.windows(8).any(|w| w == b"database"));

        assert_eq!(
            open(&name, &part[..part.len() - 1]),
            Err(Refusal::Truncated)
        );
        assert_eq!(
            open(&name, &[&part[..], b"x"].concat()),
            Err(Refusal::LengthMismatch)
        );
        let mut altered = part.clone();
        altered[part.len() / 2] ^= 1;
        assert_eq!(open(&name, &altered), Err(Refusal::NotThisImage));
        // Another image's key: a part of another image.
        let other = Cipher::new(&SecretKey::generate().unwrap());
        assert_eq!(
            open_image_part(&name, &mut part.clone(), &other).map(|_| ()),
            Err(Refusal::NotThisImage)
        );
        // Under another part's name, or as an object of another kind.
        let next = ObjectHeader { seq: 4, ..header }.name();
        assert_eq!(open(&next, &part), Err(Refusal::Misnamed));
        let signed = seal_object(&f.header, b"changes", &f.cipher, &f.signer).unwrap();
        assert!(open(&f.header.name(), &signed).is_err());
        assert!(seal_image_part(&f.header, b"changes", &f.cipher).is_err());
    }

    #[test]
    fn a_body_too_large_for_one_object_is_refused_when_sealing() {
        let f = fixture();
        let body = vec![0u8; MAX_BODY_LEN + 1];
        assert!(seal_object(&f.header, &body, &f.cipher, &f.signer).is_err());
        let body = vec![0u8; MAX_BODY_LEN];
        let obj = seal_object(&f.header, &body, &f.cipher, &f.signer).unwrap();
        assert_eq!(obj.len(), MAX_OBJECT_LEN);
        assert!(f.open(&f.header.name(), &obj).is_ok());
    }

    #[test]
    fn names_are_read_back_and_nothing_else_is_a_name() {
        let d = DeviceId([0xab; 16]);
        assert_eq!(
            parse_object_name(&object_name(d, u64::MAX)),
            Some((d, u64::MAX))
        );
        assert_eq!(
            parse_name(&snapshot_name(d, 7)),
            Some((ObjectKind::Snapshot, d, 7))
        );
        for bad in [
            "devices/abab/0000000000000001",
            "devices/ABABABABABABABABABABABABABABABAB/0000000000000001",
            "devices/abababababababababababababababab/1",
            "devices/abababababababababababababababab/000000000000000g",
            "devices/abababababababababababababababab/0000000000000001/x",
            "other/abababababababababababababababab/0000000000000001",
            "",
        ] {
            assert_eq!(parse_object_name(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_bytes_are_refused_or_opened_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let f = fixture();
            let _ = f.open(&f.header.name(), &bytes);
            let mut framed = MAGIC.to_vec();
            framed.extend_from_slice(&bytes);
            prop_assert!(f.open(&f.header.name(), &framed).is_err());
        }
    }
}
