//! The live preview of what typed selectors would match: shared by the selector form of a
//! secret's detail page and the create form, which both show the matched set before saving.

use leptos::prelude::*;

use crate::api::selectors::preview_selectors;
use crate::components::load::load;
use crate::error::AppError;
use crate::model::listing::ProjectRef;

/// Project names as a sentence's list, or what to say when there are none.
pub fn listed(projects: &[ProjectRef]) -> String {
    if projects.is_empty() {
        "no project yet".to_owned()
    } else {
        projects
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The projects the selectors typed so far (`typed`: None until the person types) would match
/// now, asked of the server as they type; `id` is the element a textarea's
/// `aria-describedby` names. A selector that does not parse shows why instead.
#[component]
pub fn SelectorPreview(id: &'static str, typed: RwSignal<Option<String>>) -> impl IntoView {
    let preview = load(
        move || typed.get(),
        |text| async move {
            match text {
                Some(text) if !text.trim().is_empty() => Some(preview_selectors(text).await),
                _ => None,
            }
        },
    );
    let shown = move || -> Option<Result<Vec<ProjectRef>, AppError>> {
        typed
            .with(Option::is_some)
            .then(|| preview.get().flatten())?
    };
    view! {
        <div id=id class="selector-preview" role="status" aria-live="polite">
            <Transition fallback=|| ()>
                {move || {
                    shown().map(|answer| match answer {
                        Ok(projects) => view! {
                            <p>
                                <strong>"Preview: "</strong>
                                {format!("would match {}", listed(&projects))}
                            </p>
                        }
                        .into_any(),
                        Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                    })
                }}
            </Transition>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_projects_read_as_a_list_or_say_none() {
        assert_eq!(listed(&[]), "no project yet");
        let projects = [
            ProjectRef {
                id: 1,
                name: "payments".into(),
            },
            ProjectRef {
                id: 2,
                name: "search".into(),
            },
        ];
        assert_eq!(listed(&projects), "payments, search");
    }
}
