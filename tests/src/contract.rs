//! Every answer a test receives from a function, checked against the
//! contract (`infra/openapi.yaml`): its status is one the operation
//! documents, its content type one that status documents, and its body
//! fits that content's schema (JSON Schema 2020-12). Paths and methods no
//! operation has are not checked here (the router's own answers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::call::TestResponse;
use crate::services::project_root;

fn contract() -> &'static Value {
    static CONTRACT: OnceLock<Value> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let text = std::fs::read_to_string(project_root().join("infra/openapi.yaml")).expect("the contract is there");
        serde_norway::from_str(&text).expect("the contract is YAML")
    })
}

fn validators() -> &'static Mutex<HashMap<String, Arc<jsonschema::Validator>>> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    VALIDATORS.get_or_init(Mutex::default)
}

/// The contract's path template that `path` is an instance of, preferring
/// literal segments over parameters (`/tags` over `/{customer_id}`).
fn template_of<'a>(paths: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a str> {
    let wanted: Vec<&str> = path.split('/').collect();
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != wanted.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&wanted) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// Follows a `$ref` to `#/components/...` within the contract.
fn resolved(value: &Value) -> &Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => contract()
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("the contract has no {reference}")),
        None => value,
    }
}

/// Panics, naming the operation, when `response` is not what the contract
/// says `method path` may answer.
pub fn assert_conforms(method: &str, path: &str, response: &TestResponse) {
    let Some(paths) = contract()["paths"].as_object() else {
        panic!("the contract has no paths");
    };
    let Some(template) = template_of(paths, path) else {
        return;
    };
    let Some(operation) = paths[template].get(method.to_ascii_lowercase()) else {
        return;
    };
    let operation_id = operation["operationId"].as_str().unwrap_or(template);
    let status = response.status.to_string();
    let responses = &operation["responses"];
    let Some(documented) = responses.get(&status).or_else(|| responses.get("default")) else {
        panic!(
            "{method} {path} ({operation_id}) answered {status}, which the contract does not document: {}",
            String::from_utf8_lossy(&response.body)
        );
    };
    let documented = resolved(documented);
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        return;
    };
    let media = response
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned())
        .unwrap_or_default();
    let Some(schema) = content.get(&media).and_then(|c| c.get("schema")) else {
        panic!(
            "{method} {path} ({operation_id}) answered {status} as {media:?}; the contract says {:?}",
            content.keys().collect::<Vec<_>>()
        );
    };
    if !media.ends_with("json") {
        return;
    }
    let key = format!("{operation_id} {status} {media}");
    let validator = {
        let mut cache = validators().lock().expect("not poisoned");
        cache
            .entry(key)
            .or_insert_with(|| {
                let mut root = schema.clone();
                if let Value::Object(map) = &mut root {
                    map.insert("components".to_owned(), contract()["components"].clone());
                }
                Arc::new(
                    jsonschema::draft202012::new(&root)
                        .unwrap_or_else(|e| panic!("{operation_id} {status}: the contract's schema: {e}")),
                )
            })
            .clone()
    };
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!("{method} {path} ({operation_id}) answered {status} with a body that is not JSON: {e}")
    });
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} ({operation_id}) answered {status} off the contract: {errors:#?}\n{body}"
    );
}
