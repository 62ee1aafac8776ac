//! `vrm init|status|recovery-code|integrity`: a new vault and its recovery
//! code; what a vault holds; whether it is whole.

use clap::Subcommand;

use super::io::{CliResult, Ctx, Failure, print_json, warn_health};
use super::out::{errln, outln};
use vrm_vault::crypto::RecoveryCode;
use vrm_vault::{Health, Vault};

#[derive(Debug, Subcommand)]
pub(super) enum RecoveryCodeCommand {
    /// Make a new recovery code and print it once; the old one stops working
    New,
}

#[derive(Debug, Subcommand)]
pub(super) enum IntegrityCommand {
    /// Compare every row with the vault's sealed manifest and name what was
    /// deleted, added or put back behind its back (fails if anything was)
    Check {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Accept the vault as it is now (after restoring an older copy on
    /// purpose, say): its manifest is made again over what it holds, and
    /// writing works again
    Accept,
}

pub(super) fn recovery_code(ctx: &Ctx<'_>, cmd: &RecoveryCodeCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        RecoveryCodeCommand::New => {
            let code = vault.new_recovery_code()?;
            errln!("Your old recovery code no longer works; this is the new one.");
            show_recovery_code(&code);
        }
    }
    Ok(())
}

pub(super) fn integrity(ctx: &Ctx<'_>, cmd: &IntegrityCommand) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        IntegrityCommand::Check { json } => {
            let report = vault.integrity()?;
            if *json {
                print_json(&report)?;
            } else if report.is_intact() {
                outln!("The vault is intact: every row is the one its sealed manifest lists.");
            } else {
                for p in &report.problems {
                    outln!("{p}");
                }
                for r in &report.rows {
                    outln!("{r}");
                }
            }
            if !report.is_intact() {
                return Err(Failure::Other(format!(
                    "the vault is not as it was left: {} problem(s) with the whole, {} row(s) \
                     differ; `vrm integrity accept` keeps it as it is now",
                    report.problems.len(),
                    report.rows.len()
                )));
            }
        }
        IntegrityCommand::Accept => {
            let before = vault.integrity()?;
            vault.accept_integrity()?;
            errln!(
                "Accepted the vault as it is now ({} problem(s), {} row(s) that differed); \
                 its manifest was made again over what it holds.",
                before.problems.len(),
                before.rows.len()
            );
        }
    }
    Ok(())
}

pub(super) fn show_recovery_code(code: &RecoveryCode) {
    errln!();
    errln!("Recovery code (shown only now; write it down and keep it somewhere safe):");
    outln!("{}", code.expose_secret());
    errln!();
    errln!("With it you can set a new passphrase if you forget yours: `vrm recover`.");
}

pub(super) fn init(ctx: &Ctx<'_>) -> CliResult {
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

pub(super) fn status(ctx: &Ctx<'_>, json: bool) -> CliResult {
    let mut vault = ctx.unlock()?;
    let info = vault.info()?;
    let health = vault.health()?;
    if json {
        return print_json(&Status { info, health });
    }
    warn_health(&health);
    outln!("vault:    {}", info.dir.display());
    outln!("created:  {}", info.created_at.format("%Y-%m-%d %H:%M UTC"));
    outln!("brands:   {}", info.brands);
    outln!("records:  {}", info.records);
    outln!(
        "kdf:      Argon2id, {} MiB, {} passes",
        info.kdf_m_kib / 1024,
        info.kdf_t
    );
    if health.is_healthy() {
        outln!("health:   no damage found");
    } else {
        let mut parts = Vec::new();
        for (n, what) in [
            (health.damaged_brands.len(), "brand(s)"),
            (health.damaged_records.len(), "record(s)"),
            (health.damaged_documents.len(), "document(s)"),
        ] {
            if n > 0 {
                parts.push(format!("{n} damaged {what}"));
            }
        }
        if health.wal_residue_pending {
            parts.push("old pages waiting in the WAL".into());
        }
        for p in &health.integrity.problems {
            parts.push(p.to_string());
        }
        if !health.integrity.rows.is_empty() {
            parts.push(format!(
                "{} row(s) differ from the manifest (`vrm integrity check`)",
                health.integrity.rows.len()
            ));
        }
        outln!("health:   {}", parts.join(", "));
    }
    Ok(())
}

/// `vrm status --json`: the counts and parameters, and what is wrong.
#[derive(serde::Serialize)]
struct Status {
    #[serde(flatten)]
    info: vrm_vault::vault::VaultInfo,
    health: Health,
}
