//! No drift between the code, the template, the local router, the API
//! contract and the docs. Each function's route table (`routes()` in its
//! crate) is the source: the template's routes are exactly the declared ones
//! (with the trailing-slash forms the contract also publishes), `make run`'s
//! router sends each to its function, and `docs/api.md`'s table is the
//! declared one. The contract, `infra/openapi.yaml`, is written by hand, as
//! the independent statement the code is held to: it documents exactly the
//! template's routes, every documented operation is served by its function's
//! own routing, and no function serves a method on a documented path that the
//! document leaves out. Every crate under `functions/` has its resource in
//! the template and every resource its crate.

use std::collections::{BTreeMap, BTreeSet};

use clientele_auth::Access;
use clientele_stack::Template;
use clientele_tests::app::Function;
use clientele_tests::services::project_root;
use clientele_tests::{Call, TestApp};
use serde_json::Value;

/// `(method, path) → function`.
type Routes = BTreeMap<(String, String), String>;

fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(project_root().join("functions"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The template's routes, but for the `$default` catch-all.
fn template_routes() -> Routes {
    let mut routes = Routes::new();
    for function in Template::bundled().unwrap().functions() {
        for route in function.routes.into_iter().filter(|(_, path)| path != "$default") {
            let previous = routes.insert(route.clone(), function.binary.clone());
            assert!(previous.is_none(), "{route:?} is routed twice");
        }
    }
    routes
}

fn contract_routes() -> Routes {
    let text = std::fs::read_to_string(project_root().join("infra/openapi.yaml")).unwrap();
    let document: Value = serde_norway::from_str(&text).unwrap();
    let mut routes = Routes::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete", "head", "options"].contains(&method.as_str()) {
                let function = operation["x-clientele-function"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path} names no x-clientele-function"));
                routes.insert((method.to_uppercase(), path.clone()), function.to_owned());
            }
        }
    }
    routes
}

/// `make run`'s router: path → function, read back from the file
/// `clientele local-router` writes (`"path" = "binary"` lines under
/// `[watch.router]`).
fn local_router() -> BTreeMap<String, String> {
    let text = Template::bundled().unwrap().watch_router_toml();
    let (_, table) = text.split_once("[watch.router]\n").unwrap();
    table
        .lines()
        .map(|line| {
            let (path, binary) = line.split_once(" = ").unwrap();
            let string = |quoted: &str| serde_json::from_str::<String>(quoted).unwrap();
            (string(path), string(binary))
        })
        .collect()
}

/// A concrete path for a template: every `{parameter}` a fresh UUID.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The HTTP function of this name.
fn http_function(name: &str) -> Function {
    Function::ALL
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no HTTP function {name}"))
}

/// Whether `function`, as deployed, serves `method` on `path`: its own
/// routing answers anything but 404 and 405 to a caller without credentials
/// (its gate's 401, or a public route's answer).
async fn serves(app: &TestApp, function: &str, method: &str, path: &str) -> bool {
    let function = app.cloud.named(http_function(function));
    let status = function.handle(Call::new(method, path).to_request()).await.status();
    status != 404 && status != 405
}

/// Every function's declared routes: `(method, path) → function`.
fn declared_routes() -> Routes {
    let mut routes = Routes::new();
    for function in Function::ALL {
        for route in function.routes() {
            let key = (route.method.as_str().to_owned(), route.path.to_owned());
            let previous = routes.insert(key.clone(), function.name().to_owned());
            assert!(previous.is_none(), "{key:?} is declared twice");
        }
    }
    routes
}

#[test]
fn every_function_crate_has_its_resource_and_every_resource_its_crate() {
    let built: BTreeSet<String> = Template::bundled()
        .unwrap()
        .functions()
        .into_iter()
        .map(|f| f.binary)
        .collect();
    assert_eq!(built, function_crates());
}

#[test]
fn what_no_route_matches_reaches_the_service_function_in_the_cloud_and_locally() {
    let catch_all: Vec<String> = Template::bundled()
        .unwrap()
        .functions()
        .into_iter()
        .filter(|f| {
            f.routes
                .iter()
                .any(|(method, path)| method == "ANY" && path == "$default")
        })
        .map(|f| f.binary)
        .collect();
    assert_eq!(catch_all, ["service"]);
    assert_eq!(local_router().get("/{*path}").map(String::as_str), Some("service"));
}

#[tokio::test]
async fn an_unknown_path_gets_the_service_functions_404() {
    let unknown = service::function()
        .handle(Call::new("PUT", "/api/nothing-here").to_request())
        .await;
    assert_eq!(unknown.status(), 404);
}

#[test]
fn the_template_routes_exactly_the_routes_each_function_declares() {
    let template = template_routes();
    let declared = declared_routes();
    for ((method, path), function) in &declared {
        assert_eq!(
            template.get(&(method.clone(), path.clone())),
            Some(function),
            "{function} declares {method} {path}: infra/template.yaml must route it there"
        );
    }
    for ((method, path), function) in &template {
        let reached = http_function(function)
            .routes()
            .iter()
            .any(|route| route.matches(method, path));
        assert!(
            reached,
            "infra/template.yaml routes {method} {path} to {function}, which declares no such route"
        );
    }
}

#[test]
fn the_template_and_the_contract_route_the_same_operations_to_the_same_functions() {
    assert_eq!(template_routes(), contract_routes());
}

#[test]
fn make_runs_router_sends_every_route_to_its_function() {
    let router = local_router();
    for ((method, path), function) in template_routes() {
        assert_eq!(
            router.get(&path),
            Some(&function),
            "{method} {path}: the local router and the template disagree"
        );
    }
    let routed: BTreeSet<String> = template_routes().into_keys().map(|(_, path)| path).collect();
    for path in router.keys().filter(|p| p.as_str() != "/{*path}") {
        assert!(
            routed.contains(path),
            "{path} is routed locally but not in the template"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_served_by_its_function_and_nothing_undocumented_is() {
    let app = TestApp::spawn().await;
    let contract = contract_routes();
    for ((method, path), function) in &contract {
        assert!(
            serves(&app, function, method, &concrete(path)).await,
            "{function} does not serve {method} {path}"
        );
    }
    let paths: BTreeSet<(&String, &String)> = contract.iter().map(|((_, p), f)| (p, f)).collect();
    for (path, function) in paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if serves(&app, function, method, &concrete(path)).await {
                assert!(
                    contract.contains_key(&(method.to_owned(), path.clone())),
                    "{function} serves {method} {path}, which infra/openapi.yaml does not document"
                );
            }
        }
    }
}

/// The Markdown table of every route, as `docs/api.md` holds it.
fn route_table() -> String {
    let mut lines = vec![
        "| method | path | function | needs |".to_owned(),
        "|--------|------|----------|-------|".to_owned(),
    ];
    for function in Function::ALL {
        for route in function.routes() {
            let needs = match route.access {
                None => "anyone",
                Some(Access::Read) => "viewer, `customers:read`",
                Some(Access::Write) => "staff, `customers:write`",
                Some(Access::Admin) => "admin, `customers:admin`",
            };
            lines.push(format!(
                "| {} | `{}` | {} | {needs} |",
                route.method,
                route.path,
                function.name()
            ));
        }
    }
    lines.join("\n")
}

#[test]
fn the_api_docs_list_the_routes_the_functions_declare() {
    let text = std::fs::read_to_string(project_root().join("docs/api.md")).unwrap();
    let start = "<!-- routes: generated from each function's routes(); checked by tests/integration/contract.rs -->";
    let table = text
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once("<!-- /routes -->"))
        .map(|(table, _)| table.trim())
        .unwrap_or_else(|| panic!("docs/api.md has no {start} ... <!-- /routes --> block"));
    let expected = route_table();
    assert_eq!(
        table, expected,
        "docs/api.md's route table differs from the declared routes; it should read:\n\n{expected}\n"
    );
}

/// A response as a function would give it.
fn answer(status: u16, content_type: &str, body: &str) -> clientele_tests::TestResponse {
    let mut headers = lambda_http::http::HeaderMap::new();
    headers.insert("content-type", content_type.parse().unwrap());
    clientele_tests::TestResponse {
        status,
        headers,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
#[should_panic(expected = "does not document")]
fn an_answer_with_a_status_the_contract_does_not_document_fails_the_test_that_got_it() {
    let path = "/api/customers/123e4567-e89b-12d3-a456-426614174002";
    clientele_tests::contract::assert_conforms("GET", path, &answer(418, "application/json", "{}"));
}

#[test]
#[should_panic(expected = "off the contract")]
fn an_answer_off_its_schema_fails_the_test_that_got_it() {
    let path = "/api/customers/123e4567-e89b-12d3-a456-426614174002/notes";
    let body = r#"{"items": [{"id": 5}], "next_cursor": null}"#;
    clientele_tests::contract::assert_conforms("GET", path, &answer(200, "application/json", body));
}

#[test]
#[should_panic(expected = "the contract says")]
fn an_error_that_is_not_problem_json_fails_the_test_that_got_it() {
    let path = "/api/customers/123e4567-e89b-12d3-a456-426614174002";
    clientele_tests::contract::assert_conforms("GET", path, &answer(404, "text/plain", "gone"));
}
