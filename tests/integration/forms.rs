//! The create, assign and delete forms as a browser without JavaScript posts them: plain
//! url-encoded forms, answered with redirects; bad input names its field and writes nothing;
//! the preview masks values.

use serde_json::json;

use crate::auth::{Client, demo_server, enc, secret_id};
use crate::live::project_id;
use crate::support::Backend;

async fn count_named(admin: &Client, name: &str) -> usize {
    let (_, page) = admin
        .call("list_secrets", json!({"query": {"search": name, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .await;
    page["items"].as_array().map_or(0, |items| {
        items.iter().filter(|i| i["name"] == name).count()
    })
}

#[tokio::test]
async fn create_assign_and_delete_work_as_plain_forms() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let csrf = enc(&admin.csrf);

    // Bad input: back to the form (the field named there, see `form_flash`), nothing written.
    let bad = format!(
        "csrf={csrf}&form[name]=Bad_Name&form[scope]=Organization&form[use_case]=Generic&form[kind]=External&form[store]=vault&form[secret_key][0]=k&form[remote_key][0]=shared/x"
    );
    let response = admin
        .post_from("/secrets/new", "create_secret_form", &bad)
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/secrets/new");
    let (_, flash) = admin
        .call("take_flash", json!({"path": "/secrets/new"}))
        .await;
    assert_eq!(flash["failed"]["error"]["field"], "name", "{flash}");
    assert_eq!(count_named(&admin, "Bad_Name").await, 0);

    // Good input, with blank rows as the page renders them: a redirect to the new secret.
    let good = format!(
        "csrf={csrf}&form[name]=form-made&form[scope]=Organization&form[use_case]=Generic&form[description]=made+by+a+form&form[kind]=External&form[store]=vault&form[refresh_interval]=1h0m0s\
         &form[secret_key][0]=password&form[remote_key][0]=shared/postgres/password&form[property][0]=&form[version][0]=\
         &form[secret_key][1]=&form[remote_key][1]=&form[property][1]=&form[version][1]=\
         &form[secret_type]=Opaque&form[key][0]=&form[value][0]="
    );
    let response = admin
        .post_from("/secrets/new", "create_secret_form", &good)
        .await;
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/secrets/"), "{location}");
    let id: i64 = location.trim_start_matches("/secrets/").parse().unwrap();
    let (_, detail) = admin.call("get_secret", json!({"id": id})).await;
    assert_eq!(
        detail["spec"]["data"].as_array().unwrap().len(),
        1,
        "the blank row is ignored"
    );

    // Assign through the form (checkbox list), then the options say so.
    let (_, projects) = admin.call("list_projects", json!({})).await;
    let ids: Vec<i64> = projects
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "payments" || p["name"] == "search")
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    let assign = format!(
        "csrf={csrf}&id={id}&project_ids[0]={}&project_ids[1]={}",
        ids[0], ids[1]
    );
    let response = admin
        .post_from("/secrets/new", "set_assignments", &assign)
        .await;
    assert!(
        response.status().is_redirection() || response.status() == 200,
        "{}",
        response.status()
    );
    let (_, options) = admin.call("assign_options", json!({"id": id})).await;
    let assigned = options
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["assigned"] == true)
        .count();
    assert_eq!(assigned, 2, "{options}");

    // Delete: the confirmation must repeat the name.
    let response = admin
        .post_from(
            "/secrets/new",
            "delete_secret",
            &format!("csrf={csrf}&id={id}&confirm=form-mad"),
        )
        .await;
    assert_eq!(response.status(), 303);
    let (_, flash) = admin
        .call("take_flash", json!({"path": "/secrets/new"}))
        .await;
    assert!(
        flash["failed"]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("form-made")),
        "{flash}"
    );
    assert_eq!(count_named(&admin, "form-made").await, 1, "still there");
    let response = admin
        .post_from(
            "/secrets/new",
            "delete_secret",
            &format!("csrf={csrf}&id={id}&confirm=form-made"),
        )
        .await;
    assert_eq!(response.status(), 303);
    // To the list, nothing in the URL: the list's one-time message says what was deleted.
    assert_eq!(response.headers()["location"], "/secrets");
    let list = |admin: &Client| {
        admin
            .http
            .get(format!("{}/secrets", admin.base))
            .header("accept", "text/html")
            .send()
    };
    let html = list(&admin).await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Secret form-made deleted."),
        "said on the list"
    );
    let again = list(&admin).await.unwrap().text().await.unwrap();
    assert!(!again.contains("form-made deleted"), "said once");
}

#[tokio::test]
async fn the_preview_shows_the_object_with_values_masked() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, projects) = dev.call("list_projects", json!({})).await;
    let payments = projects[0]["id"].as_i64().unwrap();
    let (status, preview) = dev
        .call("preview_secret", json!({"form": {"name": "api-token", "scope": "Project", "project_id": payments, "use_case": "Generic", "kind": "Kubernetes", "secret_type": "Opaque", "key": ["TOKEN"], "value": ["canary-preview-value"]}}))
        .await;
    assert_eq!(status, 200, "{preview}");
    let text = preview.as_str().unwrap();
    assert!(text.contains("\"namespace\": \"payments\""), "{text}");
    assert!(text.contains("<hidden: 20 bytes>"), "{text}");
    assert!(
        !text.contains("canary-preview-value"),
        "the value never comes back"
    );
    let (status, preview) = dev
        .call("preview_secret", json!({"form": {"name": "ext", "scope": "Project", "project_id": payments, "use_case": "Generic", "kind": "External", "store": "vault", "secret_key": ["k"], "remote_key": ["payments/x"]}}))
        .await;
    assert_eq!(status, 200);
    let text = preview.as_str().unwrap();
    assert!(
        text.contains("\"kind\": \"ExternalSecret\"") && text.contains("creationPolicy"),
        "{text}"
    );
}

#[tokio::test]
async fn bulk_actions_change_each_allowed_secret_and_name_each_refusal() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, page) = admin
        .call("list_secrets", json!({"query": {"search": null, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .await;
    let id_of = |name: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (org, own) = (id_of("postgres-credentials"), id_of("payments-api-key"));
    let hidden = id_of("huggingface-token");

    // A member: their project secret syncs; the org secret is refused by name; one they cannot
    // see is neither changed nor mentioned.
    let (status, outcome) = dev
        .call("bulk_secrets", json!({"csrf": dev.csrf, "action": "delete", "ids": [own, org, hidden], "confirm": "delete"}))
        .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["done"], 1, "{outcome}");
    let refused = outcome["refused"].to_string();
    assert!(refused.contains("postgres-credentials"), "{refused}");
    assert!(!refused.contains("huggingface"), "{refused}");

    // Delete needs the confirmation; assign needs projects.
    let (status, body) = admin
        .call(
            "bulk_secrets",
            json!({"csrf": admin.csrf, "action": "delete", "ids": [org]}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("confirm")),
        "{body}"
    );
    let (status, body) = admin
        .call(
            "bulk_secrets",
            json!({"csrf": admin.csrf, "action": "assign", "ids": [org]}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("project_ids")),
        "{body}"
    );

    // Assign adds to what is there.
    let (_, options) = admin.call("assign_options", json!({"id": org})).await;
    let before = options
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["assigned"] == true)
        .count();
    let unassigned: Vec<i64> = options
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["assigned"] == false && o["collision"].is_null())
        .map(|o| o["project"]["id"].as_i64().unwrap())
        .take(1)
        .collect();
    let (status, outcome) = admin
        .call("bulk_secrets", json!({"csrf": admin.csrf, "action": "assign", "ids": [org], "project_ids": unassigned}))
        .await;
    assert_eq!(
        (status, outcome["done"].as_i64()),
        (200, Some(1)),
        "{outcome}"
    );
    let (_, options) = admin.call("assign_options", json!({"id": org})).await;
    let after = options
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["assigned"] == true)
        .count();
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn the_secrets_page_keeps_its_filters_in_the_url() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let html = admin
        .http
        .get(format!(
            "{}/secrets?q=postgres&sort=updated&desc=1",
            admin.base
        ))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("postgres-credentials"), "the search applies");
    assert!(
        !html.contains(">huggingface-token<"),
        "others are filtered out"
    );
    assert!(
        html.contains("value=\"postgres\""),
        "the search box keeps the term"
    );
    assert!(
        html.contains("aria-sort=\"descending\""),
        "the sorted column says so"
    );
}

#[tokio::test]
async fn the_edit_form_keeps_blank_values_and_replaces_typed_ones() {
    let data_dir = tempfile::tempdir().unwrap();
    let db = Backend::Sqlite.fresh_database().await;
    let server = crate::auth::demo_server_on(&db, Vec::new(), Some(data_dir.path())).await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, projects) = dev.call("list_projects", json!({})).await;
    let payments = projects[0]["id"].as_i64().unwrap();
    let csrf = enc(&dev.csrf);
    let create = format!(
        "csrf={csrf}&form[name]=edit-me&form[scope]=Project&form[project_id]={payments}&form[use_case]=Generic&form[kind]=Kubernetes&form[secret_type]=Opaque&form[key][0]=A&form[value][0]=canary-first-a&form[key][1]=B&form[value][1]=canary-first-b"
    );
    let response = dev
        .post_from("/secrets/new", "create_secret_form", &create)
        .await;
    assert_eq!(response.status(), 303);
    let id: i64 = response.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/secrets/")
        .parse()
        .unwrap();
    let version = |detail: &serde_json::Value| detail["secret"]["version"].as_i64().unwrap();
    let (_, detail) = dev.call("get_secret", json!({"id": id})).await;

    // The edit page never shows a value.
    let page = dev
        .http
        .get(format!("{}/secrets/{id}/edit", dev.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Edit edit-me"), "{page}");
    assert!(!page.contains("canary-first"), "no value on the edit page");

    // A blank keeps A; B is replaced; C is new.
    let edit = format!(
        "csrf={csrf}&id={id}&version={}&form[name]=edit-me&form[scope]=Project&form[project_id]={payments}&form[use_case]=Generic&form[kind]=Kubernetes&form[secret_type]=Opaque&form[key][0]=A&form[value][0]=&form[key][1]=B&form[value][1]=canary-second-b&form[key][2]=C&form[value][2]=canary-new-c",
        version(&detail)
    );
    let response = dev
        .post_from("/secrets/new", "update_secret_form", &edit)
        .await;
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    // A stale version is a conflict that changes nothing: back to the form, which says so.
    let response = dev
        .post_from("/secrets/new", "update_secret_form", &edit)
        .await;
    assert_eq!(response.status(), 303);
    let (_, flash) = dev
        .call("take_flash", json!({"path": "/secrets/new"}))
        .await;
    assert_eq!(flash["failed"]["error"]["kind"], "conflict", "{flash}");

    // What the cluster gets is the truth: read the values back through the service.
    use secrets_console::server::config::DatabaseUrl;
    use secrets_console::server::crypto::{Keyring, MasterKey};
    let dbh = secrets_console::server::db::Db::connect(&DatabaseUrl::new(db.url.clone()))
        .await
        .unwrap();
    let keys = Keyring::new(MasterKey::load(&data_dir.path().join("master.key")).unwrap());
    let values = secrets_console::server::secrets::decrypt_values(&dbh, &keys, id)
        .await
        .unwrap();
    assert_eq!(values.get("A"), Some("canary-first-a"));
    assert_eq!(values.get("B"), Some("canary-second-b"));
    assert_eq!(values.get("C"), Some("canary-new-c"));
}

#[tokio::test]
async fn admins_edit_a_projects_allowlist_and_members_are_held_to_it() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, projects) = dev.call("list_projects", json!({})).await;
    let payments = projects[0]["id"].as_i64().unwrap();
    let (status, body) = admin
        .call("set_allowlist", json!({"csrf": admin.csrf, "project_id": payments, "stores": "vault\nBad Store", "key_prefixes": "payments/"}))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("stores")),
        "{body}"
    );
    let (status, _) = admin
        .call("set_allowlist", json!({"csrf": admin.csrf, "project_id": payments, "stores": "aws-secrets-manager", "key_prefixes": "payments/, shared/postgres/"}))
        .await;
    assert_eq!(status, 200);
    let (_, list) = admin
        .call("get_allowlist", json!({"project_id": payments}))
        .await;
    assert_eq!(list["stores"], json!(["aws-secrets-manager"]));
    assert_eq!(
        list["key_prefixes"],
        json!(["payments/", "shared/postgres/"])
    );
    let (_, options) = dev
        .call("form_options", json!({"project_id": payments}))
        .await;
    assert_eq!(
        options["stores"],
        json!(["aws-secrets-manager"]),
        "the form offers what is allowed"
    );
    let create = |store: &str| json!({"csrf": dev.csrf, "form": {"name": "held", "scope": "Project", "project_id": payments, "use_case": "Generic", "kind": "External", "store": store, "secret_key": ["k"], "remote_key": ["shared/postgres/password"]}});
    let (status, body) = dev.call("create_secret_form", create("vault")).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("store")),
        "{body}"
    );
    let (status, _) = dev
        .call("create_secret_form", create("aws-secrets-manager"))
        .await;
    assert!(status == 302 || status == 200, "{status}");
}

#[tokio::test]
async fn a_members_filters_say_nothing_about_other_projects() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let search = project_id(&admin, "search").await;
    let query = |project: Option<i64>, status: Option<&str>| json!({"query": {"search": null, "kind": null, "scope": null, "status": status, "project_id": project, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}});
    // postgres-credentials is assigned to payments (dev's) and to search (not dev's).
    let (_, page) = dev.call("list_secrets", query(Some(search), None)).await;
    assert_eq!(
        page["total"], 0,
        "another project's id matches nothing: {page}"
    );
    // legacy-api-key is SyncedError in search only; dev must not find "SyncedError" rows
    // through it (dev's own assignments are what counts).
    let (_, page) = dev
        .call("list_secrets", query(None, Some("SyncedError")))
        .await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"postgres-credentials"), "{names:?}");
}

/// The assign form's choices come with the detail for admins only; a member opening an
/// organization secret is not offered them, and that is no refusal: nothing "denied" is
/// audited (it was, once per view and per live refresh).
#[tokio::test]
async fn the_assign_choices_come_with_the_detail_for_admins_only() {
    let (server, db) = demo_server(&Backend::Sqlite, vec![]).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let member = Client::signed_in(&server, "dev@example.com").await;
    let id = secret_id(&member, "postgres-credentials").await;
    let (status, detail) = member.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200, "{detail}");
    assert!(detail["assign_options"].is_null(), "{detail}");
    let (status, detail) = admin.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200);
    assert!(
        detail["assign_options"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o["project"]["name"] == "payments")),
        "{detail}"
    );
    let pool = db.any_pool().await;
    let denied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries WHERE outcome = 'denied'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(denied, 0, "viewing is not a refused assignment");
}
