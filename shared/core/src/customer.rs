//! The customer record, and the two ways a client changes it: a create body and
//! a JSON merge patch. Both are parsed into values that cannot hold bad data.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::contact::{Email, FullName, Phone};
use crate::id::{BusinessId, ContactId, CustomerId, UserId};
use crate::portfolio::{self, Portfolio};
use crate::text::text_enum;
use crate::time::Timestamp;
use crate::validation::{ObjectReader, PatchValue, ValidationErrors};

text_enum!(
    /// A customer's gender, as the customer gave it.
    Gender {
        /// Male.
        Male => "male",
        /// Female.
        Female => "female",
        /// Any other answer.
        Other => "other",
    }
);

text_enum!(
    /// What kind of customer this is (the event contract's `customerType`).
    CustomerType {
        /// A small or medium enterprise: the default.
        Sme => "sme",
        /// An institution.
        Institution => "institution",
    }
);

text_enum!(
    /// Where a customer is in its lifecycle. New customers are pending.
    CustomerStatus {
        /// Created, not yet validated by an admin.
        Pending => "pending",
        /// Validated.
        Active => "active",
        /// Suspended by an admin.
        Suspended => "suspended",
    }
);

/// Order and appointment totals, kept from other services' facts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CustomerStats {
    /// Completed orders.
    pub total_orders: u64,
    /// Booked appointments.
    pub total_appointments: u64,
    /// When the latest order was completed.
    pub last_order_date: Option<Timestamp>,
    /// When the latest appointment was booked.
    pub last_appointment_date: Option<Timestamp>,
    /// The total value of completed orders, less returns.
    #[serde(with = "rust_decimal::serde::float")]
    pub lifetime_value: Decimal,
}

/// The longer history behind the totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CustomerHistory {
    /// When the first order was completed.
    pub first_order_date: Option<Timestamp>,
    /// When the first appointment was booked.
    pub first_appointment_date: Option<Timestamp>,
    /// Orders returned.
    pub returned_orders: u64,
    /// Appointments cancelled.
    pub cancelled_appointments: u64,
}

/// A customer of a business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The record's id.
    pub id: CustomerId,
    /// The platform user this record is for.
    pub user_id: UserId,
    /// The business the record belongs to.
    pub business_id: BusinessId,
    /// Full name.
    pub full_name: FullName,
    /// Email address; unique within the business, case-insensitively.
    pub email: Email,
    /// Phone number.
    pub phone: Option<Phone>,
    /// Gender.
    pub gender: Gender,
    /// Where its avatar image is stored, once one is uploaded.
    pub avatar_key: Option<String>,
    /// SME or institution.
    pub customer_type: CustomerType,
    /// Lifecycle status.
    pub status: CustomerStatus,
    /// Order and appointment totals.
    pub stats: CustomerStats,
    /// History behind the totals.
    pub history: CustomerHistory,
    /// Its primary contact, if one is set: server-owned, set through the
    /// contacts' routes.
    pub primary_contact_id: Option<ContactId>,
    /// What its portfolio service keeps about it: written by that service
    /// alone, never through the API.
    pub portfolio: Portfolio,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When the record last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change; the ETag is made from it.
    pub version: u64,
}

/// Fields the server owns. A body that names one is refused.
pub const SERVER_OWNED_FIELDS: &[&str] = &[
    "id",
    "status",
    "avatar_url",
    "primary_contact_id",
    "total_orders",
    "total_appointments",
    "last_order_date",
    "last_appointment_date",
    "lifetime_value",
    "first_order_date",
    "first_appointment_date",
    "returned_orders",
    "cancelled_appointments",
    "created_at",
    "updated_at",
    "version",
];

const SERVER_OWNED: &str = "is set by the server and cannot be written";

/// Fields a create body may carry.
pub const CREATE_FIELDS: &[&str] = &[
    "user_id",
    "business_id",
    "full_name",
    "email",
    "phone",
    "gender",
    "customer_type",
];

/// Fields a merge patch may change.
pub const PATCH_FIELDS: &[&str] = &["full_name", "email", "phone", "gender", "customer_type"];

/// Fields fixed at creation.
pub const IMMUTABLE_FIELDS: &[&str] = &["user_id", "business_id"];

/// Fields kept by the customer's portfolio service.
pub const PORTFOLIO_FIELDS: &[&str] = &["portfolio"];

fn known_fields(writable: &[&'static str], also: &[&'static str]) -> Vec<&'static str> {
    writable
        .iter()
        .chain(also)
        .chain(SERVER_OWNED_FIELDS)
        .chain(PORTFOLIO_FIELDS)
        .copied()
        .collect()
}

/// A validated create body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomer {
    /// The platform user.
    pub user_id: UserId,
    /// The business the body names, if it names one. It must be the caller's own.
    pub business_id: Option<BusinessId>,
    /// Full name.
    pub full_name: FullName,
    /// Email address.
    pub email: Email,
    /// Phone number.
    pub phone: Option<Phone>,
    /// Gender.
    pub gender: Gender,
    /// SME (the default) or institution.
    pub customer_type: CustomerType,
}

impl NewCustomer {
    /// Reads a create body, reporting every offending field.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let user_id = reader.required("user_id", UserId::parse);
        let business_id = reader.optional("business_id", BusinessId::parse);
        let full_name = reader.required("full_name", FullName::parse);
        let email = reader.required("email", Email::parse);
        let phone = reader.optional("phone", Phone::parse);
        let gender = reader.required("gender", Gender::from_str);
        let customer_type = reader.optional("customer_type", CustomerType::from_str);
        reader.refuse(SERVER_OWNED_FIELDS, SERVER_OWNED);
        reader.refuse(PORTFOLIO_FIELDS, portfolio::NOT_WRITABLE_HERE);
        reader.refuse_unknown(&known_fields(CREATE_FIELDS, &[]));
        reader.finish().into_result(|| {
            Some(Self {
                user_id: user_id?,
                business_id,
                full_name: full_name?,
                email: email?,
                phone,
                gender: gender?,
                customer_type: customer_type.unwrap_or(CustomerType::Sme),
            })
        })
    }

    /// The record this body creates, in the caller's business.
    pub fn into_customer(self, business_id: BusinessId, now: Timestamp) -> Customer {
        Customer {
            id: CustomerId::random(),
            user_id: self.user_id,
            business_id,
            full_name: self.full_name,
            email: self.email,
            phone: self.phone,
            gender: self.gender,
            avatar_key: None,
            customer_type: self.customer_type,
            status: CustomerStatus::Pending,
            stats: CustomerStats::default(),
            history: CustomerHistory::default(),
            primary_contact_id: None,
            portfolio: Portfolio::default(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

impl Customer {
    /// The customer with a new avatar image, stored under `key`.
    pub fn with_avatar(&self, key: String, now: Timestamp) -> Customer {
        Customer {
            avatar_key: Some(key),
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// A validated JSON merge patch (RFC 7396) of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerPatch {
    /// New full name.
    pub full_name: Option<FullName>,
    /// New email address.
    pub email: Option<Email>,
    /// New phone number, or its removal.
    pub phone: Option<PatchValue<Phone>>,
    /// New gender.
    pub gender: Option<Gender>,
    /// New customer type.
    pub customer_type: Option<CustomerType>,
}

/// What neither a patch nor a replacement may write: `user_id` and
/// `business_id` (fixed at creation), server-owned and unknown fields.
fn refuse_unwritable(reader: &mut ObjectReader<'_>) {
    reader.refuse(
        IMMUTABLE_FIELDS,
        "is fixed when the customer is created and cannot be changed",
    );
    reader.refuse(SERVER_OWNED_FIELDS, SERVER_OWNED);
    reader.refuse(PORTFOLIO_FIELDS, portfolio::NOT_WRITABLE_HERE);
    reader.refuse_unknown(&known_fields(PATCH_FIELDS, IMMUTABLE_FIELDS));
}

impl CustomerPatch {
    /// Reads a merge patch, reporting every offending field.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let full_name = reader.patch_required("full_name", FullName::parse);
        let email = reader.patch_required("email", Email::parse);
        let phone = match reader.patch("phone", Phone::parse) {
            PatchValue::Absent => None,
            change => Some(change),
        };
        let gender = reader.patch_required("gender", Gender::from_str);
        let customer_type = reader.patch_required("customer_type", CustomerType::from_str);
        refuse_unwritable(&mut reader);
        reader.finish().into_result(|| {
            Some(Self {
                full_name,
                email,
                phone,
                gender,
                customer_type,
            })
        })
    }

    /// Reads a full replacement (`PUT`): every writable field is given, or
    /// empty: `full_name`, `email` and `gender` are required, an absent
    /// `phone` is removed and an absent `customer_type` is `sme`, as at
    /// creation. What a patch refuses, a replacement refuses too.
    pub fn replacing(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let full_name = reader.required("full_name", FullName::parse);
        let email = reader.required("email", Email::parse);
        let phone = match reader.optional("phone", Phone::parse) {
            Some(phone) => PatchValue::Set(phone),
            None => PatchValue::Remove,
        };
        let gender = reader.required("gender", Gender::from_str);
        let customer_type = reader
            .optional("customer_type", CustomerType::from_str)
            .unwrap_or(CustomerType::Sme);
        refuse_unwritable(&mut reader);
        reader.finish().into_result(|| {
            Some(Self {
                full_name,
                email,
                phone: Some(phone),
                gender,
                customer_type: Some(customer_type),
            })
        })
    }

    /// The customer with this patch applied, and the names of the fields whose
    /// values changed. No changed fields means nothing to write.
    pub fn apply(&self, current: &Customer, now: Timestamp) -> (Customer, Vec<&'static str>) {
        let mut next = current.clone();
        let mut changed = Vec::new();
        if let Some(name) = &self.full_name
            && *name != current.full_name
        {
            next.full_name = name.clone();
            changed.push("full_name");
        }
        if let Some(email) = &self.email
            && *email != current.email
        {
            next.email = email.clone();
            changed.push("email");
        }
        if let Some(phone) = &self.phone {
            let phone = match phone {
                PatchValue::Set(phone) => Some(phone.clone()),
                PatchValue::Remove | PatchValue::Absent => None,
            };
            if phone != current.phone {
                next.phone = phone;
                changed.push("phone");
            }
        }
        if let Some(gender) = self.gender
            && gender != current.gender
        {
            next.gender = gender;
            changed.push("gender");
        }
        if let Some(customer_type) = self.customer_type
            && customer_type != current.customer_type
        {
            next.customer_type = customer_type;
            changed.push("customer_type");
        }
        if !changed.is_empty() {
            next.updated_at = now;
            next.version = current.version + 1;
        }
        (next, changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use serde_json::json;

    /// The original service's create example.
    fn original_payload() -> Map<String, Value> {
        object(json!({
            "full_name": "John Doe",
            "email": "john.doe@example.com",
            "phone": "0712345678",
            "gender": "male",
            "user_id": "123e4567-e89b-12d3-a456-426614174000",
            "business_id": "123e4567-e89b-12d3-a456-426614174001"
        }))
    }

    #[test]
    fn the_original_create_example_is_a_valid_body() {
        let new = NewCustomer::from_json(&original_payload()).unwrap();
        assert_eq!(new.full_name.as_str(), "John Doe");
        assert_eq!(new.customer_type, CustomerType::Sme);
        assert_eq!(
            new.business_id.map(|b| b.to_string()).as_deref(),
            Some("123e4567-e89b-12d3-a456-426614174001")
        );
    }

    #[test]
    fn a_create_body_reports_every_bad_field() {
        let body = object(json!({
            "full_name": "",
            "email": "nope",
            "phone": 12,
            "gender": "robot",
            "customer_type": "giant",
            "user_id": "x",
            "status": "active",
            "version": 9,
            "favourite_colour": "blue"
        }));
        let errors = NewCustomer::from_json(&body).unwrap_err();
        assert_eq!(
            errors.fields(),
            vec![
                "user_id",
                "full_name",
                "email",
                "phone",
                "gender",
                "customer_type",
                "status",
                "version",
                "favourite_colour"
            ]
        );
    }

    #[test]
    fn missing_required_fields_are_named() {
        let errors = NewCustomer::from_json(&Map::new()).unwrap_err();
        assert_eq!(errors.fields(), vec!["user_id", "full_name", "email", "gender"]);
    }

    fn customer() -> Customer {
        NewCustomer::from_json(&original_payload())
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::parse("2026-01-01T00:00:00Z").unwrap())
    }

    #[test]
    fn a_new_customer_is_pending_at_version_one() {
        let c = customer();
        assert_eq!(c.status, CustomerStatus::Pending);
        assert_eq!(c.version, 1);
        assert_eq!(c.created_at, c.updated_at);
    }

    #[test]
    fn a_patch_changes_only_what_differs_and_bumps_the_version() {
        let current = customer();
        let later = Timestamp::parse("2026-02-01T00:00:00Z").unwrap();
        let patch = CustomerPatch::from_json(&object(json!({
            "full_name": "John Doe",
            "email": "JOHN.DOE@example.com",
            "phone": null,
            "customer_type": "institution"
        })))
        .unwrap();
        let (next, changed) = patch.apply(&current, later);
        assert_eq!(changed, vec!["email", "phone", "customer_type"]);
        assert_eq!(next.version, 2);
        assert_eq!(next.updated_at, later);
        assert_eq!(next.phone, None);
        assert_eq!(next.created_at, current.created_at);
    }

    #[test]
    fn a_patch_that_changes_nothing_leaves_the_record_as_it_is() {
        let current = customer();
        let patch = CustomerPatch::from_json(&object(json!({"gender": "male"}))).unwrap();
        let (next, changed) = patch.apply(&current, Timestamp::now());
        assert!(changed.is_empty());
        assert_eq!(next, current);
    }

    #[test]
    fn a_patch_refuses_removal_of_required_fields_and_changes_to_fixed_ones() {
        let errors = CustomerPatch::from_json(&object(json!({
            "full_name": null,
            "email": null,
            "gender": null,
            "user_id": "123e4567-e89b-12d3-a456-426614174000",
            "business_id": "123e4567-e89b-12d3-a456-426614174001",
            "id": "123e4567-e89b-12d3-a456-426614174002",
            "lifetime_value": 10,
            "portfolio": {"legal_name": "Doe SRL"},
            "nickname": "JD"
        })))
        .unwrap_err();
        assert_eq!(
            errors.fields(),
            vec![
                "full_name",
                "email",
                "gender",
                "user_id",
                "business_id",
                "id",
                "lifetime_value",
                "portfolio",
                "nickname"
            ]
        );
        let portfolio = errors.errors().iter().find(|e| e.field == "portfolio");
        assert_eq!(
            portfolio.map(|e| e.detail.as_str()),
            Some(crate::portfolio::NOT_WRITABLE_HERE)
        );
    }

    #[test]
    fn a_replacement_empties_what_it_leaves_out() {
        let mut current = customer();
        current.customer_type = CustomerType::Institution;
        let replacement = CustomerPatch::replacing(&object(json!({
            "full_name": "John Doe",
            "email": "john.doe@example.com",
            "gender": "male"
        })))
        .unwrap();
        let (next, changed) = replacement.apply(&current, Timestamp::now());
        assert_eq!(changed, vec!["phone", "customer_type"]);
        assert_eq!(next.phone, None);
        assert_eq!(next.customer_type, CustomerType::Sme);
    }

    #[test]
    fn a_replacement_needs_every_required_field_and_refuses_what_a_patch_refuses() {
        let errors = CustomerPatch::replacing(&object(json!({
            "phone": "0712345678",
            "user_id": "123e4567-e89b-12d3-a456-426614174000",
            "status": "active",
            "nickname": "JD"
        })))
        .unwrap_err();
        assert_eq!(
            errors.fields(),
            vec!["full_name", "email", "gender", "user_id", "status", "nickname"]
        );
    }

    #[test]
    fn enumerations_name_their_values_when_refusing() {
        assert_eq!(
            Gender::from_str("x").unwrap_err().to_string(),
            "must be one of: male, female, other"
        );
        assert_eq!(CustomerStatus::ALL.len(), 3);
    }
}
