//! Issue 21, point 1, over HTTP against the real binary: projects carry labels, an
//! organization secret is assigned to every project its selectors match (including projects
//! created or relabelled later) and loses the ones only a selector kept, named assignments
//! stay, a collision is Failed in its own project only, and every change is audited.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::{Client, demo_server, external_spec};
use crate::kubeconfig::until;
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    a_selector_follows_projects_created_and_relabelled_and_names_stay,
    a_collision_is_failed_in_its_project_not_a_refusal_of_the_selector,
    labels_and_selectors_are_validated_naming_the_field,
);

/// Creates an organization External secret named `name`; its id.
async fn org_secret(admin: &Client, name: &str) -> i64 {
    let (status, id) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/token"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().unwrap()
}

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

async fn relabel(admin: &Client, project: i64, labels: &str) {
    let (status, body) = admin
        .call(
            "set_project_labels",
            json!({"csrf": admin.csrf, "project_id": project, "project_labels": labels}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn select(admin: &Client, secret: i64, selectors: &str) -> (u16, Value) {
    admin
        .call(
            "set_secret_selectors",
            json!({"csrf": admin.csrf, "id": secret, "selectors": selectors}),
        )
        .await
}

/// The secret's detail as the admin sees it.
async fn detail(admin: &Client, secret: i64) -> Value {
    let (status, detail) = admin.call("get_secret", json!({"id": secret})).await;
    assert_eq!(status, 200, "{detail}");
    detail
}

/// project name → (status, reason) of the secret's assignments.
async fn rows(admin: &Client, secret: i64) -> Vec<(String, String, String)> {
    detail(admin, secret).await["assignments"]
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
        .collect()
}

/// Whether `project` has a row that is not on its way out.
async fn assigned(admin: &Client, secret: i64, project: &str) -> bool {
    rows(admin, secret)
        .await
        .iter()
        .any(|(name, status, _)| name == project && !status.starts_with("Delet"))
}

async fn history_actions(admin: &Client, secret: i64) -> Vec<(String, String)> {
    detail(admin, secret).await["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_selector_follows_projects_created_and_relabelled_and_names_stay(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let secret = org_secret(&admin, "shared-token").await;
    let blue = project(&admin, "blue", "env=prod, team=payments").await;
    let green = project(&admin, "green", "env=dev").await;

    // The preview names what saving would assign, before anything is saved.
    let (status, preview) = admin
        .call("preview_selectors", json!({"selectors": "env = prod"}))
        .await;
    assert_eq!(status, 200, "{preview}");
    let names: Vec<&str> = preview
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["blue"], "{preview}");
    assert!(rows(&admin, secret).await.is_empty());

    let (status, body) = select(&admin, secret, "env=prod").await;
    assert_eq!(status, 200, "{body}");
    assert!(assigned(&admin, secret, "blue").await);
    assert!(!assigned(&admin, secret, "green").await);
    let (status, matches) = admin.call("secret_selectors", json!({"id": secret})).await;
    assert_eq!(status, 200, "{matches}");
    assert_eq!(matches[0]["selector"], "env=prod", "{matches}");
    assert_eq!(matches[0]["projects"][0]["name"], "blue", "{matches}");

    // A project created later with a matching label is assigned without anything more.
    project(&admin, "red", "env=prod").await;
    assert!(assigned(&admin, secret, "red").await);
    // Relabelled into the selector: gained; out of it: lost.
    relabel(&admin, green, "env=prod").await;
    assert!(assigned(&admin, secret, "green").await);
    relabel(&admin, blue, "env=staging").await;
    assert!(!assigned(&admin, secret, "blue").await);
    until(
        "blue's removal to finish",
        Duration::from_secs(20),
        || async {
            let rows = rows(&admin, secret).await;
            if rows.iter().any(|(name, _, _)| name == "blue") {
                Err(format!("{rows:?}"))
            } else {
                Ok(())
            }
        },
    )
    .await;

    // A selector-kept project cannot be unassigned on its own: the answer names the selector.
    let (status, body) = admin
        .call(
            "unassign_secret",
            json!({"csrf": admin.csrf, "id": secret, "project_id": green}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("env=prod"), "{body}");

    // Named explicitly, green stays when its labels no longer match; red (selector only) goes.
    let (status, body) = admin
        .call(
            "set_assignments",
            json!({"csrf": admin.csrf, "id": secret, "project_ids": [green]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        assigned(&admin, secret, "red").await,
        "the selector keeps red"
    );
    relabel(&admin, green, "env=dev").await;
    let (status, body) = select(&admin, secret, "").await;
    assert_eq!(status, 200, "{body}");
    assert!(assigned(&admin, secret, "green").await, "named: stays");
    assert!(
        !assigned(&admin, secret, "red").await,
        "selector only: goes"
    );

    // Each change is in the secret's history, saying which project and why.
    let history = history_actions(&admin, secret).await;
    let has = |action: &str, words: &str| {
        history
            .iter()
            .any(|(a, d)| a == action && d.contains(words))
    };
    assert!(has("selectors", "env=prod"), "{history:?}");
    assert!(has("assign-by-selector", "red"), "{history:?}");
    assert!(has("assign-by-selector", "green"), "{history:?}");
    assert!(has("unassign-by-selector", "blue"), "{history:?}");
    assert!(has("unassign-by-selector", "red"), "{history:?}");
    assert!(has("selectors", "removed every selector"), "{history:?}");
}

async fn a_collision_is_failed_in_its_project_not_a_refusal_of_the_selector(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let secret = org_secret(&admin, "db-password").await;
    let taken = project(&admin, "taken", "tier=db").await;
    project(&admin, "free", "tier=db").await;
    // A project secret of the same name already lands that object in `taken`.
    let (status, body) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "db-password", "scope": "Project", "project_id": taken, "use_case": "Generic", "description": "", "spec": external_spec("vault", "taken/db"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{body}");

    // Named, the collision refuses the change as a whole (as before selectors) …
    let (status, body) = admin
        .call(
            "set_assignments",
            json!({"csrf": admin.csrf, "id": secret, "project_ids": [taken]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(rows(&admin, secret).await.is_empty());

    // … by selector, it is Failed on that project's row only, saying why.
    let (status, body) = select(&admin, secret, "tier in (db, cache)").await;
    assert_eq!(status, 200, "{body}");
    let rows = rows(&admin, secret).await;
    let row = |project: &str| {
        rows.iter()
            .find(|(name, _, _)| name == project)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {project}: {rows:?}"))
    };
    let (_, status, reason) = row("taken");
    assert_eq!(status, "Failed", "{rows:?}");
    assert!(
        reason.contains("already has a project") && reason.contains("db-password"),
        "{reason}"
    );
    assert_ne!(row("free").1, "Failed", "{rows:?}");
    let history = history_actions(&admin, secret).await;
    assert!(
        history.iter().any(|(a, d)| a == "assign-by-selector"
            && d.contains("taken")
            && d.contains("not applied")),
        "{history:?}"
    );
    // The project secret there is untouched.
    let (status, own) = admin
        .call(
            "get_secret",
            json!({"id": body_id(&admin, "db-password", taken).await}),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["assignments"][0]["project"]["name"], "taken", "{own}");
}

/// The id of project `project`'s own secret named `name`.
async fn body_id(admin: &Client, name: &str, project: i64) -> i64 {
    let (status, page) = admin
        .call("list_secrets", json!({"query": {"search": name, "kind": null, "scope": "Project", "status": null, "project_id": project, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"][0]["id"].as_i64().unwrap()
}

async fn labels_and_selectors_are_validated_naming_the_field(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let secret = org_secret(&admin, "validated").await;
    let (_, clusters) = admin.call("list_clusters", json!({})).await;
    let cluster = clusters[0]["id"].as_i64().unwrap();
    let (status, body) = admin
        .call("create_project", json!({"csrf": admin.csrf, "name": "odd", "cluster_id": cluster, "namespace": "odd", "project_labels": "env"}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("project_labels")),
        "{body}"
    );
    let odd = project(&admin, "odd", "").await;
    let (status, body) = admin
        .call(
            "set_project_labels",
            json!({"csrf": admin.csrf, "project_id": odd, "project_labels": "env=prod!"}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("project_labels")),
        "{body}"
    );
    assert!(body.to_string().contains("prod!"), "{body}");
    let (status, body) = select(&admin, secret, "tier in web").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("selectors")),
        "{body}"
    );
    let (status, body) = admin
        .call("preview_selectors", json!({"selectors": "=prod"}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("selectors")),
        "{body}"
    );
}
