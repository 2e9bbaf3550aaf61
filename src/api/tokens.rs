//! Personal API tokens: a person's own, and for platform admins everyone's. These are for the
//! signed-in browser only (a token cannot make or revoke tokens; see
//! `server::auth::token_uses`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::tokens::{CreatedToken, TokenRow};

/// The caller's own tokens, revoked ones included; never a token's text.
#[server(prefix = "/api", endpoint = "list_my_tokens")]
pub async fn list_my_tokens() -> Result<Vec<TokenRow>, AppError> {
    use crate::server::api_support::{reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            Ok(crate::server::auth::tokens::list(&state.db, Some(principal.user_id)).await?)
        }
        .await,
    )
}

/// Every user's tokens (platform admins only); never a token's text.
#[server(prefix = "/api", endpoint = "list_all_tokens")]
pub async fn list_all_tokens() -> Result<Vec<TokenRow>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, _) = reader_for(Action::ManageUsers).await?;
            Ok(crate::server::auth::tokens::list(&state.db, None).await?)
        }
        .await,
    )
}

/// Creates a token for the caller: `access` is `read-only` or `read-write`, and it works for
/// `expires_in_days`. The answer is the only one that ever carries the token's text; a form
/// posted without JavaScript finds it on the Tokens page it is sent back to, once.
#[server(prefix = "/api", endpoint = "create_token")]
pub async fn create_token(
    #[server(default)] csrf: String,
    name: String,
    access: String,
    expires_in_days: i64,
) -> Result<CreatedToken, AppError> {
    use crate::model::tokens::TokenAccess;
    use crate::server::api_support::{respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let access = TokenAccess::parse(&access)
                .ok_or_else(|| AppError::validation("access", "Choose read-only or read-write."))?;
            let created = crate::server::auth::tokens::create(
                &state.db,
                &principal,
                &name,
                access,
                expires_in_days,
            )
            .await?;
            if is_plain_form_post().await {
                state.token_reveals.hold(principal.user_id, created.clone());
            }
            Ok(created)
        }
        .await,
    )
}

/// Revokes a token at once: the caller's own, or anyone's for a platform admin. Answers its
/// name.
#[server(prefix = "/api", endpoint = "revoke_token")]
pub async fn revoke_token(#[server(default)] csrf: String, id: i64) -> Result<String, AppError> {
    use crate::server::api_support::{respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let name = crate::server::auth::tokens::revoke(&state.db, &principal, id).await?;
            crate::server::form_posts::notice(&format!("Token {name} revoked."));
            Ok(name)
        }
        .await,
    )
}

/// The token the caller just created with a form posted without JavaScript, once; None
/// afterwards.
#[server(prefix = "/api", endpoint = "take_created_token")]
pub async fn take_created_token() -> Result<Option<CreatedToken>, AppError> {
    use crate::server::api_support::{reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            Ok(state.token_reveals.take(principal.user_id))
        }
        .await,
    )
}

/// Whether this request is a browser's plain form post (its `Accept` names `text/html`), not
/// the bundle's call.
#[cfg(feature = "ssr")]
async fn is_plain_form_post() -> bool {
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
