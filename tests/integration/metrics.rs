//! `/metrics` is scraped like Prometheus would: every series is there, and the figures move
//! with what happens (the demo's applies, an open live stream).

use std::time::Duration;

use crate::auth::demo_server;
use crate::support::Backend;

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_are_scraped_with_every_series() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    // On the app's own address, metrics are for signed-in admins (anyone else: 404).
    let anonymous = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(anonymous.status(), 404);
    let member = crate::auth::Client::signed_in(&server, "dev@example.com").await;
    let refused = member
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let admin = crate::auth::Client::signed_in(&server, "admin@example.com").await;
    let scrape = || async {
        let response = admin.http.get(server.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        response.text().await.unwrap()
    };
    // The demo's assignments are applied and synced by the reconciler.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = scrape().await;
        let synced = value(&text, "secrets_console_assignments{status=\"Synced\"}").unwrap_or(0.0);
        let applied = value(
            &text,
            "secrets_console_apply_duration_seconds_count{cluster=\"aws-dev\"}",
        )
        .unwrap_or(0.0);
        if synced > 0.0 && applied > 0.0 {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing applied:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for series in [
        "secrets_console_work_queue_depth{cluster=\"aws-dev\"}",
        "secrets_console_work_queue_depth{cluster=\"gcp-dev\"}",
        "secrets_console_assignments{status=\"Pending\"}",
        "secrets_console_assignments{status=\"SyncedError\"}",
        "secrets_console_sse_clients",
        "secrets_console_apply_duration_seconds_bucket{cluster=\"aws-dev\",le=\"+Inf\"}",
        "secrets_console_apply_duration_seconds_sum{cluster=\"aws-dev\"}",
        "secrets_console_apply_errors_total{cluster=\"aws-dev\"}",
    ] {
        assert!(value(&text, series).is_some(), "{series} missing:\n{text}");
    }
    assert!(text.contains("# TYPE secrets_console_apply_duration_seconds histogram"));
    // The demo's legacy-api-key is SyncedError on gcp-dev's search.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while value(
        &scrape().await,
        "secrets_console_assignments{status=\"SyncedError\"}",
    ) == Some(0.0)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no SyncedError counted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(value(&text, "secrets_console_sse_clients"), Some(0.0));

    // An open live stream is counted while it is open.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    http.post(server.url("/api/login"))
        .form(&[
            ("email", "admin@example.com"),
            ("password", "test-password-123"),
        ])
        .send()
        .await
        .unwrap();
    let stream = http.get(server.url("/live/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(
        value(&scrape().await, "secrets_console_sse_clients"),
        Some(1.0)
    );
    drop(stream);
    // The server notices a closed stream when it next writes to it (a keep-alive every 15 s).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while value(&scrape().await, "secrets_console_sse_clients") != Some(0.0) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed stream is still counted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
