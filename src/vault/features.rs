//! Handles to the features of an unlocked vault: `vault.terms()`,
//! `vault.shares()`, `vault.rights()`, `vault.intents()`. Each is a borrow of
//! the vault; its operations are implemented in the feature's own folder
//! ([`crate::terms`], [`crate::share`], [`crate::rights`], [`crate::intent`]),
//! over the documents the vault keeps ([`crate::vault::documents`]). The base
//! names the handles and never calls into them.

use super::Vault;

macro_rules! feature_handle {
    ($(#[$doc:meta])* $name:ident, $accessor:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<'v> {
            pub(crate) vault: &'v mut Vault,
        }

        impl Vault {
            #[doc = concat!("The vault's ", $what, ".")]
            pub fn $accessor(&mut self) -> $name<'_> {
                $name { vault: self }
            }
        }
    };
}

feature_handle!(
    /// Personal terms of service: versions, issuing a version to a brand, and
    /// brands' answers (implemented in [`crate::terms::agreement`]).
    Terms,
    terms,
    "terms of service"
);
feature_handle!(
    /// Shares of chosen records with one brand: create, revoke, erasure
    /// acknowledgments, exposure (implemented in [`crate::share`]).
    Shares,
    shares,
    "shares"
);
feature_handle!(
    /// GDPR and CCPA requests with their deadlines and letters, and the
    /// contacts that broke accepted contact rules (implemented in
    /// [`crate::rights::requests`]).
    Rights,
    rights,
    "data-rights requests"
);
feature_handle!(
    /// Intents sent to chosen brands and the offers that answer them
    /// (implemented in [`crate::intent`]).
    Intents,
    intents,
    "intents and offers"
);
feature_handle!(
    /// Discovery: proposals of brands and records staged from the person's
    /// mail, for them to accept, ignore or merge (implemented in
    /// [`crate::discover`]).
    Discovery,
    discovery,
    "discovery from mail"
);
feature_handle!(
    /// Sync across the person's devices: this device's identity, the
    /// devices of the vault, and pushing and pulling sealed changes
    /// (implemented in [`crate::sync`]).
    Syncing,
    sync,
    "sync across devices"
);
feature_handle!(
    /// The person's Nostr relays, where intents are broadcast and offers
    /// fetched (implemented in [`crate::relay`]).
    Relays,
    relays,
    "Nostr relays"
);
