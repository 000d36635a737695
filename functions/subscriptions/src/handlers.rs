//! One function per route: the caller (already let through by the route's
//! gate) and the inputs arrive as arguments; each handler runs its operation
//! and shapes the answer.

use lambda_http::http::StatusCode;
use lambda_http::http::header::LOCATION;

use clientele_core::subscription::{NewPlan, Plan, PlanPatch, Subscription, at_period_end, plan_named};
use clientele_core::{CustomerId, PlanId, SubscriptionId};
use clientele_http::response::{ItemsBody, json, tagged, with_header};
use clientele_http::{ApiError, Caller, IfMatch, JsonObject, MergePatch, OptionalJsonObject, PathId, Response, State};
use clientele_operations::Context;
use clientele_operations::subscriptions::{self, Change};

/// Largest body accepted, in bytes: a plan or a subscription is a few
/// short fields.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

fn plan_shown(status: StatusCode, plan: &Plan) -> Response {
    tagged(json(status, plan), plan.version)
}

fn subscription_shown(status: StatusCode, subscription: &Subscription) -> Response {
    tagged(json(status, subscription), subscription.version)
}

/// `POST /api/plans`: 201 with `Location` and `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn create_plan(
    State(context): State<Context>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let new = NewPlan::from_json(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let plan = subscriptions::create_plan(&context.store, &actor, new).await?;
    tracing::info!(plan_id = %plan.id, "plan made");
    let location = format!("/api/plans/{}", plan.id);
    Ok(with_header(plan_shown(StatusCode::CREATED, &plan), LOCATION, &location))
}

/// `GET /api/plans`: the business's plans, oldest first.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn plans(State(context): State<Context>, Caller(caller): Caller) -> Result<Response, ApiError> {
    let items = subscriptions::plans(&context.store, caller.business_id).await?;
    Ok(json(StatusCode::OK, &ItemsBody { items }))
}

/// `GET /api/plans/{plan_id}`: 200 with `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, plan_id = %id))]
pub async fn plan(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<PlanId>,
) -> Result<Response, ApiError> {
    let plan = subscriptions::plan(&context.store, caller.business_id, id).await?;
    Ok(plan_shown(StatusCode::OK, &plan))
}

/// `PATCH /api/plans/{plan_id}`: a merge patch of its name, price, tokens
/// per period or `active`; honours `If-Match`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, plan_id = %id))]
pub async fn update_plan(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(id): PathId<PlanId>,
    IfMatch(precondition): IfMatch,
    MergePatch(body): MergePatch<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let patch = PlanPatch::from_json(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let plan = subscriptions::update_plan(&context.store, &actor, id, &patch, precondition.as_ref()).await?;
    Ok(plan_shown(StatusCode::OK, &plan))
}

/// `POST /api/customers/{customer_id}/subscriptions`: subscribes the
/// customer to `plan_id`; 201 with `Location` and `ETag`; 409 when it has
/// an active subscription.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn subscribe(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let plan = plan_named(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let subscription = subscriptions::subscribe(&context.store, &actor, customer, plan).await?;
    tracing::info!(subscription_id = %subscription.id, "subscribed");
    let location = format!("/api/customers/{customer}/subscriptions/{}", subscription.id);
    Ok(with_header(
        subscription_shown(StatusCode::CREATED, &subscription),
        LOCATION,
        &location,
    ))
}

/// `GET /api/customers/{customer_id}/subscriptions`: every subscription of
/// the customer, newest first.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer))]
pub async fn of_customer(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let items = subscriptions::of_customer(&context.store, caller.business_id, customer).await?;
    Ok(json(StatusCode::OK, &ItemsBody { items }))
}

/// `GET /api/customers/{customer_id}/subscriptions/{subscription_id}`: 200
/// with `ETag`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer, subscription_id = %id))]
pub async fn get(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(id): PathId<SubscriptionId>,
) -> Result<Response, ApiError> {
    let subscription = subscriptions::get(&context.store, caller.business_id, customer, id).await?;
    Ok(subscription_shown(StatusCode::OK, &subscription))
}

/// `PATCH /api/customers/{customer_id}/subscriptions/{subscription_id}`:
/// `{"plan_id"}`, another plan of the same period for the periods to come;
/// honours `If-Match`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer, subscription_id = %id))]
pub async fn change_plan(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(id): PathId<SubscriptionId>,
    IfMatch(precondition): IfMatch,
    MergePatch(body): MergePatch<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let plan = plan_named(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let changed = subscriptions::change(
        &context.store,
        &actor,
        (customer, id),
        Change::Plan(plan),
        precondition.as_ref(),
    )
    .await?;
    Ok(subscription_shown(StatusCode::OK, &changed))
}

/// `POST .../subscriptions/{subscription_id}/cancel`: ends it now, or with
/// `{"at_period_end": true}` at the end of its period; honours `If-Match`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %customer, subscription_id = %id))]
pub async fn cancel(
    State(context): State<Context>,
    Caller(caller): Caller,
    PathId(customer): PathId<CustomerId>,
    PathId(id): PathId<SubscriptionId>,
    IfMatch(precondition): IfMatch,
    OptionalJsonObject(body): OptionalJsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let at_period_end = at_period_end(&body)?;
    let actor = context.actor(caller.business_id, &caller.qualified_id());
    let cancelled = subscriptions::change(
        &context.store,
        &actor,
        (customer, id),
        Change::Cancel { at_period_end },
        precondition.as_ref(),
    )
    .await?;
    Ok(subscription_shown(StatusCode::OK, &cancelled))
}
