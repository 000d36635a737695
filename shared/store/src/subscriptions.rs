//! Plans and subscriptions in DynamoDB.
//!
//! A business's plans are one partition (`BUSINESS#<business>#PLANS`). A
//! subscription lives in its customer's partition (`SUBSCRIPTION#<id>`), so
//! the customer's deletion and erasure take it, beside the claim of the
//! customer's active subscription (`ACTIVE_SUBSCRIPTION`), which the
//! transaction that starts a subscription writes on condition that it is
//! new: a customer has one active subscription at most, whatever runs at
//! once. While it is active, a subscription is in the due index (`gsi2`,
//! `SUBSCRIPTIONS_DUE#<shard>`, sorted by its period's end), where the
//! renewals find the subscriptions due without a scan.
//!
//! Every change is conditional on the version read; a change that grants
//! tokens (a start, a renewal) applies its ledger entry in the same
//! transaction ([`crate::tokens`]), keyed by the subscription and the
//! period, so a period grants once.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::subscription::{Plan, Subscription, SubscriptionStatus};
use clientele_core::token::{Balance, LedgerEntry};
use clientele_core::{BusinessId, Customer, CustomerEvent, CustomerId, PlanId, StoreError, SubscriptionId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::errors::classify;
use crate::items::{Item, entity, from_item, to_item};
use crate::keys::{self, index};
use crate::transact::{Write, transact};

/// A plan's stored form.
#[derive(Serialize, Deserialize)]
struct PlanItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    plan: Plan,
}

/// A subscription's stored form: in the due index while it is active.
#[derive(Serialize, Deserialize)]
pub(crate) struct SubscriptionItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    #[serde(flatten)]
    pub(crate) subscription: Subscription,
}

/// The claim of a customer's active subscription.
#[derive(Serialize, Deserialize)]
struct ActiveItem {
    pk: String,
    sk: String,
    entity: String,
    customer_id: CustomerId,
    subscription_id: SubscriptionId,
}

fn subscription_item(subscription: &Subscription) -> Result<Item, StoreError> {
    let key = keys::subscription(subscription.customer_id, subscription.id);
    let active = subscription.status == SubscriptionStatus::Active;
    to_item(&SubscriptionItem {
        pk: key.pk,
        sk: key.sk,
        entity: entity::SUBSCRIPTION.to_owned(),
        gsi2pk: active.then(|| keys::due_shard(subscription.id, keys::DUE_SHARDS)),
        gsi2sk: active.then(|| keys::due_order(subscription.current_period_end, subscription.id)),
        subscription: subscription.clone(),
    })
}

fn subscription_from(item: Item) -> Result<Subscription, StoreError> {
    Ok(from_item::<SubscriptionItem>(item)?.subscription)
}

/// Tokens a change grants: the balance it was decided on and the entry.
pub type Grant<'a> = Option<(&'a Balance, &'a LedgerEntry)>;

/// What became of a change of subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionWrite {
    /// Written.
    Done,
    /// The customer has an active subscription already.
    AlreadySubscribed,
    /// The customer is gone.
    NoCustomer,
    /// Something changed since it was read (the subscription, or the
    /// balance): read again.
    Raced,
}

/// A subscription the due index names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// Its customer.
    pub customer_id: CustomerId,
    /// The subscription.
    pub subscription_id: SubscriptionId,
}

impl DynamoStore {
    /// A plan of a business.
    pub async fn plan(&self, business: BusinessId, id: PlanId) -> Result<Option<Plan>, StoreError> {
        self.get_item(keys::plan(business, id))
            .await?
            .map(|item| Ok(from_item::<PlanItem>(item)?.plan))
            .transpose()
    }

    /// Every plan of a business, oldest first.
    pub async fn plans_of(&self, business: BusinessId) -> Result<Vec<Plan>, StoreError> {
        let mut plans = self
            .partition(keys::plans_partition(business))
            .await?
            .into_iter()
            .map(|item| Ok(from_item::<PlanItem>(item)?.plan))
            .collect::<Result<Vec<_>, StoreError>>()?;
        plans.sort_by_key(|p| (p.created_at, p.id));
        Ok(plans)
    }

    /// Writes a plan: a new one (`before` none), or a change of `before`
    /// if it is still at its version. `false` when it raced.
    pub async fn put_plan(&self, plan: &Plan, before: Option<&Plan>) -> Result<bool, StoreError> {
        let key = keys::plan(plan.business_id, plan.id);
        let item = to_item(&PlanItem {
            pk: key.pk,
            sk: key.sk,
            entity: entity::PLAN.to_owned(),
            plan: plan.clone(),
        })?;
        let write = match before {
            None => Write::put(&self.table, item).condition("attribute_not_exists(pk)"),
            Some(before) => Write::put(&self.table, item).at_version(before.version),
        };
        Ok(transact(&self.client, vec![write]).await?.is_ok())
    }

    /// A subscription of a customer.
    pub async fn subscription(
        &self,
        customer: CustomerId,
        id: SubscriptionId,
    ) -> Result<Option<Subscription>, StoreError> {
        self.get_item(keys::subscription(customer, id))
            .await?
            .map(subscription_from)
            .transpose()
    }

    /// Every subscription of a customer, newest first.
    pub async fn subscriptions_of(&self, customer: CustomerId) -> Result<Vec<Subscription>, StoreError> {
        let mut found = self
            .under(keys::customer_partition(customer), keys::SUBSCRIPTION_PREFIX)
            .await?
            .into_iter()
            .map(subscription_from)
            .collect::<Result<Vec<_>, _>>()?;
        found.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
        Ok(found)
    }

    fn grant_writes(&self, customer: &Customer, grant: Grant<'_>) -> Result<Vec<Write>, StoreError> {
        match grant {
            Some((balance, entry)) => self.movement_writes(customer, balance, entry),
            None => Ok(Vec::new()),
        }
    }

    /// Starts `subscription`, claiming the customer's active subscription,
    /// with the tokens its first period grants, and `events`.
    pub async fn start_subscription(
        &self,
        customer: &Customer,
        subscription: &Subscription,
        grant: Grant<'_>,
        events: &[CustomerEvent],
    ) -> Result<SubscriptionWrite, StoreError> {
        let claim = keys::active_subscription(customer.id);
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::put(
                &self.table,
                to_item(&ActiveItem {
                    pk: claim.pk,
                    sk: claim.sk,
                    entity: entity::ACTIVE_SUBSCRIPTION.to_owned(),
                    customer_id: customer.id,
                    subscription_id: subscription.id,
                })?,
            )
            .condition("attribute_not_exists(pk)"),
            Write::put(&self.table, subscription_item(subscription)?).condition("attribute_not_exists(pk)"),
        ];
        writes.extend(self.grant_writes(customer, grant)?);
        writes.extend(self.recorded_writes(events)?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(SubscriptionWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(SubscriptionWrite::NoCustomer),
            Err(cancelled) if cancelled.failed(1) => Ok(SubscriptionWrite::AlreadySubscribed),
            Err(_) => Ok(SubscriptionWrite::Raced),
        }
    }

    /// Replaces `before` with `after` if still at `before`'s version: a
    /// change of plan, a cancellation, a renewal (with the tokens its
    /// period grants) or an expiry. An `after` that ended gives up the
    /// customer's active subscription, and leaves the due index.
    pub async fn change_subscription(
        &self,
        customer: &Customer,
        before: &Subscription,
        after: &Subscription,
        grant: Grant<'_>,
        events: &[CustomerEvent],
    ) -> Result<SubscriptionWrite, StoreError> {
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::put(&self.table, subscription_item(after)?).at_version(before.version),
        ];
        if after.status != SubscriptionStatus::Active {
            writes.push(
                Write::delete(&self.table, keys::active_subscription(customer.id))
                    .condition("subscription_id = :subscription")
                    .value(":subscription", AttributeValue::S(after.id.to_string())),
            );
        }
        writes.extend(self.grant_writes(customer, grant)?);
        writes.extend(self.recorded_writes(events)?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(SubscriptionWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(SubscriptionWrite::NoCustomer),
            Err(_) => Ok(SubscriptionWrite::Raced),
        }
    }

    /// A page of up to `limit` subscriptions whose period ended by `now`,
    /// from one shard of the due index, after `start` (the previous page's
    /// end); and where this page ended, if more may follow. The index is
    /// eventually consistent: the caller reads each again before it acts.
    pub async fn due_subscriptions(
        &self,
        shard: u8,
        now: Timestamp,
        limit: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Due>, Option<Item>), StoreError> {
        let (pk, sk) = index::key_attributes(index::BY_STATUS);
        let output = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(index::BY_STATUS)
            .key_condition_expression(format!("{pk} = :shard AND {sk} <= :now"))
            .expression_attribute_values(":shard", AttributeValue::S(keys::due_partition(shard)))
            .expression_attribute_values(":now", AttributeValue::S(format!("{now}#~")))
            .limit(limit.max(1))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        let due = output
            .items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| {
                let stored = from_item::<SubscriptionItem>(item).ok()?;
                Some(Due {
                    customer_id: stored.subscription.customer_id,
                    subscription_id: stored.subscription.id,
                })
            })
            .collect();
        Ok((due, output.last_evaluated_key))
    }
}
