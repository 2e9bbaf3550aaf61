//! The Projects page: the projects a user can see, each with its cluster and namespace.

use leptos::prelude::*;
use leptos_meta::Title;

/// Lists projects.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    view! {
        <Title text="Projects" />
        <div class="page-header">
            <h1>"Projects"</h1>
        </div>
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
                    <tr>
                        <td colspan="4" class="empty">"No projects yet."</td>
                    </tr>
                </tbody>
            </table>
        </div>
    }
}
