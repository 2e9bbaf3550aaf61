//! Watch streams: events as JSON lines (or Table rows for kubectl), bookmarks, resuming from
//! a resource version, and 410 Gone past the history kept.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::resources::{TYPES, TypeId};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{Event, EventType};
use super::table;

use super::request::{ApiState, Target, flag, with_type};

/// How a watch renders and filters events.
pub(crate) struct WatchView {
    pub(crate) type_id: TypeId,
    pub(crate) namespace: Option<String>,
    pub(crate) labels: LabelSelector,
    pub(crate) fields: FieldSelector,
    pub(crate) as_table: bool,
    pub(crate) include_object: bool,
    pub(crate) columns_sent: bool,
}

impl WatchView {
    fn matches(&self, event: &Event, object: &Value) -> bool {
        event.key.type_id == self.type_id
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| event.key.namespace == ns)
            && self.labels.matches(object)
            && self.fields.matches(object)
    }

    /// The line for an event, or `None` when the viewer does not see it.
    fn render(&mut self, event: &Event) -> Option<Bytes> {
        let now = self.matches(event, &event.object);
        let before = event
            .previous
            .as_ref()
            .is_some_and(|p| self.matches(event, p));
        let kind = match (event.kind, now, before) {
            (EventType::Added, true, _) => "ADDED",
            (EventType::Modified, true, true) => "MODIFIED",
            (EventType::Modified, true, false) => "ADDED",
            (EventType::Modified, false, true) => "DELETED",
            (EventType::Deleted, true, _) => "DELETED",
            _ => return None,
        };
        // An object leaving the selector goes as DELETED with its previous state (the one the
        // watcher saw match) at this event's version, as kube-apiserver's watch cache sends it
        // (cache_watcher.go, convertToWatchEvent).
        let shown = match (event.kind, now, &event.previous) {
            (EventType::Modified, false, Some(previous)) => {
                let mut previous = previous.clone();
                previous["metadata"]["resourceVersion"] = json!(event.rv.to_string());
                previous
            }
            _ => event.object.clone(),
        };
        let object = with_type(self.type_id, shown);
        let object = if self.as_table {
            let with_columns = !self.columns_sent;
            self.columns_sent = true;
            table::table(
                &TYPES[self.type_id],
                &[object],
                with_columns,
                self.include_object,
                json!({"resourceVersion": event.rv.to_string()}),
            )
        } else {
            object
        };
        Some(line(kind, &object))
    }
}

/// The sending half of a watch's response body.
pub(crate) type WatchSender = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Sends `event` if it is newer than `last` (which it then becomes) and the watcher sees it;
/// false when the watcher has gone.
pub(crate) async fn forward(
    event: &Event,
    last: &mut u64,
    view: &mut WatchView,
    tx: &WatchSender,
) -> bool {
    if event.rv <= *last {
        return true;
    }
    *last = event.rv;
    match view.render(event) {
        Some(bytes) => tx.send(Ok(bytes)).await.is_ok(),
        None => true,
    }
}

/// Ends a watch that fell behind the event stream as kube-apiserver does: 410 Gone, so the
/// client lists again.
pub(crate) async fn too_old(last: u64, tx: &WatchSender) {
    let gone = ApiError::gone(format!("too old resource version: {last}"));
    let _ = tx.send(Ok(line("ERROR", &gone.to_status()))).await;
}

pub(crate) fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({"type": kind, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

pub(crate) fn watch(
    state: &ApiState,
    target: &Target,
    query: &HashMap<String, String>,
    labels: LabelSelector,
    fields: FieldSelector,
    as_table: bool,
    include_object: bool,
) -> Response {
    let from = query
        .get("resourceVersion")
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse::<u64>().ok());
    let send_initial = flag(query, "sendInitialEvents");
    let bookmarks = flag(query, "allowWatchBookmarks");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let mut view = WatchView {
        type_id: target.type_id,
        namespace: target.namespace.clone(),
        labels,
        fields,
        as_table,
        include_object,
        columns_sent: false,
    };
    let t = &TYPES[target.type_id];
    let bookmark = move |rv: u64, initial_end: bool| {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(
            "BOOKMARK",
            &json!({"kind": t.kind, "apiVersion": t.api_version(), "metadata": metadata}),
        )
    };
    let start = state
        .store
        .watch(target.type_id, if send_initial { None } else { from });
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let store = state.store.clone();
    let mut outage = state.faults.outage_changes();
    let interval = state.bookmark_interval;
    tokio::spawn(async move {
        let mut start = match start {
            Ok(start) => start,
            Err(error) => {
                let _ = tx.send(Ok(line("ERROR", &error.to_status()))).await;
                return;
            }
        };
        let mut last = start.from;
        for event in &start.initial {
            if let Some(bytes) = view.render(event)
                && tx.send(Ok(bytes)).await.is_err()
            {
                return;
            }
        }
        if send_initial && tx.send(Ok(bookmark(last, true))).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticks = tokio::time::interval(interval);
        ticks.tick().await;
        loop {
            // A bookmark now and then, and one just before the deadline, as kube-apiserver's
            // watch cache sends them (`defaultBookmarkFrequency`, pkg/storage/cacher/cacher.go).
            let ending = tokio::select! {
                received = start.live.recv() => match received {
                    Ok(event) => {
                        if !forward(&event, &mut last, &mut view, &tx).await {
                            return;
                        }
                        continue;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        too_old(last, &tx).await;
                        return;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                _ = ticks.tick(), if bookmarks => false,
                () = &mut deadline => {
                    if !bookmarks {
                        return;
                    }
                    true
                }
                () = super::until_true(&mut outage) => {
                    let _ = tx
                        .send(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "outage")))
                        .await;
                    return;
                }
                () = tx.closed() => return,
            };
            // A bookmark promises every event up to its resourceVersion was sent. Events are
            // queued under the store's lock as the version moves, so after reading the
            // version, send what is queued before promising it (a bookmark ahead of queued
            // events made this watch skip them, and a client resuming from it never saw them).
            let current = store.resource_version();
            loop {
                match start.live.try_recv() {
                    Ok(event) => {
                        if !forward(&event, &mut last, &mut view, &tx).await {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                        too_old(last, &tx).await;
                        return;
                    }
                    Err(tokio::sync::broadcast::error::TryRecvError::Closed) => return,
                }
            }
            last = last.max(current);
            if tx.send(Ok(bookmark(last, false))).await.is_err() || ending {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
