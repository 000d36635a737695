//! The local event flow of `make run`: the table's stream fed to the
//! publisher and sweeper functions that `cargo lambda watch` serves, as
//! Lambda's event source mappings feed them in the cloud, and the local tap
//! queue printed.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_stack::stream::StreamReader;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Records handed to the publisher per invocation: the mapping's batch size.
const BATCH_SIZE: usize = 100;

/// Invokes a function served by `cargo lambda watch` on the loopback interface.
struct Invoker {
    client: Client<HttpConnector, Full<Bytes>>,
    url: String,
}

impl Invoker {
    fn new(port: u16, function: &str) -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            url: format!("http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations"),
        }
    }

    async fn invoke(&self, event: Event) -> Result<DynamoDbEventResponse, String> {
        let body = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
        let request = hyper::Request::post(&self.url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self.client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let answer: Value = serde_json::from_slice(&body).map_err(|_| format!("answered {status} without JSON"))?;
        if !status.is_success() || answer.get("errorType").is_some() {
            return Err(format!("answered {status}: {answer}"));
        }
        serde_json::from_value(answer).map_err(|e| format!("answered something else than a batch response: {e}"))
    }
}

fn load_positions(path: &Path) -> HashMap<String, String> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn save_positions(path: &Path, positions: &HashMap<String, String>) -> Result<(), String> {
    let text = serde_json::to_vec_pretty(positions).map_err(|e| e.to_string())?;
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("saving stream positions in {}: {e}", path.display()))
}

/// Feeds the table's stream, for ever, to every function the template hands
/// it to (the publisher and the sweeper), each from its own position, as
/// each has its own event source mapping in the cloud. Positions are kept in
/// `state` (`stream-positions-<function>.json`), so that a restart goes on
/// where the last run stopped. Records a function reports failed are handed
/// to it again, after a pause that grows while it keeps failing.
pub async fn feed_stream(table: &str, port: u16, state: &Path) -> Result<(), String> {
    let template = clientele_stack::Template::bundled().map_err(|e| e.to_string())?;
    let functions: Vec<String> = template
        .functions()
        .into_iter()
        .filter(|f| f.reads_stream)
        .map(|f| f.binary)
        .collect();
    let feeds = functions.iter().map(|function| feed_one(table, port, state, function));
    futures_util::future::try_join_all(feeds).await.map(|_| ())
}

async fn feed_one(table: &str, port: u16, state: &Path, function: &str) -> Result<(), String> {
    let positions = state.join(format!("stream-positions-{function}.json"));
    let sdk = clientele_startup::aws::sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
    let mut reader = StreamReader::open(&dynamodb, streams, table, load_positions(&positions))
        .await
        .map_err(|e| e.to_string())?;
    let invoker = Invoker::new(port, function);
    eprintln!("local-stream: feeding {} to the {function}", reader.arn());
    let mut pause = Duration::from_millis(500);
    loop {
        match reader.feed(BATCH_SIZE, |event| invoker.invoke(event)).await {
            Ok(0) => pause = Duration::from_millis(500),
            Ok(_) => {
                save_positions(&positions, reader.positions())?;
                pause = Duration::ZERO;
            }
            Err(error) => {
                pause = (pause * 2).clamp(Duration::from_secs(1), Duration::from_secs(30));
                eprintln!(
                    "local-stream: {function}: {error}; trying again in {} s",
                    pause.as_secs()
                );
            }
        }
        tokio::time::sleep(pause).await;
    }
}

/// Prints the events waiting in the local tap queue, one JSON document per
/// line (detail-type, source, time and detail), and takes them off the queue.
/// With `follow`, keeps waiting for more until interrupted.
pub async fn print_events(queue: &str, follow: bool) -> Result<(), String> {
    let sdk = clientele_startup::aws::sdk_config().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = sqs
        .get_queue_url()
        .queue_name(queue)
        .send()
        .await
        .map_err(|e| {
            format!(
                "finding the queue {queue}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| format!("no URL for the queue {queue}"))?;
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|e| format!("reading {queue}: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
        let messages = received.messages();
        if messages.is_empty() && !follow {
            return Ok(());
        }
        for message in messages {
            let event: Value = message
                .body()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or(Value::Null);
            let line = serde_json::json!({
                "detail-type": event.get("detail-type"),
                "source": event.get("source"),
                "time": event.get("time"),
                "detail": event.get("detail"),
            });
            println!("{line}");
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(&url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "taking an event off {queue}: {}",
                            aws_sdk_sqs::error::DisplayErrorContext(&e)
                        )
                    })?;
            }
        }
    }
}
