//! Who is calling: principals and their roles, the authorizer context that
//! carries them from API Gateway to each function, and the JWT verification
//! that proves them, with signing keys from Secrets Manager.

pub mod context;
pub mod jwt;
pub mod keys;
pub mod principal;
pub mod secrets;

pub use context::{InvalidContext, from_context, to_context};
pub use jwt::{KeySource, TokenError, TokenSettings, TokenVerifier, issue};
pub use keys::{KeySet, SigningKey};
pub use principal::{Access, Principal, PrincipalKind, Role};
pub use secrets::{KeyUnavailable, SecretsManagerKeys};
