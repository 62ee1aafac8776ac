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
    #[arg(long)]
    pub encrypt: bool,
    /// Where to write it
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

pub(super) fn brand_offer(a: &OfferArgs) -> CliResult {
    check_out(&a.out, a.force)?;
    let key = brand_key(&a.identity)?;
    let (doc, reply_to) = intent::make_offer(
        &proof::read_foreign_file(&a.intent)?,
        &key.signing,
        &a.price,
        &a.currency,
        a.description.as_deref(),
        a.valid_until,
        Utc::now(),
    )?;
    if a.encrypt {
        let to = reply_to.ok_or_else(|| {
            Failure::Other("the intent has no reply-to recipient to encrypt to".into())
        })?;
        let plain = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::Other(e.to_string()))?;
        let sealed = bundle::encrypt(&plain, &[to])?;
        write_out(&a.out, &sealed, a.force)?;
    } else {
        write_json(&a.out, &doc, a.force)?;
    }
    errln!("Wrote the offer to {}.", a.out.display());
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
