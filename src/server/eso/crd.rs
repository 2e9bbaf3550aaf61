//! The `spec` schema of External Secrets Operator's `ExternalSecret` `external-secrets.io/v1`
//! (ESO v2.9.0), field for field: what a pasted manifest and every spec the console writes are
//! validated against, so a mistake is named at its path here rather than by the cluster later.
//!
//! Hand-written: the CRD itself is not copied into this repository. A test compares it, after
//! dropping `description`s, with the real CRD's `openAPIV3Schema.properties.spec` (test data in
//! `../shared/crds`): equal, so nothing is looser or stricter than a real cluster. The sim's
//! `es_schemas` models fewer fields (it preserves the rest); this one models them all.

use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::sim::schema::Schema;

/// A DNS-1123 subdomain, ESO's pattern for the names of objects it refers to.
const DNS_SUBDOMAIN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// The generator kinds a `sourceRef.generatorRef` may name.
const GENERATOR_KINDS: [&str; 18] = [
    "ACRAccessToken",
    "BeyondtrustWorkloadCredentialsDynamicSecret",
    "ClusterGenerator",
    "CloudsmithAccessToken",
    "ECRAuthorizationToken",
    "Fake",
    "GCRAccessToken",
    "GithubAccessToken",
    "GitlabDeployToken",
    "QuayAccessToken",
    "Password",
    "SSHKey",
    "STSSessionToken",
    "UUID",
    "VaultDynamicSecret",
    "Webhook",
    "Grafana",
    "MFA",
];

/// The whole `ExternalSecret` v1 schema (type meta and metadata left to the server, as a CRD's
/// are), built and its patterns compiled once.
pub fn external_secret_v1() -> &'static Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
        Schema::new(json!({
            "type": "object",
            "properties": {
                "apiVersion": string(),
                "kind": string(),
                "metadata": {"type": "object"},
                "spec": spec(),
            },
        }))
    });
    &SCHEMA
}

/// `openAPIV3Schema.properties.spec`.
pub(crate) fn spec() -> Value {
    let secret_key = key_name();
    let data_item = object(
        json!({"remoteRef": remote_ref(true), "secretKey": secret_key, "sourceRef": source_ref()}),
        &["remoteRef", "secretKey"],
    );
    let data_from_item = object(
        json!({
            "extract": remote_ref(false),
            "find": find(),
            "rewrite": array(rewrite()),
            "sourceRef": source_ref(),
        }),
        &[],
    );
    json!({
        "type": "object",
        "properties": {
            "data": array(data_item),
            "dataFrom": array(data_from_item),
            "refreshInterval": {"type": "string", "default": "1h0m0s"},
            "refreshPolicy": one_of(&["CreatedOnce", "Periodic", "OnChange"]),
            "secretStoreRef": store_ref(),
            "syncWindows": sync_windows(),
            "target": target(),
        },
    })
}

fn strategies(properties: &mut Value) {
    properties["conversionStrategy"] = one_of(&["Default", "Unicode"]);
    properties["decodingStrategy"] = decoding();
    properties["nullBytePolicy"] = one_of(&["Ignore", "Fail"]);
}

fn decoding() -> Value {
    one_of(&["Auto", "Base64", "Base64URL", "None"])
}

/// `data[].remoteRef` and `dataFrom[].extract` (the same Go type).
fn remote_ref(_in_data: bool) -> Value {
    let mut properties = json!({
        "key": string(), "metadataPolicy": one_of(&["None", "Fetch"]),
        "property": string(), "version": string(),
    });
    strategies(&mut properties);
    object(properties, &["key"])
}

fn find() -> Value {
    let mut properties = json!({
        "name": object(json!({"regexp": string()}), &[]),
        "path": string(),
        "tags": string_map(),
    });
    strategies(&mut properties);
    object(properties, &[])
}

fn rewrite() -> Value {
    let merge = object(
        json!({
            "conflictPolicy": default("Error", &["Ignore", "Error"]),
            "into": {"type": "string", "default": ""},
            "priority": array(string()),
            "priorityPolicy": default("Strict", &["IgnoreNotFound", "Strict"]),
            "strategy": default("Extract", &["Extract", "JSON"]),
        }),
        &[],
    );
    let regexp = object(
        json!({"source": string(), "target": string()}),
        &["source", "target"],
    );
    let transform = object(json!({"template": string()}), &["template"]);
    let mut rule = object(
        json!({"merge": merge, "regexp": regexp, "transform": transform}),
        &[],
    );
    rule["minProperties"] = json!(1);
    rule["maxProperties"] = json!(1);
    rule
}

fn source_ref() -> Value {
    let generator_ref = object(
        json!({
            "apiVersion": {"type": "string", "default": "generators.external-secrets.io/v1alpha1"},
            "kind": one_of(&GENERATOR_KINDS),
            "name": name(),
        }),
        &["kind", "name"],
    );
    let mut source = object(
        json!({"generatorRef": generator_ref, "storeRef": store_ref()}),
        &[],
    );
    source["minProperties"] = json!(1);
    source["maxProperties"] = json!(1);
    source
}

fn store_ref() -> Value {
    object(
        json!({"kind": one_of(&["SecretStore", "ClusterSecretStore"]), "name": name()}),
        &[],
    )
}

fn sync_windows() -> Value {
    let schedule = json!({
        "type": "string", "minLength": 1,
        "pattern": r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\s]+.*|[^\s]+( [^\s]+){4})$",
    });
    let window = object(
        json!({"duration": string(), "schedule": schedule}),
        &["duration", "schedule"],
    );
    let mut windows = array(window);
    windows["minItems"] = json!(1);
    object(
        json!({"kind": one_of(&["allow", "deny"]), "windows": windows}),
        &["kind", "windows"],
    )
}

fn target() -> Value {
    let creation = ["Owner", "Orphan", "Merge", "None", "CreateOrMerge"];
    let manifest = object(
        json!({
            "apiVersion": {"type": "string", "minLength": 1},
            "kind": {"type": "string", "minLength": 1},
        }),
        &["apiVersion", "kind"],
    );
    let mut target = object(
        json!({
            "creationPolicy": default("Owner", &creation),
            "deletionPolicy": default("Retain", &["Delete", "Merge", "Retain"]),
            "immutable": {"type": "boolean"},
            "manifest": manifest,
            "name": name(),
            "template": template(),
        }),
        &[],
    );
    target["default"] = json!({"creationPolicy": "Owner", "deletionPolicy": "Retain"});
    target
}

fn template() -> Value {
    let item = object(
        json!({"key": key_name(), "templateAs": default("Values", &["Values", "KeysAndValues"])}),
        &["key"],
    );
    let source = object(
        json!({"items": array(item), "name": name()}),
        &["items", "name"],
    );
    let template_from = object(
        json!({
            "configMap": source.clone(),
            "literal": string(),
            "secret": source,
            "target": {"type": "string", "default": "Data"},
            "valuesDecodingStrategy": decoding(),
        }),
        &[],
    );
    let metadata = object(
        json!({
            "annotations": string_map(),
            "finalizers": array(string()),
            "labels": string_map(),
        }),
        &[],
    );
    object(
        json!({
            "data": string_map(),
            "engineVersion": default("v2", &["v2"]),
            "mergePolicy": default("Replace", &["Replace", "Merge"]),
            "metadata": metadata,
            "templateFrom": array(template_from),
            "type": string(),
        }),
        &[],
    )
}

/// A key of a Secret's `data`, as ESO's CRD constrains `secretKey`.
fn key_name() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 253, "pattern": "^[-._a-zA-Z0-9]+$"})
}

fn name() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 253, "pattern": DNS_SUBDOMAIN})
}

fn object(properties: Value, required: &[&str]) -> Value {
    let mut node = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        node["required"] = json!(required);
    }
    node
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn string_map() -> Value {
    json!({"type": "object", "additionalProperties": string()})
}

fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn default(value: &str, allowed: &[&str]) -> Value {
    let mut node = one_of(allowed);
    node["default"] = json!(value);
    node
}
