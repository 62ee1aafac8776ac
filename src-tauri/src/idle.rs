//! Locks the vault when the person has been idle for the auto-lock time, and
//! tells the UI so it can clear every decrypted value from the page.

use std::time::{Duration, Instant};

use tauri::{AppHandle, Emitter, Manager};

use crate::AppState;

/// The event the UI listens to.
pub const LOCKED_EVENT: &str = "vault-locked";

/// Check every few seconds, in a thread of its own.
pub fn watch(app: AppHandle) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(5));
            let state = app.state::<AppState>();
            let locked = match state.session.lock() {
                Ok(mut session) => session.lock_if_idle(Instant::now()),
                Err(_) => false,
            };
            if locked {
                state.sync.stop();
                let _ = app.emit(LOCKED_EVENT, "idle");
            }
        }
    });
}

/// Lock at once (screen locked, machine going to sleep) and tell the UI.
pub fn lock_now(app: &AppHandle, reason: &str) {
    let state = app.state::<AppState>();
    // A discovery run holds the session: stop it first, so locking does not
    // wait for the run to end.
    state.discover.cancel();
    state.sync.stop();
    if let Ok(mut session) = state.session.lock() {
        session.lock();
    }
    let _ = app.emit(LOCKED_EVENT, reason);
}
