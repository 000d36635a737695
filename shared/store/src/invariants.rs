//! What must hold of the whole table, whatever happened to it: checked
//! after load and fault runs, and by `clientele check` against any table.
//!
//! - every customer holds the claims on its email and platform user, and
//!   every claim points at a customer that holds it;
//! - every tag on a customer has its copy by id, and every copy its tag;
//! - every customer's counts equal a recount of its tags, notes and contacts;
//! - every contact has its pointer by id, and a claim on each of its emails;
//!   every pointer and claim names a contact that has them;
//! - every customer's search terms are those its record has, and it has
//!   its place in the status-and-type index;
//! - every customer is counted once, in its own segment cell, and each
//!   business's segment counts equal its customers counted in each cell;
//! - every change in the audit trail has its event in the outbox (while the
//!   outbox keeps events);
//! - every team user holds the claim on its email in its business, every
//!   such claim names a user that holds it, and each customer's count of
//!   team users is right;
//! - every active subscription holds its customer's claim of one, and
//!   every such claim names an active subscription of the customer;
//! - every token balance is at or above zero and equals the sum of its
//!   ledger, whose entries run 1, 2, 3... each with the balance after it,
//!   and every movement key names an entry of the ledger that records it;
//! - nothing lies under a customer that is gone, unless its tombstone says a
//!   sweep is still to come;
//! - no item is of a kind this version does not know.
//!
//! The check reads the table with one consistent scan; it is meant for a
//! quiet table (changes made while it runs may be reported).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use clientele_core::{BusinessId, StoreError, Timestamp, UserId};

use crate::DynamoStore;
use crate::errors::classify;
use clientele_core::search;

use crate::items::{Item, OUTBOX_RETENTION_SECONDS, customer_from, entity, from_item};
use crate::keys::{self, attr};
use crate::segments::{cell_attribute, cell_named};

/// Events older than this are not looked for: the outbox may have let them
/// expire.
const OUTBOX_MARGIN_SECONDS: i64 = 3_600;

/// One thing that does not hold, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation(pub String);

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every kind of item this version writes.
pub const KNOWN_KINDS: &[&str] = &[
    entity::CUSTOMER,
    entity::EMAIL_CLAIM,
    entity::USER_CLAIM,
    entity::EVENT,
    entity::RATE_WINDOW,
    entity::CLIENT,
    entity::TAG,
    entity::TAG_BY_ID,
    entity::NOTE,
    entity::FACT,
    entity::COUNTS,
    entity::TOMBSTONE,
    entity::AUDIT,
    crate::gdpr::RECEIPT,
    crate::budget::BUDGET,
    crate::idempotency::RECORD,
    crate::idempotency::POINTER,
    crate::migrations::STATE_ENTITY,
    entity::SEARCH_TERM,
    entity::SEGMENT_MEMBERSHIP,
    entity::SEGMENT_COUNTS,
    entity::SAVED_SEGMENT,
    entity::SAVED_SEGMENTS_COUNT,
    entity::SEGMENT_NAME_CLAIM,
    entity::LIST_MEMBER,
    entity::ORDER,
    entity::CONTACT,
    entity::CONTACT_BY_ID,
    entity::CONTACT_EMAIL_CLAIM,
    entity::CONTACT_TERM,
    entity::INTERACTION,
    entity::INTERACTION_BY_ID,
    entity::INTERACTION_TERM,
    entity::INTERACTION_DAY,
    entity::INTERACTION_STATS,
    entity::TOKEN_BALANCE,
    entity::LEDGER_ENTRY,
    entity::TOKEN_MOVEMENT,
    entity::TEAM_USER,
    entity::TEAM_USER_EMAIL_CLAIM,
    entity::PLAN,
    entity::SUBSCRIPTION,
    entity::ACTIVE_SUBSCRIPTION,
    entity::TRANSFER,
    entity::TRANSFER_OUTCOME,
];

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name).and_then(|v| v.as_s().ok()).map_or("", String::as_str)
}

/// The claims a customer's record must hold: (the claim's pk, its kind).
fn claims_of(customer: &Item) -> Option<[(String, &'static str); 2]> {
    let business = BusinessId::parse(text(customer, "business_id")).ok()?;
    let user = UserId::parse(text(customer, "user_id")).ok()?;
    let email = clientele_core::text::fold(text(customer, "email"));
    Some([
        (keys::email_claim(business, &email).pk, entity::EMAIL_CLAIM),
        (keys::user_claim(business, user).pk, entity::USER_CLAIM),
    ])
}

fn number(item: &Item, name: &str) -> u64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// What the scan found, by kind.
#[derive(Default)]
struct Table {
    /// Customer id -> its record.
    customers: HashMap<String, Item>,
    /// Claim key (pk) -> the customer it points at, and its kind.
    claims: BTreeMap<String, (String, String)>,
    /// Tag id -> (customer id, pk and sk of the tag on its customer).
    tags: BTreeMap<String, (String, String)>,
    /// Tag id -> the customer id its copy names.
    copies: BTreeMap<String, String>,
    /// Customer id -> (tags, notes) recounted.
    recount: HashMap<String, (u64, u64)>,
    /// Customer id -> (tags, notes) as its counts item says.
    counts: HashMap<String, (u64, u64)>,
    /// Customer id -> its contacts recounted, and as its counts item says.
    contact_counts: HashMap<String, (u64, u64)>,
    /// Contact id -> (customer id, its emails folded).
    contacts: BTreeMap<String, (String, BTreeSet<String>)>,
    /// Contact id -> the customer id its pointer names.
    contact_pointers: BTreeMap<String, String>,
    /// (customer id, email folded) -> the contact its claim names.
    contact_claims: BTreeMap<(String, String), String>,
    /// Contact id -> the search terms its record gives, with their index partitions.
    contact_terms_wanted: BTreeMap<String, BTreeMap<String, String>>,
    /// Contact id -> its search terms stored, with their index partitions.
    contact_terms: BTreeMap<String, BTreeMap<String, String>>,
    /// Customer ids with a tombstone.
    tombstones: BTreeSet<String>,
    /// Outbox keys (pk, sk).
    outbox: BTreeSet<(String, String)>,
    /// (customer id, at, event id) of each audit entry.
    audit: Vec<(String, String, String)>,
    /// Customer partitions holding items other than the record: id -> a kind found.
    children: BTreeMap<String, String>,
    /// Items of kinds this version does not write: kind -> one key.
    unknown: BTreeMap<String, String>,
    /// Customer id -> its search terms, each with its index partition.
    terms: HashMap<String, BTreeMap<String, String>>,
    /// Customer id -> (business, cell) its segment marker names.
    markers: HashMap<String, (String, String)>,
    /// (business, cell) -> the count its shards add up to.
    segment_counts: BTreeMap<(String, String), i64>,
    /// (business, segment id) -> the saved segment's name, folded.
    saved: BTreeMap<(String, String), String>,
    /// Business -> how many saved segments its count says it keeps.
    saved_counts: BTreeMap<String, u64>,
    /// (business, folded name) -> the saved segment its claim names.
    name_claims: BTreeMap<(String, String), String>,
    /// What the interactions stored add up to, and what is stored of them.
    interactions: InteractionTables,
    /// The token balances, ledgers and movement keys.
    tokens: TokenTables,
    /// The team users and their email claims.
    team: TeamTables,
    /// Customer id -> its active subscriptions.
    active_subscriptions: BTreeMap<String, BTreeSet<String>>,
    /// Customer id -> the subscription its claim names.
    subscription_claims: BTreeMap<String, String>,
}

/// The team users, their email claims and counts.
#[derive(Default)]
struct TeamTables {
    /// User id -> (customer id, the key of the claim its email needs).
    users: BTreeMap<String, (String, String)>,
    /// Claim key (pk) -> the user it names.
    claims: BTreeMap<String, String>,
    /// Customer id -> (users held, as its counts item says).
    counts: BTreeMap<String, (u64, u64)>,
}

impl TeamTables {
    fn add(&mut self, kind: &str, item: Item, owner: Option<&String>) {
        match kind {
            entity::TEAM_USER => {
                let id = text(&item, "id").to_owned();
                let customer = text(&item, attr::CUSTOMER_ID).to_owned();
                self.counts.entry(customer.clone()).or_default().0 += 1;
                let claim = crate::team_users::claim_of(&item).map(|k| k.pk).unwrap_or_default();
                self.users.insert(id, (customer, claim));
            }
            entity::TEAM_USER_EMAIL_CLAIM => {
                self.claims
                    .insert(text(&item, attr::PK).to_owned(), text(&item, "user_id").to_owned());
            }
            entity::COUNTS => {
                if let Some(id) = owner {
                    self.counts.entry(id.clone()).or_default().1 = number(&item, "team_users");
                }
            }
            _ => {}
        }
    }

    fn violations(&self, customers: &HashMap<String, Item>, say: &mut impl FnMut(String)) {
        for (id, (customer, claim)) in &self.users {
            match self.claims.get(claim) {
                Some(holder) if holder == id => {}
                Some(holder) => say(format!(
                    "team user {id} (customer {customer}): its email claim names user {holder}"
                )),
                None => say(format!(
                    "team user {id} (customer {customer}): the claim on its email is missing"
                )),
            }
        }
        for (claim, holder) in &self.claims {
            if self.users.get(holder).is_none_or(|(_, wanted)| wanted != claim) {
                say(format!(
                    "the team user email claim {claim} names user {holder}, who does not hold it"
                ));
            }
        }
        for (customer, (held, counted)) in &self.counts {
            if held != counted && customers.contains_key(customer) {
                say(format!("customer {customer}: counts {counted} team users, has {held}"));
            }
        }
    }
}

/// The token balances and what their ledgers add up to.
#[derive(Default)]
struct TokenTables {
    /// Customer id -> (balance, sequence) as its balance item says.
    balances: BTreeMap<String, (i64, u64)>,
    /// Customer id -> its ledger's entries: sequence -> (amount, balance
    /// after, movement key).
    ledgers: BTreeMap<String, BTreeMap<u64, (i64, i64, String)>>,
    /// (customer id, movement key) -> the sequence it names.
    movements: BTreeMap<(String, String), u64>,
}

impl TokenTables {
    fn add(&mut self, kind: &str, item: &Item) {
        let customer = text(item, attr::CUSTOMER_ID).to_owned();
        let signed = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
                .unwrap_or(i64::MIN)
        };
        match kind {
            entity::TOKEN_BALANCE => {
                self.balances
                    .insert(customer, (signed("balance"), number(item, "sequence")));
            }
            entity::LEDGER_ENTRY => {
                let entry = (
                    signed("amount"),
                    signed("balance_after"),
                    text(item, "movement_key").to_owned(),
                );
                self.ledgers
                    .entry(customer)
                    .or_default()
                    .insert(number(item, "sequence"), entry);
            }
            entity::TOKEN_MOVEMENT => {
                let key = (customer, text(item, "movement_key").to_owned());
                self.movements.insert(key, number(item, "sequence"));
            }
            _ => {}
        }
    }

    fn violations(&self, say: &mut impl FnMut(String)) {
        let empty = BTreeMap::new();
        let customers: BTreeSet<&String> = self.balances.keys().chain(self.ledgers.keys()).collect();
        for customer in customers {
            let ledger = self.ledgers.get(customer).unwrap_or(&empty);
            let (balance, sequence) = self.balances.get(customer).copied().unwrap_or((0, 0));
            if balance < 0 {
                say(format!(
                    "customer {customer}: its token balance is {balance}, below zero"
                ));
            }
            let mut running = 0i64;
            for (expected, (sequence, (amount, after, key))) in (1u64..).zip(ledger) {
                if *sequence != expected {
                    say(format!(
                        "customer {customer}: ledger entry {sequence} comes where {expected} should"
                    ));
                    break;
                }
                running = running.saturating_add(*amount);
                if running != *after {
                    say(format!(
                        "customer {customer}: ledger entry {sequence} says {after} after it, the entries add up to {running}"
                    ));
                }
                if self.movements.get(&(customer.clone(), key.clone())) != Some(sequence) {
                    say(format!(
                        "customer {customer}: ledger entry {sequence}'s movement key {key} does not name it"
                    ));
                }
            }
            let last = ledger.keys().next_back().copied().unwrap_or(0);
            if running != balance || last != sequence {
                say(format!(
                    "customer {customer}: its balance says {balance} after entry {sequence}, its ledger adds up to {running} after entry {last}"
                ));
            }
        }
        for ((customer, key), sequence) in &self.movements {
            if !self.ledgers.get(customer).is_some_and(|l| l.contains_key(sequence)) {
                say(format!(
                    "customer {customer}: movement key {key} names ledger entry {sequence}, which is not there"
                ));
            }
        }
    }
}

/// The interactions, and what their counters, pointers, terms and counts
/// must hold.
#[derive(Default)]
struct InteractionTables {
    /// Interaction id -> its customer, and the terms it must have (with
    /// their index partitions).
    held: BTreeMap<String, (String, BTreeMap<String, String>)>,
    /// Interaction id -> the customer its pointer names.
    pointers: BTreeMap<String, String>,
    /// Interaction id -> its terms stored.
    terms: BTreeMap<String, BTreeMap<String, String>>,
    /// Counters item (pk, sk) -> each counter, recounted from the interactions.
    recounted: BTreeMap<(String, String), BTreeMap<String, i64>>,
    /// Counters item (pk, sk) -> each counter as stored.
    stored: BTreeMap<(String, String), BTreeMap<String, i64>>,
    /// Customer id -> (interactions held, as its counts item says).
    counts: BTreeMap<String, (u64, u64)>,
}

impl InteractionTables {
    fn add(&mut self, kind: &str, item: Item, owner: Option<&String>) {
        let key = (text(&item, attr::PK).to_owned(), text(&item, attr::SK).to_owned());
        match kind {
            entity::INTERACTION => {
                let id = text(&item, "id").to_owned();
                let Ok(stored) = from_item::<crate::interactions::InteractionItem>(item) else {
                    self.held.insert(id, (String::new(), BTreeMap::new()));
                    return;
                };
                let interaction = stored.interaction;
                let customer = interaction.customer_id.to_string();
                self.counts.entry(customer.clone()).or_default().0 += 1;
                let day = interaction.day();
                let tally = interaction.tally();
                let (count, duration) =
                    clientele_core::interaction::counter_names(interaction.interaction_type, interaction.direction);
                for counters in [
                    keys::business_interaction_tally(interaction.business_id, day),
                    keys::customer_interaction_tally(interaction.customer_id, day),
                ] {
                    let recount = self.recounted.entry((counters.pk, counters.sk)).or_default();
                    *recount.entry(count.clone()).or_default() += i64::try_from(tally.count).unwrap_or(i64::MAX);
                    *recount.entry(duration.clone()).or_default() +=
                        i64::try_from(tally.duration_seconds).unwrap_or(i64::MAX);
                }
                let shard = keys::interaction_shard(interaction.id);
                let wanted = search::interaction_terms(&interaction)
                    .into_iter()
                    .map(|term| {
                        let bucket = keys::interaction_term_bucket(interaction.business_id, &term, shard);
                        (term, bucket)
                    })
                    .collect();
                self.held.insert(id, (customer, wanted));
            }
            entity::INTERACTION_BY_ID => {
                self.pointers.insert(
                    text(&item, "interaction_id").to_owned(),
                    text(&item, attr::CUSTOMER_ID).to_owned(),
                );
            }
            entity::INTERACTION_TERM => {
                self.terms
                    .entry(text(&item, "interaction_id").to_owned())
                    .or_default()
                    .insert(text(&item, "term").to_owned(), text(&item, "gsi4pk").to_owned());
            }
            entity::INTERACTION_DAY | entity::INTERACTION_STATS => {
                let counters = item
                    .iter()
                    .filter(|(name, _)| clientele_core::interaction::counter_of(name).is_some())
                    .filter_map(|(name, value)| Some((name.clone(), value.as_n().ok()?.parse::<i64>().ok()?)))
                    .collect();
                self.stored.insert(key, counters);
            }
            entity::COUNTS => {
                if let Some(id) = owner {
                    self.counts.entry(id.clone()).or_default().1 = number(&item, "interactions");
                }
            }
            _ => {}
        }
    }

    /// Each interaction has its pointer and terms, each pointer and term
    /// names one, every daily counter is what the interactions add up to,
    /// and each customer's count is its interactions'.
    fn violations(&self, customers: &HashMap<String, Item>, say: &mut impl FnMut(String)) {
        for (id, (customer, wanted)) in &self.held {
            if customer.is_empty() {
                say(format!("interaction {id}: its record cannot be read"));
                continue;
            }
            match self.pointers.get(id) {
                Some(named) if named == customer => {}
                Some(named) => say(format!("interaction {id}: its pointer names customer {named}")),
                None => say(format!("interaction {id}: its pointer by id is missing")),
            }
            let stored = self.terms.get(id).cloned().unwrap_or_default();
            if &stored != wanted {
                say(format!("interaction {id}: its search terms are not its record's"));
            }
        }
        for (id, customer) in &self.pointers {
            if !self.held.contains_key(id) {
                say(format!(
                    "the pointer to interaction {id} (customer {customer}) names no such interaction"
                ));
            }
        }
        for id in self.terms.keys() {
            if !self.held.contains_key(id) {
                say(format!("search terms name interaction {id}, which is not there"));
            }
        }
        let nonzero = |counters: Option<&BTreeMap<String, i64>>| -> BTreeMap<String, i64> {
            counters
                .map(|c| {
                    c.iter()
                        .filter(|(_, n)| **n != 0)
                        .map(|(k, n)| (k.clone(), *n))
                        .collect()
                })
                .unwrap_or_default()
        };
        let places: BTreeSet<&(String, String)> = self.recounted.keys().chain(self.stored.keys()).collect();
        for place in places {
            let (recounted, stored) = (nonzero(self.recounted.get(place)), nonzero(self.stored.get(place)));
            if recounted != stored {
                say(format!(
                    "interaction counters {} {}: hold {stored:?}, the interactions add up to {recounted:?}",
                    place.0, place.1
                ));
            }
        }
        for (customer, (held, counted)) in &self.counts {
            if held != counted && customers.contains_key(customer) {
                say(format!(
                    "customer {customer}: counts {counted} interactions, has {held}"
                ));
            }
        }
    }
}

impl Table {
    fn add(&mut self, item: Item) {
        let kind = text(&item, attr::ENTITY).to_owned();
        let (pk, sk) = (text(&item, attr::PK).to_owned(), text(&item, attr::SK).to_owned());
        let owner = keys::customer_id_of(&pk).map(|id| id.to_string());
        if let Some(id) = &owner
            && kind != entity::CUSTOMER
        {
            self.children.entry(id.clone()).or_insert_with(|| kind.clone());
        }
        if matches!(
            kind.as_str(),
            entity::INTERACTION
                | entity::INTERACTION_BY_ID
                | entity::INTERACTION_TERM
                | entity::INTERACTION_DAY
                | entity::INTERACTION_STATS
        ) {
            self.interactions.add(&kind, item, owner.as_ref());
            return;
        }
        if kind == entity::COUNTS {
            self.interactions.add(&kind, item.clone(), owner.as_ref());
        }
        if kind == entity::SUBSCRIPTION && text(&item, "status") == "active" {
            self.active_subscriptions
                .entry(text(&item, attr::CUSTOMER_ID).to_owned())
                .or_default()
                .insert(text(&item, "id").to_owned());
        }
        if kind == entity::ACTIVE_SUBSCRIPTION {
            self.subscription_claims.insert(
                text(&item, attr::CUSTOMER_ID).to_owned(),
                text(&item, "subscription_id").to_owned(),
            );
        }
        if matches!(kind.as_str(), entity::TEAM_USER | entity::TEAM_USER_EMAIL_CLAIM) {
            self.team.add(&kind, item, owner.as_ref());
            return;
        }
        if kind == entity::COUNTS {
            self.team.add(&kind, item.clone(), owner.as_ref());
        }
        if matches!(
            kind.as_str(),
            entity::TOKEN_BALANCE | entity::LEDGER_ENTRY | entity::TOKEN_MOVEMENT
        ) {
            self.tokens.add(&kind, &item);
            return;
        }
        match kind.as_str() {
            entity::CUSTOMER => {
                self.customers.insert(text(&item, "id").to_owned(), item);
            }
            entity::EMAIL_CLAIM | entity::USER_CLAIM => {
                self.claims
                    .insert(pk, (text(&item, attr::CUSTOMER_ID).to_owned(), kind));
            }
            entity::TAG => {
                let customer = text(&item, attr::CUSTOMER_ID).to_owned();
                self.recount.entry(customer.clone()).or_default().0 += 1;
                self.tags
                    .insert(text(&item, "id").to_owned(), (customer, format!("{pk} {sk}")));
            }
            entity::TAG_BY_ID => {
                self.copies
                    .insert(text(&item, "id").to_owned(), text(&item, attr::CUSTOMER_ID).to_owned());
            }
            entity::NOTE => {
                self.recount
                    .entry(text(&item, attr::CUSTOMER_ID).to_owned())
                    .or_default()
                    .1 += 1;
            }
            entity::COUNTS => {
                if let Some(id) = owner {
                    self.counts
                        .insert(id.clone(), (number(&item, "tags"), number(&item, "notes")));
                    self.contact_counts.entry(id).or_default().1 = number(&item, "contacts");
                }
            }
            entity::TOMBSTONE => {
                if let Some(id) = pk.strip_prefix("DELETED#") {
                    self.tombstones.insert(id.to_owned());
                }
            }
            entity::EVENT => {
                self.outbox.insert((pk, sk));
            }
            entity::AUDIT => {
                if let Some(id) = owner {
                    let entry = (id, text(&item, "at").to_owned(), text(&item, "event_id").to_owned());
                    self.audit.push(entry);
                }
            }
            entity::SEARCH_TERM => {
                if let Some(id) = owner {
                    let term = (text(&item, "term").to_owned(), text(&item, "gsi4pk").to_owned());
                    self.terms.entry(id).or_default().insert(term.0, term.1);
                }
            }
            entity::SEGMENT_MEMBERSHIP => {
                if let Some(id) = owner {
                    let cell = (text(&item, "business_id").to_owned(), text(&item, "cell").to_owned());
                    self.markers.insert(id, cell);
                }
            }
            entity::SEGMENT_COUNTS => {
                let business = pk
                    .strip_prefix("BUSINESS#")
                    .and_then(|rest| rest.strip_suffix("#SEGMENTS"));
                for (name, value) in &item {
                    let count = value.as_n().ok().and_then(|n| n.parse::<i64>().ok());
                    if let (Some(business), Some(count)) = (business, count) {
                        *self
                            .segment_counts
                            .entry((business.to_owned(), name.clone()))
                            .or_default() += count;
                    }
                }
            }
            entity::SAVED_SEGMENT => {
                let key = (text(&item, "business_id").to_owned(), text(&item, "id").to_owned());
                self.saved.insert(key, clientele_core::text::fold(text(&item, "name")));
            }
            entity::SAVED_SEGMENTS_COUNT => {
                if let Some(business) = pk
                    .strip_prefix("BUSINESS#")
                    .and_then(|r| r.strip_suffix("#SAVED_SEGMENTS"))
                {
                    self.saved_counts.insert(business.to_owned(), number(&item, "saved"));
                }
            }
            entity::SEGMENT_NAME_CLAIM => {
                if let Some((business, name)) = pk
                    .strip_prefix("BUSINESS#")
                    .and_then(|r| r.split_once("#SEGMENT_NAME#"))
                {
                    let key = (business.to_owned(), name.to_owned());
                    self.name_claims.insert(key, text(&item, "segment_id").to_owned());
                }
            }
            entity::CONTACT => {
                let customer = text(&item, attr::CUSTOMER_ID).to_owned();
                self.contact_counts.entry(customer.clone()).or_default().0 += 1;
                let emails = item
                    .get("emails")
                    .and_then(|v| v.as_l().ok())
                    .map(|list| {
                        list.iter()
                            .filter_map(|e| e.as_m().ok()?.get("address")?.as_s().ok())
                            .map(|a| clientele_core::text::fold(a))
                            .collect()
                    })
                    .unwrap_or_default();
                let id = text(&item, "id").to_owned();
                let wanted = match from_item::<crate::contacts::ContactItem>(item) {
                    Ok(stored) => search::contact_terms(&stored.contact)
                        .into_iter()
                        .map(|term| {
                            let shard = keys::contact_shard(stored.contact.id);
                            let bucket = keys::contact_term_bucket(stored.contact.business_id, &term, shard);
                            (term, bucket)
                        })
                        .collect(),
                    Err(_) => BTreeMap::from([("(the record cannot be read)".to_owned(), String::new())]),
                };
                self.contact_terms_wanted.insert(id.clone(), wanted);
                self.contacts.insert(id, (customer, emails));
            }
            entity::CONTACT_TERM => {
                let term = (text(&item, "term").to_owned(), text(&item, "gsi4pk").to_owned());
                self.contact_terms
                    .entry(text(&item, "contact_id").to_owned())
                    .or_default()
                    .insert(term.0, term.1);
            }
            entity::CONTACT_BY_ID => {
                self.contact_pointers.insert(
                    text(&item, "contact_id").to_owned(),
                    text(&item, attr::CUSTOMER_ID).to_owned(),
                );
            }
            entity::CONTACT_EMAIL_CLAIM => {
                if let Some(email) = sk.strip_prefix("CONTACT_EMAIL#") {
                    let key = (text(&item, attr::CUSTOMER_ID).to_owned(), email.to_owned());
                    self.contact_claims.insert(key, text(&item, "contact_id").to_owned());
                }
            }
            other if !KNOWN_KINDS.contains(&other) => {
                self.unknown.entry(other.to_owned()).or_insert(format!("{pk} {sk}"));
            }
            _ => {}
        }
    }

    fn violations(&self, now: Timestamp) -> Vec<Violation> {
        let mut found = Vec::new();
        let mut say = |text: String| found.push(Violation(text));
        for (id, customer) in &self.customers {
            let Some(expected) = claims_of(customer) else {
                say(format!("customer {id}: its record names no valid business or user"));
                continue;
            };
            for (claim, kind) in expected {
                match self.claims.get(&claim) {
                    Some((holder, _)) if holder == id => {}
                    Some((holder, _)) => say(format!("customer {id}: its {kind} {claim} is held by {holder}")),
                    None => say(format!("customer {id}: its {kind} {claim} is missing")),
                }
            }
        }
        for (claim, (holder, kind)) in &self.claims {
            match self.customers.get(holder).map(claims_of) {
                None => say(format!("{kind} {claim} points at customer {holder}, who is gone")),
                Some(Some(wanted)) if wanted.iter().any(|(pk, _)| pk == claim) => {}
                Some(_) => say(format!(
                    "{kind} {claim} points at customer {holder}, whose value is another"
                )),
            }
        }
        for (tag, (customer, key)) in &self.tags {
            match self.copies.get(tag) {
                Some(owner) if owner == customer => {}
                Some(owner) => say(format!("tag {tag} ({key}): its copy by id names customer {owner}")),
                None => say(format!("tag {tag} ({key}): its copy by id is missing")),
            }
        }
        for (tag, customer) in &self.copies {
            if !self.tags.contains_key(tag) {
                say(format!(
                    "the copy of tag {tag} (customer {customer}) has no tag on its customer"
                ));
            }
        }
        for id in self.customers.keys() {
            let held = self.recount.get(id).copied().unwrap_or_default();
            let counted = self.counts.get(id).copied().unwrap_or_default();
            if held != counted {
                say(format!(
                    "customer {id}: counts say {} tags and {} notes, it has {} and {}",
                    counted.0, counted.1, held.0, held.1
                ));
            }
        }
        self.search_and_segment_violations(&mut say);
        self.contact_violations(&mut say);
        self.interactions.violations(&self.customers, &mut say);
        self.tokens.violations(&mut say);
        self.team.violations(&self.customers, &mut say);
        self.subscription_violations(&mut say);
        self.saved_segment_violations(&mut say);
        let oldest = now.unix_seconds() - OUTBOX_RETENTION_SECONDS + OUTBOX_MARGIN_SECONDS;
        for (customer, at, event) in &self.audit {
            let recent = Timestamp::parse(at).is_ok_and(|t| t.unix_seconds() > oldest);
            let outbox = (format!("OUTBOX#{customer}"), format!("{at}#{event}"));
            if recent && !self.outbox.contains(&outbox) {
                say(format!(
                    "customer {customer}: the change of {at} has no event {event} in the outbox"
                ));
            }
        }
        for (id, kind) in &self.children {
            if !self.customers.contains_key(id) && !self.tombstones.contains(id) {
                say(format!(
                    "customer {id} is gone, but a {kind} is still stored under it, with no tombstone"
                ));
            }
        }
        for (kind, key) in &self.unknown {
            say(format!("an item of a kind this version does not write: {kind} ({key})"));
        }
        found.sort();
        found
    }
}

impl Table {
    fn subscription_violations(&self, say: &mut impl FnMut(String)) {
        for (customer, active) in &self.active_subscriptions {
            if active.len() > 1 {
                say(format!(
                    "customer {customer}: {} subscriptions are active at once",
                    active.len()
                ));
            }
            match self.subscription_claims.get(customer) {
                Some(claimed) if active.contains(claimed) => {}
                Some(claimed) => say(format!(
                    "customer {customer}: its active subscription claim names {claimed}, which is not active"
                )),
                None => say(format!("customer {customer}: an active subscription holds no claim")),
            }
        }
        for (customer, claimed) in &self.subscription_claims {
            if !self.active_subscriptions.contains_key(customer) {
                say(format!(
                    "customer {customer}: its active subscription claim names {claimed}, which is not active"
                ));
            }
        }
    }

    fn search_and_segment_violations(&self, say: &mut impl FnMut(String)) {
        let mut counted: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (id, item) in &self.customers {
            let Ok(customer) = customer_from(item.clone()) else {
                say(format!("customer {id}: its record cannot be read"));
                continue;
            };
            let cell = keys::business_cell(customer.business_id, customer.status, customer.customer_type);
            if text(item, "gsi4pk") != cell {
                say(format!("customer {id}: not in the status-and-type index as {cell}"));
            }
            let shard = keys::shard_of(customer.id, keys::TERM_SHARDS);
            let wanted: BTreeMap<String, String> = search::terms(&customer)
                .into_iter()
                .map(|term| {
                    let bucket = keys::term_bucket(customer.business_id, &term, shard);
                    (term, bucket)
                })
                .collect();
            let stored = self.terms.get(id).cloned().unwrap_or_default();
            if stored != wanted {
                let missing: Vec<&String> = wanted.keys().filter(|t| !stored.contains_key(*t)).collect();
                let extra: Vec<&String> = stored.keys().filter(|t| !wanted.contains_key(*t)).collect();
                say(format!(
                    "customer {id}: its search terms are not its record's (missing {missing:?}, extra {extra:?}, or misplaced)"
                ));
            }
            let own = cell_attribute(customer.status, customer.customer_type);
            match self.markers.get(id) {
                Some((business, marker)) if *business == customer.business_id.to_string() && marker == own => {}
                Some((_, marker)) => say(format!("customer {id}: counted in segment {marker}, it is in {own}")),
                None => say(format!("customer {id}: not counted in its segment {own}")),
            }
        }
        for (business, cell) in self.markers.values() {
            *counted.entry((business.clone(), cell.clone())).or_default() += 1;
        }
        let cells: BTreeSet<&(String, String)> = counted
            .keys()
            .chain(
                self.segment_counts
                    .keys()
                    .filter(|(_, name)| cell_named(name).is_some()),
            )
            .collect();
        for key @ (business, cell) in cells {
            let (kept, held) = (
                self.segment_counts.get(key).copied().unwrap_or(0),
                counted.get(key).copied().unwrap_or(0),
            );
            if kept != held {
                say(format!(
                    "business {business}: segment {cell} counts {kept}, {held} customers are counted in it"
                ));
            }
        }
    }
}

impl Table {
    /// Each contact has its pointer, its email claims and its search terms,
    /// each pointer, claim and term names a contact that has them, and each
    /// customer's count of contacts is what it has.
    fn contact_violations(&self, say: &mut impl FnMut(String)) {
        for (id, (customer, emails)) in &self.contacts {
            match self.contact_pointers.get(id) {
                Some(named) if named == customer => {}
                Some(named) => say(format!("contact {id}: its pointer names customer {named}")),
                None => say(format!("contact {id}: its pointer by id is missing")),
            }
            for email in emails {
                match self.contact_claims.get(&(customer.clone(), email.clone())) {
                    Some(holder) if holder == id => {}
                    Some(holder) => say(format!("contact {id}: its email {email} is claimed by {holder}")),
                    None => say(format!("contact {id}: the claim on its email {email} is missing")),
                }
            }
        }
        for (id, customer) in &self.contact_pointers {
            if self.contacts.get(id).is_none_or(|(held, _)| held != customer) {
                say(format!(
                    "the pointer to contact {id} (customer {customer}) names no such contact"
                ));
            }
        }
        for ((customer, email), id) in &self.contact_claims {
            if self
                .contacts
                .get(id)
                .is_none_or(|(held, emails)| held != customer || !emails.contains(email))
            {
                say(format!(
                    "customer {customer}: the claim on contact email {email} names {id}, which lacks it"
                ));
            }
        }
        for (customer, (held, counted)) in &self.contact_counts {
            if held != counted && self.customers.contains_key(customer) {
                say(format!("customer {customer}: counts {counted} contacts, has {held}"));
            }
        }
        for (id, wanted) in &self.contact_terms_wanted {
            let stored = self.contact_terms.get(id).cloned().unwrap_or_default();
            if &stored != wanted {
                let missing: Vec<&String> = wanted.keys().filter(|t| !stored.contains_key(*t)).collect();
                let extra: Vec<&String> = stored.keys().filter(|t| !wanted.contains_key(*t)).collect();
                say(format!(
                    "contact {id}: its search terms are not its record's (missing {missing:?}, extra {extra:?}, or misplaced)"
                ));
            }
        }
        for id in self.contact_terms.keys() {
            if !self.contacts.contains_key(id) {
                say(format!("search terms name contact {id}, which is not there"));
            }
        }
    }
}

impl Table {
    /// Each saved segment holds the claim on its name, each claim names a
    /// segment of that name, and each business's count is its segments'.
    fn saved_segment_violations(&self, say: &mut impl FnMut(String)) {
        let mut kept: BTreeMap<&str, u64> = BTreeMap::new();
        for ((business, id), name) in &self.saved {
            *kept.entry(business).or_default() += 1;
            match self.name_claims.get(&(business.clone(), name.clone())) {
                Some(holder) if holder == id => {}
                Some(holder) => say(format!("saved segment {id}: its name is claimed by {holder}")),
                None => say(format!("saved segment {id}: the claim on its name is missing")),
            }
        }
        for ((business, name), id) in &self.name_claims {
            if self.saved.get(&(business.clone(), id.clone())) != Some(name) {
                say(format!(
                    "business {business}: the claim on segment name {name:?} names {id}, which has another name or is gone"
                ));
            }
        }
        let businesses: BTreeSet<&str> = kept
            .keys()
            .copied()
            .chain(self.saved_counts.keys().map(String::as_str))
            .collect();
        for business in businesses {
            let (counted, held) = (
                self.saved_counts.get(business).copied().unwrap_or(0),
                kept.get(business).copied().unwrap_or(0),
            );
            if counted != held {
                say(format!(
                    "business {business}: counts {counted} saved segments, keeps {held}"
                ));
            }
        }
    }
}

impl DynamoStore {
    /// Everything that does not hold of the table at `now`, in order; none
    /// when all is well.
    pub async fn violations(&self, now: Timestamp) -> Result<Vec<Violation>, StoreError> {
        let mut table = Table::default();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(self.table.as_ref())
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            for item in page.items.unwrap_or_default() {
                table.add(item);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(table.violations(now));
            }
        }
    }
}
