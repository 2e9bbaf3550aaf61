//! Each cluster's ClusterSecretStores kept in memory: a reflector store per cluster, fed by a
//! watch that every replica runs from start-up (the reconciler runs on the leader only), so the
//! Stores page and the create form read memory instead of LISTing every cluster per view. The
//! last watch error is kept in words until the watch works again, so the page still says why a
//! cluster's stores are missing.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::{FutureExt as _, StreamExt as _};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::reflector::Store;
use kube::runtime::reflector::store::Writer;
use kube::runtime::utils::Backoff as _;
use kube::runtime::watcher::{self, DefaultBackoff, Event};
use tokio::sync::watch;

use super::eso_served::EsoServed;
use crate::model::cluster::StoreSummary;

/// How long a reader waits for a cluster's first list of stores (as long as the LIST it
/// replaces was given).
const FIRST_LIST_DEADLINE: Duration = Duration::from_secs(5);

/// `external-secrets.io/v1` ClusterSecretStore, cluster-scoped: the store's keys (whatever
/// version the watch reads).
fn resource() -> ApiResource {
    resource_at("v1")
}

/// ClusterSecretStore at `version` of `external-secrets.io`, as the cluster serves it.
fn resource_at(version: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(super::eso_served::GROUP, version, "ClusterSecretStore"),
        "clustersecretstores",
    )
}

/// One cluster's ClusterSecretStores as its watch last saw them, and why the watch is failing
/// if it is. Cheap to clone; every clone reads the same store.
#[derive(Clone)]
pub struct StoreCache {
    store: Store<DynamicObject>,
    error: Arc<watch::Sender<Option<String>>>,
    /// The store's writing half, until [`StoreCache::start`] hands it to the watch.
    writer: Arc<Mutex<Option<Writer<DynamicObject>>>>,
}

impl Default for StoreCache {
    fn default() -> Self {
        let writer = Writer::new(resource());
        Self {
            store: writer.as_reader(),
            error: Arc::new(watch::channel(None).0),
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }
}

impl StoreCache {
    /// Starts the watch that feeds this cache through `client` (a cluster's watch client:
    /// a quiet watch must not hit a single request's deadline); it runs until aborted and
    /// restarts with back-off on errors, discovering before each start which External Secrets
    /// Operator the cluster runs (into `eso`). `None` when it was started already.
    pub fn start(
        &self,
        client: kube::Client,
        cluster: &str,
        eso: EsoServed,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        Some(tokio::spawn(feed(
            client,
            eso,
            writer,
            self.error.clone(),
            cluster.to_owned(),
        )))
    }

    /// Every store, sorted by name, with its provider and Ready condition; or why they cannot
    /// be shown: the watch's current error, or, before the first list, silence for 5 s.
    pub async fn summaries(&self) -> Result<Vec<StoreSummary>, String> {
        let mut error = self.error.subscribe();
        if !self.ready() && error.borrow().is_none() {
            tokio::select! {
                _ = self.store.wait_until_ready() => {}
                _ = error.wait_for(Option::is_some) => {}
                () = tokio::time::sleep(FIRST_LIST_DEADLINE) => {}
            }
        }
        let current = error.borrow().clone();
        if let Some(error) = current {
            return Err(error);
        }
        if !self.ready() {
            return Err("the API server did not answer within 5 s".to_owned());
        }
        Ok(summarize(&self.store.state()))
    }

    /// Whether the first list has arrived.
    fn ready(&self) -> bool {
        self.store
            .wait_until_ready()
            .now_or_never()
            .is_some_and(|ready| ready.is_ok())
    }
}

/// Applies the watch's events to the store until aborted. Each error is recorded and the watch
/// starts over with a fresh list after a back-off: a watch that resumes says nothing when it
/// succeeds, so only a list that completes can tell the error is over.
async fn feed(
    client: kube::Client,
    eso: EsoServed,
    mut writer: Writer<DynamicObject>,
    error: Arc<watch::Sender<Option<String>>>,
    cluster: String,
) {
    let config = watcher::Config::default().timeout(super::timeouts::WATCH_TIMEOUT_SECS);
    let mut backoff = DefaultBackoff::default();
    loop {
        // A (re)start is a reconnect: the operator may have been installed or upgraded since.
        match super::eso_served::discover(&client).await {
            Ok(install) => eso.set(install),
            Err(reason) => {
                tracing::debug!(%cluster, %reason, "External Secrets Operator not discovered")
            }
        }
        let api: Api<DynamicObject> =
            Api::all_with(client.clone(), &resource_at(eso.api_version()));
        let mut events = std::pin::pin!(watcher::watcher(api.clone(), config.clone()));
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => {
                    writer.apply_watcher_event(&event);
                    if matches!(event, Event::InitDone | Event::Apply(_) | Event::Delete(_)) {
                        backoff.reset();
                        if let Some(was) = error.send_replace(None) {
                            tracing::info!(%cluster, %was, "ClusterSecretStore watch works again");
                        }
                    }
                }
                Err(failure) => {
                    if let Some(words) = in_words(&failure) {
                        // Warned once per change: an outage fails every retry the same way.
                        if error.borrow().as_deref() == Some(words.as_str()) {
                            tracing::debug!(%cluster, error = %words, "ClusterSecretStore watch failed");
                        } else {
                            tracing::warn!(%cluster, error = %words, "ClusterSecretStore watch failed");
                        }
                        error.send_replace(Some(words));
                    }
                    break;
                }
            }
        }
        tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(30))).await;
    }
}

/// A watch error as the Stores page says it; `None` for an expired resourceVersion (410), a
/// routine relist that is no failure.
fn in_words(error: &watcher::Error) -> Option<String> {
    use watcher::Error as E;
    let words = match error {
        E::InitialListFailed(kube::Error::Api(status))
        | E::WatchStartFailed(kube::Error::Api(status))
            if status.code == 404 =>
        {
            "ClusterSecretStores are not served: is External Secrets Operator installed?".to_owned()
        }
        E::WatchError(status) if status.code == 410 => return None,
        E::InitialListFailed(error) => format!("cannot list ClusterSecretStores: {error}"),
        E::WatchStartFailed(error) | E::WatchFailed(error) => {
            format!("cannot watch ClusterSecretStores: {error}")
        }
        E::WatchError(status) => format!(
            "cannot watch ClusterSecretStores: the API server answered {} {}: {}",
            status.code, status.reason, status.message
        ),
        E::NoResourceVersion => {
            "cannot list ClusterSecretStores: the API server sent no resourceVersion".to_owned()
        }
    };
    Some(words)
}

/// The stores as the Stores page shows them, by name.
fn summarize(objects: &[Arc<DynamicObject>]) -> Vec<StoreSummary> {
    let mut stores: Vec<_> = objects
        .iter()
        .map(|store| {
            let ready = super::ready_condition(&store.data);
            let text = |field: &str| {
                ready
                    .and_then(|c| c[field].as_str())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            StoreSummary {
                name: store.metadata.name.clone().unwrap_or_default(),
                provider: store.data["spec"]["provider"]
                    .as_object()
                    .and_then(|p| p.keys().next().cloned())
                    .unwrap_or_default(),
                ready: ready
                    .and_then(|c| c["status"].as_str())
                    .map(|s| s == "True"),
                reason: text("reason"),
                message: text("message"),
            }
        })
        .collect();
    stores.sort_by(|a, b| a.name.cmp(&b.name));
    stores
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, reason: &str) -> Box<kube::core::Status> {
        kube::core::Status::failure("refused", reason)
            .with_code(code)
            .boxed()
    }

    #[test]
    fn a_resource_not_served_asks_whether_eso_is_installed() {
        let error = watcher::Error::InitialListFailed(kube::Error::Api(status(404, "NotFound")));
        assert_eq!(
            in_words(&error).as_deref(),
            Some("ClusterSecretStores are not served: is External Secrets Operator installed?")
        );
    }

    #[test]
    fn an_expired_watch_is_no_error_but_a_refused_one_is() {
        assert_eq!(
            in_words(&watcher::Error::WatchError(status(410, "Expired"))),
            None
        );
        let words = in_words(&watcher::Error::WatchError(status(403, "Forbidden"))).unwrap();
        assert!(
            words.starts_with("cannot watch ClusterSecretStores: the API server answered 403"),
            "{words}"
        );
    }

    #[test]
    fn stores_are_sorted_with_their_provider_and_ready_condition() {
        let object = |name: &str, provider: &str, condition: serde_json::Value| {
            let mut store = DynamicObject::new(name, &resource()).data(serde_json::json!({
                "spec": {"provider": {provider: {}}},
                "status": {"conditions": [condition]},
            }));
            store.metadata.name = Some(name.to_owned());
            Arc::new(store)
        };
        let stores = summarize(&[
            object(
                "vault",
                "vault",
                serde_json::json!({"type": "Ready", "status": "False", "reason": "InvalidProviderConfig", "message": "no"}),
            ),
            object(
                "aws",
                "fake",
                serde_json::json!({"type": "Ready", "status": "True", "reason": "Valid", "message": ""}),
            ),
        ]);
        assert_eq!(
            stores,
            vec![
                StoreSummary {
                    name: "aws".to_owned(),
                    provider: "fake".to_owned(),
                    ready: Some(true),
                    reason: Some("Valid".to_owned()),
                    message: None,
                },
                StoreSummary {
                    name: "vault".to_owned(),
                    provider: "vault".to_owned(),
                    ready: Some(false),
                    reason: Some("InvalidProviderConfig".to_owned()),
                    message: Some("no".to_owned()),
                },
            ]
        );
    }
}
