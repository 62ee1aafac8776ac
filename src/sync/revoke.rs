//! Revoking a device: `vrm device revoke ID`.
//!
//! A revoked device keeps what it held (its copy of the vault, the vault
//! key, the sync key of its time): nothing can take that back. What
//! revocation does is stop what comes after:
//!
//! - its objects written after the last one the revoking device had
//!   applied are refused by every device (`revoked_after`);
//! - a new sync key is made, sealed (age, X25519) to each device kept and
//!   to no other, in a `keys/<device>/<epoch>` object of the store; every
//!   object after it is sealed under the new key, so the revoked device
//!   reads nothing written after its revocation;
//! - a snapshot under the new key replaces the objects of the store, which
//!   are removed (the revoked device had read them already).
//!
//! Why not re-key the vault itself (a new vault key, every row sealed
//! again on every device): the revoked device never sees another device's
//! files, only the store, and the store holds only what is sealed under
//! the sync key. Re-keying every row on every device would cost a rewrite
//! of each database and protect nothing the new sync key does not. (The
//! vault key still seals an invitation's image inside the sync key's seal,
//! and an invitation's one-time code seals the vault key: a revoked device
//! has neither the new sync key nor the code.)
//!
//! Two devices revoking at once may each make a key of the same epoch:
//! the one made by the larger device id is written with, and a device
//! whose newest key was sealed to a device revoked since makes another.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::engine::{
    DEVICE_KIND, DeviceInfo, EpochKey, LOCAL_ID, LOCAL_KIND, LocalState, SyncReport, b64,
};
use super::object::{DeviceKey, ObjectHeader, ObjectKind, keys_name, open_object_with, parse_name};
use super::target::Target;
use crate::crypto::bundle::{AgeIdentity, OpenKey, OpenLimits};
use crate::error::{Error, Result};
use crate::vault::features::Syncing;

/// A `keys/` object's body: a new sync key sealed to the devices kept.
#[derive(Serialize, Deserialize)]
struct KeyGrant {
    epoch: u64,
    /// The devices it is sealed to.
    recipients: Vec<String>,
    /// The devices revoked when it was made.
    revoked: Vec<String>,
    /// The key, age-encrypted to the recipients' X25519 keys.
    #[serde(with = "serde_bytes")]
    wrapped: Vec<u8>,
}

/// What a revocation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RevokeReport {
    /// The device revoked.
    pub device: String,
    /// Its objects after this one are refused.
    pub revoked_after: u64,
    /// The new sync key's epoch.
    pub epoch: u64,
    /// The devices given the new key (this one included).
    pub devices_kept: usize,
    /// The snapshot under the new key, and the objects it replaced.
    pub compact: super::engine::CompactReport,
}

impl Syncing<'_> {
    /// Revokes device `id` (see the module's comment): syncs first, so
    /// what it sent before is kept, then refuses its later objects, makes a
    /// new sync key for the devices kept and compacts the store under it.
    pub fn revoke(&mut self, id: &str, now_ms: u64) -> Result<RevokeReport> {
        let local = self.local_or_err()?;
        let target = local.target.clone().ok_or(Error::SyncNotSetUp)?.open()?;
        if local.device == id {
            return Err(Error::invalid(
                "a device cannot revoke itself; revoke it from another device",
            ));
        }
        drop(local);
        self.sync_with(target.as_ref(), now_ms)?;
        let (revoked_after, epoch, kept) = {
            let _lock = self.vault.sync_lock()?;
            let mut device = self
                .devices()?
                .into_iter()
                .find(|d| d.id == id)
                .ok_or_else(|| Error::invalid(format!("this vault has no device {id}")))?;
            if device.revoked_after.is_some() {
                return Err(Error::invalid(format!(
                    "device {id} ({}) is revoked already",
                    device.name
                )));
            }
            let mut local = self.local_or_err()?;
            let last = local.applied.get(id).copied().unwrap_or(0);
            device.revoked_after = Some(last);
            self.vault
                .write_sync(&[], &[(DEVICE_KIND, id.to_string(), to_json(&device)?)])?;
            let epoch = self.grant_new_key(target.as_ref(), &mut local, now_ms)?;
            let kept = local
                .epochs
                .iter()
                .find(|e| e.epoch == epoch && e.granter == local.device)
                .map_or(0, |e| e.recipients.len());
            (last, epoch, kept)
        };
        let compact = self.compact(target.as_ref(), now_ms)?;
        Ok(RevokeReport {
            device: id.to_string(),
            revoked_after,
            epoch,
            devices_kept: kept,
            compact,
        })
    }

    /// Gives this device an X25519 identity if it has none (one made
    /// before revocation existed), and lists its recipient in its device
    /// document, which the next push carries.
    pub(super) fn ensure_recipient(&mut self, local: &mut LocalState) -> Result<()> {
        use secrecy::ExposeSecret;
        let mine = self.devices()?.into_iter().find(|d| d.id == local.device);
        let Some(mut mine) = mine else {
            return Ok(());
        };
        let identity = match &local.x25519 {
            Some(x) => AgeIdentity::parse(x)?,
            None => {
                let identity = AgeIdentity::generate();
                local.x25519 = Some(identity.to_secret_string().expose_secret().to_string());
                identity
            }
        };
        let recipient = identity.recipient();
        if mine.recipient.as_deref() == Some(recipient.as_str()) {
            return Ok(());
        }
        mine.recipient = Some(recipient);
        self.vault.write_sync(
            &[],
            &[
                (DEVICE_KIND, mine.id.clone(), to_json(&mine)?),
                (LOCAL_KIND, LOCAL_ID.into(), local.to_json()?),
            ],
        )
    }

    /// Makes a new sync key, seals it to every device not revoked, writes
    /// it to the store (sealed under the key of now, signed), and keeps
    /// it. Returns its epoch.
    pub(super) fn grant_new_key(
        &mut self,
        target: &dyn Target,
        local: &mut LocalState,
        now_ms: u64,
    ) -> Result<u64> {
        let me = local.device_id()?;
        let devices = self.devices()?;
        let kept: Vec<&DeviceInfo> = devices
            .iter()
            .filter(|d| d.revoked_after.is_none())
            .collect();
        let without: Vec<&str> = kept
            .iter()
            .filter(|d| d.recipient.is_none())
            .map(|d| d.name.as_str())
            .collect();
        if !without.is_empty() {
            return Err(Error::invalid(format!(
                "device(s) {} have not synced since revocation came to VRM Vault, so a new key cannot be sealed to them: sync each once (or revoke it too)",
                without.join(", ")
            )));
        }
        let recipients: Vec<String> = kept.iter().filter_map(|d| d.recipient.clone()).collect();
        let mut key = Zeroizing::new([0u8; 32]);
        crate::crypto::fill_random(key.as_mut())?;
        let wrapped = crate::crypto::bundle::encrypt(key.as_slice(), &recipients)?;
        let ciphers = self.ciphers(local)?;
        let signer = local.signer()?;
        let mut epoch = local.epochs.iter().map(|e| e.epoch).max().unwrap_or(0) + 1;
        let grant_recipients: Vec<String> = kept.iter().map(|d| d.id.clone()).collect();
        loop {
            let grant = KeyGrant {
                epoch,
                recipients: grant_recipients.clone(),
                revoked: devices
                    .iter()
                    .filter(|d| d.revoked_after.is_some())
                    .map(|d| d.id.clone())
                    .collect(),
                wrapped: wrapped.clone(),
            };
            let body = postcard::to_allocvec(&grant).map_err(|e| Error::Database(e.to_string()))?;
            local.hlc = local.hlc.tick(now_ms);
            let header = ObjectHeader {
                kind: ObjectKind::Keys,
                device: me,
                seq: epoch,
                hlc: local.hlc,
            };
            let object = super::object::seal_object(&header, &body, &ciphers.write, &signer)?;
            match target.put_new(&keys_name(me, epoch), &object) {
                Ok(()) => break,
                // A grant of a run stopped before it kept its key (the
                // next sync learns it back): the next epoch.
                Err(Error::SyncObjectExists(_)) => epoch += 1,
                Err(e) => return Err(e),
            }
        }
        local.epochs.push(EpochKey {
            epoch,
            granter: local.device.clone(),
            key: b64(key.as_slice()),
            recipients: grant_recipients,
        });
        self.vault
            .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
        Ok(epoch)
    }

    /// Takes up the keys in the store's `keys/` objects this device does
    /// not hold yet and was given. A grant this device was left out of is
    /// reported (it was revoked); one signed by a revoked device, or that
    /// does not check, is refused and reported.
    pub(super) fn learn_keys(
        &mut self,
        target: &dyn Target,
        listing: &[String],
        report: &mut SyncReport,
    ) -> Result<()> {
        let mut local = self.local_or_err()?;
        let mut pending: Vec<&String> = listing
            .iter()
            .filter(|n| {
                parse_name(n).is_some_and(|(kind, d, epoch)| {
                    kind == ObjectKind::Keys
                        && !local
                            .epochs
                            .iter()
                            .any(|e| e.epoch == epoch && e.granter == d.to_string())
                })
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let identity = local
            .x25519
            .as_deref()
            .map(AgeIdentity::parse)
            .transpose()?;
        let devices = self.devices()?;
        let mut learned = false;
        // Passes until one learns nothing: a grant is sealed under the key
        // of its time, which an earlier grant may hold.
        loop {
            let ciphers = self.ciphers(&local)?;
            let mut progress = false;
            let mut left = Vec::new();
            for name in pending {
                let Some(bytes) = target.get(name)? else {
                    continue;
                };
                let opened = open_object_with(name, &bytes, &ciphers.read, |d| {
                    // A revoked device's grant is refused whatever its number.
                    Self::device_key(&devices, d).map(|k| DeviceKey {
                        revoked_after: k.revoked_after.map(|_| 0),
                        ..k
                    })
                });
                let (header, body) = match opened {
                    Ok(o) => o,
                    Err(super::object::Refusal::Foreign) => {
                        left.push(name);
                        continue;
                    }
                    Err(reason) => {
                        report.refused.push(format!("{name}: {reason}"));
                        continue;
                    }
                };
                let grant = match postcard::from_bytes::<KeyGrant>(&body) {
                    Ok(g) if g.epoch == header.seq => g,
                    _ => {
                        report
                            .refused
                            .push(format!("{name}: it is not a key grant of its number"));
                        continue;
                    }
                };
                if grant.revoked.contains(&local.device) {
                    return Err(Error::SyncDeviceRevoked(header.device.to_string()));
                }
                if !grant.recipients.contains(&local.device) {
                    report.refused.push(format!(
                        "{name}: this device was not given the vault's new sync key (it was revoked by device {})",
                        header.device
                    ));
                    continue;
                }
                let key = identity.as_ref().and_then(|id| {
                    crate::crypto::bundle::decrypt(
                        &grant.wrapped,
                        &OpenKey::Identities(std::slice::from_ref(id)),
                        &OpenLimits::default(),
                    )
                    .ok()
                });
                let Some(key) = key.filter(|k| k.len() == 32) else {
                    report.refused.push(format!(
                        "{name}: the key it holds does not open with this device's key"
                    ));
                    continue;
                };
                local.epochs.push(EpochKey {
                    epoch: grant.epoch,
                    granter: header.device.to_string(),
                    key: b64(&key),
                    recipients: grant.recipients.clone(),
                });
                progress = true;
                learned = true;
            }
            pending = left;
            if !progress || pending.is_empty() {
                break;
            }
        }
        for name in pending {
            report.refused.push(format!(
                "{name}: it does not open with this vault's sync keys (another vault's, or a key this device was not given)"
            ));
        }
        if learned {
            self.vault
                .write_sync(&[], &[(LOCAL_KIND, LOCAL_ID.into(), local.to_json()?)])?;
        }
        Ok(())
    }

    /// After a pull: if the key this device writes with was sealed to a
    /// device revoked since (two revocations at once), makes a new one.
    pub(super) fn rotate_if_needed(&mut self, target: &dyn Target, now_ms: u64) -> Result<()> {
        let mut local = self.local_or_err()?;
        let Some(newest) = local
            .epochs
            .iter()
            .max_by(|a, b| (a.epoch, &a.granter).cmp(&(b.epoch, &b.granter)))
        else {
            return Ok(());
        };
        let revoked: Vec<String> = self
            .devices()?
            .into_iter()
            .filter(|d| d.revoked_after.is_some())
            .map(|d| d.id)
            .collect();
        if newest.recipients.iter().any(|r| revoked.contains(r)) {
            self.grant_new_key(target, &mut local, now_ms)?;
        }
        Ok(())
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::Database(e.to_string()))
}
