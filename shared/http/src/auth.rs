//! Finding the caller of a request.
//!
//! Behind API Gateway, the auth-check authorizer has already decided who the
//! caller is and put its decision in the request's authorizer context; route
//! functions trust that context and do not check credentials again. Locally
//! there is no API Gateway, so `make run` gives each function the same
//! [`Gatekeeper`](clientele_auth::Gatekeeper) in-process: every request gets
//! the same answer under `make run` as in the cloud.

use std::collections::HashMap;
use std::sync::Arc;

use clientele_auth::principal::{role_for, scope_for};
use clientele_auth::{Access, CredentialCheck, Decision, Denial, Principal, PrincipalKind, from_context};
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

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
    /// The decision about this request's caller.
    pub async fn decide(&self, request: &Request) -> Decision {
        if let Some(context) = authorizer_context(request) {
            return from_context(context).unwrap_or_else(|error| {
                tracing::error!(%error, "the authorizer context does not describe a decision");
                Decision::Deny(Denial::InvalidCredentials)
            });
        }
        match self {
            Authenticator::Gateway => Decision::Deny(Denial::MissingCredentials),
            Authenticator::InProcess(check) => {
                let header = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
                check.check(header).await
            }
        }
    }

    /// The caller of `request`, or 401 (503 when credentials cannot be checked now).
    pub async fn principal(&self, request: &Request) -> Result<Principal, ApiError> {
        match self.decide(request).await {
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

/// The Lambda authorizer's context, when API Gateway passed one.
fn authorizer_context(request: &Request) -> Option<&HashMap<String, serde_json::Value>> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context
            .authorizer
            .as_ref()
            .map(|authorizer| &authorizer.fields)
            .filter(|fields| !fields.is_empty()),
        _ => None,
    }
}

/// 403 unless the principal may do this.
pub fn require(principal: &Principal, access: Access) -> Result<(), ApiError> {
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
    use clientele_auth::{
        Gatekeeper, KeySet, KeySource, Role, SigningKey, TokenSettings, TokenVerifier, issue, to_context,
    };
    use clientele_core::{BusinessId, Client, ClientId, ClientReader, Scope, StoreError, Timestamp};
    use lambda_http::Body;
    use lambda_http::aws_lambda_events::apigw::{ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext};
    use std::time::Duration;

    struct NoClients;

    impl ClientReader for NoClients {
        async fn client(&self, _: ClientId) -> Result<Option<Client>, StoreError> {
            Ok(None)
        }
    }

    fn key() -> SigningKey {
        SigningKey::new("a-local-signing-key-long-enough-for-hs256").unwrap()
    }

    fn in_process() -> Authenticator {
        let verifier = TokenVerifier::new(KeySource::Fixed(KeySet::single(key())), &TokenSettings::default());
        Authenticator::InProcess(Arc::new(Gatekeeper::new(verifier, NoClients)))
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
            assert_eq!(auth.principal(&allowed).await.unwrap(), p);
            let refused = with_context(request(None), &Decision::Deny(Denial::InvalidCredentials));
            assert!(matches!(auth.principal(&refused).await, Err(ApiError::Unauthorized(_))));
            let unchecked = with_context(request(None), &Decision::Deny(Denial::Unavailable));
            assert!(matches!(
                auth.principal(&unchecked).await,
                Err(ApiError::Unavailable(_))
            ));
        }
    }

    #[tokio::test]
    async fn without_a_context_the_cloud_mode_refuses_even_a_valid_token() {
        let result = Authenticator::Gateway
            .principal(&request(Some(&format!("Bearer {}", token(BusinessId::random())))))
            .await;
        assert!(matches!(result, Err(ApiError::Unauthorized(_))));
    }

    #[tokio::test]
    async fn in_process_checks_the_credentials() {
        let business = BusinessId::random();
        let p = in_process()
            .principal(&request(Some(&format!("bearer  {} ", token(business)))))
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
            let result = in_process().principal(&request(header)).await;
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
}
