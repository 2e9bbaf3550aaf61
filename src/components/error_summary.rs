//! The list of a form's problems at its top, after Save: each in words, linking to its field.
//! It takes the focus when the server refuses a submit, so a keyboard or screen-reader user
//! starts from the list, not from wherever the page happened to scroll.

use leptos::prelude::*;

use crate::error::field_label;

/// One problem: its field's control (`None`: no single control to go to) and the rules'
/// name of the field (`data[0].remote_key`), said in words ([`field_label`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The id of the control to go to.
    pub control: Option<String>,
    /// The field, as the rules name it.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// The summary (`role="alert"`); nothing while `problems` is empty. `refused` moves the focus
/// to it each time it changes to a refusal.
#[component]
pub fn ErrorSummary(
    problems: Signal<Vec<Problem>>,
    #[prop(into)] refused: Signal<bool>,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |was: Option<bool>| {
        let now = refused.get();
        if now
            && was != Some(true)
            && let Some(summary) = node.get()
        {
            let _ = summary.focus();
        }
        now
    });
    view! {
        <div
            class="error-summary"
            role="alert"
            tabindex="-1"
            node_ref=node
            hidden=move || problems.with(Vec::is_empty)
            aria-labelledby="error-summary-title"
        >
            {move || {
                let problems = problems.get();
                (!problems.is_empty()).then(|| {
                    let count = problems.len();
                    view! {
                        <p id="error-summary-title">
                            <strong>
                                {if count == 1 {
                                    "1 problem to fix before saving:".to_owned()
                                } else {
                                    format!("{count} problems to fix before saving:")
                                }}
                            </strong>
                        </p>
                        <ul>
                            {problems
                                .into_iter()
                                .map(|p| {
                                    let text = format!("{}: {}", field_label(&p.field), p.message);
                                    match p.control {
                                        Some(control) => {
                                            let href = format!("#{control}");
                                            view! {
                                            <li>
                                                <a
                                                    href=href
                                                    target="_self"
                                                    on:click=move |_| focus(&control)
                                                >
                                                    {text}
                                                </a>
                                            </li>
                                            }
                                            .into_any()
                                        }
                                        None => view! { <li>{text}</li> }.into_any(),
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })
            }}
        </div>
    }
}

/// Moves the focus to the control of id `id` (the link's own jump only scrolls to it in some
/// browsers).
fn focus(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(control) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    {
        let _ = control.focus();
    }
}

/// The problems of a form's last refused submit, from what the server `answered`: each
/// refused field with its control, by the `controls` table (`("email", "new-email")`); a
/// field without a control is listed without a link.
pub fn refused_problems<T: 'static>(
    answered: impl Fn() -> Option<Result<T, crate::error::AppError>> + Send + Sync + 'static,
    controls: &'static [(&'static str, &'static str)],
) -> Signal<Vec<Problem>> {
    Signal::derive(move || {
        let refused = answered()
            .and_then(Result::err)
            .map(|error| error.field_errors())
            .unwrap_or_default();
        refused
            .into_iter()
            .map(|error| Problem {
                control: controls
                    .iter()
                    .find(|(field, _)| *field == error.field)
                    .map(|(_, control)| (*control).to_owned()),
                field: error.field,
                message: error.message,
            })
            .collect()
    })
}
