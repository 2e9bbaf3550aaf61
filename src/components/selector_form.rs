//! The selectors of an organization secret on its detail page: each selector with the projects
//! it matches now, and the form that replaces them, previewing the matched set before saving.

use leptos::prelude::*;

use crate::api::selectors::SetSecretSelectors;
use crate::components::selector_preview::{SelectorPreview, listed};
use crate::components::unreachable::UnreachableNotice;
use crate::model::listing::SelectorMatch;

/// "Assigned by selector" (for who may assign the secret): the saved selectors with their
/// matches, and a form taking one selector a line (`env=prod`, `env=prod,team=payments`,
/// `tier in (web,api)`, `!legacy`). As the person types, the projects the selectors would match
/// now are listed under **Preview**. Saving assigns every project they match, now and as
/// projects are created or relabelled; works without JavaScript (the preview needs it).
#[component]
pub fn SelectorSection(
    secret_id: i64,
    csrf: String,
    action: ServerAction<SetSecretSelectors>,
    /// The saved selectors and their matches, read with the secret's detail (which reloads
    /// after a save), so the section asks nothing of its own.
    saved: Vec<SelectorMatch>,
) -> impl IntoView {
    let typed = RwSignal::new(None::<String>);
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !e.is_unreachable())
            .map(|e| e.to_string())
    };
    view! {
        <h2 id="selectors">"Assigned by selector"</h2>
        <p class="muted">
            "Every project whose labels match one of these selectors is assigned this secret, including projects created or relabelled later. Projects assigned by name stay assigned whatever their labels."
        </p>
        {
            let list = saved;
            let current = list
                .iter()
                .map(|m| m.selector.clone())
                .collect::<Vec<_>>()
                .join("\n");
            let rows = if list.is_empty() {
                view! { <p class="muted">"No selectors: assigned only to the projects named above."</p> }.into_any()
            } else {
                view! {
                    <ul class="selector-list" aria-label="Selectors and the projects they match">
                        {list
                            .into_iter()
                            .map(|m| view! {
                                <li><code>{m.selector.clone()}</code>" matches "{listed(&m.projects)}</li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            };
            view! {
                {rows}
                <ActionForm action attr:class="form narrow">
                    <input type="hidden" name="csrf" value=csrf />
                    <input type="hidden" name="id" value=secret_id />
                    <label for="secret-selectors">"Selectors (one a line)"</label>
                    <textarea
                        id="secret-selectors"
                        name="selectors"
                        rows="3"
                        maxlength="4000"
                        placeholder="env=prod"
                        aria-describedby="secret-selectors-help secret-selectors-preview"
                        on:input=move |ev| typed.set(Some(event_target_value(&ev)))
                    >
                        {current}
                    </textarea>
                    <p id="secret-selectors-help" class="muted">
                        "Requirements on one line must all hold: env=prod,team=payments. Also key!=value, key in (a,b), key notin (a,b), key (present) and !key (absent). Empty the box to remove every selector."
                    </p>
                    <SelectorPreview id="secret-selectors-preview" typed />
                    {move || error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                    <button type="submit" class="button primary">"Save selectors"</button>
                    <UnreachableNotice action />
                </ActionForm>
            }
        }
    }
}
