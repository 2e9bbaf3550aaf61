//! Sign in. A plain form: works before (and without) the WASM bundle.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::components::session::use_user_context;

/// The sign-in page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = use_user_context();
    let error = move || {
        ctx.login
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|e| match e {
                crate::error::AppError::Validation { message, .. } => message,
                other => other.to_string(),
            })
    };
    // Signed in (now, or already): go to the Secrets page. Without JavaScript the server's 302
    // after the form post does the same.
    let signed_in = move || matches!(ctx.user.get(), Some(Ok(Some(_))));
    view! {
        <Title text="Sign in" />
        <Transition fallback=|| ()>
            <Show when=signed_in fallback=|| ()>
                <Redirect path="/secrets" />
            </Show>
        </Transition>
        <div class="login-card">
            <h1>"Sign in"</h1>
            <ActionForm action=ctx.login attr:class="form">
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required />
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required />
                {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
        </div>
    }
}
