//! `secrets-console rotate-master-key`: re-wrap every data key under a new master key.
//!
//! Crash-safe in this order: the new key is written to `<file>.new` (0600, synced) before any
//! row changes; rows are re-wrapped in one transaction; only then do the files move (old key
//! to `<file>.previous`, new key to `<file>`). Every process loads all three files when
//! present, so no row is ever wrapped by a key nobody can load, and running the command again
//! finishes an interrupted rotation.

use sqlx::Row;

use super::config::MasterKeySource;
use super::crypto::{self, Envelope, Keyring, MasterKey};
use super::db::Db;

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Rows re-wrapped.
    pub rewrapped: u64,
    /// The id of the master key now in use.
    pub key_id: String,
}

/// Failures of a rotation.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// Key handling failed.
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    /// One row's values did not open as its secret (tampered, or copied from another secret's
    /// row); nothing was changed.
    #[error(
        "the stored values of secret {secret_id} cannot be re-wrapped, nothing was changed: {source}"
    )]
    Row {
        /// The secret whose row failed.
        secret_id: i64,
        /// Why.
        #[source]
        source: crypto::CryptoError,
    },
    /// The database failed; no row was changed.
    #[error("database error, nothing was changed: {0}")]
    Db(#[from] sqlx::Error),
    /// Moving key files failed after the rows were re-wrapped.
    #[error(
        "the rows are re-wrapped, but installing the new key file failed ({0}); run the command again"
    )]
    Install(std::io::Error),
}

/// Rotates the master key named by `source` (see the module documentation).
pub async fn rotate(db: &Db, source: &MasterKeySource) -> Result<RotationReport, RotationError> {
    match source {
        MasterKeySource::Environment => {
            let ring = crypto::load_keyring(source)?;
            let rewrapped = rewrap_all(db, &ring).await?;
            Ok(RotationReport {
                rewrapped,
                key_id: ring.current_id().to_owned(),
            })
        }
        MasterKeySource::File(path) => {
            let old = crypto::load_keyring(source)?;
            let pending = crypto::pending_key_path(path);
            let new_key = if pending.exists() {
                MasterKey::load(&pending)?
            } else {
                let key = MasterKey::generate();
                key.write_new(&pending)?;
                key
            };
            let ring = std::iter::once(old.current())
                .chain(old.others())
                .cloned()
                .fold(Keyring::new(new_key), Keyring::with_other);
            let rewrapped = rewrap_all(db, &ring).await?;

            let previous = crypto::previous_key_path(path);
            std::fs::rename(path, &previous).map_err(RotationError::Install)?;
            std::fs::rename(&pending, path).map_err(RotationError::Install)?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(RotationError::Install)?;
            }
            Ok(RotationReport {
                rewrapped,
                key_id: ring.current_id().to_owned(),
            })
        }
    }
}

/// Re-wraps, in one transaction, every row not wrapped by the ring's current key, and re-seals
/// every row from before values were bound to their secret.
async fn rewrap_all(db: &Db, ring: &Keyring) -> Result<u64, RotationError> {
    let mut tx = db.begin_write().await?;
    let rows = sqlx::query(
        "SELECT secret_id, envelope, master_key_id, wrapped_key, nonce, ciphertext, fingerprint \
         FROM secret_values WHERE master_key_id <> $1 OR envelope <> $2",
    )
    .bind(ring.current_id())
    .bind(Envelope::Bound.as_i64())
    .fetch_all(&mut *tx)
    .await?;
    let mut rewrapped = 0;
    for row in rows {
        let secret_id: i64 = row.try_get("secret_id")?;
        let new = ring
            .rewrap(secret_id, &super::secrets::sealed_from_row(&row)?)
            .map_err(|source| RotationError::Row { secret_id, source })?;
        sqlx::query(
            "UPDATE secret_values SET envelope = $1, master_key_id = $2, wrapped_key = $3, nonce = $4, \
             ciphertext = $5, fingerprint = $6 WHERE secret_id = $7",
        )
        .bind(new.envelope.as_i64())
        .bind(&new.master_key_id)
        .bind(&new.wrapped_key)
        .bind(&new.nonce)
        .bind(&new.ciphertext)
        .bind(&new.fingerprint)
        .bind(secret_id)
        .execute(&mut *tx)
        .await?;
        rewrapped += 1;
    }
    tx.commit().await?;
    Ok(rewrapped)
}
