//! What is shown, with HTTP 404, for anything this user may not see or that does not exist.

use leptos::prelude::*;
use leptos_meta::Title;

/// "Page not found", answering HTTP 404 when rendered on the server. The same for what does
/// not exist and for what this user may not see, so neither is revealed.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Not found" />
        <div class="page-header">
            <h1>"Page not found"</h1>
        </div>
        <p>"There is nothing here, or you do not have access to it."</p>
        <p>
            <a href="/secrets">"Go to Secrets"</a>
        </p>
    }
}
