//! Any bytes as a signed document: what `vrm verify`, the intake and every
//! importer read first.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrm_vault::{intent, proof};

fuzz_target!(|data: &[u8]| {
    let _ = proof::verify_file_bytes(data);
    let _ = intent::check_received(data, chrono::Utc::now());
});
