//! How every function starts, HTTP or event: read its settings once from the
//! environment (failing with the variable's name), configure the AWS SDK,
//! start telemetry, then hand requests or events to the Lambda runtime.
//!
//! A function's `main` is a few lines:
//!
//! ```ignore
//! use clientele_startup::service_fn;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), clientele_startup::Error> {
//!     let app = clientele_startup::start(inbound::App::from_env).await?;
//!     clientele_startup::run_events(service_fn(|event| inbound::serve(&app, event))).await
//! }
//! ```
//!
//! The `runtime` feature brings [`start`] and [`run_events`], the `http`
//! feature `run_http` too, the `streams` feature [`streams`] for the functions
//! that read the table's stream; a library that only reads settings ([`env`],
//! [`aws`]) takes neither, and no event function depends on HTTP code.

pub mod aws;
pub mod env;
#[cfg(feature = "runtime")]
pub mod metrics;
#[cfg(feature = "runtime")]
mod run;
#[cfg(feature = "streams")]
pub mod streams;
#[cfg(feature = "runtime")]
pub mod telemetry;
pub mod xray;

pub use env::{ConfigError, Lookup, ProcessEnv, parsed_or, required};

/// Whether this is a development build (`make run`, the tests and the
/// `clientele` command turn on the `dev-build` feature), not a release build
/// for Lambda. A constant, so that what only development uses, such as a
/// route function checking credentials itself, is not in a release binary.
pub const DEVELOPMENT_BUILD: bool = cfg!(feature = "dev-build");

/// Whether this is the process's first invocation, the one a cold start
/// serves: `true` once, then `false` (every function marks it in its logs).
pub fn cold_start() -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static WARM: AtomicBool = AtomicBool::new(false);
    !WARM.swap(true, Ordering::Relaxed)
}
#[cfg(feature = "runtime")]
pub use run::*;
