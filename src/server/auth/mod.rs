//! Sign-in: local accounts with argon2id passwords, sessions, login throttling.

pub mod bearer;
pub mod oidc;
pub mod oidc_routes;
pub mod request_memo;
pub mod throttle;
pub mod token_reveal;
pub mod token_uses;
pub mod tokens;
pub mod users;

use tower_sessions::Session;

use crate::domain::permissions::{Principal, user_permissions};
use crate::error::AppError;
use crate::model::account::CurrentUser;
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::state::AppState;

use crate::server::db::session_store::USER_ID;
/// Session key: when the user signed in (Unix ms), for the absolute timeout.
const SIGNED_IN_AT: &str = "signed_in_at";
/// Session key: the anti-CSRF token every state-changing request must echo.
const CSRF: &str = "csrf";
/// Session key: the user who signed in with a reset password and must choose a new one before
/// anything else (not signed in until they do), and since when (Unix ms).
const PENDING_PASSWORD: &str = "pending_password";
/// How long a sign-in with a reset password waits for the new password.
const PENDING_PASSWORD_MS: i64 = 15 * 60 * 1000;

fn session_error(error: impl std::fmt::Display) -> AppError {
    crate::server::errors::internal(&format!("session store: {error}"))
}

/// Starts a signed-in session: a new session id (so a session fixed before sign-in is
/// worthless), the user, the time, and a fresh CSRF token.
pub async fn sign_in(session: &Session, user_id: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_ID, user_id)
        .await
        .map_err(session_error)?;
    session
        .insert(SIGNED_IN_AT, now_ms())
        .await
        .map_err(session_error)?;
    session
        .insert(CSRF, new_token())
        .await
        .map_err(session_error)?;
    Ok(())
}

/// Ends the session on the server: its record is deleted, so the cookie is worthless.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// Ends every session of `user_id` (their cookies are worthless from now on); returns how
/// many there were.
pub async fn sign_out_everywhere(state: &AppState, user_id: i64) -> Result<i64, AppError> {
    let ended = crate::server::db::session_store::DbSessionStore::new(state.db.clone())
        .delete_for_user(user_id)
        .await
        .map_err(|e| crate::server::errors::internal(&e))?;
    // Open pages of theirs lose their live stream now, not at its next session check.
    state.live.end_user_streams(user_id);
    tracing::info!(user_id, ended, "signed out everywhere");
    Ok(i64::try_from(ended).unwrap_or(i64::MAX))
}

/// The user who signed in with a reset password and must choose a new one (see `login`), if
/// that sign-in was less than 15 minutes ago.
pub async fn password_change_pending(session: &Session) -> Result<Option<i64>, AppError> {
    let pending = session
        .get::<(i64, i64)>(PENDING_PASSWORD)
        .await
        .map_err(session_error)?;
    Ok(pending
        .filter(|(_, since)| now_ms().saturating_sub(*since) <= PENDING_PASSWORD_MS)
        .map(|(user_id, _)| user_id))
}

/// Sets the new password of the user whose sign-in waits for one, then signs them in.
pub async fn choose_password(
    state: &AppState,
    session: &Session,
    password: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let user_id = password_change_pending(session)
        .await?
        .ok_or(AppError::Unauthorized)?;
    users::people::choose_password(&state.db, user_id, password, confirm).await?;
    session
        .remove::<(i64, i64)>(PENDING_PASSWORD)
        .await
        .map_err(session_error)?;
    sign_in(session, user_id).await?;
    tracing::info!(user_id, "new password chosen; signed in");
    Ok(())
}

/// The signed-in user, or None (no session, past its `lifetime` since sign-in, disabled
/// user). Needs only the database: the event streams and metrics ask it too.
pub async fn principal(
    session: &Session,
    db: &Db,
    lifetime: std::time::Duration,
) -> Result<Option<Principal>, AppError> {
    let Some(user_id) = session.get::<i64>(USER_ID).await.map_err(session_error)? else {
        return Ok(None);
    };
    let signed_in_at = session
        .get::<i64>(SIGNED_IN_AT)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    let lifetime_ms = i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX);
    if now_ms().saturating_sub(signed_in_at) > lifetime_ms {
        sign_out(session).await?;
        return Ok(None);
    }
    // Once per page render: the shell and the page's loads each ask (see `request_memo`).
    let found = match leptos::prelude::use_context::<request_memo::PrincipalMemo>() {
        Some(memo) => {
            memo.get_or_load(user_id, || users::principal(db, user_id))
                .await
        }
        None => users::principal(db, user_id).await,
    };
    found.map_err(|e| crate::server::errors::internal(&e))
}

/// The session's CSRF token (created on first use, also for anonymous sessions).
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(token) = session.get::<String>(CSRF).await.map_err(session_error)? {
        return Ok(token);
    }
    let token = new_token();
    session.insert(CSRF, &token).await.map_err(session_error)?;
    Ok(token)
}

/// Checks the CSRF token a state-changing request carries against the session's.
pub async fn check_csrf(session: &Session, presented: &str) -> Result<(), AppError> {
    let expected = session.get::<String>(CSRF).await.map_err(session_error)?;
    match expected {
        Some(expected) if constant_time_eq(expected.as_bytes(), presented.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// The signed-in user for a state-changing request: 401 without a session, 403 when the
/// CSRF token does not match.
pub async fn require(
    session: &Session,
    state: &AppState,
    csrf: &str,
) -> Result<Principal, AppError> {
    let principal = principal(session, &state.db, state.session_lifetime)
        .await?
        .ok_or(AppError::Unauthorized)?;
    check_csrf(session, csrf).await?;
    Ok(principal)
}

/// Longest email address a sign-in looks at (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest password a sign-in hashes.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// How long a sign-in waits for a free password check before the server says it is busy.
const PASSWORD_CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Checks credentials and starts a session. The same message for an unknown account and a
/// wrong password. Failures refuse the pair (account, client address) and slow the account
/// (see `throttle`); password checks take turns (`--password-checks` at once), so a flood of
/// sign-ins costs time, not memory.
pub async fn login(
    state: &AppState,
    session: &Session,
    email: &str,
    password: &str,
    address: &str,
) -> Result<(), AppError> {
    const REFUSED: &str = "Wrong email or password.";
    if !state.local_accounts {
        return Err(AppError::validation(
            "password",
            "Signing in with a password is turned off on this console: use the single sign-on \
             button instead.",
        ));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::validation(
            "email",
            format!("An email address has at most {MAX_EMAIL_CHARS} characters."),
        ));
    }
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::validation(
            "password",
            format!("A password has at most {MAX_PASSWORD_CHARS} characters."),
        ));
    }
    let attempt = state.throttle.begin(email, address).map_err(|wait| {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        AppError::validation(
            "password",
            format!(
                "Too many failed sign-ins for this account from your address. Try again in \
                 {minutes} minute(s), or sign in from another network."
            ),
        )
    })?;
    if !attempt.delay.is_zero() {
        tokio::time::sleep(attempt.delay).await;
    }
    let permit =
        match tokio::time::timeout(PASSWORD_CHECK_WAIT, state.password_checks.acquire()).await {
            Ok(Ok(permit)) => permit,
            _ => {
                state.throttle.cancel(attempt);
                tracing::warn!("sign-in refused: every password check is busy");
                return Err(AppError::Busy {
                    message: "The server is busy checking other sign-ins. Try again in a few \
                              seconds."
                        .to_owned(),
                    retry_after: 5,
                });
            }
        };
    let user = users::verify_credentials(&state.db, email, password).await;
    drop(permit);
    let user = match user {
        Ok(user) => user,
        Err(error) => {
            state.throttle.cancel(attempt);
            return Err(AppError::from(error));
        }
    };
    match user {
        Some(user_id) => {
            state.throttle.succeed(attempt);
            crate::server::audit::sign_in(&state.db, email, address, true, "password").await;
            if users::people::must_change_password(&state.db, user_id).await? {
                // Not signed in yet: the next step is choosing a new password, nothing else.
                session.cycle_id().await.map_err(session_error)?;
                session
                    .insert(PENDING_PASSWORD, (user_id, now_ms()))
                    .await
                    .map_err(session_error)?;
                tracing::info!(user_id, "signed in with a reset password");
                return Ok(());
            }
            sign_in(session, user_id).await?;
            tracing::info!(user_id, "signed in");
            Ok(())
        }
        None => {
            tracing::info!(%address, "sign-in refused");
            crate::server::audit::sign_in(
                &state.db,
                email,
                address,
                false,
                "wrong email or password",
            )
            .await;
            Err(AppError::validation("password", REFUSED))
        }
    }
}

/// The signed-in user as the UI sees them, or None.
pub async fn current_user(
    state: &AppState,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(principal) = principal(session, &state.db, state.session_lifetime).await? else {
        return Ok(None);
    };
    let mine = crate::domain::permissions::Visibility::Projects(principal.projects.clone());
    let projects = crate::server::projects::names(&state.db, &mine)
        .await
        .map_err(AppError::from)?;
    Ok(Some(CurrentUser {
        permissions: user_permissions(&principal),
        email: principal.email,
        is_admin: principal.is_admin,
        projects,
        csrf_token: csrf_token(session).await?,
    }))
}

fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Compares two secrets in time that depends on their length only.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
