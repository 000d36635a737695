//! `clientele migrate`: brings the items of a table written by an earlier
//! version to the form this version reads and writes.

use clientele_store::DynamoStore;
use clientele_store::migrations::{Limits, MIGRATIONS, Report};

/// Prints where the table stands, or runs its pending migrations within
/// `limits` and prints what each did. Fails when a migration left items
/// for a person to decide.
pub async fn run(store: &DynamoStore, status_only: bool, limits: Limits) -> Result<String, String> {
    let state = store.migration_state().await.map_err(|e| e.to_string())?;
    if status_only {
        let mut lines = vec![format!("table {}: at version {}", store.table(), state.version)];
        if let Some(running) = state.running {
            lines.push(format!(
                "version {running} is part-way through: the next run resumes it"
            ));
        }
        for migration in MIGRATIONS {
            let mark = if migration.version <= state.version {
                "done"
            } else {
                "pending"
            };
            lines.push(format!("{:>3}  {mark:<8} {}", migration.version, migration.name));
        }
        return Ok(lines.join("\n"));
    }
    let reports = store.migrate(limits).await.map_err(|e| e.to_string())?;
    if reports.is_empty() {
        return Ok(format!(
            "table {}: at version {}, nothing to do",
            store.table(),
            state.version
        ));
    }
    let text = reports.iter().map(described).collect::<Vec<_>>().join("\n");
    if reports.iter().any(|r| !r.conflicts.is_empty()) {
        return Err(format!("{text}\nsome items were left as they were: see above"));
    }
    Ok(text)
}

fn described(report: &Report) -> String {
    let mut text = format!(
        "{} ({}): read {} item{}, rewrote {}{}",
        report.version,
        report.name,
        report.examined,
        if report.examined == 1 { "" } else { "s" },
        report.rewritten,
        if report.finished {
            ", done"
        } else {
            ", stopped part-way: run again to go on"
        },
    );
    for conflict in &report.conflicts {
        text.push_str(&format!("\n    left as it was: {conflict}"));
    }
    text
}
