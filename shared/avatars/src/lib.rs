//! Customers' avatar images in a private S3 bucket. Nobody reads the bucket
//! directly: `GET /api/customers/{id}/avatar` checks the caller and answers
//! with a link to the image that works for a few minutes.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use clientele_core::StoreError;
use clientele_startup::{ConfigError, Lookup, required};

/// How long a link to an image works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(300);

/// Part of a stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRange {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Whether they run to the end of the file.
    pub at_end: bool,
}

/// The avatar bucket.
#[derive(Debug, Clone)]
pub struct AvatarBucket {
    client: Client,
    bucket: String,
}

impl AvatarBucket {
    /// The bucket `AVATAR_BUCKET`, through a client made from `sdk`.
    pub fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, required(env, "AVATAR_BUCKET")?))
    }

    /// The bucket `bucket`, through a client made from `sdk`. A bucket behind
    /// an endpoint override (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`: a
    /// local S3) is addressed by path, since its host has no bucket subdomains.
    pub fn new(sdk: &SdkConfig, bucket: impl Into<String>) -> Self {
        let local = sdk.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(local).build();
        Self {
            client: Client::from_conf(config),
            bucket: bucket.into(),
        }
    }

    /// The bucket `bucket`, through `client` as it is.
    pub fn with_client(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.bucket
    }

    /// A link that fetches the image under `key` for [`LINK_LIFETIME`].
    pub async fn link(&self, key: &str) -> Result<String, StoreError> {
        let config = PresigningConfig::expires_in(LINK_LIFETIME).map_err(|e| StoreError::Unexpected(Box::new(e)))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(classify)?;
        Ok(request.uri().to_owned())
    }

    /// A link that stores a file of `content_type` under `key` with an HTTP
    /// `PUT`, for [`LINK_LIFETIME`].
    pub async fn upload_link(&self, key: &str, content_type: &str) -> Result<String, StoreError> {
        let config = PresigningConfig::expires_in(LINK_LIFETIME).map_err(|e| StoreError::Unexpected(Box::new(e)))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .presigned(config)
            .await
            .map_err(classify)?;
        Ok(request.uri().to_owned())
    }

    /// The size in bytes of what is stored under `key`, if anything is.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(head) => Ok(Some(
                head.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            )),
            Err(SdkError::ServiceError(context)) if context.err().is_not_found() => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    /// Up to `length` bytes of what is stored under `key`, from byte
    /// `start`, if anything is stored there.
    pub async fn read_range(&self, key: &str, start: u64, length: u64) -> Result<Option<FileRange>, StoreError> {
        let last = start + length.max(1) - 1;
        let read = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={start}-{last}"))
            .send()
            .await;
        let object = match read {
            Ok(object) => object,
            Err(SdkError::ServiceError(context)) if context.err().is_no_such_key() => return Ok(None),
            // Nothing from `start` on: the object is shorter.
            Err(SdkError::ServiceError(context)) if context.err().code() == Some("InvalidRange") => {
                return Ok(Some(FileRange {
                    bytes: Vec::new(),
                    at_end: true,
                }));
            }
            Err(error) => return Err(classify(error)),
        };
        // `bytes <first>-<last>/<size>`: the range reaches the end when its
        // last byte is the object's (without the header, when it holds less
        // than was asked for).
        let span = object
            .content_range()
            .and_then(|range| range.rsplit_once('/'))
            .and_then(|(span, size)| Some((span.rsplit_once('-')?.1.parse::<u64>().ok()?, size.parse::<u64>().ok()?)));
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?
            .into_bytes();
        let at_end = match span {
            Some((last, size)) => last + 1 >= size,
            None => (bytes.len() as u64) < length,
        };
        Ok(Some(FileRange {
            bytes: bytes.to_vec(),
            at_end,
        }))
    }

    /// Deletes every object whose key starts with `prefix`; returns how many.
    pub async fn delete_under(&self, prefix: &str) -> Result<u64, StoreError> {
        let mut deleted = 0;
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(classify)?;
            for object in page.contents() {
                if let Some(key) = object.key() {
                    self.delete(key).await?;
                    deleted += 1;
                }
            }
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                return Ok(deleted);
            }
        }
    }
}

fn classify<
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
>(
    error: SdkError<E, R>,
) -> StoreError {
    match &error {
        SdkError::ServiceError(context) if context.err().code() == Some("AccessDenied") => {
            StoreError::Unexpected(Box::new(error))
        }
        SdkError::ConstructionFailure(_) => StoreError::Unexpected(Box::new(error)),
        _ => StoreError::Unavailable(Box::new(error)),
    }
}

/// Objects by key.
impl AvatarBucket {
    /// Stores bytes under a key.
    #[tracing::instrument(skip(self, bytes), fields(bytes = bytes.len()))]
    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// Deletes what is stored under a key (nothing happens if nothing is).
    #[tracing::instrument(skip(self))]
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }

    /// Deletes an object nothing points at any more. A failure leaves an
    /// unreachable object behind; it is logged with `what` it was.
    pub async fn forget(&self, key: &str, what: &str) {
        if let Err(error) = self.delete(key).await {
            tracing::warn!(%error, key, "could not delete {what}");
        }
    }
}
