//! People (issue 22, point 3): an admin disables and enables a user (their sessions and open
//! live streams end at once), changes their role (effective at their next request), resets
//! their password (they must choose a new one before anything else; without JavaScript the
//! temporary password is shown once, by the post's own response); no change may leave the
//! console without an admin.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::{Client, PASSWORD, demo_server};
use crate::live::EventStream;
use crate::on_both_backends;
use crate::support::Backend;

on_both_backends!(
    a_disabled_users_open_stream_ends_and_their_next_request_is_signed_out,
    a_role_change_takes_effect_at_the_next_request,
    a_reset_password_must_be_replaced_before_anything_else
);

/// A user's id by email, from the admin's list.
pub(crate) async fn user_id(admin: &Client, email: &str) -> i64 {
    let (status, users) = admin.call("list_users", json!({})).await;
    assert_eq!(status, 200, "{users}");
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap_or_else(|| panic!("no user {email} in {users}"))["id"]
        .as_i64()
        .unwrap()
}

async fn whoami(client: &Client) -> Value {
    client.call("whoami", json!({})).await.1
}

/// Signs `client` in with `password`; answers the status and where the server sends them.
async fn sign_in(client: &Client, email: &str, password: &str) -> (u16, String) {
    let response = client
        .http
        .post(format!("{}/api/login", client.base))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers();
    let to = ["location", "serverfnredirect"]
        .iter()
        .filter_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .collect::<Vec<_>>()
        .join(" ");
    (status, to)
}

async fn a_disabled_users_open_stream_ends_and_their_next_request_is_signed_out(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let mut stream = EventStream::open(&server, "dev@example.com").await;
    let id = user_id(&admin, "dev@example.com").await;

    let (status, body) = admin
        .call(
            "set_user_disabled",
            json!({"csrf": admin.csrf, "user_id": id, "disabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The open page hears at once (not at the stream's 30 s session check) and stops. Updates
    // the reconciler sent just before may come first.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let (name, data) = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (name, data) = stream
            .next(left)
            .await
            .expect("the stream says it ends, within 5 s");
        if name != "status" {
            break (name, data);
        }
    };
    assert_eq!(name, "closed", "{data}");
    assert!(
        data["reason"].as_str().unwrap().contains("signed out"),
        "{data}"
    );
    assert!(
        stream.next(Duration::from_secs(2)).await.is_none(),
        "the stream ended"
    );
    // The next request is signed out; the user cannot sign in again.
    assert_eq!(whoami(&dev).await, Value::Null);
    assert_eq!(dev.call("list_projects", json!({})).await.0, 401);
    let again = Client::anonymous(&server);
    let (status, _) = sign_in(&again, "dev@example.com", PASSWORD).await;
    assert!(status >= 400, "a disabled user signs in: {status}");
    assert_eq!(
        events_status(&dev).await,
        401,
        "a disabled user opens no stream"
    );

    // Enabled again, they sign in.
    let (status, body) = admin
        .call(
            "set_user_disabled",
            json!({"csrf": admin.csrf, "user_id": id, "disabled": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let back = Client::signed_in(&server, "dev@example.com").await;
    assert_eq!(whoami(&back).await["email"], "dev@example.com");

    // The last admin cannot disable themselves, and says why.
    let admin_id = user_id(&admin, "admin@example.com").await;
    let (status, body) = admin
        .call(
            "set_user_disabled",
            json!({"csrf": admin.csrf, "user_id": admin_id, "disabled": true}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("no platform admin left"),
        "{body}"
    );
    assert_eq!(whoami(&admin).await["email"], "admin@example.com");
}

/// The status of `/live/events` for `client`.
async fn events_status(client: &Client) -> u16 {
    client
        .http
        .get(format!("{}/live/events", client.base))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_role_change_takes_effect_at_the_next_request(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let id = user_id(&admin, "dev@example.com").await;
    assert_eq!(dev.call("list_users", json!({})).await.0, 403);

    let (status, body) = admin
        .call(
            "set_user_role",
            json!({"csrf": admin.csrf, "user_id": id, "is_admin": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dev.call("list_users", json!({})).await.0, 200, "promoted");
    assert_eq!(whoami(&dev).await["is_admin"], true);

    // With another admin there, an admin still cannot disable their own account.
    let admin_id = user_id(&admin, "admin@example.com").await;
    let (status, body) = admin
        .call(
            "set_user_disabled",
            json!({"csrf": admin.csrf, "user_id": admin_id, "disabled": true}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("your own account"), "{body}");
    assert_eq!(whoami(&admin).await["email"], "admin@example.com");

    // Two admins now: the first may step down; then the other is the last and may not.
    let (status, body) = admin
        .call(
            "set_user_role",
            json!({"csrf": admin.csrf, "user_id": admin_id, "is_admin": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(admin.call("list_users", json!({})).await.0, 403, "demoted");
    let (status, body) = dev
        .call(
            "set_user_role",
            json!({"csrf": dev.csrf, "user_id": id, "is_admin": false}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body.to_string().contains("no platform admin left"),
        "{body}"
    );
    assert_eq!(
        dev.call("list_users", json!({})).await.0,
        200,
        "still an admin"
    );
}

async fn a_reset_password_must_be_replaced_before_anything_else(backend: Backend) {
    let (server, _db) = demo_server(&backend, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let dev = Client::signed_in(&server, "dev@example.com").await;
    let id = user_id(&admin, "dev@example.com").await;

    let (status, temporary) = admin
        .call("reset_password", json!({"csrf": admin.csrf, "user_id": id}))
        .await;
    assert_eq!(status, 200, "{temporary}");
    let temporary = temporary.as_str().expect("a temporary password").to_owned();
    assert!(temporary.len() >= 12);
    assert_eq!(whoami(&dev).await, Value::Null, "their sessions ended");

    let fresh = Client::anonymous(&server);
    let (status, _) = sign_in(&fresh, "dev@example.com", PASSWORD).await;
    assert!(status >= 400, "the old password still signs in: {status}");
    let (status, to) = sign_in(&fresh, "dev@example.com", &temporary).await;
    assert!(status < 400, "{status}");
    assert!(to.contains("/password"), "sent to choose a password: {to}");
    // Not signed in until a new password is chosen: nothing else works.
    assert_eq!(whoami(&fresh).await, Value::Null);
    assert_eq!(fresh.call("list_projects", json!({})).await.0, 401);
    let (status, body) = fresh
        .call(
            "choose_password",
            json!({"password": temporary, "confirm": temporary}),
        )
        .await;
    assert_eq!(status, 422, "the given one is refused: {body}");
    let (status, body) = fresh
        .call(
            "choose_password",
            json!({"password": "a-new-password-1", "confirm": "a-new-password-2"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = fresh
        .call(
            "choose_password",
            json!({"password": "a-new-password-1", "confirm": "a-new-password-1"}),
        )
        .await;
    assert!(status < 400, "{status} {body}");
    assert_eq!(whoami(&fresh).await["email"], "dev@example.com");

    // From now on the new password signs in straight away.
    let later = Client::anonymous(&server);
    let (status, to) = sign_in(&later, "dev@example.com", "a-new-password-1").await;
    assert!(status < 400 && to.contains("/secrets"), "{status} {to}");

    // An admin may set the password themselves: the user must still replace it.
    let (status, answer) = admin
        .call(
            "reset_password",
            json!({"csrf": admin.csrf, "user_id": id, "password": "set-by-the-admin"}),
        )
        .await;
    assert_eq!((status, answer), (200, Value::Null));
    let (_, to) = sign_in(
        &Client::anonymous(&server),
        "dev@example.com",
        "set-by-the-admin",
    )
    .await;
    assert!(to.contains("/password"), "{to}");
}

#[tokio::test]
async fn without_javascript_a_temporary_password_is_shown_once_and_kept_nowhere() {
    let (server, db) = demo_server(&Backend::Sqlite, Vec::new()).await;
    let admin = Client::signed_in(&server, "admin@example.com").await;
    let id = user_id(&admin, "dev@example.com").await;
    let users_page = |client: &Client| {
        let request = client.http.get(format!("{}/users", client.base));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    assert!(
        users_page(&admin)
            .await
            .contains("action=\"/api/reset_password\""),
        "the Users page posts its reset form there"
    );
    // The form as a browser without JavaScript posts it, the password field left empty.
    let post = |password: &'static str| {
        admin
            .http
            .post(format!("{}/api/reset_password", admin.base))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", format!("{}/users", admin.base))
            .form(&[
                ("csrf", admin.csrf.as_str()),
                ("user_id", id.to_string().as_str()),
                ("password", password),
            ])
            .send()
    };
    let response = post("").await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "a page, not a redirect");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.headers().get("x-console-show-once").is_none());
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Temporary password for dev@example.com"),
        "{page}"
    );
    assert!(page.contains("Shown once"), "{page}");
    assert!(page.contains("href=\"/users\""), "the way back: {page}");
    let start = page
        .find("class=\"temporary-password\">")
        .map(|at| at + "class=\"temporary-password\">".len())
        .expect("the temporary password");
    let temporary: String = page[start..].chars().take_while(|c| *c != '<').collect();
    assert!(temporary.len() >= 12, "{temporary}");

    // It signs the user in, to choose their own password.
    let (status, to) = sign_in(&Client::anonymous(&server), "dev@example.com", &temporary).await;
    assert!(status < 400 && to.contains("/password"), "{status} {to}");
    // Shown once: the Users page does not show it again, no session keeps it.
    assert!(
        !users_page(&admin).await.contains(&temporary),
        "shown twice"
    );
    let hex: String = temporary.bytes().map(|b| format!("{b:02X}")).collect();
    let (in_sessions,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sessions WHERE hex(data) LIKE '%' || $1 || '%'")
            .bind(&hex)
            .fetch_one(&db.any_pool().await)
            .await
            .unwrap();
    assert_eq!(in_sessions, 0, "a session keeps the temporary password");

    // A password the admin typed is not shown: back to the Users page, which says so.
    let response = post("typed-by-the-admin").await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/users");
    let page = users_page(&admin).await;
    assert!(
        page.contains("Password of dev@example.com reset"),
        "the notice: {page}"
    );
    assert!(!page.contains("typed-by-the-admin"));
}
