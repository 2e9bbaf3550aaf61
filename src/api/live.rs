//! Server function for live pages: what the live stream would say now about the secrets a
//! page shows, for a page that may have missed events (its stream reconnected) or has just
//! changed them (the Secrets page's bulk actions).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::live::LiveSecret;

/// The latest state of each of secrets `ids` the caller may see, as a live event would carry
/// it; a secret missing from the answer is gone (or no longer the caller's). At most a page's
/// worth of ids ([`MAX_PER_PAGE`](crate::model::listing::MAX_PER_PAGE)), each once.
#[server(prefix = "/api", endpoint = "live_secrets", input = server_fn::codec::Json)]
pub async fn live_secrets(ids: Vec<i64>) -> Result<Vec<LiveSecret>, AppError> {
    use crate::domain::permissions::Action;
    use crate::domain::validation::FieldError;
    use crate::model::listing::MAX_PER_PAGE;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, principal) = reader_for(Action::ListSecrets).await?;
            let mut ids = ids;
            ids.sort_unstable();
            ids.dedup();
            if ids.len() > MAX_PER_PAGE as usize {
                return Err(FieldError::new(
                    "ids",
                    format!("at most {MAX_PER_PAGE} secrets at once"),
                )
                .into());
            }
            let visibility = crate::server::secrets::Visibility::of(&principal);
            let mut secrets = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(secret) = crate::server::live::view(&state.db, id, &visibility).await? {
                    secrets.push(secret);
                }
            }
            Ok(secrets)
        }
        .await,
    )
}
