//! Controls shown only to users who may use them.

use leptos::prelude::*;

use crate::components::contexts::use_user_context;
use crate::model::account::UserPermissions;

/// Shows `children` to a signed-in user whose permissions (as the server sent them with the
/// user) `allowed` accepts. The server checks again when the control is used: this only keeps
/// the UI free of controls that would be refused.
#[component]
pub fn Permitted(allowed: fn(&UserPermissions) -> bool, children: ChildrenFn) -> impl IntoView {
    let ctx = use_user_context();
    let shown = move || {
        ctx.signed_in()
            .is_some_and(|user| allowed(&user.permissions))
    };
    view! {
        <Transition fallback=|| ()>
            <Show when=shown fallback=|| ()>
                {children()}
            </Show>
        </Transition>
    }
}
