//! Intents on the open market, across processes and a real relay: the
//! person's `vrm` broadcasts an intent to a Nostr relay on loopback, a
//! seller's `vrm brand-kit watch` takes it, `brand-kit offer --relay`
//! answers in a gift wrap, `vrm offer fetch` imports it, the acceptance goes
//! back the same way, and a withdrawal reaches the seller as a deletion
//! request. Relays that misbehave (forged events, events outside the filter,
//! a dropped connection, a silent relay) are played by a small WebSocket
//! server here.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nostr::prelude::{EventBuilder, FinalizeEvent, Keys, Kind, Tag};
use serde_json::Value;

use crate::relay_server::RelayServer;
use crate::util::*;

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A person's vault with PDC-INTENT terms and one relay, and an intent
/// (a bicycle, budget 300 EUR, a week); returns (temp, dir, intent id).
fn person_with_intent(relay: &str) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (tmp, dir, _) = cli_vault();
    vrm_ok(&dir, &["terms", "new", "--template", "PDC-INTENT"]);
    vrm_ok(&dir, &["relay", "add", relay]);
    let id = vrm_ok(
        &dir,
        &[
            "intent",
            "create",
            "--category",
            "Bicycle",
            "--description",
            "A city bike, 54 cm frame",
            "--budget-max",
            "300",
            "--currency",
            "EUR",
            "--expires",
            "7d",
        ],
    );
    (tmp, dir, id)
}

fn seller_key(dir: &Path) -> PathBuf {
    let key = dir.join("seller.key");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("vrm"))
        .args(["brand-kit", "keygen", "--out", p(&key)])
        .output()
        .unwrap();
    assert!(out.status.success());
    key
}

/// `vrm brand-kit …` (no vault), expecting success; stdout.
fn kit_ok(args: &[&str]) -> String {
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("vrm"))
        .arg("brand-kit")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vrm brand-kit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn relay_urls_are_checked_and_kept_once() {
    let (_tmp, dir, _) = cli_vault();
    for bad in [
        "http://relay.example.com",
        "ws://relay.example.com",
        "wss://u:p@relay.example.com",
    ] {
        vrm(&dir)
            .args(["relay", "add", bad])
            .assert()
            .failure()
            .stderr(predicates::str::contains("relay URL"));
    }
    vrm_ok(&dir, &["relay", "add", "wss://relay.example.com/"]);
    vrm(&dir)
        .args(["relay", "add", "wss://Relay.Example.com"])
        .assert()
        .success()
        .stderr(predicates::str::contains("already"));
    assert_eq!(vrm_ok(&dir, &["relay", "list"]), "wss://relay.example.com");
    vrm_ok(&dir, &["relay", "remove", "wss://relay.example.com"]);
    assert_eq!(vrm_ok(&dir, &["relay", "list"]), "");
    vrm(&dir)
        .args(["relay", "remove", "wss://relay.example.com"])
        .assert()
        .failure();
}

#[test]
fn an_intent_goes_to_a_real_relay_a_seller_answers_and_the_acceptance_goes_back() {
    let Some(relay) = RelayServer::start_or_skip() else {
        return;
    };
    eprintln!("relay: {}", relay.name);
    let (tmp, dir, id) = person_with_intent(&relay.url);

    // Broadcast, with a coarse location.
    let out = vrm_ok(
        &dir,
        &["intent", "broadcast", &id, "--geohash", "U09TV", "--json"],
    );
    let b: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(b["relays"][0]["status"], "accepted", "{b}");
    assert_eq!(b["geohash"], "u09tv");
    let shown: Value =
        serde_json::from_str(&vrm_ok(&dir, &["intent", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["broadcasts"].as_array().unwrap().len(), 1);
    let list = vrm_ok(&dir, &["intent", "list"]);
    assert!(list.contains("sent"), "{list}");

    // The seller watches by category and a coarser geohash: the intent is
    // there, checked and stored as the intake stores it.
    let seller = tmp.path().join("seller");
    let key = seller_key(tmp.path());
    let watched = json_lines(&kit_ok(&[
        "watch",
        "--relay",
        &relay.url,
        "--category",
        "bicycle",
        "--geohash",
        "u09",
        "--out",
        p(&seller),
        "--once",
        "--json",
    ]));
    assert_eq!(watched.len(), 1, "{watched:?}");
    assert_eq!(watched[0]["outcome"], "stored", "{watched:?}");
    assert_eq!(watched[0]["intent"], id.as_str());
    let intent_file = seller.join("intents").join(format!("{id}.json"));
    assert!(intent_file.is_file());
    // A finer geohash than the person gave matches nothing.
    let finer = json_lines(&kit_ok(&[
        "watch",
        "--relay",
        &relay.url,
        "--geohash",
        "u09tvw",
        "--out",
        p(&tmp.path().join("finer")),
        "--once",
        "--json",
    ]));
    assert!(finer.is_empty(), "{finer:?}");
    // Watching again: held already, not stored twice.
    let again = json_lines(&kit_ok(&[
        "watch",
        "--relay",
        &relay.url,
        "--out",
        p(&seller),
        "--once",
        "--json",
    ]));
    assert_eq!(again[0]["outcome"], "duplicate", "{again:?}");

    // The seller answers over the relay.
    kit_ok(&[
        "offer",
        p(&intent_file),
        "--identity",
        p(&key),
        "--price",
        "249.90",
        "--currency",
        "EUR",
        "--description",
        "Gazelle, 54 cm",
        "--name",
        "Velo Shop",
        "--relay",
        &relay.url,
    ]);
    let fetched: Value =
        serde_json::from_str(&vrm_ok(&dir, &["offer", "fetch", "--json"])).unwrap();
    assert_eq!(
        fetched["imported"].as_array().unwrap().len(),
        1,
        "{fetched}"
    );
    let offer = &fetched["imported"][0];
    assert_eq!(offer["verified"], false);
    assert_eq!(offer["can_accept"], true);
    assert_eq!(offer["offer"]["market"]["claimed_name"], "Velo Shop");
    assert!(
        offer["unverified_reason"]
            .as_str()
            .unwrap()
            .contains("open market"),
        "{offer}"
    );
    let offer_id = offer["offer"]["id"].as_str().unwrap().to_string();
    // Fetched again: nothing twice.
    let again: Value = serde_json::from_str(&vrm_ok(&dir, &["offer", "fetch", "--json"])).unwrap();
    assert_eq!(again["imported"].as_array().unwrap().len(), 0);
    assert_eq!(again["duplicates"], 1);

    // Accepted: the signed acceptance goes back to the seller's relay key.
    vrm_ok(&dir, &["offer", "accept", &offer_id]);
    let decisions: Value = serde_json::from_str(&kit_ok(&[
        "decisions",
        "--identity",
        p(&key),
        "--relay",
        &relay.url,
    ]))
    .unwrap();
    let decisions = decisions.as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert!(
        decisions[0]["type"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "OfferAcceptance")
    );
    assert_eq!(
        decisions[0]["credentialSubject"]["offerId"],
        format!("urn:uuid:{offer_id}").as_str()
    );
}

/// An acceptance no relay took stays accepted and is sent again with
/// `vrm offer resend`; the seller, sent it twice, holds it once.
#[test]
fn an_acceptance_no_relay_took_is_sent_again_and_the_seller_holds_it_once() {
    let Some(first) = RelayServer::start_or_skip() else {
        return;
    };
    let (tmp, dir, id) = person_with_intent(&first.url);
    vrm_ok(&dir, &["intent", "broadcast", &id]);
    let key = seller_offers(tmp.path(), &first.url, &id, "240");
    let fetched: Value =
        serde_json::from_str(&vrm_ok(&dir, &["offer", "fetch", "--json"])).unwrap();
    let offer_id = fetched["imported"][0]["offer"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    drop(first);

    // The relay is gone: accepted, but nothing sent, and said how to retry.
    vrm(&dir)
        .args(["offer", "accept", &offer_id])
        .assert()
        .failure()
        .stdout(predicates::str::contains("unreachable"))
        .stderr(predicates::str::contains(format!(
            "vrm offer resend {offer_id}"
        )));
    let offers: Value = serde_json::from_str(&vrm_ok(&dir, &["offer", "list", "--json"])).unwrap();
    assert_eq!(offers[0]["offer"]["decision"], "accepted", "{offers}");
    assert_eq!(offers[0]["can_resend_acceptance"], true, "{offers}");
    assert_eq!(offers[0]["can_accept"], false, "{offers}");

    // On a relay that is up: sent, twice, and held once.
    let second = RelayServer::start_or_skip().unwrap();
    for _ in 0..2 {
        let sent: Value = serde_json::from_str(&vrm_ok(
            &dir,
            &[
                "offer",
                "resend",
                &offer_id,
                "--relay",
                &second.url,
                "--json",
                "--timeout",
                "3",
            ],
        ))
        .unwrap();
        let statuses: Vec<&str> = sent
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["unreachable", "accepted"], "{sent}");
    }
    let offers: Value = serde_json::from_str(&vrm_ok(&dir, &["offer", "list", "--json"])).unwrap();
    assert_eq!(offers[0]["can_resend_acceptance"], false, "{offers}");
    let decisions: Value = serde_json::from_str(&kit_ok(&[
        "decisions",
        "--identity",
        p(&key),
        "--relay",
        &second.url,
    ]))
    .unwrap();
    assert_eq!(decisions.as_array().unwrap().len(), 1, "{decisions}");
    assert_eq!(
        decisions[0]["credentialSubject"]["offerId"],
        format!("urn:uuid:{offer_id}").as_str()
    );
}

#[test]
fn a_withdrawal_reaches_the_seller_as_a_deletion_request_with_the_signed_withdrawal() {
    let Some(relay) = RelayServer::start_or_skip() else {
        return;
    };
    let (tmp, dir, id) = person_with_intent(&relay.url);
    vrm_ok(&dir, &["intent", "broadcast", &id]);
    let seller = tmp.path().join("seller");
    kit_ok(&[
        "watch",
        "--relay",
        &relay.url,
        "--out",
        p(&seller),
        "--once",
    ]);
    vrm_ok(&dir, &["intent", "withdraw", &id]);
    let shown: Value =
        serde_json::from_str(&vrm_ok(&dir, &["intent", "show", &id, "--json"])).unwrap();
    let kinds: Vec<&str> = shown["broadcasts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["listing", "deletion"]);
    let watched = json_lines(&kit_ok(&[
        "watch",
        "--relay",
        &relay.url,
        "--out",
        p(&seller),
        "--once",
        "--json",
    ]));
    assert!(
        watched
            .iter()
            .any(|w| w["outcome"] == "withdrawn" && w["intent"] == id.as_str()),
        "{watched:?}"
    );
    assert_eq!(
        std::fs::read_dir(seller.join("withdrawals"))
            .unwrap()
            .count(),
        1
    );
    // Nothing more to broadcast for a withdrawn intent.
    vrm(&dir)
        .args(["intent", "broadcast", &id])
        .assert()
        .failure();
}

#[test]
fn a_relay_that_is_down_is_reported_and_the_broadcast_can_be_retried() {
    let Some(relay) = RelayServer::start_or_skip() else {
        return;
    };
    let (_tmp, dir, id) = person_with_intent(&relay.url);
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("ws://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    // Only the dead relay: nothing took it; an error that says it can be retried.
    vrm(&dir)
        .args([
            "intent",
            "broadcast",
            &id,
            "--relay",
            &dead,
            "--timeout",
            "2",
        ])
        .assert()
        .failure()
        .stdout(predicates::str::contains("unreachable"))
        .stderr(predicates::str::contains("retried"));
    // Both: one took it, one is reported.
    let out = vrm_ok(
        &dir,
        &[
            "intent",
            "broadcast",
            &id,
            "--relay",
            &dead,
            "--relay",
            &relay.url,
            "--json",
            "--timeout",
            "2",
        ],
    );
    let b: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(b["relays"][0]["status"], "unreachable");
    assert_eq!(b["relays"][1]["status"], "accepted");
    // The retry sent the very same event.
    let shown: Value =
        serde_json::from_str(&vrm_ok(&dir, &["intent", "show", &id, "--json"])).unwrap();
    let ids: Vec<&str> = shown["broadcasts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
    // Fetching offers with one relay down still reads the other.
    vrm_ok(&dir, &["relay", "add", &dead]);
    let fetched: Value = serde_json::from_str(&vrm_ok(
        &dir,
        &["offer", "fetch", "--json", "--timeout", "2"],
    ))
    .unwrap();
    assert_eq!(fetched["failed"].as_array().unwrap().len(), 1, "{fetched}");
}

#[test]
fn an_intent_made_before_relay_keys_and_a_stranger_relay_event_are_refused() {
    // An event on a real relay from someone else, of the intent kind but
    // holding no intent: the seller refuses it and stores nothing.
    let Some(relay) = RelayServer::start_or_skip() else {
        return;
    };
    let keys = Keys::generate();
    let junk = EventBuilder::new(Kind::Custom(30402), "not a credential")
        .tags([Tag::hashtag("intentcasting")])
        .finalize(&keys)
        .unwrap();
    let relay_url = vrm_vault::relay::RelayUrl::parse(&relay.url).unwrap();
    let sent = vrm_vault::relay::publish_all(&[relay_url], &junk, Duration::from_secs(5));
    assert!(sent[0].status.is_accepted(), "{sent:?}");
    let tmp = tempfile::tempdir().unwrap();
    let seller = tmp.path().join("seller");
    let watched = json_lines(&kit_ok(&[
        "watch",
        "--relay",
        &relay.url,
        "--out",
        p(&seller),
        "--once",
        "--json",
    ]));
    assert_eq!(watched.len(), 1);
    assert_eq!(watched[0]["outcome"], "refused", "{watched:?}");
    assert!(
        !seller.join("intents").exists()
            || std::fs::read_dir(seller.join("intents")).unwrap().count() == 0
    );
}

/// A seller (its folder and key in `tmp`) that takes the intent `id` from
/// `relay` and offers `price` EUR for it there; returns the seller's key.
fn seller_offers(tmp: &Path, relay: &str, id: &str, price: &str) -> PathBuf {
    let seller = tmp.join("seller");
    let key = seller_key(tmp);
    kit_ok(&["watch", "--relay", relay, "--out", p(&seller), "--once"]);
    let intent_file = seller.join("intents").join(format!("{id}.json"));
    kit_ok(&[
        "offer",
        p(&intent_file),
        "--identity",
        p(&key),
        "--price",
        price,
        "--currency",
        "EUR",
        "--relay",
        relay,
    ]);
    key
}

/// How a misbehaving relay answers.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// A gift wrap to the asked key whose content was changed after signing.
    Forged,
    /// A well-signed event of a kind nobody asked for.
    OutsideFilter,
    /// An event far over the size limit.
    Oversized,
    /// Closes the connection as soon as asked.
    Drops,
    /// Never answers.
    Silent,
    /// Refuses every published event.
    Refuses,
    /// Sends a good gift wrap to the asked key, then never says it has
    /// sent all it holds.
    NoEndOfStored,
}

/// A relay on loopback that misbehaves as told, for every connection, until
/// the test ends; returns its URL.
fn misbehaving_relay(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let Ok(mut ws) = tungstenite::accept(stream) else {
                    return;
                };
                while let Ok(msg) = ws.read() {
                    let Ok(text) = msg.to_text() else { continue };
                    let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(text) else {
                        continue;
                    };
                    let verb = parts.first().and_then(Value::as_str).unwrap_or("");
                    if verb == "EVENT" {
                        if let Misbehaviour::Refuses = how {
                            let id = parts[1]["id"].clone();
                            let ok = serde_json::json!(["OK", id, false, "blocked: not here"]);
                            let _ = ws.send(tungstenite::Message::text(ok.to_string()));
                        }
                        continue;
                    }
                    if verb != "REQ" {
                        continue;
                    }
                    let sub = parts[1].clone();
                    let asked = parts[2]["#p"][0].as_str().unwrap_or("").to_string();
                    let keys = Keys::generate();
                    let event: Option<Value> = match how {
                        Misbehaviour::Forged => {
                            let pk = nostr::prelude::PublicKey::from_hex(&asked).unwrap();
                            let e = EventBuilder::new(Kind::GiftWrap, "sealed")
                                .tags([Tag::public_key(pk)])
                                .finalize(&keys)
                                .unwrap();
                            let mut v: Value = serde_json::from_str(&e.as_json()).unwrap();
                            v["content"] = Value::String("changed".into());
                            Some(v)
                        }
                        Misbehaviour::OutsideFilter => {
                            let e = EventBuilder::new(Kind::TextNote, "hello")
                                .finalize(&keys)
                                .unwrap();
                            Some(serde_json::from_str(&e.as_json()).unwrap())
                        }
                        Misbehaviour::Oversized => {
                            let e = EventBuilder::new(Kind::GiftWrap, "x".repeat(200_000))
                                .finalize(&keys)
                                .unwrap();
                            Some(serde_json::from_str(&e.as_json()).unwrap())
                        }
                        Misbehaviour::Drops => return,
                        Misbehaviour::Silent => {
                            std::thread::sleep(Duration::from_secs(30));
                            return;
                        }
                        Misbehaviour::Refuses => None,
                        Misbehaviour::NoEndOfStored => {
                            let pk = nostr::prelude::PublicKey::from_hex(&asked).unwrap();
                            let e = EventBuilder::new(Kind::GiftWrap, "sealed")
                                .tags([Tag::public_key(pk)])
                                .finalize(&keys)
                                .unwrap();
                            Some(serde_json::from_str(&e.as_json()).unwrap())
                        }
                    };
                    if let Some(e) = event {
                        let m = serde_json::json!(["EVENT", sub, e]);
                        let _ = ws.send(tungstenite::Message::text(m.to_string()));
                    }
                    if let Misbehaviour::NoEndOfStored = how {
                        std::thread::sleep(Duration::from_secs(30));
                        return;
                    }
                    let eose = serde_json::json!(["EOSE", sub]);
                    let _ = ws.send(tungstenite::Message::text(eose.to_string()));
                }
            });
        }
    });
    url
}

/// A relay that sends events and then never says it has sent all it holds
/// is reported, and what it sent (each event checked) is kept.
#[test]
fn what_a_relay_sent_before_it_failed_is_kept() {
    let url =
        vrm_vault::relay::RelayUrl::parse(&misbehaving_relay(Misbehaviour::NoEndOfStored)).unwrap();
    let asked = Keys::generate().public_key();
    let got = vrm_vault::relay::query_all(
        std::slice::from_ref(&url),
        &[nostr::prelude::Filter::new()
            .kind(Kind::GiftWrap)
            .pubkey(asked)],
        Duration::from_secs(2),
    );
    assert_eq!(got.events.len(), 1, "{:?}", got.failed);
    assert_eq!(got.events[0].relays, vec![url]);
    assert_eq!(got.failed.len(), 1);
    assert!(
        got.failed[0].1.contains("did not send all it holds"),
        "{:?}",
        got.failed
    );
}

#[test]
fn misbehaving_relays_are_reported_each_and_the_good_relays_offers_still_come_in() {
    let Some(relay) = RelayServer::start_or_skip() else {
        return;
    };
    let (tmp, dir, id) = person_with_intent(&relay.url);
    // A relay that refuses: reported with its reason, the other took it.
    let refuses = misbehaving_relay(Misbehaviour::Refuses);
    let b: Value = serde_json::from_str(&vrm_ok(
        &dir,
        &[
            "intent",
            "broadcast",
            &id,
            "--relay",
            &refuses,
            "--relay",
            &relay.url,
            "--json",
        ],
    ))
    .unwrap();
    assert_eq!(b["relays"][0]["status"], "rejected", "{b}");
    assert_eq!(b["relays"][0]["reason"], "blocked: not here");
    assert_eq!(b["relays"][1]["status"], "accepted");

    seller_offers(tmp.path(), &relay.url, &id, "199");

    let forged = misbehaving_relay(Misbehaviour::Forged);
    let outside = misbehaving_relay(Misbehaviour::OutsideFilter);
    let oversized = misbehaving_relay(Misbehaviour::Oversized);
    let drops = misbehaving_relay(Misbehaviour::Drops);
    let silent = misbehaving_relay(Misbehaviour::Silent);
    let got: Value = serde_json::from_str(&vrm_ok(
        &dir,
        &[
            "offer",
            "fetch",
            "--json",
            "--timeout",
            "3",
            "--relay",
            &forged,
            "--relay",
            &outside,
            "--relay",
            &oversized,
            "--relay",
            &drops,
            "--relay",
            &silent,
            "--relay",
            &relay.url,
        ],
    ))
    .unwrap();
    assert_eq!(got["imported"].as_array().unwrap().len(), 1, "{got}");
    let reasons = |key: &str| -> Vec<(String, String)> {
        got[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["relay"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let refused = reasons("refused");
    let failed = reasons("failed");
    let said = |list: &[(String, String)], relay: &str, what: &str| {
        assert!(
            list.iter().any(|(r, why)| r == relay && why.contains(what)),
            "{relay}: expected {what:?} in {list:?}"
        );
    };
    said(&refused, &forged, "bad id or signature");
    said(&refused, &outside, "not what was asked for");
    said(&failed, &drops, "");
    said(&failed, &silent, "in time");
    // Oversized: refused as an event, or the connection refused the message.
    assert!(
        refused.iter().any(|(r, _)| r == &oversized) || failed.iter().any(|(r, _)| r == &oversized),
        "{got}"
    );
    // Nothing imported twice from the good relay on the next fetch.
    let again: Value = serde_json::from_str(&vrm_ok(
        &dir,
        &["offer", "fetch", "--json", "--relay", &relay.url],
    ))
    .unwrap();
    assert_eq!(again["imported"].as_array().unwrap().len(), 0);
    assert_eq!(again["duplicates"], 1);
}

/// `node tests/interop/nostr/seller.mjs …` (nostr-tools); its JSON output.
fn nostr_tools(args: &[&str]) -> Value {
    let out = std::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/interop/nostr/seller.mjs"
        ))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "seller.mjs {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_nostr_tools_seller_reads_our_intent_and_its_gift_wrapped_offer_is_accepted_back() {
    let Some(relay) = RelayServer::start_or_skip() else {
        return;
    };
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/nostr/node_modules");
    if !interop.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no nostr-tools: scripts/setup installs it in tests/interop/nostr"
        );
        eprintln!("skipped: no nostr-tools (scripts/setup installs it)");
        return;
    }
    let (tmp, dir, id) = person_with_intent(&relay.url);
    vrm_ok(&dir, &["intent", "broadcast", &id]);
    // The listing as any client reads it from the relay.
    let url = vrm_vault::relay::RelayUrl::parse(&relay.url).unwrap();
    let filter = nostr::prelude::Filter::new()
        .kind(Kind::Custom(30402))
        .identifier(id.clone());
    let got = vrm_vault::relay::query_all(
        std::slice::from_ref(&url),
        &[filter],
        Duration::from_secs(5),
    );
    assert_eq!(got.events.len(), 1, "{:?}", got.failed);
    let listing = tmp.path().join("listing.json");
    std::fs::write(&listing, got.events[0].event.as_json()).unwrap();
    // The offer: signed by our brand kit (eddsa-jcs-2022), wrapped by nostr-tools.
    let intent_vc = tmp.path().join("intent.json");
    std::fs::write(&intent_vc, &got.events[0].event.content).unwrap();
    let key = seller_key(tmp.path());
    let offer = tmp.path().join("offer.json");
    kit_ok(&[
        "offer",
        p(&intent_vc),
        "--identity",
        p(&key),
        "--price",
        "210",
        "--currency",
        "EUR",
        "--out",
        p(&offer),
    ]);
    let wrapped = nostr_tools(&["wrap", p(&listing), p(&offer)]);
    let wrap = nostr::prelude::Event::from_json(wrapped["wrap"].to_string()).unwrap();
    let sent =
        vrm_vault::relay::publish_all(std::slice::from_ref(&url), &wrap, Duration::from_secs(5));
    assert!(sent[0].status.is_accepted(), "{sent:?}");
    let fetched: Value =
        serde_json::from_str(&vrm_ok(&dir, &["offer", "fetch", "--json"])).unwrap();
    assert_eq!(
        fetched["imported"].as_array().unwrap().len(),
        1,
        "{fetched}"
    );
    let imported = &fetched["imported"][0]["offer"];
    assert_eq!(imported["market"]["seller_key"], wrapped["seller_pubkey"]);
    let offer_id = imported["id"].as_str().unwrap().to_string();
    // Our acceptance, gift wrapped back, opens in nostr-tools.
    vrm_ok(&dir, &["offer", "accept", &offer_id]);
    let seller_pk =
        nostr::prelude::PublicKey::from_hex(wrapped["seller_pubkey"].as_str().unwrap()).unwrap();
    let back = vrm_vault::relay::query_all(
        &[url],
        &[nostr::prelude::Filter::new()
            .kind(Kind::GiftWrap)
            .pubkey(seller_pk)],
        Duration::from_secs(5),
    );
    assert_eq!(back.events.len(), 1);
    let wrap_file = tmp.path().join("acceptance-wrap.json");
    std::fs::write(&wrap_file, back.events[0].event.as_json()).unwrap();
    let opened = nostr_tools(&[
        "unwrap",
        p(&wrap_file),
        wrapped["seller_secret"].as_str().unwrap(),
    ]);
    let doc = &opened["document"];
    assert!(
        doc["type"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "OfferAcceptance"),
        "{doc}"
    );
    assert_eq!(
        doc["credentialSubject"]["offerId"],
        format!("urn:uuid:{offer_id}").as_str()
    );
    // The acceptance verifies as any eddsa-jcs-2022 credential does.
    vrm_vault::proof::verify_credential(doc, chrono::Utc::now()).unwrap();
}
