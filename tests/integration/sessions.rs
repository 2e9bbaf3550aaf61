//! The tower-sessions store on the application database.

use std::collections::HashMap;

use secrets_console::server::config::DatabaseUrl;
use secrets_console::server::db::Db;
use secrets_console::server::db::session_store::DbSessionStore;
use tower_sessions::cookie::time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::SessionStore;

use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    sessions_round_trip_through_the_database,
    expired_sessions_are_neither_loaded_nor_kept
);

async fn migrated_store(backend: &Backend) -> (DbSessionStore, crate::support::TestDb, Db) {
    let test_db = backend.fresh_database().await;
    let db = Db::connect(&DatabaseUrl::new(test_db.url.clone()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    (DbSessionStore::new(db.clone()), test_db, db)
}

fn record(expiry: OffsetDateTime) -> Record {
    let mut data = HashMap::new();
    data.insert("user".to_owned(), serde_json::json!("admin@example.com"));
    Record {
        id: Id::default(),
        data,
        expiry_date: expiry,
    }
}

async fn sessions_round_trip_through_the_database(backend: Backend) {
    let (store, _keep, db) = migrated_store(&backend).await;
    let mut rec = record(OffsetDateTime::now_utc() + Duration::minutes(30));
    store.create(&mut rec).await.unwrap();

    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1, "the session is a row in the application database");

    let loaded = store.load(&rec.id).await.unwrap().expect("session found");
    assert_eq!(loaded.data["user"], "admin@example.com");

    rec.data
        .insert("csrf".to_owned(), serde_json::json!("t0k3n"));
    store.save(&rec).await.unwrap();
    let loaded = store.load(&rec.id).await.unwrap().unwrap();
    assert_eq!(loaded.data["csrf"], "t0k3n");

    store.delete(&rec.id).await.unwrap();
    assert!(
        store.load(&rec.id).await.unwrap().is_none(),
        "deleted sessions are gone"
    );
}

async fn expired_sessions_are_neither_loaded_nor_kept(backend: Backend) {
    let (store, _keep, _db) = migrated_store(&backend).await;
    let mut old = record(OffsetDateTime::now_utc() - Duration::minutes(1));
    let mut live = record(OffsetDateTime::now_utc() + Duration::minutes(30));
    store.create(&mut old).await.unwrap();
    store.create(&mut live).await.unwrap();

    assert!(store.load(&old.id).await.unwrap().is_none());
    assert_eq!(store.delete_expired().await.unwrap(), 1);
    assert!(store.load(&live.id).await.unwrap().is_some());
}

/// The signed-in session's row: its expiry (Unix seconds) and data.
async fn signed_in_row(pool: &sqlx::AnyPool) -> (i64, Vec<u8>) {
    sqlx::query_as("SELECT expiry_unix, data FROM sessions WHERE user_id IS NOT NULL")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_active_session_is_written_back_once_per_interval_not_per_request() {
    // A 30 s idle timeout: written back at most every 3 s (a tenth of it; once a minute for
    // timeouts of ten minutes and more).
    let (server, test_db) = crate::auth::demo_server(
        &Backend::Sqlite,
        vec![("SECRETS_CONSOLE_SESSION_IDLE", "30s".to_owned())],
    )
    .await;
    let client = crate::auth::Client::signed_in(&server, "dev@example.com").await;
    let pool = test_db.any_pool().await;
    // Marks the row: a write back would replace this expiry with 30 s from now.
    let marked = OffsetDateTime::now_utc().unix_timestamp() + 1000;
    sqlx::query("UPDATE sessions SET expiry_unix = $1 WHERE user_id IS NOT NULL")
        .bind(marked)
        .execute(&pool)
        .await
        .unwrap();
    let (_, data) = signed_in_row(&pool).await;

    // Within the interval: pages, server functions, no write.
    let page = client
        .http
        .get(server.url("/secrets"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers().get("set-cookie").is_none(),
        "nothing to send: the session was not written"
    );
    let (status, me) = client.call("whoami", serde_json::json!({})).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("dev@example.com"))
    );
    assert_eq!(
        signed_in_row(&pool).await,
        (marked, data.clone()),
        "requests within the interval leave the session row alone"
    );

    // Past it: the next request writes the session back, its idle deadline 30 s from now.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let page = client
        .http
        .get(server.url("/secrets"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers().get("set-cookie").is_some(),
        "the cookie's Max-Age slides with the row"
    );
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let (expiry, new_data) = signed_in_row(&pool).await;
    assert!(
        (now + 25..=now + 31).contains(&expiry),
        "the idle deadline moved to 30 s from now: {expiry} at {now}"
    );
    assert_ne!(new_data, data, "the write-back time is kept in the session");
    let (_, me) = client.call("whoami", serde_json::json!({})).await;
    assert_eq!(me["email"].as_str(), Some("dev@example.com"));
}
