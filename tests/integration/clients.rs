//! Operator changes to clients, against DynamoDB Local; and the table keeps
//! clients by the same contract as the memory store the unit tests use.

use clientele_auth::clients::{self, ClientError};
use clientele_core::{ClientId, ClientReader, Scope, Timestamp};
use clientele_tests::TestApp;

#[tokio::test]
async fn a_deactivation_is_never_undone_by_a_rotation_at_the_same_time() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        let (client, _) = app.client(app.business, &[Scope::CustomersRead]).await;
        let rotations = (0..8).map(|_| clients::rotate(&app.store, client.id, Timestamp::now(), 0));
        let (deactivated, rotated) = tokio::join!(
            clients::deactivate(&app.store, client.id, Timestamp::now()),
            futures::future::join_all(rotations)
        );
        assert!(deactivated.is_ok());
        assert!(rotated.iter().all(Result::is_ok));
        let stored = app.store.client(client.id).await.unwrap().unwrap();
        assert!(!stored.active, "a rotation wrote back the client's old active flag");
    }
}

#[tokio::test]
async fn changes_to_a_client_that_does_not_exist_say_so() {
    let app = TestApp::spawn().await;
    let missing = ClientId::random();
    assert!(
        matches!(clients::rotate(&app.store, missing, Timestamp::now(), 0).await, Err(ClientError::NotFound(id)) if id == missing)
    );
    assert!(matches!(
        clients::deactivate(&app.store, missing, Timestamp::now()).await,
        Err(ClientError::NotFound(_))
    ));
    assert!(
        app.store.client(missing).await.unwrap().is_none(),
        "no client was made by changing one"
    );
}

#[tokio::test]
async fn a_stored_client_keeps_only_the_hash_of_its_secret() {
    let app = TestApp::spawn().await;
    let (client, secret) = app
        .client(app.business, &[Scope::CustomersRead, Scope::CustomersAdmin])
        .await;
    let items = app.items_of("Client").await;
    assert_eq!(items.len(), 1);
    let text = format!("{:?}", items[0]);
    assert!(!text.contains(secret.expose()), "the secret itself is never stored");
    assert!(text.contains(&secret.hash()));
    let stored = app.store.client(client.id).await.unwrap().unwrap();
    assert_eq!(stored, client);
}

#[tokio::test]
async fn the_table_keeps_clients_by_the_contract_the_memory_store_keeps() {
    let app = TestApp::spawn().await;
    assert_eq!(clientele_auth::client_store::conformance(&app.store).await, Ok(()));
}
