//! API tokens over HTTP, as a script uses them: `Authorization: Bearer`, no cookie, no CSRF
//! token; read-only tokens change nothing; revoked, expired and disabled users' tokens are
//! refused; a browser on another site cannot use one; the token is shown once.

use serde_json::{Value, json};

use crate::auth::{Client, demo_server, external_spec};
use crate::on_both_backends;
use crate::support::{Backend, TestServer};

on_both_backends!(
    a_read_write_token_creates_assigns_and_syncs_and_a_read_only_one_cannot,
    revoked_expired_and_disabled_tokens_are_refused,
);

/// A script: no cookie jar, nothing but the token.
struct Script {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Script {
    fn new(server: &TestServer, token: &str) -> Script {
        Script {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: server.base.clone(),
            token: token.to_owned(),
        }
    }

    /// POSTs `body` as JSON (`json`) or as a url-encoded form, with the token and `headers`.
    async fn send(&self, endpoint: &str, body: Body<'_>, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .bearer_auth(&self.token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = match body {
            Body::Json(value) => request.json(&value),
            Body::Form(pairs) => request.form(pairs),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn call(&self, endpoint: &str, body: Body<'_>) -> (u16, Value) {
        self.send(endpoint, body, &[]).await
    }
}

enum Body<'a> {
    Json(Value),
    Form(&'a [(&'a str, &'a str)]),
}

/// Creates a token for the signed-in `client`; returns (id, token).
async fn create_token(client: &Client, name: &str, access: &str) -> (i64, String) {
    let (status, created) = client
        .call(
            "create_token",
            json!({"csrf": client.csrf, "name": name, "access": access, "expires_in_days": 30}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("scn_"), "{token}");
    (created["id"].as_i64().unwrap(), token)
}

async fn my_tokens(client: &Client) -> Value {
    let (status, list) = client.call("list_my_tokens", json!({})).await;
    assert_eq!(status, 200, "{list}");
    list
}

fn new_secret(name: &str) -> Value {
    json!({"input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/token-api"), "values": []}})
}

async fn payments_id(script: &Script) -> i64 {
    let (status, projects) = script.call("list_projects", Body::Form(&[])).await;
    assert_eq!(status, 200, "{projects}");
    projects
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "payments")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn a_read_write_token_creates_assigns_and_syncs_and_a_read_only_one_cannot(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (writer_id, writer_token) = create_token(&admin, "deploy", "read-write").await;
    let (_, reader_token) = create_token(&admin, "report", "read-only").await;
    let writer = Script::new(&server, &writer_token);
    let reader = Script::new(&server, &reader_token);

    // Never used yet.
    let before = my_tokens(&admin).await;
    let row = |list: &Value, id: i64| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        row(&before, writer_id)["last_used_at"],
        Value::Null,
        "{before}"
    );

    let payments = payments_id(&writer).await;
    // Read-write: create, assign, sync; no cookie, no CSRF token.
    let (status, id) = writer
        .call("create_secret", Body::Json(new_secret("from-a-script")))
        .await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();
    let id_text = id.to_string();
    let payments_text = payments.to_string();
    let (status, body) = writer
        .call(
            "set_assignments",
            Body::Form(&[("id", &id_text), ("project_ids[0]", &payments_text)]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = writer
        .call("sync_secret", Body::Form(&[("id", &id_text)]))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, detail) = admin.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200, "{detail}");
    assert!(
        detail.to_string().contains("payments"),
        "assigned: {detail}"
    );

    // Read-only: reads work, the same changes are 403 and change nothing.
    let (status, body) = reader
        .call("get_secret", Body::Form(&[("id", &id_text)]))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = reader
        .call("create_secret", Body::Json(new_secret("read-only-attempt")))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("read-only"),
        "{body}"
    );
    let (status, body) = reader
        .call(
            "set_assignments",
            Body::Form(&[("id", &id_text), ("project_ids[0]", &payments_text)]),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = reader
        .call("sync_secret", Body::Form(&[("id", &id_text)]))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = reader
        .call("delete_secret", Body::Form(&[("id", &id_text)]))
        .await;
    assert_eq!(status, 403, "{body}");
    let pool = db.any_pool().await;
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM secrets WHERE name = 'read-only-attempt'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(count, 0);

    // A token cannot make tokens, nor sign in.
    let (status, body) = writer
        .call(
            "create_token",
            Body::Form(&[
                ("name", "more"),
                ("access", "read-write"),
                ("expires_in_days", "7"),
            ]),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // A token acts with its user's permissions, never more: a member's read-write token
    // cannot create an organization secret.
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, dev_token) = create_token(&dev, "member script", "read-write").await;
    let (status, body) = Script::new(&server, &dev_token)
        .call(
            "create_secret",
            Body::Json(new_secret("member-org-attempt")),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // The token's text is in no list, its owner's or the admin's; its use is noted.
    let mine = my_tokens(&admin).await;
    let (status, everyone) = admin.call("list_all_tokens", json!({})).await;
    assert_eq!(status, 200, "{everyone}");
    for list in [&mine, &everyone] {
        let text = list.to_string();
        for token in [&writer_token, &reader_token, &dev_token] {
            assert!(
                !text.contains(&token[4..]),
                "a list carries a token: {text}"
            );
        }
    }
    assert!(
        everyone.to_string().contains("dev@example.com"),
        "{everyone}"
    );
    assert!(row(&mine, writer_id)["last_used_at"].is_i64(), "{mine}");
    let (status, held) = admin.call("take_created_token", json!({})).await;
    assert_eq!((status, held), (200, Value::Null));

    // Creating is audited (three tokens), never with the token's text.
    let audit: Vec<(String,)> =
        sqlx::query_as("SELECT detail FROM audit_entries WHERE action = 'token-create'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audit.len(), 3, "{audit:?}");
    assert!(
        audit
            .iter()
            .all(|(detail,)| !detail.contains(&writer_token[4..]))
    );
}

async fn revoked_expired_and_disabled_tokens_are_refused(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (revoked_id, revoked) = create_token(&admin, "to revoke", "read-only").await;
    let (expired_id, expired) = create_token(&admin, "to expire", "read-only").await;
    let script = Script::new(&server, &revoked);
    let (status, body) = script.call("list_projects", Body::Form(&[])).await;
    assert_eq!(status, 200, "{body}");

    // Revoked: refused at once, saying so; the list says who revoked it.
    let (status, body) = admin
        .call(
            "revoke_token",
            json!({"csrf": admin.csrf, "id": revoked_id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = script.call("list_projects", Body::Form(&[])).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
    let mine = my_tokens(&admin).await;
    assert!(
        mine.to_string()
            .contains("\"revoked_by\":\"admin@example.com\""),
        "{mine}"
    );
    let pool = db.any_pool().await;
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_entries WHERE action = 'token-revoke'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(count, 1);

    // Expired: refused, saying so.
    sqlx::query("UPDATE api_tokens SET expires_at = 1 WHERE id = $1")
        .bind(expired_id)
        .execute(&pool)
        .await
        .unwrap();
    let (status, body) = Script::new(&server, &expired)
        .call("list_projects", Body::Form(&[]))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );

    // Unknown.
    let (status, _) = Script::new(&server, "scn_0000")
        .call("list_projects", Body::Form(&[]))
        .await;
    assert_eq!(status, 401);

    // A disabled user's tokens stop working; enabled again, they work again.
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let (_, dev_token) = create_token(&dev, "member script", "read-only").await;
    let dev_script = Script::new(&server, &dev_token);
    let (status, _) = dev_script.call("list_projects", Body::Form(&[])).await;
    assert_eq!(status, 200);
    let (_, users) = admin.call("list_users", json!({})).await;
    let dev_id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "dev@example.com")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, body) = admin
        .call(
            "set_user_disabled",
            json!({"csrf": admin.csrf, "user_id": dev_id, "disabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = dev_script.call("list_projects", Body::Form(&[])).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
}

#[tokio::test]
async fn a_browser_request_cannot_use_a_token() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (_, token) = create_token(&admin, "leaked into a page", "read-write").await;
    let script = Script::new(&server, &token);
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example")],
        vec![("cookie", "sc_session=anything")],
    ] {
        let (status, body) = script
            .send(
                "create_secret",
                Body::Json(new_secret("cross-site-attempt")),
                &headers,
            )
            .await;
        assert_eq!(status, 403, "{headers:?}: {body}");
        let (status, body) = script
            .send("list_projects", Body::Form(&[]), &headers)
            .await;
        assert_eq!(status, 403, "{headers:?}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("browser"),
            "{body}"
        );
    }
    // The same script without those headers is fine.
    let (status, body) = script.send("list_projects", Body::Form(&[]), &[]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_token_created_without_javascript_is_shown_once_and_kept_nowhere() {
    let (server, db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    // A plain HTML form post: sent back to the Tokens page.
    let response = admin
        .http
        .post(format!("{}/api/create_token", admin.base))
        .header("accept", "text/html")
        .header("referer", format!("{}/tokens", admin.base))
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("name", "no-js"),
            ("access", "read-only"),
            ("expires_in_days", "7"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/tokens"), "{location}");
    let page = admin
        .http
        .get(format!("{}/tokens", admin.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page
        .find("value=\"scn_")
        .map(|at| at + "value=\"".len())
        .expect("the Tokens page shows the new token");
    let token: String = page[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric_or_underscore)
        .collect();
    assert_eq!(token.len(), 68, "{token}");
    // It works, and it is shown only once.
    let (status, _) = Script::new(&server, &token)
        .call("list_projects", Body::Form(&[]))
        .await;
    assert_eq!(status, 200);
    let again = admin
        .http
        .get(format!("{}/tokens", admin.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&token), "shown twice");
    // Not in any session (nor its one-time message), not in the tokens table.
    let pool = db.any_pool().await;
    let hex: String = token[4..].bytes().map(|b| format!("{b:02X}")).collect();
    let (in_sessions,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE hex(data) LIKE '%' || $1 || '%'")
            .bind(&hex)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(in_sessions, 0, "a session keeps the token");
    let (in_tokens,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM api_tokens WHERE token_hash || name || hint LIKE '%' || $1 || '%'",
    )
    .bind(&token[4..])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(in_tokens, 0, "the tokens table keeps the token");
}

trait TokenChar {
    fn is_ascii_alphanumeric_or_underscore(&self) -> bool;
}

impl TokenChar for char {
    fn is_ascii_alphanumeric_or_underscore(&self) -> bool {
        self.is_ascii_alphanumeric() || *self == '_'
    }
}
