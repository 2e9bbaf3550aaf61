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
            if crate::server::auth::password_change_pending(&session)
                .await?
                .is_some()
            {
                // A reset password: a new one comes before anything else.
                leptos_axum::redirect("/password");
                return Ok(());
            }
            leptos_axum::redirect("/secrets");
            Ok(())
        }
        .await,
    )
}

/// Signs out: the session is deleted on the server, so its cookie is worthless from now on.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout(#[server(default)] csrf: String) -> Result<(), AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            let principal = crate::server::auth::require(&session, &state, &csrf).await?;
            // Signed in through the identity provider: its session ends too (RP-initiated
            // logout), and it sends the browser back to the sign-in page.
            let provider_logout =
                crate::server::auth::oidc_routes::provider_logout_url(&state, &session).await;
            crate::server::auth::sign_out(&session).await?;
            crate::server::audit::record_now(
                &state.db,
                &crate::server::api_support::actor(&principal),
                true,
                crate::server::audit::Entry {
                    action: "sign-out",
                    target: Some(&principal.email),
                    ..crate::server::audit::Entry::default()
                },
            )
            .await
            .map_err(|e| crate::server::errors::internal(&e))?;
            if provider_logout.is_some() {
                crate::server::form_posts::redirect_leaves_console();
            }
            leptos_axum::redirect(provider_logout.as_deref().unwrap_or("/login"));
            Ok(())
        }
        .await,
    )
}

/// Ends every session of a user: the caller's own (no `user_id`, or their own id), or, for a
/// platform admin, anyone's. Final: no request still in flight can bring one back. Answers how
/// many sessions ended; signing oneself out everywhere then goes to the sign-in page.
#[server(prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere(
    #[server(default)] csrf: String,
    user_id: Option<i64>,
) -> Result<i64, AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            let principal = crate::server::auth::require(&session, &state, &csrf).await?;
            let target = user_id.unwrap_or(principal.user_id);
            if target != principal.user_id && !principal.is_admin {
                return Err(AppError::Forbidden);
            }
            let email = crate::server::auth::users::people::email_of(&state.db, target).await?;
            let ended = crate::server::auth::sign_out_everywhere(&state, target).await?;
            crate::server::auth::users::people::audit_signed_out_everywhere(
                &state.db,
                &crate::server::api_support::actor(&principal),
                &email,
                ended,
            )
            .await?;
            if target == principal.user_id {
                leptos_axum::redirect("/login");
            }
            Ok(ended)
        }
        .await,
    )
}

/// Sets the new password after a sign-in with a reset one (`confirm` repeats it), then goes
/// to the Secrets page signed in. 401 unless this session just signed in with a reset password.
#[server(prefix = "/api", endpoint = "choose_password")]
pub async fn choose_password(password: String, confirm: String) -> Result<(), AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            crate::server::auth::choose_password(&state, &session, &password, &confirm).await?;
            leptos_axum::redirect("/secrets");
            Ok(())
        }
        .await,
    )
}

/// How people may sign in here: the single sign-on button's name, if configured, and whether
/// the email-and-password form is on.
#[server(prefix = "/api", endpoint = "sign_in_options")]
pub async fn sign_in_options() -> Result<crate::model::account::SignInOptions, AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, _session) = context().await?;
            Ok(crate::model::account::SignInOptions {
                single_sign_on: state.oidc.as_ref().map(|p| p.display_name().to_owned()),
                local_accounts: state.local_accounts,
            })
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
