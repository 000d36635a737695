//! Customers' avatar images: stored in the blob store, referenced from the
//! customer, and never left half-changed: a new image is stored before the
//! customer points at it, and the old one is deleted only after.

use crate::customer::Customer;
use crate::event::CustomerEvent;
use crate::id::{BusinessId, CustomerId};
use crate::store::{Blobs, CustomerReader, CustomerWriter, StoreError};
use crate::time::Timestamp;

use super::{ATTEMPTS, CustomerError, customers};

/// Largest avatar accepted, in bytes.
pub const MAX_AVATAR_BYTES: usize = 2 * 1024 * 1024;

/// Where a customer's avatar images are stored: every key starts with this.
pub fn prefix(business: BusinessId, customer_id: CustomerId) -> String {
    format!("avatars/{business}/{customer_id}/")
}

/// An image that was checked, by its bytes, to be a PNG, a JPEG or a WebP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The image.
    pub bytes: Vec<u8>,
    /// Its media type (`image/png`, `image/jpeg`, `image/webp`).
    pub content_type: &'static str,
    /// The file extension for its type.
    pub extension: &'static str,
}

impl Image {
    /// The media types of the images accepted.
    pub const TYPES: [&'static str; 3] = ["image/png", "image/jpeg", "image/webp"];

    /// The image these bytes are, if they start as a PNG, a JPEG or a WebP does.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        let (content_type, extension) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            ("image/png", "png")
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            ("image/jpeg", "jpg")
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            ("image/webp", "webp")
        } else {
            return None;
        };
        Some(Self {
            bytes,
            content_type,
            extension,
        })
    }
}

/// Gives a customer of the caller's business a new avatar and deletes the old
/// one. If the customer cannot be updated, the new image is deleted again.
pub async fn set<S: CustomerReader + CustomerWriter, B: Blobs>(
    store: &S,
    blobs: &B,
    business: BusinessId,
    customer_id: CustomerId,
    image: Image,
    now: Timestamp,
) -> Result<Customer, CustomerError> {
    customers::get(store, business, customer_id).await?;
    let key = format!(
        "{}{}.{}",
        prefix(business, customer_id),
        uuid::Uuid::new_v4().simple(),
        image.extension
    );
    blobs.put(&key, image.bytes, image.content_type).await?;
    match point_at(store, business, customer_id, &key, now).await {
        Ok((customer, previous)) => {
            if let Some(previous) = previous {
                forget(blobs, &previous, "the previous avatar").await;
            }
            Ok(customer)
        }
        Err(error) => {
            forget(blobs, &key, "an avatar that was not used").await;
            Err(error)
        }
    }
}

async fn point_at<S: CustomerReader + CustomerWriter>(
    store: &S,
    business: BusinessId,
    customer_id: CustomerId,
    key: &str,
    now: Timestamp,
) -> Result<(Customer, Option<String>), CustomerError> {
    for _ in 0..ATTEMPTS {
        let current = customers::get(store, business, customer_id).await?;
        let next = current.with_avatar(key.to_owned(), now);
        let event = CustomerEvent::updated(&next, &["avatar_url"]);
        match store.update(&current, &next, &event, None).await {
            Ok(()) => return Ok((next, current.avatar_key)),
            Err(StoreError::VersionMismatch) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(CustomerError::Contended)
}

/// The key of a customer's avatar image.
pub async fn key_of<S: CustomerReader>(
    store: &S,
    business: BusinessId,
    customer_id: CustomerId,
) -> Result<String, CustomerError> {
    customers::get(store, business, customer_id)
        .await?
        .avatar_key
        .ok_or(CustomerError::NoAvatar)
}

/// Deletes a blob nothing points at any more; a failure leaves an unreachable
/// object behind, which is logged.
pub(crate) async fn forget<B: Blobs>(blobs: &B, key: &str, what: &str) {
    if let Err(error) = blobs.delete(key).await {
        tracing::warn!(%error, key, "could not delete {what}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::customers::tests::{FakeStore, seeded};

    fn png() -> Image {
        Image {
            bytes: b"\x89PNG\r\n\x1a\n...".to_vec(),
            content_type: "image/png",
            extension: "png",
        }
    }

    #[test]
    fn images_are_known_by_their_bytes() {
        let kind = |bytes: &[u8]| Image::from_bytes(bytes.to_vec()).map(|i| i.content_type);
        assert_eq!(kind(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(kind(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(kind(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        for not_an_image in [
            &b""[..],
            b"GIF89a",
            b"<svg></svg>",
            b"RIFF\x10\0\0\0WAVE",
            b"\x89PNG",
            b"%PDF-1.7",
        ] {
            assert_eq!(kind(not_an_image), None, "{not_an_image:?}");
        }
    }

    #[tokio::test]
    async fn a_new_avatar_replaces_the_old_one_in_the_store_and_the_customer() {
        let store = FakeStore::default();
        let business = BusinessId::random();
        let customer = seeded(&store, business).await;
        let first = set(&store, &store, business, customer.id, png(), Timestamp::now())
            .await
            .unwrap();
        let first_key = first.avatar_key.clone().unwrap();
        assert_eq!(first.avatar_url, Some(format!("/api/customers/{}/avatar", customer.id)));
        assert_eq!(first.version, customer.version + 1);
        let second = set(&store, &store, business, customer.id, png(), Timestamp::now())
            .await
            .unwrap();
        let blobs = store.blobs.lock().unwrap();
        assert_eq!(blobs.len(), 1, "the previous image is deleted");
        assert!(blobs.contains_key(second.avatar_key.as_deref().unwrap()));
        assert!(!blobs.contains_key(&first_key));
    }

    #[tokio::test]
    async fn an_avatar_for_a_missing_customer_stores_nothing() {
        let store = FakeStore::default();
        let result = set(
            &store,
            &store,
            BusinessId::random(),
            CustomerId::random(),
            png(),
            Timestamp::now(),
        )
        .await;
        assert!(matches!(result, Err(CustomerError::NotFound)));
        assert!(store.blobs.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn when_the_customer_cannot_be_updated_the_new_image_is_deleted_again() {
        let store = FakeStore::default();
        let business = BusinessId::random();
        let customer = seeded(&store, business).await;
        *store.interfere.lock().unwrap() = ATTEMPTS;
        let result = set(&store, &store, business, customer.id, png(), Timestamp::now()).await;
        assert!(matches!(result, Err(CustomerError::Contended)));
        assert!(store.blobs.lock().unwrap().is_empty());
    }
}
