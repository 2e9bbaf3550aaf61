//! Load: 50 signed-in sessions (admins and team members), each with its live stream open,
//! browsing pages and calling server functions while an admin keeps changing things, for
//! `LOAD_SECONDS` (10 s in the test command; `docs/reliability.md` records a 60 s run). Zero
//! errors; every stream stays open and carries the changes its viewer may see; latency
//! percentiles printed. Bounded: every loop ends at the deadline.
//!
//! Ignored in the plain `cargo test` run (it would skew the timing of tests running beside it);
//! `make test` runs it alone: `cargo test --test integration load -- --ignored`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use crate::auth::{Client, demo_server, external_spec};
use crate::live::project_id;
use crate::support::Backend;

const SESSIONS: usize = 50;

#[derive(Default)]
struct Tally {
    latencies_ms: std::sync::Mutex<Vec<f64>>,
    errors: std::sync::Mutex<Vec<String>>,
}

#[tokio::test]
#[ignore = "load test: run alone by make test (cargo test --test integration load -- --ignored)"]
async fn fifty_sessions_with_live_streams_browse_without_errors() {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let (server, _db) = demo_server(&Backend::Sqlite, vec![]).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let payments = project_id(&admin, "payments").await;
    // A secret every session may open (the member's first): a 404 counts as an error.
    let member = Client::signed_in(&server, "dev@example.com").await;
    let (_, page) = member
        .call("list_secrets", json!({"query": {"search": "", "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .await;
    let some_secret = page["items"][0]["id"].as_i64().unwrap();

    let mut sessions = Vec::new();
    for i in 0..SESSIONS {
        let email = if i % 2 == 0 {
            "admin@example.com"
        } else {
            "dev@example.com"
        };
        sessions.push(Client::signed_in(&server, email).await);
    }
    let tally = Arc::new(Tally::default());
    let events_seen: Arc<Vec<AtomicUsize>> =
        Arc::new((0..SESSIONS).map(|_| AtomicUsize::new(0)).collect());
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);

    let mut tasks = Vec::new();
    for (i, session) in sessions.into_iter().enumerate() {
        let tally = tally.clone();
        let events_seen = events_seen.clone();
        tasks.push(tokio::spawn(async move {
            // The live stream, read until the deadline.
            let stream = session
                .http
                .get(format!("{}/live/events", session.base))
                .header("accept", "text/event-stream")
                // The stream lives as long as the run (the client's 15 s cap is for requests).
                .timeout(Duration::from_secs(seconds + 60))
                .send()
                .await;
            let mut stream = match stream {
                Ok(r) if r.status() == 200 => r.bytes_stream(),
                other => {
                    tally.errors.lock().unwrap().push(format!(
                        "session {i}: stream did not open: {:?}",
                        other.map(|r| r.status())
                    ));
                    return;
                }
            };
            let reader = {
                let tally = tally.clone();
                let events_seen = events_seen.clone();
                tokio::spawn(async move {
                    loop {
                        match tokio::time::timeout_at(deadline.into(), stream.next()).await {
                            Err(_) => return,
                            Ok(Some(Ok(bytes))) => {
                                let text = String::from_utf8_lossy(&bytes);
                                let n = text.matches("event: status").count();
                                events_seen[i].fetch_add(n, Ordering::Relaxed);
                            }
                            Ok(other) => {
                                tally.errors.lock().unwrap().push(format!(
                                    "session {i}: stream ended early: {:?}",
                                    other.map(|r| r.map(|b| b.len()))
                                ));
                                return;
                            }
                        }
                    }
                })
            };
            let mut n = 0_u64;
            while Instant::now() < deadline {
                n += 1;
                let began = Instant::now();
                let outcome = match n % 4 {
                    0 => session
                        .http
                        .get(format!("{}/secrets", session.base))
                        .send()
                        .await
                        .map(|r| r.status().as_u16()),
                    1 => Ok(session
                        .call("list_secrets", json!({"query": {"search": "", "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
                        .await
                        .0),
                    2 => session
                        .http
                        .get(format!("{}/secrets/{some_secret}", session.base))
                        .send()
                        .await
                        .map(|r| r.status().as_u16()),
                    _ => Ok(session.call("get_secret", json!({"id": some_secret})).await.0),
                };
                let took = began.elapsed().as_secs_f64() * 1000.0;
                match outcome {
                    Ok(200) => tally.latencies_ms.lock().unwrap().push(took),
                    other => tally
                        .errors
                        .lock()
                        .unwrap()
                        .push(format!("session {i} request {n}: {other:?}")),
                }
            }
            let _ = reader.await;
        }));
    }

    // The admin keeps changing things: a new organization secret on payments every 300 ms,
    // which every stream (admins, and payments' members) must carry.
    let mut changes = 0;
    while Instant::now() < deadline {
        let (status, body) = admin
            .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": format!("load-{changes}"), "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external_spec("vault", "shared/postgres/password"), "values": []}}))
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = admin
            .call(
                "set_assignments",
                json!({"csrf": admin.csrf, "id": body, "project_ids": [payments]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        changes += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for task in tasks {
        task.await.unwrap();
    }

    let mut latencies = tally.latencies_ms.lock().unwrap().clone();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let events: Vec<usize> = events_seen
        .iter()
        .map(|e| e.load(Ordering::Relaxed))
        .collect();
    let errors = tally.errors.lock().unwrap().clone();
    println!(
        "load: {SESSIONS} sessions with live streams, {seconds} s, {changes} changes: {} requests \
         ({:.0}/s), p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; status events per \
         stream min {} max {}; errors {}",
        latencies.len(),
        latencies.len() as f64 / seconds as f64,
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
        events.iter().min().unwrap(),
        events.iter().max().unwrap(),
        errors.len()
    );
    assert!(errors.is_empty(), "errors under load: {errors:#?}");
    // Each change is at least Pending then Synced on payments, which every viewer may see;
    // the last one or two may land after the streams stop reading.
    assert!(
        events.iter().all(|&n| n + 2 >= changes),
        "every stream carried the {changes} changes its viewer may see: {events:?}"
    );
}
