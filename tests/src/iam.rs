//! What a function's code really asks of AWS: an SDK interceptor that records
//! every DynamoDB call as the IAM action it needs, so a test can hold a
//! function's policy in `infra/template.yaml` to the calls its code makes.
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

    fn record(&self, action: &str) {
        self.actions
            .lock()
            .expect("not poisoned")
            .insert(format!("dynamodb:{action}"));
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
        let Some(operation) = cfg.load::<Metadata>().map(|m| m.name().to_owned()) else {
            return Ok(());
        };
        let transaction = context.input().downcast_ref::<TransactWriteItemsInput>();
        match transaction {
            Some(input) if operation == "TransactWriteItems" => {
                for item in input.transact_items() {
                    if item.put().is_some() {
                        self.record("PutItem");
                    }
                    if item.update().is_some() {
                        self.record("UpdateItem");
                    }
                    if item.delete().is_some() {
                        self.record("DeleteItem");
                    }
                    if item.condition_check().is_some() {
                        self.record("ConditionCheckItem");
                    }
                }
            }
            _ => self.record(&operation),
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
