//! The README's tour of the command line, run as written: every `$` line of
//! every ```console block, in order, by `sh` in one temporary folder, with a
//! fixed passphrase, a fast key derivation and the built `vrm` first on the
//! PATH. Values only known at run time (ids, keys, the intake's port) are
//! bound from what earlier commands printed: where the README shows a
//! command's output as `eaae0400-0d1d-…` or `age1ql3z7hjy54pw3…`, later
//! mentions of `eaae0400` or `age1ql3z7…` become the real value.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Std, Stdio};

use crate::util::*;

/// One `$` line (continuations joined, comment dropped) and the output the
/// README shows under it.
struct Step {
    line: usize,
    command: String,
    output: Vec<String>,
}

/// Cut a trailing `# comment` that is outside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return s[..i].trim_end(),
            _ => {}
        }
        prev = c;
    }
    s.trim_end()
}

fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_console = false;
    let mut continuing = false;
    for (n, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_console = line.trim() == "```console";
            continuing = false;
            continue;
        }
        if !in_console {
            continue;
        }
        let text = if continuing {
            Some(line.trim())
        } else {
            line.strip_prefix("$ ")
        };
        match text {
            Some(text) => {
                let (text, more) = match text.strip_suffix('\\') {
                    Some(t) => (t, true),
                    None => (text, false),
                };
                let text = if more {
                    text.trim_end()
                } else {
                    strip_comment(text)
                };
                if continuing {
                    let last = steps.last_mut().expect("a continuation follows a command");
                    last.command.push(' ');
                    last.command.push_str(text);
                } else {
                    steps.push(Step {
                        line: n + 1,
                        command: text.to_string(),
                        output: Vec::new(),
                    });
                }
                continuing = more;
            }
            None if !line.trim().is_empty() => steps
                .last_mut()
                .unwrap_or_else(|| panic!("README line {}: output before any command", n + 1))
                .output
                .push(line.to_string()),
            None => {}
        }
    }
    steps
}

fn is_hex_id(t: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    let parts: Vec<&str> = t.split('-').collect();
    hex(t, 8) || (parts.len() == 5 && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| hex(p, *n)))
}

/// A README value that stands for one only known at run time: an id
/// (`eaae0400-0d1d-…`, `9a0b4c1e`) or an elided one (`age1ql3z7hjy54pw3…`).
fn placeholder(token: &str) -> Option<&str> {
    if let Some(base) = token.strip_suffix('…') {
        return (base.chars().count() >= 4).then_some(base);
    }
    is_hex_id(token).then_some(token)
}

/// README value → the real one.
#[derive(Default)]
struct Bindings {
    values: Vec<(String, String)>,
    literals: Vec<(String, String)>,
}

impl Bindings {
    /// `command` with every bound placeholder replaced: `X…` by the whole
    /// value whose README form starts with X, a bare id prefix by the real
    /// id's prefix of the same length.
    fn apply(&self, command: &str) -> String {
        let mut s = command.to_string();
        for (from, to) in &self.literals {
            s = s.replace(from, to);
        }
        let word = |c: char| c.is_ascii_alphanumeric() || c == ':' || c == '-';
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            if !word(chars[i]) {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && word(chars[i]) {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if chars.get(i) == Some(&'…') {
                match self
                    .values
                    .iter()
                    .find(|(k, _)| run.chars().count() >= 4 && k.starts_with(&run))
                {
                    Some((_, actual)) => {
                        out.push_str(actual);
                        i += 1;
                    }
                    None => out.push_str(&run),
                }
                continue;
            }
            let id_like = run.len() >= 4 && run.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            match self
                .values
                .iter()
                .find(|(k, _)| id_like && is_hex_id(k) && k.starts_with(&run))
            {
                Some((_, actual)) => out.push_str(&actual[..run.len()]),
                None => out.push_str(&run),
            }
        }
        out
    }
}

/// A command the tour started in the background (`… &`), stopped on drop.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Tour {
    work: PathBuf,
    home: PathBuf,
    vault: PathBuf,
    path: String,
}

impl Tour {
    fn sh(&self, command: &str) -> Std {
        let mut cmd = Std::new("sh");
        cmd.arg("-c")
            .arg(command)
            .current_dir(&self.work)
            .env("HOME", &self.home)
            .env("PATH", &self.path)
            .env("VRM_VAULT", &self.vault)
            .env("VRM_PASSPHRASE", PASS)
            .env("VRM_KDF_TARGET_MS", "0")
            .env_remove("VRM_NEW_PASSPHRASE")
            .env_remove("VRM_RECOVERY_CODE")
            .env_remove("VRM_BACKUP_PASSPHRASE")
            .stdin(Stdio::null());
        cmd
    }
}

/// The words a README output line starts with, up to the first that
/// varies from run to run (has a digit, a path or an elision).
fn fixed_words(line: &str) -> String {
    line.split_whitespace()
        .take_while(|w| !w.contains(|c: char| c.is_ascii_digit() || c == '/' || c == '…'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn csv_example(readme: &str) -> String {
    let start = readme
        .find("```csv\n")
        .expect("the README has a ```csv example")
        + "```csv\n".len();
    let len = readme[start..].find("```").expect("the csv block ends");
    readme[start..start + len].to_string()
}

#[test]
fn the_readme_tour_runs_as_written() {
    need_age();
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tour = Tour {
        work: tmp.path().join("work"),
        home: tmp.path().join("home"),
        vault: tmp.path().join("home/vault"),
        path: format!(
            "{}:{}",
            assert_cmd::cargo::cargo_bin("vrm")
                .parent()
                .unwrap()
                .display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    };
    std::fs::create_dir_all(&tour.work).unwrap();
    std::fs::create_dir_all(&tour.home).unwrap();
    // `vrm import purchases.csv` imports the README's CSV example.
    std::fs::write(tour.work.join("purchases.csv"), csv_example(&readme)).unwrap();
    // `vrm discover mbox Inbox.mbox` reads the discovery tests' corpus.
    let mails: Vec<Vec<u8>> = crate::mail_corpus::corpus()
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    std::fs::write(
        tour.work.join("Inbox.mbox"),
        crate::mail_corpus::mbox(&mails),
    )
    .unwrap();

    let steps = steps(&readme);
    assert!(steps.len() >= 40, "the tour has {} commands", steps.len());
    let mut bindings = Bindings::default();
    let mut background = Vec::new();
    for step in &steps {
        let at = format!("README line {}: `{}`", step.line, step.command);
        let (command, in_background) = match step.command.strip_suffix('&') {
            Some(c) => (bindings.apply(c.trim_end()), true),
            None => (bindings.apply(&step.command), false),
        };
        assert!(
            !command.contains('…'),
            "{at}: a placeholder the test cannot bind (show the output it comes from): {command}"
        );
        for part in command.split("&&") {
            let program = part.split_whitespace().next().unwrap_or("");
            assert!(
                ["vrm", "age", "age-keygen"].contains(&program),
                "{at}: the tour test does not know how to run `{}`",
                part.trim()
            );
        }

        if in_background {
            // A server: on a free port, its address bound to the README's.
            let addr = command
                .split_whitespace()
                .skip_while(|w| *w != "--addr")
                .nth(1)
                .unwrap_or_else(|| panic!("{at}: a background command needs --addr"))
                .to_string();
            let (host, _) = addr.rsplit_once(':').unwrap();
            let mut child = tour
                .sh(&format!(
                    "exec {}",
                    command.replace(&addr, &format!("{host}:0"))
                ))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut first = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut first)
                .unwrap();
            background.push(Background(child));
            let real = first
                .trim()
                .strip_prefix("http://")
                .and_then(|r| r.strip_suffix('/'))
                .unwrap_or_else(|| panic!("{at}: printed {first:?}, not its URL"));
            bindings.literals.push((addr, real.to_string()));
            continue;
        }

        eprintln!("$ {command}");
        let out = tour.sh(&command).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "{at} (run as `{command}`) exited with {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status.code()
        );

        // What the README shows: placeholders bound, the rest checked.
        let printed: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut bound = 0;
        let said = format!("{stdout}{stderr}")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for shown in &step.output {
            let first = shown.split_whitespace().next().unwrap_or("");
            if let Some(key) = placeholder(first) {
                let real_line = printed
                    .get(bound)
                    .unwrap_or_else(|| panic!("{at}: shows {shown:?}, but printed {stdout:?}"));
                let real = real_line.split_whitespace().next().unwrap_or("");
                // The rest of the line as shown, but for what varies.
                for word in shown.split_whitespace().skip(1) {
                    if !fixed_words(word).is_empty() {
                        assert!(
                            real_line.contains(word),
                            "{at}: shows {shown:?}, printed {real_line:?}"
                        );
                    }
                }
                let same_kind = if is_hex_id(key) {
                    is_hex_id(real) && real.len() == key.len()
                } else {
                    real.get(..4) == key.get(..4)
                };
                assert!(
                    same_kind,
                    "{at}: shows {shown:?}, printed {real:?}: not the same kind of value"
                );
                bindings.values.push((key.to_string(), real.to_string()));
                bound += 1;
            } else {
                let words = fixed_words(shown);
                assert!(
                    said.contains(&words),
                    "{at}: the README shows {words:?}, the command said:\n{stdout}{stderr}"
                );
            }
        }
    }
    drop(background);
    // The backup came back whole into the restored vault.
    let out = tour
        .sh("vrm --vault ~/vault-restored record list --json")
        .output()
        .unwrap();
    assert!(out.status.success());
    let restored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        restored.as_array().unwrap().len() >= 3,
        "the restored vault has the tour's records: {restored}"
    );
}

#[test]
fn the_tour_reader_joins_lines_drops_comments_and_binds_ids() {
    let readme = "text\n```console\n$ vrm a --x \"b # c\" \\\n      --y 1   # note\nout-1\n\n$ vrm b\n```\n```sh\n$ not this\n```\n";
    let s = steps(readme);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].command, "vrm a --x \"b # c\" --y 1");
    assert_eq!(s[0].output, ["out-1"]);
    assert_eq!((s[1].line, s[1].command.as_str()), (7, "vrm b"));

    let b = Bindings {
        values: vec![
            (
                "eaae0400-0d1d-4dda-a019-cb94d3bf083f".into(),
                "0123abcd-0000-4000-8000-000000000000".into(),
            ),
            ("age1ql3z7hjy".into(), "age1realrecipient".into()),
        ],
        literals: vec![("127.0.0.1:8700".into(), "127.0.0.1:4242".into())],
    };
    assert_eq!(
        b.apply(
            "vrm x eaae0400 eaae age1ql3z7… in/eaae0400….json http://127.0.0.1:8700/ 2026-03-01"
        ),
        "vrm x 0123abcd 0123 age1realrecipient in/0123abcd-0000-4000-8000-000000000000.json http://127.0.0.1:4242/ 2026-03-01"
    );
    assert_eq!(placeholder("did:key:z6Mk…"), Some("did:key:z6Mk"));
    assert_eq!(placeholder("9a0b4c1e"), Some("9a0b4c1e"));
    assert_eq!(placeholder("Created"), None);
    assert_eq!(
        fixed_words("Created a vault at /home/x (Argon2id"),
        "Created a vault at"
    );
}
