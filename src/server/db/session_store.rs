//! tower-sessions' `SessionStore` on the application database (table `sessions`).
//!
//! A session's id is stored as its SHA-256: whoever reads the table (a backup, a copy of the
//! SQLite file) learns no cookie. Each row names its user, so all of a user's sessions can be
//! ended at once. `save` only updates: a request that loaded a session before it was signed
//! out can never bring it back when it finishes.
//!
//! Written here rather than taken from `tower-sessions-sqlx-store`, because that crate pins a
//! different sqlx major and offers one store per backend, while we run both through one pool.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::Db;

/// Sessions persisted in the `sessions` table, as MessagePack blobs.
#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    /// A store on `db`.
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }

    /// Deletes every session whose expiry has passed; returns how many.
    pub async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let done = sqlx::query("DELETE FROM sessions WHERE expiry_unix < $1")
            .bind(now)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Whether the session `id` is stored and not expired (signed out elsewhere, or idle past
    /// its timeout, it is not).
    pub async fn is_live(&self, id: &Id) -> Result<bool, sqlx::Error> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE id = $1 AND expiry_unix > $2")
                .bind(stored_id(id))
                .bind(now)
                .fetch_one(self.db.pool())
                .await?;
        Ok(count == 1)
    }

    /// Ends every session of `user_id`; returns how many.
    pub async fn delete_for_user(&self, user_id: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }

    fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
        rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
    }
}

/// What the `id` column holds for a session id.
fn stored_id(id: &Id) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(id.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Session key: the signed-in user's id (written by `auth`, read here to know whose a
/// session is).
pub const USER_ID: &str = "user_id";

/// The signed-in user a record names, if any.
fn owner(record: &Record) -> Option<i64> {
    record.data.get(USER_ID)?.as_i64()
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Retry on the (astronomically unlikely) id collision instead of overwriting.
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expiry_unix, user_id) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(stored_id(&record.id))
            .bind(Self::encode(record)?)
            .bind(record.expiry_date.unix_timestamp())
            .bind(owner(record))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // Never an insert: a session deleted meanwhile (sign-out, sign out everywhere, a
        // disabled user) stays deleted. New sessions come through `create`.
        sqlx::query("UPDATE sessions SET data = $2, expiry_unix = $3, user_id = $4 WHERE id = $1")
            .bind(stored_id(&record.id))
            .bind(Self::encode(record)?)
            .bind(record.expiry_date.unix_timestamp())
            .bind(owner(record))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let data: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT data FROM sessions WHERE id = $1 AND expiry_unix > $2")
                .bind(stored_id(id))
                .bind(now)
                .fetch_optional(self.db.pool())
                .await
                .map_err(backend)?;
        data.map(|bytes| {
            rmp_serde::from_slice(&bytes).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(stored_id(id))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}
