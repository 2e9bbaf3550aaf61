//! Reference extraction, one path at a time, and the collapse to top owners.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use serde_json::json;

use super::*;

fn spec(value: serde_json::Value) -> PodSpec {
    serde_json::from_value(value).expect("a pod spec")
}

fn refs(value: serde_json::Value) -> Vec<(ReferenceVia, Option<String>)> {
    references(&spec(value), "db")
        .into_iter()
        .map(|r| (r.via, r.key))
        .collect()
}

fn key(k: &str) -> Option<String> {
    Some(k.to_owned())
}

#[test]
fn an_env_secret_key_ref_names_its_key_in_every_kind_of_container() {
    let env = json!([
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "OTHER", "valueFrom": {"secretKeyRef": {"name": "other", "key": "x"}}},
        {"name": "PLAIN", "value": "literal"},
    ]);
    let found = refs(json!({
        "containers": [{"name": "app", "env": env}],
        "initContainers": [{"name": "init", "env": [
            {"name": "U", "valueFrom": {"secretKeyRef": {"name": "db", "key": "username"}}}]}],
        "ephemeralContainers": [{"name": "debug", "env": [
            {"name": "H", "valueFrom": {"secretKeyRef": {"name": "db", "key": "host"}}}]}],
    }));
    assert_eq!(
        found,
        [
            (ReferenceVia::EnvKey, key("password")),
            (ReferenceVia::EnvKey, key("username")),
            (ReferenceVia::EnvKey, key("host")),
        ]
    );
}

#[test]
fn env_from_a_secret_uses_every_key() {
    let found = refs(json!({"containers": [{"name": "app", "envFrom": [
        {"secretRef": {"name": "db"}}, {"configMapRef": {"name": "db"}}]}]}));
    assert_eq!(found, [(ReferenceVia::EnvFrom, None)]);
    let init = refs(json!({"containers": [{"name": "app"}],
        "initContainers": [{"name": "i", "envFrom": [{"secretRef": {"name": "db"}, "prefix": "DB_"}]}]}));
    assert_eq!(init, [(ReferenceVia::EnvFrom, None)]);
}

#[test]
fn a_secret_volume_uses_its_items_or_every_key() {
    let whole = refs(json!({"containers": [{"name": "app"}],
        "volumes": [{"name": "v", "secret": {"secretName": "db"}},
                    {"name": "w", "secret": {"secretName": "not-db"}}]}));
    assert_eq!(whole, [(ReferenceVia::Volume, None)]);
    let items = refs(json!({"containers": [{"name": "app"}],
        "volumes": [{"name": "v", "secret": {"secretName": "db",
            "items": [{"key": "ca.crt", "path": "ca"}, {"key": "tls.key", "path": "k"}]}}]}));
    assert_eq!(
        items,
        [
            (ReferenceVia::Volume, key("ca.crt")),
            (ReferenceVia::Volume, key("tls.key"))
        ]
    );
}

#[test]
fn a_projected_volume_source_uses_its_items_or_every_key() {
    let found = refs(json!({"containers": [{"name": "app"}],
    "volumes": [{"name": "p", "projected": {"sources": [
        {"configMap": {"name": "db"}},
        {"secret": {"name": "db", "items": [{"key": "password", "path": "pw"}]}},
        {"secret": {"name": "db"}},
        {"serviceAccountToken": {"path": "token"}},
    ]}}]}));
    assert_eq!(
        found,
        [
            (ReferenceVia::ProjectedVolume, key("password")),
            (ReferenceVia::ProjectedVolume, None)
        ]
    );
}

#[test]
fn an_image_pull_secret_is_a_use_of_every_key() {
    let found = refs(json!({"containers": [{"name": "app"}],
        "imagePullSecrets": [{"name": "registry"}, {"name": "db"}]}));
    assert_eq!(found, [(ReferenceVia::ImagePullSecret, None)]);
    assert!(refs(json!({"containers": [{"name": "app"}]})).is_empty());
}

#[test]
fn keys_are_named_only_when_no_reference_takes_them_all() {
    let named = |k: &str| Reference {
        via: ReferenceVia::EnvKey,
        key: key(k),
    };
    assert_eq!(
        keys_used(&[named("b"), named("a"), named("b")]),
        KeysUsed::Keys(vec!["a".to_owned(), "b".to_owned()])
    );
    let all = Reference {
        via: ReferenceVia::Volume,
        key: None,
    };
    assert_eq!(keys_used(&[named("a"), all]), KeysUsed::All);
}

fn listed(kind: WorkloadKind, name: &str, owner: Option<(&str, &str, &str)>, uses: bool) -> Listed {
    let mut metadata = ObjectMeta {
        name: Some(name.to_owned()),
        uid: Some(format!("uid-{name}")),
        ..ObjectMeta::default()
    };
    if let Some((owner_kind, owner_name, hash)) = owner {
        metadata.owner_references = Some(vec![OwnerReference {
            api_version: "apps/v1".to_owned(),
            kind: owner_kind.to_owned(),
            name: owner_name.to_owned(),
            uid: format!("uid-{owner_name}"),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }]);
        if !hash.is_empty() {
            metadata.labels = Some([("pod-template-hash".to_owned(), hash.to_owned())].into());
        }
    }
    Listed {
        kind,
        metadata,
        references: if uses {
            vec![Reference {
                via: ReferenceVia::EnvKey,
                key: key("password"),
            }]
        } else {
            Vec::new()
        },
    }
}

#[test]
fn owned_workloads_are_shown_under_their_top_owner_once() {
    use WorkloadKind as W;
    let all = [
        listed(W::Deployment, "api", None, true),
        // A pod of the Deployment's ReplicaSet (which the console does not list).
        listed(
            W::Pod,
            "api-7d9f-x1",
            Some(("ReplicaSet", "api-7d9f", "7d9f")),
            true,
        ),
        listed(W::CronJob, "nightly", None, true),
        listed(
            W::Job,
            "nightly-2901",
            Some(("CronJob", "nightly", "")),
            true,
        ),
        listed(
            W::Pod,
            "nightly-2901-abc",
            Some(("Job", "nightly-2901", "")),
            true,
        ),
        // A pod of a ReplicaSet whose Deployment is not listed stays a pod.
        listed(
            W::Pod,
            "orphan-5c-y",
            Some(("ReplicaSet", "orphan-5c", "5c")),
            true,
        ),
        listed(W::Pod, "bare", None, true),
        listed(W::StatefulSet, "unrelated", None, false),
    ];
    let uses: Vec<(WorkloadKind, String)> = collapse(&all)
        .into_iter()
        .map(|u| (u.kind, u.name))
        .collect();
    assert_eq!(
        uses,
        [
            (W::Deployment, "api".to_owned()),
            (W::CronJob, "nightly".to_owned()),
            (W::Pod, "bare".to_owned()),
            (W::Pod, "orphan-5c-y".to_owned()),
        ]
    );
}
