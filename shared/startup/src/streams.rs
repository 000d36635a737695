//! What the functions that read the table's stream share: records handled
//! in order, and the first one that fails handed back to the stream (a
//! partial batch failure), so that it and every record after it come again.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

/// The answer that hands the stream back from `record`: it and every
/// record after it are retried.
pub fn retry_from(record: &EventRecord) -> DynamoDbEventResponse {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = record.change.sequence_number.clone();
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures.push(failure);
    response
}

/// Runs `step` on what `pick` finds in each record of `event` (records it
/// finds nothing in are not the function's), in order. The first step that
/// fails stops the batch and is handed back ([`retry_from`]); the step logs
/// why it failed.
pub async fn in_order<T, O, E>(
    event: &Event,
    pick: impl Fn(&EventRecord) -> Option<T>,
    step: impl AsyncFn(T) -> Result<O, E>,
) -> DynamoDbEventResponse {
    for record in &event.records {
        let Some(found) = pick(record) else {
            continue;
        };
        if step(found).await.is_err() {
            return retry_from(record);
        }
    }
    DynamoDbEventResponse::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sequence: &str, name: &str) -> EventRecord {
        let mut record = EventRecord::default();
        record.event_name = name.to_owned();
        record.change.sequence_number = Some(sequence.to_owned());
        record
    }

    #[tokio::test]
    async fn the_first_step_that_fails_is_handed_back_with_what_follows() {
        let mut event = Event::default();
        event.records = vec![
            record("1", "ours"),
            record("2", "theirs"),
            record("3", "fails"),
            record("4", "ours"),
        ];
        let ran = std::sync::Mutex::new(Vec::new());
        let pick = |r: &EventRecord| (r.event_name != "theirs").then(|| r.event_name.clone());
        let answer = in_order(&event, pick, async |name: String| {
            ran.lock().unwrap().push(name.clone());
            if name == "fails" { Err("no") } else { Ok(()) }
        })
        .await;
        assert_eq!(
            *ran.lock().unwrap(),
            ["ours", "fails"],
            "nothing after the failure runs"
        );
        let handed_back: Vec<_> = answer
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(handed_back, [Some("3".to_owned())]);

        event.records.truncate(2);
        let answer = in_order(&event, pick, async |_: String| Ok::<_, &str>(())).await;
        assert!(
            answer.batch_item_failures.is_empty(),
            "a batch that runs through hands nothing back"
        );
    }
}
