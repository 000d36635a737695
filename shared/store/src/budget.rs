//! The request budget: how many requests each business, and each client
//! within it, may make per window, shared by every instance of every route
//! function.
//!
//! One item per business and window (`pk = BUDGET#<business>`,
//! `sk = <window start>`) holds the business's count and each client's;
//! every request spends from it with one conditional `UpdateItem`, so a
//! request costs exactly one extra write, and a business or client whose
//! budget is spent is refused before anything else is read or written. The
//! items expire (TTL) a minute after their window.

use aws_sdk_dynamodb::types::AttributeValue;
use std::sync::Arc;

use clientele_core::{BusinessId, Clock, Rate, SystemClock};
use clientele_startup::{ConfigError, Lookup, parsed_or};

use crate::DynamoStore;
use crate::errors::{classify, condition_failed};
use crate::keys::attr;

/// The kind of a budget item.
pub const BUDGET: &str = "RequestBudget";
/// Budget items are kept this long after their window ends, then expire.
const GRACE_SECONDS: i64 = 60;

/// Why a request may not be served now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spent {
    /// When the window ends.
    pub retry_after_seconds: u64,
}

/// What the requests of each business and client may spend.
#[derive(Clone)]
pub struct RequestBudget {
    store: DynamoStore,
    business: Rate,
    client: Rate,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RequestBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBudget")
            .field("business", &self.business)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl RequestBudget {
    /// Requests a business may make, unless `REQUEST_BUDGET` says otherwise:
    /// 6,000 a minute (100 a second).
    pub const DEFAULT_BUSINESS: Rate = Rate {
        limit: 6_000,
        period_seconds: 60,
    };
    /// Requests one client may make, unless `CLIENT_REQUEST_BUDGET` says
    /// otherwise: 1,200 a minute, a fifth of its business's.
    pub const DEFAULT_CLIENT: Rate = Rate {
        limit: 1_200,
        period_seconds: 60,
    };

    /// A budget of `business` requests per business and `client` requests
    /// per client, counted in `store`. Both are counted in one window, so
    /// they must have the same period.
    pub fn new(store: DynamoStore, business: Rate, client: Rate) -> Result<Self, String> {
        if business.period_seconds != client.period_seconds {
            return Err(format!(
                "the business budget ({business}) and the client budget ({client}) must be counted per the same period"
            ));
        }
        Ok(Self {
            store,
            business,
            client,
            clock: Arc::new(SystemClock),
        })
    }

    /// The same budget, its windows told by `clock` (a test's own).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The budget of `REQUEST_BUDGET` and `CLIENT_REQUEST_BUDGET`.
    pub fn from_env(env: &impl Lookup, store: DynamoStore) -> Result<Self, ConfigError> {
        let business = parsed_or(env, "REQUEST_BUDGET", Self::DEFAULT_BUSINESS)?;
        let client = parsed_or(env, "CLIENT_REQUEST_BUDGET", Self::DEFAULT_CLIENT)?;
        Self::new(store, business, client).map_err(|reason| ConfigError::Invalid {
            name: "CLIENT_REQUEST_BUDGET",
            reason,
        })
    }

    /// Spends one request of `business` (and of `client`, for a client's
    /// request). A budget that cannot be reached does not refuse anything:
    /// it keeps tenants fair, it does not guard data, and the request will
    /// meet the same outage if it lasts.
    pub async fn spend(&self, business: BusinessId, client: Option<&str>) -> Result<(), Spent> {
        let now = self.clock.now();
        let window = self.business.window(now);
        let mut update = String::from("ADD #total :one");
        let mut condition = String::from("(attribute_not_exists(#total) OR #total < :business_limit)");
        let mut request = self
            .store
            .client
            .update_item()
            .table_name(self.store.table.as_ref())
            .key(attr::PK, AttributeValue::S(format!("BUDGET#{business}")))
            .key(attr::SK, AttributeValue::S(window.starts_at.to_string()))
            .expression_attribute_names("#total", "total")
            .expression_attribute_names("#entity", attr::ENTITY)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(":business_limit", AttributeValue::N(self.business.limit.to_string()))
            .expression_attribute_values(":entity", AttributeValue::S(BUDGET.to_owned()))
            .expression_attribute_values(
                ":expires_at",
                AttributeValue::N((window.ends_at + GRACE_SECONDS).to_string()),
            );
        if let Some(client) = client {
            update.push_str(", #client :one");
            condition.push_str(" AND (attribute_not_exists(#client) OR #client < :client_limit)");
            request = request
                .expression_attribute_names("#client", format!("client:{client}"))
                .expression_attribute_values(":client_limit", AttributeValue::N(self.client.limit.to_string()));
        }
        update.push_str(" SET #entity = :entity, #expires_at = :expires_at");
        let spent = request
            .update_expression(update)
            .condition_expression(condition)
            .send()
            .await;
        match spent {
            Ok(_) => Ok(()),
            Err(error) if condition_failed(&error) => Err(Spent {
                retry_after_seconds: window.retry_after(now),
            }),
            Err(error) => {
                let error = classify(error);
                tracing::warn!(%error, %business, "the request budget could not be counted; the request goes on");
                Ok(())
            }
        }
    }
}
