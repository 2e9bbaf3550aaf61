//! The leak scan's self-test: leaks planted on purpose are caught, in the real app and in a
//! server made to leak.

use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use futures::StreamExt;
use serde_json::json;

use crate::auth::{Client, demo_server};
use crate::leak::{Hits, LeakProxy, Scanner};
use crate::live::project_id;
use crate::support::Backend;

fn found(hits: &[String], what: &str) -> bool {
    hits.iter().any(|hit| hit.contains(what))
}

#[test]
fn a_needle_split_between_two_pieces_is_found_once() {
    let hits = Hits::default();
    let mut scanner = Scanner::new(hits.clone(), "a stream".to_owned());
    scanner.feed(b"data: {\"reason\": \"can");
    scanner.feed(b"ary-x\"}");
    scanner.feed(b" and more");
    assert_eq!(
        *hits.lock().unwrap(),
        vec!["`canary-` in a stream".to_owned()]
    );
    let hits = Hits::default();
    let mut scanner = Scanner::new(hits.clone(), "a stream".to_owned());
    scanner.feed(b"xx canary-");
    scanner.feed(b"x");
    assert_eq!(
        hits.lock().unwrap().len(),
        1,
        "not counted again from the tail"
    );
}

/// The planted leak, in what the scan reads of the real app: a marker in fields that are
/// not secret and therefore shown (a description, a remote key) must be found in the page
/// with its hydration data, in a server function's answer, in an SSE message, in a URL and
/// in a log line; a value sent without the marker is reported too.
#[tokio::test]
async fn a_planted_leak_is_caught_wherever_it_shows() {
    let (server, _db) = demo_server(&Backend::Sqlite, vec![]).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    assert!(
        server.leaks().is_empty(),
        "a clean start: {:?}",
        server.leaks()
    );

    // Server-Sent Events, open before the change.
    let mut events = admin
        .http
        .get(format!("{}/live/events", admin.base))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap()
        .bytes_stream();

    let spec = json!({"kind": "External", "store": "vault", "refresh_interval": "1h", "data": [{"secret_key": "token", "remote_key": "planted/canary-remote-key", "property": null, "version": null}]});
    let (status, id) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "planted", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "planted canary-description", "spec": spec, "values": []}}))
        .await;
    assert_eq!(status, 200, "{id}");
    let payments = project_id(&admin, "payments").await;
    let (status, body) = admin
        .call(
            "set_assignments",
            json!({"csrf": admin.csrf, "id": id, "project_ids": [payments]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The missing remote key is named in the status reason the stream carries.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    while !seen.contains("planted/canary-remote-key") {
        let piece = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("no SSE message named the remote key: {seen}"));
        seen.push_str(&String::from_utf8_lossy(&piece.unwrap().unwrap()));
    }
    drop(events);

    let get = |path: String| {
        let admin = &admin;
        async move {
            let response = admin.http.get(format!("{}{path}", admin.base)).send().await;
            response.unwrap().text().await.unwrap()
        }
    };
    let page = get(format!("/secrets/{id}")).await;
    let (status, _) = admin.call("get_secret", json!({"id": id})).await;
    assert_eq!(status, 200);
    get("/secrets?search=canary-search".to_owned()).await;
    // Request logs hold the path, never the query (an OIDC callback's code is in a query):
    // a marker in a path is the log line planted here.
    get("/planted/canary-path".to_owned()).await;
    assert!(
        page.contains("planted canary-description"),
        "the page shows it"
    );
    let (status, _) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "plain", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": {"kind": "Kubernetes", "secret_type": "Opaque", "keys": ["K"]}, "values": [{"key": "K", "value": "no-marker-here"}]}}))
        .await;
    assert_eq!(status, 200);

    let hits = server.leaks();
    for (place, what) in [
        ("the body of the answer to GET /live/events", "SSE message"),
        (
            "the body of the answer to POST /api/get_secret",
            "server function answer",
        ),
        (
            &format!("the body of the answer to GET /secrets/{id}"),
            "page",
        ),
        (
            "the URL of the answer to GET /secrets?search=canary-search",
            "URL",
        ),
        ("the log line", "log line"),
        ("a secret value without the marker", "unmarked value"),
    ] {
        assert!(found(&hits, place), "the {what} was not caught: {hits:#?}");
    }
    // Found on purpose: the reconciler may still log the remote key after this.
    server.planted_leaks();
}

/// Headers, and a body streamed in pieces, from a server that leaks on purpose.
#[tokio::test]
async fn a_planted_leak_in_a_header_or_a_split_stream_is_caught() {
    let leaky = axum::Router::new().route(
        "/leak",
        axum::routing::get(|| async {
            let pieces = futures::stream::iter(["first can", "ary-second"])
                .map(|p| Ok::<_, std::io::Error>(axum::body::Bytes::from(p)));
            Response::builder()
                .header("x-debug", "canary-in-a-header")
                .body(Body::from_stream(pieces))
                .unwrap()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, leaky).await });
    let proxy = LeakProxy::start(&upstream).await;
    let body = reqwest::get(format!("{}/leak", proxy.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        body, "first canary-second",
        "the proxy passes the body on unchanged"
    );
    let hits = proxy.hits.lock().unwrap().clone();
    assert!(
        found(&hits, "header x-debug of the answer to GET /leak"),
        "{hits:#?}"
    );
    assert!(
        found(&hits, "the body of the answer to GET /leak"),
        "{hits:#?}"
    );
    server.abort();
}

/// The browser tests' proxy looks for the same needles with the same marker.
#[test]
fn the_browser_proxy_scans_for_the_same_needles() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("end2end/leak-proxy.mjs");
    let script = std::fs::read_to_string(&path).unwrap();
    let line = |prefix: &str| {
        script
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{} has no `{prefix}` line", path.display()))
            .to_owned()
    };
    assert_eq!(
        line("const MARKER = "),
        format!("const MARKER = \"{}\";", crate::leak::MARKER)
    );
    let needles = line("const NEEDLES = ");
    for needle in crate::leak::NEEDLES
        .iter()
        .filter(|n| **n != crate::leak::MARKER)
    {
        assert!(
            needles.contains(&format!("\"{needle}\"")),
            "{needles} lacks {needle}"
        );
    }
    assert_eq!(
        needles.matches(',').count() + 1,
        crate::leak::NEEDLES.len(),
        "{needles}"
    );
}
