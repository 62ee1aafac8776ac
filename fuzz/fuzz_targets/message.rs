//! Any bytes as a mailbox: through the mbox reader (From lines, mboxrd
//! quoting, line and message limits), then each message, and the bytes
//! themselves as one message, through what a discovery run reads of it
//! (MIME parse, headers, the HTML and its markup), with the promises
//! `discover::check_message` checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrm_vault::discover::check_message;
use vrm_vault::discover::source::{self, MAX_MESSAGE_BYTES, MessageSink, RawMessage};

struct Check(usize);

impl MessageSink for Check {
    fn message(&mut self, msg: RawMessage<'_>) -> vrm_vault::Result<()> {
        assert!(msg.bytes.len() <= MAX_MESSAGE_BYTES);
        self.0 += 1;
        check_message(msg.bytes);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    check_message(data);
    let mut sink = Check(0);
    // Not an mbox is an error, never a panic.
    let _ = source::read_mbox_bytes(data, &mut sink);
});
