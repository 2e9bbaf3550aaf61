//! The master key: created 0600 on first run, rotated by `secrets-console rotate-master-key`.

use std::os::unix::fs::PermissionsExt;

use secrets_console::model::secret::{KubernetesSpec, Scope, SecretSpec, SecretValues, UseCase};
use secrets_console::server::audit::Actor;
use secrets_console::server::config::{DatabaseUrl, MasterKeySource};
use secrets_console::server::crypto::{load_keyring, previous_key_path};
use secrets_console::server::db::Db;
use secrets_console::server::secrets::{self, NewSecret};

use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(rotation_rewraps_every_data_key_and_values_stay_readable);

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
        };
        ids.push(
            secrets::create(&db, &before, &Actor::new("admin@example.com"), new)
                .await
                .unwrap(),
        );
    }

    let printed = rotate(data_dir.path(), &test_db.url);
    assert!(printed.contains("re-wrapped 3 data key(s)"), "{printed}");
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
        assert_eq!(values.get("password"), Some(format!("pw-{i}").as_str()));
    }

    // Every run installs a fresh key, so a second rotation re-wraps all three again.
    let printed = rotate(data_dir.path(), &test_db.url);
    assert!(printed.contains("re-wrapped 3 data key(s)"), "{printed}");
    db.close().await;
}
