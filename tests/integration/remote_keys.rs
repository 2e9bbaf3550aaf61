//! Remote keys are paths: a team member held to a key prefix can neither climb out of it with
//! `..` nor reach a sibling that only shares its first letters, over HTTP on both backends.

use serde_json::{Value, json};

use crate::auth::{Client, demo_server, external_spec};
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    a_member_cannot_create_a_secret_outside_the_key_prefix_and_nothing_is_written,
    admins_cannot_save_a_key_prefix_that_is_not_a_clean_path,
);

/// The names of every secret the admin sees.
async fn secret_names(admin: &Client) -> Vec<String> {
    let (status, page) = admin
        .call("list_secrets", json!({"query": {"search": null, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 100}}))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A project's allowlist, as the admin page loads it.
async fn allowlist(admin: &Client, project: i64) -> Value {
    let (status, list) = admin
        .call("get_allowlist", json!({"project_id": project}))
        .await;
    assert_eq!(status, 200, "{list}");
    list
}

async fn payments_id(client: &Client) -> i64 {
    let (_, projects) = client.call("list_projects", json!({})).await;
    projects
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "payments")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn a_member_cannot_create_a_secret_outside_the_key_prefix_and_nothing_is_written(
    backend: Backend,
) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let payments = payments_id(&dev).await;
    let create = |name: &str, key: &str| json!({"csrf": dev.csrf, "input": {"name": name, "scope": "Project", "project_id": payments, "use_case": "Generic", "description": "", "spec": external_spec("vault", key), "values": []}});
    let before = secret_names(&admin).await;

    // The demo seeds `payments/`; written without the slash it must hold the member the same.
    for prefix in ["payments/", "payments"] {
        let (status, body) = admin
            .call("set_allowlist", json!({"csrf": admin.csrf, "project_id": payments, "stores": "vault", "key_prefixes": prefix}))
            .await;
        assert_eq!(status, 200, "{body}");
        for (name, key, says) in [
            ("climber", "payments/../search/db", "'..'"),
            ("sibling", "payments-admin/x", "payments"),
        ] {
            let (status, body) = dev.call("create_secret", create(name, key)).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (422, Some("data[0].remote_key")),
                "{key} with prefix {prefix}: {body}"
            );
            let message = body["message"].as_str().unwrap_or_default();
            assert!(message.contains(says), "{key}: {message}");
        }
    }
    assert_eq!(
        secret_names(&admin).await,
        before,
        "a refused create wrote something"
    );

    // The same member, the same prefix, a key inside it: created, and listed.
    let (status, body) = dev
        .call("create_secret", create("inside", "payments/db/password"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(secret_names(&admin).await.contains(&"inside".to_owned()));
}

async fn admins_cannot_save_a_key_prefix_that_is_not_a_clean_path(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let payments = payments_id(&admin).await;
    let before = allowlist(&admin, payments).await;
    assert_eq!(
        before["key_prefixes"],
        json!(["payments/"]),
        "the demo seed"
    );
    for bad in ["payments/../search", "/payments", "payments//"] {
        let (status, body) = admin
            .call("set_allowlist", json!({"csrf": admin.csrf, "project_id": payments, "stores": "vault", "key_prefixes": bad}))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("key_prefixes")),
            "{bad}: {body}"
        );
        assert!(
            body["message"].as_str().unwrap_or_default().contains(bad),
            "{bad}: {body}"
        );
    }
    assert_eq!(
        allowlist(&admin, payments).await,
        before,
        "a refused save changed the allowlist"
    );
}
