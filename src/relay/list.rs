//! The person's relays, kept in the vault (a document each, so they sync
//! with the rest): [`Relays`], the handle `vault.relays()` returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::RelayUrl;
use crate::error::{Error, Result};
use crate::terms::agreement::derived_uuid;
use crate::vault::features::Relays;
use crate::vault::store;

const RELAY_KIND: &str = "relay";

/// The most relays one vault keeps: each broadcast and each fetch talks to
/// every one.
pub const MAX_RELAYS: usize = 20;

/// A relay the person added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct RelayEntry {
    /// Its address.
    pub url: RelayUrl,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

fn doc_id(url: &RelayUrl) -> String {
    derived_uuid(&["relay", url.as_str()]).to_string()
}

impl Relays<'_> {
    /// Every relay's URL, in the order added.
    pub fn urls(&self) -> Result<Vec<RelayUrl>> {
        Ok(self.list()?.into_iter().map(|e| e.url).collect())
    }

    /// Every relay, in the order added.
    pub fn list(&self) -> Result<Vec<RelayEntry>> {
        let (mut list, _) = self.vault.docs::<RelayEntry>(RELAY_KIND)?;
        list.sort_by(|a, b| a.added_at.cmp(&b.added_at).then(a.url.cmp(&b.url)));
        Ok(list)
    }

    /// Add a relay (checked as [`RelayUrl::parse`] says). Adding one the
    /// vault has already changes nothing and says so: `Ok(false)`.
    pub fn add(&mut self, url: &str) -> Result<(RelayEntry, bool)> {
        let url = RelayUrl::parse(url)?;
        let id = doc_id(&url);
        if let Some(row) = store::doc(self.vault.conn(), RELAY_KIND, &id)? {
            return Ok((self.vault.open_doc(&row)?, false));
        }
        if self.list()?.len() >= MAX_RELAYS {
            return Err(Error::invalid_field(
                "relay",
                format!("at most {MAX_RELAYS} relays; remove one first"),
            ));
        }
        let entry = RelayEntry {
            url,
            added_at: {
                let now = Utc::now();
                DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
            },
        };
        let tx = self.vault.write_tx()?;
        self.vault.insert_doc(&tx, RELAY_KIND, &id, None, &entry)?;
        tx.commit()?;
        Ok((entry, true))
    }

    /// Remove a relay; one the vault does not have is an error that says so.
    pub fn remove(&mut self, url: &str) -> Result<RelayUrl> {
        let url = RelayUrl::parse(url)?;
        let tx = self.vault.write_tx()?;
        if !store::delete_doc(&tx, RELAY_KIND, &doc_id(&url))? {
            return Err(Error::invalid_field(
                "relay",
                format!("{url} is not one of your relays"),
            ));
        }
        tx.commit()?;
        Ok(url)
    }

    /// The relays to use: `chosen` (checked), or, when none are, every relay
    /// the vault keeps. None at all is an error that says how to add one.
    pub fn resolve(&self, chosen: &[String]) -> Result<Vec<RelayUrl>> {
        let mut out: Vec<RelayUrl> = Vec::new();
        if chosen.is_empty() {
            out = self.urls()?;
        } else {
            for c in chosen {
                let u = RelayUrl::parse(c)?;
                if !out.contains(&u) {
                    out.push(u);
                }
            }
        }
        if out.is_empty() {
            return Err(Error::invalid_field(
                "relay",
                "no relay: add one first (vrm relay add wss://…), or name one with --relay",
            ));
        }
        Ok(out)
    }
}
