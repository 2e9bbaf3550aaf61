//! The garbage collector's side of deletion: the `orphan` and `foregroundDeletion` finalizers
//! the API server puts on an object being deleted, and what kube-controller-manager's garbage
//! collector does with them and with the dependents of removed owners.
//!
//! The API server decides the finalizers (k8s.io/apiserver
//! `pkg/registry/generic/registry/store.go`: `shouldOrphanDependents`,
//! `shouldDeleteDependentsInForeground`, `deletionFinalizersForGarbageCollection`, applied by
//! `updateForGracefulDeletionAndFinalizers`; for namespaces `shouldHaveOrphanFinalizer` and
//! `shouldHaveDeleteDependentsFinalizer`, kubernetes `pkg/registry/core/namespace/storage/
//! storage.go`). The garbage collector (kubernetes `pkg/controller/garbagecollector`) then,
//! through its own queues:
//! - for an owner whose deletion starts with `orphan` (`startsWaitingForDependentsOrphaned`,
//!   graph_builder.go): removes the owner's reference from every dependent, then the `orphan`
//!   finalizer (`attemptToOrphanWorker`, `orphanDependents`, garbagecollector.go); the owner goes
//!   when its last finalizer does;
//! - for one whose deletion starts with `foregroundDeletion` (`startsWaitingForDependentsDeleted`):
//!   tries to delete every dependent (`attemptToDeleteItem`) and removes the finalizer once no
//!   dependent with `blockOwnerDeletion` is left (`processDeletingDependentsItem`), looking again
//!   whenever a dependent goes;
//! - for an owner removed: tries to delete each dependent (`attemptToDeleteItem`): kept while it
//!   has a solid owner (references to absent owners, or to owners deleting in the foreground, are
//!   then removed from it), else deleted honouring its own `orphan` / `foregroundDeletion`.

use serde_json::{Value, json};

use crate::sim::resources::{TYPES, by_kind};

use super::*;

/// `metav1.FinalizerOrphanDependents`.
pub const ORPHAN: &str = "orphan";
/// `metav1.FinalizerDeleteDependents`.
pub const FOREGROUND: &str = "foregroundDeletion";

fn has(object: &Value, finalizer: &str) -> bool {
    finalizers(object).iter().any(|f| f == finalizer)
}

fn deleting(object: &Value) -> bool {
    object.pointer("/metadata/deletionTimestamp").is_some()
}

/// Sets `metadata.finalizers`, leaving it out when empty (`omitempty`).
pub(super) fn set_finalizers(object: &mut Value, list: &[String]) {
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            metadata.remove("finalizers");
        } else {
            metadata.insert("finalizers".into(), json!(list));
        }
    }
}

/// The finalizers an object has once a delete with these options has begun: the API server's
/// `deletionFinalizersForGarbageCollection` (no served kind has a default garbage collection
/// policy, so the object's own `orphan` / `foregroundDeletion` decide when the options do not),
/// or the namespace registry's rules, applied only by the first delete of a namespace.
pub(super) fn deletion_finalizers(
    object: &Value,
    options: &DeleteOptions,
    namespace: bool,
) -> Vec<String> {
    let current = finalizers(object);
    if namespace && deleting(object) {
        return current;
    }
    let (orphan, foreground) = match (options.orphan_dependents, options.propagation) {
        (Some(orphan), _) => (orphan, !orphan && namespace),
        (None, Some(policy)) => (
            policy == Propagation::Orphan,
            policy == Propagation::Foreground,
        ),
        (None, None) if namespace => return current,
        (None, None) => {
            // The first of the two the object carries wins (validation keeps them apart).
            let first = current.iter().find(|f| *f == ORPHAN || *f == FOREGROUND);
            (
                first.is_some_and(|f| f == ORPHAN),
                first.is_some_and(|f| f == FOREGROUND),
            )
        }
    };
    let mut wanted: Vec<String> = current
        .iter()
        .filter(|f| *f != ORPHAN && *f != FOREGROUND)
        .cloned()
        .collect();
    if orphan {
        wanted.push(ORPHAN.to_owned());
    }
    if foreground {
        wanted.push(FOREGROUND.to_owned());
    }
    let same = {
        let mut a = current.clone();
        let mut b = wanted.clone();
        a.sort();
        a.dedup();
        b.sort();
        b.dedup();
        a == b
    };
    if same { current } else { wanted }
}

impl State {
    /// Hands work to the garbage collector: done `gc_delay` later, or at once without one.
    pub(super) fn schedule(&mut self, work: Work) {
        if self.gc_delay.is_zero() {
            self.run_gc(work);
        } else {
            let due = std::time::Instant::now() + self.gc_delay;
            self.gc_queue.push_back((due, work));
        }
    }

    /// Does one piece of the garbage collector's work.
    pub(super) fn run_gc(&mut self, work: Work) {
        match work {
            Work::Collect(uid) => {
                for key in self.dependents_of(&uid) {
                    self.attempt_to_delete(&key);
                }
            }
            Work::Finalize(key, uid) => {
                let Some(owner) = self.objects.get(&key).cloned() else {
                    return;
                };
                if meta_str(&owner, "uid") != Some(uid.as_str()) || !deleting(&owner) {
                    return;
                }
                if has(&owner, ORPHAN) {
                    self.orphan_dependents(&uid);
                    self.remove_finalizer(&key, ORPHAN);
                } else if has(&owner, FOREGROUND) {
                    for dependent in self.dependents_of(&uid) {
                        self.attempt_to_delete(&dependent);
                    }
                    let blocking = self.objects.values().any(|o| {
                        owner_refs(o).iter().any(|r| {
                            r["uid"].as_str() == Some(uid.as_str())
                                && r["blockOwnerDeletion"].as_bool() == Some(true)
                        })
                    });
                    if !blocking {
                        self.remove_finalizer(&key, FOREGROUND);
                    }
                }
            }
        }
    }

    /// After a delete marked an object: queues it for the garbage collector when its deletion
    /// starts with `orphan` or `foregroundDeletion` (or one was added to a deletion under way).
    pub(super) fn deletion_started(&mut self, key: &Key, before: &Value, after: &Value) {
        let starts = |finalizer: &str| {
            deleting(after)
                && has(after, finalizer)
                && !(deleting(before) && has(before, finalizer))
        };
        if (starts(ORPHAN) || starts(FOREGROUND))
            && let Some(uid) = meta_str(after, "uid")
        {
            let work = Work::Finalize(key.clone(), uid.to_owned());
            self.schedule(work);
        }
    }

    /// After an object was removed: an owner deleting in the foreground that it referenced
    /// may now be free to go (graph_builder.go queues such owners when a dependent goes).
    pub(super) fn dependent_removed(&mut self, object: &Value) {
        for reference in owner_refs(object) {
            let Some(uid) = reference["uid"].as_str() else {
                continue;
            };
            let owner = self
                .objects
                .iter()
                .find(|(_, o)| meta_str(o, "uid") == Some(uid))
                .filter(|(_, o)| deleting(o) && has(o, FOREGROUND))
                .map(|(k, _)| k.clone());
            if let Some(key) = owner {
                self.schedule(Work::Finalize(key, uid.to_owned()));
            }
        }
    }

    /// After a restart (the queue is not saved): the garbage collector's first list finds the
    /// owners being deleted with its finalizers and takes them up again
    /// (`deletionStartsWithFinalizer` without an old object, graph_builder.go).
    pub(super) fn resume_gc(&mut self) {
        let pending: Vec<(Key, String)> = self
            .objects
            .iter()
            .filter(|(_, o)| deleting(o) && (has(o, ORPHAN) || has(o, FOREGROUND)))
            .filter_map(|(k, o)| Some((k.clone(), meta_str(o, "uid")?.to_owned())))
            .collect();
        for (key, uid) in pending {
            self.schedule(Work::Finalize(key, uid));
        }
    }

    fn dependents_of(&self, uid: &str) -> Vec<Key> {
        self.objects
            .iter()
            .filter(|(_, o)| owner_uids(o).iter().any(|u| u == uid))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// `orphanDependents`: every dependent loses its reference to the owner.
    pub(super) fn orphan_dependents(&mut self, uid: &str) {
        for key in self.dependents_of(uid) {
            self.drop_owner_refs(&key, &[uid.to_owned()]);
        }
    }

    fn drop_owner_refs(&mut self, key: &Key, uids: &[String]) {
        let Some(object) = self.objects.get(key).cloned() else {
            return;
        };
        let mut updated = object.clone();
        if let Some(metadata) = updated.get_mut("metadata").and_then(Value::as_object_mut) {
            if let Some(Value::Array(refs)) = metadata.get_mut("ownerReferences") {
                refs.retain(|r| {
                    !r["uid"]
                        .as_str()
                        .is_some_and(|u| uids.iter().any(|x| x == u))
                });
            }
            if metadata
                .get("ownerReferences")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                metadata.remove("ownerReferences");
            }
        }
        if updated != object {
            self.store(key.clone(), updated, Some(object));
        }
    }

    /// The garbage collector's `removeFinalizer`; the object goes with its last finalizer, as
    /// an update that empties the finalizers of an object being deleted removes it.
    fn remove_finalizer(&mut self, key: &Key, finalizer: &str) {
        let Some(object) = self.objects.get(key).cloned() else {
            return;
        };
        let rest: Vec<String> = finalizers(&object)
            .into_iter()
            .filter(|f| f != finalizer)
            .collect();
        let mut updated = object.clone();
        set_finalizers(&mut updated, &rest);
        let namespace = TYPES[key.type_id].kind == "Namespace";
        if rest.is_empty() && !namespace {
            self.objects.insert(key.clone(), updated);
            self.remove(key, false);
            return;
        }
        self.store(key.clone(), updated, Some(object));
        if namespace {
            self.finish_namespace_if_empty(&key.name);
        }
    }

    /// `attemptToDeleteItem` for a dependent: kept while an owner is solid (then references to
    /// absent owners and to owners deleting in the foreground are removed), else deleted, in the
    /// foreground when an owner waits on it and it has dependents of its own.
    fn attempt_to_delete(&mut self, key: &Key) {
        let Some(object) = self.objects.get(key).cloned() else {
            return;
        };
        // "being deleted" is a one-way trip: wait for the final deletion.
        if deleting(&object) {
            return;
        }
        let refs = owner_refs(&object);
        if refs.is_empty() {
            return;
        }
        let (mut solid, mut dropped, mut waiting) = (false, Vec::new(), false);
        for reference in &refs {
            // An owner of a kind the cluster does not serve cannot be looked up: the real
            // collector's `isDangling` fails on it and the item waits, never deleted.
            let api_version = reference["apiVersion"].as_str().unwrap_or_default();
            let (group, _) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            if by_kind(group, reference["kind"].as_str().unwrap_or_default()).is_none() {
                return;
            }
            let uid = reference["uid"].as_str().unwrap_or_default();
            match self
                .objects
                .values()
                .find(|o| meta_str(o, "uid") == Some(uid))
            {
                None => dropped.push(uid.to_owned()),
                Some(owner) if deleting(owner) && has(owner, FOREGROUND) => {
                    waiting = true;
                    dropped.push(uid.to_owned());
                }
                Some(_) => solid = true,
            }
        }
        if solid {
            if !dropped.is_empty() {
                self.drop_owner_refs(key, &dropped);
            }
            return;
        }
        let uid = meta_str(&object, "uid").unwrap_or_default().to_owned();
        let options = DeleteOptions {
            uid: Some(uid.clone()),
            propagation: (waiting && !self.dependents_of(&uid).is_empty())
                .then_some(Propagation::Foreground),
            ..DeleteOptions::default()
        };
        let _ = self.delete(key, &options);
    }
}

fn owner_refs(object: &Value) -> Vec<Value> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources::by_kind;

    fn store_with_owner_and_dependent() -> (Store, Key, Key) {
        let store = Store::new(100);
        let ctx = WriteContext::new("test");
        let (ns, secret) = (
            by_kind("", "Namespace").unwrap(),
            by_kind("", "Secret").unwrap(),
        );
        store
            .create(ns, "", json!({"metadata": {"name": "team"}}), &ctx)
            .unwrap();
        let owner = store
            .create(
                secret,
                "team",
                json!({"metadata": {"name": "owner", "finalizers": ["x.io/hold"]}}),
                &ctx,
            )
            .unwrap();
        let reference = json!({"apiVersion": "v1", "kind": "Secret", "name": "owner",
            "uid": owner["metadata"]["uid"]});
        store
            .create(
                secret,
                "team",
                json!({"metadata": {"name": "dependent", "ownerReferences": [reference]}}),
                &ctx,
            )
            .unwrap();
        (
            store,
            Key::new(secret, "team", "owner"),
            Key::new(secret, "team", "dependent"),
        )
    }

    #[test]
    fn an_orphaning_delete_is_finished_by_the_collector_even_after_a_restart() {
        let orphan = DeleteOptions {
            propagation: Some(Propagation::Orphan),
            ..DeleteOptions::default()
        };
        // A store whose collector comes later: saved while the `orphan` finalizer is pending.
        let (store, owner, dependent) = store_with_owner_and_dependent();
        store.set_gc_delay(std::time::Duration::from_secs(3600));
        let (marked, deleted) = store.delete(&owner, &orphan).unwrap();
        assert!(!deleted);
        assert_eq!(finalizers(&marked), ["x.io/hold", ORPHAN]);
        assert!(store.get(&dependent).unwrap()["metadata"]["ownerReferences"].is_array());

        // Restored, the collector takes it up again: the dependent is orphaned and only the
        // owner's own finalizer is left.
        let restored = Store::new(100);
        restored.restore(&store.snapshot());
        let dependent = restored.get(&dependent).unwrap();
        assert!(
            dependent["metadata"].get("ownerReferences").is_none(),
            "{dependent}"
        );
        assert_eq!(finalizers(&restored.get(&owner).unwrap()), ["x.io/hold"]);
    }

    #[test]
    fn deletion_finalizers_follow_the_options_then_the_object() {
        let object = json!({"metadata": {"finalizers": ["a", ORPHAN]}});
        let with = |orphan_dependents, propagation| DeleteOptions {
            orphan_dependents,
            propagation,
            ..DeleteOptions::default()
        };
        let cases = [
            (with(None, None), false, vec!["a", ORPHAN]),
            (with(None, Some(Propagation::Background)), false, vec!["a"]),
            (
                with(None, Some(Propagation::Foreground)),
                false,
                vec!["a", FOREGROUND],
            ),
            (with(Some(false), None), false, vec!["a"]),
            (with(Some(false), None), true, vec!["a", FOREGROUND]),
        ];
        for (options, namespace, expected) in cases {
            assert_eq!(
                deletion_finalizers(&object, &options, namespace),
                expected,
                "{options:?} namespace={namespace}"
            );
        }
    }
}
