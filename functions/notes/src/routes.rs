//! The notes route group's paths (seed 002's), resolved before anything else.

use lambda_http::http::Method;

use clientele_http::ApiError;
use clientele_http::request::segments_after;

/// A route of the group, with its raw id segments (parsed after the caller is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `POST /api/customers/{customer_id}/notes`
    Add(&'a str),
    /// `GET /api/customers/{customer_id}/notes`
    List(&'a str),
    /// `DELETE /api/customers/{customer_id}/notes/{note_id}`
    Remove(&'a str, &'a str),
}

impl<'a> Route<'a> {
    /// The route a method and path name.
    pub fn resolve(method: &Method, path: &'a str) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound(format!("There is no route {path}."));
        match segments_after(path, "/api/customers").ok_or_else(not_found)?.as_slice() {
            [customer, "notes"] if !customer.is_empty() => match *method {
                Method::POST => Ok(Route::Add(customer)),
                Method::GET => Ok(Route::List(customer)),
                _ => Err(ApiError::MethodNotAllowed {
                    allowed: &["GET", "POST"],
                }),
            },
            [customer, "notes", note] if !customer.is_empty() && !note.is_empty() => match *method {
                Method::DELETE => Ok(Route::Remove(customer, note)),
                _ => Err(ApiError::MethodNotAllowed { allowed: &["DELETE"] }),
            },
            _ => Err(not_found()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_seed_002s_note_routes() {
        let (c, n) = (
            "123e4567-e89b-12d3-a456-426614174002",
            "0193f1a2-0000-7000-8000-000000000000",
        );
        assert_eq!(
            Route::resolve(&Method::POST, &format!("/api/customers/{c}/notes")).unwrap(),
            Route::Add(c)
        );
        assert_eq!(
            Route::resolve(&Method::GET, &format!("/api/customers/{c}/notes/")).unwrap(),
            Route::List(c)
        );
        assert_eq!(
            Route::resolve(&Method::DELETE, &format!("/api/customers/{c}/notes/{n}")).unwrap(),
            Route::Remove(c, n)
        );
        assert!(matches!(
            Route::resolve(&Method::PUT, &format!("/api/customers/{c}/notes")),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            Route::resolve(&Method::GET, "/api/customers/notes"),
            Err(ApiError::NotFound(_))
        ));
    }
}
