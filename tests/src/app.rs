//! `TestApp`: the functions wired to their own fresh table in DynamoDB Local,
//! with a known signing key, so each test has its own state and tests run in
//! parallel. Requests take either path a real request takes:
//!
//! - [`TestApp::send`]: as under `make run`, credentials checked in-process;
//! - [`TestApp::send_via_gateway`]: as in the cloud, through an emulated API
//!   Gateway that calls the auth-check authorizer and hands its context to the
//!   route function, which trusts only that context.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue;
use clientele_auth::{
    ClientSecret, Gatekeeper, KeySource, Principal, Role, SecretsManagerKeys, SigningKey, TokenSettings, TokenVerifier,
    issue,
};
use clientele_avatars::AvatarBucket;
use clientele_core::{BusinessId, Client, ClientName, Scope, Timestamp};
use clientele_http::idempotency::Idempotency;
use clientele_http::{Authenticator, HttpFunction, RouteSpec};
use clientele_operations::Context;
use clientele_stack::{Template, create_table};
use clientele_store::DynamoStore;
use serde_json::{Value, json};

use crate::call::{Call, TestResponse};
use crate::clock::TestClock;
use crate::services::{dynamodb_endpoint, moto_endpoint};

/// The signing key the tests' functions trust.
pub const TEST_SIGNING_KEY: &str = "clientele-test-signing-key-0123456789abcdef";

/// An SDK configuration for a local endpoint, with the functions' own
/// timeouts and retries.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    clientele_startup::aws::sdk_config_loader()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "clientele-tests"))
        .load()
        .await
}

/// An SDK configuration for the tests' own hand on a local endpoint: what a
/// test writes to set a scene, or reads to check one, is not what is under
/// test, so it waits as long as a loaded local service needs rather than the
/// functions' budget.
pub async fn patient_sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
                .operation_timeout(Duration::from_secs(180))
                .build(),
        )
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5))
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "clientele-tests"))
        .load()
        .await
}

/// A DynamoDB client for DynamoDB Local with the functions' own timeouts.
pub async fn function_dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config(dynamodb_endpoint()).await)
}

/// The tests' own DynamoDB client for DynamoDB Local (see [`patient_sdk_config`]).
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&patient_sdk_config(dynamodb_endpoint()).await)
}

/// Whether a test's table has its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// As the template defines it: for the tests that read it (the
    /// publisher's and the sweeper's).
    On,
    /// Without: every other test. DynamoDB Local keeps every stream's
    /// records for the life of the process, and each write to any table
    /// costs more as they pile up (a write took four times as long after
    /// 240 tables with streams as after one; without streams, no slower),
    /// so a test that never reads a stream does not make one.
    Off,
}

/// Creates a table with a random name, as the template defines it, with
/// or without its stream.
pub async fn fresh_table(client: &aws_sdk_dynamodb::Client, stream: Stream) -> String {
    let name = format!("clientele-test-{}", uuid::Uuid::new_v4().simple());
    let mut definition = Template::bundled()
        .and_then(|t| t.table())
        .expect("the template defines the table");
    if stream == Stream::Off {
        definition.stream_specification = None;
    }
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

/// `Authorization: Basic` for a client id and secret.
pub fn basic(client_id: &str, secret: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"))
    )
}

/// A token verifier that reads the test key from a fresh secret in the local
/// Secrets Manager (moto), as the functions read theirs.
pub async fn verifier() -> TokenVerifier {
    verifier_through(aws_sdk_secretsmanager::Client::new(&sdk_config(moto_endpoint()).await)).await
}

/// [`verifier`], reading the key through `secrets`.
pub async fn verifier_through(secrets: aws_sdk_secretsmanager::Client) -> TokenVerifier {
    let setup = aws_sdk_secretsmanager::Client::new(&sdk_config(moto_endpoint()).await);
    let secret_id = format!("clientele/test/{}", uuid::Uuid::new_v4().simple());
    clientele_stack::put_secret(&setup, &secret_id, TEST_SIGNING_KEY)
        .await
        .expect("moto stores the secret");
    let keys = SecretsManagerKeys::load(secrets, secret_id, Duration::from_secs(300))
        .await
        .expect("moto serves the secret");
    TokenVerifier::new(KeySource::SecretsManager(keys), &TokenSettings::default())
}

/// Creates a bucket with a random name in the local S3 (moto).
pub async fn fresh_bucket() -> AvatarBucket {
    let sdk = sdk_config(moto_endpoint()).await;
    let name = format!("clientele-test-{}", uuid::Uuid::new_v4().simple());
    clientele_stack::create_bucket(&clientele_stack::local_s3(&sdk), &name)
        .await
        .expect("moto creates the bucket");
    AvatarBucket::new(&sdk, name)
}

/// The route functions, one way of checking credentials.
pub struct Functions {
    /// The customers function.
    pub customers: HttpFunction,
    /// The tags function.
    pub tags: HttpFunction,
    /// The notes function.
    pub notes: HttpFunction,
    /// The contacts function.
    pub contacts: HttpFunction,
    /// The interactions function.
    pub interactions: HttpFunction,
    /// The tokens function.
    pub tokens: HttpFunction,
    /// The users function.
    pub users: HttpFunction,
    /// The subscriptions function.
    pub subscriptions: HttpFunction,
    /// The gdpr function.
    pub gdpr: HttpFunction,
    /// The service function.
    pub service: HttpFunction,
}

impl Functions {
    fn new(context: &Context, avatars: &AvatarBucket, auth: Authenticator) -> Self {
        // Every route function keeps the answers of keyed POSTs, told the time by the test's clock.
        let kept = |function: HttpFunction| {
            function.with_idempotency(Idempotency::new(context.store.clone()).with_clock(context.clock.clone()))
        };
        Self {
            customers: kept(customers::routes().serve(
                Arc::new(customers::App {
                    context: context.clone(),
                    files: avatars.clone(),
                    settings: customers::Settings::default(),
                }),
                auth.clone(),
            )),
            tags: kept(tags::routes().serve(context.clone(), auth.clone())),
            notes: kept(notes::routes().serve(context.clone(), auth.clone())),
            contacts: kept(contacts::routes().serve(context.clone(), auth.clone())),
            interactions: kept(interactions::routes().serve(context.clone(), auth.clone())),
            tokens: kept(tokens::routes().serve(context.clone(), auth.clone())),
            users: kept(users::routes().serve(context.clone(), auth.clone())),
            subscriptions: kept(subscriptions::routes().serve(context.clone(), auth.clone())),
            gdpr: kept(gdpr::routes().serve(
                Arc::new(gdpr::App {
                    context: context.clone(),
                    files: avatars.clone(),
                    settings: gdpr::Settings::default(),
                }),
                auth,
            )),
            service: service::function(),
        }
    }

    /// The function of this name.
    pub fn named(&self, function: Function) -> &HttpFunction {
        match function {
            Function::Service => &self.service,
            Function::Customers => &self.customers,
            Function::Tags => &self.tags,
            Function::Notes => &self.notes,
            Function::Contacts => &self.contacts,
            Function::Interactions => &self.interactions,
            Function::Tokens => &self.tokens,
            Function::Users => &self.users,
            Function::Subscriptions => &self.subscriptions,
            Function::Gdpr => &self.gdpr,
        }
    }

    /// Sends a request to the function `infra/template.yaml` routes its path to.
    pub async fn send(&self, call: &Call) -> TestResponse {
        let function = self.named(function_for(call.path()));
        let response = TestResponse::read(function.handle(call.to_request()).await).await;
        crate::contract::assert_conforms(call.method(), call.path(), &response);
        response
    }
}

/// The HTTP functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `/`, `/health`, and every path no other function routes: no authorizer.
    Service,
    /// The customers route group.
    Customers,
    /// The tags route group.
    Tags,
    /// The notes route group.
    Notes,
    /// The contacts route group.
    Contacts,
    /// The interactions route group.
    Interactions,
    /// The tokens route group.
    Tokens,
    /// The users route group.
    Users,
    /// The subscriptions route group.
    Subscriptions,
    /// The gdpr route group.
    Gdpr,
}

impl Function {
    /// Every HTTP function.
    pub const ALL: [Function; 10] = [
        Function::Service,
        Function::Customers,
        Function::Tags,
        Function::Notes,
        Function::Contacts,
        Function::Interactions,
        Function::Tokens,
        Function::Users,
        Function::Subscriptions,
        Function::Gdpr,
    ];

    /// Its crate's (and binary's) name.
    pub fn name(&self) -> &'static str {
        match self {
            Function::Service => "service",
            Function::Customers => "customers",
            Function::Tags => "tags",
            Function::Notes => "notes",
            Function::Contacts => "contacts",
            Function::Interactions => "interactions",
            Function::Tokens => "tokens",
            Function::Users => "users",
            Function::Subscriptions => "subscriptions",
            Function::Gdpr => "gdpr",
        }
    }

    /// The routes it declares.
    pub fn routes(&self) -> Vec<RouteSpec> {
        match self {
            Function::Service => service::routes().specs().to_vec(),
            Function::Customers => customers::routes().specs().to_vec(),
            Function::Tags => tags::routes().specs().to_vec(),
            Function::Notes => notes::routes().specs().to_vec(),
            Function::Contacts => contacts::routes().specs().to_vec(),
            Function::Interactions => interactions::routes().specs().to_vec(),
            Function::Tokens => tokens::routes().specs().to_vec(),
            Function::Users => users::routes().specs().to_vec(),
            Function::Subscriptions => subscriptions::routes().specs().to_vec(),
            Function::Gdpr => gdpr::routes().specs().to_vec(),
        }
    }
}

/// How specific a route's path is, for choosing among routes that match the
/// same path as API Gateway does: segment by segment, a fixed segment over a
/// `{parameter}`.
fn specificity(path: &str) -> Vec<bool> {
    path.trim_end_matches('/')
        .split('/')
        .map(|segment| !segment.starts_with('{'))
        .collect()
}

/// The function a path is routed to: the one declaring the most specific
/// route with that path, whatever its method (a wrong method reaches the
/// function, which answers 405); the service function for any other path.
pub fn function_for(path: &str) -> Function {
    Function::ALL
        .into_iter()
        .flat_map(|function| function.routes().into_iter().map(move |route| (function, route)))
        .filter(|(_, route)| route.matches_path(path))
        .max_by_key(|(_, route)| specificity(route.path))
        .map_or(Function::Service, |(function, _)| function)
}

/// The functions against their own table.
pub struct TestApp {
    /// The route functions as `make run` serves them: credentials checked in-process.
    pub local: Functions,
    /// The route functions as deployed: trusting only the authorizer's context.
    pub cloud: Functions,
    /// The auth-check authorizer.
    pub authorizer: auth_check::Authorizer<DynamoStore>,
    /// How `local` checks credentials: in-process, as under `make run`.
    pub in_process: Authenticator,
    /// The store the functions use.
    pub store: DynamoStore,
    /// The avatar bucket the functions use.
    pub avatars: AvatarBucket,
    /// A client of the same DynamoDB, for looking behind the functions' backs.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// The table.
    pub table: String,
    /// The business the test acts for.
    pub business: BusinessId,
    /// The functions' clock.
    pub clock: Arc<TestClock>,
}

impl TestApp {
    /// A fresh table (without a stream) and the functions over it.
    pub async fn spawn() -> Self {
        Self::spawn_with(Stream::Off).await
    }

    /// A fresh table with its stream, for a test that reads it (through
    /// [`crate::delivery::EventFlow`] or [`crate::sweeps::Sweeps`]), and the
    /// functions over it.
    pub async fn spawn_with_stream() -> Self {
        Self::spawn_with(Stream::On).await
    }

    async fn spawn_with(stream: Stream) -> Self {
        let dynamodb = dynamodb_client().await;
        let table = fresh_table(&dynamodb, stream).await;
        Self::over(function_dynamodb_client().await, dynamodb, table).await
    }

    /// The functions with `function_client` as their DynamoDB client, over
    /// `table`; `dynamodb` still reaches the real engine. Their signing key
    /// is read from the local Secrets Manager.
    pub async fn over(
        function_client: aws_sdk_dynamodb::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        table: String,
    ) -> Self {
        let store = DynamoStore::new(function_client, table.clone());
        let clock = Arc::new(TestClock::new());
        let avatars = fresh_bucket().await;
        let context = Context {
            store: store.clone(),
            clock: clock.clone(),
        };
        let in_process = Authenticator::InProcess(Arc::new(Gatekeeper::new(verifier().await, store.clone())));
        Self {
            local: Functions::new(&context, &avatars, in_process.clone()),
            cloud: Functions::new(&context, &avatars, Authenticator::Gateway),
            in_process,
            authorizer: auth_check::Authorizer::new(Gatekeeper::new(verifier().await, store.clone())),
            store,
            avatars,
            dynamodb,
            table,
            business: BusinessId::random(),
            clock,
        }
    }

    /// What the functions' operations run with: the table and the test's clock.
    pub fn context(&self) -> Context {
        Context {
            store: self.store.clone(),
            clock: self.clock.clone(),
        }
    }

    /// A token for this test's business.
    pub fn token(&self, role: Role) -> String {
        token(self.business, &[role])
    }

    /// Sends a request as `make run` serves it.
    pub async fn send(&self, call: Call) -> TestResponse {
        self.local.send(&call).await
    }

    /// Sends a request as a client does that retries a 503 (at most three
    /// times, half a second apart): for the heavy requests a loaded local
    /// DynamoDB may not answer within the functions' budget. The service
    /// promises that asking again finishes what a 503 left.
    pub async fn send_retrying(&self, call: Call) -> TestResponse {
        let mut response = self.send(call.clone()).await;
        for _ in 0..3 {
            if response.status != 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            response = self.send(call.clone()).await;
        }
        response
    }

    /// Sends a request as API Gateway does: public routes straight to their
    /// function; the others only with an `Authorization` header (else API
    /// Gateway's own 401), through the authorizer (whose refusal API Gateway
    /// answers with its own 403), then to the route function with the
    /// authorizer's context.
    pub async fn send_via_gateway(&self, call: Call) -> TestResponse {
        if function_for(call.path()) == Function::Service {
            return self.cloud.send(&call).await;
        }
        if call.header_value("authorization").is_none_or(|v| v.trim().is_empty()) {
            return gateway_answer(401, "Unauthorized");
        }
        let decision = self.authorizer.authorize(&call.to_authorizer_request()).await;
        if !decision.is_authorized {
            return gateway_answer(403, "Forbidden");
        }
        self.cloud.send(&call.with_authorizer_context(decision.context)).await
    }

    /// Creates a customer as staff of this test's business.
    pub async fn create(&self, body: &Value) -> TestResponse {
        self.send(
            Call::post("/api/customers/")
                .bearer(&self.token(Role::Staff))
                .json(body),
        )
        .await
    }

    /// Creates a customer and returns its representation, failing the test if it cannot.
    pub async fn created(&self, body: &Value) -> Value {
        let response = self.create(body).await;
        assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
        response.json()
    }

    /// Creates a client of `business` with `scopes`; returns it and its secret.
    pub async fn client(&self, business: BusinessId, scopes: &[Scope]) -> (Client, ClientSecret) {
        let name = ClientName::parse("Test integration").expect("a valid name");
        clientele_auth::clients::create(&self.store, business, name, scopes.to_vec(), Timestamp::now())
            .await
            .expect("the client is stored")
    }

    /// The keys of every object in the functions' bucket.
    pub async fn objects(&self) -> Vec<String> {
        let s3 = clientele_stack::local_s3(&sdk_config(moto_endpoint()).await);
        let listed = s3
            .list_objects_v2()
            .bucket(self.avatars.name())
            .send()
            .await
            .expect("moto lists the bucket");
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
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

    /// The item at `key`, read consistently, as it is stored.
    pub async fn item(&self, key: &clientele_store::keys::Key) -> Option<HashMap<String, AttributeValue>> {
        self.dynamodb
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.to_attributes()))
            .consistent_read(true)
            .send()
            .await
            .expect("DynamoDB Local reads")
            .item
    }

    /// Stores `item` as it is, past every rule of the service: to make the
    /// table look as an earlier version or a fault left it.
    pub async fn put_raw(&self, item: HashMap<String, AttributeValue>) {
        self.dynamodb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .expect("DynamoDB Local writes");
    }

    /// Deletes the item at `key`, past every rule of the service.
    pub async fn delete_raw(&self, key: &clientele_store::keys::Key) {
        self.dynamodb
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key.to_attributes()))
            .send()
            .await
            .expect("DynamoDB Local deletes");
    }

    /// Sets a number attribute of the item at `key`, past every rule of the
    /// service: a count made to disagree with what it counts.
    pub async fn set_number_raw(&self, key: &clientele_store::keys::Key, attribute: &str, value: i64) {
        self.dynamodb
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.to_attributes()))
            .update_expression("SET #attribute = :value")
            .expression_attribute_names("#attribute", attribute)
            .expression_attribute_values(":value", AttributeValue::N(value.to_string()))
            .send()
            .await
            .expect("DynamoDB Local updates");
    }

    /// What `clientele check` finds wrong with the table now, as its lines.
    pub async fn violations(&self) -> Vec<String> {
        let found = self.store.violations(clientele_core::Timestamp::now()).await;
        found
            .expect("the checker reads the table")
            .into_iter()
            .map(|v| v.0)
            .collect()
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

/// API Gateway's own answer, not a function's: no content type of ours.
fn gateway_answer(status: u16, message: &str) -> TestResponse {
    TestResponse {
        status,
        headers: lambda_http::http::HeaderMap::new(),
        body: json!({ "message": message }).to_string().into_bytes(),
    }
}

/// A staff principal of a business, as an authorizer context would carry it.
pub fn staff_of(business: BusinessId) -> Principal {
    Principal::user("test-staff", business, vec![Role::Staff])
}

/// A create body like the original service's example, with a unique email and user id.
pub fn customer_body(name: &str) -> Value {
    let user = uuid::Uuid::new_v4();
    json!({
        "full_name": name,
        "email": format!("{}.{}@example.com", name.to_lowercase().replace(' ', "."), user.simple()),
        "phone": "0712345678",
        "gender": "female",
        "user_id": user.to_string()
    })
}

/// GETs a URL (a presigned link into moto): the status and the body.
pub async fn download(url: &str) -> (u16, bytes::Bytes) {
    use http_body_util::BodyExt;
    let client: hyper_util::client::legacy::Client<_, http_body_util::Empty<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let response = client.get(url.parse().expect("a URL")).await.expect("moto answers");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("a body").to_bytes();
    (status, body)
}

/// PUTs `body` to a URL (a presigned upload link into moto) with its
/// `Content-Type`: the status.
pub async fn upload(url: &str, content_type: &str, body: &[u8]) -> u16 {
    let client: hyper_util::client::legacy::Client<_, http_body_util::Full<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let request = hyper::Request::builder()
        .method("PUT")
        .uri(url)
        .header("content-type", content_type)
        .body(http_body_util::Full::new(bytes::Bytes::copy_from_slice(body)))
        .expect("a request");
    client.request(request).await.expect("moto answers").status().as_u16()
}
