//! Clusters from a kubeconfig. The standalone simulated cluster (`secrets-console sim`), in a
//! process of its own, stands in for a real cluster: the app knows it only through the
//! kubeconfig, and it lives on when the app is killed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams, PostParams};
use serde_json::{Value, json};

use crate::auth::{Client, demo_server_on, external_spec};
use crate::reconcile::external_secrets;
use crate::support::{Backend, TestServer};

/// `secrets-console sim` with one cluster, `prod`, and the demo stores.
pub(crate) struct SimProcess {
    _child: tokio::process::Child,
    kubeconfig: PathBuf,
    url: String,
    /// The cluster admin's bearer token (user `sim-admin` of the kubeconfig).
    token: String,
    /// Trusts the cluster's CA.
    http: reqwest::Client,
    pub(crate) client: kube::Client,
}

/// An HTTP client that trusts the simulated cluster's CA (the first cluster's
/// `certificate-authority-data`), as kubectl does from the kubeconfig.
pub(crate) fn sim_http(kubeconfig: &str) -> reqwest::Client {
    use base64::Engine as _;
    let data = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
        .expect("the kubeconfig carries the cluster's CA");
    let pem = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// The token of the kubeconfig's `sim-admin` user.
pub(crate) fn admin_token(kubeconfig: &str) -> String {
    kubeconfig
        .split("- name: sim-admin")
        .nth(1)
        .and_then(|rest| rest.lines().find_map(|l| l.trim().strip_prefix("token: ")))
        .expect("the kubeconfig has the sim-admin user's token")
        .trim()
        .to_owned()
}

impl SimProcess {
    pub(crate) async fn start(dir: &Path) -> SimProcess {
        Self::start_with(dir, &[]).await
    }

    /// With more flags of `secrets-console sim`. The test's own client is the cluster admin
    /// (the kubeconfig's `sim-admin` user), whatever the contexts' user may do.
    pub(crate) async fn start_with(dir: &Path, flags: &[&str]) -> SimProcess {
        let kubeconfig = dir.join("prod.kubeconfig");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_secrets-console"))
            .args(["sim", "--listen", "127.0.0.1:0", "--cluster", "prod"])
            .args(["--demo-stores"])
            .args(flags)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sim starts");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !kubeconfig.exists() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the sim wrote no kubeconfig"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let file = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
        let url = file.clusters[0]
            .cluster
            .as_ref()
            .and_then(|c| c.server.clone())
            .expect("a server URL");
        let options = kube::config::KubeConfigOptions {
            user: Some("sim-admin".to_owned()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(file, &options)
            .await
            .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let text = std::fs::read_to_string(&kubeconfig).unwrap();
        SimProcess {
            _child: child,
            kubeconfig,
            url,
            token: admin_token(&text),
            http: sim_http(&text),
            client,
        }
    }

    /// The namespace, as the cluster's platform team would create it.
    pub(crate) async fn create_namespace(&self, name: &str) {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap();
    }

    pub(crate) async fn faults(&self, settings: Value) {
        let response = self
            .http
            .put(format!("{}/sim/faults", self.url))
            .bearer_auth(&self.token)
            .json(&settings)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
}

pub(crate) async fn start_app(
    db: &crate::support::TestDb,
    sim: &SimProcess,
    data_dir: Option<&Path>,
) -> TestServer {
    demo_server_on(
        db,
        vec![
            (
                "SECRETS_CONSOLE_KUBECONFIG",
                sim.kubeconfig.display().to_string(),
            ),
            ("SECRETS_CONSOLE_CLUSTER_PROBE_INTERVAL", "300ms".to_owned()),
        ],
        data_dir,
    )
    .await
}

async fn cluster(admin: &Client, name: &str) -> Value {
    let (status, clusters) = admin.call("list_clusters", json!({})).await;
    assert_eq!(status, 200, "{clusters}");
    clusters
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("cluster {name} is not listed: {clusters}"))
}

pub(crate) async fn until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match check().await {
            Ok(()) => return,
            Err(last) => assert!(
                tokio::time::Instant::now() < deadline,
                "{what} within {limit:?}; last seen: {last}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn create_project(admin: &Client, name: &str, cluster_id: i64, namespace: &str) -> i64 {
    let (status, id) = admin
        .call(
            "create_project",
            json!({"csrf": admin.csrf, "name": name, "cluster_id": cluster_id, "namespace": namespace}),
        )
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().unwrap()
}

async fn assignment_status(admin: &Client, secret: i64, project: &str) -> (String, String) {
    let (_, detail) = admin.call("get_secret", json!({"id": secret})).await;
    let row = detail["assignments"]
        .as_array()
        .and_then(|rows| rows.iter().find(|a| a["project"]["name"] == project))
        .cloned()
        .unwrap_or(Value::Null);
    (
        row["status"].as_str().unwrap_or("none").to_owned(),
        row["reason"].as_str().unwrap_or("").to_owned(),
    )
}

#[tokio::test]
async fn a_kubeconfig_cluster_is_listed_probed_and_reconciled() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(dir.path()).await;
    let db = Backend::Sqlite.fresh_database().await;
    let server = start_app(&db, &sim, None).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;

    until("prod is Reachable", Duration::from_secs(15), || async {
        let prod = cluster(&admin, "prod").await;
        (prod["reachability"] == "Reachable"
            && prod["connection"] == "kubeconfig"
            && prod["server_version"] == "v1.33.0-secrets-console-sim")
            .then_some(())
            .ok_or_else(|| prod.to_string())
    })
    .await;
    let prod = cluster(&admin, "prod").await["id"].as_i64().unwrap();

    // A project on it; its namespace is the platform team's to create.
    sim.create_namespace("orders").await;
    let orders = create_project(&admin, "orders", prod, "orders").await;
    let (status, body) = admin
        .call(
            "create_project",
            json!({"csrf": admin.csrf, "name": "orders-two", "cluster_id": prod, "namespace": "orders"}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("namespace")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("`orders`"),
        "{body}"
    );

    let (status, secret) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "orders-db", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/postgres/password"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{secret}");
    let secret = secret.as_i64().unwrap();
    let later = create_project(&admin, "later", prod, "later").await;
    let (status, body) = admin
        .call(
            "set_assignments",
            json!({"csrf": admin.csrf, "id": secret, "project_ids": [orders, later]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    until("Synced in orders", Duration::from_secs(20), || async {
        let (status, reason) = assignment_status(&admin, secret, "orders").await;
        (status == "Synced")
            .then_some(())
            .ok_or(format!("{status}: {reason}"))
    })
    .await;
    let objects = external_secrets(&sim.client, "orders")
        .list(&ListParams::default().labels("app.kubernetes.io/managed-by=secrets-console"))
        .await
        .unwrap();
    assert_eq!(
        objects.items.len(),
        1,
        "the ExternalSecret is in the kubeconfig cluster"
    );

    // A missing namespace is named, not created, and heals once the platform team makes it.
    until(
        "Failed naming the namespace",
        Duration::from_secs(20),
        || async {
            let (status, reason) = assignment_status(&admin, secret, "later").await;
            // Nothing of ours was refused by someone else's object: nothing to adopt.
            let (_, detail) = admin.call("get_secret", json!({"id": secret})).await;
            let later = detail["assignments"]
                .as_array()
                .and_then(|rows| rows.iter().find(|a| a["project"]["name"] == "later"))
                .cloned()
                .unwrap_or(Value::Null);
            assert_eq!(later["adoptable"], false, "{later}");
            (status == "Failed"
                && reason.contains("Namespace `later` does not exist on cluster prod"))
            .then_some(())
            .ok_or(format!("{status}: {reason}"))
        },
    )
    .await;
    sim.create_namespace("later").await;
    until(
        "Synced once the namespace exists",
        Duration::from_secs(30),
        || async {
            let (status, reason) = assignment_status(&admin, secret, "later").await;
            (status == "Synced")
                .then_some(())
                .ok_or(format!("{status}: {reason}"))
        },
    )
    .await;

    // An outage shows as Unreachable with the reason, and clears by itself.
    sim.faults(json!({"outage": true})).await;
    until("prod is Unreachable", Duration::from_secs(20), || async {
        let prod = cluster(&admin, "prod").await;
        (prod["reachability"] == "Unreachable"
            && prod["error"].as_str().is_some_and(|e| !e.is_empty()))
        .then_some(())
        .ok_or_else(|| prod.to_string())
    })
    .await;
    sim.faults(json!({"outage": false})).await;
    until(
        "prod is Reachable again",
        Duration::from_secs(20),
        || async {
            let prod = cluster(&admin, "prod").await;
            (prod["reachability"] == "Reachable" && prod["error"].is_null())
                .then_some(())
                .ok_or_else(|| prod.to_string())
        },
    )
    .await;

    // The Projects page shows it to the admin.
    let page = admin
        .http
        .get(format!("{}/projects", admin.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Clusters")
            && page.contains("kubeconfig context")
            && page.contains("Reachable"),
        "{page}"
    );
}

/// Criterion 5 (the app half): the whole app killed with SIGKILL in the middle of a fan-out
/// and started again on the same database converges; nothing is lost or applied twice.
#[tokio::test]
async fn the_app_killed_mid_fan_out_resumes_and_converges() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimProcess::start(dir.path()).await;
    let db = Backend::Sqlite.fresh_database().await;
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let server = start_app(&db, &sim, Some(&data_dir)).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let prod = cluster(&admin, "prod").await["id"].as_i64().unwrap();
    let mut projects = Vec::new();
    for i in 0..40 {
        let name = format!("fan-{i:02}");
        sim.create_namespace(&name).await;
        projects.push(create_project(&admin, &name, prod, &name).await);
    }
    // Slow the cluster so the fan-out is still under way when the app dies.
    sim.faults(json!({"latencyMs": 60})).await;
    let (status, secret) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "fanned", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/postgres/password"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{secret}");
    let secret = secret.as_i64().unwrap();
    let (status, _) = admin
        .call(
            "set_assignments",
            json!({"csrf": admin.csrf, "id": secret, "project_ids": projects}),
        )
        .await;
    assert_eq!(status, 200);

    let pool = db.any_pool().await;
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(secret)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    until(
        "the fan-out is under way",
        Duration::from_secs(30),
        || async {
            let applied = count(
                "SELECT COUNT(*) FROM assignments WHERE secret_id = $1 AND status <> 'Pending'",
            )
            .await;
            (applied >= 3)
                .then_some(())
                .ok_or(format!("{applied} applied"))
        },
    )
    .await;
    let queued = count("SELECT COUNT(*) FROM work_items WHERE secret_id = $1").await;
    assert!(queued > 0, "killed in the middle: work still queued");
    let pid = nix_kill(server.pid());
    drop(server);
    assert!(pid, "SIGKILL delivered");

    sim.faults(json!({})).await;
    let server = start_app(&db, &sim, Some(&data_dir)).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    until(
        "all 40 Synced and the queue drained",
        Duration::from_secs(60),
        || async {
            let synced = count(
                "SELECT COUNT(*) FROM assignments WHERE secret_id = $1 AND status = 'Synced'",
            )
            .await;
            let queued = count("SELECT COUNT(*) FROM work_items WHERE secret_id = $1").await;
            (synced == 40 && queued == 0)
                .then_some(())
                .ok_or(format!("{synced} Synced, {queued} queued"))
        },
    )
    .await;
    let (_, detail) = admin.call("get_secret", json!({"id": secret})).await;
    assert_eq!(detail["secret"]["status"], "Synced", "{detail}");
    let mut objects = 0;
    for i in 0..40 {
        let list = external_secrets(&sim.client, &format!("fan-{i:02}"))
            .list(&ListParams::default())
            .await
            .unwrap();
        assert_eq!(list.items.len(), 1, "one object in fan-{i:02}");
        assert_eq!(
            list.items[0].metadata.generation,
            Some(1),
            "applied once with its spec"
        );
        objects += list.items.len();
    }
    assert_eq!(objects, 40);
}

/// SIGKILL, as the kernel delivers it: no clean-up runs in the app.
fn nix_kill(pid: u32) -> bool {
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// Issue 10's least privilege, shown rather than read: the simulated cluster enforces the roles
/// the staging overlay binds to the console's service account, and the console does all of its
/// work with them — applies, the per-namespace Secret watches that heal drift, store listing,
/// removal — while a namespace the overlay does not bind is refused, and the refusal is what
/// the user reads on the assignment.
#[tokio::test]
async fn the_deployed_roles_are_enough_and_nothing_reads_secrets_cluster_wide() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = crate::deploy::render_yaml(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/overlays/staging"),
    );
    let documents: Vec<Value> = serde_saphyr::from_multiple(&manifests).unwrap();
    let bound: Vec<String> = documents
        .iter()
        .filter(|d| d["kind"] == "RoleBinding")
        .filter_map(|d| d["metadata"]["namespace"].as_str().map(str::to_owned))
        .collect();
    let allowed = bound
        .first()
        .expect("the overlay binds a project namespace");
    let rbac = dir.path().join("staging.yaml");
    std::fs::write(&rbac, &manifests).unwrap();
    let sim = SimProcess::start_with(dir.path(), &["--rbac", rbac.to_str().unwrap()]).await;
    sim.create_namespace(allowed).await;
    sim.create_namespace("unbound").await;

    let db = Backend::Sqlite.fresh_database().await;
    let server = start_app(&db, &sim, None).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    until("prod is Reachable", Duration::from_secs(15), || async {
        let prod = cluster(&admin, "prod").await;
        (prod["reachability"] == "Reachable")
            .then_some(())
            .ok_or_else(|| prod.to_string())
    })
    .await;
    let prod = cluster(&admin, "prod").await["id"].as_i64().unwrap();
    let (status, stores) = admin.call("list_stores", json!({})).await;
    assert_eq!(status, 200, "{stores}");
    assert!(
        stores.to_string().contains("vault"),
        "the Stores page lists the cluster's stores: {stores}"
    );

    let team = create_project(&admin, "team", prod, allowed).await;
    let other = create_project(&admin, "other", prod, "unbound").await;
    // A project whose namespace the platform team has not created yet: under these roles the
    // apply is a 403 as well (no RoleBinding can exist in it), yet the user must read that
    // the namespace does not exist, not that a role is missing.
    let absent = create_project(&admin, "later", prod, "not-created-yet").await;
    let (status, external) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "db-password", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/postgres/password"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{external}");
    let (status, native) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "api-key", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": {"kind": "Kubernetes", "secret_type": "Opaque", "keys": ["API_KEY"]}, "values": [{"key": "API_KEY", "value": "rbac-canary-value"}]}}))
        .await;
    assert_eq!(status, 200, "{native}");
    let (external, native) = (external.as_i64().unwrap(), native.as_i64().unwrap());
    for secret in [external, native] {
        let (status, body) = admin
            .call(
                "set_assignments",
                json!({"csrf": admin.csrf, "id": secret, "project_ids": [team, other, absent]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for secret in [external, native] {
        until(
            "Synced where the role is bound",
            Duration::from_secs(20),
            || async {
                let (status, reason) = assignment_status(&admin, secret, "team").await;
                (status == "Synced")
                    .then_some(())
                    .ok_or(format!("{status}: {reason}"))
            },
        )
        .await;
        until(
            "Failed, saying why, where it is not",
            Duration::from_secs(20),
            || async {
                let (status, reason) = assignment_status(&admin, secret, "other").await;
                (status == "Failed" && reason.contains("forbidden") && reason.contains("unbound"))
                    .then_some(())
                    .ok_or(format!("{status}: {reason}"))
            },
        )
        .await;
        until(
            "Failed, naming the namespace that does not exist",
            Duration::from_secs(20),
            || async {
                let (status, reason) = assignment_status(&admin, secret, "later").await;
                (status == "Failed"
                    && reason.contains("`not-created-yet` does not exist")
                    && !reason.contains("bind"))
                .then_some(())
                .ok_or(format!("{status}: {reason}"))
            },
        )
        .await;
    }

    // The refusal is tried again with back-off: it heals once the role is bound there.
    until("a retry is scheduled", Duration::from_secs(20), || async {
        let (_, detail) = admin.call("get_secret", json!({"id": native})).await;
        let row = detail["assignments"]
            .as_array()
            .and_then(|rows| rows.iter().find(|a| a["project"]["name"] == "other"))
            .cloned()
            .unwrap_or(Value::Null);
        (row["retry"]["attempts"].as_i64() >= Some(1) && row["retry"]["next_at"].is_i64())
            .then_some(())
            .ok_or_else(|| row.to_string())
    })
    .await;

    // Sync now: the force-sync annotation on the ExternalSecret.
    let (status, queued) = admin
        .call("sync_secret", json!({"csrf": admin.csrf, "id": external}))
        .await;
    assert_eq!(status, 200, "{queued}");
    let es = external_secrets(&sim.client, allowed);
    until(
        "the force-sync annotation",
        Duration::from_secs(20),
        || async {
            let object = es.get("db-password").await.map_err(|e| e.to_string())?;
            object
                .metadata
                .annotations
                .unwrap_or_default()
                .contains_key("force-sync")
                .then_some(())
                .ok_or_else(|| "not annotated yet".to_owned())
        },
    )
    .await;

    // A Secret deleted with kubectl is seen by the namespace's watch and put back.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(sim.client.clone(), allowed);
    secrets
        .delete("api-key", &kube::api::DeleteParams::default())
        .await
        .unwrap();
    until(
        "the deleted Secret is back",
        Duration::from_secs(20),
        || async {
            match secrets.get_opt("api-key").await {
                Ok(Some(_)) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;

    // Removal works with the role too.
    let (status, body) = admin
        .call(
            "set_assignments",
            json!({"csrf": admin.csrf, "id": native, "project_ids": [other, absent]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    until("the Secret is removed", Duration::from_secs(20), || async {
        match secrets.get_opt("api-key").await {
            Ok(None) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    let refused: Value = sim
        .http
        .get(format!("{}/sim/rbac", sim.url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused: Vec<&str> = refused["denied"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!refused.is_empty(), "the unbound namespace was refused");
    let elsewhere: Vec<&&str> = refused
        .iter()
        .filter(|why| {
            !why.contains("in the namespace \"unbound\"")
                && !why.contains("in the namespace \"not-created-yet\"")
        })
        .collect();
    assert!(
        elsewhere.is_empty(),
        "the console needed more than the overlay grants: {elsewhere:#?}"
    );
}
