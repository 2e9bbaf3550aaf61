//! On a secret's edit form: before saving, which workloads use a key the form no longer has
//! (removed or renamed), from the page's [`UsedByNow`] (asked again every few seconds, so a
//! workload applied while the form is open shows too).

use leptos::prelude::*;

use crate::components::used_by::UsedByNow;
use crate::model::secret::SecretForm;
use crate::model::workloads::{ProjectUsedBy, UsedByAnswer};

/// The warning under the key rows. `original`: the keys the saved secret has.
#[component]
pub fn KeyRemovalWarning(form: RwSignal<SecretForm>, original: Vec<String>) -> impl IntoView {
    let now = use_context::<UsedByNow>();
    let warnings = move || {
        let rows = now.and_then(UsedByNow::rows).unwrap_or_default();
        let removed = form.with(|f| removed_keys(&original, &form_keys(f)));
        key_warnings(&rows, &removed)
    };
    view! {
        <div aria-live="polite">
            {move || {
                warnings()
                    .into_iter()
                    .map(|w| view! { <p class="warning key-removal-warning" role="status">{w}</p> })
                    .collect_view()
            }}
        </div>
    }
}

/// The Secret's keys as the form holds them: the target keys of an External secret, the keys
/// of a Kubernetes one.
pub fn form_keys(form: &SecretForm) -> Vec<String> {
    let keys = if form.kind == "External" {
        &form.secret_key
    } else {
        &form.key
    };
    keys.iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect()
}

/// The keys of `original` that `now` no longer has, in `original`'s order.
pub fn removed_keys(original: &[String], now: &[String]) -> Vec<String> {
    original
        .iter()
        .filter(|key| !key.is_empty() && !now.contains(key))
        .cloned()
        .collect()
}

/// One sentence per removed key and namespace where a workload uses that key by name: "Key
/// password is used by Deployment api in payments; saving removes it from the Secret there."
/// A workload that takes every key (`envFrom`, a whole volume) does not break, so it is not
/// named.
pub fn key_warnings(rows: &[ProjectUsedBy], removed: &[String]) -> Vec<String> {
    let mut warnings = Vec::new();
    for key in removed {
        for row in rows {
            let UsedByAnswer::Checked(used) = &row.answer else {
                continue;
            };
            let names: Vec<String> = (used.using_key(key).into_iter())
                .map(|w| format!("{} {}", w.kind, w.name))
                .collect();
            if !names.is_empty() {
                warnings.push(format!(
                    "Key {key} is used by {} in {}; saving removes it from the Secret there.",
                    names.join(", "),
                    used.namespace
                ));
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::listing::ProjectRef;
    use crate::model::workloads::{KeysUsed, ReferenceVia, UsedBy, WorkloadKind, WorkloadUse};

    fn row(workloads: Vec<WorkloadUse>) -> ProjectUsedBy {
        ProjectUsedBy {
            project: ProjectRef {
                id: 1,
                name: "payments".into(),
            },
            namespace: "payments".into(),
            answer: UsedByAnswer::Checked(UsedBy {
                namespace: "payments".into(),
                secret: "db".into(),
                workloads,
                unchecked: Vec::new(),
            }),
        }
    }

    fn uses(kind: WorkloadKind, name: &str, keys: KeysUsed) -> WorkloadUse {
        WorkloadUse {
            kind,
            name: name.into(),
            keys,
            via: vec![ReferenceVia::EnvKey],
        }
    }

    #[test]
    fn a_removed_key_a_workload_names_is_warned_about() {
        let rows = [row(vec![
            uses(
                WorkloadKind::Deployment,
                "api",
                KeysUsed::Keys(vec!["password".into()]),
            ),
            uses(WorkloadKind::CronJob, "nightly", KeysUsed::All),
        ])];
        let removed = removed_keys(&["user".into(), "password".into()], &["user".into()]);
        assert_eq!(
            key_warnings(&rows, &removed),
            vec![
                "Key password is used by Deployment api in payments; saving removes it from the Secret there."
            ]
        );
    }

    #[test]
    fn keys_kept_or_taken_whole_warn_nothing() {
        let rows = [row(vec![uses(
            WorkloadKind::Deployment,
            "api",
            KeysUsed::All,
        )])];
        assert!(key_warnings(&rows, &["password".into()]).is_empty());
        assert!(removed_keys(&["password".into()], &["password".into()]).is_empty());
    }

    #[test]
    fn a_renamed_key_is_a_removed_one() {
        let mut form = SecretForm {
            kind: "Kubernetes".into(),
            key: vec!["passwd".into(), " ".into()],
            ..SecretForm::default()
        };
        assert_eq!(
            removed_keys(&["password".into()], &form_keys(&form)),
            vec!["password".to_owned()]
        );
        form.kind = "External".into();
        form.secret_key = vec!["password".into()];
        assert!(removed_keys(&["password".into()], &form_keys(&form)).is_empty());
    }
}
