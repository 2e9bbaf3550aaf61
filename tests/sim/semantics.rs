//! Semantics the simulated cluster once made kinder than kube-apiserver (issue 19, points 3, 4
//! and 7): orphan and foreground deletion through the garbage collector's finalizers, the code
//! and body of a delete's answer, and which state a get or list with a resourceVersion reads.
//! Each test names the source it follows.

use std::time::{Duration, Instant};

use kube::api::PostParams;
use serde_json::{Value, json};

use crate::support::{Cluster, eventually, external_secret};

const ESO_FINALIZER: &str = "externalsecrets.external-secrets.io/externalsecret-cleanup";
const SECRETS: &str = "/api/v1/namespaces/team/secrets";
const LEASES: &str = "/apis/coordination.k8s.io/v1/namespaces/team/leases";

async fn create(c: &Cluster, collection: &str, object: Value) -> Value {
    let (code, body) = c.raw("POST", collection, "application/json", object).await;
    assert_eq!(code, 201, "{body}");
    body
}

async fn get(c: &Cluster, path: &str) -> (u16, Value) {
    c.raw("GET", path, "application/json", Value::Null).await
}

async fn delete(c: &Cluster, path: &str, options: Value) -> (u16, Value) {
    c.raw("DELETE", path, "application/json", options).await
}

fn owner_ref(owner: &Value, block: bool) -> Value {
    json!({
        "apiVersion": owner["apiVersion"], "kind": owner["kind"],
        "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": block,
    })
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect()
}

/// `kubectl delete externalsecret x --cascade=orphan`: the API server adds the `orphan`
/// finalizer beside ESO's (`deletionFinalizersForGarbageCollection`, apiserver
/// `registry/generic/registry/store.go`) and answers 200 with the object, its generation
/// bumped (`markAsDeleting`); the garbage collector removes the ExternalSecret's reference
/// from the target Secret, then the finalizer (`attemptToOrphanWorker`, kube-controller-manager
/// `pkg/controller/garbagecollector/garbagecollector.go`). The Secret outlives it.
#[tokio::test]
async fn an_orphaning_delete_of_an_external_secret_keeps_its_secret_without_the_reference() {
    let c = Cluster::start().await;
    c.team_with_ready_store(json!([{"key": "db/password", "value": "s3cr3t"}]))
        .await;
    c.external_secrets("team")
        .create(
            &PostParams::default(),
            &external_secret("db", "fake", &[("password", "db/password", None)]),
        )
        .await
        .unwrap();
    let es_path = "/apis/external-secrets.io/v1/namespaces/team/externalsecrets/db";
    let secret_path = format!("{SECRETS}/db");
    let es = eventually(
        5,
        "the target Secret owned by the ExternalSecret",
        || async {
            let (_, secret) = get(&c, &secret_path).await;
            let (_, es) = get(&c, es_path).await;
            (secret["metadata"]["ownerReferences"][0]["uid"] == es["metadata"]["uid"]
                && es["metadata"]["finalizers"] == json!([ESO_FINALIZER]))
            .then_some(es)
        },
    )
    .await;

    let (code, answer) = delete(&c, es_path, json!({"propagationPolicy": "Orphan"})).await;
    assert_eq!(
        code, 200,
        "waiting on finalizers is 200 (202 only for orphanDependents=false)"
    );
    assert_eq!(answer["kind"], "ExternalSecret", "{answer}");
    assert_eq!(
        answer["metadata"]["finalizers"],
        json!([ESO_FINALIZER, "orphan"])
    );
    assert!(answer["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(answer["metadata"]["deletionGracePeriodSeconds"], 0);
    assert_eq!(
        answer["metadata"]["generation"].as_i64(),
        es["metadata"]["generation"].as_i64().map(|g| g + 1)
    );

    eventually(10, "the ExternalSecret gone", || async {
        (get(&c, es_path).await.0 == 404).then_some(())
    })
    .await;
    let (code, secret) = get(&c, &secret_path).await;
    assert_eq!(code, 200, "the orphaned Secret stays: {secret}");
    assert!(
        secret["metadata"].get("ownerReferences").is_none(),
        "{secret}"
    );
    // Past the garbage collector's delay, nothing comes back for it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(get(&c, &secret_path).await.0, 200);
}

/// The deprecated `orphanDependents: true` does the same, on an owner held by a finalizer of
/// its own: the garbage collector orphans the dependent and removes only `orphan`; the owner
/// goes when its last finalizer is removed, and the dependent stays.
#[tokio::test]
async fn orphan_dependents_true_orphans_before_the_owners_own_finalizer_goes() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let owner = create(
        &c,
        SECRETS,
        json!({"metadata": {"name": "owner", "finalizers": ["example.com/hold"]}}),
    )
    .await;
    create(
        &c,
        LEASES,
        json!({"metadata": {"name": "dependent", "ownerReferences": [owner_ref(&owner, true)]}}),
    )
    .await;
    let (code, answer) = delete(
        &c,
        &format!("{SECRETS}/owner"),
        json!({"orphanDependents": true}),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(
        answer["metadata"]["finalizers"],
        json!(["example.com/hold", "orphan"])
    );
    eventually(
        5,
        "the dependent orphaned, the orphan finalizer removed",
        || async {
            let (_, lease) = get(&c, &format!("{LEASES}/dependent")).await;
            let (_, owner) = get(&c, &format!("{SECRETS}/owner")).await;
            (lease["metadata"].get("ownerReferences").is_none()
                && owner["metadata"]["finalizers"] == json!(["example.com/hold"]))
            .then_some(())
        },
    )
    .await;
    let (code, _) = c
        .raw(
            "PATCH",
            &format!("{SECRETS}/owner"),
            "application/merge-patch+json",
            json!({"metadata": {"finalizers": null}}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(get(&c, &format!("{SECRETS}/owner")).await.0, 404);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(get(&c, &format!("{LEASES}/dependent")).await.0, 200);
}

/// `propagationPolicy: Foreground`: the owner waits with `foregroundDeletion` while the
/// garbage collector deletes its dependents, and goes once none with `blockOwnerDeletion` is
/// left (`processDeletingDependentsItem`, garbagecollector.go).
#[tokio::test]
async fn a_foreground_delete_waits_for_blocking_dependents() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let owner = create(&c, SECRETS, json!({"metadata": {"name": "owner"}})).await;
    create(
        &c,
        LEASES,
        json!({"metadata": {
            "name": "blocker", "finalizers": ["example.com/hold"],
            "ownerReferences": [owner_ref(&owner, true)],
        }}),
    )
    .await;
    create(
        &c,
        SECRETS,
        json!({"metadata": {"name": "free", "ownerReferences": [owner_ref(&owner, false)]}}),
    )
    .await;
    let (code, answer) = delete(
        &c,
        &format!("{SECRETS}/owner"),
        json!({"propagationPolicy": "Foreground"}),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(
        answer["kind"], "Secret",
        "the object, not a Status: {answer}"
    );
    assert_eq!(
        answer["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    eventually(
        5,
        "the dependents deleted, the blocking one held",
        || async {
            let (free, _) = get(&c, &format!("{SECRETS}/free")).await;
            let (_, blocker) = get(&c, &format!("{LEASES}/blocker")).await;
            (free == 404 && blocker["metadata"]["deletionTimestamp"].is_string()).then_some(())
        },
    )
    .await;
    let (code, owner) = get(&c, &format!("{SECRETS}/owner")).await;
    assert_eq!(code, 200, "a blocking dependent holds the owner: {owner}");
    c.raw(
        "PATCH",
        &format!("{LEASES}/blocker"),
        "application/merge-patch+json",
        json!({"metadata": {"finalizers": null}}),
    )
    .await;
    eventually(5, "the owner gone after its blocking dependent", || async {
        (get(&c, &format!("{SECRETS}/owner")).await.0 == 404).then_some(())
    })
    .await;
}

/// What a delete answers (`DeleteResource`, apiserver `endpoints/handlers/delete.go`;
/// `finalizeDelete` and `ReturnDeletedObject`, `registry/generic/registry/store.go`): a
/// `Status` once deleted, except a Namespace (whose registry returns the object), 200 with the
/// object while finalizers hold it, 202 only for `orphanDependents: false`; a dry run that
/// would delete is a `Status` too; conflicting options are 422 (`ValidateDeleteOptions`).
#[tokio::test]
async fn delete_answers_a_status_or_the_object_with_the_real_codes() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let success = |group: &str, kind: &str, name: &str, uid: &Value| {
        let mut details = json!({"name": name, "kind": kind, "uid": uid});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Success", "details": details,
        })
    };

    let plain = create(&c, SECRETS, json!({"metadata": {"name": "plain"}})).await;
    let (code, body) = delete(&c, &format!("{SECRETS}/plain"), json!({"dryRun": ["All"]})).await;
    assert_eq!(
        (code, &body),
        (
            200,
            &success("", "secrets", "plain", &plain["metadata"]["uid"])
        ),
        "a dry run that would delete"
    );
    assert_eq!(get(&c, &format!("{SECRETS}/plain")).await.0, 200);
    let (code, body) = delete(&c, &format!("{SECRETS}/plain"), Value::Null).await;
    assert_eq!(
        (code, &body),
        (
            200,
            &success("", "secrets", "plain", &plain["metadata"]["uid"])
        )
    );

    let lease = create(&c, LEASES, json!({"metadata": {"name": "l"}})).await;
    let (code, body) = delete(&c, &format!("{LEASES}/l"), Value::Null).await;
    assert_eq!(
        (code, &body),
        (
            200,
            &success(
                "coordination.k8s.io",
                "leases",
                "l",
                &lease["metadata"]["uid"]
            )
        )
    );

    let store = c
        .raw(
            "POST",
            "/apis/external-secrets.io/v1/clustersecretstores",
            "application/json",
            json!({"metadata": {"name": "s"}, "spec": {"provider": {"fake": {"data": []}}}}),
        )
        .await
        .1;
    let (code, body) = delete(
        &c,
        "/apis/external-secrets.io/v1/clustersecretstores/s",
        Value::Null,
    )
    .await;
    assert_eq!(
        (code, &body),
        (
            200,
            &success(
                "external-secrets.io",
                "clustersecretstores",
                "s",
                &store["metadata"]["uid"]
            )
        )
    );

    create(
        &c,
        SECRETS,
        json!({"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}),
    )
    .await;
    let (code, body) = delete(&c, &format!("{SECRETS}/held"), Value::Null).await;
    assert_eq!(code, 200, "held by a finalizer: 200, not 202");
    assert_eq!(
        (body["kind"].as_str(), body["metadata"]["name"].as_str()),
        (Some("Secret"), Some("held"))
    );
    assert!(body["metadata"]["deletionTimestamp"].is_string());
    let (code, again) = delete(&c, &format!("{SECRETS}/held"), Value::Null).await;
    assert_eq!(code, 200, "deleting again while held: {again}");
    assert_eq!(
        again["metadata"]["deletionTimestamp"],
        body["metadata"]["deletionTimestamp"]
    );
    let (code, body) = delete(
        &c,
        &format!("{SECRETS}/held"),
        json!({"orphanDependents": false}),
    )
    .await;
    assert_eq!(code, 202, "orphanDependents=false and not deleted: {body}");
    assert_eq!(body["kind"], "Secret");

    let (code, body) = delete(
        &c,
        &format!("{SECRETS}/held"),
        json!({"orphanDependents": true, "propagationPolicy": "Orphan"}),
    )
    .await;
    assert_eq!(
        (code, body),
        (
            422,
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid \
                            value: \"Orphan\": orphanDependents and deletionPropagation cannot \
                            be both set",
                "reason": "Invalid",
                "details": {"group": "meta.k8s.io", "kind": "DeleteOptions", "causes": [{
                    "reason": "FieldValueInvalid",
                    "message": "Invalid value: \"Orphan\": orphanDependents and \
                                deletionPropagation cannot be both set",
                    "field": "propagationPolicy",
                }]},
                "code": 422,
            })
        )
    );

    // A namespace's registry returns the object, marked Terminating, even when it is emptied
    // and removed at once.
    c.namespace("empty").await;
    let (code, body) = delete(&c, "/api/v1/namespaces/empty", Value::Null).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        (
            body["kind"].as_str(),
            body["metadata"]["name"].as_str(),
            body["status"]["phase"].as_str()
        ),
        (Some("Namespace"), Some("empty"), Some("Terminating"))
    );
}

/// `resourceVersionMatch=Exact` reads the list as of that version, as does a paged list with a
/// resourceVersion ("legacy exact match", `ShouldDelegateList`, apiserver
/// `pkg/storage/cacher/delegator/interface.go`), its pages one snapshot; older than the kept
/// history is 410 (`interpretListError`, `pkg/storage/etcd3/errors.go`); `NotOlderThan` reads
/// the current state; an `Exact` "0" is 422 (`ValidateListOptions`).
#[tokio::test]
async fn an_exact_list_at_an_old_version_shows_the_objects_as_they_were() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    for name in ["a", "b", "c"] {
        create(
            &c,
            SECRETS,
            json!({"metadata": {"name": name}, "stringData": {"v": "1"}}),
        )
        .await;
    }
    let (_, before) = get(&c, SECRETS).await;
    let rv = before["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    delete(&c, &format!("{SECRETS}/a"), Value::Null).await;
    create(&c, SECRETS, json!({"metadata": {"name": "d"}})).await;
    c.raw(
        "PATCH",
        &format!("{SECRETS}/b"),
        "application/merge-patch+json",
        json!({"stringData": {"v": "2"}}),
    )
    .await;

    let (code, exact) = get(
        &c,
        &format!("{SECRETS}?resourceVersion={rv}&resourceVersionMatch=Exact"),
    )
    .await;
    assert_eq!(code, 200, "{exact}");
    assert_eq!(names(&exact), ["a", "b", "c"]);
    assert_eq!(exact["items"][1]["data"]["v"], "MQ==", "b as it was");
    assert_eq!(exact["metadata"]["resourceVersion"], rv.as_str());

    let (_, first) = get(&c, &format!("{SECRETS}?resourceVersion={rv}&limit=2")).await;
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(first["metadata"]["resourceVersion"], rv.as_str());
    let token = first["metadata"]["continue"].as_str().unwrap();
    let (_, rest) = get(&c, &format!("{SECRETS}?limit=2&continue={token}")).await;
    assert_eq!(names(&rest), ["c"], "the next page of the same snapshot");

    let (_, newer) = get(
        &c,
        &format!("{SECRETS}?resourceVersion={rv}&resourceVersionMatch=NotOlderThan"),
    )
    .await;
    assert_eq!(names(&newer), ["b", "c", "d"]);

    let (code, body) = get(
        &c,
        &format!("{SECRETS}?resourceVersion=0&resourceVersionMatch=Exact"),
    )
    .await;
    assert_eq!(code, 422, "{body}");
    assert_eq!(
        body["message"],
        "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: \
         resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""
    );

    c.cluster().store.compact();
    let (code, body) = get(
        &c,
        &format!("{SECRETS}?resourceVersion={rv}&resourceVersionMatch=Exact"),
    )
    .await;
    assert_eq!(
        (code, body),
        (
            410,
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "The resourceVersion for the provided list is too old.",
                "reason": "Expired", "code": 410,
            })
        )
    );
}

fn too_large(wanted: u64, current: u64, retry: Option<u64>) -> Value {
    let mut details = json!({"causes": [{
        "reason": "ResourceVersionTooLarge", "message": "Too large resource version",
    }]});
    if let Some(seconds) = retry {
        details["retryAfterSeconds"] = json!(seconds);
    }
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("Timeout: Too large resource version: {wanted}, current: {current}"),
        "reason": "Timeout", "details": details, "code": 504,
    })
}

/// A resourceVersion beyond the current one: a get or list waits up to 3 s for the watch cache
/// to reach it, then answers 504 with the `ResourceVersionTooLarge` cause and
/// `retryAfterSeconds: 1` (`waitUntilFreshAndBlock`, apiserver
/// `pkg/storage/cacher/watch_cache.go`; `NewTooLargeResourceVersionError`,
/// `pkg/storage/errors.go`); a write that reaches it in time answers the read. An `Exact` list
/// in the future is etcd's `ErrFutureRev`: 504 at once, no retry advice (`pkg/storage/etcd3/
/// store.go`, since v1.34).
#[tokio::test]
async fn a_future_resource_version_waits_then_answers_504_too_large() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    create(&c, SECRETS, json!({"metadata": {"name": "s"}})).await;
    let current = c.cluster().store.resource_version();
    let future = current + 100;

    let started = Instant::now();
    let (one, all) = (
        format!("{SECRETS}/s?resourceVersion={future}"),
        format!("{SECRETS}?resourceVersion={future}"),
    );
    let (get_answer, list_answer) = tokio::join!(get(&c, &one), get(&c, &all));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(2900),
        "answered after {waited:?}"
    );
    assert_eq!(get_answer, (504, too_large(future, current, Some(1))));
    assert_eq!(list_answer, (504, too_large(future, current, Some(1))));

    let started = Instant::now();
    let (code, body) = get(
        &c,
        &format!("{SECRETS}?resourceVersion={future}&resourceVersionMatch=Exact"),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "Exact does not wait"
    );
    assert_eq!((code, body), (504, too_large(future, current, None)));

    // Reached within the wait: the read is answered.
    let next = current + 1;
    let path = format!("{SECRETS}?resourceVersion={next}&resourceVersionMatch=NotOlderThan");
    let (read, _) = tokio::join!(get(&c, &path), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        create(&c, SECRETS, json!({"metadata": {"name": "t"}})).await;
    },);
    assert_eq!(read.0, 200, "{}", read.1);
    assert_eq!(names(&read.1), ["s", "t"]);
}

/// `x>3` and `x<3` select labels that are integers above or below (apimachinery
/// `pkg/labels/selector.go`: `GreaterThan`, `LessThan`, the value parsed with
/// `strconv.ParseInt`); a label that is not an integer matches neither, a selector value that
/// is not one is refused.
#[tokio::test]
async fn numeric_label_selectors_select() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    for (name, n) in [
        ("two", Some("2")),
        ("five", Some("5")),
        ("word", Some("x")),
        ("none", None),
    ] {
        let labels = n.map_or(json!({}), |n| json!({"n": n}));
        create(
            &c,
            SECRETS,
            json!({"metadata": {"name": name, "labels": labels}}),
        )
        .await;
    }
    for (selector, expected) in [
        ("n%3E3", vec!["five"]),
        ("n%3C3", vec!["two"]),
        ("n%3E1,n%3C6", vec!["five", "two"]),
        ("n%3E5", vec![]),
    ] {
        let (code, list) = get(&c, &format!("{SECRETS}?labelSelector={selector}")).await;
        assert_eq!(code, 200, "{selector}: {list}");
        assert_eq!(names(&list), expected, "{selector}");
    }
    let (code, body) = get(&c, &format!("{SECRETS}?labelSelector=n%3Ex")).await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(
        body["message"],
        "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' \
         operators, the value must be an integer"
    );
}
