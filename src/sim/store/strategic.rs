//! Strategic merge patch for the built-in kinds served here, as kube-apiserver applies it:
//! `StrategicMergeMapPatch` with `MergeParallelList` and `IgnoreUnmatchedNulls` (apimachinery
//! `pkg/util/strategicpatch/patch.go`, `mergeMap` and what it calls), with the patch strategies
//! of the Go types' struct tags (the workload kinds': `strategies.rs`); those that matter for
//! Namespace, Secret, ConfigMap, Event and Lease:
//! `ObjectMeta.finalizers` (merge, a list of strings), `ObjectMeta.ownerReferences` (merge by
//! `uid`) and `NamespaceStatus.conditions` (merge by `type`) (apimachinery
//! `pkg/apis/meta/v1/types.go`, api `core/v1/types.go`). Every other list is atomic and every
//! map merges. The directives: `$patch: replace | delete` in a map or a list element,
//! `$retainKeys`, `$deleteFromPrimitiveList/<list>`, `$setElementOrder/<list>`.
//!
//! Errors are answered as the patch handler answers them (`interpretStrategicMergePatchError`,
//! apiserver `pkg/endpoints/handlers/patch.go`): the `mergepatch` format errors 400, lists of
//! lists 422 with the generic message, and everything else is a plain Go error that
//! kube-apiserver answers 500 with no reason (`ErrorToAPIStatus`). Where its message prints
//! the patch (`map: map[…] does not contain declared merge key: uid`), it is left out here:
//! a patch can hold Secret values.

use serde_json::{Map, Value};

use crate::sim::status::ApiError;

use super::strategies;

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
/// What stands in an error message for a part of the patch.
const OMITTED: &str = "<omitted>";

/// Where a map sits, for the patch strategies of its fields.
#[derive(Debug, Clone, Copy)]
enum At {
    Root,
    Metadata,
    NamespaceStatus,
    Other,
    /// In a workload kind: a value of this Go struct (`strategies.rs`).
    Typed(&'static crate::sim::strict::GoStruct),
}

/// A list field's merge key when its strategy is `merge` ("" for a list of primitives).
type Strategy = Option<&'static str>;

fn child(at: At, kind: &str, key: &str) -> At {
    if let At::Typed(s) = at {
        return strategies::field_struct(s, key).map_or(At::Other, At::Typed);
    }
    match (at, key) {
        (At::Root, "metadata") => At::Metadata,
        (At::Root, "status") if kind == "Namespace" => At::NamespaceStatus,
        _ => At::Other,
    }
}

fn list_strategy(at: At, key: &str) -> Strategy {
    if let At::Typed(s) = at {
        return strategies::merge_key(s.name, key);
    }
    match (at, key) {
        (At::Metadata, "finalizers") => Some(""),
        (At::Metadata, "ownerReferences") => Some("uid"),
        (At::NamespaceStatus, "conditions") => Some("type"),
        _ => None,
    }
}

/// The Go type of a decoded JSON value (`UnmarshalCaseSensitivePreserveInts`), as `%s` prints
/// it.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "%!s(<nil>)",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() => "int64",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => SLICE,
        Value::Object(_) => MAP,
    }
}

const SLICE: &str = "[]interface {}";
const MAP: &str = "map[string]interface {}";

/// A plain Go error: kube-apiserver answers 500 with the message and no reason.
fn internal(message: impl Into<String>) -> ApiError {
    ApiError::unclassified(500, message)
}

fn bad_arg_type(expected: &str, actual: &Value) -> ApiError {
    internal(format!(
        "expected a {expected}, but received a {}",
        go_type(actual)
    ))
}

fn no_merge_key(key: &str) -> ApiError {
    internal(format!(
        "map: {OMITTED} does not contain declared merge key: {key}"
    ))
}

fn bad_patch_type(directive: &Value) -> ApiError {
    // `$patch: merge` on a map is the one a person writes; other values are not repeated.
    let shown = match directive.as_str() {
        Some("merge") => "merge",
        _ => OMITTED,
    };
    internal(format!("unknown patch type: {shown} in map: {OMITTED}"))
}

/// Applies a strategic merge patch to an object of `kind`. What the patch leaves that the kind
/// does not have (a stray `$` key among them) is the decoder's to drop or refuse
/// (`sim::strict::decode_patched`), as `FromUnstructuredWithValidation` does there.
pub(super) fn apply(
    kind: &str,
    original: &Value,
    patch: Map<String, Value>,
) -> Result<Value, ApiError> {
    let original = original.as_object().cloned().unwrap_or_default();
    let at = crate::sim::strict::workload_struct(kind).map_or(At::Root, At::Typed);
    Ok(Value::Object(merge_map(original, patch, at, kind)?))
}

fn extract_key(key: &str, prefix: &str) -> Result<String, ApiError> {
    match key.split_once('/') {
        Some((p, rest)) if p == prefix => Ok(rest.to_owned()),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST => Err(ApiError::bad_request(
            "invalid patch format of primitive list",
        )),
        _ => Err(ApiError::bad_request(
            "invalid patch format of setElementOrder list",
        )),
    }
}

/// `removeDirectives`: `None` when the value is itself a `$patch` map.
fn remove_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key(DIRECTIVE) => None,
        Value::Object(map) => Some(Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| remove_directives(v).map(|v| (k, v)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

/// `discardNullValuesFromPatch`.
fn discard_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(discard_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    at: At,
    kind: &str,
) -> Result<Map<String, Value>, ApiError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => {
                patch.remove(DIRECTIVE);
                Ok(patch)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(bad_patch_type(directive)),
        };
    }
    if let Some(retain) = patch.remove(RETAIN_KEYS) {
        let Value::Array(retain) = retain else {
            return Err(ApiError::bad_request("invalid patch format of retainKeys"));
        };
        let kept = |k: &str| retain.iter().any(|r| r.as_str() == Some(k));
        let outside = patch.iter().any(|(k, v)| {
            !(v.is_null()
                || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
                || k.starts_with(SET_ELEMENT_ORDER)
                || kept(k))
        });
        if outside {
            return Err(ApiError::bad_request("invalid patch format of retainKeys"));
        }
        original.retain(|k, _| kept(k));
    }
    set_element_order(&mut original, &mut patch, at)?;
    for (key, patch_value) in patch {
        let (key, delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            (extract_key(&key, DELETE_FROM_PRIMITIVE_LIST)?, true)
        } else {
            (key, false)
        };
        if patch_value.is_null() {
            original.remove(&key);
            continue;
        }
        let Some(original_value) = original.remove(&key) else {
            if !delete_list {
                let mut value = patch_value;
                discard_nulls(&mut value);
                if let Some(value) = remove_directives(value) {
                    original.insert(key, value);
                }
            }
            continue;
        };
        if go_type(&original_value) != go_type(&patch_value) {
            if delete_list {
                original.insert(key, original_value);
            } else {
                let mut value = patch_value;
                discard_nulls(&mut value);
                if let Some(value) = remove_directives(value) {
                    original.insert(key, value);
                }
            }
            continue;
        }
        let merged = match (original_value, patch_value) {
            (Value::Object(o), Value::Object(p)) => {
                Value::Object(merge_map(o, p, child(at, kind, &key), kind)?)
            }
            (Value::Array(o), Value::Array(p)) => {
                let element = child(at, kind, &key);
                Value::Array(merge_list(
                    o,
                    p,
                    list_strategy(at, &key),
                    delete_list,
                    element,
                )?)
            }
            (_, p) => match remove_directives(p) {
                Some(v) => v,
                None => continue,
            },
        };
        original.insert(key, merged);
    }
    Ok(original)
}

/// `mergeSliceHandler`: atomic lists are replaced (directives and all), merge lists merged.
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    strategy: Strategy,
    delete_list: bool,
    element: At,
) -> Result<Vec<Value>, ApiError> {
    match strategy {
        Some(merge_key) => merge_slice(original, patch, merge_key, delete_list, element),
        None if delete_list => merge_slice(original, patch, "", true, element),
        None => Ok(patch),
    }
}

/// `sliceElementType`: every element of every list is of one Go type, not a list.
fn element_type(lists: &[&[Value]]) -> Result<&'static str, ApiError> {
    let mut previous = None;
    for value in lists.iter().flat_map(|l| l.iter()) {
        let t = go_type(value);
        match previous {
            // `reflect.TypeOf(nil).Kind()`: the handler panics and the server answers 500.
            None if value.is_null() => {
                return Err(internal(
                    "This request caused apiserver to panic. Look in the logs for details.",
                ));
            }
            None if value.is_array() => {
                return Err(ApiError::patch_rejected());
            }
            None => previous = Some(t),
            Some(p) if p != t => {
                return Err(internal(format!(
                    "list element types are not identical: {OMITTED}"
                )));
            }
            Some(_) => {}
        }
    }
    previous.ok_or_else(|| internal("no elements in any of the given slices"))
}

fn merge_slice(
    original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
    delete_list: bool,
    element: At,
) -> Result<Vec<Value>, ApiError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let kind = element_type(&[&original, &patch])?;
    let (original, merged) = if kind != MAP {
        if delete_list {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.contains(v))
                .collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for v in original.iter().chain(&patch) {
            if !merged.contains(v) {
                merged.push(v.clone());
            }
        }
        (original, merged)
    } else {
        if merge_key.is_empty() {
            return Err(internal(format!(
                "cannot merge lists without merge key for {OMITTED}"
            )));
        }
        let (original, rest) = special_elements(original, &patch, merge_key)?;
        let merged = merge_by_key(original.clone(), rest, merge_key, element)?;
        (original, merged)
    };
    let (patch_items, server_only) = partition(merged, &patch, merge_key)?;
    normalize_order(patch_items, server_only, &patch, &original, merge_key, kind)
}

/// `mergeSliceWithSpecialElements`: `$patch: delete` removes by merge key, `$patch: replace`
/// makes the list the patch's other elements.
fn special_elements(
    mut original: Vec<Value>,
    patch: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let mut rest = Vec::new();
    let mut replace = false;
    for v in patch {
        let Some(directive) = v.get(DIRECTIVE) else {
            rest.push(v.clone());
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let value = v.get(merge_key).ok_or_else(|| no_merge_key(merge_key))?;
                original.retain(|o| o.get(merge_key) != Some(value));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(internal(
                    "merging lists cannot yet be specified in the patch",
                ));
            }
            _ => return Err(bad_patch_type(directive)),
        }
    }
    Ok(if replace {
        (rest, Vec::new())
    } else {
        (original, rest)
    })
}

/// `mergeSliceWithoutSpecialElements`: elements with the same merge key merge, others append.
fn merge_by_key(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
    element: At,
) -> Result<Vec<Value>, ApiError> {
    for v in patch {
        let Value::Object(p) = v else {
            return Err(bad_arg_type(MAP, &v));
        };
        let value = p.get(merge_key).ok_or_else(|| no_merge_key(merge_key))?;
        let found = original
            .iter()
            .position(|o| o.get(merge_key) == Some(value));
        match found {
            Some(i) => {
                let o = original[i].as_object().cloned().unwrap_or_default();
                original[i] = Value::Object(merge_map(o, p, element, "")?);
            }
            None => original.push(Value::Object(p)),
        }
    }
    Ok(original)
}

/// The merge key's value of a list element, or the element itself for primitives.
fn identity<'a>(v: &'a Value, merge_key: &str) -> Option<&'a Value> {
    if merge_key.is_empty() {
        Some(v)
    } else {
        v.get(merge_key)
    }
}

fn index(list: &[Value], v: &Value, merge_key: &str) -> Option<usize> {
    let wanted = identity(v, merge_key);
    list.iter().position(|x| identity(x, merge_key) == wanted)
}

/// `partitionPrimitivesByPresentInList` / `partitionMapsByPresentInList`.
fn partition(
    merged: Vec<Value>,
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for v in merged {
        let found = if merge_key.is_empty() {
            by.contains(&v)
        } else {
            if !v.is_object() {
                return Err(bad_arg_type(MAP, &v));
            }
            let value = v.get(merge_key).ok_or_else(|| no_merge_key(merge_key))?;
            if let Some(i) = by.iter().position(|b| !b.is_object()) {
                return Err(internal(format!("value for key {i} is not a map")));
            }
            by.iter().any(|b| b.get(merge_key) == Some(value))
        };
        if found {
            present.push(v);
        } else {
            absent.push(v);
        }
    }
    Ok((present, absent))
}

/// `normalizeElementOrder`: patch items in the patch's order, server-only items in the live
/// order, interleaved as `mergeSortedSlice` does.
fn normalize_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    kind: &str,
) -> Result<Vec<Value>, ApiError> {
    let patch_items = sort_by_order(patch_items, patch_order, merge_key, kind)?;
    let server_only = sort_by_order(server_only, server_order, merge_key, kind)?;
    let (mut left, mut right) = (
        server_only.into_iter().peekable(),
        patch_items.into_iter().peekable(),
    );
    let mut out = Vec::new();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                match (
                    index(server_order, l, merge_key),
                    index(server_order, r, merge_key),
                ) {
                    (Some(li), Some(ri)) => li < ri,
                    _ => false,
                }
            }
        };
        out.extend(if take_left { left.next() } else { right.next() });
    }
    Ok(out)
}

/// `normalizeSliceOrder`: a stable sort by position in `order`; elements that delete go last.
fn sort_by_order(
    mut items: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    kind: &str,
) -> Result<Vec<Value>, ApiError> {
    let mut deleting = Vec::new();
    if kind == MAP {
        for v in items.iter().chain(order) {
            if !v.is_object() {
                return Err(bad_arg_type(MAP, v));
            }
            if v.get(merge_key).is_none() {
                return Err(no_merge_key(merge_key));
            }
        }
        let (keep, delete): (Vec<Value>, Vec<Value>) = items
            .into_iter()
            .partition(|v| v.get(DIRECTIVE).and_then(Value::as_str) != Some("delete"));
        items = keep;
        deleting = delete;
    }
    items.sort_by_key(|v| index(order, v, merge_key).unwrap_or(usize::MAX));
    items.extend(deleting);
    Ok(items)
}

/// `mergePatchIntoOriginal`: each `$setElementOrder/<list>` with its list in the patch.
fn set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    at: At,
) -> Result<(), ApiError> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for key in keys {
        let Some(order) = patch.remove(&key) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(bad_arg_type(SLICE, &order));
        };
        let list_key = extract_key(&key, SET_ELEMENT_ORDER)?;
        let as_list = |v: Option<&Value>| -> Result<Option<Vec<Value>>, ApiError> {
            match v {
                None => Ok(None),
                Some(Value::Array(items)) => Ok(Some(items.clone())),
                Some(other) => Err(bad_arg_type(SLICE, other)),
            }
        };
        let original_list = as_list(original.get(&list_key))?;
        let patch_list = as_list(patch.get(&list_key))?;
        let strategy = list_strategy(at, &list_key);
        let merge_key = strategy.unwrap_or("");
        check_order(patch_list.as_deref().unwrap_or_default(), &order, merge_key)?;
        let merged = match (&original_list, &patch_list) {
            (Some(o), None) => o.clone(),
            (None, Some(p)) => match remove_directives(Value::Array(p.clone())) {
                Some(Value::Array(items)) => items,
                _ => continue,
            },
            (Some(o), Some(p)) => merge_list(
                o.clone(),
                p.clone(),
                strategy,
                false,
                child(at, "", &list_key),
            )?,
            (None, None) => continue,
        };
        let (patch_items, server_only) = partition(merged, &order, merge_key)?;
        let original_list = original_list.unwrap_or_default();
        let kind = element_type(&[&original_list, patch_list.as_deref().unwrap_or_default()])?;
        let both = normalize_order(
            patch_items,
            server_only,
            &order,
            &original_list,
            merge_key,
            kind,
        )?;
        original.insert(list_key.clone(), Value::Array(both));
        patch.remove(&list_key);
    }
    Ok(())
}

/// `validatePatchWithSetOrderList`: the patch's elements appear in the order list, in its
/// order.
fn check_order(patch: &[Value], order: &[Value], merge_key: &str) -> Result<(), ApiError> {
    if patch.is_empty() || order.is_empty() {
        return Ok(());
    }
    let mut kept = Vec::new();
    for v in patch {
        if merge_key.is_empty() {
            kept.push(v);
            continue;
        }
        if !v.is_object() {
            return Err(bad_arg_type(MAP, v));
        }
        if v.get(DIRECTIVE).and_then(Value::as_str) != Some("delete") {
            kept.push(v);
        }
    }
    let (mut p, mut o) = (0, 0);
    while p < kept.len() && o < order.len() {
        if kept[p].get(DIRECTIVE).is_some() {
            p += 1;
            continue;
        }
        let equal = if merge_key.is_empty() {
            kept[p] == &order[o]
        } else {
            let (Some(left), Some(right)) = (kept[p].as_object(), order[o].as_object()) else {
                return Err(bad_arg_type(MAP, &order[o]));
            };
            let left = left.get(merge_key).ok_or_else(|| no_merge_key(merge_key))?;
            let right = right
                .get(merge_key)
                .ok_or_else(|| no_merge_key(merge_key))?;
            left == right
        };
        if equal {
            p += 1;
        }
        o += 1;
    }
    if p < kept.len() && o >= order.len() {
        return Err(internal(format!(
            "The order in patch list:\n{OMITTED}\n doesn't match $setElementOrder list:\n{OMITTED}\n"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// [kind, original, patch, {"ok": result} or {"err": [code, words]}]. The ordering cases are
    /// apimachinery's (`patch_test.go`: "unique scalars when merging lists", "preserve the order
    /// from the patch in a merging int list", "set elements order in a int list with server-only
    /// items 2", "should check if order in $setElementOrder and patch list match").
    #[test]
    fn strategic_merge_patch_cases() {
        let cases = json!([
            ["Secret", {"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": ["b"]}},
             {"ok": {"metadata": {"finalizers": ["b", "a"]}}}],
            ["Secret", {"metadata": {"finalizers": [1, 2]}}, {"metadata": {"finalizers": [2, 3]}},
             {"ok": {"metadata": {"finalizers": [1, 2, 3]}}}],
            ["Secret", {"metadata": {"finalizers": [1, 2, 3]}}, {"metadata": {"finalizers": [3, 1]}},
             {"ok": {"metadata": {"finalizers": [2, 3, 1]}}}],
            ["Secret", {"metadata": {"finalizers": [1, 2, 9, 3, 4]}},
             {"metadata": {"$setElementOrder/finalizers": [2, 1, 4, 3]}},
             {"ok": {"metadata": {"finalizers": [2, 1, 9, 4, 3]}}}],
            ["Secret", {"metadata": {"finalizers": [1, 3, 2]}},
             {"metadata": {"$setElementOrder/finalizers": [1, 2, 3], "finalizers": [3, 1]}},
             {"err": [500, "doesn't match $setElementOrder list"]}],
            ["Secret", {"metadata": {"finalizers": ["a", "b", "c"]}},
             {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "z"]}},
             {"ok": {"metadata": {"finalizers": ["a", "c"]}}}],
            ["Secret", {"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": ["a", 1]}},
             {"err": [500, "list element types are not identical"]}],
            ["Secret", {"metadata": {"finalizers": []}}, {"metadata": {"finalizers": [["a"]]}},
             {"err": [422, "the server rejected our request"]}],
            ["Secret", {"metadata": {"ownerReferences": [{"uid": "1"}, {"uid": "2", "name": "b"}]}},
             {"metadata": {"ownerReferences": [{"uid": "2", "name": "c"}, {"uid": "3"}]}},
             {"ok": {"metadata": {"ownerReferences": [{"uid": "1"}, {"uid": "2", "name": "c"}, {"uid": "3"}]}}}],
            ["Secret", {"metadata": {"ownerReferences": [{"uid": "1"}, {"uid": "2"}]}},
             {"metadata": {"ownerReferences": [{"uid": "1", "$patch": "delete"}]}},
             {"ok": {"metadata": {"ownerReferences": [{"uid": "2"}]}}}],
            ["Secret", {"metadata": {"ownerReferences": [{"uid": "1"}]}},
             {"metadata": {"ownerReferences": [{"name": "x"}]}},
             {"err": [500, "map: <omitted> does not contain declared merge key: uid"]}],
            ["Secret", {"data": {"a": "1", "b": "2"}}, {"data": {"$patch": "replace", "c": "3"}},
             {"ok": {"data": {"c": "3"}}}],
            ["Secret", {"data": {"a": "1"}}, {"data": {"$patch": "delete"}}, {"ok": {"data": {}}}],
            ["Secret", {"data": {"a": "1", "b": "2"}}, {"data": {"$retainKeys": ["b", "c"], "c": "3"}},
             {"ok": {"data": {"b": "2", "c": "3"}}}],
            ["Secret", {"data": {"a": "1"}}, {"data": {"$retainKeys": ["b"], "c": "3"}},
             {"err": [400, "invalid patch format of retainKeys"]}],
            ["Secret", {"data": {"a": "1"}}, {"data": {"$patch": "merge"}},
             {"err": [500, "unknown patch type: merge in map: <omitted>"]}],
            ["Secret", {"data": {"a": "1"}}, {"$setElementOrder": []},
             {"err": [400, "invalid patch format of setElementOrder list"]}],
            ["Namespace", {"spec": {"finalizers": ["k"]}, "status": {"conditions": [{"type": "A"}]}},
             {"spec": {"finalizers": ["x"]}, "$unknown": 1, "status": {"conditions": [{"type": "B"}]}},
             {"ok": {"spec": {"finalizers": ["x"]}, "$unknown": 1,
                     "status": {"conditions": [{"type": "B"}, {"type": "A"}]}}}]
        ]);
        for case in cases.as_array().unwrap() {
            let (kind, original, patch) = (case[0].as_str().unwrap(), &case[1], &case[2]);
            let got = apply(kind, original, patch.as_object().unwrap().clone());
            match (got, &case[3]) {
                (Ok(got), want) if want.get("ok").is_some() => {
                    assert_eq!(got, want["ok"], "{patch}")
                }
                (Err(e), want) if want.get("err").is_some() => {
                    assert_eq!(e.code, want["err"][0], "{patch}: {e}");
                    let words = want["err"][1].as_str().unwrap();
                    assert!(e.message.contains(words), "{patch}: {e}");
                }
                (got, want) => panic!("{patch}: got {got:?}, want {want}"),
            }
        }
    }
}
