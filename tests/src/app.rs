//! `TestApp`: one function wired to its own fresh table in DynamoDB Local,
//! with a known signing key, so each test has its own state and tests run in
//! parallel.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use clientele_auth::{
    KeySet, KeySource, Principal, PrincipalKind, Role, SigningKey, TokenSettings, TokenVerifier, issue,
};
use clientele_core::{BusinessId, Timestamp};
use clientele_http::Authenticator;
use clientele_stack::{Template, create_table};
use clientele_store::DynamoStore;
use serde_json::Value;

use crate::call::{Call, TestResponse};
use crate::clock::TestClock;
use crate::services::dynamodb_endpoint;

/// The signing key the tests' functions trust.
pub const TEST_SIGNING_KEY: &str = "clientele-test-signing-key-0123456789abcdef";

/// An SDK configuration for a local endpoint, with the functions' own
/// timeouts and retries.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    clientele_store::aws::sdk_config_loader()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "clientele-tests"))
        .load()
        .await
}

/// A DynamoDB client for DynamoDB Local.
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config(dynamodb_endpoint()).await)
}

/// Creates a table with a random name, as the template defines it.
pub async fn fresh_table(client: &aws_sdk_dynamodb::Client) -> String {
    let name = format!("clientele-test-{}", uuid::Uuid::new_v4().simple());
    let definition = Template::bundled()
        .and_then(|t| t.table())
        .expect("the template defines the table");
    create_table(client, &name, &definition)
        .await
        .expect("DynamoDB Local creates the table");
    name
}

/// The signing key.
pub fn signing_key() -> SigningKey {
    SigningKey::new(TEST_SIGNING_KEY).expect("the test key is long enough")
}

/// A token for a principal of `business` with `roles`, valid for 30 minutes.
pub fn token(business: BusinessId, roles: &[Role]) -> String {
    issue(
        &signing_key(),
        &TokenSettings::default(),
        "test-user",
        business,
        roles,
        Duration::from_secs(1_800),
        Timestamp::now(),
    )
    .expect("the test key signs")
}

/// The customers function against its own table.
pub struct TestApp {
    /// The function.
    pub app: customers::App<DynamoStore>,
    /// A client of the same DynamoDB, for looking behind the function's back.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// The table.
    pub table: String,
    /// The business the test acts for.
    pub business: BusinessId,
    /// The function's clock.
    pub clock: Arc<TestClock>,
}

impl TestApp {
    /// A fresh table and a function over it, verifying tokens in-process as under `make run`.
    pub async fn spawn() -> Self {
        let dynamodb = dynamodb_client().await;
        let table = fresh_table(&dynamodb).await;
        Self::over(dynamodb.clone(), dynamodb, table)
    }

    /// A function whose DynamoDB client is `function_client`, over `table`;
    /// `dynamodb` still reaches the real engine.
    pub fn over(function_client: aws_sdk_dynamodb::Client, dynamodb: aws_sdk_dynamodb::Client, table: String) -> Self {
        let verifier = TokenVerifier::new(
            KeySource::Fixed(KeySet::single(signing_key())),
            &TokenSettings::default(),
        );
        let clock = Arc::new(TestClock::new());
        let app = customers::App {
            store: DynamoStore::new(function_client, table.clone()),
            auth: Authenticator::InProcess(Arc::new(verifier)),
            settings: customers::Settings {
                patch_rate: customers::Settings::DEFAULT_PATCH_RATE,
            },
            clock: clock.clone(),
        };
        Self {
            app,
            dynamodb,
            table,
            business: BusinessId::random(),
            clock,
        }
    }

    /// A token for this test's business.
    pub fn token(&self, role: Role) -> String {
        token(self.business, &[role])
    }

    /// Sends a request to the function.
    pub async fn send(&self, call: Call) -> TestResponse {
        customers::handle(&self.app, call.to_request()).await.into()
    }

    /// Creates a customer as staff of this test's business: with a token, or
    /// with an authorizer context when the function trusts only API Gateway.
    pub async fn create(&self, body: &Value) -> TestResponse {
        let call = Call::post("/api/customers/").json(body);
        let call = match self.app.auth {
            Authenticator::Gateway => call.authorized_as(&Principal {
                id: "test-staff".into(),
                kind: PrincipalKind::User,
                business_id: self.business,
                roles: vec![Role::Staff],
            }),
            Authenticator::InProcess(_) => call.bearer(&self.token(Role::Staff)),
        };
        self.send(call).await
    }

    /// Creates a customer and returns its representation, failing the test if it cannot.
    pub async fn created(&self, body: &Value) -> Value {
        let response = self.create(body).await;
        assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
        response.json()
    }

    /// Every item in the table.
    pub async fn items(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("DynamoDB Local scans");
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    /// The items of one kind (`entity`).
    pub async fn items_of(&self, entity: &str) -> Vec<HashMap<String, AttributeValue>> {
        self.items()
            .await
            .into_iter()
            .filter(|item| item.get("entity").and_then(|e| e.as_s().ok()).map(String::as_str) == Some(entity))
            .collect()
    }
}

/// A create body like seed 002's, with a unique email and user id.
pub fn customer_body(name: &str) -> Value {
    let user = uuid::Uuid::new_v4();
    serde_json::json!({
        "full_name": name,
        "email": format!("{}.{}@example.com", name.to_lowercase().replace(' ', "."), user.simple()),
        "phone": "0712345678",
        "gender": "female",
        "user_id": user.to_string()
    })
}
