//! The watch streams the status watcher runs: a label-selected watch of the console's objects
//! with its interruptions logged, and one that follows the version of `external-secrets.io`
//! the cluster serves (`ClusterHandle::eso`), starting over at a new one when discovery finds it.

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event as WatchEvent};

use super::context::WatchBackoff;
use crate::server::cluster::eso_served::EsoServed;
use crate::server::cluster::manifest::OWNED_SELECTOR;
use crate::server::cluster::registry::{self, ClusterHandle};

/// The watch of our objects of one kind (by label), on the cluster's watch client: a list,
/// then the changes; an interrupted watch resumes after a [`WatchBackoff`], relisting when its
/// resourceVersion has expired.
pub(super) fn owned_watch<K>(
    api: Api<K>,
) -> impl Stream<Item = watcher::Result<WatchEvent<K>>> + Send
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let config = watcher::Config::default()
        .labels(OWNED_SELECTOR)
        .timeout(registry::WATCH_TIMEOUT_SECS);
    watcher::watcher(api, config).backoff(WatchBackoff::default())
}

/// The events of a watch, its interruptions logged (it resumes by itself).
pub(super) fn logged<K>(
    events: impl Stream<Item = watcher::Result<WatchEvent<K>>> + Send + 'static,
    cluster: &ClusterHandle,
    kind: &'static str,
) -> futures::stream::BoxStream<'static, WatchEvent<K>>
where
    K: Send + 'static,
{
    let name = cluster.name.clone();
    events
        .filter_map(move |event| {
            let name = name.clone();
            async move {
                event
                    .map_err(
                        |error| tracing::warn!(cluster = %name, %error, "{kind} watch interrupted"),
                    )
                    .ok()
            }
        })
        .boxed()
}

/// The events of `make(version)` for the version the cluster serves; when discovery finds
/// another, the stream `make` gives for it (a fresh list, then its changes).
pub(super) fn following<T: Send + 'static>(
    eso: EsoServed,
    make: impl Fn(&'static str) -> BoxStream<'static, T> + Send + 'static,
) -> BoxStream<'static, T> {
    let version = eso.api_version();
    let start = (eso.subscribe(), version, make(version), eso, make);
    futures::stream::unfold(
        start,
        |(mut served, mut version, mut events, eso, make)| async move {
            loop {
                tokio::select! {
                    event = events.next() => {
                        return event.map(|event| (event, (served, version, events, eso, make)));
                    }
                    changed = served.changed() => {
                        if changed.is_err() {
                            // The cluster's handle is gone: no discovery will come any more.
                            let event = events.next().await?;
                            return Some((event, (served, version, events, eso, make)));
                        }
                        let now = eso.api_version();
                        if now != version {
                            version = now;
                            events = make(version);
                        }
                    }
                }
            }
        },
    )
    .boxed()
}
