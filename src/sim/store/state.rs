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
            if orphan {
                self.orphan_dependents(&uid);
            } else {
                self.schedule(Work::Collect(uid));
            }
        }
        self.dependent_removed(&object);
        if TYPES[key.type_id].namespaced {
            self.finish_namespace_if_empty(&key.namespace);
        }
        Some(object)
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
        // The garbage collector's finalizers hold it too (the namespace goes with the last
        // of its metadata finalizers only once it is empty).
        let held = self.objects.get(&ns_key).is_some_and(|ns| {
            finalizers(ns)
                .iter()
                .any(|f| f == gc::ORPHAN || f == gc::FOREGROUND)
        });
        if terminating && !held && !self.objects.keys().any(|k| k.namespace == namespace) {
            self.remove(&ns_key, false);
        }
    }

    /// Deletes an object: at once without finalizers, else marks it with deletionTimestamp.
    /// Returns the object and whether the request deleted it (the registry's `wasDeleted`:
    /// false while finalizers hold it, and always for a namespace).
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
        let is_namespace = t.kind == "Namespace";
        // The finalizers the garbage collector needs (`orphan`, `foregroundDeletion`) are
        // added or removed as the options say (`deletionFinalizersForGarbageCollection`,
        // registry/generic/registry/store.go); an object left with none goes at once.
        let wanted = gc::deletion_finalizers(&object, options, is_namespace);
        if wanted.is_empty() && !is_namespace {
            if options.dry_run {
                return Ok((object, true));
            }
            let gone = self.remove(key, false).unwrap_or(object);
            return Ok((gone, true));
        }
        let mut marked = object.clone();
        gc::set_finalizers(&mut marked, &wanted);
        if object.pointer("/metadata/deletionTimestamp").is_none() {
            marked["metadata"]["deletionTimestamp"] = json!(now_rfc3339());
            if is_namespace {
                marked["status"]["phase"] = json!("Terminating");
            } else {
                // `markAsDeleting` (store.go): grace period 0, and a first deletion counts as
                // a change of the object's generation.
                marked["metadata"]["deletionGracePeriodSeconds"] = json!(0);
                if let Some(generation) = object
                    .pointer("/metadata/generation")
                    .and_then(Value::as_i64)
                    .filter(|g| *g > 0)
                {
                    marked["metadata"]["generation"] = json!(generation + 1);
                }
            }
        }
        if options.dry_run {
            return Ok((marked, false));
        }
        let current = if marked == object {
            object
        } else {
            let stored = self.store(key.clone(), marked, Some(object.clone()));
            self.deletion_started(key, &object, &stored);
            stored
        };
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
            // The namespace registry's first delete only marks it (the namespace controller
            // empties it and removes it later): never deleted by the request itself.
            return Ok((current, false));
        }
        Ok((current, false))
    }
}
