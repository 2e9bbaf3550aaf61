//! Listing secrets: the query (kept in the page URL) and the rows that come back.

use serde::{Deserialize, Serialize};

use crate::domain::status::{AssignmentStatus, FailureClass, SecretStatus};
use crate::error::FieldError;
use crate::model::secret::{Scope, SecretKind, SecretSpec, UseCase};

/// Largest page a client may ask for.
pub const MAX_PER_PAGE: u32 = 200;

/// How many assignments a list row names to an admin (a member sees all of theirs); the rest
/// are counted.
pub const ASSIGNED_TO_SHOWN: i64 = 5;

/// Longest search text, in characters: every listing runs it as two `LIKE` patterns over every
/// secret, so a pasted blob would slow the page for everyone.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Most secrets (or projects) one bulk action may name: each is authorized and changed on its
/// own, in one request.
pub const MAX_BULK_IDS: usize = 500;

/// The ids of a bulk action, each once, in the order first given; refused (naming `field`) when
/// more than [`MAX_BULK_IDS`] different ones are given.
pub fn bulk_ids(field: &str, ids: &[i64]) -> Result<Vec<i64>, FieldError> {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<i64> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if unique.len() > MAX_BULK_IDS {
        return Err(FieldError::new(
            field,
            format!(
                "{} were selected; one action takes at most {MAX_BULK_IDS}: select fewer and \
                 repeat the action",
                unique.len()
            ),
        ));
    }
    Ok(unique)
}

/// Columns the Secrets table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortKey {
    /// By name, alphabetically (the default).
    #[default]
    Name,
    /// By kind; ascending puts External before Kubernetes.
    Kind,
    /// By scope; ascending puts Organization before Project.
    Scope,
    /// By use case, alphabetically by its stored name.
    UseCase,
    /// By rolled-up status (by name for team members: the stored rollup spans all projects).
    Status,
    /// By last update time.
    Updated,
}

/// Search, filters, sort and page of the Secrets table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretQuery {
    /// Case-insensitive substring of the name or description.
    pub search: Option<String>,
    /// Only this kind.
    pub kind: Option<SecretKind>,
    /// Only this scope.
    pub scope: Option<Scope>,
    /// Only this rolled-up status.
    pub status: Option<SecretStatus>,
    /// Only secrets assigned to (or owned by) this project.
    pub project_id: Option<i64>,
    /// Only this use case.
    pub use_case: Option<UseCase>,
    /// Sort column.
    pub sort: SortKey,
    /// Descending order.
    pub descending: bool,
    /// 1-based page number.
    pub page: u32,
    /// Rows per page, 1..=[`MAX_PER_PAGE`].
    pub per_page: u32,
}

impl Default for SecretQuery {
    fn default() -> Self {
        SecretQuery {
            search: None,
            kind: None,
            scope: None,
            status: None,
            project_id: None,
            use_case: None,
            sort: SortKey::Name,
            descending: false,
            page: 1,
            per_page: 50,
        }
    }
}

impl SortKey {
    /// Every key, in column order.
    pub const ALL: [SortKey; 6] = [
        SortKey::Name,
        SortKey::Kind,
        SortKey::Scope,
        SortKey::UseCase,
        SortKey::Status,
        SortKey::Updated,
    ];

    /// The name used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Kind => "kind",
            SortKey::Scope => "scope",
            SortKey::UseCase => "use_case",
            SortKey::Status => "status",
            SortKey::Updated => "updated",
        }
    }

    /// Parses [`Self::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl SecretQuery {
    /// Refuses a search text longer than [`MAX_SEARCH_CHARS`], naming the field `q` (its name
    /// in the page's URL and search box).
    pub fn check(&self) -> Result<(), FieldError> {
        let length = self
            .search
            .as_deref()
            .map_or(0, |s| s.trim().chars().count());
        if length > MAX_SEARCH_CHARS {
            return Err(FieldError::new(
                "q",
                format!(
                    "the search text is {length} characters long; search with at most \
                     {MAX_SEARCH_CHARS} characters"
                ),
            ));
        }
        Ok(())
    }

    /// Reads the query from URL parameters (`q`, `kind`, `scope`, `status`, `project`,
    /// `use_case`, `sort`, `desc`, `page`); anything unreadable is left at its default.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |key: &str| {
            get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let defaults = SecretQuery::default();
        SecretQuery {
            search: text("q"),
            kind: text("kind").and_then(|v| SecretKind::parse(&v)),
            scope: text("scope").and_then(|v| Scope::parse(&v)),
            status: text("status").and_then(|v| SecretStatus::parse(&v)),
            project_id: text("project").and_then(|v| v.parse().ok()),
            use_case: text("use_case").and_then(|v| UseCase::parse(&v)),
            sort: text("sort")
                .and_then(|v| SortKey::parse(&v))
                .unwrap_or_default(),
            descending: text("desc").is_some_and(|v| v == "1" || v == "true"),
            page: text("page")
                .and_then(|v| v.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            per_page: defaults.per_page,
        }
    }

    /// The URL parameters that give this query back (defaults left out).
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(search) = &self.search {
            params.push(("q", search.clone()));
        }
        if let Some(kind) = self.kind {
            params.push(("kind", kind.as_str().to_owned()));
        }
        if let Some(scope) = self.scope {
            params.push(("scope", scope.as_str().to_owned()));
        }
        if let Some(status) = self.status {
            params.push(("status", status.as_str().to_owned()));
        }
        if let Some(project) = self.project_id {
            params.push(("project", project.to_string()));
        }
        if let Some(use_case) = self.use_case {
            params.push(("use_case", use_case.as_str().to_owned()));
        }
        if self.sort != SortKey::Name {
            params.push(("sort", self.sort.as_str().to_owned()));
        }
        if self.descending {
            params.push(("desc", "1".to_owned()));
        }
        if self.page > 1 {
            params.push(("page", self.page.to_string()));
        }
        params
    }

    /// `path?params`, with the parameters percent-encoded.
    pub fn href(&self, path: &str) -> String {
        let params = self.to_params();
        if params.is_empty() {
            return path.to_owned();
        }
        let encoded: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("{path}?{}", encoded.join("&"))
    }
}

/// Percent-encodes a URL query value.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A project as shown next to a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    /// Its id in the database (`projects.id`).
    pub id: i64,
    /// Its unique name, as shown and used in the project's URLs.
    pub name: String,
}

/// One assignment as shown in the "Assigned to" column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentBrief {
    /// The project the secret is assigned to.
    pub project: ProjectRef,
    /// The assignment's status.
    pub status: AssignmentStatus,
    /// Why, for every status but Synced.
    pub reason: Option<String>,
    /// The controller's latest warning event, shown with the reason (once, in the person's
    /// names: `domain::reason_words::shown_once`).
    #[serde(default)]
    pub last_warning: Option<String>,
}

/// One row of the Secrets table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRow {
    /// Its id in the database (`secrets.id`), as in its page's URL `/secrets/{id}`.
    pub id: i64,
    /// An RFC 1123 label, also the name of its object in each namespace it is assigned to.
    pub name: String,
    /// `External` (ESO pulls it from a store) or `Kubernetes` (the console holds the values).
    pub kind: SecretKind,
    /// `Organization` (assignable to many projects) or `Project` (owned by `project`).
    pub scope: Scope,
    /// For project secrets, the project.
    pub project: Option<ProjectRef>,
    /// What it is for, which decides the keys its spec must have.
    pub use_case: UseCase,
    /// Rolled up from its assignments (for a team member, from their projects' only).
    pub status: SecretStatus,
    /// The first few assignments, by project name.
    pub assigned_to: Vec<AssignmentBrief>,
    /// How many assignments there are in all.
    pub assignment_count: i64,
    /// Last update, Unix milliseconds.
    pub updated_at: i64,
    /// Who updated it last.
    pub updated_by: String,
    /// Version, for optimistic concurrency.
    pub version: i64,
    /// What the viewer may do with it (none until the server says).
    #[serde(default)]
    pub permissions: SecretPermissions,
    /// Its spec (no values): the key names an assignment's reason is put in, where the cluster
    /// names an entry by its place (`spec.data[1]`).
    pub spec: SecretSpec,
}

/// What the viewer may do with one secret, decided on the server by
/// `domain::permissions::secret_permissions` (the rule every server function applies again when
/// the action is asked for) and sent with the secret, so pages offer only what would be
/// allowed. All false by default: a button is hidden unless the server said otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretPermissions {
    /// Change its spec or values (Edit).
    pub can_edit: bool,
    /// Delete it (the delete form, Retry delete).
    pub can_delete: bool,
    /// Ask for an immediate re-sync (Sync now).
    pub can_sync: bool,
    /// Assign it to projects or unassign it (organization secrets only).
    pub can_assign: bool,
    /// Take over a same-named object the console does not own (Adopt existing).
    pub can_adopt: bool,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// This page's rows, at most `per_page`.
    pub items: Vec<T>,
    /// Rows matching the filters, on all pages.
    pub total: i64,
    /// This page, 1-based.
    pub page: u32,
    /// Rows per page.
    pub per_page: u32,
}

/// One assignment in a secret's detail view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentDetail {
    /// The project the secret is assigned to.
    pub project: ProjectRef,
    /// The project's namespace.
    pub namespace: String,
    /// Name of the project's cluster.
    pub cluster: String,
    /// Where its object stands in the cluster, e.g. Synced or Failed (`assignments.status`).
    pub status: AssignmentStatus,
    /// Why, for every status but Synced.
    pub reason: Option<String>,
    /// Last successful sync, Unix milliseconds.
    pub last_sync_at: Option<i64>,
    /// The controller's latest warning event.
    pub last_warning: Option<String>,
    /// When External Secrets Operator last fetched the values (its `status.refreshTime`),
    /// Unix milliseconds; it fetches again one refresh interval later, or on Sync now.
    #[serde(default)]
    pub refreshed_at: Option<i64>,
    /// Failed because a same-named object the console does not own is in the way, which a
    /// platform admin may adopt (decided on the server from what the cluster answered).
    #[serde(default)]
    pub adoptable: bool,
    /// Which failure a user can act on a refused apply was (`assignments.failure`); the
    /// page adds the class of ESO's warning (`domain::reason_words::shown_failure`).
    #[serde(default)]
    pub failure: Option<FailureClass>,
    /// The Ready condition of the store the ExternalSecret reads, as the store itself words it
    /// (`Reason: message`), when the store is not Ready (filled in from the store cache).
    #[serde(default)]
    pub store_condition: Option<String>,
    /// When the console tries again after failed attempts to reach or change the cluster.
    pub retry: Option<RetryInfo>,
    /// Only a selector of the secret keeps it (it was not named): it goes when none matches.
    #[serde(default)]
    pub by_selector: bool,
}

/// Pending cluster work that failed before and waits for its next attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryInfo {
    /// Attempts so far.
    pub attempts: i64,
    /// The next attempt, Unix milliseconds.
    pub next_at: i64,
    /// What the last attempt ran into.
    pub last_error: Option<String>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, Unix milliseconds.
    pub at: i64,
    /// The acting user's email, or `system` for what the reconciler did on its own.
    pub actor: String,
    /// What: `create`, `update`, `assign`, …
    pub action: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    /// The project concerned, if one.
    pub project_id: Option<i64>,
    /// Spec before, as JSON (never values).
    pub before: Option<String>,
    /// Spec after, as JSON (never values).
    pub after: Option<String>,
    /// Free-text detail.
    pub detail: Option<String>,
    /// What an edit changed, one phrase each ("refresh interval 1h → 15m", "key password
    /// added"), from `before` and `after` (`domain::spec_diff`); never a value. Empty for
    /// entries that changed no spec.
    #[serde(default)]
    pub changes: Vec<String>,
}

/// Everything the detail page shows about a secret. No values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretDetail {
    /// What the Secrets table shows of it (name, kind, scope, status, version, …).
    pub secret: SecretRow,
    /// Free text, at most 1000 characters; may be empty.
    pub description: String,
    /// What is created in each namespace: store and keys, or type and key names; never values.
    pub spec: SecretSpec,
    /// Email of the user who created it (`secrets.created_by`).
    pub created_by: String,
    /// Created at, Unix milliseconds.
    pub created_at: i64,
    /// Every assignment, by project name.
    pub assignments: Vec<AssignmentDetail>,
    /// Latest audit entries first.
    pub history: Vec<AuditEntry>,
    /// Where it can be assigned, when the viewer may assign it (admins, organization secrets).
    /// Part of the detail, not a load of its own, so the page hydrates from one answer.
    #[serde(default)]
    pub assign_options: Option<Vec<AssignOption>>,
    /// An organization secret's selectors with what each matches now, for whoever may assign
    /// it; with the detail for the same reason as `assign_options`.
    #[serde(default)]
    pub selectors: Option<Vec<SelectorMatch>>,
    /// Its address by name (`/projects/<project>/secrets/<name>` or `/secrets/by-name/<name>`),
    /// which opens this page for whoever may see it.
    #[serde(default)]
    pub name_path: String,
}

/// A project in the assign dialog: whether the secret is assigned there, and whether its name
/// is taken there (a project secret of the same name), so collisions show before submit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignOption {
    /// A project the secret could be assigned to.
    pub project: ProjectRef,
    /// Name of the project's cluster.
    pub cluster: String,
    /// The project's namespace, where an assignment would create the secret's object.
    pub namespace: String,
    /// Assigned now.
    pub assigned: bool,
    /// Why it cannot be assigned there, if it cannot.
    pub collision: Option<String>,
}

/// What a bulk action did: how many secrets it changed, and what it refused, secret by secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkOutcome {
    /// What was done: `sync`, `delete`, `assign` or `unassign`.
    #[serde(default)]
    pub action: String,
    /// Secrets changed.
    pub done: usize,
    /// "name: why" for each secret that was refused.
    pub refused: Vec<String>,
}

impl BulkOutcome {
    /// What was done, in words a person reads after pressing Apply: the action and how many
    /// secrets, not "changed".
    pub fn summary(&self) -> String {
        let n = self.done;
        let secrets = if n == 1 {
            "1 secret".to_owned()
        } else {
            format!("{n} secrets")
        };
        match self.action.as_str() {
            "sync" => format!("Sync now requested for {secrets}."),
            "delete" => format!("Deleting {secrets}: each goes once its objects are removed."),
            "assign" => format!("Assigned {secrets} to the chosen projects."),
            "unassign" => format!("Unassigned {secrets} from the chosen projects."),
            _ => format!("Done for {secrets}."),
        }
    }
}

/// One selector of an organization secret and the projects it matches now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectorMatch {
    /// The selector in its canonical text, e.g. `env=prod,team=payments`.
    pub selector: String,
    /// The projects whose labels it matches, by name.
    pub projects: Vec<ProjectRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_outcome_says_what_was_done_and_to_how_many() {
        let outcome = |action: &str, done| BulkOutcome {
            action: action.into(),
            done,
            refused: Vec::new(),
        };
        assert_eq!(
            outcome("sync", 2).summary(),
            "Sync now requested for 2 secrets."
        );
        assert_eq!(
            outcome("sync", 1).summary(),
            "Sync now requested for 1 secret."
        );
        assert_eq!(
            outcome("unassign", 3).summary(),
            "Unassigned 3 secrets from the chosen projects."
        );
        assert!(
            outcome("delete", 1)
                .summary()
                .starts_with("Deleting 1 secret")
        );
    }

    #[test]
    fn a_query_survives_the_url() {
        let query = SecretQuery {
            search: Some("db & co".into()),
            kind: Some(SecretKind::External),
            scope: Some(Scope::Organization),
            status: Some(SecretStatus::SyncedError),
            project_id: Some(7),
            use_case: Some(UseCase::Database),
            sort: SortKey::Updated,
            descending: true,
            page: 3,
            ..SecretQuery::default()
        };
        let href = query.href("/secrets");
        assert!(href.contains("q=db%20%26%20co"), "{href}");
        let params: Vec<(String, String)> = query
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let back = SecretQuery::from_params(|key| {
            params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        });
        assert_eq!(back, query);
        assert_eq!(SecretQuery::default().href("/secrets"), "/secrets");
    }

    #[test]
    fn a_search_over_two_hundred_characters_is_refused_naming_q_and_the_limit() {
        let search = |text: String| SecretQuery {
            search: Some(text),
            ..SecretQuery::default()
        };
        assert_eq!(search("é".repeat(MAX_SEARCH_CHARS)).check(), Ok(()));
        assert_eq!(SecretQuery::default().check(), Ok(()));
        let error = search("x".repeat(MAX_SEARCH_CHARS + 1))
            .check()
            .unwrap_err();
        assert_eq!(error.field, "q");
        assert!(
            error.message.contains("201 characters") && error.message.contains("at most 200"),
            "{}",
            error.message
        );
    }

    #[test]
    fn bulk_ids_count_once_each_in_order_and_are_capped_naming_the_field_and_limit() {
        assert_eq!(bulk_ids("ids", &[3, 1, 3, 2, 1]), Ok(vec![3, 1, 2]));
        let many: Vec<i64> = (0..MAX_BULK_IDS as i64).collect();
        let doubled: Vec<i64> = many.iter().chain(&many).copied().collect();
        assert_eq!(bulk_ids("ids", &doubled), Ok(many.clone()));
        let over: Vec<i64> = (0..=MAX_BULK_IDS as i64).collect();
        let error = bulk_ids("project_ids", &over).unwrap_err();
        assert_eq!(error.field, "project_ids");
        assert!(
            error.message.contains("501") && error.message.contains("at most 500"),
            "{}",
            error.message
        );
    }
}
