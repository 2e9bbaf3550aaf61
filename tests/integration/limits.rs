//! Limits that keep one team member from hurting the others, over HTTP: the shortest refresh
//! interval, Sync now once per user and secret per cooldown, bulk id lists counted once and
//! capped, search text capped, and live streams per session capped. Each refusal names the
//! limit.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::{Client, demo_server, secret_id};
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    refresh_intervals_under_the_minimum_are_refused_on_create_and_edit_naming_the_limit,
    a_lower_configured_minimum_lets_shorter_refresh_intervals_through,
    sync_now_is_refused_within_ten_seconds_for_the_same_user_and_secret_also_in_bulk,
    bulk_ids_count_once_each_and_more_than_five_hundred_are_refused,
    a_search_over_two_hundred_characters_is_refused_naming_the_limit,
    a_ninth_live_stream_in_one_session_closes_the_oldest_and_no_other,
);

fn external(refresh_interval: &str) -> Value {
    json!({"kind": "External", "store": "vault", "refresh_interval": refresh_interval, "data": [{"secret_key": "token", "remote_key": "shared/x", "property": null, "version": null}]})
}

fn create_input(name: &str, refresh_interval: &str) -> Value {
    json!({"name": name, "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": external(refresh_interval), "values": []})
}

async fn create(admin: &Client, name: &str, refresh_interval: &str) -> (u16, Value) {
    admin
        .call(
            "create_secret",
            json!({"csrf": admin.csrf, "input": create_input(name, refresh_interval)}),
        )
        .await
}

async fn version_of(admin: &Client, id: i64) -> i64 {
    let (status, detail) = admin.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200, "{detail}");
    detail["secret"]["version"].as_i64().unwrap()
}

fn search(text: &str) -> Value {
    json!({"query": {"search": text, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}})
}

/// Asserts a 422 naming `field` whose message mentions `needle`.
fn assert_refused(answer: &(u16, Value), field: &str, needle: &str) {
    let (status, body) = answer;
    assert_eq!(
        (*status, body["field"].as_str()),
        (422, Some(field)),
        "{body}"
    );
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

async fn refresh_intervals_under_the_minimum_are_refused_on_create_and_edit_naming_the_limit(
    backend: Backend,
) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let limit = "at least 1m0s: shorter intervals hammer the shared store";

    // Create, as JSON and as the form posts it: refused, naming the field and the limit.
    assert_refused(
        &create(&admin, "hammer-json", "30s").await,
        "refresh_interval",
        limit,
    );
    let form = admin
        .call(
            "create_secret_form",
            json!({"csrf": admin.csrf, "form": {"name": "hammer-form", "scope": "Organization", "use_case": "Generic", "kind": "External", "store": "vault", "refresh_interval": "1ns", "secret_key": ["token"], "remote_key": ["shared/x"]}}),
        )
        .await;
    assert_refused(&form, "refresh_interval", limit);
    let (_, listed) = admin.call("list_secrets", search("hammer")).await;
    assert_eq!(listed["total"], 0, "nothing was written: {listed}");

    // At the limit, and 0s (no periodic refresh), are fine.
    let (status, id) = create(&admin, "every-minute", "1m").await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();
    let (status, body) = create(&admin, "never-refreshed", "0s").await;
    assert_eq!(status, 200, "{body}");

    // Edit, as JSON and as the form posts it.
    let version = version_of(&admin, id).await;
    let edit = json!({"csrf": admin.csrf, "id": id, "input": {"version": version, "use_case": "Generic", "description": "", "spec": external("59s"), "replace_values": []}});
    assert_refused(
        &admin.call("update_secret", edit).await,
        "refresh_interval",
        limit,
    );
    let form_edit = admin
        .call(
            "update_secret_form",
            json!({"csrf": admin.csrf, "id": id, "version": version, "form": {"scope": "Organization", "use_case": "Generic", "kind": "External", "store": "vault", "refresh_interval": "10s", "secret_key": ["token"], "remote_key": ["shared/x"]}}),
        )
        .await;
    assert_refused(&form_edit, "refresh_interval", limit);
    assert_eq!(version_of(&admin, id).await, version, "nothing was written");
    let edit = json!({"csrf": admin.csrf, "id": id, "input": {"version": version, "use_case": "Generic", "description": "", "spec": external("2m"), "replace_values": []}});
    let (status, body) = admin.call("update_secret", edit).await;
    assert_eq!(status, 200, "{body}");
}

async fn a_lower_configured_minimum_lets_shorter_refresh_intervals_through(backend: Backend) {
    let (server, _db) = demo_server(
        &backend,
        vec![("SECRETS_CONSOLE_MIN_REFRESH_INTERVAL", "15s".to_owned())],
    )
    .await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (status, body) = create(&admin, "every-twenty-seconds", "20s").await;
    assert_eq!(status, 200, "{body}");
    assert_refused(
        &create(&admin, "every-ten-seconds", "10s").await,
        "refresh_interval",
        "at least 15s: shorter intervals hammer the shared store",
    );
}

async fn sync_now_is_refused_within_ten_seconds_for_the_same_user_and_secret_also_in_bulk(
    backend: Backend,
) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let own = secret_id(&admin, "payments-api-key").await;
    let org = secret_id(&admin, "postgres-credentials").await;
    let sync = |client: &Client, id: i64| json!({"csrf": client.csrf, "id": id});

    let (status, body) = admin.call("sync_secret", sync(&admin, own)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin.call("sync_secret", sync(&admin, own)).await;
    assert_eq!(status, 409, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message
            .starts_with("Sync now was pressed for this secret less than 10 s ago; try again in "),
        "{message}"
    );
    // Another user, or another secret, is not held back.
    let (status, body) = dev.call("sync_secret", sync(&dev, own)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin.call("sync_secret", sync(&admin, org)).await;
    assert_eq!(status, 200, "{body}");

    // The bulk Sync now goes through the same limit, secret by secret.
    let (status, outcome) = admin
        .call(
            "bulk_secrets",
            json!({"csrf": admin.csrf, "action": "sync", "ids": [own, org]}),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["done"], 0, "{outcome}");
    let refused = outcome["refused"].to_string();
    for name in ["payments-api-key", "postgres-credentials"] {
        assert!(
            refused.contains(&format!(
                "{name}: Sync now was pressed for this secret less than 10 s ago"
            )),
            "{refused}"
        );
    }
    // A bulk Sync now counts too: the single button is then refused.
    let (status, id) = create(&admin, "synced-in-bulk", "1h").await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();
    let (status, outcome) = admin
        .call(
            "bulk_secrets",
            json!({"csrf": admin.csrf, "action": "sync", "ids": [id]}),
        )
        .await;
    assert_eq!(
        (status, outcome["done"].as_i64()),
        (200, Some(1)),
        "{outcome}"
    );
    let (status, body) = admin.call("sync_secret", sync(&admin, id)).await;
    assert_eq!(status, 409, "{body}");
}

async fn bulk_ids_count_once_each_and_more_than_five_hundred_are_refused(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let (status, id) = create(&admin, "named-many-times", "1h").await;
    assert_eq!(status, 200, "{id}");
    let id = id.as_i64().unwrap();

    // 600 copies of one id are one secret: synced once, nothing refused (a second Sync now of
    // it would be).
    let copies = vec![id; 600];
    let (status, outcome) = admin
        .call(
            "bulk_secrets",
            json!({"csrf": admin.csrf, "action": "sync", "ids": copies}),
        )
        .await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(
        (
            outcome["done"].as_i64(),
            outcome["refused"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0)),
        "{outcome}"
    );

    // 501 different ids are refused as a whole, naming the cap.
    let many: Vec<i64> = (1..=501).collect();
    let answer = admin
        .call(
            "bulk_secrets",
            json!({"csrf": admin.csrf, "action": "delete", "ids": many, "confirm": "delete"}),
        )
        .await;
    assert_refused(&answer, "ids", "at most 500");
    let (_, listed) = admin.call("list_secrets", search("")).await;
    assert!(
        listed["total"].as_i64() > Some(1),
        "nothing was deleted: {listed}"
    );
}

async fn a_search_over_two_hundred_characters_is_refused_naming_the_limit(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let answer = dev.call("list_secrets", search(&"a".repeat(201))).await;
    assert_refused(&answer, "q", "at most 200 characters");
    let (status, page) = dev.call("list_secrets", search(&"a".repeat(200))).await;
    assert_eq!((status, page["total"].as_i64()), (200, Some(0)), "{page}");
}

/// Event names read from an SSE response within `limit`, and whether the stream ended.
async fn events_within(response: &mut reqwest::Response, limit: Duration) -> (Vec<String>, bool) {
    let (names, ended, _) = read_within(response, limit).await;
    (names, ended)
}

/// Event names read from an SSE response within `limit`, whether the stream ended, and the
/// text read.
async fn read_within(
    response: &mut reqwest::Response,
    limit: Duration,
) -> (Vec<String>, bool, String) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut text = String::new();
    let ended = loop {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Err(_) => break false,
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(_) => break true,
        }
    };
    let names = text
        .lines()
        .filter_map(|line| line.strip_prefix("event:"))
        .map(|name| name.trim().to_owned())
        .collect();
    (names, ended, text)
}

async fn a_ninth_live_stream_in_one_session_closes_the_oldest_and_no_other(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let tabs = Client::signed_in(&server, "dev@example.com").await;
    let elsewhere = Client::signed_in(&server, "dev@example.com").await;
    let open = |client: &Client| {
        client
            .http
            .get(format!("{}/live/events", client.base))
            .send()
    };
    let mut other_session = open(&elsewhere).await.unwrap();
    let mut streams = Vec::new();
    for _ in 0..8 {
        let response = open(&tabs).await.unwrap();
        assert_eq!(response.status(), 200);
        streams.push(response);
    }
    // Status events of the demo's own reconciling may come too: only `closed` and the end
    // of a stream are this limit's.
    let still_open = |(events, ended): (Vec<String>, bool)| {
        events.first().map(String::as_str) == Some("hello")
            && !events.iter().any(|e| e == "closed")
            && !ended
    };
    let first = events_within(&mut streams[0], Duration::from_millis(500)).await;
    assert!(still_open(first.clone()), "eight are fine: {first:?}");

    let mut ninth = open(&tabs).await.unwrap();
    assert_eq!(ninth.status(), 200);
    let (events, ended, text) = read_within(&mut streams[0], Duration::from_secs(5)).await;
    assert_eq!(
        (events.last().map(String::as_str), ended),
        (Some("closed"), true),
        "the oldest is told why, then closed: {text}"
    );
    assert!(text.contains("more than 8 live streams"), "{text}");
    for stream in streams.iter_mut().skip(1) {
        let (events, ended) = events_within(stream, Duration::from_millis(200)).await;
        assert!(
            !ended && !events.iter().any(|e| e == "closed"),
            "{events:?}"
        );
    }
    let ninth = events_within(&mut ninth, Duration::from_millis(300)).await;
    assert!(still_open(ninth.clone()), "{ninth:?}");
    let other = events_within(&mut other_session, Duration::from_millis(300)).await;
    assert!(
        still_open(other.clone()),
        "another session's stream stays open: {other:?}"
    );
}
