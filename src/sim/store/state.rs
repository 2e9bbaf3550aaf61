//! What a write does to the stored state: the next resourceVersion and its event, storing and
//! removing objects, finalizers, garbage collection of dependents, and namespace deletion.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::sim::resources::TYPES;
use crate::sim::status::ApiError;
use crate::sim::time::now_rfc3339;

use super::*;

impl State {
    pub(super) fn emit(&mut self, event: Event) {
        let event = Arc::new(event);
        self.history.push_back(event.clone());
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted = old.rv;
            }
        }
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    pub(super) fn store(&mut self, key: Key, mut object: Value, previous: Option<Value>) -> Value {
        self.rv += 1;
        object["metadata"]["resourceVersion"] = rv_string(self.rv);
        let kind = if previous.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.objects.insert(key.clone(), object.clone());
        self.emit(Event {
            rv: self.rv,
            key,
            kind,
            object: object.clone(),
            previous,
        });
        object
    }

    /// Removes an object for good, then collects what depended on it.
    pub(super) fn remove(&mut self, key: &Key, orphan: bool) -> Option<Value> {
        let mut object = self.objects.remove(key)?;
        self.rv += 1;
        object["metadata"]["resourceVersion"] = rv_string(self.rv);
        self.emit(Event {
            rv: self.rv,
            key: key.clone(),
            kind: EventType::Deleted,
            object: object.clone(),
            previous: None,
        });
        if let Some(uid) = meta_str(&object, "uid").map(str::to_owned) {
            if orphan || self.gc_delay.is_zero() {
                self.collect_dependents(&uid, orphan);
            } else {
                let due = std::time::Instant::now() + self.gc_delay;
                self.gc_queue.push_back((due, uid));
            }
        }
        if TYPES[key.type_id].namespaced {
            self.finish_namespace_if_empty(&key.namespace);
        }
        Some(object)
    }

    /// Owner-reference garbage collection: dependents whose owners are all gone are deleted
    /// (honouring their finalizers); with `orphan`, they lose the owner reference instead.
    pub(super) fn collect_dependents(&mut self, uid: &str, orphan: bool) {
        let dependents: Vec<Key> = self
            .objects
            .iter()
            .filter(|(_, o)| owner_uids(o).iter().any(|u| u == uid))
            .map(|(k, _)| k.clone())
            .collect();
        for key in dependents {
            let Some(object) = self.objects.get(&key).cloned() else {
                continue;
            };
            if orphan {
                let mut updated = object.clone();
                if let Some(Value::Array(refs)) = updated
                    .get_mut("metadata")
                    .and_then(|m| m.get_mut("ownerReferences"))
                {
                    refs.retain(|r| r["uid"].as_str() != Some(uid));
                }
                self.store(key, updated, Some(object));
                continue;
            }
            let live_owner = owner_uids(&object).iter().any(|u| {
                u != uid
                    && self
                        .objects
                        .values()
                        .any(|o| meta_str(o, "uid") == Some(u.as_str()))
            });
            if !live_owner {
                let _ = self.delete(&key, &DeleteOptions::default());
            }
        }
    }

    pub(super) fn finish_namespace_if_empty(&mut self, namespace: &str) {
        let Some(ns_type) = TYPES.iter().position(|t| t.kind == "Namespace") else {
            return;
        };
        let ns_key = Key::new(ns_type, "", namespace);
        let terminating = self
            .objects
            .get(&ns_key)
            .is_some_and(|ns| ns.pointer("/metadata/deletionTimestamp").is_some());
        if terminating && !self.objects.keys().any(|k| k.namespace == namespace) {
            self.remove(&ns_key, false);
        }
    }

    /// Deletes an object: at once without finalizers, else marks it with deletionTimestamp.
    /// Returns the object and whether it is gone.
    pub(super) fn delete(
        &mut self,
        key: &Key,
        options: &DeleteOptions,
    ) -> Result<(Value, bool), ApiError> {
        let t = &TYPES[key.type_id];
        let object = self
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(t, &key.name))?;
        if let Some(uid) = &options.uid
            && meta_str(&object, "uid") != Some(uid.as_str())
        {
            return Err(ApiError::precondition_failed(
                t,
                &key.name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta_str(&object, "uid").unwrap_or_default()
                ),
            ));
        }
        if let Some(rv) = &options.resource_version
            && meta_str(&object, "resourceVersion") != Some(rv.as_str())
        {
            return Err(ApiError::conflict(t, &key.name));
        }
        if options.dry_run {
            return Ok((object, false));
        }
        let is_namespace = t.kind == "Namespace";
        if finalizers(&object).is_empty() && !is_namespace {
            let gone = self.remove(key, options.orphan).unwrap_or(object);
            return Ok((gone, true));
        }
        let mut current = object.clone();
        if object.pointer("/metadata/deletionTimestamp").is_none() {
            let mut marked = object.clone();
            marked["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
            marked["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            if is_namespace {
                marked["status"]["phase"] = json!("Terminating");
            }
            current = self.store(key.clone(), marked, Some(object));
        }
        if is_namespace {
            let contents: Vec<Key> = self
                .objects
                .keys()
                .filter(|k| k.namespace == key.name && TYPES[k.type_id].namespaced)
                .cloned()
                .collect();
            for k in contents {
                let _ = self.delete(&k, &DeleteOptions::default());
            }
            self.finish_namespace_if_empty(&key.name);
            if !self.objects.contains_key(key) {
                return Ok((current, true));
            }
        }
        Ok((current, false))
    }
}
