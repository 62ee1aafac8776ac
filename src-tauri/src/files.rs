//! Files the page may name: never by a path. A dialog the app shows (the
//! `choose_*` commands) answers; the path stays here, under a random
//! single-use token tied to what the dialog asked for (its [`Purpose`]), and
//! the page gets the token and a name to show ([`Chosen`]). The command that
//! reads or writes takes the token, checks it was issued for its purpose,
//! and consumes it: a script in the page can name no file the person did not
//! choose for that very use (an "open" answer is never a place to save), and
//! no file twice. A token not used within [`TOKEN_TTL`] expires.
//!
//! Exporting the whole vault to an age recipient not used before in this
//! run is confirmed in a native dialog ([`confirm_recipient`]), never by the
//! page.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

use crate::error::{CommandError, CommandResult};

// The dialogs' purposes are declared here, their titles and filters
// beside the commands that show them (`relations.rs`, `discover.rs`).

/// Which file the person is asked for; each has its title, filter and
/// suggested name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum FileChoice {
    /// Where to save signed terms for a brand.
    TermsOut,
    /// A brand's signed answer to the person's terms.
    AnswerIn,
    /// Where to save an encrypted share bundle.
    ShareOut,
    /// Where to save a share's revocation.
    RevocationOut,
    /// A brand's signed acknowledgment of erasure.
    AcknowledgmentIn,
    /// Where to save a signed data-rights request.
    RightsRequestOut,
    /// A folder for the revocations of "revoke everywhere".
    RevocationsFolder,
    /// The folder this vault syncs through (one a file-sync tool
    /// replicates).
    SyncFolder,
    /// Where to save an invitation for a new device.
    InvitationOut,
    /// An invitation to join a vault as a new device.
    InvitationIn,
}

/// What the person is asked to choose for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum MailChoice {
    /// One or more mbox files.
    MboxFiles,
    /// A Maildir folder.
    MaildirFolder,
    /// One or more `.eml` files.
    EmlFiles,
    /// A folder of `.eml` files.
    EmlFolder,
    /// The PEM file of a private CA, for an IMAP server.
    ImapCaFile,
}

/// How long a dialog's answer may wait for the command that uses it.
pub const TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// What a dialog asked for; a token is good for this use only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Purpose {
    /// A file of `choose_file` (terms, shares, revocations, requests…).
    File(FileChoice),
    /// Mail to read, or an IMAP server's CA file (`discover_choose`).
    Mail(MailChoice),
    /// A JSON or CSV file of records to import.
    ImportRecords,
    /// Where to save an encrypted backup.
    BackupOut,
    /// A brand's offer to import.
    OfferIn,
    /// Where to save a signed acceptance of an offer.
    AcceptanceOut,
    /// A folder for the intent or withdrawal files to hand over.
    IntentFolder,
}

/// Why a file named by the page is refused, or an export not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The token names no dialog answer: never issued, already used, or
    /// forgotten.
    #[error("no file was chosen for this in a dialog; choose it again")]
    NotChosen,
    /// The token is a dialog's answer for another use.
    #[error("the file chosen was for something else; choose it again")]
    WrongPurpose,
    /// The token was not used in time.
    #[error("the file was chosen too long ago; choose it again")]
    Expired,
    /// The person did not confirm an export to a new recipient.
    #[error("the export to {0} was not confirmed")]
    NotConfirmed(String),
    /// The dialog could not be shown or its answer read.
    #[error("the dialog failed: {0}")]
    Dialog(String),
}

impl FileError {
    /// The stable code the UI switches on.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::NotChosen => "file.not_chosen",
            FileError::WrongPurpose => "file.wrong_purpose",
            FileError::Expired => "file.expired",
            FileError::NotConfirmed(_) => "export.not_confirmed",
            FileError::Dialog(_) => "app.dialog",
        }
    }
}

impl From<FileError> for CommandError {
    fn from(e: FileError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

/// A dialog's answer as the page holds it: the token to give the command,
/// and the name to show (file names only, never the folders above them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Chosen {
    /// Single use, for the purpose the dialog asked for.
    pub token: String,
    /// The file's name (names, comma-separated, for several).
    pub name: String,
}

struct Entry {
    purpose: Purpose,
    paths: Vec<PathBuf>,
    issued: Instant,
}

/// The dialogs' answers not used yet, by token.
pub struct Choices {
    entries: Mutex<HashMap<String, Entry>>,
    ttl: Duration,
}

impl std::fmt::Debug for Choices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the tokens nor the paths.
        f.debug_struct("Choices").finish_non_exhaustive()
    }
}

impl Default for Choices {
    fn default() -> Self {
        Choices::new(TOKEN_TTL)
    }
}

impl Choices {
    /// An empty store whose tokens last `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Choices {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// Keep a dialog's answer (`None` for no file: cancelled).
    pub(crate) fn issue(
        &self,
        purpose: Purpose,
        paths: Vec<PathBuf>,
    ) -> CommandResult<Option<Chosen>> {
        self.issue_at(purpose, paths, Instant::now())
    }

    pub(crate) fn issue_at(
        &self,
        purpose: Purpose,
        paths: Vec<PathBuf>,
        now: Instant,
    ) -> CommandResult<Option<Chosen>> {
        if paths.is_empty() {
            return Ok(None);
        }
        let mut bytes = [0u8; 32];
        vrm_vault::crypto::fill_random(&mut bytes)?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let name = paths
            .iter()
            .map(|p| display_name(p))
            .collect::<Vec<_>>()
            .join(", ");
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|_, e| now.saturating_duration_since(e.issued) < ttl);
        entries.insert(
            token.clone(),
            Entry {
                purpose,
                paths,
                issued: now,
            },
        );
        Ok(Some(Chosen { token, name }))
    }

    /// The one path a token stands for, if it was issued for `purpose`;
    /// the token is used up whatever the answer.
    pub(crate) fn take_one(&self, token: &str, purpose: Purpose) -> Result<PathBuf, FileError> {
        let paths = self.take(token, purpose)?;
        paths.into_iter().next().ok_or(FileError::NotChosen)
    }

    /// The paths a token stands for, if it was issued for `purpose`.
    pub(crate) fn take(&self, token: &str, purpose: Purpose) -> Result<Vec<PathBuf>, FileError> {
        self.take_with(token, Instant::now(), |p| (p == purpose).then_some(()))
            .map(|((), paths)| paths)
    }

    /// The paths a token stands for and what `accept` makes of its
    /// purpose (`None`: not for this use). The token is removed first, so a
    /// wrong or late use spends it too.
    pub(crate) fn take_with<T>(
        &self,
        token: &str,
        now: Instant,
        accept: impl FnOnce(Purpose) -> Option<T>,
    ) -> Result<(T, Vec<PathBuf>), FileError> {
        let entry = self.lock().remove(token).ok_or(FileError::NotChosen)?;
        if now.saturating_duration_since(entry.issued) >= self.ttl {
            return Err(FileError::Expired);
        }
        let use_ = accept(entry.purpose).ok_or(FileError::WrongPurpose)?;
        Ok((use_, entry.paths))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding it leaves a map still sound.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What the page is shown of a path: its last part.
fn display_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The paths of a dialog's answer.
pub(crate) fn picked_paths(
    picked: Option<Vec<tauri_plugin_dialog::FilePath>>,
) -> Result<Vec<PathBuf>, FileError> {
    picked
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.into_path().map_err(|e| FileError::Dialog(e.to_string())))
        .collect()
}

/// The age recipients the person confirmed an export to in this run.
#[derive(Debug, Default)]
pub struct Recipients {
    known: Mutex<HashSet<String>>,
}

impl Recipients {
    fn knows(&self, recipient: &str) -> bool {
        self.known
            .lock()
            .map(|k| k.contains(recipient))
            .unwrap_or(false)
    }

    /// Remember a recipient an export was made to.
    pub(crate) fn remember(&self, recipient: &str) {
        if let Ok(mut k) = self.known.lock() {
            k.insert(recipient.trim().to_string());
        }
    }
}

/// Ask the person, in a native dialog, before the whole vault is exported
/// to an age recipient not used in this run. Under test,
/// `VRM_E2E_CONFIRM` (`yes` or `no`) answers instead.
pub(crate) fn confirm_recipient(
    app: &tauri::AppHandle,
    state: &crate::AppState,
    recipient: &str,
) -> Result<(), FileError> {
    let recipient = recipient.trim();
    if state.recipients.knows(recipient) {
        return Ok(());
    }
    let yes = match state.confirm_override {
        Some(answer) => answer,
        None => app
            .dialog()
            .message(format!(
                "Export the whole vault, your private keys included, encrypted to this \
                 recipient?\n\n{recipient}\n\nAnyone holding its identity can open the backup. \
                 Export only to a key that is yours."
            ))
            .title("A new backup recipient")
            .kind(MessageDialogKind::Warning)
            .buttons(MessageDialogButtons::OkCancelCustom(
                "Export".into(),
                "Cancel".into(),
            ))
            .blocking_show(),
    };
    if yes {
        Ok(())
    } else {
        Err(FileError::NotConfirmed(recipient.to_string()))
    }
}

/// A native dialog asked for by `purpose`'s command, with what it needs to
/// answer: the answer as a token.
pub(crate) fn chosen(
    state: &crate::AppState,
    purpose: Purpose,
    picked: Result<Vec<PathBuf>, FileError>,
) -> CommandResult<Option<Chosen>> {
    state.choices.issue(purpose, picked?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Purpose = Purpose::File(FileChoice::AnswerIn);
    const SAVE: Purpose = Purpose::File(FileChoice::TermsOut);

    fn issue(c: &Choices, purpose: Purpose, path: &str, now: Instant) -> Chosen {
        c.issue_at(purpose, vec![PathBuf::from(path)], now)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_token_gives_its_path_once() {
        let c = Choices::default();
        let now = Instant::now();
        let chosen = issue(&c, SAVE, "/home/jane/terms.json", now);
        assert_eq!(
            chosen.name, "terms.json",
            "the page sees the name, not the folders"
        );
        assert_eq!(chosen.token.len(), 64);
        assert!(chosen.token.chars().all(|ch| ch.is_ascii_hexdigit()));
        let got = c.take_with(&chosen.token, now, |p| (p == SAVE).then_some(()));
        assert_eq!(got, Ok(((), vec![PathBuf::from("/home/jane/terms.json")])));
        assert_eq!(
            c.take(&chosen.token, SAVE),
            Err(FileError::NotChosen),
            "single use"
        );
    }

    #[test]
    fn tokens_are_unguessable_and_distinct() {
        let c = Choices::default();
        let now = Instant::now();
        let a = issue(&c, SAVE, "/a.json", now);
        let b = issue(&c, SAVE, "/a.json", now);
        assert_ne!(a.token, b.token);
    }

    #[test]
    fn an_unknown_token_or_a_path_is_not_chosen() {
        let c = Choices::default();
        let _ = issue(&c, SAVE, "/home/jane/terms.json", Instant::now());
        for forged in ["", "/home/jane/terms.json", "/home/jane/.bashrc", "0000"] {
            assert_eq!(c.take(forged, SAVE), Err(FileError::NotChosen), "{forged}");
            assert_eq!(FileError::NotChosen.code(), "file.not_chosen");
        }
    }

    #[test]
    fn a_token_for_one_purpose_works_for_no_other_and_is_spent() {
        let c = Choices::default();
        let open = issue(&c, OPEN, "/home/jane/.bashrc", Instant::now());
        assert_eq!(c.take(&open.token, SAVE), Err(FileError::WrongPurpose));
        assert_eq!(FileError::WrongPurpose.code(), "file.wrong_purpose");
        // Spent by the wrong use: not even its own use takes it now.
        assert_eq!(c.take(&open.token, OPEN), Err(FileError::NotChosen));
        // Every other purpose pair too.
        let all = [
            Purpose::File(FileChoice::ShareOut),
            Purpose::File(FileChoice::RevocationsFolder),
            Purpose::File(FileChoice::SyncFolder),
            Purpose::File(FileChoice::InvitationOut),
            Purpose::File(FileChoice::InvitationIn),
            Purpose::Mail(MailChoice::MboxFiles),
            Purpose::Mail(MailChoice::ImapCaFile),
            Purpose::ImportRecords,
            Purpose::BackupOut,
            Purpose::OfferIn,
            Purpose::AcceptanceOut,
            Purpose::IntentFolder,
        ];
        for issued in all {
            for used in all.iter().copied().filter(|u| *u != issued) {
                let t = issue(&c, issued, "/x", Instant::now());
                assert_eq!(c.take(&t.token, used), Err(FileError::WrongPurpose));
            }
        }
    }

    #[test]
    fn a_token_expires() {
        let c = Choices::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let late = issue(&c, SAVE, "/a.json", t0);
        let in_time = issue(&c, SAVE, "/b.json", t0);
        let just = |t| (t == SAVE).then_some(());
        assert!(
            c.take_with(&in_time.token, t0 + Duration::from_secs(59), just)
                .is_ok()
        );
        assert_eq!(
            c.take_with(&late.token, t0 + Duration::from_secs(60), just),
            Err(FileError::Expired)
        );
        assert_eq!(FileError::Expired.code(), "file.expired");
        // Expired ones are forgotten as new ones come.
        let old = issue(&c, SAVE, "/c.json", t0);
        let _ = issue(&c, SAVE, "/d.json", t0 + Duration::from_secs(61));
        assert_eq!(
            c.take_with(&old.token, t0 + Duration::from_secs(61), just),
            Err(FileError::NotChosen)
        );
    }

    #[test]
    fn several_files_are_one_token_and_a_cancel_is_none() {
        let c = Choices::default();
        let purpose = Purpose::Mail(MailChoice::EmlFiles);
        let t = c
            .issue(purpose, vec!["/m/a.eml".into(), "/m/b.eml".into()])
            .unwrap()
            .unwrap();
        assert_eq!(t.name, "a.eml, b.eml");
        assert_eq!(c.take(&t.token, purpose).unwrap().len(), 2);
        assert_eq!(c.issue(purpose, vec![]).unwrap(), None);
    }

    #[test]
    fn errors_cross_with_their_codes() {
        let e = CommandError::from(FileError::NotConfirmed("age1xyz".into()));
        assert_eq!(e.code, "export.not_confirmed");
        assert_eq!(e.field, None);
        assert!(e.message.contains("age1xyz"));
    }
}
