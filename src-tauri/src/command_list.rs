//! The app's commands, declared once. `build.rs` includes this file to make
//! an allow-/deny- permission per command and the `app-commands` set the
//! capability grants; `lib.rs` registers the same list as the invoke handler
//! and generates the TypeScript wrappers and types from it
//! (`ui/src/bindings.ts`). A new command is listed here and nowhere else.

/// Calls the macro `$then` with the path (`module::command`) of every app
/// command, in the order the bindings list them.
macro_rules! app_commands {
    ($then:ident) => {
        $then![
            commands::app_status,
            commands::vault_create,
            commands::vault_unlock,
            commands::vault_recover,
            commands::vault_lock,
            commands::vault_change_passphrase,
            commands::vault_rekey,
            commands::vault_new_recovery_code,
            commands::vault_info,
            commands::vault_health,
            commands::vault_accept_integrity,
            commands::activity,
            commands::kind_specs,
            commands::brands_list,
            commands::brand_timeline,
            commands::brand_add,
            commands::brand_update,
            commands::brand_delete,
            commands::records_list,
            commands::records_page,
            commands::record_get,
            commands::record_add,
            commands::record_update,
            commands::record_delete,
            commands::search,
            commands::search_page,
            commands::choose_import_file,
            commands::choose_export_file,
            commands::import_file,
            commands::export_backup,
            commands::settings_get,
            commands::settings_set,
            relations::choose_file,
            relations::terms_options,
            relations::terms_preview,
            relations::terms_create,
            relations::terms_versions,
            relations::terms_export,
            relations::terms_import,
            relations::terms_status,
            relations::share_create,
            relations::shares_list,
            relations::share_revoke,
            relations::share_import_ack,
            relations::exposure,
            relations::exposure_revoke_item,
            relations::rights_kinds,
            relations::rights_create,
            relations::rights_list,
            relations::rights_update,
            relations::rights_letter,
            relations::contact_violations,
            relations::audit_log,
            relations::audit_verify,
            intents::intents_list,
            intents::intent_check,
            intents::intent_create,
            intents::intent_send,
            intents::intent_withdraw,
            intents::offers_list,
            intents::offer_import,
            intents::offer_accept,
            intents::offer_decline,
            intents::choose_offer_file,
            intents::choose_acceptance_file,
            intents::choose_intent_folder,
            discover::discover_choose,
            discover::discover_files,
            discover::discover_imap,
            discover::discover_cancel,
            discover::discover_list,
            discover::discover_accept,
            discover::discover_ignore,
            discover::discover_merge,
            discover::brand_unsubscribe,
            discover::brand_unsubscribe_one_click,
            discover::brand_observed,
            syncing::sync_status,
            syncing::sync_now,
            syncing::sync_setup_folder,
            syncing::sync_setup_s3,
            syncing::device_invite,
            syncing::device_join,
            syncing::devices_list,
            syncing::device_revoke,
            syncing::record_history,
            syncing::record_restore,
            syncing::activity_log,
        ]
    };
}

/// The names of the commands (`app_commands!(command_names)`), as Tauri
/// calls them: the function names.
macro_rules! command_names {
    ($($module:ident :: $command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}
