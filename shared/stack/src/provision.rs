//! Creating the template's resources on local endpoints. Every step is
//! idempotent: `make run` repeats it at each start.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::types::{IndexStatus, TableStatus};

use crate::StackError;
use crate::template::TableDefinition;

fn failed(what: &str, error: impl std::fmt::Display) -> StackError {
    StackError::Provision(format!("{what}: {error}"))
}

fn key_schema(elements: &[crate::template::KeyElement]) -> Result<Vec<KeySchemaElement>, StackError> {
    elements
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| failed("a key", e))
        })
        .collect()
}

fn projection_of(index: &crate::template::GlobalSecondaryIndex) -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::from(index.projection.projection_type.as_str()))
        .build()
}

fn index_of(index: &crate::template::GlobalSecondaryIndex) -> Result<GlobalSecondaryIndex, StackError> {
    GlobalSecondaryIndex::builder()
        .index_name(&index.index_name)
        .set_key_schema(Some(key_schema(&index.key_schema)?))
        .projection(projection_of(index))
        .build()
        .map_err(|e| failed("an index", e))
}

fn attributes_of(definition: &TableDefinition) -> Result<Vec<AttributeDefinition>, StackError> {
    definition
        .attribute_definitions
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(|e| failed("an attribute", e))
        })
        .collect()
}

/// How long to wait for a table and its indexes to become active.
const ACTIVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);
/// How often to ask meanwhile.
const ACTIVE_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// The names of a table's indexes, once the table and every index are
/// active: DynamoDB refuses to change a table while an index is still being
/// made (which a loaded local DynamoDB can take a while to finish).
async fn indexes_once_active(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<Vec<String>, StackError> {
    let deadline = tokio::time::Instant::now() + ACTIVE_WITHIN;
    loop {
        let described = match client.describe_table().table_name(name).send().await {
            Ok(described) => described,
            // A loaded local DynamoDB may answer later than a call waits.
            Err(aws_sdk_dynamodb::error::SdkError::TimeoutError(_)) if tokio::time::Instant::now() < deadline => {
                continue;
            }
            Err(error) => {
                return Err(failed(
                    "describing the table",
                    aws_sdk_dynamodb::error::DisplayErrorContext(&error),
                ));
            }
        };
        let table = described
            .table
            .unwrap_or_else(|| aws_sdk_dynamodb::types::TableDescription::builder().build());
        let indexes = table.global_secondary_indexes.clone().unwrap_or_default();
        let active = table.table_status == Some(TableStatus::Active)
            && indexes.iter().all(|i| i.index_status == Some(IndexStatus::Active));
        if active {
            return Ok(indexes.into_iter().filter_map(|index| index.index_name).collect());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(failed(
                "waiting for the table",
                format!("{name} is not active after {ACTIVE_WITHIN:?}"),
            ));
        }
        tokio::time::sleep(ACTIVE_POLL).await;
    }
}

/// The names of a table's indexes, active or still being made.
async fn index_names(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<Vec<String>, StackError> {
    let described = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| failed("describing the table", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
    Ok(described
        .table
        .and_then(|t| t.global_secondary_indexes)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|index| index.index_name)
        .collect())
}

/// Adds to a table made by an earlier version the indexes the definition
/// has and it lacks, one at a time (as DynamoDB allows), each once the
/// table and the indexes before it are active.
async fn add_missing_indexes(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    definition: &TableDefinition,
) -> Result<(), StackError> {
    let attributes = attributes_of(definition)?;
    let deadline = tokio::time::Instant::now() + ACTIVE_WITHIN;
    for index in &definition.global_secondary_indexes {
        loop {
            // Present is enough: only the next change waits for it to be active.
            if index_names(client, name).await?.contains(&index.index_name) {
                break;
            }
            indexes_once_active(client, name).await?;
            let create = CreateGlobalSecondaryIndexAction::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema)?))
                .projection(projection_of(index))
                .build()
                .map_err(|e| failed("an index", e))?;
            let added = client
                .update_table()
                .table_name(name)
                .set_attribute_definitions(Some(attributes.clone()))
                .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(create).build())
                .send()
                .await;
            match added {
                Ok(_) => break,
                // A local DynamoDB may report its indexes active while it
                // still builds them, and refuse the change until it is done;
                // a loaded one may take longer to answer than a call may
                // wait. Either way, look again: the index may be there.
                Err(error)
                    if (error
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_in_use_exception())
                        || matches!(error, aws_sdk_dynamodb::error::SdkError::TimeoutError(_)))
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(ACTIVE_POLL * 5).await;
                }
                Err(error) => {
                    return Err(failed(
                        "adding an index",
                        aws_sdk_dynamodb::error::DisplayErrorContext(&error),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Creates the table as defined, unless it exists; a table made by an
/// earlier version gets the indexes it lacks. Returns whether it was created.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
    definition: &TableDefinition,
) -> Result<bool, StackError> {
    let attributes = attributes_of(definition)?;
    let indexes = definition
        .global_secondary_indexes
        .iter()
        .map(index_of)
        .collect::<Result<Vec<_>, _>>()?;
    let stream = definition.stream_specification.as_ref().map(|s| {
        StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::from(s.stream_view_type.as_str()))
            .build()
    });
    let stream = stream.transpose().map_err(|e| failed("the stream", e))?;
    let result = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&definition.key_schema)?))
        .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
        .set_stream_specification(stream)
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            add_missing_indexes(client, name, definition).await?;
            return Ok(false);
        }
        Err(error) => {
            return Err(failed(
                "creating the table",
                aws_sdk_dynamodb::error::DisplayErrorContext(&error),
            ));
        }
    }
    if let Some(ttl) = definition.time_to_live_specification.as_ref().filter(|t| t.enabled) {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(&ttl.attribute_name)
                    .enabled(true)
                    .build()
                    .map_err(|e| failed("TTL", e))?,
            )
            .send()
            .await
            .map_err(|e| failed("enabling TTL", aws_sdk_dynamodb::error::DisplayErrorContext(&e)))?;
    }
    Ok(true)
}

/// Creates the event bus unless it exists.
pub async fn create_event_bus(client: &aws_sdk_eventbridge::Client, name: &str) -> Result<bool, StackError> {
    match client.create_event_bus().name(name).send().await {
        Ok(_) => Ok(true),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_already_exists_exception()) =>
        {
            Ok(false)
        }
        Err(error) => Err(failed(
            "creating the event bus",
            aws_sdk_eventbridge::error::DisplayErrorContext(&error),
        )),
    }
}

/// Creates the secret with `value`, or makes `value` its current version.
pub async fn put_secret(client: &aws_sdk_secretsmanager::Client, id: &str, value: &str) -> Result<(), StackError> {
    let created = client.create_secret().name(id).secret_string(value).send().await;
    match created {
        Ok(_) => Ok(()),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            let current = client.get_secret_value().secret_id(id).send().await;
            if current
                .ok()
                .and_then(|c| c.secret_string().map(str::to_owned))
                .as_deref()
                == Some(value)
            {
                return Ok(());
            }
            client
                .put_secret_value()
                .secret_id(id)
                .secret_string(value)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    failed(
                        "updating the secret",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(&e),
                    )
                })
        }
        Err(error) => Err(failed(
            "creating the secret",
            aws_sdk_secretsmanager::error::DisplayErrorContext(&error),
        )),
    }
}

/// What [`keep_secret`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretState {
    /// The secret was created with the value.
    Created,
    /// It was there with this value already.
    Same,
    /// It was there with another value, which was kept.
    KeptAnother,
}

/// Creates a secret with `value` unless it exists; never overwrites one.
pub async fn keep_secret(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
    value: &str,
) -> Result<SecretState, StackError> {
    let created = client.create_secret().name(id).secret_string(value).send().await;
    match created {
        Ok(_) => Ok(SecretState::Created),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            let current = client.get_secret_value().secret_id(id).send().await.map_err(|e| {
                failed(
                    "reading the secret",
                    aws_sdk_secretsmanager::error::DisplayErrorContext(&e),
                )
            })?;
            Ok(if current.secret_string() == Some(value) {
                SecretState::Same
            } else {
                SecretState::KeptAnother
            })
        }
        Err(error) => Err(failed(
            "creating the secret",
            aws_sdk_secretsmanager::error::DisplayErrorContext(&error),
        )),
    }
}

/// An S3 client for a local S3 (moto): buckets addressed by path.
pub fn local_s3(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build())
}

/// Creates a bucket unless it exists.
pub async fn create_bucket(client: &aws_sdk_s3::Client, name: &str) -> Result<bool, StackError> {
    match client.create_bucket().bucket(name).send().await {
        Ok(_) => Ok(true),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()) =>
        {
            Ok(false)
        }
        Err(error) => Err(failed(
            "creating the bucket",
            aws_sdk_s3::error::DisplayErrorContext(&error),
        )),
    }
}

/// Creates an SQS queue unless it exists; returns its URL.
pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> Result<String, StackError> {
    let created = client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| failed("creating a queue", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    created
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| failed("creating a queue", "no URL in the answer"))
}

/// A queue that receives every event published on a bus under one source,
/// through a rule: what a subscribing service would set up. Returns the
/// queue's URL. Idempotent.
pub async fn create_tap(
    events: &aws_sdk_eventbridge::Client,
    sqs: &aws_sdk_sqs::Client,
    bus: &str,
    source: &str,
    queue: &str,
) -> Result<String, StackError> {
    let url = create_queue(sqs, queue).await?;
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| failed("reading a queue's ARN", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .ok_or_else(|| failed("reading a queue's ARN", "no ARN in the answer"))?;
    let rule = format!("{queue}-rule");
    let pattern = serde_json::json!({ "source": [source] }).to_string();
    events
        .put_rule()
        .name(&rule)
        .event_bus_name(bus)
        .event_pattern(pattern)
        .send()
        .await
        .map_err(|e| failed("creating a rule", aws_sdk_eventbridge::error::DisplayErrorContext(&e)))?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id(queue)
        .arn(arn)
        .build()
        .map_err(|e| failed("a rule's target", e))?;
    events
        .put_targets()
        .rule(&rule)
        .event_bus_name(bus)
        .targets(target)
        .send()
        .await
        .map_err(|e| failed("targeting a rule", aws_sdk_eventbridge::error::DisplayErrorContext(&e)))?;
    Ok(url)
}

/// The services local set-up calls, by the suffix of their endpoint
/// variable (`AWS_ENDPOINT_URL_<SERVICE>`).
const LOCAL_SERVICES: &[&str] = &["DYNAMODB", "EVENTBRIDGE", "SQS", "SECRETS_MANAGER", "S3"];

/// Refuses unless every service's endpoint (its own variable, or
/// `AWS_ENDPOINT_URL`, looked up with `env`) is set and on a loopback
/// address: what sets up a local stack must never reach a real account.
pub fn require_loopback(env: impl Fn(&str) -> Option<String>) -> Result<(), StackError> {
    for service in LOCAL_SERVICES {
        let own = format!("AWS_ENDPOINT_URL_{service}");
        let Some(endpoint) = env(&own).or_else(|| env("AWS_ENDPOINT_URL")) else {
            return Err(StackError::NotLocal(format!(
                "set AWS_ENDPOINT_URL (or {own}) to a loopback address"
            )));
        };
        if !is_loopback_url(&endpoint) {
            return Err(StackError::NotLocal(format!(
                "the {service} endpoint {endpoint:?} is not on this machine"
            )));
        }
    }
    Ok(())
}

/// Whether an `http(s)://host[:port][/...]` URL's host is a loopback address.
fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn local_set_up_refuses_any_endpoint_off_this_machine() {
        for local in [
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:5050"),
                ("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000"),
            ][..],
            &[("AWS_ENDPOINT_URL", "http://[::1]:5050/")][..],
        ] {
            assert!(require_loopback(env(local)).is_ok(), "{local:?}");
        }
        for refused in [
            &[][..],
            &[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")][..],
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:5050"),
                (
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                    "https://secretsmanager.eu-west-1.amazonaws.com",
                ),
            ][..],
            &[("AWS_ENDPOINT_URL", "http://10.0.0.5:5050")][..],
            &[("AWS_ENDPOINT_URL", "http://127.0.0.1.example.com:5050")][..],
            &[("AWS_ENDPOINT_URL", "http://127.0.0.1@example.com")][..],
            &[("AWS_ENDPOINT_URL", "127.0.0.1:5050")][..],
        ] {
            assert!(require_loopback(env(refused)).is_err(), "{refused:?}");
        }
    }
}
