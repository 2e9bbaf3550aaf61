//! The document shell and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::AppShell;
use crate::pages::not_found_page::NotFoundPage;
use crate::pages::projects_page::ProjectsPage;
use crate::pages::secrets_page::SecretsPage;

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: providers and the route table.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/secrets-console.css" />
        <Title formatter=|page: String| format!("{page} · secrets-console") />
        <Router>
            <AppShell>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=|| view! { <Redirect path="/secrets" /> } />
                    <Route path=path!("/secrets") view=SecretsPage />
                    <Route path=path!("/projects") view=ProjectsPage />
                </Routes>
            </AppShell>
        </Router>
    }
}
