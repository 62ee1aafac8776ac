//! The VRM Vault desktop shell. Each command takes the state and its
//! arguments, makes one call into the core, and maps the error to
//! `{code, message}`. No SQL, no crypto, no business rules here.

#![forbid(unsafe_code)]

#[macro_use]
mod command_list;
mod commands;
mod discover;
mod error;
mod files;
mod idle;
mod intents;
mod lock_signals;
mod relations;
mod relays;
mod sync_worker;
mod syncing;

use std::path::PathBuf;
use std::sync::Mutex;

use vrm_vault::vault::session::Session;
use vrm_vault::vault::settings::Settings;

pub use error::CommandError;

/// What the app holds: the session (the vault, locked or not) and where its
/// settings live.
#[derive(Debug)]
pub struct AppState {
    session: Mutex<Session>,
    /// The cancel flag of a discovery run, outside the session's mutex (a
    /// run holds the session).
    discover: discover::Runs,
    settings_path: PathBuf,
    /// When set (end-to-end tests), file dialogs answer this path instead of
    /// asking the person.
    dialog_override: Option<PathBuf>,
    /// When set (end-to-end tests), the dialogs of `choose_file` answer a
    /// fixed name per kind of file in this folder, or the folder itself, so a
    /// test controls several paths (see `relations::FileChoice`).
    dialog_dir: Option<PathBuf>,
    /// The dialogs' answers, by the single-use tokens the page holds for
    /// them: no command takes a path from the page (`files.rs`).
    choices: files::Choices,
    /// The age recipients the person confirmed a backup to in this run.
    recipients: files::Recipients,
    /// When set (end-to-end tests, `VRM_E2E_CONFIRM` = `yes` or `no`), the
    /// answer to the native confirmation of a new backup recipient.
    confirm_override: Option<bool>,
    /// Sync in the background while the vault is unlocked
    /// (`sync_worker.rs`): a thread with its own vault handle.
    sync: sync_worker::SyncWorker,
    /// When the process started, for VRM_STARTUP_TRACE (start-up figures).
    started: std::time::Instant,
    startup_trace: std::sync::atomic::AtomicBool,
}

/// The app's commands (see `command_list.rs`), by name.
pub const COMMAND_NAMES: &[&str] = app_commands!(command_names);

macro_rules! collect_commands {
    ($($module:ident :: $command:ident),* $(,)?) => {
        tauri_specta::collect_commands![$($module::$command),*]
    };
}

/// The app's commands with their types: the invoke handler, and the
/// TypeScript bindings (`ui/src/bindings.ts`: every type crossing the IPC
/// boundary and a typed wrapper per command; written by the test
/// `typescript_bindings_match_the_rust_types`). A failing command rejects
/// with a [`CommandError`] (the wrappers throw it).
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(app_commands!(collect_commands))
        .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        // Counts and sequence numbers travel as JSON numbers (never past
        // 2^53 here), as before.
        .dangerously_cast_bigints_to_number()
        // One type per Rust type, as the UI has always had: a field serde may
        // leave out (skip_serializing_if) or fill in (default) is optional.
        .disable_serde_phases()
}

/// Build and run the app.
pub fn run() {
    let started = std::time::Instant::now();
    let vault_dir = std::env::var_os("VRM_VAULT")
        .map(PathBuf::from)
        .or_else(vrm_vault::vault::default_vault_dir)
        .expect("no per-user data folder; set VRM_VAULT");
    let settings_path = std::env::var_os("VRM_SETTINGS")
        .map(PathBuf::from)
        .or_else(Settings::default_path)
        .expect("no per-user config folder; set VRM_SETTINGS");
    let settings = Settings::load(&settings_path);
    let mut session = Session::new(&vault_dir, settings.auto_lock_minutes);
    if let Some(ms) = std::env::var("VRM_KDF_TARGET_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        session.set_kdf_target(std::time::Duration::from_millis(ms));
    }
    let state = AppState {
        session: Mutex::new(session),
        discover: discover::Runs::default(),
        settings_path,
        dialog_override: std::env::var_os("VRM_E2E_DIALOG_PATH").map(PathBuf::from),
        dialog_dir: std::env::var_os("VRM_E2E_DIALOG_DIR").map(PathBuf::from),
        choices: files::Choices::default(),
        recipients: files::Recipients::default(),
        confirm_override: std::env::var("VRM_E2E_CONFIRM").ok().map(|v| v == "yes"),
        sync: sync_worker::SyncWorker::default(),
        started,
        startup_trace: std::sync::atomic::AtomicBool::new(
            std::env::var_os("VRM_STARTUP_TRACE").is_some(),
        ),
    };

    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            lean_web_view(app);
            idle::watch(app.handle().clone());
            let handle = app.handle().clone();
            lock_signals::watch(move |reason| idle::lock_now(&handle, reason));
            Ok(())
        })
        .invoke_handler(specta_builder().invoke_handler())
        .run(tauri::generate_context!())
        .expect("error while running the VRM Vault app");
}

/// A page of forms needs no GPU compositing; without it WebKitGTK's web
/// process keeps no GL/DMA-BUF renderer (about 80 MiB less RSS at idle), and
/// keeps small caches, as for a single document.
fn lean_web_view(app: &tauri::App) {
    use tauri::Manager;
    #[cfg(target_os = "linux")]
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.with_webview(|webview| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = webview.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

#[cfg(test)]
mod tests;
