//! Domain events: what happened to a customer, told to the rest of the platform.
//!
//! An event is recorded in the same DynamoDB transaction as the change it
//! describes (the outbox), and later published to EventBridge with its
//! [`EventType`] as the detail-type and its JSON form as the detail. The detail
//! keeps the platform's event contract's field names (`customerId`, `customerType`, `updatedFields`,
//! `timestamp`) and adds the event id, the business id and a schema version. It
//! carries ids and field names only: never a name, an email, a phone number or
//! any other personal data.

use std::fmt;

use serde::Serialize;

use crate::contact_person::Contact;
use crate::customer::{Customer, CustomerType};
use crate::id::{
    BusinessId, ContactId, CustomerId, EventId, InteractionId, NoteId, PlanId, SubscriptionId, TagId, TeamUserId,
    UserId,
};
use crate::interaction::{Interaction, InteractionType};
use crate::lifecycle::Action;
use crate::note::Note;
use crate::subscription::Subscription;
use crate::tag::Tag;
use crate::team_user::TeamUser;
use crate::time::Timestamp;
use crate::token::{LedgerEntry, MovementKind};

/// The version of the detail's shape. Bumped on any change a consumer could notice.
pub const SCHEMA_VERSION: u32 = 2;

/// The kinds of event this service emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A customer was created.
    CustomerCreated,
    /// Some of a customer's fields changed (`updatedFields` names them).
    CustomerUpdated,
    /// Its portfolio service changed the customer's portfolio profile
    /// (`updatedFields` names the profile's fields; never their values).
    CustomerPortfolioUpdated,
    /// A customer and everything stored under it were deleted.
    CustomerDeleted,
    /// A tag was put on a customer (`tagId`).
    CustomerTagAdded,
    /// A tag was taken off a customer (`tagId`).
    CustomerTagRemoved,
    /// A note was written about a customer (`noteId`; never its text).
    CustomerNoteAdded,
    /// An admin validated a pending customer (`adminId`).
    CustomerValidated,
    /// An admin suspended an active customer (`adminId`, `reason`).
    CustomerSuspended,
    /// An admin reactivated a suspended customer (`adminId`).
    CustomerReactivated,
    /// A contact was added to a customer (`contactId`).
    CustomerContactAdded,
    /// A contact changed (`contactId`, `updatedFields`).
    CustomerContactUpdated,
    /// A contact was removed (`contactId`).
    CustomerContactRemoved,
    /// The customer's primary contact changed (`contactId`, the new one or
    /// `null`; `previousContactId`).
    CustomerContactPrimaryChanged,
    /// An interaction with the customer was logged (`interactionId`,
    /// `interactionType`, `occurredAt`).
    CustomerInteractionLogged,
    /// An interaction changed (as logged, with `updatedFields`).
    CustomerInteractionUpdated,
    /// An interaction was removed (`interactionId`, `interactionType`,
    /// `occurredAt`).
    CustomerInteractionRemoved,
    /// Tokens were bought (`sequence`, `amount`, `balanceAfter`).
    TokenPurchased,
    /// Tokens were spent (as bought; `amount` is negative).
    TokenUsed,
    /// Tokens were granted by the business or a subscription's period.
    TokenAllocated,
    /// Tokens were given back after a use.
    TokenRefunded,
    /// Tokens lapsed (`amount` is negative).
    TokenExpired,
    /// An admin corrected the balance (`amount` of either sign, `reason`).
    TokenAdjusted,
    /// A user was added to the customer's team (`userId`).
    UserCreated,
    /// A team user changed (`userId`, `updatedFields`).
    UserUpdated,
    /// A team user was removed (`userId`).
    UserDeleted,
    /// A customer subscribed to a plan (`subscriptionId`, `planId`,
    /// `currentPeriodEnd`).
    SubscriptionCreated,
    /// A subscription changed: its plan, or a cancellation at its period's
    /// end (`updatedFields`).
    SubscriptionUpdated,
    /// A subscription's next period started.
    SubscriptionRenewed,
    /// A subscription was cancelled and ended at once.
    SubscriptionCancelled,
    /// A subscription ended at the end of a period it was not renewed for.
    SubscriptionExpired,
    /// A password reset was asked for a team user (`userId`,
    /// `platformUserId` when linked), for the identity service to send.
    UserPasswordReset,
}

impl EventType {
    /// The EventBridge detail-type.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::CustomerCreated => "customer.created",
            EventType::CustomerUpdated => "customer.updated",
            EventType::CustomerPortfolioUpdated => "customer.portfolio.updated",
            EventType::CustomerDeleted => "customer.deleted",
            EventType::CustomerTagAdded => "customer.tag.added",
            EventType::CustomerTagRemoved => "customer.tag.removed",
            EventType::CustomerNoteAdded => "customer.note.added",
            EventType::CustomerValidated => "customer.validated",
            EventType::CustomerSuspended => "customer.suspended",
            EventType::CustomerReactivated => "customer.reactivated",
            EventType::CustomerContactAdded => "customer.contact.added",
            EventType::CustomerContactUpdated => "customer.contact.updated",
            EventType::CustomerContactRemoved => "customer.contact.removed",
            EventType::CustomerContactPrimaryChanged => "customer.contact.primary_changed",
            EventType::CustomerInteractionLogged => "customer.interaction.logged",
            EventType::CustomerInteractionUpdated => "customer.interaction.updated",
            EventType::CustomerInteractionRemoved => "customer.interaction.removed",
            EventType::TokenPurchased => "token.purchased",
            EventType::TokenUsed => "token.used",
            EventType::TokenAllocated => "token.allocated",
            EventType::TokenRefunded => "token.refunded",
            EventType::TokenExpired => "token.expired",
            EventType::TokenAdjusted => "token.adjusted",
            EventType::UserCreated => "user.created",
            EventType::UserUpdated => "user.updated",
            EventType::UserDeleted => "user.deleted",
            EventType::UserPasswordReset => "user.password.reset",
            EventType::SubscriptionCreated => "subscription.created",
            EventType::SubscriptionUpdated => "subscription.updated",
            EventType::SubscriptionRenewed => "subscription.renewed",
            EventType::SubscriptionCancelled => "subscription.cancelled",
            EventType::SubscriptionExpired => "subscription.expired",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event about one customer. Serialises to the EventBridge detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerEvent {
    /// What happened: the detail-type, not part of the detail.
    #[serde(skip)]
    pub event_type: EventType,
    /// Unique and stable across retries.
    pub event_id: EventId,
    /// [`SCHEMA_VERSION`] when the event was recorded.
    pub schema_version: u32,
    /// The customer's business.
    pub business_id: BusinessId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The customer's type at the time of the event.
    pub customer_type: CustomerType,
    /// For `customer.updated`: the names of the fields that changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_fields: Option<Vec<String>>,
    /// For tag events: the tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_id: Option<TagId>,
    /// For `customer.note.added`: the note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_id: Option<NoteId>,
    /// For contact events: the contact (for `customer.contact.primary_changed`,
    /// the new primary, `null` when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<Option<ContactId>>,
    /// For `customer.contact.primary_changed`: the primary before, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_contact_id: Option<Option<ContactId>>,
    /// For interaction events: the interaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<InteractionId>,
    /// For interaction events: its type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction_type: Option<InteractionType>,
    /// For interaction events: when it happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<Timestamp>,
    /// For team user events: the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<TeamUserId>,
    /// For team user events: the platform user it is linked to, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_user_id: Option<UserId>,
    /// For subscription events: the subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<SubscriptionId>,
    /// For subscription events: its plan (for the periods to come).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<PlanId>,
    /// For subscription events: the end of its current (or last) period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_period_end: Option<Timestamp>,
    /// For token events: the ledger entry's sequence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// For token events: tokens added (positive) or taken (negative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// For token events: the balance after the movement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<i64>,
    /// For lifecycle events: the admin (a user's id, or a client's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<String>,
    /// For `customer.suspended`: why, as the admin wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `customer.deleted`: `true` when the deletion was a GDPR erasure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erasure: Option<bool>,
    /// When it happened.
    pub timestamp: Timestamp,
    /// Who made the change, for the audit trail ([`crate::AuditEntry`]); not
    /// part of the detail.
    #[serde(skip)]
    pub actor: Option<String>,
}

impl CustomerEvent {
    fn new(event_type: EventType, customer: &Customer, timestamp: Timestamp) -> Self {
        Self {
            event_type,
            event_id: EventId::random(),
            schema_version: SCHEMA_VERSION,
            business_id: customer.business_id,
            customer_id: customer.id,
            customer_type: customer.customer_type,
            updated_fields: None,
            tag_id: None,
            note_id: None,
            contact_id: None,
            previous_contact_id: None,
            interaction_id: None,
            interaction_type: None,
            occurred_at: None,
            user_id: None,
            platform_user_id: None,
            subscription_id: None,
            plan_id: None,
            current_period_end: None,
            sequence: None,
            amount: None,
            balance_after: None,
            admin_id: None,
            reason: None,
            erasure: None,
            timestamp,
            actor: None,
        }
    }

    /// The same event, made by `actor` (a qualified principal id, or the
    /// service whose event made it): what the audit trail records.
    pub fn by(mut self, actor: &str) -> Self {
        self.actor = Some(actor.to_owned());
        self
    }

    /// `customer.created`.
    pub fn created(customer: &Customer) -> Self {
        Self::new(EventType::CustomerCreated, customer, customer.created_at)
    }

    /// `customer.updated`, naming the fields that changed.
    pub fn updated(customer: &Customer, fields: &[&str]) -> Self {
        Self {
            updated_fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
            ..Self::new(EventType::CustomerUpdated, customer, customer.updated_at)
        }
    }

    /// `customer.portfolio.updated`, naming the profile's fields that
    /// changed.
    pub fn portfolio_updated(customer: &Customer, fields: &[&str]) -> Self {
        Self {
            updated_fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
            ..Self::new(EventType::CustomerPortfolioUpdated, customer, customer.updated_at)
        }
    }

    /// `customer.deleted`.
    pub fn deleted(customer: &Customer, at: Timestamp) -> Self {
        Self::new(EventType::CustomerDeleted, customer, at)
    }

    /// `customer.deleted`, flagged as a GDPR erasure.
    pub fn erased(customer: &Customer, at: Timestamp) -> Self {
        Self {
            erasure: Some(true),
            ..Self::deleted(customer, at)
        }
    }

    /// `customer.tag.added`.
    pub fn tag_added(customer: &Customer, tag: &Tag) -> Self {
        Self {
            tag_id: Some(tag.id),
            ..Self::new(EventType::CustomerTagAdded, customer, tag.created_at)
        }
    }

    /// `customer.tag.removed`.
    pub fn tag_removed(customer: &Customer, tag: TagId, at: Timestamp) -> Self {
        Self {
            tag_id: Some(tag),
            ..Self::new(EventType::CustomerTagRemoved, customer, at)
        }
    }

    /// `customer.contact.added`: the contact's id, never its data.
    pub fn contact_added(customer: &Customer, contact: &Contact) -> Self {
        Self {
            contact_id: Some(Some(contact.id)),
            ..Self::new(EventType::CustomerContactAdded, customer, contact.created_at)
        }
    }

    /// `customer.contact.updated`, naming the fields that changed.
    pub fn contact_updated(customer: &Customer, contact: &Contact, fields: &[&str]) -> Self {
        Self {
            contact_id: Some(Some(contact.id)),
            updated_fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
            ..Self::new(EventType::CustomerContactUpdated, customer, contact.updated_at)
        }
    }

    /// `customer.contact.removed`.
    pub fn contact_removed(customer: &Customer, contact: ContactId, at: Timestamp) -> Self {
        Self {
            contact_id: Some(Some(contact)),
            ..Self::new(EventType::CustomerContactRemoved, customer, at)
        }
    }

    /// `customer.contact.primary_changed`: from `previous` to `primary`
    /// (either may be none).
    pub fn primary_changed(
        customer: &Customer,
        primary: Option<ContactId>,
        previous: Option<ContactId>,
        at: Timestamp,
    ) -> Self {
        Self {
            contact_id: Some(primary),
            previous_contact_id: Some(previous),
            ..Self::new(EventType::CustomerContactPrimaryChanged, customer, at)
        }
    }

    /// An interaction event: its id, type and time, never its subject or body.
    fn about_interaction(event_type: EventType, customer: &Customer, interaction: &Interaction, at: Timestamp) -> Self {
        Self {
            interaction_id: Some(interaction.id),
            interaction_type: Some(interaction.interaction_type),
            occurred_at: Some(interaction.occurred_at),
            ..Self::new(event_type, customer, at)
        }
    }

    /// `customer.interaction.logged`.
    pub fn interaction_logged(customer: &Customer, interaction: &Interaction) -> Self {
        Self::about_interaction(
            EventType::CustomerInteractionLogged,
            customer,
            interaction,
            interaction.created_at,
        )
    }

    /// `customer.interaction.updated`, naming the fields that changed.
    pub fn interaction_updated(customer: &Customer, interaction: &Interaction, fields: &[&str]) -> Self {
        Self {
            updated_fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
            ..Self::about_interaction(
                EventType::CustomerInteractionUpdated,
                customer,
                interaction,
                interaction.updated_at,
            )
        }
    }

    /// `customer.interaction.removed`.
    pub fn interaction_removed(customer: &Customer, interaction: &Interaction, at: Timestamp) -> Self {
        Self::about_interaction(EventType::CustomerInteractionRemoved, customer, interaction, at)
    }

    /// The token event of a ledger entry: its sequence, amount and the
    /// balance after it (for an adjustment, its reason), never its
    /// reference or movement key.
    pub fn tokens_moved(customer: &Customer, entry: &LedgerEntry) -> Self {
        let event_type = match entry.movement.kind {
            MovementKind::Purchase => EventType::TokenPurchased,
            MovementKind::Use => EventType::TokenUsed,
            MovementKind::Allocation => EventType::TokenAllocated,
            MovementKind::Refund => EventType::TokenRefunded,
            MovementKind::Expiry => EventType::TokenExpired,
            MovementKind::Adjustment => EventType::TokenAdjusted,
        };
        Self {
            sequence: Some(entry.sequence),
            amount: Some(entry.movement.amount),
            balance_after: Some(entry.balance_after),
            reason: entry.movement.reason.map(|r| r.as_str().to_owned()),
            ..Self::new(event_type, customer, entry.created_at)
        }
    }

    /// A team user event: the user's id and, once linked, its platform
    /// user's; never its email, name or phone.
    fn about_team_user(event_type: EventType, customer: &Customer, user: &TeamUser, at: Timestamp) -> Self {
        Self {
            user_id: Some(user.id),
            platform_user_id: user.platform_user_id,
            ..Self::new(event_type, customer, at)
        }
    }

    /// `user.created`.
    pub fn team_user_created(customer: &Customer, user: &TeamUser) -> Self {
        Self::about_team_user(EventType::UserCreated, customer, user, user.created_at)
    }

    /// `user.updated`, naming the fields that changed.
    pub fn team_user_updated(customer: &Customer, user: &TeamUser, fields: &[&str]) -> Self {
        Self {
            updated_fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
            ..Self::about_team_user(EventType::UserUpdated, customer, user, user.updated_at)
        }
    }

    /// `user.deleted`.
    pub fn team_user_deleted(customer: &Customer, user: &TeamUser, at: Timestamp) -> Self {
        Self::about_team_user(EventType::UserDeleted, customer, user, at)
    }

    /// `user.password.reset`.
    pub fn password_reset(customer: &Customer, user: &TeamUser, at: Timestamp) -> Self {
        Self::about_team_user(EventType::UserPasswordReset, customer, user, at)
    }

    /// A subscription event: its id, plan and period's end.
    pub fn about_subscription(
        event_type: EventType,
        customer: &Customer,
        subscription: &Subscription,
        fields: Option<&[&str]>,
    ) -> Self {
        Self {
            subscription_id: Some(subscription.id),
            plan_id: Some(subscription.plan_id),
            current_period_end: Some(subscription.current_period_end),
            updated_fields: fields.map(|f| f.iter().map(|n| (*n).to_owned()).collect()),
            ..Self::new(event_type, customer, subscription.updated_at)
        }
    }

    /// `customer.note.added`: the note's id, never its text.
    pub fn note_added(customer: &Customer, note: &Note) -> Self {
        Self {
            note_id: Some(note.id),
            ..Self::new(EventType::CustomerNoteAdded, customer, note.created_at)
        }
    }

    /// The lifecycle event for `action`, taken by `admin`; `customer` is the
    /// customer after it.
    pub fn lifecycle(customer: &Customer, action: &Action, admin: &str) -> Self {
        let (event_type, reason) = match action {
            Action::Validate => (EventType::CustomerValidated, None),
            Action::Suspend(reason) => (EventType::CustomerSuspended, Some(reason.as_str().to_owned())),
            Action::Reactivate => (EventType::CustomerReactivated, None),
        };
        Self {
            admin_id: Some(admin.to_owned()),
            reason,
            ..Self::new(event_type, customer, customer.updated_at)
        }
    }

    /// The EventBridge detail, as JSON text.
    pub fn detail_json(&self) -> String {
        // Serialising a struct of ids, strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::NewCustomer;
    use crate::test_support::object;
    use serde_json::{Value, json};

    fn customer() -> Customer {
        let body = object(json!({
            "full_name": "Jane Roe",
            "email": "jane@example.com",
            "phone": "+40712345678",
            "gender": "female",
            "user_id": "123e4567-e89b-12d3-a456-426614174000"
        }));
        NewCustomer::from_json(&body)
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::now())
    }

    #[test]
    fn the_detail_keeps_the_contract_names_and_adds_ids_and_version() {
        let c = customer();
        let event = CustomerEvent::updated(&c, &["email", "phone"]);
        let detail: Value = serde_json::from_str(&event.detail_json()).unwrap();
        assert_eq!(event.event_type.as_str(), "customer.updated");
        assert_eq!(detail["customerId"], json!(c.id.to_string()));
        assert_eq!(detail["businessId"], json!(c.business_id.to_string()));
        assert_eq!(detail["customerType"], json!("sme"));
        assert_eq!(detail["updatedFields"], json!(["email", "phone"]));
        assert_eq!(detail["schemaVersion"], json!(SCHEMA_VERSION));
        assert_eq!(detail["eventId"], json!(event.event_id.to_string()));
        assert_eq!(detail["timestamp"], json!(c.updated_at.to_string()));
    }

    #[test]
    fn no_event_carries_personal_data() {
        let c = customer();
        for event in [
            CustomerEvent::created(&c),
            CustomerEvent::updated(&c, &["full_name", "email", "phone"]),
            CustomerEvent::deleted(&c, Timestamp::now()),
        ] {
            let detail = event.detail_json();
            for personal in ["Jane", "Roe", "jane@example.com", "40712345678"] {
                assert!(
                    !detail.contains(personal),
                    "{} leaks {personal}: {detail}",
                    event.event_type
                );
            }
        }
    }

    #[test]
    fn tag_and_note_events_carry_ids_only() {
        let c = customer();
        let tag = crate::tag::NewTag::many_from_json(&json!({"label": "Jane's favourite"}))
            .unwrap()
            .remove(0)
            .into_tag(c.id, c.business_id, "staff-1", Timestamp::now());
        let note = crate::note::NewNote::from_json(&object(json!({"content": "Jane Roe called about her order"})))
            .unwrap()
            .into_note(c.id, c.business_id, "staff-1", Timestamp::now());
        let added: Value = serde_json::from_str(&CustomerEvent::tag_added(&c, &tag).detail_json()).unwrap();
        assert_eq!(added["tagId"], json!(tag.id.to_string()));
        let removed = CustomerEvent::tag_removed(&c, tag.id, Timestamp::now());
        assert_eq!(removed.event_type.as_str(), "customer.tag.removed");
        let noted = CustomerEvent::note_added(&c, &note);
        let detail = noted.detail_json();
        assert!(detail.contains(&note.id.to_string()));
        for personal in ["Jane", "Roe", "favourite", "called"] {
            assert!(
                !detail.contains(personal) && !added.to_string().contains(personal),
                "{personal}"
            );
        }
    }

    #[test]
    fn lifecycle_events_carry_the_contract_admin_id_and_reason() {
        let c = customer();
        let reason = crate::lifecycle::Reason::parse("Unpaid invoices").unwrap();
        let suspended = CustomerEvent::lifecycle(&c, &Action::Suspend(reason), "admin-7");
        let detail: Value = serde_json::from_str(&suspended.detail_json()).unwrap();
        assert_eq!(suspended.event_type.as_str(), "customer.suspended");
        assert_eq!(
            (detail["adminId"].as_str(), detail["reason"].as_str()),
            (Some("admin-7"), Some("Unpaid invoices"))
        );
        let validated: Value =
            serde_json::from_str(&CustomerEvent::lifecycle(&c, &Action::Validate, "a").detail_json()).unwrap();
        assert!(validated.get("reason").is_none());
    }

    #[test]
    fn created_and_deleted_have_no_updated_fields() {
        let c = customer();
        let created: Value = serde_json::from_str(&CustomerEvent::created(&c).detail_json()).unwrap();
        assert!(created.get("updatedFields").is_none());
        assert_eq!(created["timestamp"], json!(c.created_at.to_string()));
    }
}
