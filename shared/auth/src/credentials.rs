//! The `Authorization` header: a user's bearer token, or a client's Basic
//! credentials (client id and secret).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::client_secret::MAX_SECRET_CHARS;

/// What a request presents. The secret parts are never logged.
#[derive(PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No `Authorization` header.
    Missing,
    /// `Bearer <token>`.
    Bearer(&'a str),
    /// `Basic base64(<client id>:<secret>)`.
    Basic {
        /// The client id, as presented.
        client_id: String,
        /// The secret, as presented.
        secret: String,
    },
    /// Anything else.
    Malformed,
}

impl std::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::Missing => "Missing",
            Credentials::Bearer(_) => "Bearer(redacted)",
            Credentials::Basic { .. } => "Basic(redacted)",
            Credentials::Malformed => "Malformed",
        })
    }
}

/// Reads an `Authorization` header's value.
pub fn parse(header: Option<&str>) -> Credentials<'_> {
    let Some(value) = header.map(str::trim).filter(|v| !v.is_empty()) else {
        return Credentials::Missing;
    };
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Credentials::Malformed;
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Credentials::Bearer(rest);
    }
    if scheme.eq_ignore_ascii_case("basic") && rest.len() <= 2 * MAX_SECRET_CHARS {
        let decoded = STANDARD
            .decode(rest)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if let Some((client_id, secret)) = decoded.as_deref().and_then(|text| text.split_once(':')) {
            return Credentials::Basic {
                client_id: client_id.to_owned(),
                secret: secret.to_owned(),
            };
        }
    }
    Credentials::Malformed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(text: &str) -> String {
        format!("Basic {}", STANDARD.encode(text))
    }

    #[test]
    fn reads_bearer_and_basic() {
        assert_eq!(parse(Some("Bearer abc.def.ghi")), Credentials::Bearer("abc.def.ghi"));
        assert_eq!(parse(Some("bearer  abc ")), Credentials::Bearer("abc"));
        assert_eq!(
            parse(Some(&basic("id-1:cs_secret:with:colons"))),
            Credentials::Basic {
                client_id: "id-1".into(),
                secret: "cs_secret:with:colons".into()
            }
        );
    }

    #[test]
    fn anything_else_is_missing_or_malformed() {
        assert_eq!(parse(None), Credentials::Missing);
        assert_eq!(parse(Some("  ")), Credentials::Missing);
        for value in [
            "Bearer",
            "Bearer ",
            "Token abc",
            "Basic !!!",
            "Basic bm9jb2xvbg==",
            "abc",
        ] {
            assert_eq!(parse(Some(value)), Credentials::Malformed, "{value:?}");
        }
        assert_eq!(
            parse(Some(&basic(&format!("id:{}", "x".repeat(600))))),
            Credentials::Malformed
        );
    }

    #[test]
    fn debug_never_shows_the_secret_parts() {
        let shown = format!(
            "{:?} {:?}",
            parse(Some("Bearer tok123")),
            parse(Some(&basic("id:sec456")))
        );
        assert!(!shown.contains("tok123") && !shown.contains("sec456"), "{shown}");
    }

    proptest::proptest! {
        #[test]
        fn any_header_is_read_without_panicking(header in "\\PC{0,300}") {
            let _ = parse(Some(&header));
        }

        #[test]
        fn any_client_id_and_secret_survive_basic_encoding(id in "[A-Za-z0-9-]{1,40}", secret in "[ -~]{1,60}") {
            let header = basic(&format!("{id}:{secret}"));
            proptest::prop_assert_eq!(parse(Some(&header)), Credentials::Basic { client_id: id, secret });
        }
    }
}
