//! Clientele's domain: customers, their tags and notes, the rules their data
//! follows, and the events their changes record.
//!
//! Nothing here talks to AWS or knows HTTP. Values are parsed once at the edge
//! ([`NewCustomer`], [`CustomerPatch`], [`Email`], ...) and are valid from then
//! on; each change is a pure function from the record as it is to the record
//! as it will be, with the event it records. Storage and the rules of each
//! change live above this crate, in `clientele-store` and
//! `clientele-operations`.

pub mod audit;
pub mod client;
pub mod contact;
pub mod contact_person;
pub mod customer;
pub mod error;
pub mod event;
pub mod facts;
pub mod gdpr;
pub mod id;
pub mod inbound;
pub mod interaction;
pub mod lifecycle;
pub mod note;
pub mod order;
pub mod portfolio;
pub mod precondition;
pub mod rate;
pub mod saved_segment;
pub mod search;
pub mod store;
pub mod subscription;
pub mod tag;
pub mod team_user;
pub mod text;
pub mod time;
pub mod token;
pub mod transfer;
pub mod validation;

#[cfg(test)]
mod parser_fuzz;
#[cfg(test)]
mod test_support;

pub use audit::AuditEntry;
pub use client::{Client, ClientName, PreviousSecret, Scope};
pub use contact::{Email, FullName, Phone};
pub use customer::{
    Customer, CustomerHistory, CustomerPatch, CustomerStats, CustomerStatus, CustomerType, Gender, NewCustomer,
};
pub use error::OperationError;
pub use event::{CustomerEvent, EventType};
pub use id::{
    BusinessId, ClientId, ContactId, CustomerId, EventId, InteractionId, InvalidId, NoteId, PlanId, SegmentId,
    SubscriptionId, TagId, TeamUserId, TransferId, UserId,
};
pub use note::{NewNote, Note, NoteContent};
pub use precondition::Precondition;
pub use rate::{Rate, RateWindow};
pub use search::SearchQuery;
pub use store::{ClientChange, ClientReader, ClientWriter, CustomerQuery, Page, StoreError, UniqueField};
pub use tag::{NewTag, Tag, TagColor, TagLabel};
pub use time::{Clock, SystemClock, Timestamp};
pub use validation::{FieldError, ValidationErrors};
