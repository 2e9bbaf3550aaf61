//! Project labels and the selectors that match them: the rules of Kubernetes labels
//! (`env=prod`, `example.com/team=payments`) and of its label selectors (`env=prod,team!=ops`,
//! `tier in (web,api)`, `tier notin (batch)`, `gpu`, `!legacy`), shared by the browser (the
//! forms) and the server (assigning a secret to every project a selector matches).

use std::collections::BTreeMap;
use std::fmt;

use crate::error::FieldError;

/// A project's labels: key → value, sorted by key.
pub type Labels = BTreeMap<String, String>;

/// Most labels a project may carry (a bound on what one form post stores).
pub const MAX_LABELS: usize = 32;

/// Most selectors one secret may name.
pub const MAX_SELECTORS: usize = 16;

/// Whether `s` is a label name or value's body: at most 63 characters, alphanumerics at both
/// ends, `-`, `_` and `.` between.
fn is_name_part(s: &str) -> bool {
    let bytes = s.as_bytes();
    !s.is_empty()
        && s.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether `s` is a DNS subdomain (a key's prefix): at most 253 characters, lower-case
/// RFC 1123 labels joined by dots.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let bytes = label.as_bytes();
            !label.is_empty()
                && label.len() <= 63
                && bytes[0].is_ascii_alphanumeric()
                && bytes[bytes.len() - 1].is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        })
}

/// Checks a label key as Kubernetes does: an optional DNS-subdomain prefix and `/`, then a
/// name of at most 63 characters.
pub fn validate_label_key(field: &str, key: &str) -> Result<(), FieldError> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && !is_dns_subdomain(prefix)
    {
        return Err(FieldError::new(
            field,
            format!(
                "label key `{key}` has an invalid prefix: before the `/` goes a lower-case DNS name such as example.com"
            ),
        ));
    }
    if !is_name_part(name) {
        return Err(FieldError::new(
            field,
            format!(
                "label key `{key}` is not valid: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (e.g. env, team)"
            ),
        ));
    }
    Ok(())
}

/// Checks a label value as Kubernetes does: empty, or at most 63 characters of the key-name set.
pub fn validate_label_value(field: &str, key: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() || is_name_part(value) {
        return Ok(());
    }
    Err(FieldError::new(
        field,
        format!(
            "the value of label `{key}`, `{value}`, is not valid: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit (e.g. prod)"
        ),
    ))
}

/// Splits a form's text into items: one per line or comma-separated, blanks dropped.
fn items(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parses `env=prod, team=payments` (or one `key=value` a line) into labels, refusing invalid
/// keys or values, a key given twice, and more than [`MAX_LABELS`].
pub fn parse_labels(field: &str, text: &str) -> Result<Labels, FieldError> {
    let mut labels = Labels::new();
    for item in items(text) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(FieldError::new(
                field,
                format!("`{item}` is not a label: write key=value, e.g. env=prod"),
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        validate_label_key(field, key)?;
        validate_label_value(field, key, value)?;
        if labels.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(FieldError::new(
                field,
                format!("label `{key}` is given twice; a project has one value per key"),
            ));
        }
    }
    if labels.len() > MAX_LABELS {
        return Err(FieldError::new(
            field,
            format!("a project carries at most {MAX_LABELS} labels"),
        ));
    }
    Ok(labels)
}

/// Labels as the forms show them: `env=prod, team=payments`.
pub fn format_labels(labels: &Labels) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What one requirement of a selector asks of a label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operator {
    /// `key=value` (or `key==value`).
    Equals(String),
    /// `key!=value`: the label is absent or has another value.
    NotEquals(String),
    /// `key in (a,b)`.
    In(Vec<String>),
    /// `key notin (a,b)`: absent, or none of those.
    NotIn(Vec<String>),
    /// `key`: the label is present.
    Exists,
    /// `!key`: the label is absent.
    NotExists,
}

/// One requirement: a key and what its label must be.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// What the label must be.
    pub operator: Operator,
}

impl Requirement {
    fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match &self.operator {
            Operator::Equals(v) => value == Some(v),
            Operator::NotEquals(v) => value != Some(v),
            Operator::In(vs) => value.is_some_and(|x| vs.contains(x)),
            Operator::NotIn(vs) => value.is_none_or(|x| !vs.contains(x)),
            Operator::Exists => value.is_some(),
            Operator::NotExists => value.is_none(),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        match &self.operator {
            Operator::Equals(v) => write!(f, "{key}={v}"),
            Operator::NotEquals(v) => write!(f, "{key}!={v}"),
            Operator::In(vs) => write!(f, "{key} in ({})", vs.join(",")),
            Operator::NotIn(vs) => write!(f, "{key} notin ({})", vs.join(",")),
            Operator::Exists => write!(f, "{key}"),
            Operator::NotExists => write!(f, "!{key}"),
        }
    }
}

/// A label selector: every requirement must hold (they are ANDed), as in Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Selector {
    /// The requirements, sorted, so one selector has one text.
    pub requirements: Vec<Requirement>,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.requirements.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// Splits a selector at the commas outside parentheses.
fn terms(text: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(text[start..].trim());
    out
}

/// Parses a set-based operator's `(a, b)` list.
fn value_list(field: &str, key: &str, rest: &str) -> Result<Vec<String>, FieldError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            FieldError::new(
                field,
                format!("after `{key} in` or `{key} notin` goes a list in parentheses, e.g. (prod,staging)"),
            )
        })?;
    let mut values: Vec<String> = inner.split(',').map(|v| v.trim().to_owned()).collect();
    for value in &values {
        validate_label_value(field, key, value)?;
    }
    values.sort();
    values.dedup();
    Ok(values)
}

impl Selector {
    /// Parses one selector: requirements separated by commas. An empty selector is refused
    /// (it would match every project).
    pub fn parse(field: &str, text: &str) -> Result<Selector, FieldError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(FieldError::new(
                field,
                "a selector needs at least one requirement, e.g. env=prod",
            ));
        }
        let mut requirements = Vec::new();
        for term in terms(text) {
            let requirement = if term.is_empty() {
                return Err(FieldError::new(
                    field,
                    format!("`{text}` has an empty requirement between commas"),
                ));
            } else if let Some(key) = term.strip_prefix('!') {
                Requirement {
                    key: key.trim().to_owned(),
                    operator: Operator::NotExists,
                }
            } else if let Some((key, value)) = term.split_once("!=") {
                Requirement {
                    key: key.trim().to_owned(),
                    operator: Operator::NotEquals(value.trim().to_owned()),
                }
            } else if let Some((key, value)) =
                term.split_once("==").or_else(|| term.split_once('='))
            {
                Requirement {
                    key: key.trim().to_owned(),
                    operator: Operator::Equals(value.trim().to_owned()),
                }
            } else if let Some((key, rest)) = term.split_once(" notin ") {
                let key = key.trim();
                Requirement {
                    key: key.to_owned(),
                    operator: Operator::NotIn(value_list(field, key, rest)?),
                }
            } else if let Some((key, rest)) = term.split_once(" in ") {
                let key = key.trim();
                Requirement {
                    key: key.to_owned(),
                    operator: Operator::In(value_list(field, key, rest)?),
                }
            } else {
                Requirement {
                    key: term.to_owned(),
                    operator: Operator::Exists,
                }
            };
            validate_label_key(field, &requirement.key)?;
            if let Operator::Equals(v) | Operator::NotEquals(v) = &requirement.operator {
                validate_label_value(field, &requirement.key, v)?;
            }
            requirements.push(requirement);
        }
        requirements.sort();
        requirements.dedup();
        Ok(Selector { requirements })
    }

    /// Whether a project with `labels` matches: every requirement holds.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

/// Parses a form's selectors, one a line (commas inside a line AND its requirements);
/// duplicates are dropped, more than [`MAX_SELECTORS`] refused.
pub fn parse_selectors(field: &str, text: &str) -> Result<Vec<Selector>, FieldError> {
    let mut selectors = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let selector = Selector::parse(field, line)?;
        if !selectors.contains(&selector) {
            selectors.push(selector);
        }
    }
    if selectors.len() > MAX_SELECTORS {
        return Err(FieldError::new(
            field,
            format!("a secret takes at most {MAX_SELECTORS} selectors"),
        ));
    }
    Ok(selectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Labels {
        parse_labels("labels", text).expect("valid labels")
    }

    #[test]
    fn labels_parse_from_commas_or_lines_and_print_sorted() {
        let parsed = labels("team=payments\n env = prod ");
        assert_eq!(format_labels(&parsed), "env=prod, team=payments");
        assert_eq!(labels("example.com/tier=web, empty=").len(), 2);
    }

    #[test]
    fn invalid_labels_are_refused_naming_the_field() {
        for bad in [
            "env",
            "-env=prod",
            "env=prod!",
            "Example.com/x=y",
            "a=b,a=c",
        ] {
            let error = parse_labels("labels", bad).expect_err(bad);
            assert_eq!(error.field, "labels", "{bad}");
        }
        let long = format!("env={}", "x".repeat(64));
        assert!(parse_labels("labels", &long).is_err());
    }

    #[test]
    fn equality_requirements_are_anded() {
        let selector = Selector::parse("selectors", "env=prod, team==payments").expect("valid");
        assert_eq!(selector.to_string(), "env=prod,team=payments");
        assert!(selector.matches(&labels("env=prod,team=payments,x=y")));
        assert!(!selector.matches(&labels("env=prod")));
        assert!(!selector.matches(&labels("env=dev,team=payments")));
    }

    #[test]
    fn set_and_existence_requirements_match_as_kubernetes_does() {
        let selector = Selector::parse("s", "tier in (web, api),!legacy").expect("valid");
        assert!(selector.matches(&labels("tier=web")));
        assert!(!selector.matches(&labels("tier=batch")));
        assert!(!selector.matches(&labels("tier=api,legacy=")));
        let not_in = Selector::parse("s", "tier notin (batch),gpu,env!=dev").expect("valid");
        assert!(not_in.matches(&labels("gpu=yes")));
        assert!(!not_in.matches(&labels("gpu=yes,tier=batch")));
        assert!(!not_in.matches(&labels("gpu=yes,env=dev")));
        assert!(!not_in.matches(&labels("env=prod")));
    }

    #[test]
    fn empty_or_malformed_selectors_are_refused() {
        for bad in ["", " , ", "env=prod,,x=y", "tier in web", "env=pr od", "-x"] {
            assert!(Selector::parse("selectors", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn selectors_come_one_a_line_without_duplicates() {
        let parsed = parse_selectors("selectors", "env=prod\n\nteam=payments,env=prod\nenv==prod")
            .expect("valid");
        let texts: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["env=prod", "env=prod,team=payments"]);
    }
}
