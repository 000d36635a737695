//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer.

use lambda_http::http::StatusCode;
use lambda_http::http::header::LOCATION;
use serde::Serialize;

use clientele_core::Page;
use clientele_core::contact_person::{Contact, ContactInput};
use clientele_core::search::SearchQuery;
use clientele_core::{ContactId, CustomerId};
use clientele_http::response::PageBody;
use clientele_http::response::{empty, json, tagged, with_header};
use clientele_http::{ApiError, Caller, IfMatch, JsonObject, PathId, QueryReader, Response, State, about};
use clientele_operations::Context;
use clientele_operations::contacts::{self, Shown};

/// Largest body accepted, in bytes: a contact with five emails and phones
/// is far smaller.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A contact as the API shows it.
#[derive(Serialize)]
struct ContactView<'a> {
    #[serde(flatten)]
    contact: &'a Contact,
    /// Whether it is its customer's primary contact.
    primary: bool,
}

fn shown(status: StatusCode, shown: &Shown) -> Response {
    let body = ContactView {
        contact: &shown.contact,
        primary: shown.primary,
    };
    tagged(json(status, &body), shown.contact.version)
}

/// The customer's contacts.
#[derive(Serialize)]
struct ContactList<'a> {
    items: Vec<ContactView<'a>>,
}

/// Results per page unless `limit` says otherwise.
pub const DEFAULT_PAGE: usize = 20;
/// Most results per page.
pub const MAX_PAGE: usize = 100;

/// `POST /api/contacts`: the body names the customer; 201 with `Location`
/// and `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn add(
    State(context): State<Context>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let input = ContactInput::from_json(&body, true)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let added = contacts::add(&context.store, &actor, input).await?;
    tracing::info!(contact_id = %added.contact.id, customer_id = %added.contact.customer_id, "contact added");
    let location = format!("/api/contacts/{}", added.contact.id);
    let response = with_header(shown(StatusCode::CREATED, &added), LOCATION, &location);
    Ok(about(response, added.contact.customer_id))
}

/// `GET /api/contacts/customer/{customer_id}`: every contact of the
/// customer (at most 100), oldest first.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn of_customer(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let found = contacts::of_customer(&context.store, caller.business_id, customer).await?;
    let body = ContactList {
        items: found
            .iter()
            .map(|s| ContactView {
                contact: &s.contact,
                primary: s.primary,
            })
            .collect(),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /api/contacts/{contact_id}`: 200 with `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, contact_id = %id))]
pub async fn get(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<ContactId>,
) -> Result<Response, ApiError> {
    let found = contacts::get(&context.store, caller.business_id, id).await?;
    Ok(shown(StatusCode::OK, &found))
}

/// `PUT /api/contacts/{contact_id}`: replaces every writable field (absent
/// optional ones become empty); honours `If-Match`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, contact_id = %id))]
pub async fn replace(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<ContactId>,
    IfMatch(precondition): IfMatch,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let input = ContactInput::from_json(&body, false)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let replaced = contacts::replace(&context.store, &actor, id, input, precondition.as_ref()).await?;
    Ok(shown(StatusCode::OK, &replaced))
}

/// `DELETE /api/contacts/{contact_id}`: 204; honours `If-Match`. A primary
/// contact removed leaves the customer with none.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, contact_id = %id))]
pub async fn remove(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<ContactId>,
    IfMatch(precondition): IfMatch,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    contacts::remove(&context.store, &actor, id, precondition.as_ref()).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `PUT /api/contacts/{contact_id}/primary`: makes the contact its
/// customer's primary contact (the previous one no longer); 200 with it.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, contact_id = %id))]
pub async fn make_primary(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<ContactId>,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let primary = contacts::make_primary(&context.store, &actor, id).await?;
    Ok(shown(StatusCode::OK, &primary))
}

/// `GET /api/contacts/search?q=`: the caller's business's contacts matching
/// every word of `q` (name word prefixes, emails, phone digits), of one
/// customer when `customer_id` names it, in pages that may come back short
/// (a `next_cursor` says more may follow).
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn search(
    State(context): State<Context>,
    Caller(caller): Caller,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let q = params.required("q", SearchQuery::parse);
    let within = params.optional("customer_id", CustomerId::parse);
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    params.refuse_unknown(&["q", "customer_id", "limit", "cursor"]);
    params.finish()?;
    let Some(q) = q else {
        return Err(ApiError::Internal("a missing q passed the parameter check".into()));
    };
    let Page { items, next_cursor } =
        contacts::search(&context.store, caller.business_id, &q, within, limit, cursor.as_deref()).await?;
    let body = PageBody {
        items: items
            .iter()
            .map(|s| ContactView {
                contact: &s.contact,
                primary: s.primary,
            })
            .collect(),
        next_cursor,
    };
    Ok(json(StatusCode::OK, &body))
}
