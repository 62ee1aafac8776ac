//! The app's commands: argument adaptation and one core call each. They are
//! `async` so that slow work (the passphrase KDF, imports) runs off the UI
//! thread.

use std::sync::MutexGuard;

use secrecy::SecretString;
use serde::Serialize;
use tauri::State;
use tauri::ipc::Channel;
use tauri_plugin_dialog::DialogExt;

use vrm_vault::crypto::RecoveryCode;
use vrm_vault::model::{KindSpec, Page, PageRequest, kind_specs as core_kind_specs};
use vrm_vault::transfer::{self, BackupTo, ExportSummary, ImportSummary};
use vrm_vault::vault::VaultInfo;
use vrm_vault::vault::session::{Session, SessionStatus};
use vrm_vault::vault::settings::{Settings, SettingsForm};
use vrm_vault::{
    Brand, BrandInput, BrandTimeline, Health, NewRecord, Record, RecordFilter, RecordPatch,
    SearchItem,
};

use crate::AppState;
use crate::error::{CommandError, CommandResult};
use crate::files::{Chosen, Purpose, chosen, confirm_recipient, picked_paths};

/// The session, for the length of one command. Takes the state itself, so a
/// command that runs on a thread of its own (`discover::discover_files`)
/// can hold it too.
pub(crate) fn session(state: &AppState) -> CommandResult<MutexGuard<'_, Session>> {
    state.session.lock().map_err(|_| {
        CommandError::new("app.internal", "the app state is unusable; restart the app")
    })
}

fn secret(s: String) -> SecretString {
    SecretString::from(s)
}

#[tauri::command]
#[specta::specta]
pub async fn app_status(state: State<'_, AppState>) -> CommandResult<SessionStatus> {
    // The UI's first call: with VRM_STARTUP_TRACE set, say how long start-up took.
    if state
        .startup_trace
        .swap(false, std::sync::atomic::Ordering::Relaxed)
    {
        eprintln!(
            "startup: ui ready after {} ms",
            state.started.elapsed().as_millis()
        );
    }
    Ok(session(&state)?.status())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_create(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
) -> CommandResult<String> {
    let code = session(&state)?.create(&secret(passphrase))?;
    state.sync.start(&app)?;
    Ok(code.expose_secret().to_string())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_unlock(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    passphrase: String,
) -> CommandResult<()> {
    session(&state)?.unlock(&secret(passphrase))?;
    state.sync.start(&app)
}

#[tauri::command]
#[specta::specta]
pub async fn vault_recover(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    code: String,
    new_passphrase: String,
) -> CommandResult<String> {
    let code = RecoveryCode::parse(&code)?;
    let new_code = session(&state)?.recover(&code, &secret(new_passphrase))?;
    state.sync.start(&app)?;
    Ok(new_code.expose_secret().to_string())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_lock(state: State<'_, AppState>) -> CommandResult<()> {
    // A discovery run holds the session: stop it, so locking does not wait
    // for the run to end.
    state.discover.cancel();
    state.sync.stop();
    session(&state)?.lock();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_change_passphrase(
    state: State<'_, AppState>,
    current: String,
    new_passphrase: String,
) -> CommandResult<()> {
    Ok(session(&state)?.change_passphrase(&secret(current), &secret(new_passphrase))?)
}

/// A new vault key, everything sealed again under it; returns the new
/// recovery code (shown once).
#[tauri::command]
#[specta::specta]
pub async fn vault_rekey(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    current: String,
    new_passphrase: String,
) -> CommandResult<String> {
    // The sync thread's handle holds the old key: it must write nothing
    // once the key changes. It is started again on the new one.
    state.sync.stop_and_wait();
    let rekeyed = session(&state)?.rekey(&secret(current), &secret(new_passphrase));
    let started = state.sync.start(&app);
    let code = rekeyed?;
    started?;
    Ok(code.expose_secret().to_string())
}

/// A new recovery code (the old one stops working; shown once).
#[tauri::command]
#[specta::specta]
pub async fn vault_new_recovery_code(
    state: State<'_, AppState>,
    current: String,
) -> CommandResult<String> {
    let code = session(&state)?.new_recovery_code(&secret(current))?;
    Ok(code.expose_secret().to_string())
}

#[tauri::command]
#[specta::specta]
pub async fn vault_info(state: State<'_, AppState>) -> CommandResult<VaultInfo> {
    Ok(session(&state)?.vault()?.info()?)
}

/// What is wrong with the vault (damaged rows, WAL residue), for the banner.
#[tauri::command]
#[specta::specta]
pub async fn vault_health(state: State<'_, AppState>) -> CommandResult<Health> {
    Ok(session(&state)?.vault()?.health()?)
}

/// Accept the vault as it is now (the banner's button, once the person has
/// read what differs from its manifest): writing works again. Returns the
/// health afterwards.
#[tauri::command]
#[specta::specta]
pub async fn vault_accept_integrity(state: State<'_, AppState>) -> CommandResult<Health> {
    let mut session = session(&state)?;
    let vault = session.vault()?;
    vault.accept_integrity()?;
    Ok(vault.health()?)
}

/// The person typed or clicked: postpone the auto-lock (or learn that it
/// already locked: `vault.locked`). While a discovery run holds the session
/// there is nothing to postpone (the run counts as activity when it ends),
/// and a click must not wait for the run.
#[tauri::command]
#[specta::specta]
pub async fn activity(state: State<'_, AppState>) -> CommandResult<()> {
    match state.session.try_lock() {
        Ok(mut session) => Ok(session.touch()?),
        Err(std::sync::TryLockError::WouldBlock) => Ok(()),
        Err(std::sync::TryLockError::Poisoned(_)) => Err(CommandError::new(
            "app.internal",
            "the app state is unusable; restart the app",
        )),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn kind_specs() -> CommandResult<Vec<KindSpec>> {
    Ok(core_kind_specs())
}

#[tauri::command]
#[specta::specta]
pub async fn brands_list(state: State<'_, AppState>) -> CommandResult<Vec<Brand>> {
    Ok(session(&state)?.vault()?.brands()?)
}

/// A brand and one page of its timeline, newest first, with the count of
/// its records (a brand brought in from a heavy mailbox can have hundreds of
/// thousands: they are never all sent).
#[tauri::command]
#[specta::specta]
pub async fn brand_timeline(
    state: State<'_, AppState>,
    id: String,
    page: PageRequest,
) -> CommandResult<BrandTimeline> {
    Ok(session(&state)?.vault()?.brand_timeline(&id, page)?)
}

#[tauri::command]
#[specta::specta]
pub async fn brand_add(state: State<'_, AppState>, input: BrandInput) -> CommandResult<Brand> {
    Ok(session(&state)?.vault()?.add_brand(&input)?)
}

#[tauri::command]
#[specta::specta]
pub async fn brand_update(
    state: State<'_, AppState>,
    id: String,
    input: BrandInput,
) -> CommandResult<Brand> {
    Ok(session(&state)?.vault()?.update_brand(&id, &input)?)
}

#[tauri::command]
#[specta::specta]
pub async fn brand_delete(state: State<'_, AppState>, id: String) -> CommandResult<usize> {
    Ok(vrm_vault::delete_brand(session(&state)?.vault()?, &id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn records_list(
    state: State<'_, AppState>,
    filter: RecordFilter,
) -> CommandResult<Vec<Record>> {
    Ok(session(&state)?.vault()?.list_records(&filter)?)
}

/// One page of the records matching `filter`, newest first, with how many
/// match in all.
#[tauri::command]
#[specta::specta]
pub async fn records_page(
    state: State<'_, AppState>,
    filter: RecordFilter,
    page: PageRequest,
) -> CommandResult<Page<Record>> {
    Ok(session(&state)?.vault()?.list_records_page(&filter, page)?)
}

#[tauri::command]
#[specta::specta]
pub async fn record_get(state: State<'_, AppState>, id: String) -> CommandResult<Record> {
    Ok(session(&state)?.vault()?.record(&id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn record_add(state: State<'_, AppState>, record: NewRecord) -> CommandResult<Record> {
    Ok(session(&state)?.vault()?.add_record(&record)?)
}

#[tauri::command]
#[specta::specta]
pub async fn record_update(
    state: State<'_, AppState>,
    id: String,
    patch: RecordPatch,
) -> CommandResult<Record> {
    Ok(session(&state)?.vault()?.update_record(&id, &patch)?)
}

#[tauri::command]
#[specta::specta]
pub async fn record_delete(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    Ok(session(&state)?.vault()?.delete_record(&id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    filter: RecordFilter,
) -> CommandResult<Vec<SearchItem>> {
    Ok(session(&state)?.vault()?.search_items(&query, &filter)?)
}

/// One page of the search's items, and how many match in all.
#[tauri::command]
#[specta::specta]
pub async fn search_page(
    state: State<'_, AppState>,
    query: String,
    filter: RecordFilter,
    page: PageRequest,
) -> CommandResult<Page<SearchItem>> {
    Ok(session(&state)?
        .vault()?
        .search_page(&query, &filter, page)?)
}

/// Show a file dialog; its answer, kept under a single-use token for
/// `purpose` (`None` when cancelled). Under test (`VRM_E2E_DIALOG_PATH`)
/// the dialog is not shown and the override path is the answer.
pub(crate) fn ask_path(
    state: &State<'_, AppState>,
    purpose: Purpose,
    show: impl FnOnce() -> Option<tauri_plugin_dialog::FilePath>,
) -> CommandResult<Option<Chosen>> {
    let picked = match &state.dialog_override {
        Some(p) => Ok(vec![p.clone()]),
        None => picked_paths(show().map(|p| vec![p])),
    };
    chosen(state, purpose, picked)
}

/// Ask for a file to import (JSON or CSV). `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_import_file(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<Chosen>> {
    ask_path(&state, Purpose::ImportRecords, || {
        app.dialog()
            .file()
            .set_title("Import records")
            .add_filter("JSON or CSV", &["json", "csv"])
            .blocking_pick_file()
    })
}

/// Ask where to save a backup. `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_export_file(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<Chosen>> {
    ask_path(&state, Purpose::BackupOut, || {
        app.dialog()
            .file()
            .set_title("Save an encrypted backup")
            .set_file_name("vrm-vault-backup.age")
            .add_filter("age file", &["age"])
            .blocking_save_file()
    })
}

/// Import progress, sent as it goes.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportProgress {
    /// Rows written so far.
    pub done: usize,
    /// Rows in all.
    pub total: usize,
}

#[tauri::command]
#[specta::specta]
pub async fn import_file(
    state: State<'_, AppState>,
    file: String,
    on_progress: Channel<ImportProgress>,
) -> CommandResult<ImportSummary> {
    let path = state.choices.take_one(&file, Purpose::ImportRecords)?;
    let mut session = session(&state)?;
    let mut progress = |done, total| {
        let _ = on_progress.send(ImportProgress { done, total });
    };
    Ok(transfer::import_file(
        session.vault()?,
        &path,
        &mut progress,
    )?)
}

/// Export to an age recipient, or to a passphrase when `recipient` is
/// empty, into the file a save dialog answered (`file`, its token). A
/// recipient not used in this run is first confirmed in a native dialog.
#[tauri::command]
#[specta::specta]
pub async fn export_backup(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    file: String,
    recipient: Option<String>,
    passphrase: Option<String>,
) -> CommandResult<ExportSummary> {
    let path = state.choices.take_one(&file, Purpose::BackupOut)?;
    let to = BackupTo::recipient_or_passphrase(recipient, passphrase.map(secret))?;
    let recipients = match &to {
        BackupTo::Recipients(r) => r.clone(),
        _ => Vec::new(),
    };
    for r in &recipients {
        confirm_recipient(&app, &state, r)?;
    }
    let mut session = session(&state)?;
    let summary = transfer::export(session.vault()?, &path, &to)?;
    for r in &recipients {
        state.recipients.remember(r);
    }
    Ok(summary)
}

#[tauri::command]
#[specta::specta]
pub async fn settings_get(state: State<'_, AppState>) -> CommandResult<Settings> {
    Ok(Settings::load(&state.settings_path))
}

/// Save the Settings screen's form, as typed, and apply it; returns the
/// settings saved. When the form does not hold, nothing changes and the
/// error names its field.
#[tauri::command]
#[specta::specta]
pub async fn settings_set(
    state: State<'_, AppState>,
    form: SettingsForm,
) -> CommandResult<Settings> {
    Ok(session(&state)?.save_settings(&form, &state.settings_path)?)
}
