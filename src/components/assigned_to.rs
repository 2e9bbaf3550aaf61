//! The Secrets table's "Assigned to" cell, kept true as live events arrive: a project an
//! unassign is removing the secret from leaves the cell at once, and a project assigned later
//! (here or in another tab) joins it, named from the projects the page knows.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::contexts::{LiveContext, use_live};
use crate::domain::status::AssignmentStatus;
use crate::model::listing::{ASSIGNED_TO_SHOWN, AssignmentBrief};

/// One project a row was rendered as assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedProject {
    /// The project's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The assignment's status as the row was read.
    pub status: AssignmentStatus,
}

impl From<&AssignmentBrief> for AssignedProject {
    fn from(brief: &AssignmentBrief) -> Self {
        AssignedProject {
            id: brief.project.id,
            name: brief.project.name.clone(),
            status: brief.status,
        }
    }
}

/// The projects each secret is assigned to, as the live events say (only those an event
/// reported). Changes only when a set changes, not with every status, so a table keyed on it
/// reads its rows again when an assignment is added or finally removed.
pub fn live_assignment_sets(live: LiveContext) -> Memo<BTreeMap<i64, BTreeSet<i64>>> {
    Memo::new(move |_| {
        live.secrets.with(|secrets| {
            secrets
                .iter()
                .map(|(id, s)| (*id, s.assignments.iter().map(|a| a.project_id).collect()))
                .collect()
        })
    })
}

/// The "Assigned to" cell of secret `secret_id`'s row: the `projects` it was read with (the
/// first few by name, of `count` in all) until a live event reports the secret; then the
/// projects that event lists. An island: on the Secrets page (islands mode) it is one of the
/// few parts of a row that run in the browser.
#[island]
pub fn AssignedToCell(secret_id: i64, projects: Vec<AssignedProject>, count: i64) -> impl IntoView {
    let live = use_live();
    move || {
        let reported = live.secrets.with(|secrets| {
            secrets.get(&secret_id).map(|secret| {
                let names = live.project_names.read();
                secret
                    .assignments
                    .iter()
                    .map(|a| {
                        let name = names.get(&a.project_id).cloned().or_else(|| {
                            projects
                                .iter()
                                .find(|p| p.id == a.project_id)
                                .map(|p| p.name.clone())
                        });
                        (name, a.status)
                    })
                    .collect::<Vec<_>>()
            })
        });
        match reported {
            Some(listed) => {
                let shown = projects
                    .len()
                    .max(usize::try_from(ASSIGNED_TO_SHOWN).unwrap_or_default());
                assigned_to_text(listed, shown)
            }
            None => {
                let unnamed = usize::try_from(count)
                    .unwrap_or(0)
                    .saturating_sub(projects.len());
                let listed = projects
                    .iter()
                    .map(|p| (Some(p.name.clone()), p.status))
                    .chain(std::iter::repeat_n(
                        (None, AssignmentStatus::Synced),
                        unnamed,
                    ))
                    .collect();
                assigned_to_text(listed, projects.len())
            }
        }
    }
}

/// The cell's text for a secret's assignments (each one's project name, if known, and
/// status): those it stays assigned to, leaving out those being removed; at most `shown` names
/// (by name), the rest (and those without a known name) counted as `+N`; `—` for none.
pub fn assigned_to_text(listed: Vec<(Option<String>, AssignmentStatus)>, shown: usize) -> String {
    let staying = listed
        .into_iter()
        .filter(|(_, status)| *status != AssignmentStatus::Deleting);
    let (mut names, unnamed): (Vec<_>, Vec<_>) = staying.partition(|(name, _)| name.is_some());
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let more = unnamed.len() + names.len().saturating_sub(shown);
    let names: Vec<String> = names
        .into_iter()
        .take(shown)
        .filter_map(|(name, _)| name)
        .collect();
    match (names.is_empty(), more > 0) {
        (true, false) => "—".to_owned(),
        (true, true) => format!("+{more}"),
        (false, true) => format!("{} +{more}", names.join(", ")),
        (false, false) => names.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str, status: AssignmentStatus) -> (Option<String>, AssignmentStatus) {
        (Some(name.into()), status)
    }

    #[test]
    fn a_project_being_unassigned_leaves_the_cell_at_once() {
        let synced = AssignmentStatus::Synced;
        let rows = || vec![named("search", synced), named("payments", synced)];
        assert_eq!(assigned_to_text(rows(), 5), "payments, search");
        // The live event says payments is being removed: the cell no longer names it.
        let removing = vec![
            named("payments", AssignmentStatus::Deleting),
            named("search", synced),
        ];
        assert_eq!(assigned_to_text(removing, 5), "search");
        let all_removing = vec![named("payments", AssignmentStatus::Deleting)];
        assert_eq!(assigned_to_text(all_removing, 5), "—");
        assert_eq!(assigned_to_text(Vec::new(), 5), "—");
    }

    #[test]
    fn names_past_the_first_few_and_projects_without_a_known_name_are_counted() {
        let synced = AssignmentStatus::Synced;
        let mut rows: Vec<_> = ["f", "e", "d", "c", "b", "a"]
            .into_iter()
            .map(|n| named(n, synced))
            .collect();
        assert_eq!(assigned_to_text(rows.clone(), 5), "a, b, c, d, e +1");
        rows.push((None, synced));
        assert_eq!(assigned_to_text(rows, 5), "a, b, c, d, e +2");
        assert_eq!(assigned_to_text(vec![(None, synced)], 5), "+1");
    }
}
