//! A customer's orders, as the orders service reported them: the history,
//! one order, and the statistics with the order report.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use serde::Serialize;

use clientele_core::order::{OrderId, OrderReport, OrderStatus};
use clientele_core::{CustomerId, Page, Timestamp};
use clientele_http::response::{PageBody, json};
use clientele_http::{ApiError, Caller, Location, PathId, QueryReader, Response, State};
use clientele_operations::orders;
use clientele_operations::views::StatisticsView;
use clientele_store::orders::OrderQuery;

use crate::App;
use crate::handlers::{DEFAULT_PAGE, MAX_PAGE};

/// Query parameters of the order history.
const HISTORY_PARAMETERS: &[&str] = &["limit", "cursor", "status", "placed_from", "placed_to"];

/// `GET /api/customers/{customer_id}/orders`: the customer's orders, newest
/// first (by when they were placed), filtered by status and placing time.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn history(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    mut params: QueryReader,
) -> Result<Response, ApiError> {
    let (limit, cursor) = params.paging(DEFAULT_PAGE, MAX_PAGE);
    let query = OrderQuery {
        limit,
        cursor,
        status: params.optional("status", str::parse::<OrderStatus>),
        placed_from: params.optional("placed_from", Timestamp::parse),
        placed_to: params.optional("placed_to", Timestamp::parse),
    };
    params.refuse_unknown(HISTORY_PARAMETERS);
    params.finish()?;
    if let (Some(from), Some(to)) = (query.placed_from, query.placed_to)
        && to <= from
    {
        return Err(ApiError::parameter(
            "placed_to",
            Location::Query,
            "must be after placed_from",
        ));
    }
    let Page { items, next_cursor } = orders::list(&app.context.store, caller.business_id, id, &query).await?;
    Ok(json(StatusCode::OK, &PageBody { items, next_cursor }))
}

/// `GET /api/customers/{customer_id}/orders/{order_id}`.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id, order_id = %order))]
pub async fn order(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
    PathId(order): PathId<OrderId>,
) -> Result<Response, ApiError> {
    let found = orders::get(&app.context.store, caller.business_id, id, &order).await?;
    Ok(json(StatusCode::OK, &found))
}

/// What `/stats` says, and the order report.
#[derive(Debug, Serialize)]
struct StatisticsBody<'a> {
    customer_id: CustomerId,
    #[serde(flatten)]
    statistics: StatisticsView<'a>,
    orders: OrderReport,
}

/// `GET /api/customers/{customer_id}/statistics`: the totals `/stats` gives,
/// and the report of the customer's orders.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, customer_id = %id))]
pub async fn statistics(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<CustomerId>,
) -> Result<Response, ApiError> {
    let (customer, report) = orders::report(&app.context.store, caller.business_id, id).await?;
    let body = StatisticsBody {
        customer_id: customer.id,
        statistics: StatisticsView::from(&customer),
        orders: report,
    };
    Ok(json(StatusCode::OK, &body))
}
