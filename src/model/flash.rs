//! What a page shows once, after a form post sent the browser to it: a success ("Secret
//! db-password created.") or, after a plain HTML form post that failed, the person's input and
//! every problem, so the form is shown again as it was sent, each error beside its field.
//!
//! The server keeps it in the session (never in the URL) until the page it is for loads it.
//! Nothing secret is in it: fields that carry a value, a password or the CSRF token are never
//! kept ([`is_secret_field`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One page load's message (see the module's documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// What succeeded, in words ("Secret db-password created.").
    pub notice: Option<String>,
    /// A form post that failed, to be shown again.
    pub failed: Option<FailedPost>,
}

/// A plain HTML form post that failed: what was sent (less its secrets) and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedPost {
    /// The server function it was posted to, e.g. `create_secret_form`.
    pub endpoint: String,
    /// The posted fields by name, in order, less every secret one ([`is_secret_field`]).
    pub input: Vec<(String, String)>,
    /// Why it was refused.
    pub error: AppError,
}

impl FailedPost {
    /// The first posted value of `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.input
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every posted value of the repeated field `name` (a multi-select, or checkboxes named
    /// `name`, `name[]` or `name[3]`, as the forms number theirs for the server's decoder), in
    /// the order they were sent.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.input
            .iter()
            .filter(|(n, _)| is_one_of(n, name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The ids a checkbox list `name` was sent with: the boxes the person had ticked (a value
    /// that is not a number was not one of the form's, and is left out).
    pub fn ids(&self, name: &str) -> BTreeSet<i64> {
        self.all(name)
            .into_iter()
            .filter_map(|v| v.parse().ok())
            .collect()
    }

    /// Whether it was posted to `endpoint` (the server function's name).
    pub fn is_for(&self, endpoint: &str) -> bool {
        self.endpoint == endpoint
    }
}

/// Whether the posted field `posted` is one of the repeated field `name`: `name` itself,
/// `name[]`, or `name[i]` with a number `i`.
fn is_one_of(posted: &str, name: &str) -> bool {
    match posted.strip_prefix(name) {
        Some("") | Some("[]") => true,
        Some(rest) => rest
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

/// Whether a posted field carries something that must never be sent back to a browser: a
/// secret's value, a password, a token. Decided by the field's own name or the last bracketed
/// part of it (`form[value][2]`: `value`).
pub fn is_secret_field(name: &str) -> bool {
    let parts: Vec<&str> = name
        .split(['[', ']'])
        .filter(|part| !part.is_empty() && !part.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    parts.iter().any(|part| {
        let part = part.to_ascii_lowercase();
        matches!(part.as_str(), "csrf" | "value" | "values" | "token")
            || part.contains("password")
            || part.contains("secret_value")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_passwords_and_tokens_are_never_kept() {
        for name in [
            "csrf",
            "form[value][0]",
            "password",
            "form[registry_password]",
            "new_password",
        ] {
            assert!(is_secret_field(name), "{name}");
        }
        for name in [
            "form[name]",
            "form[secret_type]",
            "form[secret_key][1]",
            "form[remote_key][0]",
            "email",
            "project_ids",
        ] {
            assert!(!is_secret_field(name), "{name}");
        }
    }

    #[test]
    fn a_failed_post_gives_back_its_fields_by_name() {
        let failed = FailedPost {
            endpoint: "bulk_secrets".into(),
            input: vec![
                ("action".into(), "assign".into()),
                ("project_ids".into(), "1".into()),
                ("project_ids".into(), "3".into()),
            ],
            error: AppError::validation("ids", "select at least one secret"),
        };
        assert_eq!(failed.field("action"), Some("assign"));
        assert_eq!(failed.all("project_ids"), ["1", "3"]);
        assert!(failed.is_for("bulk_secrets"));
        assert_eq!(failed.error.field_errors().len(), 1);
    }

    #[test]
    fn numbered_checkboxes_give_back_the_ticked_ids_and_nothing_else() {
        // As the forms number their checkboxes (`ids[0]`, `project_ids[2]`): unticked ones
        // are not sent at all, so the numbers have gaps.
        let failed = FailedPost {
            endpoint: "bulk_secrets".into(),
            input: vec![
                ("ids[0]".into(), "7".into()),
                ("ids[3]".into(), "12".into()),
                ("ids_extra".into(), "99".into()),
                ("ids[x]".into(), "98".into()),
                ("project_ids[2]".into(), "4".into()),
                ("project_ids[]".into(), "5".into()),
                ("project_ids[5]".into(), "not-a-number".into()),
                ("action".into(), "delete".into()),
            ],
            error: AppError::validation("confirm", "type delete to confirm"),
        };
        assert_eq!(failed.ids("ids"), BTreeSet::from([7, 12]));
        assert_eq!(failed.ids("project_ids"), BTreeSet::from([4, 5]));
        assert_eq!(failed.all("project_ids"), ["4", "5", "not-a-number"]);
        assert!(failed.ids("user_ids").is_empty());
        assert_eq!(failed.field("action"), Some("delete"));
    }
}
