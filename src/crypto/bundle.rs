//! Share bundles: age files exchanged with brands.
//!
//! A bundle is a plain [age](https://age-encryption.org/v1) file, encrypted to
//! the brand's `age1…` X25519 recipient and to the person's own recipient, so
//! the brand opens it with the stock `age` command (or `vrm brand-kit open`)
//! and the person can still read what they sent.
//!
//! Opening is the risky direction: the input comes from outside. [`decrypt`]
//! therefore bounds everything before age sees the file: the input size, the
//! size of the header and the number of recipient stanzas in it, the scrypt
//! work a passphrase file may demand, and the plaintext it may produce (see
//! [`OpenLimits`]). Plaintext is only ever returned whole: a payload that fails
//! authentication part-way gives an error, never the chunks before it.
//!
//! Both the binary format and ASCII armor (`age -a`) are read. Only X25519
//! identities and passphrases (scrypt) are supported: post-quantum hybrid
//! (`age1pq1…`), SSH and plugin keys are refused with a clear error.

use std::fmt;
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// How many recipients [`encrypt`] accepts. age adds one "grease" stanza to
/// every file it writes, so anything we write stays within the default
/// [`OpenLimits::max_stanzas`].
pub const MAX_RECIPIENTS: usize = 31;

/// The largest age header [`decrypt`] reads. age re-parses the header from the
/// start for every line it reads, so a huge header costs quadratic time; 64 KiB
/// holds 32 stanzas even of the large post-quantum kind (about 1.6 KiB each),
/// while an X25519 stanza is about 100 bytes.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

const MIB: u64 = 1024 * 1024;
const V1_LINE: &[u8] = b"age-encryption.org/v1\n";
const AGE_MAGIC: &[u8] = b"age-encryption.org/";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
/// Width of a full stanza body line (base64 columns).
const STANZA_COLUMNS: usize = 64;
/// `--- `, 43 base64 characters of MAC, and the newline.
const MAC_LINE_LEN: usize = 4 + 43 + 1;
/// Plaintext is read in pieces of this size.
const READ_CHUNK: usize = 64 * 1024;

/// An age X25519 identity (secret key). `Debug` shows only its recipient.
pub struct AgeIdentity(age::x25519::Identity);

impl AgeIdentity {
    /// A fresh identity from the operating system's random number generator
    /// (through age, which panics only if that generator fails).
    pub fn generate() -> Self {
        AgeIdentity(age::x25519::Identity::generate())
    }

    /// One identity: an `AGE-SECRET-KEY-1…` line, or the text of an identity
    /// file as `age-keygen` writes it (`#` comments, blank lines, one key).
    pub fn parse(text: &str) -> Result<Self> {
        let mut keys = Self::parse_file(text)?;
        match keys.len() {
            1 => Ok(keys.remove(0)),
            n => Err(Error::invalid_field(
                "identity",
                format!("the identity text holds {n} age secret keys; expected one"),
            )),
        }
    }

    /// Every identity in an identity file's text (`#` comments and blank lines
    /// skipped). At least one key must be there. Errors name the line, never
    /// its content (it may be a mistyped secret key).
    pub fn parse_file(text: &str) -> Result<Vec<Self>> {
        let mut keys = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = parse_secret_key(line).map_err(|why| {
                Error::invalid_field("identity", format!("identity line {}: {why}", i + 1))
            })?;
            keys.push(AgeIdentity(key));
        }
        if keys.is_empty() {
            return Err(Error::invalid_field(
                "identity",
                "no age secret key (AGE-SECRET-KEY-1…) in the identity text",
            ));
        }
        Ok(keys)
    }

    /// The matching public recipient (`age1…`), to encrypt to.
    pub fn recipient(&self) -> String {
        self.0.to_public().to_string()
    }

    /// The secret key as an `AGE-SECRET-KEY-1…` string, for storing it sealed
    /// or writing an identity file.
    pub fn to_secret_string(&self) -> SecretString {
        self.0.to_string()
    }
}

impl fmt::Debug for AgeIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgeIdentity")
            .field("recipient", &self.recipient())
            .finish_non_exhaustive()
    }
}

/// `text` starts with `prefix`, ignoring ASCII case, without copying `text`
/// (it may be a secret key, and a copy would not be zeroized).
fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn parse_secret_key(line: &str) -> std::result::Result<age::x25519::Identity, &'static str> {
    if starts_with_ignore_case(line, "AGE-SECRET-KEY-PQ-") {
        return Err("a post-quantum (ML-KEM hybrid) key, which VRM Vault does not support yet");
    }
    if starts_with_ignore_case(line, "AGE-PLUGIN-") {
        return Err("an age plugin identity, which VRM Vault does not support");
    }
    age::x25519::Identity::from_str(line)
        .map_err(|_| "not an age X25519 secret key (AGE-SECRET-KEY-1…)")
}

/// Parse an age X25519 recipient (`age1…`). The error never repeats the input,
/// in case a secret key was pasted by mistake.
pub fn parse_recipient(text: &str) -> Result<age::x25519::Recipient> {
    let text = text.trim();
    let why = if starts_with_ignore_case(text, "AGE-SECRET-KEY-") {
        "this is a secret key; give its public recipient (age1…) instead"
    } else if starts_with_ignore_case(text, "age1pq1") {
        "post-quantum (age1pq1…) recipients are not supported yet; give an age1… X25519 recipient"
    } else if starts_with_ignore_case(text, "ssh-") || starts_with_ignore_case(text, "ecdsa-") {
        "SSH keys are not supported as recipients; give an age1… X25519 recipient"
    } else {
        match age::x25519::Recipient::from_str(text) {
            Ok(r) => return Ok(r),
            // A valid X25519 recipient is 62 characters; other lengths are
            // plugin or tagged recipients (age1yubikey1…, age1tag1…).
            Err(_) if starts_with_ignore_case(text, "age1") && text.len() != 62 => {
                "not an age X25519 recipient (age1… followed by 58 letters and digits); plugin and other recipient types are not supported"
            }
            Err(_) => "not an age X25519 recipient (age1… followed by 58 letters and digits)",
        }
    };
    Err(Error::invalid_field("recipient", why))
}

fn encryptor<S: AsRef<str>>(recipients: &[S]) -> Result<age::Encryptor> {
    if recipients.is_empty() {
        return Err(Error::invalid_field(
            "recipient",
            "give at least one age recipient",
        ));
    }
    let mut parsed: Vec<age::x25519::Recipient> = Vec::with_capacity(recipients.len());
    let mut seen = std::collections::HashSet::new();
    for (i, r) in recipients.iter().enumerate() {
        let r = parse_recipient(r.as_ref())
            .map_err(|e| Error::invalid_field("recipient", format!("recipient {}: {e}", i + 1)))?;
        // Compare the canonical form, so case or spacing does not duplicate.
        if seen.insert(r.to_string()) {
            parsed.push(r);
        }
    }
    if parsed.len() > MAX_RECIPIENTS {
        return Err(Error::invalid_field(
            "recipient",
            format!("at most {MAX_RECIPIENTS} different recipients per bundle"),
        ));
    }
    age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| Error::invalid_field("recipient", e.to_string()))
}

// Writing into a Vec cannot fail; this keeps the signature honest anyway.
fn write_failed(e: std::io::Error) -> Error {
    Error::Bundle(format!("encrypting failed: {e}"))
}

/// Encrypt `plaintext` to age X25519 recipients (`age1…`), in age's binary
/// format. Duplicates are written once; at most [`MAX_RECIPIENTS`].
pub fn encrypt<S: AsRef<str>>(plaintext: &[u8], recipients: &[S]) -> Result<Vec<u8>> {
    let encryptor = encryptor(recipients)?;
    let mut out = Vec::with_capacity(plaintext.len() + 1024);
    let mut writer = encryptor.wrap_output(&mut out).map_err(write_failed)?;
    writer.write_all(plaintext).map_err(write_failed)?;
    writer.finish().map_err(write_failed)?;
    Ok(out)
}

/// Like [`encrypt`], but ASCII-armored (`age -a`): text that survives email
/// and copy-paste.
pub fn encrypt_armored<S: AsRef<str>>(plaintext: &[u8], recipients: &[S]) -> Result<String> {
    use age::armor::{ArmoredWriter, Format};
    let encryptor = encryptor(recipients)?;
    let mut out = Vec::with_capacity(plaintext.len() * 4 / 3 + 1024);
    let armored = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(write_failed)?;
    let mut writer = encryptor.wrap_output(armored).map_err(write_failed)?;
    writer.write_all(plaintext).map_err(write_failed)?;
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .map_err(write_failed)?;
    String::from_utf8(out).map_err(|_| Error::Bundle("the armor is not text".into()))
}

/// What opens a bundle.
#[derive(Debug, Clone, Copy)]
pub enum OpenKey<'a> {
    /// Any of these X25519 identities.
    Identities(&'a [AgeIdentity]),
    /// This passphrase (an age scrypt file, `age -p`).
    Passphrase(&'a SecretString),
}

/// Bounds on what [`decrypt`] accepts from a foreign file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenLimits {
    /// Largest input, armored or not. Default 64 MiB: a bundle holds records
    /// and perhaps a few receipts, and the whole file is kept in memory.
    pub max_input_bytes: u64,
    /// Most plaintext returned. Default 64 MiB. age has no compression, so the
    /// plaintext is always smaller than the file; this bounds memory when a
    /// caller raises `max_input_bytes`, and caps what a damaged length could
    /// claim.
    pub max_plaintext_bytes: u64,
    /// Most recipient stanzas (`-> ` lines) in the header. Default 32: a
    /// bundle has two recipients plus one grease stanza, and files from the
    /// `age` command to a team stay well below. Each stanza costs an X25519
    /// operation per identity, so this bounds the work before any key matches.
    pub max_stanzas: usize,
    /// Largest scrypt work factor (log2 N) a passphrase file may demand.
    /// Default 20: 1 GiB of memory and a few seconds. `age -p` (Go) writes 18
    /// and rage aims at about one second (18 to 20 on current machines); 22
    /// would take 4 GiB, so a hostile file cannot make us burn minutes.
    pub max_scrypt_work_factor: u8,
}

impl Default for OpenLimits {
    fn default() -> Self {
        OpenLimits {
            max_input_bytes: 64 * MIB,
            max_plaintext_bytes: 64 * MIB,
            max_stanzas: 32,
            max_scrypt_work_factor: 20,
        }
    }
}

/// Open a bundle (binary or ASCII-armored) within `limits`.
///
/// Errors: [`Error::BundleWrongKey`] when the file is sound but the key does
/// not open it (no identity matches, wrong passphrase, or a passphrase given
/// for an identity file and the other way round); [`Error::TooLarge`] when a
/// limit is crossed; [`Error::Bundle`] when it is malformed, damaged or
/// truncated; [`Error::Invalid`] for an empty identity list.
pub fn decrypt(input: &[u8], key: &OpenKey<'_>, limits: &OpenLimits) -> Result<Zeroizing<Vec<u8>>> {
    if input.len() as u64 > limits.max_input_bytes {
        return Err(Error::TooLarge {
            what: "bytes of bundle input",
            limit: limits.max_input_bytes,
        });
    }
    if let OpenKey::Identities(ids) = key
        && ids.is_empty()
    {
        return Err(Error::invalid_field(
            "identity",
            "give at least one age identity",
        ));
    }
    if input.trim_ascii().is_empty() {
        return Err(Error::Bundle("the file is empty".into()));
    }
    // The armor may be preceded by whitespace (the age spec allows it around
    // the armor); age's reader wants the begin marker first.
    let trimmed = input.trim_ascii_start();
    let input = if trimmed.starts_with(ARMOR_BEGIN) {
        trimmed
    } else {
        input
    };

    let mut armored = age::armor::ArmoredReader::new(input);
    let header = scan_header(&mut armored, limits.max_stanzas)?;
    let decryptor = age::Decryptor::new_buffered((&header[..]).chain(armored))
        .map_err(|e| decrypt_error(e, key, limits))?;

    let reader = match key {
        OpenKey::Identities(ids) => {
            if decryptor.is_scrypt() {
                return Err(Error::BundleWrongKey(
                    "this bundle is protected by a passphrase, not an age identity",
                ));
            }
            decryptor.decrypt(ids.iter().map(|i| &i.0 as &dyn age::Identity))
        }
        OpenKey::Passphrase(p) => {
            if !decryptor.is_scrypt() {
                return Err(Error::BundleWrongKey(
                    "this bundle is encrypted to age identities, not a passphrase",
                ));
            }
            let mut identity =
                age::scrypt::Identity::new(SecretString::from(p.expose_secret().to_owned()));
            identity.set_max_work_factor(limits.max_scrypt_work_factor);
            decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity))
        }
    }
    .map_err(|e| decrypt_error(e, key, limits))?;

    // The plaintext is never longer than the input, so this capacity is never
    // outgrown and no copy of the plaintext is left behind by a reallocation.
    let capacity = input
        .len()
        .min(usize::try_from(limits.max_plaintext_bytes).unwrap_or(usize::MAX));
    read_plaintext(reader, limits.max_plaintext_bytes, capacity)
}

/// [`decrypt`] a file, checking its size before reading it.
pub fn decrypt_file(
    path: &Path,
    key: &OpenKey<'_>,
    limits: &OpenLimits,
) -> Result<Zeroizing<Vec<u8>>> {
    let too_large = || Error::TooLarge {
        what: "bytes of bundle input",
        limit: limits.max_input_bytes,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > limits.max_input_bytes {
        return Err(too_large());
    }
    // The file may grow after the check; read one byte past the limit to see.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(limits.max_input_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limits.max_input_bytes {
        return Err(too_large());
    }
    decrypt(&bytes, key, limits)
}

/// An age file being read from `reader` (binary, not armored), its header
/// first read and checked under `limits` as [`decrypt`] checks a bundle's:
/// bounded size, at most `max_stanzas` stanzas, well-formed lines. For files
/// too big to hold whole (a backup); the payload is then streamed.
pub(crate) fn checked_decryptor<R: BufRead>(
    mut reader: R,
    limits: &OpenLimits,
) -> Result<age::Decryptor<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>> {
    let header = scan_header(&mut reader, limits.max_stanzas)?;
    age::Decryptor::new_buffered(std::io::Cursor::new(header).chain(reader)).map_err(|e| match e {
        age::DecryptError::InvalidHeader => Error::Bundle("the age header is malformed".into()),
        other => Error::Bundle(format!("the age header cannot be read ({other})")),
    })
}

/// Read the header up to and including its `---` MAC line, counting the
/// stanzas, so age only ever parses a header of bounded size and stanza count.
fn scan_header(reader: &mut impl BufRead, max_stanzas: usize) -> Result<Vec<u8>> {
    let mut header = Vec::new();
    // The version line first, read no further than its expected length, so a
    // binary blob is "not an age file" rather than "header too large".
    reader
        .by_ref()
        .take(V1_LINE.len() as u64)
        .read_until(b'\n', &mut header)
        .map_err(|e| read_error(e, "too short to be an age file"))?;
    if header != V1_LINE {
        return Err(Error::Bundle(
            if header.starts_with(b"age-encryption.org/v1\r") {
                malformed("its lines end in CR LF")
            } else if header.starts_with(AGE_MAGIC) {
                "it uses an age format version this program does not read".into()
            } else {
                "not an age file".into()
            },
        ));
    }
    let mut stanzas = 0usize;
    let mut in_stanza = false;
    loop {
        let start = header.len();
        let room = (MAX_HEADER_BYTES.saturating_sub(start)) as u64;
        reader
            .by_ref()
            .take(room)
            .read_until(b'\n', &mut header)
            .map_err(|e| read_error(e, "the age header is truncated"))?;
        let line = &header[start..];
        if !line.ends_with(b"\n") {
            if header.len() >= MAX_HEADER_BYTES {
                return Err(Error::TooLarge {
                    what: "bytes of age header",
                    limit: MAX_HEADER_BYTES as u64,
                });
            }
            return Err(Error::Bundle("the age header is truncated".into()));
        }
        let is_stanza = line.starts_with(b"->");
        let is_mac = line.starts_with(b"---");
        if line.contains(&b'\r') {
            return Err(Error::Bundle(malformed("its lines end in CR LF")));
        }
        // Every stanza body ends with a line shorter than 64 columns (maybe
        // empty). age 0.12 tolerates a missing one for old rage files; we
        // follow the spec (and the CCTV vectors), as no X25519 or scrypt file
        // lacks it.
        if (is_stanza || is_mac) && in_stanza {
            return Err(Error::Bundle(malformed(
                "a recipient stanza lacks its final short line",
            )));
        }
        if is_stanza {
            stanzas += 1;
            if stanzas > max_stanzas {
                return Err(Error::TooLarge {
                    what: "recipient stanzas in the age header",
                    limit: max_stanzas as u64,
                });
            }
            in_stanza = true;
        } else if is_mac {
            // `--- ` and the MAC, 32 bytes in base64. Checking the length here
            // keeps age from reading on into the payload for the missing part.
            if line.len() != MAC_LINE_LEN {
                return Err(Error::Bundle(malformed("its MAC line is damaged")));
            }
            return Ok(header);
        } else if line.len() - 1 > STANZA_COLUMNS {
            return Err(Error::Bundle(malformed(
                "a stanza line is longer than 64 columns",
            )));
        } else if line.len() - 1 < STANZA_COLUMNS {
            in_stanza = false;
        }
    }
}

fn malformed(why: &str) -> String {
    format!("the age header is malformed ({why})")
}

/// An I/O error while reading the file: truncation, bad armor, or a payload
/// chunk that does not authenticate. None of these messages holds a secret.
fn read_error(e: std::io::Error, on_eof: &str) -> Error {
    if let Some(armor) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<age::armor::ArmoredReadError>())
    {
        return Error::Bundle(format!("the ASCII armor is malformed ({armor})"));
    }
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => Error::Bundle(on_eof.into()),
        _ => Error::Bundle(format!("the file is damaged ({e})")),
    }
}

/// A payload chunk that does not authenticate, is missing or is in excess.
fn payload_error(e: std::io::Error) -> Error {
    let is_armor = e
        .get_ref()
        .is_some_and(|inner| inner.is::<age::armor::ArmoredReadError>());
    if e.kind() == std::io::ErrorKind::InvalidData && !is_armor {
        return Error::Bundle(format!("the payload is damaged or was altered ({e})"));
    }
    read_error(e, "the payload is truncated")
}

fn decrypt_error(e: age::DecryptError, key: &OpenKey<'_>, limits: &OpenLimits) -> Error {
    use age::DecryptError as E;
    match e {
        // x25519 reports no match; scrypt reports a failed decryption of the
        // file key, which for a well-formed stanza means a wrong passphrase.
        E::NoMatchingKeys | E::DecryptionFailed | E::KeyDecryptionFailed => {
            Error::BundleWrongKey(match key {
                OpenKey::Identities(_) => "none of the given age identities opens this bundle",
                OpenKey::Passphrase(_) => "the passphrase does not open this bundle",
            })
        }
        E::ExcessiveWork { required, .. } => Error::Bundle(format!(
            "its passphrase protection asks for scrypt work factor {required}, above the {} this program accepts",
            limits.max_scrypt_work_factor
        )),
        E::InvalidHeader => Error::Bundle("the age header is malformed".into()),
        E::InvalidMac => {
            Error::Bundle("the age header fails its integrity check (damaged or altered)".into())
        }
        // The version line was checked already: age says this when the v1
        // header does not parse (e.g. a non-canonical stanza body).
        E::UnknownFormat => Error::Bundle("the age header is malformed".into()),
        E::Io(e) => read_error(e, "the file is truncated"),
        other => Error::Bundle(other.to_string()),
    }
}

fn read_plaintext(
    mut reader: impl Read,
    limit: u64,
    capacity: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(capacity));
    let mut chunk = Zeroizing::new(vec![0u8; READ_CHUNK]);
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(payload_error(e)),
        };
        let total = out.len() + n;
        if total as u64 > limit {
            return Err(Error::TooLarge {
                what: "bytes of plaintext",
                limit,
            });
        }
        if total > out.capacity() {
            // Grow by hand so the old buffer is zeroized, not just freed.
            let mut bigger = Zeroizing::new(Vec::with_capacity(total.max(out.capacity() * 2)));
            bigger.extend_from_slice(&out);
            out = bigger;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn round_trip_to_two_recipients_either_opens() {
        let brand = AgeIdentity::generate();
        let me = AgeIdentity::generate();
        let bundle = encrypt(b"hello brand", &[brand.recipient(), me.recipient()]).unwrap();
        assert!(bundle.starts_with(V1_LINE));
        for id in [brand, me] {
            let ids = [id];
            let plain =
                decrypt(&bundle, &OpenKey::Identities(&ids), &OpenLimits::default()).unwrap();
            assert_eq!(&plain[..], b"hello brand");
        }
    }

    #[test]
    fn armored_round_trip() {
        let id = AgeIdentity::generate();
        let text = encrypt_armored(b"armored", &[id.recipient()]).unwrap();
        assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        let ids = [id];
        let plain = decrypt(
            format!("\n  {text}\n").as_bytes(),
            &OpenKey::Identities(&ids),
            &OpenLimits::default(),
        )
        .unwrap();
        assert_eq!(&plain[..], b"armored");
    }

    #[test]
    fn duplicates_are_written_once() {
        let id = AgeIdentity::generate();
        let r = id.recipient();
        let bundle = encrypt(b"x", &[r.clone(), format!("  {r} "), r]).unwrap();
        let stanzas = bundle
            .split(|&b| b == b'\n')
            .take_while(|l| !l.starts_with(b"---"))
            .filter(|l| l.starts_with(b"-> X25519 "))
            .count();
        assert_eq!(stanzas, 1);
    }

    #[test]
    fn encrypt_refuses_bad_recipient_lists() {
        let none: [&str; 0] = [];
        assert_eq!(encrypt(b"x", &none).unwrap_err().code(), "input.invalid");
        let id = AgeIdentity::generate();
        let secret = id.to_secret_string();
        let err = encrypt(b"x", &[secret.expose_secret()]).unwrap_err();
        assert_eq!(err.code(), "input.invalid");
        assert!(!err.to_string().contains(secret.expose_secret()));
        assert!(err.to_string().contains("secret key"), "{err}");
        let many: Vec<String> = (0..=MAX_RECIPIENTS)
            .map(|_| AgeIdentity::generate().recipient())
            .collect();
        assert_eq!(encrypt(b"x", &many).unwrap_err().code(), "input.invalid");
        assert!(encrypt(b"x", &many[..MAX_RECIPIENTS]).is_ok());
    }

    #[test]
    fn parse_recipient_explains_unsupported_kinds() {
        for (input, hint) in [
            ("age1pq1abcdef", "post-quantum"),
            ("ssh-ed25519 AAAA", "SSH"),
            ("age1yubikey1qwerty", "plugin"),
            ("hello", "age1…"),
            ("", "age1…"),
        ] {
            let err = parse_recipient(input).unwrap_err();
            assert_eq!(err.code(), "input.invalid");
            assert!(err.to_string().contains(hint), "{input}: {err}");
        }
        let id = AgeIdentity::generate();
        let r = parse_recipient(&format!(" {}\n", id.recipient())).unwrap();
        assert_eq!(r.to_string(), id.recipient());
    }

    #[test]
    fn identity_parse_accepts_keygen_files_and_hides_the_key() {
        let id = AgeIdentity::generate();
        let secret = id.to_secret_string();
        let file = format!(
            "# created: 2026-01-01T00:00:00Z\n# public key: {}\n\n{}\r\n",
            id.recipient(),
            secret.expose_secret()
        );
        let parsed = AgeIdentity::parse(&file).unwrap();
        assert_eq!(parsed.recipient(), id.recipient());
        let again = AgeIdentity::parse(secret.expose_secret()).unwrap();
        assert_eq!(again.recipient(), id.recipient());
        let debug = format!("{parsed:?}");
        assert!(debug.contains(&id.recipient()));
        assert!(!debug.contains(secret.expose_secret()));
        assert!(!debug.to_lowercase().contains("age-secret-key"));

        let other = AgeIdentity::generate();
        let two = format!("{file}{}\n", other.to_secret_string().expose_secret());
        assert_eq!(AgeIdentity::parse_file(&two).unwrap().len(), 2);
        assert_eq!(
            AgeIdentity::parse(&two).unwrap_err().code(),
            "input.invalid"
        );
    }

    #[test]
    fn identity_parse_errors_name_the_line_not_the_content() {
        let id = AgeIdentity::generate();
        let secret = id.to_secret_string();
        // A mistyped key (last character dropped) must not be echoed.
        let typo = &secret.expose_secret()[..secret.expose_secret().len() - 1];
        let err = AgeIdentity::parse(&format!("# comment\n{typo}\n")).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(!err.to_string().contains(typo));
        for (text, hint) in [
            ("", "no age secret key"),
            ("# only a comment\n", "no age secret key"),
            (
                "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG",
                "post-quantum",
            ),
            ("AGE-PLUGIN-YUBIKEY-1QQQQ", "plugin"),
        ] {
            let err = AgeIdentity::parse(text).unwrap_err();
            assert_eq!(err.code(), "input.invalid");
            assert!(err.to_string().contains(hint), "{text:?}: {err}");
        }
    }

    #[test]
    fn passphrase_files_open_with_the_passphrase_only() {
        let mut recipient = age::scrypt::Recipient::new(pass("correct horse"));
        recipient.set_work_factor(10);
        let bundle = age::encrypt(&recipient, b"by passphrase").unwrap();
        let limits = OpenLimits::default();
        let ok = decrypt(
            &bundle,
            &OpenKey::Passphrase(&pass("correct horse")),
            &limits,
        )
        .unwrap();
        assert_eq!(&ok[..], b"by passphrase");
        let err =
            decrypt(&bundle, &OpenKey::Passphrase(&pass("wrong horse")), &limits).unwrap_err();
        assert_eq!(err.code(), "bundle.wrong_key");
        assert!(err.is_wrong_secret());
        let ids = [AgeIdentity::generate()];
        let err = decrypt(&bundle, &OpenKey::Identities(&ids), &limits).unwrap_err();
        assert_eq!(err.code(), "bundle.wrong_key");
        assert!(err.to_string().contains("passphrase"), "{err}");
    }

    #[test]
    fn scrypt_work_factor_is_capped() {
        let mut recipient = age::scrypt::Recipient::new(pass("pw"));
        recipient.set_work_factor(12);
        let bundle = age::encrypt(&recipient, b"x").unwrap();
        let limits = OpenLimits {
            max_scrypt_work_factor: 11,
            ..OpenLimits::default()
        };
        let err = decrypt(&bundle, &OpenKey::Passphrase(&pass("pw")), &limits).unwrap_err();
        assert_eq!(err.code(), "bundle.unreadable");
        assert!(err.to_string().contains("work factor 12"), "{err}");
    }

    #[test]
    fn identity_for_a_passphrase_file_and_back_is_wrong_key() {
        let id = AgeIdentity::generate();
        let bundle = encrypt(b"x", &[id.recipient()]).unwrap();
        let err = decrypt(
            &bundle,
            &OpenKey::Passphrase(&pass("pw")),
            &OpenLimits::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "bundle.wrong_key");
        assert!(err.to_string().contains("identities"), "{err}");
        let empty: [AgeIdentity; 0] = [];
        let err = decrypt(
            &bundle,
            &OpenKey::Identities(&empty),
            &OpenLimits::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "input.invalid");
    }

    #[test]
    fn plaintext_limit_is_enforced() {
        let id = AgeIdentity::generate();
        let bundle = encrypt(&vec![7u8; 200_000], &[id.recipient()]).unwrap();
        let ids = [id];
        let limits = OpenLimits {
            max_plaintext_bytes: 100_000,
            ..OpenLimits::default()
        };
        let err = decrypt(&bundle, &OpenKey::Identities(&ids), &limits).unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit: 100_000, .. }),
            "{err:?}"
        );
        let limits = OpenLimits {
            max_plaintext_bytes: 200_000,
            ..OpenLimits::default()
        };
        assert_eq!(
            decrypt(&bundle, &OpenKey::Identities(&ids), &limits)
                .unwrap()
                .len(),
            200_000
        );
    }

    #[test]
    fn read_plaintext_grows_past_a_small_capacity() {
        let data = vec![3u8; 3 * READ_CHUNK + 5];
        let out = read_plaintext(&data[..], u64::MAX, 10).unwrap();
        assert_eq!(&out[..], &data[..]);
    }

    #[test]
    fn header_scan_rejects_junk_and_other_versions() {
        let id = [AgeIdentity::generate()];
        let key = OpenKey::Identities(&id);
        let limits = OpenLimits::default();
        for (input, hint) in [
            (&b""[..], "empty"),
            (b"  \n\t", "empty"),
            (b"hello", "too short"),
            (&[0xffu8; 1000][..], "not an age file"),
            (
                b"age-encryption.org/v2\n-> X\n--- abc\nnonce-nonce-nonce",
                "version",
            ),
            (b"age-encryption.org/v1\n-> X25519 abc\nbody", "truncated"),
        ] {
            let err = decrypt(input, &key, &limits).unwrap_err();
            assert_eq!(err.code(), "bundle.unreadable", "{input:?}");
            assert!(err.to_string().contains(hint), "{input:?}: {err}");
        }
        let mut huge = V1_LINE.to_vec();
        huge.extend_from_slice(b"-> X25519 ");
        huge.extend(std::iter::repeat_n(b'A', MAX_HEADER_BYTES));
        let err = decrypt(&huge, &key, &limits).unwrap_err();
        assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    }
}
