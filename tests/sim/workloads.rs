//! The workload kinds (apps/v1 Deployment, StatefulSet, DaemonSet; batch/v1 Job, CronJob; v1
//! Pod) through `kube::Client`: created, defaulted, listed, patched and deleted with their
//! real types, refused as kube-apiserver refuses them, and never run.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::Cluster;

fn deployment(name: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "ghcr.io/acme/api:1.4",
                    "envFrom": [{"secretRef": {"name": "postgres-credentials"}}]}]},
            },
        },
    }))
    .unwrap()
}

#[tokio::test]
async fn a_deployment_is_stored_defaulted_patched_and_deleted() {
    let c = Cluster::start().await;
    c.namespace("payments").await;
    let api: Api<Deployment> = Api::namespaced(c.client.clone(), "payments");
    let created = api
        .create(&PostParams::default(), &deployment("api"))
        .await
        .expect("created");
    assert_eq!(created.metadata.generation, Some(1));
    assert!(created.metadata.uid.is_some());
    let spec = created.spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(spec.revision_history_limit, Some(10));
    let pod = spec.template.spec.as_ref().unwrap();
    assert_eq!(pod.restart_policy.as_deref(), Some("Always"));
    assert_eq!(
        pod.containers[0].image_pull_policy.as_deref(),
        Some("IfNotPresent")
    );
    // A merge patch of the spec counts a generation; the status stays as the server left it.
    let patched = api
        .patch(
            "api",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .expect("patched");
    assert_eq!(patched.metadata.generation, Some(2));
    let listed = api.list(&ListParams::default()).await.expect("listed");
    assert_eq!(listed.items.len(), 1);
    api.delete("api", &DeleteParams::default())
        .await
        .expect("deleted");
    assert!(api.get_opt("api").await.expect("read").is_none());
}

#[tokio::test]
async fn a_deployment_without_a_selector_is_refused_with_the_apiserver_message() {
    let c = Cluster::start().await;
    c.namespace("payments").await;
    let mut body = serde_json::to_value(deployment("broken")).unwrap();
    body["spec"].as_object_mut().unwrap().remove("selector");
    let (code, status) = c
        .raw(
            "POST",
            "/apis/apps/v1/namespaces/payments/deployments",
            "application/json",
            body,
        )
        .await;
    assert_eq!(code, 422, "{status}");
    assert_eq!(
        status["message"],
        "Deployment.apps \"broken\" is invalid: [spec.selector: Required value, \
         spec.template.metadata.labels: Invalid value: {\"app\":\"broken\"}: `selector` does not \
         match template `labels`]"
    );
}

#[tokio::test]
async fn an_unknown_field_in_a_pod_template_is_refused_under_strict_validation() {
    let c = Cluster::start().await;
    c.namespace("payments").await;
    let mut body = serde_json::to_value(deployment("typo")).unwrap();
    body["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = json!("Always");
    let (code, status) = c
        .raw(
            "POST",
            "/apis/apps/v1/namespaces/payments/deployments?fieldValidation=Strict",
            "application/json",
            body.clone(),
        )
        .await;
    assert_eq!(code, 400, "{status}");
    assert_eq!(
        status["message"],
        "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding \
         error: unknown field \"spec.template.spec.containers[0].imagePolicy\""
    );
    body["spec"]["replicas"] = json!("three");
    let (code, status) = c
        .raw(
            "POST",
            "/apis/apps/v1/namespaces/payments/deployments",
            "application/json",
            body,
        )
        .await;
    assert_eq!(code, 400, "{status}");
    assert_eq!(
        status["message"],
        "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot \
         unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
    );
}

#[tokio::test]
async fn every_workload_kind_is_served_in_a_namespace() {
    let c = Cluster::start().await;
    c.namespace("payments").await;
    let pod_spec = |restart: &str| {
        json!({"restartPolicy": restart,
               "containers": [{"name": "c", "image": "busybox:1.36"}]})
    };
    let labels = json!({"app": "x"});
    let template =
        |restart: &str| json!({"metadata": {"labels": labels}, "spec": pod_spec(restart)});
    let post = PostParams::default();
    let ns = "payments";
    let client = c.client.clone();
    let sts: StatefulSet = serde_json::from_value(json!({"metadata": {"name": "db"},
        "spec": {"serviceName": "db", "selector": {"matchLabels": labels},
                 "template": template("Always")}}))
    .unwrap();
    Api::<StatefulSet>::namespaced(client.clone(), ns)
        .create(&post, &sts)
        .await
        .expect("statefulset");
    let ds: DaemonSet = serde_json::from_value(json!({"metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": labels}, "template": template("Always")}}))
    .unwrap();
    Api::<DaemonSet>::namespaced(client.clone(), ns)
        .create(&post, &ds)
        .await
        .expect("daemonset");
    let job: Job = serde_json::from_value(
        json!({"metadata": {"name": "migrate"}, "spec": {"template": {"spec": pod_spec("Never")}}}),
    )
    .unwrap();
    let job = Api::<Job>::namespaced(client.clone(), ns)
        .create(&post, &job)
        .await
        .expect("job");
    let uid = job.metadata.uid.clone().unwrap();
    let selector = job.spec.unwrap().selector.unwrap().match_labels.unwrap();
    assert_eq!(selector["batch.kubernetes.io/controller-uid"], uid);
    let cron: CronJob = serde_json::from_value(json!({"metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *",
                 "jobTemplate": {"spec": {"template": {"spec": pod_spec("OnFailure")}}}}}))
    .unwrap();
    let cron = Api::<CronJob>::namespaced(client.clone(), ns)
        .create(&post, &cron)
        .await
        .expect("cronjob");
    assert_eq!(
        cron.spec.unwrap().concurrency_policy.as_deref(),
        Some("Allow")
    );
    let pod: Pod =
        serde_json::from_value(json!({"metadata": {"name": "bare"}, "spec": pod_spec("Never")}))
            .unwrap();
    let pod = Api::<Pod>::namespaced(client.clone(), ns)
        .create(&post, &pod)
        .await
        .expect("pod");
    // Stored, never run: a Pod stays Pending.
    assert_eq!(pod.status.and_then(|s| s.phase).as_deref(), Some("Pending"));
}

#[tokio::test]
async fn a_strategic_merge_patch_merges_containers_and_env_by_name() {
    let c = Cluster::start().await;
    c.namespace("payments").await;
    let api: Api<Deployment> = Api::namespaced(c.client.clone(), "payments");
    let mut two = serde_json::to_value(deployment("api")).unwrap();
    two["spec"]["template"]["spec"]["containers"] = json!([
        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
        {"name": "sidecar", "image": "proxy:1"},
    ]);
    api.create(
        &PostParams::default(),
        &serde_json::from_value(two).unwrap(),
    )
    .await
    .expect("created");
    let patched = api
        .patch(
            "api",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}]}
            ]}}}})),
        )
        .await
        .expect("patched");
    let pod = patched.spec.unwrap().template.spec.unwrap();
    let images: Vec<_> = (pod.containers.iter())
        .map(|c| (c.name.as_str(), c.image.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(images, [("app", "app:2"), ("sidecar", "proxy:1")]);
    let mut env: Vec<_> = (pod.containers[0].env.iter().flatten())
        .map(|e| e.name.as_str())
        .collect();
    env.sort_unstable();
    assert_eq!(env, ["A", "B"]);
}
