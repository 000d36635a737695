//! The gdpr route group's paths (seed 002's).

use lambda_http::http::Method;

use clientele_http::ApiError;
use clientele_http::request::segments_after;

/// A route of the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/gdpr/export`
    Export,
    /// `POST /api/gdpr/delete`
    Erase,
}

impl Route {
    /// The route a method and path name.
    pub fn resolve(method: &Method, path: &str) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound(format!("There is no route {path}."));
        let segments = segments_after(path, "/api/gdpr").ok_or_else(not_found)?;
        let route = match segments.as_slice() {
            ["export"] => Route::Export,
            ["delete"] => Route::Erase,
            _ => return Err(not_found()),
        };
        if *method == Method::POST {
            Ok(route)
        } else {
            Err(ApiError::MethodNotAllowed { allowed: &["POST"] })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_routes_take_post_only() {
        assert_eq!(
            Route::resolve(&Method::POST, "/api/gdpr/export").unwrap(),
            Route::Export
        );
        assert_eq!(
            Route::resolve(&Method::POST, "/api/gdpr/delete/").unwrap(),
            Route::Erase
        );
        assert!(matches!(
            Route::resolve(&Method::GET, "/api/gdpr/export"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            Route::resolve(&Method::POST, "/api/gdpr/forget"),
            Err(ApiError::NotFound(_))
        ));
    }
}
