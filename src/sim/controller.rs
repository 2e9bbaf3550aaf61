//! A controller that behaves like External Secrets Operator with its `fake` provider: it
//! validates ClusterSecretStores, resolves each ExternalSecret's remote keys from its store's
//! fake data, writes the target Secret, and reports conditions and Events in ESO's words.
//! It works on the store directly (as an in-process informer would) and writes with the field
//! manager `external-secrets`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::faults::Faults;
use super::resources::{self, TypeId};
use super::store::{EventType, Key, Patch, Store, WriteContext};
use super::time::{now_rfc3339, parse_go_duration, random_suffix};

use super::eso::*;

mod events;
mod pace;
mod provider;
mod render;
mod strategies;
mod target;
mod template;

/// Tunables of the simulated controller. The defaults are real ESO's (`pace` cites them);
/// a test may go faster only where it says why.
#[derive(Debug, Clone)]
pub struct ControllerOptions {
    /// The first retry of a failed ExternalSecret; each further failure doubles it.
    pub failure_base: Duration,
    /// The longest wait between retries of a failed ExternalSecret.
    pub failure_max: Duration,
    /// Retries of failures a second, over all objects (and the burst allowed).
    pub retry_qps: f64,
    /// How many retries may come at once before `retry_qps` spaces them.
    pub retry_burst: u32,
    /// Writes to the API server a second (`--client-qps`; 0: no limit).
    pub client_qps: f64,
    /// How many writes may come at once before `client_qps` spaces them (`--client-burst`).
    pub client_burst: u32,
    /// Shortest refresh interval honoured (a guard against busy loops).
    pub min_refresh: Duration,
}

impl Default for ControllerOptions {
    fn default() -> Self {
        Self {
            failure_base: Duration::from_secs(1),
            failure_max: Duration::from_secs(7 * 60),
            retry_qps: 10.0,
            retry_burst: 100,
            client_qps: 50.0,
            client_burst: 100,
            min_refresh: Duration::from_secs(1),
        }
    }
}

struct Types {
    secret: TypeId,
    event: TypeId,
    external_secret: TypeId,
    store: TypeId,
}

impl Types {
    fn find() -> Option<Self> {
        Some(Self {
            secret: resources::by_kind("", "Secret")?,
            event: resources::by_kind("", "Event")?,
            external_secret: resources::by_kind("external-secrets.io", "ExternalSecret")?,
            store: resources::by_kind("external-secrets.io", "ClusterSecretStore")?,
        })
    }
}

/// Why an ExternalSecret could not sync: a short condition message and the event's detail.
struct SyncError {
    message: String,
    detail: String,
    /// ESO does not retry it (`return ctrl.Result{}, nil`): a Secret another controller or
    /// ExternalSecret owns, or an immutable one. Tried again only when the ExternalSecret
    /// changes.
    terminal: bool,
}

struct Controller {
    store: Arc<Store>,
    options: ControllerOptions,
    types: Types,
    queue: VecDeque<Key>,
    queued: HashSet<Key>,
    due: BTreeMap<Key, Instant>,
    /// Last event per (object uid, reason, message), to count repeats as the recorder does.
    recorded: HashMap<(String, String, String), String>,
    /// Distinct messages per (object uid, type, reason), and when the last came, to combine
    /// similar events as the recorder does.
    similar: HashMap<(String, String, String), (Instant, HashSet<String>)>,
    /// When failed objects are tried again.
    backoff: pace::Backoff,
    /// The client's rate limit on writes.
    writes: pace::Bucket,
    /// How long the writes of the reconcile just done wait for the client's rate limit,
    /// slept before the next one (one worker: the next waits behind it).
    owed: Duration,
}

impl Controller {
    fn enqueue(&mut self, key: Key) {
        if self.queued.insert(key.clone()) {
            self.queue.push_back(key);
        }
    }

    fn enqueue_all(&mut self) {
        for type_id in [self.types.store, self.types.external_secret] {
            if let Ok(page) = self.store.list(type_id, None, &|_| true, None, None) {
                for object in page.items {
                    let ns = object
                        .pointer("/metadata/namespace")
                        .and_then(Value::as_str);
                    let name = object.pointer("/metadata/name").and_then(Value::as_str);
                    self.enqueue(Key::new(type_id, ns.unwrap_or(""), name.unwrap_or("")));
                }
            }
        }
    }

    fn on_event(&mut self, event: &super::store::Event) {
        let type_id = event.key.type_id;
        if type_id == self.types.external_secret {
            if event.kind == EventType::Deleted {
                self.due.remove(&event.key);
                self.backoff.forget(&event.key);
            } else if event
                .previous
                .as_ref()
                .is_none_or(|old| spec_changed(old, &event.object))
            {
                self.enqueue(event.key.clone());
            }
        } else if type_id == self.types.store {
            // The store's own controller validates it again. ExternalSecrets are not told:
            // ESO's ExternalSecret controller does not watch stores (`SetupWithManager` watches
            // ExternalSecrets and managed Secrets only), so a change at the provider or of the
            // store is seen at each ExternalSecret's next refresh, retry or Sync now.
            if event.kind != EventType::Deleted {
                self.enqueue(event.key.clone());
            }
        } else if type_id == self.types.secret {
            // ESO watches only Secrets labelled as managed (`secretHasESLabel`).
            let managed = |object: &Value| {
                object.pointer(&pointer_to_label(MANAGED_LABEL)) == Some(&json!("true"))
            };
            if !managed(&event.object) && !event.previous.as_ref().is_some_and(managed) {
                return;
            }
            // An owned Secret changed or vanished: its ExternalSecret heals it.
            let owner = event
                .object
                .pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .and_then(|refs| {
                    refs.iter()
                        .find(|r| r["kind"] == "ExternalSecret" && r["controller"] == true)
                })
                .and_then(|r| r["name"].as_str());
            if let Some(owner) = owner {
                self.enqueue(Key::new(
                    self.types.external_secret,
                    &event.key.namespace,
                    owner,
                ));
            }
        }
    }

    fn reconcile(&mut self, key: &Key) {
        if key.type_id == self.types.store {
            self.reconcile_store(key);
        } else if key.type_id == self.types.external_secret {
            self.reconcile_external_secret(key);
        }
    }

    /// Replaces the status (a no-op write changes nothing and notifies nobody, and is not
    /// sent: ESO patches the status only when it changed).
    fn write_status(&mut self, key: &Key, status: Value, manager: &str) {
        if let Ok(mut object) = self.store.get(key) {
            if object.get("status") == Some(&status) {
                return;
            }
            object["status"] = status;
            self.spend_write();
            let _ = self
                .store
                .update(key, object, true, &WriteContext::new(manager));
        }
    }

    /// Takes a token of the client's rate limit for one write to the API server.
    fn spend_write(&mut self) {
        self.owed += self.writes.reserve(Instant::now() + self.owed);
    }

    fn reconcile_store(&mut self, key: &Key) {
        let Ok(css) = self.store.get(key) else {
            return;
        };
        let previous = condition(&css, "Ready");
        // ESO's store controller with the fake provider: validationResult 0 (or absent) is
        // Ready, 1 is Unknown (still Ready=True), anything else is an invalid provider config.
        let (status, reason, message, event) = match css.pointer("/spec/provider/fake") {
            Some(fake) => match fake["validationResult"].as_i64().unwrap_or(0) {
                0 => (
                    "True",
                    "Valid",
                    "store validated",
                    ("Normal", "store validated"),
                ),
                1 => (
                    "True",
                    "ValidationUnknown",
                    "could not determine validation status",
                    ("Warning", "unable to validate"),
                ),
                _ => (
                    "False",
                    "InvalidProviderConfig",
                    "unable to validate store",
                    ("Warning", "unable to validate"),
                ),
            },
            None => (
                "False",
                "InvalidProviderConfig",
                "unable to create client",
                (
                    "Warning",
                    "only the fake provider is available in the simulated cluster",
                ),
            ),
        };
        let changed = previous.is_none_or(|p| {
            p["status"] != status || p["reason"] != reason || p["message"] != message
        });
        let mut new_status = json!({"conditions": [ready(previous, status, reason, message)]});
        if reason == "Valid" {
            new_status["capabilities"] = json!("ReadWrite");
        } else if let Some(capabilities) = css.pointer("/status/capabilities") {
            new_status["capabilities"] = capabilities.clone();
        }
        self.write_status(key, new_status, "cluster-secret-store");
        if changed {
            self.record(&css, event.0, reason, event.1, "cluster-secret-store");
        }
    }

    fn fail(&mut self, key: &Key, es: &Value, error: &SyncError) {
        let previous = condition(es, "Ready");
        let mut status = es.get("status").cloned().unwrap_or_else(|| json!({}));
        status["conditions"] = json!([ready(
            previous,
            "False",
            "SecretSyncedError",
            &error.message
        )]);
        // As ESO's markAsFailed: the event first, the status (written on the way out) after.
        self.record(es, "Warning", "UpdateFailed", &error.detail, MANAGER);
        self.write_status(key, status, MANAGER);
        if error.terminal {
            self.due.remove(key);
            self.backoff.forget(key);
            return;
        }
        // Returned to the work queue as an error: retried by ESO's rate limiter.
        let now = Instant::now();
        let wait = self.backoff.when(key, now);
        self.due.insert(key.clone(), now + wait);
    }

    fn done(&mut self, key: &Key, es: &Value, reason: &str, message: &str, binding: Option<&str>) {
        let previous = condition(es, "Ready");
        let mut status = es.get("status").cloned().unwrap_or_else(|| json!({}));
        status["conditions"] = json!([ready(previous, "True", reason, message)]);
        status["refreshTime"] = json!(now_rfc3339());
        status["syncedResourceVersion"] = json!(synced_resource_version(es));
        if let Some(name) = binding {
            status["binding"] = json!({"name": name});
        }
        self.write_status(key, status, MANAGER);
    }

    /// Whether ESO would fetch again (`shouldRefresh`, for the Periodic, OnChange and
    /// CreatedOnce policies).
    fn should_refresh(es: &Value, interval: Duration) -> bool {
        let synced_version = es
            .pointer("/status/syncedResourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let refreshed = es
            .pointer("/status/refreshTime")
            .and_then(Value::as_str)
            .and_then(super::time::parse_rfc3339);
        let policy = es
            .pointer("/spec/refreshPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Periodic");
        match policy {
            "CreatedOnce" => synced_version.is_empty() || refreshed.is_none(),
            "OnChange" => {
                synced_version.is_empty()
                    || refreshed.is_none()
                    || synced_version != synced_resource_version(es)
            }
            _ => {
                if interval.is_zero() && !synced_version.is_empty() {
                    return false;
                }
                if synced_version != synced_resource_version(es) {
                    return true;
                }
                let Some(at) = refreshed else {
                    return true;
                };
                let now = std::time::SystemTime::now();
                at > now || at + interval <= now
            }
        }
    }

    /// ESO's `isSecretValid`: the target exists, is labelled as managed and its data matches
    /// the hash annotation (always true for creationPolicy Orphan).
    fn target_valid(es: &Value, target: Option<&Value>) -> bool {
        if es
            .pointer("/spec/target/creationPolicy")
            .and_then(Value::as_str)
            == Some("Orphan")
        {
            return true;
        }
        target.is_some_and(|t| {
            let labelled = t.pointer(&pointer_to_label(MANAGED_LABEL)) == Some(&json!("true"));
            let data = t
                .get("data")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let hash = t
                .pointer(&pointer_to_annotation(DATA_HASH_ANNOTATION))
                .and_then(Value::as_str);
            labelled && hash == Some(data_hash(&data).as_str())
        })
    }

    fn reconcile_external_secret(&mut self, key: &Key) {
        let Ok(mut es) = self.store.get(key) else {
            self.due.remove(key);
            return;
        };
        let finalizers: Vec<Value> = es
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let has_finalizer = finalizers.iter().any(|f| f == FINALIZER);
        let target_name = es
            .pointer("/spec/target/name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .or_else(|| es.pointer("/metadata/name").and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        let target_key = Key::new(self.types.secret, &key.namespace, &target_name);
        if es.pointer("/metadata/deletionTimestamp").is_some() {
            self.due.remove(key);
            if !has_finalizer {
                return;
            }
            // cleanupManagedSecrets: only deletionPolicy Delete removes a target it controls.
            if es
                .pointer("/spec/target/deletionPolicy")
                .and_then(Value::as_str)
                == Some("Delete")
                && let Ok(target) = self.store.get(&target_key)
                && controller_uid(&target) == es.pointer("/metadata/uid").and_then(Value::as_str)
            {
                self.spend_write();
                let _ = self.store.delete(&target_key, &Default::default());
            }
            let rest: Vec<Value> = finalizers.into_iter().filter(|f| *f != FINALIZER).collect();
            self.spend_write();
            let _ = self.store.patch(
                key,
                Patch::Merge(json!({"metadata": {"finalizers": rest}})),
                false,
                &WriteContext::new(MANAGER),
            );
            return;
        }
        if !has_finalizer {
            let mut list = finalizers;
            list.push(json!(FINALIZER));
            self.spend_write();
            match self.store.patch(
                key,
                Patch::Merge(json!({"metadata": {"finalizers": list}})),
                false,
                &WriteContext::new(MANAGER),
            ) {
                Ok(updated) => es = updated,
                Err(_) => return,
            }
        }
        let interval = es
            .pointer("/spec/refreshInterval")
            .and_then(Value::as_str)
            .and_then(parse_go_duration)
            .unwrap_or(Duration::from_secs(3600));
        let target = self.store.get(&target_key).ok();
        if !Self::should_refresh(&es, interval) && Self::target_valid(&es, target.as_ref()) {
            self.schedule(key, &es, interval);
            return;
        }

        let store_name = es
            .pointer("/spec/secretStoreRef/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let store_kind = es
            .pointer("/spec/secretStoreRef/kind")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .unwrap_or("SecretStore")
            .to_owned();
        let store = if store_kind == "ClusterSecretStore" {
            self.store
                .get(&Key::new(self.types.store, "", &store_name))
                .ok()
        } else {
            None
        };
        // ESO looks the store up per entry (`handleSecretData` → `Manager.Get`), so the error is
        // wrapped as the entry's: "error processing spec.data[0] (key: k), err: …"
        // (`externalsecret_controller_secret.go`); the store's errors are `client_manager.go`'s,
        // and a missing store is the cached client's NotFound, which names the kind.
        // `dataFrom` is fetched first (`GetProviderSecretData`), so its first entry fails first.
        let entry = match es.pointer("/spec/dataFrom/0") {
            Some(first) => ["find", "extract"]
                .into_iter()
                .find(|what| first.get(*what).is_some_and(Value::is_object))
                .map(|what| format!("error processing spec.dataFrom[0].{what}, err: "))
                .unwrap_or_default(),
            None => es
                .pointer("/spec/data/0/remoteRef/key")
                .and_then(Value::as_str)
                .map(|k| format!("error processing spec.data[0] (key: {k}), err: "))
                .unwrap_or_default(),
        };
        let Some(store) = store else {
            let error = SyncError {
                message: "could not get secret data from provider".to_owned(),
                detail: format!(
                    "{entry}could not get {store_kind} \"{store_name}\", {store_kind}.external-secrets.io \"{store_name}\" not found"
                ),
                terminal: false,
            };
            self.fail(key, &es, &error);
            return;
        };
        if condition(&store, "Ready").is_none_or(|c| c["status"] != "True") {
            let error = SyncError {
                message: "could not get secret data from provider".to_owned(),
                detail: format!("{entry}{store_kind} \"{store_name}\" is not ready"),
                terminal: false,
            };
            self.fail(key, &es, &error);
            return;
        }
        let data = match self.resolve(&es, &store) {
            Ok(data) => data,
            Err(error) => {
                self.fail(key, &es, &error);
                return;
            }
        };
        let creation = es
            .pointer("/spec/target/creationPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Owner")
            .to_owned();
        let deletion = es
            .pointer("/spec/target/deletionPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Retain")
            .to_owned();
        if data.is_empty() {
            match deletion.as_str() {
                "Retain" => {
                    self.done(
                        key,
                        &es,
                        "SecretSynced",
                        "secret retained due to DeletionPolicy=Retain",
                        None,
                    );
                    self.schedule(key, &es, interval);
                    return;
                }
                "Delete" if creation == "Owner" => {
                    if target.is_some() {
                        self.spend_write();
                        let _ = self.store.delete(&target_key, &Default::default());
                        self.record(
                            &es,
                            "Normal",
                            "Deleted",
                            "secret deleted due to DeletionPolicy=Delete",
                            MANAGER,
                        );
                    }
                    self.done(
                        key,
                        &es,
                        "SecretDeleted",
                        "secret deleted due to DeletionPolicy=Delete",
                        None,
                    );
                    self.schedule(key, &es, interval);
                    return;
                }
                "Delete" => {
                    let error = SyncError {
                        message: "could not delete secret".to_owned(),
                        detail: format!(
                            "unable to delete secret {target_name}: creationPolicy={creation} is not Owner"
                        ),
                        terminal: false,
                    };
                    self.fail(key, &es, &error);
                    return;
                }
                _ => {}
            }
        }
        match creation.as_str() {
            "None" => {}
            "Merge" if target.is_none() => {
                self.done(
                    key,
                    &es,
                    "SecretMissing",
                    "secret will not be created due to CreationPolicy=Merge",
                    None,
                );
                self.schedule(key, &es, interval);
                return;
            }
            _ => {
                let written = self.write_target(&es, &target_key, target.as_ref(), data, &creation);
                // A create or an update that changed the Secret was a request.
                let version = |t: Option<&Value>| {
                    t.and_then(|t| t.pointer("/metadata/resourceVersion"))
                        .cloned()
                };
                if version(self.store.get(&target_key).ok().as_ref()) != version(target.as_ref()) {
                    self.spend_write();
                }
                if let Err(error) = written {
                    self.fail(key, &es, &error);
                    return;
                }
            }
        }
        let binding = (creation != "None").then_some(target_name.as_str());
        self.done(key, &es, "SecretSynced", "secret synced", binding);
        self.schedule(key, &es, interval);
    }

    /// Requeues per refreshInterval (none when it is 0); a success forgets past failures.
    fn schedule(&mut self, key: &Key, es: &Value, interval: Duration) {
        self.backoff.forget(key);
        if interval.is_zero() {
            self.due.remove(key);
            return;
        }
        let interval = interval.max(self.options.min_refresh);
        let since = es
            .pointer("/status/refreshTime")
            .and_then(Value::as_str)
            .and_then(super::time::parse_rfc3339)
            .and_then(|at| std::time::SystemTime::now().duration_since(at).ok())
            .unwrap_or_default();
        let wait = interval.saturating_sub(since).max(self.options.min_refresh);
        self.due.insert(key.clone(), Instant::now() + wait);
    }
}

/// Whether an update of an ExternalSecret is one ESO reconciles (`shouldEnqueueExternalSecretUpdate`
/// in its controller): generation, labels, annotations, finalizers or deletion changed. Its
/// own status writes are not.
fn spec_changed(old: &Value, new: &Value) -> bool {
    [
        "/metadata/generation",
        "/metadata/labels",
        "/metadata/annotations",
        "/metadata/finalizers",
        "/metadata/deletionTimestamp",
        "/spec",
    ]
    .iter()
    .any(|at| old.pointer(at) != new.pointer(at))
}

/// Runs the controller for one cluster until the task is aborted.
pub async fn run(store: Arc<Store>, faults: Arc<Faults>, options: ControllerOptions) {
    let Some(types) = Types::find() else {
        return;
    };
    let mut events = store.subscribe();
    let mut paused = faults.paused_changes();
    let mut controller = Controller {
        store,
        types,
        queue: VecDeque::new(),
        queued: HashSet::new(),
        due: BTreeMap::new(),
        recorded: HashMap::new(),
        similar: HashMap::new(),
        backoff: pace::Backoff::new(
            options.failure_base,
            options.failure_max,
            options.retry_qps,
            options.retry_burst,
        ),
        writes: pace::Bucket::new(options.client_qps, options.client_burst),
        owed: Duration::ZERO,
        options,
    };
    controller.enqueue_all();
    loop {
        if !*paused.borrow() {
            while let Some(key) = controller.queue.pop_front() {
                controller.queued.remove(&key);
                controller.reconcile(&key);
                // Its writes waited for the client's rate limit; so does the next reconcile.
                let owed = std::mem::take(&mut controller.owed);
                if !owed.is_zero() {
                    tokio::time::sleep(owed).await;
                }
                // Let the writes just made arrive as events before deciding again.
                tokio::task::yield_now().await;
                while let Ok(event) = events.try_recv() {
                    controller.on_event(&event);
                }
                if *paused.borrow() {
                    break;
                }
            }
        }
        let next_due = controller.due.values().min().copied();
        let sleep_until = next_due.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            received = events.recv() => match received {
                Ok(event) => controller.on_event(&event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => controller.enqueue_all(),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            () = tokio::time::sleep_until(sleep_until.into()) => {
                let now = Instant::now();
                let due: Vec<Key> = controller
                    .due
                    .iter()
                    .filter(|(_, at)| **at <= now)
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in due {
                    controller.due.remove(&key);
                    controller.enqueue(key);
                }
            }
            _ = paused.changed() => {}
        }
    }
}
