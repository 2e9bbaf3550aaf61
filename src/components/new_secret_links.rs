//! A team member's way to create a secret from the Secrets page: one per project they are in.

use leptos::prelude::*;

use crate::components::contexts::use_user_context;
use crate::model::listing::ProjectRef;

/// How many projects get a link each; more get a small menu of them.
const LINKS_SHOWN: usize = 2;

/// For a signed-in user who may not create organization secrets: "New secret in <project>"
/// for each of their projects (a menu of them when there are more than a couple). Admins
/// have "Create organization secret" instead, and create project secrets from a project.
#[component]
pub fn NewSecretLinks() -> impl IntoView {
    let ctx = use_user_context();
    let projects = move || {
        ctx.signed_in()
            .filter(|user| !user.permissions.can_create_org_secrets)
            .map(|user| user.projects)
            .unwrap_or_default()
    };
    view! {
        <Transition fallback=|| ()>
            {move || {
                let projects = projects();
                if projects.is_empty() {
                    ().into_any()
                } else if projects.len() <= LINKS_SHOWN {
                    projects
                        .into_iter()
                        .map(|p| view! { <a class="button primary" href=new_secret_href(&p)>{new_secret_words(&p)}</a> })
                        .collect_view()
                        .into_any()
                } else {
                    view! {
                        <details class="new-secret-menu">
                            <summary class="button primary">"New project secret"</summary>
                            <ul>
                                {projects
                                    .into_iter()
                                    .map(|p| view! { <li><a href=new_secret_href(&p)>{new_secret_words(&p)}</a></li> })
                                    .collect_view()}
                            </ul>
                        </details>
                    }
                    .into_any()
                }
            }}
        </Transition>
    }
}

/// The create form of a project secret in `project`.
fn new_secret_href(project: &ProjectRef) -> String {
    format!("/projects/{}/secrets/new", project.name)
}

/// The link's words.
fn new_secret_words(project: &ProjectRef) -> String {
    format!("New secret in {}", project.name)
}
