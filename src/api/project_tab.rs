//! Server functions of a project's Secrets tab: its rows, and the organization secrets an admin
//! may assign there. Removing one (`unassign_secret`) and a project secret's edit and delete
//! are the secrets' own server functions.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::project_tab::{AssignableSecret, ProjectTabRow};

/// The secrets of project `project_id` (its own and the organization secrets assigned to it),
/// each with that project's assignment and what the viewer may do with it. NotFound unless the
/// caller may see the project.
#[server(prefix = "/api", endpoint = "project_tab_rows")]
pub async fn project_tab_rows(project_id: i64) -> Result<Vec<ProjectTabRow>, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let target = Target::Project(project_id);
            check(&state, &principal, Action::ViewProject, &target, None).await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            let mut rows =
                crate::server::secrets::project_rows(&state.db, project_id, &visibility).await?;
            for row in &mut rows {
                row.secret.permissions =
                    crate::api::secrets::row_permissions(&principal, &row.secret);
            }
            Ok(rows)
        }
        .await,
    )
}

/// The organization secrets not assigned to project `project_id`, each with why it cannot be
/// assigned there now, if it cannot (admins only: who may assign).
#[server(prefix = "/api", endpoint = "assignable_secrets")]
pub async fn assignable_secrets(project_id: i64) -> Result<Vec<AssignableSecret>, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let target = Target::Project(project_id);
            check(&state, &principal, Action::AssignSecret, &target, None).await?;
            Ok(crate::server::secrets::assignable_to(&state.db, project_id).await?)
        }
        .await,
    )
}

/// Assigns organization secret `id` to project `project_id` as well, keeping its other
/// assignments (admins only). A same-named secret in the project is refused at the field
/// `id`, in words.
#[server(prefix = "/api", endpoint = "assign_existing")]
pub async fn assign_existing(
    #[server(default)] csrf: String,
    project_id: i64,
    id: i64,
) -> Result<(), AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{actor, authorize_secret, check, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let target = Target::Project(project_id);
            check(&state, &principal, Action::AssignSecret, &target, None).await?;
            let access = authorize_secret(&state, &principal, Action::AssignSecret, id).await?;
            crate::server::secrets::change_projects(
                &state.db,
                &actor(&principal),
                id,
                &[project_id],
                true,
            )
            .await
            // The tab's picker names the secret, not the projects.
            .map_err(|error| match error {
                crate::server::secrets::ServiceError::Invalid(mut field) => {
                    field.field = "id".to_owned();
                    crate::server::secrets::ServiceError::Invalid(field)
                }
                other => other,
            })?;
            crate::server::form_posts::notice(&format!(
                "{} assigned to this project.",
                access.name
            ));
            Ok(())
        }
        .await,
    )
}
