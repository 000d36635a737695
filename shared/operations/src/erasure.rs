//! GDPR requests: finding the customer a request names, and erasing
//! everything held about it.
//!
//! An erasure removes the stored objects first (avatar images, stored
//! exports), then every other item in batches, then the record, its claims,
//! the `customer.deleted` event (`"erasure": true`) and a receipt without
//! personal data in one transaction, then sweeps. An erasure cut short leaves a
//! customer that can still be found, so running it again completes it; once
//! complete, the receipt answers repeats.

use clientele_avatars::AvatarBucket;
use clientele_core::gdpr::{ErasureReceipt, GdprRequest, Subject};
use clientele_core::{BusinessId, Customer, CustomerEvent, CustomerId, OperationError};
use clientele_store::DynamoStore;

use crate::Actor;
use crate::change::read_decide_write;
use crate::deletion;

/// Where a customer's exports too large to answer inline are stored: every
/// key starts with this.
pub fn export_prefix(business: BusinessId, customer: CustomerId) -> String {
    format!("exports/{business}/{customer}/")
}

/// The customer of `business` a request names; [`OperationError::NotFound`]
/// when there is none, or the body names another business.
pub async fn subject(
    store: &DynamoStore,
    business: BusinessId,
    asked: &GdprRequest,
) -> Result<Customer, OperationError> {
    if asked.business_id.is_some_and(|b| b != business) {
        return Err(OperationError::NotFound);
    }
    let found = match asked.subject {
        Subject::Customer(id) => store.customer(business, id).await?,
        Subject::User(user) => store.find_by_user(business, user).await?,
    };
    found.ok_or(OperationError::NotFound)
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erasure {
    /// The customer was erased now.
    Erased(ErasureReceipt),
    /// An earlier erasure left nothing; its receipt.
    NothingLeft(ErasureReceipt),
}

/// Erases the customer a request names, in the actor's business. A customer
/// erased before, named by its id, answers [`Erasure::NothingLeft`] (and
/// whatever an earlier run's last sweep could not remove goes now); a customer
/// never known here is [`OperationError::NotFound`].
pub async fn erase(
    store: &DynamoStore,
    files: &AvatarBucket,
    actor: &Actor,
    asked: &GdprRequest,
) -> Result<Erasure, OperationError> {
    let erased = read_decide_write(
        None,
        || subject(store, actor.business, asked),
        |customer| async move {
            let holdings = store.holdings(&customer).await?;
            let objects = deletion::delete_objects(files, customer.business_id, customer.id).await?;
            let receipt = ErasureReceipt {
                customer_id: customer.id,
                business_id: customer.business_id,
                erased_by: actor.id.clone(),
                erased_at: actor.at,
                items: holdings.erased_counts(),
                objects,
                kept: holdings.kept_counts(),
            };
            let event = CustomerEvent::erased(&customer, actor.at);
            store.erase(&customer, &holdings, &event, &receipt).await?;
            tracing::info!(customer_id = %customer.id, items = ?receipt.items, objects, "erased");
            Ok(receipt)
        },
    )
    .await;
    match erased {
        Ok(receipt) => {
            metrics::counter!("CustomersErased").increment(1);
            Ok(Erasure::Erased(receipt))
        }
        Err(OperationError::NotFound) => match erase_leftovers(store, files, actor, asked).await? {
            Some(receipt) => Ok(Erasure::Erased(receipt)),
            None => nothing_left(store, actor.business, asked).await,
        },
        Err(other) => Err(other),
    }
}

/// A customer deleted but not yet swept: the sweep finished now, and a
/// receipt for what it removed.
async fn erase_leftovers(
    store: &DynamoStore,
    files: &AvatarBucket,
    actor: &Actor,
    asked: &GdprRequest,
) -> Result<Option<ErasureReceipt>, OperationError> {
    if asked.business_id.is_some_and(|b| b != actor.business) {
        return Ok(None);
    }
    let Some(finished) = deletion::finish_if_pending(store, files, actor.business, &asked.subject).await? else {
        return Ok(None);
    };
    let Subject::Customer(customer_id) = asked.subject else {
        return Ok(None);
    };
    let receipt = ErasureReceipt {
        customer_id,
        business_id: actor.business,
        erased_by: actor.id.clone(),
        erased_at: actor.at,
        items: finished.items.removed,
        objects: finished.objects,
        kept: store.kept_for_accounting(customer_id).await?,
    };
    store.keep_receipt(&receipt).await?;
    tracing::info!(%customer_id, items = ?receipt.items, objects = receipt.objects, "erased what a deletion left");
    Ok(Some(receipt))
}

/// The receipt of an erasure of a customer already erased, named by its id.
async fn nothing_left(
    store: &DynamoStore,
    business: BusinessId,
    asked: &GdprRequest,
) -> Result<Erasure, OperationError> {
    let Subject::Customer(id) = asked.subject else {
        return Err(OperationError::NotFound);
    };
    if asked.business_id.is_some_and(|b| b != business) {
        return Err(OperationError::NotFound);
    }
    let receipt = store
        .erasure_receipt(id)
        .await?
        .filter(|r| r.business_id == business)
        .ok_or(OperationError::NotFound)?;
    store.sweep_erased(id).await?;
    Ok(Erasure::NothingLeft(receipt))
}
