//! Intentcasting commands: make and send an intent, list intents, import,
//! compare, accept or decline the brands' offers, withdraw an intent. One
//! core call each; the core reads and writes the files.
//!
//! Sending and withdrawing POST to the brands' inboxes, which can take up to
//! about 30 s per unreachable brand (timeouts and retries): the commands are
//! `async`, deliver on a blocking thread without holding the session (so
//! idle and screen locking still lock), and the UI shows a busy state.

use std::path::PathBuf;

use tauri::State;
use tauri_plugin_dialog::DialogExt;

use vrm_vault::intent::{
    BroadcastKind, Delivery, Intent, IntentForm, IntentInput, IntentView, Offer, OfferView, Outbox,
};

use crate::AppState;
use crate::commands::{ask_path, session};
use crate::error::{CommandError, CommandResult};
use crate::files::{Chosen, Purpose};
use crate::relays::{WithdrawOutcome, publish};

#[tauri::command]
#[specta::specta]
pub async fn intents_list(state: State<'_, AppState>) -> CommandResult<Vec<IntentView>> {
    Ok(session(&state)?.vault()?.intents().list()?)
}

/// The compose form, as typed → the intent to make, or the core's error
/// about the first value that does not hold. Nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn intent_check(form: IntentForm) -> CommandResult<IntentInput> {
    Ok(form.check()?)
}

/// Make an intent (not sent yet; see `intent_send`).
#[tauri::command]
#[specta::specta]
pub async fn intent_create(
    state: State<'_, AppState>,
    input: IntentInput,
) -> CommandResult<Intent> {
    Ok(session(&state)?.vault()?.intents().create(&input)?)
}

/// Send an intent to its brands' inboxes, and also a file per brand into
/// the folder a dialog answered when `out_dir` (its token) is given. Returns this round's deliveries.
#[tauri::command]
#[specta::specta]
pub async fn intent_send(
    state: State<'_, AppState>,
    id: String,
    out_dir: Option<String>,
) -> CommandResult<Vec<Delivery>> {
    let out = out_folder(&state, out_dir)?;
    let outbox = session(&state)?.vault()?.intents().prepare_send(&id)?;
    deliver_and_record(&state, outbox, out).await
}

/// Withdraw an intent: a signed withdrawal to the brands it reached and,
/// when it was broadcast, the deletion request of its listing to the relays
/// (`relays::publish`, without the session).
#[tauri::command]
#[specta::specta]
pub async fn intent_withdraw(
    state: State<'_, AppState>,
    id: String,
    out_dir: Option<String>,
) -> CommandResult<WithdrawOutcome> {
    let out = out_folder(&state, out_dir)?;
    let outbox = session(&state)?
        .vault()?
        .intents()
        .prepare_withdrawal(&id)?;
    let deliveries = deliver_and_record(&state, outbox, out).await?;
    let unlist = session(&state)?
        .vault()?
        .intents()
        .prepare_deletion_to(&id)?;
    let deletion = match unlist {
        None => None,
        Some(out) => {
            let (out, outcomes) = publish(out).await?;
            Some(session(&state)?.vault()?.intents().record_broadcast(
                &id,
                BroadcastKind::Deletion,
                &out.event,
                outcomes,
            )?)
        }
    };
    Ok(WithdrawOutcome {
        deliveries,
        deletion,
    })
}

/// The folder a dialog answered for the files to hand over, from its token.
fn out_folder(state: &AppState, token: Option<String>) -> CommandResult<Option<PathBuf>> {
    Ok(token
        .map(|t| state.choices.take_one(&t, Purpose::IntentFolder))
        .transpose()?)
}

/// Deliver without holding the session (HTTP can take a while per brand,
/// and locking must not wait for it), then record the round.
async fn deliver_and_record(
    state: &State<'_, AppState>,
    outbox: Outbox,
    out: Option<PathBuf>,
) -> CommandResult<Vec<Delivery>> {
    let (outbox, round) = tauri::async_runtime::spawn_blocking(move || {
        let round = outbox.deliver(out.as_deref(), true);
        (outbox, round)
    })
    .await
    .map_err(|_| CommandError::new("app.internal", "the delivery stopped unexpectedly"))?;
    Ok(session(state)?
        .vault()?
        .intents()
        .record_deliveries(&outbox, round?)?)
}

/// Offers, of one intent or all, cheapest first within a currency.
#[tauri::command]
#[specta::specta]
pub async fn offers_list(
    state: State<'_, AppState>,
    intent: Option<String>,
) -> CommandResult<Vec<OfferView>> {
    Ok(session(&state)?
        .vault()?
        .intents()
        .offers(intent.as_deref())?)
}

/// Import an offer file (a signed Offer, plain JSON or an age file).
#[tauri::command]
#[specta::specta]
pub async fn offer_import(state: State<'_, AppState>, file: String) -> CommandResult<OfferView> {
    let path = state.choices.take_one(&file, Purpose::OfferIn)?;
    Ok(session(&state)?
        .vault()?
        .intents()
        .import_offer_file(&path)?)
}

/// Accept an offer and write the signed acceptance (JSON) for the brand to
/// the file a save dialog answered (`file`, its token).
#[tauri::command]
#[specta::specta]
pub async fn offer_accept(
    state: State<'_, AppState>,
    id: String,
    file: String,
) -> CommandResult<Offer> {
    let path = state.choices.take_one(&file, Purpose::AcceptanceOut)?;
    Ok(session(&state)?
        .vault()?
        .intents()
        .accept_offer_to(&id, &path)?)
}

/// Decline an offer.
#[tauri::command]
#[specta::specta]
pub async fn offer_decline(state: State<'_, AppState>, id: String) -> CommandResult<Offer> {
    Ok(session(&state)?.vault()?.intents().decline_offer(&id)?.0)
}

/// Ask for an offer file to import. `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_offer_file(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<Chosen>> {
    ask_path(&state, Purpose::OfferIn, || {
        app.dialog()
            .file()
            .set_title("Import a brand's offer")
            .add_filter("Offer (JSON or age file)", &["json", "age"])
            .blocking_pick_file()
    })
}

/// Ask where to save a signed acceptance. `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_acceptance_file(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<Chosen>> {
    ask_path(&state, Purpose::AcceptanceOut, || {
        app.dialog()
            .file()
            .set_title("Save the signed acceptance for the brand")
            .set_file_name("offer-acceptance.json")
            .add_filter("JSON", &["json"])
            .blocking_save_file()
    })
}

/// Ask for a folder to also write the intent (or withdrawal) files into, one
/// per brand, to hand over. `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_intent_folder(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> CommandResult<Option<Chosen>> {
    ask_path(&state, Purpose::IntentFolder, || {
        app.dialog()
            .file()
            .set_title("Choose a folder for the files to hand over")
            .blocking_pick_folder()
    })
}
