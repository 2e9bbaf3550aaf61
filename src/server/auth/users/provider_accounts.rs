//! Accounts of people who sign in through the OpenID Connect provider: created or updated at
//! each sign-in from what the provider says, their role and project memberships replaced by
//! what its groups say at that moment. Part of the `users` module: the SQL on `users` and
//! `memberships` lives under it.

use sqlx::Row;

use crate::server::clock::now_ms;
use crate::server::db::Db;
use crate::server::errors::ServiceError;

/// Who the provider says signed in, and what their groups make them here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderIdentity {
    /// The provider's issuer and the subject (`sub`) it knows the person by: stable, unlike
    /// the email.
    pub subject: String,
    /// The name shown and audited: the email, or else the preferred user name (lowercased).
    pub name: String,
    /// Member of the admin group.
    pub is_admin: bool,
    /// The names of the projects their project groups name (unknown names are ignored).
    pub projects: Vec<String>,
}

/// What a sign-in through the provider comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioned {
    /// The user's id, created or brought up to date.
    User(i64),
    /// Another account (a local one, or another subject) already has this name.
    NameTaken,
    /// The user is disabled here.
    Disabled,
}

/// Creates or updates the user the provider vouched for, and sets their role and memberships
/// from their groups, in one transaction.
pub async fn provision(db: &Db, identity: &ProviderIdentity) -> Result<Provisioned, ServiceError> {
    let mut tx = db.begin_write().await?;
    let existing = sqlx::query(
        "SELECT id, CASE WHEN disabled THEN 1 ELSE 0 END AS off FROM users WHERE oidc_subject = $1",
    )
    .bind(&identity.subject)
    .fetch_optional(&mut *tx)
    .await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&identity.name)
        .fetch_optional(&mut *tx)
        .await?;
    let user_id = match existing {
        Some(row) => {
            let id: i64 = row.try_get("id")?;
            if row.try_get::<i64, _>("off")? != 0 {
                return Ok(Provisioned::Disabled);
            }
            if taken.is_some_and(|other| other != id) {
                return Ok(Provisioned::NameTaken);
            }
            sqlx::query("UPDATE users SET email = $1, is_admin = $2 WHERE id = $3")
                .bind(&identity.name)
                .bind(identity.is_admin)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            if taken.is_some() {
                return Ok(Provisioned::NameTaken);
            }
            // No password: `verify_credentials` never looks at a provider account's hash.
            sqlx::query_scalar(
                "INSERT INTO users (email, password_hash, is_admin, disabled, created_at, oidc_subject) \
                 VALUES ($1, '', $2, FALSE, $3, $4) RETURNING id",
            )
            .bind(&identity.name)
            .bind(identity.is_admin)
            .bind(now_ms())
            .bind(&identity.subject)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for name in &identity.projects {
        let project: Option<i64> = sqlx::query_scalar("SELECT id FROM projects WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(project) = project {
            sqlx::query("INSERT INTO memberships (user_id, project_id) VALUES ($1, $2)")
                .bind(user_id)
                .bind(project)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(Provisioned::User(user_id))
}

/// Whether user `id` signs in through the provider (the people pages leave what the provider
/// decides alone).
pub async fn is_provider_account(db: &Db, id: i64) -> Result<bool, ServiceError> {
    let subject: Option<Option<String>> =
        sqlx::query_scalar("SELECT oidc_subject FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(subject.flatten().is_some())
}
