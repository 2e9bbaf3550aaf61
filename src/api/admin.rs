//! Server functions for projects and, for admins, clusters, users and memberships.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::account::{ProjectSummary, UserSummary};
use crate::model::cluster::ClusterSummary;

/// The projects the caller may see.
#[server(prefix = "/api", endpoint = "list_projects")]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            check(
                &state,
                &principal,
                Action::ListProjects,
                &Target::Global,
                None,
            )
            .await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            Ok(crate::server::projects::list(&state.db, &visibility).await?)
        }
        .await,
    )
}

/// One project, by name: NotFound unless the caller may see it.
#[server(prefix = "/api", endpoint = "get_project")]
pub async fn get_project(name: String) -> Result<ProjectSummary, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let id = crate::server::projects::id_by_name(&state.db, &name)
                .await?
                .ok_or(AppError::NotFound)?;
            check(
                &state,
                &principal,
                Action::ViewProject,
                &Target::Project(id),
                None,
            )
            .await?;
            let all = crate::server::projects::list(
                &state.db,
                &crate::server::secrets::Visibility::Projects(vec![id]),
            )
            .await?;
            all.into_iter().next().ok_or(AppError::NotFound)
        }
        .await,
    )
}

/// Every user (admins only).
#[server(prefix = "/api", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            check(
                &state,
                &principal,
                Action::ManageUsers,
                &Target::Global,
                None,
            )
            .await?;
            let users = crate::server::auth::users::list_users(&state.db).await?;
            Ok(users
                .into_iter()
                .map(|u| UserSummary {
                    id: u.id,
                    email: u.email,
                    is_admin: u.is_admin,
                    projects: u.projects,
                })
                .collect())
        }
        .await,
    )
}

/// Creates a user (admins only); returns the id.
#[server(prefix = "/api", endpoint = "create_user")]
pub async fn create_user(
    csrf: String,
    email: String,
    password: String,
    is_admin: bool,
) -> Result<i64, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            check(
                &state,
                &principal,
                Action::ManageUsers,
                &Target::Global,
                None,
            )
            .await?;
            Ok(
                crate::server::auth::users::create_user(&state.db, &email, &password, is_admin)
                    .await?,
            )
        }
        .await,
    )
}

/// Makes a user a member of exactly `project_ids` (admins only).
#[server(prefix = "/api", endpoint = "set_memberships")]
pub async fn set_memberships(
    csrf: String,
    user_id: i64,
    // An empty selection sends no field at all.
    #[server(default)] project_ids: Vec<i64>,
) -> Result<(), AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            check(
                &state,
                &principal,
                Action::ManageUsers,
                &Target::Global,
                None,
            )
            .await?;
            crate::server::auth::users::set_memberships(&state.db, user_id, &project_ids).await?;
            Ok(())
        }
        .await,
    )
}

/// Every cluster with its reachability (admins only).
#[server(prefix = "/api", endpoint = "list_clusters")]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            check(
                &state,
                &principal,
                Action::ManageClusters,
                &Target::Global,
                None,
            )
            .await?;
            Ok(crate::server::projects::clusters(&state.db).await?)
        }
        .await,
    )
}

/// Creates a project bound to a namespace of a cluster (admins only); returns its id.
#[server(prefix = "/api", endpoint = "create_project")]
pub async fn create_project(
    csrf: String,
    name: String,
    cluster_id: i64,
    namespace: String,
) -> Result<i64, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{check, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            check(
                &state,
                &principal,
                Action::ManageClusters,
                &Target::Global,
                None,
            )
            .await?;
            let name = name.trim();
            let namespace = namespace.trim();
            let id =
                crate::server::projects::create_project(&state.db, name, cluster_id, namespace)
                    .await?;
            tracing::info!(project = %name, %namespace, cluster_id, "project created");
            Ok(id)
        }
        .await,
    )
}
