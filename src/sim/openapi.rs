//! `/openapi/v3` and `/openapi/v2`: the schemas of every served kind, so `kubectl explain`
//! works, with the PATCH operations whose `fieldValidation` parameter tells kubectl the server
//! validates fields itself.
//!
//! As kube-apiserver serves them:
//! - `/openapi/v3` lists one document per group/version with a `hash` (the upper-case hex
//!   SHA-512 of the document, `computeETag`); a document asked for with another hash is a 301 to
//!   the current one, with the right one it is `Cache-Control: public, immutable` for a year, and
//!   every answer carries `ETag` and `Vary: Accept` (kube-openapi `pkg/handler3/handler.go`).
//! - a custom resource's schema is its CRD's `openAPIV3Schema` — here the one the cluster
//!   validates with, `es_schemas.rs` — named by the reversed group (`io.external-secrets.v1.
//!   ExternalSecret`), with `metadata` a ref to ObjectMeta, `apiVersion` and `kind` from TypeMeta,
//!   `x-kubernetes-group-version-kind`, and a `…List` schema beside it (`buildKubeNative`,
//!   `buildListSchema`, `gvkToModelName`: apiextensions-apiserver
//!   `pkg/controller/openapi/builder/builder.go`). v3 wraps a ref that has siblings in `allOf`
//!   (`WrapRefs`, kube-openapi `pkg/builder3/util/util.go`); v2 drops what Swagger 2.0 cannot say
//!   (`ToStructuralOpenAPIV2`, apiextensions-apiserver `pkg/controller/openapi/v2/conversion.go`).
//! - built-in kinds use the schemas of `openapi_schemas.rs`, the workload kinds those made from
//!   their traced Go structs (`openapi_workloads.rs`).
//! - `/openapi/v2` is one Swagger 2.0 document of everything, as JSON or, for the clients that
//!   ask for it first, as gnostic protobuf (`openapi_proto.rs`), which is all client-go asks for
//!   (`OpenAPISchema`): kubectl's `explain --output plaintext-openapiv2` and the v2 fallback of
//!   `apply`'s patch computation (kube-openapi `pkg/handler/handler.go`).
//!
//! The PATCH operations declare no request body. kubectl computes a client-side apply's
//! strategic merge patch from a document's schemas only when PATCH accepts
//! `application/strategic-merge-patch+json` there (`gvkSupportsPatchOpenAPIV3`, kubectl
//! `pkg/cmd/apply/patcher.go`), or, in v2, when the operation `consumes` it
//! (`getPatchTypeFromOpenAPI`, which none here declares); without either kubectl uses its
//! compiled-in types, which carry every patch strategy, rather than these shorter schemas.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use super::openapi_schemas::{self as schemas, REF_PREFIX};
use super::resources::{ResourceType, TYPES};
use super::served_kinds::REVIEW_KINDS;
use super::status::ApiError;

const V3_PREFIX: &str = "#/components/schemas/";

/// One served document: its bytes and their hash.
struct Document {
    bytes: Vec<u8>,
    hash: String,
}

impl Document {
    fn new(value: &Value) -> Self {
        let bytes = value.to_string().into_bytes();
        let hash = Sha512::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        Self { bytes, hash }
    }
}

struct Built {
    /// By group/version path (`api/v1`, `apis/external-secrets.io/v1`).
    v3: Vec<(String, Document)>,
    index: Document,
    v2: Document,
    /// The v2 document as gnostic protobuf, with the JSON's hash as its ETag, as kube-openapi
    /// serves it ("We can re-use the same etag as json because of the Vary header").
    v2_proto: Document,
}

/// The documents never change while the process runs: built once.
static BUILT: LazyLock<Built> = LazyLock::new(build);

/// Every served kind: the stored ones, then the self-reviews.
fn kinds() -> impl Iterator<Item = &'static ResourceType> {
    TYPES.iter().chain(REVIEW_KINDS.iter().copied())
}

/// `api/v1` or `apis/<group>/<version>`.
fn gv_path(t: &ResourceType) -> String {
    if t.group.is_empty() {
        format!("api/{}", t.version)
    } else {
        format!("apis/{}/{}", t.group, t.version)
    }
}

/// The definition name of a kind: `io.k8s.api.<package>.<version>.<Kind>` for built-in kinds,
/// the reversed group for custom resources (`gvkToModelName`).
fn model_name(t: &ResourceType, kind: &str) -> String {
    if t.custom {
        let group: Vec<&str> = t.group.split('.').rev().collect();
        format!("{}.{}.{kind}", group.join("."), t.version)
    } else {
        let package = t.group.split('.').next().filter(|p| !p.is_empty());
        format!(
            "io.k8s.api.{}.{}.{kind}",
            package.unwrap_or("core"),
            t.version
        )
    }
}

fn gvk(t: &ResourceType, kind: &str) -> Value {
    json!({"group": t.group, "kind": kind, "version": t.version})
}

/// Whether the stored kinds (not the reviews) have a `…List`.
fn listed(t: &ResourceType) -> bool {
    TYPES.iter().any(|s| std::ptr::eq(s, t))
}

/// A custom resource's schema as kube-apiserver publishes it from its CRD.
fn custom_schema(t: &ResourceType) -> Value {
    let mut schema = match t.kind {
        "ExternalSecret" => super::es_schemas::external_secret(),
        "ClusterSecretStore" => super::es_schemas::cluster_secret_store(),
        _ => json!({"type": "object"}),
    };
    for (path, text) in schemas::crd_descriptions(t.kind) {
        // `spec.data.secretKey` is /properties/spec/properties/data/items/properties/secretKey.
        let names: Vec<&str> = path.split('.').filter(|n| !n.is_empty()).collect();
        let mut pointer = String::new();
        for (i, name) in names.iter().enumerate() {
            pointer.push_str(&format!("/properties/{name}"));
            let array = schema
                .pointer(&pointer)
                .is_some_and(|n| n["type"] == "array");
            if array && i + 1 < names.len() {
                pointer.push_str("/items");
            }
        }
        if let Some(Value::Object(node)) = schema.pointer_mut(&pointer) {
            node.insert("description".to_owned(), json!(text));
        }
    }
    schema["properties"]["apiVersion"] = schemas::api_version();
    schema["properties"]["kind"] = schemas::kind();
    schema["properties"]["metadata"] = schemas::object_metadata();
    schema
}

/// Every definition (v2 form), and the names of those that come from CRDs.
fn definitions() -> (Map<String, Value>, BTreeSet<String>) {
    let mut all = schemas::built_in();
    super::openapi_workloads::add(&mut all);
    let mut custom = BTreeSet::new();
    for t in kinds() {
        let name = model_name(t, t.kind);
        let mut schema = if t.custom {
            custom.insert(name.clone());
            custom_schema(t)
        } else {
            all.get(&name)
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"}))
        };
        schema["x-kubernetes-group-version-kind"] = json!([gvk(t, t.kind)]);
        all.insert(name.clone(), schema);
        if listed(t) {
            let list_kind = format!("{}List", t.kind);
            let list = json!({
                "type": "object",
                "description": format!("{list_kind} is a list of {}", t.kind),
                "required": ["items"],
                "properties": {
                    "apiVersion": schemas::api_version(),
                    "kind": schemas::kind(),
                    "items": {"type": "array", "description": format!("List of {}.", t.plural),
                              "items": {"$ref": format!("{REF_PREFIX}{name}")}},
                    "metadata": schemas::list_metadata(),
                },
                "x-kubernetes-group-version-kind": [gvk(t, &list_kind)],
            });
            all.insert(model_name(t, &list_kind), list);
        }
    }
    (all, custom)
}

/// `CoreV1`, `CoordinationV1`, `ExternalSecretsIoV1`: how operation ids name a group/version.
fn operation_group(t: &ResourceType) -> String {
    let group = if t.group.is_empty() {
        "core"
    } else if t.custom {
        t.group
    } else {
        t.group.trim_end_matches(".k8s.io")
    };
    let mut out = String::new();
    for word in group.split(['.', '-']) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    let mut version = t.version.chars();
    if let Some(first) = version.next() {
        out.extend(first.to_uppercase());
        out.push_str(version.as_str());
    }
    out
}

/// A parameter in the document's form: v2 puts `type` beside it, v3 a `schema`.
fn parameter(v2: bool, name: &str, place: &str, kind: &str, description: &str) -> Value {
    let mut parameter = json!({"name": name, "in": place, "description": description});
    if place == "path" {
        parameter["required"] = json!(true);
    }
    if v2 {
        parameter["type"] = json!(kind);
        parameter["uniqueItems"] = json!(true);
    } else {
        parameter["schema"] = json!({"type": kind, "uniqueItems": true});
    }
    parameter
}

/// The write parameters kubectl looks for (`fieldValidation` above all).
fn write_parameters(v2: bool) -> Vec<Value> {
    vec![
        parameter(
            v2,
            "dryRun",
            "query",
            "string",
            "All: validate without persisting.",
        ),
        parameter(
            v2,
            "fieldManager",
            "query",
            "string",
            "Name of the actor making the change.",
        ),
        parameter(
            v2,
            "fieldValidation",
            "query",
            "string",
            "Ignore, Warn or Strict: what to do with unknown or duplicate fields.",
        ),
    ]
}

/// A response naming the schema of its body.
fn response(v2: bool, code: &str, name: &str) -> Value {
    let schema = json!({"$ref": format!("{}{name}", if v2 { REF_PREFIX } else { V3_PREFIX })});
    let body = if v2 {
        json!({"description": "OK", "schema": schema})
    } else {
        json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
    };
    Value::Object(Map::from_iter([(code.to_owned(), body)]))
}

/// The paths of one kind: the collection (list and create; create only for the reviews) and
/// the object (read, replace, patch, delete).
fn paths(t: &ResourceType, v2: bool) -> Vec<(String, Value)> {
    let prefix = format!("/{}", gv_path(t));
    let scope = if t.namespaced { "Namespaced" } else { "" };
    let collection = if t.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}", t.plural)
    } else {
        format!("{prefix}/{}", t.plural)
    };
    let name = model_name(t, t.kind);
    let op_group = operation_group(t);
    let operation = |verb: &str, action: &str, kind: &str, responses: Value, params: Vec<Value>| {
        json!({
            "description": format!("{action} {kind}"),
            "operationId": format!("{verb}{op_group}{scope}{kind}"),
            "parameters": params,
            "responses": responses,
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk(t, t.kind),
        })
    };
    let mut path_parameters = Vec::new();
    if t.namespaced {
        path_parameters.push(parameter(
            v2,
            "namespace",
            "path",
            "string",
            "object name and auth scope",
        ));
    }
    let mut collection_item = json!({
        "post": operation("create", "post", t.kind, response(v2, "201", &name),
                          write_parameters(v2)),
        "parameters": path_parameters,
    });
    if !listed(t) {
        return vec![(collection, collection_item)];
    }
    let list = model_name(t, &format!("{}List", t.kind));
    collection_item["get"] = operation("list", "list", t.kind, response(v2, "200", &list), vec![]);
    let mut object_parameters = vec![parameter(
        v2,
        "name",
        "path",
        "string",
        &format!("name of the {}", t.kind),
    )];
    object_parameters.extend(path_parameters);
    let mut patch_parameters = write_parameters(v2);
    patch_parameters.push(parameter(
        v2,
        "force",
        "query",
        "boolean",
        "Take over fields other managers own (apply only).",
    ));
    let object_item = json!({
        "get": operation("read", "get", t.kind, response(v2, "200", &name), vec![]),
        "put": operation("replace", "put", t.kind, response(v2, "200", &name),
                         write_parameters(v2)),
        "patch": operation("patch", "patch", t.kind, response(v2, "200", &name),
                           patch_parameters),
        "delete": operation("delete", "delete", t.kind, json!({"200": {"description": "OK"}}),
                            vec![]),
        "parameters": object_parameters,
    });
    vec![
        (collection.clone(), collection_item),
        (format!("{collection}/{{name}}"), object_item),
    ]
}

/// Every definition name a value refers to.
fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str) {
                let name = name.trim_start_matches(REF_PREFIX);
                out.insert(name.trim_start_matches(V3_PREFIX).to_owned());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// `WrapRefs`, and v3's ref prefix.
fn to_v3(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(name)) = map.get("$ref") {
                let target = json!({"$ref": name.replacen(REF_PREFIX, V3_PREFIX, 1)});
                if map.len() == 1 {
                    *value = target;
                    return;
                }
                map.remove("$ref");
                map.insert("allOf".to_owned(), json!([target]));
            }
            map.values_mut().for_each(to_v3);
        }
        Value::Array(items) => items.iter_mut().for_each(to_v3),
        _ => {}
    }
}

/// `ToStructuralOpenAPIV2`, for a CRD's schema: no junctors, nullable fields untyped, preserved
/// objects without properties or type.
fn to_v2_structural(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    for junctor in ["allOf", "oneOf", "anyOf", "not"] {
        map.remove(junctor);
    }
    if map.remove("nullable") == Some(Value::Bool(true)) {
        map.remove("type");
        map.remove("items");
        map.remove("properties");
    }
    if map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        map.remove("items");
        map.remove("properties");
        if map.get("type") == Some(&json!("object")) {
            map.remove("type");
        }
    }
    if map.get("type") == Some(&json!("array")) && !map.contains_key("items") {
        map.remove("type");
    }
    let nullable: Vec<String> = (map.get("properties").and_then(Value::as_object))
        .into_iter()
        .flatten()
        .filter(|(_, p)| p["nullable"] == true)
        .map(|(name, _)| name.clone())
        .collect();
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|r| !nullable.iter().any(|n| r == n.as_str()));
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(to_v2_structural);
    }
    if let Some(items) = map.get_mut("items") {
        to_v2_structural(items);
    }
    if let Some(additional) = map.get_mut("additionalProperties") {
        to_v2_structural(additional);
    }
}

fn build() -> Built {
    let (definitions, custom) = definitions();
    let mut by_gv: Vec<(String, Vec<&'static ResourceType>)> = Vec::new();
    for t in kinds() {
        let path = gv_path(t);
        match by_gv.iter_mut().find(|(p, _)| *p == path) {
            Some((_, kinds)) => kinds.push(t),
            None => by_gv.push((path, vec![t])),
        }
    }
    let info = json!({"title": "Kubernetes (secrets-console simulated cluster)",
                      "version": "v1.33.0"});
    let mut v3 = Vec::new();
    for (gv, kinds) in &by_gv {
        let mut items = Map::new();
        let mut wanted = BTreeSet::new();
        for t in kinds {
            for (path, item) in paths(t, false) {
                refs(&item, &mut wanted);
                items.insert(path, item);
            }
        }
        // The definitions the paths name, and everything those name in turn.
        let mut schemas = Map::new();
        while let Some(name) = wanted.pop_first() {
            if schemas.contains_key(&name) {
                continue;
            }
            let Some(schema) = definitions.get(&name) else {
                continue;
            };
            refs(schema, &mut wanted);
            let mut schema = schema.clone();
            to_v3(&mut schema);
            schemas.insert(name, schema);
        }
        let document = json!({"openapi": "3.0.0", "info": info, "paths": items,
                              "components": {"schemas": schemas}});
        v3.push((gv.clone(), Document::new(&document)));
    }
    let index: Map<String, Value> = v3
        .iter()
        .map(|(gv, document)| {
            let url = format!("/openapi/v3/{gv}?hash={}", document.hash);
            (gv.clone(), json!({"serverRelativeURL": url}))
        })
        .collect();
    let index = Document::new(&json!({"paths": index}));
    let mut v2_definitions = definitions;
    for name in &custom {
        if let Some(schema) = v2_definitions.get_mut(name) {
            to_v2_structural(schema);
        }
    }
    let v2_paths: Map<String, Value> = kinds().flat_map(|t| paths(t, true)).collect();
    let v2 = json!({"swagger": "2.0", "info": info, "paths": v2_paths,
                    "definitions": v2_definitions});
    let v2_json = Document::new(&v2);
    let v2_proto = Document {
        bytes: super::openapi_proto::document(&v2),
        hash: v2_json.hash.clone(),
    };
    Built {
        v3,
        index,
        v2: v2_json,
        v2_proto,
    }
}

/// The protobuf media type of `/openapi/v2`, as kube-openapi answers it; clients ask for it
/// under this name or with `@v1.0` (`subTypeProtobufDeprecated`).
const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// The first format of the `Accept` header's clauses the server has (JSON, or the protobuf
/// form when `protobuf` is offered), in the header's order as kube-openapi's negotiation
/// takes them; no header is `*/*`.
fn negotiate(headers: &HeaderMap, protobuf: bool) -> Option<&'static str> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .filter(|a| !a.trim().is_empty())
        .unwrap_or("*/*");
    accept.split(',').find_map(
        |clause| match clause.split(';').next().unwrap_or("").trim() {
            "application/json" | "application/*" | "*/*" => Some("application/json"),
            "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
            | "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
                if protobuf =>
            {
                Some(V2_PROTOBUF)
            }
            _ => None,
        },
    )
}

/// A document in the negotiated format (`None`: 406) with its ETag; 304 when the client has
/// it.
fn serve(
    document: &Document,
    format: Option<&'static str>,
    headers: &HeaderMap,
    immutable: bool,
) -> Response {
    let etag = format!("\"{}\"", document.hash);
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|h| h.to_str().ok())
        == Some(&etag);
    let mut response = match format {
        None => StatusCode::NOT_ACCEPTABLE.into_response(),
        Some(_) if cached => StatusCode::NOT_MODIFIED.into_response(),
        Some(media_type) => {
            let mut response = document.bytes.clone().into_response();
            let value = HeaderValue::from_static(media_type);
            response.headers_mut().insert(header::CONTENT_TYPE, value);
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if immutable {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, immutable"),
        );
        if let Ok(value) = HeaderValue::from_str(&http_date(SystemTime::now() + YEAR)) {
            headers.insert(header::EXPIRES, value);
        }
    }
    response
}

const YEAR: Duration = Duration::from_secs(365 * 86_400);

/// An HTTP date: `Tue, 07 Dec 2027 05:35:26 GMT`.
fn http_date(at: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    // `2027-12-07T05:35:26Z`
    let stamp = super::time::rfc3339(at);
    let field = |range: std::ops::Range<usize>| stamp.get(range).unwrap_or("");
    let month: usize = field(5..7).parse().unwrap_or(1);
    format!(
        "{}, {} {} {} {} GMT",
        DAYS[((secs / 86_400 + 4) % 7) as usize],
        field(8..10),
        MONTHS[month.clamp(1, 12) - 1],
        field(0..4),
        field(11..19)
    )
}

/// `GET /openapi/v3`.
pub(crate) async fn v3_index(headers: HeaderMap) -> Response {
    serve(&BUILT.index, negotiate(&headers, false), &headers, false)
}

/// `GET /openapi/v3/<group/version>`: the document; 301 to its current hash when asked for
/// another one.
pub(crate) async fn v3_document(
    Path(path): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some((gv, document)) = BUILT.v3.iter().find(|(gv, _)| *gv == path) else {
        return ApiError::no_route().into_response();
    };
    match query.get("hash") {
        Some(hash) if *hash != document.hash => {
            let location = format!("/openapi/v3/{gv}?hash={}", document.hash);
            let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Some(_) => serve(document, negotiate(&headers, false), &headers, true),
        None => serve(document, negotiate(&headers, false), &headers, false),
    }
}

/// `GET /openapi/v2`: JSON, or gnostic protobuf (`openapi_proto.rs`) when that comes first.
pub(crate) async fn v2(headers: HeaderMap) -> Response {
    match negotiate(&headers, true) {
        Some(V2_PROTOBUF) => serve(&BUILT.v2_proto, Some(V2_PROTOBUF), &headers, false),
        format => serve(&BUILT.v2, format, &headers, false),
    }
}

/// The v3 document of a group/version (`apis/external-secrets.io/v1`), for tests.
pub fn v3_document_json(gv: &str) -> Option<Value> {
    let (_, document) = BUILT.v3.iter().find(|(path, _)| path == gv)?;
    serde_json::from_slice(&document.bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ref_resolves_in_its_document_and_in_v2() {
        for (gv, document) in &BUILT.v3 {
            let document: Value = serde_json::from_slice(&document.bytes).expect("JSON");
            let mut named = BTreeSet::new();
            refs(&document, &mut named);
            for name in named {
                let name = name.trim_start_matches(V3_PREFIX);
                assert!(
                    document["components"]["schemas"].get(name).is_some(),
                    "{gv}: {name} is referred to but missing"
                );
            }
        }
        let v2: Value = serde_json::from_slice(&BUILT.v2.bytes).expect("JSON");
        let mut named = BTreeSet::new();
        refs(&v2, &mut named);
        for name in named {
            assert!(
                v2["definitions"].get(&name).is_some(),
                "v2: {name} is missing"
            );
        }
    }

    #[test]
    fn refs_with_siblings_are_wrapped_in_v3_and_crd_schemas_lose_junctors_in_v2() {
        let es = v3_document_json("apis/external-secrets.io/v1").expect("served");
        let schema = &es["components"]["schemas"]["io.external-secrets.v1.ExternalSecret"];
        assert_eq!(
            schema["properties"]["metadata"]["allOf"],
            json!([{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}])
        );
        assert_eq!(
            schema["x-kubernetes-group-version-kind"],
            json!([{"group": "external-secrets.io", "kind": "ExternalSecret", "version": "v1"}])
        );
        let v2: Value = serde_json::from_slice(&BUILT.v2.bytes).expect("JSON");
        let store = &v2["definitions"]["io.external-secrets.v1.ClusterSecretStore"];
        let interval = &store["properties"]["spec"]["properties"]["refreshInterval"];
        assert!(interval.get("anyOf").is_none(), "{interval}");
        assert_eq!(interval["x-kubernetes-int-or-string"], true);
    }

    #[test]
    fn operation_ids_name_the_group_as_kube_apiserver_does() {
        let id = |group: &str, kind: &str| {
            let t = kinds()
                .find(|t| t.group == group && t.kind == kind)
                .expect("served");
            operation_group(t)
        };
        assert_eq!(id("", "Secret"), "CoreV1");
        assert_eq!(id("coordination.k8s.io", "Lease"), "CoordinationV1");
        assert_eq!(
            id("external-secrets.io", "ExternalSecret"),
            "ExternalSecretsIoV1"
        );
        assert!(http_date(SystemTime::UNIX_EPOCH).starts_with("Thu, 01 Jan 1970 00:00:00"));
    }
}
