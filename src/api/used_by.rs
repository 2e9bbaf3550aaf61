//! Server function for who uses a secret: the workloads that reference it in each project it
//! is assigned to (the "Used by" section and the unassign, remove and delete confirmations).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::workloads::ProjectUsedBy;

/// For each assignment of secret `id` the caller may see, the workloads of that project's
/// namespace that use it (or why they could not be checked). Authorized as `get_secret`:
/// NotFound for a secret the caller may not see; a member gets their projects' rows only.
#[server(prefix = "/api", endpoint = "used_by")]
pub async fn used_by(id: i64) -> Result<Vec<ProjectUsedBy>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{authorize_secret, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            authorize_secret(&state, &principal, Action::ViewSecret, id).await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            Ok(
                crate::server::secrets::used_by(&state.db, &state.clusters, id, &visibility)
                    .await?,
            )
        }
        .await,
    )
}
