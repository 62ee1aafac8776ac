//! Argument parsing and output for `vrm`. Every command is: read secrets,
//! make the core calls, print. Exit status: 0 ok, 1 error, 2 usage,
//! 3 wrong passphrase (or recovery code, or backup key).
//!
//! Text goes out through [`out`] (escaped); printing macros are denied.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io::IsTerminal;

use secrecy::ExposeSecret;

use vrm_vault::crypto::RecoveryCode;
use vrm_vault::transfer::{self, BackupKey, BackupTo};
use vrm_vault::vault::default_vault_dir;
use vrm_vault::{Error, RecordFilter, SearchItem, Vault};

mod args;
mod audit;
mod brandkit;
mod discover;
mod docs;
mod intents;
mod io;
mod out;
mod records;
mod relays;
mod rights;
mod share;
mod sync;
mod terms;
mod usage;
mod vault;

use args::{Cli, Command};
use io::{
    CliResult, Ctx, Failure, check_out, new_secret, print_json, read_secret, short, warn_damaged,
};
use out::{errln, outln};
use records::{brand, brand_names, record, record_line, search_item_json};
use vault::{init, show_recovery_code, status};

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
                "vrm: {1} (see `{0} --help`)",
                command_path(&args[1.min(args.len())..]),
                usage::line(e)
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
        // A new file only (`--out FILE` without `--force`), and a file
        // appeared there after the first check.
        Error::Io { path, source } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            format!(
                "{} exists; not overwriting it (pass --force to replace it)",
                path.display()
            )
        }
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
    let ctx = Ctx {
        dir,
        passphrase_file: cli.passphrase_file.as_deref(),
        kdf_target_ms: cli.kdf_target_ms,
    };
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
        Some(Command::Rekey {
            new_passphrase_file,
        }) => {
            let mut vault = ctx.unlock()?;
            let new = new_secret(
                new_passphrase_file.as_deref(),
                "VRM_NEW_PASSPHRASE",
                "New passphrase (may be the same): ",
            )?;
            let code = vault.rekey(&new, ctx.kdf()?)?;
            errln!(
                "The vault has a new key; everything was sealed again under it. \
                 Your old recovery code no longer works; this is the new one."
            );
            show_recovery_code(&code);
            Ok(())
        }
        Some(Command::RecoveryCode(cmd)) => vault::recovery_code(&ctx, cmd),
        Some(Command::Integrity(cmd)) => vault::integrity(&ctx, cmd),
        Some(Command::Brand(cmd)) => brand(&ctx, cmd),
        Some(Command::Record(cmd)) => record(&ctx, cmd),
        Some(Command::Terms(cmd)) => terms::terms(&ctx, cmd),
        Some(Command::Share(cmd)) => share::share(&ctx, cmd),
        Some(Command::Exposure { json, command }) => share::exposure(&ctx, command.as_ref(), *json),
        Some(Command::Rights(cmd)) => rights::rights(&ctx, cmd),
        Some(Command::Contact(cmd)) => rights::contact(&ctx, cmd),
        Some(Command::Audit(cmd)) => audit::audit(&ctx, cmd),
        Some(Command::Verify { file, json }) => audit::verify(&ctx, file, *json),
        Some(Command::Intent(cmd)) => intents::intent_cmd(&ctx, cmd),
        Some(Command::Discover(cmd)) => discover::discover(&ctx, cmd),
        Some(Command::Offer(cmd)) => intents::offer_cmd(&ctx, cmd),
        Some(Command::Relay(cmd)) => relays::relay_cmd(&ctx, cmd),
        Some(Command::BrandKit(cmd)) => brandkit::brand_kit(cmd),
        Some(Command::Sync { json, command }) => sync::sync(&ctx, command.as_ref(), *json),
        Some(Command::Device(cmd)) => sync::device(&ctx, cmd, cli.vault.is_some()),
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
            let mut bar: Option<indicatif::ProgressBar> = None;
            let mut progress = |done: usize, total: usize| {
                if total >= 5000 {
                    if tty {
                        // A bar on the terminal (redrawn at most a few times
                        // a second, with the time left); only numbers in it.
                        let bar = bar.get_or_insert_with(|| {
                            indicatif::ProgressBar::with_draw_target(
                                Some(total as u64),
                                indicatif::ProgressDrawTarget::stderr(),
                            )
                            .with_style(
                                indicatif::ProgressStyle::with_template(
                                    "Importing… {bar:30} {pos}/{len} ({eta} left)",
                                )
                                .expect("a valid template"),
                            )
                        });
                        bar.set_position(done as u64);
                        if done == total {
                            // The summary line says it all.
                            bar.finish_and_clear();
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
            let s = transfer::export(&mut vault, io::out_file(out, *force), &to)?;
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
