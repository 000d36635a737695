//! Page cursors: opaque to clients, and unable to reach outside the query they
//! were issued for.
//!
//! A cursor holds only the index sort key of the last customer returned
//! (`<created_at>#<customer_id>`) and a tag naming the index partition it was
//! issued for (`all`, `status:<status>` or `type:<type>`). The partition key is
//! never taken from the cursor: it is rebuilt from the caller's own business and
//! filters, so an altered cursor can at most move within the caller's own
//! results. A cursor issued for another filter is refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clientele_core::{CustomerId, StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::keys;

/// Longest cursor accepted, before decoding.
pub const MAX_CURSOR_CHARS: usize = 2048;

#[derive(Serialize, Deserialize)]
struct CursorData {
    /// Format version.
    v: u8,
    /// The query tag the cursor was issued for.
    q: String,
    /// The last index sort key returned.
    k: String,
}

/// A cursor continuing after `sort_key` in the query tagged `tag`.
pub(crate) fn encode(tag: &str, sort_key: &str) -> String {
    let data = CursorData {
        v: 1,
        q: tag.to_owned(),
        k: sort_key.to_owned(),
    };
    // A struct of strings always serialises.
    let json = serde_json::to_vec(&data).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The position a cursor holds, if it was issued for the query tagged `tag`.
/// The caller checks that the position is one its query can have.
pub(crate) fn decode(cursor: &str, tag: &str) -> Result<String, StoreError> {
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(StoreError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| StoreError::InvalidCursor)?;
    let data: CursorData = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if data.v != 1 || data.q != tag {
        return Err(StoreError::InvalidCursor);
    }
    Ok(data.k)
}

/// The place in a newest-first customer index a cursor holds.
pub(crate) fn decode_created_order(cursor: &str, tag: &str) -> Result<(Timestamp, CustomerId), StoreError> {
    keys::parse_created_order(&decode(cursor, tag)?).ok_or(StoreError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips_for_its_own_query() {
        let (at, id) = (Timestamp::now(), CustomerId::random());
        let cursor = encode("status:active", &keys::created_order(at, id));
        assert_eq!(decode_created_order(&cursor, "status:active").unwrap(), (at, id));
    }

    #[test]
    fn is_refused_for_another_query_or_when_altered() {
        let cursor = encode("all", &keys::created_order(Timestamp::now(), CustomerId::random()));
        assert!(matches!(
            decode(&cursor, "status:active"),
            Err(StoreError::InvalidCursor)
        ));
        let forged = URL_SAFE_NO_PAD.encode(r#"{"v":1,"q":"all","k":"BUSINESS#other#CUSTOMERS"}"#);
        assert_eq!(
            decode(&forged, "all").unwrap(),
            "BUSINESS#other#CUSTOMERS",
            "the raw position is the caller's to check"
        );
        assert!(matches!(
            decode_created_order(&forged, "all"),
            Err(StoreError::InvalidCursor)
        ));
        assert!(matches!(decode("%%%", "all"), Err(StoreError::InvalidCursor)));
        assert!(matches!(
            decode(&"A".repeat(600), "all"),
            Err(StoreError::InvalidCursor)
        ));
    }

    proptest! {
        #[test]
        fn decoding_garbage_never_panics(input in "\\PC{0,700}") {
            let _ = decode(&input, "all");
        }
    }
}
