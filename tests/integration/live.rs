//! Live updates over Server-Sent Events (`/live/events`): status changes arrive without a
//! reload, only for what the viewer may see, and never with a value; on PostgreSQL they cross
//! replicas.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::{Client, demo_server, demo_server_on, external_spec, secret_id};
use crate::on_both_backends;
use crate::support::{Backend, TestServer};

const PASSWORD: &str = "test-password-123";

/// An open event stream, read event by event.
pub(crate) struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub(crate) async fn open(server: &TestServer, email: &str) -> EventStream {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = http
            .post(server.url("/api/login"))
            .form(&[("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(login.status().is_redirection() || login.status() == 200);
        let response = http.get(server.url("/live/events")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        let mut stream = EventStream {
            response,
            buffer: String::new(),
        };
        let (name, _) = stream.next(Duration::from_secs(5)).await.expect("hello");
        assert_eq!(name, "hello");
        stream
    }

    /// The next event (name, data), or `None` if none arrives in time.
    pub(crate) async fn next(&mut self, limit: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if data.is_empty() && name == "message" {
                    continue; // a keep-alive comment
                }
                return Some((name, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads events until `want` holds for one about `secret`; returns every event read.
    async fn until(
        &mut self,
        secret: i64,
        limit: Duration,
        want: impl Fn(&Value) -> bool,
    ) -> Vec<(String, Value)> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some((name, data)) = self.next(left).await else {
                panic!("no matching event for secret {secret} within {limit:?}; saw {seen:?}");
            };
            let hit = data["id"] == secret && want(&data);
            seen.push((name, data));
            if hit {
                return seen;
            }
        }
    }
}

async fn create_org_secret(admin: &Client, name: &str) -> i64 {
    let (status, id) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/postgres/password"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{id}");
    id.as_i64().unwrap()
}

/// A project's id by its name.
pub(crate) async fn project_id(admin: &Client, name: &str) -> i64 {
    let (_, projects) = admin.call("list_projects", json!({})).await;
    projects
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Makes a secret's assignments exactly `projects` (200, or the test fails).
pub(crate) async fn assign(admin: &Client, secret: i64, projects: &[i64]) {
    let (status, body) = admin
        .call(
            "set_assignments",
            json!({"csrf": admin.csrf, "id": secret, "project_ids": projects}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

on_both_backends!(
    a_stream_outlives_its_session_check,
    status_changes_stream_to_each_viewer_as_they_may_see_them,
    a_page_reads_its_secrets_as_the_stream_would_say_them_now
);

/// `live_secrets` (what the Secrets page reads after a reconnect or a bulk action): each
/// secret the caller may see as a live event would carry it now, nothing of the others, and a
/// bounded number of ids per call.
async fn a_page_reads_its_secrets_as_the_stream_would_say_them_now(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let search = project_id(&admin, "search").await;
    let hidden = create_org_secret(&admin, "search-only-read").await;
    assign(&admin, hidden, &[search]).await;
    let own = secret_id(&admin, "payments-api-key").await;
    let deleted = create_org_secret(&admin, "deleted-before-read").await;
    let (status, body) = admin
        .call(
            "delete_secret",
            json!({"csrf": admin.csrf, "id": deleted, "confirm": "deleted-before-read"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let ids = json!({"ids": [hidden, own, deleted, hidden]});
    let (status, answer) = admin.call("live_secrets", ids.clone()).await;
    assert_eq!(status, 200, "{answer}");
    let secrets = answer.as_array().unwrap();
    let read: Vec<&Value> = secrets.iter().map(|s| &s["id"]).collect();
    // Each once; a secret being deleted is still there (Deleting) until it is gone.
    assert!(
        read.contains(&&json!(hidden)) && read.contains(&&json!(own)),
        "{answer}"
    );
    assert_eq!(read.iter().filter(|id| ***id == json!(hidden)).count(), 1);
    let search_only = secrets.iter().find(|s| s["id"] == hidden).unwrap();
    assert_eq!(search_only["assignments"][0]["project_id"], search);

    // A member: their project's secret, with its assignments in their projects only; nothing
    // of a secret assigned to projects they are not in.
    let (status, answer) = dev.call("live_secrets", ids).await;
    assert_eq!(status, 200, "{answer}");
    let read: Vec<&Value> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(read, [&json!(own)], "{answer}");

    // A page's worth of ids at most, refused by name.
    let many: Vec<i64> = (1..=201).collect();
    let (status, refused) = admin.call("live_secrets", json!({"ids": many})).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("ids"), "{refused}");
}

async fn status_changes_stream_to_each_viewer_as_they_may_see_them(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let mut admin_events = EventStream::open(&server, "admin@example.com").await;
    let mut dev_events = EventStream::open(&server, "dev@example.com").await;
    let (payments, search) = (
        project_id(&admin, "payments").await,
        project_id(&admin, "search").await,
    );

    // Assigned to search only: the admin sees it go Pending → Synced; dev sees nothing of it.
    let hidden = create_org_secret(&admin, "search-only-live").await;
    assign(&admin, hidden, &[search]).await;
    let seen = admin_events
        .until(hidden, Duration::from_secs(30), |d| d["status"] == "Synced")
        .await;
    // Pending, if the stream caught it (the reconciler picks the work up at once, and the
    // stream sends the state as of each moment it looks), only ever before Synced.
    let statuses: Vec<&Value> = seen
        .iter()
        .filter(|(name, d)| name == "status" && d["id"] == hidden)
        .map(|(_, d)| &d["status"])
        .collect();
    let synced_at = statuses.iter().position(|s| *s == "Synced").unwrap();
    assert!(
        statuses[..synced_at].iter().all(|s| *s == "Pending"),
        "nothing but Pending before Synced: {seen:?}"
    );
    let synced = &seen.last().unwrap().1;
    assert_eq!(synced["type"], "Status");
    assert_eq!(synced["assignments"][0]["project_id"], search);
    assert_eq!(synced["assignments"][0]["status"], "Synced");

    // Assigned to payments too: now dev hears of it, with the payments assignment only.
    assign(&admin, hidden, &[search, payments]).await;
    let seen = dev_events
        .until(hidden, Duration::from_secs(30), |d| d["status"] == "Synced")
        .await;
    for (_, data) in &seen {
        if data["id"] == hidden {
            let projects: Vec<&Value> = data["assignments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| &a["project_id"])
                .collect();
            assert_eq!(
                projects,
                vec![&json!(payments)],
                "only dev's project: {data}"
            );
        }
    }

    // Unassigned from payments: dev is told it is gone from their view.
    let (status, _) = admin
        .call(
            "unassign_secret",
            json!({"csrf": admin.csrf, "id": hidden, "project_id": payments}),
        )
        .await;
    assert_eq!(status, 200);
    let mut gone = false;
    while let Some((name, data)) = dev_events.next(Duration::from_secs(20)).await {
        assert_ne!(data["id"], json!(null), "{name}: {data}");
        if name == "gone" && data["id"] == hidden {
            gone = true;
            break;
        }
    }
    assert!(gone, "dev was told the secret left their view");

    // No event ever carries a value.
    let everything = format!("{seen:?}");
    assert!(!everything.contains("demo-postgres-password"));
}

#[tokio::test]
async fn the_stream_needs_a_session() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let response = server
        .client()
        .get(server.url("/live/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// Two replicas on one PostgreSQL: a change made through A shows up live on a stream served by
/// B (NOTIFY crosses processes).
#[tokio::test]
async fn on_postgres_a_change_through_one_replica_streams_from_another() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let db = backend.fresh_database().await;
    let a = demo_server_on(&db, Vec::new(), None).await;
    let b = demo_server_on(&db, Vec::new(), None).await;
    let admin_a = Client::signed_in(&a, "admin@example.com").await;
    let mut on_b = EventStream::open(&b, "admin@example.com").await;
    let secret = create_org_secret(&admin_a, "across-replicas").await;
    let payments = project_id(&admin_a, "payments").await;
    assign(&admin_a, secret, &[payments]).await;
    on_b.until(secret, Duration::from_secs(30), |d| d["status"] == "Synced")
        .await;
}

/// Every 30 s a stream checks that its session still signs its viewer in (looking the session
/// up by its stored, hashed id): a live session passes, and changes keep arriving after it.
async fn a_stream_outlives_its_session_check(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let id = create_org_secret(&admin, "after-the-session-check").await;
    let payments = project_id(&admin, "payments").await;
    let mut stream = EventStream::open(&server, "admin@example.com").await;
    tokio::time::sleep(Duration::from_secs(32)).await;
    assign(&admin, id, &[payments]).await;
    stream.until(id, Duration::from_secs(10), |_| true).await;
}
