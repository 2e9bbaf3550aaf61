//! Server functions about the running system itself.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ServerInfo;

/// Version and database backend of the server, for the footer of platform admins; `None` for
/// anyone else (what runs where is of use to an attacker and of no use to them). Not an error
/// for them: every page loads it, and an error would become the page's status.
#[server(prefix = "/api", endpoint = "server_info")]
pub async fn get_server_info() -> Result<Option<ServerInfo>, AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (state, session) = context().await?;
            let admin = crate::server::auth::principal(&session, &state.db, state.session_lifetime)
                .await?
                .is_some_and(|principal| principal.is_admin);
            Ok(admin.then(|| crate::server::system::get_server_info(&state)))
        }
        .await,
    )
}

/// The one-time message for the page at `path`, taken: what the last form post did (a success
/// in words) or, after a plain HTML post that failed, the input (never a secret field) and the
/// error, so the page shows the form again. `None` when there is none for this page. Anyone
/// may ask, signed in or not: it is their own session's.
#[server(prefix = "/api", endpoint = "take_flash")]
pub async fn take_flash(path: String) -> Result<Option<crate::model::flash::Flash>, AppError> {
    use crate::server::api_support::{context, respond};
    respond(
        async {
            let (_, session) = context().await?;
            crate::server::form_posts::take(&session, &path).await
        }
        .await,
    )
}
