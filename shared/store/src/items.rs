//! The stored forms of items, converted with serde_dynamo. Each item names its
//! kind in `entity`, so a scan of the table (or an export) can tell them apart.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::portfolio::Portfolio;
use clientele_core::{
    BusinessId, ContactId, Customer, CustomerEvent, CustomerHistory, CustomerId, CustomerStats, CustomerStatus,
    CustomerType, Email, FullName, Gender, Note, NoteContent, NoteId, Phone, StoreError, Tag, TagColor, TagId,
    TagLabel, Timestamp, UserId,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::errors::corrupt;
use crate::keys::{self, Key};

/// A stored item's attributes.
pub type Item = HashMap<String, AttributeValue>;

/// Kinds of item, as written in `entity`.
pub mod entity {
    /// A customer's record.
    pub const CUSTOMER: &str = "Customer";
    /// A claim on an email address within a business.
    pub const EMAIL_CLAIM: &str = "EmailClaim";
    /// A claim on a platform user within a business.
    pub const USER_CLAIM: &str = "UserClaim";
    /// An event waiting in the outbox.
    pub const EVENT: &str = "Event";
    /// A rate-limit window's count.
    pub const RATE_WINDOW: &str = "RateWindow";
    /// An external system's client.
    pub const CLIENT: &str = "Client";
    /// A tag on a customer.
    pub const TAG: &str = "Tag";
    /// The copy of a tag kept under its id.
    pub const TAG_BY_ID: &str = "TagById";
    /// A note about a customer.
    pub const NOTE: &str = "Note";
    /// The marker of a fact counted in a customer's statistics.
    pub const FACT: &str = "FactCounted";
    /// How many tags and notes a customer has.
    pub const COUNTS: &str = "Counts";
    /// What a customer's deletion leaves until everything under it is gone.
    pub const TOMBSTONE: &str = "Tombstone";
    /// One entry of a customer's audit trail.
    pub const AUDIT: &str = "AuditEntry";
    /// A term a customer is found by in a search.
    pub const SEARCH_TERM: &str = "SearchTerm";
    /// Which segment cell a customer is counted in.
    pub const SEGMENT_MEMBERSHIP: &str = "SegmentMembership";
    /// One shard of a business's customer counts by status and type.
    pub const SEGMENT_COUNTS: &str = "SegmentCounts";
    /// A segment an admin saved: a filter or a static list.
    pub const SAVED_SEGMENT: &str = "SavedSegment";
    /// How many segments a business has saved.
    pub const SAVED_SEGMENTS_COUNT: &str = "SavedSegmentsCount";
    /// A claim on a saved segment's name within a business.
    pub const SEGMENT_NAME_CLAIM: &str = "SegmentNameClaim";
    /// A customer's place on a static list.
    pub const LIST_MEMBER: &str = "ListMember";
    /// An import or export job of a business's customers.
    pub const TRANSFER: &str = "TransferJob";
    /// What became of a row of an import that created nothing.
    pub const TRANSFER_OUTCOME: &str = "TransferOutcome";
    /// A customer's order, as the orders service reported it.
    pub const ORDER: &str = "Order";
    /// A contact: a person at a customer.
    pub const CONTACT: &str = "Contact";
    /// The pointer to a contact, under its id.
    pub const CONTACT_BY_ID: &str = "ContactById";
    /// A claim on an email address among a customer's contacts.
    pub const CONTACT_EMAIL_CLAIM: &str = "ContactEmailClaim";
    /// A term a contact is found by in a search.
    pub const CONTACT_TERM: &str = "ContactTerm";
    /// An interaction with a customer.
    pub const INTERACTION: &str = "Interaction";
    /// The pointer to an interaction, under its id.
    pub const INTERACTION_BY_ID: &str = "InteractionById";
    /// A term an interaction is found by in a search.
    pub const INTERACTION_TERM: &str = "InteractionTerm";
    /// A customer's interaction counters of one day.
    pub const INTERACTION_DAY: &str = "InteractionDay";
    /// A business's interaction counters of one day.
    pub const INTERACTION_STATS: &str = "InteractionStats";
    /// A user of a customer's team.
    pub const TEAM_USER: &str = "TeamUser";
    /// The claim on an email among a business's team users.
    pub const TEAM_USER_EMAIL_CLAIM: &str = "TeamUserEmailClaim";
    /// A plan of a business.
    pub const PLAN: &str = "Plan";
    /// A customer's subscription.
    pub const SUBSCRIPTION: &str = "Subscription";
    /// The claim of a customer's active subscription.
    pub const ACTIVE_SUBSCRIPTION: &str = "ActiveSubscription";
    /// A customer's token balance.
    pub const TOKEN_BALANCE: &str = "TokenBalance";
    /// An entry of a customer's token ledger.
    pub const LEDGER_ENTRY: &str = "LedgerEntry";
    /// A movement key, pointing at the ledger entry it made.
    pub const TOKEN_MOVEMENT: &str = "TokenMovement";
}

/// How long an outbox event is kept after it is recorded: long after the
/// stream (24 h) has handed it to the publisher, short enough to hold little.
pub const OUTBOX_RETENTION_SECONDS: i64 = 7 * 24 * 3_600;

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(corrupt)
}

pub(crate) fn from_item<T: for<'de> Deserialize<'de>>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(corrupt)
}

/// The item kept outside a customer's partition that goes with `item` of
/// that partition, and its kind: a tag's copy under the tag's id, a
/// contact's or an interaction's pointer, a team user's email claim, or the
/// kept answer an idempotency pointer points at.
pub(crate) fn companion(item: &Item) -> Option<(&'static str, Key)> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
    match text(keys::attr::ENTITY)?.as_str() {
        entity::TAG => {
            let tag = text("id")?.parse().ok()?;
            Some((entity::TAG_BY_ID, keys::tag_by_id(tag)))
        }
        crate::idempotency::POINTER => Some((crate::idempotency::RECORD, keys::idempotency_record(text("key_id")?))),
        entity::CONTACT => Some((entity::CONTACT_BY_ID, crate::contacts::pointer_of(item)?)),
        entity::INTERACTION => {
            let id = text("id")?.parse().ok()?;
            Some((entity::INTERACTION_BY_ID, keys::interaction_by_id(id)))
        }
        entity::TEAM_USER => Some((entity::TEAM_USER_EMAIL_CLAIM, crate::team_users::claim_of(item)?)),
        _ => None,
    }
}

/// A customer's record, with its index keys.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CustomerItem {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    gsi2pk: String,
    gsi2sk: String,
    gsi3pk: String,
    gsi3sk: String,
    #[serde(default)]
    gsi4pk: String,
    #[serde(default)]
    gsi4sk: String,
    id: CustomerId,
    user_id: UserId,
    business_id: BusinessId,
    full_name: FullName,
    /// For case-insensitive name-prefix filters.
    full_name_folded: String,
    email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<Phone>,
    gender: Gender,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    avatar_key: Option<String>,
    customer_type: CustomerType,
    status: CustomerStatus,
    total_orders: u64,
    total_appointments: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_order_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_appointment_date: Option<Timestamp>,
    #[serde(with = "rust_decimal::serde::float")]
    lifetime_value: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_order_date: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_appointment_date: Option<Timestamp>,
    returned_orders: u64,
    cancelled_appointments: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    primary_contact_id: Option<ContactId>,
    #[serde(default, skip_serializing_if = "Portfolio::is_empty")]
    portfolio: Portfolio,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: u64,
}

impl From<&Customer> for CustomerItem {
    fn from(c: &Customer) -> Self {
        let key = keys::customer(c.id);
        let order = keys::created_order(c.created_at, c.id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::CUSTOMER.to_owned(),
            gsi1pk: keys::business_customers(c.business_id),
            gsi1sk: order.clone(),
            gsi2pk: keys::business_status(c.business_id, c.status),
            gsi2sk: order.clone(),
            gsi3pk: keys::business_type(c.business_id, c.customer_type),
            gsi3sk: order.clone(),
            gsi4pk: keys::business_cell(c.business_id, c.status, c.customer_type),
            gsi4sk: order,
            id: c.id,
            user_id: c.user_id,
            business_id: c.business_id,
            full_name: c.full_name.clone(),
            full_name_folded: c.full_name.folded(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            gender: c.gender,
            avatar_key: c.avatar_key.clone(),
            customer_type: c.customer_type,
            status: c.status,
            total_orders: c.stats.total_orders,
            total_appointments: c.stats.total_appointments,
            last_order_date: c.stats.last_order_date,
            last_appointment_date: c.stats.last_appointment_date,
            lifetime_value: c.stats.lifetime_value,
            first_order_date: c.history.first_order_date,
            first_appointment_date: c.history.first_appointment_date,
            returned_orders: c.history.returned_orders,
            cancelled_appointments: c.history.cancelled_appointments,
            primary_contact_id: c.primary_contact_id,
            portfolio: c.portfolio.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

impl From<CustomerItem> for Customer {
    fn from(item: CustomerItem) -> Self {
        Customer {
            id: item.id,
            user_id: item.user_id,
            business_id: item.business_id,
            full_name: item.full_name,
            email: item.email,
            phone: item.phone,
            gender: item.gender,
            avatar_key: item.avatar_key,
            customer_type: item.customer_type,
            status: item.status,
            stats: CustomerStats {
                total_orders: item.total_orders,
                total_appointments: item.total_appointments,
                last_order_date: item.last_order_date,
                last_appointment_date: item.last_appointment_date,
                lifetime_value: item.lifetime_value,
            },
            history: CustomerHistory {
                first_order_date: item.first_order_date,
                first_appointment_date: item.first_appointment_date,
                returned_orders: item.returned_orders,
                cancelled_appointments: item.cancelled_appointments,
            },
            primary_contact_id: item.primary_contact_id,
            portfolio: item.portfolio,
            created_at: item.created_at,
            updated_at: item.updated_at,
            version: item.version,
        }
    }
}

/// A customer's stored item.
pub(crate) fn customer_item(customer: &Customer) -> Result<Item, StoreError> {
    to_item(&CustomerItem::from(customer))
}

/// The customer in a stored item.
pub(crate) fn customer_from(item: Item) -> Result<Customer, StoreError> {
    from_item::<CustomerItem>(item).map(Customer::from)
}

/// A claim on a unique value, pointing at the customer holding it.
#[derive(Debug, Serialize, Deserialize)]
struct ClaimItem {
    pk: String,
    sk: String,
    entity: String,
    customer_id: CustomerId,
    business_id: BusinessId,
}

/// A claim's stored item.
pub(crate) fn claim_item(key: Key, kind: &str, customer: &Customer) -> Result<Item, StoreError> {
    to_item(&ClaimItem {
        pk: key.pk,
        sk: key.sk,
        entity: kind.to_owned(),
        customer_id: customer.id,
        business_id: customer.business_id,
    })
}

/// The customer id a claim item points at.
pub(crate) fn claimed_customer(item: Item) -> Result<CustomerId, StoreError> {
    from_item::<ClaimItem>(item).map(|claim| claim.customer_id)
}

/// An event in the outbox: what the publisher sends to EventBridge.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventItem {
    /// `OUTBOX#<customer_id>`.
    pub pk: String,
    /// `<occurred_at>#<event_id>`.
    pub sk: String,
    /// Always `Event`.
    pub entity: String,
    /// The event id, stable across retries.
    pub event_id: String,
    /// The EventBridge detail-type.
    pub event_type: String,
    /// The customer's business.
    pub business_id: BusinessId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The EventBridge detail, as JSON text.
    pub detail: String,
    /// The detail's schema version.
    pub schema_version: u32,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When the table's TTL removes it (Unix seconds).
    pub expires_at: i64,
}

/// An event's stored item.
pub(crate) fn event_item(event: &CustomerEvent) -> Result<Item, StoreError> {
    let key = keys::outbox_event(event.customer_id, event.timestamp, event.event_id);
    to_item(&EventItem {
        pk: key.pk,
        sk: key.sk,
        entity: entity::EVENT.to_owned(),
        event_id: event.event_id.to_string(),
        event_type: event.event_type.as_str().to_owned(),
        business_id: event.business_id,
        customer_id: event.customer_id,
        detail: event.detail_json(),
        schema_version: event.schema_version,
        occurred_at: event.timestamp,
        expires_at: event.timestamp.unix_seconds() + OUTBOX_RETENTION_SECONDS,
    })
}

/// Reads an outbox event item.
pub fn event_from(item: Item) -> Result<EventItem, StoreError> {
    from_item(item)
}

/// A tag, stored twice: on its customer, and under its id.
#[derive(Debug, Serialize, Deserialize)]
struct TagItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    id: TagId,
    customer_id: CustomerId,
    business_id: BusinessId,
    label: TagLabel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    color: Option<TagColor>,
    priority: i64,
    created_by: String,
    created_at: Timestamp,
}

impl TagItem {
    fn new(tag: &Tag, key: Key, entity: &str) -> Self {
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity.to_owned(),
            gsi1pk: None,
            gsi1sk: None,
            id: tag.id,
            customer_id: tag.customer_id,
            business_id: tag.business_id,
            label: tag.label.clone(),
            color: tag.color.clone(),
            priority: tag.priority,
            created_by: tag.created_by.clone(),
            created_at: tag.created_at,
        }
    }
}

/// A tag's item on its customer, indexed under the business and label with
/// the customer's place in the newest-first order.
pub(crate) fn tag_item(tag: &Tag, customer: &Customer) -> Result<Item, StoreError> {
    let folded = tag.label.folded();
    let mut item = TagItem::new(tag, keys::tag(tag.customer_id, &folded), entity::TAG);
    item.gsi1pk = Some(keys::business_tag(tag.business_id, &folded));
    item.gsi1sk = Some(keys::created_order(customer.created_at, customer.id));
    to_item(&item)
}

/// A tag's copy under its id.
pub(crate) fn tag_by_id_item(tag: &Tag) -> Result<Item, StoreError> {
    to_item(&TagItem::new(tag, keys::tag_by_id(tag.id), entity::TAG_BY_ID))
}

/// The tag in either of its items.
pub(crate) fn tag_from(item: Item) -> Result<Tag, StoreError> {
    let item: TagItem = from_item(item)?;
    Ok(Tag {
        id: item.id,
        customer_id: item.customer_id,
        business_id: item.business_id,
        label: item.label,
        color: item.color,
        priority: item.priority,
        created_by: item.created_by,
        created_at: item.created_at,
    })
}

#[derive(Debug, Serialize, Deserialize)]
struct NoteItem {
    pk: String,
    sk: String,
    entity: String,
    id: NoteId,
    customer_id: CustomerId,
    business_id: BusinessId,
    content: NoteContent,
    created_by: String,
    created_at: Timestamp,
}

/// A note's item.
pub(crate) fn note_item(note: &Note) -> Result<Item, StoreError> {
    let key = keys::note(note.customer_id, note.id);
    to_item(&NoteItem {
        pk: key.pk,
        sk: key.sk,
        entity: entity::NOTE.to_owned(),
        id: note.id,
        customer_id: note.customer_id,
        business_id: note.business_id,
        content: note.content.clone(),
        created_by: note.created_by.clone(),
        created_at: note.created_at,
    })
}

/// The note in an item.
pub(crate) fn note_from(item: Item) -> Result<Note, StoreError> {
    let item: NoteItem = from_item(item)?;
    Ok(Note {
        id: item.id,
        customer_id: item.customer_id,
        business_id: item.business_id,
        content: item.content,
        created_by: item.created_by,
        created_at: item.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::NewCustomer;
    use serde_json::{Value, json};

    fn customer() -> Customer {
        let Value::Object(body) = json!({
            "full_name": "Zoë Ångström", "email": "Zoe@Example.com", "gender": "other",
            "user_id": "123e4567-e89b-12d3-a456-426614174000", "customer_type": "institution"
        }) else {
            unreachable!()
        };
        let mut c = NewCustomer::from_json(&body)
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::now());
        c.stats.lifetime_value = Decimal::new(12_345, 2);
        c
    }

    #[test]
    fn a_customer_round_trips_through_its_item() {
        let c = customer();
        let item = customer_item(&c).unwrap();
        assert_eq!(item.get("lifetime_value"), Some(&AttributeValue::N("123.45".into())));
        assert_eq!(
            item.get("full_name_folded"),
            Some(&AttributeValue::S("zoë ångström".into()))
        );
        assert!(!item.contains_key("phone"), "absent values are not stored");
        assert_eq!(customer_from(item).unwrap(), c);
    }

    #[test]
    fn an_item_names_its_index_partitions() {
        let c = customer();
        let item = customer_item(&c).unwrap();
        let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        assert_eq!(s("gsi2pk"), format!("BUSINESS#{}#STATUS#pending", c.business_id));
        assert_eq!(s("gsi3pk"), format!("BUSINESS#{}#TYPE#institution", c.business_id));
        assert_eq!(s("gsi1sk"), s("gsi2sk"));
    }

    #[test]
    fn an_event_item_expires_after_the_retention() {
        let c = customer();
        let event = CustomerEvent::created(&c);
        let item = event_from(event_item(&event).unwrap()).unwrap();
        assert_eq!(item.event_type, "customer.created");
        assert_eq!(item.expires_at - c.created_at.unix_seconds(), OUTBOX_RETENTION_SECONDS);
        assert_eq!(item.detail, event.detail_json());
    }
}
