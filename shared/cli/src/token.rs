//! `clientele token`: a user token signed with the given key.

use std::time::Duration;

use clientele_auth::{Role, SigningKey, TokenSettings, issue};
use clientele_core::{BusinessId, Timestamp};

/// A token for `subject` in `business` with `roles`, valid for `minutes`.
pub fn mint(roles: &[String], business: &str, subject: &str, minutes: u64, key: &str) -> Result<String, String> {
    let roles = roles
        .iter()
        .map(|r| r.parse::<Role>().map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let business = BusinessId::parse(business).map_err(|e| format!("--business {e}"))?;
    let key = SigningKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let settings = TokenSettings::from_lookup(|name| std::env::var(name).ok());
    issue(
        &key,
        &settings,
        subject,
        business,
        &roles,
        Duration::from_secs(minutes.saturating_mul(60)),
        Timestamp::now(),
    )
    .map_err(|e| e.to_string())
}
