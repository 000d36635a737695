//! A customer's team users: added, listed, read, changed, removed, and
//! their password resets asked for. Each change records its event (ids and
//! field names, never the email, name or phone) and its audit entry.

use clientele_core::team_user::{NewTeamUser, TeamUser, TeamUserPatch, TeamUserStatus};
use clientele_core::{BusinessId, Customer, CustomerEvent, CustomerId, OperationError, Precondition, TeamUserId};
use clientele_store::DynamoStore;
use clientele_store::team_users::TeamUserWrite;

use crate::{Actor, customers};

/// Attempts when other writers keep changing the user.
const ATTEMPTS: u32 = 5;

/// A team user of a customer of `business`, with its customer.
async fn user_and_customer(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
    id: TeamUserId,
) -> Result<(TeamUser, Customer), OperationError> {
    let customer = customers::get(store, business, customer).await?;
    let user = store
        .team_user(customer.id, id)
        .await?
        .ok_or(OperationError::TeamUserNotFound)?;
    Ok((user, customer))
}

/// Adds a team user to a customer of the actor's business.
pub async fn add(
    store: &DynamoStore,
    actor: &Actor,
    customer: CustomerId,
    new: NewTeamUser,
) -> Result<TeamUser, OperationError> {
    let customer = customers::get(store, actor.business, customer).await?;
    let user = new.into_team_user(customer.id, customer.business_id, &actor.id, actor.at);
    let event = CustomerEvent::team_user_created(&customer, &user).by(&actor.id);
    match store.add_team_user(&customer, &user, &event).await? {
        TeamUserWrite::Done => Ok(user),
        TeamUserWrite::EmailTaken => Err(OperationError::TeamUserEmailTaken),
        TeamUserWrite::LimitReached => Err(OperationError::LimitReached {
            what: "users",
            limit: clientele_core::team_user::MAX_TEAM_USERS_PER_CUSTOMER,
        }),
        TeamUserWrite::NoCustomer | TeamUserWrite::Raced => Err(OperationError::NotFound),
    }
}

/// Every team user of a customer, oldest first.
pub async fn of_customer(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
) -> Result<Vec<TeamUser>, OperationError> {
    let customer = customers::get(store, business, customer).await?;
    Ok(store.team_users_of(customer.id).await?)
}

/// A team user of a customer.
pub async fn get(
    store: &DynamoStore,
    business: BusinessId,
    customer: CustomerId,
    id: TeamUserId,
) -> Result<TeamUser, OperationError> {
    Ok(user_and_customer(store, business, customer, id).await?.0)
}

/// Changes what `patch` names of a team user.
pub async fn update(
    store: &DynamoStore,
    actor: &Actor,
    (customer, id): (CustomerId, TeamUserId),
    patch: &TeamUserPatch,
    precondition: Option<&Precondition>,
) -> Result<TeamUser, OperationError> {
    for attempt in 1..=ATTEMPTS {
        let (before, customer) = user_and_customer(store, actor.business, customer, id).await?;
        if precondition.is_some_and(|p| !p.admits(before.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        let after = before.patched(patch, actor.at)?;
        let changed = after.changed_fields(&before);
        if changed.is_empty() {
            return Ok(before);
        }
        let event = CustomerEvent::team_user_updated(&customer, &after, &changed).by(&actor.id);
        match store.replace_team_user(&customer, &before, &after, &event).await? {
            TeamUserWrite::Done => return Ok(after),
            TeamUserWrite::EmailTaken => return Err(OperationError::TeamUserEmailTaken),
            TeamUserWrite::NoCustomer => return Err(OperationError::NotFound),
            TeamUserWrite::Raced if precondition.is_some_and(Precondition::names_versions) => {
                return Err(OperationError::PreconditionFailed);
            }
            TeamUserWrite::Raced | TeamUserWrite::LimitReached => clientele_store::pause_before_retry(attempt).await,
        }
    }
    Err(OperationError::Contended)
}

/// Removes a team user.
pub async fn remove(
    store: &DynamoStore,
    actor: &Actor,
    (customer, id): (CustomerId, TeamUserId),
    precondition: Option<&Precondition>,
) -> Result<(), OperationError> {
    for attempt in 1..=ATTEMPTS {
        let (user, customer) = user_and_customer(store, actor.business, customer, id).await?;
        if precondition.is_some_and(|p| !p.admits(user.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        let event = CustomerEvent::team_user_deleted(&customer, &user, actor.at).by(&actor.id);
        match store.remove_team_user(&customer, &user, &event).await? {
            TeamUserWrite::Done => return Ok(()),
            TeamUserWrite::NoCustomer => return Err(OperationError::NotFound),
            TeamUserWrite::Raced if precondition.is_some_and(Precondition::names_versions) => {
                return Err(OperationError::PreconditionFailed);
            }
            _ => clientele_store::pause_before_retry(attempt).await,
        }
    }
    Err(OperationError::Contended)
}

/// Records `user.password.reset` for a team user who is not disabled, for
/// the identity service to act on. Nothing else changes: this service
/// keeps no credentials.
pub async fn ask_password_reset(
    store: &DynamoStore,
    actor: &Actor,
    (customer, id): (CustomerId, TeamUserId),
) -> Result<TeamUser, OperationError> {
    for attempt in 1..=ATTEMPTS {
        let (user, customer) = user_and_customer(store, actor.business, customer, id).await?;
        if user.status == TeamUserStatus::Disabled {
            return Err(OperationError::TeamUserDisabled);
        }
        let event = CustomerEvent::password_reset(&customer, &user, actor.at).by(&actor.id);
        match store.record_about_team_user(&customer, &user, &event).await? {
            TeamUserWrite::Done => return Ok(user),
            TeamUserWrite::NoCustomer => return Err(OperationError::NotFound),
            _ => clientele_store::pause_before_retry(attempt).await,
        }
    }
    Err(OperationError::Contended)
}
