//! Personal terms in the vault: immutable versions, issued to one brand at a
//! time as a signed `PersonalTerms` credential, and the brands' signed
//! answers (`TermsAgreement`: accepted, refused or a counter-offer).
//!
//! A version is issued to each brand under the person's pairwise key for
//! that brand and with an id derived from the version and the brand, so two
//! brands given the same terms hold documents that share no identifier. The
//! issuance is deterministic (its dates are the version's), so the same
//! version issued twice to a brand is the same bytes, and its reference (id +
//! SHA-256 of its JCS form) stays valid.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::model::{AgreementId, Brand, BrandId, TermsVersionId};
use crate::proof;
use crate::terms::{self, ClauseChange, Clauses, Template, TermsForm};
use crate::vault::Vault;
use crate::vault::audit::AuditAction;
use crate::vault::features::Terms;
use crate::vault::fs::{AtomicFile, FileMode, OutFile};
use crate::vault::store;

pub(crate) const TERMS_KIND: &str = "terms";
const AGREEMENT_KIND: &str = "agreement";

/// The credential type of personal terms.
pub const PERSONAL_TERMS: &str = "PersonalTerms";
/// The credential type of a brand's answer to personal terms.
pub const TERMS_AGREEMENT: &str = "TermsAgreement";

/// One immutable version of the person's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct TermsVersion {
    /// Random id of this version.
    pub id: TermsVersionId,
    /// 1, 2, 3… in the order they were made.
    pub number: u32,
    /// The template it started from.
    pub template: Template,
    /// The person's title for it.
    pub title: String,
    /// Every clause.
    pub clauses: Clauses,
    /// The human-readable text generated from the clauses.
    pub text: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// How a document names one version of terms issued to one brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct TermsRef {
    /// The local terms version.
    pub version: TermsVersionId,
    /// The issued credential's id (`urn:uuid:…`, per brand).
    pub id: String,
    /// SHA-256 (hex) of the issued credential's JCS form.
    pub digest: String,
}

impl TermsRef {
    /// The reference as it appears in documents sent to the brand.
    pub fn to_json(&self) -> Value {
        json!({ "id": self.id, "digestSHA256": self.digest })
    }
}

/// What a brand answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Decision {
    /// The brand accepts the terms as they are.
    Accepted,
    /// The brand refuses them.
    Refused,
    /// The brand proposes changes.
    Counter,
}

impl Decision {
    /// The stable id used in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Refused => "refused",
            Decision::Counter => "counter",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "accepted" | "accept" => Ok(Decision::Accepted),
            "refused" | "refuse" => Ok(Decision::Refused),
            "counter" | "counter-offer" => Ok(Decision::Counter),
            other => Err(Error::invalid_field(
                "decision",
                format!("{other:?} is not a decision (accepted, refused, counter)"),
            )),
        }
    }
}

/// A brand's signed answer to one version of the person's terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Agreement {
    /// Local id (from the credential's `urn:uuid:`).
    pub id: AgreementId,
    /// The brand that answered.
    pub brand: BrandId,
    /// The terms it answers.
    pub terms: TermsRef,
    /// What it answered.
    pub decision: Decision,
    /// For a counter-offer: what it wants changed.
    pub changes: Vec<ClauseChange>,
    /// The brand's note, if any.
    pub note: Option<String>,
    /// When the brand signed it.
    pub signed_at: DateTime<Utc>,
    /// When it was imported.
    pub received_at: DateTime<Utc>,
    /// The signed credential as received (JSON).
    pub document: String,
}

/// Orders answers newest first. `validFrom` has whole seconds, so two
/// answers signed in the same second are told apart by the order they were
/// imported in (a random id would make "latest" a coin toss).
fn newest_first(list: &mut [Agreement]) {
    list.sort_by(|a, b| {
        (b.signed_at, b.received_at, &b.id).cmp(&(a.signed_at, a.received_at, &a.id))
    });
}

/// A brand's standing with the person's terms: its latest answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct BrandTermsStatus {
    /// The brand.
    pub brand: Brand,
    /// Its latest answer, if any.
    pub latest: Option<Agreement>,
    /// Every answer, newest first (refusals are kept too).
    pub history: Vec<Agreement>,
}

/// A uuid derived from parts (SHA-256, formatted as a version-4 uuid), for
/// per-brand ids that cannot be linked without knowing the parts.
pub(crate) fn derived_uuid(parts: &[&str]) -> uuid::Uuid {
    let digest = crate::crypto::sha256(parts.join("\0").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The `urn:uuid:` of a credential id, as a bare id; `None` if it is not one.
pub(crate) fn urn_uuid(id: &str) -> Option<String> {
    let rest = id.strip_prefix("urn:uuid:")?;
    uuid::Uuid::parse_str(rest)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

fn sha256_hex(doc: &Value) -> Result<String> {
    Ok(data_encoding::HEXLOWER.encode(&proof::jcs_sha256(doc)?))
}

impl Terms<'_> {
    /// Make a new version of the person's terms. Versions never change once
    /// made; editing means making the next one.
    pub fn create(
        &mut self,
        template: Template,
        title: &str,
        clauses: &Clauses,
    ) -> Result<TermsVersion> {
        clauses.validate_for(template)?;
        let title = terms::check_title(title)?;
        let number = self.versions()?.iter().map(|t| t.number).max().unwrap_or(0) + 1;
        let version = TermsVersion {
            id: TermsVersionId::random(),
            number,
            template,
            text: terms::render_text(template, &title, clauses),
            title,
            clauses: clauses.clone(),
            created_at: Utc::now(),
        };
        let tx = self.vault.write_tx()?;
        self.vault
            .insert_doc(&tx, TERMS_KIND, &version.id, None, &version)?;
        self.vault.append_audit(
            &tx,
            AuditAction::TermsCreated,
            None,
            Some(&version.id),
            format!(
                "terms version {} made from template {}",
                version.number,
                template.id()
            ),
        )?;
        tx.commit()?;
        Ok(version)
    }

    /// [`Terms::create`] from the app's editor: the form checked first
    /// ([`TermsForm::check`]), so an error names the form's field.
    pub fn create_from_form(&mut self, form: &TermsForm) -> Result<TermsVersion> {
        let clauses = form.check()?;
        self.create(form.template, &form.title, &clauses)
    }

    /// Every terms version, oldest first.
    pub fn versions(&self) -> Result<Vec<TermsVersion>> {
        let (mut list, damaged) = self.vault.docs::<TermsVersion>(TERMS_KIND)?;
        if let Some(id) = damaged.into_iter().next() {
            return Err(Error::Tampered {
                table: "documents",
                id,
            });
        }
        list.sort_by_key(|t| t.number);
        Ok(list)
    }

    /// One version: by number (`3`), `latest`, id or unique id prefix.
    pub fn version(&self, key: &str) -> Result<TermsVersion> {
        let key = key.trim();
        if key.eq_ignore_ascii_case("latest") {
            return self
                .versions()?
                .pop()
                .ok_or_else(|| Error::TermsNotFound("(there are no terms yet)".into()));
        }
        if let Ok(n) = key.trim_start_matches('v').parse::<u32>()
            && key.len() < crate::vault::MIN_ID_PREFIX
        {
            return self
                .versions()?
                .into_iter()
                .find(|t| t.number == n)
                .ok_or_else(|| Error::TermsNotFound(key.to_string()));
        }
        self.vault.doc_by_id(TERMS_KIND, key, Error::TermsNotFound)
    }

    /// The signed `PersonalTerms` credential of a version for one brand, and
    /// its reference. Deterministic: issuing again gives the same bytes.
    pub fn issue(&mut self, version: &str, brand: &str) -> Result<(Value, TermsRef)> {
        let version = self.version(version)?;
        let brand = self.vault.brand(brand)?;
        let tx = self.vault.write_tx()?;
        let (doc, reference) = issue_terms_in(self.vault, &tx, &version, &brand)?;
        self.vault.append_audit(
            &tx,
            AuditAction::TermsIssued,
            Some(&brand.id),
            Some(&version.id),
            format!("terms version {} signed for the brand", version.number),
        )?;
        tx.commit()?;
        Ok((doc, reference))
    }

    /// [`Terms::issue`], writing the signed terms (pretty JSON) to `out` for
    /// the brand. The file is prepared first, so an unwritable place fails
    /// before anything is signed or logged; a file already at `out` is
    /// replaced only if `out.replace`.
    pub fn issue_to<'o>(
        &mut self,
        version: &str,
        brand: &str,
        out: impl Into<OutFile<'o>>,
    ) -> Result<TermsRef> {
        let mut file = AtomicFile::create(out.into(), FileMode::Private)?;
        let (doc, reference) = self.issue(version, brand)?;
        file.write_all(&proof::pretty_json(&doc)?)?;
        file.commit()?;
        Ok(reference)
    }

    /// [`Terms::import_agreement`] from a file, read under
    /// [`proof::MAX_FOREIGN_FILE_BYTES`].
    pub fn import_agreement_file(&mut self, path: &Path) -> Result<Agreement> {
        self.import_agreement(&proof::read_foreign_file(path)?)
    }

    /// Import a brand's signed answer to the person's terms. It must be
    /// signed by the brand's known `did:key`, name terms issued to that
    /// brand, and be addressed to the person's key for that brand.
    pub fn import_agreement(&mut self, bytes: &[u8]) -> Result<Agreement> {
        let doc = proof::parse_document(bytes)?;
        let vc = proof::verify_credential(&doc, Utc::now())?;
        if vc.kind != TERMS_AGREEMENT {
            return Err(Error::invalid(format!(
                "this is {} document, not a {TERMS_AGREEMENT}",
                crate::model::text::a(&vc.kind)
            )));
        }
        let brand = self.vault.brand_by_did(&vc.signer)?;
        let subject = &vc.subject;
        let s = |k: &str| subject.get(k).and_then(Value::as_str);
        let decision: Decision = s("decision")
            .ok_or_else(|| Error::invalid("the agreement has no decision"))?
            .parse()?;
        let terms_id = subject
            .pointer("/terms/id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("the agreement names no terms"))?;
        let digest = subject
            .pointer("/terms/digestSHA256")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("the agreement has no digest of the terms"))?;
        let tx = self.vault.write_tx()?;
        let mut found = None;
        for version in self.versions()? {
            let (_, reference) = issue_terms_in(self.vault, &tx, &version, &brand)?;
            if reference.id == terms_id {
                found = Some(reference);
                break;
            }
        }
        let reference = found.ok_or_else(|| {
            Error::invalid("the agreement answers terms that were never issued to this brand")
        })?;
        if !reference.digest.eq_ignore_ascii_case(digest) {
            return Err(Error::invalid(
                "the agreement answers a different text of the terms (the digest does not match)",
            ));
        }
        let our_did = self.vault.pairwise_key(&tx, &brand.id)?.did();
        // Present, it must be our key: a null or a number is not "no one".
        if subject
            .get("id")
            .is_some_and(|id| id.as_str() != Some(our_did.as_str()))
        {
            return Err(Error::invalid(
                "the agreement is addressed to someone else's key",
            ));
        }
        let id = urn_uuid(&vc.id)
            .ok_or_else(|| Error::invalid("the agreement's id is not a urn:uuid"))?;
        if store::doc(&tx, AGREEMENT_KIND, &id)?.is_some() {
            return Err(Error::invalid("this agreement was imported already"));
        }
        let changes: Vec<ClauseChange> = match subject.get("changes") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|_| Error::invalid("the agreement's changes are malformed"))?,
        };
        if decision == Decision::Counter && changes.is_empty() {
            return Err(Error::invalid("a counter-offer must list its changes"));
        }
        // An "accepted" that lists changes would be shown as accepted with
        // changes the person never saw as a counter-offer: ambiguous, refused
        // (brandkit::agree never writes one).
        if decision != Decision::Counter && !changes.is_empty() {
            return Err(Error::invalid(format!(
                "the answer is {} but lists changes; only a counter-offer lists changes",
                decision.as_str()
            )));
        }
        let note = s("note").map(str::to_string);
        let agreement = Agreement {
            id: AgreementId::from(id.as_str()),
            brand: brand.id.clone(),
            terms: reference,
            decision,
            changes,
            note,
            signed_at: vc.valid_from,
            received_at: Utc::now(),
            document: serde_json::to_string(&doc).map_err(|e| Error::Database(e.to_string()))?,
        };
        self.vault
            .insert_doc(&tx, AGREEMENT_KIND, &id, Some(&brand.id), &agreement)?;
        self.vault.append_audit(
            &tx,
            AuditAction::AgreementImported,
            Some(&brand.id),
            Some(&id),
            format!("the brand's answer to the terms: {}", decision.as_str()),
        )?;
        tx.commit()?;
        Ok(agreement)
    }

    /// Every answer from brands, newest first.
    pub fn agreements(&self) -> Result<Vec<Agreement>> {
        let (mut list, _) = self.vault.docs::<Agreement>(AGREEMENT_KIND)?;
        newest_first(&mut list);
        Ok(list)
    }

    /// Each brand and its latest answer to the person's terms.
    pub fn status(&mut self) -> Result<Vec<BrandTermsStatus>> {
        let agreements = self.agreements()?;
        Ok(self
            .vault
            .brands()?
            .into_iter()
            .map(|brand| {
                let history: Vec<Agreement> = agreements
                    .iter()
                    .filter(|a| a.brand == brand.id)
                    .cloned()
                    .collect();
                BrandTermsStatus {
                    latest: history.first().cloned(),
                    history,
                    brand,
                }
            })
            .collect())
    }

    /// The terms a brand accepted last, if its latest answer is an
    /// acceptance.
    pub fn accepted(&mut self, brand_id: &BrandId) -> Result<Option<(TermsVersion, Agreement)>> {
        let latest = self
            .agreements()?
            .into_iter()
            .find(|a| &a.brand == brand_id);
        match latest {
            Some(a) if a.decision == Decision::Accepted => {
                let version = self.version(&a.terms.version)?;
                Ok(Some((version, a)))
            }
            _ => Ok(None),
        }
    }
}

/// Sign terms `version` for `brand` with the pairwise key, inside the
/// caller's transaction `conn` (a share issues the terms it is under).
pub(crate) fn issue_terms_in(
    vault: &Vault,
    conn: &rusqlite::Connection,
    version: &TermsVersion,
    brand: &Brand,
) -> Result<(Value, TermsRef)> {
    let key = vault.pairwise_key(conn, &brand.id)?;
    let id = derived_uuid(&["terms", &version.id, &brand.id]);
    let mut subject = terms::subject_json(
        version.template,
        &version.title,
        version.number,
        &version.clauses,
    );
    if let Value::Object(map) = &mut subject {
        map.insert("id".into(), Value::String(key.did()));
    }
    // Whole seconds: the credential states its dates that way, and the
    // issuance must be reproducible.
    let at =
        DateTime::from_timestamp(version.created_at.timestamp(), 0).unwrap_or(version.created_at);
    let doc = proof::issue_credential(PERSONAL_TERMS, &key, id, at, None, subject)?;
    let reference = TermsRef {
        version: version.id.clone(),
        id: format!("urn:uuid:{id}"),
        digest: sha256_hex(&doc)?,
    };
    Ok((doc, reference))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn answer(id: &str, decision: Decision, signed_s: i64, received_ms: i64) -> Agreement {
        let base = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        Agreement {
            id: id.into(),
            brand: "b".into(),
            terms: TermsRef {
                id: "t".into(),
                version: "v".into(),
                digest: "d".into(),
            },
            decision,
            changes: Vec::new(),
            note: None,
            signed_at: base + Duration::seconds(signed_s),
            received_at: base + Duration::milliseconds(received_ms),
            document: String::new(),
        }
    }

    #[test]
    fn answers_signed_in_the_same_second_are_ordered_by_import() {
        // The accept was imported after the counter-offer; its random id sorts
        // lower, which used to make the counter-offer "latest" half the time.
        let mut list = vec![
            answer("ffff", Decision::Counter, 0, 100),
            answer("0000", Decision::Accepted, 0, 200),
        ];
        newest_first(&mut list);
        assert_eq!(list[0].decision, Decision::Accepted);
        list.reverse();
        newest_first(&mut list);
        assert_eq!(list[0].decision, Decision::Accepted);
    }

    #[test]
    fn a_later_signature_wins_over_a_later_import() {
        let mut list = vec![
            answer("a", Decision::Refused, 0, 500),
            answer("b", Decision::Accepted, 5, 100),
        ];
        newest_first(&mut list);
        assert_eq!(list[0].decision, Decision::Accepted);
    }
}

#[cfg(test)]
mod form_tests {
    use secrecy::SecretString;

    use crate::crypto::KdfParams;
    use crate::terms::{Template, TermsForm};
    use crate::vault::Vault;

    #[test]
    fn the_editors_form_makes_a_version_or_nothing_naming_its_field() {
        let dir = tempfile::tempdir().unwrap();
        let (mut v, _) = Vault::create(
            &dir.path().join("v"),
            &SecretString::from("test passphrase"),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let good = TermsForm {
            retention_days: " 45 ".into(),
            ..TermsForm::new(Template::SdBase, " Mine ", &Template::SdBase.clauses())
        };
        for (bad, field) in [
            (
                TermsForm {
                    max_contacts: "two".into(),
                    ..good.clone()
                },
                "max_contacts",
            ),
            (
                TermsForm {
                    per_days: "999".into(),
                    ..good.clone()
                },
                "per_days",
            ),
            (
                TermsForm {
                    title: String::new(),
                    ..good.clone()
                },
                "title",
            ),
        ] {
            let e = v.terms().create_from_form(&bad).unwrap_err();
            assert_eq!(e.field(), Some(field), "{e}");
        }
        assert_eq!(v.terms().versions().unwrap(), vec![]);
        let made = v.terms().create_from_form(&good).unwrap();
        assert_eq!((made.number, made.title.as_str()), (1, "Mine"));
        assert_eq!(made.clauses.retention_days, 45);
        assert_eq!(v.terms().versions().unwrap(), vec![made]);
    }
}
