//! Tags in DynamoDB. A tag lives on its customer (`TAG#<label>`, so a label
//! is unique per customer by the key itself), indexed under its business and
//! label, and copied under its id for `DELETE /api/customers/tags/{id}`.
//! Tags never change once made, so the two copies cannot drift.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::{Customer, CustomerEvent, CustomerId, StoreError, Tag, TagId};

use crate::DynamoStore;
use crate::counts::Counter;
use crate::errors::classify;
use crate::items::{event_item, tag_by_id_item, tag_from, tag_item};
use crate::keys;
use crate::transact::{Write, transact};

/// The customer record exists and is in the business named `:business_id`.
pub(crate) const CUSTOMER_IN_BUSINESS: &str = "attribute_exists(pk) AND business_id = :business_id";

impl DynamoStore {
    /// The condition, as a transaction member, that `customer` still exists in its business.
    pub(crate) fn customer_still_there(&self, customer: &Customer) -> Write {
        Write::check(&self.table, keys::customer(customer.id))
            .condition(CUSTOMER_IN_BUSINESS)
            .value(":business_id", AttributeValue::S(customer.business_id.to_string()))
    }
}

/// Tags.
impl DynamoStore {
    /// Puts tags on a customer that still exists in its business, all or
    /// nothing, each with its event. [`StoreError::NotFound`] when the customer
    /// is gone; [`StoreError::LabelsTaken`] naming the tags whose labels it has.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, tags = tags.len()))]
    pub async fn add_tags(
        &self,
        customer: &Customer,
        tags: &[Tag],
        events: &[CustomerEvent],
        limit: usize,
    ) -> Result<(), StoreError> {
        let added = i64::try_from(tags.len()).unwrap_or(i64::MAX);
        let mut writes = vec![
            self.customer_still_there(customer),
            self.count_write(customer.id, Counter::Tags, added, Some(limit)),
        ];
        writes.extend(self.tag_writes(customer, tags, events)?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(0) => Err(StoreError::NotFound),
            Err(cancelled) if cancelled.failed(1) => Err(StoreError::LimitReached),
            Err(cancelled) => {
                let taken: Vec<usize> = (0..tags.len()).filter(|i| cancelled.failed(2 + 3 * i)).collect();
                if taken.is_empty() {
                    Err(StoreError::Unexpected("a tag id was used twice".into()))
                } else {
                    Err(StoreError::LabelsTaken(taken))
                }
            }
        }
    }

    /// The writes that put tags on a customer, each with its event (three
    /// a tag, each tag's first failing if the customer has its label), and
    /// their audit entry.
    pub(crate) fn tag_writes(
        &self,
        customer: &Customer,
        tags: &[Tag],
        events: &[CustomerEvent],
    ) -> Result<Vec<Write>, StoreError> {
        let mut writes = Vec::new();
        for (tag, event) in tags.iter().zip(events) {
            writes.push(Write::put(&self.table, tag_item(tag, customer)?).condition("attribute_not_exists(pk)"));
            writes.push(Write::put(&self.table, tag_by_id_item(tag)?).condition("attribute_not_exists(pk)"));
            writes.push(Write::put(&self.table, event_item(event)?));
        }
        writes.extend(self.audit_write(events)?);
        Ok(writes)
    }

    /// A customer's tags, in no particular order: at most `limit` of them,
    /// so that the read is bounded even for a customer whose tags were
    /// added before there was a cap.
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn tags_of(&self, customer: CustomerId, limit: usize) -> Result<Vec<Tag>, StoreError> {
        let mut tags = Vec::new();
        let mut start = None;
        loop {
            let room = i32::try_from(limit.saturating_sub(tags.len())).unwrap_or(i32::MAX);
            let output = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", AttributeValue::S(keys::customer_partition(customer)))
                .expression_attribute_values(":prefix", AttributeValue::S(keys::TAG_PREFIX.to_owned()))
                .consistent_read(true)
                .limit(room.max(1))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            for item in output.items.unwrap_or_default() {
                tags.push(tag_from(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() || tags.len() >= limit {
                tags.truncate(limit);
                return Ok(tags);
            }
        }
    }

    /// The tag with this id, if there is one.
    #[tracing::instrument(skip_all, fields(tag_id = %id))]
    pub async fn tag(&self, id: TagId) -> Result<Option<Tag>, StoreError> {
        self.get_item(keys::tag_by_id(id)).await?.map(tag_from).transpose()
    }

    /// Takes a tag off its customer, with its event; [`StoreError::NotFound`] if it is gone.
    #[tracing::instrument(skip_all, fields(tag_id = %tag.id, customer_id = %tag.customer_id))]
    pub async fn remove_tag(&self, tag: &Tag, event: &CustomerEvent) -> Result<(), StoreError> {
        let id = AttributeValue::S(tag.id.to_string());
        let mut writes = vec![
            Write::delete(&self.table, keys::tag(tag.customer_id, &tag.label.folded()))
                .condition("id = :id")
                .value(":id", id.clone()),
            Write::delete(&self.table, keys::tag_by_id(tag.id))
                .condition("id = :id")
                .value(":id", id),
            Write::put(&self.table, event_item(event)?),
            self.count_write(tag.customer_id, Counter::Tags, -1, None),
        ];
        writes.extend(self.audit_write(std::slice::from_ref(event))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::NotFound),
        }
    }
}
