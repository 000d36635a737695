//! Where clients are kept. The gatekeeper reads clients through
//! [`ClientReader`] and the operator command changes them through
//! [`ClientWriter`]; the table (`clientele-store`) implements both, and so
//! does [`MemoryClients`], which the fast unit tests of this crate and of the
//! HTTP kit use. [`conformance`] is the contract both must keep: it runs
//! against the memory store here and against DynamoDB Local in the
//! integration tests, so the two cannot drift.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use clientele_core::{
    BusinessId, Client, ClientChange, ClientId, ClientName, ClientReader, ClientWriter, PreviousSecret, Scope,
    StoreError, Timestamp,
};

/// Clients kept in memory.
#[derive(Debug, Default)]
pub struct MemoryClients(Mutex<HashMap<ClientId, Client>>);

impl ClientReader for MemoryClients {
    async fn client(&self, id: ClientId) -> Result<Option<Client>, StoreError> {
        let clients = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(clients.get(&id).cloned())
    }
}

impl ClientWriter for MemoryClients {
    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        let mut clients = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        clients.insert(client.id, client.clone());
        Ok(())
    }

    async fn change_client(&self, id: ClientId, change: &ClientChange, at: Timestamp) -> Result<Client, StoreError> {
        let mut clients = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = clients.get_mut(&id).ok_or(StoreError::NotFound)?;
        match change {
            ClientChange::Secret { hash, previous_until } => {
                stored.previous_secret = previous_until.map(|until| PreviousSecret {
                    hash: stored.secret_hash.clone(),
                    until,
                });
                stored.secret_hash = hash.clone();
            }
            ClientChange::Deactivate => stored.active = false,
        }
        stored.updated_at = at;
        Ok(stored.clone())
    }
}

/// Checks that `store` keeps clients as the gatekeeper and the operator
/// command expect; the first broken rule, if any.
pub async fn conformance(store: &(impl ClientReader + ClientWriter)) -> Result<(), String> {
    let name = ClientName::parse("Conformance").map_err(|e| e.to_string())?;
    let made = Timestamp::now();
    let client = Client {
        id: ClientId::random(),
        business_id: BusinessId::random(),
        name,
        scopes: vec![Scope::CustomersRead, Scope::CustomersWrite],
        secret_hash: "a".repeat(64),
        previous_secret: None,
        active: true,
        created_at: made,
        updated_at: made,
    };
    let failed = |what: &str| Err(what.to_owned());
    let read = |id| async move { store.client(id).await.map_err(|e| e.to_string()) };

    store.insert_client(&client).await.map_err(|e| e.to_string())?;
    if read(client.id).await? != Some(client.clone()) {
        return failed("a stored client is read back as it was stored");
    }
    if read(ClientId::random()).await?.is_some() {
        return failed("an unknown client is not found");
    }

    let later = made.plus_seconds(5);
    let until = later.plus_seconds(3_600);
    let overlapping = ClientChange::Secret {
        hash: "d".repeat(64),
        previous_until: Some(until),
    };
    let rotated = store
        .change_client(client.id, &overlapping, later)
        .await
        .map_err(|e| e.to_string())?;
    let expected = Client {
        secret_hash: "d".repeat(64),
        previous_secret: Some(PreviousSecret {
            hash: "a".repeat(64),
            until,
        }),
        updated_at: later,
        ..client.clone()
    };
    if rotated != expected || read(client.id).await? != Some(expected.clone()) {
        return failed("a rotation with an overlap keeps the replaced hash until the time given");
    }
    let at_once = ClientChange::Secret {
        hash: "b".repeat(64),
        previous_until: None,
    };
    let rotated = store
        .change_client(client.id, &at_once, later)
        .await
        .map_err(|e| e.to_string())?;
    let expected = Client {
        secret_hash: "b".repeat(64),
        previous_secret: None,
        updated_at: later,
        ..client.clone()
    };
    if rotated != expected || read(client.id).await? != Some(expected.clone()) {
        return failed(
            "a new secret without overlap replaces the hash and the change time, and no earlier secret is kept",
        );
    }

    let stopped = store
        .change_client(client.id, &ClientChange::Deactivate, later.plus_seconds(5))
        .await
        .map_err(|e| e.to_string())?;
    if stopped.active || stopped.secret_hash != expected.secret_hash {
        return failed("a deactivation stops the client and keeps its secret");
    }
    store
        .change_client(
            client.id,
            &ClientChange::Secret {
                hash: "c".repeat(64),
                previous_until: None,
            },
            later.plus_seconds(9),
        )
        .await
        .map_err(|e| e.to_string())?;
    if read(client.id).await?.is_none_or(|c| c.active) {
        return failed("a later change never undoes a deactivation");
    }

    match store
        .change_client(ClientId::random(), &ClientChange::Deactivate, later)
        .await
    {
        Err(StoreError::NotFound) => Ok(()),
        _ => failed("a change to an unknown client is NotFound, and makes no client"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_store_keeps_the_contract() {
        assert_eq!(conformance(&MemoryClients::default()).await, Ok(()));
    }
}
