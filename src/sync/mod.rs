//! Sync across the person's devices, end to end encrypted, over storage
//! they already have (a folder a file-sync tool replicates, an S3 bucket).
//!
//! Groundwork so far: the order of changes across devices ([`hlc`]) and
//! the sealed, signed objects devices write to the store ([`object`]).

pub mod hlc;
pub mod object;
