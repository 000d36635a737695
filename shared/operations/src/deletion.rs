//! Finishing a customer's deletion: everything stored under a deleted
//! customer removed, its tombstone last.
//!
//! `DELETE /api/customers/{id}` removes the record and its claims and leaves
//! a tombstone in one transaction ([`clientele_store::deletion`]). The rest
//! is finished by the sweeper function (the tombstone's stream record,
//! retried by the stream, dead-lettered if it never succeeds) or by a GDPR
//! request that finds the tombstone first.

use clientele_avatars::AvatarBucket;
use clientele_core::{BusinessId, CustomerId, OperationError};
use clientele_store::DynamoStore;
use clientele_store::deletion::{Swept, Tombstone};

use crate::avatars;
use crate::erasure::export_prefix;

/// What finishing a deletion removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finished {
    /// Items removed from the table, by kind.
    pub items: Swept,
    /// Objects removed from the bucket.
    pub objects: u64,
}

/// Removes every object stored under a customer: avatar images (earlier ones
/// too) and stored exports. Returns how many.
pub async fn delete_objects(
    files: &AvatarBucket,
    business: BusinessId,
    customer: CustomerId,
) -> Result<u64, OperationError> {
    let images = files.delete_under(&avatars::prefix(business, customer)).await?;
    let exports = files.delete_under(&export_prefix(business, customer)).await?;
    Ok(images + exports)
}

/// Sweeps what a deleted customer left: its objects, then its items, then
/// its tombstone. Harmless to run again, or twice at once.
pub async fn finish(
    store: &DynamoStore,
    files: &AvatarBucket,
    tombstone: &Tombstone,
) -> Result<Finished, OperationError> {
    let objects = delete_objects(files, tombstone.business_id, tombstone.customer_id).await?;
    let items = store.sweep_deleted(tombstone.customer_id).await?;
    store.bury(tombstone.customer_id).await?;
    tracing::info!(customer_id = %tombstone.customer_id, removed = ?items.removed, objects, "swept a deleted customer");
    Ok(Finished { items, objects })
}

/// The tombstone of a customer of `business` whose deletion is not finished.
pub async fn pending(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
) -> Result<Option<Tombstone>, OperationError> {
    Ok(store.tombstone(customer).await?.filter(|t| t.business_id == business))
}

/// For a GDPR request naming a customer by id: when that customer of
/// `business` is deleted but not yet swept, finishes the sweep now, so that
/// nothing of it outlives the request's answer. `None` when there was
/// nothing pending.
pub async fn finish_if_pending(
    store: &DynamoStore,
    files: &AvatarBucket,
    business: BusinessId,
    subject: &clientele_core::gdpr::Subject,
) -> Result<Option<Finished>, OperationError> {
    let clientele_core::gdpr::Subject::Customer(id) = *subject else {
        return Ok(None);
    };
    match pending(store, business, id).await? {
        Some(tombstone) => finish(store, files, &tombstone).await.map(Some),
        None => Ok(None),
    }
}
