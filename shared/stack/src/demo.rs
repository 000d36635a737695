//! Demo data for the local stack, so that the README's examples and the request
//! events in `events/` work as written:
//!
//! - customer `123e4567-e89b-12d3-a456-426614174002` of the demo business
//!   `123e4567-e89b-12d3-a456-426614174001` (the read, tag and note examples
//!   name it). Its email and user differ from the create example's
//!   example, so that example still creates its own customer.
//! - an active client and an inactive one in that business, with known
//!   secrets (local only), for the authorizer's request events.
//!
//! And the local signing key, which `make run` stores in the local signing
//! secret. None of it is secret: it only ever exists on a developer's machine.

use clientele_auth::ClientSecret;
use clientele_core::{
    BusinessId, Client, ClientId, ClientName, ClientReader, ClientWriter, CustomerEvent, CustomerId, NewCustomer,
    Scope, Timestamp,
};
use clientele_store::DynamoStore;
use serde_json::json;

/// The local stack's JWT signing key (the Makefile's `LOCAL_JWT_KEY`).
pub const LOCAL_SIGNING_KEY: &str = "clientele-local-development-key-not-a-secret";

/// The demo business.
pub const BUSINESS: &str = "123e4567-e89b-12d3-a456-426614174001";
/// The demo customer, which the read, tag and note examples name.
pub const CUSTOMER: &str = "123e4567-e89b-12d3-a456-426614174002";
/// The demo client that may read and write.
pub const ACTIVE_CLIENT: &str = "123e4567-e89b-12d3-a456-426614174010";
/// Its secret: known, because it only ever exists in the local stack.
pub const ACTIVE_CLIENT_SECRET: &str = "cs_local-demo-client-secret-not-a-secret-000";
/// The demo client that was deactivated.
pub const INACTIVE_CLIENT: &str = "123e4567-e89b-12d3-a456-426614174011";
/// Its secret.
pub const INACTIVE_CLIENT_SECRET: &str = "cs_local-demo-inactive-client-secret-not-a-s";

fn parse<T, E: std::fmt::Display>(text: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<T, String> {
    parse(text).map_err(|e| format!("{text}: {e}"))
}

/// Creates the demo customer unless it is there. Returns whether it was created.
pub async fn ensure_customer(store: &DynamoStore) -> Result<bool, String> {
    let business = parse(BUSINESS, BusinessId::parse)?;
    let id = parse(CUSTOMER, CustomerId::parse)?;
    if store.customer(business, id).await.map_err(|e| e.to_string())?.is_some() {
        return Ok(false);
    }
    let body = json!({
        "full_name": "Jane Doe",
        "email": "jane.doe@example.com",
        "phone": "0723456789",
        "gender": "female",
        "user_id": "123e4567-e89b-12d3-a456-426614174003",
        "business_id": BUSINESS
    });
    let body = body.as_object().ok_or("the demo body is an object")?;
    let new = NewCustomer::from_json(body).map_err(|e| e.to_string())?;
    let mut customer = new.into_customer(business, Timestamp::now());
    customer.id = id;
    store
        .insert_customer(&customer, &CustomerEvent::created(&customer))
        .await
        .map_err(|e| format!("the demo customer: {e}"))?;
    Ok(true)
}

/// The demo clients: id, secret, name, active.
pub const CLIENTS: [(&str, &str, &str, bool); 2] = [
    (ACTIVE_CLIENT, ACTIVE_CLIENT_SECRET, "Demo integration", true),
    (
        INACTIVE_CLIENT,
        INACTIVE_CLIENT_SECRET,
        "Retired demo integration",
        false,
    ),
];

/// Creates the demo customer and clients that are missing. Returns what it
/// did, a line each.
pub async fn ensure(store: &DynamoStore) -> Result<Vec<String>, String> {
    let said = |created: bool| if created { "created" } else { "already there" };
    let mut lines = vec![format!(
        "demo customer {CUSTOMER}: {}",
        said(ensure_customer(store).await?)
    )];
    for (id, secret, name, active) in CLIENTS {
        let created = ensure_client(store, id, secret, name, active).await?;
        lines.push(format!("demo client {id}: {}", said(created)));
    }
    Ok(lines)
}

/// Creates a demo client unless it is there. Returns whether it was created.
pub async fn ensure_client(
    store: &DynamoStore,
    id: &str,
    secret: &str,
    name: &str,
    active: bool,
) -> Result<bool, String> {
    let id = parse(id, ClientId::parse)?;
    if store.client(id).await.map_err(|e| e.to_string())?.is_some() {
        return Ok(false);
    }
    let now = Timestamp::now();
    let client = Client {
        id,
        business_id: parse(BUSINESS, BusinessId::parse)?,
        name: parse(name, ClientName::parse)?,
        scopes: vec![Scope::CustomersRead, Scope::CustomersWrite],
        secret_hash: ClientSecret::known(secret).hash(),
        previous_secret: None,
        active,
        created_at: now,
        updated_at: now,
    };
    store
        .insert_client(&client)
        .await
        .map_err(|e| format!("the demo client: {e}"))?;
    Ok(true)
}
