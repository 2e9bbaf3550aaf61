//! Start-up and shutdown of the binary: `--help`, migrations, signals.

use std::time::Duration;

use crate::on_both_backends;
use crate::support::{Backend, ServerOptions, TestServer, wait_for_status};

on_both_backends!(
    a_failed_migration_stops_start_up_with_a_clear_message,
    sigterm_stops_the_server_with_status_0_within_5_seconds,
);

#[test]
fn help_lists_every_option() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_secrets-console"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for option in [
        "--listen",
        "LEPTOS_SITE_ADDR",
        "--data-dir",
        "SECRETS_CONSOLE_DATA_DIR",
        "--database-url",
        "DATABASE_URL",
        "--log-level",
        "--log-format",
        "--site-root",
        "--secure-cookies",
        "--session-idle",
        "--session-lifetime",
        "--master-key-file",
        "--demo",
        "rotate-master-key",
        "--shutdown-grace-seconds",
        "--delete-deadline",
        "--protected-names",
        "--kubeconfig",
        "--cluster-probe-interval",
        "sim",
    ] {
        assert!(
            help.contains(option),
            "--help does not mention {option}:\n{help}"
        );
    }
}

#[tokio::test]
async fn the_sqlite_file_is_created_in_the_data_dir_on_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("fresh");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_secrets-console"))
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--data-dir")
        .arg(&data_dir)
        .env_remove("DATABASE_URL")
        .env_remove("LEPTOS_SITE_ADDR")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let file = data_dir.join("secrets-console.db");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !file.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap();
    assert!(file.exists(), "{} was not created", file.display());
}

/// A table the first migration wants to create already exists (say, from another app sharing
/// the database): start-up must stop, say which migration failed and why, and leave no
/// half-applied migration behind.
async fn a_failed_migration_stops_start_up_with_a_clear_message(backend: Backend) {
    let db = backend.fresh_database().await;
    let pool = db.any_pool().await;
    sqlx::query("CREATE TABLE sessions (something_else INTEGER)")
        .execute(&pool)
        .await
        .unwrap();

    let failure = TestServer::start_with(ServerOptions {
        database_url: &db.url,
        env: Vec::new(),
        data_dir: None,
    })
    .await
    .err()
    .expect("start-up must fail");
    assert!(failure.contains("exited with code Some(1)"), "{failure}");
    assert!(failure.contains("database migration failed"), "{failure}");
    assert!(
        failure.contains("sessions"),
        "the message names the table: {failure}"
    );
    assert!(
        failure.contains("restore it or point --database-url"),
        "says what to do: {failure}"
    );

    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
    assert_eq!(applied, 0, "no migration is recorded as applied");
    let columns: i64 = match backend {
        Backend::Sqlite => sqlx::query_scalar("SELECT COUNT(*) FROM pragma_table_info('sessions')"),
        Backend::Postgres(_) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'sessions'",
        ),
    }
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(columns, 1, "the pre-existing table is untouched");
}

async fn sigterm_stops_the_server_with_status_0_within_5_seconds(backend: Backend) {
    let db = backend.fresh_database().await;
    let mut server = TestServer::start(&db.url).await;
    assert!(
        wait_for_status(
            &server.client(),
            &server.url("/readyz"),
            200,
            Duration::from_secs(5)
        )
        .await
    );

    let started = std::time::Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = server
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("the server must exit within 5 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let output = server.output.lock().unwrap().join("\n");
    assert!(
        output.contains("SIGTERM"),
        "the shutdown is logged with its signal: {output}"
    );
}

#[tokio::test]
async fn sigint_also_stops_the_server_cleanly() {
    let db = Backend::Sqlite.fresh_database().await;
    let mut server = TestServer::start(&db.url).await;
    std::process::Command::new("kill")
        .args(["-INT", &server.pid().to_string()])
        .status()
        .unwrap();
    let status = server
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("exits within 5 s");
    assert!(status.success());
}
