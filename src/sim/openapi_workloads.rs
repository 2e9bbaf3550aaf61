//! OpenAPI definitions of the workload kinds and every struct they hold (`io.k8s.api.apps.v1.
//! Deployment`, `io.k8s.api.core.v1.PodSpec`, …), made from the Go structs traced off
//! k8s-openapi (`strict/traced.rs`): the real names, property names, types and formats, with
//! no descriptions (kube-apiserver's are the Go doc comments, which no crate here carries).
//! Definitions written by hand in `openapi_schemas.rs` (ObjectMeta and its parts) are kept.

use serde_json::{Map, Value, json};

use super::openapi_schemas::REF_PREFIX;
use super::strict::{GoStruct, Ty};

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";

/// The package a traced struct's definition is named in, by its Go name.
fn package(name: &str) -> &'static str {
    const META_TYPES: [&str; 5] = [
        "ObjectMeta",
        "OwnerReference",
        "ManagedFieldsEntry",
        "LabelSelector",
        "LabelSelectorRequirement",
    ];
    const APPS: [&str; 4] = ["Deployment", "StatefulSet", "DaemonSet", "RollingUpdate"];
    const BATCH: [&str; 6] = [
        "Job",
        "CronJob",
        "PodFailurePolicy",
        "SuccessPolicy",
        "UncountedTerminatedPods",
        "JobTemplateSpec",
    ];
    if META_TYPES.contains(&name) {
        META
    } else if APPS.iter().any(|p| name.starts_with(p)) {
        "io.k8s.api.apps.v1."
    } else if BATCH.iter().any(|p| name.starts_with(p)) {
        "io.k8s.api.batch.v1."
    } else {
        "io.k8s.api.core.v1."
    }
}

/// The full definition name of a traced struct.
pub(super) fn definition_name(s: &GoStruct) -> String {
    format!("{}{}", package(s.name), s.name)
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("{REF_PREFIX}{name}")})
}

fn schema(ty: &Ty) -> Value {
    match ty {
        Ty::Str(_) => json!({"type": "string"}),
        Ty::Int(format) => json!({"type": "integer", "format": format}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Bytes => json!({"type": "string", "format": "byte"}),
        Ty::Time(layout) if layout.contains(".000000") => reference(&format!("{META}MicroTime")),
        Ty::Time(_) => reference(&format!("{META}Time")),
        Ty::Raw => json!({"type": "object"}),
        Ty::IntOrString => reference("io.k8s.apimachinery.pkg.util.intstr.IntOrString"),
        Ty::Quantity => reference("io.k8s.apimachinery.pkg.api.resource.Quantity"),
        Ty::Map(item) => json!({"type": "object", "additionalProperties": schema(item)}),
        Ty::List(item) => json!({"type": "array", "items": schema(item)}),
        Ty::Struct(s) => reference(&definition_name(s)),
    }
}

/// Adds the workload kinds' definitions that `all` lacks.
pub(super) fn add(all: &mut Map<String, Value>) {
    for s in super::strict::traced_structs() {
        let properties: Map<String, Value> = (s.fields.iter())
            .map(|(name, ty)| ((*name).to_owned(), schema(ty)))
            .collect();
        all.entry(definition_name(s))
            .or_insert_with(|| json!({"type": "object", "properties": properties}));
    }
    let scalars = [
        (
            "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
            json!({"type": "string", "format": "int-or-string"}),
        ),
        (
            "io.k8s.apimachinery.pkg.api.resource.Quantity",
            json!({"type": "string"}),
        ),
        (
            "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
            json!({"type": "string", "format": "date-time"}),
        ),
    ];
    for (name, value) in scalars {
        all.entry(name.to_owned()).or_insert(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workload_kinds_have_their_definitions_and_every_ref_resolves() {
        let mut all = super::super::openapi_schemas::built_in();
        add(&mut all);
        let deployment = &all["io.k8s.api.apps.v1.DeploymentSpec"];
        assert_eq!(deployment["properties"]["replicas"]["format"], "int32");
        assert_eq!(
            deployment["properties"]["template"]["$ref"],
            "#/definitions/io.k8s.api.core.v1.PodTemplateSpec"
        );
        assert!(all.contains_key("io.k8s.api.batch.v1.JobTemplateSpec"));
        assert!(all.contains_key("io.k8s.api.core.v1.SecretKeySelector"));
        fn refs(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        out.push(r.trim_start_matches(REF_PREFIX).to_owned());
                    }
                    map.values().for_each(|v| refs(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut named = Vec::new();
        all.values().for_each(|v| refs(v, &mut named));
        for name in named {
            assert!(
                all.contains_key(&name),
                "{name} is referred to but not defined"
            );
        }
    }
}
