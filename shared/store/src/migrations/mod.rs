//! Versioned rewrites of items already stored, for when the way data is keyed
//! or counted changes.
//!
//! Each [`Migration`] has a version; the table remembers, in one item
//! (`pk = MIGRATIONS`, `sk = STATE`), the highest version that has finished
//! and, while one runs, how far its scan has come. A run picks up where the
//! last one stopped (after a crash, a timeout or a throttled request), and
//! every step checks what is stored before it writes, so running a migration
//! twice, or over items already written the new way, changes nothing.
//!
//! Functions keep working while a migration runs: each rewrite is one
//! conditional write or transaction, and the code being deployed reads and
//! writes the new form only.

mod authors;
mod counts;
mod nfkc_keys;
mod search_and_segments;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::StoreError;

use crate::DynamoStore;
use crate::errors::classify;
use crate::items::Item;
use crate::keys::{Key, attr};

/// Items read per page of a migration's scan.
pub const PAGE_ITEMS: i32 = 100;

/// A change of how stored items are keyed or counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its place in the order migrations run in, from 1.
    pub version: u32,
    /// What it does, in a few words.
    pub name: &'static str,
    /// The kinds of item (`entity`) it reads.
    entities: &'static [&'static str],
    /// What it does to each.
    rewrite: Rewrite,
}

/// The rewrites there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rewrite {
    /// Claim keys, tag keys and folded names made NFKC-normalised.
    NfkcKeys,
    /// Each customer's tag and note counts, counted.
    Counts,
    /// Authors of tags and notes named with their kind.
    Authors,
    /// Search terms, segment counts and the status-and-type index.
    SearchAndSegments,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    nfkc_keys::MIGRATION,
    counts::MIGRATION,
    authors::MIGRATION,
    search_and_segments::MIGRATION,
];

/// What a migration did to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// The item was already in the new form.
    Unchanged,
    /// The item (or what hangs on it) was rewritten.
    Rewritten,
    /// The item cannot be rewritten without a person deciding: why.
    Conflict(String),
}

/// What one run of one migration did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The migration's version.
    pub version: u32,
    /// Its name.
    pub name: &'static str,
    /// Items it read.
    pub examined: u64,
    /// Items it rewrote.
    pub rewritten: u64,
    /// Items it left as they were, and why: each needs a person, and the
    /// migration is not done until none is left.
    pub conflicts: Vec<String>,
    /// Whether it reached the end of the table with nothing left to
    /// settle, and so is done.
    pub finished: bool,
}

/// Where the table stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationState {
    /// The highest version that has finished (0 when none has).
    pub version: u32,
    /// The version that is part-way through, if one is.
    pub running: Option<u32>,
}

impl MigrationState {
    /// The migrations still to run, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &'static Migration> + '_ {
        MIGRATIONS.iter().filter(|m| m.version > self.version)
    }
}

/// How far a run may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Items per page.
    pub page_items: i32,
    /// Stop after this many pages in all (the next run resumes); `None` runs
    /// every pending migration to its end.
    pub pages: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            page_items: PAGE_ITEMS,
            pages: None,
        }
    }
}

const STATE_PK: &str = "MIGRATIONS";
const STATE_SK: &str = "STATE";
/// The kind of the item that says where the migrations stand.
pub const STATE_ENTITY: &str = "MigrationState";

fn state_key() -> Key {
    Key {
        pk: STATE_PK.to_owned(),
        sk: STATE_SK.to_owned(),
    }
}

fn number(item: &Item, name: &str) -> Option<u32> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

impl DynamoStore {
    /// Where the table's migrations stand.
    pub async fn migration_state(&self) -> Result<MigrationState, StoreError> {
        let item = self.get_item(state_key()).await?.unwrap_or_default();
        Ok(MigrationState {
            version: number(&item, "version").unwrap_or(0),
            running: number(&item, "running"),
        })
    }

    /// Runs every pending migration in order, each from where it last
    /// stopped, within `limits`. Returns what each did; a migration that did
    /// not finish (stopped by `limits`, or with conflicts to settle) runs
    /// again at the next run, and those after it wait.
    pub async fn migrate(&self, limits: Limits) -> Result<Vec<Report>, StoreError> {
        let mut reports = Vec::new();
        let mut pages_left = limits.pages;
        for migration in self.migration_state().await?.pending() {
            let report = self.run(migration, limits.page_items, &mut pages_left).await?;
            let finished = report.finished;
            reports.push(report);
            if !finished {
                break;
            }
        }
        Ok(reports)
    }

    async fn run(
        &self,
        migration: &'static Migration,
        page_items: i32,
        pages_left: &mut Option<u64>,
    ) -> Result<Report, StoreError> {
        let mut report = Report {
            version: migration.version,
            name: migration.name,
            ..Report::default()
        };
        // Conflicts found by an earlier run of this scan, which stopped
        // part-way: they still need a person even if this run finds none.
        let (mut cursor, conflicted_before) = self.saved_cursor(migration.version).await?;
        loop {
            if *pages_left == Some(0) {
                return Ok(report);
            }
            let (items, next) = self.scan_page(migration, page_items, cursor).await?;
            for item in items {
                report.examined += 1;
                match self.migrate_item(migration, item).await? {
                    Step::Unchanged => {}
                    Step::Rewritten => report.rewritten += 1,
                    Step::Conflict(why) => {
                        tracing::warn!(version = migration.version, conflict = %why, "left for a person to decide");
                        report.conflicts.push(why);
                    }
                }
            }
            *pages_left = pages_left.map(|n| n.saturating_sub(1));
            match next {
                Some(next) => {
                    let conflicted = conflicted_before || !report.conflicts.is_empty();
                    self.save_cursor(migration.version, &next, conflicted).await?;
                    cursor = Some(next);
                }
                None if report.conflicts.is_empty() && !conflicted_before => {
                    self.finish(migration.version, true).await?;
                    report.finished = true;
                    return Ok(report);
                }
                // Not done until a person has settled each conflict: the
                // next run reads the whole table again.
                None => {
                    self.finish(migration.version, false).await?;
                    return Ok(report);
                }
            }
        }
    }

    async fn migrate_item(&self, migration: &Migration, item: Item) -> Result<Step, StoreError> {
        match migration.rewrite {
            Rewrite::NfkcKeys => nfkc_keys::migrate(self, item).await,
            Rewrite::Counts => counts::migrate(self, item).await,
            Rewrite::Authors => authors::migrate(self, item).await,
            Rewrite::SearchAndSegments => search_and_segments::migrate(self, item).await,
        }
    }

    async fn scan_page(
        &self,
        migration: &Migration,
        page_items: i32,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let entities: Vec<String> = (0..migration.entities.len()).map(|i| format!(":entity{i}")).collect();
        let values: HashMap<String, AttributeValue> = entities
            .iter()
            .zip(migration.entities)
            .map(|(name, entity)| (name.clone(), AttributeValue::S((*entity).to_owned())))
            .collect();
        let output = self
            .client
            .scan()
            .table_name(self.table.as_ref())
            .limit(page_items)
            .filter_expression(format!("#entity IN ({})", entities.join(", ")))
            .expression_attribute_names("#entity", attr::ENTITY)
            .set_expression_attribute_values(Some(values))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
    }

    /// Where a run of `version` stopped, and whether it had found conflicts
    /// by then.
    async fn saved_cursor(&self, version: u32) -> Result<(Option<Item>, bool), StoreError> {
        let Some(item) = self.get_item(state_key()).await? else {
            return Ok((None, false));
        };
        if number(&item, "running") != Some(version) {
            return Ok((None, false));
        }
        let cursor = item.get("cursor").and_then(|c| c.as_m().ok()).cloned();
        let conflicted = item.get("conflicted").and_then(|c| c.as_bool().ok()).copied();
        Ok((cursor, conflicted.unwrap_or(false)))
    }

    async fn save_cursor(&self, version: u32, cursor: &Item, conflicted: bool) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(state_key().to_attributes()))
            .update_expression("SET #entity = :entity, running = :running, #cursor = :cursor, conflicted = :conflicted")
            .expression_attribute_names("#entity", attr::ENTITY)
            .expression_attribute_names("#cursor", "cursor")
            .expression_attribute_values(":entity", AttributeValue::S(STATE_ENTITY.to_owned()))
            .expression_attribute_values(":running", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":cursor", AttributeValue::M(cursor.clone()))
            .expression_attribute_values(":conflicted", AttributeValue::Bool(conflicted))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Ends a scan: the migration is recorded as done when it `succeeded`,
    /// and otherwise will start again from the beginning.
    async fn finish(&self, version: u32, succeeded: bool) -> Result<(), StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(self.table.as_ref())
            .set_key(Some(state_key().to_attributes()))
            .expression_attribute_names("#entity", attr::ENTITY)
            .expression_attribute_names("#cursor", "cursor")
            .expression_attribute_values(":entity", AttributeValue::S(STATE_ENTITY.to_owned()));
        let request = if succeeded {
            request
                .update_expression("SET #entity = :entity, version = :version REMOVE running, #cursor, conflicted")
                .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
        } else {
            request.update_expression("SET #entity = :entity REMOVE running, #cursor, conflicted")
        };
        request.send().await.map_err(classify)?;
        Ok(())
    }
}
