//! A real Nostr relay for the relay tests, on loopback, on a free port, in
//! a temp folder; stopped when dropped.
//!
//! By default `nostr-relay` (Python, from PyPI; `scripts/setup` installs it
//! in `target/relay-venv`). With `VRM_TEST_NOSTR_RS_RELAY=/path/to/nostr-rs-relay`,
//! nostr-rs-relay instead (crates.io; its build needs protoc and takes long
//! on 2 cores, so CI uses the Python one and a run against it is recorded in
//! BENCHMARKS.md).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::processes::{free_port, own_group, stop_group};

const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running relay.
pub struct RelayServer {
    child: Child,
    _dir: tempfile::TempDir,
    pub url: String,
    pub name: &'static str,
}

fn python_relay() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/relay-venv/bin/nostr-relay")
}

/// Ready once it answers NIP-11 (the WebSocket server is up).
fn wait_for(port: u16, child: &mut Child) {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the relay exited: {status}");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            let ok = ureq::get(&format!("http://127.0.0.1:{port}/"))
                .header("Accept", "application/nostr+json")
                .call()
                .is_ok_and(|r| r.status().as_u16() == 200);
            if ok {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the relay did not start in time");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl RelayServer {
    /// A started relay, or `None` (after saying so) when none is installed
    /// and this is not CI; under CI a missing relay fails.
    pub fn start_or_skip() -> Option<RelayServer> {
        if let Some(bin) = std::env::var_os("VRM_TEST_NOSTR_RS_RELAY") {
            return Some(RelayServer::start_nostr_rs_relay(Path::new(&bin)));
        }
        if !python_relay().is_file() {
            assert!(
                std::env::var_os("CI").is_none(),
                "no relay: scripts/setup installs nostr-relay in target/relay-venv"
            );
            eprintln!(
                "skipped: no relay (scripts/setup installs nostr-relay in target/relay-venv)"
            );
            return None;
        }
        Some(RelayServer::start_python())
    }

    fn start_python() -> RelayServer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("config.yaml");
        // Events up to 64 KiB (an intent with its terms is a few KiB; the
        // default 4 KiB is too small), sqlite in the temp folder, no auth.
        std::fs::write(
            &config,
            format!(
                "storage:\n  sqlalchemy.url: sqlite+aiosqlite:///{db}\n  validators:\n    - nostr_relay.validators.is_not_too_large\n    - nostr_relay.validators.is_signed\n\
                 max_event_size: 65536\n\
                 gunicorn:\n  bind: 127.0.0.1:{port}\n  workers: 1\n  loglevel: warning\n\
                 purple:\n  host: 127.0.0.1\n  port: {port}\n  workers: 1\n  disable_compression: true\n\
                 authentication:\n  enabled: false\n",
                db = dir.path().join("relay.sqlite3").display()
            ),
        )
        .unwrap();
        let mut child = own_group(&mut Command::new(python_relay()))
            .args(["-c", config.to_str().unwrap(), "serve"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(port, &mut child);
        RelayServer {
            child,
            _dir: dir,
            url: format!("ws://127.0.0.1:{port}"),
            name: "nostr-relay (Python)",
        }
    }

    fn start_nostr_rs_relay(bin: &Path) -> RelayServer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[info]\nrelay_url = \"ws://127.0.0.1:{port}/\"\nname = \"vrm test relay\"\n\
                 [database]\ndata_directory = \"{data}\"\n\
                 [network]\naddress = \"127.0.0.1\"\nport = {port}\n\
                 [limits]\nmax_event_bytes = 131072\n",
                data = dir.path().display()
            ),
        )
        .unwrap();
        let mut child = own_group(&mut Command::new(bin))
            .args([
                "--config",
                config.to_str().unwrap(),
                "--db",
                dir.path().to_str().unwrap(),
            ])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(port, &mut child);
        RelayServer {
            child,
            _dir: dir,
            url: format!("ws://127.0.0.1:{port}"),
            name: "nostr-rs-relay",
        }
    }
}

impl Drop for RelayServer {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}
