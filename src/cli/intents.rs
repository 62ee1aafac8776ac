//! `vrm intent|offer` and the brand kit's `serve` and `offer`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;

use super::io::{
    CliResult, Ctx, Failure, check_out, day, offer_line, out_dir, out_file, parse_day,
    parse_expiry, print_json, short, write_json,
};
use super::out::{errln, outln};
use vrm_vault::Error;
use vrm_vault::intent::{self, DeliveryStatus, IntentInput};

#[derive(Debug, Subcommand)]
pub(super) enum IntentCommand {
    /// Say what you want, signed under a fresh identity; prints the intent id
    Create {
        /// What kind of thing (lunch, bicycle, …)
        #[arg(long)]
        category: String,
        /// In your words
        #[arg(long)]
        description: String,
        /// How many
        #[arg(long)]
        quantity: Option<u32>,
        /// The most you will pay
        #[arg(long, requires = "currency")]
        budget_max: Option<String>,
        /// Currency of the budget (EUR, USD…)
        #[arg(long)]
        currency: Option<String>,
        /// Where
        #[arg(long)]
        location: Option<String>,
        /// By when you need it
        #[arg(long, value_parser = parse_day)]
        needed_by: Option<NaiveDate>,
        /// Until when offers are welcome: 7d, 2w or a date
        #[arg(long, value_parser = parse_expiry)]
        expires: DateTime<Utc>,
        /// Under this PDC-INTENT terms version (default: your latest PDC-INTENT)
        #[arg(long, value_name = "VERSION")]
        terms: Option<String>,
        /// A brand to send it to (repeatable); none: a draft, whose brands
        /// are named when it is sent
        #[arg(long = "brand", value_name = "BRAND")]
        brands: Vec<String>,
    },
    /// List intents with their status
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one intent and its deliveries
    Show {
        /// Id or unique id prefix
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Send it to its brands: a file each (--out DIR) and/or a POST to each inbox
    Send {
        /// Id or unique id prefix
        id: String,
        /// Also send it to this brand (repeatable); a draft needs at least one
        #[arg(long = "brand", value_name = "BRAND")]
        brands: Vec<String>,
        /// Also write a file per brand into this folder (made if missing)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Do not POST to the brands' inbox URLs
        #[arg(long)]
        no_http: bool,
    },
    /// Broadcast it to Nostr relays, where any seller may answer: a listing
    /// signed by the intent's own relay key, offers come back encrypted to it
    Broadcast {
        /// Id or unique id prefix
        id: String,
        /// To this relay (repeatable); none: to every relay of yours (vrm relay add)
        #[arg(long = "relay", value_name = "URL")]
        relays: Vec<String>,
        /// A coarse location sellers may filter on: a geohash, as coarse as you
        /// choose (u0 is a region, u09t a city, at most 7 characters); never finer
        #[arg(long, value_name = "GEOHASH")]
        geohash: Option<String>,
        /// Give each relay this long to answer
        #[arg(long, value_name = "SECONDS", default_value_t = super::relays::DEFAULT_RELAY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=120))]
        timeout: u64,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Withdraw it: a signed withdrawal to the brands it reached, and, if it
    /// was broadcast, a deletion request to the relays
    Withdraw {
        /// Id or unique id prefix
        id: String,
        /// Also write a file per brand into this folder (made if missing)
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Do not POST to the brands' inbox URLs
        #[arg(long)]
        no_http: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum OfferCommand {
    /// Import offers: a file, or every .json/.age file in a folder
    Import {
        /// The file or folder
        path: PathBuf,
    },
    /// List offers by currency, cheapest first within each (prices in
    /// different currencies are not compared)
    List {
        /// Only this intent's
        #[arg(long)]
        intent: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Accept an offer: a signed acceptance, written for the brand (--out), or,
    /// for an offer that came over relays, sent back to the seller encrypted
    Accept {
        /// Id or unique id prefix
        id: String,
        /// Where to write the acceptance (needed unless the offer came over relays)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Fetch offers for your broadcast intents from relays, and import them
    Fetch {
        /// Only this intent's
        #[arg(long)]
        intent: Option<String>,
        /// From this relay (repeatable); none: from every relay of yours
        #[arg(long = "relay", value_name = "URL")]
        relays: Vec<String>,
        /// Give each relay this long to answer
        #[arg(long, value_name = "SECONDS", default_value_t = super::relays::DEFAULT_RELAY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=120))]
        timeout: u64,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Send an accepted offer's signed acceptance to its seller again, over
    /// relays (when no relay took it)
    Resend {
        /// Id or unique id prefix
        id: String,
        /// Also on this relay (repeatable); none: the relays the offer came
        /// from and every relay of yours
        #[arg(long = "relay", value_name = "URL")]
        relays: Vec<String>,
        /// Give each relay this long to answer
        #[arg(long, value_name = "SECONDS", default_value_t = super::relays::DEFAULT_RELAY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=120))]
        timeout: u64,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Decline an offer
    Decline {
        /// Id or unique id prefix
        id: String,
        /// Also write a signed decline for the brand
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
}

pub(super) fn intent_cmd(ctx: &Ctx<'_>, cmd: &IntentCommand) -> CliResult {
    if let IntentCommand::Broadcast {
        id,
        relays,
        geohash,
        timeout,
        json,
    } = cmd
    {
        return super::relays::broadcast(ctx, id, relays, geohash.as_deref(), *timeout, *json);
    }
    let mut vault = ctx.unlock()?;
    match cmd {
        IntentCommand::Create {
            category,
            description,
            quantity,
            budget_max,
            currency,
            location,
            needed_by,
            expires,
            terms,
            brands,
        } => {
            let i = vault.intents().create(&IntentInput {
                category: category.clone(),
                description: description.clone(),
                quantity: *quantity,
                budget_max: budget_max
                    .as_deref()
                    .map(intent::parse_amount)
                    .transpose()?,
                currency: currency.clone(),
                location: location.clone(),
                needed_by: *needed_by,
                expires_at: *expires,
                terms: terms.clone(),
                brands: brands.clone(),
            })?;
            if i.brands.is_empty() {
                errln!(
                    "Draft intent made under a fresh identity ({}); send it with `vrm intent send {} --brand BRAND`.",
                    i.did,
                    short(&i.id)
                );
            } else {
                errln!(
                    "Intent made under a fresh identity ({}); send it with `vrm intent send {}`.",
                    i.did,
                    short(&i.id)
                );
            }
            outln!("{}", i.id);
        }
        IntentCommand::List { json } => {
            let list = vault.intents().list()?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                errln!(
                    "No intents yet. Say what you want: vrm intent create --category … --description … --expires 7d --brand …"
                );
            }
            for v in list {
                outln!(
                    "{}  {:<10} {:<16} {} offer(s)  until {}  {}",
                    short(&v.intent.id),
                    v.status.as_str(),
                    v.intent.input.category,
                    v.offers,
                    day(v.intent.input.expires_at),
                    v.intent.input.description
                );
            }
        }
        IntentCommand::Show { id, json } => {
            let i = vault.intents().get(id)?;
            if *json {
                return print_json(&i);
            }
            outln!("Intent {}", i.id);
            outln!("  what:     {} — {}", i.input.category, i.input.description);
            if let (Some(b), Some(c)) = (&i.input.budget_max, &i.input.currency) {
                outln!("  budget:   at most {b} {c}");
            }
            outln!("  until:    {}", day(i.input.expires_at));
            let names: Vec<String> = i
                .brands
                .iter()
                .map(|b| {
                    vault
                        .brand(b)
                        .map(|b| b.name)
                        .unwrap_or_else(|_| short(b).to_string())
                })
                .collect();
            outln!(
                "  for:      {}",
                if names.is_empty() {
                    "no brand yet (a draft)".to_string()
                } else {
                    names.join(", ")
                }
            );
            outln!("  identity: {}", i.did);
            outln!("  reply to: {}", i.reply_to);
            for d in &i.deliveries {
                print_delivery(&mut vault, d)?;
            }
            if let Some(at) = i.withdrawn_at {
                outln!("  withdrawn: {}", day(at));
                for d in &i.withdrawal_deliveries {
                    print_delivery(&mut vault, d)?;
                }
            }
        }
        IntentCommand::Send {
            id,
            brands,
            out,
            no_http,
        } => {
            let intent = if brands.is_empty() {
                vault.intents().get(id)?
            } else {
                vault.intents().add_brands(id, brands)?
            };
            if intent.brands.is_empty() {
                return Err(Failure::Other(format!(
                    "intent {} is a draft addressed to no brand; name at least one: vrm intent send {} --brand BRAND",
                    short(&intent.id),
                    short(&intent.id)
                )));
            }
            if let Some(d) = out {
                out_dir(d)?;
            }
            let round = vault.intents().send(&intent.id, out.as_deref(), !no_http)?;
            report_round(&mut vault, &round)?;
        }
        IntentCommand::Broadcast { .. } => unreachable!("handled above"),
        IntentCommand::Withdraw { id, out, no_http } => {
            if let Some(d) = out {
                out_dir(d)?;
            }
            let round = vault.intents().withdraw(id, out.as_deref(), !no_http)?;
            errln!("Withdrawn.");
            for d in &round {
                print_delivery(&mut vault, d)?;
            }
            super::relays::broadcast_deletion(
                &mut vault,
                id,
                super::relays::DEFAULT_RELAY_TIMEOUT_SECS,
            )?;
            // A brand with no delivery that went through has not heard of it.
            let mut untold: Vec<&str> = round
                .iter()
                .map(|d| d.brand.as_str())
                .filter(|b| {
                    !round
                        .iter()
                        .any(|d| d.brand == *b && d.status == DeliveryStatus::Sent)
                })
                .collect();
            untold.dedup();
            if !untold.is_empty() {
                let short_id = short(&vault.intents().get(id)?.id).to_string();
                return Err(Failure::Other(format!(
                    "{} brand(s) could not be told; the withdrawal stands: write it for them to hand over with `vrm intent withdraw {short_id} --out DIR`",
                    untold.len()
                )));
            }
        }
    }
    Ok(())
}

pub(super) fn print_delivery(vault: &mut vrm_vault::Vault, d: &intent::Delivery) -> CliResult {
    let name = vault.brand(&d.brand).map(|b| b.name).unwrap_or_default();
    match d.status {
        DeliveryStatus::Sent => outln!(
            "  sent    {:<20} {}{}",
            name,
            d.to,
            d.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        DeliveryStatus::Failed => outln!(
            "  failed  {:<20} {} {}",
            name,
            d.to,
            d.reason.as_deref().unwrap_or("")
        ),
    }
    Ok(())
}

pub(super) fn report_round(vault: &mut vrm_vault::Vault, round: &[intent::Delivery]) -> CliResult {
    for d in round {
        print_delivery(vault, d)?;
    }
    if round.iter().any(|d| d.status == DeliveryStatus::Sent) {
        Ok(())
    } else {
        Err(Failure::Other("the intent reached no brand".into()))
    }
}

pub(super) fn offer_files(path: &Path) -> CliResult<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("json" | "age"))
        })
        .collect();
    files.sort();
    Ok(files)
}

pub(super) fn offer_cmd(ctx: &Ctx<'_>, cmd: &OfferCommand) -> CliResult {
    if let OfferCommand::Fetch {
        intent,
        relays,
        timeout,
        json,
    } = cmd
    {
        return super::relays::fetch(ctx, intent.as_deref(), relays, *timeout, *json);
    }
    if let OfferCommand::Resend {
        id,
        relays,
        timeout,
        json,
    } = cmd
    {
        return super::relays::resend_acceptance(ctx, id, relays, *timeout, *json);
    }
    let mut vault = ctx.unlock()?;
    match cmd {
        OfferCommand::Import { path } => {
            let files = offer_files(path)?;
            let mut failed = 0;
            for f in &files {
                match vault.intents().import_offer_file(f) {
                    Ok(v) => {
                        if let Some(why) = v.unverified_reason.as_deref() {
                            errln!(
                                "warning: {}: {why}; kept, shown as UNVERIFIED, and cannot be accepted",
                                f.display()
                            );
                        }
                        outln!("{}", offer_line(&v));
                    }
                    // A file too large stops the import (it is not an offer
                    // refused but a file not read).
                    Err(e @ Error::FileTooLarge { .. }) => return Err(e.into()),
                    Err(e) => {
                        failed += 1;
                        errln!("vrm: {}: {e}", f.display());
                    }
                }
            }
            if failed > 0 {
                return Err(Failure::Other(format!(
                    "{failed} of {} offer file(s) refused",
                    files.len()
                )));
            }
        }
        OfferCommand::List { intent, json } => {
            let list = vault.intents().offers(intent.as_deref())?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                errln!("No offers yet.");
            }
            for v in &list {
                outln!("{}", offer_line(v));
            }
            let currencies: std::collections::BTreeSet<&str> =
                list.iter().map(|v| v.offer.currency.as_str()).collect();
            if currencies.len() > 1 {
                errln!(
                    "Offers in {} currencies ({}): cheapest first within each currency; \
                     prices in different currencies are not compared.",
                    currencies.len(),
                    currencies.into_iter().collect::<Vec<_>>().join(", ")
                );
            }
        }
        OfferCommand::Fetch { .. } | OfferCommand::Resend { .. } => {
            unreachable!("handled above")
        }
        OfferCommand::Accept { id, out, force } => {
            let market = vault.intents().offer(id)?.market.is_some();
            let Some(out) = out.as_ref().filter(|_| !market) else {
                if !market {
                    return Err(Failure::Other(
                        "say where to write the acceptance for the brand: --out FILE".into(),
                    ));
                }
                // Over relays: the acceptance goes back to the seller.
                let (offer, doc, send) = vault.intents().accept_market_offer(id)?;
                if let Some(out) = out {
                    write_json(out, &doc, *force)?;
                }
                errln!(
                    "Accepted {} {}; sending the signed acceptance to the seller:",
                    offer.price,
                    offer.currency
                );
                let sent = vrm_vault::relay::publish_all(
                    &send.relays,
                    &send.event,
                    super::relays::timeout(super::relays::DEFAULT_RELAY_TIMEOUT_SECS),
                );
                vault
                    .intents()
                    .record_acceptance_sent(&offer.id, sent.clone())?;
                return super::relays::report_acceptance(&offer.id, &sent);
            };
            check_out(out, *force)?;
            let offer = vault.intents().accept_offer_to(id, out_file(out, *force))?;
            errln!(
                "Accepted {} {}; send {} to the brand.",
                offer.price,
                offer.currency,
                out.display()
            );
        }
        OfferCommand::Decline { id, out, force } => {
            if let Some(out) = out {
                check_out(out, *force)?;
            }
            let (_, doc) = vault.intents().decline_offer(id)?;
            if let Some(out) = out {
                write_json(out, &doc, *force)?;
            }
            errln!("Declined.");
        }
    }
    Ok(())
}
