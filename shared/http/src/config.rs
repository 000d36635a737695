//! Configuration from the environment, read once at start-up. A missing or
//! invalid setting stops the function's initialisation with a message naming
//! it; nothing reads the environment per request.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use clientele_auth::{Gatekeeper, KeySource, SecretsManagerKeys, TokenSettings, TokenVerifier};
use clientele_core::ClientReader;

use crate::auth::Authenticator;

/// A setting that is missing or cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("the environment variable {0} must be set")]
    Missing(&'static str),
    /// A variable's value cannot be used.
    #[error("the environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The signing keys could not be read.
    #[error(transparent)]
    Keys(#[from] clientele_auth::KeyUnavailable),
}

/// Where settings are read from: the process environment, or a map in tests.
pub trait Lookup {
    /// The value of a variable, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl Lookup for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// A required variable.
pub fn required(env: &impl Lookup, name: &'static str) -> Result<String, ConfigError> {
    env.get(name).ok_or(ConfigError::Missing(name))
}

/// An optional variable parsed, or `default` when unset.
pub fn parsed_or<T: FromStr>(env: &impl Lookup, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match env.get(name) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

/// The user-token verifier: keys from the secret `JWT_SECRET_ID`, re-read
/// every `JWT_KEY_REFRESH_SECONDS` (default 300); `JWT_ISSUER`, `JWT_AUDIENCE`
/// and `ACCESS_TOKEN_EXPIRE_MINUTES` as the claims must be.
pub async fn token_verifier(
    env: &impl Lookup,
    sdk: &SdkConfig,
    secret_id: String,
) -> Result<TokenVerifier, ConfigError> {
    let refresh = parsed_or(env, "JWT_KEY_REFRESH_SECONDS", 300u64)?;
    let settings = TokenSettings::from_lookup(|name| env.get(name)).map_err(|e| ConfigError::Invalid {
        name: "ACCESS_TOKEN_EXPIRE_MINUTES",
        reason: e.to_string(),
    })?;
    let keys = SecretsManagerKeys::load(
        aws_sdk_secretsmanager::Client::new(sdk),
        secret_id,
        Duration::from_secs(refresh),
    )
    .await?;
    Ok(TokenVerifier::new(KeySource::SecretsManager(keys), &settings))
}

/// The authenticator this deployment asks for. With `JWT_SECRET_ID` set (as
/// `make run` sets it), credentials are checked in-process by the same
/// gatekeeper the authorizer uses, with `clients` for client credentials.
/// Without it (as in the cloud), only API Gateway's authorizer context counts.
pub async fn authenticator<C: ClientReader + 'static>(
    env: &impl Lookup,
    sdk: &SdkConfig,
    clients: C,
) -> Result<Authenticator, ConfigError> {
    let Some(secret_id) = env.get("JWT_SECRET_ID") else {
        return Ok(Authenticator::Gateway);
    };
    let tokens = token_verifier(env, sdk, secret_id).await?;
    Ok(Authenticator::InProcess(Arc::new(Gatekeeper::new(tokens, clients))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Lookup {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |name: &str| map.get(name).cloned()
    }

    #[test]
    fn required_names_the_missing_variable() {
        let err = required(&env(&[]), "TABLE_NAME").unwrap_err();
        assert_eq!(err.to_string(), "the environment variable TABLE_NAME must be set");
        assert_eq!(required(&env(&[("TABLE_NAME", "t")]), "TABLE_NAME").unwrap(), "t");
    }

    #[test]
    fn parsed_or_defaults_and_explains_bad_values() {
        assert_eq!(parsed_or(&env(&[]), "N", 7u32).unwrap(), 7);
        assert_eq!(parsed_or(&env(&[("N", " 9 ")]), "N", 7u32).unwrap(), 9);
        let err = parsed_or(&env(&[("N", "nine")]), "N", 7u32).unwrap_err();
        assert!(err.to_string().contains("N is invalid"), "{err}");
    }

    struct NoClients;

    impl ClientReader for NoClients {
        async fn client(
            &self,
            _: clientele_core::ClientId,
        ) -> Result<Option<clientele_core::Client>, clientele_core::StoreError> {
            Ok(None)
        }
    }

    #[tokio::test]
    async fn without_a_secret_id_only_the_gateway_is_trusted() {
        let sdk = SdkConfig::builder().build();
        let auth = authenticator(&env(&[]), &sdk, NoClients).await.unwrap();
        assert!(matches!(auth, Authenticator::Gateway));
    }
}
