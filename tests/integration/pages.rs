//! Server-rendered pages and server functions over HTTP.

use crate::on_both_backends;
use crate::support::{Backend, TestServer};

on_both_backends!(
    secrets_page_is_rendered_on_the_server_with_navigation,
    root_redirects_to_secrets,
    unknown_page_answers_404,
    server_info_server_function_answers_over_http,
);

async fn secrets_page_is_rendered_on_the_server_with_navigation(backend: Backend) {
    let db = backend.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    let response = server
        .client()
        .get(server.url("/secrets"))
        .send()
        .await
        .unwrap();
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
    let db = backend.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    let response = server
        .client()
        .post(server.url("/api/server_info"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let expected = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres(_) => "PostgreSQL",
    };
    assert_eq!(body["database"], expected);
}
