//! `clientele`: the developer's and operator's command.
//!
//! - `clientele token --role staff --business <uuid>` prints a user token
//!   signed with `JWT_SIGNING_KEY` (`make token` runs it with the local key).
//! - `clientele client create|rotate|deactivate|show` manages external-system
//!   clients in the table named by `TABLE_NAME`.
//! - `clientele import customers.csv` imports a business's customers (and
//!   their tags) from a CSV or NDJSON file through the API, and prints what
//!   each row that created nothing was; `clientele export --output
//!   customers.csv` writes them all to a file. Both act as the caller whose
//!   token (`CLIENTELE_TOKEN`), or client id and secret, they are given, at
//!   `CLIENTELE_API_URL`.
//! - `clientele migrate` rewrites the items of the table named by
//!   `TABLE_NAME` that an earlier version wrote to the form this one reads
//!   (`--status` says where the table stands).
//! - `clientele seed --count 500` fills the local stack's table named by
//!   `TABLE_NAME` (and no other: its endpoint must be on this machine) with
//!   demo customers across two businesses, with tags, notes, facts and
//!   lifecycle steps (`make seed N=500`); seeding again adds only what is
//!   missing.
//! - `clientele check` says what does not hold of the table named by
//!   `TABLE_NAME` (claims, tag copies, counts, outbox events, leftovers,
//!   unknown kinds) and fails if anything does not.
//! - `clientele local-setup` creates the table, the event bus, the signing
//!   secret and the avatar bucket of `infra/template.yaml` on the local
//!   endpoints named by the AWS SDK's standard variables (and refuses any
//!   other), and the demo data the README's examples use (`make run` runs it
//!   against DynamoDB Local and moto), with a dead-letter queue for the
//!   publisher, a queue for a local requester's data responses, and a tap: a
//!   queue every published event reaches.
//! - `clientele local-functions` runs every function's binary (route
//!   functions in several instances) against the Lambda Runtime API that
//!   `cargo lambda watch --only-lambda-apis` emulates, restarting any that
//!   stops.
//! - `clientele local-stream` feeds the table's stream to the publisher and
//!   the sweeper that `cargo lambda watch` serves; `clientele local-events` prints what reached
//!   the tap (`make events`); `clientele local-router` prints the router
//!   `cargo lambda watch` routes by, made from the template.

mod api;
mod client;
mod local_events;
mod local_functions;
mod local_setup;
mod migrate;
mod token;
mod transfers;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use clientele_stack::Template;
use clientele_store::DynamoStore;

use crate::local_setup::LocalStack;

#[derive(Parser)]
#[command(name = "clientele", version, about = "Clientele's developer and operator command")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a user token (JWT, HS256) signed with JWT_SIGNING_KEY.
    Token {
        /// A role the token grants: viewer, staff or admin. Repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// The business the token acts for.
        #[arg(long)]
        business: String,
        /// The token's subject (the user's id).
        #[arg(long, default_value = "local-developer")]
        subject: String,
        /// Minutes until it expires; by default the longest the service accepts
        /// (ACCESS_TOKEN_EXPIRE_MINUTES, 30 unless set).
        #[arg(long)]
        minutes: Option<u64>,
        /// The signing key.
        #[arg(long, env = "JWT_SIGNING_KEY", hide_env_values = true)]
        key: String,
    },
    /// Manage external-system clients.
    Client {
        /// The table.
        #[arg(long, env = "TABLE_NAME")]
        table: String,
        #[command(subcommand)]
        command: client::ClientCommand,
    },
    /// Fill the table with demo customers across two businesses, with tags,
    /// notes, order and appointment facts and lifecycle steps.
    Seed {
        /// The table.
        #[arg(long, env = "TABLE_NAME")]
        table: String,
        /// How many customers (the first ones of a fixed list: seeding
        /// again adds only those missing).
        #[arg(long, default_value_t = 500)]
        count: usize,
    },
    /// Check that the table holds together: every claim, tag copy, count and
    /// outbox event where it belongs. Prints what does not hold; fails if
    /// anything does not.
    Check {
        /// The table.
        #[arg(long, env = "TABLE_NAME")]
        table: String,
    },
    /// Import customers, with their tags, from a CSV or NDJSON file, through
    /// the API: wait until the import is done, then print its counts and
    /// each row that created nothing (refused, and why; or the customer the
    /// business already had). Fails if the import failed.
    Import {
        /// The file (at most 10 MiB).
        file: PathBuf,
        #[command(flatten)]
        job: transfers::JobOptions,
    },
    /// Export every customer of the caller's business, with its tags, to a
    /// file, through the API (admins, and clients with customers:admin).
    Export {
        /// Where to write the file (`-`: standard output).
        #[arg(long)]
        output: PathBuf,
        #[command(flatten)]
        job: transfers::JobOptions,
    },
    /// Rewrite items stored by an earlier version to the form this one reads:
    /// versioned, resumable, and safe to run again.
    Migrate {
        /// The table.
        #[arg(long, env = "TABLE_NAME")]
        table: String,
        /// Only say which migrations have run and which are pending.
        #[arg(long)]
        status: bool,
        /// Stop after this many pages of the table's scan (the next run
        /// resumes where this one stopped).
        #[arg(long)]
        pages: Option<u64>,
    },
    /// Create the template's table, event bus and signing secret on the local
    /// endpoints, and the demo data.
    LocalSetup {
        /// The table's name.
        #[arg(long, env = "TABLE_NAME")]
        table: String,
        /// The event bus's name.
        #[arg(long, env = "EVENT_BUS_NAME")]
        bus: String,
        /// The signing secret's id.
        #[arg(long, env = "JWT_SECRET_ID")]
        secret_id: String,
        /// The signing key to store in it.
        #[arg(long, env = "JWT_SIGNING_KEY", hide_env_values = true)]
        key: String,
        /// The avatar bucket's name.
        #[arg(long, env = "AVATAR_BUCKET")]
        bucket: String,
        /// The source the publisher sends events under.
        #[arg(long, env = "EVENT_SOURCE", default_value = clientele_bus::DEFAULT_SOURCE)]
        event_source: String,
        /// The queue every published event reaches, through a rule on the bus.
        #[arg(long, env = "LOCAL_EVENTS_QUEUE", default_value = "clientele-local-events")]
        tap_queue: String,
        /// The publisher's dead-letter queue.
        #[arg(
            long,
            env = "DEAD_LETTER_QUEUE_NAME",
            default_value = "clientele-publisher-dead-letters"
        )]
        dead_letter_queue: String,
        /// The queue a local requester's data responses are delivered to.
        #[arg(long, env = "DATA_RESPONSES_QUEUE_NAME", default_value = "clientele-data-responses")]
        data_responses_queue: String,
    },
    /// Feed the table's stream to the functions that read it (the publisher,
    /// the sweeper) served on 127.0.0.1, as Lambda's event source mappings do
    /// in the cloud.
    LocalStream {
        /// The table.
        #[arg(long, env = "TABLE_NAME")]
        table: String,
        /// The port `cargo lambda watch` serves on.
        #[arg(long, env = "API_PORT", default_value_t = 9000)]
        port: u16,
        /// The folder where each function's position in the stream is kept.
        #[arg(long)]
        state: std::path::PathBuf,
    },
    /// Print `cargo lambda watch`'s router, made from infra/template.yaml:
    /// each route's path to its function, anything else to the catch-all's.
    LocalRouter,
    /// Run every function's binary, built beside this command, against the
    /// Lambda Runtime API of `cargo lambda watch --only-lambda-apis`; an
    /// instance that stops is started again.
    LocalFunctions {
        /// The port `cargo lambda watch` listens on (127.0.0.1).
        #[arg(long, env = "API_PORT", default_value_t = 9000)]
        port: u16,
        /// Instances of each function with HTTP routes (event functions run one).
        #[arg(long, default_value_t = 2)]
        instances: usize,
    },
    /// Print the events that reached the local tap queue since last asked.
    LocalEvents {
        /// The tap queue.
        #[arg(long, env = "LOCAL_EVENTS_QUEUE", default_value = "clientele-local-events")]
        queue: String,
        /// Keep printing events as they arrive.
        #[arg(long)]
        follow: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Token {
            roles,
            business,
            subject,
            minutes,
            key,
        } => token::mint(&roles, &business, &subject, minutes, &key).map(|t| println!("{t}")),
        Command::Client { table, command } => {
            let sdk = clientele_startup::aws::sdk_config().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            client::run(&store, command).await.map(|text| println!("{text}"))
        }
        Command::Seed { table, count } => {
            // Demo data belongs in the local stack alone.
            if let Err(refused) = clientele_stack::require_loopback(|name| std::env::var(name).ok()) {
                return finish(Err(refused.to_string()));
            }
            let sdk = clientele_startup::aws::sdk_config().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            clientele_stack::seed::seed(&store, count, clientele_core::Timestamp::now())
                .await
                .map(|seeded| {
                    println!(
                        "seeded {} customers ({} created, {} there already) in businesses {} and {}",
                        count,
                        seeded.created,
                        seeded.present,
                        clientele_stack::demo::BUSINESS,
                        clientele_stack::seed::SECOND_BUSINESS
                    )
                })
        }
        Command::Check { table } => {
            let sdk = clientele_startup::aws::sdk_config().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            match store.violations(clientele_core::Timestamp::now()).await {
                Ok(found) if found.is_empty() => {
                    println!("table {}: everything holds", store.table());
                    Ok(())
                }
                Ok(found) => {
                    for violation in &found {
                        println!("{violation}");
                    }
                    Err(format!("{} things do not hold in table {}", found.len(), store.table()))
                }
                Err(error) => Err(error.to_string()),
            }
        }
        Command::Import { file, job } => match job.prepare(&file) {
            Ok(transfer) => transfers::import(&transfer, &file)
                .await
                .map(|report| println!("{report}")),
            Err(error) => Err(error),
        },
        Command::Export { output, job } => match job.prepare(&output) {
            Ok(transfer) => transfers::export(&transfer, &output)
                .await
                .map(|said| eprintln!("{said}")),
            Err(error) => Err(error),
        },
        Command::Migrate { table, status, pages } => {
            let sdk = clientele_startup::aws::sdk_config().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            let limits = clientele_store::migrations::Limits {
                pages,
                ..Default::default()
            };
            migrate::run(&store, status, limits)
                .await
                .map(|text| println!("{text}"))
        }
        Command::LocalSetup {
            table,
            bus,
            secret_id,
            key,
            bucket,
            event_source,
            tap_queue,
            dead_letter_queue,
            data_responses_queue,
        } => {
            local_setup::run(&LocalStack {
                table: &table,
                bus: &bus,
                secret_id: &secret_id,
                key: &key,
                bucket: &bucket,
                event_source: &event_source,
                tap_queue: &tap_queue,
                dead_letter_queue: &dead_letter_queue,
                data_responses_queue: &data_responses_queue,
            })
            .await
        }
        Command::LocalStream { table, port, state } => local_events::feed_stream(&table, port, &state).await,
        Command::LocalEvents { queue, follow } => local_events::print_events(&queue, follow).await,
        Command::LocalFunctions { port, instances } => {
            let here = std::env::current_exe().map_err(|e| e.to_string());
            match (here, Template::bundled()) {
                (Ok(exe), Ok(template)) => {
                    let bin_dir = exe.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
                    local_functions::run(&bin_dir, port, &local_functions::plan(&template, instances)).await
                }
                (Err(error), _) => Err(error),
                (_, Err(error)) => Err(error.to_string()),
            }
        }
        Command::LocalRouter => Template::bundled()
            .map(|template| print!("{}", template.watch_router_toml()))
            .map_err(|e| e.to_string()),
    };
    finish(outcome)
}

fn finish(outcome: Result<(), String>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("clientele: {message}");
            ExitCode::FAILURE
        }
    }
}
