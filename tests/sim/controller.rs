//! The External Secrets controller of the simulated cluster, observed through `kube::Client`.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Secret};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{Cluster, eventually, external_secret, ready};

async fn secret_value(secrets: &Api<Secret>, name: &str, key: &str) -> Option<String> {
    let secret = secrets.get(name).await.ok()?;
    let bytes = secret.data?.get(key)?.0.clone();
    String::from_utf8(bytes).ok()
}

async fn events_for(c: &Cluster, namespace: &str, name: &str) -> Vec<Event> {
    let events: Api<Event> = Api::namespaced(c.client.clone(), namespace);
    events
        .list(&ListParams::default().fields(&format!("involvedObject.name={name}")))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn present_key_syncs_the_target_secret_as_eso_does() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    c.fake_store(
        "fake",
        json!([
            {"key": "db/password", "value": "s3cr3t"},
            {"key": "db/json", "value": "{\"user\":\"u1\",\"nested\":{\"port\":5432}}"},
            {"key": "api", "value": "old", "version": "v1"},
            {"key": "api", "value": "new", "version": "v2"},
        ]),
        None,
    )
    .await;
    let store = eventually(5, "store Ready", || async {
        let s = c.stores().get("fake").await.ok()?;
        (ready(&s)?.0 == "True").then_some(s)
    })
    .await;
    assert_eq!(ready(&store).unwrap().1, "Valid");

    let es = c.external_secrets("team");
    let mut object = external_secret(
        "db",
        "fake",
        &[
            ("password", "db/password", None),
            ("user", "db/json", Some("user")),
            ("port", "db/json", Some("nested.port")),
        ],
    );
    object.data["spec"]["data"]
        .as_array_mut()
        .unwrap()
        .push(json!({"secretKey": "api", "remoteRef": {"key": "api", "version": "v1"}}));
    es.create(&PostParams::default(), &object).await.unwrap();

    let synced = eventually(5, "ExternalSecret synced", || async {
        let e = es.get("db").await.ok()?;
        (ready(&e)?.0 == "True").then_some(e)
    })
    .await;
    let (_, reason, message) = ready(&synced).unwrap();
    assert_eq!(
        (reason.as_str(), message.as_str()),
        ("SecretSynced", "secret synced")
    );
    let status = &synced.data["status"];
    assert!(status["refreshTime"].is_string());
    assert!(
        status["syncedResourceVersion"]
            .as_str()
            .unwrap()
            .starts_with("1-")
    );
    assert_eq!(status["binding"]["name"], "db");
    assert!(
        synced
            .metadata
            .finalizers
            .clone()
            .unwrap_or_default()
            .iter()
            .any(|f| f.contains("external-secrets.io")),
        "deletion is held behind the controller's finalizer"
    );

    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let events = events_for(&c, "team", "db").await;
    assert!(
        events.iter().any(|e| e.reason.as_deref() == Some("Created")
            && e.message.as_deref() == Some("secret created")),
        "{events:?}"
    );
    assert_eq!(
        secret_value(&secrets, "db", "password").await.as_deref(),
        Some("s3cr3t")
    );
    assert_eq!(
        secret_value(&secrets, "db", "user").await.as_deref(),
        Some("u1")
    );
    assert_eq!(
        secret_value(&secrets, "db", "port").await.as_deref(),
        Some("5432")
    );
    assert_eq!(
        secret_value(&secrets, "db", "api").await.as_deref(),
        Some("old")
    );
    let target = secrets.get("db").await.unwrap();
    let owner = &target.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("ExternalSecret", "db", Some(true))
    );
    assert_eq!(owner.uid, synced.metadata.uid.unwrap());
    assert_eq!(
        target.metadata.labels.unwrap()["reconcile.external-secrets.io/managed"],
        "true"
    );
    assert!(
        target
            .metadata
            .annotations
            .unwrap()
            .contains_key("reconcile.external-secrets.io/data-hash")
    );

    // Deleting the ExternalSecret removes the target with it (owner reference).
    es.delete("db", &DeleteParams::default()).await.unwrap();
    eventually(5, "ExternalSecret and target gone", || async {
        (es.get("db").await.is_err() && secrets.get("db").await.is_err()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn missing_key_is_a_synced_error_with_the_key_named_in_a_warning_event() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    c.fake_store("fake", json!([{"key": "present", "value": "v"}]), None)
        .await;
    let es = c.external_secrets("team");
    es.create(
        &PostParams::default(),
        &external_secret(
            "broken",
            "fake",
            &[("ok", "present", None), ("gone", "no/such/key", None)],
        ),
    )
    .await
    .unwrap();
    let failed = eventually(5, "SecretSyncedError", || async {
        let e = es.get("broken").await.ok()?;
        (ready(&e)?.1 == "SecretSyncedError").then_some(e)
    })
    .await;
    assert_eq!(ready(&failed).unwrap().0, "False");
    let events = eventually(5, "a Warning event", || async {
        let events = events_for(&c, "team", "broken").await;
        events
            .iter()
            .any(|e| e.type_.as_deref() == Some("Warning"))
            .then_some(events)
    })
    .await;
    let warning = events
        .iter()
        .find(|e| e.type_.as_deref() == Some("Warning"))
        .unwrap();
    assert!(
        warning.message.as_deref().unwrap().contains("no/such/key"),
        "{warning:?}"
    );
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    assert!(secrets.get("broken").await.is_err(), "nothing half-written");

    // Once the key exists, the next retry syncs.
    c.stores()
        .patch(
            "fake",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"provider": {"fake": {"data": [
                {"key": "present", "value": "v"}, {"key": "no/such/key", "value": "here now"}
            ]}}}})),
        )
        .await
        .unwrap();
    eventually(5, "synced after the key appeared", || async {
        let e = es.get("broken").await.ok()?;
        (ready(&e)?.1 == "SecretSynced").then_some(())
    })
    .await;
    assert_eq!(
        secret_value(&secrets, "broken", "gone").await.as_deref(),
        Some("here now")
    );
}

#[tokio::test]
async fn invalid_store_is_not_ready_and_its_external_secrets_fail() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    c.fake_store("broken-store", json!([{"key": "k", "value": "v"}]), Some(2))
        .await;
    let store = eventually(5, "store condition", || async {
        let s = c.stores().get("broken-store").await.ok()?;
        ready(&s)
    })
    .await;
    assert_eq!(store.0, "False");
    assert_eq!(store.1, "InvalidProviderConfig");

    let es = c.external_secrets("team");
    es.create(
        &PostParams::default(),
        &external_secret("blocked", "broken-store", &[("k", "k", None)]),
    )
    .await
    .unwrap();
    let (status, reason, message) = eventually(5, "ExternalSecret failing", || async {
        ready(&es.get("blocked").await.ok()?)
    })
    .await;
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "SecretSyncedError")
    );
    assert_eq!(message, "could not get secret data from provider");
    let events = eventually(5, "the not-ready warning", || async {
        let events = events_for(&c, "team", "blocked").await;
        events
            .iter()
            .any(|e| {
                e.type_.as_deref() == Some("Warning")
                    && e.message.as_deref()
                        == Some(
                            "error processing spec.data[0] (key: k), err: ClusterSecretStore \"broken-store\" is not ready"
                        )
            })
            .then_some(events)
    })
    .await;
    assert!(!events.is_empty());

    // Unknown validation: ESO still counts the store as Ready.
    c.fake_store("unknown-store", json!([]), Some(1)).await;
    let unknown = eventually(5, "store condition", || async {
        ready(&c.stores().get("unknown-store").await.ok()?)
    })
    .await;
    assert_eq!(
        (unknown.0.as_str(), unknown.1.as_str()),
        ("True", "ValidationUnknown")
    );

    // Fixing the store lets the ExternalSecret sync.
    c.stores()
        .patch(
            "broken-store",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"provider": {"fake": {"validationResult": 0}}}})),
        )
        .await
        .unwrap();
    eventually(5, "synced after the store was fixed", || async {
        (ready(&es.get("blocked").await.ok()?)?.1 == "SecretSynced").then_some(())
    })
    .await;
}

#[tokio::test]
async fn paused_controller_leaves_deletion_pending_until_resumed() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    c.fake_store("fake", json!([{"key": "k", "value": "v"}]), None)
        .await;
    let es = c.external_secrets("team");
    es.create(
        &PostParams::default(),
        &external_secret("held", "fake", &[("k", "k", None)]),
    )
    .await
    .unwrap();
    eventually(5, "synced", || async {
        (ready(&es.get("held").await.ok()?)?.1 == "SecretSynced").then_some(())
    })
    .await;

    c.cluster().faults.set_controller_paused(true);
    let pending = es.delete("held", &DeleteParams::default()).await.unwrap();
    assert!(pending.is_left(), "the finalizer holds the object");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let still = es
        .get("held")
        .await
        .expect("still present while the controller is paused");
    assert!(still.metadata.deletion_timestamp.is_some());

    c.cluster().faults.set_controller_paused(false);
    eventually(5, "deleted after resume", || async {
        es.get("held").await.is_err().then_some(())
    })
    .await;
}

#[tokio::test]
async fn refresh_interval_force_sync_and_drift_healing() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    c.fake_store("fake", json!([{"key": "k", "value": "one"}]), None)
        .await;
    let es = c.external_secrets("team");
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let set_value = |value: &'static str| {
        let stores = c.stores();
        async move {
            stores
                .patch(
                    "fake",
                    &PatchParams::default(),
                    &Patch::Merge(json!({"spec": {"provider": {"fake": {"data": [{"key": "k", "value": value}]}}}})),
                )
                .await
                .unwrap();
        }
    };

    // refreshInterval 0: synced once and never again, not even on an annotation change
    // (ESO's shouldRefreshPeriodic checks the interval first).
    let mut zero = external_secret("zero", "fake", &[("k", "k", None)]);
    zero.data["spec"]["refreshInterval"] = json!("0");
    es.create(&PostParams::default(), &zero).await.unwrap();
    let mut hourly = external_secret("once", "fake", &[("k", "k", None)]);
    hourly.data["spec"]["refreshInterval"] = json!("1h0m0s");
    es.create(&PostParams::default(), &hourly).await.unwrap();
    for name in ["zero", "once"] {
        eventually(5, "first sync", || async {
            (secret_value(&secrets, name, "k").await? == "one").then_some(())
        })
        .await;
    }
    set_value("two").await;
    es.patch(
        "zero",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"force-sync": "1"}}})),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        secret_value(&secrets, "zero", "k").await.as_deref(),
        Some("one"),
        "no refresh with interval 0"
    );
    assert_eq!(
        secret_value(&secrets, "once", "k").await.as_deref(),
        Some("one"),
        "not an hour yet"
    );

    // The force-sync annotation makes an hourly one sync now.
    es.patch(
        "once",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"force-sync": "1"}}})),
    )
    .await
    .unwrap();
    eventually(5, "forced sync", || async {
        (secret_value(&secrets, "once", "k").await? == "two").then_some(())
    })
    .await;

    // A short refresh interval picks changes up by itself.
    let mut periodic = external_secret("periodic", "fake", &[("k", "k", None)]);
    periodic.data["spec"]["refreshInterval"] = json!("1s");
    es.create(&PostParams::default(), &periodic).await.unwrap();
    eventually(5, "first sync", || async {
        (secret_value(&secrets, "periodic", "k").await? == "two").then_some(())
    })
    .await;
    set_value("three").await;
    eventually(5, "periodic refresh", || async {
        (secret_value(&secrets, "periodic", "k").await? == "three").then_some(())
    })
    .await;

    // Drift: a target deleted or edited out of band is put back.
    secrets
        .delete("once", &DeleteParams::default())
        .await
        .unwrap();
    eventually(5, "deleted target recreated", || async {
        secret_value(&secrets, "once", "k").await
    })
    .await;
    secrets
        .patch(
            "periodic",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"k": "dGFtcGVyZWQ="}})),
        )
        .await
        .unwrap();
    eventually(5, "edited target healed", || async {
        (secret_value(&secrets, "periodic", "k").await? == "three").then_some(())
    })
    .await;
}

/// ESO makes itself the target Secret's controller with `SetControllerReference`: another
/// controller's Secret is refused ("failed to take ownership of target secret", SyncedError,
/// the Secret untouched, no retry), and other, non-controller owners are kept.
#[tokio::test]
async fn a_secret_another_controller_owns_is_refused_and_other_owners_are_kept() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let owned_by = |name: &str, owners: serde_json::Value| {
        serde_json::from_value::<Secret>(json!({
            "metadata": {"name": name, "ownerReferences": owners},
            "data": {"password": "b2xk"},
        }))
        .unwrap()
    };
    secrets
        .create(
            &PostParams::default(),
            &owned_by(
                "sealed",
                json!([{"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
                    "name": "sealed", "uid": "5e0a1ed0-0000-4000-8000-000000000001",
                    "controller": true}]),
            ),
        )
        .await
        .unwrap();
    secrets
        .create(
            &PostParams::default(),
            &owned_by(
                "shared",
                json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "bundle",
                    "uid": "5e0a1ed0-0000-4000-8000-000000000002"}]),
            ),
        )
        .await
        .unwrap();
    let es = c.external_secrets("team");
    for name in ["sealed", "shared"] {
        es.create(
            &PostParams::default(),
            &external_secret(name, "fake", &[("password", "db/password", None)]),
        )
        .await
        .unwrap();
    }

    let (status, reason, message) = eventually(10, "sealed refused", || async {
        let object = es.get("sealed").await.ok()?;
        ready(&object).filter(|(status, _, _)| status == "False")
    })
    .await;
    assert_eq!(
        (status.as_str(), reason.as_str(), message.as_str()),
        (
            "False",
            "SecretSyncedError",
            "failed to take ownership of target secret"
        )
    );
    let warning = eventually(5, "the warning event", || async {
        events_for(&c, "team", "sealed")
            .await
            .into_iter()
            .find(|e| e.type_.as_deref() == Some("Warning"))
    })
    .await;
    assert_eq!(
        warning.message.as_deref(),
        Some(
            "unable to mutate secret sealed: could not set controller reference on secret: Object team/sealed is already owned by another SealedSecret controller sealed"
        )
    );
    let sealed = secrets.get("sealed").await.unwrap();
    assert_eq!(sealed.data.unwrap()["password"].0, b"old", "left untouched");
    let owners = sealed.metadata.owner_references.unwrap();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].kind, "SealedSecret");

    let shared = eventually(10, "shared synced", || async {
        let secret = secrets.get("shared").await.ok()?;
        (secret.data.as_ref()?["password"].0 == b"s3cr3t").then_some(secret)
    })
    .await;
    let kinds: Vec<(String, Option<bool>)> = shared
        .metadata
        .owner_references
        .unwrap()
        .into_iter()
        .map(|o| (o.kind, o.controller))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ConfigMap".to_owned(), None),
            ("ExternalSecret".to_owned(), Some(true))
        ]
    );
}

/// client-go's recorder combines similar events: from the 10th distinct message of one type
/// and reason about one object, one event stands for them, its message the latest prefixed
/// "(combined from similar events): ". ESO records through it.
#[tokio::test]
async fn similar_warnings_are_combined_as_the_event_recorder_does() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    let es = c.external_secrets("team");
    es.create(
        &PostParams::default(),
        &external_secret("db", "fake", &[("password", "missing/0", None)]),
    )
    .await
    .unwrap();
    for i in 0..11 {
        if i > 0 {
            es.patch(
                "db",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"data": [
                    {"secretKey": "password", "remoteRef": {"key": format!("missing/{i}")}}
                ]}})),
            )
            .await
            .unwrap();
        }
        let key = format!("missing/{i}");
        eventually(5, "a warning naming the key", || async {
            events_for(&c, "team", "db")
                .await
                .into_iter()
                .any(|e| e.message.as_deref().is_some_and(|m| m.contains(&key)))
                .then_some(())
        })
        .await;
    }
    let warnings: Vec<String> = events_for(&c, "team", "db")
        .await
        .into_iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .filter_map(|e| e.message)
        .collect();
    assert_eq!(
        warnings.len(),
        10,
        "nine of their own, then one combined: {warnings:#?}"
    );
    let combined: Vec<&String> = warnings
        .iter()
        .filter(|m| m.starts_with("(combined from similar events): "))
        .collect();
    assert_eq!(combined.len(), 1, "{warnings:#?}");
    assert!(
        combined[0].contains("missing/10"),
        "the latest: {}",
        combined[0]
    );
}
