//! The local stack: the resources of `infra/template.yaml` (the table with
//! its keys, indexes, stream and TTL; the event bus; the signing secret),
//! created on the local endpoints that `make run` and the tests start, and
//! the demo data the README's examples and the request events use, and
//! more of it in bulk (`make seed`).

pub mod demo;
pub mod provision;
pub mod seed;
pub mod stream;
pub mod template;

pub use provision::{
    SecretState, create_bucket, create_event_bus, create_queue, create_table, create_tap, keep_secret, local_s3,
    put_secret, require_loopback,
};
pub use template::{FunctionDefinition, TableDefinition, Template};

/// Why the local stack could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The template is missing something or cannot be read.
    #[error("infra/template.yaml: {0}")]
    Template(String),
    /// A local endpoint refused or failed.
    #[error("{0}")]
    Provision(String),
    /// An endpoint is not on this machine: local set-up refuses to run.
    #[error("local set-up only sets up services on this machine: {0}")]
    NotLocal(String),
}
