//! Server function for the objects the console applies for a secret (the "Applied objects"
//! section of its page): one per assigned project, as YAML, values never.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::applied::AppliedManifest;

/// For each assignment of secret `id` the caller may see, the exact object applied there.
/// Authorized as `get_secret`: NotFound for a secret the caller may not see; a member gets
/// their projects' objects only.
#[server(prefix = "/api", endpoint = "applied_manifests")]
pub async fn applied_manifests(id: i64) -> Result<Vec<AppliedManifest>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{authorize_secret, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            authorize_secret(&state, &principal, Action::ViewSecret, id).await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            Ok(crate::server::secrets::applied_manifests(
                &state.db,
                &state.clusters,
                id,
                &visibility,
            )
            .await?)
        }
        .await,
    )
}
