//! Issue 20's smaller points, over HTTP against the real binary: projects renamed and deleted
//! by admins only (audited, refused while anything of the project is left), secrets opened by
//! name exactly as by id, an allowlist naming a store no cluster has saved with a warning, and
//! members shown what their project allows and where to create a secret.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::{Client, PASSWORD, demo_server, secret_id};
use crate::kubeconfig::until;
use crate::live::{assign, project_id};
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    admins_rename_and_delete_projects_and_nothing_is_left_half_done,
    a_secret_opens_by_name_as_by_id_and_is_404_where_hidden,
    an_allowlist_naming_a_store_no_cluster_has_is_saved_with_a_warning,
    members_see_what_their_project_allows_and_where_to_create,
    the_secrets_page_offers_the_projects_each_person_may_see_by_name,
);

/// A member of `search` only, made through the admin API.
async fn other_member(server: &crate::support::TestServer, admin: &Client) -> Client {
    let (status, user) = admin
        .call("create_user", json!({"csrf": admin.csrf, "email": "other@example.com", "password": PASSWORD, "is_admin": false}))
        .await;
    assert_eq!(status, 200, "{user}");
    let search = project_id(admin, "search").await;
    let (status, body) = admin
        .call(
            "set_memberships",
            json!({"csrf": admin.csrf, "user_id": user, "project_ids": [search]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    Client::signed_in(server, "other@example.com").await
}

async fn admins_rename_and_delete_projects_and_nothing_is_left_half_done(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let member = Client::signed_in(&server, "dev@example.com").await;
    let (_, clusters) = admin.call("list_clusters", json!({})).await;
    let cluster = clusters[0]["id"].as_i64().unwrap();
    let (status, scratch) = admin
        .call("create_project", json!({"csrf": admin.csrf, "name": "scratch", "cluster_id": cluster, "namespace": "scratch"}))
        .await;
    assert_eq!(status, 200, "{scratch}");
    let scratch = scratch.as_i64().unwrap();

    // Members may do neither.
    let (status, _) = member
        .call(
            "rename_project",
            json!({"csrf": member.csrf, "project_id": scratch, "name": "mine"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = member
        .call(
            "delete_project",
            json!({"csrf": member.csrf, "project_id": scratch, "confirm": "scratch"}),
        )
        .await;
    assert_eq!(status, 403);

    // A rename: the new name is the project's address, the old one is gone; a taken name is
    // refused at the field.
    let (status, body) = admin
        .call(
            "rename_project",
            json!({"csrf": admin.csrf, "project_id": scratch, "name": "payments"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "name", "{body}");
    let (status, body) = admin
        .call(
            "rename_project",
            json!({"csrf": admin.csrf, "project_id": scratch, "name": "sandbox"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, project) = admin.call("get_project", json!({"name": "sandbox"})).await;
    assert_eq!(
        (status, project["namespace"].clone()),
        (200, json!("scratch")),
        "{project}"
    );
    let (status, _) = admin.call("get_project", json!({"name": "scratch"})).await;
    assert_eq!(status, 404);
    assert_eq!(admin.get_page("/projects/sandbox").await.0, 200);

    // Refused while an organization secret is assigned there, saying what is left; a wrong
    // confirmation is refused at its field.
    let org = secret_id(&admin, "postgres-credentials").await;
    let (_, detail) = admin.call("get_secret", json!({"id": org})).await;
    let mut projects: Vec<i64> = detail["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["project"]["id"].as_i64().unwrap())
        .collect();
    let before = projects.clone();
    projects.push(scratch);
    assign(&admin, org, &projects).await;
    let (status, body) = admin
        .call(
            "delete_project",
            json!({"csrf": admin.csrf, "project_id": scratch, "confirm": "scratch"}),
        )
        .await;
    assert_eq!(
        (status, body["field"].clone()),
        (422, json!("confirm")),
        "{body}"
    );
    let (status, body) = admin
        .call(
            "delete_project",
            json!({"csrf": admin.csrf, "project_id": scratch, "confirm": "sandbox"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1 assigned organization secret(s)"),
        "{body}"
    );
    assert_eq!(
        admin
            .call("get_project", json!({"name": "sandbox"}))
            .await
            .0,
        200
    );
    // A project with its own secret is refused too.
    let payments = project_id(&admin, "payments").await;
    let (status, body) = admin
        .call(
            "delete_project",
            json!({"csrf": admin.csrf, "project_id": payments, "confirm": "payments"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("project secret(s)"),
        "{body}"
    );

    // Once the cluster has let go of the object, the delete goes through and is audited.
    assign(&admin, org, &before).await;
    until(
        "the unassign finishes and the project can be deleted",
        Duration::from_secs(30),
        || async {
            let (status, body) = admin
                .call(
                    "delete_project",
                    json!({"csrf": admin.csrf, "project_id": scratch, "confirm": "sandbox"}),
                )
                .await;
            (status == 200)
                .then_some(())
                .ok_or_else(|| format!("{status} {body}"))
        },
    )
    .await;
    assert_eq!(
        admin
            .call("get_project", json!({"name": "sandbox"}))
            .await
            .0,
        404
    );
    assert_eq!(admin.get_page("/projects/sandbox").await.0, 404);
    let pool = db.any_pool().await;
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_entries WHERE project_id = $1 AND action LIKE 'project-%' ORDER BY id",
    )
    .bind(scratch)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        ["project-create", "project-rename", "project-delete"]
    );
}

async fn a_secret_opens_by_name_as_by_id_and_is_404_where_hidden(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let member = Client::signed_in(&server, "dev@example.com").await;
    let other = other_member(&server, &admin).await;
    let own = secret_id(&admin, "payments-api-key").await;
    let org = secret_id(&admin, "postgres-credentials").await;

    let by_name = |project: Option<&str>, name: &str, kind: Option<&str>| json!({"project": project, "name": name, "kind": kind});
    for client in [&admin, &member] {
        let (status, id) = client
            .call(
                "secret_id_by_name",
                by_name(Some("payments"), "payments-api-key", None),
            )
            .await;
        assert_eq!((status, id.as_i64()), (200, Some(own)), "{id}");
        let (status, id) = client
            .call(
                "secret_id_by_name",
                by_name(None, "postgres-credentials", None),
            )
            .await;
        assert_eq!((status, id.as_i64()), (200, Some(org)), "{id}");
    }
    let (status, _) = admin
        .call(
            "secret_id_by_name",
            by_name(None, "postgres-credentials", Some("External")),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = admin
        .call(
            "secret_id_by_name",
            by_name(None, "postgres-credentials", Some("Kubernetes")),
        )
        .await;
    assert_eq!(
        status, 404,
        "no Kubernetes organization secret has that name"
    );

    // The detail names its address, and the address is the same page.
    let (_, detail) = admin.call("get_secret", json!({"id": own})).await;
    assert_eq!(
        detail["name_path"],
        "/projects/payments/secrets/payments-api-key"
    );
    let (_, detail) = admin.call("get_secret", json!({"id": org})).await;
    assert_eq!(detail["name_path"], "/secrets/by-name/postgres-credentials");
    for path in [
        "/projects/payments/secrets/payments-api-key",
        "/secrets/by-name/postgres-credentials",
    ] {
        let (status, html) = member.get_page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains("Link by name") && html.contains(path),
            "{path}: {html}"
        );
    }

    // Hidden or absent: 404, exactly as by id.
    assert_eq!(other.call("get_secret", json!({"id": own})).await.0, 404);
    let (status, _) = other
        .call(
            "secret_id_by_name",
            by_name(Some("payments"), "payments-api-key", None),
        )
        .await;
    assert_eq!(status, 404);
    for (client, path) in [
        (&other, "/projects/payments/secrets/payments-api-key"),
        (&admin, "/projects/payments/secrets/no-such-secret"),
        (&admin, "/secrets/by-name/no-such-secret"),
        (&member, "/projects/search/secrets/payments-api-key"),
    ] {
        assert_eq!(client.get_page(path).await.0, 404, "{path}");
    }
}

async fn an_allowlist_naming_a_store_no_cluster_has_is_saved_with_a_warning(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let search = project_id(&admin, "search").await;
    // The stores' caches are filled once the clusters answer.
    until(
        "the clusters' stores are known",
        Duration::from_secs(20),
        || async {
            let (status, lists) = admin.call("list_stores", json!({})).await;
            let ready = status == 200
                && lists
                    .as_array()
                    .is_some_and(|l| l.iter().all(|c| c["error"].is_null()));
            ready.then_some(()).ok_or_else(|| lists.to_string())
        },
    )
    .await;

    let (status, warning) = admin
        .call("set_allowlist", json!({"csrf": admin.csrf, "project_id": search, "stores": "vault\nvualt", "key_prefixes": "search/"}))
        .await;
    assert_eq!(status, 200, "{warning}");
    let text = warning.as_str().unwrap_or_default();
    assert!(
        text.contains("`vualt`") && !text.contains("`vault`"),
        "{warning}"
    );
    let (_, saved) = admin
        .call("get_allowlist", json!({"project_id": search}))
        .await;
    assert_eq!(
        saved["stores"],
        json!(["vault", "vualt"]),
        "a warning, not a refusal"
    );

    let (status, warning) = admin
        .call("set_allowlist", json!({"csrf": admin.csrf, "project_id": search, "stores": "vault, aws-secrets-manager", "key_prefixes": "search/"}))
        .await;
    assert_eq!((status, warning), (200, Value::Null));
}

async fn members_see_what_their_project_allows_and_where_to_create(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let member = Client::signed_in(&server, "dev@example.com").await;

    let (status, html) = member.get_page("/projects/payments").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(
            "You may use stores: vault, aws-secrets-manager; remote keys under: payments/"
        ),
        "{html}"
    );
    let (_, html) = admin.get_page("/projects/payments").await;
    assert!(
        !html.contains("You may use stores"),
        "admins are not limited"
    );
    assert!(html.contains("Delete project") && html.contains("Rename project"));
    let (_, html) = member.get_page("/projects/payments").await;
    assert!(!html.contains("Delete project") && !html.contains("Rename project"));

    let (_, html) = member.get_page("/secrets").await;
    assert!(
        html.contains(r#"href="/projects/payments/secrets/new""#)
            && html.contains("New secret in payments"),
        "{html}"
    );
    assert!(!html.contains("Create organization secret"));
    let (_, html) = admin.get_page("/secrets").await;
    assert!(html.contains("Create organization secret") && !html.contains("New secret in"));
}

/// The Secrets page's project filter and bulk bar read the projects' names on their own
/// (`list_project_names`, one row of JSON): the same projects, in the same order, as the
/// Projects page lists for each person; none for someone in no project.
async fn the_secrets_page_offers_the_projects_each_person_may_see_by_name(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let member = Client::signed_in(&server, "dev@example.com").await;
    let (status, user) = admin
        .call("create_user", json!({"csrf": admin.csrf, "email": "nobody@example.com", "password": PASSWORD, "is_admin": false}))
        .await;
    assert_eq!(status, 200, "{user}");
    let nobody = Client::signed_in(&server, "nobody@example.com").await;
    for (who, client) in [("admin", &admin), ("member", &member), ("nobody", &nobody)] {
        let (status, listed) = client.call("list_projects", json!({})).await;
        assert_eq!(status, 200, "{who}: {listed}");
        let expected: Vec<Value> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!({"id": p["id"], "name": p["name"]}))
            .collect();
        let (status, names) = client.call("list_project_names", json!({})).await;
        assert_eq!(status, 200, "{who}: {names}");
        assert_eq!(names, Value::Array(expected.clone()), "{who}");
        match who {
            "admin" => assert!(expected.len() > 1, "the demo has several projects"),
            "member" => assert!(!expected.is_empty(), "dev is in a project"),
            _ => assert!(expected.is_empty(), "{expected:?}"),
        }
    }
}
