//! Recorded truth for the External Secrets controller: the `status.conditions` and the Events
//! External Secrets Operator v2.9 writes in the cases the console depends on, written from its
//! source (each `fixtures/eso-*.json` names it), and the simulated controller writing the same,
//! field for field. `<uid>` is filled from the object; `<time>`, `<suffix>` and
//! `<resourceVersion>` stand for what differs between runs, and what the simulated cluster
//! writes there is checked for its shape before it is replaced by them.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::support::{Cluster, dynamic, eventually, external_secret};
use crate::truth::filled;

/// How long a case may take to show: the controller retries failures with a back-off.
const DEADLINE: Duration = Duration::from_secs(30);

#[derive(Clone, Copy)]
enum Kind {
    ExternalSecret,
    ClusterSecretStore,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ExternalSecret => "ExternalSecret",
            Kind::ClusterSecretStore => "ClusterSecretStore",
        }
    }

    fn path(self, name: &str) -> String {
        match self {
            Kind::ExternalSecret => {
                format!("/apis/external-secrets.io/v1/namespaces/team/externalsecrets/{name}")
            }
            Kind::ClusterSecretStore => {
                format!("/apis/external-secrets.io/v1/clustersecretstores/{name}")
            }
        }
    }

    /// Where the recorder puts events about it: a cluster-scoped object's go to `default`.
    fn event_namespace(self) -> &'static str {
        match self {
            Kind::ExternalSecret => "team",
            Kind::ClusterSecretStore => "default",
        }
    }
}

/// A fixture's conditions and events, `<uid>` filled, events in a stable order.
fn expected(file: &str, uid: &str) -> Value {
    let path = format!("{}/tests/sim/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let mut want = filled(
        &json!({"conditions": fixture["conditions"], "events": fixture["events"]}),
        &[("<uid>", uid)],
    );
    sort_events(&mut want);
    want
}

fn sort_events(observation: &mut Value) {
    if let Some(events) = observation["events"].as_array_mut() {
        events.sort_by_key(|e| (e["reason"].to_string(), e["message"].to_string()));
    }
}

/// `2026-08-08T12:00:00Z`: how `metav1.Time` is written (seconds, UTC).
fn is_time(value: &Value) -> bool {
    let Some(s) = value.as_str() else {
        return false;
    };
    let b = s.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.clone().all(|i| b[i].is_ascii_digit());
    b.len() == 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'Z'
}

/// Replaces the value at `pointer` with `placeholder` when it has the expected shape.
fn hide(object: &mut Value, pointer: &str, shape: impl Fn(&Value) -> bool, placeholder: &str) {
    if let Some(value) = object.pointer_mut(pointer)
        && shape(value)
    {
        *value = json!(placeholder);
    }
}

/// An event as the fixtures record it: without what a list item leaves out (kind, apiVersion)
/// and the rest of its metadata, its count (a retried failure is counted on one event) and
/// with placeholders for its name's suffix, times and the object's resourceVersion.
fn event_shape(mut event: Value, involved: &str) -> Value {
    let object = event.as_object_mut().unwrap();
    object.remove("kind");
    object.remove("apiVersion");
    if object
        .get("count")
        .and_then(Value::as_i64)
        .is_some_and(|n| n >= 1)
    {
        object.remove("count");
    }
    let name = event["metadata"]["name"].as_str().unwrap_or_default();
    let name = match name.strip_prefix(&format!("{involved}.")) {
        Some(suffix)
            if !suffix.is_empty()
                && suffix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
        {
            format!("{involved}.<suffix>")
        }
        _ => name.to_owned(),
    };
    event["metadata"] = json!({"name": name, "namespace": event["metadata"]["namespace"]});
    for field in ["/firstTimestamp", "/lastTimestamp"] {
        hide(&mut event, field, is_time, "<time>");
    }
    hide(
        &mut event,
        "/involvedObject/resourceVersion",
        |v| v.as_str().is_some_and(|s| !s.is_empty()),
        "<resourceVersion>",
    );
    event
}

/// What the simulated cluster holds: the object's conditions and the events about it.
async fn observed(c: &Cluster, kind: Kind, name: &str) -> Value {
    let (_, object) = c
        .raw("GET", &kind.path(name), "application/json", json!(null))
        .await;
    let mut conditions = object["status"]["conditions"].clone();
    for condition in conditions.as_array_mut().into_iter().flatten() {
        hide(condition, "/lastTransitionTime", is_time, "<time>");
    }
    let events_path = format!(
        "/api/v1/namespaces/{}/events?fieldSelector=involvedObject.kind%3D{}%2CinvolvedObject.name%3D{name}",
        kind.event_namespace(),
        kind.name()
    );
    let (_, list) = c
        .raw("GET", &events_path, "application/json", json!(null))
        .await;
    let events: Vec<Value> = list["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|e| event_shape(e, name))
        .collect();
    let mut observation = json!({"conditions": conditions, "events": events});
    sort_events(&mut observation);
    observation
}

async fn uid_of(c: &Cluster, kind: Kind, name: &str) -> String {
    let (_, object) = c
        .raw("GET", &kind.path(name), "application/json", json!(null))
        .await;
    object["metadata"]["uid"]
        .as_str()
        .unwrap_or_else(|| panic!("{} {name} exists", kind.name()))
        .to_owned()
}

/// Waits until the object's conditions and events are the fixture's; past the deadline,
/// fails showing both.
async fn assert_writes(c: &Cluster, kind: Kind, name: &str, file: &str) {
    let want = expected(file, &uid_of(c, kind, name).await);
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let got = observed(c, kind, name).await;
        if got == want {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            assert_eq!(
                got,
                want,
                "{kind} {name} against {file}",
                kind = kind.name()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn create(c: &Cluster, object: Value) {
    c.external_secrets("team")
        .create(&PostParams::default(), &dynamic(object))
        .await
        .expect("ExternalSecret created");
}

/// An ExternalSecret reading `secretKey password` from `remote` of the store `fake`, with
/// `target` merged into its `spec.target`.
pub(crate) fn reading(name: &str, remote: &str, target: Value) -> Value {
    let mut object =
        serde_json::to_value(external_secret(name, "fake", &[("password", remote, None)])).unwrap();
    if let (Some(spec), Some(extra)) =
        (object["spec"]["target"].as_object_mut(), target.as_object())
    {
        spec.extend(extra.clone());
    }
    object
}

pub(crate) async fn set_store_data(c: &Cluster, data: Value) {
    c.stores()
        .patch(
            "fake",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"provider": {"fake": {"data": data}}}})),
        )
        .await
        .expect("store patched");
}

/// Sets the force-sync annotation, as a user makes ESO fetch again (it does not watch
/// stores), and waits until the controller has synced the change (`syncedResourceVersion`
/// follows the ExternalSecret's metadata) or given up on it.
pub(crate) async fn force_sync(c: &Cluster, name: &str) {
    let es = c.external_secrets("team");
    let before = es.get(name).await.unwrap().data["status"]["syncedResourceVersion"].clone();
    let stamp = format!("{:?}", std::time::SystemTime::now());
    es.patch(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"force-sync": stamp}}})),
    )
    .await
    .expect("annotated");
    let _ = tokio::time::timeout(DEADLINE, async {
        loop {
            let now = es.get(name).await.unwrap().data["status"]["syncedResourceVersion"].clone();
            if now != before {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

pub(crate) async fn secret(c: &Cluster, name: &str) -> Option<Secret> {
    Api::<Secret>::namespaced(c.client.clone(), "team")
        .get_opt(name)
        .await
        .unwrap()
}

pub(crate) fn value(secret: &Secret, key: &str) -> String {
    String::from_utf8(secret.data.as_ref().unwrap()[key].0.clone()).unwrap()
}

#[tokio::test]
async fn a_synced_external_secret_and_its_update_are_worded_as_eso_words_them() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    create(&c, reading("db", "db/password", json!({}))).await;
    assert_writes(&c, Kind::ExternalSecret, "db", "eso-synced.json").await;

    set_store_data(&c, json!([{"key": "db/password", "value": "n3w"}])).await;
    force_sync(&c, "db").await;
    assert_writes(&c, Kind::ExternalSecret, "db", "eso-updated.json").await;
    assert_eq!(value(&secret(&c, "db").await.unwrap(), "password"), "n3w");
}

#[tokio::test]
async fn a_key_the_fake_provider_lacks_fails_as_eso_words_it() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    create(&c, reading("missing", "db/missing", json!({}))).await;
    assert_writes(&c, Kind::ExternalSecret, "missing", "eso-missing-key.json").await;
    assert!(secret(&c, "missing").await.is_none(), "nothing written");
}

#[tokio::test]
async fn nothing_left_at_the_provider_deletes_or_retains_as_eso_words_it() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/gone", "value": "v"}]))
        .await;
    create(
        &c,
        reading("gone", "db/gone", json!({"deletionPolicy": "Delete"})),
    )
    .await;
    eventually(30, "the target written", || async {
        secret(&c, "gone").await
    })
    .await;
    set_store_data(&c, json!([])).await;
    force_sync(&c, "gone").await;
    assert_writes(&c, Kind::ExternalSecret, "gone", "eso-deleted.json").await;
    assert!(secret(&c, "gone").await.is_none(), "the target deleted");

    // Retain (the default) with nothing found: a find matching no key.
    create(
        &c,
        json!({
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "retained"},
            "spec": {
                "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                "target": {"name": "retained"},
                "dataFrom": [{"find": {"name": {"regexp": "^nothing/"}}}],
            },
        }),
    )
    .await;
    assert_writes(&c, Kind::ExternalSecret, "retained", "eso-retained.json").await;
    assert!(secret(&c, "retained").await.is_none(), "nothing written");
}

#[tokio::test]
async fn merge_into_a_missing_secret_waits_as_eso_words_it() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    create(
        &c,
        reading("merged", "db/password", json!({"creationPolicy": "Merge"})),
    )
    .await;
    assert_writes(&c, Kind::ExternalSecret, "merged", "eso-merge-missing.json").await;
    assert!(secret(&c, "merged").await.is_none(), "Merge never creates");
}

#[tokio::test]
async fn a_target_someone_else_controls_is_refused_as_eso_words_it() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let sealed = json!({
        "metadata": {"name": "sealed", "ownerReferences": [{
            "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "name": "sealed",
            "uid": "5e0a1ed0-0000-4000-8000-000000000001", "controller": true}]},
        "data": {"password": "b2xk"},
    });
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(sealed).unwrap(),
        )
        .await
        .unwrap();
    create(&c, reading("sealed", "db/password", json!({}))).await;
    assert_writes(
        &c,
        Kind::ExternalSecret,
        "sealed",
        "eso-owned-by-controller.json",
    )
    .await;

    create(
        &c,
        reading("first", "db/password", json!({"name": "shared"})),
    )
    .await;
    eventually(30, "shared written", || async {
        secret(&c, "shared").await
    })
    .await;
    create(
        &c,
        reading("second", "db/password", json!({"name": "shared"})),
    )
    .await;
    assert_writes(
        &c,
        Kind::ExternalSecret,
        "second",
        "eso-owned-by-external-secret.json",
    )
    .await;
}

#[tokio::test]
async fn immutable_targets_are_refused_or_kept_as_eso_does() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let frozen = json!({"metadata": {"name": "frozen"}, "immutable": true,
        "data": {"password": "b2xk"}});
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(frozen).unwrap(),
        )
        .await
        .unwrap();
    create(&c, reading("frozen", "db/password", json!({}))).await;
    assert_writes(&c, Kind::ExternalSecret, "frozen", "eso-immutable.json").await;
    let frozen = secret(&c, "frozen").await.unwrap();
    assert_eq!(value(&frozen, "password"), "old", "the data is left");
    // ESO's updateSecret still writes the metadata: it takes the Secret over.
    let owners: Vec<(String, String)> = frozen
        .metadata
        .owner_references
        .unwrap_or_default()
        .into_iter()
        .map(|o| (o.kind, o.name))
        .collect();
    assert_eq!(owners, [("ExternalSecret".to_owned(), "frozen".to_owned())]);

    // An ExternalSecret asking for an immutable target keeps the first value.
    create(
        &c,
        reading("pinned", "db/password", json!({"immutable": true})),
    )
    .await;
    eventually(30, "pinned written", || async {
        secret(&c, "pinned").await
    })
    .await;
    set_store_data(&c, json!([{"key": "db/password", "value": "n3w"}])).await;
    force_sync(&c, "pinned").await;
    assert_writes(
        &c,
        Kind::ExternalSecret,
        "pinned",
        "eso-immutable-kept.json",
    )
    .await;
    assert_eq!(
        value(&secret(&c, "pinned").await.unwrap(), "password"),
        "s3cr3t"
    );
}

#[tokio::test]
async fn an_invalid_store_is_worded_as_eso_words_it() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    c.fake_store("broken", json!([{"key": "k", "value": "v"}]), Some(2))
        .await;
    assert_writes(
        &c,
        Kind::ClusterSecretStore,
        "broken",
        "eso-store-invalid.json",
    )
    .await;
}

/// ESO looks the store up for each `spec.data` entry, so what fails is wrapped as the entry's
/// error, and the informer cache's NotFound names the kind.
#[tokio::test]
async fn a_store_missing_or_not_ready_is_worded_as_eso_words_it() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    c.fake_store("broken", json!([{"key": "k", "value": "v"}]), Some(2))
        .await;
    let mut blocked = reading("blocked", "k", json!({}));
    blocked["spec"]["secretStoreRef"]["name"] = json!("broken");
    create(&c, blocked).await;
    assert_writes(
        &c,
        Kind::ExternalSecret,
        "blocked",
        "eso-store-not-ready.json",
    )
    .await;
    let mut orphan = reading("orphan", "k", json!({}));
    orphan["spec"]["secretStoreRef"]["name"] = json!("nope");
    create(&c, orphan).await;
    assert_writes(
        &c,
        Kind::ExternalSecret,
        "orphan",
        "eso-store-not-found.json",
    )
    .await;
}

/// A template calling a function ESO's engine does not define: the parse error, wrapped by
/// `execute`, `valueScopeApply`, `Parser.MergeMap`, `ApplyTemplate` and the mutation function,
/// in a Warning event; Ready False "could not update secret"; no Secret.
#[tokio::test]
async fn a_template_with_an_unknown_function_fails_as_eso_words_it() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    let template = json!({"template": {"data": {"password": "{{ .password | frobnicate }}"}}});
    create(&c, reading("templated", "db/password", template)).await;
    assert_writes(
        &c,
        Kind::ExternalSecret,
        "templated",
        "eso-template-unknown-function.json",
    )
    .await;
    assert!(secret(&c, "templated").await.is_none(), "nothing written");
}
