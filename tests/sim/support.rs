//! One simulated cluster per test, and clients for it.

use std::time::Duration;

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use secrets_console::sim::controller::ControllerOptions;
use secrets_console::sim::{Sim, SimOptions};
use serde_json::{Value, json};

/// A running simulated cluster and a client for it.
pub struct Cluster {
    pub sim: Sim,
    pub client: Client,
}

impl Cluster {
    /// Starts one cluster with short bookmarks, so tests see them quickly; the controller
    /// keeps ESO's own back-off and rate limits, and a test that wants fresh truth sets a
    /// short refresh interval or asks for a sync (the force-sync annotation).
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts one cluster with adjusted options.
    pub async fn start_with(adjust: impl FnOnce(&mut SimOptions)) -> Self {
        let mut options = SimOptions {
            clusters: vec!["test".to_owned()],
            bookmark_interval: Duration::from_millis(200),
            controller: ControllerOptions {
                min_refresh: Duration::from_millis(200),
                ..ControllerOptions::default()
            },
            ..SimOptions::default()
        };
        adjust(&mut options);
        let sim = Sim::start(options).await.expect("simulated cluster starts");
        let mut config = sim.admin_config("test").await.expect("kubeconfig");
        config.read_timeout = Some(Duration::from_secs(30));
        // kube retries 429/503/504 by itself (up to 15 times, backing off to minutes); the
        // tests look at the server's answers, so this client takes them as they come.
        config.default_retry = false;
        let client = Client::try_from(config).expect("client");
        Self { sim, client }
    }

    pub fn cluster(&self) -> &secrets_console::sim::SimCluster {
        &self.sim.clusters()[0]
    }

    /// An API for a namespaced External Secrets kind.
    pub fn external_secrets(&self, namespace: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), namespace, &es_resource())
    }

    /// The ClusterSecretStore API.
    pub fn stores(&self) -> Api<DynamicObject> {
        Api::all_with(self.client.clone(), &store_resource())
    }

    /// A raw request, for what `kube::Error` does not keep (`details.causes`): code and body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Value,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.sim.ca_pem().as_bytes()).unwrap(),
            )
            .build()
            .unwrap()
            .request(method, format!("{}{path}", self.cluster().url()))
            .bearer_auth(self.sim.token())
            .header("Content-Type", content_type)
            .body(body.to_string())
            .send()
            .await
            .expect("request sent");
        let code = response.status().as_u16();
        (code, response.json().await.unwrap_or(Value::Null))
    }

    /// Creates a namespace.
    pub async fn namespace(&self, name: &str) {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(self.client.clone());
        let ns = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        api.create(&PostParams::default(), &ns)
            .await
            .expect("namespace created");
    }

    /// A namespace `team` and a fake-provider ClusterSecretStore `fake` holding `data`, once
    /// the controller has found the store Ready.
    pub async fn team_with_ready_store(&self, data: Value) {
        self.namespace("team").await;
        self.fake_store("fake", data, None).await;
        eventually(5, "store Ready", || async {
            let store = self.stores().get("fake").await.ok()?;
            (ready(&store)?.0 == "True").then_some(())
        })
        .await;
    }

    /// Creates a ClusterSecretStore with the fake provider.
    pub async fn fake_store(&self, name: &str, data: Value, validation_result: Option<i64>) {
        let mut fake = json!({"data": data});
        if let Some(result) = validation_result {
            fake["validationResult"] = json!(result);
        }
        let store = dynamic(json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": {"name": name},
            "spec": {"provider": {"fake": fake}},
        }));
        self.stores()
            .create(&PostParams::default(), &store)
            .await
            .expect("store created");
    }
}

pub fn es_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", "v1", "ExternalSecret"),
        "externalsecrets",
    )
}

pub fn store_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", "v1", "ClusterSecretStore"),
        "clustersecretstores",
    )
}

/// A DynamicObject from JSON.
pub fn dynamic(value: Value) -> DynamicObject {
    serde_json::from_value(value).expect("valid object")
}

/// An ExternalSecret reading `(secretKey, remoteKey, property)` entries from a store.
pub fn external_secret(
    name: &str,
    store: &str,
    entries: &[(&str, &str, Option<&str>)],
) -> DynamicObject {
    let data: Vec<Value> = entries
        .iter()
        .map(|(key, remote, property)| {
            let mut remote_ref = json!({"key": remote});
            if let Some(p) = property {
                remote_ref["property"] = json!(p);
            }
            json!({"secretKey": key, "remoteRef": remote_ref})
        })
        .collect();
    dynamic(json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name},
        "spec": {
            "refreshInterval": "1h0m0s",
            "secretStoreRef": {"name": store, "kind": "ClusterSecretStore"},
            "target": {"name": name},
            "data": data,
        },
    }))
}

/// Polls until `check` returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Ready condition of an object, as (status, reason, message).
pub fn ready(object: &DynamicObject) -> Option<(String, String, String)> {
    let condition = object.data["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Ready")?
        .clone();
    Some((
        condition["status"].as_str()?.to_owned(),
        condition["reason"].as_str().unwrap_or_default().to_owned(),
        condition["message"].as_str().unwrap_or_default().to_owned(),
    ))
}

/// The real `v1` openAPIV3Schema of one of External Secrets Operator's CRDs (test data in
/// `../shared/crds`, or `$SECRETS_CONSOLE_ESO_CRDS`), or `None` with
/// `SECRETS_CONSOLE_SKIP_CRD_TESTS=1`. Panics, naming where it looked, when absent.
pub fn real_crd_schema(file: &str) -> Option<Value> {
    if std::env::var("SECRETS_CONSOLE_SKIP_CRD_TESTS").as_deref() == Ok("1") {
        return None;
    }
    let candidates: Vec<std::path::PathBuf> = match std::env::var_os("SECRETS_CONSOLE_ESO_CRDS") {
        Some(dir) => vec![dir.into()],
        None => vec![
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crds"),
            "/work/shared/crds".into(),
        ],
    };
    let dir = candidates
        .iter()
        .find(|d| d.is_dir())
        .unwrap_or_else(|| panic!("the real ESO CRDs are not in {candidates:?}"));
    let text = std::fs::read_to_string(dir.join(file)).expect("CRD readable");
    let crd: Value = serde_saphyr::from_str(&text).expect("CRD parses");
    crd["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == "v1")
        .map(|v| v["schema"]["openAPIV3Schema"].clone())
}
