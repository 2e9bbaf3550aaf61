//! What a project's Secrets tab reads: its secrets with that project's assignment (and what its
//! failure sentence needs), and the organization secrets that could be assigned there.

use sqlx::Row;

use crate::domain::permissions::Visibility;
use crate::domain::status::{AssignmentStatus, FailureClass};
use crate::model::listing::{MAX_PER_PAGE, SecretQuery, SecretRow};
use crate::model::project_tab::{AssignableSecret, ProjectTabRow};
use crate::model::secret::SecretKind;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::sql::{Param, Sql};

use super::read::list;

/// The secrets of project `project_id` that `visibility` allows (its own, and the
/// organization secrets assigned to it), by name, each with this project's failure class,
/// controller warning and the secret's spec. `SecretRow::permissions` is left for the caller.
/// At most [`MAX_PER_PAGE`] of them.
pub async fn project_rows(
    db: &Db,
    project_id: i64,
    visibility: &Visibility,
) -> Result<Vec<ProjectTabRow>, ServiceError> {
    let query = SecretQuery {
        project_id: Some(project_id),
        per_page: MAX_PER_PAGE,
        ..SecretQuery::default()
    };
    let rows: Vec<SecretRow> = list(db, &query, visibility).await?.items;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut extra = Sql::new(
        "SELECT s.id, s.spec, a.failure, a.last_warning FROM secrets s \
         JOIN assignments a ON a.secret_id = s.id AND a.project_id = ",
    );
    extra
        .bind(Param::Int(project_id))
        .push(" WHERE s.id IN ")
        .bind_list(&ids);
    let mut facts = std::collections::BTreeMap::new();
    for row in extra.query().fetch_all(db.pool()).await? {
        let id: i64 = row.try_get("id")?;
        let spec = serde_json::from_str(row.try_get("spec")?)
            .map_err(|_| ServiceError::Conflict("a stored secret has an unreadable spec".into()))?;
        let failure = (row.try_get::<Option<String>, _>("failure")?)
            .as_deref()
            .and_then(FailureClass::parse);
        let warning: Option<String> = row.try_get("last_warning")?;
        facts.insert(id, (failure, warning, spec));
    }
    Ok(rows
        .into_iter()
        .filter_map(|secret| {
            // Gone between the two reads: left out, as the next read would.
            let (failure, warning, spec) = facts.remove(&secret.id)?;
            Some(ProjectTabRow {
                secret,
                failure,
                warning,
                spec,
            })
        })
        .collect())
}

/// Every organization secret not assigned to project `project_id` (nor being deleted), by
/// name, each with why it cannot be assigned there now, if it cannot: a same-named secret
/// already lands an object of that name in the namespace, or its removal from this project is
/// still under way.
pub async fn assignable_to(
    db: &Db,
    project_id: i64,
) -> Result<Vec<AssignableSecret>, ServiceError> {
    let project: String = sqlx::query_scalar("SELECT name FROM projects WHERE id = $1")
        .bind(project_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.kind, \
           (SELECT a.status FROM assignments a WHERE a.secret_id = s.id AND a.project_id = $1) AS status, \
           (SELECT o.scope FROM secrets o WHERE o.name = s.name AND o.id <> s.id AND ( \
              (o.scope = 'Project' AND o.project_id = $1) \
              OR EXISTS (SELECT 1 FROM assignments b WHERE b.secret_id = o.id AND b.project_id = $1)) \
            ORDER BY o.scope DESC LIMIT 1) AS taken_by \
         FROM secrets s WHERE s.scope = 'Organization' AND NOT s.deleting \
         ORDER BY s.name, s.kind",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let mut offered = Vec::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        let status: Option<String> = row.try_get("status")?;
        let taken_by: Option<String> = row.try_get("taken_by")?;
        let removing = match status.as_deref().map(AssignmentStatus::parse) {
            None => false,
            Some(Some(status)) if status.is_deleting() => true,
            // Assigned here already: not offered.
            Some(_) => continue,
        };
        let blocked = blocked_reason(&project, &name, taken_by.as_deref(), removing);
        offered.push(AssignableSecret {
            id: row.try_get("id")?,
            kind: SecretKind::parse(row.try_get("kind")?).unwrap_or(SecretKind::External),
            name,
            blocked,
        });
    }
    Ok(offered)
}

/// Why secret `name` cannot be assigned to `project` now, in words: its removal from there is
/// still under way (`removing`), or a secret of that name already lands an object there
/// (`taken_by`: that secret's scope). `None`: it can.
fn blocked_reason(
    project: &str,
    name: &str,
    taken_by: Option<&str>,
    removing: bool,
) -> Option<String> {
    match (taken_by, removing) {
        (_, true) => Some(format!(
            "still being removed from {project}; assign it again once that finishes"
        )),
        (Some("Project"), _) => Some(format!(
            "{project} has its own project secret named {name}, and both would create an object of that name in its namespace"
        )),
        (Some(_), _) => Some(format!(
            "another organization secret named {name} is already assigned to {project}"
        )),
        (None, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::blocked_reason;

    #[test]
    fn a_same_named_project_secret_blocks_with_the_reason_in_words() {
        assert_eq!(
            blocked_reason("payments", "api-key", Some("Project"), false).as_deref(),
            Some(
                "payments has its own project secret named api-key, and both would create an object of that name in its namespace"
            )
        );
        assert!(
            blocked_reason("payments", "api-key", Some("Organization"), false)
                .is_some_and(|r| r.contains("another organization secret"))
        );
    }

    #[test]
    fn a_removal_under_way_blocks_until_it_finishes_and_nothing_else_does() {
        assert!(
            blocked_reason("payments", "api-key", None, true)
                .is_some_and(|r| r.starts_with("still being removed from payments"))
        );
        assert_eq!(blocked_reason("payments", "api-key", None, false), None);
    }
}
