//! The ids of what the vault keeps, one type each, so that a record's id
//! cannot be passed where a brand's is meant.
//!
//! An id is a name, not a credential: holding one proves nothing, and any
//! text makes one (a lookup with a wrong id finds nothing). Ids the vault
//! makes are random UUID v4s. In JSON, and in the UI's types, an id is a
//! plain string.
//!
//! What a person types to name something (an id, a unique id prefix, a
//! brand's name) is a reference, not an id: the vault's lookups take it as
//! `&str` and answer with the typed id.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ts", derive(specta::Type))]
        pub struct $name(String);

        impl $name {
            /// A new random id (UUID v4).
            pub fn random() -> Self {
                $name(uuid::Uuid::new_v4().to_string())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as owned text.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // An id reads as its text wherever a reference (`&str`: an id, a
        // prefix or a name) is taken; the typed id is what lookups return.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        // Maps keyed by id are looked up with the text of one.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

id_type! {
    /// A brand's id.
    BrandId
}
id_type! {
    /// A record's id.
    RecordId
}
id_type! {
    /// A share's id (its grant is `urn:uuid:<id>`).
    ShareId
}
id_type! {
    /// The id of one version of the person's terms.
    TermsVersionId
}
id_type! {
    /// The id of a brand's answer to the person's terms (from its
    /// credential's `urn:uuid:`).
    AgreementId
}
id_type! {
    /// A data-rights request's id; also the reference quoted in letters.
    RequestId
}
id_type! {
    /// An intent's id (its credential is `urn:uuid:<id>`).
    IntentId
}
id_type! {
    /// An offer's id (from the offer's `urn:uuid:`).
    OfferId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_plain_string_in_json() {
        let id = BrandId::from("3f2b");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"3f2b\"");
        let back: BrandId = serde_json::from_str("\"3f2b\"").unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn random_ids_are_uuid_v4s_and_differ() {
        let a = RecordId::random();
        let b = RecordId::random();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(a.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }

    #[test]
    fn a_map_keyed_by_id_is_looked_up_by_its_text() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(ShareId::from("abc"), 1);
        assert_eq!(map.get("abc"), Some(&1));
    }
}
