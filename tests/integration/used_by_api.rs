//! The `used_by` server function over HTTP against the demo: per assignment the caller may
//! see, the workloads of its namespace that use the secret, as the secret's page and its
//! confirmations show them; NotFound for a secret outside a member's projects.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use secrets_console::model::workloads::{ProjectUsedBy, UsedByAnswer};
use serde_json::{Value, json};

use crate::auth::{Client, PASSWORD, demo_server_on, secret_id};
use crate::support::Backend;

/// The answer of `used_by` for `id` as `client` gets it, by project name.
async fn used_by(client: &Client, id: i64) -> Vec<(String, Option<String>)> {
    let (status, body) = client.call("used_by", json!({"id": id})).await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<ProjectUsedBy> = serde_json::from_value(body.clone()).expect("the answer");
    rows.iter()
        .map(|row| {
            assert!(
                matches!(row.answer, UsedByAnswer::Checked(_)),
                "{} could be checked: {body}",
                row.project.name
            );
            (row.project.name.clone(), row.confirmation())
        })
        .collect()
}

/// The Deployment `api` of the issue: every key of `postgres-credentials` through `envFrom`.
fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "payments"},
        "spec": {
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:1.4",
                    "envFrom": [{"secretRef": {"name": "postgres-credentials"}}]}]},
            },
        },
    })
}

#[tokio::test]
async fn who_uses_a_secret_is_answered_per_visible_project() {
    let db = Backend::Sqlite.fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server_on(&db, Vec::new(), Some(dir.path())).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let postgres = secret_id(&admin, "postgres-credentials").await;
    let own = secret_id(&admin, "payments-api-key").await;

    // Nothing uses it yet, in any of its three projects.
    let none = used_by(&admin, postgres).await;
    let names: Vec<&str> = none.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["analytics", "payments", "search"]);
    assert!(none.iter().all(|(_, said)| said.is_none()), "{none:?}");

    // A Deployment in payments' namespace, applied as kubectl would.
    let (_, detail) = admin.call("get_secret", json!({"id": postgres})).await;
    let cluster = (detail["assignments"].as_array().unwrap().iter())
        .find(|a| a["project"]["name"] == "payments")
        .and_then(|a| a["cluster"].as_str())
        .unwrap()
        .to_owned();
    let kubeconfig = dir.path().join("sim").join("kubeconfig");
    let client = crate::simulated::client_for(&kubeconfig, &cluster).await;
    let deployments: Api<Deployment> = Api::namespaced(client, "payments");
    deployments
        .patch(
            "api",
            &PatchParams::apply("kubectl").force(),
            &Patch::Apply(deployment()),
        )
        .await
        .expect("applied");
    let used = Some("1 workload in payments uses this Secret: Deployment api".to_owned());
    let answer = used_by(&admin, postgres).await;
    assert_eq!(
        answer,
        [
            ("analytics".to_owned(), None),
            ("payments".to_owned(), used.clone()),
            ("search".to_owned(), None),
        ]
    );

    // A member sees their project's row only; a member of another project theirs.
    let member = Client::signed_in(&server, "dev@example.com").await;
    assert_eq!(
        used_by(&member, postgres).await,
        [("payments".to_owned(), used)]
    );
    let (status, user) = admin
        .call("create_user", json!({"csrf": admin.csrf, "email": "other@example.com", "password": PASSWORD, "is_admin": false}))
        .await;
    assert_eq!(status, 200, "{user}");
    let (_, projects) = admin.call("list_projects", json!({})).await;
    let search = (projects.as_array().unwrap().iter())
        .find(|p| p["name"] == "search")
        .and_then(|p| p["id"].as_i64())
        .unwrap();
    let (status, _) = admin
        .call(
            "set_memberships",
            json!({"csrf": admin.csrf, "user_id": user, "project_ids": [search]}),
        )
        .await;
    assert_eq!(status, 200);
    let other = Client::signed_in(&server, "other@example.com").await;
    assert_eq!(
        used_by(&other, postgres).await,
        [("search".to_owned(), None)]
    );
    // Payments' own secret is none of theirs: not found, as for get_secret.
    let (status, body) = other.call("used_by", json!({"id": own})).await;
    assert_eq!(status, 404, "{body}");

    // Deleted, it no longer uses it.
    deployments
        .delete("api", &DeleteParams::default())
        .await
        .expect("deleted");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while used_by(&admin, postgres)
        .await
        .iter()
        .any(|(_, said)| said.is_some())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still used after delete"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
