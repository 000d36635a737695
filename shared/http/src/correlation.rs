//! The id a caller can quote. API Gateway gives every request an id: the
//! `requestId` of its access log, and the `apigw-requestid` header it adds
//! to the answer. Every log line written while a request is served carries
//! that id with the route (the fields of the `request` span), every answer
//! carries it in the [`REQUEST_ID_HEADER`] header, and every problem
//! document in its `request_id` member, so an error a caller reports leads
//! straight to its log lines.

use axum::body::{Body, to_bytes};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use serde_json::Value;

use crate::problem::PROBLEM_JSON;

/// The header every answer names its request's id in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Largest problem document given its request id: every problem this
/// service writes is far smaller.
const PROBLEM_MAX_BYTES: usize = 64 * 1024;

/// The request's id: API Gateway's, or Lambda's invocation id for a request
/// that came some other way (a direct invocation), or a new one.
pub fn request_id_of(request: &lambda_http::Request) -> String {
    let from_gateway = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    from_gateway
        .or_else(|| request.lambda_context_ref().map(|lambda| lambda.request_id.clone()))
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The answer, naming `request_id`: in its header and, for a problem, in
/// the document.
pub async fn named(response: Response, request_id: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        parts.headers.insert(REQUEST_ID_HEADER, value);
    }
    let is_problem = parts
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_problem {
        return Response::from_parts(parts, body);
    }
    let bytes = match to_bytes(body, PROBLEM_MAX_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "a problem document could not be read back");
            return Response::from_parts(parts, Body::empty());
        }
    };
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut problem)) => {
            problem.insert("request_id".to_owned(), Value::String(request_id.to_owned()));
            Body::from(Value::Object(problem).to_string())
        }
        _ => Body::from(bytes),
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ApiError;
    use axum::response::IntoResponse;

    #[tokio::test]
    async fn a_problem_names_its_request_and_any_answer_does_in_its_header() {
        let problem = named(
            ApiError::NotFound("There is no route /x.".into()).into_response(),
            "req-1",
        )
        .await;
        assert_eq!(problem.headers()[REQUEST_ID_HEADER], "req-1");
        let body = to_bytes(problem.into_body(), PROBLEM_MAX_BYTES).await.unwrap();
        let document: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(document["request_id"], "req-1");
        assert_eq!(document["status"], 404);

        let fine = named(Response::new(Body::from("{\"id\":1}")), "req-2").await;
        assert_eq!(fine.headers()[REQUEST_ID_HEADER], "req-2");
        let body = to_bytes(fine.into_body(), PROBLEM_MAX_BYTES).await.unwrap();
        assert_eq!(&body[..], b"{\"id\":1}", "any other body is left as it is");
    }

    #[test]
    fn a_request_without_a_gateway_context_gets_an_id_of_its_own() {
        let request = lambda_http::http::Request::builder()
            .uri("/api/customers")
            .body(lambda_http::Body::Empty)
            .unwrap();
        let (first, second) = (request_id_of(&request), request_id_of(&request));
        assert!(uuid::Uuid::parse_str(&first).is_ok());
        assert_ne!(first, second);
    }
}
