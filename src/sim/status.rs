//! API errors as the Kubernetes `Status` objects real clients parse.

use serde_json::{Value, json};

use super::resources::ResourceType;
use super::schema::FieldError;

/// A failed request: the HTTP code and the `Status` body a real API server would send.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code (also `Status.code`).
    pub code: u16,
    /// `Status.reason`, e.g. `NotFound`, `Conflict`, `Invalid`.
    pub reason: &'static str,
    /// Human-readable message, worded as kube-apiserver words it.
    pub message: String,
    /// `Status.details`, if any.
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// `<plural> "<name>" not found`.
    pub fn not_found(t: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", t.qualified_plural()),
        )
        .with_details(json!({"name": name, "group": t.group, "kind": t.plural}))
    }

    /// A path the server does not serve.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// `<plural> "<name>" already exists`.
    pub fn already_exists(t: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", t.qualified_plural()),
        )
        .with_details(json!({"name": name, "group": t.group, "kind": t.plural}))
    }

    /// The optimistic-concurrency failure of an update with a stale resourceVersion.
    pub fn conflict(t: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                t.qualified_plural()
            ),
        )
        .with_details(json!({"name": name, "group": t.group, "kind": t.plural}))
    }

    /// A precondition (uid or resourceVersion in DeleteOptions) that does not hold.
    pub fn precondition_failed(t: &ResourceType, name: &str, what: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": {what}",
                t.qualified_plural()
            ),
        )
        .with_details(json!({"name": name, "group": t.group, "kind": t.plural}))
    }

    /// Server-side apply conflicts: `(manager as printed, field)` pairs, worded as
    /// `NewConflictError` and `getConflictMessage` word them
    /// (k8s.io/apimachinery/pkg/util/managedfields/internal/conflict.go).
    pub fn apply_conflicts(t: &ResourceType, name: &str, conflicts: &[(String, String)]) -> Self {
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(manager, field)| {
                json!({
                    "reason": "FieldManagerConflict",
                    "message": format!("conflict with {manager}"),
                    "field": field,
                })
            })
            .collect();
        let message = match conflicts {
            [(manager, field)] => {
                format!("Apply failed with 1 conflict: conflict with {manager}: {field}")
            }
            _ => {
                let mut by_manager: std::collections::BTreeMap<&str, Vec<&str>> =
                    std::collections::BTreeMap::new();
                for (manager, field) in conflicts {
                    by_manager.entry(manager).or_default().push(field);
                }
                let lines: Vec<String> = by_manager
                    .iter()
                    .flat_map(|(manager, fields)| {
                        std::iter::once(format!("conflicts with {manager}:"))
                            .chain(fields.iter().map(|f| format!("- {f}")))
                    })
                    .collect();
                format!(
                    "Apply failed with {} conflicts: {}",
                    conflicts.len(),
                    lines.join("\n")
                )
            }
        };
        Self::new(409, "Conflict", message).with_details(
            json!({"name": name, "group": t.group, "kind": t.plural, "causes": causes}),
        )
    }

    /// `422 Invalid`, with one cause per field error.
    pub fn invalid(t: &ResourceType, name: &str, errors: &[FieldError]) -> Self {
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.reason, "message": e.message, "field": e.field}))
            .collect();
        let listed: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        let summary = if listed.len() == 1 {
            listed[0].clone()
        } else {
            format!("[{}]", listed.join(", "))
        };
        Self::new(
            422,
            "Invalid",
            format!("{} \"{name}\" is invalid: {summary}", t.qualified_kind()),
        )
        .with_details(json!({"name": name, "group": t.group, "kind": t.kind, "causes": causes}))
    }

    /// `400 BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// `401 Unauthorized`: a token the server cannot authenticate.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// `403 Forbidden`.
    pub fn forbidden(t: &ResourceType, name: &str, why: &str) -> Self {
        Self::new(
            403,
            "Forbidden",
            format!("{} \"{name}\" is forbidden: {why}", t.qualified_plural()),
        )
        .with_details(json!({"name": name, "group": t.group, "kind": t.plural}))
    }

    /// `403 Forbidden` from NamespaceLifecycle admission for a create in a namespace being
    /// deleted, with the `NamespaceTerminating` cause clients tell it apart by
    /// (k8s.io/apiserver `pkg/admission/plugin/namespace/lifecycle/admission.go`: the
    /// forbidden error gets `StatusCause{Type: v1.NamespaceTerminatingCause, Message:
    /// "namespace <ns> is being terminated", Field: "metadata.namespace"}`).
    pub fn namespace_terminating(t: &ResourceType, name: &str, namespace: &str) -> Self {
        let mut error = Self::forbidden(
            t,
            name,
            &format!(
                "unable to create new content in namespace {namespace} because it is being terminated"
            ),
        );
        if let Some(details) = error.details.as_mut() {
            details["causes"] = json!([{
                "reason": "NamespaceTerminating",
                "message": format!("namespace {namespace} is being terminated"),
                "field": "metadata.namespace",
            }]);
        }
        error
    }

    /// `405 MethodNotAllowed`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// `415 UnsupportedMediaType` for a patch type the kind does not take.
    pub fn unsupported_patch(content_type: &str, custom: bool) -> Self {
        let accepted = if custom {
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        } else {
            "application/json-patch+json, application/merge-patch+json, \
             application/strategic-merge-patch+json, application/apply-patch+yaml"
        };
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types \
                 include: {accepted} (got {content_type})"
            ),
        )
    }

    /// `410 Gone` for a watch or continue token older than the history kept.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// A plain Go error that reached the handler: `ErrorToAPIStatus` (apiserver
    /// `pkg/endpoints/handlers/responsewriters/status.go`) answers it with its message and no
    /// reason (`StatusReasonUnknown`), 500 unless it is a storage conflict.
    pub fn unclassified(code: u16, message: impl Into<String>) -> Self {
        Self::new(code, "", message)
    }

    /// `NewGenericServerResponse(422, …)` (apimachinery `pkg/api/errors/errors.go`), which
    /// the patch handler answers for a JSON patch that does not apply and for some strategic
    /// merge patch errors: its own message replaces the error's.
    pub fn patch_rejected() -> Self {
        Self::new(
            422,
            "Invalid",
            "the server rejected our request due to an error in our request",
        )
        .with_details(json!({}))
    }

    /// `413 RequestEntityTooLarge`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, "RequestEntityTooLarge", message)
    }

    /// An injected fault: 500, 503 or 429.
    pub fn injected(code: u16) -> Self {
        match code {
            429 => Self::new(
                429,
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later",
            )
            .with_details(json!({"retryAfterSeconds": 1})),
            503 => Self::new(
                503,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
            ),
            _ => Self::new(
                500,
                "InternalError",
                "an error on the server (\"injected fault\") has prevented the request from succeeding",
            ),
        }
    }

    /// The `Status` object for the body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = without_empty(details);
        }
        if let (true, Some(fields)) = (self.reason.is_empty(), status.as_object_mut()) {
            // `reason` is `omitempty` in Go's Status.
            fields.remove("reason");
        }
        status
    }
}

/// `StatusDetails` as Go writes it: every field is `omitempty`, so the core group's empty
/// `group` and an empty `causes` are left out.
pub fn without_empty(details: &Value) -> Value {
    let mut details = details.clone();
    if let Some(fields) = details.as_object_mut() {
        fields.retain(|_, v| v != "" && !v.as_array().is_some_and(Vec::is_empty));
    }
    details
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.reason, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The backstop under every request: a handler that panics answers 500 with a `Status`, and
/// the panic is logged, as kube-apiserver recovers one (`WithPanicRecovery`, apiserver
/// `pkg/server/filters/wrap.go`: "This request caused apiserver to panic. Look in the logs for
/// details.", there as plain text). Without it the connection dropped. The panic's own message
/// is printed by the panic hook; it is not repeated here, nor anything of the request's body.
pub(crate) async fn catch_panic(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use futures::FutureExt;
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    match std::panic::AssertUnwindSafe(next.run(request))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(%method, %path, "simulated API server: a request handler panicked (panic recovered, answered 500)");
            ApiError::new(
                500,
                "InternalError",
                "This request caused apiserver to panic. Look in the logs for details.",
            )
            .into_response()
        }
    }
}

/// The name Go's JSON decoder gives a value's type in its errors (`UnmarshalTypeError.Value`):
/// "cannot unmarshal array into Go value of type …".
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::Value;
    use tower::ServiceExt;

    /// A log sink for the test's subscriber.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Log {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl tracing_subscriber::fmt::MakeWriter<'_> for Log {
        type Writer = Log;
        fn make_writer(&self) -> Log {
            self.clone()
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_handler_that_panics_answers_500_with_a_status_and_is_logged_as_an_error() {
        let log = Log::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let boom = || async {
            if true {
                panic!("a deliberate panic");
            }
            "unreachable"
        };
        let router = axum::Router::new()
            .route("/boom", axum::routing::get(boom))
            .layer(axum::middleware::from_fn(super::catch_panic));
        let request = axum::http::Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let status: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (&status["kind"], &status["code"], &status["reason"]),
            (
                &Value::from("Status"),
                &Value::from(500),
                &Value::from("InternalError")
            )
        );
        let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("ERROR") && log.contains("panic"), "{log}");
        assert!(log.contains("/boom"), "{log}");
    }
}
