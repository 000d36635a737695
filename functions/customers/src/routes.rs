//! The customers route group's paths, resolved before anything else is read:
//! an unknown path answers 404 and a known path with another method 405, as
//! API Gateway would.

use lambda_http::http::Method;

use clientele_http::ApiError;
use clientele_http::request::segments_after;

/// Where every path of this group starts.
pub const PREFIX: &str = "/api/customers";

/// A route of the group, with its raw customer id segment (parsed later, after
/// the caller is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /api/customers/`
    List,
    /// `POST /api/customers/`
    Create,
    /// `GET /api/customers/{id}`
    Get(&'a str),
    /// `PATCH /api/customers/{id}`
    Update(&'a str),
    /// `DELETE /api/customers/{id}`
    Delete(&'a str),
    /// `GET /api/customers/{id}/stats`
    Stats(&'a str),
    /// `POST /api/customers/{id}/avatar`
    SetAvatar(&'a str),
    /// `GET /api/customers/{id}/avatar`
    Avatar(&'a str),
    /// `POST /api/customers/{id}/validate`, `/suspend` or `/reactivate`
    Lifecycle(&'a str, Lifecycle),
}

/// The lifecycle routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// pending → active.
    Validate,
    /// active → suspended, with a reason.
    Suspend,
    /// suspended → active.
    Reactivate,
}

impl<'a> Route<'a> {
    /// The route a method and path name.
    pub fn resolve(method: &Method, path: &'a str) -> Result<Self, ApiError> {
        let not_found = || ApiError::NotFound(format!("There is no route {path}."));
        let segments = segments_after(path, PREFIX).ok_or_else(not_found)?;
        match segments.as_slice() {
            [] => match *method {
                Method::GET => Ok(Route::List),
                Method::POST => Ok(Route::Create),
                _ => Err(ApiError::MethodNotAllowed {
                    allowed: &["GET", "POST"],
                }),
            },
            [id] if !id.is_empty() => match *method {
                Method::GET => Ok(Route::Get(id)),
                Method::PATCH => Ok(Route::Update(id)),
                Method::DELETE => Ok(Route::Delete(id)),
                _ => Err(ApiError::MethodNotAllowed {
                    allowed: &["GET", "PATCH", "DELETE"],
                }),
            },
            [id, "stats"] if !id.is_empty() => match *method {
                Method::GET => Ok(Route::Stats(id)),
                _ => Err(ApiError::MethodNotAllowed { allowed: &["GET"] }),
            },
            [id, action @ ("validate" | "suspend" | "reactivate")] if !id.is_empty() => {
                let action = match *action {
                    "validate" => Lifecycle::Validate,
                    "suspend" => Lifecycle::Suspend,
                    _ => Lifecycle::Reactivate,
                };
                match *method {
                    Method::POST => Ok(Route::Lifecycle(id, action)),
                    _ => Err(ApiError::MethodNotAllowed { allowed: &["POST"] }),
                }
            }
            [id, "avatar"] if !id.is_empty() => match *method {
                Method::GET => Ok(Route::Avatar(id)),
                Method::POST => Ok(Route::SetAvatar(id)),
                _ => Err(ApiError::MethodNotAllowed {
                    allowed: &["GET", "POST"],
                }),
            },
            _ => Err(not_found()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_route_with_and_without_a_trailing_slash() {
        let id = "123e4567-e89b-12d3-a456-426614174000";
        let cases = [
            (Method::GET, "/api/customers".to_owned(), Route::List),
            (Method::GET, "/api/customers/".to_owned(), Route::List),
            (Method::POST, "/api/customers/".to_owned(), Route::Create),
            (Method::POST, "/api/customers".to_owned(), Route::Create),
            (Method::GET, format!("/api/customers/{id}"), Route::Get(id)),
            (Method::PATCH, format!("/api/customers/{id}"), Route::Update(id)),
            (Method::DELETE, format!("/api/customers/{id}"), Route::Delete(id)),
            (Method::GET, format!("/api/customers/{id}/stats"), Route::Stats(id)),
            (
                Method::POST,
                format!("/api/customers/{id}/avatar"),
                Route::SetAvatar(id),
            ),
            (Method::GET, format!("/api/customers/{id}/avatar"), Route::Avatar(id)),
            (
                Method::POST,
                format!("/api/customers/{id}/validate"),
                Route::Lifecycle(id, Lifecycle::Validate),
            ),
            (
                Method::POST,
                format!("/api/customers/{id}/suspend"),
                Route::Lifecycle(id, Lifecycle::Suspend),
            ),
            (
                Method::POST,
                format!("/api/customers/{id}/reactivate"),
                Route::Lifecycle(id, Lifecycle::Reactivate),
            ),
        ];
        for (method, path, expected) in &cases {
            assert_eq!(Route::resolve(method, path).unwrap(), *expected, "{method} {path}");
        }
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        for path in [
            "/api/customersx",
            "/api/other",
            "/api/customers/x/notes/y",
            "/api/customers//stats",
        ] {
            assert!(
                matches!(Route::resolve(&Method::GET, path), Err(ApiError::NotFound(_))),
                "{path}"
            );
        }
        assert!(matches!(
            Route::resolve(&Method::PUT, "/api/customers/x"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
        assert!(matches!(
            Route::resolve(&Method::DELETE, "/api/customers/"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
    }
}
