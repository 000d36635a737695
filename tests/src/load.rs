//! A bounded load: concurrent clients over several businesses make mixed
//! requests (creates, reads, lists, patches, tags, notes, deletes) for a
//! while, and afterwards every acknowledged write is looked for.
//!
//! What must hold, whatever the load or the faults under it:
//! - no server error: every answer is a success, a refusal (4xx), or a 503
//!   with `Retry-After`;
//! - no lost write: every write answered 2xx is found afterwards (a deleted
//!   customer is gone, a patched one has its last acknowledged name, every
//!   acknowledged tag and note is there), and a refused one is absent;
//! - a 503, or no answer at all, may or may not have committed: the client
//!   sends the same request again (a `POST` with the same
//!   `Idempotency-Key`) until it gets an answer that settles it. Under
//!   `make run`, `cargo lambda watch` itself now and then (about one request
//!   in a thousand under eight clients) answers a request with its own 500
//!   (`text/plain`, `https://httpstatuses.com/500`) without the function
//!   answering it; that counts as no answer, as a client counts a gateway's
//!   error, and the table's last line says how many there were;
//! - races resolve to one winner: every client creating a customer with the
//!   same email, or adding the same label to one customer, at once, gets one
//!   201 between them and 409s.
//!
//! The same load runs against a real `make run` over HTTP (`make load`, a
//! short one in `make test`) and in-process behind a fault proxy (the fault
//! tests), through a [`Transport`].

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clientele_auth::Role;
use clientele_core::BusinessId;
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::{Call, TestResponse};

/// How requests reach the service.
pub trait Transport: Send + Sync {
    /// Sends one request; `Err` when no answer came (a timeout, a closed
    /// connection).
    fn send(&self, call: Call) -> impl Future<Output = Result<TestResponse, String>> + Send;
}

/// The in-process functions, as the integration tests call them.
impl Transport for crate::TestApp {
    async fn send(&self, call: Call) -> Result<TestResponse, String> {
        Ok(crate::TestApp::send(self, call).await)
    }
}

/// A real service over HTTP: `make run` on the loopback interface.
#[derive(Clone)]
pub struct Http {
    base: String,
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        http_body_util::Full<bytes::Bytes>,
    >,
    timeout: Duration,
}

impl Http {
    /// The service at `base` (`http://127.0.0.1:9000`); a request that has
    /// no answer within `timeout` counts as unanswered.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
            timeout,
        }
    }
}

impl Transport for Http {
    async fn send(&self, call: Call) -> Result<TestResponse, String> {
        use http_body_util::BodyExt;
        let request = call.to_http(&self.base)?;
        let response = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| "no answer in time".to_owned())?
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(TestResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.to_vec(),
        })
    }
}

/// How much load.
#[derive(Debug, Clone)]
pub struct Load {
    /// Clients sending requests at once.
    pub clients: usize,
    /// Businesses they are spread over.
    pub businesses: usize,
    /// How long the mixed requests go on.
    pub duration: Duration,
}

/// Who a token is for.
pub type Tokens = dyn Fn(BusinessId, Role) -> String + Send + Sync;

/// What the load found, and how fast it went.
#[derive(Debug, Default)]
pub struct Report {
    /// Requests sent, retries included.
    pub requests: usize,
    /// How long the mixed phase took.
    pub elapsed: Duration,
    /// Each operation's latencies.
    pub latencies: BTreeMap<&'static str, Vec<Duration>>,
    /// Answers by status (0: no answer).
    pub statuses: BTreeMap<u16, usize>,
    /// Answers that were server errors (other than a 503 with
    /// `Retry-After`), or 503s without it.
    pub server_errors: Vec<String>,
    /// Acknowledged writes not found, refused ones found.
    pub lost: Vec<String>,
    /// Races without exactly one winner.
    pub races: Vec<String>,
    /// Requests `cargo lambda watch` answered with its own 500, before any
    /// function (sent again, as unanswered).
    pub local_serving_errors: usize,
}

/// Whether an answer says the request's `Idempotency-Key` is held by a
/// request still running.
fn is_key_in_use(response: &TestResponse) -> bool {
    String::from_utf8_lossy(&response.body).contains("urn:clientele:problem:idempotency-key-in-use")
}

/// Whether an answer is `cargo lambda watch`'s own 500, which no function
/// of the service sends (theirs are problem+json).
fn is_local_serving_error(response: &TestResponse) -> bool {
    response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain"))
        && String::from_utf8_lossy(&response.body).contains("https://httpstatuses.com/500")
}

impl Report {
    /// Everything that must not happen, one line each.
    pub fn problems(&self) -> Vec<String> {
        self.server_errors
            .iter()
            .chain(&self.lost)
            .chain(&self.races)
            .cloned()
            .collect()
    }

    /// How many answers were 503s, or none at all, later retried.
    pub fn unavailable(&self) -> usize {
        self.statuses.get(&503).copied().unwrap_or(0) + self.statuses.get(&0).copied().unwrap_or(0)
    }

    /// The figures, as a table.
    pub fn table(&self) -> String {
        let mut text = format!(
            "{} requests in {:.1} s: {:.0} requests/s\n",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests as f64 / self.elapsed.as_secs_f64().max(0.001)
        );
        text.push_str("operation      count    p50 ms    p90 ms    p99 ms    max ms\n");
        for (operation, latencies) in &self.latencies {
            let mut sorted = latencies.clone();
            sorted.sort();
            let at = |q: f64| {
                let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
                sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            };
            text.push_str(&format!(
                "{operation:<12} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1}\n",
                sorted.len(),
                at(0.5),
                at(0.9),
                at(0.99),
                at(1.0)
            ));
        }
        let statuses: Vec<String> = self.statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        text.push_str(&format!("answers by status (0: none): {}\n", statuses.join(", ")));
        text.push_str(&format!(
            "answered by the local serving's own 500, and sent again: {}\n",
            self.local_serving_errors
        ));
        text
    }

    fn merge(&mut self, other: Report) {
        self.requests += other.requests;
        for (operation, latencies) in other.latencies {
            self.latencies.entry(operation).or_default().extend(latencies);
        }
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.server_errors.extend(other.server_errors);
        self.lost.extend(other.lost);
        self.races.extend(other.races);
        self.local_serving_errors += other.local_serving_errors;
    }
}

/// A customer a client created, and what it was told of it since.
#[derive(Debug, Clone, Default)]
struct Owned {
    id: String,
    business: usize,
    name: String,
    version: u64,
    deleted: bool,
    tags: BTreeSet<String>,
    notes: BTreeSet<String>,
}

/// One client: its business, its tokens, its customers and its tally.
struct Client<'a, T: Transport> {
    transport: &'a T,
    number: usize,
    business: usize,
    staff: String,
    admin: String,
    run: String,
    made: usize,
    owned: Vec<Owned>,
    report: Report,
}

/// The answer that settled a request, and whether it took more than one try
/// (then a refusal may be the first try's own commit seen again).
struct Settled {
    response: TestResponse,
    retried: bool,
}

impl std::ops::Deref for Settled {
    type Target = TestResponse;

    fn deref(&self) -> &TestResponse {
        &self.response
    }
}

/// A request that gives up after this long without a settling answer.
const SETTLE_WITHIN: Duration = Duration::from_secs(90);

impl<'a, T: Transport> Client<'a, T> {
    /// Sends `call` until an answer settles it: a 503 or no answer is sent
    /// again, the same request (a `POST` keeps its `Idempotency-Key`), after
    /// `Retry-After`. `None` if nothing settled it in time.
    async fn settle(&mut self, operation: &'static str, call: Call) -> Option<Settled> {
        let started = Instant::now();
        let mut retried = false;
        loop {
            let sent = Instant::now();
            let answer = self.transport.send(call.clone()).await;
            self.report.requests += 1;
            self.report.latencies.entry(operation).or_default().push(sent.elapsed());
            let wait = match &answer {
                Ok(response) => {
                    let counted = if is_local_serving_error(response) {
                        0
                    } else {
                        response.status
                    };
                    *self.report.statuses.entry(counted).or_default() += 1;
                    match response.status {
                        503 => match response.header("retry-after").and_then(|s| s.parse::<u64>().ok()) {
                            Some(seconds) => Duration::from_secs(seconds.min(2)),
                            None => {
                                self.report
                                    .server_errors
                                    .push(format!("{operation}: a 503 without Retry-After"));
                                Duration::from_millis(500)
                            }
                        },
                        // The key's first try still holds it (or its
                        // claim outlived a failure): the same request again, later.
                        409 if is_key_in_use(response) => Duration::from_secs(1),
                        500 if is_local_serving_error(response) => {
                            self.report.local_serving_errors += 1;
                            Duration::from_millis(250)
                        }
                        status if status >= 500 => {
                            self.report.server_errors.push(format!(
                                "{operation} {} {}: {status} {}",
                                call.method(),
                                call.path(),
                                String::from_utf8_lossy(&response.body)
                            ));
                            return None;
                        }
                        _ => return answer.ok().map(|response| Settled { response, retried }),
                    }
                }
                Err(_) => {
                    *self.report.statuses.entry(0).or_default() += 1;
                    Duration::from_millis(250)
                }
            };
            if started.elapsed() > SETTLE_WITHIN {
                self.report
                    .server_errors
                    .push(format!("{operation}: no settling answer in {SETTLE_WITHIN:?}"));
                return None;
            }
            retried = true;
            tokio::time::sleep(wait).await;
        }
    }

    fn new_customer(&mut self) -> (String, Value) {
        self.made += 1;
        let name = format!("Load {} {} {}", self.run, self.number, self.made);
        let body = json!({
            "full_name": name,
            "email": format!("load-{}-{}-{}@example.com", self.run, self.number, self.made),
            "gender": "female",
            "user_id": uuid::Uuid::new_v4(),
        });
        (name, body)
    }

    async fn create(&mut self) {
        let (name, body) = self.new_customer();
        let call = Call::post("/api/customers")
            .bearer(&self.staff)
            .header("Idempotency-Key", &uuid::Uuid::new_v4().to_string())
            .json(&body);
        if let Some(answer) = self.settle("create", call).await
            && answer.status == 201
        {
            let customer = answer.json();
            self.owned.push(Owned {
                id: customer["id"].as_str().unwrap_or_default().to_owned(),
                business: self.business,
                name,
                version: customer["version"].as_u64().unwrap_or(1),
                ..Owned::default()
            });
        }
    }

    /// One of the client's customers still there, by position.
    fn pick(&self, seed: usize) -> Option<usize> {
        let live: Vec<usize> = (0..self.owned.len()).filter(|&i| !self.owned[i].deleted).collect();
        (!live.is_empty()).then(|| live[seed % live.len()])
    }

    async fn read(&mut self, at: usize) {
        let id = self.owned[at].id.clone();
        let call = Call::get(&format!("/api/customers/{id}")).bearer(&self.staff);
        if let Some(answer) = self.settle("read", call).await
            && answer.status != 200
        {
            self.report.lost.push(format!(
                "customer {id}: read {} while it should be there",
                answer.status
            ));
        }
    }

    async fn list(&mut self) {
        let call = Call::get("/api/customers?limit=20").bearer(&self.staff);
        if let Some(answer) = self.settle("list", call).await
            && answer.status != 200
        {
            self.report.lost.push(format!("list answered {}", answer.status));
        }
    }

    async fn patch(&mut self, at: usize) {
        let (id, version) = (self.owned[at].id.clone(), self.owned[at].version);
        self.made += 1;
        let name = format!("Load {} {} renamed {}", self.run, self.number, self.made);
        let call = Call::patch(&format!("/api/customers/{id}"))
            .bearer(&self.staff)
            .header("If-Match", &format!("\"{version}\""))
            .json(&json!({ "full_name": name }));
        let Some(answer) = self.settle("patch", call).await else {
            return;
        };
        match answer.status {
            200 => {
                let customer = answer.json();
                self.owned[at].name = name;
                self.owned[at].version = customer["version"].as_u64().unwrap_or(version + 1);
            }
            // After a retry, a 412 may be the first attempt's own commit:
            // settled by reading what is there.
            412 if answer.retried => self.adopt(at).await,
            _ => {}
        }
    }

    /// Takes the customer as it is now as what this client knows of it.
    async fn adopt(&mut self, at: usize) {
        let id = self.owned[at].id.clone();
        let call = Call::get(&format!("/api/customers/{id}")).bearer(&self.staff);
        if let Some(answer) = self.settle("read", call).await
            && answer.status == 200
        {
            let customer = answer.json();
            self.owned[at].name = customer["full_name"].as_str().unwrap_or_default().to_owned();
            self.owned[at].version = customer["version"].as_u64().unwrap_or_default();
        }
    }

    async fn tag(&mut self, at: usize) {
        let id = self.owned[at].id.clone();
        self.made += 1;
        let label = format!("L{}", self.made);
        let call = Call::post(&format!("/api/customers/{id}/tags"))
            .bearer(&self.staff)
            .header("Idempotency-Key", &uuid::Uuid::new_v4().to_string())
            .json(&json!({ "label": label }));
        if let Some(answer) = self.settle("tag", call).await
            && answer.status == 201
        {
            self.owned[at].tags.insert(label.to_lowercase());
        }
    }

    async fn note(&mut self, at: usize) {
        let id = self.owned[at].id.clone();
        let call = Call::post(&format!("/api/customers/{id}/notes"))
            .bearer(&self.staff)
            .header("Idempotency-Key", &uuid::Uuid::new_v4().to_string())
            .json(&json!({ "content": format!("Load note from client {}", self.number) }));
        if let Some(answer) = self.settle("note", call).await
            && answer.status == 201
            && let Some(note) = answer.json()["id"].as_str()
        {
            self.owned[at].notes.insert(note.to_owned());
        }
    }

    /// Buys tokens for a customer or spends some (a spend beyond the
    /// balance is refused): the checker holds every balance to its ledger.
    async fn tokens(&mut self, at: usize, buy: bool) {
        let id = self.owned[at].id.clone();
        let (route, caller) = if buy {
            ("purchase", self.admin.clone())
        } else {
            ("use", self.staff.clone())
        };
        let call = Call::post(&format!("/api/customers/{id}/tokens/{route}"))
            .bearer(&caller)
            .json(&json!({ "amount": if buy { 3 } else { 1 }, "movement_key": uuid::Uuid::new_v4().to_string() }));
        self.settle("tokens", call).await;
    }

    async fn delete(&mut self, at: usize) {
        let id = self.owned[at].id.clone();
        let call = Call::delete(&format!("/api/customers/{id}")).bearer(&self.admin);
        if let Some(answer) = self.settle("delete", call).await {
            // A 404 after a retry is the first attempt's own delete.
            if answer.status == 204 || (answer.status == 404 && answer.retried) {
                self.owned[at].deleted = true;
            }
        }
    }

    /// Mixed requests until `until`.
    async fn mix(&mut self, until: Instant) {
        let mut step = self.number;
        while Instant::now() < until {
            step = step.wrapping_mul(1_103_515_245).wrapping_add(12_345) % (1 << 31);
            let roll = step % 100;
            let seed = step / 100;
            match (roll, self.pick(seed)) {
                (0..25, _) | (_, None) => self.create().await,
                (25..45, Some(at)) => self.read(at).await,
                (45..55, _) => self.list().await,
                (55..70, Some(at)) => self.patch(at).await,
                (70..80, Some(at)) => self.tag(at).await,
                (80..90, Some(at)) => self.note(at).await,
                (90..95, Some(at)) => self.tokens(at, seed.is_multiple_of(3)).await,
                (_, Some(at)) => self.delete(at).await,
            }
        }
    }
}

/// Runs `load` through `transport`, with tokens from `tokens`, and checks
/// what must hold afterwards.
pub async fn run<T: Transport>(transport: &T, tokens: &Tokens, load: &Load) -> Report {
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let businesses: Vec<BusinessId> = (0..load.businesses.max(1)).map(|_| BusinessId::random()).collect();
    let mut clients: Vec<Client<'_, T>> = (0..load.clients.max(1))
        .map(|number| {
            let business = number % businesses.len();
            Client {
                transport,
                number,
                business,
                staff: tokens(businesses[business], Role::Staff),
                admin: tokens(businesses[business], Role::Admin),
                run: run.clone(),
                made: 0,
                owned: Vec::new(),
                report: Report::default(),
            }
        })
        .collect();

    let mut report = Report::default();
    races(&mut clients, &mut report).await;

    let started = Instant::now();
    let until = started + load.duration;
    futures_util::future::join_all(clients.iter_mut().map(|client| client.mix(until))).await;
    report.elapsed = started.elapsed();

    let mut owned = Vec::new();
    for client in clients.iter_mut() {
        owned.append(&mut client.owned);
    }
    for client in clients {
        report.merge(client.report);
    }
    let checker = Checker {
        transport,
        admins: businesses.iter().map(|b| tokens(*b, Role::Admin)).collect(),
    };
    report.lost.extend(checker.lost(&owned).await);
    report
}

/// Every client of a business, at once: the same email, then the same label
/// on one customer. Each race has one winner in the data, and at most one
/// client is told 201: a racer whose first try went unanswered may have won
/// and then been told 409 by its own retry, so no 201 at all is right only
/// after such a retry.
async fn races<T: Transport>(clients: &mut [Client<'_, T>], report: &mut Report) {
    let businesses: BTreeSet<usize> = clients.iter().map(|c| c.business).collect();
    for business in businesses {
        let racers: Vec<usize> = (0..clients.len())
            .filter(|&i| clients[i].business == business)
            .collect();
        if racers.len() < 2 {
            continue;
        }
        let email = format!("race-{}-{business}@example.com", clients[racers[0]].run);
        let barrier = Arc::new(Barrier::new(racers.len()));
        let created =
            futures_util::future::join_all(clients.iter_mut().filter(|c| c.business == business).map(|client| {
                let barrier = barrier.clone();
                let email = email.clone();
                async move {
                    let (_, mut body) = client.new_customer();
                    body["email"] = Value::from(email);
                    let call = Call::post("/api/customers")
                        .bearer(&client.staff)
                        .header("Idempotency-Key", &uuid::Uuid::new_v4().to_string())
                        .json(&body);
                    barrier.wait().await;
                    client
                        .settle("create", call)
                        .await
                        .map(|a| (a.status, a.retried, a.json()["id"].clone()))
                }
            }))
            .await;
        if let Some(problem) = one_winner("same email", &created) {
            report.races.push(problem);
            continue;
        }
        let first = &mut clients[racers[0]];
        let holders = first
            .settle(
                "list",
                Call::get(&format!("/api/customers?email={email}")).bearer(&first.admin),
            )
            .await
            .map(|a| a.json()["items"].as_array().cloned().unwrap_or_default())
            .unwrap_or_default();
        let [customer] = holders.as_slice() else {
            report.races.push(format!(
                "same email: {} customers of the business have it",
                holders.len()
            ));
            continue;
        };
        if let Some((_, _, told)) = created.iter().flatten().find(|(status, _, _)| *status == 201)
            && *told != customer["id"]
        {
            report.races.push(format!(
                "same email: {told} was told 201, {} has the email",
                customer["id"]
            ));
            continue;
        }
        let id = customer["id"].as_str().unwrap_or_default().to_owned();
        let label = format!("Race {business}");
        let barrier = Arc::new(Barrier::new(racers.len()));
        let tagged =
            futures_util::future::join_all(clients.iter_mut().filter(|c| c.business == business).map(|client| {
                let barrier = barrier.clone();
                let (id, label) = (id.clone(), label.clone());
                async move {
                    let call = Call::post(&format!("/api/customers/{id}/tags"))
                        .bearer(&client.staff)
                        .header("Idempotency-Key", &uuid::Uuid::new_v4().to_string())
                        .json(&json!({ "label": label }));
                    barrier.wait().await;
                    client
                        .settle("tag", call)
                        .await
                        .map(|a| (a.status, a.retried, Value::Null))
                }
            }))
            .await;
        if let Some(problem) = one_winner("same label", &tagged) {
            report.races.push(problem);
        }
        // The winner is the first racer's customer from now on; the check
        // afterwards finds its one tag of the label.
        clients[racers[0]].owned.push(Owned {
            id,
            business,
            name: customer["full_name"].as_str().unwrap_or_default().to_owned(),
            version: customer["version"].as_u64().unwrap_or(1),
            tags: BTreeSet::from([label.to_lowercase()]),
            ..Owned::default()
        });
    }
}

/// What is wrong with a race's answers (status, retried, what it said), if
/// anything: more than one 201, an answer other than 201 or 409, or no 201
/// without a retry that could have hidden it.
fn one_winner(race: &str, answers: &[Option<(u16, bool, Value)>]) -> Option<String> {
    let statuses: Vec<Option<(u16, bool)>> = answers.iter().map(|a| a.as_ref().map(|(s, r, _)| (*s, *r))).collect();
    let created = statuses.iter().flatten().filter(|(status, _)| *status == 201).count();
    let retried = statuses.iter().flatten().any(|(_, retried)| *retried);
    let odd = statuses.iter().any(|s| !matches!(s, Some((201 | 409, _))));
    (created > 1 || (created == 0 && !retried) || odd).then(|| {
        format!(
            "{race}, {} clients: answered (status, retried) {statuses:?}",
            answers.len()
        )
    })
}

/// Looks for every acknowledged write.
struct Checker<'a, T: Transport> {
    transport: &'a T,
    admins: Vec<String>,
}

impl<T: Transport> Checker<'_, T> {
    async fn get(&self, business: usize, path: &str) -> Option<TestResponse> {
        for _ in 0..20 {
            match self
                .transport
                .send(Call::get(path).bearer(&self.admins[business]))
                .await
            {
                Ok(answer) if answer.status != 503 => return Some(answer),
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        None
    }

    async fn lost(&self, owned: &[Owned]) -> Vec<String> {
        let mut lost = Vec::new();
        for customer in owned {
            let id = &customer.id;
            let Some(read) = self.get(customer.business, &format!("/api/customers/{id}")).await else {
                lost.push(format!("customer {id}: could not be read"));
                continue;
            };
            if customer.deleted {
                if read.status != 404 {
                    lost.push(format!("customer {id}: deleted (204), but reads {}", read.status));
                }
                continue;
            }
            if read.status != 200 {
                lost.push(format!("customer {id}: created (201), but reads {}", read.status));
                continue;
            }
            let body = read.json();
            if body["full_name"] != customer.name.as_str() {
                lost.push(format!(
                    "customer {id}: its last acknowledged name is {:?}, it reads {}",
                    customer.name, body["full_name"]
                ));
            }
            let tags = self
                .get(customer.business, &format!("/api/customers/tags/customer/{id}"))
                .await
                .map(|a| a.json());
            let labels: BTreeSet<String> = tags
                .as_ref()
                .and_then(|t| t["items"].as_array().or_else(|| t.as_array()).cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t["label"].as_str().map(str::to_lowercase))
                .collect();
            for label in customer.tags.difference(&labels) {
                lost.push(format!("customer {id}: tag {label:?} acknowledged (201), not found"));
            }
            let mut notes = BTreeSet::new();
            let mut path = format!("/api/customers/{id}/notes?limit=100");
            while let Some(page) = self.get(customer.business, &path).await.map(|a| a.json()) {
                for note in page["items"].as_array().cloned().unwrap_or_default() {
                    if let Some(note) = note["id"].as_str() {
                        notes.insert(note.to_owned());
                    }
                }
                match page["next_cursor"].as_str() {
                    Some(cursor) => path = format!("/api/customers/{id}/notes?limit=100&cursor={cursor}"),
                    None => break,
                }
            }
            for note in customer.notes.difference(&notes) {
                lost.push(format!("customer {id}: note {note} acknowledged (201), not found"));
            }
        }
        lost
    }
}
