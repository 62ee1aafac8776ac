//! What every command shares: the context (vault folder, how to get the
//! passphrase), failures, secrets from files, the environment or a prompt,
//! and files written whole or not at all.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use vrm_vault::crypto::KdfParams;
use vrm_vault::vault::DEFAULT_KDF_TARGET;
use vrm_vault::vault::fs::{FileMode, OutFile, write_file};
use vrm_vault::{Error, Vault};

use super::out::{self, errln};

/// A CLI failure: a core error, or a usage problem found after parsing.
pub(super) enum Failure {
    Core(Error),
    Usage(String),
    Other(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

pub(super) type CliResult<T = ()> = Result<T, Failure>;

/// What every command needs from the global options.
pub(super) struct Ctx<'a> {
    pub(super) dir: PathBuf,
    pub(super) passphrase_file: Option<&'a Path>,
    pub(super) kdf_target_ms: Option<u64>,
}

impl Ctx<'_> {
    pub(super) fn passphrase(&self) -> CliResult<SecretString> {
        read_secret(self.passphrase_file, "VRM_PASSPHRASE", "Passphrase: ")
    }

    pub(super) fn new_vault_passphrase(&self) -> CliResult<SecretString> {
        new_secret(
            self.passphrase_file,
            "VRM_PASSPHRASE",
            "New vault passphrase: ",
        )
    }

    pub(super) fn unlock(&self) -> CliResult<Vault> {
        let locked = Vault::open(&self.dir)?;
        let passphrase = self.passphrase()?;
        Ok(locked.unlock(&passphrase)?)
    }

    pub(super) fn kdf(&self) -> CliResult<KdfParams> {
        let target = self
            .kdf_target_ms
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_KDF_TARGET);
        Ok(KdfParams::calibrate(target)?)
    }
}

/// A secret from a file (one trailing newline dropped), an environment
/// variable, or a prompt on the terminal.
pub(super) fn read_secret(file: Option<&Path>, env: &str, prompt: &str) -> CliResult<SecretString> {
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
            "VRM_IMAP_PASSWORD" => "use --password-file FILE or set VRM_IMAP_PASSWORD",
            "VRM_S3_SECRET_KEY" => "use --secret-key-file FILE or set VRM_S3_SECRET_KEY",
            _ => "use --backup-passphrase-file FILE or set VRM_BACKUP_PASSPHRASE",
        }
    )))
}

/// Like [`read_secret`], but a prompt asks twice.
pub(super) fn new_secret(file: Option<&Path>, env: &str, prompt: &str) -> CliResult<SecretString> {
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

pub(super) fn confirm(question: &str) -> CliResult {
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

/// Before anything is changed: refuse a folder, and an existing file unless
/// `force` (`--force`), so a document is never replaced by surprise.
pub(super) fn check_out(path: &Path, force: bool) -> CliResult {
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

/// Write `bytes` to `path` whole or not at all, owner-only (the core's
/// [`write_file`]); without `force`, never over a file, even one that
/// appeared after [`check_out`].
pub(super) fn write_out(path: &Path, bytes: &[u8], force: bool) -> CliResult {
    check_out(path, force)?;
    Ok(write_file(out_file(path, force), FileMode::Private, bytes)?)
}

/// `--out FILE`: replaced only with `--force`.
pub(super) fn out_file(path: &Path, force: bool) -> OutFile<'_> {
    OutFile {
        path,
        replace: force,
    }
}

/// A folder to write into (`--out DIR`): made if it does not exist yet.
pub(super) fn out_dir(path: &Path) -> CliResult {
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

pub(super) fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> CliResult {
    out::print_json(value).map_err(Failure::Other)
}

pub(super) fn short(id: &str) -> &str {
    // By characters: the id of a damaged row may not be ASCII.
    id.char_indices().nth(8).map_or(id, |(i, _)| &id[..i])
}

/// Deleted, but another program reading the vault kept the old pages in
/// the WAL: say so rather than let "deleted for good" be untrue for now.
pub(super) fn warn_wal_residue(vault: &Vault) {
    if vault.wal_residue_pending() {
        errln!(
            "vrm: warning: another program (the app?) is reading this vault, so the deleted data's \
             encrypted pages stay in its write-ahead log until that program closes the vault"
        );
    }
}

/// Terms, shares, requests and other documents that fail to authenticate
/// are left out of their lists; say that they are there.
pub(super) fn warn_damaged_documents(vault: &Vault) -> CliResult {
    let damaged = vault.damaged_documents()?;
    warn_left_out(
        "document(s)",
        damaged
            .iter()
            .map(|(kind, id)| format!("{kind} {}", short(id))),
    );
    Ok(())
}

pub(super) fn warn_damaged(vault: &mut Vault) -> CliResult {
    warn_left_out(
        "brand(s)",
        vault.damaged_brands()?.iter().map(ToString::to_string),
    );
    warn_left_out(
        "record(s)",
        vault.damaged_records()?.iter().map(ToString::to_string),
    );
    Ok(())
}

/// Everything a health report says is wrong, as warnings.
pub(super) fn warn_health(health: &vrm_vault::Health) {
    warn_left_out(
        "brand(s)",
        health.damaged_brands.iter().map(ToString::to_string),
    );
    warn_left_out(
        "record(s)",
        health.damaged_records.iter().map(ToString::to_string),
    );
    warn_left_out(
        "document(s)",
        health
            .damaged_documents
            .iter()
            .map(|d| format!("{} {}", d.kind, short(&d.id))),
    );
    for p in &health.integrity.problems {
        errln!("warning: {p}; the vault will not write until you run `vrm integrity accept`");
    }
    for r in &health.integrity.rows {
        errln!("warning: {r}");
    }
    if health.wal_residue_pending {
        errln!(
            "warning: old pages of something deleted or replaced are still in the vault's WAL, \
             because another program is reading the vault; they leave when it stops"
        );
    }
}

/// "N `what` are damaged … left out: a, b", if there are any.
fn warn_left_out(what: &str, names: impl Iterator<Item = String>) {
    let names: Vec<String> = names.collect();
    if !names.is_empty() {
        errln!(
            "warning: {} {what} are damaged or were tampered with and are left out: {}",
            names.len(),
            names.join(", ")
        );
    }
}

pub(super) fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    vrm_vault::model::parse_date(s)
        .ok_or_else(|| format!("expected {}", vrm_vault::model::date_expected(s)))
}

/// `30d`, `12w`, `1y`, a date (end of that day, UTC) or an RFC 3339 instant.
/// (Not humantime: it reads `1y` as 365.25 days rather than 365, refuses
/// `30D` and takes spans like `1d 2h`; the whole syntax is these few lines.)
pub(super) fn parse_expiry(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let bad =
        || format!("{s:?}: expected 30d, 12w, 1y, a date like 2026-12-31, or an RFC 3339 time");
    // A number and a unit letter. Only digits before the letter: an RFC 3339
    // time in UTC ends in a letter too (`Z`).
    if let Some(unit) = s.chars().last().filter(char::is_ascii_alphabetic)
        && !s[..s.len() - 1].contains(|c: char| !c.is_ascii_digit())
    {
        let n: i64 = s[..s.len() - 1].parse().map_err(|_| bad())?;
        if !(1..=3650).contains(&n) {
            return Err(bad());
        }
        let days = match unit.to_ascii_lowercase() {
            'd' => n,
            'w' => n * 7,
            'y' => n * 365,
            _ => return Err(bad()),
        };
        return Ok(Utc::now() + chrono::Duration::days(days));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = parse_day(s).map_err(|_| bad())?;
    day.and_hms_opt(23, 59, 59)
        .map(|t| t.and_utc())
        .ok_or_else(bad)
}

pub(super) fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    parse_day(s).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

pub(super) fn write_json(path: &Path, value: &serde_json::Value, force: bool) -> CliResult {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| Failure::Other(e.to_string()))?;
    write_out(path, &bytes, force)
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> CliResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| Failure::Other(e.to_string()))
}

pub(super) fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// A new private file (a key): never over a file, even one that appeared
/// meanwhile.
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> CliResult {
    match write_file(OutFile::new_only(path), FileMode::Private, bytes) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => Err(
            Failure::Other(format!("{} exists; not overwriting a key", path.display())),
        ),
        other => Ok(other?),
    }
}

pub(super) fn parse_field(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err("expected NAME=VALUE".into()),
    }
}

/// One offer, one line: id, price, who (or UNVERIFIED and the key),
/// decision, what.
pub(super) fn offer_line(v: &vrm_vault::intent::OfferView) -> String {
    format!(
        "{}  {:>10} {}  {:<20} {:<10} {}{}",
        short(&v.offer.id),
        v.offer.price,
        v.offer.currency,
        v.brand_name
            .clone()
            .unwrap_or_else(|| format!("UNVERIFIED {}", v.offer.signer)),
        format!("{:?}", v.offer.decision).to_lowercase(),
        v.offer.description.clone().unwrap_or_default(),
        if v.expired { "  (expired)" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn expiry_takes_durations_dates_and_instants() {
        let now = Utc::now();
        let d = parse_expiry("30d").unwrap();
        assert!((d - now - Duration::days(30)).num_seconds().abs() < 5);
        assert!(parse_expiry("2w").unwrap() > now + Duration::days(13));
        assert_eq!(
            parse_expiry("2030-01-31").unwrap().to_rfc3339(),
            "2030-01-31T23:59:59+00:00"
        );
        for instant in [
            "2030-01-31T10:00:00Z",
            "2030-01-31T10:00:00z",
            "2030-01-31T11:00:00+01:00",
        ] {
            assert_eq!(
                parse_expiry(instant).unwrap().to_rfc3339(),
                "2030-01-31T10:00:00+00:00",
                "{instant}"
            );
        }
        for bad in [
            "",
            "d",
            "0d",
            "-3d",
            "+3d",
            "3 d",
            "30x",
            "99999d",
            "tomorrow",
            "2030-01-31T10:00:00",
            "2030-01-31Z",
        ] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
    }

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
