//! One function per route: check the caller may, read the input, run the
//! operation, shape the answer.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use clientele_auth::{Access, Principal};
use clientele_core::operations::notes::{self, Remover};
use clientele_core::{CustomerId, CustomerReader, NewNote, NoteId, NoteStore};
use clientele_http::body::{JSON, json_object};
use clientele_http::request::{QueryReader, path_param};
use clientele_http::response::{PageBody, empty, json};
use clientele_http::{ApiError, require};

use crate::App;

/// Largest body accepted, in bytes: 500 characters of up to 4 bytes, and room.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Page size when `limit` is not given.
pub const DEFAULT_PAGE: usize = 20;
/// Largest `limit`.
pub const MAX_PAGE: usize = 100;

fn customer_id(segment: &str) -> Result<CustomerId, ApiError> {
    path_param(segment, "customer_id", CustomerId::parse)
}

/// `POST /api/customers/{customer_id}/notes`: 201 with the note.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn add<S: CustomerReader + NoteStore>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Write)?;
    let customer = customer_id(segment)?;
    let body = json_object(request, &[JSON], MAX_BODY_BYTES)?;
    let new = NewNote::from_json(&body).map_err(ApiError::Validation)?;
    let note = notes::add(
        &app.store,
        principal.business_id,
        customer,
        new,
        &principal.id,
        app.clock.now(),
    )
    .await?;
    Ok(json(StatusCode::CREATED, &note))
}

fn page_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {MAX_PAGE}")),
    }
}

/// `GET /api/customers/{customer_id}/notes`: newest first, in pages.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn list<S: CustomerReader + NoteStore>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Read)?;
    let customer = customer_id(segment)?;
    let mut params = QueryReader::new(request);
    let limit = params.optional("limit", page_size).unwrap_or(DEFAULT_PAGE);
    let cursor = params.optional("cursor", |c: &str| Ok::<_, String>(c.to_owned()));
    params.refuse_unknown(&["limit", "cursor"]);
    params.finish()?;
    let page = notes::list(&app.store, principal.business_id, customer, limit, cursor.as_deref()).await?;
    Ok(json(StatusCode::OK, &PageBody::from(page)))
}

/// `DELETE /api/customers/{customer_id}/notes/{note_id}`: 204. Staff delete
/// the notes they wrote; admins any.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = customer_segment))]
pub async fn remove<S: CustomerReader + NoteStore>(
    app: &App<S>,
    principal: &Principal,
    customer_segment: &str,
    note_segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Write)?;
    let customer = customer_id(customer_segment)?;
    let note = path_param(note_segment, "note_id", NoteId::parse)?;
    let remover = if principal.may(Access::Admin) {
        Remover::Anyone
    } else {
        Remover::Author(&principal.id)
    };
    notes::remove(&app.store, principal.business_id, customer, note, remover).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
