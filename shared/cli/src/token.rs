//! `clientele token`: a user token signed with the given key.

use std::time::Duration;

use clientele_auth::{Role, SigningKey, TokenSettings, issue};
use clientele_core::{BusinessId, Timestamp};

/// A token for `subject` in `business` with `roles`, valid for `minutes`, or
/// for the token lifetime (`ACCESS_TOKEN_EXPIRE_MINUTES`, default 30) that
/// the service accepts at most.
pub fn mint(
    roles: &[String],
    business: &str,
    subject: &str,
    minutes: Option<u64>,
    key: &str,
) -> Result<String, String> {
    let roles = roles
        .iter()
        .map(|r| r.parse::<Role>().map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let business = BusinessId::parse(business).map_err(|e| format!("--business {e}"))?;
    let key = SigningKey::new(key.as_bytes()).map_err(|e| e.to_string())?;
    let settings = TokenSettings::from_lookup(|name| std::env::var(name).ok()).map_err(|e| e.to_string())?;
    let lifetime = match minutes {
        None => settings.lifetime,
        Some(m) if Duration::from_secs(m.saturating_mul(60)) <= settings.lifetime && m > 0 => {
            Duration::from_secs(m * 60)
        }
        Some(m) => {
            return Err(format!(
                "--minutes {m}: tokens live from 1 to {} minutes (ACCESS_TOKEN_EXPIRE_MINUTES)",
                settings.lifetime.as_secs() / 60
            ));
        }
    };
    issue(&key, &settings, subject, business, &roles, lifetime, Timestamp::now()).map_err(|e| e.to_string())
}
