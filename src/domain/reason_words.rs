//! An assignment's reason as a person reads it: said once (the reason External Secrets
//! Operator gave often repeats its latest warning word for word), and in the person's names:
//! the controller and the API server name an entry by its place in the ExternalSecret
//! (`spec.data[1]`, `spec.data[1].remoteRef.key`), the person knows it as the key `password`.

use crate::domain::status::AssignmentStatus;
use crate::domain::status::failure::{FailureClass, from_eso_error};
use serde::{Deserialize, Serialize};

use crate::model::secret::SecretSpec;

/// Where ESO's and the API server's messages name an entry of the data list.
const DATA_PATH: &str = "spec.data[";

/// How ESO words an entry's failure: "error processing spec.data[1] (key: shared/db), err: …"
/// (`externalsecret_controller_secret.go`).
const ESO_ENTRY_PREFIX: &str = "error processing ";

/// Fields of an ExternalSecret named by their path, and their names on the form.
const FIELDS: [(&str, &str); 3] = [
    ("spec.secretStoreRef.name", "store"),
    ("spec.refreshInterval", "refresh interval"),
    ("spec.target.name", "Secret name"),
];

/// Fields of one data entry, after `spec.data[i]`, and their names on the form.
const ENTRY_FIELDS: [(&str, &str); 5] = [
    (".remoteRef.key", "remote key"),
    (".remoteRef.property", "property"),
    (".remoteRef.version", "version"),
    (".remoteRef", "remote reference"),
    (".secretKey", "key name"),
];

/// What the reason cell of one assignment shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShownReason {
    /// The reason, in the person's names.
    pub reason: Option<String>,
    /// The controller's latest warning, when it says something the reason does not.
    pub warning: Option<String>,
    /// The messages as the cluster worded them, when the words above differ from them (kept
    /// for a search in the controller's logs or an issue tracker).
    pub controller_message: Vec<String>,
}

/// The names a person gave an External secret's entries, in order: each one's key and remote
/// key, which messages about its ExternalSecret are said in. A Kubernetes secret has none: its
/// messages name its keys already. Small enough to send to a browser in place of the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyNames(Option<Vec<KeyName>>);

/// One entry's names in [`KeyNames`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyName {
    /// Its key in the Kubernetes Secret.
    pub secret_key: String,
    /// Its key in the external store.
    pub remote_key: String,
}

impl KeyNames {
    /// The names of `spec`'s entries.
    pub fn of(spec: &SecretSpec) -> Self {
        let SecretSpec::External(external) = spec else {
            return KeyNames(None);
        };
        KeyNames(Some(
            external
                .data
                .iter()
                .map(|entry| KeyName {
                    secret_key: entry.secret_key.clone(),
                    remote_key: entry.remote_key.clone(),
                })
                .collect(),
        ))
    }
}

/// Shows `reason` and the controller's `warning` once: when one contains the other (or they
/// are equal), only the more informative one (the longer) is kept, as the reason. Each is put
/// in the secret's `names` ([`in_person_names`]).
pub fn shown_once(reason: Option<&str>, warning: Option<&str>, names: &KeyNames) -> ShownReason {
    fn said(text: Option<&str>) -> Option<&str> {
        text.map(str::trim).filter(|t| !t.is_empty())
    }
    let (main, extra) = match (said(reason), said(warning)) {
        (Some(reason), Some(warning)) => {
            let (r, w) = (comparable(reason), comparable(warning));
            if r.contains(&w) {
                (Some(reason), None)
            } else if w.contains(&r) {
                (Some(warning), None)
            } else {
                (Some(reason), Some(warning))
            }
        }
        (reason, warning) => (reason, warning),
    };
    let mut controller_message = Vec::new();
    let mut words = |text: &str| {
        let words = in_person_names(text, names);
        if words != text {
            controller_message.push(text.to_owned());
        }
        words
    };
    let reason = main.map(&mut words);
    let warning = extra.map(&mut words);
    ShownReason {
        reason,
        warning,
        controller_message,
    }
}

/// A text as compared for repetition: case, surrounding space and a final full stop aside.
fn comparable(text: &str) -> String {
    text.trim().trim_end_matches('.').to_lowercase()
}

/// `text` (a reason, a warning) with every path into an External secret's ExternalSecret put
/// in the names the person gave on the form: `spec.data[1]` is "key password (remote key
/// shared/db/password)", `spec.data[1].remoteRef.key` is "key password — remote key", ESO's
/// "error processing spec.data[1] (key: shared/db/password), err: Secret does not exist" is
/// "key password (remote key shared/db/password): Secret does not exist", from the secret's
/// `names`. An entry that the spec no longer has (it changed since) is named by its row, "key
/// row 2". Kubernetes secrets' messages name their keys already and are left as they are.
pub fn in_person_names(text: &str, names: &KeyNames) -> String {
    let KeyNames(Some(entries)) = names else {
        return text.to_owned();
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(DATA_PATH) {
        let (before, path) = rest.split_at(at);
        let Some((index, after)) = index_of(&path[DATA_PATH.len()..]) else {
            out.push_str(before);
            out.push_str(DATA_PATH);
            rest = &path[DATA_PATH.len()..];
            continue;
        };
        let field = ENTRY_FIELDS
            .iter()
            .find(|(suffix, _)| at_boundary(after, suffix));
        let (after, remote_key, eso) = match field {
            Some((suffix, _)) => (&after[suffix.len()..], None, false),
            None => match eso_key(after) {
                Some((key, after)) => (after, Some(key), true),
                None => (after, None, false),
            },
        };
        let before = if eso {
            before.strip_suffix(ESO_ENTRY_PREFIX).unwrap_or(before)
        } else {
            before
        };
        out.push_str(before);
        let entry = entry_at(entries, index, remote_key);
        let name = match entry {
            Some(entry) => format!("key {}", entry.secret_key),
            None => format!("key row {}", index.saturating_add(1)),
        };
        match field {
            Some((_, words)) => out.push_str(&format!("{name} — {words}")),
            None => match remote_key.or(entry.map(|e| e.remote_key.as_str())) {
                Some(remote) => out.push_str(&format!("{name} (remote key {remote})")),
                None => out.push_str(&name),
            },
        }
        rest = match after.strip_prefix(", err: ") {
            Some(cause) if eso => {
                out.push_str(": ");
                cause
            }
            _ => after,
        };
    }
    out.push_str(rest);
    FIELDS
        .iter()
        .fold(out, |text, (path, words)| text.replace(path, words))
}

/// The index of `1]…` and what follows the bracket.
fn index_of(text: &str) -> Option<(usize, &str)> {
    let (digits, after) = text.split_once(']')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, after))
}

/// Whether `text` starts with `prefix` as a whole field name (not `.secretKeyRef`).
fn at_boundary(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric()))
}

/// ESO's ` (key: shared/db)` after an entry's path: the remote key and what follows it.
fn eso_key(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix(" (key: ")?;
    let (key, after) = inner.split_once(')')?;
    Some((key, after))
}

/// The entry at `index`, unless the message names another remote key (the spec changed since
/// the message was written): then the one entry with that remote key, if just one has it.
fn entry_at<'a>(
    data: &'a [KeyName],
    index: usize,
    remote_key: Option<&str>,
) -> Option<&'a KeyName> {
    let at = data.get(index);
    match remote_key {
        None => at,
        Some(remote) if at.is_some_and(|e| e.remote_key == remote) => at,
        Some(remote) => {
            let mut same = data.iter().filter(|e| e.remote_key == remote);
            match (same.next(), same.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }
}

/// The failure an assignment shows: the class recorded with a refused apply while it is
/// Failed, else, while it has a sync error, the class of External Secrets Operator's latest
/// warning (a missing version when the entry it names pins one in `spec`).
pub fn shown_failure(
    status: AssignmentStatus,
    recorded: Option<FailureClass>,
    warning: Option<&str>,
    spec: &SecretSpec,
) -> Option<FailureClass> {
    match status {
        AssignmentStatus::Failed => recorded,
        AssignmentStatus::SyncedError => {
            let SecretSpec::External(external) = spec else {
                return None;
            };
            let pins = |i: usize| {
                external
                    .data
                    .get(i)
                    .and_then(|entry| entry.version.as_deref())
                    .is_some_and(|v| !v.trim().is_empty())
            };
            warning.and_then(|w| from_eso_error(w, pins))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::secret::{ExternalDataEntry, ExternalSpec, KubernetesSpec};

    fn names() -> KeyNames {
        KeyNames::of(&spec())
    }

    fn spec() -> SecretSpec {
        let entry = |key: &str, remote: &str| ExternalDataEntry {
            secret_key: key.into(),
            remote_key: remote.into(),
            property: None,
            version: None,
            ..Default::default()
        };
        SecretSpec::External(ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h0m0s".into(),
            data: vec![
                entry("username", "shared/db/username"),
                entry("password", "shared/db/password"),
            ],
            ..Default::default()
        })
    }

    #[test]
    fn an_eso_entry_error_names_the_key_and_its_remote_key() {
        assert_eq!(
            in_person_names(
                "External Secrets Operator could not sync: error processing spec.data[1] (key: shared/db/password), err: Secret does not exist",
                &names()
            ),
            "External Secrets Operator could not sync: key password (remote key shared/db/password): Secret does not exist"
        );
    }

    #[test]
    fn an_api_server_path_names_the_key_and_the_field() {
        assert_eq!(
            in_person_names(
                "refused: ExternalSecret.external-secrets.io \"db\" is invalid: spec.data[1].remoteRef.key: Required value, spec.data[0].secretKey: Invalid value",
                &names()
            ),
            "refused: ExternalSecret.external-secrets.io \"db\" is invalid: key password — remote key: Required value, key username — key name: Invalid value"
        );
        assert_eq!(
            in_person_names("spec.data[0]: Duplicate value", &names()),
            "key username (remote key shared/db/username): Duplicate value"
        );
        assert_eq!(
            in_person_names(
                "spec.secretStoreRef.name: Required value; spec.refreshInterval: Invalid value",
                &names()
            ),
            "store: Required value; refresh interval: Invalid value"
        );
    }

    #[test]
    fn an_entry_the_spec_no_longer_has_is_found_by_remote_key_or_named_by_its_row() {
        // Reordered since: the remote key says which.
        assert_eq!(
            in_person_names(
                "error processing spec.data[0] (key: shared/db/password), err: gone",
                &names()
            ),
            "key password (remote key shared/db/password): gone"
        );
        assert_eq!(
            in_person_names(
                "error processing spec.data[4] (key: elsewhere), err: gone",
                &names()
            ),
            "key row 5 (remote key elsewhere): gone"
        );
        assert_eq!(
            in_person_names("spec.data[9].remoteRef.key: Required value", &names()),
            "key row 10 — remote key: Required value"
        );
    }

    #[test]
    fn text_without_a_path_or_of_a_kubernetes_secret_is_left_alone() {
        for text in [
            "ClusterSecretStore \"vault\" is not ready",
            "spec.data[x] is odd",
            "spec.data[",
            "spec.data[]",
        ] {
            let words = in_person_names(text, &names());
            assert!(!words.contains("key password —"), "{text}: {words}");
        }
        assert_eq!(
            in_person_names("spec.data[x] is odd", &names()),
            "spec.data[x] is odd"
        );
        let kubernetes = SecretSpec::Kubernetes(KubernetesSpec {
            secret_type: "Opaque".into(),
            keys: vec!["password".into()],
        });
        assert_eq!(
            in_person_names("spec.data[0]: odd", &KeyNames::of(&kubernetes)),
            "spec.data[0]: odd"
        );
    }

    #[test]
    fn a_reason_that_repeats_the_warning_is_shown_once_and_the_raw_words_kept() {
        let warning =
            "error processing spec.data[1] (key: shared/db/password), err: Secret does not exist";
        let reason = format!("External Secrets Operator could not sync: {warning}");
        let shown = shown_once(Some(&reason), Some(warning), &names());
        assert_eq!(
            shown.reason.as_deref(),
            Some(
                "External Secrets Operator could not sync: key password (remote key shared/db/password): Secret does not exist"
            )
        );
        assert_eq!(shown.warning, None);
        assert_eq!(shown.controller_message, [reason]);
    }

    #[test]
    fn the_more_informative_of_reason_and_warning_is_kept() {
        let shown = shown_once(
            Some("Store not ready."),
            Some("ClusterSecretStore \"vault\" is not ready: store not ready"),
            &names(),
        );
        assert_eq!(
            shown,
            ShownReason {
                reason: Some("ClusterSecretStore \"vault\" is not ready: store not ready".into()),
                warning: None,
                controller_message: Vec::new(),
            }
        );
        let same = shown_once(Some("it failed"), Some("It failed."), &names());
        assert_eq!(same.reason.as_deref(), Some("it failed"));
        assert_eq!(same.warning, None);
    }

    #[test]
    fn a_warning_that_says_something_else_is_kept_beside_the_reason() {
        let shown = shown_once(
            Some("External Secrets Operator reports an unknown state"),
            Some("spec.data[0] (key: shared/db/username) throttled"),
            &names(),
        );
        assert_eq!(
            shown.reason.as_deref(),
            Some("External Secrets Operator reports an unknown state")
        );
        assert_eq!(
            shown.warning.as_deref(),
            Some("key username (remote key shared/db/username) throttled")
        );
        assert_eq!(
            shown.controller_message,
            ["spec.data[0] (key: shared/db/username) throttled"]
        );
        assert_eq!(
            shown_once(None, Some(" "), &names()),
            ShownReason::default()
        );
    }

    #[test]
    fn an_assignment_shows_its_refusal_while_failed_and_the_warning_while_in_error() {
        let spec = SecretSpec::External(ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h".into(),
            data: vec![ExternalDataEntry {
                secret_key: "password".into(),
                remote_key: "shared/db".into(),
                property: None,
                version: Some("v7".into()),
                ..Default::default()
            }],
            ..Default::default()
        });
        let warning =
            Some("error processing spec.data[0] (key: shared/db), err: Secret does not exist");
        assert_eq!(
            shown_failure(AssignmentStatus::SyncedError, None, warning, &spec),
            Some(FailureClass::VersionMissing)
        );
        assert_eq!(
            shown_failure(
                AssignmentStatus::Failed,
                Some(FailureClass::Forbidden),
                warning,
                &spec
            ),
            Some(FailureClass::Forbidden)
        );
        // Synced again: whatever was recorded is over.
        assert_eq!(
            shown_failure(
                AssignmentStatus::Synced,
                Some(FailureClass::Forbidden),
                warning,
                &spec
            ),
            None
        );
    }
}
