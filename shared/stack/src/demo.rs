//! The demo record: seed 002's examples read, tag and annotate customer
//! `123e4567-e89b-12d3-a456-426614174002` of business
//! `123e4567-e89b-12d3-a456-426614174001`, so the local stack keeps one with
//! that id. Its email and user differ from the seed's create example, so that
//! example still creates its own customer.

use clientele_core::{BusinessId, CustomerEvent, CustomerId, CustomerReader, CustomerWriter, NewCustomer, Timestamp};
use clientele_store::DynamoStore;
use serde_json::json;

/// Seed 002's business.
pub const BUSINESS: &str = "123e4567-e89b-12d3-a456-426614174001";
/// The customer seed 002's read, tag and note examples name.
pub const CUSTOMER: &str = "123e4567-e89b-12d3-a456-426614174002";

/// Creates the demo customer unless it is there. Returns whether it was created.
pub async fn ensure(store: &DynamoStore) -> Result<bool, String> {
    let business = BusinessId::parse(BUSINESS).map_err(|e| e.to_string())?;
    let id = CustomerId::parse(CUSTOMER).map_err(|e| e.to_string())?;
    if store.get(business, id).await.map_err(|e| e.to_string())?.is_some() {
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
        .insert(&customer, &CustomerEvent::created(&customer))
        .await
        .map_err(|e| format!("the demo customer: {e}"))?;
    Ok(true)
}
