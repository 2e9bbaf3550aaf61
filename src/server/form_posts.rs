//! Forms posted without JavaScript, and what a page says after a form post.
//!
//! A browser without the WASM bundle posts a form straight to its server function. server_fn
//! answers such a post (its `Accept` names `text/html`; the bundle's own calls ask for JSON)
//! with a redirect back to the form's page, but a failed one kept the error's status and
//! showed the person raw JSON, the error encoded in the URL. This layer, around every server
//! function, makes one behaviour of it for every form:
//!
//! - failed: the person's input (less every secret field, see
//!   [`is_secret_field`](crate::model::flash::is_secret_field)) and the error are kept in the
//!   session as a one-time [`Flash`] for the form's page, and the browser is sent back there
//!   (303, nothing in the URL), where the form is shown again as it was sent, each problem
//!   beside its field;
//! - succeeded: a server function's [`notice`] ("Secret db-password created.") is kept for the
//!   page the browser is sent to next, for the plain post and for the bundle's call that
//!   navigates alike, and a plain post's redirect becomes a 303;
//! - succeeded with a text to show once (a temporary password, see [`show_once`]): a plain
//!   post gets a page showing it as its response, no redirect, so that the text is never kept
//!   for a later request (a flash must never hold a secret).
//!
//! The page takes its flash when it loads ([`take`], through a server function), so the
//! server-rendered page and the hydrated one agree.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::error::AppError;
use crate::model::flash::{FailedPost, Flash, is_secret_field};

mod once_page;

/// The session key of the flash.
const FLASH: &str = "flash";

/// The (internal) response header a server function names its success in; never sent on.
const NOTICE_HEADER: &str = "x-console-notice";

/// The (internal) response header a server function asks in for its answer to be shown once
/// to a plain form post ([`show_once`]); never sent on.
const SHOW_ONCE_HEADER: &str = "x-console-show-once";

/// The (internal) response header a server function asks in for a failed plain post's input
/// not to be kept ([`forget_input`]); never sent on.
const FORGET_INPUT_HEADER: &str = "x-console-forget-input";
/// Set by a server function whose redirect leaves the console on purpose (see
/// [`redirect_leaves_console`]); removed before the answer goes out.
const LEAVES_CONSOLE_HEADER: &str = "x-console-leaves";

/// Largest answer read back to be shown once.
const MAX_SHOWN_BODY: usize = 4 * 1024;

/// Largest form body kept to be shown again (larger posts are only refused, not echoed):
/// the body limit of the whole router.
const MAX_ECHOED_BODY: usize = 4 * 1024 * 1024;

/// Largest error body read back from a server function.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The flash as the session keeps it: for which page.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// The path (no query) of the page it is for.
    path: String,
    flash: Flash,
}

/// Says, from inside a server function, what its success did, for the page the browser is
/// sent to next (see the module's documentation).
pub fn notice(message: &str) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = HeaderValue::from_str(&percent_encode(message))
    {
        response.insert_header(header::HeaderName::from_static(NOTICE_HEADER), value);
    }
}

/// Says, from inside a server function that answers a text meant to be seen once (a
/// temporary password), that a form posted without JavaScript is answered with a page showing
/// it under `title`, with `note` beneath, and not with a redirect (see the module's
/// documentation). The bundle's call gets its answer as always.
pub fn show_once(title: &str, note: &str) {
    let value = format!("{}.{}", percent_encode(title), percent_encode(note));
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
        && let Ok(value) = HeaderValue::from_str(&value)
    {
        response.insert_header(header::HeaderName::from_static(SHOW_ONCE_HEADER), value);
    }
}

/// Says, from inside a server function, that if this plain form post fails its input is not
/// to be kept to be shown again (a pasted manifest that may be a Secret with its values): the
/// page shows only why it was refused.
pub fn forget_input() {
    flag(FORGET_INPUT_HEADER);
}

/// Says, from inside a server function, that its redirect leaves the console on purpose (the
/// identity provider's end-session page, from the server's own configuration): a plain form
/// post follows it as it is, where every other redirect is made local (no open redirect).
pub fn redirect_leaves_console() {
    flag(LEAVES_CONSOLE_HEADER);
}

/// Sets the internal response header `name` (one of this module's, removed by [`form_posts`])
/// on the current server function's answer.
fn flag(name: &'static str) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            header::HeaderName::from_static(name),
            HeaderValue::from_static("1"),
        );
    }
}

/// The flash for the page at `path`, taken: it is shown once. Another page's is left alone.
pub async fn take(session: &Session, path: &str) -> Result<Option<Flash>, AppError> {
    let stored: Option<Stored> = session
        .get(FLASH)
        .await
        .map_err(|e| super::errors::internal(&e))?;
    match stored {
        Some(stored) if stored.path == path_only(path) => {
            session
                .remove::<Stored>(FLASH)
                .await
                .map_err(|e| super::errors::internal(&e))?;
            Ok(Some(stored.flash))
        }
        _ => Ok(None),
    }
}

/// The layer (see the module's documentation).
pub async fn form_posts(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let endpoint = request.uri().path().trim_start_matches("/api/").to_owned();
    let session = request.extensions().get::<Session>().cloned();
    let plain = is_plain_form_post(request.headers());
    let back = back_to(request.headers());
    let (request, input) = if plain {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, MAX_ECHOED_BODY).await else {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        let input = kept_fields(&bytes);
        (Request::from_parts(parts, Body::from(bytes)), input)
    } else {
        (request, Vec::new())
    };
    let mut response = next.run(request).await;
    let notice = response
        .headers_mut()
        .remove(NOTICE_HEADER)
        .and_then(|v| v.to_str().ok().map(percent_decode));
    let show_once = response
        .headers_mut()
        .remove(SHOW_ONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_owned));
    let forget_input = response.headers_mut().remove(FORGET_INPUT_HEADER).is_some();
    let leaves = response
        .headers_mut()
        .remove(LEAVES_CONSOLE_HEADER)
        .is_some();
    let Some(session) = session else {
        return response;
    };
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|to| if leaves { to.to_owned() } else { local(to) });
    if !plain {
        // The bundle's call that navigates (server_fn's redirect header): the notice is for
        // where it goes.
        if let (Some(notice), Some(to)) = (notice, &location)
            && response.headers().contains_key("serverfnredirect")
        {
            keep(&session, to, Flash::notice(notice)).await;
        }
        return response;
    }
    let failed = response.status().is_client_error()
        || response.status().is_server_error()
        || response.headers().contains_key("serverfnerror");
    if failed {
        let (_, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        let error = serde_json::from_slice::<AppError>(&bytes).unwrap_or(AppError::Internal {
            id: "unrecorded".to_owned(),
        });
        let flash = Flash {
            notice: None,
            failed: Some(FailedPost {
                endpoint,
                input: if forget_input { Vec::new() } else { input },
                error,
            }),
        };
        keep(&session, &back, flash).await;
        return see_other(&back);
    }
    if let Some(asked) = show_once {
        let (_, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_SHOWN_BODY)
            .await
            .unwrap_or_default();
        let (title, note) = asked.split_once('.').unwrap_or((&asked, ""));
        if let Ok(Some(text)) = serde_json::from_slice::<Option<String>>(&bytes) {
            return once_page::OncePage {
                title: &percent_decode(title),
                text: &text,
                note: &percent_decode(note),
                back: &back,
            }
            .response();
        }
        tracing::error!("a form's answer to show once could not be read");
    }
    let to = location.unwrap_or(back);
    if let Some(notice) = notice {
        keep(&session, &to, Flash::notice(notice)).await;
    }
    see_other(&to)
}

impl Flash {
    /// A success's message alone.
    fn notice(message: String) -> Self {
        Flash {
            notice: Some(message),
            failed: None,
        }
    }
}

/// Keeps `flash` for the page at `to`. A session that cannot be written loses the message,
/// not the request.
async fn keep(session: &Session, to: &str, flash: Flash) {
    let stored = Stored {
        path: path_only(to).to_owned(),
        flash,
    };
    if let Err(error) = session.insert(FLASH, stored).await {
        tracing::warn!(%error, "the form's message could not be kept in the session");
    }
}

/// A 303 to `to`: the browser GETs the page.
fn see_other(to: &str) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Whether the request is a browser's plain HTML form post, not the bundle's call.
fn is_plain_form_post(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Where the form was: the `Referer`'s path and query, without server_fn's error parameters;
/// `/` when there is none.
fn back_to(headers: &HeaderMap) -> String {
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("/");
    local(referer)
}

/// The path and query of `url` (absolute, as server_fn sends back to the `Referer`, or a path
/// already), without server_fn's error parameters. Only the path is ever used: the way back
/// is always on this site (the same-origin layer has already refused posts from others).
fn local(url: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest
            .split_once('/')
            .map_or_else(|| "/".to_owned(), |(_, path)| format!("/{path}")),
        None => url.to_owned(),
    };
    if !path.starts_with('/') || path.starts_with("//") {
        return "/".to_owned();
    }
    strip_error_info(&path)
}

/// `to` without server_fn's `__path` and `__err` query parameters.
fn strip_error_info(to: &str) -> String {
    let Some((path, query)) = to.split_once('?') else {
        return to.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && !pair.starts_with("__path=") && !pair.starts_with("__err=")
        })
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// The path of `to`, without its query or fragment.
fn path_only(to: &str) -> &str {
    to.split(['?', '#']).next().unwrap_or(to)
}

/// The fields of a form body worth showing again: every one but the secret ones.
fn kept_fields(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .filter(|(name, _)| !is_secret_field(name))
        .collect()
}

/// Decodes a header value [`percent_encode`] wrote.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Encodes `text` for a header value: every byte but letters and digits as `%XX`.
fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_form_is_kept_without_its_values_and_token() {
        let body = Bytes::from_static(
            b"csrf=tok&form%5Bname%5D=db-pass&form%5Bkey%5D%5B0%5D=password\
              &form%5Bvalue%5D%5B0%5D=canary+1&form%5Bdescription%5D=two+words%21",
        );
        let kept = kept_fields(&body);
        assert_eq!(
            kept,
            [
                ("form[name]".to_owned(), "db-pass".to_owned()),
                ("form[key][0]".to_owned(), "password".to_owned()),
                ("form[description]".to_owned(), "two words!".to_owned()),
            ]
        );
    }

    #[test]
    fn the_way_back_is_a_page_of_this_site_without_error_parameters() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("console.local:3000"));
        assert_eq!(back_to(&headers), "/");
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("http://console.local:3000/secrets?page=2&__path=x&__err=y"),
        );
        assert_eq!(back_to(&headers), "/secrets?page=2");
        headers.insert(
            header::REFERER,
            HeaderValue::from_static("https://elsewhere.example//evil.example/x"),
        );
        assert_eq!(back_to(&headers), "/", "never another site");
        assert_eq!(path_only("/secrets?page=2"), "/secrets");
        assert_eq!(local("http://console.local:3000/secrets/5"), "/secrets/5");
        assert_eq!(local("/secrets/5?__path=x&__err=y"), "/secrets/5");
    }

    #[test]
    fn an_empty_query_leaves_no_question_mark() {
        assert_eq!(strip_error_info("/tokens?"), "/tokens");
        assert_eq!(
            strip_error_info("/projects/payments?&"),
            "/projects/payments"
        );
        assert_eq!(strip_error_info("/secrets?q=db&"), "/secrets?q=db");
    }

    #[test]
    fn a_notice_survives_its_header() {
        let message = "Secret db-password created — in 2 projects.";
        assert_eq!(percent_decode(&percent_encode(message)), message);
        assert!(HeaderValue::from_str(&percent_encode(message)).is_ok());
    }
}
