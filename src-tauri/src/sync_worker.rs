//! Sync in the background: a thread of its own, with a vault handle of its
//! own (`Session::second_handle`: the same file, the key already derived),
//! started when the vault is unlocked and stopped when it locks.
//!
//! It syncs about two seconds after a write (any connection's: a command's,
//! the `vrm` CLI's; seen as the handle's `outside_writes` number moving),
//! every five minutes (`VRM_SYNC_INTERVAL_SECS` sets another period, for
//! tests), right after it starts, and when asked ("Sync now"). Commands
//! whose core call reaches the store (setup, invite, revoke) run on this
//! thread too, as jobs. So the network is never waited for on the UI
//! thread, nor while holding the session's mutex, which every command
//! needs: the person can go on while a store is slow or unreachable.
//!
//! Each sync ends with a `sync-finished` event carrying a [`SyncOutcome`]:
//! when, what it did, or the error's code and message (the core's messages
//! carry no secret: no passphrase, code, key or signed URL).

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use vrm_vault::Vault;
use vrm_vault::sync::engine::SyncReport;

use crate::AppState;
use crate::error::{CommandError, CommandResult};

/// The event the UI listens to, with a [`SyncOutcome`].
pub const SYNC_FINISHED_EVENT: &str = "sync-finished";

/// How long after a write the sync waits for more writes.
const DEBOUNCE: Duration = Duration::from_secs(2);
/// How often it syncs without a write here (others' changes come in).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5 * 60);
/// How often it looks for writes and for the session having locked.
const POLL: Duration = Duration::from_secs(1);

/// How one background sync ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct SyncOutcome {
    /// When it ended (ms since the epoch, this machine's clock).
    pub at_ms: u64,
    /// What it did, when it worked.
    pub report: Option<SyncReport>,
    /// Why it did not, when it failed.
    pub error: Option<CommandError>,
}

/// Work for the thread, run with its vault handle.
type Job = Box<dyn FnOnce(&mut Vault) + Send>;

enum Msg {
    /// Sync now; the outcome also goes to the sender, if any.
    Now(Option<Sender<Option<SyncOutcome>>>),
    /// Run a job (then sync).
    Job(Job),
    /// Drop the handle and end.
    Stop,
}

struct Running {
    tx: Sender<Msg>,
    thread: std::thread::JoinHandle<()>,
}

/// The background sync of the app's state: at most one thread at a time.
#[derive(Default)]
pub struct SyncWorker {
    running: Mutex<Option<Running>>,
    /// The last sync's outcome, for the Sync panel.
    last: Arc<Mutex<Option<SyncOutcome>>>,
}

impl std::fmt::Debug for SyncWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncWorker").finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

fn interval() -> Duration {
    interval_from(std::env::var("VRM_SYNC_INTERVAL_SECS").ok().as_deref())
}

/// The period `VRM_SYNC_INTERVAL_SECS` sets: whole seconds, at least one;
/// anything else is the default.
fn interval_from(var: Option<&str>) -> Duration {
    var.and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(DEFAULT_INTERVAL, Duration::from_secs)
}

fn gone() -> CommandError {
    CommandError::new(
        "app.internal",
        "background sync stopped; lock and unlock the vault",
    )
}

impl SyncWorker {
    fn running(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        // A panic while holding it leaves an Option still sound.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Start the thread with its own handle on the unlocked vault (a
    /// thread already running is told to stop first). Called after
    /// unlocking, creating, recovering, joining.
    pub fn start(&self, app: &AppHandle) -> CommandResult<()> {
        let vault = crate::commands::session(&app.state::<AppState>())?.second_handle()?;
        let (tx, rx) = mpsc::channel();
        let last = Arc::clone(&self.last);
        let app = app.clone();
        let thread = std::thread::Builder::new()
            .name("vrm-sync".into())
            .spawn(move || run(app, vault, rx, last))
            .map_err(|e| CommandError::new("app.internal", format!("no sync thread: {e}")))?;
        if let Some(old) = self.running().replace(Running { tx, thread }) {
            let _ = old.tx.send(Msg::Stop);
        }
        Ok(())
    }

    /// Tell the thread to stop (on lock); it drops its handle, and so its
    /// keys, when its current step ends.
    pub fn stop(&self) {
        if let Some(old) = self.running().take() {
            let _ = old.tx.send(Msg::Stop);
        }
    }

    /// Stop the thread and wait until it has dropped its handle: before
    /// the vault key changes (a handle on the old key must write nothing
    /// after).
    pub fn stop_and_wait(&self) {
        let old = self.running().take();
        if let Some(old) = old {
            let _ = old.tx.send(Msg::Stop);
            let _ = old.thread.join();
        }
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The last sync's outcome since the vault was unlocked, if any.
    pub fn last(&self) -> Option<SyncOutcome> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Hand the thread `msg`. No thread, or one that ended (it ends when
    /// it finds the session locked: the idle time ran out), is a locked
    /// vault.
    fn send(&self, msg: Msg) -> CommandResult<()> {
        let sent = match self.running().as_ref() {
            Some(r) => r.tx.send(msg).is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            Err(vrm_vault::Error::Locked.into())
        }
    }

    /// Sync now, and wait (off the UI thread) for the outcome; `None` when
    /// sync is not set up.
    pub async fn sync_now(&self) -> CommandResult<Option<SyncOutcome>> {
        let (tx, rx) = mpsc::channel();
        self.send(Msg::Now(Some(tx)))?;
        tauri::async_runtime::spawn_blocking(move || rx.recv())
            .await
            .map_err(|_| gone())?
            .map_err(|_| gone())
    }

    /// Run `job` on the thread with its handle (a core call that reaches
    /// the store), then sync; waits (off the UI thread) for its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vault) -> vrm_vault::Result<T> + Send + 'static,
    ) -> CommandResult<T> {
        let (tx, rx) = mpsc::channel();
        self.send(Msg::Job(Box::new(move |vault| {
            let _ = tx.send(job(vault));
        })))?;
        let answer = tauri::async_runtime::spawn_blocking(move || rx.recv())
            .await
            .map_err(|_| gone())?
            .map_err(|_| gone())?;
        Ok(answer?)
    }
}

/// Whether the session is still unlocked. A command holding its mutex
/// means it is in use: unlocked, as far as this look goes (the next looks
/// again).
fn still_unlocked(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    match state.session.try_lock() {
        Ok(session) => session.status().unlocked,
        Err(std::sync::TryLockError::WouldBlock) => true,
        Err(std::sync::TryLockError::Poisoned(_)) => false,
    }
}

/// One sync, if set up: its outcome, kept and sent to the page.
fn sync_once(
    app: &AppHandle,
    vault: &mut Vault,
    last: &Mutex<Option<SyncOutcome>>,
) -> Option<SyncOutcome> {
    match vault.sync().is_set_up() {
        Ok(true) => {}
        Ok(false) => return None,
        Err(e) => {
            return Some(finish(
                app,
                last,
                SyncOutcome {
                    at_ms: now_ms(),
                    report: None,
                    error: Some(e.into()),
                },
            ));
        }
    }
    let outcome = match vault.sync().sync(now_ms()) {
        Ok(report) => SyncOutcome {
            at_ms: now_ms(),
            report: Some(report),
            error: None,
        },
        Err(e) => SyncOutcome {
            at_ms: now_ms(),
            report: None,
            error: Some(e.into()),
        },
    };
    Some(finish(app, last, outcome))
}

fn finish(app: &AppHandle, last: &Mutex<Option<SyncOutcome>>, outcome: SyncOutcome) -> SyncOutcome {
    *last
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(outcome.clone());
    let _ = app.emit(SYNC_FINISHED_EVENT, &outcome);
    outcome
}

/// The thread: wait for a message, a write to settle, or the period.
fn run(app: AppHandle, mut vault: Vault, rx: Receiver<Msg>, last: Arc<Mutex<Option<SyncOutcome>>>) {
    let every = interval();
    let mut seen = vault.outside_writes().ok();
    // Right away: what the other devices did while this one was locked.
    let mut due = Some(Instant::now());
    let mut periodic = Instant::now() + every;
    loop {
        let now = Instant::now();
        let wake = due.map_or(periodic, |d| d.min(periodic)).min(now + POLL);
        match rx.recv_timeout(wake.saturating_duration_since(now)) {
            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(Msg::Now(reply)) => {
                let outcome = sync_once(&app, &mut vault, &last);
                periodic = Instant::now() + every;
                due = None;
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
            }
            Ok(Msg::Job(job)) => {
                job(&mut vault);
                due = Some(Instant::now());
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if !still_unlocked(&app) {
            break;
        }
        let version = vault.outside_writes().ok();
        if version != seen {
            seen = version;
            due = Some(Instant::now() + DEBOUNCE);
        }
        let now = Instant::now();
        if due.is_some_and(|d| d <= now) || periodic <= now {
            sync_once(&app, &mut vault, &last);
            due = None;
            periodic = Instant::now() + every;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_five_minutes_unless_set_to_whole_seconds() {
        assert_eq!(interval_from(None), Duration::from_secs(300));
        assert_eq!(interval_from(Some(" 3 ")), Duration::from_secs(3));
        for bad in ["", "0", "-1", "1.5", "soon"] {
            assert_eq!(interval_from(Some(bad)), DEFAULT_INTERVAL, "{bad:?}");
        }
    }

    #[test]
    fn an_outcome_crosses_with_the_errors_code_and_message() {
        let outcome = SyncOutcome {
            at_ms: 1,
            report: None,
            error: Some(vrm_vault::Error::SyncNotSetUp.into()),
        };
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["error"]["code"], "sync.not_set_up");
        assert_eq!(json["report"], serde_json::Value::Null);
    }

    #[test]
    fn a_locked_worker_refuses_work() {
        let worker = SyncWorker::default();
        assert!(worker.last().is_none());
        let e = worker.send(Msg::Stop).unwrap_err();
        assert_eq!(e.code, "vault.locked");
        worker.stop();
        worker.stop_and_wait();
    }
}
