//! Intents on the open market, over Nostr relays: the person's relays
//! (Settings), broadcasting an intent, fetching the offers that come back,
//! accepting one (the acceptance goes back to the seller, gift wrapped).
//!
//! A relay may be slow or down (each gets `relay::DEFAULT_TIMEOUT_SECS`, all
//! at once), so every command that talks to relays does it in three steps,
//! as `intents::deliver_and_record` does for HTTP: what to send is made
//! under the session, sent on a blocking thread without holding it (so
//! every other screen, idle locking and screen locking go on), and what
//! came back is kept under the session again.

use std::time::Duration;

use serde::Serialize;
use tauri::State;

use vrm_vault::intent::{
    Broadcast, BroadcastKind, Delivery, IntentView, MarketFetch, Offer, OfferView, RelayOutbox,
};
use vrm_vault::relay::{self, Publish, RelayEntry, RelayUrl};

use crate::AppState;
use crate::commands::session;
use crate::error::{CommandError, CommandResult};

const TIMEOUT: Duration = Duration::from_secs(relay::DEFAULT_TIMEOUT_SECS);

/// A relay added, and whether it is new (`false`: it was one already).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RelayAdded {
    /// The relay, as the vault keeps it (its URL normalised).
    pub relay: RelayEntry,
    /// `false` when the vault had it already (nothing changed).
    pub added: bool,
}

/// What fetching offers for the intent shown did, and its offers and
/// status afterwards (read without counting as the person's activity: the
/// page fetches every so often by itself).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LiveOffers {
    /// What the relays gave: offers imported, duplicates, refusals,
    /// relays that could not be read.
    pub fetch: MarketFetch,
    /// The intent's offers now, cheapest first within a currency.
    pub offers: Vec<OfferView>,
    /// The intent now (its status counts the new offers).
    pub intent: Option<IntentView>,
}

/// A market offer accepted, and how each relay took the acceptance sent
/// back to the seller.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct MarketAcceptance {
    /// The offer, accepted (it stays accepted whatever the relays did).
    pub offer: Offer,
    /// Each relay's outcome for the gift-wrapped acceptance.
    pub relays: Vec<Publish>,
}

/// A withdrawal: the deliveries to the brands the intent reached, and the
/// deletion request of its listing when it was broadcast.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct WithdrawOutcome {
    /// This round's deliveries of the signed withdrawal.
    pub deliveries: Vec<Delivery>,
    /// The deletion request published to relays; `null` when the intent
    /// was never broadcast.
    pub deletion: Option<Broadcast>,
}

/// Publish on a blocking thread, without the session.
pub(crate) async fn publish(out: RelayOutbox) -> CommandResult<(RelayOutbox, Vec<Publish>)> {
    tauri::async_runtime::spawn_blocking(move || {
        let outcomes = relay::publish_all(&out.relays, &out.event, TIMEOUT);
        (out, outcomes)
    })
    .await
    .map_err(|_| CommandError::new("app.internal", "publishing stopped unexpectedly"))
}

/// The person's relays, in the order added.
#[tauri::command]
#[specta::specta]
pub async fn relays_list(state: State<'_, AppState>) -> CommandResult<Vec<RelayEntry>> {
    Ok(session(&state)?.vault()?.relays().list()?)
}

/// Add a relay (`wss://…`, or `ws://` to this machine); the core checks the
/// URL (errors name the field `relay`).
#[tauri::command]
#[specta::specta]
pub async fn relay_add(state: State<'_, AppState>, url: String) -> CommandResult<RelayAdded> {
    let (relay, added) = session(&state)?.vault()?.relays().add(&url)?;
    Ok(RelayAdded { relay, added })
}

/// Remove a relay.
#[tauri::command]
#[specta::specta]
pub async fn relay_remove(state: State<'_, AppState>, url: String) -> CommandResult<RelayUrl> {
    Ok(session(&state)?.vault()?.relays().remove(&url)?)
}

/// Broadcast an intent to every relay of the vault's, with a coarse
/// location (`geohash`) if given; a retry with the same location sends the
/// very same event. Returns each relay's outcome (kept with the intent).
#[tauri::command]
#[specta::specta]
pub async fn intent_broadcast(
    state: State<'_, AppState>,
    id: String,
    geohash: Option<String>,
) -> CommandResult<Broadcast> {
    let out = session(&state)?
        .vault()?
        .intents()
        .prepare_broadcast_to(&id, geohash.as_deref())?;
    let (out, outcomes) = publish(out).await?;
    Ok(session(&state)?.vault()?.intents().record_broadcast(
        &id,
        BroadcastKind::Listing,
        &out.event,
        outcomes,
    )?)
}

/// Fetch the offers to a broadcast intent from the vault's relays and
/// import them; `null` when the intent is not live or was never
/// broadcast (nothing to ask). The page calls it by itself every so often,
/// so it does not count as the person's activity: it never keeps the vault
/// from locking (clicks count on their own, see `commands::activity`).
#[tauri::command]
#[specta::specta]
pub async fn offers_fetch(
    state: State<'_, AppState>,
    intent: String,
) -> CommandResult<Option<LiveOffers>> {
    let Some(query) = session(&state)?
        .vault_unattended()?
        .intents()
        .prepare_offer_query(Some(&intent))?
    else {
        return Ok(None);
    };
    let got = tauri::async_runtime::spawn_blocking(move || {
        relay::query_all(&query.relays, &[query.filter], TIMEOUT)
    })
    .await
    .map_err(|_| CommandError::new("app.internal", "fetching stopped unexpectedly"))?;
    let mut session = session(&state)?;
    let mut intents = session.vault_unattended()?.intents();
    let fetch = intents.take_query(got)?;
    let offers = intents.offers(Some(&intent))?;
    let view = intents.list()?.into_iter().find(|v| v.intent.id == intent);
    Ok(Some(LiveOffers {
        fetch,
        offers,
        intent: view,
    }))
}

/// Accept an offer that came over relays: the signed acceptance goes back
/// to the seller, gift wrapped, on the relays the offer came from and the
/// vault's. The offer stays accepted whatever the relays do.
#[tauri::command]
#[specta::specta]
pub async fn offer_accept_market(
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<MarketAcceptance> {
    let (offer, _, out) = session(&state)?
        .vault()?
        .intents()
        .accept_market_offer(&id)?;
    let (_, relays) = publish(out).await?;
    session(&state)?
        .vault()?
        .intents()
        .record_acceptance_sent(&offer.id, relays.clone())?;
    Ok(MarketAcceptance { offer, relays })
}

/// Send an accepted market offer's signed acceptance again (when no relay
/// took it): the same document, gift wrapped anew, on the relays the offer
/// came from and the vault's.
#[tauri::command]
#[specta::specta]
pub async fn offer_resend_acceptance(
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<MarketAcceptance> {
    let out = session(&state)?
        .vault()?
        .intents()
        .acceptance_outbox(&id, &[])?;
    let (_, relays) = publish(out).await?;
    let mut session = session(&state)?;
    let mut intents = session.vault()?.intents();
    intents.record_acceptance_sent(&id, relays.clone())?;
    let offer = intents.offer(&id)?;
    Ok(MarketAcceptance { offer, relays })
}
