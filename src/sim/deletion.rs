//! A delete request's options and answer, as kube-apiserver reads and writes them.
//!
//! - Options: `propagationPolicy` and the deprecated `orphanDependents`, refused together or
//!   with an unknown policy (`ValidateDeleteOptions`, apimachinery
//!   `pkg/apis/meta/v1/validation/validation.go`, a 422 on `DeleteOptions.meta.k8s.io`).
//! - Code: 200, and 202 only when the object was not deleted by the request and the client set
//!   `orphanDependents: false` (`DeleteResource`, apiserver `pkg/endpoints/handlers/delete.go`:
//!   "We want to do this always if resource was not deleted immediately, but that will break
//!   existing clients"). An object waiting on finalizers is a 200 with the object.
//! - Body: the object while finalizers hold it; once deleted, a `Status` (Success, details
//!   name, group, resource as `kind`, uid) for every kind whose registry does not set
//!   `ReturnDeletedObject` (`finalizeDelete`, apiserver `pkg/registry/generic/registry/
//!   store.go`). Of the kinds served, only Namespace sets it (kubernetes
//!   `pkg/registry/core/namespace/storage/storage.go`); Secret, ConfigMap, Event
//!   (`pkg/registry/core/{secret,configmap,event}/storage/storage.go`), Lease
//!   (`pkg/registry/coordination/lease/storage/storage.go`) and custom resources
//!   (apiextensions-apiserver `pkg/registry/customresource/etcd.go`) answer the `Status`.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{json_response, with_type};
use super::resources::{TYPES, TypeId};
use super::status::{ApiError, without_empty};
use super::store::{DeleteOptions, Propagation};

/// A 422 on a `meta.k8s.io` options kind (`DeleteOptions`, `ListOptions`), worded as
/// apimachinery's `NewInvalid` words it; `errors` are `(field, cause type, message body)`.
pub(crate) fn options_invalid(kind: &str, errors: &[(&str, &str, String)]) -> ApiError {
    let listed: Vec<String> = errors
        .iter()
        .map(|(field, _, body)| format!("{field}: {body}"))
        .collect();
    let summary = if listed.len() == 1 {
        listed[0].clone()
    } else {
        format!("[{}]", listed.join(", "))
    };
    let causes: Vec<Value> = errors
        .iter()
        .map(|(field, reason, body)| json!({"reason": reason, "message": body, "field": field}))
        .collect();
    ApiError {
        code: 422,
        reason: "Invalid",
        message: format!("{kind}.meta.k8s.io \"\" is invalid: {summary}"),
        details: Some(json!({"group": "meta.k8s.io", "kind": kind, "causes": causes})),
    }
}

/// The options of a delete: from its `DeleteOptions` body, else from the query.
pub(crate) fn delete_options(
    body: &Value,
    query: &HashMap<String, String>,
    dry_run_query: bool,
) -> Result<DeleteOptions, ApiError> {
    let policy = body["propagationPolicy"]
        .as_str()
        .or(query.get("propagationPolicy").map(String::as_str));
    let orphan_dependents = body["orphanDependents"].as_bool().or(query
        .get("orphanDependents")
        .and_then(|v| v.parse::<bool>().ok()));
    let mut errors = Vec::new();
    if let (Some(_), Some(policy)) = (orphan_dependents, policy) {
        errors.push((
            "propagationPolicy",
            "FieldValueInvalid",
            format!(
                "Invalid value: \"{policy}\": orphanDependents and deletionPropagation cannot be \
                 both set"
            ),
        ));
    }
    let propagation = match policy {
        None => None,
        Some(p) => match Propagation::parse(p) {
            Some(parsed) => Some(parsed),
            None => {
                errors.push((
                    "propagationPolicy",
                    "FieldValueNotSupported",
                    format!(
                        "Unsupported value: \"{p}\": supported values: \"Foreground\", \
                         \"Background\", \"Orphan\", \"nil\""
                    ),
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(options_invalid("DeleteOptions", &errors));
    }
    let dry_run = dry_run_query
        || body["dryRun"]
            .as_array()
            .is_some_and(|d| d.iter().any(|v| v == "All"));
    Ok(DeleteOptions {
        uid: body
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_owned),
        resource_version: body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_owned),
        orphan_dependents,
        propagation,
        dry_run,
    })
}

/// The answer to a delete of one object: `deleted` is whether the request deleted it.
pub(crate) fn delete_answer(
    type_id: TypeId,
    name: &str,
    object: Value,
    deleted: bool,
    options: &DeleteOptions,
) -> Response {
    let t = &TYPES[type_id];
    let code = if !deleted && options.orphan_dependents == Some(false) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    let returns_object = t.kind == "Namespace" && !t.custom;
    if !deleted || returns_object {
        return json_response(code, &with_type(type_id, object));
    }
    json_response(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Success",
            "details": without_empty(&json!({
                "name": name, "group": t.group, "kind": t.plural,
                "uid": object.pointer("/metadata/uid").cloned().unwrap_or(Value::Null),
            })),
        }),
    )
}
