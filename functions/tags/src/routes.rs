//! The tags route group's paths (seed 002's), resolved before anything else.

use lambda_http::http::Method;

use clientele_http::ApiError;
use clientele_http::request::segments_after;

/// A route of the group, with its raw id segments (parsed after the caller is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `POST /api/customers/tags/`: one tag, the body naming the customer.
    Create,
    /// `GET /api/customers/tags/customer/{customer_id}`
    ListOf(&'a str),
    /// `DELETE /api/customers/tags/{tag_id}`
    Remove(&'a str),
    /// `POST /api/customers/{customer_id}/tags`: one tag or a list.
    AddTo(&'a str),
    /// `DELETE /api/customers/{customer_id}/tags/{tag_id}`
    RemoveFrom(&'a str, &'a str),
}

fn only(method: &Method, wanted: Method, allowed: &'static [&'static str]) -> Result<(), ApiError> {
    if *method == wanted {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed { allowed })
    }
}

impl<'a> Route<'a> {
    /// The route a method and path name.
    pub fn resolve(method: &Method, path: &'a str) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound(format!("There is no route {path}."));
        let segments = segments_after(path, "/api/customers").ok_or_else(not_found)?;
        let route = match segments.as_slice() {
            ["tags"] => (Method::POST, &["POST"][..], Route::Create),
            ["tags", "customer", customer] if !customer.is_empty() => {
                (Method::GET, &["GET"][..], Route::ListOf(customer))
            }
            ["tags", tag] if !tag.is_empty() => (Method::DELETE, &["DELETE"][..], Route::Remove(tag)),
            [customer, "tags"] if !customer.is_empty() => (Method::POST, &["POST"][..], Route::AddTo(customer)),
            [customer, "tags", tag] if !customer.is_empty() && !tag.is_empty() => {
                (Method::DELETE, &["DELETE"][..], Route::RemoveFrom(customer, tag))
            }
            _ => return Err(not_found()),
        };
        let (wanted, allowed, route) = route;
        only(method, wanted, allowed)?;
        Ok(route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_seed_002s_tag_routes() {
        let (c, t) = (
            "123e4567-e89b-12d3-a456-426614174002",
            "123e4567-e89b-12d3-a456-426614174009",
        );
        let cases = [
            (Method::POST, "/api/customers/tags/".to_owned(), Route::Create),
            (Method::POST, "/api/customers/tags".to_owned(), Route::Create),
            (
                Method::GET,
                format!("/api/customers/tags/customer/{c}"),
                Route::ListOf(c),
            ),
            (Method::DELETE, format!("/api/customers/tags/{t}"), Route::Remove(t)),
            (Method::POST, format!("/api/customers/{c}/tags"), Route::AddTo(c)),
            (
                Method::DELETE,
                format!("/api/customers/{c}/tags/{t}"),
                Route::RemoveFrom(c, t),
            ),
        ];
        for (method, path, expected) in &cases {
            assert_eq!(Route::resolve(method, path).unwrap(), *expected, "{method} {path}");
        }
    }

    #[test]
    fn other_paths_and_methods_are_refused() {
        assert!(matches!(
            Route::resolve(&Method::GET, "/api/customers/tags"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            Route::resolve(&Method::GET, "/api/customers/x/tags"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            Route::resolve(&Method::GET, "/api/customers/x/y/z/w"),
            Err(ApiError::NotFound(_))
        ));
        assert!(matches!(
            Route::resolve(&Method::GET, "/api/other"),
            Err(ApiError::NotFound(_))
        ));
    }
}
