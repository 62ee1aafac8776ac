//! Sync across the person's devices, end to end encrypted, over storage
//! they already have (a folder a file-sync tool replicates, an S3 bucket).
//!
//! - [`hlc`]: the order of changes across devices, which no wall clock
//!   (behind, or a year ahead) can stop.
//! - [`object`]: what a device writes to the store: sealed under the sync
//!   key, signed by the device, never rewritten; and why one is refused.
//! - [`merge`]: a row as fields, merged field by field, the later edit of a
//!   field winning and the other kept in the row's history; deletes final.
//! - [`target`]: the store: a folder, or an S3 bucket (`s3`, with the
//!   `s3` feature).
//! - [`log`]: the activity log of every device: each keeps its chain and
//!   copies its new entries for the others at each sync.
//! - [`revoke`]: revoking a device: its later objects refused, a new sync
//!   key sealed to the devices kept, the store compacted under it.
//! - [`devices`]: setting sync up, inviting a device and joining, the
//!   state of sync, and a record's history of merged-away values.
//! - [`engine`]: `vault.sync()`: this device, the vault's devices, and a
//!   sync (capture what changed here, pull the others' objects, push).

pub mod devices;
pub mod engine;
pub mod hlc;
pub mod log;
pub mod merge;
pub mod object;
pub mod revoke;
#[cfg(feature = "s3")]
pub mod s3;
pub mod store;
pub mod target;
