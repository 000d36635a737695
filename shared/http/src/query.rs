//! Reading a request's query string, refusing with 400 every offending
//! parameter at once: a bad value, a repeated one, an unknown one.

use std::collections::BTreeSet;
use std::fmt;

use axum::extract::FromRequestParts;
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::request::Parts;

use crate::problem::{ApiError, FieldProblem, Location};

/// Reads a request's query parameters, recording every problem; an
/// extractor, so a handler takes it as an argument.
#[derive(Debug)]
pub struct QueryReader {
    params: QueryMap,
    errors: Vec<FieldProblem>,
    seen: BTreeSet<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryReader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::new(parts.query_string_parameters()))
    }
}

impl QueryReader {
    /// Starts reading these parameters.
    pub fn new(params: QueryMap) -> Self {
        Self {
            params,
            errors: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    fn push(&mut self, name: &str, detail: impl Into<String>) {
        self.errors.push(FieldProblem::new(name, Location::Query, detail));
    }

    /// A parameter given at most once, parsed.
    pub fn optional<T, E: fmt::Display>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        let values = self.params.all(name).unwrap_or_default();
        match values.as_slice() {
            [] => None,
            [value] => match parse(value) {
                Ok(parsed) => Some(parsed),
                Err(e) => {
                    self.push(name, e.to_string());
                    None
                }
            },
            _ => {
                self.push(name, "must be given at most once");
                None
            }
        }
    }

    /// A parameter given exactly once, parsed.
    pub fn required<T, E: fmt::Display>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        if self.params.all(name).is_none_or(|values| values.is_empty()) {
            self.push(name, "is required");
            return None;
        }
        self.optional(name, parse)
    }

    /// Reads a page's `limit` (a whole number from 1 to `max`, `default`
    /// when absent) and `cursor` (passed on as issued; the store refuses one
    /// it did not issue for the same query).
    pub fn paging(&mut self, default: usize, max: usize) -> (usize, Option<String>) {
        let limit = self
            .optional("limit", |text: &str| match text.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(format!("must be a whole number from 1 to {max}")),
            })
            .unwrap_or(default);
        let cursor = self.optional("cursor", |text: &str| {
            if text.is_empty() || text.len() > clientele_store::cursor::MAX_CURSOR_CHARS {
                Err("is not a cursor this query issued")
            } else {
                Ok(text.to_owned())
            }
        });
        (limit, cursor)
    }

    /// Refuses every parameter not in `known`.
    pub fn refuse_unknown(&mut self, known: &[&str]) {
        let unknown: Vec<String> = self
            .params
            .iter()
            .map(|(name, _)| name)
            .filter(|name| !known.contains(name))
            .map(str::to_owned)
            .collect();
        for name in unknown {
            if self.seen.insert(name.clone()) {
                self.push(&name, "is not a known parameter");
            }
        }
    }

    /// 400 naming every offending parameter, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidParameters(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn reader(query: &[(&str, &str)]) -> QueryReader {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in query {
            map.entry((*k).to_owned()).or_default().push((*v).to_owned());
        }
        QueryReader::new(map.into())
    }

    #[test]
    fn reports_repeated_unknown_and_invalid_parameters_together() {
        let mut reader = reader(&[("limit", "x"), ("status", "a"), ("status", "b"), ("colour", "red")]);
        assert_eq!(reader.optional("limit", str::parse::<u32>), None);
        assert_eq!(reader.optional("status", |s| Ok::<_, String>(s.to_owned())), None);
        assert_eq!(reader.optional("cursor", |s| Ok::<_, String>(s.to_owned())), None);
        reader.refuse_unknown(&["limit", "status", "cursor"]);
        let Err(ApiError::InvalidParameters(errors)) = reader.finish() else {
            panic!("three problems were given");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["limit", "status", "colour"]);
        assert!(errors.iter().all(|e| e.location == Location::Query));
    }

    proptest::proptest! {
        /// Any query, read as a list route reads one: no panic, and every
        /// refusal names a parameter the query has.
        #[test]
        fn any_query_is_read_or_refused_by_its_own_names(
            pairs in proptest::collection::vec(("(limit|status|cursor|\\PC{0,8})", "\\PC{0,24}"), 0..8)
        ) {
            let query: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let mut reader = reader(&query);
            let _ = reader.optional("limit", str::parse::<u32>);
            let _ = reader.optional("status", |s| if s == "active" { Ok(()) } else { Err("must be active") });
            let _ = reader.optional("cursor", |s| Ok::<_, String>(s.to_owned()));
            reader.refuse_unknown(&["limit", "status", "cursor"]);
            if let Err(ApiError::InvalidParameters(errors)) = reader.finish() {
                for error in errors {
                    proptest::prop_assert!(pairs.iter().any(|(k, _)| *k == error.field), "{} is not in the query", error.field);
                    proptest::prop_assert!(!error.detail.is_empty());
                }
            }
        }
    }

    #[test]
    fn a_good_query_reads_its_values() {
        let mut reader = reader(&[("limit", "7")]);
        assert_eq!(reader.optional("limit", str::parse::<u32>), Some(7));
        reader.refuse_unknown(&["limit"]);
        assert!(reader.finish().is_ok());
    }
}
