//! Who is signed in, projects and users, as the browser sees them.

use serde::{Deserialize, Serialize};

use crate::model::listing::ProjectRef;

/// The signed-in user and what the UI needs to know about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The sign-in email, trimmed and lowercased; audit entries name the user by it.
    pub email: String,
    /// Platform admin: sees the organization forms and admin pages.
    pub is_admin: bool,
    /// The projects the user is a member of.
    pub projects: Vec<ProjectRef>,
    /// The token every state-changing request must carry.
    pub csrf_token: String,
    /// What the user may do beyond single secrets (none until the server says).
    #[serde(default)]
    pub permissions: UserPermissions,
}

/// What a signed-in user may do beyond single secrets, decided on the server by
/// `domain::permissions::user_permissions` (the rule every server function applies again) and
/// sent with the user, so pages offer only what would be allowed. All false by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPermissions {
    /// Create organization secrets.
    pub can_create_org_secrets: bool,
    /// Assign organization secrets to projects and unassign them (the bulk bar offers it).
    pub can_assign_secrets: bool,
    /// See the secret stores of the clusters (the Stores page).
    pub can_view_stores: bool,
    /// Manage users, memberships and project allowlists (the Users page, allowlist forms).
    pub can_manage_users: bool,
    /// See clusters and create projects on them.
    pub can_manage_clusters: bool,
}

/// A project in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// Its id in the database (`projects.id`).
    pub id: i64,
    /// Unique name: an RFC 1123 label (at most 63 characters), used in the project's URLs.
    pub name: String,
    /// Name of the cluster its namespace is on.
    pub cluster: String,
    /// The namespace its secrets are written to: an RFC 1123 label, unique on its cluster.
    pub namespace: String,
    /// Secrets in the project (its own and assigned).
    pub secret_count: i64,
    /// Its labels (`env=prod`), which organization secrets' selectors match.
    #[serde(default)]
    pub labels: crate::domain::labels::Labels,
}

/// One selector of an organization secret and the projects it matches now.
pub use crate::model::listing::SelectorMatch;

/// A user in the admin pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    /// Its id in the database (`users.id`).
    pub id: i64,
    /// The sign-in email, trimmed and lowercased; unique among users.
    pub email: String,
    /// Whether the user is a platform admin, who may do everything.
    pub is_admin: bool,
    /// Ids of the projects the user is a member of, ascending.
    pub projects: Vec<i64>,
    /// Disabled: cannot sign in, and has no session.
    #[serde(default)]
    pub disabled: bool,
    /// Must choose a new password at their next sign-in (after a reset).
    #[serde(default)]
    pub must_change_password: bool,
    /// Signs in with single sign-on: the identity provider decides their role, and they have
    /// no local password.
    #[serde(default)]
    pub single_sign_on: bool,
}

/// How people may sign in on this console (the sign-in page shows what is on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    /// The identity provider's name on the "Sign in with …" button, when single sign-on is
    /// configured.
    pub single_sign_on: Option<String>,
    /// Whether the email-and-password form is on (`--local-accounts`).
    pub local_accounts: bool,
}
