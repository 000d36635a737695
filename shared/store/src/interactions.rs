//! Interactions in DynamoDB.
//!
//! An interaction lives in its customer's partition (`sk =
//! INTERACTION#<id>`), so the customer's deletion and erasure take it; a
//! pointer under its id (`INTERACTION#<id>`) finds it for
//! `/api/interactions/{id}`. Its index keys place it in
//! - its customer's timeline: `gsi1pk = CUSTOMER#<customer>#INTERACTIONS`,
//!   `gsi1sk = <occurred_at>#<id>`;
//! - its business's day: `gsi2pk = BUSINESS#<business>#INTERACTIONS#<day>`,
//!   and its business's day and type in `gsi3`, both sorted by
//!   `<occurred_at>#<customer>#<id>`: a range of dates is one query per day.
//!
//! Statistics are counters kept exact in the transaction of every change:
//! per business and UTC day (`BUSINESS#<business>#INTERACTION_STATS#<month>`
//! / `<day>`, one partition a month, so a range is one query per month) and
//! per customer and day (`INTERACTION_DAY#<day>` in its partition), each
//! with a count and a total duration per type and direction; and the
//! customer's count of all its interactions. A change that moves an
//! interaction to another day, type, direction or duration moves what it
//! counts in the same transaction. An interaction removed with its customer
//! (a deletion's sweep or an erasure) takes its count from its business's
//! day as it goes ([`DynamoStore::retire_interaction`]).
//!
//! Its subject's words are search terms (see `search`).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::interaction::{Day, Interaction, RangeQuery, Statistics, Tally, TimelineQuery, counter_names};
use clientele_core::{BusinessId, ContactId, Customer, CustomerEvent, CustomerId, InteractionId, Page, StoreError};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::counts::Counter;
use crate::cursor;
use crate::customers::{SortRange, time_range_condition};
use crate::errors::classify;
use crate::items::{Item, entity, from_item, to_item};
use crate::keys::{self, Key, index};
use crate::transact::{Write, transact};

/// Most rounds of reading one page of a filtered timeline: a page whose
/// matches are rare comes back short, with a cursor.
const MAX_ROUNDS: usize = 3;
/// Entries read per round of a filtered timeline.
const READ_PER_ROUND: i32 = 100;
/// Most days of a date range read at once: a wave this wide reads at most
/// seven days a page turns out not to need.
pub const MAX_RANGE_WAVE: usize = 8;

/// An interaction's stored form.
#[derive(Serialize, Deserialize)]
pub(crate) struct InteractionItem {
    pk: String,
    sk: String,
    entity: String,
    gsi1pk: String,
    gsi1sk: String,
    gsi2pk: String,
    gsi2sk: String,
    gsi3pk: String,
    gsi3sk: String,
    #[serde(flatten)]
    pub(crate) interaction: Interaction,
}

/// The pointer to an interaction, under its id.
#[derive(Serialize, Deserialize)]
struct PointerItem {
    pk: String,
    sk: String,
    entity: String,
    interaction_id: InteractionId,
    customer_id: CustomerId,
    business_id: BusinessId,
}

fn interaction_item(interaction: &Interaction) -> Result<Item, StoreError> {
    let key = keys::interaction(interaction.customer_id, interaction.id);
    let day = interaction.day();
    let in_day = keys::day_order(interaction.occurred_at, interaction.customer_id, interaction.id);
    to_item(&InteractionItem {
        pk: key.pk,
        sk: key.sk,
        entity: entity::INTERACTION.to_owned(),
        gsi1pk: keys::customer_interactions(interaction.customer_id),
        gsi1sk: keys::timeline_order(interaction.occurred_at, interaction.id),
        gsi2pk: keys::interaction_day(interaction.business_id, day),
        gsi2sk: in_day.clone(),
        gsi3pk: keys::interaction_day_of_type(interaction.business_id, day, interaction.interaction_type),
        gsi3sk: in_day,
        interaction: interaction.clone(),
    })
}

pub(crate) fn interaction_from(item: Item) -> Result<Interaction, StoreError> {
    Ok(from_item::<InteractionItem>(item)?.interaction)
}

/// What became of a change of interactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractionWrite {
    /// Written.
    Done,
    /// The contact named is not (or no longer) the customer's.
    NoContact,
    /// The customer is gone.
    NoCustomer,
    /// Something changed since it was read: read again.
    Raced,
}

/// Additions to counters: by item, by counter name.
#[derive(Default)]
struct Deltas(BTreeMap<(String, String), BTreeMap<String, i64>>);

impl Deltas {
    /// `sign` times what `interaction` counts, on its business's and its
    /// customer's day.
    fn add(&mut self, interaction: &Interaction, sign: i64) {
        let day = interaction.day();
        self.count(
            keys::business_interaction_tally(interaction.business_id, day),
            interaction,
            sign,
        );
        self.count(
            keys::customer_interaction_tally(interaction.customer_id, day),
            interaction,
            sign,
        );
    }

    /// `sign` times what `interaction` counts, on the counters item `key`.
    fn count(&mut self, key: Key, interaction: &Interaction, sign: i64) {
        let Tally {
            count,
            duration_seconds,
        } = interaction.tally();
        let (count_name, duration_name) = counter_names(interaction.interaction_type, interaction.direction);
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let counters = self.0.entry((key.pk, key.sk)).or_default();
        *counters.entry(count_name).or_default() += sign * as_i64(count);
        *counters.entry(duration_name).or_default() += sign * as_i64(duration_seconds);
    }

    /// One update per counters item that changes, each adding what changes.
    fn writes(self, table: &str) -> Vec<Write> {
        self.0
            .into_iter()
            .filter_map(|((pk, sk), counters)| {
                let changed: Vec<(String, i64)> = counters.into_iter().filter(|(_, delta)| *delta != 0).collect();
                if changed.is_empty() {
                    return None;
                }
                let kind = if pk.starts_with("BUSINESS#") {
                    entity::INTERACTION_STATS
                } else {
                    entity::INTERACTION_DAY
                };
                let additions: Vec<String> = (0..changed.len()).map(|i| format!("#c{i} :c{i}")).collect();
                let expression = format!("SET #entity = :entity ADD {}", additions.join(", "));
                let mut write = Write::update(table, Key { pk, sk }, expression)
                    .name("#entity", keys::attr::ENTITY)
                    .value(":entity", AttributeValue::S(kind.to_owned()));
                for (i, (name, delta)) in changed.into_iter().enumerate() {
                    write = write
                        .name(format!("#c{i}"), name)
                        .value(format!(":c{i}"), AttributeValue::N(delta.to_string()));
                }
                Some(write)
            })
            .collect()
    }
}

impl DynamoStore {
    /// An interaction by id, whatever its customer.
    #[tracing::instrument(skip_all, fields(interaction_id = %id))]
    pub async fn interaction(&self, id: InteractionId) -> Result<Option<Interaction>, StoreError> {
        let Some(pointer) = self.get_item(keys::interaction_by_id(id)).await? else {
            return Ok(None);
        };
        let pointer: PointerItem = from_item(pointer)?;
        self.get_item(keys::interaction(pointer.customer_id, id))
            .await?
            .map(interaction_from)
            .transpose()
    }

    fn contact_still_there(&self, customer: CustomerId, contact: Option<ContactId>) -> Option<Write> {
        contact.map(|id| Write::check(&self.table, keys::contact(customer, id)).condition("attribute_exists(pk)"))
    }

    /// Logs an interaction of a customer still in its business (with its
    /// contact still the customer's), with its counters, terms and event.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, interaction_id = %interaction.id))]
    pub async fn log_interaction(
        &self,
        customer: &Customer,
        interaction: &Interaction,
        event: &CustomerEvent,
    ) -> Result<InteractionWrite, StoreError> {
        let pointer = keys::interaction_by_id(interaction.id);
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::put(&self.table, interaction_item(interaction)?).condition("attribute_not_exists(pk)"),
            Write::put(
                &self.table,
                to_item(&PointerItem {
                    pk: pointer.pk,
                    sk: pointer.sk,
                    entity: entity::INTERACTION_BY_ID.to_owned(),
                    interaction_id: interaction.id,
                    customer_id: customer.id,
                    business_id: customer.business_id,
                })?,
            )
            .condition("attribute_not_exists(pk)"),
        ];
        let contact_at = writes.len();
        writes.extend(self.contact_still_there(customer.id, interaction.contact_id));
        writes.push(self.count_write(customer.id, Counter::Interactions, 1, None));
        let mut deltas = Deltas::default();
        deltas.add(interaction, 1);
        writes.extend(deltas.writes(&self.table));
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        writes.extend(self.interaction_term_writes(None, Some(interaction))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(InteractionWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(InteractionWrite::NoCustomer),
            Err(cancelled) if interaction.contact_id.is_some() && cancelled.failed(contact_at) => {
                Ok(InteractionWrite::NoContact)
            }
            Err(_) => Err(StoreError::Unexpected("an interaction id was used twice".into())),
        }
    }

    /// Replaces `before` with `after` (if still at `before`'s version),
    /// moving its counts and terms, with its event.
    #[tracing::instrument(skip_all, fields(interaction_id = %after.id))]
    pub async fn replace_interaction(
        &self,
        customer: &Customer,
        before: &Interaction,
        after: &Interaction,
        event: &CustomerEvent,
    ) -> Result<InteractionWrite, StoreError> {
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::put(&self.table, interaction_item(after)?).at_version(before.version),
        ];
        let contact_at = writes.len();
        writes.extend(self.contact_still_there(customer.id, after.contact_id));
        let mut deltas = Deltas::default();
        deltas.add(before, -1);
        deltas.add(after, 1);
        writes.extend(deltas.writes(&self.table));
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        writes.extend(self.interaction_term_writes(Some(before), Some(after))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(InteractionWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(InteractionWrite::NoCustomer),
            Err(cancelled) if after.contact_id.is_some() && cancelled.failed(contact_at) => {
                Ok(InteractionWrite::NoContact)
            }
            Err(_) => Ok(InteractionWrite::Raced),
        }
    }

    /// Removes an interaction (if still at its version) with its pointer,
    /// counts and terms, with its event.
    #[tracing::instrument(skip_all, fields(interaction_id = %interaction.id))]
    pub async fn remove_interaction(
        &self,
        customer: &Customer,
        interaction: &Interaction,
        event: &CustomerEvent,
    ) -> Result<InteractionWrite, StoreError> {
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::delete(&self.table, keys::interaction(customer.id, interaction.id)).at_version(interaction.version),
            Write::delete(&self.table, keys::interaction_by_id(interaction.id)),
            self.count_write(customer.id, Counter::Interactions, -1, None),
        ];
        let mut deltas = Deltas::default();
        deltas.add(interaction, -1);
        writes.extend(deltas.writes(&self.table));
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        writes.extend(self.interaction_term_writes(Some(interaction), None)?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(InteractionWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(InteractionWrite::NoCustomer),
            Err(_) => Ok(InteractionWrite::Raced),
        }
    }

    /// Removes an interaction whose customer goes (a deletion's sweep or an
    /// erasure), taking its count from its business's day in the same
    /// transaction; what else it counts in is in the customer's partition
    /// and goes with it. Nothing when it is already gone.
    pub(crate) async fn retire_interaction(&self, key: Key) -> Result<(), StoreError> {
        for _ in 0..3 {
            let Some(item) = self.get_item(key.clone()).await? else {
                return Ok(());
            };
            let interaction = interaction_from(item)?;
            let mut deltas = Deltas::default();
            let business_day = keys::business_interaction_tally(interaction.business_id, interaction.day());
            deltas.count(business_day, &interaction, -1);
            let mut writes = vec![Write::delete(&self.table, key.clone()).at_version(interaction.version)];
            writes.extend(deltas.writes(&self.table));
            if transact(&self.client, writes).await?.is_ok() {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable(
            "an interaction kept changing while it was removed".into(),
        ))
    }

    /// A page of a customer's timeline, newest first.
    #[tracing::instrument(skip_all, fields(customer_id = %customer, limit = query.limit))]
    pub async fn timeline(&self, customer: CustomerId, query: &TimelineQuery) -> Result<Page<Interaction>, StoreError> {
        let limit = query.limit.clamp(1, crate::customers::MAX_PAGE);
        let tag = format!(
            "timeline:{customer}:{:?}:{:?}:{:?}",
            query.interaction_type, query.from, query.to
        );
        let partition = keys::customer_interactions(customer);
        let mut start = match &query.cursor {
            Some(c) => Some(timeline_start(customer, &cursor::decode(c, &tag)?)?),
            None => None,
        };
        let filter = query.interaction_type.map(|t| t.as_str());
        let read = match filter {
            Some(_) => READ_PER_ROUND,
            None => i32::try_from(limit + 1).unwrap_or(i32::MAX),
        };
        let after = |found: &[Interaction]| {
            found
                .last()
                .map(|i| cursor::encode(&tag, &keys::timeline_order(i.occurred_at, i.id)))
        };
        let mut found: Vec<Interaction> = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let (items, last) = self
                .newest_first(
                    index::BY_BUSINESS,
                    &partition,
                    (query.from, query.to),
                    filter,
                    read,
                    start,
                )
                .await?;
            for item in items {
                if found.len() == limit {
                    // One more was read: the next page starts after this one.
                    return Ok(Page {
                        next_cursor: after(&found),
                        items: found,
                    });
                }
                found.push(interaction_from(item)?);
            }
            match last {
                None => {
                    return Ok(Page {
                        items: found,
                        next_cursor: None,
                    });
                }
                Some(_) if found.len() == limit => {
                    return Ok(Page {
                        next_cursor: after(&found),
                        items: found,
                    });
                }
                Some(key) => start = Some(key),
            }
        }
        // The filter dropped most of what was read: what was found so far,
        // with a cursor where reading stopped.
        let (_, sk_attr) = index::key_attributes(index::BY_BUSINESS);
        let next_cursor = start
            .as_ref()
            .and_then(|key| Some(cursor::encode(&tag, key.get(sk_attr)?.as_s().ok()?)));
        Ok(Page {
            items: found,
            next_cursor,
        })
    }

    /// The newest of a customer's interactions, if it has any.
    pub async fn last_interaction(&self, customer: CustomerId) -> Result<Option<Interaction>, StoreError> {
        let (items, _) = self
            .newest_first(
                index::BY_BUSINESS,
                &keys::customer_interactions(customer),
                (None, None),
                None,
                1,
                None,
            )
            .await?;
        items.into_iter().next().map(interaction_from).transpose()
    }

    /// A page of a business's interactions that happened in a range, newest
    /// first: one query per UTC day (per day and type with a type), from the
    /// last day back. The days are read in waves queried at once: one day
    /// first, then, while the days come back too few to fill the page, twice
    /// as many each wave (at most [`MAX_RANGE_WAVE`]), so that a sparse month
    /// takes six round trips rather than thirty-one, and a busy day reads no
    /// day it does not need.
    #[tracing::instrument(skip_all, fields(business_id = %business, limit = query.limit))]
    pub async fn interactions_in_range(
        &self,
        business: BusinessId,
        query: &RangeQuery,
    ) -> Result<Page<Interaction>, StoreError> {
        let limit = query.limit.clamp(1, crate::customers::MAX_PAGE);
        let tag = format!(
            "range:{business}:{}:{}:{:?}",
            query.from, query.to, query.interaction_type
        );
        let first = Day::of(query.from);
        let last = Day::last_before(query.to);
        let (mut day, mut start) = match &query.cursor {
            Some(c) => range_position(&cursor::decode(c, &tag)?, first, last)?,
            None => (last, None),
        };
        let index_name = match query.interaction_type {
            Some(_) => index::BY_TYPE,
            None => index::BY_STATUS,
        };
        let (pk_attr, sk_attr) = index::key_attributes(index_name);
        let partition_of = |day: Day| match query.interaction_type {
            Some(kind) => keys::interaction_day_of_type(business, day, kind),
            None => keys::interaction_day(business, day),
        };
        let mut found: Vec<Interaction> = Vec::new();
        let mut wave = 1;
        'waves: loop {
            let days: Vec<Day> = std::iter::successors(Some(day), |d| d.previous().filter(|p| *p >= first))
                .take(wave)
                .collect();
            let room = i32::try_from(limit - found.len() + 1).unwrap_or(i32::MAX);
            let mut reads = Vec::with_capacity(days.len());
            for (i, read_day) in days.iter().enumerate() {
                let partition = partition_of(*read_day);
                let exclusive = match (&start, i) {
                    (Some(after), 0) => Some(day_start_key(pk_attr, sk_attr, &partition, after)?),
                    _ => None,
                };
                reads.push(async move {
                    self.newest_first(
                        index_name,
                        &partition,
                        (Some(query.from), Some(query.to)),
                        None,
                        room,
                        exclusive,
                    )
                    .await
                });
            }
            let answers = futures_util::future::try_join_all(reads).await?;
            for (read_day, (items, more)) in days.iter().copied().zip(answers) {
                let mut extra = false;
                for item in items {
                    if found.len() == limit {
                        extra = true;
                        break;
                    }
                    found.push(interaction_from(item)?);
                }
                let ended = more.is_none() && read_day == first;
                if found.len() == limit {
                    let next_cursor = (extra || !ended).then(|| {
                        let here = found
                            .last()
                            .map(|i| keys::day_order(i.occurred_at, i.customer_id, i.id))
                            .unwrap_or_default();
                        cursor::encode(&tag, &format!("{read_day}|{here}"))
                    });
                    return Ok(Page {
                        items: found,
                        next_cursor,
                    });
                }
                if let Some(key) = more {
                    // The day holds more than one read returns (a read stops
                    // at 1 MB): go on in it, and read the later days again.
                    day = read_day;
                    start = key.get(sk_attr).and_then(|v| v.as_s().ok()).cloned();
                    continue 'waves;
                }
            }
            match days.last().and_then(|d| d.previous()).filter(|d| *d >= first) {
                Some(previous) => {
                    day = previous;
                    start = None;
                    wave = (wave * 2).min(MAX_RANGE_WAVE);
                }
                None => {
                    return Ok(Page {
                        items: found,
                        next_cursor: None,
                    });
                }
            }
        }
    }

    /// One query of an index partition, newest first, within a time range of
    /// its sort key, with an optional type filter.
    async fn newest_first(
        &self,
        index_name: &str,
        partition: &str,
        (from, to): (Option<clientele_core::Timestamp>, Option<clientele_core::Timestamp>),
        interaction_type: Option<&str>,
        read: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let (pk_attr, sk_attr) = index::key_attributes(index_name);
        let (condition, mut values) = time_range_condition((pk_attr, partition), sk_attr, from, to);
        let mut request = self
            .client
            .query()
            .table_name(self.table.as_ref())
            .index_name(index_name)
            .key_condition_expression(condition)
            .scan_index_forward(false)
            .limit(read.max(1))
            .set_exclusive_start_key(start);
        if let Some(kind) = interaction_type {
            values.insert(":type".to_owned(), AttributeValue::S(kind.to_owned()));
            request = request
                .filter_expression("#type = :type")
                .expression_attribute_names("#type", "type");
        }
        let output = request
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(classify)?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }

    /// A business's interaction statistics over whole UTC days, `from` to
    /// `to` included: one query per calendar month.
    #[tracing::instrument(skip_all, fields(business_id = %business))]
    pub async fn business_statistics(
        &self,
        business: BusinessId,
        from: Day,
        to: Day,
    ) -> Result<Statistics, StoreError> {
        let mut stats = Statistics::default();
        let mut month = from.first_of_month();
        while month <= to {
            let partition = keys::business_tally_month(business, &month.month());
            let (low, high) = (from.max(month).to_string(), to.to_string());
            let items = self.all_of(partition, SortRange::Between(&low, &high)).await?;
            add_counters(&mut stats, &items);
            match month.first_of_next_month() {
                Some(next) => month = next,
                None => break,
            }
        }
        Ok(stats)
    }

    /// A customer's interaction statistics over whole UTC days, `from` to
    /// `to` included: one query.
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn customer_statistics(
        &self,
        customer: CustomerId,
        from: Day,
        to: Day,
    ) -> Result<Statistics, StoreError> {
        let (low, high) = (
            format!("{}{from}", keys::INTERACTION_DAY_PREFIX),
            format!("{}{to}", keys::INTERACTION_DAY_PREFIX),
        );
        let items = self
            .all_of(keys::customer_partition(customer), SortRange::Between(&low, &high))
            .await?;
        let mut stats = Statistics::default();
        add_counters(&mut stats, &items);
        Ok(stats)
    }

    /// The interactions of `business` with these keys, read consistently.
    pub(crate) async fn interactions_by_key(
        &self,
        business: BusinessId,
        ids: &[(CustomerId, InteractionId)],
    ) -> Result<HashMap<(CustomerId, InteractionId), Interaction>, StoreError> {
        let keys: Vec<Key> = ids.iter().map(|(c, id)| keys::interaction(*c, *id)).collect();
        let mut found = HashMap::new();
        for item in self.items_by_key(&keys).await? {
            let interaction = interaction_from(item)?;
            if interaction.business_id == business {
                found.insert((interaction.customer_id, interaction.id), interaction);
            }
        }
        Ok(found)
    }
}

/// Adds every counter of these counters items.
fn add_counters(stats: &mut Statistics, items: &[Item]) {
    for item in items {
        for (name, value) in item {
            let Some(n) = value.as_n().ok().and_then(|n| n.parse::<i64>().ok()) else {
                continue;
            };
            stats.add(name, u64::try_from(n).unwrap_or(0));
        }
    }
}

/// The `ExclusiveStartKey` of a place (`<occurred_at>#<id>`) in a
/// customer's timeline.
fn timeline_start(customer: CustomerId, place: &str) -> Result<Item, StoreError> {
    let (at, id) = place.split_once('#').ok_or(StoreError::InvalidCursor)?;
    clientele_core::Timestamp::parse(at).map_err(|_| StoreError::InvalidCursor)?;
    let id = InteractionId::parse(id).map_err(|_| StoreError::InvalidCursor)?;
    let (pk_attr, sk_attr) = index::key_attributes(index::BY_BUSINESS);
    let mut key = keys::interaction(customer, id).to_attributes();
    key.insert(
        pk_attr.to_owned(),
        AttributeValue::S(keys::customer_interactions(customer)),
    );
    key.insert(sk_attr.to_owned(), AttributeValue::S(place.to_owned()));
    Ok(key)
}

/// Where a range listing stands: the day it reads, and the place in it
/// (`<occurred_at>#<customer>#<id>`) it has gone past, if any.
fn range_position(text: &str, first: Day, last: Day) -> Result<(Day, Option<String>), StoreError> {
    let (day, after) = text.split_once('|').ok_or(StoreError::InvalidCursor)?;
    let day = Day::parse(day).map_err(|_| StoreError::InvalidCursor)?;
    if day < first || day > last {
        return Err(StoreError::InvalidCursor);
    }
    Ok((day, (!after.is_empty()).then(|| after.to_owned())))
}

/// The `ExclusiveStartKey` of a place in a day's partition of an index.
fn day_start_key(pk_attr: &str, sk_attr: &str, partition: &str, place: &str) -> Result<Item, StoreError> {
    let mut parts = place.splitn(3, '#');
    let (Some(at), Some(customer), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(StoreError::InvalidCursor);
    };
    clientele_core::Timestamp::parse(at).map_err(|_| StoreError::InvalidCursor)?;
    let customer = CustomerId::parse(customer).map_err(|_| StoreError::InvalidCursor)?;
    let id = InteractionId::parse(id).map_err(|_| StoreError::InvalidCursor)?;
    let mut key = keys::interaction(customer, id).to_attributes();
    key.insert(pk_attr.to_owned(), AttributeValue::S(partition.to_owned()));
    key.insert(sk_attr.to_owned(), AttributeValue::S(place.to_owned()));
    Ok(key)
}
