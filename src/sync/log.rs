//! The activity log across devices.
//!
//! Each device keeps its own hash-chained log (`vault/audit.rs`), as
//! before sync. At each sync a device copies the entries it added since
//! the last into `device-log` documents (`<device>/<seq>`), which sync like
//! any document: written once, never edited. [`Syncing::log`] shows this
//! device's chain and every other device's entries, oldest first, each
//! device's run checked as a chain (consecutive numbers, each naming the
//! hash of the one before).
//!
//! A device that joined from an image starts with its inviter's chain
//! (`log_base` entries): those are the inviter's, shown from the inviter's
//! documents, and this device's own entries follow them in its chain.

use std::collections::BTreeMap;

use serde::Serialize;

use super::engine::{LOCAL_ID, LOCAL_KIND, LocalState};
use crate::error::{Error, Result};
use crate::vault::audit::AuditEntry;
use crate::vault::features::Syncing;

/// Other devices' log entries, synced.
pub(crate) const DEVICE_LOG_KIND: &str = "device-log";

/// One entry of the log across devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct DeviceLogEntry {
    /// The entry as its device logged it.
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// The device that logged it (its id), or `None` for this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// That device's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
}

impl Syncing<'_> {
    /// Copies the entries this device's log gained since the last sync
    /// into `device-log` documents (inside the sync's run). A log that
    /// does not check is not copied (and says so where it is read).
    pub(super) fn publish_log(&mut self, local: &mut LocalState) -> Result<()> {
        let from = local.log_published.max(local.log_base);
        // Most syncs have nothing to publish; the full check costs a read
        // of the whole manifest.
        match self.vault.audit().count() {
            Ok(count) if count <= from => return Ok(()),
            Ok(_) | Err(Error::AuditBroken(_)) => {}
            Err(e) => return Err(e),
        }
        let entries = match self.vault.audit().entries() {
            Ok((entries, _)) => entries,
            Err(Error::AuditBroken(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let new: Vec<&AuditEntry> = entries.iter().filter(|e| e.seq > from).collect();
        let Some(last) = new.last().map(|e| e.seq) else {
            return Ok(());
        };
        let mut docs = Vec::with_capacity(new.len() + 1);
        for e in new {
            let value = serde_json::to_value(e).map_err(|e| Error::Database(e.to_string()))?;
            docs.push((
                DEVICE_LOG_KIND,
                format!("{}/{:016x}", local.device, e.seq),
                value,
            ));
        }
        local.log_published = last;
        docs.push((LOCAL_KIND, LOCAL_ID.into(), local.to_json()?));
        self.vault.write_sync(&[], &docs)
    }

    /// The activity log of every device, oldest first (by time, then
    /// device, then number). This device's chain is checked as
    /// `vault.audit()` checks it; each other device's entries must follow
    /// one another as a chain.
    pub fn log(&mut self) -> Result<Vec<DeviceLogEntry>> {
        let (own, _) = self.vault.audit().entries()?;
        let Some(local) = self.local()? else {
            return Ok(own
                .into_iter()
                .map(|entry| DeviceLogEntry {
                    entry,
                    device: None,
                    device_name: None,
                })
                .collect());
        };
        let names: BTreeMap<String, String> = self
            .devices()?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        let mut out: Vec<DeviceLogEntry> = own
            .into_iter()
            .filter(|e| e.seq > local.log_base)
            .map(|entry| DeviceLogEntry {
                entry,
                device: None,
                device_name: None,
            })
            .collect();
        let docs: Vec<(String, AuditEntry)> = self
            .vault
            .docs_with_ids::<AuditEntry>(DEVICE_LOG_KIND)?
            .0
            .into_iter()
            .collect();
        let mut by_device: BTreeMap<String, Vec<AuditEntry>> = BTreeMap::new();
        for (id, entry) in docs {
            let Some((device, seq)) = id.split_once('/') else {
                continue;
            };
            if device == local.device {
                continue;
            }
            if u64::from_str_radix(seq, 16).ok() != Some(entry.seq) {
                return Err(Error::AuditBroken(format!(
                    "device {device}'s log entry {seq} is filed under another number"
                )));
            }
            by_device.entry(device.to_string()).or_default().push(entry);
        }
        for (device, mut entries) in by_device {
            entries.sort_by_key(|e| e.seq);
            for pair in entries.windows(2) {
                let plain =
                    serde_json::to_vec(&pair[0]).map_err(|e| Error::Database(e.to_string()))?;
                let hash = data_encoding::HEXLOWER.encode(&crate::crypto::sha256(&plain));
                if pair[1].seq != pair[0].seq + 1 || pair[1].prev != hash {
                    return Err(Error::AuditBroken(format!(
                        "device {device}'s log does not follow on at entry {}",
                        pair[1].seq
                    )));
                }
            }
            let name = names.get(&device).cloned();
            out.extend(entries.into_iter().map(|entry| DeviceLogEntry {
                entry,
                device: Some(device.clone()),
                device_name: name.clone(),
            }));
        }
        out.sort_by(|a, b| {
            (a.entry.at, &a.device, a.entry.seq).cmp(&(b.entry.at, &b.device, b.entry.seq))
        });
        Ok(out)
    }
}
