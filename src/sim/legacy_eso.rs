//! An older External Secrets Operator install: with the `esoV1beta1Only` fault the simulated
//! cluster serves `external-secrets.io` at `v1beta1` only, as installs that predate the `v1`
//! API do, and its operator Deployment says an older release.
//!
//! The objects stay stored at `v1` (the spec of every field the console writes is the same in
//! both versions); this layer converts at the HTTP boundary, as a CRD's conversion does between
//! the served and the storage version: discovery lists `v1beta1` alone, a path at `v1` is a
//! resource the server does not serve (404), a path at `v1beta1` reaches the stored kind, and
//! `apiVersion` is rewritten on the way in and out (watch events included).
//!
//! What is written at `v1beta1` is pruned by v1beta1's structural schema, as kube-apiserver
//! prunes a custom resource by the schema of the version it is written at
//! (`structuralpruning.Prune`, apiextensions-apiserver `pkg/apiserver/schema/pruning`, run by
//! the handler's `schemaCoercingConverter`/`unstructuredSchemaCoercer` on the request's
//! version, `pkg/apiserver/customresource_handler.go`): the fields only v1 has
//! ([`V1_ONLY_FIELDS`], e.g. `spec.syncWindows`, `nullBytePolicy`) are dropped silently, or
//! refused with `fieldValidation=Strict`, as unknown fields of v1 are (`store::check_strict`).
//! v1beta1's schema is that of the CRDs in `../shared/crds` (ESO v2.9.0, where it is no longer
//! served); v1beta1's different enums and defaults are not modelled.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use serde_json::{Value, json};

use super::request::ApiState;
use super::resources::{self, ResourceType};
use super::status::ApiError;
use super::store::{Key, Store, WriteContext};

/// The group this layer converts.
const GROUP: &str = "external-secrets.io";
/// Where the simulated operator runs, as ESO's install guide puts it.
pub const OPERATOR_NAMESPACE: &str = "external-secrets";
/// The release the CRDs in `../shared/crds` come from (serving `v1`).
pub const CURRENT_RELEASE: &str = "v2.9.0";
/// The release an older install reports (serving `v1beta1` only).
pub const LEGACY_RELEASE: &str = "v0.9.20";

/// The (internal) request header that tells the store a write came at `v1beta1`; a client's
/// own is removed.
pub const WRITTEN_AT_V1BETA1: &str = "x-simulated-written-at-v1beta1";

/// The fields of ExternalSecret v1 that v1beta1's schema does not have, outermost only
/// (`name[]`: each item of the array `name`). Checked against the real CRD in the tests.
pub const V1_ONLY_FIELDS: [&str; 8] = [
    "spec.data[].remoteRef.nullBytePolicy",
    "spec.dataFrom[].extract.nullBytePolicy",
    "spec.dataFrom[].find.nullBytePolicy",
    "spec.dataFrom[].rewrite[].merge",
    "spec.syncWindows",
    "spec.target.manifest",
    "spec.target.template.metadata.finalizers",
    "spec.target.template.templateFrom[].valuesDecodingStrategy",
];

/// Converts every request and answer while the fault is on; passes them through otherwise.
pub(crate) async fn translate(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let mut request = request;
    request.headers_mut().remove(WRITTEN_AT_V1BETA1);
    let path = request.uri().path().trim_end_matches('/').to_owned();
    // Without the operator's CRDs discovery does not list its group either.
    if state.faults.eso_uninstalled() {
        if path == "/apis" {
            return rewrite_json(next.run(request).await, without_group).await;
        }
        if path == format!("/apis/{GROUP}") {
            return ApiError::no_route().into_response();
        }
    }
    if !state.faults.eso_v1beta1_only() {
        return next.run(request).await;
    }
    if path == "/apis" {
        return rewrite_json(next.run(request).await, group_list).await;
    }
    if path == format!("/apis/{GROUP}") {
        return rewrite_json(next.run(request).await, group).await;
    }
    let v1 = format!("/apis/{GROUP}/v1");
    let v1beta1 = format!("/apis/{GROUP}/v1beta1");
    if path == v1 || path.starts_with(&format!("{v1}/")) {
        return ApiError::no_route().into_response();
    }
    let request = if path == v1beta1 || path.starts_with(&format!("{v1beta1}/")) {
        match to_storage(request, &v1beta1, &v1).await {
            Ok(request) => request,
            Err(error) => return error.into_response(),
        }
    } else {
        request
    };
    to_served(next.run(request).await)
}

/// The request at the storage version: its path, and the `apiVersion` in its body.
async fn to_storage(request: Request, served: &str, stored: &str) -> Result<Request, ApiError> {
    let (mut parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or(String::new(), |p| p.as_str().to_owned())
        .replacen(served, stored, 1);
    parts.uri = path_and_query
        .parse()
        .map_err(|_| ApiError::bad_request("invalid path"))?;
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|_| ApiError::bad_request("cannot read the body"))?;
    let body = replace(&bytes, &format!("{GROUP}/v1beta1"), &format!("{GROUP}/v1"));
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        WRITTEN_AT_V1BETA1,
        axum::http::HeaderValue::from_static("1"),
    );
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// Drops from `object`, an ExternalSecret written at `v1beta1`, the fields v1beta1's schema
/// does not have ([`V1_ONLY_FIELDS`]). Other kinds are left alone.
pub fn prune_v1beta1(t: &ResourceType, object: &mut Value) {
    if t.group != GROUP || t.kind != "ExternalSecret" {
        return;
    }
    for field in V1_ONLY_FIELDS {
        let path: Vec<&str> = field.split('.').collect();
        visit(object, &path, "", &mut |_, parent, name| {
            parent.remove(name);
        });
    }
}

/// The fields of `object` (an ExternalSecret) that v1beta1's schema does not have, as dotted
/// paths with indexes (`spec.dataFrom[0].extract.nullBytePolicy`), as strict field
/// validation names them.
pub fn v1_only_fields(object: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut object = object.clone();
    for field in V1_ONLY_FIELDS {
        let path: Vec<&str> = field.split('.').collect();
        visit(&mut object, &path, "", &mut |at, _, _| {
            found.push(at.to_owned())
        });
    }
    found
}

/// What [`visit`] calls for each field found: its path, its parent object and its name.
type Found<'a> = dyn FnMut(&str, &mut serde_json::Map<String, Value>, &str) + 'a;

/// Calls `found(path so far, parent, name)` for each field at `path` (segments, `name[]` for
/// each item of an array) under `node`.
fn visit(node: &mut Value, path: &[&str], at: &str, found: &mut Found<'_>) {
    let Some((segment, rest)) = path.split_first() else {
        return;
    };
    let Some(map) = node.as_object_mut() else {
        return;
    };
    let (name, each) = segment
        .strip_suffix("[]")
        .map_or((*segment, false), |name| (name, true));
    let here = if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    };
    if rest.is_empty() {
        if map.contains_key(name) {
            found(&here, map, name);
        }
        return;
    }
    match map.get_mut(name) {
        Some(Value::Array(items)) if each => {
            for (i, item) in items.iter_mut().enumerate() {
                visit(item, rest, &format!("{here}[{i}]"), found);
            }
        }
        Some(child) if !each => visit(child, rest, &here, found),
        _ => {}
    }
}

/// The answer at the served version: every `external-secrets.io/v1` in a JSON answer (the
/// object's `apiVersion`, its managed fields', a watch event's object) becomes `v1beta1`.
/// Protobuf answers (never of this group's kinds) pass through.
fn to_served(response: Response) -> Response {
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let from = format!("\"{GROUP}/v1\"");
    let to = format!("\"{GROUP}/v1beta1\"");
    // Chunk by chunk: a watch stream writes one event per chunk.
    let stream = body
        .into_data_stream()
        .map(move |chunk| chunk.map(|bytes| replace(&bytes, &from, &to)));
    Response::from_parts(parts, Body::from_stream(stream))
}

/// `haystack` with every `from` replaced by `to`.
fn replace(haystack: &[u8], from: &str, to: &str) -> Bytes {
    let from = from.as_bytes();
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to.as_bytes());
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

/// Rewrites a JSON answer with `change`.
async fn rewrite_json(response: Response, change: fn(&mut Value)) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::bad_request("cannot read the answer").into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    change(&mut value);
    (parts.status, axum::Json(value)).into_response()
}

/// The group's entry in discovery, at `v1beta1` only.
fn group(value: &mut Value) {
    let version = json!({"groupVersion": format!("{GROUP}/v1beta1"), "version": "v1beta1"});
    value["versions"] = json!([version.clone()]);
    value["preferredVersion"] = version;
}

/// `/apis` with the group at `v1beta1` only.
fn group_list(value: &mut Value) {
    if let Some(groups) = value["groups"].as_array_mut() {
        for entry in groups.iter_mut().filter(|g| g["name"] == GROUP) {
            group(entry);
        }
    }
}

/// `/apis` without the group.
fn without_group(value: &mut Value) {
    if let Some(groups) = value["groups"].as_array_mut() {
        groups.retain(|g| g["name"] != GROUP);
    }
}

/// The release the simulated operator reports with or without the fault.
pub fn release(v1beta1_only: bool) -> &'static str {
    if v1beta1_only {
        LEGACY_RELEASE
    } else {
        CURRENT_RELEASE
    }
}

/// The operator's namespace and controller Deployment, labelled as ESO's Helm chart labels it
/// (`app.kubernetes.io/name`, `app.kubernetes.io/version`), at `release`; created when
/// missing, relabelled when the release differs.
pub fn seed_operator(store: &Store, release: &str) {
    let (Some(namespaces), Some(deployments)) = (
        resources::by_kind("", "Namespace"),
        resources::by_kind("apps", "Deployment"),
    ) else {
        return;
    };
    let ctx = WriteContext::new("helm");
    if store
        .get(&Key::new(namespaces, "", OPERATOR_NAMESPACE))
        .is_err()
    {
        let namespace = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": OPERATOR_NAMESPACE},
        });
        if let Err(error) = store.create(namespaces, "", namespace, &ctx) {
            tracing::warn!(%error, "could not create the operator's namespace");
        }
    }
    let labels = json!({
        "app.kubernetes.io/name": "external-secrets",
        "app.kubernetes.io/instance": "external-secrets",
        "app.kubernetes.io/version": release,
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": format!("external-secrets-{}", release.trim_start_matches('v')),
    });
    let key = Key::new(deployments, OPERATOR_NAMESPACE, "external-secrets");
    match store.get(&key) {
        Ok(existing) if existing["metadata"]["labels"] == labels => {}
        Ok(mut existing) => {
            existing["metadata"]["labels"] = labels;
            if let Err(error) = store.update(&key, existing, false, &ctx) {
                tracing::warn!(%error, "could not relabel the operator's Deployment");
            }
        }
        Err(_) => {
            let selector = json!({
                "app.kubernetes.io/name": "external-secrets",
                "app.kubernetes.io/instance": "external-secrets",
            });
            let deployment = json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "external-secrets", "namespace": OPERATOR_NAMESPACE, "labels": labels},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": selector},
                    "template": {
                        "metadata": {"labels": selector},
                        "spec": {"containers": [{
                            "name": "external-secrets",
                            "image": format!("oci.external-secrets.io/external-secrets/external-secrets:{release}"),
                        }]},
                    },
                },
            });
            if let Err(error) = store.create(deployments, OPERATOR_NAMESPACE, deployment, &ctx) {
                tracing::warn!(%error, "could not create the operator's Deployment");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_leaves_longer_versions_alone() {
        let body = br#"{"apiVersion":"external-secrets.io/v1","x":"external-secrets.io/v1beta1"}"#;
        let out = replace(
            body,
            "\"external-secrets.io/v1\"",
            "\"external-secrets.io/v1beta1\"",
        );
        assert_eq!(
            &out[..],
            br#"{"apiVersion":"external-secrets.io/v1beta1","x":"external-secrets.io/v1beta1"}"#
        );
    }

    fn external_secret_type() -> &'static ResourceType {
        let id = resources::by_kind(GROUP, "ExternalSecret").unwrap();
        &resources::TYPES[id]
    }

    #[test]
    fn a_v1beta1_write_loses_the_fields_only_v1_has_and_keeps_the_rest() {
        let mut object = json!({
            "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": "db"},
            "spec": {
                "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                "syncWindows": {"kind": "Allow", "windows": []},
                "target": {"manifest": {"kind": "ConfigMap"}, "template": {
                    "metadata": {"labels": {"a": "b"}, "finalizers": ["x"]},
                    "templateFrom": [{"literal": "{{ .a }}", "valuesDecodingStrategy": "Auto"}],
                }},
                "data": [{"secretKey": "a", "remoteRef": {"key": "k", "nullBytePolicy": "Fail"}}],
                "dataFrom": [
                    {"extract": {"key": "k", "nullBytePolicy": "Ignore"}},
                    {"find": {"path": "p", "nullBytePolicy": "Ignore"},
                     "rewrite": [{"regexp": {"source": "a", "target": "b"}}, {"merge": {}}]},
                ],
            },
        });
        assert_eq!(
            v1_only_fields(&object),
            [
                "spec.data[0].remoteRef.nullBytePolicy",
                "spec.dataFrom[0].extract.nullBytePolicy",
                "spec.dataFrom[1].find.nullBytePolicy",
                "spec.dataFrom[1].rewrite[1].merge",
                "spec.syncWindows",
                "spec.target.manifest",
                "spec.target.template.metadata.finalizers",
                "spec.target.template.templateFrom[0].valuesDecodingStrategy",
            ]
        );
        prune_v1beta1(external_secret_type(), &mut object);
        assert!(v1_only_fields(&object).is_empty());
        assert_eq!(
            object["spec"],
            json!({
                "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                "target": {"template": {
                    "metadata": {"labels": {"a": "b"}},
                    "templateFrom": [{"literal": "{{ .a }}"}],
                }},
                "data": [{"secretKey": "a", "remoteRef": {"key": "k"}}],
                "dataFrom": [
                    {"extract": {"key": "k"}},
                    {"find": {"path": "p"}, "rewrite": [{"regexp": {"source": "a", "target": "b"}}, {}]},
                ],
            })
        );
    }

    /// The fields only v1 has are those the real CRD's v1 schema has and its v1beta1 schema
    /// does not, each under an object v1beta1 prunes (no `x-kubernetes-preserve-unknown-fields`).
    /// Reads the CRD as `es_schemas`' comparison does; `SECRETS_CONSOLE_SKIP_CRD_TESTS=1` skips.
    #[test]
    fn the_fields_only_v1_has_are_the_real_crds() {
        use std::collections::{BTreeMap, BTreeSet};
        use std::path::{Path, PathBuf};

        if std::env::var("SECRETS_CONSOLE_SKIP_CRD_TESTS").as_deref() == Ok("1") {
            return;
        }
        let candidates: Vec<PathBuf> = match std::env::var_os("SECRETS_CONSOLE_ESO_CRDS") {
            Some(dir) => vec![dir.into()],
            None => vec![
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crds"),
                PathBuf::from("/work/shared/crds"),
            ],
        };
        let dir = candidates
            .iter()
            .find(|dir| dir.is_dir())
            .unwrap_or_else(|| panic!("the real ESO CRDs were not found in {candidates:?}"));
        let text =
            std::fs::read_to_string(dir.join("external-secrets.io_externalsecrets.yaml")).unwrap();
        let crd: Value = serde_saphyr::from_str(&text).unwrap();
        let schema = |version: &str| {
            let versions = crd["spec"]["versions"].as_array().unwrap();
            let found = versions.iter().find(|v| v["name"] == version).unwrap();
            found["schema"]["openAPIV3Schema"].clone()
        };
        // Every property path, with whether its object keeps unknown fields.
        fn paths(node: &Value, at: &str, out: &mut BTreeMap<String, bool>) {
            let preserves = node["x-kubernetes-preserve-unknown-fields"] == json!(true);
            out.insert(at.to_owned(), preserves);
            for (name, child) in node["properties"].as_object().into_iter().flatten() {
                let here = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                if child["type"] == "array" {
                    out.insert(here.clone(), false);
                    paths(&child["items"], &format!("{here}[]"), out);
                } else {
                    paths(child, &here, out);
                }
            }
        }
        let (mut v1, mut v1beta1) = (BTreeMap::new(), BTreeMap::new());
        paths(&schema("v1"), "", &mut v1);
        paths(&schema("v1beta1"), "", &mut v1beta1);
        // An array's items are under the array; a field under its object.
        let parent = |path: &str| match path.strip_suffix("[]") {
            Some(array) => array.to_owned(),
            None => path[..path.rfind('.').unwrap()].to_owned(),
        };
        let only_v1: BTreeSet<String> = v1
            .keys()
            .filter(|path| !v1beta1.contains_key(*path))
            .filter(|path| v1beta1.contains_key(&parent(path)))
            .cloned()
            .collect();
        let ours: BTreeSet<String> = V1_ONLY_FIELDS.iter().map(|f| (*f).to_owned()).collect();
        assert_eq!(ours, only_v1);
        for field in V1_ONLY_FIELDS {
            assert_eq!(
                v1beta1.get(&parent(field)),
                Some(&false),
                "{field}'s parent prunes"
            );
        }
    }

    #[test]
    fn discovery_lists_the_group_at_v1beta1_only() {
        let mut list = json!({"groups": [
            {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}]},
            {"name": GROUP, "versions": [{"groupVersion": "external-secrets.io/v1", "version": "v1"}]},
        ]});
        group_list(&mut list);
        assert_eq!(list["groups"][0]["versions"][0]["version"], "v1");
        assert_eq!(
            list["groups"][1]["versions"],
            json!([{"groupVersion": "external-secrets.io/v1beta1", "version": "v1beta1"}])
        );
        assert_eq!(list["groups"][1]["preferredVersion"]["version"], "v1beta1");
    }
}
