//! The Secrets table's bulk bar: what a person may do to the rows they tick, sent without
//! leaving the page, and what the rows need of the page as a whole while it runs (a row whose
//! secret is gone hides; the rows' live states are read again when events may have been
//! missed and after an answered action). Without JavaScript the same form posts to
//! `bulk_secrets` and comes back with the shell's flash message.

use std::collections::HashSet;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::live::live_secrets;
use crate::api::secrets::BulkSecrets;
use crate::components::contexts::{LiveContext, use_live};
use crate::components::created::Notice;
use crate::components::field_message::{FieldMessage, is_about_any};
use crate::components::unreachable::{Sent, UnreachableNotice, answered};
use crate::model::listing::{ProjectRef, SecretPermissions};
use crate::model::live::LiveSecret;

/// What a person may do to one row, as the bar needs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRow {
    /// The secret's id (the value of its row's checkbox).
    pub id: i64,
    /// Sync now.
    pub sync: bool,
    /// Assign and unassign (to the projects the person may see).
    pub assign: bool,
    /// Delete.
    pub delete: bool,
}

impl BulkRow {
    /// Secret `id`'s row, for a person with `may` (and `can_assign`: whether they may assign
    /// at all).
    pub fn of(id: i64, may: SecretPermissions, can_assign: bool) -> Self {
        BulkRow {
            id,
            sync: may.can_sync,
            assign: can_assign && may.can_assign,
            delete: may.can_delete,
        }
    }
}

/// A refused plain post of the bar (without JavaScript), sent back to this page: the rows,
/// projects and action as the person chose them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptChoices {
    /// The chosen action.
    pub action: Option<String>,
    /// The ticked rows (the server renders their boxes ticked).
    pub ids: Vec<i64>,
    /// The ticked projects.
    pub projects: Vec<i64>,
}

/// The bar above the Secrets table, inside its form: the actions [`BulkOffer`] allows for the
/// ticked `rows` (the page's rows), the `projects` for assign and unassign, a confirmation for
/// delete, Apply, and what the last action did. An island: it follows the rows' checkboxes
/// and sends the form itself (`bulk_secrets`), so the page stays; without JavaScript the form
/// posts as it is.
#[island]
pub fn BulkBar(rows: Vec<BulkRow>, projects: Vec<ProjectRef>, kept: KeptChoices) -> impl IntoView {
    let live = use_live();
    // The names an "Assigned to" cell needs for a project assigned later: in the browser only
    // (an effect), where live events arrive; the server renders the cells as read.
    let names: Vec<(i64, String)> = projects.iter().map(|p| (p.id, p.name.clone())).collect();
    Effect::new(move |_| {
        live.project_names
            .update(|known| known.extend(names.iter().cloned()));
    });
    let action = ServerAction::<BulkSecrets>::new();
    // Read again after an answered action only: one the server never got changed nothing.
    let changed = answered(action);
    let sent = Sent::follow(action);
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    refresh_live(live, ids.clone(), move || {
        let _ = (live.resync_version(), changed.get());
    });
    // The ticked rows, which decide what the bar offers; as the server rendered them until
    // the page runs, then as the boxes say.
    let selected = RwSignal::new(kept.ids.iter().copied().collect::<HashSet<i64>>());
    let bar = NodeRef::<leptos::html::Div>::new();
    follow_the_form(bar, action, selected, live, ids);
    // Every answered action empties the selection.
    Effect::new(move |previous: Option<usize>| {
        let now = changed.get();
        if previous.is_some()
            && let Some(form) = form_of(bar)
        {
            untick_all(&form);
            selected.set(HashSet::new());
        }
        now
    });
    let rows = StoredValue::new(rows);
    let projects = StoredValue::new(projects);
    let kept = StoredValue::new(kept);
    let offer = Memo::new(move |_| {
        let shown: Vec<BulkRow> = rows.with_value(|rows| {
            rows.iter()
                .filter(|row| !live.is_gone(row.id))
                .copied()
                .collect()
        });
        selected.with(|chosen| BulkOffer::of(&shown, chosen))
    });
    // Built again after each answer: the choices start over.
    let choices = move || {
        changed.track();
        let kept = kept.get_value();
        view! { <BulkChoices action offer selected projects kept /> }
    };
    view! {
        <div class="bulk-bar" node_ref=bar>
            {choices}
            <UnreachableNotice action sent />
        </div>
        {bulk_outcome(action)}
    }
    .into_any()
}

/// Ties the bar to its form once the page runs: the selection follows the rows' checkboxes,
/// the form is sent through `action` (not posted), and a row whose secret is gone hides.
fn follow_the_form(
    bar: NodeRef<leptos::html::Div>,
    action: ServerAction<BulkSecrets>,
    selected: RwSignal<HashSet<i64>>,
    live: LiveContext,
    ids: Vec<i64>,
) {
    Effect::new(move |_| {
        let Some(form) = bar.get().and_then(|_| form_of(bar)) else {
            return;
        };
        selected.set(ticked(&form));
        let ticks = {
            let form = form.clone();
            window_event_listener(leptos::ev::change, move |ev| {
                if in_form(&form, ev.target()) {
                    selected.set(ticked(&form));
                }
            })
        };
        let submits = {
            let form = form.clone();
            window_event_listener(leptos::ev::submit, move |ev| {
                if in_form(&form, ev.target()) {
                    ev.prevent_default();
                    action.dispatch(bulk_input(&form));
                }
            })
        };
        on_cleanup(move || {
            ticks.remove();
            submits.remove();
        });
    });
    Effect::new(move |_| {
        let gone: Vec<i64> = live
            .gone
            .with(|gone| ids.iter().copied().filter(|id| gone.contains(id)).collect());
        if let Some(form) = bar.get().and_then(|_| form_of(bar)) {
            hide_rows(&form, &gone);
            selected.set(ticked(&form));
        }
    });
}

/// Reads the live state of the secrets `ids` again whenever `reload` (which only tracks) says
/// so, never on its first run (the rows are as the page was rendered), into the page's store:
/// the badges and cells follow it, and a secret missing from the answer is gone. An older
/// answer arriving after a newer one is dropped, and so is "the server could not be reached".
/// A secret a live event reported while the answer was on its way keeps what the event said:
/// the event may be the newer, and a change after the answer's read sends an event of its own.
fn refresh_live(live: LiveContext, ids: Vec<i64>, reload: impl Fn() + Send + Sync + 'static) {
    let asked = StoredValue::new(0_u64);
    Effect::new(move |first: Option<()>| {
        reload();
        if first.is_none() || ids.is_empty() {
            return;
        }
        asked.update_value(|n| *n += 1);
        let mine = asked.get_value();
        let ids = ids.clone();
        // What the store says of each now (reported state, gone), to tell an event since.
        let said = move |id: &i64| {
            let secret = live
                .secrets
                .with_untracked(|secrets| secrets.get(id).cloned());
            (secret, live.gone.with_untracked(|gone| gone.contains(id)))
        };
        let before: Vec<_> = ids.iter().map(said).collect();
        leptos::task::spawn_local(async move {
            let Ok(fresh) = live_secrets(ids.clone()).await else {
                return;
            };
            if asked.get_value() != mine {
                return;
            }
            let untouched: Vec<(i64, Option<LiveSecret>)> = ids
                .iter()
                .zip(before)
                .filter(|(id, was)| said(id) == *was)
                .map(|(id, _)| (*id, fresh.iter().find(|s| s.id == *id).cloned()))
                .collect();
            live.secrets.update(|secrets| {
                for (id, secret) in &untouched {
                    if let Some(secret) = secret {
                        secrets.insert(*id, secret.clone());
                    }
                }
            });
            live.gone.update(|gone| {
                for (id, secret) in &untouched {
                    if secret.is_none() {
                        gone.insert(*id);
                    } else {
                        gone.remove(id);
                    }
                }
            });
        });
    });
}

/// The form the bar is in, once it is in the page.
fn form_of(bar: NodeRef<leptos::html::Div>) -> Option<leptos::web_sys::Element> {
    bar.get_untracked()?.closest("form").ok().flatten()
}

/// Whether an event's target is `form` or within it.
fn in_form(form: &leptos::web_sys::Element, target: Option<leptos::web_sys::EventTarget>) -> bool {
    use leptos::wasm_bindgen::JsCast;
    target
        .and_then(|t| t.dyn_into::<leptos::web_sys::Node>().ok())
        .is_some_and(|node| form.contains(Some(&node)))
}

/// The checkboxes of `form` named `name[…]`, as `(element, value)`.
fn checkboxes(
    form: &leptos::web_sys::Element,
    name: &str,
) -> Vec<(leptos::web_sys::HtmlInputElement, i64)> {
    use leptos::wasm_bindgen::JsCast;
    let inputs = form.get_elements_by_tag_name("input");
    let prefix = format!("{name}[");
    (0..inputs.length())
        .filter_map(|i| inputs.item(i))
        .filter_map(|element| element.dyn_into::<leptos::web_sys::HtmlInputElement>().ok())
        .filter(|input| input.type_() == "checkbox" && input.name().starts_with(&prefix))
        .filter_map(|input| {
            let value = input.value().parse().ok()?;
            Some((input, value))
        })
        .collect()
}

/// The rows ticked in `form` (not counting a gone one's, which is disabled).
fn ticked(form: &leptos::web_sys::Element) -> HashSet<i64> {
    checkboxes(form, "ids")
        .into_iter()
        .filter(|(input, _)| input.checked() && !input.disabled())
        .map(|(_, id)| id)
        .collect()
}

/// Unticks every row of `form`.
fn untick_all(form: &leptos::web_sys::Element) {
    for (input, _) in checkboxes(form, "ids") {
        input.set_checked(false);
    }
}

/// Hides the rows of the secrets in `gone` (their boxes unticked and disabled), and shows the
/// others.
fn hide_rows(form: &leptos::web_sys::Element, gone: &[i64]) {
    for (input, id) in checkboxes(form, "ids") {
        let is_gone = gone.contains(&id);
        input.set_disabled(is_gone);
        if is_gone {
            input.set_checked(false);
        }
        if let Ok(Some(row)) = input.closest("tr") {
            let _ = if is_gone {
                row.set_attribute("hidden", "")
            } else {
                row.remove_attribute("hidden")
            };
        }
    }
}

/// What the bar's form asks for, as `bulk_secrets` takes it.
fn bulk_input(form: &leptos::web_sys::Element) -> BulkSecrets {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{HtmlInputElement, HtmlSelectElement};
    // The value of the form's input or select named `name` ("" when there is none).
    let field = |name: &str| {
        let Some(element) = form
            .query_selector(&format!("[name='{name}']"))
            .ok()
            .flatten()
        else {
            return String::new();
        };
        match element.dyn_into::<HtmlInputElement>() {
            Ok(input) => input.value(),
            Err(element) => element
                .dyn_into::<HtmlSelectElement>()
                .map(|select| select.value())
                .unwrap_or_default(),
        }
    };
    BulkSecrets {
        csrf: field("csrf"),
        action: field("action"),
        ids: ticked(form).into_iter().collect(),
        project_ids: checkboxes(form, "project_ids")
            .into_iter()
            .filter(|(input, _)| input.checked())
            .map(|(_, id)| id)
            .collect(),
        confirm: field("confirm"),
    }
}

/// The bulk actions a person may take: each offered only when they may do it to at least one
/// of the selected rows (of every row on the page while none is selected, as before the page
/// runs its script). The server decides again for each secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct BulkOffer {
    sync: bool,
    assign: bool,
    delete: bool,
}

impl BulkOffer {
    /// What `rows` allow for `selected`.
    fn of(rows: &[BulkRow], selected: &HashSet<i64>) -> Self {
        rows.iter()
            .filter(|row| selected.is_empty() || selected.contains(&row.id))
            .fold(BulkOffer::default(), |offer, row| BulkOffer {
                sync: offer.sync || row.sync,
                assign: offer.assign || row.assign,
                delete: offer.delete || row.delete,
            })
    }

    /// Nothing to offer.
    fn is_empty(self) -> bool {
        self == BulkOffer::default()
    }
}

/// What the last bulk action did: a success in a live region that takes the focus, or what
/// was refused (a refused confirmation at its field; an unreached server beside Apply).
fn bulk_outcome(action: ServerAction<BulkSecrets>) -> impl IntoView {
    let notice = Notice::new();
    Effect::new(move |_| match action.value().get() {
        Some(Ok(outcome)) if outcome.refused.is_empty() => notice.say(outcome.summary()),
        Some(_) => notice.clear(),
        None => {}
    });
    let refused = move || {
        action.value().get().map(|result| match result {
            Ok(outcome) if outcome.refused.is_empty() => ().into_any(),
            Ok(outcome) => view! {
                <div class="error" role="alert">
                    <p>{format!("{} Refused:", outcome.summary())}</p>
                    <ul>{outcome.refused.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                </div>
            }
            .into_any(),
            Err(error) if error.is_unreachable() || is_about_any(&error, &["confirm"]) => {
                ().into_any()
            }
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        {notice.view()}
        {refused}
    }
}

/// The bar's choices: the actions `offer` holds for the `selected` rows, the `projects` for
/// assign/unassign, a confirmation for delete, Apply; a refused plain post's choices (`kept`)
/// shown again.
#[component]
fn BulkChoices(
    action: ServerAction<BulkSecrets>,
    offer: Memo<BulkOffer>,
    selected: RwSignal<HashSet<i64>>,
    projects: StoredValue<Vec<ProjectRef>>,
    kept: KeptChoices,
) -> impl IntoView {
    let KeptChoices {
        action: kept_action,
        projects: kept_projects,
        ..
    } = kept;
    let confirm = FieldMessage::answered("bulk-confirm", "confirm", move || action.value().get());
    let nothing = move || {
        offer.get().is_empty().then(|| {
            let which = if selected.with(HashSet::is_empty) {
                "these"
            } else {
                "the selected"
            };
            view! { <p class="muted">{format!("You may not change {which} secrets.")}</p> }
        })
    };
    let kept_action = StoredValue::new(kept_action);
    let was = move |value: &str| kept_action.with_value(|kept| kept.as_deref() == Some(value));
    let choose = move || {
        (!offer.get().is_empty()).then(|| view! {
            <label for="bulk-action">"With the selected secrets"</label>
            <select id="bulk-action" name="action">
                {move || offer.get().sync.then(|| view! { <option value="sync" selected=was("sync")>"Sync now"</option> })}
                {move || offer.get().assign.then(|| view! {
                    <option value="assign" selected=was("assign")>"Assign to the projects below"</option>
                    <option value="unassign" selected=was("unassign")>"Unassign from the projects below"</option>
                })}
                {move || offer.get().delete.then(|| view! { <option value="delete" selected=was("delete")>"Delete"</option> })}
            </select>
        })
    };
    let open = !kept_projects.is_empty();
    let kept_projects = StoredValue::new(kept_projects);
    let projects_list = move || {
        offer.get().assign.then(|| view! {
                <details class="bulk-projects" open=open>
                    <summary>"Projects"</summary>
                    {projects.get_value()
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| view! {
                            <label class="checkbox">
                                <input type="checkbox" name=format!("project_ids[{i}]") value=p.id checked=kept_projects.with_value(|kept| kept.contains(&p.id)) />
                                {p.name}
                            </label>
                        })
                        .collect_view()}
                </details>
        })
    };
    let delete_confirm =
        move || {
            let confirm = confirm.clone();
            offer.get().delete.then(|| view! {
            <label for="bulk-confirm" class="visually-hidden">"To delete, type delete"</label>
            <input
                id="bulk-confirm"
                name="confirm"
                placeholder="to delete, type delete"
                autocomplete="off"
                aria-invalid=confirm.invalid()
                aria-describedby=confirm.described_by()
            />
            {confirm.view()}
        })
        };
    let apply = move || {
        (!offer.get().is_empty()).then(|| {
            view! {
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Applying…" } else { "Apply" }}
                </button>
            }
        })
    };
    view! {
        {nothing}
        {choose}
        {projects_list}
        {delete_confirm}
        {apply}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, sync: bool, assign: bool, delete: bool) -> BulkRow {
        BulkRow {
            id,
            sync,
            assign,
            delete,
        }
    }

    #[test]
    fn bulk_delete_is_offered_only_for_a_selection_holding_a_deletable_secret() {
        // A member's page: an organization secret (nothing allowed) and their project's one.
        let rows = [row(1, false, false, false), row(2, true, false, true)];
        let organization_only = HashSet::from([1]);
        assert!(BulkOffer::of(&rows, &organization_only).is_empty());
        let both = HashSet::from([1, 2]);
        let offer = BulkOffer::of(&rows, &both);
        assert!(offer.delete && offer.sync && !offer.assign);
    }

    #[test]
    fn with_nothing_selected_the_page_s_rows_decide() {
        let rows = [row(1, false, false, false), row(2, true, false, true)];
        assert!(BulkOffer::of(&rows, &HashSet::new()).delete);
        assert!(BulkOffer::of(&rows[..1], &HashSet::new()).is_empty());
    }

    #[test]
    fn assign_is_offered_only_to_who_may_assign() {
        let may = SecretPermissions {
            can_sync: true,
            can_assign: true,
            can_delete: true,
            ..SecretPermissions::default()
        };
        let rows = [BulkRow::of(1, may, false)];
        assert!(!BulkOffer::of(&rows, &HashSet::new()).assign);
        let rows = [BulkRow::of(1, may, true)];
        assert!(BulkOffer::of(&rows, &HashSet::new()).assign);
    }
}
