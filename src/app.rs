//! The document shell and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::contexts::{provide_live_context, provide_user_context};
use crate::components::layout::AppShell;
use crate::pages::audit_page::AuditPage;
use crate::pages::choose_password_page::ChoosePasswordPage;
use crate::pages::login_page::LoginPage;
use crate::pages::not_found_page::NotFoundPage;
use crate::pages::project_secrets_tab::ProjectSecretsTab;
use crate::pages::projects_page::ProjectsPage;
use crate::pages::secret_by_name_page::{OrgSecretByNamePage, ProjectSecretByNamePage};
use crate::pages::secret_detail_page::SecretDetailPage;
use crate::pages::secret_form_page::{EditSecretPage, NewOrgSecretPage, NewProjectSecretPage};
use crate::pages::secrets_page::SecretsPage;
use crate::pages::stores_page::StoresPage;
use crate::pages::tokens_page::TokensPage;
use crate::pages::users_page::UsersPage;

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(response), Some(nonce)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        leptos::nonce::use_nonce(),
    ) && let Ok(value) = axum::http::HeaderValue::from_str(&page_csp(
        &nonce,
        use_context::<crate::server::state::AppState>()
            .and_then(|state| state.oidc.map(|provider| provider.origin().to_owned()))
            .as_deref(),
    )) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }

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
    provide_user_context();
    provide_live_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/secrets-console.css" />
        <Title formatter=|page: String| format!("{page} · secrets-console") />
        <Router>
            <AppShell>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=|| view! { <Redirect path="/secrets" /> } />
                    // Async: the server waits for the user (and the page's data) before it sends
                    // headers, so a sign-in redirect is a real 302 and a hidden project a real 404.
                    <Route path=path!("/secrets") view=SecretsPage ssr=SsrMode::Async />
                    <Route path=path!("/secrets/new") view=NewOrgSecretPage ssr=SsrMode::Async />
                    <Route path=path!("/secrets/by-name/:secret") view=OrgSecretByNamePage ssr=SsrMode::Async />
                    <Route path=path!("/secrets/:id") view=SecretDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/secrets/:id/edit") view=EditSecretPage ssr=SsrMode::Async />
                    <Route path=path!("/projects") view=ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:name") view=ProjectSecretsTab ssr=SsrMode::Async />
                    <Route path=path!("/projects/:name/secrets/new") view=NewProjectSecretPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:name/secrets/:secret") view=ProjectSecretByNamePage ssr=SsrMode::Async />
                    <Route path=path!("/stores") view=StoresPage ssr=SsrMode::Async />
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/tokens") view=TokensPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/password") view=ChoosePasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                </Routes>
            </AppShell>
        </Router>
    }
}

#[cfg(feature = "ssr")]
/// The Content-Security-Policy of a page rendered with `nonce`: scripts only from us or with
/// the nonce, WebAssembly allowed to compile, nothing framed, forms only to us — and to the
/// identity provider's `provider_origin`, where sign-out's form post (without JavaScript) is
/// redirected to end its session too; browsers check form-action on redirects.
pub fn page_csp(nonce: &str, provider_origin: Option<&str>) -> String {
    let provider = provider_origin
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'{provider}; frame-ancestors 'none'"
    )
}
