//! Which state a get or a list reads, by its `resourceVersion` and `resourceVersionMatch`, as
//! kube-apiserver decides (<https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-get-and-list>):
//!
//! - none: the current state (a consistent read);
//! - `"0"`: any state, the current one here;
//! - a version, `NotOlderThan` or no match: the watch cache's state once it has caught up with
//!   the version, waiting at most 3 s and then 504 `Timeout` with a `ResourceVersionTooLarge`
//!   cause and `retryAfterSeconds: 1` (`waitUntilFreshAndBlock`, `blockTimeout`,
//!   `resourceVersionTooHighRetrySeconds`, apiserver `pkg/storage/cacher/watch_cache.go`;
//!   gets with a version are served from the cache too, `CacheDelegator.Get`,
//!   `pkg/storage/cacher/delegator.go`);
//! - a list with `Exact`, or with a limit and a version other than `"0"` and no match (the
//!   "legacy exact match"): etcd's state at exactly that revision (`ShouldDelegateList`,
//!   `pkg/storage/cacher/delegator/interface.go`; `ValidateListOptions`,
//!   `pkg/storage/interfaces.go`), see [`crate::sim::store::Store::list_at`].

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;

use super::deletion::options_invalid;
use super::status::ApiError;
use super::store::Store;

/// How long a read waits for the state to reach the version it asks for (`blockTimeout`).
const BLOCK_TIMEOUT: Duration = Duration::from_secs(3);

/// `storage.NewTooLargeResourceVersionError` (apiserver `pkg/storage/errors.go`): a
/// `Timeout` (504, apimachinery `NewTimeoutError`) with the `ResourceVersionTooLarge` cause.
/// `retry_seconds` 0 leaves `retryAfterSeconds` out, as Go's `omitempty` does.
pub(crate) fn too_large(wanted: u64, current: u64, retry_seconds: u64) -> ApiError {
    let mut details = json!({
        "causes": [{
            "reason": "ResourceVersionTooLarge",
            "message": "Too large resource version",
        }],
    });
    if retry_seconds > 0 {
        details["retryAfterSeconds"] = json!(retry_seconds);
    }
    ApiError {
        code: 504,
        reason: "Timeout",
        message: format!("Timeout: Too large resource version: {wanted}, current: {current}"),
        details: Some(details),
    }
}

fn parse(raw: &str) -> Result<u64, ApiError> {
    if raw.is_empty() {
        return Ok(0);
    }
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("Invalid resourceVersion: \"{raw}\"")))
}

/// Waits until the store has reached `wanted` (0: at once), as the watch cache's
/// `waitUntilFreshAndBlock` does; 504 after [`BLOCK_TIMEOUT`].
async fn wait_until_fresh(store: &Store, wanted: u64) -> Result<(), ApiError> {
    let deadline = tokio::time::Instant::now() + BLOCK_TIMEOUT;
    loop {
        let current = store.resource_version();
        if current >= wanted {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(too_large(wanted, current, 1));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Before a get: waits for the version it names, if any.
pub(crate) async fn before_get(
    store: &Store,
    query: &HashMap<String, String>,
) -> Result<(), ApiError> {
    let wanted = parse(query.get("resourceVersion").map_or("", String::as_str))?;
    wait_until_fresh(store, wanted).await
}

/// Before a list: validates the options (`ValidateListOptions`, apimachinery
/// `pkg/apis/meta/internalversion/validation/validation.go`, 422 on `ListOptions`) and returns
/// the version the list must be read at exactly, or `None` for the current state, having
/// waited for a `NotOlderThan` version.
pub(crate) async fn before_list(
    store: &Store,
    query: &HashMap<String, String>,
) -> Result<Option<u64>, ApiError> {
    let raw = query.get("resourceVersion").map_or("", String::as_str);
    let matching = query.get("resourceVersionMatch").map_or("", String::as_str);
    let continuing = query.get("continue").is_some_and(|c| !c.is_empty());
    let mut errors = Vec::new();
    if !matching.is_empty() {
        if raw.is_empty() {
            errors.push((
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"
                    .to_owned(),
            ));
        }
        if continuing {
            errors.push((
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden when continue is provided".to_owned(),
            ));
        }
        if matching != "Exact" && matching != "NotOlderThan" {
            errors.push((
                "resourceVersionMatch",
                "FieldValueNotSupported",
                format!(
                    "Unsupported value: \"{matching}\": supported values: \"Exact\", \
                     \"NotOlderThan\", \"\""
                ),
            ));
        }
        if matching == "Exact" && raw == "0" {
            errors.push((
                "resourceVersionMatch",
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""
                    .to_owned(),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(options_invalid("ListOptions", &errors));
    }
    let wanted = parse(raw)?;
    if continuing {
        if wanted > 0 {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        return Ok(None);
    }
    let limited = query
        .get("limit")
        .and_then(|l| l.parse::<u64>().ok())
        .is_some_and(|l| l > 0);
    match matching {
        "Exact" => Ok(Some(wanted)),
        "" if limited && wanted > 0 => Ok(Some(wanted)),
        _ => {
            wait_until_fresh(store, wanted).await?;
            Ok(None)
        }
    }
}
