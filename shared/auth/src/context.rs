//! The authorizer context: what the auth-check authorizer hands API Gateway and
//! API Gateway hands each route function, in `requestContext.authorizer.lambda`.
//!
//! | key            | value                                                  |
//! |----------------|--------------------------------------------------------|
//! | `kind`         | `user`, `client`, or `anonymous` when refused           |
//! | `principal_id` | the user's `sub`, or the client's id                    |
//! | `business_id`  | the caller's business (a UUID)                          |
//! | `roles`        | a user's roles, separated by spaces                     |
//! | `scopes`       | a client's scopes, separated by spaces                  |
//! | `denial`       | for `anonymous`: `missing_credentials`, `invalid_credentials` or `unavailable` |
//!
//! Every value is a string, the one type every API Gateway context allows.
//!
//! A refused request still reaches its function, as `anonymous` with its
//! denial, so that the function answers it with the same problem+json 401 (or
//! 503) in the cloud as under `make run`: API Gateway would answer an
//! authorizer's refusal with a bare 403.

use std::collections::HashMap;

use clientele_core::BusinessId;
use serde_json::Value;

use clientele_core::Scope;

use crate::gate::{Decision, Denial};
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
    /// Space-separated scopes.
    pub const SCOPES: &str = "scopes";
    /// Why an anonymous request has no principal.
    pub const DENIAL: &str = "denial";
}

/// Why a context does not describe a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the authorizer context has a missing or invalid {0}")]
pub struct InvalidContext(pub &'static str);

fn words<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The context describing a decision.
pub fn to_context(decision: &Decision) -> HashMap<String, Value> {
    let pairs = match decision {
        Decision::Allow(principal) => vec![
            (keys::KIND, principal.kind.as_str().to_owned()),
            (keys::PRINCIPAL_ID, principal.id.clone()),
            (keys::BUSINESS_ID, principal.business_id.to_string()),
            (keys::ROLES, words(principal.roles.iter().map(Role::as_str))),
            (keys::SCOPES, words(principal.scopes.iter().map(|s| s.as_str()))),
        ],
        Decision::Deny(denial) => vec![
            (keys::KIND, "anonymous".to_owned()),
            (keys::DENIAL, denial.as_str().to_owned()),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), Value::from(v))).collect()
}

/// The space-separated values under `key` (none when absent).
fn words_of<T: std::str::FromStr>(
    context: &HashMap<String, Value>,
    key: &'static str,
) -> Result<Vec<T>, InvalidContext> {
    let text = match context.get(key) {
        None => "",
        Some(value) => value.as_str().ok_or(InvalidContext(key))?,
    };
    text.split_whitespace()
        .map(|word| word.parse().map_err(|_| InvalidContext(key)))
        .collect()
}

/// The decision a context describes.
pub fn from_context(context: &HashMap<String, Value>) -> Result<Decision, InvalidContext> {
    let text = |key: &'static str| context.get(key).and_then(Value::as_str).ok_or(InvalidContext(key));
    let kind = match text(keys::KIND)? {
        "user" => PrincipalKind::User,
        "client" => PrincipalKind::Client,
        "anonymous" => {
            return Ok(Decision::Deny(Denial::from_name(
                text(keys::DENIAL).unwrap_or_default(),
            )));
        }
        _ => return Err(InvalidContext(keys::KIND)),
    };
    let id = text(keys::PRINCIPAL_ID)?;
    if !valid_principal_id(id) {
        return Err(InvalidContext(keys::PRINCIPAL_ID));
    }
    let business_id = BusinessId::parse(text(keys::BUSINESS_ID)?).map_err(|_| InvalidContext(keys::BUSINESS_ID))?;
    let roles: Vec<Role> = words_of(context, keys::ROLES)?;
    let scopes: Vec<Scope> = words_of(context, keys::SCOPES)?;
    let principal = match kind {
        PrincipalKind::User if scopes.is_empty() => Principal::user(id, business_id, roles),
        PrincipalKind::Client if roles.is_empty() => Principal::client(id, business_id, scopes),
        PrincipalKind::User => return Err(InvalidContext(keys::SCOPES)),
        PrincipalKind::Client => return Err(InvalidContext(keys::ROLES)),
    };
    Ok(Decision::Allow(principal))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Principal {
        Principal::user("user-1", BusinessId::random(), vec![Role::Staff, Role::Admin])
    }

    fn client() -> Principal {
        Principal::client("client-1", BusinessId::random(), vec![Scope::CustomersRead])
    }

    #[test]
    fn every_decision_round_trips() {
        for decision in [
            Decision::Allow(user()),
            Decision::Allow(client()),
            Decision::Deny(Denial::MissingCredentials),
            Decision::Deny(Denial::InvalidCredentials),
            Decision::Deny(Denial::Unavailable),
        ] {
            assert_eq!(from_context(&to_context(&decision)), Ok(decision));
        }
    }

    #[test]
    fn every_value_is_a_string() {
        assert!(to_context(&Decision::Allow(user())).values().all(Value::is_string));
    }

    #[test]
    fn refuses_missing_and_invalid_values() {
        for (key, bad) in [
            (keys::PRINCIPAL_ID, Value::from("")),
            (keys::KIND, Value::from("robot")),
            (keys::BUSINESS_ID, Value::from("not-a-uuid")),
            (keys::ROLES, Value::from("staff root")),
            (keys::SCOPES, Value::from("customers:read")),
        ] {
            let mut context = to_context(&Decision::Allow(user()));
            context.insert(key.to_owned(), bad);
            assert_eq!(from_context(&context), Err(InvalidContext(key)), "{key}");
        }
        let mut context = to_context(&Decision::Allow(user()));
        context.remove(keys::BUSINESS_ID);
        assert_eq!(from_context(&context), Err(InvalidContext(keys::BUSINESS_ID)));
    }

    #[test]
    fn an_anonymous_context_with_an_odd_denial_is_invalid_credentials() {
        let context = HashMap::from([
            (keys::KIND.to_owned(), Value::from("anonymous")),
            (keys::DENIAL.to_owned(), Value::from("who-knows")),
        ]);
        assert_eq!(from_context(&context), Ok(Decision::Deny(Denial::InvalidCredentials)));
    }
}
