//! Server-rendered pages and server functions over HTTP.

use serde_json::json;

use crate::auth::{Client, demo_server, secret_id};
use crate::on_both_backends;
use crate::support::{Backend, TestServer};

on_both_backends!(
    secrets_page_is_rendered_on_the_server_with_navigation,
    root_redirects_to_secrets,
    unknown_page_answers_404,
    server_info_server_function_answers_over_http,
);

async fn secrets_page_is_rendered_on_the_server_with_navigation(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    // What runs where is for admins: an anonymous visitor's footer does not say it.
    let anonymous = server
        .client()
        .get(server.url("/secrets"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(anonymous.contains("<h1>Secrets</h1>"), "{anonymous}");
    assert!(!anonymous.contains("secrets-console 0."), "{anonymous}");
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let response = admin.http.get(server.url("/secrets")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Secrets</h1>"), "{html}");
    assert!(html.contains(r#"href="/secrets""#));
    assert!(html.contains(r#"href="/projects""#));
    // The hydration bundle is referenced, so the browser will load the WASM app.
    assert!(html.contains("/pkg/secrets-console.js"), "{html}");
    assert!(html.contains("/pkg/secrets-console.css"));
    // The footer's resource was resolved on the server.
    let engine = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres(_) => "PostgreSQL",
    };
    assert!(
        html.contains(&format!(
            "secrets-console {} · {engine}",
            env!("CARGO_PKG_VERSION")
        )),
        "{html}"
    );
}

async fn root_redirects_to_secrets(backend: Backend) {
    let db = backend.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    // As a browser asks for it: leptos answers a redirect with 302 when HTML is accepted.
    let response = server
        .client()
        .get(server.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/secrets");
}

async fn unknown_page_answers_404(backend: Backend) {
    let db = backend.fresh_database().await;
    let server = TestServer::start(&db.url).await;
    let response = server
        .client()
        .get(server.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

async fn server_info_server_function_answers_over_http(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let ask = |http: &reqwest::Client| {
        http.post(server.url("/api/server_info"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
    };
    let anonymous = ask(&server.client()).await.unwrap();
    assert_eq!(anonymous.status(), 200);
    let nothing: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(
        nothing,
        serde_json::Value::Null,
        "told an anonymous visitor"
    );
    let member = Client::signed_in(&server, "dev@example.com").await;
    let (status, nothing) = member.call("server_info", serde_json::json!({})).await;
    assert_eq!((status, nothing), (200, serde_json::Value::Null));
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let response = ask(&admin.http).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let expected = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres(_) => "PostgreSQL",
    };
    assert_eq!(body["database"], expected);
}

/// The string literals of a page's hydration data (`__RESOLVED_RESOURCES[n] = "…"`), one per
/// resource the page loaded on the server.
fn hydration_payloads(html: &str) -> Vec<&str> {
    html.split("__RESOLVED_RESOURCES[")
        .skip(1)
        .filter_map(|rest| {
            let literal = rest.split_once("] = \"")?.1;
            let mut escaped = false;
            let end = literal
                .char_indices()
                .find_map(|(i, c)| match (c, escaped) {
                    ('"', false) => Some(i),
                    ('\\', false) => {
                        escaped = true;
                        None
                    }
                    _ => {
                        escaped = false;
                        None
                    }
                })?;
            Some(&literal[..end])
        })
        .collect()
}

/// A response header as text, if present.
fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// A signed-in page is built once on the server: each thing it loads is in its hydration data
/// once (the sign-in gate used to build the page twice: twice the queries, twice the data).
/// Browsers that accept gzip or brotli get it compressed; the live stream never is.
#[tokio::test]
async fn a_page_is_built_once_and_sent_compressed() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    // Straight to the app: the leak-scanning proxy asks it for plain bodies.
    let get = |path: &'static str, encoding: &'static str| {
        admin
            .http
            .get(format!("{}{path}", server.direct))
            .header("accept", "text/html")
            .header("accept-encoding", encoding)
            .send()
    };
    let plain = get("/secrets", "identity").await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-encoding"), None);
    let html = plain.text().await.unwrap();
    // The Secrets page renders in islands mode: no hydration data at all. The rows are the
    // server's HTML; only small islands run in the browser (the bulk bar, and each row's
    // status and "Assigned to" cells), whose props carry ids, statuses and project names,
    // never a row as a whole: a secret's name is in the page once, as its link.
    assert!(
        hydration_payloads(&html).is_empty(),
        "an islands page sends no hydration data"
    );
    assert!(html.contains("<html lang=\"en\" data-islands=\"true\">"));
    let islands = |name: &str| {
        html.split(&format!("<leptos-island data-component=\"{name}_"))
            .skip(1)
            .map(|rest| {
                rest.split_once("data-props=\"")
                    .and_then(|(_, rest)| rest.split_once('"'))
                    .map(|(props, _)| props)
                    .expect("an island's props")
            })
            .collect::<Vec<&str>>()
    };
    let rows = html.matches("name=\"ids[").count();
    assert!(rows >= 4, "the demo's secrets are listed: {rows}");
    assert_eq!(islands("BulkBar").len(), 1, "one bulk bar");
    assert_eq!(islands("StatusCell").len(), rows, "a status cell per row");
    assert_eq!(
        islands("AssignedToCell").len(),
        rows,
        "an Assigned to cell per row"
    );
    assert!(
        islands("SecretsTable").is_empty(),
        "no island holds the whole table"
    );
    assert!(
        !html.contains("<leptos-island data-component=\"SecretRow"),
        "a row is not an island"
    );
    assert_eq!(
        html.matches("postgres-credentials").count(),
        2,
        "the secret's name is in its link and its checkbox's label, in no island's props"
    );
    // (`.js`: a binary built without cargo-leptos names its WASM `…_bg.wasm`.)
    assert!(html.contains("href=\"/pkg/secrets-console-islands.js\""));
    assert!(!html.contains("href=\"/pkg/secrets-console.js\""));
    // The pages that load one thing (through the page loader) build it once too.
    let id = secret_id(&admin, "postgres-credentials").await;
    for path in [
        format!("/secrets/{id}"),
        format!("/secrets/{id}/edit"),
        "/projects/payments".to_owned(),
        "/stores".to_owned(),
    ] {
        let html = admin
            .http
            .get(format!("{}{path}", server.direct))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let payloads = hydration_payloads(&html);
        assert!(payloads.len() >= 3, "{path}: {payloads:?}");
        for (i, payload) in payloads.iter().enumerate() {
            assert!(
                !payloads[..i].contains(payload),
                "{path} loaded twice: {payload}"
            );
        }
    }

    for encoding in ["gzip", "br"] {
        let answer = get("/secrets", encoding).await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(header(&answer, "content-encoding"), Some(encoding));
        let bytes = answer.bytes().await.unwrap();
        assert!(
            bytes.len() * 3 < html.len(),
            "{encoding}: {} bytes for {} of HTML",
            bytes.len(),
            html.len()
        );
    }

    // A refusal keeps its status when its body is compressed (the status is read from it).
    let refused = admin
        .http
        .post(format!("{}/api/list_secrets", server.direct))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(header(&refused, "content-encoding"), Some("gzip"));

    let live = get("/live/events", "gzip").await.unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(header(&live, "content-type"), Some("text/event-stream"));
    assert_eq!(
        header(&live, "content-encoding"),
        None,
        "SSE must not be buffered by compression"
    );
}

/// The start tag of the first element whose attributes include `attribute` (`id="main"`).
fn tag_with<'a>(html: &'a str, attribute: &str) -> Option<&'a str> {
    let at = html.find(attribute)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    Some(&html[start..=end])
}

/// The value of `name` in a start tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let rest = &tag[tag.find(&format!(" {name}=\""))? + name.len() + 3..];
    Some(&rest[..rest.find('"')?])
}

/// The text of the element whose start tag is `tag`, up to its first child's end (enough for
/// a message in one element).
fn text_after<'a>(html: &'a str, tag: &str) -> &'a str {
    let start = html.find(tag).unwrap() + tag.len();
    let end = start + html[start..].find("</").unwrap();
    &html[start..end]
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Keyboard users skip the top bar and navigation: the first link of every page goes to the
/// content, which exists and can take the focus.
#[tokio::test]
async fn the_skip_link_is_the_first_link_and_lands_on_the_content() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let anonymous = Client::anonymous(&server);
    for (client, path) in [
        (&admin, "/secrets"),
        (&admin, "/projects"),
        (&anonymous, "/login"),
    ] {
        let html = client.page(path).await;
        let body = &html[html.find("<body").unwrap()..];
        let first = &body[body.find("<a ").expect("a link")..];
        let first = &first[..=first.find('>').unwrap()];
        assert!(first.contains(r#"class="skip-link""#), "{path}: {first}");
        // Nothing focusable comes before it.
        let before = &body[..body.find(first).unwrap()];
        for control in [
            "<button",
            "<input",
            "<select",
            "<textarea",
            "tabindex=\"0\"",
        ] {
            assert!(
                !before.contains(control),
                "{path}: {control} before the skip link"
            );
        }
        assert!(
            body.contains(r#">Skip to content</a>"#),
            "{path}: the link says where it goes"
        );
        let target = attribute(first, "href").unwrap();
        let id = target.strip_prefix('#').expect("a link within the page");
        let main = tag_with(body, &format!(r#"id="{id}""#)).expect("the target exists");
        assert!(main.starts_with("<main"), "{main}");
        assert_eq!(attribute(main, "tabindex"), Some("-1"), "{main}");
    }
}

/// A form posted without JavaScript that the server refuses comes back with the refused field
/// marked invalid and pointing at a message that says why.
#[tokio::test]
async fn a_refused_field_is_marked_invalid_and_points_at_its_message() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let csrf = admin
        .csrf
        .replace('%', "%25")
        .replace('&', "%26")
        .replace('=', "%3D")
        .replace('+', "%2B");
    // Posts `body` from the page at `from`, as a browser does; returns the page it is sent back
    // to, and what the server said (`said`: the same refusal, as the bundle's call gets it).
    let refused = |endpoint: &'static str, from: String, body: String, said: serde_json::Value| {
        let admin = &admin;
        async move {
            let (status, error) = admin.call(endpoint, said).await;
            assert_eq!(status, 422, "{endpoint}: {error}");
            let response = admin
                .http
                .post(format!("{}/api/{endpoint}", admin.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "text/html")
                .header("referer", format!("{}{from}", admin.base))
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 303, "{endpoint}");
            let back = response.headers()["location"].to_str().unwrap().to_owned();
            assert_eq!(back, from, "back to the form");
            let html = admin
                .http
                .get(format!("{}{back}", admin.base))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            (html, error["message"].as_str().unwrap().to_owned())
        }
    };
    let check = |html: &str, field_id: &str, message: &str| {
        let field = tag_with(html, &format!(r#"id="{field_id}""#)).expect("the field");
        assert_eq!(attribute(field, "aria-invalid"), Some("true"), "{field}");
        let described = attribute(field, "aria-describedby").expect("described");
        let error_id = described
            .split(' ')
            .find(|id| id.ends_with("-error"))
            .unwrap_or_else(|| panic!("no error among {described}"));
        let error = tag_with(html, &format!(r#"id="{error_id}""#)).expect("the message");
        assert!(!error.starts_with("<input"), "{error}");
        assert_eq!(unescape(text_after(html, error)), message);
        assert_eq!(
            attribute(error, "role"),
            Some("alert"),
            "announced: {error}"
        );
        // Only the refused field is marked.
        assert_eq!(html.matches(r#"aria-invalid="true""#).count(), 1);
    };

    let bad = format!(
        "csrf={csrf}&form[name]=Bad_Name&form[scope]=Organization&form[use_case]=Generic&form[kind]=External&form[store]=vault&form[secret_key][0]=k&form[remote_key][0]=shared/x"
    );
    let said = json!({"csrf": admin.csrf, "form": {"name": "Bad_Name", "scope": "Organization", "use_case": "Generic", "kind": "External", "store": "vault", "secret_key": ["k"], "remote_key": ["shared/x"]}});
    let (html, message) = refused("create_secret_form", "/secrets/new".into(), bad, said).await;
    check(&html, "secret-name", &message);
    let name = tag_with(&html, r#"id="secret-name""#).unwrap();
    assert!(
        attribute(name, "aria-describedby")
            .unwrap()
            .starts_with("name-help "),
        "the help text still describes it: {name}"
    );
    // A field without a problem is not marked.
    let store = tag_with(&html, r#"id="secret-store""#).unwrap();
    assert_eq!(attribute(store, "aria-invalid"), None, "{store}");

    let id = secret_id(&admin, "postgres-credentials").await;
    let wrong = format!("csrf={csrf}&id={id}&confirm=postgres");
    let said = json!({"csrf": admin.csrf, "id": id, "confirm": "postgres"});
    let (html, message) = refused("delete_secret", format!("/secrets/{id}"), wrong, said).await;
    assert!(message.contains("postgres-credentials"), "{message}");
    check(&html, "delete-confirm", &message);
}

/// Which buttons a page offers is what the server says the viewer may do; admins are offered
/// what members are not.
#[tokio::test]
async fn members_are_offered_only_what_they_may_do() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let member = Client::signed_in(&server, "dev@example.com").await;
    let org = secret_id(&admin, "postgres-credentials").await;
    let own = secret_id(&admin, "payments-api-key").await;

    // The flags come with the data.
    let query = json!({"query": {"search": null, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}});
    let flags = |page: &serde_json::Value, id: i64| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["permissions"]
            .clone()
    };
    let (_, page) = member.call("list_secrets", query.clone()).await;
    assert_eq!(
        flags(&page, org),
        json!({"can_edit": false, "can_delete": false, "can_sync": false, "can_assign": false, "can_adopt": false})
    );
    assert_eq!(
        flags(&page, own),
        json!({"can_edit": true, "can_delete": true, "can_sync": true, "can_assign": false, "can_adopt": false})
    );
    let (_, page) = admin.call("list_secrets", query).await;
    assert_eq!(flags(&page, org)["can_assign"], true);
    assert_eq!(
        flags(&page, own)["can_assign"],
        false,
        "a project secret is not assigned"
    );
    let (_, me) = member.call("whoami", json!({})).await;
    assert_eq!(me["permissions"]["can_create_org_secrets"], false);

    let edit = |id: i64| format!(r#"href="/secrets/{id}/edit""#);
    let assign = |id: i64| format!(r#"href="/secrets/{id}#assign""#);
    let html = admin.page(&format!("/secrets/{org}")).await;
    for offered in [
        edit(org),
        "Delete secret".into(),
        "Assign to projects".into(),
    ] {
        assert!(html.contains(&offered), "admin: {offered}");
    }
    let html = member.page(&format!("/secrets/{org}")).await;
    for hidden in [
        edit(org),
        "Delete secret".into(),
        "Assign to projects".into(),
    ] {
        assert!(!html.contains(&hidden), "member: {hidden}");
    }
    let html = member.page(&format!("/secrets/{own}")).await;
    assert!(html.contains(&edit(own)) && html.contains("Delete secret"));
    assert!(!html.contains("Assign to projects"));

    let html = admin.page("/secrets").await;
    for offered in [
        assign(org),
        r#"value="assign""#.into(),
        "Create organization secret".into(),
        r#"href="/users""#.into(),
        r#"href="/stores""#.into(),
    ] {
        assert!(html.contains(&offered), "admin: {offered}");
    }
    let html = member.page("/secrets").await;
    assert!(html.contains("postgres-credentials"));
    for hidden in [
        assign(org),
        r#"value="assign""#.into(),
        "Create organization secret".into(),
        r#"href="/users""#.into(),
        r#"href="/stores""#.into(),
    ] {
        assert!(!html.contains(&hidden), "member: {hidden}");
    }
    // The server refuses what is not offered, whatever the page showed.
    let (status, _) = member
        .call(
            "set_assignments",
            json!({"csrf": member.csrf, "id": org, "project_ids": []}),
        )
        .await;
    assert_eq!(status, 403);
}
