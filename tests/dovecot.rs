//! A real Dovecot IMAP server for the IMAP tests: its own config,
//! certificates, user and Maildir in a temp folder, listening on loopback on
//! free high ports, run as the user running the tests (never the system's
//! instance, never ports 143/993). `scripts/setup` installs it
//! (`dovecot-imapd`, `openssl`).
//!
//! As root (CI), Dovecot refuses mail access as uid 0: the Maildir belongs
//! to `nobody` (65534), which the mail processes run as, and the Dovecot
//! system users the package made run its login and internal services. As
//! any other user, every service runs as that user (a rootless Dovecot).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::processes::{free_port, stop_group as stop};

/// The mail owner's uid and gid when the tests run as root.
const NOBODY: u32 = 65534;
/// How long Dovecot may take to listen on both ports.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running Dovecot; dropping it stops the server and removes its folder.
pub struct Dovecot {
    child: Child,
    dir: tempfile::TempDir,
    tls_port: u16,
    plain_port: u16,
    ca_file: PathBuf,
    foreign_ca_file: PathBuf,
    /// The uid and gid the Maildir's files belong to.
    owner: (u32, u32),
    counter: AtomicU32,
}

/// The Dovecot binary, if installed (it lives in /usr/sbin, which a
/// non-root PATH may lack).
fn binary() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("dovecot"));
    from_path
        .chain([PathBuf::from("/usr/sbin/dovecot")])
        .find(|p| p.is_file())
}

impl Dovecot {
    /// A started Dovecot, or `None` (after saying so) when Dovecot is not
    /// installed and this is not CI; under CI a missing Dovecot fails.
    pub fn start_or_skip() -> Option<Dovecot> {
        if binary().is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "dovecot is not installed (scripts/setup installs dovecot-imapd)"
            );
            eprintln!("skipped: dovecot is not installed (scripts/setup installs dovecot-imapd)");
            return None;
        }
        Some(Dovecot::start())
    }

    /// Start a Dovecot: a self-signed CA and a server certificate for
    /// `localhost` and 127.0.0.1, user `jane` (passwd-file), a Maildir with
    /// INBOX and `Receipts`; implicit TLS on one free port, plain (for
    /// STARTTLS) on another. Waits until both accept (at most 10 s).
    pub fn start() -> Dovecot {
        let bin =
            binary().expect("dovecot is not installed (scripts/setup installs dovecot-imapd)");
        let dir = tempfile::Builder::new()
            .prefix("dovecot")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        let me = std::fs::metadata(&root).unwrap();
        let as_root = me.uid() == 0;
        let owner = if as_root {
            (NOBODY, NOBODY)
        } else {
            (me.uid(), me.gid())
        };
        // The mail processes (not root) must reach their home through it.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["run", "state"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        certificates(&root);
        std::fs::write(
            root.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        let maildir = root.join("home").join(USER).join("Maildir");
        for folder in ["", ".Receipts"] {
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(maildir.join(folder).join(sub)).unwrap();
            }
        }
        std::fs::write(maildir.join("subscriptions"), "Receipts\n").unwrap();
        if as_root {
            chown_all(&root.join("home"), owner);
        }

        let mut last_log = String::new();
        for _attempt in 0..3 {
            let (tls_port, plain_port) = (free_port(), free_port());
            let conf = root.join("dovecot.conf");
            std::fs::write(&conf, config(&root, tls_port, plain_port, owner, as_root)).unwrap();
            let log = std::fs::File::create(root.join("stderr.log")).unwrap();
            let mut child = Command::new(&bin)
                .arg("-F")
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                // Its own process group, so that stopping it leaves nothing.
                .process_group(0)
                .spawn()
                .unwrap();
            let deadline = Instant::now() + START_TIMEOUT;
            let mut exited = false;
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    exited = true;
                    break;
                }
                let up = |port| TcpStream::connect(("127.0.0.1", port)).is_ok();
                if up(tls_port) && up(plain_port) {
                    return Dovecot {
                        child,
                        ca_file: root.join("ca.crt"),
                        foreign_ca_file: root.join("foreign-ca.crt"),
                        dir,
                        tls_port,
                        plain_port,
                        owner,
                        counter: AtomicU32::new(0),
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            last_log = logs(&root);
            stop(&mut child);
            // A port taken between finding it free and Dovecot's bind: again.
            if !exited {
                break;
            }
        }
        panic!("dovecot did not start:\n{last_log}");
    }

    /// The implicit-TLS port.
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }

    /// The plain port, for STARTTLS.
    pub fn plain_port(&self) -> u16 {
        self.plain_port
    }

    /// The CA that signed the server's certificate (PEM).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// Another CA with the same name but its own key, which did not sign
    /// the server's certificate.
    pub fn foreign_ca_file(&self) -> &Path {
        &self.foreign_ca_file
    }

    /// The user's name.
    pub fn user(&self) -> &str {
        USER
    }

    /// The user's password.
    pub fn password(&self) -> &str {
        PASSWORD
    }

    /// Deliver a message into `folder` (`INBOX` or another), unread, received now.
    pub fn add_message(&self, folder: &str, raw: &[u8]) {
        self.deliver(folder, raw, None, None);
    }

    /// Deliver a message with Maildir flags (`"S"` for \Seen: into `cur/`),
    /// received at `received` (its INTERNALDATE, which `SEARCH SINCE` reads).
    pub fn add_message_with(&self, folder: &str, raw: &[u8], flags: &str, received: SystemTime) {
        self.deliver(folder, raw, Some(flags), Some(received));
    }

    fn deliver(&self, folder: &str, raw: &[u8], flags: Option<&str>, received: Option<SystemTime>) {
        let dir = self.folder_dir(folder);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let name = format!("{secs}.M{n}P{}.vrm-test", std::process::id());
        let tmp = dir.join("tmp").join(&name);
        let mut file = std::fs::File::create(&tmp).unwrap();
        file.write_all(raw).unwrap();
        if let Some(when) = received {
            file.set_modified(when).unwrap();
        }
        drop(file);
        std::os::unix::fs::chown(&tmp, Some(self.owner.0), Some(self.owner.1)).unwrap();
        let to = match flags {
            None => dir.join("new").join(&name),
            Some(flags) => dir.join("cur").join(format!("{name}:2,{flags}")),
        };
        std::fs::rename(&tmp, &to).unwrap();
    }

    /// Make the folder's UIDVALIDITY change: its UID list and indexes go
    /// (and the mailbox list's index, which remembers it); Dovecot numbers
    /// the messages anew, under a new UIDVALIDITY.
    pub fn reset_uidvalidity(&self, folder: &str) {
        let dir = self.folder_dir(folder);
        let root = self.maildir();
        for d in [dir.as_path(), root.as_path()] {
            for entry in std::fs::read_dir(d).unwrap() {
                let entry = entry.unwrap();
                let name = entry.file_name().to_string_lossy().into_owned();
                let ours =
                    d == dir && (name == "dovecot-uidlist" || name.starts_with("dovecot.index"));
                if ours || name.starts_with("dovecot.list.index") {
                    std::fs::remove_file(entry.path()).unwrap();
                }
            }
        }
    }

    /// Each message file of the folder (by its unique name) with its Maildir
    /// flags (`"S"` when \Seen; `""` for a message still in `new/`).
    pub fn flags(&self, folder: &str) -> BTreeMap<String, String> {
        let dir = self.folder_dir(folder);
        let mut out = BTreeMap::new();
        for sub in ["new", "cur"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                let (base, flags) = match name.split_once(":2,") {
                    Some((base, flags)) => (base.to_string(), flags.to_string()),
                    None => (name.clone(), String::new()),
                };
                out.insert(base, flags);
            }
        }
        out
    }

    /// Dovecot's log so far.
    pub fn log(&self) -> String {
        logs(self.dir.path())
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("home").join(USER).join("Maildir")
    }

    fn folder_dir(&self, folder: &str) -> PathBuf {
        if folder.eq_ignore_ascii_case("INBOX") {
            return self.maildir();
        }
        assert!(
            folder.is_ascii() && !folder.contains(['/', '.', '&']),
            "{folder}"
        );
        let dir = self.maildir().join(format!(".{folder}"));
        if !dir.exists() {
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(dir.join(sub)).unwrap();
            }
            chown_all(&dir, self.owner);
        }
        dir
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

const USER: &str = "jane";
const PASSWORD: &str = "s3cret \"quoted\" \\ pass";

fn logs(root: &Path) -> String {
    ["stderr.log", "dovecot.log"]
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn chown_all(path: &Path, (uid, gid): (u32, u32)) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_all(&entry.unwrap().path(), (uid, gid));
        }
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ca.crt` (+ key), `server.crt`/`server.key` for localhost and 127.0.0.1
/// signed by it, and `foreign-ca.crt`: same name, other key. P-256 keys
/// (quick to make).
fn certificates(root: &Path) {
    std::fs::write(
        root.join("openssl.cnf"),
        "[req]\ndistinguished_name = dn\nprompt = no\n\
         [dn]\nCN = VRM Vault test CA\n\
         [ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n\
         subjectKeyIdentifier = hash\n\
         [server]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
    )
    .unwrap();
    let openssl = || {
        let mut c = Command::new("openssl");
        c.current_dir(root);
        c
    };
    for ca in ["ca", "foreign-ca"] {
        run(openssl().args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{ca}.key"),
            "-out",
            &format!("{ca}.crt"),
            "-days",
            "2",
            "-config",
            "openssl.cnf",
            "-extensions",
            "ca",
        ]));
    }
    run(openssl().args([
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-config",
        "openssl.cnf",
        "-subj",
        "/CN=localhost",
    ]));
    run(openssl().args([
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "openssl.cnf",
        "-extensions",
        "server",
    ]));
}

/// The whole configuration: nothing from /etc/dovecot.
fn config(
    root: &Path,
    tls_port: u16,
    plain_port: u16,
    (uid, gid): (u32, u32),
    as_root: bool,
) -> String {
    let r = root.display();
    // Rootless: every service as the user running the tests.
    let users = if as_root {
        String::new()
    } else {
        let name =
            String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
        let group =
            String::from_utf8(Command::new("id").arg("-gn").output().unwrap().stdout).unwrap();
        format!(
            "default_internal_user = {n}\ndefault_login_user = {n}\ndefault_internal_group = {g}\n",
            n = name.trim(),
            g = group.trim()
        )
    };
    format!(
        r#"# VRM Vault IMAP tests: a throwaway Dovecot on loopback.
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
info_log_path = {r}/dovecot.log
protocols = imap
listen = 127.0.0.1
{users}
ssl = yes
ssl_cert = <{r}/server.crt
ssl_key = <{r}/server.key
ssl_min_protocol = TLSv1.2
# LOGIN only once the connection is encrypted (after STARTTLS on the plain port).
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={r}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed logins (the tests fail some on purpose).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"#
    )
}
