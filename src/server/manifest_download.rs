//! `GET /secrets/{id}/manifest?project={project_id}`: the object the console applies for one
//! assignment, as a YAML file for GitOps use (the "Download manifest" link of the secret's
//! page). Authorized as the page: 401 signed out, 404 for a secret or an assignment the caller
//! may not see (a member sees their projects' only). Never a value: a Kubernetes secret's
//! values are placeholders (`secrets::applied_manifests`).

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::auth::bearer::TokenCaller;
use super::state::AppState;
use crate::domain::permissions::{Action, Visibility};
use crate::error::AppError;
use crate::model::applied::AppliedManifest;

/// The query: which assignment.
#[derive(Debug, Deserialize)]
pub struct Which {
    /// The project the secret is assigned to.
    pub project: i64,
}

/// The download.
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    token: Option<Extension<TokenCaller>>,
    Path(id): Path<i64>,
    Query(which): Query<Which>,
) -> Response {
    match manifest(&state, &session, token, id, which.project).await {
        Ok(found) => {
            let file = AppliedManifest::file_name(&found.namespace, &found.name);
            let disposition = format!("attachment; filename=\"{}\"", file.replace('"', ""));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/yaml; charset=utf-8".to_owned(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                found.yaml,
            )
                .into_response()
        }
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.to_string()).into_response()
        }
    }
}

async fn manifest(
    state: &AppState,
    session: &Session,
    token: Option<Extension<TokenCaller>>,
    id: i64,
    project: i64,
) -> Result<AppliedManifest, AppError> {
    let principal = match token {
        Some(Extension(caller)) => caller.principal,
        None => super::auth::principal(session, &state.db, state.session_lifetime)
            .await?
            .ok_or(AppError::Unauthorized)?,
    };
    super::api_support::authorize_secret(state, &principal, Action::ViewSecret, id).await?;
    let visibility = Visibility::of(&principal);
    super::secrets::applied_manifests(&state.db, &state.clusters, id, &visibility)
        .await?
        .into_iter()
        .find(|m| m.project_id == project)
        .ok_or(AppError::NotFound)
}
