//! What an admin does to a person: disable and enable, change role, reset a password; and the
//! password a user must choose after a reset. Each change is one audit entry, written in the
//! transaction that makes it. No change may leave the console without an enabled admin.
//!
//! Users created by single sign-on (`users.oidc_subject`, migration 0013) take their role from
//! the identity provider's groups at each sign-in: their role cannot be changed here and they
//! have no local password to reset (`users::provider_managed` is the one place that decides).

use sqlx::Row;
use zeroize::Zeroizing;

use super::{check_length, hash, provider_managed, role_name, verify};
use crate::domain::validation::FieldError;
use crate::server::audit::{self, Actor};
use crate::server::db::Db;
use crate::server::errors::ServiceError;

/// A user as the changes here need them.
struct Person {
    email: String,
    is_admin: bool,
    disabled: bool,
}

async fn person(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<Person, ServiceError> {
    let row = sqlx::query(
        "SELECT email, CASE WHEN is_admin THEN 1 ELSE 0 END AS admin, \
         CASE WHEN disabled THEN 1 ELSE 0 END AS off FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ServiceError::NotFound)?;
    Ok(Person {
        email: row.try_get("email")?,
        is_admin: row.try_get::<i64, _>("admin")? != 0,
        disabled: row.try_get::<i64, _>("off")? != 0,
    })
}

/// Refuses a change that would leave no enabled admin: `user_id` is one now and would not be.
async fn keep_an_admin(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    what: &str,
) -> Result<(), ServiceError> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE is_admin = TRUE AND disabled = FALSE AND id <> $1",
    )
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    if others == 0 {
        return Err(ServiceError::Conflict(format!(
            "You cannot {what}: the console would have no platform admin left. Make another \
             user a platform admin first."
        )));
    }
    Ok(())
}

/// Disables (`disabled`) or enables user `user_id`; answers their email. A disabled user cannot
/// sign in and every request of theirs is signed out (the caller ends their sessions too).
/// Refused for the caller's own account, and when it would disable the last enabled admin
/// (a user from single sign-on can be the other admin). Audited (`user-disable`,
/// `user-enable`); a change to the state it already has is none, and not audited.
pub async fn set_disabled(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    disabled: bool,
) -> Result<String, ServiceError> {
    let mut tx = db.begin_write().await?;
    let person = person(&mut tx, user_id).await?;
    if person.disabled == disabled {
        return Ok(person.email);
    }
    if disabled && person.is_admin {
        keep_an_admin(&mut tx, user_id, &format!("disable {}", person.email)).await?;
    }
    if disabled && person.email == actor.email {
        return Err(ServiceError::Conflict(
            "You cannot disable your own account: another platform admin can.".to_owned(),
        ));
    }
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(disabled)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            action: if disabled {
                "user-disable"
            } else {
                "user-enable"
            },
            target: Some(&person.email),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(person.email)
}

/// Makes user `user_id` a platform admin (`is_admin`) or a team member; answers their email.
/// Takes effect at their next request. Refused for a user whose role the identity provider
/// decides, and when it would demote the last enabled admin. Audited (`user-role`).
pub async fn set_role(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    is_admin: bool,
) -> Result<String, ServiceError> {
    let single_sign_on = provider_managed(db).await.contains(&user_id);
    let mut tx = db.begin_write().await?;
    let person = person(&mut tx, user_id).await?;
    if person.is_admin == is_admin {
        return Ok(person.email);
    }
    if single_sign_on {
        return Err(ServiceError::Conflict(format!(
            "{} signs in with single sign-on: their role follows the identity provider's groups.",
            person.email
        )));
    }
    if !is_admin && !person.disabled {
        keep_an_admin(
            &mut tx,
            user_id,
            &format!("make {} a team member", person.email),
        )
        .await?;
    }
    sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
        .bind(is_admin)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            action: "user-role",
            target: Some(&person.email),
            detail: Some(format!(
                "{} → {}",
                role_name(person.is_admin),
                role_name(is_admin)
            )),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(person.email)
}

/// A one-time password: 96 random bits as 24 hex digits in groups of four.
fn temporary_password() -> Zeroizing<String> {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    Zeroizing::new(
        hex.as_bytes()[..24]
            .chunks(4)
            .map(|group| String::from_utf8_lossy(group).into_owned())
            .collect::<Vec<_>>()
            .join("-"),
    )
}

/// What a password reset did.
pub struct Reset {
    /// The user's email.
    pub email: String,
    /// The temporary password to hand over, when the admin did not choose one (shown once).
    pub temporary: Option<Zeroizing<String>>,
}

/// Resets user `user_id`'s local password to `chosen` or, without one, to a temporary password
/// (answered, to be shown once); the user must choose a new one at their next sign-in before
/// anything else. Refused for a single sign-on user (no local password). Audited
/// (`user-password-reset`; the password itself is never written anywhere but as its hash).
/// The caller ends the user's sessions.
pub async fn reset_password(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    chosen: Option<&str>,
) -> Result<Reset, ServiceError> {
    let (password, temporary) = match chosen.filter(|p| !p.is_empty()) {
        Some(chosen) => {
            check_length(chosen)?;
            (Zeroizing::new(chosen.to_owned()), None)
        }
        None => {
            let temporary = temporary_password();
            (temporary.clone(), Some(temporary))
        }
    };
    let hashed = hash(password).await?;
    let single_sign_on = provider_managed(db).await.contains(&user_id);
    let mut tx = db.begin_write().await?;
    let person = person(&mut tx, user_id).await?;
    if single_sign_on {
        return Err(ServiceError::Conflict(format!(
            "{} signs in with single sign-on and has no local password to reset.",
            person.email
        )));
    }
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = TRUE WHERE id = $2")
        .bind(hashed)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            action: "user-password-reset",
            target: Some(&person.email),
            detail: Some(
                if temporary.is_some() {
                    "temporary password; must choose a new one"
                } else {
                    "set by an admin; must choose a new one"
                }
                .to_owned(),
            ),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Reset {
        email: person.email,
        temporary,
    })
}

/// Whether user `user_id` must choose a new password before anything else.
pub async fn must_change_password(db: &Db, user_id: i64) -> Result<bool, ServiceError> {
    let must: Option<i64> = sqlx::query_scalar(
        "SELECT CASE WHEN must_change_password THEN 1 ELSE 0 END FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(must == Some(1))
}

/// Sets the new password user `user_id` chose after a reset (`confirm` repeats it; it may not
/// be the one they were given); answers their email. Audited (`password-change`).
pub async fn choose_password(
    db: &Db,
    user_id: i64,
    password: &str,
    confirm: &str,
) -> Result<String, ServiceError> {
    check_length(password)?;
    if password != confirm {
        return Err(FieldError::new("confirm", "the two passwords differ").into());
    }
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND disabled = FALSE")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    let stored = stored.ok_or(ServiceError::NotFound)?;
    if verify(Zeroizing::new(password.to_owned()), stored).await {
        return Err(FieldError::new(
            "password",
            "choose a password other than the one you were given",
        )
        .into());
    }
    let hashed = hash(Zeroizing::new(password.to_owned())).await?;
    let mut tx = db.begin_write().await?;
    let email: String = sqlx::query_scalar(
        "UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2 \
         RETURNING email",
    )
    .bind(hashed)
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &Actor::new(email.clone()),
        audit::Entry {
            action: "password-change",
            target: Some(&email),
            ..audit::Entry::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(email)
}

/// The email of user `user_id`.
pub async fn email_of(db: &Db, user_id: i64) -> Result<String, ServiceError> {
    sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Records that `actor` ended every session of the user with `email` (`user-sign-out-everywhere`).
pub async fn audit_signed_out_everywhere(
    db: &Db,
    actor: &Actor,
    email: &str,
    ended: i64,
) -> Result<(), ServiceError> {
    audit::record_now(
        db,
        actor,
        true,
        audit::Entry {
            action: "user-sign-out-everywhere",
            target: Some(email),
            detail: Some(format!("{ended} session(s) ended")),
            ..audit::Entry::default()
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::MIN_PASSWORD_LEN;
    use super::*;

    #[test]
    fn a_temporary_password_is_long_enough_and_different_each_time() {
        let one = temporary_password();
        let two = temporary_password();
        assert_eq!(one.len(), 29);
        assert!(one.chars().count() >= MIN_PASSWORD_LEN);
        assert_ne!(*one, *two);
    }
}
