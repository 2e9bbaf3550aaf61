//! Server functions for projects and, for admins, clusters, users and memberships.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::account::{ProjectSummary, UserSummary};
use crate::model::cluster::{ClusterStores, ClusterSummary};

/// The projects the caller may see.
#[server(prefix = "/api", endpoint = "list_projects")]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, principal) = reader_for(Action::ListProjects).await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            Ok(crate::server::projects::list(&state.db, &visibility).await?)
        }
        .await,
    )
}

/// The names of the projects the caller may see, by name (the Secrets page's project filter
/// and bulk bar): [`list_projects`] without the counts and labels, a fraction of the query
/// and of the page's hydration data.
#[server(prefix = "/api", endpoint = "list_project_names")]
pub async fn list_project_names() -> Result<Vec<crate::model::listing::ProjectRef>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, principal) = reader_for(Action::ListProjects).await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            Ok(crate::server::projects::names(&state.db, &visibility).await?)
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
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, _) = reader_for(Action::ManageUsers).await?;
            let users = crate::server::auth::users::list_users(&state.db).await?;
            Ok(users
                .into_iter()
                .map(|u| UserSummary {
                    id: u.id,
                    email: u.email,
                    is_admin: u.is_admin,
                    projects: u.projects,
                    disabled: u.disabled,
                    must_change_password: u.must_change_password,
                    single_sign_on: u.single_sign_on,
                })
                .collect())
        }
        .await,
    )
}

/// Creates a user (admins only); returns the id.
#[server(prefix = "/api", endpoint = "create_user")]
pub async fn create_user(
    #[server(default)] csrf: String,
    email: String,
    password: String,
    is_admin: bool,
) -> Result<i64, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageUsers).await?;
            let id = crate::server::auth::users::create_user(
                &state.db,
                Some(&crate::server::api_support::actor(&principal)),
                &email,
                &password,
                is_admin,
            )
            .await?;
            crate::server::form_posts::notice(&format!("User {} created.", email.trim()));
            Ok(id)
        }
        .await,
    )
}

/// Makes a user a member of exactly `project_ids` (admins only).
#[server(prefix = "/api", endpoint = "set_memberships")]
pub async fn set_memberships(
    #[server(default)] csrf: String,
    user_id: i64,
    // An empty selection sends no field at all.
    #[server(default)] project_ids: Vec<i64>,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageUsers).await?;
            crate::server::auth::users::set_memberships(
                &state.db,
                Some(&crate::server::api_support::actor(&principal)),
                user_id,
                &project_ids,
            )
            .await?;
            crate::server::form_posts::notice("Projects saved.");
            Ok(())
        }
        .await,
    )
}

/// Every cluster with its reachability (admins only).
#[server(prefix = "/api", endpoint = "list_clusters")]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, _) = reader_for(Action::ManageClusters).await?;
            Ok(crate::server::projects::clusters(&state.db).await?)
        }
        .await,
    )
}

/// Creates a project bound to a namespace of a cluster (admins only); returns its id.
#[server(prefix = "/api", endpoint = "create_project")]
pub async fn create_project(
    #[server(default)] csrf: String,
    name: String,
    cluster_id: i64,
    namespace: String,
    // `env=prod, team=payments`; organization secrets whose selectors match are assigned.
    #[server(default)] project_labels: String,
) -> Result<i64, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageClusters).await?;
            let name = name.trim();
            let namespace = namespace.trim();
            let labels = crate::domain::labels::parse_labels("project_labels", &project_labels)?;
            let id = crate::server::projects::create_labelled_project(
                &state.db,
                &actor(&principal),
                name,
                cluster_id,
                namespace,
                &labels,
            )
            .await?;
            tracing::info!(project = %name, %namespace, cluster_id, "project created");
            crate::server::form_posts::notice(&format!("Project {name} created."));
            Ok(id)
        }
        .await,
    )
}

/// Every cluster's ClusterSecretStores with their Ready condition (admins only).
#[server(prefix = "/api", endpoint = "list_stores")]
pub async fn list_stores() -> Result<Vec<ClusterStores>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, _) = reader_for(Action::ViewStores).await?;
            let lists = futures::future::join_all(state.clusters.iter().map(|handle| async move {
                let (stores, error) = match crate::server::cluster::registry::stores(handle).await {
                    Ok(stores) => (stores, None),
                    Err(error) => (Vec::new(), Some(error)),
                };
                ClusterStores {
                    cluster: handle.name.clone(),
                    error,
                    stores,
                    eso: handle.eso.summary(),
                }
            }))
            .await;
            Ok(lists)
        }
        .await,
    )
}

/// What the create form offers: stores to pick from (and a member's allowed key prefixes).
#[server(prefix = "/api", endpoint = "form_options")]
pub async fn form_options(
    #[server(default)] project_id: Option<i64>,
) -> Result<crate::model::cluster::FormOptions, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::model::cluster::FormOptions;
    use crate::server::api_support::{check, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let target = match project_id {
                Some(project) => Target::Project(project),
                None => Target::Global,
            };
            let action = if project_id.is_some() {
                Action::ViewProject
            } else {
                Action::ViewStores
            };
            check(&state, &principal, action, &target, None).await?;
            if !principal.is_admin
                && let Some(project) = project_id
            {
                let allowlist = crate::server::auth::users::allowlist(&state.db, project).await?;
                return Ok(FormOptions {
                    stores: allowlist.stores,
                    key_prefixes: allowlist.key_prefixes,
                    limited: true,
                });
            }
            let cluster = match project_id {
                Some(project) => crate::server::projects::cluster_of(&state.db, project).await?,
                None => None,
            };
            let mut stores = Vec::new();
            for handle in state.clusters.iter() {
                if cluster.as_ref().is_some_and(|c| *c != handle.name) {
                    continue;
                }
                if let Ok(found) = crate::server::cluster::registry::stores(handle).await {
                    stores.extend(found.into_iter().map(|s| s.name));
                }
            }
            stores.sort();
            stores.dedup();
            Ok(FormOptions {
                stores,
                key_prefixes: Vec::new(),
                limited: false,
            })
        }
        .await,
    )
}

/// A project's allowlist: the stores and remote-key prefixes its team members may reference
/// (admins only).
#[server(prefix = "/api", endpoint = "get_allowlist")]
pub async fn get_allowlist(
    project_id: i64,
) -> Result<crate::domain::permissions::Allowlist, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, _) = reader_for(Action::ManageUsers).await?;
            Ok(crate::server::auth::users::allowlist(&state.db, project_id).await?)
        }
        .await,
    )
}

/// Sets a project's allowlist (admins only): one store or prefix per line (or comma-separated).
/// Answers a warning when a store is offered by no cluster (saved all the same: it may be
/// installed later).
#[server(prefix = "/api", endpoint = "set_allowlist")]
pub async fn set_allowlist(
    #[server(default)] csrf: String,
    project_id: i64,
    #[server(default)] stores: String,
    #[server(default)] key_prefixes: String,
) -> Result<Option<String>, AppError> {
    use crate::domain::permissions::{Action, Allowlist, unknown_stores_warning};
    use crate::domain::validation::{FieldError, validate_store_name};
    use crate::server::api_support::{respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageUsers).await?;
            let stores = Allowlist::items(&stores);
            for store in &stores {
                validate_store_name(store).map_err(|e| FieldError::new("stores", e.message))?;
            }
            let key_prefixes = Allowlist::items(&key_prefixes);
            if let Some(bad) = key_prefixes.iter().find(|p| p.chars().any(char::is_whitespace)) {
                return Err(FieldError::new(
                    "key_prefixes",
                    format!("`{bad}` has whitespace; a prefix is the start of a remote key, e.g. payments/"),
                )
                .into());
            }
            let allowlist = Allowlist {
                stores,
                key_prefixes,
            };
            crate::server::auth::users::set_allowlist(
                &state.db,
                Some(&crate::server::api_support::actor(&principal)),
                project_id,
                &allowlist,
            )
            .await?;
            let (known, complete) =
                crate::server::cluster::registry::store_names(&state.clusters).await;
            // A cluster that did not answer may have the store: no warning then.
            Ok(unknown_stores_warning(&allowlist.unknown_stores(&known)).filter(|_| complete))
        }
        .await,
    )
}

/// Renames a project (admins only). Its cluster and namespace cannot change: its objects live
/// there. Answers the new name; the browser is sent to the project's new address.
#[server(prefix = "/api", endpoint = "rename_project")]
pub async fn rename_project(
    #[server(default)] csrf: String,
    project_id: i64,
    name: String,
) -> Result<String, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageClusters).await?;
            let name = name.trim().to_owned();
            crate::server::projects::rename_project(
                &state.db,
                &actor(&principal),
                project_id,
                &name,
            )
            .await?;
            tracing::info!(project_id, project = %name, "project renamed");
            leptos_axum::redirect(&format!("/projects/{name}"));
            Ok(name)
        }
        .await,
    )
}

/// Deletes a project (admins only) once it has no secrets left; `confirm` repeats its name.
/// The browser is sent to the Projects page.
#[server(prefix = "/api", endpoint = "delete_project")]
pub async fn delete_project(
    #[server(default)] csrf: String,
    project_id: i64,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageClusters).await?;
            crate::server::projects::delete_project(
                &state.db,
                &actor(&principal),
                project_id,
                &confirm,
            )
            .await?;
            tracing::info!(project_id, "project deleted");
            leptos_axum::redirect("/projects");
            Ok(())
        }
        .await,
    )
}
