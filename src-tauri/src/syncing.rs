//! Sync commands: the Sync panel of Settings (status, sync now, a folder
//! or an S3-compatible store to sync through, devices: invite, list,
//! revoke), joining a vault from
//! the first-run screen, a record's history of merged-away values and
//! putting one back, and the activity log of every device.
//!
//! A core call that reaches the store (setup, invite, revoke, a sync) runs
//! on the background sync thread with its own vault handle
//! (`sync_worker.rs`), never while holding the session's mutex. Files come
//! as tokens of a dialog's answer (`files.rs`), never as paths.

use secrecy::SecretString;
use serde::Serialize;
use tauri::State;

use vrm_vault::Record;
use vrm_vault::sync::devices::{
    DEFAULT_INVITATION_MS, DeviceView, HistoryEntry, SyncStatus, join_file,
};
use vrm_vault::sync::log::DeviceLogEntry;
use vrm_vault::sync::revoke::RevokeReport;
use vrm_vault::sync::target::{S3Form, S3Secret, TargetSpec};

use crate::AppState;
use crate::commands::session;
use crate::error::{CommandError, CommandResult};
use crate::files::FileChoice;
use crate::relations::chosen_path;
use crate::sync_worker::SyncOutcome;

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// What the Sync panel shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SyncPanel {
    /// Where sync stands on this device.
    pub status: SyncStatus,
    /// Whether this device syncs somewhere.
    pub set_up: bool,
    /// The last background sync since the vault was unlocked.
    pub last: Option<SyncOutcome>,
}

#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> CommandResult<SyncPanel> {
    let mut session = session(&state)?;
    let mut sync = session.vault()?.sync();
    let status = sync.status()?;
    let set_up = sync.is_set_up()?;
    Ok(SyncPanel {
        status,
        set_up,
        last: state.sync.last(),
    })
}

/// Sync now (on the background thread); its outcome, or `None` when sync
/// is not set up.
#[tauri::command]
#[specta::specta]
pub async fn sync_now(state: State<'_, AppState>) -> CommandResult<Option<SyncOutcome>> {
    state.sync.sync_now().await
}

/// Sync through the folder chosen for `sync-folder` (`folder`: its
/// token), this vault becoming a device named `device_name`.
#[tauri::command]
#[specta::specta]
pub async fn sync_setup_folder(
    state: State<'_, AppState>,
    folder: String,
    device_name: String,
) -> CommandResult<()> {
    let path = chosen_path(&state, &folder, FileChoice::SyncFolder)?;
    state
        .sync
        .run(move |vault| {
            vault
                .sync()
                .setup(TargetSpec::Folder { path }, &device_name)
        })
        .await
}

/// Sync through the S3-compatible store of `form` (as typed; the secret key
/// comes apart, wrapped at once and never in an error or a log), this vault
/// becoming a device named `device_name`. The core checks the form, naming
/// its fields, and reaches the store before anything is kept.
#[tauri::command]
#[specta::specta]
pub async fn sync_setup_s3(
    state: State<'_, AppState>,
    form: S3Form,
    secret_key: String,
    device_name: String,
) -> CommandResult<()> {
    let settings = form.check(S3Secret::from_string(secret_key))?;
    state
        .sync
        .run(move |vault| vault.sync().setup(TargetSpec::S3(settings), &device_name))
        .await
}

/// Invite a new device named `name`: the invitation is written to the file
/// chosen for `invitation-out` (`file`: its token); returns the one-time
/// code, to be shown once (it is never in the file).
#[tauri::command]
#[specta::specta]
pub async fn device_invite(
    state: State<'_, AppState>,
    name: String,
    file: String,
) -> CommandResult<String> {
    let path = chosen_path(&state, &file, FileChoice::InvitationOut)?;
    let code = state
        .sync
        .run(move |vault| {
            vault
                .sync()
                .invite_to(&name, DEFAULT_INVITATION_MS, now_ms(), &path)
        })
        .await?;
    Ok(code.expose_secret().to_string())
}

/// Make this app's vault as a new device of the vault whose invitation was
/// chosen for `invitation-in` (`file`: its token), opened with its
/// one-time `code`, protected by `passphrase`. The vault is then unlocked;
/// returns its recovery code (shown once).
#[tauri::command]
#[specta::specta]
pub async fn device_join(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    file: String,
    code: String,
    passphrase: String,
) -> CommandResult<String> {
    let path = chosen_path(&state, &file, FileChoice::InvitationIn)?;
    let (dir, kdf) = session(&state)?.new_vault_params()?;
    let passphrase = SecretString::from(passphrase);
    // Pulling the vault from the store: not while holding the session.
    let (vault, recovery, _report) = tauri::async_runtime::spawn_blocking(move || {
        join_file(&dir, &passphrase, kdf, &path, &code, now_ms())
    })
    .await
    .map_err(|_| CommandError::new("app.internal", "the join stopped; try again"))??;
    session(&state)?.adopt(vault)?;
    state.sync.start(&app)?;
    Ok(recovery.expose_secret().to_string())
}

/// The vault's devices, this one and those that can be revoked marked.
#[tauri::command]
#[specta::specta]
pub async fn devices_list(state: State<'_, AppState>) -> CommandResult<Vec<DeviceView>> {
    Ok(session(&state)?.vault()?.sync().device_views()?)
}

/// Revoke device `id` (the UI asks first): a new sync key for the devices
/// kept, the store compacted under it.
#[tauri::command]
#[specta::specta]
pub async fn device_revoke(state: State<'_, AppState>, id: String) -> CommandResult<RevokeReport> {
    state
        .sync
        .run(move |vault| vault.sync().revoke(&id, now_ms()))
        .await
}

/// The values merges set aside for record `id`, oldest first.
#[tauri::command]
#[specta::specta]
pub async fn record_history(
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<Vec<HistoryEntry>> {
    Ok(session(&state)?.vault()?.sync().history(&id)?)
}

/// Put value number `version` of record `id`'s history back (an edit,
/// which syncs).
#[tauri::command]
#[specta::specta]
pub async fn record_restore(
    state: State<'_, AppState>,
    id: String,
    version: usize,
) -> CommandResult<Record> {
    Ok(session(&state)?.vault()?.sync().restore(&id, version)?)
}

/// The activity log of every device, oldest first, each entry with its
/// device's name when another device logged it.
#[tauri::command]
#[specta::specta]
pub async fn activity_log(state: State<'_, AppState>) -> CommandResult<Vec<DeviceLogEntry>> {
    Ok(session(&state)?.vault()?.sync().log()?)
}
