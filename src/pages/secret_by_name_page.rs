//! A secret's page at its address by name: `/projects/:name/secrets/:secret` for a project
//! secret, `/secrets/by-name/:secret` (`?kind=` when an External and a Kubernetes
//! organization secret share the name) for an organization secret. The same page as at its
//! id, and the same 404 for a name the person may not see.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::secrets::secret_id_by_name;
use crate::components::load::load;
use crate::components::loaded::Loaded;
use crate::pages::secret_detail_page::SecretDetailOf;

/// A project secret by project and secret name.
#[component]
pub fn ProjectSecretByNamePage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (p.get("name"), p.get("secret").unwrap_or_default())
    };
    let resolved = load(key, |(project, name)| async move {
        secret_id_by_name(Some(project.unwrap_or_default()), name, None).await
    });
    view! { <Loaded resource=resolved children=|id, _user| view! { <SecretDetailOf id=Some(id) /> } /> }
}

/// An organization secret by name.
#[component]
pub fn OrgSecretByNamePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        (
            params.read().get("secret").unwrap_or_default(),
            query.read().get("kind"),
        )
    };
    let resolved = load(key, |(name, kind)| secret_id_by_name(None, name, kind));
    view! { <Loaded resource=resolved children=|id, _user| view! { <SecretDetailOf id=Some(id) /> } /> }
}
