//! Bad input to every parser and every document we open. Byte flips on a
//! signed document only ever reach the signature check, so the documents here
//! are VALID ones made by the real code, changed structurally (a value
//! replaced by any JSON, a key removed or added) and then signed again with
//! the rightful key: what runs after verification sees them. Properties:
//! never a panic; on `Err` nothing in the vault changed and the error has a
//! stable code that is not an internal one; on `Ok` the result says what the
//! document said.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use vrm_vault::brandkit::{self, BrandKey};
use vrm_vault::crypto::bundle::{self, AgeIdentity};
use vrm_vault::crypto::did::{self, SigningKey};
use vrm_vault::intent::{self, IntentInput};
use vrm_vault::proof;
use vrm_vault::share::ShareRequest;
use vrm_vault::terms::Template;
use vrm_vault::terms::agreement::Decision;
use vrm_vault::transfer::{self, BackupKey, BackupTo};
use vrm_vault::{AgreementId, Error, IntentId, OfferId, RecordKind, ShareId, Vault};

use crate::util::*;

// ---------------------------------------------------------------------------
// Structural mutations of a JSON document.

/// Strings that tend to matter: empty, huge, control characters, unicode,
/// and well-formed values of the fields the importers read.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "\\PC{0,24}",
        "[\\x00-\\x1f\\x7f\\u{202e}\\u{feff}\\u{fffd} a]{1,12}",
        (1usize..4).prop_map(|n| "é漢🙂\u{0}x".repeat(n * 20_000)),
        Just("urn:uuid:00000000-0000-0000-0000-000000000000".to_string()),
        any::<u128>().prop_map(|n| format!("urn:uuid:{}", uuid::Uuid::from_u128(n))),
        Just("2026-01-01T00:00:00Z".to_string()),
        Just("9999-12-31T23:59:59Z".to_string()),
        Just("0000-01-01T00:00:00+23:59".to_string()),
        Just("2026-02-30 25:61:61Z".to_string()),
        Just("accepted".to_string()),
        Just("refused".to_string()),
        Just("counter".to_string()),
        Just("EUR".to_string()),
        Just("12.50".to_string()),
        Just("999999999999999.9999".to_string()),
        Just("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".to_string()),
        Just("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p".to_string()),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(9_007_199_254_740_993u64)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        Just(json!(1e300)),
        Just(json!(-0.0)),
    ]
}

/// A change of a counter-offer, well formed or nearly.
fn clause_change() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("retentionDays".to_string()),
            Just("contact.maxContacts".to_string()),
            Just("noSuchClause".to_string()),
            text()
        ],
        text(),
        text(),
    )
        .prop_map(|(clause, from, to)| {
            json!({"clause": clause, "label": "Retention", "from": from, "to": to})
        })
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        text().prop_map(Value::from),
        prop::collection::vec(clause_change(), 0..3).prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id",
            "type",
            "issuer",
            "validFrom",
            "validUntil",
            "credentialSubject",
            "@context",
            "decision",
            "changes",
            "note",
            "terms",
            "digestSHA256",
            "shareId",
            "revocationId",
            "erasedAt",
            "intentId",
            "price",
            "currency",
            "description",
            "replyTo",
            "ageRecipient",
            "clauses",
            "budget",
            "quantity",
            "document",
        ])
        .prop_map(str::to_string),
        "\\PC{0,10}",
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(Value),
    Delete,
    Add(String, Value),
}

fn edit() -> impl Strategy<Value = (Index, Edit)> {
    let e = prop_oneof![
        3 => json_value().prop_map(Edit::Replace),
        1 => Just(Edit::Delete),
        2 => (key(), json_value()).prop_map(|(k, v)| Edit::Add(k, v)),
    ];
    (any::<Index>(), e)
}

fn edits() -> impl Strategy<Value = Vec<(Index, Edit)>> {
    prop::collection::vec(edit(), 1..4)
}

/// Every JSON pointer in `v` below the root.
fn pointers(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(child, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, &p, out);
            }
        }
        _ => {}
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn apply(doc: &mut Value, edits: &[(Index, Edit)]) {
    for (at, e) in edits {
        let mut all = Vec::new();
        pointers(doc, "", &mut all);
        if all.is_empty() {
            return;
        }
        // The subject's paths count twice: that is what importers read.
        let subject: Vec<String> = all
            .iter()
            .filter(|p| p.starts_with("/credentialSubject"))
            .cloned()
            .collect();
        all.extend(subject);
        let p = &all[at.index(all.len())];
        match e {
            Edit::Replace(v) => *doc.pointer_mut(p).unwrap() = v.clone(),
            Edit::Delete => {
                let (parent, last) = p.rsplit_once('/').unwrap();
                match doc.pointer_mut(parent).unwrap() {
                    Value::Object(m) => {
                        m.remove(&unescape(last));
                    }
                    Value::Array(a) => {
                        a.remove(last.parse::<usize>().unwrap());
                    }
                    _ => unreachable!(),
                }
            }
            Edit::Add(k, v) => match doc.pointer_mut(p).unwrap() {
                Value::Object(m) => {
                    m.insert(k.clone(), v.clone());
                }
                Value::Array(a) => a.push(v.clone()),
                other => *other = json!({ k.clone(): v.clone() }),
            },
        }
    }
}

/// Strip the proof, apply the edits, sign again with `key`. `None` when the
/// result cannot be signed (not canonicalizable, say): nothing to test.
fn mutate_and_sign(valid: &Value, edits: &[(Index, Edit)], key: &SigningKey) -> Option<Value> {
    let mut doc = valid.clone();
    doc.as_object_mut().unwrap().remove("proof");
    apply(&mut doc, edits);
    proof::sign(&doc, key, Utc::now()).ok()
}

/// The same, with the document re-issued by `key` first (for documents any
/// key may sign: what is checked is only that the signer is the issuer).
fn reissue_mutate_and_sign(
    valid: &Value,
    edits: &[(Index, Edit)],
    key: &SigningKey,
) -> Option<Value> {
    let mut doc = valid.clone();
    doc["issuer"] = json!(key.did());
    mutate_and_sign(&doc, edits, key)
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn subject(v: &Value) -> &Value {
    &v["credentialSubject"]
}

fn s<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn urn(v: Option<&str>) -> Option<String> {
    let rest = v?.strip_prefix("urn:uuid:")?;
    uuid::Uuid::parse_str(rest)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// Codes an error from foreign input may carry: never an internal one
/// (database, io, damage, tamper, random).
fn clean(e: &Error) -> Result<(), TestCaseError> {
    let code = e.code();
    prop_assert!(
        !matches!(
            code,
            "vault.database" | "io" | "vault.damaged" | "vault.tampered" | "crypto.random"
        ),
        "internal error code {} for foreign input: {}",
        code,
        e
    );
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

// ---------------------------------------------------------------------------
// The person's vault and a brand, with a document of every kind.

impl World {
    fn dir(&self) -> PathBuf {
        vault_dir(&self.tmp)
    }

    /// A share; returns its id and the bundle's bytes.
    fn share(&mut self) -> (ShareId, Vec<u8>) {
        let out = self
            .tmp
            .path()
            .join(format!("{}.age", uuid::Uuid::new_v4()));
        let id = self
            .vault
            .shares()
            .create(
                &ShareRequest {
                    brand: self.brand.clone(),
                    records: vec![self.record.clone()],
                    fields: vec![],
                    purpose: "bad input".into(),
                    expires_at: Utc::now() + Duration::days(30),
                    terms: None,
                },
                &out,
            )
            .unwrap()
            .id;
        let bundle = std::fs::read(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        (id, bundle)
    }

    /// A revoked share; returns the revocation document.
    fn revocation(&mut self) -> Value {
        let (id, _) = self.share();
        let out = self.tmp.path().join("revocation.json");
        self.vault
            .shares()
            .revoke(&id, Some("no more"), &out)
            .unwrap();
        let doc = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        std::fs::remove_file(&out).unwrap();
        doc
    }

    fn terms(&mut self) -> Value {
        self.vault
            .terms()
            .create(Template::SdBase, "Mine", &Template::SdBase.clauses())
            .unwrap();
        self.vault.terms().issue("latest", "Acme").unwrap().0
    }

    fn intent(&mut self) -> Value {
        let i = self
            .vault
            .intents()
            .create(&IntentInput {
                category: "lunch".into(),
                description: "vegetarian lunch for two".into(),
                quantity: Some(2),
                budget_max: Some(intent::parse_amount("30").unwrap()),
                currency: Some("EUR".into()),
                location: Some("Lyon".into()),
                needed_by: None,
                expires_at: Utc::now() + Duration::days(7),
                terms: None,
                brands: vec![self.brand.clone()],
            })
            .unwrap();
        serde_json::from_str(&i.document).unwrap()
    }
}

/// What must not change when an import fails: every file (but the `-shm`
/// index, which readers touch) and what the vault lists.
#[derive(Debug, PartialEq)]
struct Print {
    files: Vec<(PathBuf, Vec<u8>)>,
    shares: Vec<(ShareId, bool, bool)>,
    agreements: Vec<AgreementId>,
    offers: Vec<OfferId>,
    intents: Vec<IntentId>,
    audit: usize,
}

fn print(w: &mut World) -> Print {
    let mut files = snapshot(&w.dir());
    files.retain(|(p, _)| !p.to_string_lossy().ends_with("-shm"));
    Print {
        files,
        shares: w
            .vault
            .shares()
            .list(None)
            .unwrap()
            .into_iter()
            .map(|v| {
                (
                    v.share.id,
                    v.share.revocation.is_some(),
                    v.share.acknowledgment.is_some(),
                )
            })
            .collect(),
        agreements: w
            .vault
            .terms()
            .agreements()
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect(),
        offers: w
            .vault
            .intents()
            .offers(None)
            .unwrap()
            .into_iter()
            .map(|o| o.offer.id)
            .collect(),
        intents: w
            .vault
            .intents()
            .list()
            .unwrap()
            .into_iter()
            .map(|i| i.intent.id)
            .collect(),
        audit: w.vault.audit().entries().unwrap().0.len(),
    }
}

/// Run `import` on a vault; on `Err` it must have changed nothing and carry
/// a clean code; on `Ok`, `check` judges the result.
fn import_cleanly<T>(
    w: &mut World,
    import: impl FnOnce(&mut Vault) -> vrm_vault::Result<T>,
    check: impl FnOnce(&mut World, T) -> Result<(), TestCaseError>,
) -> Result<bool, TestCaseError> {
    let before = print(w);
    match import(&mut w.vault) {
        Ok(t) => {
            check(w, t)?;
            prop_assert_eq!(print(w).audit, before.audit + 1, "one log entry per import");
            Ok(true)
        }
        Err(e) => {
            clean(&e)?;
            prop_assert!(
                before == print(w),
                "a failed import changed the vault: {}",
                e
            );
            Ok(false)
        }
    }
}

// ---------------------------------------------------------------------------
// The person's importers, fed re-signed mutated documents.

#[test]
fn mutated_answers_to_terms_signed_by_the_brand_import_as_they_say_or_change_nothing() {
    let mut w = world();
    let terms = w.terms();
    let terms_bytes = bytes(&terms);
    let w = RefCell::new(w);
    let accepted = std::cell::Cell::new(0);
    runner(96)
        .run(
            &(
                prop::sample::select(vec![
                    Decision::Accepted,
                    Decision::Refused,
                    Decision::Counter,
                ]),
                edits(),
            ),
            |(decision, edits)| {
                let mut w = w.borrow_mut();
                let changes = if decision == Decision::Counter {
                    vec![("retentionDays".to_string(), "7".to_string())]
                } else {
                    vec![]
                };
                let valid = brandkit::agree(
                    &terms_bytes,
                    &w.key,
                    decision,
                    &changes,
                    Some("a note"),
                    Utc::now(),
                )
                .unwrap();
                let Some(doc) = mutate_and_sign(&valid, &edits, &w.key.signing) else {
                    return Ok(());
                };
                let input = bytes(&doc);
                let brand = w.brand.clone();
                let ours = w.vault.pairwise_did(&brand).unwrap().unwrap();
                if import_cleanly(
                    &mut w,
                    |v| v.terms().import_agreement(&input),
                    |_, a| {
                        let sub = subject(&doc);
                        prop_assert_eq!(a.brand, brand);
                        // Addressed to the person's key for the brand, or to no one.
                        prop_assert!(
                            sub.get("id")
                                .is_none_or(|id| id.as_str() == Some(ours.as_str())),
                            "kept an answer addressed to {}",
                            sub["id"]
                        );
                        prop_assert_eq!(Some(a.decision.as_str()), s(sub, "/decision"));
                        prop_assert_eq!(a.note.as_deref(), s(sub, "/note"));
                        prop_assert_eq!(Some(a.terms.id.as_str()), s(sub, "/terms/id"));
                        prop_assert_eq!(urn(s(&doc, "/id")), Some(a.id.into_string()));
                        prop_assert!(
                            a.decision == Decision::Counter || a.changes.is_empty(),
                            "an answer that is not a counter-offer was kept with changes: {:?}",
                            a.changes
                        );
                        prop_assert!(a.decision != Decision::Counter || !a.changes.is_empty());
                        let kept: Value = serde_json::from_str(&a.document).unwrap();
                        prop_assert_eq!(kept, doc.clone());
                        Ok(())
                    },
                )? {
                    accepted.set(accepted.get() + 1);
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(accepted.get() > 0, "some mutations leave a valid answer");
}

/// Found while writing the property above (which states it, though random
/// mutations seldom build a well-formed change list): an answer that accepts
/// (or refuses) the terms while listing changes was kept as it came, and
/// `vrm terms import` said "Acme accepted your terms: Retention: 30 → 3650".
#[test]
fn an_answer_that_accepts_but_lists_changes_is_refused() {
    let mut w = world();
    let terms = w.terms();
    for decision in [Decision::Accepted, Decision::Refused] {
        let mut answer =
            brandkit::agree(&bytes(&terms), &w.key, decision, &[], None, Utc::now()).unwrap();
        answer.as_object_mut().unwrap().remove("proof");
        answer["credentialSubject"]["changes"] = json!([
            {"clause": "retentionDays", "label": "Retention", "from": "30", "to": "3650"}
        ]);
        let doc = proof::sign(&answer, &w.key.signing, Utc::now()).unwrap();
        let before = print(&mut w);
        let err = w.vault.terms().import_agreement(&bytes(&doc)).unwrap_err();
        assert_eq!(err.code(), "input.invalid", "{err}");
        assert!(before == print(&mut w));
    }
}

/// Found by the offers property below: an offer (or answer) whose subject
/// `id` was null or a number skipped the "addressed to this key" check and
/// was kept.
#[test]
fn an_offer_or_answer_addressed_to_null_or_a_number_is_refused() {
    let mut w = world();
    let terms = w.terms();
    let intent = w.intent();
    for bad in [Value::Null, json!(42), json!([]), json!({})] {
        let mut answer = brandkit::agree(
            &bytes(&terms),
            &w.key,
            Decision::Accepted,
            &[],
            None,
            Utc::now(),
        )
        .unwrap();
        answer.as_object_mut().unwrap().remove("proof");
        answer["credentialSubject"]["id"] = bad.clone();
        let answer = proof::sign(&answer, &w.key.signing, Utc::now()).unwrap();
        let (mut offer, _) = intent::make_offer(
            &bytes(&intent),
            &w.key.signing,
            "1",
            "EUR",
            None,
            None,
            Utc::now(),
        )
        .unwrap();
        offer.as_object_mut().unwrap().remove("proof");
        offer["credentialSubject"]["id"] = bad;
        let offer = proof::sign(&offer, &w.key.signing, Utc::now()).unwrap();
        let before = print(&mut w);
        let e = w
            .vault
            .terms()
            .import_agreement(&bytes(&answer))
            .unwrap_err();
        assert_eq!(e.code(), "input.invalid", "{e}");
        let e = w.vault.intents().import_offer(&bytes(&offer)).unwrap_err();
        assert_eq!(e.code(), "input.invalid", "{e}");
        assert!(before == print(&mut w));
    }
}

#[test]
fn mutated_acknowledgments_signed_by_the_brand_import_as_they_say_or_change_nothing() {
    let mut w = world();
    let revocation = RefCell::new(w.revocation());
    let w = RefCell::new(w);
    runner(64)
        .run(&edits(), |edits| {
            let mut w = w.borrow_mut();
            let valid =
                brandkit::acknowledge(&bytes(&revocation.borrow()), &w.key, Utc::now(), Utc::now())
                    .unwrap();
            let Some(doc) = mutate_and_sign(&valid, &edits, &w.key.signing) else {
                return Ok(());
            };
            let input = bytes(&doc);
            let taken = import_cleanly(
                &mut w,
                |v| v.shares().import_acknowledgment(&input),
                |_, share| {
                    let sub = subject(&doc);
                    prop_assert_eq!(urn(s(sub, "/shareId")), Some(share.id.to_string()));
                    let ack = share.acknowledgment.unwrap();
                    let said = DateTime::parse_from_rfc3339(s(sub, "/erasedAt").unwrap()).unwrap();
                    prop_assert_eq!(ack.erased_at, said);
                    prop_assert_eq!(urn(s(sub, "/revocationId")), share.revocation.map(|r| r.id));
                    Ok(())
                },
            )?;
            if taken {
                // That share is acknowledged now: the next cases need another.
                *revocation.borrow_mut() = w.revocation();
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_offers_signed_by_the_brand_import_as_they_say_or_change_nothing() {
    let mut w = world();
    let intent = w.intent();
    let intent_bytes = bytes(&intent);
    let w = RefCell::new(w);
    let taken = std::cell::Cell::new(0);
    runner(96)
        .run(&edits(), |edits| {
            let mut w = w.borrow_mut();
            let (valid, _) = intent::make_offer(
                &intent_bytes,
                &w.key.signing,
                "25.00",
                "EUR",
                Some("two set menus"),
                None,
                Utc::now(),
            )
            .unwrap();
            let Some(doc) = mutate_and_sign(&valid, &edits, &w.key.signing) else {
                return Ok(());
            };
            let input = bytes(&doc);
            let brand = w.brand.clone();
            let ours = intent["issuer"].as_str().unwrap().to_string();
            if import_cleanly(
                &mut w,
                |v| v.intents().import_offer(&input),
                |_, view| {
                    let sub = subject(&doc);
                    let o = view.offer;
                    prop_assert_eq!(urn(s(&doc, "/id")), Some(o.id.into_string()));
                    prop_assert_eq!(urn(s(sub, "/intentId")), Some(o.intent.into_string()));
                    prop_assert_eq!(o.brand.map(String::from), Some(brand));
                    // Addressed to the intent's key, or to no one.
                    prop_assert!(
                        sub.get("id")
                            .is_none_or(|id| id.as_str() == Some(ours.as_str())),
                        "kept an offer addressed to {}",
                        sub["id"]
                    );
                    prop_assert_eq!(
                        intent::parse_amount(s(sub, "/price").unwrap()).unwrap(),
                        o.price
                    );
                    prop_assert_eq!(
                        intent::parse_currency(s(sub, "/currency").unwrap()).unwrap(),
                        o.currency
                    );
                    match (s(sub, "/description"), o.description.as_deref()) {
                        (None, None) => {}
                        (Some(said), Some(kept)) => {
                            prop_assert!(kept.chars().count() <= 2000);
                            let clean: String = said
                                .chars()
                                .filter(|c| !c.is_control() || *c == '\n')
                                .take(2000)
                                .collect();
                            prop_assert_eq!(kept, clean.as_str());
                        }
                        other => prop_assert!(false, "description {:?}", other),
                    }
                    Ok(())
                },
            )? {
                taken.set(taken.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert!(taken.get() > 0, "some mutations leave a valid offer");
}

#[test]
fn an_offer_encrypted_to_the_intent_mutated_and_re_encrypted_changes_nothing_when_refused() {
    let mut w = world();
    let intent = w.intent();
    let intent_bytes = bytes(&intent);
    let w = RefCell::new(w);
    runner(24)
        .run(
            &(
                edits(),
                prop::collection::vec(any::<u8>(), 0..64),
                any::<Index>(),
            ),
            |(edits, junk, cut)| {
                let mut w = w.borrow_mut();
                let (valid, reply_to) = intent::make_offer(
                    &intent_bytes,
                    &w.key.signing,
                    "25",
                    "EUR",
                    None,
                    None,
                    Utc::now(),
                )
                .unwrap();
                let reply_to = reply_to.unwrap();
                let Some(doc) = mutate_and_sign(&valid, &edits, &w.key.signing) else {
                    return Ok(());
                };
                let sealed = bundle::encrypt(&bytes(&doc), &[&reply_to]).unwrap();
                let mut cut_short = sealed.clone();
                cut_short.truncate(cut.index(sealed.len()));
                let mut junk_after = b"age-encryption.org/v1\n".to_vec();
                junk_after.extend(&junk);
                for input in [cut_short, junk_after] {
                    import_cleanly(&mut w, |v| v.intents().import_offer(&input), |_, _| Ok(()))?;
                }
                import_cleanly(
                    &mut w,
                    |v| v.intents().import_offer(&sealed),
                    |_, view| {
                        prop_assert_eq!(urn(s(&doc, "/id")), Some(view.offer.id.into_string()));
                        Ok(())
                    },
                )?;
                Ok(())
            },
        )
        .unwrap();
}

// ---------------------------------------------------------------------------
// The brand's side, fed re-signed mutated documents of the person.

#[test]
fn mutated_personal_terms_never_panic_the_brand_and_answers_name_what_was_read() {
    let mut w = world();
    let terms = w.terms();
    let brand = BrandKey::generate().unwrap();
    let person = SigningKey::generate().unwrap();
    let person_did = person.did();
    let answered = std::cell::Cell::new(0);
    runner(96)
        .run(
            &(
                prop::sample::select(vec![
                    Decision::Accepted,
                    Decision::Refused,
                    Decision::Counter,
                ]),
                edits(),
            ),
            |(decision, edits)| {
                let Some(doc) = reissue_mutate_and_sign(&terms, &edits, &person) else {
                    return Ok(());
                };
                let changes = if decision == Decision::Counter {
                    vec![("contact.maxContacts".to_string(), "1".to_string())]
                } else {
                    vec![]
                };
                match brandkit::agree(&bytes(&doc), &brand, decision, &changes, None, Utc::now()) {
                    Ok(answer) => {
                        answered.set(answered.get() + 1);
                        let sub = subject(&answer);
                        prop_assert_eq!(s(sub, "/id"), Some(person_did.as_str()));
                        prop_assert_eq!(s(sub, "/terms/id"), s(&doc, "/id"));
                        let digest =
                            data_encoding::HEXLOWER.encode(&proof::jcs_sha256(&doc).unwrap());
                        prop_assert_eq!(s(sub, "/terms/digestSHA256"), Some(digest.as_str()));
                        prop_assert_eq!(s(sub, "/decision"), Some(decision.as_str()));
                        proof::verify_credential(&answer, Utc::now()).unwrap();
                    }
                    Err(e) => clean(&e)?,
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(answered.get() > 0);
}

#[test]
fn mutated_revocations_never_panic_the_brand_and_acknowledgments_name_what_was_read() {
    let mut w = world();
    let revocation = w.revocation();
    let brand = BrandKey::generate().unwrap();
    let person = SigningKey::generate().unwrap();
    let person_did = person.did();
    runner(64)
        .run(&edits(), |edits| {
            let Some(doc) = reissue_mutate_and_sign(&revocation, &edits, &person) else {
                return Ok(());
            };
            match brandkit::acknowledge(&bytes(&doc), &brand, Utc::now(), Utc::now()) {
                Ok(ack) => {
                    let sub = subject(&ack);
                    prop_assert_eq!(s(sub, "/shareId"), s(subject(&doc), "/shareId"));
                    prop_assert_eq!(s(sub, "/revocationId"), s(&doc, "/id"));
                    prop_assert_eq!(s(sub, "/id"), Some(person_did.as_str()));
                }
                Err(e) => clean(&e)?,
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_intents_never_panic_the_brand_and_offers_answer_what_was_read() {
    let mut w = world();
    let intent = w.intent();
    let intake_dir = tempfile::tempdir().unwrap();
    let intake = brandkit::Intake::bind("127.0.0.1:0", intake_dir.path()).unwrap();
    let brand = BrandKey::generate().unwrap();
    let person = SigningKey::generate().unwrap();
    let person_did = person.did();
    let stored = |d: &Path| {
        let mut v: Vec<PathBuf> = ["intents", "withdrawals"]
            .iter()
            .flat_map(|s| std::fs::read_dir(d.join(s)).unwrap())
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    // A real withdrawal of that intent, and the intent (issued by `person`)
    // stored at the intake, so withdrawals signed by `person` may be taken.
    let intent_id = urn(s(&intent, "/id")).unwrap();
    let out = w.tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    w.vault
        .intents()
        .send(&intent_id, Some(&out), false)
        .unwrap();
    w.vault
        .intents()
        .withdraw(&intent_id, Some(&out), false)
        .unwrap();
    let withdrawal: Value = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("withdrawal-")
        })
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .unwrap();
    let person_intent = reissue_mutate_and_sign(&intent, &[], &person).unwrap();
    intake.take(&bytes(&person_intent)).unwrap();
    runner(96)
        .run(&(edits(), any::<bool>()), |(edits, withdraw)| {
            let base = if withdraw { &withdrawal } else { &intent };
            let Some(doc) = reissue_mutate_and_sign(base, &edits, &person) else {
                return Ok(());
            };
            let input = bytes(&doc);
            match intent::make_offer(
                &input,
                &brand.signing,
                "10",
                "EUR",
                Some("x"),
                None,
                Utc::now(),
            ) {
                Ok((offer, reply_to)) => {
                    let sub = subject(&offer);
                    prop_assert_eq!(s(sub, "/intentId"), s(&doc, "/id"));
                    prop_assert_eq!(s(sub, "/id"), Some(person_did.as_str()));
                    prop_assert_eq!(
                        reply_to.as_deref(),
                        s(subject(&doc), "/replyTo/ageRecipient")
                    );
                    proof::verify_credential(&offer, Utc::now()).unwrap();
                }
                Err(e) => clean(&e)?,
            }
            match intent::check_received(&input, Utc::now()) {
                Ok((r, _)) => {
                    prop_assert_eq!(Some(r.intent), urn(s(subject(&doc), "/intentId")));
                    prop_assert_eq!(Some(r.id), urn(s(&doc, "/id")));
                }
                Err(e) => clean(&e)?,
            }
            let before = stored(intake_dir.path());
            match intake.take(&input) {
                Ok(r) => {
                    let after = stored(intake_dir.path());
                    prop_assert_eq!(after.len(), before.len() + 1);
                    let file = if r.kind == intent::INTENT_REQUEST {
                        intake_dir
                            .path()
                            .join("intents")
                            .join(format!("{}.json", r.intent))
                    } else {
                        prop_assert_eq!(&r.intent, &intent_id);
                        prop_assert_eq!(&r.signer, &person_did);
                        intake_dir
                            .path()
                            .join("withdrawals")
                            .join(format!("{}.json", r.id))
                    };
                    prop_assert_eq!(std::fs::read(file).unwrap(), input);
                }
                Err(e) => {
                    clean(&e)?;
                    prop_assert_eq!(before, stored(intake_dir.path()));
                }
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------
// Bundles.

#[test]
fn bundles_random_cut_flipped_or_holding_a_mutated_grant_never_panic() {
    let mut w = world();
    let (_, real) = w.share();
    let grant = brandkit::open_bundle(&real, &w.key, Utc::now())
        .unwrap()
        .document;
    let person = SigningKey::generate().unwrap();
    let recipient = w.key.age.recipient();
    let own = w.vault.person_recipient().unwrap();
    let w = RefCell::new(w);
    let bundle_err = |e: &Error| -> Result<(), TestCaseError> {
        clean(e)?;
        prop_assert!(
            matches!(
                e.code(),
                "bundle.unreadable"
                    | "bundle.wrong_key"
                    | "input.too_large"
                    | "document.invalid"
                    | "document.bad_signature"
                    | "document.expired"
                    | "document.not_yet_valid"
                    | "input.invalid"
                    | "did.invalid"
            ),
            "{}: {}",
            e.code(),
            e
        );
        Ok(())
    };
    runner(48)
        .run(
            &(
                prop::collection::vec(any::<u8>(), 0..300),
                any::<Index>(),
                prop::collection::vec((any::<Index>(), 1u8..), 1..4),
                edits(),
            ),
            |(random, cut, flips, edits)| {
                let mut w = w.borrow_mut();
                let mut flipped = real.clone();
                for (at, x) in &flips {
                    let i = at.index(flipped.len());
                    flipped[i] ^= x;
                }
                let mut inputs = vec![
                    random.clone(),
                    real[..cut.index(real.len())].to_vec(),
                    flipped,
                ];
                let mut age_random = b"age-encryption.org/v1\n-> X25519 ".to_vec();
                age_random.extend(&random);
                inputs.push(age_random);
                let doc = reissue_mutate_and_sign(&grant, &edits, &person);
                if let Some(doc) = &doc {
                    inputs.push(bundle::encrypt(&bytes(doc), &[&recipient, &own]).unwrap());
                }
                let brand = BrandKey::parse(w.key.to_file_text().expose_secret()).unwrap();
                for input in &inputs {
                    match brandkit::open_bundle(input, &brand, Utc::now()) {
                        Ok(opened) => {
                            prop_assert_eq!(Some(&opened.document), doc.as_ref());
                        }
                        Err(e) => bundle_err(&e)?,
                    }
                    let dir = w.dir();
                    let before = snapshot(&dir);
                    match w.vault.shares().open_own_bundle(input) {
                        Ok(v) => prop_assert!(
                            v == grant || Some(&v) == doc.as_ref(),
                            "opened something that was not put in"
                        ),
                        Err(e) => bundle_err(&e)?,
                    }
                    let mut after = snapshot(&dir);
                    let mut before = before;
                    before.retain(|(p, _)| !p.to_string_lossy().ends_with("-shm"));
                    after.retain(|(p, _)| !p.to_string_lossy().ends_with("-shm"));
                    prop_assert!(before == after, "opening a bundle changed the vault");
                }
                Ok(())
            },
        )
        .unwrap();
}

// ---------------------------------------------------------------------------
// Small parsers on arbitrary text.

/// Text around a real secret key, to check no error repeats it.
fn with_secret() -> impl Strategy<Value = (String, String)> {
    ("\\PC{0,16}", "\\PC{0,16}", any::<bool>(), any::<bool>()).prop_map(|(a, b, lower, cut)| {
        let secret = AgeIdentity::generate()
            .to_secret_string()
            .expose_secret()
            .to_string();
        let mut shown = if lower {
            secret.to_lowercase()
        } else {
            secret.clone()
        };
        if cut {
            shown.pop();
        }
        (format!("{a}{shown}{b}"), secret)
    })
}

fn no_secret_in(e: &Error, secret: &str) -> Result<(), TestCaseError> {
    let msg = format!("{e} {e:?}").to_lowercase();
    // Its body, past the well-known prefix.
    let body = secret["AGE-SECRET-KEY-1".len()..][..20].to_lowercase();
    prop_assert!(
        !msg.contains(&body),
        "the error repeats a secret key: {}",
        e
    );
    clean(e)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn key_and_identity_parsers_never_panic_and_never_repeat_a_secret(
        (text, secret) in with_secret(),
        junk in "\\PC{0,80}",
    ) {
        for t in [&text, &junk] {
            if let Err(e) = AgeIdentity::parse(t) { no_secret_in(&e, &secret)?; }
            if let Err(e) = AgeIdentity::parse_file(t) { no_secret_in(&e, &secret)?; }
            if let Err(e) = bundle::parse_recipient(t) { no_secret_in(&e, &secret)?; }
            if let Err(e) = BrandKey::parse(t) { no_secret_in(&e, &secret)?; }
            if let Err(e) = SigningKey::from_multibase_private(t) { no_secret_in(&e, &secret)?; }
            if let Err(e) = did::public_key_from_did(t) { no_secret_in(&e, &secret)?; }
        }
        // A key file with the secret key on a line of its own, and a damaged seed.
        let file = format!("# vrm-signing-seed: {junk}\n{secret}\n");
        if let Err(e) = BrandKey::parse(&file) { no_secret_in(&e, &secret)?; }
        let file = format!("# vrm-signing-seed: {}\n{text}\n", "ab".repeat(32));
        if let Err(e) = BrandKey::parse(&file) { no_secret_in(&e, &secret)?; }
    }

    #[test]
    fn did_and_multibase_parsers_never_panic(
        body in "[1-9A-HJ-NP-Za-km-z]{0,80}",
        frag in proptest::option::of("\\PC{0,20}"),
    ) {
        let did = match &frag {
            Some(f) => format!("did:key:z{body}#{f}"),
            None => format!("did:key:z{body}"),
        };
        if let Ok(k) = did::public_key_from_did(&did) {
            // Only the canonical spelling of a key is taken.
            prop_assert_eq!(did::did_from_public_key(&k), did.split('#').next().unwrap());
        }
        let _ = SigningKey::from_multibase_private(&format!("z{body}"));
    }

    #[test]
    fn amounts_and_currencies_parse_to_what_they_say(s in "\\PC{0,24}", digits in "[0-9]{1,15}(\\.[0-9]{1,4})?") {
        // Shown as written, but for leading zeros (`0030` is 30).
        let plain = |t: &str| {
            let t = t.trim();
            let zeros = t.len() - t.trim_start_matches('0').len();
            let keep = if t[zeros..].is_empty() || t[zeros..].starts_with('.') { 1 } else { 0 };
            t[zeros.saturating_sub(keep)..].to_string()
        };
        if let Ok(n) = intent::parse_amount(&s) {
            prop_assert_eq!(n.to_string(), plain(&s));
            prop_assert!(!n.is_sign_negative());
        }
        let n = intent::parse_amount(&digits).unwrap();
        prop_assert_eq!(n.to_string(), plain(&digits));
        let (w, f) = digits.split_once('.').unwrap_or((&digits, ""));
        let f = format!("{f:0<4}");
        prop_assert_eq!(
            n,
            intent::Decimal::from_i128_with_scale(
                w.parse::<i128>().unwrap() * 10_000 + f.parse::<i128>().unwrap(),
                4
            )
        );
        if let Ok(c) = intent::parse_currency(&s) {
            prop_assert_eq!(c.len(), 3);
            prop_assert_eq!(c, s.trim().to_ascii_uppercase());
        }
        let _ = vrm_vault::model::parse_date(&s);
    }

    #[test]
    fn word_clause_and_settings_parsers_never_panic(
        word in "\\PC{0,24}",
        key in prop::sample::select(vrm_vault::terms::clauses::CLAUSE_KEYS.to_vec()),
        settings in prop::collection::vec(any::<u8>(), 0..64),
        number in any::<i64>(),
    ) {
        use vrm_vault::rights::contact::{Channel, ContactPurpose, Direction};
        use vrm_vault::rights::{RequestStatus, Right};
        use vrm_vault::terms::Purpose;
        fn check<T: std::str::FromStr<Err = Error>>(s: &str) -> Result<(), TestCaseError> {
            if let Err(e) = s.parse::<T>() {
                clean(&e)?;
            }
            Ok(())
        }
        check::<RecordKind>(&word)?;
        check::<Decision>(&word)?;
        check::<Template>(&word)?;
        check::<Purpose>(&word)?;
        check::<Right>(&word)?;
        check::<RequestStatus>(&word)?;
        check::<Channel>(&word)?;
        check::<Direction>(&word)?;
        check::<ContactPurpose>(&word)?;
        let mut clauses = Template::SdBase.clauses();
        for v in [word.clone(), number.to_string(), format!("{word},{word}")] {
            match clauses.set(key, &v) {
                Ok(()) => {
                    let _ = clauses.validate();
                }
                Err(e) => clean(&e)?,
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        std::fs::write(&file, &settings).unwrap();
        prop_assert!(vrm_vault::vault::settings::Settings::load(&file).check().is_ok());
        std::fs::write(&file, format!("{{\"auto_lock_minutes\": {number}}}")).unwrap();
        prop_assert!(vrm_vault::vault::settings::Settings::load(&file).check().is_ok());
    }

    #[test]
    fn documents_of_any_bytes_never_panic_and_fail_as_documents(
        raw in prop::collection::vec(any::<u8>(), 0..200),
        text in "\\PC{0,200}",
        value in json_value(),
    ) {
        let as_json = serde_json::to_vec(&value).unwrap();
        for input in [&raw, text.as_bytes(), &as_json] {
            if let Err(e) = proof::parse_document(input) {
                prop_assert_eq!(e.code(), "document.invalid");
            }
            if let Err(e) = proof::verify_file_bytes(input) {
                clean(&e)?;
            }
        }
    }
}

#[test]
fn deeply_nested_or_oversized_documents_fail_as_documents_without_a_crash() {
    let mut w = world();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for depth in [127usize, 128, 129, 100_000] {
        inputs.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes());
        inputs.push(
            format!(
                "{{\"a\":{}1{}}}",
                "{\"a\":".repeat(depth),
                "}".repeat(depth)
            )
            .into_bytes(),
        );
    }
    let mut big = b"{\"a\":\"".to_vec();
    big.resize(proof::MAX_DOCUMENT_BYTES + 1, b'x');
    inputs.push(big);
    let before = print(&mut w);
    for input in &inputs {
        for e in [
            proof::verify_file_bytes(input).err(),
            w.vault.terms().import_agreement(input).err(),
            w.vault.shares().import_acknowledgment(input).err(),
            w.vault.intents().import_offer(input).err(),
            intent::check_received(input, Utc::now()).err(),
            brandkit::agree(input, &w.key, Decision::Accepted, &[], None, Utc::now()).err(),
            brandkit::acknowledge(input, &w.key, Utc::now(), Utc::now()).err(),
        ] {
            let e = e.expect("refused");
            assert_eq!(e.code(), "document.invalid", "{e}");
        }
    }
    assert!(before == print(&mut w));
}

// ---------------------------------------------------------------------------
// Backups.

#[test]
fn random_cut_and_flipped_backups_fail_cleanly_and_restore_nothing() {
    let mut w = world();
    w.terms();
    w.share();
    let backup = w.tmp.path().join("backup.age");
    let pass = secrecy::SecretString::from("backup passphrase");
    transfer::export(&mut w.vault, &backup, &BackupTo::Passphrase(pass.clone())).unwrap();
    let real = std::fs::read(&backup).unwrap();
    let identity = AgeIdentity::generate();
    let id_file = w.tmp.path().join("id.txt");
    std::fs::write(&id_file, identity.to_secret_string().expose_secret()).unwrap();
    let to_identity = w.tmp.path().join("backup-id.age");
    transfer::export(
        &mut w.vault,
        &to_identity,
        &BackupTo::Recipients(vec![identity.recipient()]),
    )
    .unwrap();
    let real_id = std::fs::read(&to_identity).unwrap();
    let tmp = w.tmp.path().to_path_buf();
    let key = BackupKey::IdentityFile(id_file.clone());
    let read_cleanly = |input: &[u8], key: &BackupKey| -> Result<(), TestCaseError> {
        let file = tmp.join("bad.age");
        std::fs::write(&file, input).unwrap();
        if let Err(e) = transfer::read_backup(&file, key) {
            clean(&e)?;
            prop_assert!(
                matches!(e.code(), "backup.unreadable" | "backup.wrong_key"),
                "{}: {}",
                e.code(),
                e
            );
        }
        Ok(())
    };
    // Under a passphrase each read that gets past the header runs scrypt (a
    // second or so): a few fixed cases only.
    let n = real.len();
    for input in [&real[..n / 2], &real[..40], &real[..n - 1]] {
        read_cleanly(input, &BackupKey::Passphrase(pass.clone())).unwrap();
    }
    runner(48)
        .run(
            &(
                prop::collection::vec(any::<u8>(), 0..200),
                any::<Index>(),
                prop::collection::vec((any::<Index>(), 1u8..), 1..3),
            ),
            |(random, cut, flips)| {
                let mut flipped = real_id.clone();
                for (at, x) in &flips {
                    let i = at.index(flipped.len());
                    flipped[i] ^= x;
                }
                let mut age_random = b"age-encryption.org/v1\n".to_vec();
                age_random.extend(&random);
                for input in [
                    random.clone(),
                    real_id[..cut.index(real_id.len())].to_vec(),
                    flipped,
                    age_random,
                ] {
                    read_cleanly(&input, &key)?;
                    // The wrong kind of key for the file.
                    read_cleanly(&input, &BackupKey::Passphrase(pass.clone()))?;
                }
                Ok(())
            },
        )
        .unwrap();
    // A restore from a damaged backup leaves no vault behind.
    let mut damaged = real.clone();
    let n = damaged.len();
    damaged[n - 20] ^= 1;
    let file = tmp.join("damaged.age");
    std::fs::write(&file, &damaged).unwrap();
    let into = tmp.join("restored");
    let err = transfer::restore(
        &file,
        &BackupKey::Passphrase(pass),
        &into,
        &secrecy::SecretString::from("restored passphrase"),
        vrm_vault::crypto::KdfParams::minimum().unwrap(),
    )
    .err()
    .unwrap();
    assert_eq!(err.code(), "backup.unreadable", "{err}");
    assert!(!Vault::exists(&into));
}

#[test]
fn a_restore_from_a_backup_with_mutated_json_inside_fails_cleanly_or_restores_what_it_says() {
    let mut w = world();
    w.terms();
    w.share();
    let doc = serde_json::to_value(transfer::export_document(&mut w.vault).unwrap()).unwrap();
    let identity = AgeIdentity::generate();
    let id_file = w.tmp.path().join("id.txt");
    std::fs::write(&id_file, identity.to_secret_string().expose_secret()).unwrap();
    let tmp = w.tmp.path().to_path_buf();
    let n = std::cell::Cell::new(0);
    runner(16)
        .run(&edits(), |edits| {
            n.set(n.get() + 1);
            let mut mutated = doc.clone();
            apply(&mut mutated, &edits);
            let sealed = bundle::encrypt(&bytes(&mutated), &[identity.recipient()]).unwrap();
            let file = tmp.join("mutated.age");
            std::fs::write(&file, &sealed).unwrap();
            let into = tmp.join(format!("restored-{}", n.get()));
            match transfer::restore(
                &file,
                &BackupKey::IdentityFile(id_file.clone()),
                &into,
                &secrecy::SecretString::from("restored passphrase"),
                vrm_vault::crypto::KdfParams::minimum().unwrap(),
            ) {
                Ok(_) => {}
                Err(e) => {
                    prop_assert!(
                        !matches!(e.code(), "io" | "crypto.random"),
                        "{}: {}",
                        e.code(),
                        e
                    );
                    prop_assert!(!Vault::exists(&into), "a failed restore left a vault");
                }
            }
            Ok(())
        })
        .unwrap();
}
