//! The sign-in gate: what a page shows only to a signed-in user.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::components::contexts::use_user_context;
use crate::model::account::CurrentUser;

/// Renders `children` with the signed-in user, or sends anonymous visitors to the sign-in page.
///
/// `children` runs once per render of the page, on the server too: there `<Transition>` walks
/// its children more than once before it streams them (to find what they wait for), and a
/// plain closure here would build the page (and every resource it loads, with their queries
/// and hydration data) once per walk. [`after_first_poll`] keeps those walks from building it.
#[component]
pub fn RequireUser<F, V>(children: F) -> impl IntoView
where
    F: Fn(CurrentUser) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    signed_in_only(Arc::new(move |user| children(user).into_any()))
}

/// What a page shows a signed-in user, with its type erased: the gate below is compiled once,
/// not once per page (each copy of a `<Transition>` and its `Suspend` is kilobytes of WASM).
type ForUser = Arc<dyn Fn(CurrentUser) -> AnyView + Send + Sync>;

/// [`RequireUser`]'s gate.
fn signed_in_only(children: ForUser) -> impl IntoView {
    let ctx = use_user_context();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let result = ctx.user.await;
                    after_first_poll().await;
                    match result {
                        Ok(Some(user)) => children(user),
                        Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// On the server, pending once, then ready: `<Transition>`'s walks poll a `Suspend` only once
/// (tachys' `dry_resolve`), so what follows runs only when the children are really rendered.
/// In the browser it is ready at once, so hydration finds the same markup. Await it in a
/// `Suspend` before building what loads data (as [`RequireUser`] and `Loaded` do).
pub async fn after_first_poll() {
    #[cfg(feature = "ssr")]
    {
        let mut polled = false;
        std::future::poll_fn(|cx| {
            if polled {
                std::task::Poll::Ready(())
            } else {
                polled = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }
}
