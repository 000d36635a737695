//! `clientele`: the developer's and operator's command.
//!
//! - `clientele token --role staff --business <uuid>` prints a user token
//!   signed with `JWT_SIGNING_KEY` (`make token` runs it with the local key).
//! - `clientele local-setup` creates the table, the event bus and the signing
//!   secret of `infra/template.yaml` on the endpoints named by the AWS SDK's
//!   standard variables (`make run` runs it against DynamoDB Local and moto).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use clientele_auth::{Role, SigningKey, TokenSettings, issue};
use clientele_core::{BusinessId, Timestamp};
use clientele_stack::{Template, create_event_bus, create_table, put_secret};

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
        /// Minutes until it expires.
        #[arg(long, env = "ACCESS_TOKEN_EXPIRE_MINUTES", default_value_t = 30)]
        minutes: u64,
        /// The signing key.
        #[arg(long, env = "JWT_SIGNING_KEY", hide_env_values = true)]
        key: String,
    },
    /// Create the template's table, event bus and signing secret on the local endpoints.
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
    },
}

fn token(roles: &[String], business: &str, subject: &str, minutes: u64, key: &str) -> Result<String, String> {
    let roles = roles
        .iter()
        .map(|r| r.parse::<Role>().map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let business = BusinessId::parse(business).map_err(|e| format!("--business {e}"))?;
    let key = SigningKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let settings = TokenSettings::from_lookup(|name| std::env::var(name).ok());
    issue(
        &key,
        &settings,
        subject,
        business,
        &roles,
        Duration::from_secs(minutes.saturating_mul(60)),
        Timestamp::now(),
    )
    .map_err(|e| e.to_string())
}

async fn local_setup(table: &str, bus: &str, secret_id: &str, key: &str) -> Result<(), String> {
    SigningKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let template = Template::bundled().map_err(|e| e.to_string())?;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    let definition = template.table().map_err(|e| e.to_string())?;
    let created = create_table(&aws_sdk_dynamodb::Client::new(&sdk), table, &definition)
        .await
        .map_err(|e| e.to_string())?;
    println!("table {table}: {}", if created { "created" } else { "already there" });
    let created = create_event_bus(&aws_sdk_eventbridge::Client::new(&sdk), bus)
        .await
        .map_err(|e| e.to_string())?;
    println!("event bus {bus}: {}", if created { "created" } else { "already there" });
    put_secret(&aws_sdk_secretsmanager::Client::new(&sdk), secret_id, key)
        .await
        .map_err(|e| e.to_string())?;
    println!("secret {secret_id}: holds the local signing key");
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
        } => token(&roles, &business, &subject, minutes, &key).map(|t| println!("{t}")),
        Command::LocalSetup {
            table,
            bus,
            secret_id,
            key,
        } => local_setup(&table, &bus, &secret_id, &key).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("clientele: {message}");
            ExitCode::FAILURE
        }
    }
}
