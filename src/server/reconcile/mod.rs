//! The reconciler: drives each cluster toward the database. Work rows (written in the same
//! transaction as the desired-state change) are claimed per cluster, applied with bounded
//! concurrency by server-side apply under one field manager, and retried with exponential
//! back-off and jitter when the cluster is unreachable. What the cluster then reports comes back
//! through the status watcher (`watcher`).

mod context;
pub mod leader;
pub mod watcher;

pub(crate) use context::{Context, exponential_backoff, secret_resource};
pub use context::{Options, external_secret_resource};

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::json;
use sqlx::Row;
use tokio::task::JoinHandle;

use crate::domain::status::Observation;
use crate::model::secret::{Scope, SecretSpec};
use crate::server::clock::now_ms;
use crate::server::cluster::manifest::{self, LABEL_ASSIGNMENT_ID, Manifest, Placement};
use crate::server::cluster::registry::{self, ClusterHandle};
use crate::server::crypto::Keyring;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::secrets;
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

/// What processing a work row came to.
enum Outcome {
    /// Finished (whatever the cluster said is recorded as an observation).
    Done,
    /// The cluster could not be reached or answered with a transient error: try again later.
    Retry(String),
}

/// Exponential back-off with jitter, capped.
fn backoff(options: &Options, attempts: i64) -> Duration {
    let attempts = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    exponential_backoff(options.base_backoff, options.max_backoff, attempts)
}

async fn finish(ctx: &Context, item: &Item, outcome: Outcome) -> Result<(), sqlx::Error> {
    let _turn = ctx.db.write_turn().await;
    match outcome {
        Outcome::Done => work_queue::complete(&ctx.db, item).await,
        Outcome::Retry(error) => {
            let delay = backoff(&ctx.options, item.attempts);
            work_queue::retry_later(&ctx.db, item, delay, &error).await
        }
    }
}

/// Probes the cluster's API server now and then, for the reachability shown in the app. While
/// it is unreachable it is probed every [`DOWN_PROBE`]; when it answers again, every change
/// waiting out a retry delay on it is made due at once, so that what queued up during an
/// outage converges in seconds instead of after back-offs of up to a minute. (An outage
/// between two probes goes unnoticed here; its changes' back-offs are short, as it was.)
async fn health(ctx: Arc<Context>, cluster: ClusterHandle) {
    let mut down = false;
    loop {
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
        tokio::time::sleep(pause).await;
    }
}

/// How often an unreachable cluster is probed.
const DOWN_PROBE: Duration = Duration::from_secs(1);

/// Names an object the watcher should judge again.
type Rejudge = tokio::sync::mpsc::UnboundedSender<(String, String)>;

async fn worker(ctx: Arc<Context>, cluster: ClusterHandle, rejudge: Rejudge) {
    // Only the leader works the queue, so claims still held belong to a leader that died
    // mid-work (a crash, a SIGKILL): release them now rather than when they expire.
    if let Err(error) = work_queue::release_claims(&ctx.db, cluster.id).await {
        tracing::warn!(cluster = %cluster.name, %error, "could not release stale claims");
    }
    let mut wake = ctx
        .options
        .wake
        .as_ref()
        .map(tokio::sync::broadcast::Sender::subscribe);
    loop {
        let items = match work_queue::claim(&ctx.db, cluster.id, ctx.options.concurrency * 4).await
        {
            Ok(items) => items,
            Err(error) => {
                tracing::warn!(cluster = %cluster.name, %error, "could not read the work queue");
                Vec::new()
            }
        };
        if items.is_empty() {
            match wake.as_mut() {
                Some(changes) => {
                    if !wait_for_change(changes, ctx.options.poll).await {
                        wake = None;
                    }
                }
                None => tokio::time::sleep(ctx.options.poll).await,
            }
            continue;
        }
        futures::stream::iter(items)
            .for_each_concurrent(ctx.options.concurrency, |item| {
                let ctx = ctx.clone();
                let cluster = cluster.clone();
                let rejudge = rejudge.clone();
                async move {
                    let outcome = match process(&ctx, &cluster, &item, &rejudge).await {
                        Ok(outcome) => outcome,
                        Err(error) => Outcome::Retry(format!("database error: {error}")),
                    };
                    if let Outcome::Retry(reason) = &outcome {
                        tracing::info!(cluster = %cluster.name, secret_id = item.secret_id, project_id = item.project_id, op = %item.op, attempts = item.attempts + 1, reason = %reason, "will retry");
                    }
                    if let Err(error) = finish(&ctx, &item, outcome).await {
                        tracing::warn!(%error, "could not record the outcome of cluster work");
                    }
                }
            })
            .await;
    }
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

/// The assignment a work row is about, as the cluster needs to see it.
struct Target {
    placement: Placement,
    spec: SecretSpec,
    cluster: String,
    /// An admin asked to take over a same-named object we do not own.
    adopt: bool,
}

async fn load_target(ctx: &Context, item: &Item) -> Result<Option<Target>, ServiceError> {
    let row = sqlx::query(
        "SELECT a.id AS assignment_id, s.name AS name, s.scope AS scope, s.spec AS spec, \
         p.namespace AS namespace, c.name AS cluster, \
         CASE WHEN a.adopt THEN 1 ELSE 0 END AS adopt FROM assignments a \
         JOIN secrets s ON s.id = a.secret_id JOIN projects p ON p.id = a.project_id \
         JOIN clusters c ON c.id = p.cluster_id WHERE a.secret_id = $1 AND a.project_id = $2",
    )
    .bind(item.secret_id)
    .bind(item.project_id)
    .fetch_optional(ctx.db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let spec: String = row.try_get("spec")?;
    let spec: SecretSpec = serde_json::from_str(&spec)
        .map_err(|e| ServiceError::Conflict(format!("stored spec unreadable: {e}")))?;
    let scope: String = row.try_get("scope")?;
    Ok(Some(Target {
        placement: Placement {
            secret_id: item.secret_id,
            assignment_id: row.try_get("assignment_id")?,
            scope: if scope == "Project" {
                Scope::Project
            } else {
                Scope::Organization
            },
            name: row.try_get("name")?,
            namespace: row.try_get("namespace")?,
        },
        spec,
        cluster: row.try_get("cluster")?,
        adopt: row.try_get::<i64, _>("adopt")? == 1,
    }))
}

/// Whether a kube error is worth retrying (the cluster is unreachable or overloaded), as
/// opposed to a refusal that will not change by itself.
fn transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => matches!(status.code, 408 | 429 | 500..=599),
        _ => true,
    }
}

/// Whether the cluster refused because the namespace does not exist.
/// Whether the API server refused a write because its namespace does not exist. Read from the
/// `Status`'s reason and details, as kube-apiserver's NamespaceLifecycle admission writes them
/// (`errors.NewNotFound(v1.Resource("namespaces"), namespace)`: 404, reason NotFound, details
/// kind `namespaces` in the core group), never from its message text.
fn missing_namespace(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status)
        if status.code == 404
            && status.reason == "NotFound"
            && status
                .details
                .as_ref()
                .is_some_and(|details| details.kind == "namespaces" && details.group.is_empty()))
}

/// A refusal in words a user can act on.
fn refusal(target: &Target, kind: &str, error: &kube::Error) -> String {
    let name = &target.placement.name;
    let namespace = &target.placement.namespace;
    let cluster = &target.cluster;
    match error {
        error if missing_namespace(error) => {
            format!(
                "Namespace `{namespace}` does not exist on cluster {cluster}; ask a platform admin to create it."
            )
        }
        kube::Error::Api(status) if status.code == 404 => format!(
            "Cluster {cluster} does not serve {kind} objects (is External Secrets Operator installed?): {}",
            status.message
        ),
        kube::Error::Api(status) if status.code == 403 => format!(
            "secrets-console may not write {kind} `{name}` in namespace `{namespace}` on cluster {cluster}; \
             ask a platform admin to bind its role in that namespace (docs/deploy.md). The cluster said: {}",
            status.message
        ),
        kube::Error::Api(status) if status.code == 409 => format!(
            "{kind} `{name}` in namespace `{namespace}` on cluster {cluster} has fields another tool manages; it was left untouched: {}",
            status.message
        ),
        kube::Error::Api(status) => format!(
            "Cluster {cluster} refused {kind} `{name}`: {}",
            status.message
        ),
        other => format!("Cluster {cluster} could not be reached: {other}"),
    }
}

/// An object of that name which is not ours (or is another assignment's): named, never touched.
async fn foreign(
    api: &Api<DynamicObject>,
    kind: &str,
    target: &Target,
) -> Result<Option<String>, kube::Error> {
    let Some(existing) = api.get_opt(&target.placement.name).await? else {
        return Ok(None);
    };
    let labels = existing.metadata.labels.unwrap_or_default();
    let ours = labels.get(LABEL_ASSIGNMENT_ID) == Some(&target.placement.assignment_id.to_string())
        && labels.get(manifest::LABEL_MANAGED_BY).map(String::as_str) == Some(manifest::MANAGED_BY);
    Ok((!ours).then(|| {
        format!(
            "A {kind} named `{}` already exists in namespace `{}` on cluster {} and is not managed by this assignment; it was left untouched. Rename the secret or remove that {kind}.",
            target.placement.name, target.placement.namespace, target.cluster
        )
    }))
}

async fn observe(ctx: &Context, item: &Item, observation: Observation) -> Result<(), ServiceError> {
    match secrets::observe(&ctx.db, item.secret_id, item.project_id, &observation).await {
        Ok(_) | Err(ServiceError::NotFound) => Ok(()),
        Err(error) => Err(error),
    }
}

async fn process(
    ctx: &Context,
    cluster: &ClusterHandle,
    item: &Item,
    rejudge: &Rejudge,
) -> Result<Outcome, ServiceError> {
    let Some(target) = load_target(ctx, item).await? else {
        // The assignment is gone (its delete finished): nothing left to do.
        return Ok(Outcome::Done);
    };
    let (kind, resource) = match target.spec {
        SecretSpec::External(_) => ("ExternalSecret", external_secret_resource()),
        SecretSpec::Kubernetes(_) => ("Secret", secret_resource()),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(
        cluster.client.clone(),
        &target.placement.namespace,
        &resource,
    );
    match item.op.as_str() {
        "delete" => delete(ctx, item, &target, &api, kind).await,
        "sync" if kind == "ExternalSecret" => {
            // Never annotate an object that is not ours (a Failed collision, say).
            match foreign(&api, kind, &target).await {
                Ok(Some(reason)) => {
                    observe(ctx, item, Observation::ForeignObject { reason }).await?;
                    return Ok(Outcome::Done);
                }
                Err(error) if transient(&error) => return Ok(Outcome::Retry(error.to_string())),
                Ok(None) | Err(_) => {}
            }
            let patch = json!({"metadata": {"annotations": {"force-sync": now_ms().to_string()}}});
            let params = PatchParams {
                field_manager: Some(format!("{}-sync", manifest::FIELD_MANAGER)),
                ..PatchParams::default()
            };
            match api
                .patch(&target.placement.name, &params, &Patch::Merge(patch))
                .await
            {
                Ok(_) => Ok(Outcome::Done),
                // Not there yet: applying it syncs it.
                Err(kube::Error::Api(status)) if status.code == 404 => {
                    apply(ctx, cluster, item, &target, &api, kind, rejudge).await
                }
                Err(error) if transient(&error) => Ok(Outcome::Retry(error.to_string())),
                Err(error) => {
                    let reason = refusal(&target, kind, &error);
                    observe(ctx, item, Observation::ApplyRefused { reason }).await?;
                    Ok(Outcome::Done)
                }
            }
        }
        _ => apply(ctx, cluster, item, &target, &api, kind, rejudge).await,
    }
}

async fn apply(
    ctx: &Context,
    cluster: &ClusterHandle,
    item: &Item,
    target: &Target,
    api: &Api<DynamicObject>,
    kind: &str,
    rejudge: &Rejudge,
) -> Result<Outcome, ServiceError> {
    let manifest = match &target.spec {
        SecretSpec::External(spec) => manifest::external_secret(&target.placement, spec),
        SecretSpec::Kubernetes(spec) => {
            let values = secrets::decrypt_values(&ctx.db, &ctx.keys, item.secret_id).await?;
            let fingerprint = ctx.keys.fingerprint(&values);
            manifest::kubernetes_secret(&target.placement, spec, &values, &fingerprint)
        }
    };
    // Never overwrite what is not ours: the object itself, and for an ExternalSecret the Secret
    // ESO would write into.
    // (Unless an admin adopts it: then it is taken over.)
    let mut checks = vec![(api.clone(), kind)];
    if target.adopt {
        checks.clear();
    } else if kind == "ExternalSecret" {
        checks.push((
            Api::namespaced_with(
                api_client(api),
                &target.placement.namespace,
                &secret_resource(),
            ),
            "Secret",
        ));
    }
    for (check_api, check_kind) in &checks {
        match foreign(check_api, check_kind, target).await {
            Ok(None) => {}
            Ok(Some(reason)) => {
                observe(ctx, item, Observation::ForeignObject { reason }).await?;
                return Ok(Outcome::Done);
            }
            Err(error) if transient(&error) => return Ok(Outcome::Retry(error.to_string())),
            Err(error) if matches!(&error, kube::Error::Api(s) if s.code == 404) => {}
            Err(error) => return refuse(ctx, item, target, kind, &error).await,
        }
    }
    let Manifest(body) = manifest;
    let mut params = PatchParams::apply(manifest::FIELD_MANAGER);
    if target.adopt {
        params = params.force();
    }
    let started = std::time::Instant::now();
    let mut result = api
        .patch(&target.placement.name, &params, &Patch::Apply(&body))
        .await;
    crate::server::metrics::record_apply(
        &target.cluster,
        started.elapsed().as_secs_f64(),
        result.is_err(),
    );
    if let Err(error) = &result
        && missing_namespace(error)
    {
        if !cluster.creates_namespaces {
            // Failed until the namespace exists; retried with back-off, so it heals once a
            // platform admin creates it. (An adoption is not carried over to that later try.)
            return refuse(ctx, item, target, kind, error).await;
        }
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> =
            Api::all(cluster.client.clone());
        let namespace = serde_json::from_value(json!({
            "metadata": {"name": target.placement.namespace, "labels": {manifest::LABEL_MANAGED_BY: manifest::MANAGED_BY}}
        }))
        .expect("a namespace object");
        match namespaces.create(&PostParams::default(), &namespace).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(error) => return Ok(Outcome::Retry(error.to_string())),
        }
        result = api
            .patch(&target.placement.name, &params, &Patch::Apply(&body))
            .await;
    }
    match result {
        Ok(object) => {
            let generation = object.metadata.generation.unwrap_or(0);
            if target.adopt {
                clear_adopt(ctx, target).await?;
                tracing::info!(cluster = %target.cluster, namespace = %target.placement.namespace, name = %target.placement.name, "adopted an existing object");
            }
            observe(ctx, item, Observation::Applied { generation }).await?;
            // What the watch saw before this was recorded is judged again.
            let _ = rejudge.send((
                target.placement.namespace.clone(),
                target.placement.name.clone(),
            ));
            Ok(Outcome::Done)
        }
        Err(error) if transient(&error) => Ok(Outcome::Retry(error.to_string())),
        Err(error) => refuse(ctx, item, target, kind, &error).await,
    }
}

/// Records a refused apply as Failed with its reason. A missing namespace or permission is
/// tried again with back-off (it heals once the platform team creates the namespace or binds
/// the role); anything else waits for the next change. An adoption is one try: a refused one
/// is not kept for some later apply.
async fn refuse(
    ctx: &Context,
    item: &Item,
    target: &Target,
    kind: &str,
    error: &kube::Error,
) -> Result<Outcome, ServiceError> {
    clear_adopt(ctx, target).await?;
    let reason = refusal(target, kind, error);
    observe(
        ctx,
        item,
        Observation::ApplyRefused {
            reason: reason.clone(),
        },
    )
    .await?;
    let heals_outside =
        missing_namespace(error) || matches!(error, kube::Error::Api(status) if status.code == 403);
    Ok(if heals_outside {
        Outcome::Retry(reason)
    } else {
        Outcome::Done
    })
}

/// Ends an adoption request (it applies to one apply only).
async fn clear_adopt(ctx: &Context, target: &Target) -> Result<(), ServiceError> {
    if target.adopt {
        secrets::end_adoption(&ctx.db, target.placement.assignment_id).await?;
    }
    Ok(())
}

fn api_client(api: &Api<DynamicObject>) -> kube::Client {
    api.clone().into_client()
}

async fn delete(
    ctx: &Context,
    item: &Item,
    target: &Target,
    api: &Api<DynamicObject>,
    kind: &str,
) -> Result<Outcome, ServiceError> {
    match foreign(api, kind, target).await {
        // Ours or absent: delete (absent → already gone).
        Ok(None) => {}
        // Someone else's object of that name: never touch it; ours is not there.
        Ok(Some(_)) => {
            observe(ctx, item, Observation::ObjectGone).await?;
            return Ok(Outcome::Done);
        }
        Err(error) if transient(&error) => return Ok(Outcome::Retry(error.to_string())),
        Err(_) => {}
    }
    match api
        .delete(&target.placement.name, &DeleteParams::background())
        .await
    {
        Ok(either) => {
            if either.is_right() {
                observe(ctx, item, Observation::ObjectGone).await?;
            }
            // Otherwise a finalizer holds it: the watcher sees it go; the deadline catches a
            // finalizer nobody removes.
            Ok(Outcome::Done)
        }
        Err(kube::Error::Api(status)) if status.code == 404 => {
            observe(ctx, item, Observation::ObjectGone).await?;
            Ok(Outcome::Done)
        }
        Err(error) if transient(&error) => Ok(Outcome::Retry(error.to_string())),
        Err(error) => {
            let reason = refusal(target, kind, &error);
            observe(ctx, item, Observation::DeleteRefused { reason }).await?;
            Ok(Outcome::Done)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Status` answer as the API server sends it.
    fn api_error(status: serde_json::Value) -> kube::Error {
        kube::Error::Api(Box::new(serde_json::from_value(status).unwrap()))
    }

    #[test]
    fn a_missing_namespace_is_told_by_the_status_details_not_its_words() {
        let missing = api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "namespaces \"payments\" not found", "reason": "NotFound",
            "details": {"name": "payments", "kind": "namespaces"}, "code": 404
        }));
        assert!(missing_namespace(&missing));
        // The object itself not found mentions no namespace kind: not a missing namespace,
        // whatever its message says.
        let object = api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "secrets \"namespaces\" not found", "reason": "NotFound",
            "details": {"name": "namespaces", "kind": "secrets"}, "code": 404
        }));
        assert!(!missing_namespace(&object));
        // Forbidden under least-privilege roles is another case (the role cannot say).
        let forbidden = api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "secrets is forbidden: User cannot create resource in namespaces \"x\"",
            "reason": "Forbidden", "details": {"kind": "secrets"}, "code": 403
        }));
        assert!(!missing_namespace(&forbidden));
    }
}
