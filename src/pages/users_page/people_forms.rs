//! The Users page's controls for one person: disable or enable, change role, reset the
//! password, sign out everywhere. Plain forms (they work without the WASM bundle); the server
//! refuses what would leave the console without an admin, and says why.

use leptos::prelude::*;

use crate::api::auth::SignOutEverywhere;
use crate::api::people::{ResetPassword, SetUserDisabled, SetUserRole};
use crate::components::unreachable::answered;
use crate::model::account::UserSummary;

/// The page's actions on people (one of each serves every row) and whom the last one was for.
#[derive(Clone, Copy)]
pub struct PeopleActions {
    /// Disable or enable.
    pub disable: ServerAction<SetUserDisabled>,
    /// Platform admin or team member.
    pub role: ServerAction<SetUserRole>,
    /// Reset the password.
    pub reset: ServerAction<ResetPassword>,
    /// Sign out everywhere.
    pub sign_out: ServerAction<SignOutEverywhere>,
    /// The email of the user the last action was for.
    pub acted_for: RwSignal<String>,
    /// What the last disable or enable does, said once it is done.
    pub disable_done: RwSignal<String>,
}

impl PeopleActions {
    /// Fresh actions.
    pub fn new() -> Self {
        PeopleActions {
            disable: ServerAction::new(),
            role: ServerAction::new(),
            reset: ServerAction::new(),
            sign_out: ServerAction::new(),
            acted_for: RwSignal::new(String::new()),
            disable_done: RwSignal::new(String::new()),
        }
    }

    /// Changes each time the server answers one of the actions that change the list.
    pub fn answered(self) -> impl Fn() -> (usize, usize, usize) + Copy {
        let (a, b, c) = (
            answered(self.disable),
            answered(self.role),
            answered(self.reset),
        );
        move || (a.get(), b.get(), c.get())
    }

    /// What the last action's answer says (a temporary password is shown here, once).
    pub fn outcome(self) -> impl IntoView {
        let who = self.acted_for;
        let failed = |error: crate::error::AppError| {
            view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
        };
        let shown = move |result: Result<(), crate::error::AppError>, done: String| match result {
            Ok(()) => view! { <p class="notice success" role="status">{done}</p> }.into_any(),
            Err(error) => failed(error),
        };
        view! {
            {move || {
                self.disable.value().get().map(|r| shown(r, self.disable_done.get()))
            }}
            {move || {
                self.role.value().get().map(|r| shown(r, format!("Role of {} changed.", who.get())))
            }}
            {move || {
                self.reset.value().get().map(|result| match result {
                    Ok(Some(temporary)) => view! {
                        <div class="notice success" role="status">
                            <p>
                                {format!("Temporary password for {}: ", who.get())}
                                <code class="temporary-password">{temporary}</code>
                            </p>
                            <p class="muted">
                                "Shown once: hand it over now. They choose a new password at their next sign-in."
                            </p>
                        </div>
                    }
                    .into_any(),
                    Ok(None) => view! {
                        <p class="notice success" role="status">
                            {format!("Password of {} reset: they choose a new one at their next sign-in.", who.get())}
                        </p>
                    }
                    .into_any(),
                    Err(error) => failed(error),
                })
            }}
            {move || {
                self.sign_out.value().get().map(|result| match result {
                    Ok(ended) => view! {
                        <p class="notice success" role="status">
                            {format!("{} signed out everywhere: {ended} session(s) ended.", who.get())}
                        </p>
                    }
                    .into_any(),
                    Err(error) => failed(error),
                })
            }}
        }
    }
}

/// The role cell: the role, and (unless the identity provider decides it) a button to change it.
#[component]
pub fn RoleCell(user: UserSummary, csrf: String, actions: PeopleActions) -> impl IntoView {
    let role = if user.is_admin {
        "Platform admin"
    } else {
        "Team member"
    };
    if user.single_sign_on {
        return view! {
            <td data-label="Role">
                {role}
                <span class="muted">" (from single sign-on)"</span>
            </td>
        }
        .into_any();
    }
    let (label, to_admin) = if user.is_admin {
        (format!("Make {} a team member", user.email), false)
    } else {
        (format!("Make {} a platform admin", user.email), true)
    };
    let email = user.email.clone();
    view! {
        <td data-label="Role">
            {role}
            <ActionForm action=actions.role attr:class="inline-form">
                <input type="hidden" name="csrf" value=csrf />
                <input type="hidden" name="user_id" value=user.id />
                <input type="hidden" name="is_admin" value=to_admin.to_string() />
                <button
                    type="submit"
                    class="button small"
                    aria-label=label
                    on:click=move |_| actions.acted_for.set(email.clone())
                >
                    {if to_admin { "Make admin" } else { "Make member" }}
                </button>
            </ActionForm>
        </td>
    }
    .into_any()
}

/// The account cell: its state, disable or enable, reset the password, sign out everywhere.
#[component]
pub fn AccountCell(user: UserSummary, csrf: String, actions: PeopleActions) -> impl IntoView {
    let state = if user.disabled {
        "Disabled"
    } else if user.must_change_password {
        "Active (must choose a new password)"
    } else {
        "Active"
    };
    let disable_done = if user.disabled {
        format!("{} enabled: they can sign in again.", user.email)
    } else {
        format!(
            "{} disabled: signed out everywhere, and cannot sign in.",
            user.email
        )
    };
    let disable_label = format!(
        "{} {}",
        if user.disabled { "Enable" } else { "Disable" },
        user.email
    );
    let reset_label = format!("Reset password of {}", user.email);
    let new_password_label = format!("New password for {} (empty: a temporary one)", user.email);
    let sign_out_label = format!("Sign {} out everywhere", user.email);
    let password_id = format!("reset-password-{}", user.id);
    let (e1, e2, e3) = (user.email.clone(), user.email.clone(), user.email.clone());
    let (disable_csrf, sign_out_csrf) = (csrf.clone(), csrf.clone());
    let reset = (!user.single_sign_on).then(move || {
        view! {
            <details class="reset-password">
                <summary>"Reset password"</summary>
                <ActionForm action=actions.reset attr:class="form narrow">
                    <input type="hidden" name="csrf" value=csrf />
                    <input type="hidden" name="user_id" value=user.id />
                    <label for=password_id.clone()>{new_password_label}</label>
                    <input
                        id=password_id
                        type="password"
                        name="password"
                        minlength="12"
                        autocomplete="new-password"
                    />
                    <button
                        type="submit"
                        class="button small"
                        aria-label=reset_label
                        on:click=move |_| actions.acted_for.set(e2.clone())
                    >
                        "Reset password"
                    </button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <td class="cell-wrap" data-label="Account">
            <span class=if user.disabled { "badge badge-danger" } else { "badge" }>{state}</span>
            <ActionForm action=actions.disable attr:class="inline-form">
                <input type="hidden" name="csrf" value=disable_csrf />
                <input type="hidden" name="user_id" value=user.id />
                <input type="hidden" name="disabled" value=(!user.disabled).to_string() />
                <button
                    type="submit"
                    class="button small"
                    aria-label=disable_label
                    on:click=move |_| {
                        actions.acted_for.set(e1.clone());
                        actions.disable_done.set(disable_done.clone());
                    }
                >
                    {if user.disabled { "Enable" } else { "Disable" }}
                </button>
            </ActionForm>
            <ActionForm action=actions.sign_out attr:class="inline-form">
                <input type="hidden" name="csrf" value=sign_out_csrf />
                <input type="hidden" name="user_id" value=user.id />
                <button
                    type="submit"
                    class="button small"
                    aria-label=sign_out_label
                    on:click=move |_| actions.acted_for.set(e3.clone())
                >
                    "Sign out everywhere"
                </button>
            </ActionForm>
            {reset}
        </td>
    }
}
