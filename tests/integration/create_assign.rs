//! Issue 21, point 7, over HTTP against the real binary: the organization-secret create form
//! assigns the new secret to named projects and by selector in the same step, in one
//! transaction. Bad input in either refuses the whole create and leaves nothing written (no
//! secret, no assignment, no audit entry); collisions behave as they do when assigning later;
//! the form works without JavaScript too (a refused post comes back with the ticks and the
//! selector text, a success says how many projects it was assigned to).

use serde_json::{Value, json};

use crate::auth::{Client, demo_server, enc, external_spec};
use crate::on_both_backends;
use crate::support::{Backend, TestDb};

on_both_backends!(
    a_new_secret_is_assigned_to_named_and_selected_projects_in_one_step,
    bad_projects_or_selectors_refuse_the_whole_create_and_write_nothing,
);

/// Creates a project carrying `labels`; its id.
async fn project(admin: &Client, name: &str, labels: &str) -> i64 {
    let (_, clusters) = admin.call("list_clusters", json!({})).await;
    let cluster = clusters[0]["id"].as_i64().unwrap();
    let (status, id) = admin
        .call("create_project", json!({"csrf": admin.csrf, "name": name, "cluster_id": cluster, "namespace": name, "project_labels": labels}))
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().unwrap()
}

/// Calls `create_secret` for an organization External secret named `name` that names
/// `assign_to` and `selectors`.
async fn create(client: &Client, name: &str, assign_to: &[i64], selectors: &str) -> (u16, Value) {
    client
        .call("create_secret", json!({"csrf": client.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/token"), "values": [], "assign_to": assign_to, "selectors": selectors}}))
        .await
}

/// (project, status, reason) of each of the secret's assignments, by project name.
async fn rows(admin: &Client, secret: i64) -> Vec<(String, String, String)> {
    let (status, detail) = admin.call("get_secret", json!({"id": secret})).await;
    assert_eq!(status, 200, "{detail}");
    let mut rows: Vec<_> = detail["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["project"]["name"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
                a["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// What is written: secrets, assignments and audit entries by people (not the reconciler).
async fn written(db: &TestDb) -> (i64, i64, i64) {
    let pool = db.any_pool().await;
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    (
        count("SELECT COUNT(*) FROM secrets").await,
        count("SELECT COUNT(*) FROM assignments").await,
        count("SELECT COUNT(*) FROM audit_entries WHERE actor <> 'system'").await,
    )
}

async fn a_new_secret_is_assigned_to_named_and_selected_projects_in_one_step(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let blue = project(&admin, "blue", "env=prod").await;
    project(&admin, "green", "env=dev").await;
    let plain = project(&admin, "plain", "").await;
    let taken = project(&admin, "taken", "env=prod").await;
    // A project secret of the same name already lands that object in `taken`, which the
    // selector matches: Failed there, as when a selector is saved later, not a refusal.
    let (status, body) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "fleet-token", "scope": "Project", "project_id": taken, "use_case": "Generic", "description": "", "spec": external_spec("vault", "taken/token"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, id) = create(&admin, "fleet-token", &[plain], "env=prod").await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();
    let rows = rows(&admin, id).await;
    let names: Vec<&str> = rows.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["blue", "plain", "taken"], "{rows:?}");
    let taken_row = &rows[2];
    assert_eq!(taken_row.1, "Failed", "{rows:?}");
    assert!(taken_row.2.contains("fleet-token"), "{rows:?}");
    assert!(
        rows[..2].iter().all(|(_, status, _)| status != "Failed"),
        "{rows:?}"
    );

    let (status, matches) = admin.call("secret_selectors", json!({"id": id})).await;
    assert_eq!(status, 200, "{matches}");
    assert_eq!(matches[0]["selector"], "env=prod", "{matches}");
    // The named one stays when the selector goes; the selected ones go with it.
    let (status, body) = admin
        .call(
            "set_secret_selectors",
            json!({"csrf": admin.csrf, "id": id, "selectors": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let pool = db.any_pool().await;
    let kept: Vec<(i64, String)> = sqlx::query_as(
        "SELECT project_id, status FROM assignments WHERE secret_id = $1 ORDER BY project_id",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        kept.iter()
            .any(|(p, s)| *p == plain && !s.starts_with("Delet")),
        "{kept:?}"
    );
    assert!(
        kept.iter()
            .all(|(p, s)| *p != blue || s.starts_with("Delet")),
        "{kept:?}"
    );

    // Audited as creating then assigning would be.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_entries WHERE secret_id = $1 AND actor <> 'system' ORDER BY id",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actions[..5],
        [
            "create",
            "selectors",
            "assign",
            "assign-by-selector",
            "assign-by-selector"
        ],
        "{actions:?}"
    );
}

async fn bad_projects_or_selectors_refuse_the_whole_create_and_write_nothing(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let prod = project(&admin, "prod-one", "env=prod").await;
    let taken = project(&admin, "taken", "").await;
    let (status, body) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "clash", "scope": "Project", "project_id": taken, "use_case": "Generic", "description": "", "spec": external_spec("vault", "taken/token"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{body}");
    let before = written(&db).await;

    // A selector that does not parse, with a good project named beside it.
    let (status, body) = create(&admin, "refused-one", &[prod], "tier in web").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("selectors")),
        "{body}"
    );
    // A project that does not exist, with a good selector beside it.
    let (status, body) = create(&admin, "refused-two", &[prod, 987_654], "env=prod").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("assign_to")),
        "{body}"
    );
    assert!(body.to_string().contains("987654"), "{body}");
    // A named project where the name is taken: refused as assigning it later would be.
    let (status, body) = create(&admin, "clash", &[prod, taken], "env=prod").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("assign_to")),
        "{body}"
    );
    assert!(body.to_string().contains("taken"), "{body}");
    // A project secret is assigned to its own project only.
    let (status, body) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "own-only", "scope": "Project", "project_id": prod, "use_case": "Generic", "description": "", "spec": external_spec("vault", "x/y"), "values": [], "selectors": "env=prod"}}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("selectors")),
        "{body}"
    );
    assert_eq!(
        written(&db).await,
        before,
        "nothing written by a refused create"
    );

    // A team member may not assign, not even their own project's secret elsewhere: refused
    // (and that refusal audited), nothing else written.
    let member = Client::signed_in(&server, "dev@example.com").await;
    let (_, projects) = member.call("list_projects", json!({})).await;
    let payments = projects[0]["id"].as_i64().unwrap();
    let (status, body) = member
        .call("create_secret", json!({"csrf": member.csrf, "input": {"name": "sneaky", "scope": "Project", "project_id": payments, "use_case": "Generic", "description": "", "spec": external_spec("vault", "payments/x"), "values": [], "assign_to": [prod]}}))
        .await;
    assert_eq!(status, 403, "{body}");
    let after = written(&db).await;
    assert_eq!(
        (after.0, after.1),
        (before.0, before.1),
        "no secret, no assignment"
    );
}

/// The `<input …>` tag of the create form's box for project `id`.
fn project_box(html: &str, id: i64) -> Option<&str> {
    html.match_indices("<input")
        .map(|(at, _)| &html[at..at + html[at..].find('>').unwrap_or(0)])
        .find(|tag| tag.contains("form[assign_to]") && tag.contains(&format!("value=\"{id}\"")))
}

#[tokio::test]
async fn the_create_form_assigns_without_javascript_and_keeps_ticks_when_refused() {
    let (server, db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let blue = project(&admin, "blue", "env=prod").await;
    let plain = project(&admin, "plain", "").await;
    let csrf = enc(&admin.csrf);
    let form = |name: &str, selectors: &str| {
        format!(
            "csrf={csrf}&form[name]={name}&form[scope]=Organization&form[use_case]=Generic\
             &form[kind]=External&form[store]=vault&form[refresh_interval]=1h0m0s\
             &form[secret_key][0]=token&form[remote_key][0]=shared/token\
             &form[assign_to][0]={plain}&form[selectors]={}",
            enc(selectors)
        )
    };

    // The create page offers the projects to tick and a selector field.
    let html = admin.page("/secrets/new").await;
    assert!(
        html.contains("Assign to projects"),
        "the section is offered"
    );
    assert!(project_box(&html, blue).is_some(), "a box per project");

    // Refused (a selector that does not parse): back to the form, ticks and text kept.
    let before = written(&db).await;
    let response = admin
        .post_from(
            "/secrets/new",
            "create_secret_form",
            &form("plain-made", "env=prod\ntier in web"),
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/secrets/new");
    let html = admin.page("/secrets/new").await;
    let ticked = project_box(&html, plain).expect("the ticked box");
    assert!(ticked.contains("checked"), "the tick is kept: {ticked}");
    let unticked = project_box(&html, blue).expect("the other box");
    assert!(!unticked.contains("checked"), "{unticked}");
    assert!(html.contains("tier in web"), "the selector text is kept");
    assert!(html.contains("Selectors"), "the problem names the field");
    assert_eq!(written(&db).await, before, "nothing written");

    // Accepted: the secret's page says it was created and assigned to both projects.
    let response = admin
        .post_from(
            "/secrets/new",
            "create_secret_form",
            &form("plain-made", "env=prod"),
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/secrets/"), "{location}");
    let html = admin.page(&location).await;
    assert!(
        html.contains("Secret plain-made created and assigned to 2 projects."),
        "the success says how many"
    );
}
