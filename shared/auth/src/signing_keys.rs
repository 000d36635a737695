//! HMAC signing keys for user tokens: the keys themselves, which never show
//! in a log; the set accepted during a rotation; and where they are kept, a
//! secret in AWS Secrets Manager.
//!
//! The secret's string is the key itself. Its `AWSCURRENT` version signs new
//! tokens; its `AWSPREVIOUS` version, while there is one, is still accepted, so
//! rotating the secret never logs anyone out. The current key is read when the
//! process starts, and again every refresh interval; if a refresh fails, the
//! keys already held stay in use and the refresh is retried shortly after.
//! The previous key is read the first time a token's signature matches no key
//! held (a token from before a rotation, or one signed with a key newer than
//! the process), and from then on with the current one: a cold start waits
//! for one read of the secret, not two.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use tokio::sync::RwLock;

/// How long keys are used before they are read again, unless configured.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(300);

/// How long to wait before trying again after a failed refresh.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// The least time between two reads of the secret made early, because a token
/// was signed with a key not yet known, unless configured.
pub const DEFAULT_EARLY_REFRESH_SPACING: Duration = Duration::from_secs(30);

/// Why the keys could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the signing secret {secret_id:?} could not be read: {reason}")]
pub struct KeyUnavailable {
    secret_id: String,
    reason: String,
}

#[derive(Debug)]
struct Cached {
    keys: KeySet,
    /// Whether the previous version is read with the current one: not until
    /// a token first needs a key not held.
    with_previous: bool,
    fetched_at: Instant,
    refresh_at: Instant,
}

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

/// The signing keys, read from Secrets Manager and cached.
#[derive(Debug)]
pub struct SecretsManagerKeys {
    client: Client,
    secret_id: String,
    refresh_every: Duration,
    early_refresh_spacing: Duration,
    cached: RwLock<Cached>,
}

impl SecretsManagerKeys {
    /// Reads the current key now, failing if the secret cannot be read.
    pub async fn load(client: Client, secret_id: String, refresh_every: Duration) -> Result<Self, KeyUnavailable> {
        let keys = fetch(&client, &secret_id, false).await?;
        Ok(Self {
            client,
            secret_id,
            refresh_every,
            early_refresh_spacing: DEFAULT_EARLY_REFRESH_SPACING,
            cached: RwLock::new(Cached {
                keys,
                with_previous: false,
                fetched_at: Instant::now(),
                refresh_at: Instant::now() + refresh_every,
            }),
        })
    }

    /// Sets the least time between two early reads (30 s unless set).
    pub fn early_refresh_spacing(mut self, spacing: Duration) -> Self {
        self.early_refresh_spacing = spacing;
        self
    }

    /// The keys to accept now.
    pub async fn keys(&self) -> Result<KeySet, KeyUnavailable> {
        {
            let cached = self.cached.read().await;
            if Instant::now() < cached.refresh_at {
                return Ok(cached.keys.clone());
            }
        }
        let mut cached = self.cached.write().await;
        if Instant::now() < cached.refresh_at {
            return Ok(cached.keys.clone());
        }
        self.refresh(&mut cached).await;
        Ok(cached.keys.clone())
    }

    /// Re-reads the keys before their time, because a token was signed with
    /// a key not held (the secret may just have been rotated, or the token
    /// may predate a rotation: the first time, the previous version is read
    /// too, and from then on). Returns the keys if they changed; reads at most
    /// once per early-refresh spacing, but for that first time.
    pub async fn refresh_early(&self) -> Option<KeySet> {
        let mut cached = self.cached.write().await;
        if cached.with_previous && cached.fetched_at.elapsed() < self.early_refresh_spacing {
            return None;
        }
        cached.with_previous = true;
        let before = cached.keys.clone();
        self.refresh(&mut cached).await;
        (cached.keys != before).then(|| cached.keys.clone())
    }

    async fn refresh(&self, cached: &mut Cached) {
        match fetch(&self.client, &self.secret_id, cached.with_previous).await {
            Ok(keys) => {
                *cached = Cached {
                    keys,
                    with_previous: cached.with_previous,
                    fetched_at: Instant::now(),
                    refresh_at: Instant::now() + self.refresh_every,
                };
            }
            Err(error) => {
                tracing::warn!(%error, "keeping the signing keys already held");
                cached.fetched_at = Instant::now();
                cached.refresh_at = Instant::now() + RETRY_AFTER_FAILURE;
            }
        }
    }
}

/// The current key, and the previous one too `with_previous`.
async fn fetch(client: &Client, secret_id: &str, with_previous: bool) -> Result<KeySet, KeyUnavailable> {
    let unavailable = |reason: String| KeyUnavailable {
        secret_id: secret_id.to_owned(),
        reason,
    };
    // Both stages at once: one round trip's wait, not two.
    let (current, previous) = tokio::join!(version(client, secret_id, "AWSCURRENT"), async {
        match with_previous {
            true => version(client, secret_id, "AWSPREVIOUS").await,
            false => Ok(None),
        }
    });
    let current = current
        .map_err(&unavailable)?
        .ok_or_else(|| unavailable("it has no current version".into()))?;
    let previous = previous.map_err(&unavailable)?;
    Ok(KeySet { current, previous })
}

/// One version of the secret as a key; `None` when the secret has no version in that stage.
async fn version(client: &Client, secret_id: &str, stage: &str) -> Result<Option<SigningKey>, String> {
    let response = client
        .get_secret_value()
        .secret_id(secret_id)
        .version_stage(stage)
        .send()
        .await;
    match response {
        Ok(output) => {
            let text = output
                .secret_string()
                .ok_or_else(|| format!("its {stage} version has no string value"))?;
            SigningKey::new(text.as_bytes())
                .map(Some)
                .map_err(|e| format!("its {stage} version is unusable: {e}"))
        }
        Err(error) if error.code() == Some("ResourceNotFoundException") && stage != "AWSCURRENT" => Ok(None),
        Err(error) => Err(format!(
            "{} ({})",
            error.code().unwrap_or("no error code"),
            error.message().unwrap_or("no message")
        )),
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
