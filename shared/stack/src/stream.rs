//! The table's stream, read the way Lambda's event source mapping reads it,
//! for `make run` (which feeds the publisher with it) and for the tests.
//!
//! Records come back from the DynamoDB Streams API; [`lambda_event`] turns
//! them into exactly the event Lambda would hand the publisher.

use std::collections::HashMap;

use std::future::Future;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use aws_sdk_dynamodbstreams::error::ProvideErrorMetadata;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{Value, json};

use crate::StackError;

fn failed(what: &str, error: impl std::fmt::Display) -> StackError {
    StackError::Provision(format!("{what}: {error}"))
}

/// A service's answer in one line: its error code and message.
fn refused<E: ProvideErrorMetadata>(what: &str, error: &E) -> StackError {
    failed(
        what,
        format_args!(
            "{} ({})",
            error.code().unwrap_or("no answer"),
            error.message().unwrap_or("no message")
        ),
    )
}

/// Reads a table's stream from where it last stopped.
#[derive(Debug)]
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    /// The last sequence number handled, per shard.
    positions: HashMap<String, String>,
}

impl StreamReader {
    /// A reader of `table`'s stream, starting after `positions` (per shard),
    /// or at the oldest record for shards not named.
    pub async fn open(
        dynamodb: &aws_sdk_dynamodb::Client,
        client: aws_sdk_dynamodbstreams::Client,
        table: &str,
        positions: HashMap<String, String>,
    ) -> Result<Self, StackError> {
        let description = dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| refused("describing the table", &e))?;
        let arn = description
            .table()
            .and_then(|t| t.latest_stream_arn())
            .ok_or_else(|| failed("the table", "has no stream"))?
            .to_owned();
        Ok(Self { client, arn, positions })
    }

    /// The stream's ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Where reading stands, per shard.
    pub fn positions(&self) -> &HashMap<String, String> {
        &self.positions
    }

    /// The records not yet handled, oldest first, per shard in order, at most
    /// `limit` of them. They count as handled only once [`Self::handled`] says so.
    pub async fn unhandled(&self, limit: usize) -> Result<Vec<(String, Record)>, StackError> {
        let stream = self
            .client
            .describe_stream()
            .stream_arn(&self.arn)
            .send()
            .await
            .map_err(|e| refused("describing the stream", &e))?;
        let shards = stream
            .stream_description()
            .map(|d| d.shards().to_vec())
            .unwrap_or_default();
        let mut found = Vec::new();
        for shard in shards {
            let Some(shard_id) = shard.shard_id() else { continue };
            let mut request = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.arn)
                .shard_id(shard_id);
            request = match self.positions.get(shard_id) {
                Some(sequence) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(sequence),
                None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            let iterator = request.send().await.map_err(|e| refused("opening a shard", &e))?;
            let mut next = iterator.shard_iterator().map(str::to_owned);
            while let Some(position) = next.take() {
                let page = self
                    .client
                    .get_records()
                    .shard_iterator(position)
                    .limit(i32::try_from(limit).unwrap_or(1000).clamp(1, 1000))
                    .send()
                    .await
                    .map_err(|e| refused("reading a shard", &e))?;
                let records = page.records().to_vec();
                if records.is_empty() {
                    break;
                }
                found.extend(records.into_iter().map(|r| (shard_id.to_owned(), r)));
                if found.len() >= limit {
                    found.truncate(limit);
                    return Ok(found);
                }
                next = page.next_shard_iterator().map(str::to_owned);
            }
        }
        Ok(found)
    }

    /// Hands the oldest unhandled records of one shard (at most `limit`) to
    /// `invoke` as one Lambda event, as Lambda's event source mapping does,
    /// and moves past what it took: every record when the answer reports no
    /// failure, the records before the first reported failure otherwise, and
    /// none when the invocation failed. Returns how many records were handled.
    pub async fn feed<F, Fut>(&mut self, limit: usize, invoke: F) -> Result<usize, StackError>
    where
        F: FnOnce(Event) -> Fut,
        Fut: Future<Output = Result<DynamoDbEventResponse, String>>,
    {
        let records = self.unhandled(limit).await?;
        let Some((shard, _)) = records.first() else {
            return Ok(0);
        };
        let shard = shard.clone();
        let batch: Vec<Record> = records
            .into_iter()
            .take_while(|(s, _)| *s == shard)
            .map(|(_, r)| r)
            .collect();
        let answer = invoke(lambda_event(&self.arn, &batch)?)
            .await
            .map_err(|e| failed("invoking the function", e))?;
        let first_failure = answer
            .batch_item_failures
            .iter()
            .filter_map(|f| f.item_identifier.as_deref())
            .filter_map(|id| batch.iter().position(|r| sequence_of(r) == Some(id)))
            .min();
        let handled = first_failure.unwrap_or(batch.len());
        if let Some(last) = handled.checked_sub(1).and_then(|i| batch.get(i)) {
            self.handled(&shard, last);
        }
        Ok(handled)
    }

    /// Marks a record, and every record before it in its shard, as handled.
    pub fn handled(&mut self, shard: &str, record: &Record) {
        if let Some(sequence) = sequence_of(record) {
            self.positions.insert(shard.to_owned(), sequence.to_owned());
        }
    }
}

fn sequence_of(record: &Record) -> Option<&str> {
    record.dynamodb().and_then(|d| d.sequence_number())
}

fn image(item: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>) -> Value {
    let item: serde_dynamo::Item = item.cloned().unwrap_or_default().into();
    serde_json::to_value(item).unwrap_or(Value::Null)
}

/// The event Lambda's event source mapping would hand a function for these records.
pub fn lambda_event(stream_arn: &str, records: &[Record]) -> Result<Event, StackError> {
    let records: Vec<Value> = records
        .iter()
        .map(|r| {
            let change = r.dynamodb();
            json!({
                "eventID": r.event_id(),
                "eventName": r.event_name().map(|n| n.as_str()),
                "eventVersion": r.event_version().unwrap_or("1.1"),
                "eventSource": "aws:dynamodb",
                "awsRegion": r.aws_region().unwrap_or("us-east-1"),
                "eventSourceARN": stream_arn,
                "dynamodb": {
                    "ApproximateCreationDateTime": change.and_then(|c| c.approximate_creation_date_time()).map_or(0, |t| t.secs()),
                    "Keys": image(change.and_then(|c| c.keys.as_ref())),
                    "NewImage": image(change.and_then(|c| c.new_image.as_ref())),
                    "OldImage": image(change.and_then(|c| c.old_image.as_ref())),
                    "SequenceNumber": change.and_then(|c| c.sequence_number()),
                    "SizeBytes": change.and_then(|c| c.size_bytes()).unwrap_or(0),
                    "StreamViewType": change.and_then(|c| c.stream_view_type()).map(|v| v.as_str()),
                }
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).map_err(|e| failed("building the stream event", e))
}
