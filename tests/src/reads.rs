//! What reads cost: an SDK interceptor that asks DynamoDB for the capacity
//! each read consumes and adds up the calls, the items read and the capacity
//! units, so a benchmark can print what one page of an API call costs.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::app::sdk_config;

/// Reads made, added up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reads {
    /// Calls: queries, batch reads and single reads.
    pub calls: u64,
    /// Items returned.
    pub items: u64,
    /// Items DynamoDB read to return them (a query's scanned count).
    pub scanned: u64,
    /// Read capacity units consumed, as DynamoDB reports them.
    pub capacity: f64,
}

/// Adds up the reads of the clients it is given to.
#[derive(Debug, Clone, Default)]
pub struct ReadMeter {
    reads: Arc<Mutex<Reads>>,
}

impl ReadMeter {
    /// The reads so far, and starts again from none.
    pub fn take(&self) -> Reads {
        std::mem::take(&mut *self.reads.lock().expect("not poisoned"))
    }

    fn add(&self, items: u64, scanned: u64, capacity: f64) {
        let mut reads = self.reads.lock().expect("not poisoned");
        reads.calls += 1;
        reads.items += items;
        reads.scanned += scanned;
        reads.capacity += capacity;
    }

    /// A DynamoDB client at `endpoint` whose reads this meter adds up.
    pub async fn client(&self, endpoint: &str) -> aws_sdk_dynamodb::Client {
        let sdk = sdk_config(endpoint).await;
        let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

fn count(n: i32) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Intercept for ReadMeter {
    fn name(&self) -> &'static str {
        "ReadMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        if let Some(query) = input.downcast_mut::<QueryInput>() {
            query.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
        } else if let Some(batch) = input.downcast_mut::<BatchGetItemInput>() {
            batch.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
        } else if let Some(get) = input.downcast_mut::<GetItemInput>() {
            get.return_consumed_capacity = Some(ReturnConsumedCapacity::Total);
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        if let Some(query) = output.downcast_ref::<QueryOutput>() {
            let units = query
                .consumed_capacity()
                .and_then(|c| c.capacity_units())
                .unwrap_or(0.0);
            self.add(count(query.count()), count(query.scanned_count()), units);
        } else if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            let items = batch.responses().map_or(0, |r| r.values().map(Vec::len).sum::<usize>());
            let units = batch
                .consumed_capacity()
                .iter()
                .filter_map(|c| c.capacity_units())
                .sum::<f64>();
            let items = u64::try_from(items).unwrap_or(0);
            self.add(items, items, units);
        } else if let Some(get) = output.downcast_ref::<GetItemOutput>() {
            let units = get.consumed_capacity().and_then(|c| c.capacity_units()).unwrap_or(0.0);
            let found = u64::from(get.item().is_some());
            self.add(found, found, units);
        }
        Ok(())
    }
}
