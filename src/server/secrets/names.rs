//! Secrets by name: the addresses a person can read and share. A project secret is
//! `/projects/<project>/secrets/<name>` (names are unique in a project); an organization
//! secret is `/secrets/by-name/<name>`, with `?kind=External` or `?kind=Kubernetes` only when
//! an External and a Kubernetes organization secret share the name (the schema keeps org names
//! unique per kind, not across kinds).

use sqlx::Row;

use crate::model::listing::SecretRow;
use crate::model::secret::{Scope, SecretKind};
use crate::server::db::Db;
use crate::server::errors::ServiceError;

/// The ids (and kinds) of the secrets named `name`: in project `project` when given, else
/// among organization secrets, of kind `kind` when given. Who may see them is the caller's
/// question.
pub async fn ids_by_name(
    db: &Db,
    project: Option<&str>,
    name: &str,
    kind: Option<SecretKind>,
) -> Result<Vec<(i64, SecretKind)>, ServiceError> {
    let rows = match project {
        Some(project) => {
            sqlx::query(
                "SELECT s.id, s.kind FROM secrets s JOIN projects p ON p.id = s.project_id \
                 WHERE s.scope = 'Project' AND p.name = $1 AND s.name = $2 ORDER BY s.id",
            )
            .bind(project)
            .bind(name)
            .fetch_all(db.pool())
            .await?
        }
        None => sqlx::query(
            "SELECT id, kind FROM secrets WHERE scope = 'Organization' AND name = $1 ORDER BY id",
        )
        .bind(name)
        .fetch_all(db.pool())
        .await?,
    };
    let mut found = Vec::new();
    for row in &rows {
        let stored: String = row.try_get("kind")?;
        let Some(found_kind) = SecretKind::parse(&stored) else {
            continue;
        };
        if kind.is_none_or(|k| k == found_kind) {
            found.push((row.try_get("id")?, found_kind));
        }
    }
    Ok(found)
}

/// The address of `row` by name (see the module's documentation).
pub async fn name_path(db: &Db, row: &SecretRow) -> Result<String, ServiceError> {
    if let (Scope::Project, Some(project)) = (row.scope, &row.project) {
        return Ok(format!("/projects/{}/secrets/{}", project.name, row.name));
    }
    let shared = ids_by_name(db, None, &row.name, None).await?.len() > 1;
    Ok(org_path(&row.name, shared.then_some(row.kind)))
}

/// `/secrets/by-name/<name>`, with the kind when the name is shared by both kinds.
fn org_path(name: &str, kind: Option<SecretKind>) -> String {
    match kind {
        Some(kind) => format!("/secrets/by-name/{name}?kind={}", kind.as_str()),
        None => format!("/secrets/by-name/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_address_names_the_kind_only_when_the_name_is_shared() {
        assert_eq!(org_path("api-key", None), "/secrets/by-name/api-key");
        assert_eq!(
            org_path("api-key", Some(SecretKind::Kubernetes)),
            "/secrets/by-name/api-key?kind=Kubernetes"
        );
    }
}
