use std::collections::BTreeMap;

use vrm_vault::{
    BrandInput, Error, NewRecord, RecordFilter, RecordId, RecordKind, RecordPatch, Vault,
};

use crate::util::*;

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn add(
    vault: &mut Vault,
    kind: RecordKind,
    brand: Option<&str>,
    f: &[(&str, &str)],
    tags: &[&str],
) -> RecordId {
    vault
        .add_record(&NewRecord {
            kind,
            brand: brand.map(str::to_string),
            fields: fields(f),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        })
        .unwrap()
        .id
}

#[test]
fn records_are_listed_by_brand_kind_tag_and_date() {
    let (_tmp, mut vault) = new_vault();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    vault.add_brand(&BrandInput::named("Globex")).unwrap();
    let call = add(
        &mut vault,
        RecordKind::Interaction,
        Some("Acme"),
        &[
            ("channel", "call"),
            ("direction", "inbound"),
            ("date", "2026-01-10"),
            ("summary", "billing question"),
        ],
        &["billing"],
    );
    let chat = add(
        &mut vault,
        RecordKind::Interaction,
        Some("acme"),
        &[
            ("channel", "chat"),
            ("direction", "outbound"),
            ("date", "2026-02-10"),
            ("summary", "complaint"),
        ],
        &[],
    );
    let buy = add(
        &mut vault,
        RecordKind::Purchase,
        Some("Globex"),
        &[("item", "kettle"), ("date", "2026-03-01")],
        &["home"],
    );
    let fact = add(
        &mut vault,
        RecordKind::Profile,
        None,
        &[("email", "me@example.org")],
        &[],
    );

    let ids = |f: RecordFilter, v: &mut Vault| {
        v.list_records(&f)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(
            RecordFilter {
                brand: Some("Acme".into()),
                ..Default::default()
            },
            &mut vault
        ),
        vec![chat.clone(), call.clone()],
        "a brand's timeline across channels, newest first"
    );
    assert_eq!(
        ids(
            RecordFilter {
                kind: Some(RecordKind::Purchase),
                ..Default::default()
            },
            &mut vault
        ),
        vec![buy.clone()]
    );
    assert_eq!(
        ids(
            RecordFilter {
                tags: vec!["billing".into()],
                ..Default::default()
            },
            &mut vault
        ),
        vec![call.clone()]
    );
    let feb = RecordFilter {
        since: vrm_vault::model::parse_date("2026-02-01"),
        until: vrm_vault::model::parse_date("2026-02-28"),
        ..Default::default()
    };
    assert_eq!(ids(feb, &mut vault), vec![chat.clone()]);
    assert_eq!(
        vault.list_records(&RecordFilter::default()).unwrap().len(),
        4
    );
    assert!(vault.record(&fact).unwrap().brand.is_none());
}

#[test]
fn edits_are_checked_and_persist() {
    let (tmp, mut vault) = new_vault();
    let id = add(
        &mut vault,
        RecordKind::Note,
        None,
        &[("text", "first")],
        &["a"],
    );
    let patch = RecordPatch {
        set: fields(&[("text", "second"), ("mood", "good")]),
        add_tags: vec!["b".into()],
        remove_tags: vec!["a".into()],
        ..Default::default()
    };
    vault.update_record(&id[..8], &patch).unwrap();
    let bad = RecordPatch {
        remove: vec!["text".into()],
        ..Default::default()
    };
    let err = vault.update_record(&id, &bad).unwrap_err();
    assert!(err.to_string().contains("needs the field text"), "{err}");
    drop(vault);
    let mut vault = reopen(&vault_dir(&tmp));
    let r = vault.record(&id).unwrap();
    assert_eq!(
        r.fields["text"], "second",
        "the rejected edit changed nothing"
    );
    assert_eq!(r.fields["mood"], "good");
    assert_eq!(r.tags, vec!["b"]);
    assert!(r.updated_at >= r.created_at);
}

#[test]
fn deleting_a_brand_deletes_its_records_only() {
    let (_tmp, mut vault) = new_vault();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    let gone = add(
        &mut vault,
        RecordKind::Note,
        Some("Acme"),
        &[("text", "x")],
        &[],
    );
    let kept = add(&mut vault, RecordKind::Note, None, &[("text", "y")], &[]);
    assert_eq!(vrm_vault::delete_brand(&mut vault, "Acme").unwrap(), 1);
    assert!(matches!(vault.record(&gone), Err(Error::RecordNotFound(_))));
    assert!(vault.record(&kept).is_ok());
    assert!(vault.brands().unwrap().is_empty());
}

#[test]
fn brand_names_are_unique_and_lookups_are_precise() {
    let (_tmp, mut vault) = new_vault();
    vault.add_brand(&BrandInput::named("Acme")).unwrap();
    vault.add_brand(&BrandInput::named("Acme Travel")).unwrap();
    assert_eq!(
        vault
            .add_brand(&BrandInput::named("ACME"))
            .unwrap_err()
            .code(),
        "brand.exists"
    );
    assert_eq!(
        vault.brand("acme").unwrap().name,
        "Acme",
        "an exact name wins over a prefix"
    );
    assert_eq!(vault.brand("acme t").unwrap().name, "Acme Travel");
    assert_eq!(vault.brand("ac").unwrap_err().code(), "brand.ambiguous");
    assert_eq!(vault.brand("nobody").unwrap_err().code(), "brand.not_found");
}

#[test]
fn search_matches_every_word_over_brands_and_records() {
    let (_tmp, mut vault) = new_vault();
    vault
        .add_brand(&BrandInput {
            name: Some("Acme".into()),
            notes: Some("my bank".into()),
            ..Default::default()
        })
        .unwrap();
    let r = add(
        &mut vault,
        RecordKind::Interaction,
        Some("Acme"),
        &[
            ("channel", "email"),
            ("direction", "inbound"),
            ("date", "2026-01-01"),
            ("summary", "Invoice 42 overdue"),
        ],
        &[],
    );
    add(
        &mut vault,
        RecordKind::Note,
        None,
        &[("text", "invoice for the plumber")],
        &[],
    );
    let hits = vault
        .search("ACME invoice", &RecordFilter::default())
        .unwrap();
    assert_eq!(
        hits,
        vec![vrm_vault::Hit::Record(r.clone())],
        "the record matches through its brand's name"
    );
    let hits = vault.search("bank", &RecordFilter::default()).unwrap();
    assert!(matches!(&hits[..], [vrm_vault::Hit::Brand(_)]), "{hits:?}");
    // Every brand field is searchable, its inbox and keys too.
    vault
        .update_brand(
            "Acme",
            &BrandInput {
                inbox: Some("https://intake.acme-shop.example/inbox".into()),
                did: Some("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK".into()),
                ..Default::default()
            },
        )
        .unwrap();
    for query in ["intake.acme-shop", "z6MkhaXgBZDvotDkL"] {
        let hits = vault.search(query, &RecordFilter::default()).unwrap();
        assert!(
            matches!(&hits[..], [vrm_vault::Hit::Brand(_)]),
            "a brand is found by {query}: {hits:?}"
        );
    }
    let only_notes = RecordFilter {
        kind: Some(RecordKind::Note),
        ..Default::default()
    };
    assert_eq!(vault.search("invoice", &only_notes).unwrap().len(), 1);
    // Edits and deletes show at once.
    vault
        .update_record(
            &r,
            &RecordPatch {
                set: fields(&[("summary", "paid")]),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        vault
            .search("acme invoice", &RecordFilter::default())
            .unwrap()
            .is_empty()
    );
    vault.delete_record(&r).unwrap();
    assert!(
        vault
            .search("paid", &RecordFilter::default())
            .unwrap()
            .is_empty()
    );
}

/// Issue 10, defect 4: a reference that could mean two brands is an error
/// naming both, whether the clash is id prefix vs. name, or vs. name prefix.
#[test]
fn a_brand_reference_that_could_mean_two_brands_names_both() {
    let (_tmp, mut vault) = new_vault();
    let shop = vault.add_brand(&BrandInput::named("Shop")).unwrap();
    let prefix5 = shop.id[..5].to_string();
    let prefix4 = shop.id[..4].to_string();
    // A brand whose name begins with Shop's id prefix…
    vault
        .add_brand(&BrandInput::named(format!("{prefix5}xyz")))
        .unwrap();
    let err = vault.brand(&prefix5).unwrap_err();
    assert_eq!(err.code(), "brand.ambiguous", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("Shop") && msg.contains(&format!("{prefix5}xyz")),
        "names both: {msg}"
    );
    // …and one named exactly as another's id prefix.
    vault.add_brand(&BrandInput::named(&prefix4)).unwrap();
    let err = vault.brand(&prefix4).unwrap_err();
    assert_eq!(err.code(), "brand.ambiguous", "{err}");
    // The full id, or the whole name without a clash, is never ambiguous.
    assert_eq!(vault.brand(&shop.id).unwrap().name, "Shop");
    assert_eq!(vault.brand("shop").unwrap().name, "Shop");
    // A whole name wins over a longer name it begins.
    vault.add_brand(&BrandInput::named("Apple Music")).unwrap();
    vault.add_brand(&BrandInput::named("Apple")).unwrap();
    assert_eq!(vault.brand("apple").unwrap().name, "Apple");
    assert_eq!(vault.brand("apple m").unwrap().name, "Apple Music");
    let err = vault.brand("appl").unwrap_err();
    assert!(err.to_string().contains("Apple Music"), "{err}");
    // Deleting by an ambiguous reference deletes nothing.
    assert_eq!(
        vrm_vault::delete_brand(&mut vault, &prefix5)
            .unwrap_err()
            .code(),
        "brand.ambiguous"
    );
    assert_eq!(vault.brands().unwrap().len(), 5);
}

/// Issue 10, defect 4, for records: an id prefix two records share names both.
#[test]
fn a_record_prefix_two_records_share_names_both() {
    let (tmp, mut vault) = new_vault();
    let file = tmp.path().join("two.json");
    let ids = [
        "abcd1234-0000-4000-8000-000000000001",
        "abcd5678-0000-4000-8000-000000000002",
    ];
    let records: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "kind": "note", "fields": {"text": id}}))
        .collect();
    let doc = serde_json::json!({"format": "vrm-vault-export", "version": 1, "records": records});
    std::fs::write(&file, doc.to_string()).unwrap();
    vrm_vault::transfer::import_file(&mut vault, &file, &mut |_, _| {}).unwrap();
    let err = vault.record("abcd").unwrap_err();
    assert_eq!(err.code(), "record.ambiguous");
    let msg = err.to_string();
    assert!(msg.contains(ids[0]) && msg.contains(ids[1]), "{msg}");
    assert_eq!(
        vault.delete_record("abcd").unwrap_err().code(),
        "record.ambiguous"
    );
    assert_eq!(vault.record("abcd5").unwrap().id, ids[1]);
}
