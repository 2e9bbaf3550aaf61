//! The document shell and the route table.
//!
//! Not in the islands' bundle (feature `islands-bundle`, see `crate::browser`): the route table's
//! lazy routes are exported split points, which would keep every page in that bundle.
#![cfg_attr(feature = "islands-bundle", allow(unused_imports, dead_code))]

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

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
#[cfg(not(feature = "islands-bundle"))]
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

    let islands = renders_islands();
    // An islands page loads the islands' bundle, and the app's only when a link is followed.
    let become_app = islands.then(|| become_app_script(&options));
    let mut options = options;
    if islands {
        options.output_name = format!("{}-islands", options.output_name).into();
    }
    view! {
        <!DOCTYPE html>
        // `data-islands`: the bundle's entry point reads it to hydrate the islands only.
        <html lang="en" data-islands=islands.then_some("true")>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options islands />
                {become_app.map(|script| view! { <script nonce=leptos::nonce::use_nonce()>{script}</script> })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The pages the server renders in islands mode: only their interactive parts (`#[island]`)
/// hydrate, with no hydration data, so their first load carries a fraction of the bundle; the
/// first link followed from one turns the page into the whole app (`crate::browser`). The
/// Secrets list is the page people land on, and the one most often loaded.
pub const ISLAND_PAGES: [&str; 1] = ["/secrets"];

/// The script an islands page carries for its bundle (`crate::browser`): `becomeApp(url)` loads
/// the app's bundle and shows `url` client-side; if that fails, the browser loads `url`.
fn become_app_script(options: &LeptosOptions) -> String {
    let pkg = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    format!(
        "window.becomeApp = (url) => import({js:?}).then((m) => m.default({{ module_or_path: {wasm:?} }}).then(() => m.become_app(url))).catch(() => location.assign(url));",
        js = format!("{pkg}.js"),
        wasm = format!("{pkg}.wasm"),
    )
}

/// Whether this request's page renders in islands mode ([`ISLAND_PAGES`]).
fn renders_islands() -> bool {
    #[cfg(feature = "ssr")]
    return use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| ISLAND_PAGES.contains(&parts.uri.path()));
    #[cfg(not(feature = "ssr"))]
    false
}

/// The application: providers and the route table.
#[cfg(not(feature = "islands-bundle"))]
#[component]
pub fn App() -> impl IntoView {
    // A page hydrated as a whole renders its islands as plain components, without their
    // `<leptos-island>` wrappers (Leptos treats an island inside a hydrating one so): tachys
    // cannot hydrate past a wrapper within a whole page. On the server an islands page keeps
    // them; in the browser the app only ever runs whole.
    if !renders_islands() {
        provide_context(leptos::reactive::owner::IsHydrating(true));
    }
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
                    // Every other page is a lazy route: its code is fetched when it is visited.
                    <Route path=path!("/secrets/new") view={Lazy::<NewOrgSecretRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/secrets/by-name/:secret") view={Lazy::<OrgSecretByNameRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/secrets/:id") view={Lazy::<SecretDetailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/secrets/:id/edit") view={Lazy::<EditSecretRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/projects") view={Lazy::<ProjectsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/projects/:name") view={Lazy::<ProjectSecretsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/projects/:name/secrets/new") view={Lazy::<NewProjectSecretRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/projects/:name/secrets/:secret") view={Lazy::<ProjectSecretByNameRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/stores") view={Lazy::<StoresRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tokens") view={Lazy::<TokensRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/password") view={Lazy::<ChoosePasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </AppShell>
        </Router>
    }
}

/// Declares `$route`, a lazy route showing `$page`: the page's code is split out of the main
/// WASM (`cargo leptos build --split`) and fetched when the page is first visited, so the first
/// load of the Secrets page carries only the shell, the shared components and that page. The
/// route has no data of its own: the page loads its data as before, once its code is there.
#[cfg(not(feature = "islands-bundle"))]
macro_rules! lazy_page {
    ($($route:ident => $page:ident),+ $(,)?) => {$(
        #[doc = concat!("[`", stringify!($page), "`], fetched when first visited.")]
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(this: Self) -> AnyView {
                let $route = this;
                view! { <$page /> }.into_any()
            }
        }
    )+};
}

#[cfg(not(feature = "islands-bundle"))]
lazy_page!(
    NewOrgSecretRoute => NewOrgSecretPage,
    OrgSecretByNameRoute => OrgSecretByNamePage,
    SecretDetailRoute => SecretDetailPage,
    EditSecretRoute => EditSecretPage,
    ProjectsRoute => ProjectsPage,
    ProjectSecretsRoute => ProjectSecretsTab,
    NewProjectSecretRoute => NewProjectSecretPage,
    ProjectSecretByNameRoute => ProjectSecretByNamePage,
    StoresRoute => StoresPage,
    UsersRoute => UsersPage,
    TokensRoute => TokensPage,
    LoginRoute => LoginPage,
    ChoosePasswordRoute => ChoosePasswordPage,
    AuditRoute => AuditPage,
);

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
