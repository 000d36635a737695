//! Errors as RFC 9457 problem details (`application/problem+json`): a stable
//! `type`, the status, a title, a detail, and for input errors every offending
//! field. The error chain of a 5xx goes to the log, never to the client.

use axum::response::{IntoResponse, Response};
use lambda_http::http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use lambda_http::http::{HeaderValue, StatusCode};
use serde::Serialize;

use clientele_core::store::BoxError;
use clientele_core::{OperationError, StoreError, ValidationErrors};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client is asked to wait after a 503.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 2;

/// Where an offending value was found in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// A field of the JSON body.
    Body,
    /// A query-string parameter.
    Query,
    /// A segment of the path.
    Path,
    /// A request header.
    Header,
}

/// One offending field of a request: its name, where it was, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The field, parameter or header name.
    pub field: String,
    /// Where it was found.
    #[serde(rename = "in")]
    pub location: Location,
    /// What is wrong, in words a client developer can act on.
    pub detail: String,
}

impl FieldProblem {
    /// One offending field.
    pub fn new(field: &str, location: Location, detail: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            location,
            detail: detail.into(),
        }
    }

    /// Every field of a body's validation errors.
    pub fn in_body(errors: &ValidationErrors) -> Vec<Self> {
        errors
            .errors()
            .iter()
            .map(|e| Self::new(&e.field, Location::Body, e.detail.clone()))
            .collect()
    }
}

/// An RFC 9457 problem details document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A stable URI naming the kind of problem: `urn:clientele:problem:<slug>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Every offending field, for input errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// Why a request failed: one variant per kind of answer, each with its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not well-formed JSON, or not a JSON object.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// Path segments, query parameters or headers are invalid.
    #[error("invalid parameters: {}", .0.iter().map(|p| p.field.as_str()).collect::<Vec<_>>().join(", "))]
    InvalidParameters(Vec<FieldProblem>),
    /// Body fields are invalid, unknown, or not the client's to write.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// The body's media type is not accepted.
    #[error("the body must be {expected}")]
    UnsupportedMediaType {
        /// What is accepted.
        expected: &'static str,
    },
    /// The body is larger than the route accepts.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// No valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Valid credentials, not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource, or not the caller's.
    #[error("{0}")]
    NotFound(String),
    /// The path exists; the method does not.
    #[error("the method is not allowed here")]
    MethodNotAllowed {
        /// The methods the path has, as the `Allow` header lists them.
        allowed: String,
    },
    /// Conflicts with the current state (a duplicate, a concurrent change).
    #[error("{detail}")]
    Conflict {
        /// What conflicts.
        detail: String,
        /// The fields involved.
        errors: ValidationErrors,
    },
    /// `If-Match` no longer matches.
    #[error("the resource changed since the ETag given in If-Match")]
    PreconditionFailed,
    /// Too many requests in the current window.
    #[error("too many requests; retry after {retry_after} seconds")]
    RateLimited {
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// The caller's business (or the client itself) has spent its request
    /// budget for the current window.
    #[error("{detail}; retry after {retry_after} seconds")]
    BudgetSpent {
        /// Whose budget.
        detail: &'static str,
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// Another request with the same `Idempotency-Key` is running now.
    #[error("a request with this Idempotency-Key is still running; retry after {retry_after} second")]
    IdempotencyKeyInUse {
        /// Seconds to wait before retrying.
        retry_after: u64,
    },
    /// The `Idempotency-Key` was first used for another request.
    #[error(
        "this Idempotency-Key was first used for another request (another path or body); use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// A dependency failed; nothing was changed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// A bug.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) | ApiError::InvalidParameters(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::IdempotencyKeyInUse { .. } => StatusCode::CONFLICT,
            ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::RateLimited { .. } | ApiError::BudgetSpent { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable slug of the problem type, and its title.
    pub fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::MalformedJson(_) => ("malformed-json", "Malformed JSON"),
            ApiError::InvalidParameters(_) => ("invalid-parameters", "Invalid request parameters"),
            ApiError::Validation(_) => ("validation-failed", "Validation failed"),
            ApiError::UnsupportedMediaType { .. } => ("unsupported-media-type", "Unsupported media type"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict { .. } => ("conflict", "Conflict"),
            ApiError::IdempotencyKeyInUse { .. } => ("idempotency-key-in-use", "Idempotency key in use"),
            ApiError::IdempotencyKeyReused => ("idempotency-key-reused", "Idempotency key reused"),
            ApiError::PreconditionFailed => ("precondition-failed", "Precondition failed"),
            ApiError::RateLimited { .. } => ("rate-limited", "Too many requests"),
            ApiError::BudgetSpent { .. } => ("budget-spent", "Request budget spent"),
            ApiError::Unavailable(_) => ("service-unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal-error", "Internal error"),
        }
    }

    /// The problem document. 5xx details are generic: the cause is logged instead.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.kind();
        let detail = match self {
            ApiError::Unavailable(_) => "A dependency is unavailable; nothing was changed. Retry later.".to_owned(),
            ApiError::Internal(_) => "Something went wrong on our side; nothing was changed.".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::InvalidParameters(problems) => problems.clone(),
            ApiError::Validation(errors) | ApiError::Conflict { errors, .. } => FieldProblem::in_body(errors),
            _ => Vec::new(),
        };
        Problem {
            problem_type: format!("urn:clientele:problem:{slug}"),
            title,
            status: self.status().as_u16(),
            detail,
            errors,
        }
    }

    /// One offending parameter.
    pub fn parameter(field: &str, location: Location, detail: impl Into<String>) -> Self {
        ApiError::InvalidParameters(vec![FieldProblem::new(field, location, detail)])
    }
}

impl IntoResponse for ApiError {
    /// The problem+json response, logging server errors with their cause.
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %error_chain(&self), status = status.as_u16(), "request failed");
        } else {
            tracing::info!(error = %self, status = status.as_u16(), "request refused");
        }
        if let ApiError::RateLimited { .. } | ApiError::BudgetSpent { .. } = &self {
            metrics::counter!("Throttled", "reason" => self.kind().0).increment(1);
        }
        let body = serde_json::to_string(&self.problem()).unwrap_or_default();
        let mut response = Response::new(axum::body::Body::from(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            ApiError::Unauthorized(_) => {
                headers.insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"clientele\", Basic realm=\"clientele\""),
                );
            }
            ApiError::MethodNotAllowed { allowed } => {
                if let Ok(value) = HeaderValue::from_str(allowed) {
                    headers.insert(ALLOW, value);
                }
            }
            ApiError::RateLimited { retry_after }
            | ApiError::BudgetSpent { retry_after, .. }
            | ApiError::IdempotencyKeyInUse { retry_after } => {
                headers.insert(RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            ApiError::Unavailable(_) => {
                headers.insert(RETRY_AFTER, HeaderValue::from(UNAVAILABLE_RETRY_AFTER));
            }
            _ => {}
        }
        response
    }
}

/// The error and its sources, for the log.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => ApiError::Unavailable(Box::new(error)),
            StoreError::InvalidCursor => {
                ApiError::parameter("cursor", Location::Query, "is not a cursor this query issued")
            }
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    /// A body's fields are invalid: 422.
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<OperationError> for ApiError {
    fn from(error: OperationError) -> Self {
        match error {
            OperationError::Invalid(errors) => ApiError::Validation(errors),
            OperationError::NotFound => ApiError::NotFound("There is no such customer.".to_owned()),
            OperationError::ForeignBusiness => ApiError::Forbidden(
                "The body names another business: a caller acts only for its own business.".to_owned(),
            ),
            OperationError::Taken(fields) => {
                let mut errors = ValidationErrors::new();
                for field in &fields {
                    errors.push(field.as_str(), "is already used by another customer of this business");
                }
                let names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
                ApiError::Conflict {
                    detail: format!(
                        "Already used by another customer of this business: {}.",
                        names.join(", ")
                    ),
                    errors,
                }
            }
            OperationError::PreconditionFailed => ApiError::PreconditionFailed,
            OperationError::RateLimited { retry_after_seconds } => ApiError::RateLimited {
                retry_after: retry_after_seconds,
            },
            OperationError::Contended => ApiError::Conflict {
                detail: "The customer is being changed by other requests; nothing was written. Retry.".to_owned(),
                errors: ValidationErrors::new(),
            },
            OperationError::InvalidCursor => StoreError::InvalidCursor.into(),
            OperationError::TagNotFound => ApiError::NotFound("There is no such tag.".to_owned()),
            OperationError::NoteNotFound => ApiError::NotFound("There is no such note.".to_owned()),
            OperationError::InvalidTransition(refused) => ApiError::Conflict {
                detail: format!("The customer's status does not allow this: {refused}."),
                errors: ValidationErrors::single("status", format!("is {}", refused.from)),
            },
            OperationError::ContactNotFound => ApiError::NotFound("There is no such contact.".to_owned()),
            OperationError::InteractionNotFound => ApiError::NotFound("There is no such interaction.".to_owned()),
            OperationError::ContactEmailTaken(errors) => ApiError::Conflict {
                detail: "Another contact of this customer has this email address.".to_owned(),
                errors,
            },
            OperationError::OrderNotFound => ApiError::NotFound("The customer has no such order.".to_owned()),
            OperationError::SegmentNotFound => ApiError::NotFound("There is no such saved segment.".to_owned()),
            OperationError::SegmentNameTaken => ApiError::Conflict {
                detail: "Another saved segment of this business has this name.".to_owned(),
                errors: ValidationErrors::single("name", "is already used by another saved segment"),
            },
            OperationError::SegmentsLimit(limit) => ApiError::Conflict {
                detail: format!("A business may keep at most {limit} saved segments; delete some first."),
                errors: ValidationErrors::new(),
            },
            OperationError::NotAList => ApiError::Conflict {
                detail: "The segment is a filter: its members are the customers it finds, and none are put on it."
                    .to_owned(),
                errors: ValidationErrors::new(),
            },
            OperationError::NoAvatar => ApiError::NotFound("The customer has no avatar.".to_owned()),
            OperationError::NotYours(why) => ApiError::Forbidden(why.to_owned()),
            OperationError::LimitReached { what, limit } => ApiError::Conflict {
                detail: format!("A customer may have at most {limit} {what}; remove some first."),
                errors: ValidationErrors::new(),
            },
            // The tags function names the offending labels; anywhere else the
            // conflict is all there is to say.
            OperationError::LabelsTaken(_) => ApiError::Conflict {
                detail: "The customer already has a tag with this label.".to_owned(),
                errors: ValidationErrors::new(),
            },
            OperationError::InsufficientTokens { balance, asked } => ApiError::Conflict {
                detail: format!(
                    "The customer's balance is {balance} tokens: taking {asked} would leave it below zero. Nothing changed."
                ),
                errors: ValidationErrors::single("amount", format!("is more than the balance of {balance} tokens")),
            },
            OperationError::MovementKeyReused => ApiError::Conflict {
                detail:
                    "This movement key was first used for a movement with other values; a new movement needs a new key."
                        .to_owned(),
                errors: ValidationErrors::single("movement_key", "was first used for another movement"),
            },
            OperationError::TeamUserNotFound => ApiError::NotFound("The customer has no such user.".to_owned()),
            OperationError::TeamUserEmailTaken => ApiError::Conflict {
                detail: "Another user of this business has this email address.".to_owned(),
                errors: ValidationErrors::single("email", "is already used by another user of this business"),
            },
            OperationError::TeamUserDisabled => ApiError::Conflict {
                detail: "The user is disabled: make it active before asking for a password reset.".to_owned(),
                errors: ValidationErrors::single("status", "is disabled"),
            },
            OperationError::NoReinvitation(refused) => ApiError::Conflict {
                detail: format!("The user's status does not allow this: {refused}."),
                errors: ValidationErrors::single("status", format!("is {}", refused.from)),
            },
            OperationError::PlanNotFound => ApiError::NotFound("The business has no such plan.".to_owned()),
            OperationError::SubscriptionNotFound => {
                ApiError::NotFound("The customer has no such subscription.".to_owned())
            }
            OperationError::AlreadySubscribed => ApiError::Conflict {
                detail: "The customer has an active subscription: change its plan, or cancel it first.".to_owned(),
                errors: ValidationErrors::single("plan_id", "the customer has an active subscription already"),
            },
            OperationError::SubscriptionRefused(refused) => {
                let field = match refused {
                    clientele_core::subscription::SubscriptionRefusal::Ended(_) => "status",
                    _ => "plan_id",
                };
                ApiError::Conflict {
                    detail: format!("{refused}."),
                    errors: ValidationErrors::single(field, refused.to_string()),
                }
            }
            OperationError::TransferNotFound(what) => ApiError::NotFound(format!("There is no such {what}.")),
            OperationError::TransferRefused(why) => ApiError::Conflict {
                detail: format!("{why}."),
                errors: ValidationErrors::single("status", why),
            },
            OperationError::Store(error) => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn body(response: Response) -> Value {
        let bytes = futures_util::FutureExt::now_or_never(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap()
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn a_validation_error_names_every_field() {
        let mut errors = ValidationErrors::new();
        errors.push("email", "must be a valid email address");
        errors.push("gender", "is required");
        let response = ApiError::Validation(errors).into_response();
        assert_eq!(response.status(), 422);
        assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_JSON);
        let json = body(response);
        assert_eq!(json["type"], "urn:clientele:problem:validation-failed");
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "email");
        assert_eq!(json["errors"][1]["in"], "body");
    }

    #[test]
    fn server_errors_never_show_their_cause() {
        let response = ApiError::Internal("secret table name t-123".into()).into_response();
        assert_eq!(response.status(), 500);
        assert!(!body(response).to_string().contains("t-123"));
        let response = ApiError::from(StoreError::Unavailable("connection refused to 10.0.0.1".into())).into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[RETRY_AFTER], "2");
        assert!(!body(response).to_string().contains("10.0.0.1"));
    }

    #[test]
    fn status_specific_headers_are_set() {
        assert_eq!(
            ApiError::RateLimited { retry_after: 17 }.into_response().headers()[RETRY_AFTER],
            "17"
        );
        assert_eq!(
            ApiError::MethodNotAllowed {
                allowed: "GET, POST".to_owned()
            }
            .into_response()
            .headers()[ALLOW],
            "GET, POST"
        );
        assert!(
            ApiError::Unauthorized("x".into())
                .into_response()
                .headers()
                .contains_key(WWW_AUTHENTICATE)
        );
    }

    #[test]
    fn a_duplicate_names_the_field() {
        let error = ApiError::from(OperationError::Taken(vec![clientele_core::UniqueField::Email]));
        let json = serde_json::to_value(error.problem()).unwrap();
        assert_eq!(json["status"], 409);
        assert_eq!(json["errors"][0]["field"], "email");
    }
}
