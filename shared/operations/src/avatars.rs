//! Customers' avatar images: stored in the bucket, referenced from the
//! customer, and never left half-changed: a new image is stored before the
//! customer points at it, and the old one is deleted only after.

use clientele_avatars::AvatarBucket;
use clientele_core::{BusinessId, Customer, CustomerEvent, CustomerId, OperationError, Rate};
use clientele_store::DynamoStore;

use crate::Actor;
use crate::change::read_decide_write;
use crate::customers;

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

/// Gives a customer of the actor's business a new avatar and deletes the old
/// one. The upload counts in the customer's update `rate` window, as a
/// `PATCH` does. If the customer cannot be updated (or the window is spent),
/// the new image is deleted again.
pub async fn set(
    store: &DynamoStore,
    files: &AvatarBucket,
    actor: &Actor,
    customer_id: CustomerId,
    image: Image,
    rate: Option<&Rate>,
) -> Result<Customer, OperationError> {
    customers::get(store, actor.business, customer_id).await?;
    let key = format!(
        "{}{}.{}",
        prefix(actor.business, customer_id),
        uuid::Uuid::new_v4().simple(),
        image.extension
    );
    files.put(&key, image.bytes, image.content_type).await?;
    let pointed = read_decide_write(
        None,
        || customers::get(store, actor.business, customer_id),
        |current| {
            let key = key.clone();
            async move {
                let next = current.with_avatar(key, actor.at);
                let event = CustomerEvent::updated(&next, &["avatar_url"]).by(&actor.id);
                customers::write_counted(store, &current, &next, &event, rate, actor.at).await?;
                Ok((next, current.avatar_key))
            }
        },
    )
    .await;
    match pointed {
        Ok((customer, previous)) => {
            if let Some(previous) = previous {
                files.forget(&previous, "the previous avatar").await;
            }
            Ok(customer)
        }
        Err(error) => {
            files.forget(&key, "an avatar that was not used").await;
            Err(error)
        }
    }
}

/// The key of the avatar image of a customer of `business`.
pub async fn key_of(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
) -> Result<String, OperationError> {
    customers::get(store, business, customer_id)
        .await?
        .avatar_key
        .ok_or(OperationError::NoAvatar)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
