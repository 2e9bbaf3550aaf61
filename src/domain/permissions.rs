//! Who may do what: one pure function, used by every server function.
//!
//! Platform admins may do everything. A team member may read the secrets of their projects
//! (their own and the organization secrets assigned to them) and create, edit, sync and delete
//! the *project* secrets of their projects, referencing only the stores and remote-key prefixes
//! the project allows; nothing on organization secrets or assignments, nothing of admin pages.
//! What a member may not even see answers NotFound, never Forbidden, so that the existence of
//! other projects' resources does not leak.

use serde::{Deserialize, Serialize};

use crate::domain::validation::{
    FieldError, path_problem, validate_key_prefix, validate_remote_key,
};
use crate::error::AppError;
use crate::model::account::UserPermissions;
use crate::model::listing::SecretPermissions;
use crate::model::secret::{Scope, SecretSpec};

/// A signed-in user, as the permission check sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The user's id in the database (`users.id`).
    pub user_id: i64,
    /// The user's sign-in email, lowercased; audit entries name the actor by it.
    pub email: String,
    /// Platform admin: every action is allowed.
    pub is_admin: bool,
    /// The projects the user is a member of.
    pub projects: Vec<i64>,
}

impl Principal {
    /// Whether the user is a member of `project` (admins are members of none by default).
    pub fn is_member_of(&self, project: i64) -> bool {
        self.projects.contains(&project)
    }
}

/// Something a user asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// List the secrets one may see.
    ListSecrets,
    /// Read one secret's metadata and status.
    ViewSecret,
    /// Create a secret.
    CreateSecret,
    /// Change a secret's spec or values.
    EditSecret,
    /// Ask for an immediate re-sync.
    SyncSecret,
    /// Delete a secret.
    DeleteSecret,
    /// Assign an organization secret to projects, or unassign it.
    AssignSecret,
    /// List the projects one may see.
    ListProjects,
    /// Read one project.
    ViewProject,
    /// See the secret stores of the clusters.
    ViewStores,
    /// Manage users, memberships and project allowlists.
    ManageUsers,
    /// See clusters and their reachability; create, rename and delete projects on them.
    ManageClusters,
    /// Take over a same-named object the console does not own (server-side apply with force).
    AdoptObject,
}

impl Action {
    /// Every action, for exhaustive tests.
    pub const ALL: [Action; 13] = [
        Action::ListSecrets,
        Action::ViewSecret,
        Action::CreateSecret,
        Action::EditSecret,
        Action::SyncSecret,
        Action::DeleteSecret,
        Action::AssignSecret,
        Action::ListProjects,
        Action::ViewProject,
        Action::ViewStores,
        Action::ManageUsers,
        Action::ManageClusters,
        Action::AdoptObject,
    ];
}

/// What the action is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'a> {
    /// Nothing in particular: a list, an admin area.
    Global,
    /// A project, by id (`projects.id`); team members see only their own projects.
    Project(i64),
    /// A secret about to be created.
    NewSecret {
        /// Its scope: team members may create only project secrets, in their own projects.
        scope: Scope,
        /// Its project, for project secrets.
        project: Option<i64>,
    },
    /// An existing secret.
    Secret {
        /// Its scope: team members may edit, sync and delete only project secrets.
        scope: Scope,
        /// Its project, for project secrets.
        owner: Option<i64>,
        /// The projects it is assigned to.
        assigned: &'a [i64],
    },
}

/// Why an action is refused; each has its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Not signed in: 401.
    Unauthenticated,
    /// Not visible to this user: 404, exactly as if it did not exist.
    NotFound,
    /// Visible, but not this action: 403.
    Forbidden,
}

impl From<Denied> for AppError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Unauthenticated => AppError::Unauthorized,
            Denied::NotFound => AppError::NotFound,
            Denied::Forbidden => AppError::Forbidden,
        }
    }
}

/// Decides whether `principal` (None: anonymous) may do `action` to `target`.
pub fn authorize(
    principal: Option<&Principal>,
    action: Action,
    target: &Target<'_>,
) -> Result<(), Denied> {
    let Some(principal) = principal else {
        return Err(Denied::Unauthenticated);
    };
    if principal.is_admin {
        return Ok(());
    }
    if !visible(principal, target) {
        return Err(Denied::NotFound);
    }
    let project_scoped = matches!(
        target,
        Target::NewSecret {
            scope: Scope::Project,
            ..
        } | Target::Secret {
            scope: Scope::Project,
            ..
        }
    );
    let allowed = match action {
        Action::ListSecrets | Action::ListProjects => matches!(target, Target::Global),
        Action::ViewSecret => matches!(target, Target::Secret { .. }),
        Action::ViewProject => matches!(target, Target::Project(_)),
        Action::CreateSecret => matches!(target, Target::NewSecret { .. }) && project_scoped,
        Action::EditSecret | Action::SyncSecret | Action::DeleteSecret => {
            matches!(target, Target::Secret { .. }) && project_scoped
        }
        Action::AssignSecret
        | Action::ViewStores
        | Action::ManageUsers
        | Action::ManageClusters
        | Action::AdoptObject => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden)
    }
}

fn visible(principal: &Principal, target: &Target<'_>) -> bool {
    match target {
        Target::Global => true,
        Target::Project(project) => principal.is_member_of(*project),
        Target::NewSecret {
            scope: Scope::Organization,
            ..
        } => true,
        Target::NewSecret {
            scope: Scope::Project,
            project,
        } => project.is_some_and(|p| principal.is_member_of(p)),
        Target::Secret {
            owner, assigned, ..
        } => {
            owner.is_some_and(|p| principal.is_member_of(p))
                || assigned.iter().any(|p| principal.is_member_of(*p))
        }
    }
}

/// What `principal` may do with an existing secret (`target`, a [`Target::Secret`]), for the
/// pages to offer only those actions: each flag is [`authorize`]'s answer, which the server
/// function asks again when the action comes.
pub fn secret_permissions(principal: &Principal, target: &Target<'_>) -> SecretPermissions {
    let may = |action| authorize(Some(principal), action, target).is_ok();
    // Only organization secrets are assigned: a project secret lives in its own project.
    let organization = matches!(
        target,
        Target::Secret {
            scope: Scope::Organization,
            ..
        }
    );
    SecretPermissions {
        can_edit: may(Action::EditSecret),
        can_delete: may(Action::DeleteSecret),
        can_sync: may(Action::SyncSecret),
        can_assign: organization && may(Action::AssignSecret),
        can_adopt: may(Action::AdoptObject),
    }
}

/// What `principal` may do beyond single secrets, for the pages to offer only that: each
/// flag is [`authorize`]'s answer, which the server function asks again when the action comes.
pub fn user_permissions(principal: &Principal) -> UserPermissions {
    let may = |action, target: &Target<'_>| authorize(Some(principal), action, target).is_ok();
    UserPermissions {
        can_create_org_secrets: may(
            Action::CreateSecret,
            &Target::NewSecret {
                scope: Scope::Organization,
                project: None,
            },
        ),
        can_assign_secrets: may(Action::AssignSecret, &Target::Global),
        can_view_stores: may(Action::ViewStores, &Target::Global),
        can_manage_users: may(Action::ManageUsers, &Target::Global),
        can_manage_clusters: may(Action::ManageClusters, &Target::Global),
    }
}

/// The stores and remote-key prefixes a project's team members may reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowlist {
    /// ClusterSecretStore names.
    pub stores: Vec<String>,
    /// Remote-key prefixes, e.g. `payments/`: each names a subtree of whole path parts (see
    /// [`key_within_prefix`]); a trailing `/` makes no difference.
    pub key_prefixes: Vec<String>,
}

impl Allowlist {
    /// Checks every key prefix with [`validate_key_prefix`]. Field `key_prefixes`.
    pub fn validate_key_prefixes(&self) -> Result<(), FieldError> {
        self.key_prefixes
            .iter()
            .try_for_each(|prefix| validate_key_prefix("key_prefixes", prefix))
    }

    /// The items of an allowlist field as an admin types them: one per line (or
    /// comma-separated), trimmed, blank ones dropped, sorted, without repeats.
    pub fn items(text: &str) -> Vec<String> {
        let mut items: Vec<String> = text
            .split([',', '\n'])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        items.sort();
        items.dedup();
        items
    }

    /// The allowed stores that are not among `known` (every store some cluster offers): a
    /// warning, not a refusal, since the store may be installed later.
    pub fn unknown_stores(&self, known: &[String]) -> Vec<String> {
        self.stores
            .iter()
            .filter(|store| !known.contains(store))
            .cloned()
            .collect()
    }
}

/// The warning beside an allowlist's stores when some are offered by no cluster (None when
/// all are). The browser shows it as the admin types and the server answers it on save.
pub fn unknown_stores_warning(unknown: &[String]) -> Option<String> {
    let (first, rest) = unknown.split_first()?;
    let named = if rest.is_empty() {
        format!("No cluster has a store named `{first}`")
    } else {
        let all: Vec<String> = unknown.iter().map(|s| format!("`{s}`")).collect();
        format!("No cluster has stores named {}", all.join(", "))
    };
    Some(format!(
        "{named} (see the Stores page): team members cannot use it until one is installed. Check the spelling; saving is allowed, as it may come later."
    ))
}

/// Whether remote key `key` lies in the subtree `prefix` names, comparing whole `/`-separated
/// parts: `payments` (or `payments/`) holds `payments/db` and `payments/a/b`, not
/// `payments-admin/x` nor `paymentsx`.
///
/// A key equal to the prefix (`payments`) is held too: it is the root of the team's subtree
/// (in Vault, say, a secret stored at the folder's own path), and an admin who grants the folder
/// grants its root; with or without the trailing `/`, nothing outside the subtree is reached.
///
/// Fails closed: a key or prefix that is not a clean path (a leading `/`, `//`, a `.` or `..`
/// part, a trailing `/` on the key) is never within anything, since a store may clean it into
/// a key elsewhere.
pub fn key_within_prefix(key: &str, prefix: &str) -> bool {
    let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
    if path_problem(key).is_some() || path_problem(prefix).is_some() {
        return false;
    }
    let mut parts = key.split('/');
    prefix.split('/').all(|part| parts.next() == Some(part))
}

/// Checks that a team member's External spec references only what the project allows. Admins
/// are not limited (callers skip this for them). Names the offending field. Remote keys are
/// validated first, so that a key refused as a path says why rather than only "not allowed".
pub fn check_allowlist(allowlist: &Allowlist, spec: &SecretSpec) -> Result<(), FieldError> {
    let SecretSpec::External(external) = spec else {
        return Ok(());
    };
    if !allowlist.stores.contains(&external.store) {
        let allowed = if allowlist.stores.is_empty() {
            "none: ask an admin to allow a store for this project".to_owned()
        } else {
            allowlist.stores.join(", ")
        };
        return Err(FieldError::new(
            "store",
            format!(
                "this project may not use store `{}`; allowed stores: {allowed}",
                external.store
            ),
        ));
    }
    for (i, entry) in external.data.iter().enumerate() {
        let field = format!("data[{i}].remote_key");
        validate_remote_key(&field, &entry.remote_key)?;
        if !allowlist
            .key_prefixes
            .iter()
            .any(|prefix| key_within_prefix(&entry.remote_key, prefix))
        {
            let message = match allowlist.key_prefixes.first() {
                None => "this project may not read any remote key yet: ask an admin to allow a \
                         key prefix for this project"
                    .to_owned(),
                Some(first) => format!(
                    "this project may only read remote keys inside {}: start the key with one of \
                     them followed by '/', e.g. {}/db",
                    allowlist.key_prefixes.join(", "),
                    first.trim_end_matches('/')
                ),
            };
            return Err(FieldError::new(field, message));
        }
    }
    check_allowlist_beyond_data(allowlist, external)
}

/// The allowlist for what a manifest adds to key rows: `dataFrom[].extract.key` is checked as
/// a remote key is; a `find` must name a `path` inside an allowed prefix (without one it would
/// search the whole store); a `sourceRef` (another store, or a generator that can mint
/// credentials) is for admins. Errors name manifest paths, e.g. `spec.dataFrom[0].find.path`.
fn check_allowlist_beyond_data(
    allowlist: &Allowlist,
    external: &crate::model::secret::ExternalSpec,
) -> Result<(), FieldError> {
    let within = |key: &str| {
        allowlist
            .key_prefixes
            .iter()
            .any(|prefix| key_within_prefix(key, prefix))
    };
    let outside = |field: String, what: &str| {
        let allowed = if allowlist.key_prefixes.is_empty() {
            "none yet: ask an admin to allow a key prefix for this project".to_owned()
        } else {
            allowlist.key_prefixes.join(", ")
        };
        Err(FieldError::new(
            field,
            format!("this project may only read {what} inside its allowed key prefixes: {allowed}"),
        ))
    };
    let admins_only = |field: String| {
        Err(FieldError::new(
            field,
            "only an admin may set sourceRef: it reads from another store or a generator, \
             outside this project's allowlist",
        ))
    };
    for (i, entry) in external.data.iter().enumerate() {
        if entry.source_ref.is_some() {
            return admins_only(format!("spec.data[{i}].sourceRef"));
        }
    }
    for (i, item) in external.data_from.iter().enumerate() {
        if item.source_ref.is_some() {
            return admins_only(format!("spec.dataFrom[{i}].sourceRef"));
        }
        if let Some(extract) = &item.extract {
            let field = format!("spec.dataFrom[{i}].extract.key");
            validate_remote_key(&field, &extract.key)?;
            if !within(&extract.key) {
                return outside(field, "remote keys");
            }
        }
        if let Some(find) = &item.find {
            let field = format!("spec.dataFrom[{i}].find.path");
            match find.path.as_deref() {
                // A folder may be written with its trailing `/` (`payments/`).
                Some(path) if within(path.strip_suffix('/').unwrap_or(path)) => {}
                Some(_) => return outside(field, "find paths"),
                None => {
                    return Err(FieldError::new(
                        field,
                        "set a path inside one of this project's allowed key prefixes: a find \
                         without one searches the whole store",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Which secrets a reader may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every secret (platform admins).
    All,
    /// Secrets assigned to or owned by these projects (team members).
    Projects(Vec<i64>),
}

impl Visibility {
    /// What `principal` may see.
    pub fn of(principal: &Principal) -> Self {
        if principal.is_admin {
            Visibility::All
        } else {
            Visibility::Projects(principal.projects.clone())
        }
    }
}

#[cfg(test)]
mod tests;
