//! Moving data in and out: import (JSON, CSV), export to an age-encrypted
//! backup, and restore from one.
//!
//! Imports are all-or-nothing: every row is checked first, then everything
//! is written in one transaction; a bad row is reported with its file, line
//! and reason, and nothing is imported.
//!
//! The export is portable JSON ([`ExportDocument`]) that never touches disk
//! unencrypted: it is streamed into an age encryptor, to X25519 recipients
//! or to a passphrase (scrypt), and the stock `age` command can open it.
//!
//! CSV header mapping: `kind` (required), `brand` (a brand name or id;
//! unknown names create the brand), `date` (the record's `date` field),
//! `tags` (separated by `;`), and `field:NAME` for any other field. Empty
//! cells are skipped.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::str::FromStr;

use age::secrecy::SecretString as AgeSecret;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use crate::crypto::{KdfParams, RecoveryCode};
use crate::error::{Error, Result};
use crate::model::{
    Brand, BrandId, BrandInput, Record, RecordFilter, RecordId, RecordKind, check_fields,
    check_tags,
};
use crate::vault::Vault;
use crate::vault::fs::{AtomicFile, FileMode, OutFile};

/// The `format` value of an export.
pub const EXPORT_FORMAT: &str = "vrm-vault-export";
/// The export format version this build writes and reads.
pub const EXPORT_VERSION: u32 = 1;
/// Largest import file we read.
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;
/// Largest backup (age file) we read, and the most plaintext it may hold.
pub const MAX_BACKUP_BYTES: u64 = 1024 * 1024 * 1024;

/// The whole vault as portable JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportDocument {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// [`EXPORT_VERSION`].
    pub version: u32,
    /// When it was written.
    pub exported_at: DateTime<Utc>,
    /// Every brand.
    pub brands: Vec<Brand>,
    /// Every record.
    pub records: Vec<Record>,
    /// Terms versions, shares, agreements, requests, intents, offers and the
    /// person's keys (so a restored vault can still sign for its brands).
    /// `vrm import` ignores them; `vrm restore` brings them back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<crate::vault::documents::ExportedDocument>,
    /// The activity log, oldest first (restored with its chain intact).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activity: Vec<crate::vault::audit::AuditEntry>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ImportSummary {
    /// Brands created.
    pub brands_added: usize,
    /// Records created.
    pub records_added: usize,
    /// Records skipped because a record with the same id is already there.
    pub records_skipped: usize,
}

/// Import a JSON (export format) or CSV file into the vault.
pub fn import_file(
    vault: &mut Vault,
    path: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportSummary> {
    let name = path.display().to_string();
    let bytes = read_bounded(path, MAX_IMPORT_BYTES)?;
    if bytes.starts_with(b"age-encryption.org/")
        || bytes.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----")
    {
        return Err(Error::ImportFormat {
            file: name,
            reason: "this is an age-encrypted file (a backup?), not JSON or CSV: restore a backup \
                     into a new vault (vrm restore), or decrypt it first (age -d) and import the JSON"
                .into(),
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::ImportFormat {
        file: name.clone(),
        reason: format!(
            "not UTF-8 text (at byte {}); imports take JSON or CSV",
            e.valid_up_to()
        ),
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let is_json = match ext.as_deref() {
        Some("json") => true,
        Some("csv") => false,
        _ => text.trim_start().starts_with('{'),
    };
    if is_json {
        import_json(vault, &name, text, progress)
    } else {
        import_csv(vault, &name, text, progress)
    }
}

fn read_bounded(path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Zeroizing::new(Vec::new());
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(Error::ImportFormat {
            file: path.display().to_string(),
            reason: format!("larger than the {} MiB limit", limit / (1024 * 1024)),
        });
    }
    Ok(buf)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDocument<'a> {
    format: String,
    version: u32,
    #[serde(default)]
    #[allow(dead_code)]
    exported_at: Option<DateTime<Utc>>,
    #[serde(borrow, default)]
    brands: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    records: Vec<&'a RawValue>,
    // Read by restore (see `restore`), not by import.
    #[serde(borrow, default)]
    #[allow(dead_code)]
    documents: Option<&'a RawValue>,
    #[serde(borrow, default)]
    #[allow(dead_code)]
    activity: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonBrand {
    id: Option<String>,
    name: String,
    domain: Option<String>,
    contact: Option<String>,
    notes: Option<String>,
    age_recipient: Option<String>,
    did: Option<String>,
    inbox: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRecord {
    id: Option<String>,
    kind: String,
    brand: Option<String>,
    fields: BTreeMap<String, String>,
    #[serde(default)]
    tags: Vec<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

/// Brands and records checked and ready to insert.
struct Plan<'v> {
    vault: &'v mut Vault,
    file: String,
    /// Lower-cased brand name → id, for the vault's brands and the new ones.
    by_name: HashMap<String, BrandId>,
    /// Ids of the vault's brands.
    vault_brand_ids: HashSet<BrandId>,
    /// Id in the file → id in the vault.
    file_brand_ids: HashMap<String, BrandId>,
    new_brands: Vec<Brand>,
    new_records: Vec<Record>,
    seen_ids: HashSet<String>,
    skipped: usize,
}

impl<'v> Plan<'v> {
    fn new(vault: &'v mut Vault, file: &str) -> Result<Self> {
        let brands = vault.brands()?;
        let vault_brand_ids = brands.iter().map(|b| b.id.clone()).collect();
        let by_name = brands
            .into_iter()
            .map(|b| (b.name.to_lowercase(), b.id))
            .collect();
        Ok(Plan {
            vault,
            file: file.to_string(),
            by_name,
            vault_brand_ids,
            file_brand_ids: HashMap::new(),
            new_brands: Vec::new(),
            new_records: Vec::new(),
            seen_ids: HashSet::new(),
            skipped: 0,
        })
    }

    fn bad(&self, line: usize, reason: impl Into<String>) -> Error {
        Error::ImportRow {
            file: self.file.clone(),
            line,
            reason: reason.into(),
        }
    }

    fn check_id(&mut self, line: usize, id: Option<&str>) -> Result<Option<String>> {
        let Some(id) = id else { return Ok(None) };
        let parsed = uuid::Uuid::parse_str(id)
            .map_err(|_| self.bad(line, format!("{id:?} is not an id (a UUID)")))?;
        let id = parsed.hyphenated().to_string();
        if !self.seen_ids.insert(id.clone()) {
            return Err(self.bad(line, format!("the id {id} appears twice in the file")));
        }
        Ok(Some(id))
    }

    fn add_brand(&mut self, line: usize, b: JsonBrand) -> Result<()> {
        let file_id = self.check_id(line, b.id.as_deref())?;
        let now = Utc::now();
        let mut brand = Brand {
            id: BrandId::from(""),
            created_at: b.created_at.unwrap_or(now),
            updated_at: b.updated_at.unwrap_or(now),
            ..Brand::new(String::new(), now)
        };
        let input = BrandInput {
            name: Some(b.name),
            domain: b.domain,
            contact: b.contact,
            notes: b.notes,
            age_recipient: b.age_recipient,
            did: b.did,
            inbox: b.inbox,
            // An allowance to reach the person's own network is given in
            // this vault, never taken from a file.
            allow_private_inbox: None,
        };
        if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(self.bad(line, "a brand needs a name"));
        }
        input
            .apply_to(&mut brand)
            .map_err(|e| self.bad(line, e.to_string()))?;
        // A brand already in the vault (same id, or same name) is reused.
        let existing = match &file_id {
            Some(id) if self.vault.id_exists(id)? => Some(BrandId::from(id.as_str())),
            _ => self.by_name.get(&brand.name.to_lowercase()).cloned(),
        };
        let vault_id = match existing {
            Some(id) => id,
            None => {
                brand.id = file_id
                    .as_deref()
                    .map_or_else(BrandId::random, BrandId::from);
                self.by_name
                    .insert(brand.name.to_lowercase(), brand.id.clone());
                let id = brand.id.clone();
                self.new_brands.push(brand);
                id
            }
        };
        if let Some(file_id) = file_id {
            self.file_brand_ids.insert(file_id, vault_id);
        }
        Ok(())
    }

    /// Resolve a brand reference: an id from this file, a vault brand id, or
    /// a name, matched whole (case-insensitively). Never a prefix: in a file
    /// "Apple" is not "Apple Music", and with `create` it becomes a new brand.
    fn brand_ref(&mut self, line: usize, reference: &str, create: bool) -> Result<BrandId> {
        let reference = reference.trim();
        if let Some(id) = self.file_brand_ids.get(reference) {
            return Ok(id.clone());
        }
        if let Some(id) = self.by_name.get(&reference.to_lowercase()) {
            return Ok(id.clone());
        }
        let as_id = reference.to_ascii_lowercase();
        if self.vault_brand_ids.contains(as_id.as_str()) {
            return Ok(BrandId::from(as_id));
        }
        if !create {
            return Err(self.bad(line, format!("unknown brand {reference:?}")));
        }
        self.add_brand(
            line,
            JsonBrand {
                id: None,
                name: reference.to_string(),
                domain: None,
                contact: None,
                notes: None,
                age_recipient: None,
                did: None,
                inbox: None,
                created_at: None,
                updated_at: None,
            },
        )?;
        Ok(self.by_name[&reference.to_lowercase()].clone())
    }

    #[allow(clippy::too_many_arguments)]
    fn add_record(
        &mut self,
        line: usize,
        id: Option<&str>,
        kind: &str,
        brand: Option<&str>,
        fields: BTreeMap<String, String>,
        tags: Vec<String>,
        created_at: Option<DateTime<Utc>>,
        updated_at: Option<DateTime<Utc>>,
        create_brands: bool,
    ) -> Result<()> {
        let id = self.check_id(line, id)?;
        let kind = RecordKind::from_str(kind).map_err(|e| self.bad(line, e.to_string()))?;
        let fields = check_fields(kind, &fields).map_err(|e| self.bad(line, e.to_string()))?;
        let tags = check_tags(&tags).map_err(|e| self.bad(line, e.to_string()))?;
        let brand = match brand.map(str::trim).filter(|b| !b.is_empty()) {
            Some(b) => Some(self.brand_ref(line, b, create_brands)?),
            None => None,
        };
        if let Some(id) = &id
            && self.vault.id_exists(id)?
        {
            self.skipped += 1;
            return Ok(());
        }
        let now = Utc::now();
        self.new_records.push(Record {
            id: id.map_or_else(RecordId::random, RecordId::from),
            kind,
            brand,
            fields,
            tags,
            created_at: created_at.unwrap_or(now),
            updated_at: updated_at.unwrap_or(now),
        });
        Ok(())
    }

    fn commit(self, progress: &mut dyn FnMut(usize, usize)) -> Result<ImportSummary> {
        let summary = ImportSummary {
            brands_added: self.new_brands.len(),
            records_added: self.new_records.len(),
            records_skipped: self.skipped,
        };
        self.vault
            .insert_batch(&self.new_brands, &self.new_records, progress)?;
        Ok(summary)
    }
}

/// Line numbers of rows of `text`, for error messages. Rows come in file
/// order, so the count goes on from the row before: counting from the start
/// of the file for every row made importing a large export quadratic.
struct Lines<'t> {
    text: &'t str,
    offset: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_of(&mut self, part: &str) -> usize {
        // `part` borrows from `text` (serde_json's RawValue), so its address
        // tells where it starts.
        let offset = (part.as_ptr() as usize)
            .saturating_sub(self.text.as_ptr() as usize)
            .min(self.text.len());
        if offset < self.offset {
            *self = Lines::new(self.text);
        }
        self.line += memchr::memchr_iter(b'\n', &self.text.as_bytes()[self.offset..offset]).count();
        self.offset = offset;
        self.line
    }
}

/// serde's message for a JSON error, in words about the file rather than
/// about our types ("expected struct JsonRecord"), without its position (the
/// error names the line).
fn json_reason(e: &serde_json::Error) -> String {
    let mut msg = e.to_string();
    if let Some(at) = msg.rfind(" at line ") {
        msg.truncate(at);
    }
    for (ours, theirs) in [
        ("struct JsonDocument", "an export object"),
        ("struct JsonBrand", "a brand object"),
        ("struct JsonRecord", "a record object"),
    ] {
        if let Some(at) = msg.find(ours) {
            // "… with 7 elements" counts our fields: no help to anyone.
            let end = msg[at..]
                .find(" with ")
                .filter(|w| msg[at + w..].contains("element"))
                .map_or(at + ours.len(), |_| msg.len());
            msg.replace_range(at..end, theirs);
        }
    }
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("not valid JSON ({msg})")
        }
        _ => msg,
    }
}

/// Import the export's JSON format. `file` names the source in errors.
pub fn import_json(
    vault: &mut Vault,
    file: &str,
    text: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportSummary> {
    if !text.trim_start().starts_with('{') {
        return Err(Error::ImportFormat {
            file: file.into(),
            reason: "not a VRM Vault export: it should be one JSON object with format, version, \
                     brands and records"
                .into(),
        });
    }
    let doc: JsonDocument<'_> = serde_json::from_str(text).map_err(|e| Error::ImportRow {
        file: file.to_string(),
        line: e.line(),
        reason: format!("not a VRM Vault export: {}", json_reason(&e)),
    })?;
    if doc.format != EXPORT_FORMAT {
        return Err(Error::ImportFormat {
            file: file.into(),
            reason: format!("format is {:?}, expected {EXPORT_FORMAT:?}", doc.format),
        });
    }
    if doc.version > EXPORT_VERSION {
        return Err(Error::ImportFormat {
            file: file.into(),
            reason: format!(
                "export version {} is newer than this program reads ({EXPORT_VERSION})",
                doc.version
            ),
        });
    }
    let mut plan = Plan::new(vault, file)?;
    let mut lines = Lines::new(text);
    for raw in &doc.brands {
        let line = lines.line_of(raw.get());
        let b: JsonBrand = serde_json::from_str(raw.get())
            .map_err(|e| plan.bad(line, format!("brand: {}", json_reason(&e))))?;
        plan.add_brand(line, b)?;
    }
    for raw in &doc.records {
        let line = lines.line_of(raw.get());
        let r: JsonRecord = serde_json::from_str(raw.get())
            .map_err(|e| plan.bad(line, format!("record: {}", json_reason(&e))))?;
        plan.add_record(
            line,
            r.id.as_deref(),
            &r.kind,
            r.brand.as_deref(),
            r.fields,
            r.tags,
            r.created_at,
            r.updated_at,
            false,
        )?;
    }
    plan.commit(progress)
}

/// Import CSV with the header mapping described in the module docs.
pub fn import_csv(
    vault: &mut Vault,
    file: &str,
    text: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportSummary> {
    enum Column {
        Kind,
        Brand,
        Tags,
        Field(String),
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::ImportRow {
            file: file.into(),
            line: 1,
            reason: e.to_string(),
        })?
        .clone();
    if let Some(line) = unclosed_quote_line(text) {
        return Err(Error::ImportRow {
            file: file.into(),
            line,
            reason: "a quoted value that starts on this line is never closed (a missing \")".into(),
        });
    }
    let mut columns = Vec::new();
    let mut seen_columns = HashSet::new();
    for h in headers.iter() {
        let h = h.trim();
        let key = h.to_ascii_lowercase();
        let key = match key.as_str() {
            "field:date" => "date".to_string(),
            _ => key,
        };
        if !seen_columns.insert(key) {
            return Err(Error::ImportRow {
                file: file.into(),
                line: 1,
                reason: format!("the column {h:?} appears twice in the header"),
            });
        }
        let col = match h.to_ascii_lowercase().as_str() {
            "kind" => Column::Kind,
            "brand" => Column::Brand,
            "tags" => Column::Tags,
            "date" => Column::Field("date".into()),
            other => match other.strip_prefix("field:") {
                Some(name) if !name.is_empty() => Column::Field(name.to_string()),
                _ => {
                    return Err(Error::ImportRow {
                        file: file.into(),
                        line: 1,
                        reason: format!(
                            "unknown column {h:?} (use kind, brand, date, tags or field:NAME)"
                        ),
                    });
                }
            },
        };
        columns.push(col);
    }
    if !columns.iter().any(|c| matches!(c, Column::Kind)) {
        return Err(Error::ImportRow {
            file: file.into(),
            line: 1,
            reason: "the header needs a kind column".into(),
        });
    }
    let mut plan = Plan::new(vault, file)?;
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            plan.bad(line, e.to_string())
        })?;
        let line = row.position().map(|p| p.line() as usize).unwrap_or(0);
        let (mut kind, mut brand, mut tags, mut fields) = (None, None, Vec::new(), BTreeMap::new());
        for (col, cell) in columns.iter().zip(row.iter()) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            match col {
                Column::Kind => kind = Some(cell),
                Column::Brand => brand = Some(cell),
                Column::Tags => tags = cell.split(';').map(str::to_string).collect(),
                Column::Field(name) => {
                    if fields.insert(name.clone(), cell.to_string()).is_some() {
                        return Err(plan.bad(line, format!("field {name} is given twice")));
                    }
                }
            }
        }
        let kind = kind.ok_or_else(|| plan.bad(line, "the kind is empty"))?;
        plan.add_record(line, None, kind, brand, fields, tags, None, None, true)?;
    }
    plan.commit(progress)
}

/// The line on which a quoted CSV value opens that the text never closes,
/// read as the `csv` crate reads quotes (a quote opens a value only at its
/// start; `""` inside is a quote). The crate itself takes such a value to
/// run to the end of the file, silently swallowing the rows after it.
fn unclosed_quote_line(text: &str) -> Option<usize> {
    #[derive(PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut at = At::FieldStart;
    let (mut line, mut opened_on) = (1, 0);
    for c in text.bytes() {
        at = match (at, c) {
            (At::FieldStart, b'"') => {
                opened_on = line;
                At::Quoted
            }
            (At::Quoted, b'"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, b'"') => At::Quoted,
            (_, b',' | b'\n' | b'\r') => At::FieldStart,
            _ => At::Unquoted,
        };
        if c == b'\n' {
            line += 1;
        }
    }
    (at == At::Quoted).then_some(opened_on)
}

/// Who can open a backup.
#[derive(Debug)]
pub enum BackupTo {
    /// These age X25519 recipients (`age1…`).
    Recipients(Vec<String>),
    /// Anyone with this passphrase (age scrypt).
    Passphrase(SecretString),
}

impl BackupTo {
    /// Who a backup is for, as a form gives it: an age recipient when one is
    /// given (not blank), else the backup passphrase; neither is refused.
    pub fn recipient_or_passphrase(
        recipient: Option<String>,
        passphrase: Option<SecretString>,
    ) -> Result<BackupTo> {
        match (recipient.filter(|r| !r.trim().is_empty()), passphrase) {
            (Some(r), _) => Ok(BackupTo::Recipients(vec![r])),
            (None, Some(p)) => Ok(BackupTo::Passphrase(p)),
            (None, None) => Err(Error::invalid(
                "give an age recipient or a backup passphrase",
            )),
        }
    }
}

/// What opens a backup.
#[derive(Debug)]
pub enum BackupKey {
    /// An age identity file (as written by `age-keygen`).
    IdentityFile(std::path::PathBuf),
    /// The backup's passphrase.
    Passphrase(SecretString),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct ExportSummary {
    /// Brands written.
    pub brands: usize,
    /// Records written.
    pub records: usize,
    /// Records left out because their rows are damaged.
    pub damaged_left_out: usize,
}

/// The whole vault as an [`ExportDocument`].
pub fn export_document(vault: &mut Vault) -> Result<ExportDocument> {
    let mut records = vault.list_records(&RecordFilter::default())?;
    records.reverse(); // oldest first reads naturally in a file
    Ok(ExportDocument {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        exported_at: Utc::now(),
        brands: vault.brands()?,
        records,
        documents: vault.export_documents()?,
        activity: vault.audit().entries()?.0,
    })
}

/// Write the whole vault to `out`, age-encrypted. The file appears only when
/// complete (written beside it, then renamed), readable by its owner only;
/// [`OutFile::new_only`] never replaces a file there.
pub fn export<'o>(
    vault: &mut Vault,
    out: impl Into<OutFile<'o>>,
    to: &BackupTo,
) -> Result<ExportSummary> {
    let out = out.into();
    let encryptor = match to {
        BackupTo::Recipients(list) => {
            if list.is_empty() {
                return Err(Error::invalid_field(
                    "recipient",
                    "give at least one age recipient",
                ));
            }
            let recipients = list
                .iter()
                .map(|r| {
                    age::x25519::Recipient::from_str(r.trim()).map_err(|_| {
                        Error::invalid_field(
                            "recipient",
                            format!("{r:?} is not an age X25519 recipient (age1…)"),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| Error::invalid_field("recipient", e.to_string()))?
        }
        BackupTo::Passphrase(p) => {
            if p.expose_secret().chars().count() < crate::vault::MIN_PASSPHRASE_CHARS {
                return Err(Error::invalid_field(
                    "backup_passphrase",
                    format!(
                        "the backup passphrase is too short (at least {} characters)",
                        crate::vault::MIN_PASSPHRASE_CHARS
                    ),
                ));
            }
            age::Encryptor::with_user_passphrase(AgeSecret::from(p.expose_secret().to_string()))
        }
    };
    let damaged = vault.damaged_records()?.len();
    let doc = export_document(vault)?;
    let summary = ExportSummary {
        brands: doc.brands.len(),
        records: doc.records.len(),
        damaged_left_out: damaged,
    };
    let mut file = AtomicFile::create(out, FileMode::Private)?;
    let path = out.path;
    let io_err = |e: std::io::Error| Error::io(path, e);
    {
        let mut writer = encryptor
            .wrap_output(std::io::BufWriter::new(file.file()))
            .map_err(io_err)?;
        serde_json::to_writer_pretty(&mut writer, &doc)
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        let mut inner = writer.finish().map_err(io_err)?;
        inner.flush().map_err(io_err)?;
    }
    file.commit()?;
    let to_what = match to {
        BackupTo::Recipients(list) => format!("{} age recipient(s)", list.len()),
        BackupTo::Passphrase(_) => "a passphrase".to_string(),
    };
    vault.audit().log(
        crate::vault::audit::AuditAction::Exported,
        None,
        None,
        &format!(
            "exported {} brands and {} records, encrypted to {to_what}",
            summary.brands, summary.records
        ),
    )?;
    Ok(summary)
}

/// Decrypt and parse a backup. Bounded: at most [`MAX_BACKUP_BYTES`] in and out.
pub fn read_backup(path: &Path, key: &BackupKey) -> Result<Zeroizing<String>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > MAX_BACKUP_BYTES {
        return Err(Error::Backup(
            "the file is larger than the 1 GiB limit".into(),
        ));
    }
    // The same header limits as a bundle's (size, stanza count, scrypt work
    // factor), so a hostile backup cannot make a restore burn memory or time
    // before any key matches.
    let limits = crate::crypto::bundle::OpenLimits::default();
    let decryptor = crate::crypto::bundle::checked_decryptor(
        BufReader::new(file.take(MAX_BACKUP_BYTES)),
        &limits,
    )
    .map_err(|e| match e {
        Error::Bundle(why) => Error::Backup(format!("not a readable age file: {why}")),
        e @ Error::TooLarge { .. } => Error::Backup(e.to_string()),
        other => other,
    })?;
    let reader = match key {
        BackupKey::Passphrase(p) => {
            if !decryptor.is_scrypt() {
                return Err(Error::Backup(
                    "this backup is encrypted to an age identity, not a passphrase; use --identity"
                        .into(),
                ));
            }
            let mut identity =
                age::scrypt::Identity::new(AgeSecret::from(p.expose_secret().to_string()));
            identity.set_max_work_factor(limits.max_scrypt_work_factor);
            decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity))
        }
        BackupKey::IdentityFile(f) => {
            if decryptor.is_scrypt() {
                return Err(Error::Backup(
                    "this backup is protected by a passphrase, not an identity".into(),
                ));
            }
            let identities = age::IdentityFile::from_file(f.display().to_string())
                .map_err(|e| Error::io(f, e))?
                .into_identities()
                .map_err(|e| Error::Backup(format!("cannot read the identity file: {e}")))?;
            decryptor.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        }
    }
    .map_err(|e| match e {
        age::DecryptError::NoMatchingKeys | age::DecryptError::DecryptionFailed => {
            Error::BackupWrongKey
        }
        age::DecryptError::ExcessiveWork { required, .. } => Error::Backup(format!(
            "its passphrase protection asks for scrypt work factor {required}, above the {} this program accepts",
            limits.max_scrypt_work_factor
        )),
        other => Error::Backup(other.to_string()),
    })?;
    // The plaintext is shorter than the file: with room for all of it, the
    // buffer never grows, so no reallocation leaves a copy behind unwiped.
    let mut plain = Zeroizing::new(Vec::with_capacity(usize::try_from(len).unwrap_or(0)));
    reader
        .take(MAX_BACKUP_BYTES + 1)
        .read_to_end(&mut plain)
        .map_err(|e| Error::Backup(format!("the file is damaged ({e})")))?;
    if plain.len() as u64 > MAX_BACKUP_BYTES {
        return Err(Error::Backup("the backup holds more than 1 GiB".into()));
    }
    let text = String::from_utf8(std::mem::take(&mut *plain))
        .map_err(|_| Error::Backup("the backup does not hold JSON text".into()))?;
    Ok(Zeroizing::new(text))
}

/// Rebuild a vault in `dir` (which must not hold one) from a backup. Returns
/// the new vault, its recovery code and what was imported. On any failure the
/// half-made vault is removed.
pub fn restore(
    backup: &Path,
    key: &BackupKey,
    dir: &Path,
    passphrase: &SecretString,
    kdf: KdfParams,
) -> Result<(Vault, RecoveryCode, ImportSummary)> {
    if Vault::exists(dir) {
        return Err(Error::VaultExists(dir.to_path_buf()));
    }
    let text = read_backup(backup, key)?;
    let name = backup.display().to_string();
    // Filled before it appears under its name: a failed restore leaves
    // nothing, and no one opens a half-restored vault.
    Vault::create_with(dir, passphrase, kdf, |vault| {
        let summary = import_json(vault, &name, &text, &mut |_, _| {})?;
        #[derive(Deserialize)]
        struct Rest {
            #[serde(default)]
            documents: Vec<crate::vault::documents::ExportedDocument>,
            #[serde(default)]
            activity: Vec<crate::vault::audit::AuditEntry>,
        }
        let rest: Rest = serde_json::from_str(&text).map_err(|e| Error::ImportFormat {
            file: name.clone(),
            reason: format!("its documents cannot be read: {e}"),
        })?;
        vault.restore_documents(&rest.documents, &rest.activity)?;
        Ok(summary)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_quote_is_found_on_the_line_it_opens() {
        assert_eq!(unclosed_quote_line("kind,field:text\nnote,\"ok\"\n"), None);
        assert_eq!(unclosed_quote_line("a,\"x \"\"y\"\" z\"\n"), None);
        assert_eq!(unclosed_quote_line("a,\"two\nlines\"\n"), None);
        // A quote inside an unquoted value is a plain character.
        assert_eq!(unclosed_quote_line("a,5\" screen\n"), None);
        assert_eq!(
            unclosed_quote_line("kind,field:text\nnote,\"open\nnote,next\n"),
            Some(2)
        );
        assert_eq!(unclosed_quote_line("a,\"x\"\"\n"), Some(1));
    }

    #[test]
    fn json_errors_speak_of_the_file_not_our_types() {
        let e = serde_json::from_str::<JsonDocument<'_>>("[]")
            .err()
            .unwrap();
        let msg = json_reason(&e);
        assert!(
            !msg.contains("JsonDocument") && !msg.contains("elements"),
            "{msg}"
        );
        let e = serde_json::from_str::<JsonRecord>(r#"{"kind": 5}"#)
            .err()
            .unwrap();
        assert!(!json_reason(&e).contains("line"), "{}", json_reason(&e));
        let e = serde_json::from_str::<JsonRecord>("{").err().unwrap();
        assert!(json_reason(&e).starts_with("not valid JSON"));
    }

    #[test]
    fn line_of_counts_from_one() {
        let text = "a\nb\nc";
        let mut lines = Lines::new(text);
        assert_eq!(lines.line_of(&text[0..1]), 1);
        assert_eq!(lines.line_of(&text[4..5]), 3);
        assert_eq!(lines.line_of(&text[4..5]), 3);
        // Out of order (not how rows come, but still right).
        assert_eq!(lines.line_of(&text[2..3]), 2);
    }
}
