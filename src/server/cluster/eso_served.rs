//! Which External Secrets Operator a cluster runs: the version of the `external-secrets.io` API
//! it serves (`v1`; `v1beta1` on older installs, which did not serve `v1` yet) and the operator's
//! release. The console applies and watches ExternalSecrets and ClusterSecretStores
//! at the version the cluster serves, so one console manages old and new installs alike.
//!
//! The served version comes from API discovery (`/apis`, open to every authenticated user).
//! The release comes from the label ESO's Helm chart puts on its controller Deployment,
//! `app.kubernetes.io/version` (`external-secrets.labels` in the chart's `_helpers.tpl`; the
//! CRDs it installs carry no version), in the operator's namespace: reading it needs `list` on
//! Deployments there, which the shipped RBAC does not grant (`docs/deploy.md` says how), and
//! without it the release shows as unknown, which changes nothing else.
//!
//! Discovered each time a cluster's ClusterSecretStore watch (re)starts, on every replica: at
//! start-up and after every failure, so a reconnect or an operator upgrade is picked up.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, ListParams};
use tokio::sync::watch;

/// The API group of External Secrets Operator.
pub const GROUP: &str = "external-secrets.io";
/// The namespace ESO's install guide puts the operator in (`helm install external-secrets
/// external-secrets/external-secrets -n external-secrets`).
pub const ESO_NAMESPACE: &str = "external-secrets";
/// Selects the controller Deployment alone: the chart's webhook and cert controller are
/// `external-secrets-webhook` and `external-secrets-cert-controller`.
pub const CONTROLLER_SELECTOR: &str = "app.kubernetes.io/name=external-secrets";
/// The label holding the chart's `appVersion`.
pub const VERSION_LABEL: &str = "app.kubernetes.io/version";
/// The versions the console can write, most preferred first.
pub const SUPPORTED: [&str; 2] = ["v1", "v1beta1"];

/// What discovery found on one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EsoInstall {
    /// The version of `external-secrets.io` the console uses there (one of [`SUPPORTED`]);
    /// `None` when the group serves neither (ESO is not installed).
    pub api_version: Option<&'static str>,
    /// The operator's release (`v2.9.0`), when its Deployment could be read.
    pub eso_version: Option<String>,
}

/// The version to use among those a cluster serves: `v1`, else `v1beta1`.
pub fn choose<'a>(served: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'static str> {
    SUPPORTED
        .into_iter()
        .find(|wanted| served.clone().into_iter().any(|v| v == *wanted))
}

/// Asks the cluster which `external-secrets.io` versions it serves and which release of ESO
/// runs there; the error in words when discovery itself fails (the release is best effort).
pub async fn discover(client: &kube::Client) -> Result<EsoInstall, String> {
    let deadline = Duration::from_secs(5);
    let groups = match tokio::time::timeout(deadline, client.list_api_groups()).await {
        Ok(Ok(groups)) => groups,
        Ok(Err(error)) => return Err(format!("API discovery failed: {error}")),
        Err(_) => return Err("API discovery did not answer within 5 s".to_owned()),
    };
    let served: Vec<&str> = groups
        .groups
        .iter()
        .filter(|g| g.name == GROUP)
        .flat_map(|g| g.versions.iter().map(|v| v.version.as_str()))
        .collect();
    let api_version = choose(served.iter().copied());
    let eso_version = match api_version {
        Some(_) => operator_release(client, deadline).await,
        None => None,
    };
    Ok(EsoInstall {
        api_version,
        eso_version,
    })
}

/// The controller Deployment's version label, if the console may read it. Asked first
/// (a SelfSubjectAccessReview, open to every authenticated user, as `kubectl auth can-i`):
/// under the default roles the list is not granted, and a request refused every discovery
/// would be noise in the cluster's audit log.
async fn operator_release(client: &kube::Client, deadline: Duration) -> Option<String> {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some("apps".to_owned()),
                resource: Some("deployments".to_owned()),
                verb: Some("list".to_owned()),
                namespace: Some(ESO_NAMESPACE.to_owned()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let params = kube::api::PostParams::default();
    let allowed = match tokio::time::timeout(deadline, reviews.create(&params, &review)).await {
        Ok(Ok(answer)) => answer.status.as_ref().is_some_and(|s| s.allowed),
        _ => false,
    };
    if !allowed {
        return None;
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ESO_NAMESPACE);
    let params = ListParams::default().labels(CONTROLLER_SELECTOR).limit(5);
    let list = match tokio::time::timeout(deadline, deployments.list(&params)).await {
        Ok(Ok(list)) => list,
        Ok(Err(error)) => {
            tracing::debug!(%error, "cannot read External Secrets Operator's Deployment");
            return None;
        }
        Err(_) => return None,
    };
    list.items.iter().find_map(|d| {
        d.metadata
            .labels
            .as_ref()?
            .get(VERSION_LABEL)
            .filter(|v| !v.is_empty())
            .cloned()
    })
}

/// Rewrites a canonical ExternalSecret (built at `v1`, `manifest::external_secret`) to
/// `version`. `v1beta1`'s schema is `v1`'s without a few later fields (compared field by field
/// in ESO's CRD): a `v1beta1` API server prunes them, so what the console wrote and what the
/// cluster keeps would differ at every comparison. A pinned default among them is left out;
/// a field the secret really uses cannot be written there and is refused, naming it (`Err`:
/// the sentence the assignment shows).
pub fn serve_as(manifest: &mut super::manifest::Manifest, version: &str) -> Result<(), String> {
    manifest.0["apiVersion"] = serde_json::json!(format!("{GROUP}/{version}"));
    if version == "v1" {
        return Ok(());
    }
    let spec = &mut manifest.0["spec"];
    let mut refused: Vec<String> = Vec::new();
    // `get_mut`, not `spec["data"]`: indexing a JSON object mutably inserts a `null` for an
    // absent key, and a `dataFrom: null` the cluster drops would differ at every comparison.
    if let Some(items) = spec
        .get_mut("data")
        .and_then(serde_json::Value::as_array_mut)
    {
        for (i, item) in items.iter_mut().enumerate() {
            let path = format!("spec.data[{i}].remoteRef");
            drop_default(
                &mut refused,
                &mut item["remoteRef"],
                &path,
                "nullBytePolicy",
                "Ignore",
            );
        }
    }
    if let Some(items) = spec
        .get_mut("dataFrom")
        .and_then(serde_json::Value::as_array_mut)
    {
        for (i, item) in items.iter_mut().enumerate() {
            for part in ["extract", "find"] {
                if item.get(part).is_some() {
                    let path = format!("spec.dataFrom[{i}].{part}");
                    drop_default(
                        &mut refused,
                        &mut item[part],
                        &path,
                        "nullBytePolicy",
                        "Ignore",
                    );
                }
            }
            if let Some(rewrites) = item["rewrite"].as_array() {
                for (j, rewrite) in rewrites.iter().enumerate() {
                    if rewrite.get("merge").is_some() {
                        refused.push(format!("spec.dataFrom[{i}].rewrite[{j}].merge"));
                    }
                }
            }
        }
    }
    if let Some(items) = spec
        .pointer_mut("/target/template/templateFrom")
        .and_then(serde_json::Value::as_array_mut)
    {
        for (i, item) in items.iter_mut().enumerate() {
            let path = format!("spec.target.template.templateFrom[{i}]");
            drop_default(&mut refused, item, &path, "valuesDecodingStrategy", "None");
        }
    }
    for (pointer, path) in [
        ("/syncWindows", "spec.syncWindows"),
        ("/target/manifest", "spec.target.manifest"),
        (
            "/target/template/metadata/finalizers",
            "spec.target.template.metadata.finalizers",
        ),
    ] {
        if spec.pointer(pointer).is_some() {
            refused.push(path.to_owned());
        }
    }
    if spec
        .pointer("/target/creationPolicy")
        .and_then(serde_json::Value::as_str)
        == Some("CreateOrMerge")
    {
        refused.push("spec.target.creationPolicy: CreateOrMerge".to_owned());
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "This cluster's External Secrets Operator serves only {GROUP}/{version}, which has no {}. Upgrade the operator, or edit the secret to do without it.",
            refused.join(", ")
        ))
    }
}

/// Leaves out `field` of `object` when it holds `default`; any other value is `path.field` in
/// `refused` (a field the served version does not have).
fn drop_default(
    refused: &mut Vec<String>,
    object: &mut serde_json::Value,
    path: &str,
    field: &str,
    default: &str,
) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    match map.get(field) {
        None => {}
        Some(value) if value.as_str() == Some(default) => {
            map.remove(field);
        }
        Some(_) => refused.push(format!("{path}.{field}")),
    }
}

/// One cluster's discovered install, shared by its tasks: `None` until first discovered.
/// Cheap to clone; every clone reads the same value.
#[derive(Clone, Debug)]
pub struct EsoServed(Arc<watch::Sender<Option<EsoInstall>>>);

impl Default for EsoServed {
    fn default() -> Self {
        Self(Arc::new(watch::channel(None).0))
    }
}

impl EsoServed {
    /// What discovery last found, `None` before it first answered.
    pub fn current(&self) -> Option<EsoInstall> {
        self.0.borrow().clone()
    }

    /// The version to write and watch: the served one, `v1` when unknown (before discovery
    /// answered, or without ESO, where every version is refused alike).
    pub fn api_version(&self) -> &'static str {
        self.0
            .borrow()
            .as_ref()
            .and_then(|install| install.api_version)
            .unwrap_or(SUPPORTED[0])
    }

    /// Records what discovery found.
    pub fn set(&self, install: EsoInstall) {
        self.0.send_if_modified(|current| {
            let changed = current.as_ref() != Some(&install);
            *current = Some(install);
            changed
        });
    }

    /// What the pages show.
    pub fn summary(&self) -> crate::model::cluster::EsoSummary {
        let current = self.current();
        crate::model::cluster::EsoSummary {
            discovered: current.is_some(),
            api_version: current
                .as_ref()
                .and_then(|i| i.api_version)
                .map(str::to_owned),
            version: current.and_then(|i| i.eso_version),
        }
    }

    /// Follows the changes.
    pub fn subscribe(&self) -> watch::Receiver<Option<EsoInstall>> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_is_preferred_and_v1beta1_is_the_fallback() {
        assert_eq!(choose(["v1beta1", "v1"]), Some("v1"));
        assert_eq!(choose(["v1alpha1", "v1beta1"]), Some("v1beta1"));
        assert_eq!(choose(["v1alpha1"]), None);
        assert_eq!(choose([]), None);
    }

    #[test]
    fn the_served_version_is_v1_until_discovered() {
        let served = EsoServed::default();
        assert_eq!(served.api_version(), "v1");
        served.set(EsoInstall {
            api_version: Some("v1beta1"),
            eso_version: Some("v0.16.2".to_owned()),
        });
        assert_eq!(served.api_version(), "v1beta1");
        served.set(EsoInstall::default());
        assert_eq!(
            served.api_version(),
            "v1",
            "without ESO every version fails alike"
        );
    }

    fn manifest(spec: serde_json::Value) -> super::super::manifest::Manifest {
        super::super::manifest::Manifest(serde_json::json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "spec": spec,
        }))
    }

    #[test]
    fn v1beta1_leaves_out_pinned_defaults_it_does_not_have() {
        let mut object = manifest(serde_json::json!({
            "data": [{"secretKey": "a", "remoteRef": {"key": "k", "nullBytePolicy": "Ignore", "decodingStrategy": "None"}}],
            "dataFrom": [{"extract": {"key": "k", "nullBytePolicy": "Ignore"}}],
            "target": {"creationPolicy": "Owner", "template": {"templateFrom": [{"literal": "x", "valuesDecodingStrategy": "None"}]}},
        }));
        let v1 = object.clone();
        assert_eq!(serve_as(&mut object.clone(), "v1"), Ok(()));
        assert_eq!(serve_as(&mut object, "v1beta1"), Ok(()));
        assert_eq!(object.0["apiVersion"], "external-secrets.io/v1beta1");
        assert!(
            object
                .0
                .pointer("/spec/data/0/remoteRef/nullBytePolicy")
                .is_none()
        );
        assert_eq!(
            object.0["spec"]["data"][0]["remoteRef"]["decodingStrategy"],
            "None"
        );
        assert!(
            object
                .0
                .pointer("/spec/dataFrom/0/extract/nullBytePolicy")
                .is_none()
        );
        assert!(
            object
                .0
                .pointer("/spec/target/template/templateFrom/0/valuesDecodingStrategy")
                .is_none()
        );
        assert!(
            v1.0.pointer("/spec/data/0/remoteRef/nullBytePolicy")
                .is_some()
        );
    }

    #[test]
    fn v1beta1_refuses_what_it_cannot_hold_naming_each_field() {
        let mut object = manifest(serde_json::json!({
            "data": [{"secretKey": "a", "remoteRef": {"key": "k", "nullBytePolicy": "Fail"}}],
            "dataFrom": [{"find": {"name": {"regexp": "x"}}, "rewrite": [{"merge": {"strategy": "Extract"}}]}],
            "syncWindows": {"windows": []},
            "target": {"creationPolicy": "CreateOrMerge"},
        }));
        let error = serve_as(&mut object, "v1beta1").unwrap_err();
        for field in [
            "spec.data[0].remoteRef.nullBytePolicy",
            "spec.dataFrom[0].rewrite[0].merge",
            "spec.syncWindows",
            "CreateOrMerge",
        ] {
            assert!(error.contains(field), "{field} in {error}");
        }
        assert!(
            error.contains("serves only external-secrets.io/v1beta1"),
            "{error}"
        );
    }
}
