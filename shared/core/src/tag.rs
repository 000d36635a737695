//! Tags: short labels on a customer ("VIP", "Blacklist"), unique per customer
//! case-insensitively, listed by priority then label.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::id::{BusinessId, CustomerId, TagId};
use crate::text::fold;
use crate::time::Timestamp;
use crate::validation::{ObjectReader, ValidationErrors};

/// Longest label, in characters.
pub const TAG_LABEL_MAX_CHARS: usize = 50;
/// Most tags one request may add.
pub const MAX_TAGS_PER_REQUEST: usize = 25;
/// Most tags one customer may have: its tag list is one bounded read.
pub const MAX_TAGS_PER_CUSTOMER: usize = 100;
/// The priorities accepted.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i64> = -1_000_000..=1_000_000;

/// A tag's label: trimmed, 1 to 50 characters, no control, bidirectional or
/// invisible characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagLabel(String);

/// Why a string is not a label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {TAG_LABEL_MAX_CHARS} characters, without control, bidirectional or invisible characters")]
pub struct InvalidTagLabel;

impl TagLabel {
    /// Parses a label.
    pub fn parse(input: &str) -> Result<Self, InvalidTagLabel> {
        let label = input.trim();
        if label.is_empty()
            || label.chars().count() > TAG_LABEL_MAX_CHARS
            || label.chars().any(crate::text::refused_in_line)
        {
            return Err(InvalidTagLabel);
        }
        Ok(Self(label.to_owned()))
    }

    /// The label as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The label NFKC-normalised and folded to lower case: what uniqueness
    /// is decided on.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

crate::text::parsed_text!(TagLabel, InvalidTagLabel);

/// A display colour, `#RRGGBB`, kept in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagColor(String);

/// Why a string is not a colour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a colour written #RRGGBB, like #FFD700")]
pub struct InvalidTagColor;

impl TagColor {
    /// Parses a colour.
    pub fn parse(input: &str) -> Result<Self, InvalidTagColor> {
        let hex = input.trim().strip_prefix('#').ok_or(InvalidTagColor)?;
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(InvalidTagColor);
        }
        Ok(Self(format!("#{}", hex.to_ascii_uppercase())))
    }

    /// The colour, `#RRGGBB`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text::parsed_text!(TagColor, InvalidTagColor);

/// A tag on a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The tag's id.
    pub id: TagId,
    /// The customer it is on.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// The label.
    pub label: TagLabel,
    /// Its display colour.
    pub color: Option<TagColor>,
    /// Its place in the customer's list: lower first.
    pub priority: i64,
    /// The principal who added it.
    pub created_by: String,
    /// When it was added.
    pub created_at: Timestamp,
}

/// Orders tags by priority, then label (case-insensitively).
pub fn sort_tags(tags: &mut [Tag]) {
    tags.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then_with(|| a.label.folded().cmp(&b.label.folded()))
    });
}

/// A validated tag to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTag {
    /// The label.
    pub label: TagLabel,
    /// Its colour.
    pub color: Option<TagColor>,
    /// Its priority (0 unless given).
    pub priority: i64,
}

/// Fields a tag body may carry.
const TAG_FIELDS: &[&str] = &["label", "color", "priority"];
/// Fields the server sets.
const TAG_SERVER_FIELDS: &[&str] = &["id", "created_by", "created_at"];

impl NewTag {
    /// Reads one tag object; `prefix` names its fields in errors (`[2].`), and
    /// `also` lists other fields the object may carry.
    pub(crate) fn read(body: &Map<String, Value>, prefix: &str, also: &[&str]) -> (Option<Self>, ValidationErrors) {
        let mut reader = ObjectReader::nested(body, prefix);
        let label = reader.required("label", TagLabel::parse);
        let color = reader.optional("color", TagColor::parse);
        let priority = reader.optional_integer("priority", PRIORITY_RANGE).unwrap_or(0);
        reader.refuse(TAG_SERVER_FIELDS, "is set by the server and cannot be written");
        let known: Vec<&str> = TAG_FIELDS
            .iter()
            .chain(TAG_SERVER_FIELDS)
            .chain(also)
            .copied()
            .collect();
        reader.refuse_unknown(&known);
        let errors = reader.finish();
        let tag = label
            .filter(|_| errors.is_empty())
            .map(|label| Self { label, color, priority });
        (tag, errors)
    }

    /// Reads a body of one tag (an object) or several (a list of 1 to 25
    /// objects, all or nothing), reporting every offending field. Labels must
    /// differ within the body.
    pub fn many_from_json(body: &Value) -> Result<Vec<Self>, ValidationErrors> {
        let (items, list) = match body {
            Value::Object(object) => (vec![object], false),
            Value::Array(values) => {
                let objects: Option<Vec<&Map<String, Value>>> = values.iter().map(Value::as_object).collect();
                match objects {
                    Some(objects) if (1..=MAX_TAGS_PER_REQUEST).contains(&objects.len()) => (objects, true),
                    _ => {
                        return Err(ValidationErrors::single(
                            "body",
                            format!("must be a tag object or a list of 1 to {MAX_TAGS_PER_REQUEST} tag objects"),
                        ));
                    }
                }
            }
            _ => {
                return Err(ValidationErrors::single(
                    "body",
                    "must be a tag object or a list of tag objects",
                ));
            }
        };
        let mut errors = ValidationErrors::new();
        let mut tags = Vec::new();
        let mut seen = HashSet::new();
        for (i, object) in items.into_iter().enumerate() {
            let prefix = if list { format!("[{i}].") } else { String::new() };
            let (tag, found) = Self::read(object, &prefix, &[]);
            errors.extend(found);
            if let Some(tag) = tag {
                if !seen.insert(tag.label.folded()) {
                    errors.push(&format!("{prefix}label"), "is given twice in this request");
                }
                tags.push(tag);
            }
        }
        errors.into_result(|| Some(tags))
    }

    /// Reads the body of `POST /api/customers/tags/`: one tag and the customer it is for.
    pub fn with_customer_from_json(body: &Map<String, Value>) -> Result<(CustomerId, Self), ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let customer = reader.required("customer_id", CustomerId::parse);
        let mut errors = reader.finish();
        let (tag, found) = Self::read(body, "", &["customer_id"]);
        errors.extend(found);
        errors.into_result(|| Some((customer?, tag?)))
    }

    /// The tag this becomes on `customer`, added by `created_by` at `now`.
    pub fn into_tag(self, customer_id: CustomerId, business_id: BusinessId, created_by: &str, now: Timestamp) -> Tag {
        Tag {
            id: TagId::random(),
            customer_id,
            business_id,
            label: self.label,
            color: self.color,
            priority: self.priority,
            created_by: created_by.to_owned(),
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_colours_and_priorities_are_checked() {
        assert_eq!(TagLabel::parse(" VIP ").unwrap().as_str(), "VIP");
        assert_eq!(TagLabel::parse("VIP").unwrap().folded(), "vip");
        assert!(TagLabel::parse("").is_err());
        assert!(TagLabel::parse(&"é".repeat(51)).is_err());
        assert!(TagLabel::parse(&"é".repeat(50)).is_ok());
        assert_eq!(TagColor::parse("#ffd700").unwrap().as_str(), "#FFD700");
        for bad in ["FFD700", "#FFD70", "#GGGGGG", "#FFD7000", "red"] {
            assert!(TagColor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_original_tag_example_is_one_tag_with_priority_zero() {
        let tags = NewTag::many_from_json(&json!({"label": "VIP", "color": "#FFD700"})).unwrap();
        assert_eq!(tags.len(), 1);
        assert_eq!((tags[0].label.as_str(), tags[0].priority), ("VIP", 0));
    }

    #[test]
    fn a_list_reports_every_bad_field_by_position_and_refuses_repeated_labels() {
        let body = json!([
            {"label": "VIP", "priority": 1},
            {"label": "", "color": "gold"},
            {"label": "vip", "id": "x"},
            {"label": "Late payer", "priority": "high", "note": "?"}
        ]);
        let errors = NewTag::many_from_json(&body).unwrap_err();
        assert_eq!(
            errors.fields(),
            vec!["[1].label", "[1].color", "[2].id", "[3].priority", "[3].note"]
        );
        let errors = NewTag::many_from_json(&json!([{"label": "VIP"}, {"label": " vip "}])).unwrap_err();
        assert_eq!(errors.fields(), vec!["[1].label"]);
    }

    #[test]
    fn a_list_has_one_to_twenty_five_objects() {
        assert!(NewTag::many_from_json(&json!([])).is_err());
        assert!(NewTag::many_from_json(&json!(["VIP"])).is_err());
        let many: Vec<Value> = (0..26).map(|i| json!({"label": format!("t{i}")})).collect();
        assert!(NewTag::many_from_json(&Value::Array(many)).is_err());
        let enough: Vec<Value> = (0..25).map(|i| json!({"label": format!("t{i}")})).collect();
        assert_eq!(NewTag::many_from_json(&Value::Array(enough)).unwrap().len(), 25);
    }

    #[test]
    fn the_single_tag_route_needs_the_customer() {
        let body = json!({"label": "VIP"});
        let errors = NewTag::with_customer_from_json(body.as_object().unwrap()).unwrap_err();
        assert_eq!(errors.fields(), vec!["customer_id"]);
        let body = json!({"label": "VIP", "customer_id": "123e4567-e89b-12d3-a456-426614174002"});
        assert!(NewTag::with_customer_from_json(body.as_object().unwrap()).is_ok());
    }

    #[test]
    fn tags_sort_by_priority_then_label() {
        let business = BusinessId::random();
        let customer = CustomerId::random();
        let tag = |label: &str, priority: i64| {
            NewTag {
                label: TagLabel::parse(label).unwrap(),
                color: None,
                priority,
            }
            .into_tag(customer, business, "u", Timestamp::now())
        };
        let mut tags = vec![tag("b", 1), tag("Z", 0), tag("a", 1), tag("x", -5)];
        sort_tags(&mut tags);
        let labels: Vec<&str> = tags.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["x", "Z", "a", "b"]);
    }
}
