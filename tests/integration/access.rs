//! Who may call what: every route of every function, for every kind of
//! caller, with the exact status each must get — the same through API Gateway
//! and its authorizer (the cloud) as with credentials checked in-process
//! (`make run`). Grows with every route.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clientele_auth::{ClientSecret, Principal, Role, SigningKey, TokenSettings, issue};
use clientele_core::order::{OrderChange, OrderEventKind};
use clientele_core::{BusinessId, Client, Scope, Timestamp};
use clientele_operations::orders;
use clientele_tests::app::{Function, signing_key, staff_of, upload};
use clientele_tests::{Call, TestApp, TestResponse, basic, customer_body, token};
use serde_json::json;

#[derive(Debug, Clone, Copy)]
enum Route {
    List,
    Search,
    Segments,
    Create,
    Get,
    Update,
    Replace,
    Delete,
    Stats,
    SetAvatar,
    Avatar,
    TagCreate,
    TagsOf,
    TagRemove,
    TagAddTo,
    TagRemoveFrom,
    NoteAdd,
    NotesOf,
    NoteRemove,
    Validate,
    Suspend,
    Reactivate,
    Audit,
    GdprExport,
    GdprErase,
    Root,
    Health,
    SegmentSave,
    SegmentsSaved,
    SegmentGet,
    SegmentDelete,
    SegmentMembers,
    ListAdd,
    ListRemove,
    Statistics,
    Orders,
    Order,
    ContactAdd,
    ContactsOf,
    ContactGet,
    ContactReplace,
    ContactRemove,
    ContactPrimary,
    ContactSearch,
    InteractionLog,
    InteractionsOf,
    InteractionRange,
    InteractionStatistics,
    InteractionSearch,
    InteractionGet,
    InteractionReplace,
    InteractionRemove,
    TokenBalance,
    TokenLedger,
    TokenUse,
    TokenPurchase,
    TokenAllocate,
    TokenRefund,
    TokenAdjust,
    UserAdd,
    UsersOf,
    UserGet,
    UserUpdate,
    UserRemove,
    UserPasswordReset,
    PlanCreate,
    Plans,
    PlanGet,
    PlanUpdate,
    Subscribe,
    SubscriptionsOf,
    SubscriptionGet,
    SubscriptionChange,
    SubscriptionCancel,
    ImportBegin,
    ImportGet,
    ImportStart,
    ImportRows,
    ExportBegin,
    ExportGet,
}

impl Route {
    /// The declared route it calls: method and path.
    fn declared(self) -> (&'static str, &'static str) {
        match self {
            Route::List => ("GET", "/api/customers/"),
            Route::Search => ("GET", "/api/customers/search"),
            Route::Segments => ("GET", "/api/customers/segments"),
            Route::Create => ("POST", "/api/customers/"),
            Route::Get => ("GET", "/api/customers/{customer_id}"),
            Route::Update => ("PATCH", "/api/customers/{customer_id}"),
            Route::Replace => ("PUT", "/api/customers/{customer_id}"),
            Route::Delete => ("DELETE", "/api/customers/{customer_id}"),
            Route::Stats => ("GET", "/api/customers/{customer_id}/stats"),
            Route::SetAvatar => ("POST", "/api/customers/{customer_id}/avatar"),
            Route::Avatar => ("GET", "/api/customers/{customer_id}/avatar"),
            Route::TagCreate => ("POST", "/api/customers/tags/"),
            Route::TagsOf => ("GET", "/api/customers/tags/customer/{customer_id}"),
            Route::TagRemove => ("DELETE", "/api/customers/tags/{tag_id}"),
            Route::TagAddTo => ("POST", "/api/customers/{customer_id}/tags"),
            Route::TagRemoveFrom => ("DELETE", "/api/customers/{customer_id}/tags/{tag_id}"),
            Route::NoteAdd => ("POST", "/api/customers/{customer_id}/notes"),
            Route::NotesOf => ("GET", "/api/customers/{customer_id}/notes"),
            Route::NoteRemove => ("DELETE", "/api/customers/{customer_id}/notes/{note_id}"),
            Route::Validate => ("POST", "/api/customers/{customer_id}/validate"),
            Route::Suspend => ("POST", "/api/customers/{customer_id}/suspend"),
            Route::Reactivate => ("POST", "/api/customers/{customer_id}/reactivate"),
            Route::Audit => ("GET", "/api/customers/{customer_id}/audit"),
            Route::GdprExport => ("POST", "/api/gdpr/export"),
            Route::GdprErase => ("POST", "/api/gdpr/delete"),
            Route::Root => ("GET", "/"),
            Route::Health => ("GET", "/health"),
            Route::SegmentSave => ("POST", "/api/customers/segments"),
            Route::SegmentsSaved => ("GET", "/api/customers/segments/saved"),
            Route::SegmentGet => ("GET", "/api/customers/segments/{segment_id}"),
            Route::SegmentDelete => ("DELETE", "/api/customers/segments/{segment_id}"),
            Route::SegmentMembers => ("GET", "/api/customers/segments/{segment_id}/customers"),
            Route::ListAdd => ("PUT", "/api/customers/segments/{segment_id}/customers/{customer_id}"),
            Route::ListRemove => ("DELETE", "/api/customers/segments/{segment_id}/customers/{customer_id}"),
            Route::Statistics => ("GET", "/api/customers/{customer_id}/statistics"),
            Route::Orders => ("GET", "/api/customers/{customer_id}/orders"),
            Route::Order => ("GET", "/api/customers/{customer_id}/orders/{order_id}"),
            Route::ContactAdd => ("POST", "/api/contacts"),
            Route::ContactsOf => ("GET", "/api/contacts/customer/{customer_id}"),
            Route::ContactGet => ("GET", "/api/contacts/{contact_id}"),
            Route::ContactReplace => ("PUT", "/api/contacts/{contact_id}"),
            Route::ContactRemove => ("DELETE", "/api/contacts/{contact_id}"),
            Route::ContactPrimary => ("PUT", "/api/contacts/{contact_id}/primary"),
            Route::ContactSearch => ("GET", "/api/contacts/search"),
            Route::InteractionLog => ("POST", "/api/interactions"),
            Route::InteractionsOf => ("GET", "/api/interactions/customer/{customer_id}"),
            Route::InteractionRange => ("GET", "/api/interactions/date-range"),
            Route::InteractionStatistics => ("GET", "/api/interactions/statistics"),
            Route::InteractionSearch => ("GET", "/api/interactions/search"),
            Route::InteractionGet => ("GET", "/api/interactions/{interaction_id}"),
            Route::InteractionReplace => ("PUT", "/api/interactions/{interaction_id}"),
            Route::InteractionRemove => ("DELETE", "/api/interactions/{interaction_id}"),
            Route::TokenBalance => ("GET", "/api/customers/{customer_id}/tokens"),
            Route::TokenLedger => ("GET", "/api/customers/{customer_id}/tokens/ledger"),
            Route::TokenUse => ("POST", "/api/customers/{customer_id}/tokens/use"),
            Route::TokenPurchase => ("POST", "/api/customers/{customer_id}/tokens/purchase"),
            Route::TokenAllocate => ("POST", "/api/customers/{customer_id}/tokens/allocate"),
            Route::TokenRefund => ("POST", "/api/customers/{customer_id}/tokens/refund"),
            Route::TokenAdjust => ("POST", "/api/customers/{customer_id}/tokens/adjust"),
            Route::UserAdd => ("POST", "/api/customers/{customer_id}/users"),
            Route::UsersOf => ("GET", "/api/customers/{customer_id}/users"),
            Route::UserGet => ("GET", "/api/customers/{customer_id}/users/{user_id}"),
            Route::UserUpdate => ("PATCH", "/api/customers/{customer_id}/users/{user_id}"),
            Route::UserRemove => ("DELETE", "/api/customers/{customer_id}/users/{user_id}"),
            Route::UserPasswordReset => ("POST", "/api/customers/{customer_id}/users/{user_id}/password-reset"),
            Route::PlanCreate => ("POST", "/api/plans"),
            Route::Plans => ("GET", "/api/plans"),
            Route::PlanGet => ("GET", "/api/plans/{plan_id}"),
            Route::PlanUpdate => ("PATCH", "/api/plans/{plan_id}"),
            Route::Subscribe => ("POST", "/api/customers/{customer_id}/subscriptions"),
            Route::SubscriptionsOf => ("GET", "/api/customers/{customer_id}/subscriptions"),
            Route::SubscriptionGet => ("GET", "/api/customers/{customer_id}/subscriptions/{subscription_id}"),
            Route::SubscriptionChange => ("PATCH", "/api/customers/{customer_id}/subscriptions/{subscription_id}"),
            Route::SubscriptionCancel => (
                "POST",
                "/api/customers/{customer_id}/subscriptions/{subscription_id}/cancel",
            ),
            Route::ImportBegin => ("POST", "/api/customers/imports"),
            Route::ImportGet => ("GET", "/api/customers/imports/{import_id}"),
            Route::ImportStart => ("POST", "/api/customers/imports/{import_id}/start"),
            Route::ImportRows => ("GET", "/api/customers/imports/{import_id}/rows"),
            Route::ExportBegin => ("POST", "/api/customers/exports"),
            Route::ExportGet => ("GET", "/api/customers/exports/{export_id}"),
        }
    }
}

const ROUTES: [Route; 80] = [
    Route::List,
    Route::Search,
    Route::Segments,
    Route::Create,
    Route::Get,
    Route::Update,
    Route::Replace,
    Route::Delete,
    Route::Stats,
    Route::SetAvatar,
    Route::Avatar,
    Route::TagCreate,
    Route::TagsOf,
    Route::TagRemove,
    Route::TagAddTo,
    Route::TagRemoveFrom,
    Route::NoteAdd,
    Route::NotesOf,
    Route::NoteRemove,
    Route::Validate,
    Route::Suspend,
    Route::Reactivate,
    Route::Audit,
    Route::GdprExport,
    Route::GdprErase,
    Route::Root,
    Route::Health,
    Route::SegmentSave,
    Route::SegmentsSaved,
    Route::SegmentGet,
    Route::SegmentDelete,
    Route::SegmentMembers,
    Route::ListAdd,
    Route::ListRemove,
    Route::Statistics,
    Route::Orders,
    Route::Order,
    Route::ContactAdd,
    Route::ContactsOf,
    Route::ContactGet,
    Route::ContactReplace,
    Route::ContactRemove,
    Route::ContactPrimary,
    Route::ContactSearch,
    Route::InteractionLog,
    Route::InteractionsOf,
    Route::InteractionRange,
    Route::InteractionStatistics,
    Route::InteractionSearch,
    Route::InteractionGet,
    Route::InteractionReplace,
    Route::InteractionRemove,
    Route::TokenBalance,
    Route::TokenLedger,
    Route::TokenUse,
    Route::TokenPurchase,
    Route::TokenAllocate,
    Route::TokenRefund,
    Route::TokenAdjust,
    Route::UserAdd,
    Route::UsersOf,
    Route::UserGet,
    Route::UserUpdate,
    Route::UserRemove,
    Route::UserPasswordReset,
    Route::PlanCreate,
    Route::Plans,
    Route::PlanGet,
    Route::PlanUpdate,
    Route::Subscribe,
    Route::SubscriptionsOf,
    Route::SubscriptionGet,
    Route::SubscriptionChange,
    Route::SubscriptionCancel,
    Route::ImportBegin,
    Route::ImportGet,
    Route::ImportStart,
    Route::ImportRows,
    Route::ExportBegin,
    Route::ExportGet,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Nobody,
    NotAToken,
    WrongKey,
    Expired,
    AlgNone,
    TooLongLived,
    UnknownRole,
    Viewer,
    Staff,
    Admin,
    AdminOfAnotherBusiness,
    ActiveClient,
    ReadOnlyClient,
    InactiveClient,
    WrongClientSecret,
    UnknownClient,
    ClientOfAnotherBusiness,
}

const CALLERS: [Caller; 17] = [
    Caller::Nobody,
    Caller::NotAToken,
    Caller::WrongKey,
    Caller::Expired,
    Caller::AlgNone,
    Caller::TooLongLived,
    Caller::UnknownRole,
    Caller::Viewer,
    Caller::Staff,
    Caller::Admin,
    Caller::AdminOfAnotherBusiness,
    Caller::ActiveClient,
    Caller::ReadOnlyClient,
    Caller::InactiveClient,
    Caller::WrongClientSecret,
    Caller::UnknownClient,
    Caller::ClientOfAnotherBusiness,
];

/// The status each route answers a caller, in the order of [`ROUTES`]:
/// customers (list, search, segments, create, get, update, delete, stats, set avatar, avatar),
/// tags (create, of a customer, remove, add to, remove from),
/// notes (add, of a customer, remove), lifecycle (validate, suspend,
/// reactivate), the audit trail, gdpr (export, delete), service (root, health),
/// saved segments (save, list, get, delete, members, put on a list, take off),
/// orders (statistics, history, one order), contacts (add, of a customer,
/// get, replace, remove, make primary, search one customer's), interactions
/// (log, timeline, date range, statistics, search, get, replace, remove),
/// tokens (balance, ledger, use, purchase, allocate, refund, adjust),
/// users (add, of a customer, get, update, remove, password reset),
/// plans (create, list, get, update) and subscriptions (subscribe, of a
/// customer, get, change plan, cancel), imports (ask, get, start, rows) and
/// exports (ask, get).
///
/// Plans are read by the business's callers wherever the customer is: a
/// caller of another business reads its own business's (none here), and
/// makes plans in it.
///
/// Staff (and a writing client) spend tokens; every other movement is for
/// admins. The customer spending has tokens to spend, bought by an admin.
///
/// The interactions changed are logged by another staff member, so staff (and
/// a writing client) may not change them; admins may.
///
/// The notes deleted are written by another staff member, so staff (and a
/// writing client) may not delete them; admins may.
fn expected(caller: Caller) -> [u16; 80] {
    match caller {
        Caller::Nobody
        | Caller::NotAToken
        | Caller::WrongKey
        | Caller::Expired
        | Caller::AlgNone
        | Caller::TooLongLived
        | Caller::UnknownRole
        | Caller::InactiveClient
        | Caller::WrongClientSecret
        | Caller::UnknownClient => [
            401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401,
            401, 401, 401, 401, 200, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401,
            401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401,
            401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401,
        ],
        Caller::Viewer | Caller::ReadOnlyClient => [
            200, 200, 200, 403, 200, 403, 403, 403, 200, 403, 302, 403, 200, 403, 403, 403, 403, 200, 403, 403, 403,
            403, 403, 403, 403, 200, 200, 403, 200, 200, 403, 200, 403, 403, 200, 200, 200, 403, 200, 200, 403, 403,
            403, 200, 403, 200, 200, 200, 200, 200, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 200, 200, 403,
            403, 403, 403, 200, 200, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403,
        ],
        Caller::Staff | Caller::ActiveClient => [
            200, 200, 200, 201, 200, 200, 200, 403, 200, 200, 302, 201, 200, 403, 201, 403, 201, 200, 403, 403, 403,
            403, 403, 403, 403, 200, 200, 403, 200, 200, 403, 200, 403, 403, 200, 200, 200, 201, 200, 200, 200, 403,
            200, 200, 201, 200, 200, 200, 200, 200, 403, 403, 200, 200, 201, 403, 403, 403, 403, 201, 200, 200, 200,
            403, 202, 403, 200, 200, 403, 403, 200, 200, 403, 403, 201, 200, 202, 200, 403, 403,
        ],
        Caller::Admin => [
            200, 200, 200, 201, 200, 200, 200, 204, 200, 200, 302, 201, 200, 204, 201, 204, 201, 200, 204, 200, 200,
            200, 200, 200, 200, 200, 200, 201, 200, 200, 204, 200, 201, 204, 200, 200, 200, 201, 200, 200, 200, 204,
            200, 200, 201, 200, 200, 200, 200, 200, 200, 204, 200, 200, 201, 201, 201, 201, 201, 201, 200, 200, 200,
            204, 202, 201, 200, 200, 200, 201, 200, 200, 200, 200, 201, 200, 202, 200, 202, 200,
        ],
        Caller::AdminOfAnotherBusiness | Caller::ClientOfAnotherBusiness => [
            200, 200, 200, 201, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404,
            404, 404, 404, 404, 200, 200, 201, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404,
            404, 404, 404, 404, 200, 200, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404,
            404, 404, 201, 200, 404, 404, 404, 404, 404, 404, 404, 201, 404, 404, 404, 202, 404,
        ],
    }
}

/// The clients the callers use.
struct Clients {
    active: (Client, ClientSecret),
    read_only: (Client, ClientSecret),
    inactive: (Client, ClientSecret),
    elsewhere: (Client, ClientSecret),
}

impl Clients {
    async fn make(app: &TestApp) -> Self {
        let inactive = app.client(app.business, &[Scope::CustomersRead]).await;
        clientele_auth::clients::deactivate(&app.store, inactive.0.id, Timestamp::now())
            .await
            .unwrap();
        Self {
            active: app
                .client(app.business, &[Scope::CustomersRead, Scope::CustomersWrite])
                .await,
            read_only: app.client(app.business, &[Scope::CustomersRead]).await,
            inactive,
            elsewhere: app
                .client(
                    BusinessId::random(),
                    &[Scope::CustomersRead, Scope::CustomersWrite, Scope::CustomersAdmin],
                )
                .await,
        }
    }
}

fn alg_none_token(business: BusinessId) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = json!({
        "sub": "intruder", "business_id": business.to_string(), "roles": ["admin"],
        "iss": "clientele", "aud": "clientele-api",
        "exp": Timestamp::now().unix_seconds() + 600
    });
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

fn signed(key: &SigningKey, business: BusinessId, roles: &[Role], lifetime: u64, at: Timestamp) -> String {
    issue(
        key,
        &TokenSettings::default(),
        "someone",
        business,
        roles,
        Duration::from_secs(lifetime),
        at,
    )
    .unwrap()
}

fn unknown_role_token(business: BusinessId) -> String {
    let claims = json!({
        "sub": "someone", "business_id": business.to_string(), "roles": ["superuser"],
        "iss": "clientele", "aud": "clientele-api", "exp": Timestamp::now().unix_seconds() + 600
    });
    let key = jsonwebtoken::EncodingKey::from_secret(signing_key().expose());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

fn credentials(call: Call, caller: Caller, business: BusinessId, clients: &Clients) -> Call {
    let client = |(client, secret): &(Client, ClientSecret)| basic(&client.id.to_string(), secret.expose());
    let now = Timestamp::now();
    match caller {
        Caller::Nobody => call,
        Caller::NotAToken => call.bearer("not-a-token"),
        Caller::WrongKey => {
            let other = SigningKey::new("not-the-key-the-service-trusts-at-all").unwrap();
            call.bearer(&signed(&other, business, &[Role::Admin], 600, now))
        }
        Caller::Expired => call.bearer(&signed(
            &signing_key(),
            business,
            &[Role::Admin],
            1_800,
            now.plus_seconds(-3_600),
        )),
        Caller::AlgNone => call.bearer(&alg_none_token(business)),
        Caller::TooLongLived => call.bearer(&signed(&signing_key(), business, &[Role::Admin], 86_400, now)),
        Caller::UnknownRole => call.bearer(&unknown_role_token(business)),
        Caller::Viewer => call.bearer(&token(business, &[Role::Viewer])),
        Caller::Staff => call.bearer(&token(business, &[Role::Staff])),
        Caller::Admin => call.bearer(&token(business, &[Role::Admin])),
        Caller::AdminOfAnotherBusiness => call.bearer(&token(BusinessId::random(), &[Role::Admin])),
        Caller::ActiveClient => call.header("authorization", &client(&clients.active)),
        Caller::ReadOnlyClient => call.header("authorization", &client(&clients.read_only)),
        Caller::InactiveClient => call.header("authorization", &client(&clients.inactive)),
        Caller::WrongClientSecret => {
            let id = clients.active.0.id.to_string();
            call.header("authorization", &basic(&id, ClientSecret::generate().unwrap().expose()))
        }
        Caller::UnknownClient => {
            let secret = clients.active.1.expose().to_owned();
            call.header("authorization", &basic(&uuid::Uuid::new_v4().to_string(), &secret))
        }
        Caller::ClientOfAnotherBusiness => call.header("authorization", &client(&clients.elsewhere)),
    }
}

/// A PNG by its first bytes: enough for the service to take it as one.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-a-small-avatar";

/// Sets up what a route acts on (a customer, with a tag, a note or an avatar,
/// made by another staff member) and returns the call to make.
async fn call_for(app: &TestApp, route: Route) -> Call {
    let setup = |call: Call| call.authorized_as(&staff_of(app.business));
    let as_admin = |call: Call| call.authorized_as(&Principal::user("test-admin", app.business, vec![Role::Admin]));
    let created = app
        .send(setup(Call::post("/api/customers/")).json(&customer_body("Matrix Cell")))
        .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let item = format!("/api/customers/{id}");
    let made = |response: TestResponse| response.json()["id"].as_str().unwrap().to_owned();
    match route {
        Route::List => Call::get("/api/customers/"),
        // The setup's own customer, by its email: every call makes one named
        // "Matrix Cell", and a word all of them share is a search of its own.
        Route::Search => Call::get(&format!(
            "/api/customers/search?q={}",
            created.json()["email"].as_str().unwrap()
        )),
        Route::Segments => Call::get("/api/customers/segments"),
        Route::Create => Call::post("/api/customers/").json(&customer_body("Created In Cell")),
        Route::Get => Call::get(&item),
        Route::Update => Call::patch(&item).json(&json!({"full_name": "Changed In Cell"})),
        Route::Replace => Call::new("PUT", &item).json(&json!({
            "full_name": "Replaced In Cell",
            "email": format!("replaced.{}@example.com", uuid::Uuid::new_v4().simple()),
            "gender": "other"
        })),
        Route::Delete => Call::delete(&item),
        Route::Stats => Call::get(&format!("{item}/stats")),
        Route::SetAvatar => Call::post(&format!("{item}/avatar"))
            .header("content-type", "image/png")
            .bytes(PNG),
        Route::Avatar => {
            let set = setup(
                Call::post(&format!("{item}/avatar"))
                    .header("content-type", "image/png")
                    .bytes(PNG),
            );
            assert_eq!(app.send(set).await.status, 200);
            Call::get(&format!("{item}/avatar"))
        }
        Route::TagCreate => Call::post("/api/customers/tags/").json(&json!({"customer_id": id, "label": "VIP"})),
        Route::TagsOf => Call::get(&format!("/api/customers/tags/customer/{id}")),
        Route::TagRemove | Route::TagRemoveFrom => {
            let tag = made(
                app.send(setup(Call::post(&format!("{item}/tags"))).json(&json!({"label": "Old"})))
                    .await,
            );
            match route {
                Route::TagRemove => Call::delete(&format!("/api/customers/tags/{tag}")),
                _ => Call::delete(&format!("{item}/tags/{tag}")),
            }
        }
        Route::TagAddTo => Call::post(&format!("{item}/tags")).json(&json!([{"label": "A"}, {"label": "B"}])),
        Route::NoteAdd => Call::post(&format!("{item}/notes")).json(&json!({"content": "Called back."})),
        Route::NotesOf => Call::get(&format!("{item}/notes")),
        Route::NoteRemove => {
            let note = made(
                app.send(setup(Call::post(&format!("{item}/notes"))).json(&json!({"content": "x"})))
                    .await,
            );
            Call::delete(&format!("{item}/notes/{note}"))
        }
        Route::Validate => Call::post(&format!("{item}/validate")),
        Route::Suspend | Route::Reactivate => {
            let admin =
                |call: Call| call.authorized_as(&Principal::user("test-admin", app.business, vec![Role::Admin]));
            assert_eq!(
                app.send(admin(Call::post(&format!("{item}/validate")))).await.status,
                200
            );
            if let Route::Suspend = route {
                Call::post(&format!("{item}/suspend")).json(&json!({"reason": "Matrix cell"}))
            } else {
                let suspend = Call::post(&format!("{item}/suspend")).json(&json!({"reason": "Matrix cell"}));
                assert_eq!(app.send(admin(suspend)).await.status, 200);
                Call::post(&format!("{item}/reactivate"))
            }
        }
        Route::Audit => Call::get(&format!("{item}/audit")),
        Route::GdprExport => Call::post("/api/gdpr/export").json(&json!({"customer_id": id})),
        Route::GdprErase => Call::post("/api/gdpr/delete").json(&json!({"customer_id": id})),
        Route::Root => Call::get("/"),
        Route::Health => Call::get("/health"),
        Route::SegmentSave => Call::post("/api/customers/segments").json(&json!({
            "name": format!("Cell {}", uuid::Uuid::new_v4().simple()), "filter": {"status": "active"}
        })),
        Route::SegmentsSaved => Call::get("/api/customers/segments/saved"),
        Route::SegmentGet | Route::SegmentDelete | Route::SegmentMembers | Route::ListAdd | Route::ListRemove => {
            let admin =
                |call: Call| call.authorized_as(&Principal::user("test-admin", app.business, vec![Role::Admin]));
            let list = Call::post("/api/customers/segments").json(&json!({
                "name": format!("List {}", uuid::Uuid::new_v4().simple()), "kind": "list"
            }));
            let segment = format!("/api/customers/segments/{}", made(app.send(admin(list)).await));
            let place = format!("{segment}/customers/{id}");
            match route {
                Route::SegmentGet => Call::get(&segment),
                Route::SegmentDelete => Call::delete(&segment),
                Route::SegmentMembers => Call::get(&format!("{segment}/customers")),
                Route::ListAdd => Call::new("PUT", &place),
                _ => {
                    assert_eq!(app.send(admin(Call::new("PUT", &place))).await.status, 201);
                    Call::delete(&place)
                }
            }
        }
        Route::Statistics => Call::get(&format!("{item}/statistics")),
        Route::Orders => Call::get(&format!("{item}/orders")),
        Route::Order => {
            let detail = json!({"customerId": id, "businessId": app.business.to_string(),
                "orderId": "order-1", "sequence": 1, "total": 10, "currency": "EUR"});
            let change = OrderChange::from_detail(OrderEventKind::Created, &detail, Timestamp::now()).unwrap();
            orders::track(&app.store, &change, Timestamp::now()).await.unwrap();
            Call::get(&format!("{item}/orders/order-1"))
        }
        Route::ContactAdd => Call::post("/api/contacts").json(&json!({"customer_id": id, "full_name": "Cell Contact"})),
        Route::ContactsOf => Call::get(&format!("/api/contacts/customer/{id}")),
        Route::ContactSearch => Call::get(&format!("/api/contacts/search?q=cell&customer_id={id}")),
        Route::InteractionLog => Call::post("/api/interactions").json(&json!({
            "customer_id": id, "type": "call", "direction": "outbound",
            "subject": "Matrix call", "occurred_at": "2026-11-20T10:00:00Z"
        })),
        Route::InteractionsOf => Call::get(&format!("/api/interactions/customer/{id}")),
        Route::InteractionRange => {
            Call::get("/api/interactions/date-range?from=2026-11-01T00:00:00Z&to=2026-11-30T00:00:00Z")
        }
        Route::InteractionStatistics => Call::get("/api/interactions/statistics?from=2026-11-01&to=2026-11-30"),
        Route::InteractionSearch => {
            // A word of its own: every setup logs "Matrix" interactions, and
            // a search for a word thousands share pages slowly under load.
            let word = format!("probe{}", uuid::Uuid::new_v4().simple());
            let body = json!({
                "customer_id": id, "type": "call", "direction": "outbound",
                "subject": format!("Matrix {word}"), "occurred_at": "2026-11-21T10:00:00Z"
            });
            made(app.send(setup(Call::post("/api/interactions")).json(&body)).await);
            Call::get(&format!("/api/interactions/search?q={word}"))
        }
        Route::InteractionGet | Route::InteractionReplace | Route::InteractionRemove => {
            let body = json!({
                "customer_id": id, "type": "meeting", "direction": "inbound",
                "subject": "Matrix meeting", "occurred_at": "2026-11-21T10:00:00Z"
            });
            let made = made(app.send(setup(Call::post("/api/interactions")).json(&body)).await);
            let interaction = format!("/api/interactions/{made}");
            match route {
                Route::InteractionGet => Call::get(&interaction),
                Route::InteractionReplace => Call::new("PUT", &interaction).json(&body),
                _ => Call::delete(&interaction),
            }
        }
        Route::TokenBalance => Call::get(&format!("{item}/tokens")),
        Route::TokenLedger => Call::get(&format!("{item}/tokens/ledger")),
        Route::TokenUse | Route::TokenPurchase | Route::TokenAllocate | Route::TokenRefund | Route::TokenAdjust => {
            // A key of its own: the same key again would be a replay.
            let key = |what: &str| format!("{what}-{}", uuid::Uuid::new_v4().simple());
            let body = json!({"amount": 2, "movement_key": key("matrix"), "reference": "matrix", "reason": "goodwill"});
            let (verb, body) = match route {
                Route::TokenUse => {
                    let stock = json!({"amount": 5, "movement_key": key("stock")});
                    let admin = Principal::user("test-admin", app.business, vec![Role::Admin]);
                    let buy = Call::post(&format!("{item}/tokens/purchase")).authorized_as(&admin);
                    let bought = app.send(buy.json(&stock)).await;
                    assert_eq!(bought.status, 201, "{}", bought.problem());
                    ("use", json!({"amount": 2, "movement_key": key("matrix")}))
                }
                Route::TokenPurchase => ("purchase", json!({"amount": 2, "movement_key": key("matrix")})),
                Route::TokenAllocate => ("allocate", json!({"amount": 2, "movement_key": key("matrix")})),
                Route::TokenRefund => (
                    "refund",
                    json!({"amount": 2, "movement_key": key("matrix"), "reference": "matrix"}),
                ),
                _ => ("adjust", body),
            };
            Call::post(&format!("{item}/tokens/{verb}")).json(&body)
        }
        Route::UserAdd => Call::post(&format!("{item}/users")).json(&json!({
            "email": format!("matrix-{}@example.com", uuid::Uuid::new_v4().simple()), "full_name": "Matrix User"
        })),
        Route::UsersOf => Call::get(&format!("{item}/users")),
        Route::UserGet | Route::UserUpdate | Route::UserRemove | Route::UserPasswordReset => {
            let body = json!({
                "email": format!("matrix-{}@example.com", uuid::Uuid::new_v4().simple()), "full_name": "Matrix User"
            });
            let made = made(app.send(setup(Call::post(&format!("{item}/users"))).json(&body)).await);
            let user = format!("{item}/users/{made}");
            match route {
                Route::UserGet => Call::get(&user),
                Route::UserUpdate => Call::patch(&user).json(&json!({"role": "billing"})),
                Route::UserRemove => Call::delete(&user),
                _ => Call::post(&format!("{user}/password-reset")),
            }
        }
        Route::PlanCreate => Call::post("/api/plans").json(&plan_body()),
        Route::Plans => Call::get("/api/plans"),
        Route::PlanGet | Route::PlanUpdate | Route::Subscribe => {
            let plan = made(app.send(as_admin(Call::post("/api/plans")).json(&plan_body())).await);
            match route {
                Route::PlanGet => Call::get(&format!("/api/plans/{plan}")),
                Route::PlanUpdate => Call::patch(&format!("/api/plans/{plan}")).json(&json!({"tokens_per_period": 20})),
                _ => Call::post(&format!("{item}/subscriptions")).json(&json!({"plan_id": plan})),
            }
        }
        Route::SubscriptionsOf => Call::get(&format!("{item}/subscriptions")),
        Route::SubscriptionGet | Route::SubscriptionChange | Route::SubscriptionCancel => {
            let plan = made(app.send(as_admin(Call::post("/api/plans")).json(&plan_body())).await);
            let other = made(app.send(as_admin(Call::post("/api/plans")).json(&plan_body())).await);
            let subscribe = as_admin(Call::post(&format!("{item}/subscriptions"))).json(&json!({"plan_id": plan}));
            let subscription = format!("{item}/subscriptions/{}", made(app.send(subscribe).await));
            match route {
                Route::SubscriptionGet => Call::get(&subscription),
                Route::SubscriptionChange => Call::patch(&subscription).json(&json!({"plan_id": other})),
                _ => Call::post(&format!("{subscription}/cancel")).json(&json!({"at_period_end": true})),
            }
        }
        Route::ImportBegin => Call::post("/api/customers/imports").json(&json!({"format": "csv"})),
        Route::ImportGet | Route::ImportStart | Route::ImportRows => {
            let asked = app
                .send(as_admin(Call::post("/api/customers/imports")).json(&json!({"format": "ndjson"})))
                .await
                .json();
            let file = json!({"user_id": uuid::Uuid::new_v4().to_string(), "full_name": "Imported In Cell",
                "email": format!("imported.{}@example.com", uuid::Uuid::new_v4().simple()), "gender": "other"});
            let url = asked["upload_url"].as_str().unwrap();
            assert_eq!(
                upload(url, "application/x-ndjson", file.to_string().as_bytes()).await,
                200
            );
            let path = format!("/api/customers/imports/{}", asked["id"].as_str().unwrap());
            match route {
                Route::ImportGet => Call::get(&path),
                Route::ImportStart => Call::post(&format!("{path}/start")),
                _ => Call::get(&format!("{path}/rows")),
            }
        }
        Route::ExportBegin => Call::post("/api/customers/exports").json(&json!({"format": "ndjson"})),
        Route::ExportGet => {
            let asked = app
                .send(as_admin(Call::post("/api/customers/exports")).json(&json!({"format": "csv"})))
                .await;
            Call::get(asked.header("location").unwrap())
        }
        Route::ContactGet | Route::ContactReplace | Route::ContactRemove | Route::ContactPrimary => {
            let made = made(
                app.send(
                    setup(Call::post("/api/contacts")).json(&json!({"customer_id": id, "full_name": "Matrix Contact"})),
                )
                .await,
            );
            let contact = format!("/api/contacts/{made}");
            match route {
                Route::ContactGet => Call::get(&contact),
                Route::ContactReplace => Call::new("PUT", &contact).json(&json!({"full_name": "Replaced Contact"})),
                Route::ContactRemove => Call::delete(&contact),
                _ => Call::new("PUT", &format!("{contact}/primary")),
            }
        }
    }
}

/// A plan of the test's business, as an admin makes it.
fn plan_body() -> serde_json::Value {
    json!({"name": format!("Matrix {}", uuid::Uuid::new_v4().simple()), "period": "month",
        "price": {"amount": "9.90", "currency": "EUR"}, "tokens_per_period": 10})
}

fn check(response: &TestResponse, status: u16, what: &str) {
    assert_eq!(
        response.status,
        status,
        "{what}: {}",
        String::from_utf8_lossy(&response.body)
    );
    let from_api_gateway = response.header("content-type").is_none();
    if status >= 400 && !from_api_gateway {
        response.problem();
    }
    if status == 401 && !from_api_gateway {
        assert!(response.header("www-authenticate").is_some(), "{what}");
    }
}

#[test]
fn the_matrix_has_a_row_for_every_route_a_function_declares() {
    let covered: BTreeSet<(&str, &str)> = ROUTES.into_iter().map(Route::declared).collect();
    let declared: BTreeSet<(&str, &str)> = Function::ALL
        .into_iter()
        .flat_map(|function| function.routes())
        .map(|route| (route.method.as_str(), route.path))
        .collect();
    assert_eq!(
        covered, declared,
        "add the new route to ROUTES, expected() and call_for()"
    );
}

#[tokio::test]
async fn every_route_answers_every_caller_the_same_in_the_cloud_and_locally() {
    let app = TestApp::spawn().await;
    let clients = Clients::make(&app).await;
    for caller in CALLERS {
        for (route, status) in ROUTES.into_iter().zip(expected(caller)) {
            let (method, path) = route.declared();
            let call = call_for(&app, route).await;
            let spec = clientele_http::RouteSpec {
                method: clientele_http::Verb::ALL
                    .into_iter()
                    .find(|verb| verb.as_str() == method)
                    .unwrap(),
                path,
                access: None,
            };
            assert!(
                spec.matches(call.method(), call.path()),
                "{route:?} calls {}",
                call.path()
            );
            let local = answer(&app, (route, call), caller, &clients, Via::Local).await;
            check(&local, status, &format!("make run: {caller:?} {route:?}"));
            let first = call_for(&app, route).await;
            let cloud = answer(&app, (route, first), caller, &clients, Via::Gateway).await;
            check(&cloud, status, &format!("cloud: {caller:?} {route:?}"));
        }
    }
}

/// How a call reaches the functions.
#[derive(Clone, Copy)]
enum Via {
    /// Credentials checked in-process, as `make run` does.
    Local,
    /// Through API Gateway's authorizer, as in the cloud.
    Gateway,
}

/// What `route` answers `caller`, asked by `call`. A 503 (DynamoDB Local,
/// loaded by the whole suite, timing out) says nothing about access, and
/// that nothing was changed: the call is made again, with a fresh setup, a
/// few times.
async fn answer(
    app: &TestApp,
    (route, call): (Route, Call),
    caller: Caller,
    clients: &Clients,
    via: Via,
) -> TestResponse {
    let mut attempts = 0;
    let mut next = Some(call);
    loop {
        let call = match next.take() {
            Some(call) => call,
            None => call_for(app, route).await,
        };
        let call = credentials(call, caller, app.business, clients);
        let response = match via {
            Via::Local => app.send(call).await,
            Via::Gateway => app.send_via_gateway(call).await,
        };
        attempts += 1;
        if response.status != 503 || attempts == 3 {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn refused_clients_all_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let clients = Clients::make(&app).await;
    let mut bodies = Vec::new();
    for caller in [Caller::InactiveClient, Caller::WrongClientSecret, Caller::UnknownClient] {
        for via_gateway in [false, true] {
            let call = credentials(Call::get("/api/customers/"), caller, app.business, &clients);
            let response = if via_gateway {
                app.send_via_gateway(call).await
            } else {
                app.send(call).await
            };
            assert_eq!(response.status, 401);
            // The same answer but for the request's own id.
            let mut body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
            if let Some(problem) = body.as_object_mut() {
                problem.remove("request_id");
            }
            bodies.push((body, response.header("www-authenticate").map(str::to_owned)));
        }
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "no hint which: {bodies:?}"
    );
}

#[tokio::test]
async fn behind_api_gateway_a_token_alone_is_not_trusted() {
    let app = TestApp::spawn().await;
    let response = clientele_tests::TestResponse::read(
        app.cloud
            .customers
            .handle(
                Call::get("/api/customers/")
                    .bearer(&app.token(Role::Admin))
                    .to_request(),
            )
            .await,
    )
    .await;
    assert_eq!(
        response.status, 401,
        "route functions never verify tokens themselves in the cloud"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_answered_before_credentials() {
    let app = TestApp::spawn().await;
    let response = app.send(Call::get("/api/customers/x/y/z")).await;
    assert_eq!((response.status, response.problem()), (404, "not-found".to_owned()));
    let response = app.send(Call::new("PUT", "/api/customers/")).await;
    assert_eq!((response.status, response.header("allow")), (405, Some("GET, POST")));
    let response = app.send(Call::get("/nowhere")).await;
    assert_eq!((response.status, response.problem()), (404, "not-found".to_owned()));
}
