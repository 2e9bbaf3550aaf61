//! Structural schemas, the OpenAPI v3 subset CustomResourceDefinitions use: pruning unknown
//! fields, filling defaults and validating, as a real API server does for custom resources.
//!
//! It follows apiextensions-apiserver's pruning and defaulting and kube-openapi's validator and
//! errors. Call [`Schema::prune`] and [`Schema::apply_defaults`] (in either order: CRD defaults
//! survive pruning), then [`Schema::validate`]. Not modelled: `x-kubernetes-validations` (no CEL
//! evaluator here, so the rules are skipped and what a real server rejects by a rule passes),
//! update ratcheting, list-type set/map uniqueness, `uniqueItems`, `multipleOf`, embedded
//! resources, and `format`s but `date-time` (int32/int64 ranges, `byte`, `uri`, …). When every
//! `anyOf`/`oneOf` alternative fails, kube-openapi adds the errors of the one that got furthest
//! (the first, on a tie); this adds the first one's. And a key of an `additionalProperties` map
//! shows as `spec.x[key]`, not kube-apiserver's `spec.x.key`, to stay unambiguous with dots.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Number, Value};

/// Root fields a real server never prunes: type meta, and the object meta it handles itself.
const ROOT_KEPT: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// A version's `openAPIV3Schema`, with its `pattern`s compiled once.
#[derive(Debug, Clone)]
pub struct Schema {
    root: Value,
    patterns: HashMap<String, Result<Regex, String>>,
}

/// One validation failure, as kube-apiserver reports it in a `Status`'s `details.causes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the offending field, e.g. `spec.data[0].remoteRef.key`.
    pub field: String,
    /// The cause type, e.g. `FieldValueRequired`.
    pub reason: &'static str,
    /// The message without the field, e.g. `Required value`.
    pub message: String,
}

type Errors = Vec<FieldError>;

impl Schema {
    /// Wraps a version's `schema.openAPIV3Schema`.
    pub fn new(open_api_v3_schema: Value) -> Self {
        let mut patterns = HashMap::new();
        collect_patterns(&open_api_v3_schema, &mut patterns);
        let root = open_api_v3_schema;
        Self { root, patterns }
    }

    /// Removes fields the schema does not declare (kept under
    /// `x-kubernetes-preserve-unknown-fields`; at the root, `apiVersion`, `kind` and `metadata`
    /// are never pruned, and metadata's content is left alone).
    pub fn prune(&self, object: &mut Value) {
        let preserve = flag(&self.root, "x-kubernetes-preserve-unknown-fields");
        let Value::Object(map) = object else {
            return prune(Some(&self.root), false, object);
        };
        map.retain(|key, child| {
            ROOT_KEPT.contains(&key.as_str()) || prune_field(&self.root, preserve, key, child)
        });
    }

    /// Fills `default`s as the API server does: for every object present in `object`, each
    /// declared property that is absent and has a `default` gets it (recursively, so a defaulted
    /// object gets its own nested defaults; defaults also apply inside array items and maps).
    /// A null where the schema is not `nullable: true` is replaced by the default, or dropped
    /// when there is none; a null the schema allows is kept and not defaulted.
    pub fn apply_defaults(&self, object: &mut Value) {
        apply_defaults(&self.root, object);
    }

    /// Validates `object`: kube-apiserver style errors, sorted by field, then message (kube's
    /// own order follows Go map iteration). See the module doc for what is not checked.
    pub fn validate(&self, object: &Value) -> Vec<FieldError> {
        let mut errors = self.check(&self.root, object, "");
        errors.sort_by(|a, b| (&a.field, &a.message).cmp(&(&b.field, &b.message)));
        // kube-openapi reports an identical error once (anyOf and allOf can repeat checks).
        errors.dedup();
        errors
    }

    /// Validates one value with kube-openapi's checks: type, combinators, string, format,
    /// number, array, enum, object.
    fn check(&self, node: &Value, value: &Value, path: &str) -> Errors {
        let types = types(node);
        let mut out = Errors::new();
        let allowed_null = value.is_null() && flag(node, "nullable");
        if let Some(got) = type_mismatch(&types, value).filter(|_| !allowed_null) {
            out.push(type_invalid(path, got, &types.join(",")));
        }
        if value.is_null() {
            out.extend(check_enum(node, value, path));
            return out;
        }
        out.extend(self.check_combinators(node, value, path));
        match value {
            Value::String(text) => {
                out.extend(self.check_string(node, text, path));
                let format = node["format"].as_str().unwrap_or_default();
                if matches!(format, "date-time" | "datetime") && !is_date_time(text) {
                    out.push(type_invalid(path, text, format));
                }
            }
            Value::Number(number) => out.extend(check_number(node, number, path)),
            Value::Array(items) => {
                if let Some(item) = node.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        out.extend(self.check(item, v, &format!("{path}[{i}]")));
                    }
                }
                if let Some(min) = uint(node, "minItems").filter(|min| items.len() < *min) {
                    let detail = format!("{path} in body should have at least {min} items");
                    out.push(invalid(path, &items.len().into(), &detail));
                }
                if let Some(max) = uint(node, "maxItems").filter(|max| items.len() > *max) {
                    out.push(too_many(path, items.len(), max));
                }
            }
            _ => {}
        }
        out.extend(check_enum(node, value, path));
        if let Value::Object(map) = value {
            out.extend(self.check_object(node, map, path));
        }
        out
    }

    /// The first failing string rule (kube-openapi stops there): maxLength, minLength, pattern.
    fn check_string(&self, node: &Value, text: &str, path: &str) -> Option<FieldError> {
        let len = text.chars().count();
        if let Some(max) = uint(node, "maxLength").filter(|max| len > *max) {
            return Some(too_long(path, max));
        }
        let detail = if let Some(min) = uint(node, "minLength").filter(|min| len < *min) {
            format!("{path} in body should be at least {min} chars long")
        } else {
            let pattern = node["pattern"].as_str()?;
            match self.patterns.get(pattern).map(Result::as_ref) {
                Some(Ok(re)) if re.is_match(text) => return None,
                Some(Err(e)) => {
                    format!("{path} in body should match '{pattern}, but pattern is invalid: {e}'")
                }
                _ => format!("{path} in body should match '{pattern}'"),
            }
        };
        Some(invalid(path, &text.into(), &detail))
    }

    fn check_object(&self, node: &Value, map: &Map<String, Value>, path: &str) -> Errors {
        let mut out = Errors::new();
        if let Some(min) = uint(node, "minProperties").filter(|min| map.len() < *min) {
            let detail = format!("{path} in body should have at least {min} properties");
            out.push(invalid(path, &map.len().into(), &detail));
        }
        if let Some(max) = uint(node, "maxProperties").filter(|max| map.len() > *max) {
            out.push(too_many(path, map.len(), max));
        }
        let values = node.get("additionalProperties").filter(|a| a.is_object());
        for (key, child) in map {
            if let Some(property) = node["properties"].get(key) {
                out.extend(self.check(property, child, &child_path(path, key)));
            } else if let Some(schema) = values {
                out.extend(self.check(schema, child, &format!("{path}[{key}]")));
            }
        }
        // Presence is what counts: kube-openapi accepts an explicit null for a required field.
        for name in list(node, "required").iter().filter_map(Value::as_str) {
            let field = child_path(path, name);
            if !map.contains_key(name) {
                out.push(error(field, "FieldValueRequired", "Required value"));
            }
        }
        out
    }

    /// anyOf/oneOf/allOf/not. kube-openapi reports their own failure as a plain error, which
    /// kube-apiserver turns into a `FieldValueInvalid` at the nil path, printed `<nil>`.
    fn check_combinators(&self, node: &Value, value: &Value, path: &str) -> Errors {
        let each = |key| list(node, key).iter().map(|s| self.check(s, value, path));
        let results = |key| each(key).collect::<Vec<_>>();
        let valid = |results: &[Errors]| results.iter().filter(|e| e.is_empty()).count();
        let composite = |rule: &str| {
            let message = format!("Invalid value: \"\": {} must {rule}", quote(path));
            error("<nil>".into(), "FieldValueInvalid", message)
        };
        let (any, one, all) = (results("anyOf"), results("oneOf"), results("allOf"));
        let mut out = Errors::new();
        if !any.is_empty() && valid(&any) == 0 {
            out.push(composite("validate at least one schema (anyOf)"));
            out.extend(any.into_iter().next().unwrap_or_default());
        }
        let only_one = "validate one and only one schema (oneOf). Found";
        match valid(&one) {
            _ if one.is_empty() => {}
            0 => {
                out.push(composite(&format!("{only_one} none valid")));
                out.extend(one.into_iter().next().unwrap_or_default());
            }
            1 => {}
            n => out.push(composite(&format!("{only_one} {n} valid alternatives"))),
        }
        let passed = valid(&all);
        if passed < all.len() {
            let none = if passed == 0 { ". None validated" } else { "" };
            out.extend(all.into_iter().flatten());
            let rule = format!("validate all the schemas (allOf){none}");
            out.push(composite(&rule));
        }
        let not = node.get("not").map(|not| self.check(not, value, path));
        if not.is_some_and(|errors| errors.is_empty()) {
            out.push(composite("not validate the schema (not)"));
        }
        out
    }
}

/// Compiles every `pattern` in the schema once, keeping compile errors to report them.
fn collect_patterns(node: &Value, patterns: &mut HashMap<String, Result<Regex, String>>) {
    match node {
        Value::Object(map) => {
            if let Some(pattern) = map.get("pattern").and_then(Value::as_str) {
                let compiled = Regex::new(pattern).map_err(|e| e.to_string());
                patterns.entry(pattern.to_owned()).or_insert(compiled);
            }
            map.values().for_each(|v| collect_patterns(v, patterns));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_patterns(v, patterns)),
        _ => {}
    }
}

/// The schema of an object's field: its property, else the `additionalProperties` schema
/// (`true` stands for a schema without constraints; `false` means the field is unknown).
fn field_schema<'a>(node: &'a Value, key: &str) -> Option<&'a Value> {
    let additional = node
        .get("additionalProperties")
        .filter(|a| a.is_object() || **a == true);
    node["properties"].get(key).or(additional)
}

// Indexing a `Value` by key gives null where the key (or the object) is missing.
fn flag(node: &Value, key: &str) -> bool {
    node[key] == true
}

fn uint(node: &Value, key: &str) -> Option<usize> {
    node[key].as_u64()?.try_into().ok()
}

fn list<'a>(node: &'a Value, key: &str) -> &'a [Value] {
    node[key].as_array().map_or(&[], Vec::as_slice)
}

/// Prunes `value` against `node` (None: no schema, so objects lose every field). A preserving
/// schema passes that on to array items only, as apiextensions-apiserver's `skipPrune` does.
fn prune(node: Option<&Value>, inherited: bool, value: &mut Value) {
    let own = node.is_some_and(|n| flag(n, "x-kubernetes-preserve-unknown-fields"));
    let preserve = inherited || own;
    match (value, node) {
        (Value::Object(map), Some(n)) => map.retain(|k, v| prune_field(n, preserve, k, v)),
        (Value::Object(map), None) => map.retain(|_, _| preserve),
        (Value::Array(items), _) => {
            let item = node.and_then(|n| n.get("items"));
            items.iter_mut().for_each(|v| prune(item, preserve, v));
        }
        _ => {}
    }
}

/// Prunes one object field and tells whether to keep it: a declared field is kept and pruned
/// in turn; an unknown one is kept, untouched, only where unknown fields are preserved.
fn prune_field(node: &Value, preserve: bool, key: &str, child: &mut Value) -> bool {
    let Some(schema) = field_schema(node, key) else {
        return preserve;
    };
    prune(Some(schema), false, child);
    true
}

/// apiextensions-apiserver's `PruneNonNullableNullsWithoutDefaults` then `Default`, folded
/// into one walk (defaults cannot hold such nulls: CRD validation rejects them).
fn apply_defaults(node: &Value, value: &mut Value) {
    let fill = |schema: &Value, value: &mut Value| {
        let default = schema.get("default").filter(|_| !flag(schema, "nullable"));
        if let Some(default) = default.filter(|_| value.is_null()) {
            *value = default.clone();
        }
        apply_defaults(schema, value);
    };
    match value {
        Value::Object(map) => {
            let droppable = |s: &Value| !flag(s, "nullable") && s.get("default").is_none();
            map.retain(|k, v| !v.is_null() || !field_schema(node, k).is_some_and(droppable));
            for (key, property) in node["properties"].as_object().into_iter().flatten() {
                if let Some(default) = property.get("default").filter(|_| !map.contains_key(key)) {
                    map.insert(key.clone(), default.clone());
                }
            }
            for (key, child) in map.iter_mut() {
                if let Some(schema) = field_schema(node, key) {
                    fill(schema, child);
                }
            }
        }
        Value::Array(items) => {
            if let Some(schema) = node.get("items") {
                items.iter_mut().for_each(|v| fill(schema, v));
            }
        }
        _ => {}
    }
}

/// The declared types: `x-kubernetes-int-or-string` means integer or string.
fn types(node: &Value) -> Vec<&str> {
    if flag(node, "x-kubernetes-int-or-string") {
        return vec!["integer", "string"];
    }
    node["type"].as_str().into_iter().collect()
}

/// kube-openapi's type check: the JSON type received, if the schema does not allow it. An
/// integral float passes as an integer and an integer as a number, as in kube-openapi.
fn type_mismatch(types: &[&str], value: &Value) -> Option<&'static str> {
    let got = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let whole = |f: f64| f.fract() == 0.0 && f.abs() <= 2f64.powi(53);
    let has = |t| types.contains(&t);
    let integer = got == "number" && has("integer") && value.as_f64().is_some_and(whole);
    let ok = types.is_empty() || has(got) || integer || (got == "integer" && has("number"));
    (!ok).then_some(got)
}

/// go-openapi's `date-time` check: RFC 3339, with a date that exists and a time up to 23:59:59.
fn is_date_time(text: &str) -> bool {
    static DATE_TIME: LazyLock<Result<Regex, regex::Error>> = LazyLock::new(|| {
        Regex::new(r"^(\d{4})-(\d\d)-(\d\d)[tT](\d\d):(\d\d):(\d\d)(.\d+)?([zZ]|[+-]\d\d:\d\d)$")
    });
    let Some(parts) = DATE_TIME.as_ref().ok().and_then(|re| re.captures(text)) else {
        return false;
    };
    let n = |i: usize| parts[i].parse::<u32>().unwrap_or(u32::MAX);
    let leap = n(1) % 4 == 0 && (n(1) % 100 != 0 || n(1) % 400 == 0);
    let days = match n(2) {
        2 => 28 + u32::from(leap),
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=12).contains(&n(2)) && (1..=days).contains(&n(3)) && n(4) < 24 && n(5) < 60 && n(6) < 60
}

fn check_number(node: &Value, number: &Number, path: &str) -> Errors {
    let data = number.as_f64().unwrap_or(f64::NAN);
    // kube-openapi compares an integer with the bound as an integer, and prints it so.
    let shown = |b: f64| if number.is_f64() { b } else { b.trunc() };
    let maximum = ("maximum", "exclusiveMaximum", 1.0, "less");
    let minimum = ("minimum", "exclusiveMinimum", -1.0, "greater");
    let mut out = Errors::new();
    for (key, exclusive_key, direction, word) in [maximum, minimum] {
        let Some(bound) = node[key].as_f64() else {
            continue;
        };
        let exclusive = flag(node, exclusive_key);
        let beyond = (data - bound) * direction;
        if beyond > 0.0 || (exclusive && beyond == 0.0) {
            let or_equal = if exclusive { "" } else { " or equal to" };
            let (bound, value) = (shown(bound), Value::Number(number.clone()));
            let detail = format!("{path} in body should be {word} than{or_equal} {bound}");
            out.push(invalid(path, &value, &detail));
        }
    }
    out
}

fn check_enum(node: &Value, value: &Value, path: &str) -> Option<FieldError> {
    let allowed = list(node, "enum");
    let same = |a: &Value| match (a, value) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == value,
    };
    if allowed.is_empty() || allowed.iter().any(same) {
        return None;
    }
    let name = |a: &Value| quote(&a.as_str().map_or_else(|| a.to_string(), str::to_owned));
    let names = allowed.iter().map(name).collect::<Vec<_>>().join(", ");
    let value = render(value);
    let message = format!("Unsupported value: {value}: supported values: {names}");
    Some(error(path.into(), "FieldValueNotSupported", message))
}

fn child_path(path: &str, key: &str) -> String {
    let dot = if path.is_empty() { "" } else { "." };
    format!("{path}{dot}{key}")
}

/// Go's `%q`, approximated by JSON string escaping (they agree on printable text).
fn quote(text: &str) -> String {
    Value::from(text).to_string()
}

/// A bad value as apimachinery prints it: strings quoted, numbers and booleans bare, the rest as
/// JSON; a float with no fraction prints as Go's `%v` does, without `.0`.
fn render(value: &Value) -> String {
    match value.as_f64() {
        Some(f) if value.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        _ => value.to_string(),
    }
}

fn invalid(path: &str, value: &Value, detail: &str) -> FieldError {
    let message = format!("Invalid value: {}: {detail}", render(value));
    error(path.into(), "FieldValueInvalid", message)
}

fn type_invalid(path: &str, got: &str, expected: &str) -> FieldError {
    let got = quote(got);
    let message = format!("Invalid value: {got}: {path} in body must be of type {expected}: {got}");
    error(path.into(), "FieldValueTypeInvalid", message)
}

fn too_long(path: &str, max: usize) -> FieldError {
    let unit = if max == 1 { "byte" } else { "bytes" };
    let message = format!("Too long: may not be more than {max} {unit}");
    error(path.into(), "FieldValueTooLong", message)
}

fn too_many(path: &str, actual: usize, max: usize) -> FieldError {
    let unit = if max == 1 { "item" } else { "items" };
    let message = format!("Too many: {actual}: must have at most {max} {unit}");
    error(path.into(), "FieldValueTooMany", message)
}

fn error(field: String, reason: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        reason,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A root schema whose `spec` has these properties.
    fn spec(properties: Value) -> Schema {
        let spec = json!({"type": "object", "properties": properties});
        Schema::new(json!({"type": "object", "properties": {"spec": spec}}))
    }

    /// `field reason` of each error of validating `spec`.
    fn causes(schema: &Schema, spec: Value) -> Vec<String> {
        let errors = schema.validate(&json!({ "spec": spec })).into_iter();
        errors.map(|e| e.field + " " + e.reason).collect()
    }

    /// The message of each error of validating `spec`.
    fn messages(schema: &Schema, spec: Value) -> Vec<String> {
        let errors = schema.validate(&json!({ "spec": spec }));
        errors.into_iter().map(|e| e.message).collect()
    }

    /// `spec` after pruning and defaulting.
    fn stored(schema: &Schema, spec: Value) -> Value {
        let mut object = json!({ "spec": spec });
        schema.prune(&mut object);
        schema.apply_defaults(&mut object);
        object["spec"].take()
    }

    #[test]
    fn unknown_field_is_pruned_unless_preserved() {
        let item = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let schema = spec(json!({
            "known": item, "list": {"type": "array", "items": item},
            "map": {"type": "object", "additionalProperties": item},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                     "properties": {"strict": item}},
        }));
        let sent = json!({
            "known": {"a": "x", "b": 1}, "list": [{"a": "x", "b": 1}], "map": {"k": {"b": 1}},
            "free": {"any": {"deep": 1}, "strict": {"b": 1}}, "unknown": 1,
        });
        let kept = json!({
            "known": {"a": "x"}, "list": [{"a": "x"}], "map": {"k": {}},
            "free": {"any": {"deep": 1}, "strict": {}},
        });
        assert_eq!(stored(&schema, sent), kept);
    }

    #[test]
    fn type_meta_and_metadata_are_never_pruned_at_the_root() {
        let schema = Schema::new(json!({"type": "object", "properties": {}}));
        let kept = json!({"apiVersion": "v1", "kind": "K", "metadata": {"name": "n", "x": {}}});
        let mut object = kept.clone();
        object["status"] = json!({});
        schema.prune(&mut object);
        assert_eq!(object, kept);
    }

    #[test]
    fn absent_property_gets_its_default_and_a_defaulted_object_its_nested_ones() {
        let schema = spec(json!({
            "interval": {"type": "string", "default": "1h0m0s"},
            "target": {"type": "object", "default": {"a": "A"}, "properties": {
                "a": {"type": "string"}, "b": {"type": "string", "default": "B"}}},
        }));
        let expected = json!({"interval": "1h0m0s", "target": {"a": "A", "b": "B"}});
        assert_eq!(stored(&schema, json!({})), expected);
        // A null spec is dropped, and an absent object gets no defaults.
        assert_eq!(stored(&schema, Value::Null), Value::Null);
    }

    #[test]
    fn defaults_apply_inside_array_items_and_map_values() {
        let item = json!({"type": "object", "properties": {"p": {"default": "d"}}});
        let schema = spec(json!({
            "list": {"type": "array", "items": item},
            "map": {"type": "object", "additionalProperties": item},
        }));
        let sent = json!({"list": [{}, {"p": "set"}], "map": {"k": {}}});
        let expected = json!({"list": [{"p": "d"}, {"p": "set"}], "map": {"k": {"p": "d"}}});
        assert_eq!(stored(&schema, sent), expected);
    }

    #[test]
    fn null_is_defaulted_or_dropped_unless_nullable() {
        let schema = spec(json!({
            "defaulted": {"type": "string", "default": "d"}, "plain": {"type": "string"},
            "nullable": {"type": "string", "nullable": true, "default": "d"},
            "list": {"type": "array", "items": {"type": "string", "default": "i"}},
        }));
        let nulls = json!({"defaulted": null, "plain": null, "nullable": null, "list": [null]});
        let kept = json!({"defaulted": "d", "nullable": null, "list": ["i"]});
        assert_eq!(stored(&schema, nulls), kept);
        assert!(causes(&schema, kept).is_empty());
        let left = causes(&schema, json!({"plain": null, "nullable": null}));
        assert_eq!(left, ["spec.plain FieldValueTypeInvalid"]); // unless pruned
    }

    #[test]
    fn missing_required_field_is_reported_with_its_path() {
        let key = json!({"type": "object", "required": ["key"], "properties": {"key": {}}});
        let item = json!({"type": "object", "required": ["remoteRef", "secretKey"],
                          "properties": {"secretKey": {}, "remoteRef": key}});
        let schema = spec(json!({"data": {"type": "array", "items": item}}));
        let found = schema.validate(&json!({"spec": {"data": [{"remoteRef": {}}]}}));
        let required = |field: &str| error(field.into(), "FieldValueRequired", "Required value");
        let key = required("spec.data[0].remoteRef.key");
        assert_eq!(found, [key, required("spec.data[0].secretKey")]);
    }

    #[test]
    fn wrong_type_names_the_json_type_received() {
        let schema = spec(json!({"s": {"type": "string"}, "i": {"type": "integer"},
                                 "n": {"type": "number"}, "a": {"type": "array"}}));
        let found = schema.validate(&json!({"spec": {"s": 3600, "i": 2.0, "n": 1, "a": {}}}));
        let text = r#"Invalid value: "integer": spec.s in body must be of type string: "integer""#;
        let expected = error("spec.s".into(), "FieldValueTypeInvalid", text);
        assert_eq!(found[1], expected);
        let fields: Vec<_> = found.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["spec.a", "spec.s"]); // 2.0 is an integer, 1 a number
    }

    #[test]
    fn enum_violation_names_the_field_and_allowed_values() {
        let schema = spec(json!({"p": {"type": "string", "enum": ["Owner", "Orphan", "None"]}}));
        let found = schema.validate(&json!({"spec": {"p": "X"}}));
        let text = r#"Unsupported value: "X": supported values: "Owner", "Orphan", "None""#;
        let expected = error("spec.p".into(), "FieldValueNotSupported", text);
        assert_eq!(found, [expected]);
        assert!(causes(&schema, json!({"p": "None"})).is_empty());
    }

    #[test]
    fn string_rules_stop_at_the_first_failure() {
        let rules = json!({"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^[a-z]"});
        let schema = spec(json!({ "k": rules }));
        let too_long = messages(&schema, json!({"k": "ABCD"}));
        assert_eq!(too_long, ["Too long: may not be more than 3 bytes"]);
        let short = r#"Invalid value: "": spec.k in body should be at least 1 chars long"#;
        assert_eq!(messages(&schema, json!({"k": ""})), [short]);
        let mismatch = r#"Invalid value: "A1": spec.k in body should match '^[a-z]'"#;
        assert_eq!(messages(&schema, json!({"k": "A1"})), [mismatch]);
        assert!(messages(&schema, json!({"k": "abc"})).is_empty());
    }

    #[test]
    fn numeric_bounds_are_enforced() {
        let bounds = json!({"minimum": 1, "maximum": 9, "exclusiveMaximum": true});
        let schema = spec(json!({ "n": bounds }));
        let low = "Invalid value: 0: spec.n in body should be greater than or equal to 1";
        assert_eq!(messages(&schema, json!({"n": 0})), [low]);
        let high = "Invalid value: 9: spec.n in body should be less than 9";
        assert_eq!(messages(&schema, json!({"n": 9})), [high]);
        assert!(messages(&schema, json!({"n": 8})).is_empty());
    }

    #[test]
    fn item_and_property_counts_are_enforced() {
        let schema = spec(json!({
            "list": {"type": "array", "minItems": 1, "maxItems": 2},
            "one": {"type": "object", "minProperties": 1, "maxProperties": 1,
                    "x-kubernetes-preserve-unknown-fields": true},
        }));
        let many = messages(&schema, json!({"list": [1, 2, 3], "one": {"a": 1, "b": 2}}));
        assert_eq!(many[0], "Too many: 3: must have at most 2 items");
        assert_eq!(many[1], "Too many: 2: must have at most 1 item");
        let few = causes(&schema, json!({"list": [], "one": {}}));
        let expected = ["spec.list FieldValueInvalid", "spec.one FieldValueInvalid"];
        assert_eq!(few, expected);
    }

    #[test]
    fn map_values_are_validated_under_bracketed_keys() {
        let labels = json!({"type": "object", "additionalProperties": {"type": "string"}});
        let schema = spec(json!({ "labels": labels }));
        let found = causes(&schema, json!({"labels": {"a.b/c": 1, "ok": "x"}}));
        assert_eq!(found, ["spec.labels[a.b/c] FieldValueTypeInvalid"]);
    }

    #[test]
    fn int_or_string_accepts_both_and_rejects_others() {
        let any_of = json!([{"type": "integer"}, {"type": "string"}]);
        let schema = spec(json!({"i": {"x-kubernetes-int-or-string": true, "anyOf": any_of}}));
        assert!(causes(&schema, json!({"i": 60})).is_empty());
        assert!(causes(&schema, json!({"i": "1m"})).is_empty());
        let found = messages(&schema, json!({"i": true}));
        let any_of = r#"Invalid value: "": "spec.i" must validate at least one schema (anyOf)"#;
        let type_error = r#"Invalid value: "boolean": spec.i in body must be of type integer"#;
        let own = format!(r#"{type_error},string: "boolean""#);
        let first_alternative = format!(r#"{type_error}: "boolean""#);
        assert_eq!(found, [any_of, &own, &first_alternative]);
    }

    #[test]
    fn date_time_is_checked_and_other_formats_are_not() {
        let schema = spec(json!({
            "t": {"type": "string", "format": "date-time"}, "b": {"format": "byte"},
            "c": {"type": "integer", "format": "int32"}, "o": {"format": "made-up"},
        }));
        let valid = json!({"t": "2024-02-29T23:59:59.5+01:00", "b": "not base64", "c": 7, "o": ""});
        assert!(causes(&schema, valid).is_empty());
        let bad_day = causes(&schema, json!({"t": "2023-02-29T00:00:00Z"}));
        assert_eq!(bad_day, ["spec.t FieldValueTypeInvalid"]);
    }

    #[test]
    fn combinators_report_at_the_nil_path() {
        let schema = spec(json!({
            "one": {"type": "string", "oneOf": [{"pattern": "^a"}, {"pattern": "b$"}]},
            "all": {"type": "string", "allOf": [{"minLength": 2}, {"maxLength": 3}]},
            "not": {"type": "string", "not": {"enum": ["forbidden"]}},
        }));
        assert!(causes(&schema, json!({"one": "ax", "all": "abc", "not": "ok"})).is_empty());
        let invalid = json!({"one": "ab", "all": "a", "not": "forbidden"});
        let found = messages(&schema, invalid);
        let must = |field, rule| format!(r#"Invalid value: "": "spec.{field}" must {rule}"#);
        let one_of = "validate one and only one schema (oneOf). Found 2 valid alternatives";
        let expected = [
            must("all", "validate all the schemas (allOf)"),
            must("not", "not validate the schema (not)"),
            must("one", one_of),
            r#"Invalid value: "a": spec.all in body should be at least 2 chars long"#.into(),
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn cel_validation_rules_are_skipped() {
        let rules = json!([{"rule": "self == 'x'", "message": "must be x"}]);
        let schema = spec(json!({"a": {"type": "string", "x-kubernetes-validations": rules}}));
        assert!(causes(&schema, json!({"a": "y"})).is_empty());
    }

    #[test]
    fn errors_are_sorted_by_field() {
        let schema = spec(json!({"b": {"type": "string"}, "a": {"type": "string"},
                                 "c": {"type": "object", "required": ["z", "y"]}}));
        let found = schema.validate(&json!({"spec": {"b": 1, "a": 1, "c": {}}}));
        let fields: Vec<_> = found.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["spec.a", "spec.b", "spec.c.y", "spec.c.z"]);
    }
}
