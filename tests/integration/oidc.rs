//! Single sign-on refusals, over HTTP against the real binary. The ID tokens here must be
//! wrong on purpose (another audience, expired, tampered, signed with a key the provider does
//! not publish), which no real provider issues: so a small provider of our own on loopback
//! stands in — discovery, JWKS and a token endpoint handing out the ID token the test made,
//! signed with the test keys in `oidc_keys/` (made for these tests, used nowhere else), and a
//! userinfo endpoint answering what the test says. The journeys through a real provider (npm's
//! oidc-provider) are in end2end/tests/oidc.spec.ts. The audit walk (`audit_log.rs`) signs in
//! through this provider too.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::{Value, json};

use crate::auth::{Client, PASSWORD, demo_server};
use crate::on_both_backends;
use crate::support::{Backend, TestServer};

on_both_backends!(
    a_member_of_the_admin_group_signs_in_as_admin_and_a_replayed_answer_is_refused,
    a_user_removed_from_the_admin_group_is_a_member_at_next_sign_in,
    a_cross_site_callback_reloads_from_our_site_and_signs_in_once,
    email_and_groups_missing_from_the_id_token_are_read_from_userinfo
);

const CLIENT_ID: &str = "secrets-console-test";

/// The test keys: (key id, PEM).
pub(crate) const KEY_1: (&str, &str) = ("key-1", include_str!("oidc_keys/test-key-1.pem"));
const KEY_2: (&str, &str) = ("key-2", include_str!("oidc_keys/test-key-2.pem"));

fn signing_key((kid, pem): (&str, &str)) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.to_owned())))
        .expect("test key")
}

/// What the stand-in provider serves.
#[derive(Default)]
struct ProviderState {
    /// The keys its JWKS publishes.
    published: Vec<Value>,
    /// The ID token its token endpoint hands out next.
    id_token: Option<String>,
    /// What its userinfo endpoint answers (a 500 when None: it was not meant to be asked).
    userinfo: Option<Value>,
    /// How many times the userinfo endpoint was asked, with the right access token.
    userinfo_calls: usize,
}

/// The stand-in provider on loopback.
pub(crate) struct TestProvider {
    issuer: String,
    state: Arc<Mutex<ProviderState>>,
}

/// The userinfo endpoint: what the test set, for the access token the token endpoint gave.
async fn userinfo(
    State(state): State<Arc<Mutex<ProviderState>>>,
    headers: HeaderMap,
) -> impl IntoResponse {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some("Bearer test-access-token")
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_token"})),
        );
    }
    let mut state = state.lock().unwrap();
    state.userinfo_calls += 1;
    match state.userinfo.clone() {
        Some(answer) => (StatusCode::OK, Json(answer)),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "unexpected"})),
        ),
    }
}

impl TestProvider {
    pub(crate) async fn start() -> TestProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ProviderState::default()));
        let discovery = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
            "end_session_endpoint": format!("{issuer}/logout"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
        });
        let router = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { Json(discovery) }),
            )
            .route(
                "/jwks",
                get(
                    |State(state): State<Arc<Mutex<ProviderState>>>| async move {
                        Json(json!({ "keys": state.lock().unwrap().published.clone() }))
                    },
                ),
            )
            .route(
                "/token",
                post(
                    |State(state): State<Arc<Mutex<ProviderState>>>| async move {
                        let id_token = state.lock().unwrap().id_token.clone();
                        Json(json!({
                            "access_token": "test-access-token",
                            "token_type": "Bearer",
                            "expires_in": 60,
                            "id_token": id_token,
                        }))
                    },
                ),
            )
            .route("/userinfo", get(userinfo))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let provider = TestProvider { issuer, state };
        provider.publish(&[KEY_1]);
        provider
    }

    /// Publishes exactly these keys in the JWKS.
    fn publish(&self, keys: &[(&str, &str)]) {
        self.state.lock().unwrap().published = keys
            .iter()
            .map(|key| serde_json::to_value(signing_key(*key).as_verification_key()).unwrap())
            .collect();
    }

    /// Makes the token endpoint hand out `claims`, signed with `key`.
    pub(crate) fn will_answer(&self, claims: &Value, key: (&str, &str)) {
        self.state.lock().unwrap().id_token = Some(sign(claims, key));
    }

    /// The environment that points the console at this provider.
    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SECRETS_CONSOLE_OIDC_ISSUER_URL", self.issuer.clone()),
            ("SECRETS_CONSOLE_OIDC_CLIENT_ID", CLIENT_ID.to_owned()),
            (
                "SECRETS_CONSOLE_OIDC_CLIENT_SECRET",
                "test-client-secret".to_owned(),
            ),
            ("SECRETS_CONSOLE_PUBLIC_URL", "http://127.0.0.1".to_owned()),
            ("SECRETS_CONSOLE_OIDC_DISPLAY_NAME", "Test SSO".to_owned()),
        ]
    }

    /// Claims of a good ID token for `nonce`, for the person `sub` in `groups`.
    pub(crate) fn claims(&self, nonce: &str, sub: &str, groups: &[&str]) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        json!({
            "iss": self.issuer,
            "aud": [CLIENT_ID],
            "sub": sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "email": format!("{sub}@sso.example.com"),
            "email_verified": true,
            "groups": groups,
        })
    }
}

/// A compact JWS (RS256) of `claims` with `key`.
fn sign(claims: &Value, key: (&str, &str)) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": key.0 });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signing_key(key)
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A sign-in started at the console: its `state` and `nonce`, as the provider received them.
pub(crate) struct Started {
    pub(crate) state: String,
    pub(crate) nonce: String,
}

pub(crate) async fn start_sign_in(client: &Client) -> Started {
    let response = client
        .http
        .get(format!("{}/auth/login", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let url = reqwest::Url::parse(&location).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {location}"))
    };
    assert_eq!(param("code_challenge_method"), "S256", "PKCE");
    assert_eq!(param("client_id"), CLIENT_ID);
    assert!(param("scope").contains("openid"));
    Started {
        state: param("state"),
        nonce: param("nonce"),
    }
}

/// The provider sends the browser back; where the console sends it next.
pub(crate) async fn come_back(client: &Client, state: &str) -> String {
    let response = client
        .http
        .get(format!(
            "{}/auth/callback?code=test-code&state={state}",
            client.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Follows a refusal to the sign-in page and returns what it shows.
async fn refusal_page(client: &Client, location: &str) -> String {
    assert!(location.starts_with("/login?sso="), "{location}");
    assert!(!location.contains("eyJ"), "no token in the URL: {location}");
    client
        .http
        .get(format!("{}{location}", client.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn whoami(client: &Client) -> Value {
    let (status, body) = client.call("whoami", json!({})).await;
    assert_eq!(status, 200);
    body
}

/// The demo, signing in through `provider`; keep the database as long as the server.
async fn sso_server(
    backend: &Backend,
    provider: &TestProvider,
) -> (TestServer, crate::support::TestDb) {
    demo_server(backend, provider.env()).await
}

async fn a_member_of_the_admin_group_signs_in_as_admin_and_a_replayed_answer_is_refused(
    backend: Backend,
) {
    let provider = TestProvider::start().await;
    let (server, _db) = sso_server(&backend, &provider).await;
    let client = Client::anonymous(&server);
    let started = start_sign_in(&client).await;
    provider.will_answer(
        &provider.claims(&started.nonce, "ada", &["secrets-console-admins"]),
        KEY_1,
    );
    assert_eq!(come_back(&client, &started.state).await, "/secrets");
    let me = whoami(&client).await;
    assert_eq!(me["email"], "ada@sso.example.com");
    assert_eq!(me["is_admin"], true);

    // The same answer again (a replayed state, say from the browser's history).
    let location = come_back(&client, &started.state).await;
    let page = refusal_page(&client, &location).await;
    assert!(
        page.contains("This sign-in was already completed"),
        "{location}: {page}"
    );
}

async fn a_user_removed_from_the_admin_group_is_a_member_at_next_sign_in(backend: Backend) {
    let provider = TestProvider::start().await;
    let (server, _db) = sso_server(&backend, &provider).await;
    let sign_in = |groups: &'static [&'static str]| {
        let (client, provider) = (Client::anonymous(&server), &provider);
        async move {
            let started = start_sign_in(&client).await;
            provider.will_answer(&provider.claims(&started.nonce, "cleo", groups), KEY_1);
            assert_eq!(come_back(&client, &started.state).await, "/secrets");
            whoami(&client).await
        }
    };
    let before = sign_in(&["secrets-console-admins", "project:search"]).await;
    assert_eq!(before["is_admin"], true);
    let after = sign_in(&["project:payments", "project:no-such-project"]).await;
    assert_eq!(after["is_admin"], false);
    assert_eq!(after["email"], before["email"], "the same user, updated");
    let projects: Vec<&str> = after["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(projects, ["payments"]);
}

/// The provider's redirect back arriving as a cross-site navigation: the browser sends no
/// SameSite=Strict cookie, and says where the navigation came from.
async fn come_back_cross_site(server: &TestServer, state: &str) -> reqwest::Response {
    let without_cookies = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    without_cookies
        .get(format!(
            "{}/auth/callback?code=test-code&state={state}",
            server.base
        ))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap()
}

/// The URL the reload page sends the browser to (its meta refresh), unescaped.
fn reload_target(page: &str) -> String {
    let start = page
        .find("url=")
        .map(|at| at + "url=".len())
        .unwrap_or_else(|| panic!("no refresh in {page}"));
    let end = start + page[start..].find('"').unwrap();
    page[start..end].replace("&amp;", "&")
}

/// Follows the reload page as the browser does: a same-site navigation, with the cookie.
async fn reload(client: &Client, target: &str) -> String {
    let response = client
        .http
        .get(format!("{}{target}", client.base))
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "{target}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn a_cross_site_callback_reloads_from_our_site_and_signs_in_once(backend: Backend) {
    let provider = TestProvider::start().await;
    let (server, _db) = sso_server(&backend, &provider).await;
    let client = Client::anonymous(&server);
    let started = start_sign_in(&client).await;
    provider.will_answer(
        &provider.claims(&started.nonce, "ida", &["project:payments"]),
        KEY_1,
    );

    // Cross-site, without the session cookie: not refused, but a page that loads the same
    // answer again from our own site. It starts no session of its own (a cookie set here
    // would replace the one holding the sign-in) and is not kept by any cache.
    let response = come_back_cross_site(&server, &started.state).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "{:?}",
        response.headers()
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("Signing you in"), "{page}");
    assert!(
        page.contains("Continue</a>"),
        "a link for when refresh is off: {page}"
    );
    let target = reload_target(&page);
    assert!(target.starts_with("/auth/callback?"), "{target}");
    assert!(
        target.contains(&format!("state={}", started.state)) && target.contains("code=test-code"),
        "{target}"
    );
    assert_eq!(whoami(&client).await, Value::Null, "not signed in yet");

    // The reload is same-site: the cookie comes along and the sign-in completes.
    assert_eq!(reload(&client, &target).await, "/secrets");
    let me = whoami(&client).await;
    assert_eq!(me["email"], "ida@sso.example.com");
    assert_eq!(me["projects"][0]["name"], "payments");

    // The same answer again, from the browser's history (cross-site, then reloaded): refused
    // in words, and the sign-in that did complete is left alone.
    let again = come_back_cross_site(&server, &started.state).await;
    assert_eq!(again.status().as_u16(), 200);
    let location = reload(&client, &reload_target(&again.text().await.unwrap())).await;
    assert_eq!(location, "/login?sso=unknown-attempt");
    let page = refusal_page(&client, &location).await;
    assert!(
        page.contains("This sign-in was already completed"),
        "{page}"
    );
    assert_eq!(whoami(&client).await["email"], "ida@sso.example.com");

    // A browser that sends no cookie even then is refused the same way, not sent round again.
    let stranger = Client::anonymous(&server);
    let location = reload(&stranger, &target).await;
    assert_eq!(location, "/login?sso=unknown-attempt");
    assert_eq!(whoami(&stranger).await, Value::Null);
}

async fn email_and_groups_missing_from_the_id_token_are_read_from_userinfo(backend: Backend) {
    let provider = TestProvider::start().await;
    let (server, _db) = sso_server(&backend, &provider).await;
    let sign_in = |claims: Value| {
        let (client, provider) = (Client::anonymous(&server), &provider);
        async move {
            let started = start_sign_in(&client).await;
            let mut claims = claims;
            claims["nonce"] = json!(started.nonce);
            provider.will_answer(&claims, KEY_1);
            let location = come_back(&client, &started.state).await;
            (client, location)
        }
    };
    // An ID token with neither email nor groups (only a user name); userinfo has both.
    let mut sparse = provider.claims("", "dora", &[]);
    let object = sparse.as_object_mut().unwrap();
    object.remove("email");
    object.remove("email_verified");
    object.remove("groups");
    object.insert("preferred_username".to_owned(), json!("dora"));
    provider.state.lock().unwrap().userinfo = Some(json!({
        "sub": "dora",
        "email": "dora@sso.example.com",
        "email_verified": true,
        "groups": ["secrets-console-admins", "project:search"],
    }));
    let (client, location) = sign_in(sparse.clone()).await;
    assert_eq!(location, "/secrets");
    let me = whoami(&client).await;
    assert_eq!(
        me["email"], "dora@sso.example.com",
        "the email from userinfo"
    );
    assert_eq!(me["is_admin"], true, "the groups from userinfo");
    assert_eq!(provider.state.lock().unwrap().userinfo_calls, 1);

    // An ID token with an email and groups is the whole answer: userinfo is not asked.
    let (client, _) = sign_in(provider.claims("", "dora", &["project:payments"])).await;
    assert_eq!(whoami(&client).await["is_admin"], false);
    assert_eq!(
        provider.state.lock().unwrap().userinfo_calls,
        1,
        "not asked"
    );

    // Userinfo answering for someone else (a substituted access token) is refused.
    provider.state.lock().unwrap().userinfo = Some(json!({
        "sub": "mallory",
        "email": "mallory@sso.example.com",
        "groups": ["secrets-console-admins"],
    }));
    let (client, location) = sign_in(sparse.clone()).await;
    assert_eq!(location, "/login?sso=signature");
    let page = refusal_page(&client, &location).await;
    assert!(page.contains("could not be verified"), "{page}");
    assert_eq!(whoami(&client).await, Value::Null);

    // Userinfo failing when it is needed: refused, never signed in with no groups.
    provider.state.lock().unwrap().userinfo = None;
    let (client, location) = sign_in(sparse).await;
    assert_eq!(location, "/login?sso=unavailable");
    assert_eq!(whoami(&client).await, Value::Null);
}

/// Starts a sign-in, has the provider answer with `claims` (given the nonce) signed with
/// `key`, and returns the sign-in page the console refused it with.
async fn refused_with(
    server: &TestServer,
    provider: &TestProvider,
    key: (&str, &str),
    claims: impl FnOnce(&str) -> Value,
    tamper: bool,
) -> (String, String) {
    let client = Client::anonymous(server);
    let started = start_sign_in(&client).await;
    provider.will_answer(&claims(&started.nonce), key);
    if tamper {
        // Someone on the way makes themselves an admin: the payload changes, the signature
        // stays.
        let mut state = provider.state.lock().unwrap();
        let token = state.id_token.take().unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        payload["groups"] = json!(["secrets-console-admins"]);
        let forged = URL_SAFE_NO_PAD.encode(payload.to_string());
        state.id_token = Some(format!("{}.{forged}.{}", parts[0], parts[2]));
    }
    let location = come_back(&client, &started.state).await;
    let page = refusal_page(&client, &location).await;
    assert_eq!(
        whoami(&client).await,
        Value::Null,
        "nobody is signed in after {location}"
    );
    (location, page)
}

#[tokio::test]
async fn wrong_audience_expired_tampered_and_unknown_key_tokens_are_refused_in_words() {
    let provider = TestProvider::start().await;
    let (server, _db) = sso_server(&Backend::Sqlite, &provider).await;

    let (location, page) = refused_with(
        &server,
        &provider,
        KEY_1,
        |nonce| {
            let mut claims = provider.claims(nonce, "mallory", &[]);
            claims["aud"] = json!(["another-application"]);
            claims
        },
        false,
    )
    .await;
    assert_eq!(location, "/login?sso=audience");
    assert!(page.contains("meant for a different application"), "{page}");

    let (location, page) = refused_with(
        &server,
        &provider,
        KEY_1,
        |nonce| {
            let mut claims = provider.claims(nonce, "mallory", &[]);
            let now = claims["iat"].as_u64().unwrap();
            claims["iat"] = json!(now - 3600);
            claims["exp"] = json!(now - 1800);
            claims
        },
        false,
    )
    .await;
    assert_eq!(location, "/login?sso=expired");
    assert!(page.contains("had already expired"), "{page}");

    let (location, page) = refused_with(
        &server,
        &provider,
        KEY_1,
        |nonce| provider.claims(nonce, "mallory", &["project:payments"]),
        true,
    )
    .await;
    assert_eq!(location, "/login?sso=signature");
    assert!(page.contains("could not be verified"), "{page}");

    // Signed with a key the provider does not publish, even when asked again.
    let (location, page) = refused_with(
        &server,
        &provider,
        KEY_2,
        |nonce| provider.claims(nonce, "mallory", &[]),
        false,
    )
    .await;
    assert_eq!(location, "/login?sso=signature");
    assert!(page.contains("could not be verified"), "{page}");

    // Another attempt's nonce.
    let (location, page) = refused_with(
        &server,
        &provider,
        KEY_1,
        |_| provider.claims("another-attempts-nonce", "mallory", &[]),
        false,
    )
    .await;
    assert_eq!(location, "/login?sso=nonce");
    assert!(
        page.contains("belongs to a different sign-in attempt"),
        "{page}"
    );

    // A `state` this browser never started.
    let client = Client::anonymous(&server);
    start_sign_in(&client).await;
    let location = come_back(&client, "forged-state").await;
    assert_eq!(location, "/login?sso=unknown-attempt");
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_and_accepted() {
    let provider = TestProvider::start().await;
    let (server, _db) = sso_server(&Backend::Sqlite, &provider).await;
    // A first sign-in: the console has the JWKS with key 1 only.
    let client = Client::anonymous(&server);
    let started = start_sign_in(&client).await;
    provider.will_answer(&provider.claims(&started.nonce, "ben", &[]), KEY_1);
    assert_eq!(come_back(&client, &started.state).await, "/secrets");

    // The provider rotates: it now signs with key 2, and publishes only key 2.
    provider.publish(&[KEY_2]);
    let client = Client::anonymous(&server);
    let started = start_sign_in(&client).await;
    provider.will_answer(&provider.claims(&started.nonce, "ben", &[]), KEY_2);
    assert_eq!(come_back(&client, &started.state).await, "/secrets");
    assert_eq!(whoami(&client).await["email"], "ben@sso.example.com");

    // A token still signed with the retired key 1 is refused now.
    let (location, _) = refused_with(
        &server,
        &provider,
        KEY_1,
        |nonce| provider.claims(nonce, "ben", &[]),
        false,
    )
    .await;
    assert_eq!(location, "/login?sso=signature");
}

#[tokio::test]
async fn with_local_accounts_off_a_password_sign_in_is_refused_and_the_form_is_gone() {
    let provider = TestProvider::start().await;
    let mut env = provider.env();
    env.push(("SECRETS_CONSOLE_LOCAL_ACCOUNTS", "false".to_owned()));
    let (server, _db) = demo_server(&Backend::Sqlite, env).await;
    let client = Client::anonymous(&server);
    let (status, answer) = client
        .call(
            "login",
            json!({"email": "admin@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer
            .to_string()
            .contains("Signing in with a password is turned off"),
        "{answer}"
    );
    assert_eq!(whoami(&client).await, Value::Null);
    let response = client
        .http
        .get(format!("{}/login", client.base))
        .send()
        .await
        .unwrap();
    // Sign-out's form post (without JavaScript) is redirected to the provider's end-session
    // endpoint: the page lets forms go there.
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("form-action 'self' {};", provider.issuer)),
        "{csp}"
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("Sign in with Test SSO"), "{page}");
    assert!(!page.contains("type=\"password\""), "{page}");
}
