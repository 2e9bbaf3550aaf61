//! The Stores page (admins): each cluster's ClusterSecretStores with their Ready badge.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin::list_stores;
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::components::not_found::NotFound;
use crate::components::session::RequireUser;
use crate::model::cluster::{ClusterStores, StoreSummary};

/// Lists the stores of every cluster. Who may not see them meets no page at all (404), not a
/// page the server refuses.
#[component]
pub fn StoresPage() -> impl IntoView {
    view! {
        <RequireUser children=|user| {
            if !user.permissions.can_view_stores {
                return view! { <NotFound /> }.into_any();
            }
            let stores = load(|| (), |_| list_stores());
            view! {
                <Title text="Stores" />
                <div class="page-header">
                    <h1>"Stores"</h1>
                </div>
                <p class="muted">"ClusterSecretStores as each cluster reports them; External secrets read from these."</p>
                <Loaded resource=stores children=|clusters, _user| view! { <StoresList clusters /> } />
            }
            .into_any()
        } />
    }
}

#[component]
fn StoresList(clusters: Vec<ClusterStores>) -> impl IntoView {
    if clusters.is_empty() {
        return view! { <p class="empty">"No cluster is connected."</p> }.into_any();
    }
    clusters
        .into_iter()
        .map(|cluster| view! { <ClusterSection cluster /> })
        .collect_view()
        .into_any()
}

#[component]
fn ClusterSection(cluster: ClusterStores) -> impl IntoView {
    let heading = format!("stores-{}", cluster.cluster);
    view! {
        <h2 id=heading.clone()>{cluster.cluster.clone()}</h2>
        <p class="muted eso-served" data-eso-api=cluster.eso.api_version.clone().unwrap_or_default()>
            {cluster.eso.describe()}
        </p>
        {cluster.error.clone().map(|error| view! { <p class="error" role="alert">{error}</p> })}
        <div class="table-wrap">
            <table class="data-table" aria-labelledby=heading>
                <thead>
                    <tr>
                        <th scope="col">"Store"</th>
                        <th scope="col">"Provider"</th>
                        <th scope="col">"Ready"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {if cluster.stores.is_empty() && cluster.error.is_none() {
                        view! { <tr><td colspan="4" class="empty">"No ClusterSecretStore in this cluster."</td></tr> }.into_any()
                    } else {
                        cluster.stores.into_iter().map(|store| view! { <StoreRow store /> }).collect_view().into_any()
                    }}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn StoreRow(store: StoreSummary) -> impl IntoView {
    let (class, icon, label) = match store.ready {
        Some(true) => ("badge badge-success", "✓", "Ready"),
        Some(false) => ("badge badge-danger", "!", "Not ready"),
        None => ("badge badge-neutral", "?", "Unknown"),
    };
    let reason = match (store.reason, store.message) {
        (Some(reason), Some(message)) => format!("{reason}: {message}"),
        (Some(reason), None) => reason,
        (None, Some(message)) => message,
        (None, None) => String::new(),
    };
    view! {
        <tr>
            <td class="cell-name"><code>{store.name}</code></td>
            <td data-label="Provider">{store.provider}</td>
            <td class="cell-status">
                <span class=class data-ready=label>
                    <span class="badge-icon" aria-hidden="true">{icon}</span>
                    {label}
                </span>
            </td>
            <td class="reason" data-label="Reason">{reason}</td>
        </tr>
    }
}
