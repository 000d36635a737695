//! The gdpr route group (seed 002's): one Lambda binary serving
//!
//! | method | path               | needs |
//! |--------|--------------------|-------|
//! | POST   | `/api/gdpr/export` | admin |
//! | POST   | `/api/gdpr/delete` | admin |
//!
//! Both take seed 002's body, `{"user_id": ..., "business_id": ...}`, or
//! `{"customer_id": ...}`; the business must be the caller's own, and a
//! customer of another business answers 404.
//!
//! - Export answers one JSON document with everything held about the customer
//!   ([`export::Export`]). When it is larger than a Lambda response may be,
//!   it is stored in the bucket and a link valid for five minutes is answered
//!   instead.
//! - Delete erases every item of the customer and its stored objects (avatar
//!   images, exports), records `customer.deleted` with `"erasure": true`, and
//!   keeps an erasure receipt without personal data. Run again, it answers
//!   that nothing is left.

pub mod export;
pub mod routes;

use std::convert::Infallible;
use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_http::http::StatusCode;
use lambda_http::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use serde_json::json;

use clientele_auth::{Access, Principal};
use clientele_avatars::AvatarBucket;
use clientele_core::gdpr::{ErasureReceipt, GdprRequest, Subject};
use clientele_core::operations::avatars;
use clientele_core::{Blobs, Clock, Customer, CustomerEvent, CustomerId, CustomerReader, StoreError, SystemClock};
use clientele_http::body::{JSON, json_object};
use clientele_http::config::{ConfigError, Lookup, authenticator, parsed_or, required};
use clientele_http::response::{json, with_header};
use clientele_http::{ApiError, Authenticator, require, respond};
use clientele_store::DynamoStore;

use crate::export::{Avatar, Export};
use crate::routes::Route;

/// Largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// Attempts at an erasure when the customer changes while it runs.
const ATTEMPTS: usize = 3;

/// Everything a request needs, built once per process.
pub struct App {
    /// The table.
    pub store: DynamoStore,
    /// How the caller is found.
    pub auth: Authenticator,
    /// The bucket of avatar images and large exports.
    pub files: AvatarBucket,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Exports larger than this many bytes are answered with a link
    /// (`GDPR_INLINE_EXPORT_BYTES`; by default 5 MiB, under Lambda's 6 MB).
    pub max_inline_bytes: usize,
}

impl App {
    /// The largest export answered inline, unless configured.
    pub const DEFAULT_MAX_INLINE_BYTES: usize = 5 * 1024 * 1024;

    /// Builds the function from its environment (`TABLE_NAME`,
    /// `AVATAR_BUCKET`, `GDPR_INLINE_EXPORT_BYTES` and the authenticator's
    /// variables), and opens the first DynamoDB connection.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), required(env, "TABLE_NAME")?);
        let app = Self {
            auth: authenticator(env, sdk, store.clone()).await?,
            files: AvatarBucket::new(sdk, required(env, "AVATAR_BUCKET")?),
            clock: Arc::new(SystemClock),
            max_inline_bytes: parsed_or(env, "GDPR_INLINE_EXPORT_BYTES", Self::DEFAULT_MAX_INLINE_BYTES)?,
            store,
        };
        app.store.warm_up().await;
        Ok(app)
    }
}

/// Answers one request.
pub async fn handle(app: &App, request: Request) -> Response<Body> {
    respond(dispatch(app, &request).await)
}

/// [`handle`], in the shape `lambda_http::run` wants.
pub async fn serve(app: &App, request: Request) -> Result<Response<Body>, Infallible> {
    Ok(handle(app, request).await)
}

async fn dispatch(app: &App, request: &Request) -> Result<Response<Body>, ApiError> {
    let route = Route::resolve(request.method(), request.uri().path())?;
    let principal = app.auth.principal(request).await?;
    require(&principal, Access::Admin)?;
    let body = json_object(request, &[JSON], MAX_BODY_BYTES)?;
    let asked = GdprRequest::from_json(&body).map_err(ApiError::Validation)?;
    match route {
        Route::Export => export(app, &principal, &asked).await,
        Route::Erase => erase(app, &principal, &asked).await,
    }
}

fn no_such_customer() -> ApiError {
    ApiError::NotFound("Nothing is stored about this customer.".to_owned())
}

/// The customer a request names, in the caller's business.
async fn subject_of(app: &App, principal: &Principal, asked: &GdprRequest) -> Result<Option<Customer>, ApiError> {
    if asked.business_id.is_some_and(|b| b != principal.business_id) {
        return Ok(None);
    }
    let business = principal.business_id;
    let found = match asked.subject {
        Subject::Customer(id) => app.store.get(business, id).await,
        Subject::User(user) => app.store.find_by_user(business, user).await,
    };
    Ok(found?)
}

fn export_prefix(customer: &Customer) -> String {
    format!("exports/{}/{}/", customer.business_id, customer.id)
}

#[tracing::instrument(skip_all, fields(business_id = %principal.business_id))]
async fn export(app: &App, principal: &Principal, asked: &GdprRequest) -> Result<Response<Body>, ApiError> {
    let customer = subject_of(app, principal, asked).await?.ok_or_else(no_such_customer)?;
    let holdings = app.store.holdings(&customer).await?;
    let avatar = match &customer.avatar_key {
        Some(key) => Some(Avatar {
            key: key.clone(),
            download_url: app.files.link(key).await?,
        }),
        None => None,
    };
    let now = app.clock.now();
    let document = Export::new(&customer, &holdings, avatar, now)?;
    // Text, not bytes: lambda_http would base64-encode a binary body, a third
    // larger against Lambda's response limit.
    let text = serde_json::to_string(&document).map_err(|e| ApiError::from(StoreError::Unexpected(Box::new(e))))?;
    let size = text.len();
    tracing::info!(customer_id = %customer.id, bytes = size, items = ?document.items, "exported");
    let response = if size <= app.max_inline_bytes {
        with_header(Response::new(Body::Text(text)), CONTENT_TYPE, JSON)
    } else {
        let key = format!("{}{now}.json", export_prefix(&customer));
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
    Ok(with_header(response, CACHE_CONTROL, "no-store"))
}

/// What `POST /api/gdpr/delete` answers.
#[derive(Debug, Serialize)]
struct Erased {
    /// `erased`, or `nothing_left` when an earlier run erased everything.
    status: &'static str,
    /// The erasure's receipt.
    receipt: ErasureReceipt,
}

#[tracing::instrument(skip_all, fields(business_id = %principal.business_id))]
async fn erase(app: &App, principal: &Principal, asked: &GdprRequest) -> Result<Response<Body>, ApiError> {
    for _ in 0..ATTEMPTS {
        let Some(customer) = subject_of(app, principal, asked).await? else {
            return nothing_left(app, principal, asked).await;
        };
        let holdings = app.store.holdings(&customer).await?;
        let objects = app
            .files
            .delete_under(&avatars::prefix(customer.business_id, customer.id))
            .await?
            + app.files.delete_under(&export_prefix(&customer)).await?;
        let now = app.clock.now();
        let receipt = ErasureReceipt {
            customer_id: customer.id,
            business_id: customer.business_id,
            erased_by: principal.id.clone(),
            erased_at: now,
            items: holdings.counts(),
            objects,
        };
        let event = CustomerEvent::erased(&customer, now);
        match app.store.erase(&customer, &holdings, &event, &receipt).await {
            Ok(()) => {
                tracing::info!(customer_id = %customer.id, items = ?receipt.items, objects, "erased");
                return Ok(json(
                    StatusCode::OK,
                    &Erased {
                        status: "erased",
                        receipt,
                    },
                ));
            }
            Err(StoreError::VersionMismatch | StoreError::NotFound) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::from(clientele_core::CustomerError::Contended))
}

/// The answer to an erasure of a customer already erased (named by its id),
/// or 404 for a customer never known here.
async fn nothing_left(app: &App, principal: &Principal, asked: &GdprRequest) -> Result<Response<Body>, ApiError> {
    let Subject::Customer(id) = asked.subject else {
        return Err(no_such_customer());
    };
    if asked.business_id.is_some_and(|b| b != principal.business_id) {
        return Err(no_such_customer());
    }
    match receipt_in(app, principal, id).await? {
        Some(receipt) => {
            // Whatever an earlier run's last sweep could not remove goes now.
            app.store.sweep_erased(id).await?;
            Ok(json(
                StatusCode::OK,
                &Erased {
                    status: "nothing_left",
                    receipt,
                },
            ))
        }
        None => Err(no_such_customer()),
    }
}

async fn receipt_in(app: &App, principal: &Principal, id: CustomerId) -> Result<Option<ErasureReceipt>, ApiError> {
    Ok(app
        .store
        .erasure_receipt(id)
        .await?
        .filter(|r| r.business_id == principal.business_id))
}
