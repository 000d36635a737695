//! Helpers for this crate's unit tests.

use serde_json::{Map, Value};

/// The object inside a `json!({...})`.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => unreachable!("tests pass objects, not {other}"),
    }
}
