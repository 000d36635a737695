//! Every key of the single table, built in one place so that no key string is
//! written twice. The access patterns they serve are listed in
//! `docs/data-model.md`.
//!
//! | item            | `pk`                               | `sk`                        |
//! |-----------------|------------------------------------|-----------------------------|
//! | customer        | `CUSTOMER#<customer_id>`           | `PROFILE`                   |
//! | rate window     | `CUSTOMER#<customer_id>`           | `RATE#<action>#<start>`     |
//! | email claim     | `BUSINESS#<business>#EMAIL#<email>`| `CLAIM`                     |
//! | user claim      | `BUSINESS#<business>#USER#<user>`  | `CLAIM`                     |
//! | outbox event    | `OUTBOX#<customer_id>`             | `<occurred_at>#<event_id>`  |
//! | client          | `CLIENT#<client_id>`               | `CLIENT`                    |
//! | tag             | `CUSTOMER#<customer_id>`           | `TAG#<label, lower-cased>`  |
//! | tag by id       | `TAG#<tag_id>`                     | `TAG`                       |
//! | note            | `CUSTOMER#<customer_id>`           | `NOTE#<note_id>`            |
//! | fact counted    | `CUSTOMER#<customer_id>`           | `FACT#<kind>#<fact id>`     |
//! | erasure receipt | `ERASURE#<customer_id>`            | `RECEIPT`                   |
//! | kept answer     | `IDEMPOTENCY#<key id>`             | `RECORD`                    |
//! | its pointer     | `CUSTOMER#<customer_id>`           | `IDEMPOTENCY#<key id>`      |
//! | search term     | `CUSTOMER#<customer_id>`           | `TERM#<term>`               |
//! | segment marker  | `CUSTOMER#<customer_id>`           | `SEGMENT`                   |
//! | segment counts  | `BUSINESS#<business>#SEGMENTS`     | `SHARD#<n>`                 |
//! | saved segment   | `BUSINESS#<business>#SAVED_SEGMENTS` | `SEGMENT#<segment_id>`    |
//! | segments saved  | `BUSINESS#<business>#SAVED_SEGMENTS` | `COUNT`                   |
//! | segment name    | `BUSINESS#<business>#SEGMENT_NAME#<name>` | `CLAIM`            |
//! | list member     | `CUSTOMER#<customer_id>`           | `LIST#<segment_id>`         |
//! | order           | `CUSTOMER#<customer_id>`           | `ORDER#<order_id>`          |
//! | contact         | `CUSTOMER#<customer_id>`           | `CONTACT#<contact_id>`      |
//! | contact by id   | `CONTACT#<contact_id>`             | `CONTACT`                   |
//! | contact email   | `CUSTOMER#<customer_id>`           | `CONTACT_EMAIL#<email>`     |
//! | import/export   | `BUSINESS#<business>#TRANSFER#<id>` | `TRANSFER`                 |
//! | import row      | `BUSINESS#<business>#TRANSFER#<id>` | `LINE#<line, 20 digits>`   |
//!
//! A customer also carries three index keys, each sorted newest first by
//! `<created_at>#<customer_id>`: `gsi1pk = BUSINESS#<business>#CUSTOMERS`,
//! `gsi2pk = BUSINESS#<business>#STATUS#<status>`,
//! `gsi3pk = BUSINESS#<business>#TYPE#<type>`. A tag carries
//! `gsi1pk = BUSINESS#<business>#TAG#<label, lower-cased>` with its customer's
//! sort key, so one query finds a business's customers with a tag; a list
//! member carries `gsi1pk = BUSINESS#<business>#LIST#<segment_id>` the same
//! way. An order carries `gsi1pk = CUSTOMER#<customer_id>#ORDERS` and
//! `gsi1sk = <placed_at>#<order_id>`: a customer's orders, newest first.
//!
//! The fourth index is shared by two kinds of item. A customer carries
//! `gsi4pk = BUSINESS#<business>#CELL#<status>#<type>` (its segment cell),
//! sorted newest first like the others; a search term carries
//! `gsi4pk = BUSINESS#<business>#TERM#<namespace and first character>#<shard>`
//! and `gsi4sk = <term>#<customer_id>`, so one query reads the terms of one
//! business that start with a prefix, one shard at a time.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::interaction::{Day, InteractionType};
use clientele_core::order::OrderId;
use clientele_core::{
    BusinessId, ClientId, ContactId, CustomerId, CustomerStatus, CustomerType, EventId, InteractionId, NoteId, PlanId,
    SegmentId, SubscriptionId, TagId, TeamUserId, Timestamp, TransferId, UserId,
};

/// Attribute names shared by several items.
pub mod attr {
    /// Partition key.
    pub const PK: &str = "pk";
    /// Sort key.
    pub const SK: &str = "sk";
    /// What kind of item this is.
    pub const ENTITY: &str = "entity";
    /// Expiry time (Unix seconds) for the table's TTL.
    pub const EXPIRES_AT: &str = "expires_at";
    /// A record's version.
    pub const VERSION: &str = "version";
    /// The customer a claim or event belongs to.
    pub const CUSTOMER_ID: &str = "customer_id";
    /// A rate window's count.
    pub const HITS: &str = "hits";
}

/// The global secondary indexes: names and key attributes.
pub mod index {
    /// A business's customers, newest first.
    pub const BY_BUSINESS: &str = "gsi1";
    /// A business's customers in one status, newest first.
    pub const BY_STATUS: &str = "gsi2";
    /// A business's customers of one type, newest first.
    pub const BY_TYPE: &str = "gsi3";
    /// A business's customers in one status and of one type, newest first;
    /// and a business's search terms by prefix.
    pub const CELLS_AND_TERMS: &str = "gsi4";

    /// The partition and sort key attributes of an index.
    pub fn key_attributes(index: &str) -> (&'static str, &'static str) {
        match index {
            BY_STATUS => ("gsi2pk", "gsi2sk"),
            BY_TYPE => ("gsi3pk", "gsi3sk"),
            CELLS_AND_TERMS => ("gsi4pk", "gsi4sk"),
            _ => ("gsi1pk", "gsi1sk"),
        }
    }
}

/// The sort key of a customer's own record.
pub const PROFILE: &str = "PROFILE";
/// The sort key of a uniqueness claim.
pub const CLAIM: &str = "CLAIM";

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Partition key.
    pub pk: String,
    /// Sort key.
    pub sk: String,
}

impl Key {
    /// The key as the attributes of a `Key` parameter.
    pub fn to_attributes(&self) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (attr::PK.to_owned(), AttributeValue::S(self.pk.clone())),
            (attr::SK.to_owned(), AttributeValue::S(self.sk.clone())),
        ])
    }
}

/// The partition holding a customer and everything stored under it.
pub fn customer_partition(id: CustomerId) -> String {
    format!("CUSTOMER#{id}")
}

/// A customer's own record.
pub fn customer(id: CustomerId) -> Key {
    Key {
        pk: customer_partition(id),
        sk: PROFILE.to_owned(),
    }
}

/// The customer id in a customer partition key, if it is one.
pub fn customer_id_of(pk: &str) -> Option<CustomerId> {
    pk.strip_prefix("CUSTOMER#").and_then(|id| CustomerId::parse(id).ok())
}

/// The claim on an email address (already folded) within a business.
pub fn email_claim(business: BusinessId, folded_email: &str) -> Key {
    Key {
        pk: format!("BUSINESS#{business}#EMAIL#{folded_email}"),
        sk: CLAIM.to_owned(),
    }
}

/// The claim on a platform user within a business.
pub fn user_claim(business: BusinessId, user: UserId) -> Key {
    Key {
        pk: format!("BUSINESS#{business}#USER#{user}"),
        sk: CLAIM.to_owned(),
    }
}

/// The partition of a customer's token balance and movement keys. Apart
/// from the customer's own partition, so that it stays, for accounting, when
/// the customer is deleted or erased.
pub fn tokens_partition(customer: CustomerId) -> String {
    format!("TOKENS#{customer}")
}

/// A customer's token balance.
pub fn token_balance(customer: CustomerId) -> Key {
    Key {
        pk: tokens_partition(customer),
        sk: "BALANCE".to_owned(),
    }
}

/// A movement key of a customer's, pointing at the ledger entry it made.
pub fn token_movement(customer: CustomerId, movement_key: &str) -> Key {
    Key {
        pk: tokens_partition(customer),
        sk: format!("MOVEMENT#{movement_key}"),
    }
}

/// The partition of a customer's token ledger: its entries alone, sorted
/// by `<created_at>#<sequence>`, so a date range is one key condition.
pub fn ledger_partition(customer: CustomerId) -> String {
    format!("TOKEN_LEDGER#{customer}")
}

/// A ledger entry of a customer's.
pub fn ledger_entry(customer: CustomerId, at: Timestamp, sequence: u64) -> Key {
    Key {
        pk: ledger_partition(customer),
        sk: format!("{at}#{sequence:020}"),
    }
}

/// The partition of a customer's outbox events.
pub fn outbox_partition(customer: CustomerId) -> String {
    format!("OUTBOX#{customer}")
}

/// An event in a customer's outbox.
pub fn outbox_event(customer: CustomerId, at: Timestamp, event: EventId) -> Key {
    Key {
        pk: outbox_partition(customer),
        sk: format!("{at}#{event}"),
    }
}

/// The receipt of a customer's erasure.
pub fn erasure_receipt(customer: CustomerId) -> Key {
    Key {
        pk: format!("ERASURE#{customer}"),
        sk: "RECEIPT".to_owned(),
    }
}

/// How many tags and notes a customer has.
pub fn counts(customer: CustomerId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: "COUNTS".to_owned(),
    }
}

/// The kept answer of a request sent with an idempotency key (`key_id`
/// names the business, the caller and the key).
pub fn idempotency_record(key_id: &str) -> Key {
    Key {
        pk: format!("IDEMPOTENCY#{key_id}"),
        sk: "RECORD".to_owned(),
    }
}

/// The pointer from a customer's partition to a kept answer about it.
pub fn idempotency_pointer(customer: CustomerId, key_id: &str) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("IDEMPOTENCY#{key_id}"),
    }
}

/// The tombstone a customer's deletion leaves until its sweep is done.
pub fn tombstone(customer: CustomerId) -> Key {
    Key {
        pk: format!("DELETED#{customer}"),
        sk: "TOMBSTONE".to_owned(),
    }
}

/// The count of one action on one customer in the window starting at `starts_at`.
pub fn rate_window(customer: CustomerId, action: &str, starts_at: i64) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("RATE#{action}#{starts_at}"),
    }
}

/// Sort keys of a customer's tags start with this.
pub const TAG_PREFIX: &str = "TAG#";
/// Sort keys of a customer's notes start with this.
pub const NOTE_PREFIX: &str = "NOTE#";

/// A customer's tag with a label (already folded).
pub fn tag(customer: CustomerId, folded_label: &str) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{TAG_PREFIX}{folded_label}"),
    }
}

/// The copy of a tag kept under its id.
pub fn tag_by_id(id: TagId) -> Key {
    Key {
        pk: format!("{TAG_PREFIX}{id}"),
        sk: "TAG".to_owned(),
    }
}

/// A note about a customer.
pub fn note(customer: CustomerId, id: NoteId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{NOTE_PREFIX}{id}"),
    }
}

/// The prefix of the sort keys of a customer's contacts.
pub const CONTACT_PREFIX: &str = "CONTACT#";

/// A customer's contact.
pub fn contact(customer: CustomerId, id: ContactId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{CONTACT_PREFIX}{id}"),
    }
}

/// The pointer to a contact, under its id.
pub fn contact_by_id(id: ContactId) -> Key {
    Key {
        pk: format!("{CONTACT_PREFIX}{id}"),
        sk: "CONTACT".to_owned(),
    }
}

/// The claim on an email address (already folded) among a customer's contacts.
pub fn contact_email(customer: CustomerId, folded_email: &str) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("CONTACT_EMAIL#{folded_email}"),
    }
}

/// The prefix of the sort keys of a customer's team users.
pub const TEAM_USER_PREFIX: &str = "TEAM_USER#";

/// A user of a customer's team, in the customer's partition.
pub fn team_user(customer: CustomerId, id: TeamUserId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{TEAM_USER_PREFIX}{id}"),
    }
}

/// The claim on an email address (already folded) among a business's team
/// users.
pub fn team_user_email(business: BusinessId, folded_email: &str) -> Key {
    Key {
        pk: format!("BUSINESS#{business}#TEAM_USER_EMAIL#{folded_email}"),
        sk: CLAIM.to_owned(),
    }
}

/// The partition of a business's plans.
pub fn plans_partition(business: BusinessId) -> String {
    format!("BUSINESS#{business}#PLANS")
}

/// A plan of a business.
pub fn plan(business: BusinessId, id: PlanId) -> Key {
    Key {
        pk: plans_partition(business),
        sk: format!("PLAN#{id}"),
    }
}

/// The prefix of the sort keys of a customer's subscriptions.
pub const SUBSCRIPTION_PREFIX: &str = "SUBSCRIPTION#";

/// A subscription of a customer, in the customer's partition.
pub fn subscription(customer: CustomerId, id: SubscriptionId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{SUBSCRIPTION_PREFIX}{id}"),
    }
}

/// The claim of a customer's active subscription: one at most.
pub fn active_subscription(customer: CustomerId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: "ACTIVE_SUBSCRIPTION".to_owned(),
    }
}

/// How many partitions of the due index subscriptions are spread over.
pub const DUE_SHARDS: u8 = 4;

/// The due index's partition a subscription is in (`gsi2pk`).
pub fn due_shard(id: SubscriptionId, shards: u8) -> String {
    due_partition(id.as_uuid().as_bytes()[15] % shards.max(1))
}

/// The due index's partition number `shard`.
pub fn due_partition(shard: u8) -> String {
    format!("SUBSCRIPTIONS_DUE#{shard}")
}

/// A subscription's place in the due index (`gsi2sk`): its period's end.
pub fn due_order(end: Timestamp, id: SubscriptionId) -> String {
    format!("{end}#{id}")
}

/// The prefix of the sort keys of a customer's orders.
pub const ORDER_PREFIX: &str = "ORDER#";

/// A customer's order.
pub fn order(customer: CustomerId, id: &OrderId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{ORDER_PREFIX}{id}"),
    }
}

/// The index partition of a customer's orders.
pub fn customer_orders(customer: CustomerId) -> String {
    format!("CUSTOMER#{customer}#ORDERS")
}

/// An order's place in its customer's history: `<placed_at>#<order_id>`.
pub fn order_history(placed: Timestamp, id: &OrderId) -> String {
    format!("{placed}#{id}")
}

/// The prefix of the sort keys of a customer's interactions.
pub const INTERACTION_PREFIX: &str = "INTERACTION#";

/// A customer's interaction.
pub fn interaction(customer: CustomerId, id: InteractionId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{INTERACTION_PREFIX}{id}"),
    }
}

/// Whether `key` is an interaction's, in its customer's partition.
pub fn is_interaction(key: &Key) -> bool {
    key.pk.starts_with("CUSTOMER#") && key.sk.starts_with(INTERACTION_PREFIX)
}

/// The pointer to an interaction, under its id.
pub fn interaction_by_id(id: InteractionId) -> Key {
    Key {
        pk: format!("{INTERACTION_PREFIX}{id}"),
        sk: "INTERACTION".to_owned(),
    }
}

/// `gsi1pk` of a customer's interactions: its timeline.
pub fn customer_interactions(customer: CustomerId) -> String {
    format!("CUSTOMER#{customer}#INTERACTIONS")
}

/// An interaction's place in its customer's timeline: `<occurred_at>#<id>`.
pub fn timeline_order(at: Timestamp, id: InteractionId) -> String {
    format!("{at}#{id}")
}

/// `gsi2pk` of a business's interactions of one UTC day.
pub fn interaction_day(business: BusinessId, day: Day) -> String {
    format!("BUSINESS#{business}#INTERACTIONS#{day}")
}

/// `gsi3pk` of a business's interactions of one UTC day and one type.
pub fn interaction_day_of_type(business: BusinessId, day: Day, kind: InteractionType) -> String {
    format!("BUSINESS#{business}#INTERACTIONS#{day}#{kind}")
}

/// An interaction's place in its day: `<occurred_at>#<customer_id>#<id>`.
pub fn day_order(at: Timestamp, customer: CustomerId, id: InteractionId) -> String {
    format!("{at}#{customer}#{id}")
}

/// The counters of a business's interactions of one UTC day, in the
/// partition of its month.
pub fn business_interaction_tally(business: BusinessId, day: Day) -> Key {
    Key {
        pk: business_tally_month(business, &day.month()),
        sk: day.to_string(),
    }
}

/// The partition of a business's daily interaction counters of one month
/// (`YYYY-MM`).
pub fn business_tally_month(business: BusinessId, month: &str) -> String {
    format!("BUSINESS#{business}#INTERACTION_STATS#{month}")
}

/// The prefix of the sort keys of a customer's daily interaction counters.
pub const INTERACTION_DAY_PREFIX: &str = "INTERACTION_DAY#";

/// The counters of a customer's interactions of one UTC day.
pub fn customer_interaction_tally(customer: CustomerId, day: Day) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{INTERACTION_DAY_PREFIX}{day}"),
    }
}

/// One of an interaction's search terms.
pub fn interaction_term(customer: CustomerId, interaction: InteractionId, term: &str) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("INTERACTION_TERM#{interaction}#{term}"),
    }
}

/// The shard, of [`TERM_SHARDS`], an interaction's terms fall in.
pub fn interaction_shard(interaction: InteractionId) -> u32 {
    shard_of_uuid(interaction.as_uuid(), TERM_SHARDS)
}

/// `gsi4pk` of the interaction terms of a business starting as `prefix`
/// does, in one shard.
pub fn interaction_term_bucket(business: BusinessId, prefix: &str, shard: u32) -> String {
    let head: String = prefix.chars().take(3).collect();
    format!("BUSINESS#{business}#INTERACTION_TERM#{head}#{shard}")
}

/// `gsi4sk` of an interaction's search term.
pub fn interaction_term_order(term: &str, customer: CustomerId, interaction: InteractionId) -> String {
    format!("{term}#{customer}#{interaction}")
}

/// The prefix of the sort keys of a customer's places on static lists.
pub const LIST_PREFIX: &str = "LIST#";

/// The sort key of an import or export job.
pub const TRANSFER_SK: &str = "TRANSFER";
/// The prefix of the sort keys of an import's row outcomes.
pub const TRANSFER_LINE_PREFIX: &str = "LINE#";

/// An import or export job of a business, in its own partition.
pub fn transfer(business: BusinessId, id: TransferId) -> Key {
    Key {
        pk: format!("BUSINESS#{business}#TRANSFER#{id}"),
        sk: TRANSFER_SK.to_owned(),
    }
}

/// What became of the row at `line` of an import, beside its job.
pub fn transfer_outcome(business: BusinessId, id: TransferId, line: u64) -> Key {
    Key {
        pk: transfer(business, id).pk,
        sk: format!("{TRANSFER_LINE_PREFIX}{line:020}"),
    }
}

/// The partition of a business's saved segments.
pub fn saved_segments_partition(business: BusinessId) -> String {
    format!("BUSINESS#{business}#SAVED_SEGMENTS")
}

/// A saved segment.
pub fn saved_segment(business: BusinessId, id: SegmentId) -> Key {
    Key {
        pk: saved_segments_partition(business),
        sk: format!("SEGMENT#{id}"),
    }
}

/// How many segments a business has saved.
pub fn saved_segments_count(business: BusinessId) -> Key {
    Key {
        pk: saved_segments_partition(business),
        sk: "COUNT".to_owned(),
    }
}

/// The claim on a saved segment's name (already folded) within a business.
pub fn segment_name_claim(business: BusinessId, folded_name: &str) -> Key {
    Key {
        pk: format!("BUSINESS#{business}#SEGMENT_NAME#{folded_name}"),
        sk: CLAIM.to_owned(),
    }
}

/// A customer's place on a static list.
pub fn list_member(customer: CustomerId, list: SegmentId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{LIST_PREFIX}{list}"),
    }
}

/// The index partition of a static list's members.
pub fn business_list(business: BusinessId, list: SegmentId) -> String {
    format!("BUSINESS#{business}#LIST#{list}")
}

/// The marker of a fact counted in a customer's statistics.
pub fn fact(customer: CustomerId, kind: &str, id: &str) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("FACT#{kind}#{id}"),
    }
}

/// `gsi1pk` of a tag: a business's customers with a label (already folded).
pub fn business_tag(business: BusinessId, folded_label: &str) -> String {
    format!("BUSINESS#{business}#TAG#{folded_label}")
}

/// An external system's client.
pub fn client(id: ClientId) -> Key {
    Key {
        pk: format!("CLIENT#{id}"),
        sk: "CLIENT".to_owned(),
    }
}

/// `gsi1pk`: all of a business's customers.
pub fn business_customers(business: BusinessId) -> String {
    format!("BUSINESS#{business}#CUSTOMERS")
}

/// `gsi2pk`: a business's customers in one status.
pub fn business_status(business: BusinessId, status: CustomerStatus) -> String {
    format!("BUSINESS#{business}#STATUS#{status}")
}

/// `gsi3pk`: a business's customers of one type.
pub fn business_type(business: BusinessId, customer_type: CustomerType) -> String {
    format!("BUSINESS#{business}#TYPE#{customer_type}")
}

/// `gsi4pk` of a customer: a business's customers in one status and of one type.
pub fn business_cell(business: BusinessId, status: CustomerStatus, customer_type: CustomerType) -> String {
    format!("BUSINESS#{business}#CELL#{status}#{customer_type}")
}

/// Sort keys of a customer's search terms start with this.
pub const TERM_PREFIX: &str = "TERM#";

/// One of a customer's search terms.
pub fn search_term(customer: CustomerId, term: &str) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{TERM_PREFIX}{term}"),
    }
}

/// Shards of a business's search terms: a term most of a business shares
/// is spread over this many index partitions.
pub const TERM_SHARDS: u32 = 4;
/// Shards of a business's segment counts: concurrent creates in one
/// business mostly update different items (and retry when they meet).
pub const SEGMENT_SHARDS: u32 = 16;

/// The shard, of `shards`, that a customer's items fall in.
pub fn shard_of(customer: CustomerId, shards: u32) -> u32 {
    shard_of_uuid(customer.as_uuid(), shards)
}

fn shard_of_uuid(id: uuid::Uuid, shards: u32) -> u32 {
    u32::from(id.into_bytes()[15]) % shards.max(1)
}

/// `gsi4pk` of the terms of a business starting as `prefix` does (its
/// namespace and first character), in one shard.
pub fn term_bucket(business: BusinessId, prefix: &str, shard: u32) -> String {
    let head: String = prefix.chars().take(3).collect();
    format!("BUSINESS#{business}#TERM#{head}#{shard}")
}

/// `gsi4sk` of a search term.
pub fn term_order(term: &str, customer: CustomerId) -> String {
    format!("{term}#{customer}")
}

/// The prefix of the sort keys of a contact's search terms, in its
/// customer's partition.
pub fn contact_terms_prefix(contact: ContactId) -> String {
    format!("CONTACT_TERM#{contact}#")
}

/// One of a contact's search terms.
pub fn contact_term(customer: CustomerId, contact: ContactId, term: &str) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: format!("{}{term}", contact_terms_prefix(contact)),
    }
}

/// The shard, of [`TERM_SHARDS`], a contact's terms fall in.
pub fn contact_shard(contact: ContactId) -> u32 {
    shard_of_uuid(contact.as_uuid(), TERM_SHARDS)
}

/// `gsi4pk` of the contact terms of a business starting as `prefix` does,
/// in one shard: beside the customers' terms, never among them.
pub fn contact_term_bucket(business: BusinessId, prefix: &str, shard: u32) -> String {
    let head: String = prefix.chars().take(3).collect();
    format!("BUSINESS#{business}#CONTACT_TERM#{head}#{shard}")
}

/// `gsi4sk` of a contact's search term.
pub fn contact_term_order(term: &str, customer: CustomerId, contact: ContactId) -> String {
    format!("{term}#{customer}#{contact}")
}

/// The marker saying which segment cell a customer is counted in.
pub fn segment_membership(customer: CustomerId) -> Key {
    Key {
        pk: customer_partition(customer),
        sk: "SEGMENT".to_owned(),
    }
}

/// One shard of a business's segment counts.
pub fn segment_counts(business: BusinessId, shard: u32) -> Key {
    Key {
        pk: segment_counts_partition(business),
        sk: format!("SHARD#{shard}"),
    }
}

/// The partition of a business's segment counts.
pub fn segment_counts_partition(business: BusinessId) -> String {
    format!("BUSINESS#{business}#SEGMENTS")
}

/// The index sort key: newest first when read backwards.
pub fn created_order(created_at: Timestamp, id: CustomerId) -> String {
    format!("{created_at}#{id}")
}

/// The parts of an index sort key, if it is one.
pub fn parse_created_order(sort_key: &str) -> Option<(Timestamp, CustomerId)> {
    let (at, id) = sort_key.rsplit_once('#')?;
    Some((Timestamp::parse(at).ok()?, CustomerId::parse(id).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_order_round_trips() {
        let at = Timestamp::now();
        let id = CustomerId::random();
        assert_eq!(parse_created_order(&created_order(at, id)), Some((at, id)));
        assert_eq!(parse_created_order("garbage"), None);
        assert_eq!(parse_created_order("2026-01-01T00:00:00.000000Z#not-an-id"), None);
    }

    #[test]
    fn claims_of_different_businesses_never_collide() {
        let (a, b) = (BusinessId::random(), BusinessId::random());
        assert_ne!(email_claim(a, "x@example.com"), email_claim(b, "x@example.com"));
        let user = UserId::random();
        assert_ne!(user_claim(a, user), user_claim(b, user));
    }

    #[test]
    fn a_customer_partition_names_its_customer() {
        let id = CustomerId::random();
        assert_eq!(customer_id_of(&customer(id).pk), Some(id));
        assert_eq!(customer_id_of("OUTBOX#x"), None);
    }
}
