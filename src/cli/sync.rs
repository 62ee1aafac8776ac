//! `vrm sync` and `vrm device`: one vault on several devices, over a
//! folder a file-sync tool replicates.

use std::path::PathBuf;

use clap::Subcommand;

use super::io::{CliResult, Ctx, Failure, print_json, read_secret, write_private};
use super::out::{errln, outln};
use super::vault::show_recovery_code;
use secrecy::ExposeSecret;
use vrm_vault::Vault;
use vrm_vault::crypto::OneTimeCode;
use vrm_vault::sync::devices::{DEFAULT_INVITATION_MS, join};
use vrm_vault::sync::engine::SyncReport;
use vrm_vault::sync::target::{S3Secret, S3Settings, TargetSpec};

#[derive(Debug, Subcommand)]
pub(super) enum SyncCommand {
    /// Sync to a folder (one a file-sync tool such as Syncthing replicates)
    /// or an S3-compatible bucket; this vault becomes a device of its own
    Setup {
        /// The folder (made if it is not there), or s3://BUCKET/PREFIX
        #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
        target: String,
        /// The S3 store's URL (https://…; http:// only to this machine or a
        /// private address)
        #[arg(long, value_name = "URL")]
        endpoint: Option<String>,
        /// The region to sign for (us-east-1 if not given; `garage` for Garage)
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// A file holding the S3 access key id
        #[arg(long, value_name = "FILE")]
        access_key_file: Option<PathBuf>,
        /// A file holding the S3 secret key (else $VRM_S3_SECRET_KEY)
        #[arg(long, value_name = "FILE")]
        secret_key_file: Option<PathBuf>,
        /// What to call this device
        #[arg(long, default_value = "this device")]
        name: String,
    },
    /// Write a snapshot of the vault to the store and remove the objects it
    /// stands for (what a deleted record held leaves the store)
    Compact {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Where sync stands: this device, the store, the last sync, what waits
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum DeviceCommand {
    /// The vault's devices
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Invite a new device: writes an invitation and prints its one-time code
    /// (alone, on stdout); the code is never in the file
    Invite {
        /// Where to write the invitation
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// What to call the new device
        #[arg(long, default_value = "new device")]
        name: String,
        /// How long the invitation works, in hours
        #[arg(long, value_name = "HOURS", default_value_t = 24)]
        hours: u64,
    },
    /// Revoke a device (a lost or sold laptop): its later objects are
    /// refused, a new sync key goes to the devices kept, and the store is
    /// compacted under it
    Revoke {
        /// The device's id (`vrm device list`)
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Make a new vault (--vault DIR) as a device of the vault that invited it
    Join {
        /// The invitation
        file: PathBuf,
        /// Read the one-time code from this file (else $VRM_INVITE_CODE, else a prompt)
        #[arg(long, value_name = "FILE")]
        code_file: Option<PathBuf>,
        /// The sync folder on this machine, if not where the inviting device has it
        #[arg(long, value_name = "DIR")]
        target: Option<PathBuf>,
    },
}

/// An S3 target from the command line's flags; the keys from their files.
fn s3_target(
    target: &str,
    endpoint: Option<&str>,
    region: Option<&str>,
    access_key_file: Option<&std::path::Path>,
    secret_key_file: Option<&std::path::Path>,
) -> CliResult<TargetSpec> {
    let endpoint = endpoint.ok_or_else(|| {
        Failure::Usage("an s3:// target needs --endpoint URL (the store's address)".into())
    })?;
    let access_key_file = access_key_file
        .ok_or_else(|| Failure::Usage("an s3:// target needs --access-key-file FILE".into()))?;
    let access_key = std::fs::read_to_string(access_key_file).map_err(|e| {
        Failure::Core(vrm_vault::Error::Io {
            path: access_key_file.into(),
            source: e,
        })
    })?;
    let secret = read_secret(secret_key_file, "VRM_S3_SECRET_KEY", "S3 secret key: ")?;
    let settings = S3Settings::new(
        target,
        endpoint,
        region,
        &access_key,
        S3Secret::new(secret.expose_secret()),
    )?;
    Ok(TargetSpec::S3(settings))
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

pub(super) fn sync(ctx: &Ctx<'_>, cmd: Option<&SyncCommand>, json: bool) -> CliResult {
    let mut vault = ctx.unlock()?;
    match cmd {
        None => {
            let report = vault.sync().sync(now_ms())?;
            if json {
                print_json(&report)?;
            } else {
                print_report(&report);
            }
            if !report.refused.is_empty() {
                return Err(Failure::Other(format!(
                    "{} object(s) in the store were refused; nothing of them was applied",
                    report.refused.len()
                )));
            }
        }
        Some(SyncCommand::Setup {
            target,
            endpoint,
            region,
            access_key_file,
            secret_key_file,
            name,
        }) => {
            let spec = if target.starts_with("s3://") {
                s3_target(
                    target,
                    endpoint.as_deref(),
                    region.as_deref(),
                    access_key_file.as_deref(),
                    secret_key_file.as_deref(),
                )?
            } else {
                if endpoint.is_some() || access_key_file.is_some() || secret_key_file.is_some() {
                    return Err(Failure::Usage(
                        "--endpoint and the key files are for an s3:// target".into(),
                    ));
                }
                let target = PathBuf::from(target);
                // A folder that is not there yet is made.
                if !target.exists() {
                    std::fs::create_dir_all(&target)
                        .map_err(|e| Failure::Other(format!("{}: {e}", target.display())))?;
                }
                TargetSpec::Folder {
                    path: std::path::absolute(&target)
                        .map_err(|e| Failure::Other(format!("{}: {e}", target.display())))?,
                }
            };
            // Reaches the store before anything is kept (`setup` lists it):
            // a wrong key or a missing bucket is said now, not at the first
            // sync.
            vault.sync().setup(spec.clone(), name)?;
            errln!("This vault syncs to {}.", spec.describe());
            errln!("Run `vrm sync` to push it there; `vrm device invite` adds a device.");
        }
        Some(SyncCommand::Compact { json }) => {
            let report = vault.sync().compact_target(now_ms())?;
            if *json {
                return print_json(&report);
            }
            outln!(
                "Wrote a snapshot of {} row(s) in {} part(s); removed {} object(s) it stands for.",
                report.rows,
                report.parts,
                report.removed
            );
        }
        Some(SyncCommand::Status { json }) => {
            let status = vault.sync().status()?;
            if *json {
                return print_json(&status);
            }
            match &status.device {
                None => outln!("Sync is not set up (`vrm sync setup --target DIR`)."),
                Some(d) => {
                    outln!("This device: {d}");
                    outln!(
                        "Store:       {}",
                        status.target.as_deref().unwrap_or("(none)")
                    );
                    outln!(
                        "Last sync:   {}",
                        status
                            .last_sync_ms
                            .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms as i64))
                            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                            .unwrap_or_else(|| "never".into())
                    );
                    outln!("Waiting:     {} row(s) changed here", status.pending_rows);
                    outln!("Devices:     {}", status.devices.len());
                }
            }
        }
    }
    Ok(())
}

fn print_report(r: &SyncReport) {
    outln!(
        "Pushed {} object(s) ({} row(s)); pulled {} ({} row(s) changed here, {} field(s) merged, {} value(s) kept in history).",
        r.pushed,
        r.rows_sent,
        r.pulled,
        r.rows_changed,
        r.fields_merged,
        r.conflicts_kept
    );
    for d in &r.waiting {
        outln!("Waiting for an object of device {d} that the store does not have yet.");
    }
    for why in &r.refused {
        outln!("Refused: {why}");
    }
    if r.ignored_from_revoked > 0 {
        outln!(
            "Passed over {} object(s) revoked devices wrote after their revocation.",
            r.ignored_from_revoked
        );
    }
}

pub(super) fn device(ctx: &Ctx<'_>, cmd: &DeviceCommand, vault_given: bool) -> CliResult {
    match cmd {
        DeviceCommand::List { json } => {
            let mut vault = ctx.unlock()?;
            let me = vault.sync().device_id()?.map(|d| d.to_string());
            let devices = vault.sync().devices()?;
            if *json {
                return print_json(&devices);
            }
            if devices.is_empty() {
                outln!("No devices: sync is not set up (`vrm sync setup --target DIR`).");
            }
            for d in devices {
                let mut notes = Vec::new();
                if me.as_deref() == Some(d.id.as_str()) {
                    notes.push("this device".to_string());
                }
                if let Some(last) = d.revoked_after {
                    notes.push(format!("revoked after its object {last}"));
                }
                outln!(
                    "{}  {}{}",
                    d.id,
                    vrm_vault::model::text::line(&d.name),
                    if notes.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", notes.join(", "))
                    }
                );
            }
        }
        DeviceCommand::Revoke { id, json } => {
            let mut vault = ctx.unlock()?;
            let report = vault.sync().revoke(id, now_ms())?;
            if *json {
                return print_json(&report);
            }
            outln!(
                "Revoked device {}: its objects after its object {} are refused.",
                report.device,
                report.revoked_after
            );
            outln!(
                "A new sync key (epoch {}) went to {} device(s); a snapshot of {} row(s) under it replaced {} object(s) of the store.",
                report.epoch,
                report.devices_kept,
                report.compact.rows,
                report.compact.removed
            );
            errln!(
                "What the device held before stays on it; nothing written from now on opens there."
            );
        }
        DeviceCommand::Invite { out, name, hours } => {
            super::io::check_out(out, false)?;
            let mut vault = ctx.unlock()?;
            let valid = hours
                .checked_mul(3_600_000)
                .filter(|ms| *ms > 0 && *ms <= 30 * DEFAULT_INVITATION_MS)
                .ok_or_else(|| Failure::Usage("--hours is 1 to 720".into()))?;
            let (bytes, code) = vault.sync().invite(name, valid, now_ms())?;
            write_private(out, &bytes)?;
            errln!(
                "Wrote an invitation for {name:?} to {}. It works once, for {hours} hour(s).",
                out.display()
            );
            errln!("On the new device: vrm device join FILE --vault DIR, and type this code:");
            outln!("{}", code.expose_secret());
        }
        DeviceCommand::Join {
            file,
            code_file,
            target,
        } => {
            if !vault_given {
                return Err(Failure::Usage(
                    "join needs --vault DIR (the folder for this device's vault)".into(),
                ));
            }
            Vault::check_new_location(&ctx.dir)?;
            let bytes = read_bounded(file)?;
            let typed = read_secret(code_file.as_deref(), "VRM_INVITE_CODE", "Invitation code: ")?;
            let code = OneTimeCode::parse(secrecy::ExposeSecret::expose_secret(&typed))?;
            let passphrase = ctx.new_vault_passphrase()?;
            let target = match target {
                Some(t) => Some(TargetSpec::Folder {
                    path: std::path::absolute(t)
                        .map_err(|e| Failure::Other(format!("{}: {e}", t.display())))?,
                }),
                None => None,
            };
            let (_vault, recovery, report) = join(
                &ctx.dir,
                &passphrase,
                ctx.kdf()?,
                &bytes,
                &code,
                target,
                now_ms(),
            )?;
            errln!(
                "Joined: a new vault at {} with {} object(s) pulled from the store.",
                ctx.dir.display(),
                report.pulled
            );
            show_recovery_code(&recovery);
        }
    }
    Ok(())
}

fn read_bounded(path: &std::path::Path) -> CliResult<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(64 * 1024 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
    Ok(bytes)
}
