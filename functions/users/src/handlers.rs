//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer.

use lambda_http::http::StatusCode;
use lambda_http::http::header::LOCATION;

use clientele_core::team_user::{NewTeamUser, TeamUser, TeamUserPatch};
use clientele_core::{CustomerId, TeamUserId};
use clientele_http::response::{ItemsBody, empty, json, tagged, with_header};
use clientele_http::{ApiError, Caller, IfMatch, JsonObject, MergePatch, PathId, Response, State};
use clientele_operations::Context;
use clientele_operations::team_users;

/// Largest body accepted, in bytes: a user is a few short fields.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

fn shown(status: StatusCode, user: &TeamUser) -> Response {
    tagged(json(status, user), user.version)
}

/// `POST /api/customers/{customer_id}/users`: 201 with `Location` and
/// `ETag`; 409 when another user of the business has the email.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn add(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let new = NewTeamUser::from_json(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let user = team_users::add(&context.store, &actor, customer, new).await?;
    tracing::info!(user_id = %user.id, "team user added");
    let location = format!("/api/customers/{customer}/users/{}", user.id);
    Ok(with_header(shown(StatusCode::CREATED, &user), LOCATION, &location))
}

/// `GET /api/customers/{customer_id}/users`: every user of the customer
/// (at most 100), oldest first.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn of_customer(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let items = team_users::of_customer(&context.store, caller.business_id, customer).await?;
    Ok(json(StatusCode::OK, &ItemsBody { items }))
}

/// `GET /api/customers/{customer_id}/users/{user_id}`: 200 with `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer, user_id = %id))]
pub async fn get(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(id): PathId<TeamUserId>,
) -> Result<Response, ApiError> {
    let user = team_users::get(&context.store, caller.business_id, customer, id).await?;
    Ok(shown(StatusCode::OK, &user))
}

/// `PATCH /api/customers/{customer_id}/users/{user_id}`: a JSON merge
/// patch of the writable fields; honours `If-Match`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer, user_id = %id))]
pub async fn update(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(id): PathId<TeamUserId>,
    IfMatch(precondition): IfMatch,
    MergePatch(body): MergePatch<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let patch = TeamUserPatch::from_json(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let user = team_users::update(&context.store, &actor, (customer, id), &patch, precondition.as_ref()).await?;
    Ok(shown(StatusCode::OK, &user))
}

/// `DELETE /api/customers/{customer_id}/users/{user_id}`: 204; honours
/// `If-Match`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer, user_id = %id))]
pub async fn remove(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(id): PathId<TeamUserId>,
    IfMatch(precondition): IfMatch,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    team_users::remove(&context.store, &actor, (customer, id), precondition.as_ref()).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `POST /api/customers/{customer_id}/users/{user_id}/password-reset`: 202;
/// `user.password.reset` is recorded for the identity service, which sends
/// the reset. 409 when the user is disabled.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer, user_id = %id))]
pub async fn password_reset(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(id): PathId<TeamUserId>,
) -> Result<Response, ApiError> {
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    team_users::ask_password_reset(&context.store, &actor, (customer, id)).await?;
    Ok(empty(StatusCode::ACCEPTED))
}
