//! The Secrets table's "Assigned to" cell, kept true as live events arrive: a project an
//! unassign is removing the secret from leaves the cell at once, and a change of which
//! projects a secret is assigned to (here or in another tab) reloads the table's rows.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;

use crate::components::contexts::LiveContext;
use crate::domain::status::AssignmentStatus;
use crate::model::listing::AssignmentBrief;

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

/// The cell's text: the projects it stays assigned to (`status_of` gives an assignment's
/// latest status, from its project id and the status the row was read with), leaving out those
/// being removed; more than the row names are counted as `+N`; `—` for none.
pub fn assigned_to_text(
    briefs: &[AssignmentBrief],
    count: i64,
    status_of: impl Fn(i64, AssignmentStatus) -> AssignmentStatus,
) -> String {
    let names: Vec<&str> = briefs
        .iter()
        .filter(|a| status_of(a.project.id, a.status) != AssignmentStatus::Deleting)
        .map(|a| a.project.name.as_str())
        .collect();
    let more = count - i64::try_from(briefs.len()).unwrap_or(i64::MAX);
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
    use crate::model::listing::ProjectRef;

    fn brief(id: i64, name: &str, status: AssignmentStatus) -> AssignmentBrief {
        AssignmentBrief {
            project: ProjectRef {
                id,
                name: name.into(),
            },
            status,
            reason: None,
            last_warning: None,
        }
    }

    #[test]
    fn a_project_being_unassigned_leaves_the_cell_at_once() {
        let rows = [
            brief(1, "payments", AssignmentStatus::Synced),
            brief(2, "search", AssignmentStatus::Synced),
        ];
        assert_eq!(assigned_to_text(&rows, 2, |_, s| s), "payments, search");
        // The live event says payments is being removed: the cell no longer names it.
        let removing = |id, s| {
            if id == 1 {
                AssignmentStatus::Deleting
            } else {
                s
            }
        };
        assert_eq!(assigned_to_text(&rows, 2, removing), "search");
        let all_removing = |_, _| AssignmentStatus::Deleting;
        assert_eq!(assigned_to_text(&rows, 2, all_removing), "—");
        assert_eq!(assigned_to_text(&[], 0, |_, s| s), "—");
        assert_eq!(assigned_to_text(&rows, 7, |_, s| s), "payments, search +5");
    }
}
