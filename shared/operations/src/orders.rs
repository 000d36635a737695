//! Customers' orders: the read model the orders service's events keep, the
//! order history and the order report.

use clientele_core::order::{Order, OrderChange, OrderId, OrderReport};
use clientele_core::{BusinessId, Customer, CustomerId, OperationError, Page, Timestamp};
use clientele_store::DynamoStore;
use clientele_store::orders::{OrderQuery, Written};

use crate::customers;

/// Attempts when other events of the same order keep writing it first.
const ATTEMPTS: usize = 5;
/// Most orders a report is made from: the customer's most recent.
pub const MAX_REPORTED_ORDERS: usize = 2_000;

/// What became of an order event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    /// Applied: the order as it is now.
    Applied(Box<Order>),
    /// Not newer than what is stored (a duplicate, or overtaken): nothing changed.
    Stale,
    /// No such customer in the business the event names.
    NoCustomer,
}

/// Applies an order event to the customer's order, if it is newer than
/// what is stored.
pub async fn track(store: &DynamoStore, change: &OrderChange, now: Timestamp) -> Result<Tracked, OperationError> {
    for _ in 0..ATTEMPTS {
        let customer = match store.find_customer(change.customer_id).await? {
            Some(customer) if customer.business_id == change.business_id => customer,
            _ => return Ok(Tracked::NoCustomer),
        };
        let current = store.order(customer.id, &change.order_id).await?;
        let Some(next) = Order::after(current.as_ref(), change, now) else {
            return Ok(Tracked::Stale);
        };
        match store.put_order(&customer, current.as_ref(), &next).await? {
            Written::Done => return Ok(Tracked::Applied(Box::new(next))),
            Written::NoCustomer => return Ok(Tracked::NoCustomer),
            Written::Raced => continue,
        }
    }
    Err(OperationError::Contended)
}

/// A page of a customer's orders, newest first.
pub async fn list(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
    query: &OrderQuery,
) -> Result<Page<Order>, OperationError> {
    customers::get(store, business, customer_id).await?;
    Ok(store.orders_of(customer_id, query).await?)
}

/// One order of a customer of `business`.
pub async fn get(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
    order_id: &OrderId,
) -> Result<Order, OperationError> {
    customers::get(store, business, customer_id).await?;
    store
        .order(customer_id, order_id)
        .await?
        .ok_or(OperationError::OrderNotFound)
}

/// A customer of `business` and the report of its most recent orders.
pub async fn report(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
) -> Result<(Customer, OrderReport), OperationError> {
    let customer = customers::get(store, business, customer_id).await?;
    let (orders, complete) = store.recent_orders(customer_id, MAX_REPORTED_ORDERS).await?;
    Ok((customer, OrderReport::of(&orders, complete)))
}
