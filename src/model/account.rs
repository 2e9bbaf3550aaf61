//! Who is signed in, projects and users, as the browser sees them.

use serde::{Deserialize, Serialize};

use crate::model::listing::ProjectRef;

/// The signed-in user and what the UI needs to know about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// Email.
    pub email: String,
    /// Platform admin: sees the organization forms and admin pages.
    pub is_admin: bool,
    /// The projects the user is a member of.
    pub projects: Vec<ProjectRef>,
    /// The token every state-changing request must carry.
    pub csrf_token: String,
}

/// A project in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Cluster name.
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Secrets in the project (its own and assigned).
    pub secret_count: i64,
}

/// A user in the admin pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    /// Id.
    pub id: i64,
    /// Email.
    pub email: String,
    /// Platform admin.
    pub is_admin: bool,
    /// Member of these projects.
    pub projects: Vec<i64>,
}
