//! Any bytes as a sync object a store returns (the checks that refuse it
//! must never panic, and an object that is not sealed and signed by a known
//! device never opens), and as a row's state sent by a device, merged into
//! a row (merging a state twice, or a row's own state, changes nothing).
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use vrm_vault::crypto::did::SigningKey;
use vrm_vault::crypto::{Cipher, SecretKey};
use vrm_vault::sync::hlc::Hlc;
use vrm_vault::sync::merge::{Fields, RowClock, RowState, Stamp, flatten, unflatten};
use vrm_vault::sync::object::{DeviceId, DeviceKey, object_name, open_object};

static KEYS: LazyLock<(Cipher, SigningKey)> = LazyLock::new(|| {
    (
        Cipher::new(&SecretKey::generate().unwrap()),
        SigningKey::from_seed(&[7; 32]),
    )
});

fuzz_target!(|data: &[u8]| {
    let (cipher, signer) = &*KEYS;
    let device = DeviceId([1; 16]);
    let known = |d: DeviceId| {
        (d == device).then(|| DeviceKey {
            public: signer.public_key(),
            revoked_after: None,
        })
    };
    // Nobody signed these bytes: they never open.
    assert!(open_object(&object_name(device, 1), data, cipher, known).is_err());

    if let Ok(state) = postcard::from_bytes::<RowState>(data) {
        let row: Fields = BTreeMap::from([
            ("kind".to_string(), "\"purchase\"".to_string()),
            ("fields/item".to_string(), "\"kettle\"".to_string()),
        ]);
        let mut clock = RowClock::default();
        clock.capture(
            Some(&row),
            Stamp::new(
                Hlc {
                    ms: 1_000,
                    count: 0,
                },
                device,
            ),
        );
        let merged = clock.merge(Some(&row), &state);
        // A state merged twice: the second time changes nothing.
        let mut again = clock.clone();
        let twice = again.merge(merged.row.as_ref(), &state);
        assert!(
            !twice.changed,
            "merging the same state twice changed the row"
        );
        assert_eq!(twice.row, merged.row);
        assert_eq!(again, clock);
        // A row's own state merged back changes nothing either.
        let own = clock.state(merged.row.as_ref());
        let back = clock.clone().merge(merged.row.as_ref(), &own);
        assert!(!back.changed, "a row's own state changed it");
        // What a merged row is written as can be read back.
        if let Some(fields) = &merged.row {
            let _ = flatten(&unflatten(fields));
        }
    }
});
