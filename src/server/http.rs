//! The HTTP router: pages, server functions, static files, health endpoints and the layers
//! around them.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
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

    let pages = Router::new()
        .route("/live/events", get(super::live_stream::events))
        .route("/metrics", get(super::metrics::metrics_for_admins))
        .route("/auth/login", get(super::auth::oidc_routes::start))
        .route("/auth/callback", get(super::auth::oidc_routes::callback))
        .route("/audit/export", get(super::audit_export::export))
        .route(
            "/secrets/{id}/manifest",
            get(super::manifest_download::download),
        )
        // A page render looks up who is asking once, however many of its loads ask.
        .leptos_routes_with_context(
            &state,
            routes,
            super::auth::request_memo::provide_for_page_render,
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        // Inside the session layer: a form post's outcome is kept in the session.
        .layer(middleware::from_fn(super::form_posts::form_posts))
        // Requests push the idle deadline out, writing the session back at most once a minute.
        .layer(middleware::from_fn_with_state(
            super::session_touch::touch_interval(config.session_idle),
            super::session_touch::touch,
        ))
        .layer(session_layer)
        .layer(middleware::from_fn(same_origin_only))
        // Outside the session layer: a request with an API token is settled (or refused)
        // without loading a session.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::auth::bearer::bearer,
        ));

    // Probes and the static bundle need no session: no database round trip per asset.
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(&state.leptos_options),
            leptos_axum::site_pkg_dir_service(&state.leptos_options),
        )
        .merge(pages)
        .layer(middleware::from_fn(server_fn_error_status))
        // Pages and server-function answers compressed for browsers that accept it (a page of
        // 50 secrets: 122 KB of HTML, 11 KB gzip), outside `server_fn_error_status`, which
        // reads error bodies. Never the live stream: the default predicate leaves
        // `text/event-stream` alone. The bundle under /pkg already carries its encoding: it is
        // served precompressed (scripts/build-release.sh).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            config.secure_cookies,
            security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            std::sync::Arc::new(config.allowed_hosts.clone()),
            allowed_hosts_only,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Refuses a body over the limit from its declared length, before reading it (413),
        // and cuts off a chunked one that grows past it — whoever reads the body.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        // The path only: a query can carry what no log should hold (the authorization code
        // on `/auth/callback`).
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                // tower_http's own target, so `tower_http=debug` shows requests as before.
                tracing::debug_span!(
                    target: "tower_http::trace::make_span",
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    version = ?request.version(),
                )
            }),
        )
        .with_state(state)
}

/// Largest request body: 1 MiB of values, form-encoded (up to three bytes per byte), plus the
/// rest of the form.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Refuses state-changing requests that a browser marks as coming from another site. Browsers
/// send `Sec-Fetch-Site` (and `Origin`) on every POST; clients that send neither (scripts) are
/// let through here and still need the session's CSRF token in the server function.
async fn same_origin_only(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !is_same_origin(request.headers()) {
        tracing::warn!(method = %request.method(), path = %request.uri().path(), "cross-origin request refused");
        return (StatusCode::FORBIDDEN, "cross-origin requests are refused").into_response();
    }
    next.run(request).await
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// A server function that fails before its body runs (a request it cannot decode) answers 500
/// in server_fn; the error it carries knows better (400 for a malformed request). Errors from
/// inside a body already have their status.
async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<crate::error::AppError>(&bytes)
        && let Ok(status) = axum::http::StatusCode::from_u16(error.status())
    {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The router of the `--metrics-listen` address: metrics and the health endpoints, nothing
/// else, no session.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(super::metrics::metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// Answers only the `Host` names the app is served under (`--allowed-hosts`): a page on
/// another site whose name an attacker points at this address (DNS rebinding) gets 421, never
/// the console. The probes are exempt: kubelet sends the pod's IP as `Host`.
async fn allowed_hosts_only(
    State(allowed): State<std::sync::Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .map(super::net::host_name);
    match host {
        Some(host) if allowed.contains(&host) => next.run(request).await,
        _ => (
            StatusCode::MISDIRECTED_REQUEST,
            "this host name is not served here; an operator can add it with --allowed-hosts",
        )
            .into_response(),
    }
}

/// Headers every response carries. Pages set their own Content-Security-Policy (with the
/// request's nonce, in `app::shell`); everything else gets a deny-all one. Served over TLS
/// (secure cookies), browsers are told to use nothing else (HSTS).
async fn security_headers(State(secure): State<bool>, request: Request, next: Next) -> Response {
    let cacheable = {
        let path = request.uri().path();
        path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/robots.txt"
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if !cacheable {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        headers.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
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
