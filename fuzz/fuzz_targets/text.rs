//! Any text through the small parsers that take what a person or a brand
//! types or pastes: keys, recipients, did:keys, amounts, currencies, dates,
//! recovery codes and terms clauses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrm_vault::brandkit::BrandKey;
use vrm_vault::crypto::RecoveryCode;
use vrm_vault::crypto::bundle::{self, AgeIdentity};
use vrm_vault::crypto::did::{self, SigningKey};
use vrm_vault::terms::Template;
use vrm_vault::{intent, model};

fuzz_target!(|text: &str| {
    let _ = AgeIdentity::parse_file(text);
    let _ = bundle::parse_recipient(text);
    let _ = BrandKey::parse(text);
    let _ = did::public_key_from_did(text);
    let _ = SigningKey::from_multibase_private(text);
    let _ = intent::parse_amount(text);
    let _ = intent::parse_currency(text);
    let _ = model::parse_date(text);
    let _ = RecoveryCode::parse(text);
    // A clause as `key=value`, as `vrm terms new --set` takes it.
    if let Some((key, value)) = text.split_once('=') {
        for template in [Template::SdBase, Template::SdBaseDp, Template::PdcIntent] {
            let mut clauses = template.clauses();
            if clauses.set(key, value).is_ok() {
                let _ = clauses.validate_for(template);
            }
        }
    }
});
