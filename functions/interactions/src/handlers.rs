//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer.

use lambda_http::http::StatusCode;
use lambda_http::http::header::LOCATION;
use serde::Serialize;

use clientele_auth::Access;
use clientele_core::interaction::{
    Day, Direction, Interaction, InteractionInput, InteractionType, MAX_RANGE_DAYS, RangeQuery, SearchFilters,
    TimelineQuery, check_days, check_span,
};
use clientele_core::search::SearchQuery;
use clientele_core::{ContactId, CustomerId, InteractionId, Page, Timestamp};
use clientele_http::response::{PageBody, empty, json, tagged, with_header};
use clientele_http::{ApiError, Caller, IfMatch, JsonObject, Location, PathId, QueryReader, Response, State, about};
use clientele_operations::interactions::{self, Report};
use clientele_operations::{Authority, Context};

/// Largest body accepted, in bytes: a body of 10,000 characters of any
/// script, and the rest.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Results per page unless `limit` says otherwise.
pub const DEFAULT_PAGE: usize = 20;
/// Most results per page.
pub const MAX_PAGE: usize = 100;

fn shown(status: StatusCode, interaction: &Interaction) -> Response {
    tagged(json(status, interaction), interaction.version)
}

fn page(found: Page<Interaction>) -> Response {
    let body = PageBody {
        items: found.items,
        next_cursor: found.next_cursor,
    };
    json(StatusCode::OK, &body)
}

/// `POST /api/interactions`: the body names the customer; 201 with
/// `Location` and `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn log(
    State(context): State<Context>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let input = InteractionInput::from_json(&body, true, actor.at)?;
    let logged = interactions::log(&context.store, &actor, input).await?;
    tracing::info!(interaction_id = %logged.id, customer_id = %logged.customer_id, "interaction logged");
    let location = format!("/api/interactions/{}", logged.id);
    let response = with_header(shown(StatusCode::CREATED, &logged), LOCATION, &location);
    Ok(about(response, logged.customer_id))
}

/// `GET /api/interactions/{interaction_id}`: 200 with `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, interaction_id = %id))]
pub async fn get(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<InteractionId>,
) -> Result<Response, ApiError> {
    let found = interactions::get(&context.store, caller.business_id, id).await?;
    Ok(shown(StatusCode::OK, &found))
}

/// `PUT /api/interactions/{interaction_id}`: replaces every writable field
/// (absent optional ones become empty); honours `If-Match`. Staff change
/// only the interactions they logged; admins any.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, interaction_id = %id))]
pub async fn replace(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<InteractionId>,
    IfMatch(precondition): IfMatch,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let principal = caller.qualified_id();
    let actor = context.actor(caller.business_id, &principal);
    let input = InteractionInput::from_json(&body, false, actor.at)?;
    let authority = if caller.may(Access::Admin) {
        Authority::Anyone
    } else {
        Authority::Author(&principal)
    };
    let replaced = interactions::replace(&context.store, &actor, authority, id, input, precondition.as_ref()).await?;
    Ok(shown(StatusCode::OK, &replaced))
}

/// `DELETE /api/interactions/{interaction_id}`: 204; honours `If-Match`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, interaction_id = %id))]
pub async fn remove(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<InteractionId>,
    IfMatch(precondition): IfMatch,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    interactions::remove(&context.store, &actor, id, precondition.as_ref()).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `GET /api/interactions/customer/{customer_id}`: the customer's timeline,
/// newest first; `type`, and a range `from` (included) to `to` (excluded).
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn timeline(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let interaction_type = params.optional("type", str::parse::<InteractionType>);
    let from = params.optional("from", Timestamp::parse);
    let to = params.optional("to", Timestamp::parse);
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    params.refuse_unknown(&["type", "from", "to", "limit", "cursor"]);
    params.finish()?;
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        return Err(ApiError::parameter("to", Location::Query, "must be after from"));
    }
    let query = TimelineQuery {
        interaction_type,
        from,
        to,
        limit,
        cursor,
    };
    Ok(page(
        interactions::timeline(&context.store, caller.business_id, customer, &query).await?,
    ))
}

/// `GET /api/interactions/date-range?from=&to=`: the business's
/// interactions in at most 31 days, newest first, optionally of one `type`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn in_range(
    State(context): State<Context>,
    Caller(caller): Caller,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let from = params.required("from", Timestamp::parse);
    let to = params.required("to", Timestamp::parse);
    let interaction_type = params.optional("type", str::parse::<InteractionType>);
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    params.refuse_unknown(&["from", "to", "type", "limit", "cursor"]);
    params.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::Internal("a missing range passed the parameter check".into()));
    };
    check_span(from, to, MAX_RANGE_DAYS).map_err(|why| ApiError::parameter("to", Location::Query, why))?;
    let query = RangeQuery {
        from,
        to,
        interaction_type,
        limit,
        cursor,
    };
    Ok(page(
        interactions::in_range(&context.store, caller.business_id, &query).await?,
    ))
}

/// One type and direction of a statistics answer.
#[derive(Serialize)]
struct TypeCount {
    #[serde(rename = "type")]
    interaction_type: InteractionType,
    direction: Direction,
    count: u64,
    duration_seconds: u64,
}

/// A statistics answer.
#[derive(Serialize)]
struct StatisticsView {
    from: Day,
    to: Day,
    count: u64,
    duration_seconds: u64,
    by_type: Vec<TypeCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<CustomerId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_interaction_at: Option<Option<Timestamp>>,
}

impl From<Report> for StatisticsView {
    fn from(report: Report) -> Self {
        let total = report.statistics.total();
        Self {
            from: report.from,
            to: report.to,
            count: total.count,
            duration_seconds: total.duration_seconds,
            by_type: report
                .statistics
                .by_type
                .iter()
                .filter(|(_, tally)| tally.count > 0 || tally.duration_seconds > 0)
                .map(|((interaction_type, direction), tally)| TypeCount {
                    interaction_type: *interaction_type,
                    direction: *direction,
                    count: tally.count,
                    duration_seconds: tally.duration_seconds,
                })
                .collect(),
            customer_id: report.customer.as_ref().map(|c| c.customer_id),
            total: report.customer.as_ref().map(|c| c.total),
            last_interaction_at: report.customer.as_ref().map(|c| c.last_interaction_at),
        }
    }
}

/// `GET /api/interactions/statistics?from=&to=`: counts and durations by
/// type and direction over whole UTC days (`YYYY-MM-DD`, both included), of
/// the business or of one `customer_id`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn statistics(
    State(context): State<Context>,
    Caller(caller): Caller,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let from = params.required("from", Day::parse);
    let to = params.required("to", Day::parse);
    let customer = params.optional("customer_id", CustomerId::parse);
    params.refuse_unknown(&["from", "to", "customer_id"]);
    params.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::Internal("a missing range passed the parameter check".into()));
    };
    check_days(from, to).map_err(|why| ApiError::parameter("to", Location::Query, why))?;
    let report = interactions::statistics(&context.store, caller.business_id, (from, to), customer).await?;
    Ok(json(StatusCode::OK, &StatisticsView::from(report)))
}

/// `GET /api/interactions/search?q=`: the business's interactions whose
/// subjects have every word of `q`, optionally of one `type`, with one
/// `contact_id`, in a range `from` to `to`; pages may come back short.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn search(
    State(context): State<Context>,
    Caller(caller): Caller,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let q = params.required("q", SearchQuery::parse);
    let filters = SearchFilters {
        interaction_type: params.optional("type", str::parse::<InteractionType>),
        contact_id: params.optional("contact_id", ContactId::parse),
        from: params.optional("from", Timestamp::parse),
        to: params.optional("to", Timestamp::parse),
    };
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    params.refuse_unknown(&["q", "type", "contact_id", "from", "to", "limit", "cursor"]);
    params.finish()?;
    if let (Some(from), Some(to)) = (filters.from, filters.to)
        && to <= from
    {
        return Err(ApiError::parameter("to", Location::Query, "must be after from"));
    }
    let Some(q) = q else {
        return Err(ApiError::Internal("a missing q passed the parameter check".into()));
    };
    Ok(page(
        interactions::search(
            &context.store,
            caller.business_id,
            &q,
            &filters,
            limit,
            cursor.as_deref(),
        )
        .await?,
    ))
}
