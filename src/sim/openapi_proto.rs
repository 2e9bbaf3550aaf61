//! `/openapi/v2` in its protobuf form, which is the only one client-go asks for
//! (`OpenAPISchema`: `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`,
//! client-go `discovery/discovery_client.go`) and so what kubectl reads for `kubectl explain
//! --output plaintext-openapiv2` (and older kubectl for every `explain`) and for the v2 fallback
//! of `kubectl apply`'s patch computation. kube-openapi converts its JSON document into gnostic's
//! `openapi_v2.Document` and marshals that (`ToProtoBinary`, kube-openapi
//! `pkg/handler/handler.go`); this encodes the JSON document of `openapi.rs` the same way.
//!
//! Message and field numbers are those of gnostic-models `openapiv2/OpenAPIv2.proto` (read at
//! google/gnostic-models a84a29e): Document, Info, Paths, NamedPathItem, PathItem, Operation,
//! ParametersItem, Parameter, NonBodyParameter, Query/PathParameterSubSchema, Responses,
//! NamedResponseValue, ResponseValue, Response, SchemaItem, Definitions, NamedSchema, Schema,
//! AdditionalPropertiesItem, TypeItem, ItemsItem, Properties, NamedAny, Any. A value gnostic
//! keeps as `Any` (`default`, `enum` items, vendor extensions) is its `yaml` text; JSON is YAML,
//! and kube-openapi's reader `yaml.Unmarshal`s it (`VendorExtensionToMap`, kube-openapi
//! `pkg/util/proto/document.go`). Only what the document of `openapi.rs` holds is encoded.

use serde_json::{Map, Value};

/// One message being written: fields appended in the order given.
#[derive(Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn key(&mut self, number: u64, wire: u64) {
        self.varint(number << 3 | wire);
    }

    fn bytes(&mut self, number: u64, bytes: &[u8]) {
        self.key(number, 2);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    /// A string field; proto3 leaves an empty one out.
    fn string(&mut self, number: u64, value: Option<&str>) {
        if let Some(text) = value.filter(|t| !t.is_empty()) {
            self.bytes(number, text.as_bytes());
        }
    }

    fn strings(&mut self, number: u64, values: Option<&Value>) {
        for text in values.and_then(Value::as_array).into_iter().flatten() {
            self.string(number, text.as_str());
        }
    }

    fn boolean(&mut self, number: u64, value: Option<&Value>) {
        if value == Some(&Value::Bool(true)) {
            self.key(number, 0);
            self.varint(1);
        }
    }

    fn int(&mut self, number: u64, value: Option<&Value>) {
        if let Some(n) = value.and_then(Value::as_i64).filter(|n| *n != 0) {
            self.key(number, 0);
            self.varint(n as u64);
        }
    }

    fn double(&mut self, number: u64, value: Option<&Value>) {
        if let Some(n) = value.and_then(Value::as_f64).filter(|n| *n != 0.0) {
            self.key(number, 1);
            self.0.extend_from_slice(&n.to_le_bytes());
        }
    }

    fn message(&mut self, number: u64, message: Message) {
        self.bytes(number, &message.0);
    }
}

/// `Any` {yaml = 2}.
fn any(value: &Value) -> Message {
    let mut any = Message::default();
    any.string(2, Some(&value.to_string()));
    any
}

/// The `x-…` members of an object as repeated `NamedAny` {name = 1, value = 2}.
fn vendor_extensions(out: &mut Message, number: u64, object: &Map<String, Value>) {
    for (name, value) in object.iter().filter(|(k, _)| k.starts_with("x-")) {
        let mut named = Message::default();
        named.string(1, Some(name));
        named.message(2, any(value));
        out.message(number, named);
    }
}

/// `Schema`.
fn schema(value: &Value) -> Message {
    let mut out = Message::default();
    let Some(s) = value.as_object() else {
        return out;
    };
    out.string(1, s.get("$ref").and_then(Value::as_str));
    out.string(2, s.get("format").and_then(Value::as_str));
    out.string(3, s.get("title").and_then(Value::as_str));
    out.string(4, s.get("description").and_then(Value::as_str));
    if let Some(default) = s.get("default") {
        out.message(5, any(default));
    }
    out.double(6, s.get("multipleOf"));
    out.double(7, s.get("maximum"));
    out.boolean(8, s.get("exclusiveMaximum"));
    out.double(9, s.get("minimum"));
    out.boolean(10, s.get("exclusiveMinimum"));
    for (number, name) in [(11, "maxLength"), (12, "minLength")] {
        out.int(number, s.get(name));
    }
    out.string(13, s.get("pattern").and_then(Value::as_str));
    for (number, name) in [(14, "maxItems"), (15, "minItems")] {
        out.int(number, s.get(name));
    }
    out.boolean(16, s.get("uniqueItems"));
    for (number, name) in [(17, "maxProperties"), (18, "minProperties")] {
        out.int(number, s.get(name));
    }
    out.strings(19, s.get("required"));
    for item in s
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.message(20, any(item));
    }
    match s.get("additionalProperties") {
        // AdditionalPropertiesItem {schema = 1 | boolean = 2}
        Some(Value::Bool(allowed)) => {
            let mut item = Message::default();
            item.key(2, 0);
            item.varint(u64::from(*allowed));
            out.message(21, item);
        }
        Some(additional) => {
            let mut item = Message::default();
            item.message(1, schema(additional));
            out.message(21, item);
        }
        None => {}
    }
    if let Some(kind) = s.get("type") {
        // TypeItem {value = 1}: one type, or several.
        let mut item = Message::default();
        match kind {
            Value::Array(_) => item.strings(1, Some(kind)),
            other => item.string(1, other.as_str()),
        }
        out.message(22, item);
    }
    if let Some(items) = s.get("items") {
        // ItemsItem {schema = 1 (repeated)}
        let mut item = Message::default();
        match items {
            Value::Array(list) => list.iter().for_each(|i| item.message(1, schema(i))),
            one => item.message(1, schema(one)),
        }
        out.message(23, item);
    }
    for part in s
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.message(24, schema(part));
    }
    if let Some(properties) = s.get("properties").and_then(Value::as_object) {
        // Properties {additional_properties = 1: NamedSchema {name = 1, value = 2}}
        let mut list = Message::default();
        for (name, property) in properties {
            let mut named = Message::default();
            named.string(1, Some(name));
            named.message(2, schema(property));
            list.message(1, named);
        }
        out.message(25, list);
    }
    out.boolean(27, s.get("readOnly"));
    vendor_extensions(&mut out, 31, s);
    out
}

/// `ParametersItem` {parameter = 1: Parameter {non_body_parameter = 2: NonBodyParameter
/// {query_parameter_sub_schema = 3 | path_parameter_sub_schema = 4}}}; the document has no
/// body, header or form parameters.
fn parameter(value: &Value) -> Message {
    let p = |name: &str| value.get(name);
    let text = |name: &str| p(name).and_then(Value::as_str);
    let mut sub = Message::default();
    let path = text("in") == Some("path");
    if path {
        // PathParameterSubSchema: required 1, in 2, description 3, name 4, type 5,
        // unique_items 19.
        sub.boolean(1, p("required"));
        sub.string(2, text("in"));
        sub.string(3, text("description"));
        sub.string(4, text("name"));
        sub.string(5, text("type"));
        sub.boolean(19, p("uniqueItems"));
    } else {
        // QueryParameterSubSchema: required 1, in 2, description 3, name 4, type 6,
        // unique_items 20.
        sub.boolean(1, p("required"));
        sub.string(2, text("in"));
        sub.string(3, text("description"));
        sub.string(4, text("name"));
        sub.string(6, text("type"));
        sub.boolean(20, p("uniqueItems"));
    }
    let mut non_body = Message::default();
    non_body.message(if path { 4 } else { 3 }, sub);
    let mut parameter = Message::default();
    parameter.message(2, non_body);
    let mut item = Message::default();
    item.message(1, parameter);
    item
}

/// `Operation`: description 3, operation_id 5, consumes 7, parameters 8, responses 9, vendor
/// extensions 13.
fn operation(value: &Value) -> Message {
    let mut out = Message::default();
    out.string(3, value.get("description").and_then(Value::as_str));
    out.string(5, value.get("operationId").and_then(Value::as_str));
    out.strings(7, value.get("consumes"));
    for p in value
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.message(8, parameter(p));
    }
    // Responses {response_code = 1: NamedResponseValue {name, value: ResponseValue
    // {response = 1: Response {description = 1, schema = 2: SchemaItem {schema = 1}}}}}
    let mut responses = Message::default();
    for (code, response) in value
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let mut body = Message::default();
        body.string(1, response.get("description").and_then(Value::as_str));
        if let Some(s) = response.get("schema") {
            let mut item = Message::default();
            item.message(1, schema(s));
            body.message(2, item);
        }
        let mut response_value = Message::default();
        response_value.message(1, body);
        let mut named = Message::default();
        named.string(1, Some(code));
        named.message(2, response_value);
        responses.message(1, named);
    }
    out.message(9, responses);
    if let Some(object) = value.as_object() {
        vendor_extensions(&mut out, 13, object);
    }
    out
}

/// The Swagger 2.0 JSON document as gnostic's `Document`, marshalled.
pub(super) fn document(swagger: &Value) -> Vec<u8> {
    let mut out = Message::default();
    out.string(1, swagger.get("swagger").and_then(Value::as_str));
    let mut info = Message::default();
    info.string(1, swagger.pointer("/info/title").and_then(Value::as_str));
    info.string(2, swagger.pointer("/info/version").and_then(Value::as_str));
    out.message(2, info);
    // Paths {path = 2: NamedPathItem {name = 1, value = 2: PathItem}}; PathItem: get 2, put 3,
    // post 4, delete 5, patch 8, parameters 9.
    let mut paths = Message::default();
    for (name, item) in swagger
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let mut path_item = Message::default();
        for (number, method) in [
            (2, "get"),
            (3, "put"),
            (4, "post"),
            (5, "delete"),
            (8, "patch"),
        ] {
            if let Some(op) = item.get(method) {
                path_item.message(number, operation(op));
            }
        }
        for p in item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            path_item.message(9, parameter(p));
        }
        let mut named = Message::default();
        named.string(1, Some(name));
        named.message(2, path_item);
        paths.message(2, named);
    }
    out.message(8, paths);
    // Definitions {additional_properties = 1: NamedSchema}
    let mut definitions = Message::default();
    for (name, definition) in swagger
        .get("definitions")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let mut named = Message::default();
        named.string(1, Some(name));
        named.message(2, schema(definition));
        definitions.message(1, named);
    }
    out.message(9, definitions);
    out.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_schema_is_written_with_gnostic_field_numbers() {
        let encoded = schema(&json!({"type": "object", "description": "d",
            "properties": {"a": {"type": "string"}}, "x-k": [1]}))
        .0;
        // description = 4, then type = 22: TypeItem {value = 1: "object"}.
        let start = [&[0x22, 1, b'd', 0xb2, 0x01, 8, 0x0a, 6][..], b"object"].concat();
        assert!(encoded.starts_with(&start), "{encoded:?}");
        // Last, vendor_extension = 31: NamedAny {name = 1: "x-k", value = 2: Any {yaml = 2}}.
        let end = [
            0xfa, 0x01, 12, 0x0a, 3, b'x', b'-', b'k', 0x12, 5, 0x12, 3, b'[', b'1', b']',
        ];
        assert!(encoded.ends_with(&end), "{encoded:?}");
    }
}
