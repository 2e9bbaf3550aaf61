//! Listing page 1 of 10,000 secrets with 50,000 assignments, filtered and sorted, runs a fixed
//! number of SQL statements — no per-row queries — on both backends.
//!
//! Its own test binary, because it counts every statement sqlx logs process-wide.

#[path = "integration/leak.rs"]
mod leak;
#[path = "integration/support.rs"]
#[expect(dead_code, reason = "shared harness: this binary uses only part of it")]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use secrets_console::domain::status::SecretStatus;
use secrets_console::model::listing::{SecretQuery, SortKey};
use secrets_console::model::secret::{Scope, SecretKind};
use secrets_console::server::config::DatabaseUrl;
use secrets_console::server::db::Db;
use secrets_console::server::secrets::{self, Visibility};
use support::Backend;
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

const SECRETS: i64 = 10_000;
const PROJECTS: i64 = 200;
const ASSIGNMENTS_PER_SECRET: i64 = 5;

/// Counts the statements sqlx executes (it logs each one under the `sqlx::query` target).
struct StatementCounter(Arc<AtomicUsize>);

impl<S: Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn seed(db: &Db) -> Vec<i64> {
    secrets_console::bench::seed(db, SECRETS, PROJECTS, ASSIGNMENTS_PER_SECRET)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_a_page_runs_a_fixed_number_of_statements() {
    let counter = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(StatementCounter(counter.clone()));
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let mut backends = vec![Backend::Sqlite];
    backends.extend(Backend::postgres());
    for backend in backends {
        let test_db = backend.fresh_database().await;
        let db = Db::connect(&DatabaseUrl::new(test_db.url.clone()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let projects = seed(&db).await;
        let assignments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assignments")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(assignments, SECRETS * ASSIGNMENTS_PER_SECRET);

        let queries = [
            SecretQuery::default(),
            SecretQuery {
                search: Some("secret-0".into()),
                kind: Some(SecretKind::External),
                scope: Some(Scope::Organization),
                status: Some(SecretStatus::Synced),
                project_id: Some(projects[7]),
                sort: SortKey::Updated,
                descending: true,
                ..SecretQuery::default()
            },
        ];
        let visibilities = [
            Visibility::All,
            Visibility::Projects(projects[..20].to_vec()),
        ];
        // Warm the pool so that connection set-up statements are not counted.
        secrets::list(&db, &queries[0], &visibilities[0])
            .await
            .unwrap();
        for query in &queries {
            for visibility in &visibilities {
                counter.store(0, Ordering::SeqCst);
                let started = Instant::now();
                let page = secrets::list(&db, query, visibility).await.unwrap();
                let elapsed = started.elapsed();
                let statements = counter.load(Ordering::SeqCst);
                eprintln!(
                    "{backend:?}: {} rows of {} in {elapsed:?} with {statements} statements",
                    page.items.len(),
                    page.total
                );
                assert!(!page.items.is_empty(), "the filters should match something");
                assert!(page.items.len() <= 50);
                assert_eq!(statements, 3, "count, page, assignments: never one per row");
            }
        }
        db.close().await;
    }
}
