//! Field ownership for server-side apply: which manager owns which fields, encoded as
//! `managedFields[].fieldsV1` the way the API server writes it. Lists are treated as atomic
//! (owned as a whole), which is what the External Secrets CRDs declare for their lists.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// A field, as the path of keys from the object's root.
pub type FieldPath = Vec<String>;

/// A set of owned fields.
pub type FieldSet = BTreeSet<FieldPath>;

/// Which part of an object a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Everything but `status` (for kinds with a status subresource) or everything.
    Main { status_separate: bool },
    /// Only `status`.
    Status,
}

/// The fields a configuration sets, as leaf paths. Identity and server-owned metadata are left
/// out; so is whatever the part does not cover.
pub fn fields_of(config: &Value, part: Part) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(root) = config.as_object() else {
        return out;
    };
    for (key, value) in root {
        let include = match (part, key.as_str()) {
            (_, "apiVersion" | "kind") => false,
            (Part::Status, "status") => true,
            (Part::Status, _) => false,
            (Part::Main { status_separate }, "status") => !status_separate,
            (Part::Main { .. }, "metadata") => {
                for field in ["labels", "annotations"] {
                    if let Some(map) = value.get(field).and_then(Value::as_object) {
                        for k in map.keys() {
                            out.insert(vec!["metadata".into(), field.into(), k.clone()]);
                        }
                    }
                }
                for field in ["finalizers", "ownerReferences"] {
                    if value.get(field).is_some_and(|v| !v.is_null()) {
                        out.insert(vec!["metadata".into(), field.into()]);
                    }
                }
                false
            }
            _ => true,
        };
        if include {
            leaves(value, &mut vec![key.clone()], &mut out);
        }
    }
    out
}

fn leaves(value: &Value, prefix: &mut FieldPath, out: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                prefix.push(key.clone());
                leaves(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {
            out.insert(prefix.clone());
        }
    }
}

/// The fields whose values differ between two versions of an object (set or changed in `new`,
/// or removed from it).
pub fn changed_fields(old: &Value, new: &Value, part: Part) -> (FieldSet, FieldSet) {
    let before = fields_of(old, part);
    let after = fields_of(new, part);
    let changed = after
        .iter()
        .filter(|p| value_at(old, p) != value_at(new, p))
        .cloned()
        .collect();
    let removed = before.difference(&after).cloned().collect();
    (changed, removed)
}

/// The value at a path, if present.
pub fn value_at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// Removes the value at a path; returns whether something was removed.
pub fn remove_at(value: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut current = value;
    for key in parents {
        match current.get_mut(key) {
            Some(next) => current = next,
            None => return false,
        }
    }
    current
        .as_object_mut()
        .is_some_and(|map| map.remove(last).is_some())
}

/// Whether two paths overlap (one is the other or a prefix of it).
pub fn overlaps(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Merges an applied configuration into the live object: maps merge key by key, anything
/// else (scalars, lists) is replaced.
pub fn merge_into(live: &mut Value, config: &Value) {
    match (live, config) {
        (Value::Object(live), Value::Object(config)) => {
            for (key, value) in config {
                match live.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_into(existing, value);
                    }
                    _ => {
                        live.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (live, config) => *live = config.clone(),
    }
}

/// Encodes a field set as `fieldsV1`.
pub fn encode(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for key in path {
            let entry = node
                .entry(format!("f:{key}"))
                .or_insert_with(|| Value::Object(Map::new()));
            node = match entry {
                Value::Object(map) => map,
                _ => unreachable!("fieldsV1 nodes are objects"),
            };
        }
    }
    Value::Object(root)
}

/// Decodes `fieldsV1` into a field set (leaves only; `.` markers and list-item keys are read
/// as ownership of their parent).
pub fn decode(fields: &Value) -> FieldSet {
    fn walk(node: &Value, prefix: &mut FieldPath, out: &mut FieldSet) {
        let children: Vec<(&String, &Value)> = node
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| k.starts_with("f:")).collect())
            .unwrap_or_default();
        let has_other = node
            .as_object()
            .is_some_and(|m| m.keys().any(|k| !k.starts_with("f:")));
        if (children.is_empty() || has_other) && !prefix.is_empty() {
            out.insert(prefix.clone());
        }
        for (key, child) in children {
            prefix.push(key[2..].to_owned());
            walk(child, prefix, out);
            prefix.pop();
        }
    }
    let mut out = FieldSet::new();
    walk(fields, &mut Vec::new(), &mut out);
    out
}

/// One `managedFields` entry, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The field manager's name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// `status` for the status subresource, empty otherwise.
    pub subresource: String,
    /// When it last changed.
    pub time: String,
    /// API version the fields were recorded in.
    pub api_version: String,
    /// The owned fields.
    pub fields: FieldSet,
}

impl Entry {
    /// The manager as a conflict names it (`printManager`,
    /// k8s.io/apimachinery/pkg/util/managedfields/internal/conflict.go): quoted, its
    /// subresource, and for an Update the API version and time it wrote at.
    pub fn printed(&self) -> String {
        let mut printed = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            printed = format!("{printed} with subresource {:?}", self.subresource);
        }
        if self.operation == "Update" {
            printed = format!("{printed} using {}", self.api_version);
            if !self.time.is_empty() {
                printed = format!("{printed} at {}", self.time);
            }
        }
        printed
    }

    /// The JSON form stored in `metadata.managedFields`.
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
            "time": self.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": encode(&self.fields),
        });
        if !self.subresource.is_empty() {
            value["subresource"] = json!(self.subresource);
        }
        value
    }
}

/// Reads `metadata.managedFields`.
pub fn read(object: &Value) -> Vec<Entry> {
    object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or_default().to_owned(),
                    operation: e["operation"].as_str().unwrap_or_default().to_owned(),
                    subresource: e["subresource"].as_str().unwrap_or_default().to_owned(),
                    time: e["time"].as_str().unwrap_or_default().to_owned(),
                    api_version: e["apiVersion"].as_str().unwrap_or_default().to_owned(),
                    fields: decode(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Writes `metadata.managedFields`, dropping entries that own nothing.
pub fn write(object: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(Entry::to_json)
        .collect();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            metadata.remove("managedFields");
        } else {
            metadata.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// Finds a manager's entry for an operation and subresource, creating it if missing.
pub fn entry_mut<'a>(
    entries: &'a mut Vec<Entry>,
    manager: &str,
    operation: &str,
    subresource: &str,
    api_version: &str,
) -> &'a mut Entry {
    let index = entries.iter().position(|e| {
        e.manager == manager && e.operation == operation && e.subresource == subresource
    });
    let index = index.unwrap_or_else(|| {
        entries.push(Entry {
            manager: manager.to_owned(),
            operation: operation.to_owned(),
            subresource: subresource.to_owned(),
            time: String::new(),
            api_version: api_version.to_owned(),
            fields: FieldSet::new(),
        });
        entries.len() - 1
    });
    &mut entries[index]
}

/// The dotted form used in conflict messages (`.spec.refreshInterval`).
pub fn dotted(path: &[String]) -> String {
    path.iter().map(|k| format!(".{k}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> FieldPath {
        s.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn fields_of_apply_config_are_leaves_and_skip_identity() {
        let config = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "a", "labels": {"x": "1"}},
            "type": "Opaque",
            "data": {"k": "dg=="},
        });
        let set = fields_of(
            &config,
            Part::Main {
                status_separate: false,
            },
        );
        let expected: FieldSet = [path("metadata.labels.x"), path("type"), path("data.k")]
            .into_iter()
            .collect();
        assert_eq!(set, expected);
    }

    #[test]
    fn field_sets_round_trip_through_fields_v1() {
        let set: FieldSet = [
            path("spec.data"),
            path("spec.target.name"),
            path("metadata.labels.a"),
        ]
        .into_iter()
        .collect();
        let encoded = encode(&set);
        assert_eq!(encoded["f:spec"]["f:target"]["f:name"], json!({}));
        assert_eq!(decode(&encoded), set);
    }

    #[test]
    fn merge_replaces_lists_and_merges_maps() {
        let mut live = json!({"spec": {"a": 1, "list": [1, 2], "m": {"x": 1}}});
        merge_into(&mut live, &json!({"spec": {"list": [3], "m": {"y": 2}}}));
        assert_eq!(
            live,
            json!({"spec": {"a": 1, "list": [3], "m": {"x": 1, "y": 2}}})
        );
    }
}
