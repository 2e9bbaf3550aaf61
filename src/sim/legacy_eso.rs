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
//! (`v1beta1_pruning`, e.g. `spec.syncWindows`, `nullBytePolicy`) are dropped silently, or
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
use super::resources;
use super::status::ApiError;
use super::store::{Key, Store, WriteContext};
use super::v1beta1_pruning::WRITTEN_AT_V1BETA1;

/// The group this layer converts.
const GROUP: &str = "external-secrets.io";
/// Where the simulated operator runs, as ESO's install guide puts it.
pub const OPERATOR_NAMESPACE: &str = "external-secrets";
/// The release the CRDs in `../shared/crds` come from (serving `v1`).
pub const CURRENT_RELEASE: &str = "v2.9.0";
/// The release an older install reports (serving `v1beta1` only).
pub const LEGACY_RELEASE: &str = "v0.9.20";

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
