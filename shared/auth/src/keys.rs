//! HMAC signing keys, kept out of logs, and the set accepted during a rotation.

use std::fmt;
use std::sync::Arc;

/// Shortest key accepted, in bytes: HS256 wants at least the hash's 256 bits.
pub const MIN_KEY_BYTES: usize = 32;

/// A secret signing key. Its `Debug` form never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Arc<[u8]>);

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a signing key must be at least {MIN_KEY_BYTES} bytes long")]
pub struct KeyTooShort;

impl SigningKey {
    /// A key from its bytes.
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self, KeyTooShort> {
        let bytes = bytes.as_ref();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyTooShort);
        }
        Ok(Self(Arc::from(bytes)))
    }

    /// The key's bytes: for signing and verifying, never for printing.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(redacted)")
    }
}

/// The keys a token may be signed with: the current one, and during a rotation
/// the previous one, so a rotation never logs anyone out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    /// The key new tokens are signed with.
    pub current: SigningKey,
    /// The key before it, still accepted until it is retired.
    pub previous: Option<SigningKey>,
}

impl KeySet {
    /// Just one key.
    pub fn single(key: SigningKey) -> Self {
        Self {
            current: key,
            previous: None,
        }
    }

    /// Every accepted key, current first.
    pub fn accepted(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(SigningKey::new([0u8; 31]), Err(KeyTooShort));
        assert!(SigningKey::new([0u8; 32]).is_ok());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = SigningKey::new("a-very-secret-signing-key-0123456789").unwrap();
        let shown = format!("{:?}", KeySet::single(key));
        assert!(!shown.contains("secret"), "{shown}");
    }
}
