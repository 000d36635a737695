//! Plans (a business's configuration) and customers' subscriptions to
//! them: started, moved to another plan, cancelled now or at the end of the
//! period, and, when their period ends, renewed or expired by the renewals.
//! A period that starts grants the plan's tokens in the same transaction,
//! once: its movement key names the subscription and the period.

use clientele_core::subscription::{DueStep, NewPlan, Plan, PlanPatch, Subscription, SubscriptionStatus};
use clientele_core::token::{Identifier, Movement, MovementKind};
use clientele_core::{
    BusinessId, Customer, CustomerEvent, CustomerId, EventType, OperationError, PlanId, Precondition,
};
use clientele_core::{SubscriptionId, Timestamp};
use clientele_store::DynamoStore;
use clientele_store::subscriptions::{Due, SubscriptionWrite};

use crate::tokens::{self, Decided};
use crate::{Actor, customers};

/// Attempts when other writers keep changing the subscription or the
/// balance.
const ATTEMPTS: u32 = 8;
/// Who renews and expires subscriptions, as the audit trail names it.
pub const RENEWALS: &str = "clientele.renewals";
/// Subscriptions read from each shard of the due index per round.
const DUE_PAGE: i32 = 50;

/// Makes a plan in the actor's business.
pub async fn create_plan(store: &DynamoStore, actor: &Actor, new: NewPlan) -> Result<Plan, OperationError> {
    let plan = new.into_plan(actor.business, actor.at);
    if store.put_plan(&plan, None).await? {
        Ok(plan)
    } else {
        Err(clientele_core::StoreError::Unexpected("a plan id was used twice".into()).into())
    }
}

/// The business's plans, oldest first.
pub async fn plans(store: &DynamoStore, business: BusinessId) -> Result<Vec<Plan>, OperationError> {
    Ok(store.plans_of(business).await?)
}

/// A plan of the business.
pub async fn plan(store: &DynamoStore, business: BusinessId, id: PlanId) -> Result<Plan, OperationError> {
    store.plan(business, id).await?.ok_or(OperationError::PlanNotFound)
}

/// Changes what `patch` names of a plan: the periods that start from now
/// on are charged and granted as it then says.
pub async fn update_plan(
    store: &DynamoStore,
    actor: &Actor,
    id: PlanId,
    patch: &PlanPatch,
    precondition: Option<&Precondition>,
) -> Result<Plan, OperationError> {
    for attempt in 1..=ATTEMPTS {
        let before = plan(store, actor.business, id).await?;
        if precondition.is_some_and(|p| !p.admits(before.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        let after = before.patched(patch, actor.at);
        if after == before {
            return Ok(before);
        }
        if store.put_plan(&after, Some(&before)).await? {
            return Ok(after);
        }
        if precondition.is_some_and(Precondition::names_versions) {
            return Err(OperationError::PreconditionFailed);
        }
        clientele_store::pause_before_retry(attempt).await;
    }
    Err(OperationError::Contended)
}

/// The tokens the current period of `subscription` grants under `plan`,
/// decided on the balance as it is: none for a plan that grants none, and
/// none when the period's key has granted them already.
async fn grant(
    store: &DynamoStore,
    customer: &Customer,
    subscription: &Subscription,
    plan: &Plan,
    actor: &Actor,
) -> Result<Option<(clientele_core::token::Balance, clientele_core::token::LedgerEntry)>, OperationError> {
    if plan.tokens_per_period == 0 {
        return Ok(None);
    }
    let key = subscription
        .allocation_key()
        .ok_or_else(|| clientele_core::StoreError::Unexpected("a subscription's movement key is too long".into()))?;
    let movement = Movement {
        kind: MovementKind::Allocation,
        amount: plan.tokens_per_period,
        movement_key: key,
        reference: Identifier::parse(&format!("plan:{}", plan.id)).ok(),
        reason: None,
    };
    Ok(match tokens::decide(store, customer, movement, actor).await? {
        Decided::Recorded(_) => None,
        Decided::New(balance, entry) => Some((balance, entry)),
    })
}

/// The events of a change: the subscription's, then the tokens granted.
fn events_of(
    customer: &Customer,
    event_type: EventType,
    subscription: &Subscription,
    fields: Option<&[&str]>,
    granted: Option<&clientele_core::token::LedgerEntry>,
    actor: &str,
) -> Vec<CustomerEvent> {
    let mut events = vec![CustomerEvent::about_subscription(event_type, customer, subscription, fields).by(actor)];
    if let Some(entry) = granted {
        events.push(CustomerEvent::tokens_moved(customer, entry).by(actor));
    }
    events
}

/// Subscribes a customer of the actor's business to one of its plans: its
/// first period starts now and grants the plan's tokens.
/// [`OperationError::AlreadySubscribed`] when it has an active subscription.
pub async fn subscribe(
    store: &DynamoStore,
    actor: &Actor,
    customer: CustomerId,
    plan_id: PlanId,
) -> Result<Subscription, OperationError> {
    let customer = customers::get(store, actor.business, customer).await?;
    let plan = plan(store, actor.business, plan_id).await?;
    let subscription = Subscription::start(&plan, customer.id, &actor.id, actor.at)?;
    for attempt in 1..=ATTEMPTS {
        let granted = grant(store, &customer, &subscription, &plan, actor).await?;
        let events = events_of(
            &customer,
            EventType::SubscriptionCreated,
            &subscription,
            None,
            granted.as_ref().map(|(_, entry)| entry),
            &actor.id,
        );
        let grant = granted.as_ref().map(|(balance, entry)| (balance, entry));
        match store
            .start_subscription(&customer, &subscription, grant, &events)
            .await?
        {
            SubscriptionWrite::Done => return Ok(subscription),
            SubscriptionWrite::AlreadySubscribed => return Err(OperationError::AlreadySubscribed),
            SubscriptionWrite::NoCustomer => return Err(OperationError::NotFound),
            SubscriptionWrite::Raced => clientele_store::pause_before_retry(attempt).await,
        }
    }
    Err(OperationError::Contended)
}

/// Every subscription of a customer, newest first.
pub async fn of_customer(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
) -> Result<Vec<Subscription>, OperationError> {
    let customer = customers::get(store, business, customer).await?;
    Ok(store.subscriptions_of(customer.id).await?)
}

async fn subscription_and_customer(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
    id: SubscriptionId,
) -> Result<(Subscription, Customer), OperationError> {
    let customer = customers::get(store, business, customer).await?;
    let subscription = store
        .subscription(customer.id, id)
        .await?
        .ok_or(OperationError::SubscriptionNotFound)?;
    Ok((subscription, customer))
}

/// A subscription of a customer.
pub async fn get(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
    id: SubscriptionId,
) -> Result<Subscription, OperationError> {
    Ok(subscription_and_customer(store, business, customer, id).await?.0)
}

/// What a change asked through the API does to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Another plan, of the same period, for the periods to come.
    Plan(PlanId),
    /// Cancelled: now, or at the end of the current period.
    Cancel {
        /// At the end of the period rather than now.
        at_period_end: bool,
    },
}

/// Changes an active subscription of a customer of the actor's business.
pub async fn change(
    store: &DynamoStore,
    actor: &Actor,
    (customer, id): (CustomerId, SubscriptionId),
    change: Change,
    precondition: Option<&Precondition>,
) -> Result<Subscription, OperationError> {
    for attempt in 1..=ATTEMPTS {
        let (before, customer) = subscription_and_customer(store, actor.business, customer, id).await?;
        if precondition.is_some_and(|p| !p.admits(before.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        let (after, event_type, fields): (Subscription, EventType, Option<&[&str]>) = match change {
            Change::Plan(plan_id) => {
                if plan_id == before.plan_id && before.status == SubscriptionStatus::Active {
                    return Ok(before);
                }
                let current = plan(store, actor.business, before.plan_id).await?;
                let next = plan(store, actor.business, plan_id).await?;
                let after = before.with_plan(&next, &current, actor.at)?;
                (after, EventType::SubscriptionUpdated, Some(&["plan_id"]))
            }
            Change::Cancel { at_period_end: true } => {
                if before.cancel_at_period_end && before.status == SubscriptionStatus::Active {
                    return Ok(before);
                }
                let after = before.cancelled(true, actor.at)?;
                (after, EventType::SubscriptionUpdated, Some(&["cancel_at_period_end"]))
            }
            Change::Cancel { at_period_end: false } => {
                let after = before.cancelled(false, actor.at)?;
                (after, EventType::SubscriptionCancelled, None)
            }
        };
        let events = events_of(&customer, event_type, &after, fields, None, &actor.id);
        match store
            .change_subscription(&customer, &before, &after, None, &events)
            .await?
        {
            SubscriptionWrite::Done => return Ok(after),
            SubscriptionWrite::NoCustomer => return Err(OperationError::NotFound),
            SubscriptionWrite::Raced if precondition.is_some_and(Precondition::names_versions) => {
                return Err(OperationError::PreconditionFailed);
            }
            _ => clientele_store::pause_before_retry(attempt).await,
        }
    }
    Err(OperationError::Contended)
}

/// What a run of the renewals did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renewals {
    /// Periods started (a subscription overdue by several periods starts
    /// each, and each grants its tokens).
    pub renewed: usize,
    /// Subscriptions that ended at the end of their period.
    pub expired: usize,
    /// Subscriptions that could not be moved on this time (they stay due,
    /// and the next run takes them).
    pub failed: usize,
}

/// Renews or expires every subscription due at `now`: each is read again
/// and moved on one period at a time, each step conditional on the version
/// read, so a run cut short, or two runs at once, never renew a period
/// twice nor grant its tokens twice.
pub async fn renew_due(store: &DynamoStore, now: Timestamp) -> Result<Renewals, OperationError> {
    let mut done = Renewals::default();
    for shard in 0..clientele_store::keys::DUE_SHARDS {
        // Page by page through what was due when the run began: a
        // subscription moved on leaves the range, one that failed stays
        // behind the page, and the next page starts after it.
        let mut start = None;
        loop {
            let (due, next) = store.due_subscriptions(shard, now, DUE_PAGE, start).await?;
            for one in due {
                match move_on(store, one, now).await {
                    Ok((renewed, expired)) => {
                        done.renewed += renewed;
                        done.expired += expired;
                    }
                    Err(error) => {
                        tracing::warn!(%error, subscription_id = %one.subscription_id, "a subscription due was not moved on; the next run takes it");
                        done.failed += 1;
                    }
                }
            }
            match next {
                Some(next) => start = Some(next),
                None => break,
            }
        }
    }
    Ok(done)
}

/// Most periods one run starts for one subscription: a year of months.
const MAX_PERIODS_PER_RUN: usize = 12;

/// Moves one subscription on until it is no longer due: renewals and
/// expiries done.
async fn move_on(store: &DynamoStore, due: Due, now: Timestamp) -> Result<(usize, usize), OperationError> {
    let (mut renewed, mut expired) = (0, 0);
    let mut attempts = 0;
    while renewed < MAX_PERIODS_PER_RUN {
        let Some(before) = store.subscription(due.customer_id, due.subscription_id).await? else {
            break;
        };
        let Some(customer) = store.customer(before.business_id, before.customer_id).await? else {
            break;
        };
        let plan = plan(store, before.business_id, before.plan_id).await?;
        let actor = Actor {
            business: before.business_id,
            id: RENEWALS.to_owned(),
            at: now,
        };
        let (after, granted, event_type) = match before.due(&plan, now) {
            None => break,
            Some(DueStep::Expire(after)) => (after, None, EventType::SubscriptionExpired),
            Some(DueStep::Renew(after)) => {
                let granted = grant(store, &customer, &after, &plan, &actor).await?;
                (after, granted, EventType::SubscriptionRenewed)
            }
        };
        let events = events_of(
            &customer,
            event_type,
            &after,
            None,
            granted.as_ref().map(|(_, entry)| entry),
            RENEWALS,
        );
        let grant = granted.as_ref().map(|(balance, entry)| (balance, entry));
        match store
            .change_subscription(&customer, &before, &after, grant, &events)
            .await?
        {
            SubscriptionWrite::Done if event_type == EventType::SubscriptionExpired => {
                expired += 1;
                break;
            }
            SubscriptionWrite::Done => renewed += 1,
            SubscriptionWrite::NoCustomer => break,
            _ => {
                attempts += 1;
                if attempts >= ATTEMPTS {
                    return Err(OperationError::Contended);
                }
                clientele_store::pause_before_retry(attempts).await;
            }
        }
    }
    Ok((renewed, expired))
}
