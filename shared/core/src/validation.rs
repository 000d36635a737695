//! Validation errors that name every offending field, and a reader that walks a
//! JSON object collecting all of them instead of stopping at the first.

use std::fmt;

use serde_json::{Map, Value};

/// One offending field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name, or its path inside the object (`changes.email`, `[2].label`).
    pub field: String,
    /// What is wrong, in words a client developer can act on.
    pub detail: String,
}

/// Every problem found in one request's input. Never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A single error.
    pub fn single(field: &str, detail: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.push(field, detail);
        errors
    }

    /// Records one more problem.
    pub fn push(&mut self, field: &str, detail: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            detail: detail.into(),
        });
    }

    /// Adds every problem of another collection.
    pub fn extend(&mut self, other: ValidationErrors) {
        self.0.extend(other.0);
    }

    /// True when nothing was found wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, in the order they were found.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// The names of the offending fields.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.field.as_str()).collect()
    }

    /// `Ok(value)` when nothing was found wrong, else these errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Self> {
        if !self.is_empty() {
            return Err(self);
        }
        // A field without a recorded error always yields a value, so `None`
        // here means a reader bug; report it rather than panic.
        value().ok_or_else(|| Self::single("body", "could not be read"))
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<_> = self.0.iter().map(|e| e.field.as_str()).collect();
        write!(f, "invalid fields: {}", fields.join(", "))
    }
}

impl std::error::Error for ValidationErrors {}

/// What a merge patch says of one field (RFC 7396).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchValue<T> {
    /// Not mentioned: leave it as it is.
    Absent,
    /// `null`: remove it.
    Remove,
    /// A new value.
    Set(T),
}

/// Reads a JSON object field by field, recording every problem.
pub struct ObjectReader<'a> {
    object: &'a Map<String, Value>,
    prefix: String,
    errors: ValidationErrors,
}

impl<'a> ObjectReader<'a> {
    /// Starts reading an object.
    pub fn new(object: &'a Map<String, Value>) -> Self {
        Self::nested(object, "")
    }

    /// Starts reading an object inside the body, naming its fields with
    /// `prefix` (`[2].` for the third element of a list).
    pub fn nested(object: &'a Map<String, Value>, prefix: &str) -> Self {
        Self {
            object,
            prefix: prefix.to_owned(),
            errors: ValidationErrors::new(),
        }
    }

    fn record(&mut self, field: &str, detail: impl Into<String>) {
        let name = format!("{}{field}", self.prefix);
        self.errors.push(&name, detail);
    }

    fn parse_str<T, E: fmt::Display>(
        &mut self,
        field: &str,
        value: &Value,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let Some(text) = value.as_str() else {
            self.record(field, "must be a string");
            return None;
        };
        match parse(text) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.record(field, e.to_string());
                None
            }
        }
    }

    /// A string field that must be present and not null.
    pub fn required<T, E: fmt::Display>(&mut self, field: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        match self.object.get(field) {
            None | Some(Value::Null) => {
                self.record(field, "is required");
                None
            }
            Some(value) => self.parse_str(field, value, parse),
        }
    }

    /// A string field that may be absent or null.
    pub fn optional<T, E: fmt::Display>(&mut self, field: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        match self.object.get(field) {
            None | Some(Value::Null) => None,
            Some(value) => self.parse_str(field, value, parse),
        }
    }

    /// A whole-number field that may be absent or null, within `range`.
    pub fn optional_integer(&mut self, field: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        match self.object.get(field) {
            None | Some(Value::Null) => None,
            Some(value) => match whole_number(value) {
                Some(n) if range.contains(&n) => Some(n),
                _ => {
                    let (low, high) = (range.start(), range.end());
                    self.record(field, format!("must be a whole number from {low} to {high}"));
                    None
                }
            },
        }
    }

    /// A string field of a merge patch that may be removed with `null`.
    pub fn patch<T, E: fmt::Display>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> PatchValue<T> {
        match self.object.get(field) {
            None => PatchValue::Absent,
            Some(Value::Null) => PatchValue::Remove,
            Some(value) => match self.parse_str(field, value, parse) {
                Some(parsed) => PatchValue::Set(parsed),
                None => PatchValue::Absent,
            },
        }
    }

    /// A string field of a merge patch that may change but never be removed.
    pub fn patch_required<T, E: fmt::Display>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match self.patch(field, parse) {
            PatchValue::Absent => None,
            PatchValue::Remove => {
                self.record(field, "cannot be removed");
                None
            }
            PatchValue::Set(value) => Some(value),
        }
    }

    /// Refuses each of these fields if present, with the same reason.
    pub fn refuse(&mut self, fields: &[&str], detail: &str) {
        for field in fields {
            if self.object.contains_key(*field) {
                self.record(field, detail);
            }
        }
    }

    /// Refuses every field not in `known`.
    pub fn refuse_unknown(&mut self, known: &[&str]) {
        let unknown: Vec<&String> = self
            .object
            .keys()
            .filter(|key| !known.contains(&key.as_str()))
            .collect();
        for key in unknown {
            self.record(key, "is not a known field");
        }
    }

    /// Everything found wrong.
    pub fn finish(self) -> ValidationErrors {
        self.errors
    }
}

/// A JSON number that is a whole number, as JSON Schema counts one: `3`,
/// and `3.0` too (a number with a zero fraction is an integer), within the
/// range a double holds exactly (±2^53). Anything else is `None`.
pub fn whole_number(value: &Value) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if let Some(n) = value.as_i64() {
        return Some(n);
    }
    let n = value.as_f64()?;
    (n.fract() == 0.0 && n.abs() <= EXACT).then_some(n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use serde_json::json;

    #[test]
    fn a_whole_number_may_be_written_with_a_zero_fraction() {
        assert_eq!(whole_number(&json!(3)), Some(3));
        assert_eq!(whole_number(&json!(-1539.0)), Some(-1539));
        assert_eq!(whole_number(&json!(1.5)), None);
        assert_eq!(whole_number(&json!(1e300)), None);
        assert_eq!(whole_number(&json!("3")), None);
    }

    fn non_empty(s: &str) -> Result<String, &'static str> {
        if s.is_empty() {
            Err("must not be empty")
        } else {
            Ok(s.to_owned())
        }
    }

    #[test]
    fn records_every_problem_not_just_the_first() {
        let body = object(json!({"a": 1, "b": "", "id": "x", "zzz": true}));
        let mut reader = ObjectReader::new(&body);
        assert_eq!(reader.required("a", non_empty), None);
        assert_eq!(reader.required("b", non_empty), None);
        assert_eq!(reader.required("c", non_empty), None);
        reader.refuse(&["id"], "is read-only");
        reader.refuse_unknown(&["a", "b", "c", "id"]);
        let errors = reader.finish();
        assert_eq!(errors.fields(), vec!["a", "b", "c", "id", "zzz"]);
        assert_eq!(errors.errors()[0].detail, "must be a string");
        assert_eq!(errors.errors()[1].detail, "must not be empty");
        assert_eq!(errors.errors()[2].detail, "is required");
        assert_eq!(errors.errors()[4].detail, "is not a known field");
    }

    #[test]
    fn patch_tells_absent_from_null_from_a_value() {
        let body = object(json!({"x": null, "y": "v", "z": null}));
        let mut reader = ObjectReader::new(&body);
        assert_eq!(reader.patch("w", non_empty), PatchValue::Absent);
        assert_eq!(reader.patch("x", non_empty), PatchValue::Remove);
        assert_eq!(reader.patch("y", non_empty), PatchValue::Set("v".to_owned()));
        assert_eq!(reader.patch_required("z", non_empty), None);
        assert_eq!(reader.finish().fields(), vec!["z"]);
    }

    #[test]
    fn nested_readers_name_fields_with_their_prefix_and_read_integers() {
        let body = object(json!({"priority": 1.5, "rank": 7}));
        let mut reader = ObjectReader::nested(&body, "[2].");
        assert_eq!(reader.optional_integer("priority", -10..=10), None);
        assert_eq!(reader.optional_integer("rank", -10..=10), Some(7));
        assert_eq!(reader.optional_integer("absent", -10..=10), None);
        assert_eq!(reader.optional_integer("rank", 0..=5), None);
        let errors = reader.finish();
        assert_eq!(errors.fields(), vec!["[2].priority", "[2].rank"]);
        assert_eq!(errors.errors()[0].detail, "must be a whole number from -10 to 10");
    }

    #[test]
    fn into_result_gives_the_value_only_without_errors() {
        assert_eq!(ValidationErrors::new().into_result(|| Some(1)), Ok(1));
        let errors = ValidationErrors::single("f", "bad");
        assert_eq!(errors.clone().into_result(|| Some(1)), Err(errors));
    }
}
