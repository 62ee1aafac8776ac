//! A discovery run: each message read from a source is judged (a brand's
//! mail, a person's, the person's own, seen before, from an ignored sender)
//! and a brand's is staged, in batches of [`BATCH`] messages, each batch
//! one transaction, so a run killed half way leaves whole batches and never
//! half a proposal.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use super::domain::{is_personal_mail_domain, org_domain};
use super::message::{self, Headers};
use super::source::{self, MessageSink, RawMessage};
use super::{
    Decision, Direction, MESSAGE_DOC, MessageFacts, PROPOSAL_DOC, ProposalState, StagedMessage,
    Summary, markup,
};
use crate::crypto::Digester;
use crate::error::{Error, Result};
use crate::model::{RecordFilter, RecordKind};
use crate::vault::Vault;
use crate::vault::features::Discovery;

/// Messages staged per transaction.
const BATCH: usize = 500;

/// A flag another thread sets to stop a run between two messages.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not set.
    pub fn new() -> Self {
        Cancel::default()
    }
    /// Ask the run to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether the run was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Told how a run is going, now and then.
pub trait Progress {
    /// The counts so far, and `done` of `total` bytes of the current file
    /// when the source knows them.
    fn update(&mut self, summary: &Summary, bytes: Option<(u64, u64)>);
}

/// How to run: the person's own addresses (besides the emails in their
/// profile records), a cancel flag, and who to tell of progress.
#[derive(Default)]
pub struct RunOptions<'p> {
    /// The person's addresses (`--me`).
    pub me: Vec<String>,
    /// Set to stop between two messages.
    pub cancel: Cancel,
    /// Told of progress.
    pub progress: Option<&'p mut dyn Progress>,
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("me", &self.me.len())
            .finish_non_exhaustive()
    }
}

/// The subject lines that confirm a new account, lower case; a message
/// whose subject starts with one (and is not bulk mail) proposes an
/// account.
const SIGNUP_SUBJECTS: &[&str] = &[
    "welcome to ",
    "confirm your email",
    "confirm your e-mail",
    "confirm your account",
    "confirm your registration",
    "verify your email",
    "verify your e-mail",
    "verify your account",
    "activate your account",
    "your account has been created",
    "your new account",
    "thanks for signing up",
    "thank you for signing up",
    "thanks for registering",
    "thank you for registering",
    "complete your registration",
];

/// What one message says on its own, before the vault's state is
/// consulted: its headers, and its HTML if that may hold schema.org markup
/// (read only if the message is staged).
pub(crate) struct Reading {
    headers: Headers,
    markup_html: Option<String>,
}

impl Reading {
    /// The bytes it holds beyond its headers.
    fn extra_bytes(&self) -> usize {
        self.markup_html.as_ref().map_or(0, String::len)
    }
}

/// Read one message: one parse, whole (the headers, then the HTML from the
/// same parse). Needs nothing of the run, so it can run on another thread
/// while the run stages the messages before it.
fn read_message(raw: &[u8]) -> std::result::Result<Reading, &'static str> {
    let parsed = message::Parsed::new(raw).ok_or("unreadable")?;
    let headers = parsed.headers();
    let markup_html = if headers.may_have_html {
        parsed
            .html(markup::MAX_HTML_BYTES)
            .filter(|html| markup::may_have_markup(html))
            .map(std::borrow::Cow::into_owned)
    } else {
        None
    };
    Ok(Reading {
        headers,
        markup_html,
    })
}

/// Read `raw` as a run does, then its markup, and check the promises the
/// rest of discovery relies on (clean, bounded text; plausible, lower-case
/// addresses; bounded lists); panics when one is broken. The fuzz target's
/// way in (`fuzz/fuzz_targets/message.rs`), not an API.
#[doc(hidden)]
pub fn check_message(raw: &[u8]) {
    let Ok(reading) = read_message(raw) else {
        return;
    };
    let h = &reading.headers;
    let clean = |s: &str| {
        s.chars().count() <= 200
            && !s.chars().any(crate::model::text::is_hidden)
            && s.trim() == s
            && !s.contains("  ")
    };
    assert!(clean(&h.subject), "subject {:?}", h.subject);
    let mailboxes = h.from.iter().chain(&h.recipients);
    for m in mailboxes {
        assert_eq!(
            message::clean_address(&m.address).as_deref(),
            Some(m.address.as_str())
        );
        assert!(m.name.as_deref().is_none_or(|n| clean(n) && !n.is_empty()));
    }
    assert!(h.recipients.len() <= 100);
    for id in [&h.message_id, &h.thread_root].into_iter().flatten() {
        assert!(!id.is_empty() && id.len() <= 998);
    }
    if let Some(html) = &reading.markup_html {
        assert!(html.len() <= markup::MAX_HTML_BYTES);
        assert!(markup::may_have_markup(html));
        assert!(markup::read_all(html).len() <= markup::MAX_FOUND);
    }
}

pub(crate) struct Run<'v, 'p> {
    vault: &'v mut Vault,
    digester: Digester,
    me: HashSet<String>,
    own_domains: HashSet<String>,
    seen: HashSet<String>,
    /// domain → (proposal id, decision, kept before this run)
    proposals: HashMap<String, (String, Decision, bool)>,
    touched: HashSet<String>,
    staged: Vec<StagedMessage>,
    new_states: Vec<ProposalState>,
    pub(crate) summary: Summary,
    cancel: Cancel,
    progress: Option<&'p mut dyn Progress>,
    bytes: Option<(u64, u64)>,
}

impl<'v, 'p> Run<'v, 'p> {
    pub(crate) fn new(vault: &'v mut Vault, opts: RunOptions<'p>) -> Result<Self> {
        let mut me: HashSet<String> = HashSet::new();
        for a in &opts.me {
            let clean = message::clean_address(a).ok_or_else(|| {
                Error::invalid_field("me", format!("{a:?} is not an email address"))
            })?;
            me.insert(clean);
        }
        for r in vault.list_records(&RecordFilter {
            kind: Some(RecordKind::Profile),
            ..Default::default()
        })? {
            if let Some(a) = r
                .fields
                .get("email")
                .and_then(|e| message::clean_address(e))
            {
                me.insert(a);
            }
        }
        let own_domains = me
            .iter()
            .filter_map(|a| org_domain(a))
            .filter(|d| !is_personal_mail_domain(d))
            .collect();
        let seen = vault.doc_ids(MESSAGE_DOC)?.into_iter().collect();
        let (states, damaged) = vault.docs::<ProposalState>(PROPOSAL_DOC)?;
        if let Some(id) = damaged.first() {
            return Err(Error::Tampered {
                table: "documents",
                id: id.clone(),
            });
        }
        let proposals = states
            .into_iter()
            .map(|s| (s.domain, (s.id, s.decision, true)))
            .collect();
        Ok(Run {
            digester: vault.digester(b"discovery"),
            vault,
            me,
            own_domains,
            seen,
            proposals,
            touched: HashSet::new(),
            staged: Vec::new(),
            new_states: Vec::new(),
            summary: Summary::default(),
            cancel: opts.cancel,
            progress: opts.progress,
            bytes: None,
        })
    }

    fn skip(&mut self, reason: &str) {
        *self.summary.skipped.entry(reason.to_string()).or_default() += 1;
    }

    fn is_me(&self, address: &str) -> bool {
        self.me.contains(address)
    }

    /// The organisational domain of an address if it could be a brand's:
    /// not a mail provider's (people), not the person's own domain.
    fn brand_domain(&self, address: &str) -> std::result::Result<String, &'static str> {
        let Some(d) = org_domain(address) else {
            return Err("no sender domain");
        };
        if is_personal_mail_domain(&d) {
            return Err("personal correspondent");
        }
        if self.own_domains.contains(&d) {
            return Err("your own domain");
        }
        Ok(d)
    }

    /// Judge one message and stage it if it is a brand's (read here: IMAP
    /// fetches one message at a time and has no file to read ahead in).
    #[cfg(feature = "imap")]
    pub(crate) fn message(
        &mut self,
        raw: &[u8],
        truncated: bool,
        envelope: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.take(read_message(raw), truncated, envelope)
    }

    /// Judge one message already read (by [`read_message`], maybe on
    /// another thread) and stage it if it is a brand's.
    fn take(
        &mut self,
        reading: std::result::Result<Reading, &'static str>,
        truncated: bool,
        envelope: Option<DateTime<Utc>>,
    ) -> Result<()> {
        if self.cancel.is_cancelled() {
            self.flush()?;
            return Err(Error::Cancelled);
        }
        self.summary.messages += 1;
        if truncated {
            self.summary.truncated += 1;
        }
        let out = reading.and_then(|r| self.judge(r, envelope));
        if let Err(reason) = out {
            self.skip(reason);
        }
        if self.staged.len() >= BATCH {
            self.flush()?;
        }
        if let (true, Some(p)) = (
            self.summary.messages.is_multiple_of(256),
            self.progress.as_mut(),
        ) {
            p.update(&self.summary, self.bytes);
        }
        Ok(())
    }

    fn judge(
        &mut self,
        reading: Reading,
        envelope: Option<DateTime<Utc>>,
    ) -> std::result::Result<(), &'static str> {
        let Reading {
            headers: h,
            markup_html,
        } = reading;
        let from = h.from.clone().ok_or("no sender")?;
        let (direction, brand_address, brand_name, holds) = if self.is_me(&from.address) {
            let mut reason = "between your own addresses";
            let counterpart = h.recipients.iter().find_map(|r| {
                if self.is_me(&r.address) {
                    return None;
                }
                match self.brand_domain(&r.address) {
                    Ok(_) => Some(r.clone()),
                    Err(why) => {
                        reason = why;
                        None
                    }
                }
            });
            let to = counterpart.ok_or(reason)?;
            (
                Direction::Outbound,
                to.address,
                to.name,
                vec![from.address.clone()],
            )
        } else {
            let domain = self.brand_domain(&from.address)?;
            let holds: Vec<String> = h
                .recipients
                .iter()
                .filter(|r| {
                    if self.me.is_empty() {
                        org_domain(&r.address).as_deref() != Some(domain.as_str())
                    } else {
                        self.is_me(&r.address)
                    }
                })
                .map(|r| r.address.clone())
                .take(10)
                .collect();
            (
                Direction::Inbound,
                from.address.clone(),
                from.name.clone(),
                holds,
            )
        };
        let domain = self.brand_domain(&brand_address)?;
        let at = h.date.or(envelope).ok_or("no date")?;
        let key = self.key(&h, &from.address, at);
        if !self.seen.insert(key.clone()) {
            return Err("already seen");
        }
        let proposal = match self.proposals.get(&domain) {
            Some((_, Decision::Ignored, _)) => return Err("ignored sender"),
            Some((id, _, _)) => id.clone(),
            None => {
                let id = self.digester.hex(&[b"domain", domain.as_bytes()], 12);
                self.proposals
                    .insert(domain.clone(), (id.clone(), Decision::Pending, false));
                self.new_states.push(ProposalState {
                    id: id.clone(),
                    domain: domain.clone(),
                    decision: Decision::Pending,
                });
                id
            }
        };
        let found = markup_html
            .map(|html| markup::read_all(&html))
            .unwrap_or_default();
        let lower = h.subject.to_lowercase();
        let signup = direction == Direction::Inbound
            && !h.bulk
            && holds.len() == 1
            && SIGNUP_SUBJECTS.iter().any(|s| lower.starts_with(s));
        let thread = self.digester.hex(
            &[
                b"thread",
                h.thread_root.as_deref().unwrap_or(&key).as_bytes(),
            ],
            16,
        );
        let purpose = match (h.bulk, direction) {
            (true, _) => "marketing",
            (false, Direction::Inbound) => "service",
            (false, Direction::Outbound) => "support",
        };
        self.touched.insert(proposal.clone());
        self.summary.staged += 1;
        let Headers {
            subject,
            unsubscribe,
            ..
        } = h;
        self.staged.push(StagedMessage {
            id: key,
            proposal,
            facts: Some(MessageFacts {
                address: brand_address,
                name: brand_name,
                direction,
                at,
                subject,
                purpose: purpose.to_string(),
                thread,
                holds,
                unsubscribe: if direction == Direction::Inbound {
                    unsubscribe
                } else {
                    None
                },
                found,
                signup,
            }),
        });
        Ok(())
    }

    /// The keyed digest a message is known by: of its Message-ID, else of
    /// what identifies it best, so a re-run still recognises it.
    fn key(&self, h: &Headers, from: &str, at: DateTime<Utc>) -> String {
        match &h.message_id {
            Some(id) => self.digester.hex(&[b"message-id", id.as_bytes()], 32),
            None => self.digester.hex(
                &[
                    b"no-message-id",
                    from.as_bytes(),
                    at.to_rfc3339().as_bytes(),
                    h.subject.as_bytes(),
                ],
                32,
            ),
        }
    }

    /// Whether a message's whole text is worth fetching, from its header
    /// alone: a brand's HTML mail not seen before, from a sender not
    /// ignored (only its markup needs the body).
    #[cfg(feature = "imap")]
    fn wants_body(&self, header: &[u8]) -> bool {
        let Some(h) = message::headers(header) else {
            return false;
        };
        let Some(from) = &h.from else {
            return false;
        };
        if !h.may_have_html || self.is_me(&from.address) {
            return false;
        }
        let Ok(domain) = self.brand_domain(&from.address) else {
            return false;
        };
        if matches!(self.proposals.get(&domain), Some((_, Decision::Ignored, _))) {
            return false;
        }
        match h.date {
            Some(at) => !self.seen.contains(&self.key(&h, &from.address, at)),
            None => false,
        }
    }

    /// Commit what is staged (and `also`, such as an IMAP folder's
    /// position) in one transaction.
    pub(crate) fn flush_with(
        &mut self,
        also: impl FnOnce(&mut crate::vault::batch::Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let states = std::mem::take(&mut self.new_states);
        self.vault.write_batch(|batch| {
            for s in &states {
                batch.put_doc(PROPOSAL_DOC, &s.id, None, s)?;
            }
            for m in &staged {
                batch.put_doc(MESSAGE_DOC, &m.id, None, m)?;
            }
            also(batch)
        })
    }

    pub(crate) fn flush(&mut self) -> Result<()> {
        if self.staged.is_empty() && self.new_states.is_empty() {
            return Ok(());
        }
        self.flush_with(|_| Ok(()))
    }

    /// Flush and count the proposals this run made or added to.
    pub(crate) fn finish(mut self) -> Result<Summary> {
        self.flush()?;
        for (id, _, existed) in self.proposals.values() {
            if self.touched.contains(id) {
                if *existed {
                    self.summary.proposals_updated += 1;
                } else {
                    self.summary.proposals_new += 1;
                }
            }
        }
        if let Some(p) = self.progress.as_mut() {
            p.update(&self.summary, self.bytes);
        }
        Ok(self.summary)
    }
}

impl Run<'_, '_> {
    fn bytes_read(&mut self, done: u64, total: u64) {
        self.bytes = Some((done, total));
        if let Some(p) = self.progress.as_mut() {
            p.update(&self.summary, self.bytes);
        }
    }
}

/// How many chunks of read messages may wait for the run: enough that the
/// reader goes on while the run commits a batch ([`BATCH`] messages), few
/// enough that memory stays flat (a reading holds no body, only headers
/// and at most [`READ_CHUNK_BYTES`] of HTML a chunk).
const READ_AHEAD: usize = BATCH / READ_CHUNK + 1;

/// Messages passed from the reading thread at a time: one hand-over per
/// message would cost a wake-up each.
const READ_CHUNK: usize = 32;
/// The most HTML in one chunk (it is passed on with the message when it
/// may hold markup), so what waits in the channel stays small whatever
/// the mail.
const READ_CHUNK_BYTES: usize = 1024 * 1024;

/// What the reading thread hands the run.
// Nearly every item is a message: boxing them to shrink the rare byte
// count would cost an allocation each for nothing.
#[allow(clippy::large_enum_variant)]
enum Read {
    Message {
        reading: std::result::Result<Reading, &'static str>,
        truncated: bool,
        envelope: Option<DateTime<Utc>>,
    },
    Bytes(u64, u64),
}

/// The reading thread's sink: parse each message there and pass on what
/// it says, a chunk at a time.
struct Reader {
    to_run: std::sync::mpsc::SyncSender<Vec<Read>>,
    chunk: Vec<Read>,
    chunk_bytes: usize,
}

impl Reader {
    /// Hand over what is read so far. An error means the run stopped (an
    /// error of its own, or cancelled): the reader stops too, and the
    /// run's own error is the one reported.
    fn pass(&mut self) -> Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(READ_CHUNK));
        self.chunk_bytes = 0;
        self.to_run.send(chunk).map_err(|_| Error::Cancelled)
    }
}

impl MessageSink for Reader {
    fn message(&mut self, msg: RawMessage<'_>) -> Result<()> {
        let reading = read_message(msg.bytes);
        self.chunk_bytes += reading.as_ref().map_or(0, Reading::extra_bytes);
        self.chunk.push(Read::Message {
            reading,
            truncated: msg.truncated,
            envelope: msg.envelope_date,
        });
        if self.chunk.len() >= READ_CHUNK || self.chunk_bytes >= READ_CHUNK_BYTES {
            self.pass()?;
        }
        Ok(())
    }
    fn progress(&mut self, done: u64, total: u64) {
        self.chunk.push(Read::Bytes(done, total));
    }
}

/// Which files a run reads.
#[derive(Debug, Clone, Copy)]
enum FileSource {
    Mbox,
    Maildir,
    Eml,
}

impl Discovery<'_> {
    /// Stage what the mbox files hold.
    pub fn mbox(&mut self, paths: &[PathBuf], opts: RunOptions<'_>) -> Result<Summary> {
        self.files(FileSource::Mbox, paths, opts)
    }

    /// Stage what the Maildir folders hold.
    pub fn maildir(&mut self, dirs: &[PathBuf], opts: RunOptions<'_>) -> Result<Summary> {
        self.files(FileSource::Maildir, dirs, opts)
    }

    /// Stage what the `.eml` files (or folders of them) hold.
    pub fn eml(&mut self, paths: &[PathBuf], opts: RunOptions<'_>) -> Result<Summary> {
        self.files(FileSource::Eml, paths, opts)
    }

    fn files(
        &mut self,
        kind: FileSource,
        paths: &[PathBuf],
        opts: RunOptions<'_>,
    ) -> Result<Summary> {
        if paths.is_empty() {
            return Err(Error::invalid_field(
                "paths",
                "name at least one file or folder",
            ));
        }
        // Every path is checked before anything is read: a typo in the
        // second of two paths stages nothing.
        for p in paths {
            match kind {
                FileSource::Mbox => source::check_mbox(p)?,
                FileSource::Maildir => source::check_maildir(p)?,
                FileSource::Eml => {
                    std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
                }
            }
        }
        let mut run = Run::new(self.vault, opts)?;
        // Two stages, two threads: reading and parsing (most of the work,
        // needing nothing of the vault) beside judging and staging (the
        // vault's writes), so a run costs little more than the parse.
        std::thread::scope(|scope| {
            let (to_run, from_reader) = std::sync::mpsc::sync_channel(READ_AHEAD);
            let reader = scope.spawn(move || -> Result<()> {
                let mut sink = Reader {
                    to_run,
                    chunk: Vec::with_capacity(READ_CHUNK),
                    chunk_bytes: 0,
                };
                for p in paths {
                    match kind {
                        FileSource::Mbox => source::read_mbox(p, &mut sink)?,
                        FileSource::Maildir => source::read_maildir(p, &mut sink)?,
                        FileSource::Eml => source::read_eml(p, &mut sink)?,
                    }
                }
                sink.pass()
            });
            let mut staged = Ok(());
            'chunks: for chunk in &from_reader {
                for read in chunk {
                    staged = match read {
                        Read::Message {
                            reading,
                            truncated,
                            envelope,
                        } => run.take(reading, truncated, envelope),
                        Read::Bytes(done, total) => {
                            run.bytes_read(done, total);
                            Ok(())
                        }
                    };
                    if staged.is_err() {
                        break 'chunks;
                    }
                }
            }
            // Closing the channel stops the reader at its next message.
            drop(from_reader);
            let read = reader.join().unwrap_or_else(|_| {
                Err(Error::MailSource(
                    "reading the mail stopped unexpectedly".to_string(),
                ))
            });
            staged.and(read)
        })?;
        run.finish()
    }
}

#[cfg(feature = "imap")]
mod imap_run {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::{Run, RunOptions};
    use crate::discover::imap::{self, FolderState, ImapAccount, ImapReport, ImapSink};
    use crate::discover::{IMAP_DOC, Summary};
    use crate::error::{Error, Result};
    use crate::vault::features::Discovery;

    /// Where one IMAP folder was read up to, as kept (sealed).
    #[derive(Debug, Clone, Serialize, Deserialize)]
    struct KeptFolder {
        host: String,
        user: String,
        folder: String,
        state: FolderState,
    }

    struct ImapRun<'r, 'v, 'p> {
        run: &'r mut Run<'v, 'p>,
        host: String,
        user: String,
    }

    impl ImapRun<'_, '_, '_> {
        fn doc_id(&self, folder: &str) -> String {
            self.run.digester.hex(
                &[
                    b"imap folder",
                    self.host.as_bytes(),
                    self.user.as_bytes(),
                    folder.as_bytes(),
                ],
                24,
            )
        }
    }

    impl ImapSink for ImapRun<'_, '_, '_> {
        fn wants_body(&mut self, header: &[u8]) -> bool {
            self.run.wants_body(header)
        }
        fn message(
            &mut self,
            _folder: &str,
            _uid: u32,
            raw: &[u8],
            _header_only: bool,
            truncated: bool,
        ) -> Result<()> {
            // A whole message fetched is staged with its markup; a header
            // alone (not a brand's HTML mail, or seen before) is judged on
            // its headers, which is all such a message needs.
            self.run.message(raw, truncated, None)
        }
        fn checkpoint(&mut self, folder: &str, state: FolderState) -> Result<()> {
            let id = self.doc_id(folder);
            let kept = KeptFolder {
                host: self.host.clone(),
                user: self.user.clone(),
                folder: folder.to_string(),
                state,
            };
            // The folder's position is committed with the messages read up
            // to it: a run killed later starts again from here.
            self.run
                .flush_with(|batch| batch.put_doc(IMAP_DOC, &id, None, &kept))
        }
        fn cancelled(&self) -> bool {
            self.run.cancel.is_cancelled()
        }
    }

    impl Discovery<'_> {
        /// Stage what an IMAP account's folders hold that earlier runs did
        /// not read (read-only: `EXAMINE` and `BODY.PEEK`; headers first,
        /// whole messages only for a brand's HTML mail). The password is
        /// used for `LOGIN` alone and kept nowhere.
        pub fn imap(
            &mut self,
            account: &ImapAccount,
            opts: RunOptions<'_>,
        ) -> Result<(Summary, ImapReport)> {
            let host = account.host.trim().to_ascii_lowercase();
            let user = account.user.clone();
            let (kept, damaged) = self.vault.docs::<KeptFolder>(IMAP_DOC)?;
            if let Some(id) = damaged.first() {
                return Err(Error::Tampered {
                    table: "documents",
                    id: id.clone(),
                });
            }
            let known: BTreeMap<String, FolderState> = kept
                .into_iter()
                .filter(|k| k.host == host && k.user == user)
                .map(|k| (k.folder, k.state))
                .collect();
            let mut run = Run::new(self.vault, opts)?;
            let report = {
                let mut sink = ImapRun {
                    run: &mut run,
                    host,
                    user,
                };
                imap::fetch(account, &known, &mut sink)?
            };
            Ok((run.finish()?, report))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// What the fuzz target checks, over header-shaped bytes.
        #[test]
        fn any_message_keeps_its_promises(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("(From|To|Cc|Subject|Message-ID|References|Content-Type): [ -~\\t\u{80}-\u{300}]{0,80}").unwrap(),
                    proptest::string::string_regex("[ -~]{0,60}").unwrap(),
                ],
                0..30,
            )
        ) {
            check_message(lines.join("\r\n").as_bytes());
        }
    }

    #[test]
    fn a_brand_mail_with_markup_keeps_its_promises() {
        let raw = b"From: Shop <Orders@Shop.Example>\r\nTo: jane@example.org\r\n\
Subject:   Your   order\r\nMessage-ID: <1@shop.example>\r\nDate: Tue, 3 Mar 2026 10:00:00 +0000\r\n\
Content-Type: text/html\r\n\r\n<script type=\"application/ld+json\">{\"@type\": \"Order\", \"orderNumber\": \"7\"}</script>";
        check_message(raw);
        let r = read_message(raw).unwrap();
        assert_eq!(r.headers.subject, "Your order");
        assert_eq!(r.headers.from.unwrap().address, "orders@shop.example");
        assert!(r.markup_html.is_some());
    }
}
