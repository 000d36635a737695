//! Clientele's domain: customers, the rules their data follows, the operations
//! that change them, and the events those changes record.
//!
//! Nothing here talks to AWS. Values are parsed once at the edge ([`NewCustomer`],
//! [`CustomerPatch`], [`Email`], ...) and are valid from then on; storage is
//! reached through the traits in [`store`].

pub mod client;
pub mod contact;
pub mod customer;
pub mod event;
pub mod facts;
pub mod gdpr;
pub mod id;
pub mod inbound;
pub mod lifecycle;
pub mod note;
pub mod operations;
pub mod rate;
pub mod store;
pub mod tag;
pub mod text;
pub mod time;
pub mod validation;

#[cfg(test)]
mod test_support;

pub use client::{Client, ClientName, Scope};
pub use contact::{Email, FullName, Phone};
pub use customer::{
    Customer, CustomerHistory, CustomerPatch, CustomerStats, CustomerStatus, CustomerType, Gender, NewCustomer,
};
pub use event::{CustomerEvent, EventType};
pub use id::{BusinessId, ClientId, CustomerId, EventId, InvalidId, NoteId, TagId, UserId};
pub use note::{NewNote, Note, NoteContent};
pub use operations::{CustomerError, Precondition};
pub use rate::{Rate, RateWindow};
pub use store::{
    Blobs, ClientChange, ClientReader, ClientWriter, CustomerQuery, CustomerReader, CustomerWriter, FactStore,
    NoteStore, Page, StoreError, TagStore, UniqueField,
};
pub use tag::{NewTag, Tag, TagColor, TagLabel};
pub use time::{Clock, SystemClock, Timestamp};
pub use validation::{FieldError, Location, ValidationErrors};
