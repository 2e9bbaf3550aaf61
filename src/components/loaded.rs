//! The loader of a page that shows one thing: signed-in users only, a loading line while it
//! comes, the not-found page (HTTP 404) for what is absent or hidden, the error otherwise.

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::load::Load;
use crate::components::not_found::NotFound;
use crate::components::session::{RequireUser, after_first_poll};
use crate::error::AppError;
use crate::model::account::CurrentUser;

/// Renders `children` with what `resource` loaded and the signed-in user. Anonymous visitors
/// are sent to the sign-in page; NotFound is the not-found page; any other error is shown.
///
/// The page creates `resource` (keyed as it needs), outside this component, so it is created
/// once per render. The children are built behind [`RequireUser`] and then behind a gate of
/// their own ([`after_first_poll`]): on the server, `<Transition>` walks its children before it
/// renders them, and children built on each walk would create the resources they load (a
/// form's options, a table's rows) twice, with twice the queries and hydration data.
#[component]
pub fn Loaded<T, F, V>(resource: Load<Result<T, AppError>>, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T, CurrentUser) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    // What is generic (the resource's type, the page) stays in this small closure; the
    // loader below is compiled once for every page.
    let read: Read = Arc::new(move |user| {
        let children = children.clone();
        resource.get().map(|result| {
            result.map(|value| Box::new(move || children(value, user).into_any()) as Build)
        })
    });
    view! { <RequireUser children=move |user| loader(read.clone(), user) /> }
}

/// Builds the page from what was loaded, once it is really rendered.
type Build = Box<dyn FnOnce() -> AnyView + Send>;

/// Reads the page's resource (tracked): None while it loads, then how to build the page.
type Read = Arc<dyn Fn(CurrentUser) -> Option<Result<Build, AppError>> + Send + Sync>;

/// [`Loaded`]'s loader.
fn loader(read: Read, user: CurrentUser) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                // Read synchronously, so this closure itself follows every refetch: awaiting
                // the resource inside the `Suspend` instead left the old content in place when
                // two refetches overlapped (an action's and a live event's), as the admin
                // journey in end2end showed one run in three.
                read(user.clone()).map(|result| Suspend::new(async move {
                    after_first_poll().await;
                    match result {
                        Ok(build) => build(),
                        Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                        Err(error) => {
                            view! { <p class="error" role="alert">{error.to_string()}</p> }
                                .into_any()
                        }
                    }
                }))
            }}
        </Transition>
    }
}
