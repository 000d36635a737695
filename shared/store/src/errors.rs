//! Turning AWS SDK errors into [`StoreError`]s: what is worth retrying later
//! (unreachable, throttled, failing) and what is a bug.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use clientele_core::StoreError;

/// Error codes that mean "too much, too fast" or "not now".
const TRANSIENT_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
    // The table is missing: the service is deployed wrongly or still starting.
    "ResourceNotFoundException",
];

/// Whether a conditional write failed its condition: the one refusal every
/// caller of a conditional `PutItem`, `UpdateItem` or `DeleteItem` answers
/// in its own way.
pub(crate) fn condition_failed<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException")
}

/// Classifies an SDK error.
pub(crate) fn classify<E>(error: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(context) => {
            context.raw().status().is_server_error()
                || context.err().code().is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    };
    if transient {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Unexpected(Box::new(error))
    }
}

/// An item that would not convert to or from its stored form: a bug, or data
/// written by something else.
pub(crate) fn corrupt(error: serde_dynamo::Error) -> StoreError {
    StoreError::Unexpected(Box::new(error))
}
