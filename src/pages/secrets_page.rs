//! The Secrets page: every secret, its scope, assignments and status.

use leptos::prelude::*;
use leptos_meta::Title;

/// Lists secrets. The table fills in once the secrets domain lands; the shape is final.
#[component]
pub fn SecretsPage() -> impl IntoView {
    view! {
        <Title text="Secrets" />
        <div class="page-header">
            <h1>"Secrets"</h1>
        </div>
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Scope"</th>
                        <th scope="col">"Use case"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Assigned to"</th>
                        <th scope="col">"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    <tr>
                        <td colspan="7" class="empty">"No secrets yet."</td>
                    </tr>
                </tbody>
            </table>
        </div>
    }
}
