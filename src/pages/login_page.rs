//! Sign in. A plain form: works before (and without) the WASM bundle. With single sign-on
//! configured, a "Sign in with <provider>" link first (a plain link to `/auth/login`), and the
//! sentence a refused single sign-on came back with (`?sso=<code>`); `--local-accounts=false`
//! leaves the link alone.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::api::auth::sign_in_options;
use crate::components::contexts::use_user_context;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::flash::failed_post;
use crate::components::load::load;
use crate::domain::sign_in::SsoRefusal;

/// The sign-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = use_user_context();
    // Signed in (now, or already): go to the Secrets page. Without JavaScript the server's 302
    // after the form post does the same.
    let signed_in = move || ctx.signed_in().is_some();
    let options = load(|| (), |()| async { sign_in_options().await.ok() });
    let single_sign_on = move || options.get().flatten().and_then(|o| o.single_sign_on);
    // The form stays until the server says it is off (and when it cannot be asked).
    let local_accounts = move || options.get().flatten().is_none_or(|o| o.local_accounts);
    let query = use_query_map();
    let refused = move || {
        query
            .read()
            .get("sso")
            .and_then(|code| SsoRefusal::from_code(&code))
            .map(SsoRefusal::message)
    };
    view! {
        <Title text="Sign in" />
        <Transition fallback=|| ()>
            <Show when=signed_in fallback=|| ()>
                <Redirect path="/secrets" />
            </Show>
        </Transition>
        <div class="login-card">
            <h1>"Sign in"</h1>
            {move || refused().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            // In a transition: the server waits for the options, and for a refused post's
            // email, before rendering.
            <Transition fallback=|| ()>
                {move || single_sign_on().map(|name| view! {
                    // `external`: the router must let the browser go to the server (and on to
                    // the provider) instead of looking for a page.
                    <a class="button primary sso-button" href="/auth/login" rel="external">
                        {format!("Sign in with {name}")}
                    </a>
                })}
                <Show when=local_accounts fallback=|| ()>
                    {move || single_sign_on().is_some().then(|| view! {
                        <p class="login-or">"or with a local account"</p>
                    })}
                    <LocalSignIn />
                </Show>
            </Transition>
        </div>
    }
}

/// The email-and-password form of local accounts.
#[component]
fn LocalSignIn() -> impl IntoView {
    let ctx = use_user_context();
    // A refused sign-in names the password (never which of the two was wrong): shown, and
    // announced, at the password field, which points at it. Anything else on its own.
    // Without JavaScript, a refused sign-in comes back here: the email (never the password)
    // and the error.
    let failed = failed_post("login");
    let answer = move || {
        ctx.login
            .value()
            .get()
            .or_else(|| failed.get().map(|f| Err(f.error)))
    };
    let kept_email = move || {
        failed
            .get()
            .and_then(|f| f.field("email").map(str::to_owned))
    };
    let email = FieldMessage::answered("email", "email", answer);
    let password = FieldMessage::answered("password", "password", answer);
    let error = move || {
        answer()
            .and_then(|result| result.err())
            .filter(|e| !is_about_any(e, &["email", "password"]))
            .map(|e| e.to_string())
    };
    view! {
        <ActionForm action=ctx.login attr:class="form">
            <label for="email">"Email"</label>
            <input
                id="email"
                type="email"
                name="email"
                value=kept_email
                autocomplete="username"
                required
                aria-invalid=email.invalid()
                aria-describedby=email.described_by()
            />
            {email.view()}
            <label for="password">"Password"</label>
            <input
                id="password"
                type="password"
                name="password"
                autocomplete="current-password"
                required
                aria-invalid=password.invalid()
                aria-describedby=password.described_by()
            />
            {password.view()}
            {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <button type="submit" class="button primary">"Sign in"</button>
        </ActionForm>
    }
}
