//! Saved segments: named groups of a business's customers that an admin
//! keeps. A *filter* segment is a saved list query (status, type, tag and a
//! creation range) whose members are found when they are asked for; a
//! *static list* holds the customers put on it, one by one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::customer::{CustomerStatus, CustomerType};
use crate::id::{BusinessId, SegmentId};
use crate::tag::TagLabel;
use crate::text::fold;
use crate::time::Timestamp;
use crate::validation::{ObjectReader, ValidationErrors};

/// Longest segment name, in characters.
pub const SEGMENT_NAME_MAX_CHARS: usize = 100;
/// Most saved segments (filters and lists together) one business may keep.
pub const MAX_SAVED_SEGMENTS: usize = 500;

/// A saved segment's name: trimmed, 1 to 100 characters, no control,
/// bidirectional or invisible characters; unique in its business as folded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SegmentName(String);

/// Why a string is not a segment name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {SEGMENT_NAME_MAX_CHARS} characters, without control, bidirectional or invisible characters")]
pub struct InvalidSegmentName;

impl SegmentName {
    /// Parses a name.
    pub fn parse(input: &str) -> Result<Self, InvalidSegmentName> {
        let name = input.trim();
        if name.is_empty()
            || name.chars().count() > SEGMENT_NAME_MAX_CHARS
            || name.chars().any(crate::text::refused_in_line)
        {
            return Err(InvalidSegmentName);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name NFKC-normalised and lower-cased: what uniqueness is decided on.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

crate::text::parsed_text!(SegmentName, InvalidSegmentName);

/// What a filter segment's members have in common: every field given must
/// hold. Created times are a half-open range, `created_from` included,
/// `created_to` not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentFilter {
    /// Only customers in this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CustomerStatus>,
    /// Only customers of this type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<CustomerType>,
    /// Only customers with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<TagLabel>,
    /// Only customers created at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from: Option<Timestamp>,
    /// Only customers created before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_to: Option<Timestamp>,
}

/// The fields of a filter.
const FILTER_FIELDS: &[&str] = &["status", "customer_type", "tag", "created_from", "created_to"];

impl SegmentFilter {
    /// Reads a filter from its JSON object; at least one field must be given,
    /// and a range must not end before it starts.
    pub fn from_json(object: &Map<String, Value>, prefix: &str) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::nested(object, prefix);
        reader.refuse_unknown(FILTER_FIELDS);
        let filter = Self {
            status: reader.optional("status", str::parse::<CustomerStatus>),
            customer_type: reader.optional("customer_type", str::parse::<CustomerType>),
            tag: reader.optional("tag", TagLabel::parse),
            created_from: reader.optional("created_from", Timestamp::parse),
            created_to: reader.optional("created_to", Timestamp::parse),
        };
        let mut errors = reader.finish();
        if errors.is_empty() && filter == Self::default() {
            errors.push(
                prefix.trim_end_matches('.'),
                format!("must name at least one of: {}", FILTER_FIELDS.join(", ")),
            );
        }
        if let (Some(from), Some(to)) = (filter.created_from, filter.created_to)
            && to <= from
        {
            errors.push(&format!("{prefix}created_to"), "must be after created_from");
        }
        errors.into_result(|| Some(filter))
    }
}

/// What a saved segment is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Definition {
    /// The customers a filter finds, when asked.
    Filter(SegmentFilter),
    /// The customers put on the list.
    List,
}

impl Definition {
    /// `filter` or `list`, as the API names the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Definition::Filter(_) => "filter",
            Definition::List => "list",
        }
    }
}

/// A segment an admin saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSegment {
    /// Its id.
    pub id: SegmentId,
    /// The business it belongs to.
    pub business_id: BusinessId,
    /// Its name, unique in the business.
    pub name: SegmentName,
    /// A filter, or a static list.
    pub definition: Definition,
    /// The principal who saved it.
    pub created_by: String,
    /// When it was saved.
    pub created_at: Timestamp,
}

/// A validated segment to save: `{"name", "filter": {...}}` or
/// `{"name", "kind": "list"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSavedSegment {
    /// Its name.
    pub name: SegmentName,
    /// A filter, or a static list.
    pub definition: Definition,
}

impl NewSavedSegment {
    /// Reads a segment to save from a request body, naming every offending field.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        reader.refuse_unknown(&["name", "kind", "filter"]);
        let name = reader.required("name", SegmentName::parse);
        let kind = reader.optional("kind", |k| match k {
            "filter" | "list" => Ok(k.to_owned()),
            _ => Err("must be one of: filter, list"),
        });
        let mut errors = reader.finish();
        let kind = kind.unwrap_or_else(|| "filter".to_owned());
        let definition = match (kind.as_str(), body.get("filter")) {
            ("list", None | Some(Value::Null)) => Some(Definition::List),
            ("list", Some(_)) => {
                errors.push("filter", "a list has no filter: its members are put on it");
                None
            }
            (_, Some(Value::Object(filter))) => match SegmentFilter::from_json(filter, "filter.") {
                Ok(filter) => Some(Definition::Filter(filter)),
                Err(problems) => {
                    errors.extend(problems);
                    None
                }
            },
            (_, None | Some(Value::Null)) => {
                errors.push("filter", "is required for a filter segment (or say \"kind\": \"list\")");
                None
            }
            (_, Some(_)) => {
                errors.push("filter", "must be an object");
                None
            }
        };
        errors.into_result(|| {
            Some(Self {
                name: name?,
                definition: definition?,
            })
        })
    }

    /// The segment, saved now by `created_by`.
    pub fn into_segment(self, business_id: BusinessId, created_by: &str, at: Timestamp) -> SavedSegment {
        SavedSegment {
            id: SegmentId::random(),
            business_id,
            name: self.name,
            definition: self.definition,
            created_by: created_by.to_owned(),
            created_at: at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use serde_json::json;

    #[test]
    fn a_filter_segment_needs_a_name_and_a_filter_of_known_fields() {
        let saved = NewSavedSegment::from_json(&object(json!({
            "name": "  Active SMEs ", "filter": {"status": "active", "customer_type": "sme", "tag": "VIP",
            "created_from": "2026-01-01T00:00:00Z", "created_to": "2026-07-01T00:00:00+02:00"}
        })))
        .unwrap();
        assert_eq!(saved.name.as_str(), "Active SMEs");
        let Definition::Filter(filter) = &saved.definition else {
            panic!("a filter")
        };
        assert_eq!(filter.status, Some(CustomerStatus::Active));
        assert_eq!(filter.tag.as_ref().map(TagLabel::folded).as_deref(), Some("vip"));
        assert_eq!(
            filter.created_to.map(|t| t.to_string()).as_deref(),
            Some("2026-06-30T22:00:00.000000Z")
        );

        let errors = NewSavedSegment::from_json(&object(json!({
            "name": "", "filter": {"status": "gone", "colour": "red", "created_from": "yesterday"}, "extra": 1
        })))
        .unwrap_err();
        assert_eq!(
            errors.fields(),
            vec!["extra", "name", "filter.colour", "filter.status", "filter.created_from"]
        );
        let empty = NewSavedSegment::from_json(&object(json!({"name": "All", "filter": {}}))).unwrap_err();
        assert_eq!(empty.fields(), vec!["filter"]);
        let backwards = NewSavedSegment::from_json(&object(json!({"name": "B", "filter": {
            "created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"}})))
        .unwrap_err();
        assert_eq!(backwards.fields(), vec!["filter.created_to"]);
        let missing = NewSavedSegment::from_json(&object(json!({"name": "M"}))).unwrap_err();
        assert_eq!(missing.fields(), vec!["filter"]);
    }

    #[test]
    fn a_list_has_a_name_and_no_filter() {
        let list = NewSavedSegment::from_json(&object(json!({"name": "Launch guests", "kind": "list"}))).unwrap();
        assert_eq!(list.definition, Definition::List);
        assert_eq!(list.definition.kind(), "list");
        let both = NewSavedSegment::from_json(&object(
            json!({"name": "X", "kind": "list", "filter": {"status": "active"}}),
        ))
        .unwrap_err();
        assert_eq!(both.fields(), vec!["filter"]);
        let odd = NewSavedSegment::from_json(&object(json!({"name": "X", "kind": "bag"}))).unwrap_err();
        assert_eq!(odd.fields(), vec!["kind", "filter"]);
    }

    #[test]
    fn names_refuse_what_a_line_may_not_hold_and_fold_for_uniqueness() {
        assert!(SegmentName::parse(&"n".repeat(SEGMENT_NAME_MAX_CHARS)).is_ok());
        assert!(SegmentName::parse(&"n".repeat(SEGMENT_NAME_MAX_CHARS + 1)).is_err());
        assert!(SegmentName::parse("a\u{202e}b").is_err());
        assert!(SegmentName::parse(" \t ").is_err());
        assert_eq!(
            SegmentName::parse("ＶＩＰ Clients").unwrap().folded(),
            SegmentName::parse("vip clients").unwrap().folded()
        );
    }
}
