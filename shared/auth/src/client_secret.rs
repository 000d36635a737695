//! Client secrets: 256 random bits, shown once when made, kept only as their
//! SHA-256, and compared in constant time.

use std::fmt;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Every secret starts with this, so a leaked one is easy to recognise.
pub const SECRET_PREFIX: &str = "cs_";

/// Longest secret worth hashing; anything longer is refused unread.
pub const MAX_SECRET_CHARS: usize = 256;

/// A client's secret, in clear: only ever shown to an operator, once.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

/// The system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("the system random source failed")]
pub struct RandomFailed;

impl ClientSecret {
    /// A new secret of 256 random bits.
    pub fn generate() -> Result<Self, RandomFailed> {
        let mut bytes = [0u8; 32];
        SystemRandom::new().fill(&mut bytes).map_err(|_| RandomFailed)?;
        Ok(Self(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// A secret with a known value (the local stack's demo clients).
    pub fn known(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret in clear, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored instead of the secret.
    pub fn hash(&self) -> String {
        hash(&self.0)
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(redacted)")
    }
}

/// The SHA-256 of a secret, in lower-case hex.
pub fn hash(secret: &str) -> String {
    digest(&SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a presented secret is the one behind `stored_hash`, compared in
/// constant time. An over-long secret never matches.
pub fn matches(presented: &str, stored_hash: &str) -> bool {
    presented.len() <= MAX_SECRET_CHARS
        && verify_slices_are_equal(hash(presented).as_bytes(), stored_hash.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_has_256_random_bits_and_a_prefix() {
        let (a, b) = (ClientSecret::generate().unwrap(), ClientSecret::generate().unwrap());
        assert_ne!(a, b);
        let body = a.expose().strip_prefix(SECRET_PREFIX).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
    }

    #[test]
    fn only_the_same_secret_matches_its_hash() {
        let secret = ClientSecret::generate().unwrap();
        let stored = secret.hash();
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(secret.expose()));
        assert!(matches(secret.expose(), &stored));
        assert!(!matches(&format!("{}x", secret.expose()), &stored));
        assert!(!matches("", &stored));
        assert!(
            !matches(&"a".repeat(1_000), &hash(&"a".repeat(1_000))),
            "over-long secrets never match"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = ClientSecret::generate().unwrap();
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }
}
