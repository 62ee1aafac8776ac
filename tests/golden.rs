//! The command line's golden transcript: one scripted run through the real
//! `vrm` binary, covering every command and subcommand (text and `--json`,
//! a few errors with their exit statuses), written out with what varies
//! from run to run normalised, and compared with the committed
//! `tests/golden/cli.txt`. It proves a refactoring changed no behaviour:
//! any changed message, column, document field or exit status shows up as
//! a difference.
//!
//! After an intended change, regenerate the transcript and review the diff:
//!
//! ```sh
//! VRM_GOLDEN_UPDATE=1 cargo test -p vrm-vault --locked --test integration golden
//! git diff tests/golden/cli.txt
//! ```
//!
//! On a mismatch the test prints the first differing steps and leaves the
//! whole new transcript in `$CARGO_TARGET_TMPDIR/golden-cli.actual.txt`.
//!
//! Normalised (see [`Normaliser`]): the temp folder (`<tmp>`); UUIDs and
//! their 8-character short forms (`<id3>`, `<id3:8>`, numbered in order of
//! first appearance, so "the same id" stays visible); did:key and other
//! base58btc multibase values (`<z2>`: keys and signatures); age recipients
//! (`<rcpt1>`); recovery codes (`<code1>`); long hex digests (`<hex1>`);
//! dates near today (`<today>`, `<today+30d>`, with the time of day as
//! `<time>`, `<hh:mm>`, `<hh:mm:ss>`), also in letters' long forms; and the
//! day counts of overdue requests (`<n>`). Dates the script gives are fixed
//! and in the past (or far in the future), so they stay literal, and so do
//! the KDF figures: `--kdf-target-ms 0` always gives the minimum.
//! Dates near today in messages' examples ("a date like 2026-12-31") stay
//! literal too. Where the command line's order is not defined (the brands
//! an ambiguous reference could mean, ordered by their random ids), the
//! names are sorted; where it would depend on random ids among equal sort
//! keys, the script avoids the tie: distinct record dates, distinct contact
//! channels, and a wait for the next second between two shares and two
//! intents (kept to the second). Lines ending in white space end `<eol>`.
//! A run that crosses midnight (UTC) is run again.
//!
//! Not covered: `brand-kit serve` and HTTP delivery (tests/intents.rs),
//! passphrase-protected backups (age's scrypt costs seconds per call).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use chrono::{NaiveDate, Utc};

use crate::util::*;

const TRANSCRIPT: &str = "tests/golden/cli.txt";
const NEW_PASS: &str = "a new passphrase for the golden run";

/// Dates this close to today are taken as derived from the clock.
const WINDOW_BEFORE: i64 = 2;
const WINDOW_AFTER: i64 = 400;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Maps run-specific values to stable tokens, in order of first appearance.
struct Normaliser {
    /// Temp paths (longest first), each written `<tmp>`.
    paths: Vec<String>,
    today: NaiveDate,
    /// Full ids, or the 8-character prefix of one seen only in short form.
    ids: Vec<String>,
    zs: Vec<String>,
    rcpts: Vec<String>,
    hexes: Vec<String>,
    codes: Vec<String>,
}

fn number_of(list: &mut Vec<String>, v: &str) -> usize {
    match list.iter().position(|x| x == v) {
        Some(i) => i + 1,
        None => {
            list.push(v.to_string());
            list.len()
        }
    }
}

fn is_hex(c: char) -> bool {
    c.is_ascii_digit() || ('a'..='f').contains(&c)
}

fn is_base58(c: char) -> bool {
    c.is_ascii_alphanumeric() && !"0OIl".contains(c)
}

fn is_base32(c: char) -> bool {
    c.is_ascii_uppercase() || ('2'..='7').contains(&c)
}

/// Whether `chars[i..]` starts with groups of `lens` chars (each `ok`)
/// joined by `-`, followed by a word boundary; the length matched.
fn groups(chars: &[char], i: usize, lens: &[usize], ok: fn(char) -> bool) -> Option<usize> {
    let mut j = i;
    for (n, len) in lens.iter().enumerate() {
        if n > 0 {
            if chars.get(j) != Some(&'-') {
                return None;
            }
            j += 1;
        }
        for _ in 0..*len {
            if !chars.get(j).is_some_and(|c| ok(*c)) {
                return None;
            }
            j += 1;
        }
    }
    if chars.get(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(j - i)
}

fn digits(chars: &[char], i: usize, n: usize) -> Option<u32> {
    let s: String = chars.get(i..i + n)?.iter().collect();
    s.chars()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

/// `HH:MM` at `chars[i..]` (and `:SS` if `seconds`), not followed by a digit.
fn clock(chars: &[char], i: usize, seconds: bool) -> Option<usize> {
    let mut j = i;
    let parts = if seconds { 3 } else { 2 };
    for n in 0..parts {
        if n > 0 {
            if chars.get(j) != Some(&':') {
                return None;
            }
            j += 1;
        }
        digits(chars, j, 2)?;
        j += 2;
    }
    if chars.get(j).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(j - i)
}

impl Normaliser {
    fn new(paths: &[&Path], today: NaiveDate) -> Self {
        let mut paths: Vec<String> = paths
            .iter()
            .flat_map(|p| {
                let mut v = vec![p.display().to_string()];
                if let Ok(c) = p.canonicalize() {
                    v.push(c.display().to_string());
                }
                v
            })
            .collect();
        paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
        paths.dedup();
        Normaliser {
            paths,
            today,
            ids: Vec::new(),
            zs: Vec::new(),
            rcpts: Vec::new(),
            hexes: Vec::new(),
            codes: Vec::new(),
        }
    }

    fn id(&mut self, id: &str) -> String {
        if id.len() == 8 {
            let n = number_of_prefix(&mut self.ids, id);
            return format!("<id{n}:8>");
        }
        let n = match self
            .ids
            .iter()
            .position(|x| x == id || (x.len() == 8 && id.starts_with(x.as_str())))
        {
            Some(i) => {
                self.ids[i] = id.to_string();
                i + 1
            }
            None => {
                self.ids.push(id.to_string());
                self.ids.len()
            }
        };
        format!("<id{n}>")
    }

    /// A date near today as `<today>`, `<today+30d>`; others as they are.
    fn day(&self, d: NaiveDate) -> Option<String> {
        let off = d.signed_duration_since(self.today).num_days();
        if !(-WINDOW_BEFORE..=WINDOW_AFTER).contains(&off) {
            return None;
        }
        Some(match off {
            0 => "<today>".to_string(),
            n if n > 0 => format!("<today+{n}d>"),
            n => format!("<today{n}d>"),
        })
    }

    fn normalise(&mut self, text: &str) -> String {
        let mut s = text.to_string();
        for p in &self.paths {
            s = s.replace(p.as_str(), "<tmp>");
        }
        let s = self.long_dates(&s);
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let boundary = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
            if !(boundary && c.is_ascii_alphanumeric()) {
                out.push(c);
                i += 1;
                continue;
            }
            if let Some(n) = groups(&chars, i, &[8, 4, 4, 4, 12], is_hex) {
                let id: String = chars[i..i + n].iter().collect();
                out.push_str(&self.id(&id));
                i += n;
                continue;
            }
            if let Some(n) = groups(&chars, i, &[4; 8], is_base32) {
                let code: String = chars[i..i + n].iter().collect();
                let _ = write!(out, "<code{}>", number_of(&mut self.codes, &code));
                i += n;
                continue;
            }
            if let Some(n) = self.date_time(&chars, i, &mut out) {
                i += n;
                continue;
            }
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_alphanumeric() {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            let len = j - i;
            if word.starts_with("age1") && len >= 50 {
                let _ = write!(out, "<rcpt{}>", number_of(&mut self.rcpts, &word));
            } else if word.chars().all(is_hex) && len == 8 {
                out.push_str(&self.id(&word));
            } else if word.chars().all(is_hex) && len >= 16 {
                let _ = write!(out, "<hex{}>", number_of(&mut self.hexes, &word));
            } else if word.starts_with('z') && len >= 40 && word.chars().all(is_base58) {
                let _ = write!(out, "<z{}>", number_of(&mut self.zs, &word));
            } else {
                out.push_str(&word);
            }
            i = j;
        }
        let out = number_after(&out, "OVERDUE by ");
        let out = number_after(&out, "\"days_left\": ");
        let out = number_after(&out, ", is ");
        sort_ambiguous(&out)
    }

    /// `YYYY-MM-DD` at `chars[i..]`, with a time after it (`T12:00:00.5`,
    /// ` 12:00:00`, ` 12:00`): written to `out` if near today, and not an
    /// example in a message ("a date like 2026-12-31").
    fn date_time(&self, chars: &[char], i: usize, out: &mut String) -> Option<usize> {
        if i >= 5 && chars[i - 5..i].iter().collect::<String>() == "like " {
            return None;
        }
        let y = digits(chars, i, 4)?;
        if chars.get(i + 4) != Some(&'-') || chars.get(i + 7) != Some(&'-') {
            return None;
        }
        let m = digits(chars, i + 5, 2)?;
        let d = digits(chars, i + 8, 2)?;
        if chars
            .get(i + 10)
            .is_some_and(|c| c.is_ascii_alphanumeric() && *c != 'T')
        {
            return None;
        }
        let day = self.day(NaiveDate::from_ymd_opt(y as i32, m, d)?)?;
        out.push_str(&day);
        let mut n = 10;
        match chars.get(i + n) {
            Some('T') => {
                if let Some(t) = clock(chars, i + n + 1, true) {
                    n += 1 + t;
                    if chars.get(i + n) == Some(&'.') {
                        n += 1;
                        while chars.get(i + n).is_some_and(|c| c.is_ascii_digit()) {
                            n += 1;
                        }
                    }
                    out.push_str("T<time>");
                }
            }
            Some(' ') => {
                if let Some(t) = clock(chars, i + n + 1, true) {
                    n += 1 + t;
                    out.push_str(" <hh:mm:ss>");
                } else if let Some(t) = clock(chars, i + n + 1, false) {
                    n += 1 + t;
                    out.push_str(" <hh:mm>");
                }
            }
            _ => {}
        }
        Some(n)
    }

    /// Letters' dates near today: `4 December 2026` (GDPR) and
    /// `December 4, 2026` (CCPA).
    fn long_dates(&self, s: &str) -> String {
        let words: Vec<&str> = s.split(' ').collect();
        let mut out: Vec<String> = Vec::with_capacity(words.len());
        let mut i = 0;
        let num = |w: &str| -> Option<u32> {
            (!w.is_empty() && w.len() <= 4 && w.chars().all(|c| c.is_ascii_digit()))
                .then(|| w.parse().ok())
                .flatten()
        };
        let month = |w: &str| MONTHS.iter().position(|m| *m == w).map(|p| p as u32 + 1);
        while i < words.len() {
            // The last word may carry punctuation or a line break after it.
            let tail = |w: &str| -> (String, String) {
                let end = w.find(|c: char| !c.is_ascii_digit()).unwrap_or(w.len());
                (w[..end].to_string(), w[end..].to_string())
            };
            if i + 2 < words.len() {
                let (year, rest) = tail(words[i + 2]);
                // `4 December 2026`; the day may follow a line break.
                let (before, day_word) = match words[i].rsplit_once('\n') {
                    Some((b, d)) => (format!("{b}\n"), d),
                    None => (String::new(), words[i]),
                };
                if let (Some(d), Some(m), Some(y)) =
                    (num(day_word), month(words[i + 1]), num(&year))
                    && let Some(t) =
                        NaiveDate::from_ymd_opt(y as i32, m, d).and_then(|t| self.day(t))
                {
                    out.push(format!("{before}<{t} as d Month yyyy>{rest}"));
                    i += 3;
                    continue;
                }
                // `December 4, 2026`
                let (mon_before, mon_word) = match words[i].rsplit_once('\n') {
                    Some((b, m)) => (format!("{b}\n"), m),
                    None => (String::new(), words[i]),
                };
                if let (Some(m), Some(d), Some(y)) = (
                    month(mon_word),
                    words[i + 1].strip_suffix(',').and_then(num),
                    num(&year),
                ) && let Some(t) =
                    NaiveDate::from_ymd_opt(y as i32, m, d).and_then(|t| self.day(t))
                {
                    out.push(format!("{mon_before}<{t} as Month d, yyyy>{rest}"));
                    i += 3;
                    continue;
                }
            }
            out.push(words[i].to_string());
            i += 1;
        }
        out.join(" ")
    }
}

fn number_of_prefix(ids: &mut Vec<String>, short: &str) -> usize {
    match ids.iter().position(|x| x.starts_with(short)) {
        Some(i) => i + 1,
        None => {
            ids.push(short.to_string());
            ids.len()
        }
    }
}

/// The (possibly negative) number right after each `prefix` as `<n>`.
fn number_after(s: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(prefix) {
        let after = &rest[at + prefix.len()..];
        let sign = usize::from(after.starts_with('-'));
        let len = after[sign..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len() - sign);
        out.push_str(&rest[..at + prefix.len()]);
        if len > 0 {
            out.push_str("<n>");
            rest = &after[sign + len..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// "could mean more than one brand: A (<id1:8>), B (<id2:8>); …": the
/// brands come ordered by their random ids, so sort them.
fn sort_ambiguous(s: &str) -> String {
    const MARK: &str = "could mean more than one brand: ";
    s.lines()
        .map(|line| {
            let Some(at) = line.find(MARK) else {
                return line.to_string();
            };
            let start = at + MARK.len();
            let Some(len) = line[start..].find("; ") else {
                return line.to_string();
            };
            let mut names: Vec<&str> = line[start..start + len].split(", ").collect();
            names.sort_unstable();
            format!(
                "{}{}{}",
                &line[..start],
                names.join(", "),
                &line[start + len..]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if s.ends_with('\n') { "\n" } else { "" }
}

/// What one command did.
struct Done {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The scripted run: a temp folder (the working directory), the vault in
/// it, and the transcript so far.
struct Run {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    vault: PathBuf,
    norm: Normaliser,
    transcript: String,
    steps: usize,
    /// Error cases that did not exit as the script expects.
    unexpected: Vec<String>,
}

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+%<>".contains(c));
    if plain {
        return arg.to_string();
    }
    let mut out = String::from("'");
    for c in arg.chars() {
        match c {
            '\'' => out.push_str(r"'\''"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl Run {
    fn new(today: NaiveDate) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let vault = root.join("vault");
        let norm = Normaliser::new(&[&root], today);
        Run {
            _tmp: tmp,
            root,
            vault,
            norm,
            transcript: String::new(),
            steps: 0,
            unexpected: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn comment(&mut self, text: &str) {
        let _ = writeln!(self.transcript, "# {text}\n");
    }

    /// `vrm ARGS` on the vault, recorded.
    fn vrm(&mut self, args: &[&str]) -> Done {
        let vault = self.vault.clone();
        self.vrm_at(&vault, &[], args)
    }

    /// `ENV… vrm [--vault DIR] ARGS`, recorded.
    fn vrm_at(&mut self, vault: &Path, env: &[(&str, &str)], args: &[&str]) -> Done {
        let mut cmd = vrm_process(vault);
        cmd.args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let done = Done {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        };
        let mut line = String::from("$ ");
        for (k, v) in env {
            let _ = write!(line, "{k}={} ", quote(v));
        }
        line.push_str("vrm");
        if vault != self.vault {
            let _ = write!(line, " --vault {}", quote(&vault.display().to_string()));
        }
        for a in args {
            line.push(' ');
            line.push_str(&quote(a));
        }
        self.steps += 1;
        let line = self.norm.normalise(&line);
        let stdout = self.norm.normalise(&done.stdout);
        let stderr = self.norm.normalise(&done.stderr);
        let _ = writeln!(self.transcript, "{line}");
        block(&mut self.transcript, "> ", &stdout);
        block(&mut self.transcript, "! ", &stderr);
        let _ = writeln!(self.transcript, "= exit {}\n", done.code);
        done
    }

    /// `vrm ARGS`, which must succeed; its stdout, trimmed.
    fn ok(&mut self, args: &[&str]) -> String {
        let done = self.vrm(args);
        assert_eq!(
            done.code, 0,
            "vrm {args:?} failed:\n{}{}",
            done.stdout, done.stderr
        );
        done.stdout.trim().to_string()
    }

    /// `vrm ARGS`, which must exit with `code`.
    fn fails(&mut self, code: i32, args: &[&str]) {
        let done = self.vrm(args);
        if done.code != code {
            self.unexpected.push(format!(
                "vrm {args:?}: exit {}, not {code}:\n{}{}",
                done.code, done.stdout, done.stderr
            ));
        }
    }

    /// `vrm ARGS` and `vrm ARGS --json`, both successful.
    fn both(&mut self, args: &[&str]) {
        self.ok(args);
        let mut json = args.to_vec();
        json.push("--json");
        let out = self.ok(&json);
        serde_json::from_str::<serde_json::Value>(&out)
            .unwrap_or_else(|e| panic!("vrm {json:?} printed no JSON ({e}): {out}"));
    }

    /// A file a command wrote, recorded.
    fn file(&mut self, name: &str) {
        let text =
            std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = self.norm.normalise(&text);
        let name = self.norm.normalise(name);
        let _ = writeln!(self.transcript, "# file {name}");
        block(&mut self.transcript, "| ", &text);
        self.transcript.push('\n');
    }

    /// The names in a folder (sorted), recorded; returns them.
    fn list_dir(&mut self, name: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(name))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        // Sorted again once normalised: random ids order the raw names.
        let mut shown: Vec<String> = names.iter().map(|n| self.norm.normalise(n)).collect();
        shown.sort();
        let _ = writeln!(self.transcript, "# folder {name}");
        block(&mut self.transcript, "| ", &(shown.join("\n") + "\n"));
        self.transcript.push('\n');
        names
    }

    /// Every file under a folder (relative paths, sorted), recorded.
    fn list_tree(&mut self, name: &str) {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, base, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.path(name), &self.path(name), &mut files);
        files.sort();
        let _ = writeln!(self.transcript, "# tree {name}");
        block(&mut self.transcript, "| ", &(files.join("\n") + "\n"));
        self.transcript.push('\n');
    }

    /// A program other than `vrm`, run quietly (its output is not ours).
    fn tool(&mut self, program: &str, args: &[&str]) -> String {
        let out = std::process::Command::new(program)
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{program} {args:?} failed");
        let shown: Vec<String> = args.iter().map(|a| quote(a)).collect();
        self.comment(&format!("also run: {program} {}", shown.join(" ")));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Wait until the clock is past the second `t`: shares and intents keep
    /// their time to the second and list newest first, then by their random
    /// ids, so two made in one second could come in either order.
    fn second_after(&mut self, t: i64) {
        while Utc::now().timestamp() <= t {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    fn write(&mut self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
        let _ = writeln!(self.transcript, "# wrote {name}");
        block(&mut self.transcript, "| ", text);
        self.transcript.push('\n');
    }
}

/// `text`'s lines, each after `prefix`; trailing white space marked
/// `<eol>` (so the file has none), a missing final line break said.
fn block(out: &mut String, prefix: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
        let _ = if line.is_empty() {
            writeln!(out, "{}", prefix.trim_end())
        } else if line.ends_with(char::is_whitespace) {
            writeln!(out, "{prefix}{line}<eol>")
        } else {
            writeln!(out, "{prefix}{line}")
        };
    }
    if !text.ends_with('\n') {
        let _ = writeln!(out, "{prefix}\\ (no line break at the end)");
    }
}

fn short(id: &str) -> &str {
    &id[..8]
}

/// The whole scripted run; its normalised transcript.
fn script(today: NaiveDate) -> String {
    let mut r = Run::new(today);
    let _ = writeln!(
        r.transcript,
        "# The `vrm` command line's golden transcript, written by tests/golden.rs.\n\
         # Do not edit: regenerate with\n\
         #   VRM_GOLDEN_UPDATE=1 cargo test -p vrm-vault --locked --test integration golden\n\
         # Every `vrm` runs with --vault <tmp>/vault --kdf-target-ms 0 and the passphrase\n\
         # in VRM_PASSPHRASE unless the line says otherwise; `>` is stdout, `!` stderr.\n"
    );

    // --- Creating the vault, usage errors.
    r.comment("A vault: the recovery code alone on stdout.");
    let code = r.ok(&["init"]);
    r.fails(1, &["init"]);
    r.ok(&[]);
    r.both(&["status"]);
    r.fails(2, &["frobnicate"]);
    r.fails(2, &["record"]);
    r.fails(2, &["record", "add", "--field", "text=x"]);
    r.fails(
        2,
        &["record", "add", "--kind", "banana", "--field", "text=x"],
    );
    r.fails(2, &["record", "list", "--since", "yesterday"]);
    r.ok(&["--help"]);
    r.ok(&["record", "add", "--help"]);
    r.ok(&["generate-docs", "docs"]);
    r.list_tree("docs");
    let nowhere = r.path("nowhere");
    r.vrm_at(&nowhere, &[], &["status"]);
    let vault = r.vault.clone();
    r.vrm_at(
        &vault,
        &[("VRM_PASSPHRASE", "not the passphrase")],
        &["status"],
    );

    // --- Brands.
    r.comment("Brands.");
    r.both(&["brand", "list"]);
    let keygen = |r: &mut Run, file: &str| -> (String, String) {
        let out = r.ok(&["brand-kit", "keygen", "--out", file]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines.len(),
            2,
            "keygen prints the did and the recipient: {out}"
        );
        (lines[0].to_string(), lines[1].to_string())
    };
    let (acme_did, acme_rcpt) = keygen(&mut r, "acme.key");
    r.fails(1, &["brand-kit", "keygen", "--out", "acme.key"]);
    r.ok(&[
        "brand",
        "add",
        "ACME Corp",
        "--domain",
        "acme.example",
        "--contact",
        "privacy@acme.example",
        "--notes",
        "the shoe shop",
    ]);
    r.ok(&["brand", "add", "Apple", "--domain", "apple.example"]);
    r.ok(&["brand", "add", "Apple Music"]);
    r.ok(&[
        "brand",
        "add",
        "Bistro",
        "--contact",
        "1 rue de la Paix, Lyon",
    ]);
    r.fails(1, &["brand", "add", "acme corp"]);
    r.fails(1, &["brand", "add", "Bad\u{7}Name"]);
    r.ok(&[
        "brand",
        "edit",
        "acme",
        "--age-recipient",
        &acme_rcpt,
        "--did",
        &acme_did,
    ]);
    let (bistro_did, bistro_rcpt) = keygen(&mut r, "bistro.key");
    r.ok(&[
        "brand",
        "edit",
        "bistro",
        "--age-recipient",
        &bistro_rcpt,
        "--did",
        &bistro_did,
        "--notes",
        "lunch place",
    ]);
    r.ok(&["brand", "edit", "bistro", "--notes", ""]);
    r.both(&["brand", "list"]);
    r.fails(1, &["brand", "show", "nosuch"]);
    r.fails(1, &["brand", "show", "app"]);
    r.ok(&["brand", "show", "apple"]);

    // --- Records.
    r.comment("Records: distinct fixed dates, so their order is defined.");
    let call = r.ok(&[
        "record",
        "add",
        "--kind",
        "interaction",
        "--brand",
        "acme",
        "--field",
        "channel=call",
        "--field",
        "direction=inbound",
        "--field",
        "date=2026-03-01",
        "--field",
        "summary=asked about invoice 42",
        "--tag",
        "billing",
    ]);
    r.ok(&[
        "record",
        "add",
        "--kind",
        "purchase",
        "--brand",
        "acme",
        "--field",
        "item=Blue shoes",
        "--field",
        "price=59.90 EUR",
        "--field",
        "date=2026-02-11",
    ]);
    let profile = r.ok(&[
        "record",
        "add",
        "--kind",
        "profile",
        "--field",
        "name=Ana Lima",
        "--field",
        "email=ana@example.org",
        "--field",
        "phone=+33 6 12 34 56 78",
        "--field",
        "address=5 rue Neuve, Lyon",
        "--field",
        "date=2026-01-15",
    ]);
    let account = r.ok(&[
        "record",
        "add",
        "--kind",
        "account",
        "--brand",
        "acme",
        "--field",
        "username=ana",
        "--field",
        "email=ana@example.org",
        "--field",
        "date=2026-01-10",
    ]);
    r.ok(&[
        "record",
        "add",
        "--kind",
        "warranty",
        "--brand",
        "Apple",
        "--field",
        "item=Laptop",
        "--field",
        "expires=2025-06-30",
        "--field",
        "provider=Apple",
        "--field",
        "date=2026-01-20",
    ]);
    r.ok(&[
        "record",
        "add",
        "--kind",
        "subscription",
        "--brand",
        "apple music",
        "--field",
        "plan=Family",
        "--field",
        "price=16.99 EUR",
        "--field",
        "period=monthly",
        "--field",
        "date=2026-02-01",
    ]);
    let note = r.ok(&[
        "record",
        "add",
        "--kind",
        "note",
        "--field",
        "text=call back about the kettle",
        "--field",
        "mood=hopeful",
        "--field",
        "date=2026-02-20",
        "--tag",
        "home",
    ]);
    r.ok(&[
        "record",
        "add",
        "--kind",
        "preference",
        "--field",
        "topic=newsletter",
        "--field",
        "value=weekly",
        "--field",
        "date=2026-01-05",
    ]);
    r.fails(
        1,
        &[
            "record",
            "add",
            "--kind",
            "purchase",
            "--field",
            "item=x",
            "--field",
            "price=cheap",
        ],
    );
    r.fails(
        1,
        &["record", "add", "--kind", "purchase", "--field", "price=1"],
    );
    r.fails(
        1,
        &[
            "record", "add", "--kind", "note", "--field", "text=x", "--brand", "nosuch",
        ],
    );
    r.fails(
        2,
        &[
            "record", "add", "--kind", "note", "--field", "text=x", "--field", "TEXT=y",
        ],
    );
    r.fails(
        1,
        &[
            "record", "add", "--kind", "note", "--field", "text=x", "--tag", "a b",
        ],
    );
    r.both(&["record", "list"]);
    r.ok(&[
        "record",
        "list",
        "--kind",
        "purchase",
        "--since",
        "2026-01-01",
    ]);
    r.ok(&["record", "list", "--brand", "acme"]);
    r.ok(&[
        "record",
        "list",
        "--tag",
        "billing",
        "--until",
        "2026-03-31",
    ]);
    r.ok(&["record", "list", "--brand", "bistro"]);
    r.both(&["record", "show", short(&call)]);
    r.fails(1, &["record", "show", "ffffffff"]);
    r.fails(1, &["record", "show", "zz"]);
    r.ok(&[
        "record",
        "edit",
        short(&call),
        "--field",
        "summary=invoice 42 paid",
        "--untag",
        "billing",
        "--tag",
        "paid",
    ]);
    r.ok(&[
        "record",
        "edit",
        short(&note),
        "--remove-field",
        "mood",
        "--field",
        "date=2026-02-21",
        "--no-brand",
    ]);
    r.fails(2, &["record", "edit", short(&call)]);
    r.ok(&["record", "show", &call]);
    r.both(&["brand", "show", "acme"]);
    r.ok(&["search", "invoice", "acme"]);
    r.both(&["search", "apple"]);
    r.ok(&["search", "ana", "--kind", "profile"]);
    r.ok(&["search", "nothing-like-this"]);

    // --- Import and export.
    r.comment("Import (CSV, JSON) and export to an age recipient; restore.");
    r.write(
        "purchases.csv",
        "kind,brand,date,tags,field:item,field:price\n\
         purchase,ACME Corp,2026-01-02,home;kitchen,Kettle,29.99 EUR\n\
         purchase,Kettle World,2026-01-03,,Descaler,4.50 EUR\n",
    );
    r.ok(&["import", "purchases.csv"]);
    r.write(
        "bad.csv",
        "kind,brand,field:item\npurchase,ACME Corp,Socks\npurchase,ACME Corp,\n",
    );
    r.fails(1, &["import", "bad.csv"]);
    r.write(
        "records.json",
        r#"{
  "format": "vrm-vault-export",
  "version": 1,
  "brands": [
    {"id": "0000b001-0000-4000-8000-000000000001", "name": "Garage Martin", "domain": "garage.example",
     "created_at": "2026-01-04T09:00:00Z", "updated_at": "2026-01-04T09:00:00Z"}
  ],
  "records": [
    {"id": "0000c001-0000-4000-8000-000000000002", "kind": "purchase",
     "brand": "0000b001-0000-4000-8000-000000000001",
     "fields": {"item": "Oil change", "price": "89.00 EUR", "date": "2026-01-04"}, "tags": ["car"],
     "created_at": "2026-01-04T09:00:00Z", "updated_at": "2026-01-04T09:00:00Z"}
  ]
}
"#,
    );
    r.ok(&["import", "records.json"]);
    r.ok(&["import", "records.json"]);
    r.write(
        "bad.json",
        "{\"format\": \"vrm-vault-export\", \"version\": 1,\n \"records\": [{\"kind\": \"note\"}]}\n",
    );
    r.fails(1, &["import", "bad.json"]);
    r.ok(&[
        "record",
        "list",
        "--since",
        "2026-01-02",
        "--until",
        "2026-01-04",
    ]);
    r.tool("age-keygen", &["-o", "backup.key"]);
    let backup_rcpt = r.tool("age-keygen", &["-y", "backup.key"]);
    r.ok(&["export", "--recipient", &backup_rcpt, "--out", "backup.age"]);
    r.fails(
        1,
        &["export", "--recipient", &backup_rcpt, "--out", "backup.age"],
    );
    r.fails(2, &["export", "--out", "other.age"]);
    r.fails(1, &["import", "backup.age"]);
    let restored = r.path("restored");
    r.vrm_at(
        &restored,
        &[],
        &["restore", "backup.age", "--identity", "backup.key"],
    );
    r.vrm_at(&restored, &[], &["status"]);
    r.vrm_at(
        &restored,
        &[],
        &["restore", "backup.age", "--identity", "backup.key"],
    );
    let restored_2 = r.path("restored-2");
    r.vrm_at(
        &restored_2,
        &[],
        &["restore", "backup.age", "--identity", "acme.key"],
    );
    // (Passphrase-protected backups are left out: age's scrypt would add
    // seconds.) The passphrase from a file wins over the environment.
    r.write("pass.txt", &format!("{PASS}\n"));
    r.vrm_at(
        &restored,
        &[("VRM_PASSPHRASE", "not the passphrase")],
        &["--passphrase-file", "pass.txt", "brand", "list"],
    );

    // --- Terms.
    r.comment("Terms: templates, versions, signed copies and brands' answers.");
    r.both(&["terms", "templates"]);
    r.ok(&["terms", "list"]);
    r.ok(&[
        "terms",
        "new",
        "--template",
        "SD-BASE",
        "--set",
        "retentionDays=90",
        "--set",
        "contact.maxContacts=2",
        "--set",
        "contact.perDays=30",
        "--set",
        "deletionOnRequestDays=14",
    ]);
    r.write("prose.txt", "I read every letter myself.\n");
    r.ok(&[
        "terms",
        "new",
        "--from",
        "1",
        "--title",
        "My terms, strict",
        "--set",
        "contact.marketingAllowed=false",
        "--prose-file",
        "prose.txt",
    ]);
    r.fails(
        1,
        &[
            "terms",
            "new",
            "--template",
            "SD-BASE",
            "--set",
            "colour=blue",
        ],
    );
    r.fails(2, &["terms", "new", "--template", "SD-NOPE"]);
    r.ok(&["terms", "new", "--template", "PDC-INTENT"]);
    r.both(&["terms", "list"]);
    r.ok(&["terms", "show"]);
    r.both(&["terms", "show", "2"]);
    r.fails(1, &["terms", "show", "9"]);
    r.ok(&[
        "terms",
        "export",
        "2",
        "--brand",
        "acme",
        "--out",
        "terms-acme.json",
    ]);
    r.file("terms-acme.json");
    r.fails(
        1,
        &[
            "terms",
            "export",
            "2",
            "--brand",
            "acme",
            "--out",
            "terms-acme.json",
        ],
    );
    r.ok(&[
        "brand-kit",
        "agree",
        "terms-acme.json",
        "--identity",
        "acme.key",
        "--out",
        "answer-acme.json",
    ]);
    r.file("answer-acme.json");
    r.ok(&["terms", "import", "answer-acme.json"]);
    r.ok(&[
        "terms",
        "export",
        "1",
        "--brand",
        "bistro",
        "--out",
        "terms-bistro.json",
    ]);
    r.ok(&[
        "brand-kit",
        "agree",
        "terms-bistro.json",
        "--identity",
        "bistro.key",
        "--decision",
        "counter",
        "--change",
        "retentionDays=365",
        "--note",
        "we keep invoices a year",
        "--out",
        "answer-bistro.json",
    ]);
    r.ok(&["terms", "import", "answer-bistro.json"]);
    r.fails(1, &["terms", "import", "terms-acme.json"]);
    // Signed with Bistro's key: the brand kit signs it, the vault refuses it.
    r.ok(&[
        "brand-kit",
        "agree",
        "terms-acme.json",
        "--identity",
        "bistro.key",
        "--out",
        "wrong.json",
    ]);
    r.fails(1, &["terms", "import", "wrong.json"]);
    r.both(&["terms", "status"]);
    r.both(&["verify", "terms-acme.json"]);
    r.ok(&["verify", "answer-bistro.json"]);
    r.write("not-signed.json", "{\"hello\": \"world\"}\n");
    r.fails(1, &["verify", "not-signed.json"]);

    // --- Shares and exposure.
    r.comment("Shares, exposure, revocation and erasure.");
    let share = r.ok(&[
        "share",
        "create",
        "--brand",
        "acme",
        "--record",
        short(&profile),
        "--record",
        short(&account),
        "--fields",
        "email,phone",
        "--purpose",
        "order delivery",
        "--expires",
        "30d",
        "--terms",
        "2",
        "--out",
        "share-acme.age",
    ]);
    r.fails(
        1,
        &[
            "share",
            "create",
            "--brand",
            "acme",
            "--record",
            short(&profile),
            "--fields",
            "shoe_size",
            "--purpose",
            "fitting",
            "--expires",
            "30d",
            "--out",
            "share-nope.age",
        ],
    );
    r.fails(
        2,
        &[
            "share",
            "create",
            "--brand",
            "acme",
            "--record",
            short(&profile),
            "--purpose",
            "fitting",
            "--expires",
            "soon",
            "--out",
            "share-nope.age",
        ],
    );
    r.fails(
        1,
        &[
            "share",
            "create",
            "--brand",
            "apple",
            "--record",
            short(&profile),
            "--purpose",
            "fitting",
            "--expires",
            "30d",
            "--out",
            "share-nope.age",
        ],
    );
    let share_made = Utc::now().timestamp();
    r.both(&["share", "show", short(&share)]);
    r.ok(&["share", "open", "share-acme.age"]);
    r.ok(&[
        "brand-kit",
        "open",
        "share-acme.age",
        "--identity",
        "acme.key",
    ]);
    r.fails(
        3,
        &[
            "brand-kit",
            "open",
            "share-acme.age",
            "--identity",
            "bistro.key",
        ],
    );
    r.second_after(share_made);
    r.ok(&[
        "share",
        "create",
        "--brand",
        "bistro",
        "--record",
        &profile,
        "--fields",
        "email,name",
        "--purpose",
        "table booking",
        "--expires",
        "10d",
        "--terms",
        "1",
        "--out",
        "share-bistro.age",
    ]);
    r.both(&["share", "list"]);
    r.ok(&["share", "list", "--brand", "bistro"]);
    r.both(&["exposure"]);
    r.ok(&[
        "share",
        "revoke",
        short(&share),
        "--reason",
        "I closed my account",
        "--out",
        "revocation.json",
    ]);
    r.file("revocation.json");
    r.fails(
        1,
        &[
            "share",
            "revoke",
            short(&share),
            "--out",
            "revocation-2.json",
        ],
    );
    r.ok(&["share", "show", short(&share)]);
    r.ok(&[
        "brand-kit",
        "ack",
        "revocation.json",
        "--identity",
        "acme.key",
        "--out",
        "ack.json",
    ]);
    r.file("ack.json");
    r.ok(&["share", "ack", "ack.json"]);
    r.fails(1, &["share", "ack", "ack.json"]);
    r.ok(&["share", "show", short(&share)]);
    r.ok(&["exposure", "revoke", "email", "--out-dir", "revocations"]);
    r.list_dir("revocations");
    r.fails(
        1,
        &["exposure", "revoke", "email", "--out-dir", "revocations"],
    );
    r.ok(&["share", "list"]);
    r.ok(&["exposure"]);

    // --- Rights: fixed days sent, so deadlines are fixed dates.
    r.comment("Data-rights requests (sent on fixed days: fixed deadlines).");
    r.both(&["rights", "kinds"]);
    r.ok(&["rights", "list"]);
    let access = r.ok(&[
        "rights",
        "request",
        "--brand",
        "acme",
        "--right",
        "gdpr-access",
        "--sent-on",
        "2026-03-02",
        "--letter",
        "letter.txt",
        "--out",
        "request.json",
    ]);
    r.file("letter.txt");
    r.file("request.json");
    let delete = r.ok(&[
        "rights",
        "request",
        "--brand",
        "apple",
        "--right",
        "ccpa-delete",
        "--sent-on",
        "2026-03-03",
        "--details",
        "account ana-42",
    ]);
    r.ok(&[
        "rights",
        "request",
        "--brand",
        "bistro",
        "--right",
        "ccpa-opt-out",
        "--sent-on",
        "2026-03-04",
    ]);
    r.fails(
        2,
        &[
            "rights",
            "request",
            "--brand",
            "acme",
            "--right",
            "gdpr-everything",
        ],
    );
    r.fails(
        1,
        &[
            "rights",
            "request",
            "--brand",
            "acme",
            "--right",
            "gdpr-access",
            "--sent-on",
            "2099-01-01",
        ],
    );
    r.both(&["rights", "list"]);
    r.both(&["rights", "show", short(&access)]);
    r.ok(&["rights", "update", short(&access), "--extended"]);
    r.ok(&[
        "rights",
        "update",
        short(&access),
        "--status",
        "in-progress",
    ]);
    r.fails(
        1,
        &["rights", "update", short(&delete), "--status", "denied"],
    );
    r.ok(&[
        "rights",
        "update",
        short(&delete),
        "--status",
        "denied",
        "--reason",
        "no account found",
    ]);
    r.ok(&["rights", "show", short(&access)]);
    r.ok(&["rights", "show", short(&delete)]);
    r.ok(&["rights", "letter", short(&delete)]);
    r.ok(&["rights", "letter", short(&access), "--follow-up"]);
    r.ok(&["rights", "list"]);
    r.ok(&["verify", "request.json"]);

    // --- Contacts: today's, after Acme accepted at most 2 per 30 days.
    r.comment("Contacts against the accepted contact rules.");
    r.ok(&["contact", "violations"]);
    // Contacts of one day are counted in the order of (channel, purpose,
    // record id): distinct channels, so the random ids do not decide.
    for (channel, purpose, summary) in [
        ("call", "marketing", "upsell"),
        ("chat", "sales", "new catalogue"),
        ("social", "marketing", "loyalty points"),
    ] {
        r.ok(&[
            "contact",
            "log",
            "--brand",
            "acme",
            "--channel",
            channel,
            "--purpose",
            purpose,
            "--summary",
            summary,
        ]);
    }
    r.ok(&[
        "contact",
        "log",
        "--brand",
        "bistro",
        "--channel",
        "email",
        "--purpose",
        "service",
        "--summary",
        "booking confirmed",
        "--date",
        "2026-03-05",
    ]);
    r.fails(
        2,
        &[
            "contact",
            "log",
            "--brand",
            "acme",
            "--channel",
            "pigeon",
            "--purpose",
            "marketing",
            "--summary",
            "coo",
        ],
    );
    r.both(&["contact", "violations"]);

    // --- Intents and offers.
    r.comment("Intentcasting: intents to files (no HTTP), offers back.");
    r.ok(&["intent", "list"]);
    let lunch = r.ok(&[
        "intent",
        "create",
        "--category",
        "lunch",
        "--description",
        "vegetarian lunch for two",
        "--quantity",
        "2",
        "--budget-max",
        "30",
        "--currency",
        "EUR",
        "--location",
        "Lyon 2e",
        "--needed-by",
        "2099-06-30",
        "--expires",
        "2d",
        "--brand",
        "acme",
        "--brand",
        "bistro",
    ]);
    let lunch_made = Utc::now().timestamp();
    r.fails(
        2,
        &["intent", "create", "--category", "x", "--description", "y"],
    );
    r.both(&["intent", "show", short(&lunch)]);
    r.second_after(lunch_made);
    let draft = r.ok(&[
        "intent",
        "create",
        "--category",
        "bicycle",
        "--description",
        "a used city bike",
        "--expires",
        "3d",
    ]);
    r.fails(1, &["intent", "send", short(&draft), "--no-http"]);
    r.fails(
        1,
        &[
            "intent",
            "send",
            short(&draft),
            "--brand",
            "apple",
            "--no-http",
        ],
    );
    r.both(&["intent", "list"]);
    r.ok(&["intent", "show", short(&draft)]);
    r.ok(&[
        "intent",
        "send",
        short(&lunch),
        "--out",
        "outbox",
        "--no-http",
    ]);
    let outbox = r.list_dir("outbox");
    let sent_to = |brand: &str| -> String {
        let name = outbox
            .iter()
            .find(|n| n.starts_with("intent-") && n.ends_with(&format!("-{brand}.json")))
            .unwrap_or_else(|| panic!("no intent file for {brand} in {outbox:?}"));
        format!("outbox/{name}")
    };
    let (for_acme, for_bistro) = (sent_to("acme-corp"), sent_to("bistro"));
    r.file(&for_acme);
    std::fs::create_dir(r.path("offers")).unwrap();
    std::fs::create_dir(r.path("stray")).unwrap();
    r.comment("also run: mkdir offers stray");
    keygen(&mut r, "stranger.key");
    r.ok(&[
        "brand-kit",
        "offer",
        &for_acme,
        "--identity",
        "acme.key",
        "--price",
        "24.50",
        "--currency",
        "EUR",
        "--description",
        "two set menus",
        "--encrypt",
        "--out",
        "offers/acme.age",
    ]);
    r.ok(&[
        "brand-kit",
        "offer",
        &for_bistro,
        "--identity",
        "bistro.key",
        "--price",
        "19.00",
        "--currency",
        "EUR",
        "--description",
        "lunch menu for two",
        "--out",
        "offers/bistro.json",
    ]);
    r.file("offers/bistro.json");
    r.ok(&[
        "brand-kit",
        "offer",
        &for_bistro,
        "--identity",
        "stranger.key",
        "--price",
        "21.00",
        "--currency",
        "USD",
        "--out",
        "stray/offer.json",
    ]);
    r.ok(&["offer", "list"]);
    r.ok(&["offer", "import", "offers"]);
    r.ok(&["offer", "import", "stray/offer.json"]);
    r.fails(1, &["offer", "import", "offers/bistro.json"]);
    r.ok(&["offer", "list"]);
    let offers_json = r.ok(&["offer", "list", "--intent", short(&lunch), "--json"]);
    let offers: serde_json::Value = serde_json::from_str(&offers_json).unwrap();
    let offer_id = |price: &str| -> String {
        offers
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["offer"]["price"] == price)
            .and_then(|o| o["offer"]["id"].as_str())
            .unwrap_or_else(|| panic!("no offer at {price}: {offers}"))
            .to_string()
    };
    let (acme_offer, bistro_offer, stray_offer) =
        (offer_id("24.50"), offer_id("19.00"), offer_id("21.00"));
    r.fails(
        1,
        &["offer", "accept", short(&stray_offer), "--out", "nope.json"],
    );
    r.ok(&[
        "offer",
        "accept",
        short(&acme_offer),
        "--out",
        "acceptance.json",
    ]);
    r.file("acceptance.json");
    r.ok(&[
        "offer",
        "decline",
        short(&bistro_offer),
        "--out",
        "decline.json",
    ]);
    r.ok(&["offer", "decline", short(&stray_offer)]);
    r.ok(&["verify", "acceptance.json"]);
    r.both(&["offer", "list", "--intent", short(&lunch)]);
    r.ok(&[
        "intent",
        "withdraw",
        short(&lunch),
        "--out",
        "outbox",
        "--no-http",
    ]);
    r.list_dir("outbox");
    // The draft reached no brand: there is no one to tell.
    r.ok(&["intent", "withdraw", short(&draft), "--no-http"]);
    r.ok(&["intent", "show", short(&lunch)]);
    r.ok(&["intent", "list"]);

    // --- The activity log.
    r.comment("The activity log.");
    r.both(&["audit", "list"]);

    // --- Deleting.
    r.comment("Deleting: records, then brands (with what they hold).");
    r.ok(&["record", "delete", short(&note)]);
    r.fails(1, &["record", "delete", short(&note)]);
    r.fails(2, &["brand", "delete", "apple"]);
    r.ok(&["brand", "delete", "Apple Music", "--yes"]);
    r.ok(&["brand", "delete", "apple", "--yes"]);
    r.ok(&["brand", "list"]);
    r.ok(&["rights", "list"]);
    r.ok(&["audit", "list"]);
    r.ok(&["status"]);
    r.ok(&["audit", "verify"]);

    // --- Passphrase and recovery.
    r.comment("A new passphrase, then back with the recovery code.");
    r.vrm_at(&vault, &[("VRM_NEW_PASSPHRASE", NEW_PASS)], &["passwd"]);
    r.vrm_at(&vault, &[], &["status"]);
    r.vrm_at(&vault, &[("VRM_PASSPHRASE", NEW_PASS)], &["brand", "list"]);
    r.vrm_at(
        &vault,
        &[
            (
                "VRM_RECOVERY_CODE",
                "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA",
            ),
            ("VRM_NEW_PASSPHRASE", PASS),
        ],
        &["recover"],
    );
    let recovered = r.vrm_at(
        &vault,
        &[("VRM_RECOVERY_CODE", &code), ("VRM_NEW_PASSPHRASE", PASS)],
        &["recover"],
    );
    assert_eq!(recovered.code, 0, "recover: {}", recovered.stderr);
    r.ok(&["status"]);
    r.vrm_at(
        &vault,
        &[("VRM_RECOVERY_CODE", &code), ("VRM_NEW_PASSPHRASE", PASS)],
        &["recover"],
    );

    let _ = writeln!(r.transcript, "# {} commands.", r.steps);
    assert!(
        r.unexpected.is_empty(),
        "the script's error cases did not fail as expected:\n{}",
        r.unexpected.join("\n")
    );
    r.transcript
}

/// The run, again if the day changed during it (dates are relative to today).
fn transcript() -> String {
    for _ in 0..2 {
        let today = Utc::now().date_naive();
        let text = script(today);
        if Utc::now().date_naive() == today {
            return text;
        }
    }
    panic!("the day changed during two runs in a row");
}

/// Split a transcript at each step (a `$` or `#` line after a blank line).
fn steps(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut after_blank = true;
    for line in text.lines() {
        if after_blank && (line.starts_with("$ ") || line.starts_with("# ")) || out.is_empty() {
            out.push(String::new());
        }
        let last = out.last_mut().expect("one step at least");
        last.push_str(line);
        last.push('\n');
        after_blank = line.is_empty();
    }
    out
}

/// The first steps that differ, line by line.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a) = (steps(expected), steps(actual));
    let mut report = String::new();
    let mut differing = 0;
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x == y {
            continue;
        }
        differing += 1;
        if differing > 3 {
            continue;
        }
        let (x, y) = (x.map_or("", String::as_str), y.map_or("", String::as_str));
        let _ = writeln!(report, "--- step {} (- expected, + actual):", i + 1);
        let (xl, yl): (Vec<&str>, Vec<&str>) = (x.lines().collect(), y.lines().collect());
        for j in 0..xl.len().max(yl.len()) {
            match (xl.get(j), yl.get(j)) {
                (Some(p), Some(q)) if p == q => {
                    let _ = writeln!(report, "  {p}");
                }
                (p, q) => {
                    if let Some(p) = p {
                        let _ = writeln!(report, "- {p}");
                    }
                    if let Some(q) = q {
                        let _ = writeln!(report, "+ {q}");
                    }
                }
            }
        }
    }
    let _ = writeln!(
        report,
        "{differing} step(s) differ ({} expected, {} now).",
        e.len(),
        a.len()
    );
    report
}

// Recorded before issue 11 moved the code (2026-12-04); it holds the
// command line to the behaviour it had then.
#[test]
fn the_command_line_transcript_is_unchanged() {
    need_age();
    let actual = transcript();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(TRANSCRIPT);
    if std::env::var("VRM_GOLDEN_UPDATE").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; write it with VRM_GOLDEN_UPDATE=1", path.display()));
    if expected != actual {
        let saved = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-cli.actual.txt");
        std::fs::write(&saved, &actual).unwrap();
        panic!(
            "the command line's output changed:\n{}\nThe whole new transcript: {}\n\
             If the change is intended: VRM_GOLDEN_UPDATE=1 cargo test -p vrm-vault --test integration golden",
            diff(&expected, &actual),
            saved.display()
        );
    }
}

#[test]
fn the_normaliser_numbers_values_in_order_and_keeps_fixed_ones() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let tmp = Path::new("/tmp/.tmpAbCd");
    let mut n = Normaliser::new(&[tmp], today);
    let a = "0a1b2c3d-0000-4000-8000-00000000000a";
    let b = "ffee0011-0000-4000-8000-00000000000b";
    let text = format!(
        "{b} 0a1b2c3d then {a} and {b}\n\
         at /tmp/.tmpAbCd/vault on 2026-12-04 10:11 UTC, 2026-12-04 10:11:12, \
         2027-01-03T23:59:59.123Z, fixed 2026-03-01 and 2099-06-30\n\
         did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK \
         age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p \
         KIYY-QPYT-JJSY-XSFT-MAJN-JVT3-BO4P-76KN head {} \
         OVERDUE by 277 days, \"days_left\": -277\n\
         Date: 4 December 2026 or December 4, 2026, not 1 March 2026, a date like 2026-12-31\n\
         \"x\" could mean more than one brand: Zed (ffee0011), Abc (0a1b2c3d); give more\n",
        "ab".repeat(32)
    );
    assert_eq!(
        n.normalise(&text),
        "<id1> <id2:8> then <id2> and <id1>\n\
         at <tmp>/vault on <today> <hh:mm> UTC, <today> <hh:mm:ss>, \
         <today+30d>T<time>Z, fixed 2026-03-01 and 2099-06-30\n\
         did:key:<z1>#<z1> <rcpt1> <code1> head <hex1> \
         OVERDUE by <n> days, \"days_left\": <n>\n\
         Date: <<today> as d Month yyyy> or <<today> as Month d, yyyy>, not 1 March 2026, a date like 2026-12-31\n\
         \"x\" could mean more than one brand: Abc (<id2:8>), Zed (<id1:8>); give more\n"
    );
    assert_eq!(n.normalise("ffee0011 2026-12-05"), "<id1:8> <today+1d>");
}
