//! The status watcher: per cluster, watches on the ExternalSecrets and Secrets that carry our
//! labels feed the status engine (`domain::status`), then the rollup. Objects deleted or edited
//! out of band are put back (re-queued) and the drift is recorded in the audit log.
//!
//! Secrets are watched per project namespace, never cluster-wide: the console's role may read
//! Secrets only where its projects live (`deploy/`, least privilege). ExternalSecrets carry no
//! values and are watched with one cluster-wide watch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::stream::{AbortHandle, Abortable, SelectAll};
use futures::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DynamicObject};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::watcher::Event as WatchEvent;

use super::context::{
    Context, external_secret_resource, external_secret_resource_at, secret_resource,
};
use super::drift::{fingerprint_matches, heal, remove_orphan};
use super::events;
use super::watch_streams::{following, logged, owned_watch};
use crate::domain::status::{self, ConditionStatus, Observation, ReadyCondition};
use crate::server::cluster::manifest::LABEL_ASSIGNMENT_ID;
use crate::server::cluster::registry::ClusterHandle;
use crate::server::errors::ServiceError;
use crate::server::secrets::{self, Report};

/// What the watchers of one cluster share.
struct Seen {
    /// The Secrets carrying our labels that exist now, by (namespace, name).
    secrets: HashMap<(String, String), Secret>,
    /// Our ExternalSecrets as the cluster-wide watch last showed them: a kube-runtime
    /// reflector's store (a relist swaps in its result whole, at its end).
    external_secrets: Store<DynamicObject>,
    /// Namespaces whose Secrets have been listed: only there can a missing target Secret be
    /// told from one not seen yet (a replica that just took over, a project just created).
    listed: std::collections::HashSet<String>,
}

/// Runs both watches of a cluster until aborted; they restart with back-off on errors.
/// `rejudge` names objects the worker just applied: what the watch already saw of them is
/// judged again, so an event that arrived before the apply was recorded is not lost.
pub(crate) async fn run(
    ctx: Arc<Context>,
    cluster: ClusterHandle,
    rejudge: tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
) {
    let writer = reflector::store::Writer::new(external_secret_resource());
    let seen = Arc::new(Mutex::new(Seen {
        secrets: HashMap::new(),
        external_secrets: writer.as_reader(),
        listed: std::collections::HashSet::new(),
    }));
    let (namespace_tx, namespace_rx) = tokio::sync::mpsc::unbounded_channel();
    let (judge_tx, judge_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::join!(
        watch_secrets(
            ctx.clone(),
            cluster.clone(),
            seen.clone(),
            namespace_rx,
            judge_tx.clone()
        ),
        watch_external_secrets(ctx.clone(), cluster.clone(), seen.clone(), writer, judge_rx),
        judge_again(
            ctx.clone(),
            cluster.clone(),
            seen.clone(),
            rejudge,
            (namespace_tx, judge_tx.clone())
        ),
        resync(ctx, cluster, seen, judge_tx),
    );
}

/// ExternalSecrets to judge again, by (namespace, name): every judgement of an ExternalSecret
/// is made by the task of its watch, from the latest object it has seen. Judged elsewhere
/// from a copy taken earlier, a judgement could land after a newer one and undo it: a Synced
/// turned back into Pending, with nothing left to judge it again until the resync.
type JudgeExternalSecrets = tokio::sync::mpsc::UnboundedSender<(String, String)>;

/// Judges again each object the worker names after recording an apply: the names that
/// arrived together, in one burst.
async fn judge_again(
    ctx: Arc<Context>,
    cluster: ClusterHandle,
    seen: Arc<Mutex<Seen>>,
    mut rejudge: tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
    (namespaces, external_secrets): (
        tokio::sync::mpsc::UnboundedSender<String>,
        JudgeExternalSecrets,
    ),
) {
    let mut burst = Burst::default();
    while let Some(first) = rejudge.recv().await {
        let mut keys = vec![first];
        while keys.len() < BURST
            && let Ok(key) = rejudge.try_recv()
        {
            keys.push(key);
        }
        for key in keys {
            // An object was just applied: its namespace is watched from now on (a project
            // created a moment ago is not in the last namespace refresh).
            let _ = namespaces.send(key.0.clone());
            let (es, secret) = seen
                .lock()
                .map(|s| {
                    (
                        s.external_secrets.get(&es_ref(&key)).is_some(),
                        s.secrets.get(&key).cloned(),
                    )
                })
                .unwrap_or_default();
            if es {
                let _ = external_secrets.send(key);
            } else if let Some(secret) = secret
                && !is_external_secret_target(&secret)
            {
                burst.secret(secret);
            }
        }
        burst.judge(&ctx, &cluster, &seen).await;
    }
}

/// Most watch events (or objects) judged together; their statuses are written in one
/// transaction.
const BURST: usize = 256;

/// Objects to judge together: those of a burst of watch events, each once in its latest
/// state. Judging one at a time wrote each status in a transaction of its own, and a watch's
/// events waited behind those writes.
#[derive(Default)]
struct Burst {
    external_secrets: HashMap<(String, String), Arc<DynamicObject>>,
    secrets: HashMap<(String, String), Secret>,
}

impl Burst {
    fn external_secret(&mut self, es: Arc<DynamicObject>) {
        self.external_secrets.insert(key_of(&es.metadata), es);
    }

    fn secret(&mut self, secret: Secret) {
        self.secrets.insert(key_of(&secret.metadata), secret);
    }

    /// Judges every object gathered and records what changed, in one transaction; then puts
    /// back the Secrets edited out of band.
    async fn judge(&mut self, ctx: &Context, cluster: &ClusterHandle, seen: &Arc<Mutex<Seen>>) {
        let mut reports = Vec::new();
        let mut edited = Vec::new();
        for (_, es) in self.external_secrets.drain() {
            if let Some(report) = assess_external_secret(ctx, cluster, seen, &es).await {
                reports.push(report);
            }
        }
        for (_, secret) in self.secrets.drain() {
            if let Some((report, matches)) = assess_kubernetes_secret(ctx, cluster, &secret).await {
                if !matches {
                    edited.push((report.secret_id, report.project_id));
                }
                reports.push(report);
            }
        }
        record(ctx, &reports).await;
        for (secret_id, project_id) in edited {
            let what = "Secret edited outside secrets-console";
            heal(ctx, &cluster.name, secret_id, project_id, what).await;
        }
    }
}

/// Like an informer's resync: everything seen is judged again now and then, so the statuses
/// converge on the truth whatever was missed. Its own task: a pass over thousands of objects
/// takes a while, and the judgements the worker asks for after each apply must not wait for
/// it (they did, and a burst of applies sat Pending for up to a resync period).
async fn resync(
    ctx: Arc<Context>,
    cluster: ClusterHandle,
    seen: Arc<Mutex<Seen>>,
    external_secrets: JudgeExternalSecrets,
) {
    let mut ticks = tokio::time::interval(ctx.options.resync);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (all_es, all_secrets): (Vec<Arc<DynamicObject>>, Vec<Secret>) = seen
            .lock()
            .map(|s| {
                (
                    s.external_secrets.state(),
                    s.secrets.values().cloned().collect(),
                )
            })
            .unwrap_or_default();
        for es in all_es {
            let _ = external_secrets.send(key_of(&es.metadata));
        }
        let mut burst = Burst::default();
        for secret in all_secrets
            .into_iter()
            .filter(|s| !is_external_secret_target(s))
        {
            burst.secret(secret);
            if burst.secrets.len() == BURST {
                burst.judge(&ctx, &cluster, &seen).await;
            }
        }
        burst.judge(&ctx, &cluster, &seen).await;
    }
}

/// Judges one of our Kubernetes Secrets: present, and holding what we wrote? The report,
/// and whether the data matched (`None`: nothing to record).
async fn assess_kubernetes_secret(
    ctx: &Context,
    cluster: &ClusterHandle,
    secret: &Secret,
) -> Option<(Report, bool)> {
    let Some((secret_id, project_id, status)) = assignment(ctx, &secret.metadata).await else {
        remove_orphan(ctx, cluster, &secret.metadata, &secret_resource()).await;
        return None;
    };
    if status == "Deleting" {
        return None;
    }
    let matches = fingerprint_matches(ctx, secret_id, secret).await;
    let observation = Observation::KubernetesSecret {
        present: true,
        fingerprint_matches: matches,
    };
    Some((
        Report {
            secret_id,
            project_id,
            observation,
        },
        matches,
    ))
}

fn key_of(meta: &kube::api::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// The assignment an object of ours belongs to: (secret id, project id, status).
async fn assignment(ctx: &Context, meta: &kube::api::ObjectMeta) -> Option<(i64, i64, String)> {
    let id: i64 = meta
        .labels
        .as_ref()?
        .get(LABEL_ASSIGNMENT_ID)?
        .parse()
        .ok()?;
    sqlx::query_as("SELECT secret_id, project_id, status FROM assignments WHERE id = $1")
        .bind(id)
        .fetch_optional(ctx.db.pool())
        .await
        .ok()
        .flatten()
}

async fn observe(ctx: &Context, secret_id: i64, project_id: i64, observation: Observation) {
    // A busy database (SQLite under load) is waited out: a lost observation would leave a
    // badge that no longer tells the truth until the next resync.
    for attempt in 0..5_u32 {
        match secrets::observe(&ctx.db, secret_id, project_id, &observation).await {
            Ok(_) | Err(ServiceError::NotFound) => return,
            Err(error) if attempt == 4 => {
                tracing::warn!(%error, secret_id, project_id, "could not record a status");
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await,
        }
    }
}

/// Records the reports of a burst (those that change nothing cost a read), waiting out a busy
/// database as [`observe`] does.
async fn record(ctx: &Context, reports: &[Report]) {
    if reports.is_empty() {
        return;
    }
    for attempt in 0..5_u32 {
        match secrets::observe_all(&ctx.db, reports).await {
            Ok(()) => return,
            Err(error) if attempt == 4 => {
                tracing::warn!(%error, reports = reports.len(), "could not record statuses");
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await,
        }
    }
}

type SecretEvents =
    SelectAll<Abortable<futures::stream::BoxStream<'static, (String, WatchEvent<Secret>)>>>;

/// Starts watching the Secrets of one more namespace (nothing if it is watched already).
fn watch_namespace(
    events: &mut SecretEvents,
    watched: &mut HashMap<String, AbortHandle>,
    cluster: &ClusterHandle,
    namespace: String,
) {
    if watched.contains_key(&namespace) {
        return;
    }
    let (handle, registration) = AbortHandle::new_pair();
    let api: Api<Secret> = Api::namespaced(cluster.watch_client.clone(), &namespace);
    let tagged = namespace.clone();
    let stream = logged(owned_watch(api), cluster, "Secret")
        .map(move |event| (tagged.clone(), event))
        .boxed();
    events.push(Abortable::new(stream, registration));
    watched.insert(namespace, handle);
}

/// One label-selected watch of Secrets per project namespace, merged into one stream. The set
/// follows the projects: refreshed from the database now and then, and at once for a namespace
/// the worker has just applied to.
async fn watch_secrets(
    ctx: Arc<Context>,
    cluster: ClusterHandle,
    seen: Arc<Mutex<Seen>>,
    mut more: tokio::sync::mpsc::UnboundedReceiver<String>,
    external_secrets: JudgeExternalSecrets,
) {
    let mut events = SelectAll::new();
    let mut watched: HashMap<String, AbortHandle> = HashMap::new();
    let mut burst = Burst::default();
    let mut refresh = tokio::time::interval(ctx.options.namespace_refresh);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let event = tokio::select! {
            Some(event) = events.next(), if !events.is_empty() => event,
            Some(namespace) = more.recv() => {
                watch_namespace(&mut events, &mut watched, &cluster, namespace);
                continue;
            }
            _ = refresh.tick() => {
                let namespaces = crate::server::projects::namespaces_on(&ctx.db, cluster.id)
                    .await
                    .map_err(|error| {
                        tracing::warn!(cluster = %cluster.name, %error, "cannot list project namespaces")
                    });
                if let Ok(namespaces) = namespaces {
                    watched.retain(|namespace, handle| {
                        let keep = namespaces.contains(namespace);
                        if !keep {
                            handle.abort();
                            if let Ok(mut s) = seen.lock() {
                                s.listed.remove(namespace);
                            }
                        }
                        keep
                    });
                    for namespace in namespaces {
                        watch_namespace(&mut events, &mut watched, &cluster, namespace);
                    }
                }
                continue;
            }
        };
        // The events already waiting come with it: their objects are judged together.
        let mut pending = vec![event];
        while pending.len() < BURST
            && let Some(Some(next)) = events.next().now_or_never()
        {
            pending.push(next);
        }
        for (namespace, event) in pending {
            let sink = (&mut burst, &external_secrets);
            secret_event(&ctx, &cluster, &seen, sink, namespace, event).await;
        }
        burst.judge(&ctx, &cluster, &seen).await;
    }
}

/// Takes in one event of a namespace's Secret watch; what it asks to judge joins `burst`.
async fn secret_event(
    ctx: &Context,
    cluster: &ClusterHandle,
    seen: &Arc<Mutex<Seen>>,
    (burst, external_secrets): (&mut Burst, &JudgeExternalSecrets),
    namespace: String,
    event: WatchEvent<Secret>,
) {
    match event {
        WatchEvent::Apply(secret) | WatchEvent::InitApply(secret) => {
            let key = key_of(&secret.metadata);
            let fresh = seen
                .lock()
                .map(|mut s| s.secrets.insert(key.clone(), secret.clone()).is_none())
                .unwrap_or(false);
            if is_external_secret_target(&secret) {
                if fresh {
                    reevaluate_target(seen, external_secrets, &key);
                }
                return;
            }
            burst.secret(secret);
        }
        WatchEvent::Delete(secret) => {
            let key = key_of(&secret.metadata);
            if let Ok(mut s) = seen.lock() {
                s.secrets.remove(&key);
            }
            if is_external_secret_target(&secret) {
                reevaluate_target(seen, external_secrets, &key);
                return;
            }
            // What came before it is recorded first, as it happened.
            burst.judge(ctx, cluster, seen).await;
            if let Some((secret_id, project_id, status)) = assignment(ctx, &secret.metadata).await {
                if status == "Deleting" || status == "DeleteFailed" {
                    observe(ctx, secret_id, project_id, Observation::ObjectGone).await;
                } else {
                    observe(
                        ctx,
                        secret_id,
                        project_id,
                        Observation::KubernetesSecret {
                            present: false,
                            fingerprint_matches: false,
                        },
                    )
                    .await;
                    heal(
                        ctx,
                        &cluster.name,
                        secret_id,
                        project_id,
                        "Secret deleted (or its labels removed) outside secrets-console",
                    )
                    .await;
                }
            }
        }
        WatchEvent::InitDone => {
            // Now a target missing here is missing: judge what waited for this list.
            let waiting: Vec<Arc<DynamicObject>> = seen
                .lock()
                .map(|mut s| {
                    s.listed.insert(namespace.clone());
                    s.external_secrets.state_filter(|es| {
                        es.metadata.namespace.as_deref() == Some(namespace.as_str())
                    })
                })
                .unwrap_or_default();
            for es in waiting {
                let _ = external_secrets.send(key_of(&es.metadata));
            }
        }
        WatchEvent::Init => {
            // What was gathered is judged while its namespace is still listed.
            burst.judge(ctx, cluster, seen).await;
            // A relist: what it does not list again is gone (deleted while the watch was
            // down), so that namespace is forgotten until the list is done.
            if let Ok(mut s) = seen.lock() {
                s.secrets.retain(|(ns, _), _| *ns != namespace);
                s.listed.remove(&namespace);
            }
        }
    }
}

fn is_external_secret_target(secret: &Secret) -> bool {
    secret
        .metadata
        .owner_references
        .as_ref()
        .is_some_and(|refs| refs.iter().any(|r| r.kind == "ExternalSecret"))
}

/// A target Secret appeared or vanished: the ExternalSecret writing it is judged again.
fn reevaluate_target(
    seen: &Arc<Mutex<Seen>>,
    external_secrets: &JudgeExternalSecrets,
    key: &(String, String),
) {
    let writers: Vec<Arc<DynamicObject>> = seen
        .lock()
        .map(|s| {
            s.external_secrets.state_filter(|es| {
                es.metadata.namespace.as_deref() == Some(key.0.as_str()) && target_name(es) == key.1
            })
        })
        .unwrap_or_default();
    for es in writers {
        let _ = external_secrets.send(key_of(&es.metadata));
    }
}

fn target_name(es: &DynamicObject) -> String {
    es.data["spec"]["target"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .or_else(|| es.metadata.name.clone())
        .unwrap_or_default()
}

/// Judges one of our ExternalSecrets: what ESO says of it, and whether its Secret is there
/// (`None`: nothing to record, or not yet: its namespace's Secrets are not listed).
async fn assess_external_secret(
    ctx: &Context,
    cluster: &ClusterHandle,
    seen: &Arc<Mutex<Seen>>,
    es: &DynamicObject,
) -> Option<Report> {
    let Some((secret_id, project_id, _)) = assignment(ctx, &es.metadata).await else {
        remove_orphan(
            ctx,
            cluster,
            &es.metadata,
            &external_secret_resource_at(cluster.eso.api_version()),
        )
        .await;
        return None;
    };
    let (namespace, name) = key_of(&es.metadata);
    let Some(target_present) = seen
        .lock()
        .ok()
        .filter(|s| s.listed.contains(&namespace))
        .map(|s| {
            s.secrets
                .contains_key(&(namespace.clone(), target_name(es)))
        })
    else {
        // Its namespace's Secrets are not listed yet; judged when they are.
        return None;
    };
    let condition = crate::server::cluster::ready_condition(&es.data);
    let mut ready = condition.map(|c| ReadyCondition {
        status: match c["status"].as_str() {
            Some("True") => ConditionStatus::True,
            Some("False") => ConditionStatus::False,
            _ => ConditionStatus::Unknown,
        },
        reason: c["reason"].as_str().map(str::to_owned),
        message: c["message"].as_str().map(str::to_owned),
    });
    if let Some(ready) = ready.as_mut()
        && ready.status != ConditionStatus::True
    {
        match events::latest_warning(cluster, &namespace, &name).await {
            Some(warning) => {
                if let Err(error) =
                    secrets::record_warning(&ctx.db, secret_id, project_id, &warning).await
                {
                    tracing::warn!(%error, "could not record the latest warning");
                }
                ready.message = Some(warning);
            }
            // The event expired (or was never seen): the detail kept from it still explains
            // this failure better than the condition's general words.
            None => {
                if let Some(kept) = secrets::kept_warning(&ctx.db, secret_id, project_id).await {
                    ready.message = Some(kept);
                }
            }
        }
    }
    let synced_generation = es.data["status"]["syncedResourceVersion"]
        .as_str()
        .and_then(status::synced_generation);
    let refreshed_at =
        serde_json::from_value::<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>(
            es.data["status"]["refreshTime"].clone(),
        )
        .ok()
        .map(|at| at.0.as_millisecond());
    Some(Report {
        secret_id,
        project_id,
        observation: Observation::ExternalSecret {
            generation: es.metadata.generation.unwrap_or(0),
            synced_generation,
            ready,
            target_present,
            refreshed_at,
        },
    })
}

/// The key of an ExternalSecret in the reflector's store.
fn es_ref((namespace, name): &(String, String)) -> ObjectRef<DynamicObject> {
    ObjectRef::new_with(name, external_secret_resource()).within(namespace)
}

async fn watch_external_secrets(
    ctx: Arc<Context>,
    cluster: ClusterHandle,
    seen: Arc<Mutex<Seen>>,
    mut writer: reflector::store::Writer<DynamicObject>,
    mut asked: tokio::sync::mpsc::UnboundedReceiver<(String, String)>,
) {
    // At the version the cluster serves, started over at another when discovery finds one.
    let (client, named) = (cluster.watch_client.clone(), cluster.clone());
    let events = following(cluster.eso.clone(), move |version| {
        let api = Api::all_with(client.clone(), &external_secret_resource_at(version));
        logged(owned_watch(api), &named, "ExternalSecret")
    });
    let store = writer.as_reader();
    // What the store held when a relist began: whatever the relist does not list again was
    // deleted while the watch was away, and no Delete event will ever say so.
    let mut before_relist: Vec<Arc<DynamicObject>> = Vec::new();
    // While a relist runs, the store still holds what it held before it: the objects listed
    // so far are the latest.
    let mut relisted: Option<HashMap<(String, String), Arc<DynamicObject>>> = None;
    let mut burst = Burst::default();
    // The events already waiting are taken together: their objects are judged at once.
    let mut events = events.ready_chunks(BURST);
    loop {
        tokio::select! {
            chunk = events.next() => {
                let Some(chunk) = chunk else { return };
                for event in chunk {
                    writer.apply_watcher_event(&event);
                    match event {
                        WatchEvent::Apply(es) | WatchEvent::InitApply(es) => {
                            let es = Arc::new(es);
                            if let Some(relisted) = relisted.as_mut() {
                                relisted.insert(key_of(&es.metadata), es.clone());
                            }
                            if es.metadata.deletion_timestamp.is_none() {
                                burst.external_secret(es);
                            }
                        }
                        WatchEvent::Delete(es) => {
                            burst.judge(&ctx, &cluster, &seen).await;
                            external_secret_gone(&ctx, &cluster, &es).await;
                        }
                        WatchEvent::Init => {
                            burst.judge(&ctx, &cluster, &seen).await;
                            before_relist = store.state();
                            relisted = Some(HashMap::new());
                        }
                        WatchEvent::InitDone => {
                            burst.judge(&ctx, &cluster, &seen).await;
                            relisted = None;
                            for es in std::mem::take(&mut before_relist) {
                                if store.get(&es_ref(&key_of(&es.metadata))).is_none() {
                                    external_secret_gone(&ctx, &cluster, &es).await;
                                }
                            }
                        }
                    }
                }
            }
            Some(first) = asked.recv() => {
                let mut keys = vec![first];
                while keys.len() < BURST
                    && let Ok(key) = asked.try_recv()
                {
                    keys.push(key);
                }
                for key in keys {
                    let latest = relisted
                        .as_ref()
                        .and_then(|r| r.get(&key).cloned())
                        .or_else(|| store.get(&es_ref(&key)));
                    if let Some(es) = latest
                        && es.metadata.deletion_timestamp.is_none()
                    {
                        burst.external_secret(es);
                    }
                }
            }
        }
        burst.judge(&ctx, &cluster, &seen).await;
    }
}

/// One of our ExternalSecrets is gone: deleted as asked, or out of band (then put back).
async fn external_secret_gone(ctx: &Context, cluster: &ClusterHandle, es: &DynamicObject) {
    let Some((secret_id, project_id, status)) = assignment(ctx, &es.metadata).await else {
        return;
    };
    observe(ctx, secret_id, project_id, Observation::ObjectGone).await;
    if status != "Deleting" && status != "DeleteFailed" {
        heal(
            ctx,
            &cluster.name,
            secret_id,
            project_id,
            "ExternalSecret deleted (or its labels removed) outside secrets-console",
        )
        .await;
    }
}
