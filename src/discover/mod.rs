//! Discovering a person's relationships with companies from their own mail.

#[cfg(feature = "imap")]
pub mod imap;
