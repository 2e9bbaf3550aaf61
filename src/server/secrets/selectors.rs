//! Assigning organization secrets by selector: setting a secret's selectors, what they match
//! now (and what a selector would match before it is saved), and keeping every secret's
//! assignments in step when a project is created or relabelled. The assignments themselves
//! change through `assignments`; the selectors' rows are `selector_rows`'.

use sqlx::AnyConnection;

use crate::domain::labels::Selector;
use crate::model::account::SelectorMatch;
use crate::model::listing::ProjectRef;
use crate::model::secret::Scope;
use crate::server::audit::Actor;
use crate::server::db::Db;
use crate::server::errors::{ServiceError, invalid};

use super::assignments::{AssignmentDiff, change_assignments, named_projects};
use super::record::{being_deleted, load};
use super::selector_rows::{projects, store_selectors, stored};

/// Each of the secret's selectors with the projects it matches now.
pub async fn selector_matches(db: &Db, secret_id: i64) -> Result<Vec<SelectorMatch>, ServiceError> {
    let mut conn = db.pool().acquire().await?;
    let texts = stored(&mut conn, secret_id).await?;
    let all = projects(&mut conn).await?;
    Ok(texts
        .into_iter()
        .filter_map(|text| {
            let selector = Selector::parse("selectors", &text).ok()?;
            let projects = all
                .iter()
                .filter(|(_, _, labels)| selector.matches(labels))
                .map(|(id, name, _)| ProjectRef {
                    id: *id,
                    name: name.clone(),
                })
                .collect();
            Some(SelectorMatch {
                selector: text,
                projects,
            })
        })
        .collect())
}

/// The projects any of `selectors` matches now, by name: what saving them would assign.
pub async fn preview(db: &Db, selectors: &[Selector]) -> Result<Vec<ProjectRef>, ServiceError> {
    let mut conn = db.pool().acquire().await?;
    Ok(projects(&mut conn)
        .await?
        .into_iter()
        .filter(|(_, _, labels)| selectors.iter().any(|s| s.matches(labels)))
        .map(|(id, name, _)| ProjectRef { id, name })
        .collect())
}

/// Makes an organization secret's selectors exactly `selectors`, and its assignments follow:
/// projects they match now are assigned (a collision is Failed on that project's row only),
/// projects only an old selector kept are unassigned, named projects stay. Audited.
pub async fn set_selectors(
    db: &Db,
    actor: &Actor,
    id: i64,
    selectors: &[Selector],
) -> Result<AssignmentDiff, ServiceError> {
    let mut tx = db.begin_write().await?;
    let secret = load(&mut tx, id).await?;
    if secret.scope == Scope::Project {
        return Err(invalid(
            "selectors",
            "a project secret stays in its own project; only organization secrets are assigned by selector",
        ));
    }
    if secret.deleting {
        return Err(being_deleted(&secret));
    }
    store_selectors(&mut tx, actor, id, &secret.name, selectors).await?;
    let named = named_projects(&mut tx, id).await?;
    let diff = change_assignments(&mut tx, actor, &secret, named).await?;
    tx.commit().await?;
    Ok(diff)
}

/// After a project was created or relabelled (inside that transaction): every organization
/// secret with selectors gains or loses the project as its selectors now say. Secrets being
/// deleted are left alone.
pub async fn follow_project_labels(
    conn: &mut AnyConnection,
    actor: &Actor,
) -> Result<(), ServiceError> {
    let secrets: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT s.id FROM secrets s JOIN secret_selectors x ON x.secret_id = s.id \
         WHERE NOT s.deleting ORDER BY s.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for id in secrets {
        let secret = load(conn, id).await?;
        if secret.deleting {
            continue;
        }
        let named = named_projects(conn, id).await?;
        change_assignments(conn, actor, &secret, named).await?;
    }
    Ok(())
}
