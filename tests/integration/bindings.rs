//! The event bindings: every schema's examples and every inbound fixture
//! hold to the schema and to its Draft 4 copy (what the Schema Registry
//! holds), so the copies say what the schemas say. (Every event the tests
//! see published is checked against both too: `assert_matches_schema`.)

use clientele_tests::delivery::{registry_dir, schema_problems, schemas_dir};
use clientele_tests::services::project_root;
use serde_json::Value;

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_example_holds_to_its_schema_and_its_draft_4_copy() {
    let mut checked = 0;
    for folder in ["", "inbound/"] {
        let names = files(&schemas_dir().join(folder));
        assert_eq!(
            names,
            files(&registry_dir().join(folder)),
            "a copy of each schema, and no other"
        );
        for name in names {
            let relative = format!("{folder}{name}");
            let schema = json(&schemas_dir().join(&relative));
            let examples = schema["examples"].as_array().cloned().unwrap_or_default();
            // What the service sends shows an example of itself; what it
            // reads has its fixtures (below).
            assert!(
                folder == "inbound/" || !examples.is_empty(),
                "{relative} shows an example"
            );
            for example in &examples {
                let problems = schema_problems(&relative, example);
                assert!(problems.is_empty(), "{relative}: {problems:#?}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 34, "{checked}");
}

#[test]
fn every_inbound_fixture_holds_to_its_schema_and_its_draft_4_copy() {
    let dir = project_root().join("events/inbound");
    let mut checked = 0;
    for name in files(&dir) {
        let event = json(&dir.join(&name));
        let detail_type = event["detail-type"].as_str().unwrap();
        let relative = format!("inbound/{detail_type}.json");
        if !schemas_dir().join(&relative).exists() {
            continue; // a fixture of something no sender may send: it is dropped
        }
        let problems = schema_problems(&relative, &event["detail"]);
        let malformed = name.contains("malformed") || name.contains("unknown") || name.contains("server-owned");
        assert_eq!(problems.is_empty(), !malformed, "{name}: {problems:#?}");
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
}

#[test]
fn a_draft_4_copy_refuses_what_its_schema_refuses() {
    // `const` and `if`/`then` are the words Draft 4 lacks: each copy must
    // still refuse what they refused.
    let relative = "inbound/admin.customer.action.json";
    let fixture = json(&project_root().join("events/inbound/admin-customer-action-suspend.json"));
    let mut suspend = fixture["detail"].clone();
    assert!(schema_problems(relative, &suspend).is_empty(), "the fixture holds");
    if let Some(detail) = suspend.as_object_mut() {
        detail.remove("details");
    }
    let problems = schema_problems(relative, &suspend);
    assert_eq!(
        problems.len(),
        2,
        "only the missing details, refused by both: {problems:#?}"
    );
    assert!(problems[0].starts_with("schema:") && problems[1].starts_with("Draft 4 copy:"));
    let created = json(&schemas_dir().join("customer.created.json"))["examples"][0].clone();
    let mut wrong_version = created.clone();
    wrong_version["schemaVersion"] = Value::from(1);
    let problems = schema_problems("customer.created.json", &wrong_version);
    assert_eq!(problems.len(), 2, "both refuse another schemaVersion: {problems:#?}");
}
