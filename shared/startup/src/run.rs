//! Starting a function and handing it to the Lambda runtime.

use std::fmt;
use std::future::Future;

use aws_config::SdkConfig;
use bytes::Bytes;
use futures_core::Stream;
use lambda_runtime::tower::ServiceExt;
use lambda_runtime::{Diagnostic, IntoFunctionResponse, Service};
use serde::{Deserialize, Serialize};

use crate::env::{ConfigError, ProcessEnv};
use crate::{aws, metrics, telemetry};

pub use lambda_runtime::{Error, LambdaEvent, service_fn};

/// Starts telemetry, loads the AWS SDK's configuration and builds the
/// function from the process environment with `build`. A setting that is
/// missing or invalid stops the start-up here, naming the variable.
pub async fn start<T>(build: impl AsyncFnOnce(&ProcessEnv, &SdkConfig) -> Result<T, ConfigError>) -> Result<T, Error> {
    let began = std::time::Instant::now();
    telemetry::init();
    let sdk = aws::sdk_config().await;
    let built = build(&ProcessEnv, &sdk).await.map_err(|error| {
        tracing::error!(%error, "the function cannot start");
        Error::from(error)
    })?;
    tracing::info!(
        cold_start = true,
        init_ms = began.elapsed().as_secs_f64() * 1000.0,
        "the function started"
    );
    Ok(built)
}

/// Serves the events Lambda hands the function, one invocation at a time
/// (`lambda_runtime::run`), writing the metrics counted after each one,
/// with the process's peak memory.
pub async fn run_events<A, F, R, B, S, D, E>(handler: F) -> Result<(), Error>
where
    F: Service<LambdaEvent<A>, Response = R>,
    F::Future: Future<Output = Result<R, F::Error>>,
    F::Error: Into<Diagnostic> + fmt::Debug,
    A: for<'de> Deserialize<'de>,
    R: IntoFunctionResponse<B, S>,
    B: Serialize,
    S: Stream<Item = Result<D, E>> + Unpin + Send + 'static,
    D: Into<Bytes> + Send,
    E: Into<Error> + Send + fmt::Debug,
{
    let handler = handler.map_response(|response| {
        metrics::record_peak_memory();
        response
    });
    match metrics::collector() {
        Some(collector) => metrics_cloudwatch_embedded::lambda::service::run(collector, handler).await,
        None => lambda_runtime::run(handler).await,
    }
}

/// Serves the HTTP requests API Gateway hands the function
/// (`lambda_http::run`), writing the metrics counted after each one,
/// with the process's peak memory.
#[cfg(feature = "http")]
pub async fn run_http<'a, R, F, E>(handler: F) -> Result<(), Error>
where
    F: Service<lambda_http::Request, Response = R, Error = E>,
    F::Future: Send + 'a,
    R: lambda_http::IntoResponse,
    E: fmt::Debug + Into<Diagnostic>,
{
    let handler = handler.map_response(|response| {
        metrics::record_peak_memory();
        response
    });
    match metrics::collector() {
        Some(collector) => metrics_cloudwatch_embedded::lambda::service::run_http(collector, handler).await,
        None => lambda_http::run(handler).await,
    }
}
