//! The audit log as the Audit page and its export see it: entries, filters and pages.

use serde::{Deserialize, Serialize};

/// Entries on one page of the Audit page.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// What the Audit page filters by (the query string of `/audit` and of its export). Empty
/// strings are no filter, so a GET form's blank fields mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Who acted: an email (or `system`), exactly.
    #[serde(default)]
    pub actor: String,
    /// What was done: an action name (`sign-in`, `user-disable`, `create`, …), exactly.
    #[serde(default)]
    pub action: String,
    /// The project concerned, by name.
    #[serde(default)]
    pub project: String,
    /// The secret concerned, by name.
    #[serde(default)]
    pub secret: String,
    /// Keyset paging: only entries older than this id (the last id of the page before).
    #[serde(default)]
    pub before: Option<i64>,
}

impl AuditFilter {
    /// The filter's query string (without `before`), for links to the next page and the export.
    pub fn query(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("project", &self.project),
            ("secret", &self.secret),
        ];
        pairs
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(key, value)| format!("{key}={}", encode(value.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// One audit entry: who did what, to which project, secret or user, from where. Never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Its id: later entries have larger ids.
    pub id: i64,
    /// When (Unix ms).
    pub at: i64,
    /// Who: an email, or `system`.
    pub actor: String,
    /// What: `sign-in`, `user-disable`, `project-create`, `create`, …
    pub action: String,
    /// `allowed` or `denied` (a refused sign-in or action).
    pub outcome: String,
    /// The project's id, if one is concerned.
    pub project_id: Option<i64>,
    /// The project's name now (None once it is deleted).
    pub project: Option<String>,
    /// The secret's name, if one is concerned.
    pub secret: Option<String>,
    /// The user concerned (their email), for changes to people.
    pub target: Option<String>,
    /// The client address, for sign-ins.
    pub client_address: Option<String>,
    /// Free-text detail.
    pub detail: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The entries, newest first.
    pub entries: Vec<AuditRecord>,
    /// The `before` of the next (older) page, if there is one.
    pub next_before: Option<i64>,
    /// Every action name in the log, for the filter's choices.
    pub actions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_string_keeps_only_set_filters_and_encodes_them() {
        let filter = AuditFilter {
            actor: "admin@example.com".to_owned(),
            project: " ".to_owned(),
            secret: "a b".to_owned(),
            ..AuditFilter::default()
        };
        assert_eq!(filter.query(), "actor=admin%40example.com&secret=a%20b");
        assert_eq!(AuditFilter::default().query(), "");
    }
}
