//! `discover::imap::fetch` against a real Dovecot (tests/dovecot.rs): both
//! kinds of TLS, headers and wanted bodies, incremental runs, UIDVALIDITY
//! resets, `since`, refused logins and certificates, \Seen untouched,
//! truncation, checkpoints; and fake servers that misbehave.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, SystemTime};

use secrecy::SecretString;
use vrm_vault::Error;
use vrm_vault::discover::imap::{
    FolderState, ImapAccount, ImapReport, ImapSink, MAX_MESSAGE_BYTES, Security, fetch,
};

use crate::dovecot::Dovecot;

macro_rules! dovecot {
    () => {
        match Dovecot::start_or_skip() {
            Some(d) => d,
            None => return,
        }
    };
}

fn account(d: &Dovecot, security: Security) -> ImapAccount {
    let port = match security {
        Security::Tls => d.tls_port(),
        Security::StartTls => d.plain_port(),
    };
    ImapAccount {
        host: "localhost".into(),
        port: Some(port),
        user: d.user().into(),
        password: SecretString::from(d.password()),
        folders: vec!["INBOX".into(), "Receipts".into()],
        security,
        ca_file: Some(d.ca_file().to_path_buf()),
        since: None,
        timeout: None,
    }
}

fn mail(n: usize, subject: &str) -> Vec<u8> {
    format!(
        "From: Shop <orders@shop.example>\r\nTo: jane@example.org\r\nSubject: {subject}\r\n\
         Message-ID: <m{n}@shop.example>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n\
         Body of message {n}: thank you for your order.\r\n"
    )
    .into_bytes()
}

#[derive(Debug, Clone)]
struct Got {
    folder: String,
    uid: u32,
    raw: Vec<u8>,
    header_only: bool,
    truncated: bool,
}

/// Keeps what it is given; wants the bodies whose header contains `want`.
#[derive(Default)]
struct Recorder {
    want: Option<&'static str>,
    got: Vec<Got>,
    checkpoints: Vec<(String, FolderState)>,
    /// Fail at the message with this index (0-based), as a crash would.
    fail_at: Option<usize>,
    /// Cancel once this many messages were delivered.
    cancel_after: Option<usize>,
}

impl Recorder {
    fn wanting(want: &'static str) -> Self {
        Recorder {
            want: Some(want),
            ..Recorder::default()
        }
    }

    fn subjects(&self) -> Vec<String> {
        self.got.iter().map(|g| subject(&g.raw)).collect()
    }

    /// The states of the last checkpoint of each folder.
    fn states(&self) -> BTreeMap<String, FolderState> {
        self.checkpoints.iter().cloned().collect()
    }
}

fn subject(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("")
        .to_string()
}

impl ImapSink for Recorder {
    fn wants_body(&mut self, header: &[u8]) -> bool {
        self.want
            .is_some_and(|w| String::from_utf8_lossy(header).contains(w))
    }

    fn message(
        &mut self,
        folder: &str,
        uid: u32,
        raw: &[u8],
        header_only: bool,
        truncated: bool,
    ) -> vrm_vault::Result<()> {
        if self.fail_at == Some(self.got.len()) {
            return Err(Error::Imap("the sink failed (a crash)".into()));
        }
        self.got.push(Got {
            folder: folder.into(),
            uid,
            raw: raw.to_vec(),
            header_only,
            truncated,
        });
        Ok(())
    }

    fn checkpoint(&mut self, folder: &str, state: FolderState) -> vrm_vault::Result<()> {
        self.checkpoints.push((folder.into(), state));
        Ok(())
    }

    fn cancelled(&self) -> bool {
        self.cancel_after.is_some_and(|n| self.got.len() >= n)
    }
}

fn run(
    account: &ImapAccount,
    known: &BTreeMap<String, FolderState>,
    sink: &mut Recorder,
) -> ImapReport {
    fetch(account, known, sink).unwrap_or_else(|e| panic!("{e} ({e:?})"))
}

fn seed(d: &Dovecot) {
    for n in 1..=3 {
        d.add_message("INBOX", &mail(n, &format!("Welcome {n}")));
    }
    for n in 4..=5 {
        d.add_message("Receipts", &mail(n, &format!("Order {n}")));
    }
}

#[test]
fn implicit_tls_and_starttls_both_fetch_the_seeded_mail() {
    let d = dovecot!();
    seed(&d);
    for (security, host) in [
        (Security::Tls, "localhost"),
        (Security::StartTls, "127.0.0.1"),
    ] {
        let mut acc = account(&d, security);
        // The certificate names both; an IP address is checked as one.
        acc.host = host.into();
        let mut sink = Recorder::default();
        let report = run(&acc, &BTreeMap::new(), &mut sink);
        assert_eq!(
            sink.subjects(),
            ["Welcome 1", "Welcome 2", "Welcome 3", "Order 4", "Order 5"],
            "{security:?}"
        );
        let folders: Vec<&str> = sink.got.iter().map(|g| g.folder.as_str()).collect();
        assert_eq!(folders, ["INBOX", "INBOX", "INBOX", "Receipts", "Receipts"]);
        assert_eq!(report.folders.len(), 2);
        assert_eq!(report.folders[0].name, "INBOX");
        assert_eq!(report.folders[0].new_messages, 3);
        assert_eq!(report.folders[1].new_messages, 2);
        assert!(
            report
                .folders
                .iter()
                .all(|f| !f.reset && f.fetched_whole == 0)
        );
        // UIDs ascend within a folder, and the checkpoint ends at the last.
        assert!(sink.got[..3].windows(2).all(|w| w[0].uid < w[1].uid));
        let states = sink.states();
        assert_eq!(states["INBOX"].last_uid, sink.got[2].uid);
        assert_eq!(states["INBOX"].uidvalidity, report.folders[0].uidvalidity);
        assert_eq!(states["Receipts"].last_uid, sink.got[4].uid);
    }
}

#[test]
fn headers_alone_unless_the_sink_wants_the_body() {
    let d = dovecot!();
    seed(&d);
    let mut sink = Recorder::wanting("Subject: Order 4");
    let report = run(&account(&d, Security::Tls), &BTreeMap::new(), &mut sink);
    for got in &sink.got {
        let text = String::from_utf8_lossy(&got.raw);
        assert!(!got.truncated);
        if subject(&got.raw) == "Order 4" {
            assert!(!got.header_only);
            assert!(
                text.ends_with("Body of message 4: thank you for your order.\r\n"),
                "{text}"
            );
        } else {
            assert!(got.header_only);
            assert!(
                text.ends_with("\r\n\r\n") && !text.contains("Body of"),
                "{text}"
            );
        }
    }
    assert_eq!(report.folders[1].fetched_whole, 1);
    assert_eq!(report.folders[0].fetched_whole, 0);
}

#[test]
fn runs_are_incremental() {
    let d = dovecot!();
    seed(&d);
    let acc = account(&d, Security::StartTls);
    let mut first = Recorder::default();
    run(&acc, &BTreeMap::new(), &mut first);
    assert_eq!(first.got.len(), 5);
    let states = first.states();

    let mut second = Recorder::default();
    let report = run(&acc, &states, &mut second);
    assert!(second.got.is_empty(), "{:?}", second.subjects());
    assert_eq!(second.states(), states);
    assert!(
        report
            .folders
            .iter()
            .all(|f| f.new_messages == 0 && !f.reset)
    );

    d.add_message("INBOX", &mail(6, "Later 6"));
    d.add_message("Receipts", &mail(7, "Later 7"));
    d.add_message("Receipts", &mail(8, "Later 8"));
    let mut third = Recorder::wanting("Later");
    run(&acc, &second.states(), &mut third);
    assert_eq!(third.subjects(), ["Later 6", "Later 7", "Later 8"]);
    assert!(third.got.iter().all(|g| !g.header_only));
    assert!(third.got[0].uid > states["INBOX"].last_uid);
    assert!(third.got[1].uid > states["Receipts"].last_uid);
}

#[test]
fn a_changed_uidvalidity_reads_the_folder_again() {
    let d = dovecot!();
    seed(&d);
    let acc = account(&d, Security::Tls);
    let mut first = Recorder::default();
    run(&acc, &BTreeMap::new(), &mut first);
    let states = first.states();

    d.reset_uidvalidity("Receipts");
    let mut second = Recorder::default();
    let report = run(&acc, &states, &mut second);
    assert_eq!(second.subjects(), ["Order 4", "Order 5"]);
    let receipts = &report.folders[1];
    assert!(receipts.reset);
    assert_ne!(receipts.uidvalidity, states["Receipts"].uidvalidity);
    assert_eq!(
        second.states()["Receipts"].uidvalidity,
        receipts.uidvalidity
    );
    assert!(!report.folders[0].reset && report.folders[0].new_messages == 0);

    // A state from another UIDVALIDITY (or none) is no filter either.
    let mut third = Recorder::default();
    let report = run(&acc, &BTreeMap::new(), &mut third);
    assert_eq!(third.got.len(), 5);
    assert!(report.folders.iter().all(|f| !f.reset));
}

#[test]
fn since_leaves_out_older_mail() {
    let d = dovecot!();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_880_000); // 2020-01-01
    d.add_message_with("INBOX", &mail(1, "Old 1"), "", old);
    d.add_message("INBOX", &mail(2, "New 2"));
    d.add_message_with("INBOX", &mail(3, "Old 3"), "S", old);
    let mut acc = account(&d, Security::Tls);
    acc.folders = vec![];
    acc.since = Some(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
    let mut sink = Recorder::default();
    let report = run(&acc, &BTreeMap::new(), &mut sink);
    assert_eq!(sink.subjects(), ["New 2"]);
    // No folders given: INBOX.
    assert_eq!(report.folders.len(), 1);
    assert_eq!(report.folders[0].name, "INBOX");
    acc.since = None;
    let mut all = Recorder::default();
    run(&acc, &BTreeMap::new(), &mut all);
    assert_eq!(all.got.len(), 3);
}

#[test]
fn a_wrong_password_is_imap_login_and_is_never_shown() {
    let d = dovecot!();
    for security in [Security::Tls, Security::StartTls] {
        let mut acc = account(&d, security);
        let wrong = "Wr0ng-\"pass\\word";
        acc.password = SecretString::from(wrong);
        let e = fetch(&acc, &BTreeMap::new(), &mut Recorder::default()).unwrap_err();
        assert!(matches!(e, Error::ImapLogin), "{e:?}");
        assert_eq!(e.code(), "imap.login");
        let shown = format!("{e} {e:?} {acc:?}");
        for secret in [wrong, "Wr0ng", d.password()] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    // A user the server does not know: the same.
    let mut acc = account(&d, Security::Tls);
    acc.user = "nobody-here".into();
    let e = fetch(&acc, &BTreeMap::new(), &mut Recorder::default()).unwrap_err();
    assert!(matches!(e, Error::ImapLogin), "{e:?}");
}

#[test]
fn a_certificate_that_does_not_verify_is_refused() {
    let d = dovecot!();
    seed(&d);
    for security in [Security::Tls, Security::StartTls] {
        // A CA of the same name, not the one that signed it.
        let mut acc = account(&d, security);
        acc.ca_file = Some(d.foreign_ca_file().to_path_buf());
        let mut sink = Recorder::default();
        let e = fetch(&acc, &BTreeMap::new(), &mut sink).unwrap_err();
        assert!(
            matches!(&e, Error::Imap(t) if t.contains("certificate")),
            "{e:?}"
        );
        assert!(sink.got.is_empty());
        // The public roots do not know the test CA either.
        acc.ca_file = None;
        let e = fetch(&acc, &BTreeMap::new(), &mut sink).unwrap_err();
        assert!(
            matches!(&e, Error::Imap(t) if t.contains("certificate")),
            "{e:?}"
        );
    }
    // No LOGIN reached the server.
    assert!(!d.log().contains("Login: user=<jane>"), "{}", d.log());
}

#[test]
fn seen_flags_are_unchanged() {
    let d = dovecot!();
    d.add_message("INBOX", &mail(1, "Unread 1"));
    d.add_message_with("INBOX", &mail(2, "Read 2"), "S", SystemTime::now());
    d.add_message_with("INBOX", &mail(3, "Flagged 3"), "F", SystemTime::now());
    d.add_message("Receipts", &mail(4, "Unread 4"));
    let before = (d.flags("INBOX"), d.flags("Receipts"));
    // Whole messages and headers alike.
    let mut sink = Recorder::wanting("Subject:");
    run(&account(&d, Security::Tls), &BTreeMap::new(), &mut sink);
    assert_eq!(sink.got.len(), 4);
    assert!(sink.got.iter().all(|g| !g.header_only));
    let mut sink = Recorder::default();
    run(
        &account(&d, Security::StartTls),
        &BTreeMap::new(),
        &mut sink,
    );
    let after = (d.flags("INBOX"), d.flags("Receipts"));
    assert_eq!(before, after);
    assert_eq!(after.0.values().filter(|f| f.contains('S')).count(), 1);
}

#[test]
fn a_message_over_the_limit_arrives_truncated() {
    let d = dovecot!();
    let mut big = mail(1, "Big 1");
    let line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n";
    while big.len() < 6 * 1024 * 1024 {
        big.extend_from_slice(line.as_bytes());
    }
    d.add_message("INBOX", &big);
    d.add_message("INBOX", &mail(2, "Small 2"));
    let mut acc = account(&d, Security::Tls);
    acc.folders = vec!["INBOX".into()];
    let mut sink = Recorder::wanting("Subject:");
    let report = run(&acc, &BTreeMap::new(), &mut sink);
    assert_eq!(sink.got.len(), 2);
    let cut = &sink.got[0];
    assert!(cut.truncated && !cut.header_only);
    assert_eq!(cut.raw.len(), MAX_MESSAGE_BYTES as usize);
    assert_eq!(cut.raw[..], big[..MAX_MESSAGE_BYTES as usize]);
    assert!(!sink.got[1].truncated);
    assert_eq!(report.folders[0].truncated, 1);
    assert_eq!(report.folders[0].fetched_whole, 2);
}

#[test]
fn an_unknown_folder_is_an_error_naming_it() {
    let d = dovecot!();
    let mut acc = account(&d, Security::Tls);
    acc.folders = vec!["INBOX".into(), "No Such Folder".into()];
    let e = fetch(&acc, &BTreeMap::new(), &mut Recorder::default()).unwrap_err();
    assert!(
        matches!(&e, Error::Imap(t) if t.contains("\"No Such Folder\"")),
        "{e:?}"
    );
    assert_eq!(e.code(), "imap.failed");
}

#[test]
fn checkpoints_keep_progress_across_a_crash_and_a_cancel() {
    let d = dovecot!();
    for n in 1..=700 {
        d.add_message("INBOX", &mail(n, &format!("M {n}")));
    }
    let mut acc = account(&d, Security::Tls);
    acc.folders = vec![];
    // The sink fails at the 651st message: the checkpoint after 600 stays.
    let mut crashed = Recorder {
        fail_at: Some(650),
        ..Recorder::default()
    };
    fetch(&acc, &BTreeMap::new(), &mut crashed).unwrap_err();
    assert_eq!(crashed.checkpoints.len(), 1);
    let state = crashed.states()["INBOX"];
    assert_eq!(state.last_uid, crashed.got[599].uid);

    // Restarted from there: the rest, then cancelled after 40 of them.
    let mut cancelled = Recorder {
        cancel_after: Some(40),
        ..Recorder::default()
    };
    let e = fetch(&acc, &crashed.states(), &mut cancelled).unwrap_err();
    assert!(matches!(e, Error::Cancelled), "{e:?}");
    assert_eq!(cancelled.subjects()[0], "M 601");
    assert_eq!(cancelled.got.len(), 40);
    // What was delivered before the cancel is checkpointed.
    assert_eq!(cancelled.states()["INBOX"].last_uid, cancelled.got[39].uid);

    let mut rest = Recorder::default();
    run(&acc, &cancelled.states(), &mut rest);
    assert_eq!(rest.got.len(), 60);
    assert_eq!(rest.subjects()[0], "M 641");
    assert_eq!(rest.subjects()[59], "M 700");
}

/// A fake server on loopback: `script` answers each line it is sent (the
/// greeting first), then the server closes its side; it records what it
/// was sent.
fn fake_server(
    script: impl FnOnce(&mut dyn FnMut(&str), &mut dyn FnMut() -> Option<String>) + Send + 'static,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        let mut seen = Vec::new();
        let mut send = |s: &str| {
            let _ = out.write_all(s.as_bytes());
        };
        let mut recv = || {
            let mut line = String::new();
            match lines.read_line(&mut line) {
                Ok(n) if n > 0 => {
                    seen.push(line.clone());
                    Some(line)
                }
                _ => None,
            }
        };
        script(&mut send, &mut recv);
        // Closed (for writing) once the script is done.
        let _ = out.shutdown(std::net::Shutdown::Write);
        // Whatever else the client sent.
        while recv().is_some() {}
        seen
    });
    (port, handle)
}

fn fake_account(port: u16) -> ImapAccount {
    ImapAccount {
        host: "127.0.0.1".into(),
        port: Some(port),
        user: "jane".into(),
        password: SecretString::from("hunter2"),
        folders: vec![],
        security: Security::StartTls,
        ca_file: None,
        since: None,
        timeout: None,
    }
}

#[test]
fn a_server_without_starttls_gets_no_login() {
    let (port, server) = fake_server(|send, recv| {
        send("* OK fake IMAP ready\r\n");
        let cmd = recv().unwrap();
        let tag = cmd.split(' ').next().unwrap().to_string();
        send(&format!(
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"
        ));
    });
    let e = fetch(
        &fake_account(port),
        &BTreeMap::new(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Imap(t) if t.contains("STARTTLS")),
        "{e:?}"
    );
    let seen = server.join().unwrap();
    assert!(
        seen.iter()
            .all(|l| !l.contains("LOGIN") && !l.contains("hunter2")),
        "{seen:?}"
    );
}

#[test]
fn garbage_or_a_closed_connection_is_an_imap_error() {
    let (port, server) = fake_server(|send, _| send("HTTP/1.1 400 Bad Request\r\n\r\n"));
    let e = fetch(
        &fake_account(port),
        &BTreeMap::new(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Imap(t) if t.contains("not an IMAP server")),
        "{e:?}"
    );
    server.join().unwrap();

    let (port, server) = fake_server(|send, recv| {
        send("* OK ready\r\n");
        recv();
        send("* CAPABILITY IMAP4rev1 STAR");
    });
    let e = fetch(
        &fake_account(port),
        &BTreeMap::new(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Imap(t) if t.contains("closed")),
        "{e:?}"
    );
    server.join().unwrap();

    // Nothing listening.
    let port = TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = fetch(
        &fake_account(port),
        &BTreeMap::new(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Imap(t) if t.contains("cannot connect")),
        "{e:?}"
    );
}

/// A server that accepts and then says nothing (a dead one, or a filter
/// that swallows the connection): the run gives up after the timeout with
/// an IMAP error, before the greeting and after it, and never hangs.
#[test]
fn a_server_that_stops_answering_times_out() {
    let mut account = fake_account(0);
    account.timeout = Some(Duration::from_millis(300));

    // Silent from the start: no greeting.
    let (port, server) = fake_server(|_, recv| {
        // Waits for a line the client never sends, until it gives up.
        recv();
    });
    account.port = Some(port);
    let started = std::time::Instant::now();
    let e = fetch(&account, &BTreeMap::new(), &mut Recorder::default()).unwrap_err();
    assert!(
        matches!(&e, Error::Imap(t) if t.contains("stopped answering")),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    server.join().unwrap();

    // Greets, then never answers CAPABILITY.
    let (port, server) = fake_server(|send, recv| {
        send("* OK fake IMAP ready\r\n");
        recv();
        recv();
    });
    account.port = Some(port);
    let e = fetch(&account, &BTreeMap::new(), &mut Recorder::default()).unwrap_err();
    assert!(
        matches!(&e, Error::Imap(t) if t.contains("stopped answering")),
        "{e:?}"
    );
    assert_eq!(e.code(), "imap.failed");
    server.join().unwrap();

    // Too short a timeout is refused before connecting.
    account.timeout = Some(Duration::ZERO);
    let e = fetch(&account, &BTreeMap::new(), &mut Recorder::default()).unwrap_err();
    assert_eq!(e.field(), Some("timeout"));
}
