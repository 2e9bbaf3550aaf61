//! The External Secrets Operator each cluster runs: an older install that serves
//! `external-secrets.io` at `v1beta1` only gets its ExternalSecrets at `v1beta1` and they sync;
//! the Projects and Stores pages say which version and release each cluster has. And the
//! "Download manifest" route: the exact object applied, values never, for those who may see it.

use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde_json::{Value, json};

use crate::auth::{Client, external_spec};
use crate::kubeconfig::{SimProcess, start_app, until};
use crate::support::Backend;

fn external_secrets(client: &kube::Client, namespace: &str, version: &str) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", version, "ExternalSecret"),
        "externalsecrets",
    );
    Api::namespaced_with(client.clone(), namespace, &resource)
}

async fn prod(admin: &Client) -> Value {
    let (status, clusters) = admin.call("list_clusters", json!({})).await;
    assert_eq!(status, 200, "{clusters}");
    clusters
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == "prod"))
        .cloned()
        .unwrap_or(Value::Null)
}

async fn create_project(admin: &Client, sim: &SimProcess, name: &str) -> i64 {
    sim.create_namespace(name).await;
    let cluster = prod(admin).await["id"].as_i64().unwrap();
    let (status, id) = admin
        .call(
            "create_project",
            json!({"csrf": admin.csrf, "name": name, "cluster_id": cluster, "namespace": name}),
        )
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().unwrap()
}

async fn create_assigned(admin: &Client, input: Value, project: i64) -> i64 {
    let (status, id) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": input}))
        .await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();
    crate::live::assign(admin, id, &[project]).await;
    id
}

async fn wait_synced(admin: &Client, secret: i64, project: &str) {
    until("Synced", Duration::from_secs(30), || async {
        let (_, detail) = admin.call("get_secret", json!({"id": secret})).await;
        let row = detail["assignments"]
            .as_array()
            .and_then(|rows| rows.iter().find(|a| a["project"]["name"] == project))
            .cloned()
            .unwrap_or(Value::Null);
        (row["status"] == "Synced")
            .then_some(())
            .ok_or_else(|| row.to_string())
    })
    .await;
}

fn url(client: &Client, path: &str) -> String {
    format!("{}{path}", client.base)
}

#[tokio::test]
async fn an_install_serving_only_v1beta1_gets_external_secrets_at_v1beta1_that_sync() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(dir.path()).await;
    sim.faults(json!({"esoV1beta1Only": true})).await;
    let db = Backend::Sqlite.fresh_database().await;
    let server = start_app(&db, &sim, None).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;

    until(
        "prod's operator is discovered",
        Duration::from_secs(20),
        || async {
            let prod = prod(&admin).await;
            (prod["eso"]["api_version"] == "v1beta1" && prod["eso"]["version"] == "v0.9.20")
                .then_some(())
                .ok_or_else(|| prod.to_string())
        },
    )
    .await;

    let orders = create_project(&admin, &sim, "orders").await;
    let secret = create_assigned(
        &admin,
        json!({"name": "orders-db", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/postgres/password"), "values": []}),
        orders,
    )
    .await;
    wait_synced(&admin, secret, "orders").await;

    // On the cluster: an ExternalSecret at v1beta1, the version it serves; v1 is not served.
    let applied = external_secrets(&sim.client, "orders", "v1beta1")
        .get("orders-db")
        .await
        .unwrap();
    assert_eq!(
        applied.types.as_ref().map(|t| t.api_version.as_str()),
        Some("external-secrets.io/v1beta1")
    );
    let v1 = external_secrets(&sim.client, "orders", "v1")
        .get("orders-db")
        .await;
    assert!(
        matches!(&v1, Err(kube::Error::Api(status)) if status.code == 404),
        "{v1:?}"
    );

    // The secret's page shows the object as applied, at v1beta1.
    let (status, manifests) = admin.call("applied_manifests", json!({"id": secret})).await;
    assert_eq!(status, 200, "{manifests}");
    assert_eq!(
        manifests[0]["api_version"], "external-secrets.io/v1beta1",
        "{manifests}"
    );

    // The Stores page and the Projects page say which operator prod runs.
    let (status, stores) = admin.call("list_stores", json!({})).await;
    assert_eq!(status, 200, "{stores}");
    let section = stores
        .as_array()
        .and_then(|all| all.iter().find(|c| c["cluster"] == "prod"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(section["eso"]["api_version"], "v1beta1", "{section}");
    let words = "ESO v0.9.20 · external-secrets.io/v1beta1";
    for path in ["/projects", "/stores"] {
        let html = admin.page(path).await;
        assert!(html.contains(words), "{path} does not say `{words}`");
    }
}

#[tokio::test]
async fn the_manifest_download_is_the_applied_object_and_never_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(dir.path()).await;
    let db = Backend::Sqlite.fresh_database().await;
    let server = start_app(&db, &sim, None).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    until("prod is discovered", Duration::from_secs(20), || async {
        let prod = prod(&admin).await;
        (prod["eso"]["api_version"] == "v1" && prod["eso"]["version"] == "v2.9.0")
            .then_some(())
            .ok_or_else(|| prod.to_string())
    })
    .await;
    let orders = create_project(&admin, &sim, "orders").await;
    let external = create_assigned(
        &admin,
        json!({"name": "orders-db", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/postgres/password"), "values": []}),
        orders,
    )
    .await;
    let kubernetes = create_assigned(
        &admin,
        json!({"name": "orders-key", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": {"kind": "Kubernetes", "secret_type": "Opaque", "keys": ["API_KEY"]}, "values": [{"key": "API_KEY", "value": "download-canary-value"}]}),
        orders,
    )
    .await;
    wait_synced(&admin, external, "orders").await;
    wait_synced(&admin, kubernetes, "orders").await;

    let download = |client: &Client, secret: i64| {
        let url = url(
            client,
            &format!("/secrets/{secret}/manifest?project={orders}"),
        );
        let http = client.http.clone();
        async move { http.get(url).send().await.unwrap() }
    };

    // The ExternalSecret: a YAML file that is exactly what the cluster holds of what the
    // console applied (every default pinned, so nothing differs).
    let response = download(&admin, external).await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-type").starts_with("application/yaml"));
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"orders-orders-db.yaml\""
    );
    let yaml = response.text().await.unwrap();
    let downloaded: Value = serde_saphyr::from_str(&yaml).unwrap();
    let live = external_secrets(&sim.client, "orders", "v1")
        .get("orders-db")
        .await
        .unwrap();
    let live = serde_json::to_value(&live).unwrap();
    let applied = json!({
        "apiVersion": live["apiVersion"],
        "kind": live["kind"],
        "metadata": {
            "name": live["metadata"]["name"],
            "namespace": live["metadata"]["namespace"],
            "labels": live["metadata"]["labels"],
        },
        "spec": live["spec"],
    });
    assert_eq!(downloaded, applied, "{yaml}");

    // The Kubernetes secret: its key and type, a placeholder for its value.
    let response = download(&admin, kubernetes).await;
    assert_eq!(response.status(), 200);
    let yaml = response.text().await.unwrap();
    assert!(!yaml.contains("canary"), "{yaml}");
    let downloaded: Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(downloaded["kind"], "Secret");
    assert_eq!(downloaded["type"], "Opaque");
    assert_eq!(downloaded["data"]["API_KEY"], "<value not shown>");

    // A member of another project meets nothing there; signed out, a sign-in is asked for.
    let member = Client::signed_in(&server, "dev@example.com").await;
    assert_eq!(download(&member, external).await.status(), 404);
    assert_eq!(download(&member, kubernetes).await.status(), 404);
    let anonymous = Client::anonymous(&server);
    assert_eq!(download(&anonymous, external).await.status(), 401);
    // An assignment that does not exist is no different.
    let response = admin
        .http
        .get(url(
            &admin,
            &format!("/secrets/{external}/manifest?project=999999"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(server.leaks().is_empty(), "{:?}", server.leaks());
}
