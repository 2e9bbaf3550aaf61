//! A pasted ExternalSecret manifest over HTTP: read by the YAML tab's server function, saved
//! with every field through create, and a team member held to the project's allowlist (a
//! `find` outside it refused naming `spec.dataFrom[0].find.path`), on both backends; and the
//! YAML tab's journey to the simulated cluster (issue 23's first "Done when").

use std::time::Duration;

use kube::api::Api;
use secrets_console::model::secret::{ExternalSpec, Scope, SecretForm, SecretSpec, UseCase};
use serde_json::{Value, json};

use crate::auth::{Client, demo_server, demo_server_on, secret_id};
use crate::on_both_backends;
use crate::reconcile::external_secrets;
use crate::simulated::client_for;
use crate::support::Backend;

on_both_backends!(
    a_members_find_outside_the_allowlist_is_refused_naming_its_path,
    a_pasted_manifest_is_saved_with_every_field_and_reads_back,
    a_pasted_v1beta1_manifest_lands_as_v1_with_its_data_from_and_template,
    a_manifest_posted_without_javascript_is_created_or_shown_again_with_its_problems,
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

/// The journey of issue 23's first "Done when", through the server functions the YAML tab and
/// the create form call: a `v1beta1` manifest with `dataFrom` extract and a template is read,
/// posted as the form (its hidden extras included) and assigned to payments; the simulated
/// cluster then holds the canonical v1 ExternalSecret with both intact, and its target Secret
/// the extracted keys and the templated one. "Edit as YAML" writes the form back as a manifest
/// that reads back to the same spec.
async fn a_pasted_v1beta1_manifest_lands_as_v1_with_its_data_from_and_template(backend: Backend) {
    let data_dir = tempfile::tempdir().unwrap();
    let db = backend.fresh_database().await;
    let server = demo_server_on(&db, Vec::new(), Some(data_dir.path())).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let payments = payments_id(&admin).await;
    let template = "postgres://{{ .username }}:{{ .password }}@{{ .host }}/app";
    let yaml = format!(
        "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: \
         journey-postgres\nspec:\n  refreshInterval: 1h\n  secretStoreRef:\n    name: vault\n    \
         kind: ClusterSecretStore\n  target:\n    template:\n      engineVersion: v2\n      \
         mergePolicy: Merge\n      data:\n        url: \"{template}\"\n  dataFrom:\n  - extract:\n      \
         key: shared/postgres\n"
    );
    let (status, parsed) = admin
        .call("parse_external_secret_yaml", json!({"yaml": yaml}))
        .await;
    assert_eq!(status, 200, "{parsed}");
    let spec: ExternalSpec = serde_json::from_value(parsed["spec"].clone()).unwrap();
    // The form as the YAML tab fills it: no rows, everything else in the hidden field.
    let mut form = SecretForm::of(
        "journey-postgres",
        Scope::Organization,
        None,
        UseCase::Generic,
        "",
        &SecretSpec::External(spec.clone()),
    );
    form.assign_to = vec![payments];
    assert!(form.secret_key.is_empty() && !form.external_extra.is_empty());
    let posted = serde_json::to_value(&form).unwrap();
    let (status, body) = admin
        .call(
            "create_secret_form",
            json!({"csrf": admin.csrf, "form": posted}),
        )
        .await;
    assert!(status == 200 || status == 302, "{status} {body}");
    let id = secret_id(&admin, "journey-postgres").await;
    let (_, detail) = admin.call("get_secret", json!({"id": id})).await;
    let stored: ExternalSpec = serde_json::from_value({
        let mut spec = detail["spec"].clone();
        spec.as_object_mut().unwrap().remove("kind");
        spec
    })
    .unwrap();
    assert_eq!(stored, spec, "saved with every field");

    // Synced in payments.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, detail) = admin.call("get_secret", json!({"id": id})).await;
        if detail["assignments"][0]["status"] == "Synced" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not Synced: {}",
            detail["assignments"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // `kubectl get externalsecret journey-postgres -n payments -o yaml`: v1, intact.
    let cluster = client_for(&data_dir.path().join("sim").join("kubeconfig"), "aws-dev").await;
    let applied = external_secrets(&cluster, "payments")
        .get("journey-postgres")
        .await
        .unwrap();
    let types = applied.types.clone().unwrap();
    assert_eq!(types.api_version, "external-secrets.io/v1");
    let applied_spec = &applied.data["spec"];
    assert_eq!(
        applied_spec["dataFrom"][0]["extract"]["key"], "shared/postgres",
        "{applied_spec}"
    );
    let applied_template = &applied_spec["target"]["template"];
    assert_eq!(applied_template["data"]["url"], template, "{applied_spec}");
    assert_eq!(applied_template["mergePolicy"], "Merge");
    assert_eq!(applied_template["engineVersion"], "v2");

    // The target Secret: the extracted keys, and the templated one assembled from them.
    let secret = Api::<k8s_openapi::api::core::v1::Secret>::namespaced(cluster, "payments")
        .get("journey-postgres")
        .await
        .unwrap();
    let data = secret.data.unwrap_or_default();
    let keys: Vec<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(keys, ["host", "password", "url", "username"]);
    assert_eq!(
        String::from_utf8(data["url"].0.clone()).unwrap(),
        "postgres://app:demo-postgres-password@postgres.shared.svc/app"
    );

    // "Edit as YAML": the form written back as a manifest reads back to the same spec.
    let (status, yaml) = admin
        .call("external_secret_form_yaml", json!({"form": posted}))
        .await;
    assert_eq!(status, 200, "{yaml}");
    let yaml = yaml.as_str().unwrap().to_owned();
    assert!(
        yaml.contains("extract:") && !yaml.contains("namespace:"),
        "{yaml}"
    );
    let (status, again) = admin
        .call("parse_external_secret_yaml", json!({"yaml": yaml}))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["spec"], parsed["spec"]);
    assert_eq!(again["notes"], json!([]), "nothing the console owns in it");
}

/// Posts a form as a browser without JavaScript does, from the page at `from`.
async fn post_from(
    client: &Client,
    from: &str,
    endpoint: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    client.post_from(from, endpoint, &body).await
}

/// Whether payments has a secret named `name`, as its member sees it.
async fn exists(client: &Client, name: &str) -> bool {
    let (status, body) = client
        .call(
            "secret_id_by_name",
            json!({"project": "payments", "name": name}),
        )
        .await;
    assert!(status == 200 || status == 404, "{status} {body}");
    status == 200
}

/// The YAML tab without JavaScript (issue 23): a team member pastes a manifest into the
/// create page's plain form. Refused, the page comes back with the manifest as pasted and each
/// problem named by its path, and nothing is created; a pasted Secret is not shown again;
/// accepted, the secret is created with every field and the next page says so.
async fn a_manifest_posted_without_javascript_is_created_or_shown_again_with_its_problems(
    backend: Backend,
) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let payments = payments_id(&dev).await.to_string();
    let from = "/projects/payments/secrets/new";
    let post = |yaml: String| {
        let (dev, payments) = (&dev, payments.clone());
        async move {
            let fields = [
                ("csrf", dev.csrf.as_str()),
                ("yaml", yaml.as_str()),
                ("scope", "Project"),
                ("project_id", payments.as_str()),
            ];
            post_from(dev, from, "create_secret_yaml_form", &fields).await
        }
    };

    // Outside payments' allowlist, and a `dataFrom` the CRD refuses: both named by path.
    let refused = manifest("kept-refused", "search/").replace(
        "  dataFrom:\n",
        "  dataFrom:\n  - extract: {property: username}\n",
    );
    let response = post(refused).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        from,
        "back to the form, nothing in the URL"
    );
    let html = dev.page(from).await;
    assert!(html.contains("name: kept-refused"), "the manifest is kept");
    assert!(html.contains("path: search/"), "as it was pasted");
    assert!(
        html.contains("spec.dataFrom[0].extract.key"),
        "the problem named by its path"
    );
    assert!(!exists(&dev, "kept-refused").await, "nothing is created");
    let response = post(manifest("kept-refused", "search/")).await;
    assert_eq!(response.status(), 303);
    let html = dev.page(from).await;
    assert!(
        html.contains("spec.dataFrom[0].find.path"),
        "the allowlist's problem named by its path"
    );
    assert!(!exists(&dev, "kept-refused").await, "nothing is created");

    // Not an ExternalSecret: refused, and what was pasted (values, maybe) is not kept.
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: pasted}\nstringData:\n  \
                  password: canary-yaml-post\n";
    let response = post(secret.to_owned()).await;
    assert_eq!(response.status(), 303);
    let html = dev.page(from).await;
    assert!(html.contains("must be ExternalSecret"), "why");
    assert!(
        !html.contains("canary-yaml-post"),
        "a value never comes back"
    );

    // Accepted: created in payments with every field, and said on the secret's page.
    let response = post(manifest("posted-plain", "payments/")).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/secrets/"), "{location}");
    let html = dev.page(&location).await;
    assert!(html.contains("Secret posted-plain created."), "the success");
    let id: i64 = location.trim_start_matches("/secrets/").parse().unwrap();
    let (status, detail) = dev.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["secret"]["scope"], "Project", "{detail}");
    assert_eq!(
        detail["spec"]["data_from"][0]["find"]["path"], "payments/",
        "{detail}"
    );
    assert_eq!(
        detail["spec"]["target"]["template"]["data"]["DATABASE_URL"],
        "postgres://{{ .username }}@db/app"
    );
    // The same name again: refused naming `metadata.name`, the manifest kept.
    let response = post(manifest("posted-plain", "payments/")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], from);
    let html = dev.page(from).await;
    assert!(
        html.contains("metadata.name"),
        "the name's problem by its path"
    );
    assert!(html.contains("already has a secret named"), "{html}");
}
