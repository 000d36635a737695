//! The saved segments' routes: an admin saves named filters and static
//! lists of the business's customers; anyone who may read customers lists
//! them and their members.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::http::header::LOCATION;

use clientele_core::saved_segment::NewSavedSegment;
use clientele_core::{CustomerId, Page, SegmentId};
use clientele_http::response::{PageBody, empty, json, with_header};
use clientele_http::{ApiError, Caller, JsonObject, PathId, QueryReader, Response, State};
use clientele_operations::saved_segments;
use clientele_operations::views::{CustomerView, SavedSegmentView};

use crate::App;
use crate::handlers::page_only;

/// Largest body accepted, in bytes: a segment is far smaller.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

/// `POST /api/customers/segments`: saves a filter
/// (`{"name", "filter": {...}}`) or a static list (`{"name", "kind": "list"}`);
/// 201 with `Location`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn save(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let new = NewSavedSegment::from_json(&body)?;
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let segment = saved_segments::save(&app.context.store, &actor, new).await?;
    tracing::info!(segment_id = %segment.id, kind = segment.definition.kind(), "segment saved");
    let location = format!("/api/customers/segments/{}", segment.id);
    let body = json(StatusCode::CREATED, &SavedSegmentView::from(&segment));
    Ok(with_header(body, LOCATION, &location))
}

/// `GET /api/customers/segments/saved`: the business's saved segments, in pages.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn list(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    params: QueryReader,
) -> Result<Response, ApiError> {
    let (limit, cursor) = page_only(params)?;
    let Page { items, next_cursor } =
        saved_segments::list(&app.context.store, caller.business_id, limit, cursor.as_deref()).await?;
    let body = PageBody {
        items: items.iter().map(SavedSegmentView::from).collect(),
        next_cursor,
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /api/customers/segments/{segment_id}`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, segment_id = %id))]
pub async fn get(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<SegmentId>,
) -> Result<Response, ApiError> {
    let segment = saved_segments::get(&app.context.store, caller.business_id, id).await?;
    Ok(json(StatusCode::OK, &SavedSegmentView::from(&segment)))
}

/// `DELETE /api/customers/segments/{segment_id}`: the segment goes; its
/// customers stay.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, segment_id = %id))]
pub async fn delete(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<SegmentId>,
) -> Result<Response, ApiError> {
    saved_segments::delete(&app.context.store, caller.business_id, id).await?;
    tracing::info!("segment deleted");
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET /api/customers/segments/{segment_id}/customers`: a page of the
/// segment's members, newest first; a filter's evaluated now.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, segment_id = %id))]
pub async fn members(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<SegmentId>,
    params: QueryReader,
) -> Result<Response, ApiError> {
    let (limit, cursor) = page_only(params)?;
    let Page { items, next_cursor } =
        saved_segments::members(&app.context.store, caller.business_id, id, limit, cursor).await?;
    let body = PageBody {
        items: items.iter().map(CustomerView::from).collect(),
        next_cursor,
    };
    Ok(json(StatusCode::OK, &body))
}

/// `PUT /api/customers/segments/{segment_id}/customers/{customer_id}`: puts
/// a customer on a static list; 201 when it was put there now, 204 when it
/// was there already.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, segment_id = %id, customer_id = %customer))]
pub async fn add_member(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<SegmentId>,
    PathId(customer): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let added = saved_segments::add_member(&app.context.store, &actor, id, customer).await?;
    Ok(empty(if added {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    }))
}

/// `DELETE /api/customers/segments/{segment_id}/customers/{customer_id}`:
/// takes a customer off a static list (404 if it is not on it).
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, segment_id = %id, customer_id = %customer))]
pub async fn remove_member(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<SegmentId>,
    PathId(customer): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    saved_segments::remove_member(&app.context.store, caller.business_id, id, customer).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
