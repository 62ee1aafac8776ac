//! Any text as an import (`vrm import`): the export's JSON format or CSV,
//! picked by the first byte. A failed import must change nothing; that is
//! checked by the property tests, this target looks for panics and hangs.
#![no_main]

use std::sync::{LazyLock, Mutex};

use libfuzzer_sys::fuzz_target;
use vrm_vault::transfer;
use vrm_vault_fuzz::World;

/// The vault, and how many records imports have added to it.
static WORLD: LazyLock<Mutex<(World, usize)>> = LazyLock::new(|| Mutex::new((World::new(), 0)));

/// Start again with an empty vault past this many imported records, so the
/// run does not slow down as the vault grows.
const FRESH_AFTER: usize = 20_000;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let mut guard = WORLD.lock().unwrap_or_else(|e| e.into_inner());
    let (world, added) = &mut *guard;
    let result = if pick % 2 == 0 {
        transfer::import_json(&mut world.vault, "fuzz.json", text, &mut |_, _| {})
    } else {
        transfer::import_csv(&mut world.vault, "fuzz.csv", text, &mut |_, _| {})
    };
    if let Ok(summary) = result {
        *added += summary.records_added + summary.brands_added;
        if *added > FRESH_AFTER {
            *guard = (World::new(), 0);
        }
    }
});
