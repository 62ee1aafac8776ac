//! Performance benchmarks of VRM Vault, each against a baseline measured in
//! the same process:
//!
//! 1. `insert_100k`: encrypted bulk insert of 100,000 records
//!    (`Vault::insert_batch`) vs plain rusqlite writing the same rows as
//!    plaintext JSON, same pragmas, schema and statements (`vrm_vault::vault::baseline`).
//! 2. `search_100k`: per-query latency over a 100k-record vault (p50 / p95 /
//!    max of 200 mixed queries, plus a term matching most records) vs a naive
//!    lowercase-and-contains scan over the same decrypted records.
//! 3. `unlock_100k`: `Vault::open` + `unlock_with_kek` (KDF excluded) +
//!    `prepare_search` vs opening the plaintext database and reading every row.
//!
//! Run with `cargo bench --bench vault`. Each benchmark prints a summary line
//! (`insert 100k: ...`, `search 100k: ...`, `unlock 100k: ...`) next to
//! criterion's own report. The whole run takes a few minutes on 2 cores.
//! 4. `verify`: credentials verified per second (`proof::verify_credential`)
//!    vs bare Ed25519 verification; `share_10k`: a share of 10,000 records
//!    (`Vault::create_share`) vs JSON + age encryption of the same fields.
//!
//! 5. `memory` (not part of a default run): resident memory of one process
//!    that opens, unlocks and indexes the 100k-record vault
//!    (`open` + `unlock_with_kek` + `prepare_search`, then `list_records`),
//!    read from `/proc/self/status`, against the same process before
//!    unlocking and the size of the records' plaintext. With
//!    `VRM_BENCH_VAULT=DIR` it keeps the vault in `DIR` (created on the first
//!    run) so that later runs, e.g. under `valgrind --tool=callgrind
//!    --toggle-collect='*unlock_to_searchable*'`, measure only the unlock.
//!
//! `VRM_BENCH_ONLY=insert|search|unlock|verify|share|memory` runs only the
//! named sections.
//!
//! Size and mix: `VRM_BENCH_RECORDS=N` (default 100,000, which `make bench`
//! runs) and `VRM_BENCH_MIX=mailbox` (default `mixed`): the records discovery
//! accepts from a heavy mailbox (mostly email interactions, some purchases,
//! subscriptions and accounts, across 1,500 brands of uneven size; see
//! `gen_mailbox_record`). The labels above then name the size and mix
//! (`search 1M mailbox: ...`). With `VRM_BENCH_VAULT=DIR` the search and
//! unlock sections keep their vault too (`DIR`, its plaintext twin in
//! `DIR.plain.db`), so a large one is made once, e.g.
//! `VRM_BENCH_RECORDS=1000000 VRM_BENCH_MIX=mailbox VRM_BENCH_VAULT=/tmp/v1m
//! VRM_BENCH_ONLY=unlock cargo bench --bench vault`; one `DIR` is for one
//! size and mix. The memory section then also times the first full
//! `list_records` and `brand_page` of the largest brand.

#[path = "isolated_config.rs"]
mod isolated_config;

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, SamplingMode};
use secrecy::SecretString;
use vrm_vault::crypto::{KdfParams, SecretKey};
use vrm_vault::model::{PageRequest, check_fields, check_tags};
use vrm_vault::vault::baseline::PlaintextStore;
use vrm_vault::{
    Brand, BrandId, BrandInput, Hit, Record, RecordFilter, RecordId, RecordKind, SearchItem, Vault,
};

/// Records in the default run (`make bench`); `VRM_BENCH_RECORDS` changes it.
const DEFAULT_RECORDS: usize = 100_000;
const N_BRANDS: usize = 40;
/// Brands of the `mailbox` mix: a heavy mailbox yields a few hundred to a
/// couple of thousand senders.
const MAILBOX_BRANDS: usize = 1_500;
const PASSPHRASE: &str = "bench passphrase";
/// Samples per criterion benchmark (criterion's minimum).
const SAMPLES: usize = 10;

// ---- size and mix of the data set -------------------------------------------

/// Which records the data set holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mix {
    /// Every kind, 40 brands, as typed in and imported (the default).
    Mixed,
    /// What discovery accepts from a heavy mailbox: mostly `interaction`
    /// records of channel email, some purchases, subscriptions and
    /// accounts, all tagged `from-email`, across 1,500 brands of very
    /// uneven size.
    Mailbox,
}

/// The run's size and mix, from `VRM_BENCH_RECORDS` (default 100,000) and
/// `VRM_BENCH_MIX` (`mixed`, the default, or `mailbox`).
struct Config {
    records: usize,
    mix: Mix,
    /// How figures are labelled: `100k`, `1M mailbox`...
    label: String,
}

fn config() -> &'static Config {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        let records = match std::env::var("VRM_BENCH_RECORDS") {
            Ok(n) => n
                .trim()
                .replace('_', "")
                .parse()
                .expect("VRM_BENCH_RECORDS is a number of records"),
            Err(_) => DEFAULT_RECORDS,
        };
        let mix = match std::env::var("VRM_BENCH_MIX").as_deref().map(str::trim) {
            Err(_) | Ok("") | Ok("mixed") => Mix::Mixed,
            Ok("mailbox") => Mix::Mailbox,
            Ok(other) => panic!("VRM_BENCH_MIX is mixed or mailbox, not {other:?}"),
        };
        let size = if records >= 1_000_000 && records % 1_000_000 == 0 {
            format!("{}M", records / 1_000_000)
        } else if records % 1_000 == 0 {
            format!("{}k", records / 1_000)
        } else {
            records.to_string()
        };
        let label = match mix {
            Mix::Mixed => size,
            Mix::Mailbox => format!("{size} mailbox"),
        };
        Config {
            records,
            mix,
            label,
        }
    })
}

fn n_records() -> usize {
    config().records
}

fn n_brands() -> usize {
    match config().mix {
        Mix::Mixed => N_BRANDS,
        Mix::Mailbox => MAILBOX_BRANDS,
    }
}

/// `label` with the run's size and mix in it, for criterion's group names.
fn group_name(section: &str) -> String {
    format!("{section}_{}", config().label.replace(' ', "_"))
}

// ---- deterministic data ----------------------------------------------------

/// SplitMix64: small, fast and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }

    /// Skewed pick: low indices are much more likely (a rough Zipf), so the
    /// head of a word list is common and its tail rare.
    fn skewed<'a>(&mut self, list: &[&'a str]) -> &'a str {
        let a = self.below(list.len());
        let b = self.below(list.len());
        let c = self.below(list.len());
        list[a.min(b).min(c)]
    }
}

const BRAND_FIRST: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Wonka",
    "Gringotts",
    "Oceanic",
    "Aperture",
    "Massive",
    "Nakatomi",
    "Pied",
    "Sterling",
    "Bluth",
];
const BRAND_SECOND: &[&str] = &["Outfitters", "Telecom", "Energy", "Bank"];

const SUMMARY_WORDS: &[&str] = &[
    "order",
    "delivery",
    "refund",
    "invoice",
    "asked",
    "about",
    "my",
    "late",
    "the",
    "package",
    "password",
    "reset",
    "discount",
    "complaint",
    "upgrade",
    "contract",
    "cancelled",
    "tracking",
    "number",
    "replacement",
    "billing",
    "error",
    "address",
    "changed",
    "newsletter",
    "unsubscribe",
    "loyalty",
    "points",
    "voucher",
    "warranty",
    "claim",
    "broken",
    "screen",
    "charger",
    "router",
    "outage",
    "technician",
    "visit",
    "appointment",
    "rescheduled",
    "overcharged",
    "credit",
    "note",
    "escalated",
    "supervisor",
    "callback",
    "promised",
    "survey",
    "feedback",
    "chatbot",
    "useless",
    "courier",
    "damaged",
    "parcel",
    "returned",
    "label",
    "printer",
    "mortgage",
    "statement",
    "fraud",
    "blocked",
    "card",
    "pin",
    "roaming",
    "tariff",
    "meter",
    "reading",
    "solar",
    "panel",
    "thermostat",
    "boiler",
    "inspection",
    "quote",
    "accepted",
    "declined",
    "gdpr",
    "erasure",
    "request",
    "consent",
    "withdrawn",
    "portability",
    "export",
    "archive",
    "zeppelin",
    "quixotic",
    "marzipan",
    "kumquat",
    "obsidian",
    "halberd",
    "xylophone",
    "fjord",
];

const ITEMS: &[&str] = &[
    "wireless headphones",
    "running shoes",
    "coffee machine",
    "winter jacket",
    "laptop stand",
    "phone case",
    "electric toothbrush",
    "desk lamp",
    "yoga mat",
    "rain boots",
    "smart speaker",
    "blender",
    "backpack",
    "sunglasses",
    "office chair",
    "air fryer",
    "bike helmet",
    "e-reader",
    "garden hose",
    "vacuum cleaner",
    "tennis racket",
    "espresso grinder",
    "camping stove",
];
const STORES: &[&str] = &["online", "high street", "airport", "outlet", "app"];
const PLANS: &[&str] = &[
    "basic",
    "premium",
    "family",
    "student",
    "unlimited data",
    "fibre 500",
    "streaming plus",
    "cloud 2tb",
];
const TOPICS: &[&str] = &[
    "contact hours",
    "language",
    "marketing emails",
    "paper statements",
    "delivery slot",
    "seat",
    "diet",
    "data sharing",
];
const PREF_VALUES: &[&str] = &[
    "evenings only",
    "english",
    "never",
    "opt out",
    "weekends",
    "aisle",
    "vegetarian",
    "no third parties",
    "morning",
];
const FIRST_NAMES: &[&str] = &["alex", "sam", "jordan", "robin", "kim", "noor", "lee"];
const STREETS: &[&str] = &["Mill Lane", "High Street", "Station Road", "Park Avenue"];
const TAGS: &[&str] = &[
    "work",
    "family",
    "important",
    "tax",
    "home",
    "travel",
    "gift",
    "todo",
];
const PERIODS: &[&str] = &["monthly", "yearly", "quarterly", "weekly"];
const CHANNELS: &[&str] = &["call", "chat", "email", "social", "in-store", "letter"];
const PURPOSES: &[&str] = &["service", "support", "billing", "marketing", "sales"];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.skewed(SUMMARY_WORDS));
    }
    s
}

fn date(rng: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        2020 + rng.below(6),
        1 + rng.below(12),
        1 + rng.below(28)
    )
}

fn price(rng: &mut Rng) -> String {
    format!(
        "{}.{:02} {}",
        1 + rng.below(400),
        rng.below(100),
        rng.pick(&["EUR", "GBP", "USD"])
    )
}

/// One realistic record: a mix of kinds, 3-5 fields, some tags, a brand
/// for most of them.
fn gen_record(rng: &mut Rng, i: usize, brands: &[Brand]) -> Record {
    let roll = rng.below(100);
    let kind = match roll {
        0..30 => RecordKind::Interaction,
        30..50 => RecordKind::Purchase,
        50..60 => RecordKind::Note,
        60..68 => RecordKind::Account,
        68..76 => RecordKind::Subscription,
        76..84 => RecordKind::Warranty,
        84..92 => RecordKind::Preference,
        _ => RecordKind::Profile,
    };
    let mut f: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_string(), v);
    };
    match kind {
        RecordKind::Interaction => {
            put("channel", rng.pick(CHANNELS).into());
            put("direction", rng.pick(&["inbound", "outbound"]).into());
            put("date", date(rng));
            let words = 4 + rng.below(6);
            put("summary", sentence(rng, words));
            if rng.chance(50) {
                put("purpose", rng.pick(PURPOSES).into());
            }
        }
        RecordKind::Purchase => {
            put("item", rng.pick(ITEMS).into());
            put("date", date(rng));
            put("price", price(rng));
            if rng.chance(60) {
                put("order", format!("ORD-{:06}", rng.below(1_000_000)));
            }
            if rng.chance(40) {
                put("store", rng.pick(STORES).into());
            }
        }
        RecordKind::Note => {
            put("date", date(rng));
            let words = 6 + rng.below(10);
            put("text", sentence(rng, words));
            put("title", sentence(rng, 2));
        }
        RecordKind::Account => {
            let name = rng.pick(FIRST_NAMES);
            put("username", format!("{name}{}", rng.below(10_000)));
            put(
                "email",
                format!("{name}.{}@mail.example.org", rng.below(100)),
            );
            put("date", date(rng));
            if rng.chance(50) {
                put(
                    "status",
                    rng.pick(&["active", "closed", "suspended"]).into(),
                );
            }
        }
        RecordKind::Subscription => {
            put("plan", rng.pick(PLANS).into());
            put("price", price(rng));
            put("period", rng.pick(PERIODS).into());
            put("date", date(rng));
            if rng.chance(40) {
                put("renews", date(rng));
            }
        }
        RecordKind::Warranty => {
            put("item", rng.pick(ITEMS).into());
            put("date", date(rng));
            put("expires", date(rng));
            if rng.chance(50) {
                put(
                    "provider",
                    rng.pick(&["manufacturer", "retailer", "insurer"]).into(),
                );
            }
        }
        RecordKind::Preference => {
            put("topic", rng.pick(TOPICS).into());
            put("value", rng.pick(PREF_VALUES).into());
            put("date", date(rng));
        }
        RecordKind::Profile => {
            put("name", rng.pick(FIRST_NAMES).into());
            put(
                "phone",
                format!("+44 20 {:04} {:04}", rng.below(10_000), rng.below(10_000)),
            );
            put(
                "address",
                format!("{} {}, London", 1 + rng.below(200), rng.pick(STREETS)),
            );
            if rng.chance(50) {
                put("email", format!("me{}@mail.example.org", rng.below(1000)));
            }
        }
    }
    let brand = match kind {
        RecordKind::Profile | RecordKind::Note => None,
        _ if rng.chance(85) => Some(brands[rng.below(brands.len())].id.clone()),
        _ => None,
    };
    let mut tags = Vec::new();
    for _ in 0..rng.below(3) {
        let t = rng.pick(TAGS).to_string();
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    // Whole seconds, spread over five years: as an import would give them.
    let base: DateTime<Utc> = Utc.with_ymd_and_hms(2020, 1, 1, 9, 0, 0).unwrap();
    let created_at = base + chrono::Duration::seconds((i as i64) * 1_571 + rng.below(600) as i64);
    Record {
        id: RecordId::random(),
        kind,
        brand,
        fields: f,
        tags,
        created_at,
        updated_at: created_at,
    }
}

fn brand_inputs() -> Vec<BrandInput> {
    if config().mix == Mix::Mailbox {
        return mailbox_brand_inputs();
    }
    (0..N_BRANDS)
        .map(|i| {
            let first = BRAND_FIRST[i % BRAND_FIRST.len()];
            let second = BRAND_SECOND[i / BRAND_FIRST.len()];
            let mut b = BrandInput::named(format!("{first} {second}"));
            b.domain = Some(format!(
                "{}-{}.example.com",
                first.to_lowercase(),
                second.to_lowercase()
            ));
            b
        })
        .collect()
}

// ---- the mailbox mix -----------------------------------------------------------

/// With BRAND_FIRST, 50 first words for 1,500 distinct senders.
const MAILBOX_FIRST: &[&str] = &[
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Litware",
    "Adatum",
    "Proseware",
    "Wingtip",
    "Lucerne",
    "Margie",
    "Fourth",
    "Coho",
    "Alpine",
    "Blue",
    "Humongous",
    "Southridge",
    "Trey",
    "Woodgrove",
    "Relecloud",
    "Consolidated",
    "Lamna",
    "Datum",
    "Graphic",
    "Munson",
    "Bellows",
    "Kestrel",
    "Ostrich",
    "Pelican",
    "Quill",
    "Rookery",
];
const MAILBOX_SECOND: &[&str] = &[
    "Outfitters",
    "Telecom",
    "Energy",
    "Bank",
    "Airways",
    "Books",
    "Pharmacy",
    "Market",
    "Insurance",
    "Motors",
    "Games",
    "Music",
    "Travel",
    "Hotels",
    "Foods",
    "Fitness",
    "Media",
    "Cloud",
    "Software",
    "Fashion",
    "Shoes",
    "Garden",
    "Pets",
    "Toys",
    "Wine",
    "Coffee",
    "Tickets",
    "Rail",
    "Delivery",
    "Cinema",
];
const SENDERS: &[&str] = &["news", "noreply", "orders", "info", "support", "hello"];

fn mailbox_brand_inputs() -> Vec<BrandInput> {
    let firsts: Vec<&str> = BRAND_FIRST.iter().chain(MAILBOX_FIRST).copied().collect();
    (0..MAILBOX_BRANDS)
        .map(|i| {
            let first = firsts[i % firsts.len()];
            let second = MAILBOX_SECOND[i / firsts.len()];
            // As discovery names a brand: its display name and its
            // organisational domain.
            let mut b = BrandInput::named(format!("{first} {second}"));
            b.domain = Some(format!(
                "{}{}.example.com",
                first.to_lowercase(),
                second.to_lowercase()
            ));
            b
        })
        .collect()
}

/// One record as discovery accepts it from a heavy mailbox
/// (`discover::proposals`): 88% interactions (channel email, the subject as
/// summary), 7% purchases from order markup, 2.5% subscriptions, 2.5%
/// accounts; every one filed under its brand and tagged `from-email`. A few
/// senders send most of the mail: the brand is a cubed uniform pick, so the
/// largest of 1,500 brands has about 9% of the records.
fn gen_mailbox_record(rng: &mut Rng, i: usize, brands: &[Brand]) -> Record {
    let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    let b = ((u * u * u) * brands.len() as f64) as usize;
    let brand = &brands[b.min(brands.len() - 1)];
    let domain = brand.domain.as_deref().unwrap_or("example.com");
    let roll = rng.below(1000);
    let kind = match roll {
        0..880 => RecordKind::Interaction,
        880..950 => RecordKind::Purchase,
        950..975 => RecordKind::Subscription,
        _ => RecordKind::Account,
    };
    let mut f: BTreeMap<String, String> = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_string(), v);
    };
    match kind {
        RecordKind::Interaction => {
            let outbound = rng.chance(8);
            put("channel", "email".into());
            put(
                "direction",
                if outbound { "outbound" } else { "inbound" }.into(),
            );
            put("date", date(rng));
            let words = 3 + rng.below(8);
            let mut subject = sentence(rng, words);
            if rng.chance(10) {
                subject.push_str(&format!(" ORD-{:06}", rng.below(1_000_000)));
            }
            put("summary", subject);
            let purpose = match (outbound, rng.chance(65)) {
                (true, _) => "support",
                (false, true) => "marketing",
                (false, false) => "service",
            };
            put("purpose", purpose.into());
            put("contact", format!("{}@{domain}", rng.pick(SENDERS)));
        }
        RecordKind::Purchase => {
            put("item", rng.pick(ITEMS).into());
            put("date", date(rng));
            put("price", price(rng));
            if rng.chance(90) {
                put("order", format!("ORD-{:06}", rng.below(1_000_000)));
            }
            if rng.chance(50) {
                put("store", brand.name.clone());
            }
        }
        RecordKind::Subscription => {
            put("plan", rng.pick(PLANS).into());
            put("price", price(rng));
            put("period", rng.pick(PERIODS).into());
            put("date", date(rng));
            put("renews", date(rng));
        }
        _ => {
            let name = rng.pick(FIRST_NAMES);
            put(
                "email",
                format!("{name}.{}@mail.example.org", rng.below(100)),
            );
            put("date", date(rng));
        }
    }
    // Accepted over five years, whatever the number of records.
    let base: DateTime<Utc> = Utc.with_ymd_and_hms(2020, 1, 1, 9, 0, 0).unwrap();
    let step = 157_000_000 / n_records().max(1) as i64;
    let created_at = base + chrono::Duration::seconds(i as i64 * step + rng.below(60) as i64);
    Record {
        id: RecordId::random(),
        kind,
        brand: Some(brand.id.clone()),
        fields: f,
        tags: vec!["from-email".to_string()],
        created_at,
        updated_at: created_at,
    }
}

/// The data set shared by every benchmark: brands and records, generated once.
struct Dataset {
    brand_inputs: Vec<BrandInput>,
    /// The brands as first created; `records` reference their ids, which
    /// every fresh vault maps to the ids of its own brands.
    brands: Vec<Brand>,
    records: Vec<Record>,
}

impl Dataset {
    fn generate() -> Self {
        let brand_inputs = brand_inputs();
        // Create the brands once in a throwaway vault to get real Brand
        // values (checked and normalised by the vault itself).
        let tmp = tempfile::tempdir().unwrap();
        let (mut v, _) = Vault::create(
            &tmp.path().join("v"),
            &SecretString::from(PASSPHRASE),
            KdfParams::minimum().unwrap(),
        )
        .unwrap();
        let brands: Vec<Brand> = brand_inputs
            .iter()
            .map(|b| v.add_brand(b).unwrap())
            .collect();
        drop(v);
        let mut rng = Rng(0x5eed_1234);
        let records: Vec<Record> = (0..n_records())
            .map(|i| match config().mix {
                Mix::Mixed => gen_record(&mut rng, i, &brands),
                Mix::Mailbox => gen_mailbox_record(&mut rng, i, &brands),
            })
            .collect();
        // Every generated record passes the checks an import applies, unchanged.
        for r in &records {
            assert_eq!(check_fields(r.kind, &r.fields).unwrap(), r.fields);
            assert_eq!(check_tags(&r.tags).unwrap(), r.tags);
        }
        Dataset {
            brand_inputs,
            brands,
            records,
        }
    }

    fn describe(&self) {
        let json: usize = self
            .records
            .iter()
            .map(|r| serde_json::to_vec(r).unwrap().len())
            .sum();
        let field_json: usize = self
            .records
            .iter()
            .map(|r| serde_json::to_vec(&r.fields).unwrap().len())
            .sum();
        let fields: usize = self.records.iter().map(|r| r.fields.len()).sum();
        let with_brand = self.records.iter().filter(|r| r.brand.is_some()).count();
        let n = self.records.len();
        println!(
            "dataset: {n} records, {} brands; {:.1} fields/record; {}% with a brand; \
             mean JSON {} B/record (fields alone {} B)",
            self.brands.len(),
            fields as f64 / n as f64,
            with_brand * 100 / n,
            json / n,
            field_json / n,
        );
    }
}

// ---- the two stores ----------------------------------------------------------

/// A fresh vault in `dir`, its brands added with `add_brand`, and the data
/// set's records pointed at those brands' ids. Setup only: not timed.
fn fresh_vault(dir: &Path, data: &Dataset) -> (Vault, Vec<Record>) {
    let (mut vault, _code) = Vault::create(
        dir,
        &SecretString::from(PASSPHRASE),
        KdfParams::minimum().unwrap(),
    )
    .unwrap();
    let mut new_ids = HashMap::new();
    for (old, input) in data.brands.iter().zip(&data.brand_inputs) {
        let b = vault.add_brand(input).unwrap();
        new_ids.insert(old.id.clone(), b.id);
    }
    let records = data
        .records
        .iter()
        .map(|r| Record {
            brand: r.brand.as_ref().map(|b| new_ids[b].clone()),
            ..r.clone()
        })
        .collect();
    (vault, records)
}

/// The encrypted path being measured.
fn encrypted_insert(vault: &mut Vault, records: &[Record]) {
    vault.insert_batch(&[], records, &mut |_, _| {}).unwrap();
}

/// A fresh plaintext database with the vault's pragmas, schema and the
/// brands ([`PlaintextStore`]). Setup only: not timed.
fn fresh_plain(path: &Path, data: &Dataset) -> PlaintextStore {
    let store = PlaintextStore::create(path).unwrap();
    store.insert_brands(&data.brands).unwrap();
    store
}

/// The plaintext baseline: the same rows, the same ids, one transaction, the
/// same cached prepared statement; the body is the JSON itself.
fn plain_insert(store: &PlaintextStore, data: &Dataset) {
    store.insert_records(&data.records).unwrap();
}

/// The encrypted vault and its plaintext twin that the search, unlock and
/// memory sections read. With `VRM_BENCH_VAULT=DIR` they are kept, in `DIR`
/// and `DIR.plain.db`, and made only when missing (a 1M-record vault takes
/// minutes to make); otherwise they live in a temporary folder.
struct Stores {
    dir: std::path::PathBuf,
    plain_db: std::path::PathBuf,
    /// Whether this run made the vault (and so holds the data set).
    made: bool,
    _tmp: Option<tempfile::TempDir>,
}

impl Stores {
    fn get(data: &mut Option<Dataset>) -> Stores {
        let (dir, plain_db, tmp) = match std::env::var_os("VRM_BENCH_VAULT") {
            Some(d) => {
                let dir = std::path::PathBuf::from(&d);
                let mut plain = d;
                plain.push(".plain.db");
                (dir, std::path::PathBuf::from(plain), None)
            }
            None => {
                let tmp = tempfile::tempdir().unwrap();
                (
                    tmp.path().join("vault"),
                    tmp.path().join("plain.db"),
                    Some(tmp),
                )
            }
        };
        let mut made = false;
        if !Vault::exists(&dir) {
            let data = dataset(data);
            let (mut vault, records) = fresh_vault(&dir, data);
            let start = Instant::now();
            encrypted_insert(&mut vault, &records);
            println!(
                "made the {} vault in {} ({:.1} s to insert)",
                config().label,
                dir.display(),
                start.elapsed().as_secs_f64()
            );
            made = true;
        }
        if !plain_db.exists() {
            // Its own ids, but the same generator: the same rows otherwise.
            let data = dataset(data);
            plain_insert(&fresh_plain(&plain_db, data), data);
        }
        Stores {
            dir,
            plain_db,
            made,
            _tmp: tmp,
        }
    }
}

/// The data set, generated on first use (a kept vault needs none).
fn dataset(data: &mut Option<Dataset>) -> &Dataset {
    data.get_or_insert_with(|| {
        let d = Dataset::generate();
        d.describe();
        d
    })
}

// ---- statistics ----------------------------------------------------------------

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest-rank percentile.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(samples: &[Duration]) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    match s.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2,
    }
}

/// Criterion's single warm-up call comes first; drop it when there is more.
fn measured<T>(samples: &[T]) -> &[T] {
    if samples.len() > 1 {
        &samples[1..]
    } else {
        samples
    }
}

/// How much of a stretch of wall-clock time this thread spent runnable but
/// waiting for a CPU (Linux `schedstat`): on a shared machine, the part of a
/// figure that is other processes' load rather than our code.
struct CpuWait {
    start: Instant,
    waited: Option<u64>,
}

impl CpuWait {
    fn read() -> Option<u64> {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        s.split_whitespace().nth(1)?.parse().ok()
    }

    fn start() -> Self {
        CpuWait {
            start: Instant::now(),
            waited: Self::read(),
        }
    }

    fn report(&self) -> String {
        match (self.waited, Self::read()) {
            (Some(a), Some(b)) => format!(
                "this thread waited for a CPU {:.0}% of the section",
                (b - a) as f64 / 1e9 / self.start.elapsed().as_secs_f64() * 100.0
            ),
            _ => "CPU wait unknown".into(),
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn verdict(ok: bool) -> &'static str {
    if ok { "MET" } else { "MISSED" }
}

/// One-call-per-sample settings for slow, setup-heavy benchmarks: flat
/// sampling, SAMPLES samples of one iteration each, a single warm-up call.
fn slow_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(500));
    g
}

// ---- 1. bulk insert ------------------------------------------------------------

/// Flush every filesystem (`sync`) before a timed insert, so its commit does
/// not also pay for writing back (or, on a `discard` mount, trimming) what the
/// previous iteration left behind. Not timed.
fn settle_disk() {
    let _ = std::process::Command::new("sync").status();
}

/// Time one encrypted insert into a fresh vault (setup and teardown excluded).
fn time_encrypted(data: &Dataset) -> Duration {
    let tmp = tempfile::tempdir().unwrap();
    let (mut vault, records) = fresh_vault(&tmp.path().join("vault"), data);
    settle_disk();
    let start = Instant::now();
    encrypted_insert(&mut vault, &records);
    let t = start.elapsed();
    drop(vault);
    t
}

/// Time one plaintext insert into a fresh database (setup and teardown
/// excluded).
fn time_plain(data: &Dataset) -> Duration {
    let tmp = tempfile::tempdir().unwrap();
    let conn = fresh_plain(&tmp.path().join("plain.db"), data);
    settle_disk();
    let start = Instant::now();
    plain_insert(&conn, data);
    let t = start.elapsed();
    drop(conn);
    t
}

/// Disk and page-cache speed drift over a run, so the two variants are
/// measured in pairs: every iteration of either criterion benchmark runs one
/// encrypted and one plaintext insert back to back (alternating which goes
/// first) and hands criterion its own variant's time. The ratio printed is
/// the median of the per-pair ratios.
fn bench_insert(c: &mut Criterion, data: &Dataset) {
    let wait = CpuWait::start();
    // (encrypted, plaintext) per pair, per criterion benchmark.
    let mut pairs_enc: Vec<(Duration, Duration)> = Vec::new();
    let mut pairs_plain: Vec<(Duration, Duration)> = Vec::new();
    let mut g = slow_group(c, &group_name("insert"));
    for (name, pairs) in [
        ("encrypted", &mut pairs_enc),
        ("plaintext", &mut pairs_plain),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (e, p) = if pairs.len() % 2 == 0 {
                        let e = time_encrypted(data);
                        (e, time_plain(data))
                    } else {
                        let p = time_plain(data);
                        (time_encrypted(data), p)
                    };
                    pairs.push((e, p));
                    total += if name == "encrypted" { e } else { p };
                }
                total
            })
        });
    }
    g.finish();
    let pairs: Vec<(Duration, Duration)> = measured(&pairs_enc)
        .iter()
        .chain(measured(&pairs_plain))
        .copied()
        .collect();
    if pairs.is_empty() {
        return;
    }
    let enc: Vec<Duration> = pairs.iter().map(|p| p.0).collect();
    let plain: Vec<Duration> = pairs.iter().map(|p| p.1).collect();
    let mut ratios: Vec<f64> = pairs
        .iter()
        .map(|(e, p)| e.as_secs_f64() / p.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let (e, p) = (median(&enc), median(&plain));
    println!(
        "insert {}: encrypted {:.0} ms, plaintext {:.0} ms, ratio {ratio:.2}x \
         (medians of {} fresh databases each, run in pairs; ratio of medians {:.2}x, \
         per-pair ratios {:.2}x..{:.2}x; goal <= 1.25x: {}; {})",
        config().label,
        ms(e),
        ms(p),
        pairs.len(),
        e.as_secs_f64() / p.as_secs_f64(),
        ratios[0],
        ratios[ratios.len() - 1],
        verdict(ratio <= 1.25),
        wait.report(),
    );
}

// ---- 2. search -----------------------------------------------------------------

/// 200 queries: rare and common single words, two-word queries, brand names
/// and exact identifiers (an order number, a username).
fn queries(brands: &[Brand], records: &[Record]) -> Vec<String> {
    let mut rng = Rng(0x0dd_ba11);
    let mut q = Vec::new();
    // Rare words: the tail of the summary vocabulary, plus misses.
    let tail = &SUMMARY_WORDS[SUMMARY_WORDS.len() - 30..];
    for _ in 0..40 {
        q.push(rng.pick(tail).to_string());
    }
    for w in ["nonexistent", "qwertyuiop", "zzz"] {
        q.push(w.to_string());
    }
    // Common words: the head of the vocabulary, kinds, channels, items.
    let head = &SUMMARY_WORDS[..15];
    for _ in 0..37 {
        q.push(rng.pick(head).to_string());
    }
    for w in [
        "inbound",
        "email",
        "monthly",
        "headphones",
        "premium",
        "london",
    ] {
        q.push(w.to_string());
    }
    // Brand names (each ~2% of records).
    for _ in 0..20 {
        let b = &brands[rng.below(brands.len())];
        q.push(b.name.split(' ').next().unwrap().to_lowercase());
    }
    // Exact identifiers taken from the data.
    let mut ids = 0;
    for r in records.iter().skip(rng.below(1000)).step_by(997) {
        if ids == 14 {
            break;
        }
        if let Some(o) = r.fields.get("order").or_else(|| r.fields.get("username")) {
            q.push(o.to_lowercase());
            ids += 1;
        }
    }
    // Two words: common+common, common+rare, brand+word, item+year.
    while q.len() < 200 {
        let a = match rng.below(4) {
            0 => rng.pick(head).to_string(),
            1 => rng.pick(tail).to_string(),
            2 => brands[rng.below(brands.len())]
                .name
                .split(' ')
                .next()
                .unwrap()
                .to_lowercase(),
            _ => rng.pick(ITEMS).split(' ').next_back().unwrap().to_string(),
        };
        let b = match rng.below(3) {
            0 => rng.pick(head).to_string(),
            1 => format!("{}", 2020 + rng.below(6)),
            _ => rng.pick(CHANNELS).to_string(),
        };
        q.push(format!("{a} {b}"));
    }
    q.truncate(200);
    q
}

/// The baseline: every word lowercased and looked for with `contains` in the
/// lowercased text of every decrypted record (kind, brand name, field
/// values, tags), the same text the index is built from.
fn naive_search(records: &[Record], brand_names: &HashMap<BrandId, String>, query: &str) -> usize {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return 0;
    }
    records
        .iter()
        .filter(|r| {
            let brand = r.brand.as_ref().and_then(|b| brand_names.get(b));
            let parts: Vec<String> = std::iter::once(r.kind.as_str())
                .chain(brand.map(String::as_str))
                .chain(r.fields.values().map(String::as_str))
                .chain(r.tags.iter().map(String::as_str))
                .map(str::to_lowercase)
                .collect();
            words
                .iter()
                .all(|w| parts.iter().any(|p| p.contains(w.as_str())))
        })
        .count()
}

fn record_hits(hits: &[Hit]) -> usize {
    hits.iter().filter(|h| matches!(h, Hit::Record(_))).count()
}

fn bench_search(c: &mut Criterion, vault: &mut Vault) {
    let wait = CpuWait::start();
    let filter = RecordFilter::default();
    vault.prepare_search().unwrap();
    let records = vault.list_records(&filter).unwrap();
    assert_eq!(
        records.len(),
        n_records(),
        "the vault holds another number of records than VRM_BENCH_RECORDS"
    );
    let brand_names: HashMap<BrandId, String> = vault
        .brands()
        .unwrap()
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let qs = queries(&vault.brands().unwrap(), &records);

    // Warm-up pass, then one timed pass; every result checked against the
    // naive scan.
    for q in &qs {
        black_box(vault.search(q, &filter).unwrap());
    }
    let mut times = Vec::with_capacity(qs.len());
    let mut naive_times = Vec::with_capacity(qs.len());
    let mut total_hits = 0;
    let mut slowest: Vec<(Duration, &str, usize)> = Vec::new();
    for q in &qs {
        let start = Instant::now();
        let hits = vault.search(q, &filter).unwrap();
        times.push(start.elapsed());
        let start = Instant::now();
        let expected = naive_search(&records, &brand_names, q);
        naive_times.push(start.elapsed());
        assert_eq!(record_hits(&hits), expected, "query {q:?}");
        total_hits += expected;
        slowest.push((times[times.len() - 1], q.as_str(), expected));
    }
    // With VRM_BENCH_VERBOSE: the queries behind the tail.
    if std::env::var_os("VRM_BENCH_VERBOSE").is_some() {
        slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (t, q, n) in slowest.iter().take(15) {
            println!("  slow query {q:?}: {:.2} ms, {n} record hits", ms(*t));
        }
    }
    times.sort();
    naive_times.sort();
    let (p50, p95, max) = (
        percentile(&times, 50.0),
        percentile(&times, 95.0),
        percentile(&times, 100.0),
    );
    let (n50, n95) = (
        percentile(&naive_times, 50.0),
        percentile(&naive_times, 95.0),
    );
    println!(
        "search {}: {} queries (mean {} record hits): p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms; \
         naive scan p50 {:.1} ms, p95 {:.1} ms; ratio naive/index p50 {:.0}x, p95 {:.0}x \
         (goal p95 <= 15 ms: {}; {})",
        config().label,
        qs.len(),
        total_hits / qs.len(),
        ms(p50),
        ms(p95),
        ms(max),
        ms(n50),
        ms(n95),
        n50.as_secs_f64() / p50.as_secs_f64(),
        n95.as_secs_f64() / p95.as_secs_f64(),
        verdict(p95 <= Duration::from_millis(15)),
        wait.report(),
    );

    // What the app's search screen asks for: the first page of 50 and the
    // count (`search_page`), each checked against the whole search.
    let first = PageRequest::first(50);
    for q in &qs {
        black_box(vault.search_page(q, &filter, first).unwrap());
    }
    let mut page_times = Vec::with_capacity(qs.len());
    for q in &qs {
        let start = Instant::now();
        let page = vault.search_page(q, &filter, first).unwrap();
        page_times.push(start.elapsed());
        let whole = vault.search(q, &filter).unwrap();
        assert_eq!(page.total, whole.len(), "query {q:?}");
        let ids: Vec<String> = page
            .items
            .iter()
            .map(|it| match it {
                SearchItem::Brand { brand } => brand.id.to_string(),
                SearchItem::Record { record } => record.id.to_string(),
            })
            .collect();
        let want: Vec<String> = whole
            .iter()
            .take(50)
            .map(|h| match h {
                Hit::Brand(id) => id.to_string(),
                Hit::Record(id) => id.to_string(),
            })
            .collect();
        assert_eq!(ids, want, "query {q:?}");
    }
    page_times.sort();
    let (pp50, pp95, pmax) = (
        percentile(&page_times, 50.0),
        percentile(&page_times, 95.0),
        percentile(&page_times, 100.0),
    );
    println!(
        "search {} first page of 50 with the count (search_page, the app's search): p50 {:.2} ms, \
         p95 {:.2} ms, max {:.2} ms; naive scan p95 {:.1} ms (goal p95 <= 15 ms: {}; {})",
        config().label,
        ms(pp50),
        ms(pp95),
        ms(pmax),
        ms(n95),
        verdict(pp95 <= Duration::from_millis(15)),
        wait.report(),
    );

    // A term matching most records: every record with a date has "202".
    for common in ["202", "e"] {
        let expected = naive_search(&records, &brand_names, common);
        let mut t = Vec::new();
        let mut nt = Vec::new();
        for _ in 0..SAMPLES + 1 {
            let start = Instant::now();
            let hits = vault.search(common, &filter).unwrap();
            t.push(start.elapsed());
            assert_eq!(record_hits(&hits), expected);
        }
        for _ in 0..3 {
            let start = Instant::now();
            black_box(naive_search(&records, &brand_names, common));
            nt.push(start.elapsed());
        }
        let m = median(measured(&t));
        let n = median(&nt);
        println!(
            "search {} common term {common:?} ({expected} of {} records match): median {:.1} ms, \
             max {:.1} ms; naive scan {:.1} ms; ratio naive/index {:.1}x (goal <= 50 ms: {})",
            config().label,
            records.len(),
            ms(m),
            ms(*measured(&t).iter().max().unwrap()),
            ms(n),
            n.as_secs_f64() / m.as_secs_f64(),
            verdict(m <= Duration::from_millis(50)),
        );
    }

    let mut g = c.benchmark_group(group_name("search"));
    g.sample_size(SAMPLES)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("typical_query", |b| {
        b.iter(|| black_box(vault.search(black_box("refund inbound"), &filter).unwrap()))
    });
    g.finish();
}

// ---- 3. unlock -----------------------------------------------------------------

fn bench_unlock(c: &mut Criterion, dir: &Path, kek: &SecretKey, plain_db: &Path) {
    let wait = CpuWait::start();
    let mut open_unlock = Vec::new();
    let mut searchable = Vec::new();
    let mut plain = Vec::new();
    let mut plain_parsed = Vec::new();
    let mut g = slow_group(c, &group_name("unlock"));
    g.bench_function("open_unlock_prepare_search", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let locked = Vault::open(dir).unwrap();
                let mut vault = locked.unlock_with_kek(kek).unwrap();
                let unlocked = start.elapsed();
                vault.prepare_search().unwrap();
                let ready = start.elapsed();
                open_unlock.push(unlocked);
                searchable.push(ready);
                total += ready;
                drop(vault);
            }
            total
        })
    });
    g.bench_function("plaintext_open_read_all", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let store = PlaintextStore::open(plain_db).unwrap();
                let (brands, rows) = store.read_all().unwrap();
                let t = start.elapsed();
                assert_eq!(
                    (brands.len(), rows.len()),
                    (n_brands(), n_records()),
                    "the plaintext twin holds another data set than VRM_BENCH_RECORDS/MIX"
                );
                // Not part of the baseline: how long parsing the JSON adds.
                let parse_start = Instant::now();
                let parsed: Vec<Record> = rows
                    .iter()
                    .map(|r| serde_json::from_slice(r).unwrap())
                    .collect();
                plain_parsed.push(t + parse_start.elapsed());
                black_box(parsed);
                plain.push(t);
                total += t;
                drop(store);
            }
            total
        })
    });
    g.finish();
    if searchable.is_empty() || plain.is_empty() {
        return;
    }
    let ou = median(measured(&open_unlock));
    let s = median(measured(&searchable));
    let p = median(measured(&plain));
    let pp = median(measured(&plain_parsed));
    let ratio_parsed = s.as_secs_f64() / pp.as_secs_f64();
    println!(
        "unlock {} (KDF excluded): open+unlock {:.1} ms; open+unlock+prepare_search {:.1} ms \
         (goal <= 300 ms at 100k: {}); plaintext open+read all rows {:.1} ms (open+read+JSON parse of every row {:.1} ms); \
         ratio searchable/plaintext read {:.2}x, searchable/plaintext read+parse {:.2}x \
         (goal <= 1.5x: {}); {}",
        config().label,
        ms(ou),
        ms(s),
        verdict(s <= Duration::from_millis(300)),
        ms(p),
        ms(pp),
        s.as_secs_f64() / p.as_secs_f64(),
        ratio_parsed,
        verdict(ratio_parsed <= 1.5),
        wait.report(),
    );
}

// ---- 4. signed documents: verify throughput, share bundle -----------------------

/// Signature verification throughput: `proof::verify_credential` (JCS of
/// document and proof options, two SHA-256, Ed25519, the credential checks)
/// over 2,000 distinct intent-shaped credentials, against bare Ed25519
/// verification (ring) of the same number of 64-byte messages.
fn bench_verify(c: &mut Criterion) {
    use vrm_vault::crypto::did::{SigningKey, verify_signature};
    use vrm_vault::proof;
    const N: usize = 2_000;
    let key = SigningKey::generate().unwrap();
    let now = Utc::now();
    let docs: Vec<serde_json::Value> = (0..N)
        .map(|i| {
            let id = uuid::Uuid::new_v4();
            proof::issue_credential(
                "IntentRequest",
                &key,
                id,
                now,
                Some(now + chrono::Duration::days(7)),
                serde_json::json!({
                    "intentId": format!("urn:uuid:{id}"),
                    "category": "lunch",
                    "description": format!("vegetarian lunch for {i} people near the station"),
                    "budget": { "max": "30.00", "currency": "EUR" },
                    "replyTo": { "ageRecipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p" },
                }),
            )
            .unwrap()
        })
        .collect();
    let msgs: Vec<([u8; 64], [u8; 64])> = (0..N)
        .map(|i| {
            let mut m = [0u8; 64];
            m[..8].copy_from_slice(&(i as u64).to_le_bytes());
            (m, key.sign(&m))
        })
        .collect();
    let public = key.public_key();
    let mut ours = Vec::new();
    let mut bare = Vec::new();
    let mut g = c.benchmark_group("verify");
    g.sample_size(SAMPLES);
    g.bench_function("verify_credential_x2000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                for d in &docs {
                    black_box(proof::verify_credential(d, now).unwrap());
                }
                let t = start.elapsed();
                ours.push(t);
                total += t;
            }
            total
        })
    });
    g.bench_function("bare_ed25519_x2000", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                for (m, sig) in &msgs {
                    assert!(verify_signature(&public, m, sig));
                }
                let t = start.elapsed();
                bare.push(t);
                total += t;
            }
            total
        })
    });
    g.finish();
    let o = median(measured(&ours));
    let b = median(measured(&bare));
    let per_s = N as f64 / o.as_secs_f64();
    println!(
        "verify: {:.0} credentials/s (goal >= 5000/s: {}); bare Ed25519 {:.0}/s; ratio {:.2}x",
        per_s,
        verdict(per_s >= 5000.0),
        N as f64 / b.as_secs_f64(),
        o.as_secs_f64() / b.as_secs_f64(),
    );
}

/// A share of 10,000 records (`Vault::create_share`: look up and filter the
/// records, sign the grant, age-encrypt it, record the share and its log
/// entry, write the file) against the baseline of serialising the same
/// records' fields to JSON and age-encrypting that to the same two
/// recipients, without signing or bookkeeping.
fn bench_share(c: &mut Criterion, data: &Dataset) {
    use vrm_vault::crypto::bundle::{self, AgeIdentity};
    use vrm_vault::share::ShareRequest;
    const N: usize = 10_000;
    let tmp = tempfile::tempdir().unwrap();
    let (mut vault, records) = fresh_vault(&tmp.path().join("vault"), data);
    encrypted_insert(&mut vault, &records[..N]);
    let brand_key = AgeIdentity::generate();
    let brand = vault
        .add_brand(&BrandInput {
            name: Some("Bench Share Brand".into()),
            age_recipient: Some(brand_key.recipient()),
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<String> = records[..N].iter().map(|r| r.id.to_string()).collect();
    let req = ShareRequest {
        brand: brand.id.to_string(),
        records: ids,
        fields: vec![],
        purpose: "benchmark".into(),
        expires_at: Utc::now() + chrono::Duration::days(30),
        terms: None,
    };
    let out = tmp.path().join("share.age");
    let own = vault.person_recipient().unwrap();
    let mut ours = Vec::new();
    let mut base = Vec::new();
    let mut g = slow_group(c, "share_10k");
    g.bench_function("create_share", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                black_box(vault.shares().create(&req, &out).unwrap());
                let t = start.elapsed();
                ours.push(t);
                total += t;
            }
            total
        })
    });
    g.bench_function("json_and_age_only", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let fields: Vec<&BTreeMap<String, String>> =
                    records[..N].iter().map(|r| &r.fields).collect();
                let json = serde_json::to_vec(&fields).unwrap();
                black_box(bundle::encrypt(&json, &[brand_key.recipient(), own.clone()]).unwrap());
                let t = start.elapsed();
                base.push(t);
                total += t;
            }
            total
        })
    });
    g.finish();
    let o = median(measured(&ours));
    let b = median(measured(&base));
    println!(
        "share 10k: create_share {:.1} ms (goal <= 250 ms: {}); JSON + age only {:.1} ms; ratio {:.2}x; bundle {} KiB",
        ms(o),
        verdict(o <= Duration::from_millis(250)),
        ms(b),
        o.as_secs_f64() / b.as_secs_f64(),
        std::fs::metadata(&out).map(|m| m.len() / 1024).unwrap_or(0),
    );
}

// ---- 5. memory of an unlocked, searchable vault --------------------------------

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// What is measured (by time, instruction count or memory): open the vault,
/// unlock it with a derived key and make it searchable.
#[inline(never)]
fn unlock_to_searchable(dir: &Path, kek: &SecretKey) -> Vault {
    let mut vault = Vault::open(dir).unwrap().unlock_with_kek(kek).unwrap();
    vault.prepare_search().unwrap();
    vault
}

fn bench_memory(data: &mut Option<Dataset>) {
    let stores = Stores::get(data);
    // Measure in a fresh process: this one now holds the data set.
    if stores.made && std::env::var_os("VRM_BENCH_VAULT").is_some() {
        println!("memory: run again to measure");
        return;
    }
    let dir = &stores.dir;
    let locked = Vault::open(dir).unwrap();
    let kek = locked.derive_kek(&SecretString::from(PASSPHRASE)).unwrap();
    drop(locked);
    // Argon2 has freed its 64 MiB by now, but it raised the high-water mark:
    // that is why the figure of interest is VmRSS, with VmHWM for reference.
    let (rss0, hwm0) = rss_kib();
    let start = Instant::now();
    let mut vault = unlock_to_searchable(dir, &kek);
    let took = start.elapsed();
    let (rss1, hwm1) = rss_kib();
    let hits = vault.search("refund", &RecordFilter::default()).unwrap();
    let (rss2, _) = rss_kib();
    let start = Instant::now();
    let list = vault.list_records(&RecordFilter::default()).unwrap();
    let list_took = start.elapsed();
    let (rss3, hwm3) = rss_kib();
    let plain: usize = list
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap().len())
        .sum();
    let n = list.len();
    // The brand with the most records: the heaviest page the app shows.
    let mut per_brand: HashMap<&BrandId, usize> = HashMap::new();
    for r in &list {
        if let Some(b) = &r.brand {
            *per_brand.entry(b).or_default() += 1;
        }
    }
    let largest = per_brand
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(*id)))
        .map(|(id, n)| (id.to_string(), *n));
    drop(per_brand);
    let start = Instant::now();
    black_box(vault.list_records(&RecordFilter::default()).unwrap());
    let list_again = start.elapsed();
    drop(list);
    println!(
        "memory {}: before unlock VmRSS {:.1} MiB (VmHWM {:.1}); searchable after {:.0} ms: \
         VmRSS {:.1} MiB (+{:.1} MiB; VmHWM {:.1}; goal VmRSS <= 300 MB: {}); after one search ({} hits) VmRSS {:.1} MiB; \
         after the first list_records ({} records, {:.0} ms) VmRSS {:.1} MiB (+{:.1} MiB over before unlock; VmHWM {:.1}); \
         a second list_records {:.0} ms; records' plaintext (JSON) {:.1} MiB",
        config().label,
        mib(rss0),
        mib(hwm0),
        ms(took),
        mib(rss1),
        mib(rss1.saturating_sub(rss0)),
        mib(hwm1),
        verdict(rss1 * 1024 <= 300_000_000),
        hits.len(),
        mib(rss2),
        n,
        ms(list_took),
        mib(rss3),
        mib(rss3.saturating_sub(rss0)),
        mib(hwm3),
        ms(list_again),
        plain as f64 / (1024.0 * 1024.0),
    );
    let Some((brand, size)) = largest else {
        drop(vault);
        return;
    };
    // The brand page, with the records already decrypted (as after a list)...
    let mut warm = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let page = vault.brand_page(&brand).unwrap();
        warm.push(start.elapsed());
        assert_eq!(page.records.len(), size);
    }
    drop(vault);
    // What the app asks for instead (paged), as the first calls after
    // unlocking: the brand's timeline, the record list, and a page deep in it.
    let mut vault = unlock_to_searchable(dir, &kek);
    let (rss_before_pages, _) = rss_kib();
    let start = Instant::now();
    let timeline = vault
        .brand_timeline(&brand, PageRequest::first(200))
        .unwrap();
    let timeline_took = start.elapsed();
    assert_eq!(timeline.records.total, size);
    let start = Instant::now();
    let first = vault
        .list_records_page(&RecordFilter::default(), PageRequest::first(200))
        .unwrap();
    let list_page_took = start.elapsed();
    let deep = PageRequest {
        offset: first.total / 2,
        limit: 200,
    };
    let start = Instant::now();
    black_box(
        vault
            .list_records_page(&RecordFilter::default(), deep)
            .unwrap(),
    );
    let deep_took = start.elapsed();
    let (rss_pages, _) = rss_kib();
    println!(
        "memory {}: the app's paged calls first after unlock: brand_timeline of the largest brand \
         (200 of {size}) {:.1} ms; list_records_page first 200 of {} {:.1} ms; a page of 200 at \
         offset {} {:.1} ms; VmRSS {:.1} MiB after them (+{:.1} MiB)",
        config().label,
        ms(timeline_took),
        first.total,
        ms(list_page_took),
        deep.offset,
        ms(deep_took),
        mib(rss_pages),
        mib(rss_pages.saturating_sub(rss_before_pages)),
    );
    drop(vault);
    // ...and the whole brand page as the first thing after unlocking, when
    // it decrypts them all.
    let mut vault = unlock_to_searchable(dir, &kek);
    let start = Instant::now();
    black_box(vault.brand_page(&brand).unwrap());
    let cold = start.elapsed();
    let (rss4, hwm4) = rss_kib();
    println!(
        "memory {}: brand_page of the largest brand ({size} records): first after unlock {:.0} ms \
         (VmRSS then {:.1} MiB, VmHWM {:.1}); after a list_records median of 3 {:.0} ms",
        config().label,
        ms(cold),
        mib(rss4),
        mib(hwm4),
        ms(median(&warm)),
    );
    drop(vault);
}

// ---- main ------------------------------------------------------------------------

/// Whether to run a section: all of them unless `VRM_BENCH_ONLY` names some
/// (`insert`, `search`, `unlock`, `verify`, `share`, `memory`; comma-separated),
/// e.g. for profiling one.
fn wanted(section: &str) -> bool {
    match std::env::var("VRM_BENCH_ONLY") {
        Ok(only) => only.split(',').any(|s| s.trim() == section),
        // The memory figure needs a process of its own.
        Err(_) => section != "memory",
    }
}

fn main() {
    isolated_config::isolate_config();
    let mut data: Option<Dataset> = None;
    if std::env::var("VRM_BENCH_ONLY").is_ok_and(|s| s.trim() == "memory") {
        bench_memory(&mut data);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let started = Instant::now();
    println!(
        "machine: {} CPUs, load average {} at start; {} records, mix {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
        n_records(),
        config().label,
    );

    if wanted("insert") {
        bench_insert(&mut c, dataset(&mut data));
    }

    if wanted("search") || wanted("unlock") {
        // One vault (and its plaintext twin) for search and unlock.
        let stores = Stores::get(&mut data);
        let locked = Vault::open(&stores.dir).unwrap();
        // The KDF runs once, outside every timing.
        let kek = locked.derive_kek(&SecretString::from(PASSPHRASE)).unwrap();
        if wanted("search") {
            let mut vault = locked.unlock_with_kek(&kek).unwrap();
            bench_search(&mut c, &mut vault);
        } else {
            drop(locked);
        }
        if wanted("unlock") {
            bench_unlock(&mut c, &stores.dir, &kek, &stores.plain_db);
        }
    }

    if wanted("verify") {
        bench_verify(&mut c);
    }
    if wanted("share") {
        bench_share(&mut c, dataset(&mut data));
    }

    c.final_summary();
    println!(
        "total bench time {:.0} s, load average {} at the end",
        started.elapsed().as_secs_f64(),
        load_average()
    );
}
