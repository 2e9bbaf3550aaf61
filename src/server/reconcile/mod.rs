//! The reconciler: drives each cluster toward the database. Work rows (written in the same
//! transaction as the desired-state change) are claimed per cluster, applied with bounded
//! concurrency by server-side apply under one field manager, and retried with exponential
//! back-off and jitter when the cluster is unreachable. What the cluster then reports comes back
//! through the status watcher (`watcher`).

mod apply;
mod context;
mod drift;
mod error;
mod events;
pub mod leader;
mod plan;
mod watch_streams;
pub mod watcher;

use context::{Context, Rejudge, exponential_backoff};
pub use context::{Options, external_secret_resource};

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use self::apply::Outcome;
use self::error::{Policy, error_policy};
use crate::domain::status::Observation;
use crate::server::clock::now_ms;
use crate::server::cluster::registry::{self, ClusterHandle};
use crate::server::crypto::Keyring;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::secrets::{self, Report};
use crate::server::work_queue::{self, Item};

/// The running reconciler: one worker and one watcher per cluster, and the delete deadline.
#[derive(Debug)]
pub struct Reconciler {
    tasks: Vec<JoinHandle<()>>,
}

impl Reconciler {
    /// Starts workers and watchers for every cluster.
    pub fn start(db: Db, keys: Keyring, clusters: Vec<ClusterHandle>, options: Options) -> Self {
        let ctx = Arc::new(Context { db, keys, options });
        let mut tasks = Vec::new();
        for cluster in clusters {
            let (rejudge, judge_rx) = tokio::sync::mpsc::unbounded_channel();
            tasks.push(tokio::spawn(worker(ctx.clone(), cluster.clone(), rejudge)));
            tasks.push(tokio::spawn(health(ctx.clone(), cluster.clone())));
            tasks.push(tokio::spawn(watcher::run(ctx.clone(), cluster, judge_rx)));
        }
        tasks.push(tokio::spawn(delete_deadlines(ctx)));
        Self { tasks }
    }

    /// Stops every task.
    pub fn stop(self) {
        drop(self);
    }

    /// Stops every task and waits until none of them runs any more, as a killed process
    /// would be: whatever it did not finish stays undone.
    pub async fn kill(mut self) {
        let tasks = std::mem::take(&mut self.tasks);
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

impl Drop for Reconciler {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Exponential back-off with jitter, capped.
fn backoff(options: &Options, attempts: i64) -> Duration {
    let attempts = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    exponential_backoff(options.base_backoff, options.max_backoff, attempts)
}

/// A worked change on its way to [`finisher`].
type Finished = (Item, Outcome);

/// Records the outcomes of a batch of worked changes in one write transaction: the applies'
/// statuses, then each row finished or put back with its retry delay. Then the watcher judges
/// again what it saw of each applied object, now that the apply is recorded.
async fn finish(ctx: &Context, batch: &[Finished], rejudge: &Rejudge) {
    let recorded = match record_outcomes(ctx, batch).await {
        Ok(()) => true,
        // One row the batch could not record must not hold back the others: each alone.
        Err(error) if batch.len() > 1 => {
            tracing::debug!(%error, "could not record a batch of outcomes; recording them one by one");
            for finished in batch {
                if let Err(error) = record_outcomes(ctx, std::slice::from_ref(finished)).await {
                    tracing::warn!(%error, "could not record the outcome of cluster work");
                }
            }
            true
        }
        Err(error) => {
            tracing::warn!(%error, "could not record the outcome of cluster work");
            false
        }
    };
    if !recorded {
        return;
    }
    for (_, outcome) in batch {
        if let Outcome::Applied { object, .. } = outcome {
            let _ = rejudge.send(object.clone());
        }
    }
}

async fn record_outcomes(ctx: &Context, batch: &[Finished]) -> Result<(), ServiceError> {
    let applied: Vec<Report> = batch
        .iter()
        .filter_map(|(item, outcome)| match outcome {
            Outcome::Applied { generation, .. } => Some(Report {
                secret_id: item.secret_id,
                project_id: item.project_id,
                observation: Observation::Applied {
                    generation: *generation,
                },
            }),
            _ => None,
        })
        .collect();
    let mut tx = ctx.db.begin_write().await?;
    secrets::observe_all_in(&mut tx, &applied).await?;
    for (item, outcome) in batch {
        match outcome {
            Outcome::Done | Outcome::Applied { .. } => work_queue::complete(&mut tx, item).await?,
            Outcome::Retry(error) => {
                let delay = backoff(&ctx.options, item.attempts);
                work_queue::retry_later(&mut tx, item, delay, error).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Takes worked changes as they come and records them: whatever finished while the last
/// batch was being written is the next batch (one transaction for a burst, none held back
/// when work trickles in).
async fn finisher(
    ctx: Arc<Context>,
    rejudge: Rejudge,
    mut finished: tokio::sync::mpsc::UnboundedReceiver<Finished>,
) {
    let mut batch = Vec::new();
    while let Some(first) = finished.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH
            && let Ok(next) = finished.try_recv()
        {
            batch.push(next);
        }
        finish(&ctx, &batch, &rejudge).await;
        batch.clear();
    }
}

/// Most outcomes recorded in one transaction (a shorter hold of SQLite's write lock for the
/// writers that wait behind it: a user's change among them).
const MAX_BATCH: usize = 64;

/// Probes the cluster's API server now and then, for the reachability shown in the app. While
/// it is unreachable it is probed every [`DOWN_PROBE`]; when it answers again, every change
/// waiting out a retry delay on it is made due at once, so that what queued up during an
/// outage converges in seconds instead of after back-offs of up to a minute. (An outage
/// between two probes goes unnoticed here; its changes' back-offs are short, as it was.)
async fn health(ctx: Arc<Context>, cluster: ClusterHandle) {
    let mut down = false;
    let mut recorded_eso = None;
    let mut eso_changes = cluster.eso.subscribe();
    loop {
        record_eso(&ctx, &cluster, &mut recorded_eso).await;
        let outcome = registry::probe(&cluster.client).await;
        match (&outcome, down) {
            (Err(reason), false) => {
                tracing::warn!(cluster = %cluster.name, %reason, "cluster unreachable");
            }
            (Ok(_), true) => match work_queue::retry_now(&ctx.db, cluster.id).await {
                Ok(waiting) => {
                    tracing::info!(cluster = %cluster.name, waiting, "cluster reachable again: retrying its waiting changes now");
                }
                Err(error) => {
                    tracing::warn!(cluster = %cluster.name, %error, "could not retry waiting changes");
                }
            },
            _ => {}
        }
        down = outcome.is_err();
        if let Err(error) = registry::record_health(&ctx.db, cluster.id, outcome).await {
            tracing::warn!(cluster = %cluster.name, %error, "could not record cluster health");
        }
        let pause = if down {
            ctx.options.health_interval.min(DOWN_PROBE)
        } else {
            ctx.options.health_interval
        };
        // A discovery is recorded at once; a probe waits its turn.
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = eso_changes.changed() => {}
        }
    }
}

/// Records what the store watch last discovered of the cluster's External Secrets Operator
/// (`eso_served`), when it changed since `recorded`: the Projects page shows it.
async fn record_eso(
    ctx: &Context,
    cluster: &ClusterHandle,
    recorded: &mut Option<crate::server::cluster::eso_served::EsoInstall>,
) {
    let current = cluster.eso.current();
    if current.is_none() || current == *recorded {
        return;
    }
    let Some(install) = current else { return };
    match registry::record_eso(&ctx.db, cluster.id, &install).await {
        Ok(()) => *recorded = Some(install),
        Err(error) => {
            tracing::warn!(cluster = %cluster.name, %error, "could not record the External Secrets Operator version");
        }
    }
}

/// How often an unreachable cluster is probed.
const DOWN_PROBE: Duration = Duration::from_secs(1);

async fn worker(ctx: Arc<Context>, cluster: ClusterHandle, rejudge: Rejudge) {
    // ExternalSecrets are written at the version the cluster serves. The store watch discovers
    // it as it starts, but the worker does not wait on another task for it (a reconciler may
    // run without one, and waiting held every first write back): it asks the cluster itself
    // when nothing is known yet. A cluster that does not answer gets `v1` until a discovery
    // does; a write it refuses is retried like any other.
    if cluster.eso.current().is_none() {
        match crate::server::cluster::eso_served::discover(&cluster.client).await {
            Ok(install) => cluster.eso.set(install),
            Err(error) => {
                tracing::warn!(cluster = %cluster.name, %error, "could not discover which External Secrets Operator the cluster runs");
            }
        }
    }
    // Only the leader works the queue, so claims still held belong to a leader that died
    // mid-work (a crash, a SIGKILL): release them now rather than when they expire.
    if let Err(error) = work_queue::release_claims(&ctx.db, cluster.id).await {
        tracing::warn!(cluster = %cluster.name, %error, "could not release stale claims");
    }
    let wake = ctx
        .options
        .wake
        .as_ref()
        .map(tokio::sync::broadcast::Sender::subscribe);
    let (finished, outcomes) = tokio::sync::mpsc::unbounded_channel();
    tokio::join!(
        work(ctx.clone(), cluster, finished, wake),
        finisher(ctx, rejudge, outcomes)
    );
}

/// Works the cluster's queue, [`Options::concurrency`] changes at a time: a change starts as
/// soon as another ends, from a batch claimed ahead; each outcome goes to the [`finisher`].
async fn work(
    ctx: Arc<Context>,
    cluster: ClusterHandle,
    finished: tokio::sync::mpsc::UnboundedSender<Finished>,
    mut wake: Option<tokio::sync::broadcast::Receiver<i64>>,
) {
    let concurrency = ctx.options.concurrency.max(1);
    let mut running = tokio::task::JoinSet::new();
    let mut waiting = std::collections::VecDeque::new();
    loop {
        if waiting.len() < concurrency {
            match work_queue::claim(&ctx.db, cluster.id, concurrency * 4 - waiting.len()).await {
                Ok(items) => waiting.extend(items),
                Err(error) => {
                    tracing::warn!(cluster = %cluster.name, %error, "could not read the work queue");
                }
            }
        }
        while running.len() < concurrency
            && let Some(item) = waiting.pop_front()
        {
            running.spawn(work_one(
                ctx.clone(),
                cluster.clone(),
                item,
                finished.clone(),
            ));
        }
        if running.len() == concurrency {
            // Every slot is taken: the next look at the queue is when one is free.
            if let Some(Err(error)) = running.join_next().await
                && error.is_panic()
            {
                tracing::error!(cluster = %cluster.name, %error, "working a change panicked");
            }
            continue;
        }
        // A slot is free and nothing claimable waits: look again when something changed, the
        // poll passed, or a running change ended.
        let changed = async {
            match wake.as_mut() {
                Some(changes) => wait_for_change(changes, ctx.options.poll).await,
                None => {
                    tokio::time::sleep(ctx.options.poll).await;
                    true
                }
            }
        };
        tokio::select! {
            Some(ended) = running.join_next(), if !running.is_empty() => {
                if let Err(error) = ended
                    && error.is_panic()
                {
                    tracing::error!(cluster = %cluster.name, %error, "working a change panicked");
                }
            }
            open = changed => {
                if !open {
                    wake = None;
                }
            }
        }
    }
}

/// Works one change and hands its outcome to the finisher.
async fn work_one(
    ctx: Arc<Context>,
    cluster: ClusterHandle,
    item: Item,
    finished: tokio::sync::mpsc::UnboundedSender<Finished>,
) {
    let outcome = match apply::process(&ctx, &cluster, &item).await {
        Ok(outcome) => outcome,
        Err(error) => match error_policy(&error) {
            Policy::Retry => Outcome::Retry(error.to_string()),
            // Recorded already where it was refused.
            Policy::Refuse { .. } => Outcome::Done,
        },
    };
    if let Outcome::Retry(reason) = &outcome {
        tracing::info!(cluster = %cluster.name, secret_id = item.secret_id, project_id = item.project_id, op = item.op.as_str(), attempts = item.attempts + 1, reason = %reason, "will retry");
    }
    let _ = finished.send((item, outcome));
}

/// Waits until something changed or `poll` passed, then takes every change already waiting
/// (one look at the queue for a burst of them, such as the statuses of a fan-out). False when
/// the feed has ended.
async fn wait_for_change(
    changes: &mut tokio::sync::broadcast::Receiver<i64>,
    poll: Duration,
) -> bool {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    if let Ok(Err(RecvError::Closed)) = tokio::time::timeout(poll, changes.recv()).await {
        return false;
    }
    loop {
        match changes.try_recv() {
            Ok(_) | Err(TryRecvError::Lagged(_)) => {}
            Err(TryRecvError::Empty) => return true,
            Err(TryRecvError::Closed) => return false,
        }
    }
}

/// Marks deletes that outlived the deadline as DeleteFailed.
async fn delete_deadlines(ctx: Arc<Context>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let cutoff = now_ms() - i64::try_from(ctx.options.delete_deadline.as_millis()).unwrap_or(0);
        let overdue: Result<Vec<(i64, i64)>, _> = sqlx::query_as(
            "SELECT secret_id, project_id FROM assignments WHERE status = 'Deleting' AND updated_at < $1",
        )
        .bind(cutoff)
        .fetch_all(ctx.db.pool())
        .await;
        for (secret_id, project_id) in overdue.unwrap_or_default() {
            let _ = secrets::observe(
                &ctx.db,
                secret_id,
                project_id,
                &Observation::DeleteDeadlinePassed,
            )
            .await;
        }
    }
}
