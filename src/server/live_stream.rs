//! `GET /live/events`: one viewer's status changes as Server-Sent Events, from the process's
//! hub (`live`), filtered by what the viewer may see, for as long as their session lives.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::{broadcast, oneshot};
use tower_sessions::Session;

use super::db::Db;
use super::db::session_store::DbSessionStore;
use super::live::{ClientGuard, MAX_STREAMS_PER_SESSION, StreamSlot, view};
use super::state::AppState;
use crate::domain::permissions::{Principal, Visibility};
use crate::model::live::LiveMessage;

/// Per-stream state.
struct Stream {
    db: Db,
    /// How long a session lives after sign-in.
    lifetime: Duration,
    session: Session,
    principal: Principal,
    receiver: broadcast::Receiver<i64>,
    /// Secrets this stream has shown: only those may be reported gone.
    shown: HashSet<i64>,
    pending: Vec<Event>,
    checked_at: tokio::time::Instant,
    /// Fires when a newer stream of the same session takes this one's place.
    closed: oneshot::Receiver<()>,
    /// Users whose sessions just ended (sign out everywhere, disabled).
    signed_out: broadcast::Receiver<i64>,
    /// The `closed` event is queued: end after sending it.
    ending: bool,
    _slot: StreamSlot,
    _guard: ClientGuard,
}

/// Changes are gathered until the burst is over — no new one for this long — so that a
/// fan-out's events go out together, while a single change goes out at once. The live feed
/// hands over everything one commit wrote in one go, so a few milliseconds is enough.
const QUIET: Duration = Duration::from_millis(4);
/// The longest changes are gathered before they are sent, however long the burst lasts (a
/// fan-out to 500 projects is a steady stream of events for seconds).
const COALESCE: Duration = Duration::from_millis(30);
/// How often a stream checks that its session is still alive.
const SESSION_CHECK: Duration = Duration::from_secs(30);

/// `GET /live/events`: the viewer's status changes as Server-Sent Events (`status`, `gone`,
/// `resync`; `closed` just before the server ends a session's oldest stream for its
/// [`MAX_STREAMS_PER_SESSION`]+1st). 401 without a session.
pub async fn events(State(state): State<AppState>, session: Session) -> Response {
    let principal =
        match crate::server::auth::principal(&session, &state.db, state.session_lifetime).await {
            Ok(Some(principal)) => principal,
            Ok(None) => return (StatusCode::UNAUTHORIZED, "sign in first").into_response(),
            Err(error) => {
                return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
            }
        };
    let live = state.live.clone();
    // Keyed by the session (its id is in the cookie every tab of the browser shares).
    let session_key = match session.id() {
        Some(id) => id.to_string(),
        None => format!("user:{}", principal.user_id),
    };
    let (slot, closed) = live.open_stream(&session_key);
    live.clients.fetch_add(1, Ordering::Relaxed);
    let stream = Stream {
        db: state.db.clone(),
        receiver: live.sender.subscribe(),
        lifetime: state.session_lifetime,
        session,
        principal,
        shown: HashSet::new(),
        pending: vec![Event::default().event("hello").data("{}")],
        checked_at: tokio::time::Instant::now(),
        closed,
        signed_out: live.signed_out.subscribe(),
        ending: false,
        _slot: slot,
        _guard: ClientGuard(live.clients.clone()),
    };
    let events = futures::stream::unfold(stream, |mut stream| async move {
        loop {
            if !stream.pending.is_empty() {
                let event = stream.pending.remove(0);
                return Some((Ok::<Event, Infallible>(event), stream));
            }
            if !stream.next_batch().await {
                return None;
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

impl Stream {
    /// Waits for changes and turns them into events; `false` ends the stream.
    async fn next_batch(&mut self) -> bool {
        if self.ending {
            return false;
        }
        let first = tokio::select! {
            received = self.receiver.recv() => received,
            _ = &mut self.closed => {
                // Said before closing, so the page stops instead of reconnecting (and closing
                // another tab's stream in turn); the long retry holds off older pages that do
                // not know this event.
                let message = format!(
                    "live updates stopped: this session opened more than \
                     {MAX_STREAMS_PER_SESSION} live streams (tabs), and this is the oldest; \
                     reload the page to resume"
                );
                self.pending.push(
                    Event::default()
                        .event("closed")
                        .retry(Duration::from_secs(3600))
                        .data(serde_json::json!({ "reason": message }).to_string()),
                );
                self.ending = true;
                return true;
            }
            Ok(user_id) = self.signed_out.recv() => {
                if user_id != self.principal.user_id {
                    return true;
                }
                // Said before closing, so the page stops instead of reconnecting.
                self.pending.push(
                    Event::default()
                        .event("closed")
                        .retry(Duration::from_secs(3600))
                        .data(serde_json::json!({ "reason": "you were signed out" }).to_string()),
                );
                self.ending = true;
                return true;
            }
            () = tokio::time::sleep_until(self.checked_at + SESSION_CHECK) => {
                self.checked_at = tokio::time::Instant::now();
                return self.session_alive().await;
            }
        };
        let mut ids = Vec::new();
        let mut resync = false;
        let mut take = |received: Result<i64, broadcast::error::RecvError>| match received {
            Ok(0) | Err(broadcast::error::RecvError::Lagged(_)) => {
                resync = true;
                true
            }
            Ok(id) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
                true
            }
            Err(broadcast::error::RecvError::Closed) => false,
        };
        if !take(first) {
            return false;
        }
        let cap = tokio::time::Instant::now() + COALESCE;
        loop {
            let until = cap.min(tokio::time::Instant::now() + QUIET);
            let Ok(received) = tokio::time::timeout_at(until, self.receiver.recv()).await else {
                break;
            };
            if !take(received) {
                return false;
            }
        }
        if self.checked_at.elapsed() > SESSION_CHECK {
            self.checked_at = tokio::time::Instant::now();
            if !self.session_alive().await {
                return false;
            }
        }
        if resync {
            self.pending
                .push(Event::default().event("resync").data("{}"));
            return true;
        }
        let visibility = Visibility::of(&self.principal);
        for id in ids {
            match view(&self.db, id, &visibility).await {
                Ok(Some(secret)) => {
                    self.shown.insert(id);
                    self.push("status", &LiveMessage::Status(secret));
                }
                Ok(None) => {
                    if self.shown.remove(&id) {
                        self.push("gone", &LiveMessage::Gone { id });
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "live updates: cannot read a secret");
                }
            }
        }
        true
    }

    fn push(&mut self, name: &str, message: &LiveMessage) {
        if let Ok(data) = serde_json::to_string(message) {
            self.pending.push(Event::default().event(name).data(data));
        }
    }

    /// Whether the session still signs this user in (not signed out elsewhere, not idle past
    /// its timeout, not past its lifetime), and with what rights now.
    async fn session_alive(&mut self) -> bool {
        let Some(id) = self.session.id() else {
            return false;
        };
        let store = DbSessionStore::new(self.db.clone());
        if !matches!(store.is_live(&id).await, Ok(true)) {
            return false;
        }
        match crate::server::auth::principal(&self.session, &self.db, self.lifetime).await {
            Ok(Some(principal)) if principal.email == self.principal.email => {
                self.principal = principal;
                true
            }
            _ => false,
        }
    }
}
