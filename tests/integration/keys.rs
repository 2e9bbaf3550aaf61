//! The master key: created 0600 on first run (and refused if others can read it), rotated by
//! `secrets-console rotate-master-key`; sealed values open only as the secret they belong to.

use std::os::unix::fs::PermissionsExt;

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use secrets_console::model::secret::{KubernetesSpec, Scope, SecretSpec, SecretValues, UseCase};
use secrets_console::server::audit::Actor;
use secrets_console::server::config::{DatabaseUrl, MasterKeySource};
use secrets_console::server::crypto::{MasterKey, load_keyring, previous_key_path};
use secrets_console::server::db::Db;
use secrets_console::server::secrets::{self, NewSecret};
use serde_json::json;
use sqlx::Row;

use crate::auth::{Client, demo_server_on, secret_id};
use crate::on_both_backends;
use crate::support::{Backend, ServerOptions, TestServer};

on_both_backends!(
    rotation_rewraps_every_data_key_and_values_stay_readable,
    values_copied_into_another_secrets_row_fail_cleanly_and_are_never_applied_to_it,
);

fn rotate(data_dir: &std::path::Path, database_url: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_secrets-console"))
        .arg("rotate-master-key")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--database-url")
        .arg(database_url)
        .env_remove("SECRETS_CONSOLE_MASTER_KEY")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn rotation_rewraps_every_data_key_and_values_stay_readable(backend: Backend) {
    let test_db = backend.fresh_database().await;
    let data_dir = tempfile::tempdir().unwrap();
    let key_file = data_dir.path().join("master.key");
    let source = MasterKeySource::File(key_file.clone());
    let db = Db::connect(&DatabaseUrl::new(test_db.url.clone()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let before = load_keyring(&source).unwrap();
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file is private");

    let mut ids = Vec::new();
    for i in 0..3 {
        let new = NewSecret {
            name: format!("login-{i}"),
            scope: Scope::Organization,
            project_id: None,
            use_case: UseCase::Generic,
            description: String::new(),
            spec: SecretSpec::Kubernetes(KubernetesSpec {
                secret_type: "Opaque".into(),
                keys: vec!["password".into()],
            }),
            values: SecretValues::from_pairs([("password".to_owned(), format!("pw-{i}"))]),
            assign_to: Vec::new(),
            selectors: String::new(),
        };
        ids.push(
            secrets::create(&db, &before, &Actor::new("admin@example.com"), new)
                .await
                .unwrap(),
        );
    }

    // One row as the first release sealed it, bound to no secret: it still opens.
    let (wrapped_key, nonce, ciphertext) = legacy_envelope(&key_file, "pw-1-legacy");
    sqlx::query(
        "UPDATE secret_values SET envelope = 1, wrapped_key = $1, nonce = $2, ciphertext = $3 \
         WHERE secret_id = $4",
    )
    .bind(&wrapped_key)
    .bind(&nonce)
    .bind(&ciphertext)
    .bind(ids[1])
    .execute(db.pool())
    .await
    .unwrap();
    let legacy = secrets::decrypt_values(&db, &before, ids[1]).await.unwrap();
    assert_eq!(legacy.get("password"), Some("pw-1-legacy"));

    let printed = rotate(data_dir.path(), &test_db.url);
    assert!(printed.contains("re-wrapped 3 data key(s)"), "{printed}");
    let unbound: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secret_values WHERE envelope <> 2")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        unbound, 0,
        "the rotation re-sealed the old row bound to its secret"
    );
    let after = load_keyring(&source).unwrap();
    assert_ne!(
        after.current_id(),
        before.current_id(),
        "a new key is in use"
    );
    assert!(
        previous_key_path(&key_file).exists(),
        "the old key is kept for running replicas"
    );
    let on_old_key: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM secret_values WHERE master_key_id <> $1")
            .bind(after.current_id())
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(on_old_key, 0);

    // Readable with the new key alone.
    std::fs::remove_file(previous_key_path(&key_file)).unwrap();
    let new_only = load_keyring(&source).unwrap();
    for (i, id) in ids.iter().enumerate() {
        let values = secrets::decrypt_values(&db, &new_only, *id).await.unwrap();
        let expected = if i == 1 {
            "pw-1-legacy".to_owned()
        } else {
            format!("pw-{i}")
        };
        assert_eq!(values.get("password"), Some(expected.as_str()));
    }

    // Every run installs a fresh key, so a second rotation re-wraps all three again.
    let printed = rotate(data_dir.path(), &test_db.url);
    assert!(printed.contains("re-wrapped 3 data key(s)"), "{printed}");
    db.close().await;
}

/// Seals `password` as the first release did (associated data `secrets-console/values/v1`,
/// bound to no secret) under the master key in `key_file`: the wrapped key, nonce and
/// ciphertext of a row from before values were bound to their secret.
fn legacy_envelope(key_file: &std::path::Path, password: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    use aes_gcm::Aes256Gcm;
    use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
    use base64::Engine;
    let master = base64::engine::general_purpose::STANDARD
        .decode(std::fs::read_to_string(key_file).unwrap().trim())
        .unwrap();
    let data_key = Aes256Gcm::generate_key(&mut OsRng);
    let wrap_nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut wrapped_key = wrap_nonce.to_vec();
    wrapped_key.extend(
        Aes256Gcm::new_from_slice(&master)
            .unwrap()
            .encrypt(
                &wrap_nonce,
                Payload {
                    msg: &data_key,
                    aad: b"secrets-console/data-key/v1",
                },
            )
            .unwrap(),
    );
    let values = SecretValues::from_pairs([("password".to_owned(), password.to_owned())]);
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let ciphertext = Aes256Gcm::new(&data_key)
        .encrypt(
            &nonce,
            Payload {
                msg: &serde_json::to_vec(&values).unwrap(),
                aad: b"secrets-console/values/v1",
            },
        )
        .unwrap();
    (wrapped_key, nonce.to_vec(), ciphertext)
}

/// Someone with write access to the database copies one secret's sealed values into another
/// secret's row. Whatever then reads them (an edit over HTTP, the reconciler applying the
/// secret to a cluster) fails with an error; the second secret never gets the first's values.
async fn values_copied_into_another_secrets_row_fail_cleanly_and_are_never_applied_to_it(
    backend: Backend,
) {
    let test_db = backend.fresh_database().await;
    let data_dir = tempfile::tempdir().unwrap();
    let server = demo_server_on(&test_db, Vec::new(), Some(data_dir.path())).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let spec =
        json!({"kind": "Kubernetes", "secret_type": "Opaque", "keys": ["username", "password"]});
    for (name, who) in [("alpha-login", "alpha"), ("beta-login", "beta")] {
        let values = json!([
            {"key": "username", "value": format!("canary-{who}-user")},
            {"key": "password", "value": format!("canary-{who}-password")},
        ]);
        let (status, body) = admin
            .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": spec, "values": values}}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (alpha, beta) = (
        secret_id(&admin, "alpha-login").await,
        secret_id(&admin, "beta-login").await,
    );

    let pool = test_db.any_pool().await;
    let columns = "envelope, master_key_id, wrapped_key, nonce, ciphertext, fingerprint";
    let row = sqlx::query(&format!(
        "SELECT {columns} FROM secret_values WHERE secret_id = $1"
    ))
    .bind(alpha)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE secret_values SET envelope = $1, master_key_id = $2, wrapped_key = $3, nonce = $4, \
         ciphertext = $5, fingerprint = $6 WHERE secret_id = $7",
    )
    .bind(row.get::<i64, _>("envelope"))
    .bind(row.get::<String, _>("master_key_id"))
    .bind(row.get::<Vec<u8>, _>("wrapped_key"))
    .bind(row.get::<Vec<u8>, _>("nonce"))
    .bind(row.get::<Vec<u8>, _>("ciphertext"))
    .bind(row.get::<String, _>("fingerprint"))
    .bind(beta)
    .execute(&pool)
    .await
    .unwrap();

    // An edit that keeps the password must read the stored values: it fails, and says where
    // to look, without a word about them.
    let (_, detail) = admin.call("get_secret", json!({"id": beta})).await;
    let version = detail["secret"]["version"].as_i64().unwrap();
    let edit = json!({"version": version, "use_case": "Generic", "description": "", "spec": spec, "replace_values": [{"key": "username", "value": "canary-beta-user-2"}]});
    let (status, body) = admin
        .call(
            "update_secret",
            json!({"csrf": admin.csrf, "id": beta, "input": edit}),
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["kind"], "internal", "{body}");
    let reference = body["id"].as_str().expect("a reference id").to_owned();
    assert!(!reference.is_empty());
    let logged = server
        .output
        .lock()
        .unwrap()
        .iter()
        .any(|line| line.contains(&reference) && line.contains("could not be decrypted"));
    assert!(logged, "the server logs the reference with the cause");
    let (_, detail) = admin.call("get_secret", json!({"id": beta})).await;
    assert_eq!(
        detail["secret"]["version"], version,
        "the failed edit wrote nothing"
    );

    // The reconciler, asked to put the secret in a cluster, cannot read the values either, and
    // applies nothing.
    let payments = crate::live::project_id(&admin, "payments").await;
    crate::live::assign(&admin, beta, &[payments]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let error: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM work_items WHERE secret_id = $1 AND project_id = $2",
        )
        .bind(beta)
        .bind(payments)
        .fetch_optional(&pool)
        .await
        .unwrap()
        .flatten();
        if error
            .as_deref()
            .is_some_and(|e| e.contains("could not be decrypted"))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reconciler did not report the values as unreadable: {error:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let target = sqlx::query(
        "SELECT p.namespace AS namespace, c.name AS cluster FROM projects p \
         JOIN clusters c ON c.id = p.cluster_id WHERE p.id = $1",
    )
    .bind(payments)
    .fetch_one(&pool)
    .await
    .unwrap();
    let kubeconfig = data_dir.path().join("sim").join("kubeconfig");
    let client =
        crate::simulated::client_for(&kubeconfig, &target.get::<String, _>("cluster")).await;
    let secrets: Api<Secret> = Api::namespaced(client, &target.get::<String, _>("namespace"));
    assert!(
        secrets.get_opt("beta-login").await.unwrap().is_none(),
        "nothing was applied for beta-login"
    );
    let status: String = sqlx::query_scalar(
        "SELECT status FROM assignments WHERE secret_id = $1 AND project_id = $2",
    )
    .bind(beta)
    .bind(payments)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_ne!(status, "Synced");
    pool.close().await;
}

#[tokio::test]
async fn a_master_key_file_other_users_can_read_stops_start_up_naming_the_file() {
    let test_db = Backend::Sqlite.fresh_database().await;
    let data_dir = tempfile::tempdir().unwrap();
    let key_file = data_dir.path().join("master.key");
    MasterKey::generate().write_new(&key_file).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();

    let failure = TestServer::start_with(ServerOptions {
        database_url: &test_db.url,
        env: vec![("SECRETS_CONSOLE_MASTER_KEY", String::new())],
        data_dir: Some(data_dir.path()),
        ..ServerOptions::default()
    })
    .await
    .err()
    .expect("start-up must fail");
    assert!(failure.contains("exited with code Some(1)"), "{failure}");
    let path = key_file.display();
    assert!(
        failure.contains(&format!(
            "master key {path} is readable by other users (mode 0644): run `chmod 600 {path}`"
        )),
        "{failure}"
    );
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the key file is left for its owner to fix");
}
