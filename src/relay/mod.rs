//! Intentcasting over Nostr relays: the open network where any seller can
//! listen. An intent is published as a NIP-99 listing (kind 30402) whose
//! content is the signed `IntentRequest` credential, unchanged, with tags a
//! seller can filter on (category, a coarse geohash, budget) and a NIP-40
//! expiration equal to the credential's `validUntil`. The event is signed by
//! a secp256k1 key made for that one intent (kept with the intent's other
//! keys), which the credential names as where offers go. Sellers answer with
//! NIP-59 gift wraps (NIP-44 v2) to that key holding a signed `Offer`; an
//! accepted offer goes back the same way to the seller's key.
//!
//! The protocol's event types, signatures, NIP-44 and NIP-59 are the `nostr`
//! crate's (rust-nostr); this module adds the WebSocket (tungstenite, one
//! blocking connection per relay, every read under a deadline), what the
//! vault keeps (the person's relays, what each broadcast did), and the
//! checks on what comes back.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};

#[cfg(feature = "relays")]
pub(crate) mod client;
#[cfg(feature = "relays")]
mod conn;
mod list;
pub mod market;

#[cfg(feature = "relays")]
pub use client::{RelayQuery, publish_all, query_all};
pub use list::RelayEntry;

/// How long one relay may take to answer (to connect, then each message)
/// unless told otherwise: relays are asked at once, so this is about the
/// longest a publish or a fetch takes.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

/// The largest event taken from a relay (serialized JSON). An intent with
/// its terms is a few kilobytes; anything far past that is refused unread.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// A relay's address: `wss://`, or `ws://` to this machine only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
#[serde(try_from = "String", into = "String")]
pub struct RelayUrl(String);

impl RelayUrl {
    /// Check and normalise a relay URL: `wss://host[:port][/path]`, or
    /// `ws://` to `localhost` or a loopback address (the WebSocket is
    /// unencrypted, so only where nothing crosses a network). No user name,
    /// password, query or fragment; one trailing `/` is dropped.
    pub fn parse(s: &str) -> Result<RelayUrl> {
        let bad = |why: &str| Error::invalid_field("relay", format!("relay URL {why}"));
        let s = s.trim();
        if s.is_empty() || s.len() > 500 {
            return Err(bad("must be given, and at most 500 characters"));
        }
        let url = Url::parse(s).map_err(|e| bad(&format!("is not a URL ({e})")))?;
        match url.scheme() {
            "wss" => {}
            "ws" => {
                let local = match url.host() {
                    Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    None => false,
                };
                if !local {
                    return Err(bad(
                        "must start wss:// (ws://, unencrypted, only to this machine)",
                    ));
                }
            }
            _ => return Err(bad("must start wss:// (or ws:// to this machine)")),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("may not hold a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("may not have a query or fragment"));
        }
        let mut text = url.to_string();
        if url.path() == "/" && text.ends_with('/') {
            text.pop();
        }
        Ok(RelayUrl(text))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[cfg_attr(not(feature = "relays"), allow(dead_code))]
    pub(crate) fn parsed(&self) -> Url {
        Url::parse(&self.0).expect("a RelayUrl was parsed when made")
    }

    /// Whether a resolved address may be connected to: this machine, or an
    /// address on the internet (never the person's own network: a relay URL
    /// from anywhere must not make the vault talk to their router).
    #[cfg_attr(not(feature = "relays"), allow(dead_code))]
    pub(crate) fn may_connect(&self, ip: IpAddr) -> bool {
        if self.0.starts_with("ws://") {
            ip.is_loopback()
        } else {
            ip.is_loopback() || is_public(ip)
        }
    }
}

#[cfg(feature = "http")]
fn is_public(ip: IpAddr) -> bool {
    crate::net::is_public(ip)
}

#[cfg(not(feature = "http"))]
fn is_public(_: IpAddr) -> bool {
    false
}

impl TryFrom<String> for RelayUrl {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        RelayUrl::parse(&s)
    }
}

impl From<RelayUrl> for String {
    fn from(u: RelayUrl) -> String {
        u.0
    }
}

impl std::fmt::Display for RelayUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How one relay took a published event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum PublishStatus {
    /// Stored (an `OK` with `true`; a duplicate counts: the relay holds it).
    Accepted {
        /// What the relay said, if anything.
        message: Option<String>,
    },
    /// The relay refused it (an `OK` with `false`).
    Rejected {
        /// The relay's reason.
        reason: String,
    },
    /// No answer: could not connect, dropped the connection, or said
    /// nothing in time.
    Unreachable {
        /// What went wrong.
        reason: String,
    },
}

impl PublishStatus {
    /// Whether the relay holds the event.
    pub fn is_accepted(&self) -> bool {
        matches!(self, PublishStatus::Accepted { .. })
    }
}

/// One relay's outcome for a published event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct Publish {
    /// The relay.
    pub relay: RelayUrl,
    /// How it went.
    #[serde(flatten)]
    pub status: PublishStatus,
}

/// An event as received, with the relays that had it.
#[derive(Debug, Clone)]
pub struct RelayedEvent {
    /// The event (its id and signature verified, matching the filters).
    pub event: nostr::prelude::Event,
    /// Every relay that sent it.
    pub relays: Vec<RelayUrl>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_are_wss_or_ws_to_this_machine_and_normalised() {
        for (given, kept) in [
            ("wss://relay.example.com", "wss://relay.example.com"),
            ("wss://Relay.Example.com/", "wss://relay.example.com"),
            (
                "  wss://relay.example.com:444/nostr ",
                "wss://relay.example.com:444/nostr",
            ),
            ("ws://127.0.0.1:7001", "ws://127.0.0.1:7001"),
            ("ws://localhost:7001/", "ws://localhost:7001"),
            ("ws://[::1]:7001", "ws://[::1]:7001"),
        ] {
            assert_eq!(RelayUrl::parse(given).unwrap().as_str(), kept, "{given}");
        }
        for bad in [
            "",
            "relay.example.com",
            "https://relay.example.com",
            "ws://relay.example.com",
            "ws://192.168.1.5:7000",
            "wss://user:pw@relay.example.com",
            "wss://relay.example.com/?x=1",
            "wss://relay.example.com/#x",
            "wss://",
        ] {
            let e = RelayUrl::parse(bad).unwrap_err();
            assert_eq!(e.field(), Some("relay"), "{bad}: {e}");
        }
    }

    #[test]
    fn only_this_machine_for_ws_and_no_private_network_for_wss() {
        let local = RelayUrl::parse("ws://127.0.0.1:1").unwrap();
        assert!(local.may_connect("127.0.0.1".parse().unwrap()));
        assert!(!local.may_connect("93.184.216.34".parse().unwrap()));
        let public = RelayUrl::parse("wss://relay.example.com").unwrap();
        assert!(!public.may_connect("192.168.1.1".parse().unwrap()));
        assert!(!public.may_connect("169.254.169.254".parse().unwrap()));
        assert!(public.may_connect("::1".parse().unwrap()));
    }
}
