//! ExternalSecret manifests in: YAML (or JSON) as an admin pastes it, `external-secrets.io/v1`
//! or `v1beta1`, validated against the `ExternalSecret` v1 CRD schema (see [`crd`]) with every
//! error naming its path, read into the console's [`ExternalSpec`] with every field kept.
//!
//! Server-only: the YAML parser stays out of the WASM bundle. The canonical object out is
//! [`crate::server::cluster::manifest::external_secret`] (and `external_secret_yaml`).

pub mod crd;
pub mod parse;

use serde_json::Value;

use crate::domain::external_rules::external_extra_errors;
use crate::domain::validation::{FieldError, validate_all, validate_secret_name};
use crate::model::eso_yaml::ParsedExternalSecret;
use crate::model::secret::{ExternalSpec, Scope, SecretSpec, UseCase};
use crate::server::cluster::manifest::{Manifest, Placement, external_secret};

/// Largest manifest accepted: an ExternalSecret is a few kilobytes; this keeps a stray paste
/// of something else from costing much.
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;

/// The API group's versions a manifest may use; v1beta1 is read as v1 (its spec is a subset).
const V1: &str = "external-secrets.io/v1";
const V1BETA1: &str = "external-secrets.io/v1beta1";

/// Reads a pasted manifest: parse, convert v1beta1 to v1, refuse unknown fields, apply the CRD's
/// defaults, validate against the CRD, read the spec, then the console's own rules (names, keys,
/// remote keys, `dataFrom`, template). Every problem found is returned, each naming its path.
/// Not the member allowlist, nor the server's minimum refresh interval: the caller's.
pub fn parse_external_secret(text: &str) -> Result<ParsedExternalSecret, Vec<FieldError>> {
    let fail = |field: &str, message: String| Err(vec![FieldError::new(field, message)]);
    if text.len() > MAX_MANIFEST_BYTES {
        return fail(
            "manifest",
            format!("is too large: an ExternalSecret fits in {MAX_MANIFEST_BYTES} bytes"),
        );
    }
    // The parser's own message can quote the input; only its position is passed on.
    let mut object: Value = match serde_saphyr::from_str(text) {
        Ok(object) => object,
        Err(error) => {
            let at = error.location().map_or(String::new(), |l| {
                format!(" (line {}, column {})", l.line(), l.column())
            });
            return fail(
                "manifest",
                format!(
                    "is not valid YAML{at}: paste one ExternalSecret manifest; check \
                     indentation and quoting"
                ),
            );
        }
    };
    if !object.is_object() {
        return fail(
            "manifest",
            "is not a manifest: expected apiVersion, kind, metadata and spec".to_owned(),
        );
    }
    let mut notes = Vec::new();
    let kind = object["kind"].as_str().unwrap_or_default();
    if kind != "ExternalSecret" {
        // Never echo another kind's content: a pasted Secret holds values.
        return fail(
            "kind",
            "must be ExternalSecret: paste an External Secrets Operator ExternalSecret".to_owned(),
        );
    }
    match object["apiVersion"].as_str() {
        Some(V1) => {}
        Some(V1BETA1) => {
            object["apiVersion"] = Value::from(V1);
            notes.push(
                "apiVersion external-secrets.io/v1beta1 is read as v1: the fields are the same, \
                 and the console applies what each cluster serves."
                    .to_owned(),
            );
        }
        _ => {
            return fail(
                "apiVersion",
                format!("must be {V1} (or {V1BETA1}, read as v1)"),
            );
        }
    }
    if let Some(map) = object.as_object_mut()
        && map.remove("status").is_some()
    {
        notes.push("status is not kept: ESO reports it on each cluster.".to_owned());
    }
    let schema = crd::external_secret_v1();
    let mut pruned = object.clone();
    schema.prune(&mut pruned);
    let mut errors = Vec::new();
    unknown_fields(&object, &pruned, "", &mut errors);
    schema.apply_defaults(&mut pruned);
    errors.extend(
        schema
            .validate(&pruned)
            .into_iter()
            .map(|e| FieldError::new(e.field, e.message)),
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let read = parse::read(&pruned)?;
    notes.extend(read.notes);
    let mut errors: Vec<FieldError> = validate_secret_name(&read.name).err().into_iter().collect();
    errors.extend(console_rules(&read.spec));
    let errors: Vec<FieldError> = errors
        .into_iter()
        .map(|e| FieldError::new(parse::manifest_path(&e.field), e.message))
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ParsedExternalSecret {
        name: read.name,
        spec: read.spec,
        notes,
    })
}

/// The console's rules for an External spec, named by manifest path: the form's rules (use
/// case Generic: the YAML tab does not know the use case yet) and those of the fields only YAML
/// writes.
fn console_rules(spec: &ExternalSpec) -> Vec<FieldError> {
    let whole = SecretSpec::External(spec.clone());
    let mut errors = validate_all(UseCase::Generic, &whole);
    errors.extend(external_extra_errors(spec));
    errors
}

/// Checks the ExternalSecret the console would apply for `spec` against the CRD schema, and
/// the rules of the fields only YAML writes: what create and update run, since a spec arrives
/// as JSON from any client, not only through the YAML tab. Errors name manifest paths.
pub fn check_spec(spec: &ExternalSpec, use_case: UseCase) -> Vec<FieldError> {
    let placement = Placement {
        secret_id: 0,
        assignment_id: 0,
        scope: Scope::Organization,
        name: "checked".into(),
        namespace: "checked".into(),
    };
    let Manifest(object) = external_secret(&placement, spec, use_case);
    let mut errors = external_extra_errors(spec);
    errors.extend(
        crd::external_secret_v1()
            .validate(&object)
            .into_iter()
            .map(|e| FieldError::new(e.field, e.message)),
    );
    errors
}

/// The manifest a person edits for `spec` (the YAML tab's "Edit as YAML"): the canonical
/// ExternalSecret named `name`, but without the namespace and the console's labels, which are
/// set per project when it is applied. Read back by [`parse_external_secret`], it gives `spec`.
pub fn authoring_yaml(name: &str, spec: &ExternalSpec) -> String {
    let placement = Placement {
        secret_id: 0,
        assignment_id: 0,
        scope: Scope::Organization,
        name: name.to_owned(),
        namespace: String::new(),
    };
    // Generic: the use case's Secret type is the console's to add, not part of the spec.
    let Manifest(mut object) = external_secret(&placement, spec, UseCase::Generic);
    object["metadata"] = serde_json::json!({ "name": name });
    if let Some(labels) = object
        .pointer_mut("/spec/target/template/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.retain(|key, _| !parse::OUR_LABELS.contains(&key.as_str()));
    }
    crate::server::cluster::manifest::manifest_yaml(&object)
}

/// Records the paths `pruned` lost from `original`: fields ExternalSecret v1 does not have.
/// kubectl's strict field validation refuses them too; silently dropping one would lose what
/// the author meant (a typo such as `refreshIntervall`).
fn unknown_fields(original: &Value, pruned: &Value, path: &str, errors: &mut Vec<FieldError>) {
    match (original, pruned) {
        (Value::Object(before), Value::Object(after)) => {
            for (key, child) in before {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match after.get(key) {
                    Some(kept) => unknown_fields(child, kept, &at, errors),
                    None => errors.push(FieldError::new(
                        at,
                        "unknown field: ExternalSecret external-secrets.io/v1 has no such field; \
                         check the spelling and indentation",
                    )),
                }
            }
        }
        (Value::Array(before), Value::Array(after)) => {
            for (i, (child, kept)) in before.iter().zip(after).enumerate() {
                unknown_fields(child, kept, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
