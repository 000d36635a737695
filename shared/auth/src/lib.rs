//! Who is calling: principals and their roles or scopes, the credentials that
//! prove them (user JWTs, client id and secret), the one decision made from
//! those credentials in the cloud and locally, and the authorizer context that
//! carries it from API Gateway to each function.

pub mod clients;
pub mod context;
pub mod credentials;
pub mod gate;
pub mod jwt;
pub mod keys;
pub mod principal;
pub mod secret;
pub mod secrets;

pub use context::{InvalidContext, from_context, to_context};
pub use gate::{CredentialCheck, Decision, Denial, Gatekeeper};
pub use jwt::{KeySource, TokenError, TokenSettings, TokenVerifier, issue};
pub use keys::{KeySet, SigningKey};
pub use principal::{Access, Principal, PrincipalKind, Role};
pub use secret::ClientSecret;
pub use secrets::{KeyUnavailable, SecretsManagerKeys};
