//! The one-time message a page shows after a form post sent the browser to it (see
//! `model::flash`): loaded with the page (so the server-rendered page and the hydrated one
//! agree), again on each navigation (a new path or query: a filter after a delete drops its
//! message). The shell shows a success in a `role="status"` region that takes the focus, and
//! a failed post's problems in words; a form that shows its own problems beside its fields
//! (and takes its input back) reads the failed post through [`failed_post`] or
//! [`AfterFlash`].

use std::collections::BTreeSet;

use leptos::html::P;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::system::take_flash;
use crate::components::load::{Load, load};
use crate::components::session::after_first_poll;
use crate::error::{AppError, field_label};
use crate::model::flash::{FailedPost, Flash};

/// Forms that show a failed post's problems beside their fields themselves.
const SHOWN_BY_THEIR_FORM: [&str; 7] = [
    "create_secret_form",
    "create_secret_yaml_form",
    "update_secret_form",
    "create_project",
    "delete_secret",
    "create_user",
    "login",
];

/// The current page's flash, for the shell and the forms in it.
#[derive(Clone, Copy)]
struct FlashContext(Load<Result<Option<Flash>, AppError>>);

/// Loads the page's flash (again on each navigation) and provides it to the page.
pub fn provide_flash() {
    let location = use_location();
    let flash = load(
        move || (location.pathname.get(), location.search.get()),
        |(path, _)| take_flash(path),
    );
    provide_context(FlashContext(flash));
}

/// Renders `children` once the page's flash has loaded, with the failed post to `endpoint`
/// the browser was sent back to this page from, if any: the person's input (never a secret
/// field) and the error. A form builds its starting values from it.
#[component]
pub fn AfterFlash<F, V>(endpoint: &'static str, children: F) -> impl IntoView
where
    F: Fn(Option<FailedPost>) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let flash = use_context::<FlashContext>().map(|FlashContext(flash)| flash);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    // Built only when really rendered: the form loads data of its own.
                    after_first_poll().await;
                    let failed = match flash {
                        Some(flash) => flash
                            .await
                            .ok()
                            .flatten()
                            .and_then(|f| f.failed)
                            .filter(|failed| failed.is_for(endpoint)),
                        None => None,
                    };
                    children(failed)
                })
            }}
        </Transition>
    }
}

/// The failed post to `endpoint` the browser was sent back to this page from (tracked: read
/// it inside a `Transition`, so that the server waits for it). For a small form that keeps
/// its input with `value=` and shows the error through what its action answered.
pub fn failed_post(endpoint: &'static str) -> Signal<Option<FailedPost>> {
    let flash = use_context::<FlashContext>().map(|FlashContext(flash)| flash);
    Signal::derive(move || {
        flash
            .and_then(|flash| flash.get())
            .and_then(Result::ok)
            .flatten()
            .and_then(|f| f.failed)
            .filter(|failed| failed.is_for(endpoint))
    })
}

/// The ids a refused plain post to `endpoint` ticked in its checkbox list `name`, when `mine`
/// says the post came from this very form (its hidden id, say): so the page the browser is
/// sent back to shows the boxes as the person left them, not as they were saved. None when
/// the page was not sent back from such a post. Tracked, like [`failed_post`].
pub fn posted_ids(
    endpoint: &'static str,
    name: &'static str,
    mine: impl Fn(&FailedPost) -> bool + Send + Sync + 'static,
) -> Signal<Option<BTreeSet<i64>>> {
    let failed = failed_post(endpoint);
    Signal::derive(move || {
        failed
            .get()
            .filter(|failed| mine(failed))
            .map(|failed| failed.ids(name))
    })
}

/// A success in words (`role="status"`), which takes the focus (`autofocus` for a page loaded
/// without JavaScript, the effect after a navigation in the running app), so a keyboard or
/// screen-reader user is where the message is, not at the top of the page; or what a failed
/// post was refused for, each problem with its field's name in words (`role="alert"`).
#[component]
pub fn FlashMessages() -> impl IntoView {
    let Some(FlashContext(flash)) = use_context::<FlashContext>() else {
        return ().into_any();
    };
    let current = move || flash.get().and_then(Result::ok).flatten();
    let said = NodeRef::<P>::new();
    Effect::new(move |_| {
        if current().and_then(|f| f.notice).is_some()
            && let Some(node) = said.get()
        {
            let _ = node.focus();
        }
    });
    view! {
        <div class="flash">
            <Transition fallback=|| ()>
                {move || {
                    current().and_then(|f| f.notice).map(|notice| {
                        view! {
                            <p class="notice success" role="status" tabindex="-1" autofocus node_ref=said>
                                {notice}
                            </p>
                        }
                    })
                }}
            </Transition>
        </div>
        <Transition fallback=|| ()>
            {move || {
                current()
                    .and_then(|f| f.failed)
                    .filter(|failed| !SHOWN_BY_THEIR_FORM.contains(&failed.endpoint.as_str()))
                    .map(|failed| view! { <FailedPostSummary error=failed.error /> })
            }}
        </Transition>
    }
    .into_any()
}

/// Why a post was refused: every problem it names in words, or the error's own message.
#[component]
fn FailedPostSummary(error: AppError) -> impl IntoView {
    let problems = error.field_errors();
    if problems.is_empty() {
        return view! { <p class="error" role="alert">{format!("Not done: {error}")}</p> }
            .into_any();
    }
    view! {
        <div class="error" role="alert">
            <p>"Not done:"</p>
            <ul>
                {problems
                    .into_iter()
                    .map(|p| view! { <li>{format!("{}: {}", field_label(&p.field), p.message)}</li> })
                    .collect_view()}
            </ul>
        </div>
    }
    .into_any()
}
