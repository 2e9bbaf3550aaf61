//! The HTTP router: pages, server functions, static files, health endpoints and the layers
//! around them.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::config::Config;
use super::db::session_store::DbSessionStore;
use super::state::AppState;
use crate::app::{App, shell};

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// Builds the application router.
pub fn router(state: AppState, sessions: DbSessionStore, config: &Config) -> Router {
    let routes = generate_route_list(App);
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name(if config.secure_cookies {
            "__Host-sc_session"
        } else {
            "sc_session"
        })
        .with_secure(config.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::try_from(config.session_idle)
                .unwrap_or(tower_sessions::cookie::time::Duration::minutes(30)),
        ));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(session_layer)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database is reachable and every migration is applied.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.check_ready(READY_TIMEOUT).await {
        Ok(()) => (StatusCode::OK, "ready".to_owned()),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: database unavailable".to_owned(),
            )
        }
    }
}
