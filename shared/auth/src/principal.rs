//! Who is calling, on behalf of which business, and what they may do.

use std::fmt;
use std::str::FromStr;

use clientele_core::{BusinessId, Scope};

/// A user's role in its business. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads customers, tags and notes.
    Viewer,
    /// Also creates and updates them.
    Staff,
    /// Also deletes, runs lifecycle actions and GDPR requests.
    Admin,
}

impl Role {
    /// The role's name in tokens and in the authorizer context.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// Whether this role is allowed this kind of access.
    pub fn grants(&self, access: Access) -> bool {
        match access {
            Access::Read => true,
            Access::Write => *self >= Role::Staff,
            Access::Admin => *self == Role::Admin,
        }
    }
}

/// Why a string is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: roles are viewer, staff and admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "staff" => Ok(Role::Staff),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of access a route asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading.
    Read,
    /// Creating and updating.
    Write,
    /// Deleting, lifecycle actions, GDPR.
    Admin,
}

/// What kind of caller a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A staff or admin user with a JWT.
    User,
    /// An external system with a client id and secret.
    Client,
}

impl PrincipalKind {
    /// The kind's name in the authorizer context.
    pub fn as_str(&self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Client => "client",
        }
    }
}

/// Whether a client's scope allows this access. Scopes do not include one
/// another: a client that reads and writes holds both scopes.
pub fn scope_grants(scope: Scope, access: Access) -> bool {
    matches!(
        (scope, access),
        (Scope::CustomersRead, Access::Read)
            | (Scope::CustomersWrite, Access::Write)
            | (Scope::CustomersAdmin, Access::Admin)
    )
}

/// The scope that grants this access.
pub fn scope_for(access: Access) -> Scope {
    match access {
        Access::Read => Scope::CustomersRead,
        Access::Write => Scope::CustomersWrite,
        Access::Admin => Scope::CustomersAdmin,
    }
}

/// The lowest role that grants this access.
pub fn role_for(access: Access) -> Role {
    match access {
        Access::Read => Role::Viewer,
        Access::Write => Role::Staff,
        Access::Admin => Role::Admin,
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's subject, or the client's id.
    pub id: String,
    /// User or client.
    pub kind: PrincipalKind,
    /// The only business whose data this caller may see or change.
    pub business_id: BusinessId,
    /// A user's roles.
    pub roles: Vec<Role>,
    /// A client's scopes.
    pub scopes: Vec<Scope>,
}

impl Principal {
    /// A user with roles.
    pub fn user(id: impl Into<String>, business_id: BusinessId, roles: Vec<Role>) -> Self {
        Self {
            id: id.into(),
            kind: PrincipalKind::User,
            business_id,
            roles,
            scopes: Vec::new(),
        }
    }

    /// A client with scopes.
    pub fn client(id: impl Into<String>, business_id: BusinessId, scopes: Vec<Scope>) -> Self {
        Self {
            id: id.into(),
            kind: PrincipalKind::Client,
            business_id,
            roles: Vec::new(),
            scopes,
        }
    }

    /// The caller's id qualified by its kind, `user:<sub>` or
    /// `client:<client id>`: what is recorded as the author of a change, and
    /// compared when only the author may undo it. A user whose token's `sub`
    /// happens to equal a client's id is still another principal.
    pub fn qualified_id(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }

    /// Whether any role or scope held allows this access.
    pub fn may(&self, access: Access) -> bool {
        self.roles.iter().any(|role| role.grants(access)) || self.scopes.iter().any(|s| scope_grants(*s, access))
    }
}

/// Longest principal id accepted.
pub const PRINCIPAL_ID_MAX_CHARS: usize = 128;

/// Checks a principal id: 1 to 128 characters, none of them control characters.
pub fn valid_principal_id(id: &str) -> bool {
    !id.is_empty() && id.chars().count() <= PRINCIPAL_ID_MAX_CHARS && !id.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_includes_the_ones_before_it() {
        let table = [
            (Role::Viewer, [true, false, false]),
            (Role::Staff, [true, true, false]),
            (Role::Admin, [true, true, true]),
        ];
        for (role, expected) in table {
            let got = [Access::Read, Access::Write, Access::Admin].map(|a| role.grants(a));
            assert_eq!(got, expected, "{role}");
        }
    }

    #[test]
    fn a_principal_without_roles_may_do_nothing() {
        let p = Principal::user("u", BusinessId::random(), vec![]);
        assert!(!p.may(Access::Read));
    }

    #[test]
    fn a_clients_scopes_grant_exactly_their_access() {
        let writer = Principal::client("c", BusinessId::random(), vec![Scope::CustomersWrite]);
        assert!(writer.may(Access::Write));
        assert!(!writer.may(Access::Read), "scopes do not include one another");
        assert!(!writer.may(Access::Admin));
        for access in [Access::Read, Access::Write, Access::Admin] {
            assert!(scope_grants(scope_for(access), access));
            assert!(role_for(access).grants(access));
        }
    }

    #[test]
    fn a_user_and_a_client_with_the_same_id_are_different_principals() {
        let business = BusinessId::random();
        let id = "0b7f3b4e-3c1d-4c55-9c1a-6f1f2d1e9a10";
        let user = Principal::user(id, business, vec![Role::Staff]);
        let client = Principal::client(id, business, vec![Scope::CustomersWrite]);
        assert_ne!(user.qualified_id(), client.qualified_id());
        assert_eq!(user.qualified_id(), format!("user:{id}"));
        assert_eq!(client.qualified_id(), format!("client:{id}"));
    }

    #[test]
    fn roles_parse_only_from_their_names() {
        assert_eq!("staff".parse(), Ok(Role::Staff));
        assert!("Staff".parse::<Role>().is_err());
        assert!("root".parse::<Role>().is_err());
    }
}
