//! The shell's own checks: the TypeScript bindings are those the commands
//! generate, and the capability grants exactly the app's commands.

const BINDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/bindings.ts");

const HEADER: &str = "// Generated from the app's commands and the Rust types by\n\
// `cargo test -p vrm-vault-app bindings` (tauri-specta). Do not edit: change\n\
// the Rust side, then run it with UPDATE_BINDINGS=1.";

/// The bindings as the commands make them now (exported once per test run).
fn bindings() -> &'static str {
    static FRESH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FRESH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vrm-bindings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bindings.ts");
        crate::specta_builder()
            .export(
                specta_typescript::Typescript::default().header(HEADER),
                &path,
            )
            .expect("the bindings export");
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        text
    })
}

#[test]
fn typescript_bindings_match_the_rust_types() {
    let fresh = bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(BINDINGS, fresh).unwrap();
    }
    let committed = std::fs::read_to_string(BINDINGS).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/bindings.ts is out of date with the Rust commands and types; run \
         UPDATE_BINDINGS=1 cargo test -p vrm-vault-app bindings and commit it"
    );
}

#[test]
fn the_bindings_wrap_exactly_the_declared_commands() {
    let bindings = bindings();
    for name in crate::COMMAND_NAMES {
        assert!(
            bindings.contains(&format!(">(\"{name}\"")),
            "{name} has no wrapper in the bindings"
        );
    }
    assert_eq!(
        bindings.matches("__TAURI_INVOKE<").count(),
        crate::COMMAND_NAMES.len(),
        "one wrapper per command, and no other"
    );
}

#[test]
fn the_capability_grants_exactly_the_app_commands_and_nothing_risky() {
    let cap: serde_json::Value =
        serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
    let granted: Vec<&str> = cap["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        granted,
        [
            "core:event:allow-listen",
            "core:event:allow-unlisten",
            "app-commands"
        ],
        "only the app's commands and event listening"
    );
    // The set build.rs made from the same list.
    let set = include_str!(concat!(
        env!("OUT_DIR"),
        "/app-permissions/app-commands.toml"
    ));
    let allowed: Vec<&str> = set
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .filter_map(|l| l.strip_suffix("\","))
        .collect();
    let expected: Vec<String> = crate::COMMAND_NAMES
        .iter()
        .map(|n| format!("allow-{}", n.replace('_', "-")))
        .collect();
    assert_eq!(allowed, expected);
    assert!(set.contains("identifier = \"app-commands\""));
}

#[test]
fn the_content_security_policy_is_strict() {
    let conf: serde_json::Value = serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
    let csp = conf["app"]["security"]["csp"]
        .as_str()
        .expect("a CSP is set");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    for directive in csp.split(';') {
        for source in directive.split_whitespace().skip(1) {
            let allowed = ["'self'", "'none'", "data:", "ipc:", "http://ipc.localhost"];
            assert!(
                allowed.contains(&source),
                "{source} in {directive:?}: no unsafe-eval, unsafe-inline or remote origins"
            );
        }
    }
    assert_eq!(
        conf["app"]["withGlobalTauri"],
        serde_json::Value::Bool(false)
    );
}

/// A private session bus (dbus-daemon), a fake screensaver on it announcing
/// that the screen locked: the watcher must call back.
#[test]
fn a_screensaver_lock_signal_locks_the_vault() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("dbus-daemon (Debian package dbus) is needed for this test");
    let mut address = String::new();
    BufReader::new(daemon.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let connect = || {
        zbus::blocking::connection::Builder::address(address.trim())
            .unwrap()
            .build()
            .unwrap()
    };
    let screensaver = connect();
    screensaver
        .request_name("org.freedesktop.ScreenSaver")
        .unwrap();

    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let tx = std::sync::Arc::new(tx);
    crate::lock_signals::watch_screensavers(&connect(), move |reason| {
        let _ = tx.lock().unwrap().send(reason);
    });
    std::thread::sleep(Duration::from_millis(500));
    let emit = |active: bool| {
        screensaver
            .emit_signal(
                None::<()>,
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver",
                "ActiveChanged",
                &(active,),
            )
            .unwrap();
    };
    emit(false);
    emit(true);
    let got = rx.recv_timeout(Duration::from_secs(5));
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(
        got,
        Ok("screen locked"),
        "the lock signal reached the watcher"
    );
    assert!(rx.try_recv().is_err(), "ActiveChanged(false) does not lock");
}
