//! Discovery benchmarks, each against a baseline in the same process:
//!
//! 1. `discover`: staging a generated mailbox (tests/mail_corpus.rs: HTML
//!    newsletters and receipts with schema.org orders, one in twenty with a
//!    100–300 KB attachment) into a fresh vault, against the bare MIME parse
//!    (`mail_parser`, every message parsed whole) of the same file read by
//!    the same mbox reader. Criterion runs a 2,000-message mailbox; then one
//!    timed pass over 20,000 messages (`VRM_BENCH_MESSAGES` to change)
//!    prints messages per second and the ratio. Goals: ≤ 1.5× the bare
//!    parse, ≥ 2,000 messages/s.
//! 2. `memory` (`VRM_BENCH_ONLY=memory`, a process of its own): peak
//!    resident memory (VmHWM) while discovering a 1 GB mailbox
//!    (`VRM_BENCH_MBOX_MB` to change), written to disk a part at a time.
//!    Goal: ≤ 200 MB.
//!
//! 3. `imap` (`VRM_BENCH_ONLY=imap`): a real Dovecot on loopback
//!    (tests/dovecot.rs) with a 20,000-message INBOX; after the first run,
//!    10 new messages are delivered and the incremental re-run is timed
//!    (median of 3), against a re-run with nothing new (connect, TLS,
//!    LOGIN, EXAMINE, SEARCH). Goal: ≤ 2 s.
//!
//! Run with `cargo bench --bench discover`.

#[path = "isolated_config.rs"]
mod isolated_config;

use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode};
use secrecy::SecretString;
use vrm_vault::Vault;
use vrm_vault::crypto::KdfParams;
use vrm_vault::discover::source::{self, MessageSink, RawMessage};
use vrm_vault::discover::{RunOptions, Summary};

#[path = "../tests/mail_corpus.rs"]
mod mail_corpus;

#[path = "../tests/dovecot.rs"]
#[allow(dead_code)]
mod dovecot;
#[path = "../tests/processes.rs"]
mod processes;

const BRANDS: usize = 300;

struct BareParse(u64);

impl MessageSink for BareParse {
    fn message(&mut self, msg: RawMessage<'_>) -> vrm_vault::Result<()> {
        if let Some(m) = mail_parser::MessageParser::default().parse(msg.bytes) {
            self.0 += black_box(m.parts.len()) as u64;
        }
        Ok(())
    }
}

fn bare_parse(mbox: &Path) -> u64 {
    let mut sink = BareParse(0);
    source::read_mbox(mbox, &mut sink).unwrap();
    sink.0
}

/// A new, empty vault in `dir` (not timed: the person has a vault before
/// they bring mail in, and making one is the KDF's cost, not discovery's).
fn fresh_vault(dir: &Path) -> Vault {
    let _ = std::fs::remove_dir_all(dir);
    Vault::create(
        dir,
        &SecretString::from("bench passphrase"),
        KdfParams::minimum().unwrap(),
    )
    .unwrap()
    .0
}

/// Discovery of `mbox` into `vault`, closing it after (its last commit and
/// checkpoint are discovery's cost).
fn discover(mut vault: Vault, mbox: &Path) -> Summary {
    vault
        .discovery()
        .mbox(
            &[mbox.to_path_buf()],
            RunOptions {
                me: vec![mail_corpus::ME.to_string()],
                ..Default::default()
            },
        )
        .unwrap()
}

fn write_mbox(path: &Path, messages: usize) -> u64 {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut done = 0;
    while done < messages {
        let n = (messages - done).min(1000);
        f.write_all(&mail_corpus::big_mbox_part(done, n, BRANDS))
            .unwrap();
        done += n;
    }
    f.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench_throughput(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small.mbox");
    let size = write_mbox(&small, 2000);
    println!("discover: 2,000 messages, {:.1} MB", size as f64 / 1e6);
    let vault_dir = tmp.path().join("vault");
    let mut g = c.benchmark_group("discover_2k");
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function("bare_parse", |b| b.iter(|| bare_parse(&small)));
    g.bench_function("discover", |b| {
        b.iter_batched(
            || fresh_vault(&vault_dir),
            |vault| discover(vault, &small),
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let n: usize = std::env::var("VRM_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let big = tmp.path().join("big.mbox");
    let size = write_mbox(&big, n);
    let (mut bare, mut disc) = (Vec::new(), Vec::new());
    let (mut bare_cpu, mut disc_cpu) = (Vec::new(), Vec::new());
    let mut summary = Summary::default();
    for _ in 0..3 {
        let (t, c) = (Instant::now(), cpu_time());
        black_box(bare_parse(&big));
        bare.push(t.elapsed());
        bare_cpu.push(cpu_time() - c);
        let vault = fresh_vault(&vault_dir);
        let (t, c) = (Instant::now(), cpu_time());
        summary = discover(vault, &big);
        disc.push(t.elapsed());
        disc_cpu.push(cpu_time() - c);
    }
    let (b, d) = (median(bare), median(disc));
    let (bc, dc) = (median(bare_cpu), median(disc_cpu));
    // Discovery reads on one thread and stages on another; the bare parse
    // is one thread. The elapsed ratio is the goal's; the CPU one says
    // what the work costs in all.
    println!(
        "discover {n}: CPU time (user + system, all threads): bare parse median {:.2} s, discovery median {:.2} s, ratio {:.2}x",
        bc.as_secs_f64(),
        dc.as_secs_f64(),
        dc.as_secs_f64() / bc.as_secs_f64()
    );
    println!(
        "discover {n}: {:.0} MB mbox; bare parse median {:.2} s ({:.0} msg/s); discovery median {:.2} s \
         ({:.0} msg/s, {} staged, {} proposals); ratio {:.2}x (goal <= 1.5x, >= 2000 msg/s)",
        size as f64 / 1e6,
        b.as_secs_f64(),
        n as f64 / b.as_secs_f64(),
        d.as_secs_f64(),
        n as f64 / d.as_secs_f64(),
        summary.staged,
        summary.proposals_new,
        d.as_secs_f64() / b.as_secs_f64()
    );
}

/// The CPU time this process has used, all threads, user and system
/// (`/proc/self/stat`, in clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime: fields 14 and 15 of the line, from 0 after ')' (field 3) 11 and 12.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn bench_memory() {
    let mb: u64 = std::env::var("VRM_BENCH_MBOX_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("huge.mbox");
    // About 20 KB a message on average.
    let messages = (mb * 1_000_000 / 20_000) as usize;
    let size = write_mbox(&mbox, messages);
    let before = vm_hwm_kib();
    let t = Instant::now();
    let s = discover(fresh_vault(&tmp.path().join("vault")), &mbox);
    println!(
        "discover memory: {:.0} MB mbox, {} messages in {:.1} s; VmHWM {:.1} MiB (before the run {:.1} MiB; goal <= 200 MB)",
        size as f64 / 1e6,
        s.messages,
        t.elapsed().as_secs_f64(),
        vm_hwm_kib() as f64 / 1024.0,
        before as f64 / 1024.0
    );
}

fn bench_imap() {
    let Some(d) = dovecot::Dovecot::start_or_skip() else {
        return;
    };
    let n: usize = std::env::var("VRM_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mail = |i: usize| {
        mail_corpus::Mail::new(
            &format!("Brand {} <news@mail.brand{}.example>", i % 300, i % 300),
            mail_corpus::ME,
            &format!("Message {i}"),
            "Mon, 02 Mar 2026 09:00:00 +0000",
            &format!("imap{i}@brand.example"),
        )
        .text("Hello.")
        .bytes()
    };
    let t = Instant::now();
    for i in 0..n {
        d.add_message("INBOX", &mail(i));
    }
    println!(
        "imap: {n} messages delivered in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let (mut vault, _) = Vault::create(
        &dir,
        &SecretString::from("bench passphrase"),
        KdfParams::minimum().unwrap(),
    )
    .unwrap();
    let account = vrm_vault::discover::imap::ImapAccount {
        host: "localhost".into(),
        port: Some(d.tls_port()),
        user: d.user().into(),
        password: SecretString::from(d.password()),
        folders: vec![],
        security: vrm_vault::discover::imap::Security::Tls,
        ca_file: Some(d.ca_file().to_path_buf()),
        since: None,
        timeout: None,
    };
    let run = |vault: &mut Vault| {
        let t = Instant::now();
        let (s, _) = vault
            .discovery()
            .imap(
                &account,
                RunOptions {
                    me: vec![mail_corpus::ME.to_string()],
                    ..Default::default()
                },
            )
            .unwrap();
        (t.elapsed(), s)
    };
    let (first, s) = run(&mut vault);
    println!(
        "imap: first run {:.1} s ({} messages, {} staged)",
        first.as_secs_f64(),
        s.messages,
        s.staged
    );
    let (mut nothing, mut ten) = (Vec::new(), Vec::new());
    for round in 0..3 {
        nothing.push(run(&mut vault).0);
        for i in 0..10 {
            d.add_message("INBOX", &mail(n + round * 10 + i));
        }
        let (took, s) = run(&mut vault);
        assert_eq!(s.staged, 10);
        ten.push(took);
    }
    let (z, t) = (median(nothing), median(ten));
    println!(
        "imap incremental: {n}-message INBOX, 10 new: median {:.0} ms; nothing new: median {:.0} ms; \
         ratio {:.2}x (goal <= 2 s)",
        t.as_secs_f64() * 1000.0,
        z.as_secs_f64() * 1000.0,
        t.as_secs_f64() / z.as_secs_f64()
    );
}

fn main() {
    isolated_config::isolate_config();
    if std::env::var("VRM_BENCH_ONLY").is_ok_and(|s| s.trim() == "memory") {
        bench_memory();
        return;
    }
    if std::env::var("VRM_BENCH_ONLY").is_ok_and(|s| s.trim() == "imap") {
        bench_imap();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench_throughput(&mut c);
    c.final_summary();
}
