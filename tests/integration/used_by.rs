//! Who uses a Secret, end to end: workloads applied to a simulated cluster over real HTTP,
//! read back by `server::cluster::workloads::used_by` through the client the console builds
//! for a cluster (`registry::client_for_context`), held to the console's own RBAC
//! (`deploy/base/rbac/rbac.yaml`, bound in the project namespace as the overlays bind it).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use secrets_console::model::workloads::{
    KeysUsed, ReferenceVia, UncheckedKind, UncheckedReason, WorkloadKind,
};
use secrets_console::server::cluster::registry::client_for_context;
use secrets_console::server::cluster::workloads::used_by;
use secrets_console::sim::rbac::Policy;
use secrets_console::sim::{Sim, SimOptions};
use serde_json::json;

const RBAC: &str = include_str!("../../deploy/base/rbac/rbac.yaml");

/// The RoleBinding `deploy/overlays/*/project-namespaces.yaml` writes for a project namespace.
const BINDING: &str = r#"
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: secrets-console, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets-console-project}
subjects: [{kind: ServiceAccount, name: secrets-console, namespace: secrets-console}]
"#;

/// A simulated cluster enforcing `roles`, its admin client, and the console's client.
async fn cluster(roles: &str) -> (Sim, kube::Client, kube::Client) {
    let policy = Policy::from_manifests(
        &format!("{roles}{BINDING}"),
        "secrets-console:secrets-console",
    )
    .expect("the roles parse");
    let sim = Sim::start(SimOptions {
        clusters: vec!["sim".to_owned()],
        rbac: Some(Arc::new(policy)),
        ..SimOptions::default()
    })
    .await
    .expect("the simulated cluster starts");
    sim.clusters()[0].ensure_namespace("payments");
    let mut admin = sim.admin_config("sim").await.expect("admin config");
    admin.default_retry = false;
    let admin = kube::Client::try_from(admin).expect("admin client");
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&sim.kubeconfig()).expect("kubeconfig");
    let console = client_for_context(&kubeconfig, "sim", "sim")
        .await
        .expect("the console's client");
    (sim, admin, console)
}

/// Server-side applies a manifest as kubectl would (`kubectl apply --server-side`).
async fn apply<K>(admin: &kube::Client, manifest: serde_json::Value)
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(admin.clone(), "payments");
    let name = manifest["metadata"]["name"].as_str().unwrap().to_owned();
    api.patch(
        &name,
        &PatchParams::apply("kubectl").force(),
        &Patch::Apply(manifest),
    )
    .await
    .expect("applied");
}

async fn workloads_of(admin: &kube::Client) {
    apply::<Deployment>(
        admin,
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
        }),
    )
    .await;
    apply::<CronJob>(
        admin,
        json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "payments"},
            "spec": {
                "schedule": "0 3 * * *",
                "jobTemplate": {"spec": {"template": {"spec": {
                    "restartPolicy": "OnFailure",
                    "containers": [{"name": "backup", "image": "ghcr.io/acme/backup:2",
                        "env": [{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef":
                            {"name": "postgres-credentials", "key": "password"}}},
                                {"name": "OTHER", "valueFrom": {"secretKeyRef":
                            {"name": "other", "key": "token"}}}]}],
                }}}},
            },
        }),
    )
    .await;
}

#[tokio::test]
async fn applied_workloads_are_found_with_the_keys_they_use_until_deleted() {
    let (sim, admin, console) = cluster(RBAC).await;
    workloads_of(&admin).await;

    let answer = used_by(&console, "payments", "postgres-credentials")
        .await
        .expect("answered");
    let found: Vec<_> = (answer.workloads.iter())
        .map(|w| (w.kind, w.name.as_str(), w.keys.clone(), w.via.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (
                WorkloadKind::Deployment,
                "api",
                KeysUsed::All,
                vec![ReferenceVia::EnvFrom]
            ),
            (
                WorkloadKind::CronJob,
                "nightly",
                KeysUsed::Keys(vec!["password".to_owned()]),
                vec![ReferenceVia::EnvKey]
            ),
        ]
    );
    assert!(answer.unchecked.is_empty(), "{:?}", answer.unchecked);
    assert_eq!(
        answer.sentence().as_deref(),
        Some("2 workloads in payments use this Secret: Deployment api, CronJob nightly")
    );
    let other = used_by(&console, "payments", "unused")
        .await
        .expect("answered");
    assert!(other.workloads.is_empty());

    Api::<Deployment>::namespaced(admin.clone(), "payments")
        .delete("api", &DeleteParams::default())
        .await
        .expect("deleted");
    let answer = used_by(&console, "payments", "postgres-credentials")
        .await
        .expect("answered");
    let names: Vec<_> = answer.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["nightly"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_kind_the_console_may_not_list_is_reported_not_checked() {
    let pods = "  - apiGroups: [\"\"]\n    resources: [\"pods\"]\n    verbs: [\"list\"]\n";
    assert!(RBAC.contains(pods), "the pods rule as written in rbac.yaml");
    let (sim, admin, console) = cluster(&RBAC.replace(pods, "")).await;
    workloads_of(&admin).await;
    let answer = used_by(&console, "payments", "postgres-credentials")
        .await
        .expect("answered despite the 403");
    assert_eq!(answer.workloads.len(), 2);
    assert_eq!(
        answer.unchecked,
        [UncheckedKind {
            kind: WorkloadKind::Pod,
            reason: UncheckedReason::Forbidden
        }]
    );
    // Outside the project namespaces nothing may be listed at all.
    let elsewhere = used_by(&console, "kube-system", "postgres-credentials")
        .await
        .expect("answered");
    assert_eq!(elsewhere.unchecked.len(), 6);
    sim.shutdown().await;
}
