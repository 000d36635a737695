//! External-system clients in DynamoDB: one item each, read with a
//! consistent read so a deactivation takes effect at once, and changed one
//! attribute at a time so concurrent changes never undo each other.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use clientele_core::{
    BusinessId, Client, ClientChange, ClientId, ClientName, ClientReader, ClientWriter, PreviousSecret, Scope,
    StoreError, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::errors::{classify, condition_failed};
use crate::items::{entity, from_item, to_item};
use crate::keys;

#[derive(Debug, Serialize, Deserialize)]
struct ClientItem {
    pk: String,
    sk: String,
    entity: String,
    id: ClientId,
    business_id: BusinessId,
    name: ClientName,
    scopes: Vec<Scope>,
    secret_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_secret_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_secret_until: Option<Timestamp>,
    active: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<&Client> for ClientItem {
    fn from(c: &Client) -> Self {
        let key = keys::client(c.id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::CLIENT.to_owned(),
            id: c.id,
            business_id: c.business_id,
            name: c.name.clone(),
            scopes: c.scopes.clone(),
            secret_hash: c.secret_hash.clone(),
            previous_secret_hash: c.previous_secret.as_ref().map(|p| p.hash.clone()),
            previous_secret_until: c.previous_secret.as_ref().map(|p| p.until),
            active: c.active,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl From<ClientItem> for Client {
    fn from(item: ClientItem) -> Self {
        Client {
            id: item.id,
            business_id: item.business_id,
            name: item.name,
            scopes: item.scopes,
            secret_hash: item.secret_hash,
            previous_secret: match (item.previous_secret_hash, item.previous_secret_until) {
                (Some(hash), Some(until)) => Some(PreviousSecret { hash, until }),
                _ => None,
            },
            active: item.active,
            created_at: item.created_at,
            updated_at: item.updated_at,
        }
    }
}

impl ClientReader for DynamoStore {
    #[tracing::instrument(skip_all, fields(client_id = %id))]
    async fn client(&self, id: ClientId) -> Result<Option<Client>, StoreError> {
        let Some(item) = self.get_item(keys::client(id)).await? else {
            return Ok(None);
        };
        from_item::<ClientItem>(item).map(|item| Some(item.into()))
    }
}

impl ClientWriter for DynamoStore {
    #[tracing::instrument(skip_all, fields(client_id = %client.id))]
    async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(to_item(&ClientItem::from(client))?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if condition_failed(&error) => {
                Err(StoreError::Unexpected("a client with this id already exists".into()))
            }
            Err(error) => Err(classify(error)),
        }
    }

    #[tracing::instrument(skip_all, fields(client_id = %id))]
    async fn change_client(&self, id: ClientId, change: &ClientChange, at: Timestamp) -> Result<Client, StoreError> {
        // The right-hand sides read the item as it was, so the replaced
        // secret is the one stored at this moment, not one read earlier.
        let (expression, value, until) = match change {
            ClientChange::Secret {
                hash,
                previous_until: Some(until),
            } => (
                "SET previous_secret_hash = secret_hash, previous_secret_until = :until, \
                 secret_hash = :value, updated_at = :at",
                AttributeValue::S(hash.clone()),
                Some(AttributeValue::S(until.to_string())),
            ),
            ClientChange::Secret {
                hash,
                previous_until: None,
            } => (
                "SET secret_hash = :value, updated_at = :at REMOVE previous_secret_hash, previous_secret_until",
                AttributeValue::S(hash.clone()),
                None,
            ),
            ClientChange::Deactivate => (
                "SET active = :value, updated_at = :at",
                AttributeValue::Bool(false),
                None,
            ),
        };
        let result = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keys::client(id).to_attributes()))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_values({
                let mut values = HashMap::from([
                    (":value".to_owned(), value),
                    (":at".to_owned(), AttributeValue::S(at.to_string())),
                ]);
                if let Some(until) = until {
                    values.insert(":until".to_owned(), until);
                }
                Some(values)
            })
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output
                    .attributes
                    .ok_or_else(|| StoreError::Unexpected("an update returned no item".into()))?;
                from_item::<ClientItem>(item).map(Client::from)
            }
            Err(error) if condition_failed(&error) => Err(StoreError::NotFound),
            Err(error) => Err(classify(error)),
        }
    }
}
