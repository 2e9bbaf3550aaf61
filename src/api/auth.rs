//! Sign in, sign out, and who is signed in.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::account::CurrentUser;

/// Signs in with email and password, then goes to the Secrets page. Unknown account and wrong
/// password give the same answer; repeated failures are throttled per account and address.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::server::api_support::{client_address, context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            let address = client_address(&state).await;
            crate::server::auth::login(&state, &session, &email, &password, &address).await?;
            leptos_axum::redirect("/secrets");
            Ok(())
        }
        .await,
    )
}

/// Signs out: the session is deleted on the server, so its cookie is worthless from now on.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout(csrf: String) -> Result<(), AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            crate::server::auth::require(&session, &state, &csrf).await?;
            crate::server::auth::sign_out(&session).await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// Ends every session of a user: the caller's own (no `user_id`, or their own id), or, for a
/// platform admin, anyone's. Final: no request still in flight can bring one back. Answers how
/// many sessions ended; signing oneself out everywhere then goes to the sign-in page.
#[server(prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere(csrf: String, user_id: Option<i64>) -> Result<i64, AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            let principal = crate::server::auth::require(&session, &state, &csrf).await?;
            let target = user_id.unwrap_or(principal.user_id);
            if target != principal.user_id && !principal.is_admin {
                return Err(AppError::Forbidden);
            }
            let ended = crate::server::auth::sign_out_everywhere(&state, target).await?;
            if target == principal.user_id {
                leptos_axum::redirect("/login");
            }
            Ok(ended)
        }
        .await,
    )
}

/// The signed-in user, or None.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            crate::server::auth::current_user(&state, &session).await
        }
        .await,
    )
}
