//! Team users in DynamoDB. A team user lives in its customer's partition
//! (`sk = TEAM_USER#<id>`), so the customer's deletion and erasure take it.
//! Its email is claimed among the business's team users
//! (`BUSINESS#<business>#TEAM_USER_EMAIL#<email, folded>`), so no two of a
//! business's users share one; the claim goes with the user (it is the
//! user's companion outside the partition). The customer's count of team
//! users bounds how many it has. Every change writes its event and audit
//! entry in the same transaction.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::team_user::{MAX_TEAM_USERS_PER_CUSTOMER, TeamUser};
use clientele_core::{BusinessId, Customer, CustomerEvent, CustomerId, StoreError, TeamUserId};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::counts::Counter;
use crate::items::{Item, entity, from_item, to_item};
use crate::keys::{self, Key};
use crate::transact::{Cancelled, Write, transact};

/// A team user's stored form.
#[derive(Serialize, Deserialize)]
pub(crate) struct TeamUserItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    pub(crate) user: TeamUser,
}

/// The claim on a team user's email, naming the user.
#[derive(Serialize, Deserialize)]
pub(crate) struct EmailClaimItem {
    pk: String,
    sk: String,
    entity: String,
    pub(crate) business_id: BusinessId,
    pub(crate) customer_id: CustomerId,
    pub(crate) user_id: TeamUserId,
}

fn user_item(user: &TeamUser) -> Result<Item, StoreError> {
    let key = keys::team_user(user.customer_id, user.id);
    to_item(&TeamUserItem {
        pk: key.pk,
        sk: key.sk,
        entity: entity::TEAM_USER.to_owned(),
        user: user.clone(),
    })
}

fn user_from(item: Item) -> Result<TeamUser, StoreError> {
    Ok(from_item::<TeamUserItem>(item)?.user)
}

/// The key of the email claim of the team user stored as `item`: from its
/// `business_id` and `email` alone, which is all a sweep reads of it.
pub(crate) fn claim_of(item: &Item) -> Option<Key> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
    let business = BusinessId::parse(text("business_id")?).ok()?;
    let email = clientele_core::Email::parse(text("email")?).ok()?;
    Some(keys::team_user_email(business, &email.folded()))
}

/// What became of a change of team users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamUserWrite {
    /// Written.
    Done,
    /// Another team user of the business has the email.
    EmailTaken,
    /// The customer has as many team users as it may.
    LimitReached,
    /// The customer is gone.
    NoCustomer,
    /// Something changed since it was read: read again.
    Raced,
}

impl DynamoStore {
    /// A team user of a customer.
    #[tracing::instrument(skip_all, fields(customer_id = %customer, user_id = %id))]
    pub async fn team_user(&self, customer: CustomerId, id: TeamUserId) -> Result<Option<TeamUser>, StoreError> {
        self.get_item(keys::team_user(customer, id))
            .await?
            .map(user_from)
            .transpose()
    }

    /// Every team user of a customer (at most
    /// [`MAX_TEAM_USERS_PER_CUSTOMER`]), oldest first.
    #[tracing::instrument(skip_all, fields(customer_id = %customer))]
    pub async fn team_users_of(&self, customer: CustomerId) -> Result<Vec<TeamUser>, StoreError> {
        let mut users = self
            .under(keys::customer_partition(customer), keys::TEAM_USER_PREFIX)
            .await?
            .into_iter()
            .map(user_from)
            .collect::<Result<Vec<_>, _>>()?;
        users.sort_by_key(|u| (u.created_at, u.id));
        Ok(users)
    }

    fn team_email_claim(&self, user: &TeamUser) -> Result<Write, StoreError> {
        let key = keys::team_user_email(user.business_id, &user.email.folded());
        let claim = EmailClaimItem {
            pk: key.pk,
            sk: key.sk,
            entity: entity::TEAM_USER_EMAIL_CLAIM.to_owned(),
            business_id: user.business_id,
            customer_id: user.customer_id,
            user_id: user.id,
        };
        Ok(Write::put(&self.table, to_item(&claim)?).condition("attribute_not_exists(pk)"))
    }

    fn team_email_release(&self, user: &TeamUser) -> Write {
        Write::delete(
            &self.table,
            keys::team_user_email(user.business_id, &user.email.folded()),
        )
        .condition("user_id = :user")
        .value(":user", AttributeValue::S(user.id.to_string()))
    }

    /// Commits `writes`, whose first checks that the customer is still
    /// there, with `event`: the customer gone is
    /// [`TeamUserWrite::NoCustomer`], any other refusal what `refused` reads
    /// in it.
    async fn commit_team_write(
        &self,
        mut writes: Vec<Write>,
        event: &CustomerEvent,
        refused: impl FnOnce(&Cancelled) -> Result<TeamUserWrite, StoreError>,
    ) -> Result<TeamUserWrite, StoreError> {
        writes.extend(self.recorded_writes(std::slice::from_ref(event))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(TeamUserWrite::Done),
            Err(cancelled) if cancelled.failed(0) => Ok(TeamUserWrite::NoCustomer),
            Err(cancelled) => refused(&cancelled),
        }
    }

    /// Adds a team user to a customer still in its business, with its email
    /// claim, its count and its event.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, user_id = %user.id))]
    pub async fn add_team_user(
        &self,
        customer: &Customer,
        user: &TeamUser,
        event: &CustomerEvent,
    ) -> Result<TeamUserWrite, StoreError> {
        let writes = vec![
            self.customer_still_there(customer),
            self.count_write(customer.id, Counter::TeamUsers, 1, Some(MAX_TEAM_USERS_PER_CUSTOMER)),
            self.team_email_claim(user)?,
            Write::put(&self.table, user_item(user)?).condition("attribute_not_exists(pk)"),
        ];
        self.commit_team_write(writes, event, |cancelled| {
            if cancelled.failed(1) {
                Ok(TeamUserWrite::LimitReached)
            } else if cancelled.failed(2) {
                Ok(TeamUserWrite::EmailTaken)
            } else {
                Err(StoreError::Unexpected("a team user id was used twice".into()))
            }
        })
        .await
    }

    /// Replaces `before` with `after` (if still at `before`'s version),
    /// moving the email claim when the email changed, with its event.
    #[tracing::instrument(skip_all, fields(user_id = %after.id))]
    pub async fn replace_team_user(
        &self,
        customer: &Customer,
        before: &TeamUser,
        after: &TeamUser,
        event: &CustomerEvent,
    ) -> Result<TeamUserWrite, StoreError> {
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::put(&self.table, user_item(after)?).at_version(before.version),
        ];
        let claim_at = writes.len();
        if before.email.folded() != after.email.folded() {
            writes.push(self.team_email_claim(after)?);
            writes.push(self.team_email_release(before));
        }
        let moved = writes.len() > claim_at;
        self.commit_team_write(writes, event, |cancelled| {
            Ok(if moved && cancelled.failed(claim_at) && !cancelled.failed(1) {
                TeamUserWrite::EmailTaken
            } else {
                TeamUserWrite::Raced
            })
        })
        .await
    }

    /// Removes a team user (if still at its version) with its email claim
    /// and its count, with its event.
    #[tracing::instrument(skip_all, fields(user_id = %user.id))]
    pub async fn remove_team_user(
        &self,
        customer: &Customer,
        user: &TeamUser,
        event: &CustomerEvent,
    ) -> Result<TeamUserWrite, StoreError> {
        let writes = vec![
            self.customer_still_there(customer),
            Write::delete(&self.table, keys::team_user(customer.id, user.id)).at_version(user.version),
            self.team_email_release(user),
            self.count_write(customer.id, Counter::TeamUsers, -1, None),
        ];
        self.commit_team_write(writes, event, |_| Ok(TeamUserWrite::Raced))
            .await
    }

    /// Records `event` (a password reset) about a team user still at its
    /// version.
    #[tracing::instrument(skip_all, fields(user_id = %user.id))]
    pub async fn record_about_team_user(
        &self,
        customer: &Customer,
        user: &TeamUser,
        event: &CustomerEvent,
    ) -> Result<TeamUserWrite, StoreError> {
        let writes = vec![
            self.customer_still_there(customer),
            Write::check(&self.table, keys::team_user(customer.id, user.id)).at_version(user.version),
        ];
        self.commit_team_write(writes, event, |_| Ok(TeamUserWrite::Raced))
            .await
    }
}
