//! The commands of discovery: bringing brands in from the person's mail
//! (mbox, Maildir, `.eml`), reviewing the proposals it stages, and what a
//! brand's mail said (how to unsubscribe, which addresses it holds). As in
//! `commands`: the state and the arguments, one core call, the error mapped.
//!
//! A run can take minutes, so it runs on a blocking thread of its own,
//! holding the session for its length; its cancel flag lives beside the
//! session ([`Runs`]), not inside it, so `discover_cancel` (and locking)
//! reach it while the run holds the session. Progress goes to the page as
//! counts only: no subject or address is logged or sent besides the
//! proposals themselves.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{Manager, State};
use tauri_plugin_dialog::DialogExt;

use secrecy::SecretString;
use vrm_vault::discover::imap::{ImapAccount, Security};
use vrm_vault::discover::{
    AcceptOptions, Accepted, Cancel, Progress, Proposal, RunOptions, Summary,
};
use vrm_vault::model::{Observed, Unsubscribe};
use vrm_vault::vault::features::Discovery;

use crate::AppState;
use crate::commands::session;
use crate::error::{CommandError, CommandResult};
pub use crate::files::MailChoice;
use crate::files::{Choices, Chosen, Purpose, chosen, picked_paths};
use crate::relations::dialog_answer;

/// The cancel flag of the run going on (if any), outside the session's
/// mutex.
#[derive(Debug, Default)]
pub struct Runs {
    cancel: Mutex<Cancel>,
}

impl Runs {
    /// A fresh flag for a new run, kept so the run can be stopped.
    fn start(&self) -> Cancel {
        let cancel = Cancel::new();
        if let Ok(mut slot) = self.cancel.lock() {
            *slot = cancel.clone();
        }
        cancel
    }

    /// Ask the run going on (if any) to stop between two messages; what it
    /// staged before stays.
    pub fn cancel(&self) {
        if let Ok(slot) = self.cancel.lock() {
            slot.cancel();
        }
    }
}

/// Which kind of mail files a run reads (what the dialog was asked for
/// says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// mbox files (Thunderbird, Google Takeout, `mbox` exports).
    Mbox,
    /// Maildir folders (`cur`, `new`, `tmp`).
    Maildir,
    /// `.eml` files, or folders of them.
    Eml,
}

impl MailChoice {
    /// The dialog's title, whether it asks for a folder, and the name
    /// answered under `VRM_E2E_DIALOG_DIR` (see `relations::dialog_answer`).
    fn dialog(self) -> (&'static str, bool, &'static str) {
        match self {
            MailChoice::MboxFiles => ("Choose mbox files", false, "mail.mbox"),
            MailChoice::MaildirFolder => ("Choose a Maildir folder", true, "Maildir"),
            MailChoice::EmlFiles => ("Choose .eml files", false, "message.eml"),
            MailChoice::EmlFolder => ("Choose a folder of .eml files", true, "eml"),
            MailChoice::ImapCaFile => ("Choose the server's CA certificate (PEM)", false, "ca.pem"),
        }
    }
}

impl MailChoice {
    /// The kind of mail files this choice reads (none: the CA file).
    fn kind(self) -> Option<MailKind> {
        match self {
            MailChoice::MboxFiles => Some(MailKind::Mbox),
            MailChoice::MaildirFolder => Some(MailKind::Maildir),
            MailChoice::EmlFiles | MailChoice::EmlFolder => Some(MailKind::Eml),
            MailChoice::ImapCaFile => None,
        }
    }
}

/// Ask the person for the mail to read (or the IMAP server's CA file): a
/// single-use token for the answer, good for `choice` alone, and the names
/// to show. `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn discover_choose(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    choice: MailChoice,
) -> CommandResult<Option<Chosen>> {
    let (title, folder, name) = choice.dialog();
    let purpose = Purpose::Mail(choice);
    if let Some(p) = dialog_answer(&state, Some(name)) {
        return chosen(&state, purpose, Ok(vec![p]));
    }
    let mut dialog = app.dialog().file().set_title(title);
    let picked = if folder {
        dialog.blocking_pick_folder().map(|p| vec![p])
    } else {
        match choice {
            MailChoice::EmlFiles => dialog = dialog.add_filter("email message", &["eml"]),
            MailChoice::ImapCaFile => {
                dialog = dialog.add_filter("PEM certificate", &["pem", "crt"]);
                let one = dialog.blocking_pick_file().map(|p| vec![p]);
                return chosen(&state, purpose, picked_paths(one));
            }
            _ => {}
        }
        dialog.blocking_pick_files()
    };
    chosen(&state, purpose, picked_paths(picked))
}

/// How a run is going, as the page shows it: the counts so far, and the
/// bytes read of the current file when the source knows them.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RunProgress {
    /// The counts so far.
    pub summary: Summary,
    /// Bytes of the current file read.
    pub bytes_done: Option<u64>,
    /// Bytes of the current file in all.
    pub bytes_total: Option<u64>,
}

/// Sends the core's progress to the page.
struct ToChannel(Channel<RunProgress>);

impl Progress for ToChannel {
    fn update(&mut self, summary: &Summary, bytes: Option<(u64, u64)>) {
        let _ = self.0.send(RunProgress {
            summary: summary.clone(),
            bytes_done: bytes.map(|b| b.0),
            bytes_total: bytes.map(|b| b.1),
        });
    }
}

/// Run `read` over the discovery on a blocking thread of its own, holding
/// the session, with a fresh cancel flag and the page's progress channel.
async fn run<T: Send + 'static>(
    app: tauri::AppHandle,
    me: Vec<String>,
    on_progress: Channel<RunProgress>,
    read: impl FnOnce(&mut Discovery<'_>, RunOptions<'_>) -> vrm_vault::Result<T> + Send + 'static,
) -> CommandResult<T> {
    let cancel = app.state::<AppState>().discover.start();
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<AppState>();
        let mut session = session(&state)?;
        let mut progress = ToChannel(on_progress);
        let opts = RunOptions {
            me,
            cancel,
            progress: Some(&mut progress),
        };
        let result = match session.vault() {
            Ok(vault) => read(&mut vault.discovery(), opts),
            Err(e) => Err(e),
        };
        // The person watched the run: it counts as activity, or a run longer
        // than the auto-lock time would lock the vault as it ends.
        let _ = session.touch();
        Ok(result?)
    })
    .await
    .map_err(|_| CommandError::new("app.internal", "the run stopped unexpectedly"))?
}

/// Read the mail files chosen (`files`: the token of `discover_choose`,
/// which also says their kind) and stage what they show as proposals. `me`: the
/// person's own addresses (the emails of their profile records count too).
/// Stopped by `discover_cancel` with the error `cancelled`; what was staged
/// before stays.
#[tauri::command]
#[specta::specta]
pub async fn discover_files(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    files: String,
    me: Vec<String>,
    on_progress: Channel<RunProgress>,
) -> CommandResult<Summary> {
    let (kind, paths) =
        state
            .choices
            .take_with(&files, std::time::Instant::now(), |p| match p {
                Purpose::Mail(choice) => choice.kind(),
                _ => None,
            })?;
    run(app, me, on_progress, move |discovery, opts| match kind {
        MailKind::Mbox => discovery.mbox(&paths, opts),
        MailKind::Maildir => discovery.maildir(&paths, opts),
        MailKind::Eml => discovery.eml(&paths, opts),
    })
    .await
}

/// An IMAP account as the form has it: the port as typed (empty for the
/// usual one), folders as a list (empty for INBOX), the CA file as the
/// token `discover_choose` gave for `imap-ca-file` (empty for the public
/// roots). No `Debug`: it holds the password.
#[derive(Deserialize, specta::Type)]
pub struct ImapForm {
    /// The server's host name.
    pub host: String,
    /// The port, as typed; empty for 993 (TLS) or 143 (STARTTLS).
    pub port: String,
    /// The user name.
    pub user: String,
    /// The password, used for `LOGIN` alone and kept nowhere.
    pub password: String,
    /// The folders to read; empty for INBOX.
    pub folders: Vec<String>,
    /// STARTTLS on a plain connection rather than TLS from the first byte.
    pub starttls: bool,
    /// A PEM file of the only certificates to trust, as the token of its
    /// dialog's answer; empty for the public roots.
    pub ca_file: String,
}

impl ImapForm {
    fn account(self, choices: &Choices) -> CommandResult<ImapAccount> {
        let port = match self.port.trim() {
            "" => None,
            typed => Some(
                typed
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| CommandError {
                        code: "input.invalid".into(),
                        field: Some("port".into()),
                        message: format!("{typed:?} is not a port (1 to 65535)"),
                    })?,
            ),
        };
        let ca_file = match self.ca_file.trim() {
            "" => None,
            token => Some(choices.take_one(token, Purpose::Mail(MailChoice::ImapCaFile))?),
        };
        Ok(ImapAccount {
            host: self.host,
            port,
            user: self.user,
            password: SecretString::from(self.password),
            folders: self.folders,
            security: if self.starttls {
                Security::StartTls
            } else {
                Security::Tls
            },
            ca_file,
            since: None,
            timeout: None,
        })
    }
}

/// What an IMAP run read in one folder.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImapFolderRead {
    /// The folder, as the form named it.
    pub name: String,
    /// Messages not read before.
    pub new_messages: u64,
    /// The server renumbered the folder, so it was read again from the start.
    pub reset: bool,
}

/// What an IMAP run did: the counts, and each folder.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImapRead {
    /// The counts, as for files.
    pub summary: Summary,
    /// Each folder, in the order read.
    pub folders: Vec<ImapFolderRead>,
}

/// Read an IMAP account's folders (read-only, only what earlier runs did
/// not read) and stage what they show, as `discover_files` does.
#[tauri::command]
#[specta::specta]
pub async fn discover_imap(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    account: ImapForm,
    me: Vec<String>,
    on_progress: Channel<RunProgress>,
) -> CommandResult<ImapRead> {
    let account = account.account(&state.choices)?;
    let (summary, report) = run(app, me, on_progress, move |discovery, opts| {
        discovery.imap(&account, opts)
    })
    .await?;
    Ok(ImapRead {
        summary,
        folders: report
            .folders
            .into_iter()
            .map(|f| ImapFolderRead {
                name: f.name,
                new_messages: f.new_messages as u64,
                reset: f.reset,
            })
            .collect(),
    })
}

/// Stop the run going on, if any, between two messages. Not `async`: it
/// runs on the main thread, so it is not queued behind commands waiting for
/// the session the run holds.
#[tauri::command]
#[specta::specta]
pub fn discover_cancel(state: State<'_, AppState>) -> CommandResult<()> {
    state.discover.cancel();
    Ok(())
}

/// The proposals waiting for the person, by name.
#[tauri::command]
#[specta::specta]
pub async fn discover_list(state: State<'_, AppState>) -> CommandResult<Vec<Proposal>> {
    Ok(session(&state)?.vault()?.discovery().list()?)
}

/// Accept proposals (every waiting one with `all`): each becomes a brand,
/// or adds to the brand it matched, with its records.
#[tauri::command]
#[specta::specta]
pub async fn discover_accept(
    state: State<'_, AppState>,
    ids: Vec<String>,
    all: bool,
    collapse_threads: bool,
) -> CommandResult<Accepted> {
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    Ok(session(&state)?.vault()?.discovery().accept(
        &ids,
        all,
        AcceptOptions { collapse_threads },
    )?)
}

/// Ignore proposals: their mail is dropped and not proposed again.
#[tauri::command]
#[specta::specta]
pub async fn discover_ignore(state: State<'_, AppState>, ids: Vec<String>) -> CommandResult<u32> {
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    Ok(session(&state)?.vault()?.discovery().ignore(&ids)?)
}

/// Accept one proposal into a brand the person chose.
#[tauri::command]
#[specta::specta]
pub async fn discover_merge(
    state: State<'_, AppState>,
    id: String,
    into: String,
    collapse_threads: bool,
) -> CommandResult<Accepted> {
    Ok(session(&state)?.vault()?.discovery().merge(
        &id,
        &into,
        AcceptOptions { collapse_threads },
    )?)
}

/// How to leave a brand's mailing list, as its mail said; `null` when it
/// did not.
#[tauri::command]
#[specta::specta]
pub async fn brand_unsubscribe(
    state: State<'_, AppState>,
    brand: String,
) -> CommandResult<Option<Unsubscribe>> {
    Ok(session(&state)?.vault()?.discovery().unsubscribe(&brand)?)
}

/// Leave a brand's mailing list with one click (RFC 8058), when its mail
/// offered it: a POST to the address the vault kept from that mail (the
/// page gives only the brand, never an address). Returns the status the
/// server answered; a refusal or no answer is an error to show.
#[tauri::command]
#[specta::specta]
pub async fn brand_unsubscribe_one_click(
    state: State<'_, AppState>,
    brand: String,
) -> CommandResult<u16> {
    one_click(&state, &brand).await
}

/// The address is read under the session's lock; the POST (network I/O, up
/// to the core's 15 s timeout) runs on a blocking thread without it, so
/// neither the page's other calls nor locking wait for a slow server.
async fn one_click(state: &AppState, brand: &str) -> CommandResult<u16> {
    let target = session(state)?
        .vault()?
        .discovery()
        .one_click_target(brand)?;
    tauri::async_runtime::spawn_blocking(move || target.post())
        .await
        .map_err(|_| CommandError::new("app.internal", "the unsubscription stopped unexpectedly"))?
        .map_err(CommandError::from)
}

/// What a brand was seen to hold in the person's mail.
#[tauri::command]
#[specta::specta]
pub async fn brand_observed(state: State<'_, AppState>, brand: String) -> CommandResult<Observed> {
    Ok(session(&state)?.vault()?.discovery().observed(&brand)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn cancel_reaches_the_run_going_on_and_a_new_run_starts_afresh() {
        let runs = Runs::default();
        runs.cancel(); // No run: nothing to stop, and no harm.
        let first = runs.start();
        assert!(!first.is_cancelled());
        runs.cancel();
        assert!(first.is_cancelled());
        let second = runs.start();
        assert!(
            !second.is_cancelled(),
            "a cancelled run must not stop the next one"
        );
    }

    fn form(port: &str, starttls: bool, ca_file: &str) -> ImapForm {
        ImapForm {
            host: "imap.example.org".into(),
            port: port.into(),
            user: "jane".into(),
            password: "s3cret".into(),
            folders: vec!["INBOX".into()],
            starttls,
            ca_file: ca_file.into(),
        }
    }

    #[test]
    fn the_imap_form_becomes_an_account_and_a_bad_port_names_its_field() {
        let choices = Choices::default();
        let a = form("", true, " ").account(&choices).unwrap();
        assert_eq!(
            (a.port, a.security, a.ca_file),
            (None, Security::StartTls, None)
        );
        let ca = choices
            .issue(
                Purpose::Mail(MailChoice::ImapCaFile),
                vec!["/etc/ca.pem".into()],
            )
            .unwrap()
            .unwrap();
        let a = form(" 1993 ", false, &ca.token).account(&choices).unwrap();
        assert_eq!(a.port, Some(1993));
        assert_eq!(a.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        for bad in ["0", "65536", "imap"] {
            let e = form(bad, false, "").account(&choices).unwrap_err();
            assert_eq!(
                (e.code.as_str(), e.field.as_deref()),
                ("input.invalid", Some("port")),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_ca_file_path_from_the_page_is_refused() {
        let choices = Choices::default();
        // A path, not a token; then a token for mail, not for a CA file.
        let e = form("", false, "/etc/ca.pem")
            .account(&choices)
            .err()
            .unwrap();
        assert_eq!(e.code, "file.not_chosen");
        let mbox = choices
            .issue(
                Purpose::Mail(MailChoice::MboxFiles),
                vec!["/m/a.mbox".into()],
            )
            .unwrap()
            .unwrap();
        let e = form("", false, &mbox.token)
            .account(&choices)
            .err()
            .unwrap();
        assert_eq!(e.code, "file.wrong_purpose");
    }

    /// A vault whose mail offered one-click unsubscription to `url`, as the
    /// app holds it, and the folder it lives in (removed by the caller).
    fn state_with_one_click(name: &str, url: &str) -> (AppState, PathBuf) {
        let dir = std::env::temp_dir().join(format!("vrm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mbox = dir.join("lists.mbox");
        let mail = format!(
            "From news@lists.example Mon Mar  2 09:00:00 2026\n\
             From: Lists <news@lists.example>\n\
             To: jane@example.org\n\
             Subject: Weekly\n\
             Date: Mon, 02 Mar 2026 09:00:00 +0000\n\
             Message-ID: <w1@lists.example>\n\
             List-Unsubscribe: <{url}>, <mailto:leave@lists.example>\n\
             List-Unsubscribe-Post: List-Unsubscribe=One-Click\n\
             Content-Type: text/plain\n\
             \n\
             News.\n"
        );
        std::fs::write(&mbox, mail).unwrap();
        let mut session = vrm_vault::vault::session::Session::new(&dir.join("vault"), 0);
        session.set_kdf_target(std::time::Duration::ZERO);
        session
            .create(&SecretString::from("a passphrase for the test"))
            .unwrap();
        let vault = session.vault().unwrap();
        let opts = RunOptions {
            me: vec!["jane@example.org".into()],
            ..Default::default()
        };
        vault.discovery().mbox(&[mbox], opts).unwrap();
        vault
            .discovery()
            .accept(&[], true, AcceptOptions::default())
            .unwrap();
        vault
            .add_brand(&vrm_vault::BrandInput::named("Plain"))
            .unwrap();
        let state = AppState {
            session: Mutex::new(session),
            discover: Runs::default(),
            settings_path: dir.join("settings.json"),
            dialog_override: None,
            dialog_dir: None,
            choices: crate::files::Choices::default(),
            recipients: crate::files::Recipients::default(),
            confirm_override: None,
            sync: crate::sync_worker::SyncWorker::default(),
            started: std::time::Instant::now(),
            startup_trace: std::sync::atomic::AtomicBool::new(false),
        };
        (state, dir)
    }

    #[test]
    fn one_click_posts_to_the_kept_address_without_holding_the_session() {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (state, dir) =
            state_with_one_click("one-click", &format!("http://127.0.0.1:{port}/u/xyz"));
        let lists = session(&state)
            .unwrap()
            .vault()
            .unwrap()
            .brand("Lists")
            .unwrap();
        let (status, (head, body, session_free)) = std::thread::scope(|s| {
            let server = s.spawn(|| {
                let (mut conn, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let (mut head, mut len) = (String::new(), 0);
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                // The request is in flight: the session is free meanwhile.
                let session_free = state.session.try_lock().is_ok();
                conn.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .unwrap();
                (head, String::from_utf8(body).unwrap(), session_free)
            });
            let status = tauri::async_runtime::block_on(one_click(&state, &lists.id));
            (status, server.join().unwrap())
        });
        assert_eq!(status, Ok(200));
        assert!(head.starts_with("POST /u/xyz HTTP/1.1\r\n"), "{head}");
        assert_eq!(body, "List-Unsubscribe=One-Click");
        let head = head.to_ascii_lowercase();
        assert!(!head.contains("\ncookie:") && !head.contains("\nauthorization:"));
        assert!(session_free, "the POST ran without the session's lock");

        // A brand whose mail gave no one-click address, and no brand: the
        // core's errors, by code and field; nothing is posted.
        let plain = tauri::async_runtime::block_on(one_click(&state, "Plain")).unwrap_err();
        assert_eq!(
            (plain.code.as_str(), plain.field.as_deref()),
            ("input.invalid", Some("brand"))
        );
        let none = tauri::async_runtime::block_on(one_click(&state, "Nobody")).unwrap_err();
        assert_eq!(none.code, "brand.not_found");
        drop(state);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_refused_one_click_is_an_error_with_the_servers_answer() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (state, dir) = state_with_one_click(
            "one-click-refused",
            &format!("http://127.0.0.1:{port}/gone"),
        );
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            // The whole request (its body ends it), so closing resets nothing.
            let (mut got, mut buf) = (Vec::new(), [0u8; 4096]);
            while !got.ends_with(b"One-Click") {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "the request ended early");
                got.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"HTTP/1.1 410 Gone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .unwrap();
        });
        let e = tauri::async_runtime::block_on(one_click(&state, "Lists")).unwrap_err();
        server.join().unwrap();
        assert_eq!(e.code, "input.invalid");
        assert!(e.message.contains("answered 410"), "{}", e.message);
        drop(state);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn progress_crosses_as_counts_and_bytes() {
        let p = RunProgress {
            summary: Summary {
                messages: 256,
                staged: 200,
                ..Summary::default()
            },
            bytes_done: Some(4),
            bytes_total: Some(8),
        };
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["summary"]["messages"], 256);
        assert_eq!(
            (json["bytes_done"].clone(), json["bytes_total"].clone()),
            (4.into(), 8.into())
        );
    }
}
