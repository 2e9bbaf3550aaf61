//! People (issue 22, point 3): an admin disables and enables a user (their sessions and open
//! live streams end at once), changes their role (effective at their next request), resets
//! their password (they must choose a new one before anything else); no change may leave the
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

    // The open page hears at once (not at the stream's 30 s session check) and stops.
    let (name, data) = stream
        .next(Duration::from_secs(5))
        .await
        .expect("the stream says it ends");
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
