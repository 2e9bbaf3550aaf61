//! Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), which
//! kubectl's typed clientset uses for built-in kinds (`kubectl create namespace`, `kubectl create
//! secret …`) and which kube-apiserver accepts. Only what those commands send is decoded:
//! core/v1 Namespace and Secret, meta/v1 DeleteOptions (`protobuf_kinds.rs`: ConfigMap and the
//! self-reviews of `kubectl auth`); every other kind is refused, and so is any field this
//! decoder does not know that carries data, rather than dropped silently.
//!
//! The body is the 4-byte magic `k8s\0` followed by a `runtime.Unknown` message (typeMeta = 1
//! {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3, contentType = 4) whose `raw` holds
//! the object: `protoEncodingPrefix` and `Serializer.Decode` in k8s.io/apimachinery
//! `pkg/runtime/serializer/protobuf/protobuf.go`, `message Unknown` in
//! `pkg/runtime/generated.proto`.
//! Field numbers are those of k8s.io/api `core/v1/generated.proto` (Secret, Namespace,
//! NamespaceSpec, NamespaceStatus, NamespaceCondition) and k8s.io/apimachinery
//! `pkg/apis/meta/v1/generated.proto` (ObjectMeta, OwnerReference, ManagedFieldsEntry,
//! FieldsV1, Time, DeleteOptions, Preconditions). The result is the JSON object the JSON path
//! would have parsed, so creates and updates go on through the same code. (Read at
//! kubernetes/apimachinery eed236ce, kubernetes/api 10b39a39, kubernetes/apiserver 24a394e5,
//! kubernetes/apiextensions-apiserver 1aa2717a.)

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::sim::resources::ResourceType;
use crate::sim::status::ApiError;

/// The media type of Kubernetes' protobuf encoding (`runtime.ContentTypeProtobuf`).
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// `protoEncodingPrefix`: the bytes every protobuf body starts with.
const MAGIC: &[u8; 4] = b"k8s\0";

/// How a field is read and written into JSON.
#[derive(Clone, Copy)]
pub(super) enum Ty {
    Str,
    Int,
    Bool,
    /// `meta/v1.Time`: {seconds = 1, nanos = 2}, written as RFC 3339 seconds.
    Time,
    Msg(&'static [Field]),
    Strs,
    Msgs(&'static [Field]),
    StrMap,
    /// `map<string, bytes>`, written as base64 as Go's JSON writes `[]byte`.
    BytesMap,
    /// `FieldsV1` {Raw = 1}: JSON bytes, written as that JSON.
    FieldsV1,
}

/// One field of a message: its number, its JSON name, how it is read, and whether it is a Go
/// pointer (`*bool`, `*int64`, `*string`): sent only when set, so kept even when zero. Other
/// scalars are `omitempty`: a zero value is what Go's JSON leaves out.
pub(super) struct Field(u64, &'static str, Ty, bool);

pub(super) const fn f(number: u64, name: &'static str, ty: Ty) -> Field {
    Field(number, name, ty, false)
}

pub(super) const fn ptr(number: u64, name: &'static str, ty: Ty) -> Field {
    Field(number, name, ty, true)
}

const TYPE_META: &[Field] = &[f(1, "apiVersion", Ty::Str), f(2, "kind", Ty::Str)];

const OWNER_REFERENCE: &[Field] = &[
    f(1, "kind", Ty::Str),
    f(3, "name", Ty::Str),
    f(4, "uid", Ty::Str),
    f(5, "apiVersion", Ty::Str),
    ptr(6, "controller", Ty::Bool),
    ptr(7, "blockOwnerDeletion", Ty::Bool),
];

const MANAGED_FIELDS_ENTRY: &[Field] = &[
    f(1, "manager", Ty::Str),
    f(2, "operation", Ty::Str),
    f(3, "apiVersion", Ty::Str),
    f(4, "time", Ty::Time),
    f(6, "fieldsType", Ty::Str),
    f(7, "fieldsV1", Ty::FieldsV1),
    f(8, "subresource", Ty::Str),
];

pub(super) const OBJECT_META: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "generateName", Ty::Str),
    f(3, "namespace", Ty::Str),
    f(4, "selfLink", Ty::Str),
    f(5, "uid", Ty::Str),
    f(6, "resourceVersion", Ty::Str),
    f(7, "generation", Ty::Int),
    f(8, "creationTimestamp", Ty::Time),
    ptr(9, "deletionTimestamp", Ty::Time),
    ptr(10, "deletionGracePeriodSeconds", Ty::Int),
    f(11, "labels", Ty::StrMap),
    f(12, "annotations", Ty::StrMap),
    f(13, "ownerReferences", Ty::Msgs(OWNER_REFERENCE)),
    f(14, "finalizers", Ty::Strs),
    f(17, "managedFields", Ty::Msgs(MANAGED_FIELDS_ENTRY)),
];

const SECRET: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::BytesMap),
    f(3, "type", Ty::Str),
    f(4, "stringData", Ty::StrMap),
    ptr(5, "immutable", Ty::Bool),
];

const NAMESPACE_CONDITION: &[Field] = &[
    f(1, "type", Ty::Str),
    f(2, "status", Ty::Str),
    f(4, "lastTransitionTime", Ty::Time),
    f(5, "reason", Ty::Str),
    f(6, "message", Ty::Str),
];

const NAMESPACE_SPEC: &[Field] = &[f(1, "finalizers", Ty::Strs)];

const NAMESPACE_STATUS: &[Field] = &[
    f(1, "phase", Ty::Str),
    f(2, "conditions", Ty::Msgs(NAMESPACE_CONDITION)),
];

const NAMESPACE: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(NAMESPACE_SPEC)),
    f(3, "status", Ty::Msg(NAMESPACE_STATUS)),
];

const PRECONDITIONS: &[Field] = &[ptr(1, "uid", Ty::Str), ptr(2, "resourceVersion", Ty::Str)];

const DELETE_OPTIONS: &[Field] = &[
    ptr(1, "gracePeriodSeconds", Ty::Int),
    ptr(2, "preconditions", Ty::Msg(PRECONDITIONS)),
    ptr(3, "orphanDependents", Ty::Bool),
    ptr(4, "propagationPolicy", Ty::Str),
    f(5, "dryRun", Ty::Strs),
    ptr(
        6,
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        Ty::Bool,
    ),
];

/// A field as it is on the wire.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Why a body could not be decoded. Never holds any of the body's contents (they may be
/// Secret values): only field numbers, names and positions.
type DecodeError = String;

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, DecodeError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos).ok_or("unexpected end of a varint")?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a varint longer than 10 bytes".to_owned())
}

fn take<'a>(buf: &'a [u8], pos: &mut usize, len: u64) -> Result<&'a [u8], DecodeError> {
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| pos.checked_add(len))
        .filter(|end| *end <= buf.len())
        .ok_or("unexpected end of a length-delimited field")?;
    let bytes = &buf[*pos..end];
    *pos = end;
    Ok(bytes)
}

/// Splits a message into its fields, in wire order.
fn fields(buf: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, DecodeError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let number = key >> 3;
        if number == 0 {
            return Err("a field numbered 0".to_owned());
        }
        let wire = match key & 7 {
            0 => Wire::Varint(varint(buf, &mut pos)?),
            1 => take(buf, &mut pos, 8).map(|_| Wire::Fixed)?,
            2 => {
                let len = varint(buf, &mut pos)?;
                Wire::Bytes(take(buf, &mut pos, len)?)
            }
            5 => take(buf, &mut pos, 4).map(|_| Wire::Fixed)?,
            other => {
                return Err(format!(
                    "field {number} has wire type {other}, not supported"
                ));
            }
        };
        out.push((number, wire));
    }
    Ok(out)
}

fn utf8<'a>(bytes: &'a [u8], path: &str) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|_| format!("{path} is not valid UTF-8"))
}

/// `meta/v1.Time`: empty is the zero time (`null`, left out); otherwise whole seconds, nanos
/// dropped, as `Time.Unmarshal` keeps them (apimachinery `pkg/apis/meta/v1/time_proto.go`).
fn time(bytes: &[u8], path: &str) -> Result<Option<String>, DecodeError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    let mut seconds = 0u64;
    for (number, wire) in fields(bytes)? {
        match (number, wire) {
            (1, Wire::Varint(v)) => seconds = v,
            (2, Wire::Varint(_)) => {}
            (number, _) => return Err(format!("{path}: unexpected field {number} in a Time")),
        }
    }
    // A negative int64 is a huge u64 here: times before 1970 are not served.
    if seconds > i64::MAX as u64 {
        return Err(format!("{path}: a time before 1970"));
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    Ok(Some(crate::sim::time::rfc3339(at)))
}

/// A map entry {key = 1, value = 2}.
fn entry<'a>(bytes: &'a [u8], path: &str) -> Result<(&'a str, &'a [u8]), DecodeError> {
    let (mut key, mut value): (&[u8], &[u8]) = (&[], &[]);
    for (number, wire) in fields(bytes)? {
        match (number, wire) {
            (1, Wire::Bytes(b)) => key = b,
            (2, Wire::Bytes(b)) => value = b,
            (number, _) => return Err(format!("{path}: unexpected field {number} in a map entry")),
        }
    }
    Ok((utf8(key, &format!("a key of {path}"))?, value))
}

/// Decodes a message by its field table into the JSON object Go's JSON encoding would write.
fn message(buf: &[u8], table: &[Field], path: &str) -> Result<Map<String, Value>, DecodeError> {
    let mut out = Map::new();
    for (number, wire) in fields(buf)? {
        let Some(&Field(_, name, ty, pointer)) = table.iter().find(|f| f.0 == number) else {
            // A field this decoder does not know: harmless when it carries nothing (older
            // clients send removed fields such as ObjectMeta's clusterName = 15 empty).
            match wire {
                Wire::Varint(0) | Wire::Bytes([]) => continue,
                _ => {
                    return Err(format!(
                        "{path}: field number {number} is not decoded by the simulated cluster \
                         (send the object as application/json)"
                    ));
                }
            }
        };
        let here = format!("{path}.{name}");
        let name = name.to_owned();
        match (ty, wire) {
            (Ty::Str, Wire::Bytes(b)) => {
                let s = utf8(b, &here)?;
                if pointer || !s.is_empty() {
                    out.insert(name, json!(s));
                }
            }
            (Ty::Int, Wire::Varint(v)) => {
                if pointer || v != 0 {
                    // int64 is two's complement on the wire.
                    out.insert(name, json!(v as i64));
                }
            }
            (Ty::Bool, Wire::Varint(v)) => {
                if pointer || v != 0 {
                    out.insert(name, json!(v != 0));
                }
            }
            (Ty::Time, Wire::Bytes(b)) => {
                if let Some(t) = time(b, &here)? {
                    out.insert(name, json!(t));
                }
            }
            (Ty::Msg(table), Wire::Bytes(b)) => {
                out.insert(name, Value::Object(message(b, table, &here)?));
            }
            (Ty::Strs, Wire::Bytes(b)) => push(&mut out, name, json!(utf8(b, &here)?)),
            (Ty::Msgs(table), Wire::Bytes(b)) => {
                push(&mut out, name, Value::Object(message(b, table, &here)?));
            }
            (Ty::StrMap, Wire::Bytes(b)) => {
                let (key, value) = entry(b, &here)?;
                let value = utf8(value, &format!("a value of {here}"))?;
                insert(&mut out, name, key, json!(value));
            }
            (Ty::BytesMap, Wire::Bytes(b)) => {
                let (key, value) = entry(b, &here)?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(value);
                insert(&mut out, name, key, json!(encoded));
            }
            (Ty::FieldsV1, Wire::Bytes(b)) => {
                let mut raw: &[u8] = &[];
                for (number, wire) in fields(b)? {
                    match (number, wire) {
                        (1, Wire::Bytes(r)) => raw = r,
                        (number, _) => {
                            return Err(format!("{here}: unexpected field {number}"));
                        }
                    }
                }
                if !raw.is_empty() {
                    let value = serde_json::from_slice(raw)
                        .map_err(|_| format!("{here} does not hold JSON"))?;
                    out.insert(name, value);
                }
            }
            _ => return Err(format!("{here} (field {number}) has the wrong wire type")),
        }
    }
    Ok(out)
}

fn push(out: &mut Map<String, Value>, name: String, value: Value) {
    if let Some(items) = out.entry(name).or_insert_with(|| json!([])).as_array_mut() {
        items.push(value);
    }
}

fn insert(out: &mut Map<String, Value>, name: String, key: &str, value: Value) {
    if let Some(map) = out.entry(name).or_insert_with(|| json!({})).as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// The `runtime.Unknown` envelope: (apiVersion, kind, raw). Its contentEncoding and
/// contentType are read past, as `Serializer.Decode` does (it decodes `raw` as protobuf).
fn envelope(body: &[u8]) -> Result<(String, String, &[u8]), DecodeError> {
    if body.is_empty() {
        return Err("empty data".to_owned());
    }
    let Some(data) = body.strip_prefix(MAGIC) else {
        return Err(
            "provided data does not appear to be a protobuf message, expected prefix \
             [107 56 115 0]"
                .to_owned(),
        );
    };
    if data.is_empty() {
        return Err("empty body".to_owned());
    }
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (number, wire) in fields(data)? {
        match (number, wire) {
            (1, Wire::Bytes(b)) => {
                let meta = message(b, TYPE_META, "typeMeta")?;
                let get = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                (api_version, kind) = (get("apiVersion"), get("kind"));
            }
            (2, Wire::Bytes(b)) => raw = b,
            (3 | 4, Wire::Bytes(_)) => {}
            (number, _) => return Err(format!("unexpected field {number} in runtime.Unknown")),
        }
    }
    Ok((api_version, kind, raw))
}

/// Decodes the protobuf body of a create or update sent to `t`'s endpoint into the JSON object
/// the JSON path would have parsed (`apiVersion` and `kind` from the envelope). Errors are
/// those of kube-apiserver's create and update handlers: a body that does not decode is 400
/// (`transformDecodeError`, k8s.io/apiserver `pkg/endpoints/handlers/rest.go`, but without its
/// summary of the body's bytes, which may be Secret values), custom resources too ("CRDs
/// explicitly do not support protobuf", apiextensions-apiserver `customresource_handler.go`:
/// `Unstructured` has no protobuf unmarshaler). A built-in kind this decoder does not model is
/// 415 Unsupported Media Type, naming what to send instead.
pub fn decode_object(body: &[u8], t: &ResourceType) -> Result<Value, ApiError> {
    let (api_version, kind, raw) = envelope(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): {e}",
            t.kind
        ))
    })?;
    let kind = if kind.is_empty() {
        t.kind.to_owned()
    } else {
        kind
    };
    let api_version = if api_version.is_empty() {
        t.api_version()
    } else {
        api_version
    };
    if kind != t.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            t.kind
        )));
    }
    let version = api_version
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let cannot = |e: String| {
        ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {e}"
        ))
    };
    if t.custom {
        return Err(cannot(format!(
            "custom resources cannot be sent as {MEDIA_TYPE}; send application/json or \
             application/yaml"
        )));
    }
    let table = match (t.group, t.kind) {
        ("", "Secret") => SECRET,
        ("", "Namespace") => NAMESPACE,
        (group, kind) if let Some(table) = super::protobuf_kinds::table(group, kind) => table,
        _ => {
            return Err(ApiError {
                code: 415,
                reason: "UnsupportedMediaType",
                message: format!(
                    "the simulated cluster cannot decode {} from {MEDIA_TYPE} (it decodes \
                     Namespace, Secret, ConfigMap, DeleteOptions and the self-reviews) - send \
                     application/json or application/yaml",
                    t.qualified_kind()
                ),
                details: None,
            });
        }
    };
    let mut object = message(raw, table, &kind).map_err(cannot)?;
    object.insert("apiVersion".to_owned(), json!(api_version));
    object.insert("kind".to_owned(), json!(kind));
    Ok(Value::Object(object))
}

/// Decodes a protobuf `DeleteOptions` body into its JSON form (`Null` for an empty body, as a
/// delete without one has no options). Any error is 400, as in kube-apiserver's delete handler
/// (`errors.NewBadRequest(err.Error())`, k8s.io/apiserver `pkg/endpoints/handlers/delete.go`),
/// another kind too ("decoded object cannot be converted to DeleteOptions").
pub fn decode_delete_options(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    let (api_version, kind, raw) = envelope(body).map_err(ApiError::bad_request)?;
    if !kind.is_empty() && kind != "DeleteOptions" {
        return Err(ApiError::bad_request(
            "decoded object cannot be converted to DeleteOptions",
        ));
    }
    let mut options =
        message(raw, DELETE_OPTIONS, "DeleteOptions").map_err(ApiError::bad_request)?;
    options.insert("kind".to_owned(), json!("DeleteOptions"));
    if !api_version.is_empty() {
        options.insert("apiVersion".to_owned(), json!(api_version));
    }
    Ok(Value::Object(options))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sim::resources::{TYPES, by_kind};

    fn kind(group: &str, kind: &str) -> &'static ResourceType {
        &TYPES[by_kind(group, kind).expect("a served kind")]
    }

    pub(crate) fn varint_bytes(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
        out
    }

    /// A length-delimited field (wire type 2).
    pub(crate) fn bytes(number: u64, value: &[u8]) -> Vec<u8> {
        let mut out = varint_bytes(number << 3 | 2);
        out.extend(varint_bytes(value.len() as u64));
        out.extend_from_slice(value);
        out
    }

    /// A varint field (wire type 0).
    pub(crate) fn num(number: u64, value: u64) -> Vec<u8> {
        [varint_bytes(number << 3), varint_bytes(value)].concat()
    }

    /// String fields, one after the other.
    fn strs(fields: &[(u64, &str)]) -> Vec<u8> {
        fields
            .iter()
            .flat_map(|(n, s)| bytes(*n, s.as_bytes()))
            .collect()
    }

    pub(crate) fn entry(number: u64, key: &str, value: &[u8]) -> Vec<u8> {
        let key_value = [bytes(1, key.as_bytes()), bytes(2, value)].concat();
        bytes(number, &key_value)
    }

    /// The `k8s\0` magic and a `runtime.Unknown` around `raw`, as client-go writes it.
    pub(crate) fn wrap(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let type_meta = [bytes(1, api_version.as_bytes()), bytes(2, kind.as_bytes())].concat();
        let tail = [bytes(3, b""), bytes(4, b"")].concat();
        [b"k8s\0".to_vec(), bytes(1, &type_meta), bytes(2, raw), tail].concat()
    }

    /// A refused Secret body: 400, and nothing of the body (`hunter2`) in the message.
    fn refused(body: &[u8]) -> String {
        let error = decode_object(body, kind("", "Secret")).expect_err("refused");
        assert_eq!((error.code, error.reason), (400, "BadRequest"));
        assert!(!error.message.contains("hunter2"), "{}", error.message);
        error.message
    }

    /// `kubectl create namespace payments-2` (kubectl v1.33.1, from its `-v=9` dump).
    const KUBECTL_NAMESPACE: &[u8] = b"k8s\x00\x0a\x0f\x0a\x02v1\x12\x09Namespace\x12\x22\
        \x0a\x1a\x0a\x0apayments-2\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\
        \x12\x00\x1a\x02\x0a\x00\x1a\x00\x22\x00";

    /// `kubectl create secret generic x --from-literal=a=b --from-literal=c=dd`, likewise.
    const KUBECTL_SECRET: &[u8] = b"k8s\x00\x0a\x0c\x0a\x02v1\x12\x06Secret\x12\x26\
        \x0a\x11\x0a\x01x\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\
        \x12\x06\x0a\x01a\x12\x01b\x12\x07\x0a\x01c\x12\x02dd\x1a\x00\x1a\x00\x22\x00";

    #[test]
    fn what_kubectl_create_sends_decodes_as_its_json_would() {
        let namespace = decode_object(KUBECTL_NAMESPACE, kind("", "Namespace")).expect("decodes");
        assert_eq!(
            namespace,
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": "payments-2"}, "spec": {}, "status": {}})
        );
        // Data in base64, and the empty type left out for the API server to default.
        let secret = decode_object(KUBECTL_SECRET, kind("", "Secret")).expect("decodes");
        assert_eq!(
            secret,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"},
                   "data": {"a": "Yg==", "c": "ZGQ="}})
        );
    }

    #[test]
    fn every_modelled_field_of_a_secret_arrives() {
        let at = num(1, 1_767_225_600);
        let owner = [
            strs(&[(1, "SealedSecret"), (3, "sealed"), (4, "5e0a1ed0")]),
            strs(&[(5, "bitnami.com/v1alpha1")]),
            [num(6, 1), num(7, 0)].concat(),
        ];
        let managed = [
            strs(&[(1, "kubectl-edit"), (2, "Update"), (3, "v1")]),
            bytes(4, &[at.clone(), num(2, 5)].concat()),
            strs(&[(6, "FieldsV1")]),
            bytes(7, &bytes(1, br#"{"f:type":{}}"#)),
        ];
        let metadata = [
            strs(&[(2, "db-"), (3, "team")]),
            [num(7, 3), bytes(8, &at)].concat(),
            [entry(11, "app", b"db"), entry(11, "tier", b"backend")].concat(),
            [entry(12, "note", b"hello"), bytes(13, &owner.concat())].concat(),
            strs(&[(14, "example.com/hold"), (14, "example.com/other")]),
            bytes(17, &managed.concat()),
        ];
        let raw = [
            [bytes(1, &metadata.concat()), entry(2, "bin", &[0, 0xff])].concat(),
            strs(&[(3, "kubernetes.io/basic-auth")]),
            [entry(4, "username", b"app"), num(5, 0)].concat(),
        ]
        .concat();
        let object = decode_object(&wrap("v1", "Secret", &raw), kind("", "Secret")).expect("ok");
        assert_eq!(
            object,
            json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {
                    "generateName": "db-", "namespace": "team", "generation": 3,
                    "creationTimestamp": "2026-01-01T00:00:00Z",
                    "labels": {"app": "db", "tier": "backend"},
                    "annotations": {"note": "hello"},
                    "ownerReferences": [{"kind": "SealedSecret", "name": "sealed",
                        "uid": "5e0a1ed0", "apiVersion": "bitnami.com/v1alpha1",
                        "controller": true, "blockOwnerDeletion": false}],
                    "finalizers": ["example.com/hold", "example.com/other"],
                    "managedFields": [{"manager": "kubectl-edit", "operation": "Update",
                        "apiVersion": "v1", "time": "2026-01-01T00:00:00Z",
                        "fieldsType": "FieldsV1", "fieldsV1": {"f:type": {}}}],
                },
                "data": {"bin": "AP8="},
                "type": "kubernetes.io/basic-auth",
                "stringData": {"username": "app"},
                // A pointer field: sent only when set, so false is kept.
                "immutable": false,
            })
        );
    }

    #[test]
    fn namespace_finalizers_and_conditions_arrive() {
        let condition = [bytes(1, b"Deleting"), bytes(2, b"True")].concat();
        let status = [bytes(1, b"Active"), bytes(2, &condition)].concat();
        let spec = bytes(1, b"kubernetes");
        let meta = bytes(1, b"team");
        let raw = [bytes(1, &meta), bytes(2, &spec), bytes(3, &status)].concat();
        let object = decode_object(&wrap("v1", "Namespace", &raw), kind("", "Namespace"));
        assert_eq!(
            object.expect("decodes"),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"},
                   "spec": {"finalizers": ["kubernetes"]},
                   "status": {"phase": "Active",
                              "conditions": [{"type": "Deleting", "status": "True"}]}})
        );
    }

    #[test]
    fn an_empty_field_this_decoder_does_not_know_is_passed_over_one_with_data_is_refused() {
        // ObjectMeta.clusterName (15), removed from the API, still sent empty by old clients.
        let raw = bytes(1, &[bytes(1, b"x"), bytes(15, b"")].concat());
        let object = decode_object(&wrap("v1", "Secret", &raw), kind("", "Secret"));
        assert_eq!(object.expect("ok")["metadata"], json!({"name": "x"}));

        let raw = [bytes(1, &bytes(1, b"x")), bytes(9, b"hunter2")].concat();
        assert!(refused(&wrap("v1", "Secret", &raw)).starts_with(
            "Secret in version \"v1\" cannot be handled as a Secret: Secret: field number 9 \
                 is not decoded"
        ));
    }

    #[test]
    fn broken_bodies_are_400_and_never_echo_their_bytes() {
        assert!(refused(b"").ends_with("empty data"));
        assert!(refused(b"{\"hunter2\":1}").contains("does not appear to be a protobuf message"));
        assert!(refused(b"k8s\0").ends_with("empty body"));
        let whole = wrap("v1", "Secret", &entry(2, "password", b"hunter2"));
        let cut = refused(&whole[..whole.len() - 12]);
        assert!(cut.contains("unexpected end of a length-delimited field"));
        let not_utf8 = refused(&wrap("v1", "Secret", &entry(4, "password", &[0xff, b'h'])));
        assert!(not_utf8.contains("a value of Secret.stringData is not valid UTF-8"));
        let wire = refused(&wrap("v1", "Secret", &num(3, 1)));
        assert!(wire.contains("Secret.type (field 3) has the wrong wire type"));
        assert_eq!(
            refused(KUBECTL_NAMESPACE),
            "the kind in the data (Namespace) does not match the expected kind (Secret)"
        );
    }

    #[test]
    fn leases_are_415_and_custom_resources_400() {
        let lease_type = kind("coordination.k8s.io", "Lease");
        let lease = decode_object(&wrap("coordination.k8s.io/v1", "Lease", b""), lease_type);
        let lease = lease.expect_err("not modelled");
        assert_eq!((lease.code, lease.reason), (415, "UnsupportedMediaType"));
        assert!(lease.message.contains("Lease.coordination.k8s.io"));

        let es = kind("external-secrets.io", "ExternalSecret");
        let error = decode_object(&wrap("external-secrets.io/v1", "ExternalSecret", b""), es);
        let error = error.expect_err("custom resource");
        assert_eq!(error.code, 400);
        assert!(error.message.contains("custom resources cannot be sent as"));
    }

    #[test]
    fn delete_options_carry_preconditions_propagation_dry_run_and_negative_numbers() {
        let preconditions = [bytes(1, b"uid-1"), bytes(2, b"42")].concat();
        let raw = [
            [num(1, u64::MAX), bytes(2, &preconditions)].concat(),
            [bytes(4, b"Foreground"), bytes(5, b"All")].concat(),
        ]
        .concat();
        let options = decode_delete_options(&wrap("v1", "DeleteOptions", &raw)).expect("ok");
        assert_eq!(
            options,
            json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": -1,
                   "preconditions": {"uid": "uid-1", "resourceVersion": "42"},
                   "propagationPolicy": "Foreground", "dryRun": ["All"]})
        );
        assert_eq!(decode_delete_options(b"").expect("no body"), Value::Null);
        let error = decode_delete_options(KUBECTL_SECRET).expect_err("another kind");
        assert_eq!(error.code, 400);
        assert!(error.message.starts_with("decoded object cannot be"));
        let too_long = [&b"k8s\0\x08"[..], &[0xff; 10], &[0x01]].concat();
        let error = decode_delete_options(&too_long).expect_err("an 11-byte varint");
        assert!(error.message.contains("longer than 10 bytes"));
    }
}
