//! The failures a user can act on: each one a class with one plain sentence and what to do,
//! told apart by the structured parts of what the cluster answered (the API server's `Status`
//! code and details, which the reconciler has typed) or, for External Secrets Operator, by the
//! error it wraps into its Warning event: ESO puts nothing else about a failed fetch on the
//! ExternalSecret (its `Ready` condition says only `SecretSyncedError`, "could not get secret
//! data from provider": `markAsFailed` in `pkg/controllers/externalsecret/
//! externalsecret_controller.go`), so its error chain's fixed parts are what we read.

use serde::{Deserialize, Serialize};

/// Why an assignment is not Synced, when it is something a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureClass {
    /// The ClusterSecretStore the ExternalSecret names does not exist.
    StoreMissing,
    /// The ClusterSecretStore exists but is not Ready (its provider refused it, e.g. its
    /// authentication failed).
    StoreNotReady,
    /// External Secrets Operator is not installed: the API server does not serve ExternalSecret.
    OperatorMissing,
    /// The remote key (or the property in it) does not exist in the store.
    RemoteKeyMissing,
    /// The version the data entry pins does not exist in the store.
    VersionMissing,
    /// The project's namespace does not exist on the cluster.
    NamespaceMissing,
    /// The console's role may not write there (403).
    Forbidden,
    /// A same-named object the console does not manage is already in the namespace.
    ForeignObject,
}

impl FailureClass {
    /// Every class, for exhaustive tests.
    pub const ALL: [FailureClass; 8] = [
        FailureClass::StoreMissing,
        FailureClass::StoreNotReady,
        FailureClass::OperatorMissing,
        FailureClass::RemoteKeyMissing,
        FailureClass::VersionMissing,
        FailureClass::NamespaceMissing,
        FailureClass::Forbidden,
        FailureClass::ForeignObject,
    ];

    /// The stable name used in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::StoreMissing => "StoreMissing",
            FailureClass::StoreNotReady => "StoreNotReady",
            FailureClass::OperatorMissing => "OperatorMissing",
            FailureClass::RemoteKeyMissing => "RemoteKeyMissing",
            FailureClass::VersionMissing => "VersionMissing",
            FailureClass::NamespaceMissing => "NamespaceMissing",
            FailureClass::Forbidden => "Forbidden",
            FailureClass::ForeignObject => "ForeignObject",
        }
    }

    /// Parses [`FailureClass::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|class| class.as_str() == s)
    }

    /// What happened, in one plain sentence.
    pub fn sentence(self) -> &'static str {
        match self {
            FailureClass::StoreMissing => {
                "The ClusterSecretStore this secret reads from does not exist on the cluster."
            }
            FailureClass::StoreNotReady => {
                "The ClusterSecretStore exists but is not Ready, so nothing can be read through it."
            }
            FailureClass::OperatorMissing => {
                "External Secrets Operator is not installed on the cluster (it does not serve ExternalSecret)."
            }
            FailureClass::RemoteKeyMissing => {
                "A remote key this secret reads does not exist in the store."
            }
            FailureClass::VersionMissing => {
                "A version this secret pins does not exist in the store."
            }
            FailureClass::NamespaceMissing => {
                "The project's namespace does not exist on the cluster."
            }
            FailureClass::Forbidden => {
                "The console is not allowed to write in the project's namespace."
            }
            FailureClass::ForeignObject => {
                "An object of the same name, not managed by the console, is already in the namespace."
            }
        }
    }

    /// What to do about it.
    pub fn what_to_do(self) -> &'static str {
        match self {
            FailureClass::StoreMissing => {
                "Pick an existing store in the secret's spec, or ask a platform admin to create this one."
            }
            FailureClass::StoreNotReady => {
                "Ask a platform admin to fix the store's provider settings or credentials (see the Stores page); the secret syncs once the store is Ready."
            }
            FailureClass::OperatorMissing => {
                "Ask a platform admin to install External Secrets Operator on the cluster; the console tries again when the secret changes or is synced."
            }
            FailureClass::RemoteKeyMissing => {
                "Correct the remote key in the secret's spec, or create it in the store; the next refresh picks it up."
            }
            FailureClass::VersionMissing => {
                "Pin a version the store has, or clear the version to follow the latest."
            }
            FailureClass::NamespaceMissing => {
                "Ask a platform admin to create the namespace; the console tries again by itself."
            }
            FailureClass::Forbidden => {
                "Ask a platform admin to bind the console's role in that namespace (docs/deploy.md); the console tries again by itself."
            }
            FailureClass::ForeignObject => {
                "Rename the secret, remove that object, or have a platform admin adopt it."
            }
        }
    }

    /// The sentence and what to do, as one line (a badge's detail).
    pub fn summary(self) -> String {
        format!("{} {}", self.sentence(), self.what_to_do())
    }
}

/// `client_manager.go`'s `errSecretStoreNotReady`: `"%s %q is not ready"` (kind, name).
const ESO_STORE_NOT_READY: &str = "\" is not ready";
/// `client_manager.go`'s `errGetClusterSecretStore`: `"could not get ClusterSecretStore %q, %w"`.
const ESO_GET_CLUSTER_STORE: &str = "could not get ClusterSecretStore \"";
/// `client_manager.go`'s `errGetSecretStore`: `"could not get SecretStore %q, %w"`.
const ESO_GET_STORE: &str = "could not get SecretStore \"";
/// The wrapped NotFound of the store's get (apimachinery's `NewNotFound`: `%s %q not found`).
const K8S_NOT_FOUND: &str = "\" not found";
/// `esv1.NoSecretError.Error()` (`apis/externalsecrets/v1/provider.go`): what every provider
/// returns for a key, version or property it does not have.
const ESO_NO_SECRET: &str = "Secret does not exist";
/// `externalsecret_controller_secret.go`: `"error processing spec.data[%d] (key: %s), err: %w"`.
const ESO_ENTRY: &str = "error processing spec.data[";

/// Classifies External Secrets Operator's error for one ExternalSecret (its Warning event's
/// message, `err.Error()`): the store missing or not ready (`client_manager.go`), or the
/// provider's `NoSecretError` for an entry, which is a missing version when that entry pins one
/// (`pins_version(index)`), else a missing remote key. `None` for anything else.
pub fn from_eso_error(message: &str, pins_version: impl Fn(usize) -> bool) -> Option<FailureClass> {
    let message = message.trim();
    // The innermost error comes last; the store's errors are wrapped in the entry's.
    let cause = message.rsplit(", err: ").next().unwrap_or(message);
    if cause.starts_with(ESO_GET_CLUSTER_STORE) || cause.starts_with(ESO_GET_STORE) {
        return cause
            .ends_with(K8S_NOT_FOUND)
            .then_some(FailureClass::StoreMissing);
    }
    if cause.ends_with(ESO_STORE_NOT_READY)
        && (cause.starts_with("ClusterSecretStore \"") || cause.starts_with("SecretStore \""))
    {
        return Some(FailureClass::StoreNotReady);
    }
    if cause == ESO_NO_SECRET {
        let index = message
            .strip_prefix(ESO_ENTRY)
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(digits, _)| digits.parse::<usize>().ok());
        return Some(match index {
            Some(i) if pins_version(i) => FailureClass::VersionMissing,
            _ => FailureClass::RemoteKeyMissing,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_a_stable_name_a_sentence_and_what_to_do() {
        for class in FailureClass::ALL {
            assert_eq!(FailureClass::parse(class.as_str()), Some(class));
            assert!(class.sentence().ends_with('.'), "{class:?}");
            assert!(class.what_to_do().ends_with('.'), "{class:?}");
            assert!(class.summary().starts_with(class.sentence()));
        }
        let mut sentences: Vec<_> = FailureClass::ALL.iter().map(|c| c.sentence()).collect();
        sentences.dedup();
        assert_eq!(sentences.len(), FailureClass::ALL.len());
        assert_eq!(FailureClass::parse("Nope"), None);
    }

    #[test]
    fn eso_store_errors_are_told_by_client_manager_words() {
        let none = |_: usize| false;
        assert_eq!(
            from_eso_error(
                "error processing spec.data[0] (key: shared/db), err: could not get ClusterSecretStore \"vault\", clustersecretstores.external-secrets.io \"vault\" not found",
                none
            ),
            Some(FailureClass::StoreMissing)
        );
        assert_eq!(
            from_eso_error(
                "error processing spec.data[0] (key: shared/db), err: ClusterSecretStore \"vault\" is not ready",
                none
            ),
            Some(FailureClass::StoreNotReady)
        );
        // The store's get refused for another reason is not "missing".
        assert_eq!(
            from_eso_error(
                "could not get ClusterSecretStore \"vault\", clustersecretstores.external-secrets.io \"vault\" is forbidden",
                none
            ),
            None
        );
    }

    #[test]
    fn a_missing_secret_is_a_missing_version_only_when_its_entry_pins_one() {
        let message = "error processing spec.data[1] (key: shared/db), err: Secret does not exist";
        assert_eq!(
            from_eso_error(message, |_| false),
            Some(FailureClass::RemoteKeyMissing)
        );
        assert_eq!(
            from_eso_error(message, |i| i == 1),
            Some(FailureClass::VersionMissing)
        );
        assert_eq!(
            from_eso_error(message, |i| i == 0),
            Some(FailureClass::RemoteKeyMissing)
        );
        assert_eq!(from_eso_error("could not update secret", |_| true), None);
        assert_eq!(from_eso_error("", |_| true), None);
    }
}
