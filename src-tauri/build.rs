// Every app command gets an allow-/deny- permission; the capability file
// grants exactly these, so nothing else is reachable from the web view.
fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(vrm_vault_app_commands::NAMES)),
    )
    .expect("tauri build");
}

#[path = "src/command_names.rs"]
mod vrm_vault_app_commands;
