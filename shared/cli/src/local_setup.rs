//! `clientele local-setup`: the template's table, bus, secret and bucket on
//! the local endpoints, the queues of the local event flow, and the demo data.
//!
//! It only ever talks to this machine: every endpoint the AWS SDK would use
//! must be named by its standard variables and be a loopback address, or it
//! refuses before any call. It never overwrites an existing secret.

use clientele_auth::SigningKey;
use clientele_stack::{
    SecretState, Template, create_bucket, create_event_bus, create_queue, create_table, create_tap, keep_secret,
    local_s3,
};
use clientele_store::DynamoStore;

/// The local stack's names for what `local-setup` creates.
pub struct LocalStack<'a> {
    pub table: &'a str,
    pub bus: &'a str,
    pub secret_id: &'a str,
    pub key: &'a str,
    pub bucket: &'a str,
    pub event_source: &'a str,
    pub tap_queue: &'a str,
    pub dead_letter_queue: &'a str,
    pub data_responses_queue: &'a str,
}

fn said(created: bool) -> &'static str {
    if created { "created" } else { "already there" }
}

/// Sets up the local stack, printing what it did.
pub async fn run(stack: &LocalStack<'_>) -> Result<(), String> {
    clientele_stack::require_loopback(|name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
    let LocalStack {
        table,
        bus,
        secret_id,
        key,
        bucket,
        ..
    } = *stack;
    SigningKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let template = Template::bundled().map_err(|e| e.to_string())?;
    let sdk = clientele_startup::aws::sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let definition = template.table().map_err(|e| e.to_string())?;
    let created = create_table(&dynamodb, table, &definition)
        .await
        .map_err(|e| e.to_string())?;
    println!("table {table}: {}", said(created));
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let created = create_event_bus(&events, bus).await.map_err(|e| e.to_string())?;
    println!("event bus {bus}: {}", said(created));
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let tap = create_tap(&events, &sqs, bus, stack.event_source, stack.tap_queue)
        .await
        .map_err(|e| e.to_string())?;
    println!("events from {} on {bus} reach the queue {tap}", stack.event_source);
    let dead_letters = create_queue(&sqs, stack.dead_letter_queue)
        .await
        .map_err(|e| e.to_string())?;
    println!("dead-letter queue: {dead_letters}");
    let answers = create_queue(&sqs, stack.data_responses_queue)
        .await
        .map_err(|e| e.to_string())?;
    println!("data responses queue: {answers}");
    let secret = keep_secret(&aws_sdk_secretsmanager::Client::new(&sdk), secret_id, key)
        .await
        .map_err(|e| e.to_string())?;
    match secret {
        SecretState::Created => println!("secret {secret_id}: created with the local signing key"),
        SecretState::Same => println!("secret {secret_id}: already holds the local signing key"),
        SecretState::KeptAnother => println!(
            "secret {secret_id}: already holds another key, kept as it is (tokens signed with JWT_SIGNING_KEY will be refused; `make reset` starts over)"
        ),
    }
    let created = create_bucket(&local_s3(&sdk), bucket)
        .await
        .map_err(|e| e.to_string())?;
    println!("bucket {bucket}: {}", said(created));
    for line in clientele_stack::demo::ensure(&DynamoStore::new(dynamodb, table)).await? {
        println!("{line}");
    }
    Ok(())
}
