//! Pushing and pulling changes: `vault.sync()`.
//!
//! A sync is three steps, each its own transaction:
//! 1. **Capture**: every row whose version moved since sync last saw it is
//!    compared field by field with its clock; edited fields get a new stamp
//!    and the row joins this device's outbox.
//! 2. **Pull**: each other device's objects are applied in its sequence
//!    order, one object per transaction together with the note of how far
//!    that device was applied, so an object is applied once, whole, or not
//!    at all (a kill in between repeats it, and applying a state twice
//!    changes nothing). An object that is refused stops that device's
//!    pull and is reported; an object that is missing (a file-sync tool has
//!    not delivered it yet) makes the device wait; the others go on.
//! 3. **Push**: the outbox's rows, each as its whole state, sealed and
//!    signed into the device's next object. The outbox is emptied only
//!    after the store has the object; an object found already there (a push
//!    killed after writing it) is passed over and the rows sent again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

use super::hlc::Hlc;
use super::merge::{RowClock, RowState, Stamp, flatten, unflatten};
use super::object::{
    DeviceId, DeviceKey, MAX_BODY_LEN, ObjectHeader, ObjectKind, open_object_with, parse_name,
    seal_object,
};

/// An object asked of the store.
enum Fetched {
    /// Checked and opened.
    Object(ObjectHeader, ChangesBody),
    /// Not there (removed since it was listed).
    Gone,
    /// Refused, with why.
    Refused(String),
}

/// The store's objects by device: each sequence number and its kind.
type Listing = BTreeMap<DeviceId, BTreeMap<u64, ObjectKind>>;
use super::target::{Target, TargetSpec};
use crate::crypto::did::SigningKey;
use crate::error::{Error, Result};
use crate::vault::features::Syncing;
use crate::vault::sync_rows::SyncWrite;

/// This device's own state (never synced: its kind begins with `sync.`).
pub(super) const LOCAL_KIND: &str = "sync.local";
pub(super) const LOCAL_ID: &str = "this";
/// The vault's devices, synced: each device's public key.
pub(crate) const DEVICE_KIND: &str = "device";
/// Values that lost a merge, per row, synced.
pub(crate) const HISTORY_KIND: &str = "history";

#[derive(Serialize, Deserialize)]
pub(super) struct LocalState {
    pub(super) device: String,
    /// The signing key's seed, base64 (sealed like every document).
    pub(super) seed: String,
    pub(super) hlc: Hlc,
    pub(super) next_seq: u64,
    /// Per other device, the last of its objects applied here.
    pub(super) applied: BTreeMap<String, u64>,
    /// Rows captured and not yet in an object the store holds.
    pub(super) outbox: BTreeSet<(String, String)>,
    /// Where this device syncs to.
    #[serde(default)]
    pub(super) target: Option<TargetSpec>,
    /// When this device last synced (its wall clock, ms).
    #[serde(default)]
    pub(super) last_sync_ms: Option<u64>,
    /// The manifest's last entry when changes were last captured: the
    /// next capture reads only the entries after it.
    #[serde(default)]
    pub(super) manifest_seen: Option<u64>,
    /// This device's age X25519 identity (`AGE-SECRET-KEY-1…`): what a
    /// new sync key is sealed to when another device is revoked. A device
    /// made before revocation existed makes one at its next sync.
    #[serde(default)]
    pub(super) x25519: Option<String>,
    /// The sync keys made by revocations, as this device was given them.
    #[serde(default)]
    pub(super) epochs: Vec<EpochKey>,
    /// The entries of this device's log that came with the copy it started
    /// from (its inviter's; `sync::log`).
    #[serde(default)]
    pub(super) log_base: u64,
    /// The last entry of this device's log copied for the others.
    #[serde(default)]
    pub(super) log_published: u64,
}

impl Drop for LocalState {
    fn drop(&mut self) {
        self.seed.zeroize();
        if let Some(x) = &mut self.x25519 {
            x.zeroize();
        }
    }
}

/// A sync key made when a device was revoked: epoch 1 for the first
/// revocation, and so on (epoch 0 is the key derived from the vault key).
/// Two devices revoking at once may each make one of the same epoch: the
/// one of the larger device id is written with.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct EpochKey {
    pub(super) epoch: u64,
    /// The device that made it.
    pub(super) granter: String,
    /// The key, base64.
    pub(super) key: String,
    /// The devices it was sealed to.
    pub(super) recipients: Vec<String>,
}

impl Drop for EpochKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl EpochKey {
    pub(super) fn cipher(&self) -> Result<crate::crypto::Cipher> {
        let bytes = Zeroizing::new(
            data_encoding::BASE64
                .decode(self.key.as_bytes())
                .map_err(|_| Error::Damaged("a sync key".into()))?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::Damaged("a sync key".into()))?;
        Ok(crate::crypto::Cipher::new(
            &crate::crypto::SecretKey::from_bytes(Zeroizing::new(key)),
        ))
    }
}

/// The sync keys a device writes and reads with.
pub(super) struct SyncCiphers {
    /// The newest: what this device seals its objects under.
    pub(super) write: crate::crypto::Cipher,
    /// Every key it holds, newest first (the derived key last).
    pub(super) read: Vec<crate::crypto::Cipher>,
}

impl LocalState {
    pub(super) fn device_id(&self) -> Result<DeviceId> {
        DeviceId::parse(&self.device).ok_or_else(|| Error::Damaged("this device's sync id".into()))
    }

    pub(super) fn signer(&self) -> Result<SigningKey> {
        use data_encoding::BASE64;
        let seed = Zeroizing::new(
            BASE64
                .decode(self.seed.as_bytes())
                .map_err(|_| Error::Damaged("this device's sync key".into()))?,
        );
        let seed: &[u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| Error::Damaged("this device's sync key".into()))?;
        Ok(SigningKey::from_seed(seed))
    }

    pub(super) fn to_json(&self) -> Result<Value> {
        serde_json::to_value(self).map_err(|e| Error::Database(e.to_string()))
    }
}

/// A device of the vault, as every device knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct DeviceInfo {
    /// The device's id (32 hex digits).
    pub id: String,
    /// A name the person gave it.
    pub name: String,
    /// Its Ed25519 public key, base64.
    pub public: String,
    /// Set once revoked: its objects after this one are refused.
    pub revoked_after: Option<u64>,
    /// Set by the device itself when it joined (an invited device that
    /// never joined has not).
    #[serde(default)]
    pub joined: bool,
    /// Its age X25519 recipient (`age1…`): a new sync key made when another
    /// device is revoked is sealed to it.
    #[serde(default)]
    pub recipient: Option<String>,
}

/// A device made by another (see [`Syncing::enroll_device`]), to be taken
/// up by the new device with [`Syncing::adopt_device`].
pub struct Enrollment {
    /// The new device's id.
    pub device: DeviceId,
    /// Its signing key's seed.
    pub seed: Zeroizing<[u8; 32]>,
    /// Its age X25519 identity (`AGE-SECRET-KEY-1…`).
    pub x25519: Zeroizing<String>,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("device", &self.device)
            .field("seed", &"[redacted]")
            .field("x25519", &"[redacted]")
            .finish()
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct CompactReport {
    /// The snapshot's parts written.
    pub parts: usize,
    /// The rows it holds (tombstones included).
    pub rows: usize,
    /// Objects removed from the store.
    pub removed: usize,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct SyncReport {
    /// Objects written to the store.
    pub pushed: usize,
    /// Rows they carried.
    pub rows_sent: usize,
    /// Objects of other devices applied.
    pub pulled: usize,
    /// Rows those changed here.
    pub rows_changed: usize,
    /// Fields of those rows that took another device's value.
    pub fields_merged: usize,
    /// Values that lost to a later edit of the same field and were kept in
    /// the row's history.
    pub conflicts_kept: usize,
    /// Devices whose next object is not in the store yet while a later one
    /// is: they are waited for.
    pub waiting: Vec<String>,
    /// Objects refused, with why; nothing of them was applied.
    pub refused: Vec<String>,
    /// Objects a revoked device wrote after its revocation: passed over
    /// unread (and removed by the next compaction).
    #[serde(default)]
    pub ignored_from_revoked: usize,
}

#[derive(Clone, Serialize, Deserialize)]
struct ChangesBody {
    rows: Vec<SentRow>,
    /// Set on the parts of a snapshot.
    snapshot: Option<SnapshotPart>,
}

/// What a snapshot's part says of the snapshot: which objects of each
/// device it stands for (those up to the number given), and which part of
/// how many this is. Its rows are every row's whole state, tombstones
/// included.
#[derive(Clone, Serialize, Deserialize)]
struct SnapshotPart {
    covers: BTreeMap<String, u64>,
    part: u32,
    parts: u32,
}

#[derive(Clone, Serialize, Deserialize)]
struct SentRow {
    table: String,
    key: String,
    state: RowState,
}

pub(super) fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64.encode(bytes)
}

impl Syncing<'_> {
    pub(super) fn local(&self) -> Result<Option<LocalState>> {
        self.vault.exact_doc(LOCAL_KIND, LOCAL_ID)
    }

    pub(super) fn local_or_err(&self) -> Result<LocalState> {
        self.local()?.ok_or(Error::SyncNotSetUp)
    }

    /// This device's id, once it has one.
    pub fn device_id(&self) -> Result<Option<DeviceId>> {
        self.local()?.map(|l| l.device_id()).transpose()
    }

    /// The vault's devices, revoked ones included.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>> {
        let (mut devices, _damaged): (Vec<DeviceInfo>, _) = self.vault.docs(DEVICE_KIND)?;
        devices.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(devices)
    }

    /// The sync keys this device holds: the newest to write with, all to
    /// read with.
    pub(super) fn ciphers(&self, local: &LocalState) -> Result<SyncCiphers> {
        let mut epochs: Vec<&EpochKey> = local.epochs.iter().collect();
        epochs.sort_by(|a, b| (b.epoch, &b.granter).cmp(&(a.epoch, &a.granter)));
        let mut read = Vec::with_capacity(epochs.len() + 1);
        for e in &epochs {
            read.push(e.cipher()?);
        }
        read.push(self.vault.sync_cipher());
        let write = match epochs.first() {
            Some(e) => e.cipher()?,
            None => self.vault.sync_cipher(),
        };
        Ok(SyncCiphers { write, read })
    }

    /// The revoked devices, each with the last of its objects accepted.
    fn revoked_after(&self) -> Result<BTreeMap<DeviceId, u64>> {
        Ok(self
            .devices()?
            .into_iter()
            .filter_map(|d| Some((DeviceId::parse(&d.id)?, d.revoked_after?)))
            .collect())
    }

    pub(super) fn device_key(devices: &[DeviceInfo], id: DeviceId) -> Option<DeviceKey> {
        let d = devices.iter().find(|d| d.id == id.to_string())?;
        let public = data_encoding::BASE64.decode(d.public.as_bytes()).ok()?;
        Some(DeviceKey {
            public: public.try_into().ok()?,
            revoked_after: d.revoked_after,
        })
    }

    /// Makes this vault's copy a device of its own, named `name` (the first
    /// device of a vault). Does nothing if it is one already.
    pub fn init_device(&mut self, name: &str) -> Result<DeviceId> {
        if let Some(id) = self.device_id()? {
            return Ok(id);
        }
        let enrollment = self.enroll_device(name)?;
        self.adopt_device(&enrollment)?;
        Ok(enrollment.device)
    }

    /// Adds a new device to the vault's devices, making its key here: what
    /// an invitation carries to the device.
    pub fn enroll_device(&mut self, name: &str) -> Result<Enrollment> {
        use secrecy::ExposeSecret;
        let device = DeviceId::generate()?;
        let key = SigningKey::generate()?;
        let identity = crate::crypto::bundle::AgeIdentity::generate();
        let info = DeviceInfo {
            id: device.to_string(),
            name: check_device_name(name)?,
            public: b64(&key.public_key()),
            revoked_after: None,
            joined: false,
            recipient: Some(identity.recipient()),
        };
        let value = serde_json::to_value(&info).map_err(|e| Error::Database(e.to_string()))?;
        self.vault
            .write_sync(&[], &[(DEVICE_KIND, device.to_string(), value)])?;
        Ok(Enrollment {
            device,
            seed: Zeroizing::new(*key.seed()),
            x25519: Zeroizing::new(identity.to_secret_string().expose_secret().to_string()),
        })
    }

    /// Makes this copy of the vault the enrolled device. A copy of another
    /// device's vault (what a join starts from) carries that device's
    /// state: the new device starts where it was, with that device's
    /// objects up to the copy counted as applied, and an empty outbox (the
    /// other device sends what it had not sent yet).
    pub fn adopt_device(&mut self, enrollment: &Enrollment) -> Result<()> {
        let listed = self
            .devices()?
            .into_iter()
            .any(|d| d.id == enrollment.device.to_string() && d.revoked_after.is_none());
        if !listed {
            return Err(Error::invalid(
                "this vault does not list the enrolled device (or it was revoked)",
            ));
        }
        let log_base = self.vault.audit().count().unwrap_or(0);
        let (hlc, applied, manifest_seen, epochs) = match self.local()? {
            Some(l) if l.device == enrollment.device.to_string() => {
                return Err(Error::invalid("this vault is that device already"));
            }
            Some(l) => {
                let mut applied = l.applied.clone();
                applied.insert(l.device.clone(), l.next_seq - 1);
                (l.hlc, applied, l.manifest_seen, l.epochs.clone())
            }
            None => (Hlc::ZERO, BTreeMap::new(), None, Vec::new()),
        };
        let local = LocalState {
            device: enrollment.device.to_string(),
            seed: b64(enrollment.seed.as_slice()),
            hlc,
            next_seq: 1,
            applied,
            outbox: BTreeSet::new(),
            target: None,
            last_sync_ms: None,
            manifest_seen,
            x25519: Some(enrollment.x25519.to_string()),
            epochs,
            log_base,
            log_published: log_base,
        };
        self.vault
            .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])
    }

    /// Stamps what changed here since the last sync and puts it in the
    /// outbox (step 1). Returns how many rows.
    pub fn capture(&mut self, now_ms: u64) -> Result<usize> {
        let mut local = self.local_or_err()?;
        let device = local.device_id()?;
        let (last, candidates) = self.vault.sync_candidates_since(local.manifest_seen)?;
        if candidates.is_empty() {
            if local.manifest_seen != Some(last) {
                local.manifest_seen = Some(last);
                self.vault
                    .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
            }
            return Ok(0);
        }
        local.manifest_seen = Some(last);
        local.hlc = local.hlc.tick(now_ms);
        let stamp = Stamp::new(local.hlc, device);
        let mut writes = Vec::new();
        let mut captured = 0;
        for c in candidates {
            let mut clock = self.clock(&c.table, &c.key)?;
            let read = self.vault.row_json(&c.table, &c.key)?;
            let read_version = read.as_ref().map_or(0, |r| r.0);
            let current = read.map(|(_, v)| flatten(&v));
            if clock.capture(current.as_ref(), stamp) {
                local.outbox.insert((c.table.clone(), c.key.clone()));
                captured += 1;
            }
            writes.push(SyncWrite {
                table: c.table,
                key: c.key,
                row: None,
                read_version,
                state: encode_clock(&clock)?,
            });
        }
        self.vault
            .write_sync(&writes, &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
        Ok(captured)
    }

    fn clock(&self, table: &str, key: &str) -> Result<RowClock> {
        match self.vault.sync_state(table, key)? {
            Some((_, plain)) => postcard::from_bytes(&plain).map_err(|_| Error::Tampered {
                table: "sync_rows",
                id: format!("{table}/{}", key.replacen('\0', "/", 1)),
            }),
            None => Ok(RowClock::default()),
        }
    }

    /// Captures, pulls and pushes (see the module's comment). `now_ms` is
    /// the wall clock, passed so tests can set it.
    pub fn sync_with(&mut self, target: &dyn Target, now_ms: u64) -> Result<SyncReport> {
        // This device's state (its sequence, its outbox) is read and
        // written back by each step: one run at a time.
        let _lock = self.vault.sync_lock()?;
        let mut report = SyncReport::default();
        let mut local = self.local_or_err()?;
        self.ensure_recipient(&mut local)?;
        self.publish_log(&mut local)?;
        drop(local);
        self.capture(now_ms)?;
        self.pull(target, now_ms, &mut report)?;
        self.rotate_if_needed(target, now_ms)?;
        // No second capture: a row the pull merged has its state written
        // with it, and what this device had changed is in the outbox.
        self.push(target, now_ms, &mut report)?;
        let mut local = self.local_or_err()?;
        local.last_sync_ms = Some(now_ms);
        self.vault
            .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
        Ok(report)
    }

    fn pull(&mut self, target: &dyn Target, now_ms: u64, report: &mut SyncReport) -> Result<()> {
        let me = self.local_or_err()?.device_id()?;
        let listing = target.list()?;
        let revoked = self.revoked_after()?;
        let mut by_device: Listing = BTreeMap::new();
        for name in &listing {
            if let Some((kind, device, seq)) = parse_name(name)
                && device != me
                && !matches!(kind, ObjectKind::Image | ObjectKind::Keys)
            {
                if revoked.get(&device).is_some_and(|last| seq > *last) {
                    report.ignored_from_revoked += 1;
                    continue;
                }
                by_device.entry(device).or_default().insert(seq, kind);
            }
        }
        // Keys made by revocations first: the objects after one are
        // sealed under its key.
        self.learn_keys(target, &listing, report)?;
        let cipher = self.ciphers(&self.local_or_err()?)?;
        // Passes over the devices until one applies nothing: a device's key
        // may arrive in another device's object (an invited device's, in
        // its inviter's), so an object refused as from an unknown device in
        // one pass may open in the next. What the last pass could not
        // apply is reported.
        loop {
            let mut pass = SyncReport::default();
            self.pull_pass(target, &by_device, &cipher, now_ms, &mut pass)?;
            report.pulled += pass.pulled;
            report.rows_changed += pass.rows_changed;
            report.fields_merged += pass.fields_merged;
            report.conflicts_kept += pass.conflicts_kept;
            if pass.pulled == 0 {
                report.waiting = pass.waiting;
                report.refused.extend(pass.refused);
                return Ok(());
            }
        }
    }

    fn pull_pass(
        &mut self,
        target: &dyn Target,
        by_device: &Listing,
        cipher: &SyncCiphers,
        now_ms: u64,
        report: &mut SyncReport,
    ) -> Result<()> {
        let target_objects = by_device;
        for (device, seqs) in target_objects {
            let device = *device;
            loop {
                let local = self.local_or_err()?;
                let next = local.applied.get(&device.to_string()).copied().unwrap_or(0) + 1;
                let Some(kind) = seqs.get(&next) else {
                    // Not in the store: compacted into a snapshot (which
                    // then stands for it), or not delivered yet.
                    drop(local);
                    if self.jump_via_snapshot(
                        target, by_device, device, next, cipher, now_ms, report,
                    )? {
                        continue;
                    }
                    if seqs.range(next..).next().is_some() {
                        report.waiting.push(device.to_string());
                    }
                    break;
                };
                let name = ObjectHeader {
                    kind: *kind,
                    device,
                    seq: next,
                    hlc: Hlc::ZERO,
                }
                .name();
                let (header, rows) = match self.fetch(target, &name, cipher)? {
                    Fetched::Object(h, b) => (h, b),
                    // Removed since the listing (a compaction elsewhere):
                    // the next sync finds the snapshot that stands for it.
                    Fetched::Gone => {
                        report.waiting.push(device.to_string());
                        break;
                    }
                    Fetched::Refused(why) => {
                        report.refused.push(why);
                        break;
                    }
                };
                match self.apply_retrying(local, device, &header, rows, now_ms) {
                    Ok((changed, fields, kept)) => {
                        report.pulled += 1;
                        report.rows_changed += changed;
                        report.fields_merged += fields;
                        report.conflicts_kept += kept;
                    }
                    Err(Error::Invalid { reason, .. }) => {
                        // A row that cannot be written yet (its brand is in
                        // an object not delivered) or at all: this device's
                        // objects wait, the vault is unchanged.
                        report.refused.push(format!("{name}: {reason}"));
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// An object of the store, checked and opened.
    fn fetch(&self, target: &dyn Target, name: &str, cipher: &SyncCiphers) -> Result<Fetched> {
        let Some(bytes) = target.get(name)? else {
            return Ok(Fetched::Gone);
        };
        let devices = self.devices()?;
        let (header, body) = match open_object_with(name, &bytes, &cipher.read, |d| {
            Self::device_key(&devices, d)
        }) {
            Ok(o) => o,
            Err(reason) => return Ok(Fetched::Refused(format!("{name}: {reason}"))),
        };
        match postcard::from_bytes::<ChangesBody>(&body) {
            Ok(b) if b.snapshot.is_some() == (header.kind == ObjectKind::Snapshot) => {
                Ok(Fetched::Object(header, b))
            }
            _ => Ok(Fetched::Refused(format!(
                "{name}: its body is not what its kind says"
            ))),
        }
    }

    /// When `device`'s object `next` is not in the store, finds a snapshot
    /// that stands for it (one whose objects this device has not applied
    /// yet) and applies its parts, in order. Says whether it did.
    #[allow(clippy::too_many_arguments)]
    fn jump_via_snapshot(
        &mut self,
        target: &dyn Target,
        by_device: &Listing,
        device: DeviceId,
        next: u64,
        cipher: &SyncCiphers,
        now_ms: u64,
        report: &mut SyncReport,
    ) -> Result<bool> {
        for (owner, objects) in by_device {
            let applied = self
                .local_or_err()?
                .applied
                .get(&owner.to_string())
                .copied()
                .unwrap_or(0);
            // The owner's last snapshot: the last run of its parts.
            let Some(last) = objects
                .iter()
                .rev()
                .find(|(_, k)| **k == ObjectKind::Snapshot)
                .map(|(s, _)| *s)
            else {
                continue;
            };
            if last <= applied {
                continue;
            }
            let mut first = last;
            while first > 1 && objects.get(&(first - 1)) == Some(&ObjectKind::Snapshot) {
                first -= 1;
            }
            let name = super::object::snapshot_name(*owner, first);
            let head = match self.fetch(target, &name, cipher)? {
                Fetched::Object(_, b) => b,
                Fetched::Gone => continue,
                Fetched::Refused(why) => {
                    report.refused.push(why);
                    continue;
                }
            };
            let Some(info) = &head.snapshot else { continue };
            let covered = info.covers.get(&device.to_string()).copied().unwrap_or(0);
            if info.part != 1 || covered < next {
                continue;
            }
            for seq in first.max(applied + 1)..=last {
                let name = super::object::snapshot_name(*owner, seq);
                let (header, body) = match self.fetch(target, &name, cipher)? {
                    Fetched::Object(h, b) => (h, b),
                    Fetched::Gone => return Ok(seq > first),
                    Fetched::Refused(why) => {
                        report.refused.push(why);
                        return Ok(seq > first);
                    }
                };
                let local = self.local_or_err()?;
                let (changed, fields, kept) =
                    self.apply_retrying(local, *owner, &header, body, now_ms)?;
                report.pulled += 1;
                report.rows_changed += changed;
                report.fields_merged += fields;
                report.conflicts_kept += kept;
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// Writes a snapshot of the whole vault to the store and removes the
    /// objects it stands for: afterwards the store holds no object with
    /// the content of a row deleted before it (a deleted row is a
    /// tombstone: its key, no content). Syncs first, so the snapshot holds
    /// everything this device and the others have pushed.
    pub fn compact(&mut self, target: &dyn Target, now_ms: u64) -> Result<CompactReport> {
        self.sync_with(target, now_ms)?;
        let _lock = self.vault.sync_lock()?;
        let mut local = self.local_or_err()?;
        let me = local.device_id()?;
        let signer = local.signer()?;
        let cipher = self.ciphers(&local)?.write;
        let revoked = self.revoked_after()?;
        let listing = target.list()?;
        // After any part an earlier, stopped compaction left in the store.
        let mut first = local.next_seq;
        for name in &listing {
            if let Some((_, d, seq)) = parse_name(name)
                && d == me
            {
                first = first.max(seq + 1);
            }
        }
        let mut covers = local.applied.clone();
        covers.insert(local.device.clone(), first - 1);
        let mut rows = Vec::new();
        for (table, key) in self.vault.sync_keys()? {
            let clock = self.clock(&table, &key)?;
            let current = self.vault.row_json(&table, &key)?.map(|(_, v)| flatten(&v));
            rows.push(SentRow {
                table,
                key,
                state: clock.state(current.as_ref()),
            });
        }
        let row_count = rows.len();
        let parts = chunks(rows)?;
        let count = u32::try_from(parts.len())
            .map_err(|_| Error::invalid("the vault is too large for one snapshot"))?;
        let mut seq = first;
        for (i, chunk) in parts.into_iter().enumerate() {
            let body = Zeroizing::new(
                postcard::to_allocvec(&ChangesBody {
                    rows: chunk,
                    snapshot: Some(SnapshotPart {
                        covers: covers.clone(),
                        part: i as u32 + 1,
                        parts: count,
                    }),
                })
                .map_err(|e| Error::Database(e.to_string()))?,
            );
            local.hlc = local.hlc.tick(now_ms);
            let header = ObjectHeader {
                kind: ObjectKind::Snapshot,
                device: me,
                seq,
                hlc: local.hlc,
            };
            target.put_new(
                &header.name(),
                &seal_object(&header, &body, &cipher, &signer)?,
            )?;
            seq += 1;
        }
        local.next_seq = seq;
        self.vault
            .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
        let mut doomed = Vec::new();
        for name in listing {
            let Some((kind, d, s)) = parse_name(&name) else {
                continue;
            };
            // Keys made by revocations stay: a device offline through
            // this compaction needs them to open the snapshot.
            if kind == ObjectKind::Keys {
                continue;
            }
            // This device's images go: an invitation not used yet falls
            // back to pulling (from this snapshot).
            if kind == ObjectKind::Image {
                if d == me {
                    doomed.push(name);
                }
                continue;
            }
            if d == me && s >= first {
                continue;
            }
            // A revoked device's objects after its revocation: never to
            // be applied anywhere.
            if revoked.get(&d).is_some_and(|last| s > *last) {
                doomed.push(name);
                continue;
            }
            if s <= covers.get(&d.to_string()).copied().unwrap_or(0) {
                doomed.push(name);
            }
        }
        target.remove_all(&doomed)?;
        Ok(CompactReport {
            parts: count as usize,
            rows: row_count,
            removed: doomed.len(),
        })
    }

    /// [`Self::apply`], again (up to three times) if a row it merges was
    /// written meanwhile by another process.
    fn apply_retrying(
        &mut self,
        mut local: LocalState,
        device: DeviceId,
        header: &ObjectHeader,
        body: ChangesBody,
        now_ms: u64,
    ) -> Result<(usize, usize, usize)> {
        let mut tries = 0;
        loop {
            match self.apply(local, device, header, body.clone(), now_ms) {
                Err(Error::Busy) if tries < 3 => {
                    tries += 1;
                    local = self.local_or_err()?;
                }
                other => return other,
            }
        }
    }

    /// Applies one object's rows, with the note that it was applied, in one
    /// transaction. Returns the rows changed and the values kept in history.
    fn apply(
        &mut self,
        mut local: LocalState,
        device: DeviceId,
        header: &ObjectHeader,
        body: ChangesBody,
        now_ms: u64,
    ) -> Result<(usize, usize, usize)> {
        local.hlc = local.hlc.observe(header.hlc, now_ms);
        let applied = local.applied.entry(device.to_string()).or_default();
        *applied = (*applied).max(header.seq);
        let me = local.device_id()?;
        let body_snapshot = body.snapshot.clone();
        let brands_deleted: BTreeSet<String> = body
            .rows
            .iter()
            .filter(|r| r.table == "brands" && r.state.deleted.is_some())
            .map(|r| r.key.clone())
            .collect();
        let mut writes = Vec::new();
        let mut docs: Vec<(&str, String, Value)> = Vec::new();
        let mut changed = 0;
        let mut fields = 0;
        let mut kept = 0;
        for row in body.rows {
            if !matches!(row.table.as_str(), "brands" | "records" | "documents")
                || row.table == "documents" && row.key.starts_with("sync.")
            {
                continue;
            }
            let mut clock = self.clock(&row.table, &row.key)?;
            let read = self.vault.row_json(&row.table, &row.key)?;
            let read_version = read.as_ref().map_or(0, |r| r.0);
            let current = read.map(|(_, v)| flatten(&v));
            let mut merged = clock.merge(current.as_ref(), &row.state);
            // Filed under a brand that was deleted (here, or in this very
            // object): deleted with it, as a delete of the brand here would
            // have taken it, and that delete is passed on.
            let brand_field = match row.table.as_str() {
                "records" => Some("brand"),
                "documents" => Some(crate::vault::sync_rows::DOC_BRAND_FIELD),
                _ => None,
            };
            let brand = merged
                .row
                .as_ref()
                .zip(brand_field)
                .and_then(|(fields, f)| fields.get(f))
                .and_then(|text| serde_json::from_str::<String>(text).ok());
            if let Some(b) = brand
                && (brands_deleted.contains(&b) || self.clock("brands", &b)?.deleted.is_some())
            {
                local.hlc = local.hlc.tick(now_ms);
                clock.capture(None, Stamp::new(local.hlc, me));
                local.outbox.insert((row.table.clone(), row.key.clone()));
                merged = super::merge::Merged {
                    row: None,
                    changed: current.is_some(),
                    fields: 0,
                    lost: Vec::new(),
                };
            }
            // A record's or a brand's values are kept; a document's are
            // its feature's state (an answer, a device's note), not the
            // person's edits.
            // When a row was changed is not a value of the person's.
            merged
                .lost
                .retain(|(field, _)| !matches!(field.as_str(), "updated_at" | "created_at"));
            if !merged.lost.is_empty() && row.table != "documents" {
                kept += merged.lost.len();
                docs.extend(Self::history_docs(
                    &row.table,
                    &row.key,
                    &merged.lost,
                    Stamp::new(local.hlc, me),
                ));
            }
            if merged.changed {
                changed += 1;
                fields += merged.fields;
            }
            writes.push(SyncWrite {
                table: row.table,
                key: row.key,
                row: merged.changed.then(|| merged.row.as_ref().map(unflatten)),
                read_version,
                state: encode_clock(&clock)?,
            });
        }
        // The last part of a snapshot stands for the objects it covers:
        // they need not (and, once compacted, cannot) be applied.
        if let Some(snap) = &body_snapshot
            && snap.part == snap.parts
        {
            for (d, seq) in &snap.covers {
                if *d != local.device {
                    let applied = local.applied.entry(d.clone()).or_default();
                    *applied = (*applied).max(*seq);
                }
            }
        }
        docs.push((LOCAL_KIND, LOCAL_ID.into(), local.to_json()?));
        self.vault.write_sync(&writes, &docs)?;
        Ok((changed, fields, kept))
    }

    /// The documents that keep `lost` in a row's history: one per value,
    /// never rewritten, so two devices adding to one row's history never
    /// edit the same document.
    fn history_docs(
        table: &str,
        key: &str,
        lost: &[(String, Option<String>)],
        stamp: Stamp,
    ) -> Vec<(&'static str, String, Value)> {
        lost.iter()
            .enumerate()
            .map(|(n, (field, value))| {
                let id = format!(
                    "{table}/{}/{:016x}{:08x}-{}-{n}",
                    key.replacen('\0', "/", 1),
                    stamp.hlc.ms,
                    stamp.hlc.count,
                    DeviceId(stamp.device)
                );
                let doc = serde_json::json!({
                    "field": field,
                    "value": value,
                    "at_ms": stamp.hlc.ms,
                });
                (HISTORY_KIND, id, doc)
            })
            .collect()
    }

    #[cfg(test)]
    pub(super) fn push_for_test(&mut self, target: &dyn Target, now_ms: u64) -> Result<()> {
        self.push(target, now_ms, &mut SyncReport::default())
    }

    fn push(&mut self, target: &dyn Target, now_ms: u64, report: &mut SyncReport) -> Result<()> {
        let mut local = self.local_or_err()?;
        if local.outbox.is_empty() {
            return Ok(());
        }
        let device = local.device_id()?;
        let signer = local.signer()?;
        let cipher = self.ciphers(&local)?.write;
        let mut rows = Vec::new();
        for (table, key) in &local.outbox {
            let clock = self.clock(table, key)?;
            let current = self.vault.row_json(table, key)?.map(|(_, v)| flatten(&v));
            rows.push(SentRow {
                table: table.clone(),
                key: key.clone(),
                state: clock.state(current.as_ref()),
            });
        }
        let sent = rows.len();
        for chunk in chunks(rows)? {
            let body = Zeroizing::new(
                postcard::to_allocvec(&ChangesBody {
                    rows: chunk,
                    snapshot: None,
                })
                .map_err(|e| Error::Database(e.to_string()))?,
            );
            loop {
                local.hlc = local.hlc.tick(now_ms);
                let header = ObjectHeader {
                    kind: ObjectKind::Changes,
                    device,
                    seq: local.next_seq,
                    hlc: local.hlc,
                };
                let object = seal_object(&header, &body, &cipher, &signer)?;
                local.next_seq += 1;
                match target.put_new(&header.name(), &object) {
                    Ok(()) => break,
                    // Written by a push that was stopped before it noted
                    // it: pass over it, its rows go again.
                    Err(Error::SyncObjectExists(_)) => continue,
                    Err(e) => return Err(e),
                }
            }
            report.pushed += 1;
        }
        report.rows_sent += sent;
        local.outbox.clear();
        self.vault
            .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])
    }
}

pub(super) fn check_device_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::invalid_field(
            "name",
            "a device needs a name of 1 to 100 characters",
        ));
    }
    if name.chars().any(crate::model::text::is_hidden) {
        return Err(Error::invalid_field(
            "name",
            "a device name cannot contain control characters or invisible formatting",
        ));
    }
    Ok(name.to_string())
}

fn encode_clock(clock: &RowClock) -> Result<Zeroizing<Vec<u8>>> {
    postcard::to_allocvec(clock)
        .map(Zeroizing::new)
        .map_err(|e| Error::Database(e.to_string()))
}

/// The rows split into bodies that each fit in one object.
fn chunks(rows: Vec<SentRow>) -> Result<Vec<Vec<SentRow>>> {
    let mut out = vec![Vec::new()];
    let mut size = 0;
    for row in rows {
        let len = postcard::experimental::serialized_size(&row)
            .map_err(|e| Error::Database(e.to_string()))?;
        if len + 16 > MAX_BODY_LEN {
            return Err(Error::invalid(format!(
                "{} {} is too large to sync",
                row.table,
                row.key.replacen('\0', "/", 1)
            )));
        }
        if size + len + 16 > MAX_BODY_LEN {
            out.push(Vec::new());
            size = 0;
        }
        size += len;
        out.last_mut().expect("one chunk at least").push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use secrecy::SecretString;

    use super::*;
    use crate::crypto::KdfParams;
    use crate::model::{BrandInput, NewRecord, RecordFilter, RecordKind, RecordPatch};
    use crate::sync::target::FolderTarget;
    use crate::vault::Vault;

    const PASS: &str = "test passphrase";

    fn open(dir: &Path) -> Vault {
        Vault::open(dir)
            .unwrap()
            .unlock(&SecretString::from(PASS))
            .unwrap()
    }

    /// Two devices of one vault (the second a copy of the first, as a
    /// join makes it), and a folder as their store.
    struct Pair {
        _dirs: tempfile::TempDir,
        a: Vault,
        b: Vault,
        store: FolderTarget,
    }

    fn pair() -> Pair {
        let dirs = tempfile::tempdir().unwrap();
        let (a_dir, b_dir, store) = (
            dirs.path().join("a"),
            dirs.path().join("b"),
            dirs.path().join("store"),
        );
        std::fs::create_dir(&store).unwrap();
        let (mut a, _) = Vault::create(
            &a_dir,
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        a.add_brand(&BrandInput::named("Acme")).unwrap();
        a.sync().init_device("laptop").unwrap();
        let enrollment = a.sync().enroll_device("desktop").unwrap();
        drop(a);
        copy_dir(&a_dir, &b_dir);
        let a = open(&a_dir);
        let mut b = open(&b_dir);
        b.sync().adopt_device(&enrollment).unwrap();
        Pair {
            _dirs: dirs,
            a,
            b,
            store: FolderTarget::new(&store).unwrap(),
        }
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }

    fn purchase(v: &mut Vault, item: &str) -> String {
        v.add_record(&NewRecord {
            kind: RecordKind::Purchase,
            brand: Some("Acme".into()),
            fields: BTreeMap::from([
                ("item".to_string(), item.to_string()),
                ("date".to_string(), "2026-01-02".to_string()),
            ]),
            tags: vec![],
        })
        .unwrap()
        .id
        .to_string()
    }

    fn set(v: &mut Vault, id: &str, field: &str, value: &str) {
        v.update_record(
            id,
            &RecordPatch {
                set: BTreeMap::from([(field.to_string(), value.to_string())]),
                ..Default::default()
            },
        )
        .unwrap();
    }

    #[test]
    fn an_edit_on_one_device_appears_on_the_other_and_nothing_twice() {
        let mut p = pair();
        let id = purchase(&mut p.a, "kettle");
        let r = p.a.sync().sync_with(&p.store, 1_000).unwrap();
        assert_eq!(r.pushed, 1);
        let r = p.b.sync().sync_with(&p.store, 2_000).unwrap();
        assert_eq!((r.pulled, r.refused.len()), (1, 0), "{r:?}");
        assert_eq!(p.b.record(&id).unwrap().fields["item"], "kettle");
        // B's first push carries the rows it had from the copy, stamped by
        // B; they change nothing on A.
        let r = p.a.sync().sync_with(&p.store, 3_000).unwrap();
        assert_eq!(
            (r.rows_changed, r.conflicts_kept, r.pushed),
            (0, 0, 0),
            "{r:?}"
        );
        // Nothing new: nothing pulled, nothing pushed, on either side.
        for v in [&mut p.b, &mut p.a] {
            let r = v.sync().sync_with(&p.store, 4_000).unwrap();
            assert_eq!((r.pulled, r.pushed), (0, 0), "{r:?}");
        }
        // The store holds sealed bytes only.
        for name in p.store.list().unwrap() {
            let bytes = p.store.get(&name).unwrap().unwrap();
            assert!(!bytes.windows(6).any(|w| w == b"kettle"));
        }
    }

    #[test]
    fn concurrent_edits_of_different_fields_merge_and_the_same_field_keeps_the_loser() {
        let mut p = pair();
        let id = purchase(&mut p.a, "kettle");
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        p.b.sync().sync_with(&p.store, 1_001).unwrap();

        set(&mut p.a, &id, "item", "steel kettle");
        set(&mut p.a, &id, "merchant", "Acme Ltd");
        set(&mut p.b, &id, "price", "20.00");
        set(&mut p.b, &id, "merchant", "Acme Inc");
        // A's clock is ahead: its merchant wins everywhere.
        p.b.sync().sync_with(&p.store, 2_000).unwrap();
        p.a.sync().sync_with(&p.store, 9_000).unwrap();
        let r = p.b.sync().sync_with(&p.store, 3_000).unwrap();
        assert_eq!(r.refused, Vec::<String>::new());
        // B took A's item, merchant and time of change; its merchant, the
        // one value A's edit did not see, is kept.
        assert_eq!(
            (r.rows_changed, r.fields_merged, r.conflicts_kept),
            (1, 3, 1),
            "{r:?}"
        );

        let on_a = p.a.record(&id).unwrap();
        let on_b = p.b.record(&id).unwrap();
        assert_eq!(on_a.fields, on_b.fields);
        assert_eq!(on_a.fields["item"], "steel kettle");
        assert_eq!(on_a.fields["price"], "20.00");
        assert_eq!(on_a.fields["merchant"], "Acme Ltd");
        // B's merchant is kept in the record's history, on both devices,
        // and can be put back; sync's status lists the record.
        for v in [&mut p.a, &mut p.b] {
            let history = v.sync().history(&id).unwrap();
            assert!(
                history.iter().any(|e| e.field == "fields/merchant"
                    && e.value.as_deref() == Some("\"Acme Inc\"")
                    && e.can_restore),
                "{history:?}"
            );
            let status = v.sync().status().unwrap();
            assert_eq!(
                status.conflicts,
                vec![crate::sync::devices::RecordConflicts {
                    record: id.clone(),
                    values: history.len(),
                }]
            );
        }
    }

    #[test]
    fn a_delete_reaches_the_other_device_and_an_edit_does_not_bring_it_back() {
        let mut p = pair();
        let id = purchase(&mut p.a, "kettle");
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        p.b.sync().sync_with(&p.store, 1_001).unwrap();
        p.a.delete_record(&id).unwrap();
        set(&mut p.b, &id, "item", "edited after the delete");
        p.a.sync().sync_with(&p.store, 2_000).unwrap();
        p.b.sync().sync_with(&p.store, 5_000).unwrap();
        p.a.sync().sync_with(&p.store, 6_000).unwrap();
        assert!(p.b.record(&id).is_err());
        assert!(p.a.record(&id).is_err());
        assert_eq!(p.a.list_records(&RecordFilter::default()).unwrap().len(), 0);
    }

    #[test]
    fn an_altered_or_foreign_object_is_refused_and_changes_nothing() {
        let mut p = pair();
        purchase(&mut p.a, "kettle");
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        let name = p.store.list().unwrap().pop().unwrap();
        let path = p.store.describe();
        let file = Path::new(&path).join(&name);
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::remove_file(&file).unwrap();
        std::fs::write(&file, &bytes).unwrap();
        let before = p.b.list_records(&RecordFilter::default()).unwrap();
        let r = p.b.sync().sync_with(&p.store, 2_000).unwrap();
        assert_eq!(r.pulled, 0);
        assert_eq!(r.refused.len(), 1, "{r:?}");
        assert!(r.refused[0].contains("signature"), "{r:?}");
        assert_eq!(p.b.list_records(&RecordFilter::default()).unwrap(), before);
    }

    #[test]
    fn a_push_stopped_after_writing_its_object_is_sent_again_under_the_next_number() {
        let mut p = pair();
        let id = purchase(&mut p.a, "kettle");
        // As if an earlier push wrote object 1 and was killed before noting
        // it: the store has an object under A's first name.
        let me = p.a.sync().device_id().unwrap().unwrap();
        p.store
            .put_new(
                &super::super::object::object_name(me, 1),
                b"left by a killed push",
            )
            .unwrap();
        let r = p.a.sync().sync_with(&p.store, 1_000).unwrap();
        assert_eq!(r.pushed, 1);
        let r = p.b.sync().sync_with(&p.store, 2_000).unwrap();
        // Object 1 is refused (not an object), and B waits on it.
        assert_eq!(r.refused.len(), 1, "{r:?}");
        assert!(p.b.record(&id).is_err());
    }

    #[test]
    fn a_revoked_device_reads_nothing_written_after_and_its_later_objects_are_refused() {
        let (dirs, mut vs, store) = replicas(3);
        let store_dir = dirs.path().join("store");
        for (i, v) in vs.iter_mut().enumerate() {
            v.sync()
                .setup(
                    TargetSpec::Folder {
                        path: store_dir.clone(),
                    },
                    &format!("r{i}"),
                )
                .unwrap();
        }
        let kettle = purchase(&mut vs[0], "kettle");
        for round in 0..2 {
            for v in vs.iter_mut() {
                let r = v.sync().sync(1_000 + round).unwrap();
                assert!(r.refused.is_empty(), "{r:?}");
            }
        }
        assert_eq!(vs[2].record(&kettle).unwrap().fields["item"], "kettle");
        let c = vs[2].sync().device_id().unwrap().unwrap().to_string();

        let r = vs[0].sync().revoke(&c, 2_000).unwrap();
        assert_eq!((r.epoch, r.devices_kept), (1, 2), "{r:?}");
        assert!(vs[0].sync().revoke(&c, 2_001).is_err(), "revoked twice");
        let me = vs[0].sync().device_id().unwrap().unwrap().to_string();
        assert!(vs[0].sync().revoke(&me, 2_001).is_err(), "itself");

        // B takes up the new key, and edits go on between A and B.
        let r = vs[1].sync().sync(3_000).unwrap();
        assert!(r.refused.is_empty(), "{r:?}");
        let teapot = purchase(&mut vs[1], "teapot");
        vs[1].sync().sync(3_001).unwrap();
        let r = vs[0].sync().sync(3_002).unwrap();
        assert!(r.refused.is_empty(), "{r:?}");
        assert_eq!(vs[0].record(&teapot).unwrap().fields["item"], "teapot");

        // C is told, and reads nothing new. What it wrote before it knew
        // is passed over by the others.
        let stolen = purchase(&mut vs[2], "stolen");
        let c_store = FolderTarget::new(&store_dir).unwrap();
        let r = vs[2].sync().capture(4_000).and_then(|_| {
            // What it would push were it not told first: its object, under
            // the key it has, signed by it.
            vs[2].sync().push_for_test(&c_store, 4_000)
        });
        r.unwrap();
        let err = vs[2].sync().sync(4_000).unwrap_err();
        assert_eq!(err.code(), "sync.device_revoked", "{err}");
        assert!(vs[2].record(&teapot).is_err());
        for v in vs.iter_mut().take(2) {
            let r = v.sync().sync(4_001).unwrap();
            assert!(r.ignored_from_revoked >= 1 && r.refused.is_empty(), "{r:?}");
            assert!(v.record(&stolen).is_err());
            assert!(
                v.sync()
                    .devices()
                    .unwrap()
                    .iter()
                    .any(|d| d.id == c && d.revoked_after.is_some())
            );
        }

        // Nothing A or B wrote that is in the store opens with the key C
        // holds (keys/ holds only what is sealed to A and B).
        let old = vs[2].sync_cipher();
        let devices = vs[0].sync().devices().unwrap();
        let mut checked = 0;
        for name in store.list().unwrap() {
            let (kind, d, _) = parse_name(&name).unwrap();
            if d.to_string() == c || kind == ObjectKind::Keys {
                continue;
            }
            let bytes = store.get(&name).unwrap().unwrap();
            let opened = open_object_with(&name, &bytes, std::slice::from_ref(&old), |d| {
                Syncing::device_key(&devices, d)
            });
            assert_eq!(
                opened.err(),
                Some(super::super::object::Refusal::Foreign),
                "{name}"
            );
            checked += 1;
        }
        assert!(checked >= 2, "{checked}");

        // A later edit on B still reaches A, under the new key.
        set(&mut vs[1], &kettle, "price", "5.00");
        vs[1].sync().sync(5_000).unwrap();
        vs[0].sync().sync(5_001).unwrap();
        assert_eq!(vs[0].record(&kettle).unwrap().fields["price"], "5.00");

        // A compaction removes what C wrote after its revocation.
        let last = vs[0]
            .sync()
            .devices()
            .unwrap()
            .into_iter()
            .find(|d| d.id == c)
            .unwrap()
            .revoked_after
            .unwrap();
        vs[0].sync().compact_target(6_000).unwrap();
        assert!(store.list().unwrap().iter().all(|n| {
            let (_, d, seq) = parse_name(n).unwrap();
            d.to_string() != c || seq <= last
        }));
    }

    #[test]
    fn the_log_shows_every_devices_entries_once_each_in_its_own_chain() {
        use crate::vault::audit::AuditAction;
        let mut p = pair();
        p.a.audit()
            .log(AuditAction::Exported, None, None, "exported on A")
            .unwrap();
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        p.b.sync().sync_with(&p.store, 1_001).unwrap();
        p.b.audit()
            .log(AuditAction::Imported, None, None, "imported on B")
            .unwrap();
        p.b.sync().sync_with(&p.store, 1_002).unwrap();
        p.a.sync().sync_with(&p.store, 1_003).unwrap();
        let a_id = p.a.sync().device_id().unwrap().unwrap().to_string();
        let b_id = p.b.sync().device_id().unwrap().unwrap().to_string();
        let on_a = p.a.sync().log().unwrap();
        let on_b = p.b.sync().log().unwrap();
        let find = |log: &[super::super::log::DeviceLogEntry], what: &str| {
            let hits: Vec<_> = log.iter().filter(|e| e.entry.summary == what).collect();
            assert_eq!(hits.len(), 1, "{what}: {log:?}");
            hits[0].device.clone()
        };
        assert_eq!(find(&on_a, "exported on A"), None);
        assert_eq!(find(&on_a, "imported on B"), Some(b_id));
        assert_eq!(find(&on_b, "exported on A"), Some(a_id));
        assert_eq!(find(&on_b, "imported on B"), None);
        // B's copy of A's log before it joined is shown once, as A's.
        assert_eq!(on_b.len(), on_a.len(), "{on_a:?} {on_b:?}");
        assert!(on_b.iter().filter(|e| e.device.is_none()).count() as u64 >= 1);
        // Each device's own chain still checks.
        p.a.audit().verify().unwrap();
        p.b.audit().verify().unwrap();
    }

    #[test]
    fn an_object_not_delivered_yet_makes_its_device_wait_then_applies_in_order() {
        let mut p = pair();
        let id = purchase(&mut p.a, "kettle");
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        set(&mut p.a, &id, "item", "steel kettle");
        p.a.sync().sync_with(&p.store, 2_000).unwrap();
        let me = p.a.sync().device_id().unwrap().unwrap();
        // Object 1 (the kettle) is not in the store yet; object 2 is.
        let first = super::super::object::object_name(me, 1);
        let held = p.store.get(&first).unwrap().unwrap();
        p.store.remove(&first).unwrap();
        let r = p.b.sync().sync_with(&p.store, 3_000).unwrap();
        assert_eq!(
            (r.pulled, r.waiting.clone()),
            (0, vec![me.to_string()]),
            "{r:?}"
        );
        assert!(p.b.record(&id).is_err());
        p.store.put_new(&first, &held).unwrap();
        let r = p.b.sync().sync_with(&p.store, 4_000).unwrap();
        assert_eq!(r.pulled, 2, "{r:?}");
        assert_eq!(p.b.record(&id).unwrap().fields["item"], "steel kettle");
    }

    #[test]
    fn a_clock_a_year_ahead_or_a_day_behind_never_stops_sync_nor_reorders_edits() {
        let mut p = pair();
        let id = purchase(&mut p.a, "kettle");
        let year = 365 * 24 * 3_600 * 1_000;
        let now = 1_800_000_000_000;
        // A's clock is a year ahead.
        p.a.sync().sync_with(&p.store, now + year).unwrap();
        p.b.sync().sync_with(&p.store, now - 86_400_000).unwrap();
        set(&mut p.a, &id, "item", "edited on A");
        p.a.sync().sync_with(&p.store, now + year + 1).unwrap();
        p.b.sync()
            .sync_with(&p.store, now - 86_400_000 + 5)
            .unwrap();
        // B, a day behind, edits after it has seen A's edit: B's is later,
        // whatever the wall clocks say.
        set(&mut p.b, &id, "item", "edited on B after");
        p.b.sync()
            .sync_with(&p.store, now - 86_400_000 + 10)
            .unwrap();
        p.a.sync().sync_with(&p.store, now + year + 2).unwrap();
        for v in [&mut p.a, &mut p.b] {
            assert_eq!(v.record(&id).unwrap().fields["item"], "edited on B after");
        }
    }

    #[test]
    fn a_deleted_document_is_deleted_on_the_other_device() {
        let mut p = pair();
        p.a.write_sync(
            &[],
            &[("test-doc", "x".into(), serde_json::json!({"a": 1}))],
        )
        .unwrap();
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        p.b.sync().sync_with(&p.store, 1_001).unwrap();
        assert!(p.b.exact_doc::<Value>("test-doc", "x").unwrap().is_some());
        let tx = p.a.write_tx().unwrap();
        crate::vault::store::delete_doc(&tx, "test-doc", "x").unwrap();
        tx.commit().unwrap();
        p.a.sync().sync_with(&p.store, 2_000).unwrap();
        p.b.sync().sync_with(&p.store, 2_001).unwrap();
        assert!(p.b.exact_doc::<Value>("test-doc", "x").unwrap().is_none());
        assert_eq!(p.b.sync().status().unwrap().pending_rows, 0);
    }

    /// `n` devices of one vault: the first made, the others copies of it
    /// enrolled from it (as joins make them).
    fn replicas(n: usize) -> (tempfile::TempDir, Vec<Vault>, FolderTarget) {
        let dirs = tempfile::tempdir().unwrap();
        let store = dirs.path().join("store");
        std::fs::create_dir(&store).unwrap();
        let first = dirs.path().join("r0");
        let (mut a, _) = Vault::create(
            &first,
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        a.add_brand(&BrandInput::named("Acme")).unwrap();
        a.sync().init_device("r0").unwrap();
        let enrollments: Vec<Enrollment> = (1..n)
            .map(|i| a.sync().enroll_device(&format!("r{i}")).unwrap())
            .collect();
        drop(a);
        let mut vaults = vec![open(&first)];
        for (i, e) in enrollments.iter().enumerate() {
            let dir = dirs.path().join(format!("r{}", i + 1));
            copy_dir(&first, &dir);
            let mut v = open(&dir);
            v.sync().adopt_device(e).unwrap();
            vaults.push(v);
        }
        (dirs, vaults, FolderTarget::new(&store).unwrap())
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(usize),
        Edit(usize, usize, &'static str, u8),
        Delete(usize, usize),
        Sync(usize, u64),
        Compact(usize),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            2 => (0..3usize).prop_map(Op::Add),
            5 => (0..3usize, 0..6usize, prop_oneof![Just("item"), Just("price"), Just("merchant")], any::<u8>())
                .prop_map(|(r, i, f, v)| Op::Edit(r, i, f, v)),
            1 => (0..3usize, 0..6usize).prop_map(|(r, i)| Op::Delete(r, i)),
            4 => (0..3usize, 0..3u64).prop_map(|(r, skew)| Op::Sync(r, skew)),
            1 => (0..3usize).prop_map(Op::Compact),
        ]
    }

    proptest::proptest! {
        // 12 cases in CI; `VRM_SYNC_CASES=200` in `make test-long`.
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("VRM_SYNC_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12),
            ..Default::default()
        })]
        /// Three devices add, edit and delete records, sync and compact in
        /// any order, with skewed clocks: once each has synced twice more, all
        /// hold the same records, and every value a device wrote is in its
        /// record, or in the record's history, or the record was deleted.
        #[test]
        fn three_devices_converge_and_keep_every_acknowledged_edit(ops in proptest::collection::vec(op(), 1..30)) {
            let (_dirs, mut vs, store) = replicas(3);
            let mut ids: Vec<String> = Vec::new();
            // (record, field, value, device, pushed since)
            let mut written: Vec<(String, String, String, usize, bool)> = Vec::new();
            let mut deleted = BTreeSet::new();
            let mut clock = 1_800_000_000_000u64;
            for op in ops {
                clock += 10;
                match op {
                    Op::Add(r) => ids.push(purchase(&mut vs[r], &format!("new {}", ids.len()))),
                    Op::Edit(r, i, field, v) => {
                        let Some(id) = ids.get(i) else { continue };
                        if vs[r].record(id).is_err() { continue }
                        let value = if field == "price" {
                            format!("{v}{}.00", written.len())
                        } else {
                            format!("{v}-{}", written.len())
                        };
                        set(&mut vs[r], id, field, &value);
                        written.push((id.clone(), field.to_string(), value, r, false));
                    }
                    Op::Delete(r, i) => {
                        let Some(id) = ids.get(i) else { continue };
                        if vs[r].delete_record(id).is_ok() {
                            deleted.insert(id.clone());
                        }
                    }
                    Op::Sync(r, skew) => {
                        // Devices' clocks: one a day behind, one an hour ahead.
                        let now = clock + skew * 3_600_000 - if r == 1 { 86_400_000 } else { 0 };
                        vs[r].sync().sync_with(&store, now).unwrap();
                        for w in written.iter_mut().filter(|w| w.3 == r) {
                            w.4 = true;
                        }
                    }
                    Op::Compact(r) => {
                        vs[r].sync().compact(&store, clock).unwrap();
                        for w in written.iter_mut().filter(|w| w.3 == r) {
                            w.4 = true;
                        }
                    }
                }
            }
            for _ in 0..2 {
                for v in vs.iter_mut() {
                    clock += 10;
                    let r = v.sync().sync_with(&store, clock).unwrap();
                    proptest::prop_assert!(r.refused.is_empty() && r.waiting.is_empty(), "{r:?}");
                }
            }
            let lists: Vec<Vec<crate::model::Record>> = vs
                .iter_mut()
                .map(|v| v.list_records(&RecordFilter::default()).unwrap())
                .collect();
            let fields = |l: &Vec<crate::model::Record>| l.iter().map(|r| (r.id.to_string(), r.fields.clone())).collect::<Vec<_>>();
            proptest::prop_assert_eq!(fields(&lists[0]), fields(&lists[1]));
            proptest::prop_assert_eq!(fields(&lists[1]), fields(&lists[2]));
            for (n, (id, field, value, device, pushed)) in written.iter().enumerate() {
                // An edit another device could have seen; one the same
                // device overwrote later is the person's own change.
                let overwritten_here = written[n + 1..].iter().any(|w| &w.0 == id && &w.1 == field && w.3 == *device);
                if deleted.contains(id) || !pushed || overwritten_here {
                    continue;
                }
                let now = lists[0].iter().find(|r| r.id.as_ref() == id.as_str()).and_then(|r| r.fields.get(field.as_str())).cloned();
                let json = serde_json::to_string(value).unwrap();
                let kept = vs.iter_mut().any(|v| v.sync().history(id).unwrap().iter().any(|e| e.field == format!("fields/{field}") && e.value.as_deref() == Some(json.as_str())));
                proptest::prop_assert!(now.as_deref() == Some(value.as_str()) || kept, "{id} {field}={value} lost");
            }
        }
    }

    /// Every object left in the store, opened: its body as text.
    fn opened_store(v: &Vault, store: &FolderTarget) -> Vec<(String, String)> {
        let cipher = v.sync_cipher();
        store
            .list()
            .unwrap()
            .into_iter()
            .map(|name| {
                let bytes = store.get(&name).unwrap().unwrap();
                let body = bytes[49..bytes.len() - 64].to_vec();
                let head: [u8; 45] = bytes[..45].try_into().unwrap();
                let plain = cipher.open(&head, &body).expect("opens");
                (name, String::from_utf8_lossy(&plain).into_owned())
            })
            .collect()
    }

    #[test]
    fn compaction_removes_what_its_snapshot_stands_for_and_no_deleted_content_stays() {
        let mut p = pair();
        let gone = purchase(&mut p.a, "secret kettle");
        let kept = purchase(&mut p.a, "teapot");
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        p.b.sync().sync_with(&p.store, 1_001).unwrap();
        p.a.sync().sync_with(&p.store, 1_002).unwrap();
        p.a.delete_record(&gone).unwrap();
        p.a.sync().sync_with(&p.store, 2_000).unwrap();
        let before = p.store.list().unwrap().len();
        assert!(
            opened_store(&p.a, &p.store)
                .iter()
                .any(|(_, b)| b.contains("secret kettle"))
        );
        let r = p.a.sync().compact(&p.store, 3_000).unwrap();
        assert_eq!(r.parts, 1);
        assert_eq!(r.removed, before, "{r:?}");
        let left = opened_store(&p.a, &p.store);
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(left[0].0.starts_with("snapshots/"));
        assert!(!left[0].1.contains("secret kettle"));
        // B goes on from the snapshot: the delete reaches it, the rest stays.
        let r = p.b.sync().sync_with(&p.store, 4_000).unwrap();
        assert!(r.refused.is_empty() && r.waiting.is_empty(), "{r:?}");
        assert!(p.b.record(&gone).is_err());
        assert_eq!(p.b.record(&kept).unwrap().fields["item"], "teapot");
        // And a later edit on either side still syncs.
        set(&mut p.b, &kept, "price", "9.00");
        p.b.sync().sync_with(&p.store, 5_000).unwrap();
        p.a.sync().sync_with(&p.store, 5_001).unwrap();
        assert_eq!(p.a.record(&kept).unwrap().fields["price"], "9.00");
    }

    #[test]
    fn a_device_offline_through_a_compaction_catches_up_from_the_snapshot() {
        let (_dirs, mut vs, store) = replicas(3);
        let first = purchase(&mut vs[0], "kettle");
        vs[0].sync().sync_with(&store, 1_000).unwrap();
        vs[1].sync().sync_with(&store, 1_001).unwrap();
        // Device 2 is offline from here, and edits meanwhile.
        let offline = purchase(&mut vs[2], "made offline");
        set(&mut vs[0], &first, "price", "5.00");
        let second = purchase(&mut vs[0], "teapot");
        vs[0].sync().sync_with(&store, 2_000).unwrap();
        vs[1].sync().sync_with(&store, 2_001).unwrap();
        vs[0].sync().compact(&store, 3_000).unwrap();
        // Device 0's change objects are gone; device 2 never applied them.
        let r = vs[2].sync().sync_with(&store, 4_000).unwrap();
        assert!(r.refused.is_empty() && r.waiting.is_empty(), "{r:?}");
        for v in [1, 0, 1] {
            vs[v].sync().sync_with(&store, 5_000).unwrap();
        }
        for v in vs.iter_mut() {
            assert_eq!(v.record(&first).unwrap().fields["price"], "5.00");
            assert_eq!(v.record(&second).unwrap().fields["item"], "teapot");
            assert_eq!(v.record(&offline).unwrap().fields["item"], "made offline");
        }
    }

    #[test]
    fn edits_are_found_whether_or_not_the_manifest_folded_its_log_since() {
        let mut p = pair();
        let id = purchase(&mut p.a, "kettle");
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        // One edit: read from the log's entries since the last capture.
        set(&mut p.a, &id, "price", "1.00");
        assert_eq!(p.a.sync().capture(2_000).unwrap(), 1);
        // Many transactions: the log folds (every 20 entries in tests), so
        // the capture compares every row instead, and finds the same.
        for i in 0..30 {
            purchase(&mut p.a, &format!("more {i}"));
        }
        set(&mut p.a, &id, "price", "2.00");
        assert_eq!(p.a.sync().capture(3_000).unwrap(), 31);
        p.a.sync().sync_with(&p.store, 4_000).unwrap();
        p.b.sync().sync_with(&p.store, 4_001).unwrap();
        assert_eq!(p.b.record(&id).unwrap().fields["price"], "2.00");
        assert_eq!(
            p.b.list_records(&RecordFilter::default()).unwrap().len(),
            31
        );
    }

    #[test]
    fn a_brand_deleted_on_one_device_takes_what_the_other_filed_under_it_meanwhile() {
        let mut p = pair();
        let before = purchase(&mut p.a, "kettle");
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        p.b.sync().sync_with(&p.store, 1_001).unwrap();
        // B files a record under Acme while A deletes Acme.
        let meanwhile = purchase(&mut p.b, "teapot");
        crate::delete_brand(&mut p.a, "Acme").unwrap();
        p.a.sync().sync_with(&p.store, 2_000).unwrap();
        let r = p.b.sync().sync_with(&p.store, 2_001).unwrap();
        assert!(r.refused.is_empty(), "{r:?}");
        assert!(p.b.brand("Acme").is_err());
        assert!(p.b.record(&before).is_err() && p.b.record(&meanwhile).is_err());
        // B's own record's delete reaches A too, which never had it.
        p.b.sync().sync_with(&p.store, 3_000).unwrap();
        let r = p.a.sync().sync_with(&p.store, 3_001).unwrap();
        assert!(r.refused.is_empty(), "{r:?}");
        assert!(p.a.record(&meanwhile).is_err());
        assert_eq!(p.b.sync().status().unwrap().pending_rows, 0);
    }

    #[test]
    fn a_record_filed_under_a_brand_deleted_elsewhere_is_deleted_and_never_blocks_sync() {
        let mut p = pair();
        p.a.sync().sync_with(&p.store, 1_000).unwrap();
        p.b.sync().sync_with(&p.store, 1_001).unwrap();
        // A deletes Acme; B, not knowing, files a record under it and
        // pushes it before A's delete is in the store.
        crate::delete_brand(&mut p.a, "Acme").unwrap();
        let late = purchase(&mut p.b, "teapot");
        let r = p.b.sync().sync_with(&p.store, 2_001).unwrap();
        assert!(r.refused.is_empty(), "{r:?}");
        // A receives a record under a brand it deleted: deleted, not refused.
        let r = p.a.sync().sync_with(&p.store, 3_000).unwrap();
        assert!(r.refused.is_empty() && r.waiting.is_empty(), "{r:?}");
        assert!(p.a.record(&late).is_err());
        p.b.sync().sync_with(&p.store, 3_001).unwrap();
        assert!(p.b.record(&late).is_err());
        // And the devices go on syncing.
        let again = {
            p.b.add_brand(&BrandInput::named("Other")).unwrap();
            p.b.sync().sync_with(&p.store, 4_000).unwrap();
            p.a.sync().sync_with(&p.store, 4_001).unwrap()
        };
        assert!(again.refused.is_empty(), "{again:?}");
        assert!(p.a.brand("Other").is_ok());
    }
}
