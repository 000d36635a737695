//! External systems: a client has an id, a secret (kept only as a
//! hash), an active flag, its business, and the scopes it may use.

use serde::{Deserialize, Serialize};

use crate::id::{BusinessId, ClientId};
use crate::text::text_enum;
use crate::time::Timestamp;

text_enum!(
    /// What a client may do: each scope grants one kind of access.
    Scope {
        /// Read customers.
        CustomersRead => "customers:read",
        /// Create and update customers.
        CustomersWrite => "customers:write",
        /// Delete customers, lifecycle actions, GDPR requests.
        CustomersAdmin => "customers:admin",
    }
);

/// Longest client name accepted, in characters.
pub const CLIENT_NAME_MAX_CHARS: usize = 100;

/// What a client is called by its operators: 1 to 100 characters, no control,
/// bidirectional or invisible characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientName(String);

/// Why a string is not a client name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a client name is 1 to {CLIENT_NAME_MAX_CHARS} characters, without control, bidirectional or invisible characters"
)]
pub struct InvalidClientName;

impl ClientName {
    /// Parses a name.
    pub fn parse(input: &str) -> Result<Self, InvalidClientName> {
        let name = input.trim();
        if name.is_empty()
            || name.chars().count() > CLIENT_NAME_MAX_CHARS
            || name.chars().any(crate::text::refused_in_line)
        {
            return Err(InvalidClientName);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text::parsed_text!(ClientName, InvalidClientName);

/// An external system allowed to call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Its id: the user name of its Basic credentials.
    pub id: ClientId,
    /// The only business whose data it may see or change.
    pub business_id: BusinessId,
    /// What its operators call it.
    pub name: ClientName,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// The SHA-256 of its secret, in hex: the secret itself is never stored.
    pub secret_hash: String,
    /// The secret its last rotation replaced, while it is still accepted.
    pub previous_secret: Option<PreviousSecret>,
    /// Whether it may call at all.
    pub active: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed (a rotation, a deactivation).
    pub updated_at: Timestamp,
}

/// A secret replaced by a rotation, still accepted beside the new one until
/// a set time, so that a client's deployments can change over without a
/// moment in which neither works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    /// Its SHA-256, in hex.
    pub hash: String,
    /// When it stops being accepted.
    pub until: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_written_as_resource_and_action() {
        assert_eq!("customers:write".parse(), Ok(Scope::CustomersWrite));
        assert_eq!(Scope::CustomersAdmin.to_string(), "customers:admin");
        assert!("customers:all".parse::<Scope>().is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ClientName::parse(" Accounting ").unwrap().as_str(), "Accounting");
        assert!(ClientName::parse("").is_err());
        assert!(ClientName::parse(&"x".repeat(101)).is_err());
        assert!(ClientName::parse("a\tb").is_err());
    }
}
