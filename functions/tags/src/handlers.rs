//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer.

use lambda_http::http::StatusCode;

use clientele_core::{CustomerId, NewTag, OperationError, TagId, ValidationErrors};
use clientele_http::response::{ItemsBody, empty, json};
use clientele_http::{ApiError, Caller, JsonValue, PathId, Response, State};
use clientele_operations::Context;
use clientele_operations::tags;
use clientele_operations::views::TagView;

/// Largest body accepted, in bytes: 25 tags fit easily.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// The 409 for labels a customer already has, naming `label` for a body of
/// one tag, or `[i].label` for the tags of a list.
fn labels_taken(indexes: &[usize], list: bool) -> ApiError {
    let mut errors = ValidationErrors::new();
    for i in indexes {
        let field = if list {
            format!("[{i}].label")
        } else {
            "label".to_owned()
        };
        errors.push(&field, "is already a tag of this customer");
    }
    ApiError::Conflict {
        detail: "The customer already has a tag with this label.".to_owned(),
        errors,
    }
}

/// An operation's refusal, the taken labels named as the body named them.
fn refused(list: bool) -> impl Fn(OperationError) -> ApiError {
    move |error| match error {
        OperationError::LabelsTaken(indexes) => labels_taken(&indexes, list),
        other => other.into(),
    }
}

/// `POST /api/customers/tags/`: one tag; the body names the customer. 201.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn create(
    State(context): State<Context>,
    Caller(caller): Caller,
    JsonValue(body): JsonValue<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let object = body
        .as_object()
        .ok_or_else(|| ApiError::MalformedJson("the body must be a JSON object".to_owned()))?;
    let (customer, tag) = NewTag::with_customer_from_json(object)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let added = tags::add(&context.store, &actor, customer, vec![tag])
        .await
        .map_err(refused(false))?;
    Ok(json(StatusCode::CREATED, &added.first().map(TagView::from)))
}

/// `POST /api/customers/{customer_id}/tags`: one tag (answered with the tag)
/// or a list (answered with the list), all or nothing. 201.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn add_to(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonValue(body): JsonValue<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let list = body.is_array();
    let new = NewTag::many_from_json(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let added = tags::add(&context.store, &actor, customer, new)
        .await
        .map_err(refused(list))?;
    let shown: Vec<TagView> = added.iter().map(TagView::from).collect();
    Ok(if list {
        json(StatusCode::CREATED, &shown)
    } else {
        json(StatusCode::CREATED, &shown.first())
    })
}

/// `GET /api/customers/tags/customer/{customer_id}`: by priority, then label.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn list_of(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let tags = tags::list(&context.store, caller.business_id, customer).await?;
    let body = ItemsBody {
        items: tags.iter().map(TagView::from).collect(),
    };
    Ok(json(StatusCode::OK, &body))
}

/// `DELETE /api/customers/tags/{tag_id}`: 204.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, tag_id = %tag))]
pub async fn remove(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(tag): PathId<TagId>,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    tags::remove(&context.store, &actor, tag, None).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `DELETE /api/customers/{customer_id}/tags/{tag_id}`: 204, only if the tag
/// is on that customer.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, tag_id = %tag))]
pub async fn remove_from(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(tag): PathId<TagId>,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    tags::remove(&context.store, &actor, tag, Some(customer)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}
