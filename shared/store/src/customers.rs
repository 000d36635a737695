//! Customers in DynamoDB: every change and its outbox event in one
//! `TransactWriteItems`, uniqueness by claim items guarded with
//! `attribute_not_exists`, and optimistic locking on `version`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use clientele_core::{
    BusinessId, Customer, CustomerEvent, CustomerId, CustomerQuery, Email, Page, RateWindow, SegmentId, StoreError,
    TagLabel, Timestamp, UniqueField,
};

use crate::DynamoStore;
use crate::cursor;
use crate::errors::classify;
use crate::items::{self, Item, claim_item, companion, customer_from, customer_item, entity, event_item};
use crate::keys::{self, Key, attr, index};
use crate::segments::cell_attribute;
use crate::transact::{Cancelled, Write, transact};

/// Largest page a client may ask for.
pub const MAX_PAGE: usize = 100;
/// Items read per query when filters may drop some.
const FILTERED_READ: i32 = 100;
/// Queries per page at most, when filters drop most of what is read.
const MAX_ROUNDS: usize = 5;
/// Items per `BatchWriteItem`, DynamoDB's limit.
const MAX_BATCH_ITEMS: usize = 25;
/// Keys per `BatchGetItem`, DynamoDB's limit.
const MAX_BATCH_GET: usize = 100;
/// The rate-limited action counted for customer updates.
const PATCH_ACTION: &str = "PATCH";
/// Rate windows are kept this long after they end, then expire.
const RATE_WINDOW_GRACE_SECONDS: i64 = 60;

pub(crate) const NOT_EXISTS: &str = "attribute_not_exists(pk)";
const SAME_VERSION: &str = "version = :version";
pub(crate) const OWNED_OR_ABSENT: &str = "attribute_not_exists(pk) OR customer_id = :customer_id";

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The order a page of a partition is read in, by sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortOrder {
    /// Smallest first.
    Ascending,
    /// Largest first: for time-ordered keys, newest first.
    Descending,
}

/// Why a transaction led by [`DynamoStore::insertion`]'s writes was
/// cancelled: the claims it could not take, or a customer id used twice.
pub(crate) fn insertion_refused(cancelled: &Cancelled) -> StoreError {
    let taken: Vec<UniqueField> = [(1, UniqueField::Email), (2, UniqueField::UserId)]
        .into_iter()
        .filter(|(i, _)| cancelled.failed(*i))
        .map(|(_, field)| field)
        .collect();
    if taken.is_empty() {
        StoreError::Unexpected("a customer with this id already exists".into())
    } else {
        StoreError::Taken(taken)
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// Whether a customer is counted in its segment cell (has a marker), as
/// every customer written by this version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    Yes,
    No,
}

/// A change found the customer's segment marker otherwise than it assumed:
/// absent (stored before counts were kept) when it assumed one, or present
/// (counted by the migration meanwhile) when it assumed none.
struct CountedOtherwise;

/// The order in which a change assumes its customer counted or not.
const COUNTED_ATTEMPTS: [Counted; 3] = [Counted::Yes, Counted::No, Counted::Yes];

/// What a list query's index holds.
enum Source {
    /// Customer records themselves.
    Customers,
    /// Tags with one label (folded), pointing at their customers.
    Tagged(String),
    /// Places on one static list, pointing at their customers.
    Listed(SegmentId),
}

/// Which query serves a list request: an index, its partition, and the tag a
/// cursor must carry to continue it.
struct Plan {
    source: Source,
    index: &'static str,
    partition: String,
    tag: String,
}

impl Plan {
    fn for_query(business: BusinessId, query: &CustomerQuery) -> Self {
        let range = created_range_tag(query);
        let mut plan = Self::for_filters(business, query);
        plan.tag.push_str(&range);
        plan
    }

    fn for_filters(business: BusinessId, query: &CustomerQuery) -> Self {
        if let Some(list) = query.list {
            return Self {
                index: index::BY_BUSINESS,
                partition: keys::business_list(business, list),
                tag: format!("list:{list}"),
                source: Source::Listed(list),
            };
        }
        if let Some(label) = &query.tag {
            // Filters on the customers are applied to the customers read.
            let folded = label.folded();
            return Self {
                index: index::BY_BUSINESS,
                partition: keys::business_tag(business, &folded),
                tag: format!("tag:{folded}"),
                source: Source::Tagged(folded),
            };
        }
        let (index, partition, tag) = match (query.status, query.customer_type) {
            (Some(status), Some(t)) => (
                index::CELLS_AND_TERMS,
                keys::business_cell(business, status, t),
                format!("cell:{status}:{t}"),
            ),
            (Some(status), None) => (
                index::BY_STATUS,
                keys::business_status(business, status),
                format!("status:{status}"),
            ),
            (None, Some(t)) => (index::BY_TYPE, keys::business_type(business, t), format!("type:{t}")),
            (None, None) => (index::BY_BUSINESS, keys::business_customers(business), "all".to_owned()),
        };
        Self {
            source: Source::Customers,
            index,
            partition,
            tag,
        }
    }

    /// Whether customers read must still be checked against the query.
    fn filters_in_memory(&self, query: &CustomerQuery) -> bool {
        match self.source {
            Source::Customers => false,
            Source::Tagged(_) => query.status.is_some() || query.customer_type.is_some(),
            Source::Listed(_) => query.status.is_some() || query.customer_type.is_some() || query.tag.is_some(),
        }
    }

    /// The key condition: the partition, and the creation range if the
    /// query has one (a range of the newest-first sort key, so a range costs
    /// no filtering).
    fn key_condition(&self, query: &CustomerQuery) -> (String, HashMap<String, AttributeValue>) {
        let (pk_attr, sk_attr) = index::key_attributes(self.index);
        time_range_condition(
            (pk_attr, &self.partition),
            sk_attr,
            query.created_from,
            query.created_to,
        )
    }

    /// The `ExclusiveStartKey` for a position in this plan's partition.
    fn start_key(&self, position: (clientele_core::Timestamp, CustomerId)) -> Item {
        let (pk_attr, sk_attr) = index::key_attributes(self.index);
        let base = match &self.source {
            Source::Customers => keys::customer(position.1),
            Source::Tagged(folded) => keys::tag(position.1, folded),
            Source::Listed(list) => keys::list_member(position.1, *list),
        };
        let mut key = base.to_attributes();
        key.insert(pk_attr.to_owned(), s(self.partition.clone()));
        key.insert(sk_attr.to_owned(), s(keys::created_order(position.0, position.1)));
        key
    }

    fn cursor_after(&self, customer: &Customer) -> String {
        cursor::encode(&self.tag, &keys::created_order(customer.created_at, customer.id))
    }

    fn cursor_at(&self, key: &Item) -> Option<String> {
        let (_, sk_attr) = index::key_attributes(self.index);
        let sort_key = key.get(sk_attr)?.as_s().ok()?;
        Some(cursor::encode(&self.tag, sort_key))
    }
}

/// Which of a partition's sort keys a read takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SortRange<'a> {
    /// Every one.
    All,
    /// Those that begin with this.
    Prefix(&'a str),
    /// Those from the first to the second, both included.
    Between(&'a str, &'a str),
}

/// A key condition: one index partition, and, when given, a range of its
/// sort key whose text starts with a time (`from` included, `to` not).
pub(crate) fn time_range_condition(
    (pk_attr, partition): (&str, &str),
    sk_attr: &str,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> (String, HashMap<String, AttributeValue>) {
    let mut values = HashMap::from([(":partition".to_owned(), s(partition))]);
    if let Some(from) = from {
        values.insert(":from".to_owned(), s(from.to_string()));
    }
    if let Some(to) = to {
        values.insert(":to".to_owned(), s(to.to_string()));
    }
    let range = match (from, to) {
        (Some(_), Some(_)) => format!(" AND {sk_attr} BETWEEN :from AND :to"),
        (Some(_), None) => format!(" AND {sk_attr} >= :from"),
        (None, Some(_)) => format!(" AND {sk_attr} < :to"),
        (None, None) => String::new(),
    };
    (format!("{pk_attr} = :partition{range}"), values)
}

/// The part of a cursor's tag that names a query's creation range.
fn created_range_tag(query: &CustomerQuery) -> String {
    match (query.created_from, query.created_to) {
        (None, None) => String::new(),
        (from, to) => format!(
            ":created:{}..{}",
            from.map(|t| t.to_string()).unwrap_or_default(),
            to.map(|t| t.to_string()).unwrap_or_default()
        ),
    }
}

impl DynamoStore {
    pub(crate) async fn get_item(&self, key: Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key.to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.item)
    }

    /// The customer holding an email address in a business, if any.
    pub async fn find_by_email(&self, business: BusinessId, email: &Email) -> Result<Option<Customer>, StoreError> {
        let Some(claim) = self.get_item(keys::email_claim(business, &email.folded())).await? else {
            return Ok(None);
        };
        self.customer(business, items::claimed_customer(claim)?).await
    }

    /// The customer record of a platform user in a business, if any.
    pub async fn find_by_user(
        &self,
        business: BusinessId,
        user: clientele_core::UserId,
    ) -> Result<Option<Customer>, StoreError> {
        let Some(claim) = self.get_item(keys::user_claim(business, user)).await? else {
            return Ok(None);
        };
        self.customer(business, items::claimed_customer(claim)?).await
    }

    /// The customers an index page holds, in its order: the items themselves,
    /// or for tags, the customers they point at (read in one batch).
    async fn customers_in(&self, plan: &Plan, items: Vec<Item>) -> Result<Vec<Customer>, StoreError> {
        if let Source::Customers = plan.source {
            return items.into_iter().map(customer_from).collect();
        }
        let ids: Vec<CustomerId> = items
            .iter()
            .filter_map(|item| item.get(attr::CUSTOMER_ID)?.as_s().ok()?.parse().ok())
            .collect();
        let mut found = self.customers_by_id(&ids).await?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Those of `customers` that have a tag with `label`, in their order.
    pub(crate) async fn with_tag(
        &self,
        customers: Vec<Customer>,
        label: &TagLabel,
    ) -> Result<Vec<Customer>, StoreError> {
        let folded = label.folded();
        let keys: Vec<Key> = customers.iter().map(|c| keys::tag(c.id, &folded)).collect();
        let tagged: std::collections::HashSet<CustomerId> = self
            .items_by_key(&keys)
            .await?
            .iter()
            .filter_map(|item| item.get(attr::CUSTOMER_ID)?.as_s().ok()?.parse().ok())
            .collect();
        Ok(customers.into_iter().filter(|c| tagged.contains(&c.id)).collect())
    }

    /// Customer records by id, read consistently in batches of 100.
    pub(crate) async fn customers_by_id(
        &self,
        ids: &[CustomerId],
    ) -> Result<HashMap<CustomerId, Customer>, StoreError> {
        let keys: Vec<Key> = ids.iter().map(|id| keys::customer(*id)).collect();
        let mut found = HashMap::new();
        for item in self.items_by_key(&keys).await? {
            let customer = customer_from(item)?;
            found.insert(customer.id, customer);
        }
        Ok(found)
    }

    /// The items with these keys that exist, read consistently in batches of 100.
    pub(crate) async fn items_by_key(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let keys: Vec<Item> = chunk.iter().map(Key::to_attributes).collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Unexpected(Box::new(e)))?,
            );
            for _ in 0..5 {
                let Some(pending) = request.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(self.table.as_ref(), pending)
                    .send()
                    .await
                    .map_err(classify)?;
                found.extend(
                    output
                        .responses
                        .and_then(|mut r| r.remove(self.table.as_ref()))
                        .unwrap_or_default(),
                );
                request = output
                    .unprocessed_keys
                    .and_then(|mut left| left.remove(self.table.as_ref()));
            }
            if request.is_some() {
                return Err(StoreError::Unavailable("DynamoDB left keys unprocessed".into()));
            }
        }
        Ok(found)
    }

    /// Every item of a partition whose sort key begins with `prefix`, read
    /// consistently.
    pub(crate) async fn under(&self, pk: String, prefix: &str) -> Result<Vec<Item>, StoreError> {
        self.all_of(pk, SortRange::Prefix(prefix)).await
    }

    /// The newest `limit` items of a partition whose sort keys begin with
    /// `prefix`, after `start` if given, read consistently; and whether more
    /// follow.
    pub(crate) async fn newest_under(
        &self,
        pk: String,
        prefix: &str,
        limit: usize,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, bool), StoreError> {
        self.page_under(pk, prefix, limit, start, SortOrder::Descending).await
    }

    /// `limit` items of a partition whose sort keys begin with `prefix`, in
    /// `order` of their sort keys, after `start` if given, read
    /// consistently; and whether more follow.
    pub(crate) async fn page_under(
        &self,
        pk: String,
        prefix: &str,
        limit: usize,
        start: Option<Item>,
        order: SortOrder,
    ) -> Result<(Vec<Item>, bool), StoreError> {
        let output = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .scan_index_forward(order == SortOrder::Ascending)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        let mut items = output.items.unwrap_or_default();
        let more = items.len() > limit;
        items.truncate(limit);
        Ok((items, more))
    }

    /// Every item of one partition, read consistently, page by page.
    pub(crate) async fn partition(&self, pk: String) -> Result<Vec<Item>, StoreError> {
        self.all_of(pk, SortRange::All).await
    }

    /// Every item of a partition whose sort key is in `range`, read
    /// consistently, page by page.
    pub(crate) async fn all_of(&self, pk: String, range: SortRange<'_>) -> Result<Vec<Item>, StoreError> {
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(pk))]);
        let condition = match range {
            SortRange::All => "pk = :pk",
            SortRange::Prefix(prefix) => {
                values.insert(":prefix".to_owned(), AttributeValue::S(prefix.to_owned()));
                "pk = :pk AND begins_with(sk, :prefix)"
            }
            SortRange::Between(low, high) => {
                values.insert(":low".to_owned(), AttributeValue::S(low.to_owned()));
                values.insert(":high".to_owned(), AttributeValue::S(high.to_owned()));
                "pk = :pk AND sk BETWEEN :low AND :high"
            }
        };
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(classify)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item in a customer's partition but its record, and the copies of
    /// its tags kept under their ids: what must go with it.
    pub(crate) async fn children_of(&self, id: CustomerId) -> Result<Vec<Key>, StoreError> {
        let mut children = Vec::new();
        for item in self.partition(keys::customer_partition(id)).await? {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let (Some(pk), Some(sk)) = (text(attr::PK), text(attr::SK)) else {
                continue;
            };
            if sk == keys::PROFILE {
                continue;
            }
            if let Some((_, companion)) = companion(&item) {
                children.push(companion);
            }
            children.push(Key { pk, sk });
        }
        Ok(children)
    }

    /// Deletes items no longer reachable (their customer is gone), in batches.
    pub(crate) async fn delete_in_batches(&self, keys: Vec<Key>) -> Result<(), StoreError> {
        // An interaction takes its count from its business's day as it goes.
        let (interactions, keys): (Vec<Key>, Vec<Key>) = keys.into_iter().partition(keys::is_interaction);
        for key in interactions {
            self.retire_interaction(key).await?;
        }
        let requests = keys
            .iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key.to_attributes()))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|e| StoreError::Unexpected(Box::new(e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.write_in_batches(requests).await
    }

    /// Writes items as they are, unconditionally, in batches: for loading
    /// customers in bulk ([`crate::bulk`]).
    pub(crate) async fn put_in_batches(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let requests = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| StoreError::Unexpected(Box::new(e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.write_in_batches(requests).await
    }

    async fn write_in_batches(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(MAX_BATCH_ITEMS) {
            let mut requests = chunk.to_vec();
            let mut pause = std::time::Duration::from_millis(50);
            for _ in 0..5 {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(self.table.as_ref(), requests)
                    .send()
                    .await
                    .map_err(classify)?;
                requests = output
                    .unprocessed_items
                    .and_then(|mut left| left.remove(self.table.as_ref()))
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            if !requests.is_empty() {
                return Err(StoreError::Unavailable("DynamoDB left writes unprocessed".into()));
            }
        }
        Ok(())
    }

    pub(crate) fn profile_write(&self, customer: &Customer, expected_version: u64) -> Result<Write, StoreError> {
        Ok(Write::put(&self.table, customer_item(customer)?)
            .condition(SAME_VERSION)
            .value(":version", n(expected_version)))
    }

    fn claim_write(&self, key: Key, kind: &str, customer: &Customer) -> Result<Write, StoreError> {
        Ok(Write::put(&self.table, claim_item(key, kind, customer)?).condition(NOT_EXISTS))
    }

    fn release_write(&self, key: Key, owner: CustomerId) -> Write {
        Write::delete(&self.table, key)
            .condition(OWNED_OR_ABSENT)
            .value(":customer_id", s(owner.to_string()))
    }

    fn event_write(&self, event: &CustomerEvent) -> Result<Write, StoreError> {
        Ok(Write::put(&self.table, event_item(event)?))
    }

    fn rate_write(&self, customer: CustomerId, window: &RateWindow) -> Write {
        let key = keys::rate_window(customer, PATCH_ACTION, window.starts_at);
        Write::update(
            &self.table,
            key,
            "ADD #hits :one SET #entity = :entity, #expires_at = :expires_at",
        )
        .condition("attribute_not_exists(#hits) OR #hits < :limit")
        .name("#hits", attr::HITS)
        .name("#entity", attr::ENTITY)
        .name("#expires_at", attr::EXPIRES_AT)
        .value(":one", n(1))
        .value(":limit", n(window.limit))
        .value(":entity", s(entity::RATE_WINDOW))
        .value(":expires_at", n(window.ends_at + RATE_WINDOW_GRACE_SECONDS))
    }
}

/// Customers.
impl DynamoStore {
    /// The customer with this id, if it exists and belongs to this business.
    #[tracing::instrument(skip_all, fields(business_id = %business, customer_id = %id))]
    pub async fn customer(&self, business: BusinessId, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        let Some(item) = self.get_item(keys::customer(id)).await? else {
            return Ok(None);
        };
        let customer = customer_from(item)?;
        Ok((customer.business_id == business).then_some(customer))
    }

    /// The customer with this id, whatever its business: for inbound events
    /// that name a customer by id alone.
    #[tracing::instrument(skip_all, fields(customer_id = %id))]
    pub async fn find_customer(&self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
        self.get_item(keys::customer(id)).await?.map(customer_from).transpose()
    }

    /// A page of the business's customers, newest first.
    #[tracing::instrument(skip_all, fields(business_id = %business, limit = query.limit))]
    pub async fn list_customers(
        &self,
        business: BusinessId,
        query: &CustomerQuery,
    ) -> Result<Page<Customer>, StoreError> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        if query.list.is_some() && (query.email.is_some() || query.name_prefix.is_some()) {
            return Err(StoreError::Unexpected(
                "a static list's members are not looked up by email or name".into(),
            ));
        }
        if let Some(email) = &query.email {
            // A lookup by email is one page, and issues no cursor: any cursor
            // given with it is not one of its own.
            if query.cursor.is_some() {
                return Err(StoreError::InvalidCursor);
            }
            let mut found = self.find_by_email(business, email).await?.filter(|c| query.matches(c));
            if let (Some(customer), Some(label)) = (&found, &query.tag)
                && self.get_item(keys::tag(customer.id, &label.folded())).await?.is_none()
            {
                found = None;
            }
            return Ok(Page {
                items: found.into_iter().collect(),
                next_cursor: None,
            });
        }
        if let Some(prefix) = &query.name_prefix {
            return self.list_by_name_prefix(business, prefix, query).await;
        }
        let plan = Plan::for_query(business, query);
        let mut start = match &query.cursor {
            Some(c) => Some(plan.start_key(cursor::decode_created_order(c, &plan.tag)?)),
            None => None,
        };
        let in_memory = plan.filters_in_memory(query);
        let (condition, values) = plan.key_condition(query);
        let mut collected: Vec<Customer> = Vec::with_capacity(limit);
        for _ in 0..MAX_ROUNDS {
            let read = if in_memory {
                FILTERED_READ
            } else {
                i32::try_from(limit - collected.len() + 1).unwrap_or(FILTERED_READ)
            };
            let output = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .index_name(plan.index)
                .key_condition_expression(condition.clone())
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(read)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            let found = self.customers_in(&plan, output.items.unwrap_or_default()).await?;
            let found = match (&plan.source, &query.tag) {
                (Source::Listed(_), Some(label)) => self.with_tag(found, label).await?,
                _ => found,
            };
            for customer in found.into_iter().filter(|c| !in_memory || query.matches(c)) {
                if collected.len() == limit {
                    let next_cursor = collected.last().map(|c| plan.cursor_after(c));
                    return Ok(Page {
                        items: collected,
                        next_cursor,
                    });
                }
                collected.push(customer);
            }
            match output.last_evaluated_key {
                None => {
                    return Ok(Page {
                        items: collected,
                        next_cursor: None,
                    });
                }
                Some(key) if collected.len() == limit => {
                    let next_cursor = collected
                        .last()
                        .map(|c| plan.cursor_after(c))
                        .or_else(|| plan.cursor_at(&key));
                    return Ok(Page {
                        items: collected,
                        next_cursor,
                    });
                }
                Some(key) => start = Some(key),
            }
        }
        // Filters dropped most of what was read: return what was found so far,
        // with a cursor where reading stopped.
        let next_cursor = start.as_ref().and_then(|key| plan.cursor_at(key));
        Ok(Page {
            items: collected,
            next_cursor,
        })
    }

    /// Stores a new customer with its event, claiming its email and user id in
    /// its business; [`StoreError::Taken`] names every value already claimed.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, business_id = %customer.business_id))]
    pub async fn insert_customer(&self, customer: &Customer, event: &CustomerEvent) -> Result<(), StoreError> {
        let writes = self.insertion(customer, event)?;
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(()),
            Err(cancelled) => Err(insertion_refused(&cancelled)),
        }
    }

    /// The writes that store a new customer with its event: the record
    /// first, then its email's and its user id's claims, its event, audit
    /// entry, segment count and search terms.
    pub(crate) fn insertion(&self, customer: &Customer, event: &CustomerEvent) -> Result<Vec<Write>, StoreError> {
        let mut writes = vec![
            Write::put(&self.table, customer_item(customer)?).condition(NOT_EXISTS),
            self.claim_write(
                keys::email_claim(customer.business_id, &customer.email.folded()),
                entity::EMAIL_CLAIM,
                customer,
            )?,
            self.claim_write(
                keys::user_claim(customer.business_id, customer.user_id),
                entity::USER_CLAIM,
                customer,
            )?,
            self.event_write(event)?,
        ];
        writes.extend(self.audit_write(std::slice::from_ref(event))?);
        writes.extend(self.join_segment(customer)?);
        writes.extend(self.term_writes(None, Some(customer))?);
        Ok(writes)
    }

    /// Replaces `before` with `after` and records `event`, if the stored
    /// version is still `before.version` ([`StoreError::VersionMismatch`]
    /// otherwise, [`StoreError::NotFound`] when it is gone), moving the email
    /// claim if the address changed, its search terms and segment count if
    /// they changed, and counting one change in `window` if given.
    #[tracing::instrument(skip_all, fields(customer_id = %before.id, version = before.version))]
    pub async fn update_customer(
        &self,
        before: &Customer,
        after: &Customer,
        event: &CustomerEvent,
        window: Option<&RateWindow>,
    ) -> Result<(), StoreError> {
        // A customer stored before counts were kept has no marker, and the
        // migration may count it at any moment: each attempt says which.
        for counted in COUNTED_ATTEMPTS {
            if let Ok(()) = self.write_update(before, after, event, window, counted).await? {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable(
            "a customer was being counted in its segment; try again".into(),
        ))
    }

    async fn write_update(
        &self,
        before: &Customer,
        after: &Customer,
        event: &CustomerEvent,
        window: Option<&RateWindow>,
        counted: Counted,
    ) -> Result<Result<(), CountedOtherwise>, StoreError> {
        let mut writes = vec![self.profile_write(after, before.version)?];
        let mut email_claim_at = None;
        if before.email.folded() != after.email.folded() {
            writes.push(self.release_write(keys::email_claim(before.business_id, &before.email.folded()), before.id));
            email_claim_at = Some(writes.len());
            writes.push(self.claim_write(
                keys::email_claim(after.business_id, &after.email.folded()),
                entity::EMAIL_CLAIM,
                after,
            )?);
        }
        let mut rate_at = None;
        if let Some(window) = window {
            rate_at = Some(writes.len());
            writes.push(self.rate_write(before.id, window));
        }
        let marker_at = writes.len();
        let segment = self.move_segment(before, after);
        let moves = !segment.is_empty();
        match counted {
            Counted::Yes => writes.extend(segment),
            Counted::No if moves => writes.push(self.uncounted(before.id)),
            Counted::No => {}
        }
        writes.extend(self.term_writes(Some(before), Some(after))?);
        writes.push(self.event_write(event)?);
        writes.extend(self.audit_write(std::slice::from_ref(event))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(Ok(())),
            Err(cancelled) if cancelled.failed(0) => Err(if cancelled.failed_but_exists(0) {
                StoreError::VersionMismatch
            } else {
                StoreError::NotFound
            }),
            Err(cancelled) if rate_at.is_some_and(|i| cancelled.failed(i)) => Err(StoreError::RateLimited),
            Err(cancelled) if email_claim_at.is_some_and(|i| cancelled.failed(i)) => {
                Err(StoreError::Taken(vec![UniqueField::Email]))
            }
            Err(cancelled) if moves && counted == Counted::Yes && cancelled.failed_but_exists(marker_at) => Err(
                StoreError::Unexpected("a customer is counted in another segment".into()),
            ),
            Err(cancelled) if moves && cancelled.failed(marker_at) => Ok(Err(CountedOtherwise)),
            Err(_) => Err(StoreError::Unexpected(
                "an email claim is held by another customer".into(),
            )),
        }
    }

    /// Deletes the customer and its claims, with its event and `tombstone`,
    /// if the stored version is still `customer.version`. What is stored
    /// under it stays until [`DynamoStore::sweep_deleted`] removes it; the
    /// tombstone says so.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, version = customer.version))]
    pub async fn delete_customer(
        &self,
        customer: &Customer,
        event: &CustomerEvent,
        tombstone: &crate::deletion::Tombstone,
    ) -> Result<(), StoreError> {
        for counted in COUNTED_ATTEMPTS {
            let profile = Write::delete(&self.table, keys::customer(customer.id))
                .condition(SAME_VERSION)
                .value(":version", n(customer.version));
            let mut writes = vec![
                profile,
                self.release_write(
                    keys::email_claim(customer.business_id, &customer.email.folded()),
                    customer.id,
                ),
                self.release_write(keys::user_claim(customer.business_id, customer.user_id), customer.id),
                Write::put(&self.table, tombstone.to_item()?),
                self.event_write(event)?,
            ];
            let marker_at = writes.len();
            match counted {
                Counted::Yes => {
                    writes.extend(self.leave_segment(customer, cell_attribute(customer.status, customer.customer_type)))
                }
                Counted::No => writes.push(self.uncounted(customer.id)),
            }
            match transact(&self.client, writes).await? {
                Ok(()) => return Ok(()),
                Err(cancelled) if cancelled.failed(0) => {
                    return Err(if cancelled.failed_but_exists(0) {
                        StoreError::VersionMismatch
                    } else {
                        StoreError::NotFound
                    });
                }
                Err(cancelled) if counted == Counted::Yes && cancelled.failed_but_exists(marker_at) => {
                    return Err(StoreError::Unexpected(
                        "a customer's segment marker names another cell".into(),
                    ));
                }
                // Not counted (stored before counts were kept), or counted
                // by the migration meanwhile: the next attempt says so.
                Err(cancelled) if cancelled.failed(marker_at) => {}
                Err(_) => return Err(StoreError::Unexpected("a claim is held by another customer".into())),
            }
        }
        Err(StoreError::Unavailable(
            "a customer was being counted in its segment; try again".into(),
        ))
    }
}
