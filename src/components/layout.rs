//! The app shell: top bar, left navigation and footer around every page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::system::get_server_info;
use crate::components::contexts::use_user_context;
use crate::components::flash::{FlashMessages, provide_flash};
use crate::components::live::LiveIndicator;
use crate::components::load::load;
use crate::components::permitted::Permitted;

/// Below this window width (CSS px) the navigation starts closed, above it open: the
/// stylesheet's `64rem` breakpoint.
const NARROW_BELOW_PX: f64 = 1024.0;

/// Whether the window is narrower than [`NARROW_BELOW_PX`] (false on the server).
fn window_is_narrow() -> bool {
    window()
        .inner_width()
        .ok()
        .and_then(|width| width.as_f64())
        .is_some_and(|width| width < NARROW_BELOW_PX)
}

/// The navigation's button: the screen's default (open on a wide window, closed on a phone or
/// tablet, decided by the stylesheet so it holds before and without the script) until the
/// person opens or closes it. Follows the window's width; on a narrow window, closes again when
/// a link is followed (the page it leads to is what the person wants to see). An island: the
/// frame's classes (`nav-open`, `nav-collapsed` on `div.app`, outside it) are set through the
/// DOM.
#[island]
fn NavButton() -> impl IntoView {
    // The person's choice; `None` while the screen's default holds.
    let chosen = RwSignal::new(None::<bool>);
    // Whether the window is narrow, measured once hydrated and on every resize.
    let narrow = RwSignal::new(false);
    let open = move || chosen.get().unwrap_or(!narrow.get());
    let button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        narrow.set(window_is_narrow());
        let resized = window_event_listener(leptos::ev::resize, move |_| {
            let now = window_is_narrow();
            if now != narrow.get_untracked() {
                narrow.set(now);
                chosen.set(None);
            }
        });
        let followed = window_event_listener(leptos::ev::click, move |ev| {
            if narrow.get_untracked() && follows_a_link(&ev) {
                chosen.set(None);
            }
        });
        on_cleanup(move || {
            resized.remove();
            followed.remove();
        });
    });
    Effect::new(move |_| {
        let chosen = chosen.get();
        if let Some(app) = button
            .get()
            .and_then(|button| button.closest(".app").ok().flatten())
        {
            let classes = app.class_list();
            let _ = classes.toggle_with_force("nav-open", chosen == Some(true));
            let _ = classes.toggle_with_force("nav-collapsed", chosen == Some(false));
        }
    });
    view! {
        <button
            type="button"
            class="icon-button nav-button"
            node_ref=button
            aria-controls="primary-nav"
            aria-expanded=move || open().to_string()
            aria-label=move || if open() { "Collapse navigation" } else { "Expand navigation" }
            on:click=move |_| chosen.set(Some(!open()))
        >
            <span aria-hidden="true">"☰"</span>
        </button>
    }
}

/// Whether a click follows a link to another page (not a jump within this one).
fn follows_a_link(ev: &leptos::ev::MouseEvent) -> bool {
    clicked_link(ev)
        .and_then(|link| link.get_attribute("href"))
        .is_some_and(|href| !href.starts_with('#'))
}

/// The link (`a[href]`) a click landed in, if any.
pub fn clicked_link(ev: &leptos::ev::MouseEvent) -> Option<leptos::web_sys::Element> {
    use leptos::wasm_bindgen::JsCast;
    ev.target()?
        .dyn_into::<leptos::web_sys::Element>()
        .ok()?
        .closest("a[href]")
        .ok()?
}

/// Marks the document once the page's script has made it live (`html[data-hydrated]`), so
/// tests (and styles) can tell a live page from server-rendered HTML.
pub fn mark_hydrated() {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}

/// On a page rendered in islands mode, [`mark_hydrated`] once the islands before it are: the
/// last island of the page (islands hydrate in document order). A page hydrated as a whole is
/// marked when all of it is (`crate::browser`).
#[island]
fn HydratedMark() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "islands-bundle")]
        mark_hydrated();
    });
}

/// The frame around every page. Its first link skips to the page's content (for keyboard and
/// screen-reader users). The navigation starts open on a wide window and closed on a narrow
/// one; its button works once the WASM bundle has hydrated the page, and until then (or
/// without JavaScript) a link in its place opens it on a narrow window (CSS `:target`).
#[component]
pub fn AppShell(children: Children) -> impl IntoView {
    let status = load(|| (), |_| get_server_info());
    provide_flash();
    signed_out_goes_to_sign_in();

    view! {
        <div class="app">
            // `target`: the browser's own jump, which moves the focus; the router's would only
            // scroll.
            <a class="skip-link" href="#main" target="_self">
                "Skip to content"
            </a>
            <header class="topbar">
                <NavButton />
                // Shown on a narrow window until the page is hydrated (so always without
                // JavaScript): the navigation shows while it is the URL's target.
                <a class="icon-button nav-link" href="#primary-nav" aria-label="Show navigation">
                    <span aria-hidden="true">"☰"</span>
                </a>
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
                        <li>
                            <A href="/tokens">"API tokens"</A>
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
                    <Permitted allowed=|may| may.can_manage_users>
                        <li>
                            <A href="/audit">"Audit"</A>
                        </li>
                    </Permitted>
                </ul>
            </nav>
            <main class="content" id="main" tabindex="-1">
                <FlashMessages />
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
            <HydratedMark />
        </div>
    }
}

/// Signed out elsewhere (disabled, signed out everywhere): the page's next navigation is a
/// full load, which the server answers with the sign-in page. (A page that hydrates only its
/// islands navigates by full loads anyway.)
fn signed_out_goes_to_sign_in() {
    let live = crate::components::contexts::use_live();
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path)
            && live.state.get_untracked() == crate::components::contexts::LiveState::SignedOut
        {
            let _ = window().location().set_href(&path);
        }
        path
    });
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
                                // `title`: a phone shortens a long address.
                                <span class="user-email" title=user.email.clone()>
                                    {user.email.clone()}
                                </span>
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
