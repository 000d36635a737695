//! A customer's audit trail, kept in its partition (`sk =
//! AUDIT#<at>#<event id>`, newest last) so that it goes with the customer,
//! and expiring (TTL) after the store's audit retention.

use clientele_core::{
    AuditEntry, ContactId, CustomerEvent, CustomerId, EventId, InteractionId, NoteId, Page, StoreError, TagId,
    TeamUserId, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::cursor;
use crate::items::{entity, from_item, to_item};
use crate::keys::{self, Key};
use crate::transact::Write;

/// The sort key prefix of audit entries.
pub const AUDIT_PREFIX: &str = "AUDIT#";
/// The tag of the audit trail's cursors.
const AUDIT_QUERY: &str = "audit";

/// An audit entry's key.
fn audit_key(customer: CustomerId, at: Timestamp, event: EventId) -> Key {
    Key {
        pk: keys::customer_partition(customer),
        sk: format!("{AUDIT_PREFIX}{at}#{event}"),
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct AuditItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
    at: Timestamp,
    actor: String,
    action: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tag_ids: Vec<TagId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note_id: Option<NoteId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact_id: Option<ContactId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interaction_id: Option<InteractionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<TeamUserId>,
    event_id: EventId,
}

impl From<AuditItem> for AuditEntry {
    fn from(item: AuditItem) -> Self {
        AuditEntry {
            at: item.at,
            actor: item.actor,
            action: item.action,
            fields: item.fields,
            tag_ids: item.tag_ids,
            note_id: item.note_id,
            contact_id: item.contact_id,
            interaction_id: item.interaction_id,
            user_id: item.user_id,
            event_id: item.event_id,
        }
    }
}

impl DynamoStore {
    /// The writes recording a change that publishes `events`: their outbox
    /// items and the audit entry.
    pub(crate) fn recorded_writes(&self, events: &[CustomerEvent]) -> Result<Vec<Write>, StoreError> {
        let mut writes = events
            .iter()
            .map(|e| Ok(Write::put(&self.table, crate::items::event_item(e)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        writes.extend(self.audit_write(events)?);
        Ok(writes)
    }

    /// The write recording the change that publishes `events` in the
    /// customer's audit trail, if it is one the trail records
    /// ([`AuditEntry::of`]).
    pub(crate) fn audit_write(&self, events: &[CustomerEvent]) -> Result<Option<Write>, StoreError> {
        let (Some(entry), Some(first)) = (AuditEntry::of(events), events.first()) else {
            return Ok(None);
        };
        let key = audit_key(first.customer_id, entry.at, entry.event_id);
        let item = AuditItem {
            pk: key.pk,
            sk: key.sk,
            entity: entity::AUDIT.to_owned(),
            expires_at: entry.at.unix_seconds() + self.audit_retention_seconds,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            fields: entry.fields,
            tag_ids: entry.tag_ids,
            note_id: entry.note_id,
            contact_id: entry.contact_id,
            interaction_id: entry.interaction_id,
            user_id: entry.user_id,
            event_id: entry.event_id,
        };
        Ok(Some(Write::put(&self.table, to_item(&item)?)))
    }

    /// A page of a customer's audit trail, newest first.
    #[tracing::instrument(skip_all, fields(customer_id = %customer, limit))]
    pub async fn audit_of(
        &self,
        customer: CustomerId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let partition = keys::customer_partition(customer);
        let start = match cursor {
            Some(text) => {
                let sk = cursor::decode(text, AUDIT_QUERY)?;
                if !sk.starts_with(AUDIT_PREFIX) {
                    return Err(StoreError::InvalidCursor);
                }
                Some(
                    Key {
                        pk: partition.clone(),
                        sk,
                    }
                    .to_attributes(),
                )
            }
            None => None,
        };
        let (items, more) = self.newest_under(partition, AUDIT_PREFIX, limit, start).await?;
        let items: Vec<AuditItem> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        let next_cursor = more
            .then(|| items.last().map(|item| cursor::encode(AUDIT_QUERY, &item.sk)))
            .flatten();
        Ok(Page {
            items: items.into_iter().map(AuditEntry::from).collect(),
            next_cursor,
        })
    }
}
