//! Requests other services send as events (the platform's event contract):
//! admin actions, update requests and data requests; and who may send what.
//! Fields this service does not know are ignored, so a sender may add fields
//! without breaking anything here. Every request names the customer's
//! business, and a customer of another business is never found.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::customer::CustomerPatch;
use crate::id::{BusinessId, CustomerId, EventId, TeamUserId};
use crate::lifecycle::{Action, Reason};
use crate::portfolio::{PortfolioPatch, PortfolioService};
use crate::subscription::{Plan, Subscription};
use crate::team_user::TeamUserPatch;
use crate::time::Timestamp;
use crate::token::{Balance, LedgerEntry};
use crate::validation::{ValidationErrors, whole_number};

/// Longest id of a sender's own (an admin, a request).
pub const FOREIGN_ID_MAX_CHARS: usize = 128;

/// The detail-type of a data request.
pub const DATA_REQUEST: &str = "customer.data.request";

/// The detail-type of the answer to a data request.
pub const DATA_RESPONSE: &str = "customer.data.response";

/// The version of a data response's shape: 3 since it names its
/// `targetService` and may carry the customer's `portfolio`. Each
/// detail-type counts its own versions; the others are at
/// [`crate::event::SCHEMA_VERSION`].
pub const DATA_RESPONSE_SCHEMA_VERSION: u32 = 3;

/// The detail-type of the accounting service's request for a customer's
/// billing information.
pub const BILLING_REQUEST: &str = "accounting.customer.request";

/// The detail-type of the answer to a billing request.
pub const BILLING_RESPONSE: &str = "customer.billing.response";

/// Ledger entries a billing answer carries unless the request asks for
/// fewer or more.
pub const BILLING_LEDGER_DEFAULT: usize = 20;

/// Most ledger entries a billing answer carries.
pub const BILLING_LEDGER_MAX: usize = 100;

/// One service that sends events to this one: its source, and the
/// detail-types it alone may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sender {
    /// The events' `source`.
    pub source: &'static str,
    /// The detail-types it may send.
    pub detail_types: &'static [&'static str],
}

/// Who may send what. The bus's rule for the inbound function matches
/// exactly these pairs (a test holds the template to them), the bus's policy
/// lets only each source's own service put events under it, and the function
/// drops anything else: an admin service cannot send facts, nor the orders
/// service lifecycle steps.
pub const SENDERS: &[Sender] = &[
    Sender {
        source: "platform.admin",
        detail_types: &["admin.customer.action"],
    },
    Sender {
        source: "platform.profiles",
        detail_types: &["customer.update.request", "customer.data.request"],
    },
    Sender {
        source: "platform.orders",
        detail_types: &[
            "order.created",
            "order.updated",
            "order.completed",
            "order.cancelled",
            "order.returned",
        ],
    },
    Sender {
        source: "platform.appointments",
        detail_types: &["appointment.booked", "appointment.cancelled"],
    },
    Sender {
        source: "platform.mobile",
        detail_types: &["mobile.user.action"],
    },
    Sender {
        source: "platform.accounting",
        detail_types: &[BILLING_REQUEST],
    },
    Sender {
        source: "platform.portfolio-sme",
        detail_types: &["portfolio-sme.customer.update"],
    },
    Sender {
        source: "platform.portfolio-institution",
        detail_types: &["portfolio-institution.customer.update"],
    },
];

/// Whether `source` may send `detail_type`.
pub fn may_send(source: &str, detail_type: &str) -> bool {
    SENDERS
        .iter()
        .any(|sender| sender.source == source && sender.detail_types.contains(&detail_type))
}

/// The `businessId` every request must name: the customer's business.
pub(crate) fn business_id(detail: &Value, errors: &mut ValidationErrors) -> Option<BusinessId> {
    match detail.get("businessId") {
        None | Some(Value::Null) => {
            errors.push("businessId", "is required: the customer's business");
            None
        }
        Some(v) => match v.as_str().map(BusinessId::parse) {
            Some(Ok(b)) => Some(b),
            _ => {
                errors.push("businessId", "must be a UUID");
                None
            }
        },
    }
}

struct Reader<'a> {
    detail: &'a Value,
    errors: ValidationErrors,
}

impl<'a> Reader<'a> {
    fn new(detail: &'a Value) -> Self {
        let mut errors = ValidationErrors::new();
        if !detail.is_object() {
            errors.push("detail", "must be a JSON object");
        }
        Self { detail, errors }
    }

    fn text(&mut self, field: &str) -> Option<&'a str> {
        match self.detail.get(field) {
            Some(Value::String(s)) => Some(s.as_str()),
            None | Some(Value::Null) => {
                self.errors.push(field, "is required");
                None
            }
            Some(_) => {
                self.errors.push(field, "must be a string");
                None
            }
        }
    }

    fn foreign_id(&mut self, field: &str) -> Option<String> {
        let text = self.text(field)?.trim();
        if text.is_empty() || text.chars().count() > FOREIGN_ID_MAX_CHARS || text.chars().any(char::is_control) {
            self.errors
                .push(field, format!("must be 1 to {FOREIGN_ID_MAX_CHARS} characters"));
            return None;
        }
        Some(text.to_owned())
    }

    fn customer_id(&mut self) -> Option<CustomerId> {
        let text = self.text("customerId")?;
        CustomerId::parse(text)
            .map_err(|e| self.errors.push("customerId", e.to_string()))
            .ok()
    }

    fn business_id(&mut self) -> Option<BusinessId> {
        business_id(self.detail, &mut self.errors)
    }

    /// `expectedVersion`, when the sender names the version it last saw.
    fn expected_version(&mut self) -> Option<u64> {
        match self.detail.get("expectedVersion") {
            None | Some(Value::Null) => None,
            Some(v) => match whole_number(v).and_then(|n| u64::try_from(n).ok()) {
                Some(version) if version >= 1 => Some(version),
                _ => {
                    self.errors
                        .push("expectedVersion", "must be a version: a whole number from 1");
                    None
                }
            },
        }
    }

    /// Errors found reading `changes`, named under it.
    fn changes_errors(&mut self, found: &ValidationErrors) {
        for e in found.errors() {
            let field = if e.field.is_empty() {
                "changes".to_owned()
            } else {
                format!("changes.{}", e.field)
            };
            self.errors.push(&field, e.detail.clone());
        }
    }

    fn object(&mut self, field: &str, required: bool) -> Option<&'a Map<String, Value>> {
        match self.detail.get(field) {
            Some(Value::Object(o)) => Some(o),
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => {
                self.errors.push(field, "is required");
                None
            }
            Some(_) => {
                self.errors.push(field, "must be an object");
                None
            }
        }
    }
}

/// `admin.customer.action`: the event contract's `{customerId, adminId,
/// action, details}`, and the customer's `businessId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAction {
    /// The customer.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// The admin, as the sending service knows them.
    pub admin_id: String,
    /// What to do.
    pub action: Action,
}

impl AdminAction {
    /// Reads the detail; `suspend` needs `details.reason`.
    pub fn from_detail(detail: &Value) -> Result<Self, ValidationErrors> {
        let mut r = Reader::new(detail);
        let customer_id = r.customer_id();
        let business_id = r.business_id();
        let admin_id = r.foreign_id("adminId");
        let details = r.object("details", false);
        let action = match r.text("action") {
            Some("validate") => Some(Action::Validate),
            Some("reactivate") => Some(Action::Reactivate),
            Some("suspend") => match details
                .and_then(|d| d.get("reason"))
                .and_then(Value::as_str)
                .map(Reason::parse)
            {
                Some(Ok(reason)) => Some(Action::Suspend(reason)),
                Some(Err(e)) => {
                    r.errors.push("details.reason", e.to_string());
                    None
                }
                None => {
                    r.errors.push("details.reason", "is required to suspend");
                    None
                }
            },
            Some(_) => {
                r.errors.push("action", "must be one of: validate, suspend, reactivate");
                None
            }
            None => None,
        };
        r.errors.into_result(|| {
            Some(Self {
                customer_id: customer_id?,
                business_id: business_id?,
                admin_id: admin_id?,
                action: action?,
            })
        })
    }
}

/// The fields a team user changes of its own profile from the mobile app.
pub const PROFILE_FIELDS: &[&str] = &["full_name", "phone"];

/// What a team user asks from the mobile app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MobileAction {
    /// `profile.update`: its own name or phone (`changes`, a merge patch of
    /// those two fields).
    ProfileUpdate(TeamUserPatch),
    /// `password.reset.request`: a password reset, for the identity
    /// service to send.
    PasswordResetRequest,
}

/// `mobile.user.action`: `{action, customerId, businessId, userId,
/// changes?}`, a team user acting on itself: `userId` is the team user,
/// checked to be the named customer's, in the named business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileUserAction {
    /// The customer the user signs in for.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// The team user.
    pub user_id: TeamUserId,
    /// What it asks.
    pub action: MobileAction,
}

impl MobileUserAction {
    /// Reads the detail; a profile update changes `full_name` or `phone`,
    /// and nothing else.
    pub fn from_detail(detail: &Value) -> Result<Self, ValidationErrors> {
        let mut r = Reader::new(detail);
        let customer_id = r.customer_id();
        let business_id = r.business_id();
        let user_id = r.text("userId").and_then(|text| {
            TeamUserId::parse(text)
                .map_err(|e| r.errors.push("userId", e.to_string()))
                .ok()
        });
        let changes = r.object("changes", false);
        let action = match r.text("action") {
            Some("password.reset.request") => Some(MobileAction::PasswordResetRequest),
            Some("profile.update") => match changes {
                None => {
                    r.errors.push("changes", "is required to update a profile");
                    None
                }
                Some(changes) if changes.is_empty() => {
                    r.errors.push("changes", "must name full_name or phone");
                    None
                }
                Some(changes) => {
                    for field in changes.keys().filter(|k| !PROFILE_FIELDS.contains(&k.as_str())) {
                        r.errors.push(
                            &format!("changes.{field}"),
                            "is not the user's to change: a profile update changes full_name and phone",
                        );
                    }
                    match TeamUserPatch::from_json(changes) {
                        Ok(patch) => Some(MobileAction::ProfileUpdate(patch)),
                        Err(errors) => {
                            for error in errors.errors() {
                                if PROFILE_FIELDS.contains(&error.field.as_str()) {
                                    r.errors.push(&format!("changes.{}", error.field), error.detail.clone());
                                }
                            }
                            None
                        }
                    }
                }
            },
            Some(_) => {
                r.errors
                    .push("action", "must be one of: profile.update, password.reset.request");
                None
            }
            None => None,
        };
        r.errors.into_result(|| {
            Some(Self {
                customer_id: customer_id?,
                business_id: business_id?,
                user_id: user_id?,
                action: action?,
            })
        })
    }
}

/// A request to change a customer, `{customerId, businessId, changes,
/// expectedVersion?}`: its customer, its business, the changes (a merge
/// patch `P`) and the version they apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest<P> {
    /// The customer.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// The changes, validated.
    pub patch: P,
    /// The version the changes apply to, when the sender names one (as
    /// `If-Match` would name it).
    pub expected_version: Option<u64>,
}

impl<P> ChangeRequest<P> {
    /// Reads a change request whose changes `parse` reads (their errors named
    /// under `changes.`).
    fn read(
        detail: &Value,
        parse: impl FnOnce(&Map<String, Value>) -> Result<P, ValidationErrors>,
    ) -> Result<Self, ValidationErrors> {
        let mut r = Reader::new(detail);
        let customer_id = r.customer_id();
        let business_id = r.business_id();
        let changes = r.object("changes", true);
        let expected_version = r.expected_version();
        let patch = changes.and_then(|c| match parse(c) {
            Ok(patch) => Some(patch),
            Err(found) => {
                r.changes_errors(&found);
                None
            }
        });
        r.errors.into_result(|| {
            Some(Self {
                customer_id: customer_id?,
                business_id: business_id?,
                patch: patch?,
                expected_version,
            })
        })
    }
}

/// `customer.update.request`: `{customerId, businessId, changes,
/// expectedVersion?, requestedBy?}`, where `changes` is a JSON merge patch of
/// the fields `PATCH` may change (validated as `PATCH` validates them), and
/// `expectedVersion` the version the sender last saw. `requestedBy` is the
/// sender's own record: it is not read.
pub type UpdateRequest = ChangeRequest<CustomerPatch>;

impl UpdateRequest {
    /// Reads the detail.
    pub fn from_detail(detail: &Value) -> Result<Self, ValidationErrors> {
        Self::read(detail, CustomerPatch::from_json)
    }
}

/// `customer.data.request`: `{requestId, customerId, businessId, fields?}`.
/// The requester is the event's source; it gets only the fields it is
/// allowed, delivered only to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRequest {
    /// The sender's id for its request, echoed in the answer.
    pub request_id: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// The fields wanted; all the sender is allowed when absent.
    pub fields: Option<Vec<String>>,
}

impl DataRequest {
    /// Reads the detail.
    pub fn from_detail(detail: &Value) -> Result<Self, ValidationErrors> {
        let mut r = Reader::new(detail);
        let request_id = r.foreign_id("requestId");
        let customer_id = r.customer_id();
        let business_id = r.business_id();
        let fields = match detail.get("fields") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
                Some(items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            }
            Some(_) => {
                r.errors.push("fields", "must be a list of field names");
                None
            }
        };
        r.errors.into_result(|| {
            Some(Self {
                request_id: request_id?,
                customer_id: customer_id?,
                business_id: business_id?,
                fields,
            })
        })
    }
}

/// `portfolio-sme.customer.update` and `portfolio-institution.customer.update`:
/// `{customerId, businessId, changes, expectedVersion?}`, where `changes` is
/// a merge patch of the portfolio profile's fields the sending portfolio
/// owns ([`PortfolioService::fields`]).
pub type PortfolioUpdate = ChangeRequest<PortfolioPatch>;

impl PortfolioUpdate {
    /// Reads the detail of `service`'s update.
    pub fn from_detail(service: PortfolioService, detail: &Value) -> Result<Self, ValidationErrors> {
        Self::read(detail, |changes| PortfolioPatch::from_json(service, changes))
    }
}

/// `accounting.customer.request`: `{requestId, customerId, businessId,
/// ledgerLimit?}`, the accounting service asking for a customer's billing
/// information, answered to it alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingRequest {
    /// The sender's id for its request, echoed in the answer.
    pub request_id: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// How many of the newest ledger entries to send.
    pub ledger_limit: usize,
}

impl BillingRequest {
    /// Reads the detail.
    pub fn from_detail(detail: &Value) -> Result<Self, ValidationErrors> {
        let mut r = Reader::new(detail);
        let request_id = r.foreign_id("requestId");
        let customer_id = r.customer_id();
        let business_id = r.business_id();
        let ledger_limit = match detail.get("ledgerLimit") {
            None | Some(Value::Null) => Some(BILLING_LEDGER_DEFAULT),
            Some(v) => match whole_number(v).and_then(|n| usize::try_from(n).ok()) {
                Some(n) if (1..=BILLING_LEDGER_MAX).contains(&n) => Some(n),
                _ => {
                    r.errors.push(
                        "ledgerLimit",
                        format!("must be a whole number from 1 to {BILLING_LEDGER_MAX}"),
                    );
                    None
                }
            },
        };
        r.errors.into_result(|| {
            Some(Self {
                request_id: request_id?,
                customer_id: customer_id?,
                business_id: business_id?,
                ledger_limit: ledger_limit?,
            })
        })
    }
}

/// An answer addressed to the service that asked, delivered to it alone.
pub trait Answer: Serialize {
    /// Its detail-type.
    const DETAIL_TYPE: &'static str;

    /// Its id: unique, and stable across retries.
    fn event_id(&self) -> EventId;
}

/// Who an answer is for: the fields every answer starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Addressee {
    /// The requester's id for its request.
    pub request_id: String,
    /// Who asked: the request event's source.
    pub requester: String,
    /// The requester's service name, as the event contract addresses
    /// answers: the `service` its entry in the requester policy names, or
    /// its source.
    pub target_service: String,
}

/// The answer to a billing request: the detail of a
/// `customer.billing.response`, each part as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingResponse {
    /// Unique and stable across retries.
    pub event_id: EventId,
    /// The detail's schema version.
    pub schema_version: u32,
    /// Who it is for.
    #[serde(flatten)]
    pub to: Addressee,
    /// The customer asked about.
    pub customer_id: CustomerId,
    /// Its business: the one the request named.
    pub business_id: BusinessId,
    /// Its active subscription, else its latest, if it ever had one.
    pub subscription: Option<Subscription>,
    /// That subscription's plan.
    pub plan: Option<Plan>,
    /// Its token balance.
    pub balance: Balance,
    /// The newest entries of its ledger, newest first.
    pub ledger: Vec<LedgerEntry>,
    /// When the answer was made.
    pub timestamp: Timestamp,
}

impl Answer for BillingResponse {
    const DETAIL_TYPE: &'static str = BILLING_RESPONSE;

    fn event_id(&self) -> EventId {
        self.event_id
    }
}

/// The answer to a data request: the detail of a `customer.data.response`
/// event, carrying only the fields the requester is allowed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataResponse {
    /// Unique and stable across retries.
    pub event_id: EventId,
    /// The detail's schema version ([`DATA_RESPONSE_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Who it is for.
    #[serde(flatten)]
    pub to: Addressee,
    /// The customer asked about.
    pub customer_id: CustomerId,
    /// Its business: the one the request named.
    pub business_id: BusinessId,
    /// Always `true`: a customer the request's business does not have gets
    /// no answer. Kept for consumers that read it.
    pub found: bool,
    /// The fields given, by name.
    pub data: Map<String, Value>,
    /// When the answer was made.
    pub timestamp: Timestamp,
}

impl Answer for DataResponse {
    const DETAIL_TYPE: &'static str = DATA_RESPONSE;

    fn event_id(&self) -> EventId {
        self.event_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_contract_admin_action_example_reads() {
        let action = AdminAction::from_detail(&json!({
            "customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001",
            "adminId": "admin-uuid",
            "action": "validate",
            "details": {"notes": "Validation après vérification des documents"},
            "targetService": "customer-service"
        }))
        .unwrap();
        assert_eq!(
            (action.admin_id.as_str(), action.action.name()),
            ("admin-uuid", "validate")
        );
    }

    #[test]
    fn a_suspension_needs_a_reason_and_unknown_actions_are_named() {
        let base = json!({"customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001", "adminId": "a", "action": "suspend"});
        assert_eq!(
            AdminAction::from_detail(&base).unwrap_err().fields(),
            vec!["details.reason"]
        );
        let errors = AdminAction::from_detail(&json!({"customerId": 3, "action": "delete"})).unwrap_err();
        assert_eq!(errors.fields(), vec!["customerId", "businessId", "adminId", "action"]);
        assert_eq!(
            AdminAction::from_detail(&json!("text")).unwrap_err().fields()[0],
            "detail"
        );
    }

    #[test]
    fn update_requests_are_validated_as_patches() {
        let ok = UpdateRequest::from_detail(&json!({
            "customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001",
            "changes": {"phone": "+40 712 345 678"},
            "expectedVersion": 3
        }))
        .unwrap();
        assert!(ok.patch.phone.is_some());
        assert_eq!(ok.expected_version, Some(3));
        let errors = UpdateRequest::from_detail(&json!({
            "customerId": "123e4567-e89b-12d3-a456-426614174002",
            "changes": {"status": "active", "email": "nope"},
            "expectedVersion": "3"
        }))
        .unwrap_err();
        assert_eq!(
            errors.fields(),
            vec!["businessId", "expectedVersion", "changes.email", "changes.status"]
        );
    }

    #[test]
    fn data_requests_read_their_fields() {
        let request = DataRequest::from_detail(&json!({
            "requestId": "r-1", "customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001", "fields": ["email", "status"]
        }))
        .unwrap();
        assert_eq!(request.fields.unwrap(), ["email", "status"]);
        let errors = DataRequest::from_detail(&json!({"customerId": "x", "fields": "email"})).unwrap_err();
        assert_eq!(errors.fields(), vec!["requestId", "customerId", "businessId", "fields"]);
    }

    #[test]
    fn each_source_may_send_only_its_own_detail_types() {
        assert!(may_send("platform.admin", "admin.customer.action"));
        assert!(!may_send("platform.admin", "order.completed"));
        assert!(!may_send("platform.orders", "admin.customer.action"));
        assert!(!may_send("platform.profiles", "order.completed"));
        assert!(!may_send("somebody.else", "order.completed"));
        let mut pairs = std::collections::BTreeSet::new();
        for sender in SENDERS {
            for detail_type in sender.detail_types {
                assert!(pairs.insert(*detail_type), "{detail_type} has two senders");
            }
        }
    }

    #[test]
    fn a_mobile_user_changes_only_its_own_name_or_phone() {
        let base = serde_json::json!({
            "customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001",
            "userId": "4a1f7c3e-9b2d-4e8a-8c6f-1d3b5e7a9c20",
        });
        let with = |extra: serde_json::Value| {
            let mut detail = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                detail[k] = v.clone();
            }
            MobileUserAction::from_detail(&detail)
        };
        let update =
            with(serde_json::json!({"action": "profile.update", "changes": {"full_name": "Ana P.", "phone": null}}))
                .unwrap();
        let MobileAction::ProfileUpdate(patch) = update.action else {
            panic!("a profile update");
        };
        assert!(patch.full_name.is_some() && patch.phone.is_some() && patch.email.is_none());
        assert_eq!(
            with(serde_json::json!({"action": "password.reset.request"}))
                .unwrap()
                .action,
            MobileAction::PasswordResetRequest
        );
        let refused = with(
            serde_json::json!({"action": "profile.update", "changes": {"email": "x@example.com", "role": "owner"}}),
        )
        .unwrap_err();
        assert_eq!(refused.fields(), ["changes.email", "changes.role"]);
        let refused =
            with(serde_json::json!({"action": "profile.update", "changes": {"phone": "not a phone"}})).unwrap_err();
        assert_eq!(refused.fields(), ["changes.phone"]);
        let refused = with(serde_json::json!({"action": "delete.account"})).unwrap_err();
        assert_eq!(refused.fields(), ["action"]);
        let refused =
            MobileUserAction::from_detail(&serde_json::json!({"action": "password.reset.request"})).unwrap_err();
        assert_eq!(refused.fields(), ["customerId", "businessId", "userId"]);
    }

    #[test]
    fn a_billing_request_names_its_customer_and_at_most_a_hundred_entries() {
        let base = json!({"requestId": " acc-1 ", "customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001"});
        let request = BillingRequest::from_detail(&base).unwrap();
        assert_eq!(
            (request.request_id.as_str(), request.ledger_limit),
            ("acc-1", BILLING_LEDGER_DEFAULT)
        );
        let mut five = base.clone();
        five["ledgerLimit"] = json!(5);
        assert_eq!(BillingRequest::from_detail(&five).unwrap().ledger_limit, 5);
        for bad in [json!(0), json!(101), json!("5"), json!(2.5)] {
            let mut detail = base.clone();
            detail["ledgerLimit"] = bad;
            assert_eq!(
                BillingRequest::from_detail(&detail).unwrap_err().fields(),
                vec!["ledgerLimit"]
            );
        }
        assert_eq!(
            BillingRequest::from_detail(&json!({"customerId": "x"}))
                .unwrap_err()
                .fields(),
            vec!["requestId", "customerId", "businessId"]
        );
    }

    #[test]
    fn a_portfolio_update_names_what_it_may_not_change_under_changes() {
        let detail = json!({"customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001",
            "changes": {"sector": "consulting", "email": "a@example.com"}, "expectedVersion": 0});
        assert_eq!(
            PortfolioUpdate::from_detail(PortfolioService::Sme, &detail)
                .unwrap_err()
                .fields(),
            vec!["expectedVersion", "changes.email"]
        );
        let empty = json!({"customerId": "123e4567-e89b-12d3-a456-426614174002",
            "businessId": "123e4567-e89b-12d3-a456-426614174001", "changes": {}});
        assert_eq!(
            PortfolioUpdate::from_detail(PortfolioService::Institution, &empty)
                .unwrap_err()
                .fields(),
            vec!["changes"]
        );
        let mut fine = detail.clone();
        fine["changes"] = json!({"sector": "consulting"});
        fine["expectedVersion"] = json!(3);
        let update = PortfolioUpdate::from_detail(PortfolioService::Sme, &fine).unwrap();
        assert_eq!(
            (update.expected_version, update.patch.service()),
            (Some(3), PortfolioService::Sme)
        );
        assert!(may_send("platform.portfolio-sme", PortfolioService::Sme.detail_type()));
        assert!(!may_send(
            "platform.portfolio-sme",
            PortfolioService::Institution.detail_type()
        ));
        assert!(may_send("platform.accounting", BILLING_REQUEST));
    }
}
