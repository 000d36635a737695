//! Tokens: a customer's balance and the append-only ledger that explains it.
//!
//! A movement (a purchase, an allocation, a use, a refund, an expiry, an
//! adjustment) is asked for with a movement key of the caller's choosing. The
//! ledger entry it makes keeps the key for as long as it lives, so the same
//! key asked again answers with the entry already made, and a key asked again
//! with other values is refused. Entries hold no personal data: a reference
//! and a movement key are identifiers of other systems (an order, an
//! invoice, a payment), checked to be nothing else, and an adjustment's
//! reason is a word from a fixed list.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::id::{BusinessId, CustomerId};
use crate::text::text_enum;
use crate::time::Timestamp;
use crate::validation::{ObjectReader, ValidationErrors, whole_number};

/// Most tokens one movement may move, either way.
pub const MAX_MOVEMENT: i64 = 1_000_000_000;
/// Longest reference or movement key, in characters.
pub const IDENTIFIER_MAX_CHARS: usize = 64;
/// The prefix of the movement keys of the tokens a subscription's periods
/// grant (`subscription:<id>:<period>`): no movement asked through the API
/// may take one.
pub const SUBSCRIPTION_KEY_PREFIX: &str = "subscription:";

/// An identifier of another system (a movement key, an order or invoice
/// number): 1 to 64 of the ASCII letters, digits and `-_.:/#`, starting
/// with a letter or a digit. No spaces and no `@`, so neither a name nor an
/// email address fits in one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Identifier(String);

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be 1 to {IDENTIFIER_MAX_CHARS} of the ASCII letters, digits and -_.:/#, starting with a letter or a digit"
)]
pub struct InvalidIdentifier;

impl Identifier {
    /// Parses an identifier.
    pub fn parse(input: &str) -> Result<Self, InvalidIdentifier> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.:/#".contains(c);
        let starts_well = input.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !starts_well || input.len() > IDENTIFIER_MAX_CHARS || !input.chars().all(allowed) {
            return Err(InvalidIdentifier);
        }
        Ok(Self(input.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text::parsed_text!(Identifier, InvalidIdentifier);

impl std::fmt::Display for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

text_enum!(
    /// What moved tokens.
    MovementKind {
        /// Bought by the customer: adds.
        Purchase => "purchase",
        /// Granted by the business (an admin, or a subscription's period): adds.
        Allocation => "allocation",
        /// Spent: takes.
        Use => "use",
        /// Given back after a use: adds.
        Refund => "refund",
        /// Lapsed: takes.
        Expiry => "expiry",
        /// Corrected by an admin, with a reason: adds or takes.
        Adjustment => "adjustment",
    }
);

impl MovementKind {
    /// The sign the kind gives an amount asked for as a positive number; an
    /// adjustment's amount carries its own sign.
    fn sign(self) -> i64 {
        match self {
            MovementKind::Use | MovementKind::Expiry => -1,
            _ => 1,
        }
    }
}

text_enum!(
    /// Why an admin adjusted a balance.
    AdjustmentReason {
        /// A mistake put right.
        Correction => "correction",
        /// Given as a gesture.
        Goodwill => "goodwill",
        /// Carried over from another system.
        Migration => "migration",
        /// A payment taken back.
        Chargeback => "chargeback",
        /// Anything else; the reference says where it is explained.
        Other => "other",
    }
);

/// A movement asked for: checked, and signed as it will be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// What moves the tokens.
    pub kind: MovementKind,
    /// Tokens added (positive) or taken (negative); never zero.
    pub amount: i64,
    /// The caller's key for this movement: the same key is the same movement.
    pub movement_key: Identifier,
    /// What it is about in another system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Identifier>,
    /// For an adjustment: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<AdjustmentReason>,
}

impl Movement {
    /// Reads a movement of `kind` from a request body: `amount` (a whole
    /// number from 1 to [`MAX_MOVEMENT`]; for an adjustment, from
    /// -[`MAX_MOVEMENT`] to [`MAX_MOVEMENT`] and not zero), `movement_key`,
    /// an optional `reference` (required for a refund), and for an
    /// adjustment a `reason`.
    pub fn from_json(kind: MovementKind, body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let mut known = vec!["amount", "movement_key", "reference"];
        let reason = if kind == MovementKind::Adjustment {
            known.push("reason");
            reader.required("reason", str::parse::<AdjustmentReason>)
        } else {
            None
        };
        reader.refuse_unknown(&known);
        let movement_key = reader.required("movement_key", |text| match Identifier::parse(text) {
            Ok(key) if key.as_str().starts_with(SUBSCRIPTION_KEY_PREFIX) => Err(format!(
                "must not start with {SUBSCRIPTION_KEY_PREFIX}, which subscriptions' periods use"
            )),
            Ok(key) => Ok(key),
            Err(invalid) => Err(invalid.to_string()),
        });
        let reference = if kind == MovementKind::Refund {
            reader.required("reference", Identifier::parse)
        } else {
            reader.optional("reference", Identifier::parse)
        };
        let mut errors = reader.finish();
        let amount = match body.get("amount").and_then(whole_number) {
            Some(n) if kind == MovementKind::Adjustment && n != 0 && (-MAX_MOVEMENT..=MAX_MOVEMENT).contains(&n) => {
                Some(n)
            }
            Some(n) if kind != MovementKind::Adjustment && (1..=MAX_MOVEMENT).contains(&n) => Some(n * kind.sign()),
            _ if kind == MovementKind::Adjustment => {
                errors.push(
                    "amount",
                    format!("must be a whole number from -{MAX_MOVEMENT} to {MAX_MOVEMENT}, not zero"),
                );
                None
            }
            _ => {
                errors.push("amount", format!("must be a whole number from 1 to {MAX_MOVEMENT}"));
                None
            }
        };
        errors.into_result(|| {
            Some(Self {
                kind,
                amount: amount?,
                movement_key: movement_key?,
                reference,
                reason,
            })
        })
    }
}

/// One entry of a customer's ledger: what moved, and the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The customer whose balance moved.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// The entry's place in the ledger: 1 for the first, one more each time.
    pub sequence: u64,
    /// The movement, as asked for.
    #[serde(flatten)]
    pub movement: Movement,
    /// The balance once this entry applied.
    pub balance_after: i64,
    /// Who asked for it (a principal's qualified id, or a service's name).
    pub created_by: String,
    /// When it applied.
    pub created_at: Timestamp,
}

/// A customer's balance, and the last entry that moved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// The customer.
    pub customer_id: CustomerId,
    /// Tokens held: never below zero by a use or an expiry.
    pub balance: i64,
    /// The sequence of the last entry (0 before any).
    pub sequence: u64,
    /// When the last entry applied, if any did.
    pub updated_at: Option<Timestamp>,
}

impl Balance {
    /// The balance of a customer nothing has moved yet.
    pub fn empty(customer_id: CustomerId) -> Self {
        Self {
            customer_id,
            balance: 0,
            sequence: 0,
            updated_at: None,
        }
    }

    /// The entry `movement` makes on this balance, asked at `now`; a
    /// [`Shortfall`] when it takes tokens and would leave fewer than zero
    /// (an adjustment, too, corrects a balance down only as far as zero).
    /// The entry's time is `now`, or the last entry's when that is later (a
    /// clock behind another's), so that the ledger's time order is its
    /// sequence order.
    pub fn apply(
        &self,
        business_id: BusinessId,
        movement: Movement,
        created_by: &str,
        now: Timestamp,
    ) -> Result<LedgerEntry, Shortfall> {
        let after = self.balance.saturating_add(movement.amount);
        if movement.amount < 0 && after < 0 {
            return Err(Shortfall {
                balance: self.balance,
                asked: -movement.amount,
            });
        }
        Ok(LedgerEntry {
            customer_id: self.customer_id,
            business_id,
            sequence: self.sequence + 1,
            movement,
            balance_after: after,
            created_by: created_by.to_owned(),
            created_at: self.updated_at.map_or(now, |last| now.max(last)),
        })
    }
}

/// A movement that would take the balance below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// The balance now.
    pub balance: i64,
    /// Tokens the movement would take.
    pub asked: i64,
}

/// What a page of a ledger asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerQuery {
    /// From this instant, included.
    pub from: Option<Timestamp>,
    /// Until this instant, excluded.
    pub to: Option<Timestamp>,
    /// Page size.
    pub limit: usize,
    /// Where the previous page stopped.
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use proptest::prelude::*;
    use serde_json::json;

    fn movement(kind: MovementKind, body: Value) -> Result<Movement, ValidationErrors> {
        Movement::from_json(kind, &object(body))
    }

    #[test]
    fn identifiers_are_the_ascii_of_other_systems_never_names_or_addresses() {
        for good in ["INV-2026-0042", "order:7f3a", "a", "stripe/ch_3N#1", &"x".repeat(64)] {
            assert!(Identifier::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            " INV-1",
            "Jane Roe",
            "jane@example.com",
            "-leading",
            "café",
            &"x".repeat(65),
        ] {
            assert_eq!(Identifier::parse(bad), Err(InvalidIdentifier), "{bad}");
        }
    }

    #[test]
    fn a_use_and_an_expiry_take_and_the_others_add() {
        let body = || json!({"amount": 5, "movement_key": "k1"});
        assert_eq!(movement(MovementKind::Use, body()).unwrap().amount, -5);
        assert_eq!(movement(MovementKind::Expiry, body()).unwrap().amount, -5);
        assert_eq!(movement(MovementKind::Purchase, body()).unwrap().amount, 5);
        assert_eq!(movement(MovementKind::Allocation, body()).unwrap().amount, 5);
        let refund = movement(
            MovementKind::Refund,
            json!({"amount": 2, "movement_key": "k", "reference": "use-1"}),
        );
        assert_eq!(refund.unwrap().amount, 2);
        let down = movement(
            MovementKind::Adjustment,
            json!({"amount": -3, "movement_key": "k", "reason": "correction"}),
        )
        .unwrap();
        assert_eq!((down.amount, down.reason), (-3, Some(AdjustmentReason::Correction)));
    }

    #[test]
    fn every_bad_field_is_named() {
        let refused = movement(
            MovementKind::Purchase,
            json!({"amount": 0, "movement_key": "has space", "reference": "a@b", "reason": "goodwill"}),
        )
        .unwrap_err();
        assert_eq!(refused.fields(), ["reason", "movement_key", "reference", "amount"]);
        let refused = movement(MovementKind::Adjustment, json!({"amount": 0, "movement_key": "k"})).unwrap_err();
        assert_eq!(refused.fields(), ["reason", "amount"]);
        let refused = movement(MovementKind::Refund, json!({"amount": 1, "movement_key": "k"})).unwrap_err();
        assert_eq!(refused.fields(), ["reference"]);
        let refused = movement(MovementKind::Use, json!({"amount": -1, "movement_key": "k"})).unwrap_err();
        assert_eq!(refused.fields(), ["amount"]);
        let refused = movement(MovementKind::Use, json!({"amount": 1.5, "movement_key": "k"})).unwrap_err();
        assert_eq!(refused.fields(), ["amount"]);
        let refused = movement(
            MovementKind::Use,
            json!({"amount": 1, "movement_key": "subscription:0e5c:2"}),
        )
        .unwrap_err();
        assert_eq!(
            refused.fields(),
            ["movement_key"],
            "a period's key is the subscription's own"
        );
    }

    #[test]
    fn a_movement_that_would_take_the_balance_below_zero_is_a_shortfall() {
        let customer = CustomerId::random();
        let business = BusinessId::random();
        let balance = Balance {
            balance: 3,
            ..Balance::empty(customer)
        };
        let spend = |n: i64| movement(MovementKind::Use, json!({"amount": n, "movement_key": "k"})).unwrap();
        assert_eq!(
            balance.apply(business, spend(4), "staff", Timestamp::now()),
            Err(Shortfall { balance: 3, asked: 4 })
        );
        let entry = balance.apply(business, spend(3), "staff", Timestamp::now()).unwrap();
        assert_eq!((entry.balance_after, entry.sequence), (0, 1));
    }

    proptest! {
        #[test]
        fn no_sequence_of_movements_leaves_a_negative_balance_or_a_gap(
            amounts in proptest::collection::vec(-50i64..50, 0..40)
        ) {
            let mut balance = Balance::empty(CustomerId::random());
            let mut sum = 0;
            for (i, amount) in amounts.into_iter().filter(|a| *a != 0).enumerate() {
                let movement = Movement {
                    kind: if amount > 0 { MovementKind::Purchase } else { MovementKind::Use },
                    amount,
                    movement_key: Identifier::parse(&format!("k{i}")).unwrap(),
                    reference: None,
                    reason: None,
                };
                if let Ok(entry) = balance.apply(BusinessId::random(), movement, "t", Timestamp::now()) {
                    prop_assert_eq!(entry.sequence, balance.sequence + 1);
                    sum += entry.movement.amount;
                    balance = Balance {
                        balance: entry.balance_after,
                        sequence: entry.sequence,
                        updated_at: Some(entry.created_at),
                        ..balance
                    };
                }
                prop_assert!(balance.balance >= 0);
                prop_assert_eq!(balance.balance, sum);
            }
        }
    }
}
