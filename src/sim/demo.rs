//! The stores a simulated platform starts with: `vault`, `aws-secrets-manager`,
//! `gcp-secret-manager` and `azure-key-vault`, each a ClusterSecretStore with the `fake`
//! provider and some remote secrets behind it.

use serde_json::{Value, json};

use super::resources;
use super::store::{Key, Store, WriteContext};

/// The store names every simulated cluster of the embedded default has.
pub const STORES: [&str; 4] = [
    "vault",
    "aws-secrets-manager",
    "gcp-secret-manager",
    "azure-key-vault",
];

fn entries(store: &str) -> Vec<Value> {
    let kv = |key: &str, value: &str| json!({"key": key, "value": value});
    let mut data = vec![
        kv("shared/postgres/username", "app"),
        kv("shared/postgres/password", "demo-postgres-password"),
        kv(
            "shared/postgres",
            r#"{"username":"app","password":"demo-postgres-password","host":"postgres.shared.svc"}"#,
        ),
        kv("shared/s3/access-key-id", "AKIADEMO0000000000"),
        kv("shared/s3/secret-access-key", "demo-s3-secret-access-key"),
        kv(
            "shared/registry/dockerconfigjson",
            r#"{"auths":{"registry.example.com":{"auth":"ZGVtbzpkZW1v"}}}"#,
        ),
        kv("payments/stripe/api-key", "sk_demo_0000"),
        kv(
            "payments/card-processor",
            r#"{"merchant":"demo","api_key":"demo-card-key"}"#,
        ),
        kv("search/elastic/password", "demo-elastic-password"),
        kv("analytics/warehouse/password", "demo-warehouse-password"),
        kv("ml/huggingface/token", "hf_demo_token"),
        json!({"key": "shared/rotating/api-key", "value": "v1-value", "version": "v1"}),
        json!({"key": "shared/rotating/api-key", "value": "v2-value", "version": "v2"}),
    ];
    data.push(kv("store/name", store));
    data
}

/// Creates the demo stores that are missing (existing ones are left as they are), and the
/// operator's Deployment the console reads ESO's release from.
pub fn seed_stores(store: &Store) {
    super::legacy_eso::seed_operator(store, super::legacy_eso::CURRENT_RELEASE);
    let Some(css) = resources::by_kind("external-secrets.io", "ClusterSecretStore") else {
        return;
    };
    for name in STORES {
        if store.get(&Key::new(css, "", name)).is_ok() {
            continue;
        }
        let object = json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": {"name": name, "labels": {"platform.example.com/backend": name}},
            "spec": {"provider": {"fake": {"data": entries(name)}}},
        });
        if let Err(error) = store.create(css, "", object, &WriteContext::new("secrets-console-sim"))
        {
            tracing::warn!(store = name, %error, "could not create a demo store");
        }
    }
}
