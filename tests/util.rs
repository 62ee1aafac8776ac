use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use vrm_vault::brandkit::BrandKey;
use vrm_vault::crypto::KdfParams;
use vrm_vault::{BrandInput, NewRecord, RecordKind, Vault};

pub const PASS: &str = "correct horse battery staple";

pub fn pass() -> SecretString {
    SecretString::from(PASS)
}

/// A new vault in a fresh temp folder, with the minimum (fast) KDF.
pub fn new_vault() -> (tempfile::TempDir, Vault) {
    let tmp = tempfile::tempdir().unwrap();
    let (mut vault, _code) =
        Vault::create(&vault_dir(&tmp), &pass(), KdfParams::minimum().unwrap()).unwrap();
    // Where `vrm` on this folder keeps it too (see `config_home`).
    vault.keep_seen_in(Some(seen_dir(&vault_dir(&tmp))));
    (tmp, vault)
}

pub fn vault_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("vault")
}

pub fn reopen(dir: &Path) -> Vault {
    Vault::open(dir)
        .unwrap()
        .keep_seen_in(Some(seen_dir(dir)))
        .unlock(&pass())
        .unwrap()
}

/// Every file in the folder, with its bytes.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Fail if `needle` occurs in any file of `dir`.
pub fn assert_nowhere(dir: &Path, needle: &[u8], what: &str) {
    assert!(!needle.is_empty());
    for (path, bytes) in snapshot(dir) {
        assert!(
            memchr::memmem::find(&bytes, needle).is_none(),
            "{what} found in {}",
            path.display()
        );
    }
}

/// The sealed body of a row, read straight from the file.
pub fn raw_body(dir: &Path, table: &str, id: &str) -> Vec<u8> {
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    conn.query_row(
        &format!("SELECT body FROM {table} WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )
    .unwrap()
}

/// Run SQL straight on the file (to play the attacker or the damage).
pub fn raw_sql(dir: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(dir.join("vault.db")).unwrap();
    conn.execute_batch(sql).unwrap();
}

/// The config folder `vrm` uses for the vault in `dir` (`dir` + `.config`,
/// beside it): the last state seen of the vault (and the settings) stay
/// with the test's vault, not in the user's config folder, and copies of
/// one vault in several folders do not see each other's state.
pub fn config_home(dir: &Path) -> PathBuf {
    let mut s = dir.as_os_str().to_owned();
    s.push(".config");
    s.into()
}

/// Where `vrm` keeps the last state seen of the vault in `dir`
/// (for [`vrm_vault::LockedVault::keep_seen_in`]).
pub fn seen_dir(dir: &Path) -> PathBuf {
    config_home(dir).join("vrm-vault").join("seen")
}

/// The `vrm` binary with a vault folder and passphrase set.
pub fn vrm(dir: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(vrm_process(dir))
}

/// [`vrm`] as a plain process (to start several at once).
pub fn vrm_process(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("vrm"));
    cmd.arg("--vault")
        .arg(dir)
        .arg("--kdf-target-ms")
        .arg("0")
        .env("XDG_CONFIG_HOME", config_home(dir))
        .env("VRM_PASSPHRASE", PASS)
        .env_remove("VRM_VAULT")
        .env_remove("VRM_NEW_PASSPHRASE")
        .env_remove("VRM_RECOVERY_CODE")
        .env_remove("VRM_BACKUP_PASSPHRASE")
        .env_remove("VRM_KDF_TARGET_MS");
    cmd
}

/// Run `vrm`, expect success, return stdout trimmed.
pub fn vrm_ok(dir: &Path, args: &[&str]) -> String {
    let out = vrm(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "vrm {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A vault created through the CLI; returns (temp, dir, recovery code).
pub fn cli_vault() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = vault_dir(&tmp);
    let code = vrm_ok(&dir, &["init"]);
    (tmp, dir, code)
}

pub fn need_age() {
    for tool in ["age", "age-keygen"] {
        let ok = std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok();
        assert!(
            ok,
            "the `{tool}` command is needed for interop tests: apt-get install age (the README's test command installs it)"
        );
    }
}

/// splitmix64: small, seedable, good enough to pick moments and offsets.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Uniform in [lo, hi).
    pub fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `var` as a number, else `default`.
pub fn env_number(var: &str, default: u64) -> u64 {
    match std::env::var(var) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{var} must be a number, not {v:?}")),
        Err(_) => default,
    }
}

/// The seed from `var`, else a fresh one (printed by the caller either way).
pub fn seed_from(var: &str) -> u64 {
    std::env::var(var)
        .ok()
        .map(|v| {
            v.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{var} must be a number"))
        })
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// A vault with one brand (whose keys the test holds, as the brand would)
/// and one profile record.
pub struct World {
    pub tmp: tempfile::TempDir,
    pub vault: Vault,
    pub key: BrandKey,
    pub brand: String,
    pub record: String,
}

pub fn world() -> World {
    let (tmp, mut vault) = new_vault();
    let key = BrandKey::generate().unwrap();
    let brand = vault
        .add_brand(&BrandInput {
            name: Some("Acme".into()),
            age_recipient: Some(key.age.recipient()),
            did: Some(key.signing.did()),
            ..Default::default()
        })
        .unwrap()
        .id
        .into_string();
    let record = vault
        .add_record(&NewRecord {
            kind: RecordKind::Profile,
            brand: None,
            fields: BTreeMap::from([("email".to_string(), "ana@example.org".to_string())]),
            tags: vec![],
        })
        .unwrap()
        .id
        .into_string();
    World {
        tmp,
        vault,
        key,
        brand,
        record,
    }
}
