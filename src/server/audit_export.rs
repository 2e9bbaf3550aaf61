//! `GET /audit/export`: the audit log as JSON lines (one entry per line, newest first), for
//! platform admins, filtered by the Audit page's query string (`actor`, `action`, `project`,
//! `secret`). Read in batches by id, so a long log is streamed, not held in memory.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::audit::{EXPORT_BATCH, entries};
use super::state::AppState;
use crate::model::audit::AuditFilter;

/// The export: 401 signed out, 404 for anyone but a platform admin (as the Audit page).
pub async fn export(
    State(state): State<AppState>,
    session: Session,
    Query(filter): Query<AuditFilter>,
) -> Response {
    match super::auth::principal(&session, &state.db, state.session_lifetime).await {
        Ok(Some(principal)) if principal.is_admin => {}
        Ok(Some(_)) => return (StatusCode::NOT_FOUND, "not found").into_response(),
        Ok(None) => return (StatusCode::UNAUTHORIZED, "sign in first").into_response(),
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
    }
    let db = state.db.clone();
    // (the filter with the next batch's cursor, whether the last batch was the end)
    let lines = futures::stream::unfold(Some(filter), move |next| {
        let db = db.clone();
        async move {
            let filter = next?;
            match entries(&db, &filter, EXPORT_BATCH).await {
                Ok(batch) => {
                    let more = usize::try_from(EXPORT_BATCH).is_ok_and(|n| batch.len() == n);
                    let after = batch.last().map(|e| e.id);
                    let mut text = String::new();
                    for entry in &batch {
                        if let Ok(line) = serde_json::to_string(entry) {
                            text.push_str(&line);
                            text.push('\n');
                        }
                    }
                    let next = (more && after.is_some()).then_some(AuditFilter {
                        before: after,
                        ..filter
                    });
                    Some((Ok::<Bytes, std::io::Error>(Bytes::from(text)), next))
                }
                Err(error) => {
                    tracing::error!(%error, "audit export failed part way");
                    Some((Err(std::io::Error::other("audit export failed")), None))
                }
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(lines),
    )
        .into_response()
}
