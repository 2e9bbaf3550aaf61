//! The audit of people and power (issue 22, point 5): every sign-in (with the account and the
//! client address), sign-out and change to users, memberships, allowlists, projects and API
//! tokens is exactly one entry, and so is each change a single sign-on makes to its user; the Audit page's server function pages and filters them, newest first;
//! the export gives the same entries as JSON lines. Admins only.

use serde_json::{Value, json};

use crate::auth::{Client, PASSWORD, demo_server, external_spec};
use crate::live::project_id;
use crate::oidc::{KEY_1, TestProvider, come_back, start_sign_in};
use crate::on_both_backends;
use crate::people::user_id;
use crate::support::Backend;

on_both_backends!(
    every_change_to_people_and_power_writes_exactly_one_entry,
    the_audit_log_is_paged_newest_first_and_filtered,
    the_export_gives_the_filtered_entries_as_json_lines
);

/// Entries by people (not the reconciler), by action.
async fn counts(pool: &sqlx::AnyPool) -> std::collections::BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT action, COUNT(*) FROM audit_entries WHERE actor <> 'system' GROUP BY action",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

/// The newest entry of `action`: (actor, target, client address, project id, detail).
async fn newest(
    pool: &sqlx::AnyPool,
    action: &str,
) -> (
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
) {
    sqlx::query_as(
        "SELECT actor, target, client_address, project_id, detail FROM audit_entries \
         WHERE action = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(action)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn every_change_to_people_and_power_writes_exactly_one_entry(backend: Backend) {
    let provider = TestProvider::start().await;
    let (server, db) = demo_server(&backend, provider.env()).await;
    let pool = db.any_pool().await;
    let mut before = counts(&pool).await;
    let mut problems = Vec::new();
    // Runs one step, then checks it wrote exactly one entry of each of `actions` (sorted) and
    // nothing else; one action alone may be given as a string.
    macro_rules! step {
        ([$($action:expr),+], $body:expr) => {{
            let result = $body;
            let after = counts(&pool).await;
            let added: Vec<(String, i64)> = after
                .iter()
                .map(|(a, n)| (a.clone(), n - before.get(a).copied().unwrap_or(0)))
                .filter(|(_, n)| *n != 0)
                .collect();
            let wanted: Vec<(String, i64)> = vec![$(($action.to_owned(), 1)),+];
            if added != wanted {
                problems.push(format!("{wanted:?}: wrote {added:?}"));
            }
            before = after;
            result
        }};
        ($action:expr, $body:expr) => {
            step!([$action], $body)
        };
    }

    let admin = step!(
        "sign-in",
        Client::signed_in(&server, "admin@example.com").await
    );
    let (actor, target, address, _, _) = newest(&pool, "sign-in").await;
    assert_eq!(actor, "admin@example.com");
    assert_eq!(target.as_deref(), Some("admin@example.com"));
    assert_eq!(address.as_deref(), Some("127.0.0.1"), "the client address");

    step!("sign-in-failed", {
        let (status, _) = Client::anonymous(&server)
            .call(
                "login",
                json!({"email": "Nobody@Example.com", "password": "wrong-password!"}),
            )
            .await;
        assert_eq!(status, 422);
    });
    let (actor, _, address, _, _) = newest(&pool, "sign-in-failed").await;
    assert_eq!(
        actor, "nobody@example.com",
        "the account as typed, normalised"
    );
    assert_eq!(address.as_deref(), Some("127.0.0.1"));

    let call = |endpoint: &'static str, args: Value| {
        let admin = &admin;
        async move {
            let (status, body) = admin.call(endpoint, args).await;
            assert!(
                status == 200 || status == 302,
                "{endpoint}: {status} {body}"
            );
            body
        }
    };
    let csrf = admin.csrf.clone();

    // API tokens: created and revoked, naming their owner.
    let token = step!("token-create", call("create_token", json!({"csrf": csrf, "name": "audited-token", "access": "read-only", "expires_in_days": 7})).await);
    let (actor, target, _, _, detail) = newest(&pool, "token-create").await;
    assert_eq!(actor, "admin@example.com");
    assert_eq!(target.as_deref(), Some("admin@example.com"));
    let token_text = token["token"].as_str().unwrap().to_owned();
    assert!(
        !detail.unwrap_or_default().contains(&token_text),
        "the token's text in the log"
    );
    step!(
        "token-revoke",
        call("revoke_token", json!({"csrf": csrf, "id": token["id"]})).await
    );
    // Revoking it again changes nothing, and writes nothing.
    call("revoke_token", json!({"csrf": csrf, "id": token["id"]})).await;
    assert_eq!(counts(&pool).await, before, "a second revoke was audited");

    // Single sign-on: the first sign-in creates the user and sets their memberships from
    // their groups; a change of groups is a role change and a membership change; an unchanged
    // sign-in is a sign-in alone; a new email from the provider is an update.
    let sso = |sub: &'static str, groups: &'static [&'static str], email: Option<&'static str>| {
        let (client, provider) = (Client::anonymous(&server), &provider);
        async move {
            let started = start_sign_in(&client).await;
            let mut claims = provider.claims(&started.nonce, sub, groups);
            if let Some(email) = email {
                claims["email"] = json!(email);
            }
            provider.will_answer(&claims, KEY_1);
            assert_eq!(come_back(&client, &started.state).await, "/secrets");
        }
    };
    step!(
        ["memberships", "sign-in", "user-create"],
        sso("sso-ada", &["project:payments"], None).await
    );
    let (actor, target, _, _, detail) = newest(&pool, "user-create").await;
    assert_eq!(actor, "sso-ada@sso.example.com");
    assert_eq!(target.as_deref(), Some("sso-ada@sso.example.com"));
    assert_eq!(detail.as_deref(), Some("single sign-on: role team member"));
    step!(
        ["memberships", "sign-in", "user-role"],
        sso(
            "sso-ada",
            &[
                "secrets-console-admins",
                "project:payments",
                "project:search"
            ],
            None
        )
        .await
    );
    assert_eq!(
        newest(&pool, "user-role").await.4.as_deref(),
        Some("single sign-on: team member → platform admin")
    );
    assert_eq!(
        newest(&pool, "memberships").await.4.as_deref(),
        Some("single sign-on: member of payments, search")
    );
    step!(
        "sign-in",
        sso(
            "sso-ada",
            &[
                "project:search",
                "secrets-console-admins",
                "project:payments"
            ],
            None
        )
        .await
    );
    step!(
        ["sign-in", "user-update"],
        sso(
            "sso-ada",
            &[
                "secrets-console-admins",
                "project:payments",
                "project:search"
            ],
            Some("ada.new@sso.example.com")
        )
        .await
    );
    assert_eq!(
        newest(&pool, "user-update").await.4.as_deref(),
        Some("single sign-on: email sso-ada@sso.example.com → ada.new@sso.example.com")
    );

    let new_user = step!("user-create", call("create_user", json!({"csrf": csrf, "email": "audited@example.com", "password": PASSWORD, "is_admin": false})).await)
        .as_i64()
        .unwrap();
    let payments = project_id(&admin, "payments").await;
    step!(
        "memberships",
        call(
            "set_memberships",
            json!({"csrf": csrf, "user_id": new_user, "project_ids": [payments]})
        )
        .await
    );
    let (_, target, _, _, detail) = newest(&pool, "memberships").await;
    assert_eq!(target.as_deref(), Some("audited@example.com"));
    assert_eq!(detail.as_deref(), Some("member of payments"));
    step!("allowlist", call("set_allowlist", json!({"csrf": csrf, "project_id": payments, "stores": "vault", "key_prefixes": "payments/"})).await);
    assert_eq!(newest(&pool, "allowlist").await.3, Some(payments));
    let (_, clusters) = admin.call("list_clusters", json!({})).await;
    let cluster = clusters[0]["id"].as_i64().unwrap();
    let scratch = step!(
        "project-create",
        call(
            "create_project",
            json!({"csrf": csrf, "name": "audited", "cluster_id": cluster, "namespace": "audited"})
        )
        .await
    )
    .as_i64()
    .unwrap();
    step!(
        "project-rename",
        call(
            "rename_project",
            json!({"csrf": csrf, "project_id": scratch, "name": "audited-too"})
        )
        .await
    );
    step!(
        "project-delete",
        call(
            "delete_project",
            json!({"csrf": csrf, "project_id": scratch, "confirm": "audited-too"})
        )
        .await
    );
    step!(
        "user-role",
        call(
            "set_user_role",
            json!({"csrf": csrf, "user_id": new_user, "is_admin": true})
        )
        .await
    );
    assert_eq!(
        newest(&pool, "user-role").await.4.as_deref(),
        Some("team member → platform admin")
    );
    step!(
        "user-disable",
        call(
            "set_user_disabled",
            json!({"csrf": csrf, "user_id": new_user, "disabled": true})
        )
        .await
    );
    step!(
        "user-enable",
        call(
            "set_user_disabled",
            json!({"csrf": csrf, "user_id": new_user, "disabled": false})
        )
        .await
    );
    let temporary = step!(
        "user-password-reset",
        call("reset_password", json!({"csrf": csrf, "user_id": new_user})).await
    );
    let temporary = temporary.as_str().unwrap().to_owned();

    // The user signs in with it, chooses their own password, makes a token, which an admin
    // revokes, and signs themselves out everywhere.
    let user = Client::anonymous(&server);
    step!("sign-in", {
        let (status, body) = user
            .call(
                "login",
                json!({"email": "audited@example.com", "password": temporary}),
            )
            .await;
        assert!(status < 400, "{status} {body}");
    });
    step!("password-change", {
        let (status, body) = user
            .call(
                "choose_password",
                json!({"password": "audited-own-password", "confirm": "audited-own-password"}),
            )
            .await;
        assert!(status < 400, "{status} {body}");
    });
    let their_csrf = user.call("whoami", json!({})).await.1["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, theirs) = step!(
        "token-create",
        user.call(
            "create_token",
            json!({"csrf": their_csrf, "name": "theirs", "access": "read-write", "expires_in_days": 1})
        )
        .await
    );
    assert_eq!(status, 200, "{theirs}");
    step!(
        "token-revoke",
        call("revoke_token", json!({"csrf": csrf, "id": theirs["id"]})).await
    );
    let (actor, target, _, _, _) = newest(&pool, "token-revoke").await;
    assert_eq!(actor, "admin@example.com");
    assert_eq!(target.as_deref(), Some("audited@example.com"), "the owner");
    step!("user-sign-out-everywhere", {
        let (status, body) = user
            .call("sign_out_everywhere", json!({"csrf": their_csrf}))
            .await;
        assert!(status < 400, "{status} {body}");
    });
    let (actor, target, _, _, _) = newest(&pool, "user-sign-out-everywhere").await;
    assert_eq!(actor, "audited@example.com");
    assert_eq!(target.as_deref(), Some("audited@example.com"));
    step!(
        "user-sign-out-everywhere",
        call(
            "sign_out_everywhere",
            json!({"csrf": csrf, "user_id": new_user})
        )
        .await
    );
    assert_eq!(
        newest(&pool, "user-sign-out-everywhere").await.1.as_deref(),
        Some("audited@example.com")
    );
    step!("sign-out", call("logout", json!({"csrf": csrf})).await);
    drop(before);
    assert_eq!(newest(&pool, "sign-out").await.0, "admin@example.com");

    // Refused changes change nothing and write no entry of the change.
    let again = Client::signed_in(&server, "admin@example.com").await;
    before = counts(&pool).await;
    let me = user_id(&again, "admin@example.com").await;
    let other_admin = user_id(&again, "audited@example.com").await;
    let (status, _) = again
        .call(
            "set_user_disabled",
            json!({"csrf": again.csrf, "user_id": other_admin, "disabled": true}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = again
        .call(
            "set_user_disabled",
            json!({"csrf": again.csrf, "user_id": me, "disabled": true}),
        )
        .await;
    assert_eq!(status, 409, "the last enabled admin");
    let after = counts(&pool).await;
    assert_eq!(
        after.get("user-disable").copied().unwrap_or(0)
            - before.get("user-disable").copied().unwrap_or(0),
        1,
        "only the allowed disable is audited"
    );

    // No password reaches the log.
    let texts: Vec<Option<String>> = sqlx::query_scalar("SELECT detail FROM audit_entries")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(
        !texts.iter().flatten().any(|t| t.contains(&temporary)
            || t.contains(PASSWORD)
            || t.contains("audited-own-password")
            || t.contains(&token_text)),
        "a password or token in the audit log"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One page of the log as the admin's Audit page asks for it.
async fn audit_page(client: &Client, filter: Value) -> (u16, Value) {
    client.call("list_audit", json!({ "filter": filter })).await
}

fn ids(page: &Value) -> Vec<i64> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

async fn the_audit_log_is_paged_newest_first_and_filtered(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (payments, search) = (
        project_id(&admin, "payments").await,
        project_id(&admin, "search").await,
    );
    let dev_id = user_id(&admin, "dev@example.com").await;
    for round in 0..55 {
        let projects = if round % 2 == 0 {
            vec![payments]
        } else {
            vec![payments, search]
        };
        let (status, _) = admin
            .call(
                "set_memberships",
                json!({"csrf": admin.csrf, "user_id": dev_id, "project_ids": projects}),
            )
            .await;
        assert_eq!(status, 200);
    }
    for (project, prefix) in [(payments, "payments/"), (search, "search/")] {
        let (status, body) = admin
            .call("set_allowlist", json!({"csrf": admin.csrf, "project_id": project, "stores": "vault", "key_prefixes": prefix}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "audited-secret", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/a"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{body}");

    // Paged on the server, newest first, 50 at a time; the second page follows on.
    let (status, first) = audit_page(&admin, json!({"action": "memberships"})).await;
    assert_eq!(status, 200, "{first}");
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 50);
    assert!(first_ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    let cursor = first["next_before"].as_i64().expect("an older page");
    assert_eq!(cursor, *first_ids.last().unwrap());
    assert!(
        first["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "sign-in")
    );
    let (_, second) = audit_page(&admin, json!({"action": "memberships", "before": cursor})).await;
    let second_ids = ids(&second);
    assert_eq!(second_ids.len(), 5);
    assert!(second_ids[0] < cursor);
    assert_eq!(second["next_before"], Value::Null);

    // Each filter narrows to what it names.
    let (_, by_actor) = audit_page(&admin, json!({"actor": "dev@example.com"})).await;
    let entries = by_actor["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(
        entries.iter().all(|e| e["actor"] == "dev@example.com"),
        "{by_actor}"
    );
    assert!(entries.iter().any(|e| e["action"] == "sign-in"));
    let (_, by_project) =
        audit_page(&admin, json!({"project": "search", "action": "allowlist"})).await;
    let entries = by_project["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{by_project}");
    assert_eq!(entries[0]["project"], "search");
    let (_, by_secret) = audit_page(&admin, json!({"secret": "audited-secret"})).await;
    let entries = by_secret["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{by_secret}");
    assert_eq!(entries[0]["action"], "create");
    let (_, none) = audit_page(&admin, json!({"actor": "nobody@example.com"})).await;
    assert_eq!(ids(&none), Vec::<i64>::new());

    // Admins only: a member is refused, and meets no Audit page.
    assert_eq!(audit_page(&dev, json!({})).await.0, 403);
    let page = |client: &Client, path: &str| {
        let request = client.http.get(format!("{}{path}", client.base));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    assert_eq!(page(&dev, "/audit").await.0, 404);
    let (status, html) = page(&admin, "/audit?action=memberships").await;
    assert_eq!(status, 200);
    assert!(html.contains("Older entries"), "a link to the next page");
    assert!(
        html.contains("/audit/export?action=memberships"),
        "the export link keeps the filter"
    );
}

async fn the_export_gives_the_filtered_entries_as_json_lines(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let dev_id = user_id(&admin, "dev@example.com").await;
    for _ in 0..3 {
        let (status, _) = admin
            .call(
                "set_memberships",
                json!({"csrf": admin.csrf, "user_id": dev_id, "project_ids": []}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let get =
        |client: &Client, path: &str| client.http.get(format!("{}{path}", client.base)).send();

    let response = get(&admin, "/audit/export?action=memberships")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-ndjson")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l["action"] == "memberships" && l["target"] == "dev@example.com")
    );

    // Unfiltered: every entry, newest first.
    let everything = get(&admin, "/audit/export")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ids: Vec<i64> = everything
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries")
        .fetch_one(&db.any_pool().await)
        .await
        .unwrap();
    assert_eq!(i64::try_from(ids.len()).unwrap(), total);
    assert!(ids.windows(2).all(|w| w[0] > w[1]));

    assert_eq!(get(&dev, "/audit/export").await.unwrap().status(), 404);
    assert_eq!(
        get(&Client::anonymous(&server), "/audit/export")
            .await
            .unwrap()
            .status(),
        401
    );
}
