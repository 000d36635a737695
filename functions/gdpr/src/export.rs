//! The export document: everything the table and the bucket hold about one
//! customer, in one JSON document.

use std::collections::BTreeMap;

use clientele_core::gdpr::EXPORT_SCHEMA_VERSION;
use clientele_core::tag::sort_tags;
use clientele_core::{BusinessId, Customer, CustomerId, Note, StoreError, Tag, Timestamp};
use clientele_operations::views::{CustomerView, NoteView, StatisticsView, TagView};
use clientele_store::gdpr::Holdings;
use clientele_store::items::entity;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// The section of the document each kind of item appears in. A kind not
/// named here still appears, under `other_records`, and the tests fail.
pub const SECTIONS: &[(&str, &str)] = &[
    (entity::CUSTOMER, "profile"),
    (entity::EMAIL_CLAIM, "uniqueness_claims"),
    (entity::USER_CLAIM, "uniqueness_claims"),
    (entity::TAG, "tags"),
    (entity::TAG_BY_ID, "tags"),
    (entity::NOTE, "notes"),
    (entity::EVENT, "history"),
    (entity::FACT, "facts_counted"),
    (entity::RATE_WINDOW, "rate_limit_windows"),
    (entity::COUNTS, "counts"),
    (entity::AUDIT, "audit_trail"),
    (entity::SEARCH_TERM, "search_terms"),
    (entity::CONTACT_TERM, "search_terms"),
    (entity::INTERACTION_TERM, "search_terms"),
    (entity::SEGMENT_MEMBERSHIP, "segment"),
    (entity::LIST_MEMBER, "lists"),
    (entity::ORDER, "orders"),
    (entity::CONTACT, "contacts"),
    (entity::CONTACT_BY_ID, "contacts"),
    (entity::CONTACT_EMAIL_CLAIM, "contacts"),
    (entity::INTERACTION, "interactions"),
    (entity::INTERACTION_BY_ID, "interactions"),
    (entity::INTERACTION_DAY, "interactions"),
    (entity::SUBSCRIPTION, "subscriptions"),
    (entity::ACTIVE_SUBSCRIPTION, "subscriptions"),
    (entity::TEAM_USER, "users"),
    (entity::TEAM_USER_EMAIL_CLAIM, "users"),
    (entity::TOKEN_BALANCE, "tokens"),
    (entity::LEDGER_ENTRY, "tokens"),
    (entity::TOKEN_MOVEMENT, "tokens"),
];

/// The avatar image, if the customer has one.
#[derive(Debug, Serialize)]
pub struct Avatar {
    /// Where it is stored.
    pub key: String,
    /// A link to download it, valid for five minutes.
    pub download_url: String,
}

/// One recorded event about the customer.
#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    /// Its detail-type.
    pub event_type: String,
    /// Its id.
    pub event_id: String,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// What was published.
    pub detail: Value,
}

/// The whole export.
#[derive(Debug, Serialize)]
pub struct Export<'a> {
    /// The document's shape version.
    pub schema_version: u32,
    /// When it was made.
    pub exported_at: Timestamp,
    /// The customer.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// The customer as the API shows it.
    pub profile: CustomerView<'a>,
    /// Statistics and their history.
    pub statistics: StatisticsView<'a>,
    /// Tags, by priority then label, as the API shows them.
    #[serde(serialize_with = "tag_views")]
    pub tags: Vec<Tag>,
    /// Notes, newest first, as the API shows them.
    #[serde(serialize_with = "note_views")]
    pub notes: Vec<Note>,
    /// The avatar image.
    pub avatar: Option<Avatar>,
    /// The events recorded about the customer that the table still keeps.
    pub history: Vec<HistoryEntry>,
    /// Facts from other services already counted in the statistics.
    pub facts_counted: Vec<Value>,
    /// Rate-limit windows of recent updates.
    pub rate_limit_windows: Vec<Value>,
    /// How many tags and notes the customer has, as their caps count them.
    pub counts: Vec<Value>,
    /// Who changed the customer, what and when, oldest first.
    pub audit_trail: Vec<Value>,
    /// The words the customer is found by in a search, made from its name,
    /// email and phone; and those its contacts are found by.
    pub search_terms: Vec<Value>,
    /// The status-and-type cell the customer is counted in.
    pub segment: Vec<Value>,
    /// The static lists the customer is on: which, who put it there and when.
    pub lists: Vec<Value>,
    /// The customer's orders as the orders service reported them: lines,
    /// totals, times, delivery place and payment.
    pub orders: Vec<Value>,
    /// The people at the customer: names, roles, emails, phones, consent;
    /// with the pointers and email claims that keep them.
    pub contacts: Vec<Value>,
    /// The calls, meetings and messages with the customer: subjects,
    /// bodies, outcomes; with their pointers and the customer's daily
    /// counts of them.
    pub interactions: Vec<Value>,
    /// The customer's subscriptions, ended ones included: plan, status,
    /// periods, cancellation; with the claim of its active one.
    pub subscriptions: Vec<Value>,
    /// The people who sign in for the customer: emails, names, phones,
    /// roles, statuses, platform users; with the claims that keep their
    /// emails unique in the business.
    pub users: Vec<Value>,
    /// The token balance, the ledger's entries and the movement keys that
    /// made them: kept after an erasure, for accounting.
    pub tokens: Vec<Value>,
    /// The records that keep the email and platform user unique.
    pub uniqueness_claims: Vec<Value>,
    /// Items of kinds no section above describes, by kind.
    pub other_records: BTreeMap<String, Vec<Value>>,
    /// How many items of each kind the table holds about the customer.
    pub items: BTreeMap<String, u64>,
}

impl<'a> Export<'a> {
    /// The document for `customer`, from what the table holds about it.
    pub fn new(
        customer: &'a Customer,
        holdings: &Holdings,
        avatar: Option<Avatar>,
        now: Timestamp,
    ) -> Result<Self, StoreError> {
        let mut tags = holdings.tags()?;
        sort_tags(&mut tags);
        let history = holdings
            .events()?
            .into_iter()
            .map(|event| HistoryEntry {
                detail: serde_json::from_str(&event.detail).unwrap_or(Value::String(event.detail)),
                event_type: event.event_type,
                event_id: event.event_id,
                occurred_at: event.occurred_at,
            })
            .collect();
        let attributes = |kinds: &[&str]| -> Vec<Value> {
            holdings
                .items
                .iter()
                .filter(|h| kinds.contains(&h.kind.as_str()))
                .map(|h| h.attributes())
                .collect()
        };
        let mut other_records: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for held in &holdings.items {
            if !SECTIONS.iter().any(|(kind, _)| *kind == held.kind) {
                other_records
                    .entry(held.kind.clone())
                    .or_default()
                    .push(held.attributes());
            }
        }
        Ok(Self {
            schema_version: EXPORT_SCHEMA_VERSION,
            exported_at: now,
            customer_id: customer.id,
            business_id: customer.business_id,
            created_at: customer.created_at,
            updated_at: customer.updated_at,
            profile: CustomerView::from(customer),
            statistics: StatisticsView::from(customer),
            tags,
            notes: holdings.notes()?,
            avatar,
            history,
            facts_counted: attributes(&[entity::FACT]),
            rate_limit_windows: attributes(&[entity::RATE_WINDOW]),
            counts: attributes(&[entity::COUNTS]),
            audit_trail: attributes(&[entity::AUDIT]),
            search_terms: attributes(&[entity::SEARCH_TERM, entity::CONTACT_TERM, entity::INTERACTION_TERM]),
            segment: attributes(&[entity::SEGMENT_MEMBERSHIP]),
            lists: attributes(&[entity::LIST_MEMBER]),
            orders: attributes(&[entity::ORDER]),
            contacts: attributes(&[entity::CONTACT, entity::CONTACT_BY_ID, entity::CONTACT_EMAIL_CLAIM]),
            interactions: attributes(&[entity::INTERACTION, entity::INTERACTION_BY_ID, entity::INTERACTION_DAY]),
            subscriptions: attributes(&[entity::SUBSCRIPTION, entity::ACTIVE_SUBSCRIPTION]),
            users: attributes(&[entity::TEAM_USER, entity::TEAM_USER_EMAIL_CLAIM]),
            tokens: attributes(&[entity::TOKEN_BALANCE, entity::LEDGER_ENTRY, entity::TOKEN_MOVEMENT]),
            uniqueness_claims: attributes(&[entity::EMAIL_CLAIM, entity::USER_CLAIM]),
            other_records,
            items: holdings.counts(),
        })
    }
}

fn tag_views<S: Serializer>(tags: &[Tag], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(tags.iter().map(TagView::from))
}

fn note_views<S: Serializer>(notes: &[Note], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(notes.iter().map(NoteView::from))
}
