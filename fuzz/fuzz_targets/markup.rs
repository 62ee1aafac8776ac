//! Any bytes as an email's HTML body (invalid UTF-8 replaced, as the mail
//! reader does) through the schema.org markup extractor: JSON-LD scripts
//! and Microdata, with the limits it promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrm_vault::discover::markup::{self, MAX_FOUND};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let found = markup::extract(&html);
    assert!(found.len() <= MAX_FOUND);
    for f in &found {
        // Nothing invented: every result names an item, a number or a price.
        assert!(f.item.is_some() || f.order_number.is_some() || f.price.is_some());
        for s in [
            &f.item,
            &f.order_number,
            &f.price,
            &f.currency,
            &f.merchant,
            &f.tracking,
        ]
        .into_iter()
        .flatten()
        {
            assert!(!s.is_empty() && s.chars().count() <= 200);
            assert!(!s.chars().any(char::is_control));
        }
    }
});
