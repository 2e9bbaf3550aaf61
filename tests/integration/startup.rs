//! Start-up and shutdown of the binary: `--help`, migrations, signals.

use std::time::Duration;

use crate::on_both_backends;
use crate::support::{Backend, ServerOptions, TestServer, wait_for_status};

on_both_backends!(
    create_admin_makes_the_first_administrator_who_can_sign_in,
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
        "--simulated-clusters",
        "--trusted-proxies",
        "SECRETS_CONSOLE_TRUSTED_PROXIES",
        "--allowed-hosts",
        "SECRETS_CONSOLE_ALLOWED_HOSTS",
        "--metrics-listen",
        "--password-checks",
        "--demo-password",
        "sim",
        "create-admin",
        "bench",
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
        ..ServerOptions::default()
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

/// `secrets-console create-admin` with the password on standard input.
async fn create_admin(database_url: &str, email: &str, password: &str) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_secrets-console"))
        .args(["create-admin", "--email", email])
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--database-url", database_url])
        .env_remove("SECRETS_CONSOLE_ADMIN_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{password}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("create-admin finishes")
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

/// A production database starts without the demo: `create-admin` makes the first
/// administrator, who can then sign in; bad input names its field and creates nothing.
async fn create_admin_makes_the_first_administrator_who_can_sign_in(backend: Backend) {
    let db = backend.fresh_database().await;
    let password = "canary-first-admin-password";
    let (ok, printed) = create_admin(&db.url, "Ops@Example.com", password).await;
    assert!(ok, "{printed}");
    assert!(
        printed.contains("administrator ops@example.com created"),
        "{printed}"
    );
    assert!(!printed.contains(password), "the password is never printed");

    let (ok, printed) = create_admin(&db.url, "ops@example.com", password).await;
    assert!(
        !ok && printed.contains("email: ops@example.com already has an account"),
        "{printed}"
    );
    let (ok, printed) = create_admin(&db.url, "second@example.com", "short").await;
    assert!(
        !ok && printed.contains("password: must be at least"),
        "{printed}"
    );
    let (ok, printed) = create_admin(&db.url, "not-an-address", password).await;
    assert!(
        !ok && printed.contains("email: enter an email address"),
        "{printed}"
    );

    let server = TestServer::start(&db.url).await;
    let client = server.client();
    let response = client
        .post(server.url("/api/login"))
        .form(&[("email", "ops@example.com"), ("password", password)])
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_redirection() || response.status() == 200,
        "{}",
        response.status()
    );
    let me: serde_json::Value = client
        .post(server.url("/api/whoami"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["is_admin"], true, "{me}");
    let pool = db.any_pool().await;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "the refused attempts created nothing");
}
