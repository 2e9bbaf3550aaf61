//! Bringing existing objects under management, over HTTP against the demo's simulated
//! cluster: a Secret made with kubectl in `payments` is listed as not managed (a
//! service-account token is not), "Manage with the console" takes it without any write that
//! changes its `data`, its badge goes Synced, and a later edit in the console changes it. An
//! ExternalSecret is taken with its spec as it is, its target Secret's data unchanged.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, ApiResource, DynamicObject, PostParams, WatchEvent, WatchParams};
use serde_json::{Value, json};

use crate::auth::{Client, demo_server_on};
use crate::on_both_backends;
use crate::reconcile::external_secrets;
use crate::simulated::client_for;
use crate::support::Backend;

on_both_backends!(
    a_secret_made_with_kubectl_is_managed_without_its_data_changing,
    an_external_secret_is_managed_with_its_spec_as_it_is,
);

fn secrets(client: &kube::Client) -> Api<DynamicObject> {
    let resource = ApiResource::erase::<k8s_openapi::api::core::v1::Secret>(&());
    Api::namespaced_with(client.clone(), "payments", &resource)
}

/// Polls `check` every 100 ms for up to `secs` seconds.
async fn until<T, Fut: Future<Output = Option<T>>>(
    secs: u64,
    what: &str,
    mut check: impl FnMut() -> Fut,
) -> T {
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

/// The demo's payments project id.
async fn payments(admin: &Client) -> i64 {
    let (_, projects) = admin.call("list_projects", json!({})).await;
    (projects.as_array().unwrap().iter())
        .find(|p| p["name"] == "payments")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// The unmanaged objects listed for payments, by name.
async fn listed(admin: &Client, project: i64) -> Vec<Value> {
    let (status, answer) = admin
        .call("unmanaged_objects", json!({"project_id": project}))
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["Listed"]
        .as_array()
        .unwrap_or_else(|| panic!("not listed: {answer}"))
        .clone()
}

/// The status of a secret's one assignment.
async fn status_of(admin: &Client, id: i64) -> (String, Value) {
    let (_, detail) = admin.call("get_secret", json!({"id": id})).await;
    let status = detail["assignments"][0]["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, detail)
}

async fn a_secret_made_with_kubectl_is_managed_without_its_data_changing(backend: Backend) {
    let data_dir = tempfile::tempdir().unwrap();
    let db = backend.fresh_database().await;
    let server = demo_server_on(&db, Vec::new(), Some(data_dir.path())).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let project = payments(&admin).await;
    let kubeconfig = data_dir.path().join("sim").join("kubeconfig");
    let cluster = client_for(&kubeconfig, "aws-dev").await;

    // `kubectl create secret generic legacy-db --from-literal=...`, and a token Secret.
    let made: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "legacy-db", "namespace": "payments"},
        "data": {"username": "YXBw", "password": "Y2FuYXJ5LWxlZ2FjeS1wdw=="},
    }))
    .unwrap();
    let made = secrets(&cluster)
        .create(&PostParams::default(), &made)
        .await
        .unwrap();
    let token: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "builder-token", "namespace": "payments",
                     "annotations": {"kubernetes.io/service-account.name": "default"}},
    }))
    .unwrap();
    secrets(&cluster)
        .create(&PostParams::default(), &token)
        .await
        .unwrap();

    // Listed for the admin (keys, never values); the token is not; a member may not look.
    let objects = listed(&admin, project).await;
    let row = (objects.iter())
        .find(|o| o["name"] == "legacy-db")
        .unwrap_or_else(|| panic!("legacy-db not listed: {objects:?}"));
    assert_eq!(row["kind"], "Secret");
    assert_eq!(row["keys"], json!(["password", "username"]));
    assert_eq!(row["blocked"], Value::Null, "{row}");
    assert!(
        objects.iter().all(|o| o["name"] != "builder-token"),
        "a service-account token is listed: {objects:?}"
    );
    assert!(
        !format!("{objects:?}").contains("canary"),
        "a value was listed"
    );
    let (status, _) = dev
        .call("unmanaged_objects", json!({"project_id": project}))
        .await;
    assert_eq!(status, 403);

    // Managed: a project secret of its name, Synced, the console's labels on the object, and
    // the `data` exactly as kubectl wrote it.
    let (status, id) = admin
        .call(
            "manage_existing",
            json!({"csrf": admin.csrf, "project_id": project, "kind": "Secret", "name": "legacy-db"}),
        )
        .await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();
    let (_, detail) = until(30, "Synced", || async {
        let (status, detail) = status_of(&admin, id).await;
        (status == "Synced").then_some((status, detail))
    })
    .await;
    assert_eq!(detail["spec"]["kind"], "Kubernetes", "{detail}");
    assert_eq!(detail["spec"]["keys"], json!(["password", "username"]));
    let after = secrets(&cluster).get("legacy-db").await.unwrap();
    assert_eq!(after.data["data"], made.data["data"], "the data changed");
    // Every write since kubectl's, replayed from its resourceVersion up to now: none changed
    // the data (the labels and annotations did).
    let from = made.metadata.resource_version.clone().unwrap();
    let upto = after.metadata.resource_version.clone().unwrap();
    let mut writes = secrets(&cluster)
        .watch(&WatchParams::default().timeout(10), &from)
        .await
        .unwrap()
        .boxed();
    let mut seen = 0;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), writes.try_next())
            .await
            .expect("the watch replays the writes")
            .unwrap()
            .expect("the watch stays open");
        let object = match event {
            WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => o,
            WatchEvent::Bookmark(_) => continue,
            WatchEvent::Error(e) => panic!("{e:?}"),
        };
        if object.metadata.name.as_deref() != Some("legacy-db") {
            continue;
        }
        seen += 1;
        assert_eq!(
            object.data["data"], made.data["data"],
            "a write changed the data"
        );
        if object.metadata.resource_version.as_deref() == Some(upto.as_str()) {
            break;
        }
    }
    assert!(seen >= 1, "the console's labels were written");
    let labels = after.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("secrets-console")
    );
    let annotations = after.metadata.annotations.clone().unwrap_or_default();
    assert!(
        annotations.contains_key("secrets-console.io/fingerprint"),
        "{annotations:?}"
    );
    // No write the console made changed the data: the object's history of field managers has
    // ours, and the data kubectl wrote is still byte for byte what it wrote.
    assert!(
        (after.metadata.managed_fields.iter().flatten())
            .any(|entry| entry.manager.as_deref() == Some("secrets-console")),
        "{:?}",
        after.metadata.managed_fields
    );
    // It is no longer listed as unmanaged; the audit says it was brought under management.
    assert!(
        listed(&admin, project)
            .await
            .iter()
            .all(|o| o["name"] != "legacy-db")
    );
    let history = detail["history"].to_string();
    assert!(history.contains("manage existing"), "{history}");
    assert!(!history.contains("canary"), "a value in the history");

    // A later edit in the console changes it.
    let version = detail["secret"]["version"].as_i64().unwrap();
    let input = json!({"version": version, "use_case": "Generic", "description": "", "spec": detail["spec"], "replace_values": [{"key": "password", "value": "canary-rotated"}]});
    let (status, body) = admin
        .call(
            "update_secret",
            json!({"csrf": admin.csrf, "id": id, "input": input}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let changed = until(30, "the edit applied", || async {
        let object = secrets(&cluster).get("legacy-db").await.ok()?;
        (object.data["data"]["password"] == "Y2FuYXJ5LXJvdGF0ZWQ=").then_some(object)
    })
    .await;
    assert_eq!(
        changed.data["data"]["username"], "YXBw",
        "the other key kept"
    );
    until(30, "Synced after the edit", || async {
        (status_of(&admin, id).await.0 == "Synced").then_some(())
    })
    .await;
}

async fn an_external_secret_is_managed_with_its_spec_as_it_is(backend: Backend) {
    let data_dir = tempfile::tempdir().unwrap();
    let db = backend.fresh_database().await;
    let server = demo_server_on(&db, Vec::new(), Some(data_dir.path())).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let project = payments(&admin).await;
    let kubeconfig = data_dir.path().join("sim").join("kubeconfig");
    let cluster = client_for(&kubeconfig, "aws-dev").await;

    // Written briefly, as people do: ESO's defaults left implicit.
    let made: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": {"name": "legacy-pg", "namespace": "payments"},
        "spec": {"refreshInterval": "1h",
                 "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                 "data": [{"secretKey": "password", "remoteRef": {"key": "shared/postgres/password"}}]},
    }))
    .unwrap();
    external_secrets(&cluster, "payments")
        .create(&PostParams::default(), &made)
        .await
        .unwrap();
    // One the console's model cannot hold yet is listed with the field it cannot hold.
    let extracting: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": {"name": "legacy-extract", "namespace": "payments"},
        "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
                 "dataFrom": [{"extract": {"key": "shared/postgres"}}],
                 "target": {"template": {"data": {"url": "{{ .host }}"}}}},
    }))
    .unwrap();
    external_secrets(&cluster, "payments")
        .create(&PostParams::default(), &extracting)
        .await
        .unwrap();
    let target = until(30, "ESO's Secret", || async {
        let secret = secrets(&cluster).get("legacy-pg").await.ok()?;
        secret.data["data"]["password"]
            .is_string()
            .then_some(secret)
    })
    .await;

    let objects = listed(&admin, project).await;
    let row = (objects.iter())
        .find(|o| o["name"] == "legacy-pg" && o["kind"] == "ExternalSecret")
        .unwrap_or_else(|| panic!("legacy-pg not listed: {objects:?}"));
    assert_eq!(row["keys"], json!(["password"]));
    assert_eq!(row["blocked"], Value::Null, "{row}");
    // ESO's Secret comes with its ExternalSecret: not a row of its own.
    assert!(
        objects
            .iter()
            .all(|o| !(o["name"] == "legacy-pg" && o["kind"] == "Secret")),
        "{objects:?}"
    );
    let blocked = (objects.iter())
        .find(|o| o["name"] == "legacy-extract")
        .map(|o| o["blocked"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    if !blocked.is_empty() {
        assert!(blocked.contains("spec."), "names the field: {blocked}");
        let (status, body) = admin
            .call(
                "manage_existing",
                json!({"csrf": admin.csrf, "project_id": project, "kind": "ExternalSecret", "name": "legacy-extract"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
    }

    let (status, id) = admin
        .call(
            "manage_existing",
            json!({"csrf": admin.csrf, "project_id": project, "kind": "ExternalSecret", "name": "legacy-pg"}),
        )
        .await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();
    let (_, detail) = until(30, "Synced", || async {
        let (status, detail) = status_of(&admin, id).await;
        (status == "Synced").then_some((status, detail))
    })
    .await;
    assert_eq!(detail["spec"]["store"], "vault", "{detail}");
    assert_eq!(
        detail["spec"]["data"][0]["remote_key"],
        "shared/postgres/password"
    );
    let object = external_secrets(&cluster, "payments")
        .get("legacy-pg")
        .await
        .unwrap();
    let labels = object.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("secrets-console")
    );
    assert_eq!(
        object.data["spec"]["data"][0]["remoteRef"]["key"],
        "shared/postgres/password"
    );
    let after = secrets(&cluster).get("legacy-pg").await.unwrap();
    assert_eq!(after.data["data"], target.data["data"], "the data changed");
}
