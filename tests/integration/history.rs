//! A secret's history says what each edit changed ("refresh interval 1h → 15m", "key password
//! added"), from the detail page's own server function over HTTP, on both backends; and never
//! a value (the test's values contain `canary`).

use serde_json::{Value, json};

use crate::auth::{Client, demo_server};
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    an_edits_history_entry_lists_its_changes_and_never_a_value,
    an_entry_without_snapshots_still_shows_with_no_changes,
);

/// Creates an organization secret; its id.
async fn create(admin: &Client, name: &str, spec: Value, values: Value) -> i64 {
    let (status, id) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": spec, "values": values}}))
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().expect("the new id")
}

/// Edits a secret at its current version.
async fn update(admin: &Client, id: i64, spec: Value, values: Value) {
    let (_, detail) = admin.call("get_secret", json!({"id": id})).await;
    let version = detail["secret"]["version"].as_i64().unwrap();
    let input = json!({"version": version, "use_case": "Generic", "description": "", "spec": spec, "replace_values": values});
    let (status, body) = admin
        .call(
            "update_secret",
            json!({"csrf": admin.csrf, "id": id, "input": input}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The detail as the page gets it, in full, and its latest history entry.
async fn latest_entry(client: &Client, id: i64) -> (String, Value) {
    let (status, detail) = client.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200, "{detail}");
    (detail.to_string(), detail["history"][0].clone())
}

/// An entry's changes, as the history lists them.
fn changes(entry: &Value) -> Vec<String> {
    entry["changes"]
        .as_array()
        .expect("a list of changes")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

async fn an_edits_history_entry_lists_its_changes_and_never_a_value(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let entry = |key: &str, remote: &str| json!({"secret_key": key, "remote_key": remote, "property": null, "version": null});

    // An External secret: interval, a remote key and a new key.
    let external = |interval: &str, data: Value| json!({"kind": "External", "store": "vault", "refresh_interval": interval, "data": data});
    let id = create(
        &admin,
        "history-external",
        external("1h", json!([entry("api-key", "shared/a")])),
        json!([]),
    )
    .await;
    update(
        &admin,
        id,
        external(
            "15m",
            json!([
                entry("api-key", "shared/b"),
                entry("password", "shared/db/password")
            ]),
        ),
        json!([]),
    )
    .await;
    let (_, latest) = latest_entry(&admin, id).await;
    assert_eq!(latest["action"], "update", "{latest}");
    assert_eq!(
        changes(&latest),
        [
            "refresh interval 1h → 15m",
            "remote key of api-key: shared/a → shared/b",
            "key password added (remote key shared/db/password)",
        ]
    );

    // A Kubernetes secret: its type, a key added, values replaced; named, never shown.
    let kubernetes = |kind: &str, keys: &[&str]| json!({"kind": "Kubernetes", "secret_type": kind, "keys": keys});
    let id = create(
        &admin,
        "history-kubernetes",
        kubernetes("Opaque", &["password"]),
        json!([{"key": "password", "value": "canary-history-old"}]),
    )
    .await;
    update(
        &admin,
        id,
        kubernetes("Opaque", &["password", "token"]),
        json!([{"key": "password", "value": "canary-history-new"}, {"key": "token", "value": "canary-history-token"}]),
    )
    .await;
    let (detail, latest) = latest_entry(&admin, id).await;
    assert_eq!(
        changes(&latest),
        [
            "key token added",
            "value of password replaced",
            "value of token replaced",
        ]
    );
    assert!(
        !detail.contains("canary"),
        "a value in the detail: {detail}"
    );

    // A team member reads the changes of their project's secrets too (and no value).
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let payments = crate::live::project_id(&admin, "payments").await;
    crate::live::assign(&admin, id, &[payments]).await;
    let (detail, _) = latest_entry(&dev, id).await;
    assert!(detail.contains("value of token replaced"), "{detail}");
    assert!(
        !detail.contains("canary"),
        "a value in the detail: {detail}"
    );
}

async fn an_entry_without_snapshots_still_shows_with_no_changes(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let id = crate::auth::secret_id(&admin, "postgres-credentials").await;
    // An entry with words but no snapshots (as a sync, or an old edit, is written); the latest.
    let pool = db.any_pool().await;
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 60_000;
    sqlx::query(
        "INSERT INTO audit_entries (at, actor, action, outcome, secret_id, secret_name, detail, request_id) \
         VALUES ($1, 'admin@example.com', 'update', 'allowed', $2, 'postgres-credentials', 'an old edit', 'r1')",
    )
    .bind(later)
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let (_, latest) = latest_entry(&admin, id).await;
    assert_eq!(latest["detail"], "an old edit", "{latest}");
    assert_eq!(changes(&latest), Vec::<String>::new());
}
