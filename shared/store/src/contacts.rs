//! Contacts in DynamoDB. A contact lives in its customer's partition
//! (`sk = CONTACT#<contact_id>`), so the customer's deletion and erasure
//! take it; a pointer under its id (`CONTACT#<contact_id>`) finds it for
//! `/api/contacts/{id}`. Each of its email addresses is claimed in the
//! customer's partition (`CONTACT_EMAIL#<email, folded>`), so no two of a
//! customer's contacts share one; the customer's contact count bounds how
//! many it has. Every change writes its event and audit entry in the same
//! transaction, and the customer's primary contact is the customer
//! record's own field, moved with a version check. A contact's search terms
//! (see `search`) are written with every change of it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::contact_person::{Contact, MAX_CONTACTS_PER_CUSTOMER};
use clientele_core::{BusinessId, ContactId, Customer, CustomerEvent, CustomerId, StoreError};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::counts::Counter;
use crate::items::{Item, entity, from_item, to_item};
use crate::keys::{self, Key};
use crate::transact::{Write, transact};

/// A contact's stored form.
#[derive(Serialize, Deserialize)]
pub(crate) struct ContactItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    pub(crate) contact: Contact,
}

/// The pointer to a contact, under its id.
#[derive(Serialize, Deserialize)]
struct PointerItem {
    pk: String,
    sk: String,
    entity: String,
    contact_id: ContactId,
    customer_id: CustomerId,
    business_id: BusinessId,
}

fn contact_from(item: Item) -> Result<Contact, StoreError> {
    Ok(from_item::<ContactItem>(item)?.contact)
}

fn contact_item(contact: &Contact) -> Result<Item, StoreError> {
    let key = keys::contact(contact.customer_id, contact.id);
    to_item(&ContactItem {
        pk: key.pk,
        sk: key.sk,
        entity: entity::CONTACT.to_owned(),
        contact: contact.clone(),
    })
}

/// What became of a change of contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactWrite {
    /// Written.
    Done,
    /// Another of the customer's contacts has these emails (by their place
    /// in the contact's list).
    EmailsTaken(Vec<usize>),
    /// The customer has as many contacts as it may.
    LimitReached,
    /// The customer is gone.
    NoCustomer,
    /// Something changed since it was read: read again.
    Raced,
}

impl DynamoStore {
    /// A contact by id, whatever its customer.
    #[tracing::instrument(skip_all, fields(contact_id = %id))]
    pub async fn contact(&self, id: ContactId) -> Result<Option<Contact>, StoreError> {
        let Some(pointer) = self.get_item(keys::contact_by_id(id)).await? else {
            return Ok(None);
        };
        let pointer: PointerItem = from_item(pointer)?;
        self.get_item(keys::contact(pointer.customer_id, id))
            .await?
            .map(contact_from)
            .transpose()
    }

    /// Every contact of a customer (a customer has at most
    /// [`MAX_CONTACTS_PER_CUSTOMER`]), oldest first.
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn contacts_of(&self, customer: CustomerId) -> Result<Vec<Contact>, StoreError> {
        let mut contacts = self
            .under(keys::customer_partition(customer), keys::CONTACT_PREFIX)
            .await?
            .into_iter()
            .map(contact_from)
            .collect::<Result<Vec<_>, _>>()?;
        contacts.sort_by_key(|c| (c.created_at, c.id));
        Ok(contacts)
    }

    /// The primary contact of each of these customers of `business` that
    /// is there (a customer not there, or of another business, is absent).
    pub async fn primaries(
        &self,
        business: BusinessId,
        customers: &[CustomerId],
    ) -> Result<HashMap<CustomerId, Option<ContactId>>, StoreError> {
        let mut ids = customers.to_vec();
        ids.sort_unstable();
        ids.dedup();
        Ok(self
            .customers_by_id(&ids)
            .await?
            .into_values()
            .filter(|c| c.business_id == business)
            .map(|c| (c.id, c.primary_contact_id))
            .collect())
    }

    fn email_claim(&self, customer: CustomerId, folded: &str, contact: ContactId) -> Write {
        let key = keys::contact_email(customer, folded);
        let mut item = key.to_attributes();
        item.insert(
            "entity".to_owned(),
            AttributeValue::S(entity::CONTACT_EMAIL_CLAIM.to_owned()),
        );
        item.insert("contact_id".to_owned(), AttributeValue::S(contact.to_string()));
        item.insert("customer_id".to_owned(), AttributeValue::S(customer.to_string()));
        Write::put(&self.table, item).condition("attribute_not_exists(pk)")
    }

    /// Adds a contact to a customer still in its business, with its claims,
    /// its count and its event.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, contact_id = %contact.id))]
    pub async fn add_contact(
        &self,
        customer: &Customer,
        contact: &Contact,
        event: &CustomerEvent,
    ) -> Result<ContactWrite, StoreError> {
        let pointer = keys::contact_by_id(contact.id);
        let mut writes = vec![
            self.customer_still_there(customer),
            self.count_write(customer.id, Counter::Contacts, 1, Some(MAX_CONTACTS_PER_CUSTOMER)),
            Write::put(&self.table, contact_item(contact)?).condition("attribute_not_exists(pk)"),
            Write::put(
                &self.table,
                to_item(&PointerItem {
                    pk: pointer.pk,
                    sk: pointer.sk,
                    entity: entity::CONTACT_BY_ID.to_owned(),
                    contact_id: contact.id,
                    customer_id: customer.id,
                    business_id: customer.business_id,
                })?,
            )
            .condition("attribute_not_exists(pk)"),
        ];
        let claims_from = writes.len();
        for folded in contact.folded_emails() {
            writes.push(self.email_claim(customer.id, &folded, contact.id));
        }
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        writes.extend(self.contact_term_writes(None, Some(contact))?);
        let emails = contact.emails.len();
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(ContactWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(ContactWrite::NoCustomer),
            Err(cancelled) if cancelled.failed(1) => Ok(ContactWrite::LimitReached),
            Err(cancelled) => {
                let taken: Vec<usize> = (0..emails).filter(|i| cancelled.failed(claims_from + i)).collect();
                if taken.is_empty() {
                    Err(StoreError::Unexpected("a contact id was used twice".into()))
                } else {
                    Ok(ContactWrite::EmailsTaken(taken))
                }
            }
        }
    }

    /// Replaces `before` with `after` (if still at `before`'s version),
    /// moving the claims of the emails that changed, with its event.
    #[tracing::instrument(skip_all, fields(contact_id = %after.id))]
    pub async fn replace_contact(
        &self,
        customer: &Customer,
        before: &Contact,
        after: &Contact,
        event: &CustomerEvent,
    ) -> Result<ContactWrite, StoreError> {
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::put(&self.table, contact_item(after)?).at_version(before.version),
        ];
        let (old, new) = (before.folded_emails(), after.folded_emails());
        let claims_from = writes.len();
        let added: Vec<usize> = (0..new.len()).filter(|i| !old.contains(&new[*i])).collect();
        for i in &added {
            writes.push(self.email_claim(customer.id, &new[*i], after.id));
        }
        for gone in old.iter().filter(|e| !new.contains(e)) {
            writes.push(Write::delete(&self.table, keys::contact_email(customer.id, gone)));
        }
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        writes.extend(self.contact_term_writes(Some(before), Some(after))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(ContactWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(ContactWrite::NoCustomer),
            Err(cancelled) if cancelled.failed(1) => Ok(ContactWrite::Raced),
            Err(cancelled) => {
                let taken: Vec<usize> = added
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| cancelled.failed(claims_from + n))
                    .map(|(_, i)| *i)
                    .collect();
                Ok(ContactWrite::EmailsTaken(taken))
            }
        }
    }

    /// Removes a contact with its pointer, claims and count; when it is the
    /// customer's primary, `customer_after` (the customer without one, at
    /// the next version) is written too. `events` are the change's.
    #[tracing::instrument(skip_all, fields(contact_id = %contact.id))]
    pub async fn remove_contact(
        &self,
        customer: &Customer,
        customer_after: Option<&Customer>,
        contact: &Contact,
        events: &[CustomerEvent],
    ) -> Result<ContactWrite, StoreError> {
        let mut writes = vec![
            match customer_after {
                Some(after) => self.profile_write(after, customer.version)?,
                None => self.customer_still_there(customer),
            },
            Write::delete(&self.table, keys::contact(customer.id, contact.id)).at_version(contact.version),
            Write::delete(&self.table, keys::contact_by_id(contact.id)),
            self.count_write(customer.id, Counter::Contacts, -1, None),
        ];
        for folded in contact.folded_emails() {
            writes.push(Write::delete(&self.table, keys::contact_email(customer.id, &folded)));
        }
        writes.extend(self.recorded_writes(events)?);
        writes.extend(self.contact_term_writes(Some(contact), None)?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(ContactWrite::Done),
            Err(cancelled) if cancelled.failed(0) && customer_after.is_none() => Ok(ContactWrite::NoCustomer),
            Err(_) => Ok(ContactWrite::Raced),
        }
    }

    /// Makes `after` (the customer with its new primary contact, at the next
    /// version) the customer, if it is still at `before`'s version and the
    /// contact is still there.
    #[tracing::instrument(skip_all, fields(customer_id = %before.id))]
    pub async fn set_primary(
        &self,
        before: &Customer,
        after: &Customer,
        contact: &Contact,
        event: &CustomerEvent,
    ) -> Result<ContactWrite, StoreError> {
        let mut writes = vec![
            self.profile_write(after, before.version)?,
            Write::check(&self.table, keys::contact(contact.customer_id, contact.id)).condition("attribute_exists(pk)"),
        ];
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(ContactWrite::Done),
            Err(cancelled) if cancelled.failed(0) && !cancelled.failed_but_exists(0) => Ok(ContactWrite::NoCustomer),
            Err(_) => Ok(ContactWrite::Raced),
        }
    }
}

/// The key of a contact's pointer, for the sweep and the GDPR requests.
pub(crate) fn pointer_of(item: &Item) -> Option<Key> {
    let id = item.get("id")?.as_s().ok()?.parse().ok()?;
    Some(keys::contact_by_id(id))
}
