//! Values of Kubernetes-kind secrets: checked, sealed with the keyring, stored in
//! `secret_values`, and opened again. The only module that reads or writes that table.

use std::collections::BTreeSet;

use sqlx::{AnyConnection, Row};

use crate::domain::validation::{validate_typed_value, validate_values_size};
use crate::model::secret::{SecretSpec, SecretValues};
use crate::server::crypto::{Envelope, Keyring, Sealed};
use crate::server::db::Db;
use crate::server::errors::{ServiceError, invalid};

/// Checks that `values` holds exactly one value per key of a Kubernetes spec.
pub(super) fn check_values(spec: &SecretSpec, values: &SecretValues) -> Result<(), ServiceError> {
    match spec {
        SecretSpec::External(_) => {
            if !values.is_empty() {
                return Err(invalid(
                    "values",
                    "External secrets take no values: the store holds them. Remove the values, or create a Kubernetes secret.",
                ));
            }
        }
        SecretSpec::Kubernetes(k8s) => {
            let wanted: BTreeSet<&str> = k8s.keys.iter().map(String::as_str).collect();
            if let Some(extra) = values.keys().find(|key| !wanted.contains(key)) {
                return Err(invalid(
                    "values",
                    format!(
                        "a value was given for `{extra}`, which is not in the key list; add the key or remove the value"
                    ),
                ));
            }
            if let Some(missing) = k8s.keys.iter().find(|key| values.get(key).is_none()) {
                return Err(invalid(
                    &format!("values.{missing}"),
                    "enter a value for this key",
                ));
            }
            for (key, value) in values.iter() {
                validate_typed_value(&k8s.secret_type, key, value)?;
            }
            validate_values_size(values.total_bytes())?;
        }
    }
    Ok(())
}

pub(super) async fn store_values(
    conn: &mut AnyConnection,
    secret_id: i64,
    sealed: &Sealed,
    replace: bool,
) -> Result<(), ServiceError> {
    let sql = if replace {
        "UPDATE secret_values SET master_key_id = $2, wrapped_key = $3, nonce = $4, ciphertext = $5, fingerprint = $6, \
         envelope = $7 WHERE secret_id = $1"
    } else {
        "INSERT INTO secret_values (secret_id, master_key_id, wrapped_key, nonce, ciphertext, fingerprint, envelope) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    };
    sqlx::query(sql)
        .bind(secret_id)
        .bind(&sealed.master_key_id)
        .bind(&sealed.wrapped_key)
        .bind(&sealed.nonce)
        .bind(&sealed.ciphertext)
        .bind(&sealed.fingerprint)
        .bind(sealed.envelope.as_i64())
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads a `secret_values` row (its `envelope`, `master_key_id`, `wrapped_key`, `nonce`,
/// `ciphertext` and `fingerprint` columns).
pub(crate) fn sealed_from_row(row: &sqlx::any::AnyRow) -> Result<Sealed, sqlx::Error> {
    let envelope = Envelope::from_i64(row.try_get("envelope")?).map_err(|error| {
        sqlx::Error::ColumnDecode {
            index: "envelope".to_owned(),
            source: Box::new(error),
        }
    })?;
    Ok(Sealed {
        envelope,
        master_key_id: row.try_get("master_key_id")?,
        wrapped_key: row.try_get("wrapped_key")?,
        nonce: row.try_get("nonce")?,
        ciphertext: row.try_get("ciphertext")?,
        fingerprint: row.try_get("fingerprint")?,
    })
}

/// Decrypts a secret's values, for the reconciler to write into a cluster. Server-side only:
/// no server function returns them.
pub async fn decrypt_values(
    db: &Db,
    keys: &Keyring,
    secret_id: i64,
) -> Result<SecretValues, ServiceError> {
    let mut conn = db.pool().acquire().await?;
    load_values(&mut conn, keys, secret_id).await
}

/// Loads and decrypts a secret's values inside a transaction.
pub(super) async fn load_values(
    conn: &mut AnyConnection,
    keys: &Keyring,
    secret_id: i64,
) -> Result<SecretValues, ServiceError> {
    let row = sqlx::query(
        "SELECT envelope, master_key_id, wrapped_key, nonce, ciphertext, fingerprint FROM secret_values WHERE secret_id = $1",
    )
    .bind(secret_id)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok(SecretValues::default());
    };
    Ok(keys.open(secret_id, &sealed_from_row(&row)?)?)
}
