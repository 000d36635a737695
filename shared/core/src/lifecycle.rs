//! The customer lifecycle: pending, active, suspended, and the only
//! ways between them.
//!
//! ```text
//! pending ──validate──▶ active ──suspend──▶ suspended
//!                         ▲                    │
//!                         └─────reactivate─────┘
//! ```

use serde::{Deserialize, Serialize};

use crate::customer::{Customer, CustomerStatus};
use crate::time::Timestamp;

/// Longest suspension reason, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// Why a customer was suspended: trimmed, 1 to 500 characters, no control
/// characters but line breaks, no bidirectional or invisible characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reason(String);

/// Why a string is not a reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be 1 to {REASON_MAX_CHARS} characters, without control characters but line breaks, nor bidirectional or invisible characters"
)]
pub struct InvalidReason;

impl Reason {
    /// Parses a reason.
    pub fn parse(input: &str) -> Result<Self, InvalidReason> {
        let text = input.replace("\r\n", "\n");
        let text = text.trim();
        if text.is_empty() || text.chars().count() > REASON_MAX_CHARS || text.chars().any(crate::text::refused_in_text)
        {
            return Err(InvalidReason);
        }
        Ok(Self(text.to_owned()))
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text::parsed_text!(Reason, InvalidReason);

/// What an admin does to a customer's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// pending → active.
    Validate,
    /// active → suspended, with why.
    Suspend(Reason),
    /// suspended → active.
    Reactivate,
}

impl Action {
    /// The action's name (the event contract's `action` values).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Validate => "validate",
            Action::Suspend(_) => "suspend",
            Action::Reactivate => "reactivate",
        }
    }

    /// The status the action leads to from `from`, if it leads anywhere.
    pub fn from_status(&self, from: CustomerStatus) -> Option<CustomerStatus> {
        match (self, from) {
            (Action::Validate, CustomerStatus::Pending) => Some(CustomerStatus::Active),
            (Action::Suspend(_), CustomerStatus::Active) => Some(CustomerStatus::Suspended),
            (Action::Reactivate, CustomerStatus::Suspended) => Some(CustomerStatus::Active),
            _ => None,
        }
    }
}

/// An action the customer's status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a customer whose status is {from}")]
pub struct InvalidTransition {
    /// The status the customer is in.
    pub from: CustomerStatus,
    /// The action refused.
    pub action: &'static str,
}

impl Customer {
    /// The customer after `action`, or why the action is not allowed.
    pub fn after(&self, action: &Action, now: Timestamp) -> Result<Customer, InvalidTransition> {
        let status = action.from_status(self.status).ok_or(InvalidTransition {
            from: self.status,
            action: action.name(),
        })?;
        Ok(Customer {
            status,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::NewCustomer;
    use crate::id::BusinessId;
    use crate::test_support::object;
    use serde_json::json;

    fn pending() -> Customer {
        let body = object(
            json!({"full_name": "Lia", "email": "lia@example.com", "gender": "female",
            "user_id": "123e4567-e89b-12d3-a456-426614174000"}),
        );
        NewCustomer::from_json(&body)
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::now())
    }

    fn suspend() -> Action {
        Action::Suspend(Reason::parse("Unpaid invoices").unwrap())
    }

    #[test]
    fn only_the_three_transitions_are_allowed() {
        let statuses = [
            CustomerStatus::Pending,
            CustomerStatus::Active,
            CustomerStatus::Suspended,
        ];
        let allowed = [
            (CustomerStatus::Pending, "validate", CustomerStatus::Active),
            (CustomerStatus::Active, "suspend", CustomerStatus::Suspended),
            (CustomerStatus::Suspended, "reactivate", CustomerStatus::Active),
        ];
        for from in statuses {
            for action in [Action::Validate, suspend(), Action::Reactivate] {
                let to = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action.name())
                    .map(|(_, _, to)| *to);
                assert_eq!(action.from_status(from), to, "{from} {}", action.name());
            }
        }
    }

    #[test]
    fn a_transition_bumps_the_version_and_a_refusal_says_why() {
        let customer = pending();
        let active = customer.after(&Action::Validate, Timestamp::now()).unwrap();
        assert_eq!((active.status, active.version), (CustomerStatus::Active, 2));
        let refused = customer.after(&suspend(), Timestamp::now()).unwrap_err();
        assert_eq!(refused.to_string(), "cannot suspend a customer whose status is pending");
    }

    #[test]
    fn reasons_are_checked() {
        assert_eq!(Reason::parse("  late  ").unwrap().as_str(), "late");
        assert!(Reason::parse("").is_err());
        assert!(Reason::parse(&"x".repeat(501)).is_err());
        assert!(Reason::parse("a\tb").is_err());
    }
}
