//! `vrm init|status`: a new vault and its recovery code; what a vault holds.

use super::io::{CliResult, Ctx, print_json, warn_damaged, warn_damaged_documents};
use super::out::{errln, outln};
use vrm_vault::Vault;
use vrm_vault::crypto::RecoveryCode;

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
