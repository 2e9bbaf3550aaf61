//! The reconciler against the simulated clusters, in the app's embedded default: the demo
//! organization's assignments are applied like any user change, converge to the truth, and
//! out-of-band changes are healed and audited.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Row, SqlitePool};

use crate::simulated::{client_for, start_app, wait_for_clusters};

pub(crate) fn external_secrets(client: &kube::Client, namespace: &str) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", "v1", "ExternalSecret"),
        "externalsecrets",
    );
    Api::namespaced_with(client.clone(), namespace, &resource)
}

/// (status, reason) of each assignment of a secret, by project name.
async fn assignments(db: &SqlitePool, secret: &str) -> Vec<(String, String, Option<String>)> {
    sqlx::query(
        "SELECT p.name AS project, a.status AS status, a.reason AS reason FROM assignments a \
         JOIN secrets s ON s.id = a.secret_id JOIN projects p ON p.id = a.project_id \
         WHERE s.name = $1 ORDER BY p.name",
    )
    .bind(secret)
    .fetch_all(db)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get("project"), r.get("status"), r.get("reason")))
    .collect()
}

async fn rollup(db: &SqlitePool, secret: &str) -> String {
    sqlx::query_scalar("SELECT status FROM secrets WHERE name = $1")
        .bind(secret)
        .fetch_one(db)
        .await
        .unwrap()
}

async fn until<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The app on its embedded default (the demo organisation on the simulated clusters) in a
/// fresh data directory, with its database open read-only.
struct Demo {
    _app: tokio::process::Child,
    _dir: tempfile::TempDir,
    kubeconfig: std::path::PathBuf,
    db: SqlitePool,
}

impl Demo {
    async fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let kubeconfig = data_dir.join("sim").join("kubeconfig");
        let app = start_app(&data_dir);
        wait_for_clusters(&kubeconfig, None).await;
        let db = SqlitePoolOptions::new()
            .max_connections(1)
            .connect(&format!(
                "sqlite://{}?mode=ro",
                data_dir.join("secrets-console.db").display()
            ))
            .await
            .unwrap();
        Demo {
            _app: app,
            _dir: dir,
            kubeconfig,
            db,
        }
    }

    /// Waits (at most `secs`) until every assignment of `secret` is Synced.
    async fn until_synced(&self, secret: &str, secs: u64) {
        until(secs, &format!("{secret} Synced"), || async {
            let rows = assignments(&self.db, secret).await;
            (!rows.is_empty() && rows.iter().all(|(_, s, _)| s == "Synced")).then_some(())
        })
        .await;
    }

    /// Changes the `payments-api-key` Secret as the field manager `manager` would (what
    /// `kubectl edit` or `kubectl label` send: a merge patch under their own name).
    async fn edit_payments_key(&self, manager: &str, patch: serde_json::Value) {
        self.payments_secrets()
            .await
            .patch(
                "payments-api-key",
                &kube::api::PatchParams {
                    field_manager: Some(manager.into()),
                    ..Default::default()
                },
                &kube::api::Patch::Merge(patch),
            )
            .await
            .unwrap();
    }

    /// The Secrets of the payments project's namespace (on aws-dev).
    async fn payments_secrets(&self) -> Api<Secret> {
        Api::namespaced(client_for(&self.kubeconfig, "aws-dev").await, "payments")
    }
}

#[tokio::test]
async fn demo_assignments_converge_to_the_truth_and_drift_is_healed() {
    let demo = Demo::start().await;
    let (db, kubeconfig) = (&demo.db, &demo.kubeconfig);

    // An org External secret on three projects on three clusters: all Synced, rollup Synced.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(45);
    let synced = loop {
        let rows = assignments(db, "postgres-credentials").await;
        if rows.len() == 3 && rows.iter().all(|(_, s, _)| s == "Synced") {
            break rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "postgres-credentials not Synced everywhere: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        synced
            .iter()
            .map(|(p, _, _)| p.as_str())
            .collect::<Vec<_>>(),
        ["analytics", "payments", "search"]
    );
    assert_eq!(rollup(db, "postgres-credentials").await, "Synced");

    // The objects: canonical spec, our labels, the value ESO resolved.
    for (cluster, namespace) in [
        ("aws-dev", "payments"),
        ("gcp-dev", "search"),
        ("azure-dev", "analytics"),
    ] {
        let client = client_for(kubeconfig, cluster).await;
        let es = external_secrets(&client, namespace)
            .get("postgres-credentials")
            .await
            .unwrap();
        let labels = es.metadata.labels.clone().unwrap();
        assert_eq!(labels["app.kubernetes.io/managed-by"], "secrets-console");
        assert_eq!(labels["secrets-console.io/scope"], "organization");
        assert!(labels.contains_key("secrets-console.io/secret-id"));
        assert!(labels.contains_key("secrets-console.io/assignment-id"));
        let spec = &es.data["spec"];
        assert_eq!(spec["secretStoreRef"]["name"], "vault");
        assert_eq!(spec["target"]["creationPolicy"], "Owner");
        assert_eq!(spec["target"]["deletionPolicy"], "Retain");
        assert_eq!(
            spec["data"][0]["remoteRef"]["conversionStrategy"],
            "Default"
        );
        let managers: Vec<String> = es
            .metadata
            .managed_fields
            .unwrap()
            .into_iter()
            .filter(|m| m.operation.as_deref() == Some("Apply"))
            .filter_map(|m| m.manager)
            .collect();
        assert_eq!(managers, ["secrets-console"]);
        let target = Api::<Secret>::namespaced(client, namespace)
            .get("postgres-credentials")
            .await
            .unwrap();
        assert_eq!(target.data.unwrap()["username"].0, b"app");
    }

    // A remote key the store lacks: a truthful SyncedError that names the key.
    let (_, status, reason) = until(30, "legacy-api-key SyncedError", || async {
        assignments(db, "legacy-api-key")
            .await
            .into_iter()
            .find(|(_, s, _)| s == "SyncedError")
    })
    .await;
    assert_eq!(status, "SyncedError");
    let reason = reason.unwrap();
    assert!(reason.contains("shared/legacy/api-key-removed"), "{reason}");

    // A project Kubernetes secret: its Secret carries the value; deleting it out of band is
    // healed and recorded in the audit log.
    demo.until_synced("payments-api-key", 30).await;
    let aws = client_for(kubeconfig, "aws-dev").await;
    let secrets: Api<Secret> = Api::namespaced(aws, "payments");
    let first = secrets.get("payments-api-key").await.unwrap();
    assert_eq!(first.data.unwrap()["API_KEY"].0, b"demo-payments-key-0001");
    secrets
        .delete("payments-api-key", &DeleteParams::default())
        .await
        .unwrap();
    let healed = until(30, "the deleted Secret restored", || async {
        secrets.get("payments-api-key").await.ok()
    })
    .await;
    assert_eq!(healed.data.unwrap()["API_KEY"].0, b"demo-payments-key-0001");
    let audited: i64 = until(10, "the drift in the audit log", || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'drift' AND secret_name = 'payments-api-key'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        (n > 0).then_some(n)
    })
    .await;
    assert!(audited >= 1);
    demo.until_synced("payments-api-key", 30).await;
}

/// `kubectl edit` of a value the console wrote: the next apply of ours meets a conflict (the
/// edit made kubectl-edit the owner of that field). The console takes the field back with a
/// forced apply of its own fields and says once, in the audit log, who changed what; it does
/// not stay Failed and retry the same conflict forever.
#[tokio::test]
async fn a_field_changed_by_kubectl_edit_is_taken_back_and_audited_once() {
    let demo = Demo::start().await;
    let (db, secrets) = (&demo.db, demo.payments_secrets().await);
    demo.until_synced("payments-api-key", 45).await;
    // What `kubectl edit secret payments-api-key` sends for a changed value (its field manager
    // is kubectl-edit).
    demo.edit_payments_key(
        "kubectl-edit",
        serde_json::json!({
            "data": {"API_KEY": "ZWRpdGVkLWJ5LWhhbmQ="}
        }),
    )
    .await;

    let restored = until(30, "the value taken back", || async {
        let secret = secrets.get("payments-api-key").await.ok()?;
        (secret.data.as_ref()?["API_KEY"].0 == b"demo-payments-key-0001").then_some(secret)
    })
    .await;
    let owners: Vec<String> = restored
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter(|m| {
            m.fields_v1
                .as_ref()
                .is_some_and(|f| f.0["f:data"].get("f:API_KEY").is_some())
        })
        .filter_map(|m| m.manager)
        .collect();
    assert_eq!(owners, ["secrets-console"], "the value's owner again");
    demo.until_synced("payments-api-key", 30).await;
    let entries: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_entries WHERE action = 'take back' AND secret_name = 'payments-api-key'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(
        entries[0].contains("kubectl-edit") && entries[0].contains(".data.API_KEY"),
        "{}",
        entries[0]
    );
    assert!(
        !entries[0].contains("edited-by-hand"),
        "no values in the audit log"
    );
}

/// `kubectl label secret payments-api-key app.kubernetes.io/managed-by-`: the label-selected
/// watch sees the Secret leave as DELETED (with its previous labels, as kube-apiserver sends
/// it), and the console, whose apply is on record in the object's managed fields, puts its
/// labels back instead of calling its own object foreign.
#[tokio::test]
async fn an_object_whose_labels_were_taken_off_gets_them_back() {
    let demo = Demo::start().await;
    let secrets = demo.payments_secrets().await;
    demo.until_synced("payments-api-key", 45).await;
    demo.edit_payments_key(
        "kubectl-label",
        serde_json::json!({
            "metadata": {"labels": {"app.kubernetes.io/managed-by": null}}
        }),
    )
    .await;
    until(30, "the label put back", || async {
        let secret = secrets.get("payments-api-key").await.ok()?;
        let labels = secret.metadata.labels?;
        (labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str)
            == Some("secrets-console"))
        .then_some(())
    })
    .await;
    demo.until_synced("payments-api-key", 30).await;
}
