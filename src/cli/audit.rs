//! `vrm audit|verify`: the activity log; any signed document checked.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::Utc;
use clap::Subcommand;

use super::io::{CliResult, Ctx, Failure, print_json};
use super::out::outln;
use vrm_vault::{BrandId, Error, Signer, Vault, proof};

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// The activity log, oldest first (every device's, when the vault syncs)
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Check that no entry was altered, removed or reordered
    Verify,
}

pub(super) fn audit(ctx: &Ctx<'_>, cmd: &AuditCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        AuditCommand::List { json } => {
            // Every device's entries when the vault syncs (`sync::log`).
            let entries = vault.sync().log()?;
            if *json {
                return print_json(&entries);
            }
            let names: BTreeMap<BrandId, String> = vault
                .brands()?
                .into_iter()
                .map(|b| (b.id, b.name))
                .collect();
            let several = entries.iter().any(|e| e.device.is_some());
            for logged in entries {
                let e = &logged.entry;
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
                let device = if several {
                    format!(
                        "{:<16} ",
                        vrm_vault::model::text::line(
                            logged.device_name.as_deref().unwrap_or("this device")
                        )
                    )
                } else {
                    String::new()
                };
                outln!(
                    "{:>5}  {}  {device}{:<21} {:<20} {}",
                    e.seq,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.action.as_str(),
                    brand,
                    e.summary
                );
            }
        }
        AuditCommand::Verify => {
            let report = vault.audit().verify()?;
            outln!(
                "The activity log is intact: {} entries, head {}.",
                report.entries,
                report.head
            );
        }
    }
    Ok(())
}

pub(super) fn verify(ctx: &Ctx<'_>, file: &Path, json: bool) -> CliResult {
    let bytes = proof::read_foreign_file(file)?;
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
    // Who the signer is to the person, when their vault can be opened to
    // compare with; the document's validity does not depend on it.
    let compared: Result<Signer, String> = if !Vault::exists(&ctx.dir) {
        Err("there is no vault here to compare with".into())
    } else {
        match ctx.unlock() {
            Ok(mut vault) => Ok(vrm_vault::signer_of(&mut vault, &vc.signer)?),
            Err(Failure::Core(e)) => Err(format!("the vault could not be opened to compare: {e}")),
            Err(Failure::Usage(why) | Failure::Other(why)) => {
                Err(format!("the vault could not be opened to compare: {why}"))
            }
        }
    };
    if json {
        #[derive(serde::Serialize)]
        struct Verified<'a> {
            #[serde(flatten)]
            vc: &'a vrm_vault::proof::VerifiedCredential,
            /// `null` when the vault could not be compared with.
            signer_is: Option<&'a Signer>,
        }
        return print_json(&Verified {
            vc: &vc,
            signer_is: compared.as_ref().ok(),
        });
    }
    outln!("valid {} signed by {}", vc.kind, vc.signer);
    outln!(
        "  signer:      {}",
        match &compared {
            Ok(Signer::Brand { name, .. }) => format!("{name} (a brand in your vault)"),
            Ok(Signer::You { name, .. }) => format!("you (your key for {name})"),
            Ok(Signer::YourIntent { intent }) => {
                format!(
                    "you (the key of your intent {})",
                    &intent[..intent.len().min(8)]
                )
            }
            Ok(_) => "an unknown key (not a brand in your vault, not yours)".to_string(),
            Err(why) => format!("not known ({why})"),
        }
    );
    outln!("  id:          {}", vc.id);
    outln!("  valid from:  {}", vc.valid_from.to_rfc3339());
    if let Some(u) = vc.valid_until {
        outln!("  valid until: {}", u.to_rfc3339());
    }
    Ok(())
}
