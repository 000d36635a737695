//! Customers' orders in DynamoDB: a read model of what the orders service
//! reports. An order is an item in its customer's partition
//! (`sk = ORDER#<order_id>`), so the customer's deletion and erasure take it;
//! it is indexed under `gsi1pk = CUSTOMER#<customer_id>#ORDERS` by when it
//! was placed, for the history newest first. A write is conditional on the
//! sequence it read, and on the customer still being there.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::order::{Order, OrderId, OrderStatus};
use clientele_core::{Customer, CustomerId, Page, StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::cursor;
use crate::customers::time_range_condition;
use crate::errors::classify;
use crate::items::{Item, entity, from_item, to_item};
use crate::keys::{self, index};
use crate::transact::{Write, transact};

/// Items read per query when a status filter may drop some.
const FILTERED_READ: i32 = 100;
/// Queries per page at most, when the filter drops most of what is read.
const MAX_ROUNDS: usize = 5;

/// An order's stored form.
#[derive(Serialize, Deserialize)]
struct OrderItem {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    order: Order,
}

fn order_from(item: Item) -> Result<Order, StoreError> {
    Ok(from_item::<OrderItem>(item)?.order)
}

/// Which of a customer's orders a page holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders placed at or after this time.
    pub placed_from: Option<Timestamp>,
    /// Only orders placed before this time.
    pub placed_to: Option<Timestamp>,
    /// At most this many.
    pub limit: usize,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

impl OrderQuery {
    /// What a cursor must have been issued for.
    fn tag(&self) -> String {
        let time = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
        format!(
            "orders:{}:{}..{}",
            self.status.map(|s| s.as_str()).unwrap_or(""),
            time(self.placed_from),
            time(self.placed_to)
        )
    }
}

/// What became of an order to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Written.
    Done,
    /// Another event's write came first: read again.
    Raced,
    /// The customer is gone.
    NoCustomer,
}

impl DynamoStore {
    /// A customer's order, read consistently.
    #[tracing::instrument(skip_all, fields(customer_id = %customer, order_id = %id))]
    pub async fn order(&self, customer: CustomerId, id: &OrderId) -> Result<Option<Order>, StoreError> {
        self.get_item(keys::order(customer, id))
            .await?
            .map(order_from)
            .transpose()
    }

    /// Writes `after` over `before` (as read), if the customer is still
    /// there and nobody wrote the order since.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, order_id = %after.order_id, sequence = after.sequence))]
    pub async fn put_order(
        &self,
        customer: &Customer,
        before: Option<&Order>,
        after: &Order,
    ) -> Result<Written, StoreError> {
        let key = keys::order(customer.id, &after.order_id);
        let item = OrderItem {
            pk: key.pk,
            sk: key.sk,
            entity: entity::ORDER.to_owned(),
            gsi1pk: keys::customer_orders(customer.id),
            gsi1sk: keys::order_history(after.placed_or_seen(), &after.order_id),
            order: after.clone(),
        };
        let put = Write::put(&self.table, to_item(&item)?);
        let put = match before {
            None => put.condition("attribute_not_exists(pk)"),
            Some(before) => put
                .condition("#sequence = :sequence")
                .name("#sequence", "sequence")
                .value(":sequence", AttributeValue::N(before.sequence.to_string())),
        };
        match transact(&self.client, vec![self.customer_still_there(customer), put]).await? {
            Ok(()) => Ok(Written::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(Written::NoCustomer),
            Err(_) => Ok(Written::Raced),
        }
    }

    /// A page of a customer's orders, newest first (by when they were placed).
    #[tracing::instrument(skip_all, fields(customer_id = %customer, limit = query.limit))]
    pub async fn orders_of(&self, customer: CustomerId, query: &OrderQuery) -> Result<Page<Order>, StoreError> {
        let tag = query.tag();
        let mut start = match &query.cursor {
            Some(text) => Some(start_key(customer, &cursor::decode(text, &tag)?)?),
            None => None,
        };
        let limit = query.limit.max(1);
        let mut found: Vec<Order> = Vec::with_capacity(limit);
        for _ in 0..MAX_ROUNDS {
            let read = match query.status {
                Some(_) => FILTERED_READ,
                None => i32::try_from(limit - found.len() + 1).unwrap_or(FILTERED_READ),
            };
            let (items, last) = self.history_page(customer, query, read, start.take()).await?;
            for order in items {
                if found.len() == limit {
                    let next = found.last().map(|o| cursor_after(o, &tag));
                    return Ok(Page {
                        items: found,
                        next_cursor: next,
                    });
                }
                found.push(order);
            }
            match last {
                None => {
                    return Ok(Page {
                        items: found,
                        next_cursor: None,
                    });
                }
                Some(key) if found.len() == limit => {
                    let next = found
                        .last()
                        .map(|o| cursor_after(o, &tag))
                        .or_else(|| cursor_at(&key, &tag));
                    return Ok(Page {
                        items: found,
                        next_cursor: next,
                    });
                }
                Some(key) => start = Some(key),
            }
        }
        // The filter dropped most of what was read: what was found so far,
        // with a cursor where reading stopped.
        let next_cursor = start.as_ref().and_then(|key| cursor_at(key, &tag));
        Ok(Page {
            items: found,
            next_cursor,
        })
    }

    /// Up to `max` of a customer's most recent orders, and whether those are
    /// all of them.
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn recent_orders(&self, customer: CustomerId, max: usize) -> Result<(Vec<Order>, bool), StoreError> {
        let all = OrderQuery::default();
        let mut orders = Vec::new();
        let mut start = None;
        loop {
            let room = i32::try_from(max.saturating_sub(orders.len()) + 1).unwrap_or(i32::MAX);
            let (items, last) = self.history_page(customer, &all, room.min(500), start).await?;
            orders.extend(items);
            if orders.len() > max {
                orders.truncate(max);
                return Ok((orders, false));
            }
            match last {
                None => return Ok((orders, true)),
                Some(key) => start = Some(key),
            }
        }
    }

    /// One query of a customer's order history, backwards from `start`.
    async fn history_page(
        &self,
        customer: CustomerId,
        query: &OrderQuery,
        read: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Order>, Option<Item>), StoreError> {
        let (pk_attr, sk_attr) = index::key_attributes(index::BY_BUSINESS);
        let partition = keys::customer_orders(customer);
        let (condition, mut values) =
            time_range_condition((pk_attr, &partition), sk_attr, query.placed_from, query.placed_to);
        let mut request = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(index::BY_BUSINESS)
            .key_condition_expression(condition)
            .scan_index_forward(false)
            .limit(read)
            .set_exclusive_start_key(start);
        if let Some(status) = query.status {
            values.insert(":status".to_owned(), AttributeValue::S(status.as_str().to_owned()));
            request = request
                .filter_expression("#status = :status")
                .expression_attribute_names("#status", "status");
        }
        let output = request
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(classify)?;
        let orders = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(order_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((orders, output.last_evaluated_key))
    }
}

fn cursor_after(order: &Order, tag: &str) -> String {
    cursor::encode(tag, &keys::order_history(order.placed_or_seen(), &order.order_id))
}

fn cursor_at(key: &Item, tag: &str) -> Option<String> {
    let (_, sk_attr) = index::key_attributes(index::BY_BUSINESS);
    Some(cursor::encode(tag, key.get(sk_attr)?.as_s().ok()?))
}

/// The `ExclusiveStartKey` of a place in a customer's order history.
fn start_key(customer: CustomerId, place: &str) -> Result<Item, StoreError> {
    let (placed, id) = place.split_once('#').ok_or(StoreError::InvalidCursor)?;
    Timestamp::parse(placed).map_err(|_| StoreError::InvalidCursor)?;
    let id = OrderId::parse(id).map_err(|_| StoreError::InvalidCursor)?;
    let (pk_attr, sk_attr) = index::key_attributes(index::BY_BUSINESS);
    let mut key = keys::order(customer, &id).to_attributes();
    key.insert(pk_attr.to_owned(), AttributeValue::S(keys::customer_orders(customer)));
    key.insert(sk_attr.to_owned(), AttributeValue::S(place.to_owned()));
    Ok(key)
}
