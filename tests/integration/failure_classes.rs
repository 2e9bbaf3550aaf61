//! Failures a user can act on, one test each: made to happen in a simulated cluster (in a
//! process of its own, known to the app only through a kubeconfig, as a real one would be),
//! then read back over HTTP from the server functions the secret's page calls, and told to the
//! user as the page tells it (`reason_words::shown_failure`: the class's sentence and what to
//! do).

use std::time::Duration;

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use secrets_console::domain::reason_words::shown_failure;
use secrets_console::domain::status::{AssignmentStatus, FailureClass};
use secrets_console::model::listing::{AssignmentDetail, SecretDetail};
use serde_json::{Value, json};

use crate::auth::{Client, external_spec};
use crate::kubeconfig::{SimProcess, start_app, until};
use crate::reconcile::external_secrets;
use crate::support::{Backend, TestDb, TestServer};

/// A simulated cluster `prod` with the demo stores, the app on it, and its admin signed in.
struct Setup {
    sim: SimProcess,
    admin: Client,
    prod: i64,
    _server: TestServer,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

impl Setup {
    async fn new(flags: &[&str]) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let sim = SimProcess::start_with(dir.path(), flags).await;
        let db = Backend::Sqlite.fresh_database().await;
        let server = start_app(&db, &sim, None).await;
        let admin = Client::signed_in(&server, "admin@example.com").await;
        let prod = poll("prod is Reachable", Duration::from_secs(15), || async {
            let (status, clusters) = admin.call("list_clusters", json!({})).await;
            clusters
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["name"] == "prod" && c["reachability"] == "Reachable")
                .and_then(|c| c["id"].as_i64())
                .ok_or(format!("{status}: {clusters}"))
        })
        .await;
        Setup {
            sim,
            admin,
            prod,
            _server: server,
            _db: db,
            _dir: dir,
        }
    }

    /// A project on `prod` whose namespace is `namespace` (created first when `create`).
    async fn project(&self, name: &str, namespace: &str, create: bool) -> i64 {
        if create {
            self.sim.create_namespace(namespace).await;
        }
        let (status, id) = self
            .admin
            .call(
                "create_project",
                json!({"csrf": self.admin.csrf, "name": name, "cluster_id": self.prod, "namespace": namespace}),
            )
            .await;
        assert_eq!(status, 200, "{id}");
        id.as_i64().unwrap()
    }

    /// An organization secret with `spec`.
    async fn secret(&self, name: &str, spec: Value) -> i64 {
        let (status, id) = self
            .admin
            .call("create_secret", json!({"csrf": self.admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": spec, "values": []}}))
            .await;
        assert_eq!(status, 200, "{id}");
        id.as_i64().unwrap()
    }

    async fn assign(&self, secret: i64, project: i64) {
        let (status, body) = self
            .admin
            .call(
                "set_assignments",
                json!({"csrf": self.admin.csrf, "id": secret, "project_ids": [project]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Waits until the secret's assignment in `project` has `status` and shows `class`, as the
    /// secret's page does; returns the assignment.
    async fn until_class(
        &self,
        secret: i64,
        project: i64,
        status: AssignmentStatus,
        class: FailureClass,
    ) -> AssignmentDetail {
        poll(
            &format!("{status:?} shown as {class:?}"),
            Duration::from_secs(30),
            || async {
                let (code, body) = self.admin.call("get_secret", json!({"id": secret})).await;
                let detail: SecretDetail = serde_json::from_value(body.clone())
                    .map_err(|e| format!("{code}: {e}: {body}"))?;
                let row = detail
                    .assignments
                    .iter()
                    .find(|a| a.project.id == project)
                    .cloned()
                    .ok_or(format!("no assignment: {body}"))?;
                let shown = shown_failure(
                    row.status,
                    row.failure,
                    row.last_warning.as_deref(),
                    &detail.spec,
                );
                if row.status == status && shown == Some(class) {
                    // The page says the class's sentence (once rendered, before any script).
                    let page = self
                        .admin
                        .http
                        .get(format!("{}/secrets/{secret}", self.admin.base))
                        .send()
                        .await
                        .map_err(|e| e.to_string())?
                        .text()
                        .await
                        .map_err(|e| e.to_string())?
                        .replace("&#x27;", "'")
                        .replace("&#39;", "'");
                    if !page.contains(class.sentence()) || !page.contains(class.what_to_do()) {
                        return Err(format!("the page does not say {:?}", class.sentence()));
                    }
                    Ok(row)
                } else {
                    Err(format!(
                        "{:?} {shown:?}: {:?} / {:?}",
                        row.status, row.reason, row.last_warning
                    ))
                }
            },
        )
        .await
    }
}

/// Asks `check` until it answers, for at most `limit`; fails with its last complaint.
async fn poll<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) => assert!(
                tokio::time::Instant::now() < deadline,
                "{what} within {limit:?}; last seen: {last}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stores(client: &kube::Client) -> Api<DynamicObject> {
    Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("external-secrets.io", "v1", "ClusterSecretStore"),
            "clustersecretstores",
        ),
    )
}

#[tokio::test]
async fn a_store_that_does_not_exist_is_its_own_failure() {
    let setup = Setup::new(&[]).await;
    let project = setup.project("fc-store", "fc-store", true).await;
    let secret = setup
        .secret(
            "fc-store",
            external_spec("vault", "shared/postgres/password"),
        )
        .await;
    // The platform team removes the store after the secret named it.
    stores(&setup.sim.client)
        .delete("vault", &DeleteParams::default())
        .await
        .unwrap();
    setup.assign(secret, project).await;
    let row = setup
        .until_class(
            secret,
            project,
            AssignmentStatus::SyncedError,
            FailureClass::StoreMissing,
        )
        .await;
    // ESO's own words stay available behind "Controller message".
    assert!(
        row.last_warning
            .as_deref()
            .is_some_and(|w| w.contains("could not get ClusterSecretStore \"vault\"")),
        "{row:?}"
    );
}

#[tokio::test]
async fn a_store_that_is_not_ready_shows_the_stores_own_reason() {
    let setup = Setup::new(&[]).await;
    let project = setup.project("fc-ready", "fc-ready", true).await;
    let secret = setup
        .secret(
            "fc-ready",
            external_spec("vault", "shared/postgres/password"),
        )
        .await;
    // The provider refuses the store (as a failed authentication would).
    stores(&setup.sim.client)
        .patch(
            "vault",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"provider": {"fake": {"validationResult": 2}}}})),
        )
        .await
        .unwrap();
    setup.assign(secret, project).await;
    setup
        .until_class(
            secret,
            project,
            AssignmentStatus::SyncedError,
            FailureClass::StoreNotReady,
        )
        .await;
    // The store's own Ready condition, from the store cache, comes with the detail.
    until(
        "the store's own reason",
        Duration::from_secs(15),
        || async {
            let (_, body) = setup.admin.call("get_secret", json!({"id": secret})).await;
            let condition = body["assignments"][0]["store_condition"].clone();
            let page = setup
                .admin
                .http
                .get(format!("{}/secrets/{secret}", setup.admin.base))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            (condition == json!("InvalidProviderConfig: unable to validate store")
                && page.contains("The store says: InvalidProviderConfig: unable to validate store"))
            .then_some(())
            .ok_or(condition.to_string())
        },
    )
    .await;
}

#[tokio::test]
async fn a_cluster_without_external_secrets_operator_is_its_own_failure() {
    let setup = Setup::new(&[]).await;
    let project = setup.project("fc-eso", "fc-eso", true).await;
    let secret = setup
        .secret("fc-eso", external_spec("vault", "shared/postgres/password"))
        .await;
    // No CRD: the API server answers 404 for ExternalSecret.
    setup.sim.faults(json!({"esoUninstalled": true})).await;
    setup.assign(secret, project).await;
    let row = setup
        .until_class(
            secret,
            project,
            AssignmentStatus::Failed,
            FailureClass::OperatorMissing,
        )
        .await;
    assert_eq!(row.failure, Some(FailureClass::OperatorMissing));
}

#[tokio::test]
async fn a_remote_key_the_store_lacks_is_its_own_failure() {
    let setup = Setup::new(&[]).await;
    let project = setup.project("fc-key", "fc-key", true).await;
    let secret = setup
        .secret("fc-key", external_spec("vault", "shared/fc/absent"))
        .await;
    setup.assign(secret, project).await;
    setup
        .until_class(
            secret,
            project,
            AssignmentStatus::SyncedError,
            FailureClass::RemoteKeyMissing,
        )
        .await;
}

#[tokio::test]
async fn a_pinned_version_the_store_lacks_is_its_own_failure() {
    let setup = Setup::new(&[]).await;
    let project = setup.project("fc-version", "fc-version", true).await;
    let mut spec = external_spec("vault", "shared/postgres/password");
    spec["data"][0]["version"] = json!("v999");
    let secret = setup.secret("fc-version", spec).await;
    setup.assign(secret, project).await;
    setup
        .until_class(
            secret,
            project,
            AssignmentStatus::SyncedError,
            FailureClass::VersionMissing,
        )
        .await;
}

#[tokio::test]
async fn a_namespace_that_does_not_exist_is_its_own_failure() {
    let setup = Setup::new(&[]).await;
    // The platform team has not created it: a kubeconfig cluster's namespaces are theirs.
    let project = setup.project("fc-ns", "fc-not-created", false).await;
    let secret = setup
        .secret("fc-ns", external_spec("vault", "shared/postgres/password"))
        .await;
    setup.assign(secret, project).await;
    let row = setup
        .until_class(
            secret,
            project,
            AssignmentStatus::Failed,
            FailureClass::NamespaceMissing,
        )
        .await;
    assert_eq!(row.failure, Some(FailureClass::NamespaceMissing));
}

#[tokio::test]
async fn a_namespace_the_console_may_not_write_in_is_its_own_failure() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = crate::deploy::render_yaml(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/overlays/staging"),
    );
    let rbac = dir.path().join("staging.yaml");
    std::fs::write(&rbac, &manifests).unwrap();
    let setup = Setup::new(&["--rbac", rbac.to_str().unwrap()]).await;
    // It exists, but the console's role is not bound there.
    let project = setup.project("fc-forbidden", "fc-unbound", true).await;
    let secret = setup
        .secret(
            "fc-forbidden",
            external_spec("vault", "shared/postgres/password"),
        )
        .await;
    setup.assign(secret, project).await;
    let row = setup
        .until_class(
            secret,
            project,
            AssignmentStatus::Failed,
            FailureClass::Forbidden,
        )
        .await;
    assert_eq!(row.failure, Some(FailureClass::Forbidden));
}

#[tokio::test]
async fn a_same_named_object_someone_else_manages_is_its_own_failure() {
    let setup = Setup::new(&[]).await;
    let project = setup.project("fc-foreign", "fc-foreign", true).await;
    // Someone else's ExternalSecret of the same name is already there.
    let foreign: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
        "metadata": {"name": "fc-foreign", "namespace": "fc-foreign"},
        "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "target": {"name": "fc-foreign"},
            "data": [{"secretKey": "token", "remoteRef": {"key": "shared/postgres/password"}}]}
    }))
    .unwrap();
    external_secrets(&setup.sim.client, "fc-foreign")
        .create(&PostParams::default(), &foreign)
        .await
        .unwrap();
    let secret = setup
        .secret(
            "fc-foreign",
            external_spec("vault", "shared/postgres/password"),
        )
        .await;
    setup.assign(secret, project).await;
    let row = setup
        .until_class(
            secret,
            project,
            AssignmentStatus::Failed,
            FailureClass::ForeignObject,
        )
        .await;
    assert!(row.adoptable, "an admin may adopt it: {row:?}");
}
