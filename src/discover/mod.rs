//! Discovery: bringing the person's relationships in from their own mail,
//! on their own machine.
//!
//! A run reads a source (mbox, Maildir, `.eml`, IMAP) one message at a time
//! and stages what it learns as **proposals**, one per organisational domain
//! (`news.shop.co.uk` and `orders.shop.co.uk` are one proposal
//! `shop.co.uk`), inside the vault and sealed like everything else. Nothing
//! becomes a brand or record until the person accepts a proposal. Message
//! bodies are never kept: only the fields taken from them, and a keyed
//! digest of each Message-ID, so a second run over the same mail stages
//! nothing twice without keeping the ids in clear.
//!
//! - `message.rs` reads a message's headers (and, when needed, its HTML);
//!   [`markup`] takes orders, invoices, deliveries and reservations from the
//!   schema.org markup in that HTML; [`domain`] tells brands from people.
//! - [`source`] streams files; `imap` (feature `imap`) reads a mailbox over
//!   IMAP, read-only and incrementally.
//! - `run.rs` stages; `proposals.rs` lists, accepts, ignores and merges.

pub mod domain;
#[cfg(feature = "imap")]
pub mod imap;
pub mod markup;
pub(crate) mod message;
mod proposals;
mod run;
pub mod source;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{BrandId, RecordKind, Unsubscribe};

#[cfg(feature = "http")]
pub use proposals::OneClickTarget;
#[doc(hidden)]
pub use run::check_message;
pub use run::{Cancel, Progress, RunOptions};

/// The document kind of one staged message (id: the keyed digest of its
/// Message-ID).
pub(crate) const MESSAGE_DOC: &str = "discover.message";
/// The document kind of one proposal's state (id: the proposal's id).
pub(crate) const PROPOSAL_DOC: &str = "discover.proposal";
/// The document kind of one IMAP folder's position (id: a keyed digest of
/// the host, user and folder).
#[cfg(feature = "imap")]
pub(crate) const IMAP_DOC: &str = "discover.imap";

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub enum Direction {
    /// The brand wrote to the person.
    Inbound,
    /// The person wrote to the brand.
    Outbound,
}

impl Direction {
    /// The word interaction records use.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// How a run went: what was read, what was skipped and why, and what it
/// staged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Summary {
    /// Messages read.
    pub messages: u64,
    /// Messages staged for review.
    pub staged: u64,
    /// Messages skipped, by reason (`already seen`, `personal
    /// correspondent`…).
    pub skipped: BTreeMap<String, u64>,
    /// Messages longer than the limit, read only up to it.
    pub truncated: u64,
    /// Proposals this run made.
    pub proposals_new: u64,
    /// Proposals that were there and got more messages.
    pub proposals_updated: u64,
}

/// What the person says about a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "brand")]
pub(crate) enum Decision {
    /// Not decided yet.
    Pending,
    /// Not a brand to keep: its mail is not proposed again.
    Ignored,
    /// Accepted as, or merged into, this brand: later mail is proposed as
    /// an update of it.
    Brand(BrandId),
}

/// A proposal's state, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProposalState {
    pub id: String,
    pub domain: String,
    pub decision: Decision,
}

/// One staged message, as kept: what was taken from it, until it is
/// accepted or ignored (then only that it was seen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StagedMessage {
    pub id: String,
    pub proposal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<MessageFacts>,
}

/// What one message says, as staged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MessageFacts {
    /// The brand's address on it (the sender, or whom the person wrote to).
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub direction: Direction,
    pub at: DateTime<Utc>,
    pub subject: String,
    pub purpose: String,
    /// A keyed digest of the thread's first Message-ID.
    pub thread: String,
    /// The person's addresses on it.
    #[serde(default)]
    pub holds: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<Unsubscribe>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub found: Vec<markup::Found>,
    /// It reads as the confirmation of a new account.
    #[serde(default)]
    pub signup: bool,
}

/// One proposed brand, with what would enter the vault on acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Proposal {
    /// Its id (give a unique prefix to accept, ignore or merge it).
    pub id: String,
    /// The name the brand would get.
    pub name: String,
    /// The organisational domain.
    pub domain: String,
    /// The brand's addresses seen.
    pub senders: Vec<String>,
    /// The brand this would add to (matched by domain or name, or chosen
    /// before), if any.
    pub existing_brand: Option<BrandId>,
    /// Messages.
    pub messages: u32,
    /// From the brand.
    pub inbound: u32,
    /// From the person.
    pub outbound: u32,
    /// Bulk mail among them.
    pub marketing: u32,
    /// Orders (and other purchases) found in markup.
    pub orders: u32,
    /// The person's addresses the brand writes to (or is written from).
    pub holds: Vec<String>,
    /// The first message's date.
    pub first_seen: NaiveDate,
    /// The last message's date.
    pub last_seen: NaiveDate,
    /// How to leave its mailing list.
    pub unsubscribe: Option<Unsubscribe>,
    /// Some subjects, newest first.
    pub samples: Vec<String>,
    /// Threads of more than one message.
    pub threads: u32,
    /// The records acceptance would add.
    pub records: Vec<ProposedRecord>,
}

/// A record a proposal would add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ProposedRecord {
    /// Its kind.
    pub kind: RecordKind,
    /// Its fields.
    pub fields: BTreeMap<String, String>,
    /// For an interaction: its thread (a digest), so the list can group
    /// them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
}

/// How to accept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct AcceptOptions {
    /// One interaction per thread rather than per message.
    #[serde(default)]
    pub collapse_threads: bool,
}

/// What an acceptance added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Accepted {
    /// Brands made.
    pub brands_new: u32,
    /// Existing brands added to.
    pub brands_updated: u32,
    /// Records added, by kind.
    pub records: BTreeMap<String, u32>,
}
