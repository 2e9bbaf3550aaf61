//! What clients learn about the cluster and themselves before they act (issue 19.6): the
//! self-reviews of `kubectl auth can-i` / `whoami`, the OpenAPI documents `kubectl explain`
//! reads, discovery paths with a trailing slash, ConfigMaps, and the kinds of kubectl's default
//! prune allowlist.

use std::sync::Arc;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{SelfSubjectAccessReview, SelfSubjectRulesReview};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::Status;
use secrets_console::sim::rbac::Policy;
use serde_json::{Value, json};

use crate::support::Cluster;

const ROLES: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: objects}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: objects, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: objects}
subjects: [{kind: ServiceAccount, name: console, namespace: ops}]
"#;

/// A cluster holding the service account `ops:console` to [`ROLES`], and a client that uses
/// its token (the kubeconfig's user `service-account`).
async fn cluster_with_roles() -> (Cluster, kube::Client) {
    let policy = Policy::from_manifests(ROLES, "ops:console").expect("roles parse");
    let c = Cluster::start_with(|o| o.rbac = Some(Arc::new(policy))).await;
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&c.sim.kubeconfig()).unwrap();
    let options = kube::config::KubeConfigOptions {
        context: Some("test".to_owned()),
        cluster: None,
        user: Some("service-account".to_owned()),
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .unwrap();
    config.default_retry = false;
    let client = kube::Client::try_from(config).unwrap();
    (c, client)
}

fn access_review(namespace: &str, verb: &str, resource: &str) -> SelfSubjectAccessReview {
    serde_json::from_value(json!({"spec": {"resourceAttributes":
        {"namespace": namespace, "verb": verb, "resource": resource}}}))
    .unwrap()
}

/// (allowed, reason) of a review `client` creates.
async fn can_i(client: &kube::Client, review: &SelfSubjectAccessReview) -> (bool, String) {
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answered = api.create(&PostParams::default(), review).await.unwrap();
    let status = answered.status.expect("a status");
    (status.allowed, status.reason.unwrap_or_default())
}

fn api_error(result: Result<impl std::fmt::Debug, kube::Error>) -> Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// GET with the admin's token: (code, headers, body as JSON or Null).
async fn get(c: &Cluster, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    get_as(c, path, "application/json").await
}

/// GET with an `Accept` header.
async fn get_as(c: &Cluster, path: &str, accept: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(c.sim.ca_pem().as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}{path}", c.cluster().url()))
        .bearer_auth(c.sim.token())
        .header("Accept", accept)
        .send()
        .await
        .expect("request sent");
    let code = response.status().as_u16();
    let headers = response.headers().clone();
    (code, headers, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_access_review_answers_from_the_enforced_roles() {
    let (c, service_account) = cluster_with_roles().await;
    let (allowed, reason) = can_i(
        &service_account,
        &access_review("payments", "create", "secrets"),
    )
    .await;
    assert!(allowed, "create secrets in payments");
    assert_eq!(
        reason,
        "RBAC: allowed by RoleBinding \"objects/payments\" of ClusterRole \"objects\" to \
         ServiceAccount \"console/ops\""
    );
    let denied = can_i(
        &service_account,
        &access_review("default", "create", "secrets"),
    )
    .await;
    assert_eq!(denied, (false, String::new()), "no opinion, no reason");
    let (listed_everywhere, _) =
        can_i(&service_account, &access_review("", "list", "secrets")).await;
    assert!(
        !listed_everywhere,
        "a cluster-wide list needs a cluster-wide grant"
    );
    // The cluster admin may do anything; a question is not a refused request.
    assert_eq!(
        can_i(&c.client, &access_review("default", "create", "secrets")).await,
        (true, String::new())
    );
    let refusals = get(&c, "/sim/rbac").await.2;
    assert_eq!(refusals["denied"], json!([]));

    // `kubectl auth can-i --list -n payments`.
    let rules: SelfSubjectRulesReview =
        serde_json::from_value(json!({"spec": {"namespace": "payments"}})).unwrap();
    let api: Api<SelfSubjectRulesReview> = Api::all(service_account.clone());
    let status = api
        .create(&PostParams::default(), &rules)
        .await
        .unwrap()
        .status
        .expect("status");
    let secrets = status
        .resource_rules
        .iter()
        .find(|r| r.resources.as_deref() == Some(&["secrets".to_owned()][..]))
        .expect("the RoleBinding's rule");
    assert!(secrets.verbs.contains(&"create".to_owned()));
    assert!(!status.incomplete);

    // Exactly one of the attributes, as ValidateSelfSubjectAccessReview demands.
    let empty: SelfSubjectAccessReview = serde_json::from_value(json!({"spec": {}})).unwrap();
    let api: Api<SelfSubjectAccessReview> = Api::all(c.client.clone());
    let error = api_error(api.create(&PostParams::default(), &empty).await);
    assert_eq!((error.code, error.reason.as_str()), (422, "Invalid"));
    assert!(
        error.message.ends_with(
            "spec.resourceAttributes: Invalid value: \"null\": exactly one of \
             nonResourceAttributes or resourceAttributes must be specified"
        ),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_self_subject_review_names_the_user_of_the_token() {
    let (c, service_account) = cluster_with_roles().await;
    let review: SelfSubjectReview = serde_json::from_value(json!({})).unwrap();
    let who = |client: kube::Client| {
        let review = review.clone();
        async move {
            let api: Api<SelfSubjectReview> = Api::all(client);
            let answered = api.create(&PostParams::default(), &review).await.unwrap();
            let user = answered.status.and_then(|s| s.user_info).expect("userInfo");
            (
                user.username.unwrap_or_default(),
                user.groups.unwrap_or_default(),
            )
        }
    };
    assert_eq!(
        who(service_account).await,
        (
            "system:serviceaccount:ops:console".to_owned(),
            vec![
                "system:serviceaccounts".to_owned(),
                "system:serviceaccounts:ops".to_owned(),
                "system:authenticated".to_owned(),
            ]
        )
    );
    let (admin, groups) = who(c.client.clone()).await;
    assert_eq!(admin, "sim-admin");
    assert!(groups.contains(&"system:masters".to_owned()));

    // Discovery lists the reviews, create only.
    let (code, _, list) = get(&c, "/apis/authentication.k8s.io/v1").await;
    assert_eq!(code, 200);
    assert_eq!(list["resources"][0]["name"], "selfsubjectreviews");
    assert_eq!(list["resources"][0]["verbs"], json!(["create"]));
    let groups = get(&c, "/apis").await.2;
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert!(names.contains(&"authorization.k8s.io"), "{names:?}");
}

#[tokio::test]
async fn the_openapi_documents_carry_the_schemas_the_cluster_validates_with() {
    let c = Cluster::start().await;
    let (code, _, index) = get(&c, "/openapi/v3").await;
    assert_eq!(code, 200);
    let url = index["paths"]["apis/external-secrets.io/v1"]["serverRelativeURL"]
        .as_str()
        .expect("the group/version is listed")
        .to_owned();
    let (code, headers, document) = get(&c, &url).await;
    assert_eq!(code, 200);
    assert_eq!(headers["cache-control"], "public, immutable");
    let schema = &document["components"]["schemas"]["io.external-secrets.v1.ExternalSecret"];
    assert_eq!(
        schema["x-kubernetes-group-version-kind"],
        json!([{"group": "external-secrets.io", "kind": "ExternalSecret", "version": "v1"}])
    );
    let target = &schema["properties"]["spec"]["properties"]["target"];
    assert_eq!(
        target["properties"]["creationPolicy"]["enum"],
        json!(["Owner", "Orphan", "Merge", "None", "CreateOrMerge"])
    );
    // A stale hash is sent on to the current document.
    let stale = get(&c, "/openapi/v3/apis/external-secrets.io/v1?hash=0").await;
    assert_eq!(stale.0, 301);
    assert_eq!(stale.1["location"], url.as_str());

    let core = index["paths"]["api/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap();
    let core = get(&c, core).await.2;
    let data = &core["components"]["schemas"]["io.k8s.api.core.v1.Secret"]["properties"]["data"];
    assert_eq!(data["additionalProperties"]["format"], "byte");
    assert!(core["components"]["schemas"]["io.k8s.api.core.v1.ConfigMap"].is_object());

    let (code, _, swagger) = get(&c, "/openapi/v2").await;
    assert_eq!(code, 200);
    assert_eq!(swagger["swagger"], "2.0");
    assert!(swagger["definitions"]["io.external-secrets.v1.ClusterSecretStore"].is_object());
    // client-go asks for the protobuf form only.
    let protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    let (code, headers, _) = get_as(&c, "/openapi/v2", protobuf).await;
    assert_eq!(code, 200);
    assert_eq!(
        headers["content-type"],
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
}

#[tokio::test]
async fn discovery_answers_with_a_trailing_slash_as_kube_apiserver_does() {
    let c = Cluster::start().await;
    for (path, kind) in [
        ("/api/", "APIVersions"),
        ("/apis/", "APIGroupList"),
        ("/api/v1/", "APIResourceList"),
        ("/apis/external-secrets.io/", "APIGroup"),
    ] {
        let (code, _, body) = get(&c, path).await;
        assert_eq!((code, body["kind"].as_str()), (200, Some(kind)), "{path}");
    }
    let (code, _, version) = get(&c, "/version/").await;
    assert_eq!((code, version["major"].as_str()), (200, Some("1")));
}

#[tokio::test]
async fn config_maps_are_served_and_validated_as_validate_config_map_does() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let api: Api<ConfigMap> = Api::namespaced(c.client.clone(), "team");
    let config_map = |name: &str, data: Value| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name, "labels": {"app": "x"}},
                                      "data": data}))
        .unwrap()
    };
    let created = api
        .create(
            &PostParams::default(),
            &config_map("settings", json!({"mode": "fast"})),
        )
        .await
        .unwrap();
    assert!(created.metadata.resource_version.is_some());
    let listed = api
        .list(&ListParams::default().labels("app=x"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let patched = api
        .patch(
            "settings",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"level": "3"}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.data.unwrap().len(), 2);
    let applied = api
        .patch(
            "applied",
            &PatchParams::apply("tester"),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "applied"}, "data": {"a": "b"}})),
        )
        .await
        .unwrap();
    let managers = applied.metadata.managed_fields.unwrap_or_default();
    assert_eq!(managers[0].manager.as_deref(), Some("tester"));

    // `kubectl get cm`: NAME DATA AGE, DATA counting binaryData too.
    let with_binary = json!({"binaryData": {"blob": "AAE="}});
    api.patch(
        "settings",
        &PatchParams::default(),
        &Patch::Merge(with_binary),
    )
    .await
    .unwrap();
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io";
    let table = get_as(&c, "/api/v1/namespaces/team/configmaps/settings", accept)
        .await
        .2;
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|column| column["name"].as_str())
        .collect();
    assert_eq!(columns, ["Name", "Data", "Age"]);
    assert_eq!(table["rows"][0]["cells"][1], 3);

    let bad = config_map("bad", json!({"bad key": "x", "dup": "y"}));
    let mut bad = serde_json::to_value(bad).unwrap();
    bad["binaryData"] = json!({"dup": "eQ=="});
    let (code, status) = c
        .raw(
            "POST",
            "/api/v1/namespaces/team/configmaps",
            "application/json",
            bad,
        )
        .await;
    assert_eq!(code, 422, "{status}");
    let fields: Vec<&str> = status["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|cause| cause["field"].as_str())
        .collect();
    assert_eq!(fields, ["data[bad key]", "data[dup]"]);
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("data[dup]: Invalid value: \"dup\": duplicate of key present in binaryData"),
        "{status}"
    );

    let mut frozen = config_map("frozen", json!({"a": "1"}));
    frozen.immutable = Some(true);
    api.create(&PostParams::default(), &frozen).await.unwrap();
    let error = api_error(
        api.patch(
            "frozen",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"a": "2"}})),
        )
        .await,
    );
    assert_eq!(error.code, 422);
    assert!(
        error
            .message
            .contains("data: Forbidden: field is immutable when `immutable` is set"),
        "{}",
        error.message
    );
    api.delete("settings", &DeleteParams::default())
        .await
        .unwrap();
    assert!(api.get_opt("settings").await.unwrap().is_none());
}

#[tokio::test]
async fn the_kinds_of_the_default_prune_allowlist_are_listed_empty_and_read_only() {
    let c = Cluster::start().await;
    for path in [
        "/api/v1/namespaces/default/pods?labelSelector=app%3Dx",
        "/api/v1/namespaces/default/endpoints",
        "/api/v1/persistentvolumes",
        "/apis/apps/v1/namespaces/default/deployments",
        "/apis/batch/v1/namespaces/default/cronjobs",
        "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
    ] {
        let (code, _, list) = get(&c, path).await;
        assert_eq!((code, list["items"].clone()), (200, json!([])), "{path}");
    }
    let (code, _) = c
        .raw(
            "POST",
            "/apis/apps/v1/namespaces/default/replicasets",
            "application/json",
            json!({"metadata": {"name": "web"}}),
        )
        .await;
    assert_eq!(code, 405);
    let apps = get(&c, "/apis/apps/v1").await.2;
    let verbs = |plural: &str| {
        (apps["resources"].as_array().unwrap().iter())
            .find(|r| r["name"] == plural)
            .map(|r| r["verbs"].clone())
    };
    assert_eq!(verbs("replicasets"), Some(json!(["get", "list"])));
    // The workload kinds are stored kinds now (`tests/sim/workloads.rs`).
    assert!(verbs("deployments").is_some_and(|v| v.as_array().unwrap().contains(&json!("create"))));
}
