//! What callers are shown of a customer, its tags and notes: the bodies of the
//! API's answers, the profile in a GDPR export, and the fields a data
//! response may carry. One definition, so the three cannot drift; the domain
//! records stay free of any representation.

use clientele_core::portfolio::Portfolio;
use clientele_core::saved_segment::{Definition, SavedSegment, SegmentFilter, SegmentName};
use clientele_core::{
    BusinessId, Customer, CustomerHistory, CustomerId, CustomerStats, CustomerStatus, CustomerType, Email, FullName,
    Gender, Note, NoteContent, NoteId, Phone, Tag, TagColor, TagId, TagLabel, Timestamp, UserId,
};
use clientele_core::{ContactId, SegmentId};
use serde::Serialize;

/// Where the API serves a customer's avatar (a redirect to the image).
pub fn avatar_url(id: CustomerId) -> String {
    format!("/api/customers/{id}/avatar")
}

/// A customer as the API shows it.
#[derive(Debug, Serialize)]
pub struct CustomerView<'a> {
    /// The record's id.
    pub id: CustomerId,
    /// The platform user the record is for.
    pub user_id: UserId,
    /// Its business.
    pub business_id: BusinessId,
    /// Full name.
    pub full_name: &'a FullName,
    /// Email address.
    pub email: &'a Email,
    /// Phone number.
    pub phone: Option<&'a Phone>,
    /// Gender.
    pub gender: Gender,
    /// [`avatar_url`], once an image is uploaded.
    pub avatar_url: Option<String>,
    /// SME or institution.
    pub customer_type: CustomerType,
    /// Lifecycle status.
    pub status: CustomerStatus,
    /// Order and appointment totals.
    #[serde(flatten)]
    pub stats: &'a CustomerStats,
    /// Its primary contact, if one is set.
    pub primary_contact_id: Option<ContactId>,
    /// What its portfolio service keeps about it (`{}` until it keeps
    /// anything).
    pub portfolio: &'a Portfolio,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Its version, which its ETag is made from.
    pub version: u64,
}

impl<'a> From<&'a Customer> for CustomerView<'a> {
    fn from(c: &'a Customer) -> Self {
        Self {
            id: c.id,
            user_id: c.user_id,
            business_id: c.business_id,
            full_name: &c.full_name,
            email: &c.email,
            phone: c.phone.as_ref(),
            gender: c.gender,
            avatar_url: c.avatar_key.as_ref().map(|_| avatar_url(c.id)),
            customer_type: c.customer_type,
            status: c.status,
            stats: &c.stats,
            primary_contact_id: c.primary_contact_id,
            portfolio: &c.portfolio,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

/// A customer's statistics and the history behind them.
#[derive(Debug, Serialize)]
pub struct StatisticsView<'a> {
    /// Totals.
    #[serde(flatten)]
    pub stats: &'a CustomerStats,
    /// First dates, returns and cancellations.
    #[serde(flatten)]
    pub history: &'a CustomerHistory,
}

impl<'a> From<&'a Customer> for StatisticsView<'a> {
    fn from(c: &'a Customer) -> Self {
        Self {
            stats: &c.stats,
            history: &c.history,
        }
    }
}

/// A tag as the API shows it.
#[derive(Debug, Serialize)]
pub struct TagView<'a> {
    /// The tag's id.
    pub id: TagId,
    /// The customer it is on.
    pub customer_id: CustomerId,
    /// The label.
    pub label: &'a TagLabel,
    /// Its display colour.
    pub color: Option<&'a TagColor>,
    /// Its place in the customer's list: lower first.
    pub priority: i64,
    /// The principal who added it.
    pub created_by: &'a str,
    /// When it was added.
    pub created_at: Timestamp,
}

impl<'a> From<&'a Tag> for TagView<'a> {
    fn from(t: &'a Tag) -> Self {
        Self {
            id: t.id,
            customer_id: t.customer_id,
            label: &t.label,
            color: t.color.as_ref(),
            priority: t.priority,
            created_by: &t.created_by,
            created_at: t.created_at,
        }
    }
}

/// A note as the API shows it.
#[derive(Debug, Serialize)]
pub struct NoteView<'a> {
    /// The note's id.
    pub id: NoteId,
    /// The customer it is about.
    pub customer_id: CustomerId,
    /// The text.
    pub content: &'a NoteContent,
    /// The principal who wrote it.
    pub created_by: &'a str,
    /// When it was written.
    pub created_at: Timestamp,
}

impl<'a> From<&'a Note> for NoteView<'a> {
    fn from(n: &'a Note) -> Self {
        Self {
            id: n.id,
            customer_id: n.customer_id,
            content: &n.content,
            created_by: &n.created_by,
            created_at: n.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SHAREABLE_FIELDS;
    use clientele_core::NewCustomer;
    use serde_json::json;

    fn customer() -> Customer {
        let serde_json::Value::Object(body) = json!({
            "full_name": "John Doe", "email": "john.doe@example.com", "phone": "0712345678",
            "gender": "male", "user_id": "123e4567-e89b-12d3-a456-426614174000"
        }) else {
            unreachable!()
        };
        NewCustomer::from_json(&body)
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::now())
    }

    #[test]
    fn the_api_shows_every_shareable_field_and_no_history() {
        let json = serde_json::to_value(CustomerView::from(&customer())).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        for key in SHAREABLE_FIELDS {
            assert!(keys.contains(key), "{key} missing from {keys:?}");
        }
        assert_eq!(keys.len(), SHAREABLE_FIELDS.len(), "{keys:?}");
        assert!(!keys.contains(&"returned_orders"));
        assert_eq!(json["lifetime_value"], json!(0.0));
        assert_eq!(json["avatar_url"], json!(null));
    }

    #[test]
    fn a_customer_with_an_image_links_to_its_avatar_route() {
        let c = customer().with_avatar("avatars/x/y/z.png".to_owned(), Timestamp::now());
        let json = serde_json::to_value(CustomerView::from(&c)).unwrap();
        assert_eq!(json["avatar_url"], json!(format!("/api/customers/{}/avatar", c.id)));
        assert!(!json.to_string().contains("avatars/x/y"), "the key is never shown");
    }
}

/// A saved segment as the API shows it.
#[derive(Debug, Serialize)]
pub struct SavedSegmentView<'a> {
    /// Its id.
    pub id: SegmentId,
    /// Its name.
    pub name: &'a SegmentName,
    /// `filter` or `list`.
    pub kind: &'static str,
    /// A filter segment's filter; `null` for a list.
    pub filter: Option<&'a SegmentFilter>,
    /// Who saved it.
    pub created_by: &'a str,
    /// When.
    pub created_at: Timestamp,
    /// Where its members are listed.
    pub members_href: String,
}

impl<'a> From<&'a SavedSegment> for SavedSegmentView<'a> {
    fn from(segment: &'a SavedSegment) -> Self {
        Self {
            id: segment.id,
            name: &segment.name,
            kind: segment.definition.kind(),
            filter: match &segment.definition {
                Definition::Filter(filter) => Some(filter),
                Definition::List => None,
            },
            created_by: &segment.created_by,
            created_at: segment.created_at,
            members_href: format!("/api/customers/segments/{}/customers", segment.id),
        }
    }
}
