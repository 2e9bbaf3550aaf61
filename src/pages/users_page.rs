//! Users and memberships (platform admins only; the server refuses everyone else): add a
//! user, set their projects, disable or enable them, change their role, reset their password,
//! sign them out everywhere.

mod people_forms;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::{CreateUser, SetMemberships, list_projects, list_users};
use crate::components::created::Created;
use crate::components::error_summary::{ErrorSummary, refused_problems};
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::flash::failed_post;
use crate::components::load::load;
use crate::components::not_found::NotFound;
use crate::components::session::RequireUser;
use crate::components::unreachable::{UnreachableNotice, answered};
use crate::model::account::{CurrentUser, ProjectSummary, UserSummary};
use people_forms::{AccountCell, PeopleActions, RoleCell};

/// Lists users with their projects; creates users; sets memberships.
#[component]
pub fn UsersPage() -> impl IntoView {
    // Who may not manage users meets no page at all (404), not a form the server refuses.
    view! {
        <RequireUser children=|user| {
            if user.permissions.can_manage_users {
                view! {
                    <Title text="Users" />
                    <div class="page-header">
                        <h1>"Users"</h1>
                    </div>
                    <UsersAdmin user />
                }
                .into_any()
            } else {
                view! { <NotFound /> }.into_any()
            }
        } />
    }
}

#[component]
fn UsersAdmin(user: CurrentUser) -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let memberships = ServerAction::<SetMemberships>::new();
    let people = PeopleActions::new();
    // Reloaded after what the server answered (not after a request it never got).
    let changed = (answered(create), answered(memberships), people.answered());
    let users = load(
        move || (changed.0.get(), changed.1.get(), changed.2()),
        |_| list_users(),
    );
    let projects = load(|| (), |_| list_projects());
    let csrf = user.csrf_token.clone();
    // A refused email or password is shown at its field; anything else on its own. Without
    // JavaScript, a refused post comes back here: its input (never the password) and error.
    let failed = failed_post("create_user");
    let create_answer = move || {
        create
            .value()
            .get()
            .or_else(|| failed.get().map(|f| Err(f.error)))
    };
    let kept = move |field: &'static str| {
        move || failed.get().and_then(|f| f.field(field).map(str::to_owned))
    };
    let kept_admin = move || {
        failed
            .get()
            .is_some_and(|f| f.field("is_admin") == Some("true"))
    };
    // Every refused field, listed at the top of the form and linking to it.
    let problems = refused_problems(
        create_answer,
        &[("email", "new-email"), ("password", "new-password")],
    );
    let email = FieldMessage::answered("new-email", "email", create_answer);
    let password = FieldMessage::answered("new-password", "password", create_answer);
    let created = Created::follow(
        move || create.value().get(),
        |email| format!("User {email} added; they sign in with the initial password."),
    );
    let create_error = move || {
        create_answer()
            .and_then(Result::err)
            .filter(|e| !is_about_any(e, &["email", "password"]) && !e.is_unreachable())
            .map(|e| e.to_string())
    };

    // Whose projects were saved last (one action serves every row's form).
    let saved_for = RwSignal::new(String::new());
    let memberships_saved = move || {
        memberships.value().get().map(|result| match result {
            Ok(_) => view! {
                <p class="notice success" role="status">
                    {format!("Projects of {} saved.", saved_for.get())}
                </p>
            }
            .into_any(),
            // Said with Retry below.
            Err(error) if error.is_unreachable() => ().into_any(),
            Err(error) => {
                view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
            }
        })
    };
    view! {
        {memberships_saved}
        {people.outcome()}
        <UnreachableNotice action=memberships />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let csrf = csrf.clone();
                match (users.get(), projects.get()) {
                    (Some(Ok(users)), Some(Ok(projects))) => {
                        view! { <UsersTable users projects csrf memberships people saved_for /> }.into_any()
                    }
                    (Some(Err(error)), _) | (_, Some(Err(error))) => {
                        view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
                    }
                    _ => ().into_any(),
                }
            }}
        </Transition>
        <h2>"Add a user"</h2>
        // In a transition: the server waits for a failed post's input before rendering it.
        <Transition fallback=|| ()>
        <ActionForm action=create node_ref=created.form attr:class="form narrow">
            <input type="hidden" name="csrf" value=user.csrf_token.clone() />
            <ErrorSummary problems refused=Signal::derive(move || !problems.with(Vec::is_empty)) />
            <label for="new-email">"Email"</label>
            <input
                id="new-email"
                node_ref=created.name
                type="email"
                name="email"
                value=kept("email")
                required
                aria-invalid=email.invalid()
                aria-describedby=email.described_by()
            />
            {email.view()}
            <label for="new-password">"Initial password (at least 12 characters)"</label>
            <input
                id="new-password"
                type="password"
                name="password"
                minlength="12"
                autocomplete="new-password"
                required
                aria-invalid=password.invalid()
                aria-describedby=password.described_by()
            />
            {password.view()}
            <label for="new-role">"Role"</label>
            <select id="new-role" name="is_admin">
                <option value="false" selected=move || !kept_admin()>"Team member"</option>
                <option value="true" selected=kept_admin>"Platform admin"</option>
            </select>
            {move || create_error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            {created.view()}
            <button type="submit" class="button primary">"Add user"</button>
            <UnreachableNotice action=create />
        </ActionForm>
        </Transition>
    }
}

#[component]
fn UsersTable(
    users: Vec<UserSummary>,
    projects: Vec<ProjectSummary>,
    csrf: String,
    memberships: ServerAction<SetMemberships>,
    people: PeopleActions,
    saved_for: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data-table wide">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Projects"</th>
                        <th scope="col">"Account"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|user| {
                            let projects = projects.clone();
                            let csrf = csrf.clone();
                            let row_csrf = csrf.clone();
                            let role_user = user.clone();
                            let account_user = user.clone();
                            let save_label = format!("Save projects of {}", user.email);
                            let email = user.email.clone();
                            // A refused plain post comes back with the boxes as they were ticked.
                            let user_id = user.id.to_string();
                            let posted = crate::components::flash::posted_ids("set_memberships", "project_ids", move |f| {
                                f.field("user_id") == Some(user_id.as_str())
                            });
                            view! {
                                <tr>
                                    <td class="cell-name">{user.email.clone()}</td>
                                    <RoleCell user=role_user csrf=row_csrf.clone() actions=people />
                                    <td class="cell-wrap" data-label="Projects">
                                        <ActionForm action=memberships attr:class="inline-form">
                                            <input type="hidden" name="csrf" value=csrf />
                                            <input type="hidden" name="user_id" value=user.id />
                                            <fieldset class="checkbox-row">
                                                <legend class="visually-hidden">{format!("Projects of {}", user.email)}</legend>
                                                {projects
                                                    .into_iter()
                                                    .enumerate()
                                                    .map(|(i, project)| {
                                                        let (id, saved) = (project.id, user.projects.contains(&project.id));
                                                        let checked = move || posted.get().map_or(saved, |kept| kept.contains(&id));
                                                        view! {
                                                            <label class="checkbox">
                                                                <input type="checkbox" name=format!("project_ids[{i}]") value=project.id checked=checked />
                                                                {project.name}
                                                            </label>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </fieldset>
                                            <button
                                                type="submit"
                                                class="button small"
                                                aria-label=save_label
                                                on:click=move |_| saved_for.set(email.clone())
                                            >
                                                "Save"
                                            </button>
                                        </ActionForm>
                                    </td>
                                    <AccountCell user=account_user csrf=row_csrf actions=people />
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
