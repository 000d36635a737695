//! The search index: each customer's terms
//! ([`clientele_core::search::terms`]) kept as items of its partition, so its
//! deletion and erasure already reach them, and written in the same
//! transaction as the change that alters them (only the terms that change).
//!
//! Each term item carries `gsi4pk = BUSINESS#<business>#TERM#<namespace and
//! first character>#<shard>` and `gsi4sk = <term>#<customer_id>`: one query
//! reads the terms of one business that start with a prefix, in one shard,
//! and no other business's. A term shared by most of a business is spread
//! over [`keys::TERM_SHARDS`] partitions by customer; a search reads every
//! shard at once and merges them in the order of the terms, so every match
//! is found, in one order whatever the shards.
//!
//! The index is read eventually consistently, so every customer it names is
//! read again, consistently, and checked against the query as it is now: an
//! entry left by a change not yet indexed never shows a wrong result. A
//! customer with several terms that match is shown once, under the first.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::search::{self, SearchQuery};
use clientele_core::{BusinessId, Customer, CustomerId, CustomerQuery, Page, StoreError, TagLabel};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::cursor;
use crate::errors::classify;
use crate::items::{entity, to_item};
use crate::keys::{self, index};
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

/// The terms of a customer, or none.
fn terms_of(customer: Option<&Customer>) -> BTreeSet<String> {
    customer.map(search::terms).unwrap_or_default().into_iter().collect()
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

    /// A position read from a cursor, if it is one a scan of `prefixes` can
    /// have reached.
    fn decode(text: &str, prefixes: &[String]) -> Result<Self, StoreError> {
        let (at, after) = text.split_once('|').ok_or(StoreError::InvalidCursor)?;
        let at: usize = at.parse().map_err(|_| StoreError::InvalidCursor)?;
        let prefix = prefixes.get(at).ok_or(StoreError::InvalidCursor)?;
        if after.is_empty() {
            return Ok(Self {
                prefix: at,
                after: None,
            });
        }
        if !after.starts_with(prefix.as_str()) || entry_parts(after).is_none() {
            return Err(StoreError::InvalidCursor);
        }
        Ok(Self {
            prefix: at,
            after: Some(after.to_owned()),
        })
    }
}

/// One index entry: its term, its customer and its sort key.
type Entry = (String, CustomerId, String);

/// The term and customer of an index entry's `gsi4sk`.
fn entry_parts(order: &str) -> Option<(&str, CustomerId)> {
    let (term, id) = order.rsplit_once('#')?;
    Some((term, CustomerId::parse(id).ok()?))
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
        self.scan_terms(business, search, filters, "search").await
    }

    /// A list page filtered by `name_prefix`, read from the search index: the
    /// customers whose names start with it, in the order of their names.
    pub(crate) async fn list_by_name_prefix(
        &self,
        business: BusinessId,
        folded_prefix: &str,
        filters: &CustomerQuery,
    ) -> Result<Page<Customer>, StoreError> {
        self.scan_terms(business, &SearchQuery::name_prefix(folded_prefix), filters, "name")
            .await
    }

    async fn scan_terms(
        &self,
        business: BusinessId,
        search: &SearchQuery,
        filters: &CustomerQuery,
        kind: &str,
    ) -> Result<Page<Customer>, StoreError> {
        let prefixes = search.lookup();
        let tag = fingerprint(kind, search, filters);
        let limit = filters.limit.clamp(1, crate::customers::MAX_PAGE);
        let mut at = match &filters.cursor {
            Some(c) => Position::decode(&cursor::decode(c, &tag)?, prefixes)?,
            None => Position { prefix: 0, after: None },
        };
        let mut found = Vec::with_capacity(limit);
        for _ in 0..MAX_ROUNDS {
            let Some(prefix) = prefixes.get(at.prefix) else {
                break;
            };
            let (entries, boundary) = self.merged_entries(business, prefix, at.after.as_deref()).await?;
            let candidates = self.candidates(business, &entries, filters.tag.as_ref()).await?;
            // A customer found by an earlier prefix was shown there.
            let earlier = &prefixes[..at.prefix];
            for (term, id, order) in &entries {
                let Some(customer) = candidates.get(id) else { continue };
                if !filters.matches(customer) {
                    continue;
                }
                let terms = search::terms(customer);
                let listed_here = search::first_match(&terms, prefix) == Some(term.as_str())
                    && earlier.iter().all(|p| search::first_match(&terms, p).is_none());
                if !listed_here || !search.matches(&terms) {
                    continue;
                }
                found.push(customer.clone());
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

    /// The entries starting with `prefix` after `after`, read from every
    /// shard at once and merged in order, as far as every shard has been
    /// read; and that point, when a shard holds more beyond it.
    async fn merged_entries(
        &self,
        business: BusinessId,
        prefix: &str,
        after: Option<&str>,
    ) -> Result<(Vec<Entry>, Option<String>), StoreError> {
        let reads = futures_util::future::try_join_all(
            (0..keys::TERM_SHARDS).map(|shard| self.term_entries(business, prefix, shard, after)),
        )
        .await?;
        let boundary = reads
            .iter()
            .filter(|(_, more)| *more)
            .filter_map(|(entries, _)| entries.last().map(|(_, _, order)| order.clone()))
            .min();
        let mut entries: Vec<Entry> = reads
            .into_iter()
            .flat_map(|(entries, _)| entries)
            .filter(|(_, _, order)| boundary.as_ref().is_none_or(|b| order <= b))
            .collect();
        entries.sort_by(|a, b| a.2.cmp(&b.2));
        Ok((entries, boundary))
    }

    /// Index entries of `business` starting with `prefix`, after `after`,
    /// in one shard; and whether the shard holds more.
    async fn term_entries(
        &self,
        business: BusinessId,
        prefix: &str,
        shard: u32,
        after: Option<&str>,
    ) -> Result<(Vec<Entry>, bool), StoreError> {
        let partition = keys::term_bucket(business, prefix, shard);
        let start = after.and_then(entry_parts).map(|(term, id)| {
            let mut key = keys::search_term(id, term).to_attributes();
            key.insert("gsi4pk".to_owned(), AttributeValue::S(partition.clone()));
            key.insert("gsi4sk".to_owned(), AttributeValue::S(keys::term_order(term, id)));
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
                let (term, id) = entry_parts(order)?;
                Some((term.to_owned(), id, order.clone()))
            })
            .collect();
        Ok((entries, output.last_evaluated_key.is_some()))
    }

    /// The customers the entries name, read consistently: those of
    /// `business`, with the tag `label` when one is asked for.
    async fn candidates(
        &self,
        business: BusinessId,
        entries: &[Entry],
        label: Option<&TagLabel>,
    ) -> Result<HashMap<CustomerId, Customer>, StoreError> {
        let mut ids: Vec<CustomerId> = entries.iter().map(|(_, id, _)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut customers = self.customers_by_id(&ids).await?;
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
        let back = Position::decode(&at.encode(), &prefixes).unwrap();
        assert_eq!((back.prefix, back.after), (1, Some(order)));
        let other = ["p:40".to_owned(), "r:99".to_owned()];
        assert!(Position::decode(&at.encode(), &other).is_err(), "another prefix");
        assert!(Position::decode("2|", &prefixes).is_err(), "no such prefix");
        assert!(Position::decode("0|p:40#not-an-id", &prefixes).is_err());
        assert!(Position::decode("nonsense", &prefixes).is_err());
        assert_eq!(Position::decode("1|", &prefixes).unwrap().prefix, 1);
    }
}
