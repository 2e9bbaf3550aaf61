//! What the reconciler's tasks share: their options, their context, the kinds they write, and
//! how they back off.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{ApiResource, GroupVersionKind};

use crate::server::crypto::Keyring;
use crate::server::db::Db;

/// How the reconciler paces itself.
#[derive(Debug, Clone)]
pub struct Options {
    /// Work items applied at once per cluster.
    pub concurrency: usize,
    /// How often an idle worker looks for due work.
    pub poll: Duration,
    /// The live feed of changed secrets (every replica's, on PostgreSQL): an idle worker also
    /// looks for work as soon as something changed, instead of at its next poll.
    pub wake: Option<tokio::sync::broadcast::Sender<i64>>,
    /// First retry delay; doubles per attempt.
    pub base_backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
    /// How long a delete may take before it is DeleteFailed.
    pub delete_deadline: Duration,
    /// How often everything the watches have seen is judged again.
    pub resync: Duration,
    /// How often each cluster's API server is probed for the reachability badge.
    pub health_interval: Duration,
    /// How often the set of project namespaces whose Secrets are watched is read again.
    pub namespace_refresh: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 8,
            poll: Duration::from_millis(250),
            wake: None,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            delete_deadline: Duration::from_secs(120),
            resync: Duration::from_secs(15),
            health_interval: Duration::from_secs(10),
            namespace_refresh: Duration::from_secs(5),
        }
    }
}

/// Names an object (namespace, name) the watcher should judge again: the worker sends it
/// after an apply, so what the watch saw before the apply was recorded is not lost.
pub(crate) type Rejudge = tokio::sync::mpsc::UnboundedSender<(String, String)>;

/// What every task shares.
pub(crate) struct Context {
    pub(crate) db: Db,
    pub(crate) keys: Keyring,
    pub(crate) options: Options,
}

/// The kube resource of ExternalSecret at `v1`: the key of the watcher's store, whatever
/// version the cluster serves.
pub fn external_secret_resource() -> ApiResource {
    external_secret_resource_at("v1")
}

/// The kube resource of ExternalSecret at `version` of `external-secrets.io`: what requests
/// to a cluster use, at the version it serves (`ClusterHandle::eso`).
pub fn external_secret_resource_at(version: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", version, "ExternalSecret"),
        "externalsecrets",
    )
}

/// The kube resource of Secret.
pub(crate) fn secret_resource() -> ApiResource {
    ApiResource::erase::<Secret>(&())
}

/// `base` doubled `attempts` times, at most `max`, with full jitter on the upper half (between
/// half and all of it): spreads the retries of many items, or many watches, after an outage.
pub(crate) fn exponential_backoff(base: Duration, max: Duration, attempts: u32) -> Duration {
    let delay = base
        .saturating_mul(2_u32.saturating_pow(attempts.min(16)))
        .min(max);
    let jitter = f64::from(uuid::Uuid::new_v4().as_bytes()[0]) / 255.0;
    delay / 2 + (delay / 2).mul_f64(jitter)
}

/// How long an interrupted watch waits before it tries again: 0.5 s, doubling, at most
/// [`WATCH_RETRY_MAX`], each delay between half and all of that (jitter); it starts over once
/// the watch is back. kube-runtime's default goes to 30 s and starts over only after two
/// minutes, so statuses could stay stale for half a minute after the API server is back.
#[derive(Debug, Clone, Default)]
pub(crate) struct WatchBackoff {
    attempts: u32,
}

/// The longest pause between attempts to resume a watch.
const WATCH_RETRY_MAX: std::time::Duration = std::time::Duration::from_secs(4);

impl Iterator for WatchBackoff {
    type Item = std::time::Duration;

    fn next(&mut self) -> Option<std::time::Duration> {
        let delay = exponential_backoff(
            std::time::Duration::from_millis(500),
            WATCH_RETRY_MAX,
            self.attempts,
        );
        self.attempts = self.attempts.saturating_add(1);
        Some(delay)
    }
}

impl kube::runtime::utils::Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.attempts = 0;
    }
}
