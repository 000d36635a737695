//! What a function's code really asks of AWS: an SDK interceptor that records
//! every call (DynamoDB, S3, EventBridge, SQS, Secrets Manager) as the IAM
//! action it needs, so a test can hold a function's policy in
//! `infra/template.yaml` to the calls its code makes.
//!
//! `TransactWriteItems` is authorised item by item (`PutItem`, `UpdateItem`,
//! `DeleteItem`, `ConditionCheckItem`), so its items are recorded instead.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::app::sdk_config;
use crate::services::dynamodb_endpoint;

/// The IAM actions a client's calls needed, like `dynamodb:GetItem`.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    actions: Arc<Mutex<BTreeSet<String>>>,
}

impl Recorder {
    /// The actions recorded so far.
    pub fn actions(&self) -> BTreeSet<String> {
        self.actions.lock().expect("not poisoned").clone()
    }

    fn record(&self, service: &str, action: &str) {
        self.actions
            .lock()
            .expect("not poisoned")
            .insert(format!("{service}:{action}"));
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
        let transaction = context.input().downcast_ref::<TransactWriteItemsInput>();
        match transaction {
            Some(input) if operation == "TransactWriteItems" => {
                for item in input.transact_items() {
                    if item.put().is_some() {
                        self.record("dynamodb", "PutItem");
                    }
                    if item.update().is_some() {
                        self.record("dynamodb", "UpdateItem");
                    }
                    if item.delete().is_some() {
                        self.record("dynamodb", "DeleteItem");
                    }
                    if item.condition_check().is_some() {
                        self.record("dynamodb", "ConditionCheckItem");
                    }
                }
            }
            _ => self.record(prefix, &operation),
        }
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
