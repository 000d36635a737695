//! Token balances and their ledgers in DynamoDB.
//!
//! A customer's balance (`TOKENS#<customer>` / `BALANCE`) holds the tokens
//! and the sequence of the last entry. Each movement key is an item beside
//! it (`MOVEMENT#<key>`) naming the entry it made. Entries are a partition
//! of their own (`TOKEN_LEDGER#<customer>`, sorted by
//! `<created_at>#<sequence>`), so that a page of a date range is one query.
//!
//! A movement is one transaction: the customer is still in its business,
//! the balance is still at the sequence it was read at (so it is exactly
//! the balance the movement was checked against, and it never goes below
//! zero), the entry and the movement key are new, and the event and the
//! audit entry are written with them. Two movements read at the same
//! sequence cannot both apply; two with the same key cannot both apply.
//!
//! Neither partition is the customer's, so a deletion or an erasure leaves
//! them: the ledger is an accounting record, and holds no personal data.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::token::{Balance, LedgerEntry, LedgerQuery};
use clientele_core::{BusinessId, Customer, CustomerEvent, CustomerId, Page, StoreError};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::cursor;
use crate::customers::time_range_condition;
use crate::errors::classify;
use crate::items::{Item, entity, from_item, to_item};
use crate::keys::{self, attr};
use crate::transact::{Write, transact};

/// A balance's stored form.
#[derive(Serialize, Deserialize)]
struct BalanceItem {
    pk: String,
    sk: String,
    entity: String,
    business_id: BusinessId,
    #[serde(flatten)]
    balance: Balance,
}

/// A ledger entry's stored form.
#[derive(Serialize, Deserialize)]
struct EntryItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    entry: LedgerEntry,
}

/// A movement key's stored form: where its entry is.
#[derive(Serialize, Deserialize)]
struct MovementItem {
    pk: String,
    sk: String,
    entity: String,
    customer_id: CustomerId,
    movement_key: String,
    sequence: u64,
    entry_sk: String,
}

/// What a customer's tokens are when a movement is about to be decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenState {
    /// The balance as it is.
    pub balance: Balance,
    /// The entry the movement key already made, if it made one.
    pub recorded: Option<LedgerEntry>,
}

/// What became of a movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovementWrite {
    /// Applied.
    Done,
    /// The customer is gone.
    NoCustomer,
    /// The movement key was recorded meanwhile: read it again.
    KeyRecorded,
    /// The balance moved since it was read: read it again.
    Raced,
}

impl DynamoStore {
    /// A customer's balance (empty if nothing moved it yet).
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn token_balance(&self, customer: CustomerId) -> Result<Balance, StoreError> {
        match self.get_item(keys::token_balance(customer)).await? {
            Some(item) => Ok(from_item::<BalanceItem>(item)?.balance),
            None => Ok(Balance::empty(customer)),
        }
    }

    /// The balance and what the movement key already recorded, read
    /// together (and the entry the key names, when it names one).
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn token_state(&self, customer: CustomerId, movement_key: &str) -> Result<TokenState, StoreError> {
        let movement = keys::token_movement(customer, movement_key);
        let found = self
            .items_by_key(&[keys::token_balance(customer), movement.clone()])
            .await?;
        let mut balance = Balance::empty(customer);
        let mut pointer = None;
        for item in found {
            match item.get(attr::ENTITY).and_then(|v| v.as_s().ok()).map(String::as_str) {
                Some(entity::TOKEN_BALANCE) => balance = from_item::<BalanceItem>(item)?.balance,
                Some(entity::TOKEN_MOVEMENT) => pointer = Some(from_item::<MovementItem>(item)?),
                _ => {}
            }
        }
        let recorded = match pointer {
            Some(pointer) => {
                let key = keys::Key {
                    pk: keys::ledger_partition(customer),
                    sk: pointer.entry_sk,
                };
                let item = self
                    .get_item(key)
                    .await?
                    .ok_or_else(|| StoreError::Unexpected("a movement key names no ledger entry".into()))?;
                Some(from_item::<EntryItem>(item)?.entry)
            }
            None => None,
        };
        Ok(TokenState { balance, recorded })
    }

    /// The writes that apply `entry` to `before` (the balance it was
    /// decided on): the balance, on condition that it is still `before`;
    /// the entry; and its movement key, on condition that it is new (the
    /// third write).
    pub(crate) fn movement_writes(
        &self,
        customer: &Customer,
        before: &Balance,
        entry: &LedgerEntry,
    ) -> Result<Vec<Write>, StoreError> {
        let balance_key = keys::token_balance(customer.id);
        let after = BalanceItem {
            pk: balance_key.pk,
            sk: balance_key.sk,
            entity: entity::TOKEN_BALANCE.to_owned(),
            business_id: customer.business_id,
            balance: Balance {
                customer_id: customer.id,
                balance: entry.balance_after,
                sequence: entry.sequence,
                updated_at: Some(entry.created_at),
            },
        };
        let balance_write = match before.sequence {
            0 => Write::put(&self.table, to_item(&after)?).condition("attribute_not_exists(pk)"),
            sequence => Write::put(&self.table, to_item(&after)?)
                .condition("#sequence = :sequence AND #balance = :balance")
                .name("#sequence", "sequence")
                .name("#balance", "balance")
                .value(":sequence", AttributeValue::N(sequence.to_string()))
                .value(":balance", AttributeValue::N(before.balance.to_string())),
        };
        let entry_key = keys::ledger_entry(customer.id, entry.created_at, entry.sequence);
        let movement_key = keys::token_movement(customer.id, entry.movement.movement_key.as_str());
        let movement = MovementItem {
            pk: movement_key.pk,
            sk: movement_key.sk,
            entity: entity::TOKEN_MOVEMENT.to_owned(),
            customer_id: customer.id,
            movement_key: entry.movement.movement_key.to_string(),
            sequence: entry.sequence,
            entry_sk: entry_key.sk.clone(),
        };
        let entry_item = EntryItem {
            pk: entry_key.pk,
            sk: entry_key.sk,
            entity: entity::LEDGER_ENTRY.to_owned(),
            entry: entry.clone(),
        };
        Ok(vec![
            balance_write,
            Write::put(&self.table, to_item(&entry_item)?).condition("attribute_not_exists(pk)"),
            Write::put(&self.table, to_item(&movement)?).condition("attribute_not_exists(pk)"),
        ])
    }

    /// Applies `entry` to `before` (the balance it was decided on), with its
    /// movement key, its event and its audit entry, all or nothing.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, sequence = entry.sequence))]
    pub async fn move_tokens(
        &self,
        customer: &Customer,
        before: &Balance,
        entry: &LedgerEntry,
        event: &CustomerEvent,
    ) -> Result<MovementWrite, StoreError> {
        let mut writes = vec![self.customer_still_there(customer)];
        writes.extend(self.movement_writes(customer, before, entry)?);
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(MovementWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(MovementWrite::NoCustomer),
            Err(cancelled) if cancelled.failed(3) => Ok(MovementWrite::KeyRecorded),
            Err(_) => Ok(MovementWrite::Raced),
        }
    }

    /// A page of a customer's ledger, newest first, within `query`'s range.
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn ledger(&self, customer: CustomerId, query: &LedgerQuery) -> Result<Page<LedgerEntry>, StoreError> {
        let limit = query.limit.clamp(1, crate::customers::MAX_PAGE);
        let partition = keys::ledger_partition(customer);
        let tag = format!("ledger:{customer}:{:?}:{:?}", query.from, query.to);
        let start = match &query.cursor {
            Some(c) => {
                let sk = cursor::decode(c, &tag)?;
                Some(
                    keys::Key {
                        pk: partition.clone(),
                        sk,
                    }
                    .to_attributes(),
                )
            }
            None => None,
        };
        let (condition, values) = time_range_condition((attr::PK, &partition), attr::SK, query.from, query.to);
        // One more than a page: when it comes, the next page starts after
        // the last one shown.
        let output = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .key_condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item::<EntryItem>)
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| cursor::encode(&tag, &last.sk))
        } else {
            None
        };
        Ok(Page {
            items: items.into_iter().map(|item| item.entry).collect(),
            next_cursor,
        })
    }

    /// Every entry of a customer's ledger, oldest first: for its export and
    /// the invariant checker.
    pub async fn whole_ledger(&self, customer: CustomerId) -> Result<Vec<LedgerEntry>, StoreError> {
        self.partition(keys::ledger_partition(customer))
            .await?
            .into_iter()
            .map(|item| Ok(from_item::<EntryItem>(item)?.entry))
            .collect()
    }

    /// How many items of each kind a customer's balance and ledger are:
    /// what an erasure keeps.
    pub async fn kept_for_accounting(
        &self,
        customer: CustomerId,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        let items = self.token_items(customer).await?;
        Ok(crate::gdpr::count_kinds(
            items
                .iter()
                .filter_map(|item| item.get(attr::ENTITY).and_then(|v| v.as_s().ok()))
                .map(String::as_str),
        ))
    }

    /// The items of a customer's balance and ledger, for its export: kept
    /// after an erasure, and counted in its receipt.
    pub async fn token_items(&self, customer: CustomerId) -> Result<Vec<Item>, StoreError> {
        let mut items = self.partition(keys::tokens_partition(customer)).await?;
        items.extend(self.partition(keys::ledger_partition(customer)).await?);
        Ok(items)
    }
}
