//! GDPR requests: who an export or an erasure is about, and the receipt an
//! erasure leaves for the audit trail.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::id::{BusinessId, CustomerId, UserId};
use crate::time::Timestamp;
use crate::validation::{ObjectReader, ValidationErrors};

/// The version of the export document's shape.
pub const EXPORT_SCHEMA_VERSION: u32 = 1;

/// Who a request names: a customer record, or a platform user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// `{"customer_id": ...}`.
    Customer(CustomerId),
    /// `{"user_id": ..., "business_id": ...}` (the original service's body).
    User(UserId),
}

/// The body of `POST /api/gdpr/export` and `POST /api/gdpr/delete`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GdprRequest {
    /// Who it is about.
    pub subject: Subject,
    /// The business the body names, if it names one: it must be the caller's.
    pub business_id: Option<BusinessId>,
}

impl GdprRequest {
    /// Reads a body: exactly one of `customer_id` and `user_id`, and
    /// `business_id` (required with `user_id`, optional with `customer_id`).
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let customer = reader.optional("customer_id", CustomerId::parse);
        let user = reader.optional("user_id", UserId::parse);
        let business_id = if body.contains_key("user_id") {
            reader.required("business_id", BusinessId::parse)
        } else {
            reader.optional("business_id", BusinessId::parse)
        };
        reader.refuse_unknown(&["customer_id", "user_id", "business_id"]);
        let mut errors = reader.finish();
        let subject = match (customer, user) {
            (Some(id), None) => Some(Subject::Customer(id)),
            (None, Some(user)) => Some(Subject::User(user)),
            (Some(_), Some(_)) => {
                errors.push("user_id", "give customer_id or user_id, not both");
                None
            }
            (None, None) => {
                if errors.is_empty() {
                    errors.push("customer_id", "is required (or user_id with business_id)");
                }
                None
            }
        };
        errors.into_result(|| subject.map(|subject| Self { subject, business_id }))
    }
}

/// What an erasure leaves behind for the audit trail: ids, who, when and how
/// many items of each kind went; no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReceipt {
    /// The customer erased.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// The principal who asked (a user's id or a client's).
    pub erased_by: String,
    /// When the erasure completed.
    pub erased_at: Timestamp,
    /// Items erased, by kind, by the run that completed the erasure.
    pub items: BTreeMap<String, u64>,
    /// Stored objects (avatar images, exports) erased.
    pub objects: u64,
    /// Items kept, by kind: the token balance and ledger, an accounting
    /// record the business must keep, holding identifiers and amounts only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kept: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use serde_json::json;

    const CUSTOMER: &str = "123e4567-e89b-12d3-a456-426614174002";
    const USER: &str = "123e4567-e89b-12d3-a456-426614174000";
    const BUSINESS: &str = "123e4567-e89b-12d3-a456-426614174001";

    #[test]
    fn the_original_body_and_a_customer_id_are_both_understood() {
        let by_user = GdprRequest::from_json(&object(json!({"user_id": USER, "business_id": BUSINESS}))).unwrap();
        assert_eq!(by_user.subject, Subject::User(UserId::parse(USER).unwrap()));
        assert_eq!(by_user.business_id, Some(BusinessId::parse(BUSINESS).unwrap()));
        let by_id = GdprRequest::from_json(&object(json!({"customer_id": CUSTOMER}))).unwrap();
        assert_eq!(by_id.subject, Subject::Customer(CustomerId::parse(CUSTOMER).unwrap()));
        assert_eq!(by_id.business_id, None);
    }

    #[test]
    fn a_body_names_one_subject_with_valid_ids_and_nothing_else() {
        for (body, field) in [
            (json!({}), "customer_id"),
            (json!({"user_id": USER}), "business_id"),
            (
                json!({"customer_id": CUSTOMER, "user_id": USER, "business_id": BUSINESS}),
                "user_id",
            ),
            (json!({"customer_id": "nope"}), "customer_id"),
            (json!({"customer_id": CUSTOMER, "email": "x@example.com"}), "email"),
            (json!({"user_id": USER, "business_id": 7}), "business_id"),
        ] {
            let errors = GdprRequest::from_json(&object(body.clone())).unwrap_err();
            assert!(errors.fields().contains(&field), "{body}: {:?}", errors.fields());
        }
    }
}
