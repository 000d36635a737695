//! What operators do with clients, and how a client proves who it is.
//!
//! Clients are created, rotated and deactivated by the operator command
//! (`clientele client ...`), never over HTTP. A request proves a
//! client with its id and secret; an unknown client, a wrong secret and an
//! inactive client get the same denial, with no hint which.

use clientele_core::{
    BusinessId, Client, ClientChange, ClientId, ClientName, ClientReader, ClientWriter, Scope, StoreError, Timestamp,
};

use crate::client_secret::{self, ClientSecret, RandomFailed};
use crate::principal::Principal;

/// Why an operator's request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No client has this id.
    #[error("there is no client {0}")]
    NotFound(ClientId),
    /// A client must be able to do something.
    #[error("a client needs at least one scope")]
    NoScopes,
    /// No secret could be made.
    #[error(transparent)]
    Random(#[from] RandomFailed),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ClientError {
    fn from(error: StoreError) -> Self {
        ClientError::Store(error)
    }
}

/// Why a client's credentials were not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ClientDenied {
    /// Unknown client, wrong secret or inactive client: the reason is for the
    /// log only, never for the caller.
    #[error("client credentials refused: {0}")]
    Refused(&'static str),
    /// The client could not be looked up.
    #[error("clients cannot be read: {0}")]
    Unavailable(#[source] StoreError),
}

/// A hash that no secret has, compared against when the client is unknown so
/// that unknown and known clients take the same time.
const NO_CLIENT_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Creates a client; the secret is returned once and stored only as a hash.
pub async fn create(
    store: &impl ClientWriter,
    business_id: BusinessId,
    name: ClientName,
    mut scopes: Vec<Scope>,
    now: Timestamp,
) -> Result<(Client, ClientSecret), ClientError> {
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    if scopes.is_empty() {
        return Err(ClientError::NoScopes);
    }
    let secret = ClientSecret::generate()?;
    let client = Client {
        id: ClientId::random(),
        business_id,
        name,
        scopes,
        secret_hash: secret.hash(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    store.insert_client(&client).await?;
    Ok((client, secret))
}

async fn change(
    store: &impl ClientWriter,
    id: ClientId,
    change: ClientChange,
    at: Timestamp,
) -> Result<Client, ClientError> {
    store.change_client(id, &change, at).await.map_err(|error| match error {
        StoreError::NotFound => ClientError::NotFound(id),
        other => ClientError::Store(other),
    })
}

/// Gives a client a new secret; the old one stops working at once.
pub async fn rotate(store: &impl ClientWriter, id: ClientId, now: Timestamp) -> Result<ClientSecret, ClientError> {
    let secret = ClientSecret::generate()?;
    change(store, id, ClientChange::Secret { hash: secret.hash() }, now).await?;
    Ok(secret)
}

/// Stops a client; its next request is refused.
pub async fn deactivate(store: &impl ClientWriter, id: ClientId, now: Timestamp) -> Result<Client, ClientError> {
    change(store, id, ClientChange::Deactivate, now).await
}

/// Whether a client is active, `None` when there is no such client.
pub async fn active_status(store: &impl ClientReader, id: ClientId) -> Result<Option<bool>, StoreError> {
    Ok(store.client(id).await?.map(|client| client.active))
}

/// The principal a client's id and secret prove.
pub async fn authenticate(
    store: &impl ClientReader,
    client_id: &str,
    presented_secret: &str,
) -> Result<Principal, ClientDenied> {
    let client = match ClientId::parse(client_id) {
        Ok(id) => store.client(id).await.map_err(ClientDenied::Unavailable)?,
        Err(_) => None,
    };
    let stored = client.as_ref().map_or(NO_CLIENT_HASH, |c| c.secret_hash.as_str());
    let secret_matches = client_secret::matches(presented_secret, stored);
    match client {
        None => Err(ClientDenied::Refused("unknown client")),
        Some(_) if !secret_matches => Err(ClientDenied::Refused("wrong secret")),
        Some(c) if !c.active => Err(ClientDenied::Refused("inactive client")),
        Some(c) => Ok(Principal::client(c.id.to_string(), c.business_id, c.scopes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_store::MemoryClients;

    type Clients = MemoryClients;

    async fn made(store: &Clients) -> (Client, ClientSecret) {
        let name = ClientName::parse("Accounting").unwrap();
        let scopes = vec![Scope::CustomersWrite, Scope::CustomersRead, Scope::CustomersRead];
        create(store, BusinessId::random(), name, scopes, Timestamp::now())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_new_client_is_active_with_its_scopes_and_only_a_hash() {
        let store = Clients::default();
        let (client, secret) = made(&store).await;
        assert!(client.active);
        assert_eq!(client.scopes, vec![Scope::CustomersRead, Scope::CustomersWrite]);
        assert_ne!(client.secret_hash, secret.expose());
        let principal = authenticate(&store, &client.id.to_string(), secret.expose())
            .await
            .unwrap();
        assert_eq!(
            principal,
            Principal::client(client.id.to_string(), client.business_id, client.scopes)
        );
        assert_eq!(active_status(&store, client.id).await.unwrap(), Some(true));
        assert_eq!(active_status(&store, ClientId::random()).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_client_needs_a_scope() {
        let name = ClientName::parse("Nothing").unwrap();
        let result = create(
            &Clients::default(),
            BusinessId::random(),
            name,
            vec![],
            Timestamp::now(),
        )
        .await;
        assert!(matches!(result, Err(ClientError::NoScopes)));
    }

    #[tokio::test]
    async fn unknown_wrong_and_inactive_are_all_refused() {
        let store = Clients::default();
        let (client, secret) = made(&store).await;
        let id = client.id.to_string();
        for (client_id, presented) in [
            (ClientId::random().to_string(), secret.expose().to_owned()),
            ("not-a-uuid".to_owned(), secret.expose().to_owned()),
            (id.clone(), "cs_wrong".to_owned()),
        ] {
            let result = authenticate(&store, &client_id, &presented).await;
            assert!(matches!(result, Err(ClientDenied::Refused(_))));
        }
        deactivate(&store, client.id, Timestamp::now()).await.unwrap();
        assert!(matches!(
            authenticate(&store, &id, secret.expose()).await,
            Err(ClientDenied::Refused(_))
        ));
        assert_eq!(active_status(&store, client.id).await.unwrap(), Some(false));
    }

    #[tokio::test]
    async fn a_rotation_retires_the_old_secret_at_once() {
        let store = Clients::default();
        let (client, old) = made(&store).await;
        let new = rotate(&store, client.id, Timestamp::now()).await.unwrap();
        let id = client.id.to_string();
        assert!(authenticate(&store, &id, new.expose()).await.is_ok());
        assert!(authenticate(&store, &id, old.expose()).await.is_err());
        assert!(matches!(
            rotate(&store, ClientId::random(), Timestamp::now()).await,
            Err(ClientError::NotFound(_))
        ));
    }
}
