//! Safe by default, at the edges: demo mode only where nobody else can reach it, a simulated
//! cluster that wants credentials like any cluster, a private data directory, sign-in that
//! cannot be turned against its users, final sign-outs, and the edges of HTTP.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::{Client, PASSWORD, demo_server, demo_server_on};
use crate::kubeconfig::{admin_token, sim_http};
use crate::on_both_backends;
use crate::support::{Backend, ServerOptions, TestServer};

on_both_backends!(
    a_request_in_flight_cannot_bring_back_a_signed_out_session,
    sign_out_everywhere_ends_every_session_of_the_user,
    session_ids_are_stored_hashed,
);

/// The address a test can reach a server on that listens on every interface.
fn loopback(server: &TestServer) -> String {
    server.direct.replace("0.0.0.0", "127.0.0.1")
}

async fn login(
    base: &str,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .form(&[("email", email), ("password", password)]);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// A successful sign-in redirects (303) to the Secrets page.
fn signed_in(status: u16) -> bool {
    (300..400).contains(&status) || status == 200
}

#[tokio::test]
async fn started_as_in_the_image_the_demo_password_does_not_sign_in() {
    // `--listen 0.0.0.0:…`, a fresh data directory, no database URL, no demo flag.
    let server = TestServer::start_with(ServerOptions {
        listen: Some("0.0.0.0:0"),
        ..ServerOptions::default()
    })
    .await
    .unwrap_or_else(|output| panic!("server did not start:\n{output}"));
    let base = loopback(&server);
    let (status, body) = login(&base, "admin@example.com", "demo-password", None).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Wrong email or password"), "{body}");
    let log = server.output.lock().unwrap().join("\n");
    assert!(
        log.contains("create-admin"),
        "the log says what is needed:\n{log}"
    );
    assert!(!log.contains("demo-password"), "{log}");
}

#[tokio::test]
async fn demo_mode_with_the_published_password_off_loopback_refuses_to_start() {
    let failure = TestServer::start_with(ServerOptions {
        listen: Some("0.0.0.0:0"),
        env: vec![("SECRETS_CONSOLE_DEMO", "true".to_owned())],
        ..ServerOptions::default()
    })
    .await
    .err()
    .expect("the server refuses to start");
    assert!(failure.contains("--demo-password"), "{failure}");
    assert!(failure.contains("exited with code Some(1)"), "{failure}");
}

#[tokio::test]
async fn a_demo_password_of_the_operators_own_is_never_logged() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let log = server.output.lock().unwrap().join("\n");
    assert!(log.contains("demo mode: sign in as"), "{log}");
    assert!(
        !log.contains(PASSWORD),
        "the demo password is in the log:\n{log}"
    );
}

/// Every file and folder under `dir` that group or others may use.
fn loose_files(dir: &Path) -> Vec<String> {
    let mut loose = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let metadata = entry.metadata().unwrap();
        if metadata.permissions().mode() & 0o077 != 0 {
            loose.push(format!(
                "{} ({:o})",
                entry.path().display(),
                metadata.permissions().mode() & 0o777
            ));
        }
        if metadata.is_dir() {
            loose.extend(loose_files(&entry.path()));
        }
    }
    loose
}

/// The embedded default's simulated cluster `name`: its URL, the admin token and a client
/// that trusts its CA, from the kubeconfig the app writes.
fn sim_cluster(data_dir: &Path, name: &str) -> (String, String, reqwest::Client) {
    let kubeconfig = std::fs::read_to_string(data_dir.join("sim").join("kubeconfig")).unwrap();
    let server = kubeconfig
        .split(&format!("- name: {name}\n  cluster:\n    server: "))
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the cluster is in the kubeconfig")
        .to_owned();
    (server, admin_token(&kubeconfig), sim_http(&kubeconfig))
}

#[tokio::test]
async fn the_embedded_default_keeps_its_data_directory_private_and_its_clusters_locked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = TestServer::start_with(ServerOptions {
        data_dir: Some(&data),
        ..ServerOptions::default()
    })
    .await
    .unwrap_or_else(|output| panic!("server did not start:\n{output}"));
    let (url, token, http) = sim_cluster(&data, "aws-dev");
    let secrets = format!("{url}/api/v1/namespaces/payments/secrets");

    // The demo's Kubernetes-kind secret reaches the cluster with its value…
    let value_b64 = "ZGVtby1wYXltZW50cy1rZXktMDAwMQ=="; // demo-payments-key-0001
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = http.get(&secrets).bearer_auth(&token).send().await.unwrap();
        assert_eq!(list.status(), 200);
        if list.text().await.unwrap().contains(value_b64) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // …but nobody without the cluster's token reads it, nor flips its fault switches.
    for (method, path) in [
        ("GET", "/api/v1/namespaces/payments/secrets"),
        ("GET", "/api/v1/secrets"),
        ("GET", "/version"),
        ("PUT", "/sim/faults"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let anonymous = http
            .request(method.clone(), format!("{url}{path}"))
            .json(&json!({"outage": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{method} {path}");
        let status: Value = anonymous.json().await.unwrap();
        assert_eq!(status["kind"], "Status", "{status}");
        assert_eq!(status["reason"], "Unauthorized", "{status}");
        let wrong = http
            .request(method, format!("{url}{path}"))
            .bearer_auth("not-the-token")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path} with a wrong token");
    }
    // A page on another site, its name pointed at loopback, is not answered.
    let rebound = http
        .get(&secrets)
        .bearer_auth(&token)
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 400);

    // The saved state holds no value in the clear (it is sealed with the master key).
    let state = data.join("sim").join("aws-dev.json");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !state.exists() {
        assert!(tokio::time::Instant::now() < deadline, "state never saved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let saved = std::fs::read(&state).unwrap();
    for needle in [value_b64.as_bytes(), b"demo-payments-key-0001", b"\"data\""] {
        assert!(
            !saved.windows(needle.len()).any(|w| w == needle),
            "{} holds {}",
            state.display(),
            String::from_utf8_lossy(needle)
        );
    }

    // Nothing in the data directory is readable by anyone but the server's user.
    let loose = loose_files(&data);
    assert!(loose.is_empty(), "readable by others: {loose:?}");
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    drop(server);
}

#[tokio::test]
async fn simulated_clusters_do_not_start_from_database_content_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = Backend::Sqlite.fresh_database().await;
    let demo = demo_server_on(&db, Vec::new(), Some(&data)).await;
    let (url, token, http) = sim_cluster(&data, "aws-dev");
    let up = http
        .get(format!("{url}/version"))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(
        up.is_ok_and(|r| r.status() == 200),
        "the demo runs its clusters"
    );
    drop(demo);
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The same database (with its simulated-cluster rows), demo mode off.
    let server = TestServer::start_with(ServerOptions {
        database_url: &db.url,
        data_dir: Some(&data),
        env: vec![("SECRETS_CONSOLE_DEMO", "false".to_owned())],
        ..ServerOptions::default()
    })
    .await
    .unwrap_or_else(|output| panic!("server did not start:\n{output}"));
    assert_eq!(
        server
            .client()
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let down = http
        .get(format!("{url}/version"))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(down.is_err(), "a simulated cluster answered: {down:?}");
    let log = server.output.lock().unwrap().join("\n");
    assert!(!log.contains("simulated cluster ready"), "{log}");
}

#[tokio::test]
async fn thirty_failures_from_one_address_do_not_stop_the_right_password_from_another() {
    let (server, _db) = demo_server(
        &Backend::Sqlite,
        vec![("SECRETS_CONSOLE_TRUSTED_PROXIES", "127.0.0.1/32".to_owned())],
    )
    .await;
    let attacker = Some("203.0.113.66");
    let mut refused_at_once = 0;
    for _ in 0..30 {
        let (status, body) = login(
            &server.base,
            "admin@example.com",
            "wrong-password",
            attacker,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        if body.contains("Too many failed sign-ins") {
            refused_at_once += 1;
        }
    }
    assert_eq!(
        refused_at_once, 25,
        "the pair is refused after five failures"
    );
    // Even the right password, from the attacker's address, waits out the window…
    let (status, body) = login(&server.base, "admin@example.com", PASSWORD, attacker).await;
    assert_eq!(status, 422, "{body}");
    // …but the admin, elsewhere, signs in.
    let (status, body) = login(
        &server.base,
        "admin@example.com",
        PASSWORD,
        Some("198.51.100.20"),
    )
    .await;
    assert!(signed_in(status), "{status} {body}");
}

#[tokio::test]
async fn forwarded_for_is_not_believed_from_a_peer_that_is_not_a_trusted_proxy() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    for i in 0..5 {
        let address = format!("203.0.113.{i}");
        login(
            &server.base,
            "dev@example.com",
            "wrong-password",
            Some(&address),
        )
        .await;
    }
    // Claiming yet another address does not get round the limit on this client.
    let (status, body) = login(
        &server.base,
        "dev@example.com",
        PASSWORD,
        Some("198.51.100.1"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("Too many failed sign-ins"), "{body}");
}

#[tokio::test]
async fn overlong_sign_in_fields_are_refused_by_name_before_any_work() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let long_email = format!("{}@example.com", "a".repeat(300));
    let (status, body) = login(&server.base, &long_email, PASSWORD, None).await;
    assert_eq!(status, 422);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["field"], "email", "{body}");
    let (status, body) = login(&server.base, "admin@example.com", &"p".repeat(5000), None).await;
    assert_eq!(status, 422);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["field"], "password", "{body}");
    assert!(
        error["message"].as_str().unwrap().contains("1024"),
        "{body}"
    );
    // Neither counted as a failure: the right password still signs in at once.
    let (status, _) = login(&server.base, "admin@example.com", PASSWORD, None).await;
    assert!(signed_in(status));
}

async fn whoami(client: &Client) -> Value {
    let (status, me) = client.call("whoami", json!({})).await;
    assert_eq!(status, 200, "{me}");
    me
}

async fn a_request_in_flight_cannot_bring_back_a_signed_out_session(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    for round in 0..5 {
        let member = Client::signed_in(&server, "dev@example.com").await;
        // Pages loaded with the session race the sign-out; each saves the session when it
        // finishes.
        let pages: Vec<_> = (0..8)
            .map(|_| {
                let request = member.http.get(format!("{}/secrets", member.base)).send();
                tokio::spawn(async move {
                    if let Ok(response) = request.await {
                        let _ = response.bytes().await;
                    }
                })
            })
            .collect();
        let (status, body) = member.call("logout", json!({"csrf": member.csrf})).await;
        assert!(signed_in(status), "round {round}: {status} {body}");
        for page in pages {
            page.await.unwrap();
        }
        assert_eq!(
            whoami(&member).await,
            Value::Null,
            "round {round}: signed in again"
        );
    }
}

async fn sign_out_everywhere_ends_every_session_of_the_user(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let laptop = Client::signed_in(&server, "dev@example.com").await;
    let phone = Client::signed_in(&server, "dev@example.com").await;
    let admin = Client::signed_in(&server, "admin@example.com").await;

    let users = admin.call("list_users", json!({})).await.1;
    let id_of = |email: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (admin_id, dev) = (id_of("admin@example.com"), id_of("dev@example.com"));

    // A member may not end someone else's sessions.
    let (status, _) = laptop
        .call(
            "sign_out_everywhere",
            json!({"csrf": laptop.csrf, "user_id": admin_id}),
        )
        .await;
    assert_eq!(status, 403);
    assert!(
        whoami(&admin).await.is_object(),
        "the admin is still signed in"
    );

    // The member ends their own: both devices are signed out.
    let (status, body) = laptop
        .call("sign_out_everywhere", json!({"csrf": laptop.csrf}))
        .await;
    assert!(signed_in(status), "{status} {body}");
    assert_eq!(whoami(&laptop).await, Value::Null);
    assert_eq!(whoami(&phone).await, Value::Null);

    // An admin ends a member's sessions.
    let again = Client::signed_in(&server, "dev@example.com").await;
    let (status, ended) = admin
        .call(
            "sign_out_everywhere",
            json!({"csrf": admin.csrf, "user_id": dev}),
        )
        .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended, json!(1));
    assert_eq!(whoami(&again).await, Value::Null);
    assert!(whoami(&admin).await.is_object());
}

async fn session_ids_are_stored_hashed(backend: Backend) {
    let (server, db) = demo_server(&backend, Vec::new()).await;
    let client = server.client();
    let response = client
        .post(server.url("/api/login"))
        .form(&[("email", "admin@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = response
        .cookies()
        .find(|c| c.name().ends_with("sc_session"))
        .expect("a session cookie")
        .value()
        .to_owned();
    let pool = db.any_pool().await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(!ids.is_empty());
    assert!(!ids.contains(&cookie), "the cookie is stored as it is");
}

#[tokio::test]
async fn the_edges_of_http_refuse_foreign_hosts_and_keep_internals_to_admins() {
    let metrics_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (server, _db) = demo_server(
        &Backend::Sqlite,
        vec![
            (
                "SECRETS_CONSOLE_METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            ),
            ("SECRETS_CONSOLE_SECURE_COOKIES", "true".to_owned()),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    // DNS rebinding: another name for this address is not served.
    let foreign = http
        .get(format!("{}/login", server.direct))
        .header("host", "attacker.example:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 421);
    let local = http
        .get(format!("{}/login", server.direct))
        .header("host", "localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), 200, "{:?}", local.headers());
    // Served over TLS (secure cookies), browsers are told to stay on it.
    assert_eq!(
        local.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    // The probes answer whatever the Host (kubelet sends the pod's address).
    let probe = http
        .get(format!("{}/healthz", server.direct))
        .header("host", "10.1.2.3:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);

    // Metrics: not for anonymous visitors on the app's address, but on the metrics address.
    let anonymous = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 404);
    let scraped = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("secrets_console_sse_clients")
    );
    // Which version on which database: admins only (the pages ask on every load: the others
    // are told nothing, and their pages are not refused for it).
    let anonymous = Client::anonymous(&server);
    assert_eq!(
        anonymous.call("server_info", json!({})).await,
        (200, Value::Null)
    );
}
