//! Who uses a secret, on its page: the **Used by** section (per project, the workloads of its
//! namespace that reference the Secret, with the keys each uses) and the warnings the
//! unassign, remove and delete confirmations give before the person confirms.
//!
//! There is no watch on workloads (the console's role may only list them, by design), so the
//! page asks again: once when it opens, whenever the secret's assignments change, and every
//! [`EVERY`] while the page is open and the document is visible (a hidden tab asks nothing,
//! and catches up within one period of showing again). Five seconds keeps a `kubectl apply`
//! visible about as soon as a person looks back at the page, at one LIST per kind and
//! namespace per open page, which is what the console's role is granted anyway.

use leptos::prelude::*;

use crate::model::workloads::{ProjectUsedBy, UncheckedReason, UsedByAnswer};

/// How often an open, visible page asks again.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The latest answer for the secret shown, shared (as a context) by the section and the
/// confirmations of its page. `None` until the first answer.
#[derive(Clone, Copy)]
pub struct UsedByNow(RwSignal<Option<Vec<ProjectUsedBy>>>);

impl UsedByNow {
    /// Starts asking for secret `id()`'s answer, and provides it to the page below: again
    /// whenever `changed()` changes (tracked), and every [`EVERY`] while the document is
    /// visible, until `stopped()` (the secret deleted or not found: a request then would only
    /// be another 404 in the console).
    pub fn provide(
        id: impl Fn() -> Option<i64> + Send + Sync + Copy + 'static,
        changed: impl Fn() + 'static,
        stopped: impl Fn() -> bool + Send + Sync + Copy + 'static,
    ) -> Self {
        let now = UsedByNow(RwSignal::new(None));
        provide_context(now);
        #[cfg(feature = "hydrate")]
        {
            let state = now.0;
            // One request at a time: a slow cluster is not asked twice over.
            let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let ask = move || {
                use std::sync::atomic::Ordering;
                let Some(asked) = untrack(id) else { return };
                if untrack(stopped) || hidden() || busy.swap(true, Ordering::SeqCst) {
                    return;
                }
                let busy = busy.clone();
                leptos::task::spawn_local(async move {
                    let answer = crate::api::used_by::used_by(asked).await;
                    busy.store(false, Ordering::SeqCst);
                    // The page moved on to another secret meanwhile: not its answer. A failure
                    // keeps the last answer; the next period asks again.
                    let (Some(true), Ok(rows)) = (
                        state.try_with_untracked(|_| untrack(id) == Some(asked)),
                        answer,
                    ) else {
                        return;
                    };
                    // Set only when it changed: the section is read out by screen readers.
                    if state.try_with_untracked(|s| s.as_ref() != Some(&rows)) == Some(true) {
                        state.try_set(Some(rows));
                    }
                });
            };
            let first = ask.clone();
            Effect::new(move |before: Option<Option<i64>>| {
                changed();
                let shown = id();
                // Another secret: its answer, not the last one's, once it comes.
                if before.is_some_and(|before| before != shown) {
                    state.set(None);
                }
                first();
                shown
            });
            if let Ok(handle) = set_interval_with_handle(ask, EVERY) {
                on_cleanup(move || handle.clear());
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (id, changed, stopped);
        now
    }

    /// The latest answer, tracked (`None` until the first).
    pub fn rows(self) -> Option<Vec<ProjectUsedBy>> {
        self.0.get()
    }

    /// What the confirmations say before the secret leaves `project` (every project when
    /// `None`): one sentence per project that a workload uses it in or that could not be
    /// checked.
    pub fn sentences(self, project: Option<i64>) -> Vec<String> {
        self.0.with(|rows| {
            (rows.iter().flatten())
                .filter(|row| project.is_none_or(|id| row.project.id == id))
                .filter_map(ProjectUsedBy::confirmation)
                .collect()
        })
    }
}

/// Whether the document is hidden (a background tab), read without web-sys' Document.
#[cfg(feature = "hydrate")]
fn hidden() -> bool {
    let document = js_sys::Reflect::get(&js_sys::global(), &"document".into()).ok();
    (document.and_then(|d| js_sys::Reflect::get(&d, &"hidden".into()).ok()))
        .and_then(|hidden| hidden.as_bool())
        .unwrap_or(false)
}

/// The **Used by** section of the secret's page (from the page's [`UsedByNow`]).
#[component]
pub fn UsedBySection() -> impl IntoView {
    let now = use_context::<UsedByNow>();
    let body = move || {
        let Some(UsedByNow(state)) = now else {
            return ().into_any();
        };
        state.with(|rows| match rows {
            None => view! { <p class="muted">"Checking the workloads in each namespace…"</p> }
                .into_any(),
            Some(rows) if rows.is_empty() => {
                view! { <p class="muted">"Not assigned to any project, so no workload uses it."</p> }
                    .into_any()
            }
            Some(rows) => view! {
                <dl class="facts used-by">
                    {rows.iter().map(project_view).collect_view()}
                </dl>
            }
            .into_any(),
        })
    };
    view! {
        <section aria-labelledby="used-by">
            <h2 id="used-by">"Used by"</h2>
            <div aria-live="polite">{body}</div>
        </section>
    }
}

/// One project's workloads, or why there are none to show.
fn project_view(row: &ProjectUsedBy) -> impl IntoView + use<> {
    let what = match &row.answer {
        UsedByAnswer::CouldNotCheck(reason) => {
            view! { <p class="warning">{format!("Could not check: {reason}.")}</p> }.into_any()
        }
        UsedByAnswer::Checked(used) => {
            let listed = if used.workloads.is_empty() {
                view! { <p>{format!("No workload in {} uses this Secret.", used.namespace)}</p> }
                    .into_any()
            } else {
                view! {
                    <ul class="plain">
                        {used.workloads.iter().map(|w| view! { <li>{w.words()}</li> }).collect_view()}
                    </ul>
                }
                .into_any()
            };
            let unchecked = used.unchecked.iter().map(|u| {
                let why = match u.reason {
                    UncheckedReason::Forbidden => "the console may not list them here",
                    UncheckedReason::NotServed => "the cluster does not serve them",
                };
                view! { <p class="muted">{format!("Could not check {}s: {why}.", u.kind)}</p> }
            });
            view! { {listed}{unchecked.collect_view()} }.into_any()
        }
    };
    view! {
        <dt>{row.project.name.clone()}</dt>
        <dd>{what}</dd>
    }
}

/// Before the person confirms: which workloads use the secret in `project` (every project
/// when not given), as [`UsedByNow::sentences`] words it; nothing outside a secret's page or
/// when none does. `inline` (inside a label): a `span` rather than a paragraph.
#[component]
pub fn UsedByWarning(
    #[prop(optional)] project: Option<i64>,
    #[prop(optional)] inline: bool,
) -> impl IntoView {
    let now = use_context::<UsedByNow>();
    move || {
        now.map(|now| {
            (now.sentences(project).into_iter())
                .map(|sentence| {
                    if inline {
                        view! { <span class="notice used-by-warning">{sentence}</span> }.into_any()
                    } else {
                        view! { <p class="notice used-by-warning">{sentence}</p> }.into_any()
                    }
                })
                .collect_view()
        })
    }
}
