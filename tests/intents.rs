//! Intentcasting across processes: the person's `vrm` sends an intent to a
//! brand's `vrm brand-kit serve` on loopback, the brand signs an offer, the
//! person imports, verifies and accepts it; tampered, expired, replayed and
//! wrongly-signed documents are refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Std, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use predicates::prelude::*;
use serde_json::{Value, json};
use vrm_vault::brandkit::{self, BrandKey};
use vrm_vault::crypto::did::SigningKey;
use vrm_vault::intent::{self, Delivery, DeliveryStatus, Intent, IntentInput, IntentStatus};
use vrm_vault::{BrandInput, proof};

use crate::util::*;

/// A running `vrm brand-kit serve`, stopped on drop.
struct Intake {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Intake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn intake(dir: &Path) -> Intake {
    intake_with(dir, &[])
}

fn intake_with(dir: &Path, more: &[&str]) -> Intake {
    let bin = assert_cmd::cargo::cargo_bin("vrm");
    let mut child = Std::new(bin)
        .args(["brand-kit", "serve", "--addr", "127.0.0.1:0"])
        .args(more)
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line:?}");
    Intake {
        child,
        url: line.trim().to_string(),
        dir: dir.to_path_buf(),
    }
}

fn post(url: &str, body: &[u8]) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

struct Brand {
    key: PathBuf,
    did: String,
}

fn brand_with_inbox(tmp: &Path, dir: &Path, name: &str, inbox: &str) -> Brand {
    let key = tmp.join(format!("{name}.key"));
    let out = vrm_ok(dir, &["brand-kit", "keygen", "--out", p(&key)]);
    let did = out.lines().next().unwrap().to_string();
    vrm_ok(
        dir,
        &["brand", "add", name, "--did", &did, "--inbox", inbox],
    );
    Brand { key, did }
}

fn stored_intents(intake: &Intake) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(intake.dir.join("intents"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn the_whole_exchange_across_processes() {
    let (tmp, dir, _) = cli_vault();
    let brand_dir = tmp.path().join("brand-intake");
    let intake = intake(&brand_dir);
    let acme = brand_with_inbox(tmp.path(), &dir, "Acme Lunch", &intake.url);
    vrm_ok(&dir, &["terms", "new", "--template", "PDC-INTENT"]);
    let id = vrm_ok(
        &dir,
        &[
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
            "eur",
            "--location",
            "Lyon 2e",
            "--expires",
            "7d",
            "--brand",
            "acme",
        ],
    );
    // A proxy in the environment is not used silently (issue 13, 5): this
    // one does not exist, and the intent still reaches the intake.
    vrm(&dir)
        .env("http_proxy", "http://127.0.0.1:9")
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .args(["intent", "send", &id])
        .assert()
        .success();
    let stored = stored_intents(&intake);
    assert_eq!(stored.len(), 1, "the intake stored the intent");
    let intent: Value = serde_json::from_slice(&std::fs::read(&stored[0]).unwrap()).unwrap();
    assert_eq!(intent["type"][1], "IntentRequest");
    assert_eq!(intent["credentialSubject"]["budget"]["currency"], "EUR");
    assert_eq!(
        intent["credentialSubject"]["terms"]["template"],
        "PDC-INTENT"
    );
    let shown =
        serde_json::from_str::<Value>(&vrm_ok(&dir, &["intent", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["deliveries"][0]["status"], "sent");
    // A fresh identity: not the person's key for Acme (if there is one) nor
    // that of another intent.
    let second = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "bike",
            "--description",
            "city bike",
            "--expires",
            "3d",
            "--brand",
            "acme",
        ],
    );
    let second =
        serde_json::from_str::<Value>(&vrm_ok(&dir, &["intent", "show", &second, "--json"]))
            .unwrap();
    assert_ne!(shown["did"], second["did"]);

    // The brand answers, encrypted to the intent's reply-to recipient.
    let offer = tmp.path().join("offer.age");
    vrm_ok(
        &dir,
        &[
            "brand-kit",
            "offer",
            p(&stored[0]),
            "--identity",
            p(&acme.key),
            "--price",
            "24.50",
            "--currency",
            "EUR",
            "--description",
            "two set menus",
            "--encrypt",
            "--out",
            p(&offer),
        ],
    );
    assert!(
        std::fs::read(&offer)
            .unwrap()
            .starts_with(b"age-encryption.org/v1")
    );
    let cheaper = tmp.path().join("cheaper.json");
    vrm_ok(
        &dir,
        &[
            "brand-kit",
            "offer",
            p(&stored[0]),
            "--identity",
            p(&acme.key),
            "--price",
            "19",
            "--currency",
            "EUR",
            "--out",
            p(&cheaper),
        ],
    );
    vrm_ok(&dir, &["offer", "import", p(&offer)]);
    vrm_ok(&dir, &["offer", "import", p(&cheaper)]);
    let offers: Value =
        serde_json::from_str(&vrm_ok(&dir, &["offer", "list", "--intent", &id, "--json"])).unwrap();
    assert_eq!(offers[0]["offer"]["price"], "19", "cheapest first");
    assert_eq!(offers[1]["offer"]["price"], "24.50");
    assert_eq!(offers[0]["verified"], true);
    assert_eq!(offers[0]["brand_name"], "Acme Lunch");
    let list: Value = serde_json::from_str(&vrm_ok(&dir, &["intent", "list", "--json"])).unwrap();
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["intent"]["id"] == id.as_str())
        .unwrap();
    assert_eq!(mine["status"], "has-offers");

    // Replayed: the same offer twice is refused.
    vrm(&dir)
        .args(["offer", "import", p(&cheaper)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("imported already"));

    // Accept the cheaper one: a signed acceptance for the brand.
    let offer_id = offers[0]["offer"]["id"].as_str().unwrap().to_string();
    let acceptance = tmp.path().join("acceptance.json");
    vrm_ok(
        &dir,
        &["offer", "accept", &offer_id, "--out", p(&acceptance)],
    );
    vrm(&dir)
        .args(["verify", p(&acceptance)])
        .assert()
        .success()
        .stdout(predicate::str::contains("OfferAcceptance"));
    let list: Value = serde_json::from_str(&vrm_ok(&dir, &["intent", "list", "--json"])).unwrap();
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["intent"]["id"] == id.as_str())
        .unwrap();
    assert_eq!(mine["status"], "accepted");
    // Once accepted, no further offer is taken.
    vrm(&dir)
        .args([
            "offer",
            "accept",
            offers[1]["offer"]["id"].as_str().unwrap(),
            "--out",
            p(&tmp.path().join("x.json")),
        ])
        .assert()
        .code(1);

    let log: Value = serde_json::from_str(&vrm_ok(&dir, &["audit", "list", "--json"])).unwrap();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "intent-created",
        "intent-sent",
        "offer-imported",
        "offer-accepted",
    ] {
        assert!(actions.contains(&a), "{a}");
    }
    let _ = acme.did;
}

#[test]
fn the_intake_refuses_tampered_expired_replayed_and_wrongly_signed_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let intake = intake(&tmp.path().join("intake"));
    let key = SigningKey::generate().unwrap();
    let now = Utc::now();
    let intent_id = uuid::Uuid::new_v4();
    let subject = json!({ "intentId": format!("urn:uuid:{intent_id}"), "category": "lunch", "description": "x" });
    let good = proof::issue_credential(
        "IntentRequest",
        &key,
        intent_id,
        now,
        Some(now + Duration::days(1)),
        subject.clone(),
    )
    .unwrap();
    let good_bytes = serde_json::to_vec(&good).unwrap();

    // Tampered: a changed value breaks the signature.
    let mut tampered = good.clone();
    tampered["credentialSubject"]["description"] = json!("y");
    let (status, body) = post(&intake.url, &serde_json::to_vec(&tampered).unwrap());
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "document.bad_signature");

    // Expired.
    let old_id = uuid::Uuid::new_v4();
    let old = proof::issue_credential(
        "IntentRequest", &key, old_id, now - Duration::days(3), Some(now - Duration::days(1)),
        json!({ "intentId": format!("urn:uuid:{old_id}"), "category": "lunch", "description": "x" }),
    ).unwrap();
    assert_eq!(post(&intake.url, &serde_json::to_vec(&old).unwrap()).0, 410);

    // Junk, and the wrong method or path.
    assert_eq!(post(&intake.url, b"not json").0, 400);
    assert_eq!(
        post(&format!("{}elsewhere", intake.url), &good_bytes).0,
        404
    );
    assert!(stored_intents(&intake).is_empty(), "nothing bad was stored");

    // Good, then the same again: a replay, 409 with the held document's
    // digest.
    let (status, body) = post(&intake.url, &good_bytes);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["digest"], brandkit::document_digest(&good_bytes));
    let (status, body) = post(&intake.url, &good_bytes);
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["digest"], brandkit::document_digest(&good_bytes));
    assert_eq!(stored_intents(&intake).len(), 1);

    // Another key's document with the same id (a brand that saw the intent,
    // posting first under its id): not a replay, never 409.
    let squatter = proof::issue_credential(
        "IntentRequest",
        &SigningKey::generate().unwrap(),
        intent_id,
        now,
        Some(now + Duration::days(1)),
        subject.clone(),
    )
    .unwrap();
    let (status, body) = post(&intake.url, &serde_json::to_vec(&squatter).unwrap());
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "intake.id_taken");
    assert!(body.get("digest").is_none(), "{body}");

    // A withdrawal signed by another key is refused; by the intent's key, stored.
    let other = SigningKey::generate().unwrap();
    let withdrawal = |k: &SigningKey| {
        serde_json::to_vec(
            &proof::issue_credential(
                "IntentWithdrawal",
                k,
                uuid::Uuid::new_v4(),
                Utc::now(),
                None,
                json!({ "intentId": format!("urn:uuid:{intent_id}") }),
            )
            .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(post(&intake.url, &withdrawal(&other)).0, 422);
    assert_eq!(post(&intake.url, &withdrawal(&key)).0, 201);
}

#[test]
fn offers_that_are_tampered_expired_unknown_or_not_for_us_are_refused_or_flagged() {
    let (tmp, dir, _) = cli_vault();
    let brand_dir = tmp.path().join("intake");
    let intake = intake(&brand_dir);
    let acme = brand_with_inbox(tmp.path(), &dir, "Acme", &intake.url);
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "tyres",
            "--description",
            "four winter tyres",
            "--expires",
            "5d",
            "--brand",
            "acme",
        ],
    );
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    vrm_ok(
        &dir,
        &["intent", "send", &id, "--out", p(&out), "--no-http"],
    );
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "a file per brand");
    assert!(
        stored_intents(&intake).is_empty(),
        "--no-http posts nothing"
    );
    let intent_file = &files[0];

    let offer = |key: &Path, name: &str, extra: &[&str]| {
        let f = tmp.path().join(name);
        let mut args = vec![
            "brand-kit",
            "offer",
            p(intent_file),
            "--identity",
            p(key),
            "--price",
            "300",
            "--currency",
            "EUR",
            "--out",
            p(&f),
        ];
        args.extend_from_slice(extra);
        vrm_ok(&dir, &args);
        f
    };
    // Tampered.
    let good = offer(&acme.key, "good.json", &[]);
    let text = std::fs::read_to_string(&good).unwrap();
    let tampered = tmp.path().join("tampered.json");
    std::fs::write(&tampered, text.replace("\"300\"", "\"3\"")).unwrap();
    vrm(&dir)
        .args(["offer", "import", p(&tampered)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("signature"));
    // Signed by a key that is no known brand: kept, shown unverified, not acceptable.
    let stranger = tmp.path().join("stranger.key");
    vrm_ok(&dir, &["brand-kit", "keygen", "--out", p(&stranger)]);
    let unknown = offer(&stranger, "unknown.json", &[]);
    vrm(&dir)
        .args(["offer", "import", p(&unknown)])
        .assert()
        .success()
        .stderr(predicate::str::contains("UNVERIFIED"));
    let offers: Value = serde_json::from_str(&vrm_ok(&dir, &["offer", "list", "--json"])).unwrap();
    assert_eq!(offers[0]["verified"], false);
    vrm(&dir)
        .args([
            "offer",
            "accept",
            offers[0]["offer"]["id"].as_str().unwrap(),
            "--out",
            p(&tmp.path().join("a.json")),
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not the did:key of any brand"));
    // An offer for someone else's intent.
    let key = SigningKey::generate().unwrap();
    let foreign_id = uuid::Uuid::new_v4();
    let foreign_intent = proof::issue_credential(
        "IntentRequest", &key, foreign_id, Utc::now(), Some(Utc::now() + Duration::days(1)),
        json!({ "intentId": format!("urn:uuid:{foreign_id}"), "category": "x", "description": "y" }),
    ).unwrap();
    let foreign_file = tmp.path().join("foreign-intent.json");
    std::fs::write(&foreign_file, serde_json::to_vec(&foreign_intent).unwrap()).unwrap();
    let foreign_offer = tmp.path().join("foreign-offer.json");
    vrm_ok(
        &dir,
        &[
            "brand-kit",
            "offer",
            p(&foreign_file),
            "--identity",
            p(&acme.key),
            "--price",
            "1",
            "--currency",
            "EUR",
            "--out",
            p(&foreign_offer),
        ],
    );
    vrm(&dir)
        .args(["offer", "import", p(&foreign_offer)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not yours"));

    // Withdrawn: told to the brands it reached (a file here), and no more offers.
    let wdir = tmp.path().join("withdrawals");
    std::fs::create_dir(&wdir).unwrap();
    vrm_ok(
        &dir,
        &["intent", "withdraw", &id, "--out", p(&wdir), "--no-http"],
    );
    assert_eq!(std::fs::read_dir(&wdir).unwrap().count(), 1);
    vrm(&dir)
        .args(["offer", "import", p(&good)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("withdrawn"));
}

#[test]
fn a_delivery_that_cannot_reach_the_inbox_is_recorded_as_failed() {
    let (_tmp, dir, _) = cli_vault();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    vrm_ok(
        &dir,
        &[
            "brand",
            "add",
            "Gone",
            "--inbox",
            &format!("http://127.0.0.1:{port}/"),
        ],
    );
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "x",
            "--description",
            "y",
            "--expires",
            "1d",
            "--brand",
            "gone",
        ],
    );
    vrm(&dir)
        .args(["intent", "send", &id])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("failed"));
    let shown: Value =
        serde_json::from_str(&vrm_ok(&dir, &["intent", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["deliveries"][0]["status"], "failed");
    assert!(
        shown["deliveries"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot reach")
    );
}

#[test]
fn delivery_needs_no_vault_and_a_second_send_does_not_post_again() {
    let (tmp, dir, _) = cli_vault();
    let brand_dir = tmp.path().join("brand-intake");
    let intake = intake(&brand_dir);
    brand_with_inbox(tmp.path(), &dir, "Acme", &intake.url);
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "bicycle",
            "--description",
            "a city bike",
            "--expires",
            "7d",
            "--brand",
            "acme",
        ],
    );

    // What the app does: take the outbox, let go of the vault (it may lock
    // while the network is slow), deliver, then record with the vault again.
    let outbox = reopen(&dir).intents().prepare_send(&id).unwrap();
    let round = outbox.deliver(None, true).unwrap();
    assert_eq!(round.len(), 1);
    assert_eq!(round[0].status, vrm_vault::intent::DeliveryStatus::Sent);
    reopen(&dir)
        .intents()
        .record_deliveries(&outbox, round)
        .unwrap();
    assert_eq!(stored_intents(&intake).len(), 1);

    // Sending again posts nothing (the intake would refuse it as a replay)
    // and is not a failure.
    let out = vrm_ok(&dir, &["intent", "send", &id]);
    assert!(out.contains("not posted again"), "{out}");
    assert_eq!(stored_intents(&intake).len(), 1);
    let shown: Value =
        serde_json::from_str(&vrm_ok(&dir, &["intent", "show", &id, "--json"])).unwrap();
    let deliveries = shown["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d["status"] == "sent"), "{shown}");
}

// ---- verification of offers: only the brands the intent was sent to ------

/// An intent from the World's person to Acme only, delivered as a file.
fn intent_for_acme(w: &mut World) -> Intent {
    let intent = w
        .vault
        .intents()
        .create(&IntentInput {
            category: "lunch".into(),
            description: "vegetarian lunch for two".into(),
            expires_at: Utc::now() + Duration::days(7),
            brands: vec![w.brand.clone()],
            ..Default::default()
        })
        .unwrap();
    let out = w.tmp.path().join(format!("out-{}", &intent.id[..8]));
    std::fs::create_dir(&out).unwrap();
    w.vault
        .intents()
        .send(&intent.id, Some(&out), false)
        .unwrap();
    intent
}

fn offer_bytes(intent: &Intent, key: &SigningKey, price: &str) -> Vec<u8> {
    let (offer, _) = intent::make_offer(
        intent.document.as_bytes(),
        key,
        price,
        "EUR",
        None,
        None,
        Utc::now(),
    )
    .unwrap();
    serde_json::to_vec(&offer).unwrap()
}

#[test]
fn an_offer_from_a_known_brand_the_intent_was_not_sent_to_is_kept_unverified_with_the_reason() {
    let mut w = world();
    let beta = BrandKey::generate().unwrap();
    w.vault
        .add_brand(&BrandInput {
            name: Some("Beta Bistro".into()),
            did: Some(beta.signing.did()),
            ..Default::default()
        })
        .unwrap();
    let intent = intent_for_acme(&mut w);

    // Beta is a brand the person knows, with its real did:key, but the
    // intent never went to it (it may have been passed on).
    let from_beta = w
        .vault
        .intents()
        .import_offer(&offer_bytes(&intent, &beta.signing, "18"))
        .expect("an offer from a brand not asked is kept, not refused");
    assert!(
        !from_beta.verified,
        "an offer signed by a brand the intent was not sent to must not be verified"
    );
    assert_eq!(
        from_beta.offer.brand, None,
        "it is not tied to Beta as its brand"
    );
    let why = from_beta.unverified_reason.clone().unwrap_or_default();
    assert!(
        why.contains("Beta Bistro") && why.contains("not sent to"),
        "the reason says which brand signed it and that it was not asked: {why:?}"
    );

    // Acme, which it was sent to: verified.
    let from_acme = w
        .vault
        .intents()
        .import_offer(&offer_bytes(&intent, &w.key.signing, "20"))
        .unwrap();
    assert!(
        from_acme.verified,
        "Acme was sent the intent: its offer is verified"
    );
    assert_eq!(from_acme.unverified_reason, None);
    assert_eq!(from_acme.brand_name.as_deref(), Some("Acme"));

    // The list says the same, and the unverified one cannot be accepted.
    let list = w.vault.intents().offers(Some(&intent.id)).unwrap();
    let listed = list
        .iter()
        .find(|v| v.offer.id == from_beta.offer.id)
        .unwrap();
    assert!(!listed.verified, "listed as unverified too");
    assert_eq!(listed.unverified_reason.as_deref(), Some(why.as_str()));
    let err = w
        .vault
        .intents()
        .accept_offer(&from_beta.offer.id)
        .unwrap_err();
    assert_eq!(err.code(), "document.unknown_signer");
    assert!(
        err.to_string().contains("not sent to"),
        "accepting says why it is refused: {err}"
    );
    w.vault.intents().accept_offer(&from_acme.offer.id).unwrap();
}

/// Moved from the app's offer cards: the core says which offer is the
/// cheapest in its currency, by how much each other costs more, and which
/// may be accepted or declined.
#[test]
fn offers_are_compared_within_their_currency_and_say_what_may_be_done_with_them() {
    let mut w = world();
    let intent = intent_for_acme(&mut w);
    let stranger = BrandKey::generate().unwrap();
    let offer = |key: &SigningKey, price: &str, currency: &str| {
        let (offer, _) = intent::make_offer(
            intent.document.as_bytes(),
            key,
            price,
            currency,
            None,
            None,
            Utc::now(),
        )
        .unwrap();
        serde_json::to_vec(&offer).unwrap()
    };
    let mut import = |bytes: Vec<u8>| w.vault.intents().import_offer(&bytes).unwrap();
    let acme = &w.key.signing;
    let (usd, eur26, eur30) = (
        offer(acme, "25", "USD"),
        offer(acme, "26", "EUR"),
        offer(acme, "30.0001", "EUR"),
    );
    let only = import(usd);
    assert!(only.cheapest && only.above_cheapest.is_zero() && only.can_accept);
    import(eur26);
    import(eur30);
    let unverified = import(offer(&stranger.signing, "24.5", "EUR"));
    assert!(!unverified.verified && !unverified.can_accept && unverified.can_decline);

    // The core's order: by currency, then cheapest first.
    let list = w.vault.intents().offers(Some(&intent.id)).unwrap();
    let shown: Vec<(String, &str, bool, String, bool, bool)> = list
        .iter()
        .map(|v| {
            (
                v.offer.price.to_string(),
                v.offer.currency.as_str(),
                v.cheapest,
                v.above_cheapest.to_string(),
                v.can_accept,
                v.can_decline,
            )
        })
        .collect();
    let row = |p: &str, c, cheapest, above: &str, accept| {
        (p.to_string(), c, cheapest, above.to_string(), accept, true)
    };
    assert_eq!(
        shown,
        [
            row("24.5", "EUR", true, "0.0", false),
            row("26", "EUR", false, "1.5", true),
            row("30.0001", "EUR", false, "5.5001", true),
            row("25", "USD", true, "0", true),
        ]
    );

    // Once one is accepted, the intent takes no more: the others may only
    // be declined, the accepted one neither.
    let accepted = list[1].offer.id.clone();
    w.vault.intents().accept_offer(&accepted).unwrap();
    let list = w.vault.intents().offers(Some(&intent.id)).unwrap();
    assert!(list.iter().all(|v| !v.can_accept));
    assert_eq!(
        list.iter().map(|v| v.can_decline).collect::<Vec<_>>(),
        [true, false, true, true]
    );
    let view = w.vault.intents().list().unwrap();
    let view = view.iter().find(|v| v.intent.id == intent.id).unwrap();
    assert_eq!(view.status, IntentStatus::Accepted);
    assert!(!view.is_live && !view.can_resend && view.can_withdraw);
}

// ---- delivery over HTTP: retries, refusals, and what the inbox holds ------

/// A loopback inbox answering the scripted statuses in turn (then 599),
/// one request per connection; counts requests.
struct ScriptedInbox {
    url: String,
    hits: Arc<AtomicUsize>,
}

/// What a scripted inbox's 409 says it holds.
#[derive(Clone, Copy)]
enum Held {
    /// The digest of the body it was sent (as `brand-kit serve` answers).
    ThisDocument,
    /// The digest of another document with the same id.
    Another,
    /// No digest at all (an inbox of another make).
    NoDigest,
}

fn scripted_inbox(answers: &[u16]) -> ScriptedInbox {
    scripted_inbox_holding(answers, Held::ThisDocument)
}

fn scripted_inbox_holding(answers: &[u16], held: Held) -> ScriptedInbox {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let (answers, counter) = (answers.to_vec(), hits.clone());
    // Left running (blocked in accept) when the test ends.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.trim().eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let status = answers.get(n).copied().unwrap_or(599);
            let digest = match held {
                Held::ThisDocument => brandkit::document_digest(&body),
                Held::Another => brandkit::document_digest(b"another document"),
                Held::NoDigest => String::new(),
            };
            let text = if status == 409 && !digest.is_empty() {
                format!(
                    "{{\"code\":\"scripted\",\"message\":\"answer {status}\",\"digest\":\"{digest}\"}}"
                )
            } else {
                format!("{{\"code\":\"scripted\",\"message\":\"answer {status}\"}}")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.flush();
        }
    });
    ScriptedInbox { url, hits }
}

/// Send a fresh intent to the World's brand, whose inbox is `url`; returns
/// the round and the intent as recorded.
fn send_to_inbox(w: &mut World, url: &str) -> (Vec<Delivery>, Intent) {
    w.vault
        .update_brand(
            &w.brand,
            &BrandInput {
                inbox: Some(url.to_string()),
                ..Default::default()
            },
        )
        .unwrap();
    let intent = w
        .vault
        .intents()
        .create(&IntentInput {
            category: "bicycle".into(),
            description: "a city bike".into(),
            expires_at: Utc::now() + Duration::days(3),
            brands: vec![w.brand.clone()],
            ..Default::default()
        })
        .unwrap();
    let round = w.vault.intents().send(&intent.id, None, true).unwrap();
    let recorded = w.vault.intents().get(&intent.id).unwrap();
    (round, recorded)
}

#[test]
fn a_5xx_answer_is_retried_and_the_next_success_is_a_delivery() {
    let mut w = world();
    let inbox = scripted_inbox(&[503, 201]);
    let (round, intent) = send_to_inbox(&mut w, &inbox.url);
    assert_eq!(
        inbox.hits.load(Ordering::SeqCst),
        2,
        "a 503 is tried again, and the 201 ends the tries"
    );
    assert_eq!(round.len(), 1);
    assert_eq!(round[0].status, DeliveryStatus::Sent, "{round:?}");
    assert_eq!(round[0].reason, None);
    assert_eq!(
        intent.deliveries, round,
        "the round is kept with the intent"
    );
    assert_eq!(intent.status(Utc::now(), 0), IntentStatus::Sent);
}

#[test]
fn a_4xx_answer_other_than_409_ends_the_attempts_at_once_with_a_failed_status_and_the_reason() {
    let mut w = world();
    let inbox = scripted_inbox(&[422, 201, 201]);
    let (round, intent) = send_to_inbox(&mut w, &inbox.url);
    assert_eq!(
        inbox.hits.load(Ordering::SeqCst),
        1,
        "a refusal (4xx) is final: no second try"
    );
    assert_eq!(round[0].status, DeliveryStatus::Failed, "{round:?}");
    let reason = round[0].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("422") && reason.contains("answer 422"),
        "the reason gives the inbox's status and answer: {reason:?}"
    );
    assert_eq!(intent.deliveries, round);
    assert_eq!(
        intent.status(Utc::now(), 0),
        IntentStatus::Draft,
        "an intent no brand took is still a draft"
    );
}

#[test]
fn a_409_from_the_inbox_is_recorded_as_delivered() {
    let mut w = world();
    let inbox = scripted_inbox(&[409, 201]);
    let (round, intent) = send_to_inbox(&mut w, &inbox.url);
    assert_eq!(
        inbox.hits.load(Ordering::SeqCst),
        1,
        "a 409 is an answer, not tried again"
    );
    assert_eq!(
        round[0].status,
        DeliveryStatus::Sent,
        "409: the inbox holds this intent already, so it is delivered: {round:?}"
    );
    assert_eq!(round[0].reason.as_deref(), Some(intent::ALREADY_HELD));
    assert_eq!(intent.status(Utc::now(), 0), IntentStatus::Sent);
}

/// Issue 13, 5: a 409 is "delivered" only for the very document sent. A
/// brand that saw an intent could post its own signed document with the
/// same id to another brand first; that brand's 409 must not read as the
/// person's intent delivered.
#[test]
fn a_409_for_another_document_or_without_a_digest_is_a_failure_not_a_delivery() {
    for held in [Held::Another, Held::NoDigest] {
        let mut w = world();
        let inbox = scripted_inbox_holding(&[409, 201], held);
        let (round, _) = send_to_inbox(&mut w, &inbox.url);
        assert_eq!(inbox.hits.load(Ordering::SeqCst), 1, "a 409 is final");
        assert_eq!(round[0].status, DeliveryStatus::Failed, "{round:?}");
        let reason = round[0].reason.clone().unwrap_or_default();
        assert!(reason.contains("does not hold this document"), "{reason}");
    }
}

#[test]
fn a_resend_to_a_brand_kit_intake_that_stored_the_intent_but_whose_answer_was_lost_is_delivered() {
    let mut w = world();
    let tmp = tempfile::tempdir().unwrap();
    let intake = intake(&tmp.path().join("intake"));
    w.vault
        .update_brand(
            &w.brand,
            &BrandInput {
                inbox: Some(intake.url.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    let intent = w
        .vault
        .intents()
        .create(&IntentInput {
            category: "lunch".into(),
            description: "soup".into(),
            expires_at: Utc::now() + Duration::days(1),
            brands: vec![w.brand.clone()],
            ..Default::default()
        })
        .unwrap();
    // An earlier attempt reached the intake, which stored the intent, but
    // its answer never came back (a timeout): the vault recorded nothing.
    assert_eq!(post(&intake.url, intent.document.as_bytes()).0, 201);
    let round = w.vault.intents().send(&intent.id, None, true).unwrap();
    assert_eq!(
        round[0].status,
        DeliveryStatus::Sent,
        "brand-kit serve answers the repeat with 409, which means it has it: {round:?}"
    );
    assert_eq!(round[0].reason.as_deref(), Some(intent::ALREADY_HELD));
    assert_eq!(stored_intents(&intake).len(), 1, "stored once");
}

// ---- drafts: brands named when sending ------------------------------------

fn show(dir: &Path, id: &str) -> Value {
    serde_json::from_str(&vrm_ok(dir, &["intent", "show", id, "--json"])).unwrap()
}

fn listed_status(dir: &Path, id: &str) -> String {
    let list: Value = serde_json::from_str(&vrm_ok(dir, &["intent", "list", "--json"])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v["intent"]["id"] == id)
        .map(|v| v["status"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn an_intent_made_without_brands_is_a_draft_whose_brands_are_named_when_it_is_sent() {
    let (tmp, dir, _) = cli_vault();
    vrm_ok(&dir, &["brand", "add", "Acme"]);
    vrm_ok(&dir, &["brand", "add", "Beta"]);
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "lunch",
            "--description",
            "soup for one",
            "--expires",
            "3d",
        ],
    );
    assert_eq!(listed_status(&dir, &id), "draft");
    let made = show(&dir, &id);
    assert_eq!(made["brands"], json!([]), "a draft names no brand");

    // Sending a draft with no brand at all is a clear error, and records nothing.
    vrm(&dir)
        .args(["intent", "send", &id, "--no-http"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no brand").and(predicate::str::contains("--brand")));
    // Naming a brand that does not exist changes nothing either.
    vrm(&dir)
        .args(["intent", "send", &id, "--brand", "nosuch", "--no-http"])
        .assert()
        .code(1);
    let unchanged = show(&dir, &id);
    assert_eq!(unchanged["brands"], json!([]));
    assert_eq!(unchanged["deliveries"], json!([]));

    // Named at send time: it goes to that brand, and is the document made.
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    vrm_ok(
        &dir,
        &[
            "intent",
            "send",
            &id,
            "--brand",
            "acme",
            "--out",
            p(&out),
            "--no-http",
        ],
    );
    let sent = show(&dir, &id);
    assert_eq!(sent["brands"].as_array().unwrap().len(), 1);
    assert_eq!(sent["deliveries"][0]["status"], "sent");
    assert_eq!(listed_status(&dir, &id), "sent");
    let files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "a file for Acme only");
    let delivered: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let signed: Value = serde_json::from_str(made["document"].as_str().unwrap()).unwrap();
    assert_eq!(
        delivered, signed,
        "adding brands signs nothing again: the brand gets the document made at create"
    );

    // More brands may be added to a sent intent; the same document again.
    vrm_ok(
        &dir,
        &[
            "intent",
            "send",
            &id,
            "--brand",
            "beta",
            "--brand",
            "acme",
            "--out",
            p(&out),
            "--no-http",
        ],
    );
    let again = show(&dir, &id);
    assert_eq!(
        again["brands"].as_array().unwrap().len(),
        2,
        "Acme is not listed twice"
    );
    assert_eq!(again["document"], made["document"]);
}

// ---- expired offers -------------------------------------------------------

#[test]
fn an_expired_offer_is_refused_at_import_and_nothing_is_kept() {
    let (tmp, dir, _) = cli_vault();
    let key_file = tmp.path().join("acme.key");
    let did = vrm_ok(&dir, &["brand-kit", "keygen", "--out", p(&key_file)]);
    let did = did.lines().next().unwrap().to_string();
    vrm_ok(&dir, &["brand", "add", "Acme", "--did", &did]);
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "tyres",
            "--description",
            "four winter tyres",
            "--expires",
            "5d",
            "--brand",
            "acme",
        ],
    );
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    vrm_ok(
        &dir,
        &["intent", "send", &id, "--out", p(&out), "--no-http"],
    );
    let intent_file = std::fs::read_dir(&out)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();

    // The brand kit will not sign an offer that has ended already…
    vrm(&dir)
        .args([
            "brand-kit",
            "offer",
            p(&intent_file),
            "--identity",
            p(&key_file),
            "--price",
            "300",
            "--currency",
            "EUR",
            "--valid-until",
            "2020-01-01T00:00:00Z",
            "--out",
            p(&tmp.path().join("never.json")),
        ])
        .assert()
        .code(1);
    // …so the brand's own key signs one that stood for an hour, two hours ago.
    let key = BrandKey::parse(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert_eq!(key.signing.did(), did);
    let intent_doc: Value = serde_json::from_slice(&std::fs::read(&intent_file).unwrap()).unwrap();
    let now = Utc::now();
    let expired = proof::issue_credential(
        intent::OFFER,
        &key.signing,
        uuid::Uuid::new_v4(),
        now - Duration::hours(2),
        Some(now - Duration::hours(1)),
        json!({
            "id": intent_doc["issuer"],
            "intentId": intent_doc["id"],
            "price": "300",
            "currency": "EUR",
        }),
    )
    .unwrap();
    let file = tmp.path().join("expired-offer.json");
    std::fs::write(&file, serde_json::to_vec(&expired).unwrap()).unwrap();
    vrm(&dir)
        .args(["offer", "import", p(&file)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("expired"));
    let offers: Value = serde_json::from_str(&vrm_ok(&dir, &["offer", "list", "--json"])).unwrap();
    assert_eq!(offers, json!([]), "an expired offer is not kept");
    assert_eq!(listed_status(&dir, &id), "sent", "the intent has no offer");

    // The same offer, still standing, is taken: it was refused for its age only.
    let fresh = proof::issue_credential(
        intent::OFFER,
        &key.signing,
        uuid::Uuid::new_v4(),
        now - Duration::hours(2),
        Some(now + Duration::hours(1)),
        expired["credentialSubject"].clone(),
    )
    .unwrap();
    std::fs::write(&file, serde_json::to_vec(&fresh).unwrap()).unwrap();
    vrm_ok(&dir, &["offer", "import", p(&file)]);
    assert_eq!(listed_status(&dir, &id), "has-offers");
}

// ---- the lifecycle --------------------------------------------------------

fn status_of(w: &mut World, id: &str) -> IntentStatus {
    w.vault
        .intents()
        .list()
        .unwrap()
        .into_iter()
        .find(|v| v.intent.id == id)
        .unwrap()
        .status
}

#[test]
fn an_intent_goes_from_draft_to_sent_to_has_offers_to_accepted() {
    let mut w = world();
    let draft = w
        .vault
        .intents()
        .create(&IntentInput {
            category: "lunch".into(),
            description: "soup".into(),
            expires_at: Utc::now() + Duration::days(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        status_of(&mut w, &draft.id),
        IntentStatus::Draft,
        "made, not sent"
    );

    // Addressed to a brand with no inbox and sent nowhere: failed, still a draft.
    w.vault
        .intents()
        .add_brands(&draft.id, &[w.brand.clone()])
        .unwrap();
    let round = w.vault.intents().send(&draft.id, None, true).unwrap();
    assert_eq!(round[0].status, DeliveryStatus::Failed);
    assert_eq!(
        status_of(&mut w, &draft.id),
        IntentStatus::Draft,
        "a failed delivery does not make it sent"
    );

    let out = w.tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    w.vault
        .intents()
        .send(&draft.id, Some(&out), false)
        .unwrap();
    assert_eq!(status_of(&mut w, &draft.id), IntentStatus::Sent);

    let intent = w.vault.intents().get(&draft.id).unwrap();
    let offer = w
        .vault
        .intents()
        .import_offer(&offer_bytes(&intent, &w.key.signing, "9.50"))
        .unwrap();
    assert_eq!(status_of(&mut w, &draft.id), IntentStatus::HasOffers);

    w.vault.intents().accept_offer(&offer.offer.id).unwrap();
    assert_eq!(status_of(&mut w, &draft.id), IntentStatus::Accepted);
    let accepted = w.vault.intents().get(&draft.id).unwrap();
    assert_eq!(
        accepted.status(accepted.input.expires_at + Duration::days(1), 1),
        IntentStatus::Accepted,
        "an accepted intent stays accepted after its end"
    );
}

#[test]
fn an_intent_is_expired_from_its_end_and_withdrawn_once_withdrawn() {
    let mut w = world();
    let intent = intent_for_acme(&mut w);
    let intent = w.vault.intents().get(&intent.id).unwrap();
    let end = intent.input.expires_at;
    // Time under the test's control: the status at chosen moments.
    assert_eq!(
        intent.status(end - Duration::seconds(1), 0),
        IntentStatus::Sent
    );
    assert_eq!(
        intent.status(end - Duration::seconds(1), 2),
        IntentStatus::HasOffers
    );
    assert_eq!(
        intent.status(end, 0),
        IntentStatus::Expired,
        "offers are welcome until its end, not at it"
    );
    assert_eq!(
        intent.status(end + Duration::days(1), 2),
        IntentStatus::Expired,
        "offers or not, an intent past its end is expired"
    );
    assert!(
        !intent.is_live(end),
        "an expired intent takes no more offers"
    );

    w.vault.intents().withdraw(&intent.id, None, false).unwrap();
    assert_eq!(status_of(&mut w, &intent.id), IntentStatus::Withdrawn);
    let withdrawn = w.vault.intents().get(&intent.id).unwrap();
    assert_eq!(
        withdrawn.status(end + Duration::days(1), 0),
        IntentStatus::Withdrawn,
        "withdrawn stays withdrawn after its end"
    );

    // And through the vault as time really passes: an intent that ends in a
    // second or two.
    let short = w
        .vault
        .intents()
        .create(&IntentInput {
            category: "lunch".into(),
            description: "soup, now".into(),
            expires_at: Utc::now() + Duration::seconds(2),
            brands: vec![w.brand.clone()],
            ..Default::default()
        })
        .unwrap();
    let out = w.tmp.path().join("short");
    std::fs::create_dir(&out).unwrap();
    w.vault
        .intents()
        .send(&short.id, Some(&out), false)
        .unwrap();
    let offer = offer_bytes(&short, &w.key.signing, "5");
    while Utc::now() < short.input.expires_at {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(status_of(&mut w, &short.id), IntentStatus::Expired);
    let err = w.vault.intents().import_offer(&offer).unwrap_err();
    assert!(
        err.to_string().contains("expired"),
        "an expired intent takes no offer: {err}"
    );
}

// ---- the intake stores whole documents or none ----------------------------

/// A stored document's files in an intake folder (`intents`…), by name.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[cfg(unix)]
#[test]
fn an_intake_that_dies_while_writing_leaves_no_stored_intent_so_the_resend_is_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("intake");
    let key = SigningKey::generate().unwrap();
    let now = Utc::now();
    let id = uuid::Uuid::new_v4();
    // Larger than the file size limit below.
    let doc = proof::issue_credential(
        "IntentRequest",
        &key,
        id,
        now,
        Some(now + Duration::days(1)),
        json!({
            "intentId": format!("urn:uuid:{id}"),
            "category": "lunch",
            "description": "soup ".repeat(2000),
        }),
    )
    .unwrap();
    let body = serde_json::to_vec(&doc).unwrap();
    assert!(body.len() > 8 * 1024);

    // An intake whose writes stop at 1 KiB or less (`ulimit -f`): the write
    // of the intent fails part way and SIGXFSZ ends the process, as a crash
    // or a full disk would.
    let bin = assert_cmd::cargo::cargo_bin("vrm");
    let mut child = Std::new("sh")
        .args([
            "-c",
            "ulimit -c 0; ulimit -f 1; exec \"$0\" brand-kit serve --addr 127.0.0.1:0 --dir \"$1\"",
        ])
        .arg(&bin)
        .arg(&dir)
        .current_dir(tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let answer = agent
        .post(line.trim())
        .header("Content-Type", "application/json")
        .send(&body[..]);
    assert!(
        answer.is_err(),
        "the limited intake dies before it answers: {:?}",
        answer.map(|r| r.status())
    );
    let status = child.wait().unwrap();
    assert!(!status.success(), "it was killed by the size limit");

    let intents = dir.join("intents");
    let left = names_in(&intents);
    assert!(
        left.iter()
            .all(|n| n.starts_with(brandkit::INCOMING_PREFIX) && n.ends_with(".part")),
        "only a partial temporary file is left, never {id}.json: {left:?}"
    );
    assert!(
        !left.is_empty(),
        "the test needs the partial write to have happened"
    );

    // The brand restarts its intake; the person's retry is stored, not
    // refused as a replay of the intent it never stored whole.
    let intake = intake(&dir);
    let (status, answer) = post(&intake.url, &body);
    assert_eq!(
        status, 201,
        "a leftover temporary file is not a stored intent: {answer}"
    );
    assert_eq!(
        std::fs::read(intents.join(format!("{id}.json"))).unwrap(),
        body,
        "stored whole"
    );
    // The same id again (in-process): a replay, refused before any write.
    let taker = brandkit::Intake::bind("127.0.0.1:0", &dir).unwrap();
    let err = taker.take(&body).unwrap_err();
    assert_eq!(
        err.code(),
        "intake.replay",
        "stored once, the id is now seen"
    );
    let after = names_in(&intents);
    assert_eq!(
        after
            .iter()
            .filter(|n| !n.starts_with(brandkit::INCOMING_PREFIX))
            .count(),
        1,
        "a refused replay writes nothing: {after:?}"
    );
    assert_eq!(
        after.len(),
        left.len() + 1,
        "and leaves no new temporary file"
    );
}

/// Issue 13, 5: one client that sends its headers (`Content-Length:
/// 100000`) and then nothing, one that stops half way through its head and
/// one that says nothing at all used to hold the intake for good; now each
/// holds one worker until the request timeout (answered 408), and honest
/// senders at the same time are served.
#[test]
fn stalled_clients_get_408_and_honest_senders_at_the_same_time_are_served() {
    use std::net::TcpStream;
    let tmp = tempfile::tempdir().unwrap();
    let intake = intake_with(&tmp.path().join("intake"), &["--request-timeout", "3"]);
    let addr = intake
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let stalled: Vec<TcpStream> = [
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"a\":",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Le",
        "",
    ]
    .iter()
    .map(|start| {
        let mut c = TcpStream::connect(&addr).unwrap();
        c.write_all(start.as_bytes()).unwrap();
        c
    })
    .collect();
    let senders: Vec<_> = (0..6)
        .map(|_| {
            let url = intake.url.clone();
            std::thread::spawn(move || {
                let key = SigningKey::generate().unwrap();
                let id = uuid::Uuid::new_v4();
                let now = Utc::now();
                let doc = proof::issue_credential(
                    "IntentRequest",
                    &key,
                    id,
                    now,
                    Some(now + Duration::days(1)),
                    json!({ "intentId": format!("urn:uuid:{id}"), "category": "lunch", "description": "x" }),
                )
                .unwrap();
                // A bounded wait: the intake of before never answered.
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(std::time::Duration::from_secs(20)))
                    .build()
                    .into();
                agent
                    .post(&url)
                    .send(&serde_json::to_vec(&doc).unwrap())
                    .map(|r| r.status().as_u16())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for s in senders {
        assert_eq!(s.join().unwrap(), Ok(201));
    }
    assert_eq!(stored_intents(&intake).len(), 6);
    for mut c in stalled {
        c.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
        assert!(answer.contains("\"code\":\"timeout\""), "{answer:?}");
    }
}

/// What the intake's HTTP side refuses before reading any body.
#[test]
fn the_intake_refuses_requests_it_cannot_bound() {
    use std::net::TcpStream;
    let tmp = tempfile::tempdir().unwrap();
    let intake = intake(&tmp.path().join("intake"));
    let addr = intake
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let ask = |request: &str| {
        let mut c = TcpStream::connect(&addr).unwrap();
        c.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        // The intake may answer (and stop reading) before all is sent.
        let _ = c.write_all(request.as_bytes());
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        answer
    };
    let long_head = format!("POST / HTTP/1.1\r\nX-Pad: {}\r\n\r\n", "a".repeat(20_000));
    for (request, status) in [
        ("POST / HTTP/1.1\r\nHost: x\r\n\r\n", "411"),
        (
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "411",
        ),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "405"),
        (
            "POST /elsewhere HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
            "404",
        ),
        ("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", "413"),
        (long_head.as_str(), "431"),
        ("\x16\x03\x01 not http at all\r\n\r\n", "400"),
    ] {
        let answer = ask(request);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{request:.40?}: {answer:?}"
        );
    }
    assert!(stored_intents(&intake).is_empty());
}

/// Issue 13, 5: an inbox on a private or link-local address is not posted
/// to (not even tried) unless the person allows it for that brand; an
/// import never brings the allowance.
#[test]
fn an_inbox_on_a_private_address_is_refused_unless_allowed_for_the_brand() {
    for url in [
        "https://10.255.255.1/inbox",
        "https://169.254.169.254/latest",
        "https://[fd00::1]/inbox",
    ] {
        let mut w = world();
        let started = std::time::Instant::now();
        let (round, _) = send_to_inbox(&mut w, url);
        assert_eq!(round[0].status, DeliveryStatus::Failed, "{url}: {round:?}");
        let reason = round[0].reason.clone().unwrap_or_default();
        assert!(
            reason.contains("private or local network"),
            "{url}: {reason}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{url}: refused at once, not tried"
        );
    }
    // Allowed for the brand: the rule lets it through (here to this
    // machine's own inbox, which is reached either way).
    let mut w = world();
    w.vault
        .update_brand(
            &w.brand,
            &BrandInput {
                allow_private_inbox: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(w.vault.brand(&w.brand).unwrap().allow_private_inbox);
    let inbox = scripted_inbox(&[201]);
    let (round, _) = send_to_inbox(&mut w, &inbox.url);
    assert_eq!(round[0].status, DeliveryStatus::Sent, "{round:?}");
}
