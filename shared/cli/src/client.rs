//! `clientele client ...`: the operator's only way to manage external-system
//! clients (there is no HTTP route for it, by design).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Subcommand;
use clientele_auth::ClientSecret;
use clientele_auth::clients;
use clientele_core::{BusinessId, Client, ClientId, ClientName, ClientReader, Scope, Timestamp};
use clientele_store::DynamoStore;

/// What to do with clients.
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Create a client; its secret is shown once, here, and stored only as a hash.
    Create {
        /// The business it acts for.
        #[arg(long)]
        business: String,
        /// What its operators call it.
        #[arg(long)]
        name: String,
        /// What it may do: customers:read, customers:write, customers:admin. Repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// Give a client a new secret, which works at once; the old one keeps
    /// working for --overlap-minutes (0 by default: it stops at once).
    Rotate {
        /// The client's id.
        id: String,
        /// Minutes the old secret keeps working beside the new one, while the
        /// client's deployments change over (at most a week, 10080).
        #[arg(long, default_value_t = 0)]
        overlap_minutes: u64,
    },
    /// Stop a client; its next request is refused.
    Deactivate {
        /// The client's id.
        id: String,
    },
    /// Show a client (never its secret).
    Show {
        /// The client's id.
        id: String,
    },
}

fn client_id(text: &str) -> Result<ClientId, String> {
    ClientId::parse(text).map_err(|e| format!("the client id {e}"))
}

fn describe(client: &Client) -> String {
    let scopes: Vec<&str> = client.scopes.iter().map(|s| s.as_str()).collect();
    format!(
        "client id: {}\nname:      {}\nbusiness:  {}\nscopes:    {}\nactive:    {}\ncreated:   {}\nchanged:   {}",
        client.id,
        client.name.as_str(),
        client.business_id,
        scopes.join(" "),
        client.active,
        client.created_at,
        client.updated_at
    ) + &match &client.previous_secret {
        Some(previous) => format!("\nprevious secret accepted until {}", previous.until),
        None => String::new(),
    }
}

fn reveal(id: ClientId, secret: &ClientSecret) -> String {
    let basic = STANDARD.encode(format!("{id}:{}", secret.expose()));
    format!(
        "secret:    {}\n\nThe secret is shown this once and stored only as a hash. Send it as\nAuthorization: Basic {basic}",
        secret.expose()
    )
}

/// Runs a client command against the table.
pub async fn run(store: &DynamoStore, command: ClientCommand) -> Result<String, String> {
    let now = Timestamp::now();
    match command {
        ClientCommand::Create { business, name, scopes } => {
            let business = BusinessId::parse(&business).map_err(|e| format!("--business {e}"))?;
            let name = ClientName::parse(&name).map_err(|e| e.to_string())?;
            let scopes = scopes
                .iter()
                .map(|s| s.parse::<Scope>().map_err(|e| format!("--scope {s:?} {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            let (client, secret) = clients::create(store, business, name, scopes, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("{}\n{}", describe(&client), reveal(client.id, &secret)))
        }
        ClientCommand::Rotate { id, overlap_minutes } => {
            let id = client_id(&id)?;
            let secret = clients::rotate(store, id, now, overlap_minutes)
                .await
                .map_err(|e| e.to_string())?;
            let old = if overlap_minutes == 0 {
                "The old secret no longer works.".to_owned()
            } else {
                format!(
                    "The old secret works until {}, then never.",
                    now.plus_seconds(60 * overlap_minutes as i64)
                )
            };
            Ok(format!("client id: {id}\n{}\n\n{old}", reveal(id, &secret)))
        }
        ClientCommand::Deactivate { id } => {
            let client = clients::deactivate(store, client_id(&id)?, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(describe(&client))
        }
        ClientCommand::Show { id } => {
            let id = client_id(&id)?;
            match store.client(id).await.map_err(|e| e.to_string())? {
                Some(client) => Ok(describe(&client)),
                None => Err(format!("there is no client {id}")),
            }
        }
    }
}
