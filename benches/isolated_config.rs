//! What a vault leaves on the machine outside its folder (the last state
//! seen of each vault, `vault/manifest.rs`) goes, during a benchmark, to a
//! config folder of the run's own instead of the person's.

/// Runs this benchmark again in a child process whose per-user config
/// folder is a new temporary one, removed when it ends, and exits with its
/// status; in the child, returns. Call it first in `main`.
pub fn isolate_config() {
    const CHILD: &str = "VRM_BENCH_CONFIG_ISOLATED";
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("vrm-bench-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary config folder");
    let status = std::process::Command::new(std::env::current_exe().expect("this benchmark"))
        .args(std::env::args_os().skip(1))
        .env("XDG_CONFIG_HOME", &dir)
        .env(CHILD, "1")
        .status()
        .expect("the benchmark runs");
    let _ = std::fs::remove_dir_all(&dir);
    std::process::exit(status.code().unwrap_or(1));
}
