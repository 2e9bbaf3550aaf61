//! The services that read secrets: the paged list and the detail view. No values, ever.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::domain::permissions::Visibility;
use crate::domain::spec_diff::spec_changes;
use crate::domain::status::{self, AssignmentStatus, FailureClass, SecretStatus};
use crate::model::listing::{
    ASSIGNED_TO_SHOWN, AssignOption, AssignmentBrief, AssignmentDetail, AuditEntry, MAX_PER_PAGE,
    Page, ProjectRef, RetryInfo, SecretDetail, SecretPermissions, SecretQuery, SecretRow, SortKey,
};
use crate::model::secret::{Scope, SecretKind, UseCase};
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::sql::{Param, Sql, like_escape};

/// How many audit entries the detail view shows.
const HISTORY_SHOWN: i64 = 100;

const ROW_COLUMNS: &str = "s.id, s.name, s.kind, s.scope, s.project_id, p.name AS project_name, s.use_case, s.status, \
     s.updated_at, s.updated_by, s.version, \
     (SELECT COUNT(*) FROM assignments c WHERE c.secret_id = s.id) AS assignment_count";

fn push_filters(sql: &mut Sql, query: &SecretQuery, visibility: &Visibility) {
    sql.push(" WHERE 1 = 1");
    if let Visibility::Projects(ids) = visibility {
        if ids.is_empty() {
            sql.push(" AND 1 = 0");
        } else {
            sql.push(" AND EXISTS (SELECT 1 FROM assignments v WHERE v.secret_id = s.id AND v.project_id IN ")
                .bind_list(ids)
                .push(")");
        }
    }
    if let Some(search) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", like_escape(&search.to_lowercase()));
        sql.push(" AND (LOWER(s.name) LIKE ")
            .bind(Param::Text(pattern.clone()))
            .push(" ESCAPE '\\' OR LOWER(s.description) LIKE ")
            .bind(Param::Text(pattern))
            .push(" ESCAPE '\\')");
    }
    if let Some(kind) = query.kind {
        sql.push(" AND s.kind = ")
            .bind(Param::Text(kind.as_str().to_owned()));
    }
    if let Some(scope) = query.scope {
        sql.push(" AND s.scope = ")
            .bind(Param::Text(scope.as_str().to_owned()));
    }
    if let Some(status) = query.status {
        match visibility {
            Visibility::All => {
                sql.push(" AND s.status = ")
                    .bind(Param::Text(status.as_str().to_owned()));
            }
            // A member's status is that of their own projects' assignments: the global rollup
            // would tell them about failures elsewhere.
            Visibility::Projects(ids) => match AssignmentStatus::parse(status.as_str()) {
                Some(assignment) if !ids.is_empty() => {
                    sql.push(" AND EXISTS (SELECT 1 FROM assignments m WHERE m.secret_id = s.id AND m.status = ")
                        .bind(Param::Text(assignment.as_str().to_owned()))
                        .push(" AND m.project_id IN ")
                        .bind_list(ids)
                        .push(")");
                }
                _ => {
                    sql.push(" AND 1 = 0");
                }
            },
        }
    }
    if let Some(use_case) = query.use_case {
        sql.push(" AND s.use_case = ")
            .bind(Param::Text(use_case.as_str().to_owned()));
    }
    if let Some(project_id) = query.project_id {
        // A member may filter by their own projects only: another project's id must not tell
        // them which secrets are assigned there.
        if let Visibility::Projects(ids) = visibility
            && !ids.contains(&project_id)
        {
            sql.push(" AND 1 = 0");
        }
        sql.push(
            " AND EXISTS (SELECT 1 FROM assignments f WHERE f.secret_id = s.id AND f.project_id = ",
        )
        .bind(Param::Int(project_id))
        .push(")");
    }
}

fn order_by(query: &SecretQuery, visibility: &Visibility) -> String {
    let column = match query.sort {
        // The stored rollup spans every project; a member's order must not reveal others'.
        SortKey::Status if matches!(visibility, Visibility::Projects(_)) => "s.name",
        SortKey::Name => "s.name",
        SortKey::Kind => "s.kind",
        SortKey::Scope => "s.scope",
        SortKey::UseCase => "s.use_case",
        SortKey::Status => "s.status",
        SortKey::Updated => "s.updated_at",
    };
    let direction = if query.descending { "DESC" } else { "ASC" };
    format!(" ORDER BY {column} {direction}, s.id {direction}")
}

fn corrupt(what: &str) -> ServiceError {
    ServiceError::Conflict(format!("a stored secret has an unreadable {what}"))
}

fn secret_row(row: &AnyRow) -> Result<SecretRow, ServiceError> {
    let project_id: Option<i64> = row.try_get("project_id")?;
    let project_name: Option<String> = row.try_get("project_name")?;
    Ok(SecretRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: SecretKind::parse(row.try_get("kind")?).ok_or_else(|| corrupt("kind"))?,
        scope: Scope::parse(row.try_get("scope")?).ok_or_else(|| corrupt("scope"))?,
        project: project_id
            .zip(project_name)
            .map(|(id, name)| ProjectRef { id, name }),
        use_case: UseCase::parse(row.try_get("use_case")?).ok_or_else(|| corrupt("use case"))?,
        status: SecretStatus::parse(row.try_get("status")?).ok_or_else(|| corrupt("status"))?,
        assigned_to: Vec::new(),
        assignment_count: row.try_get("assignment_count")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        version: row.try_get("version")?,
        // The viewer's, filled in by the server function that knows who asks.
        permissions: SecretPermissions::default(),
        spec: serde_json::from_str(row.try_get("spec")?).map_err(|_| corrupt("spec"))?,
    })
}

/// The facts permission checks need about an existing secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretAccess {
    /// Its id in the database (`secrets.id`).
    pub id: i64,
    /// Its name, recorded with a refusal in the audit log.
    pub name: String,
    /// Its scope: team members may change only project secrets.
    pub scope: Scope,
    /// Owning project, for project secrets.
    pub owner: Option<i64>,
    /// Projects it is assigned to.
    pub assigned: Vec<i64>,
}

/// Loads a secret's [`SecretAccess`], or None if it does not exist.
pub async fn access(db: &Db, id: i64) -> Result<Option<SecretAccess>, ServiceError> {
    let Some(row) = sqlx::query("SELECT name, scope, project_id FROM secrets WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let assigned = sqlx::query_scalar("SELECT project_id FROM assignments WHERE secret_id = $1")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    Ok(Some(SecretAccess {
        id,
        name: row.try_get("name")?,
        scope: Scope::parse(row.try_get("scope")?).ok_or_else(|| corrupt("scope"))?,
        owner: row.try_get("project_id")?,
        assigned,
    }))
}

/// One page of secrets matching `query`, as `visibility` allows. Three queries whatever the
/// page size: the count, the page, and the first few assignments of the page's secrets. A
/// search text over [`MAX_SEARCH_CHARS`](crate::model::listing::MAX_SEARCH_CHARS) is refused.
pub async fn list(
    db: &Db,
    query: &SecretQuery,
    visibility: &Visibility,
) -> Result<Page<SecretRow>, ServiceError> {
    query.check()?;
    let per_page = query.per_page.clamp(1, MAX_PER_PAGE);
    let page = query.page.max(1);

    let mut count = Sql::new("SELECT COUNT(*) FROM secrets s");
    push_filters(&mut count, query, visibility);
    let total: i64 = count.query_scalar().fetch_one(db.pool()).await?;

    let mut select = Sql::new(&format!(
        "SELECT {ROW_COLUMNS}, s.spec FROM secrets s LEFT JOIN projects p ON p.id = s.project_id"
    ));
    push_filters(&mut select, query, visibility);
    select.push(&order_by(query, visibility));
    select
        .push(" LIMIT ")
        .bind(Param::Int(i64::from(per_page)))
        .push(" OFFSET ")
        .bind(Param::Int(i64::from(page - 1) * i64::from(per_page)));
    let rows = select.query().fetch_all(db.pool()).await?;
    let mut items = rows.iter().map(secret_row).collect::<Result<Vec<_>, _>>()?;

    if !items.is_empty() {
        let ids: Vec<i64> = items.iter().map(|row| row.id).collect();
        // One row of JSON rather than a row per assignment (`Sql::json_rows`): up to 250 on a
        // page of 50, on every view of the Secrets page.
        let mut briefs = Sql::json_rows(
            db.backend(),
            "secret_id, project_id, project_name, status, reason, last_warning",
            "secret_id, project_name",
        );
        briefs.push(
            " FROM ( \
               SELECT a.secret_id, a.project_id, p.name AS project_name, a.status, a.reason, a.last_warning, \
                 ROW_NUMBER() OVER (PARTITION BY a.secret_id ORDER BY p.name) AS n \
               FROM assignments a JOIN projects p ON p.id = a.project_id WHERE a.secret_id IN ",
        );
        briefs.bind_list(&ids);
        // A member sees only their projects' assignments (all of them: few), and the count and
        // status of the row are theirs too; nothing names or counts other projects.
        let shown = match visibility {
            Visibility::All => ASSIGNED_TO_SHOWN,
            Visibility::Projects(projects) => {
                briefs.push(" AND a.project_id IN ").bind_list(projects);
                i64::MAX
            }
        };
        briefs.push(") ranked WHERE n <= ");
        briefs.bind(Param::Int(shown));
        if let Some(project) = query.project_id {
            // A project's page needs that project's assignment, however far down the list.
            briefs.push(" OR project_id = ").bind(Param::Int(project));
        }
        type Brief = (i64, i64, String, String, Option<String>, Option<String>);
        for (secret_id, project_id, project_name, status, reason, last_warning) in
            briefs.fetch_json_rows::<Brief>(db.pool()).await?
        {
            if let Some(item) = items.iter_mut().find(|item| item.id == secret_id) {
                item.assigned_to.push(AssignmentBrief {
                    project: ProjectRef {
                        id: project_id,
                        name: project_name,
                    },
                    status: AssignmentStatus::parse(&status)
                        .ok_or_else(|| corrupt("assignment status"))?,
                    reason,
                    last_warning,
                });
            }
        }
    }
    if let Visibility::Projects(_) = visibility {
        for item in &mut items {
            item.assignment_count = i64::try_from(item.assigned_to.len()).unwrap_or(i64::MAX);
            // The stored rollup is Deleting only while the whole secret is being deleted.
            let deleting = item.status == SecretStatus::Deleting;
            item.status = status::rollup(deleting, item.assigned_to.iter().map(|a| a.status));
            item.assigned_to.truncate(ASSIGNED_TO_SHOWN as usize);
        }
    }
    Ok(Page {
        items,
        total,
        page,
        per_page,
    })
}

/// Everything about one secret that `visibility` allows: spec, per-project status, history.
/// A secret the reader may not see is NotFound, exactly like one that does not exist.
pub async fn detail(
    db: &Db,
    id: i64,
    visibility: &Visibility,
) -> Result<SecretDetail, ServiceError> {
    let mut select = Sql::new(&format!(
        "SELECT {ROW_COLUMNS}, s.description, s.spec, s.created_by, s.created_at \
         FROM secrets s LEFT JOIN projects p ON p.id = s.project_id"
    ));
    push_filters(&mut select, &SecretQuery::default(), visibility);
    select.push(" AND s.id = ").bind(Param::Int(id));
    let row = select
        .query()
        .fetch_optional(db.pool())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let secret = secret_row(&row)?;

    let mut assignments = Sql::new(
        "SELECT a.project_id, p.name AS project_name, p.namespace, c.name AS cluster_name, a.status, a.reason, \
         a.last_sync_at, a.last_warning, a.eso_refreshed_at, CASE WHEN a.adoptable THEN 1 ELSE 0 END AS adoptable, \
         a.failure, CASE WHEN a.by_selector THEN 1 ELSE 0 END AS by_selector, \
         w.attempts, w.not_before, w.last_error FROM assignments a \
         JOIN projects p ON p.id = a.project_id JOIN clusters c ON c.id = p.cluster_id \
         LEFT JOIN work_items w ON w.secret_id = a.secret_id AND w.project_id = a.project_id \
         WHERE a.secret_id = ",
    );
    assignments.bind(Param::Int(id));
    if let Visibility::Projects(ids) = visibility {
        // A member sees the assignments of their own projects only.
        assignments.push(" AND a.project_id IN ").bind_list(ids);
    }
    assignments.push(" ORDER BY p.name");
    let assignments = assignments
        .query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|row| -> Result<AssignmentDetail, ServiceError> {
            let status: String = row.try_get("status")?;
            Ok(AssignmentDetail {
                project: ProjectRef {
                    id: row.try_get("project_id")?,
                    name: row.try_get("project_name")?,
                },
                namespace: row.try_get("namespace")?,
                cluster: row.try_get("cluster_name")?,
                status: AssignmentStatus::parse(&status)
                    .ok_or_else(|| corrupt("assignment status"))?,
                reason: row.try_get("reason")?,
                last_sync_at: row.try_get("last_sync_at")?,
                last_warning: row.try_get("last_warning")?,
                refreshed_at: row.try_get("eso_refreshed_at")?,
                adoptable: row.try_get::<i64, _>("adoptable")? == 1,
                failure: row
                    .try_get::<Option<String>, _>("failure")?
                    .as_deref()
                    .and_then(FailureClass::parse),
                store_condition: None,
                by_selector: row.try_get::<i64, _>("by_selector")? == 1,
                retry: match row.try_get::<Option<i64>, _>("attempts")? {
                    Some(attempts) if attempts > 0 => Some(RetryInfo {
                        attempts,
                        next_at: row.try_get("not_before")?,
                        last_error: row.try_get("last_error")?,
                    }),
                    _ => None,
                },
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut secret = secret;
    if let Visibility::Projects(_) = visibility {
        secret.assignment_count = i64::try_from(assignments.len()).unwrap_or(i64::MAX);
        // The stored rollup is Deleting only while the whole secret is being deleted.
        let deleting = secret.status == SecretStatus::Deleting;
        secret.status = status::rollup(deleting, assignments.iter().map(|a| a.status));
    }

    // Members see the changes to the secret itself, not the organization's assignment history
    // (which names other projects), refusals of other users, or details that count across
    // projects they are not in.
    let member = matches!(visibility, Visibility::Projects(_));
    let mut history = Sql::new(
        "SELECT at, actor, action, outcome, project_id, before_spec, after_spec, detail FROM audit_entries \
         WHERE secret_id = ",
    );
    history.bind(Param::Int(id));
    if let Visibility::Projects(ids) = visibility {
        history.push(
            " AND outcome = 'allowed' AND action IN ('create', 'update', 'delete', 'delete-retry', 'sync') \
             AND (project_id IS NULL OR project_id IN ",
        );
        history.bind_list(ids).push(")");
    }
    history
        .push(" ORDER BY at DESC, id DESC LIMIT ")
        .bind(Param::Int(HISTORY_SHOWN));
    let history = history
        .query()
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|row| -> Result<AuditEntry, sqlx::Error> {
            let before: Option<String> = row.try_get("before_spec")?;
            let after: Option<String> = row.try_get("after_spec")?;
            Ok(AuditEntry {
                at: row.try_get("at")?,
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                outcome: row.try_get("outcome")?,
                project_id: row.try_get("project_id")?,
                changes: spec_changes(before.as_deref(), after.as_deref()),
                before,
                after,
                detail: if member { None } else { row.try_get("detail")? },
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    Ok(SecretDetail {
        description: row.try_get("description")?,
        spec: serde_json::from_str(row.try_get("spec")?).map_err(|_| corrupt("spec"))?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        secret,
        assignments,
        history,
        assign_options: None,
        selectors: None,
        name_path: String::new(),
    })
}

/// A secret's name, if it exists.
pub async fn name_of(db: &Db, id: i64) -> Result<Option<String>, ServiceError> {
    Ok(sqlx::query_scalar("SELECT name FROM secrets WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// Every project with whether `id` is assigned there and whether its name is taken there.
pub async fn assign_options(db: &Db, id: i64) -> Result<Vec<AssignOption>, ServiceError> {
    let name = name_of(db, id).await?.ok_or(ServiceError::NotFound)?;
    let rows = sqlx::query(
        "SELECT p.id, p.name, p.namespace, c.name AS cluster, \
         (SELECT COUNT(*) FROM assignments a WHERE a.secret_id = $1 AND a.project_id = p.id) AS assigned, \
         (SELECT COUNT(*) FROM secrets s WHERE s.scope = 'Project' AND s.project_id = p.id AND s.name = $2) AS taken \
         FROM projects p JOIN clusters c ON c.id = p.cluster_id ORDER BY p.name",
    )
    .bind(id)
    .bind(&name)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let project_name: String = row.try_get("name")?;
            let taken: i64 = row.try_get("taken")?;
            Ok(AssignOption {
                collision: (taken > 0)
                    .then(|| format!("project {project_name} has its own secret named `{name}`")),
                project: ProjectRef {
                    id: row.try_get("id")?,
                    name: project_name,
                },
                cluster: row.try_get("cluster")?,
                namespace: row.try_get("namespace")?,
                assigned: row.try_get::<i64, _>("assigned")? > 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ServiceError::from)
}
