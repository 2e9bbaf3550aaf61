//! How kube-apiserver decodes what a client writes to a built-in kind (Secret, Namespace,
//! Event, Lease, ConfigMap) into its Go struct, and what `fieldValidation` makes of the rest.
//!
//! - A value of the wrong JSON type (`stringData: {port: 5432}`, `data: []`) fails the decode:
//!   400 `Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number
//!   into Go struct field Secret.stringData of type string`, and nothing is stored, whatever
//!   `fieldValidation` says (`createHandler`, apiserver `pkg/endpoints/handlers/create.go`;
//!   `transformDecodeError`, `rest.go`; the message is `UnmarshalTypeError.Error` with the
//!   context `addErrorContext` adds, sigs.k8s.io/json `internal/golang/encoding/json/decode.go`).
//! - A field the struct does not have, or one a JSON body repeats, is a strict decoding error
//!   (`strictError`, sigs.k8s.io/json `kubernetes_patch.go`; joined by `, ` after
//!   `strict decoding error: `, `strictDecodingError.Error`, apimachinery `pkg/runtime/error.go`):
//!   `fieldValidation=Strict` (kubectl's default) refuses the write with it, `Warn` (the
//!   server's default, `fieldValidation` in `rest.go`) drops the field and answers a
//!   `Warning` header per error (`addStrictDecodingWarnings`), `Ignore` drops it silently.
//! - Patches decode the patched object the same way, but refuse it as 422 Invalid on the field
//!   `patch`, and add the strict errors of the patch body itself (`applyPatchToCurrentObject`,
//!   `applyJSPatch`, `applyPatchToObject`, `pkg/endpoints/handlers/patch.go`).
//! - Server-side apply converts the applied configuration to its typed form instead
//!   (structured-merge-diff): an undeclared field or a wrong type fails with 500 whatever
//!   `fieldValidation` says (`check_apply`).
//!
//! Messages name fields and types, never a value: a Secret's values stay out of errors.

mod go_types;
pub mod recorder;
mod scan;
mod traced;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::resources::ResourceType;
use super::status::{ApiError, json_kind};
use super::store::{Patch, WriteContext};
pub(crate) use go_types::{GoStruct, Ty};
pub use recorder::{FieldValidation, Recorder};
use scan::Scanned;
pub(crate) use traced::structs as traced_structs;

/// The Go struct a built-in kind decodes into: written out (`go_types.rs`) or traced from
/// k8s-openapi (`traced.rs`, the workload kinds); `None` for custom resources.
fn go_struct(group: &str, kind: &str) -> Option<&'static GoStruct> {
    go_types::kind(group, kind).or_else(|| traced::kind(group, kind))
}

/// The traced Go struct of a workload kind, by kind alone (their names are unique among the
/// served kinds), for strategic merge patch (`store/strategies.rs`); `None` for other kinds.
pub(crate) fn workload_struct(kind: &str) -> Option<&'static GoStruct> {
    ["apps", "batch", ""]
        .iter()
        .find_map(|group| traced::kind(group, kind))
}

/// The answer to a request, error or not, with a `Warning: 299 - "<text>"` header per warning
/// recorded: kube-apiserver writes them as they are recorded, so a refused write carries them
/// too (`NewWarningHeader`, apimachinery `pkg/util/net/http.go`, escapes only `"` and `\`, and
/// refuses control characters).
pub(crate) fn warned(ctx: &WriteContext, result: Result<Response, ApiError>) -> Response {
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    for text in ctx.recorder.take_warnings() {
        if text.chars().any(char::is_control) {
            continue;
        }
        let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(value) = HeaderValue::from_bytes(format!("299 - \"{quoted}\"").as_bytes()) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

/// Decodes the object of a create or update (POST, PUT) of a built-in kind: refuses wrong
/// types (400), and unknown or repeated fields as `fieldValidation` says. Returns the object
/// as the typed struct holds it: without unknown fields, `[]byte` values in canonical base64.
/// `body` is the request body as sent, for repeated fields (JSON only).
pub(crate) fn decode(
    t: &ResourceType,
    mut object: Value,
    body: &[u8],
    ctx: &WriteContext,
) -> Result<Value, ApiError> {
    let (Some(s), Some(map)) = (go_struct(t.group, t.kind), object.as_object_mut()) else {
        // Custom resources have their schema (`kinds::admit`); a body that is not an object
        // is refused by the store.
        return Ok(object);
    };
    // apiVersion and kind are read first, into an anonymous struct (`SimpleMetaFactory.
    // Interpret`, apimachinery `pkg/runtime/serializer/json/meta.go`); kube-apiserver adds a
    // summary of the body, left out here (it can hold Secret values).
    for field in ["apiVersion", "kind"] {
        if let Some(value) = map.get(field).filter(|v| !v.is_null() && !v.is_string()) {
            return Err(ApiError::bad_request(format!(
                "the object provided is unrecognized (must be of type {}): couldn't get \
                 version/kind; json parse error: json: cannot unmarshal {} into Go struct \
                 field .{field} of type string",
                t.kind,
                json_kind(value)
            )));
        }
    }
    let cannot = |error: String| {
        ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {error}",
            kind = t.kind,
            version = t.version,
        ))
    };
    // The decoder keeps the first error, and the strict errors, in the body's order.
    let scanned = Scanned::of(body);
    let mut problems = Walk::check(s, map, true);
    problems.sort_by_key(|p| scanned.position(&strict_path(&p.path)));
    if let Some(error) = problems.iter().find_map(Problem::go_error) {
        return Err(cannot(error));
    }
    if ctx.validation == FieldValidation::Ignore {
        return Ok(object);
    }
    let unknown: Vec<String> = problems.iter().filter_map(Problem::unknown).collect();
    let mut strict: Vec<(usize, String)> = (unknown.iter())
        .map(|path| {
            (
                scanned.position(path),
                format!("unknown field {}", go_quote(path)),
            )
        })
        .collect();
    for path in scanned.duplicates(&unknown) {
        let at = scanned.order.iter().rposition(|p| *p == path);
        strict.push((
            at.unwrap_or(usize::MAX),
            format!("duplicate field {}", go_quote(&path)),
        ));
    }
    strict.sort_by_key(|(at, _)| *at);
    let strict: Vec<String> = strict.into_iter().map(|(_, error)| error).collect();
    match ctx.validation {
        FieldValidation::Strict if !strict.is_empty() => Err(cannot(format!(
            "strict decoding error: {}",
            strict.join(", ")
        ))),
        _ => {
            strict.iter().for_each(|w| ctx.recorder.warn(w));
            Ok(object)
        }
    }
}

/// What a patch's own body adds before the patched object is decoded (patch.go). A JSON
/// patch's operations are `jsonPatchOp` structs: unknown and repeated fields are
/// `json patch unknown field "[0].foo"` (`applyJSPatch`); a merge or strategic merge patch is
/// a map, so only repeated fields count. Kept for [`decode_patched`]. Server-side apply is
/// checked here whole (`check_apply`).
pub(crate) fn check_patch(
    t: &ResourceType,
    patch: &Patch,
    body: &[u8],
    ctx: &WriteContext,
) -> Result<(), ApiError> {
    decodes_as_a_patch(patch, ctx)?;
    let Some(s) = go_struct(t.group, t.kind) else {
        return Ok(());
    };
    if let Patch::Apply { config, .. } = patch {
        return check_apply(s, config);
    }
    if ctx.validation == FieldValidation::Ignore {
        return Ok(());
    }
    let errors: Vec<String> = match patch {
        Patch::Json(operations) => {
            let unknown: Vec<String> = operations
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .flat_map(|(i, op)| {
                    op.as_object()
                        .into_iter()
                        .flat_map(|o| o.keys())
                        .filter(|key| !["op", "path", "from", "value"].contains(&key.as_str()))
                        .map(move |key| format!("[{i}].{key}"))
                })
                .collect();
            let repeated = Scanned::of(body).duplicates(&unknown);
            let named = |what: &str, path: &String| format!("json patch {what} {}", go_quote(path));
            (unknown.iter().map(|p| named("unknown field", p)))
                .chain(repeated.iter().map(|p| named("duplicate field", p)))
                .collect()
        }
        _ => Scanned::of(body)
            .duplicates(&[])
            .iter()
            .map(|path| format!("duplicate field {}", go_quote(path)))
            .collect(),
    };
    ctx.recorder.lock().patch_errors = errors;
    Ok(())
}

/// Under `Strict` and `Warn` (the default), any kind: a merge patch's body is first decoded into
/// a map and a JSON patch's into a list of operations, so a body of another shape is 400
/// `error decoding patch: json: cannot unmarshal array into Go value of type
/// map[string]interface {}` before anything is applied (`applyJSPatch`, apiserver
/// `pkg/endpoints/handlers/patch.go`; `null` decodes to an empty map or list). Under `Ignore`
/// the body goes straight to json-patch.
fn decodes_as_a_patch(patch: &Patch, ctx: &WriteContext) -> Result<(), ApiError> {
    if ctx.validation == FieldValidation::Ignore {
        return Ok(());
    }
    let refused = |kind: &str, go_type: &str| {
        Err(ApiError::bad_request(format!(
            "error decoding patch: json: cannot unmarshal {kind} into Go value of type {go_type}"
        )))
    };
    match patch {
        Patch::Merge(body) if !(body.is_object() || body.is_null()) => {
            refused(json_kind(body), "map[string]interface {}")
        }
        Patch::Json(body) if !(body.is_array() || body.is_null()) => {
            refused(json_kind(body), "[]handlers.jsonPatchOp")
        }
        Patch::Json(Value::Array(operations)) => {
            match operations
                .iter()
                .find(|op| !(op.is_object() || op.is_null()))
            {
                Some(op) => refused(json_kind(op), "handlers.jsonPatchOp"),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// Decodes the object a JSON, merge or strategic merge patch made: a wrong type is 422 Invalid
/// on the field `patch`, worded as the decoder words it, and so are unknown fields under
/// `Strict` (with the patch body's own strict errors first); under `Warn` and `Ignore` they are
/// dropped, with warnings under `Warn` (`applyPatchToCurrentObject`, `applyPatchToObject`,
/// patch.go). Strategic merge patches go through `FromUnstructuredWithValidation` there, whose
/// type errors are worded differently (`cannot convert int64 to string`); they are worded as
/// the JSON decoder's here.
pub(crate) fn decode_patched(
    t: &ResourceType,
    mut patched: Value,
    ctx: &WriteContext,
) -> Result<Value, ApiError> {
    let mut strict = std::mem::take(&mut ctx.recorder.lock().patch_errors);
    let Some(s) = go_struct(t.group, t.kind) else {
        return Ok(patched);
    };
    let Some(map) = patched.as_object_mut() else {
        return Ok(patched);
    };
    let problems = Walk::check(s, map, false);
    if let Some(error) = problems.iter().find_map(Problem::go_error) {
        return Err(invalid_patch(&error));
    }
    strict.extend(
        problems
            .iter()
            .filter_map(Problem::unknown)
            .map(|path| format!("unknown field {}", go_quote(&path))),
    );
    match ctx.validation {
        FieldValidation::Strict if !strict.is_empty() => Err(invalid_patch(&format!(
            "strict decoding error: {}",
            strict.join(", ")
        ))),
        validation => {
            if validation == FieldValidation::Warn {
                strict.iter().for_each(|w| ctx.recorder.warn(w));
            }
            if let Some(map) = patched.as_object_mut() {
                Walk::check(s, map, true);
            }
            Ok(patched)
        }
    }
}

/// `errors.NewInvalid(schema.GroupKind{}, "", field.Invalid(field.NewPath("patch"),
/// patchedJS, err))`: no kind, no name. kube-apiserver shows the whole patched object as the
/// value; it is left out, as `undecodable` in `store/patching.rs` leaves it out (it holds the
/// object's data).
fn invalid_patch(detail: &str) -> ApiError {
    let body = format!("Invalid value: {detail}");
    ApiError {
        code: 422,
        reason: "Invalid",
        message: format!(" \"\" is invalid: patch: {body}"),
        details: Some(json!({
            "causes": [{"reason": "FieldValueInvalid", "message": body, "field": "patch"}],
        })),
    }
}

/// Server-side apply converts the applied configuration to its typed form before anything
/// else (`ObjectToTyped` in `structuredMergeManager.Apply`, apimachinery
/// `pkg/util/managedfields/internal/structuredmerge.go`): a field the schema does not declare
/// (`field not declared in schema`, structured-merge-diff `typed/validate.go`) or a value of
/// the wrong type fails it whatever `fieldValidation` says, as a plain error that
/// kube-apiserver answers with 500 and no reason (kubernetes/kubernetes#122480, still open).
/// The wrong value itself is not shown (structured-merge-diff prints it).
fn check_apply(s: &'static GoStruct, config: &Value) -> Result<(), ApiError> {
    let mut copy = config.clone();
    let Some(map) = copy.as_object_mut() else {
        return Ok(());
    };
    let errors: Vec<String> = Walk::check(s, map, false)
        .iter()
        .filter_map(Problem::smd_error)
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let listed = match errors.as_slice() {
        [one] => one.clone(),
        _ => format!("errors:\n  {}", errors.join("\n  ")),
    };
    let text = |at: &str| config.pointer(at).and_then(Value::as_str).unwrap_or("");
    let api_version = text("/apiVersion");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    Err(ApiError {
        code: 500,
        reason: "",
        message: format!(
            "failed to create typed patch object ({}/{}; {group}/{version}, Kind={}): {listed}",
            text("/metadata/namespace"),
            text("/metadata/name"),
            text("/kind"),
        ),
        details: None,
    })
}

/// A step of the path to a field.
#[derive(Debug, Clone)]
enum Seg {
    /// A struct field.
    Field(String),
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// What is wrong with a value.
#[derive(Debug)]
enum What {
    /// A field the struct does not have.
    Unknown,
    /// A JSON value the Go type cannot hold: what was found (`number`, or `number 1.5` for an
    /// integer that is not one), and the type.
    Mismatch { found: String, want: &'static Ty },
    /// An error of the type's own decoding (base64, time), worded in full.
    Go(String),
}

#[derive(Debug)]
struct Problem {
    path: Vec<Seg>,
    /// The struct whose field holds the value (the error's `Struct`).
    within: &'static str,
    what: What,
}

impl Problem {
    /// The decoding error as sigs.k8s.io/json words it (`UnmarshalTypeError.Error`, with the
    /// struct and the path of struct fields, no map keys or indices, `addErrorContext`), or
    /// `None` for an unknown field. Time types decode through their own `UnmarshalJSON`,
    /// with the standard library's `encoding/json`, whose errors get no context.
    fn go_error(&self) -> Option<String> {
        match &self.what {
            What::Unknown => None,
            What::Go(message) => Some(message.clone()),
            What::Mismatch {
                found,
                want: Ty::Time(_),
            } => Some(format!(
                "json: cannot unmarshal {found} into Go value of type string"
            )),
            // `IntOrString.UnmarshalJSON` reads what is not a string into its `int32`, with the
            // standard library and no context (apimachinery `pkg/util/intstr/intstr.go`).
            What::Mismatch {
                found,
                want: Ty::IntOrString,
            } => Some(format!(
                "json: cannot unmarshal {found} into Go value of type int32"
            )),
            // `Quantity.UnmarshalJSON` parses the bytes whatever they are (`ParseQuantity`,
            // apimachinery `pkg/api/resource/quantity.go`).
            What::Mismatch {
                want: Ty::Quantity, ..
            } => Some(
                "quantities must match the regular expression \
                 '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                    .to_owned(),
            ),
            What::Mismatch { found, want } => {
                let fields: Vec<&str> = (self.path.iter())
                    .filter_map(|s| match s {
                        Seg::Field(name) => Some(name.as_str()),
                        _ => None,
                    })
                    .collect();
                Some(format!(
                    "json: cannot unmarshal {found} into Go struct field {}.{} of type {}",
                    self.within,
                    fields.join("."),
                    want.go_name()
                ))
            }
        }
    }

    /// The path of an unknown field as the strict decoder writes it (`metadata.bogus`,
    /// `metadata.ownerReferences[0].bogus`, `newFieldError`).
    fn unknown(&self) -> Option<String> {
        matches!(self.what, What::Unknown).then(|| strict_path(&self.path))
    }

    /// The error as structured-merge-diff words it for server-side apply (`typed/validate.go`,
    /// `typed/helpers.go`), or `None` for what it does not check (base64, times, integers
    /// that are not whole).
    fn smd_error(&self) -> Option<String> {
        let message = match &self.what {
            What::Unknown => "field not declared in schema".to_owned(),
            What::Go(_) => return None,
            What::Mismatch { found, want } => match want {
                Ty::Int(_) if found.starts_with("number") => return None,
                Ty::Int(_) => format!(
                    "expected numeric (int or float), got {}",
                    match found.as_str() {
                        "object" => "map[string]interface {}",
                        "array" => "[]interface {}",
                        other => other,
                    }
                ),
                Ty::Bool => format!("expected boolean, got {found}"),
                Ty::Map(_) | Ty::Struct(_) => format!("expected map, got {found}"),
                Ty::List(_) => format!("expected list, got {found}"),
                _ => format!("expected string, got {found}"),
            },
        };
        let path: String = (self.path.iter())
            .map(|s| match s {
                Seg::Field(name) | Seg::Key(name) => format!(".{name}"),
                Seg::Index(i) => format!("[{i}]"),
            })
            .collect();
        Some(format!("{path}: {message}"))
    }
}

/// Keys joined by `.`, indices as `[i]`.
fn strict_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(name) | Seg::Key(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// `strconv.Quote`, near enough (JSON escapes the same characters a field name could hold).
fn go_quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// A walk of an object against its Go struct, as the decoder walks it. Null is accepted for
/// every type (`encoding/json` leaves the zero value) and left as it is.
struct Walk {
    path: Vec<Seg>,
    problems: Vec<Problem>,
    /// Remove unknown fields (the typed struct has nowhere to keep them).
    prune: bool,
}

impl Walk {
    /// Every problem of `object` as a `s`, in the walk's order (keys sorted).
    fn check(s: &'static GoStruct, object: &mut Map<String, Value>, prune: bool) -> Vec<Problem> {
        let mut walk = Self {
            path: Vec::new(),
            problems: Vec::new(),
            prune,
        };
        walk.fields(object, s);
        walk.problems
    }

    fn record(&mut self, within: &'static str, what: What) {
        self.problems.push(Problem {
            path: self.path.clone(),
            within,
            what,
        });
    }

    fn fields(&mut self, map: &mut Map<String, Value>, s: &'static GoStruct) {
        let mut unknown = Vec::new();
        for (key, value) in map.iter_mut() {
            self.path.push(Seg::Field(key.clone()));
            match s.field(key) {
                Some(ty) => self.value(value, ty, s.name),
                None => {
                    self.record(s.name, What::Unknown);
                    unknown.push(key.clone());
                }
            }
            self.path.pop();
        }
        if self.prune {
            for key in unknown {
                map.remove(&key);
            }
        }
    }

    fn value(&mut self, value: &mut Value, ty: &'static Ty, within: &'static str) {
        let found = json_kind(value);
        match (ty, value) {
            (_, Value::Null) | (Ty::Raw, _) | (Ty::Str(_), Value::String(_)) => {}
            (Ty::IntOrString | Ty::Quantity, Value::String(_) | Value::Number(_)) => {}
            (Ty::Bool, Value::Bool(_)) => {}
            (Ty::Int(name), Value::Number(n)) => {
                let fits = n
                    .as_i64()
                    .is_some_and(|i| *name == "int64" || i32::try_from(i).is_ok());
                if !fits {
                    let found = format!("number {n}");
                    self.record(within, What::Mismatch { found, want: ty });
                }
            }
            (Ty::Bytes, Value::String(text)) => match go_base64(text) {
                Ok(canonical) => *text = canonical,
                Err(at) => self.record(
                    within,
                    What::Go(format!("illegal base64 data at input byte {at}")),
                ),
            },
            (Ty::Time(layout), Value::String(text)) => {
                if super::time::parse_rfc3339(text).is_none() {
                    // `time.Parse`'s error names the element it stopped at; the year here.
                    let quoted = go_quote(text);
                    let message = format!(
                        "parsing time {quoted} as \"{layout}\": cannot parse {quoted} as \"2006\""
                    );
                    self.record(within, What::Go(message));
                }
            }
            (Ty::Map(item), Value::Object(map)) => {
                for (key, v) in map.iter_mut() {
                    self.path.push(Seg::Key(key.clone()));
                    self.value(v, item, within);
                    self.path.pop();
                }
            }
            (Ty::List(item), Value::Array(items)) => {
                for (i, v) in items.iter_mut().enumerate() {
                    self.path.push(Seg::Index(i));
                    self.value(v, item, within);
                    self.path.pop();
                }
            }
            (Ty::Struct(s), Value::Object(map)) => self.fields(map, s),
            _ => self.record(
                within,
                What::Mismatch {
                    found: found.to_owned(),
                    want: ty,
                },
            ),
        }
    }
}

/// A `[]byte` value as `encoding/json` reads it (`base64.StdEncoding`: padding required, `\r`
/// and `\n` skipped, trailing bits not checked) and writes it back; or the offset of the error.
fn go_base64(text: &str) -> Result<String, usize> {
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig, general_purpose::STANDARD};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    match GO_STD.decode(&cleaned) {
        Ok(bytes) => Ok(STANDARD.encode(bytes)),
        Err(base64::DecodeError::InvalidByte(at, _)) => Err(at),
        Err(_) => Err(cleaned.len() / 4 * 4),
    }
}

#[cfg(test)]
mod tests;
