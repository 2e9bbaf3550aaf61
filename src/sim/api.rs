//! The HTTP face of a simulated cluster: discovery, the REST verbs on every served kind, watch
//! streams, Tables for kubectl, and `/sim/faults`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::faults::{FaultSettings, Faults};
use super::resources::{self, TYPES, TypeId};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{DeleteOptions, Event, EventType, Key, Patch, Store, WriteContext};
use super::table;

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
        if self.code == 429 {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

fn json_response(code: StatusCode, body: &Value) -> Response {
    (code, axum::Json(body)).into_response()
}

/// The router of one simulated cluster.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route("/api", get(core_versions))
        .route(
            "/apis",
            get(|| async { axum::Json(resources::group_list()) }),
        )
        .route("/openapi/v2", get(|| async { ApiError::no_route() }))
        .route(
            "/openapi/v3",
            get(|| async { axum::Json(resources::openapi_v3_index()) }),
        )
        .route("/openapi/v3/{*path}", get(openapi_v3))
        .route("/sim/faults", get(faults_get).put(faults_put))
        .route("/sim/rbac", get(rbac_get))
        .fallback(rest)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
        .with_state(state)
}

/// Every path, `/sim/*` and discovery included, needs a bearer token the cluster issued, as
/// kube-apiserver refuses anonymous requests when anonymous auth is off (401 with a `Status`
/// body). Only loopback `Host` values are answered: a web page elsewhere cannot reach the
/// cluster through DNS rebinding.
async fn authenticate(
    State(state): State<ApiState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !is_loopback_host(host) {
        return ApiError::bad_request("this API server answers only loopback host names")
            .into_response();
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let known = presented.is_some_and(|token| {
        same(token, &state.credentials.admin)
            || state
                .credentials
                .service_account
                .as_deref()
                .is_some_and(|sa| same(token, sa))
    });
    if !known {
        return ApiError::unauthorized().into_response();
    }
    next.run(request).await
}

/// Compares tokens in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(v6, _)| v6)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn version() -> axum::Json<Value> {
    axum::Json(json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-secrets-console-sim",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }))
}

async fn openapi_v3(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    match resources::openapi_v3_document(&path) {
        Some(document) => axum::Json(document).into_response(),
        None => ApiError::no_route().into_response(),
    }
}

async fn core_versions(headers: HeaderMap) -> axum::Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    axum::Json(resources::core_versions(host))
}

async fn faults_get(State(state): State<ApiState>) -> axum::Json<FaultSettings> {
    axum::Json(state.faults.settings())
}

async fn faults_put(
    State(state): State<ApiState>,
    axum::Json(settings): axum::Json<FaultSettings>,
) -> axum::Json<FaultSettings> {
    state.faults.set(settings);
    axum::Json(state.faults.settings())
}

/// The enforced policy's user and every request it refused so far.
async fn rbac_get(State(state): State<ApiState>) -> axum::Json<Value> {
    axum::Json(match &state.rbac {
        Some(policy) => json!({"user": policy.user, "denied": policy.denied()}),
        None => json!({"user": null, "denied": []}),
    })
}

/// Holds a request to the policy when it carries the service account's token; the cluster
/// admin's token (tests, kubectl with `--user sim-admin`) may do anything. Unknown tokens never
/// get here (`authenticate`).
fn authorize(
    state: &ApiState,
    headers: &HeaderMap,
    verb: &str,
    target: &Target,
) -> Result<(), ApiError> {
    use crate::sim::rbac::Request;
    let Some(policy) = &state.rbac else {
        return Ok(());
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let is_service_account = presented.is_some_and(|token| {
        state
            .credentials
            .service_account
            .as_deref()
            .is_some_and(|sa| same(token, sa))
    });
    if !is_service_account {
        return Ok(());
    }
    let t = &TYPES[target.type_id];
    let subresource;
    let resource = if target.status {
        subresource = format!("{}/status", t.plural);
        subresource.as_str()
    } else {
        t.plural
    };
    let request = |verb| Request {
        verb,
        group: t.group,
        resource,
        namespace: target.namespace.as_deref(),
    };
    let forbidden =
        |why: String| ApiError::forbidden(t, target.name.as_deref().unwrap_or_default(), &why);
    policy.authorize(&request(verb)).map_err(forbidden)?;
    // An apply that creates its object is also a create (as the API server checks it).
    if verb == "patch"
        && let Some(name) = &target.name
    {
        let key = Key::new(
            target.type_id,
            target.namespace.as_deref().unwrap_or(""),
            name,
        );
        if state.store.get(&key).is_err() {
            policy.authorize(&request("create")).map_err(forbidden)?;
        }
    }
    Ok(())
}

/// A parsed REST path.
#[derive(Debug)]
struct Target {
    type_id: TypeId,
    namespace: Option<String>,
    name: Option<String>,
    status: bool,
    legacy_watch: bool,
}

/// What a path names: discovery for a group, or a resource target.
enum Route {
    Discovery(Value),
    Resource(Target),
}

fn parse_path(path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", group] => {
            return resources::group(group)
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
        return resources::resource_list(group, version)
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

fn flag(query: &HashMap<String, String>, name: &str) -> bool {
    query
        .get(name)
        .is_some_and(|v| v == "true" || v == "1" || v.is_empty())
}

fn write_context(query: &HashMap<String, String>, headers: &HeaderMap) -> WriteContext {
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
    }
}

fn parse_body(body: &Bytes, yaml_ok: bool) -> Result<Value, ApiError> {
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

fn with_type(type_id: TypeId, mut object: Value) -> Value {
    let t = &TYPES[type_id];
    if object.is_object() {
        object["apiVersion"] = json!(t.api_version());
        object["kind"] = json!(t.kind);
    }
    object
}

fn verb_of(method: &Method, target: &Target, query: &HashMap<String, String>) -> &'static str {
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

async fn rest(
    State(state): State<ApiState>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match serve(&state, &method, &uri, &query, &headers, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn serve(
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let target = match parse_path(uri.path())? {
        Route::Discovery(value) if method == Method::GET => {
            return Ok(axum::Json(value).into_response());
        }
        Route::Discovery(_) => return Err(ApiError::method_not_allowed()),
        Route::Resource(target) => target,
    };
    let verb = verb_of(method, &target, query);
    state.faults.before(verb).await?;
    authorize(state, headers, verb, &target)?;
    let t = &TYPES[target.type_id];
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let as_table = table::wanted(accept);
    let include_object = query.get("includeObject").is_some_and(|v| v == "Object");
    let namespace = target.namespace.clone();
    let key = |name: &str| Key::new(target.type_id, namespace.as_deref().unwrap_or(""), name);
    let labels = LabelSelector::parse(query.get("labelSelector").map_or("", String::as_str))?;
    let mut fields = FieldSelector::parse(
        query.get("fieldSelector").map_or("", String::as_str),
        t.kind,
    )?;
    if let (Some(name), "watch") = (&target.name, verb) {
        fields = FieldSelector::parse(&format!("metadata.name={name}"), t.kind)?;
    }
    let ctx = write_context(query, headers);

    match verb {
        "get" => {
            let object = with_type(
                target.type_id,
                state
                    .store
                    .get(&key(target.name.as_deref().unwrap_or_default()))?,
            );
            if as_table {
                let rv = object.pointer("/metadata/resourceVersion").cloned();
                return Ok(axum::Json(table::table(
                    t,
                    &[object],
                    true,
                    include_object,
                    json!({"resourceVersion": rv}),
                ))
                .into_response());
            }
            Ok(axum::Json(object).into_response())
        }
        "list" => {
            let limit = query.get("limit").and_then(|l| l.parse().ok());
            let filter = |o: &Value| labels.matches(o) && fields.matches(o);
            let page = state.store.list(
                target.type_id,
                namespace.as_deref(),
                &filter,
                limit,
                query.get("continue").map(String::as_str),
            )?;
            let items: Vec<Value> = page
                .items
                .into_iter()
                .map(|o| with_type(target.type_id, o))
                .collect();
            let mut metadata = json!({"resourceVersion": page.rv.to_string()});
            if let Some(token) = page.continue_token {
                metadata["continue"] = json!(token);
                metadata["remainingItemCount"] = json!(page.remaining);
            }
            if as_table {
                return Ok(
                    axum::Json(table::table(t, &items, true, include_object, metadata))
                        .into_response(),
                );
            }
            Ok(axum::Json(json!({
                "kind": format!("{}List", t.kind),
                "apiVersion": t.api_version(),
                "metadata": metadata,
                "items": items,
            }))
            .into_response())
        }
        "watch" => Ok(watch(
            state,
            &target,
            query,
            labels,
            fields,
            as_table,
            include_object,
        )),
        "create" => {
            if target.name.is_some() {
                return Err(ApiError::method_not_allowed());
            }
            if t.namespaced && namespace.is_none() {
                return Err(ApiError::method_not_allowed());
            }
            let object = parse_body(body, true)?;
            let created = state.store.create(
                target.type_id,
                namespace.as_deref().unwrap_or(""),
                object,
                &ctx,
            )?;
            Ok(json_response(
                StatusCode::CREATED,
                &with_type(target.type_id, created),
            ))
        }
        "update" => {
            let name = target.name.as_deref().unwrap_or_default();
            let object = parse_body(body, true)?;
            let updated = state
                .store
                .update(&key(name), object, target.status, &ctx)?;
            Ok(axum::Json(with_type(target.type_id, updated)).into_response())
        }
        "patch" => {
            let name = target.name.as_deref().unwrap_or_default();
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            let patch = match content_type.as_str() {
                "application/merge-patch+json" => Patch::Merge(parse_body(body, false)?),
                "application/json-patch+json" => Patch::Json(parse_body(body, false)?),
                "application/strategic-merge-patch+json" => {
                    Patch::Strategic(parse_body(body, false)?)
                }
                "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                    if !query.contains_key("fieldManager") {
                        return Err(ApiError::bad_request(
                            "PATCH with application/apply-patch+yaml requires the fieldManager parameter",
                        ));
                    }
                    Patch::Apply {
                        config: parse_body(body, true)?,
                        force: flag(query, "force"),
                    }
                }
                other => return Err(ApiError::unsupported_patch(other, t.custom)),
            };
            let patched = state.store.patch(&key(name), patch, target.status, &ctx)?;
            Ok(axum::Json(with_type(target.type_id, patched)).into_response())
        }
        "delete" | "deletecollection" => {
            let options = parse_body(body, false).unwrap_or(Value::Null);
            let propagation = options["propagationPolicy"]
                .as_str()
                .or(query.get("propagationPolicy").map(String::as_str));
            let dry_run = ctx.dry_run
                || options["dryRun"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|v| v == "All"));
            let delete_options = DeleteOptions {
                uid: options
                    .pointer("/preconditions/uid")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                resource_version: options
                    .pointer("/preconditions/resourceVersion")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                orphan: propagation == Some("Orphan"),
                dry_run,
            };
            if let Some(name) = target.name.as_deref() {
                let (object, gone) = state.store.delete(&key(name), &delete_options)?;
                let code = if gone {
                    StatusCode::OK
                } else {
                    StatusCode::ACCEPTED
                };
                return Ok(json_response(code, &with_type(target.type_id, object)));
            }
            let filter = |o: &Value| labels.matches(o) && fields.matches(o);
            let deleted: Vec<Value> = state
                .store
                .delete_collection(
                    target.type_id,
                    namespace.as_deref(),
                    &filter,
                    &delete_options,
                )
                .into_iter()
                .map(|o| with_type(target.type_id, o))
                .collect();
            Ok(axum::Json(json!({
                "kind": format!("{}List", t.kind),
                "apiVersion": t.api_version(),
                "metadata": {"resourceVersion": state.store.resource_version().to_string()},
                "items": deleted,
            }))
            .into_response())
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// How a watch renders and filters events.
struct WatchView {
    type_id: TypeId,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
    as_table: bool,
    include_object: bool,
    columns_sent: bool,
}

impl WatchView {
    fn matches(&self, event: &Event, object: &Value) -> bool {
        event.key.type_id == self.type_id
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| event.key.namespace == ns)
            && self.labels.matches(object)
            && self.fields.matches(object)
    }

    /// The line for an event, or `None` when the viewer does not see it.
    fn render(&mut self, event: &Event) -> Option<Bytes> {
        let now = self.matches(event, &event.object);
        let before = event
            .previous
            .as_ref()
            .is_some_and(|p| self.matches(event, p));
        let kind = match (event.kind, now, before) {
            (EventType::Added, true, _) => "ADDED",
            (EventType::Modified, true, true) => "MODIFIED",
            (EventType::Modified, true, false) => "ADDED",
            (EventType::Modified, false, true) => "DELETED",
            (EventType::Deleted, true, _) => "DELETED",
            _ => return None,
        };
        let object = with_type(self.type_id, event.object.clone());
        let object = if self.as_table {
            let with_columns = !self.columns_sent;
            self.columns_sent = true;
            table::table(
                &TYPES[self.type_id],
                &[object],
                with_columns,
                self.include_object,
                json!({"resourceVersion": event.rv.to_string()}),
            )
        } else {
            object
        };
        Some(line(kind, &object))
    }
}

/// The sending half of a watch's response body.
type WatchSender = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Sends `event` if it is newer than `last` (which it then becomes) and the watcher sees it;
/// false when the watcher has gone.
async fn forward(event: &Event, last: &mut u64, view: &mut WatchView, tx: &WatchSender) -> bool {
    if event.rv <= *last {
        return true;
    }
    *last = event.rv;
    match view.render(event) {
        Some(bytes) => tx.send(Ok(bytes)).await.is_ok(),
        None => true,
    }
}

/// Ends a watch that fell behind the event stream as kube-apiserver does: 410 Gone, so the
/// client lists again.
async fn too_old(last: u64, tx: &WatchSender) {
    let gone = ApiError::gone(format!("too old resource version: {last}"));
    let _ = tx.send(Ok(line("ERROR", &gone.to_status()))).await;
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({"type": kind, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

fn watch(
    state: &ApiState,
    target: &Target,
    query: &HashMap<String, String>,
    labels: LabelSelector,
    fields: FieldSelector,
    as_table: bool,
    include_object: bool,
) -> Response {
    let from = query
        .get("resourceVersion")
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse::<u64>().ok());
    let send_initial = flag(query, "sendInitialEvents");
    let bookmarks = flag(query, "allowWatchBookmarks");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let mut view = WatchView {
        type_id: target.type_id,
        namespace: target.namespace.clone(),
        labels,
        fields,
        as_table,
        include_object,
        columns_sent: false,
    };
    let t = &TYPES[target.type_id];
    let bookmark = move |rv: u64, initial_end: bool| {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(
            "BOOKMARK",
            &json!({"kind": t.kind, "apiVersion": t.api_version(), "metadata": metadata}),
        )
    };
    let start = state
        .store
        .watch(target.type_id, if send_initial { None } else { from });
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    let store = state.store.clone();
    let mut outage = state.faults.outage_changes();
    let interval = state.bookmark_interval;
    tokio::spawn(async move {
        let mut start = match start {
            Ok(start) => start,
            Err(error) => {
                let _ = tx.send(Ok(line("ERROR", &error.to_status()))).await;
                return;
            }
        };
        let mut last = start.from;
        for event in &start.initial {
            if let Some(bytes) = view.render(event)
                && tx.send(Ok(bytes)).await.is_err()
            {
                return;
            }
        }
        if send_initial && tx.send(Ok(bookmark(last, true))).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticks = tokio::time::interval(interval);
        ticks.tick().await;
        loop {
            tokio::select! {
                received = start.live.recv() => match received {
                    Ok(event) => {
                        if !forward(&event, &mut last, &mut view, &tx).await {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        too_old(last, &tx).await;
                        return;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                _ = ticks.tick(), if bookmarks => {
                    // A bookmark promises every event up to its resourceVersion was sent.
                    // Events are queued under the store's lock as the version moves, so after
                    // reading the version, send what is queued before promising it (a bookmark
                    // ahead of queued events made this watch skip them, and a client resuming
                    // from it never saw them).
                    let current = store.resource_version();
                    loop {
                        match start.live.try_recv() {
                            Ok(event) => {
                                if !forward(&event, &mut last, &mut view, &tx).await {
                                    return;
                                }
                            }
                            Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
                            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                                too_old(last, &tx).await;
                                return;
                            }
                            Err(tokio::sync::broadcast::error::TryRecvError::Closed) => return,
                        }
                    }
                    last = last.max(current);
                    if tx.send(Ok(bookmark(last, false))).await.is_err() {
                        return;
                    }
                }
                () = super::until_true(&mut outage) => {
                    let _ = tx
                        .send(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "outage")))
                        .await;
                    return;
                }
                () = &mut deadline => return,
                () = tx.closed() => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
