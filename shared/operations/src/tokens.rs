//! Tokens: a customer's balance, its ledger, and the movements that write
//! it. A movement is keyed: asked again with the same key it answers with
//! the entry it made the first time, and changes nothing.

use clientele_core::token::{Balance, LedgerEntry, LedgerQuery, Movement, Shortfall};
use clientele_core::{BusinessId, Customer, CustomerEvent, CustomerId, OperationError, Page};
use clientele_store::DynamoStore;
use clientele_store::tokens::{MovementWrite, TokenState};

use crate::{Actor, customers};

/// Attempts when other movements keep moving the same balance: each round
/// one of the movements racing on a balance wins.
const ATTEMPTS: u32 = 12;

/// A movement's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The entry it made.
    pub entry: LedgerEntry,
    /// Whether the movement key had already made it, so nothing changed now.
    pub replayed: bool,
}

/// The entry a movement key recorded, if it was recorded for the same movement.
fn replay(recorded: LedgerEntry, asked: &Movement) -> Result<Moved, OperationError> {
    if recorded.movement != *asked {
        return Err(OperationError::MovementKeyReused);
    }
    Ok(Moved {
        entry: recorded,
        replayed: true,
    })
}

/// What a movement comes to on a customer's balance as it is now.
pub(crate) enum Decided {
    /// Its key made this entry already.
    Recorded(LedgerEntry),
    /// The entry it makes, and the balance it was decided on.
    New(Balance, LedgerEntry),
}

/// Reads the balance and the movement key together and decides the
/// movement: the entry its key made, or the one it makes now.
/// [`OperationError::InsufficientTokens`] when it would take the balance
/// below zero.
pub(crate) async fn decide(
    store: &DynamoStore,
    customer: &Customer,
    movement: Movement,
    actor: &Actor,
) -> Result<Decided, OperationError> {
    let TokenState { balance, recorded } = store.token_state(customer.id, movement.movement_key.as_str()).await?;
    if let Some(recorded) = recorded {
        return Ok(Decided::Recorded(recorded));
    }
    let entry = balance
        .apply(customer.business_id, movement, &actor.id, actor.at)
        .map_err(|Shortfall { balance, asked }| OperationError::InsufficientTokens { balance, asked })?;
    Ok(Decided::New(balance, entry))
}

/// Moves a customer's tokens, once per movement key.
/// [`OperationError::InsufficientTokens`] when it would take the balance
/// below zero, and nothing changes.
pub async fn apply(
    store: &DynamoStore,
    actor: &Actor,
    customer_id: CustomerId,
    movement: Movement,
) -> Result<Moved, OperationError> {
    let customer = customers::get(store, actor.business, customer_id).await?;
    for attempt in 1..=ATTEMPTS {
        let (balance, entry) = match decide(store, &customer, movement.clone(), actor).await? {
            Decided::Recorded(recorded) => return replay(recorded, &movement),
            Decided::New(balance, entry) => (balance, entry),
        };
        let event = CustomerEvent::tokens_moved(&customer, &entry).by(&actor.id);
        match store.move_tokens(&customer, &balance, &entry, &event).await? {
            MovementWrite::Done => {
                return Ok(Moved { entry, replayed: false });
            }
            MovementWrite::NoCustomer => return Err(OperationError::NotFound),
            MovementWrite::KeyRecorded => continue,
            MovementWrite::Raced => clientele_store::pause_before_retry(attempt).await,
        }
    }
    Err(OperationError::Contended)
}

/// A customer's balance.
pub async fn balance(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
) -> Result<Balance, OperationError> {
    let customer = customers::get(store, business, customer).await?;
    Ok(store.token_balance(customer.id).await?)
}

/// A page of a customer's ledger, newest first.
pub async fn ledger(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
    query: &LedgerQuery,
) -> Result<Page<LedgerEntry>, OperationError> {
    let customer = customers::get(store, business, customer).await?;
    Ok(store.ledger(customer.id, query).await?)
}
