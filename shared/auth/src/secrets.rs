//! The JWT signing key in AWS Secrets Manager.
//!
//! The secret's string is the key itself. Its `AWSCURRENT` version signs new
//! tokens; its `AWSPREVIOUS` version, while there is one, is still accepted, so
//! rotating the secret never logs anyone out. The keys are read once when the
//! process starts and again every refresh interval; if a refresh fails, the
//! keys already held stay in use and the refresh is retried shortly after.

use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use tokio::sync::RwLock;

use crate::keys::{KeySet, SigningKey};

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
    fetched_at: Instant,
    refresh_at: Instant,
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
    /// Reads the keys now, failing if the secret cannot be read.
    pub async fn load(client: Client, secret_id: String, refresh_every: Duration) -> Result<Self, KeyUnavailable> {
        let keys = fetch(&client, &secret_id).await?;
        Ok(Self {
            client,
            secret_id,
            refresh_every,
            early_refresh_spacing: DEFAULT_EARLY_REFRESH_SPACING,
            cached: RwLock::new(Cached {
                keys,
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
    /// a key not held (the secret may just have been rotated). Returns the
    /// keys if they changed; reads at most once per early-refresh spacing.
    pub async fn refresh_early(&self) -> Option<KeySet> {
        let mut cached = self.cached.write().await;
        if cached.fetched_at.elapsed() < self.early_refresh_spacing {
            return None;
        }
        let before = cached.keys.clone();
        self.refresh(&mut cached).await;
        (cached.keys != before).then(|| cached.keys.clone())
    }

    async fn refresh(&self, cached: &mut Cached) {
        match fetch(&self.client, &self.secret_id).await {
            Ok(keys) => {
                *cached = Cached {
                    keys,
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

async fn fetch(client: &Client, secret_id: &str) -> Result<KeySet, KeyUnavailable> {
    let unavailable = |reason: String| KeyUnavailable {
        secret_id: secret_id.to_owned(),
        reason,
    };
    let current = version(client, secret_id, "AWSCURRENT")
        .await
        .map_err(&unavailable)?
        .ok_or_else(|| unavailable("it has no current version".into()))?;
    let previous = version(client, secret_id, "AWSPREVIOUS").await.map_err(&unavailable)?;
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
