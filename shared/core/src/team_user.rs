//! A customer's team: the people who sign in for the customer on the
//! platform. Not the customer's own `user_id`, which names the platform user
//! the customer record belongs to: a team user is one of possibly many
//! members, each with an email unique among the business's team users, a
//! role within the customer, a status, and the platform user it is linked to
//! once it has signed in. This service keeps no credentials: a password
//! reset is an event for the identity service to act on.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::contact::{Email, FullName, Phone};
use crate::id::{BusinessId, CustomerId, TeamUserId, UserId};
use crate::text::text_enum;
use crate::time::Timestamp;
use crate::validation::{ObjectReader, PatchValue, ValidationErrors};

/// Most team users one customer may have.
pub const MAX_TEAM_USERS_PER_CUSTOMER: usize = 100;

text_enum!(
    /// What a team user may do for its customer on the platform.
    TeamRole {
        /// Holds the account: everything, including its billing and team.
        Owner => "owner",
        /// Manages the team and the customer's settings.
        Admin => "admin",
        /// Uses the platform for the customer.
        Member => "member",
        /// Sees and pays the customer's invoices.
        Billing => "billing",
    }
);

text_enum!(
    /// Where a team user stands.
    TeamUserStatus {
        /// Added, not yet signed in.
        Invited => "invited",
        /// Signs in.
        Active => "active",
        /// May not sign in.
        Disabled => "disabled",
    }
);

/// A person who signs in for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamUser {
    /// Its id.
    pub id: TeamUserId,
    /// The customer it signs in for.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// Its email address: unique among the business's team users.
    pub email: Email,
    /// Its full name.
    pub full_name: FullName,
    /// Its phone number.
    #[serde(default)]
    pub phone: Option<Phone>,
    /// What it may do for the customer.
    pub role: TeamRole,
    /// Where it stands.
    pub status: TeamUserStatus,
    /// The platform user it is, once linked.
    #[serde(default)]
    pub platform_user_id: Option<UserId>,
    /// The principal who added it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change; the ETag is made from it.
    pub version: u64,
}

/// The fields the server sets.
const SERVER_OWNED: &[&str] = &[
    "id",
    "customer_id",
    "business_id",
    "created_by",
    "created_at",
    "updated_at",
    "version",
];
/// The fields a body may write.
const WRITABLE: &[&str] = &["email", "full_name", "phone", "role", "status", "platform_user_id"];

fn refuse_unwritable(reader: &mut ObjectReader<'_>) {
    reader.refuse(SERVER_OWNED, "is set by the server and cannot be written");
    let known: Vec<&str> = WRITABLE.iter().chain(SERVER_OWNED).copied().collect();
    reader.refuse_unknown(&known);
}

/// A team user to add, read from a create body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeamUser {
    /// Email.
    pub email: Email,
    /// Full name.
    pub full_name: FullName,
    /// Phone.
    pub phone: Option<Phone>,
    /// Role (`member` unless given).
    pub role: TeamRole,
    /// Status: `invited` unless given as `active`.
    pub status: TeamUserStatus,
    /// The platform user, if already known.
    pub platform_user_id: Option<UserId>,
}

impl NewTeamUser {
    /// Reads a create body, naming every offending field. A user is added
    /// invited or active, never disabled.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let email = reader.required("email", Email::parse);
        let full_name = reader.required("full_name", FullName::parse);
        let phone = reader.optional("phone", Phone::parse);
        let role = reader.optional("role", TeamRole::from_str).unwrap_or(TeamRole::Member);
        let status = reader
            .optional("status", TeamUserStatus::from_str)
            .unwrap_or(TeamUserStatus::Invited);
        let platform_user_id = reader.optional("platform_user_id", UserId::parse);
        refuse_unwritable(&mut reader);
        let mut errors = reader.finish();
        if status == TeamUserStatus::Disabled {
            errors.push("status", "must be invited or active when a user is added");
        }
        errors.into_result(|| {
            Some(Self {
                email: email?,
                full_name: full_name?,
                phone,
                role,
                status,
                platform_user_id,
            })
        })
    }

    /// The team user this body adds to `customer`, by `actor` at `now`.
    pub fn into_team_user(self, customer: CustomerId, business: BusinessId, actor: &str, now: Timestamp) -> TeamUser {
        TeamUser {
            id: TeamUserId::random(),
            customer_id: customer,
            business_id: business,
            email: self.email,
            full_name: self.full_name,
            phone: self.phone,
            role: self.role,
            status: self.status,
            platform_user_id: self.platform_user_id,
            created_by: actor.to_owned(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// A merge patch of a team user (RFC 7396): what it names changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamUserPatch {
    /// New email.
    pub email: Option<Email>,
    /// New full name.
    pub full_name: Option<FullName>,
    /// New phone, or its removal.
    pub phone: Option<PatchValue<Phone>>,
    /// New role.
    pub role: Option<TeamRole>,
    /// New status.
    pub status: Option<TeamUserStatus>,
    /// The platform user linked, or unlinked.
    pub platform_user_id: Option<PatchValue<UserId>>,
}

impl TeamUserPatch {
    /// Reads a merge patch, naming every offending field.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        let email = reader.patch_required("email", Email::parse);
        let full_name = reader.patch_required("full_name", FullName::parse);
        let phone = match reader.patch("phone", Phone::parse) {
            PatchValue::Absent => None,
            change => Some(change),
        };
        let role = reader.patch_required("role", TeamRole::from_str);
        let status = reader.patch_required("status", TeamUserStatus::from_str);
        let platform_user_id = match reader.patch("platform_user_id", UserId::parse) {
            PatchValue::Absent => None,
            change => Some(change),
        };
        refuse_unwritable(&mut reader);
        reader.finish().into_result(|| {
            Some(Self {
                email,
                full_name,
                phone,
                role,
                status,
                platform_user_id,
            })
        })
    }

    /// The patch a user makes of its own profile from the mobile app: its
    /// name, its phone, or both.
    pub fn profile(full_name: Option<FullName>, phone: Option<PatchValue<Phone>>) -> Self {
        Self {
            full_name,
            phone,
            ..Self::default()
        }
    }
}

/// A status change the rules refuse: back to `invited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a user who is {from} cannot be invited again")]
pub struct NoReinvitation {
    /// The status it has.
    pub from: TeamUserStatus,
}

impl TeamUser {
    /// The user after `patch`, by `actor` at `now` (the version bumped when
    /// anything changed). A user once active or disabled is never invited
    /// again.
    pub fn patched(&self, patch: &TeamUserPatch, now: Timestamp) -> Result<TeamUser, NoReinvitation> {
        let mut after = self.clone();
        if let Some(email) = &patch.email {
            after.email = email.clone();
        }
        if let Some(name) = &patch.full_name {
            after.full_name = name.clone();
        }
        match &patch.phone {
            Some(PatchValue::Set(phone)) => after.phone = Some(phone.clone()),
            Some(PatchValue::Remove) => after.phone = None,
            _ => {}
        }
        if let Some(role) = patch.role {
            after.role = role;
        }
        if let Some(status) = patch.status {
            if status == TeamUserStatus::Invited && self.status != TeamUserStatus::Invited {
                return Err(NoReinvitation { from: self.status });
            }
            after.status = status;
        }
        match &patch.platform_user_id {
            Some(PatchValue::Set(user)) => after.platform_user_id = Some(*user),
            Some(PatchValue::Remove) => after.platform_user_id = None,
            _ => {}
        }
        if after != *self {
            after.updated_at = now;
            after.version = self.version + 1;
        }
        Ok(after)
    }

    /// The API names of the fields that differ from `before`.
    pub fn changed_fields(&self, before: &TeamUser) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if self.email != before.email {
            changed.push("email");
        }
        if self.full_name != before.full_name {
            changed.push("full_name");
        }
        if self.phone != before.phone {
            changed.push("phone");
        }
        if self.role != before.role {
            changed.push("role");
        }
        if self.status != before.status {
            changed.push("status");
        }
        if self.platform_user_id != before.platform_user_id {
            changed.push("platform_user_id");
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use serde_json::json;

    fn added() -> TeamUser {
        NewTeamUser::from_json(&object(json!({"email": "Ana@Example.com", "full_name": "Ana Pop"})))
            .unwrap()
            .into_team_user(
                CustomerId::random(),
                BusinessId::random(),
                "user:admin",
                Timestamp::now(),
            )
    }

    #[test]
    fn a_user_is_added_invited_as_a_member_unless_the_body_says_otherwise() {
        let user = added();
        assert_eq!(
            (user.role, user.status, user.version),
            (TeamRole::Member, TeamUserStatus::Invited, 1)
        );
        let active = NewTeamUser::from_json(&object(json!({
            "email": "b@example.com", "full_name": "B", "role": "owner", "status": "active",
            "platform_user_id": "123e4567-e89b-12d3-a456-426614174000"
        })))
        .unwrap();
        assert_eq!((active.role, active.status), (TeamRole::Owner, TeamUserStatus::Active));
    }

    #[test]
    fn every_bad_field_is_named() {
        let refused = NewTeamUser::from_json(&object(json!({
            "email": "nope", "role": "king", "status": "disabled", "id": "x", "password": "hunter2"
        })))
        .unwrap_err();
        let mut fields = refused.fields();
        fields.sort_unstable();
        assert_eq!(fields, ["email", "full_name", "id", "password", "role", "status"]);
        let refused = TeamUserPatch::from_json(&object(json!({"email": null, "version": 3}))).unwrap_err();
        assert_eq!(refused.fields(), ["email", "version"]);
    }

    #[test]
    fn a_patch_changes_what_it_names_and_bumps_the_version_once() {
        let user = added();
        let patch = TeamUserPatch::from_json(&object(json!({
            "full_name": "Ana Popescu", "phone": "+40712345678", "status": "active", "role": "admin"
        })))
        .unwrap();
        let after = user.patched(&patch, Timestamp::now()).unwrap();
        assert_eq!(after.version, 2);
        assert_eq!(after.changed_fields(&user), ["full_name", "phone", "role", "status"]);
        let same = after.patched(&patch, Timestamp::now()).unwrap();
        assert_eq!(same, after, "nothing changed, nothing bumped");
        let removed = after
            .patched(
                &TeamUserPatch::from_json(&object(json!({"phone": null}))).unwrap(),
                Timestamp::now(),
            )
            .unwrap();
        assert_eq!(removed.phone, None);
    }

    #[test]
    fn an_active_or_disabled_user_is_never_invited_again() {
        let user = added();
        let activate = TeamUserPatch::from_json(&object(json!({"status": "active"}))).unwrap();
        let active = user.patched(&activate, Timestamp::now()).unwrap();
        let invite = TeamUserPatch::from_json(&object(json!({"status": "invited"}))).unwrap();
        assert_eq!(
            active.patched(&invite, Timestamp::now()),
            Err(NoReinvitation {
                from: TeamUserStatus::Active
            })
        );
        assert!(user.patched(&invite, Timestamp::now()).is_ok(), "still invited");
    }
}
