//! Discovery from mail: a generated corpus (tests/mail_corpus.rs) through
//! the core and the `vrm discover` commands: what is proposed, accepting,
//! ignoring, merging, re-runs, residue and bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use vrm_vault::discover::{AcceptOptions, Proposal, RunOptions, Summary};
use vrm_vault::{BrandInput, RecordFilter, RecordKind, Vault};

use crate::mail_corpus::{self, BODY_CANARY, ME, Mail};
use crate::util::{self, assert_nowhere, new_vault, vault_dir, vrm, vrm_ok};

fn write_mbox(dir: &Path, name: &str, mails: &[Vec<u8>]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, mail_corpus::mbox(mails)).unwrap();
    p
}

fn corpus_mbox(dir: &Path) -> PathBuf {
    let mails: Vec<Vec<u8>> = mail_corpus::corpus().into_iter().map(|(_, m)| m).collect();
    write_mbox(dir, "corpus.mbox", &mails)
}

fn me() -> RunOptions<'static> {
    RunOptions {
        me: vec![ME.to_string(), "jane+shop@example.org".to_string()],
        ..Default::default()
    }
}

fn run(vault: &mut Vault, mbox: &Path) -> Summary {
    vault.discovery().mbox(&[mbox.to_path_buf()], me()).unwrap()
}

fn by_domain(list: &[Proposal]) -> BTreeMap<String, Proposal> {
    list.iter().map(|p| (p.domain.clone(), p.clone())).collect()
}

fn skipped(s: &Summary, reason: &str) -> u64 {
    s.skipped.get(reason).copied().unwrap_or(0)
}

#[test]
fn a_mailbox_becomes_proposals_by_organisational_domain() {
    let (tmp, mut vault) = new_vault();
    let mbox = corpus_mbox(tmp.path());
    let s = run(&mut vault, &mbox);
    assert_eq!(s.messages, 13, "{s:?}");
    assert_eq!(s.staged, 11, "{s:?}");
    assert_eq!(skipped(&s, "personal correspondent"), 1, "{s:?}");
    assert_eq!(
        skipped(&s, "unreadable") + skipped(&s, "no sender"),
        1,
        "{s:?}"
    );
    assert_eq!((s.proposals_new, s.proposals_updated), (4, 0));

    let list = vault.discovery().list().unwrap();
    let p = by_domain(&list);
    assert_eq!(
        p.keys().collect::<Vec<_>>(),
        [
            "acme.com.au",
            "cafe-creme.fr",
            "shop.co.uk",
            "tunes.example"
        ]
    );
    assert!(!p.contains_key("gmail.com"));

    let shop = &p["shop.co.uk"];
    assert_eq!(shop.name, "Shop");
    assert_eq!(
        shop.senders,
        [
            "news@news.email.shop.co.uk",
            "orders@orders.shop.co.uk",
            "support@shop.co.uk"
        ]
    );
    assert_eq!(
        (shop.messages, shop.inbound, shop.outbound, shop.marketing),
        (5, 4, 1, 2)
    );
    assert_eq!(shop.holds, ["jane+shop@example.org", "jane@example.org"]);
    assert_eq!(shop.threads, 1);
    assert_eq!(shop.existing_brand, None);
    assert_eq!(shop.first_seen.to_string(), "2026-03-02");
    assert_eq!(shop.last_seen.to_string(), "2026-03-06");
    let u = shop.unsubscribe.as_ref().unwrap();
    assert_eq!(u.https.as_deref(), Some("https://shop.co.uk/unsub/abc"));
    let interactions: Vec<_> = shop
        .records
        .iter()
        .filter(|r| r.kind == RecordKind::Interaction)
        .collect();
    assert_eq!(interactions.len(), 5);
    let reply = interactions
        .iter()
        .find(|r| r.fields["direction"] == "outbound")
        .unwrap();
    assert_eq!(reply.fields["purpose"], "support");
    assert_eq!(reply.fields["contact"], "support@shop.co.uk");
    assert_eq!(reply.fields["summary"], "Re: Your order 1001 is confirmed");
    let sale = interactions
        .iter()
        .find(|r| r.fields["summary"] == "Spring sale: 20% off")
        .unwrap();
    assert_eq!(sale.fields["purpose"], "marketing");
    assert_eq!(sale.fields["channel"], "email");
    assert_eq!(sale.fields["date"], "2026-03-03");

    let acme = &p["acme.com.au"];
    assert_eq!(acme.name, "ACME");
    let account = acme
        .records
        .iter()
        .find(|r| r.kind == RecordKind::Account)
        .expect("a sign-up confirmation proposes an account");
    assert_eq!(account.fields["email"], ME);
    assert_eq!(p["cafe-creme.fr"].name, "Café Crème");
    assert_eq!(
        p["cafe-creme.fr"].samples,
        ["Commande n° A17 confirmée"],
        "UTF-8 encoded words are decoded"
    );
    assert_eq!(p["tunes.example"].name, "Tunes");

    // Orders only from markup: JSON-LD in quoted-printable HTML, Microdata
    // in base64 HTML; three monthly receipts make a subscription.
    let fields_of = |p: &Proposal, kind: RecordKind| -> Vec<BTreeMap<String, String>> {
        p.records
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.fields.clone())
            .collect()
    };
    let shop_orders = fields_of(shop, RecordKind::Purchase);
    assert_eq!(shop.orders, 1);
    assert_eq!(shop_orders[0]["item"], "Blue Kettle");
    assert_eq!(shop_orders[0]["price"], "34.99 GBP");
    assert_eq!(shop_orders[0]["order"], "1001");
    assert_eq!(shop_orders[0]["store"], "Shop Ltd");
    assert_eq!(shop_orders[0]["date"], "2026-03-02");
    let cafe = fields_of(&p["cafe-creme.fr"], RecordKind::Purchase);
    assert_eq!(cafe.len(), 1, "{cafe:?}");
    assert_eq!(cafe[0]["item"], "Café moulu 1 kg");
    assert_eq!(cafe[0]["price"], "18.50 EUR");
    assert_eq!(cafe[0]["order"], "A17");
    let tunes = &p["tunes.example"];
    assert_eq!(fields_of(tunes, RecordKind::Purchase).len(), 3);
    let subs = fields_of(tunes, RecordKind::Subscription);
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(subs[0]["plan"], "Tunes Premium");
    assert_eq!(subs[0]["period"], "monthly");
    assert_eq!(subs[0]["price"], "9.99 EUR");
    assert_eq!(subs[0]["date"], "2026-01-05");
    // No markup, no purchase: the newsletters and the sign-up invent none.
    assert!(fields_of(&p["acme.com.au"], RecordKind::Purchase).is_empty());
}

#[test]
fn running_twice_proposes_nothing_new_and_accepting_twice_adds_nothing() {
    let (tmp, mut vault) = new_vault();
    let mbox = corpus_mbox(tmp.path());
    run(&mut vault, &mbox);
    let before = vault.discovery().list().unwrap();
    let again = run(&mut vault, &mbox);
    assert_eq!(again.staged, 0);
    assert_eq!(skipped(&again, "already seen"), 11);
    assert_eq!((again.proposals_new, again.proposals_updated), (0, 0));
    assert_eq!(vault.discovery().list().unwrap(), before);

    let p = by_domain(&before);
    let accepted = vault
        .discovery()
        .accept(
            &[&p["shop.co.uk"].id, &p["acme.com.au"].id[..6]],
            false,
            AcceptOptions::default(),
        )
        .unwrap();
    assert_eq!(accepted.brands_new, 2);
    assert_eq!(accepted.records["interaction"], 7);
    assert_eq!(accepted.records["account"], 1);
    let left = by_domain(&vault.discovery().list().unwrap());
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        ["cafe-creme.fr", "tunes.example"]
    );
    let shop = vault.brand("Shop").unwrap();
    assert_eq!(shop.domain.as_deref(), Some("shop.co.uk"));
    let records = |v: &mut Vault| v.list_records(&RecordFilter::default()).unwrap().len();
    let n = records(&mut vault);

    // The same mail again, and a proposal id no longer waiting.
    let third = run(&mut vault, &mbox);
    assert_eq!(third.staged, 0);
    assert_eq!(records(&mut vault), n);
    let e = vault
        .discovery()
        .accept(&[&p["shop.co.uk"].id], false, AcceptOptions::default())
        .unwrap_err();
    assert_eq!(e.code(), "discover.not_found");
    assert_eq!(vault.brands().unwrap().len(), 2);

    // New mail from an accepted brand is proposed as an update of it.
    let new = Mail::new(
        "Shop Orders <orders@orders.shop.co.uk>",
        ME,
        "Your order 1002 has shipped",
        "Fri, 13 Mar 2026 09:00:00 +0000",
        "o1002@orders.shop.co.uk",
    )
    .text("On its way.")
    .bytes();
    let more = write_mbox(tmp.path(), "more.mbox", &[new]);
    let s = run(&mut vault, &more);
    assert_eq!((s.proposals_new, s.proposals_updated), (0, 1));
    let update = by_domain(&vault.discovery().list().unwrap())["shop.co.uk"].clone();
    assert_eq!(update.existing_brand.as_ref(), Some(&shop.id));
    assert_eq!(update.messages, 1);
    let a = vault
        .discovery()
        .accept(&[&update.id], false, AcceptOptions::default())
        .unwrap();
    assert_eq!((a.brands_new, a.brands_updated), (0, 1));
    assert_eq!(vault.brands().unwrap().len(), 2);
    assert_eq!(records(&mut vault), n + 1);
}

#[test]
fn existing_brands_are_matched_by_domain_or_name_not_duplicated() {
    let (tmp, mut vault) = new_vault();
    let mut by_domain_input = BrandInput::named("Shop UK");
    by_domain_input.domain = Some("www.shop.co.uk".into());
    let shop = vault.add_brand(&by_domain_input).unwrap();
    let tunes = vault.add_brand(&BrandInput::named("tunes")).unwrap();
    run(&mut vault, &corpus_mbox(tmp.path()));
    let p = by_domain(&vault.discovery().list().unwrap());
    assert_eq!(p["shop.co.uk"].existing_brand.as_ref(), Some(&shop.id));
    assert_eq!(p["tunes.example"].existing_brand.as_ref(), Some(&tunes.id));
    let a = vault
        .discovery()
        .accept(&[], true, AcceptOptions::default())
        .unwrap();
    assert_eq!((a.brands_new, a.brands_updated), (2, 2));
    assert_eq!(vault.brands().unwrap().len(), 4);
    let shop_records = vault
        .list_records(&RecordFilter {
            brand: Some(shop.id.to_string()),
            ..Default::default()
        })
        .unwrap();
    // Five interactions and the order its markup states.
    assert_eq!(shop_records.len(), 6);
    assert!(shop_records.iter().all(|r| r.tags == ["from-email"]));
}

#[test]
fn ignored_senders_are_not_proposed_again_and_merge_picks_the_brand() {
    let (tmp, mut vault) = new_vault();
    run(&mut vault, &corpus_mbox(tmp.path()));
    let p = by_domain(&vault.discovery().list().unwrap());
    assert_eq!(
        vault.discovery().ignore(&[&p["tunes.example"].id]).unwrap(),
        1
    );
    let paris = vault
        .add_brand(&BrandInput::named("Café Crème Paris"))
        .unwrap();
    let a = vault
        .discovery()
        .merge(
            &p["cafe-creme.fr"].id,
            "Café Crème Paris",
            AcceptOptions::default(),
        )
        .unwrap();
    assert_eq!((a.brands_new, a.brands_updated), (0, 1));
    let left = by_domain(&vault.discovery().list().unwrap());
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        ["acme.com.au", "shop.co.uk"]
    );

    let later = |id: &str, from: &str| {
        Mail::new(
            from,
            ME,
            "Hello again",
            "Sun, 15 Mar 2026 09:00:00 +0000",
            id,
        )
        .text("x")
        .bytes()
    };
    let more = write_mbox(
        tmp.path(),
        "later.mbox",
        &[
            later("r9@tunes.example", "Tunes <billing@tunes.example>"),
            later("c9@cafe-creme.fr", "Café Crème <news@cafe-creme.fr>"),
        ],
    );
    let s = run(&mut vault, &more);
    assert_eq!(skipped(&s, "ignored sender"), 1, "{s:?}");
    assert_eq!(s.staged, 1);
    let cafe = by_domain(&vault.discovery().list().unwrap())["cafe-creme.fr"].clone();
    assert_eq!(cafe.existing_brand.as_ref(), Some(&paris.id));
}

#[test]
fn threads_can_be_collapsed_into_one_interaction() {
    let (tmp, mut vault) = new_vault();
    run(&mut vault, &corpus_mbox(tmp.path()));
    let p = by_domain(&vault.discovery().list().unwrap());
    let a = vault
        .discovery()
        .accept(
            &[&p["shop.co.uk"].id],
            false,
            AcceptOptions {
                collapse_threads: true,
            },
        )
        .unwrap();
    // The order, the reply and the answer are one thread; two newsletters.
    assert_eq!(a.records["interaction"], 3);
}

#[test]
fn what_brands_hold_by_observation_is_on_the_exposure_map() {
    let (tmp, mut vault) = new_vault();
    run(&mut vault, &corpus_mbox(tmp.path()));
    let p = by_domain(&vault.discovery().list().unwrap());
    vault
        .discovery()
        .accept(&[&p["shop.co.uk"].id], false, AcceptOptions::default())
        .unwrap();
    let exposure = vault.shares().exposure().unwrap();
    let email = exposure.iter().find(|i| i.item == "email").unwrap();
    assert!(email.holders.is_empty(), "nothing was shared");
    let seen: Vec<_> = email
        .observed
        .iter()
        .map(|o| (o.brand_name.as_str(), o.value.as_str(), o.source.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("Shop", "jane+shop@example.org", "observed"),
            ("Shop", ME, "observed")
        ]
    );
    let o = &email.observed[1];
    assert_eq!(
        (
            o.first_seen.to_string(),
            o.last_seen.to_string(),
            o.messages
        ),
        // The order, the support answer, and Jane's own reply.
        ("2026-03-02".into(), "2026-03-05".into(), 3)
    );
    // The newest bulk mail's header is kept: it no longer offers one-click.
    let u = vault.discovery().unsubscribe("Shop").unwrap().unwrap();
    assert!(!u.one_click);
    assert_eq!(u.https.as_deref(), Some("https://shop.co.uk/unsub/abc"));
    assert!(u.mailto.is_none() || u.mailto.as_deref().unwrap().starts_with("mailto:"));
}

#[test]
fn no_mail_content_reaches_the_vault_files() {
    let (tmp, mut vault) = new_vault();
    let dir = vault_dir(&tmp);
    run(&mut vault, &corpus_mbox(tmp.path()));
    let p = by_domain(&vault.discovery().list().unwrap());
    vault
        .discovery()
        .accept(&[&p["acme.com.au"].id], false, AcceptOptions::default())
        .unwrap();
    drop(vault);
    for (needle, what) in [
        (BODY_CANARY, "a body canary"),
        ("Spring sale", "a staged subject"),
        ("Welcome to ACME", "an accepted subject"),
        ("jane+shop@example.org", "an address"),
        ("news.email.shop.co.uk", "a sender domain"),
        ("shop.co.uk", "an organisational domain"),
        ("o1001@orders.shop.co.uk", "a Message-ID"),
        ("Blue Kettle", "an item"),
    ] {
        assert_nowhere(&dir, needle.as_bytes(), what);
    }
}

#[test]
fn bad_mail_is_skipped_with_a_reason_and_never_panics() {
    let (tmp, mut vault) = new_vault();
    let bomb = {
        let mut m = String::from(
            "From: a@bomb.example\r\nTo: jane@example.org\r\nSubject: nest\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\nMessage-ID: <bomb@bomb.example>\r\n",
        );
        for i in 0..5000 {
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
            ));
        }
        m.into_bytes()
    };
    let many_headers = {
        let mut m =
            String::from("From: a@headers.example\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n");
        for i in 0..200_000 {
            m.push_str(&format!("X-H{i}: v\r\n"));
        }
        m.push_str("\r\nbody\r\n");
        m.into_bytes()
    };
    let mails = vec![
        b"From: \"unterminated <a@x.example\r\nSubject: =?utf-8?q?broken=?=\r\n\r\n".to_vec(),
        b"From: a@charset.example\r\nTo: jane@example.org\r\nSubject: =?x-unknown-charset?Q?caf=E9?=\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\nx".to_vec(),
        b"From: a@nul.example\r\nSubject: nul\0inside\r\nDate: Mon, 02 Mar 2026 09:00:00 +0000\r\n\r\n\0\0\0".to_vec(),
        b"From: a@nodate.example\r\nSubject: no date\r\n\r\nx".to_vec(),
        bomb,
        many_headers,
        b"=?utf-8?b?=?=?=?=?=\r\n\r\n".to_vec(),
    ];
    let mut text = mail_corpus::mbox(&mails);
    text.extend_from_slice(
        b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\nFrom: a@cut.example\nSubj",
    );
    let p = tmp.path().join("bad.mbox");
    std::fs::write(&p, text).unwrap();
    let s = vault.discovery().mbox(&[p], me()).unwrap();
    assert_eq!(s.messages, 8, "{s:?}");
    assert_eq!(s.staged + s.skipped.values().sum::<u64>(), 8, "{s:?}");
    // No envelope date fallback here: the mbox From lines carry one.
    assert_eq!(skipped(&s, "no date"), 0, "{s:?}");
    for p in vault.discovery().list().unwrap() {
        for sample in &p.samples {
            assert!(!sample.contains('\0'), "{sample:?}");
        }
    }
}

#[test]
fn a_source_that_is_not_mail_changes_nothing() {
    let (tmp, mut vault) = new_vault();
    let good = corpus_mbox(tmp.path());
    let not_mbox = tmp.path().join("notes.txt");
    std::fs::write(&not_mbox, "Dear diary,\n").unwrap();
    let e = vault
        .discovery()
        .mbox(&[good.clone(), not_mbox], me())
        .unwrap_err();
    assert_eq!(e.code(), "discover.bad_source");
    assert!(
        e.to_string().contains("notes.txt is not an mbox file"),
        "{e}"
    );
    assert!(vault.discovery().list().unwrap().is_empty());
    let e = vault
        .discovery()
        .maildir(&[tmp.path().to_path_buf()], me())
        .unwrap_err();
    assert_eq!(e.code(), "discover.bad_source");
    let e = vault
        .discovery()
        .mbox(
            &[good],
            RunOptions {
                me: vec!["not an address".into()],
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.field(), Some("me"));
    assert!(vault.discovery().list().unwrap().is_empty());
}

#[test]
fn maildir_and_eml_sources_find_the_same_brands() {
    let (tmp, mut vault) = new_vault();
    let md = tmp.path().join("Maildir");
    let eml = tmp.path().join("eml");
    for d in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(d)).unwrap();
    }
    std::fs::create_dir_all(&eml).unwrap();
    for (i, (_, m)) in mail_corpus::corpus().into_iter().enumerate() {
        std::fs::write(md.join("cur").join(format!("{i}.host:2,S")), &m).unwrap();
        std::fs::write(eml.join(format!("{i}.eml")), &m).unwrap();
    }
    let s = vault.discovery().maildir(&[md], me()).unwrap();
    assert_eq!((s.messages, s.staged, s.proposals_new), (13, 11, 4));
    let s = vault.discovery().eml(&[eml], me()).unwrap();
    assert_eq!((s.staged, skipped(&s, "already seen")), (0, 11));
}

#[test]
fn the_command_line_runs_lists_and_accepts() {
    let (tmp, dir, _code) = util::cli_vault();
    let mbox = corpus_mbox(tmp.path());
    let out = vrm_ok(
        &dir,
        &[
            "discover",
            "mbox",
            mbox.to_str().unwrap(),
            "--me",
            ME,
            "--me",
            "jane+shop@example.org",
        ],
    );
    assert!(
        out.contains("Read 13 message(s); 11 staged for review."),
        "{out}"
    );
    assert!(out.contains("skipped 1: personal correspondent"), "{out}");
    assert!(out.contains("Proposals: 4 new, 0 updated."), "{out}");
    let json = vrm_ok(&dir, &["discover", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    let shop = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["domain"] == "shop.co.uk")
        .unwrap();
    for key in [
        "id",
        "name",
        "domain",
        "senders",
        "existing_brand",
        "messages",
        "inbound",
        "outbound",
        "marketing",
        "orders",
        "holds",
        "first_seen",
        "last_seen",
        "unsubscribe",
        "records",
    ] {
        assert!(shop.get(key).is_some(), "{key} missing from {shop}");
    }
    let id = shop["id"].as_str().unwrap();
    let out = vrm_ok(&dir, &["discover", "accept", id]);
    assert!(out.starts_with("Accepted: 1 new brand(s)"), "{out}");
    let out = vrm_ok(&dir, &["discover", "accept", "--all", "--collapse-threads"]);
    assert!(out.starts_with("Accepted: 3 new brand(s)"), "{out}");
    let out = vrm(&dir)
        .args(["discover", "accept", "ffffff"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no proposal ffffff"));
    let out = vrm(&dir).args(["discover", "accept"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an id or --all is required");
    let brands = vrm_ok(&dir, &["brand", "list"]);
    for name in ["Shop", "ACME", "Café Crème", "Tunes"] {
        assert!(brands.contains(name), "{name} not in {brands}");
    }
    let exposure = vrm_ok(&dir, &["exposure"]);
    assert!(exposure.contains("observed"), "{exposure}");
}

/// The messages staged, over every proposal.
fn staged_total(dir: &Path) -> u64 {
    let json = vrm_ok(dir, &["discover", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["messages"].as_u64().unwrap())
        .sum()
}

#[cfg(unix)]
#[test]
fn a_kill_during_discovery_leaves_whole_batches_and_a_rerun_completes() {
    let (tmp, dir, _code) = util::cli_vault();
    let mbox = tmp.path().join("big.mbox");
    std::fs::write(&mbox, mail_corpus::big_mbox(3000, 40)).unwrap();
    let mut rng = util::Rng::new(util::seed_from("VRM_DISCOVER_KILL_SEED"));
    let mut child = util::vrm_process(&dir)
        .args(["discover", "mbox", mbox.to_str().unwrap(), "--me", ME])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300 + rng.below(1500)));
    let _ = child.kill();
    let _ = child.wait();
    let staged = staged_total(&dir);
    assert!(
        staged.is_multiple_of(500) || staged == 3000,
        "{staged} messages staged: not whole batches"
    );
    let out = vrm_ok(
        &dir,
        &["discover", "mbox", mbox.to_str().unwrap(), "--me", ME],
    );
    assert!(
        out.contains(&format!("{} staged for review", 3000 - staged)),
        "{out}"
    );
    assert_eq!(staged_total(&dir), 3000);
}

#[test]
fn an_imap_account_is_read_incrementally_through_the_command_line() {
    let Some(d) = crate::dovecot::Dovecot::start_or_skip() else {
        return;
    };
    for (_, m) in mail_corpus::corpus() {
        d.add_message("INBOX", &m);
    }
    let (tmp, dir, _code) = util::cli_vault();
    let password_file = tmp.path().join("imap-password");
    std::fs::write(&password_file, d.password()).unwrap();
    let port = d.tls_port().to_string();
    let args = [
        "discover",
        "imap",
        "--host",
        "localhost",
        "--port",
        &port,
        "--user",
        d.user(),
        "--password-file",
        password_file.to_str().unwrap(),
        "--ca-file",
        d.ca_file().to_str().unwrap(),
        "--me",
        ME,
        "--me",
        "jane+shop@example.org",
    ];
    let out = vrm_ok(&dir, &args);
    assert!(out.contains("INBOX: 13 new message(s)"), "{out}");
    assert!(out.contains("11 staged for review"), "{out}");
    assert!(out.contains("Proposals: 4 new, 0 updated."), "{out}");
    let list = by_domain_json(&dir);
    assert_eq!(list["shop.co.uk"]["messages"], 5);
    assert_eq!(list["cafe-creme.fr"]["name"], "Café Crème");

    // Nothing new: nothing fetched. Two new messages: exactly those.
    let out = vrm_ok(&dir, &args);
    assert!(out.contains("INBOX: 0 new message(s)"), "{out}");
    for i in 0..2 {
        d.add_message(
            "INBOX",
            &Mail::new(
                "Shop Orders <orders@orders.shop.co.uk>",
                ME,
                &format!("Order {i} shipped"),
                "Fri, 13 Mar 2026 09:00:00 +0000",
                &format!("later{i}@orders.shop.co.uk"),
            )
            .text("x")
            .bytes(),
        );
    }
    let out = vrm_ok(&dir, &args);
    assert!(out.contains("INBOX: 2 new message(s)"), "{out}");
    assert!(out.contains("2 staged for review"), "{out}");
    assert_eq!(by_domain_json(&dir)["shop.co.uk"]["messages"], 7);

    // The password is in no vault file and in no output; a wrong one is
    // its own error (exit 3, as for a wrong passphrase).
    assert_nowhere(&dir, d.password().as_bytes(), "the IMAP password");
    std::fs::write(&password_file, "not the password").unwrap();
    let out = vrm(&dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the user name or password"), "{err}");
    assert!(!err.contains("not the password") && !err.contains(d.password()));
    // The server's mail is as it was: read-only.
    assert!(d.flags("INBOX").values().all(|f| !f.contains('S')));
}

fn by_domain_json(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    let json = vrm_ok(dir, &["discover", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&json).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| (p["domain"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

#[test]
fn one_click_unsubscription_posts_the_rfc_8058_body_and_nothing_else() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let (tmp, dir, _code) = util::cli_vault();
    let news = Mail::new(
        "Lists <news@lists.example>",
        ME,
        "Weekly",
        "Mon, 02 Mar 2026 09:00:00 +0000",
        "w1@lists.example",
    )
    .header(
        "List-Unsubscribe",
        &format!("<http://127.0.0.1:{port}/u/xyz>, <mailto:leave@lists.example>"),
    )
    .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    .text("News.")
    .bytes();
    let mbox = write_mbox(tmp.path(), "lists.mbox", &[news]);
    vrm_ok(
        &dir,
        &["discover", "mbox", mbox.to_str().unwrap(), "--me", ME],
    );
    vrm_ok(&dir, &["discover", "accept", "--all"]);
    let shown = vrm_ok(&dir, &["discover", "unsubscribe", "Lists"]);
    assert!(
        shown.contains("write to: mailto:leave@lists.example"),
        "{shown}"
    );
    assert!(shown.contains("(one-click"), "{shown}");
    let got = std::thread::spawn(move || {
        let mut req = server.recv().unwrap();
        let mut body = String::new();
        req.as_reader().read_to_string(&mut body).unwrap();
        let seen = (
            req.method().to_string(),
            req.url().to_string(),
            body,
            req.headers()
                .iter()
                .any(|h| h.field.equiv("Cookie") || h.field.equiv("Authorization")),
        );
        req.respond(tiny_http::Response::empty(200)).unwrap();
        seen
    });
    let out = vrm_ok(&dir, &["discover", "unsubscribe", "Lists", "--one-click"]);
    assert!(out.contains("answered 200"), "{out}");
    let (method, url, body, credentials) = got.join().unwrap();
    assert_eq!((method.as_str(), url.as_str()), ("POST", "/u/xyz"));
    assert_eq!(body, "List-Unsubscribe=One-Click");
    assert!(!credentials);
}

/// Cancels the run once it has seen `after` messages.
struct CancelAfter {
    after: u64,
    cancel: vrm_vault::discover::Cancel,
    updates: u64,
}

impl vrm_vault::discover::Progress for CancelAfter {
    fn update(&mut self, summary: &Summary, _bytes: Option<(u64, u64)>) {
        self.updates += 1;
        if summary.messages >= self.after {
            self.cancel.cancel();
        }
    }
}

/// A file is read on a thread of its own while the run stages: a cancel
/// stops both, keeps whole batches only, and a re-run stages the rest.
#[test]
fn a_cancelled_run_stops_its_reader_and_a_rerun_stages_the_rest() {
    let (tmp, mut vault) = new_vault();
    let mbox = tmp.path().join("big.mbox");
    std::fs::write(&mbox, mail_corpus::big_mbox(2600, 30)).unwrap();
    let cancel = vrm_vault::discover::Cancel::new();
    let mut progress = CancelAfter {
        after: 1100,
        cancel: cancel.clone(),
        updates: 0,
    };
    let err = vault
        .discovery()
        .mbox(
            std::slice::from_ref(&mbox),
            RunOptions {
                me: vec![ME.to_string()],
                cancel: cancel.clone(),
                progress: Some(&mut progress),
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "cancelled", "{err}");
    assert!(progress.updates > 0);
    let staged: u64 = vault
        .discovery()
        .list()
        .unwrap()
        .iter()
        .map(|p| u64::from(p.messages))
        .sum();
    // Stopped soon after it was asked to, with what it had staged
    // committed (the batches, and the part batch the cancel flushed).
    assert!((1100..1400).contains(&staged), "{staged} staged");

    let s = run(&mut vault, &mbox);
    assert_eq!(s.messages, 2600, "{s:?}");
    assert_eq!(s.staged, 2600 - staged, "{s:?}");
    assert_eq!(skipped(&s, "already seen"), staged, "{s:?}");
}

/// Two files in one run read as one: the same counts as each alone.
#[test]
fn several_files_in_one_run_count_as_each_alone() {
    let (tmp, mut vault) = new_vault();
    let a = tmp.path().join("a.mbox");
    let b = tmp.path().join("b.mbox");
    std::fs::write(&a, mail_corpus::big_mbox_part(0, 700, 20)).unwrap();
    std::fs::write(&b, mail_corpus::big_mbox_part(700, 700, 20)).unwrap();
    let s = vault.discovery().mbox(&[a, b], me()).unwrap();
    assert_eq!((s.messages, s.staged), (1400, 1400), "{s:?}");
    let staged: u64 = vault
        .discovery()
        .list()
        .unwrap()
        .iter()
        .map(|p| u64::from(p.messages))
        .sum();
    assert_eq!(staged, 1400);
}
