//! Finding the caller of a request.
//!
//! Behind API Gateway, the auth-check authorizer has already proven who the
//! caller is and put the principal in the request's authorizer context; route
//! functions trust that context and do not verify tokens again. Locally there
//! is no API Gateway, so `make run` gives each function a token verifier, and
//! the same verification code runs in-process: a request without a valid token
//! is refused with 401 exactly as the authorizer would refuse it.

use std::sync::Arc;

use clientele_auth::{Access, Principal, Role, TokenError, TokenVerifier, from_context};
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::problem::ApiError;

/// How a function learns who is calling.
#[derive(Debug, Clone)]
pub enum Authenticator {
    /// Only from API Gateway's authorizer context (the cloud).
    Gateway,
    /// From the authorizer context if there is one, else by verifying the
    /// bearer token in-process (`make run`).
    InProcess(Arc<TokenVerifier>),
}

impl Authenticator {
    /// The caller of `request`, or 401.
    pub async fn principal(&self, request: &Request) -> Result<Principal, ApiError> {
        if let Some(context) = authorizer_context(request) {
            return from_context(context).map_err(|error| {
                tracing::error!(%error, "the authorizer context does not describe a principal");
                ApiError::Unauthorized("The request's credentials could not be established.".to_owned())
            });
        }
        match self {
            Authenticator::Gateway => Err(ApiError::Unauthorized(
                "This route needs credentials: an Authorization header.".to_owned(),
            )),
            Authenticator::InProcess(verifier) => {
                let token = bearer_token(request)?;
                verifier.verify(token).await.map_err(|error| match error {
                    TokenError::KeysUnavailable => ApiError::Unavailable(Box::new(error)),
                    other => ApiError::Unauthorized(format!("The bearer token is not valid: {other}.")),
                })
            }
        }
    }
}

/// The Lambda authorizer's context, when API Gateway passed one.
fn authorizer_context(request: &Request) -> Option<&std::collections::HashMap<String, serde_json::Value>> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context
            .authorizer
            .as_ref()
            .map(|authorizer| &authorizer.fields)
            .filter(|fields| !fields.is_empty()),
        _ => None,
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(request: &Request) -> Result<&str, ApiError> {
    let missing = || ApiError::Unauthorized("This route needs an Authorization: Bearer <token> header.".to_owned());
    let value = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}

/// 403 unless the principal may do this.
pub fn require(principal: &Principal, access: Access) -> Result<(), ApiError> {
    if principal.may(access) {
        return Ok(());
    }
    let needed = match access {
        Access::Read => Role::Viewer,
        Access::Write => Role::Staff,
        Access::Admin => Role::Admin,
    };
    Err(ApiError::Forbidden(format!(
        "This action needs the {needed} role or higher."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_auth::{KeySet, KeySource, PrincipalKind, SigningKey, TokenSettings, issue, to_context};
    use clientele_core::{BusinessId, Timestamp};
    use lambda_http::Body;
    use lambda_http::aws_lambda_events::apigw::{ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext};
    use std::time::Duration;

    fn key() -> SigningKey {
        SigningKey::new("a-local-signing-key-long-enough-for-hs256").unwrap()
    }

    fn in_process() -> Authenticator {
        Authenticator::InProcess(Arc::new(TokenVerifier::new(
            KeySource::Fixed(KeySet::single(key())),
            &TokenSettings::default(),
        )))
    }

    fn request(authorization: Option<&str>) -> Request {
        let mut builder = lambda_http::http::Request::builder().uri("/api/customers");
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.body(Body::Empty).unwrap()
    }

    fn with_context(request: Request, principal: &Principal) -> Request {
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.fields = to_context(principal);
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.authorizer = Some(authorizer);
        request.with_request_context(RequestContext::ApiGatewayV2(context))
    }

    fn principal() -> Principal {
        Principal {
            id: "u-1".into(),
            kind: PrincipalKind::User,
            business_id: BusinessId::random(),
            roles: vec![Role::Staff],
        }
    }

    #[tokio::test]
    async fn the_authorizer_context_is_trusted_in_both_modes() {
        let p = principal();
        for auth in [Authenticator::Gateway, in_process()] {
            assert_eq!(auth.principal(&with_context(request(None), &p)).await.unwrap(), p);
        }
    }

    #[tokio::test]
    async fn without_a_context_the_cloud_mode_refuses_even_a_valid_token() {
        let token = issue(
            &key(),
            &TokenSettings::default(),
            "u",
            BusinessId::random(),
            &[Role::Admin],
            Duration::from_secs(60),
            Timestamp::now(),
        )
        .unwrap();
        let result = Authenticator::Gateway
            .principal(&request(Some(&format!("Bearer {token}"))))
            .await;
        assert!(matches!(result, Err(ApiError::Unauthorized(_))));
    }

    #[tokio::test]
    async fn in_process_verifies_the_bearer_token() {
        let business = BusinessId::random();
        let token = issue(
            &key(),
            &TokenSettings::default(),
            "u",
            business,
            &[Role::Admin],
            Duration::from_secs(60),
            Timestamp::now(),
        )
        .unwrap();
        let p = in_process()
            .principal(&request(Some(&format!("bearer  {token} "))))
            .await
            .unwrap();
        assert_eq!(p.business_id, business);
        for header in [None, Some("Basic abc"), Some("Bearer"), Some("Bearer not.a.token")] {
            let result = in_process().principal(&request(header)).await;
            assert!(matches!(result, Err(ApiError::Unauthorized(_))), "{header:?}");
        }
    }

    #[test]
    fn require_names_the_role_needed() {
        let mut p = principal();
        p.roles = vec![Role::Viewer];
        assert!(require(&p, Access::Read).is_ok());
        let Err(ApiError::Forbidden(detail)) = require(&p, Access::Admin) else {
            panic!("a viewer may not delete");
        };
        assert!(detail.contains("admin"));
    }
}
