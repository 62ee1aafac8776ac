//! Relay benchmarks (issue 15), each against its baseline in the same run:
//!
//! - **seller-side verify**: the checks `vrm brand-kit watch` makes on an
//!   intent listing (event id and signature, the credential's
//!   eddsa-jcs-2022 proof and expiry, the PDC-INTENT terms' proof and
//!   digest, the event matching the credential), in intents per second,
//!   against the bare event-signature check alone (criterion);
//! - **broadcast and an offer back**: an intent published to 3 relays on
//!   loopback, a seller's gift-wrapped offer published to them, and the
//!   person's fetch importing it (median of `VRM_BENCH_ROUNDS`, 20 by
//!   default), against one publish of one event to one relay.
//!
//! `cargo bench --bench relay`. The relays are the tests' (nostr-relay from
//! PyPI in target/relay-venv, or nostr-rs-relay with VRM_TEST_NOSTR_RS_RELAY).

#[path = "isolated_config.rs"]
mod isolated_config;

use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{Criterion, criterion_group};
use secrecy::SecretString;
use vrm_vault::Vault;
use vrm_vault::brandkit::BrandKey;
use vrm_vault::crypto::KdfParams;
use vrm_vault::intent::{IntentInput, check_intent_event};
use vrm_vault::relay::RelayUrl;
use vrm_vault::terms::Template;

// The tests' relay on loopback.
#[path = "../tests/processes.rs"]
mod processes;
#[path = "../tests/relay_server.rs"]
#[allow(dead_code)]
mod relay_server;

const TIMEOUT: Duration = Duration::from_secs(10);

fn vault_with_terms(dir: &std::path::Path) -> Vault {
    let mut vault = Vault::create(
        dir,
        &SecretString::from("correct horse battery staple"),
        KdfParams::minimum().unwrap(),
    )
    .unwrap()
    .0;
    let t = Template::PdcIntent;
    vault.terms().create(t, t.title(), &t.clauses()).unwrap();
    vault
}

fn intent(vault: &mut Vault) -> String {
    vault
        .intents()
        .create(&IntentInput {
            category: "bicycle".into(),
            description: "A city bike, 54 cm frame".into(),
            budget_max: Some(vrm_vault::intent::parse_amount("300").unwrap()),
            currency: Some("EUR".into()),
            expires_at: Utc::now() + chrono::Duration::days(7),
            ..Default::default()
        })
        .unwrap()
        .id
        .to_string()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn seller_verify(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let mut vault = vault_with_terms(&tmp.path().join("v"));
    let id = intent(&mut vault);
    let event = vault
        .intents()
        .prepare_broadcast(&id, Some("u09t"))
        .unwrap();
    let now = Utc::now();
    check_intent_event(&event, now).unwrap();

    let mut g = c.benchmark_group("seller_verify");
    g.bench_function("bare_event_signature", |b| {
        b.iter(|| event.verify().unwrap())
    });
    g.bench_function("intent_checks", |b| {
        b.iter(|| check_intent_event(&event, now).unwrap())
    });
    g.finish();

    // The same two, timed here for the ratio and the rate.
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        event.verify().unwrap();
    }
    let bare = t.elapsed();
    let t = Instant::now();
    for _ in 0..n {
        check_intent_event(&event, now).unwrap();
    }
    let full = t.elapsed();
    println!(
        "seller verify: {:.0} intents/s with every check, {:.0}/s bare signature; ratio {:.2}x (goal: >= 2,000/s)",
        n as f64 / full.as_secs_f64(),
        n as f64 / bare.as_secs_f64(),
        full.as_secs_f64() / bare.as_secs_f64()
    );
}

fn broadcast_and_offer_back(_: &mut Criterion) {
    let relays: Vec<relay_server::RelayServer> = (0..3)
        .filter_map(|_| relay_server::RelayServer::start_or_skip())
        .collect();
    if relays.len() < 3 {
        println!("broadcast and offer back: skipped (no relay installed)");
        return;
    }
    let urls: Vec<RelayUrl> = relays
        .iter()
        .map(|r| RelayUrl::parse(&r.url).unwrap())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let mut vault = vault_with_terms(&tmp.path().join("v"));
    let seller = BrandKey::generate().unwrap();
    let rounds = std::env::var("VRM_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20usize);
    let mut whole = Vec::new();
    let mut one_publish = Vec::new();
    for _ in 0..rounds {
        let id = intent(&mut vault);
        let t = Instant::now();
        let b = vault
            .intents()
            .broadcast(&id, None, &urls, TIMEOUT)
            .unwrap();
        assert!(b.relays.iter().all(|r| r.status.is_accepted()), "{b:?}");
        let doc = vault.intents().get(&id).unwrap().document;
        let intent_doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
        let (offer, _) = vrm_vault::intent::make_offer_as(
            doc.as_bytes(),
            &seller.signing,
            Some("Velo Shop"),
            "249",
            "EUR",
            None,
            None,
            Utc::now(),
        )
        .unwrap();
        let sent = vrm_vault::brandkit::market::send_offer(
            &seller,
            &intent_doc,
            &offer,
            Some(&b.event_id),
            &urls,
            TIMEOUT,
        )
        .unwrap();
        assert!(sent.iter().all(|r| r.status.is_accepted()));
        let got = vault
            .intents()
            .fetch_offers(Some(&id), &urls, TIMEOUT)
            .unwrap();
        assert_eq!(got.imported.len(), 1, "{got:?}");
        whole.push(t.elapsed());

        // Baseline: one new event to one relay (a relay may refuse a
        // duplicate, so not the listing again).
        let event = {
            use nostr::prelude::{EventBuilder, FinalizeEvent, Keys, Kind};
            EventBuilder::new(Kind::TextNote, format!("baseline {id}"))
                .finalize(&Keys::generate())
                .unwrap()
        };
        let t = Instant::now();
        let one = vrm_vault::relay::publish_all(&urls[..1], &event, TIMEOUT);
        assert!(one[0].status.is_accepted());
        one_publish.push(t.elapsed());
    }
    let (w, o) = (median(whole), median(one_publish));
    println!(
        "broadcast to 3 relays + offer back into the vault ({}): median {:.1} ms over {rounds} rounds \
         (goal <= 1,000 ms); one publish to one relay {:.1} ms; ratio {:.1}x",
        relays[0].name,
        ms(w),
        ms(o),
        w.as_secs_f64() / o.as_secs_f64()
    );
}

criterion_group!(benches, seller_verify, broadcast_and_offer_back);
fn main() {
    isolated_config::isolate_config();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
