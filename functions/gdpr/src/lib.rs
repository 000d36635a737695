//! The gdpr route group: a person's GDPR requests about one customer, for
//! admins. [`routes`] is the group's table.
//!
//! Both routes take `{"user_id": ..., "business_id": ...}` or
//! `{"customer_id": ...}`; the business must be the caller's own, and a
//! customer of another business answers 404.
//!
//! - Export answers one JSON document with everything held about the customer
//!   ([`export::Export`]). When it is larger than a Lambda response may be,
//!   it is stored in the bucket and a link valid for five minutes is answered
//!   instead.
//! - Delete erases every item of the customer and its stored objects (avatar
//!   images, exports), records `customer.deleted` with `"erasure": true`, and
//!   keeps an erasure receipt without personal data
//!   (`clientele_operations::erasure`). Run again, it answers that nothing is
//!   left.

pub mod export;

use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_http::http::StatusCode;
use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde::Serialize;
use serde_json::json;

use clientele_auth::Access;
use clientele_core::gdpr::{ErasureReceipt, GdprRequest};
use clientele_core::{OperationError, StoreError};
use clientele_http::body::JSON;
use clientele_http::response::{json, with_header};
use clientele_http::{ApiError, Caller, HttpFunction, JsonObject, POST, Response, Routes, State, about};
use clientele_operations::FileContext;
use clientele_operations::deletion;
use clientele_operations::erasure::{self, Erasure, export_prefix};
use clientele_startup::{ConfigError, Lookup, parsed_or};

use crate::export::{Avatar, Export};

/// The routes of the group: one a line, as a table.
#[rustfmt::skip]
pub fn routes() -> Routes<Arc<App>> {
    Routes::new()
        .route(POST, "/api/gdpr/export", Access::Admin, export)
        .route(POST, "/api/gdpr/delete", Access::Admin, erase)
}

/// Largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// The group's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Exports larger than this many bytes are answered with a link
    /// (`GDPR_INLINE_EXPORT_BYTES`; by default 5 MiB, under Lambda's 6 MB).
    pub max_inline_bytes: usize,
}

impl Settings {
    /// The largest export answered inline, unless configured.
    pub const DEFAULT_MAX_INLINE_BYTES: usize = 5 * 1024 * 1024;

    /// Reads the settings.
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        Ok(Self {
            max_inline_bytes: parsed_or(env, "GDPR_INLINE_EXPORT_BYTES", Self::DEFAULT_MAX_INLINE_BYTES)?,
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_inline_bytes: Self::DEFAULT_MAX_INLINE_BYTES,
        }
    }
}

/// Everything a request needs, built once per process: the table, the
/// bucket and the group's [`Settings`].
pub type App = FileContext<Settings>;

/// The function, built from its environment: the group's routes over its
/// [`App`], callers found as the environment says (`JWT_SECRET_ID`).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let app = App::from_env(env, sdk, Settings::from_env(env)?).await?;
    let clients = app.context.store.clone();
    routes().serve_from_env(Arc::new(app), clients, env, sdk).await
}

fn no_such_customer(error: OperationError) -> ApiError {
    match error {
        OperationError::NotFound => ApiError::NotFound("Nothing is stored about this customer.".to_owned()),
        other => other.into(),
    }
}

/// `POST /api/gdpr/export`: everything held about the customer.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn export(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let asked = GdprRequest::from_json(&body)?;
    let store = &app.context.store;
    let customer = match erasure::subject(store, caller.business_id, &asked).await {
        Ok(customer) => customer,
        Err(OperationError::NotFound) => {
            // Deleted, but not all of it swept yet: finish that, so that
            // what the export would have found is gone, then say so.
            deletion::finish_if_pending(store, &app.files, caller.business_id, &asked.subject).await?;
            return Err(no_such_customer(OperationError::NotFound));
        }
        Err(other) => return Err(no_such_customer(other)),
    };
    let holdings = store.holdings(&customer).await?;
    let avatar = match &customer.avatar_key {
        Some(key) => Some(Avatar {
            key: key.clone(),
            download_url: app.files.link(key).await?,
        }),
        None => None,
    };
    let now = app.context.clock.now();
    let document = Export::new(&customer, &holdings, avatar, now)?;
    // Text, not bytes: lambda_http would base64-encode a binary body, a third
    // larger against Lambda's response limit.
    let text = serde_json::to_string(&document).map_err(|e| ApiError::from(StoreError::Unexpected(Box::new(e))))?;
    let size = text.len();
    tracing::info!(customer_id = %customer.id, bytes = size, items = ?document.items, "exported");
    let response = if size <= app.settings.max_inline_bytes {
        with_header(Response::new(text.into()), CONTENT_TYPE, JSON)
    } else {
        let key = format!("{}{now}.json", export_prefix(customer.business_id, customer.id));
        app.files.put(&key, text.into_bytes(), JSON).await?;
        let link = app.files.link(&key).await?;
        json(
            StatusCode::OK,
            &json!({
                "customer_id": customer.id,
                "size_bytes": size,
                "download_url": link,
                "expires_in_seconds": clientele_avatars::LINK_LIFETIME.as_secs(),
            }),
        )
    };
    Ok(about(with_header(response, CACHE_CONTROL, "no-store"), customer.id))
}

/// What `POST /api/gdpr/delete` answers.
#[derive(Debug, Serialize)]
struct Erased {
    /// `erased`, or `nothing_left` when an earlier run erased everything.
    status: &'static str,
    /// The erasure's receipt.
    receipt: ErasureReceipt,
}

/// `POST /api/gdpr/delete`: everything held about the customer erased, a
/// receipt kept.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn erase(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let asked = GdprRequest::from_json(&body)?;
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let answer = match erasure::erase(&app.context.store, &app.files, &actor, &asked)
        .await
        .map_err(no_such_customer)?
    {
        Erasure::Erased(receipt) => Erased {
            status: "erased",
            receipt,
        },
        Erasure::NothingLeft(receipt) => Erased {
            status: "nothing_left",
            receipt,
        },
    };
    Ok(json(StatusCode::OK, &answer))
}
