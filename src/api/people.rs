//! Server functions for people (admins only): disable and enable a user, change their role,
//! reset their password. Each change is one audit entry; a disabled user's or a reset user's
//! sessions end at once.

use leptos::prelude::*;

use crate::error::AppError;

/// Disables (`disabled`) or enables a user (admins only). Disabling ends every session of
/// theirs at once, open pages' live streams included. Refused when it would leave no enabled
/// platform admin.
#[server(prefix = "/api", endpoint = "set_user_disabled")]
pub async fn set_user_disabled(
    #[server(default)] csrf: String,
    user_id: i64,
    disabled: bool,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageUsers).await?;
            let email = crate::server::auth::users::people::set_disabled(
                &state.db,
                &actor(&principal),
                user_id,
                disabled,
            )
            .await?;
            if disabled {
                crate::server::auth::sign_out_everywhere(&state, user_id).await?;
                crate::server::form_posts::notice(&format!(
                    "{email} disabled: signed out everywhere, and cannot sign in."
                ));
            } else {
                crate::server::form_posts::notice(&format!("{email} enabled."));
            }
            tracing::info!(user_id, disabled, "user disabled or enabled");
            Ok(())
        }
        .await,
    )
}

/// Makes a user a platform admin or a team member (admins only); takes effect at their next
/// request. Refused for single sign-on users (the identity provider decides) and when it would
/// leave no enabled platform admin.
#[server(prefix = "/api", endpoint = "set_user_role")]
pub async fn set_user_role(
    #[server(default)] csrf: String,
    user_id: i64,
    is_admin: bool,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, respond, writer_for};
    use crate::server::auth::users::people;
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageUsers).await?;
            let email = people::set_role(&state.db, &actor(&principal), user_id, is_admin).await?;
            crate::server::form_posts::notice(&format!(
                "{email} is now a {}.",
                crate::server::auth::users::role_name(is_admin)
            ));
            Ok(())
        }
        .await,
    )
}

/// Resets a user's local password (admins only) to `password`, or, left empty, to a temporary
/// password answered here once (never stored but as its hash, never logged; a form posted
/// without JavaScript gets a page showing it as the post's response). The user must
/// choose a new one at their next sign-in before anything else; their sessions end now.
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(
    #[server(default)] csrf: String,
    user_id: i64,
    #[server(default)] password: String,
) -> Result<Option<String>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, respond, writer_for};
    respond(
        async {
            let (state, principal) = writer_for(&csrf, Action::ManageUsers).await?;
            let chosen = (!password.is_empty()).then_some(password.as_str());
            let reset = crate::server::auth::users::people::reset_password(
                &state.db,
                &actor(&principal),
                user_id,
                chosen,
            )
            .await?;
            crate::server::auth::sign_out_everywhere(&state, user_id).await?;
            if reset.temporary.is_none() {
                crate::server::form_posts::notice(&format!(
                    "Password of {} reset: they choose a new one at their next sign-in.",
                    reset.email
                ));
            } else {
                // Without JavaScript the answer is shown by the post's own response page.
                crate::server::form_posts::show_once(
                    &format!("Temporary password for {}", reset.email),
                    "Shown once: hand it over now. They choose a new password at their next \
                     sign-in. Reloading this page would reset the password again.",
                );
            }
            Ok(reset.temporary.map(|t| t.to_string()))
        }
        .await,
    )
}
