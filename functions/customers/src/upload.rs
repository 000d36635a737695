//! Reading an uploaded image: a raw `image/png`, `image/jpeg` or `image/webp`
//! body, or the file of a `multipart/form-data` body (`curl -F file=@x.png`).
//! The bytes decide what the image is; the declared type must agree.

use axum::extract::{FromRequest, Request};
use clientele_core::ValidationErrors;
use clientele_http::ApiError;
use clientele_http::extract::body_bytes;
use clientele_operations::avatars::{Image, MAX_AVATAR_BYTES};
use futures_util::stream;
use lambda_http::http::HeaderMap;
use lambda_http::http::header::CONTENT_TYPE;
use multer::{Constraints, Multipart, SizeLimit};

/// The image a request uploads, as an extractor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload(pub Image);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, bytes) = body_bytes(request).await?;
        image(&parts.headers, &bytes).await.map(Upload)
    }
}

/// What the route accepts, for a 415's detail.
const ACCEPTED: &str = "a PNG, JPEG or WebP image: the raw image (image/png, image/jpeg, image/webp) or the file of a multipart/form-data body";

/// Room for a multipart body's boundaries and part headers around the file.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

fn unsupported() -> ApiError {
    ApiError::UnsupportedMediaType { expected: ACCEPTED }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge {
        limit: MAX_AVATAR_BYTES,
    }
}

/// The image a request with these headers and body uploads.
pub async fn image(headers: &HeaderMap, body: &[u8]) -> Result<Image, ApiError> {
    let declared = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let essence = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if Image::TYPES.contains(&essence.as_str()) {
        if body.len() > MAX_AVATAR_BYTES {
            return Err(too_large());
        }
        let image = Image::from_bytes(body.to_vec()).ok_or_else(unsupported)?;
        return if image.content_type == essence {
            Ok(image)
        } else {
            Err(unsupported())
        };
    }
    if essence != "multipart/form-data" {
        return Err(unsupported());
    }
    if body.len() > MAX_AVATAR_BYTES + MULTIPART_OVERHEAD {
        return Err(too_large());
    }
    let boundary = multer::parse_boundary(&declared).map_err(|_| malformed("its boundary is missing"))?;
    let bytes = bytes::Bytes::copy_from_slice(body);
    let constraints = Constraints::new().size_limit(SizeLimit::new().per_field(MAX_AVATAR_BYTES as u64));
    let mut multipart = Multipart::with_constraints(
        stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) }),
        boundary,
        constraints,
    );
    loop {
        let field = multipart.next_field().await.map_err(multipart_error)?;
        let Some(field) = field else {
            return Err(ApiError::Validation(ValidationErrors::single(
                "file",
                "is required: a part holding a PNG, JPEG or WebP image",
            )));
        };
        if field.file_name().is_none() && field.name() != Some("file") {
            continue;
        }
        let file = field.bytes().await.map_err(multipart_error)?;
        return Image::from_bytes(file.to_vec()).ok_or_else(unsupported);
    }
}

fn malformed(why: &str) -> ApiError {
    ApiError::MalformedJson(format!("the multipart/form-data body is malformed: {why}"))
}

fn multipart_error(error: multer::Error) -> ApiError {
    match error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => too_large(),
        other => malformed(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-rest-of-a-png";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];

    struct Request(HeaderMap, Vec<u8>);

    fn request(content_type: &str, body: Vec<u8>) -> Request {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().unwrap());
        Request(headers, body)
    }

    async fn image(request: &Request) -> Result<Image, ApiError> {
        super::image(&request.0, &request.1).await
    }

    fn multipart(file: &[u8], name: &str, filename: Option<&str>) -> Request {
        let mut body = b"--XyZ\r\n".to_vec();
        match filename {
            Some(f) => {
                body.extend(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n").bytes())
            }
            None => body.extend(format!("Content-Disposition: form-data; name=\"{name}\"\r\n").bytes()),
        }
        body.extend(b"Content-Type: application/octet-stream\r\n\r\n");
        body.extend(file);
        body.extend(b"\r\n--XyZ--\r\n");
        request("multipart/form-data; boundary=XyZ", body)
    }

    #[tokio::test]
    async fn a_raw_image_must_be_what_it_says() {
        assert_eq!(
            image(&request("image/png", PNG.to_vec())).await.unwrap().content_type,
            "image/png"
        );
        assert!(matches!(
            image(&request("image/png", JPEG.to_vec())).await,
            Err(ApiError::UnsupportedMediaType { .. })
        ));
        assert!(matches!(
            image(&request("image/gif", b"GIF89a".to_vec())).await,
            Err(ApiError::UnsupportedMediaType { .. })
        ));
        assert!(matches!(
            image(&request("text/plain", PNG.to_vec())).await,
            Err(ApiError::UnsupportedMediaType { .. })
        ));
    }

    #[tokio::test]
    async fn a_multipart_file_is_known_by_its_bytes() {
        let found = image(&multipart(JPEG, "avatar", Some("me.jpg"))).await.unwrap();
        assert_eq!(found.content_type, "image/jpeg");
        assert_eq!(image(&multipart(PNG, "file", None)).await.unwrap().extension, "png");
        let text = multipart(b"hello", "file", Some("me.png"));
        assert!(matches!(image(&text).await, Err(ApiError::UnsupportedMediaType { .. })));
        let no_file = multipart(PNG, "comment", None);
        assert!(matches!(image(&no_file).await, Err(ApiError::Validation(_))));
    }

    #[tokio::test]
    async fn images_over_two_megabytes_are_refused() {
        let mut big = PNG.to_vec();
        big.resize(MAX_AVATAR_BYTES + 1, 0);
        assert!(matches!(
            image(&request("image/png", big.clone())).await,
            Err(ApiError::PayloadTooLarge { .. })
        ));
        assert!(matches!(
            image(&multipart(&big, "file", Some("big.png"))).await,
            Err(ApiError::PayloadTooLarge { .. })
        ));
    }
}
