//! The object store of one simulated cluster: what etcd and the API server's registry do
//! together. Objects are JSON; every write gets the next resourceVersion and an event in a
//! bounded history that watches resume from.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};

use super::kinds;
use super::managed::{self, Entry, Part};
use super::resources::{TYPES, TypeId};
use super::status::ApiError;

mod gc;
mod list;
mod patching;
mod state;
mod strategic;
mod strategies;
mod write;

/// Where an object lives: its kind, namespace (empty when cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// Index into [`TYPES`].
    pub type_id: TypeId,
    /// Namespace, or empty for cluster-scoped kinds.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl Key {
    /// A key.
    pub fn new(type_id: TypeId, namespace: &str, name: &str) -> Self {
        Self {
            type_id,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed.
    Deleted,
}

impl EventType {
    /// The watch event's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change, as watches see it.
#[derive(Debug)]
pub struct Event {
    /// The resourceVersion the change was written at.
    pub rv: u64,
    /// Where the object lives.
    pub key: Key,
    /// What happened.
    pub kind: EventType,
    /// The object after the change (before it, for a deletion, with the deletion's version).
    pub object: Value,
    /// The object before the change, if there was one.
    pub previous: Option<Value>,
}

/// Who writes and how.
#[derive(Debug, Clone)]
pub struct WriteContext {
    /// The field manager recorded in `managedFields`.
    pub manager: String,
    /// `dryRun=All`: do everything but store.
    pub dry_run: bool,
    /// `fieldValidation=Strict`: refuse unknown fields instead of dropping them.
    pub strict: bool,
    /// `fieldValidation` for built-in kinds (`Warn` when absent, as kube-apiserver defaults it).
    pub validation: super::strict::recorder::FieldValidation,
    /// The request's warnings, and a patch body's strict errors (`super::strict`).
    pub recorder: super::strict::recorder::Recorder,
    /// Written at `external-secrets.io/v1beta1` (an older operator install, `legacy_eso`):
    /// an ExternalSecret is pruned by v1beta1's schema, which lacks some of v1's fields.
    pub v1beta1: bool,
}

impl WriteContext {
    /// A normal write by a manager.
    pub fn new(manager: &str) -> Self {
        Self {
            manager: manager.to_owned(),
            dry_run: false,
            strict: false,
            validation: super::strict::recorder::FieldValidation::default(),
            recorder: super::strict::recorder::Recorder::default(),
            v1beta1: false,
        }
    }
}

/// A patch body, by content type.
#[derive(Debug, Clone)]
pub enum Patch {
    /// `application/merge-patch+json` (RFC 7386).
    Merge(Value),
    /// `application/json-patch+json` (RFC 6902).
    Json(Value),
    /// `application/strategic-merge-patch+json` (built-in kinds only).
    Strategic(Value),
    /// `application/apply-patch+yaml`: server-side apply.
    Apply {
        /// The applied configuration.
        config: Value,
        /// Take ownership of conflicting fields.
        force: bool,
    },
}

/// Delete options that matter here.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Precondition on the object's uid.
    pub uid: Option<String>,
    /// Precondition on the object's resourceVersion.
    pub resource_version: Option<String>,
    /// `orphanDependents` (deprecated; validation keeps it apart from `propagation`).
    pub orphan_dependents: Option<bool>,
    /// `propagationPolicy`: `Orphan` and `Foreground` make the object wait for the garbage
    /// collector (`orphan` / `foregroundDeletion` finalizers), `Background` does not.
    pub propagation: Option<Propagation>,
    /// `dryRun=All`.
    pub dry_run: bool,
}

/// Where a watch starts.
#[derive(Debug)]
pub struct WatchStart {
    /// Events to send first (history, or synthetic ADDED events for the current state).
    pub initial: Vec<Arc<Event>>,
    /// Live events; only those with `rv` above `from` are new.
    pub live: broadcast::Receiver<Arc<Event>>,
    /// The resourceVersion the initial events cover.
    pub from: u64,
}

/// A page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// The objects.
    pub items: Vec<Value>,
    /// The list's resourceVersion.
    pub rv: u64,
    /// Token for the next page.
    pub continue_token: Option<String>,
    /// How many items are left after this page.
    pub remaining: usize,
}

struct State {
    rv: u64,
    /// Watches and continue tokens older than this get 410 Gone.
    compacted: u64,
    objects: BTreeMap<Key, Value>,
    history: VecDeque<Arc<Event>>,
    history_limit: usize,
    events: broadcast::Sender<Arc<Event>>,
    /// How long after an owner is removed its dependents are collected (zero: at once).
    gc_delay: std::time::Duration,
    /// The garbage collector's work, done once due.
    gc_queue: VecDeque<(std::time::Instant, Work)>,
}

/// The store of one simulated cluster.
pub struct Store {
    state: Mutex<State>,
    events: broadcast::Sender<Arc<Event>>,
    changed: Notify,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

fn meta_str<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get("metadata")?.get(field)?.as_str()
}

fn rv_string(rv: u64) -> Value {
    Value::String(rv.to_string())
}

fn parse_rv(raw: &str) -> Result<u64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("Invalid resourceVersion: \"{raw}\"")))
}

fn finalizers(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn owner_uids(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| o["uid"].as_str())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The object without what changes on every write, for no-op detection.
fn comparable(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(metadata) = copy.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("resourceVersion");
        if let Some(Value::Array(entries)) = metadata.get_mut("managedFields") {
            for entry in entries {
                if let Some(e) = entry.as_object_mut() {
                    e.remove("time");
                }
            }
        }
    }
    copy
}

/// The object's spec-like content (without metadata and status), for `generation`.
fn spec_part(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(o) = copy.as_object_mut() {
        o.remove("metadata");
        o.remove("status");
    }
    copy
}

/// Fills in `apiVersion` and `kind`, or refuses a body for another kind.
fn check_kind(type_id: TypeId, object: &mut Value) -> Result<(), ApiError> {
    let t = &TYPES[type_id];
    if !object.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    let api_version = t.api_version();
    match object.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => object["apiVersion"] = json!(api_version),
        Some(v) if v == api_version => {}
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
    }
    match object.get("kind").and_then(Value::as_str) {
        None | Some("") => object["kind"] = json!(t.kind),
        Some(k) if k == t.kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                t.kind
            )));
        }
    }
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    Ok(())
}

/// The part of the object a request writes.
fn part_for(type_id: TypeId, status: bool) -> Part {
    if status {
        Part::Status
    } else {
        Part::Main {
            status_separate: TYPES[type_id].status_subresource,
        }
    }
}

/// Refuses unknown fields under `fieldValidation=Strict`, worded as kube-apiserver words it.
fn check_strict(type_id: TypeId, object: &Value, ctx: &WriteContext) -> Result<(), ApiError> {
    if !ctx.strict {
        return Ok(());
    }
    let t = &TYPES[type_id];
    let mut unknown = kinds::unknown_fields(t, object);
    let mut version = t.version;
    if ctx.v1beta1 && t.kind == "ExternalSecret" {
        unknown.extend(super::v1beta1_pruning::v1_only_fields(object));
        version = "v1beta1";
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    Err(ApiError::bad_request(format!(
        "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
        listed.join(", "),
        kind = t.kind,
    )))
}

fn invalid(key: &Key, errors: &[super::schema::FieldError]) -> ApiError {
    ApiError::invalid(&TYPES[key.type_id], &key.name, errors)
}

impl Store {
    /// An empty store keeping `history_limit` events for watches to resume from.
    pub fn new(history_limit: usize) -> Self {
        let (events, _) = broadcast::channel(8192);
        Self {
            state: Mutex::new(State {
                rv: 1,
                compacted: 0,
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                history_limit: history_limit.max(1),
                events: events.clone(),
                gc_delay: std::time::Duration::ZERO,
                gc_queue: VecDeque::new(),
            }),
            events,
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent JSON behind; keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves when something was written since the last call (for persistence).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    fn touched(&self) {
        self.changed.notify_one();
    }

    /// Every event, as it happens.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.events.subscribe()
    }

    /// The latest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// Collects dependents `delay` after their owner is removed, as kube-controller-manager's
    /// garbage collector does: it learns of the removal from its informers and deletes the
    /// dependents through its own work queue (`pkg/controller/garbagecollector`), seconds
    /// later under load, never inside the owner's delete. Zero (the default of a bare store)
    /// collects at once. A cluster's [`Store::collect_garbage`] must then run now and then.
    pub fn set_gc_delay(&self, delay: std::time::Duration) {
        self.lock().gc_delay = delay;
    }

    /// Does the garbage collector's work that is due (the GC delay after it was queued):
    /// deletes the dependents of removed owners, and orphans or deletes those of owners being
    /// deleted with `orphan` / `foregroundDeletion` (`store/gc.rs`); the number of owners
    /// handled.
    pub fn collect_garbage(&self) -> usize {
        let now = std::time::Instant::now();
        let mut state = self.lock();
        let mut handled = 0;
        while state.gc_queue.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, work)) = state.gc_queue.pop_front() {
                state.run_gc(work);
                handled += 1;
            }
        }
        drop(state);
        if handled > 0 {
            self.touched();
        }
        handled
    }

    /// Forgets the watch history, as etcd compaction does: older watches get 410 Gone.
    pub fn compact(&self) {
        let mut state = self.lock();
        state.history.clear();
        state.compacted = state.rv;
    }

    /// One object.
    pub fn get(&self, key: &Key) -> Result<Value, ApiError> {
        self.lock()
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&TYPES[key.type_id], &key.name))
    }

    /// Starts a watch on a kind from a resourceVersion (`None`: the current state first, as
    /// synthetic ADDED events).
    pub fn watch(&self, type_id: TypeId, from: Option<u64>) -> Result<WatchStart, ApiError> {
        let state = self.lock();
        let live = self.events.subscribe();
        let initial = match from {
            None | Some(0) => state
                .objects
                .range(Key::new(type_id, "", "")..)
                .take_while(|(k, _)| k.type_id == type_id)
                .map(|(k, o)| {
                    Arc::new(Event {
                        rv: meta_str(o, "resourceVersion")
                            .and_then(|r| r.parse().ok())
                            .unwrap_or(0),
                        key: k.clone(),
                        kind: EventType::Added,
                        object: o.clone(),
                        previous: None,
                    })
                })
                .collect(),
            Some(rv) if rv < state.compacted => {
                return Err(ApiError::gone(format!(
                    "too old resource version: {rv} ({})",
                    state.compacted
                )));
            }
            Some(rv) => state
                .history
                .iter()
                .filter(|e| e.rv > rv && e.key.type_id == type_id)
                .cloned()
                .collect(),
        };
        Ok(WatchStart {
            initial,
            live,
            from: state.rv,
        })
    }

    /// Deletes an object. Returns it and whether it is gone (false: waiting on finalizers).
    pub fn delete(&self, key: &Key, options: &DeleteOptions) -> Result<(Value, bool), ApiError> {
        let result = self.lock().delete(key, options);
        self.touched();
        result
    }

    /// Deletes every object of a kind (in a namespace) that passes the filter.
    pub fn delete_collection(
        &self,
        type_id: TypeId,
        namespace: Option<&str>,
        filter: &dyn Fn(&Value) -> bool,
        options: &DeleteOptions,
    ) -> Vec<Value> {
        let mut state = self.lock();
        let keys: Vec<Key> = state
            .objects
            .iter()
            .filter(|(k, o)| {
                k.type_id == type_id && namespace.is_none_or(|ns| k.namespace == ns) && filter(o)
            })
            .map(|(k, _)| k.clone())
            .collect();
        let deleted = keys
            .iter()
            .filter_map(|k| state.delete(k, options).ok().map(|(o, _)| o))
            .collect();
        drop(state);
        self.touched();
        deleted
    }

    /// Everything, for saving: the resourceVersion and every object.
    pub fn snapshot(&self) -> Value {
        let state = self.lock();
        let objects: Vec<&Value> = state.objects.values().collect();
        json!({"resourceVersion": state.rv, "objects": objects})
    }

    /// Loads a snapshot into an empty store. Watches cannot resume from before it.
    pub fn restore(&self, snapshot: &Value) {
        let mut state = self.lock();
        state.rv = snapshot["resourceVersion"].as_u64().unwrap_or(1);
        state.compacted = state.rv;
        for object in snapshot["objects"].as_array().into_iter().flatten() {
            let api_version = object["apiVersion"].as_str().unwrap_or_default();
            let (group, _) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let kind = object["kind"].as_str().unwrap_or_default();
            if let Some(type_id) = super::resources::by_kind(group, kind) {
                let key = Key::new(
                    type_id,
                    meta_str(object, "namespace").unwrap_or_default(),
                    meta_str(object, "name").unwrap_or_default(),
                );
                state.objects.insert(key, object.clone());
            }
        }
        state.resume_gc();
    }
}

/// Server-side apply: conflicts with other managers, removal of fields this manager stopped
/// applying, merge, and the new ownership.
fn apply(
    key: &Key,
    old: &Value,
    mut config: Value,
    part: Part,
    force: bool,
    ctx: &WriteContext,
) -> Result<(Value, Vec<Entry>), ApiError> {
    let t = &TYPES[key.type_id];
    match part {
        Part::Main {
            status_separate: true,
        } => {
            if let Some(o) = config.as_object_mut() {
                o.remove("status");
            }
        }
        Part::Status => {
            let status = config.get("status").cloned();
            config =
                json!({"apiVersion": config["apiVersion"], "kind": config["kind"], "metadata": {}});
            if let Some(s) = status {
                config["status"] = s;
            }
        }
        Part::Main { .. } => {}
    }
    let wanted = managed::fields_of(&config, part);
    let sub = if part == Part::Status { "status" } else { "" };
    let mut entries = managed::read(old);
    let mut conflicts = Vec::new();
    for entry in entries
        .iter()
        .filter(|e| !(e.manager == ctx.manager && e.operation == "Apply"))
    {
        for owned in &entry.fields {
            for field in wanted.iter().filter(|w| managed::overlaps(w, owned)) {
                let longer = if owned.len() > field.len() {
                    owned
                } else {
                    field
                };
                if managed::value_at(old, longer) != managed::value_at(&config, longer) {
                    conflicts.push((entry.manager.clone(), owned.clone()));
                }
            }
        }
    }
    conflicts.sort();
    conflicts.dedup();
    if !conflicts.is_empty() && !force {
        let listed: Vec<(String, String)> = conflicts
            .iter()
            .map(|(m, p)| {
                let entry = entries.iter().find(|e| &e.manager == m);
                (
                    entry.map_or_else(|| format!("{m:?}"), Entry::printed),
                    managed::dotted(p),
                )
            })
            .collect();
        return Err(ApiError::apply_conflicts(t, &key.name, &listed));
    }
    for (manager, path) in &conflicts {
        for e in entries.iter_mut().filter(|e| &e.manager == manager) {
            e.fields.remove(path);
        }
    }
    let previous = entries
        .iter()
        .find(|e| e.manager == ctx.manager && e.operation == "Apply" && e.subresource == sub)
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    let mut candidate = old.clone();
    for dropped in previous.difference(&wanted) {
        let shared = entries.iter().any(|e| {
            !(e.manager == ctx.manager && e.operation == "Apply")
                && e.fields.iter().any(|p| managed::overlaps(p, dropped))
        });
        if !shared {
            managed::remove_at(&mut candidate, dropped);
        }
    }
    managed::merge_into(&mut candidate, &config);
    let api_version = t.api_version();
    managed::entry_mut(&mut entries, &ctx.manager, "Apply", sub, &api_version).fields = wanted;
    Ok((candidate, entries))
}

/// `DeleteOptions.propagationPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Dependents keep living, without the owner reference (`orphan` finalizer).
    Orphan,
    /// The owner goes at once; the garbage collector deletes dependents afterwards.
    Background,
    /// The owner waits (`foregroundDeletion` finalizer) until its blocking dependents are gone.
    Foreground,
}

impl Propagation {
    /// The policy a `propagationPolicy` value names, if it is one.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "Orphan" => Some(Self::Orphan),
            "Background" => Some(Self::Background),
            "Foreground" => Some(Self::Foreground),
            _ => None,
        }
    }
}

/// Work for the simulated garbage collector.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// The owner with this uid was removed: try to delete its dependents.
    Collect(String),
    /// The owner at this key (with this uid) is being deleted with `orphan` or
    /// `foregroundDeletion`: orphan or delete its dependents, then remove the finalizer.
    Finalize(Key, String),
}
