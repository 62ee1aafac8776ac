//! Argument parsing and output for `vrm`. Every command is: read secrets,
//! make the core calls, print. Exit status: 0 ok, 1 error, 2 usage,
//! 3 wrong passphrase (or recovery code, or backup key).
//!
//! Text goes out through [`out`] (escaped); printing macros are denied.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use zeroize::Zeroizing;

use vrm_vault::crypto::{KdfParams, RecoveryCode};
use vrm_vault::transfer::{self, BackupKey, BackupTo};
use vrm_vault::vault::{DEFAULT_KDF_TARGET, default_vault_dir};
use vrm_vault::{
    BrandInput, Error, NewRecord, Record, RecordFilter, RecordKind, RecordPatch, SearchItem, Vault,
};

mod docs;
mod intents;
mod out;
mod relations;

use out::{errln, outln};

use intents::{IntentCommand, OfferCommand};

use relations::{
    AuditCommand, BrandKitCommand, ContactCommand, ExposureCommand, RightsCommand, ShareCommand,
    TermsCommand,
};

/// Your own encrypted vault of relationship data with companies.
#[derive(Debug, Parser)]
#[command(name = "vrm", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    /// Vault folder [default: the per-user data folder, e.g. ~/.local/share/vrm-vault]
    #[arg(long, global = true, env = "VRM_VAULT", value_name = "DIR")]
    vault: Option<PathBuf>,

    /// Read the vault passphrase from this file (else $VRM_PASSPHRASE, else a prompt)
    #[arg(long, global = true, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,

    /// When setting a passphrase: aim for the key derivation to take this long
    /// (never below 64 MiB and 3 passes of Argon2id)
    #[arg(
        long,
        global = true,
        env = "VRM_KDF_TARGET_MS",
        value_name = "MS",
        hide_short_help = true
    )]
    kdf_target_ms: Option<u64>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new vault and print its recovery code (once)
    Init,
    /// Show the vault's location and contents at a glance
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Change the passphrase (re-wraps the vault key; data is not re-encrypted)
    Passwd {
        /// Read the new passphrase from this file (else $VRM_NEW_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Set a new passphrase using the recovery code; prints a new recovery code
    Recover {
        /// Read the recovery code from this file (else $VRM_RECOVERY_CODE, else a prompt)
        #[arg(long, value_name = "FILE")]
        recovery_code_file: Option<PathBuf>,
        /// Read the new passphrase from this file (else $VRM_NEW_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Brands: the companies you deal with
    #[command(subcommand)]
    Brand(BrandCommand),
    /// Records: profile facts, accounts, purchases, interactions…
    #[command(subcommand)]
    Record(RecordCommand),
    /// Find brands and records: every word must match (case-insensitive)
    Search {
        /// Words to look for
        #[arg(required = true)]
        query: Vec<String>,
        /// Only this brand's records
        #[arg(long)]
        brand: Option<String>,
        /// Only records of this kind
        #[arg(long)]
        kind: Option<RecordKind>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Import records from a JSON export or a CSV file (all or nothing)
    Import {
        /// The file (.json or .csv)
        file: PathBuf,
    },
    /// Write the whole vault to an age-encrypted backup
    Export {
        /// Where to write it
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Encrypt to this age recipient (repeatable)
        #[arg(long, value_name = "AGE1…", required_unless_present = "passphrase")]
        recipient: Vec<String>,
        /// Encrypt with a passphrase instead (from --backup-passphrase-file,
        /// $VRM_BACKUP_PASSPHRASE or a prompt)
        #[arg(long, conflicts_with = "recipient")]
        passphrase: bool,
        /// Read the backup passphrase from this file
        #[arg(long, value_name = "FILE")]
        backup_passphrase_file: Option<PathBuf>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Your terms of service for brands: versions, signed copies, brands' answers
    #[command(subcommand)]
    Terms(TermsCommand),
    /// Share records with a brand, revoke, import erasure acknowledgments
    #[command(subcommand)]
    Share(ShareCommand),
    /// Who holds what you shared (data item × brand)
    Exposure {
        /// Print JSON
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<ExposureCommand>,
    },
    /// GDPR and CCPA data-rights requests, with their deadlines
    #[command(subcommand)]
    Rights(RightsCommand),
    /// Contacts from brands, and the contact rules they broke
    #[command(subcommand)]
    Contact(ContactCommand),
    /// The activity log: list it, check it
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Intentcasting: say what you want, signed, to the brands you choose
    #[command(subcommand)]
    Intent(IntentCommand),
    /// Offers brands made in answer to your intents
    #[command(subcommand)]
    Offer(OfferCommand),
    /// Verify any signed document (W3C VC, eddsa-jcs-2022) and say who signed it
    Verify {
        /// The document (JSON)
        file: PathBuf,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// The brand's side: keys, open bundles, answer terms, acknowledge erasure
    #[command(subcommand, name = "brand-kit")]
    BrandKit(BrandKitCommand),
    /// Rebuild a vault from a backup into a new folder (--vault NEWDIR)
    Restore {
        /// The backup file
        file: PathBuf,
        /// Open it with this age identity file (else it is passphrase-protected)
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
        /// Read the backup passphrase from this file (else $VRM_BACKUP_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// Write the man pages and shell completions into DIR (for packagers)
    #[command(name = "generate-docs", hide = true)]
    GenerateDocs {
        /// The folder; gets usr/share/man/man1/… and usr/share/*completion*/…
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
struct BrandFields {
    /// Web domain, e.g. example.com
    #[arg(long)]
    domain: Option<String>,
    /// How to reach them
    #[arg(long)]
    contact: Option<String>,
    /// Your notes
    #[arg(long)]
    notes: Option<String>,
    /// Their age recipient (age1…), for encrypted shares
    #[arg(long)]
    age_recipient: Option<String>,
    /// Their did:key, to verify what they sign
    #[arg(long)]
    did: Option<String>,
    /// Their inbox URL
    #[arg(long)]
    inbox: Option<String>,
}

impl BrandFields {
    fn into_input(self, name: Option<String>) -> BrandInput {
        BrandInput {
            name,
            domain: self.domain,
            contact: self.contact,
            notes: self.notes,
            age_recipient: self.age_recipient,
            did: self.did,
            inbox: self.inbox,
        }
    }
}

#[derive(Debug, Subcommand)]
enum BrandCommand {
    /// Add a brand; prints its id
    ///
    /// Limits: the name at most 200 characters (no control characters); the
    /// contact and the notes at most 64 KiB each.
    Add {
        /// The brand's name (at most 200 characters)
        name: String,
        #[command(flatten)]
        fields: BrandFields,
    },
    /// List brands
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show a brand and its timeline of records
    Show {
        /// Id, id prefix or name
        brand: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Change a brand (an empty value clears it)
    Edit {
        /// Id, id prefix or name
        brand: String,
        /// New name (at most 200 characters)
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: BrandFields,
    },
    /// Delete a brand and all its records, for good
    Delete {
        /// Id, id prefix or name
        brand: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
enum RecordCommand {
    /// Add a record; prints its id
    ///
    /// Limits: at most 200 fields, each value at most 64 KiB (65,536 bytes),
    /// field names at most 64 characters; at most 50 tags of at most 64
    /// characters (no spaces, commas or semicolons).
    Add {
        /// profile, account, purchase, warranty, subscription, preference, note or interaction
        #[arg(long)]
        kind: RecordKind,
        /// The brand it belongs to (id, id prefix or name)
        #[arg(long)]
        brand: Option<String>,
        /// A field, name=value (repeatable; a value is at most 64 KiB, a record has at most 200 fields)
        #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// A tag (repeatable; at most 50 per record, each at most 64 characters)
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// List records, newest first
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one record
    Show {
        /// Id or unique id prefix
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Change a record
    ///
    /// The same limits as `record add`: at most 200 fields of at most 64 KiB
    /// each, at most 50 tags of at most 64 characters.
    Edit {
        /// Id or unique id prefix
        id: String,
        /// New kind
        #[arg(long)]
        kind: Option<RecordKind>,
        /// Move it to this brand
        #[arg(long, conflicts_with = "no_brand")]
        brand: Option<String>,
        /// Detach it from its brand
        #[arg(long)]
        no_brand: bool,
        /// Set a field, name=value (repeatable; a value is at most 64 KiB, a record has at most 200 fields)
        #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// Remove a field (repeatable)
        #[arg(long = "remove-field", value_name = "NAME")]
        remove_fields: Vec<String>,
        /// Add a tag (repeatable; at most 50 per record, each at most 64 characters)
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Remove a tag (repeatable)
        #[arg(long = "untag", value_name = "TAG")]
        untags: Vec<String>,
    },
    /// Delete records for good
    Delete {
        /// Ids or unique id prefixes
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// Only this brand (id, id prefix or name)
    #[arg(long)]
    brand: Option<String>,
    /// Only this kind
    #[arg(long)]
    kind: Option<RecordKind>,
    /// Only records with this tag (repeatable: all must match)
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Only records dated on or after this day (YYYY-MM-DD)
    #[arg(long, value_parser = parse_day)]
    since: Option<chrono::NaiveDate>,
    /// Only records dated on or before this day (YYYY-MM-DD)
    #[arg(long, value_parser = parse_day)]
    until: Option<chrono::NaiveDate>,
}

impl From<FilterArgs> for RecordFilter {
    fn from(a: FilterArgs) -> Self {
        RecordFilter {
            brand: a.brand,
            kind: a.kind,
            tags: a.tags,
            since: a.since,
            until: a.until,
        }
    }
}

fn parse_field(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err("expected NAME=VALUE".into()),
    }
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    vrm_vault::model::parse_date(s)
        .ok_or_else(|| format!("expected {}", vrm_vault::model::date_expected(s)))
}

/// A CLI failure: a core error, or a usage problem found after parsing.
enum Failure {
    Core(Error),
    Usage(String),
    Other(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

type CliResult<T = ()> = Result<T, Failure>;

/// Run the command line; returns the exit status.
pub fn run() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = command()
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // A bare group (`vrm record`): its help, as a usage error.
            let _ = e.print();
            return 2;
        }
        Err(e) if e.use_stderr() => {
            errln!(
                "vrm: {} (see `{} --help`)",
                usage_error_line(&e),
                command_path(&args[1.min(args.len())..])
            );
            return 2;
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return 0;
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        Err(Failure::Usage(msg)) => {
            errln!("vrm: {msg}");
            2
        }
        Err(Failure::Other(msg)) => {
            errln!("vrm: {msg}");
            1
        }
        Err(Failure::Core(e)) => {
            errln!("vrm: {}", describe(&e));
            if e.is_wrong_secret() { 3 } else { 1 }
        }
    }
}

/// The command line's definition: every group of subcommands (`vrm record`)
/// given alone prints its help rather than a one-line error.
fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let groups: Vec<String> = cmd
        .get_subcommands()
        .filter(|c| c.is_subcommand_required_set())
        .map(|c| c.get_name().to_string())
        .collect();
    for name in groups {
        cmd = cmd.mut_subcommand(name, |c| c.arg_required_else_help(true));
    }
    cmd
}

/// `vrm` and the subcommands named in `args` (after the program name), for
/// pointing a usage error at the right `--help`: `vrm record add`.
fn command_path(args: &[std::ffi::OsString]) -> String {
    let root = command();
    let mut path = vec![root.get_name().to_string()];
    let mut cur = &root;
    let mut args = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if let Some(long) = arg.strip_prefix("--") {
            // An option's separate value is not a subcommand.
            let takes_value = !long.contains('=')
                && [cur, &root]
                    .iter()
                    .flat_map(|c| c.get_arguments())
                    .any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
            if takes_value {
                args.next();
            }
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        match cur.find_subcommand(arg.as_ref()) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                cur = sub;
            }
            None => break,
        }
    }
    path.join(" ")
}

/// clap's usage error (several lines: the error, tips, a usage block) as
/// one line: what was wrong and the tip, without the usage block.
fn usage_error_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let words: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .flat_map(str::split_whitespace)
        .collect();
    let line = words.join(" ");
    line.strip_prefix("error: ").unwrap_or(&line).to_string()
}

/// The error as one line, with a hint where one helps.
fn describe(e: &Error) -> String {
    match e {
        Error::WrongPassphrase => {
            "wrong passphrase; nothing was changed (forgot it? use `vrm recover`)".into()
        }
        Error::WrongRecoveryCode => "wrong recovery code; nothing was changed".into(),
        Error::VaultNotFound(dir) => {
            format!("no vault at {}; create one with `vrm init`", dir.display())
        }
        Error::VaultExists(dir) => format!(
            "a vault already exists at {}; nothing was changed",
            dir.display()
        ),
        Error::Tampered { .. } => format!("{e}; the other records are still readable"),
        other => other.to_string(),
    }
}

fn dispatch(cli: Cli) -> CliResult {
    // Needs no vault, nor even a home folder (a package build may have none).
    if let Some(Command::GenerateDocs { dir }) = &cli.command {
        return docs::generate(dir)
            .map_err(|e| Failure::Other(format!("cannot write to {}: {e}", dir.display())));
    }
    let dir = match &cli.vault {
        Some(d) => d.clone(),
        None => default_vault_dir().ok_or_else(|| {
            Failure::Other("cannot find a per-user data folder; use --vault DIR".into())
        })?,
    };
    let ctx = Ctx { dir, cli: &cli };
    match &cli.command {
        None => {
            if !Vault::exists(&ctx.dir) && std::io::stdin().is_terminal() {
                errln!("No vault at {} yet; let's create one.", ctx.dir.display());
                return init(&ctx);
            }
            status(&ctx, false)
        }
        Some(Command::Init) => init(&ctx),
        Some(Command::Status { json }) => status(&ctx, *json),
        Some(Command::Passwd {
            new_passphrase_file,
        }) => {
            let mut vault = ctx.unlock()?;
            let new = new_secret(
                new_passphrase_file.as_deref(),
                "VRM_NEW_PASSPHRASE",
                "New passphrase: ",
            )?;
            vault.change_passphrase(&new, ctx.kdf()?)?;
            errln!("Passphrase changed.");
            Ok(())
        }
        Some(Command::Recover {
            recovery_code_file,
            new_passphrase_file,
        }) => {
            let locked = Vault::open(&ctx.dir)?;
            let typed = read_secret(
                recovery_code_file.as_deref(),
                "VRM_RECOVERY_CODE",
                "Recovery code: ",
            )?;
            let code = RecoveryCode::parse(typed.expose_secret())?;
            let new = new_secret(
                new_passphrase_file.as_deref(),
                "VRM_NEW_PASSPHRASE",
                "New passphrase: ",
            )?;
            let (_vault, new_code) = locked.recover(&code, &new, ctx.kdf()?)?;
            errln!("Passphrase set. Your old recovery code no longer works; this is the new one.");
            show_recovery_code(&new_code);
            Ok(())
        }
        Some(Command::Brand(cmd)) => brand(&ctx, cmd),
        Some(Command::Record(cmd)) => record(&ctx, cmd),
        Some(Command::Terms(cmd)) => relations::terms(&ctx, cmd),
        Some(Command::Share(cmd)) => relations::share(&ctx, cmd),
        Some(Command::Exposure { json, command }) => {
            relations::exposure(&ctx, command.as_ref(), *json)
        }
        Some(Command::Rights(cmd)) => relations::rights(&ctx, cmd),
        Some(Command::Contact(cmd)) => relations::contact(&ctx, cmd),
        Some(Command::Audit(cmd)) => relations::audit(&ctx, cmd),
        Some(Command::Verify { file, json }) => relations::verify(file, *json),
        Some(Command::Intent(cmd)) => intents::intent_cmd(&ctx, cmd),
        Some(Command::Offer(cmd)) => intents::offer_cmd(&ctx, cmd),
        Some(Command::BrandKit(cmd)) => relations::brand_kit(cmd),
        Some(Command::Search {
            query,
            brand,
            kind,
            json,
        }) => {
            let mut vault = ctx.unlock()?;
            let filter = RecordFilter {
                brand: brand.clone(),
                kind: *kind,
                ..Default::default()
            };
            let items = vault.search_items(&query.join(" "), &filter)?;
            warn_damaged(&mut vault)?;
            if *json {
                let out: Vec<serde_json::Value> = items.iter().map(search_item_json).collect();
                print_json(&out)
            } else {
                let brands = brand_names(&mut vault)?;
                for item in &items {
                    match item {
                        SearchItem::Brand { brand: b } => {
                            outln!("{}  brand        {}", short(&b.id), b.name)
                        }
                        SearchItem::Record { record: r } => outln!("{}", record_line(r, &brands)),
                    }
                }
                if items.is_empty() {
                    errln!("No matches.");
                }
                Ok(())
            }
        }
        Some(Command::Import { file }) => {
            let mut vault = ctx.unlock()?;
            let tty = std::io::stderr().is_terminal();
            let mut progress = |done: usize, total: usize| {
                if total >= 5000 {
                    if tty {
                        out::err_progress(&format!("Importing… {done}/{total}"));
                        if done == total {
                            errln!();
                        }
                    } else {
                        errln!("importing {done}/{total}");
                    }
                }
            };
            let s = transfer::import_file(&mut vault, file, &mut progress)?;
            errln!(
                "Imported {} record(s) and {} new brand(s){}.",
                s.records_added,
                s.brands_added,
                if s.records_skipped > 0 {
                    format!("; skipped {} already in the vault", s.records_skipped)
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Some(Command::Export {
            out,
            recipient,
            passphrase,
            backup_passphrase_file,
            force,
        }) => {
            check_out(out, *force)?;
            let mut vault = ctx.unlock()?;
            let to = if *passphrase {
                BackupTo::Passphrase(new_secret(
                    backup_passphrase_file.as_deref(),
                    "VRM_BACKUP_PASSPHRASE",
                    "Backup passphrase: ",
                )?)
            } else {
                BackupTo::Recipients(recipient.clone())
            };
            let s = transfer::export(&mut vault, out, &to)?;
            if s.damaged_left_out > 0 {
                errln!(
                    "warning: {} damaged record(s) could not be read and were left out",
                    s.damaged_left_out
                );
            }
            errln!(
                "Exported {} brand(s) and {} record(s) to {}.",
                s.brands,
                s.records,
                out.display()
            );
            Ok(())
        }
        Some(Command::Restore {
            file,
            identity,
            backup_passphrase_file,
        }) => {
            if cli.vault.is_none() {
                return Err(Failure::Usage(
                    "restore needs --vault NEWDIR (the folder for the rebuilt vault)".into(),
                ));
            }
            Vault::check_new_location(&ctx.dir)?;
            let key = match identity {
                Some(f) => BackupKey::IdentityFile(f.clone()),
                None => BackupKey::Passphrase(read_secret(
                    backup_passphrase_file.as_deref(),
                    "VRM_BACKUP_PASSPHRASE",
                    "Backup passphrase: ",
                )?),
            };
            // Check the backup opens before asking for a new passphrase.
            transfer::read_backup(file, &key)?;
            let passphrase = ctx.new_vault_passphrase()?;
            let (_vault, code, s) =
                transfer::restore(file, &key, &ctx.dir, &passphrase, ctx.kdf()?)?;
            errln!(
                "Restored {} record(s) and {} brand(s) into {}.",
                s.records_added,
                s.brands_added,
                ctx.dir.display()
            );
            show_recovery_code(&code);
            Ok(())
        }
        Some(Command::GenerateDocs { .. }) => unreachable!("answered above"),
    }
}

struct Ctx<'a> {
    dir: PathBuf,
    cli: &'a Cli,
}

impl Ctx<'_> {
    fn passphrase(&self) -> CliResult<SecretString> {
        read_secret(
            self.cli.passphrase_file.as_deref(),
            "VRM_PASSPHRASE",
            "Passphrase: ",
        )
    }

    fn new_vault_passphrase(&self) -> CliResult<SecretString> {
        new_secret(
            self.cli.passphrase_file.as_deref(),
            "VRM_PASSPHRASE",
            "New vault passphrase: ",
        )
    }

    fn unlock(&self) -> CliResult<Vault> {
        let locked = Vault::open(&self.dir)?;
        let passphrase = self.passphrase()?;
        Ok(locked.unlock(&passphrase)?)
    }

    fn kdf(&self) -> CliResult<KdfParams> {
        let target = self
            .cli
            .kdf_target_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_KDF_TARGET);
        Ok(KdfParams::calibrate(target)?)
    }
}

/// A secret from a file (one trailing newline dropped), an environment
/// variable, or a prompt on the terminal.
fn read_secret(file: Option<&Path>, env: &str, prompt: &str) -> CliResult<SecretString> {
    if let Some(f) = file {
        let text = Zeroizing::new(std::fs::read_to_string(f).map_err(|e| {
            Failure::Core(Error::Io {
                path: f.into(),
                source: e,
            })
        })?);
        let trimmed = text.strip_suffix('\n').unwrap_or(&text);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
        return Ok(SecretString::from(trimmed.to_string()));
    }
    if let Ok(v) = std::env::var(env) {
        return Ok(SecretString::from(v));
    }
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password(prompt)
            .map_err(|e| Failure::Other(format!("cannot read from the terminal: {e}")))?;
        return Ok(SecretString::from(typed));
    }
    Err(Failure::Usage(format!(
        "no secret given: {} (not a terminal, so there is no prompt)",
        match env {
            "VRM_PASSPHRASE" => "use --passphrase-file FILE or set VRM_PASSPHRASE",
            "VRM_NEW_PASSPHRASE" => "use --new-passphrase-file FILE or set VRM_NEW_PASSPHRASE",
            "VRM_RECOVERY_CODE" => "use --recovery-code-file FILE or set VRM_RECOVERY_CODE",
            _ => "use --backup-passphrase-file FILE or set VRM_BACKUP_PASSPHRASE",
        }
    )))
}

/// Like [`read_secret`], but a prompt asks twice.
fn new_secret(file: Option<&Path>, env: &str, prompt: &str) -> CliResult<SecretString> {
    let first = read_secret(file, env, prompt)?;
    if file.is_none() && std::env::var_os(env).is_none() {
        let again = read_secret(None, env, "Again: ")?;
        if first.expose_secret() != again.expose_secret() {
            return Err(Failure::Other(
                "the two passphrases differ; nothing was changed".into(),
            ));
        }
    }
    Ok(first)
}

fn show_recovery_code(code: &RecoveryCode) {
    errln!();
    errln!("Recovery code (shown only now; write it down and keep it somewhere safe):");
    outln!("{}", code.expose_secret());
    errln!();
    errln!("With it you can set a new passphrase if you forget yours: `vrm recover`.");
}

fn init(ctx: &Ctx<'_>) -> CliResult {
    Vault::check_new_location(&ctx.dir)?;
    let passphrase = ctx.new_vault_passphrase()?;
    let kdf = ctx.kdf()?;
    let (vault, code) = Vault::create(&ctx.dir, &passphrase, kdf)?;
    let info = vault.info()?;
    errln!(
        "Created a vault at {} (Argon2id: {} MiB, {} passes).",
        info.dir.display(),
        info.kdf_m_kib / 1024,
        info.kdf_t
    );
    show_recovery_code(&code);
    Ok(())
}

fn status(ctx: &Ctx<'_>, json: bool) -> CliResult {
    let mut vault = ctx.unlock()?;
    let info = vault.info()?;
    warn_damaged(&mut vault)?;
    warn_damaged_documents(&vault)?;
    if json {
        return print_json(&info);
    }
    outln!("vault:    {}", info.dir.display());
    outln!("created:  {}", info.created_at.format("%Y-%m-%d %H:%M UTC"));
    outln!("brands:   {}", info.brands);
    outln!("records:  {}", info.records);
    outln!(
        "kdf:      Argon2id, {} MiB, {} passes",
        info.kdf_m_kib / 1024,
        info.kdf_t
    );
    Ok(())
}

fn brand(ctx: &Ctx<'_>, cmd: &BrandCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        BrandCommand::Add { name, fields } => {
            let input = clone_fields(fields).into_input(Some(name.clone()));
            let b = vault.add_brand(&input)?;
            outln!("{}", b.id);
        }
        BrandCommand::List { json } => {
            let brands = vault.brands()?;
            warn_damaged(&mut vault)?;
            if *json {
                return print_json(&brands);
            }
            if brands.is_empty() {
                errln!("No brands yet. Add one: vrm brand add NAME --domain example.com");
            }
            for b in brands {
                outln!(
                    "{}  {}{}",
                    short(&b.id),
                    b.name,
                    b.domain.map(|d| format!("  ({d})")).unwrap_or_default()
                );
            }
        }
        BrandCommand::Show { brand, json } => {
            let page = vault.brand_page(brand)?;
            if *json {
                let mut v =
                    serde_json::to_value(&page.brand).map_err(|e| Failure::Other(e.to_string()))?;
                v["records"] = serde_json::to_value(&page.records)
                    .map_err(|e| Failure::Other(e.to_string()))?;
                return print_json(&v);
            }
            let (b, records) = (page.brand, page.records);
            outln!("{}", b.name);
            outln!("  id:             {}", b.id);
            for (label, value) in [
                ("domain", &b.domain),
                ("contact", &b.contact),
                ("notes", &b.notes),
                ("age recipient", &b.age_recipient),
                ("did", &b.did),
                ("inbox", &b.inbox),
            ] {
                if let Some(v) = value {
                    outln!("  {:<15} {v}", format!("{label}:"));
                }
            }
            outln!("  added:          {}", b.created_at.format("%Y-%m-%d"));
            outln!();
            if records.is_empty() {
                outln!("No records for {} yet.", b.name);
            } else {
                outln!("Timeline ({} records, newest first):", records.len());
                let names = brand_names(&mut vault)?;
                for r in &records {
                    outln!("  {}", record_line(r, &names));
                }
            }
        }
        BrandCommand::Edit {
            brand,
            name,
            fields,
        } => {
            let input = clone_fields(fields).into_input(name.clone());
            let b = vault.update_brand(brand, &input)?;
            errln!("Updated {}.", b.name);
        }
        BrandCommand::Delete { brand, yes } => {
            let b = vault.brand(brand)?;
            let n = vault
                .list_records(&RecordFilter {
                    brand: Some(b.id.clone()),
                    ..Default::default()
                })?
                .len();
            if !yes {
                confirm(&format!(
                    "Delete {} and its {n} record(s) for good? This cannot be undone. [y/N] ",
                    b.name
                ))?;
            }
            let deleted = vault.delete_brand(&b.id)?;
            errln!("Deleted {} and {deleted} record(s).", b.name);
            warn_wal_residue(&vault);
        }
    }
    Ok(())
}

/// Deleted, but another program reading the vault kept the old pages in
/// the WAL: say so rather than let "deleted for good" be untrue for now.
fn warn_wal_residue(vault: &Vault) {
    if vault.wal_residue_pending() {
        errln!(
            "vrm: warning: another program (the app?) is reading this vault, so the deleted data's \
             encrypted pages stay in its write-ahead log until that program closes the vault"
        );
    }
}

fn clone_fields(f: &BrandFields) -> BrandFields {
    BrandFields {
        domain: f.domain.clone(),
        contact: f.contact.clone(),
        notes: f.notes.clone(),
        age_recipient: f.age_recipient.clone(),
        did: f.did.clone(),
        inbox: f.inbox.clone(),
    }
}

fn confirm(question: &str) -> CliResult {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "refusing to delete without confirmation: pass --yes".into(),
        ));
    }
    out::err_prompt(question);
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::Other(e.to_string()))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Failure::Other("cancelled; nothing was deleted".into()))
    }
}

fn record(ctx: &Ctx<'_>, cmd: &RecordCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        RecordCommand::Add {
            kind,
            brand,
            fields,
            tags,
        } => {
            let new = NewRecord {
                kind: *kind,
                brand: brand.clone(),
                fields: to_map(fields)?,
                tags: tags.clone(),
            };
            let r = vault.add_record(&new)?;
            outln!("{}", r.id);
        }
        RecordCommand::List { filter, json } => {
            let filter = RecordFilter::from(FilterArgs {
                brand: filter.brand.clone(),
                kind: filter.kind,
                tags: filter.tags.clone(),
                since: filter.since,
                until: filter.until,
            });
            let records = vault.list_records(&filter)?;
            warn_damaged(&mut vault)?;
            if *json {
                return print_json(&records);
            }
            if records.is_empty() {
                errln!("No records. Add one: vrm record add --kind note --field text=…");
            }
            let names = brand_names(&mut vault)?;
            for r in &records {
                outln!("{}", record_line(r, &names));
            }
        }
        RecordCommand::Show { id, json } => {
            let r = vault.record(id)?;
            if *json {
                return print_json(&r);
            }
            let names = brand_names(&mut vault)?;
            outln!("{} ({})", r.kind, r.id);
            if let Some(b) = &r.brand {
                outln!(
                    "  brand:    {}",
                    names.get(b).map(String::as_str).unwrap_or(b)
                );
            }
            for (k, v) in &r.fields {
                outln!("  {:<9} {v}", format!("{k}:"));
            }
            if !r.tags.is_empty() {
                outln!("  tags:     {}", r.tags.join(", "));
            }
            outln!("  added:    {}", r.created_at.format("%Y-%m-%d %H:%M UTC"));
            outln!("  changed:  {}", r.updated_at.format("%Y-%m-%d %H:%M UTC"));
        }
        RecordCommand::Edit {
            id,
            kind,
            brand,
            no_brand,
            fields,
            remove_fields,
            tags,
            untags,
        } => {
            let patch = RecordPatch {
                kind: *kind,
                brand: if *no_brand {
                    Some(None)
                } else {
                    brand.clone().map(Some)
                },
                set: to_map(fields)?,
                remove: remove_fields.clone(),
                add_tags: tags.clone(),
                remove_tags: untags.clone(),
            };
            if patch == RecordPatch::default() {
                return Err(Failure::Usage(
                    "nothing to change: give --field, --tag, --kind, --brand…".into(),
                ));
            }
            let r = vault.update_record(id, &patch)?;
            errln!("Updated {}.", short(&r.id));
        }
        RecordCommand::Delete { ids } => {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let deleted = vault.delete_records(&ids)?;
            errln!("Deleted {deleted} record(s).");
            warn_wal_residue(&vault);
        }
    }
    Ok(())
}

fn to_map(fields: &[(String, String)]) -> CliResult<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for (k, v) in fields {
        if map
            .insert(k.trim().to_ascii_lowercase(), v.clone())
            .is_some()
        {
            return Err(Failure::Usage(format!("--field {k} is given twice")));
        }
    }
    Ok(map)
}

/// Terms, shares, requests and other documents that fail to authenticate
/// are left out of their lists; say that they are there.
fn warn_damaged_documents(vault: &Vault) -> CliResult {
    let damaged = vault.damaged_documents()?;
    if !damaged.is_empty() {
        let names: Vec<String> = damaged
            .iter()
            .map(|(kind, id)| format!("{kind} {}", short(id)))
            .collect();
        errln!(
            "warning: {} document(s) are damaged or were tampered with and are left out: {}",
            damaged.len(),
            names.join(", ")
        );
    }
    Ok(())
}

fn warn_damaged(vault: &mut Vault) -> CliResult {
    let brands = vault.damaged_brands()?;
    if !brands.is_empty() {
        errln!(
            "warning: {} brand(s) are damaged or were tampered with and are left out: {}",
            brands.len(),
            brands.join(", ")
        );
    }
    let damaged = vault.damaged_records()?;
    if !damaged.is_empty() {
        errln!(
            "warning: {} record(s) are damaged or were tampered with and are left out: {}",
            damaged.len(),
            damaged.join(", ")
        );
    }
    Ok(())
}

fn brand_names(vault: &mut Vault) -> CliResult<BTreeMap<String, String>> {
    Ok(vault
        .brands()?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect())
}

/// A search hit as JSON: records as they are; brands with `kind: "brand"`,
/// `brand: null` and their details under `fields`, so every item has the
/// same four keys.
fn search_item_json(item: &SearchItem) -> serde_json::Value {
    match item {
        SearchItem::Brand { brand: b } => {
            let mut fields = serde_json::Map::new();
            for (k, v) in [
                ("domain", &b.domain),
                ("contact", &b.contact),
                ("notes", &b.notes),
            ] {
                if let Some(v) = v {
                    fields.insert(k.into(), json!(v));
                }
            }
            json!({"id": b.id, "kind": "brand", "brand": null, "name": b.name, "fields": fields})
        }
        SearchItem::Record { record } => {
            serde_json::to_value(record).unwrap_or(serde_json::Value::Null)
        }
    }
}

fn short(id: &str) -> &str {
    // By characters: the id of a damaged row may not be ASCII.
    id.char_indices().nth(8).map_or(id, |(i, _)| &id[..i])
}

/// One line per record: id, date, kind, brand, and the most telling fields.
fn record_line(r: &Record, brands: &BTreeMap<String, String>) -> String {
    let brand = r
        .brand
        .as_ref()
        .map(|b| {
            brands
                .get(b)
                .cloned()
                .unwrap_or_else(|| short(b).to_string())
        })
        .unwrap_or_else(|| "-".into());
    let summary: Vec<String> = r
        .fields
        .iter()
        .filter(|(k, _)| k.as_str() != "date")
        .map(|(k, v)| {
            let v: String = v.chars().take(60).collect();
            format!("{k}={v}")
        })
        .collect();
    let tags = if r.tags.is_empty() {
        String::new()
    } else {
        format!("  #{}", r.tags.join(" #"))
    };
    format!(
        "{}  {}  {:<12} {:<16} {}{}",
        short(&r.id),
        r.date(),
        r.kind.as_str(),
        brand,
        summary.join("  "),
        tags
    )
}

/// Before anything is changed: refuse a folder, and an existing file unless
/// `force` (`--force`), so a document is never replaced by surprise.
fn check_out(path: &Path, force: bool) -> CliResult {
    if path.is_dir() {
        return Err(Failure::Other(format!(
            "{} is a folder; give a file name",
            path.display()
        )));
    }
    if !force && path.symlink_metadata().is_ok() {
        return Err(Failure::Other(format!(
            "{} exists; not overwriting it (pass --force to replace it)",
            path.display()
        )));
    }
    Ok(())
}

/// Write `bytes` to `path` whole or not at all: into a temporary file beside
/// it, synced, then renamed into place; without `force`, never over a file
/// that appeared meanwhile.
fn write_out(path: &Path, bytes: &[u8], force: bool) -> CliResult {
    use std::io::Write as _;
    check_out(path, force)?;
    let io = |e: std::io::Error| {
        Failure::Core(Error::Io {
            path: path.to_path_buf(),
            source: e,
        })
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".vrm-out-")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    let placed = if force {
        tmp.persist(path)
    } else {
        tmp.persist_noclobber(path)
    };
    match placed {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => check_out(path, false),
        Err(e) => Err(io(e.error)),
    }
}

/// A folder to write into (`--out DIR`): made if it does not exist yet.
fn out_dir(path: &Path) -> CliResult {
    if path.exists() && !path.is_dir() {
        return Err(Failure::Other(format!(
            "{} is not a folder",
            path.display()
        )));
    }
    std::fs::create_dir_all(path).map_err(|e| {
        Failure::Core(Error::Io {
            path: path.to_path_buf(),
            source: e,
        })
    })
}

fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> CliResult {
    out::print_json(value).map_err(Failure::Other)
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn short_ids_are_cut_by_characters_not_bytes() {
        assert_eq!(short("0123456789abcdef"), "01234567");
        assert_eq!(short("abc"), "abc");
        // A damaged row's id read lossily: U+FFFD is three bytes.
        assert_eq!(
            short("\u{fffd}\u{fffd}\u{fffd}abcdefgh"),
            "\u{fffd}\u{fffd}\u{fffd}abcde"
        );
    }
}
