//! Server-rendered pages and server functions over HTTP.

use crate::auth::{Client, demo_server};
use crate::on_both_backends;
use crate::support::{Backend, TestServer};

on_both_backends!(
    secrets_page_is_rendered_on_the_server_with_navigation,
    root_redirects_to_secrets,
    unknown_page_answers_404,
    server_info_server_function_answers_over_http,
);

async fn secrets_page_is_rendered_on_the_server_with_navigation(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    // What runs where is for admins: an anonymous visitor's footer does not say it.
    let anonymous = server
        .client()
        .get(server.url("/secrets"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(anonymous.contains("<h1>Secrets</h1>"), "{anonymous}");
    assert!(!anonymous.contains("secrets-console 0."), "{anonymous}");
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let response = admin.http.get(server.url("/secrets")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Secrets</h1>"), "{html}");
    assert!(html.contains(r#"href="/secrets""#));
    assert!(html.contains(r#"href="/projects""#));
    // The hydration bundle is referenced, so the browser will load the WASM app.
    assert!(html.contains("/pkg/secrets-console.js"), "{html}");
    assert!(html.contains("/pkg/secrets-console.css"));
    // The footer's resource was resolved on the server.
    let engine = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres(_) => "PostgreSQL",
    };
    assert!(
        html.contains(&format!(
            "secrets-console {} · {engine}",
            env!("CARGO_PKG_VERSION")
        )),
        "{html}"
    );
}

async fn root_redirects_to_secrets(backend: Backend) {
    let db = backend.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    // As a browser asks for it: leptos answers a redirect with 302 when HTML is accepted.
    let response = server
        .client()
        .get(server.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/secrets");
}

async fn unknown_page_answers_404(backend: Backend) {
    let db = backend.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    let response = server
        .client()
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

async fn server_info_server_function_answers_over_http(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let ask = |http: &reqwest::Client| {
        http.post(server.url("/api/server_info"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
    };
    let anonymous = ask(&server.client()).await.unwrap();
    assert_eq!(anonymous.status(), 200);
    let nothing: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(
        nothing,
        serde_json::Value::Null,
        "told an anonymous visitor"
    );
    let member = Client::signed_in(&server, "dev@example.com").await;
    let (status, nothing) = member.call("server_info", serde_json::json!({})).await;
    assert_eq!((status, nothing), (200, serde_json::Value::Null));
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let response = ask(&admin.http).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let expected = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres(_) => "PostgreSQL",
    };
    assert_eq!(body["database"], expected);
}

/// The string literals of a page's hydration data (`__RESOLVED_RESOURCES[n] = "…"`), one per
/// resource the page loaded on the server.
fn hydration_payloads(html: &str) -> Vec<&str> {
    html.split("__RESOLVED_RESOURCES[")
        .skip(1)
        .filter_map(|rest| {
            let literal = rest.split_once("] = \"")?.1;
            let mut escaped = false;
            let end = literal
                .char_indices()
                .find_map(|(i, c)| match (c, escaped) {
                    ('"', false) => Some(i),
                    ('\\', false) => {
                        escaped = true;
                        None
                    }
                    _ => {
                        escaped = false;
                        None
                    }
                })?;
            Some(&literal[..end])
        })
        .collect()
}

/// A response header as text, if present.
fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// A signed-in page is built once on the server: each thing it loads is in its hydration data
/// once (the sign-in gate used to build the page twice: twice the queries, twice the data).
/// Browsers that accept gzip or brotli get it compressed; the live stream never is.
#[tokio::test]
async fn a_page_is_built_once_and_sent_compressed() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    // Straight to the app: the leak-scanning proxy asks it for plain bodies.
    let get = |path: &'static str, encoding: &'static str| {
        admin
            .http
            .get(format!("{}{path}", server.direct))
            .header("accept", "text/html")
            .header("accept-encoding", encoding)
            .send()
    };
    let plain = get("/secrets", "identity").await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-encoding"), None);
    let html = plain.text().await.unwrap();
    let payloads = hydration_payloads(&html);
    assert!(
        payloads.len() >= 3,
        "user, server info, secrets: {payloads:?}"
    );
    let listing: Vec<&&str> = payloads
        .iter()
        .filter(|p| p.contains("postgres-credentials"))
        .collect();
    assert_eq!(
        listing.len(),
        1,
        "the secrets list is loaded once: {payloads:#?}"
    );
    for (i, payload) in payloads.iter().enumerate() {
        assert!(!payloads[..i].contains(payload), "loaded twice: {payload}");
    }

    for encoding in ["gzip", "br"] {
        let answer = get("/secrets", encoding).await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(header(&answer, "content-encoding"), Some(encoding));
        let bytes = answer.bytes().await.unwrap();
        assert!(
            bytes.len() * 3 < html.len(),
            "{encoding}: {} bytes for {} of HTML",
            bytes.len(),
            html.len()
        );
    }

    // A refusal keeps its status when its body is compressed (the status is read from it).
    let refused = admin
        .http
        .post(format!("{}/api/list_secrets", server.direct))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(header(&refused, "content-encoding"), Some("gzip"));

    let live = get("/live/events", "gzip").await.unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(header(&live, "content-type"), Some("text/event-stream"));
    assert_eq!(
        header(&live, "content-encoding"),
        None,
        "SSE must not be buffered by compression"
    );
}
