//! Lists, a page at a time. The pages of one list are one snapshot, as etcd serves them to
//! kube-apiserver: every page after the first shows the objects as they were when the first
//! was read (its resourceVersion), whatever was created, changed or deleted since.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Value, json};

use crate::sim::resources::TypeId;
use crate::sim::status::ApiError;

use super::*;

impl Store {
    /// Objects of a kind (in one namespace, or all), filtered, one page at a time.
    pub fn list(
        &self,
        type_id: TypeId,
        namespace: Option<&str>,
        filter: &dyn Fn(&Value) -> bool,
        limit: Option<usize>,
        continue_token: Option<&str>,
    ) -> Result<ListPage, ApiError> {
        self.list_at(type_id, namespace, filter, limit, continue_token, None)
    }

    /// [`Store::list`] as of resourceVersion `exact` (`None`: now), as etcd serves a list at a
    /// revision (`resourceVersionMatch=Exact`, or a paged list with a resourceVersion): 410
    /// Expired when the history no longer reaches back to it (`interpretListError`,
    /// apiserver `pkg/storage/etcd3/errors.go`), 504 when it is in the future (etcd's
    /// `ErrFutureRev`, `pkg/storage/etcd3/store.go`).
    pub fn list_at(
        &self,
        type_id: TypeId,
        namespace: Option<&str>,
        filter: &dyn Fn(&Value) -> bool,
        limit: Option<usize>,
        continue_token: Option<&str>,
        exact: Option<u64>,
    ) -> Result<ListPage, ApiError> {
        let state = self.lock();
        let mut after: Option<Key> = None;
        let mut at = state.rv;
        if let Some(rv) = exact {
            if rv > state.rv {
                return Err(crate::sim::versions::too_large(rv, state.rv, 0));
            }
            if rv < state.compacted {
                return Err(ApiError::gone(
                    "The resourceVersion for the provided list is too old.",
                ));
            }
            at = rv;
        }
        if let Some(token) = continue_token.filter(|t| !t.is_empty()) {
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .ok_or_else(|| ApiError::bad_request("invalid continue token"))?;
            at = decoded["rv"].as_u64().unwrap_or(0);
            if at < state.compacted {
                return Err(ApiError::gone(
                    "The provided continue parameter is too old to display a consistent list \
                     result. You can start a new list without the continue parameter.",
                ));
            }
            after = Some(Key::new(
                type_id,
                decoded["ns"].as_str().unwrap_or_default(),
                decoded["name"].as_str().unwrap_or_default(),
            ));
        }
        let objects = state.objects_at(type_id, at);
        let mut matching = objects
            .into_iter()
            .filter(|(k, _)| namespace.is_none_or(|ns| k.namespace == ns))
            .filter(|(k, _)| after.as_ref().is_none_or(|a| *k > a))
            .filter(|(_, o)| filter(o));
        let mut items = Vec::new();
        let mut last: Option<Key> = None;
        let limit = limit.filter(|l| *l > 0);
        for (key, object) in matching.by_ref() {
            items.push(object.clone());
            last = Some((*key).clone());
            if limit.is_some_and(|l| items.len() >= l) {
                break;
            }
        }
        let remaining = matching.count();
        let continue_token = match (remaining, last) {
            (r, Some(last)) if r > 0 => Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(json!({"rv": at, "ns": last.namespace, "name": last.name}).to_string()),
            ),
            _ => None,
        };
        Ok(ListPage {
            items,
            rv: at,
            continue_token,
            remaining,
        })
    }
}

impl State {
    /// The objects of a kind as they were at resourceVersion `rv` (no older than the history
    /// kept), in key order: the current ones, with every later change undone. Borrowed; only
    /// what changed since is taken from the history.
    fn objects_at(&self, type_id: TypeId, rv: u64) -> BTreeMap<&Key, &Value> {
        let mut objects: BTreeMap<&Key, &Value> = self
            .objects
            .range(Key::new(type_id, "", "")..)
            .take_while(|(k, _)| k.type_id == type_id)
            .collect();
        // Newest first, so the oldest change after `rv` decides what the object was.
        for event in self
            .history
            .iter()
            .rev()
            .take_while(|e| e.rv > rv)
            .filter(|e| e.key.type_id == type_id)
        {
            match event.kind {
                EventType::Added => {
                    objects.remove(&event.key);
                }
                EventType::Modified => {
                    if let Some(previous) = &event.previous {
                        objects.insert(&event.key, previous);
                    }
                }
                EventType::Deleted => {
                    objects.insert(&event.key, event.previous.as_ref().unwrap_or(&event.object));
                }
            }
        }
        objects
    }
}
