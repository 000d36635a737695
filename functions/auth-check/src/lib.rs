//! The auth-check function: API Gateway's Lambda authorizer (HTTP API,
//! payload format 2.0, simple responses).
//!
//! It reads the `Authorization` header, lets the [`Gatekeeper`] decide (a
//! user's bearer JWT, or a client's Basic id and secret), and hands the
//! decision to the route functions in the authorizer context they read (see
//! `clientele_auth::context`).
//!
//! Every answer is `isAuthorized: true`: a refused request reaches its route
//! function as `anonymous` with its denial, and the function answers it with a
//! problem+json 401 (or 503 when the credentials could not be checked) — the
//! same answer `make run` gives. API Gateway itself would answer a refusal
//! with a bare 403. Route functions fail closed: only a `user` or `client`
//! context with every field valid is ever a principal.

use std::collections::HashMap;
use std::convert::Infallible;

use aws_config::SdkConfig;
use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use aws_lambda_events::http::header::AUTHORIZATION;
use clientele_auth::{Decision, Gatekeeper, TokenVerifier, to_context};
use clientele_core::ClientReader;
use clientele_startup::{ConfigError, Lookup, required};
use clientele_store::DynamoStore;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// What API Gateway sends.
pub type AuthorizerRequest = ApiGatewayV2CustomAuthorizerV2Request;
/// What the authorizer answers: a simple response with the decision as context.
pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<HashMap<String, Value>>;

/// The authorizer, built once per process.
#[derive(Debug)]
pub struct Authorizer<C> {
    gate: Gatekeeper<C>,
}

impl<C: ClientReader> Authorizer<C> {
    /// An authorizer deciding with this gatekeeper.
    pub fn new(gate: Gatekeeper<C>) -> Self {
        Self { gate }
    }

    /// The answer for one request.
    pub async fn authorize(&self, request: &AuthorizerRequest) -> AuthorizerResponse {
        let header = request.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let decision = self.gate.decide(header).await;
        match &decision {
            Decision::Allow(principal) => {
                tracing::info!(kind = principal.kind.as_str(), principal_id = %principal.id, business_id = %principal.business_id, "allowed");
            }
            Decision::Deny(denial) => {
                tracing::info!(denial = denial.as_str(), "refused");
                metrics::counter!("AuthorizerRefusals", "reason" => denial.as_str()).increment(1);
            }
        }
        let mut response = AuthorizerResponse::default();
        response.is_authorized = true;
        response.context = to_context(&decision);
        response
    }
}

impl Authorizer<DynamoStore> {
    /// Builds the authorizer from its environment: `TABLE_NAME` (clients),
    /// `JWT_SECRET_ID` (the signing key) and the token settings. The signing
    /// keys are read and the first DynamoDB connection opened at once: the
    /// init waits for the slower of the two, not for both in turn.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let secret_id = required(env, "JWT_SECRET_ID")?;
        let (tokens, clients) = tokio::try_join!(
            TokenVerifier::from_env(env, sdk, secret_id),
            DynamoStore::from_env(env, sdk)
        )?;
        Ok(Self::new(Gatekeeper::new(tokens, clients)))
    }
}

/// [`Authorizer::authorize`], in the shape `lambda_runtime::run` wants.
pub async fn serve<C: ClientReader>(
    authorizer: &Authorizer<C>,
    event: LambdaEvent<AuthorizerRequest>,
) -> Result<AuthorizerResponse, Infallible> {
    Ok(authorizer.authorize(&event.payload).await)
}
