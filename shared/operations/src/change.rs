//! The one shape of every change to a customer record: read it, check what
//! the caller expects of it, decide the new record, and write it on the
//! condition that it is still the version read. When another writer got in
//! between, read again and decide again, a few times; a caller who named the
//! version it expects (`If-Match` with tags) has lost instead.

use std::future::Future;

use clientele_core::{Customer, OperationError, Precondition, StoreError};

/// How often a change is tried when other writers keep getting in between.
pub const ATTEMPTS: usize = 3;

/// Runs one change: `read` the record, check `precondition`, then
/// `decide_and_write`, which writes on the condition that the record is still
/// the version it was given (the store answers
/// [`StoreError::VersionMismatch`] otherwise). A lost race reads again, up to
/// [`ATTEMPTS`] times, then answers [`OperationError::Contended`]; with a
/// precondition naming versions it answers
/// [`OperationError::PreconditionFailed`] at once. Any other answer, a
/// refusal or the changed record, is returned as it is.
pub async fn read_decide_write<T, R, W>(
    precondition: Option<&Precondition>,
    mut read: impl FnMut() -> R,
    mut decide_and_write: impl FnMut(Customer) -> W,
) -> Result<T, OperationError>
where
    R: Future<Output = Result<Customer, OperationError>>,
    W: Future<Output = Result<T, OperationError>>,
{
    for _ in 0..ATTEMPTS {
        let current = read().await?;
        if precondition.is_some_and(|p| !p.admits(current.version)) {
            return Err(OperationError::PreconditionFailed);
        }
        match decide_and_write(current).await {
            Err(OperationError::Store(StoreError::VersionMismatch)) => {
                if precondition.is_some_and(Precondition::names_versions) {
                    return Err(OperationError::PreconditionFailed);
                }
            }
            answer => return answer,
        }
    }
    Err(OperationError::Contended)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::{BusinessId, NewCustomer, Timestamp};
    use serde_json::json;
    use std::cell::Cell;

    fn customer(version: u64) -> Customer {
        let serde_json::Value::Object(body) = json!({
            "full_name": "Ann Lee", "email": "ann@example.com", "gender": "female",
            "user_id": "123e4567-e89b-12d3-a456-426614174000"
        }) else {
            unreachable!()
        };
        let mut customer = NewCustomer::from_json(&body)
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::now());
        customer.version = version;
        customer
    }

    /// A store whose record is at `version` and moves on by one each time a
    /// writer loses: the first `losses` writes find a newer version.
    struct Race {
        version: Cell<u64>,
        losses: Cell<usize>,
        writes: Cell<usize>,
    }

    impl Race {
        fn new(losses: usize) -> Self {
            Self {
                version: Cell::new(1),
                losses: Cell::new(losses),
                writes: Cell::new(0),
            }
        }

        async fn run(&self, precondition: Option<&Precondition>) -> Result<u64, OperationError> {
            read_decide_write(
                precondition,
                || async { Ok(customer(self.version.get())) },
                |current| async move {
                    self.writes.set(self.writes.get() + 1);
                    if self.losses.get() > 0 {
                        self.losses.set(self.losses.get() - 1);
                        self.version.set(current.version + 1);
                        return Err(StoreError::VersionMismatch.into());
                    }
                    self.version.set(current.version + 1);
                    Ok(current.version + 1)
                },
            )
            .await
        }
    }

    #[tokio::test]
    async fn a_lost_race_reads_again_and_writes_on_the_new_version() {
        let race = Race::new(2);
        assert_eq!(race.run(None).await.unwrap(), 4);
        assert_eq!(race.writes.get(), 3);
    }

    #[tokio::test]
    async fn a_change_that_keeps_losing_gives_up_as_contended() {
        let race = Race::new(ATTEMPTS);
        assert!(matches!(race.run(None).await, Err(OperationError::Contended)));
        assert_eq!(race.writes.get(), ATTEMPTS);
    }

    #[tokio::test]
    async fn a_precondition_is_checked_before_anything_is_written() {
        let race = Race::new(0);
        let stale = Precondition::Versions(vec![7]);
        assert!(matches!(
            race.run(Some(&stale)).await,
            Err(OperationError::PreconditionFailed)
        ));
        assert_eq!(race.writes.get(), 0);
        assert_eq!(race.run(Some(&Precondition::Versions(vec![1]))).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_caller_who_named_versions_loses_a_race_instead_of_retrying() {
        let race = Race::new(1);
        let current = Precondition::Versions(vec![1]);
        assert!(matches!(
            race.run(Some(&current)).await,
            Err(OperationError::PreconditionFailed)
        ));
        assert_eq!(race.writes.get(), 1);
        let race = Race::new(1);
        assert_eq!(race.run(Some(&Precondition::Any)).await.unwrap(), 3, "* retries");
    }

    #[tokio::test]
    async fn refusals_are_answered_as_they_are() {
        let answer: Result<(), _> = read_decide_write(
            None,
            || async { Ok(customer(1)) },
            |_| async { Err(OperationError::NoAvatar) },
        )
        .await;
        assert!(matches!(answer, Err(OperationError::NoAvatar)));
        let missing: Result<(), _> =
            read_decide_write(None, || async { Err(OperationError::NotFound) }, |_| async { Ok(()) }).await;
        assert!(matches!(missing, Err(OperationError::NotFound)));
    }
}
