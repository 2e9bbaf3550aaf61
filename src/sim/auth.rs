//! Who may call a simulated API server: a bearer token the cluster issued on every path, a
//! loopback `Host`, and, for the service account, the enforced roles.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::resources::TYPES;
use super::status::ApiError;
use super::store::Key;

use super::request::{ApiState, Target};

/// Every path, `/sim/*` and discovery included, needs a bearer token the cluster issued, as
/// kube-apiserver refuses anonymous requests when anonymous auth is off (401 with a `Status`
/// body). Only loopback `Host` values are answered: a web page elsewhere cannot reach the
/// cluster through DNS rebinding.
pub(crate) async fn authenticate(
    State(state): State<ApiState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !is_loopback_host(host) {
        return ApiError::bad_request("this API server answers only loopback host names")
            .into_response();
    }
    let presented = bearer(request.headers());
    let known = presented.is_some_and(|token| {
        same(token, &state.credentials.admin)
            || state
                .credentials
                .service_account
                .as_deref()
                .is_some_and(|sa| same(token, sa))
    });
    if !known {
        return ApiError::unauthorized().into_response();
    }
    next.run(request).await
}

/// The bearer token a request presents, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Compares tokens in time that does not depend on where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(v6, _)| v6)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Holds a request to the policy when it carries the service account's token; the cluster
/// admin's token (tests, kubectl with `--user sim-admin`) may do anything. Unknown tokens never
/// get here (`authenticate`).
pub(crate) fn authorize(
    state: &ApiState,
    headers: &HeaderMap,
    verb: &str,
    target: &Target,
) -> Result<(), ApiError> {
    use crate::sim::rbac::Request;
    let Some(policy) = &state.rbac else {
        return Ok(());
    };
    let presented = bearer(headers);
    let is_service_account = presented.is_some_and(|token| {
        state
            .credentials
            .service_account
            .as_deref()
            .is_some_and(|sa| same(token, sa))
    });
    if !is_service_account {
        return Ok(());
    }
    let t = &TYPES[target.type_id];
    let subresource;
    let resource = if target.status {
        subresource = format!("{}/status", t.plural);
        subresource.as_str()
    } else {
        t.plural
    };
    let request = |verb| Request {
        verb,
        group: t.group,
        resource,
        namespace: target.namespace.as_deref(),
    };
    let forbidden =
        |why: String| ApiError::forbidden(t, target.name.as_deref().unwrap_or_default(), &why);
    policy.authorize(&request(verb)).map_err(forbidden)?;
    // An apply that creates its object is also a create (as the API server checks it).
    if verb == "patch"
        && let Some(name) = &target.name
    {
        let key = Key::new(
            target.type_id,
            target.namespace.as_deref().unwrap_or(""),
            name,
        );
        if state.store.get(&key).is_err() {
            policy.authorize(&request("create")).map_err(forbidden)?;
        }
    }
    Ok(())
}
