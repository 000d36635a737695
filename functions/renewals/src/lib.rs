//! The renewals: EventBridge Scheduler runs this function every few
//! minutes. Each run finds the subscriptions whose period ended through the
//! due index (never a scan), and moves each on: its next period starts and
//! grants its plan's tokens, or, cancelled at the end of its period, it
//! expires. Every step is conditional on the subscription's version, and a
//! period's tokens are keyed by the subscription and the period, so a run
//! cut short, run again, or run twice at once, renews each period once.
//!
//! A run that cannot read the index fails, and Lambda's retries of an
//! asynchronous invocation run it again; a subscription that cannot be
//! moved on stays due for the next run.

use aws_config::SdkConfig;
use clientele_operations::Context;
use clientele_operations::subscriptions::{self, Renewals};
use clientele_startup::{ConfigError, Lookup};
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

/// The renewals, built once per process.
#[derive(Debug)]
pub struct App {
    /// The table and the clock.
    pub context: Context,
}

impl App {
    /// The table (`TABLE_NAME`).
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            context: Context::from_env(env, sdk).await?,
        })
    }
}

/// What a run answers (and logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Periods started.
    pub renewed: usize,
    /// Subscriptions ended at the end of their period.
    pub expired: usize,
    /// Subscriptions left due for the next run.
    pub failed: usize,
}

impl From<Renewals> for Report {
    fn from(done: Renewals) -> Self {
        Self {
            renewed: done.renewed,
            expired: done.expired,
            failed: done.failed,
        }
    }
}

/// A run that could not read what is due: the invocation fails, so that
/// Lambda runs it again.
#[derive(Debug, thiserror::Error)]
#[error("the renewals could not run: {0}")]
pub struct RunFailed(#[from] clientele_core::OperationError);

impl From<RunFailed> for lambda_runtime::Diagnostic {
    fn from(error: RunFailed) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "RunFailed".to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// One run: every subscription due now moved on.
pub async fn run(app: &App) -> Result<Report, RunFailed> {
    let now = app.context.clock.now();
    let done = subscriptions::renew_due(&app.context.store, now).await?;
    let report = Report::from(done);
    tracing::info!(
        renewed = report.renewed,
        expired = report.expired,
        failed = report.failed,
        "renewals run"
    );
    Ok(report)
}

/// [`run`], in the shape `lambda_runtime::run` wants: the schedule's input
/// is not read.
pub async fn serve(app: &App, _event: LambdaEvent<Value>) -> Result<Report, RunFailed> {
    run(app).await
}
