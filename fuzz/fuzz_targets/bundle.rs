//! Any bytes as an age bundle: opened with an identity (as a brand opens a
//! share) and with a passphrase (as a backup is read; "password", as in the age test vectors), within the limits
//! every caller uses. The first byte picks the key; a low scrypt cap keeps a
//! hostile work factor from stalling the run (the cap itself is tested).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use vrm_vault::brandkit::BrandKey;
use vrm_vault::crypto::bundle::{self, AgeIdentity, OpenKey, OpenLimits};
use vrm_vault_fuzz::BUNDLE_IDENTITY;

static IDENTITY: LazyLock<AgeIdentity> =
    LazyLock::new(|| AgeIdentity::parse(BUNDLE_IDENTITY).expect("identity"));
static BRAND: LazyLock<BrandKey> = LazyLock::new(|| BrandKey::generate().expect("key"));

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let limits = OpenLimits {
        max_scrypt_work_factor: 10,
        ..OpenLimits::default()
    };
    if pick % 2 == 0 {
        let ids = std::slice::from_ref(&*IDENTITY);
        let _ = bundle::decrypt(input, &OpenKey::Identities(ids), &limits);
        let _ = vrm_vault::brandkit::open_bundle(input, &BRAND, chrono::Utc::now());
    } else {
        let pass = SecretString::from("password");
        let _ = bundle::decrypt(input, &OpenKey::Passphrase(&pass), &limits);
    }
});
