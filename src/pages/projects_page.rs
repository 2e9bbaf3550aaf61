//! The Projects page: the projects a user can see, each with its cluster and namespace.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::list_projects;
use crate::components::session::RequireUser;

/// Lists the projects the user may see.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    view! {
        <Title text="Projects" />
        <div class="page-header">
            <h1>"Projects"</h1>
        </div>
        <RequireUser children=|_user| view! { <ProjectsTable /> } />
    }
}

#[component]
fn ProjectsTable() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"Namespace"</th>
                        <th scope="col">"Secrets"</th>
                    </tr>
                </thead>
                <tbody>
                    <Transition fallback=|| view! { <tr><td colspan="4" class="empty">"Loading…"</td></tr> }>
                        {move || {
                            projects
                                .get()
                                .map(|result| match result {
                                    Ok(list) if list.is_empty() => {
                                        view! { <tr><td colspan="4" class="empty">"You are not a member of any project yet."</td></tr> }
                                            .into_any()
                                    }
                                    Ok(list) => list
                                        .into_iter()
                                        .map(|p| {
                                            view! {
                                                <tr>
                                                    <td><a href=format!("/projects/{}", p.name)>{p.name.clone()}</a></td>
                                                    <td>{p.cluster}</td>
                                                    <td><code>{p.namespace}</code></td>
                                                    <td>{p.secret_count}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()
                                        .into_any(),
                                    Err(error) => view! { <tr><td colspan="4" class="error" role="alert">{error.to_string()}</td></tr> }.into_any(),
                                })
                        }}
                    </Transition>
                </tbody>
            </table>
        </div>
    }
}
