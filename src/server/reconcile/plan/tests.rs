use serde_json::{Value, json};

use super::*;
use crate::server::reconcile::error::tests::{
    api_error, forbidden_error, missing_namespace_error, terminating_error,
};

const ASSIGNMENT: i64 = 7;
const SECRET: i64 = 3;

fn external_secret(assignment: i64) -> Value {
    json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {
            "name": "db", "namespace": "payments",
            "labels": {
                "app.kubernetes.io/managed-by": "secrets-console",
                "secrets-console.io/secret-id": SECRET.to_string(),
                "secrets-console.io/assignment-id": assignment.to_string(),
            },
        },
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": "vault"},
            "data": [{"secretKey": "password", "remoteRef": {"key": "db/password"}}],
        },
    })
}

fn kubernetes_secret(assignment: i64, data: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db", "namespace": "payments",
            "labels": {
                "app.kubernetes.io/managed-by": "secrets-console",
                "secrets-console.io/secret-id": SECRET.to_string(),
                "secrets-console.io/assignment-id": assignment.to_string(),
            },
            "annotations": {"secrets-console.io/fingerprint": "f1"},
        },
        "type": "Opaque",
        "data": data,
    })
}

/// The object as the API server would return it: what was applied plus server fields.
fn live(body: &Value) -> DynamicObject {
    let mut live = body.clone();
    live["metadata"]["generation"] = json!(3);
    live["metadata"]["resourceVersion"] = json!("42");
    live["metadata"]["uid"] = json!("0b5f6c1e");
    live["metadata"]["labels"]["team"] = json!("payments");
    serde_json::from_value(live).unwrap()
}

fn desired(op: Op, kind: Kind, body: Option<&Value>) -> Desired<'_> {
    Desired {
        op,
        kind,
        secret_id: SECRET,
        assignment_id: ASSIGNMENT,
        body,
        adopt: false,
        take_over: false,
        creates_namespaces: false,
        target_type: None,
    }
}

fn read(object: Option<DynamicObject>) -> Option<Result<Option<DynamicObject>, Error>> {
    Some(Ok(object))
}

#[test]
fn an_absent_object_is_created() {
    let body = external_secret(ASSIGNMENT);
    let observed = Observed {
        object: read(None),
        target: read(None),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
}

#[test]
fn an_object_already_as_wanted_is_left_unwritten() {
    let body = external_secret(ASSIGNMENT);
    let observed = Observed {
        object: read(Some(live(&body))),
        target: read(None),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Unchanged { generation: 3 }
    ));
    let body = kubernetes_secret(ASSIGNMENT, json!({"password": "czNjcjN0"}));
    let observed = Observed {
        object: read(Some(live(&body))),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::Secret, Some(&body));
    assert!(matches!(plan(&wanted, &observed), Action::Unchanged { .. }));
}

#[test]
fn sync_now_of_a_kubernetes_secret_applies_it_again_even_as_wanted() {
    let body = kubernetes_secret(ASSIGNMENT, json!({"password": "czNjcjN0"}));
    let observed = Observed {
        object: read(Some(live(&body))),
        ..Observed::default()
    };
    let wanted = desired(Op::Sync, Kind::Secret, Some(&body));
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
    // Fields another manager took are taken back, as an apply's would be.
    let refused = Observed {
        refused: Some(Error::from(api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 409,
            "reason": "Conflict", "message": "Apply failed with 1 conflict",
        })))),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &refused), Action::TakeBack(_)));
}

#[test]
fn drift_and_changes_of_ours_are_applied() {
    // Someone edited the spec out of band.
    let body = external_secret(ASSIGNMENT);
    let mut edited = body.clone();
    edited["spec"]["refreshInterval"] = json!("5m");
    let observed = Observed {
        object: read(Some(live(&edited))),
        target: read(None),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
    // A key we removed is still on the Secret; a label of ours was taken off.
    let now = kubernetes_secret(ASSIGNMENT, json!({"password": "czNjcjN0"}));
    let before = kubernetes_secret(ASSIGNMENT, json!({"password": "czNjcjN0", "user": "YQ=="}));
    let wanted = desired(Op::Apply, Kind::Secret, Some(&now));
    let observed = Observed {
        object: read(Some(live(&before))),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
    let mut unlabelled = live(&now);
    unlabelled
        .metadata
        .annotations
        .as_mut()
        .unwrap()
        .insert("secrets-console.io/fingerprint".into(), "old".into());
    let observed = Observed {
        object: read(Some(unlabelled)),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
}

#[test]
fn a_foreign_object_is_named_and_never_touched() {
    let body = external_secret(ASSIGNMENT);
    // Another secret's object of the same name, or nobody's. (An earlier assignment's of
    // this same secret is not foreign: see the garbage-collector case below.)
    let mut another_secret = external_secret(ASSIGNMENT + 1);
    another_secret["metadata"]["labels"]["secrets-console.io/secret-id"] = json!("99");
    for other in [live(&another_secret), {
        let mut bare = live(&body);
        bare.metadata.labels = None;
        bare
    }] {
        let observed = Observed {
            object: read(Some(other)),
            target: read(None),
            ..Observed::default()
        };
        for op in [Op::Apply, Op::Sync] {
            let wanted = desired(op, Kind::ExternalSecret, Some(&body));
            assert!(matches!(
                plan(&wanted, &observed),
                Action::Foreign {
                    kind: Kind::ExternalSecret
                }
            ));
        }
    }
    // The Secret ESO would write into belongs to someone else.
    let mut theirs = live(&kubernetes_secret(ASSIGNMENT, json!({})));
    theirs.metadata.labels = None;
    let observed = Observed {
        object: read(None),
        target: read(Some(theirs)),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Foreign { kind: Kind::Secret }
    ));
    // Unless an admin adopts it.
    let adopting = Desired {
        adopt: true,
        ..desired(Op::Apply, Kind::ExternalSecret, Some(&body))
    };
    assert!(matches!(
        plan(&adopting, &observed),
        Action::Apply { force: true }
    ));
}

#[test]
fn a_missing_namespace_is_created_once_where_the_console_may_else_refused_until_it_exists() {
    let body = external_secret(ASSIGNMENT);
    let observed = Observed {
        object: read(None),
        target: read(None),
        refused: Some(Error::from(missing_namespace_error())),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Refuse {
            error: Error::MissingNamespace(_),
            heals: true
        }
    ));
    let creating = Desired {
        creates_namespaces: true,
        ..desired(Op::Apply, Kind::ExternalSecret, Some(&body))
    };
    assert!(matches!(
        plan(&creating, &observed),
        Action::CreateNamespace
    ));
    // Created, and still missing: no second try within this change.
    let again = Observed {
        namespace_created: true,
        ..observed
    };
    assert!(matches!(
        plan(&creating, &again),
        Action::Refuse { heals: true, .. }
    ));
}

#[test]
fn forbidden_is_refused_and_tried_again_once_a_role_is_bound() {
    let body = external_secret(ASSIGNMENT);
    let mut observed = Observed {
        object: read(None),
        target: read(None),
        refused: Some(Error::from(forbidden_error())),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    // Under the shipped roles a namespace that does not exist is a 403 too: ask first.
    assert!(matches!(plan(&wanted, &observed), Action::CheckNamespace));
    observed.namespace_exists = Some(true);
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Refuse {
            error: Error::Forbidden(_),
            heals: true
        }
    ));
    // It does not exist: that is what the user is told (and where the console may, created).
    observed.namespace_exists = Some(false);
    assert!(observed.namespace_missing());
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Refuse { heals: true, .. }
    ));
    let creating = Desired {
        creates_namespaces: true,
        ..desired(Op::Apply, Kind::ExternalSecret, Some(&body))
    };
    assert!(matches!(
        plan(&creating, &observed),
        Action::CreateNamespace
    ));
    let deleting = desired(Op::Delete, Kind::ExternalSecret, None);
    assert!(matches!(plan(&deleting, &observed), Action::Gone));
    // A role that may not even read: the apply is tried, and its answer decides.
    let observed = Observed {
        object: Some(Err(Error::from(forbidden_error()))),
        target: read(None),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
}

#[test]
fn a_namespace_being_deleted_is_refused_and_tried_again() {
    let body = external_secret(ASSIGNMENT);
    let observed = Observed {
        object: read(None),
        target: read(None),
        refused: Some(Error::from(terminating_error())),
        ..Observed::default()
    };
    let creating = Desired {
        creates_namespaces: true,
        ..desired(Op::Apply, Kind::ExternalSecret, Some(&body))
    };
    assert!(matches!(
        plan(&creating, &observed),
        Action::Refuse {
            error: Error::NamespaceTerminating(_),
            heals: true
        }
    ));
}

#[test]
fn deletion_removes_ours_and_never_anothers() {
    let body = external_secret(ASSIGNMENT);
    let wanted = desired(Op::Delete, Kind::ExternalSecret, None);
    let ours = Observed {
        object: read(Some(live(&body))),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &ours), Action::Delete));
    let absent = Observed {
        object: read(None),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &absent), Action::Gone));
    let theirs = Observed {
        object: read(Some(live(&external_secret(ASSIGNMENT + 1)))),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &theirs), Action::Gone));
    // Already gone when the delete arrived.
    let not_found = Observed {
        object: read(Some(live(&body))),
        refused: Some(Error::from(api_error(json!({
            "kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404,
            "details": {"name": "db", "group": "external-secrets.io", "kind": "externalsecrets"}
        })))),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &not_found), Action::Gone));
}

#[test]
fn an_unreachable_cluster_is_retried_with_nothing_recorded() {
    let body = external_secret(ASSIGNMENT);
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    let down = || {
        Error::from(api_error(json!({
            "kind": "Status", "status": "Failure", "reason": "ServiceUnavailable", "code": 503
        })))
    };
    let observed = Observed {
        object: Some(Err(down())),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &observed), Action::Retry(_)));
    let observed = Observed {
        object: read(None),
        target: read(None),
        refused: Some(down()),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &observed), Action::Retry(_)));
}

#[test]
fn sync_annotates_ours_and_creates_what_is_missing() {
    let body = external_secret(ASSIGNMENT);
    let wanted = desired(Op::Sync, Kind::ExternalSecret, Some(&body));
    let ours = Observed {
        object: read(Some(live(&body))),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &ours), Action::ForceSync));
    let absent = Observed {
        object: read(None),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&wanted, &absent),
        Action::Apply { force: false }
    ));
}

#[test]
fn a_target_of_the_wrong_type_is_replaced_once() {
    let body = external_secret(ASSIGNMENT);
    let wanted = Desired {
        target_type: Some("kubernetes.io/dockerconfigjson"),
        ..desired(Op::Apply, Kind::ExternalSecret, Some(&body))
    };
    // Written as Opaque before the console asked for a type: ours, but its type is immutable.
    let opaque = live(&kubernetes_secret(
        ASSIGNMENT,
        json!({".dockerconfigjson": "e30="}),
    ));
    let mut observed = Observed {
        object: read(Some(live(&body))),
        target: read(Some(opaque)),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &observed), Action::ReplaceTarget));
    observed.target = read(None);
    observed.target_replaced = true;
    assert!(matches!(plan(&wanted, &observed), Action::Unchanged { .. }));
    // Already of that type: left alone.
    let mut typed = kubernetes_secret(ASSIGNMENT, json!({".dockerconfigjson": "e30="}));
    typed["type"] = json!("kubernetes.io/dockerconfigjson");
    let observed = Observed {
        object: read(Some(live(&body))),
        target: read(Some(live(&typed))),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &observed), Action::Unchanged { .. }));
}

#[test]
fn an_earlier_assignments_object_of_the_same_secret_is_waited_for_or_taken_over() {
    let body = external_secret(ASSIGNMENT);
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    // Unassigned a moment ago: its ExternalSecret still waits on ESO's finalizer.
    let mut leaving = live(&external_secret(ASSIGNMENT - 1));
    leaving.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            "2026-12-06T23:59:00Z".parse().unwrap(),
        ));
    let observed = Observed {
        object: read(Some(leaving)),
        target: read(None),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &observed), Action::Wait(_)));
    // Left behind (a delete that never finished): taken over by the apply.
    let observed = Observed {
        object: read(Some(live(&external_secret(ASSIGNMENT - 1)))),
        target: read(None),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
    // Its target Secret, not yet garbage-collected: ESO writes over it, nothing is foreign.
    let earlier_target = live(&kubernetes_secret(
        ASSIGNMENT - 1,
        json!({"password": "eA=="}),
    ));
    let observed = Observed {
        object: read(None),
        target: read(Some(earlier_target)),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
    // Another secret's object of that name stays foreign.
    let mut other = external_secret(ASSIGNMENT - 1);
    other["metadata"]["labels"]["secrets-console.io/secret-id"] = json!("99");
    let observed = Observed {
        object: read(Some(live(&other))),
        target: read(None),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Foreign {
            kind: Kind::ExternalSecret
        }
    ));
}

#[test]
fn fields_another_tool_changed_are_taken_back_once_by_a_forced_apply() {
    let body = external_secret(ASSIGNMENT);
    let mut edited = body.clone();
    edited["spec"]["refreshInterval"] = json!("5m");
    let mut observed = Observed {
        object: read(Some(live(&edited))),
        refused: Some(Error::from(api_error(json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 409,
            "reason": "Conflict",
            "message": "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using external-secrets.io/v1: .spec.refreshInterval",
            "details": {"name": "db", "group": "external-secrets.io", "kind": "externalsecrets",
                "causes": [{"reason": "FieldManagerConflict",
                    "message": "conflict with \"kubectl-edit\" using external-secrets.io/v1",
                    "field": ".spec.refreshInterval"}]},
        })))),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    let Action::TakeBack(error) = plan(&wanted, &observed) else {
        panic!("a conflict on our own object is taken back");
    };
    assert_eq!(
        crate::server::reconcile::error::taken_fields(error),
        vec![(
            "kubectl-edit".to_owned(),
            ".spec.refreshInterval".to_owned()
        )]
    );
    // Then the apply is forced; a conflict after that is refused, not taken back again.
    let refused = observed.refused.take();
    observed.taking_back = true;
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: true }
    ));
    observed.refused = refused;
    assert!(matches!(plan(&wanted, &observed), Action::Refuse { .. }));
}

#[test]
fn an_object_of_ours_with_its_labels_taken_off_gets_them_back() {
    let body = external_secret(ASSIGNMENT);
    let mut stripped = body.clone();
    stripped["metadata"]["labels"] = json!({});
    stripped["metadata"]["managedFields"] = json!([{
        "manager": "secrets-console", "operation": "Apply",
        "apiVersion": "external-secrets.io/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}},
    }]);
    let observed = Observed {
        object: read(Some(live(&stripped))),
        target: read(None),
        ..Observed::default()
    };
    let wanted = desired(Op::Apply, Kind::ExternalSecret, Some(&body));
    assert!(matches!(
        plan(&wanted, &observed),
        Action::Apply { force: false }
    ));
    // The same object never applied by us is someone else's.
    let observed = Observed {
        object: read(Some(live(&json!({
            "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": "db", "namespace": "payments"}, "spec": body["spec"],
        })))),
        target: read(None),
        ..Observed::default()
    };
    assert!(matches!(plan(&wanted, &observed), Action::Foreign { .. }));
}

#[test]
fn a_secret_brought_under_management_is_taken_only_while_its_data_is_what_was_read() {
    let body = kubernetes_secret(ASSIGNMENT, json!({"password": "czNjcjN0"}));
    // Created with kubectl: no labels of ours, no annotations.
    let mut theirs = live(&body);
    theirs.metadata.labels = None;
    theirs.metadata.annotations = None;
    let taking = Desired {
        take_over: true,
        ..desired(Op::Apply, Kind::Secret, Some(&body))
    };
    let observed = Observed {
        object: read(Some(theirs.clone())),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&taking, &observed),
        Action::TakeOver {
            resource_version: Some("42")
        }
    ));
    // Without the flag it is a foreign object, as before.
    let plain = desired(Op::Apply, Kind::Secret, Some(&body));
    assert!(matches!(plan(&plain, &observed), Action::Foreign { .. }));
    // Changed since it was read: left alone, never overwritten.
    theirs.data["data"] = json!({"password": "b3RoZXI="});
    let observed = Observed {
        object: read(Some(theirs)),
        ..Observed::default()
    };
    assert!(matches!(
        plan(&taking, &observed),
        Action::Diverged { kind: Kind::Secret }
    ));
}

#[test]
fn an_external_secret_written_briefly_is_taken_over_as_its_canonical_form() {
    let mut body = external_secret(ASSIGNMENT);
    let brief = body["spec"].clone();
    body["spec"] = crate::server::cluster::unmanaged::canonical_spec("db", &brief).unwrap();
    let mut theirs = live(&external_secret(ASSIGNMENT));
    theirs.metadata.labels = None;
    // ESO's Secret, controlled by that ExternalSecret, is not in the way.
    let mut target = live(&kubernetes_secret(ASSIGNMENT, json!({})));
    target.metadata.labels = None;
    target.metadata.owner_references = Some(vec![
        serde_json::from_value(json!({
        "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "name": "db",
        "uid": "0b5f6c1e", "controller": true}))
        .unwrap(),
    ]);
    let taking = Desired {
        take_over: true,
        ..desired(Op::Apply, Kind::ExternalSecret, Some(&body))
    };
    let observed = Observed {
        object: read(Some(theirs.clone())),
        target: read(Some(target)),
        ..Observed::default()
    };
    assert!(matches!(plan(&taking, &observed), Action::TakeOver { .. }));
    // Another store since: not what was taken.
    theirs.data["spec"]["secretStoreRef"]["name"] = json!("aws");
    let observed = Observed {
        object: read(Some(theirs)),
        ..Observed::default()
    };
    assert!(matches!(plan(&taking, &observed), Action::Diverged { .. }));
}
