//! Sync all: every assignment of one project (its team members and admins) or of one cluster
//! (admins), queued for a re-sync.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::sync::SyncBatch;

/// Queues a re-sync of every assignment in a project (`project_id`) or in every project on a
/// cluster (`cluster_id`, admins only); returns what was queued, for the page to count its
/// progress from the live status stream. Team members sync only their own projects, and there
/// only project secrets (organization secrets are the admins', as with Sync now).
#[server(prefix = "/api", endpoint = "sync_all")]
pub async fn sync_all(
    #[server(default)] csrf: String,
    #[server(default)] project_id: Option<i64>,
    #[server(default)] cluster_id: Option<i64>,
) -> Result<SyncBatch, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::server::api_support::{actor, check, respond, writer};
    use crate::server::secrets::SyncScope;
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let scope = match (project_id, cluster_id) {
                (Some(project), None) => {
                    check(
                        &state,
                        &principal,
                        Action::ViewProject,
                        &Target::Project(project),
                        None,
                    )
                    .await?;
                    SyncScope::Project(project)
                }
                (None, Some(cluster)) => {
                    check(
                        &state,
                        &principal,
                        Action::ManageClusters,
                        &Target::Global,
                        None,
                    )
                    .await?;
                    SyncScope::Cluster(cluster)
                }
                _ => {
                    return Err(crate::domain::validation::FieldError::new(
                        "project_id",
                        "choose one project or one cluster",
                    )
                    .into());
                }
            };
            let batch = crate::server::secrets::sync_all(
                &state.db,
                &actor(&principal),
                scope,
                !principal.is_admin,
            )
            .await?;
            let queued = batch.items.len();
            crate::server::form_posts::notice(&format!(
                "Sync requested for {queued} assignment{}.",
                if queued == 1 { "" } else { "s" }
            ));
            Ok(batch)
        }
        .await,
    )
}
