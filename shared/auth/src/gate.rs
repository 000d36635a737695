//! The one decision about a request's credentials, made by the same code in
//! the cloud (the auth-check authorizer) and under `make run` (in-process).

use std::future::Future;
use std::pin::Pin;

use clientele_core::{ClientReader, Timestamp};

use crate::clients::{self, ClientDenied};
use crate::credentials::{self, Credentials};
use crate::jwt::{TokenError, TokenVerifier};
use crate::principal::Principal;

/// Why a request has no principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// It presented no credentials.
    MissingCredentials,
    /// Its credentials are not valid (which way is for the log only).
    InvalidCredentials,
    /// They could not be checked now (keys or clients unreadable).
    Unavailable,
}

impl Denial {
    /// The denial's name in the authorizer context.
    pub fn as_str(&self) -> &'static str {
        match self {
            Denial::MissingCredentials => "missing_credentials",
            Denial::InvalidCredentials => "invalid_credentials",
            Denial::Unavailable => "unavailable",
        }
    }

    /// The denial a name stands for; an unknown name is an invalid one.
    pub fn from_name(name: &str) -> Self {
        match name {
            "missing_credentials" => Denial::MissingCredentials,
            "unavailable" => Denial::Unavailable,
            _ => Denial::InvalidCredentials,
        }
    }
}

/// Who the request is from, or why it is from nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A proven principal.
    Allow(Principal),
    /// No principal.
    Deny(Denial),
}

/// Checks credentials: user tokens with the verifier, client credentials
/// against the stored clients.
#[derive(Debug)]
pub struct Gatekeeper<C> {
    tokens: TokenVerifier,
    clients: C,
}

impl<C: ClientReader> Gatekeeper<C> {
    /// A gatekeeper over these tokens and clients.
    pub fn new(tokens: TokenVerifier, clients: C) -> Self {
        Self { tokens, clients }
    }

    /// The decision for an `Authorization` header's value. Logs why a
    /// request was refused, never what it presented.
    pub async fn decide(&self, authorization: Option<&str>) -> Decision {
        match credentials::parse(authorization) {
            Credentials::Missing => Decision::Deny(Denial::MissingCredentials),
            Credentials::Malformed => {
                tracing::info!("refused: the Authorization header is neither Bearer nor Basic");
                Decision::Deny(Denial::InvalidCredentials)
            }
            Credentials::Bearer(token) => match self.tokens.verify(token).await {
                Ok(principal) => Decision::Allow(principal),
                Err(TokenError::KeysUnavailable) => {
                    tracing::error!("the signing keys are unavailable");
                    Decision::Deny(Denial::Unavailable)
                }
                Err(error) => {
                    tracing::info!(reason = %error, "refused a bearer token");
                    Decision::Deny(Denial::InvalidCredentials)
                }
            },
            Credentials::Basic { client_id, secret } => {
                match clients::authenticate(&self.clients, &client_id, &secret, Timestamp::now()).await {
                    Ok(principal) => Decision::Allow(principal),
                    Err(ClientDenied::Refused(reason)) => {
                        tracing::info!(client_id = %client_id.chars().take(64).collect::<String>(), reason, "refused client credentials");
                        Decision::Deny(Denial::InvalidCredentials)
                    }
                    Err(ClientDenied::Unavailable(error)) => {
                        tracing::error!(%error, "clients cannot be read");
                        Decision::Deny(Denial::Unavailable)
                    }
                }
            }
        }
    }
}

/// [`Gatekeeper::decide`] behind a trait object, for callers that should not
/// know where clients are stored.
pub trait CredentialCheck: Send + Sync {
    /// The decision for an `Authorization` header's value.
    fn check<'a>(&'a self, authorization: Option<&'a str>) -> Pin<Box<dyn Future<Output = Decision> + Send + 'a>>;
}

impl<C: ClientReader + 'static> CredentialCheck for Gatekeeper<C> {
    fn check<'a>(&'a self, authorization: Option<&'a str>) -> Pin<Box<dyn Future<Output = Decision> + Send + 'a>> {
        Box::pin(self.decide(authorization))
    }
}
