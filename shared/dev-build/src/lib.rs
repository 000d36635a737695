//! No code: `Cargo.toml` names the features every development build shares.
