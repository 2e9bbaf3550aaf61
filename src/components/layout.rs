//! The app shell: top bar, left navigation and footer around every page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::system::get_server_info;
use crate::components::contexts::use_user_context;
use crate::components::live::LiveIndicator;
use crate::components::load::load;
use crate::components::permitted::Permitted;

/// The frame around every page. Its first link skips to the page's content (for keyboard and
/// screen-reader users). The navigation can be collapsed; that button works only once the WASM
/// bundle has hydrated the page.
#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let (nav_open, set_nav_open) = signal(true);
    let status = load(|| (), |_| get_server_info());
    // Effects run only in the browser, after hydration: mark the document so tests (and
    // styles) can tell a live page from server-rendered HTML.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <div class="app" class:nav-collapsed=move || !nav_open.get()>
            // `target`: the browser's own jump, which moves the focus; the router's would only
            // scroll.
            <a class="skip-link" href="#main" target="_self">
                "Skip to content"
            </a>
            <header class="topbar">
                <button
                    type="button"
                    class="icon-button"
                    aria-controls="primary-nav"
                    aria-expanded=move || nav_open.get().to_string()
                    aria-label=move || {
                        if nav_open.get() { "Collapse navigation" } else { "Expand navigation" }
                    }
                    on:click=move |_| set_nav_open.update(|open| *open = !*open)
                >
                    <span aria-hidden="true">"☰"</span>
                </button>
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "secrets-console"
                </a>
                <UserMenu />
            </header>
            <nav id="primary-nav" class="sidenav" aria-label="Primary">
                <ul>
                    // Signed out (the sign-in page), there is nowhere to go yet.
                    <Permitted allowed=|_| true>
                        <li>
                            <A href="/secrets">"Secrets"</A>
                        </li>
                        <li>
                            <A href="/projects">"Projects"</A>
                        </li>
                    </Permitted>
                    <Permitted allowed=|may| may.can_view_stores>
                        <li>
                            <A href="/stores">"Stores"</A>
                        </li>
                    </Permitted>
                    <Permitted allowed=|may| may.can_manage_users>
                        <li>
                            <A href="/users">"Users"</A>
                        </li>
                    </Permitted>
                </ul>
            </nav>
            <main class="content" id="main" tabindex="-1">
                {children()}
            </main>
            <footer class="footer">
                <Transition fallback=|| ()>
                    {move || {
                        status
                            .get()
                            .map(|result| match result {
                                Ok(Some(s)) => {
                                    view! {
                                        <span>
                                            {format!("secrets-console {} · {}", s.version, s.database)}
                                        </span>
                                    }
                                        .into_any()
                                }
                                // Only admins are told what runs where.
                                Ok(None) | Err(_) => ().into_any(),
                            })
                    }}
                </Transition>
            </footer>
        </div>
    }
}

/// The signed-in user's email and the sign-out button (a form: works without the WASM bundle).
#[component]
fn UserMenu() -> impl IntoView {
    let ctx = use_user_context();
    let everywhere = ServerAction::<crate::api::auth::SignOutEverywhere>::new();
    view! {
        <div class="user-menu">
            <Transition fallback=|| ()>
                {move || {
                    ctx.signed_in()
                        .map(|user| {
                            let everywhere_csrf = user.csrf_token.clone();
                            view! {
                                <LiveIndicator />
                                <span class="user-email">{user.email.clone()}</span>
                                <ActionForm action=ctx.logout attr:class="inline-form">
                                    <input type="hidden" name="csrf" value=user.csrf_token.clone() />
                                    <button type="submit" class="button">"Sign out"</button>
                                </ActionForm>
                                <ActionForm action=everywhere attr:class="inline-form">
                                    <input type="hidden" name="csrf" value=everywhere_csrf />
                                    <button
                                        type="submit"
                                        class="button"
                                        title="End every session of yours, on every device"
                                    >
                                        "Sign out everywhere"
                                    </button>
                                </ActionForm>
                            }
                        })
                }}
            </Transition>
        </div>
    }
}
