//! What the patch handler does with a patch body other than an apply, and with the patched
//! document before the update (apiserver `pkg/endpoints/handlers/patch.go`): merge and JSON
//! patches as evanphx/json-patch v4 applies them, the strategic merge patch's decoding, and the
//! checks of the result (it decodes into the kind's type; name and namespace are the URL's).
//! Errors never repeat the body: it can hold Secret values.

use serde_json::{Value, json};

use crate::sim::resources::TYPES;
use crate::sim::status::{ApiError, json_kind};

use super::{Key, invalid, strategic};

/// A JSON merge patch, as the patch handler applies it (`jsonpatch.MergePatch`, evanphx/json-patch
/// v4 `merge.go`): `null`, a string, a number or a boolean is 400 "Invalid JSON Patch"
/// (`ErrBadJSONPatch`, kept by `applyJSPatch`); an array becomes the whole document, which
/// then does not decode ([`check_document`]).
pub(super) fn merge_patched(old: &Value, patch: Value) -> Result<Value, ApiError> {
    match patch {
        Value::Object(_) => {
            let mut patched = old.clone();
            json_patch::merge(&mut patched, &patch);
            Ok(patched)
        }
        Value::Array(_) => Ok(patch),
        _ => Err(ApiError::bad_request("Invalid JSON Patch")),
    }
}

/// A strategic merge patch (`strategicPatchObject`): the body is decoded into a map first, so
/// anything but an object is 400 with the decoder's words, and `null` is an empty patch.
pub(super) fn strategic_patched(kind: &str, old: &Value, patch: Value) -> Result<Value, ApiError> {
    match patch {
        Value::Object(patch) => strategic::apply(kind, old, patch),
        Value::Null => Ok(old.clone()),
        other => Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_kind(&other)
        ))),
    }
}

/// `maxJSONPatchOperations` (apiserver `pkg/endpoints/handlers/patch.go`).
const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// A JSON patch, as the patch handler applies it (`jsonpatch.DecodePatch` and `Apply`,
/// evanphx/json-patch v4 `patch.go`): a body that is not a list of objects is 400 with the
/// decoder's words (`null` is an empty patch); more than 10,000 operations 413; an operation
/// that does not apply 422 with the generic message (`NewGenericServerResponse`). v4 takes the
/// whole document (path "") only in `replace` and `test`, and only an object or a list.
pub(super) fn json_patched(old: &Value, patch: Value) -> Result<Value, ApiError> {
    let operations = match patch {
        Value::Null => return Ok(old.clone()),
        Value::Array(operations) => operations,
        other => {
            return Err(ApiError::bad_request(format!(
                "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                json_kind(&other)
            )));
        }
    };
    if let Some(other) = operations.iter().find(|o| !o.is_object() && !o.is_null()) {
        return Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
            json_kind(other)
        )));
    }
    if operations.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(ApiError::too_large(format!(
            "The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
            operations.len()
        )));
    }
    let at_root = |o: &Value, field: &str| o.get(field).and_then(Value::as_str) == Some("");
    let unsupported = operations.iter().any(|o| match o["op"].as_str() {
        Some("add" | "remove") => at_root(o, "path"),
        Some("move" | "copy") => at_root(o, "path") || at_root(o, "from"),
        Some(_) => false,
        None => true,
    });
    if unsupported {
        return Err(ApiError::patch_rejected());
    }
    let operations: json_patch::Patch =
        serde_json::from_value(Value::Array(operations)).map_err(|_| ApiError::patch_rejected())?;
    let mut patched = old.clone();
    json_patch::patch(&mut patched, &operations).map_err(|_| ApiError::patch_rejected())?;
    match patched {
        Value::Object(_) | Value::Array(_) => Ok(patched),
        _ => Err(ApiError::patch_rejected()),
    }
}

/// 422 for a patched document that does not decode into the kind's type
/// (`field.Invalid(field.NewPath("patch"), …)` in `jsonPatcher.applyPatchToCurrentObject`).
/// kube-apiserver shows the whole patched object as the invalid value; it is left out here (as
/// `field.OmitValueType` leaves a value out), for it holds the object's data.
fn undecodable(detail: &str) -> ApiError {
    ApiError {
        code: 422,
        reason: "Invalid",
        message: format!(" \"\" is invalid: patch: Invalid value: {detail}"),
        details: Some(json!({"causes": [{
            "reason": "FieldValueInvalid",
            "message": format!("Invalid value: {detail}"),
            "field": "patch",
        }]})),
    }
}

/// What kube-apiserver reads of a patched document first (`jsonPatcher.applyPatchToCurrentObject`,
/// apiserver `pkg/endpoints/handlers/patch.go`): it decodes it into the kind's type, so a
/// document that is not an object, or whose `kind` or `apiVersion` is not a string, is 422 on
/// `patch` ([`undecodable`]); another kind or version of a built-in kind does not convert (a
/// strategic merge patch, decoded into the typed object, keeps its type); a custom resource's
/// is refused by `ValidateTypeMeta` (apiextensions-apiserver
/// `pkg/registry/customresource/validator.go`). The fields' types are `sim::strict`'s.
pub(super) fn check_document(
    key: &Key,
    candidate: Value,
    strategic: bool,
) -> Result<Value, ApiError> {
    let t = &TYPES[key.type_id];
    let mut candidate = match candidate {
        Value::Object(_) => candidate,
        Value::Array(_) => {
            return Err(undecodable(
                "couldn't get version/kind; json parse error: json: cannot unmarshal array into \
                 Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; \
                 Kind string \"json:\\\"kind,omitempty\\\"\" }",
            ));
        }
        _ => return Err(ApiError::patch_rejected()),
    };
    let mut type_errors = Vec::new();
    for (field, expected) in [("apiVersion", t.api_version()), ("kind", t.kind.to_owned())] {
        match candidate.get(field) {
            Some(Value::String(s)) if *s == expected => {}
            None | Some(Value::Null) if t.custom => {
                let what = if field == "kind" { "Kind" } else { field };
                return Err(undecodable(&format!(
                    "Object '{what}' is missing in '<omitted>'"
                )));
            }
            None | Some(Value::Null) => candidate[field] = json!(expected),
            Some(Value::String(s)) if s.is_empty() && !t.custom => {
                candidate[field] = json!(expected)
            }
            Some(Value::String(_)) if strategic => candidate[field] = json!(expected),
            Some(Value::String(s)) => type_errors.push((field, s.clone(), expected)),
            Some(other) => {
                return Err(undecodable(&format!(
                    "couldn't get version/kind; json parse error: json: cannot unmarshal {} into \
                     Go struct field .{field} of type string",
                    json_kind(other)
                )));
            }
        }
    }
    if !type_errors.is_empty() {
        return Err(wrong_type(key, &candidate, &type_errors));
    }
    Ok(candidate)
}

/// After decoding: the namespace must be the request's
/// (`EnsureObjectNamespaceMatchesRequestNamespace`, apiserver `pkg/registry/rest/meta.go`) and
/// the name the URL's (`checkName`, `pkg/endpoints/handlers/rest.go`), 400 otherwise.
pub(super) fn check_name(key: &Key, candidate: &Value) -> Result<(), ApiError> {
    let metadata = candidate.get("metadata").and_then(Value::as_object);
    let field = |name: &str| {
        metadata
            .and_then(|m| m.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let namespace = field("namespace");
    if TYPES[key.type_id].namespaced && !namespace.is_empty() && namespace != key.namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if field("name") != key.name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({})",
            field("name"),
            key.name
        )));
    }
    Ok(())
}

/// A patch that changed `kind` or `apiVersion`: a built-in kind's decoder finds no such kind
/// in the scheme, or no conversion to the URL's kind (apimachinery `pkg/runtime/error.go`,
/// `pkg/conversion/converter.go`); a custom resource fails `ValidateTypeMeta`.
fn wrong_type(key: &Key, candidate: &Value, errors: &[(&str, String, String)]) -> ApiError {
    let t = &TYPES[key.type_id];
    if t.custom {
        let errors: Vec<crate::sim::schema::FieldError> = errors
            .iter()
            .map(|(field, got, expected)| crate::sim::schema::FieldError {
                field: (*field).to_owned(),
                reason: "FieldValueInvalid",
                message: format!("Invalid value: \"{got}\": must be {expected}"),
            })
            .collect();
        return invalid(key, &errors);
    }
    let api_version = candidate["apiVersion"].as_str().unwrap_or_default();
    let kind = candidate["kind"].as_str().unwrap_or_default();
    if api_version.matches('/').count() > 1 {
        return undecodable(&format!("unexpected GroupVersion string: {api_version}"));
    }
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let registered = crate::sim::resources::by_kind(group, kind)
        .filter(|&id| !TYPES[id].custom && TYPES[id].version == version);
    let internal = if t.group.is_empty() {
        "core"
    } else {
        t.group.split('.').next().unwrap_or(t.group)
    };
    undecodable(&match registered {
        Some(_) => format!(
            "converting ({version}.{kind}) to ({internal}.{}): unknown conversion",
            t.kind
        ),
        None => format!(
            "no kind \"{kind}\" is registered for version \"{api_version}\" in scheme \
             \"pkg/api/legacyscheme/scheme.go:30\""
        ),
    })
}
