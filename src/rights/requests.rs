//! Data-rights requests in the vault (GDPR, CCPA) with their statutory
//! clocks, and the contact rules brands agreed to, checked against the
//! interactions the person logged.
//!
//! The rules themselves (deadlines, letters, windows) are in [`crate::rights`]
//! and [`crate::rights::contact`]; this module keeps the requests sealed, signs them,
//! and puts the person's records to the rules.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::model::{Brand, BrandId, RequestId};
use crate::model::{RecordFilter, RecordKind};
use crate::proof;
use crate::rights::contact::{self, ContactEvent, Violation};
use crate::rights::{self, LetterParty, RequestStatus, Right};
use crate::vault::audit::AuditAction;
use crate::vault::features::Rights;
use crate::vault::fs::{AtomicFile, FileMode, OutFile};

const REQUEST_KIND: &str = "rights-request";

/// The credential type of a data-rights request.
pub const DATA_RIGHTS_REQUEST: &str = "DataRightsRequest";

/// One change of a request's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct StatusChange {
    /// When.
    pub at: DateTime<Utc>,
    /// To what.
    pub status: RequestStatus,
}

/// A data-rights request as the vault keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RightsRequest {
    /// Random id; also the reference quoted in letters.
    pub id: RequestId,
    /// The brand asked.
    pub brand: BrandId,
    /// The right exercised.
    pub right: Right,
    /// The day the request reached (or was sent to) the brand.
    pub sent_on: NaiveDate,
    /// Whether the brand extended the deadline as the law allows.
    pub extended: bool,
    /// Where it stands.
    pub status: RequestStatus,
    /// The brand's reason, when denied.
    pub reason: Option<String>,
    /// What exactly the person asks (what to correct, an account number…).
    pub details: Option<String>,
    /// Every status it had, oldest first.
    pub history: Vec<StatusChange>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl RightsRequest {
    /// The statutory deadline.
    pub fn due(&self) -> NaiveDate {
        rights::due_date(self.right, self.sent_on, self.extended)
    }
}

/// A request with its clock, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RightsRequestView {
    /// The request.
    pub request: RightsRequest,
    /// The brand's name.
    pub brand_name: String,
    /// The deadline.
    pub due: NaiveDate,
    /// Days to the deadline (negative once past).
    pub days_left: i64,
    /// Still pending and past the deadline: a follow-up is due.
    pub overdue: bool,
}

/// A new request, with what to send.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct NewRightsRequest {
    /// The request.
    pub request: RightsRequest,
    /// The letter to send by email or post.
    pub letter: String,
    /// The signed `DataRightsRequest` credential.
    pub document: Value,
}

/// The contact rules one brand broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct BrandViolations {
    /// The brand.
    pub brand: Brand,
    /// The terms version whose rules apply (the one it accepted last).
    pub terms_version: u32,
    /// Since when the rules apply (when it accepted them).
    pub since: DateTime<Utc>,
    /// Each broken rule, oldest first.
    pub violations: Vec<Violation>,
}

fn check_details(details: Option<&str>) -> Result<Option<String>> {
    match details.map(str::trim) {
        None | Some("") => Ok(None),
        Some(d) if d.len() > 8 * 1024 => Err(Error::invalid_field(
            "details",
            "the request's details may be at most 8 KiB",
        )),
        Some(d) => Ok(Some(d.to_string())),
    }
}

impl Rights<'_> {
    /// The person as the sender of a letter, from their profile records
    /// (`name`, `email`, `address`); "The data subject" if none is known.
    pub fn letter_sender(&mut self) -> Result<LetterParty> {
        let profiles = self.vault.list_records(&RecordFilter {
            kind: Some(RecordKind::Profile),
            ..Default::default()
        })?;
        let pick = |name: &str| {
            profiles
                .iter()
                .find_map(|r| r.fields.get(name).filter(|v| !v.trim().is_empty()).cloned())
        };
        Ok(LetterParty {
            name: pick("name").unwrap_or_else(|| "The data subject".to_string()),
            address: pick("address"),
            email: pick("email"),
        })
    }

    fn letter_recipient(brand: &Brand) -> LetterParty {
        let contact = brand.contact.clone();
        let email = contact
            .as_ref()
            .filter(|c| c.contains('@') && !c.contains('\n'))
            .cloned();
        LetterParty {
            name: brand.name.clone(),
            address: if email.is_some() { None } else { contact },
            email,
        }
    }

    /// [`Rights::create`], with `out` also writing the signed request
    /// (pretty JSON) there for the brand. The file is prepared first, so an
    /// unwritable place fails before the request is made; should writing it
    /// fail after, the error says the request was made all the same. A file
    /// already at `out` is replaced only if `out.replace`.
    pub fn create_to(
        &mut self,
        brand: &str,
        right: Right,
        sent_on: NaiveDate,
        details: Option<&str>,
        out: Option<OutFile<'_>>,
    ) -> Result<NewRightsRequest> {
        let file = out
            .map(|o| AtomicFile::create(o, FileMode::Private))
            .transpose()?;
        let made = self.create(brand, right, sent_on, details)?;
        if let Some(mut file) = file {
            proof::pretty_json(&made.document)
                .and_then(|bytes| file.write_all(&bytes))
                .and_then(|()| file.commit())
                .map_err(|e| match e {
                    Error::Io { path, source } => Error::Io {
                        path,
                        source: std::io::Error::new(
                            source.kind(),
                            format!(
                                "the request was made, but its signed copy was not saved: {source}"
                            ),
                        ),
                    },
                    other => other,
                })?;
        }
        Ok(made)
    }

    /// Make a data-rights request to a brand: kept with its clock, plus a
    /// letter and a signed `DataRightsRequest` to send.
    pub fn create(
        &mut self,
        brand: &str,
        right: Right,
        sent_on: NaiveDate,
        details: Option<&str>,
    ) -> Result<NewRightsRequest> {
        let brand = self.vault.brand(brand)?;
        let details = check_details(details)?;
        let today = Utc::now().date_naive();
        if sent_on > today + chrono::Days::new(1) {
            return Err(Error::invalid_field(
                "sent_on",
                "the request cannot be sent in the future",
            ));
        }
        let now = Utc::now();
        let request = RightsRequest {
            id: RequestId::random(),
            brand: brand.id.clone(),
            right,
            sent_on,
            extended: false,
            status: RequestStatus::Open,
            reason: None,
            details,
            history: vec![StatusChange {
                at: now,
                status: RequestStatus::Open,
            }],
            created_at: now,
        };
        let sender = self.letter_sender()?;
        let letter = rights::request_letter(
            right,
            &sender,
            &Self::letter_recipient(&brand),
            sent_on,
            request.details.as_deref(),
            &request.id,
        );
        let tx = self.vault.write_tx()?;
        let key = self.vault.pairwise_key(&tx, &brand.id)?;
        let mut subject = rights::subject_json(
            right,
            &brand.name,
            sent_on,
            request.details.as_deref(),
            &request.id,
        );
        if let (Value::Object(map), Some(did)) = (&mut subject, &brand.did) {
            map.insert("id".into(), json!(did));
        }
        let uuid =
            uuid::Uuid::parse_str(&request.id).map_err(|e| Error::Database(e.to_string()))?;
        let document = proof::issue_credential(
            DATA_RIGHTS_REQUEST,
            &key,
            uuid,
            DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
            None,
            subject,
        )?;
        self.vault
            .insert_doc(&tx, REQUEST_KIND, &request.id, Some(&brand.id), &request)?;
        self.vault.append_audit(
            &tx,
            AuditAction::RightsRequested,
            Some(&brand.id),
            Some(&request.id),
            format!(
                "{} request ({}), due {}",
                right.as_str(),
                right.citation(),
                request.due()
            ),
        )?;
        tx.commit()?;
        Ok(NewRightsRequest {
            request,
            letter,
            document,
        })
    }

    /// One request by id or unique prefix.
    pub fn get(&self, id: &str) -> Result<RightsRequest> {
        self.vault
            .doc_by_id(REQUEST_KIND, id, Error::RequestNotFound)
    }

    /// Every request, with its clock at `today`; soonest deadline first.
    pub fn list(&mut self, today: NaiveDate) -> Result<Vec<RightsRequestView>> {
        let (list, _) = self.vault.docs::<RightsRequest>(REQUEST_KIND)?;
        let brands = self.vault.brands()?;
        let mut views: Vec<RightsRequestView> = list
            .into_iter()
            .map(|request| {
                let due = request.due();
                RightsRequestView {
                    brand_name: brands
                        .iter()
                        .find(|b| b.id == request.brand)
                        .map(|b| b.name.clone())
                        .unwrap_or_default(),
                    days_left: rights::days_left(due, today),
                    overdue: rights::is_overdue(due, today, request.status),
                    due,
                    request,
                }
            })
            .collect();
        views.sort_by(|a, b| {
            b.request
                .status
                .is_pending()
                .cmp(&a.request.status.is_pending())
                .then(a.due.cmp(&b.due))
                .then(a.request.id.cmp(&b.request.id))
        });
        Ok(views)
    }

    /// Change a request: its status (with the brand's reason when denied),
    /// and/or that the brand extended the deadline.
    pub fn update(
        &mut self,
        id: &str,
        status: Option<RequestStatus>,
        reason: Option<&str>,
        extended: Option<bool>,
    ) -> Result<RightsRequest> {
        let mut request = self.get(id)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.len() > 4096) {
            return Err(Error::invalid_field(
                "reason",
                "the reason may be at most 4 KiB",
            ));
        }
        let mut what = Vec::new();
        if let Some(to) = status
            && to != request.status
        {
            if !rights::can_move(request.status, to) {
                return Err(Error::invalid_field(
                    "status",
                    format!(
                        "a request that is {} cannot become {}",
                        request.status.as_str(),
                        to.as_str()
                    ),
                ));
            }
            if to == RequestStatus::Denied && reason.is_none() {
                return Err(Error::invalid_field(
                    "reason",
                    "give the brand's reason for denying the request (--reason)",
                ));
            }
            request.status = to;
            request.history.push(StatusChange {
                at: Utc::now(),
                status: to,
            });
            what.push(format!("status {}", to.as_str()));
        }
        if let Some(r) = reason {
            request.reason = Some(r.to_string());
        }
        if let Some(ext) = extended
            && ext != request.extended
        {
            request.extended = ext;
            what.push(format!("deadline now {}", request.due()));
        }
        if what.is_empty() && reason.is_none() {
            return Err(Error::invalid("nothing to change"));
        }
        let tx = self.vault.write_tx()?;
        self.vault
            .replace_doc(&tx, REQUEST_KIND, &request.id, &request)?;
        self.vault.append_audit(
            &tx,
            AuditAction::RightsUpdated,
            Some(&request.brand),
            Some(&request.id),
            if what.is_empty() {
                "reason recorded".to_string()
            } else {
                what.join("; ")
            },
        )?;
        tx.commit()?;
        // The old version's page images leave the WAL (as for records).
        self.vault.purge_wal()?;
        Ok(request)
    }

    /// The letter for a request, or (with `follow_up`) the letter chasing an
    /// overdue one, as of `today`.
    pub fn letter(&mut self, id: &str, follow_up: bool, today: NaiveDate) -> Result<String> {
        let request = self.get(id)?;
        let brand = self.vault.brand(&request.brand)?;
        let sender = self.letter_sender()?;
        let to = Self::letter_recipient(&brand);
        Ok(if follow_up {
            rights::follow_up_letter(
                request.right,
                &sender,
                &to,
                request.sent_on,
                request.due(),
                today,
                &request.id,
            )
        } else {
            rights::request_letter(
                request.right,
                &sender,
                &to,
                request.sent_on,
                request.details.as_deref(),
                &request.id,
            )
        })
    }

    /// Brands that broke the contact rules of the terms they accepted:
    /// inbound interactions since the acceptance, put to the rules.
    pub fn contact_violations(&mut self) -> Result<Vec<BrandViolations>> {
        let mut out = Vec::new();
        for brand in self.vault.brands()? {
            let Some((terms, agreement)) = self.vault.terms().accepted(&brand.id)? else {
                continue;
            };
            let since = agreement.signed_at.date_naive();
            let events: Vec<ContactEvent> = self
                .vault
                .list_records(&RecordFilter {
                    brand: Some(brand.id.to_string()),
                    kind: Some(RecordKind::Interaction),
                    ..Default::default()
                })?
                .iter()
                .filter_map(ContactEvent::from_record)
                .filter(|e| e.at >= since)
                .collect();
            let violations = contact::violations(&terms.clauses.contact, &events);
            if !violations.is_empty() {
                out.push(BrandViolations {
                    brand,
                    terms_version: terms.number,
                    since: agreement.signed_at,
                    violations,
                });
            }
        }
        Ok(out)
    }
}
