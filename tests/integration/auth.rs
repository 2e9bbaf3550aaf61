//! Sign-in, sessions, CSRF and the permission matrix, over HTTP against the real binary.

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, ServerOptions, TestServer};

pub(crate) const PASSWORD: &str = "test-password-123";

on_both_backends!(every_server_function_answers_each_role_as_designed);

pub(crate) async fn demo_server(
    backend: &Backend,
    extra: Vec<(&'static str, String)>,
) -> (TestServer, crate::support::TestDb) {
    let db = backend.fresh_database().await;
    let server = demo_server_on(&db, extra, None).await;
    (server, db)
}

/// The demo on a given database (and data directory), as a restart would find it.
pub(crate) async fn demo_server_on(
    db: &crate::support::TestDb,
    extra: Vec<(&'static str, String)>,
    data_dir: Option<&std::path::Path>,
) -> TestServer {
    let mut env = vec![
        ("SECRETS_CONSOLE_DEMO", "true".to_owned()),
        ("DEMO_PASSWORD", PASSWORD.to_owned()),
    ];
    env.extend(extra);
    TestServer::start_with(ServerOptions {
        database_url: &db.url,
        env,
        data_dir,
        ..ServerOptions::default()
    })
    .await
    .unwrap_or_else(|output| panic!("server did not start:\n{output}"))
}

/// `text` as a value in a url-encoded form body.
pub(crate) fn enc(text: &str) -> String {
    text.replace('%', "%25")
        .replace('&', "%26")
        .replace('=', "%3D")
        .replace('+', "%2B")
        .replace('\n', "%0A")
}

/// A browser-like client: its own cookie jar, the CSRF token of its session.
pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) csrf: String,
}

impl Client {
    pub(crate) fn anonymous(server: &TestServer) -> Client {
        Client {
            http: server.client(),
            base: server.base.clone(),
            csrf: String::new(),
        }
    }

    pub(crate) async fn signed_in(server: &TestServer, email: &str) -> Client {
        let mut client = Client::anonymous(server);
        let response = client.login(email, PASSWORD).await;
        assert!(
            response.status().is_redirection() || response.status() == 200,
            "login as {email}: {}",
            response.status()
        );
        let me = client.call("whoami", json!({})).await;
        assert_eq!(me.0, 200);
        client.csrf = me.1["csrf_token"].as_str().expect("a token").to_owned();
        client
    }

    /// A page as a browser gets it: its status and body.
    pub(crate) async fn get_page(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A page as a browser gets it, which must be there (200).
    pub(crate) async fn page(&self, path: &str) -> String {
        let (status, html) = self.get_page(path).await;
        assert_eq!(status, 200, "{path}");
        html
    }

    /// Posts a url-encoded form (`body`) as a browser without JavaScript does, from the page
    /// at `from`.
    pub(crate) async fn post_from(
        &self,
        from: &str,
        endpoint: &str,
        body: &str,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", format!("{}{from}", self.base))
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/api/login", self.base))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Calls a server function with a JSON body (Json-encoded endpoints) or a form body.
    pub(crate) async fn call(&self, endpoint: &str, args: Value) -> (u16, Value) {
        let json_endpoints = [
            "list_secrets",
            "live_secrets",
            "create_secret",
            "update_secret",
            "preview_secret",
            "parse_external_secret_yaml",
            "external_secret_form_yaml",
        ];
        let request = self.http.post(format!("{}/api/{endpoint}", self.base));
        let request = if json_endpoints.contains(&endpoint) {
            request.json(&args)
        } else {
            request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&args))
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// Server functions take url-encoded forms; lists repeat their key with `[]` indexes and
/// nested objects name their fields in brackets (`form[name]`). Nulls are left out.
fn form(args: &Value) -> String {
    fn flatten(key: &str, value: &Value, pairs: &mut Vec<String>) {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    flatten(&format!("{key}[{i}]"), item, pairs);
                }
            }
            Value::Object(fields) => {
                for (field, item) in fields {
                    flatten(&format!("{key}[{field}]"), item, pairs);
                }
            }
            other => pairs.push(format!("{key}={}", scalar(other))),
        }
    }
    let mut pairs = Vec::new();
    for (key, value) in args.as_object().unwrap() {
        flatten(key, value, &mut pairs);
    }
    pairs.join("&")
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s
            .replace('%', "%25")
            .replace('&', "%26")
            .replace('=', "%3D")
            .replace('+', "%2B")
            .replace('@', "%40"),
        other => other.to_string(),
    }
}

pub(crate) fn external_spec(store: &str, remote_key: &str) -> Value {
    json!({"kind": "External", "store": store, "refresh_interval": "1h", "data": [{"secret_key": "token", "remote_key": remote_key, "property": null, "version": null}]})
}

/// A secret's id by its name, as the caller's Secrets page finds it.
pub(crate) async fn secret_id(admin: &Client, name: &str) -> i64 {
    let (status, page) = admin
        .call("list_secrets", json!({"query": {"search": name, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn version_of(admin: &Client, id: i64) -> i64 {
    let (status, detail) = admin.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200, "{detail}");
    detail["secret"]["version"].as_i64().unwrap()
}

async fn every_server_function_answers_each_role_as_designed(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;

    // A member of another project, made through the admin API.
    let (status, user) = admin
        .call("create_user", json!({"csrf": admin.csrf, "email": "other@example.com", "password": PASSWORD, "is_admin": false}))
        .await;
    assert_eq!(status, 200, "{user}");
    // A user the people cells act on (the other roles' users must stay signed in).
    let (status, spare) = admin
        .call("create_user", json!({"csrf": admin.csrf, "email": "spare@example.com", "password": PASSWORD, "is_admin": false}))
        .await;
    assert_eq!(status, 200, "{spare}");
    let spare = spare.as_i64().unwrap();
    let (_, projects) = admin.call("list_projects", json!({})).await;
    let project = |name: &str| {
        projects
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (payments, search) = (project("payments"), project("search"));
    let (status, clusters) = admin.call("list_clusters", json!({})).await;
    assert_eq!(status, 200, "{clusters}");
    let cluster = clusters[0]["id"].as_i64().unwrap();
    let (status, _) = admin
        .call(
            "set_memberships",
            json!({"csrf": admin.csrf, "user_id": user, "project_ids": [search]}),
        )
        .await;
    assert_eq!(status, 200);

    // Organization secrets assigned to payments only: one the unassign cell works on, one the
    // delete cell does (the admin's unassign is done by the time the member tries to delete,
    // and then the member no longer sees that one at all).
    let mut payments_only = Vec::new();
    for name in ["payments-only", "payments-only-too"] {
        let (status, org) = admin
            .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/x"), "values": []}}))
            .await;
        assert_eq!(status, 200, "{org}");
        let org = org.as_i64().unwrap();
        crate::live::assign(&admin, org, &[payments]).await;
        payments_only.push(org);
    }
    let (org, org_to_delete) = (payments_only[0], payments_only[1]);
    let own = secret_id(&admin, "payments-api-key").await;
    let postgres = secret_id(&admin, "postgres-credentials").await;
    // Projects the rename and delete cells act on (nothing else uses them), and payments'
    // allowlist as the demo has it, which the allowlist cell saves unchanged.
    let ml = project("ml-training");
    let (status, doomed) = admin
        .call("create_project", json!({"csrf": admin.csrf, "name": "doomed", "cluster_id": cluster, "namespace": "doomed"}))
        .await;
    assert_eq!(status, 200, "{doomed}");
    let doomed = doomed.as_i64().unwrap();
    let (status, allowlist) = admin
        .call("get_allowlist", json!({"project_id": payments}))
        .await;
    assert_eq!(status, 200, "{allowlist}");
    let lines = |field: &str| {
        (allowlist[field].as_array().unwrap().iter())
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (allowed_stores, allowed_prefixes) = (lines("stores"), lines("key_prefixes"));
    // A project secret of payments as the create form posts it (and as the preview reads it).
    let form_of = move |name: String| json!({"name": name, "scope": "Project", "project_id": payments, "use_case": "Generic", "description": "", "kind": "Kubernetes", "secret_type": "Opaque", "key": ["K"], "value": ["canary-matrix"]});
    // The admin's API token, which only the admin may revoke.
    let (status, token) = admin
        .call("create_token", json!({"csrf": admin.csrf, "name": "matrix", "access": "read-only", "expires_in_days": 7}))
        .await;
    assert_eq!(status, 200, "{token}");
    let admin_token = token["id"].as_i64().unwrap();

    let clients = [
        ("anonymous", Client::anonymous(&server)),
        (
            "member of another project",
            Client::signed_in(&server, "other@example.com").await,
        ),
        (
            "member",
            Client::signed_in(&server, "dev@example.com").await,
        ),
        (
            "admin",
            Client::signed_in(&server, "admin@example.com").await,
        ),
    ];

    // (server function, arguments for a role, expected status per role in the order above)
    type Args = Box<dyn Fn(&Client, &str) -> Value>;
    let query = json!({"query": {"search": null, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}});
    let cells: Vec<(&str, Args, [u16; 4])> = vec![
        (
            "server_info",
            Box::new(|_, _| json!({})),
            [200, 200, 200, 200],
        ),
        ("whoami", Box::new(|_, _| json!({})), [200, 200, 200, 200]),
        (
            // What the sign-in page offers: asked before anyone signs in.
            "sign_in_options",
            Box::new(|_, _| json!({})),
            [200, 200, 200, 200],
        ),
        (
            "list_secrets",
            Box::new(move |_, _| query.clone()),
            [401, 200, 200, 200],
        ),
        (
            "live_secrets",
            Box::new(move |_, _| json!({"ids": [own, org]})),
            [401, 200, 200, 200],
        ),
        (
            "list_projects",
            Box::new(|_, _| json!({})),
            [401, 200, 200, 200],
        ),
        (
            "list_project_names",
            Box::new(|_, _| json!({})),
            [401, 200, 200, 200],
        ),
        (
            "get_project",
            Box::new(|_, _| json!({"name": "payments"})),
            [401, 404, 200, 200],
        ),
        (
            "get_secret",
            Box::new(move |_, _| json!({"id": own})),
            [401, 404, 200, 200],
        ),
        (
            "get_secret",
            Box::new(move |_, _| json!({"id": org})),
            [401, 404, 200, 200],
        ),
        (
            "used_by",
            Box::new(move |_, _| json!({"id": own})),
            [401, 404, 200, 200],
        ),
        (
            "used_by",
            Box::new(move |_, _| json!({"id": org})),
            [401, 404, 200, 200],
        ),
        (
            "applied_manifests",
            Box::new(move |_, _| json!({"id": own})),
            [401, 404, 200, 200],
        ),
        (
            "applied_manifests",
            Box::new(move |_, _| json!({"id": org})),
            [401, 404, 200, 200],
        ),
        (
            "create_secret",
            Box::new(
                move |c, role| json!({"csrf": c.csrf, "input": {"name": format!("own-{}", role.len()), "scope": "Project", "project_id": payments, "use_case": "Generic", "description": "", "spec": external_spec("vault", "payments/token"), "values": []}}),
            ),
            [401, 404, 200, 200],
        ),
        (
            "create_secret",
            Box::new(
                |c, role| json!({"csrf": c.csrf, "input": {"name": format!("org-{}", role.len()), "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/y"), "values": []}}),
            ),
            [401, 403, 403, 200],
        ),
        (
            "sync_secret",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": own})),
            [401, 404, 200, 200],
        ),
        (
            "sync_secret",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": org})),
            [401, 404, 403, 200],
        ),
        (
            "set_assignments",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": org, "project_ids": [payments]})),
            [401, 404, 403, 200],
        ),
        (
            "list_users",
            Box::new(|_, _| json!({})),
            [401, 403, 403, 200],
        ),
        (
            "create_user",
            Box::new(
                |c, role| json!({"csrf": c.csrf, "email": format!("new{}@example.com", role.len()), "password": PASSWORD, "is_admin": false}),
            ),
            [401, 403, 403, 200],
        ),
        (
            "set_memberships",
            Box::new(move |c, _| json!({"csrf": c.csrf, "user_id": user, "project_ids": [search]})),
            [401, 403, 403, 200],
        ),
        (
            "set_user_disabled",
            Box::new(move |c, _| json!({"csrf": c.csrf, "user_id": spare, "disabled": false})),
            [401, 403, 403, 200],
        ),
        (
            "set_user_role",
            Box::new(move |c, _| json!({"csrf": c.csrf, "user_id": spare, "is_admin": false})),
            [401, 403, 403, 200],
        ),
        (
            "reset_password",
            Box::new(move |c, _| json!({"csrf": c.csrf, "user_id": spare})),
            [401, 403, 403, 200],
        ),
        // Only a session that just signed in with a reset password may choose one.
        (
            "choose_password",
            Box::new(|_, _| json!({"password": "a-new-password-1", "confirm": "a-new-password-1"})),
            [401, 401, 401, 401],
        ),
        (
            "list_audit",
            Box::new(|_, _| json!({"filter": {"action": "sign-in"}})),
            [401, 403, 403, 200],
        ),
        (
            "list_clusters",
            Box::new(|_, _| json!({})),
            [401, 403, 403, 200],
        ),
        (
            "list_my_tokens",
            Box::new(|_, _| json!({})),
            [401, 200, 200, 200],
        ),
        (
            "list_all_tokens",
            Box::new(|_, _| json!({})),
            [401, 403, 403, 200],
        ),
        (
            "create_token",
            Box::new(
                |c, _| json!({"csrf": c.csrf, "name": "matrix", "access": "read-write", "expires_in_days": 7}),
            ),
            [401, 200, 200, 200],
        ),
        (
            "take_created_token",
            Box::new(|_, _| json!({})),
            [401, 200, 200, 200],
        ),
        (
            // Someone else's token is not there for a member (404, as for no token at all).
            "revoke_token",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": admin_token})),
            [401, 404, 404, 200],
        ),
        (
            "create_project",
            Box::new(
                move |c, role| json!({"csrf": c.csrf, "name": format!("new-{}", role.len()), "cluster_id": cluster, "namespace": format!("new-{}", role.len())}),
            ),
            [401, 403, 403, 200],
        ),
        (
            "set_project_labels",
            Box::new(
                move |c, _| json!({"csrf": c.csrf, "project_id": search, "project_labels": "tier=matrix"}),
            ),
            [401, 403, 403, 200],
        ),
        (
            "preview_selectors",
            Box::new(|_, _| json!({"selectors": "tier=matrix"})),
            [401, 403, 403, 200],
        ),
        (
            "secret_selectors",
            Box::new(move |_, _| json!({"id": org})),
            [401, 404, 403, 200],
        ),
        (
            // No selectors before or after: the admin's is a change of nothing.
            "set_secret_selectors",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": org, "selectors": ""})),
            [401, 404, 403, 200],
        ),
        (
            "project_tab_rows",
            Box::new(move |_, _| json!({"project_id": payments})),
            [401, 404, 200, 200],
        ),
        (
            "assignable_secrets",
            Box::new(move |_, _| json!({"project_id": payments})),
            [401, 404, 403, 200],
        ),
        (
            // Already assigned there: the admin's is a change of nothing.
            "assign_existing",
            Box::new(move |c, _| json!({"csrf": c.csrf, "project_id": payments, "id": org})),
            [401, 404, 403, 200],
        ),
        (
            "unassign_secret",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": org, "project_id": payments})),
            [401, 404, 403, 200],
        ),
        (
            "delete_secret",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": org_to_delete})),
            [401, 404, 403, 200],
        ),
        (
            "sync_all",
            Box::new(move |c, _| json!({"csrf": c.csrf, "project_id": payments})),
            [401, 404, 200, 200],
        ),
        (
            "sync_all",
            Box::new(move |c, _| json!({"csrf": c.csrf, "cluster_id": cluster})),
            [401, 403, 403, 200],
        ),
        (
            "rename_project",
            Box::new(
                move |c, role| json!({"csrf": c.csrf, "project_id": ml, "name": format!("ml-{}", role.len())}),
            ),
            [401, 403, 403, 200],
        ),
        (
            "delete_project",
            Box::new(
                move |c, _| json!({"csrf": c.csrf, "project_id": doomed, "confirm": "doomed"}),
            ),
            [401, 403, 403, 200],
        ),
        (
            "secret_id_by_name",
            Box::new(|_, _| json!({"name": "payments-api-key", "project": "payments"})),
            [401, 404, 200, 200],
        ),
        (
            "get_allowlist",
            Box::new(move |_, _| json!({"project_id": payments})),
            [401, 403, 403, 200],
        ),
        (
            "set_allowlist",
            Box::new(
                move |c, _| json!({"csrf": c.csrf, "project_id": payments, "stores": allowed_stores, "key_prefixes": allowed_prefixes}),
            ),
            [401, 403, 403, 200],
        ),
        (
            "form_options",
            Box::new(move |_, _| json!({"project_id": payments})),
            [401, 404, 200, 200],
        ),
        (
            // Every cluster's stores (for organization secrets): admins.
            "form_options",
            Box::new(|_, _| json!({})),
            [401, 403, 403, 200],
        ),
        (
            "list_stores",
            Box::new(|_, _| json!({})),
            [401, 403, 403, 200],
        ),
        (
            // Anyone's own (empty) flash: a page without one asks too.
            "take_flash",
            Box::new(|_, _| json!({"path": "/secrets"})),
            [200, 200, 200, 200],
        ),
        (
            "assign_options",
            Box::new(move |_, _| json!({"id": postgres})),
            [401, 403, 403, 200],
        ),
        (
            "adopt_object",
            Box::new(move |c, _| json!({"csrf": c.csrf, "id": own, "project_id": payments})),
            [401, 404, 403, 200],
        ),
        (
            "unmanaged_objects",
            Box::new(move |_, _| json!({"project_id": payments})),
            [401, 404, 403, 200],
        ),
        (
            // No such Secret: the admin is let through to the service, which says so (422).
            "manage_existing",
            Box::new(
                move |c, _| json!({"csrf": c.csrf, "project_id": payments, "kind": "Secret", "name": "no-such-secret"}),
            ),
            [401, 404, 403, 422],
        ),
        (
            // Each secret on its own: one the caller may not see is skipped, not refused.
            "bulk_secrets",
            Box::new(move |c, _| json!({"csrf": c.csrf, "action": "sync", "ids": [own]})),
            [401, 200, 200, 200],
        ),
        (
            "create_secret_form",
            Box::new(
                move |c, role| json!({"csrf": c.csrf, "form": form_of(format!("form-{}", role.len()))}),
            ),
            [401, 404, 200, 200],
        ),
        (
            "preview_secret",
            Box::new(move |_, _| json!({"form": form_of("previewed".to_owned())})),
            [401, 404, 200, 200],
        ),
        (
            // A manifest within payments' allowlist: read, never saved.
            "parse_external_secret_yaml",
            Box::new(
                move |_, _| json!({"yaml": "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: parsed}\nspec:\n  secretStoreRef: {name: vault, kind: ClusterSecretStore}\n  dataFrom: [{extract: {key: payments/token}}]\n", "project_id": payments}),
            ),
            [401, 404, 200, 200],
        ),
        (
            // The YAML tab without JavaScript: a manifest within payments' allowlist, created.
            "create_secret_yaml_form",
            Box::new(
                move |c, role| json!({"csrf": c.csrf, "yaml": format!("apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {{name: yaml-form-{}}}\nspec:\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  dataFrom: [{{extract: {{key: payments/token}}}}]\n", role.len()), "scope": "Project", "project_id": payments}),
            ),
            [401, 404, 200, 200],
        ),
        (
            // The caller's own form written as a manifest: nothing stored is read.
            "external_secret_form_yaml",
            Box::new(
                |_, _| json!({"form": {"name": "written", "scope": "Organization", "use_case": "Generic", "kind": "External", "store": "vault", "refresh_interval": "1h", "secret_key": ["token"], "remote_key": ["shared/token"]}}),
            ),
            [401, 200, 200, 200],
        ),
    ];
    let mut failures = Vec::new();
    for (endpoint, args, expected) in &cells {
        for ((role, client), want) in clients.iter().zip(expected) {
            let (got, body) = client.call(endpoint, args(client, role)).await;
            // A form post's success is a redirect for a browser, or 200 for a script.
            let redirected = *want == 200 && got == 302 && endpoint.ends_with("_form");
            if got != *want && !redirected {
                failures.push(format!(
                    "{endpoint} as {role}: {got} (expected {want}) {body}"
                ));
            }
        }
    }

    // Editing needs the current version; each role edits in turn.
    for ((role, client), want) in clients.iter().zip([401, 404, 200, 200]) {
        let version = version_of(&admin, own).await;
        let input = json!({"version": version, "use_case": "Generic", "description": format!("edited by {role}"), "spec": {"kind": "Kubernetes", "secret_type": "Opaque", "keys": ["API_KEY"]}, "replace_values": []});
        let (got, body) = client
            .call(
                "update_secret",
                json!({"csrf": client.csrf, "id": own, "input": input}),
            )
            .await;
        if got != want {
            failures.push(format!(
                "update_secret (project secret) as {role}: {got} (expected {want}) {body}"
            ));
        }
    }
    // Success is a redirect back to the secret for a browser, or 200 for a script.
    for ((role, client), want) in clients.iter().zip([401, 404, 200, 200]) {
        let version = version_of(&admin, own).await;
        let (got, body) = client
            .call(
                "update_secret_form",
                json!({"csrf": client.csrf, "id": own, "version": version, "form": {"scope": "Project", "project_id": payments, "use_case": "Generic", "description": format!("form edit by {role}"), "kind": "Kubernetes", "secret_type": "Opaque", "key": ["API_KEY"], "value": [""]}}),
            )
            .await;
        if got != want && !(want == 200 && got == 302) {
            failures.push(format!(
                "update_secret_form (project secret) as {role}: {got} (expected {want}) {body}"
            ));
        }
    }
    for ((role, client), want) in clients.iter().zip([401, 404, 200, 200]) {
        // Member and admin each delete the project secret they created above: with the
        // reconciler running, a deleted secret is gone (404) moments later, so they must not
        // share one.
        let target = if want == 200 {
            secret_id(&admin, &format!("own-{}", role.len())).await
        } else {
            own
        };
        let (got, body) = client
            .call("delete_secret", json!({"csrf": client.csrf, "id": target}))
            .await;
        if got != want {
            failures.push(format!(
                "delete_secret (project secret) as {role}: {got} (expected {want}) {body}"
            ));
        }
    }
    for ((role, client), want) in clients.iter().zip([401, 200, 200, 200]) {
        let (got, body) = client.call("logout", json!({"csrf": client.csrf})).await;
        if got != want && !(want == 200 && got == 302) {
            failures.push(format!("logout as {role}: {got} (expected {want}) {body}"));
        }
    }
    // Last: it ends every session of the caller, so each role signs in once more for it.
    let fresh = [
        Client::anonymous(&server),
        Client::signed_in(&server, "other@example.com").await,
        Client::signed_in(&server, "dev@example.com").await,
        Client::signed_in(&server, "admin@example.com").await,
    ];
    for ((role, client), want) in clients
        .iter()
        .map(|(role, _)| role)
        .zip(&fresh)
        .zip([401, 200, 200, 200])
    {
        let (got, body) = client
            .call("sign_out_everywhere", json!({"csrf": client.csrf}))
            .await;
        if got != want && !(want == 200 && got == 302) {
            failures.push(format!(
                "sign_out_everywhere as {role}: {got} (expected {want}) {body}"
            ));
        }
    }
    // Every server function the app registers has a row above: a new one without one fails
    // here, naming it.
    let covered: std::collections::BTreeSet<&str> =
        (cells.iter().map(|(endpoint, _, _)| *endpoint))
            .chain([
                "update_secret",
                "update_secret_form",
                "delete_secret",
                "logout",
                "sign_out_everywhere",
                // Every signed-in client above signed in through it.
                "login",
            ])
            .collect();
    for endpoint in registered_endpoints() {
        if !covered.contains(endpoint.as_str()) {
            failures.push(format!(
                "{endpoint} is a server function with no row in the permission matrix"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The endpoint of every `#[server(..., endpoint = "...")]` under `src/`, as registered.
fn registered_endpoints() -> std::collections::BTreeSet<String> {
    fn walk(dir: &std::path::Path, found: &mut std::collections::BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices("#[server(") {
                    let attribute =
                        &text[at..text[at..].find(")]").map_or(text.len(), |end| at + end)];
                    if let Some(start) = attribute.find("endpoint = \"") {
                        let name = &attribute[start + "endpoint = \"".len()..];
                        found.insert(name[..name.find('"').unwrap()].to_owned());
                    }
                }
            }
        }
    }
    let mut found = std::collections::BTreeSet::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(
        found.len() > 20,
        "the server functions were found: {found:?}"
    );
    found
}

#[test]
fn every_server_function_is_found_by_the_matrix_check() {
    let found = registered_endpoints();
    for endpoint in ["login", "sync_all", "list_secrets", "whoami"] {
        assert!(found.contains(endpoint), "{endpoint} in {found:?}");
    }
}

#[tokio::test]
async fn members_reference_only_what_their_project_allows() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, projects) = dev.call("list_projects", json!({})).await;
    let payments = projects[0]["id"].as_i64().unwrap();
    let create = |store: &str, key: &str| json!({"csrf": dev.csrf, "input": {"name": "from-store", "scope": "Project", "project_id": payments, "use_case": "Generic", "description": "", "spec": external_spec(store, key), "values": []}});
    let (status, body) = dev
        .call("create_secret", create("gcp-secret-manager", "payments/x"))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("store")),
        "{body}"
    );
    let (status, body) = dev.call("create_secret", create("vault", "search/x")).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("data[0].remote_key")),
        "{body}"
    );
    let (status, _) = dev
        .call("create_secret", create("vault", "payments/x"))
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn protected_names_are_refused_at_creation_naming_the_pattern() {
    let (server, _db) = demo_server(
        &Backend::Sqlite,
        vec![(
            "SECRETS_CONSOLE_PROTECTED_NAMES",
            "sh.helm.release.v1.*,legacy-*".to_owned(),
        )],
    )
    .await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let create = |name: &str| json!({"csrf": admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/x"), "values": []}});
    for (name, pattern) in [
        ("legacy-db", "legacy-*"),
        ("sh.helm.release.v1.web.v2", "sh.helm.release.v1.*"),
    ] {
        let (status, body) = admin.call("create_secret", create(name)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (422, Some("name")),
            "{body}"
        );
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(pattern) && message.contains("protected"),
            "{message}"
        );
    }
    let (_, listed) = admin
        .call("list_secrets", json!({"query": {"search": "legacy", "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .await;
    assert!(
        !listed.to_string().contains("\"legacy-db\""),
        "nothing was written: {listed}"
    );
    let (status, body) = admin.call("create_secret", create("current-db")).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_wrong_token_or_a_cross_origin_post_is_refused() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let body = json!({"csrf": admin.csrf, "email": "x@example.com", "password": PASSWORD, "is_admin": false});

    let forged = json!({"csrf": "not-the-token", "email": "y@example.com", "password": PASSWORD, "is_admin": false});
    assert_eq!(
        admin.call("create_user", forged).await.0,
        403,
        "a wrong CSRF token is refused"
    );

    let post = |origin: Option<&str>, site: Option<&str>| {
        let mut request = admin
            .http
            .post(format!("{}/api/create_user", admin.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&body));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    let cross = post(Some("https://evil.example"), None).await.unwrap();
    assert_eq!(cross.status(), 403);
    let cross_site = post(Some(&admin.base), Some("cross-site")).await.unwrap();
    assert_eq!(cross_site.status(), 403);
    let same = post(Some(&admin.base), Some("same-origin")).await.unwrap();
    assert_eq!(same.status(), 200, "{}", same.text().await.unwrap());
}

fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.contains("sc_session="))
        .unwrap_or_else(|| panic!("no session cookie in {:?}", response.headers()))
}

#[tokio::test]
async fn session_cookies_are_strict_rotated_at_login_and_dead_after_logout() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let client = Client::anonymous(&server);
    let first = client.login("dev@example.com", PASSWORD).await;
    let cookie = session_cookie(&first);
    assert!(cookie.starts_with("sc_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP: no Secure flag: {cookie}"
    );
    let value = |c: &str| c.split(';').next().unwrap().to_owned();

    // Signing in again (as someone else) on the same client gives a new session id.
    let second = client.login("admin@example.com", PASSWORD).await;
    let rotated = session_cookie(&second);
    assert_ne!(
        value(&cookie),
        value(&rotated),
        "the session id changes at login"
    );

    // Logout invalidates the session server-side: replaying the old cookie gets nothing.
    let old = value(&rotated);
    let (_, me) = Client {
        http: client.http.clone(),
        base: client.base.clone(),
        csrf: String::new(),
    }
    .call("whoami", json!({}))
    .await;
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let (status, _) = Client {
        http: client.http.clone(),
        base: client.base.clone(),
        csrf: csrf.clone(),
    }
    .call("logout", json!({"csrf": csrf}))
    .await;
    assert!(status == 200 || status == 302, "logout: {status}");
    let replay = reqwest::Client::new()
        .post(format!("{}/api/list_secrets", server.base))
        .header("cookie", &old)
        .json(&json!({"query": {"search": null, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        401,
        "an old cookie is useless after logout"
    );
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure_and_host_prefixed() {
    let (server, _db) = demo_server(
        &Backend::Sqlite,
        vec![("SECRETS_CONSOLE_SECURE_COOKIES", "true".to_owned())],
    )
    .await;
    let response = Client::anonymous(&server)
        .login("dev@example.com", PASSWORD)
        .await;
    let cookie = session_cookie(&response);
    assert!(cookie.starts_with("__Host-sc_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
}

#[tokio::test]
async fn failed_logins_say_the_same_and_are_throttled() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let client = Client::anonymous(&server);
    let unknown = client.login("nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status(), 422);
    let unknown: Value = unknown.json().await.unwrap();
    let wrong = client.login("dev@example.com", "wrong-password-1").await;
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(unknown, wrong, "no hint whether the account exists");
    for _ in 0..4 {
        client.login("dev@example.com", "wrong-password-1").await;
    }
    let locked: Value = client
        .login("dev@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        locked["message"]
            .as_str()
            .unwrap()
            .contains("Too many failed sign-ins"),
        "{locked}"
    );
    // Another account from the same address is not locked yet.
    let other = client.login("admin@example.com", PASSWORD).await.status();
    assert!(other.is_success() || other.is_redirection(), "{other}");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let page = server
        .client()
        .get(server.url("/login"))
        .send()
        .await
        .unwrap();
    let headers = page.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the inline hydration script carries the nonce"
    );

    let api = server
        .client()
        .post(server.url("/api/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert!(
        api.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

async fn whoami_email(client: &Client) -> Option<String> {
    let (status, me) = client.call("whoami", json!({})).await;
    assert_eq!(status, 200);
    me["email"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout_and_activity_extends_them() {
    let (server, _db) = demo_server(
        &Backend::Sqlite,
        vec![("SECRETS_CONSOLE_SESSION_IDLE", "2s".to_owned())],
    )
    .await;
    let client = Client::signed_in(&server, "dev@example.com").await;
    // Active for longer than the idle timeout: still signed in.
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert_eq!(
            whoami_email(&client).await.as_deref(),
            Some("dev@example.com")
        );
    }
    // Idle for longer than it: signed out.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(whoami_email(&client).await, None);
}

#[tokio::test]
async fn sessions_end_after_their_lifetime_however_active() {
    let (server, _db) = demo_server(
        &Backend::Sqlite,
        vec![("SECRETS_CONSOLE_SESSION_LIFETIME", "3s".to_owned())],
    )
    .await;
    let client = Client::signed_in(&server, "dev@example.com").await;
    assert!(whoami_email(&client).await.is_some());
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(3500);
    while std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        whoami_email(&client).await;
    }
    assert_eq!(whoami_email(&client).await, None);
}

#[tokio::test]
async fn static_assets_and_probes_create_no_session() {
    // A session is written back at most every tenth of its idle timeout (0.2 s here).
    let (server, _db) = demo_server(
        &Backend::Sqlite,
        vec![("SECRETS_CONSOLE_SESSION_IDLE", "2s".to_owned())],
    )
    .await;
    let client = Client::signed_in(&server, "dev@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let health = client
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(health.headers().get("set-cookie").is_none());
    let page = client
        .http
        .get(server.url("/secrets"))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers().get("set-cookie").is_some(),
        "pages refresh the idle deadline"
    );
}

#[tokio::test]
async fn an_empty_selection_clears_memberships() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (_, users) = admin.call("list_users", json!({})).await;
    let dev = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "dev@example.com")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // A form with every box unchecked sends no project_ids at all.
    let (status, body) = admin
        .call(
            "set_memberships",
            json!({"csrf": admin.csrf, "user_id": dev}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, users) = admin.call("list_users", json!({})).await;
    let dev = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "dev@example.com")
        .unwrap()
        .clone();
    assert_eq!(dev["projects"], json!([]));
}
