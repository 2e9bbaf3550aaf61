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
use crate::model::secret::{Scope, SecretSpec};

/// A signed-in user, as the permission check sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The user's id.
    pub user_id: i64,
    /// The user's email.
    pub email: String,
    /// Platform admin.
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
    /// See clusters and their reachability; create projects on them.
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
    /// A project.
    Project(i64),
    /// A secret about to be created.
    NewSecret {
        /// Its scope.
        scope: Scope,
        /// Its project, for project secrets.
        project: Option<i64>,
    },
    /// An existing secret.
    Secret {
        /// Its scope.
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::secret::{ExternalDataEntry, ExternalSpec};
    use Action::*;
    use proptest::prelude::*;

    const PAYMENTS: i64 = 1;
    const SEARCH: i64 = 2;

    fn admin() -> Principal {
        Principal {
            user_id: 1,
            email: "admin@example.com".into(),
            is_admin: true,
            projects: vec![],
        }
    }

    fn member() -> Principal {
        Principal {
            user_id: 2,
            email: "dev@example.com".into(),
            is_admin: false,
            projects: vec![PAYMENTS],
        }
    }

    fn outsider() -> Principal {
        Principal {
            user_id: 3,
            email: "other@example.com".into(),
            is_admin: false,
            projects: vec![SEARCH],
        }
    }

    /// The resources of project `payments` that the matrix walks.
    fn targets() -> Vec<(&'static str, Target<'static>)> {
        vec![
            ("global", Target::Global),
            ("project payments", Target::Project(PAYMENTS)),
            (
                "new project secret in payments",
                Target::NewSecret {
                    scope: Scope::Project,
                    project: Some(PAYMENTS),
                },
            ),
            (
                "new org secret",
                Target::NewSecret {
                    scope: Scope::Organization,
                    project: None,
                },
            ),
            (
                "project secret of payments",
                Target::Secret {
                    scope: Scope::Project,
                    owner: Some(PAYMENTS),
                    assigned: &[PAYMENTS],
                },
            ),
            (
                "org secret assigned to payments",
                Target::Secret {
                    scope: Scope::Organization,
                    owner: None,
                    assigned: &[PAYMENTS],
                },
            ),
            (
                "org secret assigned nowhere",
                Target::Secret {
                    scope: Scope::Organization,
                    owner: None,
                    assigned: &[],
                },
            ),
        ]
    }

    /// The designed outcome for a member of `payments`, per action and target.
    fn expected_for_member(action: Action, target: &str) -> Result<(), Denied> {
        use Denied::*;
        let invisible = matches!(target, "org secret assigned nowhere");
        if invisible {
            return Err(NotFound);
        }
        match (action, target) {
            (ListSecrets | ListProjects, "global") => Ok(()),
            (ViewProject, "project payments") => Ok(()),
            (ViewSecret, "project secret of payments" | "org secret assigned to payments") => {
                Ok(())
            }
            (CreateSecret, "new project secret in payments") => Ok(()),
            (EditSecret | SyncSecret | DeleteSecret, "project secret of payments") => Ok(()),
            _ => Err(Forbidden),
        }
    }

    #[test]
    fn anonymous_is_unauthenticated_for_everything() {
        for action in Action::ALL {
            for (_, target) in targets() {
                assert_eq!(
                    authorize(None, action, &target),
                    Err(Denied::Unauthenticated)
                );
            }
        }
    }

    #[test]
    fn admins_may_do_everything() {
        for action in Action::ALL {
            for (_, target) in targets() {
                assert_eq!(
                    authorize(Some(&admin()), action, &target),
                    Ok(()),
                    "{action:?}"
                );
            }
        }
    }

    #[test]
    fn members_follow_the_matrix() {
        for action in Action::ALL {
            for (name, target) in targets() {
                assert_eq!(
                    authorize(Some(&member()), action, &target),
                    expected_for_member(action, name),
                    "{action:?} on {name}"
                );
            }
        }
    }

    #[test]
    fn members_of_other_projects_see_nothing_of_payments() {
        for action in Action::ALL {
            for (name, target) in targets() {
                let got = authorize(Some(&outsider()), action, &target);
                match name {
                    "global" => assert_ne!(got, Err(Denied::NotFound), "{action:?} on {name}"),
                    // Creating an org secret names no project: it is refused, not hidden.
                    "new org secret" => assert_eq!(got, Err(Denied::Forbidden)),
                    _ => assert_eq!(got, Err(Denied::NotFound), "{action:?} on {name}"),
                }
            }
        }
    }

    #[test]
    fn team_member_cannot_assign_org_secret() {
        let target = Target::Secret {
            scope: Scope::Organization,
            owner: None,
            assigned: &[PAYMENTS],
        };
        assert_eq!(
            authorize(Some(&member()), AssignSecret, &target),
            Err(Denied::Forbidden)
        );
    }

    #[test]
    fn denials_map_to_401_404_403() {
        assert_eq!(AppError::from(Denied::Unauthenticated).status(), 401);
        assert_eq!(AppError::from(Denied::NotFound).status(), 404);
        assert_eq!(AppError::from(Denied::Forbidden).status(), 403);
    }

    fn spec(store: &str, remote_key: &str) -> SecretSpec {
        SecretSpec::External(ExternalSpec {
            store: store.into(),
            refresh_interval: "1h0m0s".into(),
            data: vec![ExternalDataEntry {
                secret_key: "k".into(),
                remote_key: remote_key.into(),
                property: None,
                version: None,
            }],
        })
    }

    #[test]
    fn members_reference_only_allowed_stores_and_prefixes() {
        let allow = Allowlist {
            stores: vec!["vault".into()],
            key_prefixes: vec!["payments/".into()],
        };
        assert!(check_allowlist(&allow, &spec("vault", "payments/db")).is_ok());
        let store =
            check_allowlist(&allow, &spec("aws-secrets-manager", "payments/db")).unwrap_err();
        assert_eq!(store.field, "store");
        assert!(store.message.contains("vault"));
        let key = check_allowlist(&allow, &spec("vault", "search/db")).unwrap_err();
        assert_eq!(key.field, "data[0].remote_key");
        assert!(key.message.contains("payments/"));
        let none = check_allowlist(&Allowlist::default(), &spec("vault", "x")).unwrap_err();
        assert!(none.message.contains("ask an admin"));
    }

    fn allow_prefix(prefix: &str) -> Allowlist {
        Allowlist {
            stores: vec!["vault".into()],
            key_prefixes: vec![prefix.into()],
        }
    }

    #[test]
    fn key_prefixes_match_whole_path_parts_with_or_without_a_trailing_slash() {
        for prefix in ["payments", "payments/"] {
            for key in [
                "payments/x",
                "payments/a/b",
                "payments/db/password",
                "payments",
            ] {
                assert!(key_within_prefix(key, prefix), "{key} in {prefix}");
            }
            for key in [
                "payments-admin/x",
                "paymentsx",
                "paymentsx/y",
                "pay",
                "search/payments",
            ] {
                assert!(!key_within_prefix(key, prefix), "{key} in {prefix}");
            }
        }
        assert!(key_within_prefix(
            "shared/postgres/password",
            "shared/postgres/"
        ));
        assert!(!key_within_prefix("shared/postgresql", "shared/postgres/"));
        assert!(!key_within_prefix("shared", "shared/postgres"));
    }

    #[test]
    fn keys_and_prefixes_that_are_not_clean_paths_are_within_nothing() {
        for (key, prefix) in [
            ("payments/../search/db", "payments"),
            ("payments/./db", "payments"),
            ("payments//db", "payments"),
            ("payments/db/", "payments"),
            ("/payments/db", "payments"),
            ("payments/db", "/payments"),
            ("payments/db", "payments//"),
            ("payments/db", ""),
            ("payments/db", "/"),
            ("search/db", "payments/.."),
            ("./db", "."),
        ] {
            assert!(!key_within_prefix(key, prefix), "{key} in {prefix}");
        }
    }

    #[test]
    fn a_member_cannot_climb_out_of_the_prefix_with_dot_dot_and_the_field_is_named() {
        for prefix in ["payments", "payments/"] {
            let error = check_allowlist(
                &allow_prefix(prefix),
                &spec("vault", "payments/../search/db"),
            )
            .unwrap_err();
            assert_eq!(error.field, "data[0].remote_key");
            assert!(error.message.contains("'..'"), "{}", error.message);
        }
    }

    #[test]
    fn a_member_cannot_use_a_sibling_that_only_shares_the_prefix_letters() {
        for prefix in ["payments", "payments/"] {
            let error = check_allowlist(&allow_prefix(prefix), &spec("vault", "payments-admin/x"))
                .unwrap_err();
            assert_eq!(error.field, "data[0].remote_key");
            assert!(
                error.message.contains(prefix) && error.message.contains("payments/db"),
                "{}",
                error.message
            );
        }
    }

    #[test]
    fn ordinary_keys_inside_the_prefix_are_still_allowed() {
        assert_eq!(
            check_allowlist(
                &allow_prefix("payments/"),
                &spec("vault", "payments/db/password")
            ),
            Ok(())
        );
        assert_eq!(
            check_allowlist(
                &allow_prefix("shared/postgres"),
                &spec("vault", "shared/postgres")
            ),
            Ok(())
        );
        assert_eq!(
            check_allowlist(&allow_prefix("my app"), &spec("vault", "my app")),
            Ok(())
        );
        assert_eq!(
            check_allowlist(&allow_prefix("my app/"), &spec("vault", "my app/pass word")),
            Ok(())
        );
    }

    #[test]
    fn allowlists_refuse_prefixes_that_are_not_clean_paths_naming_the_field() {
        assert_eq!(allow_prefix("payments/").validate_key_prefixes(), Ok(()));
        for bad in ["/payments", "payments//", "payments/../search", ""] {
            let error = allow_prefix(bad).validate_key_prefixes().unwrap_err();
            assert_eq!(error.field, "key_prefixes", "{bad}");
        }
    }

    /// Cleans a path the way a provider would (Go's `path.Clean`, roughly): empty and `.` parts
    /// dropped, `..` removes the part before it. None when `..` climbs above the store's root.
    fn clean(path: &str) -> Option<Vec<&str>> {
        let mut parts = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                other => parts.push(other),
            }
        }
        Some(parts)
    }

    fn arb_part() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "",
                ".",
                "..",
                "payments",
                "payments-admin",
                "paymentsx",
                "search",
                "db",
                " ",
            ])
            .prop_map(str::to_owned),
            "[a-z. -]{1,5}",
        ]
    }

    fn arb_path() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            proptest::collection::vec(arb_part(), 1..5),
            any::<bool>(),
        )
            .prop_map(|(leading, parts, trailing)| {
                let joined = parts.join("/");
                format!(
                    "{}{joined}{}",
                    if leading { "/" } else { "" },
                    if trailing { "/" } else { "" }
                )
            })
    }

    proptest! {
        #[test]
        fn an_accepted_key_never_resolves_outside_its_prefix(
            prefix in arb_path(),
            joint in proptest::sample::select(vec!["/", "", "-", "none"]),
            tail in arb_path(),
        ) {
            // Most keys start with the prefix's text, joined by a '/' (so that acceptances are
            // common) or by nothing or '-' (siblings such as `payments-admin/x`).
            let key = match joint {
                "none" => tail,
                joint => format!("{}{joint}{tail}", prefix.strip_suffix('/').unwrap_or(&prefix)),
            };
            let accepted = validate_remote_key("data[0].remote_key", &key).is_ok()
                && check_allowlist(&allow_prefix(&prefix), &spec("vault", &key)).is_ok();
            if accepted {
                let cleaned_prefix = clean(&prefix);
                prop_assert!(cleaned_prefix.is_some(), "{prefix:?} climbs out of the root");
                let cleaned_prefix = cleaned_prefix.unwrap();
                prop_assert!(!cleaned_prefix.is_empty(), "{prefix:?} is the whole store");
                let cleaned_key = clean(&key);
                prop_assert!(
                    cleaned_key.as_ref().is_some_and(|k| k.starts_with(&cleaned_prefix)),
                    "{key:?} resolves to {cleaned_key:?}, outside {prefix:?}"
                );
            }
        }

        #[test]
        fn clean_keys_under_a_valid_prefix_are_accepted(
            prefix in "[a-z]{1,4}(/[a-z .-]{0,3}[a-z])?/?",
            tail in "[a-z]([a-z .-]{0,3}[a-z])?(/[a-z]{1,3}){0,2}",
        ) {
            prop_assert_eq!(allow_prefix(&prefix).validate_key_prefixes(), Ok(()));
            let key = format!("{}/{tail}", prefix.trim_end_matches('/'));
            prop_assert_eq!(
                check_allowlist(&allow_prefix(&prefix), &spec("vault", &key)),
                Ok(())
            );
        }
    }
}
