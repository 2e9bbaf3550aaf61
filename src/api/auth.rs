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
            let address = client_address().await;
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
