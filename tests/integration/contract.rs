//! No drift between the code, the template, the local router and the API
//! contract: every function crate has its resource in `infra/template.yaml`
//! and every resource its crate; every route of the template is in
//! `infra/openapi.yaml` with the function the template sends it to, is mapped
//! to the same function by `make run`'s router, and is served by that
//! function; and no function serves a method on a documented path that the
//! document leaves out.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use clientele_stack::Template;
use clientele_tests::Call;
use clientele_tests::services::project_root;
use lambda_http::http::Method;
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

/// `make run`'s router: path → function, from the workspace's metadata.
fn local_router() -> BTreeMap<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = project_root().join("Cargo.toml");
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--locked",
            "--manifest-path",
        ])
        .arg(&manifest)
        .output()
        .unwrap();
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    serde_json::from_value(metadata["metadata"]["lambda"]["watch"]["router"].clone()).unwrap()
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

/// Whether `function` serves `method` on `path` (routing only: no caller).
fn serves(function: &str, method: &str, path: &str) -> bool {
    let method: Method = method.parse().unwrap();
    match function {
        "customers" => customers::routes::Route::resolve(&method, path).is_ok(),
        "tags" => tags::routes::Route::resolve(&method, path).is_ok(),
        "notes" => notes::routes::Route::resolve(&method, path).is_ok(),
        "gdpr" => gdpr::routes::Route::resolve(&method, path).is_ok(),
        "service" => service::handle(&Call::new(method.as_str(), path).to_request())
            .status()
            .is_success(),
        other => panic!("no HTTP routes known for {other}"),
    }
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
    let unknown = service::handle(&Call::new("PUT", "/api/nothing-here").to_request());
    assert_eq!(unknown.status(), 404);
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

#[test]
fn every_documented_operation_is_served_by_its_function_and_nothing_undocumented_is() {
    let contract = contract_routes();
    for ((method, path), function) in &contract {
        assert!(
            serves(function, method, &concrete(path)),
            "{function} does not serve {method} {path}"
        );
    }
    let paths: BTreeSet<(&String, &String)> = contract.iter().map(|((_, p), f)| (p, f)).collect();
    for (path, function) in paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if serves(function, method, &concrete(path)) {
                assert!(
                    contract.contains_key(&(method.to_owned(), path.clone())),
                    "{function} serves {method} {path}, which infra/openapi.yaml does not document"
                );
            }
        }
    }
}
