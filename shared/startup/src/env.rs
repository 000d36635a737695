//! Settings from the environment, read once at start-up. A missing or invalid
//! setting stops the function's initialisation with a message naming it;
//! nothing reads the environment per request.

use std::fmt;
use std::str::FromStr;

/// Any error, boxed, as the cause of a failed start.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a function cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("the environment variable {0} must be set")]
    Missing(&'static str),
    /// A variable's value cannot be used.
    #[error("the environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// Something the function needs before its first request could not be
    /// read (the signing keys, say).
    #[error("{what} could not be read: {source}")]
    Unavailable {
        /// What.
        what: &'static str,
        /// Why.
        #[source]
        source: BoxError,
    },
}

/// Where settings are read from: the process environment, or a closure in tests.
pub trait Lookup {
    /// The value of a variable, if set and not blank.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl Lookup for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Lookup for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// A required variable.
pub fn required(env: &impl Lookup, name: &'static str) -> Result<String, ConfigError> {
    env.get(name).ok_or(ConfigError::Missing(name))
}

/// An optional variable parsed, or `default` when unset.
pub fn parsed_or<T: FromStr>(env: &impl Lookup, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match env.get(name) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Lookup {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |name: &str| map.get(name).cloned()
    }

    #[test]
    fn required_names_the_missing_variable() {
        let err = required(&env(&[]), "TABLE_NAME").unwrap_err();
        assert_eq!(err.to_string(), "the environment variable TABLE_NAME must be set");
        assert_eq!(required(&env(&[("TABLE_NAME", "t")]), "TABLE_NAME").unwrap(), "t");
    }

    #[test]
    fn parsed_or_defaults_and_explains_bad_values() {
        assert_eq!(parsed_or(&env(&[]), "N", 7u32).unwrap(), 7);
        assert_eq!(parsed_or(&env(&[("N", " 9 ")]), "N", 7u32).unwrap(), 9);
        let err = parsed_or(&env(&[("N", "nine")]), "N", 7u32).unwrap_err();
        assert!(err.to_string().contains("N is invalid"), "{err}");
    }
}
