//! What every handler of a simulated API server shares: the cluster's state, a parsed REST
//! path, the query flags and bodies it reads, and how an `ApiError` answers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::discovery;
use super::faults::Faults;
use super::resources::{self, ResourceType, TYPES, TypeId};
use super::status::ApiError;
use super::store::{Store, WriteContext};

use super::protobuf;

/// What the HTTP layer needs of a cluster.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The cluster's objects.
    pub store: Arc<Store>,
    /// Its fault switches.
    pub faults: Arc<Faults>,
    /// How often watches that asked for bookmarks get one.
    pub bookmark_interval: Duration,
    /// Roles the kubeconfig's service account is held to (`None`: everyone may do anything).
    pub rbac: Option<Arc<crate::sim::rbac::Policy>>,
    /// The bearer tokens it accepts.
    pub credentials: crate::sim::Credentials,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (code, axum::Json(self.to_status())).into_response();
        // `Retry-After` from `details.retryAfterSeconds`, as `ErrorNegotiated` sets it
        // (apiserver `pkg/endpoints/handlers/responsewriters/writers.go`).
        let retry = self
            .details
            .as_ref()
            .and_then(|d| d["retryAfterSeconds"].as_u64())
            .filter(|s| *s > 0);
        if let Some(seconds) = retry
            && let Ok(value) = header::HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub(crate) fn json_response(code: StatusCode, body: &Value) -> Response {
    (code, axum::Json(body)).into_response()
}

/// A parsed REST path.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) type_id: TypeId,
    pub(crate) namespace: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) status: bool,
    pub(crate) legacy_watch: bool,
}

/// What a path names: discovery for a group, or a resource target.
pub(crate) enum Route {
    Discovery(Value),
    Resource(Target),
}

pub(crate) fn parse_path(path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", group] => {
            return discovery::group(group)
                .map(Route::Discovery)
                .ok_or_else(ApiError::no_route);
        }
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(ApiError::no_route()),
    };
    let (legacy_watch, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    if rest.is_empty() {
        return discovery::resource_list(group, version)
            .map(Route::Discovery)
            .ok_or_else(ApiError::no_route);
    }
    let (namespace, plural, tail) = match rest {
        ["namespaces", ns, plural, tail @ ..] if *plural != "status" && *plural != "finalize" => {
            (Some((*ns).to_owned()), *plural, tail)
        }
        [plural, tail @ ..] => (None, *plural, tail),
        [] => return Err(ApiError::no_route()),
    };
    let type_id = resources::by_plural(group, version, plural).ok_or_else(ApiError::no_route)?;
    let t = &TYPES[type_id];
    if namespace.is_some() && !t.namespaced {
        return Err(ApiError::no_route());
    }
    let (name, status) = match tail {
        [] => (None, false),
        [name] => (Some((*name).to_owned()), false),
        [name, "status"] if t.status_subresource => (Some((*name).to_owned()), true),
        _ => return Err(ApiError::no_route()),
    };
    Ok(Route::Resource(Target {
        type_id,
        namespace,
        name,
        status,
        legacy_watch,
    }))
}

pub(crate) fn flag(query: &HashMap<String, String>, name: &str) -> bool {
    query
        .get(name)
        .is_some_and(|v| v == "true" || v == "1" || v.is_empty())
}

pub(crate) fn write_context(query: &HashMap<String, String>, headers: &HeaderMap) -> WriteContext {
    let manager = query.get("fieldManager").cloned().unwrap_or_else(|| {
        headers
            .get(header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
            .and_then(|ua| ua.split('/').next())
            .filter(|m| !m.is_empty())
            .unwrap_or("unknown")
            .to_owned()
    });
    WriteContext {
        manager,
        dry_run: query.get("dryRun").is_some_and(|v| v == "All"),
        strict: query.get("fieldValidation").is_some_and(|v| v == "Strict"),
        validation: crate::sim::strict::FieldValidation::from_query(
            query.get("fieldValidation").map(String::as_str),
        ),
        recorder: crate::sim::strict::Recorder::default(),
        v1beta1: headers.contains_key(crate::sim::v1beta1_pruning::WRITTEN_AT_V1BETA1),
    }
}

pub(crate) fn parse_body(body: &Bytes, yaml_ok: bool) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    match serde_json::from_slice(body) {
        Ok(value) => Ok(value),
        Err(json_error) if yaml_ok => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?;
            serde_saphyr::from_str(text).map_err(|e| {
                ApiError::bad_request(format!(
                    "error decoding YAML: {e} (and as JSON: {json_error})"
                ))
            })
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// The media type of a request body: its `Content-Type` without parameters, lower-cased.
pub(crate) fn content_type(headers: &HeaderMap) -> String {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let media_type = value.split(';').next().unwrap_or("");
    media_type.trim().to_ascii_lowercase()
}

/// The object a create or update of `t` sends: JSON or YAML, or protobuf as kubectl's typed
/// clientset sends built-in kinds (`kubectl create namespace`, `kubectl create secret`), which
/// kube-apiserver chooses a decoder for by the `Content-Type` (`NegotiateInputSerializer`,
/// k8s.io/apiserver `pkg/endpoints/handlers/negotiation/negotiate.go`).
pub(crate) fn parse_object_body(
    body: &Bytes,
    headers: &HeaderMap,
    t: &ResourceType,
) -> Result<Value, ApiError> {
    if content_type(headers) == protobuf::MEDIA_TYPE {
        return protobuf::decode_object(body, t);
    }
    parse_body(body, true)
}

/// A delete's `DeleteOptions` (`Null` when none). A protobuf body that does not decode is
/// refused (400); other bodies are read as JSON, and ignored when they are not.
pub(crate) fn parse_delete_options(body: &Bytes, headers: &HeaderMap) -> Result<Value, ApiError> {
    if content_type(headers) == protobuf::MEDIA_TYPE {
        return protobuf::decode_delete_options(body);
    }
    Ok(parse_body(body, false).unwrap_or(Value::Null))
}

pub(crate) fn with_type(type_id: TypeId, mut object: Value) -> Value {
    let t = &TYPES[type_id];
    if object.is_object() {
        object["apiVersion"] = json!(t.api_version());
        object["kind"] = json!(t.kind);
    }
    object
}

pub(crate) fn verb_of(
    method: &Method,
    target: &Target,
    query: &HashMap<String, String>,
) -> &'static str {
    match (method.as_str(), &target.name) {
        ("GET", None) if target.legacy_watch || flag(query, "watch") => "watch",
        ("GET", Some(_)) if target.legacy_watch => "watch",
        ("GET", None) => "list",
        ("GET", Some(_)) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", None) => "deletecollection",
        ("DELETE", Some(_)) => "delete",
        _ => "other",
    }
}
