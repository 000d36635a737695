//! The authorizer context: what the auth-check authorizer hands API Gateway and
//! API Gateway hands each route function, in `requestContext.authorizer.lambda`.
//!
//! | key            | value                                         |
//! |----------------|-----------------------------------------------|
//! | `principal_id` | the user's `sub`, or the client's id          |
//! | `kind`         | `user` or `client`                            |
//! | `business_id`  | the caller's business (a UUID)                |
//! | `roles`        | the roles held, separated by spaces           |
//!
//! Every value is a string, the one type every API Gateway context allows.

use std::collections::HashMap;

use clientele_core::BusinessId;
use serde_json::Value;

use crate::principal::{Principal, PrincipalKind, Role, valid_principal_id};

/// The context's keys.
pub mod keys {
    /// The principal's id.
    pub const PRINCIPAL_ID: &str = "principal_id";
    /// `user` or `client`.
    pub const KIND: &str = "kind";
    /// The caller's business.
    pub const BUSINESS_ID: &str = "business_id";
    /// Space-separated roles.
    pub const ROLES: &str = "roles";
}

/// Why a context does not describe a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the authorizer context has a missing or invalid {0}")]
pub struct InvalidContext(pub &'static str);

/// The context describing a principal.
pub fn to_context(principal: &Principal) -> HashMap<String, Value> {
    let roles: Vec<&str> = principal.roles.iter().map(Role::as_str).collect();
    HashMap::from([
        (keys::PRINCIPAL_ID.to_owned(), Value::from(principal.id.clone())),
        (keys::KIND.to_owned(), Value::from(principal.kind.as_str())),
        (
            keys::BUSINESS_ID.to_owned(),
            Value::from(principal.business_id.to_string()),
        ),
        (keys::ROLES.to_owned(), Value::from(roles.join(" "))),
    ])
}

/// The principal a context describes.
pub fn from_context(context: &HashMap<String, Value>) -> Result<Principal, InvalidContext> {
    let text = |key: &'static str| context.get(key).and_then(Value::as_str).ok_or(InvalidContext(key));
    let id = text(keys::PRINCIPAL_ID)?;
    if !valid_principal_id(id) {
        return Err(InvalidContext(keys::PRINCIPAL_ID));
    }
    let kind = match text(keys::KIND)? {
        "user" => PrincipalKind::User,
        "client" => PrincipalKind::Client,
        _ => return Err(InvalidContext(keys::KIND)),
    };
    let business_id = BusinessId::parse(text(keys::BUSINESS_ID)?).map_err(|_| InvalidContext(keys::BUSINESS_ID))?;
    let roles = text(keys::ROLES)?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<Vec<Role>, _>>()
        .map_err(|_| InvalidContext(keys::ROLES))?;
    Ok(Principal {
        id: id.to_owned(),
        kind,
        business_id,
        roles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            id: "user-1".into(),
            kind: PrincipalKind::User,
            business_id: BusinessId::random(),
            roles: vec![Role::Staff, Role::Admin],
        }
    }

    #[test]
    fn round_trips() {
        let p = principal();
        assert_eq!(from_context(&to_context(&p)), Ok(p));
    }

    #[test]
    fn every_value_is_a_string() {
        assert!(to_context(&principal()).values().all(Value::is_string));
    }

    #[test]
    fn refuses_missing_and_invalid_values() {
        for (key, bad) in [
            (keys::PRINCIPAL_ID, Value::from("")),
            (keys::KIND, Value::from("robot")),
            (keys::BUSINESS_ID, Value::from("not-a-uuid")),
            (keys::ROLES, Value::from("staff root")),
            (keys::ROLES, Value::from(3)),
        ] {
            let mut context = to_context(&principal());
            context.insert(key.to_owned(), bad);
            assert_eq!(from_context(&context), Err(InvalidContext(key)));
            context.remove(key);
            assert_eq!(from_context(&context), Err(InvalidContext(key)));
        }
    }
}
