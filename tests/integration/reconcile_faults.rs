//! The reconciler and status watcher in-process, on both database engines, against simulated
//! clusters over real HTTP: store faults, collisions, outages and stuck deletes.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use secrets_console::model::secret::{
    ExternalDataEntry, ExternalSpec, Scope, SecretSpec, SecretValues, UseCase,
};
use secrets_console::server::audit::Actor;
use secrets_console::server::cluster::registry;
use secrets_console::server::config::DatabaseUrl;
use secrets_console::server::crypto::{Keyring, MasterKey};
use secrets_console::server::db::Db;
use secrets_console::server::projects::{Connection, create_project, ensure_cluster};
use secrets_console::server::reconcile::{Options, Reconciler};
use secrets_console::server::secrets::{self, NewSecret};
use secrets_console::sim::controller::ControllerOptions;
use secrets_console::sim::{Sim, SimOptions};
use serde_json::json;

use crate::on_both_backends;
use crate::support::{Backend, TestDb};

pub(crate) struct Rig {
    pub(crate) db: Db,
    pub(crate) admin: Actor,
    pub(crate) sim: Sim,
    pub(crate) keys: Keyring,
    clusters: Vec<registry::ClusterHandle>,
    /// The reconciler with its own connection pool, as if in another process.
    reconciler: Option<(Reconciler, Db)>,
    pub(crate) payments: i64,
    pub(crate) search: i64,
    pub(crate) test_db: TestDb,
    _dir: tempfile::TempDir,
}

fn options() -> Options {
    Options {
        poll: Duration::from_millis(50),
        base_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(800),
        delete_deadline: Duration::from_secs(2),
        resync: Duration::from_secs(1),
        ..Options::default()
    }
}

async fn start_reconciler(
    url: &str,
    keys: &Keyring,
    clusters: &[registry::ClusterHandle],
) -> (Reconciler, Db) {
    let own = Db::connect(&DatabaseUrl::new(url.to_owned()))
        .await
        .unwrap();
    let reconciler = Reconciler::start(own.clone(), keys.clone(), clusters.to_vec(), options());
    (reconciler, own)
}

impl Rig {
    /// Kills the reconciler where it stands (as SIGKILL would: no clean-up runs), then starts
    /// a new one on the same database and clusters. Like a dead process, the old one has its
    /// own connections, and nothing it sent arrives after the new one starts.
    pub(crate) async fn crash_and_restart_reconciler(&mut self) {
        if let Some((reconciler, db)) = self.reconciler.take() {
            reconciler.kill().await;
            db.pool().close().await;
        }
        self.reconciler =
            Some(start_reconciler(&self.test_db.url, &self.keys, &self.clusters).await);
    }

    pub(crate) async fn new(backend: &Backend) -> Rig {
        Rig::new_with(backend, |_| {}).await
    }

    /// A rig whose simulated clusters `adjust` changed (a test says why).
    pub(crate) async fn new_with(backend: &Backend, adjust: impl FnOnce(&mut SimOptions)) -> Rig {
        let test_db = backend.fresh_database().await;
        let db = Db::connect(&DatabaseUrl::new(test_db.url.clone()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let aws = ensure_cluster(&db, "aws-dev", Connection::Simulated, None)
            .await
            .unwrap();
        let gcp = ensure_cluster(&db, "gcp-dev", Connection::Simulated, None)
            .await
            .unwrap();
        let payments = create_project(&db, "payments", aws, "payments")
            .await
            .unwrap();
        let search = create_project(&db, "search", gcp, "search").await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut options = SimOptions {
            clusters: vec!["aws-dev".into(), "gcp-dev".into()],
            state_dir: Some(dir.path().to_path_buf()),
            controller: ControllerOptions {
                min_refresh: Duration::from_millis(200),
                ..ControllerOptions::default()
            },
            ..SimOptions::default()
        };
        adjust(&mut options);
        let sim = Sim::start(options).await.unwrap();
        for (cluster, ns) in [(0, "payments"), (1, "search")] {
            secrets_console::sim::demo::seed_stores(&sim.clusters()[cluster].store);
            sim.clusters()[cluster].ensure_namespace(ns);
        }
        let keys = Keyring::new(MasterKey::generate());
        let clusters = registry::simulated(&db, &dir.path().join("kubeconfig"))
            .await
            .unwrap();
        let reconciler = start_reconciler(&test_db.url, &keys, &clusters).await;
        Rig {
            db,
            admin: Actor::new("admin@example.com"),
            sim,
            keys,
            clusters,
            reconciler: Some(reconciler),
            payments,
            search,
            test_db,
            _dir: dir,
        }
    }

    async fn client(&self, cluster: usize) -> kube::Client {
        let name = &self.sim.clusters()[cluster].name;
        let mut config = self.sim.admin_config(name).await.unwrap();
        config.default_retry = false;
        kube::Client::try_from(config).unwrap()
    }

    async fn org_secret(
        &self,
        name: &str,
        refresh: &str,
        entries: &[(&str, &str)],
        projects: &[i64],
    ) -> i64 {
        let id = secrets::create(
            &self.db,
            &Keyring::new(MasterKey::generate()),
            &self.admin,
            NewSecret {
                name: name.to_owned(),
                scope: Scope::Organization,
                project_id: None,
                use_case: UseCase::Generic,
                description: String::new(),
                spec: SecretSpec::External(ExternalSpec {
                    store: "vault".into(),
                    refresh_interval: refresh.into(),
                    data: entries
                        .iter()
                        .map(|(key, remote)| ExternalDataEntry {
                            secret_key: (*key).into(),
                            remote_key: (*remote).into(),
                            property: None,
                            version: None,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }),
                values: SecretValues::default(),
                assign_to: Vec::new(),
                selectors: String::new(),
            },
        )
        .await
        .unwrap();
        secrets::set_assignments(&self.db, &self.admin, id, projects)
            .await
            .unwrap();
        id
    }

    async fn status(&self, secret: i64, project: i64) -> Option<(String, Option<String>)> {
        sqlx::query_as(
            "SELECT status, reason FROM assignments WHERE secret_id = $1 AND project_id = $2",
        )
        .bind(secret)
        .bind(project)
        .fetch_optional(self.db.pool())
        .await
        .unwrap()
    }

    /// Waits until the assignment's status is `want`; returns its reason.
    async fn until_status(
        &self,
        secret: i64,
        project: i64,
        want: &str,
        secs: u64,
    ) -> Option<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let now = self.status(secret, project).await;
            if let Some((status, reason)) = &now
                && status == want
            {
                return reason.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "wanted {want}, still {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Replaces the `vault` store's fake data / validation result on a cluster.
    async fn set_vault(&self, cluster: usize, data: serde_json::Value, validation_result: i64) {
        let stores: Api<kube::api::DynamicObject> = Api::all_with(
            self.client(cluster).await,
            &kube::api::ApiResource::from_gvk_with_plural(
                &kube::api::GroupVersionKind::gvk(
                    "external-secrets.io",
                    "v1",
                    "ClusterSecretStore",
                ),
                "clustersecretstores",
            ),
        );
        stores
            .patch(
                "vault",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"provider": {"fake": {"data": data, "validationResult": validation_result}}}})),
            )
            .await
            .unwrap();
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some((reconciler, _)) = self.reconciler.take() {
            reconciler.stop();
        }
    }
}

/// Criterion 2: a key removed from the store, or the store made unready, is a SyncedError that
/// names the key or the store; fixing either brings Synced back without anyone acting.
async fn store_faults_are_named_and_heal_by_themselves(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let id = rig
        .org_secret(
            "api",
            "1s",
            &[("token", "shared/postgres/password")],
            &[rig.payments, rig.search],
        )
        .await;
    for project in [rig.payments, rig.search] {
        rig.until_status(id, project, "Synced", 20).await;
    }

    rig.set_vault(0, json!([{"key": "unrelated", "value": "x"}]), 0)
        .await;
    let reason = rig
        .until_status(id, rig.payments, "SyncedError", 20)
        .await
        .unwrap();
    assert!(reason.contains("shared/postgres/password"), "{reason}");
    assert_eq!(
        rig.status(id, rig.search).await.unwrap().0,
        "Synced",
        "the other cluster is fine"
    );

    rig.set_vault(
        0,
        json!([{"key": "shared/postgres/password", "value": "back"}]),
        0,
    )
    .await;
    rig.until_status(id, rig.payments, "Synced", 20).await;

    rig.set_vault(
        1,
        json!([{"key": "shared/postgres/password", "value": "v"}]),
        2,
    )
    .await;
    let reason = rig
        .until_status(id, rig.search, "SyncedError", 20)
        .await
        .unwrap();
    assert!(reason.contains("\"vault\" is not ready"), "{reason}");
    rig.set_vault(
        1,
        json!([{"key": "shared/postgres/password", "value": "v"}]),
        0,
    )
    .await;
    rig.until_status(id, rig.search, "Synced", 20).await;
}

/// The detail says when External Secrets Operator last fetched the values: its
/// ExternalSecret's `status.refreshTime`, followed as ESO refreshes again each interval.
async fn the_detail_says_when_eso_last_fetched(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let id = rig
        .org_secret(
            "fetched",
            "2s",
            &[("token", "shared/postgres/password")],
            &[rig.payments],
        )
        .await;
    rig.until_status(id, rig.payments, "Synced", 20).await;
    let external_secrets: Api<kube::api::DynamicObject> = Api::namespaced_with(
        rig.client(0).await,
        "payments",
        &secrets_console::server::reconcile::external_secret_resource(),
    );
    let shown = || async {
        secrets::detail(&rig.db, id, &secrets::Visibility::All)
            .await
            .unwrap()
            .assignments[0]
            .refreshed_at
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut first = None;
    loop {
        let es = external_secrets.get("fetched").await.unwrap();
        let refresh_time = es.data["status"]["refreshTime"].as_str().map(|at| {
            serde_json::from_value::<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>(json!(
                at
            ))
            .unwrap()
            .0
            .as_millisecond()
        });
        let now = shown().await;
        if let Some(at) = now
            && now == refresh_time
        {
            match first {
                None => first = Some(at),
                // ESO fetched again one interval later, and the detail followed.
                Some(earlier) if at > earlier => {
                    assert!(at - earlier >= 1_000, "{earlier} then {at}");
                    break;
                }
                Some(_) => {}
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the detail shows {now:?}, the ExternalSecret {refresh_time:?} (first {first:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Criterion 4: a same-named Secret we do not own → Failed, naming it; its data untouched.
async fn a_foreign_secret_of_the_same_name_is_never_touched(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let secrets_api: Api<Secret> = Api::namespaced(rig.client(0).await, "payments");
    let foreign: Secret = serde_json::from_value(json!({
        "metadata": {"name": "db-login", "labels": {"owner": "someone-else"}},
        "stringData": {"password": "theirs"},
    }))
    .unwrap();
    secrets_api
        .create(&PostParams::default(), &foreign)
        .await
        .unwrap();
    let before = secrets_api.get("db-login").await.unwrap();

    let id = rig
        .org_secret(
            "db-login",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &[rig.payments],
        )
        .await;
    let reason = rig
        .until_status(id, rig.payments, "Failed", 20)
        .await
        .unwrap();
    assert!(
        reason.contains("`db-login`") && reason.contains("payments"),
        "{reason}"
    );
    // The page offers adoption from what the cluster answered, not from the reason's words.
    let adoptable = |detail: &secrets_console::model::listing::SecretDetail| {
        detail.assignments.iter().any(|a| a.adoptable)
    };
    let detail = secrets::detail(&rig.db, id, &secrets::Visibility::All)
        .await
        .unwrap();
    assert!(adoptable(&detail), "a foreign object can be adopted");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = secrets_api.get("db-login").await.unwrap();
    assert_eq!(after.data, before.data);
    assert_eq!(
        after.metadata.resource_version, before.metadata.resource_version,
        "not even touched"
    );

    // Until an admin explicitly adopts it: then it is taken over and synced from the store.
    secrets::adopt(&rig.db, &rig.admin, id, rig.payments)
        .await
        .unwrap();
    rig.until_status(id, rig.payments, "Synced", 20).await;
    let detail = secrets::detail(&rig.db, id, &secrets::Visibility::All)
        .await
        .unwrap();
    assert!(
        !adoptable(&detail),
        "adopted and synced: nothing left to adopt"
    );
    let adopted = secrets_api.get("db-login").await.unwrap();
    let password = adopted.data.unwrap_or_default()["password"].0.clone();
    assert_eq!(password, b"demo-postgres-password", "the store's value now");
    let labels = adopted.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels
            .get("app.kubernetes.io/managed-by")
            .map(String::as_str),
        Some("secrets-console"),
        "{labels:?}"
    );
    let adopt_flag: bool = sqlx::query_scalar::<_, i64>(
        "SELECT CASE WHEN adopt THEN 1 ELSE 0 END FROM assignments WHERE secret_id = $1",
    )
    .bind(id)
    .fetch_one(rig.db.pool())
    .await
    .unwrap()
        == 1;
    assert!(!adopt_flag, "adoption is one-off");
}

/// A same-named Secret another controller owns (a SealedSecret's): External Secrets Operator
/// would refuse to take it over, so the assignment is Failed naming that owner, and no Adopt
/// is offered for what adopting could not do.
async fn a_secret_another_controller_owns_is_failed_and_not_offered_for_adoption(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let secrets_api: Api<Secret> = Api::namespaced(rig.client(0).await, "payments");
    let sealed: Secret = serde_json::from_value(json!({
        "metadata": {"name": "db-login", "ownerReferences": [{
            "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "name": "db-login",
            "uid": "5e0a1ed0-0000-4000-8000-000000000001", "controller": true}]},
        "stringData": {"password": "theirs"},
    }))
    .unwrap();
    secrets_api
        .create(&PostParams::default(), &sealed)
        .await
        .unwrap();
    let id = rig
        .org_secret(
            "db-login",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &[rig.payments],
        )
        .await;
    let reason = rig
        .until_status(id, rig.payments, "Failed", 20)
        .await
        .unwrap();
    assert!(
        reason.contains("controlled by SealedSecret `db-login`")
            && reason.contains("cannot be adopted"),
        "{reason}"
    );
    let detail = secrets::detail(&rig.db, id, &secrets::Visibility::All)
        .await
        .unwrap();
    assert!(
        detail.assignments.iter().all(|a| !a.adoptable),
        "adopting would fail: ESO does not take over another controller's Secret"
    );
    let after = secrets_api.get("db-login").await.unwrap();
    assert_eq!(after.data.unwrap()["password"].0, b"theirs");
}

/// Events expire (an hour after their last write on a real cluster; 2 s here, so the test
/// sees it). A failure External Secrets Operator stops retrying (paused here, as for an error
/// it does not requeue) outlives its Warning event; the assignment still names the missing
/// key, not only the condition's general words.
async fn a_failure_keeps_its_detail_after_the_warning_event_expires(backend: Backend) {
    let rig = Rig::new_with(&backend, |options| {
        options.event_ttl = Duration::from_secs(2);
    })
    .await;
    let id = rig
        .org_secret(
            "orders-db",
            "1h0m0s",
            &[("password", "shared/missing/password")],
            &[rig.payments],
        )
        .await;
    let reason = rig
        .until_status(id, rig.payments, "SyncedError", 20)
        .await
        .unwrap();
    assert!(reason.contains("shared/missing/password"), "{reason}");
    rig.sim.clusters()[0].faults.set_controller_paused(true);
    let events: Api<k8s_openapi::api::core::v1::Event> =
        Api::namespaced(rig.client(0).await, "payments");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !events
        .list(&kube::api::ListParams::default().fields("involvedObject.name=orders-db"))
        .await
        .unwrap()
        .items
        .is_empty()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the warning event never expired"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Judged again with no event to read: by the resync (every second here) and by Sync now.
    secrets::request_sync(&rig.db, &rig.admin, id, None)
        .await
        .unwrap();
    for _ in 0..15 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (status, reason) = rig.status(id, rig.payments).await.unwrap();
        let reason = reason.unwrap_or_default();
        assert_eq!(status, "SyncedError");
        assert!(
            reason.contains("shared/missing/password"),
            "the detail was lost with the event: {reason}"
        );
    }
}

/// The resync judges every object again each period (every second here); for an object whose
/// status has not changed that is reads only: no row is written, and no lock is waited for.
async fn a_resync_that_changes_nothing_writes_nothing(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let id = rig
        .org_secret(
            "billing-db",
            "1h0m0s",
            &[("password", "shared/missing/password")],
            &[rig.payments],
        )
        .await;
    rig.until_status(id, rig.payments, "SyncedError", 20).await;
    // Settled: the failure's warning kept, a resync pass or two over it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let written = || async {
        sqlx::query_as::<_, (i64, Option<String>)>(
            "SELECT updated_at, last_warning FROM assignments WHERE secret_id = $1 AND project_id = $2",
        )
        .bind(id)
        .bind(rig.payments)
        .fetch_one(rig.db.pool())
        .await
        .unwrap()
    };
    let before = written().await;
    let kept = before.1.clone().expect("the failure's warning is kept");
    assert!(kept.contains("shared/missing/password"), "{kept}");

    // Another writer holds the assignment meanwhile (on SQLite, the whole database): a
    // judgement that took the write lock would wait for it, even to change nothing (on
    // PostgreSQL an UPDATE passes over a row its WHERE does not match, so this holds anyway).
    let other = rig.test_db.any_pool().await;
    let mut held = other.begin().await.unwrap();
    sqlx::query("UPDATE assignments SET status = status WHERE secret_id = $1 AND project_id = $2")
        .bind(id)
        .bind(rig.payments)
        .execute(&mut *held)
        .await
        .unwrap();
    tokio::time::timeout(
        Duration::from_secs(1),
        secrets::record_warning(&rig.db, id, rig.payments, &kept),
    )
    .await
    .expect("the warning already kept is not written again")
    .unwrap();
    held.rollback().await.unwrap();

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        written().await,
        before,
        "resync passes over an unchanged object wrote its row"
    );
}

/// An object of ours that no assignment claims — what an apply sent by a process just before it
/// died leaves when it lands after the removal that followed — is removed and audited, and the
/// secret's real assignment elsewhere is left alone.
async fn an_object_no_assignment_claims_is_removed_and_audited(backend: Backend) {
    let rig = Rig::new(&backend).await;
    // Assigned to search only: nothing of it belongs in payments.
    let id = rig
        .org_secret(
            "late",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &[rig.search],
        )
        .await;
    rig.until_status(id, rig.search, "Synced", 20).await;
    let secrets_api: Api<Secret> = Api::namespaced(rig.client(0).await, "payments");
    let late: Secret = serde_json::from_value(json!({
        "metadata": {"name": "late", "labels": {
            "app.kubernetes.io/managed-by": "secrets-console",
            "secrets-console.io/secret-id": id.to_string(),
            "secrets-console.io/assignment-id": "987654",
        }},
        "stringData": {"password": "canary-late-apply"},
    }))
    .unwrap();
    secrets_api
        .create(&PostParams::default(), &late)
        .await
        .unwrap();

    // Removed, then audited (a moment later).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let detail = loop {
        let gone = secrets_api.get_opt("late").await.unwrap().is_none();
        let detail: Option<String> = sqlx::query_scalar(
            "SELECT detail FROM audit_entries WHERE action = 'orphan' AND secret_id = $1",
        )
        .bind(id)
        .fetch_optional(rig.db.pool())
        .await
        .unwrap()
        .flatten();
        if gone && detail.is_some() {
            break detail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the orphan was not removed and audited (gone: {gone})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let detail = detail.expect("the removal is audited");
    assert!(
        detail.contains("`late`") && detail.contains("`payments`") && detail.contains("aws-dev"),
        "{detail}"
    );
    assert_eq!(
        rig.status(id, rig.search).await.map(|s| s.0).as_deref(),
        Some("Synced"),
        "its real assignment is untouched"
    );
}

/// A same-named ExternalSecret we do not own: Failed, and neither an apply nor "Sync now" ever
/// writes to it (not even the force-sync annotation).
async fn a_foreign_external_secret_is_not_even_annotated_by_sync(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let api = Api::<kube::api::DynamicObject>::namespaced_with(
        rig.client(0).await,
        "payments",
        &secrets_console::server::reconcile::external_secret_resource(),
    );
    let theirs: kube::api::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "their-es", "namespace": "payments", "labels": {"owner": "someone-else"}},
        "spec": {"secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"}, "data": [{"secretKey": "k", "remoteRef": {"key": "shared/postgres/password"}}]},
    }))
    .unwrap();
    api.create(&PostParams::default(), &theirs).await.unwrap();
    let id = rig
        .org_secret(
            "their-es",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &[rig.payments],
        )
        .await;
    rig.until_status(id, rig.payments, "Failed", 20).await;
    let before = api.get("their-es").await.unwrap();
    secrets::request_sync(&rig.db, &rig.admin, id, None)
        .await
        .unwrap();
    // The sync request is worked (the queue drains) without touching their object.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM work_items WHERE secret_id = $1")
                .bind(id)
                .fetch_one(rig.db.pool())
                .await
                .unwrap();
        if queued == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sync was not worked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = api.get("their-es").await.unwrap();
    assert_eq!(
        after.metadata.resource_version, before.metadata.resource_version,
        "their ExternalSecret was not written to"
    );
    assert_eq!(rig.status(id, rig.payments).await.unwrap().0, "Failed");
}

/// Criterion 5 (outage half): assignments made while the cluster is down all converge when it
/// returns; nothing is lost or applied twice.
async fn work_queued_during_an_outage_converges_when_the_cluster_returns(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let aws = &rig.sim.clusters()[0];
    let mut projects = Vec::new();
    let cluster_id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE name = 'aws-dev'")
        .fetch_one(rig.db.pool())
        .await
        .unwrap();
    for i in 0..100 {
        let ns = format!("team-{i:03}");
        aws.ensure_namespace(&ns);
        projects.push(create_project(&rig.db, &ns, cluster_id, &ns).await.unwrap());
    }
    aws.faults.set_outage(true);
    let id = rig
        .org_secret(
            "fanout",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &projects,
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pending: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM assignments WHERE secret_id = $1 AND status = 'Pending'",
    )
    .bind(id)
    .fetch_one(rig.db.pool())
    .await
    .unwrap();
    assert_eq!(
        pending, 100,
        "nothing can be applied while the cluster is down"
    );
    // The detail says when the next attempt comes and what the last one ran into.
    let detail = secrets::detail(&rig.db, id, &secrets::Visibility::All)
        .await
        .unwrap();
    let retrying: Vec<_> = detail
        .assignments
        .iter()
        .filter_map(|a| a.retry.clone())
        .collect();
    assert!(!retrying.is_empty(), "retries are shown during the outage");
    assert!(
        retrying
            .iter()
            .all(|r| r.attempts >= 1 && r.last_error.as_deref().is_some_and(|e| !e.is_empty()))
    );
    aws.faults.set_outage(false);
    // Converged: every assignment Synced and the queue drained (a status can turn Synced a
    // moment before its work row is removed).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let synced: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM assignments WHERE secret_id = $1 AND status = 'Synced'",
        )
        .bind(id)
        .fetch_one(rig.db.pool())
        .await
        .unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM work_items")
            .fetch_one(rig.db.pool())
            .await
            .unwrap();
        if synced == 100 && left == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{synced} of 100 Synced, {left} work rows left"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let detail = secrets::detail(&rig.db, id, &secrets::Visibility::All)
        .await
        .unwrap();
    assert!(
        detail.assignments.iter().all(|a| a.retry.is_none()),
        "no retry is announced once converged"
    );
    // Exactly one ExternalSecret per project, each created once (generation 1).
    let es_type =
        secrets_console::sim::resources::by_kind("external-secrets.io", "ExternalSecret").unwrap();
    let all = aws
        .store
        .list(es_type, None, &|_| true, None, None)
        .unwrap();
    assert_eq!(all.items.len(), 100);
    assert!(all.items.iter().all(|es| es["metadata"]["generation"] == 1));
}

/// Criterion 6: a delete held by a finalizer nobody removes is DeleteFailed after the
/// deadline; once the controller runs again and the delete is retried, the object and the
/// assignment are gone.
async fn a_stuck_delete_fails_after_the_deadline_and_a_retry_finishes_it(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let id = rig
        .org_secret(
            "stuck",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &[rig.payments, rig.search],
        )
        .await;
    rig.until_status(id, rig.payments, "Synced", 20).await;
    let aws = &rig.sim.clusters()[0];
    aws.faults.set_controller_paused(true);
    secrets::unassign(&rig.db, &rig.admin, id, rig.payments)
        .await
        .unwrap();
    rig.until_status(id, rig.payments, "Deleting", 5).await;
    let reason = rig
        .until_status(id, rig.payments, "DeleteFailed", 10)
        .await
        .unwrap();
    assert!(reason.contains("finalizer"), "{reason}");

    aws.faults.set_controller_paused(false);
    // The retry action: unassigning again.
    let _ = secrets::unassign(&rig.db, &rig.admin, id, rig.payments).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while rig.status(id, rig.payments).await.is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "assignment row still there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let es_type =
        secrets_console::sim::resources::by_kind("external-secrets.io", "ExternalSecret").unwrap();
    let key = secrets_console::sim::store::Key::new(es_type, "payments", "stuck");
    assert!(aws.store.get(&key).is_err(), "the ExternalSecret is gone");
    assert_eq!(
        rig.status(id, rig.search).await.unwrap().0,
        "Synced",
        "the other assignment stays"
    );
}

/// Criterion 5 (crash half): the reconciler killed in the middle of a fan-out and started
/// again converges; no change is lost or applied twice.
async fn a_reconciler_killed_mid_fan_out_resumes_and_converges(backend: Backend) {
    let mut rig = Rig::new(&backend).await;
    let aws = &rig.sim.clusters()[0];
    let cluster_id: i64 = sqlx::query_scalar("SELECT id FROM clusters WHERE name = 'aws-dev'")
        .fetch_one(rig.db.pool())
        .await
        .unwrap();
    let mut projects = Vec::new();
    for i in 0..60_u32 {
        let ns = format!("crash-{i:03}");
        aws.ensure_namespace(&ns);
        projects.push(create_project(&rig.db, &ns, cluster_id, &ns).await.unwrap());
    }
    // Slow the cluster down so the fan-out is still running when the reconciler dies.
    aws.faults.set_latency(Duration::from_millis(40));
    let id = rig
        .org_secret(
            "crash",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &projects,
        )
        .await;
    let db = rig.db.clone();
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(id)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while count("SELECT COUNT(*) FROM assignments WHERE secret_id = $1 AND status <> 'Pending'")
        .await
        < 5
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fan-out did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let queued = count("SELECT COUNT(*) FROM work_items WHERE secret_id = $1").await;
    assert!(queued > 0, "killed in the middle: work still queued");
    rig.crash_and_restart_reconciler().await;
    rig.sim.clusters()[0].faults.clear();

    // Converged: every assignment Synced and the queue drained (a status can turn Synced a
    // moment before its work row is removed).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let synced =
            count("SELECT COUNT(*) FROM assignments WHERE secret_id = $1 AND status = 'Synced'")
                .await;
        let queued = count("SELECT COUNT(*) FROM work_items WHERE secret_id = $1").await;
        if synced == 60 && queued == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after the restart: {synced} of 60 Synced, {queued} work rows still queued"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let es_type =
        secrets_console::sim::resources::by_kind("external-secrets.io", "ExternalSecret").unwrap();
    let all = rig.sim.clusters()[0]
        .store
        .list(es_type, None, &|_| true, None, None)
        .unwrap();
    assert_eq!(all.items.len(), 60, "one object per assignment");
    assert!(
        all.items.iter().all(|es| es["metadata"]["generation"] == 1),
        "none applied with a changed spec twice"
    );
}

/// An ExternalSecret deleted while the console's watch was away, its history compacted so the
/// watch must list again: kube-runtime's relist sends no Delete for what it no longer finds,
/// so that absence is the deletion. It is put back and audited, as a deletion seen live is.
async fn an_external_secret_deleted_while_the_watch_was_away_is_put_back(backend: Backend) {
    use secrets_console::sim::store::{DeleteOptions, Key};
    let rig = Rig::new(&backend).await;
    let id = rig
        .org_secret(
            "away",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &[rig.payments],
        )
        .await;
    rig.until_status(id, rig.payments, "Synced", 20).await;
    let aws = &rig.sim.clusters()[0];
    let es_type =
        secrets_console::sim::resources::by_kind("external-secrets.io", "ExternalSecret").unwrap();
    let key = Key::new(es_type, "payments", "away");
    aws.faults.set_outage(true);
    // Someone with access to the cluster deletes it meanwhile; ESO lets it go.
    aws.store.delete(&key, &DeleteOptions::default()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while aws.store.get(&key).is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "ESO never released its finalizer"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    aws.store.compact();
    tokio::time::sleep(Duration::from_secs(1)).await;
    aws.faults.set_outage(false);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_entries WHERE action = 'drift' AND secret_id = $1 \
             AND detail LIKE '%ExternalSecret deleted (or its labels removed) outside secrets-console%'",
        )
        .bind(id)
        .fetch_one(rig.db.pool())
        .await
        .unwrap();
        let back = aws.store.get(&key).is_ok();
        let status = rig.status(id, rig.payments).await.map(|s| s.0);
        if audited == 1 && back && status.as_deref() == Some("Synced") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after the relist: audited {audited}, back {back}, status {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An image pull secret from a store arrives as what kubelet reads: ESO is asked for the
/// `kubernetes.io/dockerconfigjson` type (without it the API server makes the Secret Opaque),
/// and the target keeps the console's labels. A Kubernetes-kind one whose value is not a
/// Docker config is refused before anything is queued, naming the key, never the value.
async fn image_pull_secrets_arrive_typed_and_bad_docker_configs_are_refused(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let id = secrets::create(
        &rig.db,
        &rig.keys,
        &rig.admin,
        NewSecret {
            name: "registry-pull".to_owned(),
            scope: Scope::Organization,
            project_id: None,
            use_case: UseCase::ImagePullSecret,
            description: String::new(),
            spec: SecretSpec::External(ExternalSpec {
                store: "vault".into(),
                refresh_interval: "1h0m0s".into(),
                data: vec![ExternalDataEntry {
                    secret_key: ".dockerconfigjson".into(),
                    remote_key: "shared/registry/dockerconfigjson".into(),
                    property: None,
                    version: None,
                    ..Default::default()
                }],
                ..Default::default()
            }),
            values: SecretValues::default(),
            assign_to: Vec::new(),
            selectors: String::new(),
        },
    )
    .await
    .unwrap();
    secrets::set_assignments(&rig.db, &rig.admin, id, &[rig.payments])
        .await
        .unwrap();
    rig.until_status(id, rig.payments, "Synced", 20).await;
    let target: Secret = Api::namespaced(rig.client(0).await, "payments")
        .get("registry-pull")
        .await
        .unwrap();
    assert_eq!(
        target.type_.as_deref(),
        Some("kubernetes.io/dockerconfigjson")
    );
    let labels = target.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels.get("secrets-console.io/secret-id"),
        Some(&id.to_string())
    );

    let refused = secrets::create(
        &rig.db,
        &rig.keys,
        &rig.admin,
        NewSecret {
            name: "registry-typed".to_owned(),
            scope: Scope::Organization,
            project_id: None,
            use_case: UseCase::ImagePullSecret,
            description: String::new(),
            spec: SecretSpec::Kubernetes(secrets_console::model::secret::KubernetesSpec {
                secret_type: "kubernetes.io/dockerconfigjson".into(),
                keys: vec![".dockerconfigjson".into()],
            }),
            values: SecretValues::from_pairs([(
                ".dockerconfigjson".to_owned(),
                "canary-registry-password".to_owned(),
            )]),
            assign_to: Vec::new(),
            selectors: String::new(),
        },
    )
    .await
    .unwrap_err();
    let shown = refused.to_string();
    assert!(
        matches!(&refused, secrets_console::server::errors::ServiceError::Invalid(e) if e.field == "values..dockerconfigjson"),
        "{refused:?}"
    );
    assert!(!shown.contains("canary"), "{shown}");
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM secrets WHERE name = 'registry-typed'")
            .fetch_one(rig.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 0, "nothing half-written");
}

/// Unassigned and assigned again at once: the earlier ExternalSecret is still waiting on ESO's
/// finalizer, and its target Secret on the garbage collector (seconds after its owner goes, on
/// a real cluster and here). Neither is foreign: the new assignment waits or takes over, and
/// ends Synced with its own labels, never Failed.
async fn unassign_then_assign_again_waits_for_the_garbage_collector(backend: Backend) {
    let rig = Rig::new(&backend).await;
    let id = rig
        .org_secret(
            "again",
            "1h0m0s",
            &[("password", "shared/postgres/password")],
            &[rig.payments],
        )
        .await;
    rig.until_status(id, rig.payments, "Synced", 20).await;
    secrets::set_assignments(&rig.db, &rig.admin, id, &[])
        .await
        .unwrap();
    // The removal finishes when the ExternalSecret is gone; its target Secret is left for the
    // garbage collector, which comes a second later.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while rig.status(id, rig.payments).await.is_some() {
        assert!(tokio::time::Instant::now() < deadline, "never unassigned");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let target_left: Option<Secret> = Api::namespaced(rig.client(0).await, "payments")
        .get_opt("again")
        .await
        .unwrap();
    assert!(
        target_left.is_some(),
        "the target Secret outlives its ExternalSecret until the garbage collector comes"
    );
    secrets::set_assignments(&rig.db, &rig.admin, id, &[rig.payments])
        .await
        .unwrap();
    let assignment: i64 =
        sqlx::query_scalar("SELECT id FROM assignments WHERE secret_id = $1 AND project_id = $2")
            .bind(id)
            .bind(rig.payments)
            .fetch_one(rig.db.pool())
            .await
            .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = rig.status(id, rig.payments).await;
        if let Some((status, reason)) = &now {
            assert_ne!(status, "Failed", "{reason:?}");
            if status == "Synced" {
                let client = rig.client(0).await;
                let target: Option<Secret> = Api::namespaced(client, "payments")
                    .get_opt("again")
                    .await
                    .unwrap();
                let label = target
                    .and_then(|t| t.metadata.labels)
                    .and_then(|l| l.get("secrets-console.io/assignment-id").cloned());
                if label == Some(assignment.to_string()) {
                    break;
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not Synced with the new assignment's target: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_backends!(
    the_detail_says_when_eso_last_fetched,
    a_resync_that_changes_nothing_writes_nothing,
    an_object_no_assignment_claims_is_removed_and_audited,
    unassign_then_assign_again_waits_for_the_garbage_collector,
    image_pull_secrets_arrive_typed_and_bad_docker_configs_are_refused,
    an_external_secret_deleted_while_the_watch_was_away_is_put_back,
    a_reconciler_killed_mid_fan_out_resumes_and_converges,
    store_faults_are_named_and_heal_by_themselves,
    a_foreign_secret_of_the_same_name_is_never_touched,
    a_secret_another_controller_owns_is_failed_and_not_offered_for_adoption,
    a_failure_keeps_its_detail_after_the_warning_event_expires,
    a_foreign_external_secret_is_not_even_annotated_by_sync,
    work_queued_during_an_outage_converges_when_the_cluster_returns,
    a_stuck_delete_fails_after_the_deadline_and_a_retry_finishes_it,
);
