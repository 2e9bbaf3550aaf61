//! Hostile input over real HTTP: generated names, key names, remote keys, durations and form
//! payloads (valid, nearly valid and garbage) never get a 500, every rejection names its field,
//! and a refused request writes nothing. Script and HTML in text fields render inert.
//! Oversized bodies are refused before they are read.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use crate::auth::{Client, demo_server};
use crate::support::Backend;

/// Text a hostile or careless user might type: plausible shapes, near misses, markup, control
/// characters, very long runs, and anything at all.
fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,20}",
        "[A-Za-z0-9._/ -]{0,30}",
        "[0-9.]{0,4}(h|m|s|ms|d|y|)[0-9]{0,3}",
        any::<String>(),
        "<script>[a-z]{0,8}</script>",
        Just("\"><img src=x onerror=alert(1)>".to_owned()),
        Just("../../etc/passwd".to_owned()),
        Just("a".repeat(300)),
        Just(String::new()),
        Just("\u{0}\u{202e}x".to_owned()),
    ]
}

/// Mostly plausible, sometimes hostile: so that most cases get past decoding into validation.
fn mostly<S>(good: S) -> impl Strategy<Value = String>
where
    S: Strategy<Value = String> + 'static,
{
    prop_oneof![3 => good, 1 => arb_text()]
}

fn arb_create() -> impl Strategy<Value = Value> {
    let entry = (
        mostly("[A-Za-z0-9._-]{1,20}".boxed()),
        mostly("[a-z0-9/_-]{1,30}".boxed()),
        proptest::option::of(arb_text()),
    )
        .prop_map(
            |(k, r, p)| json!({"secret_key": k, "remote_key": r, "property": p, "version": null}),
        );
    let external = (
        mostly("(vault|aws-secrets-manager|[a-z]{1,10})".boxed()),
        mostly("(1h|30m|0|[0-9]{1,3}(s|m|h))".boxed()),
        proptest::collection::vec(entry, 0..3),
    )
        .prop_map(
            |(store, refresh, data)| json!({"kind": "External", "store": store, "refresh_interval": refresh, "data": data}),
        );
    let kubernetes = (
        mostly("(Opaque|kubernetes.io/tls|kubernetes.io/basic-auth)".boxed()),
        proptest::collection::vec(mostly("[A-Za-z0-9._-]{1,20}".boxed()), 0..3),
    )
        .prop_map(|(secret_type, keys)| json!({"kind": "Kubernetes", "secret_type": secret_type, "keys": keys}));
    (
        mostly("[a-z][a-z0-9-]{0,20}[a-z0-9]".boxed()),
        prop_oneof![4 => Just("Organization"), 1 => Just("Project"), 1 => Just("Global")],
        prop_oneof![4 => Just("Generic"), 1 => Just("Database"), 1 => Just("Nope")],
        arb_text(),
        prop_oneof![external, kubernetes],
    )
        .prop_map(|(name, scope, use_case, description, spec)| {
            // The values the keys need (a Kubernetes secret needs one per key).
            let values: Vec<Value> = spec["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|key| json!({"key": key, "value": format!("canary-{name}")}))
                .collect();
            json!({"name": name, "scope": scope, "project_id": null, "use_case": use_case,
                   "description": description, "spec": spec, "values": values})
        })
}

/// Form fields as a browser (or a forger) might post them: a create form filled in (mostly
/// plausibly), plus now and then unknown names and broken indexes.
fn arb_form() -> impl Strategy<Value = Vec<(String, String)>> {
    let junk_name = prop_oneof![
        "form\\[[a-z_]{1,12}\\]",
        "form\\[key\\]\\[(-1|x|99999999999999999999)\\]",
        "[a-z\\[\\]]{1,10}",
    ];
    (
        arb_create(),
        prop_oneof![3 => Just(Vec::new()), 1 => proptest::collection::vec((junk_name, arb_text()), 1..3)],
    )
        .prop_map(|(input, junk)| {
            let mut fields = Vec::new();
            let form = form_json(&input);
            for (name, value) in form.as_object().unwrap() {
                match value {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let text = item.as_str().unwrap_or_default().to_owned();
                            fields.push((format!("form[{name}][{i}]"), text));
                            if name == "key" {
                                fields.push((format!("form[value][{i}]"), "canary-form".to_owned()));
                            }
                        }
                    }
                    other => fields.push((format!("form[{name}]"), other.as_str().unwrap_or_default().to_owned())),
                }
            }
            fields.extend(junk);
            fields
        })
}

fn sample<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    strategy.new_tree(runner).unwrap().current()
}

/// A refused request answers a 4xx whose body names the field, never a 500. A rejected value
/// (422) names its own field; a body that cannot be decoded at all (400) names the field the
/// decoder could name, or `request` when there is none to name.
fn check(what: &str, status: u16, body: &Value) {
    assert!(
        status < 500,
        "{what}: {status} {body} — hostile input must never be a server error"
    );
    let field = body["field"].as_str().unwrap_or_default();
    match status {
        // One refused field, or (a form's validation) every problem at once, each naming its
        // field.
        422 if body["kind"] == "invalid" => {
            let errors = body["errors"].as_array().cloned().unwrap_or_default();
            assert!(
                !errors.is_empty(),
                "{what}: a refusal without problems: {body}"
            );
            for error in errors {
                let field = error["field"].as_str().unwrap_or_default();
                assert!(
                    !field.is_empty() && field != "request",
                    "{what}: each rejected value must name its field: {body}"
                );
            }
        }
        422 => assert!(
            !field.is_empty() && field != "request",
            "{what}: a rejected value must name its field: {body}"
        ),
        400 => assert!(!field.is_empty(), "{what}: 400 without a field: {body}"),
        200..=399 => {}
        other => panic!("{what}: unexpected {other}: {body}"),
    }
}

async fn count_secrets(db: &crate::support::TestDb) -> i64 {
    let pool = db.any_pool().await;
    sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
        .fetch_one(&pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn generated_payloads_never_500_every_rejection_names_its_field_and_nothing_half_written() {
    let (server, db) = demo_server(&Backend::Sqlite, vec![]).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let before = count_secrets(&db).await;
    let mut runner = TestRunner::deterministic();
    let mut accepted = 0;
    for case in 0..150 {
        let input = sample(&mut runner, &arb_create());
        let (status, body) = admin
            .call("create_secret", json!({"csrf": admin.csrf, "input": input}))
            .await;
        check(
            &format!("create_secret case {case}: {input}"),
            status,
            &body,
        );
        if status == 200 {
            accepted += 1;
        }
        let (status, body) = admin
            .call("preview_secret", json!({"form": form_json(&input)}))
            .await;
        check(&format!("preview_secret case {case}"), status, &body);
    }
    for case in 0..150 {
        let mut fields = sample(&mut runner, &arb_form());
        fields.insert(0, ("csrf".to_owned(), admin.csrf.clone()));
        let response = admin
            .http
            .post(format!("{}/api/create_secret_form", admin.base))
            .header("accept", "application/json")
            .form(&fields)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        check(
            &format!("create_secret_form case {case}: {fields:?}"),
            status,
            &body,
        );
        if status == 200 || (300..400).contains(&status) {
            accepted += 1;
        }
    }
    // Garbage bodies.
    for (case, body) in ["", "{", "null", "[]", "{\"csrf\": 1}", "\u{0}\u{ff}"]
        .iter()
        .enumerate()
    {
        let response = admin
            .http
            .post(format!("{}/api/create_secret", admin.base))
            .header("content-type", "application/json")
            .body(*body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
        check(&format!("garbage body {case}"), status, &answer);
    }
    assert_eq!(
        count_secrets(&db).await,
        before + accepted,
        "every refused request left nothing behind"
    );
}

/// The create form's JSON shape (`SecretForm`) for the same input, for the preview.
fn form_json(input: &Value) -> Value {
    let text = |v: &Value| json!(v.as_str().unwrap_or_default());
    let spec = &input["spec"];
    let data = spec["data"].as_array().cloned().unwrap_or_default();
    json!({
        "name": text(&input["name"]), "scope": text(&input["scope"]),
        "use_case": text(&input["use_case"]), "description": text(&input["description"]),
        "kind": text(&spec["kind"]), "store": text(&spec["store"]),
        "refresh_interval": text(&spec["refresh_interval"]),
        "secret_type": text(&spec["secret_type"]),
        "secret_key": data.iter().map(|d| text(&d["secret_key"])).collect::<Vec<_>>(),
        "remote_key": data.iter().map(|d| text(&d["remote_key"])).collect::<Vec<_>>(),
        "key": spec["keys"].as_array().cloned().unwrap_or_default(),
    })
}

/// Markup typed into text fields is shown as text: escaped in the page and in the serialized
/// hydration data (a `</script>` in a value must not end the script that carries it).
#[tokio::test]
async fn script_and_html_in_text_fields_render_inert() {
    let (server, _db) = demo_server(&Backend::Sqlite, vec![]).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let attack =
        "</script><script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
    let (status, id) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "inert", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": attack, "spec": {"kind": "External", "store": "vault", "refresh_interval": "1h", "data": [{"secret_key": "token", "remote_key": "x/y", "property": null, "version": null}]}, "values": []}}))
        .await;
    assert_eq!(status, 200, "{id}");
    let get = |path: String| {
        let admin = &admin;
        async move {
            let response = admin.http.get(format!("{}{path}", admin.base)).send().await;
            response.unwrap().text().await.unwrap()
        }
    };
    for path in [
        format!("/secrets/{id}"),
        "/secrets".to_owned(),
        format!("/secrets?search={}", urlencode(attack)),
    ] {
        let page = get(path.clone()).await;
        assert!(
            !page.contains("<script>window.__pwned") && !page.contains("<img src=x onerror"),
            "{path} renders the markup live:\n{page}"
        );
    }
    let page = get(format!("/secrets/{id}")).await;
    assert!(
        page.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;")
            || page.contains("&lt;/script&gt;&lt;script&gt;"),
        "the description is shown, as text"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A body larger than the limit is refused from its declared length, before it is sent: the
/// answer comes while the client has sent almost nothing.
#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (server, _db) = demo_server(&Backend::Sqlite, vec![]).await;
    let addr = server.direct.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/create_secret HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"csrf\": \"",
        64 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0_u8; 512];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("the server answers without waiting for 64 MiB")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A whole 5 MiB form is refused too, and the server stays well. (Straight to the server:
    // it answers and closes before the body is sent, so a client still writing sees either
    // the 413 or its upload cut off; a proxy in between would report a 502.)
    let client = server.client();
    let response = client
        .post(format!("{}/api/create_secret_form", server.direct))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 5 * 1024 * 1024])
        .send()
        .await;
    match response {
        Ok(response) => assert_eq!(response.status().as_u16(), 413),
        Err(error) => assert!(
            error.is_request() && !error.is_timeout(),
            "the upload should be cut off, not fail otherwise: {error}"
        ),
    }
    assert_eq!(
        client
            .get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}
