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
