//! A token just created by a form posted without JavaScript, held in memory for the page the
//! browser is sent to next, which shows it once.
//!
//! The form-post layer answers a plain post with a redirect, so the page that shows the token
//! is another request. The token never goes into the session (stored in the database) or the
//! form's one-time message: it waits here, in this process's memory only, for its user's next
//! Tokens page, for [`HOLD`] at most, and is gone once taken. (Behind a load balancer that
//! sends the next request to another replica the page says so instead; the bundle's own call
//! gets the token in its answer and never uses this.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::tokens::CreatedToken;

/// How long a created token waits to be shown.
pub const HOLD: Duration = Duration::from_secs(120);

/// The tokens waiting to be shown, one per user at most.
#[derive(Debug, Clone, Default)]
pub struct Reveals {
    waiting: Arc<Mutex<HashMap<i64, (Instant, CreatedToken)>>>,
}

impl Reveals {
    /// Holds `token` for user `user_id`'s next Tokens page (replacing one still waiting).
    pub fn hold(&self, user_id: i64, token: CreatedToken) {
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.retain(|_, (at, _)| at.elapsed() < HOLD);
            waiting.insert(user_id, (Instant::now(), token));
        }
    }

    /// The token waiting for user `user_id`, taken: shown once.
    pub fn take(&self, user_id: i64) -> Option<CreatedToken> {
        let mut waiting = self.waiting.lock().ok()?;
        let (at, token) = waiting.remove(&user_id)?;
        (at.elapsed() < HOLD).then_some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tokens::TokenAccess;

    #[test]
    fn a_held_token_is_shown_once_and_only_to_its_user() {
        let reveals = Reveals::default();
        reveals.hold(
            7,
            CreatedToken {
                id: 1,
                name: "ci".to_owned(),
                token: "scn_x".to_owned(),
                expires_at: 0,
                access: TokenAccess::ReadOnly,
            },
        );
        assert!(reveals.take(8).is_none());
        assert_eq!(reveals.take(7).map(|t| t.id), Some(1));
        assert!(reveals.take(7).is_none());
    }
}
