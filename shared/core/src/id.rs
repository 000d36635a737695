//! Identifiers: UUIDs wrapped in one type per kind, so that a user id can never
//! be passed where a customer id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a UUID in its 36-character hyphenated form")]
pub struct InvalidId;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            /// A new random (version 4) identifier.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// Parses the canonical hyphenated form (any case). The nil UUID
            /// names nothing and is refused.
            pub fn parse(input: &str) -> Result<Self, InvalidId> {
                if input.len() != 36 {
                    return Err(InvalidId);
                }
                match Uuid::try_parse(input) {
                    Ok(uuid) if !uuid.is_nil() => Ok(Self(uuid)),
                    _ => Err(InvalidId),
                }
            }

            /// The UUID inside.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.to_string()
            }
        }
    };
}

uuid_id!(
    /// A customer record's id, chosen by the service at creation.
    CustomerId
);
uuid_id!(
    /// A business (tenant) of the platform. Every customer belongs to exactly one.
    BusinessId
);
uuid_id!(
    /// A platform user. A user has at most one customer record per business.
    UserId
);
uuid_id!(
    /// An external system's client id.
    ClientId
);
uuid_id!(
    /// A tag of a customer.
    TagId
);
uuid_id!(
    /// A note about a customer. Made from the time it was written (a version 7
    /// UUID), so note ids sort in the order the notes were written.
    NoteId
);
uuid_id!(
    /// A contact: a person at a customer.
    ContactId
);
uuid_id!(
    /// An interaction with a customer: a call, a meeting, an email...
    InteractionId
);
uuid_id!(
    /// A saved segment of a business: a named filter or a static list.
    SegmentId
);
uuid_id!(
    /// A user of a customer's team: a person who signs in for the customer.
    TeamUserId
);
uuid_id!(
    /// A plan of a business: a period, a price and the tokens it grants.
    PlanId
);
uuid_id!(
    /// A customer's subscription to a plan.
    SubscriptionId
);
uuid_id!(
    /// An import or export job of a business's customers.
    TransferId
);
uuid_id!(
    /// An event's id: stable across delivery retries, so consumers can drop duplicates.
    EventId
);

impl EventId {
    /// The id of the answer to a request about a customer: the same for
    /// every delivery of the request, so that an answer sent again is a
    /// duplicate a consumer drops; and different for every customer, so that
    /// a request id reused for another customer is another answer.
    pub fn answering(requester: &str, customer: CustomerId, request_id: &str) -> Self {
        /// The namespace of answers' ids (a fixed random UUID).
        const ANSWERS: Uuid = Uuid::from_u128(0x3f0c_9a51_6d2e_4b7a_9c1f_5e8d_2a4b_7c60);
        let name = format!("{}:{requester}:{customer}:{request_id}", requester.len());
        Self(Uuid::new_v5(&ANSWERS, name.as_bytes()))
    }
}

impl CustomerId {
    /// The id named by `name`, the same for the same name (a version 5
    /// UUID): what a row of an import gives its customer, so that the row
    /// run again knows its own customer.
    pub fn derived(name: &str) -> Self {
        /// The namespace of derived customer ids (a fixed random UUID).
        const CUSTOMERS: Uuid = Uuid::from_u128(0x8b2d_41c7_0e95_4f3a_a6d1_93c4_7f20_5e18);
        Self(Uuid::new_v5(&CUSTOMERS, name.as_bytes()))
    }
}

impl NoteId {
    /// The id of a note written at `at`: later notes get greater ids, also
    /// within one millisecond.
    pub fn at(at: crate::time::Timestamp) -> Self {
        static CONTEXT: std::sync::LazyLock<std::sync::Mutex<uuid::ContextV7>> =
            std::sync::LazyLock::new(|| std::sync::Mutex::new(uuid::ContextV7::new()));
        let time = at.as_datetime();
        let seconds = u64::try_from(time.timestamp()).unwrap_or(0);
        let context = CONTEXT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Self(Uuid::new_v7(uuid::Timestamp::from_unix(
            &*context,
            seconds,
            time.timestamp_subsec_nanos(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_hyphenated_form_in_any_case_and_prints_lowercase() {
        let id = CustomerId::parse("123E4567-E89B-12D3-A456-426614174000").unwrap();
        assert_eq!(id.to_string(), "123e4567-e89b-12d3-a456-426614174000");
    }

    #[test]
    fn refuses_other_forms_and_the_nil_uuid() {
        for input in [
            "",
            "123e4567e89b12d3a456426614174000",
            "{123e4567-e89b-12d3-a456-426614174000}",
            "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
            "123e4567-e89b-12d3-a456-42661417400g",
            "00000000-0000-0000-0000-000000000000",
            "not-a-uuid",
        ] {
            assert_eq!(CustomerId::parse(input), Err(InvalidId), "{input:?}");
        }
    }

    #[test]
    fn serde_round_trips_as_a_string() {
        let id = BusinessId::random();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<BusinessId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<BusinessId>("\"nope\"").is_err());
    }

    #[test]
    fn note_ids_sort_in_the_order_notes_were_written() {
        let t = crate::time::Timestamp::parse("2026-11-25T10:00:00Z").unwrap();
        let ids: Vec<String> = [t, t, t.plus_seconds(1), t.plus_seconds(1), t.plus_seconds(60)]
            .into_iter()
            .map(|at| NoteId::at(at).to_string())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(ids.iter().collect::<std::collections::HashSet<_>>().len(), ids.len());
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(bytes in any::<[u8; 16]>()) {
            let uuid = Uuid::from_bytes(bytes);
            prop_assume!(!uuid.is_nil());
            let id = UserId::from(uuid);
            prop_assert_eq!(UserId::parse(&id.to_string()), Ok(id));
        }

        #[test]
        fn answers_ids_are_stable_and_tell_requests_apart(a in ".{0,20}", b in ".{0,20}", c in ".{0,20}", x in any::<u128>(), y in any::<u128>()) {
            let (one, other) = (CustomerId::from(Uuid::from_u128(x)), CustomerId::from(Uuid::from_u128(y)));
            prop_assert_eq!(EventId::answering(&a, one, &b), EventId::answering(&a, one, &b));
            if a != c {
                prop_assert_ne!(EventId::answering(&a, one, &b), EventId::answering(&c, one, &b));
            }
            if x != y {
                prop_assert_ne!(EventId::answering(&a, one, &b), EventId::answering(&a, other, &b));
            }
        }

        #[test]
        fn parse_never_panics(input in ".*") {
            let _ = EventId::parse(&input);
        }
    }
}
