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

/// A vault with a brand that has keys, a profile record and terms.
fn setup() -> (tempfile::TempDir, PathBuf, BrandSide, String, String) {
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

#[test]
fn contact_rules_of_accepted_terms_are_checked() {
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
    assert_eq!(
        json(&dir, &["contact", "violations", "--json"]),
        serde_json::json!([])
    );
    let today = chrono::Utc::now().date_naive().to_string();
    vrm_ok(
        &dir,
        &[
            "contact",
            "log",
            "--brand",
            "acme",
            "--channel",
            "email",
            "--purpose",
            "support",
            "--summary",
            "ticket answered",
            "--date",
            &today,
        ],
    );
    vrm_ok(
        &dir,
        &[
            "contact",
            "log",
            "--brand",
            "acme",
            "--channel",
            "call",
            "--purpose",
            "marketing",
            "--summary",
            "upsell call",
            "--date",
            &today,
        ],
    );
    let v = json(&dir, &["contact", "violations", "--json"]);
    assert_eq!(v[0]["brand"]["name"], "Acme");
    let kinds = v[0]["violations"].to_string();
    assert!(
        kinds.contains("marketing") || kinds.contains("Marketing"),
        "{kinds}"
    );
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
