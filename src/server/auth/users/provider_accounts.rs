//! Accounts of people who sign in through the OpenID Connect provider: created or updated at
//! each sign-in from what the provider says, their role and project memberships replaced by
//! what its groups say at that moment. Part of the `users` module: the SQL on `users` and
//! `memberships` lives under it.
//!
//! Each change a sign-in makes is one audit entry, in the same transaction, by the person
//! signing in, its detail saying single sign-on made it: `user-create` (first sign-in),
//! `user-update` (the provider's email changed), `user-role` and `memberships` (their groups
//! changed). A sign-in that changes nothing writes none of these.

use sqlx::{AnyConnection, Row};

use super::role_name;
use crate::server::audit::{self, Actor};
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

/// What audit details say made the change.
const BY_PROVIDER: &str = "single sign-on";

/// Creates or updates the user the provider vouched for, and sets their role and memberships
/// from their groups, in one transaction; each change audited (see the module's documentation).
pub async fn provision(db: &Db, identity: &ProviderIdentity) -> Result<Provisioned, ServiceError> {
    let actor = Actor::new(identity.name.clone());
    let mut tx = db.begin_write().await?;
    let existing = sqlx::query(
        "SELECT id, email, CASE WHEN is_admin THEN 1 ELSE 0 END AS admin, \
         CASE WHEN disabled THEN 1 ELSE 0 END AS off FROM users WHERE oidc_subject = $1",
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
            let email: String = row.try_get("email")?;
            let was_admin = row.try_get::<i64, _>("admin")? != 0;
            sqlx::query("UPDATE users SET email = $1, is_admin = $2 WHERE id = $3")
                .bind(&identity.name)
                .bind(identity.is_admin)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if email != identity.name {
                let detail = format!("{BY_PROVIDER}: email {email} → {}", identity.name);
                note(&mut tx, &actor, "user-update", identity, detail).await?;
            }
            if was_admin != identity.is_admin {
                let detail = format!(
                    "{BY_PROVIDER}: {} → {}",
                    role_name(was_admin),
                    role_name(identity.is_admin)
                );
                note(&mut tx, &actor, "user-role", identity, detail).await?;
            }
            id
        }
        None => {
            if taken.is_some() {
                return Ok(Provisioned::NameTaken);
            }
            // No password: `verify_credentials` never looks at a provider account's hash.
            let id = sqlx::query_scalar(
                "INSERT INTO users (email, password_hash, is_admin, disabled, created_at, oidc_subject) \
                 VALUES ($1, '', $2, FALSE, $3, $4) RETURNING id",
            )
            .bind(&identity.name)
            .bind(identity.is_admin)
            .bind(now_ms())
            .bind(&identity.subject)
            .fetch_one(&mut *tx)
            .await?;
            let detail = format!("{BY_PROVIDER}: role {}", role_name(identity.is_admin));
            note(&mut tx, &actor, "user-create", identity, detail).await?;
            id
        }
    };
    let mut before: Vec<String> = sqlx::query_scalar(
        "SELECT p.name FROM memberships m JOIN projects p ON p.id = m.project_id \
         WHERE m.user_id = $1 ORDER BY p.name",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mut after = Vec::new();
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
            after.push(name.clone());
        }
    }
    // `identity.projects` is sorted (by `oidc::roles`); the database's collation may differ.
    before.sort();
    if before != after {
        let detail = if after.is_empty() {
            format!("{BY_PROVIDER}: member of no project")
        } else {
            format!("{BY_PROVIDER}: member of {}", after.join(", "))
        };
        note(&mut tx, &actor, "memberships", identity, detail).await?;
    }
    tx.commit().await?;
    Ok(Provisioned::User(user_id))
}

/// Appends the entry of one change a sign-in made to `identity`'s account.
async fn note(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    identity: &ProviderIdentity,
    detail: String,
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        actor,
        audit::Entry {
            action,
            target: Some(&identity.name),
            detail: Some(detail),
            ..audit::Entry::default()
        },
    )
    .await
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
