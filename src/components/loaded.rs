//! The loader of a page that shows one thing: signed-in users only, a loading line while it
//! comes, the not-found page (HTTP 404) for what is absent or hidden, the error otherwise.

use leptos::prelude::*;

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
pub fn Loaded<T, F, V>(resource: Resource<Result<T, AppError>>, children: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T, CurrentUser) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    view! {
        <RequireUser children=move |user| {
            let children = children.clone();
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || {
                        let (children, user) = (children.clone(), user.clone());
                        // Read synchronously, so this closure itself follows every refetch:
                        // awaiting the resource inside the `Suspend` instead left the old
                        // content in place when two refetches overlapped (an action's and a
                        // live event's), as the admin journey in end2end showed one run in three.
                        resource.get().map(|result| Suspend::new(async move {
                            after_first_poll().await;
                            match result {
                                Ok(value) => children(value, user).into_any(),
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
        } />
    }
}
