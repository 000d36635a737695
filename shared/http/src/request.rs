//! Reading the parts of a request that are not the body: path segments and
//! query parameters, refused with 400 naming each offending one.

use std::collections::BTreeSet;
use std::fmt;

use clientele_core::{Location, ValidationErrors};
use lambda_http::{Request, RequestExt};

use crate::problem::ApiError;

/// The path's segments after `prefix`, ignoring a trailing slash; `None` when
/// the path is not under `prefix`.
pub fn segments_after<'a>(path: &'a str, prefix: &str) -> Option<Vec<&'a str>> {
    let rest = path.strip_prefix(prefix)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    Some(rest.split('/').skip(1).collect())
}

/// A path parameter, parsed, or 400 naming it.
pub fn path_param<T, E: fmt::Display>(
    segment: &str,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, ApiError> {
    parse(segment)
        .map_err(|e| ApiError::InvalidParameters(ValidationErrors::single(name, Location::Path, e.to_string())))
}

/// Reads query parameters, recording every problem.
pub struct QueryReader<'a> {
    request: &'a Request,
    errors: ValidationErrors,
    seen: BTreeSet<String>,
}

impl<'a> QueryReader<'a> {
    /// Starts reading a request's query string.
    pub fn new(request: &'a Request) -> Self {
        Self {
            request,
            errors: ValidationErrors::new(),
            seen: BTreeSet::new(),
        }
    }

    /// A parameter given at most once, parsed.
    pub fn optional<T, E: fmt::Display>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Option<T> {
        let values = self
            .request
            .query_string_parameters_ref()
            .and_then(|params| params.all(name))
            .unwrap_or_default();
        match values.as_slice() {
            [] => None,
            [value] => match parse(value) {
                Ok(parsed) => Some(parsed),
                Err(e) => {
                    self.errors.push(name, Location::Query, e.to_string());
                    None
                }
            },
            _ => {
                self.errors.push(name, Location::Query, "must be given at most once");
                None
            }
        }
    }

    /// Refuses every parameter not in `known`.
    pub fn refuse_unknown(&mut self, known: &[&str]) {
        let Some(params) = self.request.query_string_parameters_ref() else {
            return;
        };
        for (name, _) in params.iter() {
            if !known.contains(&name) && self.seen.insert(name.to_owned()) {
                self.errors.push(name, Location::Query, "is not a known parameter");
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
    use lambda_http::Body;
    use std::collections::HashMap;

    #[test]
    fn segments_ignore_a_trailing_slash_and_other_prefixes() {
        assert_eq!(segments_after("/api/customers", "/api/customers"), Some(vec![]));
        assert_eq!(segments_after("/api/customers/", "/api/customers"), Some(vec![]));
        assert_eq!(
            segments_after("/api/customers/x/stats", "/api/customers"),
            Some(vec!["x", "stats"])
        );
        assert_eq!(segments_after("/api/customersx", "/api/customers"), None);
        assert_eq!(segments_after("/other", "/api/customers"), None);
    }

    fn request(query: &[(&str, &str)]) -> Request {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in query {
            map.entry((*k).to_owned()).or_default().push((*v).to_owned());
        }
        lambda_http::http::Request::builder()
            .uri("/")
            .body(Body::Empty)
            .unwrap()
            .with_query_string_parameters(map)
    }

    #[test]
    fn reports_repeated_unknown_and_invalid_parameters_together() {
        let req = request(&[("limit", "x"), ("status", "a"), ("status", "b"), ("colour", "red")]);
        let mut reader = QueryReader::new(&req);
        assert_eq!(reader.optional("limit", str::parse::<u32>), None);
        assert_eq!(reader.optional("status", |s| Ok::<_, String>(s.to_owned())), None);
        assert_eq!(reader.optional("cursor", |s| Ok::<_, String>(s.to_owned())), None);
        reader.refuse_unknown(&["limit", "status", "cursor"]);
        let Err(ApiError::InvalidParameters(errors)) = reader.finish() else {
            panic!("three problems were given");
        };
        assert_eq!(errors.fields(), vec!["limit", "status", "colour"]);
    }
}
