//! The `vrm` command line as clap parses it: global options and commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use vrm_vault::{BrandInput, RecordFilter, RecordKind};

use super::audit::AuditCommand;
use super::brandkit::BrandKitCommand;
use super::discover::DiscoverCommand;
use super::intents::{IntentCommand, OfferCommand};
use super::io::{parse_day, parse_field};
use super::relays::RelayCommand;
use super::rights::{ContactCommand, RightsCommand};
use super::share::{ExposureCommand, ShareCommand};
use super::sync::{DeviceCommand, SyncCommand};
use super::terms::TermsCommand;
use super::vault::{IntegrityCommand, RecoveryCodeCommand};

/// Your own encrypted vault of relationship data with companies.
#[derive(Debug, Parser)]
#[command(name = "vrm", version, about, long_about = None, max_term_width = 100)]
pub(super) struct Cli {
    /// Vault folder [default: the per-user data folder, e.g. ~/.local/share/vrm-vault]
    #[arg(long, global = true, env = "VRM_VAULT", value_name = "DIR")]
    pub(super) vault: Option<PathBuf>,

    /// Read the vault passphrase from this file (else $VRM_PASSPHRASE, else a prompt)
    #[arg(long, global = true, value_name = "FILE")]
    pub(super) passphrase_file: Option<PathBuf>,

    /// When setting a passphrase: aim for the key derivation to take this long
    /// (never below 64 MiB and 3 passes of Argon2id)
    #[arg(
        long,
        global = true,
        env = "VRM_KDF_TARGET_MS",
        value_name = "MS",
        hide_short_help = true
    )]
    pub(super) kdf_target_ms: Option<u64>,

    #[command(subcommand)]
    pub(super) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Create a new vault and print its recovery code (once)
    Init,
    /// Show the vault's location and contents at a glance
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Change the passphrase (re-wraps the vault key; data is not re-encrypted)
    Passwd {
        /// Read the new passphrase from this file (else $VRM_NEW_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Set a new passphrase using the recovery code; prints a new recovery code
    Recover {
        /// Read the recovery code from this file (else $VRM_RECOVERY_CODE, else a prompt)
        #[arg(long, value_name = "FILE")]
        recovery_code_file: Option<PathBuf>,
        /// Read the new passphrase from this file (else $VRM_NEW_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Make a new vault key and seal everything again under it (a new passphrase
    /// and a new recovery code; old copies of the header open nothing written since)
    Rekey {
        /// Read the new passphrase from this file (else $VRM_NEW_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Replace the recovery code while unlocked (for a code that may have been seen)
    #[command(subcommand, name = "recovery-code")]
    RecoveryCode(RecoveryCodeCommand),
    /// The vault as a whole: rows deleted, added or put back behind its back; older copies
    #[command(subcommand)]
    Integrity(IntegrityCommand),
    /// Brands: the companies you deal with
    #[command(subcommand)]
    Brand(BrandCommand),
    /// Records: profile facts, accounts, purchases, interactions…
    #[command(subcommand)]
    Record(RecordCommand),
    /// Find brands and records: every word must match (case-insensitive)
    Search {
        /// Words to look for
        #[arg(required = true)]
        query: Vec<String>,
        /// Only this brand's records
        #[arg(long)]
        brand: Option<String>,
        /// Only records of this kind
        #[arg(long)]
        kind: Option<RecordKind>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Import records from a JSON export or a CSV file (all or nothing)
    Import {
        /// The file (.json or .csv)
        file: PathBuf,
    },
    /// Write the whole vault to an age-encrypted backup
    Export {
        /// Where to write it
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Encrypt to this age recipient (repeatable)
        #[arg(long, value_name = "AGE1…", required_unless_present = "passphrase")]
        recipient: Vec<String>,
        /// Encrypt with a passphrase instead (from --backup-passphrase-file,
        /// $VRM_BACKUP_PASSPHRASE or a prompt)
        #[arg(long, conflicts_with = "recipient")]
        passphrase: bool,
        /// Read the backup passphrase from this file
        #[arg(long, value_name = "FILE")]
        backup_passphrase_file: Option<PathBuf>,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Your terms of service for brands: versions, signed copies, brands' answers
    #[command(subcommand)]
    Terms(TermsCommand),
    /// Share records with a brand, revoke, import erasure acknowledgments
    #[command(subcommand)]
    Share(ShareCommand),
    /// Who holds what you shared, and what brands are seen to hold in your mail (data item × brand)
    Exposure {
        /// Print JSON
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<ExposureCommand>,
    },
    /// GDPR and CCPA data-rights requests, with their deadlines
    #[command(subcommand)]
    Rights(RightsCommand),
    /// Contacts from brands, and the contact rules they broke
    #[command(subcommand)]
    Contact(ContactCommand),
    /// The activity log: list it, check it
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Bring brands, interactions, orders and subscriptions in from your own mail, for review
    #[command(subcommand)]
    Discover(DiscoverCommand),
    /// Intentcasting: say what you want, signed, to the brands you choose
    #[command(subcommand)]
    Intent(IntentCommand),
    /// Nostr relays where your intents are broadcast and offers fetched
    #[command(subcommand)]
    Relay(RelayCommand),
    /// Offers brands made in answer to your intents
    #[command(subcommand)]
    Offer(OfferCommand),
    /// Verify any signed document (W3C VC, eddsa-jcs-2022) and say who signed it
    Verify {
        /// The document (JSON)
        file: PathBuf,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Sync this vault with your other devices: push what changed here, pull theirs
    Sync {
        /// Print JSON
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<SyncCommand>,
    },
    /// Your devices of this vault: list, invite a new one, join from an invitation
    #[command(subcommand)]
    Device(DeviceCommand),
    /// The brand's side: keys, open bundles, answer terms, acknowledge erasure
    #[command(subcommand, name = "brand-kit")]
    BrandKit(BrandKitCommand),
    /// Rebuild a vault from a backup into a new folder (--vault NEWDIR)
    Restore {
        /// The backup file
        file: PathBuf,
        /// Open it with this age identity file (else it is passphrase-protected)
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
        /// Read the backup passphrase from this file (else $VRM_BACKUP_PASSPHRASE, else a prompt)
        #[arg(long, value_name = "FILE")]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// Write the man pages and shell completions into DIR (for packagers)
    #[command(name = "generate-docs", hide = true)]
    GenerateDocs {
        /// The folder; gets usr/share/man/man1/… and usr/share/*completion*/…
        dir: PathBuf,
    },
}

#[derive(Debug, Args)]
pub(super) struct BrandFields {
    /// Web domain, e.g. example.com
    #[arg(long)]
    pub(super) domain: Option<String>,
    /// How to reach them
    #[arg(long)]
    pub(super) contact: Option<String>,
    /// Your notes
    #[arg(long)]
    pub(super) notes: Option<String>,
    /// Their age recipient (age1…), for encrypted shares
    #[arg(long)]
    pub(super) age_recipient: Option<String>,
    /// Their did:key, to verify what they sign
    #[arg(long)]
    pub(super) did: Option<String>,
    /// Their inbox URL
    #[arg(long)]
    pub(super) inbox: Option<String>,
    /// Whether their inbox may be on your own network (a private or
    /// link-local address); otherwise only public addresses and this machine
    #[arg(long, value_name = "yes|no", value_parser = clap::builder::BoolishValueParser::new())]
    pub(super) allow_private_inbox: Option<bool>,
}

impl BrandFields {
    pub(super) fn into_input(self, name: Option<String>) -> BrandInput {
        BrandInput {
            name,
            domain: self.domain,
            contact: self.contact,
            notes: self.notes,
            age_recipient: self.age_recipient,
            did: self.did,
            inbox: self.inbox,
            allow_private_inbox: self.allow_private_inbox,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(super) enum BrandCommand {
    /// Add a brand; prints its id
    ///
    /// Limits: the name at most 200 characters (no control characters); the
    /// contact and the notes at most 64 KiB each.
    Add {
        /// The brand's name (at most 200 characters)
        name: String,
        #[command(flatten)]
        fields: BrandFields,
    },
    /// List brands
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show a brand and its timeline of records
    Show {
        /// Id, id prefix or name
        brand: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Change a brand (an empty value clears it)
    Edit {
        /// Id, id prefix or name
        brand: String,
        /// New name (at most 200 characters)
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: BrandFields,
    },
    /// Delete a brand and all its records, for good
    Delete {
        /// Id, id prefix or name
        brand: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum RecordCommand {
    /// Add a record; prints its id
    ///
    /// Limits: at most 200 fields, each value at most 64 KiB (65,536 bytes),
    /// field names at most 64 characters; at most 50 tags of at most 64
    /// characters (no spaces, commas or semicolons).
    Add {
        /// profile, account, purchase, warranty, subscription, preference, note or interaction
        #[arg(long)]
        kind: RecordKind,
        /// The brand it belongs to (id, id prefix or name)
        #[arg(long)]
        brand: Option<String>,
        /// A field, name=value (repeatable; a value is at most 64 KiB, a record has at most 200 fields)
        #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// A tag (repeatable; at most 50 per record, each at most 64 characters)
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// List records, newest first
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// Only this many (1 to 500), from --offset; says how many match in all
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Skip this many first (with --limit)
        #[arg(long, value_name = "N", requires = "limit")]
        offset: Option<usize>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one record
    Show {
        /// Id or unique id prefix
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Change a record
    ///
    /// The same limits as `record add`: at most 200 fields of at most 64 KiB
    /// each, at most 50 tags of at most 64 characters.
    Edit {
        /// Id or unique id prefix
        id: String,
        /// New kind
        #[arg(long)]
        kind: Option<RecordKind>,
        /// Move it to this brand
        #[arg(long, conflicts_with = "no_brand")]
        brand: Option<String>,
        /// Detach it from its brand
        #[arg(long)]
        no_brand: bool,
        /// Set a field, name=value (repeatable; a value is at most 64 KiB, a record has at most 200 fields)
        #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// Remove a field (repeatable)
        #[arg(long = "remove-field", value_name = "NAME")]
        remove_fields: Vec<String>,
        /// Add a tag (repeatable; at most 50 per record, each at most 64 characters)
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Remove a tag (repeatable)
        #[arg(long = "untag", value_name = "TAG")]
        untags: Vec<String>,
    },
    /// Delete records for good
    Delete {
        /// Ids or unique id prefixes
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Values of this record that lost to a later edit on another device, numbered
    History {
        /// Id or unique id prefix
        id: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Put a value from the record's history back (see `vrm record history`)
    Restore {
        /// Id or unique id prefix
        id: String,
        /// The number `vrm record history` gives it
        #[arg(long, value_name = "N")]
        version: usize,
    },
}

#[derive(Debug, Args)]
pub(super) struct FilterArgs {
    /// Only this brand (id, id prefix or name)
    #[arg(long)]
    pub(super) brand: Option<String>,
    /// Only this kind
    #[arg(long)]
    pub(super) kind: Option<RecordKind>,
    /// Only records with this tag (repeatable: all must match)
    #[arg(long = "tag", value_name = "TAG")]
    pub(super) tags: Vec<String>,
    /// Only records dated on or after this day (YYYY-MM-DD)
    #[arg(long, value_parser = parse_day)]
    pub(super) since: Option<chrono::NaiveDate>,
    /// Only records dated on or before this day (YYYY-MM-DD)
    #[arg(long, value_parser = parse_day)]
    pub(super) until: Option<chrono::NaiveDate>,
}

impl From<FilterArgs> for RecordFilter {
    fn from(a: FilterArgs) -> Self {
        RecordFilter {
            brand: a.brand,
            kind: a.kind,
            tags: a.tags,
            since: a.since,
            until: a.until,
        }
    }
}
