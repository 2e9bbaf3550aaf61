//! Live updates: "this secret's status changed" travels from the transaction that changed it to
//! every open page, as Server-Sent Events filtered by what each viewer may see.
//!
//! Writers call [`emit`] inside their transaction, so an event exists exactly when the change
//! committed. On SQLite it is a row in `live_events`, tailed by this process; on PostgreSQL a
//! `NOTIFY`, delivered on commit to every replica's listener (so a change observed by the
//! reconciling replica reaches pages served by the others). Either way the [`Live`] hub turns
//! it into a broadcast of secret ids; each SSE connection re-reads those secrets with the
//! viewer's visibility and sends only what they may see. Events carry ids and statuses, never a
//! value.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::{broadcast, oneshot};

use super::clock::now_ms;
use super::db::{Backend, Db};
use super::errors::ServiceError;
use crate::domain::permissions::Visibility;
use crate::model::live::{LiveAssignment, LiveSecret};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "secrets_console_live";

/// How long rows stay in `live_events` (SQLite).
const KEEP_MS: i64 = 5 * 60 * 1000;

/// Records, inside the caller's transaction, that `secret_id`'s status changed.
pub async fn emit(conn: &mut AnyConnection, secret_id: i64) -> Result<(), sqlx::Error> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(secret_id.to_string())
            .execute(conn)
            .await?;
    } else {
        sqlx::query("INSERT INTO live_events (secret_id, at) VALUES ($1, $2)")
            .bind(secret_id)
            .bind(now_ms())
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Most event streams one session may hold open (a tab each, in practice): each one re-reads
/// every changed secret, so a script opening thousands would slow every page. A new stream
/// past the limit closes the session's oldest.
pub const MAX_STREAMS_PER_SESSION: usize = 8;

/// The open streams of each session, oldest first. Dropping (or firing) a stream's sender
/// closes it.
#[derive(Debug, Default)]
struct OpenStreams {
    next_id: u64,
    by_session: HashMap<String, VecDeque<(u64, oneshot::Sender<()>)>>,
}

/// The process's hub: a broadcast of changed secret ids, a count of open streams, and the
/// open streams of each session.
#[derive(Debug, Clone)]
pub struct Live {
    pub(crate) sender: broadcast::Sender<i64>,
    pub(crate) clients: Arc<AtomicUsize>,
    streams: Arc<Mutex<OpenStreams>>,
    /// Users signed out everywhere (or disabled) in this process: their streams end at once
    /// (other replicas' at their next session check).
    pub(crate) signed_out: broadcast::Sender<i64>,
}

impl Live {
    /// Starts the feed that fills the hub: tails `live_events` on SQLite, listens for
    /// notifications on PostgreSQL (`database_url` is needed for the listener's own connection).
    pub fn start(db: Db, database_url: String) -> (Live, tokio::task::JoinHandle<()>) {
        let (sender, _) = broadcast::channel(4096);
        let live = Live {
            sender: sender.clone(),
            clients: Arc::new(AtomicUsize::new(0)),
            streams: Arc::default(),
            signed_out: broadcast::channel(64).0,
        };
        let task = match db.backend() {
            Backend::Sqlite => tokio::spawn(tail(db, sender)),
            Backend::Postgres => tokio::spawn(listen(database_url, sender)),
        };
        (live, task)
    }

    /// The broadcast of changed secret ids itself, for the reconciler to wake on (a change
    /// that queues cluster work is a change of that secret's status).
    pub fn changes(&self) -> broadcast::Sender<i64> {
        self.sender.clone()
    }

    /// A hub fed by hand (tests).
    pub fn detached() -> Live {
        let (sender, _) = broadcast::channel(4096);
        Live {
            sender,
            clients: Arc::new(AtomicUsize::new(0)),
            streams: Arc::default(),
            signed_out: broadcast::channel(64).0,
        }
    }

    /// Ends the open streams of `user_id` in this process now (their sessions are gone).
    pub fn end_user_streams(&self, user_id: i64) {
        let _ = self.signed_out.send(user_id);
    }

    /// Open SSE streams right now.
    pub fn clients(&self) -> usize {
        self.clients.load(Ordering::Relaxed)
    }

    /// Registers a new stream of `session`, closing the session's oldest ones past
    /// [`MAX_STREAMS_PER_SESSION`]. The receiver fires when this one is to close; the slot
    /// unregisters it when dropped.
    pub(crate) fn open_stream(&self, session: &str) -> (StreamSlot, oneshot::Receiver<()>) {
        let (close, closed) = oneshot::channel();
        let mut streams = self.streams.lock().expect("live streams lock");
        streams.next_id += 1;
        let id = streams.next_id;
        let open = streams.by_session.entry(session.to_owned()).or_default();
        open.push_back((id, close));
        while open.len() > MAX_STREAMS_PER_SESSION {
            if let Some((_, oldest)) = open.pop_front() {
                let _ = oldest.send(());
            }
        }
        let slot = StreamSlot {
            streams: self.streams.clone(),
            session: session.to_owned(),
            id,
        };
        (slot, closed)
    }

    /// Open streams of `session` right now.
    #[cfg(test)]
    fn session_streams(&self, session: &str) -> usize {
        let streams = self.streams.lock().expect("live streams lock");
        streams.by_session.get(session).map_or(0, VecDeque::len)
    }
}

/// A stream's place among its session's open streams; dropped when the stream ends.
pub(crate) struct StreamSlot {
    streams: Arc<Mutex<OpenStreams>>,
    session: String,
    id: u64,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self.streams.lock().expect("live streams lock");
        if let Some(open) = streams.by_session.get_mut(&self.session) {
            open.retain(|(id, _)| *id != self.id);
            if open.is_empty() {
                streams.by_session.remove(&self.session);
            }
        }
    }
}

/// SQLite: reads rows newer than the last seen after each commit of this process and at least
/// every 40 ms (for another process writing the same file); prunes old ones now and then. A
/// badge waited on average half a poll, up to a whole one, before the read after a commit.
async fn tail(db: Db, sender: broadcast::Sender<i64>) {
    let mut last: i64 = loop {
        match sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM live_events")
            .fetch_one(db.pool())
            .await
        {
            Ok(id) => break id,
            Err(error) => {
                tracing::warn!(%error, "live updates: cannot read the feed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut pruned_at = 0;
    loop {
        match sqlx::query_as::<_, (i64, i64)>(
            "SELECT id, secret_id FROM live_events WHERE id > $1 ORDER BY id LIMIT 1000",
        )
        .bind(last)
        .fetch_all(db.pool())
        .await
        {
            Ok(rows) => {
                for (id, secret_id) in &rows {
                    last = *id;
                    let _ = sender.send(*secret_id);
                }
                if rows.len() == 1000 {
                    continue;
                }
            }
            Err(error) => tracing::warn!(%error, "live updates: cannot read the feed"),
        }
        let now = now_ms();
        if now - pruned_at > 60_000 {
            pruned_at = now;
            if let Err(error) = sqlx::query("DELETE FROM live_events WHERE at < $1")
                .bind(now - KEEP_MS)
                .execute(db.pool())
                .await
            {
                tracing::warn!(%error, "live updates: cannot prune the feed");
            }
        }
        tokio::select! {
            () = db.committed() => {}
            () = tokio::time::sleep(Duration::from_millis(40)) => {}
        }
    }
}

/// PostgreSQL: LISTEN on the channel, reconnecting with back-off. After a reconnect, open
/// pages are told to reload their statuses (`0`), since notifications may have been missed.
async fn listen(url: String, sender: broadcast::Sender<i64>) {
    let mut delay = Duration::from_millis(200);
    let mut first = true;
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    if !first {
                        let _ = sender.send(0);
                    }
                    first = false;
                    delay = Duration::from_millis(200);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) => {
                                if let Ok(id) = notification.payload().parse::<i64>() {
                                    let _ = sender.send(id);
                                }
                            }
                            Ok(None) => {
                                // The connection dropped and was re-established by sqlx.
                                let _ = sender.send(0);
                            }
                            Err(error) => {
                                tracing::warn!(%error, "live updates: listener failed");
                                break;
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "live updates: cannot LISTEN"),
            },
            Err(error) => tracing::warn!(%error, "live updates: cannot connect the listener"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// What a viewer may see of one secret now: `None` if nothing (gone, or not theirs). Two small
/// queries (the rollup, the visible assignments with any pending retry): this runs for every
/// open stream on every change, so it reads nothing else.
pub async fn view(
    db: &Db,
    secret_id: i64,
    visibility: &Visibility,
) -> Result<Option<LiveSecret>, ServiceError> {
    use crate::domain::status::{AssignmentStatus, FailureClass, SecretStatus, rollup};
    use crate::server::sql::{Param, Sql};
    use sqlx::Row;

    let stored: Option<String> = sqlx::query_scalar("SELECT status FROM secrets WHERE id = $1")
        .bind(secret_id)
        .fetch_optional(db.pool())
        .await?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let mut select = Sql::new(
        "SELECT a.project_id, a.status, a.reason, a.last_sync_at, a.eso_refreshed_at, a.failure, a.last_warning, w.attempts, w.not_before \
         FROM assignments a LEFT JOIN work_items w \
         ON w.secret_id = a.secret_id AND w.project_id = a.project_id WHERE a.secret_id = ",
    );
    select.bind(Param::Int(secret_id));
    if let Visibility::Projects(ids) = visibility {
        if ids.is_empty() {
            return Ok(None);
        }
        select.push(" AND a.project_id IN ").bind_list(ids);
    }
    select.push(" ORDER BY a.project_id");
    let mut assignments = Vec::new();
    for row in select.query().fetch_all(db.pool()).await? {
        let status: String = row.try_get("status")?;
        let Some(status) = AssignmentStatus::parse(&status) else {
            continue;
        };
        let attempts: Option<i64> = row.try_get("attempts")?;
        assignments.push(LiveAssignment {
            project_id: row.try_get("project_id")?,
            status,
            reason: row.try_get("reason")?,
            last_sync_at: row.try_get("last_sync_at")?,
            refreshed_at: row.try_get("eso_refreshed_at")?,
            failure: row
                .try_get::<Option<String>, _>("failure")?
                .as_deref()
                .and_then(FailureClass::parse),
            warning: row.try_get("last_warning")?,
            next_retry_at: match attempts {
                Some(n) if n > 0 => row.try_get("not_before")?,
                _ => None,
            },
        });
    }
    let status = match visibility {
        Visibility::All => SecretStatus::parse(&stored).unwrap_or(SecretStatus::Pending),
        // A member sees a secret through their projects' assignments, and its status is theirs.
        Visibility::Projects(_) if assignments.is_empty() => return Ok(None),
        // The stored rollup is Deleting only while the whole secret is being deleted.
        Visibility::Projects(_) => rollup(
            SecretStatus::parse(&stored) == Some(SecretStatus::Deleting),
            assignments.iter().map(|a| a.status),
        ),
    };
    Ok(Some(LiveSecret {
        id: secret_id,
        status,
        assignments,
    }))
}

/// Decrements the client count when a stream ends.
pub(crate) struct ClientGuard(pub(crate) Arc<AtomicUsize>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_opening_a_ninth_stream_closes_its_oldest_and_no_other() {
        let live = Live::detached();
        let mut opened: Vec<_> = (0..MAX_STREAMS_PER_SESSION)
            .map(|_| live.open_stream("session-a"))
            .collect();
        let (_other_slot, mut other) = live.open_stream("session-b");
        for (_, closed) in &mut opened {
            assert!(closed.try_recv().is_err(), "nothing closes at the limit");
        }
        let newest = live.open_stream("session-a");
        assert_eq!(
            opened[0].1.try_recv(),
            Ok(()),
            "the oldest is told to close"
        );
        for (_, closed) in &mut opened[1..] {
            assert_eq!(closed.try_recv(), Err(oneshot::error::TryRecvError::Empty));
        }
        assert_eq!(
            other.try_recv(),
            Err(oneshot::error::TryRecvError::Empty),
            "another session keeps its stream"
        );
        assert_eq!(live.session_streams("session-a"), MAX_STREAMS_PER_SESSION);

        // Streams that end free their place; the registry forgets an empty session.
        drop(opened);
        drop(newest);
        assert_eq!(live.session_streams("session-a"), 0);
        assert!(
            !live
                .streams
                .lock()
                .unwrap()
                .by_session
                .contains_key("session-a")
        );
    }
}
