//! What can go wrong while the reconciler works one change, told apart by the Kubernetes
//! `Status` the API server answered with (its code, reason and details), never by its message
//! text; and [`error_policy`], which decides from that alone whether to try again.

use kube::core::Status;

use crate::server::errors::ServiceError;

/// Why one piece of cluster work did not finish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// No answer, or an answer that says "later": 408, 429, 5xx, a broken connection.
    #[error("the API server could not be reached: {0}")]
    Unreachable(#[source] kube::Error),
    /// The namespace does not exist. kube-apiserver's NamespaceLifecycle admission answers
    /// `errors.NewNotFound(v1.Resource("namespaces"), namespace)`: 404, reason NotFound,
    /// details kind `namespaces` in the core group.
    #[error("the namespace does not exist: {0}")]
    MissingNamespace(#[source] kube::Error),
    /// 403 with the `NamespaceTerminating` cause: NamespaceLifecycle admission refuses to
    /// create anything in a namespace being deleted (k8s.io/apiserver
    /// `pkg/admission/plugin/namespace/lifecycle/admission.go`).
    #[error("the namespace is being deleted: {0}")]
    NamespaceTerminating(#[source] kube::Error),
    /// 403 Forbidden: the console's role may not do this there. Under the shipped roles a
    /// namespace that does not exist answers this too (RBAC runs before admission, and no
    /// RoleBinding can exist there): the reconciler asks for the namespace to tell them apart.
    #[error("forbidden: {0}")]
    Forbidden(#[source] kube::Error),
    /// 401 Unauthorized: the cluster no longer accepts the console's credentials (an expired
    /// token, a rotated certificate). The cluster's problem, fixed outside: retried.
    #[error("the cluster refused the console's credentials: {0}")]
    Unauthorized(#[source] kube::Error),
    /// 404 of a write that is not about a namespace: the kind is not served.
    #[error("not served: {0}")]
    NotServed(#[source] kube::Error),
    /// 409 Conflict: another field manager owns fields we set.
    #[error("conflict: {0}")]
    Conflict(#[source] kube::Error),
    /// Any other refusal (invalid, unprocessable): it will not change by itself.
    #[error("refused: {0}")]
    Refused(#[source] kube::Error),
    /// The console's own database or stored state.
    #[error("the console's database: {0}")]
    Database(#[from] ServiceError),
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(ServiceError::from(error))
    }
}

impl From<kube::Error> for Error {
    fn from(error: kube::Error) -> Self {
        let kube::Error::Api(status) = &error else {
            return Self::Unreachable(error);
        };
        match status.code {
            408 | 429 | 500..=599 => Self::Unreachable(error),
            _ if missing_namespace(status) => Self::MissingNamespace(error),
            _ if status.reason == "Unauthorized" || status.code == 401 => Self::Unauthorized(error),
            _ if namespace_terminating(status) => Self::NamespaceTerminating(error),
            _ if status.reason == "Forbidden" || status.code == 403 => Self::Forbidden(error),
            _ if status.reason == "NotFound" || status.code == 404 => Self::NotServed(error),
            _ if status.reason == "Conflict" || status.code == 409 => Self::Conflict(error),
            _ => Self::Refused(error),
        }
    }
}

impl Error {
    /// What the API server said, for a reason shown to users (never values: the API server's
    /// messages name objects and fields, not data).
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Unreachable(e)
            | Self::MissingNamespace(e)
            | Self::NamespaceTerminating(e)
            | Self::Forbidden(e)
            | Self::Unauthorized(e)
            | Self::NotServed(e)
            | Self::Conflict(e)
            | Self::Refused(e) => match e {
                kube::Error::Api(status) => status.message.clone(),
                other => other.to_string(),
            },
            Self::Database(e) => e.to_string(),
        }
    }
}

/// Whether a `Status` is NamespaceLifecycle's "the namespace does not exist".
fn missing_namespace(status: &Status) -> bool {
    status.code == 404
        && status.reason == "NotFound"
        && status
            .details
            .as_ref()
            .is_some_and(|details| details.kind == "namespaces" && details.group.is_empty())
}

/// Whether a `Status` is NamespaceLifecycle's "being terminated" (403, cause
/// `NamespaceTerminating`).
fn namespace_terminating(status: &Status) -> bool {
    status.code == 403
        && status.details.as_ref().is_some_and(|details| {
            details
                .causes
                .iter()
                .any(|cause| cause.reason == "NamespaceTerminating")
        })
}

/// The fields another field manager took from ours, from a server-side apply's 409: `(manager,
/// field)` pairs from the `Status` causes (`FieldManagerConflict`, whose message is `conflict
/// with "<manager>"`, kube-apiserver's structured-merge-diff adding ` using <apiVersion>`).
pub(crate) fn taken_fields(error: &Error) -> Vec<(String, String)> {
    let Error::Conflict(kube::Error::Api(status)) = error else {
        return Vec::new();
    };
    status
        .details
        .iter()
        .flat_map(|details| &details.causes)
        .filter(|cause| cause.reason == "FieldManagerConflict")
        .map(|cause| {
            let manager = cause
                .message
                .split('"')
                .nth(1)
                .unwrap_or("another field manager");
            (manager.to_owned(), cause.field.clone())
        })
        .collect()
}

/// What to do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Nothing is recorded; try again after the back-off (the cluster or database is away).
    Retry,
    /// Record the refusal (Failed with its reason). `heals` when someone outside the console
    /// can make it pass (a namespace created, a role bound): then it is tried again with
    /// back-off too; otherwise it waits for the next change.
    Refuse {
        /// Whether to keep trying with back-off.
        heals: bool,
    },
}

/// Decides, from the kind of error alone, whether to retry or to record a refusal.
pub(crate) fn error_policy(error: &Error) -> Policy {
    match error {
        Error::Unreachable(_) | Error::Unauthorized(_) | Error::Database(_) => Policy::Retry,
        Error::MissingNamespace(_) | Error::NamespaceTerminating(_) | Error::Forbidden(_) => {
            Policy::Refuse { heals: true }
        }
        Error::NotServed(_) | Error::Conflict(_) | Error::Refused(_) => {
            Policy::Refuse { heals: false }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A `Status` answer as the API server sends it.
    pub(crate) fn api_error(status: serde_json::Value) -> kube::Error {
        kube::Error::Api(Box::new(serde_json::from_value(status).unwrap()))
    }

    pub(crate) fn missing_namespace_error() -> kube::Error {
        api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "namespaces \"payments\" not found", "reason": "NotFound",
            "details": {"name": "payments", "kind": "namespaces"}, "code": 404
        }))
    }

    pub(crate) fn forbidden_error() -> kube::Error {
        api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "externalsecrets.external-secrets.io \"db\" is forbidden: User \"system:serviceaccount:sc:sc\" cannot patch resource \"externalsecrets\" in API group \"external-secrets.io\" in the namespace \"payments\"",
            "reason": "Forbidden",
            "details": {"name": "db", "group": "external-secrets.io", "kind": "externalsecrets"},
            "code": 403
        }))
    }

    #[test]
    fn a_missing_namespace_is_told_by_the_status_details_not_its_words() {
        assert!(matches!(
            Error::from(missing_namespace_error()),
            Error::MissingNamespace(_)
        ));
        // The object itself not found, whatever its message says, is not a missing namespace.
        let object = api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "namespaces \"payments\" not found", "reason": "NotFound",
            "details": {"name": "namespaces", "kind": "secrets"}, "code": 404
        }));
        assert!(matches!(Error::from(object), Error::NotServed(_)));
        // Forbidden mentions namespaces in its words and is another case.
        assert!(matches!(
            Error::from(forbidden_error()),
            Error::Forbidden(_)
        ));
    }

    pub(crate) fn terminating_error() -> kube::Error {
        // As NamespaceLifecycle admission answers a create in a namespace being deleted.
        api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "externalsecrets.external-secrets.io \"db\" is forbidden: unable to create new content in namespace payments because it is being terminated",
            "reason": "Forbidden",
            "details": {"name": "db", "group": "external-secrets.io", "kind": "externalsecrets",
                "causes": [{"reason": "NamespaceTerminating", "message": "namespace payments is being terminated", "field": "metadata.namespace"}]},
            "code": 403
        }))
    }

    #[test]
    fn a_terminating_namespace_and_expired_credentials_are_their_own_cases() {
        let terminating = Error::from(terminating_error());
        assert!(matches!(terminating, Error::NamespaceTerminating(_)));
        assert_eq!(error_policy(&terminating), Policy::Refuse { heals: true });
        let unauthorized = Error::from(api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": "Unauthorized", "reason": "Unauthorized", "code": 401
        })));
        assert!(matches!(unauthorized, Error::Unauthorized(_)));
        assert_eq!(error_policy(&unauthorized), Policy::Retry);
    }

    #[test]
    fn the_policy_retries_what_is_away_and_refuses_what_will_not_change() {
        let unreachable = Error::from(api_error(json!({
            "kind": "Status", "status": "Failure", "reason": "ServiceUnavailable", "code": 503
        })));
        assert_eq!(error_policy(&unreachable), Policy::Retry);
        assert_eq!(
            error_policy(&Error::from(missing_namespace_error())),
            Policy::Refuse { heals: true }
        );
        assert_eq!(
            error_policy(&Error::from(forbidden_error())),
            Policy::Refuse { heals: true }
        );
        let invalid = Error::from(api_error(json!({
            "kind": "Status", "status": "Failure", "reason": "Invalid", "code": 422,
            "message": "ExternalSecret.external-secrets.io \"db\" is invalid"
        })));
        assert_eq!(error_policy(&invalid), Policy::Refuse { heals: false });
        let conflict = Error::from(api_error(json!({
            "kind": "Status", "status": "Failure", "reason": "Conflict", "code": 409,
            "message": "Apply failed with 1 conflict"
        })));
        assert!(matches!(conflict, Error::Conflict(_)));
        assert_eq!(error_policy(&conflict), Policy::Refuse { heals: false });
    }
}
