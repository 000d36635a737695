//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer.

use lambda_http::http::StatusCode;

use clientele_auth::Access;
use clientele_core::{CustomerId, NewNote, NoteId, Page};
use clientele_http::response::{PageBody, empty, json};
use clientele_http::{ApiError, Caller, JsonObject, PathId, QueryReader, Response, State};
use clientele_operations::Context;
use clientele_operations::notes::{self, Remover};
use clientele_operations::views::NoteView;

/// Largest body accepted, in bytes: 500 characters of up to 4 bytes, and room.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Page size when `limit` is not given.
pub const DEFAULT_PAGE: usize = 20;
/// Largest `limit`.
pub const MAX_PAGE: usize = 100;

/// `POST /api/customers/{customer_id}/notes`: 201 with the note.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn add(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let new = NewNote::from_json(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let note = notes::add(&context.store, &actor, customer, new).await?;
    Ok(json(StatusCode::CREATED, &NoteView::from(&note)))
}

/// `GET /api/customers/{customer_id}/notes`: newest first, in pages.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn list(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    params.refuse_unknown(&["limit", "cursor"]);
    params.finish()?;
    let Page { items, next_cursor } =
        notes::list(&context.store, caller.business_id, customer, limit, cursor.as_deref()).await?;
    let body = PageBody {
        items: items.iter().map(NoteView::from).collect(),
        next_cursor,
    };
    Ok(json(StatusCode::OK, &body))
}

/// `DELETE /api/customers/{customer_id}/notes/{note_id}`: 204. Staff delete
/// the notes they wrote; admins any.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn remove(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(note): PathId<NoteId>,
) -> Result<Response, ApiError> {
    let author = caller.qualified_id();
    let remover = if caller.may(Access::Admin) {
        Remover::Anyone
    } else {
        Remover::Author(&author)
    };
    notes::remove(&context.store, caller.business_id, customer, note, remover).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
