//! What `vrm` prints for a person: values from imports and from brands'
//! documents shown escaped (no terminal sequences, line breaks or bidi
//! controls reach the terminal), one line per item in lists; names that
//! would hide such characters are refused.

use std::path::Path;

use predicates::prelude::*;

use crate::util::*;

/// An OSC that sets the window title, a colour, a line break, a bidi
/// override: each alone would show on a terminal as something else.
const OSC: &str = "\x1b]0;pwned\x07";
const RED: &str = "\x1b[31m";
const RLO: &str = "\u{202e}";

/// stdout of a successful `vrm`, untrimmed.
fn stdout(dir: &Path, args: &[&str]) -> String {
    let out = vrm(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "vrm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Nothing a terminal would act on or reorder.
fn assert_inert(what: &str, text: &str) {
    for (bad, name) in [
        ('\x1b', "ESC"),
        ('\x07', "BEL"),
        ('\r', "CR"),
        ('\u{9b}', "CSI"),
        ('\u{202e}', "U+202E"),
        ('\u{2066}', "U+2066"),
        ('\u{2028}', "U+2028"),
    ] {
        assert!(!text.contains(bad), "{name} in `{what}`: {text:?}");
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn values_with_terminal_sequences_are_shown_escaped_one_line_per_record() {
    let (tmp, dir, _) = cli_vault();
    let notes = format!("call {OSC} back\nsoon {RLO}gpj.exe");
    let contact = format!("{RED}support@acme.example\u{2028}x");
    vrm_ok(
        &dir,
        &[
            "brand",
            "add",
            "Acme",
            "--notes",
            &notes,
            "--contact",
            &contact,
        ],
    );
    let added = vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "note",
            "--brand",
            "Acme",
            "--field",
            &format!("text=pwned {OSC}"),
            "--field",
            "other=two\nlines\r\nhere",
            "--field",
            &format!("rtl=invoice{RLO}fdp.exe {RED}red\u{2066}"),
        ],
    );
    // The same kinds of value from a CSV and a JSON import.
    let csv = tmp.path().join("in.csv");
    std::fs::write(
        &csv,
        format!(
            "kind,brand,field:item,field:notes\n\
             purchase,Acme,\"Kettle {OSC}\",\"first\nsecond {RLO}x\"\n"
        ),
    )
    .unwrap();
    vrm_ok(&dir, &["import", p(&csv)]);
    let json = tmp.path().join("in.json");
    let doc = serde_json::json!({
        "format": "vrm-vault-export",
        "version": 1,
        "brands": [],
        "records": [{"kind": "note", "fields": {
            "text": format!("pwned {OSC}{RED}\u{9b}2J and\nmore{RLO}"),
        }}],
    });
    std::fs::write(&json, serde_json::to_string(&doc).unwrap()).unwrap();
    vrm_ok(&dir, &["import", p(&json)]);

    let list = stdout(&dir, &["record", "list"]);
    assert_inert("record list", &list);
    assert_eq!(list.lines().count(), 3, "one line per record:\n{list}");
    assert!(
        list.contains(r"text=pwned \x1b]0;pwned\x07"),
        "shown, escaped:\n{list}"
    );
    assert!(list.contains(r"other=two\nlines\r\nhere"), "{list}");
    assert!(list.contains(r"invoice\u{202e}fdp.exe"), "{list}");

    let show = stdout(&dir, &["record", "show", &added]);
    assert_inert("record show", &show);
    assert!(show.contains(r"\u{2066}"), "{show}");
    assert_eq!(show.lines().count(), 7, "a line per field:\n{show}");

    for args in [
        &["search", "pwned"][..],
        &["search", "kettle"],
        &["brand", "show", "Acme"],
        &["brand", "list"],
        &["record", "list", "--brand", "Acme"],
    ] {
        let text = stdout(&dir, args);
        assert_inert(&args.join(" "), &text);
    }
    let page = stdout(&dir, &["brand", "show", "Acme"]);
    assert!(
        page.contains(r"call \x1b]0;pwned\x07 back\nsoon \u{202e}gpj.exe"),
        "{page}"
    );
    assert!(
        page.contains(r"\x1b[31msupport@acme.example\u{2028}x"),
        "{page}"
    );
    let hits: serde_json::Value =
        serde_json::from_str(&stdout(&dir, &["search", "pwned", "--json"])).unwrap();
    assert_eq!(
        stdout(&dir, &["search", "pwned"]).lines().count(),
        hits.as_array().unwrap().len(),
        "one line per hit"
    );

    // JSON keeps the values exactly, with the same characters escaped.
    let text = stdout(&dir, &["record", "show", &added, "--json"]);
    assert_inert("record show --json", &text);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["fields"]["text"], format!("pwned {OSC}"));
    assert!(v["fields"]["rtl"].as_str().unwrap().contains(RLO));
}

#[test]
fn names_with_bidi_controls_or_invisible_characters_are_refused() {
    let (_tmp, dir, _) = cli_vault();
    for name in [
        format!("Acme{RLO}moc.live"),
        "Ac\u{200b}me".to_string(),
        "Acme\u{2067}".to_string(),
        format!("Acme{OSC}"),
    ] {
        vrm(&dir)
            .args(["brand", "add", &name])
            .assert()
            .code(1)
            .stderr(predicate::str::contains(
                "a brand name cannot contain control characters or invisible formatting",
            ))
            .stderr(predicate::str::contains("\u{202e}").not())
            .stderr(predicate::str::contains("\x1b").not());
    }
    assert_eq!(
        vrm_ok(&dir, &["brand", "list", "--json"]),
        "[]",
        "nothing added"
    );
    vrm_ok(&dir, &["brand", "add", "Acme"]);
    vrm(&dir)
        .args(["brand", "edit", "Acme", "--name", &format!("Acme{RLO}")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("brand name"));
    // Right-to-left text itself is a name like any other.
    vrm_ok(&dir, &["brand", "add", "שלום"]);

    vrm(&dir)
        .args([
            "record", "add", "--kind", "note", "--field", "text=x", "--tag",
        ])
        .arg(format!("urgent{RLO}"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is not a tag"));
    vrm(&dir)
        .args(["terms", "new", "--template", "SD-BASE", "--title"])
        .arg(format!("Mine{RLO}"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("title"));
    vrm(&dir)
        .args(["intent", "create", "--description", "x", "--expires", "7d"])
        .args(["--category", &format!("lunch{RLO}")])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("category"));
}

#[test]
fn errors_that_quote_a_value_show_it_escaped() {
    let (_tmp, dir, _) = cli_vault();
    let out = vrm(&dir)
        .args(["brand", "show", &format!("x{OSC}{RLO}\ny")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_inert("error", &err);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(
        err.contains(r"no brand x\x1b]0;pwned\x07\u{202e}\ny"),
        "{err}"
    );
}

#[test]
fn documents_from_the_other_side_are_shown_escaped() {
    let (tmp, dir, _) = cli_vault();
    let key = tmp.path().join("acme.key");
    let did = vrm_ok(&dir, &["brand-kit", "keygen", "--out", p(&key)])
        .lines()
        .next()
        .unwrap()
        .to_string();
    vrm_ok(&dir, &["brand", "add", "Acme", "--did", &did]);
    let intent = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "tyres",
            "--description",
            &format!("four {RED}winter\ntyres {RLO}"),
            "--location",
            &format!("Lyon{OSC}"),
            "--expires",
            "5d",
            "--brand",
            "acme",
        ],
    );
    let sent = tmp.path().join("sent");
    std::fs::create_dir(&sent).unwrap();
    vrm_ok(
        &dir,
        &["intent", "send", &intent, "--out", p(&sent), "--no-http"],
    );
    let intent_file = std::fs::read_dir(&sent)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for args in [&["intent", "list"][..], &["intent", "show", &intent]] {
        assert_inert(&args.join(" "), &stdout(&dir, args));
    }
    assert_eq!(stdout(&dir, &["intent", "list"]).lines().count(), 1);

    // The brand's offers, one per currency, with a description written to
    // deceive: a colour, a title, a line break, a bidi override.
    for (price, currency) in [("300", "EUR"), ("20", "USD")] {
        let f = tmp.path().join(format!("offer-{currency}.json"));
        vrm_ok(
            &dir,
            &[
                "brand-kit",
                "offer",
                p(&intent_file),
                "--identity",
                p(&key),
                "--price",
                price,
                "--currency",
                currency,
                "--description",
                &format!("{RED}best\n{OSC}deal {RLO}00.1 EUR\u{9b}"),
                "--out",
                p(&f),
            ],
        );
        let imported = stdout(&dir, &["offer", "import", p(&f)]);
        assert_inert("offer import", &imported);
        assert_eq!(imported.lines().count(), 1, "{imported}");
    }
    let out = vrm(&dir).args(["offer", "list"]).output().unwrap();
    assert!(out.status.success());
    let list = String::from_utf8(out.stdout).unwrap();
    assert_inert("offer list", &list);
    assert_eq!(list.lines().count(), 2, "one line per offer:\n{list}");
    assert!(list.contains(r"\u{202e}00.1 EUR"), "{list}");
    // Sorted by currency, then price: say so rather than let 300 EUR look
    // dearer than 20 USD for no reason.
    assert!(list.lines().next().unwrap().contains("EUR"), "{list}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cheapest first within each currency"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout(&dir, &["offer", "list", "--json"]);
    assert_inert("offer list --json", &json);
}

#[test]
fn terms_and_letters_keep_their_lines_and_escape_the_rest() {
    let (tmp, dir, _) = cli_vault();
    vrm_ok(&dir, &["brand", "add", "Acme"]);
    let prose = tmp.path().join("prose.txt");
    std::fs::write(&prose, format!("First line.\r\nSecond {RLO}line.\n")).unwrap();
    vrm_ok(
        &dir,
        &[
            "terms",
            "new",
            "--template",
            "SD-BASE",
            "--prose-file",
            p(&prose),
        ],
    );
    let text = stdout(&dir, &["terms", "show"]);
    assert_inert("terms show", &text);
    assert!(text.contains("First line."), "{text}");
    assert!(text.contains("Second \\u{202e}line."), "{text}");

    let id = vrm_ok(
        &dir,
        &[
            "rights",
            "request",
            "--brand",
            "Acme",
            "--right",
            "gdpr-access",
            "--details",
            &format!("account {OSC}42\nand {RLO}more"),
        ],
    );
    for args in [
        &["rights", "list"][..],
        &["rights", "show", &id],
        &["rights", "letter", &id],
        &["audit", "list"],
        &["status"],
    ] {
        assert_inert(&args.join(" "), &stdout(&dir, args));
    }
    let letter = stdout(&dir, &["rights", "letter", &id]);
    assert!(
        letter.lines().count() > 5,
        "a letter keeps its lines:\n{letter}"
    );
    assert!(letter.contains(r"\x1b]0;pwned\x07"), "{letter}");
}

#[test]
fn a_record_kind_gets_the_right_article() {
    let (_tmp, dir, _) = cli_vault();
    vrm(&dir)
        .args(["record", "add", "--kind", "interaction"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("an interaction record needs"));
}

#[test]
fn an_io_error_names_its_path_once() {
    let (tmp, dir, _) = cli_vault();
    // tempfile names its temporary file in its errors; the message names
    // the folder once, and not the temporary file.
    let missing = tmp.path().join("no-such-folder");
    let out = vrm(&dir)
        .args(["export", "--passphrase", "--out"])
        .arg(missing.join("backup.age"))
        .env("VRM_BACKUP_PASSPHRASE", "a backup passphrase")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.matches("no-such-folder").count(), 1, "{err}");
    assert!(
        !err.contains(".vrm-export-") && !err.contains("at path"),
        "{err}"
    );
}
