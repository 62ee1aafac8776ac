//! `vrm init|status`: a new vault and its recovery code; what a vault holds.

use super::io::{CliResult, Ctx, print_json, warn_health};
use super::out::{errln, outln};
use vrm_vault::crypto::RecoveryCode;
use vrm_vault::{Health, Vault};

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
