//! The whole person ↔ brand exchange across processes, through the `vrm`
//! command line on both sides: terms, agreement, share (opened by the stock
//! `age` command and by the brand kit), revocation, acknowledgment,
//! exposure, rights requests, contact rules and the activity log.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use predicates::prelude::*;

use crate::util::*;

/// The brand's side: a key file made by `vrm brand-kit keygen`.
struct BrandSide {
    key: PathBuf,
    did: String,
    recipient: String,
}

fn brand_side(dir: &Path, name: &str) -> BrandSide {
    let key = dir.join(format!("{name}.key"));
    let out = vrm_ok(
        dir,
        &["brand-kit", "keygen", "--out", key.to_str().unwrap()],
    );
    let mut lines = out.lines();
    let did = lines.next().unwrap().to_string();
    let recipient = lines.next().unwrap().to_string();
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    assert!(recipient.starts_with("age1"), "{recipient}");
    BrandSide {
        key,
        did,
        recipient,
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&vrm_ok(dir, args)).unwrap()
}

/// A vault with a brand that has keys and a profile record, and no terms.
fn setup_without_terms() -> (tempfile::TempDir, PathBuf, BrandSide, String) {
    let (tmp, dir, _) = cli_vault();
    let brand = brand_side(tmp.path(), "acme");
    vrm_ok(
        &dir,
        &[
            "brand",
            "add",
            "Acme",
            "--age-recipient",
            &brand.recipient,
            "--did",
            &brand.did,
            "--contact",
            "privacy@acme.example",
        ],
    );
    let profile = vrm_ok(
        &dir,
        &[
            "record",
            "add",
            "--kind",
            "profile",
            "--field",
            "email=ana@example.org",
            "--field",
            "phone=+33 6 12 34 56 78",
            "--field",
            "name=Ana Example",
        ],
    );
    (tmp, dir, brand, profile)
}

/// A vault with a brand that has keys, a profile record and terms (one
/// contact per 30 days, erasure within 14 days of a request).
fn setup() -> (tempfile::TempDir, PathBuf, BrandSide, String, String) {
    let (tmp, dir, brand, profile) = setup_without_terms();
    let terms = vrm_ok(
        &dir,
        &[
            "terms",
            "new",
            "--template",
            "SD-BASE",
            "--set",
            "contact.maxContacts=1",
            "--set",
            "contact.perDays=30",
            "--set",
            "deletionOnRequestDays=14",
        ],
    );
    (tmp, dir, brand, profile, terms)
}

#[test]
fn terms_are_answered_by_the_brand_and_kept_per_brand() {
    let (tmp, dir, brand, _, _) = setup();
    let terms_file = tmp.path().join("terms.json");
    vrm_ok(
        &dir,
        &[
            "terms",
            "export",
            "latest",
            "--brand",
            "acme",
            "--out",
            p(&terms_file),
        ],
    );
    // Any verifier accepts it, and a changed byte fails.
    vrm(&dir)
        .args(["verify", p(&terms_file)])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "valid PersonalTerms signed by did:key:z6Mk",
        ))
        // Whose key it is (issue 13, 7): the person's own, for Acme.
        .stdout(predicate::str::contains(
            "signer:      you (your key for Acme",
        ));
    let text = std::fs::read_to_string(&terms_file).unwrap();
    let tampered = tmp.path().join("tampered.json");
    std::fs::write(
        &tampered,
        text.replace("\"retentionDays\": ", "\"retentionDays\": 1"),
    )
    .unwrap();
    vrm(&dir).args(["verify", p(&tampered)]).assert().code(1);

    // A counter-offer, then an acceptance; both kept.
    let counter = tmp.path().join("counter.json");
    vrm_ok(
        &dir,
        &[
            "brand-kit",
            "agree",
            p(&terms_file),
            "--identity",
            p(&brand.key),
            "--decision",
            "counter",
            "--change",
            "retentionDays=365",
            "--out",
            p(&counter),
        ],
    );
    vrm_ok(&dir, &["terms", "import", p(&counter)]);
    // The brand's answer: signed by a brand in the vault; without the
    // vault, by a key nobody here knows.
    vrm(&dir)
        .args(["verify", p(&counter)])
        .assert()
        .success()
        .stdout(predicate::str::contains("(a brand in your vault)"));
    let verified = json(&dir, &["verify", p(&counter), "--json"]);
    assert_eq!(verified["signer_is"]["is"], "brand", "{verified}");
    assert_eq!(verified["kind"], "TermsAgreement", "{verified}");
    vrm(&tmp.path().join("no-vault-here"))
        .args(["verify", p(&counter)])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "not known (there is no vault here",
        ));
    let accept = tmp.path().join("accept.json");
    vrm_ok(
        &dir,
        &[
            "brand-kit",
            "agree",
            p(&terms_file),
            "--identity",
            p(&brand.key),
            "--out",
            p(&accept),
        ],
    );
    vrm_ok(&dir, &["terms", "import", p(&accept)]);
    // Importing the same answer twice changes nothing.
    vrm(&dir)
        .args(["terms", "import", p(&accept)])
        .assert()
        .code(1);
    let status = json(&dir, &["terms", "status", "--json"]);
    assert_eq!(status[0]["latest"]["decision"], "accepted");
    assert_eq!(status[0]["history"].as_array().unwrap().len(), 2);
    assert_eq!(status[0]["history"][1]["decision"], "counter");
    assert_eq!(
        status[0]["history"][1]["changes"][0]["clause"],
        "retentionDays"
    );

    // An answer signed by a key that is not the brand's is refused.
    let stranger = brand_side(tmp.path(), "stranger");
    let forged = tmp.path().join("forged.json");
    vrm_ok(
        &dir,
        &[
            "brand-kit",
            "agree",
            p(&terms_file),
            "--identity",
            p(&stranger.key),
            "--out",
            p(&forged),
        ],
    );
    vrm(&dir)
        .args(["terms", "import", p(&forged)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not the did:key of any brand"));
}

#[test]
fn share_opens_with_age_and_brand_kit_then_revoke_and_acknowledge() {
    need_age();
    let (tmp, dir, brand, profile, _) = setup();
    let bundle = tmp.path().join("share.age");
    let share = vrm_ok(
        &dir,
        &[
            "share",
            "create",
            "--brand",
            "acme",
            "--record",
            &profile,
            "--fields",
            "email",
            "--purpose",
            "order delivery",
            "--expires",
            "30d",
            "--out",
            p(&bundle),
        ],
    );

    // The stock age command opens it with the brand's key file…
    let out = Std::new("age")
        .args(["-d", "-i", p(&brand.key), p(&bundle)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let grant: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(grant["type"][1], "ShareGrant");
    let records = &grant["credentialSubject"]["records"];
    assert_eq!(records[0]["fields"]["email"], "ana@example.org");
    assert!(
        records[0]["fields"].get("phone").is_none(),
        "only the chosen fields"
    );
    assert!(
        grant.to_string().find(&profile).is_none(),
        "the vault's record id stays home"
    );
    // …and what it decrypts to verifies.
    let grant_file = tmp.path().join("grant.json");
    std::fs::write(&grant_file, &out.stdout).unwrap();
    vrm(&dir)
        .args(["verify", p(&grant_file)])
        .assert()
        .success();
    // The brand kit opens and verifies it too.
    vrm(&dir)
        .args(["brand-kit", "open", p(&bundle), "--identity", p(&brand.key)])
        .assert()
        .success()
        .stdout(predicate::str::contains("ana@example.org"));

    // Exposure: the email is held by Acme.
    let exposure = json(&dir, &["exposure", "--json"]);
    assert_eq!(exposure[0]["item"], "email");
    assert_eq!(exposure[0]["holders"][0]["brand_name"], "Acme");

    // Revoke, the brand acknowledges, the share is closed.
    let revocation = tmp.path().join("revocation.json");
    vrm_ok(&dir, &["share", "revoke", &share, "--out", p(&revocation)]);
    let shown = json(&dir, &["share", "show", &share, "--json"]);
    assert_eq!(shown["status"], "revoked");
    let erase_by = shown["revocation"]["erase_by"]
        .as_str()
        .unwrap()
        .to_string();
    let ack = tmp.path().join("ack.json");
    vrm_ok(
        &dir,
        &[
            "brand-kit",
            "ack",
            p(&revocation),
            "--identity",
            p(&brand.key),
            "--out",
            p(&ack),
        ],
    );
    vrm_ok(&dir, &["share", "ack", p(&ack)]);
    let shown = json(&dir, &["share", "show", &share, "--json"]);
    assert_eq!(shown["status"], "erased");
    assert_eq!(shown["revocation"]["erase_by"], erase_by);
    assert_eq!(json(&dir, &["exposure", "--json"]), serde_json::json!([]));

    // Everything is in the activity log, which verifies.
    let log = json(&dir, &["audit", "list", "--json"]);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "terms-created",
        "share-created",
        "share-revoked",
        "erasure-acknowledged",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    vrm_ok(&dir, &["audit", "verify"]);
}

#[test]
fn exposure_revokes_every_share_of_one_item_at_once() {
    let (tmp, dir, brand, profile, _) = setup();
    let other = brand_side(tmp.path(), "shop");
    vrm_ok(
        &dir,
        &[
            "brand",
            "add",
            "Shop",
            "--age-recipient",
            &other.recipient,
            "--did",
            &other.did,
        ],
    );
    for b in ["acme", "shop"] {
        let out = tmp.path().join(format!("{b}.age"));
        vrm_ok(
            &dir,
            &[
                "share",
                "create",
                "--brand",
                b,
                "--record",
                &profile,
                "--purpose",
                "support",
                "--expires",
                "2030-01-01",
                "--out",
                p(&out),
            ],
        );
    }
    let exposure = json(&dir, &["exposure", "--json"]);
    let phone = exposure
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "phone")
        .unwrap();
    assert_eq!(phone["holders"].as_array().unwrap().len(), 2);
    let out_dir = tmp.path().join("revocations");
    std::fs::create_dir(&out_dir).unwrap();
    vrm_ok(
        &dir,
        &["exposure", "revoke", "phone", "--out-dir", p(&out_dir)],
    );
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 2);
    let shares = json(&dir, &["share", "list", "--json"]);
    assert!(
        shares
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "revoked")
    );
    let _ = brand;
}

#[test]
fn bad_bundles_and_documents_change_nothing() {
    let (tmp, dir, brand, _, _) = setup();
    let before = snapshot(&dir);
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, b"{\"not\": \"a credential\"}").unwrap();
    for args in [
        vec!["terms", "import", p(&junk)],
        vec!["share", "ack", p(&junk)],
    ] {
        vrm(&dir).args(&args).assert().code(1);
    }
    std::fs::write(&junk, b"age-encryption.org/v1\n-> X25519 garbage\n").unwrap();
    vrm(&dir)
        .args(["brand-kit", "open", p(&junk), "--identity", p(&brand.key)])
        .assert()
        .code(1);
    assert_eq!(before, snapshot(&dir), "nothing was written");
}

#[test]
fn rights_requests_track_their_statutory_clock() {
    let (tmp, dir, _, _, _) = setup();
    let letter = tmp.path().join("letter.txt");
    let doc = tmp.path().join("request.json");
    let id = vrm_ok(
        &dir,
        &[
            "rights",
            "request",
            "--brand",
            "acme",
            "--right",
            "gdpr-access",
            "--sent-on",
            "2026-01-31",
            "--letter",
            p(&letter),
            "--out",
            p(&doc),
        ],
    );
    let letter = std::fs::read_to_string(&letter).unwrap();
    assert!(letter.contains("Article 15"), "{letter}");
    assert!(letter.contains(&id));
    assert!(
        letter.contains("Ana Example"),
        "signed with the profile's name"
    );
    vrm(&dir)
        .args(["verify", p(&doc)])
        .assert()
        .success()
        .stdout(predicate::str::contains("DataRightsRequest"));

    let list = json(&dir, &["rights", "list", "--json"]);
    assert_eq!(
        list[0]["due"], "2026-02-28",
        "one month, clamped to the month's end"
    );
    assert_eq!(list[0]["overdue"], true);
    let follow_up = vrm_ok(&dir, &["rights", "letter", &id, "--follow-up"]);
    assert!(
        follow_up.contains("2026-02-28") || follow_up.contains("28 February 2026"),
        "{follow_up}"
    );

    vrm(&dir)
        .args(["rights", "update", &id, "--status", "denied"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("reason"));
    vrm_ok(&dir, &["rights", "update", &id, "--extended"]);
    assert_eq!(
        json(&dir, &["rights", "show", &id, "--json"])["due"],
        "2026-04-30"
    );
    vrm_ok(&dir, &["rights", "update", &id, "--status", "fulfilled"]);
    vrm(&dir)
        .args(["rights", "update", &id, "--status", "open"])
        .assert()
        .code(1);
    vrm_ok(&dir, &["audit", "verify"]);
}

/// The brand signs an acceptance of the latest terms; the vault imports it.
fn accept_latest_terms(dir: &Path, brand: &BrandSide, name: &str) {
    let folder = dir.parent().unwrap();
    let terms_file = folder.join(format!("terms-{name}.json"));
    vrm_ok(
        dir,
        &[
            "terms",
            "export",
            "latest",
            "--brand",
            name,
            "--out",
            p(&terms_file),
        ],
    );
    let accept = folder.join(format!("accept-{name}.json"));
    vrm_ok(
        dir,
        &[
            "brand-kit",
            "agree",
            p(&terms_file),
            "--identity",
            p(&brand.key),
            "--out",
            p(&accept),
        ],
    );
    vrm_ok(dir, &["terms", "import", p(&accept)]);
}

/// Log an inbound contact today; returns its record id.
fn log_contact(dir: &Path, brand: &str, channel: &str, purpose: &str) -> String {
    let today = chrono::Utc::now().date_naive().to_string();
    vrm_ok(
        dir,
        &[
            "contact",
            "log",
            "--brand",
            brand,
            "--channel",
            channel,
            "--purpose",
            purpose,
            "--summary",
            &format!("{purpose} by {channel}"),
            "--date",
            &today,
        ],
    )
}

#[test]
fn contact_rules_of_accepted_terms_are_checked() {
    // The terms: email only, at most 1 contact in 30 days, no marketing.
    let (tmp, dir, acme, _, _) = setup();
    let shop = brand_side(tmp.path(), "shop");
    vrm_ok(
        &dir,
        &[
            "brand",
            "add",
            "Shop",
            "--age-recipient",
            &shop.recipient,
            "--did",
            &shop.did,
        ],
    );
    // A brand that never answered the terms is not judged by them.
    vrm_ok(&dir, &["brand", "add", "Pushy"]);
    accept_latest_terms(&dir, &acme, "acme");
    accept_latest_terms(&dir, &shop, "shop");
    assert_eq!(
        json(&dir, &["contact", "violations", "--json"]),
        serde_json::json!([]),
        "no contacts, no violations"
    );

    // Within the rules: one email about support each.
    log_contact(&dir, "acme", "email", "support");
    log_contact(&dir, "shop", "email", "support");
    log_contact(&dir, "pushy", "call", "marketing");
    log_contact(&dir, "pushy", "letter", "marketing");
    assert_eq!(
        json(&dir, &["contact", "violations", "--json"]),
        serde_json::json!([]),
        "one email about support is within the rules; Pushy accepted nothing"
    );
    let out = vrm(&dir).args(["contact", "violations"]).output().unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No brand broke the contact rules"),
        "the empty text says so"
    );

    // Acme goes on. Same day, counted in the documented order: email before
    // letter, then support, billing, marketing.
    let billing = log_contact(&dir, "acme", "email", "billing");
    let marketing = log_contact(&dir, "acme", "email", "marketing");
    let letter = log_contact(&dir, "acme", "letter", "support");

    let v = json(&dir, &["contact", "violations", "--json"]);
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 1, "only Acme broke the rules: {v:?}");
    assert_eq!(v[0]["brand"]["name"], "Acme");
    assert_eq!(v[0]["terms_version"], 1);
    let found: Vec<(String, serde_json::Value)> = v[0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["record"].as_str().unwrap().to_string(), x["rule"].clone()))
        .collect();
    let too_many = |count: u32| serde_json::json!({"kind": "too-many", "count": count, "max": 1, "per_days": 30});
    assert_eq!(
        found,
        vec![
            (billing.clone(), too_many(2)),
            (marketing.clone(), too_many(3)),
            (
                marketing.clone(),
                serde_json::json!({"kind": "marketing-not-allowed", "purpose": "marketing"})
            ),
            (letter.clone(), too_many(4)),
            (
                letter.clone(),
                serde_json::json!({"kind": "channel-not-allowed", "channel": "letter"})
            ),
        ],
        "the first email is within the rules; every later contact is one too many, \
         and the marketing email and the letter each break one more rule"
    );

    // The text names the brand and each broken rule.
    let text = vrm_ok(&dir, &["contact", "violations"]);
    assert!(text.starts_with("Acme (terms v1, accepted "), "{text}");
    for part in [
        "contact number 2 within 30 days, but your terms allow at most 1",
        "a marketing contact, but your terms do not allow marketing",
        "contacted you by letter, a channel your terms do not allow",
    ] {
        assert!(text.contains(part), "{part:?} in:\n{text}");
    }
    assert_eq!(
        text.lines().count(),
        6,
        "a heading and five violations:\n{text}"
    );
    let today = chrono::Utc::now().date_naive().to_string();
    for line in text.lines().skip(1) {
        assert_eq!(
            line.matches(&today).count(),
            1,
            "each violation gives its day once: {line:?}"
        );
    }
    assert!(!text.contains("Shop") && !text.contains("Pushy"), "{text}");
}

#[test]
fn deleting_a_brand_removes_its_documents_but_the_log_keeps_that_it_happened() {
    let (tmp, dir, _, profile, _) = setup();
    let bundle = tmp.path().join("share.age");
    vrm_ok(
        &dir,
        &[
            "share",
            "create",
            "--brand",
            "acme",
            "--record",
            &profile,
            "--purpose",
            "delivery",
            "--expires",
            "7d",
            "--out",
            p(&bundle),
        ],
    );
    vrm_ok(&dir, &["brand", "delete", "acme", "--yes"]);
    assert_eq!(
        json(&dir, &["share", "list", "--json"]),
        serde_json::json!([])
    );
    let log = json(&dir, &["audit", "list", "--json"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "brand-deleted")
    );
    vrm_ok(&dir, &["audit", "verify"]);
    assert_nowhere(&dir, b"delivery", "the deleted share's purpose");
}

/// Run `vrm`, expect exit status 1 and a one-line message; return it.
fn vrm_fails(dir: &Path, args: &[&str]) -> String {
    let out = vrm(dir).args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "vrm {args:?} should fail with status 1; stderr: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "vrm {args:?} printed on stdout while failing"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "vrm {args:?}: the error should be one line, got {stderr:?}"
    );
    stderr.trim_end().to_string()
}

#[test]
fn terms_versions_are_made_listed_and_shown_through_the_command_line() {
    let (tmp, dir, _, _) = setup_without_terms();

    // No terms yet: an empty list, a hint on stderr, and nothing to show.
    let out = vrm(&dir).args(["terms", "list"]).output().unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "no versions, no lines");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("vrm terms new --template SD-BASE"),
        "the empty list says how to start"
    );
    assert_eq!(
        json(&dir, &["terms", "list", "--json"]),
        serde_json::json!([])
    );
    let err = vrm_fails(&dir, &["terms", "show"]);
    assert!(err.starts_with("vrm: no terms version"), "{err}");

    // Version 1 from a template, with a title and a changed clause.
    let v1 = vrm_ok(
        &dir,
        &[
            "terms",
            "new",
            "--template",
            "SD-BASE",
            "--title",
            "Ana's terms",
            "--set",
            "deletionOnRequestDays=14",
        ],
    );
    // Version 2 from version 1: a new title, one more change, and prose.
    let prose = tmp.path().join("prose.txt");
    std::fs::write(&prose, "No calls before 9.\nThank you.\n").unwrap();
    let out = vrm(&dir)
        .args([
            "terms",
            "new",
            "--from",
            "latest",
            "--title",
            "Ana's terms, kept longer",
            "--set",
            "retentionDays=60",
            "--prose-file",
            p(&prose),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Made terms version 2."),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v2 = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_ne!(v1, v2, "a new version has a new id");

    // The list, as text: one line per version, oldest first.
    let list = vrm_ok(&dir, &["terms", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    let today = chrono::Utc::now().date_naive().to_string();
    for (line, id, number, title) in [
        (lines[0], &v1, "v1", "Ana's terms"),
        (lines[1], &v2, "v2", "Ana's terms, kept longer"),
    ] {
        assert!(
            line.starts_with(&id[..8]),
            "{line} starts with {id}'s prefix"
        );
        for part in [number, &today, "SD-BASE", title] {
            assert!(line.contains(part), "{line:?} should show {part:?}");
        }
        assert!(line.ends_with(title), "{line:?} ends with the title");
    }

    // As JSON: --from kept version 1's clauses and changed only what was set.
    let list = json(&dir, &["terms", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], v1.as_str());
    assert_eq!(list[1]["id"], v2.as_str());
    assert_eq!(list[1]["number"], 2);
    assert_eq!(list[1]["template"], "SD-BASE", "the template of --from");
    assert_eq!(list[1]["title"], "Ana's terms, kept longer");
    let (c1, c2) = (&list[0]["clauses"], &list[1]["clauses"]);
    assert_eq!(
        c2["deletion_on_request_days"], 14,
        "carried over from version 1"
    );
    assert_eq!(c1["retention_days"], 30, "version 1 is unchanged");
    assert_eq!(c2["retention_days"], 60);
    assert_eq!(c2["prose"], "No calls before 9.\nThank you.\n");
    assert!(c1.get("prose").is_none(), "version 1 has no prose");

    // Shown as text: the latest by default, with the prose in it.
    let latest = vrm_ok(&dir, &["terms", "show"]);
    for part in [
        "Ana's terms, kept longer",
        "no longer than 60 days",
        "within 14 days",
        "In my own words",
        "No calls before 9.\nThank you.",
    ] {
        assert!(
            latest.contains(part),
            "the text should contain {part:?}:\n{latest}"
        );
    }
    for key in ["2", "v2", "latest", v2.as_str(), &v2[..8]] {
        assert_eq!(
            vrm_ok(&dir, &["terms", "show", key]),
            latest,
            "`terms show {key}` is version 2"
        );
    }
    let first = vrm_ok(&dir, &["terms", "show", "1"]);
    assert_eq!(vrm_ok(&dir, &["terms", "show", &v1]), first);
    assert!(first.contains("no longer than 30 days"), "{first}");
    assert!(
        !first.contains("In my own words") && !first.contains("No calls before 9."),
        "version 1 has no prose:\n{first}"
    );
    // As JSON: the whole version, whose text is the text shown.
    let shown = json(&dir, &["terms", "show", "1", "--json"]);
    assert_eq!(shown, list[0], "the same version as in the list");
    assert_eq!(shown["text"].as_str().unwrap().trim_end(), first);

    // Without --title, --from keeps the title (and the prose).
    vrm_ok(
        &dir,
        &["terms", "new", "--from", "2", "--set", "retentionDays=90"],
    );
    let v3 = json(&dir, &["terms", "show", "3", "--json"]);
    assert_eq!(v3["title"], "Ana's terms, kept longer");
    assert_eq!(v3["clauses"]["prose"], "No calls before 9.\nThank you.\n");
    assert_eq!(v3["clauses"]["retention_days"], 90);

    // A version that does not exist: status 1, one line, nothing made.
    for key in ["9", "v9", "0123456789abcdef", "no-such-version"] {
        let err = vrm_fails(&dir, &["terms", "show", key]);
        assert_eq!(err, format!("vrm: no terms version {key}"));
        vrm_fails(&dir, &["terms", "show", key, "--json"]);
    }
    let err = vrm_fails(&dir, &["terms", "new", "--from", "9", "--title", "x"]);
    assert_eq!(err, "vrm: no terms version 9");
    let err = vrm_fails(
        &dir,
        &[
            "terms",
            "new",
            "--from",
            "1",
            "--prose-file",
            p(&tmp.path().join("missing.txt")),
        ],
    );
    assert!(err.contains("missing.txt"), "names the file: {err}");
    assert_eq!(
        json(&dir, &["terms", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3,
        "failed attempts made no version"
    );
    // Neither a template nor a version to start from: a usage error.
    vrm(&dir).args(["terms", "new"]).assert().code(2);
}

fn time(v: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("{v} is no time")))
        .unwrap()
        .to_utc()
}

/// Share the profile with Acme until `expires`; returns the share id.
fn share_profile(dir: &Path, profile: &str, expires: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "share",
        "create",
        "--brand",
        "acme",
        "--record",
        profile,
        "--purpose",
        "delivery",
        "--expires",
        expires,
        "--out",
        p(out),
    ];
    args.extend_from_slice(extra);
    vrm_ok(dir, &args)
}

/// Revoke a share; check that the revocation shown, listed and sent to the
/// brand all demand erasure `days` days after it; return the share as shown.
fn revoke_and_check_deadline(dir: &Path, share: &str, out: &Path, days: i64) -> serde_json::Value {
    vrm_ok(dir, &["share", "revoke", share, "--out", p(out)]);
    let shown = json(dir, &["share", "show", share, "--json"]);
    assert_eq!(shown["status"], "revoked");
    assert_eq!(shown["erasure_days"], days, "{shown}");
    let r = &shown["revocation"];
    let (at, erase_by) = (time(&r["at"]), time(&r["erase_by"]));
    assert_eq!(
        erase_by - at,
        chrono::Duration::days(days),
        "erasure demanded {days} days after the revocation: {r}"
    );
    let age = chrono::Utc::now() - at;
    assert!(
        age >= chrono::Duration::zero() && age < chrono::Duration::minutes(5),
        "revoked just now, not at {at}"
    );
    // The list says the same, in JSON and in text.
    let list = json(dir, &["share", "list", "--json"]);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["share"]["id"] == share)
        .unwrap_or_else(|| panic!("share {share} in {list}"));
    assert_eq!(listed["status"], "revoked");
    assert_eq!(listed["share"]["revocation"], *r);
    let text = vrm_ok(dir, &["share", "list"]);
    let line = text
        .lines()
        .find(|l| l.starts_with(&share[..8]))
        .unwrap_or_else(|| panic!("share {share} in {text}"));
    let day = erase_by.format("%Y-%m-%d").to_string();
    assert!(line.contains(&format!("erase by {day}")), "{line}");
    // And so does the signed revocation the brand gets.
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(doc["type"][1], "ShareRevocation");
    assert_eq!(time(&doc["credentialSubject"]["eraseBy"]), erase_by);
    shown
}

#[test]
fn a_revocation_demands_erasure_within_the_deletion_days_of_the_shares_terms() {
    let (tmp, dir, _, profile, v1) = setup();
    let first = share_profile(&dir, &profile, "30d", &tmp.path().join("1.age"), &[]);
    // A later version with a shorter deadline; the first share stays under
    // version 1, a new share is under the latest.
    vrm_ok(
        &dir,
        &[
            "terms",
            "new",
            "--from",
            "1",
            "--set",
            "deletionOnRequestDays=7",
        ],
    );
    let second = share_profile(&dir, &profile, "30d", &tmp.path().join("2.age"), &[]);
    let pinned = share_profile(
        &dir,
        &profile,
        "30d",
        &tmp.path().join("3.age"),
        &["--terms", "1"],
    );
    // The grant tells the brand the deadline from the start.
    let grant = json(&dir, &["share", "open", p(&tmp.path().join("1.age"))]);
    assert_eq!(grant["credentialSubject"]["eraseWithinDays"], 14);

    let shown = revoke_and_check_deadline(&dir, &first, &tmp.path().join("r1.json"), 14);
    assert_eq!(shown["terms"]["version"], v1.as_str());
    revoke_and_check_deadline(&dir, &second, &tmp.path().join("r2.json"), 7);
    revoke_and_check_deadline(&dir, &pinned, &tmp.path().join("r3.json"), 14);
}

#[test]
fn a_share_without_terms_demands_erasure_within_the_default_thirty_days() {
    let (tmp, dir, _, profile) = setup_without_terms();
    let bundle = tmp.path().join("share.age");
    let share = share_profile(&dir, &profile, "30d", &bundle, &[]);
    let grant = json(&dir, &["share", "open", p(&bundle)]);
    assert_eq!(
        grant["credentialSubject"]["eraseWithinDays"], 30,
        "vrm_vault::share::DEFAULT_ERASURE_DAYS"
    );
    assert!(grant["credentialSubject"].get("terms").is_none());
    let revocation = tmp.path().join("revocation.json");
    let shown = revoke_and_check_deadline(&dir, &share, &revocation, 30);
    assert!(shown["terms"].is_null(), "{shown}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&revocation).unwrap()).unwrap();
    assert!(doc["credentialSubject"].get("terms").is_none());
}

#[test]
fn a_share_runs_out_by_itself_and_then_counts_in_no_exposure() {
    let (tmp, dir, _, profile, _) = setup();
    let ends = chrono::Utc::now() + chrono::Duration::seconds(3);
    let ends_text = ends.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let share = share_profile(
        &dir,
        &profile,
        &ends_text,
        &tmp.path().join("share.age"),
        &[],
    );
    let shown = json(&dir, &["share", "show", &share, "--json"]);
    let ends = time(&shown["expires_at"]);
    assert_eq!(shown["status"], "live", "before {ends}");
    assert_eq!(
        json(&dir, &["exposure", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3,
        "email, name and phone are held until {ends}"
    );

    // Wait past the end date (the expiry is kept to the second).
    while chrono::Utc::now() <= ends {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let shown = json(&dir, &["share", "show", &share, "--json"]);
    assert_eq!(shown["status"], "expired", "after {ends}");
    assert!(shown["revocation"].is_null(), "nothing was revoked");
    assert_eq!(
        json(&dir, &["share", "list", "--json"])[0]["status"],
        "expired"
    );
    assert_eq!(
        json(&dir, &["exposure", "--json"]),
        serde_json::json!([]),
        "an expired share holds nothing"
    );
    let out_dir = tmp.path().join("revocations");
    std::fs::create_dir(&out_dir).unwrap();
    let err = vrm_fails(
        &dir,
        &["exposure", "revoke", "email", "--out-dir", p(&out_dir)],
    );
    assert_eq!(err, "vrm: no live share holds email");
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0);
}

#[test]
fn marketing_mail_brought_in_from_email_counts_against_accepted_contact_rules() {
    // Acme accepted: at most 1 contact in 30 days. It mailed 3 newsletters
    // (dated today, so after the acceptance); discovered and accepted, they
    // are contacts, and the rules flag the 2nd and 3rd with the records as
    // evidence. Ana's address comes from her profile record: no --me.
    let (tmp, dir, acme, _, _) = setup();
    accept_latest_terms(&dir, &acme, "acme");
    let today = chrono::Utc::now()
        .format("%a, %d %b %Y 00:00:0")
        .to_string();
    let mails: Vec<Vec<u8>> = (1..=3)
        .map(|i| {
            crate::mail_corpus::Mail::new(
                "Acme <news@mail.acme.example>",
                "ana@example.org",
                &format!("Newsletter {i}"),
                &format!("{today}{i} +0000"),
                &format!("n{i}@mail.acme.example"),
            )
            .header("List-Unsubscribe", "<mailto:leave@acme.example>")
            .text("Offers!")
            .bytes()
        })
        .collect();
    let mbox = tmp.path().join("acme.mbox");
    std::fs::write(&mbox, crate::mail_corpus::mbox(&mails)).unwrap();
    vrm_ok(&dir, &["discover", "mbox", p(&mbox)]);
    let list = json(&dir, &["discover", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        list[0]["existing_brand"].is_string(),
        "matched to Acme by name: {list}"
    );
    assert_eq!(list[0]["holds"], serde_json::json!(["ana@example.org"]));
    vrm_ok(&dir, &["discover", "accept", "--all"]);
    let v = json(&dir, &["contact", "violations", "--json"]);
    let v = v.as_array().unwrap();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["brand"]["name"], "Acme");
    let violations = v[0]["violations"].as_array().unwrap();
    assert!(violations.len() >= 2, "{violations:?}");
    for x in violations {
        let record = x["record"].as_str().expect("the evidence is the record");
        let shown = vrm_ok(&dir, &["record", "show", record]);
        assert!(shown.contains("Newsletter"), "{shown}");
    }
}
