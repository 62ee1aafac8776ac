//! `vrm rights|contact`: data-rights requests with their deadlines; contacts
//! that broke the contact rules a brand accepted.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::Subcommand;

use super::io::{
    CliResult, Ctx, check_out, day, out_file, parse_day, print_json, short, to_json,
    warn_damaged_documents, write_out,
};
use super::out::{errln, out_block, outln};
use vrm_vault::rights::contact::{Channel, ContactPurpose};
use vrm_vault::rights::{RequestStatus, Right};
use vrm_vault::{NewRecord, RecordKind};

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
            let made = vault.rights().create_to(
                brand,
                *right,
                sent_on.unwrap_or(today),
                details.as_deref(),
                out.as_deref().map(|f| out_file(f, *force)),
            )?;
            if let Some(f) = letter {
                write_out(f, made.letter.as_bytes(), *force)?;
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
            let list = vault.rights().list(today)?;
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
            let r = vault.rights().get(id)?;
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
            let r =
                vault
                    .rights()
                    .update(id, *status, reason.as_deref(), extended.then_some(true))?;
            errln!(
                "Request {} is {}; due {}.",
                short(&r.id),
                r.status.as_str(),
                r.due()
            );
        }
        RightsCommand::Letter { id, follow_up } => {
            out_block(&vault.rights().letter(id, *follow_up, today)?);
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
            let list = vault.rights().contact_violations()?;
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
