//! The activity log: every share, revocation, acknowledgment, terms version,
//! rights request, export and deletion appends one entry.
//!
//! Entries are sealed like every other value (their associated data binds the
//! sequence number) and hash-chained, JLINC-style: each carries the SHA-256 of
//! the previous entry's plaintext, and a sealed head document holds the count
//! and the last hash. So an altered entry fails to open, a removed or
//! reordered one breaks the chain, and a removed last entry disagrees with the
//! head. Entries name ids, kinds and field names, never a value the person
//! typed: deleting a record removes its content everywhere, while the log
//! keeps that a deletion happened.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{Error, Result};
use crate::model::BrandId;
use crate::vault::Vault;
use crate::vault::store;

pub(crate) const HEAD_KIND: &str = "audit-head";
const HEAD_ID: &str = "head";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
#[non_exhaustive]
pub enum AuditAction {
    /// A new version of the person's terms.
    TermsCreated,
    /// Terms were signed for one brand and exported.
    TermsIssued,
    /// A brand's answer to the terms was imported.
    AgreementImported,
    /// Records were shared with a brand.
    ShareCreated,
    /// A share was revoked and erasure demanded.
    ShareRevoked,
    /// A brand acknowledged erasure.
    ErasureAcknowledged,
    /// A data-rights request was made.
    RightsRequested,
    /// A data-rights request changed status.
    RightsUpdated,
    /// The vault was exported.
    Exported,
    /// Records were imported.
    Imported,
    /// A record was deleted.
    RecordDeleted,
    /// A brand was deleted, with its records and documents.
    BrandDeleted,
    /// An intent was made.
    IntentCreated,
    /// An intent was sent to brands.
    IntentSent,
    /// An intent was withdrawn.
    IntentWithdrawn,
    /// A brand's offer was imported.
    OfferImported,
    /// An offer was accepted.
    OfferAccepted,
    /// An offer was declined.
    OfferDeclined,
    /// A proposal discovered in the person's mail was accepted.
    DiscoveryAccepted,
}

impl AuditAction {
    /// The stable kebab-case id.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::TermsCreated => "terms-created",
            AuditAction::TermsIssued => "terms-issued",
            AuditAction::AgreementImported => "agreement-imported",
            AuditAction::ShareCreated => "share-created",
            AuditAction::ShareRevoked => "share-revoked",
            AuditAction::ErasureAcknowledged => "erasure-acknowledged",
            AuditAction::RightsRequested => "rights-requested",
            AuditAction::RightsUpdated => "rights-updated",
            AuditAction::Exported => "exported",
            AuditAction::Imported => "imported",
            AuditAction::RecordDeleted => "record-deleted",
            AuditAction::BrandDeleted => "brand-deleted",
            AuditAction::IntentCreated => "intent-created",
            AuditAction::IntentSent => "intent-sent",
            AuditAction::IntentWithdrawn => "intent-withdrawn",
            AuditAction::OfferImported => "offer-imported",
            AuditAction::OfferAccepted => "offer-accepted",
            AuditAction::OfferDeclined => "offer-declined",
            AuditAction::DiscoveryAccepted => "discovery-accepted",
        }
    }
}

/// One entry of the activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct AuditEntry {
    /// 1, 2, 3… with no gaps.
    pub seq: u64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub action: AuditAction,
    /// The brand concerned (its id; the brand may since have been deleted).
    pub brand: Option<BrandId>,
    /// The id of what it is about (share, terms version, request, record…).
    pub subject: Option<String>,
    /// A short description without any value the person typed.
    pub summary: String,
    /// SHA-256 (hex) of the previous entry's plaintext; empty for the first.
    pub prev: String,
}

/// The sealed head of the log: how many entries, and the last one's hash.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Head {
    count: u64,
    last: String,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct AuditReport {
    /// Entries checked.
    pub entries: u64,
    /// SHA-256 (hex) of the last entry: a person who writes it down can later
    /// tell that nothing before it changed.
    pub head: String,
}

/// The activity log as the app shows it: every entry, checked as it is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct AuditLog {
    /// Every entry, oldest first.
    pub entries: Vec<AuditEntry>,
    /// What the check found.
    pub report: AuditReport,
}

pub(super) fn entry_aad(seq: u64) -> Vec<u8> {
    format!("vrm-vault/1\0audit_log\0{seq}").into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

impl Vault {
    fn audit_head(&self, conn: &Connection) -> Result<Option<Head>> {
        match store::doc(conn, HEAD_KIND, HEAD_ID)? {
            Some(row) => Ok(Some(self.open_doc(&row).map_err(|_| {
                Error::AuditBroken("the log's head is damaged or was tampered with".into())
            })?)),
            None => Ok(None),
        }
    }

    /// Append an entry inside the caller's transaction (`conn` is the
    /// transaction), so the action and its log entry commit together.
    pub(crate) fn append_audit(
        &self,
        conn: &Connection,
        action: AuditAction,
        brand: Option<&str>,
        subject: Option<&str>,
        summary: impl Into<String>,
    ) -> Result<()> {
        let head = self.audit_head(conn)?;
        let prev = head.clone().unwrap_or_default();
        let entry = AuditEntry {
            seq: prev.count + 1,
            at: Utc::now(),
            action,
            brand: brand.map(BrandId::from),
            subject: subject.map(str::to_string),
            summary: summary.into(),
            prev: prev.last,
        };
        let plain = serde_json::to_vec(&entry).map_err(|e| Error::Database(e.to_string()))?;
        let body = self.seal_bytes(&entry_aad(entry.seq), &plain)?;
        store::insert_audit(conn, entry.seq as i64, &body)?;
        let new_head = Head {
            count: entry.seq,
            last: hex(&crypto::sha256(&plain)),
        };
        if head.is_some() {
            self.replace_doc(conn, HEAD_KIND, HEAD_ID, &new_head)
        } else {
            self.insert_doc(conn, HEAD_KIND, HEAD_ID, None, &new_head)
        }
    }

    /// Write the entries of a backup's log into an empty log, as they were
    /// (their chain is kept: each entry's plaintext is re-sealed unchanged).
    pub(crate) fn restore_audit(&self, conn: &Connection, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        // What this vault logged so far (the restore's own import) goes after
        // the backup's history.
        let existing = if self.audit_head(conn)?.is_some() {
            self.audit().entries()?.0
        } else {
            Vec::new()
        };
        store::clear_audit(conn)?;
        store::delete_doc(conn, HEAD_KIND, HEAD_ID)?;
        let mut last = String::new();
        for (i, entry) in entries.iter().enumerate() {
            if entry.seq != i as u64 + 1 || entry.prev != last {
                return Err(Error::AuditBroken(format!(
                    "the backup's activity log breaks at entry {}",
                    i + 1
                )));
            }
            let plain = serde_json::to_vec(entry).map_err(|e| Error::Database(e.to_string()))?;
            let body = self.seal_bytes(&entry_aad(entry.seq), &plain)?;
            store::insert_audit(conn, entry.seq as i64, &body)?;
            last = hex(&crypto::sha256(&plain));
        }
        let head = Head {
            count: entries.len() as u64,
            last,
        };
        self.insert_doc(conn, HEAD_KIND, HEAD_ID, None, &head)?;
        for e in existing {
            self.append_audit(
                conn,
                e.action,
                e.brand.as_deref(),
                e.subject.as_deref(),
                e.summary,
            )?;
        }
        Ok(())
    }
}

/// The activity log of an unlocked vault (`vault.audit()`): append an
/// event, read and check the chain.
#[derive(Debug)]
pub struct Audit<'v> {
    vault: &'v Vault,
}

impl Vault {
    /// The activity log.
    pub fn audit(&self) -> Audit<'_> {
        Audit { vault: self }
    }
}

impl Audit<'_> {
    /// Append an entry on its own (for actions outside the vault's own
    /// writes, such as an export the caller wrote).
    pub fn log(
        &self,
        action: AuditAction,
        brand: Option<&str>,
        subject: Option<&str>,
        summary: &str,
    ) -> Result<()> {
        let tx = self.vault.write_tx()?;
        self.vault
            .append_audit(&tx, action, brand, subject, summary)?;
        tx.commit()?;
        Ok(())
    }

    /// Open and check the whole log: every entry authenticates, sequence
    /// numbers have no gaps, each entry names the hash of the one before, and
    /// the head agrees with the last. Returns the entries, oldest first.
    pub fn entries(&self) -> Result<(Vec<AuditEntry>, AuditReport)> {
        let rows = store::audit_rows(self.vault.conn())?;
        let head = self
            .vault
            .audit_head(self.vault.conn())?
            .unwrap_or_default();
        let mut entries = Vec::with_capacity(rows.len());
        let mut last = String::new();
        for (i, (seq, body)) in rows.iter().enumerate() {
            let expected = i as u64 + 1;
            if *seq as u64 != expected {
                return Err(Error::AuditBroken(format!(
                    "entry {expected} is missing (the next one is {seq})"
                )));
            }
            let plain = self
                .vault
                .open_bytes(&entry_aad(expected), body)
                .ok_or_else(|| {
                    Error::AuditBroken(format!("entry {expected} was altered or moved"))
                })?;
            let entry: AuditEntry = serde_json::from_slice(&plain)
                .map_err(|_| Error::AuditBroken(format!("entry {expected} cannot be read")))?;
            if entry.seq != expected || entry.prev != last {
                return Err(Error::AuditBroken(format!(
                    "entry {expected} does not follow the one before it"
                )));
            }
            last = hex(&crypto::sha256(&plain));
            entries.push(entry);
        }
        let count = entries.len() as u64;
        // The manifest knows how many entries the log had and whether it
        // had a head: wiping both is not an empty log.
        self.vault.check_log_against_manifest(count)?;
        if head.count != count || head.last != last {
            return Err(Error::AuditBroken(format!(
                "the log ends at entry {count}, but its head says {}: entries were removed",
                head.count
            )));
        }
        Ok((
            entries,
            AuditReport {
                entries: count,
                head: last,
            },
        ))
    }

    /// [`Audit::entries`] as one value.
    pub fn read(&self) -> Result<AuditLog> {
        let (entries, report) = self.entries()?;
        Ok(AuditLog { entries, report })
    }

    /// Check the log (see [`Audit::entries`]).
    pub fn verify(&self) -> Result<AuditReport> {
        Ok(self.entries()?.1)
    }

    /// How many entries the log's sealed head counts, unchecked against
    /// the entries: a cheap "is there anything new" before
    /// [`Audit::entries`], whose check against the manifest reads all of
    /// it.
    pub(crate) fn count(&self) -> Result<u64> {
        Ok(self
            .vault
            .audit_head(self.vault.conn())?
            .map_or(0, |h| h.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::KdfParams;
    use secrecy::SecretString;

    fn vault() -> (tempfile::TempDir, Vault) {
        let dir = tempfile::tempdir().unwrap();
        let (v, _) = Vault::create(
            &dir.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        (dir, v)
    }

    fn three(v: &mut Vault) {
        for i in 0..3 {
            v.audit()
                .log(AuditAction::Exported, None, None, &format!("export {i}"))
                .unwrap();
        }
    }

    #[test]
    fn the_count_is_the_heads() {
        let (_d, mut v) = vault();
        assert_eq!(v.audit().count().unwrap(), 0);
        three(&mut v);
        assert_eq!(v.audit().count().unwrap(), 3);
        assert_eq!(v.audit().verify().unwrap().entries, 3);
    }

    #[test]
    fn entries_chain_and_verify() {
        let (_d, mut v) = vault();
        assert_eq!(v.audit().verify().unwrap().entries, 0);
        three(&mut v);
        let (entries, report) = v.audit().entries().unwrap();
        assert_eq!(report.entries, 3);
        assert_eq!(entries[0].prev, "");
        assert_eq!(entries[2].summary, "export 2");
        assert_ne!(entries[1].prev, entries[2].prev);
    }

    #[test]
    fn removing_any_entry_is_detected() {
        for victim in 1..=3 {
            let (_d, mut v) = vault();
            three(&mut v);
            v.outside_conn()
                .execute("DELETE FROM audit_log WHERE seq = ?1", [victim])
                .unwrap();
            let err = v.audit().verify().unwrap_err();
            assert_eq!(err.code(), "audit.broken", "removing {victim}: {err}");
        }
    }

    #[test]
    fn altering_or_swapping_entries_is_detected() {
        let (_d, mut v) = vault();
        three(&mut v);
        v.outside_conn()
            .execute(
                "UPDATE audit_log SET body = (SELECT body FROM audit_log WHERE seq = 1) WHERE seq = 2",
                [],
            )
            .unwrap();
        assert!(matches!(v.audit().verify(), Err(Error::AuditBroken(_))));

        let (_d, mut v) = vault();
        three(&mut v);
        let mut body: Vec<u8> = v
            .conn()
            .query_row("SELECT body FROM audit_log WHERE seq = 3", [], |r| r.get(0))
            .unwrap();
        body[20] ^= 1;
        v.outside_conn()
            .execute("UPDATE audit_log SET body = ?1 WHERE seq = 3", [body])
            .unwrap();
        assert!(matches!(v.audit().verify(), Err(Error::AuditBroken(_))));
    }
}
