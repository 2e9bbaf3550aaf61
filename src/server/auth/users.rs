//! Local accounts and project memberships. Passwords are hashed with argon2id, off the async
//! runtime. Changes an admin makes to people (create, disable, enable, role, password reset,
//! memberships, allowlists) are audited here, each in the transaction that makes it.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sqlx::Row;
use zeroize::Zeroizing;

use crate::domain::permissions::{Allowlist, Principal};
use crate::domain::validation::FieldError;
use crate::server::audit::{self, Actor};
use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::ServiceError;

pub mod provider_accounts;

pub mod people;

/// Shortest password we accept.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Refuses a password shorter than [`MIN_PASSWORD_LEN`], on the `password` field: the one
/// check for a new user's password, a reset and a password chosen after a reset.
fn check_length(password: &str) -> Result<(), FieldError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    Ok(())
}

/// A user as the admin pages list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Its id in the database (`users.id`).
    pub id: i64,
    /// The sign-in email, trimmed and lowercased; unique among users.
    pub email: String,
    /// Whether the user is a platform admin, who may do everything.
    pub is_admin: bool,
    /// Ids of the projects the user is a member of (`memberships`), ascending.
    pub projects: Vec<i64>,
    /// Disabled: cannot sign in, and has no session.
    pub disabled: bool,
    /// Must choose a new password at the next sign-in (after a reset).
    pub must_change_password: bool,
    /// Created by single sign-on: the identity provider decides the role (see
    /// [`provider_managed`]).
    pub single_sign_on: bool,
}

async fn hash(password: Zeroizing<String>) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| ServiceError::Conflict(format!("password hashing failed: {e}")))?
    .map_err(|e| ServiceError::Conflict(format!("password hashing failed: {e}")))
}

/// A hash nobody's password matches, verified against for unknown accounts so that a wrong
/// email takes as long as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0cy1jb25zb2xl$0R0mVqG8R7H6mFQG8yvWm1dUl9n9R8oYxJp4bUl3gQ0";

async fn verify(password: Zeroizing<String>, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn validate_email(email: &str) -> Result<String, FieldError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(FieldError::new(
            "email",
            "enter an email address like name@example.com",
        ))
    }
}

/// The users whose role the identity provider decides (and who have no local password): those
/// with a provider subject (`users.oidc_subject`). Read only if that column is there (a
/// database without single sign-on's migration has no such user); on a pool connection of its
/// own, never in a transaction, which a failed statement would abort on PostgreSQL.
pub async fn provider_managed(db: &Db) -> Vec<i64> {
    sqlx::query_scalar("SELECT id FROM users WHERE oidc_subject IS NOT NULL")
        .fetch_all(db.pool())
        .await
        .unwrap_or_default()
}

/// The role's name as pages and audit entries say it.
pub fn role_name(is_admin: bool) -> &'static str {
    if is_admin {
        "platform admin"
    } else {
        "team member"
    }
}

/// Whether any account exists.
pub async fn any_user(db: &Db) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?;
    Ok(count > 0)
}

/// Creates a user; returns the id. Audited when an `actor` (an admin) creates them; seeding
/// and the `create-admin` command pass none.
pub async fn create_user(
    db: &Db,
    actor: Option<&Actor>,
    email: &str,
    password: &str,
    is_admin: bool,
) -> Result<i64, ServiceError> {
    let email = validate_email(email)?;
    check_length(password)?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(db.pool())
        .await?;
    if taken.is_some() {
        return Err(FieldError::new("email", format!("{email} already has an account")).into());
    }
    let hashed = hash(Zeroizing::new(password.to_owned())).await?;
    let mut tx = db.begin_write().await?;
    let id = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, is_admin, disabled, created_at) VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
    )
    .bind(&email)
    .bind(hashed)
    .bind(is_admin)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    if let Some(actor) = actor {
        audit::record(
            &mut tx,
            actor,
            audit::Entry {
                action: "user-create",
                target: Some(&email),
                detail: Some(format!("role {}", role_name(is_admin))),
                ..audit::Entry::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// The user id for `email` and `password`, or None. Takes as long for an unknown email as for
/// a wrong password.
pub async fn verify_credentials(
    db: &Db,
    email: &str,
    password: &str,
) -> Result<Option<i64>, ServiceError> {
    let row =
        sqlx::query("SELECT id, password_hash FROM users WHERE email = $1 AND disabled = FALSE AND oidc_subject IS NULL")
            .bind(email.trim().to_lowercase())
            .fetch_optional(db.pool())
            .await?;
    let password = Zeroizing::new(password.to_owned());
    match row {
        Some(row) => {
            let id: i64 = row.try_get("id")?;
            let stored: String = row.try_get("password_hash")?;
            Ok(verify(password, stored).await.then_some(id))
        }
        None => {
            verify(password, DUMMY_HASH.to_owned()).await;
            Ok(None)
        }
    }
}

/// The permission view of user `id` (None if unknown or disabled).
pub async fn principal(db: &Db, id: i64) -> Result<Option<Principal>, ServiceError> {
    let row = sqlx::query(
        "SELECT email, CASE WHEN is_admin THEN 1 ELSE 0 END AS admin FROM users WHERE id = $1 AND disabled = FALSE",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let projects: Vec<i64> = sqlx::query_scalar(
        "SELECT project_id FROM memberships WHERE user_id = $1 ORDER BY project_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(Some(Principal {
        user_id: id,
        email: row.try_get("email")?,
        is_admin: row.try_get::<i64, _>("admin")? != 0,
        projects,
    }))
}

/// Makes `user_id` a member of exactly `projects`. Audited when an `actor` changes them.
pub async fn set_memberships(
    db: &Db,
    actor: Option<&Actor>,
    user_id: i64,
    projects: &[i64],
) -> Result<(), ServiceError> {
    let mut tx = db.begin_write().await?;
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(email) = email else {
        return Err(ServiceError::NotFound);
    };
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for project in projects {
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(FieldError::new(
                "projects",
                format!("there is no project with id {project}"),
            )
            .into());
        }
        sqlx::query("INSERT INTO memberships (user_id, project_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(project)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(actor) = actor {
        let names: Vec<String> = if projects.is_empty() {
            Vec::new()
        } else {
            let list = projects
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            sqlx::query_scalar(&format!(
                "SELECT name FROM projects WHERE id IN ({list}) ORDER BY name"
            ))
            .fetch_all(&mut *tx)
            .await?
        };
        let detail = if names.is_empty() {
            "member of no project".to_owned()
        } else {
            format!("member of {}", names.join(", "))
        };
        audit::record(
            &mut tx,
            actor,
            audit::Entry {
                action: "memberships",
                target: Some(&email),
                detail: Some(detail),
                ..audit::Entry::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Every user with their memberships.
pub async fn list_users(db: &Db) -> Result<Vec<UserRecord>, ServiceError> {
    let single_sign_on = provider_managed(db).await;
    let users = sqlx::query(
        "SELECT id, email, CASE WHEN is_admin THEN 1 ELSE 0 END AS admin, \
         CASE WHEN disabled THEN 1 ELSE 0 END AS off, \
         CASE WHEN must_change_password THEN 1 ELSE 0 END AS must_change \
         FROM users ORDER BY email",
    )
    .fetch_all(db.pool())
    .await?;
    let memberships: Vec<(i64, i64)> =
        sqlx::query_as("SELECT user_id, project_id FROM memberships ORDER BY project_id")
            .fetch_all(db.pool())
            .await?;
    users
        .iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            Ok(UserRecord {
                id,
                email: row.try_get("email")?,
                is_admin: row.try_get::<i64, _>("admin")? != 0,
                projects: memberships
                    .iter()
                    .filter(|(u, _)| *u == id)
                    .map(|(_, p)| *p)
                    .collect(),
                disabled: row.try_get::<i64, _>("off")? != 0,
                must_change_password: row.try_get::<i64, _>("must_change")? != 0,
                single_sign_on: single_sign_on.contains(&id),
            })
        })
        .collect()
}

/// The stores and key prefixes a project's members may reference.
pub async fn allowlist(db: &Db, project_id: i64) -> Result<Allowlist, ServiceError> {
    let row =
        sqlx::query("SELECT allowed_stores, allowed_key_prefixes FROM projects WHERE id = $1")
            .bind(project_id)
            .fetch_optional(db.pool())
            .await?
            .ok_or(ServiceError::NotFound)?;
    let parse = |column: &str| -> Result<Vec<String>, ServiceError> {
        let text: String = row.try_get(column)?;
        serde_json::from_str(&text).map_err(|_| {
            ServiceError::Conflict(format!("project {project_id} has an unreadable {column}"))
        })
    };
    Ok(Allowlist {
        stores: parse("allowed_stores")?,
        key_prefixes: parse("allowed_key_prefixes")?,
    })
}

/// Sets a project's allowlist. Key prefixes must be clean paths (field `key_prefixes`), so a
/// stored prefix always means the subtree it reads as. Audited when an `actor` sets it.
pub async fn set_allowlist(
    db: &Db,
    actor: Option<&Actor>,
    project_id: i64,
    allowlist: &Allowlist,
) -> Result<(), ServiceError> {
    allowlist.validate_key_prefixes()?;
    let mut tx = db.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE projects SET allowed_stores = $1, allowed_key_prefixes = $2 WHERE id = $3",
    )
    .bind(serde_json::to_string(&allowlist.stores).expect("strings serialize"))
    .bind(serde_json::to_string(&allowlist.key_prefixes).expect("strings serialize"))
    .bind(project_id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(ServiceError::NotFound);
    }
    if let Some(actor) = actor {
        audit::record(
            &mut tx,
            actor,
            audit::Entry {
                action: "allowlist",
                project_id: Some(project_id),
                detail: Some(format!(
                    "stores: {}; key prefixes: {}",
                    none_if_empty(&allowlist.stores),
                    none_if_empty(&allowlist.key_prefixes)
                )),
                ..audit::Entry::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn none_if_empty(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            validate_email(" Dev@Example.com ").unwrap(),
            "dev@example.com"
        );
        for bad in [
            "",
            "dev",
            "@example.com",
            "dev@example",
            "dev@.com",
            "de v@example.com",
        ] {
            assert_eq!(validate_email(bad).unwrap_err().field, "email", "{bad}");
        }
    }

    #[test]
    fn the_dummy_hash_parses_so_unknown_accounts_cost_a_real_verification() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
