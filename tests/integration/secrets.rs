//! The secret services on a real database (both backends): validation, name safety, optimistic
//! concurrency, declarative assignments, deletion, audit, and values that never come back.

use secrets_console::domain::status::{
    AssignmentStatus, ConditionStatus, Observation, ReadyCondition, SecretStatus,
};
use secrets_console::error::AppError;
use secrets_console::model::listing::{SecretQuery, SortKey};
use secrets_console::model::secret::{
    ExternalDataEntry, ExternalSpec, KubernetesSpec, Scope, SecretKind, SecretSpec, SecretValues,
    UseCase,
};
use secrets_console::server::audit::Actor;
use secrets_console::server::config::DatabaseUrl;
use secrets_console::server::crypto::{Keyring, MasterKey};
use secrets_console::server::db::Db;
use secrets_console::server::projects::{Connection, create_project, ensure_cluster};
use secrets_console::server::secrets::{
    self, NewSecret, SecretChanges, ServiceError, Visibility, observe,
};
use sqlx::Row;

use crate::on_both_backends;
use crate::support::{Backend, TestDb};

const CANARY: &str = "canary-7f1e9b2c-do-not-leak";

on_both_backends!(
    invalid_input_names_the_field_and_writes_nothing,
    an_org_external_secret_is_created_without_assignments,
    a_project_secret_gets_its_one_assignment_and_cluster_work,
    a_project_secret_cannot_take_the_name_of_an_org_secret_assigned_there,
    assigning_an_org_secret_where_the_name_is_taken_is_refused_naming_both,
    a_stale_version_gives_conflict_and_changes_nothing,
    assignments_are_set_declaratively,
    deletion_removes_rows_only_when_the_cluster_confirms,
    reassigning_while_deleting_is_refused,
    sync_requests_are_queued_for_live_assignments,
    every_operation_leaves_an_audit_entry_and_the_log_is_append_only,
    values_are_write_only_and_encrypted_at_rest,
    the_list_searches_filters_sorts_and_pages,
    members_see_only_their_projects,
    status_reports_roll_up_to_the_secret,
);

struct Fixture {
    db: Db,
    keys: Keyring,
    admin: Actor,
    payments: i64,
    search: i64,
    analytics: i64,
    test_db: TestDb,
}

impl Fixture {
    async fn new(backend: &Backend) -> Fixture {
        let test_db = backend.fresh_database().await;
        let db = Db::connect(&DatabaseUrl::new(test_db.url.clone()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let aws = ensure_cluster(&db, "aws-dev", Connection::Simulated, None)
            .await
            .unwrap();
        let gcp = ensure_cluster(&db, "gcp-dev", Connection::Simulated, None)
            .await
            .unwrap();
        Fixture {
            payments: create_project(&db, "payments", aws, "payments")
                .await
                .unwrap(),
            search: create_project(&db, "search", gcp, "search").await.unwrap(),
            analytics: create_project(&db, "analytics", gcp, "analytics")
                .await
                .unwrap(),
            keys: Keyring::new(MasterKey::generate()),
            admin: Actor::new("admin@example.com"),
            db,
            test_db,
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    async fn org_external(&self, name: &str) -> i64 {
        secrets::create(
            &self.db,
            &self.keys,
            &self.admin,
            external(name, Scope::Organization, None),
        )
        .await
        .unwrap()
    }

    async fn assignment_status(&self, secret: i64, project: i64) -> Option<AssignmentStatus> {
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM assignments WHERE secret_id = $1 AND project_id = $2",
        )
        .bind(secret)
        .bind(project)
        .fetch_optional(self.db.pool())
        .await
        .unwrap();
        status.and_then(|s| AssignmentStatus::parse(&s))
    }

    async fn secret_status(&self, secret: i64) -> SecretStatus {
        let status: String = sqlx::query_scalar("SELECT status FROM secrets WHERE id = $1")
            .bind(secret)
            .fetch_one(self.db.pool())
            .await
            .unwrap();
        SecretStatus::parse(&status).unwrap()
    }
}

fn external(name: &str, scope: Scope, project_id: Option<i64>) -> NewSecret {
    NewSecret {
        name: name.to_owned(),
        scope,
        project_id,
        use_case: UseCase::Generic,
        description: format!("{name} for tests"),
        spec: SecretSpec::External(ExternalSpec {
            store: "vault".to_owned(),
            refresh_interval: "1h0m0s".to_owned(),
            data: vec![ExternalDataEntry {
                secret_key: "token".to_owned(),
                remote_key: format!("team/{name}"),
                property: None,
                version: None,
                ..Default::default()
            }],
            ..Default::default()
        }),
        values: SecretValues::default(),
        assign_to: Vec::new(),
        selectors: String::new(),
    }
}

fn kubernetes(name: &str, scope: Scope, project_id: Option<i64>, password: &str) -> NewSecret {
    NewSecret {
        name: name.to_owned(),
        scope,
        project_id,
        use_case: UseCase::Database,
        description: "database login".to_owned(),
        spec: SecretSpec::Kubernetes(KubernetesSpec {
            secret_type: "Opaque".to_owned(),
            keys: vec!["username".to_owned(), "password".to_owned()],
        }),
        values: SecretValues::from_pairs([
            ("username".to_owned(), "app".to_owned()),
            ("password".to_owned(), password.to_owned()),
        ]),
        assign_to: Vec::new(),
        selectors: String::new(),
    }
}

fn with_external(change: impl FnOnce(&mut ExternalSpec)) -> NewSecret {
    let mut secret = external("ok-name", Scope::Organization, None);
    if let SecretSpec::External(spec) = &mut secret.spec {
        change(spec);
    }
    secret
}

fn with_kubernetes(change: impl FnOnce(&mut KubernetesSpec)) -> NewSecret {
    let mut secret = kubernetes("ok-name", Scope::Organization, None, "x");
    if let SecretSpec::Kubernetes(spec) = &mut secret.spec {
        change(spec);
    }
    secret
}

fn field_of(error: ServiceError) -> String {
    match AppError::from(error) {
        AppError::Validation { field, message } => {
            assert!(!message.trim().is_empty());
            field
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn conflict_message(error: ServiceError) -> String {
    match AppError::from(error) {
        AppError::Conflict { message } => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn invalid_input_names_the_field_and_writes_nothing(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let cases: Vec<(NewSecret, &str)> = vec![
        (external("Bad_Name", Scope::Organization, None), "name"),
        (
            {
                let mut s = external("ok-name", Scope::Organization, None);
                if let SecretSpec::External(spec) = &mut s.spec {
                    spec.data[0].secret_key = "bad key!".into();
                }
                s
            },
            "data[0].secret_key",
        ),
        (
            {
                let mut s = external("ok-name", Scope::Organization, None);
                if let SecretSpec::External(spec) = &mut s.spec {
                    spec.data[0].remote_key = "  ".into();
                }
                s
            },
            "data[0].remote_key",
        ),
        (
            {
                let mut s = external("ok-name", Scope::Organization, None);
                if let SecretSpec::External(spec) = &mut s.spec {
                    spec.refresh_interval = "every hour".into();
                }
                s
            },
            "refresh_interval",
        ),
        (
            {
                let mut s = kubernetes("ok-name", Scope::Organization, None, "x");
                s.values = SecretValues::from_pairs([("username".to_owned(), "app".to_owned())]);
                s
            },
            "values.password",
        ),
        (
            kubernetes(
                "big",
                Scope::Organization,
                None,
                &"x".repeat(1024 * 1024 + 1),
            ),
            "values",
        ),
        (
            {
                let mut s = kubernetes("s3-creds", Scope::Organization, None, "x");
                s.use_case = UseCase::S3;
                s
            },
            "keys",
        ),
        (with_external(|s| s.store = "Vault!".into()), "store"),
        (with_external(|s| s.data.clear()), "data"),
        (
            with_external(|s| {
                let twin = s.data[0].clone();
                s.data.push(twin);
            }),
            "data[1].secret_key",
        ),
        (
            with_external(|s| s.data[0].property = Some(" ".into())),
            "data[0].property",
        ),
        (
            with_external(|s| s.data[0].version = Some(String::new())),
            "data[0].version",
        ),
        (
            with_kubernetes(|s| s.secret_type = "kubernetes.io/service-account-token".into()),
            "secret_type",
        ),
        (
            with_kubernetes(|s| s.keys[1] = "username".into()),
            "keys[1]",
        ),
        (with_kubernetes(|s| s.keys[0] = "..".into()), "keys[0]"),
        (
            {
                let mut s = external("hf", Scope::Organization, None);
                s.use_case = UseCase::HuggingFace;
                s
            },
            "data",
        ),
        (
            {
                let mut s = kubernetes("pull", Scope::Organization, None, "x");
                s.use_case = UseCase::ImagePullSecret;
                s
            },
            "secret_type",
        ),
        (
            {
                let mut s = external("ok-name", Scope::Organization, None);
                s.description = "d".repeat(1001);
                s
            },
            "description",
        ),
        (
            {
                let mut s = external("ok-name", Scope::Organization, None);
                s.values = SecretValues::from_pairs([("token".to_owned(), "x".to_owned())]);
                s
            },
            "values",
        ),
        (external("proj", Scope::Project, None), "project_id"),
        (
            external("proj", Scope::Organization, Some(f.payments)),
            "project_id",
        ),
        (
            external("proj", Scope::Project, Some(999_999)),
            "project_id",
        ),
    ];
    // The fixture's projects were audited as they were created; a refused secret adds nothing.
    let audited_before = f.count("SELECT COUNT(*) FROM audit_entries").await;
    for (input, field) in cases {
        let name = input.name.clone();
        let error = secrets::create(&f.db, &f.keys, &f.admin, input)
            .await
            .unwrap_err();
        assert_eq!(field_of(error), field, "creating {name}");
    }
    for table in ["secrets", "secret_values", "assignments", "work_items"] {
        assert_eq!(
            f.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table} must stay empty"
        );
    }
    assert_eq!(
        f.count("SELECT COUNT(*) FROM audit_entries").await,
        audited_before,
        "a refused secret must write no audit entry"
    );
}

async fn an_org_external_secret_is_created_without_assignments(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("db-creds").await;
    let detail = secrets::detail(&f.db, id, &Visibility::All).await.unwrap();
    assert_eq!(detail.secret.name, "db-creds");
    assert_eq!(detail.secret.kind, SecretKind::External);
    assert_eq!(detail.secret.scope, Scope::Organization);
    assert_eq!(detail.secret.status, SecretStatus::Unassigned);
    assert_eq!(detail.secret.version, 1);
    assert_eq!(detail.created_by, "admin@example.com");
    assert!(detail.assignments.is_empty());

    // Unique per scope and kind: a second External `db-creds` is refused, a Kubernetes one is not.
    let again = secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        external("db-creds", Scope::Organization, None),
    )
    .await;
    assert_eq!(field_of(again.unwrap_err()), "name");
    secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        kubernetes("db-creds", Scope::Organization, None, "pw"),
    )
    .await
    .unwrap();
}

async fn a_project_secret_gets_its_one_assignment_and_cluster_work(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        kubernetes("db-login", Scope::Project, Some(f.payments), "pw"),
    )
    .await
    .unwrap();
    assert_eq!(
        f.assignment_status(id, f.payments).await,
        Some(AssignmentStatus::Pending)
    );
    assert_eq!(f.secret_status(id).await, SecretStatus::Pending);
    let work = sqlx::query("SELECT op, project_id FROM work_items WHERE secret_id = $1")
        .bind(id)
        .fetch_all(f.db.pool())
        .await
        .unwrap();
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].get::<String, _>("op"), "apply");
    assert_eq!(work[0].get::<i64, _>("project_id"), f.payments);

    // Project secrets are never shared.
    let error = secrets::set_assignments(&f.db, &f.admin, id, &[f.payments, f.search])
        .await
        .unwrap_err();
    assert_eq!(field_of(error), "projects");
}

async fn a_project_secret_cannot_take_the_name_of_an_org_secret_assigned_there(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let org = f.org_external("api-token").await;
    secrets::set_assignments(&f.db, &f.admin, org, &[f.payments])
        .await
        .unwrap();

    let error = secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        external("api-token", Scope::Project, Some(f.payments)),
    )
    .await
    .unwrap_err();
    let AppError::Validation { field, message } = AppError::from(error) else {
        panic!()
    };
    assert_eq!(field, "name");
    assert!(
        message.contains("api-token") && message.contains("payments"),
        "{message}"
    );

    // Same name in a project the org secret is not assigned to: fine.
    secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        external("api-token", Scope::Project, Some(f.search)),
    )
    .await
    .unwrap();
    // Two project secrets with one name in one project, even of different kinds: refused.
    let twin = secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        kubernetes("api-token", Scope::Project, Some(f.search), "pw"),
    )
    .await;
    assert_eq!(field_of(twin.unwrap_err()), "name");
}

async fn assigning_an_org_secret_where_the_name_is_taken_is_refused_naming_both(backend: Backend) {
    let f = Fixture::new(&backend).await;
    secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        kubernetes("registry", Scope::Project, Some(f.search), "pw"),
    )
    .await
    .unwrap();
    let org = f.org_external("registry").await;
    let error = secrets::set_assignments(&f.db, &f.admin, org, &[f.payments, f.search])
        .await
        .unwrap_err();
    let AppError::Validation { field, message } = AppError::from(error) else {
        panic!()
    };
    assert_eq!(field, "projects");
    assert!(
        message.contains("registry") && message.contains("search"),
        "{message}"
    );
    // Refused as a whole: payments was not assigned either.
    assert_eq!(f.count("SELECT COUNT(*) FROM assignments WHERE secret_id IN (SELECT id FROM secrets WHERE scope = 'Organization')").await, 0);

    // An org Kubernetes secret of the same name cannot join an org External one in a project.
    let k8s = secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        kubernetes("registry", Scope::Organization, None, "pw"),
    )
    .await
    .unwrap();
    secrets::set_assignments(&f.db, &f.admin, org, &[f.payments])
        .await
        .unwrap();
    let error = secrets::set_assignments(&f.db, &f.admin, k8s, &[f.payments])
        .await
        .unwrap_err();
    assert_eq!(field_of(error), "projects");
}

async fn a_stale_version_gives_conflict_and_changes_nothing(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("queue-url").await;
    let changes = |description: &str| SecretChanges {
        use_case: UseCase::Generic,
        description: description.to_owned(),
        spec: external("queue-url", Scope::Organization, None).spec,
        replace_values: SecretValues::default(),
    };
    let editor = Actor::new("alice@example.com");
    assert_eq!(
        secrets::update(&f.db, &f.keys, &editor, id, 1, changes("first"))
            .await
            .unwrap(),
        2
    );
    let message = conflict_message(
        secrets::update(&f.db, &f.keys, &f.admin, id, 1, changes("second"))
            .await
            .unwrap_err(),
    );
    assert!(
        message.contains("alice@example.com") && message.contains("reload"),
        "{message}"
    );
    let detail = secrets::detail(&f.db, id, &Visibility::All).await.unwrap();
    assert_eq!(detail.description, "first");
    assert_eq!(detail.secret.version, 2);

    // The kind cannot change.
    let mut other_kind = changes("x");
    other_kind.spec = kubernetes("queue-url", Scope::Organization, None, "pw").spec;
    assert_eq!(
        field_of(
            secrets::update(&f.db, &f.keys, &f.admin, id, 2, other_kind)
                .await
                .unwrap_err()
        ),
        "kind"
    );
}

async fn assignments_are_set_declaratively(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("shared-token").await;
    let diff = secrets::set_assignments(&f.db, &f.admin, id, &[f.payments, f.search])
        .await
        .unwrap();
    assert_eq!(diff.added, vec![f.payments, f.search]);
    assert!(diff.removed.is_empty());
    assert_eq!(f.secret_status(id).await, SecretStatus::Pending);

    // Same set again: nothing to do.
    let diff = secrets::set_assignments(&f.db, &f.admin, id, &[f.search, f.payments])
        .await
        .unwrap();
    assert!(diff.added.is_empty() && diff.removed.is_empty());

    // Swap payments for analytics.
    let diff = secrets::set_assignments(&f.db, &f.admin, id, &[f.search, f.analytics])
        .await
        .unwrap();
    assert_eq!(diff.added, vec![f.analytics]);
    assert_eq!(diff.removed, vec![f.payments]);
    assert_eq!(
        f.assignment_status(id, f.payments).await,
        Some(AssignmentStatus::Deleting)
    );
    // A removal from one project is Deleting on that row only; the secret rolls up the rest
    // (search and analytics, both still Pending): it is Deleting only while it is deleted.
    assert_eq!(f.secret_status(id).await, SecretStatus::Pending);
    let op: String =
        sqlx::query_scalar("SELECT op FROM work_items WHERE secret_id = $1 AND project_id = $2")
            .bind(id)
            .bind(f.payments)
            .fetch_one(f.db.pool())
            .await
            .unwrap();
    assert_eq!(op, "delete");

    // Unknown projects are refused by id.
    let error = secrets::set_assignments(&f.db, &f.admin, id, &[f.search, 424_242])
        .await
        .unwrap_err();
    assert_eq!(field_of(error), "projects");

    // Unassign one.
    let diff = secrets::unassign(&f.db, &f.admin, id, f.search)
        .await
        .unwrap();
    assert_eq!(diff.removed, vec![f.search]);
}

async fn deletion_removes_rows_only_when_the_cluster_confirms(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("to-delete").await;
    secrets::set_assignments(&f.db, &f.admin, id, &[f.payments, f.search])
        .await
        .unwrap();
    secrets::delete(&f.db, &f.admin, id).await.unwrap();
    assert_eq!(f.secret_status(id).await, SecretStatus::Deleting);

    // A late "Synced" report does not overwrite Deleting.
    let synced = Observation::ExternalSecret {
        generation: 1,
        synced_generation: Some(1),
        ready: Some(ReadyCondition {
            status: ConditionStatus::True,
            reason: Some("SecretSynced".into()),
            message: None,
        }),
        target_present: true,
        refreshed_at: None,
    };
    observe(&f.db, id, f.payments, &synced).await.unwrap();
    assert_eq!(
        f.assignment_status(id, f.payments).await,
        Some(AssignmentStatus::Deleting)
    );

    // One object gone: its row goes, the secret stays (Deleting).
    assert_eq!(
        observe(&f.db, id, f.payments, &Observation::ObjectGone)
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.assignment_status(id, f.payments).await, None);
    assert_eq!(f.secret_status(id).await, SecretStatus::Deleting);

    // The other is stuck, then retried and gone: the secret row is removed.
    observe(&f.db, id, f.search, &Observation::DeleteDeadlinePassed)
        .await
        .unwrap();
    assert_eq!(f.secret_status(id).await, SecretStatus::DeleteFailed);
    secrets::delete(&f.db, &f.admin, id).await.unwrap();
    assert_eq!(
        f.assignment_status(id, f.search).await,
        Some(AssignmentStatus::Deleting)
    );
    observe(&f.db, id, f.search, &Observation::ObjectGone)
        .await
        .unwrap();
    assert_eq!(
        f.count(&format!("SELECT COUNT(*) FROM secrets WHERE id = {id}"))
            .await,
        0
    );

    // A secret with no assignments goes at once.
    let lonely = f.org_external("lonely").await;
    secrets::delete(&f.db, &f.admin, lonely).await.unwrap();
    assert_eq!(
        f.count(&format!("SELECT COUNT(*) FROM secrets WHERE id = {lonely}"))
            .await,
        0
    );
}

async fn reassigning_while_deleting_is_refused(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("flaky").await;
    secrets::set_assignments(&f.db, &f.admin, id, &[f.payments])
        .await
        .unwrap();
    secrets::unassign(&f.db, &f.admin, id, f.payments)
        .await
        .unwrap();
    let message = conflict_message(
        secrets::set_assignments(&f.db, &f.admin, id, &[f.payments])
            .await
            .unwrap_err(),
    );
    assert!(
        message.contains("payments") && message.contains("being removed"),
        "{message}"
    );

    // A deleted secret cannot be edited or assigned at all.
    secrets::set_assignments(&f.db, &f.admin, id, &[f.search])
        .await
        .unwrap();
    secrets::delete(&f.db, &f.admin, id).await.unwrap();
    let message = conflict_message(
        secrets::set_assignments(&f.db, &f.admin, id, &[f.search])
            .await
            .unwrap_err(),
    );
    assert!(message.contains("being deleted"), "{message}");
}

async fn sync_requests_are_queued_for_live_assignments(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("synced-token").await;
    secrets::set_assignments(&f.db, &f.admin, id, &[f.payments, f.search, f.analytics])
        .await
        .unwrap();
    sqlx::query("DELETE FROM work_items")
        .execute(f.db.pool())
        .await
        .unwrap();
    secrets::unassign(&f.db, &f.admin, id, f.analytics)
        .await
        .unwrap();

    assert_eq!(
        secrets::request_sync(&f.db, &f.admin, id, Some(&[f.search]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        secrets::request_sync(&f.db, &f.admin, id, None)
            .await
            .unwrap(),
        2
    );
    let ops: Vec<(i64, String)> = sqlx::query_as(
        "SELECT project_id, op FROM work_items WHERE secret_id = $1 ORDER BY project_id",
    )
    .bind(id)
    .fetch_all(f.db.pool())
    .await
    .unwrap();
    // A sync never downgrades the pending delete of the project being unassigned.
    let mut expected = vec![
        (f.payments, "sync".to_owned()),
        (f.search, "sync".to_owned()),
        (f.analytics, "delete".to_owned()),
    ];
    expected.sort();
    assert_eq!(ops, expected);
}

async fn every_operation_leaves_an_audit_entry_and_the_log_is_append_only(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("audited").await;
    secrets::update(
        &f.db,
        &f.keys,
        &f.admin,
        id,
        1,
        SecretChanges {
            use_case: UseCase::Generic,
            description: "now documented".into(),
            spec: external("audited", Scope::Organization, None).spec,
            replace_values: SecretValues::default(),
        },
    )
    .await
    .unwrap();
    secrets::set_assignments(&f.db, &f.admin, id, &[f.payments])
        .await
        .unwrap();
    secrets::request_sync(&f.db, &f.admin, id, None)
        .await
        .unwrap();
    secrets::unassign(&f.db, &f.admin, id, f.payments)
        .await
        .unwrap();
    secrets::delete(&f.db, &f.admin, id).await.unwrap();

    let rows = sqlx::query("SELECT action, actor, outcome, before_spec, after_spec, request_id FROM audit_entries WHERE secret_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(f.db.pool())
        .await
        .unwrap();
    let actions: Vec<String> = rows.iter().map(|r| r.get("action")).collect();
    assert_eq!(
        actions,
        ["create", "update", "assign", "sync", "assign", "delete"]
    );
    for row in &rows {
        assert_eq!(row.get::<String, _>("actor"), "admin@example.com");
        assert_eq!(row.get::<String, _>("outcome"), "allowed");
        assert!(
            !row.get::<Option<String>, _>("request_id")
                .unwrap_or_default()
                .is_empty()
        );
    }
    let update_before: String = rows[1].get("before_spec");
    let update_after: String = rows[1].get("after_spec");
    assert!(update_before.contains("audited for tests") && update_after.contains("now documented"));

    // Denied actions are recorded too.
    let mut conn = f.db.pool().acquire().await.unwrap();
    let mallory = Actor::new("mallory@example.com");
    secrets_console::server::audit::record_denied(
        &mut conn,
        &mallory,
        secrets_console::server::audit::Entry {
            action: "assign",
            secret_id: Some(id),
            project_id: Some(f.search),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    drop(conn);
    let denied: (String, String) =
        sqlx::query_as("SELECT actor, outcome FROM audit_entries WHERE outcome = 'denied'")
            .fetch_one(f.db.pool())
            .await
            .unwrap();
    assert_eq!(
        denied,
        ("mallory@example.com".to_owned(), "denied".to_owned())
    );

    let update = sqlx::query("UPDATE audit_entries SET actor = 'mallory'")
        .execute(f.db.pool())
        .await;
    assert!(update.is_err(), "audit entries must not be updatable");
    let delete = sqlx::query("DELETE FROM audit_entries")
        .execute(f.db.pool())
        .await;
    assert!(delete.is_err(), "audit entries must not be deletable");
}

async fn values_are_write_only_and_encrypted_at_rest(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        kubernetes("db-login", Scope::Organization, None, CANARY),
    )
    .await
    .unwrap();
    secrets::set_assignments(&f.db, &f.admin, id, &[f.payments])
        .await
        .unwrap();
    // Replace the username, keep the password.
    secrets::update(
        &f.db,
        &f.keys,
        &f.admin,
        id,
        1,
        SecretChanges {
            use_case: UseCase::Database,
            description: "rotated user".into(),
            spec: kubernetes("db-login", Scope::Organization, None, "").spec,
            replace_values: SecretValues::from_pairs([("username".to_owned(), "app2".to_owned())]),
        },
    )
    .await
    .unwrap();

    // The server side can decrypt for the reconciler; the kept password survived the update.
    let values = secrets::decrypt_values(&f.db, &f.keys, id).await.unwrap();
    assert_eq!(values.get("username"), Some("app2"));
    assert_eq!(values.get("password"), Some(CANARY));

    // Every read path.
    let detail = secrets::detail(&f.db, id, &Visibility::All).await.unwrap();
    let page = secrets::list(&f.db, &SecretQuery::default(), &Visibility::All)
        .await
        .unwrap();
    let shown = format!(
        "{} {} {detail:?} {page:?}",
        serde_json::to_string(&detail).unwrap(),
        serde_json::to_string(&page).unwrap()
    );
    assert!(!shown.contains(CANARY), "a read path returned the value");

    // Every table, as text.
    let tables = [
        "secrets",
        "secret_values",
        "assignments",
        "audit_entries",
        "work_items",
    ];
    for table in tables {
        let dump: Vec<String> = match backend {
            Backend::Sqlite => {
                let columns: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                        .fetch_all(f.db.pool())
                        .await
                        .unwrap();
                let expr = columns
                    .iter()
                    .map(|c| format!("quote({c})"))
                    .collect::<Vec<_>>()
                    .join(" || ' ' || ");
                sqlx::query_scalar(&format!("SELECT {expr} FROM {table}"))
                    .fetch_all(f.db.pool())
                    .await
                    .unwrap()
            }
            Backend::Postgres(_) => {
                sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM {table} t"))
                    .fetch_all(f.db.pool())
                    .await
                    .unwrap()
            }
        };
        // Text columns as text, binary ones as hex: look for both spellings.
        let hex: String = CANARY.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(
            !dump.is_empty() || table == "work_items",
            "{table} was dumped"
        );
        assert!(
            dump.iter()
                .all(|row| !row.contains(CANARY) && !row.to_lowercase().contains(&hex)),
            "{table} holds the value in clear"
        );
    }
    if let Backend::Sqlite = backend {
        f.db.close().await;
        let path = f
            .test_db
            .url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        for file in [path.clone(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                assert!(
                    !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
                    "{file} holds the value in clear"
                );
            }
        }
    }
}

async fn the_list_searches_filters_sorts_and_pages(backend: Backend) {
    let f = Fixture::new(&backend).await;
    for i in 0..12 {
        let id = f.org_external(&format!("token-{i:02}")).await;
        if i % 3 == 0 {
            secrets::set_assignments(&f.db, &f.admin, id, &[f.payments, f.search])
                .await
                .unwrap();
        }
    }
    secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        kubernetes("db-login", Scope::Project, Some(f.analytics), "pw"),
    )
    .await
    .unwrap();
    let mut literal = external("percent-50", Scope::Organization, None);
    literal.description = "matches 50% literally".into();
    if let SecretSpec::External(spec) = &mut literal.spec {
        spec.refresh_interval = "90m".into();
    }
    secrets::create(&f.db, &f.keys, &f.admin, literal)
        .await
        .unwrap();

    let q = |f: &dyn Fn(&mut SecretQuery)| {
        let mut query = SecretQuery::default();
        f(&mut query);
        query
    };
    let page = secrets::list(&f.db, &q(&|q| q.per_page = 5), &Visibility::All)
        .await
        .unwrap();
    assert_eq!(page.total, 14);
    let names: Vec<_> = page.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["db-login", "percent-50", "token-00", "token-01", "token-02"]
    );

    let page = secrets::list(
        &f.db,
        &q(&|q| {
            q.per_page = 5;
            q.page = 3;
        }),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.items.len(), 4);

    let page = secrets::list(
        &f.db,
        &q(&|q| {
            q.sort = SortKey::Name;
            q.descending = true;
            q.per_page = 1
        }),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.items[0].name, "token-11");

    let page = secrets::list(
        &f.db,
        &q(&|q| q.search = Some("TOKEN-1".into())),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 2);
    let page = secrets::list(
        &f.db,
        &q(&|q| q.search = Some("50%".into())),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["percent-50"]
    );

    let page = secrets::list(
        &f.db,
        &q(&|q| q.kind = Some(SecretKind::Kubernetes)),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].project.as_ref().unwrap().name, "analytics");
    let page = secrets::list(
        &f.db,
        &q(&|q| q.scope = Some(Scope::Project)),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1);
    let page = secrets::list(
        &f.db,
        &q(&|q| q.status = Some(SecretStatus::Unassigned)),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 9);
    let page = secrets::list(
        &f.db,
        &q(&|q| q.project_id = Some(f.search)),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 4);
    let first = &page.items[0];
    assert_eq!(first.assignment_count, 2);
    assert_eq!(
        first
            .assigned_to
            .iter()
            .map(|a| a.project.name.as_str())
            .collect::<Vec<_>>(),
        ["payments", "search"]
    );
    let page = secrets::list(
        &f.db,
        &q(&|q| q.use_case = Some(UseCase::Database)),
        &Visibility::All,
    )
    .await
    .unwrap();
    assert_eq!(page.total, 1);
}

async fn members_see_only_their_projects(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let shared = f.org_external("shared").await;
    secrets::set_assignments(&f.db, &f.admin, shared, &[f.payments, f.search])
        .await
        .unwrap();
    let hidden = f.org_external("hidden").await;
    secrets::set_assignments(&f.db, &f.admin, hidden, &[f.search])
        .await
        .unwrap();
    let own = secrets::create(
        &f.db,
        &f.keys,
        &f.admin,
        external("own", Scope::Project, Some(f.payments)),
    )
    .await
    .unwrap();

    let member = Visibility::Projects(vec![f.payments]);
    // Search's copy of `shared` fails; the member of payments must not learn of it.
    let refused = Observation::ApplyRefused {
        reason: "namespace search is missing".into(),
        failure: None,
    };
    observe(&f.db, shared, f.search, &refused).await.unwrap();
    let page = secrets::list(&f.db, &SecretQuery::default(), &member)
        .await
        .unwrap();
    let row = page.items.iter().find(|r| r.name == "shared").unwrap();
    assert_eq!(row.assignment_count, 1);
    let names: Vec<_> = row
        .assigned_to
        .iter()
        .map(|a| a.project.name.as_str())
        .collect();
    assert_eq!(names, ["payments"]);
    assert_eq!(
        row.status,
        SecretStatus::Pending,
        "the member's rollup covers their projects only"
    );
    let all = secrets::list(&f.db, &SecretQuery::default(), &Visibility::All)
        .await
        .unwrap();
    let admin_row = all.items.iter().find(|r| r.name == "shared").unwrap();
    assert_eq!(
        (admin_row.assignment_count, admin_row.status),
        (2, SecretStatus::Failed)
    );
    let mut names: Vec<_> = page.items.iter().map(|r| r.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["own", "shared"]);
    assert!(matches!(
        secrets::detail(&f.db, hidden, &member).await,
        Err(ServiceError::NotFound)
    ));
    let detail = secrets::detail(&f.db, shared, &member).await.unwrap();
    assert_eq!(detail.secret.status, SecretStatus::Pending);
    assert_eq!(detail.secret.assignment_count, 1);
    // Nothing in the history names or counts projects the member is not in.
    let shown = serde_json::to_string(&detail.history).unwrap();
    assert!(!shown.contains("search"), "{shown}");
    assert_eq!(
        detail
            .history
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["create"]
    );
    let admin_view = secrets::detail(&f.db, shared, &Visibility::All)
        .await
        .unwrap();
    assert_eq!(
        admin_view
            .history
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["assign", "create"]
    );
    assert_eq!(
        detail
            .assignments
            .iter()
            .map(|a| a.project.name.as_str())
            .collect::<Vec<_>>(),
        ["payments"]
    );
    secrets::detail(&f.db, own, &member).await.unwrap();

    let nobody = Visibility::Projects(vec![]);
    assert_eq!(
        secrets::list(&f.db, &SecretQuery::default(), &nobody)
            .await
            .unwrap()
            .total,
        0
    );
}

async fn status_reports_roll_up_to_the_secret(backend: Backend) {
    let f = Fixture::new(&backend).await;
    let id = f.org_external("rolled").await;
    secrets::set_assignments(&f.db, &f.admin, id, &[f.payments, f.search])
        .await
        .unwrap();
    for project in [f.payments, f.search] {
        observe(&f.db, id, project, &Observation::Applied { generation: 1 })
            .await
            .unwrap();
    }
    let synced = Observation::ExternalSecret {
        generation: 1,
        synced_generation: Some(1),
        ready: Some(ReadyCondition {
            status: ConditionStatus::True,
            reason: Some("SecretSynced".into()),
            message: None,
        }),
        target_present: true,
        refreshed_at: None,
    };
    observe(&f.db, id, f.payments, &synced).await.unwrap();
    assert_eq!(f.secret_status(id).await, SecretStatus::PartiallySynced);
    observe(&f.db, id, f.search, &synced).await.unwrap();
    assert_eq!(f.secret_status(id).await, SecretStatus::Synced);

    let missing_key = Observation::ExternalSecret {
        generation: 1,
        synced_generation: Some(1),
        ready: Some(ReadyCondition {
            status: ConditionStatus::False,
            reason: Some("SecretSyncedError".into()),
            message: Some(
                "could not get secret data from provider: key \"team/rolled\" not found".into(),
            ),
        }),
        target_present: true,
        refreshed_at: None,
    };
    observe(&f.db, id, f.search, &missing_key).await.unwrap();
    assert_eq!(f.secret_status(id).await, SecretStatus::SyncedError);
    let detail = secrets::detail(&f.db, id, &Visibility::All).await.unwrap();
    let search = detail
        .assignments
        .iter()
        .find(|a| a.project.name == "search")
        .unwrap();
    assert!(search.reason.as_deref().unwrap().contains("team/rolled"));
    let payments = detail
        .assignments
        .iter()
        .find(|a| a.project.name == "payments")
        .unwrap();
    assert!(
        payments.last_sync_at.is_some(),
        "a sync time is recorded when it became Synced"
    );
}
