//! `meta.k8s.io/v1` Table responses: what `kubectl get` prints.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::resources::{ColumnSource, ResourceType};
use super::time::parse_rfc3339;

/// Whether the client asked for a Table (`Accept: application/json;as=Table;...`).
pub fn wanted(accept: &str) -> bool {
    accept.contains("as=Table")
}

/// Age as kubectl shows it: `45s`, `3m20s`, `5h`, `2d`.
pub fn human_age(created: Option<&str>) -> String {
    let Some(at) = created.and_then(parse_rfc3339) else {
        return "<unknown>".to_owned();
    };
    let secs = SystemTime::now()
        .duration_since(at)
        .unwrap_or_default()
        .as_secs();
    match secs {
        0..120 => format!("{secs}s"),
        120..600 => format!("{}m{}s", secs / 60, secs % 60),
        600..10_800 => format!("{}m", secs / 60),
        10_800..28_800 => format!("{}h{}m", secs / 3600, (secs % 3600) / 60),
        28_800..172_800 => format!("{}h", secs / 3600),
        172_800..691_200 => format!("{}d{}h", secs / 86_400, (secs % 86_400) / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// The integer at a dotted path, or the length of the list there; 0 when absent, as a Go
/// printer reads an unset `int32`.
fn integer_at(object: &Value, path: &str) -> i64 {
    match object.pointer(&format!("/{}", path.replace('.', "/"))) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or_default(),
        Some(Value::Array(items)) => i64::try_from(items.len()).unwrap_or_default(),
        _ => 0,
    }
}

fn cell(object: &Value, source: &ColumnSource) -> Value {
    match source {
        ColumnSource::Age => json!(human_age(
            object
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
        )),
        ColumnSource::Since(path) => {
            let pointer = format!("/{}", path.replace('.', "/"));
            match object.pointer(&pointer).and_then(Value::as_str) {
                Some(at) => json!(human_age(Some(at))),
                None => json!("<none>"),
            }
        }
        ColumnSource::InvolvedObject => json!(format!(
            "{}/{}",
            object
                .pointer("/involvedObject/kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase(),
            object
                .pointer("/involvedObject/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )),
        // A ConfigMap's DATA counts `binaryData` too (`printConfigMap`, kubernetes
        // `pkg/printers/internalversion/printers.go`); a Secret has none.
        ColumnSource::DataCount => json!(
            ["data", "binaryData"]
                .iter()
                .filter_map(|field| object.get(*field).and_then(Value::as_object))
                .map(serde_json::Map::len)
                .sum::<usize>()
        ),
        ColumnSource::Path(path) => {
            let pointer = format!("/{}", path.replace('.', "/"));
            match object.pointer(&pointer) {
                None | Some(Value::Null) => json!(""),
                Some(Value::Array(items)) => json!(
                    items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                Some(v) => v.clone(),
            }
        }
        ColumnSource::Count(path) => json!(integer_at(object, path)),
        ColumnSource::Ratio(part, whole) => json!(format!(
            "{}/{}",
            integer_at(object, part),
            integer_at(object, whole)
        )),
        ColumnSource::Condition(kind, field) => object
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|c| c.iter().find(|c| c["type"] == *kind))
            .and_then(|c| c.get(*field).cloned())
            .unwrap_or_else(|| json!("")),
    }
}

/// Events are listed by what they are about, not by their own generated names.
fn has_name_column(t: &ResourceType) -> bool {
    t.kind != "Event"
}

/// The column definitions of a kind.
pub fn columns(t: &ResourceType) -> Vec<Value> {
    let mut columns = Vec::new();
    if has_name_column(t) {
        columns.push(json!({
            "name": "Name", "type": "string", "format": "name", "priority": 0,
            "description": "Name must be unique within a namespace.",
        }));
    }
    columns.extend(t.columns.iter().map(
        |c| json!({"name": c.name, "type": c.kind, "format": "", "priority": 0, "description": ""}),
    ));
    if !has_name_column(t) {
        // Still there for `-o wide`, as kube-apiserver does it.
        columns.push(json!({
            "name": "Name", "type": "string", "format": "name", "priority": 1,
            "description": "Name must be unique within a namespace.",
        }));
    }
    columns
}

/// One row: the cells, and the object's metadata (`includeObject=Metadata`) or the object.
pub fn row(t: &ResourceType, object: &Value, include_object: bool) -> Value {
    let mut cells = Vec::new();
    if has_name_column(t) {
        cells.push(
            object
                .pointer("/metadata/name")
                .cloned()
                .unwrap_or_default(),
        );
    }
    cells.extend(t.columns.iter().map(|c| cell(object, &c.source)));
    if !has_name_column(t) {
        cells.push(
            object
                .pointer("/metadata/name")
                .cloned()
                .unwrap_or_default(),
        );
    }
    let embedded = if include_object {
        object.clone()
    } else {
        json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object.get("metadata").cloned().unwrap_or_default(),
        })
    };
    json!({"cells": cells, "object": embedded})
}

/// A whole Table.
pub fn table(
    t: &ResourceType,
    objects: &[Value],
    with_columns: bool,
    include_object: bool,
    list_metadata: Value,
) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": if with_columns { columns(t) } else { Vec::new() },
        "rows": objects.iter().map(|o| row(t, o, include_object)).collect::<Vec<_>>(),
    })
}
