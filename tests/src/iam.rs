//! What a function's code really asks of AWS: an SDK interceptor that records
//! every call (DynamoDB, S3, EventBridge, SQS, Secrets Manager) as the IAM
//! action it needs, so a test can hold a function's policy in
//! `infra/template.yaml` to the calls its code makes.
//!
//! `TransactWriteItems` is authorised item by item (`PutItem`, `UpdateItem`,
//! `DeleteItem`, `ConditionCheckItem`), so its items are recorded instead.
//! Each DynamoDB call is also recorded with the partition keys it touches
//! (`dynamodb:LeadingKeys`) and the index it reads, so a test can evaluate
//! a policy's conditions against the calls, not only its actions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemInput;
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::operation::put_item::PutItemInput;
use aws_sdk_dynamodb::operation::query::QueryInput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemInput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::app::sdk_config;
use crate::services::dynamodb_endpoint;

/// One DynamoDB call as IAM authorises it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyedCall {
    /// The action, like `dynamodb:PutItem`.
    pub action: String,
    /// The index read, if any.
    pub index: Option<String>,
    /// The partition keys touched (`dynamodb:LeadingKeys`).
    pub leading_keys: Vec<String>,
}

/// The IAM actions a client's calls needed, like `dynamodb:GetItem`.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    actions: Arc<Mutex<BTreeSet<String>>>,
    calls: Arc<Mutex<BTreeMap<String, usize>>>,
    keyed: Arc<Mutex<BTreeSet<KeyedCall>>>,
}

impl Recorder {
    /// The actions recorded so far.
    pub fn actions(&self) -> BTreeSet<String> {
        self.actions.lock().expect("not poisoned").clone()
    }

    /// How many calls of one action (like `dynamodb:Query`) were made; within
    /// a transaction, each write counts as one of its kind.
    pub fn count(&self, action: &str) -> usize {
        self.calls
            .lock()
            .expect("not poisoned")
            .get(action)
            .copied()
            .unwrap_or(0)
    }

    /// The DynamoDB calls recorded so far, with their keys.
    pub fn keyed_calls(&self) -> BTreeSet<KeyedCall> {
        self.keyed.lock().expect("not poisoned").clone()
    }

    fn record(&self, service: &str, action: &str) {
        let action = format!("{service}:{action}");
        *self
            .calls
            .lock()
            .expect("not poisoned")
            .entry(action.clone())
            .or_default() += 1;
        self.actions.lock().expect("not poisoned").insert(action);
    }

    fn record_keys(&self, action: &str, index: Option<&str>, keys: Vec<String>) {
        self.record("dynamodb", action);
        self.keyed.lock().expect("not poisoned").insert(KeyedCall {
            action: format!("dynamodb:{action}"),
            index: index.map(str::to_owned),
            leading_keys: keys,
        });
    }
}

fn pk(item: Option<&std::collections::HashMap<String, AttributeValue>>) -> Vec<String> {
    item.and_then(|i| i.get("pk"))
        .and_then(|v| v.as_s().ok())
        .cloned()
        .into_iter()
        .collect()
}

/// The value a key condition (`attr = :placeholder ...`) gives its partition key.
fn queried_key(input: &QueryInput) -> Vec<String> {
    let condition = input.key_condition_expression().unwrap_or_default();
    let placeholder = condition
        .split(" = ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default();
    input
        .expression_attribute_values()
        .and_then(|values| values.get(placeholder))
        .and_then(|v| v.as_s().ok())
        .cloned()
        .into_iter()
        .collect()
}

impl Recorder {
    /// Records a DynamoDB call with its keys; `false` when it is not one
    /// whose keys are known here.
    fn record_dynamodb(
        &self,
        operation: &str,
        input: &aws_smithy_runtime_api::client::interceptors::context::Input,
    ) -> bool {
        if let Some(i) = input.downcast_ref::<GetItemInput>() {
            self.record_keys(operation, None, pk(i.key()));
        } else if let Some(i) = input.downcast_ref::<PutItemInput>() {
            self.record_keys(operation, None, pk(i.item()));
        } else if let Some(i) = input.downcast_ref::<UpdateItemInput>() {
            self.record_keys(operation, None, pk(i.key()));
        } else if let Some(i) = input.downcast_ref::<DeleteItemInput>() {
            self.record_keys(operation, None, pk(i.key()));
        } else if let Some(i) = input.downcast_ref::<QueryInput>() {
            self.record_keys(operation, i.index_name(), queried_key(i));
        } else if let Some(i) = input.downcast_ref::<BatchGetItemInput>() {
            let keys = i
                .request_items()
                .into_iter()
                .flat_map(|items| items.values())
                .flat_map(|k| k.keys().iter().flat_map(|key| pk(Some(key))))
                .collect();
            self.record_keys(operation, None, keys);
        } else if let Some(i) = input.downcast_ref::<BatchWriteItemInput>() {
            let keys = i
                .request_items()
                .into_iter()
                .flat_map(|items| items.values())
                .flatten()
                .flat_map(|w| {
                    let put = w.put_request().map(|p| p.item());
                    let delete = w.delete_request().map(|d| d.key());
                    pk(put.or(delete))
                })
                .collect();
            self.record_keys(operation, None, keys);
        } else if let Some(i) = input.downcast_ref::<TransactWriteItemsInput>() {
            for item in i.transact_items() {
                if let Some(put) = item.put() {
                    self.record_keys("PutItem", None, pk(Some(put.item())));
                }
                if let Some(update) = item.update() {
                    self.record_keys("UpdateItem", None, pk(Some(update.key())));
                }
                if let Some(delete) = item.delete() {
                    self.record_keys("DeleteItem", None, pk(Some(delete.key())));
                }
                if let Some(check) = item.condition_check() {
                    self.record_keys("ConditionCheckItem", None, pk(Some(check.key())));
                }
            }
        } else {
            return false;
        }
        true
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "IamActionRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some((operation, service)) = cfg
            .load::<Metadata>()
            .map(|m| (m.name().to_owned(), m.service().to_lowercase()))
        else {
            return Ok(());
        };
        let prefix = if service.contains("dynamo") {
            "dynamodb"
        } else if service.contains("s3") {
            "s3"
        } else if service.contains("sqs") {
            "sqs"
        } else if service.contains("secret") {
            "secretsmanager"
        } else {
            "events"
        };
        // S3 authorises listing a bucket's objects as s3:ListBucket.
        let operation = if operation == "ListObjectsV2" {
            "ListBucket".to_owned()
        } else {
            operation
        };
        if prefix == "dynamodb" && self.record_dynamodb(&operation, context.input()) {
            return Ok(());
        }
        self.record(prefix, &operation);
        Ok(())
    }
}

/// A DynamoDB Local client whose calls `recorder` records.
pub async fn recorded_dynamodb(recorder: &Recorder) -> aws_sdk_dynamodb::Client {
    let sdk = sdk_config(dynamodb_endpoint()).await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(recorder.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// An SDK configuration for moto whose clients' calls `recorder` records:
/// S3 (addressed by path), EventBridge, SQS and Secrets Manager clients.
pub struct RecordedMoto {
    sdk: aws_config::SdkConfig,
    recorder: Recorder,
}

impl RecordedMoto {
    /// Clients of moto recorded by `recorder`.
    pub async fn new(recorder: &Recorder) -> Self {
        Self {
            sdk: sdk_config(crate::services::moto_endpoint()).await,
            recorder: recorder.clone(),
        }
    }

    /// An S3 client.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(true)
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// An EventBridge client.
    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        let config = aws_sdk_eventbridge::config::Builder::from(&self.sdk)
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_eventbridge::Client::from_conf(config)
    }

    /// An SQS client.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::config::Builder::from(&self.sdk)
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    /// A Secrets Manager client.
    pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        let config = aws_sdk_secretsmanager::config::Builder::from(&self.sdk)
            .interceptor(self.recorder.clone())
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
    }
}
