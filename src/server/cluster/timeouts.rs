//! How long the console waits on a cluster: a deadline for each request, and a longer
//! silence allowed to watches, which may hear nothing for a minute on a quiet cluster.

use std::time::Duration;

/// How long the console waits on a cluster.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// A single request's deadline for an answer (its read timeout).
    pub request: Duration,
    /// How long a watch may stay silent before its connection is taken for dead.
    pub watch_idle: Duration,
}

/// How long a watch asks the API server to keep it open (`timeoutSeconds`): kube-rs'
/// watcher's default, kept explicit because [`Timeouts::watch_idle`] depends on it.
pub const WATCH_TIMEOUT_SECS: u32 = 290;

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            request: Duration::from_secs(30),
            // A quiet watch hears nothing for a minute: kube-apiserver sends a bookmark about
            // once a minute (`defaultBookmarkFrequency = time.Minute`, apiserver
            // pkg/storage/cacher/cacher.go) and one just before the watch's deadline, and ends
            // it at `timeoutSeconds`. So a watch silent past its own timeout is dead; the
            // request deadline (30 s) would drop every quiet watch twice a minute, and each
            // reconnect after a 410 is a relist.
            watch_idle: Duration::from_secs(u64::from(WATCH_TIMEOUT_SECS) + 30),
        }
    }
}
