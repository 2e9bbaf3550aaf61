//! The two HTTP routes of single sign-on: `/auth/login` starts a sign-in at the provider (the
//! `state`, nonce and PKCE verifier kept in the session), `/auth/callback` finishes it: the
//! answer checked (`oidc`), the user created or updated from the claims, their role and
//! memberships set from their groups, a new session. A refusal goes to the sign-in page with
//! the reason's code (`/login?sso=<code>`), which shows a sentence; never a token.

use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::oidc::{PendingSignIn, SIGN_IN_WINDOW};
use super::users::provider_accounts::{self, Provisioned};
use crate::domain::sign_in::SsoRefusal;
use crate::server::clock::now_ms;
use crate::server::state::AppState;

/// Session key: the sign-in started at the provider and not yet finished.
const PENDING: &str = "oidc_pending";
/// Session key: the user signed in through the provider (sign-out also ends its session).
const VIA_PROVIDER: &str = "oidc_signed_in";

/// What the provider's redirect back carries.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    /// The authorization code.
    code: Option<String>,
    /// The `state` we sent.
    state: Option<String>,
    /// The provider's error code (the person cancelled, or was refused).
    error: Option<String>,
    /// Set on our own second pass (see [`bounce`]).
    bounced: Option<String>,
}

/// `GET /auth/login`: sends the browser to the provider's sign-in page.
pub async fn start(State(state): State<AppState>, session: Session) -> Response {
    let Some(provider) = state.oidc.clone() else {
        return refuse(SsoRefusal::NotConfigured);
    };
    match provider.start().await {
        Ok((url, pending)) => {
            if let Err(error) = session.insert(PENDING, &pending).await {
                tracing::error!(%error, "single sign-on: cannot keep the sign-in in the session");
                return refuse(SsoRefusal::ProviderUnavailable);
            }
            Redirect::to(&url).into_response()
        }
        Err(refusal) => refuse(refusal),
    }
}

/// `GET /auth/callback`: finishes the sign-in the provider sent the browser back from.
pub async fn callback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let address = crate::server::net::client_address(
        peer.ip(),
        headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok()),
        &state.trusted_proxies,
    )
    .to_string();
    let pending = session
        .remove::<PendingSignIn>(PENDING)
        .await
        .unwrap_or_default();
    // The session cookie is SameSite=Strict: a browser coming back from a provider on another
    // site does not send it. Our own page, reloading the same URL, is a same-site navigation
    // that does.
    if pending.is_none()
        && query.bounced.is_none()
        && headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|site| site == "cross-site")
    {
        return bounce(&query);
    }
    match finish(&state, &session, pending, &query).await {
        Ok(name) => {
            crate::server::audit::sign_in(&state.db, &name, &address, true, "single sign-on").await;
            Redirect::to("/secrets").into_response()
        }
        Err((refusal, name)) => {
            tracing::info!(reason = refusal.code(), %address, "single sign-on refused");
            crate::server::audit::sign_in(
                &state.db,
                name.as_deref().unwrap_or_default(),
                &address,
                false,
                &format!("single sign-on: {}", refusal.code()),
            )
            .await;
            refuse(refusal)
        }
    }
}

/// Checks the answer against the pending sign-in, has the provider vouch for the person,
/// provisions them and starts their session; returns their name. A refusal carries the name
/// when the provider had already named the person.
async fn finish(
    state: &AppState,
    session: &Session,
    pending: Option<PendingSignIn>,
    query: &CallbackQuery,
) -> Result<String, (SsoRefusal, Option<String>)> {
    let provider = state
        .oidc
        .clone()
        .ok_or((SsoRefusal::NotConfigured, None))?;
    if query.error.is_some() {
        return Err((SsoRefusal::ProviderDenied, None));
    }
    let pending = pending.ok_or((SsoRefusal::UnknownAttempt, None))?;
    let answered = query.state.as_deref().unwrap_or_default();
    let window = i64::try_from(SIGN_IN_WINDOW.as_millis()).unwrap_or(i64::MAX);
    if !super::constant_time_eq(answered.as_bytes(), pending.state.as_bytes())
        || now_ms().saturating_sub(pending.started_at) > window
    {
        return Err((SsoRefusal::UnknownAttempt, None));
    }
    let code = query
        .code
        .as_deref()
        .filter(|code| !code.is_empty())
        .ok_or((SsoRefusal::ProviderDenied, None))?;
    let identity = provider
        .finish(&pending, code)
        .await
        .map_err(|refusal| (refusal, None))?;
    let name = identity.name.clone();
    let refused = |refusal| (refusal, Some(name.clone()));
    let user_id = match provider_accounts::provision(&state.db, &identity).await {
        Ok(Provisioned::User(id)) => id,
        Ok(Provisioned::NameTaken) => return Err(refused(SsoRefusal::LocalAccountExists)),
        Ok(Provisioned::Disabled) => return Err(refused(SsoRefusal::Disabled)),
        Err(error) => {
            tracing::error!(%error, "single sign-on: cannot record the user");
            return Err(refused(SsoRefusal::ProviderUnavailable));
        }
    };
    super::sign_in(session, user_id)
        .await
        .map_err(|_| refused(SsoRefusal::ProviderUnavailable))?;
    session
        .insert(VIA_PROVIDER, true)
        .await
        .map_err(|_| refused(SsoRefusal::ProviderUnavailable))?;
    tracing::info!(
        user_id,
        admin = identity.is_admin,
        projects = identity.projects.len(),
        "signed in through the identity provider"
    );
    Ok(name)
}

/// Where sign-out sends the browser to end the provider's session too: the provider's
/// end-session URL when this session signed in through it and the provider offers one.
/// Read before the session ends.
pub async fn provider_logout_url(state: &AppState, session: &Session) -> Option<String> {
    let provider = state.oidc.clone()?;
    let via_provider = session
        .get::<bool>(VIA_PROVIDER)
        .await
        .ok()
        .flatten()
        .unwrap_or(false);
    if !via_provider {
        return None;
    }
    provider.logout_url().await
}

/// To the sign-in page, which says why.
fn refuse(refusal: SsoRefusal) -> Response {
    Redirect::to(&format!("/login?sso={}", refusal.code())).into_response()
}

/// A page that loads the same callback again from our own site, so the browser sends the
/// session cookie (see [`callback`]).
fn bounce(query: &CallbackQuery) -> Response {
    let mut again = form_urlencoded::Serializer::new(String::new());
    for (key, value) in [
        ("code", &query.code),
        ("state", &query.state),
        ("error", &query.error),
    ] {
        if let Some(value) = value {
            again.append_pair(key, value);
        }
    }
    again.append_pair("bounced", "1");
    // Form-encoded: no quote or angle bracket survives; `&` is escaped for the attribute.
    let url = format!("/auth/callback?{}", again.finish()).replace('&', "&amp;");
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={url}\"><title>Signing in</title></head>\
         <body><p>Signing you in… <a href=\"{url}\">Continue</a></p></body></html>"
    ))
    .into_response()
}
