//! The search index: each customer's terms
//! ([`clientele_core::search::terms`]), and each contact's
//! ([`clientele_core::search::contact_terms`]), kept as items of the
//! customer's partition, so its deletion and erasure already reach them, and
//! written in the same transaction as the change that alters them (only the
//! terms that change).
//!
//! Each term item carries `gsi4pk = BUSINESS#<business>#TERM#<namespace and
//! first character>#<shard>` and `gsi4sk = <term>#<customer_id>`: one query
//! reads the terms of one business that start with a prefix, in one shard,
//! and no other business's. A contact's term is the same, under
//! `BUSINESS#<business>#CONTACT_TERM#...` and `<term>#<customer_id>#<contact_id>`:
//! a kind of record is searched apart from the other ([`Indexed`]).
//! A term shared by most of a business is spread
//! over [`keys::TERM_SHARDS`] partitions by customer; a search reads every
//! shard at once and merges them in the order of the terms, so every match
//! is found, in one order whatever the shards.
//!
//! The index is read eventually consistently, so every record it names is
//! read again, consistently, and checked against the query as it is now: an
//! entry left by a change not yet indexed never shows a wrong result. A
//! record with several terms that match is shown once, under the first.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::contact_person::Contact;
use clientele_core::interaction::{Interaction, SearchFilters};
use clientele_core::search::{self, SearchQuery};
use clientele_core::{
    BusinessId, ContactId, Customer, CustomerId, CustomerQuery, InteractionId, Page, StoreError, TagLabel,
};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::cursor;
use crate::errors::classify;
use crate::items::{entity, from_item, to_item};
use crate::keys::{self, Key, index};
use crate::transact::Write;

/// Index entries read per shard per round.
const READ_PER_SHARD: i32 = 50;
/// Rounds per page at most, each reading every shard once: a page whose
/// matches are rare comes back short, with a cursor, rather than reading on.
const MAX_ROUNDS: usize = 2;

/// A search term's item.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TermItem {
    pk: String,
    sk: String,
    entity: String,
    gsi4pk: String,
    gsi4sk: String,
    term: String,
    customer_id: CustomerId,
}

impl TermItem {
    /// The item of one of `customer`'s terms.
    pub(crate) fn of(customer: &Customer, term: &str) -> Self {
        let key = keys::search_term(customer.id, term);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::SEARCH_TERM.to_owned(),
            gsi4pk: keys::term_bucket(
                customer.business_id,
                term,
                keys::shard_of(customer.id, keys::TERM_SHARDS),
            ),
            gsi4sk: keys::term_order(term, customer.id),
            term: term.to_owned(),
            customer_id: customer.id,
        }
    }
}

/// A contact's search term's item.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ContactTermItem {
    pk: String,
    sk: String,
    entity: String,
    gsi4pk: String,
    gsi4sk: String,
    term: String,
    customer_id: CustomerId,
    contact_id: ContactId,
}

impl ContactTermItem {
    fn of(contact: &Contact, term: &str) -> Self {
        let key = keys::contact_term(contact.customer_id, contact.id, term);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::CONTACT_TERM.to_owned(),
            gsi4pk: keys::contact_term_bucket(contact.business_id, term, keys::contact_shard(contact.id)),
            gsi4sk: keys::contact_term_order(term, contact.customer_id, contact.id),
            term: term.to_owned(),
            customer_id: contact.customer_id,
            contact_id: contact.id,
        }
    }
}

/// An interaction's search term's item.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct InteractionTermItem {
    pk: String,
    sk: String,
    entity: String,
    gsi4pk: String,
    gsi4sk: String,
    term: String,
    customer_id: CustomerId,
    interaction_id: InteractionId,
}

impl InteractionTermItem {
    fn of(interaction: &Interaction, term: &str) -> Self {
        let key = keys::interaction_term(interaction.customer_id, interaction.id, term);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::INTERACTION_TERM.to_owned(),
            gsi4pk: keys::interaction_term_bucket(
                interaction.business_id,
                term,
                keys::interaction_shard(interaction.id),
            ),
            gsi4sk: keys::interaction_term_order(term, interaction.customer_id, interaction.id),
            term: term.to_owned(),
            customer_id: interaction.customer_id,
            interaction_id: interaction.id,
        }
    }
}

/// The terms of a customer, or none.
fn terms_of(customer: Option<&Customer>) -> BTreeSet<String> {
    customer.map(search::terms).unwrap_or_default().into_iter().collect()
}

/// A kind of record the index finds. Each kind has index partitions of its
/// own, so a search of one never reads the other's terms.
pub(crate) trait Indexed: Clone {
    /// What an index entry names.
    type Id: Copy + Eq + Ord + Hash;
    /// The index partition of `business`'s terms that start as `prefix`
    /// does, in one shard.
    fn bucket(business: BusinessId, prefix: &str, shard: u32) -> String;
    /// The term and id of an entry's `gsi4sk`.
    fn entry_parts(order: &str) -> Option<(&str, Self::Id)>;
    /// The table key of the term item of `id` and `term`.
    fn term_key(id: Self::Id, term: &str) -> Key;
    /// Its terms as it is now.
    fn terms(&self) -> Vec<String>;
}

impl Indexed for Customer {
    type Id = CustomerId;

    fn bucket(business: BusinessId, prefix: &str, shard: u32) -> String {
        keys::term_bucket(business, prefix, shard)
    }

    fn entry_parts(order: &str) -> Option<(&str, CustomerId)> {
        let (term, id) = order.rsplit_once('#')?;
        Some((term, CustomerId::parse(id).ok()?))
    }

    fn term_key(id: CustomerId, term: &str) -> Key {
        keys::search_term(id, term)
    }

    fn terms(&self) -> Vec<String> {
        search::terms(self)
    }
}

/// The term and the two ids of an entry `<term>#<customer_id>#<id>`.
fn entry_of_customer_part<Id: std::str::FromStr>(order: &str) -> Option<(&str, (CustomerId, Id))> {
    let (rest, id) = order.rsplit_once('#')?;
    let (term, customer) = rest.rsplit_once('#')?;
    Some((term, (CustomerId::parse(customer).ok()?, id.parse().ok()?)))
}

impl Indexed for Interaction {
    type Id = (CustomerId, InteractionId);

    fn bucket(business: BusinessId, prefix: &str, shard: u32) -> String {
        keys::interaction_term_bucket(business, prefix, shard)
    }

    fn entry_parts(order: &str) -> Option<(&str, (CustomerId, InteractionId))> {
        entry_of_customer_part(order)
    }

    fn term_key((customer, interaction): (CustomerId, InteractionId), term: &str) -> Key {
        keys::interaction_term(customer, interaction, term)
    }

    fn terms(&self) -> Vec<String> {
        search::interaction_terms(self)
    }
}

impl Indexed for Contact {
    type Id = (CustomerId, ContactId);

    fn bucket(business: BusinessId, prefix: &str, shard: u32) -> String {
        keys::contact_term_bucket(business, prefix, shard)
    }

    fn entry_parts(order: &str) -> Option<(&str, (CustomerId, ContactId))> {
        entry_of_customer_part(order)
    }

    fn term_key((customer, contact): (CustomerId, ContactId), term: &str) -> Key {
        keys::contact_term(customer, contact, term)
    }

    fn terms(&self) -> Vec<String> {
        search::contact_terms(self)
    }
}

/// Where a term scan stands: which of the query's prefixes it reads, and
/// the last entry (`gsi4sk`) it has gone past, in every shard.
struct Position {
    prefix: usize,
    after: Option<String>,
}

impl Position {
    fn encode(&self) -> String {
        format!("{}|{}", self.prefix, self.after.as_deref().unwrap_or(""))
    }

    /// A position read from a cursor, if it is one a scan of `prefixes` of
    /// the index of `T` can have reached.
    fn decode<T: Indexed>(text: &str, prefixes: &[String]) -> Result<Self, StoreError> {
        let (at, after) = text.split_once('|').ok_or(StoreError::InvalidCursor)?;
        let at: usize = at.parse().map_err(|_| StoreError::InvalidCursor)?;
        let prefix = prefixes.get(at).ok_or(StoreError::InvalidCursor)?;
        if after.is_empty() {
            return Ok(Self {
                prefix: at,
                after: None,
            });
        }
        if !after.starts_with(prefix.as_str()) || T::entry_parts(after).is_none() {
            return Err(StoreError::InvalidCursor);
        }
        Ok(Self {
            prefix: at,
            after: Some(after.to_owned()),
        })
    }
}

/// One index entry: its term, what it names and its sort key.
type Entry<Id> = (String, Id, String);

/// Where a scan starts and what it returns.
struct Scan<'a> {
    business: BusinessId,
    search: &'a SearchQuery,
    cursor: Option<&'a str>,
    limit: usize,
    /// What the scan's results depend on (see [`fingerprint`]).
    tag: String,
}

/// A short name for everything a scan's results depend on, so that a cursor
/// issued for one query is refused by another.
fn fingerprint(kind: &str, search: &SearchQuery, filters: &CustomerQuery) -> String {
    let text = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        search.words(),
        filters.status,
        filters.customer_type,
        filters.tag.as_ref().map(TagLabel::folded),
        filters.created_from,
        filters.created_to
    );
    let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, text.as_bytes());
    format!("{kind}:{}", id.simple())
}

impl DynamoStore {
    /// The writes that bring a customer's stored terms from those of
    /// `before` to those of `after` (either absent for a create or a
    /// removal): only the terms that change.
    pub(crate) fn term_writes(
        &self,
        before: Option<&Customer>,
        after: Option<&Customer>,
    ) -> Result<Vec<Write>, StoreError> {
        let (old, new) = (terms_of(before), terms_of(after));
        match after.or(before) {
            Some(customer) => self.term_set_writes(customer, &old, &new),
            None => Ok(Vec::new()),
        }
    }

    /// The writes that bring a customer's stored terms from `old` to `new`.
    pub(crate) fn term_set_writes(
        &self,
        customer: &Customer,
        old: &BTreeSet<String>,
        new: &BTreeSet<String>,
    ) -> Result<Vec<Write>, StoreError> {
        let mut writes: Vec<Write> = old
            .difference(new)
            .map(|term| Write::delete(&self.table, keys::search_term(customer.id, term)))
            .collect();
        for term in new.difference(old) {
            writes.push(Write::put(&self.table, to_item(&TermItem::of(customer, term))?));
        }
        Ok(writes)
    }

    /// The terms stored for a customer.
    pub(crate) async fn stored_terms(&self, customer: CustomerId) -> Result<BTreeSet<String>, StoreError> {
        let items = self
            .under(keys::customer_partition(customer), keys::TERM_PREFIX)
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| item.get("term")?.as_s().ok().cloned())
            .collect())
    }

    /// The writes that bring a contact's stored terms from those of
    /// `before` to those of `after` (either absent for an addition or a
    /// removal): only the terms that change.
    pub(crate) fn contact_term_writes(
        &self,
        before: Option<&Contact>,
        after: Option<&Contact>,
    ) -> Result<Vec<Write>, StoreError> {
        let terms = |c: Option<&Contact>| -> BTreeSet<String> {
            c.map(search::contact_terms).unwrap_or_default().into_iter().collect()
        };
        let (old, new) = (terms(before), terms(after));
        let Some(contact) = after.or(before) else {
            return Ok(Vec::new());
        };
        let mut writes: Vec<Write> = old
            .difference(&new)
            .map(|term| Write::delete(&self.table, keys::contact_term(contact.customer_id, contact.id, term)))
            .collect();
        for term in new.difference(&old) {
            writes.push(Write::put(&self.table, to_item(&ContactTermItem::of(contact, term))?));
        }
        Ok(writes)
    }

    /// The writes that bring an interaction's stored terms from those of
    /// `before` to those of `after`: only the terms that change.
    pub(crate) fn interaction_term_writes(
        &self,
        before: Option<&Interaction>,
        after: Option<&Interaction>,
    ) -> Result<Vec<Write>, StoreError> {
        let terms = |i: Option<&Interaction>| -> BTreeSet<String> {
            i.map(search::interaction_terms)
                .unwrap_or_default()
                .into_iter()
                .collect()
        };
        let (old, new) = (terms(before), terms(after));
        let Some(interaction) = after.or(before) else {
            return Ok(Vec::new());
        };
        let mut writes: Vec<Write> = old
            .difference(&new)
            .map(|term| {
                Write::delete(
                    &self.table,
                    keys::interaction_term(interaction.customer_id, interaction.id, term),
                )
            })
            .collect();
        for term in new.difference(&old) {
            writes.push(Write::put(
                &self.table,
                to_item(&InteractionTermItem::of(interaction, term))?,
            ));
        }
        Ok(writes)
    }

    /// A page of the business's interactions whose subjects have every word
    /// of `search`, passing `filters`, in the order of their terms; a page
    /// may come back short, with a cursor, when matches are rare.
    #[tracing::instrument(skip_all, fields(business_id = %business, limit))]
    pub async fn search_interactions(
        &self,
        business: BusinessId,
        search: &SearchQuery,
        filters: &SearchFilters,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Interaction>, StoreError> {
        let text = format!("{:?}|{filters:?}", search.words());
        let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, text.as_bytes());
        let scan = Scan {
            business,
            search,
            cursor,
            limit: limit.clamp(1, crate::customers::MAX_PAGE),
            tag: format!("interactions:{}", id.simple()),
        };
        self.scan_terms(
            scan,
            |ids: Vec<(CustomerId, InteractionId)>| {
                Box::pin(async move { self.interactions_by_key(business, &ids).await })
            },
            |interaction: &Interaction| filters.matches(interaction),
        )
        .await
    }

    /// A page of the business's customers matching a search (`q`), and the
    /// filters of `filters` (status, type, tag), in the order of their terms.
    /// A page may come back short when matches are rare; its cursor says
    /// more may follow.
    #[tracing::instrument(skip_all, fields(business_id = %business, limit = filters.limit))]
    pub async fn search_customers(
        &self,
        business: BusinessId,
        search: &SearchQuery,
        filters: &CustomerQuery,
    ) -> Result<Page<Customer>, StoreError> {
        self.scan_customers(business, search, filters, "search").await
    }

    /// A list page filtered by `name_prefix`, read from the search index: the
    /// customers whose names start with it, in the order of their names.
    pub(crate) async fn list_by_name_prefix(
        &self,
        business: BusinessId,
        folded_prefix: &str,
        filters: &CustomerQuery,
    ) -> Result<Page<Customer>, StoreError> {
        self.scan_customers(business, &SearchQuery::name_prefix(folded_prefix), filters, "name")
            .await
    }

    async fn scan_customers(
        &self,
        business: BusinessId,
        search: &SearchQuery,
        filters: &CustomerQuery,
        kind: &str,
    ) -> Result<Page<Customer>, StoreError> {
        let scan = Scan {
            business,
            search,
            cursor: filters.cursor.as_deref(),
            limit: filters.limit.clamp(1, crate::customers::MAX_PAGE),
            tag: fingerprint(kind, search, filters),
        };
        let label = filters.tag.as_ref();
        self.scan_terms(
            scan,
            |ids: Vec<CustomerId>| Box::pin(async move { self.candidates(business, &ids, label).await }),
            |customer: &Customer| filters.matches(customer),
        )
        .await
    }

    /// A page of the contacts matching a search: of one customer (read
    /// whole, as a customer has at most 100, oldest first) when `within`
    /// names it, else of the whole business through the index, in the order
    /// of their terms, in pages that may come back short, with a cursor,
    /// when matches are rare. The caller has checked that `within` is a
    /// customer of `business`.
    #[tracing::instrument(skip_all, fields(business_id = %business, limit))]
    pub async fn search_contacts(
        &self,
        business: BusinessId,
        search: &SearchQuery,
        within: Option<CustomerId>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<Contact>, StoreError> {
        let text = format!("{:?}|{within:?}", search.words());
        let id = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, text.as_bytes());
        let tag = format!("contacts:{}", id.simple());
        let limit = limit.clamp(1, crate::customers::MAX_PAGE);
        if let Some(customer) = within {
            return self.search_contacts_of(customer, search, cursor, limit, &tag).await;
        }
        let scan = Scan {
            business,
            search,
            cursor,
            limit,
            tag,
        };
        self.scan_terms(
            scan,
            |ids: Vec<(CustomerId, ContactId)>| Box::pin(async move { self.contacts_by_key(business, &ids).await }),
            |_: &Contact| true,
        )
        .await
    }

    async fn search_contacts_of(
        &self,
        customer: CustomerId,
        search: &SearchQuery,
        cursor: Option<&str>,
        limit: usize,
        tag: &str,
    ) -> Result<Page<Contact>, StoreError> {
        let after = match cursor {
            Some(c) => {
                let text = cursor::decode(c, tag)?;
                let (at, id) = text.split_once('|').ok_or(StoreError::InvalidCursor)?;
                let at = clientele_core::Timestamp::parse(at).map_err(|_| StoreError::InvalidCursor)?;
                Some((at, ContactId::parse(id).map_err(|_| StoreError::InvalidCursor)?))
            }
            None => None,
        };
        let mut matching = self
            .contacts_of(customer)
            .await?
            .into_iter()
            .filter(|c| after.is_none_or(|a| (c.created_at, c.id) > a))
            .filter(|c| search.matches(&search::contact_terms(c)));
        let items: Vec<Contact> = matching.by_ref().take(limit).collect();
        let next_cursor = match (matching.next(), items.last()) {
            (Some(_), Some(last)) => Some(cursor::encode(tag, &format!("{}|{}", last.created_at, last.id))),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// The contacts of `business` with these keys, read consistently.
    async fn contacts_by_key(
        &self,
        business: BusinessId,
        ids: &[(CustomerId, ContactId)],
    ) -> Result<HashMap<(CustomerId, ContactId), Contact>, StoreError> {
        let keys: Vec<Key> = ids.iter().map(|(customer, id)| keys::contact(*customer, *id)).collect();
        let mut found = HashMap::new();
        for item in self.items_by_key(&keys).await? {
            let contact: Contact = from_item::<crate::contacts::ContactItem>(item)?.contact;
            if contact.business_id == business {
                found.insert((contact.customer_id, contact.id), contact);
            }
        }
        Ok(found)
    }

    /// A page of what the index of `T` finds for `scan`: the records `load`
    /// reads for the entries, that `keep` keeps and the search matches.
    async fn scan_terms<'a, T: Indexed>(
        &self,
        scan: Scan<'_>,
        load: impl Fn(Vec<T::Id>) -> BoxFuture<'a, Result<HashMap<T::Id, T>, StoreError>>,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Page<T>, StoreError> {
        let Scan {
            business,
            search,
            cursor,
            limit,
            tag,
        } = scan;
        let prefixes = search.lookup();
        let mut at = match cursor {
            Some(c) => Position::decode::<T>(&cursor::decode(c, &tag)?, prefixes)?,
            None => Position { prefix: 0, after: None },
        };
        let mut found = Vec::with_capacity(limit);
        for _ in 0..MAX_ROUNDS {
            let Some(prefix) = prefixes.get(at.prefix) else {
                break;
            };
            let (entries, boundary) = self.merged_entries::<T>(business, prefix, at.after.as_deref()).await?;
            let mut ids: Vec<T::Id> = entries.iter().map(|(_, id, _)| *id).collect();
            ids.sort_unstable();
            ids.dedup();
            let candidates = load(ids).await?;
            // A record found by an earlier prefix was shown there.
            let earlier = &prefixes[..at.prefix];
            for (term, id, order) in &entries {
                let Some(record) = candidates.get(id) else { continue };
                if !keep(record) {
                    continue;
                }
                let terms = record.terms();
                let listed_here = search::first_match(&terms, prefix) == Some(term.as_str())
                    && earlier.iter().all(|p| search::first_match(&terms, p).is_none());
                if !listed_here || !search.matches(&terms) {
                    continue;
                }
                found.push(record.clone());
                if found.len() == limit {
                    let next = Position {
                        prefix: at.prefix,
                        after: Some(order.clone()),
                    };
                    return Ok(Page {
                        items: found,
                        next_cursor: Some(cursor::encode(&tag, &next.encode())),
                    });
                }
            }
            at = match boundary {
                Some(after) => Position {
                    prefix: at.prefix,
                    after: Some(after),
                },
                None => Position {
                    prefix: at.prefix + 1,
                    after: None,
                },
            };
        }
        let next_cursor = prefixes.get(at.prefix).map(|_| cursor::encode(&tag, &at.encode()));
        Ok(Page {
            items: found,
            next_cursor,
        })
    }

    /// The entries of the index of `T` starting with `prefix` after
    /// `after`, read from every shard at once and merged in order, as far
    /// as every shard has been read; and that point, when a shard holds
    /// more beyond it.
    async fn merged_entries<T: Indexed>(
        &self,
        business: BusinessId,
        prefix: &str,
        after: Option<&str>,
    ) -> Result<(Vec<Entry<T::Id>>, Option<String>), StoreError> {
        let reads = futures_util::future::try_join_all(
            (0..keys::TERM_SHARDS).map(|shard| self.term_entries::<T>(business, prefix, shard, after)),
        )
        .await?;
        let boundary = reads
            .iter()
            .filter(|(_, more)| *more)
            .filter_map(|(entries, _)| entries.last().map(|(_, _, order)| order.clone()))
            .min();
        let mut entries: Vec<Entry<T::Id>> = reads
            .into_iter()
            .flat_map(|(entries, _)| entries)
            .filter(|(_, _, order)| boundary.as_ref().is_none_or(|b| order <= b))
            .collect();
        entries.sort_by(|a, b| a.2.cmp(&b.2));
        Ok((entries, boundary))
    }

    /// Entries of the index of `T` of `business` starting with `prefix`,
    /// after `after`, in one shard; and whether the shard holds more.
    async fn term_entries<T: Indexed>(
        &self,
        business: BusinessId,
        prefix: &str,
        shard: u32,
        after: Option<&str>,
    ) -> Result<(Vec<Entry<T::Id>>, bool), StoreError> {
        let partition = T::bucket(business, prefix, shard);
        let start = after.and_then(T::entry_parts).map(|(term, id)| {
            let mut key = T::term_key(id, term).to_attributes();
            key.insert("gsi4pk".to_owned(), AttributeValue::S(partition.clone()));
            key.insert(
                "gsi4sk".to_owned(),
                AttributeValue::S(after.unwrap_or_default().to_owned()),
            );
            key
        });
        let output = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(index::CELLS_AND_TERMS)
            .key_condition_expression("gsi4pk = :partition AND begins_with(gsi4sk, :prefix)")
            .expression_attribute_values(":partition", AttributeValue::S(partition))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .limit(READ_PER_SHARD)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        let entries = output
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|item| {
                let order = item.get("gsi4sk")?.as_s().ok()?;
                let (term, id) = T::entry_parts(order)?;
                Some((term.to_owned(), id, order.clone()))
            })
            .collect();
        Ok((entries, output.last_evaluated_key.is_some()))
    }

    /// The customers with these ids, read consistently: those of
    /// `business`, with the tag `label` when one is asked for.
    async fn candidates(
        &self,
        business: BusinessId,
        ids: &[CustomerId],
        label: Option<&TagLabel>,
    ) -> Result<HashMap<CustomerId, Customer>, StoreError> {
        let mut customers = self.customers_by_id(ids).await?;
        customers.retain(|_, c| c.business_id == business);
        if let Some(label) = label {
            let tagged = self.with_tag(customers.into_values().collect(), label).await?;
            return Ok(tagged.into_iter().map(|c| (c.id, c)).collect());
        }
        Ok(customers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_round_trips_and_stays_within_its_prefix() {
        let prefixes = ["p:40".to_owned(), "r:04".to_owned()];
        let id = CustomerId::random();
        let order = keys::term_order("r:0417", id);
        let at = Position {
            prefix: 1,
            after: Some(order.clone()),
        };
        let back = Position::decode::<Customer>(&at.encode(), &prefixes).unwrap();
        assert_eq!((back.prefix, back.after), (1, Some(order)));
        let other = ["p:40".to_owned(), "r:99".to_owned()];
        assert!(
            Position::decode::<Customer>(&at.encode(), &other).is_err(),
            "another prefix"
        );
        assert!(Position::decode::<Customer>("2|", &prefixes).is_err(), "no such prefix");
        assert!(Position::decode::<Customer>("0|p:40#not-an-id", &prefixes).is_err());
        assert!(Position::decode::<Customer>("nonsense", &prefixes).is_err());
        assert_eq!(Position::decode::<Customer>("1|", &prefixes).unwrap().prefix, 1);
        assert!(
            Position::decode::<Contact>(&at.encode(), &prefixes).is_err(),
            "a customer's entry is not a contact's"
        );
        let contact = keys::contact_term_order("r:0417", id, ContactId::random());
        let at = Position {
            prefix: 1,
            after: Some(contact.clone()),
        };
        let back = Position::decode::<Contact>(&at.encode(), &prefixes).unwrap();
        assert_eq!(back.after, Some(contact));
    }
}
