//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer.

use lambda_http::http::StatusCode;
use serde::Serialize;

use clientele_core::token::{Balance, LedgerEntry, LedgerQuery, Movement, MovementKind};
use clientele_core::{CustomerId, Page, Timestamp};
use clientele_http::problem::Location;
use clientele_http::response::{PageBody, json};
use clientele_http::{ApiError, Caller, JsonObject, PathId, QueryReader, Response, State};
use clientele_operations::Context;
use clientele_operations::tokens::{self, Moved};

/// Largest body accepted, in bytes: a movement is a few short fields.
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// Entries per page unless `limit` says otherwise.
pub const DEFAULT_PAGE: usize = 20;
/// Most entries per page.
pub const MAX_PAGE: usize = 100;

/// A balance as the API shows it.
#[derive(Serialize)]
struct BalanceView<'a> {
    customer_id: CustomerId,
    balance: i64,
    /// The sequence of the last ledger entry (0 before any).
    sequence: u64,
    updated_at: Option<&'a Timestamp>,
}

impl<'a> From<&'a Balance> for BalanceView<'a> {
    fn from(b: &'a Balance) -> Self {
        Self {
            customer_id: b.customer_id,
            balance: b.balance,
            sequence: b.sequence,
            updated_at: b.updated_at.as_ref(),
        }
    }
}

/// `GET /api/customers/{customer_id}/tokens`: the balance.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn balance(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let balance = tokens::balance(&context.store, caller.business_id, customer).await?;
    Ok(json(StatusCode::OK, &BalanceView::from(&balance)))
}

/// `GET /api/customers/{customer_id}/tokens/ledger?from=&to=`: a page of
/// the ledger, newest first, optionally from an instant (included) until
/// another (excluded).
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn ledger(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let from = params.optional("from", Timestamp::parse);
    let to = params.optional("to", Timestamp::parse);
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    params.refuse_unknown(&["from", "to", "limit", "cursor"]);
    params.finish()?;
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        return Err(ApiError::parameter("to", Location::Query, "must be after from"));
    }
    let query = LedgerQuery {
        from,
        to,
        limit,
        cursor,
    };
    let Page { items, next_cursor } = tokens::ledger(&context.store, caller.business_id, customer, &query).await?;
    Ok(json(StatusCode::OK, &PageBody { items, next_cursor }))
}

/// A movement's answer: 201 with the entry it made, or 200 with the entry a
/// movement key already made.
fn moved(moved: &Moved) -> Response {
    let status = if moved.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    json(status, &moved.entry as &LedgerEntry)
}

/// Reads the body as a movement of `kind` and applies it.
async fn movement(
    context: &Context,
    caller: &clientele_auth::Principal,
    customer: CustomerId,
    kind: MovementKind,
    body: &serde_json::Map<String, serde_json::Value>,
) -> Result<Response, ApiError> {
    let movement = Movement::from_json(kind, body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let done = tokens::apply(&context.store, &actor, customer, movement).await?;
    if !done.replayed {
        tracing::info!(
            sequence = done.entry.sequence,
            kind = %kind,
            amount = done.entry.movement.amount,
            "tokens moved"
        );
    }
    Ok(moved(&done))
}

/// `POST /api/customers/{customer_id}/tokens/use`: spends `amount` tokens;
/// 409 naming the balance when there are fewer, and nothing changes.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn spend(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    movement(&context, &caller, customer, MovementKind::Use, &body).await
}

/// `POST /api/customers/{customer_id}/tokens/purchase`: records tokens bought.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn purchase(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    movement(&context, &caller, customer, MovementKind::Purchase, &body).await
}

/// `POST /api/customers/{customer_id}/tokens/allocate`: grants tokens.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn allocate(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    movement(&context, &caller, customer, MovementKind::Allocation, &body).await
}

/// `POST /api/customers/{customer_id}/tokens/refund`: gives tokens back
/// after a use, naming it in `reference`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn refund(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    movement(&context, &caller, customer, MovementKind::Refund, &body).await
}

/// `POST /api/customers/{customer_id}/tokens/adjust`: corrects the balance
/// up or down (never below zero), with a `reason`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn adjust(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    movement(&context, &caller, customer, MovementKind::Adjustment, &body).await
}
