//! Integration tests of the VRM Vault core and the `vrm` command line.
//! One binary (ripgrep's shape); one module per area.

// Shared helpers: vaults in temp folders, file scans, the `vrm` binary.
mod util;
// Server processes the tests start (free ports, process groups).
mod processes;

// Create, unlock, wrong passphrase, passwd, recover, damaged and newer files.
mod lifecycle;
// The committed first-release vault (tests/data) still opens.
mod compat;
// Brands and records through the public API: add, edit, filter, delete.
mod records;
// No plaintext, and no ciphertext of deleted rows, in any file of the vault.
mod residue;
// Rows moved or altered, truncated files: detected, the rest readable.
mod tamper;
// Import (JSON, CSV), export to age, the `age` command, restore.
mod transfer;
// Property tests: arbitrary and mutated import files never panic, fail cleanly.
mod parsers;
// Processes racing over one vault: inits, restores, adds of one name, edits.
mod races;
// The command-line contract: output shapes, exit statuses, messages.
mod cli;
// The README's command-line tour, every `$` line run as written.
mod readme;
// Output files and folders, group help, usage errors, verify, --fields, withdrawals.
mod cli_flags;
// `vrm generate-docs`: the man pages and completions `make deb` ships.
mod cli_docs;
// The person ↔ brand exchange: terms, shares, revocation, rights, contact rules, log.
mod exchange;
// A real Dovecot on loopback for the IMAP tests (their own config, certificates, Maildir).
mod dovecot;
// Reading mail over IMAP (discover::imap) against it: TLS, STARTTLS, incremental, read-only.
mod imap;
// Share bundles (age): the real `age` command both ways, limits, damage, fuzzing.
mod bundle;
// Every C2SP CCTV age test vector through bundle::decrypt.
mod bundle_vectors;
// Terms, shares, requests and the log at rest: residue, tamper, bad documents.
mod documents;
// Intentcasting across processes: intent → brand-kit serve → offer → accept.
mod intents;
// What the command line prints: values escaped, one line per item; names refuse hidden characters.
mod output;
// Every parser and opened document: arbitrary text, and valid documents
// structurally mutated then signed again, so the code after verification runs.
mod bad_input;
// SIGKILL during imports and edits (the real binary): all or nothing, no
// acknowledged commit lost, the vault opens clean. Unix: kill is SIGKILL.
#[cfg(unix)]
mod crash;
// One random byte flipped in a closed vault: harmless or reported, never
// silently different data, never a panic.
mod flips;
// Discovery from mail: a generated corpus through the core and `vrm discover`.
mod discover;
// The mail the discovery tests and benchmarks generate.
mod mail_corpus;
// Every command's output, normalised, against tests/golden/cli.txt (VRM_GOLDEN_UPDATE=1 rewrites it).
mod golden;
// Sync between two devices over a folder: invitation, join, merges, history, deletes, refusals.
mod sync;
// A real S3-protocol server on loopback for the S3 sync tests (moto; Garage by hand).
mod s3_server;
// Sync through an S3 bucket: key files, invitation, compaction, refusals, bad settings.
mod sync_s3;
// A real Nostr relay on loopback for the relay tests (nostr-relay from PyPI; nostr-rs-relay by hand).
mod relay_server;
// The NIP-44 v2 test vectors against the NIP-44 of the vault's gift wraps.
mod nip44_vectors;
// Intents over a relay: broadcast, a seller watching and answering, offers fetched, acceptance and withdrawal back.
mod relays;
