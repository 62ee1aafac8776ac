//! Selective sharing: chosen records (and fields) for one brand, for one
//! purpose, until a date, under the person's terms; revocation with an
//! erasure demand; the brand's acknowledgment; and exposure — who holds what.
//!
//! A share leaves the vault as an age file encrypted to the brand's
//! recipient and to the person's own, holding a signed `ShareGrant`. The
//! vault keeps only what it needs to account for the share (record ids, kinds
//! and field *names*, dates, digests) — never a second copy of the values, so
//! deleting a record removes its content everywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto::bundle;
use crate::error::{Error, Result};
use crate::model::{BrandId, OBSERVED_DOC, Observed, RecordId, RecordKind, ShareId};
use crate::proof;
use crate::terms::agreement::{TermsRef, derived_uuid, urn_uuid};
use crate::vault::audit::AuditAction;
use crate::vault::features::Shares;
use crate::vault::fs::{FileMode, OutFile, write_file};

const SHARE_KIND: &str = "share";

/// The credential type of a share.
pub const SHARE_GRANT: &str = "ShareGrant";
/// The credential type of a revocation.
pub const SHARE_REVOCATION: &str = "ShareRevocation";
/// The credential type of a brand's acknowledgment of erasure.
pub const DELETION_ACKNOWLEDGMENT: &str = "DeletionAcknowledgment";

/// Erasure deadline demanded when a share has no terms.
pub const DEFAULT_ERASURE_DAYS: u32 = 30;
/// Longest a share may run.
pub const MAX_SHARE_DAYS: i64 = 3650;
/// Most records in one share.
pub const MAX_SHARE_RECORDS: usize = 100_000;

/// What the person asks to share.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ShareRequest {
    /// The brand (id, name or prefix).
    pub brand: String,
    /// Record ids (or unique prefixes).
    pub records: Vec<String>,
    /// Only these fields of each record (all fields when empty).
    pub fields: Vec<String>,
    /// What the brand may use them for.
    pub purpose: String,
    /// When the share ends.
    pub expires_at: DateTime<Utc>,
    /// The terms version it is under (number, id or `latest`); none: the
    /// latest version if there is one.
    pub terms: Option<String>,
}

/// One record as shared: which, of what kind, and which fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct SharedItem {
    /// The record's id in the vault (never sent to the brand).
    pub record: RecordId,
    /// The id the brand sees for it (different for every share).
    pub reference: String,
    /// Its kind.
    pub kind: RecordKind,
    /// The names of the fields shared.
    pub fields: Vec<String>,
}

/// A share's revocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Revocation {
    /// The revocation document's id.
    pub id: String,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The date by which the brand must have erased the data.
    pub erase_by: DateTime<Utc>,
}

/// A brand's acknowledgment that it erased the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Acknowledgment {
    /// The acknowledgment document's id.
    pub id: String,
    /// When the brand says it erased the data.
    pub erased_at: DateTime<Utc>,
    /// When it was imported.
    pub received_at: DateTime<Utc>,
    /// The signed document as received (JSON).
    pub document: String,
}

/// A share as the vault keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Share {
    /// Share id (the grant is `urn:uuid:<id>`).
    pub id: ShareId,
    /// The brand.
    pub brand: BrandId,
    /// The purpose.
    pub purpose: String,
    /// What was shared.
    pub items: Vec<SharedItem>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it ends by itself.
    pub expires_at: DateTime<Utc>,
    /// The terms it is under.
    pub terms: Option<TermsRef>,
    /// Days the brand has to erase after a revocation.
    pub erasure_days: u32,
    /// SHA-256 (hex) of the signed grant's JCS form.
    pub grant_digest: String,
    /// Set once revoked.
    pub revocation: Option<Revocation>,
    /// Set once the brand acknowledged erasure.
    pub acknowledgment: Option<Acknowledgment>,
}

/// Where a share stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum ShareStatus {
    /// In force.
    Live,
    /// Ran out by itself.
    Expired,
    /// Revoked; the brand still has time to erase.
    Revoked,
    /// Revoked, and the erasure deadline passed without an acknowledgment.
    Overdue,
    /// Revoked, and the brand acknowledged erasure.
    Erased,
}

impl ShareStatus {
    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareStatus::Live => "live",
            ShareStatus::Expired => "expired",
            ShareStatus::Revoked => "revoked",
            ShareStatus::Overdue => "overdue",
            ShareStatus::Erased => "erased",
        }
    }

    /// Whether the brand may still hold the data.
    pub fn still_held(self) -> bool {
        matches!(
            self,
            ShareStatus::Live | ShareStatus::Revoked | ShareStatus::Overdue
        )
    }
}

impl Share {
    /// Where it stands at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> ShareStatus {
        match (&self.revocation, &self.acknowledgment) {
            (Some(_), Some(_)) => ShareStatus::Erased,
            (Some(r), None) if now > r.erase_by => ShareStatus::Overdue,
            (Some(_), None) => ShareStatus::Revoked,
            (None, _) if now >= self.expires_at => ShareStatus::Expired,
            (None, _) => ShareStatus::Live,
        }
    }

    /// Whether it may be revoked: not revoked yet (live, or expired:
    /// revoking an expired share still demands erasure).
    pub fn can_revoke(&self) -> bool {
        self.revocation.is_none()
    }

    /// The names of every field it shares, sorted, once each.
    pub fn field_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .items
            .iter()
            .flat_map(|i| i.fields.iter().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// A share with its status and brand name, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ShareView {
    /// The share.
    pub share: Share,
    /// Its status now.
    pub status: ShareStatus,
    /// The brand's name.
    pub brand_name: String,
    /// It may be revoked ([`Share::can_revoke`]).
    pub can_revoke: bool,
}

/// Who holds one data item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Holder {
    /// The brand's id.
    pub brand: BrandId,
    /// The brand's name.
    pub brand_name: String,
    /// The share through which it holds the item.
    pub share: ShareId,
    /// Since when.
    pub since: DateTime<Utc>,
    /// Until when the share runs.
    pub until: DateTime<Utc>,
    /// The share's status (live, revoked, overdue).
    pub status: ShareStatus,
    /// The terms it holds it under.
    pub terms: Option<TermsRef>,
    /// The purpose.
    pub purpose: String,
}

/// One data item (a field name such as `email`) and who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ExposureItem {
    /// The field name.
    pub item: String,
    /// Each brand holding it, by share.
    pub holders: Vec<Holder>,
    /// Each brand seen to hold it in the person's mail (source `observed`),
    /// whether or not it was ever shared.
    pub observed: Vec<ObservedHolder>,
}

/// A brand seen to hold one data item: it wrote to (or was written from)
/// one of the person's addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ObservedHolder {
    /// The brand's id.
    pub brand: BrandId,
    /// The brand's name.
    pub brand_name: String,
    /// The value it holds (the address).
    pub value: String,
    /// Always `observed`: known from mail, not from a share.
    pub source: String,
    /// The first message that showed it.
    pub first_seen: NaiveDate,
    /// The last message that showed it.
    pub last_seen: NaiveDate,
    /// How many messages showed it.
    pub messages: u32,
}

/// A file written for the brand, with the share it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Written {
    /// The share.
    pub share: Share,
    /// Where the document for the brand was written.
    pub path: PathBuf,
}

fn check_purpose(purpose: &str) -> Result<String> {
    let p = purpose.trim();
    if p.is_empty() {
        return Err(Error::invalid_field("purpose", "a share needs a purpose"));
    }
    if p.chars().count() > 200 || p.contains(['\n', '\r']) {
        return Err(Error::invalid_field(
            "purpose",
            "the purpose must be one line of at most 200 characters",
        ));
    }
    Ok(p.to_string())
}

fn secs(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

impl Shares<'_> {
    /// Share records with a brand: writes the encrypted bundle to `out` and
    /// records the share. Nothing is recorded if the bundle cannot be
    /// written (nor if `out` is [`OutFile::new_only`] and a file is there
    /// when the bundle is put in place), and no bundle is left if recording
    /// fails.
    pub fn create<'o>(&mut self, req: &ShareRequest, out: impl Into<OutFile<'o>>) -> Result<Share> {
        let out = out.into();
        let now = secs(Utc::now());
        let brand = self.vault.brand(&req.brand)?;
        let recipient = brand.age_recipient.clone().ok_or_else(|| {
            Error::invalid_field(
                "brand",
                format!(
                    "{} has no age recipient to encrypt to; add it with `vrm brand edit {} --age-recipient age1…`",
                    brand.name, brand.name
                ),
            )
        })?;
        let purpose = check_purpose(&req.purpose)?;
        let expires_at = secs(req.expires_at);
        if expires_at <= now {
            return Err(Error::invalid_field(
                "expires",
                "the expiry must be in the future",
            ));
        }
        if expires_at > now + Duration::days(MAX_SHARE_DAYS) {
            return Err(Error::invalid_field(
                "expires",
                "a share may run at most ten years",
            ));
        }
        if req.records.is_empty() {
            return Err(Error::invalid_field(
                "record",
                "choose at least one record to share",
            ));
        }
        if req.records.len() > MAX_SHARE_RECORDS {
            return Err(Error::invalid_field(
                "record",
                format!("at most {MAX_SHARE_RECORDS} records in one share"),
            ));
        }
        let wanted: Vec<String> = req
            .fields
            .iter()
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty())
            .collect();
        let terms_version = match req.terms.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => Some(self.vault.terms().version(t)?),
            _ => self.vault.terms().versions()?.pop(),
        };

        if req.records.len() > 64 {
            self.vault.preload_records()?;
        }
        let share_id = ShareId::random();
        let mut items = Vec::with_capacity(req.records.len());
        let mut records_json = Vec::with_capacity(req.records.len());
        let mut seen = std::collections::HashSet::new();
        let mut empty = Vec::new();
        for key in &req.records {
            let record = self.vault.record(key)?;
            if !seen.insert(record.id.clone()) {
                continue;
            }
            let fields: BTreeMap<&String, &String> = record
                .fields
                .iter()
                .filter(|(k, _)| wanted.is_empty() || wanted.contains(k))
                .collect();
            if fields.is_empty() {
                empty.push(record.id.clone());
                continue;
            }
            let reference = derived_uuid(&["share item", &share_id, &record.id]).to_string();
            records_json.push(json!({
                "ref": format!("urn:uuid:{reference}"),
                "kind": record.kind.as_str(),
                "fields": fields,
            }));
            items.push(SharedItem {
                record: record.id.clone(),
                reference,
                kind: record.kind,
                fields: fields.keys().map(|k| k.to_string()).collect(),
            });
        }
        // A field asked for that no chosen record has would be left out
        // silently; a record left with no field would be shared empty.
        // (A field only some records have is shared where it is.)
        let mut missing: Vec<&str> = wanted
            .iter()
            .filter(|f| !items.iter().any(|i| i.fields.contains(*f)))
            .map(String::as_str)
            .collect();
        missing.dedup();
        if !missing.is_empty() {
            return Err(Error::invalid_field(
                "fields",
                format!(
                    "none of the chosen records has the field(s) {}; nothing was shared",
                    missing.join(", ")
                ),
            ));
        }
        if let Some(id) = empty.first() {
            return Err(Error::invalid_field(
                "fields",
                format!(
                    "record {id} has none of the fields {}; leave it out or name one it has; nothing was shared",
                    wanted.join(", ")
                ),
            ));
        }

        let tx = self.vault.write_tx()?;
        let key = self.vault.pairwise_key(&tx, &brand.id)?;
        let terms = match &terms_version {
            Some(v) => Some(crate::terms::agreement::issue_terms_in(self.vault, &tx, v, &brand)?.1),
            None => None,
        };
        let erasure_days = terms_version
            .as_ref()
            .map(|v| v.clauses.deletion_on_request_days)
            .unwrap_or(DEFAULT_ERASURE_DAYS);
        let mut subject = json!({
            "shareId": format!("urn:uuid:{share_id}"),
            "purpose": purpose,
            "eraseWithinDays": erasure_days,
            "records": records_json,
        });
        if let Some(did) = &brand.did {
            subject["id"] = json!(did);
        }
        if let Some(t) = &terms {
            subject["terms"] = t.to_json();
        }
        let uuid = uuid::Uuid::parse_str(&share_id).map_err(|e| Error::Database(e.to_string()))?;
        let grant =
            proof::issue_credential(SHARE_GRANT, &key, uuid, now, Some(expires_at), subject)?;
        let grant_digest = data_encoding::HEXLOWER.encode(&proof::jcs_sha256(&grant)?);
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec_pretty(&grant).map_err(|e| Error::Database(e.to_string()))?,
        );
        let own = self.vault.person_age_identity(&tx)?.recipient();
        let sealed = bundle::encrypt(&plain, &[recipient, own])?;

        let share = Share {
            id: share_id.clone(),
            brand: brand.id.clone(),
            purpose,
            items,
            created_at: now,
            expires_at,
            terms,
            erasure_days,
            grant_digest,
            revocation: None,
            acknowledgment: None,
        };
        self.vault
            .insert_doc(&tx, SHARE_KIND, &share.id, Some(&brand.id), &share)?;
        self.vault.append_audit(
            &tx,
            AuditAction::ShareCreated,
            Some(&brand.id),
            Some(&share.id),
            // Counts, not the fields' names: a custom field's name is the
            // person's own text, and the log outlives the record.
            format!(
                "shared {} record(s), {} field(s), until {}",
                share.items.len(),
                share.field_names().len(),
                share.expires_at.format("%Y-%m-%d")
            ),
        )?;
        write_file(out, FileMode::Private, &sealed)?;
        if let Err(e) = tx.commit() {
            let _ = std::fs::remove_file(out.path);
            return Err(e);
        }
        Ok(share)
    }

    /// One share by id or unique prefix.
    pub fn get(&self, id: &str) -> Result<Share> {
        self.vault.doc_by_id(SHARE_KIND, id, Error::ShareNotFound)
    }

    /// Every share (optionally of one brand), newest first, with status.
    pub fn list(&mut self, brand: Option<&str>) -> Result<Vec<ShareView>> {
        let brand_id = match brand {
            Some(b) => Some(self.vault.brand(b)?.id),
            None => None,
        };
        let (mut list, _) = self.vault.docs::<Share>(SHARE_KIND)?;
        list.retain(|s| brand_id.as_ref().is_none_or(|b| *b == s.brand));
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        let now = Utc::now();
        let names: BTreeMap<BrandId, String> = self
            .vault
            .brands()?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        Ok(list
            .into_iter()
            .map(|share| ShareView {
                status: share.status(now),
                can_revoke: share.can_revoke(),
                brand_name: names.get(&share.brand).cloned().unwrap_or_default(),
                share,
            })
            .collect())
    }

    /// Revoke a share: writes a signed `ShareRevocation` demanding erasure
    /// within the terms' deadline to `out` (see [`OutFile`]), and marks the
    /// share revoked.
    pub fn revoke<'o>(
        &mut self,
        id: &str,
        reason: Option<&str>,
        out: impl Into<OutFile<'o>>,
    ) -> Result<Share> {
        let out = out.into();
        let mut share = self.get(id)?;
        if !share.can_revoke() {
            return Err(Error::invalid(format!(
                "share {} is revoked already",
                share.id
            )));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 500) {
            return Err(Error::invalid_field(
                "reason",
                "the reason may be at most 500 characters",
            ));
        }
        let brand = self.vault.brand(&share.brand)?;
        let now = secs(Utc::now());
        let erase_by = now + Duration::days(share.erasure_days.into());
        let revocation_id = uuid::Uuid::new_v4();
        let tx = self.vault.write_tx()?;
        let key = self.vault.pairwise_key(&tx, &brand.id)?;
        let mut subject = json!({
            "shareId": format!("urn:uuid:{}", share.id),
            "grantDigestSHA256": share.grant_digest,
            "eraseBy": erase_by.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "demand": "Stop using the data shared under this grant and erase it, with every copy, by the date given.",
        });
        if let Some(did) = &brand.did {
            subject["id"] = json!(did);
        }
        if let Some(t) = &share.terms {
            subject["terms"] = t.to_json();
        }
        if let Some(r) = reason {
            subject["reason"] = json!(r);
        }
        let doc =
            proof::issue_credential(SHARE_REVOCATION, &key, revocation_id, now, None, subject)?;
        share.revocation = Some(Revocation {
            id: revocation_id.to_string(),
            at: now,
            erase_by,
        });
        self.vault.replace_doc(&tx, SHARE_KIND, &share.id, &share)?;
        self.vault.append_audit(
            &tx,
            AuditAction::ShareRevoked,
            Some(&brand.id),
            Some(&share.id),
            format!(
                "share revoked; erasure demanded by {}",
                erase_by.format("%Y-%m-%d")
            ),
        )?;
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Error::Database(e.to_string()))?;
        write_file(out, FileMode::Private, &bytes)?;
        if let Err(e) = tx.commit() {
            let _ = std::fs::remove_file(out.path);
            return Err(e);
        }
        // The old version's page images leave the WAL (as for records).
        self.vault.purge_wal()?;
        Ok(share)
    }

    /// [`Shares::import_acknowledgment`] from a file, read under
    /// [`proof::MAX_FOREIGN_FILE_BYTES`].
    pub fn import_acknowledgment_file(&mut self, path: &Path) -> Result<Share> {
        self.import_acknowledgment(&proof::read_foreign_file(path)?)
    }

    /// Import a brand's signed `DeletionAcknowledgment`: it must be signed by
    /// the share's brand and name a revocation the person made.
    pub fn import_acknowledgment(&mut self, bytes: &[u8]) -> Result<Share> {
        let doc = proof::parse_document(bytes)?;
        let vc = proof::verify_credential(&doc, Utc::now())?;
        if vc.kind != DELETION_ACKNOWLEDGMENT {
            return Err(Error::invalid(format!(
                "this is {} document, not a {DELETION_ACKNOWLEDGMENT}",
                crate::model::text::a(&vc.kind)
            )));
        }
        let field = |k: &str| vc.subject.get(k).and_then(Value::as_str);
        let share_id = field("shareId")
            .and_then(urn_uuid)
            .ok_or_else(|| Error::invalid("the acknowledgment names no share"))?;
        let mut share = self.get(&share_id)?;
        let brand = self.vault.brand(&share.brand)?;
        if brand.did.as_deref() != Some(vc.signer.as_str()) {
            return Err(Error::UnknownSigner(format!(
                "the acknowledgment is signed by {}, not by {}'s known did:key",
                vc.signer, brand.name
            )));
        }
        let revocation = share.revocation.clone().ok_or_else(|| {
            Error::invalid("the acknowledgment is for a share that was not revoked")
        })?;
        if field("revocationId").and_then(urn_uuid).as_deref() != Some(revocation.id.as_str()) {
            return Err(Error::invalid(
                "the acknowledgment names a different revocation",
            ));
        }
        if share.acknowledgment.is_some() {
            return Err(Error::invalid(
                "this share's erasure was acknowledged already",
            ));
        }
        let erased_at = field("erasedAt")
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| Error::invalid("the acknowledgment has no valid erasedAt date"))?;
        share.acknowledgment = Some(Acknowledgment {
            id: urn_uuid(&vc.id).unwrap_or(vc.id.clone()),
            erased_at,
            received_at: Utc::now(),
            document: serde_json::to_string(&doc).map_err(|e| Error::Database(e.to_string()))?,
        });
        let late = erased_at > revocation.erase_by;
        let tx = self.vault.write_tx()?;
        self.vault.replace_doc(&tx, SHARE_KIND, &share.id, &share)?;
        self.vault.append_audit(
            &tx,
            AuditAction::ErasureAcknowledged,
            Some(&brand.id),
            Some(&share.id),
            if late {
                "the brand acknowledged erasure, after the deadline".to_string()
            } else {
                "the brand acknowledged erasure".to_string()
            },
        )?;
        tx.commit()?;
        // The old version's page images leave the WAL (as for records).
        self.vault.purge_wal()?;
        Ok(share)
    }

    /// For each data item (field name), the brands that hold it through
    /// shares they may still hold (live, or revoked and not yet erased), and
    /// the brands seen to hold it in the person's mail.
    pub fn exposure(&mut self) -> Result<Vec<ExposureItem>> {
        let mut observed: BTreeMap<String, Vec<ObservedHolder>> = BTreeMap::new();
        let names: BTreeMap<BrandId, String> = self
            .vault
            .brands()?
            .into_iter()
            .map(|b| (b.id, b.name))
            .collect();
        for (brand, seen) in self.vault.docs_with_brand::<Observed>(OBSERVED_DOC)? {
            let Some((brand, name)) = brand.and_then(|b| names.get_key_value(b.as_str())) else {
                continue;
            };
            for h in seen.holdings {
                observed.entry(h.item).or_default().push(ObservedHolder {
                    brand: brand.clone(),
                    brand_name: name.clone(),
                    value: h.value,
                    source: "observed".into(),
                    first_seen: h.first_seen,
                    last_seen: h.last_seen,
                    messages: h.messages,
                });
            }
        }
        let mut items: BTreeMap<String, Vec<Holder>> = BTreeMap::new();
        for item in observed.keys() {
            items.entry(item.clone()).or_default();
        }
        for view in self.list(None)? {
            if !view.status.still_held() {
                continue;
            }
            for name in view.share.field_names() {
                items.entry(name).or_default().push(Holder {
                    brand: view.share.brand.clone(),
                    brand_name: view.brand_name.clone(),
                    share: view.share.id.clone(),
                    since: view.share.created_at,
                    until: view.share.expires_at,
                    status: view.status,
                    terms: view.share.terms.clone(),
                    purpose: view.share.purpose.clone(),
                });
            }
        }
        Ok(items
            .into_iter()
            .map(|(item, mut holders)| {
                holders.sort_by(|a, b| {
                    a.brand_name
                        .to_lowercase()
                        .cmp(&b.brand_name.to_lowercase())
                        .then(a.since.cmp(&b.since))
                });
                let mut seen = observed.remove(&item).unwrap_or_default();
                seen.sort_by(|a, b| {
                    a.brand_name
                        .to_lowercase()
                        .cmp(&b.brand_name.to_lowercase())
                        .then(a.value.cmp(&b.value))
                });
                ExposureItem {
                    item,
                    holders,
                    observed: seen,
                }
            })
            .collect())
    }

    /// Revoke every live share that holds `item`, writing one revocation per
    /// share into `out_dir` (`revocation-<share id>.json`).
    pub fn revoke_item(&mut self, item: &str, out_dir: &Path) -> Result<Vec<Written>> {
        let item = item.trim().to_ascii_lowercase();
        if !out_dir.is_dir() {
            return Err(Error::invalid_field(
                "out_dir",
                format!("{} is not a folder", out_dir.display()),
            ));
        }
        let targets: Vec<Share> = self
            .list(None)?
            .into_iter()
            .filter(|v| v.status == ShareStatus::Live)
            .filter(|v| v.share.field_names().contains(&item))
            .map(|v| v.share)
            .collect();
        if targets.is_empty() {
            return Err(Error::invalid_field(
                "item",
                format!("no live share holds {item}"),
            ));
        }
        let mut written = Vec::with_capacity(targets.len());
        for share in targets {
            let path = out_dir.join(format!("revocation-{}.json", share.id));
            let share = self.revoke(
                &share.id,
                Some(&format!("{item} is no longer shared")),
                &path,
            )?;
            written.push(Written { share, path });
        }
        Ok(written)
    }

    /// Open a bundle the person made (with their own identity), for a look
    /// at exactly what was sent.
    pub fn open_own_bundle(&mut self, bytes: &[u8]) -> Result<Value> {
        let identity = self.vault.person_identity()?;
        let plain = bundle::decrypt(
            bytes,
            &bundle::OpenKey::Identities(std::slice::from_ref(&identity)),
            &bundle::OpenLimits::default(),
        )?;
        proof::parse_document(&plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A share made on 1 March 2026, running until 1 April 2026.
    fn share() -> Share {
        Share {
            id: "s".into(),
            brand: "b".into(),
            purpose: "delivery".into(),
            items: vec![],
            created_at: at("2026-03-01T12:00:00Z"),
            expires_at: at("2026-04-01T12:00:00Z"),
            terms: None,
            erasure_days: 14,
            grant_digest: String::new(),
            revocation: None,
            acknowledgment: None,
        }
    }

    /// `share()` revoked on 10 March, erasure demanded by 24 March.
    fn revoked() -> Share {
        Share {
            revocation: Some(Revocation {
                id: "r".into(),
                at: at("2026-03-10T12:00:00Z"),
                erase_by: at("2026-03-24T12:00:00Z"),
            }),
            ..share()
        }
    }

    fn acknowledged(erased_at: &str) -> Share {
        Share {
            acknowledgment: Some(Acknowledgment {
                id: "a".into(),
                erased_at: at(erased_at),
                received_at: at(erased_at),
                document: "{}".into(),
            }),
            ..revoked()
        }
    }

    #[test]
    fn a_share_is_live_until_its_end_date_and_expired_from_it_on() {
        let s = share();
        for (now, want) in [
            ("2026-03-01T12:00:00Z", ShareStatus::Live),
            ("2026-04-01T11:59:59Z", ShareStatus::Live),
            ("2026-04-01T12:00:00Z", ShareStatus::Expired),
            ("2030-01-01T00:00:00Z", ShareStatus::Expired),
        ] {
            assert_eq!(s.status(at(now)), want, "at {now}");
        }
        assert!(ShareStatus::Live.still_held());
        assert!(
            !ShareStatus::Expired.still_held(),
            "an expired share no longer counts in the exposure"
        );
    }

    #[test]
    fn a_revoked_share_becomes_overdue_only_after_its_erasure_deadline() {
        let s = revoked();
        for (now, want) in [
            ("2026-03-10T12:00:00Z", ShareStatus::Revoked),
            ("2026-03-24T12:00:00Z", ShareStatus::Revoked),
            ("2026-03-24T12:00:01Z", ShareStatus::Overdue),
            // Past the share's own end date too: the unanswered demand
            // still stands, so it is overdue, not merely expired.
            ("2026-05-01T00:00:00Z", ShareStatus::Overdue),
        ] {
            assert_eq!(s.status(at(now)), want, "at {now}");
        }
        assert!(
            ShareStatus::Revoked.still_held() && ShareStatus::Overdue.still_held(),
            "until the brand acknowledges erasure it may still hold the data"
        );
    }

    #[test]
    fn a_revocation_wins_over_the_end_date() {
        // Revoked, and the share would have run out before the deadline.
        let s = Share {
            expires_at: at("2026-03-15T12:00:00Z"),
            ..revoked()
        };
        assert_eq!(
            s.status(at("2026-03-20T00:00:00Z")),
            ShareStatus::Revoked,
            "the erasure demand is still pending"
        );
    }

    #[test]
    fn an_acknowledged_share_is_erased_never_overdue() {
        // In time, late, and looked at long after the deadline.
        for erased_at in ["2026-03-12T00:00:00Z", "2026-04-30T00:00:00Z"] {
            let s = acknowledged(erased_at);
            for now in [
                "2026-03-12T00:00:00Z",
                "2026-03-24T12:00:01Z",
                "2031-01-01T00:00:00Z",
            ] {
                assert_eq!(
                    s.status(at(now)),
                    ShareStatus::Erased,
                    "erased {erased_at}, at {now}"
                );
            }
        }
        assert!(!ShareStatus::Erased.still_held());
    }

    /// Moved from the UI's `canRevoke` test: of the five statuses, only a
    /// live or an expired share can be revoked.
    #[test]
    fn only_an_unrevoked_share_can_be_revoked() {
        let cases = [
            (share(), "2026-03-01T12:00:00Z"),
            (share(), "2026-04-01T12:00:00Z"),
            (revoked(), "2026-03-10T12:00:00Z"),
            (revoked(), "2026-03-24T12:00:01Z"),
            (acknowledged("2026-03-12T00:00:00Z"), "2026-03-12T00:00:00Z"),
        ];
        let revocable: Vec<ShareStatus> = cases
            .iter()
            .filter(|(s, _)| s.can_revoke())
            .map(|(s, now)| s.status(at(now)))
            .collect();
        assert_eq!(
            cases.map(|(s, now)| s.status(at(now))),
            [
                ShareStatus::Live,
                ShareStatus::Expired,
                ShareStatus::Revoked,
                ShareStatus::Overdue,
                ShareStatus::Erased
            ]
        );
        assert_eq!(revocable, [ShareStatus::Live, ShareStatus::Expired]);
    }

    #[test]
    fn statuses_have_stable_ids() {
        let all = [
            ShareStatus::Live,
            ShareStatus::Expired,
            ShareStatus::Revoked,
            ShareStatus::Overdue,
            ShareStatus::Erased,
        ];
        for s in all {
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                json!(s.as_str()),
                "the JSON and the text say the same"
            );
        }
        assert_eq!(
            all.map(ShareStatus::as_str),
            ["live", "expired", "revoked", "overdue", "erased"]
        );
    }

    #[test]
    fn an_invalid_share_names_the_field_at_fault() {
        use crate::crypto::KdfParams;
        use crate::crypto::bundle::AgeIdentity;
        use crate::model::{BrandInput, NewRecord};
        use crate::vault::Vault;
        use secrecy::SecretString;

        let tmp = tempfile::tempdir().unwrap();
        let (mut vault, _) = Vault::create(
            &tmp.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let shop = vault
            .add_brand(&BrandInput {
                age_recipient: Some(AgeIdentity::generate().recipient()),
                ..BrandInput::named("Shop")
            })
            .unwrap();
        vault.add_brand(&BrandInput::named("Keyless")).unwrap();
        let record = vault
            .add_record(&NewRecord {
                kind: RecordKind::Profile,
                brand: None,
                fields: [("email".to_string(), "me@example.com".to_string())].into(),
                tags: vec![],
            })
            .unwrap();
        let good = ShareRequest {
            brand: shop.id.to_string(),
            records: vec![record.id.to_string()],
            fields: vec!["email".into()],
            purpose: "delivery".into(),
            expires_at: Utc::now() + Duration::days(30),
            terms: None,
        };
        let out = tmp.path().join("share.age");
        for (req, field) in [
            (
                ShareRequest {
                    brand: "Keyless".into(),
                    ..good.clone()
                },
                "brand",
            ),
            (
                ShareRequest {
                    purpose: " ".into(),
                    ..good.clone()
                },
                "purpose",
            ),
            (
                ShareRequest {
                    expires_at: Utc::now() - Duration::days(1),
                    ..good.clone()
                },
                "expires",
            ),
            (
                ShareRequest {
                    records: vec![],
                    ..good.clone()
                },
                "record",
            ),
            (
                ShareRequest {
                    fields: vec!["phone".into()],
                    ..good.clone()
                },
                "fields",
            ),
        ] {
            let e = vault.shares().create(&req, &out).unwrap_err();
            assert_eq!(e.code(), "input.invalid", "{e}");
            assert_eq!(e.field(), Some(field), "{e}");
        }
        assert_eq!(
            vault
                .shares()
                .create(&good, tmp.path())
                .unwrap_err()
                .field(),
            Some("out")
        );
        let share = vault.shares().create(&good, &out).unwrap();
        let e = vault
            .shares()
            .revoke(
                &share.id,
                Some(&"x".repeat(501)),
                &tmp.path().join("r.json"),
            )
            .unwrap_err();
        assert_eq!(e.field(), Some("reason"), "{e}");
    }
}
