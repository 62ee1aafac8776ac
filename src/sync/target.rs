//! Where sync objects are kept: a store that can list names, read an
//! object and write a new one (never replace one). A folder replicated by a
//! file-sync tool is one; an S3 bucket is another.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::object::{MAX_OBJECT_LEN, parse_object_name};
use crate::error::{Error, Result};
use crate::vault::fs::{FileMode, OutFile, write_file};

pub use super::store::{S3Form, S3Secret, S3Settings, Target};

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
        let mut bytes = Vec::new();
        Ok(self.get_into(name, &mut bytes)?.then_some(bytes))
    }

    fn get_into(&self, name: &str, buf: &mut Vec<u8>) -> Result<bool> {
        let path = self.path(name)?;
        let file = match open_no_follow(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io(&path, e)),
        };
        buf.clear();
        file.take(MAX_OBJECT_LEN as u64 + 1)
            .read_to_end(buf)
            .map_err(|e| Error::io(&path, e))?;
        Ok(true)
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
