//! Sync all (`sync_all`) and Sync now over HTTP against the demo: every assignment of a project
//! or a cluster is queued, shows Pending, and turns Synced again as the reconciler works
//! through the queue; team members sync only their own projects' project secrets.

use std::collections::BTreeSet;
use std::time::Duration;

use secrets_console::model::sync::SyncBatch;
use serde_json::{Value, json};

use crate::auth::{Client, PASSWORD, demo_server, secret_id};
use crate::kubeconfig::until;
use crate::live::project_id;
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(a_project_sync_queues_each_assignment_and_each_turns_synced_again);

/// How long the simulated cluster may take: it is not instant, and need not be.
const LIMIT: Duration = Duration::from_secs(30);

/// `secret`'s assignment to `project` as its page shows it.
async fn assignment(admin: &Client, secret: i64, project: &str) -> Value {
    let (status, detail) = admin.call("get_secret", json!({"id": secret})).await;
    assert_eq!(status, 200, "{detail}");
    (detail["assignments"].as_array().unwrap().iter())
        .find(|a| a["project"]["name"] == project)
        .cloned()
        .unwrap_or_else(|| panic!("assigned to {project}: {detail}"))
}

/// Waits until `secret`'s assignment to `project` is Synced, its last sync at `since` or
/// later (a Kubernetes Secret), or External Secrets Operator fetched again in that second or
/// later (an External one).
async fn synced_since(admin: &Client, secret: i64, project: &str, since: i64, external: bool) {
    until(
        &format!("secret {secret} synced again in {project}"),
        LIMIT,
        || async move {
            let a = assignment(admin, secret, project).await;
            let at = if external {
                a["refreshed_at"]
                    .as_i64()
                    .filter(|at| *at >= since - since % 1000)
            } else {
                a["last_sync_at"].as_i64().filter(|at| *at >= since)
            };
            match (a["status"].as_str(), at) {
                (Some("Synced"), Some(_)) => Ok(()),
                _ => Err(a.to_string()),
            }
        },
    )
    .await;
}

async fn sync_all(client: &Client, args: Value) -> (u16, Value) {
    let mut args = args;
    args["csrf"] = json!(client.csrf);
    client.call("sync_all", args).await
}

async fn a_project_sync_queues_each_assignment_and_each_turns_synced_again(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let payments = project_id(&admin, "payments").await;
    let search = project_id(&admin, "search").await;
    let own = secret_id(&admin, "payments-api-key").await;
    let postgres = secret_id(&admin, "postgres-credentials").await;
    // The demo's first apply has finished: what follows is the sync's doing, not that.
    synced_since(&admin, own, "payments", 0, false).await;
    synced_since(&admin, postgres, "payments", 0, true).await;

    let (status, body) = sync_all(&admin, json!({"project_id": payments})).await;
    assert_eq!(status, 200, "{body}");
    let batch: SyncBatch = serde_json::from_value(body.clone()).expect("a batch");
    let queued: BTreeSet<(i64, i64, bool)> = (batch.items.iter())
        .map(|i| (i.secret_id, i.project_id, i.external))
        .collect();
    assert_eq!(
        queued,
        BTreeSet::from([(postgres, payments, true), (own, payments, false)]),
        "{body}"
    );
    assert_eq!(batch.skipped, 0);
    // Both turn Synced again: the Kubernetes Secret applied again, the ExternalSecret fetched.
    synced_since(&admin, own, "payments", batch.requested_at, false).await;
    synced_since(&admin, postgres, "payments", batch.requested_at, true).await;

    // A team member syncs their project's own secrets; the organization secret assigned there
    // is the admins' (as with Sync now), left alone and counted.
    let (status, body) = sync_all(&dev, json!({"project_id": payments})).await;
    assert_eq!(status, 200, "{body}");
    let batch: SyncBatch = serde_json::from_value(body.clone()).expect("a batch");
    let queued: Vec<i64> = batch.items.iter().map(|i| i.secret_id).collect();
    assert_eq!((queued, batch.skipped), (vec![own], 1), "{body}");
    synced_since(&admin, own, "payments", batch.requested_at, false).await;

    // Not their project: as if it did not exist. A cluster: admins only.
    let (status, body) = sync_all(&dev, json!({"project_id": search})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = sync_all(&dev, json!({"cluster_id": 1})).await;
    assert_eq!(status, 403, "{body}");
    // One of the two, not neither.
    let (status, body) = sync_all(&admin, json!({})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = sync_all(&admin, json!({"project_id": 999_999})).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn a_cluster_sync_covers_every_project_on_it_and_nothing_elsewhere() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (status, clusters) = admin.call("list_clusters", json!({})).await;
    assert_eq!(status, 200, "{clusters}");
    let gcp = (clusters.as_array().unwrap().iter())
        .find(|c| c["name"] == "gcp-dev")
        .and_then(|c| c["id"].as_i64())
        .expect("the demo's gcp-dev cluster");
    let (search, ml) = (
        project_id(&admin, "search").await,
        project_id(&admin, "ml-training").await,
    );
    let (status, body) = sync_all(&admin, json!({"cluster_id": gcp})).await;
    assert_eq!(status, 200, "{body}");
    let batch: SyncBatch = serde_json::from_value(body.clone()).expect("a batch");
    let projects: BTreeSet<i64> = batch.items.iter().map(|i| i.project_id).collect();
    assert_eq!(projects, BTreeSet::from([search, ml]), "{body}");
    // search has postgres-credentials and legacy-api-key, ml-training huggingface-token.
    assert_eq!(batch.items.len(), 3, "{body}");
    let hf = secret_id(&admin, "huggingface-token").await;
    synced_since(&admin, hf, "ml-training", batch.requested_at, true).await;
}

#[tokio::test]
async fn sync_now_applies_a_kubernetes_secret_again_and_shows_it_synced_anew() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let own = secret_id(&admin, "payments-api-key").await;
    synced_since(&admin, own, "payments", 0, false).await;
    let before = assignment(&admin, own, "payments").await["last_sync_at"]
        .as_i64()
        .expect("synced once");
    let (status, body) = admin
        .call("sync_secret", json!({"csrf": admin.csrf, "id": own}))
        .await;
    assert_eq!((status, body.as_i64()), (200, Some(1)), "{body}");
    synced_since(&admin, own, "payments", before + 1, false).await;
}

#[tokio::test]
async fn a_member_of_another_project_syncs_nothing_of_payments() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (status, user) = admin
        .call("create_user", json!({"csrf": admin.csrf, "email": "other@example.com", "password": PASSWORD, "is_admin": false}))
        .await;
    assert_eq!(status, 200, "{user}");
    let other = Client::signed_in(&server, "other@example.com").await;
    let payments = project_id(&admin, "payments").await;
    let (status, body) = sync_all(&other, json!({"project_id": payments})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) =
        sync_all(&Client::anonymous(&server), json!({"project_id": payments})).await;
    assert_eq!(status, 401, "{body}");
}
