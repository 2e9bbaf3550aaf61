//! Label and field selectors, parsed and matched as the API server does.

use serde_json::Value;

use super::status::ApiError;

#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    /// `key>n` / `key<n`: the label is an integer above / below `n` (apimachinery
    /// `pkg/labels/selector.go`, `selection.GreaterThan` / `LessThan`).
    GreaterThan(String, i64),
    LessThan(String, i64),
}

/// The value of a `>` / `<` requirement, which `NewRequirement` demands be an integer
/// (`strconv.ParseInt(v, 10, 64)`).
fn integer(raw: &str) -> Result<i64, ApiError> {
    let value = raw.trim();
    value.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "unable to parse requirement: values[0]: Invalid value: \"{value}\": for 'Gt', 'Lt' \
             operators, the value must be an integer"
        ))
    })
}

/// A parsed `labelSelector`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Vec<Requirement>);

/// Splits on commas that are not inside parentheses.
fn split_top_level(input: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0_i32, 0);
    for (i, c) in input.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&input[start..]);
    parts
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 316
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

fn value_set(raw: &str, selector: &str) -> Result<Vec<String>, ApiError> {
    let inner = raw
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unable to parse requirement: found '{raw}', expected: '('"
            ))
        })?;
    let values: Vec<String> = inner
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Err(ApiError::bad_request(format!(
            "unable to parse requirement: {selector}: for 'in', 'notin' operators, values set can't be empty"
        )));
    }
    Ok(values)
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub fn parse(input: &str) -> Result<Self, ApiError> {
        let mut requirements = Vec::new();
        for part in split_top_level(input) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let requirement = if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key.trim().to_owned())
            } else if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotEquals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once("==") {
                Requirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once('=') {
                Requirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) = part.split_once('>') {
                Requirement::GreaterThan(key.trim().to_owned(), integer(value)?)
            } else if let Some((key, value)) = part.split_once('<') {
                Requirement::LessThan(key.trim().to_owned(), integer(value)?)
            } else if let Some((key, rest)) = part.split_once(" notin ") {
                Requirement::NotIn(key.trim().to_owned(), value_set(rest, part)?)
            } else if let Some((key, rest)) = part.split_once(" in ") {
                Requirement::In(key.trim().to_owned(), value_set(rest, part)?)
            } else {
                Requirement::Exists(part.to_owned())
            };
            let key = match &requirement {
                Requirement::Equals(k, _)
                | Requirement::NotEquals(k, _)
                | Requirement::In(k, _)
                | Requirement::NotIn(k, _)
                | Requirement::Exists(k)
                | Requirement::NotExists(k)
                | Requirement::GreaterThan(k, _)
                | Requirement::LessThan(k, _) => k,
            };
            if !valid_key(key) {
                return Err(ApiError::bad_request(format!(
                    "unable to parse requirement: invalid label key \"{key}\""
                )));
            }
            requirements.push(requirement);
        }
        Ok(Self(requirements))
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object.pointer("/metadata/labels");
        let get = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
        let number = |key: &str| get(key).and_then(|v| v.parse::<i64>().ok());
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
            // A label that is absent or not an integer matches neither (`Requirement.Matches`).
            Requirement::GreaterThan(k, n) => number(k).is_some_and(|x| x > *n),
            Requirement::LessThan(k, n) => number(k).is_some_and(|x| x < *n),
        })
    }
}

/// A parsed `fieldSelector`: only `=`, `==` and `!=` on the fields a kind supports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

/// The fields a kind may be selected on, besides `metadata.name` and `metadata.namespace`.
fn extra_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "Secret" => &["type"],
        "Namespace" => &["status.phase"],
        "Event" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        _ => &[],
    }
}

impl FieldSelector {
    /// Parses `metadata.name=x,type!=y`, refusing fields the kind does not index.
    pub fn parse(input: &str, kind: &str) -> Result<Self, ApiError> {
        let mut terms = Vec::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, equal, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{input}'; can't understand '{part}'"
                )));
            };
            let field = field.trim();
            if field != "metadata.name"
                && field != "metadata.namespace"
                && !extra_fields(kind).contains(&field)
            {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            terms.push((field.to_owned(), equal, value.trim().to_owned()));
        }
        Ok(Self(terms))
    }

    /// Whether the object satisfies every term.
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let actual = if field == "source" {
                object.pointer("/source/component")
            } else {
                let pointer = format!("/{}", field.replace('.', "/"));
                object.pointer(&pointer)
            };
            let actual = actual.and_then(Value::as_str).unwrap_or("");
            (actual == value) == *equal
        })
    }

    /// The name this selector pins, if it has `metadata.name=<name>` (kubectl `get -w NAME`).
    pub fn pinned_name(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, equal, _)| f == "metadata.name" && *equal)
            .map(|(_, _, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labelled(labels: Value) -> Value {
        json!({"metadata": {"labels": labels}})
    }

    #[test]
    fn set_based_label_selectors_match_as_kubernetes_does() {
        let object = labelled(json!({"app": "web", "tier": "front"}));
        let cases = [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app in (web, api)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("missing notin (x)", true),
            ("app in (api),tier", false),
        ];
        for (selector, expected) in cases {
            let parsed = LabelSelector::parse(selector).expect(selector);
            assert_eq!(parsed.matches(&object), expected, "{selector}");
        }
        let object = labelled(json!({"n": "5", "word": "five"}));
        let cases = [
            ("n>3", true),
            ("n > 5", false),
            ("n<6", true),
            ("n<5", false),
            ("n>4,n<06", true),
            ("missing>0", false),
            ("word>0", false),
            ("word<0", false),
        ];
        for (selector, expected) in cases {
            let parsed = LabelSelector::parse(selector).expect(selector);
            assert_eq!(parsed.matches(&object), expected, "{selector}");
        }
    }

    #[test]
    fn malformed_label_selector_is_a_bad_request() {
        let error = LabelSelector::parse("app in ()").unwrap_err();
        assert_eq!(error.code, 400);
        let error = LabelSelector::parse("n>x").unwrap_err();
        assert_eq!(
            error.message,
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' \
             operators, the value must be an integer"
        );
        assert!(LabelSelector::parse("bad key=x").is_err());
    }

    #[test]
    fn unsupported_field_label_is_refused_with_its_name() {
        let error = FieldSelector::parse("spec.foo=bar", "Secret").unwrap_err();
        assert_eq!(error.message, "field label not supported: spec.foo");
        let ok = FieldSelector::parse("type=Opaque,metadata.name!=x", "Secret").unwrap();
        assert!(ok.matches(&json!({"type": "Opaque", "metadata": {"name": "y"}})));
        assert!(!ok.matches(&json!({"type": "Opaque", "metadata": {"name": "x"}})));
    }
}
