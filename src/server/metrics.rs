//! `/metrics` in the Prometheus text format: the reconcile queue's depth, apply latency and
//! errors per cluster, assignments per status, and open live-update streams. Counts only: no
//! secret, project or user is named. Apply figures come from the replica that reconciles.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{LazyLock, Mutex};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::domain::status::AssignmentStatus;

/// Upper bounds of the apply-latency histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct ApplyStats {
    count: u64,
    errors: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

static APPLIES: LazyLock<Mutex<BTreeMap<String, ApplyStats>>> =
    LazyLock::new(|| Mutex::new(BTreeMap::new()));

/// Records one server-side apply to `cluster`: how long it took and whether it failed.
pub fn record_apply(cluster: &str, seconds: f64, failed: bool) {
    let mut applies = APPLIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let stats = applies.entry(cluster.to_owned()).or_default();
    stats.count += 1;
    stats.sum += seconds;
    if failed {
        stats.errors += 1;
    }
    for (bound, count) in BUCKETS.iter().zip(stats.buckets.iter_mut()) {
        if seconds <= *bound {
            *count += 1;
        }
    }
}

/// `GET /metrics` on the app's own address: for a signed-in platform admin only (Prometheus
/// scrapes the `--metrics-listen` address instead). Anyone else gets 404, as for a page they
/// may not see.
pub async fn metrics_for_admins(
    State(state): State<AppState>,
    session: tower_sessions::Session,
) -> Response {
    match crate::server::auth::principal(&session, &state.db, state.session_lifetime).await {
        Ok(Some(principal)) if principal.is_admin => metrics(State(state)).await,
        Ok(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable").into_response(),
    }
}

/// `GET /metrics` on the `--metrics-listen` address.
pub async fn metrics(State(state): State<AppState>) -> Response {
    match render(&state).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "metrics unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "metrics unavailable: database error",
            )
                .into_response()
        }
    }
}

/// Escapes a label value.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn render(state: &AppState) -> Result<String, sqlx::Error> {
    let mut out = String::new();
    let queue: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.name, (SELECT COUNT(*) FROM work_items w WHERE w.cluster_id = c.id) \
         FROM clusters c ORDER BY c.name",
    )
    .fetch_all(state.db.pool())
    .await?;
    out.push_str(
        "# HELP secrets_console_work_queue_depth Cluster changes waiting to be applied.\n",
    );
    out.push_str("# TYPE secrets_console_work_queue_depth gauge\n");
    for (cluster, depth) in &queue {
        let _ = writeln!(
            out,
            "secrets_console_work_queue_depth{{cluster=\"{}\"}} {depth}",
            label(cluster)
        );
    }

    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM assignments GROUP BY status")
            .fetch_all(state.db.pool())
            .await?;
    out.push_str("# HELP secrets_console_assignments Assignments by status.\n");
    out.push_str("# TYPE secrets_console_assignments gauge\n");
    for status in AssignmentStatus::ALL {
        let n = counts
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(
            out,
            "secrets_console_assignments{{status=\"{}\"}} {n}",
            status.as_str()
        );
    }

    out.push_str("# HELP secrets_console_sse_clients Open live-update streams on this replica.\n");
    out.push_str("# TYPE secrets_console_sse_clients gauge\n");
    let _ = writeln!(out, "secrets_console_sse_clients {}", state.live.clients());

    let applies = APPLIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    out.push_str(
        "# HELP secrets_console_apply_duration_seconds Server-side applies to each cluster.\n",
    );
    out.push_str("# TYPE secrets_console_apply_duration_seconds histogram\n");
    for (cluster, _) in &queue {
        let empty = ApplyStats::default();
        let stats = applies.get(cluster).unwrap_or(&empty);
        let cluster = label(cluster);
        for (bound, count) in BUCKETS.iter().zip(stats.buckets.iter()) {
            let _ = writeln!(
                out,
                "secrets_console_apply_duration_seconds_bucket{{cluster=\"{cluster}\",le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "secrets_console_apply_duration_seconds_bucket{{cluster=\"{cluster}\",le=\"+Inf\"}} {}",
            stats.count
        );
        let _ = writeln!(
            out,
            "secrets_console_apply_duration_seconds_sum{{cluster=\"{cluster}\"}} {}",
            stats.sum
        );
        let _ = writeln!(
            out,
            "secrets_console_apply_duration_seconds_count{{cluster=\"{cluster}\"}} {}",
            stats.count
        );
    }
    out.push_str("# HELP secrets_console_apply_errors_total Applies the cluster refused or that could not reach it.\n");
    out.push_str("# TYPE secrets_console_apply_errors_total counter\n");
    for (cluster, _) in &queue {
        let errors = applies.get(cluster).map_or(0, |s| s.errors);
        let _ = writeln!(
            out,
            "secrets_console_apply_errors_total{{cluster=\"{}\"}} {errors}",
            label(cluster)
        );
    }
    Ok(out)
}
