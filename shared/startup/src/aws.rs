//! The AWS SDK configuration every function shares: timeouts short enough to
//! answer 503 well inside API Gateway's 30 s, and the standard retry policy.
//!
//! Endpoints come from the SDK's standard variables (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, ...): that is how `make run` and the tests point
//! the functions at local services. There is no other switch.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader};

/// Connecting must not take longer than this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt of one call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// One call, retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(12);
/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;

/// A config loader with the service's timeouts and retries; it reads region,
/// credentials and endpoints from the environment when loaded.
pub fn sdk_config_loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
}

/// The configuration every function's SDK clients are built from: region,
/// credentials and endpoints from the environment, the timeouts and retries
/// above; and where Lambda runs an X-Ray daemon (`AWS_XRAY_DAEMON_ADDRESS`),
/// every call traced as a subsegment of the invocation ([`crate::xray`]).
pub async fn sdk_config() -> aws_config::SdkConfig {
    let loader = sdk_config_loader();
    match std::env::var(crate::xray::DAEMON_ADDRESS) {
        Ok(daemon) => loader.http_client(crate::xray::traced(
            crate::xray::https_client(),
            &daemon,
            crate::xray::invocation_trace_header,
        )),
        Err(_) => loader,
    }
    .load()
    .await
}
