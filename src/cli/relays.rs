//! `vrm relay`, `vrm intent broadcast`, `vrm offer fetch` and the seller's
//! `vrm brand-kit watch|decisions`: intents on the open market, over Nostr
//! relays.

use std::ops::ControlFlow;
use std::time::Duration;

use clap::Subcommand;

use super::io::{CliResult, Ctx, Failure, out_dir, print_json, short};
use super::out::{errln, outln};
use vrm_vault::brandkit::market::{self as seller, Watched};
use vrm_vault::intent::{Broadcast, BroadcastKind, MarketFetch};
use vrm_vault::relay::{Publish, PublishStatus, RelayUrl, publish_all};

/// How long one relay may take to answer (connect, then each message).
pub(super) const DEFAULT_RELAY_TIMEOUT_SECS: u64 = vrm_vault::relay::DEFAULT_TIMEOUT_SECS;

#[derive(Debug, Subcommand)]
pub(super) enum RelayCommand {
    /// Add a relay (wss://…, or ws:// to this machine) where intents are
    /// broadcast and offers fetched
    Add {
        /// The relay's URL
        url: String,
    },
    /// List your relays
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove a relay
    Remove {
        /// The relay's URL
        url: String,
    },
}

pub(super) fn relay_cmd(ctx: &Ctx<'_>, cmd: &RelayCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        RelayCommand::Add { url } => {
            let (entry, added) = vault.relays().add(url)?;
            if added {
                errln!("Added {}.", entry.url);
            } else {
                errln!("{} is one of your relays already.", entry.url);
            }
        }
        RelayCommand::List { json } => {
            let list = vault.relays().list()?;
            if *json {
                return print_json(&list);
            }
            if list.is_empty() {
                errln!("No relays yet. Add one: vrm relay add wss://…");
            }
            for r in list {
                outln!("{}", r.url);
            }
        }
        RelayCommand::Remove { url } => {
            let url = vault.relays().remove(url)?;
            errln!("Removed {url}.");
        }
    }
    Ok(())
}

/// Each relay's outcome, one line each; an error when none took it.
pub(super) fn report_publish(what: &str, outcomes: &[Publish]) -> CliResult {
    for p in outcomes {
        match &p.status {
            PublishStatus::Accepted { message } => outln!(
                "  accepted     {}{}",
                p.relay,
                message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ),
            PublishStatus::Rejected { reason } => {
                outln!("  rejected     {} ({reason})", p.relay)
            }
            PublishStatus::Unreachable { reason } => {
                outln!("  unreachable  {} ({reason})", p.relay)
            }
        }
    }
    if outcomes.iter().any(|p| p.status.is_accepted()) {
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "no relay took the {what}; it can be retried"
        )))
    }
}

/// [`report_publish`] for an acceptance, saying how to send it again.
pub(super) fn report_acceptance(offer_id: &str, outcomes: &[Publish]) -> CliResult {
    report_publish("acceptance", outcomes).map_err(|_| {
        Failure::Other(format!(
            "no relay took the acceptance; the offer stays accepted. \
             Send it again with: vrm offer resend {offer_id}"
        ))
    })
}

/// `vrm offer resend`: the kept acceptance, to the relays the offer came
/// from and the person's (or those named).
pub(super) fn resend_acceptance(
    ctx: &Ctx<'_>,
    id: &str,
    relays: &[String],
    timeout_secs: u64,
    json: bool,
) -> CliResult {
    let mut vault = ctx.unlock()?;
    // The offer's relays and the person's are always tried; these too.
    let more = if relays.is_empty() {
        Vec::new()
    } else {
        vault.relays().resolve(relays)?
    };
    let offer = vault.intents().offer(id)?;
    let sent = vault
        .intents()
        .send_acceptance(&offer.id, &more, timeout(timeout_secs))?;
    if json {
        print_json(&sent)?;
        return if sent.iter().any(|p| p.status.is_accepted()) {
            Ok(())
        } else {
            Err(Failure::Other(format!(
                "no relay took the acceptance; send it again with: vrm offer resend {}",
                offer.id
            )))
        };
    }
    errln!("Sending the signed acceptance to the seller again:");
    report_acceptance(&offer.id, &sent)
}

pub(super) fn timeout(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

pub(super) fn broadcast(
    ctx: &Ctx<'_>,
    id: &str,
    relays: &[String],
    geohash: Option<&str>,
    timeout_secs: u64,
    json: bool,
) -> CliResult {
    let mut vault = ctx.unlock()?;
    let relays = vault.relays().resolve(relays)?;
    let b: Broadcast = vault
        .intents()
        .broadcast(id, geohash, &relays, timeout(timeout_secs))?;
    if json {
        print_json(&b)?;
        return if b.relays.iter().any(|p| p.status.is_accepted()) {
            Ok(())
        } else {
            Err(Failure::Other("no relay took the intent".into()))
        };
    }
    errln!(
        "Intent {} broadcast as event {}:",
        short(id),
        short(&b.event_id)
    );
    report_publish("intent", &b.relays)
}

/// After a withdrawal: the listing's deletion request to the relays it went
/// to and the vault's own.
pub(super) fn broadcast_deletion(
    vault: &mut vrm_vault::Vault,
    id: &str,
    timeout_secs: u64,
) -> CliResult {
    let Some(out) = vault.intents().prepare_deletion_to(id)? else {
        return Ok(());
    };
    let outcomes = publish_all(&out.relays, &out.event, timeout(timeout_secs));
    let b = vault
        .intents()
        .record_broadcast(id, BroadcastKind::Deletion, &out.event, outcomes)?;
    errln!("Deletion request of the listing, with the signed withdrawal:");
    report_publish("deletion request", &b.relays)
}

pub(super) fn fetch(
    ctx: &Ctx<'_>,
    intent: Option<&str>,
    relays: &[String],
    timeout_secs: u64,
    json: bool,
) -> CliResult {
    let mut vault = ctx.unlock()?;
    let relays = vault.relays().resolve(relays)?;
    let got: MarketFetch = vault
        .intents()
        .fetch_offers(intent, &relays, timeout(timeout_secs))?;
    let all_failed = got.failed.len() == relays.len();
    if json {
        print_json(&got)?;
    } else {
        for v in &got.imported {
            outln!("{}", super::io::offer_line(v));
        }
        for f in &got.failed {
            errln!("warning: relay {} could not be read: {}", f.relay, f.reason);
        }
        for r in &got.refused {
            errln!("warning: refused from {}: {}", r.relay, r.reason);
        }
        errln!(
            "{} new offer(s), {} already here, {} refused.",
            got.imported.len(),
            got.duplicates,
            got.refused.len()
        );
    }
    if all_failed {
        return Err(Failure::Other("no relay could be read".into()));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(super) fn watch(
    relays: &[String],
    categories: &[String],
    geohash: Option<&str>,
    out: &std::path::Path,
    once: bool,
    timeout_secs: u64,
    json: bool,
) -> CliResult {
    if relays.is_empty() {
        return Err(Failure::Other(
            "name at least one relay: --relay URL".into(),
        ));
    }
    let relays: Vec<RelayUrl> = relays
        .iter()
        .map(|r| RelayUrl::parse(r))
        .collect::<Result<_, _>>()?;
    out_dir(out)?;
    let filters = seller::watch_filters(categories, geohash)?;
    let mut stored = 0usize;
    let mut on = |w: Watched| {
        if json {
            // One line of JSON per event.
            if let Ok(line) = serde_json::to_string(&w) {
                outln!("{line}");
            }
        } else {
            match &w {
                Watched::Stored { intent } => {
                    outln!(
                        "intent   {}  {:<16} until {}",
                        intent.intent,
                        intent.category,
                        intent.valid_until.format("%Y-%m-%d")
                    )
                }
                Watched::Withdrawn { intent } => outln!("withdrawn {intent}"),
                Watched::Duplicate { intent } => errln!("held already: {intent}"),
                Watched::Refused { relay, reason } => errln!("refused from {relay}: {reason}"),
                Watched::RelayDown { relay, reason } => errln!("relay {relay}: {reason}"),
            }
        }
        if matches!(w, Watched::Stored { .. }) {
            stored += 1;
        }
        ControlFlow::Continue(())
    };
    if once {
        seller::watch_once(out, &relays, &filters, timeout(timeout_secs), &mut on)?;
        errln!("{stored} new intent(s) stored in {}.", out.display());
    } else {
        errln!(
            "Watching {} relay(s) for intents; stored in {}. Ctrl-C to stop.",
            relays.len(),
            out.display()
        );
        // A live subscription with nothing at all for this long (relays
        // send nothing while nothing happens): reconnect.
        seller::watch_live(
            out,
            &relays,
            &filters,
            timeout(timeout_secs.max(300)),
            &mut on,
        )?;
    }
    Ok(())
}
