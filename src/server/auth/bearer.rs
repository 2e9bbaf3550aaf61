//! Requests to server functions that carry `Authorization: Bearer <token>`: a script acting
//! with its user's permissions, never more, without a cookie or a CSRF token.
//!
//! This layer, around every server function, settles such a request before it reaches one:
//! - a request a browser sent is refused (403): one that also carries a cookie (which identity
//!   would act?), or one the browser marks as coming from another site (`Sec-Fetch-Site` other
//!   than `same-origin`, or an `Origin` that is not this host). Browsers already need a CORS
//!   preflight to send `Authorization` across sites, which this server never grants; the check
//!   keeps that true behind a proxy that would add permissive CORS headers, and keeps tokens
//!   what they are for: scripts, which send none of these headers;
//! - the server function must be usable with a token ([`token_uses`](super::token_uses)): a
//!   change needs a read-write token (403), sign-in and the tokens themselves need a session;
//! - an unknown, expired or revoked token, or one whose user is disabled, is 401, and says
//!   which;
//! - otherwise the request carries a [`TokenCaller`], which `api_support` takes instead of the
//!   session's user, and needs no CSRF token: a browser never sends the header by itself.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::token_uses::{Use, use_of};
use super::tokens::{self, Checked};
use crate::domain::permissions::Principal;
use crate::model::tokens::TokenAccess;
use crate::server::state::AppState;

/// The caller of a request authenticated with an API token.
#[derive(Debug, Clone)]
pub struct TokenCaller {
    /// The token's user, with their permissions as they are now.
    pub principal: Principal,
    /// The token's id.
    pub token_id: i64,
    /// What the token may do.
    pub access: TokenAccess,
}

/// The layer (see the module's documentation).
pub async fn bearer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(endpoint) = request
        .uri()
        .path()
        .strip_prefix("/api/")
        .map(str::to_owned)
    else {
        return next.run(request).await;
    };
    let Some(authorization) = request.headers().get(header::AUTHORIZATION) else {
        return next.run(request).await;
    };
    if let Some(signal) = browser_signal(request.headers()) {
        tracing::warn!(%endpoint, signal, "API token from a browser refused");
        return refuse(
            StatusCode::FORBIDDEN,
            &format!(
                "API tokens are for scripts; this request came from a browser ({signal}). Sign \
                 in to use the console from a browser."
            ),
        );
    }
    let Some(token) = authorization
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
    else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Send an API token as `Authorization: Bearer scn_…`.",
        );
    };
    let usable = use_of(&endpoint);
    if matches!(usable, None | Some(Use::SessionOnly)) {
        return refuse(
            StatusCode::FORBIDDEN,
            &format!("`{endpoint}` cannot be called with an API token; sign in to the console."),
        );
    }
    let caller = match tokens::check(&state.db, &token).await {
        Ok(Checked::Valid {
            token_id,
            user_id,
            access,
        }) => match super::users::principal(&state.db, user_id).await {
            Ok(Some(principal)) => TokenCaller {
                principal,
                token_id,
                access,
            },
            Ok(None) => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "This API token's user is disabled; it works again only if they are enabled.",
                );
            }
            Err(error) => return failed(&error),
        },
        Ok(Checked::Unknown) => {
            return refuse(StatusCode::UNAUTHORIZED, "This API token is not valid.");
        }
        Ok(Checked::Expired) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "This API token has expired; create a new one on the Tokens page.",
            );
        }
        Ok(Checked::Revoked) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "This API token was revoked; create a new one on the Tokens page.",
            );
        }
        Err(error) => return failed(&error),
    };
    if usable == Some(Use::Write) && caller.access == TokenAccess::ReadOnly {
        return refuse(
            StatusCode::FORBIDDEN,
            &format!(
                "This API token is read-only and `{endpoint}` changes something; use a \
                 read-write token."
            ),
        );
    }
    tracing::debug!(token_id = caller.token_id, %endpoint, "API token request");
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Why a request looks like a browser's (see the module's documentation), or None.
fn browser_signal(headers: &HeaderMap) -> Option<&'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if headers.contains_key(header::COOKIE) {
        return Some("it carries a cookie");
    }
    if header("sec-fetch-site").is_some_and(|site| site != "same-origin") {
        return Some("from another site");
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host))
            if origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)) =>
        {
            None
        }
        (Some(_), _) => Some("from another origin"),
        (None, _) => None,
    }
}

/// An unexpected failure (logged with a reference): 500, the reference in the body.
fn failed(error: &dyn std::fmt::Display) -> Response {
    let error = crate::server::errors::internal(error);
    let body = serde_json::to_string(&error).unwrap_or_default();
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// A refusal as the server functions' errors look (JSON with `kind`), with a `message` a
/// person can act on; a 401 also says so in `WWW-Authenticate` (RFC 6750).
fn refuse(status: StatusCode, message: &str) -> Response {
    let kind = if status == StatusCode::UNAUTHORIZED {
        "unauthorized"
    } else {
        "forbidden"
    };
    let body = serde_json::json!({ "kind": kind, "message": message }).to_string();
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn a_script_sends_no_browser_signal() {
        assert_eq!(
            browser_signal(&headers(&[("host", "console.example")])),
            None
        );
        assert_eq!(
            browser_signal(&headers(&[
                ("host", "console.example"),
                ("origin", "https://console.example"),
                ("sec-fetch-site", "same-origin"),
            ])),
            None
        );
    }

    #[test]
    fn a_browser_from_another_site_or_with_a_cookie_is_refused() {
        assert!(browser_signal(&headers(&[("cookie", "sc_session=x")])).is_some());
        assert!(browser_signal(&headers(&[("sec-fetch-site", "cross-site")])).is_some());
        assert!(browser_signal(&headers(&[("sec-fetch-site", "same-site")])).is_some());
        assert!(
            browser_signal(&headers(&[
                ("host", "console.example"),
                ("origin", "https://evil.example"),
            ]))
            .is_some()
        );
    }
}
