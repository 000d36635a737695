//! JSON Web Tokens for users: verified the same way by the authorizer in the
//! cloud and in-process by `make run`, and minted for local use and tests.
//!
//! The algorithm is pinned to HS256: a token naming any other algorithm, `none`
//! included, is refused. `exp`, `iss`, `aud` and `sub` are required; `exp` and
//! `nbf` are checked with a small leeway, and a token may not be valid for
//! longer than the token lifetime from now (`ACCESS_TOKEN_EXPIRE_MINUTES`).

use std::time::Duration;

use aws_config::SdkConfig;
use clientele_core::{BusinessId, Timestamp};
use clientele_startup::{ConfigError, Lookup, parsed_or};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::principal::{Principal, Role, valid_principal_id};
use crate::signing_keys::{DEFAULT_REFRESH, KeySet, KeyUnavailable, SecretsManagerKeys, SigningKey};

/// The only algorithm accepted.
pub const ALGORITHM: Algorithm = Algorithm::HS256;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

/// The token lifetime when `ACCESS_TOKEN_EXPIRE_MINUTES` is not set (30 minutes).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// What tokens must say, and how long they may live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// The `iss` claim expected (`JWT_ISSUER`, default `clientele`).
    pub issuer: String,
    /// The `aud` claim expected (`JWT_AUDIENCE`, default `clientele-api`).
    pub audience: String,
    /// How long a token may be valid (`ACCESS_TOKEN_EXPIRE_MINUTES`, default 30).
    pub lifetime: Duration,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "clientele".to_owned(),
            audience: "clientele-api".to_owned(),
            lifetime: DEFAULT_LIFETIME,
        }
    }
}

/// `ACCESS_TOKEN_EXPIRE_MINUTES` is not a positive whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ACCESS_TOKEN_EXPIRE_MINUTES must be a whole number of minutes from 1 to 1440, not {0:?}")]
pub struct InvalidLifetime(pub String);

impl TokenSettings {
    /// Reads `JWT_ISSUER`, `JWT_AUDIENCE` and `ACCESS_TOKEN_EXPIRE_MINUTES`
    /// through `lookup`, with the defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, InvalidLifetime> {
        let defaults = Self::default();
        let lifetime = match lookup("ACCESS_TOKEN_EXPIRE_MINUTES") {
            None => defaults.lifetime,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(minutes) if (1..=1_440).contains(&minutes) => Duration::from_secs(minutes * 60),
                _ => return Err(InvalidLifetime(text)),
            },
        };
        Ok(Self {
            issuer: lookup("JWT_ISSUER").unwrap_or(defaults.issuer),
            audience: lookup("JWT_AUDIENCE").unwrap_or(defaults.audience),
            lifetime,
        })
    }
}

/// Why a token was refused. Never carries the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, or a claim of the wrong shape.
    #[error("the token is malformed")]
    Malformed,
    /// Signed with another algorithm than HS256, or with `none`.
    #[error("the token's algorithm is not accepted")]
    WrongAlgorithm,
    /// No accepted key made this signature.
    #[error("the token's signature is not valid")]
    BadSignature,
    /// Past its `exp`.
    #[error("the token has expired")]
    Expired,
    /// Before its `nbf`.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// Another issuer.
    #[error("the token has the wrong issuer")]
    WrongIssuer,
    /// Another audience.
    #[error("the token has the wrong audience")]
    WrongAudience,
    /// A required claim is missing or invalid.
    #[error("the token's {0} claim is missing or invalid")]
    InvalidClaim(&'static str),
    /// A role that does not exist.
    #[error("the token names a role that does not exist")]
    UnknownRole,
    /// Valid for longer than the token lifetime from now.
    #[error("the token is valid for longer than tokens may be")]
    TooLongLived,
    /// The signing keys could not be loaded.
    #[error("the signing keys are unavailable")]
    KeysUnavailable,
}

impl From<jsonwebtoken::errors::Error> for TokenError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        match error.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => {
                TokenError::WrongAlgorithm
            }
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
            ErrorKind::InvalidAudience => TokenError::WrongAudience,
            ErrorKind::MissingRequiredClaim(claim) => TokenError::InvalidClaim(spec_claim(claim)),
            _ => TokenError::Malformed,
        }
    }
}

fn spec_claim(name: &str) -> &'static str {
    match name {
        "exp" => "exp",
        "iss" => "iss",
        "aud" => "aud",
        "sub" => "sub",
        "nbf" => "nbf",
        _ => "a required",
    }
}

/// The claims this service reads; `iss`, `aud`, `exp` and `nbf` are checked by
/// the validation itself.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    business_id: String,
    #[serde(default)]
    roles: Vec<String>,
}

/// Where the verifier's keys come from.
#[derive(Debug)]
pub enum KeySource {
    /// Keys given once (tests, tools).
    Fixed(KeySet),
    /// The signing secret in Secrets Manager, refreshed on an interval.
    SecretsManager(SecretsManagerKeys),
}

impl KeySource {
    async fn keys(&self) -> Result<KeySet, KeyUnavailable> {
        match self {
            KeySource::Fixed(keys) => Ok(keys.clone()),
            KeySource::SecretsManager(source) => source.keys().await,
        }
    }

    /// Fresher keys after a signature no known key made, if there may be any.
    async fn fresher(&self) -> Option<KeySet> {
        match self {
            KeySource::Fixed(_) => None,
            KeySource::SecretsManager(source) => source.refresh_early().await,
        }
    }
}

/// Verifies user tokens.
#[derive(Debug)]
pub struct TokenVerifier {
    keys: KeySource,
    validation: Validation,
    lifetime: Duration,
}

impl TokenVerifier {
    /// The verifier a function configures from its environment: keys from
    /// the secret `secret_id`, re-read every `JWT_KEY_REFRESH_SECONDS`
    /// (default 300); `JWT_ISSUER`, `JWT_AUDIENCE` and
    /// `ACCESS_TOKEN_EXPIRE_MINUTES` as the claims must be. Fails when the
    /// keys cannot be read now: a function never starts without them.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig, secret_id: String) -> Result<Self, ConfigError> {
        let refresh = parsed_or(env, "JWT_KEY_REFRESH_SECONDS", DEFAULT_REFRESH.as_secs())?;
        let settings = TokenSettings::from_lookup(|name| env.get(name)).map_err(|e| ConfigError::Invalid {
            name: "ACCESS_TOKEN_EXPIRE_MINUTES",
            reason: e.to_string(),
        })?;
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        let keys = SecretsManagerKeys::load(client, secret_id, Duration::from_secs(refresh))
            .await
            .map_err(|e| ConfigError::Unavailable {
                what: "the signing keys",
                source: Box::new(e),
            })?;
        Ok(Self::new(KeySource::SecretsManager(keys), &settings))
    }

    /// A verifier for tokens from `settings.issuer` to `settings.audience`.
    pub fn new(keys: KeySource, settings: &TokenSettings) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        Self {
            keys,
            validation,
            lifetime: settings.lifetime,
        }
    }

    /// The principal a token proves, or why it proves nothing. A signature
    /// made by no key held has the keys re-read once (at most every 30 s), so
    /// tokens signed with a freshly rotated key are accepted at once.
    pub async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let keys = self.keys.keys().await.map_err(|_| TokenError::KeysUnavailable)?;
        let mut outcome = self.decode(token, &keys);
        if matches!(outcome, Err(TokenError::BadSignature))
            && let Some(fresher) = self.keys.fresher().await
        {
            outcome = self.decode(token, &fresher);
        }
        let claims = outcome?;
        let longest = Timestamp::now().unix_seconds() + lifetime_seconds(self.lifetime) + LEEWAY_SECONDS as i64;
        if claims.exp > longest {
            return Err(TokenError::TooLongLived);
        }
        principal(claims)
    }

    fn decode(&self, token: &str, keys: &KeySet) -> Result<Claims, TokenError> {
        let mut outcome = Err(TokenError::BadSignature);
        for key in keys.accepted() {
            outcome = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key.expose()), &self.validation)
                .map(|data| data.claims)
                .map_err(TokenError::from);
            if !matches!(outcome, Err(TokenError::BadSignature)) {
                break;
            }
        }
        outcome
    }
}

fn lifetime_seconds(lifetime: Duration) -> i64 {
    i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2)
}

fn principal(claims: Claims) -> Result<Principal, TokenError> {
    if !valid_principal_id(&claims.sub) {
        return Err(TokenError::InvalidClaim("sub"));
    }
    let business_id = BusinessId::parse(&claims.business_id).map_err(|_| TokenError::InvalidClaim("business_id"))?;
    let roles = claims
        .roles
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TokenError::UnknownRole)?;
    Ok(Principal::user(claims.sub, business_id, roles))
}

/// The claims of a token this service mints.
#[derive(Debug, Serialize)]
struct IssuedClaims<'a> {
    sub: &'a str,
    business_id: String,
    roles: Vec<&'static str>,
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
#[error("could not sign the token")]
pub struct SigningFailed(#[source] jsonwebtoken::errors::Error);

/// Mints a user token. For local use and tests: in production, tokens come
/// from the platform's identity service, signed with the same secret.
pub fn issue(
    key: &SigningKey,
    settings: &TokenSettings,
    subject: &str,
    business_id: BusinessId,
    roles: &[Role],
    lifetime: Duration,
    now: Timestamp,
) -> Result<String, SigningFailed> {
    let iat = now.unix_seconds();
    let claims = IssuedClaims {
        sub: subject,
        business_id: business_id.to_string(),
        roles: roles.iter().map(Role::as_str).collect(),
        iss: &settings.issuer,
        aud: &settings.audience,
        iat,
        nbf: iat,
        exp: iat.saturating_add(lifetime_seconds(lifetime)),
    };
    jsonwebtoken::encode(
        &Header::new(ALGORITHM),
        &claims,
        &EncodingKey::from_secret(key.expose()),
    )
    .map_err(SigningFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const MINUTES_30: Duration = Duration::from_secs(30 * 60);

    fn key(text: &str) -> SigningKey {
        SigningKey::new(format!("{text}-padding-to-be-long-enough-for-hs256")).unwrap()
    }

    fn verifier(keys: KeySet) -> TokenVerifier {
        TokenVerifier::new(KeySource::Fixed(keys), &TokenSettings::default())
    }

    fn mint(key: &SigningKey, roles: &[Role], lifetime: Duration, now: Timestamp) -> String {
        issue(
            key,
            &TokenSettings::default(),
            "user-1",
            BusinessId::random(),
            roles,
            lifetime,
            now,
        )
        .unwrap()
    }

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[tokio::test]
    async fn a_minted_token_verifies_to_its_principal() {
        let k = key("current");
        let business = BusinessId::random();
        let token = issue(
            &k,
            &TokenSettings::default(),
            "user-1",
            business,
            &[Role::Staff],
            MINUTES_30,
            Timestamp::now(),
        )
        .unwrap();
        let principal = verifier(KeySet::single(k)).verify(&token).await.unwrap();
        assert_eq!(principal.id, "user-1");
        assert_eq!(principal.business_id, business);
        assert_eq!(principal.roles, vec![Role::Staff]);
        assert_eq!(principal.kind, crate::principal::PrincipalKind::User);
    }

    #[tokio::test]
    async fn a_tampered_token_is_refused() {
        let k = key("current");
        let token = mint(&k, &[Role::Viewer], MINUTES_30, Timestamp::now());
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = b64(&payload.replace("viewer", "admin"));
        let tampered = parts.join(".");
        assert_eq!(
            verifier(KeySet::single(k)).verify(&tampered).await,
            Err(TokenError::BadSignature)
        );
    }

    #[tokio::test]
    async fn alg_none_is_refused() {
        let now = Timestamp::now().unix_seconds();
        let payload = format!(
            r#"{{"sub":"u","business_id":"{}","roles":["admin"],"iss":"clientele","aud":"clientele-api","exp":{}}}"#,
            BusinessId::random(),
            now + 600
        );
        let token = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&payload));
        let result = verifier(KeySet::single(key("k"))).verify(&token).await;
        assert!(
            matches!(result, Err(TokenError::WrongAlgorithm | TokenError::Malformed)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn an_expired_token_is_refused_past_the_leeway() {
        let k = key("current");
        let long_ago = Timestamp::now().plus_seconds(-3_600);
        let token = mint(&k, &[Role::Admin], MINUTES_30, long_ago);
        assert_eq!(
            verifier(KeySet::single(k)).verify(&token).await,
            Err(TokenError::Expired)
        );
    }

    #[tokio::test]
    async fn a_token_just_past_exp_is_accepted_within_the_leeway() {
        let k = key("current");
        let token = mint(
            &k,
            &[Role::Admin],
            Duration::from_secs(60),
            Timestamp::now().plus_seconds(-70),
        );
        assert!(verifier(KeySet::single(k)).verify(&token).await.is_ok());
    }

    #[tokio::test]
    async fn wrong_issuer_and_audience_are_refused() {
        let k = key("current");
        let other = TokenSettings {
            issuer: "someone-else".into(),
            ..TokenSettings::default()
        };
        let token = issue(&k, &other, "u", BusinessId::random(), &[], MINUTES_30, Timestamp::now()).unwrap();
        assert_eq!(
            verifier(KeySet::single(k.clone())).verify(&token).await,
            Err(TokenError::WrongIssuer)
        );
        let other = TokenSettings {
            audience: "another-api".into(),
            ..TokenSettings::default()
        };
        let token = issue(&k, &other, "u", BusinessId::random(), &[], MINUTES_30, Timestamp::now()).unwrap();
        assert_eq!(
            verifier(KeySet::single(k)).verify(&token).await,
            Err(TokenError::WrongAudience)
        );
    }

    #[tokio::test]
    async fn the_previous_key_is_accepted_during_a_rotation_and_not_after() {
        let (old, new) = (key("old"), key("new"));
        let token = mint(&old, &[Role::Staff], MINUTES_30, Timestamp::now());
        let rotating = KeySet {
            current: new.clone(),
            previous: Some(old),
        };
        assert!(verifier(rotating).verify(&token).await.is_ok());
        assert_eq!(
            verifier(KeySet::single(new)).verify(&token).await,
            Err(TokenError::BadSignature)
        );
    }

    #[tokio::test]
    async fn unknown_roles_and_bad_business_ids_are_refused() {
        let k = key("current");
        let now = Timestamp::now().unix_seconds();
        let claims = |business: &str, roles: &str| {
            let payload = format!(
                r#"{{"sub":"u","business_id":"{business}","roles":{roles},"iss":"clientele","aud":"clientele-api","exp":{}}}"#,
                now + 600
            );
            let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
            jsonwebtoken::encode(&Header::new(ALGORITHM), &value, &EncodingKey::from_secret(k.expose())).unwrap()
        };
        let v = verifier(KeySet::single(k.clone()));
        let good_business = BusinessId::random().to_string();
        assert_eq!(
            v.verify(&claims(&good_business, r#"["root"]"#)).await,
            Err(TokenError::UnknownRole)
        );
        assert_eq!(
            v.verify(&claims("not-a-uuid", r#"["staff"]"#)).await,
            Err(TokenError::InvalidClaim("business_id"))
        );
        assert!(v.verify(&claims(&good_business, r#"["staff"]"#)).await.is_ok());
    }

    #[tokio::test]
    async fn a_token_valid_for_longer_than_the_lifetime_is_refused() {
        let k = key("current");
        let token = mint(&k, &[Role::Admin], Duration::from_secs(24 * 3_600), Timestamp::now());
        assert_eq!(
            verifier(KeySet::single(k.clone())).verify(&token).await,
            Err(TokenError::TooLongLived)
        );
        let token = mint(&k, &[Role::Admin], DEFAULT_LIFETIME, Timestamp::now());
        assert!(verifier(KeySet::single(k)).verify(&token).await.is_ok());
    }

    #[test]
    fn the_lifetime_is_read_and_checked() {
        let none = |_: &str| None;
        assert_eq!(TokenSettings::from_lookup(none).unwrap().lifetime, DEFAULT_LIFETIME);
        let hour = |n: &str| (n == "ACCESS_TOKEN_EXPIRE_MINUTES").then(|| "60".to_owned());
        assert_eq!(
            TokenSettings::from_lookup(hour).unwrap().lifetime,
            Duration::from_secs(3_600)
        );
        for bad in ["0", "abc", "99999"] {
            let lookup = |n: &str| (n == "ACCESS_TOKEN_EXPIRE_MINUTES").then(|| bad.to_owned());
            assert!(TokenSettings::from_lookup(lookup).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn garbage_is_malformed() {
        let v = verifier(KeySet::single(key("k")));
        for token in ["", "abc", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9..."] {
            assert!(v.verify(token).await.is_err(), "{token:?}");
        }
    }

    /// Claims of any shape: the names a token may carry, and others, with
    /// values of any JSON type.
    fn claims() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let value = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "\\PC{0,40}".prop_map(serde_json::Value::from),
            Just(serde_json::json!(["staff"])),
            Just(serde_json::json!(["admin", 7])),
            Just(serde_json::Value::from(BusinessId::random().to_string())),
            Just(serde_json::Value::from(Timestamp::now().unix_seconds() + 600)),
        ];
        let name = prop_oneof![
            Just("sub".to_owned()),
            Just("business_id".to_owned()),
            Just("roles".to_owned()),
            Just("exp".to_owned()),
            Just("iat".to_owned()),
            Just("nbf".to_owned()),
            Just("iss".to_owned()),
            Just("aud".to_owned()),
            "[a-z_]{1,12}",
        ];
        proptest::collection::btree_map(name, value, 0..10)
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect()))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// Anything in the token's place, and tokens of any header and
        /// claims under a signature that does not match: refused, never a panic.
        #[test]
        fn any_unsigned_token_is_refused(
            raw in "\\PC{0,300}",
            header in "\\PC{0,60}",
            payload in claims(),
            signature in "[A-Za-z0-9_-]{0,64}",
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let verifier = verifier(KeySet::single(key("k")));
            let forged = format!("{}.{}.{signature}", b64(&header), b64(&payload.to_string()));
            proptest::prop_assert!(runtime.block_on(verifier.verify(&raw)).is_err());
            proptest::prop_assert!(runtime.block_on(verifier.verify(&forged)).is_err());
        }

        /// Claims of any shape under the right key: checked, not trusted.
        /// A token is accepted only with every claim a principal needs.
        #[test]
        fn signed_claims_of_any_shape_are_checked(payload in claims()) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let k = key("k");
            let token = jsonwebtoken::encode(
                &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
                &payload,
                &jsonwebtoken::EncodingKey::from_secret(k.expose()),
            ).unwrap();
            if let Ok(principal) = runtime.block_on(verifier(KeySet::single(k)).verify(&token)) {
                proptest::prop_assert_eq!(payload["sub"].as_str(), Some(principal.id.as_str()));
                proptest::prop_assert_eq!(payload["business_id"].as_str().map(str::to_owned), Some(principal.business_id.to_string()));
                proptest::prop_assert!(!principal.roles.is_empty());
            }
        }
    }
}
