//! Reading a customer's audit trail.

use clientele_core::{AuditEntry, BusinessId, CustomerId, OperationError, Page};
use clientele_store::DynamoStore;

use crate::customers;

/// A page of the audit trail of a customer of `business`, newest first.
pub async fn trail(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<AuditEntry>, OperationError> {
    let customer = customers::get(store, business, customer).await?;
    Ok(store.audit_of(customer.id, limit, cursor).await?)
}
