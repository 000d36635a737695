//! Saved segments in DynamoDB.
//!
//! A business's saved segments share one partition
//! (`BUSINESS#<business>#SAVED_SEGMENTS`, `sk = SEGMENT#<id>`), with a
//! `COUNT` item that bounds how many there are; each name is claimed within
//! the business, so two segments never share one. Saving and deleting move
//! the segment, its claim and the count in one transaction.
//!
//! A customer's place on a static list is an item in the customer's own
//! partition (`sk = LIST#<segment_id>`), indexed under the business and the
//! list with the customer's place in the newest-first order, as tags are:
//! one query reads a list's members in a page, and the customer's deletion
//! and erasure take its places with it.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::saved_segment::{Definition, MAX_SAVED_SEGMENTS, SavedSegment, SegmentFilter, SegmentName};
use clientele_core::{BusinessId, Customer, CustomerId, Page, SegmentId, StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::cursor;
use crate::errors::classify;
use crate::items::{entity, from_item, to_item};
use crate::keys::{self, Key, index};
use crate::transact::{Write, transact};

/// The tag of the cursors of the saved segments' pages.
const SAVED_CURSOR: &str = "saved";
/// Places removed per page when a list is deleted.
const MEMBERS_PAGE: i32 = 100;

/// A saved segment's stored form.
#[derive(Serialize, Deserialize)]
struct SavedSegmentItem {
    pk: String,
    sk: String,
    entity: String,
    id: SegmentId,
    business_id: BusinessId,
    name: SegmentName,
    /// `filter` or `list`.
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filter: Option<SegmentFilter>,
    created_by: String,
    created_at: Timestamp,
}

impl SavedSegmentItem {
    fn of(segment: &SavedSegment) -> Self {
        let key = keys::saved_segment(segment.business_id, segment.id);
        let filter = match &segment.definition {
            Definition::Filter(filter) => Some(filter.clone()),
            Definition::List => None,
        };
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::SAVED_SEGMENT.to_owned(),
            id: segment.id,
            business_id: segment.business_id,
            name: segment.name.clone(),
            kind: segment.definition.kind().to_owned(),
            filter,
            created_by: segment.created_by.clone(),
            created_at: segment.created_at,
        }
    }

    fn into_segment(self) -> Result<SavedSegment, StoreError> {
        let definition = match (self.kind.as_str(), self.filter) {
            ("list", _) => Definition::List,
            ("filter", Some(filter)) => Definition::Filter(filter),
            _ => {
                return Err(StoreError::Unexpected(
                    "a saved segment is neither a filter nor a list".into(),
                ));
            }
        };
        Ok(SavedSegment {
            id: self.id,
            business_id: self.business_id,
            name: self.name,
            definition,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

/// A customer's place on a static list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPlace {
    /// The list.
    pub segment_id: SegmentId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// Who put the customer on the list.
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct ListPlaceItem {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    #[serde(flatten)]
    place: ListPlace,
}

/// What became of a segment to save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Saved.
    Done,
    /// Another segment of the business has the name.
    NameTaken,
    /// The business has as many saved segments as it may.
    LimitReached,
}

/// What became of a customer to put on a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// Put on it now.
    Added,
    /// It was on it already.
    AlreadyThere,
    /// The list is gone.
    NoList,
    /// The customer is gone.
    NoCustomer,
}

impl DynamoStore {
    /// Saves a segment with its name's claim, counted against
    /// [`MAX_SAVED_SEGMENTS`], in one transaction.
    #[tracing::instrument(skip_all, fields(business_id = %segment.business_id, segment_id = %segment.id))]
    pub async fn save_segment(&self, segment: &SavedSegment) -> Result<Saved, StoreError> {
        let claim = keys::segment_name_claim(segment.business_id, &segment.name.folded());
        let mut claim_item = claim.to_attributes();
        claim_item.insert("entity".to_owned(), s(entity::SEGMENT_NAME_CLAIM));
        claim_item.insert("segment_id".to_owned(), s(segment.id.to_string()));
        let writes = vec![
            Write::put(&self.table, to_item(&SavedSegmentItem::of(segment))?).condition("attribute_not_exists(pk)"),
            Write::put(&self.table, claim_item).condition("attribute_not_exists(pk)"),
            self.count_saved(segment.business_id, 1)
                .condition("attribute_not_exists(saved) OR saved < :max")
                .value(":max", n(MAX_SAVED_SEGMENTS)),
        ];
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(Saved::Done),
            Err(cancelled) if cancelled.failed(1) => Ok(Saved::NameTaken),
            Err(cancelled) if cancelled.failed(2) => Ok(Saved::LimitReached),
            Err(_) => Err(StoreError::Unexpected("a segment id was used twice".into())),
        }
    }

    fn count_saved(&self, business: BusinessId, by: i64) -> Write {
        Write::update(
            &self.table,
            keys::saved_segments_count(business),
            "SET entity = :entity ADD saved :by",
        )
        .value(":entity", s(entity::SAVED_SEGMENTS_COUNT))
        .value(":by", n(by))
    }

    /// The business's saved segment with this id, if there is one.
    #[tracing::instrument(skip_all, fields(business_id = %business, segment_id = %id))]
    pub async fn saved_segment(&self, business: BusinessId, id: SegmentId) -> Result<Option<SavedSegment>, StoreError> {
        match self.get_item(keys::saved_segment(business, id)).await? {
            Some(item) => Ok(Some(from_item::<SavedSegmentItem>(item)?.into_segment()?)),
            None => Ok(None),
        }
    }

    /// A page of the business's saved segments, in (reverse) id order: an
    /// order of no meaning, but a stable one.
    #[tracing::instrument(skip_all, fields(business_id = %business))]
    pub async fn saved_segments(
        &self,
        business: BusinessId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<SavedSegment>, StoreError> {
        let partition = keys::saved_segments_partition(business);
        let after = match cursor {
            Some(c) => {
                Some(SegmentId::parse(&cursor::decode(c, SAVED_CURSOR)?).map_err(|_| StoreError::InvalidCursor)?)
            }
            None => None,
        };
        let start = after.map(|id| keys::saved_segment(business, id).to_attributes());
        let (items, more) = self.newest_under(partition, "SEGMENT#", limit, start).await?;
        let segments = items
            .into_iter()
            .map(|item| from_item::<SavedSegmentItem>(item)?.into_segment())
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = segments
            .last()
            .filter(|_| more)
            .map(|last| cursor::encode(SAVED_CURSOR, &last.id.to_string()));
        Ok(Page {
            items: segments,
            next_cursor,
        })
    }

    /// Deletes a saved segment. For a list, the customers' places on it go
    /// first, page by page, so that a request cut short leaves the list
    /// there and asking again finishes the work. Then the segment, its
    /// name's claim and its count go in one transaction
    /// ([`StoreError::NotFound`] if it is gone), and the places put on the
    /// list meanwhile after it (none can be put on it once it is gone). A
    /// place that last step leaves names a list that no longer exists:
    /// nothing reads it, and it goes with its customer.
    #[tracing::instrument(skip_all, fields(business_id = %segment.business_id, segment_id = %segment.id))]
    pub async fn delete_saved_segment(&self, segment: &SavedSegment) -> Result<(), StoreError> {
        let list = segment.definition == Definition::List;
        if list {
            self.clear_list(segment.business_id, segment.id).await?;
        }
        let writes = vec![
            Write::delete(&self.table, keys::saved_segment(segment.business_id, segment.id))
                .condition("attribute_exists(pk)"),
            Write::delete(
                &self.table,
                keys::segment_name_claim(segment.business_id, &segment.name.folded()),
            ),
            self.count_saved(segment.business_id, -1),
        ];
        if transact(&self.client, writes).await?.is_err() {
            return Err(StoreError::NotFound);
        }
        if list && let Err(error) = self.clear_list(segment.business_id, segment.id).await {
            tracing::warn!(%error, "places put on a list while it was deleted remain until their customers go");
        }
        Ok(())
    }

    /// Removes every customer's place on a list.
    async fn clear_list(&self, business: BusinessId, list: SegmentId) -> Result<(), StoreError> {
        let (pk_attr, _) = index::key_attributes(index::BY_BUSINESS);
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table.as_ref())
                .index_name(index::BY_BUSINESS)
                .key_condition_expression(format!("{pk_attr} = :partition"))
                .expression_attribute_values(":partition", s(keys::business_list(business, list)))
                .projection_expression("pk, sk")
                .limit(MEMBERS_PAGE)
                .send()
                .await
                .map_err(classify)?;
            let places: Vec<Key> = output
                .items
                .unwrap_or_default()
                .iter()
                .filter_map(|item| {
                    let text = |name: &str| item.get(name)?.as_s().ok().cloned();
                    Some(Key {
                        pk: text("pk")?,
                        sk: text("sk")?,
                    })
                })
                .collect();
            if places.is_empty() {
                return Ok(());
            }
            self.delete_in_batches(places).await?;
        }
    }

    /// Puts a customer on a list, if both still exist.
    #[tracing::instrument(skip_all, fields(segment_id = %list.id, customer_id = %customer.id))]
    pub async fn add_to_list(
        &self,
        list: &SavedSegment,
        customer: &Customer,
        by: &str,
        at: Timestamp,
    ) -> Result<Placed, StoreError> {
        let key = keys::list_member(customer.id, list.id);
        let place = ListPlaceItem {
            pk: key.pk,
            sk: key.sk,
            entity: entity::LIST_MEMBER.to_owned(),
            gsi1pk: keys::business_list(customer.business_id, list.id),
            gsi1sk: keys::created_order(customer.created_at, customer.id),
            place: ListPlace {
                segment_id: list.id,
                customer_id: customer.id,
                business_id: customer.business_id,
                added_by: by.to_owned(),
                added_at: at,
            },
        };
        let writes = vec![
            Write::check(&self.table, keys::saved_segment(list.business_id, list.id)).condition("attribute_exists(pk)"),
            self.customer_still_there(customer),
            Write::put(&self.table, to_item(&place)?).condition("attribute_not_exists(pk)"),
        ];
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(Placed::Added),
            Err(cancelled) if cancelled.failed(0) => Ok(Placed::NoList),
            Err(cancelled) if cancelled.failed(1) => Ok(Placed::NoCustomer),
            Err(_) => Ok(Placed::AlreadyThere),
        }
    }

    /// Takes a customer off a list; `false` if it was not on it.
    #[tracing::instrument(skip_all, fields(segment_id = %list, customer_id = %customer))]
    pub async fn remove_from_list(&self, list: SegmentId, customer: CustomerId) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keys::list_member(customer, list).to_attributes()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(classify)?;
        Ok(output.attributes.is_some_and(|old| !old.is_empty()))
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
