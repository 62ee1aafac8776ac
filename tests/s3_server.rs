//! A real S3-protocol server for the sync tests, on loopback, on a free
//! port, in a temp folder; stopped when dropped.
//!
//! By default moto's S3 server (`scripts/setup` installs it from PyPI in
//! `target/s3-venv`). With `VRM_TEST_GARAGE=/path/to/garage`, Garage
//! instead (a single-node cluster of its own: layout, key and bucket made
//! with its own command line), which also checks every signature.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::processes::{free_port, own_group, stop_group};

use rusty_s3::actions::ListObjectsV2;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

/// How long a server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Which server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Moto,
    Garage,
}

/// A running server with one bucket, `vault-sync`.
pub struct S3Server {
    child: Child,
    _dir: tempfile::TempDir,
    pub kind: Kind,
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
}

fn moto_binary() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/s3-venv/bin/moto_server")
}

fn wait_for(port: u16, child: &mut Child) {
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the S3 server exited: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the S3 server did not listen in time"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl S3Server {
    /// A started server, or `None` (after saying so) when none is
    /// installed and this is not CI; under CI a missing server fails.
    pub fn start_or_skip() -> Option<S3Server> {
        if let Some(garage) = std::env::var_os("VRM_TEST_GARAGE") {
            return Some(S3Server::start_garage(Path::new(&garage)));
        }
        if !moto_binary().is_file() {
            assert!(
                std::env::var_os("CI").is_none(),
                "no S3 server: scripts/setup installs moto in target/s3-venv"
            );
            eprintln!("skipped: no S3 server (scripts/setup installs moto in target/s3-venv)");
            return None;
        }
        Some(S3Server::start_moto())
    }

    fn start_moto() -> S3Server {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = own_group(&mut Command::new(moto_binary()))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for(port, &mut child);
        let server = S3Server {
            child,
            _dir: dir,
            kind: Kind::Moto,
            endpoint: format!("http://127.0.0.1:{port}"),
            region: "us-east-1".into(),
            access_key: "AKIAVRMVAULTTEST0001".into(),
            secret_key: "vrm-vault-test-secret-key-not-a-real-one".into(),
            bucket: "vault-sync".into(),
        };
        let url = server
            .bucket_handle()
            .create_bucket(&server.credentials())
            .sign(Duration::from_secs(60));
        let resp = ureq::put(url.as_str()).send_empty().unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        server
    }

    fn start_garage(bin: &Path) -> S3Server {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (s3_port, rpc_port) = (free_port(), free_port());
        let config = root.join("garage.toml");
        std::fs::write(
            &config,
            format!(
                r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"
"#,
                meta = root.join("meta").display(),
                data = root.join("data").display(),
                secret = "6f0c7d0b9a1e4c3f8e2d5a7b9c1e3f5a7b9d1f3e5a7c9e1b3d5f7a9c1e3b5d70",
            ),
        )
        .unwrap();
        let mut child = own_group(&mut Command::new(bin))
            .args(["-c", config.to_str().unwrap(), "server"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("garage.log")).unwrap())
            .spawn()
            .unwrap();
        wait_for(s3_port, &mut child);
        let garage = |args: &[&str]| -> String {
            let out = Command::new(bin)
                .args(["-c", config.to_str().unwrap()])
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "garage {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        // The node's id: the first hex word of `garage node id`.
        let deadline = Instant::now() + START_TIMEOUT;
        let node = loop {
            let out = Command::new(bin)
                .args(["-c", config.to_str().unwrap(), "node", "id", "-q"])
                .output()
                .unwrap();
            if out.status.success() {
                let text = String::from_utf8(out.stdout).unwrap();
                break text.trim().split('@').next().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "garage did not start");
            std::thread::sleep(Duration::from_millis(200));
        };
        garage(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]);
        garage(&["layout", "apply", "--version", "1"]);
        let access_key = "GK0123456789abcdef01234567".to_string();
        let secret_key =
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_string();
        garage(&["key", "import", "--yes", &access_key, &secret_key]);
        garage(&["bucket", "create", "vault-sync"]);
        garage(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            "vault-sync",
            "--key",
            &access_key,
        ]);
        S3Server {
            child,
            _dir: dir,
            kind: Kind::Garage,
            endpoint: format!("http://127.0.0.1:{s3_port}"),
            region: "garage".into(),
            access_key,
            secret_key,
            bucket: "vault-sync".into(),
        }
    }

    fn credentials(&self) -> Credentials {
        Credentials::new(self.access_key.clone(), self.secret_key.clone())
    }

    fn bucket_handle(&self) -> Bucket {
        Bucket::new(
            self.endpoint.parse().unwrap(),
            UrlStyle::Path,
            self.bucket.clone(),
            self.region.clone(),
        )
        .unwrap()
    }

    /// Writes the access key and the secret key to files in `dir`, for
    /// `vrm sync setup --access-key-file --secret-key-file`.
    pub fn key_files(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let (a, s) = (dir.join("s3-access-key"), dir.join("s3-secret-key"));
        std::fs::write(&a, format!("{}\n", self.access_key)).unwrap();
        std::fs::write(&s, format!("{}\n", self.secret_key)).unwrap();
        (a, s)
    }

    /// Every key in the bucket, with its bytes (what the store holds).
    pub fn scan(&self) -> Vec<(String, Vec<u8>)> {
        let bucket = self.bucket_handle();
        let creds = self.credentials();
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut list = ListObjectsV2::new(&bucket, Some(&creds));
            if let Some(t) = &token {
                list.with_continuation_token(t.as_str());
            }
            let url = list.sign(Duration::from_secs(60));
            let text = ureq::get(url.as_str())
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap();
            let page = ListObjectsV2::parse_response(&text).unwrap();
            for object in page.contents {
                let url = bucket
                    .get_object(Some(&creds), &object.key)
                    .sign(Duration::from_secs(60));
                let bytes = ureq::get(url.as_str())
                    .call()
                    .unwrap()
                    .body_mut()
                    .with_config()
                    .limit(64 * 1024 * 1024)
                    .read_to_vec()
                    .unwrap();
                out.push((object.key, bytes));
            }
            match page.next_continuation_token {
                Some(t) => token = Some(t),
                None => return out,
            }
        }
    }

    /// Writes `bytes` at `key` in the bucket, replacing what is there (a
    /// store or an attacker altering an object).
    pub fn put_raw(&self, key: &str, bytes: &[u8]) {
        let url = self
            .bucket_handle()
            .put_object(Some(&self.credentials()), key)
            .sign(Duration::from_secs(60));
        let resp = ureq::put(url.as_str()).send(bytes).unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}
