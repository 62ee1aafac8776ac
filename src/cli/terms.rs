//! `vrm terms`: the person's terms of service, issued to brands, and their answers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Subcommand;

use super::io::{
    CliResult, Ctx, check_out, day, out_file, parse_field, print_json, short,
    warn_damaged_documents,
};
use super::out::{errln, out_block, outln};
use vrm_vault::terms::Template;
use vrm_vault::terms::agreement::Decision;
use vrm_vault::{Error, TermsVersionId};

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
                    let base = vault.terms().version(v)?;
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
            let v = vault.terms().create(template, &title, &clauses)?;
            errln!("Made terms version {}.", v.number);
            outln!("{}", v.id);
        }
        TermsCommand::List { json } => {
            let list = vault.terms().versions()?;
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
            let v = vault.terms().version(version)?;
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
            let reference = vault
                .terms()
                .issue_to(version, brand, out_file(out, *force))?;
            errln!(
                "Wrote the signed terms to {} (id {}, SHA-256 {}).",
                out.display(),
                reference.id,
                reference.digest
            );
        }
        TermsCommand::Import { file } => {
            let a = vault.terms().import_agreement_file(file)?;
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
            let list = vault.terms().status()?;
            if *json {
                return print_json(&list);
            }
            let versions: BTreeMap<TermsVersionId, u32> = vault
                .terms()
                .versions()?
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
