//! Crash safety, as evidence anyone can rerun: the real `vrm` binary is
//! killed with SIGKILL at random moments during large imports and during runs
//! of edits. Afterwards every acknowledged commit is there, an import is all
//! or nothing, and the vault opens, unlocks and checks clean.
//!
//! Short form (run by `cargo test`): `VRM_CRASH_TRIALS` trials, 12 unless
//! set. Long form: `VRM_CRASH_TRIALS=200 cargo test --release --test
//! integration crash -- --nocapture`. The seed is printed; replay a failure
//! with `VRM_CRASH_SEED=<seed>`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use vrm_vault::crypto::SecretKey;
use vrm_vault::{BrandId, NewRecord, RecordFilter, RecordKind, Vault};

use crate::util::*;

/// What a record holds, less its timestamps (which the parent cannot know).
type Content = (
    RecordKind,
    Option<BrandId>,
    BTreeMap<String, String>,
    Vec<String>,
);

fn content(r: &vrm_vault::Record) -> Content {
    (r.kind, r.brand.clone(), r.fields.clone(), r.tags.clone())
}

/// The one text field each kind used here carries.
fn text_field(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Purchase => "item",
        _ => "text",
    }
}

fn new_record(kind: RecordKind, brand: Option<&str>, text: &str) -> NewRecord {
    NewRecord {
        kind,
        brand: brand.map(str::to_string),
        fields: BTreeMap::from([(text_field(kind).to_string(), text.to_string())]),
        tags: vec!["crash".into()],
    }
}

/// `vrm` as a plain child process (so it can be killed), with the vault and
/// passphrase set and stdout/stderr captured.
fn spawn_vrm(dir: &Path, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("vrm"))
        .arg("--vault")
        .arg(dir)
        .args(args)
        .env("VRM_PASSPHRASE", PASS)
        .env("XDG_CONFIG_HOME", crate::util::config_home(dir))
        .env_remove("VRM_VAULT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

struct Ended {
    /// Killed by our SIGKILL (false: it had exited on its own).
    killed: bool,
    success: bool,
    stdout: String,
    stderr: String,
}

/// When to kill a child: a time after its start, or a time after a line
/// containing `.0` appears on its stderr.
enum KillAt {
    After(Duration),
    AfterLine(String, Duration),
}

/// Let the child run until `at`, then SIGKILL it (if still running).
fn kill_at(mut child: Child, at: KillAt) -> Ended {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let (mut deadline, trigger) = match at {
        KillAt::After(d) => (Some(Instant::now() + d), None),
        KillAt::AfterLine(line, d) => (None, Some((line, d))),
    };
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        while let Ok(line) = rx.try_recv() {
            if let Some((want, d)) = &trigger
                && deadline.is_none()
                && line.contains(want.as_str())
            {
                deadline = Some(Instant::now() + *d);
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            // On Unix `Child::kill` is SIGKILL: no destructor, no rollback
            // of our own, exactly like a crash (the OS keeps what was
            // written; power loss is the fsync's job, see BENCHMARKS.md).
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    Ended {
        killed: status.signal() == Some(9),
        success: status.success(),
        stdout,
        stderr: reader.join().unwrap(),
    }
}

fn run_to_end(dir: &Path, args: &[&str]) -> (Ended, Duration) {
    let start = Instant::now();
    let ended = kill_at(
        spawn_vrm(dir, args),
        KillAt::After(Duration::from_secs(600)),
    );
    (ended, start.elapsed())
}

/// The vault every trial starts from: one brand, a few records, closed.
struct Base {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    kek: SecretKey,
    brand: BrandId,
    records: BTreeMap<String, Content>,
}

fn base() -> Base {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    let brand = vault
        .add_brand(&vrm_vault::BrandInput::named("Acme"))
        .unwrap()
        .id;
    let mut records = BTreeMap::new();
    for i in 0..20 {
        let kind = if i % 2 == 0 {
            RecordKind::Note
        } else {
            RecordKind::Purchase
        };
        let r = vault
            .add_record(&new_record(
                kind,
                (i % 3 == 0).then_some("Acme"),
                &format!("base {i}"),
            ))
            .unwrap();
        records.insert(r.id.to_string(), content(&r));
    }
    drop(vault);
    // The KDF is the slow part of unlocking, and every copy has the same
    // header: derive the key once (the child processes still run it).
    let kek = Vault::open(&dir).unwrap().derive_kek(&pass()).unwrap();
    Base {
        _tmp: tmp,
        dir,
        kek,
        brand,
        records,
    }
}

/// Open the vault after a crash and check everything that does not depend
/// on the workload; return its records and the number of log entries.
fn check_after(dir: &Path, kek: &SecretKey, what: &str) -> (BTreeMap<String, Content>, u64) {
    // With the state the killed process last recorded: a commit it made is
    // in the file, so the file is never older than what it recorded.
    let mut vault = Vault::open(dir)
        .map(|l| l.keep_seen_in(Some(crate::util::seen_dir(dir))))
        .and_then(|l| l.unlock_with_kek(kek))
        .unwrap_or_else(|e| panic!("{what}: the vault does not open after the kill: {e}"));
    vault
        .check_integrity()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    // The manifest agrees with every row: no write landed without its entry.
    let integrity = vault.integrity().unwrap();
    assert!(integrity.is_intact(), "{what}: {integrity:?}");
    assert_eq!(
        vault.damaged_records().unwrap(),
        Vec::<String>::new(),
        "{what}"
    );
    assert_eq!(
        vault.damaged_brands().unwrap(),
        Vec::<String>::new(),
        "{what}"
    );
    let log = vault
        .audit()
        .verify()
        .unwrap_or_else(|e| panic!("{what}: the activity log does not verify: {e}"));
    let records: BTreeMap<String, Content> = vault
        .list_records(&RecordFilter::default())
        .unwrap()
        .iter()
        .map(|r| (r.id.to_string(), content(r)))
        .collect();
    // Each one also by id, the way the app shows one record.
    for (id, c) in &records {
        assert_eq!(&content(&vault.record(id).unwrap()), c, "{what}");
    }
    // And the vault still takes writes.
    vault
        .add_record(&new_record(RecordKind::Note, None, "after the crash"))
        .unwrap_or_else(|e| panic!("{what}: no write after the kill: {e}"));
    drop(vault);
    // The full check (not only quick_check), straight on the file.
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "{what}: PRAGMA integrity_check");
    (records, log.entries)
}

const IMPORT_RECORDS: usize = 6000;

/// A CSV or JSON import file of `IMPORT_RECORDS` notes; returns the path and
/// the contents it adds. JSON rows carry their ids (checked exactly); CSV
/// rows name a brand that does not exist yet, so the import creates it.
fn import_file(dir: &Path, json: bool) -> (PathBuf, Vec<(Option<String>, Content)>) {
    let mut expected = Vec::new();
    let path;
    if json {
        let mut records = Vec::new();
        for i in 0..IMPORT_RECORDS {
            let id = uuid::Uuid::new_v4().to_string();
            let text = format!("imported json row {i}");
            records.push(serde_json::json!({
                "id": id, "kind": "note", "fields": {"text": text}, "tags": ["bulk"],
            }));
            expected.push((
                Some(id),
                (
                    RecordKind::Note,
                    None,
                    BTreeMap::from([("text".to_string(), text)]),
                    vec!["bulk".to_string()],
                ),
            ));
        }
        let doc = serde_json::json!({
            "format": "vrm-vault-export", "version": 1, "brands": [], "records": records,
        });
        path = dir.join("bulk.json");
        std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    } else {
        let mut csv = String::from("kind,brand,tags,field:text\n");
        for i in 0..IMPORT_RECORDS {
            let text = format!("imported csv row {i}");
            csv.push_str(&format!("note,Initech,bulk,{text}\n"));
            expected.push((
                None,
                (
                    RecordKind::Note,
                    Some("?".into()), // the new brand's id, not known before
                    BTreeMap::from([("text".to_string(), text)]),
                    vec!["bulk".to_string()],
                ),
            ));
        }
        path = dir.join("bulk.csv");
        std::fs::write(&path, csv).unwrap();
    }
    (path, expected)
}

#[derive(Debug, Default)]
struct Tally {
    import_trials: u64,
    import_exited: u64,
    import_killed_before_tx: u64,
    import_killed_mid_tx: u64,
    import_mid_tx_none: u64,
    import_mid_tx_all: u64,
    import_killed_after_commit: u64,
    import_none: u64,
    import_all: u64,
    edit_trials: u64,
    edit_killed: u64,
    edit_acknowledged: u64,
    in_flight_applied: u64,
    in_flight_not_applied: u64,
}

fn import_trial(
    base: &Base,
    rng: &mut Rng,
    work: &Path,
    t: u64,
    calibrated: f64,
    tally: &mut Tally,
) {
    let dir = work.join(format!("import-{t}"));
    copy_dir(&base.dir, &dir);
    let json = t.is_multiple_of(4);
    let (file, expected) = import_file(work, json);
    // Half the kills at a random time in the whole run; half a random few
    // milliseconds after a random progress line, so that many land inside
    // the transaction (the KDF and parsing take most of the run).
    let (at, when) = if rng.below(2) == 0 {
        let delay = rng.between(0.0, 1.15 * calibrated);
        (
            KillAt::After(Duration::from_secs_f64(delay)),
            format!("{:.1} ms after the start", delay * 1000.0),
        )
    } else {
        let line = format!("importing {}/", 1000 * (1 + rng.below(6)));
        let extra = rng.between(0.0, 0.02);
        let when = format!("{:.1} ms after {line:?}", extra * 1000.0);
        (
            KillAt::AfterLine(line, Duration::from_secs_f64(extra)),
            when,
        )
    };
    let what = format!(
        "trial {t} ({} import, kill {when})",
        if json { "JSON" } else { "CSV" }
    );
    let ended = kill_at(spawn_vrm(&dir, &["import", file.to_str().unwrap()]), at);
    assert!(
        ended.killed || ended.success,
        "{what}: the import failed: {}",
        ended.stderr
    );
    // Progress lines: one every 1000 rows, from inside the transaction
    // (the first before any commit can happen), then one more after the
    // commit. A kill after the last in-transaction line may land before or
    // after the commit: either outcome, but whole.
    let lines = ended
        .stderr
        .lines()
        .filter(|l| l.starts_with("importing "))
        .count();
    let committed = ended.success || lines == IMPORT_RECORDS / 1000 + 1;
    let in_tx = lines > 0 && !committed;
    tally.import_trials += 1;
    if !ended.killed {
        tally.import_exited += 1;
    } else if committed {
        tally.import_killed_after_commit += 1;
    } else if in_tx {
        tally.import_killed_mid_tx += 1;
    } else {
        tally.import_killed_before_tx += 1;
    }

    let (records, log) = check_after(&dir, &base.kek, &what);
    for (id, c) in &base.records {
        assert_eq!(records.get(id), Some(c), "{what}: a base record changed");
    }
    let new: Vec<(&String, &Content)> = records
        .iter()
        .filter(|(id, _)| !base.records.contains_key(*id))
        .filter(|(_, c)| c.3 == ["bulk"])
        .collect();
    if new.is_empty() {
        assert!(!committed, "{what}: an acknowledged import is gone");
        assert_eq!(log, 0, "{what}: nothing imported, nothing logged");
        tally.import_none += 1;
        if in_tx {
            tally.import_mid_tx_none += 1;
        }
    } else {
        assert!(
            in_tx || committed,
            "{what}: imported, yet killed before its first row"
        );
        if in_tx {
            tally.import_mid_tx_all += 1;
        }
        assert_eq!(
            new.len(),
            IMPORT_RECORDS,
            "{what}: a partial import ({} of {IMPORT_RECORDS} records)",
            new.len()
        );
        assert_eq!(
            log, 1,
            "{what}: the import and its log entry commit together"
        );
        if json {
            for (id, c) in &expected {
                assert_eq!(records.get(id.as_ref().unwrap()), Some(c), "{what}");
            }
        } else {
            let brand = new[0].1.1.clone();
            assert!(brand.is_some() && brand.as_deref() != Some(base.brand.as_str()));
            let mut got: Vec<Content> = new.iter().map(|(_, c)| (*c).clone()).collect();
            let mut want: Vec<Content> = expected
                .into_iter()
                .map(|(_, mut c)| {
                    c.1 = brand.clone();
                    c
                })
                .collect();
            got.sort();
            want.sort();
            assert!(
                got == want,
                "{what}: the imported records differ from the file"
            );
        }
        tally.import_all += 1;
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

enum Op {
    Add(Content),
    Edit(String, Content),
    Delete(String),
}

fn edits_trial(base: &Base, rng: &mut Rng, work: &Path, t: u64, tally: &mut Tally) {
    let dir = work.join(format!("edits-{t}"));
    copy_dir(&base.dir, &dir);
    let mut model = base.records.clone();
    let mut deletes = 0u64;
    let steps = 1 + rng.below(6);
    let mut durations = Vec::new();
    let mut what = format!("trial {t} (edits)");
    let mut step = 0;
    let (in_flight, killed) = loop {
        // Pick the next change.
        let ids: Vec<String> = model.keys().cloned().collect();
        let pick = rng.below(10);
        let (op, args): (Op, Vec<String>) = if pick < 4 || ids.is_empty() {
            let kind = if rng.below(2) == 0 {
                RecordKind::Note
            } else {
                RecordKind::Purchase
            };
            let text = format!("added at trial {t} step {step}");
            let with_brand = rng.below(2) == 0;
            let mut args: Vec<String> = vec!["record".into(), "add".into(), "--kind".into()];
            args.push(kind.to_string());
            if with_brand {
                args.extend(["--brand".into(), "Acme".into()]);
            }
            args.extend([
                "--field".into(),
                format!("{}={text}", text_field(kind)),
                "--tag".into(),
                "crash".into(),
            ]);
            let c = (
                kind,
                with_brand.then(|| base.brand.clone()),
                BTreeMap::from([(text_field(kind).to_string(), text)]),
                vec!["crash".to_string()],
            );
            (Op::Add(c), args)
        } else if pick < 8 {
            let id = ids[rng.below(ids.len() as u64) as usize].clone();
            let mut c = model[&id].clone();
            let text = format!("edited at trial {t} step {step}");
            c.2.insert(text_field(c.0).to_string(), text.clone());
            let args = vec![
                "record".into(),
                "edit".into(),
                id.clone(),
                "--field".into(),
                format!("{}={text}", text_field(c.0)),
            ];
            (Op::Edit(id, c), args)
        } else {
            let id = ids[rng.below(ids.len() as u64) as usize].clone();
            let args = vec!["record".into(), "delete".into(), id.clone()];
            (Op::Delete(id), args)
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if step < steps {
            let (ended, took) = run_to_end(&dir, &args);
            assert!(
                ended.success,
                "{what}: step {step} {args:?} failed: {}",
                ended.stderr
            );
            durations.push(took.as_secs_f64());
            // Exit 0 seen: acknowledged.
            tally.edit_acknowledged += 1;
            match op {
                Op::Add(c) => {
                    model.insert(ended.stdout.trim().to_string(), c);
                }
                Op::Edit(id, c) => {
                    model.insert(id, c);
                }
                Op::Delete(id) => {
                    model.remove(&id);
                    deletes += 1;
                }
            }
            step += 1;
            continue;
        }
        // The last one is killed, most often late in its run, where the
        // writes are (the KDF comes first).
        durations.sort_by(f64::total_cmp);
        let typical = durations[durations.len() / 2];
        let delay = rng.between(0.3, 1.2) * typical;
        what = format!(
            "trial {t} (edits: {steps} acknowledged, kill {args:?} after {:.0} ms)",
            delay * 1000.0
        );
        let ended = kill_at(
            spawn_vrm(&dir, &args),
            KillAt::After(Duration::from_secs_f64(delay)),
        );
        assert!(ended.killed || ended.success, "{what}: {}", ended.stderr);
        break (op, ended.killed);
    };
    tally.edit_trials += 1;

    let (records, log) = check_after(&dir, &base.kek, &what);
    let applied = match &in_flight {
        Op::Add(c) => {
            let extra: Vec<&String> = records
                .keys()
                .filter(|id| !model.contains_key(*id))
                .collect();
            match extra.as_slice() {
                [] => false,
                [id] => {
                    assert_eq!(&records[*id], c, "{what}: the added record differs");
                    true
                }
                more => panic!("{what}: {} records appeared", more.len()),
            }
        }
        Op::Edit(id, c) => records.get(id) == Some(c) && model.get(id) != Some(c),
        Op::Delete(id) => !records.contains_key(id),
    };
    let mut expected = model.clone();
    match in_flight {
        Op::Add(c) if applied => {
            let id = records.keys().find(|id| !model.contains_key(*id)).unwrap();
            expected.insert(id.clone(), c);
        }
        Op::Edit(id, c) if applied => {
            expected.insert(id, c);
        }
        Op::Delete(id) if applied => {
            expected.remove(&id);
            deletes += 1;
        }
        _ => {}
    }
    assert!(
        records == expected,
        "{what}: the vault is not the acknowledged state (plus at most the change in flight)"
    );
    assert_eq!(
        log, deletes,
        "{what}: one log entry per delete, committed with it"
    );
    if !killed {
        // It exited 0 before the kill: acknowledged, so it must be there.
        assert!(applied, "{what}: it finished, yet its change is gone");
        tally.edit_acknowledged += 1;
    } else if applied {
        tally.edit_killed += 1;
        tally.in_flight_applied += 1;
    } else {
        tally.edit_killed += 1;
        tally.in_flight_not_applied += 1;
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn killed_imports_are_all_or_nothing_and_acknowledged_edits_survive_sigkill() {
    let trials = env_number("VRM_CRASH_TRIALS", 12);
    let seed = seed_from("VRM_CRASH_SEED");
    println!("crash: {trials} trials, seed {seed} (replay with VRM_CRASH_SEED={seed})");
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let base = base();
    let work = tempfile::tempdir().unwrap();

    // How long a whole import takes here (and that it works at all).
    let dir = work.path().join("calibrate");
    copy_dir(&base.dir, &dir);
    let (file, _) = import_file(work.path(), false);
    let (ended, took) = run_to_end(&dir, &["import", file.to_str().unwrap()]);
    assert!(ended.success, "{}", ended.stderr);
    let calibrated = took.as_secs_f64();

    let mut tally = Tally::default();
    for t in 0..trials {
        let start = Instant::now();
        if t % 2 == 0 {
            import_trial(&base, &mut rng, work.path(), t, calibrated, &mut tally);
        } else {
            edits_trial(&base, &mut rng, work.path(), t, &mut tally);
        }
        println!(
            "crash: trial {t} ok in {:.2} s",
            start.elapsed().as_secs_f64()
        );
    }
    let Tally {
        import_trials,
        import_exited,
        import_killed_before_tx,
        import_killed_mid_tx,
        import_mid_tx_none,
        import_mid_tx_all,
        import_killed_after_commit,
        import_none,
        import_all,
        edit_trials,
        edit_killed,
        edit_acknowledged,
        in_flight_applied,
        in_flight_not_applied,
    } = tally;
    println!(
        "crash: {trials} trials in {:.1} s, seed {seed}, all passed. \
         imports of {IMPORT_RECORDS} ({calibrated:.2} s each): {import_trials} \
         [killed before the transaction {import_killed_before_tx}, mid-transaction \
         {import_killed_mid_tx} (then none {import_mid_tx_none}, all {import_mid_tx_all}), after commit {import_killed_after_commit}, exited \
         {import_exited}] -> none {import_none}, all {import_all}, partial 0. \
         edit runs: {edit_trials} [{edit_acknowledged} acknowledged commits all kept, \
         {edit_killed} killed in flight: its change there after the kill \
         {in_flight_applied}, not there {in_flight_not_applied}]",
        started.elapsed().as_secs_f64()
    );
}

/// `vrm rekey` killed at random moments: the vault is always either the old
/// one (the old passphrase opens it) or the new one (only the new one
/// does), with every record, the log and the manifest whole.
#[test]
fn killed_rekeys_leave_either_the_old_or_the_new_vault_whole() {
    let trials = env_number("VRM_CRASH_TRIALS", 12).div_ceil(2);
    let seed = seed_from("VRM_CRASH_SEED");
    println!("crash rekey: {trials} trials, seed {seed} (replay with VRM_CRASH_SEED={seed})");
    let mut rng = Rng::new(seed);
    let base = base();
    let work = tempfile::tempdir().unwrap();
    let new_pass_file = work.path().join("new-pass");
    std::fs::write(&new_pass_file, "the rekeyed passphrase").unwrap();
    let new_pass = SecretString::from("the rekeyed passphrase");
    // A vault big enough for the rekey's transaction to take a while.
    let full = work.path().join("full");
    copy_dir(&base.dir, &full);
    let (file, _) = import_file(work.path(), false);
    let (ended, _) = run_to_end(&full, &["import", file.to_str().unwrap()]);
    assert!(ended.success, "{}", ended.stderr);
    let (records, _) = check_after(&full, &base.kek, "the full vault");
    let rekey = [
        "--kdf-target-ms",
        "0",
        "rekey",
        "--new-passphrase-file",
        new_pass_file.to_str().unwrap(),
    ];
    let calibrate = work.path().join("calibrate");
    copy_dir(&full, &calibrate);
    let (ended, took) = run_to_end(&calibrate, &rekey);
    assert!(ended.success, "{}", ended.stderr);
    let (mut old_opened, mut new_opened) = (0, 0);
    for t in 0..trials {
        let dir = work.path().join(format!("rekey-{t}"));
        copy_dir(&full, &dir);
        let at = Duration::from_secs_f64(took.as_secs_f64() * rng.between(0.0, 1.2));
        let what = format!(
            "trial {t} (rekey, kill {:.1} ms after the start)",
            at.as_secs_f64() * 1e3
        );
        kill_at(spawn_vrm(&dir, &rekey), KillAt::After(at));
        let locked = || Vault::open(&dir).unwrap_or_else(|e| panic!("{what}: {e}"));
        let old = locked().derive_kek(&pass()).unwrap();
        let kek = match locked().unlock_with_kek(&old) {
            Ok(_) => {
                old_opened += 1;
                old
            }
            Err(vrm_vault::Error::WrongPassphrase) => {
                new_opened += 1;
                let new = locked().derive_kek(&new_pass).unwrap();
                assert!(
                    locked().unlock_with_kek(&new).is_ok(),
                    "{what}: neither opens"
                );
                new
            }
            Err(e) => panic!("{what}: {e}"),
        };
        let (after, _) = check_after(&dir, &kek, &what);
        let mut after = after;
        after.retain(|_, c| c.2.values().all(|v| v != "after the crash"));
        assert_eq!(after, records, "{what}: the records differ");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    println!(
        "crash rekey: {trials} trials: the old vault {old_opened} times, the new one {new_opened} times (the rekey took {:.0} ms)",
        took.as_secs_f64() * 1e3
    );
}

/// Two devices of one vault syncing over a folder, each with records the
/// other has not seen: A made with `vrm`, B joined from A's invitation.
struct SyncPair {
    a: PathBuf,
    b: PathBuf,
    ids: Vec<String>,
}

fn sync_pair(root: &Path, rng: &mut Rng) -> SyncPair {
    let (a, b, store) = (root.join("a"), root.join("b"), root.join("store"));
    std::fs::create_dir_all(&store).unwrap();
    vrm_ok(&a, &["init"]);
    vrm_ok(&a, &["brand", "add", "Acme"]);
    vrm_ok(&a, &["sync", "setup", "--target", store.to_str().unwrap()]);
    let invitation = root.join("invitation");
    let code = vrm_ok(
        &a,
        &["device", "invite", "--out", invitation.to_str().unwrap()],
    );
    let code_file = root.join("code");
    std::fs::write(&code_file, code).unwrap();
    vrm_ok(
        &b,
        &[
            "device",
            "join",
            invitation.to_str().unwrap(),
            "--code-file",
            code_file.to_str().unwrap(),
        ],
    );
    let mut ids = Vec::new();
    for (dir, n) in [(&a, 300), (&b, 150)] {
        let mut vault = reopen(dir);
        for i in 0..n {
            let kind = if rng.below(2) == 0 {
                RecordKind::Note
            } else {
                RecordKind::Purchase
            };
            let r = vault
                .add_record(&new_record(
                    kind,
                    (i % 3 == 0).then_some("Acme"),
                    &format!("{i}"),
                ))
                .unwrap();
            ids.push(r.id.to_string());
        }
    }
    SyncPair { a, b, ids }
}

fn records_of(dir: &Path, what: &str) -> BTreeMap<String, Content> {
    let vault = Vault::open(dir)
        .map(|l| l.keep_seen_in(Some(crate::util::seen_dir(dir))))
        .and_then(|l| l.unlock(&pass()))
        .unwrap_or_else(|e| panic!("{what}: the vault does not open: {e}"));
    let integrity = vault.integrity().unwrap();
    assert!(integrity.is_intact(), "{what}: {integrity:?}");
    let mut vault = vault;
    vault
        .list_records(&RecordFilter::default())
        .unwrap()
        .iter()
        .map(|r| (r.id.to_string(), content(r)))
        .collect()
}

/// `vrm sync` killed at random moments on both devices, during its push or
/// its pull: the syncs after it complete, both devices hold every record
/// of both, once, and each vault is whole.
#[test]
fn killed_syncs_lose_nothing_and_apply_nothing_twice() {
    let trials = env_number("VRM_CRASH_TRIALS", 12).div_ceil(3);
    let seed = seed_from("VRM_CRASH_SEED");
    println!("crash sync: {trials} trials, seed {seed} (replay with VRM_CRASH_SEED={seed})");
    let mut rng = Rng::new(seed);
    let work = tempfile::tempdir().unwrap();
    let calibrate = sync_pair(&work.path().join("calibrate"), &mut rng);
    let (ended, took_a) = run_to_end(&calibrate.a, &["sync"]);
    assert!(ended.success, "{}", ended.stderr);
    let (ended, took_b) = run_to_end(&calibrate.b, &["sync"]);
    assert!(ended.success, "{}", ended.stderr);
    let mut killed = 0;
    for t in 0..trials {
        let p = sync_pair(&work.path().join(format!("sync-{t}")), &mut rng);
        let at_a = Duration::from_secs_f64(took_a.as_secs_f64() * rng.between(0.0, 1.2));
        let at_b = Duration::from_secs_f64(took_b.as_secs_f64() * rng.between(0.0, 1.2));
        let what = format!(
            "trial {t} (sync killed {:.0} ms into A's run, {:.0} ms into B's)",
            at_a.as_secs_f64() * 1e3,
            at_b.as_secs_f64() * 1e3
        );
        killed += kill_at(spawn_vrm(&p.a, &["sync"]), KillAt::After(at_a)).killed as u32;
        killed += kill_at(spawn_vrm(&p.b, &["sync"]), KillAt::After(at_b)).killed as u32;
        for dir in [&p.a, &p.b, &p.a] {
            let (ended, _) = run_to_end(dir, &["sync"]);
            assert!(ended.success, "{what}: {}", ended.stderr);
        }
        let on_a = records_of(&p.a, &what);
        let on_b = records_of(&p.b, &what);
        assert_eq!(on_a, on_b, "{what}: the devices differ");
        let mut want = p.ids.clone();
        want.sort();
        assert_eq!(on_a.keys().cloned().collect::<Vec<_>>(), want, "{what}");
        std::fs::remove_dir_all(work.path().join(format!("sync-{t}"))).unwrap();
    }
    println!(
        "crash sync: {trials} trials, {killed} runs killed (a whole sync took {:.0} ms on A, {:.0} ms on B)",
        took_a.as_secs_f64() * 1e3,
        took_b.as_secs_f64() * 1e3
    );
}
