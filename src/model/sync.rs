//! Sync all: which assignments one press queued, and how far they have come. The browser counts
//! progress from the live status stream (`model::live`), never from a timer.

use serde::{Deserialize, Serialize};

use crate::domain::status::AssignmentStatus;
use crate::model::live::LiveAssignment;

/// One assignment a Sync all queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncItem {
    /// The secret.
    pub secret_id: i64,
    /// The project it is assigned to.
    pub project_id: i64,
    /// An External secret: synced once External Secrets Operator has fetched again (a
    /// Kubernetes Secret is synced once it is applied and seen again).
    pub external: bool,
}

/// What a Sync all queued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncBatch {
    /// When the server queued it, Unix milliseconds (its clock, as `last_sync_at` is).
    pub requested_at: i64,
    /// Every assignment queued.
    pub items: Vec<SyncItem>,
    /// Assignments in scope the caller may not sync (organization secrets, for team members)
    /// or that are being deleted: left alone.
    pub skipped: i64,
}

/// How far a [`SyncBatch`] has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncProgress {
    /// Assignments synced since the request.
    pub synced: usize,
    /// Assignments whose sync failed or reports an error (their rows say why).
    pub failed: usize,
    /// Assignments queued.
    pub total: usize,
}

impl SyncProgress {
    /// Counts `batch`'s progress, reading each assignment's latest live state from `latest`.
    /// An assignment is synced once its last sync (a Kubernetes Secret) or External Secrets
    /// Operator's last fetch (an External secret; `refreshTime` has whole seconds) is not older
    /// than the request; failed while its latest state is Failed or Sync error.
    pub fn of(batch: &SyncBatch, latest: impl Fn(i64, i64) -> Option<LiveAssignment>) -> Self {
        let since_second = batch.requested_at - batch.requested_at.rem_euclid(1000);
        let mut progress = SyncProgress {
            total: batch.items.len(),
            ..SyncProgress::default()
        };
        for item in &batch.items {
            let Some(state) = latest(item.secret_id, item.project_id) else {
                continue;
            };
            let synced = if item.external {
                state.refreshed_at.is_some_and(|at| at >= since_second)
            } else {
                state.status == AssignmentStatus::Synced
                    && state
                        .last_sync_at
                        .is_some_and(|at| at >= batch.requested_at)
            };
            if synced {
                progress.synced += 1;
            } else if matches!(
                state.status,
                AssignmentStatus::Failed | AssignmentStatus::SyncedError
            ) {
                progress.failed += 1;
            }
        }
        progress
    }

    /// Whether every assignment has an outcome.
    pub fn finished(&self) -> bool {
        self.synced + self.failed >= self.total
    }

    /// The sentence shown while it runs: "12 of 40 synced", then what failed.
    pub fn sentence(&self) -> String {
        let mut text = format!("{} of {} synced", self.synced, self.total);
        if self.failed > 0 {
            text.push_str(&format!(", {} failed", self.failed));
        }
        text.push('.');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(
        status: AssignmentStatus,
        last_sync_at: Option<i64>,
        refreshed_at: Option<i64>,
    ) -> LiveAssignment {
        LiveAssignment {
            project_id: 1,
            status,
            reason: None,
            last_sync_at,
            next_retry_at: None,
            refreshed_at,
            failure: None,
            warning: None,
        }
    }

    fn batch(items: &[(i64, bool)]) -> SyncBatch {
        SyncBatch {
            requested_at: 10_500,
            items: items
                .iter()
                .map(|&(secret_id, external)| SyncItem {
                    secret_id,
                    project_id: 1,
                    external,
                })
                .collect(),
            skipped: 0,
        }
    }

    #[test]
    fn a_sync_before_the_request_does_not_count() {
        let batch = batch(&[(1, false), (2, false), (3, false)]);
        let progress = SyncProgress::of(&batch, |secret, _| match secret {
            1 => Some(live(AssignmentStatus::Synced, Some(10_400), None)),
            2 => Some(live(AssignmentStatus::Synced, Some(10_600), None)),
            _ => None,
        });
        assert_eq!(progress.sentence(), "1 of 3 synced.");
        assert!(!progress.finished());
    }

    #[test]
    fn an_external_secret_counts_once_fetched_in_the_same_second_or_later() {
        let batch = batch(&[(1, true), (2, true)]);
        let progress = SyncProgress::of(&batch, |secret, _| match secret {
            1 => Some(live(AssignmentStatus::Synced, Some(1), Some(10_000))),
            _ => Some(live(AssignmentStatus::Synced, Some(1), Some(9_000))),
        });
        assert_eq!(progress.synced, 1);
    }

    #[test]
    fn failures_are_counted_and_end_the_wait() {
        let batch = batch(&[(1, false), (2, false)]);
        let progress = SyncProgress::of(&batch, |secret, _| match secret {
            1 => Some(live(AssignmentStatus::Synced, Some(11_000), None)),
            _ => Some(live(AssignmentStatus::Failed, None, None)),
        });
        assert_eq!(progress.sentence(), "1 of 2 synced, 1 failed.");
        assert!(progress.finished());
    }
}
