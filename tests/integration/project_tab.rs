//! A project's Secrets tab over HTTP: the admin's "Assign existing secret" picker (collisions
//! disabled with the reason in words) and what it assigns, the rows with that project's
//! assignment, and a member refused the admin's actions.

use serde_json::json;

use crate::auth::{Client, demo_server, external_spec, secret_id};
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(the_picker_offers_unassigned_secrets_and_explains_collisions);

async fn the_picker_offers_unassigned_secrets_and_explains_collisions(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, projects) = admin.call("list_projects", json!({})).await;
    let project = |name: &str| {
        (projects.as_array().unwrap().iter())
            .find(|p| p["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (payments, search) = (project("payments"), project("search"));
    // An organization secret named like payments' own `payments-api-key`, and one free to go.
    let mut ids = Vec::new();
    for name in ["payments-api-key", "tab-free"] {
        let (status, id) = admin
            .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/x"), "values": []}}))
            .await;
        assert_eq!(status, 200, "{id}");
        ids.push(id.as_i64().unwrap());
    }
    let (clashing, free) = (ids[0], ids[1]);

    let (status, offered) = admin
        .call("assignable_secrets", json!({"project_id": payments}))
        .await;
    assert_eq!(status, 200, "{offered}");
    let entry = |id: i64| {
        (offered.as_array().unwrap().iter())
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not offered: {offered}"))
    };
    assert_eq!(entry(free)["blocked"], serde_json::Value::Null);
    assert_eq!(
        entry(clashing)["blocked"],
        "payments has its own project secret named payments-api-key, and both would create an object of that name in its namespace"
    );
    // `postgres-credentials` is assigned to payments already: not offered there.
    let postgres = secret_id(&admin, "postgres-credentials").await;
    assert!(
        (offered.as_array().unwrap().iter()).all(|s| s["id"] != postgres),
        "{offered}"
    );

    // The collision is refused at the picker's field, in words.
    let (status, body) = admin
        .call(
            "assign_existing",
            json!({"csrf": admin.csrf, "project_id": payments, "id": clashing}),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("id")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("payments-api-key"),
        "{body}"
    );
    // A member of payments may neither assign there nor remove an organization secret.
    let (status, _) = dev
        .call(
            "assign_existing",
            json!({"csrf": dev.csrf, "project_id": payments, "id": free}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = dev
        .call(
            "unassign_secret",
            json!({"csrf": dev.csrf, "id": postgres, "project_id": payments}),
        )
        .await;
    assert_eq!(status, 403);

    // Assigned, it is a row of the tab (Pending or further) and no longer offered there; its
    // other projects are kept.
    let (status, body) = admin
        .call(
            "assign_existing",
            json!({"csrf": admin.csrf, "project_id": search, "id": free}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin
        .call(
            "assign_existing",
            json!({"csrf": admin.csrf, "project_id": payments, "id": free}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, rows) = admin
        .call("project_tab_rows", json!({"project_id": search}))
        .await;
    let row = (rows.as_array().unwrap().iter())
        .find(|r| r["secret"]["id"] == free)
        .unwrap_or_else(|| panic!("not a row: {rows}"));
    assert!(
        row["secret"]["permissions"]["can_assign"]
            .as_bool()
            .unwrap()
    );
    let (_, offered) = admin
        .call("assignable_secrets", json!({"project_id": search}))
        .await;
    assert!((offered.as_array().unwrap().iter()).all(|s| s["id"] != free));
    let (_, detail) = admin.call("get_secret", json!({"id": free})).await;
    assert_eq!(
        detail["assignments"].as_array().unwrap().len(),
        2,
        "{detail}"
    );

    // The member's tab: their project's own secret may be edited and deleted, the
    // organization one may not be removed.
    let (status, rows) = dev
        .call("project_tab_rows", json!({"project_id": payments}))
        .await;
    assert_eq!(status, 200, "{rows}");
    let may = |name: &str| {
        (rows.as_array().unwrap().iter())
            .find(|r| {
                r["secret"]["name"] == name
                    && r["secret"]["scope"]
                        == if name == "payments-api-key" {
                            "Project"
                        } else {
                            "Organization"
                        }
            })
            .unwrap_or_else(|| panic!("{name} not a row: {rows}"))["secret"]["permissions"]
            .clone()
    };
    assert_eq!(may("payments-api-key")["can_edit"], true);
    assert_eq!(may("payments-api-key")["can_delete"], true);
    assert_eq!(may("postgres-credentials")["can_assign"], false);
}
