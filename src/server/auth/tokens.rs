//! Personal API tokens: creating, listing, revoking and checking them. The one module that
//! reads or writes the `api_tokens` table.
//!
//! A token is `scn_` and 64 hex digits: 256 bits from the operating system's random source.
//! The prefix lets secret scanners (and people) recognise a leaked one. Only its SHA-256 is
//! stored: a password needs a slow, salted hash because people choose guessable ones, but a
//! random 256-bit token cannot be guessed from its hash, so one fast unsalted hash is as strong
//! and lets a request find its token with one indexed lookup. The text of a token exists only
//! in the answer to the request that created it.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sqlx::Row;

use crate::domain::permissions::Principal;
use crate::model::tokens::{CreatedToken, TokenAccess, TokenRow};
use crate::server::audit::{self, Actor, Entry};
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::{ServiceError, invalid};

/// What every token starts with.
pub const PREFIX: &str = "scn_";
/// Longest token name.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest lifetime of a token, in days.
pub const MAX_DAYS: i64 = 365;
/// How much of a token the lists show: the prefix and four hex digits (16 of 256 bits).
const HINT_CHARS: usize = 8;
/// A token's last use is written at most this often (ms): a busy script costs no write per
/// request.
const LAST_USE_GRANULARITY_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What a presented token turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// A live token of user `user_id`.
    Valid {
        /// The token's id.
        token_id: i64,
        /// Whose it is.
        user_id: i64,
        /// What it may do.
        access: TokenAccess,
    },
    /// No such token (or not one of ours).
    Unknown,
    /// Past its expiry.
    Expired,
    /// Revoked by its owner or an admin.
    Revoked,
}

/// The SHA-256 of a token, as the table keeps it (hex).
pub fn hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh token (see the module's documentation).
fn generate() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let digits: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{digits}")
}

/// Action of the audit entry of a token's creation.
pub const TOKEN_CREATE: &str = "token-create";
/// Action of the audit entry of a token's revocation.
pub const TOKEN_REVOKE: &str = "token-revoke";

/// Creates a token for `owner`, audited; the answer is the only place its text appears.
pub async fn create(
    db: &Db,
    owner: &Principal,
    name: &str,
    access: TokenAccess,
    days: i64,
) -> Result<CreatedToken, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("Give the token a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(invalid(
            "expires_in_days",
            format!("A token lives from 1 to {MAX_DAYS} days."),
        ));
    }
    let token = generate();
    let hint: String = token.chars().take(HINT_CHARS).collect();
    let now = now_ms();
    let expires_at = now.saturating_add(days.saturating_mul(DAY_MS));
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, hint, read_only, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(owner.user_id)
    .bind(name)
    .bind(hash(&token))
    .bind(&hint)
    .bind(access == TokenAccess::ReadOnly)
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::record(
        &mut tx,
        &Actor::new(owner.email.clone()),
        Entry {
            action: TOKEN_CREATE,
            target: Some(&owner.email),
            detail: Some(format!(
                "API token {name} ({hint}…, {}, {days} days) of {}",
                access.label().to_lowercase(),
                owner.email
            )),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(token_id = id, user_id = owner.user_id, "API token created");
    Ok(CreatedToken {
        id,
        name: name.to_owned(),
        token,
        expires_at,
        access,
    })
}

/// The tokens of user `owner`, or everyone's (`None`), newest first; revoked ones included.
pub async fn list(db: &Db, owner: Option<i64>) -> Result<Vec<TokenRow>, ServiceError> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, u.email, t.hint, CASE WHEN t.read_only THEN 1 ELSE 0 END AS ro, \
         t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.revoked_by \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE ($1 IS NULL OR t.user_id = $1) ORDER BY t.id DESC",
    )
    .bind(owner)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(row).collect()
}

fn row(row: &sqlx::any::AnyRow) -> Result<TokenRow, ServiceError> {
    let read_only: i64 = row.try_get("ro")?;
    Ok(TokenRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        owner: row.try_get("email")?,
        hint: row.try_get("hint")?,
        access: if read_only == 1 {
            TokenAccess::ReadOnly
        } else {
            TokenAccess::ReadWrite
        },
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        expired: row.try_get::<i64, _>("expires_at")? <= now_ms(),
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
        revoked_by: row.try_get("revoked_by")?,
    })
}

/// Revokes token `id`, at once and audited: the caller's own, or anyone's for a platform
/// admin (NotFound otherwise, as for a token that does not exist). Revoking a revoked token
/// changes nothing. Answers the token's name.
pub async fn revoke(db: &Db, by: &Principal, id: i64) -> Result<String, ServiceError> {
    let found = sqlx::query(
        "SELECT t.user_id, t.name, t.hint, u.email FROM api_tokens t \
         JOIN users u ON u.id = t.user_id WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(ServiceError::NotFound)?;
    let owner: i64 = found.try_get("user_id")?;
    if owner != by.user_id && !by.is_admin {
        return Err(ServiceError::NotFound);
    }
    let name: String = found.try_get("name")?;
    let hint: String = found.try_get("hint")?;
    let email: String = found.try_get("email")?;
    // The write comes first in the transaction: SQLite takes its write lock at once rather
    // than upgrading a read lock, which fails while another connection writes.
    let mut tx = db.pool().begin().await?;
    let revoked = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(&by.email)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if revoked == 0 {
        return Ok(name);
    }
    audit::record(
        &mut tx,
        &Actor::new(by.email.clone()),
        Entry {
            action: TOKEN_REVOKE,
            target: Some(&email),
            detail: Some(format!("API token {name} ({hint}…) of {email}")),
            ..Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(token_id = id, "API token revoked");
    Ok(name)
}

/// Checks a presented token and, for a live one, notes its use.
pub async fn check(db: &Db, presented: &str) -> Result<Checked, ServiceError> {
    if !presented.starts_with(PREFIX) {
        return Ok(Checked::Unknown);
    }
    let Some(found) = sqlx::query(
        "SELECT id, user_id, CASE WHEN read_only THEN 1 ELSE 0 END AS ro, expires_at, \
         revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1",
    )
    .bind(hash(presented))
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(Checked::Unknown);
    };
    let now = now_ms();
    if found.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
        return Ok(Checked::Revoked);
    }
    if found.try_get::<i64, _>("expires_at")? <= now {
        return Ok(Checked::Expired);
    }
    let token_id: i64 = found.try_get("id")?;
    let last_used: Option<i64> = found.try_get("last_used_at")?;
    if last_used.is_none_or(|at| now.saturating_sub(at) >= LAST_USE_GRANULARITY_MS) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(token_id)
            .execute(db.pool())
            .await?;
    }
    let read_only: i64 = found.try_get("ro")?;
    Ok(Checked::Valid {
        token_id,
        user_id: found.try_get("user_id")?,
        access: if read_only == 1 {
            TokenAccess::ReadOnly
        } else {
            TokenAccess::ReadWrite
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_recognisable_and_long() {
        let token = generate();
        assert!(token.starts_with("scn_"));
        assert_eq!(token.len(), 4 + 64);
        assert_ne!(token, generate());
    }

    #[test]
    fn the_stored_hash_is_not_the_token() {
        let token = generate();
        assert_eq!(hash(&token).len(), 64);
        assert!(!hash(&token).contains(&token[4..]));
    }
}
