//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer. Errors are returned, never built here.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::http::header::{CACHE_CONTROL, LOCATION};
use serde::Serialize;

use clientele_auth::{Access, Principal};
use clientele_core::contact::FullName;
use clientele_core::lifecycle::{Action, Reason};
use clientele_core::validation::ObjectReader;
use clientele_core::{
    BusinessId, Customer, CustomerId, CustomerPatch, CustomerQuery, CustomerStatus, CustomerType, Email, NewCustomer,
    Page, Precondition, SearchQuery, TagLabel, Timestamp,
};
use clientele_http::response::{PageBody, empty, json, tagged, with_header};
use clientele_http::{
    ApiError, Caller, IfMatch, IfNoneMatch, JsonObject, Location, MergePatch, OptionalJsonObject, PathId, QueryReader,
    Response, State, about,
};
use clientele_operations::customers::{self, Guards};
use clientele_operations::views::{CustomerView, StatisticsView};
use clientele_operations::{audit, avatars, lifecycle};

use crate::App;
use crate::upload::Upload;

/// Largest body accepted, in bytes: a customer is far smaller.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Page size when `limit` is not given.
pub const DEFAULT_PAGE: usize = 20;
/// Largest `limit`.
pub const MAX_PAGE: usize = clientele_store::customers::MAX_PAGE;

/// The customer as the API shows it, with its `ETag`, to a caller who may
/// read customers. A caller who may only write (a client with
/// `customers:write` but not `customers:read`) gets its id and version
/// alone: writing must not be a way to read.
fn shown(status: StatusCode, customer: &Customer, caller: &Principal) -> Response {
    let body = if caller.may(Access::Read) {
        json(status, &CustomerView::from(customer))
    } else {
        json(
            status,
            &Written {
                id: customer.id,
                version: customer.version,
            },
        )
    };
    tagged(body, customer.version)
}

/// What a caller who may not read is told about the customer it wrote.
#[derive(Serialize)]
struct Written {
    id: CustomerId,
    version: u64,
}

/// `POST /api/customers/`: 201 with `Location` and `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn create(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let new = NewCustomer::from_json(&body)?;
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let customer = customers::create(&app.context.store, &actor, new).await?;
    tracing::info!(customer_id = %customer.id, "customer created");
    let location = format!("/api/customers/{}", customer.id);
    let response = with_header(shown(StatusCode::CREATED, &customer, &caller), LOCATION, &location);
    Ok(about(response, customer.id))
}

/// `GET /api/customers/{customer_id}`: 200 with `ETag`, or 304 when
/// `If-None-Match` names the current version.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn get(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    unless: IfNoneMatch,
) -> Result<Response, ApiError> {
    let customer = customers::get(&app.context.store, caller.business_id, id).await?;
    if unless.matches(customer.version) {
        return Ok(tagged(empty(StatusCode::NOT_MODIFIED), customer.version));
    }
    Ok(shown(StatusCode::OK, &customer, &caller))
}

/// Query parameters of the list.
const LIST_PARAMETERS: &[&str] = &[
    "limit",
    "cursor",
    "status",
    "customer_type",
    "email",
    "name_prefix",
    "tag",
    "created_from",
    "created_to",
    "business_id",
];

/// A name prefix is read as a full name is (1 to 200 characters, none of
/// them control, bidirectional or invisible), then folded as names are.
fn name_prefix(text: &str) -> Result<String, &'static str> {
    let name = FullName::parse(text)
        .map_err(|_| "must be 1 to 200 characters, without control, bidirectional or invisible characters")?;
    let folded = name.folded();
    if folded.is_empty() {
        return Err("must be 1 to 200 characters, without control, bidirectional or invisible characters");
    }
    Ok(folded)
}

/// The `limit` and `cursor` of a route that takes no other parameter: 400
/// naming any other, or either when invalid.
pub(crate) fn page_only(mut params: QueryReader) -> Result<(usize, Option<String>), ApiError> {
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    params.refuse_unknown(&["limit", "cursor"]);
    params.finish()?;
    Ok((limit, cursor))
}

/// `GET /api/customers/`: the caller's business's customers, newest first.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn list(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    let status = params.optional("status", str::parse::<CustomerStatus>);
    let customer_type = params.optional("customer_type", str::parse::<CustomerType>);
    let email = params.optional("email", Email::parse);
    let name_prefix = params.optional("name_prefix", name_prefix);
    let tag = params.optional("tag", TagLabel::parse);
    let created_from = params.optional("created_from", Timestamp::parse);
    let created_to = params.optional("created_to", Timestamp::parse);
    let business = params.optional("business_id", BusinessId::parse);
    params.refuse_unknown(LIST_PARAMETERS);
    params.finish()?;
    if let (Some(from), Some(to)) = (created_from, created_to)
        && to <= from
    {
        return Err(ApiError::parameter(
            "created_to",
            Location::Query,
            "must be after created_from",
        ));
    }
    if business.is_some_and(|b| b != caller.business_id) {
        return Err(ApiError::Forbidden(
            "business_id names another business: a caller lists only its own business's customers.".to_owned(),
        ));
    }
    let query = CustomerQuery {
        status,
        customer_type,
        email,
        name_prefix,
        tag,
        created_from,
        created_to,
        limit,
        cursor,
        ..CustomerQuery::default()
    };
    let Page { items, next_cursor } = customers::list(&app.context.store, caller.business_id, &query).await?;
    let body = PageBody {
        items: items.iter().map(CustomerView::from).collect(),
        next_cursor,
    };
    Ok(json(StatusCode::OK, &body))
}

/// Query parameters of a search.
const SEARCH_PARAMETERS: &[&str] = &["q", "limit", "cursor", "status", "customer_type", "tag"];

/// `GET /api/customers/search`: the caller's business's customers matching
/// every word of `q` (name word prefixes, email, phone digits), with the
/// list's status, type and tag filters, in pages that may come back short
/// (a `next_cursor` says more may follow).
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn search(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let q = params.required("q", SearchQuery::parse);
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    let status = params.optional("status", str::parse::<CustomerStatus>);
    let customer_type = params.optional("customer_type", str::parse::<CustomerType>);
    let tag = params.optional("tag", TagLabel::parse);
    params.refuse_unknown(SEARCH_PARAMETERS);
    params.finish()?;
    let Some(q) = q else {
        return Err(ApiError::Internal("a missing q passed the parameter check".into()));
    };
    let filters = CustomerQuery {
        status,
        customer_type,
        tag,
        limit,
        cursor,
        ..CustomerQuery::default()
    };
    let Page { items, next_cursor } = customers::search(&app.context.store, caller.business_id, &q, &filters).await?;
    let body = PageBody {
        items: items.iter().map(CustomerView::from).collect(),
        next_cursor,
    };
    Ok(json(StatusCode::OK, &body))
}

/// One cell of `GET /api/customers/segments`.
#[derive(Serialize)]
struct SegmentView {
    status: CustomerStatus,
    customer_type: CustomerType,
    count: u64,
    /// The list of the cell's customers.
    href: String,
}

/// The body of `GET /api/customers/segments`.
#[derive(Serialize)]
struct SegmentsBody {
    total: u64,
    segments: Vec<SegmentView>,
}

/// `GET /api/customers/segments`: the caller's business's customers counted
/// by status and type, every cell with its count and the link listing it.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn segments(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    params.refuse_unknown(&[]);
    params.finish()?;
    let counts = customers::segments(&app.context.store, caller.business_id).await?;
    let segments: Vec<SegmentView> = counts
        .iter()
        .map(|cell| SegmentView {
            status: cell.status,
            customer_type: cell.customer_type,
            count: cell.count,
            href: format!(
                "/api/customers?status={}&customer_type={}",
                cell.status, cell.customer_type
            ),
        })
        .collect();
    let body = SegmentsBody {
        total: segments.iter().map(|s| s.count).sum(),
        segments,
    };
    Ok(json(StatusCode::OK, &body))
}

/// `GET /api/customers/{customer_id}/audit`: who changed the customer,
/// which fields and when, newest first, in pages (admins only).
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn audit_trail(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    params: QueryReader,
) -> Result<Response, ApiError> {
    let (limit, cursor) = page_only(params)?;
    let Page { items, next_cursor } =
        audit::trail(&app.context.store, caller.business_id, id, limit, cursor.as_deref()).await?;
    Ok(json(StatusCode::OK, &PageBody { items, next_cursor }))
}

/// `PATCH /api/customers/{customer_id}`: a JSON merge patch, honouring
/// `If-Match`, rate limited per customer.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn update(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    IfMatch(precondition): IfMatch,
    MergePatch(body): MergePatch<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let patch = CustomerPatch::from_json(&body)?;
    change(&app, &caller, id, precondition.as_ref(), &patch).await
}

/// `PUT /api/customers/{customer_id}`: every writable field replaced (an
/// absent `phone` removed, an absent `customer_type` back to `sme`), with
/// `PATCH`'s validation, `If-Match`, uniqueness and rate limit.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn replace(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    IfMatch(precondition): IfMatch,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let replacement = CustomerPatch::replacing(&body)?;
    change(&app, &caller, id, precondition.as_ref(), &replacement).await
}

/// A patch or a replacement written, as `PATCH` and `PUT` answer it.
async fn change(
    app: &App,
    caller: &Principal,
    id: CustomerId,
    precondition: Option<&Precondition>,
    patch: &CustomerPatch,
) -> Result<Response, ApiError> {
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let guards = Guards {
        precondition,
        rate: Some(&app.settings.patch_rate),
    };
    let customer = customers::update(&app.context.store, &actor, id, patch, guards).await?;
    Ok(shown(StatusCode::OK, &customer, caller))
}

/// `DELETE /api/customers/{customer_id}`: 204; the customer and everything
/// stored under it are gone.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn delete(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    IfMatch(precondition): IfMatch,
) -> Result<Response, ApiError> {
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    customers::delete(&app.context.store, &actor, id, precondition.as_ref()).await?;
    tracing::info!(customer_id = %id, "customer deleted");
    Ok(empty(StatusCode::NO_CONTENT))
}

/// A customer's statistics and history.
#[derive(Debug, Serialize)]
struct StatsBody<'a> {
    customer_id: CustomerId,
    #[serde(flatten)]
    statistics: StatisticsView<'a>,
}

/// `GET /api/customers/{customer_id}/stats`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn stats(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let customer = customers::get(&app.context.store, caller.business_id, id).await?;
    let body = StatsBody {
        customer_id: customer.id,
        statistics: StatisticsView::from(&customer),
    };
    Ok(tagged(json(StatusCode::OK, &body), customer.version))
}

/// `POST /api/customers/{customer_id}/avatar`: a PNG, JPEG or WebP image of
/// at most 2 MB, raw or as a multipart file, counted in the customer's update
/// rate as a `PATCH` is. 200 with the customer.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn set_avatar(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    Upload(image): Upload,
) -> Result<Response, ApiError> {
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let rate = &app.settings.patch_rate;
    let customer = avatars::set(&app.context.store, &app.files, &actor, id, image, Some(rate)).await?;
    Ok(shown(StatusCode::OK, &customer, &caller))
}

/// `GET /api/customers/{customer_id}/avatar`: 302 to a link to the image
/// that works for five minutes.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn avatar(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let key = avatars::key_of(&app.context.store, caller.business_id, id).await?;
    let link = app.files.link(&key).await?;
    let response = with_header(empty(StatusCode::FOUND), LOCATION, &link);
    Ok(with_header(response, CACHE_CONTROL, "no-store"))
}

/// A step of the lifecycle, as its route's body asks for it.
pub trait Step {
    /// The action the body asks for, reading its fields (and refusing others).
    fn read(body: &mut ObjectReader<'_>) -> Option<Action>;
}

/// `validate`: pending → active; no body, or `{}`.
pub struct Validate;
/// `suspend`: active → suspended; `{"reason": ...}`.
pub struct Suspend;
/// `reactivate`: suspended → active; no body, or `{}`.
pub struct Reactivate;

impl Step for Validate {
    fn read(body: &mut ObjectReader<'_>) -> Option<Action> {
        body.refuse_unknown(&[]);
        Some(Action::Validate)
    }
}

impl Step for Suspend {
    fn read(body: &mut ObjectReader<'_>) -> Option<Action> {
        let reason = body.required("reason", Reason::parse);
        body.refuse_unknown(&["reason"]);
        reason.map(Action::Suspend)
    }
}

impl Step for Reactivate {
    fn read(body: &mut ObjectReader<'_>) -> Option<Action> {
        body.refuse_unknown(&[]);
        Some(Action::Reactivate)
    }
}

/// `POST /api/customers/{customer_id}/validate`, `/suspend` and
/// `/reactivate`: the step `S`, if the customer's status allows it (409
/// otherwise). 200 with the customer.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn lifecycle_step<S: Step>(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    IfMatch(precondition): IfMatch,
    OptionalJsonObject(body): OptionalJsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let mut reader = ObjectReader::new(&body);
    let action = S::read(&mut reader);
    let action = reader.finish().into_result(|| action)?;
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let customer = lifecycle::apply(&app.context.store, &actor, id, &action, precondition.as_ref()).await?;
    Ok(shown(StatusCode::OK, &customer, &caller))
}
