//! Recording events about objects, as client-go's event recorder does for ESO: repeats
//! counted on one event, similar ones combined.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

/// From how many distinct messages of one kind about one object client-go's recorder
/// combines them (`maxEvents` of its EventAggregator).
const SIMILAR_EVENTS: usize = 10;

impl Controller {
    /// Records an Event on an object, counting repeats of the same reason and message.
    pub(super) fn record(
        &mut self,
        object: &Value,
        event_type: &str,
        reason: &str,
        message: &str,
        component: &str,
    ) {
        let meta = &object["metadata"];
        let namespace = meta["namespace"].as_str().unwrap_or("default").to_owned();
        let uid = meta["uid"].as_str().unwrap_or_default().to_owned();
        let now = now_rfc3339();
        // client-go's EventCorrelator (tools/record/events_cache.go, EventAggregator): from the
        // 10th distinct message of one type and reason about one object, with no gap of 10
        // minutes, they are recorded as one event whose message is the latest, combined.
        let similar = self
            .similar
            .entry((uid.clone(), event_type.to_owned(), reason.to_owned()))
            .or_insert_with(|| (Instant::now(), HashSet::new()));
        if similar.0.elapsed() > Duration::from_secs(600) {
            similar.1.clear();
        }
        similar.0 = Instant::now();
        similar.1.insert(message.to_owned());
        // The recorder keeps at most that many (it drops one as the next comes).
        if similar.1.len() > SIMILAR_EVENTS {
            let other = similar.1.iter().find(|m| *m != message).cloned();
            if let Some(other) = other {
                similar.1.remove(&other);
            }
        }
        let (message, id) = if similar.1.len() >= SIMILAR_EVENTS {
            (
                format!("(combined from similar events): {message}"),
                (
                    uid.clone(),
                    reason.to_owned(),
                    format!("{event_type}, combined"),
                ),
            )
        } else {
            (
                message.to_owned(),
                (uid.clone(), reason.to_owned(), message.to_owned()),
            )
        };
        if let Some(name) = self.recorded.get(&id) {
            let key = Key::new(self.types.event, &namespace, name);
            if let Ok(existing) = self.store.get(&key) {
                let count = existing["count"].as_i64().unwrap_or(1) + 1;
                let _ = self.store.patch(
                    &key,
                    Patch::Merge(json!({"count": count, "lastTimestamp": now, "message": message})),
                    false,
                    &ctx(),
                );
                return;
            }
        }
        let name = format!(
            "{}.{}{}",
            meta["name"].as_str().unwrap_or("object"),
            random_suffix(),
            random_suffix()
        );
        // An ObjectReference: a cluster-scoped object's has no namespace (omitempty).
        let mut involved = json!({
            "apiVersion": object["apiVersion"],
            "kind": object["kind"],
            "name": meta["name"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
        });
        if let Some(ns) = meta["namespace"].as_str() {
            involved["namespace"] = json!(ns);
        }
        let event = json!({
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": component},
            "reportingComponent": component,
            "reportingInstance": "",
            "firstTimestamp": now,
            "lastTimestamp": now,
            "eventTime": Value::Null,
            "count": 1,
        });
        if self
            .store
            .create(self.types.event, &namespace, event, &ctx())
            .is_ok()
        {
            self.recorded.insert(id, name);
        }
    }
}
