//! The kinds of kubectl's default prune allowlist that the simulated cluster does not model,
//! served as always empty and read-only, so that `kubectl apply --prune -l …` without
//! `--prune-allowlist` works: kubectl maps every kind of that list before pruning, and fails
//! ("error retrieving RESTMappings to prune: invalid resource …") when discovery lacks one, then
//! lists each in the namespace with the selector (`defaultNamespacedPruneResources`,
//! `defaultNonNamespacedPruneResources`, `GetRESTMappings`: kubectl `pkg/util/prune/prune.go`).
//! ConfigMap, Secret and Namespace, the rest of that list, are real kinds here.
//!
//! Discovery lists them with the verbs `get` and `list` only; a list is empty (a Table when
//! asked), a get is 404 NotFound, and anything else (create, watch, …) is 405: no workload runs
//! in a simulated cluster. With `--rbac` the service account needs the roles a real cluster
//! would ask for. They are in no OpenAPI document.

use std::collections::HashMap;

use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::request::ApiState;
use super::resources::ResourceType;
use super::status::ApiError;

pub(crate) use super::served_kinds::UNMODELLED_KINDS as KINDS;

/// The answer for a path that addresses one of these kinds, `None` for any other path.
pub(crate) fn serve(
    state: &ApiState,
    method: &Method,
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<Result<Response, ApiError>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let find = |plural: &str| {
        KINDS
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    };
    let (t, namespace, name) = match rest {
        ["namespaces", namespace, plural, tail @ ..] if find(plural).is_some() => {
            (find(plural)?, Some(*namespace), tail)
        }
        [plural, tail @ ..] => (find(plural)?, None, tail),
        [] => return None,
    };
    Some(answer(state, t, method, namespace, name, query, headers))
}

fn answer(
    state: &ApiState,
    t: &'static ResourceType,
    method: &Method,
    namespace: Option<&str>,
    name: &[&str],
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if namespace.is_some() && !t.namespaced {
        return Err(ApiError::no_route());
    }
    let watch = query.get("watch").is_some_and(|w| w == "true" || w == "1");
    let verb = match (method, name) {
        (&Method::GET, []) if !watch => "list",
        (&Method::GET, [_]) => "get",
        (_, [] | [_]) => return Err(ApiError::method_not_allowed()),
        _ => return Err(ApiError::no_route()),
    };
    let name = name.first().copied().unwrap_or_default();
    if let Some(policy) = super::reviews::caller(state, headers).policy {
        let request = super::rbac::Request {
            verb,
            group: t.group,
            resource: t.plural,
            namespace,
        };
        policy
            .authorize(&request)
            .map_err(|why| ApiError::forbidden(t, name, &why))?;
    }
    if verb == "get" {
        return Err(ApiError::not_found(t, name));
    }
    let metadata = json!({"resourceVersion": state.store.resource_version().to_string()});
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if super::table::wanted(accept) {
        return Ok(axum::Json(super::table::table(t, &[], true, false, metadata)).into_response());
    }
    Ok(axum::Json(json!({
        "kind": format!("{}List", t.kind),
        "apiVersion": t.api_version(),
        "metadata": metadata,
        "items": [],
    }))
    .into_response())
}
