//! Who is calling: principals and their roles or scopes, the credentials that
//! prove them (user JWTs, client id and secret), the one decision made from
//! those credentials in the cloud and locally, and the authorizer context that
//! carries it from API Gateway to each function.

pub mod client_secret;
pub mod client_store;
pub mod clients;
pub mod context;
pub mod credentials;
pub mod gate;
pub mod jwt;
pub mod principal;
pub mod signing_keys;

pub use client_secret::ClientSecret;
pub use context::{InvalidContext, from_context, to_context};
pub use gate::{CredentialCheck, Decision, Denial, Gatekeeper};
pub use jwt::{KeySource, TokenError, TokenSettings, TokenVerifier, issue};
pub use principal::{Access, Principal, PrincipalKind, Role};
pub use signing_keys::{KeySet, KeyUnavailable, SecretsManagerKeys, SigningKey};
