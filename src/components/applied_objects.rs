//! The **Applied objects** section of a secret's page: for each project it is assigned to,
//! the exact object the console applies there, as YAML (the canonical ExternalSecret at the
//! version its cluster serves, or the Kubernetes Secret with its values replaced by a
//! placeholder), with a Copy button and a "Download manifest" link for GitOps use.

use leptos::prelude::*;

use crate::api::applied::applied_manifests;
use crate::components::clipboard::copy_text;
use crate::components::contexts::use_live;
use crate::components::load::load;
use crate::error::AppError;
use crate::model::applied::AppliedManifest;

/// The section, loaded once per page view of secret `secret_id` (the page renders it again
/// when the secret or its assignments change). Never asked for a secret the live stream says
/// is gone: the page keeps showing a deleted secret as it was, and the request would be a 404.
#[component]
pub fn AppliedObjects(secret_id: i64) -> impl IntoView {
    let live = use_live();
    let manifests = load(
        move || secret_id,
        move |id| {
            let gone = untrack(|| live.is_gone(id));
            async move {
                if gone {
                    Err(AppError::NotFound)
                } else {
                    applied_manifests(id).await
                }
            }
        },
    );
    view! {
        <section aria-labelledby="applied-objects">
        <h2 id="applied-objects">"Applied objects"</h2>
        <p class="muted">"Exactly what the console applies in each namespace; values are never shown."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                manifests
                    .get()
                    .map(|result| match result {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="empty">"Not assigned to any project."</p> }.into_any()
                        }
                        Ok(list) => list
                            .into_iter()
                            .map(|manifest| view! { <AppliedObject secret_id manifest /> })
                            .collect_view()
                            .into_any(),
                        // Deleted meanwhile: the page says so above.
                        Err(AppError::NotFound) => ().into_any(),
                        Err(error) => {
                            view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()
                        }
                    })
            }}
        </Transition>
        </section>
    }
}

/// One assignment's object.
#[component]
fn AppliedObject(secret_id: i64, manifest: AppliedManifest) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(None::<&'static str>);
    let yaml = StoredValue::new(manifest.yaml.clone());
    let copy = move |_| {
        copy_text(
            &yaml.get_value(),
            copied,
            "Select the manifest and copy it.",
        )
    };
    let heading = format!("applied-{}", manifest.project_id);
    let labelled_by = heading.clone();
    let label = format!(
        "{} applied in {} on {}",
        manifest.kind, manifest.namespace, manifest.cluster
    );
    let file = AppliedManifest::file_name(&manifest.namespace, &manifest.name);
    view! {
        <section class="applied-object" aria-labelledby=labelled_by>
            <h3 id=heading>
                {manifest.project.clone()}
                <span class="muted">{format!(" · {} · {}", manifest.cluster, manifest.namespace)}</span>
            </h3>
            <pre class="manifest" tabindex="0" aria-label=label>{manifest.yaml.clone()}</pre>
            <p class="value-tools">
                <a
                    class="button small"
                    href=AppliedManifest::download_href(secret_id, manifest.project_id)
                    download=file
                >
                    "Download manifest"
                </a>
                {move || hydrated.get().then(|| view! {
                    <button type="button" class="button small" on:click=copy>"Copy"</button>
                })}
                <span role="status" class="muted">{move || copied.get()}</span>
            </p>
        </section>
    }
}
