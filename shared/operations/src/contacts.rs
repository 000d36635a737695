//! Contacts: the people at a customer. Added, read, replaced and removed,
//! and one of them made the customer's primary contact. Each change records
//! its event (ids and field names, never the contact's data) and its audit
//! entry, so consent changes are in the customer's audit trail.

use clientele_core::contact_person::{Contact, ContactInput, MAX_CONTACTS_PER_CUSTOMER};
use clientele_core::search::SearchQuery;
use clientele_core::{
    BusinessId, ContactId, Customer, CustomerEvent, CustomerId, OperationError, Page, Precondition, ValidationErrors,
};
use clientele_store::DynamoStore;
use clientele_store::contacts::ContactWrite;

use crate::{Actor, customers};

/// Attempts when other writers keep changing the contact or its customer.
const ATTEMPTS: usize = 5;

/// A contact and whether it is its customer's primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The contact.
    pub contact: Contact,
    /// Whether it is its customer's primary contact.
    pub primary: bool,
}

fn taken(indexes: &[usize]) -> OperationError {
    let mut errors = ValidationErrors::new();
    for i in indexes {
        errors.push(
            &format!("emails[{i}].address"),
            "is already used by another contact of this customer",
        );
    }
    OperationError::ContactEmailTaken(errors)
}

/// A contact of `business` with its customer, or [`OperationError::ContactNotFound`].
async fn contact_and_customer(
    store: &DynamoStore,
    business: BusinessId,
    id: ContactId,
) -> Result<(Contact, Customer), OperationError> {
    let contact = store
        .contact(id)
        .await?
        .filter(|c| c.business_id == business)
        .ok_or(OperationError::ContactNotFound)?;
    let customer = store
        .customer(business, contact.customer_id)
        .await?
        .ok_or(OperationError::ContactNotFound)?;
    Ok((contact, customer))
}

/// Adds a contact to the customer the input names, in the actor's business.
pub async fn add(store: &DynamoStore, actor: &Actor, input: ContactInput) -> Result<Shown, OperationError> {
    let Some(customer_id) = input.customer_id else {
        return Err(ValidationErrors::single("customer_id", "is required").into());
    };
    let customer = customers::get(store, actor.business, customer_id).await?;
    let contact = input.into_contact(customer.id, customer.business_id, &actor.id, actor.at);
    let event = CustomerEvent::contact_added(&customer, &contact).by(&actor.id);
    match store.add_contact(&customer, &contact, &event).await? {
        ContactWrite::Done => Ok(Shown {
            contact,
            primary: false,
        }),
        ContactWrite::EmailsTaken(indexes) => Err(taken(&indexes)),
        ContactWrite::LimitReached => Err(OperationError::LimitReached {
            what: "contacts",
            limit: MAX_CONTACTS_PER_CUSTOMER,
        }),
        ContactWrite::NoCustomer | ContactWrite::Raced => Err(OperationError::NotFound),
    }
}

/// A contact of `business`.
pub async fn get(store: &DynamoStore, business: BusinessId, id: ContactId) -> Result<Shown, OperationError> {
    let (contact, customer) = contact_and_customer(store, business, id).await?;
    Ok(Shown {
        primary: customer.primary_contact_id == Some(contact.id),
        contact,
    })
}

/// Every contact of a customer of `business`, oldest first.
pub async fn of_customer(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
) -> Result<Vec<Shown>, OperationError> {
    let customer = customers::get(store, business, customer_id).await?;
    Ok(store
        .contacts_of(customer.id)
        .await?
        .into_iter()
        .map(|contact| Shown {
            primary: customer.primary_contact_id == Some(contact.id),
            contact,
        })
        .collect())
}

/// A page of the contacts of `business` matching `q` (by name word, email
/// or phone digits, as customers are searched), of one customer when
/// `within` names one.
pub async fn search(
    store: &DynamoStore,
    business: BusinessId,
    q: &SearchQuery,
    within: Option<CustomerId>,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<Shown>, OperationError> {
    if let Some(customer) = within {
        customers::get(store, business, customer).await?;
    }
    let Page { items, next_cursor } = store.search_contacts(business, q, within, cursor, limit).await?;
    let owners: Vec<CustomerId> = items.iter().map(|c| c.customer_id).collect();
    let primaries = store.primaries(business, &owners).await?;
    // A contact whose customer is being deleted is not shown.
    let items = items
        .into_iter()
        .filter_map(|contact| {
            let primary = *primaries.get(&contact.customer_id)?;
            Some(Shown {
                primary: primary == Some(contact.id),
                contact,
            })
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// Replaces a contact's writable fields. A body naming a customer must name
/// the contact's own: a contact never moves to another customer.
pub async fn replace(
    store: &DynamoStore,
    actor: &Actor,
    id: ContactId,
    input: ContactInput,
    precondition: Option<&Precondition>,
) -> Result<Shown, OperationError> {
    for _ in 0..ATTEMPTS {
        let (before, customer) = contact_and_customer(store, actor.business, id).await?;
        if input.customer_id.is_some_and(|named| named != before.customer_id) {
            return Err(ValidationErrors::single("customer_id", "is the contact's customer and cannot change").into());
        }
        if precondition.is_some_and(|p| !p.admits(before.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        let primary = customer.primary_contact_id == Some(before.id);
        let after = before.replaced(input.clone(), &actor.id, actor.at);
        let changed = after.changed_fields(&before);
        if changed.is_empty() {
            return Ok(Shown {
                contact: before,
                primary,
            });
        }
        let event = CustomerEvent::contact_updated(&customer, &after, &changed).by(&actor.id);
        match store.replace_contact(&customer, &before, &after, &event).await? {
            ContactWrite::Done => {
                return Ok(Shown {
                    contact: after,
                    primary,
                });
            }
            ContactWrite::EmailsTaken(indexes) => return Err(taken(&indexes)),
            ContactWrite::NoCustomer => return Err(OperationError::ContactNotFound),
            ContactWrite::LimitReached => return Err(OperationError::Contended),
            ContactWrite::Raced if precondition.is_some_and(Precondition::names_versions) => {
                return Err(OperationError::PreconditionFailed);
            }
            ContactWrite::Raced => continue,
        }
    }
    Err(OperationError::Contended)
}

/// Removes a contact. When it was the customer's primary, the customer has
/// none after (none is picked in its place).
pub async fn remove(
    store: &DynamoStore,
    actor: &Actor,
    id: ContactId,
    precondition: Option<&Precondition>,
) -> Result<(), OperationError> {
    for _ in 0..ATTEMPTS {
        let (contact, customer) = contact_and_customer(store, actor.business, id).await?;
        if precondition.is_some_and(|p| !p.admits(contact.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        let mut events = vec![CustomerEvent::contact_removed(&customer, contact.id, actor.at).by(&actor.id)];
        let without = (customer.primary_contact_id == Some(contact.id)).then(|| Customer {
            primary_contact_id: None,
            updated_at: actor.at,
            version: customer.version + 1,
            ..customer.clone()
        });
        if let Some(after) = &without {
            events.push(CustomerEvent::primary_changed(after, None, Some(contact.id), actor.at).by(&actor.id));
        }
        match store
            .remove_contact(&customer, without.as_ref(), &contact, &events)
            .await?
        {
            ContactWrite::Done => return Ok(()),
            ContactWrite::Raced if precondition.is_some_and(Precondition::names_versions) => {
                return Err(OperationError::PreconditionFailed);
            }
            ContactWrite::NoCustomer => return Err(OperationError::ContactNotFound),
            _ => continue,
        }
    }
    Err(OperationError::Contended)
}

/// Makes a contact its customer's primary contact, the previous one no
/// longer (one write of the customer record: there is never more than one).
pub async fn make_primary(store: &DynamoStore, actor: &Actor, id: ContactId) -> Result<Shown, OperationError> {
    for _ in 0..ATTEMPTS {
        let (contact, customer) = contact_and_customer(store, actor.business, id).await?;
        if customer.primary_contact_id == Some(contact.id) {
            return Ok(Shown { contact, primary: true });
        }
        let after = Customer {
            primary_contact_id: Some(contact.id),
            updated_at: actor.at,
            version: customer.version + 1,
            ..customer.clone()
        };
        let event = CustomerEvent::primary_changed(&after, Some(contact.id), customer.primary_contact_id, actor.at)
            .by(&actor.id);
        match store.set_primary(&customer, &after, &contact, &event).await? {
            ContactWrite::Done => return Ok(Shown { contact, primary: true }),
            ContactWrite::NoCustomer => return Err(OperationError::ContactNotFound),
            _ => continue,
        }
    }
    Err(OperationError::Contended)
}
