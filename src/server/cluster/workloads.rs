//! Who uses a Secret in a namespace: the Deployments, StatefulSets, DaemonSets, CronJobs, Jobs
//! and Pods whose pod spec references it, listed with the same `kube::Client` as everything
//! else, collapsed to the top owner the console can see.
//!
//! A pod spec references a Secret through a container's `env[].valueFrom.secretKeyRef` (one
//! key) or `envFrom[].secretRef` (all keys), a `secret` volume or a `projected` volume's
//! `sources[].secret` (their `items[].key`, or all keys without items), and `imagePullSecrets`
//! (containers, init containers and ephemeral containers alike). [`references`] reads them,
//! without I/O; [`used_by`] lists and collapses.
//!
//! Each kind is one LIST (paged) when asked, not a watch-fed cache: the answer is wanted when a
//! page or a confirmation opens, per namespace, and a cache of every pod of every project
//! namespace would cost more than it saves. A kind the console may not list (403) or that is
//! not served (404) is reported as not checked; any other failure fails the answer.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Pod, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams};

use crate::model::workloads::{
    KeysUsed, ReferenceVia, UncheckedKind, UncheckedReason, UsedBy, WorkloadKind, WorkloadUse,
};

use super::timeouts::Timeouts;

/// One reference to the Secret in a pod spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// How.
    pub via: ReferenceVia,
    /// The key it names, `None` for all keys.
    pub key: Option<String>,
}

/// Every reference to the Secret `secret` in a pod spec, in the spec's order.
pub fn references(spec: &PodSpec, secret: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut push = |via, key: Option<&str>| {
        out.push(Reference {
            via,
            key: key.map(str::to_owned),
        });
    };
    let ephemeral = spec.ephemeral_containers.iter().flatten();
    let containers = (spec.containers.iter())
        .chain(spec.init_containers.iter().flatten())
        .map(|c| (c.env.as_deref(), c.env_from.as_deref()))
        .chain(ephemeral.map(|c| (c.env.as_deref(), c.env_from.as_deref())));
    for (env, env_from) in containers {
        for var in env.unwrap_or_default() {
            let selector = var
                .value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref());
            if let Some(selector) = selector.filter(|s| s.name == secret) {
                push(ReferenceVia::EnvKey, Some(&selector.key));
            }
        }
        for source in env_from.unwrap_or_default() {
            if source.secret_ref.as_ref().is_some_and(|s| s.name == secret) {
                push(ReferenceVia::EnvFrom, None);
            }
        }
    }
    for volume in spec.volumes.iter().flatten() {
        if let Some(source) =
            (volume.secret.as_ref()).filter(|s| s.secret_name.as_deref() == Some(secret))
        {
            match source.items.as_deref() {
                Some(items) if !items.is_empty() => items
                    .iter()
                    .for_each(|item| push(ReferenceVia::Volume, Some(&item.key))),
                _ => push(ReferenceVia::Volume, None),
            }
        }
        let projected = volume.projected.as_ref().and_then(|p| p.sources.as_ref());
        for source in projected.into_iter().flatten() {
            let Some(projection) = source.secret.as_ref().filter(|s| s.name == secret) else {
                continue;
            };
            match projection.items.as_deref() {
                Some(items) if !items.is_empty() => items
                    .iter()
                    .for_each(|item| push(ReferenceVia::ProjectedVolume, Some(&item.key))),
                _ => push(ReferenceVia::ProjectedVolume, None),
            }
        }
    }
    for reference in spec.image_pull_secrets.iter().flatten() {
        if reference.name == secret {
            push(ReferenceVia::ImagePullSecret, None);
        }
    }
    out
}

/// The keys a set of references uses: all of them if any reference takes every key.
pub fn keys_used(references: &[Reference]) -> KeysUsed {
    let mut keys = BTreeSet::new();
    for reference in references {
        match &reference.key {
            None => return KeysUsed::All,
            Some(key) => {
                keys.insert(key.clone());
            }
        }
    }
    KeysUsed::Keys(keys.into_iter().collect())
}

/// A listed workload, as far as ownership and references go.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its kind.
    pub kind: WorkloadKind,
    /// Its metadata (name, uid, labels, owner references).
    pub metadata: ObjectMeta,
    /// Its references to the Secret.
    pub references: Vec<Reference>,
}

/// The top owner of `item` among `all` (itself when it has no visible owner), following each
/// controller owner reference by uid; a ReplicaSet, which is not listed, is seen through to
/// its Deployment by name (`<deployment>-<pod-template-hash>`, as the Deployment controller
/// names it).
fn top_owner(item: usize, all: &[Listed]) -> usize {
    let mut at = item;
    for _ in 0..all.len() {
        let meta = &all[at].metadata;
        let Some(owner) =
            (meta.owner_references.iter().flatten()).find(|o| o.controller == Some(true))
        else {
            break;
        };
        let by_uid = all
            .iter()
            .position(|l| l.metadata.uid.as_deref() == Some(owner.uid.as_str()));
        let found = by_uid.or_else(|| {
            let hash = meta.labels.as_ref()?.get("pod-template-hash")?;
            let deployment = owner.name.strip_suffix(&format!("-{hash}"))?;
            (owner.kind == "ReplicaSet")
                .then(|| {
                    all.iter().position(|l| {
                        l.kind == WorkloadKind::Deployment
                            && l.metadata.name.as_deref() == Some(deployment)
                    })
                })
                .flatten()
        });
        match found {
            Some(next) if next != at => at = next,
            _ => break,
        }
    }
    at
}

/// The uses of the Secret among listed workloads, each under its top owner, by kind then name.
pub fn collapse(all: &[Listed]) -> Vec<WorkloadUse> {
    let mut by_owner: BTreeMap<(WorkloadKind, String), Vec<Reference>> = BTreeMap::new();
    for (i, item) in all.iter().enumerate() {
        if item.references.is_empty() {
            continue;
        }
        let owner = &all[top_owner(i, all)];
        let name = owner.metadata.name.clone().unwrap_or_default();
        (by_owner.entry((owner.kind, name)).or_default()).extend(item.references.iter().cloned());
    }
    let mut uses: Vec<WorkloadUse> = by_owner
        .into_iter()
        .map(|((kind, name), references)| {
            let via: BTreeSet<ReferenceVia> = references.iter().map(|r| r.via).collect();
            WorkloadUse {
                kind,
                name,
                keys: keys_used(&references),
                via: via.into_iter().collect(),
            }
        })
        .collect();
    let order = |k: WorkloadKind| WorkloadKind::ALL.iter().position(|a| *a == k);
    uses.sort_by(|a, b| (order(a.kind), &a.name).cmp(&(order(b.kind), &b.name)));
    uses
}

/// Why the workloads could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum UsedByError {
    /// The API server answered with an error other than 403 or 404, or could not be reached.
    #[error("cannot list {kind}s: {source}")]
    Cluster {
        /// The kind being listed.
        kind: WorkloadKind,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
    /// The API server did not answer in time.
    #[error("listing {0}s took too long")]
    Timeout(WorkloadKind),
}

/// Lists one kind in `namespace` (all pages) as (metadata, pod spec) pairs; `Ok(Err(reason))`
/// when the kind cannot be checked.
async fn list<K>(
    client: &kube::Client,
    namespace: &str,
    kind: WorkloadKind,
    pod_spec: fn(&K) -> Option<&PodSpec>,
    metadata: fn(&K) -> &ObjectMeta,
    secret: &str,
) -> Result<Result<Vec<Listed>, UncheckedReason>, UsedByError>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let mut params = ListParams::default().limit(500);
    let mut out = Vec::new();
    loop {
        let page = tokio::time::timeout(Timeouts::default().request, api.list(&params)).await;
        let page = match page {
            Err(_) => return Err(UsedByError::Timeout(kind)),
            Ok(Err(kube::Error::Api(status))) if status.code == 403 => {
                return Ok(Err(UncheckedReason::Forbidden));
            }
            Ok(Err(kube::Error::Api(status))) if status.code == 404 => {
                return Ok(Err(UncheckedReason::NotServed));
            }
            Ok(Err(source)) => return Err(UsedByError::Cluster { kind, source }),
            Ok(Ok(page)) => page,
        };
        for item in &page.items {
            out.push(Listed {
                kind,
                metadata: metadata(item).clone(),
                references: pod_spec(item)
                    .map(|spec| references(spec, secret))
                    .unwrap_or_default(),
            });
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    Ok(Ok(out))
}

/// The workloads of `namespace` that use the Secret `secret`, each under its top owner; the
/// kinds the console may not list are named in [`UsedBy::unchecked`].
pub async fn used_by(
    client: &kube::Client,
    namespace: &str,
    secret: &str,
) -> Result<UsedBy, UsedByError> {
    use WorkloadKind as W;
    let (deployments, stateful_sets, daemon_sets, cron_jobs, jobs, pods) = futures::join!(
        list::<Deployment>(
            client,
            namespace,
            W::Deployment,
            |d| d.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
            |d| &d.metadata,
            secret
        ),
        list::<StatefulSet>(
            client,
            namespace,
            W::StatefulSet,
            |s| s.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
            |s| &s.metadata,
            secret
        ),
        list::<DaemonSet>(
            client,
            namespace,
            W::DaemonSet,
            |d| d.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
            |d| &d.metadata,
            secret
        ),
        list::<CronJob>(
            client,
            namespace,
            W::CronJob,
            |c| {
                let job = c.spec.as_ref()?.job_template.spec.as_ref()?;
                job.template.spec.as_ref()
            },
            |c| &c.metadata,
            secret
        ),
        list::<Job>(
            client,
            namespace,
            W::Job,
            |j| j.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
            |j| &j.metadata,
            secret
        ),
        list::<Pod>(
            client,
            namespace,
            W::Pod,
            |p| p.spec.as_ref(),
            |p| &p.metadata,
            secret
        ),
    );
    let mut all = Vec::new();
    let mut unchecked = Vec::new();
    for (kind, listed) in [
        (W::Deployment, deployments?),
        (W::StatefulSet, stateful_sets?),
        (W::DaemonSet, daemon_sets?),
        (W::CronJob, cron_jobs?),
        (W::Job, jobs?),
        (W::Pod, pods?),
    ] {
        match listed {
            Ok(items) => all.extend(items),
            Err(reason) => unchecked.push(UncheckedKind { kind, reason }),
        }
    }
    Ok(UsedBy {
        namespace: namespace.to_owned(),
        secret: secret.to_owned(),
        workloads: collapse(&all),
        unchecked,
    })
}

#[cfg(test)]
mod tests;
