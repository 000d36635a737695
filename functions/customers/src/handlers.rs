//! One function per route: check the caller may, read the input, run the
//! operation, shape the answer. Errors are returned, never built here.

use lambda_http::http::StatusCode;
use lambda_http::http::header::{CACHE_CONTROL, LOCATION};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use clientele_auth::{Access, Principal};
use clientele_core::contact::fold;
use clientele_core::lifecycle::{Action, Reason};
use clientele_core::validation::ObjectReader;
use clientele_core::{
    BusinessId, Customer, CustomerHistory, CustomerId, CustomerPatch, CustomerQuery, CustomerReader, CustomerStats,
    CustomerStatus, CustomerType, CustomerWriter, Email, NewCustomer, TagLabel, operations,
};
use clientele_http::body::{JSON, MERGE_PATCH_JSON, json_object};
use clientele_http::request::{QueryReader, path_param};
use clientele_http::response::{PageBody, empty, if_match, json, not_modified, tagged, with_header};
use clientele_http::upload;
use clientele_http::{ApiError, require};

use crate::App;
use crate::routes::Lifecycle;

/// Largest body accepted, in bytes: a customer is far smaller.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Page size when `limit` is not given.
pub const DEFAULT_PAGE: usize = 20;
/// Largest `limit`.
pub const MAX_PAGE: usize = clientele_store::customers::MAX_PAGE;

fn customer_id(segment: &str) -> Result<CustomerId, ApiError> {
    path_param(segment, "customer_id", CustomerId::parse)
}

fn customer_response(status: StatusCode, customer: &Customer) -> Response<Body> {
    tagged(json(status, customer), customer.version)
}

/// `POST /api/customers/`: 201 with `Location` and `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id))]
pub async fn create<S: CustomerWriter>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Write)?;
    let body = json_object(request, &[JSON], MAX_BODY_BYTES)?;
    let new = NewCustomer::from_json(&body).map_err(ApiError::Validation)?;
    let customer = operations::create(&app.store, principal.business_id, new, app.clock.now()).await?;
    tracing::info!(customer_id = %customer.id, "customer created");
    let location = format!("{}/{}", crate::routes::PREFIX, customer.id);
    Ok(with_header(
        customer_response(StatusCode::CREATED, &customer),
        LOCATION,
        &location,
    ))
}

/// `GET /api/customers/{id}`: 200 with `ETag`, or 304 when `If-None-Match` matches.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn get<S: CustomerReader>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Read)?;
    let id = customer_id(segment)?;
    let customer = operations::get(&app.store, principal.business_id, id).await?;
    if not_modified(request, customer.version) {
        return Ok(tagged(empty(StatusCode::NOT_MODIFIED), customer.version));
    }
    Ok(customer_response(StatusCode::OK, &customer))
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
    "business_id",
];

fn page_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {MAX_PAGE}")),
    }
}

fn name_prefix(text: &str) -> Result<String, &'static str> {
    let folded = fold(text);
    if folded.is_empty() || folded.chars().count() > clientele_core::contact::FULL_NAME_MAX_CHARS {
        return Err("must be 1 to 200 characters");
    }
    Ok(folded)
}

fn cursor(text: &str) -> Result<String, &'static str> {
    if text.is_empty() || text.len() > 512 {
        return Err("is not a cursor this query issued");
    }
    Ok(text.to_owned())
}

/// `GET /api/customers/`: the caller's business's customers, newest first.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id))]
pub async fn list<S: CustomerReader>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Read)?;
    let mut params = QueryReader::new(request);
    let limit = params.optional("limit", page_size).unwrap_or(DEFAULT_PAGE);
    let cursor = params.optional("cursor", cursor);
    let status = params.optional("status", str::parse::<CustomerStatus>);
    let customer_type = params.optional("customer_type", str::parse::<CustomerType>);
    let email = params.optional("email", Email::parse);
    let name_prefix = params.optional("name_prefix", name_prefix);
    let tag = params.optional("tag", TagLabel::parse);
    let business = params.optional("business_id", BusinessId::parse);
    params.refuse_unknown(LIST_PARAMETERS);
    params.finish()?;
    if business.is_some_and(|b| b != principal.business_id) {
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
        limit,
        cursor,
    };
    let page = operations::list(&app.store, principal.business_id, &query).await?;
    Ok(json(StatusCode::OK, &PageBody::from(page)))
}

/// `PATCH /api/customers/{id}`: a JSON merge patch, honouring `If-Match`, rate limited per customer.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn update<S: CustomerReader + CustomerWriter>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Write)?;
    let id = customer_id(segment)?;
    let precondition = if_match(request)?;
    let body = json_object(request, &[JSON, MERGE_PATCH_JSON], MAX_BODY_BYTES)?;
    let patch = CustomerPatch::from_json(&body).map_err(ApiError::Validation)?;
    let customer = operations::update(
        &app.store,
        principal.business_id,
        id,
        &patch,
        precondition.as_ref(),
        Some(&app.settings.patch_rate),
        app.clock.now(),
    )
    .await?;
    Ok(customer_response(StatusCode::OK, &customer))
}

/// `DELETE /api/customers/{id}`: 204; the customer and everything stored under it are gone.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn delete<S: CustomerReader + CustomerWriter>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Admin)?;
    let id = customer_id(segment)?;
    let precondition = if_match(request)?;
    operations::delete(
        &app.store,
        &app.avatars,
        principal.business_id,
        id,
        precondition.as_ref(),
        app.clock.now(),
    )
    .await?;
    tracing::info!(customer_id = %id, "customer deleted");
    Ok(empty(StatusCode::NO_CONTENT))
}

/// A customer's statistics and history.
#[derive(Debug, Serialize)]
struct StatsResponse<'a> {
    customer_id: CustomerId,
    #[serde(flatten)]
    stats: &'a CustomerStats,
    #[serde(flatten)]
    history: &'a CustomerHistory,
}

/// `GET /api/customers/{id}/stats`.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn stats<S: CustomerReader>(
    app: &App<S>,
    principal: &Principal,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Read)?;
    let id = customer_id(segment)?;
    let customer = operations::get(&app.store, principal.business_id, id).await?;
    let body = StatsResponse {
        customer_id: customer.id,
        stats: &customer.stats,
        history: &customer.history,
    };
    Ok(tagged(json(StatusCode::OK, &body), customer.version))
}

/// `POST /api/customers/{id}/avatar`: a PNG, JPEG or WebP image of at most
/// 2 MB, raw or as a multipart file. 200 with the customer.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn set_avatar<S: CustomerReader + CustomerWriter>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Write)?;
    let id = customer_id(segment)?;
    let image = upload::image(request).await?;
    let customer = operations::avatars::set(
        &app.store,
        &app.avatars,
        principal.business_id,
        id,
        image,
        app.clock.now(),
    )
    .await?;
    Ok(customer_response(StatusCode::OK, &customer))
}

/// `GET /api/customers/{id}/avatar`: 302 to a link to the image that works
/// for five minutes.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn avatar<S: CustomerReader>(
    app: &App<S>,
    principal: &Principal,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Read)?;
    let id = customer_id(segment)?;
    let key = operations::avatars::key_of(&app.store, principal.business_id, id).await?;
    let link = app.avatars.link(&key).await?;
    let response = with_header(empty(StatusCode::FOUND), LOCATION, &link);
    Ok(with_header(response, CACHE_CONTROL, "no-store"))
}

/// `POST /api/customers/{id}/validate`, `/suspend` (`{"reason": ...}`) and
/// `/reactivate`: admins only; 409 when the status does not allow it.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment, action = ?which))]
pub async fn lifecycle<S: CustomerReader + CustomerWriter>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
    which: Lifecycle,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Admin)?;
    let id = customer_id(segment)?;
    let precondition = if_match(request)?;
    let body = if request.body().is_empty() {
        serde_json::Map::new()
    } else {
        json_object(request, &[JSON], MAX_BODY_BYTES)?
    };
    let mut reader = ObjectReader::new(&body);
    let action = match which {
        Lifecycle::Validate => Some(Action::Validate),
        Lifecycle::Reactivate => Some(Action::Reactivate),
        Lifecycle::Suspend => reader.required("reason", Reason::parse).map(Action::Suspend),
    };
    reader.refuse_unknown(if which == Lifecycle::Suspend { &["reason"] } else { &[] });
    let action = reader.finish().into_result(|| action).map_err(ApiError::Validation)?;
    let customer = operations::lifecycle::apply(
        &app.store,
        principal.business_id,
        id,
        &action,
        &principal.id,
        precondition.as_ref(),
        app.clock.now(),
    )
    .await?;
    Ok(customer_response(StatusCode::OK, &customer))
}
