//! A form posted without JavaScript that fails comes back: the browser is sent to the form's
//! page (303, nothing in the URL), which shows the person's input (never a value) and every
//! problem once; a success says so on the page the browser is sent to.

use serde_json::json;

use crate::auth::{Client, demo_server};
use crate::support::Backend;

/// Posts a form as a browser without JavaScript does, from the page at `from`.
async fn post_from(client: &Client, from: &str, endpoint: &str, body: &str) -> reqwest::Response {
    client
        .http
        .post(format!("{}/api/{endpoint}", client.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", format!("{}{from}", client.base))
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// A page as a browser gets it.
async fn page(client: &Client, path: &str) -> String {
    let response = client
        .http
        .get(format!("{}{path}", client.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

fn enc(text: &str) -> String {
    text.replace('%', "%25")
        .replace('&', "%26")
        .replace('=', "%3D")
        .replace('+', "%2B")
}

#[tokio::test]
async fn a_refused_plain_form_comes_back_with_its_input_and_every_problem_but_no_value() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let csrf = enc(&admin.csrf);
    let bad = format!(
        "csrf={csrf}&form[name]=Bad_Name&form[scope]=Organization&form[use_case]=Generic\
         &form[description]=kept+text&form[kind]=Kubernetes&form[store]=&form[secret_type]=Opaque\
         &form[key][0]=bad+key&form[value][0]=canary-flash-value&form[key][1]=&form[value][1]="
    );
    let response = post_from(&admin, "/secrets/new", "create_secret_form", &bad).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/secrets/new", "no error in the URL");
    assert!(!response.text().await.unwrap().contains("validation"));

    let html = page(&admin, "/secrets/new").await;
    assert!(html.contains(r#"value="Bad_Name""#), "the name is kept");
    assert!(html.contains("kept text"), "the description is kept");
    assert!(html.contains(r#"value="bad key""#), "the key is kept");
    assert!(html.contains("must be lowercase"), "the name's problem");
    assert!(html.contains("Key 1:"), "the key's problem, named in words");
    assert!(html.contains("2 problems to fix"), "a summary of both");
    assert!(html.contains("Values are never sent back"));
    assert!(!html.contains("canary"), "a value never comes back");

    let again = page(&admin, "/secrets/new").await;
    assert!(!again.contains("Bad_Name"), "shown once");

    // The bundle's own call gets every problem as JSON, and no redirect.
    let (status, body) = admin
        .call("create_secret_form", json!({"csrf": admin.csrf, "form": {"name": "Bad_Name", "scope": "Organization", "use_case": "Generic", "kind": "External", "store": "", "secret_key": ["k"], "remote_key": [""]}}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["kind"], "invalid", "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "store", "data[0].remote_key"]);
}

#[tokio::test]
async fn a_plain_form_says_what_it_did_or_why_not_on_the_next_page() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let csrf = enc(&admin.csrf);
    let good = format!(
        "csrf={csrf}&form[name]=flash-made&form[scope]=Organization&form[use_case]=Generic\
         &form[kind]=External&form[store]=vault&form[refresh_interval]=1h0m0s\
         &form[secret_key][0]=password&form[remote_key][0]=shared/postgres/password"
    );
    let response = post_from(&admin, "/secrets/new", "create_secret_form", &good).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/secrets/"), "{location}");
    let html = page(&admin, &location).await;
    assert!(html.contains("Secret flash-made created."), "the success");
    assert!(
        !page(&admin, &location).await.contains("flash-made created"),
        "said once"
    );

    // Bulk Apply with nothing selected: back to the list, which says why.
    let response = post_from(
        &admin,
        "/secrets?scope=Organization",
        "bulk_secrets",
        &format!("csrf={csrf}&action=sync"),
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/secrets?scope=Organization"
    );
    let html = page(&admin, "/secrets?scope=Organization").await;
    assert!(html.contains("select at least one secret"), "why not");
}
