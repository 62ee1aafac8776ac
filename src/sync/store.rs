//! What a store of sync objects is ([`Target`]: list, read, write new,
//! never replace), and the settings of an S3-compatible one. The stores
//! themselves are in `target.rs` (a folder, and which store a device uses)
//! and `s3.rs` (a bucket); both build on this, neither on the other.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A store of sync objects (shared by the threads of a join).
pub trait Target: Send + Sync {
    /// The names of the objects of the store (`devices/<id>/<seq>`), in no
    /// order. Anything else in the store (a file-sync tool's temporary
    /// files, its conflict copies) is not an object and not listed.
    fn list(&self) -> Result<Vec<String>>;

    /// One object's bytes, or `None` if it is not there (yet). A store
    /// object larger than [`MAX_OBJECT_LEN`](super::object::MAX_OBJECT_LEN) is read only that far, so the
    /// reader refuses it without holding it all.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>>;

    /// [`Self::get`] into `buf` (cleared first), so that a reader of many
    /// large objects reuses its buffers; `false` if it is not there.
    fn get_into(&self, name: &str, buf: &mut Vec<u8>) -> Result<bool> {
        match self.get(name)? {
            Some(bytes) => {
                *buf = bytes;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Writes a new object. Fails with [`Error::SyncObjectExists`] if
    /// there is one by that name: an object is never replaced.
    fn put_new(&self, name: &str, bytes: &[u8]) -> Result<()>;

    /// Removes an object (after a snapshot replaces it); one not there is
    /// not an error.
    fn remove(&self, name: &str) -> Result<()>;

    /// Removes these objects, in as few requests as the store allows.
    fn remove_all(&self, names: &[String]) -> Result<()> {
        names.iter().try_for_each(|name| self.remove(name))
    }

    /// What the store is, for a person: a folder's path, a bucket's URL.
    fn describe(&self) -> String;
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

    /// The secret key as it came (a form's field, over IPC), taken over
    /// and trimmed; what it came in is wiped, not left behind.
    pub fn from_string(mut secret: String) -> Self {
        use zeroize::Zeroize;
        let key = S3Secret::new(&secret);
        secret.zeroize();
        key
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

/// An S3-compatible store as a form types it (the app's Sync panel): each
/// value as typed. The secret key is not in it: it comes apart, as an
/// [`S3Secret`] from the moment it arrives, so no copy of this form (a
/// log, a `Debug` print) can hold it. [`S3Form::check`] makes the
/// [`S3Settings`], or says what is wrong, naming the form's field
/// (`target`, `endpoint`, `region`, `access_key`, `secret_key`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct S3Form {
    /// Where in the store: `s3://BUCKET/PREFIX` (the prefix may be left
    /// out).
    pub target: String,
    /// The store's URL (`https://…`; `http://` to this machine or a private
    /// address).
    pub endpoint: String,
    /// The region to sign for; empty for `us-east-1`.
    pub region: String,
    /// The access key's id.
    pub access_key: String,
}

impl S3Form {
    /// The settings this form and `secret_key` make, checked
    /// ([`S3Settings::new`]); white space around each value is ignored.
    pub fn check(&self, secret_key: S3Secret) -> Result<S3Settings> {
        let region = self.region.trim();
        S3Settings::new(
            &self.target,
            &self.endpoint,
            (!region.is_empty()).then_some(region),
            &self.access_key,
            secret_key,
        )
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
        let rest = target.trim().strip_prefix("s3://").ok_or_else(|| {
            Error::invalid_field(
                "target",
                format!("an S3 target is s3://BUCKET/PREFIX, not {target:?}"),
            )
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

    /// Checks what a person typed (or an invitation carried). An error
    /// names the value it is about as [`S3Form`] does: `endpoint`,
    /// `target` (the bucket and the prefix), `region`, `access_key`,
    /// `secret_key`.
    pub fn check(&self) -> Result<()> {
        self.endpoint_url()?;
        let b = self.bucket.as_bytes();
        let bucket_ok = (3..=63).contains(&b.len())
            && b.iter()
                .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric();
        if !bucket_ok {
            return Err(Error::invalid_field(
                "target",
                format!(
                    "{:?} is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)",
                    self.bucket
                ),
            ));
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
            return Err(Error::invalid_field(
                "target",
                format!(
                    "{:?} is not a prefix in a bucket (letters, digits, '-', '_', '.', parts joined by '/')",
                    self.prefix
                ),
            ));
        }
        if self.region.is_empty()
            || self.region.len() > 64
            || !self
                .region
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(Error::invalid_field(
                "region",
                format!("{:?} is not a region name", self.region),
            ));
        }
        if self.access_key.is_empty() || self.access_key.chars().any(char::is_control) {
            return Err(Error::invalid_field(
                "access_key",
                "the S3 access key is empty or not one line",
            ));
        }
        let secret = self.secret_key.expose();
        if secret.is_empty() || secret.chars().any(char::is_control) {
            return Err(Error::invalid_field(
                "secret_key",
                "the S3 secret key is empty or not one line",
            ));
        }
        Ok(())
    }

    /// The endpoint as a URL: https, or plain http to this machine or a
    /// private address (a store at home), where a signed request and
    /// sealed bytes crossing a network one trusts are what was chosen.
    pub fn endpoint_url(&self) -> Result<url::Url> {
        let bad = |reason: String| Error::invalid_field("endpoint", reason);
        let url = url::Url::parse(&self.endpoint)
            .map_err(|_| bad(format!("{:?} is not a URL", self.endpoint)))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "the endpoint URL holds a user name or password: the keys are given apart from it (--access-key-file and --secret-key-file, or the form's fields)".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("the endpoint URL has a query or fragment".into()));
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
                    Err(bad(format!(
                        "{} is plain http to another network: use https (plain http is for this machine or a private address)",
                        self.endpoint
                    )))
                }
            }
            other => Err(bad(format!(
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

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI-the-secret-key";

    fn form() -> S3Form {
        S3Form {
            target: " s3://vault-sync/alice ".into(),
            endpoint: "http://127.0.0.1:9000/".into(),
            region: String::new(),
            access_key: "AKIAVRMVAULT".into(),
        }
    }

    /// The field an error of `form` names, and its message.
    fn refused(form: &S3Form, secret: &str) -> (Option<String>, String) {
        let e = form.check(S3Secret::new(secret)).unwrap_err();
        assert_eq!(e.code(), "input.invalid", "{e}");
        let said = e.to_string();
        assert!(!said.contains(SECRET), "{said}");
        (e.field().map(str::to_string), said)
    }

    #[test]
    fn a_form_as_typed_makes_the_settings() {
        let s = form().check(S3Secret::new(&format!("{SECRET}\n"))).unwrap();
        assert_eq!(
            (s.bucket.as_str(), s.prefix.as_str(), s.region.as_str()),
            ("vault-sync", "alice", "us-east-1")
        );
        assert_eq!(s.endpoint, "http://127.0.0.1:9000");
        assert_eq!(s.secret_key.expose(), SECRET);
        let garage = S3Form {
            region: " garage ".into(),
            ..form()
        };
        assert_eq!(
            garage.check(S3Secret::new(SECRET)).unwrap().region,
            "garage"
        );
    }

    #[test]
    fn what_is_wrong_in_a_form_names_its_field() {
        let with = |f: fn(&mut S3Form)| {
            let mut x = form();
            f(&mut x);
            x
        };
        for (bad, field, says) in [
            (
                with(|f| f.endpoint = "not a url".into()),
                "endpoint",
                "is not a URL",
            ),
            (
                with(|f| f.endpoint = String::new()),
                "endpoint",
                "not a URL",
            ),
            (
                with(|f| f.endpoint = "http://s3.example.com".into()),
                "endpoint",
                "use https",
            ),
            (
                with(|f| f.endpoint = "ftp://127.0.0.1".into()),
                "endpoint",
                "https://",
            ),
            (
                with(|f| f.endpoint = "https://user:pw@s3.example.com".into()),
                "endpoint",
                "user name or password",
            ),
            (
                with(|f| f.target = "vault-sync/alice".into()),
                "target",
                "s3://BUCKET/PREFIX",
            ),
            (with(|f| f.target = String::new()), "target", "s3://"),
            (
                with(|f| f.target = "s3://Vault_Sync/x".into()),
                "target",
                "not an S3 bucket name",
            ),
            (
                with(|f| f.target = "s3://vault-sync/../x".into()),
                "target",
                "not a prefix",
            ),
            (
                with(|f| f.region = "eu west".into()),
                "region",
                "not a region name",
            ),
            (
                with(|f| f.access_key = "  ".into()),
                "access_key",
                "access key is empty",
            ),
        ] {
            let (named, said) = refused(&bad, SECRET);
            assert_eq!(named.as_deref(), Some(field), "{bad:?}: {said}");
            assert!(said.contains(says), "{bad:?}: {said}");
        }
        for secret in ["", "  \n", "two\nlines"] {
            let (named, said) = refused(&form(), secret);
            assert_eq!(named.as_deref(), Some("secret_key"), "{said}");
            assert!(said.contains("secret key is empty"), "{said}");
        }
    }

    #[test]
    fn the_secret_key_is_in_no_debug_print_and_what_it_came_in_is_wiped() {
        let key = S3Secret::from_string(format!("  {SECRET}\n"));
        assert_eq!(key.expose(), SECRET);
        let settings = form().check(key).unwrap();
        for printed in [
            format!("{settings:?}"),
            format!("{:?}", settings.secret_key),
            settings.describe(),
        ] {
            assert!(!printed.contains(SECRET), "{printed}");
        }
        assert!(format!("{settings:?}").contains("S3Secret(****)"));
        // The form itself holds no secret: it comes apart.
        let json = serde_json::to_value(form()).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["access_key", "endpoint", "region", "target"]);
    }
}
