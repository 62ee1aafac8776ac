//! A valid document of each kind, changed by a fuzzed JSON merge patch and
//! signed again by the rightful key, opened by what opens it: the vault's
//! importers and the brand side. The first byte picks the kind; the rest is
//! the patch (its `proof` member, if any, is applied after signing).
#![no_main]

use std::sync::{LazyLock, Mutex};

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vrm_vault::{brandkit, intent, proof};
use vrm_vault_fuzz::{Kind, World, merge_patch};

static WORLD: LazyLock<Mutex<World>> = LazyLock::new(|| Mutex::new(World::new()));

fuzz_target!(|data: &[u8]| {
    let Some((&pick, patch)) = data.split_first() else {
        return;
    };
    let Ok(Value::Object(mut patch)) = serde_json::from_slice::<Value>(patch) else {
        return;
    };
    let proof_patch = patch.remove("proof");
    let kind = Kind::ALL[pick as usize % Kind::ALL.len()];
    let mut world = WORLD.lock().unwrap_or_else(|e| e.into_inner());
    let mut doc = world.bases[pick as usize % Kind::ALL.len()].clone();
    merge_patch(&mut doc, &Value::Object(patch));
    let now = chrono::Utc::now();
    let key = if kind.from_brand() {
        &world.brand.signing
    } else {
        &world.person
    };
    let Ok(mut signed) = proof::sign(&doc, key, now) else {
        return;
    };
    if let Some(p) = proof_patch {
        merge_patch(&mut signed["proof"], &p);
    }
    let Ok(bytes) = serde_json::to_vec(&signed) else {
        return;
    };
    let World { vault, brand, .. } = &mut *world;
    match kind {
        Kind::Agreement => drop(vault.terms().import_agreement(&bytes)),
        Kind::Acknowledgment => drop(vault.shares().import_acknowledgment(&bytes)),
        Kind::Offer => drop(vault.intents().import_offer(&bytes)),
        Kind::Terms => {
            let changes = [("retentionDays".to_string(), "365".to_string())];
            drop(brandkit::agree(
                &bytes,
                brand,
                vrm_vault::terms::agreement::Decision::Counter,
                &changes,
                Some("note"),
                now,
            ));
        }
        Kind::Revocation => drop(brandkit::acknowledge(&bytes, brand, now, now)),
        Kind::Intent => {
            drop(intent::make_offer(
                &bytes,
                &brand.signing,
                "1.00",
                "EUR",
                None,
                None,
                now,
            ));
            drop(intent::check_received(&bytes, now));
        }
    }
});
