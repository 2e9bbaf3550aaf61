//! One reconciler across replicas. On PostgreSQL the leader holds a session advisory lock on a
//! connection of its own: when the process dies or loses the database, the connection closes,
//! the lock is released and another replica takes over within a few seconds. SQLite serves one
//! process, which leads at once.

use std::time::Duration;

use sqlx::Connection;

use crate::server::db::{Backend, Db};

/// The advisory lock key: "secrets-console reconciler".
const LOCK_KEY: i64 = 0x5ec2_e75c_0a50_1e01;

/// How often a follower tries to become leader, and a leader checks it still is.
const INTERVAL: Duration = Duration::from_secs(1);

/// Runs `lead` while this process is the leader; calls `stop` when leadership is lost, then
/// tries again. Never returns (abort the task to stop).
pub async fn run<S, L>(db: Db, mut lead: L, mut stop: impl FnMut(S))
where
    L: FnMut() -> S,
{
    if db.backend() == Backend::Sqlite {
        tracing::info!("reconciler leader (SQLite: this process alone)");
        let _running = lead();
        std::future::pending::<()>().await;
        return;
    }
    loop {
        let Some(mut conn) = try_lock(&db).await else {
            tokio::time::sleep(INTERVAL).await;
            continue;
        };
        tracing::info!("reconciler leader: this replica applies changes to the clusters");
        let running = lead();
        loop {
            tokio::time::sleep(INTERVAL).await;
            let alive = tokio::time::timeout(INTERVAL * 3, conn.ping()).await;
            if !matches!(alive, Ok(Ok(()))) {
                break;
            }
        }
        tracing::warn!("reconciler leadership lost (database connection gone); stepping down");
        stop(running);
        let _ = conn.close().await;
    }
}

/// A connection holding the lock, or `None` if another replica holds it.
async fn try_lock(db: &Db) -> Option<sqlx::AnyConnection> {
    let mut conn = db.pool().acquire().await.ok()?.detach();
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LOCK_KEY)
        .fetch_one(&mut conn)
        .await
        .ok()?;
    if locked {
        Some(conn)
    } else {
        let _ = conn.close().await;
        None
    }
}
