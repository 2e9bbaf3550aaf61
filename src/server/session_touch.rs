//! The sliding idle timeout without a write per request: a session is written back (and its
//! expiry moved) when something in it changed, or when it was last written longer ago than
//! [`touch_interval`] — at most once a minute, not on every page, server function and stream.
//!
//! tower-sessions writes a session only when it was modified (`always_save` is off); this
//! layer, inside the session layer, stamps [`TOUCHED_AT`] when a write is due, which is what
//! makes it modified. The store's `save` sets the row's expiry to the idle timeout from now,
//! and the cookie's `Max-Age` is sent again with it, so the deadline slides as before, only in
//! steps: a session ends between `idle - interval` and `idle` after its last request.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

use super::clock::now_ms;

/// Session key: when the session was last written back (Unix ms).
pub const TOUCHED_AT: &str = "touched_at";

/// The longest a session goes unwritten while in use.
const MOST: Duration = Duration::from_secs(60);

/// How often an active session is written back for an idle timeout of `idle`: once a minute,
/// or a tenth of a shorter timeout (tests run with seconds), so a session in use never ends.
pub fn touch_interval(idle: Duration) -> Duration {
    MOST.min(idle / 10)
}

/// Whether a session last written at `touched_at` is due a write at `now` (Unix ms).
fn due(touched_at: Option<i64>, now: i64, every: Duration) -> bool {
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    touched_at.is_none_or(|at| now.saturating_sub(at) >= every_ms)
}

/// The layer (see the module's documentation); its state is [`touch_interval`]'s answer.
/// Runs after the handler: a sign-out has emptied the session by then and stays signed out.
pub async fn touch(State(every): State<Duration>, request: Request, next: Next) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let response = next.run(request).await;
    let Some(session) = session else {
        return response;
    };
    let now = now_ms();
    let stamp = if session.is_modified() {
        // Written anyway (unless emptied): the stamp rides along.
        !session.is_empty().await
    } else if session.id().is_some() {
        // Loads the record if the handler did not; a session missing from the store loses its
        // id here and is not brought back.
        match session.get::<i64>(TOUCHED_AT).await {
            Ok(touched_at) => session.id().is_some() && due(touched_at, now, every),
            Err(error) => {
                tracing::warn!(%error, "session store: cannot read a session");
                false
            }
        }
    } else {
        false
    };
    if stamp && let Err(error) = session.insert(TOUCHED_AT, now).await {
        tracing::warn!(%error, "session store: cannot stamp a session");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_written_at_most_once_a_minute_and_more_often_for_short_timeouts() {
        assert_eq!(
            touch_interval(Duration::from_secs(30 * 60)),
            Duration::from_secs(60)
        );
        assert_eq!(
            touch_interval(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
    }

    #[test]
    fn a_write_is_due_for_an_unstamped_session_and_once_the_interval_has_passed() {
        let minute = Duration::from_secs(60);
        assert!(due(None, 1_000, minute));
        assert!(!due(Some(1_000), 1_000 + 59_999, minute));
        assert!(due(Some(1_000), 1_000 + 60_000, minute));
        // A clock that stepped back writes nothing until the interval has passed again.
        assert!(!due(Some(1_000), 500, minute));
    }
}
