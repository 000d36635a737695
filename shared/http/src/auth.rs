//! Finding the caller of a request.
//!
//! Behind API Gateway, the auth-check authorizer has already decided who the
//! caller is and put its decision in the request's authorizer context; route
//! functions trust that context and do not check credentials again. Locally
//! there is no API Gateway, so `make run` gives each function the same
//! [`Gatekeeper`](clientele_auth::Gatekeeper) in-process: every request gets
//! the same answer under `make run` as in the cloud.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_config::SdkConfig;
use clientele_auth::principal::{role_for, scope_for};
use clientele_auth::{
    Access, CredentialCheck, Decision, Denial, Gatekeeper, Principal, PrincipalKind, TokenVerifier, from_context,
};
use clientele_core::ClientReader;
use clientele_startup::{ConfigError, Lookup};
use lambda_http::RequestExt;
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::http::{Extensions, HeaderMap};
use lambda_http::request::RequestContext;

use crate::problem::ApiError;

/// How a function learns who is calling.
#[derive(Clone)]
pub enum Authenticator {
    /// Only from API Gateway's authorizer context (the cloud).
    Gateway,
    /// From the authorizer context if there is one, else by checking the
    /// request's credentials in-process (`make run`).
    InProcess(Arc<dyn CredentialCheck>),
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Authenticator::Gateway => "Authenticator::Gateway",
            Authenticator::InProcess(_) => "Authenticator::InProcess",
        })
    }
}

impl Authenticator {
    /// The authenticator this deployment asks for. With `JWT_SECRET_ID` set
    /// (as `make run` sets it), credentials are checked in-process by the same
    /// gatekeeper the authorizer uses, with `clients` for client credentials.
    /// Without it (as in the cloud), only API Gateway's authorizer context counts.
    ///
    /// Only a development build checks credentials in-process: a release
    /// build given `JWT_SECRET_ID` refuses to start, and leaves the token
    /// verifier and its Secrets Manager client out of the binary.
    pub async fn from_env<C: ClientReader + 'static, E: Lookup>(
        env: &E,
        sdk: &SdkConfig,
        clients: C,
    ) -> Result<Self, ConfigError> {
        let Some(secret_id) = env.get("JWT_SECRET_ID") else {
            return Ok(Authenticator::Gateway);
        };
        // A function chosen by a constant, not an `.await` of the verifier's
        // start in this future: a future keeps every state it could be in, so
        // only a choice made outside it leaves the verifier out of a release
        // binary.
        let start = match clientele_startup::DEVELOPMENT_BUILD {
            true => start_in_process as InProcessStart<'_, E, C>,
            false => refuse_in_process as InProcessStart<'_, E, C>,
        };
        start(env, sdk, secret_id, clients).await
    }

    /// The decision about the caller of a request with these headers and
    /// extensions (which hold API Gateway's request context).
    pub async fn decide(&self, headers: &HeaderMap, extensions: &Extensions) -> Decision {
        if let Some(context) = authorizer_context(extensions) {
            return from_context(context).unwrap_or_else(|error| {
                tracing::error!(%error, "the authorizer context does not describe a decision");
                Decision::Deny(Denial::InvalidCredentials)
            });
        }
        match self {
            Authenticator::Gateway => Decision::Deny(Denial::MissingCredentials),
            Authenticator::InProcess(check) => {
                let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
                check.check(header).await
            }
        }
    }

    /// The caller, or 401 (503 when credentials cannot be checked now).
    pub async fn principal(&self, headers: &HeaderMap, extensions: &Extensions) -> Result<Principal, ApiError> {
        match self.decide(headers, extensions).await {
            Decision::Allow(principal) => Ok(principal),
            Decision::Deny(Denial::MissingCredentials) => Err(ApiError::Unauthorized(
                "This route needs credentials: a bearer token or client credentials in the Authorization header."
                    .to_owned(),
            )),
            Decision::Deny(Denial::InvalidCredentials) => {
                Err(ApiError::Unauthorized("The credentials are not valid.".to_owned()))
            }
            Decision::Deny(Denial::Unavailable) => {
                Err(ApiError::Unavailable("credentials could not be checked".into()))
            }
        }
    }
}

/// How an authenticator that checks credentials in-process starts.
type InProcessStart<'a, E, C> =
    fn(&'a E, &'a SdkConfig, String, C) -> Pin<Box<dyn Future<Output = Result<Authenticator, ConfigError>> + 'a>>;

/// The in-process authenticator: the signing keys read, the gatekeeper built.
fn start_in_process<'a, E: Lookup, C: ClientReader + 'static>(
    env: &'a E,
    sdk: &'a SdkConfig,
    secret_id: String,
    clients: C,
) -> Pin<Box<dyn Future<Output = Result<Authenticator, ConfigError>> + 'a>> {
    Box::pin(async move {
        let tokens = TokenVerifier::from_env(env, sdk, secret_id).await?;
        Ok(Authenticator::InProcess(Arc::new(Gatekeeper::new(tokens, clients))))
    })
}

/// What a release build does instead: refuse, for `in_process_allowed`'s reason.
fn refuse_in_process<'a, E: Lookup, C: ClientReader + 'static>(
    _: &'a E,
    _: &'a SdkConfig,
    _: String,
    _: C,
) -> Pin<Box<dyn Future<Output = Result<Authenticator, ConfigError>> + 'a>> {
    Box::pin(std::future::ready(
        in_process_allowed(false).map(|()| Authenticator::Gateway),
    ))
}

/// Whether a build may check credentials in-process: only a development one.
fn in_process_allowed(development_build: bool) -> Result<(), ConfigError> {
    if development_build {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        name: "JWT_SECRET_ID",
        reason: "a release build trusts API Gateway's authorizer and checks no credentials itself; \
                 only a development build (make run) does"
            .to_owned(),
    })
}

/// The Lambda authorizer's context, when API Gateway passed one.
fn authorizer_context(extensions: &Extensions) -> Option<&HashMap<String, serde_json::Value>> {
    match extensions.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context
            .authorizer
            .as_ref()
            .map(|authorizer| &authorizer.fields)
            .filter(|fields| !fields.is_empty()),
        _ => None,
    }
}

/// 403 unless the principal may do this.
pub(crate) fn require(principal: &Principal, access: Access) -> Result<(), ApiError> {
    if principal.may(access) {
        return Ok(());
    }
    Err(ApiError::Forbidden(match principal.kind {
        PrincipalKind::User => format!("This action needs the {} role or higher.", role_for(access)),
        PrincipalKind::Client => format!("This action needs the {} scope.", scope_for(access)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_auth::client_store::MemoryClients;
    use clientele_auth::{
        Gatekeeper, KeySet, KeySource, Role, SigningKey, TokenSettings, TokenVerifier, issue, to_context,
    };
    use clientele_core::{BusinessId, Scope, Timestamp};
    use lambda_http::aws_lambda_events::apigw::{ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext};
    use lambda_http::{Body, Request};
    use std::time::Duration;

    fn key() -> SigningKey {
        SigningKey::new("a-local-signing-key-long-enough-for-hs256").unwrap()
    }

    fn in_process() -> Authenticator {
        let verifier = TokenVerifier::new(KeySource::Fixed(KeySet::single(key())), &TokenSettings::default());
        Authenticator::InProcess(Arc::new(Gatekeeper::new(verifier, MemoryClients::default())))
    }

    fn request(authorization: Option<&str>) -> Request {
        let mut builder = lambda_http::http::Request::builder().uri("/api/customers");
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.body(Body::Empty).unwrap()
    }

    fn with_context(request: Request, decision: &Decision) -> Request {
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.fields = to_context(decision);
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.authorizer = Some(authorizer);
        request.with_request_context(RequestContext::ApiGatewayV2(context))
    }

    fn token(business: BusinessId) -> String {
        issue(
            &key(),
            &TokenSettings::default(),
            "u",
            business,
            &[Role::Admin],
            Duration::from_secs(60),
            Timestamp::now(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn the_authorizer_context_is_trusted_in_both_modes() {
        let p = Principal::user("u-1", BusinessId::random(), vec![Role::Staff]);
        for auth in [Authenticator::Gateway, in_process()] {
            let allowed = with_context(request(None), &Decision::Allow(p.clone()));
            assert_eq!(principal(&auth, &allowed).await.unwrap(), p);
            let refused = with_context(request(None), &Decision::Deny(Denial::InvalidCredentials));
            assert!(matches!(
                principal(&auth, &refused).await,
                Err(ApiError::Unauthorized(_))
            ));
            let unchecked = with_context(request(None), &Decision::Deny(Denial::Unavailable));
            assert!(matches!(
                principal(&auth, &unchecked).await,
                Err(ApiError::Unavailable(_))
            ));
        }
    }

    async fn principal(auth: &Authenticator, request: &Request) -> Result<Principal, ApiError> {
        auth.principal(request.headers(), request.extensions()).await
    }

    #[tokio::test]
    async fn without_a_context_the_cloud_mode_refuses_even_a_valid_token() {
        let result = principal(
            &Authenticator::Gateway,
            &request(Some(&format!("Bearer {}", token(BusinessId::random())))),
        )
        .await;
        assert!(matches!(result, Err(ApiError::Unauthorized(_))));
    }

    #[tokio::test]
    async fn in_process_checks_the_credentials() {
        let business = BusinessId::random();
        let p = principal(&in_process(), &request(Some(&format!("bearer  {} ", token(business)))))
            .await
            .unwrap();
        assert_eq!(p.business_id, business);
        for header in [
            None,
            Some("Basic abc"),
            Some("Bearer"),
            Some("Bearer not.a.token"),
            Some("Basic dTpw"),
        ] {
            let result = principal(&in_process(), &request(header)).await;
            assert!(matches!(result, Err(ApiError::Unauthorized(_))), "{header:?}");
        }
    }

    #[test]
    fn require_names_the_role_or_scope_needed() {
        let viewer = Principal::user("u", BusinessId::random(), vec![Role::Viewer]);
        assert!(require(&viewer, Access::Read).is_ok());
        let Err(ApiError::Forbidden(detail)) = require(&viewer, Access::Admin) else {
            panic!("a viewer may not delete");
        };
        assert!(detail.contains("admin"));
        let reader = Principal::client("c", BusinessId::random(), vec![Scope::CustomersRead]);
        let Err(ApiError::Forbidden(detail)) = require(&reader, Access::Write) else {
            panic!("a reading client may not write");
        };
        assert!(detail.contains("customers:write"));
    }

    #[tokio::test]
    async fn without_a_secret_id_only_the_gateway_is_trusted() {
        let sdk = SdkConfig::builder().build();
        let auth = Authenticator::from_env(&|_: &str| None, &sdk, MemoryClients::default())
            .await
            .unwrap();
        assert!(matches!(auth, Authenticator::Gateway));
    }

    #[test]
    fn only_a_development_build_checks_credentials_in_process() {
        assert!(in_process_allowed(true).is_ok());
        let refused = in_process_allowed(false).unwrap_err().to_string();
        assert!(
            refused.contains("JWT_SECRET_ID") && refused.contains("release build"),
            "{refused}"
        );
    }
}
