//! What a change expects of the record it changes: the version the caller
//! last saw (an `If-Match` header, or an event's expected version).

/// The versions a change may apply to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Any current version (`If-Match: *`).
    Any,
    /// One of these versions.
    Versions(Vec<u64>),
}

impl Precondition {
    /// Whether the current version satisfies it.
    pub fn admits(&self, version: u64) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Versions(versions) => versions.contains(&version),
        }
    }

    /// Whether the caller named versions: then a change that loses a race
    /// to another writer is refused rather than tried again on the new version.
    pub fn names_versions(&self) -> bool {
        matches!(self, Precondition::Versions(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_admits_every_version_and_a_list_only_its_own() {
        assert!(Precondition::Any.admits(7));
        assert!(!Precondition::Any.names_versions());
        let listed = Precondition::Versions(vec![3, 5]);
        assert!(listed.admits(5) && !listed.admits(4));
        assert!(listed.names_versions());
        assert!(!Precondition::Versions(vec![]).admits(1));
    }
}
