//! Sync benchmarks (issue 14), each against its baseline in the same run:
//!
//! - **first sync** of a vault of `VRM_BENCH_RECORDS` records (100,000 by
//!   default) to a new device over the tests' loopback S3 server (moto;
//!   Garage with `VRM_TEST_GARAGE`; a folder without either): the push on
//!   the first device, its invitation (with the image of its database),
//!   then the join of the second (the image fetched, checked and made a
//!   vault of its own, then its first sync), against copying the vault's
//!   files; the median of `VRM_BENCH_JOINS` rounds (5), each with a new
//!   invitation. The store's part alone (fetching the image's parts,
//!   nothing checked or written) is a second baseline;
//! - **one edit** on one device, its push, and the pull on the other
//!   (median of `VRM_BENCH_EDITS`, 10 by default), excluding the KDF;
//! - **write overhead**: the bulk insert of the records into a vault that
//!   syncs against one that does not (no capture runs on the write path:
//!   the ratio says so), and the capture the next sync runs over them.
//!
//! `cargo bench --bench sync`. The KDF is the minimum (64 MiB, 3 passes);
//! its time is measured on its own and given, as the join includes one.

#[path = "isolated_config.rs"]
mod isolated_config;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use vrm_vault::crypto::KdfParams;
use vrm_vault::sync::devices::join;
use vrm_vault::sync::target::{S3Secret, S3Settings, TargetSpec};

// The tests' S3 server on loopback.
#[path = "../tests/processes.rs"]
mod processes;
#[path = "../tests/s3_server.rs"]
#[allow(dead_code)]
mod s3_server;
use vrm_vault::{BrandId, BrandInput, Record, RecordId, RecordKind, Vault};

const PASS: &str = "correct horse battery staple";

fn records(n: usize, brand: &BrandId) -> Vec<Record> {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    (0..n)
        .map(|i| Record {
            id: RecordId::random(),
            kind: RecordKind::Purchase,
            brand: (i % 4 != 0).then(|| brand.clone()),
            fields: BTreeMap::from([
                (
                    "item".to_string(),
                    format!("order item number {i} from the shop"),
                ),
                ("price".to_string(), format!("{}.{:02}", i % 500, i % 100)),
                (
                    "date".to_string(),
                    format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
                ),
                ("order_number".to_string(), format!("ORD-{i:08}")),
            ]),
            tags: vec!["from-email".into()],
            created_at: at,
            updated_at: at,
        })
        .collect()
}

fn new_vault(dir: &Path) -> Vault {
    Vault::create(
        dir,
        &SecretString::from(PASS),
        KdfParams::minimum().unwrap(),
    )
    .unwrap()
    .0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn now_ms() -> u64 {
    Utc::now().timestamp_millis() as u64
}

fn env_number(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    isolated_config::isolate_config();
    // `cargo test --benches` runs bench binaries with `--test`: nothing to do.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let n = env_number("VRM_BENCH_RECORDS", 100_000);
    let edits = env_number("VRM_BENCH_EDITS", 10);
    let tmp = tempfile::Builder::new()
        .prefix("vrm-sync-bench")
        .tempdir_in(
            std::env::var_os("VRM_BENCH_DIR").unwrap_or_else(|| std::env::temp_dir().into()),
        )
        .unwrap();
    println!(
        "sync bench: {n} records, {} CPUs",
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );

    // The KDF alone, for reference (the join runs it once).
    let start = Instant::now();
    vrm_vault::crypto::derive_kek(&SecretString::from(PASS), &KdfParams::minimum().unwrap())
        .unwrap();
    let kdf = start.elapsed();

    // Write overhead: the same bulk insert into a vault that syncs and
    // into one that does not, alternately, three times each.
    let (mut plain_times, mut sync_times) = (Vec::new(), Vec::new());
    for round in 0..3 {
        for syncing in [false, true] {
            let dir = tmp.path().join(format!("insert-{round}-{syncing}"));
            let store = tmp.path().join(format!("insert-store-{round}-{syncing}"));
            std::fs::create_dir_all(&store).unwrap();
            let mut v = new_vault(&dir);
            let brand = v.add_brand(&BrandInput::named("Shop")).unwrap().id;
            if syncing {
                v.sync()
                    .setup(TargetSpec::Folder { path: store }, "bench")
                    .unwrap();
            }
            let rs = records(n, &brand);
            let start = Instant::now();
            v.insert_batch(&[], &rs, &mut |_, _| {}).unwrap();
            let took = start.elapsed();
            if syncing {
                sync_times.push(took)
            } else {
                plain_times.push(took)
            }
            drop(v);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
    let (plain, syncing) = (median(plain_times), median(sync_times));
    println!(
        "write overhead: insert of {n} records into a syncing vault {:.0} ms, into one that does not {:.0} ms: {:.2}x (goal <= 1.3x)",
        ms(syncing),
        ms(plain),
        ms(syncing) / ms(plain)
    );

    // First sync to a new device, over the loopback S3 server the tests
    // use (moto; Garage with VRM_TEST_GARAGE), else a folder.
    let a_dir = tmp.path().join("a");
    let store = tmp.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let s3 = s3_server::S3Server::start_or_skip();
    let spec = match &s3 {
        Some(s3) => TargetSpec::S3(
            S3Settings::new(
                "s3://vault-sync/bench",
                &s3.endpoint,
                Some(&s3.region),
                &s3.access_key,
                S3Secret::new(&s3.secret_key),
            )
            .unwrap(),
        ),
        None => TargetSpec::Folder {
            path: store.clone(),
        },
    };
    println!("store: {}", spec.describe());
    let mut a = new_vault(&a_dir);
    let brand = a.add_brand(&BrandInput::named("Shop")).unwrap().id;
    a.insert_batch(&[], &records(n, &brand), &mut |_, _| {})
        .unwrap();
    a.sync().setup(spec.clone(), "a").unwrap();
    let start = Instant::now();
    let captured = a.sync().capture(now_ms()).unwrap();
    let capture = start.elapsed();
    let start = Instant::now();
    let pushed = a.sync().sync(now_ms()).unwrap();
    let push = start.elapsed();
    // Each round: an invitation, the copy of the vault's files (the
    // baseline), and the join of a new device from the invitation; the
    // medians are compared.
    let rounds = env_number("VRM_BENCH_JOINS", 5).max(1);
    let (mut invites, mut fetches) = (Vec::new(), Vec::new());
    // Copies and joins with this machine's free memory as it is [0], and
    // warmed first [1].
    let (mut copies, mut joins) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    let (mut store_bytes, mut db_bytes, mut pulled) = (0u64, 0u64, 0);
    let mut joined_vault = None;
    for round in 0..2 * rounds {
        let warm = round % 2;
        let start = Instant::now();
        let (invitation, code) = a
            .sync()
            .invite(&format!("b{round}"), 3_600_000, now_ms())
            .unwrap();
        invites.push(start.elapsed());
        if round == 0 {
            store_bytes = match &s3 {
                Some(s3) => s3.scan().iter().map(|(_, b)| b.len() as u64).sum(),
                None => walk(&store)
                    .iter()
                    .map(|p| std::fs::metadata(p).unwrap().len())
                    .sum(),
            };
        }

        // The store's part alone: fetching the image's parts, two at a
        // time as the join does, nothing checked or written.
        let start = Instant::now();
        let target = spec.open().unwrap();
        let parts: Vec<String> = target
            .list()
            .unwrap()
            .into_iter()
            .filter(|n| n.starts_with("images/"))
            .collect();
        std::thread::scope(|scope| {
            for half in parts.chunks(parts.len().div_ceil(2)) {
                let target = &target;
                scope.spawn(move || {
                    for name in half {
                        std::hint::black_box(target.get(name).unwrap().unwrap());
                    }
                });
            }
        });
        fetches.push(start.elapsed());

        settle();
        if warm == 1 {
            warm_memory();
        }
        // The baseline: copying the vault's files (the database and its
        // WAL) to a new folder, each synced to disk, as a file-sync tool
        // would.
        let start = Instant::now();
        let copy_to = tmp.path().join(format!("copy-{round}"));
        std::fs::create_dir_all(&copy_to).unwrap();
        db_bytes = 0;
        for file in walk(&a_dir) {
            let to = copy_to.join(file.file_name().unwrap());
            db_bytes += std::fs::copy(&file, &to).unwrap();
            std::fs::File::open(&to).unwrap().sync_all().unwrap();
        }
        copies[warm].push(start.elapsed());
        std::fs::remove_dir_all(&copy_to).unwrap();

        let b_dir = tmp.path().join(format!("b-{round}"));
        settle();
        if warm == 1 {
            warm_memory();
        }
        let start = Instant::now();
        let (mut b, _, report) = join(
            &b_dir,
            &SecretString::from(PASS),
            KdfParams::minimum().unwrap(),
            &invitation,
            &code,
            None,
            now_ms(),
        )
        .unwrap();
        joins[warm].push(start.elapsed());
        pulled = report.pulled;
        assert_eq!(b.list_records(&Default::default()).unwrap().len(), n);
        // The last one joined stays, for the edits below.
        if let Some((_, old_dir)) = joined_vault.replace((b, b_dir)) {
            std::fs::remove_dir_all(old_dir).unwrap();
        }
    }
    let (mut b, _) = joined_vault.unwrap();
    let (invite, fetch) = (median(invites), median(fetches));
    for warm in [0, 1] {
        println!(
            "{}: joins {:?} ms; copies {:?} ms",
            if warm == 1 {
                "memory warmed first"
            } else {
                "memory as it is"
            },
            joins[warm]
                .iter()
                .map(|d| ms(*d).round())
                .collect::<Vec<_>>(),
            copies[warm]
                .iter()
                .map(|d| ms(*d).round())
                .collect::<Vec<_>>()
        );
    }
    println!(
        "first sync: capture of {captured} rows {:.0} ms; push {:.0} ms ({} objects); invitation with the image of the database {:.0} ms ({:.1} MiB in the store; the vault's files {:.1} MiB); \
         join of the new device: pull of {} objects, KDF {:.0} ms included; \
         the store's part alone (fetching the image, nothing checked or written) {:.0} ms",
        ms(capture),
        ms(push),
        pushed.pushed,
        ms(invite),
        store_bytes as f64 / 1048576.0,
        db_bytes as f64 / 1048576.0,
        pulled,
        ms(kdf),
        ms(fetch),
    );
    for warm in [0, 1] {
        let (copy, joined) = (median(copies[warm].clone()), median(joins[warm].clone()));
        println!(
            "first sync, {}: join {:.0} ms, copying the vault's files {:.0} ms (medians of {rounds}): join / copy {:.1}x (goal <= 3x); \
             (push + join) / copy {:.1}x; the store's part alone / copy {:.1}x",
            if warm == 1 {
                "free memory warmed before each (both)"
            } else {
                "free memory as it is"
            },
            ms(joined),
            ms(copy),
            ms(joined) / ms(copy),
            (ms(push) + ms(joined)) / ms(copy),
            ms(fetch) / ms(copy)
        );
    }

    // One edit, pushed by A and pulled by B.
    a.sync().sync(now_ms()).unwrap();
    let id = a
        .list_records_page(&Default::default(), vrm_vault::model::PageRequest::first(1))
        .unwrap()
        .items[0]
        .id
        .to_string();
    let mut rounds = Vec::new();
    let mut push_only = Vec::new();
    for i in 0..edits {
        let start = Instant::now();
        a.update_record(
            &id,
            &vrm_vault::RecordPatch {
                set: BTreeMap::from([("price".to_string(), format!("{i}.00"))]),
                ..Default::default()
            },
        )
        .unwrap();
        a.sync().sync(now_ms()).unwrap();
        push_only.push(start.elapsed());
        let r = b.sync().sync(now_ms()).unwrap();
        rounds.push(start.elapsed());
        assert_eq!(r.rows_changed, 1);
    }
    assert_eq!(
        b.record(&id).unwrap().fields["price"],
        format!("{}.00", edits - 1)
    );
    println!(
        "one edit: edit + push on A, pull on B: median {:.1} ms of {edits} (edit + push alone {:.1} ms) (goal <= 250 ms)",
        ms(median(rounds)),
        ms(median(push_only))
    );
}

/// Writes out what the machine has not written to disk yet, so that a
/// measurement's fsync does not wait for an earlier step's writes (ext4
/// commits other files' pending data with its journal).
fn settle() {
    let _ = std::process::Command::new("sync").status();
}

/// Touches and frees more memory than a step uses. On a virtual machine
/// whose free memory goes back to the host (a balloon's free page
/// reporting, as on the machine these figures were taken on), the first
/// write to a page the host took back costs several microseconds, and a
/// step is slowed by however much of its memory happens to be such pages:
/// measured before each step of a pair, this puts both on the same footing.
fn warm_memory() {
    let mut pages = vec![0u8; 512 << 20];
    for page in pages.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(&pages);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
