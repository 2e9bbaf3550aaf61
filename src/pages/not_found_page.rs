//! Shown for any URL that names nothing this user may see. Answers HTTP 404.

use leptos::prelude::*;
use leptos_meta::Title;

/// The not-found page.
#[component]
pub fn NotFoundPage() -> impl IntoView {
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
