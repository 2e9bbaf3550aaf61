//! `/healthz` and `/readyz`.

use std::time::Duration;

use crate::on_both_backends;
use crate::support::{
    Backend, CuttableProxy, TestServer, postgres_addr, replace_host, wait_for_status,
};

on_both_backends!(health_and_readiness_answer_200);

async fn health_and_readiness_answer_200(backend: Backend) {
    let db = backend.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    let client = server.client();

    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

/// The database goes away under a running server: `/readyz` says 503 (and `/healthz` stays
/// 200, so an orchestrator stops routing traffic but does not restart the process); when it
/// comes back, `/readyz` is 200 again without a restart.
#[tokio::test]
async fn readyz_answers_503_while_postgres_is_unreachable() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let db = backend.fresh_database().await;
    let proxy = CuttableProxy::start(postgres_addr(&db.url)).await;
    let server = TestServer::start(&replace_host(&db.url, proxy.addr)).await;
    let client = server.client();
    assert!(wait_for_status(&client, &server.url("/readyz"), 200, Duration::from_secs(5)).await);

    proxy.cut();
    assert!(
        wait_for_status(
            &client,
            &server.url("/readyz"),
            503,
            Duration::from_secs(10)
        )
        .await,
        "readyz should answer 503 while the database is unreachable"
    );
    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let body = client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "not ready: database unavailable");

    proxy.restore();
    assert!(
        wait_for_status(
            &client,
            &server.url("/readyz"),
            200,
            Duration::from_secs(15)
        )
        .await,
        "readyz should recover once the database is back"
    );
}

/// SQLite cannot be "unreachable", but its schema can be gone (a file restored from the wrong
/// backup): `/readyz` checks the migrations, not just the connection.
#[tokio::test]
async fn readyz_answers_503_when_the_sqlite_schema_is_gone() {
    let db = Backend::Sqlite.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    let client = server.client();
    assert!(wait_for_status(&client, &server.url("/readyz"), 200, Duration::from_secs(5)).await);

    let pool = db.any_pool().await;
    sqlx::query("DROP TABLE _sqlx_migrations")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    assert!(
        wait_for_status(&client, &server.url("/readyz"), 503, Duration::from_secs(5)).await,
        "readyz should answer 503 once the migrations table is gone"
    );
}
