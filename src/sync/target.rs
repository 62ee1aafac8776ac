//! Where sync objects are kept: a store that can list names, read an
//! object and write a new one (never replace one). A folder replicated by a
//! file-sync tool is one; an S3 bucket is another.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::object::{MAX_OBJECT_LEN, parse_object_name};
use crate::error::{Error, Result};
use crate::vault::fs::{FileMode, OutFile, write_file};

/// A store of sync objects.
pub trait Target {
    /// The names of the objects of the store (`devices/<id>/<seq>`), in no
    /// order. Anything else in the store (a file-sync tool's temporary
    /// files, its conflict copies) is not an object and not listed.
    fn list(&self) -> Result<Vec<String>>;

    /// One object's bytes, or `None` if it is not there (yet). A store
    /// object larger than [`MAX_OBJECT_LEN`] is read only that far, so the
    /// reader refuses it without holding it all.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>>;

    /// Writes a new object. Fails with [`Error::SyncObjectExists`] if
    /// there is one by that name: an object is never replaced.
    fn put_new(&self, name: &str, bytes: &[u8]) -> Result<()>;

    /// Removes an object (after a snapshot replaces it).
    fn remove(&self, name: &str) -> Result<()>;

    /// What the store is, for a person: a folder's path, a bucket's URL.
    fn describe(&self) -> String;
}

/// Where a device syncs to, as kept (sealed) in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[non_exhaustive]
pub enum TargetSpec {
    /// A folder (which a file-sync tool may replicate).
    Folder {
        /// The folder.
        path: PathBuf,
    },
    /// A bucket of an S3-compatible store.
    S3(S3Settings),
}

impl TargetSpec {
    /// The store it names, checked to be there.
    pub fn open(&self) -> Result<Box<dyn Target>> {
        match self {
            TargetSpec::Folder { path } => Ok(Box::new(FolderTarget::new(path)?)),
            #[cfg(feature = "s3")]
            TargetSpec::S3(settings) => Ok(Box::new(super::s3::S3Target::new(settings)?)),
            #[cfg(not(feature = "s3"))]
            TargetSpec::S3(_) => Err(Error::invalid(
                "this build of VRM Vault cannot sync to an S3 store (built without the `s3` feature)",
            )),
        }
    }

    /// The target as a person reads it.
    pub fn describe(&self) -> String {
        match self {
            TargetSpec::Folder { path } => format!("folder {}", path.display()),
            TargetSpec::S3(settings) => settings.describe(),
        }
    }
}

/// Where in an S3-compatible store, and the credentials to reach it (kept
/// sealed in the vault, and in an invitation under its one-time code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Settings {
    /// The store's URL (`https://s3.eu-west-1.amazonaws.com`,
    /// `http://127.0.0.1:3900`).
    pub endpoint: String,
    /// The bucket (made beforehand).
    pub bucket: String,
    /// Where in the bucket, without slashes at its ends; empty for the
    /// bucket's root.
    pub prefix: String,
    /// The region to sign for (`garage` for Garage, `us-east-1` for most
    /// others).
    pub region: String,
    /// The access key's id.
    pub access_key: String,
    /// The secret key.
    pub secret_key: S3Secret,
}

/// An S3 secret key: printed as stars, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Secret(zeroize::Zeroizing<String>);

impl Serialize for S3Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for S3Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(S3Secret(zeroize::Zeroizing::new(String::deserialize(d)?)))
    }
}

impl S3Secret {
    /// The secret key, trimmed of the line end a key file has.
    pub fn new(secret: &str) -> Self {
        S3Secret(zeroize::Zeroizing::new(secret.trim().to_string()))
    }

    /// The key itself: for signing requests only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for S3Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("S3Secret(****)")
    }
}

impl S3Settings {
    /// Settings from `s3://BUCKET/PREFIX` and the rest, checked.
    pub fn new(
        target: &str,
        endpoint: &str,
        region: Option<&str>,
        access_key: &str,
        secret_key: S3Secret,
    ) -> Result<Self> {
        let rest = target.strip_prefix("s3://").ok_or_else(|| {
            Error::invalid(format!(
                "an S3 target is s3://BUCKET/PREFIX, not {target:?}"
            ))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let settings = S3Settings {
            endpoint: endpoint.trim().trim_end_matches('/').to_string(),
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            region: region.unwrap_or("us-east-1").trim().to_string(),
            access_key: access_key.trim().to_string(),
            secret_key,
        };
        settings.check()?;
        Ok(settings)
    }

    /// Checks what a person typed (or an invitation carried).
    pub fn check(&self) -> Result<()> {
        self.endpoint_url()?;
        let b = self.bucket.as_bytes();
        let bucket_ok = (3..=63).contains(&b.len())
            && b.iter()
                .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric();
        if !bucket_ok {
            return Err(Error::invalid(format!(
                "{:?} is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)",
                self.bucket
            )));
        }
        let prefix_ok = self.prefix.len() <= 200
            && self.prefix.split('/').all(|part| {
                self.prefix.is_empty()
                    || (!part.is_empty()
                        && part != "."
                        && part != ".."
                        && part
                            .bytes()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')))
            });
        if !prefix_ok {
            return Err(Error::invalid(format!(
                "{:?} is not a prefix in a bucket (letters, digits, '-', '_', '.', parts joined by '/')",
                self.prefix
            )));
        }
        if self.region.is_empty()
            || self.region.len() > 64
            || !self
                .region
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(Error::invalid(format!(
                "{:?} is not a region name",
                self.region
            )));
        }
        if self.access_key.is_empty() || self.access_key.chars().any(char::is_control) {
            return Err(Error::invalid("the S3 access key is empty or not one line"));
        }
        let secret = self.secret_key.expose();
        if secret.is_empty() || secret.chars().any(char::is_control) {
            return Err(Error::invalid("the S3 secret key is empty or not one line"));
        }
        Ok(())
    }

    /// The endpoint as a URL: https, or plain http to this machine or a
    /// private address (a store at home), where a signed request and
    /// sealed bytes crossing a network one trusts are what was chosen.
    pub fn endpoint_url(&self) -> Result<url::Url> {
        let url = url::Url::parse(&self.endpoint)
            .map_err(|_| Error::invalid(format!("{:?} is not a URL", self.endpoint)))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::invalid(
                "the endpoint URL holds a user name or password; give keys with --access-key-file and --secret-key-file",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::invalid("the endpoint URL has a query or fragment"));
        }
        match url.scheme() {
            "https" => Ok(url),
            "http" => {
                let local = match url.host() {
                    Some(url::Host::Domain(d)) => d == "localhost",
                    Some(url::Host::Ipv4(ip)) => {
                        ip.is_loopback() || ip.is_private() || ip.is_link_local()
                    }
                    Some(url::Host::Ipv6(ip)) => {
                        ip.is_loopback() || (ip.segments()[0] & 0xfe00) == 0xfc00
                    }
                    None => false,
                };
                if local {
                    Ok(url)
                } else {
                    Err(Error::invalid(format!(
                        "{} is plain http to another network: use https (plain http is for this machine or a private address)",
                        self.endpoint
                    )))
                }
            }
            other => Err(Error::invalid(format!(
                "an S3 endpoint is https://… or http://…, not {other}:"
            ))),
        }
    }

    /// `prefix/`, or nothing: what every object's key starts with.
    pub fn key_prefix(&self) -> String {
        if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        }
    }

    /// The store as a person reads it (no key).
    pub fn describe(&self) -> String {
        let prefix = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("/{}", self.prefix)
        };
        format!("s3://{}{prefix} at {}", self.bucket, self.endpoint)
    }
}

/// A folder as the store: each object a file at its name under the folder.
#[derive(Debug, Clone)]
pub struct FolderTarget {
    root: PathBuf,
}

impl FolderTarget {
    /// The store in `root`, which must be a folder that exists.
    pub fn new(root: &Path) -> Result<Self> {
        let meta = std::fs::symlink_metadata(root).map_err(|e| Error::io(root, e))?;
        if !meta.is_dir() {
            return Err(Error::invalid(format!(
                "the sync folder {} is not a folder",
                root.display()
            )));
        }
        Ok(FolderTarget {
            root: root.to_path_buf(),
        })
    }

    /// The objects under `top` (`devices`, `snapshots`, `images`, `keys`), added to
    /// `names`.
    fn list_under(&self, top: &str, names: &mut Vec<String>) -> Result<()> {
        let devices = self.root.join(top);
        let entries = match std::fs::read_dir(&devices) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&devices, e)),
        };
        for device in entries {
            let device = device.map_err(|e| Error::io(&devices, e))?;
            // A link is not followed: the store is the folder, not what
            // a link in it points to.
            if !device
                .file_type()
                .map_err(|e| Error::io(&devices, e))?
                .is_dir()
            {
                continue;
            }
            let Some(device_name) = device.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let dir = device.path();
            for object in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
                let object = object.map_err(|e| Error::io(&dir, e))?;
                if !object
                    .file_type()
                    .map_err(|e| Error::io(&dir, e))?
                    .is_file()
                {
                    continue;
                }
                let Some(file) = object.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                let name = format!("{top}/{device_name}/{file}");
                if parse_object_name(&name).is_some() {
                    names.push(name);
                }
            }
        }
        Ok(())
    }

    fn path(&self, name: &str) -> Result<PathBuf> {
        // Only names of objects: no other path is ever made from a name.
        if parse_object_name(name).is_none() {
            return Err(Error::invalid(format!(
                "not a sync object's name: {name:?}"
            )));
        }
        Ok(self.root.join(name))
    }
}

impl Target for FolderTarget {
    fn list(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for top in ["devices", "snapshots", "images", "keys"] {
            self.list_under(top, &mut names)?;
        }
        Ok(names)
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(name)?;
        let file = match open_no_follow(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_OBJECT_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&path, e))?;
        Ok(Some(bytes))
    }

    fn put_new(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(name)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        write_file(OutFile::new_only(&path), FileMode::Private, bytes).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
                Error::SyncObjectExists(name.to_string())
            }
            other => other,
        })
    }

    fn remove(&self, name: &str) -> Result<()> {
        let path = self.path(name)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

/// Opens a file for reading, refusing a symbolic link.
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
    }
    #[cfg(not(unix))]
    {
        if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(std::io::Error::other("a symbolic link"));
        }
        std::fs::File::open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::object::{DeviceId, object_name};

    #[test]
    fn a_folder_lists_its_objects_only_and_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let t = FolderTarget::new(dir.path()).unwrap();
        assert_eq!(t.list().unwrap(), Vec::<String>::new());
        let name = object_name(DeviceId([1; 16]), 1);
        t.put_new(&name, b"one").unwrap();
        assert!(matches!(
            t.put_new(&name, b"two"),
            Err(Error::SyncObjectExists(_))
        ));
        assert_eq!(t.get(&name).unwrap().as_deref(), Some(&b"one"[..]));
        // What a file-sync tool leaves beside objects is not an object.
        let device_dir = dir
            .path()
            .join("devices")
            .join(DeviceId([1; 16]).to_string());
        std::fs::write(device_dir.join("0000000000000001.sync-conflict-1"), b"x").unwrap();
        std::fs::write(device_dir.join(".syncthing.tmp"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("devices").join("not-a-device")).unwrap();
        assert_eq!(t.list().unwrap(), vec![name.clone()]);
        assert_eq!(t.get(&object_name(DeviceId([1; 16]), 2)).unwrap(), None);
        assert!(t.get("../../etc/passwd").is_err());
        t.remove(&name).unwrap();
        assert_eq!(t.list().unwrap(), Vec::<String>::new());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_in_the_store_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(outside.path(), b"secret").unwrap();
        let t = FolderTarget::new(dir.path()).unwrap();
        let name = object_name(DeviceId([2; 16]), 1);
        let path = dir.path().join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path(), &path).unwrap();
        assert!(t.get(&name).is_err());
        assert!(t.list().unwrap().is_empty());
    }

    #[test]
    fn s3_settings_are_read_from_the_target_and_checked() {
        let key = || S3Secret::new("s3cr3t-key\n");
        let s = S3Settings::new(
            "s3://my-bucket/vault/laptop/",
            "https://s3.example.com/",
            None,
            "AKIA1\n",
            key(),
        )
        .unwrap();
        assert_eq!(s.bucket, "my-bucket");
        assert_eq!(s.prefix, "vault/laptop");
        assert_eq!(s.key_prefix(), "vault/laptop/");
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.access_key, "AKIA1");
        assert_eq!(s.secret_key.expose(), "s3cr3t-key");
        assert_eq!(s.endpoint, "https://s3.example.com");
        assert_eq!(
            TargetSpec::S3(s.clone()).describe(),
            "s3://my-bucket/vault/laptop at https://s3.example.com"
        );
        // The secret is in no Debug output, and is in the sealed JSON.
        let debug = format!("{:?}", TargetSpec::S3(s.clone()));
        assert!(
            !debug.contains("s3cr3t") && debug.contains("****"),
            "{debug}"
        );
        let json = serde_json::to_string(&TargetSpec::S3(s.clone())).unwrap();
        let back: TargetSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, TargetSpec::S3(s));
        let root = S3Settings::new(
            "s3://bkt",
            "http://127.0.0.1:9000",
            Some("garage"),
            "k",
            key(),
        )
        .unwrap();
        assert_eq!(root.key_prefix(), "");
        for (target, endpoint, access) in [
            ("my-bucket/x", "https://s3.example.com", "k"),
            ("s3://My_Bucket/x", "https://s3.example.com", "k"),
            ("s3://ab/x", "https://s3.example.com", "k"),
            ("s3://bkt/../x", "https://s3.example.com", "k"),
            ("s3://bkt/a//b", "https://s3.example.com", "k"),
            ("s3://bkt/a b", "https://s3.example.com", "k"),
            ("s3://bkt/x", "http://s3.example.com", "k"),
            ("s3://bkt/x", "http://8.8.8.8:9000", "k"),
            ("s3://bkt/x", "ftp://127.0.0.1", "k"),
            ("s3://bkt/x", "https://user:pw@s3.example.com", "k"),
            ("s3://bkt/x", "https://s3.example.com/?a=b", "k"),
            ("s3://bkt/x", "not a url", "k"),
            ("s3://bkt/x", "https://s3.example.com", ""),
            ("s3://bkt/x", "https://s3.example.com", "a\u{1b}b"),
        ] {
            assert!(
                S3Settings::new(target, endpoint, None, access, key()).is_err(),
                "{target} {endpoint} {access:?}"
            );
        }
        assert!(S3Settings::new("s3://bkt/x", "https://h", None, "k", S3Secret::new("")).is_err());
        // Plain http to this machine or a private address is a choice.
        for endpoint in [
            "http://localhost:3900",
            "http://192.168.1.20:9000",
            "http://[::1]:9000",
        ] {
            S3Settings::new("s3://bkt/x", endpoint, None, "k", key()).unwrap();
        }
    }
}
