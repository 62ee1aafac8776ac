//! What the fuzz targets share: a real vault with a brand, terms, a revoked
//! share and an intent, and one valid document of each kind the vault or the
//! brand side opens, to mutate and re-sign.
//!
//! Random bytes almost never get past a signature check, so fuzzing signed
//! documents as bytes only exercises the verifier. `signed_document` instead
//! applies a fuzzed JSON merge patch (RFC 7396) to a valid document and signs
//! the result with the rightful key, which reaches the code that runs after
//! verification: the part most likely to trust what it should not.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use secrecy::SecretString;
use serde_json::Value;
use vrm_vault::brandkit::{self, BrandKey};
use vrm_vault::crypto::KdfParams;
use vrm_vault::crypto::did::SigningKey;
use vrm_vault::intent::{self, IntentInput};
use vrm_vault::share::ShareRequest;
use vrm_vault::terms::Template;
use vrm_vault::terms::agreement::Decision;
use vrm_vault::{BrandInput, NewRecord, RecordKind, Vault};

/// The fixed age identity the `bundle` target opens with; the seeds in
/// `seeds/bundle/` are encrypted to its recipient
/// (`age1jdu5ndusutev4prw25sv7gseue6r4allatjxq9nr7e7yk6ke84vsupp8ty`).
/// A test key, protecting nothing.
pub const BUNDLE_IDENTITY: &str =
    "AGE-SECRET-KEY-1Y8KGPY37QTF2NXH5N5FD7JGM7HMR02GLKUDFRWY98DQJ93ZJNDCQM2W650";

/// Which document a `signed_document` input mutates, and who opens it.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A brand's `TermsAgreement`, imported by the vault.
    Agreement,
    /// A brand's `DeletionAcknowledgment`, imported by the vault.
    Acknowledgment,
    /// A brand's `Offer`, imported by the vault.
    Offer,
    /// The person's `PersonalTerms`, opened by `brandkit::agree`.
    Terms,
    /// The person's `ShareRevocation`, opened by `brandkit::acknowledge`.
    Revocation,
    /// The person's `IntentRequest`, opened by `make_offer` and the intake.
    Intent,
}

impl Kind {
    /// All kinds, indexed by an input's first byte.
    pub const ALL: [Kind; 6] = [
        Kind::Agreement,
        Kind::Acknowledgment,
        Kind::Offer,
        Kind::Terms,
        Kind::Revocation,
        Kind::Intent,
    ];

    /// Signed by the brand (else by the person).
    pub fn from_brand(self) -> bool {
        matches!(self, Kind::Agreement | Kind::Acknowledgment | Kind::Offer)
    }
}

/// A vault with one brand and something of everything.
pub struct World {
    /// Keeps the vault folder alive.
    pub tmp: tempfile::TempDir,
    /// The person's vault.
    pub vault: Vault,
    /// The brand's keys (its did:key is the brand's in the vault).
    pub brand: BrandKey,
    /// Signs the person-side documents handed to the brand side, which
    /// accepts any signer it has not met before.
    pub person: SigningKey,
    /// One valid document per [`Kind`], without its proof.
    pub bases: Vec<Value>,
}

fn unsigned(mut doc: Value) -> Value {
    if let Some(o) = doc.as_object_mut() {
        o.remove("proof");
    }
    doc
}

impl World {
    /// Build it (a second or so: the vault's KDF runs once).
    pub fn new() -> World {
        let tmp = tempfile::Builder::new()
            .prefix("vrm-fuzz-")
            .tempdir()
            .expect("temp dir");
        let pass = SecretString::from("fuzzing passphrase");
        let (mut vault, _) = Vault::create(
            &tmp.path().join("vault"),
            &pass,
            KdfParams::minimum().expect("kdf"),
        )
        .expect("vault");
        let brand = BrandKey::generate().expect("brand key");
        let brand_id = vault
            .add_brand(&BrandInput {
                name: Some("Acme".into()),
                age_recipient: Some(brand.age.recipient()),
                did: Some(brand.signing.did()),
                ..Default::default()
            })
            .expect("brand")
            .id;
        let record = vault
            .add_record(&NewRecord {
                kind: RecordKind::Profile,
                brand: None,
                fields: BTreeMap::from([("email".to_string(), "ana@example.org".to_string())]),
                tags: vec![],
            })
            .expect("record")
            .id;
        let now = Utc::now();

        let version = vault
            .terms()
            .create(Template::SdBase, "Mine", &Template::SdBase.clauses())
            .expect("terms");
        let (terms, _) = vault
            .terms()
            .issue(&version.id, &brand_id)
            .expect("issue terms");
        let terms_bytes = serde_json::to_vec(&terms).expect("json");
        let agreement = brandkit::agree(&terms_bytes, &brand, Decision::Accepted, &[], None, now)
            .expect("agree");

        let out = tmp.path().join("share.age");
        let share = vault
            .shares()
            .create(
                &ShareRequest {
                    brand: brand_id.to_string(),
                    records: vec![record.into_string()],
                    fields: vec![],
                    purpose: "delivery".into(),
                    expires_at: now + Duration::days(30),
                    terms: None,
                },
                &out,
            )
            .expect("share");
        let revocation_file = tmp.path().join("revocation.json");
        vault
            .shares()
            .revoke(&share.id, None, &revocation_file)
            .expect("revoke");
        let revocation_bytes = std::fs::read(&revocation_file).expect("revocation");
        let revocation: Value = serde_json::from_slice(&revocation_bytes).expect("json");
        let acknowledgment =
            brandkit::acknowledge(&revocation_bytes, &brand, now, now).expect("ack");

        let intent = vault
            .intents()
            .create(&IntentInput {
                category: "bicycle".into(),
                description: "a city bike".into(),
                quantity: Some(1),
                budget_max: Some(intent::parse_amount("400").unwrap()),
                currency: Some("EUR".into()),
                location: Some("Lyon".into()),
                needed_by: None,
                expires_at: now + Duration::days(7),
                terms: None,
                brands: vec![brand_id.into_string()],
            })
            .expect("intent");
        let (offer, _) = intent::make_offer(
            intent.document.as_bytes(),
            &brand.signing,
            "350.00",
            "EUR",
            Some("the blue one"),
            None,
            now,
        )
        .expect("offer");
        let intent_doc: Value = serde_json::from_str(&intent.document).expect("json");

        let bases = vec![
            unsigned(agreement),
            unsigned(acknowledgment),
            unsigned(offer),
            unsigned(terms),
            unsigned(revocation),
            unsigned(intent_doc),
        ];
        World {
            tmp,
            vault,
            brand,
            person: SigningKey::generate().expect("key"),
            bases,
        }
    }
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

/// RFC 7396 JSON merge patch: `null` removes a key, objects merge, anything
/// else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let target = target.as_object_mut().expect("an object");
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}
