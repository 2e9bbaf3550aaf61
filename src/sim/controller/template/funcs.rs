//! The template functions the simulated controller renders, as ESO's v2 engine defines them
//! (its copy of sprig, `runtime/template/v2/sprig/functions.go`, and Go's text/template
//! builtins), and how Go prints and quotes values.
//!
//! Only the functions users reach for most are simulated; every other name ESO knows is told
//! apart from a name it does not know, so a template is never refused as ESO would not refuse
//! it (see `is_known_to_eso`).

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The functions rendered here.
pub(super) const SIMULATED: &[&str] = &[
    "and",
    "b64dec",
    "b64enc",
    "contains",
    "default",
    "eq",
    "fromJson",
    "hasPrefix",
    "hasSuffix",
    "indent",
    "index",
    "join",
    "len",
    "lower",
    "ne",
    "nindent",
    "not",
    "or",
    "print",
    "printf",
    "quote",
    "replace",
    "sha256sum",
    "squote",
    "toJson",
    "toString",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "upper",
];

/// Every function name ESO v2.9.0's template engine defines: Go's builtins, its sprig copy
/// (`genericMap`) and its own (`tplFuncs`, `runtime/template/v2/template.go`).
const KNOWN_TO_ESO: &str = "and call html index slice js len not or print printf println urlquery \
    eq ge gt le lt ne \
    abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc \
    b64dec b64enc base bcrypt biggest buildCustomCert camelcase cat ceil chunk clean coalesce \
    compact concat contains date dateInZone dateModify date_in_zone date_modify decryptAES \
    deepCopy deepEqual default derivePassword dict dig dir div divf duration durationRound empty \
    encryptAES ext fail first float64 floor fromJson genCA genCAWithKey genPrivateKey \
    genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey get has hasKey \
    hasPrefix hasSuffix hello hexdec htmlDate htmlDateInZone htpasswd indent initial initials int \
    int64 isAbs join kebabcase keys kindIs kindOf last list lower max maxf merge mergeOverwrite \
    min minf mod mul mulf mustAppend mustChunk mustCompact mustDateModify mustDeepCopy mustFirst \
    mustFromJson mustHas mustInitial mustLast mustMerge mustMergeOverwrite mustPrepend mustPush \
    mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll \
    mustRegexReplaceAllLiteral mustRegexSplit mustRest mustReverse mustSlice mustToDate \
    mustToJson mustToPrettyJson mustToRawJson mustUniq mustWithout must_date_modify nindent \
    nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend push quote \
    randAlpha randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll \
    regexMatch regexQuoteMeta regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace \
    rest reverse round semver semverCompare seq set sha1sum sha256sum sha512sum shuffle slice \
    snakecase sortAlpha split splitList splitn squote sub subf substr swapcase ternary title \
    toDate toDecimal toJson toPrettyJson toRawJson toString toStrings trim trimAll trimPrefix \
    trimSuffix trimall trunc tuple typeIs typeIsLike typeOf uniq unixEpoch unset until untilStep \
    untitle upper urlJoin urlParse uuidv4 values without wrap wrapWith \
    pkcs12key pkcs12keyPass pkcs12cert pkcs12certPass pemToPkcs12 pemToPkcs12Pass \
    fullPemToPkcs12 fullPemToPkcs12Pass pemTruststoreToPKCS12 pemTruststoreToPKCS12Pass \
    filterPEM filterCertChain certSANs jwkPublicKeyPem jwkPrivateKeyPem toYaml fromYaml rsaDecrypt";

/// Whether ESO's engine defines `name` (so a template using it would render on a real cluster).
pub(super) fn is_known_to_eso(name: &str) -> bool {
    KNOWN_TO_ESO.split_whitespace().any(|known| known == name)
}

/// Why a call failed, worded as text/template words it.
pub(super) enum CallError {
    /// An argument of the wrong type: "wrong type for value; expected string; got bool".
    Type(String),
    /// The wrong number of arguments.
    Arity(String),
    /// The function returned an error: text/template prefixes "error calling <name>: ".
    Call(String),
}

/// Calls a simulated function.
pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, CallError> {
    let engine = base64::engine::general_purpose::STANDARD;
    let arity = |want: usize| {
        if args.len() == want {
            Ok(())
        } else {
            Err(CallError::Arity(format!(
                "wrong number of args for {name}: want {want} got {}",
                args.len()
            )))
        }
    };
    let text = |i: usize| -> Result<String, CallError> {
        match &args[i] {
            Value::String(s) => Ok(s.clone()),
            other => Err(CallError::Type(format!(
                "wrong type for value; expected string; got {}",
                go_type(other)
            ))),
        }
    };
    let int = |i: usize| -> Result<usize, CallError> {
        args[i]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| {
                CallError::Type(format!(
                    "wrong type for value; expected int; got {}",
                    go_type(&args[i])
                ))
            })
    };
    let value = match name {
        "b64enc" => {
            arity(1)?;
            json!(engine.encode(text(0)?))
        }
        // sprig's base64decode returns the decoding error's text as its result.
        "b64dec" => {
            arity(1)?;
            let input = text(0)?;
            match engine.decode(&input) {
                Ok(bytes) => json!(String::from_utf8_lossy(&bytes)),
                Err(error) => json!(go_base64_error(&error)),
            }
        }
        "toJson" => {
            arity(1)?;
            json!(go_json(&args[0]))
        }
        // sprig's fromJson: nil when the text is not JSON.
        "fromJson" => {
            arity(1)?;
            serde_json::from_str(&text(0)?).unwrap_or(Value::Null)
        }
        "upper" => {
            arity(1)?;
            json!(text(0)?.to_uppercase())
        }
        "lower" => {
            arity(1)?;
            json!(text(0)?.to_lowercase())
        }
        "trim" => {
            arity(1)?;
            json!(text(0)?.trim())
        }
        "trimAll" => {
            arity(2)?;
            let cutset = text(0)?;
            json!(text(1)?.trim_matches(|c| cutset.contains(c)))
        }
        "trimPrefix" => {
            arity(2)?;
            let (prefix, s) = (text(0)?, text(1)?);
            json!(s.strip_prefix(prefix.as_str()).unwrap_or(&s))
        }
        "trimSuffix" => {
            arity(2)?;
            let (suffix, s) = (text(0)?, text(1)?);
            json!(s.strip_suffix(suffix.as_str()).unwrap_or(&s))
        }
        "contains" | "hasPrefix" | "hasSuffix" => {
            arity(2)?;
            let (needle, s) = (text(0)?, text(1)?);
            json!(match name {
                "contains" => s.contains(&needle),
                "hasPrefix" => s.starts_with(&needle),
                _ => s.ends_with(&needle),
            })
        }
        "replace" => {
            arity(3)?;
            json!(text(2)?.replace(&text(0)?, &text(1)?))
        }
        "quote" => json!(
            args.iter()
                .filter(|a| !a.is_null())
                .map(|a| go_quote(&strval(a)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "squote" => json!(
            args.iter()
                .filter(|a| !a.is_null())
                .map(|a| format!("'{}'", strval(a)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "toString" => {
            arity(1)?;
            json!(strval(&args[0]))
        }
        // sprig's dfault(d, given...): the default when the given value is empty.
        "default" => match args {
            [fallback] => fallback.clone(),
            [fallback, given, ..] => {
                if truthy(given) {
                    given.clone()
                } else {
                    fallback.clone()
                }
            }
            [] => {
                return Err(CallError::Arity(
                    "wrong number of args for default: want at least 1 got 0".to_owned(),
                ));
            }
        },
        "indent" | "nindent" => {
            arity(2)?;
            let pad = " ".repeat(int(0)?);
            let indented = format!("{pad}{}", text(1)?.replace('\n', &format!("\n{pad}")));
            json!(if name == "nindent" {
                format!("\n{indented}")
            } else {
                indented
            })
        }
        "join" => {
            arity(2)?;
            let separator = text(0)?;
            let items: Vec<String> = match &args[1] {
                Value::Array(items) => items.iter().filter(|v| !v.is_null()).map(strval).collect(),
                Value::Null => Vec::new(),
                other => vec![strval(other)],
            };
            json!(items.join(&separator))
        }
        "sha256sum" => {
            arity(1)?;
            let digest = Sha256::digest(text(0)?.as_bytes());
            json!(
                digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )
        }
        "print" => json!(go_sprint(args)),
        "printf" => {
            let Some(format) = args.first() else {
                return Err(CallError::Arity(
                    "wrong number of args for printf: want at least 1 got 0".to_owned(),
                ));
            };
            let Value::String(format) = format else {
                return Err(CallError::Type(format!(
                    "wrong type for value; expected string; got {}",
                    go_type(format)
                )));
            };
            json!(go_sprintf(format, &args[1..]))
        }
        "index" => {
            let Some((first, keys)) = args.split_first() else {
                return Err(CallError::Arity(
                    "wrong number of args for index: want at least 1 got 0".to_owned(),
                ));
            };
            let mut current = first.clone();
            for key in keys {
                current = match (&current, key) {
                    (Value::Object(map), Value::String(k)) => {
                        map.get(k).cloned().unwrap_or(Value::Null)
                    }
                    (Value::Array(items), Value::Number(n)) => {
                        let i = n.as_u64().and_then(|i| usize::try_from(i).ok());
                        match i.and_then(|i| items.get(i)) {
                            Some(item) => item.clone(),
                            None => {
                                return Err(CallError::Call(format!(
                                    "error calling index: index out of range: {n}"
                                )));
                            }
                        }
                    }
                    (Value::Null, _) => {
                        return Err(CallError::Call(
                            "error calling index: index of untyped nil".to_owned(),
                        ));
                    }
                    (other, _) => {
                        return Err(CallError::Call(format!(
                            "error calling index: can't index item of type {}",
                            go_type(other)
                        )));
                    }
                };
            }
            current
        }
        "len" => {
            arity(1)?;
            match &args[0] {
                Value::String(s) => json!(s.len()),
                Value::Array(items) => json!(items.len()),
                Value::Object(map) => json!(map.len()),
                other => {
                    return Err(CallError::Call(format!(
                        "error calling len: len of type {}",
                        go_type(other)
                    )));
                }
            }
        }
        "not" => {
            arity(1)?;
            json!(!truthy(&args[0]))
        }
        "and" => args
            .iter()
            .find(|a| !truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        "or" => args
            .iter()
            .find(|a| truthy(a))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        "eq" | "ne" => {
            let Some((first, rest)) = args.split_first() else {
                return Err(CallError::Arity(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                )));
            };
            let equal = rest.iter().any(|other| other == first);
            json!(if name == "eq" { equal } else { !equal })
        }
        _ => {
            return Err(CallError::Call(format!(
                "function {name:?} is not simulated"
            )));
        }
    };
    Ok(value)
}

/// Go's truth of a value in `if`, `and`, `or`, `not` and sprig's `default`.
pub(super) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// The Go type a value has once decoded (`map[string]interface {}` for a JSON object).
pub(super) fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's `%v` of a value, as text/template prints an action's result.
pub(super) fn go_print(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_float(n.as_f64().unwrap_or_default()),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_print).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_print(&map[*k])))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits, with an
/// exponent below 1e-4 or from 1e+06 up.
fn go_float(f: f64) -> String {
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    format!("{f}")
}

/// sprig's `strval`: a string as it is, anything else as Go's `%v`.
fn strval(value: &Value) -> String {
    go_print(value)
}

/// Go's `strconv.Quote`.
fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `fmt.Sprint`: spaces between operands when neither side is a string.
fn go_sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 && !arg.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        out.push_str(&go_print(arg));
    }
    out
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%s`, `%v`, `%d`, `%q` and `%%`.
fn go_sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = next.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        match (verb, arg) {
            ('s' | 'v', _) => out.push_str(&go_print(arg)),
            ('d', Value::Number(n)) if n.as_i64().is_some() => out.push_str(&go_print(arg)),
            ('q', Value::String(s)) => out.push_str(&go_quote(s)),
            _ => out.push_str(&format!("%!{verb}({}={})", go_type(arg), go_print(arg))),
        }
    }
    let extra: Vec<String> = next
        .map(|a| format!("{}={}", go_type(a), go_print(a)))
        .collect();
    if !extra.is_empty() {
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// Go's `json.Marshal`: object keys sorted, and `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub(crate) fn go_json(value: &Value) -> String {
    let text = match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", go_json(&json!(k)), go_json(&map[*k])))
                .collect();
            return format!("{{{}}}", inner.join(","));
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_json).collect();
            return format!("[{}]", inner.join(","));
        }
        other => other.to_string(),
    };
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The text of Go's `base64.CorruptInputError`.
pub(crate) fn go_base64_error(error: &base64::DecodeError) -> String {
    let at = match error {
        base64::DecodeError::InvalidByte(offset, _)
        | base64::DecodeError::InvalidLastSymbol(offset, _) => *offset,
        base64::DecodeError::InvalidLength(length) => *length,
        base64::DecodeError::InvalidPadding => 0,
    };
    format!("illegal base64 data at input byte {at}")
}
