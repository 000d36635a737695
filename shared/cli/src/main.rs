//! `clientele`: the developer's and operator's command.
//!
//! - `clientele token --role staff --business <uuid>` prints a user token
//!   signed with `JWT_SIGNING_KEY` (`make token` runs it with the local key).
//! - `clientele client create|rotate|deactivate|show` manages external-system
//!   clients in the table named by `TABLE_NAME`.
//! - `clientele local-setup` creates the table, the event bus, the signing
//!   secret and the avatar bucket of `infra/template.yaml` on the endpoints named by the AWS SDK's
//!   standard variables, and the demo data seed 002's examples use (`make run`
//!   runs it against DynamoDB Local and moto).

mod client;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use clientele_auth::SigningKey;
use clientele_stack::{Template, create_bucket, create_event_bus, create_table, local_s3, put_secret};
use clientele_store::DynamoStore;

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
    },
}

fn said(created: bool) -> &'static str {
    if created { "created" } else { "already there" }
}

async fn local_setup(table: &str, bus: &str, secret_id: &str, key: &str, bucket: &str) -> Result<(), String> {
    SigningKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let template = Template::bundled().map_err(|e| e.to_string())?;
    let sdk = clientele_store::aws::sdk_config_loader().load().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let definition = template.table().map_err(|e| e.to_string())?;
    let created = create_table(&dynamodb, table, &definition)
        .await
        .map_err(|e| e.to_string())?;
    println!("table {table}: {}", said(created));
    let created = create_event_bus(&aws_sdk_eventbridge::Client::new(&sdk), bus)
        .await
        .map_err(|e| e.to_string())?;
    println!("event bus {bus}: {}", said(created));
    put_secret(&aws_sdk_secretsmanager::Client::new(&sdk), secret_id, key)
        .await
        .map_err(|e| e.to_string())?;
    println!("secret {secret_id}: holds the local signing key");
    let created = create_bucket(&local_s3(&sdk), bucket)
        .await
        .map_err(|e| e.to_string())?;
    println!("bucket {bucket}: {}", said(created));
    for line in clientele_stack::demo::ensure(&DynamoStore::new(dynamodb, table)).await? {
        println!("{line}");
    }
    Ok(())
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
            let sdk = clientele_store::aws::sdk_config_loader().load().await;
            let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
            client::run(&store, command).await.map(|text| println!("{text}"))
        }
        Command::LocalSetup {
            table,
            bus,
            secret_id,
            key,
            bucket,
        } => local_setup(&table, &bus, &secret_id, &key, &bucket).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("clientele: {message}");
            ExitCode::FAILURE
        }
    }
}
