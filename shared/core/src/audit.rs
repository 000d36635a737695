//! The audit trail: who changed a customer, which of its fields, and when.
//!
//! Every change made through the API or by an inbound event is recorded
//! beside the customer, in the same transaction as the change and its
//! event, by whoever made it (a principal's qualified id, or the sending
//! service). Entries expire after the audit retention (a year unless
//! configured) and go with the customer when it is deleted or erased; the
//! erasure receipt stays.

use serde::{Deserialize, Serialize};

use crate::event::{CustomerEvent, EventType};
use crate::id::{ContactId, EventId, InteractionId, NoteId, TagId, TeamUserId};
use crate::time::Timestamp;

/// How long audit entries are kept unless `AUDIT_RETENTION_DAYS` says
/// otherwise: a year.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;

/// One change of a customer, as the audit trail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the change was made.
    pub at: Timestamp,
    /// Who made it: `user:<sub>`, `client:<id>`, or the service that sent
    /// the event that made it.
    pub actor: String,
    /// What happened: the detail-type of the event it published.
    pub action: String,
    /// The API names of the fields that changed (the status for a
    /// lifecycle step; none for a creation, which sets them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The tags added or removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_ids: Vec<TagId>,
    /// The note added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_id: Option<NoteId>,
    /// The contact added, changed or removed; or the new primary contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// The interaction logged, changed or removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<InteractionId>,
    /// The team user added, changed or removed, or whose password reset was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<TeamUserId>,
    /// The event the change published: the entry's id.
    pub event_id: EventId,
}

impl AuditEntry {
    /// The entry recording the change that published `events` (several
    /// when tags are added together); none when nobody is named as having
    /// made it, or when the change deletes the customer, whose trail goes
    /// with it.
    pub fn of(events: &[CustomerEvent]) -> Option<Self> {
        let first = events.first()?;
        let actor = first.actor.clone()?;
        let fields = match first.event_type {
            EventType::CustomerDeleted => return None,
            EventType::CustomerUpdated
            | EventType::CustomerContactUpdated
            | EventType::CustomerInteractionUpdated
            | EventType::UserUpdated
            | EventType::SubscriptionUpdated => first.updated_fields.clone().unwrap_or_default(),
            EventType::CustomerPortfolioUpdated => first
                .updated_fields
                .iter()
                .flatten()
                .map(|field| format!("portfolio.{field}"))
                .collect(),
            EventType::CustomerContactPrimaryChanged => vec!["primary_contact_id".to_owned()],
            EventType::CustomerValidated | EventType::CustomerSuspended | EventType::CustomerReactivated => {
                vec!["status".to_owned()]
            }
            EventType::TokenPurchased
            | EventType::TokenUsed
            | EventType::TokenAllocated
            | EventType::TokenRefunded
            | EventType::TokenExpired
            | EventType::TokenAdjusted => vec!["balance".to_owned()],
            _ => Vec::new(),
        };
        Some(Self {
            at: first.timestamp,
            actor,
            action: first.event_type.as_str().to_owned(),
            fields,
            tag_ids: events.iter().filter_map(|e| e.tag_id).collect(),
            note_id: first.note_id,
            contact_id: first.contact_id.flatten(),
            interaction_id: first.interaction_id,
            user_id: first.user_id,
            event_id: first.event_id,
        })
    }
}
