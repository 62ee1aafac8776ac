//! `vrm brand-kit`: the brand's side of the exchange (keys, answers to
//! terms, erasure acknowledgments, the intake, offers).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::Subcommand;
use secrecy::ExposeSecret;

use super::io::{
    CliResult, Failure, check_out, parse_expiry, parse_field, parse_instant, print_json,
    write_json, write_out, write_private,
};
use super::out::{errln, outln};
use vrm_vault::brandkit::{self, BrandKey, Intake};
use vrm_vault::crypto::bundle;
use vrm_vault::intent::{self};
use vrm_vault::relay::RelayUrl;
use vrm_vault::terms::agreement::Decision;
use vrm_vault::{Error, proof};

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
        /// Answer 408 to a request not fully received within this long
        #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
        request_timeout: u64,
    },
    /// Answer an intent with a signed Offer
    Offer(OfferArgs),
    /// Watch Nostr relays for intents; stores each that verifies, as serve does
    Watch {
        /// A relay to watch (repeatable, at least one)
        #[arg(long = "relay", value_name = "URL", required = true)]
        relays: Vec<String>,
        /// Only intents in this category (repeatable); none: every intent
        #[arg(long = "category", value_name = "CATEGORY")]
        categories: Vec<String>,
        /// Only intents near this geohash (as coarse as the intents give it)
        #[arg(long, value_name = "GEOHASH")]
        geohash: Option<String>,
        /// The folder to store intents in (intents/, withdrawals/, market/)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Read what the relays hold now, then stop (else: watch until Ctrl-C)
        #[arg(long)]
        once: bool,
        /// Give each relay this long to answer
        #[arg(long, value_name = "SECONDS", default_value_t = super::relays::DEFAULT_RELAY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
        /// One line of JSON per event
        #[arg(long)]
        json: bool,
    },
    /// Fetch the acceptances and declines of your offers sent back over relays
    Decisions {
        /// The brand's key file
        #[arg(long, value_name = "FILE")]
        identity: PathBuf,
        /// A relay to read (repeatable, at least one)
        #[arg(long = "relay", value_name = "URL", required = true)]
        relays: Vec<String>,
        /// Only those sent after this (7d: a week ago, or a date)
        #[arg(long, value_parser = parse_instant)]
        since: Option<DateTime<Utc>>,
        /// Give each relay this long to answer
        #[arg(long, value_name = "SECONDS", default_value_t = super::relays::DEFAULT_RELAY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
    },
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
            let opened = brandkit::open_bundle(&proof::read_foreign_file(bundle)?, &key, now)?;
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
                &proof::read_foreign_file(terms)?,
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
        BrandKitCommand::Serve {
            addr,
            dir,
            request_timeout,
        } => return serve(addr, dir, *request_timeout),
        BrandKitCommand::Offer(args) => return brand_offer(args),
        BrandKitCommand::Watch {
            relays,
            categories,
            geohash,
            out,
            once,
            timeout,
            json,
        } => {
            return super::relays::watch(
                relays,
                categories,
                geohash.as_deref(),
                out,
                *once,
                *timeout,
                *json,
            );
        }
        BrandKitCommand::Decisions {
            identity,
            relays,
            since,
            timeout,
        } => {
            let key = brand_key(identity)?;
            let relays: Vec<RelayUrl> = relays
                .iter()
                .map(|r| RelayUrl::parse(r))
                .collect::<Result<_, _>>()?;
            let (docs, problems) = brandkit::market::fetch_decisions(
                &key,
                &relays,
                since.unwrap_or(DateTime::UNIX_EPOCH),
                super::relays::timeout(*timeout),
            );
            for (relay, why) in &problems {
                errln!("warning: {relay}: {why}");
            }
            print_json(&docs)?;
        }
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
                &proof::read_foreign_file(revocation)?,
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

#[derive(Debug, clap::Args)]
pub(super) struct OfferArgs {
    /// The IntentRequest file
    pub intent: PathBuf,
    /// The brand's key file
    #[arg(long, value_name = "FILE")]
    pub identity: PathBuf,
    /// The price
    #[arg(long)]
    pub price: String,
    /// The currency (EUR, USD…)
    #[arg(long)]
    pub currency: String,
    /// What you offer
    #[arg(long)]
    pub description: Option<String>,
    /// Until when it stands (default: the intent's end)
    #[arg(long, value_parser = parse_expiry)]
    pub valid_until: Option<DateTime<Utc>>,
    /// Encrypt it to the intent's reply-to recipient (an age file)
    #[arg(long, conflicts_with = "relays")]
    pub encrypt: bool,
    /// The name to sign as (sellerName): shown to the person as claimed, not verified
    #[arg(long)]
    pub name: Option<String>,
    /// Send it over this relay (repeatable), gift wrapped to the intent's relay key
    #[arg(long = "relay", value_name = "URL")]
    pub relays: Vec<String>,
    /// Give each relay this long to answer
    #[arg(long, value_name = "SECONDS", default_value_t = super::relays::DEFAULT_RELAY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub timeout: u64,
    /// Where to write it (needed unless sent over relays)
    #[arg(long, value_name = "FILE", required_unless_present = "relays")]
    pub out: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

pub(super) fn brand_offer(a: &OfferArgs) -> CliResult {
    if let Some(out) = &a.out {
        check_out(out, a.force)?;
    }
    let relays: Vec<RelayUrl> = a
        .relays
        .iter()
        .map(|r| RelayUrl::parse(r))
        .collect::<Result<_, _>>()?;
    let key = brand_key(&a.identity)?;
    let intent_bytes = proof::read_foreign_file(&a.intent)?;
    let (doc, reply_to) = intent::make_offer_as(
        &intent_bytes,
        &key.signing,
        a.name.as_deref(),
        &a.price,
        &a.currency,
        a.description.as_deref(),
        a.valid_until,
        Utc::now(),
    )?;
    if !relays.is_empty() {
        let intent_doc = proof::parse_document(&intent_bytes)?;
        // The listing it answers, when watch noted it beside the intent.
        let listing = a
            .intent
            .parent()
            .and_then(|p| p.parent())
            .zip(
                intent_doc
                    .get("id")
                    .and_then(|v| v.as_str())
                    .and_then(|id| id.strip_prefix("urn:uuid:")),
            )
            .and_then(|(dir, id)| brandkit::market::noted_listing(dir, id))
            .map(|n| n.event_id);
        let sent = brandkit::market::send_offer(
            &key,
            &intent_doc,
            &doc,
            listing.as_deref(),
            &relays,
            super::relays::timeout(a.timeout),
        )?;
        errln!("Offer sent, gift wrapped to the intent's relay key:");
        super::relays::report_publish("offer", &sent)?;
    }
    let Some(out) = &a.out else {
        return Ok(());
    };
    if a.encrypt {
        let to = reply_to.ok_or_else(|| {
            Failure::Other("the intent has no reply-to recipient to encrypt to".into())
        })?;
        let plain = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::Other(e.to_string()))?;
        let sealed = bundle::encrypt(&plain, &[to])?;
        write_out(out, &sealed, a.force)?;
    } else {
        write_json(out, &doc, a.force)?;
    }
    errln!("Wrote the offer to {}.", out.display());
    Ok(())
}

pub(super) fn serve(addr: &str, dir: &Path, request_timeout: u64) -> CliResult {
    let intake = Intake::bind(addr, dir)?
        .with_request_timeout(std::time::Duration::from_secs(request_timeout));
    let local = intake.local_addr();
    if !local.starts_with("127.") && !local.starts_with("[::1]") {
        errln!("warning: listening on {local}, which is not a loopback address");
    }
    // The address alone on stdout, so a script (or test) can read the port.
    outln!("http://{local}/");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    intake.run(|a| errln!("{} {} {}", a.status, a.code, a.message));
    Ok(())
}
