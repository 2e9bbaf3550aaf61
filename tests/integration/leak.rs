//! The leak scan. Every test server is reached through a proxy that reads every response (status
//! line, headers, body as it streams: pages with their hydration data, server-function answers,
//! SSE messages) for the canary marker, and every log line of the server too; a hit fails the
//! test that caused it. The marker is in every secret value the tests send — the proxy refuses
//! to let a test send a value without it, so no test can leak a value the scan would miss.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::Value;

/// In every secret value a test sends.
pub const MARKER: &str = "canary-";

/// What the scan looks for: the marker, and the one value the demo organization seeds.
pub const NEEDLES: &[&str] = &[MARKER, "demo-payments-key-0001"];

/// Where each needle was found, in words.
pub type Hits = Arc<Mutex<Vec<String>>>;

/// Searches a stream in pieces: a needle split across two pieces is found too.
pub struct Scanner {
    hits: Hits,
    what: String,
    tail: Vec<u8>,
}

impl Scanner {
    pub fn new(hits: Hits, what: String) -> Self {
        Self {
            hits,
            what,
            tail: Vec::new(),
        }
    }

    pub fn feed(&mut self, piece: &[u8]) {
        let longest = NEEDLES.iter().map(|n| n.len()).max().unwrap_or(1);
        let mut window = std::mem::take(&mut self.tail);
        let carried = window.len();
        window.extend_from_slice(piece);
        for needle in NEEDLES {
            let found = window
                .windows(needle.len())
                .enumerate()
                // A match wholly inside the carried tail was reported with the last piece.
                .any(|(at, w)| w == needle.as_bytes() && at + needle.len() > carried);
            if found {
                self.hits
                    .lock()
                    .unwrap()
                    .push(format!("`{needle}` in {}", self.what));
            }
        }
        let keep = window.len().min(longest - 1);
        self.tail = window[window.len() - keep..].to_vec();
    }
}

/// Checks one piece of text at once.
pub fn scan_text(hits: &Hits, what: &str, text: &str) {
    Scanner::new(hits.clone(), what.to_owned()).feed(text.as_bytes());
}

/// A reverse proxy that scans what passes.
pub struct LeakProxy {
    /// `http://127.0.0.1:PORT`: where tests reach the server.
    pub base: String,
    /// What it found.
    pub hits: Hits,
    task: tokio::task::JoinHandle<()>,
}

struct Upstream {
    base: String,
    client: reqwest::Client,
    hits: Hits,
}

impl LeakProxy {
    /// Starts a proxy in front of `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> LeakProxy {
        let hits: Hits = Arc::default();
        let state = Arc::new(Upstream {
            base: upstream.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            hits: hits.clone(),
        });
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        LeakProxy { base, hits, task }
    }
}

impl Drop for LeakProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(up): State<Arc<Upstream>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return (axum::http::StatusCode::BAD_REQUEST, "unreadable body").into_response();
    };
    let what = format!(
        "the answer to {} {}",
        parts.method,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    check_values_sent(&up.hits, &what, &parts.headers, &body);
    scan_text(
        &up.hits,
        &format!("the URL of {what}"),
        &parts.uri.to_string(),
    );
    let url = format!(
        "{}{}",
        up.base,
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut outbound = up.client.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        if name != header::HOST && name != header::ACCEPT_ENCODING {
            outbound = outbound.header(name, value);
        }
    }
    // Plain bodies, so that the scan reads what the app sends (it compresses for browsers).
    outbound = outbound.header(header::ACCEPT_ENCODING, "identity");
    let answer = match outbound.send().await {
        Ok(answer) => answer,
        Err(error) => {
            return (axum::http::StatusCode::BAD_GATEWAY, error.to_string()).into_response();
        }
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        scan_text(
            &up.hits,
            &format!("header {name} of {what}"),
            &String::from_utf8_lossy(value.as_bytes()),
        );
        if name != header::TRANSFER_ENCODING && name != header::CONNECTION {
            response = response.header(name, value);
        }
    }
    let mut scanner = Scanner::new(up.hits.clone(), format!("the body of {what}"));
    let stream = answer.bytes_stream().map(move |piece| {
        if let Ok(piece) = &piece {
            scanner.feed(piece);
        }
        piece
    });
    response.body(Body::from_stream(stream)).unwrap()
}

/// Every secret value a test sends must carry the marker: a JSON `{"key", "value"}` pair
/// anywhere in the body, or a form field named `…[value]…` (`form[value][0]`). Blank values (keep the stored one) are
/// fine.
fn check_values_sent(hits: &Hits, what: &str, headers: &axum::http::HeaderMap, body: &[u8]) {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut values = Vec::new();
    if form {
        for pair in String::from_utf8_lossy(body).split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name);
            if name.contains("[value]") {
                values.push(percent_decode(value));
            }
        }
    } else if let Ok(json) = serde_json::from_slice::<Value>(body) {
        collect_values(&json, &mut values);
    }
    for value in values {
        if !value.is_empty() && !value.contains(MARKER) {
            hits.lock().unwrap().push(format!(
                "a secret value without the marker `{MARKER}` was sent (request for {what}): every test value must carry it, or the scan cannot see it leak"
            ));
        }
    }
}

fn collect_values(json: &Value, out: &mut Vec<String>) {
    match json {
        Value::Object(map) => {
            if map.contains_key("key")
                && let Some(Value::String(value)) = map.get("value")
            {
                out.push(value.clone());
            }
            map.values().for_each(|v| collect_values(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_values(v, out)),
        _ => {}
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
