//! The HTTP face of a simulated cluster: discovery, the REST verbs on every served kind, watch
//! streams, Tables for kubectl, and `/sim/faults`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::auth::{authenticate, authorize};
use super::discovery;
use super::faults::FaultSettings;
use super::request::{
    ApiState, Route, content_type, flag, json_response, parse_body, parse_delete_options,
    parse_object_body, parse_path, verb_of, with_type, write_context,
};
use super::resources::TYPES;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{Key, Patch, WriteContext};
use super::strict;
use super::table;
use super::watches::watch;
use super::{deletion, versions};
use super::{openapi, reviews, unmodelled};

/// The router of one simulated cluster.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/version", get(version))
        // kube-apiserver answers these with a trailing slash too: `/version/` (go-restful
        // `GET("/")` under `/version`, apiserver `pkg/server/routes/version.go`), `/api/`
        // (`pkg/endpoints/discovery/legacy.go`), `/apis/` (kube-aggregator
        // `pkg/apiserver/apiserver.go`: `UnlistedHandle("/apis/", apisHandler)`); deeper
        // discovery paths (`/api/v1/`, `/apis/<group>/`) reach `rest` and are trimmed there.
        .route("/version/", get(version))
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route("/api", get(core_versions))
        .route("/api/", get(core_versions))
        .route("/apis", get(group_list))
        .route("/apis/", get(group_list))
        .route("/openapi/v2", get(openapi::v2))
        .route("/openapi/v3", get(openapi::v3_index))
        .route("/openapi/v3/{*path}", get(openapi::v3_document))
        .route("/sim/faults", get(faults_get).put(faults_put))
        .route("/sim/rbac", get(rbac_get))
        .fallback(rest)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::legacy_eso::translate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
        .layer(axum::middleware::from_fn(super::status::catch_panic))
        .with_state(state)
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

async fn group_list() -> axum::Json<Value> {
    axum::Json(discovery::group_list())
}

async fn core_versions(headers: HeaderMap) -> axum::Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    axum::Json(discovery::core_versions(host))
}

async fn faults_get(State(state): State<ApiState>) -> axum::Json<FaultSettings> {
    axum::Json(state.faults.settings())
}

async fn faults_put(
    State(state): State<ApiState>,
    axum::Json(settings): axum::Json<FaultSettings>,
) -> axum::Json<FaultSettings> {
    let relabel = settings.eso_v1beta1_only != state.faults.eso_v1beta1_only();
    state.faults.set(settings);
    if relabel {
        let release = super::legacy_eso::release(state.faults.eso_v1beta1_only());
        super::legacy_eso::seed_operator(&state.store, release);
    }
    axum::Json(state.faults.settings())
}

/// The enforced policy's user and every request it refused so far.
async fn rbac_get(State(state): State<ApiState>) -> axum::Json<Value> {
    axum::Json(match &state.rbac {
        Some(policy) => json!({"user": policy.user, "denied": policy.denied()}),
        None => json!({"user": null, "denied": []}),
    })
}

async fn rest(
    State(state): State<ApiState>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // One context per request: its decoding warnings go on the answer, error or not.
    let ctx = write_context(&query, &headers);
    let result = serve(&state, &method, &uri, &query, &headers, &body, &ctx).await;
    strict::warned(&ctx, result)
}

async fn serve(
    state: &ApiState,
    method: &Method,
    uri: &Uri,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
    ctx: &WriteContext,
) -> Result<Response, ApiError> {
    // The self-reviews of `kubectl auth`: answered, never stored, allowed to every
    // authenticated user (the bootstrap role `system:basic-user`).
    if let Some(review) = reviews::kind_at(uri.path()) {
        return reviews::create(state, review, method, headers, body);
    }
    // Kinds of kubectl's default prune allowlist that are not modelled: empty, read-only.
    if let Some(answer) = unmodelled::serve(state, method, uri.path(), query, headers) {
        return answer;
    }
    let target = match parse_path(uri.path())? {
        Route::Discovery(value) if method == Method::GET => {
            return Ok(axum::Json(value).into_response());
        }
        Route::Discovery(_) => return Err(ApiError::method_not_allowed()),
        Route::Resource(target) => target,
    };
    let verb = verb_of(method, &target, query);
    state.faults.before(verb).await?;
    // Without External Secrets Operator's CRDs the API server has no route for its group.
    if TYPES[target.type_id].group == "external-secrets.io" && state.faults.eso_uninstalled() {
        return Err(ApiError::no_route());
    }
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

    match verb {
        "get" => {
            versions::before_get(&state.store, query).await?;
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
            let exact = versions::before_list(&state.store, query).await?;
            let page = state.store.list_at(
                target.type_id,
                namespace.as_deref(),
                &filter,
                limit,
                query.get("continue").map(String::as_str),
                exact,
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
            let object = strict::decode(t, parse_object_body(body, headers, t)?, body, ctx)?;
            let created = state.store.create(
                target.type_id,
                namespace.as_deref().unwrap_or(""),
                object,
                ctx,
            )?;
            Ok(json_response(
                StatusCode::CREATED,
                &with_type(target.type_id, created),
            ))
        }
        "update" => {
            let name = target.name.as_deref().unwrap_or_default();
            let object = strict::decode(t, parse_object_body(body, headers, t)?, body, ctx)?;
            let updated = state.store.update(&key(name), object, target.status, ctx)?;
            Ok(axum::Json(with_type(target.type_id, updated)).into_response())
        }
        "patch" => {
            let name = target.name.as_deref().unwrap_or_default();
            let content_type = content_type(headers);
            // As the patch handler (apiserver `pkg/endpoints/handlers/patch.go`): a patch type
            // the kind does not take is 415 before the body is read; a body that is not JSON
            // is 400 "invalid JSON patch" before the object is looked at
            // (`validateAndTranscodePatch`).
            let json_types = [
                "application/merge-patch+json",
                "application/json-patch+json",
                "application/strategic-merge-patch+json",
            ];
            if content_type == json_types[2] && t.custom {
                return Err(ApiError::unsupported_patch(&content_type, true));
            }
            if json_types.contains(&content_type.as_str())
                && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err()
            {
                return Err(ApiError::bad_request("invalid JSON patch"));
            }
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
            strict::check_patch(t, &patch, body, ctx)?;
            // A server-side apply that creates the object answers 201, as the patch handler
            // does when the object was created (`wasCreated`, endpoints/handlers/patch.go).
            let creates =
                matches!(patch, Patch::Apply { .. }) && state.store.get(&key(name)).is_err();
            let patched = state.store.patch(&key(name), patch, target.status, ctx)?;
            let code = if creates {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok(json_response(code, &with_type(target.type_id, patched)))
        }
        "delete" | "deletecollection" => {
            let options = parse_delete_options(body, headers)?;
            let delete_options = deletion::delete_options(&options, query, ctx.dry_run)?;
            if let Some(name) = target.name.as_deref() {
                let (object, deleted) = state.store.delete(&key(name), &delete_options)?;
                // 200 with the object while finalizers hold it, a Status once deleted (202
                // only for `orphanDependents: false`): `src/sim/deletion.rs`.
                return Ok(deletion::delete_answer(
                    target.type_id,
                    name,
                    object,
                    deleted,
                    &delete_options,
                ));
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
