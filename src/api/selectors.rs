//! Server functions for assigning by selector: project labels, an organization secret's
//! selectors, what they match now, and the preview of what a selector would match before it
//! is saved. Admins only: a selector's matches name projects a team member may not see.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::account::SelectorMatch;
use crate::model::listing::ProjectRef;

/// Replaces a project's labels (admins only): `env=prod, team=payments`, or one a line. The
/// organization secrets whose selectors match (or stop matching) follow at once.
#[server(prefix = "/api", endpoint = "set_project_labels")]
pub async fn set_project_labels(
    #[server(default)] csrf: String,
    project_id: i64,
    #[server(default)] project_labels: String,
) -> Result<(), AppError> {
    use crate::domain::labels::parse_labels;
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageClusters).await?;
            let labels = parse_labels("project_labels", &project_labels)?;
            crate::server::projects::set_labels(&state.db, &actor(&principal), project_id, &labels)
                .await?;
            tracing::info!(project_id, "project relabelled");
            crate::server::form_posts::notice("Labels saved.");
            Ok(())
        }
        .await,
    )
}

/// The projects any of `selectors` (one a line) matches now: what saving them would assign
/// (admins only).
#[server(prefix = "/api", endpoint = "preview_selectors")]
pub async fn preview_selectors(
    #[server(default)] selectors: String,
) -> Result<Vec<ProjectRef>, AppError> {
    use crate::domain::labels::parse_selectors;
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, _) = reader_for(Action::AssignSecret).await?;
            let selectors = parse_selectors("selectors", &selectors)?;
            Ok(crate::server::secrets::preview(&state.db, &selectors).await?)
        }
        .await,
    )
}

/// An organization secret's selectors, each with the projects it matches now (admins only).
#[server(prefix = "/api", endpoint = "secret_selectors")]
pub async fn secret_selectors(id: i64) -> Result<Vec<SelectorMatch>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{authorize_secret, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            authorize_secret(&state, &principal, Action::AssignSecret, id).await?;
            Ok(crate::server::secrets::selector_matches(&state.db, id).await?)
        }
        .await,
    )
}

/// Makes an organization secret's selectors exactly `selectors` (one a line; admins only):
/// every project they match is assigned, projects only an old selector matched are unassigned,
/// projects named explicitly stay.
#[server(prefix = "/api", endpoint = "set_secret_selectors")]
pub async fn set_secret_selectors(
    #[server(default)] csrf: String,
    id: i64,
    #[server(default)] selectors: String,
) -> Result<(), AppError> {
    use crate::domain::labels::parse_selectors;
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, authorize_secret, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            authorize_secret(&state, &principal, Action::AssignSecret, id).await?;
            let selectors = parse_selectors("selectors", &selectors)?;
            crate::server::secrets::set_selectors(&state.db, &actor(&principal), id, &selectors)
                .await?;
            crate::server::form_posts::notice("Selectors saved.");
            Ok(())
        }
        .await,
    )
}
