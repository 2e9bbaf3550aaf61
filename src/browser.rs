//! The bundle's start in the browser.
//!
//! There are two bundles, built from this crate (scripts/build-release.sh):
//! - the app's (`secrets-console`, feature `hydrate`): the whole app, hydrated as one on every
//!   page but the islands pages;
//! - the islands' (`secrets-console-islands`, features `hydrate,islands-bundle`): the pages
//!   the server renders in islands mode (`app::ISLAND_PAGES`, `<html data-islands>`) hydrate
//!   only their islands, and their bundle holds nothing else, so their first load stays light.
//!
//! The first link followed from an islands page to another page of the console loads the app's
//! bundle and turns the document into the app (`becomeApp`, the script the shell adds to an
//! islands page), so navigation from there on is client-side, as from any other page. Links
//! within the islands page (sorting, paging, filters) are ordinary loads of that light page.

#[cfg(feature = "islands-bundle")]
pub use islands::start;
#[cfg(not(feature = "islands-bundle"))]
pub use whole_app::start;

#[cfg(not(feature = "islands-bundle"))]
mod whole_app {
    use leptos::prelude::*;

    /// Hydrates the whole app, once the code of the page's route is there (a lazy route's
    /// chunks are fetched first), then marks the document hydrated: only once every part of
    /// the page is (a `Suspense`'s content hydrates after the rest).
    pub fn start() {
        let _ = any_spawner::Executor::init_wasm_bindgen();
        leptos::task::spawn_local(async {
            let Some(body) = document().body() else {
                return;
            };
            leptos::mount::hydrate_from_async(body, crate::app::App)
                .await
                .forget();
            crate::components::layout::mark_hydrated();
        });
    }

    /// Replaces the islands page the browser shows with the whole app showing `url` (the
    /// islands bundle calls it through `becomeApp` when a link is followed).
    #[leptos::wasm_bindgen::prelude::wasm_bindgen]
    pub fn become_app(url: String) {
        let _ = any_spawner::Executor::init_wasm_bindgen();
        if let Ok(history) = window().history() {
            let _ =
                history.push_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
        if let Some(body) = document().body() {
            body.set_text_content(None);
        }
        leptos::mount::mount_to_body(crate::app::App);
        crate::components::layout::mark_hydrated();
    }
}

#[cfg(feature = "islands-bundle")]
mod islands {
    use std::cell::Cell;

    use leptos::prelude::*;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys;

    use crate::components::contexts::{LiveState, use_live};

    thread_local! {
        /// Whether the document is becoming the whole app.
        static BECOMING_APP: Cell<bool> = const { Cell::new(false) };
    }

    /// Hydrates the page's islands (the script then calls each one), and lets links to other
    /// pages turn the document into the whole app.
    pub fn start() {
        leptos::mount::hydrate_islands();
        let listener = window_event_listener(leptos::ev::click, |ev| {
            if BECOMING_APP.with(Cell::get) {
                return;
            }
            let Some(url) = followed_page(&ev) else {
                return;
            };
            // Signed out elsewhere: a full load gets the sign-in page from the server.
            if use_live().state.get_untracked() == LiveState::SignedOut {
                return;
            }
            let Some(become_app) = js_sys::Reflect::get(&window(), &JsValue::from_str("becomeApp"))
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            else {
                return;
            };
            ev.prevent_default();
            BECOMING_APP.with(|becoming| becoming.set(true));
            // This page's stream ends: the app opens its own.
            crate::components::live::close_stream();
            let _ = become_app.call1(&JsValue::NULL, &JsValue::from_str(&url));
        });
        std::mem::forget(listener);
    }

    /// The URL of the console page a plain click leads to, other than an islands page
    /// (`None`: leave the click to the browser).
    fn followed_page(ev: &web_sys::MouseEvent) -> Option<String> {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return None;
        }
        let link = crate::components::layout::clicked_link(ev)?;
        let target = link.get_attribute("target");
        if link.has_attribute("download")
            || target.is_some_and(|t| !t.is_empty() && t != "_self")
            || link
                .get_attribute("rel")
                .is_some_and(|rel| rel.split_whitespace().any(|r| r == "external"))
        {
            return None;
        }
        let location = window().location();
        let url = web_sys::Url::new_with_base(&link.get_attribute("href")?, &location.href().ok()?)
            .ok()?;
        let same_origin = url.origin() == location.origin().ok()?;
        let islands_page = crate::app::ISLAND_PAGES.contains(&url.pathname().as_str());
        (same_origin && !islands_page).then(|| url.href())
    }
}
