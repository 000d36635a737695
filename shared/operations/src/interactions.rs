//! Interactions: logged, read, replaced and removed, listed as a customer's
//! timeline or a business's range of days, counted per day, and searched by
//! their subjects. Each change records its event (ids, type and time, never
//! the subject or body) and its audit entry.

use clientele_core::interaction::{
    Day, Interaction, InteractionInput, RangeQuery, SearchFilters, Statistics, TimelineQuery,
};
#[cfg(doc)]
use clientele_core::interaction::{MAX_RANGE_DAYS, MAX_STATISTICS_DAYS, check_days, check_span};
use clientele_core::search::SearchQuery;
use clientele_core::{
    BusinessId, Customer, CustomerEvent, CustomerId, InteractionId, OperationError, Page, Precondition, Timestamp,
    ValidationErrors,
};
use clientele_store::DynamoStore;
use clientele_store::interactions::InteractionWrite;

use crate::{Actor, Authority, customers};

/// Attempts when other writers keep changing the interaction.
const ATTEMPTS: usize = 5;

fn no_contact() -> OperationError {
    ValidationErrors::single("contact_id", "must be a contact of the same customer").into()
}

/// An interaction of `business` with its customer, or
/// [`OperationError::InteractionNotFound`].
async fn interaction_and_customer(
    store: &DynamoStore,
    business: BusinessId,
    id: InteractionId,
) -> Result<(Interaction, Customer), OperationError> {
    let interaction = store
        .interaction(id)
        .await?
        .filter(|i| i.business_id == business)
        .ok_or(OperationError::InteractionNotFound)?;
    let customer = store
        .customer(business, interaction.customer_id)
        .await?
        .ok_or(OperationError::InteractionNotFound)?;
    Ok((interaction, customer))
}

/// Whether the contact `input` names, if any, is the customer's.
async fn check_contact(
    store: &DynamoStore,
    customer: &Customer,
    input: &InteractionInput,
) -> Result<(), OperationError> {
    let Some(contact) = input.contact_id else {
        return Ok(());
    };
    match store.contact(contact).await? {
        Some(found) if found.customer_id == customer.id => Ok(()),
        _ => Err(no_contact()),
    }
}

/// Logs an interaction with the customer the input names, in the actor's
/// business.
pub async fn log(store: &DynamoStore, actor: &Actor, input: InteractionInput) -> Result<Interaction, OperationError> {
    let Some(customer_id) = input.customer_id else {
        return Err(ValidationErrors::single("customer_id", "is required").into());
    };
    let customer = customers::get(store, actor.business, customer_id).await?;
    check_contact(store, &customer, &input).await?;
    let interaction = input.into_interaction(customer.id, customer.business_id, &actor.id, actor.at);
    let event = CustomerEvent::interaction_logged(&customer, &interaction).by(&actor.id);
    match store.log_interaction(&customer, &interaction, &event).await? {
        InteractionWrite::Done => Ok(interaction),
        InteractionWrite::NoContact => Err(no_contact()),
        InteractionWrite::NoCustomer | InteractionWrite::Raced => Err(OperationError::NotFound),
    }
}

/// An interaction of `business`.
pub async fn get(store: &DynamoStore, business: BusinessId, id: InteractionId) -> Result<Interaction, OperationError> {
    Ok(interaction_and_customer(store, business, id).await?.0)
}

/// Replaces an interaction's writable fields, if `authority` covers it. A
/// body naming a customer must name the interaction's own.
pub async fn replace(
    store: &DynamoStore,
    actor: &Actor,
    authority: Authority<'_>,
    id: InteractionId,
    input: InteractionInput,
    precondition: Option<&Precondition>,
) -> Result<Interaction, OperationError> {
    for _ in 0..ATTEMPTS {
        let (before, customer) = interaction_and_customer(store, actor.business, id).await?;
        if !authority.covers(&before.created_by) {
            return Err(OperationError::NotYours(
                "Staff may change only the interactions they logged.",
            ));
        }
        if input.customer_id.is_some_and(|named| named != before.customer_id) {
            return Err(
                ValidationErrors::single("customer_id", "is the interaction's customer and cannot change").into(),
            );
        }
        if precondition.is_some_and(|p| !p.admits(before.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        check_contact(store, &customer, &input).await?;
        let after = before.replaced(input.clone(), &actor.id, actor.at);
        let changed = after.changed_fields(&before);
        if changed.is_empty() {
            return Ok(before);
        }
        let event = CustomerEvent::interaction_updated(&customer, &after, &changed).by(&actor.id);
        match store.replace_interaction(&customer, &before, &after, &event).await? {
            InteractionWrite::Done => return Ok(after),
            InteractionWrite::NoContact => return Err(no_contact()),
            InteractionWrite::NoCustomer => return Err(OperationError::InteractionNotFound),
            InteractionWrite::Raced if precondition.is_some_and(Precondition::names_versions) => {
                return Err(OperationError::PreconditionFailed);
            }
            InteractionWrite::Raced => continue,
        }
    }
    Err(OperationError::Contended)
}

/// Removes an interaction.
pub async fn remove(
    store: &DynamoStore,
    actor: &Actor,
    id: InteractionId,
    precondition: Option<&Precondition>,
) -> Result<(), OperationError> {
    for _ in 0..ATTEMPTS {
        let (interaction, customer) = interaction_and_customer(store, actor.business, id).await?;
        if precondition.is_some_and(|p| !p.admits(interaction.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        let event = CustomerEvent::interaction_removed(&customer, &interaction, actor.at).by(&actor.id);
        match store.remove_interaction(&customer, &interaction, &event).await? {
            InteractionWrite::Done => return Ok(()),
            InteractionWrite::NoCustomer => return Err(OperationError::InteractionNotFound),
            InteractionWrite::Raced if precondition.is_some_and(Precondition::names_versions) => {
                return Err(OperationError::PreconditionFailed);
            }
            _ => continue,
        }
    }
    Err(OperationError::Contended)
}

/// A page of a customer's timeline, newest first.
pub async fn timeline(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
    query: &TimelineQuery,
) -> Result<Page<Interaction>, OperationError> {
    let customer = customers::get(store, business, customer_id).await?;
    Ok(store.timeline(customer.id, query).await?)
}

/// A page of a business's interactions over a range (of at most
/// [`MAX_RANGE_DAYS`] days: see [`check_span`]), newest first.
pub async fn in_range(
    store: &DynamoStore,
    business: BusinessId,
    query: &RangeQuery,
) -> Result<Page<Interaction>, OperationError> {
    Ok(store.interactions_in_range(business, query).await?)
}

/// Statistics over whole UTC days, `from` to `to` included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The first day.
    pub from: Day,
    /// The last day.
    pub to: Day,
    /// The counts by type and direction.
    pub statistics: Statistics,
    /// For one customer: its interactions of any date, and its newest.
    pub customer: Option<CustomerReport>,
}

/// One customer's interactions of any date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerReport {
    /// The customer.
    pub customer_id: CustomerId,
    /// How many it has.
    pub total: u64,
    /// When its newest happened.
    pub last_interaction_at: Option<Timestamp>,
}

/// Statistics of the business, or of one of its customers, over whole UTC
/// days (at most [`MAX_STATISTICS_DAYS`]: see [`check_days`]), read from
/// the daily counters.
pub async fn statistics(
    store: &DynamoStore,
    business: BusinessId,
    (from, to): (Day, Day),
    customer_id: Option<CustomerId>,
) -> Result<Report, OperationError> {
    let Some(customer_id) = customer_id else {
        let statistics = store.business_statistics(business, from, to).await?;
        return Ok(Report {
            from,
            to,
            statistics,
            customer: None,
        });
    };
    let customer = customers::get(store, business, customer_id).await?;
    let statistics = store.customer_statistics(customer.id, from, to).await?;
    let total = store.counts(customer.id).await?.interactions;
    let last = store.last_interaction(customer.id).await?;
    Ok(Report {
        from,
        to,
        statistics,
        customer: Some(CustomerReport {
            customer_id: customer.id,
            total,
            last_interaction_at: last.map(|i| i.occurred_at),
        }),
    })
}

/// A page of the business's interactions whose subjects have every word of
/// `q`, passing `filters`.
pub async fn search(
    store: &DynamoStore,
    business: BusinessId,
    q: &SearchQuery,
    filters: &SearchFilters,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<Interaction>, OperationError> {
    Ok(store.search_interactions(business, q, filters, cursor, limit).await?)
}
