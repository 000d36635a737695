//! One function per route: check the caller may, read the input, run the
//! operation, shape the answer.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use clientele_auth::{Access, Principal};
use clientele_core::operations::tags;
use clientele_core::{CustomerError, CustomerId, CustomerReader, NewTag, TagId, TagStore};
use clientele_http::body::{JSON, json_value};
use clientele_http::problem::labels_taken;
use clientele_http::request::path_param;
use clientele_http::response::{ItemsBody, empty, json};
use clientele_http::{ApiError, require};

use crate::App;

/// Largest body accepted, in bytes: 25 tags fit easily.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

fn customer_id(segment: &str) -> Result<CustomerId, ApiError> {
    path_param(segment, "customer_id", CustomerId::parse)
}

fn tag_id(segment: &str) -> Result<TagId, ApiError> {
    path_param(segment, "tag_id", TagId::parse)
}

/// 409 names `label` for one tag, `[i].label` for a list.
fn refused(list: bool) -> impl Fn(CustomerError) -> ApiError {
    move |error| match error {
        CustomerError::LabelsTaken(indexes) => labels_taken(&indexes, list),
        other => other.into(),
    }
}

/// `POST /api/customers/tags/`: one tag; the body names the customer. 201.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id))]
pub async fn create<S: CustomerReader + TagStore>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Write)?;
    let body = json_value(request, &[JSON], MAX_BODY_BYTES)?;
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::MalformedJson("the body must be a JSON object".to_owned()))?;
    let (customer, tag) = NewTag::with_customer_from_json(object).map_err(ApiError::Validation)?;
    let added = tags::add(
        &app.store,
        principal.business_id,
        customer,
        vec![tag],
        &principal.id,
        app.clock.now(),
    )
    .await
    .map_err(refused(false))?;
    Ok(json(StatusCode::CREATED, &added[0]))
}

/// `POST /api/customers/{customer_id}/tags`: one tag (answered with the tag)
/// or a list (answered with the list), all or nothing. 201.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn add_to<S: CustomerReader + TagStore>(
    app: &App<S>,
    principal: &Principal,
    request: &Request,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Write)?;
    let customer = customer_id(segment)?;
    let body = json_value(request, &[JSON], MAX_BODY_BYTES)?;
    let list = body.is_array();
    let new = NewTag::many_from_json(&body).map_err(ApiError::Validation)?;
    let added = tags::add(
        &app.store,
        principal.business_id,
        customer,
        new,
        &principal.id,
        app.clock.now(),
    )
    .await
    .map_err(refused(list))?;
    Ok(if list {
        json(StatusCode::CREATED, &added)
    } else {
        json(StatusCode::CREATED, &added[0])
    })
}

/// `GET /api/customers/tags/customer/{customer_id}`: by priority, then label.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, customer_id = segment))]
pub async fn list_of<S: CustomerReader + TagStore>(
    app: &App<S>,
    principal: &Principal,
    segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Read)?;
    let customer = customer_id(segment)?;
    let tags = tags::list(&app.store, principal.business_id, customer).await?;
    Ok(json(StatusCode::OK, &ItemsBody { items: tags }))
}

/// `DELETE /api/customers/tags/{tag_id}` and
/// `DELETE /api/customers/{customer_id}/tags/{tag_id}`: 204.
#[tracing::instrument(skip_all, fields(business_id = %principal.business_id, tag_id = tag_segment))]
pub async fn remove<S: CustomerReader + TagStore>(
    app: &App<S>,
    principal: &Principal,
    customer_segment: Option<&str>,
    tag_segment: &str,
) -> Result<Response<Body>, ApiError> {
    require(principal, Access::Admin)?;
    let customer = customer_segment.map(customer_id).transpose()?;
    let tag = tag_id(tag_segment)?;
    tags::remove(&app.store, principal.business_id, tag, customer, app.clock.now()).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
