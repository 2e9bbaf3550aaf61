//! A pasted ExternalSecret manifest over HTTP: read by the YAML tab's server function, saved
//! with every field through create, and a team member held to the project's allowlist (a
//! `find` outside it refused naming `spec.dataFrom[0].find.path`), on both backends.

use serde_json::{Value, json};

use crate::auth::{Client, demo_server, secret_id};
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    a_members_find_outside_the_allowlist_is_refused_naming_its_path,
    a_pasted_manifest_is_saved_with_every_field_and_reads_back,
);

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

/// A v1beta1 manifest that finds secrets under `path` and extracts `shared`-less `key`.
fn manifest(name: &str, path: &str) -> String {
    format!(
        "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: {name}\n\
         spec:\n  refreshInterval: 1h\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  \
         target:\n    template:\n      engineVersion: v2\n      data:\n        DATABASE_URL: \
         \"postgres://{{{{ .username }}}}@db/app\"\n  dataFrom:\n  - find:\n      path: {path}\n      \
         name: {{regexp: \"^db-\"}}\n"
    )
}

async fn a_members_find_outside_the_allowlist_is_refused_naming_its_path(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let payments = payments_id(&dev).await;
    let parse = |yaml: String| json!({"yaml": yaml, "project_id": payments});

    let (status, body) = dev
        .call(
            "parse_external_secret_yaml",
            parse(manifest("found", "search/")),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "spec.dataFrom[0].find.path", "{body}");
    // The admin is not held to the allowlist.
    let (status, body) = admin
        .call(
            "parse_external_secret_yaml",
            parse(manifest("found", "search/")),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The same spec sent to create as JSON, past the YAML tab: refused the same way.
    let (status, parsed) = dev
        .call(
            "parse_external_secret_yaml",
            parse(manifest("found", "payments/")),
        )
        .await;
    assert_eq!(status, 200, "{parsed}");
    let mut spec = parsed["spec"].clone();
    spec["kind"] = json!("External");
    spec["data_from"][0]["find"]["path"] = json!("search");
    let create = json!({"csrf": dev.csrf, "input": {"name": "found", "scope": "Project", "project_id": payments, "use_case": "Generic", "description": "", "spec": spec, "values": []}});
    let (status, body) = dev.call("create_secret", create).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "spec.dataFrom[0].find.path", "{body}");
}

async fn a_pasted_manifest_is_saved_with_every_field_and_reads_back(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let payments = payments_id(&dev).await;
    let (status, parsed) = dev
        .call(
            "parse_external_secret_yaml",
            json!({"yaml": manifest("pasted-db", "payments/"), "project_id": payments}),
        )
        .await;
    assert_eq!(status, 200, "{parsed}");
    assert_eq!(parsed["name"], "pasted-db");
    assert!(
        parsed["notes"][0].as_str().unwrap().contains("v1beta1"),
        "{parsed}"
    );
    let mut spec = parsed["spec"].clone();
    spec["kind"] = json!("External");
    let create = json!({"csrf": dev.csrf, "input": {"name": "pasted-db", "scope": "Project", "project_id": payments, "use_case": "Generic", "description": "", "spec": spec.clone(), "values": []}});
    let (status, body) = dev.call("create_secret", create).await;
    assert_eq!(status, 200, "{body}");
    let id = secret_id(&dev, "pasted-db").await;
    let (status, detail) = dev.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200, "{detail}");
    let stored: &Value = &detail["spec"];
    assert_eq!(stored["data_from"], spec["data_from"], "{detail}");
    assert_eq!(
        stored["target"]["template"]["data"]["DATABASE_URL"],
        "postgres://{{ .username }}@db/app"
    );
}
