//! The local stack is made from infra/template.yaml, and making it twice is harmless.

use clientele_stack::{SecretState, Template, create_event_bus, create_table, keep_secret, put_secret};
use clientele_tests::app::{dynamodb_client, sdk_config};
use clientele_tests::services::moto_endpoint;

async fn described(client: &aws_sdk_dynamodb::Client, name: &str) -> aws_sdk_dynamodb::types::TableDescription {
    client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

fn index_names(table: &aws_sdk_dynamodb::types::TableDescription) -> Vec<&str> {
    let mut indexes: Vec<&str> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    indexes.sort_unstable();
    indexes
}

#[tokio::test]
async fn the_table_is_created_as_the_template_defines_it_once() {
    let client = dynamodb_client().await;
    let name = format!("clientele-stack-{}", uuid::Uuid::new_v4().simple());
    let definition = Template::bundled().unwrap().table().unwrap();
    assert!(create_table(&client, &name, &definition).await.unwrap());
    assert!(
        !create_table(&client, &name, &definition).await.unwrap(),
        "a second run finds it"
    );

    let table = described(&client, &name).await;
    let keys: Vec<&str> = table.key_schema().iter().map(|k| k.attribute_name()).collect();
    assert_eq!(keys, ["pk", "sk"]);
    assert_eq!(index_names(&table), ["gsi1", "gsi2", "gsi3", "gsi4"]);
    let stream = table.stream_specification().unwrap();
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_AND_OLD_IMAGES")
    );
    let ttl = client.describe_time_to_live().table_name(&name).send().await.unwrap();
    assert_eq!(
        ttl.time_to_live_description().and_then(|d| d.attribute_name()),
        Some("expires_at")
    );
}

#[tokio::test]
async fn a_table_made_by_an_earlier_version_gets_the_indexes_it_lacks() {
    let client = dynamodb_client().await;
    let name = format!("clientele-stack-{}", uuid::Uuid::new_v4().simple());
    let definition = Template::bundled().unwrap().table().unwrap();
    let mut earlier = definition.clone();
    earlier.global_secondary_indexes.retain(|i| i.index_name != "gsi4");
    earlier
        .attribute_definitions
        .retain(|a| !a.attribute_name.starts_with("gsi4"));
    assert!(create_table(&client, &name, &earlier).await.unwrap());
    assert!(!create_table(&client, &name, &definition).await.unwrap());
    let table = described(&client, &name).await;
    assert_eq!(index_names(&table), ["gsi1", "gsi2", "gsi3", "gsi4"]);
}

#[tokio::test]
async fn the_bus_and_secret_are_created_once_and_the_secret_follows_its_value() {
    let sdk = sdk_config(moto_endpoint()).await;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let bus = format!("clientele-{}", uuid::Uuid::new_v4().simple());
    assert!(create_event_bus(&events, &bus).await.unwrap());
    assert!(!create_event_bus(&events, &bus).await.unwrap());

    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let id = format!("clientele/{}", uuid::Uuid::new_v4().simple());
    put_secret(&secrets, &id, "first-value-of-the-signing-secret")
        .await
        .unwrap();
    put_secret(&secrets, &id, "first-value-of-the-signing-secret")
        .await
        .unwrap();
    put_secret(&secrets, &id, "second-value-of-the-signing-secret")
        .await
        .unwrap();
    let value = secrets.get_secret_value().secret_id(&id).send().await.unwrap();
    assert_eq!(value.secret_string(), Some("second-value-of-the-signing-secret"));
}

#[tokio::test]
async fn local_set_up_never_overwrites_a_secret_that_is_there() {
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config(moto_endpoint()).await);
    let id = format!("clientele/{}", uuid::Uuid::new_v4().simple());
    let first = "the-first-local-signing-key-of-this-test";
    assert_eq!(keep_secret(&secrets, &id, first).await.unwrap(), SecretState::Created);
    assert_eq!(keep_secret(&secrets, &id, first).await.unwrap(), SecretState::Same);
    assert_eq!(
        keep_secret(&secrets, &id, "another-key-somebody-else-set-up")
            .await
            .unwrap(),
        SecretState::KeptAnother
    );
    let value = secrets.get_secret_value().secret_id(&id).send().await.unwrap();
    assert_eq!(value.secret_string(), Some(first));
}
