//! The database: one sqlx pool over SQLite (embedded default) or PostgreSQL, chosen by URL.
//!
//! Queries are written once, with `$1`-style parameters that both backends accept, and run
//! through sqlx's `Any` driver. Each backend has its own migration directory because their
//! DDL differs; both are embedded in the binary and applied at start-up.

pub mod session_store;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use super::config::DatabaseUrl;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (the embedded default).
    Sqlite,
    /// A PostgreSQL server (production).
    Postgres,
}

impl Backend {
    /// The name shown to users.
    pub fn display_name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// Failures of the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error("unsupported database URL {0}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// The SQLite file's directory could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The redacted URL.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed or the recorded migrations disagree with the embedded ones.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other driver error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// The database answered, but not every embedded migration is applied.
    #[error("database schema is at version {applied}, expected {expected}")]
    NotMigrated {
        /// The highest applied version.
        applied: i64,
        /// The highest embedded version.
        expected: i64,
    },
    /// The database did not answer in time.
    #[error("database did not answer within {0:?}")]
    Timeout(Duration),
}

/// A handle on the database pool; cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite lets one writer in at a time; this process's write transactions and the
    /// reconciler's queue writes take turns here (in order, asleep) rather than in SQLite's
    /// busy handler, which retries after sleeps of up to 100 ms (a fan-out to 500 projects
    /// spent most of its time there). Other single-statement writes (sessions, health, audit
    /// of refusals) do not take a turn; they are rare or short, and busy_timeout covers them.
    writers: Arc<tokio::sync::Mutex<()>>,
    /// Signalled after each write transaction of this process commits: the SQLite live feed
    /// reads new events at once instead of at its next poll (see [`Db::committed`]).
    committed: Arc<tokio::sync::Notify>,
}

/// A write transaction (from [`Db::begin_write`]). Used as the connection it runs on; on
/// SQLite it also holds this process's turn to write until it is committed or dropped.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    committed: Arc<tokio::sync::Notify>,
}

impl WriteTx {
    /// Commits, then gives the turn to the next writer and tells [`Db::committed`].
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await?;
        self.committed.notify_one();
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

impl Db {
    /// Connects to `url`. A SQLite file and its directory are created if missing.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, DbError> {
        install_default_drivers();
        let backend = if url.is_postgres() {
            Backend::Postgres
        } else if url.is_sqlite() {
            Backend::Sqlite
        } else {
            return Err(DbError::UnsupportedUrl(url.redacted()));
        };
        let dir = url.sqlite_path();
        if let Some(dir) = dir.as_deref().and_then(std::path::Path::parent)
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed while the reconciler writes; foreign keys
                        // are off by default in SQLite.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            });
        let pool = options
            .connect(url.expose())
            .await
            .map_err(|source| DbError::Connect {
                url: url.redacted(),
                source,
            })?;
        Ok(Db {
            pool,
            backend,
            writers: Arc::new(tokio::sync::Mutex::new(())),
            committed: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Applies every embedded migration not yet applied. Stops at the first failure, which
    /// leaves the failed migration's transaction rolled back.
    pub async fn migrate(&self) -> Result<(), DbError> {
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Ready means: the database answers within `timeout` and every embedded migration is
    /// applied.
    pub async fn check_ready(&self, timeout: Duration) -> Result<(), DbError> {
        let expected = self
            .backend
            .migrator()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let query = sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE",
        )
        .fetch_one(&self.pool);
        let applied = tokio::time::timeout(timeout, query)
            .await
            .map_err(|_| DbError::Timeout(timeout))??;
        if applied < expected {
            return Err(DbError::NotMigrated { applied, expected });
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it first waits for this process's turn to write
    /// (see [`Db::write_turn`]), then takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// transaction that has read never fails with "database is locked" when it tries to write,
    /// and another process's writer (a CLI command) is waited for by busy_timeout.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let turn = self.write_turn().await;
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            _turn: turn,
            committed: self.committed.clone(),
        })
    }

    /// On SQLite, this process's turn to write, held until dropped: for a single statement
    /// that writes outside [`Db::begin_write`] on a busy path (the reconciler's queue). None on
    /// PostgreSQL, whose writers do not exclude each other.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self.backend {
            Backend::Sqlite => Some(self.writers.clone().lock_owned().await),
            Backend::Postgres => None,
        }
    }

    /// Completes when a write transaction of this process has committed since the last time it
    /// completed (one waiter: the SQLite live feed, which otherwise polls).
    pub async fn committed(&self) {
        self.committed.notified().await;
    }

    /// The pool, for the services in `server::`.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; waits for checked-out ones to return.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
