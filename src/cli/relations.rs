//! `vrm terms|share|exposure|rights|contact|audit|verify|brand-kit`: the
//! person's terms, shares and requests, and the brand's side of the exchange.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Subcommand;
use secrecy::ExposeSecret;

use vrm_vault::agreement::Decision;
use vrm_vault::brandkit::{self, BrandKey};
use vrm_vault::contact::{Channel, ContactPurpose};
use vrm_vault::rights::{RequestStatus, Right};
use vrm_vault::share::{ShareRequest, ShareStatus};
use vrm_vault::terms::Template;
use vrm_vault::{Error, NewRecord, RecordKind, proof};

use super::out::{errln, out_block, outln};
use super::{
    CliResult, Ctx, Failure, check_out, out_dir, parse_day, parse_field, print_json, short,
    warn_damaged_documents, write_out,
};

#[derive(Debug, Subcommand)]
pub(super) enum TermsCommand {
    /// The templates terms start from (IEEE 7012 / MyTerms agreements)
    Templates {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Make a new version of your terms; prints its id
    New {
        /// SD-BASE, SD-BASE-DP or PDC-INTENT
        #[arg(long, required_unless_present = "from")]
        template: Option<Template>,
        /// Start from this version's clauses instead of the template's (number, id or latest)
        #[arg(long, value_name = "VERSION")]
        from: Option<String>,
        /// A title for this version
        #[arg(long)]
        title: Option<String>,
        /// Change a clause, CLAUSE=VALUE (repeatable). Clauses: purposes, retentionDays,
        /// thirdPartySharing, noTrackingFirstParty, noTrackingThirdParty, noProfiling,
        /// deletionOnRequestDays, portability, contact.channels, contact.maxContacts,
        /// contact.perDays, contact.marketingAllowed, contact.crossOffersAllowed, jurisdiction
        #[arg(long = "set", value_name = "CLAUSE=VALUE", value_parser = parse_field)]
        set: Vec<(String, String)>,
        /// Your own words to append, from this file
        #[arg(long, value_name = "FILE")]
        prose_file: Option<PathBuf>,
    },
    /// List the versions of your terms
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one version's text (default: the latest)
    Show {
        /// Number, id or latest
        #[arg(default_value = "latest")]
        version: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Write a version signed for one brand (a PersonalTerms credential)
    Export {
        /// Number, id or latest
        version: String,
        /// The brand it is for (signed with your key for that brand)
        #[arg(long)]
        brand: String,
        /// Where to write it
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Import a brand's signed answer to your terms (TermsAgreement)
    Import {
        /// The answer file
        file: PathBuf,
    },
    /// Each brand's standing with your terms
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum ShareCommand {
    /// Share records with a brand: writes an encrypted, signed bundle; prints the share id
    Create {
        /// The brand (id, id prefix or name)
        #[arg(long)]
        brand: String,
        /// A record to share (repeatable)
        #[arg(long = "record", value_name = "ID", required = true)]
        records: Vec<String>,
        /// Only these fields, comma-separated (default: all fields). Each must be in
        /// at least one of the records; a record lacking some is shared without them
        /// (a note says so), a record with none of them is refused
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
        /// What the brand may use them for
        #[arg(long)]
        purpose: String,
        /// When the share ends: 30d, 12w, 1y or a date
        #[arg(long, value_parser = parse_expiry)]
        expires: DateTime<Utc>,
        /// Under this terms version (default: your latest)
        #[arg(long, value_name = "VERSION")]
        terms: Option<String>,
        /// Where to write the bundle
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// List shares, newest first
    List {
        /// Only this brand's
        #[arg(long)]
        brand: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one share
    Show {
        /// Id or unique id prefix
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Revoke a share: writes a signed revocation demanding erasure
    Revoke {
        /// Id or unique id prefix
        id: String,
        /// Where to write the revocation
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Why (sent to the brand)
        #[arg(long)]
        reason: Option<String>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Import a brand's signed acknowledgment that it erased a revoked share
    Ack {
        /// The acknowledgment file
        file: PathBuf,
    },
    /// Open your own copy of a bundle you sent, to see exactly what it holds
    Open {
        /// The bundle
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum ExposureCommand {
    /// Revoke every live share that holds one item (writes one revocation per share)
    Revoke {
        /// The item (a field name such as email)
        item: String,
        /// The folder for the revocations (made if missing)
        #[arg(long, value_name = "DIR")]
        out_dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum RightsCommand {
    /// The rights you can exercise
    Kinds {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Make a request to a brand; prints its id
    Request {
        /// The brand
        #[arg(long)]
        brand: String,
        /// gdpr-access, gdpr-erasure, ccpa-delete, … (see `vrm rights kinds`)
        #[arg(long)]
        right: Right,
        /// What exactly you ask (an account number, what to correct…)
        #[arg(long)]
        details: Option<String>,
        /// The day it was sent (default: today); the deadline counts from it
        #[arg(long, value_parser = parse_day)]
        sent_on: Option<NaiveDate>,
        /// Write the letter to this file
        #[arg(long, value_name = "FILE")]
        letter: Option<PathBuf>,
        /// Write the signed DataRightsRequest to this file
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace the letter and FILE if they exist
        #[arg(long)]
        force: bool,
    },
    /// List requests with their deadlines
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one request
    Show {
        /// Id or unique id prefix
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Record the brand's answer or an extension
    Update {
        /// Id or unique id prefix
        id: String,
        /// open, in-progress, fulfilled, denied or expired
        #[arg(long)]
        status: Option<RequestStatus>,
        /// The brand's reason (needed when denied)
        #[arg(long)]
        reason: Option<String>,
        /// The brand extended the deadline as the law allows
        #[arg(long)]
        extended: bool,
    },
    /// Print the letter for a request (or the follow-up for an overdue one)
    Letter {
        /// Id or unique id prefix
        id: String,
        /// The letter chasing an overdue request
        #[arg(long)]
        follow_up: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum ContactCommand {
    /// Log a contact from a brand (an inbound interaction); prints the record id
    Log {
        /// The brand
        #[arg(long)]
        brand: String,
        /// call, chat, email, social, in-store or letter
        #[arg(long)]
        channel: Channel,
        /// service, support, billing, marketing, sales or other
        #[arg(long)]
        purpose: ContactPurpose,
        /// What it was about
        #[arg(long)]
        summary: String,
        /// The day (default: today)
        #[arg(long, value_parser = parse_day)]
        date: Option<NaiveDate>,
    },
    /// Brands that broke the contact rules of the terms they accepted
    Violations {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// The activity log, oldest first
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Check that no entry was altered, removed or reordered
    Verify,
}

#[derive(Debug, Subcommand)]
pub(super) enum BrandKitCommand {
    /// Make a brand's keys (age identity + did:key) in a key file; prints the did and recipient
    Keygen {
        /// Where to write the key file (owner-only)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Decrypt a share bundle and verify the grant in it; prints the grant
    Open {
        /// The bundle
        bundle: PathBuf,
        /// The brand's key file
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
    },
    /// Answer a person's terms with a signed TermsAgreement
    Agree {
        /// The PersonalTerms file
        terms: PathBuf,
        /// The brand's key file
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// accepted, refused or counter
        #[arg(long, default_value = "accepted")]
        decision: Decision,
        /// For a counter-offer: a clause to change, clause=value (repeatable)
        #[arg(long = "change", value_name = "CLAUSE=VALUE", value_parser = parse_field)]
        changes: Vec<(String, String)>,
        /// A note to the person
        #[arg(long)]
        note: Option<String>,
        /// Where to write the answer
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Run an intake for intents on an address (loopback); stores what verifies
    Serve {
        /// Where to listen, e.g. 127.0.0.1:8700 (port 0: any free port; the URL is printed)
        #[arg(long, default_value = "127.0.0.1:8700")]
        addr: String,
        /// The folder to store received intents in
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Answer an intent with a signed Offer
    Offer(super::intents::OfferArgs),
    /// Acknowledge a revocation with a signed DeletionAcknowledgment
    Ack {
        /// The ShareRevocation file
        revocation: PathBuf,
        /// The brand's key file
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// When the data was erased (default: now)
        #[arg(long, value_parser = parse_instant)]
        erased_at: Option<DateTime<Utc>>,
        /// Where to write the acknowledgment
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
}

/// `30d`, `12w`, `1y`, a date (end of that day, UTC) or an RFC 3339 instant.
pub(super) fn parse_expiry(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let bad =
        || format!("{s:?}: expected 30d, 12w, 1y, a date like 2026-12-31, or an RFC 3339 time");
    // A number and a unit letter. Only digits before the letter: an RFC 3339
    // time in UTC ends in a letter too (`Z`).
    if let Some(unit) = s.chars().last().filter(char::is_ascii_alphabetic)
        && !s[..s.len() - 1].contains(|c: char| !c.is_ascii_digit())
    {
        let n: i64 = s[..s.len() - 1].parse().map_err(|_| bad())?;
        if !(1..=3650).contains(&n) {
            return Err(bad());
        }
        let days = match unit.to_ascii_lowercase() {
            'd' => n,
            'w' => n * 7,
            'y' => n * 365,
            _ => return Err(bad()),
        };
        return Ok(Utc::now() + Duration::days(days));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = parse_day(s).map_err(|_| bad())?;
    day.and_hms_opt(23, 59, 59)
        .map(|t| t.and_utc())
        .ok_or_else(bad)
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    parse_day(s).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

pub(super) fn read_input(path: &Path) -> CliResult<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    if meta.len() > proof::MAX_DOCUMENT_BYTES as u64 * 16 {
        return Err(Failure::Other(format!(
            "{}: the file is too large",
            path.display()
        )));
    }
    Ok(std::fs::read(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?)
}

pub(super) fn write_json(path: &Path, value: &serde_json::Value, force: bool) -> CliResult {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Failure::Other(e.to_string()))?;
    write_out(path, &bytes, force)
}

fn to_json<T: serde::Serialize>(v: &T) -> CliResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Failure::Other(e.to_string()))
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

pub(super) fn terms(ctx: &Ctx<'_>, cmd: &TermsCommand) -> CliResult {
    if let TermsCommand::Templates { json } = cmd {
        let list = vrm_vault::terms::templates();
        if *json {
            return print_json(&list);
        }
        for t in list {
            outln!("{:<11} {}", t.template.id(), t.title);
            outln!("            {}", t.summary);
        }
        return Ok(());
    }
    let mut vault = ctx.unlock()?;
    match cmd {
        TermsCommand::Templates { .. } => unreachable!("handled above"),
        TermsCommand::New {
            template,
            from,
            title,
            set,
            prose_file,
        } => {
            let (template, mut clauses, old_title) = match from {
                Some(v) => {
                    let base = vault.terms_version(v)?;
                    (
                        template.unwrap_or(base.template),
                        base.clauses,
                        Some(base.title),
                    )
                }
                None => {
                    let t = template.expect("clap requires --template without --from");
                    (t, t.clauses(), None)
                }
            };
            for (k, v) in set {
                clauses.set(k, v)?;
            }
            if let Some(f) = prose_file {
                let text = std::fs::read_to_string(f).map_err(|e| Error::Io {
                    path: f.clone(),
                    source: e,
                })?;
                clauses.prose = Some(text);
            }
            let title = title
                .clone()
                .or(old_title)
                .unwrap_or_else(|| template.title().to_string());
            let v = vault.create_terms(template, &title, &clauses)?;
            errln!("Made terms version {}.", v.number);
            outln!("{}", v.id);
        }
        TermsCommand::List { json } => {
            let list = vault.terms_versions()?;
            warn_damaged_documents(&vault)?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                errln!("No terms yet. Start from a template: vrm terms new --template SD-BASE");
            }
            for v in list {
                outln!(
                    "{}  v{:<3} {}  {:<11} {}",
                    short(&v.id),
                    v.number,
                    day(v.created_at),
                    v.template.id(),
                    v.title
                );
            }
        }
        TermsCommand::Show { version, json } => {
            let v = vault.terms_version(version)?;
            if *json {
                return print_json(&v);
            }
            // A document: its lines kept, everything else escaped.
            out_block(&v.text);
        }
        TermsCommand::Export {
            version,
            brand,
            out,
            force,
        } => {
            check_out(out, *force)?;
            let (doc, reference) = vault.issue_terms(version, brand)?;
            write_json(out, &doc, *force)?;
            errln!(
                "Wrote the signed terms to {} (id {}, SHA-256 {}).",
                out.display(),
                reference.id,
                reference.digest
            );
        }
        TermsCommand::Import { file } => {
            let a = vault.import_agreement(&read_input(file)?)?;
            let brand = vault.brand(&a.brand)?;
            errln!(
                "{} {} your terms{}.",
                brand.name,
                match a.decision {
                    Decision::Accepted => "accepted",
                    Decision::Refused => "refused",
                    Decision::Counter => "made a counter-offer to",
                },
                if a.changes.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        a.changes
                            .iter()
                            .map(|c| c.describe())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                }
            );
            outln!("{}", a.id);
        }
        TermsCommand::Status { json } => {
            let list = vault.terms_status()?;
            if *json {
                return print_json(&list);
            }
            let versions: BTreeMap<String, u32> = vault
                .terms_versions()?
                .into_iter()
                .map(|v| (v.id, v.number))
                .collect();
            for s in list {
                let status = match &s.latest {
                    None => "no answer".to_string(),
                    Some(a) => format!(
                        "{} v{} on {}",
                        a.decision.as_str(),
                        versions.get(&a.terms.version).copied().unwrap_or(0),
                        day(a.signed_at)
                    ),
                };
                outln!("{:<24} {status}", s.brand.name);
            }
        }
    }
    Ok(())
}

pub(super) fn share(ctx: &Ctx<'_>, cmd: &ShareCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        ShareCommand::Create {
            brand,
            records,
            fields,
            purpose,
            expires,
            terms,
            out,
            force,
        } => {
            check_out(out, *force)?;
            let s = vault.create_share(
                &ShareRequest {
                    brand: brand.clone(),
                    records: records.clone(),
                    fields: fields.clone(),
                    purpose: purpose.clone(),
                    expires_at: *expires,
                    terms: terms.clone(),
                },
                out,
            )?;
            for i in &s.items {
                let lacking: Vec<String> = fields
                    .iter()
                    .map(|f| f.trim().to_ascii_lowercase())
                    .filter(|f| !f.is_empty() && !i.fields.contains(f))
                    .collect();
                if !lacking.is_empty() {
                    errln!(
                        "note: record {} has no {}; shared without it",
                        short(&i.record),
                        lacking.join(", ")
                    );
                }
            }
            errln!(
                "Shared {} record(s) ({}) until {}; bundle written to {}.",
                s.items.len(),
                s.field_names().join(", "),
                day(s.expires_at),
                out.display()
            );
            outln!("{}", s.id);
        }
        ShareCommand::List { brand, json } => {
            let list = vault.shares(brand.as_deref())?;
            warn_damaged_documents(&vault)?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                errln!("No shares yet.");
            }
            for v in list {
                let s = &v.share;
                let extra = match (v.status, &s.revocation) {
                    (ShareStatus::Revoked | ShareStatus::Overdue, Some(r)) => {
                        format!("  erase by {}", day(r.erase_by))
                    }
                    _ => format!("  until {}", day(s.expires_at)),
                };
                outln!(
                    "{}  {:<8} {:<20} {}  {}{}",
                    short(&s.id),
                    v.status.as_str(),
                    v.brand_name,
                    s.field_names().join(","),
                    s.purpose,
                    extra
                );
            }
        }
        ShareCommand::Show { id, json } => {
            let s = vault.share(id)?;
            let status = s.status(Utc::now());
            if *json {
                let mut v = to_json(&s)?;
                v["status"] = serde_json::json!(status.as_str());
                return print_json(&v);
            }
            let brand = vault.brand(&s.brand)?;
            outln!("Share {}", s.id);
            outln!("  brand:    {}", brand.name);
            outln!("  status:   {}", status.as_str());
            outln!("  purpose:  {}", s.purpose);
            outln!("  made:     {}", day(s.created_at));
            outln!("  expires:  {}", day(s.expires_at));
            if let Some(t) = &s.terms {
                outln!("  terms:    {} (SHA-256 {})", t.id, t.digest);
            }
            for i in &s.items {
                outln!(
                    "  record {}  {:<12} {}",
                    short(&i.record),
                    i.kind.as_str(),
                    i.fields.join(", ")
                );
            }
            if let Some(r) = &s.revocation {
                outln!(
                    "  revoked:  {}, erasure demanded by {}",
                    day(r.at),
                    day(r.erase_by)
                );
            }
            if let Some(a) = &s.acknowledgment {
                outln!(
                    "  erased:   {} (acknowledged by the brand)",
                    day(a.erased_at)
                );
            }
        }
        ShareCommand::Revoke {
            id,
            out,
            reason,
            force,
        } => {
            check_out(out, *force)?;
            let s = vault.revoke_share(id, reason.as_deref(), out)?;
            let r = s.revocation.as_ref().expect("just revoked");
            errln!(
                "Revoked; erasure demanded by {}. Send {} to the brand.",
                day(r.erase_by),
                out.display()
            );
        }
        ShareCommand::Ack { file } => {
            let s = vault.import_acknowledgment(&read_input(file)?)?;
            let a = s.acknowledgment.as_ref().expect("just acknowledged");
            errln!(
                "The brand acknowledged erasing share {} on {}.",
                short(&s.id),
                day(a.erased_at)
            );
        }
        ShareCommand::Open { file } => {
            let doc = vault.open_own_bundle(&read_input(file)?)?;
            print_json(&doc)?;
        }
    }
    Ok(())
}

pub(super) fn exposure(ctx: &Ctx<'_>, cmd: Option<&ExposureCommand>, json: bool) -> CliResult {
    let mut vault = ctx.unlock()?;
    if let Some(ExposureCommand::Revoke { item, out_dir: dir }) = cmd {
        out_dir(dir)?;
        let written = vault.revoke_item(item, dir)?;
        for w in &written {
            errln!("Revoked share {}: {}", short(&w.share.id), w.path.display());
        }
        return Ok(());
    }
    let items = vault.exposure()?;
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        errln!("No brand holds anything you shared.");
    }
    for item in items {
        outln!("{}", item.item);
        for h in item.holders {
            outln!(
                "  {:<20} since {}  until {}  {:<8} share {}{}",
                h.brand_name,
                day(h.since),
                day(h.until),
                h.status.as_str(),
                short(&h.share),
                h.terms
                    .map(|t| format!("  terms {}", t.id))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

pub(super) fn rights(ctx: &Ctx<'_>, cmd: &RightsCommand) -> CliResult {
    if let RightsCommand::Kinds { json } = cmd {
        let list = vrm_vault::rights::right_infos();
        if *json {
            return print_json(&list);
        }
        for r in list {
            outln!("{:<20} {:<10} {}", r.right.as_str(), r.article, r.title);
        }
        return Ok(());
    }
    let mut vault = ctx.unlock()?;
    let today = Utc::now().date_naive();
    match cmd {
        RightsCommand::Kinds { .. } => unreachable!("handled above"),
        RightsCommand::Request {
            brand,
            right,
            details,
            sent_on,
            letter,
            out,
            force,
        } => {
            for f in letter.iter().chain(out) {
                check_out(f, *force)?;
            }
            let made = vault.create_rights_request(
                brand,
                *right,
                sent_on.unwrap_or(today),
                details.as_deref(),
            )?;
            if let Some(f) = letter {
                write_out(f, made.letter.as_bytes(), *force)?;
            }
            if let Some(f) = out {
                write_json(f, &made.document, *force)?;
            }
            errln!(
                "Request made; the brand must answer by {}.{}",
                made.request.due(),
                if letter.is_none() {
                    format!(
                        " Print the letter: vrm rights letter {}",
                        short(&made.request.id)
                    )
                } else {
                    String::new()
                }
            );
            outln!("{}", made.request.id);
        }
        RightsCommand::List { json } => {
            let list = vault.rights_requests(today)?;
            warn_damaged_documents(&vault)?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                errln!("No requests yet. See what you can ask: vrm rights kinds");
            }
            for v in list {
                let clock = if v.overdue {
                    format!(
                        "OVERDUE by {} days (follow up: vrm rights letter {} --follow-up)",
                        -v.days_left,
                        short(&v.request.id)
                    )
                } else if v.request.status.is_pending() {
                    format!("{} days left", v.days_left)
                } else {
                    String::new()
                };
                outln!(
                    "{}  {:<18} {:<20} {:<11} due {}  {}",
                    short(&v.request.id),
                    v.request.right.as_str(),
                    v.brand_name,
                    v.request.status.as_str(),
                    v.due,
                    clock
                );
            }
        }
        RightsCommand::Show { id, json } => {
            let r = vault.rights_request(id)?;
            if *json {
                let mut v = to_json(&r)?;
                v["due"] = serde_json::json!(r.due());
                return print_json(&v);
            }
            let brand = vault.brand(&r.brand)?;
            outln!("Request {}", r.id);
            outln!("  brand:   {}", brand.name);
            outln!("  right:   {} ({})", r.right.title(), r.right.citation());
            outln!("  sent:    {}", r.sent_on);
            outln!(
                "  due:     {}{}",
                r.due(),
                if r.extended { " (extended)" } else { "" }
            );
            outln!("  status:  {}", r.status.as_str());
            if let Some(reason) = &r.reason {
                outln!("  reason:  {reason}");
            }
            if let Some(d) = &r.details {
                outln!("  details: {d}");
            }
        }
        RightsCommand::Update {
            id,
            status,
            reason,
            extended,
        } => {
            let r = vault.update_rights_request(
                id,
                *status,
                reason.as_deref(),
                extended.then_some(true),
            )?;
            errln!(
                "Request {} is {}; due {}.",
                short(&r.id),
                r.status.as_str(),
                r.due()
            );
        }
        RightsCommand::Letter { id, follow_up } => {
            out_block(&vault.rights_letter(id, *follow_up, today)?);
        }
    }
    Ok(())
}

pub(super) fn contact(ctx: &Ctx<'_>, cmd: &ContactCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        ContactCommand::Log {
            brand,
            channel,
            purpose,
            summary,
            date,
        } => {
            let date = date.unwrap_or_else(|| Utc::now().date_naive());
            let fields = BTreeMap::from([
                ("channel".to_string(), channel.as_str().to_string()),
                ("direction".to_string(), "inbound".to_string()),
                ("purpose".to_string(), purpose.as_str().to_string()),
                ("date".to_string(), date.to_string()),
                ("summary".to_string(), summary.clone()),
            ]);
            let r = vault.add_record(&NewRecord {
                kind: RecordKind::Interaction,
                brand: Some(brand.clone()),
                fields,
                tags: vec![],
            })?;
            outln!("{}", r.id);
        }
        ContactCommand::Violations { json } => {
            let list = vault.contact_violations()?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                errln!("No brand broke the contact rules it accepted.");
            }
            for b in list {
                outln!(
                    "{} (terms v{}, accepted {}):",
                    b.brand.name,
                    b.terms_version,
                    day(b.since)
                );
                for v in b.violations {
                    // The description starts with the day already.
                    outln!("  {v}");
                }
            }
        }
    }
    Ok(())
}

pub(super) fn audit(ctx: &Ctx<'_>, cmd: &AuditCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        AuditCommand::List { json } => {
            let (entries, _) = vault.audit_entries()?;
            if *json {
                return print_json(&entries);
            }
            let names: BTreeMap<String, String> = vault
                .brands()?
                .into_iter()
                .map(|b| (b.id, b.name))
                .collect();
            for e in entries {
                let brand = e
                    .brand
                    .as_ref()
                    .map(|b| {
                        names
                            .get(b)
                            .cloned()
                            .unwrap_or_else(|| "(deleted brand)".into())
                    })
                    .unwrap_or_default();
                outln!(
                    "{:>5}  {}  {:<21} {:<20} {}",
                    e.seq,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.action.as_str(),
                    brand,
                    e.summary
                );
            }
        }
        AuditCommand::Verify => {
            let report = vault.verify_audit()?;
            outln!(
                "The activity log is intact: {} entries, head {}.",
                report.entries,
                report.head
            );
        }
    }
    Ok(())
}

pub(super) fn verify(file: &Path, json: bool) -> CliResult {
    let bytes = read_input(file)?;
    let doc = proof::parse_document(&bytes)?;
    let vc = match proof::verify_credential(&doc, Utc::now()) {
        Ok(vc) => vc,
        // Out of its validity period: still say whether the signature holds
        // (it is checked first), and keep failing.
        Err(e @ (Error::Expired(_) | Error::NotYetValid(_))) => {
            let signed = proof::verify(&doc)?;
            return Err(Failure::Other(format!(
                "the signature is valid (signed by {}), but {}",
                signed.signer,
                match e {
                    Error::Expired(why) => format!("the document is EXPIRED: {why}"),
                    Error::NotYetValid(why) => format!("the document is NOT VALID YET: {why}"),
                    _ => unreachable!("matched above"),
                }
            )));
        }
        Err(Error::Signature(why)) => {
            return Err(Failure::Other(format!(
                "the signature is INVALID: it does not verify: {why}"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        return print_json(&vc);
    }
    outln!("valid {} signed by {}", vc.kind, vc.signer);
    outln!("  id:          {}", vc.id);
    outln!("  valid from:  {}", vc.valid_from.to_rfc3339());
    if let Some(u) = vc.valid_until {
        outln!("  valid until: {}", u.to_rfc3339());
    }
    Ok(())
}

pub(super) fn brand_key(path: &Path) -> CliResult<BrandKey> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?);
    Ok(BrandKey::parse(&text)?)
}

pub(super) fn brand_kit(cmd: &BrandKitCommand) -> CliResult {
    let now = Utc::now();
    match cmd {
        BrandKitCommand::Keygen { out } => {
            if out.exists() {
                return Err(Failure::Other(format!(
                    "{} exists; not overwriting a key",
                    out.display()
                )));
            }
            let key = BrandKey::generate()?;
            write_private(out, key.to_file_text().expose_secret().as_bytes())?;
            outln!("{}", key.signing.did());
            outln!("{}", key.age.recipient());
        }
        BrandKitCommand::Open { bundle, identity } => {
            let key = brand_key(identity)?;
            let opened = brandkit::open_bundle(&read_input(bundle)?, &key, now)?;
            errln!(
                "valid {} signed by {}",
                opened.credential.kind,
                opened.credential.signer
            );
            print_json(&opened.document)?;
        }
        BrandKitCommand::Agree {
            terms,
            identity,
            decision,
            changes,
            note,
            out,
            force,
        } => {
            check_out(out, *force)?;
            let key = brand_key(identity)?;
            let doc = brandkit::agree(
                &read_input(terms)?,
                &key,
                *decision,
                changes,
                note.as_deref(),
                now,
            )?;
            write_json(out, &doc, *force)?;
            errln!(
                "Wrote the {} answer to {}.",
                decision.as_str(),
                out.display()
            );
        }
        BrandKitCommand::Serve { addr, dir } => return super::intents::serve(addr, dir),
        BrandKitCommand::Offer(args) => return super::intents::brand_offer(args),
        BrandKitCommand::Ack {
            revocation,
            identity,
            erased_at,
            out,
            force,
        } => {
            check_out(out, *force)?;
            let key = brand_key(identity)?;
            let doc = brandkit::acknowledge(
                &read_input(revocation)?,
                &key,
                erased_at.unwrap_or(now),
                now,
            )?;
            write_json(out, &doc, *force)?;
            errln!("Wrote the acknowledgment to {}.", out.display());
        }
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> CliResult {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let io = |e| {
        Failure::Core(Error::Io {
            path: path.to_path_buf(),
            source: e,
        })
    };
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_takes_durations_dates_and_instants() {
        let now = Utc::now();
        let d = parse_expiry("30d").unwrap();
        assert!((d - now - Duration::days(30)).num_seconds().abs() < 5);
        assert!(parse_expiry("2w").unwrap() > now + Duration::days(13));
        assert_eq!(
            parse_expiry("2030-01-31").unwrap().to_rfc3339(),
            "2030-01-31T23:59:59+00:00"
        );
        for instant in [
            "2030-01-31T10:00:00Z",
            "2030-01-31T10:00:00z",
            "2030-01-31T11:00:00+01:00",
        ] {
            assert_eq!(
                parse_expiry(instant).unwrap().to_rfc3339(),
                "2030-01-31T10:00:00+00:00",
                "{instant}"
            );
        }
        for bad in [
            "",
            "d",
            "0d",
            "-3d",
            "+3d",
            "3 d",
            "30x",
            "99999d",
            "tomorrow",
            "2030-01-31T10:00:00",
            "2030-01-31Z",
        ] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
    }
}
