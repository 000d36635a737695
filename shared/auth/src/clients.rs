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
    /// An old secret may be kept for a week at most.
    #[error("the old secret may keep working for at most {MAX_OVERLAP_MINUTES} minutes (a week)")]
    OverlapTooLong,
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
        previous_secret: None,
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

/// The longest an old secret may keep working after a rotation: a week.
pub const MAX_OVERLAP_MINUTES: u64 = 7 * 24 * 60;

/// Gives a client a new secret, which works at once. The secret it replaces
/// keeps working for `overlap_minutes` (so that the client's deployments can
/// change over), then never; with 0 it stops at once. A secret replaced by
/// an earlier rotation stops at once either way.
pub async fn rotate(
    store: &impl ClientWriter,
    id: ClientId,
    now: Timestamp,
    overlap_minutes: u64,
) -> Result<ClientSecret, ClientError> {
    if overlap_minutes > MAX_OVERLAP_MINUTES {
        return Err(ClientError::OverlapTooLong);
    }
    let secret = ClientSecret::generate()?;
    let overlap = i64::try_from(overlap_minutes * 60).map_err(|_| ClientError::OverlapTooLong)?;
    let previous_until = (overlap_minutes > 0).then(|| now.plus_seconds(overlap));
    let change_of_secret = ClientChange::Secret {
        hash: secret.hash(),
        previous_until,
    };
    change(store, id, change_of_secret, now).await?;
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

/// The principal a client's id and secret prove at `now`: its current
/// secret, or the one its last rotation replaced until that one's time is up.
pub async fn authenticate(
    store: &impl ClientReader,
    client_id: &str,
    presented_secret: &str,
    now: Timestamp,
) -> Result<Principal, ClientDenied> {
    let client = match ClientId::parse(client_id) {
        Ok(id) => store.client(id).await.map_err(ClientDenied::Unavailable)?,
        Err(_) => None,
    };
    let current = client.as_ref().map_or(NO_CLIENT_HASH, |c| c.secret_hash.as_str());
    let previous = client
        .as_ref()
        .and_then(|c| c.previous_secret.as_ref())
        .filter(|previous| now < previous.until)
        .map_or(NO_CLIENT_HASH, |previous| previous.hash.as_str());
    // Both are compared, always, so that the time taken says nothing.
    let matches_current = client_secret::matches(presented_secret, current);
    let matches_previous = client_secret::matches(presented_secret, previous);
    let secret_matches = matches_current | matches_previous;
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
        let principal = authenticate(&store, &client.id.to_string(), secret.expose(), Timestamp::now())
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
            let result = authenticate(&store, &client_id, &presented, Timestamp::now()).await;
            assert!(matches!(result, Err(ClientDenied::Refused(_))));
        }
        deactivate(&store, client.id, Timestamp::now()).await.unwrap();
        assert!(matches!(
            authenticate(&store, &id, secret.expose(), Timestamp::now()).await,
            Err(ClientDenied::Refused(_))
        ));
        assert_eq!(active_status(&store, client.id).await.unwrap(), Some(false));
    }

    #[tokio::test]
    async fn with_an_overlap_the_old_secret_works_until_its_time_then_never() {
        let store = Clients::default();
        let (client, first) = made(&store).await;
        let id = client.id.to_string();
        let at = Timestamp::now();
        let second = rotate(&store, client.id, at, 60).await.unwrap();
        for secret in [&first, &second] {
            assert!(
                authenticate(&store, &id, secret.expose(), at.plus_seconds(3_599))
                    .await
                    .is_ok()
            );
        }
        let after = at.plus_seconds(3_600);
        assert!(authenticate(&store, &id, first.expose(), after).await.is_err());
        assert!(authenticate(&store, &id, second.expose(), after).await.is_ok());

        // A second rotation keeps only the secret it replaces.
        let third = rotate(&store, client.id, at, 60).await.unwrap();
        assert!(authenticate(&store, &id, first.expose(), at).await.is_err());
        assert!(authenticate(&store, &id, second.expose(), at).await.is_ok());
        assert!(authenticate(&store, &id, third.expose(), at).await.is_ok());
        assert!(matches!(
            rotate(&store, client.id, at, MAX_OVERLAP_MINUTES + 1).await,
            Err(ClientError::OverlapTooLong)
        ));
    }

    #[tokio::test]
    async fn a_rotation_retires_the_old_secret_at_once() {
        let store = Clients::default();
        let (client, old) = made(&store).await;
        let new = rotate(&store, client.id, Timestamp::now(), 0).await.unwrap();
        let id = client.id.to_string();
        assert!(authenticate(&store, &id, new.expose(), Timestamp::now()).await.is_ok());
        assert!(authenticate(&store, &id, old.expose(), Timestamp::now()).await.is_err());
        assert!(matches!(
            rotate(&store, ClientId::random(), Timestamp::now(), 0).await,
            Err(ClientError::NotFound(_))
        ));
    }
}
