//! What every server function needs: the application state, the session, the caller, and a
//! way to answer with the right HTTP status.

use axum::extract::ConnectInfo;
use leptos::prelude::*;
use tower_sessions::Session;

use super::audit::{self, Actor, Entry};
use super::secrets::{self, SecretAccess};
use super::state::AppState;
use crate::domain::permissions::{Action, Denied, Principal, Target, authorize};
use crate::error::AppError;

/// The state and session of the current request.
pub async fn context() -> Result<(AppState, Session), AppError> {
    let state = use_context::<AppState>().ok_or_else(super::errors::missing_state)?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| super::errors::internal(&format!("no session layer: {e}")))?;
    Ok((state, session))
}

/// The client's address: the TCP peer, or what a trusted proxy says in `X-Forwarded-For`
/// (`--trusted-proxies`).
pub async fn client_address(state: &AppState) -> String {
    let Ok(ConnectInfo(peer)) = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>().await
    else {
        return "unknown".to_owned();
    };
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok());
    super::net::client_address(peer.ip(), forwarded, &state.trusted_proxies).to_string()
}

/// Sets the HTTP status of a failed server function to the error's own.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = axum::http::StatusCode::from_u16(error.status())
    {
        response.set_status(status);
        if let crate::error::AppError::Busy { retry_after, .. } = error {
            response.insert_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after),
            );
        }
    }
    result
}

/// The state and the signed-in caller, for reads: 401 without a session.
pub async fn reader() -> Result<(AppState, Principal), AppError> {
    let (state, session) = context().await?;
    let principal = signed_in(&state, &session).await?;
    Ok((state, principal))
}

/// The state and the signed-in caller, for changes: 401 without a session, 403 when `csrf` is
/// not the session's token.
/// With an API token (see `auth::bearer`) no CSRF token is needed: a browser never sends the
/// token by itself; a read-only token is refused (the bearer layer already refused it for
/// every change it knows of).
pub async fn writer(csrf: &str) -> Result<(AppState, Principal), AppError> {
    let (state, session) = context().await?;
    if let Some(caller) = token_caller().await {
        if caller.access == crate::model::tokens::TokenAccess::ReadOnly {
            return Err(AppError::Forbidden);
        }
        return Ok((state, caller.principal));
    }
    let principal = super::auth::require(&session, &state, csrf).await?;
    Ok((state, principal))
}

/// [`reader`], then `action` on nothing in particular (a list, an admin area).
pub async fn reader_for(action: Action) -> Result<(AppState, Principal), AppError> {
    let (state, principal) = reader().await?;
    check(&state, &principal, action, &Target::Global, None).await?;
    Ok((state, principal))
}

/// [`writer`], then `action` on nothing in particular (an admin area).
pub async fn writer_for(csrf: &str, action: Action) -> Result<(AppState, Principal), AppError> {
    let (state, principal) = writer(csrf).await?;
    check(&state, &principal, action, &Target::Global, None).await?;
    Ok((state, principal))
}

/// The members-only part of a sync: all of a secret's assignments for an admin (`None`), only
/// the caller's own projects' for a team member.
pub fn sync_scope(principal: &Principal, access: &SecretAccess) -> Option<Vec<i64>> {
    (!principal.is_admin).then(|| {
        access
            .assigned
            .iter()
            .copied()
            .filter(|p| principal.is_member_of(*p))
            .collect()
    })
}

/// The signed-in caller, for reads: 401 without a session.
/// A request with an API token acts as the token's user.
pub async fn signed_in(state: &AppState, session: &Session) -> Result<Principal, AppError> {
    if let Some(caller) = token_caller().await {
        return Ok(caller.principal);
    }
    super::auth::principal(session, &state.db, state.session_lifetime)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// The API token the request came with, once the bearer layer accepted it; None for a browser
/// session.
pub async fn token_caller() -> Option<super::auth::bearer::TokenCaller> {
    leptos_axum::extract::<axum::Extension<super::auth::bearer::TokenCaller>>()
        .await
        .ok()
        .map(|axum::Extension(caller)| caller)
}

/// The audit actor for a principal.
pub fn actor(principal: &Principal) -> Actor {
    Actor::new(principal.email.clone())
}

/// Authorizes `action` on an existing secret; a refusal of something the caller can see is
/// audited. Returns the secret's access facts.
pub async fn authorize_secret(
    state: &AppState,
    principal: &Principal,
    action: Action,
    secret_id: i64,
) -> Result<SecretAccess, AppError> {
    let access = secrets::access(&state.db, secret_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = Target::Secret {
        scope: access.scope,
        owner: access.owner,
        assigned: &access.assigned,
    };
    check(state, principal, action, &target, Some(&access)).await?;
    Ok(access)
}

/// Authorizes `action` on `target`, auditing a refusal of something the caller may see.
pub async fn check(
    state: &AppState,
    principal: &Principal,
    action: Action,
    target: &Target<'_>,
    secret: Option<&SecretAccess>,
) -> Result<(), AppError> {
    match authorize(Some(principal), action, target) {
        Ok(()) => Ok(()),
        Err(Denied::Forbidden) => {
            let mut conn = state
                .db
                .pool()
                .acquire()
                .await
                .map_err(|e| super::errors::internal(&e))?;
            let action_name = format!("{action:?}");
            audit::record_denied(
                &mut conn,
                &actor(principal),
                Entry {
                    action: &action_name,
                    secret_id: secret.map(|s| s.id),
                    secret_name: secret.map(|s| s.name.as_str()),
                    ..Entry::default()
                },
            )
            .await
            .map_err(|e| super::errors::internal(&e))?;
            Err(AppError::Forbidden)
        }
        Err(denied) => Err(denied.into()),
    }
}
