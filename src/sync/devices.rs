//! Setting sync up: the store, inviting a device and joining with an
//! invitation, the state of sync, and rows' history of merged-away values.

use std::path::Path;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::engine::{
    DEVICE_KIND, DeviceInfo, Enrollment, HISTORY_KIND, LOCAL_ID, LOCAL_KIND, SyncReport, b64,
    check_device_name,
};
use super::object::{
    DeviceId, ObjectHeader, ObjectKind, open_image_part, parse_name, parse_object_name,
    seal_image_part,
};
use super::target::TargetSpec;
use crate::crypto::{KdfParams, OneTimeCode, RecoveryCode};
use crate::error::{Error, Result};
use crate::model::RecordPatch;
use crate::vault::Vault;
use crate::vault::features::Syncing;
use crate::vault::invitation::open_invitation;

/// How long an invitation works by default: a day.
pub const DEFAULT_INVITATION_MS: u64 = 24 * 3_600 * 1_000;

/// Where sync stands on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct SyncStatus {
    /// This device's id, once sync is set up.
    pub device: Option<String>,
    /// Where it syncs to.
    pub target: Option<String>,
    /// When it last synced (ms since the epoch, by its clock).
    pub last_sync_ms: Option<u64>,
    /// Rows changed here and not yet pushed.
    pub pending_rows: usize,
    /// The vault's devices.
    pub devices: Vec<DeviceInfo>,
    /// The records whose history holds values merges set aside (edits of
    /// the same field on two devices: the later kept, the other here).
    pub conflicts: Vec<RecordConflicts>,
}

/// A record with values merges set aside (see [`Syncing::history`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RecordConflicts {
    /// The record's id.
    pub record: String,
    /// How many values its history holds.
    pub values: usize,
}

/// A device of the vault as a screen lists it: whether it is this one, and
/// whether it can be revoked from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct DeviceView {
    /// The device.
    #[serde(flatten)]
    pub device: DeviceInfo,
    /// It is the device this vault is.
    pub this_device: bool,
    /// It can be revoked from here: another device, not revoked yet.
    pub can_revoke: bool,
}

/// One value a merge set aside (see [`Syncing::history`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct HistoryEntry {
    /// Its number in the row's history, from 1, oldest first.
    pub version: usize,
    /// The field (`fields/price`, `tags`…).
    pub field: String,
    /// The value as JSON, or `None`: the field was absent.
    pub value: Option<String>,
    /// When the merge set it aside (ms, by the clock of the merge).
    pub at_ms: u64,
    /// Whether [`Syncing::restore`] can put it back: a record's field
    /// whose value is text, or was absent.
    pub can_restore: bool,
}

#[derive(Serialize, Deserialize)]
struct InvitationDetails {
    device: String,
    seed: String,
    inviter: DeviceInfo,
    enrolled: DeviceInfo,
    target: TargetSpec,
    expires_ms: u64,
    /// Where the image of the inviter's database is in the store, and its
    /// key. Named apart from the signed images of earlier versions, so
    /// that either version reading the other's invitation pulls instead.
    #[serde(default, rename = "keyed_image")]
    image: Option<ImageRef>,
    /// The new device's age X25519 identity.
    #[serde(default)]
    x25519: Option<String>,
    /// The sync keys made by revocations (the newest is what the image and
    /// the objects after it are sealed under).
    #[serde(default)]
    keys: Vec<super::engine::EpochKey>,
    /// The vault's sync key (base64): after a rekey on the inviter, the
    /// vault key no longer derives it. An invitation from before this was
    /// carried has none: the key is the vault key's own.
    #[serde(default)]
    sync_key: Option<String>,
}

/// An image of the inviter's database in the store: its parts (the
/// inviter's images `first..first + parts`), and the inviter's sync state
/// it was taken at (what it had applied of each device, its own objects
/// included, and its clock).
#[derive(Clone, Serialize, Deserialize)]
struct ImageRef {
    first: u64,
    parts: u64,
    covers: std::collections::BTreeMap<String, u64>,
    hlc: super::hlc::Hlc,
    /// The key the parts are sealed under (base64), made for this image:
    /// only the inviter and this invitation hold it.
    key: String,
}

impl ImageRef {
    /// The names of the image's parts in the store, in order.
    fn names(&self, details: &InvitationDetails) -> Result<Vec<String>> {
        let inviter = DeviceId::parse(&details.inviter.id)
            .ok_or_else(|| Error::invalid_field("file", "that invitation cannot be read"))?;
        Ok((self.first..self.first + self.parts)
            .map(|seq| super::object::image_name(inviter, seq))
            .collect())
    }

    fn cipher(&self) -> Result<crate::crypto::Cipher> {
        let key = Zeroizing::new(
            data_encoding::BASE64
                .decode(self.key.as_bytes())
                .ok()
                .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
                .ok_or_else(|| Error::invalid_field("file", "that invitation cannot be read"))?,
        );
        Ok(crate::crypto::Cipher::new(
            &crate::crypto::SecretKey::from_bytes(key),
        ))
    }
}

/// The size of an image's parts.
///
/// Small enough that the joiner's fetching, opening and writing overlap
/// well, and that little is held at once; large enough that a store's
/// answer per part costs little beside it.
const IMAGE_PART: usize = 4 * 1024 * 1024;

impl Drop for InvitationDetails {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.seed.zeroize();
        if let Some(x) = &mut self.x25519 {
            x.zeroize();
        }
        if let Some(k) = &mut self.sync_key {
            k.zeroize();
        }
        if let Some(image) = &mut self.image {
            image.key.zeroize();
        }
    }
}

impl InvitationDetails {
    /// The vault's sync key, as the inviter holds it.
    fn sync_key(&self, vault_key: &crate::crypto::SecretKey) -> Result<crate::crypto::SecretKey> {
        Ok(self
            .carried_sync_key()?
            .unwrap_or_else(|| vault_key.derive(crate::vault::SYNC_KEY_PURPOSE.as_bytes())))
    }

    /// The sync key the invitation carries, if it carries one.
    fn carried_sync_key(&self) -> Result<Option<crate::crypto::SecretKey>> {
        let Some(carried) = &self.sync_key else {
            return Ok(None);
        };
        let unreadable = || Error::invalid_field("file", "that invitation cannot be read");
        let bytes = Zeroizing::new(
            data_encoding::BASE64
                .decode(carried.as_bytes())
                .map_err(|_| unreadable())?,
        );
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| unreadable())?;
        Ok(Some(crate::crypto::SecretKey::from_bytes(Zeroizing::new(
            key,
        ))))
    }
}

impl Syncing<'_> {
    /// Sets the store this device syncs to, making this vault a device
    /// (named `device_name`) if it is not one yet. The store must exist
    /// and answer a listing with the keys given: a wrong key, a missing
    /// bucket or a store out of reach is said now, not at the first sync,
    /// and nothing is kept.
    pub fn setup(&mut self, target: TargetSpec, device_name: &str) -> Result<()> {
        if self.device_id()?.is_none() {
            // Before the store is reached: a name it would refuse anyway.
            check_device_name(device_name)?;
        }
        target.open()?.list()?;
        self.init_device(device_name)?;
        let _lock = self.vault.sync_lock()?;
        let mut local = self.local_or_err()?;
        local.target = Some(target);
        self.vault
            .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])
    }

    /// Syncs with the store set up (see [`Syncing::sync_with`]).
    pub fn sync(&mut self, now_ms: u64) -> Result<SyncReport> {
        let local = self.local_or_err()?;
        let target = local.target.clone().ok_or(Error::SyncNotSetUp)?.open()?;
        drop(local);
        self.sync_with(target.as_ref(), now_ms)
    }

    /// Compacts the store set up (see [`Syncing::compact`]).
    pub fn compact_target(&mut self, now_ms: u64) -> Result<super::engine::CompactReport> {
        let local = self.local_or_err()?;
        let target = local.target.clone().ok_or(Error::SyncNotSetUp)?.open()?;
        drop(local);
        self.compact(target.as_ref(), now_ms)
    }

    /// Where sync stands.
    pub fn status(&mut self) -> Result<SyncStatus> {
        let local = self.local()?;
        let pending = match &local {
            Some(l) => {
                let mut keys: std::collections::BTreeSet<(String, String)> = l.outbox.clone();
                keys.extend(
                    self.vault
                        .sync_candidates()?
                        .into_iter()
                        .map(|c| (c.table, c.key)),
                );
                keys.len()
            }
            None => 0,
        };
        Ok(SyncStatus {
            device: local.as_ref().map(|l| l.device.clone()),
            target: local
                .as_ref()
                .and_then(|l| l.target.as_ref())
                .map(TargetSpec::describe),
            last_sync_ms: local.as_ref().and_then(|l| l.last_sync_ms),
            pending_rows: pending,
            devices: self.devices()?,
            conflicts: self.conflicts()?,
        })
    }

    /// Whether this device syncs somewhere (a store is set up).
    pub fn is_set_up(&self) -> Result<bool> {
        Ok(self.local()?.is_some_and(|l| l.target.is_some()))
    }

    /// The vault's devices as a screen lists them (see [`DeviceView`]).
    pub fn device_views(&self) -> Result<Vec<DeviceView>> {
        let me = self.local()?.map(|l| l.device.clone());
        Ok(self
            .devices()?
            .into_iter()
            .map(|device| {
                let this_device = me.as_deref() == Some(device.id.as_str());
                let can_revoke = !this_device && device.revoked_after.is_none();
                DeviceView {
                    device,
                    this_device,
                    can_revoke,
                }
            })
            .collect())
    }

    /// [`Syncing::invite`], the invitation written to `out` (readable by
    /// its owner only; a file there is replaced, as a save dialog that
    /// asked allows). Returns the one-time code, to be shown once.
    pub fn invite_to(
        &mut self,
        name: &str,
        valid_ms: u64,
        now_ms: u64,
        out: &Path,
    ) -> Result<OneTimeCode> {
        let (bytes, code) = self.invite(name, valid_ms, now_ms)?;
        crate::vault::fs::write_file(
            crate::vault::fs::OutFile::replace(out),
            crate::vault::fs::FileMode::Private,
            &bytes,
        )?;
        Ok(code)
    }

    /// The records whose history holds values, each once, by id.
    fn conflicts(&self) -> Result<Vec<RecordConflicts>> {
        let (docs, _damaged): (Vec<(String, Value)>, _) = self.vault.docs_with_ids(HISTORY_KIND)?;
        let mut kept: std::collections::BTreeMap<
            String,
            std::collections::BTreeSet<(String, Option<String>)>,
        > = Default::default();
        for (doc_id, v) in docs {
            let Some((record, _)) = doc_id
                .strip_prefix("records/")
                .and_then(|rest| rest.split_once('/'))
            else {
                continue;
            };
            let Some(field) = v.get("field").and_then(Value::as_str) else {
                continue;
            };
            let value = v.get("value").and_then(Value::as_str).map(str::to_string);
            kept.entry(record.to_string())
                .or_default()
                .insert((field.to_string(), value));
        }
        Ok(kept
            .into_iter()
            .map(|(record, values)| RecordConflicts {
                record,
                values: values.len(),
            })
            .collect())
    }

    /// Invites a new device, named `name`: syncs, so the store holds the
    /// whole vault, and returns the invitation's bytes and its one-time
    /// code (to be shown once, never written in the file). It works once,
    /// until `now_ms + valid_ms`.
    pub fn invite(
        &mut self,
        name: &str,
        valid_ms: u64,
        now_ms: u64,
    ) -> Result<(Vec<u8>, OneTimeCode)> {
        let local = self.local_or_err()?;
        let target = local.target.clone().ok_or(Error::SyncNotSetUp)?;
        let me = local.device.clone();
        drop(local);
        let Enrollment {
            device,
            seed,
            x25519,
        } = self.enroll_device(name)?;
        self.sync(now_ms)?;
        let image = self.write_image(&target, now_ms)?;
        let keys = self.local_or_err()?.epochs.clone();
        let devices = self.devices()?;
        let find = |id: &str| {
            devices
                .iter()
                .find(|d| d.id == id)
                .cloned()
                .ok_or_else(|| Error::Database(format!("device {id} is not listed")))
        };
        let details = InvitationDetails {
            device: device.to_string(),
            seed: b64(seed.as_slice()),
            inviter: find(&me)?,
            enrolled: find(&device.to_string())?,
            target,
            expires_ms: now_ms.saturating_add(valid_ms),
            image: Some(image),
            x25519: Some(x25519.to_string()),
            keys,
            sync_key: Some(b64(self.vault.sync_key().expose_secret_bytes())),
        };
        let details = serde_json::to_value(&details).map_err(|e| Error::Database(e.to_string()))?;
        let code = OneTimeCode::generate()?;
        let bytes = self.vault.seal_invitation(details, &code)?;
        Ok((bytes, code))
    }

    /// Writes an image of this vault's database to the store, in parts,
    /// without this device's own state: what an invited device starts from.
    fn write_image(&mut self, target: &TargetSpec, now_ms: u64) -> Result<ImageRef> {
        use std::io::Read;
        let store = target.open()?;
        let _lock = self.vault.sync_lock()?;
        let mut local = self.local_or_err()?;
        let me = local.device_id()?;
        let image_key = crate::crypto::SecretKey::generate()?;
        let cipher = crate::crypto::Cipher::new(&image_key);
        let mut covers = local.applied.clone();
        covers.insert(local.device.clone(), local.next_seq - 1);
        let hlc = local.hlc;
        let image = self.vault.image(&[(LOCAL_KIND, LOCAL_ID)])?;
        let mut first = 1;
        for name in store.list()? {
            if let Some((ObjectKind::Image, d, seq)) = parse_name(&name)
                && d == me
            {
                first = first.max(seq + 1);
            }
        }
        let path = image.path();
        let mut file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let mut seq = first;
        loop {
            let mut part = Zeroizing::new(Vec::with_capacity(IMAGE_PART));
            (&mut file)
                .take(IMAGE_PART as u64)
                .read_to_end(&mut part)
                .map_err(|e| Error::io(&path, e))?;
            if part.is_empty() && seq > first {
                break;
            }
            local.hlc = local.hlc.tick(now_ms);
            let header = ObjectHeader {
                kind: ObjectKind::Image,
                device: me,
                seq,
                hlc: local.hlc,
            };
            store.put_new(&header.name(), &seal_image_part(&header, &part, &cipher)?)?;
            seq += 1;
            if part.len() < IMAGE_PART {
                break;
            }
        }
        Ok(ImageRef {
            first,
            parts: seq - first,
            covers,
            hlc,
            key: b64(image_key.expose_secret_bytes()),
        })
    }

    /// The values merges set aside for a row (`records`, an id), oldest
    /// first: what the same field held on another device, edited at the
    /// same time, that lost to the later edit.
    pub fn history(&mut self, id: &str) -> Result<Vec<HistoryEntry>> {
        let id = self.vault.resolve_record_id(id)?;
        let prefix = format!("records/{id}/");
        let (docs, _damaged): (Vec<(String, Value)>, _) = self.vault.docs_with_ids(HISTORY_KIND)?;
        let mut entries: Vec<(String, String, Option<String>, u64)> = docs
            .into_iter()
            .filter(|(doc_id, _)| doc_id.starts_with(&prefix))
            .filter_map(|(doc_id, v)| {
                Some((
                    doc_id,
                    v.get("field")?.as_str()?.to_string(),
                    v.get("value").and_then(Value::as_str).map(str::to_string),
                    v.get("at_ms").and_then(Value::as_u64).unwrap_or(0),
                ))
            })
            .collect();
        entries.sort();
        // Both devices may set aside the same value (each when it merges the
        // other's): it is listed once.
        let mut seen = std::collections::BTreeSet::new();
        entries.retain(|(_, field, value, _)| seen.insert((field.clone(), value.clone())));
        Ok(entries
            .into_iter()
            .enumerate()
            .map(|(n, (_, field, value, at_ms))| HistoryEntry {
                version: n + 1,
                can_restore: restorable(&field, value.as_deref()),
                field,
                value,
                at_ms,
            })
            .collect())
    }

    /// Puts a value from a record's history back (an edit like any other,
    /// which syncs). Only a record's fields (`fields/…`) can be put back.
    pub fn restore(&mut self, id: &str, version: usize) -> Result<crate::model::Record> {
        let history = self.history(id)?;
        let entry = history
            .iter()
            .find(|e| e.version == version)
            .ok_or_else(|| {
                Error::invalid_field(
                    "version",
                    format!(
                        "record {id} has {} value(s) in its history; there is no number {version}",
                        history.len()
                    ),
                )
            })?;
        let Some(field) = entry.field.strip_prefix("fields/") else {
            return Err(Error::invalid_field(
                "version",
                format!(
                    "{} cannot be put back from history, only a record's fields",
                    entry.field
                ),
            ));
        };
        let mut patch = RecordPatch::default();
        match entry.value.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(Value::String(v))) => {
                patch.set.insert(field.to_string(), v);
            }
            None => patch.remove.push(field.to_string()),
            _ => {
                return Err(Error::invalid_field(
                    "version",
                    "that value is not a field's text",
                ));
            }
        }
        self.vault.update_record(id, &patch)
    }
}

/// Whether a value of a row's history can be put back: a record's field
/// (`fields/…`) whose value was text (a JSON string) or absent.
fn restorable(field: &str, value: Option<&str>) -> bool {
    field.starts_with("fields/")
        && value.is_none_or(|v| matches!(serde_json::from_str(v), Ok(Value::String(_))))
}

/// [`join`] with the invitation read from the file `invitation` (bounded
/// in size) and the code as typed: what the app's first-run screen does.
pub fn join_file(
    dir: &Path,
    passphrase: &SecretString,
    kdf: KdfParams,
    invitation: &Path,
    code: &str,
    now_ms: u64,
) -> Result<(Vault, RecoveryCode, SyncReport)> {
    let code = OneTimeCode::parse(code)?;
    let bytes = crate::proof::read_foreign_file(invitation)?;
    join(dir, passphrase, kdf, &bytes, &code, None, now_ms)
}

/// Makes a new vault in `dir` as a new device of the vault an invitation
/// is for, opened with its one-time `code`: checks it is not expired nor
/// used, pulls the whole vault from the store, and pushes the device's
/// first object (which uses the invitation up). `target` overrides the
/// invitation's store (the same folder at another path on this machine).
/// Returns the vault, its recovery code and what the first sync did.
pub fn join(
    dir: &Path,
    passphrase: &SecretString,
    kdf: KdfParams,
    invitation: &[u8],
    code: &OneTimeCode,
    target: Option<TargetSpec>,
    now_ms: u64,
) -> Result<(Vault, RecoveryCode, SyncReport)> {
    let (vault_key, details) = open_invitation(invitation, code)?;
    let details: InvitationDetails = serde_json::from_value(details)
        .map_err(|_| Error::invalid_field("file", "that invitation cannot be read"))?;
    if now_ms >= details.expires_ms {
        return Err(Error::invalid_field(
            "file",
            "that invitation has expired; ask for a new one (`vrm device invite`)",
        ));
    }
    let device = DeviceId::parse(&details.device)
        .ok_or_else(|| Error::invalid_field("file", "that invitation cannot be read"))?;
    let target = target.unwrap_or_else(|| details.target.clone());
    let store = target.open()?;
    let listed = store.list()?;
    if listed
        .iter()
        .any(|n| parse_object_name(n).is_some_and(|(d, _)| d == device))
    {
        return Err(Error::invalid_field(
            "file",
            "that invitation was used already (its device has written to the store); \
             ask for a new one",
        ));
    }
    let seed = Zeroizing::new(
        data_encoding::BASE64
            .decode(details.seed.as_bytes())
            .ok()
            .and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok())
            .ok_or_else(|| Error::invalid_field("file", "that invitation cannot be read"))?,
    );
    if let Some(image) = &details.image {
        // Once its parts are all written, the image is removed from the
        // store while the new vault is finished (a failure to remove it is
        // not the join's).
        let (written, all_written) = std::sync::mpsc::channel::<()>();
        let remover = {
            let store = target.open()?;
            let names = image.names(&details)?;
            std::thread::spawn(move || {
                if all_written.recv().is_ok() {
                    let _ = store.remove_all(&names);
                }
            })
        };
        // Without its parts (compacted away), everything is pulled instead.
        let made = join_from_image(
            dir,
            passphrase,
            &kdf,
            &vault_key,
            &details,
            image,
            store.as_ref(),
            &listed,
            &|| {
                let _ = written.send(());
            },
        )?;
        drop(written);
        if let Some(vault) = made {
            let joined = finish_join(vault, &details, device, seed, target, now_ms, image);
            let _ = remover.join();
            return joined;
        }
        let _ = remover.join();
    }
    let sync_key = details.sync_key(&vault_key)?;
    Vault::create_with_key(dir, passphrase, kdf, vault_key, |vault| {
        vault.keep_sync_key(&sync_key)?;
        // The two devices the invitation vouches for, so that the
        // inviter's objects open before any has been pulled.
        let docs = [
            (
                DEVICE_KIND,
                details.inviter.id.clone(),
                to_json(&details.inviter)?,
            ),
            (
                DEVICE_KIND,
                details.enrolled.id.clone(),
                to_json(&details.enrolled)?,
            ),
        ];
        vault.write_sync(&[], &docs)?;
        let mut sync = vault.sync();
        sync.adopt_device(&Enrollment {
            device,
            seed,
            x25519: enrolled_identity(&details),
        })?;
        let mut local = sync.local_or_err()?;
        local.target = Some(target);
        local.epochs = details.keys.clone();
        sync.vault
            .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
        let mut report = sync.sync(now_ms)?;
        // Then say it joined, stamped after all it pulled: the device's
        // first object, which uses the invitation up.
        let mut joined = details.enrolled.clone();
        joined.joined = true;
        sync.vault
            .write_sync(&[], &[(DEVICE_KIND, joined.id.clone(), to_json(&joined)?)])?;
        let second = sync.sync(now_ms)?;
        report.pushed += second.pushed;
        report.rows_sent += second.rows_sent;
        Ok(report)
    })
}

/// The enrolled device's X25519 identity, as the invitation carries it
/// (one from before revocation existed carries none: a new one, which the
/// device's first sync lists).
fn enrolled_identity(details: &InvitationDetails) -> Zeroizing<String> {
    use secrecy::ExposeSecret;
    match &details.x25519 {
        Some(x) => Zeroizing::new(x.clone()),
        None => Zeroizing::new(
            crate::crypto::bundle::AgeIdentity::generate()
                .to_secret_string()
                .expose_secret()
                .to_string(),
        ),
    }
}

/// A new vault from the inviter's image, its parts checked (sealed under
/// the image's key, which only the invitation carries; in order; all
/// there). `None` if a part is not in the store (as `listed` at the
/// join's start). `all_written` is called
/// once every part is in the new file.
#[allow(clippy::too_many_arguments)]
fn join_from_image(
    dir: &Path,
    passphrase: &SecretString,
    kdf: &KdfParams,
    vault_key: &crate::crypto::SecretKey,
    details: &InvitationDetails,
    image: &ImageRef,
    store: &dyn super::target::Target,
    listed: &[String],
    all_written: &dyn Fn(),
) -> Result<Option<(Vault, RecoveryCode)>> {
    let cipher = image.cipher()?;
    let names = image.names(details)?;
    if names.iter().any(|n| !listed.contains(n)) {
        return Ok(None);
    }
    let key =
        crate::crypto::SecretKey::from_bytes(Zeroizing::new(*vault_key.expose_secret_bytes()));
    let made = Vault::create_from_image(dir, passphrase, kdf.clone(), key, |file| {
        // A part's buffer is filled again once its body is written.
        let spare = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
        let open_part = |name: &String| -> Result<(Vec<u8>, std::ops::Range<usize>)> {
            let mut bytes = spare
                .lock()
                .ok()
                .and_then(|mut s| s.pop())
                .unwrap_or_default();
            if !store.get_into(name, &mut bytes)? {
                return Err(Error::invalid(format!(
                    "{name} left the store during the join"
                )));
            }
            let (_, body) = open_image_part(name, &mut bytes, &cipher).map_err(|reason| {
                Error::SyncRefused {
                    object: name.clone(),
                    reason: reason.to_string(),
                }
            })?;
            Ok((bytes, body))
        };
        for_each_in_order(&names, open_part, |(bytes, body)| {
            file.write_all(&bytes[body])?;
            if let Ok(mut spare) = spare.lock() {
                spare.push(bytes);
            }
            Ok(())
        })?;
        all_written();
        Ok(())
    })?;
    Ok(Some(made))
}

/// How many image parts are fetched and opened at once: the store's
/// answer and the decryption of one part overlap with another's.
const JOIN_THREADS: usize = 2;

/// `make(item)` for each of `items` on [`JOIN_THREADS`] threads, `take`
/// of each result on this one, in the items' order; the first error stops
/// both (what is made after it is dropped).
fn for_each_in_order<I: Sync, T: Send>(
    items: &[I],
    make: impl Fn(&I) -> Result<T> + Sync,
    mut take: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (sender, made) = std::sync::mpsc::sync_channel::<(usize, Result<T>)>(JOIN_THREADS);
        for _ in 0..JOIN_THREADS {
            let (sender, next, make) = (sender.clone(), &next, &make);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let result = make(item);
                    let failed = result.is_err();
                    // A closed channel: this thread's taker stopped.
                    if sender.send((i, result)).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut waiting = std::collections::BTreeMap::new();
        let mut taken = 0;
        for (i, result) in made {
            waiting.insert(i, result?);
            while let Some(value) = waiting.remove(&taken) {
                take(value)?;
                taken += 1;
            }
        }
        if taken == items.len() {
            Ok(())
        } else {
            Err(Error::Database(format!(
                "{} of {} parts were made",
                taken,
                items.len()
            )))
        }
    })
}

/// The rest of a join from an image: this vault becomes the enrolled
/// device, at the inviter's state the image was taken at; then it syncs,
/// says it joined, and removes the image from the store.
fn finish_join(
    (mut vault, code): (Vault, RecoveryCode),
    details: &InvitationDetails,
    device: DeviceId,
    seed: Zeroizing<[u8; 32]>,
    target: TargetSpec,
    now_ms: u64,
    image: &ImageRef,
) -> Result<(Vault, RecoveryCode, SyncReport)> {
    // The image holds the inviter's kept sync key after a rekey there, but
    // its objects are the proof that counts: keep what the invitation says.
    if let Some(key) = details.carried_sync_key()? {
        vault.keep_sync_key(&key)?;
    }
    // What the image holds was captured by the inviter, or will be and
    // comes by pulling: this device's captures start after it.
    let (seen, _) = vault.manifest_changes_since(None)?;
    // The image's log is the inviter's: its entries are shown from the
    // inviter's copies, and this device's own follow them.
    let log_base = vault.audit().count().unwrap_or(0);
    let mut sync = vault.sync();
    let local = super::engine::LocalState {
        device: device.to_string(),
        seed: b64(seed.as_slice()),
        hlc: image.hlc,
        next_seq: 1,
        applied: image.covers.clone(),
        outbox: Default::default(),
        target: Some(target.clone()),
        last_sync_ms: None,
        manifest_seen: Some(seen),
        x25519: Some(enrolled_identity(details).to_string()),
        epochs: details.keys.clone(),
        log_base,
        log_published: log_base,
    };
    sync.vault
        .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
    drop(local);
    let mut report = sync.sync(now_ms)?;
    let mut joined = details.enrolled.clone();
    joined.joined = true;
    sync.vault
        .write_sync(&[], &[(DEVICE_KIND, joined.id.clone(), to_json(&joined)?)])?;
    let second = sync.sync(now_ms)?;
    report.pushed += second.pushed;
    report.rows_sent += second.rows_sent;
    Ok((vault, code, report))
}

fn to_json<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::Database(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BrandInput;

    const PASS: &str = "test passphrase";

    /// Parts made out of order on two threads are taken in order; the
    /// first error stops it, and nothing after it in order is taken.
    #[test]
    fn parts_are_taken_in_order_and_an_error_stops_them() {
        let items: Vec<u64> = (0..40).collect();
        let slow_first = |i: &u64| {
            // Even items take longer: the other thread runs ahead.
            std::thread::sleep(std::time::Duration::from_millis(if i.is_multiple_of(2) {
                3
            } else {
                0
            }));
            Ok(*i * 10)
        };
        let mut taken = Vec::new();
        for_each_in_order(&items, slow_first, |v| {
            taken.push(v);
            Ok(())
        })
        .unwrap();
        assert_eq!(taken, items.iter().map(|i| i * 10).collect::<Vec<_>>());

        let mut taken = Vec::new();
        let err = for_each_in_order(
            &items,
            |i| {
                if *i == 7 {
                    Err(Error::invalid("part 7 is bad"))
                } else {
                    Ok(*i)
                }
            },
            |v| {
                taken.push(v);
                Ok(())
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("part 7 is bad"), "{err}");
        assert!(taken.iter().all(|v| *v < 7), "{taken:?}");
    }

    /// `join` with the tests' passphrase, the cheapest KDF and the store
    /// the invitation names.
    fn join_with_pass(
        dir: &Path,
        invitation: &[u8],
        code: &OneTimeCode,
        now_ms: u64,
    ) -> Result<(Vault, RecoveryCode, SyncReport)> {
        join(
            dir,
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
            invitation,
            code,
            None,
            now_ms,
        )
    }

    /// An invitation from `a` for a device named "desktop", made at 1 s.
    fn invite_desktop(a: &mut Vault) -> (Vec<u8>, OneTimeCode) {
        a.sync()
            .invite("desktop", DEFAULT_INVITATION_MS, 1_000)
            .unwrap()
    }

    fn inviter(dirs: &Path) -> (Vault, TargetSpec) {
        let store = dirs.join("store");
        std::fs::create_dir(&store).unwrap();
        let (mut a, _) = Vault::create(
            &dirs.join("a"),
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        a.add_brand(&BrandInput::named("Acme")).unwrap();
        let target = TargetSpec::Folder { path: store };
        a.sync().setup(target.clone(), "laptop").unwrap();
        (a, target)
    }

    /// A store out of reach, or a device name refused, sets nothing up:
    /// no device made, no store kept; the error says why and holds no key.
    #[cfg(feature = "s3")]
    #[test]
    fn a_store_out_of_reach_or_a_bad_name_sets_nothing_up() {
        use super::super::target::{S3Form, S3Secret};
        let dirs = tempfile::tempdir().unwrap();
        let (mut a, _) = Vault::create(
            &dirs.path().join("a"),
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        // Nothing listens there.
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let settings = S3Form {
            target: "s3://vault-sync/alice".into(),
            endpoint: format!("http://127.0.0.1:{port}"),
            region: String::new(),
            access_key: "AKIAVRMVAULT".into(),
        }
        .check(S3Secret::new("the-secret-key-itself"))
        .unwrap();
        let err = a
            .sync()
            .setup(TargetSpec::S3(settings.clone()), "laptop")
            .unwrap_err();
        assert_eq!(err.code(), "sync.store", "{err}");
        let said = err.to_string();
        assert!(said.contains("cannot be reached"), "{said}");
        assert!(
            !said.contains("the-secret-key-itself") && !said.contains("X-Amz-Signature"),
            "{said}"
        );
        let err = a.sync().setup(TargetSpec::S3(settings), " ").unwrap_err();
        assert_eq!(err.field(), Some("name"), "{err}");
        assert!(!a.sync().is_set_up().unwrap());
        assert_eq!(a.sync().device_id().unwrap(), None);
        assert!(a.sync().devices().unwrap().is_empty());
    }

    #[test]
    fn a_joined_device_has_its_own_key_not_the_inviters() {
        let dirs = tempfile::tempdir().unwrap();
        let (mut a, _) = inviter(dirs.path());
        let (bytes, code) = invite_desktop(&mut a);
        let (mut b, _, _) = join_with_pass(&dirs.path().join("b"), &bytes, &code, 2_000).unwrap();
        let a_id = a.sync().device_id().unwrap().unwrap();
        let b_id = b.sync().device_id().unwrap().unwrap();
        assert_ne!(a_id, b_id);
        let b_local = b.sync().local_or_err().unwrap();
        let a_local = a.sync().local_or_err().unwrap();
        assert_ne!(b_local.seed, a_local.seed);
        // B's objects open on A with B's key: it signs as itself.
        let r = a.sync().sync(3_000).unwrap();
        assert!(r.pulled >= 1 && r.refused.is_empty(), "{r:?}");
        assert!(
            a.sync()
                .devices()
                .unwrap()
                .iter()
                .any(|d| d.id == b_id.to_string() && d.joined)
        );
    }

    #[test]
    fn an_invitation_written_to_a_file_joins_from_that_file() {
        let dirs = tempfile::tempdir().unwrap();
        let (mut a, _) = inviter(dirs.path());
        assert!(a.sync().is_set_up().unwrap());
        let out = dirs.path().join("invitation");
        let code = a
            .sync()
            .invite_to("desktop", DEFAULT_INVITATION_MS, 1_000, &out)
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let written = std::fs::read(&out).unwrap();
        assert!(
            !written
                .windows(code.expose_secret().len())
                .any(|w| w == code.expose_secret().as_bytes()),
            "the code is never in the file"
        );
        let typed = code.expose_secret().to_lowercase().replace('-', " ");
        let bad = join_file(
            &dirs.path().join("b"),
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
            &out,
            "not a code",
            2_000,
        )
        .unwrap_err();
        assert_eq!(bad.field(), Some("code"));
        let (mut b, _, report) = join_file(
            &dirs.path().join("b"),
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
            &out,
            &typed,
            2_000,
        )
        .unwrap();
        assert!(report.refused.is_empty(), "{report:?}");
        assert!(b.sync().is_set_up().unwrap());
        assert_eq!(b.brands().unwrap().len(), 1);
        a.sync().sync(3_000).unwrap();
        let views = a.sync().device_views().unwrap();
        assert_eq!(views.len(), 2);
        let me = views.iter().find(|v| v.this_device).unwrap();
        assert_eq!(me.device.name, "laptop");
        assert!(!me.can_revoke, "a device cannot revoke itself");
        let other = views.iter().find(|v| !v.this_device).unwrap();
        assert_eq!(other.device.name, "desktop");
        assert!(other.can_revoke);
        a.sync().revoke(&other.device.id, 4_000).unwrap();
        let views = a.sync().device_views().unwrap();
        assert!(views.iter().all(|v| !v.can_revoke), "revoked once");
    }

    #[test]
    fn a_vault_without_sync_is_not_set_up() {
        let dirs = tempfile::tempdir().unwrap();
        let (mut v, _) = Vault::create(
            &dirs.path().join("v"),
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        assert!(!v.sync().is_set_up().unwrap());
        assert!(v.sync().device_views().unwrap().is_empty());
        v.sync().init_device("laptop").unwrap();
        assert!(!v.sync().is_set_up().unwrap(), "a device with no store");
    }

    #[test]
    fn only_a_records_text_or_absent_field_can_be_put_back() {
        assert!(restorable("fields/price", Some("\"20.00\"")));
        assert!(restorable("fields/price", None));
        assert!(!restorable("fields/price", Some("12")));
        assert!(!restorable("tags", Some("\"a\"")));
        assert!(!restorable("kind", None));
    }

    /// A device joined from an image is a file of its own: its own vault
    /// id, so two devices of one vault on one machine do not take each
    /// other for an older copy (the state last seen is kept by id).
    #[test]
    fn two_devices_of_one_vault_share_a_machine() {
        let dirs = tempfile::tempdir().unwrap();
        let (mut a, target) = inviter(dirs.path());
        let (bytes, code) = invite_desktop(&mut a);
        let b_dir = dirs.path().join("b");
        let (b, _, _) = join_with_pass(&b_dir, &bytes, &code, 2_000).unwrap();
        assert_ne!(a.info().unwrap().vault_id, b.info().unwrap().vault_id);
        // The image is used up and gone from the store.
        let store = target.open().unwrap();
        assert!(
            !store
                .list()
                .unwrap()
                .iter()
                .any(|n| n.starts_with("images/"))
        );
        drop((a, b));
        let seen = dirs.path().join("seen");
        let open = |dir: &Path| {
            Vault::open(dir)
                .unwrap()
                .keep_seen_in(Some(seen.clone()))
                .unlock(&SecretString::from(PASS))
                .unwrap()
        };
        // A is written to more, so its counter runs ahead of B's.
        let mut a = open(&dirs.path().join("a"));
        for name in ["One", "Two", "Three"] {
            a.add_brand(&BrandInput::named(name)).unwrap();
        }
        drop(a);
        let mut b = open(&b_dir);
        assert!(b.integrity_hold().is_none(), "{:?}", b.integrity_hold());
        b.add_brand(&BrandInput::named("Four")).unwrap();
        drop(b);
        assert!(open(&dirs.path().join("a")).integrity_hold().is_none());
        // B holds what the image held, and what it wrote since.
        assert_eq!(open(&b_dir).brands().unwrap().len(), 2);
    }

    /// What holds the vault's keys but not the invitation (another
    /// device, one revoked later) cannot make a part the joiner takes:
    /// a part sealed and signed as a sync object, or a part of another
    /// image of the same inviter, is refused.
    #[test]
    fn a_part_not_sealed_under_the_images_own_key_is_refused() {
        let dirs = tempfile::tempdir().unwrap();
        let (mut a, target) = inviter(dirs.path());
        let (first, code) = invite_desktop(&mut a);
        let store = target.open().unwrap();
        let parts = |store: &dyn crate::sync::target::Target| -> Vec<String> {
            let mut p: Vec<String> = store
                .list()
                .unwrap()
                .into_iter()
                .filter(|n| n.starts_with("images/"))
                .collect();
            p.sort();
            p
        };
        let mine = parts(store.as_ref());
        // A second invitation's image, under the next names.
        a.sync()
            .invite("laptop", DEFAULT_INVITATION_MS, 1_000)
            .unwrap();
        let theirs: Vec<String> = parts(store.as_ref())
            .into_iter()
            .filter(|n| !mine.contains(n))
            .collect();
        let swap = |with: &[u8]| {
            store.remove(&mine[0]).unwrap();
            store.put_new(&mine[0], with).unwrap();
        };
        let b_dir = dirs.path().join("b");
        let try_join = || {
            join_with_pass(&b_dir, &first, &code, 2_000)
                .map(|_| ())
                .unwrap_err()
        };
        // The other image's first part, moved under this one's name: its
        // header names its own place, so it is refused as misnamed; with
        // the header rewritten, it does not open under this image's key.
        let other = store.get(&theirs[0]).unwrap().unwrap();
        swap(&other);
        let e = try_join();
        assert_eq!(e.code(), "sync.refused", "{e}");
        let mut renamed = other.clone();
        let seq = parse_name(&mine[0]).unwrap().2;
        renamed[25..33].copy_from_slice(&seq.to_be_bytes());
        swap(&renamed);
        let e = try_join();
        assert!(e.to_string().contains("another image"), "{e}");
        // Sealed under the sync key and signed by the inviter itself.
        let local = a.sync().local_or_err().unwrap();
        let header = ObjectHeader {
            kind: ObjectKind::Image,
            device: local.device_id().unwrap(),
            seq,
            hlc: local.hlc,
        };
        let forged = crate::sync::object::seal_object(
            &header,
            b"not the database",
            &a.sync().ciphers(&local).unwrap().write,
            &local.signer().unwrap(),
        )
        .unwrap();
        swap(&forged);
        let e = try_join();
        assert_eq!(e.code(), "sync.refused", "{e}");
        assert!(!b_dir.join("vault.db").exists());
    }

    #[test]
    fn an_altered_image_is_refused_and_leaves_no_vault() {
        let dirs = tempfile::tempdir().unwrap();
        let (mut a, target) = inviter(dirs.path());
        let (bytes, code) = invite_desktop(&mut a);
        let store = target.open().unwrap();
        let part = store
            .list()
            .unwrap()
            .into_iter()
            .find(|n| n.starts_with("images/"))
            .unwrap();
        let mut object = store.get(&part).unwrap().unwrap();
        let mid = object.len() / 2;
        object[mid] ^= 1;
        store.remove(&part).unwrap();
        store.put_new(&part, &object).unwrap();
        let b_dir = dirs.path().join("b");
        let e = join_with_pass(&b_dir, &bytes, &code, 2_000).unwrap_err();
        assert_eq!(e.code(), "sync.refused", "{e}");
        assert!(!b_dir.join("vault.db").exists());
        // An expired invitation is refused before anything is made.
        let e = join_with_pass(&b_dir, &bytes, &code, 1_000 + DEFAULT_INVITATION_MS).unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
    }
}
