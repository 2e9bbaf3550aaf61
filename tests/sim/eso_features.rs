//! The simulated controller's `dataFrom` (extract, find, rewrite), target templates, creation
//! and deletion policies and refresh policies, observed through the API server: the target
//! Secret's keys, bytes, type and metadata, and the ExternalSecret's Ready condition. Each
//! wait is for something the controller writes, never a fixed delay.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Event, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::eso_truth::{create, force_sync, secret, set_store_data, value};
use crate::support::{Cluster, eventually, ready};

/// What the fake store `fake` holds in these tests.
fn store_data() -> Value {
    json!([
        {"key": "shared/postgres",
         "value": "{\"username\":\"app\",\"password\":\"pg-pass\",\"host\":\"db.svc\",\"port\":5432}"},
        {"key": "shared/postgres/username", "value": "app"},
        {"key": "shared/postgres/password", "value": "pg-pass"},
        {"key": "shared/postgres/password", "value": "pg-pass-2", "version": "2"},
        {"key": "other/thing", "value": "x"},
        {"key": "encoded", "value": "{\"cert\":\"aGVsbG8=\",\"odd/key\":\"dg==\"}"},
    ])
}

/// An ExternalSecret `name` in `team` reading the store `fake`, `spec` merged over the usual.
fn external(name: &str, spec: Value) -> Value {
    let mut object = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name},
        "spec": {
            "refreshInterval": "1h0m0s",
            "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
            "target": {"name": name},
        },
    });
    if let (Some(base), Some(extra)) = (object["spec"].as_object_mut(), spec.as_object()) {
        for (k, v) in extra {
            if k == "target" {
                if let (Some(target), Some(more)) = (base["target"].as_object_mut(), v.as_object())
                {
                    target.extend(more.clone());
                }
            } else {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    object
}

/// The Secret's data as text, once it exists (and `check` holds for it).
async fn data_of(
    c: &Cluster,
    name: &str,
    check: impl Fn(&BTreeMap<String, String>) -> bool,
) -> BTreeMap<String, String> {
    eventually(10, &format!("Secret {name}"), || async {
        let secret = secret(c, name).await?;
        let data: BTreeMap<String, String> = secret
            .data
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
            .collect();
        check(&data).then_some(data)
    })
    .await
}

/// The ExternalSecret's Ready condition once `check` holds for it.
async fn ready_of(
    c: &Cluster,
    name: &str,
    check: impl Fn(&(String, String, String)) -> bool,
) -> (String, String, String) {
    eventually(10, &format!("Ready of {name}"), || async {
        let object = c.external_secrets("team").get(name).await.ok()?;
        ready(&object).filter(|r| check(r))
    })
    .await
}

/// The message of the Warning event about `name`, once there is one.
async fn warning(c: &Cluster, name: &str) -> String {
    let events: Api<Event> = Api::namespaced(c.client.clone(), "team");
    eventually(10, "a Warning event", || async {
        events
            .list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
            .await
            .ok()?
            .items
            .into_iter()
            .find(|e| e.type_.as_deref() == Some("Warning"))?
            .message
    })
    .await
}

fn pairs(items: &[(&str, &str)]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn data_from_extract_expands_a_json_secret_into_keys() {
    let c = Cluster::start().await;
    c.team_with_ready_store(store_data()).await;
    create(
        &c,
        external(
            "pg",
            json!({"dataFrom": [{"extract": {"key": "shared/postgres"}}]}),
        ),
    )
    .await;
    // Base64 decoding, and a key with a slash converted (Default: `_`; Unicode: `_U002f_`).
    create(
        &c,
        external(
            "enc",
            json!({"dataFrom": [{"extract": {"key": "encoded", "decodingStrategy": "Base64"}}]}),
        ),
    )
    .await;
    create(
        &c,
        external(
            "uni",
            json!({"dataFrom": [{"extract": {"key": "encoded", "conversionStrategy": "Unicode"}}]}),
        ),
    )
    .await;
    create(
        &c,
        external(
            "absent",
            json!({"dataFrom": [{"extract": {"key": "no/such"}}]}),
        ),
    )
    .await;

    let pg = data_of(&c, "pg", |_| true).await;
    assert_eq!(
        pg,
        pairs(&[
            ("host", "db.svc"),
            ("password", "pg-pass"),
            ("port", "5432"),
            ("username", "app")
        ])
    );
    assert_eq!(
        data_of(&c, "enc", |_| true).await,
        pairs(&[("cert", "hello"), ("odd_key", "v")])
    );
    assert_eq!(
        data_of(&c, "uni", |_| true).await,
        pairs(&[("cert", "aGVsbG8="), ("odd_U002f_key", "dg==")])
    );
    let (_, reason, message) = ready_of(&c, "absent", |r| r.0 == "False").await;
    assert_eq!(
        (reason.as_str(), message.as_str()),
        (
            "SecretSyncedError",
            "could not get secret data from provider"
        )
    );
    assert_eq!(
        warning(&c, "absent").await,
        "error processing spec.dataFrom[0].extract, err: Secret does not exist"
    );
}

#[tokio::test]
async fn data_from_find_matches_names_and_rewrites_keys() {
    let c = Cluster::start().await;
    c.team_with_ready_store(store_data()).await;
    create(
        &c,
        external(
            "found",
            json!({"dataFrom": [{"find": {"name": {"regexp": "^shared/postgres/"}}}]}),
        ),
    )
    .await;
    create(
        &c,
        external(
            "rewritten",
            json!({"dataFrom": [{
                "find": {"name": {"regexp": "^shared/postgres/"}},
                // The fake provider converts the keys it finds (`GetAllSecrets` →
                // `ConvertKeys`) before the rewrite sees them: `/` is `_` already.
                "rewrite": [
                    {"regexp": {"source": "^shared_postgres_(.*)$", "target": "$1"}},
                    {"transform": {"template": "db_{{ .value | upper }}"}},
                ],
            }]}),
        ),
    )
    .await;
    // The fake provider reads `name` only: a find by path alone is refused.
    create(
        &c,
        external(
            "by-path",
            json!({"dataFrom": [{"find": {"path": "shared"}}]}),
        ),
    )
    .await;

    // Each matching key's latest version, its name converted to a Secret key.
    assert_eq!(
        data_of(&c, "found", |_| true).await,
        pairs(&[
            ("shared_postgres_password", "pg-pass-2"),
            ("shared_postgres_username", "app")
        ])
    );
    assert_eq!(
        data_of(&c, "rewritten", |_| true).await,
        pairs(&[("db_PASSWORD", "pg-pass-2"), ("db_USERNAME", "app")])
    );
    let (_, reason, _) = ready_of(&c, "by-path", |r| r.0 == "False").await;
    assert_eq!(reason, "SecretSyncedError");
    let message = warning(&c, "by-path").await;
    assert!(
        message.starts_with(
            "error processing spec.dataFrom[0].find, err: error getting all secrets: unsupported find operator: v1.ExternalSecretFind{Path:(*string)(0x"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn templates_render_data_metadata_type_and_template_from() {
    let c = Cluster::start().await;
    c.team_with_ready_store(store_data()).await;
    let config_maps: Api<ConfigMap> = Api::namespaced(c.client.clone(), "team");
    let config_map = serde_json::from_value(json!({
        "metadata": {"name": "tpl"}, "data": {"greeting": "hello {{ .username }}"},
    }))
    .unwrap();
    config_maps
        .create(&PostParams::default(), &config_map)
        .await
        .unwrap();
    let template = json!({
        "type": "kubernetes.io/basic-auth",
        "metadata": {"labels": {"app": "{{ .username }}"}, "annotations": {"note": "static"}},
        "data": {
            "username": "{{ .username }}",
            "password": "{{ .password }}",
            "url": "postgres://{{ .username }}:{{ .password }}@{{ .host }}:{{ .port }}/app",
            "token": "{{ .password | b64enc }}",
            "plain": "{{ \"aGVsbG8=\" | b64dec }}",
            "json": "{{ .username | toJson }}",
            "shout": "{{ .username | upper | quote }}",
            "tidy": "{{ \"  Mixed \" | trim | lower }}",
        },
        "templateFrom": [{"literal": "config.yaml: |\n  host: {{ .host }}\n"}],
    });
    create(
        &c,
        external(
            "conn",
            json!({
                "dataFrom": [{"extract": {"key": "shared/postgres"}}],
                "target": {"template": template},
            }),
        ),
    )
    .await;
    // mergePolicy Merge keeps the provider's keys beside the rendered ones.
    create(&c, external("greeted", json!({
        "data": [{"secretKey": "username", "remoteRef": {"key": "shared/postgres/username"}}],
        "target": {"template": {
            "mergePolicy": "Merge",
            "templateFrom": [{"configMap": {"name": "tpl", "items": [{"key": "greeting"}]}}],
        }},
    })))
    .await;

    let data = data_of(&c, "conn", |_| true).await;
    assert_eq!(
        data,
        pairs(&[
            ("config.yaml", "host: db.svc\n"),
            ("json", "\"app\""),
            ("password", "pg-pass"),
            ("plain", "hello"),
            ("shout", "\"APP\""),
            ("tidy", "mixed"),
            ("token", "cGctcGFzcw=="),
            ("url", "postgres://app:pg-pass@db.svc:5432/app"),
            ("username", "app"),
        ]),
        "the template's keys only (mergePolicy Replace)"
    );
    let secret = secret(&c, "conn").await.unwrap();
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/basic-auth"));
    let labels = secret.metadata.labels.unwrap_or_default();
    assert_eq!(labels.get("app").map(String::as_str), Some("app"));
    assert_eq!(
        secret
            .metadata
            .annotations
            .unwrap_or_default()
            .get("note")
            .map(String::as_str),
        Some("static")
    );
    assert_eq!(
        data_of(&c, "greeted", |_| true).await,
        pairs(&[("greeting", "hello app"), ("username", "app")])
    );
}

#[tokio::test]
async fn creation_policies_merge_orphan_and_none() {
    let c = Cluster::start().await;
    c.team_with_ready_store(store_data()).await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let existing = serde_json::from_value(json!({
        "metadata": {"name": "existing"}, "data": {"keep": "a2VwdA=="},
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &existing)
        .await
        .unwrap();
    let reading = |creation: &str, target: &str| {
        json!({
            "data": [{"secretKey": "password", "remoteRef": {"key": "shared/postgres/password"}}],
            "target": {"creationPolicy": creation, "name": target},
        })
    };
    create(&c, external("merger", reading("Merge", "existing"))).await;
    create(&c, external("orphan", reading("Orphan", "orphan"))).await;
    create(&c, external("none", reading("None", "none"))).await;

    let merged = data_of(&c, "existing", |d| d.contains_key("password")).await;
    assert_eq!(
        merged,
        pairs(&[("keep", "kept"), ("password", "pg-pass")]),
        "Merge keeps other keys"
    );
    let target = secrets.get("existing").await.unwrap();
    assert!(
        target.metadata.owner_references.is_none(),
        "Merge does not own"
    );

    data_of(&c, "orphan", |_| true).await;
    let orphan = secrets.get("orphan").await.unwrap();
    assert!(
        orphan.metadata.owner_references.is_none(),
        "Orphan does not own"
    );
    assert!(
        !orphan
            .metadata
            .labels
            .unwrap_or_default()
            .contains_key("reconcile.external-secrets.io/created-by")
    );

    let (status, reason, _) = ready_of(&c, "none", |r| r.0 == "True").await;
    assert_eq!((status.as_str(), reason.as_str()), ("True", "SecretSynced"));
    assert!(
        secret(&c, "none").await.is_none(),
        "None never writes a Secret"
    );
}

#[tokio::test]
async fn deletion_policies_when_the_remote_data_disappears() {
    let c = Cluster::start().await;
    let two = json!([{"key": "a/one", "value": "1"}, {"key": "a/two", "value": "2"}]);
    c.team_with_ready_store(two).await;
    for (name, policy) in [("keep", "Retain"), ("drop", "Delete"), ("merge", "Merge")] {
        let spec = json!({
            "refreshInterval": "1s",
            "dataFrom": [{"find": {"name": {"regexp": "^a/"}}}],
            "target": {"deletionPolicy": policy},
        });
        create(&c, external(name, spec)).await;
        data_of(&c, name, |d| d.len() == 2).await;
    }

    // One key gone: every policy writes what is left (the keys this ExternalSecret wrote
    // before are its own to remove).
    set_store_data(&c, json!([{"key": "a/one", "value": "1"}])).await;
    for name in ["keep", "drop", "merge"] {
        assert_eq!(
            data_of(&c, name, |d| d.len() == 1).await,
            pairs(&[("a_one", "1")])
        );
    }

    // Nothing left: Retain keeps the Secret, Delete deletes it, Merge empties it.
    set_store_data(&c, json!([{"key": "b/other", "value": "x"}])).await;
    let (_, reason, message) = ready_of(&c, "drop", |r| r.1 == "SecretDeleted").await;
    assert_eq!(
        (reason.as_str(), message.as_str()),
        (
            "SecretDeleted",
            "secret deleted due to DeletionPolicy=Delete"
        )
    );
    assert!(secret(&c, "drop").await.is_none());
    data_of(&c, "merge", BTreeMap::is_empty).await;
    let (_, _, message) = ready_of(&c, "keep", |r| r.2 != "secret synced").await;
    assert_eq!(message, "secret retained due to DeletionPolicy=Retain");
    assert_eq!(value(&secret(&c, "keep").await.unwrap(), "a_one"), "1");
}

#[tokio::test]
async fn refresh_policies_created_once_on_change_and_periodic() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "k", "value": "one"}]))
        .await;
    for (name, policy) in [
        ("once", "CreatedOnce"),
        ("change", "OnChange"),
        ("periodic", "Periodic"),
    ] {
        let spec = json!({
            "refreshInterval": "1s",
            "refreshPolicy": policy,
            "data": [{"secretKey": "k", "remoteRef": {"key": "k"}}],
        });
        create(&c, external(name, spec)).await;
        data_of(&c, name, |d| d.get("k").map(String::as_str) == Some("one")).await;
    }
    set_store_data(&c, json!([{"key": "k", "value": "two"}])).await;
    data_of(&c, "periodic", |d| {
        d.get("k").map(String::as_str) == Some("two")
    })
    .await;
    // Two more periodic refreshes: the others' 1 s requeues came and went meanwhile.
    let es = c.external_secrets("team");
    for _ in 0..2 {
        let before = es.get("periodic").await.unwrap().data["status"]["refreshTime"].clone();
        eventually(10, "a periodic refresh", || async {
            let now = es.get("periodic").await.ok()?.data["status"]["refreshTime"].clone();
            (now != before).then_some(())
        })
        .await;
    }
    for name in ["once", "change"] {
        assert_eq!(
            value(&secret(&c, name).await.unwrap(), "k"),
            "one",
            "{name} not refreshed by time"
        );
    }

    // A change of the ExternalSecret refreshes OnChange, never CreatedOnce. The controller
    // works one object at a time in order, so once "change" shows it, "once" was seen.
    for name in ["once", "change"] {
        es.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"force-sync": "1"}}})),
        )
        .await
        .unwrap();
    }
    force_sync(&c, "change").await;
    data_of(&c, "change", |d| {
        d.get("k").map(String::as_str) == Some("two")
    })
    .await;
    assert_eq!(
        value(&secret(&c, "once").await.unwrap(), "k"),
        "one",
        "CreatedOnce never refreshes"
    );
}

/// An older operator install, serving `external-secrets.io` at `v1beta1` only: what is written
/// there is pruned by v1beta1's structural schema, as kube-apiserver prunes a custom resource
/// by the version it is written at. v1's own fields (`spec.syncWindows`, `nullBytePolicy`)
/// are dropped silently, on create and on a patch alike, and refused by name under
/// `fieldValidation=Strict`; everything v1beta1 has is kept.
#[tokio::test]
async fn a_v1beta1_write_is_pruned_by_v1beta1s_schema() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let (code, _) = c
        .raw(
            "PUT",
            "/sim/faults",
            "application/json",
            json!({"esoV1beta1Only": true}),
        )
        .await;
    assert_eq!(code, 200);
    let path = "/apis/external-secrets.io/v1beta1/namespaces/team/externalsecrets";
    let object = |name: &str| {
        json!({
            "apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
            "metadata": {"name": name},
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                "syncWindows": {"kind": "Allow", "windows": [{"schedule": "0 9 * * *", "duration": "8h"}]},
                "data": [{"secretKey": "a", "remoteRef": {"key": "k", "property": "p", "nullBytePolicy": "Fail"}}],
            },
        })
    };

    let (code, body) = c
        .raw(
            "POST",
            &format!("{path}?fieldValidation=Strict"),
            "application/json",
            object("strict"),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["message"],
        "ExternalSecret in version \"v1beta1\" cannot be handled as a ExternalSecret: strict \
         decoding error: unknown field \"spec.data[0].remoteRef.nullBytePolicy\", unknown field \
         \"spec.syncWindows\""
    );

    let (code, created) = c
        .raw("POST", path, "application/json", object("pruned"))
        .await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["apiVersion"], "external-secrets.io/v1beta1");
    let spec = &created["spec"];
    assert!(spec.get("syncWindows").is_none(), "{spec}");
    let remote = &spec["data"][0]["remoteRef"];
    assert!(remote.get("nullBytePolicy").is_none(), "{remote}");
    assert_eq!(
        (&remote["key"], &remote["property"]),
        (&json!("k"), &json!("p"))
    );
    assert_eq!(spec["refreshInterval"], "1h", "what v1beta1 has is kept");

    let patch = json!({"spec": {"syncWindows": {"kind": "Deny", "windows": []}}});
    let (code, patched) = c
        .raw(
            "PATCH",
            &format!("{path}/pruned"),
            "application/merge-patch+json",
            patch,
        )
        .await;
    assert_eq!(code, 200, "{patched}");
    assert!(patched["spec"].get("syncWindows").is_none(), "{patched}");
    assert_eq!(patched["metadata"]["generation"], 1, "nothing changed");
}
