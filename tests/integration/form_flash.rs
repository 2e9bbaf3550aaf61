//! A form posted without JavaScript that fails comes back: the browser is sent to the form's
//! page (303, nothing in the URL), which shows the person's input (never a value) and every
//! problem once; a success says so on the page the browser is sent to.

use serde_json::json;

use crate::auth::{Client, demo_server, enc};
use crate::support::Backend;

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
    let response = admin
        .post_from("/secrets/new", "create_secret_form", &bad)
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/secrets/new", "no error in the URL");
    assert!(!response.text().await.unwrap().contains("validation"));

    let html = admin.page("/secrets/new").await;
    assert!(html.contains(r#"value="Bad_Name""#), "the name is kept");
    assert!(html.contains("kept text"), "the description is kept");
    assert!(html.contains(r#"value="bad key""#), "the key is kept");
    assert!(html.contains("must be lowercase"), "the name's problem");
    assert!(html.contains("Key 1:"), "the key's problem, named in words");
    assert!(html.contains("2 problems to fix"), "a summary of both");
    assert!(html.contains("Values are never sent back"));
    assert!(!html.contains("canary"), "a value never comes back");

    let again = admin.page("/secrets/new").await;
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
    let response = admin
        .post_from("/secrets/new", "create_secret_form", &good)
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/secrets/"), "{location}");
    let html = admin.page(&location).await;
    assert!(html.contains("Secret flash-made created."), "the success");
    assert!(
        !admin.page(&location).await.contains("flash-made created"),
        "said once"
    );

    // Bulk Apply with nothing selected: back to the list, which says why.
    let response = admin
        .post_from(
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
    let html = admin.page("/secrets?scope=Organization").await;
    assert!(html.contains("select at least one secret"), "why not");
}

/// Whether `html` has a checkbox of the list `name` (`name[0]`, `name[1]`, …) for `value`,
/// ticked.
fn ticked(html: &str, name: &str, value: i64) -> bool {
    html.split("<input")
        .skip(1)
        .map(|tag| tag.split('>').next().unwrap_or_default())
        .filter(|tag| {
            tag.contains(&format!("name=\"{name}[")) && tag.contains(&format!("value=\"{value}\""))
        })
        .any(|tag| {
            tag.split_whitespace().any(|attribute| {
                matches!(attribute.trim_end_matches('/'), "checked" | "checked=\"\"")
            })
        })
}

#[tokio::test]
async fn a_refused_plain_checkbox_form_comes_back_with_the_boxes_as_they_were_ticked() {
    let (server, _db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let csrf = enc(&admin.csrf);
    let (payments, search) = (
        crate::live::project_id(&admin, "payments").await,
        crate::live::project_id(&admin, "search").await,
    );

    // The bulk bar: two rows and a project ticked, Delete chosen, the confirmation forgotten.
    let (_, list) = admin
        .call("list_secrets", json!({"query": {"search": null, "kind": null, "scope": null, "status": null, "project_id": null, "use_case": null, "sort": "Name", "descending": false, "page": 1, "per_page": 50}}))
        .await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(ids.len() >= 3, "{list}");
    let body = format!(
        "csrf={csrf}&ids[0]={}&ids[2]={}&action=delete&project_ids[1]={search}&confirm=",
        ids[0], ids[2]
    );
    let response = admin.post_from("/secrets", "bulk_secrets", &body).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/secrets");
    let html = admin.page("/secrets").await;
    assert!(html.contains("type delete to confirm"), "why not, in words");
    assert!(
        ticked(&html, "ids", ids[0]) && ticked(&html, "ids", ids[2]),
        "the rows ticked"
    );
    assert!(!ticked(&html, "ids", ids[1]), "and no other");
    assert!(ticked(&html, "project_ids", search), "the project ticked");
    assert!(!ticked(&html, "project_ids", payments));
    assert!(
        html.contains(r#"<option value="delete" selected"#),
        "the action kept"
    );
    let again = admin.page("/secrets").await;
    assert!(
        !ticked(&again, "ids", ids[0]),
        "only on the page it was sent back to"
    );

    // The assign picker: payments ticked with a project that someone deleted meanwhile.
    let (status, secret) = admin
        .call("create_secret", json!({"csrf": admin.csrf, "input": {"name": "ticks-kept", "scope": "Organization", "project_id": null, "use_case": "Generic", "description": "", "spec": crate::auth::external_spec("vault", "shared/x"), "values": []}}))
        .await;
    assert_eq!(status, 200, "{secret}");
    let secret = secret.as_i64().unwrap();
    let at = format!("/secrets/{secret}");
    let body = format!("csrf={csrf}&id={secret}&project_ids[0]={payments}&project_ids[1]=999999");
    let response = admin.post_from(&at, "set_assignments", &body).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], at.as_str());
    let html = admin.page(&at).await;
    assert!(
        html.contains("there is no project with id 999999"),
        "why not"
    );
    assert!(
        ticked(&html, "project_ids", payments),
        "payments still ticked"
    );
    assert!(!ticked(&html, "project_ids", search));
    assert!(html.contains("1 project selected"), "and counted");
    assert!(
        !ticked(&admin.page(&at).await, "project_ids", payments),
        "nothing saved"
    );

    // Memberships on the Users page: the ticked projects of that user's row, not another's.
    let (status, users) = admin.call("list_users", json!({})).await;
    assert_eq!(status, 200, "{users}");
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
    let dev = id_of("dev@example.com");
    let body = format!("csrf={csrf}&user_id={dev}&project_ids[1]={search}&project_ids[2]=999999");
    let response = admin.post_from("/users", "set_memberships", &body).await;
    assert_eq!(response.status(), 303);
    let html = admin.page("/users").await;
    assert!(
        html.contains("there is no project with id 999999"),
        "why not"
    );
    // A row's boxes: its fieldset, "Projects of <email>".
    let row = |email: &str| {
        let start = html.find(&format!("Projects of {email}")).unwrap();
        let end = html[start..].find("</fieldset>").unwrap();
        html[start..start + end].to_owned()
    };
    let (dev_row, other_row) = (row("dev@example.com"), row("admin@example.com"));
    assert!(
        ticked(&dev_row, "project_ids", search),
        "search ticked for dev"
    );
    assert!(
        !ticked(&dev_row, "project_ids", payments),
        "payments as unticked"
    );
    assert!(
        !ticked(&other_row, "project_ids", search),
        "other rows as saved"
    );
}
