//! `vrm share|exposure`: records shared with a brand, revoked, erased; who holds what.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Subcommand;

use super::io::{
    CliResult, Ctx, check_out, day, out_dir, out_file, parse_expiry, print_json, short, to_json,
    warn_damaged_documents,
};
use super::out::{errln, outln};
use vrm_vault::proof;
use vrm_vault::share::{ShareRequest, ShareStatus};

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
            let s = vault.shares().create(
                &ShareRequest {
                    brand: brand.clone(),
                    records: records.clone(),
                    fields: fields.clone(),
                    purpose: purpose.clone(),
                    expires_at: *expires,
                    terms: terms.clone(),
                },
                out_file(out, *force),
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
            let list = vault.shares().list(brand.as_deref())?;
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
            let s = vault.shares().get(id)?;
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
            let s = vault
                .shares()
                .revoke(id, reason.as_deref(), out_file(out, *force))?;
            let r = s.revocation.as_ref().expect("just revoked");
            errln!(
                "Revoked; erasure demanded by {}. Send {} to the brand.",
                day(r.erase_by),
                out.display()
            );
        }
        ShareCommand::Ack { file } => {
            let s = vault.shares().import_acknowledgment_file(file)?;
            let a = s.acknowledgment.as_ref().expect("just acknowledged");
            errln!(
                "The brand acknowledged erasing share {} on {}.",
                short(&s.id),
                day(a.erased_at)
            );
        }
        ShareCommand::Open { file } => {
            let doc = vault
                .shares()
                .open_own_bundle(&proof::read_foreign_file(file)?)?;
            print_json(&doc)?;
        }
    }
    Ok(())
}

pub(super) fn exposure(ctx: &Ctx<'_>, cmd: Option<&ExposureCommand>, json: bool) -> CliResult {
    let mut vault = ctx.unlock()?;
    if let Some(ExposureCommand::Revoke { item, out_dir: dir }) = cmd {
        out_dir(dir)?;
        let written = vault.shares().revoke_item(item, dir)?;
        for w in &written {
            errln!("Revoked share {}: {}", short(&w.share.id), w.path.display());
        }
        return Ok(());
    }
    let items = vault.shares().exposure()?;
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        errln!("No brand holds anything you shared, or is seen to in mail you brought in.");
    }
    for item in items {
        outln!("{}", item.item);
        for o in &item.observed {
            outln!(
                "  {:<20} {}  seen {} to {}  observed in {} message(s)",
                o.brand_name,
                o.value,
                o.first_seen,
                o.last_seen,
                o.messages
            );
        }
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
