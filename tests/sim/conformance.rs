//! Every verb through `kube::Client`, checked against what a real API server does.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy, WatchEvent,
    WatchParams,
};
use kube::core::Status;
use kube::runtime::watcher;
use serde_json::{Value, json};

use crate::support::{Cluster, dynamic, eventually, external_secret};

fn secret(name: &str, labels: Value, data: Value) -> Secret {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "stringData": data,
    }))
    .unwrap()
}

/// The `Status` a failed call carried.
fn api_error(result: Result<impl std::fmt::Debug, kube::Error>) -> Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn discovery_lists_every_served_kind_with_its_scope() {
    let c = Cluster::start().await;
    let version = c.client.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");
    let discovery = kube::discovery::Discovery::new(c.client.clone())
        .run()
        .await
        .unwrap();
    let mut found = Vec::new();
    for group in discovery.groups() {
        for (resource, caps) in group.recommended_resources() {
            found.push((
                resource.kind.clone(),
                caps.scope == kube::discovery::Scope::Namespaced,
            ));
        }
    }
    for expected in [
        ("Namespace", false),
        ("Secret", true),
        ("Event", true),
        ("Lease", true),
        ("ExternalSecret", true),
        ("ClusterSecretStore", false),
    ] {
        assert!(
            found.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} missing from {found:?}"
        );
    }
}

#[tokio::test]
async fn get_and_list_honour_label_and_field_selectors_and_pages() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    for i in 0..7 {
        let tier = if i % 2 == 0 { "even" } else { "odd" };
        secrets
            .create(
                &PostParams::default(),
                &secret(&format!("s{i}"), json!({"tier": tier}), json!({"k": "v"})),
            )
            .await
            .unwrap();
    }
    let got = secrets.get("s3").await.unwrap();
    assert_eq!(got.metadata.labels.unwrap()["tier"], "odd");
    assert_eq!(got.type_.as_deref(), Some("Opaque"));
    assert_eq!(got.data.unwrap()["k"].0, b"v");

    let even = secrets
        .list(&ListParams::default().labels("tier=even"))
        .await
        .unwrap();
    assert_eq!(even.items.len(), 4);
    let not_in = secrets
        .list(&ListParams::default().labels("tier notin (even)"))
        .await
        .unwrap();
    assert_eq!(not_in.items.len(), 3);
    let by_name = secrets
        .list(&ListParams::default().fields("metadata.name=s5"))
        .await
        .unwrap();
    assert_eq!(by_name.items.len(), 1);

    // Pages of 3: 3 + 3 + 1, with continue tokens, in name order.
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(3);
    loop {
        let page = secrets.list(&params).await.unwrap();
        assert!(page.items.len() <= 3);
        names.extend(page.items.iter().map(|s| s.metadata.name.clone().unwrap()));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    assert_eq!(names, ["s0", "s1", "s2", "s3", "s4", "s5", "s6"]);

    let error = api_error(
        secrets
            .list(&ListParams::default().fields("data.k=v"))
            .await,
    );
    assert_eq!((error.code, error.reason.as_str()), (400, "BadRequest"));
    assert!(
        error.message.contains("field label not supported: data.k"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn errors_are_status_objects_as_a_real_server_sends_them() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let missing = api_error(secrets.get("nope").await);
    assert_eq!(missing.code, 404);
    assert_eq!(missing.reason, "NotFound");
    assert_eq!(missing.message, "secrets \"nope\" not found");

    secrets
        .create(&PostParams::default(), &secret("dup", json!({}), json!({})))
        .await
        .unwrap();
    let dup = api_error(
        secrets
            .create(&PostParams::default(), &secret("dup", json!({}), json!({})))
            .await,
    );
    assert_eq!((dup.code, dup.reason.as_str()), (409, "AlreadyExists"));

    let bad = api_error(
        secrets
            .create(
                &PostParams::default(),
                &secret("Bad_Name", json!({}), json!({})),
            )
            .await,
    );
    assert_eq!((bad.code, bad.reason.as_str()), (422, "Invalid"));
    assert!(
        bad.message
            .starts_with("Secret \"Bad_Name\" is invalid: metadata.name: Invalid value"),
        "{}",
        bad.message
    );

    let elsewhere: Api<Secret> = Api::namespaced(c.client.clone(), "no-such-namespace");
    let no_ns = api_error(
        elsewhere
            .create(&PostParams::default(), &secret("x", json!({}), json!({})))
            .await,
    );
    assert_eq!(no_ns.code, 404);
    assert_eq!(no_ns.message, "namespaces \"no-such-namespace\" not found");

    let es = c.external_secrets("team");
    let mut invalid = external_secret("bad", "store", &[("k", "remote", None)]);
    invalid.data["spec"]["target"]["creationPolicy"] = json!("Sometimes");
    let error = api_error(es.create(&PostParams::default(), &invalid).await);
    assert_eq!((error.code, error.reason.as_str()), (422, "Invalid"));
    assert!(
        error.message.contains("spec.target.creationPolicy"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn generate_name_creates_unique_names() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let template: Secret =
        serde_json::from_value(json!({"metadata": {"generateName": "token-"}})).unwrap();
    let a = secrets
        .create(&PostParams::default(), &template)
        .await
        .unwrap();
    let b = secrets
        .create(&PostParams::default(), &template)
        .await
        .unwrap();
    let (a, b) = (a.metadata.name.unwrap(), b.metadata.name.unwrap());
    assert!(
        a.starts_with("token-") && a.len() == "token-".len() + 5,
        "{a}"
    );
    assert_ne!(a, b);
}

#[tokio::test]
async fn update_with_a_stale_resource_version_conflicts() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let leases: Api<Lease> = Api::namespaced(c.client.clone(), "team");
    let lease: Lease = serde_json::from_value(json!({
        "metadata": {"name": "leader"},
        "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15},
    }))
    .unwrap();
    let created = leases.create(&PostParams::default(), &lease).await.unwrap();
    let mut first = created.clone();
    first.spec.as_mut().unwrap().holder_identity = Some("b".into());
    let updated = leases
        .replace("leader", &PostParams::default(), &first)
        .await
        .unwrap();
    assert_ne!(
        updated.metadata.resource_version,
        created.metadata.resource_version
    );

    let mut stale = created.clone();
    stale.spec.as_mut().unwrap().holder_identity = Some("c".into());
    let conflict = api_error(
        leases
            .replace("leader", &PostParams::default(), &stale)
            .await,
    );
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(
        conflict.message.contains("the object has been modified"),
        "{}",
        conflict.message
    );
    assert_eq!(
        leases
            .get("leader")
            .await
            .unwrap()
            .spec
            .unwrap()
            .holder_identity
            .as_deref(),
        Some("b")
    );

    // Custom resources refuse an update without a resourceVersion.
    let es = c.external_secrets("team");
    let created = es
        .create(
            &PostParams::default(),
            &external_secret("e", "s", &[("k", "r", None)]),
        )
        .await
        .unwrap();
    let mut blind = created.clone();
    blind.metadata.resource_version = None;
    let error = api_error(es.replace("e", &PostParams::default(), &blind).await);
    assert_eq!(error.code, 422);
    assert!(
        error.message.contains("metadata.resourceVersion"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn merge_and_json_patches_apply_and_bump_generation_only_for_spec() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let es = c.external_secrets("team");
    es.create(
        &PostParams::default(),
        &external_secret("e", "s", &[("k", "r", None)]),
    )
    .await
    .unwrap();
    let patched = es
        .patch(
            "e",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"refreshInterval": "5m"}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.data["spec"]["refreshInterval"], "5m");
    assert_eq!(patched.metadata.generation, Some(2));
    let labelled = es
        .patch(
            "e",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .unwrap();
    assert_eq!(
        labelled.metadata.generation,
        Some(2),
        "metadata changes leave generation alone"
    );

    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "replace", "path": "/spec/data/0/secretKey", "value": "renamed"},
        {"op": "add", "path": "/metadata/labels/c", "value": "d"},
    ]))
    .unwrap();
    let patched = es
        .patch("e", &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .unwrap();
    assert_eq!(patched.data["spec"]["data"][0]["secretKey"], "renamed");
    assert_eq!(patched.metadata.labels.unwrap()["c"], "d");

    // The main resource ignores status; the status subresource ignores everything else.
    let ignored = es
        .patch(
            "e",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"refreshTime": "2026-01-01T00:00:00Z"}})),
        )
        .await
        .unwrap();
    assert!(
        ignored
            .data
            .get("status")
            .is_none_or(|s| s.get("refreshTime").is_none())
    );
    let status = es
        .patch_status(
            "e",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"refreshInterval": "9h"}, "status": {"refreshTime": "2026-01-01T00:00:00Z"}})),
        )
        .await
        .unwrap();
    assert_eq!(status.data["status"]["refreshTime"], "2026-01-01T00:00:00Z");
    assert_eq!(status.data["spec"]["refreshInterval"], "5m");
}

#[tokio::test]
async fn server_side_apply_tracks_managers_conflicts_and_force() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let config = |value: &str, extra: bool| {
        use base64::Engine;
        let encode = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
        let mut data = json!({"a": encode(value)});
        if extra {
            data["b"] = json!(encode("b"));
        }
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ssa"}, "data": data})
    };
    let applied = secrets
        .patch(
            "ssa",
            &PatchParams::apply("console"),
            &Patch::Apply(config("1", true)),
        )
        .await
        .unwrap();
    let managers = applied.metadata.managed_fields.clone().unwrap();
    assert_eq!(managers.len(), 1);
    assert_eq!(managers[0].manager.as_deref(), Some("console"));
    assert_eq!(managers[0].operation.as_deref(), Some("Apply"));
    let fields = serde_json::to_value(&managers[0].fields_v1).unwrap();
    assert!(fields["f:data"]["f:a"].is_object(), "{fields}");

    // Applying again with the same values changes nothing, not even the resourceVersion.
    let again = secrets
        .patch(
            "ssa",
            &PatchParams::apply("console"),
            &Patch::Apply(config("1", true)),
        )
        .await
        .unwrap();
    assert_eq!(
        again.metadata.resource_version,
        applied.metadata.resource_version
    );

    // Another manager setting a different value conflicts, naming the owner and the field.
    let conflict = api_error(
        secrets
            .patch(
                "ssa",
                &PatchParams::apply("intruder"),
                &Patch::Apply(config("2", false)),
            )
            .await,
    );
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert!(
        conflict.message.contains("conflict with \"console\""),
        "{}",
        conflict.message
    );
    assert!(conflict.message.contains(".data.a"), "{}", conflict.message);
    let (code, status) = c
        .raw(
            "PATCH",
            "/api/v1/namespaces/team/secrets/ssa?fieldManager=intruder",
            "application/apply-patch+yaml",
            config("2", false),
        )
        .await;
    assert_eq!(code, 409);
    assert_eq!(
        status["details"]["causes"],
        json!([{"reason": "FieldManagerConflict", "message": "conflict with \"console\"", "field": ".data.a"}])
    );

    // Force takes the field over.
    let forced = secrets
        .patch(
            "ssa",
            &PatchParams::apply("intruder").force(),
            &Patch::Apply(config("2", false)),
        )
        .await
        .unwrap();
    assert_eq!(forced.data.as_ref().unwrap()["a"].0, b"2");
    let owners: Vec<String> = forced
        .metadata
        .managed_fields
        .unwrap()
        .iter()
        .filter(|m| {
            serde_json::to_value(&m.fields_v1).unwrap()["f:data"]
                .get("f:a")
                .is_some()
        })
        .map(|m| m.manager.clone().unwrap())
        .collect();
    assert_eq!(owners, ["intruder"]);

    // A field the first manager stops applying, and nobody else owns, is removed.
    let shrunk = secrets
        .patch(
            "ssa",
            &PatchParams::apply("console"),
            &Patch::Apply(
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "ssa"}}),
            ),
        )
        .await
        .unwrap();
    let data = shrunk.data.unwrap();
    assert!(!data.contains_key("b"), "b was only the console's");
    assert_eq!(data["a"].0, b"2", "a is the intruder's now");
}

#[tokio::test]
async fn delete_waits_for_finalizers_and_collects_dependents() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let mut held = secret("held", json!({}), json!({"k": "v"}));
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    let owner = secrets.create(&PostParams::default(), &held).await.unwrap();
    let mut dependent = secret("dependent", json!({}), json!({}));
    dependent.metadata.owner_references = Some(vec![
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret", "name": "held",
            "uid": owner.metadata.uid.clone().unwrap(), "controller": true,
        }))
        .unwrap(),
    ]);
    secrets
        .create(&PostParams::default(), &dependent)
        .await
        .unwrap();

    let pending = secrets
        .delete("held", &DeleteParams::default())
        .await
        .unwrap();
    let still_there = pending.left().expect("a finalizer keeps the object");
    assert!(still_there.metadata.deletion_timestamp.is_some());
    assert!(
        secrets
            .get("held")
            .await
            .unwrap()
            .metadata
            .deletion_timestamp
            .is_some()
    );
    assert!(
        secrets.get("dependent").await.is_ok(),
        "dependents live while the owner does"
    );

    // Adding a finalizer while deleting is refused; removing the last one finishes the delete.
    let refused = api_error(
        secrets
            .patch(
                "held",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": ["example.com/hold", "x/y"]}})),
            )
            .await,
    );
    assert_eq!(refused.code, 403);
    secrets
        .patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
    assert_eq!(api_error(secrets.get("held").await).code, 404);
    // The garbage collector is not part of the delete: the dependent outlives its owner for a
    // while (kube-controller-manager learns of the removal from its informers and deletes
    // dependents through its own queue), then goes.
    assert!(
        secrets.get("dependent").await.is_ok(),
        "dependents are collected later, not inside the owner's delete"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while secrets.get("dependent").await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dependent was never garbage-collected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        api_error(secrets.get("dependent").await).code,
        404,
        "garbage-collected"
    );

    // Orphan propagation keeps dependents and strips their owner reference.
    let owner = secrets
        .create(
            &PostParams::default(),
            &secret("owner2", json!({}), json!({})),
        )
        .await
        .unwrap();
    let mut child = secret("child2", json!({}), json!({}));
    child.metadata.owner_references = Some(vec![serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "name": "owner2", "uid": owner.metadata.uid.unwrap(),
    }))
    .unwrap()]);
    secrets
        .create(&PostParams::default(), &child)
        .await
        .unwrap();
    let orphan = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Orphan),
        ..DeleteParams::default()
    };
    let gone = secrets.delete("owner2", &orphan).await.unwrap();
    assert!(gone.is_left());
    // The garbage collector strips the reference, then the `orphan` finalizer, a moment later
    // (`tests/sim/semantics.rs` has the details).
    eventually(10, "the child orphaned and the owner gone", || async {
        let child = secrets.get("child2").await.ok()?;
        let owner_gone = secrets.get("owner2").await.is_err();
        (owner_gone && child.metadata.owner_references.is_none_or(|r| r.is_empty())).then_some(())
    })
    .await;
}

/// A delete that completes answers a `Status` naming what went (kind as the resource, uid),
/// not the object: kube-apiserver's `finalizeDelete`. Clients tell a finished delete from one
/// waiting on finalizers by it (kube-rs: `Either::Right`).
#[tokio::test]
async fn a_delete_that_completes_answers_a_status_naming_what_went() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let created = secrets
        .create(
            &PostParams::default(),
            &secret("plain", json!({}), json!({})),
        )
        .await
        .unwrap();
    let answer = secrets
        .delete("plain", &DeleteParams::default())
        .await
        .unwrap();
    let status = answer.right().expect("deleted at once: a Status");
    assert_eq!(
        status.status,
        Some(kube::core::response::StatusSummary::Success)
    );
    let details = status.details.unwrap();
    assert_eq!(
        (
            details.name.as_str(),
            details.kind.as_str(),
            details.group.as_str()
        ),
        ("plain", "secrets", "")
    );
    assert_eq!(Some(details.uid), created.metadata.uid);
}

/// The pages of one list are one snapshot, as etcd serves kube-apiserver: after the first
/// page, objects created, changed or deleted since are shown as they were, and every page
/// carries the first page's resourceVersion.
#[tokio::test]
async fn the_pages_of_a_list_are_one_snapshot() {
    let c = Cluster::start().await;
    c.namespace("paged").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "paged");
    for name in ["a", "b", "c", "d"] {
        secrets
            .create(
                &PostParams::default(),
                &secret(name, json!({}), json!({"v": "1"})),
            )
            .await
            .unwrap();
    }
    let first = secrets.list(&ListParams::default().limit(2)).await.unwrap();
    let names = |list: &kube::api::ObjectList<Secret>| -> Vec<String> {
        list.items
            .iter()
            .map(|s| s.metadata.name.clone().unwrap())
            .collect()
    };
    assert_eq!(names(&first), ["a", "b"]);
    secrets.delete("c", &DeleteParams::default()).await.unwrap();
    secrets
        .create(
            &PostParams::default(),
            &secret("bb", json!({}), json!({"v": "1"})),
        )
        .await
        .unwrap();
    secrets
        .patch(
            "d",
            &PatchParams::default(),
            &Patch::Merge(json!({"stringData": {"v": "2"}})),
        )
        .await
        .unwrap();
    let token = first.metadata.continue_.clone().unwrap();
    let rest = secrets
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(&rest), ["c", "d"], "as they were when the list began");
    assert_eq!(rest.items[1].data.as_ref().unwrap()["v"].0, b"1");
    assert_eq!(
        rest.metadata.resource_version,
        first.metadata.resource_version
    );
    assert!(rest.metadata.continue_.is_none_or(|t| t.is_empty()));
    // A new list sees the changes.
    let now = secrets.list(&ListParams::default()).await.unwrap();
    assert_eq!(names(&now), ["a", "b", "bb", "d"]);
}

#[tokio::test]
async fn delete_collection_removes_only_what_the_selector_matches() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    for (name, owner) in [("a", "console"), ("b", "console"), ("c", "someone-else")] {
        secrets
            .create(
                &PostParams::default(),
                &secret(
                    name,
                    json!({"app.kubernetes.io/managed-by": owner}),
                    json!({}),
                ),
            )
            .await
            .unwrap();
    }
    let deleted = secrets
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("app.kubernetes.io/managed-by=console"),
        )
        .await
        .unwrap();
    let names: Vec<String> = deleted
        .left()
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.metadata.name.unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let left: Vec<String> = secrets
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.metadata.name.unwrap())
        .collect();
    assert_eq!(left, ["c"]);
}

#[tokio::test]
async fn watch_resumes_from_a_resource_version_with_bookmarks_and_expires_with_410() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    let first = secrets
        .create(&PostParams::default(), &secret("one", json!({}), json!({})))
        .await
        .unwrap();
    let from = first.metadata.resource_version.clone().unwrap();
    secrets
        .create(&PostParams::default(), &secret("two", json!({}), json!({})))
        .await
        .unwrap();
    secrets
        .patch(
            "one",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .unwrap();
    secrets
        .delete("two", &DeleteParams::default())
        .await
        .unwrap();

    // Resuming after `one` was created replays exactly what happened since, then bookmarks.
    let stream = secrets
        .watch(&WatchParams::default().timeout(10), &from)
        .await
        .unwrap();
    let mut stream = stream.boxed();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match stream.try_next().await.unwrap().unwrap() {
            WatchEvent::Added(s) => seen.push(format!("ADDED {}", s.metadata.name.unwrap())),
            WatchEvent::Modified(s) => seen.push(format!("MODIFIED {}", s.metadata.name.unwrap())),
            WatchEvent::Deleted(s) => seen.push(format!("DELETED {}", s.metadata.name.unwrap())),
            WatchEvent::Bookmark(_) => {}
            WatchEvent::Error(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(seen, ["ADDED two", "MODIFIED one", "DELETED two"]);
    let bookmarks = secrets
        .watch(&WatchParams::default().timeout(10), &from)
        .await
        .unwrap()
        .boxed()
        .try_filter_map(|e| async move { Ok(matches!(e, WatchEvent::Bookmark(_)).then_some(())) })
        .take(1)
        .try_collect::<Vec<_>>();
    let got = tokio::time::timeout(Duration::from_secs(5), bookmarks)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 1);

    // A label-selected watch sees an object leave its selection as DELETED.
    let labelled = secrets
        .watch(
            &WatchParams::default().labels("x=y").timeout(10),
            &secrets
                .get("one")
                .await
                .unwrap()
                .metadata
                .resource_version
                .unwrap(),
        )
        .await
        .unwrap();
    secrets
        .patch(
            "one",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": null}}})),
        )
        .await
        .unwrap();
    let event = labelled.boxed().try_next().await.unwrap().unwrap();
    // With its previous state (the one that matched) at the change's version.
    let WatchEvent::Deleted(gone) = event else {
        panic!("not DELETED: {event:?}");
    };
    let now = secrets.get("one").await.unwrap();
    assert_eq!(
        gone.metadata
            .labels
            .unwrap_or_default()
            .get("x")
            .map(String::as_str),
        Some("y"),
        "the previous object, as the watch last matched it"
    );
    assert_eq!(
        gone.metadata.resource_version,
        now.metadata.resource_version
    );

    // After compaction, resuming from an old version is 410 Gone.
    c.cluster().store.compact();
    let mut expired = secrets
        .watch(&WatchParams::default().timeout(5), &from)
        .await
        .unwrap()
        .boxed();
    match expired.try_next().await.unwrap().unwrap() {
        WatchEvent::Error(e) => {
            assert_eq!(e.code, 410);
            assert_eq!(e.reason, "Expired");
        }
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test]
async fn kube_runtime_watcher_lists_then_follows_changes() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let namespaces: Api<Namespace> = Api::all(c.client.clone());
    let stream = watcher(
        namespaces.clone(),
        watcher::Config::default().any_semantic(),
    );
    let mut stream = stream.boxed();
    let mut initial = Vec::new();
    loop {
        match stream.try_next().await.unwrap().unwrap() {
            watcher::Event::Init => {}
            watcher::Event::InitApply(ns) => initial.push(ns.metadata.name.unwrap()),
            watcher::Event::InitDone => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(initial.contains(&"team".to_owned()) && initial.contains(&"default".to_owned()));
    c.namespace("later").await;
    let next = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match next {
        watcher::Event::Apply(ns) => assert_eq!(ns.metadata.name.as_deref(), Some("later")),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn namespace_deletion_terminates_then_removes_its_contents() {
    let c = Cluster::start().await;
    c.namespace("doomed").await;
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "doomed");
    let mut held = secret("held", json!({}), json!({}));
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    secrets.create(&PostParams::default(), &held).await.unwrap();
    let namespaces: Api<Namespace> = Api::all(c.client.clone());
    namespaces
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    let ns = namespaces.get("doomed").await.unwrap();
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Terminating"));
    let refused = api_error(
        secrets
            .create(&PostParams::default(), &secret("new", json!({}), json!({})))
            .await,
    );
    assert_eq!(refused.code, 403);
    assert!(
        refused.message.contains("being terminated"),
        "{}",
        refused.message
    );
    secrets
        .patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": []}})),
        )
        .await
        .unwrap();
    assert_eq!(api_error(namespaces.get("doomed").await).code, 404);
}

#[tokio::test]
async fn fault_switches_inject_latency_errors_and_outages() {
    let c = Cluster::start().await;
    let faults = &c.cluster().faults;
    let namespaces: Api<Namespace> = Api::all(c.client.clone());

    faults.set_error_rate("get", 503, 1.0);
    let error = api_error(namespaces.get("default").await);
    assert_eq!(
        (error.code, error.reason.as_str()),
        (503, "ServiceUnavailable")
    );
    assert!(
        namespaces.list(&ListParams::default()).await.is_ok(),
        "other verbs unaffected"
    );
    faults.set_error_rate("get", 429, 1.0);
    assert_eq!(api_error(namespaces.get("default").await).code, 429);

    // A client with kube's default retry policy rides over a burst of 503s.
    faults.set_error_rate("get", 503, 0.5);
    let retrying = kube::Client::try_from(c.sim.admin_config("test").await.unwrap()).unwrap();
    let namespaces_retrying: Api<Namespace> = Api::all(retrying);
    for _ in 0..4 {
        namespaces_retrying
            .get("default")
            .await
            .expect("retried past the 503");
    }
    faults.clear();

    faults.set_latency(Duration::from_millis(300));
    let started = std::time::Instant::now();
    namespaces.get("default").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    faults.clear();

    faults.set_outage(true);
    match namespaces.get("default").await {
        Err(kube::Error::Api(status)) => panic!("an outage gives no answer, got {status:?}"),
        Err(_) => {}
        Ok(_) => panic!("the API answered during an outage"),
    }
    // The control endpoint still answers, and turns the API back on.
    let (code, settings) = c
        .raw(
            "PUT",
            "/sim/faults",
            "application/json",
            json!({"outage": false}),
        )
        .await;
    assert_eq!((code, settings["outage"].clone()), (200, json!(false)));
    eventually(5, "the API to answer again", || async {
        namespaces.get("default").await.ok()
    })
    .await;
}

#[tokio::test]
async fn dry_run_validates_without_storing() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let es = c.external_secrets("team");
    let dry = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let returned = es
        .create(&dry, &external_secret("dry", "s", &[("k", "r", None)]))
        .await
        .unwrap();
    assert_eq!(returned.metadata.name.as_deref(), Some("dry"));
    assert_eq!(api_error(es.get("dry").await).code, 404);
    let _ = dynamic;
}

#[tokio::test]
async fn stored_external_secrets_agree_with_the_real_crd_schema() {
    use secrets_console::sim::schema::Schema;
    let Some(real) = crate::support::real_crd_schema("external-secrets.io_externalsecrets.yaml")
    else {
        return;
    };
    let real = Schema::new(real);
    let c = Cluster::start().await;
    c.namespace("team").await;
    let es = c.external_secrets("team");
    let sent = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "full", "namespace": "team"},
        "spec": {
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "target": {"template": {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": "{{ .x }}"}}},
            "data": [
                {"secretKey": "a", "remoteRef": {"key": "k", "property": "p", "version": "v2", "unknownInRef": 1}},
            ],
            "dataFrom": [{"extract": {"key": "bulk"}}],
            "notInTheSchema": {"x": 1},
        },
    });
    let created = es
        .create(&PostParams::default(), &dynamic(sent.clone()))
        .await
        .unwrap();
    let stored = serde_json::to_value(&created).unwrap();

    // What a real API server would have stored: pruned and defaulted by the real schema.
    let mut expected = sent;
    real.prune(&mut expected);
    real.apply_defaults(&mut expected);
    assert!(real.validate(&expected).is_empty());
    assert_eq!(stored["spec"], expected["spec"]);
    assert_eq!(stored["spec"]["refreshInterval"], "1h0m0s");
    assert_eq!(stored["spec"]["target"]["creationPolicy"], "Owner");
    assert!(stored["spec"].get("notInTheSchema").is_none());

    // And what it refuses, it refuses for the same field.
    let mut bad = external_secret("bad", "vault", &[("not a key!", "k", None)]);
    bad.data["spec"]["target"]["deletionPolicy"] = json!("Sometimes");
    let sim_error = api_error(es.create(&PostParams::default(), &bad).await);
    let mut bad_json = serde_json::to_value(&bad).unwrap();
    real.prune(&mut bad_json);
    real.apply_defaults(&mut bad_json);
    let mut real_fields: Vec<String> = real
        .validate(&bad_json)
        .into_iter()
        .map(|e| e.field)
        .collect();
    real_fields.dedup();
    let causes = sim_error.details.expect("causes").causes;
    let mut sim_fields: Vec<String> = causes.into_iter().map(|c| c.field).collect();
    sim_fields.dedup();
    assert_eq!(sim_fields, real_fields);
    assert!(
        sim_fields.contains(&"spec.target.deletionPolicy".to_owned()),
        "{sim_fields:?}"
    );
}
